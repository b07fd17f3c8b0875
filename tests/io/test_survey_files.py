"""Survey files as offices hand them over: Excel sheets, 南方CASS .dat, 点号,X,Y,H sheets with
the northing called X, GeoPackage layers with Chinese names; and ``crs point`` saying
"swapped?". Expected coordinates come from PROJ directly (:mod:`tests.crs.crs_refs`)."""

from __future__ import annotations

import csv

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from suigeo.cli import main
from suigeo.crs.batch import convert_file
from suigeo.errors import InputError
from suigeo.io.csvtable import read_csv
from tests.crs.crs_refs import tmerc
from tests.io.excel_files import write_xlsx

GK = "CGCS2000-3GK-CM114"
LON, LAT = np.array([113.30, 113.41, 113.52]), np.array([23.10, 23.38, 23.05])
E, N = tmerc(114, 500000).transform(LON, LAT)


def _rows(path, encoding="utf-8-sig"):
    with path.open(encoding=encoding, newline="") as f:
        return list(csv.reader(f))


# -------------------------------------------------------------------------------- Excel


def _sheet():
    """点号, 经度 (number), 纬度 (numbers stored as text), 高程 (a formula and its cached value)."""
    return [
        ["点号", "经度", "纬度", "高程", "备注"],
        ["G1", float(LON[0]), ("text", repr(float(LAT[0]))), ("=", "10+2.3", 12.3), "石门"],
        ["G2", float(LON[1]), ("text", repr(float(LAT[1]))), 7, None],
        ["G3", float(LON[2]), ("text", repr(float(LAT[2]))), ("=", "B4*0", 0.0), "备注，逗号"],
    ]


def test_excel_cells_are_read_as_excel_shows_them(tmp_path):
    book = write_xlsx(tmp_path / "控制点.xlsx", {"坐标": _sheet(), "说明": [["文字"], ["x"]]})
    t = read_csv(book)
    assert t.info.header == ("点号", "经度", "纬度", "高程", "备注")
    assert t.table.column("经度").to_pylist() == ["113.3", "113.41", "113.52"]
    assert t.table.column("纬度").to_pylist() == ["23.1", "23.38", "23.05"]  # text as stored
    assert t.table.column("高程").to_pylist() == ["12.3", "7", "0"]  # cached formula values
    assert t.table.column("备注").to_pylist() == ["石门", "", "备注，逗号"]
    assert list(t.lines()) == [2, 3, 4]  # Excel's row numbers
    assert read_csv(book, encoding="auto").info.path == book


def test_excel_sheet_option_and_errors(tmp_path, capsys):
    book = write_xlsx(tmp_path / "b.xlsx", {"说明": [["文字"], ["x"]], "坐标": _sheet()})
    out = tmp_path / "o.csv"
    argv = ["crs", "convert", str(book), "-o", str(out), "--from", "CGCS2000", "--to", GK]
    assert main(argv) == 2  # the first sheet has no coordinates
    assert "no coordinate columns" in capsys.readouterr().err
    assert main([*argv, "--sheet", "坐标"]) == 0
    rows = _rows(out)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    assert rows[0] == ["点号", "E", "N", "高程", "备注"]
    np.testing.assert_allclose([float(r[1]) for r in rows[1:]], E, atol=1e-4, rtol=0)
    np.testing.assert_allclose([float(r[2]) for r in rows[1:]], N, atol=1e-4, rtol=0)
    out.unlink()
    assert main([*argv, "--sheet", "无"]) == 2
    assert "no sheet '无'; its sheets are '说明', '坐标'" in capsys.readouterr().err
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not a workbook")
    argv[2] = str(bad)
    assert main(argv) == 2
    assert "bad.xlsx' as an Excel workbook" in capsys.readouterr().err


# -------------------------------------------------------------------------------- CASS


