"""Faults while writing and running: full disk, read-only folder, signals, a dying browser,
memory, and hostile small documents (devices, pipes, deep nesting, huge numbers, dates).

Each case: the exit status, one error line and no traceback, no partial or temporary file
left, every input byte-identical.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hostile import (
    EXAMPLE_PARAMS,
    REPO,
    Run,
    assert_refused,
    cli,
    default_sigint,
    python_m,
    snapshot,
)

from suigeo.io.atomic import TEMP_MARK

CONVERT = ["crs", "convert", "--from", "CGCS2000", "--to", "CGCS2000-3GK-CM114"]


def _option(command: list[str], *names: str) -> str:
    text = cli(*command, "--help").out
    return next(n for n in names if f"{n} " in text)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    rows = [f"P{i},{113 + i * 0.001:.6f},{23 + i * 0.001:.6f}" for i in range(3000)]
    (d / "in.csv").write_text("id,lon,lat\n" + "\n".join(rows) + "\n", encoding="utf-8")
    parcels = [f"A{i},{1000 + i},{4000 - i}" for i in range(500)]
    (d / "parcels.csv").write_text(
        "id,site_area_m2,counted_gfa_m2\n" + "\n".join(parcels) + "\n", encoding="utf-8"
    )
    return d


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    cmd = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)]
    return subprocess.run(cmd, capture_output=True).returncode == 0


@pytest.fixture
def tiny_disk(tmp_path: Path):
    """An 8 kB file system (tmpfs; needs root), unmounted afterwards."""
    where = tmp_path / "tiny"
    if not _mount_tmpfs(where, "8k"):
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)


@pytest.fixture
def read_only_folder(tmp_path: Path):
    """A folder that cannot be written: a read-only tmpfs as root, mode 0555 otherwise."""
    where = tmp_path / "ro"
    if _mount_tmpfs(where, "1m"):
        subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)
        try:
            yield where
        finally:
            subprocess.run(["umount", str(where)], check=False)
    elif os.geteuid() != 0:
        where.chmod(0o555)
        yield where
        where.chmod(0o755)
    else:
        pytest.skip("root without mount: every folder is writable")


CONV = "crs convert --from CGCS2000 --to CGCS2000-3GK-CM114 in.csv"
RAIL = REPO / "layers" / "data" / "rail_lines.geojson"
WRITERS = {
    "convert csv": f"{CONV} -o {{d}}/o.csv",
    "convert parquet": f"{CONV} -o {{d}}/o.parquet",
    "convert gpkg": f"{CONV} -o {{d}}/o.gpkg",
    "convert geojson": "crs convert --from CGCS2000 --to WGS84 in.csv -o {d}/o.geojson",
    "convert rejects": f"{CONV} -o o.csv --rejects {{d}}/r.csv",
    "layers export csv": "layers export rail_stations -o {d}/s.csv",
    "layers export gpkg": "layers export rail_lines -o {d}/l.gpkg",
    "rules json": "rules check parcels.csv --ruleset village-industrial-2022 --format json "
    "-o {d}/r.json",
    "map html": f"map build --user-layer {RAIL} -o {{d}}/m.html",
}


def _writer_args(name: str, folder: Path) -> list[str]:
    return WRITERS[name].replace("{d}", str(folder)).split()


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_a_full_disk_is_one_line_and_leaves_nothing(data, tiny_disk, monkeypatch, name):
    if name == "convert rejects":  # every row rejected: the rejects file is the big one
        rows = [f"P{i},{200 + i:.1f},{100 + i:.1f}" for i in range(3000)]
        (data / "in.csv").write_text("id,lon,lat\n" + "\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.chdir(data)
    before, disk_before = snapshot(data), snapshot(tiny_disk)
    run = cli(*_writer_args(name, tiny_disk))
    line = assert_refused(run, before, data)
    assert "the disk is full" in line and str(tiny_disk) in line
    assert snapshot(tiny_disk) == disk_before


# refused before any work, so cheap to run even for the slow commands
READ_ONLY_EXTRA = {
    "crs fit": "crs fit c.csv --model helmert4 --central-meridian 113.5 --scale 1 -o {d}/f.toml",
    "access coverage": "access coverage in.csv in.csv --km 5 -o {d}/r.csv",
    "access rings": "access rings --origin 113.3,23.1 --minutes 30 -o {d}/r.geojson",
    "access rings raster": "access rings --origin 113.3,23.1 --engine raster --minutes 30 "
    "--raster-out {d}/t.tif -o r.geojson",
    "demo": "demo -o {d}/demo.html",
    "map png": f"map build --user-layer {RAIL} -o m.html --png {{d}}/m.png",
}


@pytest.mark.parametrize("name", sorted(WRITERS) + sorted(READ_ONLY_EXTRA))
def test_a_read_only_folder_is_refused_before_the_work(data, read_only_folder, monkeypatch, name):
    monkeypatch.chdir(data)
    (data / "c.csv").write_text("id,src_e,src_n,dst_e,dst_n\nK1,1,1,2,2\n", encoding="utf-8")
    before, ro_before = snapshot(data), snapshot(read_only_folder)
    argv = (
        _writer_args(name, read_only_folder)
        if name in WRITERS
        else READ_ONLY_EXTRA[name].replace("{d}", str(read_only_folder)).split()
    )
    line = assert_refused(cli(*argv), before, data)
    assert str(read_only_folder) in line
    assert "read-only" in line or "permission denied" in line
    assert snapshot(read_only_folder) == ro_before


def test_enospc_in_the_middle_of_a_write_leaves_no_partial_file(data, monkeypatch):
    """Without a small disk: the CSV writer writes half a file, then the disk is full."""
    import suigeo.crs.batch as batch

    def half_then_full(fmt, tmp, batches, conv, dst, layer):
        next(batches)
        tmp.write_bytes(b"id,x,y\nP0,1")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(batch, "_write", half_then_full)
    monkeypatch.chdir(data)
    before = snapshot(data)
    line = assert_refused(cli(*CONVERT, "in.csv", "-o", "o.csv"), before, data)
    assert line == (
        "suigeo: error: cannot write 'o.csv': the disk is full; free some space or write "
        "to another disk (nothing was written)"
    )


# ------------------------------------------------------------------------------- signals
def _big_csv(folder: Path, rows: int = 1_000_000) -> Path:
    rng = np.random.default_rng(7)
    lon, lat = 113 + rng.random(rows), 23 + rng.random(rows)
    lines = (f"{i},{a:.6f},{b:.6f}" for i, a, b in zip(range(rows), lon, lat, strict=True))
    text = "\n".join(lines)
    path = folder / "big.csv"
    path.write_text("id,lon,lat\n" + text + "\n", encoding="utf-8")
    return path


def _start(folder: Path, *argv: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "SUIGEO_GZ2000_PARAMS"}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.Popen(
        [sys.executable, "-m", "suigeo", *argv],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,
    )


def _wait_for_temp(folder: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        temps = [p for p in folder.iterdir() if TEMP_MARK in p.name and p.suffix == ".csv"]
        if any(p.exists() and p.stat().st_size > 0 for p in temps):  # being written
            return
        if proc.poll() is not None:
            pytest.fail(f"finished before a temporary file appeared: {proc.stderr.read()}")
        time.sleep(0.02)
    pytest.fail("no temporary file appeared")


@pytest.fixture(scope="module")
def big_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("big")
    _big_csv(folder)
    return folder


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_signal_removes_the_temporary_file_and_exits_128_plus_n(big_folder, sig):
    num = getattr(signal, sig)
    before = snapshot(big_folder)
    proc = _start(big_folder, *CONVERT, "big.csv", "-o", "out.csv")
    _wait_for_temp(big_folder, proc)
    proc.send_signal(num)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + num, err
    assert "Traceback" not in err and err.strip().endswith("suigeo: interrupted")
    assert snapshot(big_folder) == before  # no output, no temporary file, input unchanged


def test_sigkill_leaves_a_named_temporary_that_the_next_run_removes(big_folder):
    before = snapshot(big_folder)
    proc = _start(big_folder, *CONVERT, "big.csv", "-o", "out.csv")
    _wait_for_temp(big_folder, proc)
    proc.kill()
    proc.communicate(timeout=60)
    left = [p.name for p in big_folder.iterdir() if TEMP_MARK in p.name]
    assert left and all(n.startswith(".out.csv" + TEMP_MARK + f"{proc.pid}-") for n in left)
    small = big_folder / "small.csv"
    small.write_text("id,lon,lat\nA,113.3,23.1\n", encoding="utf-8")
    run = python_m("-v", *CONVERT, "small.csv", "-o", "out.csv", cwd=big_folder)
    assert run.rc == 0, run.err
    assert "a temporary file left by an interrupted run" in run.err
    assert not [p for p in big_folder.iterdir() if TEMP_MARK in p.name]
    small.unlink()
    (big_folder / "out.csv").unlink()
    assert snapshot(big_folder) == before


def test_ctrl_c_while_the_libraries_load_is_exit_130_without_a_traceback(tmp_path):
    """A real SIGINT arrives while pyproj is being imported (a stand-in module sends it)."""
    stub = tmp_path / "stub" / "pyproj"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text("import os, signal\nos.kill(os.getpid(), signal.SIGINT)\n")
    env = {"PYTHONPATH": f"{stub.parent}{os.pathsep}{REPO}"}
    argv = ["crs", "point", "--from", "CGCS2000", "--to", "CGCS2000-3GK-CM114", "113.3", "23.1"]
    run = python_m(*argv, cwd=tmp_path, env=env)
    assert run.rc == 130, run.err
    assert "Traceback" not in run.err and "KeyboardInterrupt" not in run.err
    assert run.err.strip() == "suigeo: interrupted"


# ------------------------------------------------------------------------------- browser
def test_a_dying_chromedriver_leaves_neither_html_nor_png(tmp_path, monkeypatch):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "chromedriver").write_text("#!/bin/sh\nexit 1\n")
    (fake / "chromedriver").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    layer = REPO / "layers" / "data" / "hubs.geojson"
    before = snapshot(work)
    run = cli("map", "build", "--user-layer", layer, "-o", "m.html", "--png", "m.png")
    line = assert_refused(run, before, work)
    assert "m.png" in line


# -------------------------------------------------------------------------------- memory
def _set_option() -> str:
    return _option(["access", "rings"], "--set", "--param")


def test_a_raster_grid_too_big_for_memory_is_refused_before_allocating(tmp_path, monkeypatch):
    import suigeo.geo.access.raster as raster

    monkeypatch.setattr(raster, "_available_memory", lambda: 2**30)
    monkeypatch.chdir(tmp_path)
    s = _set_option()
    argv = ["access", "rings", "--origin", "113.77,23.49", "--engine", "raster"]
    argv += ["--minutes", "30", s, "raster.max_cells=1e9", s, "raster.cell_m=1", "-o", "r.geojson"]
    before = snapshot(tmp_path)
    line = assert_refused(cli(*argv), before, tmp_path)
    assert "raster.cell_m" in line and "GiB" in line


def test_the_memory_estimate_sees_ulimit(tmp_path):
    """A real limit (ulimit -v 3 GB) in a child process: refused, not a MemoryError."""
    s = _set_option()
    argv = ["access", "rings", "--origin", "113.77,23.49", "--engine", "raster", "--minutes"]
    argv += ["30", s, "raster.max_cells=1e9", s, "raster.cell_m=1", "-o", "r.geojson"]
    env = {k: v for k, v in os.environ.items() if k != "SUIGEO_GZ2000_PARAMS"}
    env["PYTHONPATH"] = str(REPO)

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))

    proc = subprocess.run(
        [sys.executable, "-m", "suigeo", *argv],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=limit,
        timeout=300,
    )
    assert_refused(Run(proc.returncode, proc.stdout, proc.stderr), {}, tmp_path)


# --------------------------------------------------------------------- arguments, dates
def test_a_huge_chunk_rows_is_a_usage_error(data, monkeypatch):
    monkeypatch.chdir(data)
    before = snapshot(data)
    run = cli(*CONVERT, "in.csv", "-o", "o.csv", "--chunk-rows", "99999999999999999999")
    assert "--chunk-rows" in assert_refused(run, before, data)


@pytest.mark.parametrize("day", ["2024-W26", "20240630", "2024-06-30T00:00", "2024-6-30"])
def test_as_of_takes_only_yyyy_mm_dd(data, monkeypatch, day):
    monkeypatch.chdir(data)
    before = snapshot(data)
    run = cli("rules", "check", "parcels.csv", "--ruleset", VI, "--as-of", day)
    assert "YYYY-MM-DD" in assert_refused(run, before, data)


def test_a_survey_dated_9999_is_checked_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.csv").write_text(
        "id,product,scale,area_class,last_survey_date\nA,control_network,,,9999-12-31\n",
        encoding="utf-8",
    )
    argv = ["rules", "check", "s.csv", "--ruleset", "survey-update-2022", "--format", "json"]
    # judged on the survey day itself: 0 days old; a 3-year cycle is due 10002-12-31
    run = cli(*argv, "--as-of", "9999-12-31")
    assert run.rc == 0, run.err
    (result,) = json.loads(run.out)["results"]
    assert result["status"] == "pass" and result["value"] == 0
    assert "due 10002-12-31: current" in result["reason"]
    # judged in 2024: the survey lies in the future
    run = cli(*argv, "--as-of", "2024-06-30")
    (result,) = json.loads(run.out)["results"]
    assert result["status"] == "not_evaluable" and "after the as-of date" in result["reason"]


# ------------------------------------------------------------- hostile small documents
def _deep_toml(key: str = "x") -> str:
    return f"{key} = " + "[" * 100_000 + "]" * 100_000 + "\n"


POINT = "crs point --from CGCS2000 --to GZ2000"
VI = "village-industrial-2022"
DEEP = {
    "params": ("p.toml", f"{POINT} --params p.toml 113.3 23.1"),
    "fit base": ("b.toml", "crs fit c.csv --model helmert4 --base b.toml -o f.toml"),
    "rule set": ("rs.toml", "rules check parcels.csv --ruleset rs.toml"),
    "schema": ("s.toml", "layers check v.geojson --schema s.toml"),
    "project toml": ("pr.toml", f"rules check pr.toml --ruleset {VI}"),
    "project json": ("pr.json", f"rules check pr.json --ruleset {VI}"),
}


@pytest.mark.parametrize("name", sorted(DEEP))
def test_a_document_nested_100000_deep_is_refused(data, monkeypatch, name):
    filename, command = DEEP[name]
    text = "[" * 100_000 + "]" * 100_000 if filename.endswith(".json") else _deep_toml()
    argv = command.split()
    monkeypatch.chdir(data)
    (data / filename).write_text(text, encoding="utf-8")
    (data / "c.csv").write_text("id,src_e,src_n,dst_e,dst_n\nK1,1,1,2,2\n", encoding="utf-8")
    (data / "v.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    before = snapshot(data)
    line = assert_refused(cli(*argv), before, data)
    assert "nested too deeply" in line and filename in line


def test_a_400_digit_number_in_a_parameter_file_is_refused(data, monkeypatch):
    monkeypatch.chdir(data)
    text = EXAMPLE_PARAMS.read_text(encoding="utf-8")
    text = text.replace("false_easting_m = 100000.0", "false_easting_m = 1" + "0" * 400, 1)
    (data / "p.toml").write_text(text, encoding="utf-8")
    before = snapshot(data)
    argv = ["crs", "point", "--from", "CGCS2000", "--to", "GZ2000", "--params", "p.toml"]
    line = assert_refused(cli(*argv, "113.3", "23.1"), before, data)
    assert "projection.false_easting_m" in line and "too large" in line
    assert "1000000000" not in line
    argv = ["crs", "fit", "c.csv", "--model", "helmert4", "--base", "p.toml", "-o", "f.toml"]
    (data / "c.csv").write_text("id,src_e,src_n,dst_e,dst_n\nK1,1,1,2,2\n", encoding="utf-8")
    before = snapshot(data)
    assert "false_easting_m" in assert_refused(cli(*argv), before, data)


@pytest.mark.parametrize("what", ["/dev/zero", "fifo", "huge"])
def test_a_parameter_file_that_is_a_device_a_pipe_or_huge_is_refused(tmp_path, what):
    if what == "fifo":
        os.mkfifo(tmp_path / "p.toml")
        path = "p.toml"
    elif what == "huge":
        with open(tmp_path / "p.toml", "wb") as fh:  # sparse: 64 MB of nothing
            fh.truncate(64 * 2**20)
        path = "p.toml"
    else:
        path = what
    before = snapshot(tmp_path)
    argv = ["crs", "point", "--from", "CGCS2000", "--to", "GZ2000", "--params", path]
    run = python_m(*argv, "113.3", "23.1", cwd=tmp_path, timeout=60)
    line = assert_refused(run, before, tmp_path)
    assert path in line


def test_a_rule_set_that_is_a_pipe_is_refused(data, monkeypatch):
    monkeypatch.chdir(data)
    os.mkfifo(data / "rs.toml")
    before = snapshot(data)
    run = cli("rules", "check", "parcels.csv", "--ruleset", "rs.toml")
    assert "not a regular file" in assert_refused(run, before, data)


@pytest.mark.parametrize("option", ["--dem", "--friction"])
def test_a_truncated_geotiff_is_one_line_not_a_warp_traceback(tmp_path, monkeypatch, option):
    """A GeoTIFF whose header is whole but whose data is cut off opens, then fails while
    its blocks are read (rasterio WarpOperationError)."""
    import rasterio
    from affine import Affine

    monkeypatch.chdir(tmp_path)
    profile = dict(driver="GTiff", width=20, height=20, count=1, dtype="float32")
    transform = Affine(0.005, 0.0, 113.25, 0.0, -0.005, 23.15)
    with rasterio.open("full.tif", "w", crs="EPSG:4490", transform=transform, **profile) as dst:
        dst.write(np.arange(400, dtype="float32").reshape(20, 20), 1)
    full = (tmp_path / "full.tif").read_bytes()
    (tmp_path / "cut.tif").write_bytes(full[: len(full) * 2 // 3])
    (tmp_path / "full.tif").unlink()
    argv = ["access", "rings", "--origin", "113.3,23.1", "--engine", "raster", option]
    argv += ["cut.tif", "--minutes", "5", "--no-rail", "-o", "r.geojson"]
    before = snapshot(tmp_path)
    line = assert_refused(cli(*argv), before, tmp_path)
    assert "cut.tif" in line and "damaged" in line
