"""Print layouts: a map on a sheet of paper (PDF, or PNG at a chosen DPI) for reports and boards.

:func:`print_map` takes a map from :func:`maps.build` and lays its page out on the paper:
a title block (title, subtitle), the map in a framed box with a north arrow, a metric scale
bar and an optional graticule (lines of longitude and latitude, labelled at the frame), the
legend in a side panel, and the footer — the publication status (the 审图号, or the
internal-use note of 广州市测绘地理信息管理办法 第三十四条), the data sources and the date.
Headless Chromium prints it with ``Page.printToPDF`` — a vector PDF: lines stay paths and text
stays text — or screenshots it at ``dpi`` for a PNG. The page is checked first, as for
``--png`` (:mod:`maps.pagecheck`): a page that did not load or a blank map is an error and
nothing is written.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import folium

from suigeo.errors import InputError, OutputError
from suigeo.io.atomic import atomic_output, check_not_input
from suigeo.maps.browser import chromium
from suigeo.maps.escape import escape_text
from suigeo.maps.export import render_html
from suigeo.maps.pagecheck import check_rendered, install_probe

__all__ = ["PAPER_MM", "PrintLayout", "layout", "print_map"]

#: ISO 216 A-series sheets, portrait width × height in millimetres.
PAPER_MM = {
    "A0": (841.0, 1189.0),
    "A1": (594.0, 841.0),
    "A2": (420.0, 594.0),
    "A3": (297.0, 420.0),
    "A4": (210.0, 297.0),
}
_CSS_PX_PER_MM = 96 / 25.4  # CSS pixels are 1/96 inch


@dataclass(frozen=True)
class PrintLayout:
    """Where everything sits on the sheet, in millimetres from the top-left corner."""

    paper: str
    width: float
    height: float
    margin: float
    header: tuple[float, float, float, float]  # left, top, width, height
    frame: tuple[float, float, float, float]  # the map
    panel: tuple[float, float, float, float]  # legend
    footer: tuple[float, float, float, float]


def layout(paper: str = "A3", orientation: str = "landscape") -> PrintLayout:
    """The layout of a sheet: margins scale with the paper (10 mm on A3).

    Raises
    ------
    suigeo.errors.InputError
        Unknown paper or orientation.
    """
    key = paper.upper()
    if key not in PAPER_MM:
        raise InputError(f"unknown paper {paper!r}; choose one of: {', '.join(PAPER_MM)}")
    if orientation not in ("landscape", "portrait"):
        raise InputError(f"orientation must be landscape or portrait, not {orientation!r}")
    w, h = PAPER_MM[key]
    if orientation == "landscape":
        w, h = h, w
    k = min(w, h) / 297.0  # A3 = 1
    m = 10.0 * k
    head_h, foot_h = 20.0 * k, 20.0 * k
    panel_w = max(62.0, 80.0 * k) if orientation == "landscape" else 0.0
    gap = 5.0 * k
    top = m + head_h + gap
    body_h = h - top - gap - foot_h - m
    if orientation == "landscape":
        frame = (m, top, w - 2 * m - panel_w - gap, body_h)
        panel = (w - m - panel_w, top, panel_w, body_h)
    else:  # portrait: the legend under the map, a quarter of the body
        legend_h = body_h * 0.25
        frame = (m, top, w - 2 * m, body_h - legend_h - gap)
        panel = (m, top + frame[3] + gap, w - 2 * m, legend_h)
    return PrintLayout(
        paper=key,
        width=w,
        height=h,
        margin=m,
        header=(m, m, w - 2 * m, head_h),
        frame=frame,
        panel=panel,
        footer=(m, h - m - foot_h, w - 2 * m, foot_h),
    )


def _box(b: tuple[float, float, float, float]) -> str:
    # !important: folium styles the map div by id (width/height 100%)
    return (
        f"left:{b[0]:.2f}mm !important;top:{b[1]:.2f}mm !important;"
        f"width:{b[2]:.2f}mm !important;height:{b[3]:.2f}mm !important;"
    )


_NORTH_SVG = (
    '<svg viewBox="0 0 40 60" width="100%" height="100%" aria-label="north">'
    '<polygon points="20,4 34,48 20,38 6,48" fill="#222" stroke="#222" stroke-width="1.5"/>'
    '<polygon points="20,4 20,38 6,48" fill="#fff" stroke="#222" stroke-width="1.5"/>'
    '<text x="20" y="59" text-anchor="middle" font-size="13" font-weight="bold" '
    'font-family="Arial, sans-serif">N</text></svg>'
)


def _print_css(lay: PrintLayout) -> str:
    k = min(lay.width, lay.height) / 297.0
    return f"""
