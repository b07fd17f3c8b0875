"""Hostile files through every reader, via ``suigeo.cli.main``.

Each case asserts: the exit code (2 for a file refused, 0 when the bad rows are rejected),
a one-line message naming the file, no traceback, no partial or stray output, every input
byte-identical afterwards, and ``read == written + rejected`` when rows are rejected.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely

from suigeo.cli import main

GK = "CGCS2000-3GK-CM114"


def _convert(src: Path, out: Path, *extra: str) -> list[str]:
    return ["crs", "convert", str(src), "-o", str(out), "--from", "CGCS2000", "--to", GK, *extra]


def refused(argv: list[str], bad: Path, capsys, *, words: str = "") -> str:
    """Run ``argv``: exit 2, one line naming ``bad``, nothing written, ``bad`` unchanged."""
    folder = bad.parent
    before = _contents(folder)
    assert main(argv) == 2, argv
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert bad.name in lines[0], lines[0]
    assert words in lines[0], lines[0]
    assert _contents(folder) == before  # no partial output, no stray temp, inputs byte-identical
    return lines[0]


def _contents(folder: Path) -> dict[str, bytes | None]:
    """Every file of ``folder`` and its bytes (None for one this user may not read)."""
    out: dict[str, bytes | None] = {}
    for p in folder.iterdir():
        if p.is_file():
            try:
                out[p.name] = p.read_bytes()
            except PermissionError:
                out[p.name] = None
    return out


def summary(text: str) -> tuple[int, int, int]:
    m = re.search(r"read (\d+), written (\d+), rejected (\d+)", text)
    assert m, text
    read, written, rejected = map(int, m.groups())
    assert read == written + rejected
    return read, written, rejected


# --------------------------------------------------------------------------------------------
# GeoParquet
# --------------------------------------------------------------------------------------------


def _geoparquet(path: Path, geo: object, column: pa.Array | None = None) -> Path:
    wkb = shapely.to_wkb(shapely.points([113.3, 113.4], [23.1, 23.2]))
    table = pa.table({"id": ["a", "b"], "geometry": column if column is not None else wkb})
    meta = {b"geo": geo if isinstance(geo, bytes) else json.dumps(geo).encode()}
    pq.write_table(table.replace_schema_metadata(meta), path)
    return path


def _geo(**over) -> dict:
    col = {"encoding": "WKB", "geometry_types": ["Point"]}
    doc = {"version": "1.0.0", "primary_column": "geometry", "columns": {"geometry": col}}
    for k, v in over.items():
        if k in ("encoding", "geometry_types"):
            col[k] = v
        elif v is None and k.startswith("no_"):
            doc.pop(k[3:])
        else:
            doc[k] = v
    return doc


MALFORMED = {
    "geo-not-json": (b"{not json", "not JSON"),
    "geo-null": (b"null", "not a JSON object"),
    "columns-null": (_geo(columns=None), "does not describe"),
    "encoding-null": (_geo(encoding=None), "encoded as None"),
    "encoding-other": (_geo(encoding="WKT"), "only WKB"),
    "no-primary-column": (_geo(no_primary_column=None), "primary_column"),
    "string-geometry": ("string", "not WKB"),
    "int-geometry": ("int", "not WKB"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_geoparquet_is_refused_by_every_reader(tmp_path, capsys, case):
    geo, words = MALFORMED[case]
    column = None
    if geo == "string":
        geo, column = _geo(), pa.array(["POINT (1 2)", "x"])
    elif geo == "int":
        geo, column = _geo(), pa.array([1, 2])
    bad = _geoparquet(tmp_path / "bad.parquet", geo, column)
    refused(_convert(bad, tmp_path / "o.csv"), bad, capsys, words=words)
    map_argv = ["map", "build", "--user-layer", str(bad), "-o", str(tmp_path / "m.html")]
    refused(map_argv, bad, capsys, words=words)
    refused(["layers", "check", str(bad), "--schema", "villages"], bad, capsys, words=words)


def test_bad_wkb_in_geoparquet_is_a_rejected_row(tmp_path, capsys):
    wkb = shapely.to_wkb(shapely.points([113.3, 113.4], [23.1, 23.2]))
    src = _geoparquet(tmp_path / "g.parquet", _geo(), pa.array([wkb[0], b"\x01\x02garbage"]))
    before = src.read_bytes()
    out, rej = tmp_path / "o.csv", tmp_path / "rej.csv"
    assert main(_convert(src, out, "--rejects", str(rej))) == 0
    assert summary(capsys.readouterr().out) == (2, 1, 1)
    r = pd.read_csv(rej)
    assert (list(r["row"]), list(r["reason"])) == ([2], ["invalid_geometry"])
    assert src.read_bytes() == before
    # a command without a rejects file names the row
    m = ["map", "build", "--user-layer", str(src), "-o", str(tmp_path / "m.html")]
    assert "row 2" in refused(m, src, capsys)


def test_geoparquet_user_layer_needs_no_duckdb(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "duckdb", None)  # importing it now fails
    src = tmp_path / "v.parquet"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(113.3, 23.1)], crs=4490).to_parquet(
        src
    )
    assert main(["map", "build", "--user-layer", str(src), "-o", str(tmp_path / "m.html")]) == 0


# --------------------------------------------------------------------------------------------
# GeoJSON entries and invalid geometries
# --------------------------------------------------------------------------------------------


def _feature(geometry: dict, i: int) -> dict:
    return {"type": "Feature", "properties": {"id": f"f{i}"}, "geometry": geometry}


def _point(i: int) -> dict:
    return _feature({"type": "Point", "coordinates": [113.3 + i / 100, 23.1]}, i)


@pytest.mark.parametrize("junk", [{"type": "Bogus"}, 5, "text", None, []])
def test_geojson_entries_that_are_no_feature_are_rejected_not_lost(tmp_path, capsys, junk):
    src = tmp_path / "f.geojson"
    doc = {"type": "FeatureCollection", "features": [_point(1), junk, _point(3)]}
    src.write_text(json.dumps(doc), encoding="utf-8")
    before = src.read_bytes()
    out, rej = tmp_path / "o.csv", tmp_path / "rej.csv"
    assert main(_convert(src, out, "--rejects", str(rej))) == 0
    assert summary(capsys.readouterr().out) == (3, 2, 1)
    r = pd.read_csv(rej)
    assert (list(r["row"]), list(r["reason"])) == ([2], ["not_a_feature"])
    assert list(pd.read_csv(out)["id"]) == ["f1", "f3"]
    assert src.read_bytes() == before
    # map build has no rejects file: it names the entry
    m = ["map", "build", "--user-layer", str(src), "-o", str(tmp_path / "m.html")]
    assert "row 2" in refused(m, src, capsys, words="not a Feature")
    # layers check reports it as a problem of that feature (exit 1: checks failed)
    assert main(["layers", "check", str(src), "--schema", "villages"]) == 1
    assert "feature 2: field 'features': this entry" in capsys.readouterr().out


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "LineString", "coordinates": [[113.3, 23.1]]},  # one point
        {"type": "Polygon", "coordinates": [[[113.3, 23.1], [113.4, 23.1], [113.4, 23.2]]]},
    ],
    ids=["one-point-line", "unclosed-ring"],
)
def test_invalid_geometry_rejects_that_row_not_the_file(tmp_path, capsys, geometry):
    src = tmp_path / "f.geojson"
    doc = {"type": "FeatureCollection", "features": [_point(1), _feature(geometry, 2), _point(3)]}
    src.write_text(json.dumps(doc), encoding="utf-8")
    out, rej = tmp_path / "o.gpkg", tmp_path / "rej.csv"
    assert main(_convert(src, out, "--rejects", str(rej))) == 0
    assert summary(capsys.readouterr().out) == (3, 2, 1)
    r = pd.read_csv(rej)
    assert (list(r["row"]), list(r["reason"]), list(r["id"])) == ([2], ["invalid_geometry"], ["f2"])
    assert list(gpd.read_file(out)["id"]) == ["f1", "f3"]


# --------------------------------------------------------------------------------------------
# Rejects writer with nested Parquet columns
# --------------------------------------------------------------------------------------------


def test_nested_parquet_columns_survive_the_rejects_file(tmp_path, capsys):
    table = pa.table(
        {
            "lon": [113.3, 10.0],  # the second point is far outside China: rejected
            "lat": [23.1, 10.0],
            "tags": pa.array([["a", "b"], ["c"]]),
            "info": pa.array([{"k": 1}, {"k": 2}]),
            "attrs": pa.array([[("x", 1)], [("y", 2)]], type=pa.map_(pa.string(), pa.int64())),
        }
    )
    src = tmp_path / "n.parquet"
    pq.write_table(table, src)
    out, rej = tmp_path / "o.parquet", tmp_path / "rej.csv"
    assert main(_convert(src, out, "--rejects", str(rej))) == 0
    assert summary(capsys.readouterr().out) == (2, 1, 1)
    r = pd.read_csv(rej)
    assert list(r["row"]) == [2]
    assert json.loads(r["tags"][0]) == ["c"]
    assert json.loads(r["info"][0]) == {"k": 2}
    assert json.loads(r["attrs"][0]) == [["y", 2]]


# --------------------------------------------------------------------------------------------
# CSV files
# --------------------------------------------------------------------------------------------

CSV_CASES = {
    "binary": (b"\x00\x01\x02\x03 data\x00\n\x00\x00", "binary"),
    "png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not UTF-8"),
    # GBK is read (suigeo.io.encodings); text in no encoding auto can tell is refused
    "latin-1": ("name,lon,lat\ncafé,113.3,23.1\nnaïve,113.4,23.2\n".encode("cp1252"), "--encoding"),
    # UTF-8 for the first MiB (the sample that decides), then a GBK row: its line is named
    "gbk-late-row": (
        b"lon,lat,name\n" + b"113.3,23.1,a\n" * 90_000 + "113.3,23.1,石门\n".encode("gbk"),
        "line 90002",
    ),
    "empty": (b"", "empty"),
    "blank-only": (b"\n\n  \n", "empty"),
    "unterminated": (b'lon,lat,name\n113.3,23.1,"open\n113.4,23.2,x\n', "line 2"),
    "long-header": (b"lon,lat," + b"n" * 200_000 + b"\n113.3,23.1,x\n", "200,000 characters"),
    "huge-header": (b"lon,lat," + b"n" * (3 << 20) + b"\n113.3,23.1,x\n", "longer than"),
    "duplicate-names": (b"lon,lat,lon\n113.3,23.1,1\n", "duplicate"),
}


def _csv_commands(bad: Path, tmp: Path) -> dict[str, list[str]]:
    good = tmp / "good.csv"
    good.write_text("name,lon,lat\na,113.3,23.1\n", encoding="utf-8")
    return {
        "crs convert": _convert(bad, tmp / "o.csv"),
        "crs fit": ["crs", "fit", str(bad), "--model", "helmert4", "--central-meridian", "113.3",
                    "--scale", "1", "-o", str(tmp / "fit.toml")],
        "rules check": ["rules", "check", str(bad), "--ruleset", "village-industrial-2022"],
        "access coverage": ["access", "coverage", str(good), str(bad), "--km", "5", "-o",
                            str(tmp / "r.csv")],
        "map build": ["map", "build", "--user-layer", str(bad), "-o", str(tmp / "m.html")],
        "layers check": ["layers", "check", str(bad), "--schema", "villages"],
    }  # fmt: skip


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_hostile_csv_is_refused_by_every_command(tmp_path, capsys, case):
    data, words = CSV_CASES[case]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(data)
    for name, argv in _csv_commands(bad, tmp_path).items():
        line = refused(argv, bad, capsys, words=words)
        assert len(line) < 400, (name, line)  # one readable line, even for a huge header


def test_blank_lines_keep_row_numbers(tmp_path, capsys):
    src = tmp_path / "b.csv"
    src.write_text("id,lon,lat\n\na,113.3,23.1\n\n\nb,10.0,10.0\n,,\nc,113.4,23.2\n")
    out, rej = tmp_path / "o.csv", tmp_path / "rej.csv"
    assert main(_convert(src, out, "--rejects", str(rej))) == 0
    assert summary(capsys.readouterr().out) == (3, 2, 1)
    r = pd.read_csv(rej)
    assert list(r["row"]) == [5]  # "b" is on line 6: row = line - 1, blank lines counted
    assert list(r["id"]) == ["b"]


def test_bom_is_read_and_the_header_clean(tmp_path, capsys):
    src = tmp_path / "bom.csv"
    src.write_bytes(b"\xef\xbb\xbfid,lon,lat\na,113.3,23.1\n")
    out = tmp_path / "o.csv"
    assert main(_convert(src, out)) == 0
    assert pd.read_csv(out, encoding="utf-8-sig").columns[0] == "id"
    assert out.read_bytes().startswith(b'\xef\xbb\xbf"id",')  # the writer keeps the BOM
    from suigeo.io.csvtable import read_csv

    assert read_csv(src).info.bom is True


# --------------------------------------------------------------------------------------------
# 2-D / 3-D decided per file
# --------------------------------------------------------------------------------------------


def test_3d_file_whose_first_point_is_rejected_with_one_row_chunks(tmp_path, capsys):
    pts = shapely.points([10.0, 113.3, 113.4], [10.0, 23.1, 23.2], [1.0, 2.0, 3.0])
    src = tmp_path / "z.gpkg"
    gpd.GeoDataFrame({"id": ["x", "a", "b"]}, geometry=pts, crs=4490).to_file(src)
    out = tmp_path / "o.csv"
    assert main(_convert(src, out, "--chunk-rows", "1")) == 0
    assert summary(capsys.readouterr().out) == (3, 2, 1)
    got = pd.read_csv(out)
    assert list(got.columns) == ["id", "x", "y", "h"]
    np.testing.assert_allclose(got["h"], [2.0, 3.0], atol=1e-3)


@pytest.mark.parametrize("chunk", ["1", "1000"])
def test_a_file_mixing_2d_and_3d_is_refused_whatever_the_chunks(tmp_path, capsys, chunk):
    src = tmp_path / "mix.geojson"
    feats = [
        _feature({"type": "Point", "coordinates": [113.3, 23.1, 5.0]}, 1),
        _feature({"type": "Point", "coordinates": [113.4, 23.2]}, 2),
    ]
    src.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    refused(_convert(src, tmp_path / "o.csv", "--chunk-rows", chunk), src, capsys, words="2-D")


# --------------------------------------------------------------------------------------------
# Garbage layer files
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".fgb", ".shp", ".parquet"])
def test_garbage_layer_files_are_refused_by_every_reader(tmp_path, capsys, suffix):
    bad = tmp_path / f"bad{suffix}"
    bad.write_bytes(os.urandom(2048))
    refused(_convert(bad, tmp_path / "o.csv"), bad, capsys)
    refused(["rules", "check", str(bad), "--ruleset", "village-industrial-2022"], bad, capsys)
    m = ["map", "build", "--user-layer", str(bad), "-o", str(tmp_path / "m.html")]
    refused(m, bad, capsys)
    refused(["layers", "check", str(bad), "--schema", "villages"], bad, capsys)
    good = tmp_path / "good.csv"
    good.write_text("name,lon,lat\na,113.3,23.1\n", encoding="utf-8")
    cov = ["access", "coverage", str(good), str(bad), "--km", "5", "-o", str(tmp_path / "r.csv")]
    refused(cov, bad, capsys)
    good.unlink()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
@pytest.mark.parametrize("suffix", [".csv", ".geojson", ".parquet"])
def test_unreadable_files_are_refused_by_every_reader(tmp_path, capsys, suffix):
    src = tmp_path / f"v{suffix}"
    gdf = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(113.3, 23.1)], crs=4490)
    if suffix == ".csv":
        src.write_text("name,lon,lat\na,113.3,23.1\n", encoding="utf-8")
    elif suffix == ".parquet":
        gdf.to_parquet(src)
    else:
        gdf.to_file(src)
    src.chmod(0)
    try:
        refused(_convert(src, tmp_path / "o.csv"), src, capsys)
        m = ["map", "build", "--user-layer", str(src), "-o", str(tmp_path / "m.html")]
        refused(m, src, capsys)
        good = tmp_path / "good.csv"
        good.write_text("name,lon,lat\na,113.3,23.1\n", encoding="utf-8")
        out = str(tmp_path / "r.csv")
        cov = ["access", "coverage", str(good), str(src), "--km", "5", "-o", out]
        refused(cov, src, capsys)
        good.unlink()
    finally:
        src.chmod(0o644)
