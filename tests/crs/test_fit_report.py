"""The fit report (``crs fit --report``): residual vectors to scale, statistics, escaping, and
never a parameter value.

References: the control points are made by PROJ with distinctive parameters; the residuals
and statistics are recomputed here with numpy from the points and the fitted surface's
residual vectors; the drawing is measured in the SVG itself.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from pyproj import Transformer

from suigeo.cli import main
from suigeo.crs import fit as F

TM = (
    "+proj=tmerc +lat_0=0 +lon_0=113.5 +k_0=1 +x_0=100000 +y_0=-2500000 "
    "+a=6378137 +rf=298.257222101"
)
#: distinctive parameter values that must never reach the report
DX, DY, THETA = 321.98765, -654.32109, -7.654321
PROJ_ARGS = ["--central-meridian", "113.5", "--scale", "1", "--false-easting", "100000",
             "--false-northing", "-2500000"]  # fmt: skip
HOSTILE_ID = '<script>alert("x")</script>&P'


def _control(tmp_path, n=9, seed=2, blunder=3):
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(113.0, 114.0, n), rng.uniform(22.6, 23.9, n)
    e, nn = Transformer.from_pipeline(TM).transform(lon, lat)
    de, dn = Transformer.from_pipeline(
        f"+proj=helmert +x={DX} +y={DY} +theta={THETA} +s=1.0000087654321"
    ).transform(e, nn)
    de = de + rng.normal(0, 0.004, n)
    dn = dn + rng.normal(0, 0.004, n)
    de[blunder] += 0.3
    lines = ["id,src_lon,src_lat,dst_e,dst_n"]
    for i in range(n):
        ident = HOSTILE_ID if i == 0 else f"P{i:02d}"
        ident = '"' + ident.replace('"', '""') + '"'
        vals = ",".join(repr(float(v)) for v in (lon[i], lat[i], de[i], dn[i]))
        lines.append(f"{ident},{vals}")
    path = tmp_path / "control.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _fit(tmp_path, capsys, report="fit.html"):
    control = _control(tmp_path)
    out = tmp_path / "fitted.toml"
    code = main(["crs", "fit", str(control), "--model", "helmert4", "-o", str(out),
                 "--report", str(tmp_path / report), *PROJ_ARGS])  # fmt: skip
    capsys.readouterr()
    return code, control, out, tmp_path / report


def _secret_texts(out) -> list[str]:
    """Every fitted value of the parameter file in the forms a report could show it."""
    import tomllib

    doc = tomllib.loads(out.read_text(encoding="utf-8"))
    texts = []
    for key, value in doc["similarity"].items():
        v = float(value)
        texts += [repr(v), f"{v:.4f}", f"{v:.3f}", f"{v:.6g}"]
        del key
    return [*texts, "321.98", "654.32", "7.6543", "8.7654", "similarity]", "dx_m"]


def test_report_never_shows_a_parameter_and_escapes_ids(tmp_path, capsys):
    code, _, out, report = _fit(tmp_path, capsys)
    assert code == 1  # the planted blunder
    page = report.read_text(encoding="utf-8")
    for text in _secret_texts(out):
        assert text not in page, f"parameter text {text!r} in the report"
    assert "<script>" not in page and "alert(&quot;x&quot;)" in page
    assert "&lt;script&gt;" in page
    assert "OUTLIER" in page and "P03" in page


def test_report_statistics_and_residual_vectors_to_scale(tmp_path, capsys):
    control = _control(tmp_path)
    projection = F.Projection(central_meridian_deg=113.5, scale=1.0, false_easting_m=100000.0,
                              false_northing_m=-2500000.0)  # fmt: skip
    result = F.fit_file(control, "helmert4", tmp_path / "f.toml", projection=projection,
                        report=tmp_path / "r.html")  # fmt: skip
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    v = result.residuals
    norms = np.sqrt((v**2).sum(axis=1))
    assert f"{float(np.sqrt((norms**2).mean())):.4f} m" in page  # RMS
    dof = v.size - 4
    assert f"{float(np.sqrt((v**2).sum() / dof)):.4f} m" in page  # sigma0
    # residual scale bar: "residuals: L" with a bar of P px -> px per metre
    bar = re.search(
        r'<line x1="([\d.]+)" y1="[\d.]+" x2="([\d.]+)" y2="[\d.]+" stroke="#c60"', page
    )
    label = re.search(r"residuals: ([\d.]+) (mm|cm|m)</text>", page)
    assert bar and label
    unit = {"mm": 1e-3, "cm": 1e-2, "m": 1.0}[label.group(2)]
    px_per_m = (float(bar.group(2)) - float(bar.group(1))) / (float(label.group(1)) * unit)
    arrows = re.findall(
        r'<line x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)" stroke="[^"]+" '
        r'stroke-width="1.6" marker-end',
        page,
    )
    assert len(arrows) == len(result.ids)
    lengths = sorted(np.hypot(float(a[2]) - float(a[0]), float(a[3]) - float(a[1])) / px_per_m
                     for a in arrows)  # fmt: skip
    np.testing.assert_allclose(lengths, sorted(norms), rtol=0, atol=0.2 / px_per_m + 1e-6)
    # direction: the outlier's arrow points along its (dE, -dN) in screen coordinates
    worst = int(np.argmax(norms))
    ax = [a for a in arrows if abs(np.hypot(float(a[2]) - float(a[0]),
          float(a[3]) - float(a[1])) / px_per_m - norms[worst]) < 1e-3]  # fmt: skip
    dx, dy = float(ax[0][2]) - float(ax[0][0]), float(ax[0][3]) - float(ax[0][1])
    assert np.sign(dx) == np.sign(v[worst, 0]) and np.sign(dy) == -np.sign(v[worst, 1])


def test_height_fit_report_and_bad_suffix(tmp_path, capsys):
    lines = ["id,src_e,src_n,src_h,dst_h"]
    rng = np.random.default_rng(1)
    for i in range(8):
        e, n = rng.uniform(0, 20000, 2)
        zeta = -3.0 + 1e-5 * e - 2e-5 * n
        lines.append(f"H{i},{e},{n},100,{100 - zeta + rng.normal(0, 0.003)}")
    control = tmp_path / "h.csv"
    control.write_text("\n".join(lines) + "\n", encoding="utf-8")
    argv = ["crs", "fit", str(control), "-o", str(tmp_path / "h.toml"), *PROJ_ARGS]
    code = main([*argv, "--model", "height-quadratic", "--report", str(tmp_path / "h.html")])
    assert code in (0, 1)
    page = (tmp_path / "h.html").read_text(encoding="utf-8")
    assert "height-quadratic" in page and "dzeta" in page and "anomaly_a" not in page
    argv[4] = str(tmp_path / "h2.toml")
    code = main([*argv, "--model", "height-plane", "--report", str(tmp_path / "h.docx")])
    assert code == 2 and not (tmp_path / "h2.toml").exists()


@pytest.mark.browser
def test_pdf_report(tmp_path, capsys):
    _, _, out, report = _fit(tmp_path, capsys, report="fit.pdf")
    data = report.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 2000
    for text in _secret_texts(out):
        assert text.encode() not in data


def test_helmert7_report_draws_the_horizontal_residuals(tmp_path):
    from suigeo.crs.report import write_report

    rng = np.random.default_rng(4)
    lon, lat, h = rng.uniform(113, 114, 8), rng.uniform(22.6, 23.9, 8), rng.uniform(0, 300, 8)
    cart = Transformer.from_pipeline("+proj=cart +a=6378137 +rf=298.257222101")
    src = np.column_stack(cart.transform(np.radians(lon), np.radians(lat), h))
    dst = np.column_stack(
        Transformer.from_pipeline(
            "+proj=helmert +x=12.3 +y=-4.5 +z=6.7 +rx=1.1 +ry=-0.4 +rz=2.2 +s=3.3 "
            "+convention=position_vector"
        ).transform(*src.T)
    ) + rng.normal(0, 0.01, (8, 3))
    cp = F.ControlPoints(ids=[f"X{i}" for i in range(8)], src=src, dst=dst, path="x")
    result = F.fit(cp, "helmert7")
    out = write_report(result, tmp_path / "h7.html", cp)
    page = out.read_text(encoding="utf-8")
    assert page.count('stroke-width="1.6" marker-end') == 8
    assert "dX (m)" in page and "dZ (m)" in page
    for key, value in result.params["helmert7"].items():
        if key != "convention":
            assert f"{value:.4f}" not in page and repr(value) not in page, key
