"""Batch file conversion (crs.batch, ``suigeo crs convert``).

References: pyproj's own Transformer on the same points (never suigeo's output), the input
file itself (ids, text of untouched columns), and PROJ's area-of-use bounds.
"""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from tqdm import tqdm

import suigeo.crs.batch as batch
from suigeo.cli import main
from suigeo.crs.batch import REASONS, convert_file, detect_columns
from suigeo.crs.systems import resolve
from suigeo.errors import InputError, OutputError
from suigeo.io.cells import neutralise_cell

GK = "CGCS2000-3GK-CM114"
HEADER = "id,name,lon,lat,note\n"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _pyproj(src: int, dst: int, x, y, z=None):
    t = Transformer.from_crs(src, dst, always_xy=True)
    if z is None:
        return t.transform(np.asarray(x, float), np.asarray(y, float))
    return t.transform(np.asarray(x, float), np.asarray(y, float), np.asarray(z, float))


def _one_reject(tmp_path: Path, line: str, *, src="CGCS2000", dst=GK, header=HEADER):
    """Convert a file of one good row and one bad row; return (summary, the reject row)."""
    inp = _write(tmp_path / "in.csv", header + "1,ok,113.3,23.1,a\n" + line + "\n")
    s = convert_file(inp, tmp_path / "out.csv", src=src, dst=dst)
    assert (s.read, s.written, s.rejected) == (2, 1, 1)
    rejects = _rows(tmp_path / "out.rejects.csv")
    assert len(rejects) == 1
    return s, rejects[0]


# ---- one test per reject reason ------------------------------------------------------------


@pytest.mark.parametrize("cell", ["", "   ", "\u3000"])
def test_reject_empty(tmp_path, cell):
    _, r = _one_reject(tmp_path, f"2,bad,{cell},23.1,b")
    assert (r["row"], r["column"], r["reason"]) == ("2", "lon", "empty")
    assert r["lon"] == cell and r["name"] == "bad"


@pytest.mark.parametrize("cell", ["abc", "113,3", "1.2.3", "0x10", "113.3°"])
def test_reject_non_numeric(tmp_path, cell):
    _, r = _one_reject(tmp_path, f'2,bad,"{cell}",23.1,b')
    assert (r["column"], r["reason"]) == ("lon", "non_numeric")
    assert r["lon"] == cell


@pytest.mark.parametrize("cell", ["nan", "NaN", "inf", "-Infinity", "1e400"])
def test_reject_not_finite(tmp_path, cell):
    _, r = _one_reject(tmp_path, f"2,bad,113.3,{cell},b")
    assert (r["column"], r["reason"]) == ("lat", "not_finite")


def test_reject_swapped_lonlat(tmp_path):
    _, r = _one_reject(tmp_path, "2,bad,23.1,113.3,b")
    assert (r["column"], r["reason"]) == ("lon,lat", "swapped")
    assert "swapped" in r["message"]


def test_reject_swapped_easting_northing(tmp_path):
    # a Guangzhou point in GK CM114 (pyproj), written northing first
    e, n = _pyproj(4490, 4547, [113.3], [23.1])
    header = "id,name,E,N,note\n"
    inp = _write(
        tmp_path / "in.csv",
        header + f"1,ok,{e[0]},{n[0]},a\n2,bad,{n[0]},{e[0]},b\n",
    )
    s = convert_file(inp, tmp_path / "out.csv", src=GK, dst="CGCS2000")
    assert (s.read, s.written, s.rejected) == (2, 1, 1)
    assert _rows(tmp_path / "out.rejects.csv")[0]["reason"] == "swapped"
    assert "hint: most rows look swapped" in s.line()  # half the rows


def test_reject_outside_area_of_use(tmp_path):
    # EPSG:4490's area of use, from PROJ's database, excludes lon 10
    w, _s, e, _n = resolve("CGCS2000").pyproj_crs.area_of_use.bounds
    assert not w <= 10 <= e
    _, r = _one_reject(tmp_path, "2,bad,10,10,b")
    assert (r["column"], r["reason"]) == ("lon,lat", "outside_area")
    assert f"{w:g}" in r["message"]


