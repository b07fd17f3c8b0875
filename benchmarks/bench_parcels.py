"""Benchmark: parcel indicator checks against a geopandas ``overlay`` + ``groupby`` recipe.

    python benchmarks/bench_parcels.py --parcels 100000 --buildings 300000

Synthetic data in CGCS2000 3-degree GK (CM 114E): a grid of square parcels (60 m) with
their limits, ``--buildings`` rectangular footprints (three slots per parcel, some shifted
across the parcel edge so they straddle two parcels, some with a given GFA, the others with
floors; more than three a parcel are stacked in rows), one green square per parcel.
Footprints do not overlap each other, so the recipe's plain sums are right and both must
agree. With ``--stacked`` every building of a parcel goes into its three slots, so the
footprints overlap (the slow case of a union per parcel); the recipe then takes the coverage
from ``dissolve(by="id")`` of its pieces, as suigeo counts overlapping drawings once.

* ``suigeo``: :func:`suigeo.geo.rules.check_parcels` (STRtree + vectorised intersections);
* ``overlay``: the obvious geopandas script: ``gpd.overlay(buildings, parcels)``, piece
  areas, GFA apportioned by the share of the footprint, ``groupby`` per parcel, the same for
  green, ratios compared with the limits in floating point.

Each runs in its own process (wall time, CPU time and peak RSS of that process); then the
per-parcel values are compared (max relative difference) and the statuses counted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GK = "EPSG:4547"
X0, Y0 = 400000.0, 2500000.0
CELL = 60.0


def make(n_parcels: int, n_buildings: int, seed: int = 1, stacked: bool = False):
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n_parcels)))
    k = np.arange(n_parcels)
    px, py = X0 + (k % side) * CELL, Y0 + (k // side) * CELL
    parcels = gpd.GeoDataFrame(
        {
            "id": np.char.add("P", k.astype(str)),
            "far_max": np.round(rng.uniform(0.5, 3.0, n_parcels), 2),
            "far_min": np.where(rng.random(n_parcels) < 0.3, 0.2, np.nan),
            "coverage_max": np.round(rng.uniform(0.1, 0.4, n_parcels), 2),
            "green_min": np.round(rng.uniform(0.05, 0.3, n_parcels), 2),
            "height_max": np.round(rng.uniform(20, 100, n_parcels), 1),
        },
        geometry=shapely.box(px, py, px + CELL, py + CELL),
        crs=GK,
    )
    # three 10-m-wide slots per parcel (x 5..15, 25..35, 45..55); slot 3 shifted +8 m
    # straddles into the next parcel's empty strip (x 60..65) in 20 % of the cases. More
    # than three buildings a parcel: the slots are stacked in rows (bands of 60/rows m), so
    # footprints still never overlap.
    per = max(3, -(-n_buildings // n_parcels))
    rows = 1 if stacked else -(-per // 3)  # stacked: all in the three slots, overlapping
    j = np.arange(n_buildings)
    cell, s = j // per % n_parcels, j % per
    slot, row = s % 3, s // 3
    bx = X0 + (cell % side) * CELL + 5 + 20 * slot
    if rows == 1:
        by = Y0 + (cell // side) * CELL + rng.uniform(2, 20, n_buildings)
    else:
        band = CELL / rows
        by = Y0 + (cell // side) * CELL + row * band + rng.uniform(1, 0.15 * band, n_buildings)
    shift = (slot == 2) & (rng.random(n_buildings) < 0.2)
    bx = bx + np.where(shift, 8.0, 0.0)
    h = rng.uniform(5, 35, n_buildings) if rows == 1 else rng.uniform(0.2, 0.75, n_buildings) * band
    given = rng.random(n_buildings) < 0.3
    buildings = gpd.GeoDataFrame(
        {
            "floors": np.where(given, np.nan, rng.integers(1, 30, n_buildings)),
            "gfa_m2": np.where(given, np.round(rng.uniform(100, 5000, n_buildings), 2), np.nan),
            "height_m": np.round(rng.uniform(3, 110, n_buildings), 1),
        },
        geometry=shapely.box(bx, by, bx + 10, by + h),
        crs=GK,
    )
    gx = X0 + (k % side) * CELL + rng.uniform(0, 50, n_parcels)
    gy = Y0 + (k // side) * CELL + rng.uniform(40, 55, n_parcels)
    green = gpd.GeoDataFrame(
        {"kind": np.full(n_parcels, "green")},
        geometry=shapely.box(gx, gy, gx + 10, gy + 10),
        crs=GK,
    )
    return parcels, buildings, green


def run_suigeo(parcels, buildings, green) -> pd.DataFrame:
    from suigeo.geo.rules import check_parcels

    res = check_parcels(parcels, buildings, green)
    per = res.parcels
    out = pd.DataFrame(
        {
            "parcel": per["parcel"].to_numpy(),
            "plot_ratio": per["plot_ratio"].to_numpy(),
            "coverage": per["coverage"].to_numpy(),
            "green_ratio": per["green_ratio"].to_numpy(),
            "height": per["height_m"].fillna(0).to_numpy(),
        }
    )
    status = res.report.pivot(index="parcel", columns="indicator", values="status")
    return out.join(status.add_prefix("status_"), on="parcel")


def run_overlay(parcels, buildings, green, stacked: bool = False) -> pd.DataFrame:
    import geopandas as gpd

    b = buildings.copy()
    b["bid"] = np.arange(len(b))
    b["footprint"] = b.area
    p = parcels[["id", "geometry"]]
    pieces = gpd.overlay(b, p, how="intersection", keep_geom_type=True)
    pieces["a"] = pieces.area
    pieces = pieces[pieces["a"] > 0]
    pieces["gfa"] = np.where(
        pieces["gfa_m2"].notna(),
        pieces["gfa_m2"] * pieces["a"] / pieces["footprint"],
        pieces["floors"] * pieces["a"],
    )
    agg = pieces.groupby("id").agg(gfa=("gfa", "sum"), cov=("a", "sum"), h=("height_m", "max"))
    if stacked:  # footprints overlap: the covered area is that of their union per parcel
        agg["cov"] = pieces[["id", "geometry"]].dissolve(by="id").area
    gp = gpd.overlay(green, p, how="intersection", keep_geom_type=True)
    gp["a"] = gp.area
    gagg = gp.groupby("id")["a"].sum()
    out = pd.DataFrame({"parcel": parcels["id"].to_numpy(), "site": parcels.area.to_numpy()})
    out = out.join(agg, on="parcel").join(gagg.rename("green"), on="parcel").fillna(0.0)
    res = pd.DataFrame(
        {
            "parcel": out["parcel"],
            "plot_ratio": out["gfa"] / out["site"],
            "coverage": out["cov"] / out["site"],
            "green_ratio": out["green"] / out["site"],
            "height": out["h"],
        }
    )
    lim = parcels.set_index("id")
    lo = lim["far_min"].reindex(res["parcel"]).to_numpy()
    hi = lim["far_max"].reindex(res["parcel"]).to_numpy()
    v = res["plot_ratio"].to_numpy()
    res["status_plot_ratio"] = np.where(((np.isnan(lo)) | (v >= lo)) & (v <= hi), "pass", "fail")
    cov = lim["coverage_max"].reindex(res["parcel"]).to_numpy()
    res["status_coverage"] = np.where(res["coverage"].to_numpy() <= cov, "pass", "fail")
    g = lim["green_min"].reindex(res["parcel"]).to_numpy()
    res["status_green_ratio"] = np.where(res["green_ratio"].to_numpy() >= g, "pass", "fail")
    hm = lim["height_max"].reindex(res["parcel"]).to_numpy()
    res["status_height"] = np.where(res["height"].to_numpy() <= hm, "pass", "fail")
    return res


def child(method: str, n_parcels: int, n_buildings: int, out: str, stacked: bool) -> None:
    parcels, buildings, green = make(n_parcels, n_buildings, stacked=stacked)
    t0, c0 = time.perf_counter(), time.process_time()
    if method == "suigeo":
        res = run_suigeo(parcels, buildings, green)
    else:
        res = run_overlay(parcels, buildings, green, stacked)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    res.to_parquet(out)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB (Linux: KiB)
    print(json.dumps({"wall_s": wall, "cpu_s": cpu, "peak_rss_mib": rss}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, default=100_000)
    ap.add_argument("--buildings", type=int, default=300_000)
    ap.add_argument(
        "--stacked",
        action="store_true",
        help="put every building of a parcel in its three slots (footprints overlap; the "
        "recipe then dissolves the pieces per parcel for the coverage)",
    )
    ap.add_argument("--child", choices=("suigeo", "overlay"))
    ap.add_argument("--out")
    a = ap.parse_args()
    if a.child:
        child(a.child, a.parcels, a.buildings, a.out, a.stacked)
        return
    print(
        f"# {a.parcels} parcels, {a.buildings} buildings; {platform.python_version()}, "
        f"{os.cpu_count()} cores" + (", stacked (overlapping) footprints" if a.stacked else "")
    )
    got = {}
    with tempfile.TemporaryDirectory() as tmp:
        for method in ("suigeo", "overlay"):
            path = os.path.join(tmp, f"{method}.parquet")
            cmd = [sys.executable, __file__, "--child", method, "--out", path]
            cmd += ["--parcels", str(a.parcels), "--buildings", str(a.buildings)]
            cmd += ["--stacked"] if a.stacked else []
            line = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            got[method] = (json.loads(line.strip().splitlines()[-1]), pd.read_parquet(path))
            m = got[method][0]
            print(
                f"{method:8s} wall {m['wall_s']:7.2f} s  cpu {m['cpu_s']:7.2f} s  "
                f"peak RSS {m['peak_rss_mib']:7.0f} MiB (process, incl. data generation)"
            )
    s, o = got["suigeo"][1].set_index("parcel"), got["overlay"][1].set_index("parcel")
    o = o.reindex(s.index)
    worst = 0.0
    for col in ("plot_ratio", "coverage", "green_ratio", "height"):
        d = np.abs(s[col] - o[col]) / np.maximum(np.abs(o[col]), 1e-300)
        worst = max(worst, float(np.nanmax(np.where(o[col] == 0, np.abs(s[col]), d))))
    differ = sum(int((s[f"status_{c}"] != o[f"status_{c}"]).sum()) for c in
                 ("plot_ratio", "coverage", "green_ratio", "height"))  # fmt: skip
    ms, mo = got["suigeo"][0], got["overlay"][0]
    print(f"max relative difference of the values: {worst:.2e}; statuses differing: {differ}")
    print(
        f"ratio overlay/suigeo: wall {mo['wall_s'] / ms['wall_s']:.1f}x, "
        f"cpu {mo['cpu_s'] / ms['cpu_s']:.1f}x"
    )


if __name__ == "__main__":
    main()
