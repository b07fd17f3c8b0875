"""The map in a real browser: Debian's headless Chromium via chromedriver, file:// URL, no
network (all requests go to a closed local proxy port).

Checks that Leaflet initialises with no console error, the layer control is there, every
feature is drawn as an SVG path, every tooltip and popup opens, and hostile strings show as
text while a canary variable and ``alert`` stay untouched, on load, on hover and on click.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from maps_xss import XSS_IMG, XSS_SCRIPT, XSS_TICK, XSS_TPL

from suigeo import maps
from suigeo.maps.browser import browser_available, chromium

_OK, _WHY = browser_available()
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not _OK, reason=f"headless browser not installed: {_WHY}"),
]

# Installed before any page script runs: records alerts and keeps a canary to watch.
_CANARY = """
window.__canary = 'untouched';
window.__alerts = [];
window.alert = function (m) { window.__alerts.push(String(m)); };
window.confirm = window.alert; window.prompt = window.alert;
"""


def _open(driver, html_path: Path) -> None:
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _CANARY})
    driver.get(html_path.resolve().as_uri())
    for _ in range(100):
        if driver.execute_script("return document.readyState") == "complete":
            break
        time.sleep(0.1)
    time.sleep(0.3)


def _severe(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _map_var(driver) -> str:
    return driver.execute_script(
        "return Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map)"
    )


_OPEN_ALL = """
const map = window[arguments[0]];
const out = [];
const at = (lyr) => (lyr.getLatLng ? lyr.getLatLng() : lyr.getBounds().getCenter());
const read = (overlay) => {
    const el = overlay && overlay.isOpen() ? overlay.getElement() : null;
    return el ? [el.textContent, el.querySelectorAll('img, script').length] : [null, 0];
};
map.eachLayer(function (group) {
    // the basemap's land is not interactive: no tooltip or popup by design
    if (!(group instanceof L.GeoJSON) || group.options.interactive === false) { return; }
    group.eachLayer(function (lyr) {
        const rec = {};
        // hover: the event Leaflet's tooltip binding listens to, propagated to the group
        lyr.fire('mouseover', {latlng: at(lyr)}, true);
        [rec.tooltip, rec.tooltipImgs] = read(group.getTooltip());
        lyr.fire('mouseout', {latlng: at(lyr)}, true);
        // click: the event the popup binding listens to
        lyr.fire('click', {latlng: at(lyr)}, true);
        [rec.popup, rec.popupImgs] = read(group.getPopup());
        map.closePopup();
        out.push(rec);
    });
});
return out;
"""


@pytest.fixture
def page(tmp_path, parks, rail, ring) -> tuple[Path, int]:
    hostile = rail.copy()
    hostile["name_zh"] = [XSS_TPL, XSS_IMG, XSS_SCRIPT]
    m = maps.build(
        {"meizhou_parks": parks, XSS_IMG: hostile},  # shipped name: permanent labels
        rings=[ring],
        user_layers={XSS_TICK: parks.iloc[:1]},
        review_number=XSS_TPL,
        title=XSS_IMG,
        offline=True,
    )
    out = maps.save_html(m, tmp_path / "map.html")
    n_features = len(parks) + len(hostile) + len(ring) + 1
    return out, n_features


def _artifact(driver, name: str, tmp_path: Path) -> None:
    shot = tmp_path / name
    driver.save_screenshot(str(shot))
    dest = os.environ.get("SUIGEO_TEST_ARTIFACTS")
    if dest:
        Path(dest).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(dest) / name)


def test_page_loads_offline_draws_everything_and_runs_nothing(page, tmp_path, parks):
    html, n_features = page
    with chromium(width=1400, height=900) as driver:
        _open(driver, html)
        assert _severe(driver) == []
        assert driver.execute_script("return typeof L !== 'undefined' && L.version") == "1.9.3"
        var = _map_var(driver)
        assert var
        # layer control with one checkbox per layer (4 layers)
        assert (
            driver.execute_script(
                "return document.querySelectorAll('.leaflet-control-layers input').length"
            )
            == 4
        )
        # every feature drawn: circle markers, lines, ring polygons are SVG paths
        n_paths = driver.execute_script(
            "return document.querySelectorAll('.leaflet-overlay-pane path').length"
        )
        assert n_paths == n_features
        # legend, footer and title show the hostile strings as text
        footer = driver.execute_script(
            "return document.querySelector('.suigeo-footer').textContent"
        )
        assert XSS_TPL in footer
        assert (
            driver.execute_script("return document.querySelector('.suigeo-title').textContent")
            == XSS_IMG
        )
        labels = driver.execute_script(
            "return document.querySelector('.leaflet-control-layers').textContent"
        )
        assert XSS_IMG in labels and XSS_TICK in labels
        # permanent labels of the park points, hostile names as text
        label_texts = driver.execute_script(
            "return [...document.querySelectorAll('.suigeo-label')].map(e => e.textContent)"
        )
        assert sorted(label_texts) == sorted(parks["name_zh"])
        # on hover and on click: every tooltip and popup
        recs = driver.execute_script(_OPEN_ALL, var)
        assert len(recs) == n_features
        assert all(r["tooltip"] and r["popup"] for r in recs), recs
        texts = " ".join(r["tooltip"] + r["popup"] for r in recs)
        for s in (XSS_IMG, XSS_TPL, XSS_TICK, XSS_SCRIPT):
            assert s in texts
        assert all(r["tooltipImgs"] == 0 and r["popupImgs"] == 0 for r in recs)
        assert "40.1" in texts and "MEIZHOU-2022" in texts and "Positional accuracy" in texts
        # nothing ran
        time.sleep(0.3)
        assert driver.execute_script("return window.__canary") == "untouched"
        assert driver.execute_script("return window.__alerts") == []
        assert driver.execute_script("return document.querySelectorAll('img[src=x]').length") == 0
        assert _severe(driver) == []
        _artifact(driver, "maps-browser.png", tmp_path)


def test_real_mouse_hover_and_click_on_a_hostile_feature(tmp_path, parks):
    from selenium.webdriver.common.action_chains import ActionChains

    one = parks.iloc[[1]]  # named XSS_IMG, alone so nothing overlaps it
    out = maps.save_html(maps.build({"P": one}, offline=True), tmp_path / "one.html")
    with chromium(width=900, height=700) as driver:
        _open(driver, out)
        path = driver.find_element("css selector", ".leaflet-overlay-pane path")
        ActionChains(driver).move_to_element(path).perform()
        time.sleep(0.3)
        tip = driver.execute_script(
            "const t = document.querySelector('.leaflet-tooltip'); return t && t.textContent"
        )
        assert tip and XSS_IMG in tip
        ActionChains(driver).move_to_element(path).click().perform()
        time.sleep(0.3)
        pop = driver.execute_script(
            "const p = document.querySelector('.leaflet-popup-content'); return p && p.textContent"
        )
        assert pop and XSS_IMG in pop and "back`tick" in pop
        assert driver.execute_script("return window.__canary") == "untouched"
        assert driver.execute_script("return window.__alerts") == []
        assert _severe(driver) == []


def test_unescaped_folium_would_run_the_payload(tmp_path):
    """Control: the canary works — raw folium with the same string does run it."""
    import folium

    m = folium.Map(tiles=None, location=[23, 113])
    folium.Marker([23, 113], tooltip=XSS_TPL).add_to(m)
    m.get_root().add_child(maps.offline.OfflineAssets())
    out = tmp_path / "raw.html"
    m.save(str(out))
    with chromium(width=600, height=400) as driver:
        _open(driver, out)
        assert driver.execute_script("return window.__canary") == "tpl"


def test_png_export(tmp_path, parks, rail):
    html = maps.save_html(maps.build({"P": parks, "R": rail}), tmp_path / "m.html")
    png = maps.save_png(html, tmp_path / "m.png", width=800, height=600)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    # IHDR width and height (big-endian) as asked
    assert int.from_bytes(data[16:20], "big") == 800
    assert int.from_bytes(data[20:24], "big") == 600


# More hostile strings, through the command line and in every place data reaches the page:
# the user layer's file name, its column names (field aliases) and values, kinds and
# statuses (legend), ring origin / engine / scenario, --title and --review-number.
_MORE = (
    "x\u2028y\u2029z",  # line separators: end a JS line in old engines
    '" onmouseover="window.__canary=\'attr\'" x="',  # break out of a quoted attribute
    "' onmouseover='window.__canary=1' '",
    "\\u0027\\`\\${x}\\",  # JS escapes that would close the template literal
    "<svg onload=window.__canary='svg'>",
    "{{ cycler.__init__.__globals__.os.getcwd() }}{% raw %}",  # Jinja, re-parsed by branca
)


def test_hostile_strings_everywhere_through_the_cli(tmp_path, monkeypatch):
    import geopandas as gpd
    import shapely

    from suigeo.cli import main

    monkeypatch.chdir(tmp_path)
    hostile = (XSS_IMG, XSS_TPL, XSS_TICK, XSS_SCRIPT, *_MORE)
    n = len(hostile)
    cols = {f"c{i} {h}": list(hostile) for i, h in enumerate(hostile)}
    user = gpd.GeoDataFrame(
        {"name_zh": hostile, "name_en": hostile[::-1], "kind": hostile, "status": hostile,
         "source": hostile, "as_of": hostile, **cols},
        geometry=gpd.points_from_xy([113.2 + 0.05 * i for i in range(n)], [23.5] * n),
        crs="EPSG:4490",
    )  # fmt: skip
    user_file = tmp_path / "u<img src=x onerror=window.__canary=9>${x}`.geojson"
    user.to_file(user_file, driver="GeoJSON", engine="pyogrio")
    c = shapely.Point(113.3, 23.1)
    ring = gpd.GeoDataFrame(
        {"origin": [XSS_IMG, XSS_TPL], "minutes": [30.0, 60.0], "engine": [XSS_SCRIPT, XSS_TICK],
         "scenario": [_MORE[1], _MORE[0]], "params": [_MORE[3], _MORE[5]]},
        geometry=[c.buffer(0.2), c.buffer(0.4)],
        crs="EPSG:4490",
    )  # fmt: skip
    ring_file = tmp_path / "r`${x}<b>.gpkg"
    ring.to_file(ring_file, engine="pyogrio")
    out = tmp_path / "hostile.html"
    argv = ["map", "build", "--rings", str(ring_file), "--user-layer", str(user_file)]
    argv += ["--title", XSS_IMG + _MORE[0], "--review-number", _MORE[1] + XSS_TPL]
    assert main([*argv, "-o", str(out)]) == 0
    assert str(tmp_path) not in out.read_text(encoding="utf-8")  # the Jinja never ran
    with chromium(width=1400, height=900) as driver:
        _open(driver, out)
        assert _severe(driver) == []
        count = "return document.querySelectorAll(arguments[0]).length"
        assert driver.execute_script(count, ".leaflet-control-layers") == 1
        recs = driver.execute_script(_OPEN_ALL, _map_var(driver))
        assert len(recs) == n + 2
        assert all(r["tooltip"] and r["popup"] for r in recs)
        assert not any(r["tooltipImgs"] or r["popupImgs"] for r in recs)
        shown = " ".join(r["tooltip"] + r["popup"] for r in recs)
        shown += driver.execute_script("return document.body.innerText")
        for s in hostile:
            assert s.replace("\u2028", "").replace("\u2029", "")[:12] in shown.replace(
                "\u2028", ""
            ).replace("\u2029", ""), s
        assert driver.execute_script("return window.__canary") == "untouched"
        assert driver.execute_script("return window.__alerts") == []
        assert driver.execute_script(count, "svg[onload], img[src=x]") == 0
        _artifact(driver, "map-hostile-cli.png", tmp_path)