def test_reject_outside_target_area(tmp_path):
    # lon 100 E is inside CGCS2000's area of use but 14 degrees from GK CM114's central
    # meridian, far outside EPSG:4547's area of use (PROJ's database): the transverse
    # Mercator result (pyproj gives an easting of about -944 km) is meaningless.
    w, s, e, n = Transformer.from_crs(4490, 4547).target_crs.area_of_use.bounds
    assert not w <= 100 <= e
    x, _ = _pyproj(4490, 4547, [100.0], [23.1])
    assert x[0] < 0
    _, r = _one_reject(tmp_path, "2,bad,100,23.1,b")
    assert (r["row"], r["column"], r["reason"]) == ("2", "lon,lat", "outside_target_area")
    assert GK in r["message"] and f"{w:g}" in r["message"]
    # the same point converted the other way is caught by the source check
    e, n = _pyproj(4490, 4547, [113.3, 100.0], [23.1, 23.1])
    inp = _write(tmp_path / "gk.csv", f"E,N\n{e[0]},{n[0]}\n{e[1]},{n[1]}\n")
    s = convert_file(inp, tmp_path / "ll.csv", src=GK, dst="CGCS2000")
    assert (s.written, s.reasons) == (1, {"outside_area": 1})


def test_no_target_check_for_gcj02_outside_china(tmp_path):
    # outside the China box GCJ-02 equals WGS 84 by the documented rule: passed through
    inp = _write(tmp_path / "in.csv", "lon,lat\n2.35,48.85\n")
    s = convert_file(inp, tmp_path / "out.csv", src="WGS84", dst="GCJ02")
    assert (s.written, s.rejected) == (1, 0)
    assert _rows(tmp_path / "out.csv") == [{"lon": "2.35", "lat": "48.85"}]


def test_reject_projection_failed(tmp_path):
    # A GZ2000 parameter set whose affine step overflows: PROJ itself returns inf for any
    # point off the central meridian (easting x 1e308), inside every area of use.
    params = {
        "suigeo": {"format": "suigeo-gz2000/1", "kind": "example"},
        "projection": {"central_meridian_deg": 113.5, "scale": 1.0},
        "affine6": {"a0": 0.0, "a1": 1e308, "a2": 0.0, "b0": 0.0, "b1": 0.0, "b2": 1.0},
    }
    tm = Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        "+step +proj=tmerc +lon_0=113.5 +a=6378137 +rf=298.257222101 "
        "+step +proj=affine +s11=1e308"
    )
    x, _ = tm.transform([113.5, 113.3], [23.1, 23.1])
    assert np.isfinite(x[0]) and not np.isfinite(x[1])
    inp = _write(tmp_path / "in.csv", HEADER + "1,ok,113.5,23.1,a\n2,bad,113.3,23.1,b\n")
    s = convert_file(inp, tmp_path / "out.csv", src="CGCS2000", dst="GZ2000", params=params)
    assert (s.written, s.rejected, s.reasons) == (1, 1, {"projection_failed": 1})
    assert _rows(tmp_path / "out.rejects.csv")[0]["reason"] == "projection_failed"


def test_every_reason_has_a_test():
    tested = {
        *("empty", "non_numeric", "not_finite", "swapped"),
        *("outside_area", "outside_target_area", "projection_failed"),
        *("invalid_geometry", "not_a_feature"),  # tests/io/test_hostile.py
        "outside_geoid",  # tests/crs/test_heights.py
    }
    assert set(REASONS) == tested


# ---- nothing is lost -----------------------------------------------------------------------


