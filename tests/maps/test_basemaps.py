"""Basemap registry: datums in the attribution, Tianditu key, GCJ-02 display copy for AMap."""

from __future__ import annotations

import numpy as np
import pytest
from maps_html import control_names, geojson_layers

from suigeo import maps
from suigeo.errors import InputError


def test_registry_records_each_providers_datum():
    reg = maps.basemaps()
    assert {k: v["datum"] for k, v in reg.items()} == {
        "land": "WGS84",
        "none": "CGCS2000",
        "osm": "WGS84",
        "tianditu": "CGCS2000",
        "amap": "GCJ02",
    }


def test_default_needs_no_tile_server(parks):
    html = maps.render_html(maps.build({"P": parks}))
    assert "L.tileLayer(" not in html
    assert "basemap datum: WGS 84 (= CGCS2000 within 1 m)" in html
    assert (
        'createPane("suigeoBase")' in html and "Basemap: Natural Earth (PD), GSHHG (LGPL)" in html
    )
    html = maps.render_html(maps.build({"P": parks}, basemap="none"))
    assert "suigeoBase" not in html and "basemap datum: CGCS2000" in html


def test_shipped_land_is_land_where_the_map_says_so():
    import geopandas as gpd
    import shapely

    from suigeo.maps.basemaps import vector_basemap

    data = vector_basemap("land_ne10m.geojson")
    assert [f["properties"]["name"] for f in data["features"]] == ["land"]  # land only
    land = gpd.GeoDataFrame.from_features(data["features"]).geometry.iloc[0]
    assert land.geom_type == "MultiPolygon" and land.is_valid
    on_land = {
        "广州塔": (113.3245, 23.1064),
        "梅州市中心": (116.122, 24.289),
        "潮州": (116.62, 23.66),
        "香港 太平山": (114.145, 22.271),
        "海口": (110.33, 20.03),
    }
    at_sea = {
        "珠江口 伶仃洋": (113.78, 22.45),
        "南海 (Dangan)": (114.6, 21.8),
        "台湾海峡": (118.5, 23.5),
        "北部湾": (108.8, 21.0),
    }
    for name, xy in on_land.items():
        assert land.contains(shapely.Point(xy)), name
    for name, xy in at_sea.items():
        assert not land.contains(shapely.Point(xy)), name


def test_topojson_decoder_on_a_hand_made_topology():
    from importlib import util
    from pathlib import Path

    spec = util.spec_from_file_location(
        "make_land", Path(maps.__file__).parent / "basemap" / "make_land.py"
    )
    mod = util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    # a unit square as two arcs, delta-encoded and quantised (TopoJSON spec, section 2.1.2)
    topo = {
        "transform": {"scale": [0.5, 0.25], "translate": [100.0, 20.0]},
        "arcs": [[[0, 0], [2, 0], [0, 4]], [[2, 4], [-2, 0], [0, -4]]],
        "objects": {"land": {"geometries": [{"type": "Polygon", "arcs": [[0, 1]]}]}},
    }
    land = mod.land(topo)
    assert land.bounds == (100.0, 20.0, 101.0, 21.0)
    assert land.area == pytest.approx(1.0)


def test_tianditu_needs_a_key(parks, monkeypatch):
    monkeypatch.delenv("SUIGEO_TIANDITU_KEY", raising=False)
    with pytest.raises(InputError, match="SUIGEO_TIANDITU_KEY"):
        maps.build({"P": parks}, basemap="tianditu")
    monkeypatch.setenv("SUIGEO_TIANDITU_KEY", "envkey123")
    html = maps.render_html(maps.build({"P": parks}, basemap="tianditu"))
    assert "tk=envkey123" in html
    html = maps.render_html(maps.build({"P": parks}, basemap="tianditu", tianditu_key="argkey"))
    assert "tk=argkey" in html and "envkey123" not in html
    assert "CGCS2000 on Web Mercator" in html


def _coords(html: str, name: str) -> np.ndarray:
    layer = geojson_layers(html)[control_names(html)[name]]
    return np.array([f["geometry"]["coordinates"] for f in layer["features"]])


def test_amap_draws_a_gcj02_display_copy(parks):
    stored = parks.geometry.copy()
    html = maps.render_html(maps.build({"P": parks}, basemap="amap", simplify_m=0))
    assert "GCJ-02" in html
    shown = _coords(html, "P")
    # stored data untouched
    assert parks.geometry.geom_equals_exact(stored, 0).all()
    # the reference: WGS84 data lands 600-630 m off GCJ-02 tiles across Guangzhou;
    # in Meizhou (these parks) the offset is of the same order (500-700 m)
    lon, lat = parks.geometry.x.to_numpy(), parks.geometry.y.to_numpy()
    dx = (shown[:, 0] - lon) * 111_320.0 * np.cos(np.radians(lat))
    dy = (shown[:, 1] - lat) * 110_574.0
    dist = np.hypot(dx, dy)
    assert ((dist > 450) & (dist < 750)).all(), dist


def test_amap_display_copy_matches_an_independent_gcj02(parks):
    import prcoords

    html = maps.render_html(maps.build({"P": parks}, basemap="amap", simplify_m=0))
    shown = _coords(html, "P")
    lon, lat = parks.geometry.x.to_numpy(), parks.geometry.y.to_numpy()
    for (x, y), (gx, gy) in zip(zip(lon, lat, strict=True), shown, strict=True):
        ref = prcoords.wgs_gcj((y, x))
        assert abs(ref[0] - gy) < 2e-6 and abs(ref[1] - gx) < 2e-6


def test_amap_offset_across_guangzhou(ring):
    html = maps.render_html(maps.build(rings=[ring], basemap="amap", simplify_m=0))
    layer = next(iter(geojson_layers(html).values()))
    shown = np.array(layer["features"][-1]["geometry"]["coordinates"][0])
    orig = np.array(ring.sort_values("minutes").geometry.iloc[0].exterior.coords)
    assert shown.shape == orig.shape
    dx = (shown[:, 0] - orig[:, 0]) * 111_320.0 * np.cos(np.radians(orig[:, 1]))
    dy = (shown[:, 1] - orig[:, 1]) * 110_574.0
    dist = np.hypot(dx, dy)
    assert dist.min() > 550 and dist.max() < 680, (dist.min(), dist.max())


@pytest.mark.parametrize(
    "key", ["{{ cycler.__init__.__globals__.os.getcwd() }}", "abc&T=img_w", 'k");alert(1);//']
)
def test_tianditu_key_that_is_not_a_plain_token_is_refused(parks, key):
    # the key is pasted into the tile URL, which branca re-parses as Jinja and Leaflet as a
    # {placeholder} template: only letters and digits (Tianditu keys are 32 hex digits) pass
    with pytest.raises(InputError, match="letters and digits"):
        maps.build({"P": parks}, basemap="tianditu", tianditu_key=key)
