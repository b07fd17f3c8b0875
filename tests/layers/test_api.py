"""catalog(), load() in other systems, lookup() by names and aliases."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Transformer

from suigeo import layers
from suigeo.errors import InputError, UnknownSystemError


def test_catalog_lists_every_layer_with_counts_and_accuracy():
    cat = layers.catalog()
    assert list(cat["name"]) == list(layers.LAYER_NAMES)
    counts = dict(zip(cat["name"], cat["features"], strict=True))
    assert counts["north8_towns"] == 8
    assert counts["meizhou_parks"] == 9
    assert counts["qingyuan_parks"] == 9
    assert (cat["accuracy_min_m"] > 0).all()
    assert (cat["accuracy_min_m"] <= cat["accuracy_max_m"]).all()
    assert cat["sources"].str.len().gt(0).all()
    assert set(cat["geometry"]) == {"Point", "LineString"}


def test_load_returns_a_copy():
    a = layers.load("hubs")
    a.loc[0, "name_en"] = "changed"
    assert layers.load("hubs").loc[0, "name_en"] != "changed"


@pytest.mark.parametrize(("system", "epsg"), [("CGCS2000-3GK-CM114", 4547), ("EPSG:4526", 4526)])
def test_load_in_a_named_system_matches_proj(system, epsg):
    native = layers.load("rail_stations")
    got = layers.load("rail_stations", dst=system)
    assert got.crs.to_epsg() == epsg
    t = Transformer.from_crs(4490, epsg, always_xy=True)
    x, y = t.transform(native.geometry.x.to_numpy(), native.geometry.y.to_numpy())
    np.testing.assert_allclose(got.geometry.x, x, atol=1e-6)
    np.testing.assert_allclose(got.geometry.y, y, atol=1e-6)
    # Guangzhou South (113.269E) in the CM114 zone: 0.731 deg x 102.4 km/deg at 23 N
    # = about 75 km west of the central meridian (false easting 500 km)
    if epsg == 4547:
        gzs = got[got["id"] == "gz_south_stn"].geometry.iloc[0]
        assert 420_000 < gzs.x < 430_000 and 2_540_000 < gzs.y < 2_546_000


def test_unknown_layer_and_system():
    with pytest.raises(InputError, match="meizhou_parks"):
        layers.load("meizhou_park")
    with pytest.raises(UnknownSystemError):
        layers.load("hubs", dst="NOPE")


@pytest.mark.parametrize(
    ("name", "layer", "fid"),
    [
        ("广梅产业园", "meizhou_parks", "gz_meizhou_park"),
        ("广州南站", "rail_stations", "gz_south_stn"),
        ("Guangzhou South", "rail_stations", "gz_south_stn"),
        ("guangzhou  south", "rail_stations", "gz_south_stn"),
        ("gz_south_stn", "rail_stations", "gz_south_stn"),
        ("清远站", "rail_stations", "qingyuan_hsr_stn"),
        ("清远站(广清城际)", "rail_stations", "qingyuan_ic_stn"),
        ("梯面镇", "north8_towns", "timian"),
        ("Paitan", "north8_towns", "paitan"),
        ("白云机场", "hubs", "baiyun_airport"),
        ("省职教城", "qingyuan_parks", "gd_voc_edu_city"),
        ("广清城际", "rail_lines", "guangqing_ic"),
        ("石门国家森林公园", "forest_parks", "shimen_nfp"),
    ],
)
def test_lookup(name, layer, fid):
    row = layers.lookup(name)
    assert len(row) == 1
    assert row["layer"].item() == layer and row["id"].item() == fid
    assert row.crs.to_epsg() == 4490


def test_lookup_unknown_lists_close_matches():
    with pytest.raises(InputError) as exc:
        layers.lookup("Guangzhou Sooth")
    assert "Guangzhou South" in str(exc.value)
    with pytest.raises(InputError, match="广梅产业园"):
        layers.lookup("广梅产业")


def test_aliases_never_shadow_another_features_name():
    names = {}
    for layer in layers.LAYER_NAMES:
        df = layers.load(layer)
        for fid, zh, en in zip(df["id"], df["name_zh"], df["name_en"], strict=True):
            for n in (fid, zh, en):
                names.setdefault(n.casefold(), set()).add(fid)
    assert all(len(v) == 1 for v in names.values())


def test_every_feature_is_found_by_its_id_and_names():
    for layer in layers.LAYER_NAMES:
        df = layers.load(layer)
        for fid, zh, en in zip(df["id"], df["name_zh"], df["name_en"], strict=True):
            for key in (fid, zh, en):
                row = layers.lookup(key)
                assert (row["layer"].item(), row["id"].item()) == (layer, fid), key


def test_lookup_ambiguous_alias_names_the_candidates(monkeypatch):
    from suigeo.layers import shipped

    index, shown = shipped._name_index()
    fake = dict(index)
    fake[shipped._norm("twin")] = [(2, "hubs", "canton_tower"), (2, "hubs", "sunac_gz")]
    monkeypatch.setattr(shipped, "_name_index", lambda: (fake, shown))
    with pytest.raises(InputError, match=r"ambiguous: canton_tower \(hubs\), sunac_gz \(hubs\)"):
        layers.lookup("Twin")


def test_attribute_table_brief_and_full():
    brief = layers.attribute_table("hubs")
    full = layers.attribute_table("hubs", full=True)
    gdf = layers.load("hubs")
    assert {"source", "note", "aliases"} <= set(full.columns)
    assert not {"source", "note", "aliases"} & set(brief.columns)
    # lon/lat are the features' own coordinates to 5 decimals (~1 m)
    assert (abs(brief["lon"] - gdf.geometry.x) <= 5e-6).all()
    assert (abs(brief["lat"] - gdf.geometry.y) <= 5e-6).all()
    assert "lon" not in layers.attribute_table("rail_lines").columns  # lines: no point
