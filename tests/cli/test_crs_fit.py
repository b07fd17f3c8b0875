"""``suigeo crs fit`` driven through suigeo.cli.main; synthetic points made by PROJ."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest
from pyproj import Transformer

from suigeo.cli import main

TM = (
    "+proj=tmerc +lat_0=0 +lon_0=113.5 +k_0=1 +x_0=100000 +y_0=-2500000 "
    "+a=6378137 +rf=298.257222101"
)
HELMERT = "+proj=helmert +x=75 +y=-40 +theta=-8 +s=1.000003"
PROJ_ARGS = [
    "--central-meridian",
    "113.5",
    "--scale",
    "1",
    "--false-easting",
    "100000",
    "--false-northing",
    "-2500000",
]


def _control(tmp_path, n=8, blunder=None, name="c.csv", seed=1):
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(113.0, 114.0, n), rng.uniform(22.6, 23.9, n)
    e, nn = Transformer.from_pipeline(TM).transform(lon, lat)
    de, dn = Transformer.from_pipeline(
        "+proj=helmert +x=75 +y=-40 +theta=-8 +s=1.000003"
    ).transform(e, nn)
    de = de + rng.normal(0, 0.005, n)
    dn = dn + rng.normal(0, 0.005, n)
    if blunder is not None:
        de[blunder] += 0.25
    lines = ["id,src_lon,src_lat,dst_e,dst_n,note"]
    for i in range(n):
        vals = ",".join(repr(float(v)) for v in (lon[i], lat[i], de[i], dn[i]))
        lines.append(f"P{i:02d},{vals},kept")
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_fit_prints_residuals_not_parameters(tmp_path, capsys):
    control = _control(tmp_path)
    check = _control(tmp_path, n=4, name="k.csv", seed=2)
    out = tmp_path / "fitted.toml"
    rc = main(
        [
            "crs",
            "fit",
            str(control),
            "--model",
            "helmert4",
            "--check",
            str(check),
            "-o",
            str(out),
            *PROJ_ARGS,
        ]
    )
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    text = captured.out
    assert "P00" in text and "RMS" in text and "maximum" in text and "check RMS" in text
    assert "outliers (|w| > 3): none" in text
    doc = tomllib.loads(out.read_text())
    assert doc["suigeo"] == {
        "format": "suigeo-gz2000/1",
        "kind": "fitted",
        "description": "Fitted by suigeo crs fit (helmert4, 8 control points)",
    }
    # the fitted values are in the file and nowhere on the terminal
    for key, value in doc["similarity"].items():
        assert repr(value) not in text + captured.err, key
        assert f"{value:.3f}" not in text + captured.err, key
    assert abs(doc["similarity"]["rotation_arcsec"] - 8.0) < 0.5  # PROJ theta is clockwise
    body = out.read_text()
    assert "POSITIVE ANTICLOCKWISE" in body and "# residuals" in body


def test_outlier_exit_status_1(tmp_path, capsys):
    control = _control(tmp_path, n=10, blunder=3)
    out = tmp_path / "fitted.toml"
    rc = main(["crs", "fit", str(control), "--model", "affine6", "-o", str(out), *PROJ_ARGS])
    text = capsys.readouterr().out
    assert rc == 1
    assert "P03" in text.split("outliers")[-1]
    assert out.exists()


def test_helmert7_convention_stated(tmp_path, capsys):
    rng = np.random.default_rng(5)
    n = 6
    src = np.column_stack(
        Transformer.from_pipeline("+proj=cart +a=6378137 +rf=298.257222101").transform(
            rng.uniform(113, 114, n), rng.uniform(22.6, 23.9, n), rng.uniform(0, 100, n)
        )
    )
    dst = np.column_stack(
        Transformer.from_pipeline(
            "+proj=helmert +x=1 +y=2 +z=3 +rx=0.1 +ry=0.2 +rz=0.3 +s=1 +convention=position_vector"
        ).transform(*src.T)
    )
    lines = ["id,src_x,src_y,src_z,dst_x,dst_y,dst_z"]
    lines += [f"X{i}," + ",".join(repr(float(v)) for v in (*src[i], *dst[i])) for i in range(n)]
    control = tmp_path / "xyz.csv"
    control.write_text("\n".join(lines) + "\n")
    out = tmp_path / "f.toml"
    args = ["crs", "fit", str(control), "--model", "helmert7", "-o", str(out)]
    rc = main([*args, "--convention", "coordinate_frame", *PROJ_ARGS])
    assert rc == 0, capsys.readouterr().err
    doc = tomllib.loads(out.read_text())
    assert doc["helmert7"]["convention"] == "coordinate_frame"
    assert abs(doc["helmert7"]["rz_arcsec"] + 0.3) < 1e-6  # sign reversed from PV
    assert "COORDINATE FRAME convention" in out.read_text()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "give the transverse Mercator"),
        (["--central-meridian", "113.5"], "exactly one of scale"),
    ],
)
def test_projection_required(tmp_path, capsys, extra, message):
    control = _control(tmp_path)
    out = tmp_path / "f.toml"
    rc = main(["crs", "fit", str(control), "--model", "helmert4", "-o", str(out), *extra])
    assert rc == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_refusal_names_minimum_and_writes_nothing(tmp_path, capsys):
    control = _control(tmp_path, n=3)
    out = tmp_path / "f.toml"
    rc = main(["crs", "fit", str(control), "--model", "affine6", "-o", str(out), *PROJ_ARGS])
    err = capsys.readouterr().err
    assert rc == 2
    assert "affine6 needs at least 4 control points, got 3" in err
    assert "fit exactly" in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [control]  # no temporary file left behind


def test_bad_csv_names_file_row_column(tmp_path, capsys):
    control = _control(tmp_path)
    text = control.read_text().splitlines()
    parts = text[3].split(",")
    parts[3] = "12x"
    text[3] = ",".join(parts)
    control.write_text("\n".join(text) + "\n")
    rc = main(
        [
            "crs",
            "fit",
            str(control),
            "--model",
            "helmert4",
            "-o",
            str(tmp_path / "f.toml"),
            *PROJ_ARGS,
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2
    assert f"{control}: row 3 (line 4), column 'dst_e': '12x' is not a finite number" in err


def test_never_overwrites_input(tmp_path, capsys):
    control = _control(tmp_path)
    before = control.read_bytes()
    rc = main(["crs", "fit", str(control), "--model", "helmert4", "-o", str(control), *PROJ_ARGS])
    assert rc == 2
    assert "never overwrites an input" in capsys.readouterr().err
    assert control.read_bytes() == before


def test_help_shows_example(capsys):
    rc = main(["crs", "fit", "--help"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "suigeo crs fit control.csv --model helmert4" in out
    assert "helmert4 3, affine6 4" in out


def test_columns_map_a_survey_sheet(tmp_path, capsys):
    """A GBK sheet as surveyors keep it: 点号, X (north), Y (east), x_gz, y_gz; the mapped
    fit equals the fit of the same numbers under the English names."""
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(113.0, 114.0, 8), rng.uniform(22.6, 23.9, 8)
    e, n = Transformer.from_pipeline(TM).transform(lon, lat)
    de, dn = Transformer.from_pipeline(HELMERT).transform(e, n)
    de, dn = de + rng.normal(0, 0.005, 8), dn + rng.normal(0, 0.005, 8)
    english = ["id,src_e,src_n,dst_e,dst_n"]
    survey = ["点号,X,Y,x_gz,y_gz"]
    for i in range(8):
        v = [repr(float(x[i])) for x in (e, n, de, dn)]
        english.append(f"P{i},{v[0]},{v[1]},{v[2]},{v[3]}")
        survey.append(f"测{i},{v[1]},{v[0]},{v[3]},{v[2]}")
    a, b = tmp_path / "en.csv", tmp_path / "zh.csv"
    a.write_text("\n".join(english) + "\n", encoding="utf-8")
    b.write_bytes(("\r\n".join(survey) + "\r\n").encode("gbk"))
    fit = ["crs", "fit", "--model", "helmert4", *PROJ_ARGS]
    assert main([*fit, str(a), "-o", str(tmp_path / "a.toml")]) == 0
    columns = "src_e=Y,src_n=X,dst_e=y_gz,dst_n=x_gz"
    assert main([*fit, str(b), "--columns", columns, "-o", str(tmp_path / "b.toml")]) == 0
    out = capsys.readouterr().out
    assert "测0" in out  # 点号 is the id
    ta = tomllib.loads((tmp_path / "a.toml").read_text())
    tb = tomllib.loads((tmp_path / "b.toml").read_text())
    assert ta["similarity"] == tb["similarity"] and ta["projection"] == tb["projection"]
    assert main([*fit, str(b), "--columns", "src_e=Q", "-o", str(tmp_path / "c.toml")]) == 2
    assert "no column 'Q' (given for src_e)" in capsys.readouterr().err
    assert main([*fit, str(b), "--columns", "east=Y", "-o", str(tmp_path / "c.toml")]) == 2
    assert "unknown role 'east'" in capsys.readouterr().err
    assert main([*fit, str(b), "--columns", "src_e", "-o", str(tmp_path / "c.toml")]) == 2
