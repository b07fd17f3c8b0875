"""Benchmark: ``crs convert`` of N points (default 10 M), GeoParquet in and out, on the
single-process executor and on the Dask executor (a LocalCluster of 2 worker processes).

Generates ``benchmarks/data/dask-points-<N>.parquet`` once (id, GeoParquet point geometry,
Guangzhou-area CGCS2000 lon/lat, row groups of 250,000 rows), then converts it CGCS2000 ->
CGCS2000-3GK-CM114:

- ``memory``: ``suigeo crs convert IN -o OUT.parquet`` (one process, chunk by chunk);
- ``dask``: ``suigeo crs convert IN -o OUT.parquet --executor dask --workers 2
  --memory-limit 2GB`` (a folder of parts).

Each run is a child process; wall time and resident memory are sampled every 50 ms over the
child's whole process tree (psutil): the peak of the sum over the processes (client, Dask
workers, their nannies) and the peak of any single process. The two outputs are compared
row for row (ids and WKB bytes).

Then one partition's costs are split out in this process (``--breakdown``, default on):
reading its row groups, the conversion (checks and PROJ), writing the part, and pickling the
task's result (what a worker sends back to the client): where the time of a partition goes.

The large run (``--dask-only``, for 100 M points): the input is generated as a dataset folder
``dask-points-<N>/`` of parts of ``--part-rows`` rows (``--dataset``), only the Dask executor
runs, and its output is checked against pyproj itself (``EPSG:4490`` -> ``EPSG:4547``) on the
first 2,000 rows of every output part (ids say which input rows they are), plus the row count.
The per-process peaks are printed, so the peak of each worker is seen.

The other commands with a Dask executor (``--what``), each run both ways as a child process
(``suigeo ...`` on its default engine, then with ``--executor dask`` / ``--executor dask
--workers 2 --memory-limit 2GB``), the outputs compared byte for byte:

- ``--what rules``: ``rules check`` of ``--rows`` generated village-industrial projects (a
  CSV, the generator of ``bench_rules.py``), ``--format csv -o``;
- ``--what coverage``: ``access coverage`` of ``--facilities`` facilities and ``--targets``
  targets (CSVs of random points over Guangzhou), ``--minutes 30`` (sketch, rail) and
  ``--km 5``.

Usage::

    python benchmarks/bench_dask.py [--rows 10000000] [--partition-rows 1000000]
        [--workers 2] [--also-workers 1] [--memory-limit 2GB]
    python benchmarks/bench_dask.py --rows 100000000 --dataset --dask-only --no-breakdown
    python benchmarks/bench_dask.py --what rules --rows 1000000
    python benchmarks/bench_dask.py --what coverage --facilities 2000 --targets 20000
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pickle
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
ROOT = HERE.parent
GROUP = 250_000


def generate(path: Path, rows: int, *, first_id: int = 0, seed: int = 2026) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    import shapely
    from pyproj import CRS

    geo = {
        "version": "1.1.0",
        "primary_column": "geometry",
        "columns": {
            "geometry": {
                "encoding": "WKB",
                "geometry_types": ["Point"],
                "crs": CRS.from_epsg(4490).to_json_dict(),
            }
        },
    }
    schema = pa.schema([("id", pa.int64()), ("geometry", pa.binary())]).with_metadata(
        {"geo": json.dumps(geo)}
    )
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".tmp")
    with pq.ParquetWriter(tmp, schema) as w:
        for start in range(0, rows, GROUP):
            n = min(GROUP, rows - start)
            lon = rng.uniform(112.95, 114.05, n)
            lat = rng.uniform(22.55, 23.95, n)
            wkb = shapely.to_wkb(shapely.points(lon, lat))
            ids = np.arange(first_id + start, first_id + start + n, dtype=np.int64)
            w.write_table(pa.table([ids, pa.array(wkb, pa.binary())], schema=schema))
    tmp.rename(path)


def generate_dataset(folder: Path, rows: int, part_rows: int) -> None:
    """``folder/part.NNNNNN.parquet``: parts of ``part_rows`` rows with ids running on, the same
    points as :func:`generate` would make for each part's seed."""
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    for i, start in enumerate(range(0, rows, part_rows)):
        n = min(part_rows, rows - start)
        generate(tmp / f"part.{i:06d}.parquet", n, first_id=start, seed=2026 + i)
    tmp.rename(folder)


