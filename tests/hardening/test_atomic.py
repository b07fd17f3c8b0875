"""The output check and the atomic writer of suigeo.io.atomic, through the Python API."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hostile import REPO

import suigeo
from suigeo.errors import OutputError
from suigeo.io.atomic import (
    TEMP_MARK,
    Interrupted,
    atomic_output,
    check_outputs,
    disk_error,
    handle_termination,
    package_roots,
    stale_temporaries,
)


def test_the_package_roots_follow_the_links_of_a_source_checkout():
    roots = package_roots()
    assert Path(suigeo.__file__).resolve().parent in roots
    pkg = Path(suigeo.__file__).parent
    for name in ("crs", "layers", "geo", "maps"):
        assert (pkg / name).resolve() in roots
    if (pkg / "crs").is_symlink():  # a source checkout: the real folders are top level
        assert REPO / "crs" in roots


def test_symlinks_and_hard_links_to_an_input_are_the_input(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("x\n")
    os.symlink(src, tmp_path / "soft.csv")
    os.link(src, tmp_path / "hard.csv")
    for out in ("soft.csv", "hard.csv", "in.csv", "./sub/../in.csv"):
        (tmp_path / "sub").mkdir(exist_ok=True)
        with pytest.raises(OutputError, match="a file this command reads"):
            check_outputs([tmp_path / out], [src])
    check_outputs([tmp_path / "other.csv"], [src, None])  # a new file is fine
    with pytest.raises(OutputError, match="same file"):
        check_outputs([("-o", tmp_path / "a.csv"), ("--rejects", tmp_path / "a.csv")])


def test_a_failed_writer_leaves_the_old_output_and_no_temporary(tmp_path):
    out = tmp_path / "o.csv"
    out.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_output(out) as tmp:
        tmp.write_text("half")
        raise RuntimeError("writer bug")
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.csv"]


def test_enospc_becomes_an_output_error_naming_the_file(tmp_path):
    out = tmp_path / "o.csv"
    with pytest.raises(OutputError) as info, atomic_output(out) as tmp:
        tmp.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert str(info.value) == (
        f"cannot write {str(out)!r}: the disk is full; free some space or write to another "
        "disk (nothing was written)"
    )
    assert not list(tmp_path.iterdir())
    # pyarrow and GDAL spell it in the message and drop errno
    assert "disk is full" in str(disk_error(out, OSError("IOError: No space left on device")))
    assert disk_error(out, ValueError("a bad cell")) is None


def test_temporary_names_carry_the_output_name_and_the_process(tmp_path):
    out = tmp_path / "result.gpkg"
    with atomic_output(out) as tmp:
        assert tmp.name.startswith(f".result.gpkg{TEMP_MARK}{os.getpid()}-")
        assert tmp.suffix == ".gpkg"  # drivers choose the format by the suffix
        tmp.write_bytes(b"x")
    assert out.read_bytes() == b"x"


def test_only_the_temporaries_of_dead_processes_are_stale(tmp_path):
    out = tmp_path / "o.csv"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead_pid = int(dead.stdout)
    stale = tmp_path / f".o.csv{TEMP_MARK}{dead_pid}-abc.csv"
    live = tmp_path / f".o.csv{TEMP_MARK}{os.getppid()}-abc.csv"
    mine = tmp_path / f".o.csv{TEMP_MARK}{os.getpid()}-abc.csv"
    for p in (stale, live, mine):
        p.write_text("partial")
    assert stale_temporaries(out) == [stale]
    with atomic_output(out) as tmp:
        tmp.write_text("new")
    assert not stale.exists() and live.exists() and mine.exists()


def test_sigterm_inside_handle_termination_unwinds_and_restores_the_handler(tmp_path):
    before = signal.getsignal(signal.SIGTERM)
    out = tmp_path / "o.csv"
    with pytest.raises(Interrupted) as info, handle_termination(), atomic_output(out) as tmp:
        tmp.write_text("half")
        os.kill(os.getpid(), signal.SIGTERM)
    assert info.value.signum == signal.SIGTERM
    assert isinstance(info.value, KeyboardInterrupt)  # unwinds like Ctrl-C
    assert not list(tmp_path.iterdir())
    assert signal.getsignal(signal.SIGTERM) == before


def test_the_sidecars_of_an_input_are_the_input(tmp_path):
    shp = tmp_path / "roads.shp"
    with pytest.raises(OutputError, match=r"the \.dbf file of --roads '.*roads\.shp'"):
        check_outputs([("-o", tmp_path / "roads.dbf")], [("--roads", shp)])
    with pytest.raises(OutputError, match="-wal"):
        check_outputs([tmp_path / "a.gpkg-wal"], [tmp_path / "a.gpkg"])
    check_outputs([tmp_path / "roads.csv"], [shp])


def test_a_signal_ignored_at_start_stays_ignored(monkeypatch):
    """Under nohup SIGHUP is ignored: suigeo must not turn it into an interruption."""
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with handle_termination():
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_IGN, signal.SIG_DFL)
    finally:
        signal.signal(signal.SIGHUP, previous)