def _cass_bytes() -> bytes:
    """As CASS writes a .dat: GBK, CRLF, 点名,编码,东坐标(Y),北坐标(X),高程, blank codes."""
    lines = [
        f"1,,{E[0]:.3f},{N[0]:.3f},12.300",
        f"G2,JD,{E[1]:.3f},{N[1]:.3f},11.800",
        f"测站3,,{E[2]:.3f},{N[2]:.3f},",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


def test_cass_is_read_east_first_and_written_back(tmp_path, capsys):
    dat = tmp_path / "测量.dat"
    dat.write_bytes(_cass_bytes())
    t = read_csv(dat)
    assert t.info.header == ("点名", "编码", "东坐标", "北坐标", "高程")
    assert t.table.column("点名").to_pylist() == ["1", "G2", "测站3"]
    assert t.table.column("编码").to_pylist() == ["", "JD", ""]
    out = tmp_path / "ll.csv"
    argv = ["crs", "convert", str(dat), "-o", str(out), "--from", GK, "--to", "CGCS2000"]
    assert main(argv) == 0
    rows = _rows(out)
    assert rows[0] == ["点名", "编码", "lon", "lat", "高程"]
    np.testing.assert_allclose([float(r[2]) for r in rows[1:]], LON, atol=1e-8, rtol=0)
    np.testing.assert_allclose([float(r[3]) for r in rows[1:]], LAT, atol=1e-8, rtol=0)
    # back to a CASS file: GK -> CGCS2000 -> GK keeps every point to 0.1 mm
    back = tmp_path / "back.dat"
    argv = ["crs", "convert", str(out), "-o", str(back), "--from", "CGCS2000", "--to", GK]
    assert main([*argv, "--encoding", "gbk"]) == 0
    got = [ln.split(",") for ln in back.read_bytes().decode("gbk").split("\r\n") if ln]
    assert [g[0] for g in got] == ["1", "G2", "测站3"] and [g[1] for g in got] == ["", "JD", ""]
    np.testing.assert_allclose([float(g[2]) for g in got], np.round(E, 3), atol=1e-4, rtol=0)
    np.testing.assert_allclose([float(g[3]) for g in got], np.round(N, 3), atol=1e-4, rtol=0)
    assert [g[4] for g in got] == ["12.300", "11.800", ""]
    capsys.readouterr()
    assert main([*argv[:-2], "--to", "CGCS2000", "--keep-names"]) == 2  # degrees in CASS
    assert "plane coordinates" in capsys.readouterr().err


def test_cass_row_errors_name_the_file(tmp_path, capsys):
    dat = tmp_path / "bad.dat"
    dat.write_bytes(b"1,,449443.663,2573956.479,1\r\n2,,449443.663\r\n")
    with pytest.raises(InputError, match=r"bad\.dat'.*row 2.*3 cells"):
        read_csv(dat)


# -------------------------------------------------------------------------------- X/Y sheets


def _survey_sheet(tmp_path):
    """点号,X,Y,H with X the northing (Chinese surveying), GBK as Chinese Excel saves it."""
    body = "".join(
        f"P{i},{n:.3f},{e:.3f},{10 + i}\r\n" for i, (e, n) in enumerate(zip(E, N, strict=True))
    )
    path = tmp_path / "点号XY.csv"
    path.write_bytes(("点号,X,Y,H\r\n" + body).encode("gbk"))
    return path


def test_all_swapped_stops_with_the_option_to_rerun_with(tmp_path, capsys):
    src = _survey_sheet(tmp_path)
    out = tmp_path / "o.csv"
    argv = ["crs", "convert", str(src), "-o", str(out), "--from", GK, "--to", "CGCS2000"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "all 3 rows with coordinates look swapped" in err and "--axis-order ne" in err
    assert not list(tmp_path.glob("o.*"))  # no header-only file
    assert main([*argv, "--axis-order", "ne"]) == 0
    rows = _rows(out)
    assert rows[0] == ["点号", "lat", "lon", "H"]  # X held the northing: now the latitude
    np.testing.assert_allclose([float(r[1]) for r in rows[1:]], LAT, atol=1e-8, rtol=0)
    np.testing.assert_allclose([float(r[2]) for r in rows[1:]], LON, atol=1e-8, rtol=0)
    out.unlink()
    assert main([*argv, "--axis-order", "ne", "--keep-names"]) == 0
    assert _rows(out)[0] == ["点号", "X", "Y", "H"]
    # columns named by hand the wrong way round: the message says the other way
    argv += ["--x", "X", "--y", "Y"]
    out.unlink()
    assert main(argv) == 2
    assert "rerun with --x Y --y X" in capsys.readouterr().err


def test_chinese_headers_are_understood(tmp_path):
    src = tmp_path / "c.csv"
    body = "".join(f"{i},{e:.4f},{n:.4f}\n" for i, (e, n) in enumerate(zip(E, N, strict=True)))
    src.write_text("点号,东坐标(Y),北坐标(X)\n" + body, encoding="utf-8")
    s = convert_file(src, tmp_path / "o.csv", src=GK, dst="CGCS2000")
    assert s.columns == ("东坐标(Y)", "北坐标(X)") and s.written == 3


def test_crs_point_says_swapped(capsys):
    argv = ["crs", "point", "--from", GK, "--to", "CGCS2000", f"{N[0]:.4f}", f"{E[0]:.4f}"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "swapped?" in err and "--axis-order ne" in err
    assert main([*argv, "--axis-order", "ne"]) == 0
    lon, lat = map(float, capsys.readouterr().out.split())
    assert abs(lon - LON[0]) < 1e-8 and abs(lat - LAT[0]) < 1e-8


# -------------------------------------------------------------------------------- GeoPackage


def test_geopackage_layer_names_and_types_kept(tmp_path, capsys):
    src = tmp_path / "规划.gpkg"
    polys = [shapely.box(a, b, a + 0.01, b + 0.01) for a, b in zip(LON, LAT, strict=True)]
    gpd.GeoDataFrame({"名称": ["甲", "乙", "丙"]}, geometry=polys, crs=4490).to_file(
        src, layer="地块"
    )
    gpd.GeoDataFrame({"名称": ["丁"]}, geometry=[shapely.Point(113.3, 23.1)], crs=4490).to_file(
        src, layer="村庄"
    )
    out = tmp_path / "gk.gpkg"
    argv = ["crs", "convert", str(src), "-o", str(out), "--from", "CGCS2000", "--to", GK]
    assert main([*argv[:4], str(tmp_path / "o.csv"), *argv[5:]]) == 2
    assert "2 layers ('地块', '村庄')" in capsys.readouterr().err
    assert main([*argv, "--layer", "地块"]) == 0
    info = pyogrio.read_info(out, layer="地块")
    assert [str(n) for n in pyogrio.list_layers(out)[:, 0]] == ["地块"]
    assert info["geometry_type"] == "Polygon"
    got = shapely.get_coordinates(pyogrio.read_dataframe(out).geometry)
    want = shapely.get_coordinates(pyogrio.read_dataframe(src, layer="地块").geometry)
    e, n = tmerc(114, 500000).transform(want[:, 0], want[:, 1])
    np.testing.assert_allclose(got, np.column_stack([e, n]), atol=1e-4, rtol=0)
    assert main([*argv, "--layer", "无"]) == 2
    assert "no layer '无'" in capsys.readouterr().err
    # the whole GeoPackage: every layer, names and types kept, N = M + K over all of them
    whole = tmp_path / "whole.gpkg"
    argv[4] = str(whole)
    assert main(argv) == 0
    assert "read 4, written 4, rejected 0" in capsys.readouterr().out
    assert [list(map(str, r)) for r in pyogrio.list_layers(whole)] == [
        ["地块", "Polygon"],
        ["村庄", "Point"],
    ]
    pt = pyogrio.read_dataframe(whole, layer="村庄").geometry[0]
    e, n = tmerc(114, 500000).transform(113.3, 23.1)
    assert abs(pt.x - e) < 1e-4 and abs(pt.y - n) < 1e-4
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".whole")]
