"""Random bytes, truncations and encodings thrown at every reader of suigeo.io: each either
reads the file or raises an InputError naming it, never anything else (bounded in time)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import geopandas as gpd
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from suigeo.errors import InputError
from suigeo.io.chunks import open_chunks
from suigeo.io.csvtable import read_csv
from suigeo.io.vector import read_layer

FUZZ = settings(
    max_examples=60,
    deadline=None,
    # the same examples every run, so CI is repeatable; SUIGEO_FUZZ_RANDOM=1 explores anew
    derandomize=os.environ.get("SUIGEO_FUZZ_RANDOM") != "1",
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_CSV = 'id,name,lon,lat\n1,石门村,113.3,23.1\n2,"a,b",113.4,23.2\n'.encode()


def _samples(tmp: Path) -> dict[str, bytes]:
    gdf = gpd.GeoDataFrame(
        {"id": [1, 2], "name": ["石门村", "b"]},
        geometry=[shapely.Point(113.3, 23.1), shapely.LineString([(113, 23), (113.1, 23.1)])],
        crs=4490,
    )
    out = {".csv": _CSV}
    for suffix in (".gpkg", ".fgb", ".parquet", ".geojson"):
        p = tmp / f"s{suffix}"
        gdf.to_parquet(p) if suffix == ".parquet" else gdf.to_file(p, engine="pyogrio")
        out[suffix] = p.read_bytes()
    json.loads(out[".geojson"])  # a real sample
    return out


def _read_all(path: Path) -> None:
    """Every reader on ``path``: a result or an InputError naming the file."""
    for read in (read_layer, _stream, read_csv if path.suffix == ".csv" else None):
        if read is None:
            continue
        try:
            read(path)
        except InputError as exc:
            assert path.name in str(exc), str(exc)


def _stream(path: Path) -> None:
    chunks = open_chunks(path, chunk_rows=2)
    try:
        for _ in chunks.batches:
            pass
    finally:
        for close in chunks.closers:
            close()


@FUZZ
@given(data=st.data())
def test_mutated_files_never_raise_anything_but_input_error(tmp_path_factory, data):
    tmp = tmp_path_factory.mktemp("fuzz")
    samples = _samples(tmp)
    suffix = data.draw(st.sampled_from(sorted(samples)))
    raw = bytearray(samples[suffix])
    how = data.draw(st.sampled_from(["truncate", "flip", "insert", "random"]))
    if how == "truncate":
        raw = raw[: data.draw(st.integers(0, len(raw)))]
    elif how == "flip":
        for _ in range(data.draw(st.integers(1, 8))):
            i = data.draw(st.integers(0, len(raw) - 1))
            raw[i] = data.draw(st.integers(0, 255))
    elif how == "insert":
        i = data.draw(st.integers(0, len(raw)))
        raw[i:i] = data.draw(st.binary(min_size=1, max_size=64))
    else:
        raw = bytearray(data.draw(st.binary(max_size=512)))
    path = tmp / f"f{suffix}"
    path.write_bytes(bytes(raw))
    _read_all(path)


@FUZZ
@given(text=st.text(max_size=200), encoding=st.sampled_from(["utf-8", "gbk", "utf-16", "latin-1"]))
def test_csv_text_in_any_encoding(tmp_path_factory, text, encoding):
    path = tmp_path_factory.mktemp("enc") / "t.csv"
    try:
        path.write_bytes(("lon,lat,name\n113.3,23.1," + text + "\n").encode(encoding))
    except UnicodeEncodeError:
        return
    _read_all(path)
