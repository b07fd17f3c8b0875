"""CSV outputs never carry a cell a spreadsheet would run as a formula (OWASP CSV injection).

The expected cells are written out by hand from the OWASP rule: a cell starting with
``=``, ``+``, ``-``, ``@``, TAB or CR gets a leading ``'``; a plain number keeps its text.
"""

from __future__ import annotations

import csv
import json

import pandas as pd
import pyarrow as pa
import pytest
from hostile import cli

from suigeo.io.cells import neutralise_cell, neutralise_frame, neutralise_table

HOSTILE = "=cmd|' /C calc'!A0"
CASES = [
    (HOSTILE, "'=cmd|' /C calc'!A0"),
    ("+86 20 8888", "'+86 20 8888"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(1+9)*cmd|' /C calc'!A0", "'@SUM(1+9)*cmd|' /C calc'!A0"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("-3.5", "-3.5"),  # a negative number stays a number
    ("+1e3", "+1e3"),
    ("-.5", "-.5"),
    ("-", "'-"),
    ("广州塔", "广州塔"),
    ("a=b", "a=b"),  # only the first character counts
    ("", ""),
]


@pytest.mark.parametrize(("cell", "safe"), CASES)
def test_neutralise_cell_follows_the_owasp_rule(cell, safe):
    assert neutralise_cell(cell) == safe


def test_frames_and_tables_keep_numbers_and_fix_text_and_headers():
    df = pd.DataFrame(
        {"id": [c for c, _ in CASES], "v": [-1.5] * len(CASES), "=h": range(len(CASES))}
    )
    safe = [s for _, s in CASES]
    out = neutralise_frame(df)
    assert list(out["id"]) == safe and list(out["v"]) == [-1.5] * len(CASES)
    assert list(out.columns) == ["id", "v", "'=h"]
    assert list(df["id"]) == [c for c, _ in CASES]  # the input frame is not modified
    table = neutralise_table(pa.Table.from_pandas(df, preserve_index=False))
    assert table.column("id").to_pylist() == safe
    assert table.column("v").to_pylist() == [-1.5] * len(CASES)
    assert table.schema.names == ["id", "v", "'=h"]


def _cells(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


@pytest.mark.parametrize("typ", [pa.string(), pa.large_string()])
def test_tables_agree_with_the_cell_rule_and_take_cells_that_are_not_utf8(typ):
    """Every cell of a table as :func:`neutralise_cell` says, in string and large_string
    columns; a cell that is not valid UTF-8 (a rejects row keeps the input's bytes) is
    looked at by its bytes, not refused."""
    cells = ["=1+1", "-3.5", "+x", "@a", "\tx", "\rx", "1e5", "-", "", "广州", "a=b", None, "+1e3"]
    table = neutralise_table(pa.table({"c": pa.array(cells, typ)}))
    assert table.column("c").to_pylist() == [neutralise_cell(c) for c in cells]
    raw = pa.array([b"=x\xff", b"ok\xfe", b"-2"], pa.binary())
    odd = pa.Array.from_buffers(pa.string(), len(raw), raw.buffers())
    got = neutralise_table(pa.table({"c": odd})).column("c").cast(pa.binary()).to_pylist()
    assert got == [b"'=x\xff", b"ok\xfe", b"-2"]


def test_rules_check_csv_report_and_rejects(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.csv").write_text(
        f'id,site_area_m2,counted_gfa_m2\n"{HOSTILE}",1000,4000\n"@bad",-3,10\n',
        encoding="utf-8",
    )
    run = cli(
        "rules", "check", "p.csv", "--ruleset", "village-industrial-2022", "--as-of",
        "2024-06-30", "--format", "csv", "-o", "out.csv", "--rejects", "rej.csv",
    )  # fmt: skip
    assert run.rc == 2 and "Traceback" not in run.err  # a row was set aside
    report = _cells(tmp_path / "out.csv")
    ids = {row[report[0].index("project")] for row in report[1:]}
    assert ids == {"'" + HOSTILE}
    rejects = _cells(tmp_path / "rej.csv")
    flat = [cell for row in rejects[1:] for cell in row]
    assert "'@bad" in flat and "@bad" not in flat
    assert not any(c[:1] and c[0] in "=+@" for row in report + rejects for c in row)


def test_crs_convert_output_and_rejects(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.csv").write_text(
        f'id,lon,lat,note\nA,113.3,23.1,"{HOSTILE}"\nB,10.0,10.0,@SUM(1)\nC,113.4,23.2,-3\n',
        encoding="utf-8",
    )
    run = cli("crs", "convert", "in.csv", "-o", "o.csv", "--from", "CGCS2000", "--to", "WGS84")
    assert run.rc == 0, run.err
    out = _cells(tmp_path / "o.csv")
    notes = [row[3] for row in out[1:]]
    assert notes == ["'" + HOSTILE, "-3"]
    rejects = _cells(tmp_path / "o.rejects.csv")
    assert rejects[1][rejects[0].index("note")] == "'@SUM(1)"


def test_access_coverage_report(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f.csv").write_text(f'name,lon,lat\n"{HOSTILE}",113.0,23.0\n', encoding="utf-8")
    (tmp_path / "t.csv").write_text("name,lon,lat\n+village,113.01,23.0\n", encoding="utf-8")
    run = cli("access", "coverage", "f.csv", "t.csv", "--km", "5", "-o", "r.csv")
    assert run.rc == 0, run.err
    cells = [c for row in _cells(tmp_path / "r.csv") for c in row]
    assert "'" + HOSTILE in cells and "'+village" in cells
    assert HOSTILE not in cells and "+village" not in cells


def test_rules_check_json_is_left_as_json(tmp_path, monkeypatch):
    """JSON is not a spreadsheet format: ids come back exactly."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.csv").write_text(
        f'id,site_area_m2,counted_gfa_m2\n"{HOSTILE}",1000,4000\n', encoding="utf-8"
    )
    argv = ["rules", "check", "p.csv", "--ruleset", "village-industrial-2022"]
    run = cli(*argv, "--as-of", "2024-06-30", "--format", "json")
    assert {r["project"] for r in json.loads(run.out)["results"]} == {HOSTILE}
