"""GPS levelling fits (``crs fit --model height-plane | height-quadratic``).

References: a known anomaly surface the control points are generated from (with noise and a
planted blunder), numpy's ``lstsq`` on the raw plane coordinates as an independent
least-squares solution, and a transverse Mercator written here by hand for E, N.
"""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import numpy as np
import pytest
from crs_refs import EXAMPLE, tmerc

from suigeo import crs
from suigeo.cli import main
from suigeo.crs import fit as F
from suigeo.errors import InputError

TM = tmerc(113.5, 100000.0, -2500000.0)  # the example file's [projection]


def _surface(model: str, e: np.ndarray, n: np.ndarray) -> np.ndarray:
    de, dn = (e - 100000.0) / 1000.0, (n - 50000.0) / 1000.0  # km
    z = -3.2 + 0.002 * de - 0.001 * dn
    if model == "height-quadratic":
        z = z + 4e-5 * de * de - 3e-5 * de * dn + 2e-5 * dn * dn
    return z


def _points(model: str, n: int, seed: int, noise: float = 0.005):
    rng = np.random.default_rng(seed)
    lon = rng.uniform(113.1, 113.9, n)
    lat = rng.uniform(22.7, 23.8, n)
    e, nn = TM.transform(lon, lat)
    h = rng.uniform(5.0, 300.0, n)
    normal = h - _surface(model, e, nn) + rng.normal(0.0, noise, n)
    return lon, lat, e, nn, h, normal


def _csv(path: Path, lon, lat, h, normal, ids=None) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["点号", "B", "L", "大地高", "正常高"])
        for i in range(len(lon)):
            w.writerow([ids[i] if ids else f"G{i:02d}", lat[i], lon[i], h[i], normal[i]])
    return path


COLUMNS = {"src_lon": "L", "src_lat": "B", "src_h": "大地高", "dst_h": "正常高"}


def _lstsq_reference(model, e, n, zeta, e_new, n_new):
    """Least squares on the raw coordinates (km), independent of suigeo's centring."""

    def design(ee, nn):
        u, v = ee / 1000.0, nn / 1000.0
        cols = [np.ones_like(u), u, v]
        if model == "height-quadratic":
            cols += [u * u, u * v, v * v]
        return np.column_stack(cols)

    coef, *_ = np.linalg.lstsq(design(e, n), zeta, rcond=None)
    return design(e_new, n_new) @ coef, zeta - design(e, n) @ coef


