"""Shapefile -> Shapefile conversion by rewriting the .shp coordinates (crs/batch.py
``_fast_shapefile``, :mod:`suigeo.io.shp_records`) against the general path through GDAL.

The files are written by GDAL in GBK the way ArcGIS keeps them (outer rings clockwise, holes
counter-clockwise; a .cpg, or only the .dbf's language driver byte 0x4D). Each is converted
twice: as it is (the fast path, seen in the log) and with the fast path switched off (the
general path); the two outputs are read back with GDAL and compared feature by feature, bit
for bit, and with a transverse Mercator written by hand (:mod:`tests.crs.crs_refs`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

import suigeo.crs.batch as batch
from suigeo.crs.batch import convert_file
from suigeo.io.encodings import use_encoding
from tests.crs.crs_refs import tmerc

GK = "CGCS2000-3GK-CM114"
FAST = "coordinates rewritten in the .shp"


def _ring(lon, lat, r, n=7, cw=True):
    a = np.linspace(0, 2 * np.pi, n, endpoint=False) * (-1 if cw else 1)
    pts = np.column_stack([lon + r * np.cos(a), lat + r * np.sin(a)])
    return np.vstack([pts, pts[:1]])


def _geoms(kind: str) -> list:
    lon, lat = 113.3, 23.1
    if kind == "point":
        return [shapely.Point(lon + i * 0.01, lat + i * 0.003) for i in range(5)]
    if kind == "multipoint":
        return [shapely.MultiPoint([(lon + i * 0.01, lat), (lon, lat + i * 0.02 + 0.01)])
                for i in range(4)]  # fmt: skip
    if kind == "line":
        return [
            shapely.LineString([(lon, lat), (lon + 0.01, lat + 0.02), (lon + 0.03, lat)]),
            shapely.MultiLineString([[(lon, lat), (lon + 0.1, lat + 0.1)], [(lon + 0.2, lat),
                                     (lon + 0.21, lat + 0.01), (lon + 0.25, lat)]]),
        ]  # fmt: skip
    holed = shapely.Polygon(_ring(lon, lat, 0.02, 9), [_ring(lon, lat, 0.005, 5)])
    multi = shapely.MultiPolygon(
        [shapely.Polygon(_ring(lon + 0.1, lat, 0.01)), shapely.Polygon(_ring(lon + 0.2, lat, 0.01))]
    )
    plain = shapely.box(lon + 0.3, lat, lon + 0.305, lat + 0.004)
    return [holed, multi, plain]


def arcgis(folder: Path, kind: str, code_page: str = "ldid", z: bool = False) -> Path:
    """A GBK Shapefile of ``kind`` features, with a ``.cpg`` or only the 0x4D byte."""
    geoms = _geoms(kind)
    if z:
        geoms = [shapely.force_3d(g, 12.5 + i) for i, g in enumerate(geoms)]
    n = len(geoms)
    names = [f"石门村{i}号（温泉）" for i in range(n)]
    gdf = gpd.GeoDataFrame(
        {"名称": names, "用地": ["村庄建设用地"] * n, "面积": np.arange(n) * 1.5},
        geometry=geoms,
        crs="EPSG:4490",
    )
    path = folder / f"{kind}{'_z' if z else ''}_{code_page}.shp"
    pyogrio.write_dataframe(gdf, path, encoding="GBK")
    if code_page == "ldid":
        path.with_suffix(".cpg").unlink()
        dbf = bytearray(path.with_suffix(".dbf").read_bytes())
        dbf[29] = 0x4D
        path.with_suffix(".dbf").write_bytes(bytes(dbf))
    assert "石门村".encode("gbk") in path.with_suffix(".dbf").read_bytes()
    return path


def _general(monkeypatch, src: Path, out: Path, encoding: str = "gbk", **kw):
    with monkeypatch.context() as m, use_encoding(encoding):
        m.setattr(batch, "_fast_shapefile", lambda *a: False)
        return convert_file(src, out, src="CGCS2000", dst=GK, **kw)


def _convert(caplog, src: Path, out: Path, encoding: str = "gbk", **kw):
    """Convert with ``--encoding gbk`` (the output keeps the files' code page, so the fast
    path may be taken) unless ``encoding`` says otherwise."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="suigeo.crs.batch"), use_encoding(encoding):
        summary = convert_file(src, out, src="CGCS2000", dst=GK, **kw)
    return summary, FAST in caplog.text


