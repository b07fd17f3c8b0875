"""The Dask executor of ``crs convert`` under faults: a worker process killed mid-run.

Its own module: the other Dask tests share an in-process cluster, and this one needs worker
processes (a LocalCluster with processes=True) started after that cluster is closed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from dask_refs import _points_csv, _same_output, _same_rejects

from suigeo.crs.batch import convert_file
from suigeo.crs.params import EXAMPLE_FILE
from suigeo.io.partitions import dataset_parts

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------------------------
# faults: a worker process killed mid-run
# --------------------------------------------------------------------------------------------


def test_a_worker_killed_mid_run_is_retried_and_the_output_is_identical(tmp_path):
    inp = _points_csv(tmp_path / "in.csv", 60_000, seed=5)
    out = tmp_path / "o.parquet"
    kw = dict(src="CGCS2000", dst="GZ2000", params=EXAMPLE_FILE)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as c:
        pids = [nanny.pid for nanny in c.workers.values()]  # the worker processes
        assert len(pids) == 2 and all(pids) and os.getpid() not in pids
        victim = min(pids)
        killed: list[int] = []

        def kill_when_the_first_part_is_written() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                for tmp in tmp_path.glob(".o.parquet.suigeo-tmp-*"):
                    done = len(list(tmp.glob("part.*.parquet")))
                    if done >= 1:
                        os.kill(victim, signal.SIGKILL)
                        killed.append(done)
                        return
                time.sleep(0.005)

        killer = threading.Thread(target=kill_when_the_first_part_is_written)
        killer.start()
        got = convert_file(inp, out, executor="dask", scheduler=c.scheduler_address,
                           partition_rows=1500, **kw)  # fmt: skip
        killer.join()
        assert killed, "the worker was not killed"
        parts = len(dataset_parts(out))
        assert killed[0] < parts  # killed while partitions were left to convert
        with contextlib.suppress(psutil.NoSuchProcess):  # gone, or a zombie not yet reaped
            assert psutil.Process(victim).status() == psutil.STATUS_ZOMBIE
    mem = convert_file(inp, tmp_path / "m.parquet", **kw)
    assert (got.read, got.written, got.rejected) == (mem.read, mem.written, mem.rejected)
    _same_output(out, tmp_path / "m.parquet")
    _same_rejects(tmp_path / "o.rejects.csv", tmp_path / "m.rejects.csv")
    assert not list(out.glob(".*"))  # no half-written part left in the dataset


def test_a_terminated_run_leaves_no_dataset_and_no_temporary_folder(tmp_path):
    """SIGTERM to ``suigeo crs convert --executor dask`` mid-run (its own LocalCluster)."""
    inp = _points_csv(tmp_path / "in.csv", 60_000, seed=9)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "suigeo", "crs", "convert", str(inp), "-o",
         str(tmp_path / "o.parquet"), "--from", "CGCS2000", "--to", "GZ2000", "--params",
         str(EXAMPLE_FILE), "--executor", "dask", "--workers", "1", "--partition-rows", "1500"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        if any(t.glob("part.*.parquet") for t in tmp_path.glob(".o.parquet.suigeo-tmp-*")):
            break
        time.sleep(0.01)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]
