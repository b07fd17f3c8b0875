"""Never a blank picture: check a map page in headless Chromium before it becomes a PNG or PDF.

:func:`install_probe` runs before any script of the page and records every resource that
fails to load (scripts, stylesheets, tiles) and every uncaught script error.
:func:`check_rendered` then waits for the tiles to settle and checks, in order:

1. the page loaded: no required script or stylesheet failed, Leaflet is there and a map
   (an ``L.Map`` with its container) exists — else :class:`PageLoadError`;
2. each tile source that could not be reached is a warning naming its host (the picture
   goes on without it);
3. the picture is not blank: in a screenshot of the map area, with the map's panels (title,
   legend, layer control, footer, scale bar, attribution) masked out, at least
   :data:`MIN_INK_PX` pixels differ from the background colour — else
   :class:`BlankMapError`.

The screenshot is decoded in the page itself (an ``<img>`` from a ``data:`` URI drawn on a
canvas), so no imaging library is needed.
"""

from __future__ import annotations

import base64
import logging
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from suigeo.errors import OutputError

__all__ = [
    "MIN_INK_PX",
    "BlankMapError",
    "PageLoadError",
    "PageReport",
    "check_rendered",
    "install_probe",
]

log = logging.getLogger(__name__)

#: Fewest non-background pixels (channel difference > :data:`INK_TOLERANCE`) in the map area
#: for a picture to count as drawn. A single circle marker of radius 5 with its outline
#: covers about 100 pixels; a page where nothing was drawn has 0.
MIN_INK_PX = 40
#: Largest per-channel difference (0-255) still counted as background (anti-aliasing, JPEG-
#: free PNG: the background is exact, so a small tolerance suffices).
INK_TOLERANCE = 12


class PageLoadError(OutputError):
    """The map page did not load in the browser (a required script failed, no Leaflet map)."""


class BlankMapError(OutputError):
    """The rendered map area would be blank: nothing drawn on the background."""


_PROBE = """
(function () {
    var s = window.__suigeoProbe = {failed: [], errors: []};
    window.addEventListener("error", function (ev) {
        var t = ev.target;
        if (t && t !== window && (t.src || t.href)) {
            s.failed.push({tag: t.tagName, url: String(t.src || t.href),
                           tile: !!(t.classList && t.classList.contains("leaflet-tile"))});
        } else if (ev.message) {
            s.errors.push(String(ev.message));
        }
    }, true);
})();
"""

_STATE = """
var s = window.__suigeoProbe || {failed: [], errors: [], missing: true};
var hasL = typeof window.L !== "undefined" && !!window.L.Map;
var map = null;
if (hasL) {
    for (var k in window) {
        try { if (window[k] instanceof L.Map) { map = window[k]; break; } } catch (e) {}
    }
}
var tiles = document.querySelectorAll("img.leaflet-tile");
var loaded = document.querySelectorAll("img.leaflet-tile.leaflet-tile-loaded").length;
var failedTiles = s.failed.filter(function (f) { return f.tile; }).length;
var box = null, panels = [];
if (map) {
    var r = map.getContainer().getBoundingClientRect();
    box = [r.left, r.top, r.width, r.height];
    var els = map.getContainer().querySelectorAll(".leaflet-control, .suigeo-title");
    panels = Array.prototype.map.call(els, function (el) {
        var q = el.getBoundingClientRect();
        // grown by the panel's shadow (box-shadow up to 5 px) and a margin
        return [q.left - 8, q.top - 8, q.width + 16, q.height + 16];
    });
}
return {probe: !s.missing, failed: s.failed, errors: s.errors, leaflet: hasL, map: !!map,
        tiles: tiles.length, tilesLoaded: loaded, tilesFailed: failedTiles,
        fontsReady: document.fonts ? document.fonts.status === "loaded" : true,
        ready: document.readyState === "complete", box: box, panels: panels,
        dpr: window.devicePixelRatio || 1};
"""

# Decode the screenshot in the page: count pixels of the map area (panels masked) that
# differ from the background (the most common colour of the area).
_INK = """
var done = arguments[arguments.length - 1];
var b64 = arguments[0], box = arguments[1], panels = arguments[2], dpr = arguments[3],
    tol = arguments[4];
var img = new Image();
img.onerror = function () { done({error: "the screenshot could not be decoded"}); };
img.onload = function () {
    var c = document.createElement("canvas");
    c.width = img.width; c.height = img.height;
    var g = c.getContext("2d", {willReadFrequently: true});
    g.drawImage(img, 0, 0);
    var x0 = Math.max(0, Math.round(box[0] * dpr)), y0 = Math.max(0, Math.round(box[1] * dpr));
    var w = Math.min(img.width - x0, Math.round(box[2] * dpr));
    var h = Math.min(img.height - y0, Math.round(box[3] * dpr));
    if (w <= 0 || h <= 0) { done({error: "the map area is empty (0 pixels)", area: 0}); return; }
    var d = g.getImageData(x0, y0, w, h).data;
    var mask = new Uint8Array(w * h);
    panels.forEach(function (p) {
        var px0 = Math.max(0, Math.floor(p[0] * dpr) - x0);
        var py0 = Math.max(0, Math.floor(p[1] * dpr) - y0);
        var px1 = Math.min(w, Math.ceil((p[0] + p[2]) * dpr) - x0);
        var py1 = Math.min(h, Math.ceil((p[1] + p[3]) * dpr) - y0);
        for (var y = py0; y < py1; y++) { mask.fill(1, y * w + px0, y * w + Math.max(px0, px1)); }
    });
    var counts = new Map(), best = 0, bg = 0, area = 0;
    for (var i = 0; i < w * h; i++) {
        if (mask[i]) continue;
        area++;
        var key = (d[4 * i] << 16) | (d[4 * i + 1] << 8) | d[4 * i + 2];
        var n = (counts.get(key) || 0) + 1;
        counts.set(key, n);
        if (n > best) { best = n; bg = key; }
    }
    var br = (bg >> 16) & 255, bgg = (bg >> 8) & 255, bb = bg & 255, ink = 0;
    for (var j = 0; j < w * h; j++) {
        if (mask[j]) continue;
        if (Math.abs(d[4 * j] - br) > tol || Math.abs(d[4 * j + 1] - bgg) > tol ||
            Math.abs(d[4 * j + 2] - bb) > tol) { ink++; }
    }
    var hex = "#" + ((1 << 24) | bg).toString(16).slice(1);
    done({ink: ink, area: area, background: hex, colours: counts.size});
};
img.src = "data:image/png;base64," + b64;
"""