def _same_features(a: Path, b: Path) -> None:
    fa, fb = pyogrio.read_dataframe(a), pyogrio.read_dataframe(b)
    assert list(fa.columns) == list(fb.columns)
    for col in fa.columns.drop("geometry"):
        assert fa[col].tolist() == fb[col].tolist(), col
    ga, gb = fa.geometry.values, fb.geometry.values
    assert shapely.get_type_id(ga).tolist() == shapely.get_type_id(gb).tolist()
    assert shapely.get_num_coordinates(ga).tolist() == shapely.get_num_coordinates(gb).tolist()
    ca = shapely.get_coordinates(ga, include_z=True)
    cb = shapely.get_coordinates(gb, include_z=True)
    assert ca.tobytes() == cb.tobytes()  # bit for bit, NaN z of 2-D files included
    assert shapely.equals_exact(ga, gb, 0).all()
    assert pyogrio.read_info(a)["total_bounds"] == pytest.approx(
        pyogrio.read_info(b)["total_bounds"], abs=0
    )


@pytest.mark.parametrize(
    ("kind", "code_page", "z"),
    [
        ("point", "ldid", False),
        ("line", "cpg", False),
        ("polygon", "ldid", False),
        ("polygon", "cpg", False),
        ("polygon", "ldid", True),
        ("point", "cpg", True),
        ("multipoint", "ldid", False),
        ("line", "ldid", True),
    ],
)
def test_fast_output_equals_general_and_proj(tmp_path, caplog, monkeypatch, kind, code_page, z):
    src = arcgis(tmp_path, kind, code_page, z)
    fast, slow = tmp_path / "fast.shp", tmp_path / "slow.shp"
    summary, used = _convert(caplog, src, fast)
    assert used, caplog.text
    assert (summary.read, summary.written, summary.rejected) == (len(_geoms(kind)),) * 2 + (0,)
    general = _general(monkeypatch, src, slow)
    assert (general.read, general.written, general.rejected) == (
        summary.read,
        summary.written,
        summary.rejected,
    )
    _same_features(fast, slow)
    # the attributes byte for byte, the code page said, the .prj as GDAL writes it
    # (but the language driver byte, which --encoding gbk sets as the GDAL writer does)
    got, given = fast.with_suffix(".dbf").read_bytes(), src.with_suffix(".dbf").read_bytes()
    assert got[:29] + got[30:] == given[:29] + given[30:] and got[29] == 0x4D
    assert got[29] == slow.with_suffix(".dbf").read_bytes()[29]
    assert fast.with_suffix(".cpg").read_text().upper() in ("GBK", "CP936", "936")
    assert fast.with_suffix(".prj").read_text() == slow.with_suffix(".prj").read_text()
    assert pyogrio.read_dataframe(fast)["名称"].tolist()[0] == "石门村0号（温泉）"
    # PROJ applied directly: CGCS2000 -> 3-degree GK, central meridian 114 E, written by hand
    lonlat = shapely.get_coordinates(pyogrio.read_dataframe(src).geometry.values)
    e, n = tmerc(114, 500000).transform(lonlat[:, 0], lonlat[:, 1])
    got = shapely.get_coordinates(pyogrio.read_dataframe(fast).geometry.values)
    assert np.abs(got - np.column_stack([e, n])).max() < 1e-6
    # bounding boxes in the .shp records and headers: those of the new coordinates
    info = pyogrio.read_info(fast)
    assert info["total_bounds"] == pytest.approx([e.min(), n.min(), e.max(), n.max()], abs=1e-6)
    if z:
        zs = shapely.get_coordinates(pyogrio.read_dataframe(fast).geometry.values, include_z=True)[
            :, 2
        ]
        assert np.isfinite(zs).all() and zs.min() >= 12.5


