"""``crs convert ... -o out.xlsx``: Excel output through suigeo.io.sheets.

References: pyproj's own transformer for the numbers, python-calamine (an independent reader)
for what Excel sees: cell types (numbers as numbers, text as text) and the header.
"""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Transformer
from python_calamine import CalamineWorkbook

from suigeo.cli import main
from suigeo.crs.batch import convert_file
from suigeo.errors import OutputError

ROWS = [("001", "白云山", 113.3, 23.1, "12.50", "=cmd|' /C calc'!A0"),
        ("002", "越秀", 113.27, 23.13, "8", "1e3"),
        ("003", "番禺", 113.38, 22.94, "-2.25", "")]  # fmt: skip


def _sheet(path):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()


def _gbk_csv(tmp_path):
    lines = ["点号,名称,经度,纬度,高程,备注"]
    lines += [",".join(str(v) for v in r) for r in ROWS]
    path = tmp_path / "控制点.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    return path


def test_numbers_are_numbers_and_headers_kept(tmp_path, capsys):
    src = _gbk_csv(tmp_path)
    out = tmp_path / "控制点_gk.xlsx"
    code = main(["crs", "convert", str(src), "-o", str(out), "--from", "CGCS2000",
                 "--to", "CGCS2000-3GK-CM114"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    rows = _sheet(out)
    assert rows[0] == ["点号", "名称", "E", "N", "高程", "备注"]
    e, n = Transformer.from_crs(4490, 4547, always_xy=True).transform(
        [r[2] for r in ROWS], [r[3] for r in ROWS]
    )
    for row, ref_e, ref_n, given in zip(rows[1:], e, n, ROWS, strict=True):
        assert row[0] == given[0] and isinstance(row[0], str)  # "001" stays text
        assert row[1] == given[1]
        assert isinstance(row[2], float) and isinstance(row[3], float)
        assert abs(row[2] - ref_e) < 6e-5 and abs(row[3] - ref_n) < 6e-5
    # a text cell is a number only when Excel would show the same text
    assert rows[1][4] == "12.50" and rows[2][4] == 8.0 and rows[3][4] == -2.25
    assert rows[1][5] == "'=cmd|' /C calc'!A0"  # no formula
    assert rows[2][5] == "1e3" and rows[3][5] == ""


def test_round_trip_through_excel(tmp_path):
    src = _gbk_csv(tmp_path)
    gk = tmp_path / "gk.xlsx"
    convert_file(src, gk, src="CGCS2000", dst="CGCS2000-3GK-CM114")
    back = tmp_path / "back.csv"
    convert_file(gk, back, src="CGCS2000-3GK-CM114", dst="CGCS2000", x="E", y="N")
    got = np.loadtxt(back, delimiter=",", skiprows=1, usecols=(2, 3), encoding="utf-8-sig")
    ref = np.array([[r[2], r[3]] for r in ROWS])
    # 0.1 mm in the sheet (4 decimals of a metre) is about 1e-9 degree
    np.testing.assert_allclose(got, ref, rtol=0, atol=2e-9)


def test_rejects_and_other_spreadsheet_suffixes(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("id,lon,lat\n1,113.3,23.1\n2,abc,23.1\n", encoding="utf-8")
    s = convert_file(src, tmp_path / "o.xlsx", src="CGCS2000", dst="CGCS2000-3GK-CM114")
    assert (s.read, s.written, s.rejected) == (2, 1, 1)
    assert len(_sheet(tmp_path / "o.xlsx")) == 2
    with pytest.raises(OutputError, match=r"\.xlsx only"):
        convert_file(src, tmp_path / "o.xls", src="CGCS2000", dst="CGCS2000-3GK-CM114")
    assert not (tmp_path / "o.xls").exists()
