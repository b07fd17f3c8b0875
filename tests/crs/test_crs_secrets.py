"""Parameter files: validation, and that no value ever leaks (stdout, stderr, logs,
exception text and chains), for good files and for malformed ones."""

from __future__ import annotations

import logging
import pickle
import traceback

import numpy as np
import pytest

from suigeo import crs
from suigeo.cli import main
from suigeo.errors import ParameterFileError

SECRET_TOML = """\
[suigeo]
format = "suigeo-gz2000/1"
kind = "official"
description = "SECRET-DESC-Zq7"

[helmert7]
convention = "position_vector"
tx_m = -12.3456789
ty_m = 98.7654321
tz_m = 45.6789012
rx_arcsec = 1.2345671
ry_arcsec = -2.3456712
rz_arcsec = 3.4567123
scale_ppm = 4.5678912

[projection]
central_meridian_deg = 113.2834567
latitude_of_origin_deg = 0.0
projection_height_m = 47.891234
false_easting_m = 43210.9876
false_northing_m = -2567891.2345

[similarity]
dx_m = 321.98765
dy_m = -654.32109
rotation_arcsec = 7.654321
scale_ppm = 8.7654321

[height]
model = "offset"
offset_m = 4.2567891
"""

TOKENS = [
    "12.3456789", "98.7654321", "45.6789012", "1.2345671", "2.3456712", "3.4567123",
    "4.5678912", "113.2834567", "47.891234", "43210.9876", "2567891.2345", "321.98765",
    "654.32109", "7.654321", "8.7654321", "4.2567891", "SECRET-DESC", "876543",
    # anything from a PROJ pipeline
    "+proj", "proj=", "+step", "k_0=", "x_0=", "theta=", "xy_in",
]  # fmt: skip

# (replace this, with that, the key the error must name)
MALFORMED = [
    ("scale_ppm = 8.7654321", 'scale_ppm = "8.7654321x"', "similarity.scale_ppm"),
    ("rotation_arcsec = 7.654321", "rotaton_arcsec = 7.654321", "similarity.rotaton_arcsec"),
    ("dy_m = -654.32109\n", "", "similarity.dy_m"),
    ("central_meridian_deg = 113.2834567", "central_meridian_deg = 1132.834567",
     "projection.central_meridian_deg"),
    ("latitude_of_origin_deg = 0.0", "scale = 1.00000876543", "projection.scale"),
    ('model = "offset"', 'model = "offset"\ncorrection_grid = "secret_98765432.tif"',
     "height.correction_grid"),
    ('convention = "position_vector"', 'convention = "position_vektor_876543"',
     "helmert7.convention"),
    ('kind = "official"', 'kind = "topsecret_876543"', "suigeo.kind"),
    ('format = "suigeo-gz2000/1"', 'format = "suigeo-gz2000/876543"', "suigeo.format"),
    ("[similarity]", "[similarity]\n[affine6]\na0 = 876543.21", "affine6"),
    ("tx_m = -12.3456789", "tx_m = inf", "helmert7.tx_m"),
    ("[height]", "[heigth]", "heigth"),
]  # fmt: skip

SYNTAX = [
    ("dx_m = 321.98765", "dx_m = 321.98765.5"),
    ("dx_m = 321.98765", "dx_m 321.98765"),
    ("dx_m = 321.98765", 'dx_m = "321.98765'),
]


def _assert_clean(text: str) -> None:
    for token in TOKENS:
        assert token not in text, f"secret token {token!r} leaked"


