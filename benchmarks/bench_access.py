"""Benchmark: the network engine vs the networkx / OSMnx isochrone recipe, same graph, same run.

    python benchmarks/bench_access.py --n 500 --minutes 20

Builds an n × n street grid (100 m blocks, 30 km/h residential streets: 2·n·(n-1) lines,
twice as many directed edges) around 113.3E 23.1N and times:

1. suigeo ``rings(..., engine="network")`` end to end: road GeoDataFrame → topology → graph →
   scipy Dijkstra with cut-off → ring polygon (reached edges incl. partial ones, buffered,
   holes filled);
2. the scipy Dijkstra alone on the built graph;
3. networkx ``single_source_dijkstra_path_length(cutoff=...)`` on a DiGraph of the same
   edges (graph construction not timed), and the OSMnx isochrone recipe
   ``ego_graph(radius=..., distance="time")`` + convex hull of the reached nodes.

Checks that the travel times are identical at every node and prints the ratios.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from suigeo import crs
from suigeo.geo.access import rings
from suigeo.geo.access.graph import shortest_times
from suigeo.geo.access.network import build_network, rings_from_graph
from suigeo.geo.access.plane import plane_crs
from suigeo.geo.access.rail import build_rail
from suigeo.geo.access.roads import line_ends
from suigeo.geo.access.settings import resolve_settings


def best_of(n: int, fn, keep: list | None = None) -> tuple[float, float]:
    """Best wall-clock and best CPU time (seconds) of ``n`` calls of ``fn`` (the last
    result appended to ``keep`` when given)."""
    wall, cpu = [], []
    for i in range(n):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        if keep is not None and i == n - 1:
            keep.append(out)
        del out
    return min(wall), min(cpu)


def grid(n: int, spacing: float) -> tuple[gpd.GeoDataFrame, float, float]:
    plane = plane_crs([113.3])
    x0, y0 = (float(v[0]) for v in crs.transform([113.3], [23.1], src="CGCS2000", dst=4547))
    i, j = np.meshgrid(np.arange(n), np.arange(n - 1), indexing="ij")
    i, j = i.ravel(), j.ravel()
    ax = np.concatenate([j, i]) * spacing + x0
    ay = np.concatenate([i, j]) * spacing + y0
    bx = np.concatenate([j + 1, i]) * spacing + x0
    by = np.concatenate([i, j + 1]) * spacing + y0
    coords = np.stack([np.column_stack([ax, ay]), np.column_stack([bx, by])], axis=1)
    lines = shapely.linestrings(coords)
    gdf = gpd.GeoDataFrame(
        {"highway": np.full(len(lines), "residential")}, geometry=lines, crs=plane
    )
    cx, cy = x0 + spacing * (n // 2), y0 + spacing * (n // 2)
    lon, lat = crs.transform([cx], [cy], src=4547, dst="CGCS2000")
    return gdf, float(lon[0]), float(lat[0])


def peak_gb() -> float:
    """Peak resident memory of this process so far (GB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def bench_raster(n: int, minutes: float, road_kmh: float, repeat: int, repeat_mcp: int) -> None:
    """Cost distance on an n × n friction grid (50 m cells, off-road walking, a road at
    ``road_kmh`` every 20th row and column) vs scikit-image MCP_Geometric on the same
    friction: with the cut-off (the engine's grid only over the reach: cut-off × fastest
    speed) and over the whole grid."""
    from skimage.graph import MCP_Geometric

    from suigeo.geo.access.raster import grid_csr
    from suigeo.geo.access.tobler import tobler_kmh

    p = resolve_settings(None)
    cell = 50.0
    speed = np.full((n, n), np.nan)
    speed[::20, :] = road_kmh
    speed[:, ::20] = road_kmh
    start = (n // 2, n // 2)
    src = start[0] * n + start[1]
    print(
        f"raster {n}×{n} = {n * n:,} cells of {cell:g} m, roads {road_kmh:g} km/h every 20th "
        f"row and column, off-road walking; cut-off {minutes:g} min"
    )
    # as the engine does: build the grid only within reach (cut-off × fastest speed)
    r = int(np.ceil(minutes / 60 * np.nanmax(speed) * 1000 / cell))
    r0, r1 = max(0, start[0] - r), min(n, start[0] + r + 1)
    c0, c1 = max(0, start[1] - r), min(n, start[1] + r + 1)
    sub = speed[r0:r1, c0:c1]
    local = (start[0] - r0) * sub.shape[1] + (start[1] - c0)

    def with_cutoff():
        t = time.perf_counter()
        graph = grid_csr(sub, None, cell, p)
        t_graph = time.perf_counter() - t
        dist, _ = shortest_times(graph, np.array([local]), limit=minutes)
        return t_graph, dist

    kept: list = []
    t_cut, c_cut = best_of(repeat, with_cutoff, kept)
    t_graph, dist = kept.pop()
    ours_cut = np.full((n, n), np.inf)
    ours_cut[r0:r1, c0:c1] = dist[0].reshape(sub.shape)
    del dist
    ring = np.isfinite(ours_cut).mean()
    print(
        f"  suigeo with cut-off, grid over the reach {sub.shape[0]}×{sub.shape[1]} "
        f"({sub.size / n**2:.0%} of the grid; graph {t_graph:.2f} s + Dijkstra), best of "
        f"{repeat}: {t_cut:.2f} s wall, {c_cut:.2f} s CPU; ring = {ring:.1%} of the grid; "
        f"peak memory so far {peak_gb():.1f} GB"
    )

    # the engine end to end on the same layout: road lines every 20th cell row and column
    # (on cell centres) → burned friction → grid over the reach → Dijkstra → ring polygon
    x0, y0 = (float(v[0]) for v in crs.transform([113.3], [23.1], src="CGCS2000", dst=4547))
    k = (np.arange(0, n, 20) + 0.5) * cell
    lo, hi = np.zeros(k.size), np.full(k.size, n * cell)
    ends = [np.column_stack([x0 + lo, y0 + k]), np.column_stack([x0 + hi, y0 + k])]
    ends += [np.column_stack([x0 + k, y0 + lo]), np.column_stack([x0 + k, y0 + hi])]
    lines = np.concatenate(
        [
            shapely.linestrings(np.stack(ends[:2], axis=1)),
            shapely.linestrings(np.stack(ends[2:], 1)),
        ]
    )
    roads = gpd.GeoDataFrame({"maxspeed": [str(road_kmh)] * len(lines)}, geometry=lines, crs=4547)
    lon, lat = crs.transform(
        [x0 + (start[1] + 0.5) * cell], [y0 + (start[0] + 0.5) * cell], src=4547, dst="CGCS2000"
    )
    opts = {"raster.cell_m": cell, "raster.max_cells": 4.0 * n * n}

    def engine(rail: bool):
        res = rings(
            (float(lon[0]), float(lat[0])),
            minutes=[minutes],
            engine="raster",
            roads=roads,
            rail=rail,
            settings=opts,
        )
        return res.to_crs(4547).area.iloc[0] / (n * cell) ** 2

    t_eng, c_eng = best_of(repeat, lambda: engine(False), kept)
    print(
        f"  suigeo rings(engine='raster') end to end (roads burned, grid, Dijkstra, ring polygon),"
        f" no rail, best of {repeat}: {t_eng:.2f} s wall, {c_eng:.2f} s CPU; ring polygon = "
        f"{kept.pop():.1%} of the grid"
    )
    t_rail, c_rail = best_of(repeat, lambda: engine(True), kept)
    print(
        f"  the same with the shipped rail (grid extended to the stations it reaches), best of "
        f"{repeat}: {t_rail:.2f} s wall, {c_rail:.2f} s CPU; ring = {kept.pop():.1%} of the grid"
    )

    def whole():
        graph = grid_csr(speed, None, cell, p)
        dist, _ = shortest_times(graph, np.array([src]))
        return dist

    t_whole, c_whole = best_of(repeat_mcp, whole, kept)
    whole_dist = kept.pop()[0].reshape(n, n)
    print(
        f"  suigeo whole grid, no cut-off, best of {repeat_mcp}: {t_whole:.2f} s wall, "
        f"{c_whole:.2f} s CPU; peak memory so far {peak_gb():.1f} GB"
    )
    v_off = float(tobler_kmh(0.0, off_path_factor=p["walk.off_path_factor"]))
    kmh = np.where(np.isfinite(speed), speed, v_off)
    cost = 60.0 / (kmh * 1000.0)
    del kmh

    def mcp():
        return MCP_Geometric(cost, sampling=(cell, cell)).find_costs([start])[0]

    t_mcp, c_mcp = best_of(repeat_mcp, mcp, kept)
    ref = kept.pop()
    inside = np.isfinite(ours_cut)
    diff = np.abs(ours_cut[inside] - ref[inside]).max()
    diff_whole = np.abs(whole_dist - ref).max()
    outside_ok = bool((ref[~inside] > minutes).all())
    print(
        f"  skimage MCP_Geometric (cannot stop at a cut-off), best of {repeat_mcp}: "
        f"{t_mcp:.2f} s wall, {c_mcp:.2f} s CPU"
    )
    print(
        f"  max |Δt| vs MCP inside the ring = {diff:.1e} min, whole grid = {diff_whole:.1e} min; "
        f"every cell MCP puts within {minutes:g} min is in the ring: {outside_ok}"
    )
    print(
        f"  ratio MCP ÷ suigeo engine end to end (no rail): {t_mcp / t_eng:.2f}× wall, "
        f"{c_mcp / c_eng:.2f}× CPU"
    )
    print(
        f"  ratio MCP ÷ suigeo with cut-off: {t_mcp / t_cut:.2f}× wall, {c_mcp / c_cut:.2f}× CPU; "
        f"whole grid: {t_mcp / t_whole:.2f}× wall, {c_mcp / c_whole:.2f}× CPU"
    )


_RUN = """
import sys, time, resource
import geopandas as gpd
from suigeo.geo.access import rings
kind, lon, lat, minutes, cell, data = sys.argv[1:7]
kw = {"roads": gpd.read_file(f"{data}/roads.gpkg"), "dem": f"{data}/dem.tif"}
if kind == "friction":
    kw = {"friction": f"{data}/friction.tif"}
t = time.perf_counter()
res = rings((float(lon), float(lat)), minutes=[float(minutes)], engine="raster", rail=False,
            raster_out=f"{data}/out_{kind}.tif",
            settings={"raster.cell_m": float(cell), "raster.max_cells": 1e9}, **kw)
first = time.perf_counter() - t
t = time.perf_counter()  # again in the same process: what each further ring of a session costs
rings((float(lon), float(lat)), minutes=[float(minutes)], engine="raster", rail=False,
      settings={"raster.cell_m": float(cell), "raster.max_cells": 1e9}, **kw)
print(f"{first:.2f} {res['area_km2'].iloc[0]:.4f} {time.perf_counter() - t:.2f}")
"""


def _timed(
    cmd: list[str], env: dict[str, str] | None = None, cwd: str | None = None
) -> tuple[float, float, str, float]:
    """Wall seconds, peak resident memory (GB) of a command and its children
    (``/usr/bin/time -v``), its standard output and its CPU seconds (user + system)."""
    import subprocess

    t = time.perf_counter()
    out = subprocess.run(
        ["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, env=env, check=True, cwd=cwd
    )
    wall = time.perf_counter() - t
    info = dict(x.strip().rsplit(": ", 1) for x in out.stderr.splitlines() if ": " in x)
    kb = int(info["Maximum resident set size (kbytes)"])
    cpu = float(info["User time (seconds)"]) + float(info["System time (seconds)"])
    return wall, kb / 2**20, out.stdout, cpu


def _real_dem(path: str, cell: float) -> tuple[np.ndarray, str]:
    """A real DEM (any GDAL raster, e.g. an SRTM ``.hgt`` tile) reprojected to its UTM
    zone at ``cell`` metres (bilinear) and cropped to the rectangle inside the tile (250 m
    in from its edges), so every cell has a height; and a line saying what was done."""
    import rasterio
    from affine import Affine
    from pyproj import Transformer
    from rasterio.warp import Resampling, reproject

    with rasterio.open(path) as src:
        b = src.bounds
        lon = (b.left + b.right) / 2
        lat = (b.bottom + b.top) / 2
        utm = 32600 + int((lon + 180) // 6) + 1 if lat >= 0 else 32700 + int((lon + 180) // 6) + 1
        to = Transformer.from_crs(src.crs, utm, always_xy=True)
        xs, ys = to.transform(
            [b.left, b.left, b.right, b.right], [b.bottom, b.top, b.bottom, b.top]
        )
        west, east = max(xs[0], xs[1]) + 250, min(xs[2], xs[3]) - 250
        south, north = max(ys[0], ys[2]) + 250, min(ys[1], ys[3]) - 250
        w, h = int((east - west) // cell), int((north - south) // cell)
        out = np.full((h, w), np.nan, dtype=np.float32)
        reproject(
            source=rasterio.band(src, 1),
            destination=out,
            dst_transform=Affine(cell, 0, west, 0, -cell, north),
            dst_crs=f"EPSG:{utm}",
            src_nodata=src.nodata,
            dst_nodata=np.nan,
            resampling=Resampling.bilinear,
        )
        native = f"{src.width}×{src.height} cells of {src.res[0] * 3600:g}″"
    if np.isnan(out).any():
        raise SystemExit(f"{path}: {int(np.isnan(out).sum())} cells without a height")
    what = (
        f"real DEM {Path(path).name} ({native}, heights {out.min():.0f}-{out.max():.0f} m) "
        f"reprojected to EPSG:{utm} at {cell:g} m (bilinear), the rectangle 250 m inside the "
        f"tile: {w}×{h} = {w * h / 1e6:.1f} M cells, placed on EPSG:4547 near 113.3E 23.1N"
    )
    return out, what


def _spread(values) -> str:
    """One value as ``0.12``; several as their median and range, ``0.12 [0.10-0.15]``."""
    vals = [float(v) for v in values if not isinstance(v, str)]
    if len(vals) == 1:
        return f"{vals[0]:.2f}"
    return f"{statistics.median(vals):.2f} [{min(vals):.2f}-{max(vals):.2f}]"


def _tree_env(tree: str) -> dict[str, str]:
    """The environment of a run of the tree at ``tree``: its modules first on the path, and
    Python's bytecode caches written and read as in an installed package (a shell with
    PYTHONDONTWRITEBYTECODE set would otherwise recompile every module each process)."""
    import os

    env = {**os.environ, "PYTHONPATH": tree}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _dem_runs(
    trees: list[str], args: list[str], data: str, repeat: int
) -> dict[str, tuple[float, float]]:
    """The DEM + roads run of each tree (``label=path``) in ``repeat`` fresh processes,
    the trees in turn; one line per tree (medians and ranges when ``repeat`` > 1). Returns
    each tree's median first call and further call (seconds)."""

    import rasterio

    runs: dict[str, list[tuple]] = {}
    for _label, tree in (t.split("=", 1) for t in trees):  # untimed: writes the bytecode caches
        _timed([sys.executable, "-c", _RUN, "dem", *args], _tree_env(tree), cwd=data)
    for i in range(repeat):
        for label, tree in (
            t.split("=", 1) for t in trees[i % len(trees) :] + trees[: i % len(trees)]
        ):
            env = _tree_env(tree)
            # run in the data folder: `python -c` puts the working folder first on the path
            wall, gb, out, cpu = _timed([sys.executable, "-c", _RUN, "dem", *args], env, cwd=data)
            secs, area, again = out.split()
            with rasterio.open(f"{data}/out_dem.tif") as src:
                built = f"{src.width}×{src.height}"
            runs.setdefault(label, []).append(
                (float(secs), float(again), wall, cpu, gb, area, built)
            )
    for label, got in runs.items():
        t1, t2, t_wall, t_cpu, t_gb = (_spread(r[k] for r in got) for k in range(5))
        areas, sizes = sorted({r[5] for r in got}), sorted({r[6] for r in got})
        print(
            f"  suigeo [{label}] DEM + roads, rings end to end: {t1} s, again "
            f"in the same process {t2} s (process {t_wall} s wall, "
            f"{t_cpu} s CPU with imports), peak {t_gb} GB; ring {' / '.join(areas)} km²; "
            f"grid built and searched {' / '.join(sizes)} cells"
            + (f"; median [range] of {repeat} fresh processes" if repeat > 1 else "")
            + " (after an untimed one: bytecode cached)"
        )
    return {
        label: (statistics.median(r[0] for r in got), statistics.median(r[1] for r in got))
        for label, got in runs.items()
    }


def _repeated(cmd: list[str], repeat: int) -> tuple[str, str, str, float]:
    """Wall seconds, peak GB and CPU seconds of ``repeat`` runs of a command (``_spread``),
    and the median wall seconds."""
    runs = [_timed(cmd) for _ in range(repeat)]
    wall, gb, cpu = (_spread(r[k] for r in runs) for k in (0, 1, 3))
    return wall, gb, cpu, statistics.median(r[0] for r in runs)


def _ratios(tool: str, grass_s: float, ours: dict[str, tuple[float, float]]) -> None:
    """GRASS's median wall time over each tree's median first and further call."""
    for label, (first, again) in ours.items():
        print(
            f"    ratio {tool} / suigeo [{label}] DEM + roads: first call of a process "
            f"{grass_s / first:.1f}x, a further call {grass_s / again:.1f}x"
        )


def bench_cutoff(
    n: int,
    minutes: float,
    trees: list[str],
    real_dem: str | None = None,
    whole: bool = False,
    cell: float = 30.0,
    repeat: int = 1,
) -> None:
    """Raster engine with a cut-off on a DEM (30 m cells): an n × n synthetic one (hills of
    sines) or ``real_dem`` (a real DEM reprojected to 30 m, see ``_real_dem``), with local
    roads (secondary, 30 km/h, every 3 km) and a motorway (90 km/h) 45 km off, so the grid
    the fastest speed could reach is much larger than the ring: each source tree in
    ``trees`` (``label=path``, e.g. the code before and after the window search) end to
    end in its own process; then GRASS ``r.cost`` with ``max_cost`` on the same friction
    (roads burned; off road walking, on a real DEM at Tobler's speed for the cell's
    steepest slope) against the engine on that friction raster, and ``r.walk`` on the DEM,
    if ``grass`` is installed. ``whole``: also the whole grid without a cut-off, the
    engine's graph and Dijkstra (this tree) against ``r.cost`` and ``r.walk`` without
    ``max_cost``. ``repeat``: run each tree's fresh process (and ``r.cost`` / ``r.walk``)
    that many times, the trees in turn, and print medians with their range: the first call
    of a process varies by ±30 % on a shared machine."""
    import os
    import shutil
    import subprocess
    import tempfile

    import rasterio
    from affine import Affine
    from rasterio.features import rasterize

    from suigeo.geo.access.tobler import tobler_kmh

    x0, y0 = (float(v[0]) for v in crs.transform([113.3], [23.1], src="CGCS2000", dst=4547))
    p = resolve_settings(None)
    if real_dem:
        dem, what = _real_dem(real_dem, cell)
        h, w = dem.shape
    else:
        h = w = n
        rows = np.arange(n, dtype=np.float32)[:, None] * cell
        cols = np.arange(n, dtype=np.float32)[None, :] * cell
        dem = 400 + 250 * np.sin(cols / 2900) * np.cos(rows / 3700) + 80 * np.sin(rows / 830)
        dem = (dem + 40 * np.cos((cols + rows) / 510)).astype(np.float32)
        del rows, cols
        what = f"{n}×{n} = {n * n / 1e6:.0f} M cells of {cell:g} m (synthetic hills)"
    west, north = x0 - w // 2 * cell, y0 + h // 2 * cell
    tr = Affine(cell, 0, west, 0, -cell, north)
    data = tempfile.mkdtemp(prefix="bench_cutoff_")
    prof = dict(
        driver="GTiff",
        width=w,
        height=h,
        count=1,
        dtype="float32",
        crs="EPSG:4547",
        transform=tr,
        compress="deflate",
        tiled=True,
    )
    with rasterio.open(f"{data}/dem.tif", "w", **prof) as dst:
        dst.write(dem, 1)
    half_w, half_h = w // 2 * cell, h // 2 * cell
    k = np.arange(-30_000, 30_001, 3000.0)
    kx, ky = k[np.abs(k) < half_w], k[np.abs(k) < half_h]
    lines = [shapely.LineString([(west, y0 + d), (west + w * cell, y0 + d)]) for d in ky]
    lines += [shapely.LineString([(x0 + d, north - h * cell), (x0 + d, north)]) for d in kx]
    cls = ["secondary"] * len(lines)
    lines.append(shapely.LineString([(west, y0 - 45_000), (west + w * cell, y0 - 45_000)]))
    cls.append("motorway")
    roads = gpd.GeoDataFrame({"highway": cls}, geometry=lines, crs=4547)
    roads.to_file(f"{data}/roads.gpkg")
    factor = p["walk.off_path_factor"]
    if real_dem:  # an isotropic stand-in for the terrain: walking up the cell's steepest slope
        gy, gx = np.gradient(dem.astype(np.float64), cell)
        walk = tobler_kmh(np.hypot(gx, gy), off_path_factor=factor).astype(np.float32)
        del gx, gy
        walk_text = "off road Tobler × 0.6 at the cell's steepest slope (uphill)"
    else:
        walk = np.float32(tobler_kmh(0.0, off_path_factor=factor))
        walk_text = "off road 3.02 km/h"
    del dem
    kmh = rasterize(
        [(g, 30.0 if c == "secondary" else 90.0) for g, c in zip(lines, cls, strict=True)],
        out_shape=(h, w),
        transform=tr,
        fill=0,
        dtype="float32",
    )
    kmh = np.where(kmh > 0, kmh, walk).astype(np.float32)
    del walk
    with rasterio.open(f"{data}/friction.tif", "w", **prof) as dst:
        dst.write(kmh, 1)
    with rasterio.open(f"{data}/cost.tif", "w", **prof) as dst:  # minutes per cell
        dst.write((cell / (kmh * 1000 / 60)).astype(np.float32), 1)
    del kmh
    print(
        f"cut-off benchmark: {what}; {len(lines) - 1} secondary roads 30 km/h every 3 km + a "
        f"motorway 90 km/h 45 km off; friction raster for r.cost: roads burned, {walk_text}; "
        f"cut-off {minutes:g} min; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores"
    )
    grass = shutil.which("grass") is not None
    if grass:
        db = f"{data}/grassdb"
        _timed(["grass", "-c", "EPSG:4547", "-e", f"{db}/loc"])
        g = ["grass", f"{db}/loc/PERMANENT", "--exec"]
        t = time.perf_counter()
        for name in ("cost", "dem"):
            _timed([*g, "r.in.gdal", f"input={data}/{name}.tif", f"output={name}", "-o"])
        _timed([*g, "g.region", "raster=cost"])
        _timed([*g, "r.mapcalc", "expression=zero = 0.0"])
        version = subprocess.run(["grass", "--version"], capture_output=True, text=True)
        version = (version.stdout + version.stderr).strip().splitlines()[0]
        print(
            f"  ({version}; import of the cost and DEM rasters, not timed below: "
            f"{time.perf_counter() - t:.1f} s)"
        )
        # what every GRASS module run pays before its work: the session start-up
        wall, gb, _, cpu = min(_timed([*g, "g.region", "-p"]) for _ in range(3))
        print(
            f"  (GRASS start-up, `--exec g.region -p`, best of 3: {wall:.2f} s wall, "
            f"{cpu:.2f} s CPU)"
        )
    else:
        print("  GRASS not installed: r.cost / r.walk skipped")
    for label, tree in (t.split("=", 1) for t in trees[-1:]):
        env = _tree_env(tree)
        imports = (
            "import geopandas, rasterio, scipy.sparse.csgraph; from suigeo.geo.access import rings"
        )
        wall, gb, _, cpu = min(
            _timed([sys.executable, "-c", imports], env, cwd=data) for _ in range(3)
        )
        print(
            f"  (suigeo [{label}] start-up, the imports of a rings() run, best of 3: {wall:.2f} s "
            f"wall, {cpu:.2f} s CPU, {gb:.2f} GB)"
        )
    origins = {
        "in the hills, 1.5 km from the nearest road": (x0 + 1500 + cell / 2, y0 + 1500 - cell / 2),
        "on a road crossing": (x0 + cell / 2, y0 - cell / 2),
    }
    for where, (ox, oy) in origins.items():
        lon, lat = crs.transform([ox], [oy], src=4547, dst="CGCS2000")
        print(f" origin {where}:")
        args = [str(float(lon[0])), str(float(lat[0])), str(minutes), str(cell), data]
        ours = _dem_runs(trees, args, data, repeat)
        label, tree = trees[-1].split("=", 1)
        env = _tree_env(tree)
        wall, gb, out, cpu = _timed([sys.executable, "-c", _RUN, "friction", *args], env, cwd=data)
        secs, area, again = out.split()
        print(
            f"  suigeo [{label}] the same as a friction raster (no DEM), rings end to end: "
            f"{float(secs):.2f} s, again {float(again):.2f} s (process {wall:.2f} s wall, "
            f"{cpu:.2f} s CPU), peak {gb:.2f} GB; ring {area} km²"
        )
        if not grass:
            continue
        start = f"start_coordinates={ox},{oy}"
        cost = [*g, "r.cost", "input=cost", "output=rcost", start, f"max_cost={minutes}", "--o"]
        g_wall, g_gb, g_cpu, g_med = _repeated(cost, repeat)
        print(
            f"  GRASS r.cost max_cost={minutes:g} (8 neighbours): {g_wall} s wall, {g_cpu} s "
            f"CPU, peak {g_gb} GB"
        )
        _ratios("r.cost", g_med, ours)
        _compare(g, "rcost", f"{data}/out_friction.tif", data, cell, minutes)
        rwalk = [*g, "r.walk", "elevation=dem", "friction=zero", "output=rwalk", start]
        rwalk += [f"max_cost={minutes * 60}", "--o"]
        g_wall, g_gb, g_cpu, g_med = _repeated(rwalk, repeat)
        print(
            f"  GRASS r.walk max_cost={minutes * 60:g} s on the DEM (its own hiking model, no "
            f"roads: times differ): {g_wall} s wall, {g_cpu} s CPU, peak {g_gb} GB"
        )
        _ratios("r.walk", g_med, ours)
    if whole:
        _whole_grid(g if grass else None, trees[-1], data, origins, cell)
    if not os.environ.get("BENCH_KEEP"):
        shutil.rmtree(data)
    else:
        print(f"  data kept in {data}")


def _compare(g, name, ours_tif, data, cell, minutes) -> None:
    """GRASS raster ``name`` against the engine's travel-time GeoTIFF on its cells."""
    import rasterio

    _timed([*g, "r.out.gdal", f"input={name}", f"output={data}/{name}.tif", "type=Float64", "--o"])
    with rasterio.open(f"{data}/{name}.tif") as a, rasterio.open(ours_tif) as b:
        ref, ref_tr = a.read(1, masked=True).filled(np.nan), a.transform
        ours, our_tr = b.read(1).astype(float), b.transform
        ours[ours == b.nodata] = np.nan
    c0 = round((our_tr.c - ref_tr.c) / cell)
    r0 = round((ref_tr.f - our_tr.f) / cell)
    sub = ref[r0 : r0 + ours.shape[0], c0 : c0 + ours.shape[1]]
    both = np.isfinite(ours) & np.isfinite(sub)
    d = np.abs(ours[both] - sub[both])
    rel = d / np.maximum(sub[both], 1e-9)
    lim = minutes if minutes < np.inf else np.inf
    print(
        f"    {name} vs suigeo on the same friction: cells within {lim:g} min "
        f"{int((ref <= lim).sum()):,} vs {int((ours <= lim).sum()):,}; "
        f"max |Δt| {d.max():.2e} min, max relative {rel[sub[both] > 1].max(initial=0.0):.1e} "
        f"(cells over 1 min)"
    )


_WHOLE = """
import sys, time
import numpy as np
import rasterio
from rasterio.features import rasterize
import geopandas as gpd
from suigeo.geo.access.settings import resolve_settings
kind, row, col, data = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
t = time.perf_counter()
try:  # the compiled search (a C extension; numba in trees before 2026-12-04: its load)
    from suigeo.geo.access.raster import grid_times
    grid_times(np.ones((2, 2)), None, 30.0, resolve_settings(None), np.array([0]))
except ImportError:  # a tree before it: scipy's Dijkstra on the move graph
    grid_times = None
    from suigeo.geo.access.graph import shortest_times
    from suigeo.geo.access.raster import grid_csr
t_load = time.perf_counter() - t
p = resolve_settings(None)
with rasterio.open(f"{data}/dem.tif") as src:
    prof, cell = src.profile, src.res[0]
    if kind == "dem":
        heights = src.read(1).astype(np.float64)
        roads = gpd.read_file(f"{data}/roads.gpkg")
        kmh = np.where(roads["highway"] == "motorway", 90.0, 30.0)
        speed = rasterize(list(zip(roads.geometry, kmh)), out_shape=heights.shape,
                          transform=src.transform, fill=np.nan, dtype="float64")
        offroad = None
if kind == "friction":
    with rasterio.open(f"{data}/friction.tif") as src:
        offroad = src.read(1).astype(np.float64)
    heights, speed = None, np.full(offroad.shape, np.nan)
t_read = time.perf_counter() - t - t_load
src = np.array([row * prof["width"] + col])
if grid_times is None:
    graph = grid_csr(speed, heights, cell, p, offroad=offroad)
    del speed, heights, offroad
    t_graph = time.perf_counter() - t - t_load - t_read
    dist, _ = shortest_times(graph, src)
    del graph
else:  # no graph: the moves' costs are worked out during the search
    t_graph = 0.0
    dist = grid_times(speed, heights, cell, p, src, offroad=offroad)
t_search = time.perf_counter() - t - t_load - t_read - t_graph
prof.update(dtype="float32", nodata=-1.0)
with rasterio.open(f"{data}/whole_{kind}.tif", "w", **prof) as dst:
    dst.write(np.where(np.isfinite(dist[0]), dist[0], -1).astype(np.float32)
              .reshape(prof["height"], prof["width"]), 1)
print(f"{time.perf_counter() - t:.2f} {t_load:.2f} {t_read:.2f} {t_graph:.2f} {t_search:.2f}")
"""


def _whole_grid(g, tree: str, data: str, origins: dict, cell: float) -> None:
    """The whole grid without a cut-off from the first origin: the engine's compiled search
    (``grid_times``; in an older tree the graph build ``grid_csr`` and scipy's Dijkstra) on
    the DEM (Tobler, roads burned) and on the friction raster, each in its own process,
    against ``r.walk`` and ``r.cost`` without ``max_cost``."""
    import os

    import rasterio

    label, path = tree.split("=", 1)
    env = {**os.environ, "PYTHONPATH": path}
    ox, oy = next(iter(origins.values()))
    with rasterio.open(f"{data}/dem.tif") as src:
        row, col = src.index(ox, oy)
        size = f"{src.width}×{src.height} = {src.width * src.height / 1e6:.1f} M cells"
    print(f" whole grid ({size}), no cut-off, from the first origin:")
    for kind in ("friction", "dem"):
        what = "friction raster" if kind == "friction" else "DEM (Tobler) + roads"
        cmd = [sys.executable, "-c", _WHOLE, kind, str(row), str(col), data]
        wall, gb, out, cpu = _timed(cmd, env, cwd=data)
        total, t_load, t_read, t_graph, t_search = out.split()
        print(
            f"  suigeo [{label}] {what}, load + read + graph + Dijkstra + write: {total} s "
            f"(compiled search loaded {t_load} s, read {t_read} s, graph {t_graph} s, "
            f"Dijkstra {t_search} s; process {wall:.2f} s wall, {cpu:.2f} s CPU with "
            f"imports), peak {gb:.2f} GB"
        )
        if g is None:
            continue
        start = f"start_coordinates={ox},{oy}"
        if kind == "friction":
            wall, gb, _, cpu = _timed([*g, "r.cost", "input=cost", "output=rcostall", start, "--o"])
            print(
                f"  GRASS r.cost, no max_cost: {wall:.2f} s wall, {cpu:.2f} s CPU, peak {gb:.2f} GB"
            )
            _compare(g, "rcostall", f"{data}/whole_friction.tif", data, cell, np.inf)
        else:
            walk = [*g, "r.walk", "elevation=dem", "friction=zero", "output=rwalkall", start]
            wall, gb, _, cpu = _timed([*walk, "--o"])
            print(
                f"  GRASS r.walk, no max_cost (its own hiking model, no roads): {wall:.2f} s wall, "
                f"{cpu:.2f} s CPU, peak {gb:.2f} GB"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=500, help="nodes per side (default 500)")
    ap.add_argument("--minutes", type=float, default=20.0)
    ap.add_argument("--skip-networkx", action="store_true")
    ap.add_argument("--repeat", type=int, default=5, help="best of N for suigeo (default 5)")
    ap.add_argument("--repeat-nx", type=int, default=3, help="best of N for networkx/skimage")
    ap.add_argument(
        "--raster",
        type=int,
        default=0,
        metavar="N",
        help="also benchmark the raster engine on an N × N grid",
    )
    ap.add_argument("--raster-minutes", type=float, default=90.0)
    ap.add_argument("--raster-road-kmh", type=float, default=45.0)
    ap.add_argument(
        "--cutoff-grid",
        type=int,
        default=0,
        metavar="N",
        help="only the cut-off benchmark on an N × N DEM (and GRASS r.cost / r.walk)",
    )
    ap.add_argument("--cutoff-minutes", type=float, default=30.0)
    ap.add_argument(
        "--real-dem",
        metavar="FILE",
        help="cut-off benchmark on this real DEM (e.g. an SRTM .hgt tile), reprojected to 30 m "
        "(instead of the synthetic N × N hills)",
    )
    ap.add_argument(
        "--whole",
        action="store_true",
        help="cut-off benchmark: also the whole grid without a cut-off vs r.cost / r.walk",
    )
    ap.add_argument(
        "--first-repeat",
        type=int,
        default=1,
        metavar="N",
        help="cut-off benchmark: N fresh processes per tree (in turn) and N runs of r.cost / "
        "r.walk, printed as median [range] (default 1)",
    )
    ap.add_argument(
        "--tree",
        action="append",
        default=[],
        metavar="LABEL=PATH",
        help="source tree to time in the cut-off benchmark (repeatable; default this one)",
    )
    args = ap.parse_args()
    if args.cutoff_grid or args.real_dem:
        here = str(Path(__file__).resolve().parents[1])
        bench_cutoff(
            args.cutoff_grid,
            args.cutoff_minutes,
            args.tree or [f"this={here}"],
            real_dem=args.real_dem,
            whole=args.whole,
            repeat=args.first_repeat,
        )
        return
    if args.raster:
        bench_raster(
            args.raster, args.raster_minutes, args.raster_road_kmh, args.repeat, args.repeat_nx
        )
    try:
        from suigeo import layers

        towns = layers.load("north8_towns")
        t = time.perf_counter()
        res = rings(towns, minutes=[30, 90])
        print(
            f"sketch rings, {len(towns)} towns × 2 thresholds with the shipped rail: "
            f"{time.perf_counter() - t:.2f} s ({len(res)} rings)"
        )
    except (ImportError, AttributeError):
        print("sketch: shipped layers not available, skipped")
    roads, lon, lat = grid(args.n, 100.0)
    print(
        f"grid {args.n}×{args.n}: {len(roads):,} lines, {2 * len(roads):,} directed edges; "
        f"cut-off {args.minutes:g} min"
    )

    t = time.perf_counter()
    res = rings((lon, lat), minutes=[args.minutes], engine="network", roads=roads, rail=False)
    t_ours = time.perf_counter() - t
    print(
        f"suigeo network engine, GeoDataFrame -> ring polygon: {t_ours:.2f} s "
        f"(ring {res['area_km2'].iloc[0]:.1f} km²)"
    )

    p = resolve_settings(None)
    t = time.perf_counter()
    net = build_network(
        np.array([lon]), np.array([lat]), ["o"], roads, build_rail(None, None, p), p
    )
    net.graph()
    t_tables = time.perf_counter()
    net.line_table()
    t_build = time.perf_counter() - t
    t_tables = time.perf_counter() - t_tables
    print(f"  of which topology + graph build from the lines: {t_build:.2f} s")
    print(f"  of which the ring table (faces of the whole network): {t_tables:.2f} s")
    t_ring, c_ring = best_of(
        args.repeat,
        lambda: rings_from_graph(net, [args.minutes], direction="from", settings=p, nearest=False),
    )
    print(
        f"suigeo graph -> ring polygon (Dijkstra with cut-off + ring), best of {args.repeat}: "
        f"{t_ring:.3f} s wall, {c_ring:.3f} s CPU"
    )
    graph = net.graph()
    t = time.perf_counter()
    dist, _ = shortest_times(graph, net.points, limit=args.minutes)
    t_dij = time.perf_counter() - t
    reached = np.isfinite(dist[0])
    print(f"scipy dijkstra with limit alone: {t_dij:.3f} s, {int(reached.sum()):,} nodes reached")
    if args.skip_networkx:
        return
    import networkx as nx

    u, v, w = net.edges.arrays()
    t = time.perf_counter()
    g = nx.DiGraph()
    g.add_weighted_edges_from(zip(u.tolist(), v.tolist(), w.tolist(), strict=True), weight="time")
    t_nxbuild = time.perf_counter() - t
    src = int(net.points[0])
    t = time.perf_counter()
    ref = nx.single_source_dijkstra_path_length(g, src, cutoff=args.minutes, weight="time")
    t_nx = time.perf_counter() - t
    nodes = np.fromiter(ref.keys(), dtype=np.int64)
    times = np.fromiter(ref.values(), dtype=float)
    diff = np.abs(dist[0, nodes] - times).max()
    same_set = set(np.flatnonzero(reached)) == set(nodes.tolist())
    print(
        f"networkx single_source_dijkstra_path_length(cutoff): {t_nx:.2f} s; "
        f"max |Δt| = {diff:.2e} min; same reached set: {same_set}"
    )
    xy = np.full((net.edges.n, 2), np.nan)
    xy[net.road.node_u], xy[net.road.node_v] = line_ends(net.road.geoms)

    def recipe():
        sub = nx.ego_graph(g, src, radius=args.minutes, distance="time")
        pts = shapely.points(xy[[n for n in sub.nodes if n < net.road.n_nodes]])
        return shapely.convex_hull(shapely.multipoints(pts))

    hull = recipe()
    t_ego, c_ego = best_of(args.repeat_nx, recipe)
    print(
        f"OSMnx recipe ego_graph + convex hull, best of {args.repeat_nx}: {t_ego:.2f} s wall, "
        f"{c_ego:.2f} s CPU (hull {hull.area / 1e6:.1f} km²)"
    )
    print(
        f"ratio graph -> polygon (OSMnx recipe ÷ suigeo): {t_ego / t_ring:.1f}× wall, "
        f"{c_ego / c_ring:.1f}× CPU"
    )
    print(
        f"ratio OSMnx recipe ÷ suigeo end to end incl. building the graph from lines: "
        f"{t_ego / t_ours:.2f}× (networkx graph construction, not timed above, took "
        f"{t_nxbuild:.1f} s)"
    )
    print(f"ratio search only (networkx ÷ scipy): {t_nx / t_dij:.1f}×")


if __name__ == "__main__":
    main()
