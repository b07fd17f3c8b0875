"""Throughput of suigeo's array API against raw pyproj on the same arrays, same run.

    python benchmarks/bench_transform.py [--n 10000000] [--repeat 3]

Two conversions of N random points over Guangzhou (CGCS2000 lon/lat, seeded):

* CGCS2000 -> CGCS2000-3GK-CM114: raw ``Transformer.from_crs(4490, 4547, always_xy=True)``.
* CGCS2000 -> GZ2000 with crs/examples/gz2000-example.toml: raw
  ``Transformer.from_pipeline`` of a pipeline written out by hand here from the example's
  (public, illustrative) values.

Each is timed ``--repeat`` times, alternating raw and suigeo; the best time counts. Both
wall-clock and process CPU time are measured; the CPU-time ratio is the one to read on a
shared machine (the work is single-threaded, and CPU time does not count the time other
processes hold the core). The results are checked to agree to 1e-9 m. Target:
suigeo/pyproj throughput ratio >= 0.9.
"""

from __future__ import annotations

import argparse
import gc
import platform
import time
from pathlib import Path

import numpy as np
import pyproj
from pyproj import Transformer

from suigeo import crs

EXAMPLE = Path(__file__).resolve().parents[1] / "crs" / "examples" / "gz2000-example.toml"
# The example file's values, written out by hand: tmerc CM 113.5, k 1, FE 100 km,
# FN -2500 km; then dx 100, dy -200, rotation 10" anticlockwise (PROJ theta is clockwise),
# scale 5 ppm.
EXAMPLE_PIPELINE = (
    "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
    "+step +proj=tmerc +lat_0=0 +lon_0=113.5 +k_0=1 +x_0=100000 +y_0=-2500000 "
    "+a=6378137 +rf=298.257222101 "
    "+step +proj=helmert +x=100 +y=-200 +theta=-10 +s=1.000005"
)


def _timed(fn) -> tuple[float, float, tuple]:
    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w0, time.process_time() - c0, out


def bench(name: str, raw: Transformer, dst: str, lon, lat, repeat: int, params=None) -> float:
    n = lon.size
    wall = {"raw": float("inf"), "sg": float("inf")}
    cpu = dict(wall)
    for _ in range(repeat):  # alternate, so both see the same machine load
        w, c, raw_out = _timed(lambda: raw.transform(lon, lat))
        wall["raw"], cpu["raw"] = min(wall["raw"], w), min(cpu["raw"], c)
        del raw_out
        w, c, sg_out = _timed(
            lambda: crs.transform(lon, lat, src="CGCS2000", dst=dst, params=params)
        )
        wall["sg"], cpu["sg"] = min(wall["sg"], w), min(cpu["sg"], c)
        del sg_out  # both sides start each call with the same memory state
    raw_out = raw.transform(lon, lat)
    sg_out = crs.transform(lon, lat, src="CGCS2000", dst=dst, params=params)
    diff = max(float(np.max(np.abs(raw_out[0] - sg_out[0]))),
               float(np.max(np.abs(raw_out[1] - sg_out[1]))))  # fmt: skip
    ratio = cpu["raw"] / cpu["sg"]
    print(
        f"{name:<34} CPU: pyproj {n / cpu['raw'] / 1e6:5.2f} Mpt/s, suigeo "
        f"{n / cpu['sg'] / 1e6:5.2f} Mpt/s, ratio {ratio:5.3f} | wall: pyproj "
        f"{wall['raw']:6.3f} s, suigeo {wall['sg']:6.3f} s, ratio "
        f"{wall['raw'] / wall['sg']:5.3f} | max |diff| {diff:.1e} m"
    )
    assert diff < 1e-9, "suigeo and the reference disagree"
    return ratio


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(42)
    lon = rng.uniform(112.95, 114.05, args.n)
    lat = rng.uniform(22.45, 23.95, args.n)
    print(
        f"N = {args.n:,} points, best of {args.repeat}; Python {platform.python_version()}, "
        f"pyproj {pyproj.__version__}, PROJ {pyproj.proj_version_str}, numpy {np.__version__}"
    )
    params = crs.load_params(EXAMPLE)
    ratios = [
        bench(
            "CGCS2000 -> CGCS2000-3GK-CM114",
            Transformer.from_crs(4490, 4547, always_xy=True),
            "CGCS2000-3GK-CM114",
            lon,
            lat,
            args.repeat,
        ),
        bench(
            "CGCS2000 -> GZ2000 (example file)",
            Transformer.from_pipeline(EXAMPLE_PIPELINE),
            "GZ2000",
            lon,
            lat,
            args.repeat,
            params,
        ),
    ]
    print(f"lowest CPU-time ratio {min(ratios):.3f} (target >= 0.9)")


if __name__ == "__main__":
    main()
