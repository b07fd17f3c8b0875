"""``suigeo map build`` and ``suigeo demo`` through the real entry point."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "maps"))
from maps_html import control_names, geojson_layers, tags

from suigeo import layers
from suigeo.cli import main
from suigeo.maps.browser import browser_available, chromium

_BROWSER_OK, _BROWSER_WHY = browser_available()
needs_browser = pytest.mark.skipif(not _BROWSER_OK, reason=f"no headless browser: {_BROWSER_WHY}")


def test_demo_focus_opens_on_a_layer(tmp_path, capsys):
    import json
    import re

    out = tmp_path / "d.html"
    assert main(["demo", "--focus", "layer", "north8_towns", "-o", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    got = json.loads(re.search(r"window\.suigeoFocus = (\[\[.*?\]\]);", html).group(1))
    minx, miny, maxx, maxy = layers.load("north8_towns").total_bounds
    assert [*got[0], *got[1]] == pytest.approx([miny, minx, maxy, maxx], abs=1e-6)
    assert main(["demo", "--focus", "layer", "no_such_layer", "-o", str(out)]) == 2
    assert "no_such_layer" in capsys.readouterr().err


def test_demo_writes_the_default_map(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == 0
    out = tmp_path / "suigeo-demo.html"
    assert capsys.readouterr().out.strip() == "suigeo-demo.html"
    html = out.read_text(encoding="utf-8")
    names = control_names(html)
    gj = geojson_layers(html)
    cat = layers.catalog()
    # every shipped layer, with all its features
    for name, title in zip(cat["name"], cat["title"], strict=True):
        var = names[title.replace("<", "&lt;").replace(">", "&gt;")]
        assert len(gj[var]["features"]) == len(layers.load(name)), name
    # the four rings, each named with its rail scenario
    ring_names = [n for n in names if " min (sketch; " in n]
    assert sorted(ring_names) == [
        "广州塔: 30 min (sketch; rail in service 在役铁路)",
        "广州塔: 90 min (sketch; rail in service 在役铁路)",
        "广州塔: 90 min (sketch; scenario + planned rail 情景含规划铁路)",
        "广梅产业园: 30 min (sketch; rail in service 在役铁路)",
    ]
    # the 1.5-hour rings state what the engine computed for 梅州西站, on hover and click
    for name in [n for n in ring_names if "90 min" in n]:
        values = {v for f in gj[names[name]]["features"] for v in f["properties"].values()}
        assert any(v.startswith("梅州西站 ") and "90 min" in v for v in values), name
    # offline, and marked not for publication
    assert not [s for s in tags(html).scripts if s.get("src")]
    assert "not for publication" in html


def test_map_build_with_rings_and_user_layer(tmp_path, capsys):
    rings = gpd.GeoDataFrame(
        {"origin": ["x"], "minutes": [30.0], "engine": ["sketch"]},
        geometry=[shapely.Point(113.3, 23.1).buffer(0.2)],
        crs=4490,
    )
    rings.to_file(tmp_path / "r.gpkg", engine="pyogrio")
    mine = gpd.GeoDataFrame(
        {"name_zh": ["我的地块"], "area_ha": [3.2]},
        geometry=[shapely.box(113.2, 23.0, 113.21, 23.01)],
        crs=4490,
    ).to_crs(4547)  # projected user data (CGCS2000 3-degree GK 114E) are converted for display
    mine.to_file(tmp_path / "mine.geojson", engine="pyogrio")
    out = tmp_path / "m.html"
    code = main(
        [
            "map", "build", "--shipped", "rail_lines", "--shipped", "meizhou_parks",
            "--rings", str(tmp_path / "r.gpkg"), "--user-layer", str(tmp_path / "mine.geojson"),
            "--review-number", "粤S(2025)001号", "-o", str(out),
        ]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    html = out.read_text(encoding="utf-8")
    names = control_names(html)
    assert len(names) == 4
    assert "mine.geojson" in names
    user = geojson_layers(html)[names["mine.geojson"]]
    x, y = user["features"][0]["geometry"]["coordinates"][0][0]
    assert 113.1 < x < 113.3 and 22.9 < y < 23.1  # drawn in lon/lat
    assert "not for publication" not in html
    assert not [s for s in tags(html).scripts if s.get("src")]


def test_map_build_is_offline_by_default_and_online_links_cdns(tmp_path):
    out = tmp_path / "m.html"
    assert main(["map", "build", "--shipped", "hubs", "-o", str(out)]) == 0
    assert not [s for s in tags(out.read_text()).scripts if s.get("src")]
    assert main(["map", "build", "--shipped", "hubs", "--online", "-o", str(out)]) == 0
    assert [s for s in tags(out.read_text()).scripts if s.get("src")]


def test_demo_online_links_cdns(tmp_path, capsys):
    out = tmp_path / "demo.html"
    assert main(["demo", "--online", "-o", str(out)]) == 0
    assert [s for s in tags(out.read_text(encoding="utf-8")).scripts if s.get("src")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["map", "build", "-o", "x.html"], "nothing to draw"),
        (["map", "build", "--shipped", "nope", "-o", "x.html"], "unknown layer 'nope'"),
        (["map", "build", "--rings", "missing.gpkg", "-o", "x.html"], "missing.gpkg"),
        (["map", "build", "--shipped", "hubs", "--basemap", "tianditu", "-o", "x.html"],
         "SUIGEO_TIANDITU_KEY"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_a_clear_message(args, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SUIGEO_TIANDITU_KEY", raising=False)
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()


def test_never_overwrites_an_input(tmp_path, capsys):
    mine = gpd.GeoDataFrame({"name_zh": ["a"]}, geometry=[shapely.Point(113, 23)], crs=4490)
    src = tmp_path / "mine.geojson"
    mine.to_file(src, engine="pyogrio")
    before = src.read_bytes()
    assert main(["map", "build", "--user-layer", str(src), "-o", str(src)]) == 2
    assert "never overwrites an input" in capsys.readouterr().err
    assert src.read_bytes() == before


def test_help_shows_an_example(capsys):
    assert main(["map", "build", "--help"]) == 0
    assert "suigeo map build --shipped" in capsys.readouterr().out
    assert main(["demo", "--help"]) == 0
    assert "suigeo demo" in capsys.readouterr().out


@pytest.mark.browser
@needs_browser
def test_png_export(tmp_path, capsys):
    out, png = tmp_path / "m.html", tmp_path / "m.png"
    code = main(["map", "build", "--shipped", "rail_lines", "-o", str(out), "--png", str(png)])
    assert code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert capsys.readouterr().out.split() == [str(out), str(png)]


def test_rings_from_suigeo_access_draw_on_the_map(tmp_path, capsys):
    rings_file = tmp_path / "gz.geojson"
    args = ["access", "rings", "--origin", "广州南站", "--minutes", "30", "90"]
    assert main([*args, "-o", str(rings_file)]) == 0
    written = gpd.read_file(rings_file, engine="pyogrio")
    out = tmp_path / "m.html"
    assert main(["map", "build", "--rings", str(rings_file), "-o", str(out)]) == 0
    capsys.readouterr()
    html = out.read_text(encoding="utf-8")
    (name,) = control_names(html)
    assert name.startswith("广州南站: 30, 90 min")
    feats = geojson_layers(html)[control_names(html)[name]]["features"]
    assert len(feats) == len(written) == 2
    # the popup values include the engine's parameters (JSON) and method
    values = {v for f in feats for v in f["properties"].values()}
    assert any("ground.speed_kmh" in v for v in values)


@pytest.mark.browser
@needs_browser
def test_demo_page_in_the_browser(tmp_path, capsys):
    out = tmp_path / "demo.html"
    assert main(["demo", "-o", str(out)]) == 0
    capsys.readouterr()
    html = out.read_text(encoding="utf-8")
    n_features = sum(len(f["features"]) for f in geojson_layers(html).values())
    with chromium(width=1600, height=1000) as driver:
        driver.get(out.resolve().as_uri())
        time.sleep(1.0)
        severe = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert severe == []
        n_paths = driver.execute_script(
            "return document.querySelectorAll('.leaflet-overlay-pane path').length"
        )
        # every point, line and ring polygon drawn (a MultiPolygon ring is one path)
        assert n_paths == n_features
        assert (
            driver.execute_script(
                "return document.querySelectorAll('.leaflet-control-layers input').length"
            )
            == len(layers.LAYER_NAMES) + 4
        )
        assert driver.execute_script("return document.querySelectorAll('.suigeo-label').length")
        # the labels left visible at the demo's zoom do not overlap one another
        boxes = driver.execute_script(
            "return [...document.querySelectorAll('.suigeo-label')]"
            ".filter(e => !e.classList.contains('suigeo-label-hidden'))"
            ".map(e => { const r = e.getBoundingClientRect();"
            " return [r.left, r.top, r.right, r.bottom]; })"
        )
        assert len(boxes) >= 10
        clashes = [
            (a, b)
            for i, a in enumerate(boxes)
            for b in boxes[i + 1 :]
            if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
        ]
        assert clashes == []
        dest = tmp_path / "demo.png"
        driver.save_screenshot(str(dest))
        assert dest.stat().st_size > 10_000


def test_demo_rings_claim_no_more_than_the_engine_computed():
    """The 1.5-hour rings' popup text against their own geometry and the station points."""
    from suigeo.maps import demo_rings

    st = layers.load("rail_stations").set_index("id")
    by_name = dict(zip(st["name_zh"], st.geometry, strict=True))
    # each ring comes as its parts (the part around the origin and those reached via a
    # station); the whole ring is their union
    ninety = [g for _, g in demo_rings() if g["minutes"].iloc[0] == 90]
    rings90 = {g["scenario"].iloc[0]: g.iloc[0] for g in ninety}
    whole = {g["scenario"].iloc[0]: shapely.union_all(g.geometry.values) for g in ninety}
    for g in ninety:  # every detached part names its station, with minutes within 90
        via = g.loc[g["via"] != "", "via"]
        assert len(via) == len(g) - 1 and via.str.match(r"via .+站.*, \d+ min$").all(), list(via)
    assert set(rings90) == {
        "rail in service",
        "rail in service + under construction + planned (scenario)",
    }
    meizhou = st.loc["meizhou_west_stn"].geometry
    for scenario, ring in rings90.items():
        within = ring["meizhou_west_min"] <= 90
        # the ring covers 梅州西站 exactly when the text says it is within 90 minutes
        assert whole[scenario].contains(meizhou) == within, scenario
        assert ("NOT within" in ring["policy_check"]) == (not within)
        # every station the text lists as reached lies inside the ring
        for item in ring["meizhou_path_reached"].split("; "):
            name, minutes, _ = item.rsplit(" ", 2)
            assert float(minutes) <= 90
            assert whole[scenario].contains(by_name[name]), (scenario, name)
    # only the scenario reaches the planned 广河高铁's placeholder station
    assert (
        "龙门"
        in rings90["rail in service + under construction + planned (scenario)"][
            "meizhou_path_reached"
        ]
    )
    assert "龙门" not in rings90["rail in service"]["meizhou_path_reached"]
    # and adding planned lines never makes Meizhou farther
    assert (
        rings90["rail in service + under construction + planned (scenario)"]["meizhou_west_min"]
        <= rings90["rail in service"]["meizhou_west_min"]
    )


