"""``--geoid FILE`` with the Dask executor (``executor="dask"``, ``geoid=``).

References: the single-process executor on the same file and grid (row for row, byte for
byte, the rejects file too), and a bilinear interpolation of the grid's nodes written by hand
(tests/crs/test_heights.py). The workers open the grid themselves, by the absolute path the
tasks carry; a worker process of a real local cluster does it in the command-line test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import shapely
from dask_refs import _same_output, _same_rejects

import suigeo.crs.dask_convert as dc
from suigeo.crs.batch import convert_file
from suigeo.errors import InputError
from suigeo.io.partitions import dataset_parts
from tests.crs.test_heights import _bilinear, _write_tif, _zeta_nodes

pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[2]
H1985 = "CGCS2000+H1985"


@pytest.fixture(scope="module")
def grid(tmp_path_factory) -> tuple[Path, np.ndarray]:
    nodes = _zeta_nodes(seed=3)
    return _write_tif(tmp_path_factory.mktemp("grid") / "qg.tif", nodes), nodes


def _gnss_csv(path: Path, n: int) -> tuple[Path, np.ndarray, np.ndarray, np.ndarray]:
    """GNSS points with ellipsoidal heights; every 37th west of the grid (112.8 E)."""
    rng = np.random.default_rng(11)
    lon = rng.uniform(113.01, 113.99, n)
    lat = rng.uniform(22.51, 23.99, n)
    h = rng.uniform(-5.0, 300.0, n)
    lon[::37] = 112.8
    lines = ["点号,lon,lat,h"] + [f"P{i},{lon[i]:.9f},{lat[i]:.9f},{h[i]:.4f}" for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, lon, lat, h


def test_dask_with_geoid_equals_the_memory_executor(tmp_path, cluster, grid):
    path, nodes = grid
    inp, lon, lat, h = _gnss_csv(tmp_path / "gnss.csv", 600)
    kw = dict(src="CGCS2000", dst=H1985, h="h", geoid=path)
    mem = convert_file(inp, tmp_path / "mem.parquet", **kw)
    address = cluster[0].scheduler_address
    got = convert_file(
        inp, tmp_path / "dask.parquet", executor="dask", scheduler=address, partition_rows=100, **kw
    )
    assert len(dataset_parts(tmp_path / "dask.parquet")) > 4
    assert (got.read, got.written, got.rejected) == (mem.read, mem.written, mem.rejected)
    assert got.reasons == mem.reasons == {"outside_geoid": len(range(0, 600, 37))}
    table = _same_output(tmp_path / "dask.parquet", tmp_path / "mem.parquet")
    _same_rejects(tmp_path / "dask.rejects.csv", tmp_path / "mem.rejects.csv")
    # independent: H = h - zeta, zeta interpolated bilinearly by hand, to 1 mm
    kept = np.array([int(p[1:]) for p in table.column("点号").to_pylist()])
    z = shapely.get_coordinates(
        shapely.from_wkb(table.column("geometry").to_numpy(False)), include_z=True
    )[:, 2]
    want = np.round(h[kept], 4) - _bilinear(nodes, lon[kept], lat[kept])
    np.testing.assert_allclose(z, want, rtol=0, atol=1e-3)


def test_the_tasks_carry_the_grid_by_absolute_path(tmp_path, cluster, grid, monkeypatch):
    path, _ = grid
    local = tmp_path / "here" / "qg.tif"
    local.parent.mkdir()
    local.write_bytes(path.read_bytes())
    inp, *_ = _gnss_csv(tmp_path / "gnss.csv", 120)
    monkeypatch.chdir(local.parent)
    sent = []
    real = dc._run

    def run(client, tasks, *args):
        sent.extend(tasks)
        return real(client, tasks, *args)

    monkeypatch.setattr(dc, "_run", run)
    got = convert_file(inp, tmp_path / "o.parquet", src="CGCS2000", dst=H1985, h="h",
                       geoid="qg.tif", executor="dask",
                       scheduler=cluster[0].scheduler_address, partition_rows=50)  # fmt: skip
    assert got.written == 120 - len(range(0, 120, 37)) and len(sent) >= 3
    st = local.stat()
    assert {t.geoid for t in sent} == {(str(local.resolve()), st.st_size, st.st_mtime_ns)}
    assert pq.read_table(tmp_path / "o.parquet").num_rows == got.written


def test_a_missing_grid_is_the_memory_executor_error_before_any_work(tmp_path, cluster):
    inp, *_ = _gnss_csv(tmp_path / "gnss.csv", 20)
    kw = dict(src="CGCS2000", dst=H1985, h="h", geoid=tmp_path / "none.tif")
    with pytest.raises(InputError) as mem:
        convert_file(inp, tmp_path / "mem.parquet", **kw)
    with pytest.raises(InputError) as dask:
        convert_file(inp, tmp_path / "dask.parquet", executor="dask",
                     scheduler=cluster[0].scheduler_address, **kw)  # fmt: skip
    assert str(dask.value) == str(mem.value) and "no such file" in str(dask.value)
    assert not (tmp_path / "dask.parquet").exists()
    assert not list(tmp_path.glob(".dask.parquet*"))


def test_a_worker_refuses_a_grid_it_does_not_see_or_that_changed(tmp_path, grid):
    path, _ = grid
    st = path.stat()
    task = dc._Task(
        index=0, part=None, path="in.csv", schema=None, geometry=None, point_layer=True,
        has_z=None, coord_columns=(), src=None, dst=None, params_path=None,
        params_key=None, folder=str(tmp_path), chunk_rows=10,
        geoid=(str(path), st.st_size, st.st_mtime_ns),
    )  # fmt: skip
    assert dc._worker_geoid(task) == str(path)
    with pytest.raises(InputError, match="changed during the run"):
        dc._worker_geoid(dc.replace(task, geoid=(str(path), st.st_size + 1, st.st_mtime_ns)))
    with pytest.raises(InputError, match="no such file on this worker"):
        dc._worker_geoid(dc.replace(task, geoid=(str(tmp_path / "gone.tif"), 1, 1)))


def test_cli_geoid_with_executor_dask_worker_processes(tmp_path, grid):
    """The command line end to end, a LocalCluster of one worker process (which opens the
    grid itself), against the single-process executor."""
    path, _ = grid
    inp, *_ = _gnss_csv(tmp_path / "gnss.csv", 300)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "suigeo", "crs", "convert", str(inp), "-o",
         str(tmp_path / "o.parquet"), "--from", "CGCS2000", "--to", H1985, "--h", "h",
         "--geoid", str(path), "--executor", "dask", "--workers", "1", "--memory-limit", "1GB",
         "--partition-rows", "100"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=180,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    mem = convert_file(inp, tmp_path / "m.parquet", src="CGCS2000", dst=H1985, h="h", geoid=path)
    _same_output(tmp_path / "o.parquet", tmp_path / "m.parquet")
    _same_rejects(tmp_path / "o.rejects.csv", tmp_path / "m.rejects.csv")
    assert f"written {mem.written}, rejected {mem.rejected}" in run.stdout
    assert "outside_geoid 9" in run.stdout
