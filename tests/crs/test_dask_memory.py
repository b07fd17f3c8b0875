"""Bounded memory: a dataset several times larger than a worker's memory limit is converted
by a local cluster of two workers with that limit, without a worker going over it or being
restarted for memory, and nothing is lost.

Its own module: it needs worker processes (``processes=True``, the engine's own local
cluster) and measures them. The dataset is a GeoParquet file of 1,600,000 points, each
with 750 bytes of incompressible payload (a survey record's attachments): 1.2 GB on disk
and in memory, three times the 400 MB limit of a worker, in partitions of 10,000 rows
(7.5 MB; a worker holds a partition's input and output at once, about 5 times its size).
With 20,000-row partitions a worker peaked at 296 MiB, 78 % of its limit, next to Dask's
80 % pause threshold: a worker paused there with memory the allocator keeps never resumes,
and the run stalled once in a few runs. Smaller partitions keep the margin; the conversion
runs in a child process with a deadline, so a stall would fail the test, not hang it.
The reference for the coordinates is pyproj's own Transformer; for the payload, the bytes
of the input.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely
from pyproj import CRS, Transformer

from suigeo.io.partitions import dataset_parts

pytest.importorskip("distributed")

ROWS = 1_600_000
PAYLOAD = 750
GROUP = 10_000
LIMIT = "400MB"
LIMIT_BYTES = 400e6
DEADLINE_S = 600  # measured: 60-75 s under load; a stall fails the test


def _dataset(path: Path) -> None:
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
    schema = pa.schema(
        [("id", pa.int64()), ("payload", pa.binary()), ("geometry", pa.binary())]
    ).with_metadata({"geo": json.dumps(geo)})
    rng = np.random.default_rng(11)
    offsets = pa.py_buffer(np.arange(0, (GROUP + 1) * PAYLOAD, PAYLOAD, dtype=np.int32))
    with pq.ParquetWriter(path, schema, compression="none") as w:
        for start in range(0, ROWS, GROUP):
            pts = shapely.points(rng.uniform(113.0, 114.0, GROUP), rng.uniform(22.6, 23.9, GROUP))
            blob = pa.py_buffer(rng.bytes(GROUP * PAYLOAD))
            payload = pa.BinaryArray.from_buffers(pa.binary(), GROUP, [None, offsets, blob])
            ids = pa.array(np.arange(start, start + GROUP, dtype=np.int64))
            wkb = pa.array(shapely.to_wkb(pts), pa.binary())
            w.write_table(pa.table([ids, payload, wkb], schema=schema))


def _digest(tables) -> str:
    """SHA-256 of the payload cells, in order (each chunk's own byte range of its buffer)."""
    h = hashlib.sha256()
    for t in tables:
        for chunk in t.column("payload").chunks:
            offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)
            a, b = offsets[chunk.offset], offsets[chunk.offset + len(chunk)]
            h.update(memoryview(chunk.buffers()[2])[a:b])
    return h.hexdigest()


