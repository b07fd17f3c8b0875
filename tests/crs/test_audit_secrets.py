"""Audit findings on secrecy: PROJ's own debug log and PROJ errors raised while fitting.

The reference is the set of distinctive values written into the files: none of them may
appear in anything the program prints or logs, even with PROJ_DEBUG=3 and Python logging
at DEBUG, and bad projection options must give exit 2 with a message, not a traceback.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer
from test_crs_secrets import SECRET_TOML, _assert_clean

from suigeo.cli import main

_LOGGED_RUN = """
import logging, sys
logging.basicConfig(level=logging.DEBUG, stream=sys.stdout)
from suigeo import crs
p = crs.load_params(sys.argv[1])
e, n = crs.transform([113.3], [23.1], src="CGCS2000", dst="GZ2000", params=p)
lon, lat, h = crs.transform(e, n, [10.0], src="GZ2000+HGZ", dst="CGCS2000+H1985", params=p)
print("done", abs(lon[0] - 113.3) < 1e-9)
"""


def test_proj_debug_log_does_not_show_the_pipeline(tmp_path):
    path = tmp_path / "gz-secret.toml"
    path.write_text(SECRET_TOML, encoding="utf-8")
    env = {**os.environ, "PROJ_DEBUG": "3"}
    run = subprocess.run(
        [sys.executable, "-c", _LOGGED_RUN, str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "done True" in run.stdout
    assert "PROJ_" in run.stdout + run.stderr  # PROJ's debug log really was on
    _assert_clean(run.stdout + run.stderr)


def _control(tmp_path, name="c.csv"):
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(113.0, 114.0, 6), rng.uniform(22.6, 23.9, 6)
    tm = Transformer.from_pipeline(
        "+proj=tmerc +lon_0=113.5 +k_0=1 +x_0=100000 +a=6378137 +rf=298.257222101"
    )
    e, n = tm.transform(lon, lat)
    lon, lat, e, n = (v.tolist() for v in (lon, lat, e, n))
    lines = ["id,src_lon,src_lat,dst_e,dst_n"]
    lines += [f"P{i},{lon[i]!r},{lat[i]!r},{e[i] + 12.5!r},{n[i] - 7.25!r}" for i in range(6)]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "options",
    [
        ["--central-meridian", "113.2834567", "--scale", "-5"],
        ["--central-meridian", "113.2834567", "--scale", "0"],
        ["--central-meridian", "113.2834567", "--scale", "1", "--latitude-of-origin", "95"],
        ["--central-meridian", "113.2834567", "--projection-height", "1e30"],
        ["--central-meridian", "nan", "--scale", "1"],
    ],
)
def test_fit_with_a_bad_projection_is_exit_2_without_values(tmp_path, capsys, options):
    out = tmp_path / "fitted.toml"
    rc = main(
        ["crs", "fit", str(_control(tmp_path)), "--model", "helmert4", *options, "-o", str(out)]
    )
    text = capsys.readouterr()
    assert rc == 2
    assert "'projection." in text.err
    assert not out.exists()  # a file load_params would refuse is never written
    _assert_clean(text.out + text.err)


def test_fitted_file_is_always_loadable(tmp_path, capsys):
    # a fit whose scale is far outside what the parameter format accepts (+20 %)
    src = _control(tmp_path)
    lines = src.read_text().splitlines()
    rows = [lines[0]]
    for line in lines[1:]:
        i, lon, lat, e, n = line.split(",")
        rows.append(f"{i},{lon},{lat},{float(e) * 1.2!r},{float(n) * 1.2!r}")
    src.write_text("\n".join(rows) + "\n")
    out = tmp_path / "fitted.toml"
    rc = main(
        [
            *("crs", "fit", str(src), "--model", "helmert4", "--central-meridian", "113.5"),
            *("--scale", "1", "--false-easting", "100000", "-o", str(out)),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2
    assert "similarity.scale_ppm" in err
    assert not out.exists()


def test_fit_base_file_errors_do_not_quote_values(tmp_path, capsys):
    base = tmp_path / "base.toml"
    base.write_text(SECRET_TOML.replace("projection_height_m = 47.891234", "scale = 876543.0"))
    rc = main(
        [
            *("crs", "fit", str(_control(tmp_path)), "--model", "helmert4"),
            *("--base", str(base), "-o", str(tmp_path / "f.toml")),
        ]
    )
    text = capsys.readouterr()
    assert rc == 2
    _assert_clean(text.out + text.err)
    assert "projection.scale" in text.err


def test_missing_parameters_message_gives_a_working_fit_command_and_example(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.delenv("SUIGEO_GZ2000_PARAMS", raising=False)
    assert main(["crs", "point", "--from", "CGCS2000", "--to", "GZ2000", "113.3", "23.1"]) == 2
    err = capsys.readouterr().err
    example = re.search(r"(\S+gz2000-example\.toml)", err).group(1)
    assert Path(example).is_absolute() and Path(example).is_file()  # wherever installed
    assert 'kind = "example"' in Path(example).read_text(encoding="utf-8")
    command = re.search(r"`suigeo (crs fit [^`]+)`", err).group(1).split()
    control = _control(tmp_path)
    out = tmp_path / "params.toml"
    filled = [
        str(control) if a == "control.csv" else str(out) if a == "params.toml" else a
        for a in command
    ]
    filled = [{"DEG": "113.5", "M": "50"}.get(a, a) for a in filled]
    assert main(filled) in (0, 1)  # the suggested command really fits
    assert out.is_file()


def test_geocentric_needs_heights_never_drops_z(tmp_path, capsys):
    # Without heights PROJ returns X, Y only (Z silently lost) and the way back lands on
    # another point: refuse. Reference: pyproj's own 3-D geocentric result.
    from suigeo import crs
    from suigeo.errors import InputError

    with pytest.raises(InputError, match="geocentric"):
        crs.transform([113.3], [23.1], src="CGCS2000", dst="CGCS2000-XYZ")
    with pytest.raises(InputError, match="geocentric"):
        crs.transform([-2321762.0], [5391071.0], src="CGCS2000-XYZ", dst="CGCS2000")
    x, y, z = crs.transform([113.3], [23.1], [10.0], src="CGCS2000", dst="CGCS2000-XYZ")
    ref = Transformer.from_crs(4490, 4479, always_xy=True).transform(113.3, 23.1, 10.0)
    np.testing.assert_allclose([x[0], y[0], z[0]], ref, rtol=0, atol=1e-6)
    inp = tmp_path / "in.csv"
    inp.write_text("lon,lat,h\n113.3,23.1,10\n", encoding="utf-8")
    out = str(tmp_path / "o.csv")
    rc = main(["crs", "convert", str(inp), "-o", out, "--from", "CGCS2000", "--to", "CGCS2000-XYZ"])
    assert rc == 2 and "--h" in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()
    rc = main(["crs", "point", "--from", "CGCS2000", "--to", "CGCS2000-XYZ", "113.3", "23.1"])
    assert rc == 2 and "geocentric" in capsys.readouterr().err
