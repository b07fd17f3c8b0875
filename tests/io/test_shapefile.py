"""Shapefiles as ArcGIS writes them on a Chinese system, in and out of every command.

The ``.dbf`` files are written in GBK (GDAL, recoding through iconv), then made to look like
each kind found in offices: with a ``.cpg``, with only the language driver byte 0x4D (code
page 936) set in the ``.dbf`` header, or with neither. Coordinates are checked against PROJ
directly (:mod:`tests.crs.crs_refs`), text against the strings the files were made from.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from suigeo.cli import main
from suigeo.errors import OutputError
from suigeo.io.shapefile import read_encoding
from suigeo.io.vector import read_layer, write_vector
from tests.crs.crs_refs import EXAMPLE, tmerc

GK = "CGCS2000-3GK-CM114"
NAMES = ["石门村", "钟落潭镇", "从化区（温泉）"]
USES = ["工业用地", "村庄建设用地", "耕地"]


def _parcels() -> gpd.GeoDataFrame:
    boxes = [shapely.box(113.30 + i * 0.01, 23.10, 113.305 + i * 0.01, 23.105) for i in range(3)]
    return gpd.GeoDataFrame({"名称": NAMES, "用地": USES, "面积": [1.5, 2.25, 3.0]},
                            geometry=boxes, crs="EPSG:4490")  # fmt: skip


def arcgis_shapefile(folder: Path, kind: str) -> Path:
    """A GBK Shapefile: ``cpg`` (a .cpg saying GBK), ``ldid`` (no .cpg, byte 29 = 0x4D) or
    ``bare`` (neither: the bytes alone say GBK)."""
    path = folder / f"{kind}.shp"
    pyogrio.write_dataframe(_parcels(), path, encoding="GBK")
    if kind != "cpg":
        path.with_suffix(".cpg").unlink()
    dbf = bytearray(path.with_suffix(".dbf").read_bytes())
    dbf[29] = 0x4D if kind == "ldid" else 0x00
    path.with_suffix(".dbf").write_bytes(bytes(dbf))
    assert "石门村".encode("gbk") in dbf  # the attribute bytes are GBK
    return path


def _records(dbf: Path) -> bytes:
    """The records of a .dbf (after its header, whose date changes)."""
    data = dbf.read_bytes()
    return data[int.from_bytes(data[8:10], "little") :]


@pytest.mark.parametrize("kind", ["cpg", "ldid", "bare"])
def test_gbk_shapefiles_are_read(tmp_path, kind):
    path = arcgis_shapefile(tmp_path, kind)
    assert read_encoding(path) == "gbk"
    layer = read_layer(path)
    assert list(layer.frame["名称"]) == NAMES
    assert list(layer.frame["用地"]) == USES
    assert not list(tmp_path.glob("suigeo-*"))


@pytest.mark.parametrize("kind", ["cpg", "ldid", "bare"])
def test_convert_round_trip_keeps_coordinates_and_bytes(tmp_path, capsys, kind):
    src = arcgis_shapefile(tmp_path, kind)
    gk, back = tmp_path / "gk.shp", tmp_path / "back.shp"
    run = ["crs", "convert", "--encoding", "gbk"]
    assert main([*run, str(src), "-o", str(gk), "--from", "CGCS2000", "--to", GK]) == 0
    assert main([*run, str(gk), "-o", str(back), "--from", GK, "--to", "CGCS2000"]) == 0
    assert "read 3, written 3, rejected 0" in capsys.readouterr().out
    assert gk.with_suffix(".cpg").read_text() == "GBK"
    assert gk.with_suffix(".dbf").read_bytes()[29] == 0x4D  # for old desktop software
    assert "CGCS2000_3_Degree_GK_CM_114E" in gk.with_suffix(".prj").read_text()  # ESRI WKT
    # attributes byte for byte, through GBK both ways
    assert _records(back.with_suffix(".dbf")) == _records(src.with_suffix(".dbf"))
    # coordinates: PROJ by hand, and back to 0.1 mm
    got = pyogrio.read_dataframe(gk)
    xy = shapely.get_coordinates(pyogrio.read_dataframe(src).geometry)  # rings as stored
    e, n = tmerc(114, 500000).transform(xy[:, 0], xy[:, 1])
    assert np.allclose(shapely.get_coordinates(got.geometry), np.column_stack([e, n]), atol=1e-4)
    assert pyogrio.read_info(gk)["geometry_type"] == "Polygon"
    round_trip = shapely.get_coordinates(pyogrio.read_dataframe(back).geometry)
    assert np.abs(round_trip - xy).max() < 1e-9  # degrees: ~0.1 mm


def test_utf8_by_default_and_chinese_survives(tmp_path, capsys):
    src = arcgis_shapefile(tmp_path, "bare")
    out = tmp_path / "out.shp"
    assert main(["crs", "convert", str(src), "-o", str(out), "--from", "CGCS2000", "--to", GK]) == 0
    assert out.with_suffix(".cpg").read_text() == "UTF-8"
    assert "石门村".encode() in out.with_suffix(".dbf").read_bytes()
    assert list(read_layer(out).frame["名称"]) == NAMES


def test_no_prj_for_gz2000_and_no_stale_prj(tmp_path, capsys):
    src = arcgis_shapefile(tmp_path, "cpg")
    out = tmp_path / "gz.shp"
    out.with_suffix(".prj").write_text("an older file's projection")
    argv = ["crs", "convert", str(src), "-o", str(out), "--from", "CGCS2000", "--to", "GZ2000"]
    assert main([*argv, "--params", str(EXAMPLE)]) == 0, capsys.readouterr().err
    assert not out.with_suffix(".prj").exists()
    assert sorted(p.suffix for p in tmp_path.glob("gz.*")) == [".cpg", ".dbf", ".shp", ".shx"]
    # no parameter value reaches any file
    import tomllib

    params = tomllib.loads(EXAMPLE.read_text())
    numbers = [v for t in params.values() if isinstance(t, dict) for v in t.values()
               if isinstance(v, float) and v not in (0.0, 1.0)]  # fmt: skip
    blob = b"".join(p.read_bytes() for p in tmp_path.glob("gz.*"))
    for v in numbers:
        assert repr(v).encode() not in blob


def test_long_field_names_are_reported_not_cut(tmp_path, capsys):
    src = tmp_path / "in.gpkg"
    gdf = _parcels().rename(columns={"用地": "土地利用现状分类"})  # 24 bytes in UTF-8
    gdf.to_file(src, layer="地块")
    out = tmp_path / "out.shp"
    argv = ["crs", "convert", str(src), "-o", str(out), "--from", "CGCS2000", "--to", GK]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "'土地利用现状分类' (24 bytes)" in err and "at most 10 bytes" in err
    assert not list(tmp_path.glob("out.*")) and not list(tmp_path.glob(".out*"))
    # 用地性质: 12 bytes in UTF-8, 8 in GBK
    gdf.rename(columns={"土地利用现状分类": "用地性质"}).to_file(src, layer="地块")
    assert main(argv) == 2
    assert "'用地性质' (12 bytes)" in capsys.readouterr().err
    assert main([*argv, "--encoding", "gbk"]) == 0
    assert list(read_layer(out).frame["用地性质"]) == USES


def test_write_vector_shapefile_is_atomic(tmp_path, monkeypatch):
    out = tmp_path / "layer.shp"
    write_vector(_parcels(), out)
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".cpg", ".dbf", ".prj", ".shp", ".shx"]
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real = pyogrio.write_dataframe

    def half(gdf, path, **kw):  # writes the parts, then fails
        real(gdf, path, **kw)
        raise RuntimeError("disk gone")

    monkeypatch.setattr(pyogrio, "write_dataframe", half)
    with pytest.raises(OutputError, match=r"layer\.shp"):
        write_vector(_parcels().iloc[:1], out)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # old files intact


def test_layers_check_and_map_read_gbk_shapefiles(tmp_path, capsys):
    src = arcgis_shapefile(tmp_path, "ldid")
    html = tmp_path / "m.html"
    assert main(["map", "build", "--user-layer", str(src), "-o", str(html)]) == 0
    page = html.read_text(encoding="utf-8")
    assert "石门村" in page or "石门村".encode("unicode_escape").decode() in page
    copy = tmp_path / "copy"
    copy.mkdir()
    for p in tmp_path.glob("ldid.*"):
        shutil.copy(p, copy / p.name)
    assert read_layer(copy / "ldid.shp").frame["用地"].tolist() == USES


def test_deleted_records_are_said_not_silently_skipped(tmp_path, capsys):
    """A record dBASE marks deleted ('*') is not part of the table (GDAL, ArcGIS and QGIS skip
    it): the conversion says how many there were, on stderr, and converts the others."""
    src = arcgis_shapefile(tmp_path, "cpg")
    raw = bytearray(src.with_suffix(".dbf").read_bytes())
    start, width = int.from_bytes(raw[8:10], "little"), int.from_bytes(raw[10:12], "little")
    raw[start + width] = ord("*")  # the second of the three records
    src.with_suffix(".dbf").write_bytes(bytes(raw))
    out = tmp_path / "out.shp"
    assert main(["crs", "convert", str(src), "-o", str(out), "--from", "CGCS2000", "--to", GK]) == 0
    err = capsys.readouterr().err
    assert "1 record(s) of the .dbf are marked deleted" in err, err
    assert list(read_layer(out).frame["名称"]) == [NAMES[0], NAMES[2]]