def test_rejects_stay_as_before(tmp_path, caplog, monkeypatch):
    """One point outside China: the general path converts, with the same rejects file."""
    src = arcgis(tmp_path, "point", "cpg")
    gdf = pyogrio.read_dataframe(src, encoding="GBK")
    gdf.loc[2, "geometry"] = shapely.Point(2.35, 48.85)
    pyogrio.write_dataframe(gdf, src, encoding="GBK")
    fast, slow = tmp_path / "fast.shp", tmp_path / "slow.shp"
    summary, used = _convert(caplog, src, fast)
    assert not used
    assert "a feature would be rejected" in caplog.text
    general = _general(monkeypatch, src, slow)
    assert (summary.read, summary.written, summary.rejected) == (5, 4, 1)
    assert summary.reasons == general.reasons == {"outside_area": 1}
    assert fast.with_suffix(".rejects.csv").read_text(encoding="utf-8-sig") == slow.with_suffix(
        ".rejects.csv"
    ).read_text(encoding="utf-8-sig").replace("slow", "fast")
    _same_features(fast, slow)


def test_null_shapes_fall_back_and_are_rejected(tmp_path, caplog):
    src = arcgis(tmp_path, "polygon", "ldid")
    gdf = pyogrio.read_dataframe(src, encoding="GBK")
    gdf.loc[1, "geometry"] = None
    pyogrio.write_dataframe(gdf, src, encoding="GBK")
    summary, used = _convert(caplog, src, tmp_path / "out.shp")
    assert not used and "null shape" in caplog.text
    assert (summary.read, summary.written, summary.rejected) == (3, 2, 1)
    assert summary.reasons == {"empty": 1}


@pytest.mark.parametrize("code_page", ["cpg", "ldid"])
@pytest.mark.parametrize("encoding", ["auto", "utf-8"])
def test_utf8_output_reencodes_the_dbf(tmp_path, caplog, monkeypatch, code_page, encoding):
    """The default output code page (UTF-8): the GBK .dbf re-encoded with numpy, read back
    by GDAL the same as the general path's output, feature by feature."""
    from suigeo.io.encodings import AUTO

    enc = AUTO if encoding == "auto" else encoding
    src = arcgis(tmp_path, "polygon", code_page)
    fast, slow = tmp_path / "fast.shp", tmp_path / "slow.shp"
    summary, used = _convert(caplog, src, fast, encoding=enc)
    assert used and "re-encoded from gbk to UTF-8" in caplog.text, caplog.text
    assert (summary.read, summary.written, summary.rejected) == (3, 3, 0)
    general = _general(monkeypatch, src, slow, encoding=enc)
    assert (general.read, general.written, general.rejected) == (3, 3, 0)
    _same_features(fast, slow)
    assert fast.with_suffix(".cpg").read_bytes() == slow.with_suffix(".cpg").read_bytes()
    assert fast.with_suffix(".cpg").read_bytes() == b"UTF-8"
    dbf = fast.with_suffix(".dbf").read_bytes()
    assert "石门村1号（温泉）".encode() in dbf and "名称".encode() in dbf
    assert "石门村".encode("gbk") not in dbf
    assert dbf[29] == slow.with_suffix(".dbf").read_bytes()[29] == 0
    got = pyogrio.read_dataframe(fast)  # GDAL reads the .cpg: UTF-8
    assert got["名称"].tolist() == [f"石门村{i}号（温泉）" for i in range(3)]
    assert got["面积"].tolist() == [0.0, 1.5, 3.0]


def test_reencoded_cells_grow_to_hold_utf8(tmp_path, caplog, monkeypatch):
    """A 20-byte GBK cell is 30 bytes in UTF-8: the field is widened, nothing is cut."""
    src = arcgis(tmp_path, "point", "cpg")
    gdf = pyogrio.read_dataframe(src, encoding="GBK")
    long = "广州市天河区石牌街道"  # 10 characters: 20 bytes in GBK, 30 in UTF-8
    gdf["名称"] = [long, "短", long[:3], "", "ascii only"]
    gdf["code"] = ["a1", "b2", "c3", "d4", "e5"]
    pyogrio.write_dataframe(gdf, src, encoding="GBK", layer_options={"RESIZE": "YES"})
    assert len(long.encode("gbk")) == 20 and len(long.encode()) == 30
    fast, slow = tmp_path / "fast.shp", tmp_path / "slow.shp"
    _, used = _convert(caplog, src, fast, encoding="utf-8")
    assert used, caplog.text
    _general(monkeypatch, src, slow, encoding="utf-8")
    _same_features(fast, slow)
    got = pyogrio.read_dataframe(fast)
    assert got["名称"].tolist()[:3] == [long, "短", long[:3]]
    assert got["code"].tolist() == ["a1", "b2", "c3", "d4", "e5"]
    dbf = fast.with_suffix(".dbf").read_bytes()
    assert dbf[32:38] == "名称".encode() and dbf[32 + 16] == 30  # its width: the longest cell


