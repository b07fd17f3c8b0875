"""map build draws a scenario comparison (geo.access compare_rings) as its own layer."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pytest
import shapely
from maps_html import control_names, geojson_layers
from maps_xss import XSS_ALL, XSS_IMG

from suigeo import maps
from suigeo.cli import main


def _changes(origin: str = "广州南站") -> gpd.GeoDataFrame:
    c = shapely.Point(113.27, 23.0)
    ring = c.buffer(0.3)
    return gpd.GeoDataFrame(
        {
            "origin": [origin] * 4,
            "minutes": [90.0, 90.0, 150.0, 150.0],
            "change": ["gained", "lost", "gained", "lost"],
            "area_km2": [812.5, 0.0, 4248.1, 3.2],
            "base_km2": [9000.0, 9000.0, 30000.0, 30000.0],
            "scenario_km2": [9812.5, 9812.5, 34245.0, 34245.0],
            "scenario": ["rail in service → rail in service + planned (scenario)"] * 4,
            "engine": ["sketch"] * 4,
            "population": [12345.0, 0.0, 678901.0, 17.0],
        },
        geometry=[
            ring.difference(c.buffer(0.2)),
            shapely.Polygon(),
            c.buffer(0.6).difference(ring),
            shapely.Point(113.9, 23.0).buffer(0.01),
        ],
        crs="EPSG:4490",
    )


def _style(html: str, var: str) -> str:
    return html[html.index(f"function {var}_styler(") :][:2000]


def test_changes_are_their_own_layer_with_people_in_popups():
    html = maps.render_html(maps.build(rings={"cmp": _changes()}, offline=False))
    names = control_names(html)
    title = next(n for n in names if "gained/lost" in n)
    assert title.startswith("广州南站: 90, 150 min gained/lost 增减")
    layer = geojson_layers(html)[names[title]]
    assert len(layer["features"]) == 3  # the empty "lost" row has nothing to draw
    # the people of each changed area are in its popup (formatted, in the row's order)
    values = [f["properties"] for f in layer["features"]]
    flat = json.dumps(values, ensure_ascii=False)
    assert "678901" in flat and "12345" in flat
    # gained filled green, lost red (symbology.toml [changes]), outline by threshold class
    styler = _style(html, names[title])
    assert "#1a9850" in styler and "#d73027" in styler
    assert '"color": "#1d91c0"' in styler  # 90 min: the 60-90 class outline
    # the legend says which is which, per threshold
    for row in (
        "gained 新增可达: within 150 min 分钟以内",
        "lost 不再可达: within 150 min 分钟以内",
    ):
        assert json.dumps(row)[1:-1] in html
    # grouped with the rings in the layer control
    block = html[html.rindex("L.control.groupedLayers(") :]
    assert re.search(r"Travel-time rings[^{]*\{[^}]*gained/lost", block)


def test_changes_layer_escapes_hostile_origin_names():
    html = maps.render_html(maps.build(rings=[_changes(XSS_IMG)], offline=False))
    for s in XSS_ALL:
        assert s not in html
    assert "&lt;img src=x onerror=" in html.replace("\\u0026", "&")


def test_map_build_takes_a_compare_file(tmp_path, capsys):
    cmp_file = tmp_path / "gained.geojson"
    code = main(
        [
            "access", "rings", "--origin", "广州南站", "--minutes", "150", "--compare",
            "planned", "-o", str(cmp_file),
        ]
    )  # fmt: skip
    assert code == 0
    out = tmp_path / "map.html"
    assert main(["map", "build", "--rings", str(cmp_file), "--online", "-o", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    names = control_names(html)
    title = next(n for n in names if "gained/lost" in n)
    layer = geojson_layers(html)[names[title]]
    assert len(layer["features"]) == 2
    assert "#1a9850" in _style(html, names[title])
    capsys.readouterr()


@pytest.mark.browser
def test_changes_layer_in_a_real_browser(tmp_path):
    """Chromium: the gained/lost areas are drawn, every popup opens with its people and the
    hostile origin name as text, and nothing runs."""
    from test_browser import _OPEN_ALL, _map_var, _open, _severe

    from suigeo.maps.browser import browser_available, chromium

    ok, why = browser_available()
    if not ok:
        pytest.skip(f"headless browser not installed: {why}")
    out = maps.save_html(maps.build(rings=[_changes(XSS_IMG)]), tmp_path / "changes.html")
    with chromium(width=1200, height=800) as driver:
        _open(driver, out)
        assert _severe(driver) == []
        n_paths = driver.execute_script(
            "return document.querySelectorAll('.leaflet-overlay-pane path').length"
        )
        assert n_paths == 3
        recs = driver.execute_script(_OPEN_ALL, _map_var(driver))
        assert len(recs) == 3 and all(r["popup"] for r in recs)
        texts = " ".join(r["popup"] for r in recs)
        assert XSS_IMG in texts and "678901" in texts and "gained" in texts and "lost" in texts
        assert all(r["popupImgs"] == 0 for r in recs)
        assert driver.execute_script("return window.__canary") == "untouched"
        assert driver.execute_script("return window.__alerts") == []