@dataclass
class PageReport:
    """What :func:`check_rendered` found (also returned when everything is fine)."""

    ink_px: int = 0
    area_px: int = 0
    background: str = ""
    tiles: int = 0
    tiles_loaded: int = 0
    unreachable: list[str] = field(default_factory=list)  # tile hosts that failed
    script_errors: list[str] = field(default_factory=list)
    box: list[float] = field(default_factory=list)  # map container: left, top, width, height
    panels: list[list[float]] = field(default_factory=list)  # masked panels, same form

    @property
    def ink_share(self) -> float:
        """Share of the unmasked map area that is not background."""
        return self.ink_px / self.area_px if self.area_px else 0.0


def install_probe(driver: Any) -> None:
    """Record failed resources and script errors of every page the driver opens next."""
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _PROBE})


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else url[:80]


def _state(driver: Any) -> dict[str, Any]:
    return driver.execute_script(_STATE)


def check_rendered(driver: Any, what: str, *, timeout_s: float = 20.0) -> PageReport:
    """Wait for the page in ``driver`` to settle, then check it loaded and is not blank.

    Parameters
    ----------
    driver
        A selenium driver on the map page, opened after :func:`install_probe`.
    what
        The output being made (for messages), e.g. the PNG's path.
    timeout_s
        How long to wait for tiles and fonts before judging.

    Returns
    -------
    PageReport
        Pixel counts, tiles loaded, unreachable tile hosts.

    Raises
    ------
    PageLoadError
        A required script or stylesheet failed to load, or there is no Leaflet map.
    BlankMapError
        Nothing is drawn in the map area.
    """
    deadline = time.monotonic() + timeout_s
    st = _state(driver)
    while time.monotonic() < deadline:
        settled = st["tilesLoaded"] + st["tilesFailed"] >= st["tiles"]
        if st["ready"] and st["fontsReady"] and settled:
            break
        time.sleep(0.1)
        st = _state(driver)
    required = [f for f in st["failed"] if not f["tile"] and f["tag"] in ("SCRIPT", "LINK")]
    if required:
        urls = ", ".join(sorted({f["url"] for f in required})[:3])
        raise PageLoadError(
            f"cannot make {what}: the map page did not load: {len(required)} script(s) or "
            f"stylesheet(s) could not be fetched ({urls}); without network build the map "
            "offline (the default; drop --online / offline=False)"
        )
    if not st["leaflet"] or not st["map"] or not st["box"]:
        why = "; ".join(st["errors"][:2]) or "Leaflet did not start"
        raise PageLoadError(f"cannot make {what}: the map page has no Leaflet map ({why})")
    report = PageReport(
        tiles=int(st["tiles"]),
        tiles_loaded=int(st["tilesLoaded"]),
        script_errors=list(st["errors"]),
        box=list(st["box"]),
        panels=[list(p) for p in st["panels"]],
    )
    hosts = sorted({_host(f["url"]) for f in st["failed"] if f["tile"]})
    report.unreachable = hosts
    for host in hosts:
        log.warning(
            "%s: the tile source %s could not be reached; the picture has no basemap tiles from it",
            what,
            host,
        )
    for err in st["errors"][:3]:
        log.warning("%s: script error in the map page: %s", what, err)
    png = driver.get_screenshot_as_png()
    res = driver.execute_async_script(
        _INK,
        base64.b64encode(png).decode("ascii"),
        st["box"],
        st["panels"],
        st["dpr"],
        INK_TOLERANCE,
    )
    if res.get("error"):
        raise BlankMapError(f"cannot make {what}: {res['error']}")
    report.ink_px, report.area_px = int(res["ink"]), int(res["area"])
    report.background = str(res["background"])
    log.info(
        "%s: %d of %d map pixels drawn (%.2f%%), background %s, tiles %d/%d",
        what,
        report.ink_px,
        report.area_px,
        100 * report.ink_share,
        report.background,
        report.tiles_loaded,
        report.tiles,
    )
    if report.ink_px < MIN_INK_PX:
        tiles = f"; tile source(s) not reached: {', '.join(hosts)}" if hosts else ""
        raise BlankMapError(
            f"cannot make {what}: the map would be blank ({report.ink_px} of "
            f"{report.area_px} pixels differ from the background {report.background}){tiles}; "
            "nothing was written"
        )
    return report