def _exception_text(exc: BaseException) -> str:
    parts = ["".join(traceback.format_exception(exc)), repr(exc)]
    seen = exc
    while seen is not None:
        parts += [str(seen), repr(seen.args)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "gz-secret.toml"
    path.write_text(SECRET_TOML, encoding="utf-8")
    return path


def _run(argv, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out + out.err + caplog.text


def test_valid_file_converts_and_nothing_leaks(secret_file, capsys, caplog, monkeypatch):
    argv = ["-v", "crs", "point", "--from", "CGCS2000+H1985", "--to", "GZ2000+HGZ"]
    code, text = _run([*argv, "--params", str(secret_file), "113.3", "23.1", "10"], capsys, caplog)
    assert code == 0, text
    _assert_clean(text)
    monkeypatch.setenv("SUIGEO_GZ2000_PARAMS", str(secret_file))
    code, text = _run(
        ["-v", "crs", "point", "--from", "GZ2000", "--to", "CGCS2000", "43210", "2555000"],
        capsys,
        caplog,
    )
    assert code == 0, text
    _assert_clean(text)


def test_loaded_parameters_hide_their_values(secret_file):
    p = crs.load_params(secret_file)
    _assert_clean(repr(p) + str(p) + str(vars(type(p))) + f"{p}")
    assert p.kind == "official" and str(secret_file) in repr(p)
    with pytest.raises(TypeError):
        pickle.dumps(p)
    # A GeoDataFrame in GZ2000 carries no CRS that could embed the parameters.
    import geopandas as gpd
    from shapely import Point

    gdf = gpd.GeoDataFrame(geometry=[Point(113.3, 23.1)], crs="EPSG:4490")
    out = crs.to_crs(gdf, "GZ2000", params=p)
    assert out.crs is None
    _assert_clean(repr(out.attrs) + out.to_json())


@pytest.mark.parametrize(("old", "new", "key"), MALFORMED)
def test_malformed_file_names_file_and_key_never_values(tmp_path, capsys, caplog, old, new, key):
    assert old in SECRET_TOML
    path = tmp_path / "gz-bad.toml"
    path.write_text(SECRET_TOML.replace(old, new, 1), encoding="utf-8")
    code, text = _run(
        ["-v", "crs", "point", "--from", "CGCS2000", "--to", "GZ2000", "--params", str(path),
         "113.3", "23.1"],
        capsys,
        caplog,
    )  # fmt: skip
    assert code == 2
    assert str(path) in text and key in text
    _assert_clean(text)
    with pytest.raises(ParameterFileError) as info:
        crs.transform([113.3], [23.1], src="CGCS2000", dst="GZ2000", params=path)
    assert key in str(info.value)
    _assert_clean(_exception_text(info.value))


@pytest.mark.parametrize(("old", "new"), SYNTAX)
def test_toml_syntax_errors_give_the_position_not_the_text(tmp_path, capsys, caplog, old, new):
    path = tmp_path / "gz-syntax.toml"
    path.write_text(SECRET_TOML.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ParameterFileError) as info:
        crs.load_params(path)
    assert "not valid TOML" in str(info.value) and "line" in str(info.value)
    _assert_clean(_exception_text(info.value))
    code, text = _run(
        ["crs", "point", "--from", "GZ2000", "--to", "CGCS2000", "--params", str(path), "1", "2"],
        capsys,
        caplog,
    )
    assert code == 2 and str(path) in text
    _assert_clean(text)


def test_mapping_errors_name_the_key(secret_file):
    import tomllib

    data = tomllib.loads(SECRET_TOML)
    data["projection"]["scale"] = 1.000012345
    with pytest.raises(ParameterFileError, match=r"projection\.scale") as info:
        crs.load_params(data)
    _assert_clean(_exception_text(info.value))


def test_unreadable_and_missing_files(tmp_path, monkeypatch):
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(SECRET_TOML.encode() + b"\n# \xff\xfe 876543\n")
    with pytest.raises(ParameterFileError, match="UTF-8") as info:
        crs.load_params(bad)
    _assert_clean(_exception_text(info.value))
    with pytest.raises(ParameterFileError, match="not found"):
        crs.load_params(tmp_path / "nope.toml")
    monkeypatch.setenv("SUIGEO_GZ2000_PARAMS", str(tmp_path / "nope.toml"))
    with pytest.raises(ParameterFileError, match="SUIGEO_GZ2000_PARAMS"):
        crs.transform([1.0], [2.0], src="GZ2000", dst="CGCS2000")


def test_missing_parameters_on_the_command_line(capsys, monkeypatch):
    monkeypatch.delenv("SUIGEO_GZ2000_PARAMS", raising=False)
    assert main(["crs", "point", "--from", "CGCS2000", "--to", "GZ2000", "113.3", "23.1"]) == 2
    err = capsys.readouterr().err
    assert "--params FILE" in err and "SUIGEO_GZ2000_PARAMS" in err and "suigeo crs fit" in err


def test_equal_files_give_equal_parameters_and_share_a_transformer(secret_file, tmp_path):
    copy = tmp_path / "copy.toml"
    copy.write_text(SECRET_TOML, encoding="utf-8")
    a, b = crs.load_params(secret_file), crs.load_params(copy)
    assert a == b and hash(a) == hash(b)
    x1 = crs.transform([113.3], [23.1], src="CGCS2000", dst="GZ2000", params=a)
    x2 = crs.transform([113.3], [23.1], src="CGCS2000", dst="GZ2000", params=b)
    np.testing.assert_array_equal(x1, x2)


def test_a_changed_file_is_read_again(secret_file):
    import os

    a = crs.load_params(secret_file)
    assert crs.load_params(str(secret_file)) is crs.load_params(str(secret_file))
    secret_file.write_text(SECRET_TOML.replace("dx_m = 321.98765", "dx_m = 321.5"), "utf-8")
    st = secret_file.stat()
    os.utime(secret_file, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    b = crs.load_params(secret_file)
    assert a != b
    xa = crs.transform([113.3], [23.1], src="CGCS2000", dst="GZ2000", params=a)
    xb = crs.transform([113.3], [23.1], src="CGCS2000", dst="GZ2000", params=b)
    assert abs(xa[0][0] - xb[0][0]) == pytest.approx(0.48765, abs=1e-6)