@pytest.mark.parametrize("model,n", [("height-plane", 12), ("height-quadratic", 20)])
def test_fit_reproduces_the_surface_and_lstsq_and_is_applied(tmp_path, model, n):
    lon, lat, e, nn, h, normal = _points(model, n, seed=11)
    control = _csv(tmp_path / "ctl.csv", lon, lat, h, normal)
    out = tmp_path / "fitted.toml"
    result = F.fit_file(control, model, out, base=EXAMPLE, columns=COLUMNS)
    assert not result.outliers.any()
    # residuals equal lstsq's
    ref_pred, ref_res = _lstsq_reference(model, e, nn, h - normal, e, nn)
    np.testing.assert_allclose(result.residuals[:, 0], ref_res, rtol=0, atol=1e-7)
    # the written file converts ellipsoidal -> normal heights with the fitted surface, inside
    # the control points' extent widened by 10 % of its larger span; outside: no anomaly
    clon, clat, ce, cn, ch, _ = _points(model, 25, seed=12)
    clon, clat, ch = np.append(clon, 114.45), np.append(clat, 23.2), np.append(ch, 50.0)
    ce, cn = TM.transform(clon, clat)
    margin = 0.1 * max(np.ptp(e), np.ptp(nn))
    inside = (ce >= e.min() - margin) & (ce <= e.max() + margin)
    inside &= (cn >= nn.min() - margin) & (cn <= nn.max() + margin)
    assert not inside[-1] and inside.sum() >= 10
    _, _, got = crs.transform(clon, clat, ch, src="CGCS2000", dst="CGCS2000+H1985", params=out)
    np.testing.assert_array_equal(np.isfinite(got), inside)
    clon, clat, ce, cn, ch, got = (a[inside] for a in (clon, clat, ce, cn, ch, got))
    ref_pred, _ = _lstsq_reference(model, e, nn, h - normal, ce, cn)
    np.testing.assert_allclose(got, ch - ref_pred, rtol=0, atol=1e-6)
    # and reproduces the true surface to the noise (5 mm) level
    assert np.abs(got - (ch - _surface(model, ce, cn))).max() < 0.02
    # the way back, and HGZ with the base file's offset
    _, _, back = crs.transform(clon, clat, got, src="CGCS2000+H1985", dst="CGCS2000", params=out)
    np.testing.assert_allclose(back, ch, rtol=0, atol=1e-9)
    _, _, hgz = crs.transform(clon, clat, ch, src="CGCS2000", dst="CGCS2000+HGZ", params=out)
    np.testing.assert_allclose(hgz, got + 4.256, rtol=0, atol=1e-9)
    # the base file's plane tables are kept: GZ2000 is the example's
    ge, gn = crs.transform(clon, clat, src="CGCS2000", dst="GZ2000", params=out)
    re, rn = crs.transform(clon, clat, src="CGCS2000", dst="GZ2000", params=EXAMPLE)
    np.testing.assert_array_equal(ge, re)
    np.testing.assert_array_equal(gn, rn)
    doc = tomllib.loads(out.read_text(encoding="utf-8"))
    assert doc["height"]["anomaly_model"] == F.HEIGHT_MODELS[model]
    assert doc["suigeo"]["kind"] == "fitted" and "similarity" in doc


def test_a_planted_blunder_is_flagged_and_only_it(tmp_path, capsys):
    lon, lat, _, _, h, normal = _points("height-plane", 15, seed=3)
    normal[6] += 0.15  # a levelling blunder of 15 cm
    control = _csv(tmp_path / "ctl.csv", lon, lat, h, normal)
    out = tmp_path / "fitted.toml"
    cols = ",".join(f"{k}={v}" for k, v in COLUMNS.items())
    code = main(
        ["crs", "fit", str(control), "--model", "height-plane", "--base", str(EXAMPLE),
         "--columns", cols, "-o", str(out)]
    )  # fmt: skip
    text = capsys.readouterr().out
    assert code == 1
    flagged = [ln.split()[0] for ln in text.splitlines() if ln.endswith("OUTLIER")]
    assert flagged == ["G06"]
    assert "dzeta" in text and "anomaly_a" not in text


def test_check_points_and_projection_options(tmp_path):
    lon, lat, e, nn, h, normal = _points("height-plane", 10, seed=5)
    control = _csv(tmp_path / "ctl.csv", lon[:7], lat[:7], h[:7], normal[:7])
    check = _csv(tmp_path / "chk.csv", lon[7:], lat[7:], h[7:], normal[7:])
    projection = F.Projection(
        central_meridian_deg=113.5, scale=1.0, false_easting_m=100000.0,
        false_northing_m=-2500000.0,
    )  # fmt: skip
    r = F.fit_file(
        control, "height-plane", tmp_path / "o.toml", projection=projection, check=check,
        columns=COLUMNS,
    )  # fmt: skip
    ref_pred, _ = _lstsq_reference("height-plane", e[:7], nn[:7], (h - normal)[:7], e[7:], nn[7:])
    assert r.check is not None
    np.testing.assert_allclose(r.check.residuals[:, 0], (h - normal)[7:] - ref_pred, atol=1e-7)


@pytest.mark.parametrize("model,n,minimum", [("height-plane", 3, 4), ("height-quadratic", 6, 7)])
def test_minimum_points(tmp_path, model, n, minimum):
    lon, lat, _, _, h, normal = _points(model, n, seed=1)
    control = _csv(tmp_path / "ctl.csv", lon, lat, h, normal)
    with pytest.raises(InputError, match=f"at least {minimum} control points"):
        F.fit_file(control, model, tmp_path / "o.toml", base=EXAMPLE, columns=COLUMNS)
    assert not (tmp_path / "o.toml").exists()