def verify_sample(src: Path, out: Path, rows: int, sample: int = 2000) -> tuple[int, float]:
    """Rows of ``out`` == ``rows``, and the first ``sample`` rows of every output part match
    pyproj (EPSG:4490 -> EPSG:4547, always_xy) on the input rows their ids name: (parts
    checked, largest difference in metres)."""
    import pyarrow.parquet as pq
    import shapely
    from pyproj import Transformer

    from suigeo.io.partitions import dataset_parts, parquet_files

    tr = Transformer.from_crs(4490, 4547, always_xy=True)
    inputs = parquet_files(src)
    starts, total = [], 0
    for f in inputs:
        starts.append(total)
        total += pq.read_metadata(f).num_rows
    parts = dataset_parts(out)
    got = sum(pq.read_metadata(p).num_rows for p in parts)
    if got != rows or total != rows:
        sys.exit(f"row counts: input {total}, output {got}, expected {rows}")
    worst = 0.0
    for part in parts:
        t = pq.ParquetFile(part).read_row_group(0).slice(0, sample)
        ids = t.column("id").to_numpy()
        k = int(np.searchsorted(starts, ids[0], side="right")) - 1
        pf = pq.ParquetFile(inputs[k])
        first = int(ids[0]) - starts[k]
        g, base = 0, 0
        while base + pf.metadata.row_group(g).num_rows <= first:
            base += pf.metadata.row_group(g).num_rows
            g += 1
        src_t = pf.read_row_groups(list(range(g, min(g + 2, pf.num_row_groups))))
        src_t = src_t.slice(first - base, len(ids))
        if not np.array_equal(src_t.column("id").to_numpy(), ids):
            sys.exit(f"{part}: ids do not follow the input")
        pin = shapely.from_wkb(src_t.column("geometry").to_numpy(zero_copy_only=False))
        pout = shapely.from_wkb(t.column("geometry").to_numpy(zero_copy_only=False))
        ex, ny = tr.transform(shapely.get_x(pin), shapely.get_y(pin))
        d = max(
            float(np.abs(ex - shapely.get_x(pout)).max()),
            float(np.abs(ny - shapely.get_y(pout)).max()),
        )
        worst = max(worst, d)
    if worst > 1e-6:
        sys.exit(f"output differs from pyproj by {worst} m")
    return len(parts), worst


def run(cmd: list[str], ok: tuple[int, ...] = (0,)) -> dict[str, float]:
    import psutil

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    root = psutil.Process(proc.pid)
    peak_sum = 0
    peaks: dict[int, int] = {}  # peak RSS of each process of the tree
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        total = 0
        for p in tree:
            with contextlib.suppress(psutil.NoSuchProcess):
                rss = p.memory_info().rss
                total += rss
                peaks[p.pid] = max(peaks.get(p.pid, 0), rss)
        peak_sum = max(peak_sum, total)
        time.sleep(0.05)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode not in ok:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err.decode()}")
    return {
        "wall_s": wall,
        "peak_sum_mib": peak_sum / 2**20,
        "peak_client_mib": peaks.get(proc.pid, 0) / 2**20,
        # the largest other process: a Dask worker (the multiprocessing helpers are small)
        "peak_worker_mib": max((v for k, v in peaks.items() if k != proc.pid), default=0) / 2**20,
        "processes": len(peaks),
        "peaks_mib": sorted((v / 2**20 for k, v in peaks.items() if k != proc.pid), reverse=True),
        "line": out.decode().strip(),
        "rc": proc.returncode,
    }


