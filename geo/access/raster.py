"""Raster engine: cost distance over a friction grid, with rail and expressways as links.

The grid is in the CGCS2000 3-degree GK plane of the origins, ``raster.cell_m`` square
(enlarged to keep under ``raster.max_cells``; said so on the result). A DEM (any CRS; it is
reprojected onto the grid, bilinear) gives slopes.

Moves go to the 8 neighbouring cells. A move a → b of length d costs
``d/2 · (1/v_a + 1/v_b)`` — the convention of scikit-image's ``MCP_Geometric`` — where
``v`` is the road speed burned into a road cell, and elsewhere off-path walking by Tobler's
function of the signed slope of the move, ``6·exp(−3.5·|S + 0.05|) × walk.off_path_factor``
km/h (flat when there is no DEM; a move into, out of or between cells without a height —
DEM nodata or outside the DEM — is level, slope 0). A friction raster gives off-road speeds
on the flat instead (scaled by Tobler's slope factor on a DEM, used as given without one).
The grid spans what the fastest speed present (roads, friction, walking) reaches within
the largest threshold. Roads of ``raster.limited_access_classes`` (expressways)
are not burned: they form their own graph, entered and left only at their interchanges
(line ends shared with an ordinary road). Rail likewise joins the grid only at station
cells. Dijkstra stops at the largest threshold: compiled (:func:`grid_times`, suigeo's C
extension: each move's cost worked out when the search reaches it, no graph stored), or,
where the extension was not built at install, scipy's on the graph written out
(:func:`grid_csr`; the same times, about half the speed). Rings are the cells
within each threshold, as polygons (rasterio.features.shapes). Note: 8-neighbour moves
make a ring on a uniform surface an octagon (the exact 8-neighbour distance), not a disc.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import math
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import rasterio
import shapely
from affine import Affine
from pyproj import CRS
from rasterio.features import rasterize, shapes
from rasterio.warp import Resampling, reproject
from rasterio.windows import Window
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from suigeo import crs
from suigeo.errors import InputError
from suigeo.geo.access import gridsearch
from suigeo.geo.access.graph import ZERO, EdgeList, shortest_times
from suigeo.geo.access.plane import plane_crs
from suigeo.geo.access.settings import Settings
from suigeo.io.atomic import atomic_output
from suigeo.io.raster import open_raster, reading

if TYPE_CHECKING:
    import geopandas as gpd
    from rasterio.io import DatasetReader
from suigeo.geo.access.rail import RailNet
from suigeo.geo.access.result import EngineOutput
from suigeo.geo.access.roads import line_ends, load_roads, road_graph, road_speeds
from suigeo.geo.access.tobler import tobler_kmh

__all__ = ["Grid", "grid_csr", "grid_times", "raster_rings"]

log = logging.getLogger(__name__)


@dataclass
class Grid:
    """A north-up grid: ``transform`` maps (col, row) to plane x, y."""

    transform: Affine
    width: int
    height: int
    cell: float
    plane: CRS

    @property
    def size(self) -> int:
        """Number of cells (width × height)."""
        return self.width * self.height

    def cell_of(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Flat cell index of each point, -1 outside."""
        col = np.floor((np.asarray(x) - self.transform.c) / self.cell).astype(np.int64)
        row = np.floor((self.transform.f - np.asarray(y)) / self.cell).astype(np.int64)
        inside = (col >= 0) & (col < self.width) & (row >= 0) & (row < self.height)
        return np.where(inside, row * self.width + col, -1)


def _make_grid(
    bounds: tuple[float, float, float, float],
    anchor: tuple[float, float],
    plane: CRS,
    settings: Settings,
    lattice: tuple[float, float] | None = None,
) -> tuple[Grid, str]:
    """A grid covering ``bounds`` with ``anchor`` (the first origin) at a cell centre, or,
    given ``lattice`` (a cell corner of a raster in the plane at ``raster.cell_m``: see
    :func:`_lattice`), on that raster's cells, so that it is read, not resampled."""
    minx, miny, maxx, maxy = bounds
    cell = settings["raster.cell_m"]
    note = ""
    need = (maxx - minx) * (maxy - miny) / cell**2
    if need > settings["raster.max_cells"]:
        cell = math.ceil(math.sqrt((maxx - minx) * (maxy - miny) / settings["raster.max_cells"]))
        note = f"; cell enlarged to {cell:g} m to stay within raster.max_cells"
        lattice = None
    if lattice is not None:
        lx, ly = lattice
        west = lx + math.floor((minx - lx) / cell) * cell
        north = ly + math.ceil((maxy - ly) / cell) * cell
        note += "; grid on the cells of the DEM / friction raster (read as is, not resampled)"
    else:
        ax, ay = anchor
        west = ax - cell / 2 - math.ceil((ax - cell / 2 - minx) / cell) * cell
        north = ay + cell / 2 + math.ceil((maxy - ay - cell / 2) / cell) * cell
    width = max(1, math.ceil((maxx - west) / cell))
    height = max(1, math.ceil((north - miny) / cell))
    _check_memory(width * height, settings)
    return Grid(Affine(cell, 0, west, 0, -cell, north), width, height, float(cell), plane), note


#: Bytes per grid cell budgeted for a raster run (a conservative estimate, from the engine
#: that stored its move graph: 8 moves × (float64 cost + int64 index) and about 8 float64
#: grids). The compiled search stores no graph and needs about 10 float64 grids a cell.
BYTES_PER_CELL = 8 * (8 + 8) + 8 * 8


