"""The demo map's panels at common window sizes, in real headless Chromium: the layer
control, legend, footer, title, attribution, zoom buttons and scale bar do not overlap, each
lies inside the window, and the legend shows all of its rows without scrolling. The legend
folds to its heading and back on a click. Opened (hover or click), the layer list keeps clear
of the legend and every other panel down to 800 x 500, and every row of the list and the
legend can be scrolled into view inside its panel; also after the window is resized."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from suigeo import maps
from suigeo.maps.browser import browser_available, chromium

_OK, _WHY = browser_available()
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not _OK, reason=f"headless browser not installed: {_WHY}"),
]

PANELS = {
    "layers": ".leaflet-control-layers",
    "legend": ".suigeo-legend",
    "footer": ".suigeo-footer",
    "title": ".suigeo-title",
    "attribution": ".leaflet-control-attribution",
    "zoom": ".leaflet-control-zoom",
    "scale": ".leaflet-control-scale",
}

_MEASURE = """
const out = {view: [window.innerWidth, window.innerHeight], boxes: {}};
for (const [name, sel] of Object.entries(arguments[0])) {
    const els = document.querySelectorAll(sel);
    if (els.length !== 1) { out.boxes[name] = {count: els.length}; continue; }
    const r = els[0].getBoundingClientRect();
    out.boxes[name] = {count: 1, left: r.left, top: r.top, right: r.right, bottom: r.bottom,
                       scrollHeight: els[0].scrollHeight, clientHeight: els[0].clientHeight};
}
const rows = [...document.querySelectorAll('.suigeo-legend-item')];
const legend = document.querySelector('.suigeo-legend').getBoundingClientRect();
out.rows = rows.length;
// a row is seen when its whole box lies inside the legend's (not scrolled out of sight)
out.rowsSeen = rows.filter(e => {
    const r = e.getBoundingClientRect();
    return r.height > 0 && r.top >= legend.top - 0.5 && r.bottom <= legend.bottom + 0.5;
}).length;
return out;
"""


@pytest.fixture(scope="module")
def demo_html(tmp_path_factory) -> Path:
    return maps.save_html(maps.demo_map(), tmp_path_factory.mktemp("layout") / "demo.html")


def _open(driver, html: Path) -> None:
    driver.get(html.resolve().as_uri())
    for _ in range(100):
        if driver.execute_script("return document.readyState") == "complete":
            break
        time.sleep(0.1)
    time.sleep(0.8)


def _overlap(a: dict, b: dict) -> float:
    """Area (px2) shared by two boxes."""
    w = min(a["right"], b["right"]) - max(a["left"], b["left"])
    h = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return max(w, 0.0) * max(h, 0.0)


@pytest.mark.parametrize("size", [(1400, 900), (1280, 720)])
def test_panels_fit_without_overlap_and_the_legend_is_whole(demo_html, size, tmp_path):
    with chromium(width=size[0], height=size[1]) as driver:
        _open(driver, demo_html)
        m = driver.execute_script(_MEASURE, PANELS)
        driver.save_screenshot(str(tmp_path / f"demo-{size[0]}x{size[1]}.png"))
    vw, vh = m["view"]
    assert vw >= size[0] - 20 and vh >= size[1] - 150  # the window is the size asked for
    boxes = m["boxes"]
    assert all(b["count"] == 1 for b in boxes.values()), boxes
    for name, b in boxes.items():  # every panel entirely inside the window
        assert b["left"] >= 0 and b["top"] >= 0, (name, b)
        assert b["right"] <= vw + 0.5 and b["bottom"] <= vh + 0.5, (name, b)
    for (na, a), (nb, b) in itertools.combinations(boxes.items(), 2):
        assert _overlap(a, b) == 0, (na, nb, a, b)
    legend = boxes["legend"]
    # not cut off: nothing to scroll, and every row is seen inside the legend's box
    assert legend["scrollHeight"] <= legend["clientHeight"] + 1, legend
    assert m["rows"] >= 15 and m["rowsSeen"] == m["rows"], (m["rows"], m["rowsSeen"])
    # the layer control is folded into its toggle: a small button, not the list
    lay = boxes["layers"]
    assert lay["right"] - lay["left"] < 60 and lay["bottom"] - lay["top"] < 60, lay


def test_the_legend_folds_to_its_heading_and_back(demo_html):
    with chromium(width=1280, height=720) as driver:
        _open(driver, demo_html)
        get = "return document.querySelector('.suigeo-legend').getBoundingClientRect().height"
        full = driver.execute_script(get)
        head = driver.find_element("css selector", ".suigeo-legend-title")
        assert head.get_attribute("aria-expanded") == "true"
        head.click()
        folded = driver.execute_script(get)
        assert folded < 40 < full, (folded, full)
        assert head.get_attribute("aria-expanded") == "false"
        seen = (
            "return [...document.querySelectorAll('.suigeo-legend-item')]"
            ".filter(e => e.getBoundingClientRect().height > 0).length"
        )
        assert driver.execute_script(seen) == 0
        head.click()
        assert abs(driver.execute_script(get) - full) < 1
        # the layer list opens from its toggle (hover) and lists every layer
        toggle = driver.find_element("css selector", ".leaflet-control-layers-toggle")
        from selenium.webdriver import ActionChains

        ActionChains(driver).move_to_element(toggle).perform()
        time.sleep(0.3)
        n = driver.execute_script(
            "return [...document.querySelectorAll('.leaflet-control-layers input')]"
            ".filter(e => e.getBoundingClientRect().height > 0).length"
        )
        assert n >= 8


# --- the expanded layer list at any window size ---------------------------------------

VIEWPORTS = [(1400, 900), (1280, 720), (1024, 600), (800, 500)]

# every panel's box, the layer list's and the legend's rows, and whether each row can be
# scrolled into view inside its own panel (the panel's scrollTop is set so the row's top
# meets the panel's inner top, then the row's whole box must lie inside the panel's)
_PANELS_AND_ROWS = """
const sels = arguments[0];
const box = e => { const r = e.getBoundingClientRect();
                   return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
const out = {view: [window.innerWidth, window.innerHeight], boxes: {}, rows: {}};
for (const [name, sel] of Object.entries(sels)) {
    const els = document.querySelectorAll(sel);
    if (els.length !== 1) { out.boxes[name] = {count: els.length}; continue; }
    const e = els[0], s = getComputedStyle(e);
    out.boxes[name] = Object.assign(box(e), {count: 1, scrollHeight: e.scrollHeight,
        clientHeight: e.clientHeight, overflowY: s.overflowY});
}
const reach = (panelSel, rowSel) => {
    const p = document.querySelector(panelSel);
    const rows = [...p.querySelectorAll(rowSel)];
    const res = {n: rows.length, shown: 0, unreachable: []};
    for (const r of rows) {
        if (r.getBoundingClientRect().height === 0) { continue; }
        res.shown += 1;
        const inner = p.getBoundingClientRect().top + p.clientTop;
        p.scrollTop += r.getBoundingClientRect().top - inner;
        const pr = p.getBoundingClientRect(), rr = r.getBoundingClientRect();
        const bottom = pr.top + p.clientTop + p.clientHeight;
        if (rr.top < pr.top - 0.5 || rr.bottom > bottom + 0.5 ||
            rr.left < pr.left - 0.5 || rr.right > pr.right + 0.5) {
            res.unreachable.push(r.textContent.trim().slice(0, 40));
        }
    }
    p.scrollTop = 0;
    return res;
};
out.rows.layers = reach(sels.layers, "label, .leaflet-control-layers-group-name");
out.rows.legend = reach(sels.legend, ".suigeo-legend-layer, .suigeo-legend-item");
out.expanded = document.querySelector(sels.layers)
    .classList.contains("leaflet-control-layers-expanded");
out.checked = [...document.querySelectorAll(sels.layers + " input")].map(e => e.checked);
return out;
"""


def _viewport(driver, width: int, height: int) -> None:
    """Make the page's viewport exactly width x height CSS px (not the window)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def _check_layout(m: dict, size: tuple[int, int], *, expanded: bool) -> None:
    assert m["view"] == list(size), m["view"]
    boxes = m["boxes"]
    assert all(b["count"] == 1 for b in boxes.values()), boxes
    vw, vh = size
    for name, b in boxes.items():  # every panel inside the window
        assert b["left"] >= -0.5 and b["top"] >= -0.5, (name, b)
        assert b["right"] <= vw + 0.5 and b["bottom"] <= vh + 0.5, (name, b)
    for (na, a), (nb, b) in itertools.combinations(boxes.items(), 2):
        assert _overlap(a, b) == 0, (size, na, nb, a, b)
    for name, b in boxes.items():  # content beyond the box can be scrolled to
        if b["scrollHeight"] > b["clientHeight"] + 1:
            assert b["overflowY"] in ("auto", "scroll"), (size, name, b)
    assert m["expanded"] is expanded
    legend = m["rows"]["legend"]
    assert legend["n"] >= 15 and legend["shown"] == legend["n"], legend
    assert legend["unreachable"] == [], (size, legend)
    rows = m["rows"]["layers"]
    if expanded:
        assert rows["n"] >= 12 and rows["shown"] == rows["n"], rows
        assert rows["unreachable"] == [], (size, rows)


@pytest.mark.parametrize("how", ["hover", "click"])
@pytest.mark.parametrize("size", VIEWPORTS, ids=[f"{w}x{h}" for w, h in VIEWPORTS])
def test_the_open_layer_list_keeps_clear_of_the_legend(demo_html, size, how, tmp_path):
    from selenium.webdriver import ActionChains

    with chromium(width=size[0], height=size[1] + 200) as driver:
        _viewport(driver, *size)
        _open(driver, demo_html)
        closed = driver.execute_script(_PANELS_AND_ROWS, PANELS)
        _check_layout(closed, size, expanded=False)
        toggle = driver.find_element("css selector", ".leaflet-control-layers-toggle")
        if how == "hover":
            ActionChains(driver).move_to_element(toggle).perform()
        else:  # a click (or tap) on the toggle's lower half: the pointer arrives and
            # presses where, once the list is open, its first layer's row lies
            ActionChains(driver).move_to_element_with_offset(toggle, 0, 16).click().perform()
        time.sleep(0.3)
        opened = driver.execute_script(_PANELS_AND_ROWS, PANELS)
        driver.save_screenshot(str(tmp_path / f"open-{how}-{size[0]}x{size[1]}.png"))
        _check_layout(opened, size, expanded=True)
        # opening the list switched no layer on or off
        assert opened["checked"] == closed["checked"]
        assert all(opened["checked"])
        # scrolled to its end, the list stays there while the pointer moves over its rows
        # (the plugin closes and reopens it on every move from one row to the next)
        down = (
            "const p = document.querySelector('.leaflet-control-layers');"
            "p.scrollTop = p.scrollHeight; return p.scrollTop"
        )
        end = driver.execute_script(down)
        rows = driver.find_elements("css selector", ".leaflet-control-layers label")
        if how == "hover":
            for row in rows[-3:]:
                ActionChains(driver).move_to_element(row).perform()
        time.sleep(0.2)
        at = "return document.querySelector('.leaflet-control-layers').scrollTop"
        assert abs(driver.execute_script(at) - end) < 1, (end, driver.execute_script(at))
        if size[1] <= 720:  # the list is longer than its room here: it did scroll
            assert end > 20, end
        driver.execute_script("document.querySelector('.leaflet-control-layers').scrollTop = 0")
        # a deliberate click a moment later does switch a layer
        time.sleep(0.5)
        first = driver.find_element("css selector", ".leaflet-control-layers input")
        first.click()
        assert not first.is_selected()
        first.click()
        assert first.is_selected()
        # the legend folded to its heading: the list may use the room down to it
        driver.execute_script("document.querySelector('.suigeo-legend-title').click()")
        time.sleep(0.2)  # (the pointer is still on the list)
        folded = driver.execute_script(_PANELS_AND_ROWS, PANELS)
        assert folded["expanded"]
        boxes = folded["boxes"]
        assert _overlap(boxes["layers"], boxes["legend"]) == 0, boxes
        assert folded["rows"]["layers"]["unreachable"] == [], folded["rows"]["layers"]


def test_the_layout_follows_a_window_resize(demo_html):
    from selenium.webdriver import ActionChains

    with chromium(width=1400, height=1100) as driver:
        _viewport(driver, 1400, 900)
        _open(driver, demo_html)
        _check_layout(driver.execute_script(_PANELS_AND_ROWS, PANELS), (1400, 900), expanded=False)
        for size in [(800, 500), (1024, 600)]:
            _viewport(driver, *size)
            time.sleep(0.5)
            m = driver.execute_script(_PANELS_AND_ROWS, PANELS)
            _check_layout(m, size, expanded=False)
            toggle = driver.find_element("css selector", ".leaflet-control-layers-toggle")
            ActionChains(driver).move_to_element(toggle).perform()
            time.sleep(0.3)
            _check_layout(driver.execute_script(_PANELS_AND_ROWS, PANELS), size, expanded=True)
            # the pointer leaves: the list closes and the legend gets its room back
            ActionChains(driver).move_by_offset(-420, 0).perform()
            time.sleep(0.3)
            again = driver.execute_script(_PANELS_AND_ROWS, PANELS)
            _check_layout(again, size, expanded=False)
            assert abs(again["boxes"]["legend"]["top"] - m["boxes"]["legend"]["top"]) < 1