def compare(mem: Path, dask: Path) -> int:
    import pyarrow.parquet as pq

    from suigeo.io.partitions import dataset_parts

    a = pq.ParquetFile(mem)
    rows = 0
    parts = iter(dataset_parts(dask))
    pending = None
    for batch in a.iter_batches(batch_size=GROUP):
        need = batch.num_rows
        got = []
        while need:
            if pending is None or pending.num_rows == 0:
                pending = pq.read_table(next(parts))
            take = pending.slice(0, need)
            pending = pending.slice(take.num_rows)
            need -= take.num_rows
            got.append(take)
        import pyarrow as pa

        b = pa.concat_tables(got).combine_chunks()
        if (
            not pa.Table.from_batches([batch])
            .replace_schema_metadata(None)
            .equals(b.replace_schema_metadata(None))
        ):
            sys.exit(f"outputs differ in rows {rows}..{rows + batch.num_rows}")
        rows += batch.num_rows
    return rows


def breakdown(path: Path, partition_rows: int) -> dict[str, float]:
    """One partition's costs, in this process: read, convert, write, pickle the result."""
    import tempfile

    import pyarrow.parquet as pq

    from suigeo.crs import resolve
    from suigeo.crs.batch import (
        _convert_batch,
        _Converter,
        _open_source,
        _write_parquet,
    )
    from suigeo.crs.dask_convert import _ListSink, _Result, _Task
    from suigeo.io.partitions import plan_parquet, read_parquet_part

    s, d = resolve("CGCS2000"), resolve("CGCS2000-3GK-CM114")
    part = plan_parquet([path], partition_rows)[0]
    source = _open_source(path, "parquet", 200_000, None, None, None, s)
    for close in source.closers:
        close()
    t = time.process_time()
    batches = list(read_parquet_part(part, 200_000))
    read_s = time.process_time() - t
    conv = _Converter(s, d, None, source)
    sink = _ListSink()
    t = time.process_time()
    out = [_convert_batch((b, None), source, conv, sink) for b in batches]  # type: ignore[arg-type]
    convert_s = time.process_time() - t
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        t = time.process_time()
        _write_parquet(Path(tmp) / "p.parquet", iter(out), conv, d, geo_in_schema=True)
        write_s = time.process_time() - t
        size = (Path(tmp) / "p.parquet").stat().st_size
    import cloudpickle

    task = _Task(
        0, part, str(path), source.schema, source.geometry, source.point_layer,
        source.has_z, source.coord_columns, s, d, None, None, str(DATA), 200_000,
    )  # fmt: skip
    t = time.process_time()
    sent = cloudpickle.dumps(task)
    back = _Result(0, conv.read, conv.written, conv.rejected, conv.read, conv.reasons, None, "p")
    result = pickle.dumps(back, protocol=5) + sent
    pickle_s = time.process_time() - t
    return {
        "rows": part.rows,
        "read_s": read_s,
        "convert_s": convert_s,
        "write_s": write_s,
        "result_pickle_s": pickle_s,
        "result_bytes": len(result),
        "part_mib": size / 2**20,
        "input_mib": sum(
            pq.read_metadata(path).row_group(g).total_byte_size for g in part.row_groups
        )
        / 2**20,
    }


def _both(name: str, base: list[str], dask: list[str], out: Path, ok=(0,)) -> None:
    """Run ``base`` (writing ``out``) and ``base + dask`` (writing ``out`` under another
    name); print time and memory of each; the outputs must be identical."""
    import hashlib

    digests = []
    for label, extra in (("memory", []), ("dask", dask)):
        target = out.with_name(f"{label}-{out.name}")
        r = run([*base, "-o", str(target), *extra], ok=ok)
        digests.append(hashlib.sha256(target.read_bytes()).hexdigest())
        print(
            f"{name} {label:6s} wall {r['wall_s']:6.1f} s  peak RSS: all processes "
            f"{r['peak_sum_mib']:6.0f} MiB, client {r['peak_client_mib']:6.0f} MiB, largest "
            f"worker {r['peak_worker_mib']:6.0f} MiB; exit {r['rc']}; output "
            f"{target.stat().st_size / 2**20:.1f} MiB",
            flush=True,
        )
        target.unlink()
    if digests[0] != digests[1]:
        sys.exit(f"{name}: the outputs differ")
    print(f"{name}: outputs identical (sha256 {digests[0][:16]})", flush=True)


