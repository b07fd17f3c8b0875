"""Dijkstra on an 8-neighbour grid, compiled (numba), with each move's cost worked out when
the search reaches it: no move graph is stored.

The costs are those of :func:`suigeo.geo.access.raster.grid_csr`, operation for operation
(a move a → b of length d costs ``d/2 · (1/v_a + 1/v_b)`` minutes with speeds in km/h ×
0.06; on a DEM both speeds carry Tobler's factor of the move's slope), so the times are
those of scipy's Dijkstra on that graph: the same bits, except that ``math.exp`` (the C
library's, here) and numpy's vectorised ``exp`` may differ in the last bit of a move's
slope factor. Extra edges (rail, expressways: "links") come as a CSR over the nodes, grid
cells first; nodes past the grid hold only links. A binary heap with lazy deletion holds
the frontier (it stays the size of the ring's edge, not of the grid); nothing beyond
``limit`` minutes is queued, so the search stops at the cut-off.

The compiled code is cached on disk (``cache=True``): the first run on a machine compiles it
(a few seconds), later processes load it.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["grid_search"]

_DR = np.array([-1, -1, -1, 0, 0, 1, 1, 1], dtype=np.int64)
_DC = np.array([-1, 0, 1, -1, 1, -1, 0, 1], dtype=np.int64)


@njit(cache=True, error_model="numpy", nogil=True)
def _push(keys, nodes, size, key, node):  # pragma: no cover - compiled
    """Put (key, node) on the heap of ``size`` entries (room for one more is there)."""
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if keys[parent] <= key:
            break
        keys[i] = keys[parent]
        nodes[i] = nodes[parent]
        i = parent
    keys[i] = key
    nodes[i] = node


@njit(cache=True, error_model="numpy", nogil=True)
def _sift_last(keys, nodes, size):  # pragma: no cover - compiled
    """After the top was taken: the entry at ``size`` (the old last) sifted down from the
    root of a heap of ``size`` entries."""
    key = keys[size]
    node = nodes[size]
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
        nodes[i] = nodes[child]
        i = child
    keys[i] = key
    nodes[i] = node


@njit(cache=True, error_model="numpy", nogil=True)
def _queue(keys, nodes, size, key, node):  # pragma: no cover - compiled
    """Push (key, node), doubling the heap's arrays when full; returns them and the size."""
    if size == keys.size:
        keys = np.concatenate((keys, np.empty(keys.size)))
        nodes = np.concatenate((nodes, np.empty(nodes.size, dtype=np.int64)))
    _push(keys, nodes, size, key, node)
    return keys, nodes, size + 1


@njit(cache=True, error_model="numpy", nogil=True)
def _move(u, v, k, inv, spd, base, hgt, flat, step, half, reverse):  # pragma: no cover
    """Minutes of the move u → v (neighbour ``k``; taken backwards, v → u, when
    ``reverse``), in grid_csr's order of operations; inf or NaN when it cannot be made."""
    if hgt.size == 0:
        return (inv[u] + inv[v]) * half[k]
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
    va = spd[u]  # a road's speed, else the off-road speed × the factor
    if va != va:
        va = base[u] * rise
    vb = spd[v]
    if vb != vb:
        vb = base[v] * rise
    return (1.0 / va + 1.0 / vb) * half[k] * 0.06


@njit(cache=True, error_model="numpy", nogil=True)
def _dijkstra(
    dist, sources, limit, h, w, inv, spd, base, hgt, flat, step, half, reverse, lp, li, lw
):  # pragma: no cover - compiled
    """Times (minutes) into ``dist`` (all inf on entry; grid cells then linked nodes) from
    the nearest of ``sources``. Without heights (``hgt`` empty) a move costs
    ``(inv[a] + inv[b]) · half`` (``inv``: minutes per metre of each cell); with heights
    its two ends' speeds (``spd``: a road's, NaN off road; ``base``: off-road speed on the
    flat) carry Tobler's factor of the move's slope. A move off the grid or with a
    non-finite cost is not made. ``lp``/``li``/``lw``: the links as CSR (empty: none)."""
    n = h * w
    keys = np.empty(4096)
    nodes = np.empty(4096, dtype=np.int64)
    size = 0
    for s in sources:
        if dist[s] > 0.0:
            dist[s] = 0.0
            keys, nodes, size = _queue(keys, nodes, size, 0.0, s)
    while size > 0:
        t = keys[0]
        u = nodes[0]
        size -= 1
        if size > 0:
            _sift_last(keys, nodes, size)
        if t > dist[u]:  # a stale entry: u was reached sooner since
            continue
        r = u // w
        c = u - r * w
        for k in range(8 if u < n else 0):  # a linked node past the grid has no moves
            rr = r + _DR[k]
            cc = c + _DC[k]
            if rr < 0 or rr >= h or cc < 0 or cc >= w:
                continue
            v = rr * w + cc
            tv = t + _move(u, v, k, inv, spd, base, hgt, flat, step, half, reverse)
            if tv <= limit and tv < dist[v]:  # (False for inf or NaN: impassable)
                dist[v] = tv
                keys, nodes, size = _queue(keys, nodes, size, tv, v)
        for e in range(lp[u], lp[u + 1]) if lp.size else range(0):
            v = li[e]
            tv = t + lw[e]
            if tv <= limit and tv < dist[v]:
                dist[v] = tv
                keys, nodes, size = _queue(keys, nodes, size, tv, v)


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
    for row, group in zip(out, groups, strict=True):
        _dijkstra(
            row, group, float(limit), h, w, inv, spd, base, hgt, flat, step, half, reverse,
            lp, li, lw,
        )  # fmt: skip
    return out