def _dbf_edit(src: Path, at: int, value: bytes) -> None:
    dbf = bytearray(src.with_suffix(".dbf").read_bytes())
    dbf[at : at + len(value)] = value
    src.with_suffix(".dbf").write_bytes(bytes(dbf))


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        ("deleted", "a deleted record"),
        ("memo", "type 'M'"),
        ("undecodable", "a text cell that is not gbk"),
        ("version", "version 0x8b"),
        ("reclen", "does not add up"),
    ],
)
def test_reencoding_falls_back(tmp_path, caplog, monkeypatch, edit, reason):
    """What the numpy re-encoding does not take: GDAL converts, as before."""
    src = arcgis(tmp_path, "polygon", "cpg")
    dbf = src.with_suffix(".dbf").read_bytes()
    header_len = int.from_bytes(dbf[8:10], "little")
    reclen = int.from_bytes(dbf[10:12], "little")
    if edit == "deleted":
        _dbf_edit(src, header_len + reclen, b"*")  # the second record
    elif edit == "memo":
        _dbf_edit(src, 32 + 32 + 11, b"M")  # the second field, 用地
    elif edit == "undecodable":
        _dbf_edit(src, header_len + 1, b"\x81\x20")  # a GBK lead byte, no trail byte
    elif edit == "version":
        _dbf_edit(src, 0, b"\x8b")
    else:
        _dbf_edit(src, 10, (reclen + 1).to_bytes(2, "little"))
    caplog.clear()
    summary, used = _convert(caplog, src, tmp_path / "out.shp", encoding="utf-8")
    assert not used and reason in caplog.text, caplog.text
    assert "converted through GDAL" in caplog.text
    # GDAL's reading, as before: a deleted record is skipped, a broken header read as it is
    if edit in ("memo", "undecodable", "version"):
        assert summary.read == 3
    elif edit == "deleted":
        assert summary.read == 2
    assert not list(tmp_path.glob(".out.suigeo-*"))  # the fast path's parts removed


def test_reencode_dbf_refuses_long_names_and_wide_cells(tmp_path):
    from suigeo.io.dbf import reencode_dbf

    src = arcgis(tmp_path, "point", "cpg")
    gdf = pyogrio.read_dataframe(src, encoding="GBK")
    gdf = gdf[["名称", "geometry"]].assign(地类编码=["x"] * 5)  # 8 bytes GBK, 12 UTF-8
    pyogrio.write_dataframe(gdf, src, encoding="GBK")
    why = reencode_dbf(src.with_suffix(".dbf"), tmp_path / "o.dbf", "gbk")
    assert why is not None and "12 bytes" in why and not (tmp_path / "o.dbf").exists()
    gdf = gdf[["名称", "geometry"]].assign(名称=["广州" * 60] * 5)  # 240 GBK, 360 UTF-8
    pyogrio.write_dataframe(gdf, src, encoding="GBK")
    why = reencode_dbf(src.with_suffix(".dbf"), tmp_path / "o.dbf", "gbk")
    assert why is not None and "360 bytes" in why


def test_other_encoding_falls_back(tmp_path, caplog):
    src = arcgis(tmp_path, "polygon", "cpg")
    out = tmp_path / "out.shp"
    summary, used = _convert(caplog, src, out, encoding="gb18030")
    assert not used and "re-encodes" in caplog.text and summary.written == 3
    # the same code page: fast, with the language driver byte set as the GDAL writer sets it
    _, used = _convert(caplog, src, out, encoding="gbk")
    assert used
    assert out.with_suffix(".dbf").read_bytes()[29] == 0x4D