def _mixed_file(path: Path, n: int, seed: int = 1) -> tuple[Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(112.9, 114.1, n)
    lat = rng.uniform(22.5, 23.9, n)
    cells = [[repr(float(a)), repr(float(b))] for a, b in zip(lon, lat, strict=True)]
    bad = rng.choice(n, n // 4, replace=False)
    kinds = [("", "1"), ("x", "23"), ("nan", "23"), ("23.1", "113.3"), ("10", "10"), ("1", "")]
    for k, i in enumerate(bad):
        cells[i] = list(kinds[k % len(kinds)])
    lines = [f"{i},name {i},{c[0]},{c[1]},n{i}" for i, c in enumerate(cells)]
    _write(path, HEADER + "\n".join(lines) + "\n")
    return path, lon, lat


@pytest.mark.parametrize("chunk_rows", [7, 100_000])
def test_nothing_is_lost(tmp_path, chunk_rows):
    inp, _, _ = _mixed_file(tmp_path / "in.csv", 500)
    s = convert_file(inp, tmp_path / "out.csv", src="CGCS2000", dst=GK, chunk_rows=chunk_rows)
    written = [r["id"] for r in _rows(tmp_path / "out.csv")]
    rejected = _rows(tmp_path / "out.rejects.csv")
    assert s.read == 500 and s.read == s.written + s.rejected
    assert s.rejected == 125  # exactly the rows spoiled by _mixed_file, each with its reason
    assert s.reasons == {
        "empty": 41,  # 125 = 6 * 20 + 5: kinds 0-4 occur 21 times, kind 5 20 times
        "non_numeric": 21,
        "not_finite": 21,
        "swapped": 21,
        "outside_area": 21,
    }
    assert len(written) == s.written and len(rejected) == s.rejected
    ids = written + [r["id"] for r in rejected]
    assert sorted(ids, key=int) == [str(i) for i in range(500)]
    assert sum(s.reasons.values()) == s.rejected
    # row numbers are the file's line numbers minus one (1 = first data row)
    lines = (tmp_path / "in.csv").read_text().splitlines()
    for r in rejected:
        assert lines[int(r["row"])].startswith(r["id"] + ",")


# ---- columns, values -----------------------------------------------------------------------


def test_columns_kept_in_order_and_text_untouched(tmp_path):
    text = (
        "编号,纬度,备注,经度,code\n"
        '007,23.1,"广州, 天河",113.3, 0012 \n'
        '008,23.2,"say ""hi""",113.4,\n'
    )
    inp = _write(tmp_path / "in.csv", text)
    s = convert_file(inp, tmp_path / "out.csv", src="CGCS2000", dst=GK)
    assert s.columns == ("经度", "纬度") and s.columns_detected
    with (tmp_path / "out.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["编号", "N", "备注", "E", "code"]  # renamed in place: what they hold
    assert [r[0] for r in rows[1:]] == ["007", "008"]
    assert [r[2] for r in rows[1:]] == ["广州, 天河", 'say "hi"']
    assert [r[4] for r in rows[1:]] == [" 0012 ", ""]
    e, n = _pyproj(4490, 4547, [113.3, 113.4], [23.1, 23.2])
    np.testing.assert_allclose([float(r[3]) for r in rows[1:]], e, atol=5e-5, rtol=0)
    np.testing.assert_allclose([float(r[1]) for r in rows[1:]], n, atol=5e-5, rtol=0)


def test_values_equal_pyproj_and_heights(tmp_path):
    rng = np.random.default_rng(7)
    lon, lat, h = rng.uniform(113, 114, 50), rng.uniform(22.6, 23.9, 50), rng.uniform(-5, 500, 50)
    body = "".join(
        f"{i},{float(a)!r},{float(b)!r},{float(c)!r}\n"
        for i, (a, b, c) in enumerate(zip(lon, lat, h, strict=True))
    )
    inp = _write(tmp_path / "in.csv", "id,x_deg,y_deg,height\n" + body)
    s = convert_file(
        inp,
        tmp_path / "xyz.csv",
        src="CGCS2000",
        dst="CGCS2000-XYZ",
        x="x_deg",
        y="y_deg",
        h="height",
        keep_names=True,
    )
    assert s.written == 50
    rows = _rows(tmp_path / "xyz.csv")
    X, Y, Z = _pyproj(4490, 4479, lon, lat, h)
    for col, ref in (("x_deg", X), ("y_deg", Y), ("height", Z)):
        np.testing.assert_allclose([float(r[col]) for r in rows], ref, atol=5e-5, rtol=0)


def test_detect_columns_prefers_names_of_the_source_kind():
    names = ["x", "y", "lon", "lat"]
    assert detect_columns(names, resolve("CGCS2000")) == ("lon", "lat")
    assert detect_columns(names, resolve(GK)) == ("x", "y")
    assert detect_columns(["Easting", "Northing"], resolve(GK)) == ("Easting", "Northing")
    assert detect_columns(["E", "N"], resolve(GK)) == ("E", "N")
    assert detect_columns(["Longitude", "Latitude"], resolve("WGS84")) == ("Longitude", "Latitude")
    assert detect_columns(["a", "b"], resolve(GK)) is None


# ---- formats -------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".parquet"])
def test_spatial_formats_round_trip(tmp_path, suffix):
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(113, 114, 20), rng.uniform(22.6, 23.9, 20)
    src = gpd.GeoDataFrame(
        {"id": np.arange(20), "name": [f"p{i}" for i in range(20)]},
        geometry=shapely.points(lon, lat),
        crs=4490,
    )
    inp = tmp_path / f"in{suffix}"
    if suffix == ".parquet":
        src.to_parquet(inp)
    else:
        src.to_file(inp)
    out = tmp_path / f"gk{suffix}"
    s = convert_file(inp, out, src="CGCS2000", dst=GK, chunk_rows=6)
    assert (s.read, s.written, s.rejected) == (20, 20, 0)
    got = gpd.read_parquet(out) if suffix == ".parquet" else gpd.read_file(out)
    assert list(got.columns) == list(src.columns)
    assert got.crs.to_epsg() == 4547
    e, n = _pyproj(4490, 4547, lon, lat)
    np.testing.assert_allclose(got.geometry.x, e, atol=1e-6, rtol=0)
    np.testing.assert_allclose(got.geometry.y, n, atol=1e-6, rtol=0)
    assert got["name"].tolist() == src["name"].tolist()
    back = tmp_path / "back.csv"
    convert_file(out, back, src=GK, dst="CGCS2000")
    rows = _rows(back)
    assert list(rows[0]) == ["id", "name", "lon", "lat"]
    np.testing.assert_allclose([float(r["lon"]) for r in rows], lon, atol=2e-9, rtol=0)
    np.testing.assert_allclose([float(r["lat"]) for r in rows], lat, atol=2e-9, rtol=0)


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".parquet"])
def test_a_file_declaring_another_system_than_from_is_refused(tmp_path, suffix):
    # Guangzhou points in GK CM114 (pyproj) read as CM111 would land 3 degrees west, still
    # inside CM111's area of use: only the file's own CRS can catch the mistake.
    e, n = _pyproj(4490, 4547, [113.3, 113.6], [23.1, 23.0])
    lon111, _ = _pyproj(4546, 4490, e, n)
    assert resolve("CGCS2000-3GK-CM111").area_of_use[0] <= lon111.min() < 112.5
    frame = gpd.GeoDataFrame({"id": [1, 2]}, geometry=shapely.points(e, n), crs=4547)
    inp = tmp_path / f"in{suffix}"
    frame.to_parquet(inp) if suffix == ".parquet" else frame.to_file(inp)
    out = tmp_path / "out.csv"
    with pytest.raises(InputError, match=r"EPSG:4547.*CGCS2000-3GK-CM111"):
        convert_file(inp, out, src="CGCS2000-3GK-CM111", dst="CGCS2000")
    assert not out.exists()
    s = convert_file(inp, out, src="EPSG:4547", dst="CGCS2000")  # the same system: fine
    assert s.written == 2


def test_csv_to_each_format_and_back(tmp_path):
    inp, _, _ = _mixed_file(tmp_path / "in.csv", 40)
    ref = convert_file(inp, tmp_path / "ref.csv", src="CGCS2000", dst=GK)
    prev = tmp_path / "ref.csv"
    for name in ["a.gpkg", "b.geojson", "c.parquet", "d.csv"]:
        s = convert_file(prev, tmp_path / name, src=GK, dst=GK)
        assert (s.read, s.written, s.rejected) == (ref.written, ref.written, 0)
        prev = tmp_path / name
    first, last = _rows(tmp_path / "ref.csv"), _rows(prev)
    assert [r["id"] for r in first] == [r["id"] for r in last]
    assert list(last[0]) == ["id", "name", "note", "x", "y"]  # geometry comes last
    np.testing.assert_allclose(
        [float(r["x"]) for r in last], [float(r["E"]) for r in first], atol=1e-4, rtol=0
    )


def test_geoparquet_output_metadata(tmp_path):
    inp = _write(tmp_path / "in.csv", HEADER + "1,a,113.3,23.1,x\n2,b,113.5,23.4,y\n")
    convert_file(inp, tmp_path / "o.parquet", src="CGCS2000", dst=GK)
    geo = json.loads(pq.read_metadata(tmp_path / "o.parquet").metadata[b"geo"])
    col = geo["columns"][geo["primary_column"]]
    assert col["encoding"] == "WKB" and col["geometry_types"] == ["Point"]
    assert col["crs"]["id"] == {"authority": "EPSG", "code": 4547}
    e, n = _pyproj(4490, 4547, [113.3, 113.5], [23.1, 23.4])
    np.testing.assert_allclose(col["bbox"], [e.min(), n.min(), e.max(), n.max()], atol=1e-6)


def test_geometry_rejects_report_wkt(tmp_path):
    g = gpd.GeoDataFrame(
        {"id": [1, 2, 3, 4]},
        geometry=[
            shapely.Point(113.3, 23.1),
            None,
            shapely.Point(10, 10),
            shapely.LineString([(113.3, 23.1), (23.1, 113.3)]),
        ],
        crs=4490,
    )
    g.to_file(tmp_path / "in.gpkg")
    s = convert_file(tmp_path / "in.gpkg", tmp_path / "o.gpkg", src="CGCS2000", dst=GK)
    assert (s.read, s.written, s.rejected) == (4, 1, 3)
    rejects = _rows(tmp_path / "o.rejects.csv")
    assert [(r["row"], r["id"], r["reason"]) for r in rejects] == [
        ("2", "2", "empty"),
        ("3", "3", "outside_area"),
        ("4", "4", "swapped"),
    ]
    assert shapely.from_wkt(rejects[1]["geom"]).equals(shapely.Point(10, 10))


# ---- safety --------------------------------------------------------------------------------


def test_refuses_to_overwrite_the_input(tmp_path):
    inp = _write(tmp_path / "in.csv", HEADER + "1,a,113.3,23.1,x\n")
    before = inp.read_bytes()
    with pytest.raises(OutputError, match="never overwrites"):
        convert_file(inp, inp, src="CGCS2000", dst=GK)
    with pytest.raises(OutputError):
        convert_file(inp, tmp_path / "o.csv", src="CGCS2000", dst=GK, rejects=inp)
    assert inp.read_bytes() == before
    assert main(["crs", "convert", str(inp), "-o", str(inp), "--from", "CGCS2000", "--to", GK]) == 2


def test_error_midway_leaves_no_output(tmp_path, monkeypatch):
    inp, _, _ = _mixed_file(tmp_path / "in.csv", 30)
    calls = {"n": 0}
    real = batch.transform

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 3:
            raise InputError("simulated failure midway")
        return real(*args, **kwargs)

    monkeypatch.setattr(batch, "transform", failing)
    for name in ["o.csv", "o.gpkg", "o.parquet", "o.geojson"]:
        calls["n"] = 0
        with pytest.raises(InputError, match="midway"):
            convert_file(inp, tmp_path / name, src="CGCS2000", dst=GK, chunk_rows=5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]  # no output, no temp files


def test_malformed_csv_is_an_input_error_and_no_output(tmp_path):
    inp = _write(tmp_path / "in.csv", HEADER + "1,a,113.3,23.1,x\n2,b,113.3,23.1,x,extra\n")
    with pytest.raises(InputError, match=r"in\.csv.*row 2 \(line 3\) has 6 cells, the header has"):
        convert_file(inp, tmp_path / "o.csv", src="CGCS2000", dst=GK)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_missing_column_and_unreadable_file(tmp_path):
    inp = _write(tmp_path / "in.csv", HEADER + "1,a,113.3,23.1,x\n")
    with pytest.raises(InputError, match=r"in\.csv.*'east'"):
        convert_file(inp, tmp_path / "o.csv", src="CGCS2000", dst=GK, x="east", y="lat")
    with pytest.raises(InputError, match=r"nope\.csv"):
        convert_file(tmp_path / "nope.csv", tmp_path / "o.csv", src="CGCS2000", dst=GK)
    _write(tmp_path / "cols.csv", "a,b\n1,2\n")
    with pytest.raises(InputError, match="--x and --y"):
        convert_file(tmp_path / "cols.csv", tmp_path / "o.csv", src="CGCS2000", dst=GK)
    with pytest.raises(OutputError, match="suffix"):
        convert_file(inp, tmp_path / "o.docx", src="CGCS2000", dst=GK)
    (tmp_path / "cp1252.csv").write_bytes("lon,lat,n\n113.3,23.1,café\n".encode("cp1252"))
    with pytest.raises(InputError, match="cannot tell the text encoding"):
        convert_file(tmp_path / "cp1252.csv", tmp_path / "o.csv", src="CGCS2000", dst=GK)
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize(("n", "chunk"), [(100, 3), (80_000, 7_001)])
def test_chunk_boundaries_do_not_change_the_output(tmp_path, n, chunk):
    # 80 000 rows are some 4 MB: several of the reader's 2 MB blocks, regrouped into chunks
    inp, _, _ = _mixed_file(tmp_path / "in.csv", n)
    for rows, tag in ((chunk, "small"), (1_000_000, "big")):
        convert_file(inp, tmp_path / f"{tag}.csv", src="CGCS2000", dst=GK, chunk_rows=rows)
    assert (tmp_path / "small.csv").read_bytes() == (tmp_path / "big.csv").read_bytes()
    small, big = tmp_path / "small.rejects.csv", tmp_path / "big.rejects.csv"
    assert small.read_bytes() == big.read_bytes()


def test_rejects_file_defaults(tmp_path):
    inp = _write(tmp_path / "in.csv", HEADER + "1,a,113.3,23.1,x\n")
    s = convert_file(inp, tmp_path / "o.csv", src="CGCS2000", dst=GK)
    assert s.rejects_path is None and not (tmp_path / "o.rejects.csv").exists()
    (tmp_path / "o.rejects.csv").write_text("old")
    s = convert_file(inp, tmp_path / "o.csv", src="CGCS2000", dst=GK)
    assert "o.rejects.csv is from an earlier run" in s.line()
    assert (tmp_path / "o.rejects.csv").read_text() == "old"  # never deleted
    s = convert_file(inp, tmp_path / "o2.csv", src="CGCS2000", dst=GK, rejects=tmp_path / "r.csv")
    assert s.rejects_path == tmp_path / "r.csv"
    assert (tmp_path / "r.csv").read_text().splitlines() == [
        '"row","column","reason","message","id","name","lon","lat","note"'
    ]


def test_empty_input_gives_header_only(tmp_path):
    inp = _write(tmp_path / "in.csv", HEADER)
    s = convert_file(inp, tmp_path / "o.csv", src="CGCS2000", dst=GK)
    assert (s.read, s.written, s.rejected) == (0, 0, 0)
    assert _rows(tmp_path / "o.csv") == []
    assert (tmp_path / "o.csv").read_text().startswith('"id","name","E","N","note"')


# ---- command line --------------------------------------------------------------------------


def test_cli_convert_prints_summary_and_exit_codes(tmp_path, capsys):
    inp = _write(tmp_path / "in.csv", HEADER + "1,a,113.3,23.1,x\n2,b,abc,23.1,y\n")
    argv = ["crs", "convert", str(inp), "-o", str(tmp_path / "o.csv"), "--from", "CGCS2000"]
    assert main([*argv, "--to", GK]) == 0
    out, err = capsys.readouterr()
    assert "read 2, written 1, rejected 1 (non_numeric 1)" in out
    assert "x=lon, y=lat" in err
    assert main([*argv, "--to", GK, "--strict"]) == 1
    assert main([*argv, "--to", GK, "--x", "lon", "--y", "nope"]) == 2
    assert "'nope'" in capsys.readouterr().err
    assert main([*argv, "--to", "NOT-A-SYSTEM"]) == 2


def test_cli_help_shows_an_example(capsys):
    assert main(["crs", "convert", "--help"]) == 0
    out = capsys.readouterr().out
    assert "Example" in out and "suigeo crs convert points.csv -o" in out


# ---- systems beyond EPSG (crs-core): GCJ-02 and GZ2000 -------------------------------------


def test_gcj02_file_matches_prcoords(tmp_path):
    import prcoords

    rng = np.random.default_rng(11)
    lon, lat = rng.uniform(113, 114, 30), rng.uniform(22.6, 23.9, 30)
    body = "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in zip(lon, lat, strict=True))
    inp = _write(tmp_path / "in.csv", "lng,lat\n" + body)
    s = convert_file(inp, tmp_path / "gcj.csv", src="WGS84", dst="GCJ02", keep_names=True)
    assert (s.written, s.rejected) == (30, 0)
    rows = _rows(tmp_path / "gcj.csv")
    ref = [prcoords.wgs_gcj((b, a)) for a, b in zip(lon, lat, strict=True)]
    np.testing.assert_allclose([float(r["lng"]) for r in rows], [c.lon for c in ref], atol=1e-9)
    np.testing.assert_allclose([float(r["lat"]) for r in rows], [c.lat for c in ref], atol=1e-9)


def test_gz2000_round_trip_through_files_and_missing_params(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SUIGEO_GZ2000_PARAMS", raising=False)
    params = Path(batch.__file__).parent / "examples" / "gz2000-example.toml"
    inp, lon, lat = _mixed_file(tmp_path / "in.csv", 60)
    common = ["--params", str(params)]
    argv = ["crs", "convert", str(inp), "-o", str(tmp_path / "gz.csv"), "--from", "CGCS2000"]
    assert main([*argv, "--to", "GZ2000", *common]) == 0
    gz_rows = _rows(tmp_path / "gz.csv")
    back = ["crs", "convert", str(tmp_path / "gz.csv"), "-o", str(tmp_path / "back.csv")]
    assert (
        main([*back, "--from", "GZ2000", "--to", "CGCS2000", "--x", "E", "--y", "N", *common]) == 0
    )
    rows = _rows(tmp_path / "back.csv")
    assert [r["id"] for r in rows] == [r["id"] for r in gz_rows]
    ids = np.array([int(r["id"]) for r in rows])
    np.testing.assert_allclose([float(r["lon"]) for r in rows], lon[ids], atol=2e-9, rtol=0)
    np.testing.assert_allclose([float(r["lat"]) for r in rows], lat[ids], atol=2e-9, rtol=0)
    capsys.readouterr()
    assert main([*argv, "--to", "GZ2000"]) == 2
    assert "--params" in capsys.readouterr().err


def test_progress_bar_when_asked(tmp_path, capsys):
    inp = _write(tmp_path / "in.csv", HEADER + "1,a,113.3,23.1,x\n")
    convert_file(inp, tmp_path / "o.csv", src="CGCS2000", dst=GK, progress=True)
    assert "%|" in capsys.readouterr().err
    convert_file(inp, tmp_path / "o2.csv", src="CGCS2000", dst=GK)  # stderr is not a terminal
    assert capsys.readouterr().err == ""


def test_csv_progress_bar_knows_the_total(tmp_path, capsys):
    # a CSV's row count is unknown in advance: the bar counts bytes of the file, so it shows
    # a percentage (and an ETA) for a 10 GB file too
    inp, _, _ = _mixed_file(tmp_path / "in.csv", 3000)
    convert_file(inp, tmp_path / "o.csv", src="CGCS2000", dst=GK, chunk_rows=500, progress=True)
    err = capsys.readouterr().err
    size = tqdm.format_sizeof(inp.stat().st_size, divisor=1024)
    assert "  0%|" in err and f"/{size} [" in err  # the file's size is the total


def test_gpkg_layer_is_named_after_the_output(tmp_path):
    inp = _write(tmp_path / "in.csv", HEADER + "1,a,113.3,23.1,x\n")
    convert_file(inp, tmp_path / "my.points.gpkg", src="CGCS2000", dst=GK)
    assert [name for name, _ in pyogrio.list_layers(tmp_path / "my.points.gpkg")] == ["my.points"]


_cell = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(min_value=112.9, max_value=114.1).map(repr),
    st.floats(min_value=22.5, max_value=23.9).map(repr),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(',"\n '),
        max_size=8,
    ),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cells=st.lists(st.tuples(_cell, _cell, st.text(max_size=5)), min_size=1, max_size=30),
    chunk=st.integers(1, 7),
)
def test_property_nothing_is_lost_whatever_the_cells(cells, chunk):
    with tempfile.TemporaryDirectory() as d:
        inp = Path(d) / "in.csv"
        with inp.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "lon", "lat", "note"])
            w.writerows([i, a, b, c] for i, (a, b, c) in enumerate(cells))
        try:
            s = convert_file(inp, Path(d) / "o.csv", src="CGCS2000", dst=GK, chunk_rows=chunk)
        except InputError as exc:  # every row with numbers swapped: nothing written, said so
            assert "look swapped" in str(exc) and not (Path(d) / "o.csv").exists()
            return
        written = _rows(Path(d) / "o.csv")
        rejected = _rows(Path(d) / "o.rejects.csv") if s.rejected else []
        assert s.read == len(cells) == s.written + s.rejected
        assert len(written) == s.written and len(rejected) == s.rejected
        assert sorted(int(r["id"]) for r in written + rejected) == list(range(len(cells)))
        for r in written + rejected:  # untouched column comes back exactly (formula-safe)
            assert r["note"] == neutralise_cell(cells[int(r["id"])][2])
        for r in rejected:  # original cells are reported as read (formula-safe)
            assert (r["lon"], r["lat"]) == tuple(map(neutralise_cell, cells[int(r["id"])][:2]))


