"""Helpers for the hostile cases (tests/hardening): run the real command line, snapshot folders.

Every hostile case checks the same four things (see docs/guarantees.md):

- the exit status (2 for bad input or a refused output, 128+n for a signal);
- stderr holds one ``suigeo: error:`` line and no ``Traceback``;
- no partial, temporary or stray file: the folder lists the same files before and after;
- every input is byte-identical afterwards (SHA-256 before and after).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import signal
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

from suigeo.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_PARAMS = REPO / "crs" / "examples" / "gz2000-example.toml"
PACKAGE = REPO / "suigeo"


@dataclass
class Run:
    rc: int
    out: str
    err: str


def cli(*argv: object) -> Run:
    """``suigeo ARGV`` in this process, through :func:`suigeo.cli.main`.

    Warnings behave as on the command line (shown, not raised): the suite tests what a
    user sees. Any exception escaping ``main`` is a traceback the user would see, so it
    fails the test.
    """
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        rc = main([str(a) for a in argv])
    return Run(rc, out.getvalue(), err.getvalue())


def default_sigint() -> None:
    """For a child process: Ctrl-C (SIGINT) as a terminal sends it, even when these tests
    run as a shell's background job, which starts with SIGINT ignored (Python then leaves
    it ignored, and a test of Ctrl-C would see a run that goes on)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def python_m(
    *argv: object, cwd: Path, env: dict[str, str] | None = None, timeout: float = 180
) -> Run:
    """``python -m suigeo ARGV`` in a child process (this checkout first on the path)."""
    full = {k: v for k, v in os.environ.items() if k != "SUIGEO_GZ2000_PARAMS"}
    full["PYTHONPATH"] = str(REPO)
    full.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "suigeo", *map(str, argv)],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=default_sigint,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) with its SHA-256; links as links."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        if p.is_symlink():
            out[rel] = "-> " + os.readlink(p)
        elif p.is_file():
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
        elif p.is_dir():
            out[rel] = "<dir>"
    return out


def assert_refused(run: Run, before: dict[str, str], folder: Path, *, rc: int = 2) -> str:
    """The run failed cleanly: exit ``rc``, one error line, no traceback, nothing changed.

    Returns the error line.
    """
    assert "Traceback" not in run.err, run.err
    assert run.rc == rc, (run.rc, run.err)
    errors = [line for line in run.err.splitlines() if line.startswith("suigeo: error:")]
    usage = [line for line in run.err.splitlines() if ": error: argument" in line]
    assert len(errors) + len(usage) == 1, run.err
    after = snapshot(folder)
    assert after == before, {
        "new": sorted(set(after) - set(before)),
        "gone": sorted(set(before) - set(after)),
        "changed": sorted(k for k in before if k in after and before[k] != after[k]),
    }
    return (errors or usage)[0]
