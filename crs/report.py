"""A fit report a surveyor can file: ``crs fit --report fit.html`` (or ``fit.pdf``).

One self-contained HTML page (no script, no external asset): the model and the files, the
statistics (control points, degrees of freedom, RMS, maximum, σ0, the outlier threshold,
the outliers, the check points' RMS), a plan of the control and check points with their
residual vectors drawn to scale (an inline SVG with a scale bar for the plan and one for
the residuals), and the table of residuals with the standardised residuals.

Never the parameter values: the page is built from the residuals and the points' relative
positions only (the plan has no coordinate axes; it is drawn from the points' offsets from
their centre), so the fitted parameters appear in the parameter file alone. Every piece of
user text (point ids, file names) is HTML-escaped.

Plans: plane E, N of the projection for the 2-D and height models; for ``helmert7``, the
points' local east/north offsets (from their geocentric coordinates) with the horizontal
part of each residual (rotated into east/north; the table keeps dX, dY, dZ). A height
model's residual ``dzeta`` is drawn as a vertical arrow, up (north on the plan) for a
positive value.

``.pdf`` prints the page with headless Chromium (``Page.printToPDF``, through
:func:`suigeo.maps.browser.chromium`).
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import math
import os
import tempfile
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from suigeo.crs.fit import HEIGHT_MODELS, MIN_POINTS, ControlPoints, FitResult, components
from suigeo.errors import InputError
from suigeo.io.atomic import atomic_output

__all__ = ["report_html", "write_report"]

Floats = NDArray[np.float64]

_W, _H, _PAD = 760.0, 560.0, 40.0
_MODEL_TEXT = {
    "helmert4": "2-D four-parameter similarity (helmert4)",
    "affine6": "2-D six-parameter affine (affine6)",
    "helmert7": "3-D seven-parameter Helmert (helmert7)",
    "height-plane": "height anomaly ζ = h − H as a plane of E, N (height-plane, GPS 水准拟合)",
    "height-quadratic": "height anomaly ζ = h − H as a quadratic surface of E, N "
    "(height-quadratic, GPS 水准拟合)",
}


def _nice(x: float) -> float:
    """The largest 1, 2 or 5 x 10^k not above ``x`` (``x`` > 0)."""
    k = math.floor(math.log10(x))
    for m in (5.0, 2.0, 1.0):
        if m * 10**k <= x:
            return m * 10**k
    return 10.0 ** (k - 1) * 5  # pragma: no cover


def _length_text(metres: float) -> str:
    if metres >= 1000:
        return f"{metres / 1000:g} km"
    if metres >= 1:
        return f"{metres:g} m"
    if metres >= 0.01:
        return f"{metres * 100:g} cm"
    return f"{metres * 1000:g} mm"


def _plane(model: str, pts: ControlPoints) -> Floats:
    """Plan positions (metres, any origin) of the points."""
    if pts.src.shape[1] == 2:
        return pts.src
    lon, lat = _lonlat(pts)
    lat0 = math.radians(float(np.mean(lat)))
    r = 6371008.7714
    e = np.radians(lon - np.mean(lon)) * r * math.cos(lat0)
    n = np.radians(lat - np.mean(lat)) * r
    return np.column_stack([e, n])


def _lonlat(pts: ControlPoints) -> tuple[Floats, Floats]:
    if pts.src_lonlat is not None:
        return pts.src_lonlat[:, 0], pts.src_lonlat[:, 1]
    x, y, z = pts.src[:, 0], pts.src[:, 1], pts.src[:, 2]
    lon = np.degrees(np.arctan2(y, x))
    lat = np.degrees(np.arctan2(z, np.hypot(x, y)))  # geocentric latitude: fine for a plan
    return lon, lat


def _vectors(model: str, pts: ControlPoints, residuals: Floats) -> Floats:
    """The residual drawn on the plan (metres east, north)."""
    if model in HEIGHT_MODELS:
        return np.column_stack([np.zeros(len(residuals)), residuals[:, 0]])
    if residuals.shape[1] == 2:
        return residuals
    lon, lat = _lonlat(pts)
    lam, phi = np.radians(lon), np.radians(lat)
    dx, dy, dz = residuals[:, 0], residuals[:, 1], residuals[:, 2]
    e = -np.sin(lam) * dx + np.cos(lam) * dy
    n = -np.sin(phi) * np.cos(lam) * dx - np.sin(phi) * np.sin(lam) * dy + np.cos(phi) * dz
    return np.column_stack([e, n])


def _svg(
    model: str,
    result: FitResult,
    control: ControlPoints,
    check: ControlPoints | None,
) -> str:
    pos = [_plane(model, control)]
    vec = [_vectors(model, control, result.residuals)]
    if check is not None and result.check is not None:
        pos.append(_plane(model, check))
        vec.append(_vectors(model, check, result.check.residuals))
    allpos = np.vstack(pos)
    centre = (allpos.min(axis=0) + allpos.max(axis=0)) / 2
    span = float(max(np.ptp(allpos[:, 0]), np.ptp(allpos[:, 1]), 1.0))
    plot_h = _H - 2 * _PAD - 50  # room for the scale bars
    px_per_m = min(_W - 2 * _PAD, plot_h) / span
    biggest = float(max(np.hypot(v[:, 0], v[:, 1]).max() for v in vec))
    # residuals: the largest drawn some 60 px long, on a round scale
    res_bar_m = _nice(biggest) if biggest > 0 else 0.01
    res_px_per_m = 60.0 / (biggest if biggest > 0 else res_bar_m)
    res_bar_px = res_bar_m * res_px_per_m
    plan_bar_m = _nice(span / 4)
    plan_bar_px = plan_bar_m * px_per_m

    def xy(p: Floats) -> tuple[float, float]:
        x = _W / 2 + (p[0] - centre[0]) * px_per_m
        y = _PAD + plot_h / 2 - (p[1] - centre[1]) * px_per_m
        return x, y

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W:.0f}" height="{_H:.0f}" '
        f'viewBox="0 0 {_W:.0f} {_H:.0f}" style="max-width:100%;height:auto" role="img" '
        'aria-label="plan of the points with '
        'residual vectors">',
        "<defs>"
        '<marker id="ah" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="context-stroke"/></marker></defs>',
        f'<rect x="0.5" y="0.5" width="{_W - 1:.0f}" height="{_H - 1:.0f}" fill="#fff" '
        'stroke="#999"/>',
        '<text x="12" y="22" font-size="13">N ↑</text>',
    ]
    outliers = result.outliers
    kinds = ["control", "check"]
    ids_list = [control.ids, check.ids if check is not None else []]
    for k, (p_arr, v_arr) in enumerate(zip(pos, vec, strict=True)):
        for i, (p, v) in enumerate(zip(p_arr, v_arr, strict=True)):
            x, y = xy(p)
            bad = k == 0 and bool(outliers[i])
            colour = "#c00" if bad else ("#1f5fa8" if k == 0 else "#2a7d2a")
            ident = html.escape(str(ids_list[k][i]))
            if kinds[k] == "control":
                out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>')
            else:
                out.append(
                    f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" '
                    f'fill="none" stroke="{colour}" stroke-width="1.5"/>'
                )
            x2, y2 = x + v[0] * res_px_per_m, y - v[1] * res_px_per_m
            if math.hypot(x2 - x, y2 - y) >= 0.5:
                out.append(
                    f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                    f'stroke="{colour}" stroke-width="1.6" marker-end="url(#ah)"/>'
                )
            out.append(
                f'<text x="{x + 6:.1f}" y="{y - 6:.1f}" font-size="11" fill="{colour}">'
                f"{ident}</text>"
            )
    y0 = _H - 30
    out += [
        f'<line x1="{_PAD:.0f}" y1="{y0:.0f}" x2="{_PAD + plan_bar_px:.1f}" y2="{y0:.0f}" '
        'stroke="#000" stroke-width="3"/>',
        f'<text x="{_PAD:.0f}" y="{y0 - 8:.0f}" font-size="12">plan: '
        f"{_length_text(plan_bar_m)}</text>",
        f'<line x1="{_W / 2:.0f}" y1="{y0:.0f}" x2="{_W / 2 + res_bar_px:.1f}" y2="{y0:.0f}" '
        'stroke="#c60" stroke-width="3"/>',
        f'<text x="{_W / 2:.0f}" y="{y0 - 8:.0f}" font-size="12">residuals: '
        f"{_length_text(res_bar_m)}</text>",
        "</svg>",
    ]
    return "\n".join(out)


_CSS = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 24px;
       color: #111; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 22px; }
table { border-collapse: collapse; font-size: 12px; }
th, td { border: 1px solid #bbb; padding: 2px 8px; text-align: right; }
th:first-child, td:first-child, td.kind { text-align: left; }
tr.outlier td { color: #c00; font-weight: bold; }
.note { font-size: 12px; color: #444; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; font-size: 13px; }
dt { font-weight: bold; } dd { margin: 0; }
@page { size: A4; margin: 12mm; }
"""