def _available_memory() -> int | None:
    """Bytes of memory this process may still use, or ``None`` if unknown: the least of
    Linux ``MemAvailable``, the cgroup's limit less its use, and ``ulimit -v`` less the
    address space in use."""
    found: list[int] = []
    with (
        contextlib.suppress(OSError, ValueError, IndexError),
        open("/proc/meminfo", encoding="ascii") as fh,
    ):
        for line in fh:
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    with contextlib.suppress(OSError, ValueError):
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = Path("/sys/fs/cgroup/memory.current").read_text().strip()
        if limit.isdigit() and int(limit) < 2**60:
            found.append(int(limit) - int(used))
    with contextlib.suppress(OSError, ValueError, ImportError):
        import resource

        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft != resource.RLIM_INFINITY:
            with open("/proc/self/statm", encoding="ascii") as fh:
                size = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
            found.append(soft - size)
    return max(0, min(found)) if found else None


def _check_memory(cells: int, settings: Settings) -> None:
    """Refuse, before allocating, a grid whose estimated memory exceeds what is available."""
    need = cells * BYTES_PER_CELL
    have = _available_memory()
    if have is not None and need > 0.8 * have:
        raise InputError(
            f"the raster grid would have {cells:,} cells (about {need / 2**30:.1f} GiB of "
            f"memory; {have / 2**30:.1f} GiB available): raise raster.cell_m (now "
            f"{settings['raster.cell_m']:g}) or lower raster.max_cells (now "
            f"{settings['raster.max_cells']:g}), or shorten the minutes"
        )


def _onto_grid(
    path: str | os.PathLike[str], grid: Grid, what: str, resampling: Resampling
) -> tuple[np.ndarray, str]:
    """Band 1 of a GeoTIFF resampled onto the grid (NaN where it has no data), and a note
    naming the CRS it was reprojected from ('' when it already is the grid's)."""
    with open_raster(path, what=what) as src:
        out = np.full((grid.height, grid.width), np.nan, dtype=np.float64)
        with reading(path, what=what):  # a damaged file opens, then fails while read
            at = _on_cells(src, grid)
            if at is not None:  # the grid is on the raster's cells: read, not resampled
                _read_into(out, src, *at)
                return out, ""
            reproject(
                source=rasterio.band(src, 1),
                destination=out,
                dst_transform=grid.transform,
                dst_crs=grid.plane,
                src_nodata=src.nodata,
                dst_nodata=np.nan,
                resampling=resampling,
            )
            same = _same_crs(src.crs, grid.plane)
        return out, "" if same else src.crs.to_string()


def _lattice(
    paths: list[tuple[str | os.PathLike[str], str]], plane: CRS, cell: float
) -> tuple[float, float] | None:
    """A cell corner of the first of ``paths`` (the DEM, then the friction raster) that is
    north-up in ``plane`` with square cells of ``cell`` metres: the grid is then put on its
    cells, as GRASS's region on a raster's, and it is read rather than resampled (bilinear
    resampling at a cell's own centre gives that cell's value: the same heights)."""
    for path, what in paths:
        with open_raster(path, what=what) as src:
            if _cells_like(src, plane, cell):
                return float(src.transform.c), float(src.transform.f)
    return None


def _cells_like(src: DatasetReader, plane: CRS, cell: float) -> bool:
    """Whether a raster is north-up in ``plane`` with square cells of ``cell`` metres."""
    t = src.transform
    square = (t.b, t.d) == (0, 0) and t.a == cell and t.e == -cell
    return square and _same_crs(src.crs, plane)


def _on_cells(src: DatasetReader, grid: Grid) -> tuple[int, int] | None:
    """The raster column and row of the grid's first cell when the grid lies on the
    raster's cells (same plane and cell size, offsets whole cells to 1e-6 of a cell)."""
    t, g = src.transform, grid.transform
    col, row = (g.c - t.c) / grid.cell, (t.f - g.f) / grid.cell
    if abs(col - round(col)) > 1e-6 or abs(row - round(row)) > 1e-6:
        return None
    return (round(col), round(row)) if _cells_like(src, grid.plane, grid.cell) else None


def _read_into(out: np.ndarray, src: DatasetReader, col: int, row: int) -> None:
    """Band 1 of ``src`` from column ``col`` and row ``row`` into ``out`` (its part inside
    the raster; NaN where the raster has no data, as ``reproject`` leaves it)."""
    h, w = out.shape
    r0, r1 = max(row, 0), min(row + h, src.height)
    c0, c1 = max(col, 0), min(col + w, src.width)
    if r0 >= r1 or c0 >= c1:
        return
    band = src.read(1, window=Window(c0, r0, c1 - c0, r1 - r0), masked=True)
    into = out[r0 - row : r1 - row, c0 - col : c1 - col]  # NaN already: only data is copied
    np.copyto(into, band.data, where=~np.ma.getmaskarray(band))


def _same_crs(raster_crs: rasterio.crs.CRS, plane: CRS) -> bool:
    """Whether a raster's CRS is the grid's plane: the same EPSG code, each identified with
    full confidence (GDAL's and pyproj's look-ups, well under a millisecond), else pyproj's
    comparison (whose first parse of a WKT costs 13-20 ms in a process)."""
    code = raster_crs.to_epsg(confidence_threshold=100)
    if code is not None and code == plane.to_epsg(min_confidence=100):
        return True
    return CRS(raster_crs) == plane


def _heights(dem: str | os.PathLike[str], grid: Grid) -> tuple[np.ndarray, str]:
    out, from_crs = _onto_grid(dem, grid, "DEM", Resampling.bilinear)
    note = f"; DEM reprojected from {from_crs} (bilinear)" if from_crs else ""
    missing = np.isnan(out)
    if missing.all():
        raise InputError(f"DEM {str(dem)!r} does not cover the area of the rings")
    if missing.any():
        note += (
            f"; the DEM covers {100 * (1 - missing.mean()):.1f}% of the grid: "
            "cells outside it or without data are walked as flat (every move into, out of "
            "or between them counts as level, slope 0)"
        )
    return out, note


