"""Shared by the Dask executor tests: input files with bad rows, and output comparisons."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from suigeo.io.partitions import dataset_parts


def _points_csv(path: Path, n: int, *, seed: int = 7, bom: bool = False) -> Path:
    """``n`` points around Guangzhou with bad rows mixed in: text, empty, NaN, swapped,
    outside the area of use, a blank line, and a quoted note running over two lines."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(113.1, 113.7, n).round(8).astype(str).astype(object)
    lat = rng.uniform(22.8, 23.4, n).round(8).astype(str).astype(object)
    note = np.array(["plain"] * n, dtype=object)
    for i in range(3, n, 97):
        lon[i] = "abc"
    for i in range(11, n, 131):
        lat[i] = ""
    for i in range(17, n, 173):
        lon[i] = "nan"
    for i in range(23, n, 211):
        lon[i], lat[i] = lat[i], lon[i]  # swapped
    for i in range(29, n, 257):
        lon[i] = "150.5"  # outside CGCS2000's area of use (China)
    for i in range(37, n, 293):
        lon[i] = "110.5"  # inside China, outside the target zone (3-degree, CM 114)
    for i in range(31, n, 89):
        note[i] = '"two\nlines, with ""quotes"""'
    lines = ["id,lon,lat,note"]
    for i in range(n):
        lines.append(f"{i},{lon[i]},{lat[i]},{note[i]}")
        if i % 400 == 399:
            lines.append("")  # a blank line keeps its row number
    path.write_text(("\ufeff" if bom else "") + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _parts(path: Path) -> pa.Table:
    """A dataset's parts, in order, as one table without metadata."""
    tables = [pq.read_table(p).replace_schema_metadata(None) for p in dataset_parts(path)]
    return pa.concat_tables(tables)


def _same_output(dask_out: Path, memory_out: Path) -> pa.Table:
    got = _parts(dask_out)
    want = pq.read_table(memory_out).replace_schema_metadata(None)
    assert got.schema == want.schema
    assert got.num_rows == want.num_rows
    assert got.equals(want)  # every cell, WKB bytes included: bit for bit coordinates
    # the folder reads as one dataset, in the same order
    assert pq.read_table(dask_out).replace_schema_metadata(None).equals(want)
    return got


def _same_rejects(a: Path, b: Path) -> None:
    assert a.read_bytes() == b.read_bytes()