def test_3d_points_and_lines_to_csv(tmp_path):
    lon, lat, h = np.array([113.3, 113.4]), np.array([23.1, 23.2]), np.array([10.0, 20.0])
    gpd.GeoDataFrame({"id": [1, 2]}, geometry=shapely.points(lon, lat, h), crs=4490).to_parquet(
        tmp_path / "z.parquet"
    )
    convert_file(tmp_path / "z.parquet", tmp_path / "z.csv", src="CGCS2000", dst="CGCS2000-XYZ")
    rows = _rows(tmp_path / "z.csv")
    assert list(rows[0]) == ["id", "X", "Y", "Z"]
    ref = _pyproj(4490, 4479, lon, lat, h)
    for col, values in zip(("X", "Y", "Z"), ref, strict=True):
        np.testing.assert_allclose([float(r[col]) for r in rows], values, atol=5e-5, rtol=0)
    line = shapely.LineString([(113.3, 23.1), (113.4, 23.2)])
    gpd.GeoDataFrame({"id": [1]}, geometry=[line], crs=4490).to_file(tmp_path / "l.gpkg")
    convert_file(tmp_path / "l.gpkg", tmp_path / "l.csv", src="CGCS2000", dst=GK)
    got = shapely.get_coordinates(shapely.from_wkt(_rows(tmp_path / "l.csv")[0]["wkt"]))
    e, n = _pyproj(4490, 4547, lon, lat)
    np.testing.assert_allclose(got, np.column_stack([e, n]), atol=5e-5, rtol=0)


