"""Benchmark: a 10-million-row CSV through ``suigeo crs convert`` against reference tools.

Generates ``benchmarks/data/points-<N>.csv`` (id, lon, lat, name; Guangzhou-area CGCS2000
points, 9 decimals) once, then converts it CGCS2000 -> CGCS2000-3GK-CM114 with

- ``suigeo crs convert`` (streaming, rejects checks, atomic output);
- ``ogr2ogr`` (GDAL's command-line converter, Debian package gdal-bin), CSV to CSV with
  ``-lco GEOMETRY=AS_XY``, if it is installed;
- a plain pandas + pyproj script: read the whole CSV, transform, ``to_csv`` (what one would
  write by hand; it holds the whole file in memory and checks nothing).

Each tool runs as its own child process; wall time and that child's peak resident memory
(``os.wait4`` rusage, ru_maxrss) are measured. The outputs are checked against each other on
a sample of rows. Usage::

    python benchmarks/bench_convert.py [--rows 10000000] [--skip-ogr]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"

PANDAS_SCRIPT = """
import sys
import pandas as pd
from pyproj import Transformer
src, out = sys.argv[1], sys.argv[2]
df = pd.read_csv(src)
t = Transformer.from_crs(4490, 4547, always_xy=True)
df["lon"], df["lat"] = t.transform(df["lon"].to_numpy(), df["lat"].to_numpy())
df.to_csv(out, index=False, float_format="%.4f")
"""


def generate(rows: int) -> Path:
    """Write the benchmark CSV (fast: numpy + pyarrow's CSV writer), unless it exists."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"points-{rows}.csv"
    if path.exists():
        return path
    rng = np.random.default_rng(20260101)
    tmp = path.with_suffix(".tmp")
    step = 2_000_000
    with tmp.open("wb") as fh:
        for start in range(0, rows, step):
            n = min(step, rows - start)
            ids = np.arange(start, start + n)
            table = pa.table(
                {
                    "id": ids,
                    "lon": np.round(rng.uniform(112.95, 114.05, n), 9),
                    "lat": np.round(rng.uniform(22.55, 23.95, n), 9),
                    "name": pc.binary_join_element_wise(
                        "pt", pc.cast(pa.array(ids), pa.string()), ""
                    ),
                }
            )
            opts = pcsv.WriteOptions(include_header=start == 0, quoting_style="none")
            pcsv.write_csv(table, fh, opts)
    tmp.rename(path)
    return path


def run(name: str, cmd: list[str]) -> dict:
    """Run ``cmd`` as a child; return wall seconds and the child's peak RSS in MiB."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed ({proc.returncode}): {err[-2000:]}")
    return {"name": name, "seconds": wall, "peak_mib": usage.ru_maxrss / 1024, "stdout": out}


def sample(path: Path, xcol: str, ycol: str, n: int = 2000) -> np.ndarray:
    """The first ``n`` rows' (id, x, y) of a CSV output."""
    reader = pcsv.open_csv(path)
    batch = reader.read_next_batch().slice(0, n)
    return np.column_stack(
        [
            batch.column("id").to_numpy(),
            batch.column(xcol).to_numpy(),
            batch.column(ycol).to_numpy(),
        ]
    ).astype(float)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--skip-ogr", action="store_true")
    args = ap.parse_args()

    t0 = time.perf_counter()
    src = generate(args.rows)
    size = src.stat().st_size
    print(
        f"input {src} ({args.rows:,} rows, {size / 2**20:.0f} MiB), ready in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    outs = {k: DATA / f"out-{k}.csv" for k in ("suigeo", "ogr2ogr", "pandas")}
    for p in outs.values():
        p.unlink(missing_ok=True)

    suigeo = [sys.executable, "-m", "suigeo"]
    results = [
        run(
            "suigeo crs convert",
            [
                *suigeo,
                "crs",
                "convert",
                str(src),
                "-o",
                str(outs["suigeo"]),
                "--from",
                "CGCS2000",
                "--to",
                "CGCS2000-3GK-CM114",
            ],
        )
    ]
    print(results[0]["stdout"].strip())
    ogr = shutil.which("ogr2ogr")
    if ogr and not args.skip_ogr:
        results.append(
            run(
                "ogr2ogr (GDAL)",
                [
                    ogr,
                    "-f",
                    "CSV",
                    str(outs["ogr2ogr"]),
                    str(src),
                    "-oo",
                    "X_POSSIBLE_NAMES=lon",
                    "-oo",
                    "Y_POSSIBLE_NAMES=lat",
                    "-oo",
                    "KEEP_GEOM_COLUMNS=NO",
                    "-s_srs",
                    "EPSG:4490",
                    "-t_srs",
                    "EPSG:4547",
                    "-lco",
                    "GEOMETRY=AS_XY",
                ],
            )
        )
    results.append(
        run(
            "pandas + pyproj script",
            [sys.executable, "-c", PANDAS_SCRIPT, str(src), str(outs["pandas"])],
        )
    )

    # same numbers from every tool (first rows)
    ref = sample(outs["pandas"], "lon", "lat")
    got = sample(outs["suigeo"], "lon", "lat")
    assert np.array_equal(ref[:, 0], got[:, 0])
    diff = {"suigeo": np.abs(ref[:, 1:] - got[:, 1:]).max()}
    if (outs["ogr2ogr"]).exists():
        o = sample(outs["ogr2ogr"], "X", "Y")
        diff["ogr2ogr"] = np.abs(ref[:, 1:] - o[:, 1:]).max()
    print(f"max difference against the pandas+pyproj output on 2000 rows (m): {diff}")

    base = results[0]
    lines = [
        f"rows {args.rows:,}; input {size / 2**20:.0f} MiB; {platform.python_version()}, "
        f"{os.cpu_count()} CPUs (shared)",
        "",
        "| tool | seconds | rows/s | peak RSS MiB | suigeo speed ratio | suigeo memory ratio |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        rate = args.rows / r["seconds"]
        lines.append(
            f"| {r['name']} | {r['seconds']:.1f} | {rate:,.0f} | {r['peak_mib']:.0f} | "
            f"{r['seconds'] / base['seconds']:.2f}x | {base['peak_mib'] / r['peak_mib']:.2f}x |"
        )
    print("\n".join(lines))
    print(
        "(speed ratio = tool seconds / suigeo seconds: >1 means suigeo is faster; "
        "memory ratio = suigeo peak / tool peak: <1 means suigeo uses less)"
    )
    for p in outs.values():
        p.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
