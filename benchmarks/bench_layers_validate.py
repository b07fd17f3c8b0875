"""How much validating a user layer costs on top of reading it.

Reference: reading the same file with pyogrio, and GEOS validity alone
(``shapely.is_valid``), in the same run. Prints times and ratios.

    python benchmarks/bench_layers_validate.py --n 200000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from suigeo import layers


def make_roads(n: int, seed: int = 1) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    x0 = rng.uniform(112.9, 114.0, n)
    y0 = rng.uniform(22.6, 23.9, n)
    coords = np.stack([np.column_stack([x0, y0]), np.column_stack([x0 + 0.01, y0 + 0.005])], 1)
    geoms = shapely.linestrings(coords)
    classes = np.array(["expressway", "national", "provincial", "county", "township"])
    return gpd.GeoDataFrame(
        {
            "id": np.char.add("r", np.arange(n).astype(str)),
            "name": np.char.add("road ", np.arange(n).astype(str)),
            "road_class": classes[rng.integers(0, 5, n)],
            "speed_kmh": rng.uniform(20, 120, n),
        },
        geometry=geoms,
        crs=4490,
    )


def best(func, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        func()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200_000)
    args = ap.parse_args()
    gdf = make_roads(args.n)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "roads.gpkg"
        pyogrio.write_dataframe(gdf, path)
        t_read = best(lambda: pyogrio.read_dataframe(path))
        frame = pyogrio.read_dataframe(path)
        t_geos = best(lambda: shapely.is_valid(frame.geometry.array))
        t_val = best(lambda: layers.validate(frame, schema="roads"))
        t_all = best(lambda: layers.read(path, schema="roads"))
    print(f"features: {args.n}")
    print(f"pyogrio.read_dataframe        {t_read:8.3f} s")
    print(f"shapely.is_valid (GEOS only)  {t_geos:8.3f} s")
    print(f"layers.validate (all checks)  {t_val:8.3f} s  = {t_val / t_read:.2f} x read")
    print(f"layers.read (read + validate) {t_all:8.3f} s  = {t_all / t_read:.2f} x read")


if __name__ == "__main__":
    main()