def test_rings_file_errors_name_the_file_with_its_extension(tmp_path, capsys):
    # a rings file without a minutes column: the message names the file as given (with
    # its extension), so a user with rings.gpkg and rings.geojson knows which one is wrong
    bad = tmp_path / "myrings.geojson"
    gpd.GeoDataFrame(
        {"x": [1]}, geometry=[shapely.Point(113, 23).buffer(0.1)], crs="EPSG:4490"
    ).to_file(bad, engine="pyogrio")
    assert main(["map", "build", "--rings", str(bad), "-o", str(tmp_path / "m.html")]) == 2
    assert "myrings.geojson" in capsys.readouterr().err
    assert not (tmp_path / "m.html").exists()


def test_cli_modules_only_parse_and_call_maps():
    # the demo's rings and file reading are public functions of maps, for notebooks too
    import inspect

    import suigeo.cli.demo
    import suigeo.cli.map
    from suigeo import maps

    for fn in (maps.demo_map, maps.demo_rings, maps.read_vector, maps.read_named):
        assert inspect.getdoc(fn)
    src = inspect.getsource(suigeo.cli.demo) + inspect.getsource(suigeo.cli.map)
    for logic in ("station_times", "read_file", "geo.access"):
        assert logic not in src, logic


def test_png_into_a_missing_folder_is_refused_before_anything_is_written(tmp_path, capsys):
    html = tmp_path / "m.html"
    png = tmp_path / "no-such-folder" / "m.png"
    argv = ["map", "build", "--shipped", "hubs", "-o", str(html), "--png", str(png)]
    assert main(argv) == 2
    assert "no-such-folder" in capsys.readouterr().err
    assert not html.exists()  # no half-done output: the PNG's folder is checked first