_OFFSETS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


def grid_csr(
    speed: np.ndarray,
    heights: np.ndarray | None,
    cell: float,
    settings: Settings,
    n_total: int | None = None,
    offroad: np.ndarray | None = None,
    *,
    reverse: bool = False,
    links: csr_array | None = None,
) -> csr_array:
    """The 8-neighbour move graph of a grid of road speeds (NaN off road) as CSR for
    scipy's Dijkstra, where the compiled search (:func:`grid_times`, which stores no graph)
    was not built at install; also the tests' reference. Built directly: every cell row holds its 8
    moves in a fixed order (a move off the grid or into an impassable cell is a harmless
    zero-cost self-loop), so nothing is sorted. Rows
    beyond the grid (``n_total``) are left empty for linked nodes. ``offroad``: optional
    off-road speeds on the flat in km/h per cell (a friction raster; NaN = walking, 0 =
    impassable), scaled on slopes by Tobler's function. Built in blocks of grid rows whose
    moves fit in the processor cache (int32 indices when they fit). ``reverse``: the graph
    of the moves backwards (row ``a`` holds the cost of moving from each neighbour ``b`` to
    ``a``), for times to a destination, without transposing. ``links``: extra edges
    (``n_total`` square CSR: rail, expressways) written after the moves of their rows
    (scipy's Dijkstra takes a row's entries in any order)."""
    h, w = speed.shape
    n = h * w
    n_total = n if n_total is None else n_total
    factor = settings["walk.off_path_factor"]
    flat = float(tobler_kmh(0.0))
    road = np.isfinite(speed)
    if links is None or not links.nnz:  # no links: no per-row shift to track
        links, extra, shift = None, None, None
        nnz = 8 * n
    else:
        extra = np.diff(links.indptr)
        shift = np.append(0, np.cumsum(extra))  # link entries before each row
        nnz = 8 * n + int(shift[-1])
    itype = np.int32 if nnz < 2**31 - 1 and n_total < 2**31 - 1 else np.int64
    data = np.empty(nnz)
    cols = np.empty(nnz, dtype=itype)
    linked = np.flatnonzero(extra[:n]) if extra is not None else np.empty(0, np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        # padded grids built in place (one allocation each: this is the peak of a large run)
        if heights is None:  # no slope: one friction (minutes per metre) per cell
            pad_inv = np.full((h + 2, w + 2), np.inf)
            inner = pad_inv[1:-1, 1:-1]
            _offroad_into(inner, offroad, flat * factor)
            np.copyto(inner, speed, where=road)
            np.divide(0.06, inner, out=inner)
            pads: tuple[np.ndarray, ...] = (pad_inv,)
        else:  # off-grid neighbours are NaN: their moves are dropped like impassable ones
            base = np.full((h + 2, w + 2), np.nan)
            _offroad_into(base[1:-1, 1:-1], offroad, flat * factor)
            pads = (
                base,
                np.pad(speed, 1, constant_values=np.nan),
                np.pad(heights, 1, constant_values=np.nan),  # NaN: no height (see _block)
                np.pad(road, 1, constant_values=False),
            )
        del road
        rows = max(1, 2**13 // w)  # 8 moves × 8 bytes × 2**13 cells = 512 kB per block
        buf = np.empty((rows * w, 8)), np.empty((rows * w, 8), dtype=itype)
        for r0 in range(0, h, rows):
            r1 = min(h, r0 + rows)
            m = (r1 - r0) * w
            c0 = r0 * w
            cut = linked[np.searchsorted(linked, c0) : np.searchsorted(linked, r1 * w)]
            if not cut.size:  # no linked cell: the block's moves go straight into the CSR
                at = 8 * c0 + (0 if shift is None else int(shift[c0]))
                _block(
                    data[at : at + 8 * m],
                    cols[at : at + 8 * m],
                    r0,
                    r1,
                    w,
                    cell,
                    pads,
                    flat,
                    reverse,
                )
                continue
            assert shift is not None  # a linked cell: there are links
            _block(buf[0][:m], buf[1][:m], r0, r1, w, cell, pads, flat, reverse)
            # cells [a, b) lie contiguously in the CSR; a linked cell's links follow its moves
            for a, b in zip(np.append(c0, cut + 1), np.append(cut + 1, r1 * w), strict=True):
                if a == b:  # the block's last cell is linked
                    continue
                at = 8 * a + int(shift[a])
                data[at : at + 8 * (b - a)] = buf[0][a - c0 : b - c0].ravel()
                cols[at : at + 8 * (b - a)] = buf[1][a - c0 : b - c0].ravel()
                if b - 1 in cut:
                    _put_links(data, cols, links, b - 1, 8 * b + int(shift[b - 1]))
    del pads, buf
    if shift is None or links is None:
        indptr = np.arange(0, 8 * n + 1, 8, dtype=itype)
        if n_total > n:  # the rows beyond the grid are empty
            indptr = np.concatenate([indptr, np.full(n_total - n, 8 * n, dtype=itype)])
    else:  # the rows beyond the grid hold only links
        data[8 * n + int(shift[n]) :] = links.data[links.indptr[n] :]
        cols[8 * n + int(shift[n]) :] = links.indices[links.indptr[n] :]
        indptr = (8 * np.minimum(np.arange(n_total + 1), n) + shift).astype(itype)
    return csr_array((data, cols, indptr), shape=(n_total, n_total))


def grid_times(
    speed: np.ndarray,
    heights: np.ndarray | None,
    cell: float,
    settings: Settings,
    sources: np.ndarray,
    n_total: int | None = None,
    offroad: np.ndarray | None = None,
    *,
    reverse: bool = False,
    links: csr_array | None = None,
    limit: float = math.inf,
    nearest: bool = False,
) -> np.ndarray:
    """Minutes from each of ``sources`` (rows; one row from the nearest when ``nearest``)
    to every node of the move graph :func:`grid_csr` would build from the same arguments
    (grid cells, then ``n_total`` − cells linked nodes), inf beyond ``limit``: a compiled
    Dijkstra (:mod:`suigeo.geo.access.gridsearch`) that works out each move's cost when it
    reaches it, with the same operations, so no graph is stored."""
    h, w = speed.shape
    walk = float(tobler_kmh(0.0)) * settings["walk.off_path_factor"]
    base = np.empty((h, w))
    _offroad_into(base, offroad, walk)
    cells: tuple[np.ndarray, ...]
    if heights is None:  # minutes per metre of each cell, as grid_csr's padded grid
        np.copyto(base, speed, where=np.isfinite(speed))
        with np.errstate(divide="ignore"):
            np.divide(0.06, base, out=base)
        cells = (base,)
    else:
        cells = (speed, base, heights)
    return gridsearch.grid_search(
        cells,
        cell,
        float(tobler_kmh(0.0)),
        sources,
        n_total=h * w if n_total is None else n_total,
        limit=limit,
        nearest=nearest,
        reverse=reverse,
        links=None if links is None else (links.indptr, links.indices, links.data),
    )


@functools.cache
def _say_scipy() -> None:
    """Say once per process that the compiled search is missing (the times are the same)."""
    log.warning(
        "suigeo's compiled grid search was not built when suigeo was installed (no C "
        "compiler?): searching with scipy's Dijkstra, the same times at about half the speed"
    )


def _search(
    speed: np.ndarray,
    heights: np.ndarray | None,
    cell: float,
    settings: Settings,
    sources: np.ndarray,
    n_total: int,
    offroad: np.ndarray | None,
    *,
    reverse: bool,
    links: csr_array,
    limit: float,
    nearest: bool,
) -> np.ndarray:
    """Times over a window (the arguments of :func:`grid_times`): compiled where suigeo's
    C extension was built, else scipy's Dijkstra on :func:`grid_csr`'s graph (the same
    times, up to the last bit of ``exp`` on a DEM; about half the speed on a large window)."""
    if gridsearch.COMPILED:
        return grid_times(
            speed, heights, cell, settings, sources, n_total, offroad,
            reverse=reverse, links=links, limit=limit, nearest=nearest,
        )  # fmt: skip
    _say_scipy()
    graph = grid_csr(speed, heights, cell, settings, n_total, offroad, reverse=reverse, links=links)
    dist, _ = shortest_times(graph, sources, limit=limit, nearest=nearest)
    return dist


def _offroad_into(out: np.ndarray, offroad: np.ndarray | None, walk: float) -> None:
    """Off-road speeds on the flat (km/h) into ``out``: the friction raster's, else (and
    where it has no data) ``walk``."""
    if offroad is None:
        out.fill(walk)
    else:
        np.copyto(out, offroad)
        np.copyto(out, walk, where=~np.isfinite(offroad))


def _put_links(data, cols, links, row, at) -> None:
    a, b = links.indptr[row], links.indptr[row + 1]
    data[at : at + b - a] = links.data[a:b]
    cols[at : at + b - a] = links.indices[a:b]


_STEP = np.array([dr for dr, _ in _OFFSETS]), np.array([dc for _, dc in _OFFSETS])


def _block(data, cols, r0, r1, w, cell, pads, flat, reverse) -> None:
    """Moves of grid rows ``r0:r1`` into ``data``/``cols`` (one row of 8 per cell). With
    heights, each move's cost is worked out in place in block-sized buffers, in the order
    of operations of :func:`tobler_kmh` and ``d/2 · (1/v_a + 1/v_b)`` (the same bits)."""
    here = (slice(1 + r0, 1 + r1), slice(1, 1 + w))
    idx = np.arange(r0 * w, r1 * w, dtype=cols.dtype).reshape(r1 - r0, w, 1)
    data, cols = data.reshape(r1 - r0, w, 8), cols.reshape(r1 - r0, w, 8)
    if len(pads) > 1:
        shape = (r1 - r0, w)
        rise, v_a, v_b = np.empty(shape), np.empty(shape), np.empty(shape)
        nan = np.empty(shape, dtype=bool)
    for k, (dr, dc) in enumerate(_OFFSETS):
        there = (slice(1 + r0 + dr, 1 + r1 + dr), slice(1 + dc, 1 + dc + w))
        d = cell * math.hypot(dr, dc)
        if len(pads) == 1:
            np.multiply(pads[0][here] + pads[0][there], d / 2, out=data[:, :, k])
            continue
        base, speed, hgt, road = pads
        if reverse:
            np.subtract(hgt[here], hgt[there], out=rise)
        else:
            np.subtract(hgt[there], hgt[here], out=rise)
        # a move into, out of or between cells without a height (DEM nodata, outside
        # the DEM) is level: walked as on the flat, never a cliff from a made-up height
        np.copyto(rise, 0.0, where=np.isnan(rise, out=nan))
        # slope factor: tobler_kmh(rise / d) / flat, i.e. 6·exp(−3.5·|S + 0.05|) / flat
        np.divide(rise, d, out=rise)
        np.add(rise, 0.05, out=rise)
        np.abs(rise, out=rise)
        np.multiply(-3.5, rise, out=rise)
        np.exp(rise, out=rise)
        np.multiply(6.0, rise, out=rise)
        np.divide(rise, flat, out=rise)
        # speeds at both ends: the road's where burned, else off-road × slope factor
        np.multiply(base[here], rise, out=v_a)
        np.copyto(v_a, speed[here], where=road[here])
        np.multiply(base[there], rise, out=v_b)
        np.copyto(v_b, speed[there], where=road[there])
        np.divide(1.0, v_a, out=v_a)
        np.divide(1.0, v_b, out=v_b)
        np.add(v_a, v_b, out=v_a)
        np.multiply(d / 2, v_a, out=v_a)
        np.multiply(v_a, 0.06, out=data[:, :, k])
    np.add(idx, (_STEP[0] * w + _STEP[1]).astype(cols.dtype), out=cols)
    bad = ~np.isfinite(data)  # off the grid or impassable: a zero-cost self-loop
    np.copyto(data, ZERO, where=bad)
    np.copyto(cols, idx, where=bad)


def _friction(path: str | os.PathLike[str], grid: Grid) -> np.ndarray:
    """Off-road speeds (km/h) from a friction GeoTIFF, resampled onto the grid (nearest)."""
    out, _ = _onto_grid(path, grid, "friction raster", Resampling.nearest)
    if (out < 0).any():
        raise InputError(f"friction raster {str(path)!r} holds negative speeds")
    return out


def _offroad_text(friction: bool, dem: bool) -> str:
    """How off-road cells are crossed, for the method column."""
    if not friction:
        return "off road Tobler walking × off-path factor" + (
            " on DEM slopes" if dem else " on the flat (no DEM)"
        )
    return (
        "off road the friction raster's speeds (km/h, 0 = impassable) "
        + ("× Tobler's slope factor on DEM slopes" if dem else "as given (no DEM)")
        + ", Tobler walking × off-path factor where it has no data"
    )


def _friction_summary(path: str | os.PathLike[str]) -> tuple[float, float]:
    """A friction raster's largest speed (NaN when it holds none) and the median positive
    speed of a sample of it (the cells of every ``step``-th row and column, about 512 × 512
    of them; 1.0 when none is positive): one pass over its blocks, so the raster is decoded
    once and memory stays small. The largest sizes the grid; the median is only a first
    guess of the reach (the window it gives is grown until the rings fit)."""
    top = -math.inf
    sample: list[np.ndarray] = []
    what = "friction raster"
    with open_raster(path, what=what) as src, reading(path, what=what):
        step = max(1, max(src.width, src.height) // 512)
        for _, win in src.block_windows(1):
            band = src.read(1, window=win, masked=True).astype(np.float64)
            data = np.ma.filled(band, np.nan)
            finite = np.isfinite(data)
            if finite.any():
                top = max(top, float(data[finite].max()))
            # the sampled cells: rows and columns of the raster that are multiples of step
            s = data[(-win.row_off) % step :: step, (-win.col_off) % step :: step].ravel()
            sample.append(s[np.isfinite(s) & (s > 0)])
    vals = np.concatenate(sample) if sample else np.empty(0)
    return (top if math.isfinite(top) else math.nan), (float(np.median(vals)) if vals.size else 1.0)


def _fastest_kmh(
    kmh: np.ndarray | None,
    friction_top: float | None,
    has_dem: bool,
    settings: Settings,
) -> float:
    """The fastest speed anywhere on the grid (km/h): roads (burned and expressways), the
    friction raster's largest speed ``friction_top`` (× Tobler's steepest-downhill gain
    6 / 5.04 on a DEM) and off-road walking (Tobler × off-path factor; its maximum at slope
    −0.05 on a DEM). It sizes the grid: nothing farther than this speed × the largest
    threshold can be reached."""
    gain = float(tobler_kmh(-0.05) / tobler_kmh(0.0)) if has_dem else 1.0
    fastest = float(tobler_kmh(0.0)) * gain * settings["walk.off_path_factor"]
    if kmh is not None and len(kmh):
        fastest = max(fastest, float(np.max(kmh)))
    if friction_top is not None and math.isfinite(friction_top):
        fastest = max(fastest, friction_top * gain)
    return fastest


def _extent(ox, oy, sx, sy, rail: RailNet, t_max: float, v_mpm: float):
    """Bounds of everything reachable: the origins ± ground reach, and every station that
    rail can reach within ``t_max`` (boarding at a station within ground reach; rail times
    as a lower bound, either direction) ± its remaining ground reach."""
    reach = t_max * v_mpm
    x0, y0, x1, y1 = ox.min() - reach, oy.min() - reach, ox.max() + reach, oy.max() + reach
    if len(sx):
        near = np.hypot(sx[:, None] - ox[None, :], sy[:, None] - oy[None, :]).min(axis=1)
        board = np.flatnonzero(near <= reach)
        if board.size:
            g = csr_array((rail.w, (rail.u, rail.v)), shape=(rail.n_nodes, rail.n_nodes))
            t = dijkstra(g, directed=False, indices=board, limit=t_max, min_only=True)
            t = t[: len(sx)]
            ok = t < t_max
            m = (t_max - t[ok]) * v_mpm
            x0, y0 = min(x0, (sx[ok] - m).min(initial=x0)), min(y0, (sy[ok] - m).min(initial=y0))
            x1, y1 = max(x1, (sx[ok] + m).max(initial=x1)), max(y1, (sy[ok] + m).max(initial=y1))
    return (x0, y0, x1, y1)


@dataclass
class _Burned:
    """Ordinary roads burned onto the grid: ``rank`` holds, per cell, 1 + the index into
    ``speeds`` (km/h) of the road burned there, 0 off road (2 bytes a cell where a float
    grid of speeds would take 8: the grid spans everything reachable, the search a window
    of it)."""

    rank: np.ndarray
    speeds: np.ndarray

    def window(self, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
        """Road speeds (km/h) of the window's cells, NaN off road."""
        rank = self.rank[r0:r1, c0:c1]
        out = np.full(rank.shape, np.nan)
        on = rank > 0
        out[on] = self.speeds[rank[on] - 1]
        return out


def _roads(gdf, kmh, grid: Grid, settings: Settings, edges: EdgeList) -> _Burned:
    """Burn ordinary roads (fastest wins); add expressways as a linked graph."""
    rank = np.zeros((grid.height, grid.width), np.uint16)
    if gdf is None:
        return _Burned(rank, np.zeros(0))
    limited_cls = set(settings["raster.limited_access_classes"])
    cls = gdf["highway"].astype("string").str.lower() if "highway" in gdf.columns else None
    limited = (
        cls.isin(limited_cls).to_numpy(dtype=bool) if cls is not None else np.zeros(len(gdf), bool)
    )
    geoms = gdf.geometry.to_crs(grid.plane).values
    order = np.argsort(kmh[~limited], kind="stable")  # later shapes overwrite: fastest wins
    speeds = np.unique(kmh[~limited])
    ranks = np.searchsorted(speeds, kmh[~limited][order]) + 1
    if speeds.size >= 2**16:
        rank = rank.astype(np.uint32)
    shapes_ = list(zip(np.asarray(geoms[~limited])[order], ranks.tolist(), strict=True))
    if shapes_:
        rank = rasterize(
            shapes_,
            out_shape=rank.shape,
            transform=grid.transform,
            fill=0,
            dtype=rank.dtype,
        )
    if limited.any():
        sub = gdf[limited].reset_index(drop=True)
        g = road_graph(sub, settings, grid.plane)
        ids = edges.add_nodes(g.n_nodes)
        f, b = g.fwd, g.bwd
        edges.add(ids[g.node_u[f]], ids[g.node_v[f]], g.minutes[f])
        edges.add(ids[g.node_v[b]], ids[g.node_u[b]], g.minutes[b])
        # interchanges: expressway nodes on an ordinary road's end or on a burned road cell
        xy = np.full((g.n_nodes, 2), np.nan)
        xy[g.node_u], xy[g.node_v] = line_ends(g.geoms)
        cells = grid.cell_of(xy[:, 0], xy[:, 1])
        on_road = np.zeros(g.n_nodes, bool)
        ok = cells >= 0
        on_road[ok] = rank.ravel()[cells[ok]] > 0
        edges.add(ids[on_road], cells[on_road], ZERO, both=True)
    return _Burned(rank, speeds)


def _write_tif(path, times: np.ndarray, grid: Grid, inputs: list) -> None:
    prof = {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": times.shape[0],
        "dtype": "float32",
        "crs": grid.plane,
        "transform": grid.transform,
        "nodata": -1.0,
        "compress": "deflate",
    }
    data = np.where(np.isfinite(times), times, -1.0).astype(np.float32)
    with atomic_output(path, inputs=inputs) as tmp, rasterio.open(tmp, "w", **prof) as dst:
        dst.write(data.reshape(times.shape[0], grid.height, grid.width))
        dst.update_tags(units="minutes", method="suigeo raster engine cost distance")


def _contour(times: np.ndarray, t: float, grid: Grid) -> shapely.Geometry:
    mask = (times <= t).reshape(grid.height, grid.width)
    if not mask.any():
        return shapely.Polygon()
    polys = [
        shapely.geometry.shape(g)
        for g, _ in shapes(
            mask.astype(np.uint8), mask=mask, transform=grid.transform, connectivity=8
        )
    ]
    return shapely.union_all(polys)


WINDOWED = True  # search a window grown from the origins (False: the whole grid; tests)


def flat_kmh(settings: Settings) -> float:
    """Off-path walking on the flat (km/h): Tobler at slope 0 × ``walk.off_path_factor``."""
    return float(tobler_kmh(0.0)) * settings["walk.off_path_factor"]


def _to_window(ids: np.ndarray, grid: Grid, box: tuple[int, int, int, int]) -> np.ndarray:
    """Node ids of the whole grid (cells, then linked nodes) as ids of the window ``box``
    (row0, row1, col0, col1); -1 for a cell outside it."""
    r0, r1, c0, c1 = box
    ww = c1 - c0
    ids = np.asarray(ids, dtype=np.int64)
    row, col = np.divmod(ids, grid.width)
    inside = (row >= r0) & (row < r1) & (col >= c0) & (col < c1)
    cell = np.where(inside, (row - r0) * ww + (col - c0), -1)
    return np.where(ids >= grid.size, ids - grid.size + (r1 - r0) * ww, cell)


def _link_arrays(edges: EdgeList, *, reverse: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The links (rail, expressways) as (u, v, w) arrays, backwards when ``reverse``,
    keeping the cheapest of parallel links (as ``EdgeList.csr`` does, without its row
    pointer over the millions of grid cells)."""
    return edges.cheapest(reverse=reverse)


def _window_links(
    links: tuple[np.ndarray, np.ndarray, np.ndarray],
    n_links: int,
    grid: Grid,
    box: tuple[int, int, int, int],
) -> tuple[csr_array, np.ndarray, np.ndarray]:
    """The links (``_link_arrays``; ``n_links`` nodes) among the window's nodes (window
    numbering), and the links that leave it: their window source node and whole-grid
    target cell."""
    u, v, w = links
    r0, r1, c0, c1 = box
    n_win = (r1 - r0) * (c1 - c0) + n_links - grid.size
    nu, nv = _to_window(u, grid, box), _to_window(v, grid, box)
    keep = (nu >= 0) & (nv >= 0)
    sub = csr_array((w[keep], (nu[keep], nv[keep])), shape=(n_win, n_win))
    leak = (nu >= 0) & (nv < 0)
    return sub, nu[leak], v[leak]


def _side_growth(away: int, t_edge: float, t_max: float) -> int:
    """Cells to move a window side out by when a cell on it was reached: the side is
    ``away`` cells from the origins and first reached at ``t_edge`` minutes, so at the same
    pace the cut-off reaches ``away · t_max / t_edge`` (+ 5 % and 2 cells); doubling when
    that cannot be told (an origin on the side). Always at least one cell."""
    if away <= 0 or t_edge <= 0:
        return max(1, away)
    return max(1, math.ceil(away * t_max / t_edge * 1.05) + 2 - away)


def _windowed_search(
    grid, burned, links, n_links, o_cells, t_max, first_kmh, layers, settings, reverse, nearest
):
    """Dijkstra with a cut-off on a window of the grid, grown until it holds every node
    reached: the window starts at the origins ± ``t_max`` × ``first_kmh`` and a side grows
    (doubling its distance from the origins) while a cell on it is reached, and to take in
    the target cell of a link (rail, expressway) that leaves it from a reached node. A
    shortest path within the cut-off only passes nodes within it, so when no reached node
    touches the window's edge the window's times are the whole grid's (a test checks it).
    Returns the window's grid, its box, the times and the DEM heights with their note."""
    row, col = np.divmod(np.asarray(o_cells, dtype=np.int64), grid.width)
    reach = max(1, math.ceil(t_max * first_kmh * 1000 / 60 / grid.cell))
    box = (
        max(0, int(row.min()) - reach),
        min(grid.height, int(row.max()) + reach + 1),
        max(0, int(col.min()) - reach),
        min(grid.width, int(col.max()) + reach + 1),
    )
    if not WINDOWED:
        box = (0, grid.height, 0, grid.width)
    while True:
        r0, r1, c0, c1 = box
        win = Grid(
            grid.transform @ Affine.translation(c0, r0), c1 - c0, r1 - r0, grid.cell, grid.plane
        )
        heights, dem_note, offroad = layers(win)
        sub, leak_u, leak_v = _window_links(links, n_links, grid, box)
        dist = _search(
            burned.window(r0, r1, c0, c1),
            heights,
            grid.cell,
            settings,
            _to_window(o_cells, grid, box),
            sub.shape[0],
            offroad,
            reverse=reverse,
            links=sub,
            limit=t_max,
            nearest=nearest,
        )
        hit = np.isfinite(dist).any(axis=0)
        cells = hit[: win.size].reshape(win.height, win.width)
        grow = [
            r0 > 0 and cells[0].any(),
            r1 < grid.height and cells[-1].any(),
            c0 > 0 and cells[:, 0].any(),
            c1 < grid.width and cells[:, -1].any(),
        ]
        out = leak_v[hit[leak_u]]
        if not (any(grow) or out.size):
            log.info(
                "raster: searched a window of %d x %d cells (%.1f%% of the grid)",
                win.width,
                win.height,
                100 * win.size / grid.size,
            )
            return win, box, dist, (heights, dem_note)
        first_t = dist[:, : win.size].min(axis=0).reshape(win.height, win.width)
        edges = (first_t[0], first_t[-1], first_t[:, 0], first_t[:, -1])
        away = (
            int(row.min()) - r0,
            r1 - 1 - int(row.max()),
            int(col.min()) - c0,
            c1 - 1 - int(col.max()),
        )
        more = [
            _side_growth(d, float(t.min()), t_max) if g else 0
            for d, t, g in zip(away, edges, grow, strict=True)
        ]
        nr0, nr1, nc0, nc1 = r0 - more[0], r1 + more[1], c0 - more[2], c1 + more[3]
        if out.size:  # take in the link targets and a first reach around them
            t_row, t_col = np.divmod(out, grid.width)
            nr0, nr1 = min(nr0, int(t_row.min()) - reach), max(nr1, int(t_row.max()) + reach + 1)
            nc0, nc1 = min(nc0, int(t_col.min()) - reach), max(nc1, int(t_col.max()) + reach + 1)
        box = (max(0, nr0), min(grid.height, nr1), max(0, nc0), min(grid.width, nc1))


def _hugepage_switch() -> Callable[[bool], bool] | None:
    """numpy's switch for transparent huge pages on its large arrays (numpy ≥ 1.20: in
    ``numpy._core`` since 2.0, ``numpy.core`` before), or None."""
    for name in ("numpy._core.multiarray", "numpy.core.multiarray"):
        with contextlib.suppress(ImportError):
            return getattr(importlib.import_module(name), "_set_madvise_hugepage", None)
    return None  # pragma: no cover


_set_madvise_hugepage = _hugepage_switch()

_PAGES = threading.Lock()
_pages_runs = 0  # raster runs under way (threads)
_pages_before = True


@contextlib.contextmanager
def _small_pages() -> Iterator[None]:
    """numpy's arrays in ordinary pages while the engine runs, as before it afterwards.

    numpy asks the kernel for transparent huge pages (``madvise``) for every array of 4 MB
    or more. Where the kernel's ``transparent_hugepage/defrag`` is ``madvise`` (Debian's
    and Ubuntu's default), a fault in such an array may compact memory first, and a huge
    page is cleared whole. The engine allocates its window's arrays (about ten of 9 MB for
    a 30-minute ring from a road crossing) once per call. On the 2-core benchmark machine
    the first call of a process took 0.43-0.79 s with huge pages and 0.33-0.43 s without;
    a search of a whole 2.25 M-cell grid took the same time either way. The switch is
    numpy's own, the one ``NUMPY_MADVISE_HUGEPAGE=0`` sets; it is process-wide, so it is
    turned off once for overlapping runs in several threads and restored after the last."""
    global _pages_runs, _pages_before
    if _set_madvise_hugepage is None:  # pragma: no cover
        yield
        return
    with _PAGES:
        if _pages_runs == 0:
            _pages_before = bool(_set_madvise_hugepage(False))
        _pages_runs += 1
    try:
        yield
    finally:
        with _PAGES:
            _pages_runs -= 1
            if _pages_runs == 0:
                _set_madvise_hugepage(_pages_before)


@_small_pages()
def raster_rings(
    lon: np.ndarray,
    lat: np.ndarray,
    labels: list[str],
    thresholds: list[float],
    *,
    roads: gpd.GeoDataFrame | str | os.PathLike[str] | None,
    dem: str | os.PathLike[str] | None,
    raster_out: str | os.PathLike[str] | None,
    friction: str | os.PathLike[str] | None = None,
    direction: str,
    rail: RailNet,
    settings: Settings,
    nearest: bool,
) -> EngineOutput:
    """Raster engine: cost distance over a friction grid (roads, Tobler walking, DEM).

    Called by :func:`geo.access.rings` with origins already resolved to CGCS2000 lon/lat;
    ``roads`` is a GeoDataFrame, a path or ``None``. Rail and expressways are links between
    station / interchange cells only. Writes the travel-time GeoTIFF to ``raster_out``.
    """
    plane = plane_crs(lon)
    epsg = plane.to_epsg()
    assert epsg is not None  # the planes of plane_crs are EPSG systems
    ox, oy = crs.transform(lon, lat, src="CGCS2000", dst=epsg)
    sx, sy = crs.transform(
        rail.stations["lon"].to_numpy(), rail.stations["lat"].to_numpy(), src="CGCS2000", dst=epsg
    )
    gdf = None if roads is None else load_roads(roads, settings)
    kmh = None if gdf is None else road_speeds(gdf, settings)
    friction_top, typical = (None, 0.0) if friction is None else _friction_summary(friction)
    vmax = _fastest_kmh(kmh, friction_top, dem is not None, settings)
    bounds = _extent(
        np.asarray(ox),
        np.asarray(oy),
        np.asarray(sx),
        np.asarray(sy),
        rail,
        max(thresholds),
        vmax * 1000 / 60,
    )
    grid, note = _make_grid(
        bounds,
        (float(np.asarray(ox)[0]), float(np.asarray(oy)[0])),
        plane,
        settings,
        _lattice(
            [(p, what) for p, what in ((dem, "DEM"), (friction, "friction raster")) if p],
            plane,
            settings["raster.cell_m"],
        ),
    )
    log.info("raster: grid %d x %d cells of %g m", grid.width, grid.height, grid.cell)
    edges = EdgeList(n=grid.size)  # the grid's cells are nodes 0 .. size - 1
    burned = _roads(gdf, kmh, grid, settings, edges)
    st_nodes = rail.attach(edges)
    st_cells = grid.cell_of(np.asarray(sx), np.asarray(sy))
    ok = st_cells >= 0
    edges.add(st_nodes[ok], st_cells[ok], ZERO, both=True)
    o_cells = grid.cell_of(np.asarray(ox), np.asarray(oy))
    reverse = direction == "to"
    links = _link_arrays(edges, reverse=reverse)
    t_max = max(thresholds)

    def layers(win: Grid) -> tuple[np.ndarray | None, str, np.ndarray | None]:
        heights, dem_note = (None, "") if dem is None else _heights(dem, win)
        offroad = None if friction is None else _friction(friction, win)
        return heights, dem_note, offroad

    first = flat_kmh(settings) if friction is None else typical
    win, box, dist, (heights, dem_note) = _windowed_search(
        grid, burned, links, edges.n, o_cells, t_max, first, layers, settings, reverse, nearest
    )
    if heights is not None:
        outside = np.isnan(heights.ravel()[_to_window(o_cells, grid, box)])
        if outside.any():
            raise InputError(
                f"origin {labels[int(np.flatnonzero(outside)[0])]!r} is outside the DEM "
                "or on a cell without data"
            )
    st_nodes = _to_window(st_nodes, grid, box)
    if raster_out is not None:
        _write_tif(raster_out, dist[:, : win.size], win, [x for x in (dem, friction) if x])
    geoms = [
        [_contour(dist[r, : win.size], t, win) for t in thresholds] for r in range(dist.shape[0])
    ]
    from suigeo.geo.access.sketch import _station_frame

    out_labels = [f"nearest of {len(labels)}: " + "; ".join(labels)] if nearest else labels
    method = (
        f"raster: {grid.cell:g} m grid, 8-neighbour cost distance; "
        + ("roads burned at their speeds, " if roads is not None else "no roads given, ")
        + _offroad_text(friction is not None, heights is not None)
        + ("; rail linked only at station cells" if len(st_nodes) else "; no rail")
        + ("; expressways entered only at interchanges" if roads is not None else "")
        + note
        + dem_note
    )
    keys = (
        ["raster.", "walk."]
        + (["network."] if roads is not None else [])
        + (["rail."] if len(st_nodes) else [])
    )
    return EngineOutput(
        out_labels, geoms, plane, method, keys, _station_frame(out_labels, dist[:, st_nodes], rail)
    )
