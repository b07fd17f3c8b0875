"""The area enclosed by a planar line network, by tracing its faces (vectorised).

Each line joins two nodes. Half-edges leave each node in angular order; following, at each
node, the next half-edge clockwise from the one we came in on traces every face once:
bounded faces counter-clockwise (positive area), the outer face of each connected piece
clockwise (negative area; zero for a tree). The union of all bounded faces of a piece is
the polygon of its outer face's ring, so only the outer rings are assembled (ordered by
pointer jumping, no Python loop over lines) and made valid (``structure``: spikes from
dead ends and bridges collapse away). Lines must be noded (touch only at their ends).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

__all__ = ["LineTable", "enclosed_area", "enclosed_area_of"]


def _rank_in_cycles(nxt: np.ndarray, label: np.ndarray) -> np.ndarray:
    """Position of every element in its cycle of ``nxt``, counted from the cycle's smallest
    element (pointer jumping: O(n log n) numpy work)."""
    n = len(nxt)
    ids = np.arange(n)
    head = np.full(label.max() + 1, n, dtype=np.int64)
    np.minimum.at(head, label, ids)
    is_head = head[label] == ids
    # cut each cycle just before its head: the element pointing to the head becomes terminal
    last = is_head[nxt]
    jump = np.where(last, ids, nxt)
    dist = np.where(last, 0, 1).astype(np.int64)
    for _ in range(int(np.ceil(np.log2(max(n, 2)))) + 1):
        dist = dist + dist[jump]
        jump = jump[jump]
    length = np.bincount(label, minlength=label.max() + 1)
    return length[label] - 1 - dist


@dataclass
class LineTable:
    """Per-line facts that do not change between rings: all vertices, each line's first
    and last vertex index, the angles leaving its two ends, its shoelace sum."""

    coords: np.ndarray
    start: np.ndarray
    end: np.ndarray
    angle: np.ndarray  # (k, 2): leaving the start, leaving the end
    shoelace: np.ndarray

    @classmethod
    def of(cls, geoms: np.ndarray) -> LineTable:
        k = len(geoms)
        coords, idx = shapely.get_coordinates(geoms, return_index=True)
        start = np.searchsorted(idx, np.arange(k))
        end = np.append(start[1:], len(coords)) - 1
        d0 = coords[start + 1] - coords[start]
        d1 = coords[end - 1] - coords[end]
        angle = np.column_stack([np.arctan2(d0[:, 1], d0[:, 0]), np.arctan2(d1[:, 1], d1[:, 0])])
        same = np.append(idx[1:] == idx[:-1], False)
        nxt = np.roll(coords, -1, axis=0)
        cross = np.where(same, coords[:, 0] * nxt[:, 1] - nxt[:, 0] * coords[:, 1], 0.0)
        return cls(coords, start, end, angle, np.bincount(idx, weights=cross, minlength=k))


def enclosed_area(geoms: np.ndarray, node_u: np.ndarray, node_v: np.ndarray) -> tuple:
    """(area polygon, mask of lines bordering no enclosed area) for noded lines whose ends
    are the nodes ``node_u``/``node_v``."""
    if len(geoms) == 0:
        return shapely.Polygon(), np.zeros(0, bool)
    return enclosed_area_of(LineTable.of(geoms), np.arange(len(geoms)), node_u, node_v)


def enclosed_area_of(
    table: LineTable, lines: np.ndarray, node_u: np.ndarray, node_v: np.ndarray
) -> tuple:
    """:func:`enclosed_area` of the subset ``lines`` of a precomputed :class:`LineTable`
    (``node_u``/``node_v`` given for that subset)."""
    k = len(lines)
    if k == 0:
        return shapely.Polygon(), np.zeros(0, bool)
    coords = table.coords
    start, end = table.start[lines], table.end[lines]
    # half-edge 2i runs u -> v along the line, 2i+1 back
    origin = np.empty(2 * k, dtype=np.int64)
    origin[0::2], origin[1::2] = node_u, node_v
    angle = table.angle[lines].ravel()
    # one float key (node, then angle in [0, 7)) sorts faster than a two-key lexsort
    order = np.argsort(origin * 8.0 + (angle + np.pi), kind="stable")
    pos = np.empty(2 * k, dtype=np.int64)
    pos[order] = np.arange(2 * k)
    o_sorted = origin[order]
    brk = np.flatnonzero(o_sorted[1:] != o_sorted[:-1]) + 1
    grp = np.zeros(2 * k, dtype=np.int64)
    grp[brk] = 1
    grp = np.cumsum(grp)
    g_first = np.concatenate([[0], brk])
    g_last = np.append(brk, 2 * k) - 1
    first, last = g_first[grp], g_last[grp]
    twin = np.arange(2 * k) ^ 1
    p = pos[twin]  # the way back, at the head node
    prev = np.where(p > first[p], p - 1, last[p])  # next clockwise from it
    nxt = order[prev]
    n_faces, label = connected_components(
        csr_array((np.ones(2 * k), (np.arange(2 * k), nxt)), shape=(2 * k, 2 * k)),
        directed=True,
        connection="weak",
    )
    # shoelace per line, signed by the half-edge's direction
    s_line = table.shoelace[lines]
    s_half = np.empty(2 * k)
    s_half[0::2], s_half[1::2] = s_line, -s_line
    area = 0.5 * np.bincount(label, weights=s_half, minlength=n_faces)
    bounded = area > 1e-9
    in_bounded = bounded[label]
    loose = ~(in_bounded[0::2] | in_bounded[1::2])
    outer = area < -1e-9
    sel = np.flatnonzero(outer[label])
    if sel.size == 0:
        return shapely.Polygon(), loose
    # order the half-edges of each outer face, then lay out their vertices
    remap = np.full(2 * k, -1, dtype=np.int64)
    remap[sel] = np.arange(sel.size)
    _, face = np.unique(label[sel], return_inverse=True)
    rank = _rank_in_cycles(remap[nxt[sel]], face)
    seq = sel[np.lexsort((rank, face))]
    f_seq = face[np.lexsort((rank, face))]
    line = seq // 2
    fwd = seq % 2 == 0
    count = end[line] - start[line]  # vertices per half-edge, its last one left out
    off = np.repeat(np.cumsum(count) - count, count)
    step = np.arange(count.sum()) - off
    vert = np.where(
        np.repeat(fwd, count),
        np.repeat(start[line], count) + step,
        np.repeat(end[line], count) - step,
    )
    rings = shapely.linearrings(coords[vert], indices=np.repeat(f_seq, count))
    polys = shapely.make_valid(shapely.polygons(rings), method="structure", keep_collapsed=False)
    return shapely.union_all(polys), loose