def bench_rules(rows: int, workers: int, limit: str, partition: int | None) -> None:
    sys.path.insert(0, str(HERE))
    from bench_rules import make_projects

    src = DATA / f"dask-projects-{rows}.csv"
    if not src.exists():
        make_projects(rows).to_csv(src, index=False)
    base = [sys.executable, "-m", "suigeo", "rules", "check", str(src), "--ruleset",
            "village-industrial-2022", "--as-of", "2024-06-30", "--format", "csv"]  # fmt: skip
    dask = ["--executor", "dask", "--workers", str(workers), "--memory-limit", limit]
    if partition:
        dask += ["--partition-rows", str(partition)]
    _both(f"rules check {rows:,} projects", base, dask, DATA / "dask-rules.csv", ok=(0, 1))


def bench_coverage(n_fac: int, n_tgt: int, workers: int, limit: str, partition: int | None):
    rng = np.random.default_rng(5)
    paths = []
    for what, n in (("facilities", n_fac), ("targets", n_tgt)):
        path = DATA / f"dask-{what}-{n}.csv"
        lon, lat = rng.uniform(113.0, 114.0, n), rng.uniform(22.6, 23.9, n)
        pairs = enumerate(zip(lon, lat, strict=True))
        rows = [f"{what[0]}{i},{x:.6f},{y:.6f}" for i, (x, y) in pairs]
        path.write_text("name,lon,lat\n" + "\n".join(rows) + "\n")
        paths.append(str(path))
    dask = ["--executor", "dask", "--workers", str(workers), "--memory-limit", limit]
    if partition:
        dask += ["--partition-rows", str(partition)]
    for bound in (["--km", "5"], ["--minutes", "30"]):
        base = [sys.executable, "-m", "suigeo", "access", "coverage", *paths, *bound]
        _both(f"coverage {n_fac}x{n_tgt} {' '.join(bound)}", base, dask,
              DATA / "dask-coverage.csv", ok=(0, 1))  # fmt: skip