<style id="suigeo-print-css">
@page {{ size: {lay.width}mm {lay.height}mm; margin: 0; }}
html, body {{ width: {lay.width}mm; height: {lay.height}mm; margin: 0; padding: 0;
    overflow: hidden; background: #fff; -webkit-print-color-adjust: exact;
    print-color-adjust: exact; }}
.folium-map {{ position: absolute !important; {_box(lay.frame)}
    box-sizing: border-box; border: 0.35mm solid #333; }}
.suigeo-print-header {{ position: absolute; {_box(lay.header)} overflow: hidden;
    font-family: "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", Arial, sans-serif;
    color: #111; border-bottom: 0.5mm solid #333; box-sizing: border-box; }}
.suigeo-print-title {{ font-size: {20 * k:.1f}pt; font-weight: bold; line-height: 1.2; }}
.suigeo-print-subtitle {{ font-size: {11 * k:.1f}pt; color: #333; margin-top: 1mm; }}
.suigeo-print-panel {{ position: absolute; {_box(lay.panel)} overflow: hidden;
    box-sizing: border-box; border: 0.35mm solid #333; padding: 2mm; }}
.suigeo-print-panel .suigeo-legend {{ box-shadow: none; max-height: none; overflow: visible;
    background: none; padding: 0; font-size: {10 * k:.1f}pt; }}
.suigeo-print-panel .suigeo-legend-item {{ white-space: normal; align-items: flex-start; }}
.suigeo-print-panel .suigeo-legend-title {{ font-size: {12 * k:.1f}pt; }}
.suigeo-print-panel.suigeo-portrait .suigeo-legend {{ column-count: 2; }}
.suigeo-print-footer {{ position: absolute; {_box(lay.footer)} overflow: hidden;
    box-sizing: border-box; border-top: 0.35mm solid #333; padding-top: 1mm; }}
.suigeo-print-footer .suigeo-footer {{ box-shadow: none; max-width: none; background: none;
    padding: 0; font-size: {8.5 * k:.1f}pt; }}
.suigeo-print-footer .suigeo-internal {{ font-size: {10 * k:.1f}pt; }}
.leaflet-control-zoom, .leaflet-control-layers, .suigeo-title {{ display: none !important; }}
.leaflet-control-scale-line {{ font-size: {9 * k:.1f}pt; border-width: 0 2px 2px;
    border-color: #222; background: rgba(255, 255, 255, 0.85); }}
.leaflet-control-attribution {{ font-size: {6.5 * k:.1f}pt; }}
.suigeo-north {{ width: {12 * k:.1f}mm; height: {18 * k:.1f}mm;
    background: rgba(255, 255, 255, 0.8); padding: 1mm; border-radius: 1mm; }}
.suigeo-grat-label {{ position: absolute; font: {7 * k:.1f}pt Arial, sans-serif; color: #444;
    background: rgba(255, 255, 255, 0.8); padding: 0 1px; white-space: nowrap; }}
</style>
"""


# Runs after the map and its controls exist: move the legend and footer out of the map into
# the sheet, add the north arrow (a control, so labels keep clear of it), refit to the focus,
# draw the graticule, then lay the labels out again.
_PRINT_JS = """
<script id="suigeo-print-js">
(function () {
    var cfg = %(cfg)s;
    var map = Object.values(window).find(function (v) { return v instanceof L.Map; });
    var header = document.createElement("div");
    header.className = "suigeo-print-header";
    var t = document.createElement("div");
    t.className = "suigeo-print-title";
    var oldTitle = document.querySelector(".suigeo-title");
    t.innerHTML = cfg.title !== null ? cfg.title : (oldTitle ? oldTitle.innerHTML : "");
    header.appendChild(t);
    if (cfg.subtitle) {
        var st = document.createElement("div");
        st.className = "suigeo-print-subtitle";
        st.innerHTML = cfg.subtitle;
        header.appendChild(st);
    }
    document.body.appendChild(header);
    var panel = document.createElement("div");
    panel.className = "suigeo-print-panel" + (cfg.portrait ? " suigeo-portrait" : "");
    var legend = document.querySelector(".suigeo-legend");
    if (legend) { panel.appendChild(legend); }
    document.body.appendChild(panel);
    var footer = document.createElement("div");
    footer.className = "suigeo-print-footer";
    var foot = document.querySelector(".suigeo-footer");
    if (foot) { footer.appendChild(foot); }
    document.body.appendChild(footer);
    if (!map) { return; }
    var north = L.control({position: "topright"});
    north.onAdd = function () {
        var d = L.DomUtil.create("div", "suigeo-north");
        d.innerHTML = cfg.north;
        return d;
    };
    north.addTo(map);
    map.invalidateSize({animate: false});
    if (window.suigeoFocus) {
        map.fitBounds(window.suigeoFocus, {padding: [30, 30], maxZoom: 14, animate: false});
    }
    if (cfg.graticule) {
        var b = map.getBounds(), span = Math.max(b.getEast() - b.getWest(),
                                                 b.getNorth() - b.getSouth());
        var steps = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10];
        var step = steps.find(function (s) { return span / s <= 8; }) || 10;
        var style = {color: "#777", weight: 0.6, opacity: 0.8, dashArray: "4 4",
                     interactive: false};
        var fmt = function (v, pos, neg) {
            var d = step < 0.1 ? 2 : 1;
            return Math.abs(v).toFixed(d) + "°" + (v >= 0 ? pos : neg);
        };
        var frame = map.getContainer();
        var lbl = function (text, x, y) {
            var e = document.createElement("div");
            e.className = "suigeo-grat-label leaflet-control";
            e.textContent = text;
            e.style.left = x + "px"; e.style.top = y + "px";
            frame.appendChild(e);
        };
        for (var x = Math.ceil(b.getWest() / step) * step; x <= b.getEast(); x += step) {
            L.polyline([[b.getSouth() - 1, x], [b.getNorth() + 1, x]], style).addTo(map);
            lbl(fmt(x, "E", "W"), map.latLngToContainerPoint([b.getNorth(), x]).x + 2, 2);
        }
        for (var y = Math.ceil(b.getSouth() / step) * step; y <= b.getNorth(); y += step) {
            L.polyline([[y, b.getWest() - 1], [y, b.getEast() + 1]], style).addTo(map);
            lbl(fmt(y, "N", "S"), 2, map.latLngToContainerPoint([y, b.getWest()]).y + 2);
        }
    }
    window.suigeoPrintReady = true;
    setTimeout(function () { if (window.suigeoLayout) { window.suigeoLayout(); } }, 50);
})();
</script>
"""


def print_page(
    m: folium.Map,
    *,
    paper: str = "A3",
    orientation: str = "landscape",
    title: str | None = None,
    subtitle: str | None = None,
    graticule: bool = False,
) -> str:
    """Return the print layout page of ``m`` (HTML): the map page with the sheet around it."""
    lay = layout(paper, orientation)
    html = render_html(m)
    cfg = {
        "title": None if title is None else escape_text(title),
        "subtitle": escape_text(subtitle) if subtitle else "",
        "graticule": bool(graticule),
        "portrait": orientation == "portrait",
        "north": _NORTH_SVG,
    }
    # JSON in a script: "</" cannot close the element
    js = _PRINT_JS % {"cfg": json.dumps(cfg, ensure_ascii=False).replace("</", "<\\/")}
    head_at, end_at = html.rfind("</head>"), html.rfind("</html>")
    if head_at < 0 or end_at < 0:
        raise OutputError("the map page has no </head> or </html>: not a folium page")
    return html[:head_at] + _print_css(lay) + html[head_at:end_at] + js + html[end_at:]


def print_map(
    m: folium.Map,
    out: str | os.PathLike[str],
    *,
    paper: str = "A3",
    orientation: str = "landscape",
    dpi: float = 200,
    title: str | None = None,
    subtitle: str | None = None,
    graticule: bool = False,
    inputs: Any = (),
) -> Path:
    """Print a map from :func:`maps.build` onto a sheet: a vector PDF or a PNG at ``dpi``.

    Parameters
    ----------
    m
        The map (its layers, legend, footer, focus and labels are used as built).
    out
        ``.pdf`` (vector, by Chromium's print-to-PDF) or ``.png`` (a screenshot of the sheet
        at ``dpi`` dots per inch).
    paper, orientation
        ISO sheet (A0-A4) and ``landscape`` or ``portrait``.
    dpi
        Resolution of a PNG (72-600); a PDF is vector and ignores it.
    title, subtitle
        The title block; the title defaults to the map's own (``build(title=)``).
    graticule
        Draw lines of longitude and latitude (CGCS2000 degrees), labelled at the frame.
    inputs
        Files the output must not overwrite.

    Returns
    -------
    pathlib.Path
        ``out``.

    Raises
    ------
    suigeo.errors.InputError
        Unknown paper, orientation or suffix; a DPI out of range.
    suigeo.maps.pagecheck.PageLoadError, suigeo.maps.pagecheck.BlankMapError
        The page did not load or the map would be blank (nothing is written).

    Examples
    --------
    >>> m = maps.build(["north8_towns"], rings=r, title="北部山区八镇")  # doctest: +SKIP
    >>> maps.print_map(m, "board.pdf", paper="A3", subtitle="30 min")  # doctest: +SKIP
    """
    suffix = Path(out).suffix.lower()
    if suffix not in (".pdf", ".png"):
        raise InputError(f"{str(out)!r}: a print is .pdf or .png, not {suffix or 'no suffix'!r}")
    if not 72 <= float(dpi) <= 600:
        raise InputError(f"dpi {dpi!r}: give 72 to 600")
    check_not_input(out, list(inputs))
    lay = layout(paper, orientation)
    page = print_page(
        m, paper=paper, orientation=orientation, title=title, subtitle=subtitle,
        graticule=graticule,
    )  # fmt: skip
    w_px = round(lay.width * _CSS_PX_PER_MM)
    h_px = round(lay.height * _CSS_PX_PER_MM)
    scale = float(dpi) / 96 if suffix == ".png" else 1.0
    with tempfile.TemporaryDirectory(prefix="suigeo-print-") as tmpdir:
        src = Path(tmpdir) / "print.html"
        src.write_text(page, encoding="utf-8")
        with chromium(width=w_px, height=h_px) as driver:
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": w_px, "height": h_px, "deviceScaleFactor": scale, "mobile": False},
            )
            install_probe(driver)
            driver.get(src.as_uri())
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if driver.execute_script("return window.suigeoPrintReady === true"):
                    break
                time.sleep(0.1)
            check_rendered(driver, repr(str(out)))
            driver.execute_script("if (window.suigeoLayout) { window.suigeoLayout(); }")
            if suffix == ".pdf":
                res = driver.execute_cdp_cmd(
                    "Page.printToPDF",
                    {
                        "paperWidth": lay.width / 25.4,
                        "paperHeight": lay.height / 25.4,
                        "marginTop": 0,
                        "marginBottom": 0,
                        "marginLeft": 0,
                        "marginRight": 0,
                        "printBackground": True,
                        "preferCSSPageSize": True,
                    },
                )
                data = base64.b64decode(res["data"])
            else:
                res = driver.execute_cdp_cmd(
                    "Page.captureScreenshot", {"format": "png", "fromSurface": True}
                )
                data = base64.b64decode(res["data"])
    with atomic_output(out, inputs=list(inputs)) as tmp:
        tmp.write_bytes(data)
    return Path(out)
