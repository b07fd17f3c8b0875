"""GCJ-02 benchmark: suigeo's numpy arrays against prcoords, coord-convert and coordTransform.

Usage (from the repository root, with ``pip install -e '.[bench]'``)::

    python benchmarks/bench_gcj02.py [--n 1000000] [--seed 7] [--repeat 3]

Same random points (uniform over lon 73.7..135.0, lat 3.9..53.5, inside every library's
inside-China rule) for every library, same run. Timed (best of ``--repeat`` for the array
APIs, one pass for the per-point libraries):

* forward WGS-84 -> GCJ-02;
* the exact inverse GCJ-02 -> WGS-84.

The references and what "exact inverse" means for each:

* prcoords 1.0.2: per point, ``wgs_gcj`` and ``gcj_wgs_bored`` (iterates the forward
  function until the step is below ``PRC_EPS``, 1e-5 degree by default, at most 10 times).
  Timed twice: with its default ``PRC_EPS`` and with ``PRC_EPS = 1e-12`` (exact).
* coord-convert 0.2.1: per point, ``wgs2gcj`` and ``gcj2wgs`` (iterates until the step is
  below a fixed 1e-6 degree; no option to tighten).
* coordTransform 0.2.1: its C extension's batch API ``wgs84_to_gcj02_batch_xy(lngs, lats)``
  (buffers in, two Python lists out; the package's Python wrapper dispatches sequences
  to it). Its ``gcj02_to_wgs84_batch_xy`` is the one-step approximate inverse (about 1e-5
  degree off); timed as shipped, and the exact inverse is also built from its C batch
  forward by the same fixed-point iteration suigeo uses (numpy glue, 6 iterations).

Every result is checked against suigeo's in the same run; the maximum difference is
printed and the run fails (exit 1) if a reference that claims the accuracy differs by
more than 1e-9 degree.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable

import numpy as np

from suigeo.crs import gcj02

TOL = 1e-9


def _best(func: Callable[[], object], repeat: int) -> tuple[float, object]:
    best = float("inf")
    out: object = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _maxdiff(a_lon, a_lat, b_lon, b_lat) -> float:
    return float(max(np.max(np.abs(a_lon - b_lon)), np.max(np.abs(a_lat - b_lat))))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    lon = rng.uniform(73.7, 135.0, args.n)
    lat = rng.uniform(3.9, 53.5, args.n)
    print(
        f"# {args.n:,} points, seed {args.seed}; Python {platform.python_version()}, "
        f"numpy {np.__version__}; {platform.machine()}"
    )

    rows: list[tuple[str, str, float, float]] = []  # (direction, impl, seconds, maxdiff)
    g_lon, g_lat = _bench_forward(lon, lat, args.repeat, rows)
    n_before = len(rows)
    w_lon, w_lat = _bench_inverse(lon, lat, g_lon, g_lat, args.repeat, rows)
    failures = [
        f"{d} {name}: {diff:.2e}"
        for d, name, _, diff in rows
        if d in ("forward", "inverse") and not name.startswith("suigeo") and diff > TOL
    ]
    resid = gcj02.wgs84_to_gcj02(w_lon, w_lat)
    print(
        f"# suigeo inverse residual max |fwd(inv(g)) - g| = "
        f"{_maxdiff(resid[0], resid[1], g_lon, g_lat):.1e} degree"
    )
    _report(rows, n_before, args.n)
    if failures:
        print("MISMATCH beyond 1e-9 degree:", "; ".join(failures), file=sys.stderr)
        return 1
    return 0


def _bench_forward(lon, lat, repeat, rows):
    import coordTransform._coordTransform as ct_c
    import prcoords
    from coord_convert import transform as cc

    lon_l, lat_l = lon.tolist(), lat.tolist()
    t_s, (g_lon, g_lat) = _best(lambda: gcj02.wgs84_to_gcj02(lon, lat), repeat)
    rows.append(("forward", "suigeo (numpy arrays)", t_s, 0.0))

    def prc_fwd():
        return np.array([prcoords.wgs_gcj((b, a)) for a, b in zip(lon_l, lat_l, strict=True)])

    t, p = _best(prc_fwd, 1)
    rows.append(("forward", "prcoords (per point)", t, _maxdiff(g_lon, g_lat, p[:, 1], p[:, 0])))

    def cc_fwd():
        return np.array([cc.wgs2gcj(a, b) for a, b in zip(lon_l, lat_l, strict=True)])

    t, c = _best(cc_fwd, 1)
    rows.append(
        ("forward", "coord-convert (per point)", t, _maxdiff(g_lon, g_lat, c[:, 0], c[:, 1]))
    )

    def ct_fwd():
        return ct_c.wgs84_to_gcj02_batch_xy(memoryview(lon), memoryview(lat))

    t, r = _best(ct_fwd, repeat)
    r_lon, r_lat = np.asarray(r[0]), np.asarray(r[1])
    rows.append(("forward", "coordTransform C batch", t, _maxdiff(g_lon, g_lat, r_lon, r_lat)))
    return g_lon, g_lat


def _bench_inverse(lon, lat, g_lon, g_lat, repeat, rows):
    import coordTransform._coordTransform as ct_c
    import prcoords
    from coord_convert import transform as cc

    t_s, (w_lon, w_lat) = _best(lambda: gcj02.gcj02_to_wgs84(g_lon, g_lat), repeat)
    rows.append(("inverse", "suigeo exact (numpy arrays)", t_s, _maxdiff(w_lon, w_lat, lon, lat)))
    g_lon_l, g_lat_l = g_lon.tolist(), g_lat.tolist()

    def prc_inv():
        return np.array(
            [prcoords.gcj_wgs_bored((b, a)) for a, b in zip(g_lon_l, g_lat_l, strict=True)]
        )

    t, p = _best(prc_inv, 1)
    rows.append(
        (
            "inverse*",
            "prcoords bored, PRC_EPS 1e-5 (default)",
            t,
            _maxdiff(w_lon, w_lat, p[:, 1], p[:, 0]),
        )
    )
    default_eps = prcoords.PRC_EPS
    prcoords.PRC_EPS = 1e-12
    try:
        t, p = _best(prc_inv, 1)
    finally:
        prcoords.PRC_EPS = default_eps
    rows.append(
        ("inverse", "prcoords bored, PRC_EPS 1e-12", t, _maxdiff(w_lon, w_lat, p[:, 1], p[:, 0]))
    )

    def cc_inv():
        return np.array([cc.gcj2wgs(a, b) for a, b in zip(g_lon_l, g_lat_l, strict=True)])

    t, c = _best(cc_inv, 1)
    rows.append(
        (
            "inverse*",
            "coord-convert gcj2wgs (1e-6 step)",
            t,
            _maxdiff(w_lon, w_lat, c[:, 0], c[:, 1]),
        )
    )

    def ct_inv_one_step():
        return ct_c.gcj02_to_wgs84_batch_xy(memoryview(g_lon), memoryview(g_lat))

    t, r = _best(ct_inv_one_step, repeat)
    rows.append(
        (
            "inverse*",
            "coordTransform C batch, one-step",
            t,
            _maxdiff(w_lon, w_lat, np.asarray(r[0]), np.asarray(r[1])),
        )
    )

    def ct_inv_exact():
        x, y = g_lon.copy(), g_lat.copy()
        for _ in range(6):
            f = ct_c.wgs84_to_gcj02_batch_xy(memoryview(x), memoryview(y))
            x = g_lon - (np.asarray(f[0]) - x)
            y = g_lat - (np.asarray(f[1]) - y)
        return x, y

    t, (x, y) = _best(ct_inv_exact, repeat)
    rows.append(("inverse", "coordTransform C batch, iterated x6", t, _maxdiff(w_lon, w_lat, x, y)))
    return w_lon, w_lat


def _report(rows, n_before, n):
    print()
    print("| direction | implementation | seconds | points/s | suigeo speed-up | max diff (deg) |")
    print("|---|---|---:|---:|---:|---:|")
    suigeo_t = {"forward": rows[0][2], "inverse": rows[n_before][2]}
    for d, name, t, diff in rows:
        base = suigeo_t[d.rstrip("*")]
        ratio = "1.0x" if name.startswith("suigeo") else f"{t / base:.1f}x"
        label = "max diff vs input" if name.startswith("suigeo exact") else ""
        print(f"| {d} | {name} | {t:.3f} | {n / t:,.0f} | {ratio} | {diff:.1e}{label and ' *'} |")
    print()
    print("inverse* = not an exact inverse (shown for reference, not held to 1e-9).")
    print("For 'suigeo exact' the last column is the round-trip error against the original points.")


if __name__ == "__main__":
    sys.exit(main())