def test_points_on_one_line_are_refused(tmp_path):
    path = tmp_path / "ctl.csv"
    rows = [f"P{i},{100000 + 500 * i},{50000 + 250 * i},30,33" for i in range(6)]
    path.write_text("id,src_e,src_n,src_h,dst_h\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="lie on one line"):
        F.fit_file(path, "height-plane", tmp_path / "o.toml", base=EXAMPLE)


def test_heights_columns_are_required(tmp_path):
    path = tmp_path / "ctl.csv"
    path.write_text("id,src_lon,src_lat,src_h\nA,113.3,23.1,10\n", encoding="utf-8")
    with pytest.raises(InputError, match="dst_h"):
        F.fit_file(path, "height-plane", tmp_path / "o.toml", base=EXAMPLE)


SECRET_ANOMALY = {
    "anomaly_model": "quadratic", "anomaly_e0_m": 91234.56789, "anomaly_n0_m": 61234.98765,
    "anomaly_scale_m": 43210.98765, "anomaly_a0": -3.2345678, "anomaly_a1": 0.1234567,
    "anomaly_a2": -0.0765432, "anomaly_a3": 0.0087654, "anomaly_a4": -0.0065432,
    "anomaly_a5": 0.0054321,
}  # fmt: skip
ANOMALY_TOKENS = ["91234.5", "61234.9", "43210.9", "3.23456", "0.12345", "0.07654", "0.00876",
                  "0.00654", "0.00543", "+proj", "tmerc"]  # fmt: skip


def test_a_fitted_surface_never_leaks(tmp_path, capsys, caplog, monkeypatch):
    import logging

    lines = ['[suigeo]\nformat = "suigeo-gz2000/1"\nkind = "fitted"\n[projection]',
             "central_meridian_deg = 113.5\nscale = 1.0\nfalse_easting_m = 100000.0",
             "false_northing_m = -2500000.0\n[height]"]  # fmt: skip
    lines += [f"{k} = {v!r}" if isinstance(v, float) else f'{k} = "{v}"'
              for k, v in SECRET_ANOMALY.items()]  # fmt: skip
    path = tmp_path / "gz-h.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("PROJ_DEBUG", "3")
    caplog.set_level(logging.DEBUG)
    code = main(["-vv", "crs", "point", "--from", "CGCS2000", "--to", "CGCS2000+H1985",
                 "--params", str(path), "113.3", "23.1", "10"])  # fmt: skip
    out = capsys.readouterr()
    text = out.out + out.err + caplog.text
    assert code == 0, text
    # the value printed is the height, computed by the surface from a hand-written reference
    e, n = TM.transform(113.3, 23.1)
    u = (e - SECRET_ANOMALY["anomaly_e0_m"]) / SECRET_ANOMALY["anomaly_scale_m"]
    v = (n - SECRET_ANOMALY["anomaly_n0_m"]) / SECRET_ANOMALY["anomaly_scale_m"]
    a = [SECRET_ANOMALY[f"anomaly_a{i}"] for i in range(6)]
    zeta = a[0] + a[1] * u + a[2] * v + a[3] * u * u + a[4] * u * v + a[5] * v * v
    assert abs(float(out.out.split()[2]) - (10 - zeta)) < 1e-4
    for token in ANOMALY_TOKENS:
        assert token not in text, token
    p = crs.load_params(path)
    assert all(t not in repr(p) for t in ANOMALY_TOKENS)
    broken = tmp_path / "gz-bad.toml"
    broken.write_text(path.read_text(encoding="utf-8").replace("anomaly_a5", "anomaly_a9"),
                      encoding="utf-8")  # fmt: skip
    code = main(["crs", "point", "--from", "CGCS2000", "--to", "CGCS2000+H1985",
                 "--params", str(broken), "113.3", "23.1", "10"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "height.anomaly_a9" in err
    for token in ANOMALY_TOKENS:
        assert token not in err, token