def report_html(
    result: FitResult,
    control: ControlPoints,
    check: ControlPoints | None = None,
    *,
    control_name: str = "",
    check_name: str = "",
) -> str:
    """The report page (HTML text): statistics, plan with residual vectors, residual table.

    Contains no parameter value (see the module docstring).
    """
    model = result.model
    comps = components(model)
    esc = html.escape
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    outlier_ids = [str(i) for i, o in zip(result.ids, result.outliers, strict=True) if o]
    stats = [
        ("model", _MODEL_TEXT.get(model, model)),
        (
            "control points",
            f"{len(result.ids)} (minimum {MIN_POINTS[model]}) from "
            f"{control_name or 'the control file'}",
        ),
        ("degrees of freedom", str(result.degrees_of_freedom)),
        ("RMS of residuals", f"{result.rms:.4f} m"),
        ("largest residual", f"{result.max:.4f} m"),
        ("σ0 (a posteriori)", f"{result.sigma0:.4f} m"),
        ("outlier rule", f"|standardised residual| > {result.threshold:g}"),
        ("outliers", ", ".join(outlier_ids) if outlier_ids else "none"),
    ]
    if result.check is not None:
        stats.append(
            (
                "check points",
                f"{len(result.check.ids)} from {check_name or 'the check file'}: "
                f"RMS {result.check.rms:.4f} m, largest {result.check.max:.4f} m",
            )
        )
    what = (
        "ζ observed minus ζ fitted (= normal height computed minus levelled)"
        if model in HEIGHT_MODELS
        else "target minus fitted"
    )
    rows = []
    for ident, v, w, bad in zip(
        result.ids, result.residuals, result.standardised, result.outliers, strict=True
    ):
        cells = "".join(f"<td>{c:+.4f}</td>" for c in v)
        wmax = float(np.abs(w).max())
        flag = "OUTLIER" if bad else ""
        rows.append(
            f'<tr class="{"outlier" if bad else ""}"><td>{esc(str(ident))}</td>'
            f'<td class="kind">control</td>{cells}<td>{float(np.sqrt((v**2).sum())):.4f}</td>'
            f"<td>{wmax:.2f}</td><td>{flag}</td></tr>"
        )
    if result.check is not None:
        for ident, v in zip(result.check.ids, result.check.residuals, strict=True):
            cells = "".join(f"<td>{c:+.4f}</td>" for c in v)
            rows.append(
                f'<tr><td>{esc(str(ident))}</td><td class="kind">check</td>{cells}'
                f"<td>{float(np.sqrt((v**2).sum())):.4f}</td><td></td><td></td></tr>"
            )
    head = "".join(f"<th>{c} (m)</th>" for c in comps)
    plan_note = (
        "Vertical arrows: dzeta, up for a positive value."
        if model in HEIGHT_MODELS
        else "helmert7: the horizontal (east, north) part of each residual."
        if model == "helmert7"
        else "Arrows: the residual vector (dE, dN)."
    )
    stat_html = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in stats)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>suigeo fit report: {esc(model)}</title>
