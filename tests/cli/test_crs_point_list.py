"""`suigeo crs list` and `suigeo crs point`, driven through suigeo.cli.main."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer

from suigeo.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "crs" / "examples" / "gz2000-example.toml"


def tmerc(lon_0, x_0, y_0=0.0):
    """Hand-written PROJ reference: CGCS2000 lon/lat -> transverse Mercator."""
    return Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        f"+step +proj=tmerc +lat_0=0 +lon_0={lon_0} +k=1 +x_0={x_0} +y_0={y_0} +ellps=GRS80"
    )


def similarity(e, n, dx, dy, rotation_arcsec, scale_ppm):
    """As documented in the example file: anticlockwise rotation, scale in ppm."""
    t = np.radians(rotation_arcsec / 3600.0)
    k = 1.0 + scale_ppm * 1e-6
    return dx + k * (e * np.cos(t) - n * np.sin(t)), dy + k * (e * np.sin(t) + n * np.cos(t))


def _out(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_shows_every_system_with_codes_kinds_and_areas(capsys):
    code, out, _ = _out(["crs", "list"], capsys)
    assert code == 0
    for name, code_text, kind in [
        ("CGCS2000", "EPSG:4490", "geographic"),
        ("CGCS2000-3GK-CM114", "EPSG:4547", "projected"),
        ("CGCS2000-3GK-Z38", "EPSG:4526", "projected"),
        ("GZ2000", "-", "projected"),
        ("GCJ02", "-", "offset"),
        ("BD09", "-", "offset"),
        ("H1985", "EPSG:5737", "height"),
        ("HGZ", "-", "height"),
    ]:
        assert re.search(rf"^{re.escape(name)}\s+{re.escape(code_text)}\s+{kind}\s", out, re.M)
    assert "112.5..114.5E 22..24.4N" in out  # GZ2000 area of use
    assert "GZ2000+HGZ" in out and "4.256" in out and "SUIGEO_GZ2000_PARAMS" in out


def test_point_to_gauss_kruger_prints_tenth_millimetres(capsys):
    code, out, _ = _out(
        ["crs", "point", "--from", "CGCS2000", "--to", "CGCS2000-3GK-CM114", "113.3", "23.1"],
        capsys,
    )
    e, n = tmerc(114, 500000).transform(113.3, 23.1)
    assert code == 0 and out.strip() == f"{e:.4f} {n:.4f}"


def test_point_to_degrees_prints_nine_decimals_and_negative_numbers_parse(capsys):
    e, n = tmerc(114, 500000).transform(113.3, 23.1)
    code, out, _ = _out(
        ["crs", "point", "--from", "EPSG:4547", "--to", "CGCS2000", f"{e!r}", f"{n!r}"], capsys
    )
    assert code == 0 and out.strip() == "113.300000000 23.100000000"
    code, out, _ = _out(
        ["crs", "point", "--from", "CGCS2000", "--to", "WGS84", "-0.5", "-1"], capsys
    )
    assert code == 0 and out.strip() == "-0.500000000 -1.000000000"


def test_point_with_heights_and_example_parameters_warns(capsys):
    code, out, err = _out(
        ["crs", "point", "--from", "CGCS2000+H1985", "--to", "GZ2000+HGZ",
         "--params", str(EXAMPLE), "113.3", "23.1", "21.5"],
        capsys,
    )  # fmt: skip
    te, tn = tmerc(113.5, 100000.0, -2500000.0).transform(113.3, 23.1)
    e, n = similarity(te, tn, 100.0, -200.0, 10.0, 5.0)
    assert code == 0 and out.strip() == f"{e:.4f} {n:.4f} {21.5 + 4.256:.4f}"
    assert "EXAMPLE" in err and "unfit for survey work" in err


def test_point_outside_the_area_of_use_warns(capsys):
    code, _, err = _out(
        ["crs", "point", "--from", "CGCS2000", "--to", "CGCS2000-3GK-CM114", "90", "23"], capsys
    )
    assert code == 0 and "outside CGCS2000's" not in err  # 90E is inside China's CGCS2000 area
    # but 24 degrees from the zone's central meridian: outside EPSG:4547's area (PROJ's db)
    w, _s, e, _n = Transformer.from_crs(4490, 4547).target_crs.area_of_use.bounds
    assert not w <= 90 <= e
    assert "outside the area of use of the target CGCS2000-3GK-CM114" in err
    code, _, err = _out(
        ["crs", "point", "--from", "CGCS2000-3GK-CM114", "--to", "CGCS2000", "100", "0"], capsys
    )
    assert code == 0 and "outside CGCS2000-3GK-CM114's area of use" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["crs", "point", "--from", "NOPE", "--to", "CGCS2000", "1", "2"],
        ["crs", "point", "--from", "CGCS2000", "--to", "CGCS2000", "x", "2"],
        ["crs", "point", "--from", "CGCS2000+H1985", "--to", "CGCS2000", "1", "2", "3"],
        ["crs", "point", "--to", "CGCS2000", "1", "2"],
    ],
)
def test_bad_point_input_is_exit_2(argv, capsys):
    assert main(argv) == 2
    assert capsys.readouterr().err


def test_point_help_shows_an_example(capsys):
    assert main(["crs", "point", "--help"]) == 0
    assert "suigeo crs point --from CGCS2000 --to CGCS2000-3GK-CM114" in capsys.readouterr().out


def test_crs_group_help_shows_examples(capsys):
    assert main(["crs", "--help"]) == 0
    out = capsys.readouterr().out
    for sub in ("list", "point --from", "convert points.csv", "fit control.csv"):
        assert f"suigeo crs {sub}" in out


def test_a_broken_env_parameter_file_does_not_stop_conversions_that_need_none(
    capsys, monkeypatch, tmp_path
):
    monkeypatch.setenv("SUIGEO_GZ2000_PARAMS", str(tmp_path / "moved-away.toml"))
    code, out, err = _out(
        ["crs", "point", "--from", "CGCS2000", "--to", "CGCS2000-3GK-CM114", "113.3", "23.1"],
        capsys,
    )
    e, n = Transformer.from_crs(4490, 4547, always_xy=True).transform(113.3, 23.1)
    assert code == 0, err
    assert out.strip() == f"{e:.4f} {n:.4f}"
    # ... but is reported where GZ2000 needs it
    code, _, err = _out(
        ["crs", "point", "--from", "CGCS2000", "--to", "GZ2000", "113.3", "23.1"], capsys
    )
    assert code == 2 and "moved-away.toml" in err


def test_convert_warns_about_example_parameters(capsys, tmp_path):
    inp = tmp_path / "in.csv"
    inp.write_text("lon,lat\n113.3,23.1\n", encoding="utf-8")
    argv = ["crs", "convert", str(inp), "-o", str(tmp_path / "o.csv"), "--from", "CGCS2000"]
    code, _, err = _out([*argv, "--to", "GZ2000", "--params", str(EXAMPLE)], capsys)
    assert code == 0 and "EXAMPLE" in err and "unfit for survey work" in err
    e, n = tmerc(113.5, 100000.0, -2500000.0).transform(113.3, 23.1)
    e, n = similarity(e, n, 100.0, -200.0, 10.0, 5.0)  # the example file's values
    row = (tmp_path / "o.csv").read_text().splitlines()[1]
    assert row == f"{e:.4f},{n:.4f}"


def test_bare_epsg_numbers_are_accepted_like_the_readme_says(capsys):
    e, n = Transformer.from_crs(4490, 4547, always_xy=True).transform(113.3, 23.1)
    for src, dst in (("4490", "4547"), ("EPSG:4490", "4547"), ("4490", "epsg:4547")):
        code, out, err = _out(["crs", "point", "--from", src, "--to", dst, "113.3", "23.1"], capsys)
        assert code == 0, err
        assert out.strip() == f"{e:.4f} {n:.4f}"
    code, out, err = _out(
        ["crs", "point", "--from", "4490+5737", "--to", "4547+5737", "113.3", "23.1", "7.5"],
        capsys,
    )
    assert code == 0, err
    assert out.strip() == f"{e:.4f} {n:.4f} 7.5000"