# ------------------------------------------------------------------ reading ahead in a thread


def test_read_ahead_keeps_every_item_in_order():
    items = list(batch._ReadAhead(iter(range(1000))))
    assert items == list(range(1000))


def test_read_ahead_raises_the_readers_error_at_its_item():
    def source():
        yield from range(3)
        raise InputError("row 4: bad cell")

    got = []
    with pytest.raises(InputError, match="row 4: bad cell"):
        for item in batch._ReadAhead(source()):
            got.append(item)
    assert got == [0, 1, 2]


def test_read_ahead_close_stops_the_thread_and_closes_the_input():
    closed = []

    def source():
        try:
            yield from range(10_000)
        finally:
            closed.append(True)

    ahead = batch._ReadAhead(source())
    assert next(ahead) == 0
    ahead.close()
    assert closed == [True] and not ahead._thread.is_alive()
    with pytest.raises(StopIteration):
        next(ahead)


def test_writer_failure_stops_reading_and_leaves_no_output(tmp_path, monkeypatch):
    """A writer that fails mid-file: the error reaches the caller, the reading thread ends,
    the input is closed and no output (nor temporary file) is left."""
    src = tmp_path / "pts.csv"
    rng = np.random.default_rng(0)
    points = rng.uniform([113, 23], [114, 24], (50, 2))
    lines = ["lon,lat"] + [f"{x:.6f},{y:.6f}" for x, y in points]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    calls = []
    real = batch._csv_table

    def failing(ob, conv, dst):
        calls.append(1)
        if len(calls) == 3:
            raise OutputError("disk full")
        return real(ob, conv, dst)

    monkeypatch.setattr(batch, "_csv_table", failing)
    out = tmp_path / "out.csv"
    with pytest.raises(OutputError, match="disk full"):
        convert_file(src, out, src="CGCS2000", dst="CGCS2000-3GK-CM114", chunk_rows=5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pts.csv"]
