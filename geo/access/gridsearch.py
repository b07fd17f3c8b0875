"""Dijkstra on an 8-neighbour grid, compiled, with each move's cost worked out when the
search reaches it: no move graph is stored.

The loop is a C extension (``_gridsearch.pyx``, Cython, built by ``setup.py`` when suigeo
is installed): importing it takes milliseconds, and it runs without Python's lock. Its
costs are those of :func:`suigeo.geo.access.raster.grid_csr`, operation for operation, so
the times are those of scipy's Dijkstra on that graph (the same bits, except that the C
library's ``exp`` and numpy's may differ in the last bit of a move's slope factor). Where
the extension was not built (no C compiler at install), :data:`COMPILED` is false and the
raster engine uses scipy's Dijkstra on the written-out graph instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

_dijkstra: Callable[..., None] | None
try:
    from suigeo.geo.access._gridsearch import dijkstra as _dijkstra
except ImportError:  # built without a C compiler: see COMPILED
    _dijkstra = None

__all__ = ["COMPILED", "grid_search"]

#: Whether the compiled search was built when suigeo was installed.
COMPILED: bool = _dijkstra is not None

_DR = (-1, -1, -1, 0, 0, 1, 1, 1)
_DC = (-1, 0, 1, -1, 1, -1, 0, 1)


def grid_search(
    cells: tuple[np.ndarray, ...],
    cell: float,
    flat: float,
    sources: np.ndarray,
    *,
    n_total: int,
    limit: float = math.inf,
    nearest: bool = False,
    reverse: bool = False,
    links: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Minutes from each of ``sources`` (one row each) or from the nearest (one row) to
    every node: the grid's cells (row-major), then ``n_total`` − cells linked nodes; inf
    beyond ``limit``.

    ``cells``: ``(inv,)`` — minutes per metre of each cell (h × w; inf impassable) — for a
    grid without heights, or ``(spd, base, heights)`` (h × w each: a road's speed, NaN off
    road; the off-road speed on the flat; the height, NaN where unknown) with a DEM, whose
    slopes scale off-road speeds by Tobler's factor ``6·exp(−3.5·|S + 0.05|) / flat``.
    ``reverse``: each cell's times *to* the sources (moves taken backwards; ``links``
    given backwards too). ``links``: CSR ``(indptr, indices, minutes)`` over the
    ``n_total`` nodes.
    """
    if _dijkstra is None:
        raise RuntimeError(
            "suigeo's compiled grid search was not built when it was installed (no C "
            "compiler?): reinstall with one, or use the scipy search (raster engine)"
        )
    h, w = cells[0].shape
    empty = np.empty(0)
    if len(cells) == 1:
        inv = np.ascontiguousarray(cells[0], dtype=np.float64).ravel()
        spd, base, hgt = empty, empty, empty
    else:
        inv = empty
        spd, base, hgt = (np.ascontiguousarray(a, dtype=np.float64).ravel() for a in cells)
    step = np.array([cell * math.hypot(dr, dc) for dr, dc in zip(_DR, _DC, strict=True)])
    half = np.array([d / 2 for d in step])
    # the links' row pointers carry the search's index type (the heap's and the positions':
    # int32 halves their memory when every node and link entry fits)
    small = n_total < 2**31 - 1 and (links is None or len(links[1]) < 2**31 - 1)
    itype = np.int32 if small else np.int64
    if links is None or not len(links[1]):
        lp, li, lw = np.empty(0, itype), np.empty(0, np.int64), empty
    else:
        lp = np.ascontiguousarray(links[0], dtype=itype)
        li = np.ascontiguousarray(links[1], dtype=np.int64)
        lw = np.ascontiguousarray(links[2], dtype=np.float64)
    src = np.ascontiguousarray(sources, dtype=np.int64)
    # the compiled loop does not check its indices: a bad one is refused here
    if src.size and (src.min() < 0 or src.max() >= n_total):
        raise ValueError(f"a source outside the {n_total} nodes of the grid search")
    if len(li) and (len(lp) != n_total + 1 or li.min() < 0 or li.max() >= n_total):
        raise ValueError(f"links that are not a CSR over the {n_total} nodes")
    if h * w > n_total:
        raise ValueError(f"a grid of {h} × {w} cells with only {n_total} nodes")
    groups = [src] if nearest else [src[i : i + 1] for i in range(src.size)]
    out = np.full((len(groups), n_total), np.inf)
    for row, group in zip(out, groups, strict=True):
        _dijkstra(
            row, group, float(limit), h, w, inv, spd, base, hgt, flat, step, half,
            bool(reverse), lp, li, lw,
        )  # fmt: skip
    return out
