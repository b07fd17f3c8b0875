"""A broken parameter file never shows its text or values: not in the message, not in a
traceback formatted with local variables (``pytest --showlocals``, error trackers), not in
``-v`` logs.

Each file holds the distinctive value 0.123456789123 (and, where it matters, more digits
of it); the formatted traceback, with every frame's locals, must not contain it.
"""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest
from hostile import EXAMPLE_PARAMS, python_m

from suigeo.crs.fit import Projection
from suigeo.crs.params import load_params
from suigeo.errors import SuigeoError

SECRET = "0.123456789123"
GOOD = EXAMPLE_PARAMS.read_text(encoding="utf-8")


def _with(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# a valid file holding the secret (its float repr is the same digits)
VALID_SECRET = _with(GOOD, "latitude_of_origin_deg = 0.0", f"latitude_of_origin_deg = {SECRET}")

BROKEN = {
    "out of range": _with(GOOD, "scale = 1.0", f"scale = {SECRET}"),
    "unknown key next to the value": VALID_SECRET + f"\n[similarity]\nfoo = {SECRET}\n",
    "text where a number belongs": _with(GOOD, "scale = 1.0", f'scale = "{SECRET}"'),
    "not TOML after the value": VALID_SECRET + "\nbroken = = 1\n",
    "400-digit integer beside the value": _with(
        VALID_SECRET, "scale = 1.0", "scale = 1" + "0" * 400
    ),
    "singular affine": VALID_SECRET
    + f"\n[affine6]\na0 = {SECRET}\na1 = 1.0\na2 = 2.0\nb0 = 0.0\nb1 = 2.0\nb2 = 4.0\n",
    "helmert7 without convention": VALID_SECRET
    + f"\n[helmert7]\ntx_m = {SECRET}\nty_m = 0.0\ntz_m = 0.0\nrx_arcsec = 0.0\n"
    "ry_arcsec = 0.0\nrz_arcsec = 0.0\nscale_ppm = 0.0\n",
    "nested too deeply after the value": VALID_SECRET + "x = " + "[" * 5000 + "]" * 5000,
}


def _formatted(load, path: Path) -> str:
    """The error of ``load(path)`` as a traceback with every frame's local variables.

    This frame holds only the path, so anything secret in the output came from suigeo.
    """
    try:
        load(path)
    except SuigeoError as exc:
        te = traceback.TracebackException.from_exception(exc, capture_locals=True)
        return "".join(te.format())
    pytest.fail(f"{path.name} loaded without an error")


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_parameter_file_shows_no_value_even_with_locals(tmp_path, case):
    path = tmp_path / "p.toml"
    path.write_text(BROKEN[case], encoding="utf-8")
    text = _formatted(load_params, path)
    assert "ParameterFileError" in text and "p.toml" in text
    assert SECRET not in text and SECRET[2:] not in text
    assert "0" * 100 not in text


@pytest.mark.parametrize("case", ["out of range", "not TOML after the value", "400-digit"])
def test_a_broken_base_file_of_crs_fit_shows_no_value_even_with_locals(tmp_path, case):
    text = {
        "out of range": _with(GOOD, "scale = 1.0", f"scale = {SECRET}"),
        "not TOML after the value": VALID_SECRET + "\nbroken = = 1\n",
        "400-digit": _with(VALID_SECRET, "scale = 1.0", "scale = 1" + "0" * 400),
    }[case]
    path = tmp_path / "b.toml"
    path.write_text(text, encoding="utf-8")

    def load(p: Path) -> None:
        from suigeo.crs.fit import fit_file

        (tmp_path / "c.csv").write_text(
            "id,src_e,src_n,dst_e,dst_n\nK1,1,1,2,2\nK2,5,1,6,2\nK3,1,5,2,6\n"
        )
        fit_file(tmp_path / "c.csv", "helmert4", tmp_path / "f.toml", base=p)

    formatted = _formatted(load, path)
    assert SECRET not in formatted and SECRET[2:] not in formatted
    assert "0" * 100 not in formatted


def test_a_valid_base_files_height_table_hides_its_values(tmp_path):
    path = tmp_path / "b.toml"
    path.write_text(_with(VALID_SECRET, "offset_m = 4.256", f"offset_m = {SECRET}"), "utf-8")
    projection, height = Projection.from_params_file(path)
    assert SECRET not in repr(projection) and SECRET not in repr(height)
    assert height["offset_m"] == float(SECRET)


def test_verbose_runs_log_no_parameter_value(tmp_path):
    """-v on a conversion with a valid secret file and on a broken one: no value in the
    logs, the messages or the output files' names."""
    (tmp_path / "p.toml").write_text(VALID_SECRET, encoding="utf-8")
    (tmp_path / "bad.toml").write_text(BROKEN["out of range"], encoding="utf-8")
    (tmp_path / "in.csv").write_text("id,lon,lat\nA,113.3,23.1\nB,10,10\n", encoding="utf-8")
    base = ["-v", "crs", "convert", "in.csv", "--from", "CGCS2000", "--to", "GZ2000"]
    ok = python_m(*base, "-o", "o.csv", "--params", "p.toml", cwd=tmp_path)
    assert ok.rc == 0, ok.err
    bad = python_m(*base, "-o", "o2.csv", "--params", "bad.toml", cwd=tmp_path)
    assert bad.rc == 2 and "Traceback" not in bad.err
    for run in (ok, bad):
        assert SECRET not in run.err and SECRET not in run.out
        assert SECRET[2:] not in run.err