def test_counter_clockwise_ring_falls_back(tmp_path, caplog, monkeypatch):
    """A ring written the wrong way round (GDAL would turn it): the general path."""
    from suigeo.io.shp_records import read_vertices, write_vertices

    src = arcgis(tmp_path, "polygon", "cpg")
    v = read_vertices(src, src.with_suffix(".shx"))
    assert not isinstance(v, str)
    x, y = v.x.copy(), v.y.copy()
    last = slice(int(v.starts[-1]), None)  # the plain box: one ring, reversed in place
    x[last], y[last] = x[last][::-1], y[last][::-1]
    bad = tmp_path / "ccw.shp"
    write_vertices(v, bad, x, y, shx=src.with_suffix(".shx"))
    for ext in (".dbf", ".cpg", ".prj"):
        bad.with_suffix(ext).write_bytes(src.with_suffix(ext).read_bytes())
    summary, used = _convert(caplog, bad, tmp_path / "fast.shp")
    assert not used and "not clockwise" in caplog.text
    assert summary.written == 3
    _general(monkeypatch, bad, tmp_path / "slow.shp")
    _same_features(tmp_path / "fast.shp", tmp_path / "slow.shp")


def test_shp_records_refuse_what_they_do_not_know(tmp_path):
    from suigeo.io.shp_records import read_vertices

    src = arcgis(tmp_path, "polygon", "cpg")
    data = bytearray(src.read_bytes())
    data[32:36] = (25).to_bytes(4, "little")  # PolygonM
    src.write_bytes(bytes(data))
    assert "shape type 25" in read_vertices(src, src.with_suffix(".shx"))
    src.write_bytes(bytes(data[:50]))
    assert isinstance(read_vertices(src, src.with_suffix(".shx")), str)


def test_gz2000_fast_equals_general_and_writes_no_prj(tmp_path, caplog, monkeypatch):
    from tests.crs.crs_refs import EXAMPLE

    src = arcgis(tmp_path, "polygon", "ldid")
    fast, slow = tmp_path / "fast.shp", tmp_path / "slow.shp"
    kw = dict(src="CGCS2000", dst="GZ2000", params=EXAMPLE)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="suigeo.crs.batch"), use_encoding("gbk"):
        summary = convert_file(src, fast, **kw)
    assert FAST in caplog.text and summary.written == 3
    with monkeypatch.context() as m, use_encoding("gbk"):
        m.setattr(batch, "_fast_shapefile", lambda *a: False)
        convert_file(src, slow, **kw)
    _same_features(fast, slow)
    assert not fast.with_suffix(".prj").exists() and not slow.with_suffix(".prj").exists()


def test_ring_areas_are_shapely_signed_areas(tmp_path):
    """Twice the signed area of every ring (negative: clockwise), as shapely computes it
    from the rings GDAL reads (outer rings then holes, in the file's order)."""
    from suigeo.io.shp_records import read_vertices, ring_areas

    src = arcgis(tmp_path, "polygon", "cpg")
    v = read_vertices(src, src.with_suffix(".shx"))
    assert not isinstance(v, str)
    polys = shapely.get_parts(pyogrio.read_dataframe(src).geometry.values)
    rings = [r for p in polys for r in shapely.get_rings(p)]
    signed = [shapely.area(shapely.Polygon(r)) * (1 if shapely.is_ccw(r) else -1) for r in rings]
    got = ring_areas(v, v.x, v.y)
    assert len(got) == len(rings) == 5  # holed (2 rings), multi (2), plain (1)
    assert got == pytest.approx(2 * np.array(signed), rel=1e-9)
    assert (got[[0, 2, 3, 4]] < 0).all() and got[1] > 0  # the hole counter-clockwise


