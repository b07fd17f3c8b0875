"""Dijkstra on an 8-neighbour grid, compiled (numba), with each move's cost worked out when
the search reaches it: no move graph is stored.

The costs are those of :func:`suigeo.geo.access.raster.grid_csr`, operation for operation
(a move a → b of length d costs ``d/2 · (1/v_a + 1/v_b)`` minutes with speeds in km/h ×
0.06; on a DEM both speeds carry Tobler's factor of the move's slope), so the times are
those of scipy's Dijkstra on that graph: the same bits, except that ``math.exp`` (the C
library's, here) and numpy's vectorised ``exp`` may differ in the last bit of a move's
slope factor. Extra edges (rail, expressways: "links") come as a CSR over the nodes, grid
cells first; nodes past the grid hold only links. A binary heap with one entry per node
(decrease-key) holds the frontier; nothing beyond ``limit`` minutes is queued, so the
search stops at the cut-off.

The compiled code is cached on disk (``cache=True``): the first run on a machine compiles it
(about 1.2 s with numba's import), later processes load numba and it (0.35-0.55 s: numba's
import, then the first call installs all of numba's typing and lowering registries). The
raster engine starts that load ahead, in a background thread (:func:`warm_up`), as soon as
it knows a window will need this search.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["grid_search", "warm_up"]

_DR = np.array([-1, -1, -1, 0, 0, 1, 1, 1], dtype=np.int64)
_DC = np.array([-1, 0, 1, -1, 1, -1, 0, 1], dtype=np.int64)


@njit(cache=True, error_model="numpy", nogil=True)
def _dijkstra(  # noqa: C901 - one loop: helpers taking arrays would cost reference counts
    dist, keys, heap, pos, sources, limit, h, w, inv, spd, base, hgt, flat, step, half,
    reverse, lp, li, lw,
):  # pragma: no cover - compiled  # fmt: skip
    """Times (minutes) into ``dist`` (all inf on entry; grid cells then linked nodes) from
    the nearest of ``sources``. Without heights (``hgt`` empty) a move a → b costs
    ``(inv[a] + inv[b]) · half`` (``inv``: minutes per metre of each cell); with heights
    its two ends' speeds (``spd``: a road's, NaN off road; ``base``: off-road speed on the
    flat) carry Tobler's factor of the move's slope, in grid_csr's order of operations. A
    move off the grid or with a non-finite cost is not made. ``lp``/``li``/``lw``: the
    links as CSR (empty: none).

    The frontier is a binary heap with one entry per node (``keys``, ``heap``: its times
    and nodes; ``pos``: a node's place in it, -1 once settled, read only where ``dist`` is
    finite; each as long as ``dist``, uninitialised: only the entries used are touched)."""
    n = h * w
    size = 0
    dem = hgt.size > 0
    for s in sources:
        if dist[s] > 0.0:
            dist[s] = 0.0
            keys[size] = 0.0  # all keys 0 so far: no sifting
            heap[size] = s
            pos[s] = size
            size += 1
    while size > 0:
        t = keys[0]
        u = heap[0]
        pos[u] = -1
        size -= 1
        if size > 0:  # the last entry sifts down from the root
            key = keys[size]
            node = heap[size]
            i = 0
            while True:
                child = 2 * i + 1
                if child >= size:
                    break
                if child + 1 < size and keys[child + 1] < keys[child]:
                    child += 1
                if keys[child] >= key:
                    break
                keys[i] = keys[child]
                heap[i] = heap[child]
                pos[heap[i]] = i
                i = child
            keys[i] = key
            heap[i] = node
            pos[node] = i
        r = u // w
        c = u - r * w
        for k in range(8 + lp[u + 1] - lp[u] if lp.size else 8):
            if k < 8:  # a move to a neighbouring cell
                if u >= n:  # a linked node past the grid has no moves
                    continue
                rr = r + _DR[k]
                cc = c + _DC[k]
                if rr < 0 or rr >= h or cc < 0 or cc >= w:
                    continue
                v = rr * w + cc
                if dist[v] <= t:  # settled (or as soon): no move can improve it
                    continue
                if not dem:
                    cost = (inv[u] + inv[v]) * half[k]
                else:
                    rise = hgt[u] - hgt[v] if reverse else hgt[v] - hgt[u]
                    if rise != rise:  # a cell without a height: the move is level
                        rise = 0.0
                    rise = rise / step[k]
                    rise = rise + 0.05
                    rise = abs(rise)
                    rise = -3.5 * rise
                    rise = math.exp(rise)
                    rise = 6.0 * rise
                    rise = rise / flat  # Tobler's factor of the slope
                    va = spd[u]  # a road's speed, else off-road speed × the factor
                    if va != va:
                        va = base[u] * rise
                    vb = spd[v]
                    if vb != vb:
                        vb = base[v] * rise
                    cost = (1.0 / va + 1.0 / vb) * half[k] * 0.06
            else:  # a link
                e = lp[u] + k - 8
                v = li[e]
                cost = lw[e]
            tv = t + cost
            if not (tv <= limit and tv < dist[v]):  # (also when the move is impassable)
                continue
            if dist[v] == np.inf:  # first reached: a new entry at the bottom
                i = size
                size += 1
            else:  # queued: its entry moves up from where it is
                i = pos[v]
            dist[v] = tv
            while i > 0:
                parent = (i - 1) >> 1
                if keys[parent] <= tv:
                    break
                keys[i] = keys[parent]
                heap[i] = heap[parent]
                pos[heap[i]] = i
                i = parent
            keys[i] = tv
            heap[i] = v
            pos[v] = i


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
    h, w = cells[0].shape
    empty = np.empty(0)
    if len(cells) == 1:
        inv, spd, base, hgt = np.ascontiguousarray(cells[0]).ravel(), empty, empty, empty
    else:
        inv = empty
        spd, base, hgt = (np.ascontiguousarray(a, dtype=np.float64).ravel() for a in cells)
    step = np.array([cell * math.hypot(dr, dc) for dr, dc in zip(_DR, _DC, strict=True)])
    half = np.array([d / 2 for d in step])
    if links is None or not len(links[1]):
        lp, li, lw = np.empty(0, np.int32), np.empty(0, np.int64), empty
    else:
        small = n_total < 2**31 - 1 and len(links[1]) < 2**31 - 1
        lp = np.asarray(links[0], dtype=np.int32 if small else np.int64)
        li = np.asarray(links[1], dtype=np.int64)
        lw = np.asarray(links[2], dtype=np.float64)
    src = np.asarray(sources, dtype=np.int64)
    groups = [src] if nearest else [src[i : i + 1] for i in range(src.size)]
    out = np.full((len(groups), n_total), np.inf)
    itype = np.int32 if n_total < 2**31 - 1 else np.int64
    keys, heap, pos = np.empty(n_total), np.empty(n_total, itype), np.empty(n_total, itype)
    for row, group in zip(out, groups, strict=True):
        _dijkstra(
            row, keys, heap, pos, group, float(limit), h, w, inv, spd, base, hgt, flat, step,
            half, reverse, lp, li, lw,
        )  # fmt: skip
    return out


def warm_up() -> None:
    """Load the compiled search's machine code (from numba's cache; compiled on the first
    run on a machine) by searching a 2 × 2 grid with the argument types of the engine's
    calls: what :mod:`suigeo.geo.access.raster` runs in a background thread ahead of a
    large window, so that numba's load overlaps the DEM read."""
    one = np.ones((2, 2))
    grid_search((one,), 1.0, 1.0, np.zeros(1, np.int64), n_total=4)
