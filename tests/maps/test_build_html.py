"""HTML-level tests of maps.build: layers, counts, groups, symbology, legend, footer, escaping."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import ClassVar

import branca.colormap
import folium
import geopandas as gpd
import pytest
import shapely
from folium.elements import JSCSSMixin
from maps_html import control_names, geojson_layers, tags
from maps_xss import XSS_ALL, XSS_IMG, XSS_TICK, XSS_TPL

from suigeo import maps
from suigeo.errors import InputError
from suigeo.maps.offline import OfflineAssetError
from suigeo.maps.symbology import symbology


def _html(m: folium.Map) -> str:
    return maps.render_html(m)


def _layer_for(html: str, name: str) -> dict:
    var = control_names(html)[name]
    return geojson_layers(html)[var]


def test_each_layer_present_with_its_feature_count(parks, rail, ring):
    m = maps.build({"Parks test": parks, "Rail test": rail}, rings={"r": ring}, offline=False)
    html = _html(m)
    names = control_names(html)
    assert len(geojson_layers(html)) == 3  # one GeoJson per layer, not one object per feature
    assert len(_layer_for(html, "Parks test")["features"]) == len(parks) == 3
    assert len(_layer_for(html, "Rail test")["features"]) == len(rail) == 3
    ring_name = next(n for n in names if n.startswith("广州塔"))
    assert len(_layer_for(html, ring_name)["features"]) == 2
    assert "L.marker(" not in html  # points are circle markers inside the GeoJson layer


def test_groups_in_the_layer_control(parks, rail, ring):
    html = _html(maps.build({"P": parks, "R": rail}, rings=[ring], user_layers={"mine.gpkg": rail}))
    block = html[html.rindex("L.control.groupedLayers(") :]
    order = [block.index(g) for g in ("Parks", "Transport", "Travel-time rings", "User layers")]
    assert order == sorted(order)
    # folded into its toggle, so it and the legend fit beside each other (test_panel_layout)
    assert '"collapsed": true' in block or "collapsed: true" in block


def test_rail_status_symbology_and_ring_shading(rail, ring):
    html = _html(maps.build({"R": rail}, rings=[ring], offline=False))
    # styles per status, from symbology.toml: planned dotted, under construction dashed
    assert '"dashArray": "1 7"' in html
    assert '"dashArray": "10 7"' in html
    # rings shaded by threshold: ColorBrewer YlGnBu class colours from symbology.toml
    assert '"fillColor": "#0c2c84"' in html  # 0-30 min
    assert '"fillColor": "#1d91c0"' in html  # 60-90 min
    assert '"fillColor": "#225ea8"' not in html  # no ring in 30-60


def test_popups_carry_units_source_and_accuracy(parks):
    html = _html(maps.build({"P": parks}, offline=False))
    feats = _layer_for(html, "P")["features"]
    props = feats[0]["properties"]
    assert "40.1" in props.values()  # output_2020_yi 40.10
    assert "160" in props.values()
    assert "5000" in props.values()  # accuracy_m
    assert "MEIZHOU-2022 附件2" in props.values()
    assert "—" in feats[2]["properties"].values()  # missing output shown as a dash
    for alias in ("Output 2020 产值 (亿元)", "Positional accuracy 位置精度 (m)", "Source 来源"):
        assert json.dumps(alias) in html  # written by folium with tojson (ASCII escapes)


def test_footer_internal_note_without_review_number(parks):
    html = _html(maps.build({"P": parks}, made_on=dt.date(2025, 3, 1)))
    assert "not for publication" in html
    assert "第三十四条".encode("unicode_escape").decode() in html or "第三十四条" in html
    assert "2025-03-01" in html
    assert "MEIZHOU-2022" in html  # data source listed


def test_footer_review_number(parks):
    html = _html(maps.build({"P": parks}, review_number="粤S(2025)001号"))
    assert "not for publication" not in html
    assert "Map review No." in html


def test_legend_lists_the_symbols(parks, rail, ring):
    html = _html(maps.build({"P": parks, "R": rail}, rings=[ring]))
    assert "suigeo-legend" in html
    for label in ("Co-built industrial park", "High-speed rail", "planned", "within 30 min"):
        assert label in html


def test_hostile_strings_never_reach_the_page_raw(parks, rail):
    hostile = rail.copy()
    hostile["kind"] = ["<b>kind</b>", "high_speed", "high_speed"]  # legend label from data
    hostile["`odd$col\\"] = ["x", "y", "z"]  # field alias from data
    m = maps.build(
        {XSS_IMG: parks, XSS_TPL: hostile},
        user_layers={XSS_TICK: parks},
        review_number=XSS_TPL,
        title=XSS_IMG,
        offline=False,  # keep the page small: no inlined library code to search through
    )
    html = _html(m)
    for s in (*XSS_ALL, "<b>kind</b>", "`odd$col\\"):
        assert s not in html, s
    # and the escaped forms are there (as JSON strings, so `&` may be kept or \u0026)
    plain = html.replace("\\u0026", "&")
    assert "&lt;img src=x onerror=" in plain
    assert "&#36;&#123;(window.__canary=" in plain
    assert "back&#96;tick" in plain
    assert "&lt;b&gt;kind&lt;/b&gt;" in plain
    assert "&#96;odd&#36;col&#92;" in plain


def test_offline_page_links_nothing_remote(parks, rail, ring):
    m = maps.build({"P": parks, "R": rail}, rings=[ring], offline=True)
    branca.colormap.StepColormap(["#000000", "#ffffff"], index=[0, 1, 2], caption="c").add_to(m)
    html = _html(m)
    t = tags(html)
    remote = re.compile(r"^\s*(https?:)?//", re.I)
    assert [s for s in t.scripts if s.get("src")] == []
    assert [
        lk for lk in t.links if lk.get("rel") == "stylesheet" or remote.match(lk.get("href") or "")
    ] == []
    for css in t.styles:
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", css, re.I)
        assert not re.search(r"@import", css, re.I)
    # the libraries really are inlined
    assert "Leaflet 1.9.3" in html or '"1.9.3"' in html
    assert 'version:"3.5.5"' in html  # d3 v3 for branca's colour map
    assert "jQuery v3.7.1" in html
    assert "Bootstrap  v5.2.2" in html or "Bootstrap v5.2.2" in html
    assert "L.Control.GroupedLayers" in html


def test_online_page_does_link_cdns(parks):
    """Sanity check of the offline test: without offline the page links CDNs."""
    t = tags(_html(maps.build({"P": parks}, offline=False)))
    assert any((s.get("src") or "").startswith("https://") for s in t.scripts)


def test_unknown_cdn_asset_is_an_error(parks):
    class Plugin(JSCSSMixin):
        default_js: ClassVar = [("x", "https://cdn.example.invalid/x.js")]

    m = maps.build({"P": parks}, offline=True)
    Plugin().add_to(m)
    with pytest.raises(OfflineAssetError, match=r"cdn\.example\.invalid"):
        _html(m)


def test_stored_data_is_never_modified(parks, rail):
    before = parks.copy(), rail.copy()
    maps.build({"P": parks, "R": rail}, simplify_m=50.0)
    assert parks.equals(before[0]) and rail.equals(before[1])
    assert parks.geometry.geom_equals_exact(before[0].geometry, 0).all()


def test_display_simplification_saves_size_without_moving_lines():
    # a 2,000-vertex wiggly line, wiggles of 0.05 m: below a pixel at zoom 18
    n = 2000
    xs = [113.0 + i * 1e-5 for i in range(n)]
    ys = [23.0 + (0.05 / 111_320.0) * (i % 2) for i in range(n)]
    gdf = gpd.GeoDataFrame(
        {"kind": ["x"]}, geometry=[shapely.LineString(zip(xs, ys, strict=True))], crs=4490
    )
    full = _layer_for(_html(maps.build({"L": gdf}, simplify_m=0, offline=False)), "L")
    simple = _layer_for(_html(maps.build({"L": gdf}, offline=False)), "L")
    n_full = len(full["features"][0]["geometry"]["coordinates"])
    n_simple = len(simple["features"][0]["geometry"]["coordinates"])
    assert n_simple < n_full / 10
    # Hausdorff distance between the drawn lines below the 0.5 m tolerance
    a = shapely.LineString(full["features"][0]["geometry"]["coordinates"])
    b = shapely.LineString(simple["features"][0]["geometry"]["coordinates"])
    assert a.hausdorff_distance(b) * 111_320.0 < 0.5


def test_an_empty_layer_is_drawn_empty(parks):
    html = _html(maps.build({"empty": parks.iloc[:0], "P": parks}, offline=False))
    assert len(_layer_for(html, "empty")["features"]) == 0
    assert len(_layer_for(html, "P")["features"]) == 3


def test_bad_inputs_are_clear_errors(parks):
    with pytest.raises(InputError, match="no coordinate reference system"):
        maps.build({"P": parks.set_crs(None, allow_override=True)})
    with pytest.raises(InputError, match="minutes"):
        maps.build(rings=[parks])
    with pytest.raises(InputError, match="unknown basemap"):
        maps.build({"P": parks}, basemap="google")
    empty = parks.copy()
    empty.loc[1, "geometry"] = None
    with pytest.raises(InputError, match="without geometry"):
        maps.build({"P": empty})


def _ring_scenarios(ring: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """The same 90-minute ring as two scenarios (the geo.access scenario texts)."""
    r90 = ring[ring["minutes"] == 90].copy()
    planned = r90.copy()
    r90["scenario"] = "rail in service"
    planned["scenario"] = "rail in service + under construction + planned (scenario)"
    return {"in service": r90, "planned": planned}


def test_ring_scenarios_are_named_and_drawn_apart(ring):
    both = _ring_scenarios(ring)
    html = _html(maps.build(rings=both, offline=False))
    names = control_names(html)
    # the layer control says which scenario each ring is (symbology.toml short labels)
    assert "广州塔: 90 min (sketch; rail in service 在役铁路)" in names
    assert "广州塔: 90 min (sketch; scenario + planned rail 情景含规划铁路)" in names
    # the planned scenario is dashed and lightly filled; the one in service is solid
    gj = geojson_layers(html)

    def style(name: str) -> dict:
        body = html[html.index(f"function {names[name]}_styler(") :]
        return json.loads(re.search(r"return (\{[^}]*\});", body).group(1))

    solid = style("广州塔: 90 min (sketch; rail in service 在役铁路)")
    dashed = style("广州塔: 90 min (sketch; scenario + planned rail 情景含规划铁路)")
    assert solid["dashArray"] is None and dashed["dashArray"]
    assert dashed["fillOpacity"] < solid["fillOpacity"]
    assert dashed["color"] == solid["color"]  # same threshold, same class colour
    assert len(gj) == 2
    # one legend row per scenario
    for row in (
        "within 90 min 分钟以内 — rail in service 在役铁路",
        "within 90 min 分钟以内 — scenario + planned rail 情景含规划铁路",
    ):
        assert json.dumps(row)[1:-1] in html  # the legend HTML is written with tojson


def test_permanent_labels_carry_their_layer_priority_and_a_declutter_pass(parks):
    hubs = parks.assign(kind="city_centre")
    html = _html(maps.build({"meizhou_parks": parks, "hubs": hubs, "other": parks}))
    order = symbology()["labels"]["priority"]
    gj = list(geojson_layers(html).values())
    assert {f["properties"]["_p"] for f in gj[0]["features"]} == {order.index("meizhou_parks")}
    assert {f["properties"]["_p"] for f in gj[1]["features"]} == {order.index("hubs")}
    assert not any("_l" in f["properties"] for f in gj[2]["features"])  # not a labelled layer
    assert html.count("suigeo-label-hidden") >= 2  # the CSS rule and the script toggling it
    assert "window.suigeoLabels" in html
    # no labelled layer and no basemap place names, no declutter script
    assert "window.suigeoLabels" not in _html(maps.build({"other": parks}, basemap="none"))


# branca re-parses every rendered script as a Jinja template, so "{{ ... }}" in data would be
# evaluated in Python at build time (it reaches os through cycler.__init__.__globals__).
_JINJA = "{{ '%s-%s' % ('jinja', 'ran') }}"
_JINJA_OS = "{{ cycler.__init__.__globals__.os.getcwd() }}"


def test_jinja_syntax_in_data_is_never_evaluated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a cwd that would show up in the page if os.getcwd() ran
    marker = str(tmp_path)
    g = gpd.GeoDataFrame(
        {
            "name_zh": [_JINJA, "{% raw %}"],
            "name_en": [_JINJA_OS, "{# x"],
            "kind": [_JINJA, "{%"],
            "status": ["{{ 'status' ~ '-ran' }}", "planned"],
            "source": [_JINJA, "s"],
            "as_of": [_JINJA, "2024"],
        },
        geometry=gpd.points_from_xy([113.2, 113.3], [23.1, 23.2]),
        crs="EPSG:4490",
    )
    html = _html(
        maps.build(
            user_layers={_JINJA: g},
            layers={"meizhou_parks": g},
            title=_JINJA,
            review_number=_JINJA,
            offline=False,
        )
    )
    assert "jinja-ran" not in html
    assert marker not in html
    assert "status-ran" not in html


def test_non_text_column_names_are_labelled_not_a_crash():
    # a GeoDataFrame built in a notebook may have integer column names
    g = gpd.GeoDataFrame(
        {0: [1.5, 2.0], "name_zh": ["甲", "乙"]},
        geometry=gpd.points_from_xy([113.2, 113.3], [23.1, 23.2]),
        crs="EPSG:4490",
    )
    html = _html(maps.build(user_layers={"nb": g}, offline=False))
    assert len(_layer_for(html, "nb")["features"]) == 2


@pytest.mark.parametrize("blank", ["", "   ", "\t\n", "\u3000"])
def test_a_blank_review_number_still_marks_the_map_internal(parks, blank):
    # 第三十四条: without a real 审图号 the footer must say the map is not for publication
    html = _html(maps.build({"P": parks}, review_number=blank, offline=False))
    assert "not for publication" in html
    assert "Map review No." not in html


# --------------------------------------------------------------------------------------
# focus: the initial view


def _fit(m) -> list[float]:
    """The initial view, flat: [south, west, north, east]."""
    html = maps.render_html(m)
    found = re.findall(r"\.fitBounds\(\s*(\[\[[-0-9.]+, [-0-9.]+\], \[.*?\]\])", html, re.S)
    assert found, "no fitBounds in the page"
    (s, w), (n, e) = json.loads(found[-1])  # the map's own (the last), not Leaflet's code
    return [s, w, n, e]


def test_focus_defaults_to_rings_and_user_layers_not_the_rail_network(rail, ring, parks):
    # rail reaches 116.1E (Meizhou); the ring is 113.32 +- 0.8 degrees
    b = _fit(maps.build({"rail_lines": rail}, rings=[ring]))
    minx, miny, maxx, maxy = ring.total_bounds
    assert b == pytest.approx([miny, minx, maxy, maxx], abs=1e-6)
    # a user layer joins the rings; with neither, every layer counts
    b = _fit(maps.build({"rail_lines": rail}, rings=[ring], user_layers={"u": parks.iloc[:1]}))
    assert b[3] == pytest.approx(max(maxx, parks.geometry.x.iloc[0]), abs=1e-6)
    b = _fit(maps.build({"rail_lines": rail}))
    assert b == pytest.approx([23.2, 113.2, 24.3, 116.1], abs=1e-6)


def test_focus_rings_layer_and_box(rail, ring, parks):
    b = _fit(maps.build({"rail_lines": rail, "P": parks}, rings=[ring], focus="layer P"))
    assert b == pytest.approx([24.04, 115.979, 24.31, 116.12], abs=1e-6)
    b = _fit(maps.build({"rail_lines": rail}, rings=[ring], focus=("layer", "rail_lines")))
    assert b == pytest.approx([23.2, 113.2, 24.3, 116.1], abs=1e-6)
    b = _fit(maps.build({"rail_lines": rail}, focus="113.5,23.4,113.9,23.8"))
    assert b == [23.4, 113.5, 23.8, 113.9]
    b = _fit(maps.build({"rail_lines": rail}, rings=[ring], focus="rings"))
    assert b[1] == pytest.approx(113.32 - 0.8, abs=1e-3)
    for bad, msg in [
        ("rings", "has no rings"),
        ("layer nope", "no such layer"),
        ("114,23,113,24", "MINLON < MAXLON"),
        ("1,2,3", "give 'rings'"),
    ]:
        with pytest.raises(InputError, match=msg):
            maps.build({"rail_lines": rail}, focus=bad)


# --------------------------------------------------------------------------------------
# ring parts reached through a station


def test_ring_parts_name_the_station_that_reaches_a_detached_part():
    import pandas as pd
    from pyproj import Geod

    o, a, b, far = (113.0, 23.0), (114.0, 23.0), (113.05, 23.0), (115.0, 23.0)
    disc_o = shapely.Point(o).buffer(0.2)
    disc_a = shapely.Point(a).buffer(0.1)
    ring = gpd.GeoDataFrame(
        {"origin": ["O"], "minutes": [60.0], "area_km2": [1.0]},
        geometry=[shapely.MultiPolygon([disc_o, disc_a])],
        crs=4490,
    )
    stations = gpd.GeoDataFrame(
        {"id": ["a", "b", "a2", "far"]},
        geometry=gpd.points_from_xy([a[0], b[0], a[0] + 0.05, far[0]], [a[1], b[1], a[1], far[1]]),
        crs=4490,
    )
    times = pd.DataFrame(
        {
            "origin": ["O"] * 4,
            "station": ["a", "b", "a2", "far"],
            "name_zh": ["甲站", "乙站", "丙站", "远站"],
            "minutes": [30.4, 5.0, 38.0, 20.0],  # 远站 is not in any part
        }
    )
    parts = maps.ring_parts(ring, times, stations=stations, origins={"O": o})
    assert list(parts["via"]) == ["", "via 甲站, 30 min"]  # 甲 reached before 丙
    geod = Geod(ellps="GRS80")
    want = [abs(geod.geometry_area_perimeter(g)[0]) / 1e6 for g in (disc_o, disc_a)]
    assert list(parts["part_area_km2"]) == pytest.approx(want, abs=1e-3)
    assert list(parts["ring_area_km2"]) == [1.0, 1.0]
    # the map shows it in the part's tooltip
    html = maps.render_html(maps.build(rings=[parts]))
    tip = re.search(r"GeoJsonTooltip\(|L\.tooltip|bindTooltip", html)
    assert tip
    feats = next(iter(geojson_layers(html).values()))["features"]
    assert any("via 甲站, 30 min" in f["properties"].values() for f in feats)