def test_utf8_output_falls_back_when_a_feature_is_rejected(tmp_path, caplog, monkeypatch):
    """The .dbf re-encoding started in its second thread is stopped when the plan falls
    back: nothing of the fast path is left, the general path writes what it wrote."""
    src = arcgis(tmp_path, "point", "cpg")
    gdf = pyogrio.read_dataframe(src, encoding="GBK")
    gdf.loc[2, "geometry"] = shapely.Point(2.35, 48.85)
    pyogrio.write_dataframe(gdf, src, encoding="GBK")
    fast, slow = tmp_path / "fast.shp", tmp_path / "slow.shp"
    summary, used = _convert(caplog, src, fast, encoding="utf-8")
    assert not used and "a feature would be rejected" in caplog.text
    assert (summary.read, summary.written, summary.rejected) == (5, 4, 1)
    assert not list(tmp_path.glob(".fast.suigeo-*"))
    _general(monkeypatch, src, slow, encoding="utf-8")
    _same_features(fast, slow)
    assert fast.with_suffix(".cpg").read_bytes() == b"UTF-8"


def test_disk_error_in_the_dbf_thread_is_raised(tmp_path, monkeypatch):
    """An OSError of the re-encoding thread (the disk full) is the conversion's error, with
    nothing written."""
    import errno

    import suigeo.io.dbf as dbf_module
    from suigeo.errors import OutputError

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(dbf_module, "reencode_dbf", full)
    src = arcgis(tmp_path, "polygon", "cpg")
    out = tmp_path / "out.shp"
    with use_encoding("utf-8"), pytest.raises(OutputError, match=r"disk is full|space"):
        convert_file(src, out, src="CGCS2000", dst=GK)
    assert not list(tmp_path.glob("out.*")) and not list(tmp_path.glob(".out.suigeo-*"))


def test_past_254_bytes_in_utf8_refused_by_feature_and_field(tmp_path, caplog, monkeypatch):
    """A GBK cell of 254 bytes is 381 in UTF-8, more than a field holds: the fast path is
    not taken (the reason logged), and GDAL, which would cut the cell to 252 bytes with
    only a warning, is not asked to: the conversion is refused, naming the feature and the
    field, and nothing is written. In GBK (the input's own code page) it fits."""
    from suigeo.errors import OutputError

    src = arcgis(tmp_path, "point", "cpg")
    gdf = pyogrio.read_dataframe(src, encoding="GBK")
    long = "广" * 127
    assert len(long.encode("utf-8")) == 381 and len(long.encode("gbk")) == 254
    gdf["名称"] = ["短"] * 2 + [long] + ["短"] * 2
    pyogrio.write_dataframe(gdf, src, encoding="GBK")
    out = tmp_path / "out.shp"
    caplog.clear()
    with (
        caplog.at_level(logging.INFO, logger="suigeo.crs.batch"),
        use_encoding("utf-8"),
        pytest.raises(OutputError, match=r"feature 3, field '名称' holds 381 bytes in utf-8"),
    ):
        convert_file(src, out, src="CGCS2000", dst=GK)
    assert "a text cell of 381 bytes in utf-8" in caplog.text
    assert not list(tmp_path.glob("out.*")) and not list(tmp_path.glob(".out*"))
    with pytest.raises(OutputError, match=r"feature 3, field '名称' holds 381 bytes"):
        _general(monkeypatch, src, out, encoding="utf-8")
    assert not list(tmp_path.glob("out.*"))
    kept = tmp_path / "kept.shp"
    summary = _general(monkeypatch, src, kept, encoding="gbk")
    assert summary.written == 5
    assert pyogrio.read_dataframe(kept, encoding="GBK")["名称"][2] == long


def test_long_text_in_a_written_shapefile_refused(tmp_path):
    """write_vector (every command's Shapefile output) refuses a cell GDAL would cut."""
    from suigeo.errors import OutputError
    from suigeo.io.vector import write_vector

    gdf = gpd.GeoDataFrame(
        {"n": [1, 2], "note": ["ok", "路" * 85]},  # 255 bytes in UTF-8
        geometry=[shapely.Point(0, 0), shapely.Point(1, 1)],
        crs=4326,
    )
    out = tmp_path / "o.shp"
    with pytest.raises(OutputError, match=r"feature 2, field 'note' holds 255 bytes"):
        write_vector(gdf, out)
    assert not list(tmp_path.glob("o.*"))
    gdf.loc[1, "note"] = "路" * 84  # 252 bytes: written whole
    write_vector(gdf, out)
    assert pyogrio.read_dataframe(out)["note"][1] == "路" * 84