def main() -> None:  # noqa: C901 - one flat list of modes
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--partition-rows", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--also-workers", type=int, nargs="*", default=[], help="other worker counts to run"
    )
    ap.add_argument("--memory-limit", default="2GB")
    ap.add_argument("--no-breakdown", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the outputs")
    ap.add_argument("--dataset", action="store_true", help="generate a folder of parts")
    ap.add_argument("--part-rows", type=int, default=10_000_000, help="rows of a generated part")
    ap.add_argument("--dask-only", action="store_true", help="no single-process run")
    ap.add_argument("--what", choices=("convert", "rules", "coverage"), default="convert")
    ap.add_argument("--facilities", type=int, default=2000)
    ap.add_argument("--targets", type=int, default=20000)
    args = ap.parse_args()
    if args.what != "convert":
        DATA.mkdir(exist_ok=True)
        print(f"# {platform.node()}: {os.cpu_count()} cores; {os.getloadavg()[0]:.1f} load")
        part = args.partition_rows if "--partition-rows" in sys.argv else None
        if args.what == "rules":
            bench_rules(args.rows, args.workers, args.memory_limit, part)
        else:
            bench_coverage(args.facilities, args.targets, args.workers, args.memory_limit, part)
        print(f"# load afterwards {os.getloadavg()[0]:.1f}")
        return

    DATA.mkdir(exist_ok=True)
    if args.dataset:
        src = DATA / f"dask-points-{args.rows}"
        if not src.exists():
            t = time.perf_counter()
            generate_dataset(src, args.rows, args.part_rows)
            size = sum(p.stat().st_size for p in src.iterdir())
            print(f"generated {src}/ ({size / 2**20:.0f} MiB in {len(list(src.iterdir()))} "
                  f"parts) in {time.perf_counter() - t:.1f} s", flush=True)  # fmt: skip
    else:
        src = DATA / f"dask-points-{args.rows}.parquet"
        if not src.exists():
            t = time.perf_counter()
            generate(src, args.rows)
            print(f"generated {src} ({src.stat().st_size / 2**20:.0f} MiB) in "
                  f"{time.perf_counter() - t:.1f} s")  # fmt: skip
    import dask
    import distributed
    import pyproj

    print(
        f"# {platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"pyproj {pyproj.__version__} (PROJ {pyproj.proj_version_str}), dask {dask.__version__}, "
        f"distributed {distributed.__version__}"
    )
    base = [sys.executable, "-m", "suigeo", "crs", "convert", str(src), "--from", "CGCS2000",
            "--to", "CGCS2000-3GK-CM114"]  # fmt: skip
    mem_out, dask_out = DATA / "dask-bench-memory.parquet", DATA / "dask-bench-dask.parquet"
    results = {}
    if not args.dask_only:
        results["memory"] = run([*base, "-o", str(mem_out)])
    for extra in args.also_workers:  # the same with other numbers of workers
        out = DATA / f"dask-bench-dask-{extra}.parquet"
        results[f"dask-{extra}w"] = run(
            [*base, "-o", str(out), "--executor", "dask", "--workers", str(extra),
             "--memory-limit", args.memory_limit, "--partition-rows", str(args.partition_rows)]
        )  # fmt: skip
        shutil.rmtree(out)
    results[f"dask-{args.workers}w"] = run(
        [*base, "-o", str(dask_out), "--executor", "dask", "--workers", str(args.workers),
         "--memory-limit", args.memory_limit, "--partition-rows", str(args.partition_rows)]
    )  # fmt: skip
    for name, r in results.items():
        print(
            f"{name:8s} wall {r['wall_s']:6.1f} s  {args.rows / r['wall_s'] / 1e6:5.2f} M rows/s  "
            f"peak RSS: all processes {r['peak_sum_mib']:6.0f} MiB, client "
            f"{r['peak_client_mib']:6.0f} MiB, largest worker {r['peak_worker_mib']:6.0f} MiB "
            f"({r['processes']} processes)"
        )
        print(f"         {r['line']}")
        print(f"         per-process peaks MiB: {', '.join(f'{v:.0f}' for v in r['peaks_mib'])}")
    if args.dask_only:
        t = time.perf_counter()
        n, worst = verify_sample(src, dask_out, args.rows)
        print(
            f"output checked: {args.rows} rows; first 2,000 rows of each of {n} parts match "
            f"pyproj EPSG:4490 -> EPSG:4547 within {worst:.2e} m ({time.perf_counter() - t:.0f} s)"
        )
    else:
        rows = compare(mem_out, dask_out)
        print(f"outputs identical: {rows} rows, ids and WKB bytes")
    if not args.no_breakdown:
        code = (
            "import time; t = time.perf_counter()\n"
            "from suigeo.io.cluster import connect\n"
            f"c = connect(None, {args.workers}, {args.memory_limit!r}); "
            "print(time.perf_counter() - t); c.close()\n"
        )
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        t = time.perf_counter()
        started = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                 text=True, check=True).stdout.split()[-1]  # fmt: skip
        print(
            f"local cluster of {args.workers} workers: import + start {float(started):.1f} s, "
            f"with close and interpreter {time.perf_counter() - t:.1f} s"
        )
        b = breakdown(src, args.partition_rows)
        total = b["read_s"] + b["convert_s"] + b["write_s"] + b["result_pickle_s"]
        print(
            f"one partition of {b['rows']:,} rows (CPU s): read {b['read_s']:.2f}, convert "
            f"(checks + PROJ) {b['convert_s']:.2f}, write {b['write_s']:.2f}, pickle task and "
            f"result {b['result_pickle_s']:.4f} ({b['result_bytes']} B); total {total:.2f} s; "
            f"input {b['input_mib']:.0f} MiB, part {b['part_mib']:.0f} MiB"
        )
    if not args.keep:
        if mem_out.exists():
            mem_out.unlink()
        shutil.rmtree(dask_out)


if __name__ == "__main__":
    main()