<style>{_CSS}</style></head>
<body>
<h1>Fit report: {esc(model)}</h1>
<p class="note">suigeo crs fit, {now}. The fitted parameters are not shown in this report;
they are in the parameter file only (treat it like the official parameters).</p>
<h2>Statistics</h2>
<dl>{stat_html}</dl>
<h2>Plan of the points</h2>
<p class="note">● control points, □ check points, red: outliers. Residual vectors are drawn
to the residual scale, positions to the plan scale. {plan_note}</p>
{_svg(model, result, control, check)}
<h2>Residuals ({esc(what)})</h2>
<table><thead><tr><th>id</th><th>kind</th>{head}<th>|v| (m)</th><th>max|w|</th><th>flag</th>
</tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table>
</body></html>
"""


def write_report(
    result: FitResult,
    out: str | os.PathLike[str],
    control: ControlPoints,
    check: ControlPoints | None = None,
    *,
    inputs: list = (),  # type: ignore[assignment]
    control_name: str = "",
    check_name: str = "",
) -> Path:
    """Write the report to ``out``: ``.html`` (or ``.htm``), or ``.pdf`` printed by headless
    Chromium. Atomic; never over an input."""
    suffix = Path(out).suffix.lower()
    if suffix not in (".html", ".htm", ".pdf"):
        raise InputError(f"{str(out)!r}: a fit report is .html or .pdf, not {suffix or 'none'!r}")
    page = report_html(result, control, check, control_name=control_name, check_name=check_name)
    if suffix == ".pdf":
        data = _print_pdf(page)
        with atomic_output(out, inputs=list(inputs)) as tmp:
            tmp.write_bytes(data)
    else:
        with atomic_output(out, inputs=list(inputs)) as tmp:
            tmp.write_text(page, encoding="utf-8")
    return Path(out)


def _print_pdf(page: str) -> bytes:
    from suigeo.maps.browser import chromium

    with tempfile.TemporaryDirectory(prefix="suigeo-report-") as tmpdir:
        src = Path(tmpdir) / "report.html"
        src.write_text(page, encoding="utf-8")
        with chromium(width=900, height=1200) as driver:
            driver.get(src.as_uri())
            res = driver.execute_cdp_cmd(
                "Page.printToPDF",
                {"printBackground": True, "preferCSSPageSize": True},
            )
    return base64.b64decode(res["data"])
