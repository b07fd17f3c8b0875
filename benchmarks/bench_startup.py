"""Benchmark: start-up time of the ``suigeo`` command line.

Times, each as its own child process, the median (and minimum) wall time of N runs of

- ``suigeo --help`` (target < 0.5 s);
- ``suigeo crs point --from CGCS2000 --to CGCS2000-3GK-CM114 113.3 23.1`` (target < 0.5 s);
- ``suigeo layers list`` (reads the shipped catalogue; no target);

against two references from the same virtual environment: ``rio --help`` (rasterio's
command line, a well-regarded geospatial CLI) and ``python -c pass`` (the interpreter alone).
The children's CPU time (user + system, from ``os.wait4``) is given too: on a shared
machine it is less noisy than the wall time. suigeo runs as ``python -m suigeo`` with the
repository (or ``--root``) first on ``PYTHONPATH``, so the code measured is this checkout's.
With ``--compare ROOT`` the same commands also run from another checkout (e.g. the code
before a change). Usage::

    python benchmarks/bench_startup.py [--runs 15] [--root .] [--compare /path/to/old]

Columns: median and minimum wall seconds, median CPU seconds, the median as a multiple of
``rio --help``'s, and the median minus ``python -c pass``'s (what the program itself costs).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
POINT = ["crs", "point", "--from", "CGCS2000", "--to", "CGCS2000-3GK-CM114", "113.3", "23.1"]
COMMANDS = {
    "suigeo --help": ["--help"],
    "suigeo crs point ...": POINT,
    "suigeo layers list": ["layers", "list"],
}
TARGET_S = {"suigeo --help": 0.5, "suigeo crs point ...": 0.5}


def run_once(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one child process; raises if it fails."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read() if proc.stderr else b""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {err.decode()[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime


def measure(argv: list[str], env: dict[str, str], runs: int, cwd: Path) -> dict[str, float]:
    """Median and minimum wall time and median CPU time of ``runs`` runs, in ``cwd``
    (``python -m`` puts the working directory first on the path)."""
    run_once(argv, env, cwd)  # warm the file cache; not counted
    walls, cpus = zip(*(run_once(argv, env, cwd) for _ in range(runs)), strict=True)
    return {
        "median": statistics.median(walls),
        "min": min(walls),
        "cpu": statistics.median(cpus),
    }


def suigeo_env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(root) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("SUIGEO_GZ2000_PARAMS", None)
    return env


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=15, help="runs per command (median taken)")
    ap.add_argument("--root", default=str(HERE.parent), help="suigeo checkout to measure")
    ap.add_argument("--compare", metavar="ROOT", help="also measure this checkout (before)")
    args = ap.parse_args()

    py = sys.executable
    rio = shutil.which("rio", path=str(Path(py).parent)) or shutil.which("rio")
    plain = dict(os.environ)
    rows: list[tuple[str, dict[str, float]]] = []
    tmp = Path(tempfile.mkdtemp())
    rows.append(("python -c pass", measure([py, "-c", "pass"], plain, args.runs, tmp)))
    if rio:
        rows.append(("rio --help", measure([rio, "--help"], plain, args.runs, tmp)))
    roots = [("", Path(args.root))]
    if args.compare:
        roots.append((" [compare]", Path(args.compare)))
    for tag, root in roots:
        env = suigeo_env(root)
        for name, cmd in COMMANDS.items():
            argv = [py, "-m", "suigeo", *cmd]
            rows.append((name + tag, measure(argv, env, args.runs, root)))

    ref = dict(rows)
    base, rio_t = ref["python -c pass"], ref.get("rio --help")
    load = os.getloadavg()
    print(
        f"# start-up, median of {args.runs} runs (after one warm-up), {platform.node()}: "
        f"Python {platform.python_version()}, {os.cpu_count()} cores, load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    head = f"{'command':<34}{'median s':>9}{'min s':>8}{'CPU s':>8}{'× rio':>8}{'+ python':>10}"
    print(head + "  target")
    for name, r in rows:
        x_rio = f"{r['median'] / rio_t['median']:.2f}" if rio_t else "-"
        over = r["median"] - base["median"]
        target = TARGET_S.get(name)
        verdict = ""
        if target is not None:
            verdict = f"  < {target} s: {'yes' if r['median'] < target else 'NO'}"
        print(
            f"{name:<34}{r['median']:>9.3f}{r['min']:>8.3f}{r['cpu']:>8.3f}{x_rio:>8}"
            f"{over:>10.3f}{verdict}"
        )


if __name__ == "__main__":
    main()