@pytest.mark.slow
def test_a_dataset_three_times_a_workers_memory_limit(tmp_path):
    src, out = tmp_path / "big.parquet", tmp_path / "gk.parquet"
    _dataset(src)
    assert src.stat().st_size > 3 * LIMIT_BYTES
    # The conversion runs in a child process group with a deadline: if Dask ever stalls (a
    # worker restarted for memory that never comes back), the test fails instead of hanging.
    script = (
        "import json, sys\n"
        "from suigeo.crs.batch import convert_file\n"
        f"got = convert_file({str(src)!r}, {str(out)!r}, src='CGCS2000', "
        f"dst='CGCS2000-3GK-CM114', executor='dask', workers=2, memory_limit={LIMIT!r}, "
        f"partition_rows={GROUP}, chunk_rows=10_000)\n"
        "print(json.dumps([got.read, got.written, got.rejected]))\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    me = psutil.Process(child.pid)
    peaks: dict[int, int] = {}
    cmdlines: dict[int, str] = {}
    lived: dict[int, list[float]] = {}  # first and last seen, seconds from the start
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            with contextlib.suppress(psutil.NoSuchProcess):
                for p in me.children(recursive=True):
                    # read everything first, then record it all: a process that exits between
                    # two reads is left out whole, never half-recorded
                    with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                        rss = p.memory_info().rss
                        # the latest: a process just forked shows none, or its parent's
                        cmd = " ".join(p.cmdline())
                        ppid = p.ppid()
                        seen_at = round(time.perf_counter() - t0, 1)
                        peaks[p.pid] = max(peaks.get(p.pid, 0), rss)
                        if cmd:
                            cmdlines[p.pid] = f"ppid {ppid}: {cmd}"
                        lived.setdefault(p.pid, [seen_at, seen_at])[1] = seen_at
            time.sleep(0.02)

    t0 = time.perf_counter()
    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        stdout, stderr = child.communicate(timeout=DEADLINE_S)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        pytest.fail(f"the Dask conversion did not finish in {DEADLINE_S} s (killed)")
    finally:
        stop.set()
        sampler.join()
    log = stderr.decode(errors="replace")
    assert child.returncode == 0, (child.returncode, log[-4000:])
    got = json.loads(stdout.decode().strip().splitlines()[-1])
    wall = time.perf_counter() - t0
    assert got == [ROWS, ROWS, 0]
    # the workers are the processes multiprocessing spawned (not its resource tracker)
    seen = {
        pid: (round(peaks[pid] / 2**20), lived.get(pid), cmdlines.get(pid, "")) for pid in peaks
    }
    workers = {pid: peaks[pid] for pid, (_, _, cmd) in seen.items() if "spawn_main" in cmd}
    # the nanny restarts a worker that passes 95 % of its limit and says so ("exceeded 95%
    # memory budget. Restarting..."): none may be. (A third worker process, of 62 MiB, was
    # seen once in CI with no such line and every row written: what started it is not known,
    # so the processes are not counted; their peaks and lifetimes are printed.)
    assert len(workers) >= 2, f"worker processes seen: {seen}\n{log[-4000:]}"
    assert "memory budget" not in log, log[-4000:]
    # under the limit, and below the 95 % at which the nanny restarts a worker (measured:
    # 295 MiB a worker, of a 381 MiB limit)
    assert max(workers.values()) < 0.95 * LIMIT_BYTES
    # nothing lost: every row, every payload byte, coordinates as pyproj gives them
    parts = dataset_parts(out)
    assert len(parts) == ROWS // GROUP
    assert sum(pq.read_metadata(p).num_rows for p in parts) == ROWS
    src_file = pq.ParquetFile(src)
    groups = src_file.num_row_groups
    into = _digest(src_file.read_row_group(g, columns=["payload"]) for g in range(groups))
    assert _digest(pq.read_table(p, columns=["payload"]) for p in parts) == into
    tr = Transformer.from_crs(4490, 4547, always_xy=True)
    for k in (0, len(parts) - 1):
        part = pq.read_table(parts[k], columns=["id", "geometry"])
        ids = part.column("id").to_numpy()
        assert np.array_equal(ids, np.arange(k * GROUP, (k + 1) * GROUP))
        first = src_file.read_row_group(k, columns=["geometry"])
        pin = shapely.from_wkb(first.column("geometry").to_numpy(zero_copy_only=False))
        pout = shapely.from_wkb(part.column("geometry").to_numpy(zero_copy_only=False))
        x, y = tr.transform(shapely.get_x(pin), shapely.get_y(pin))
        assert np.abs(x - shapely.get_x(pout)).max() < 1e-6
        assert np.abs(y - shapely.get_y(pout)).max() < 1e-6
    print(f"2 workers, limit {LIMIT}: peaks {[round(v / 2**20) for v in workers.values()]} "
          f"MiB, {wall:.1f} s; seen {seen}")  # fmt: skip