def _inner_htmls(html: str) -> list[str]:
    """The HTML the page's controls set with innerHTML (JSON strings in the script)."""
    import json
    import re

    dec = json.JSONDecoder()
    return [
        dec.raw_decode(html, m.end())[0]
        for m in re.finditer(r"innerHTML = ", html)
        if html[m.end()] == '"'
    ]


def test_user_layer_title_and_label_column(tmp_path, capsys):
    villages = gpd.GeoDataFrame(
        {"村名": ["石门村", "溪头村", "<b>x</b>"], "人口": [1200, 800, 5]},
        geometry=gpd.points_from_xy([113.60, 113.62, 113.64], [23.60, 23.62, 23.64]),
        crs=4490,
    )
    gj = tmp_path / "v.geojson"
    villages.to_file(gj, driver="GeoJSON", engine="pyogrio")
    gpkg = tmp_path / "p.gpkg"
    villages.to_file(gpkg, layer="规划村庄", engine="pyogrio")
    out = tmp_path / "m.html"
    argv = ["map", "build", "--user-layer", f"{gj}:从化村庄", "--user-layer", str(gpkg)]
    assert main([*argv, "--label", "村名", "-o", str(out)]) == 0, capsys.readouterr().err
    html = out.read_text(encoding="utf-8")
    names = control_names(html)
    # the given title, and the GeoPackage's own layer name; never the file name
    assert set(names) == {"从化村庄", "规划村庄"}
    gj_layer = geojson_layers(html)[names["从化村庄"]]
    labels = [f["properties"]["_l"] for f in gj_layer["features"]]
    assert labels == ["石门村", "溪头村", "&lt;b&gt;x&lt;/b&gt;"]
    legend = next(h for h in _inner_htmls(html) if "suigeo-legend-title" in h)
    assert "<span>从化村庄</span>" in legend and "<span>规划村庄</span>" in legend
    assert "<span>feature</span>" not in legend
    # a label column the file does not have: exit 2, the file and its columns named
    code = main(["map", "build", "--user-layer", str(gj), "--label", "名称", "-o", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "no column '名称'" in err and "村名" in err


def test_scale_bar_is_metric_only(tmp_path):
    from suigeo import maps

    html = maps.render_html(maps.build(["rail_stations"]))
    assert "imperial: false" in html
    assert "L.control.scale({imperial: false" in html
    assert html.count("L.control.scale(") == 1


def test_map_build_focus_option(tmp_path, capsys):
    out = tmp_path / "f.html"
    argv = ["map", "build", "--shipped", "rail_lines", "--shipped", "north8_towns"]
    assert main([*argv, "--focus", "layer", "north8_towns", "-o", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    towns = layers.load("north8_towns").total_bounds
    want = f"[[{towns[1]}, {towns[0]}], [{towns[3]}, {towns[2]}]]"
    assert want in html
    assert main([*argv, "--focus", "113.5,23.4,113.9,23.8", "-o", str(out)]) == 0
    assert "[[23.4, 113.5], [23.8, 113.9]]" in out.read_text(encoding="utf-8")
    assert main([*argv, "--focus", "rings", "-o", str(out)]) == 2
    assert "no rings" in capsys.readouterr().err


def test_csv_user_layer_with_label_works_like_geojson(tmp_path, capsys):
    csv = tmp_path / "villages.csv"
    csv.write_text("村名,经度,纬度,人口\n石门村,113.60,23.60,1200\n溪头村,113.62,23.62,800\n",
                   encoding="utf-8")  # fmt: skip
    out = tmp_path / "v.html"
    argv = ["map", "build", "--user-layer", str(csv), "--label", "村名", "-o", str(out)]
    assert main(argv) == 0, capsys.readouterr().err
    html = out.read_text(encoding="utf-8")
    names = control_names(html)
    assert list(names) == ["villages.csv"]
    feats = geojson_layers(html)[names["villages.csv"]]["features"]
    assert [f["properties"]["_l"] for f in feats] == ["石门村", "溪头村"]
    assert [f["geometry"]["coordinates"] for f in feats] == [[113.6, 23.6], [113.62, 23.62]]
    # a bad row: exit 2, the file, the row and the columns named
    csv.write_text("村名,经度,纬度\n石门村,113.60,23.60\n溪头村,abc,23.62\n", encoding="utf-8")
    assert main(argv) == 2
    err = capsys.readouterr().err
    # rows of a CSV are its data rows (suigeo.io): the second one
    assert "villages.csv" in err and "row 2" in err and "column '经度'" in err
