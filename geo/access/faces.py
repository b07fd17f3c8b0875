"""The area enclosed by a planar line network, by tracing its faces (vectorised).

Each line joins two nodes. Half-edges leave each node in angular order; following, at each
node, the next half-edge clockwise from the one we came in on traces every face once:
bounded faces counter-clockwise (positive area), the outer face of each connected piece
clockwise (negative area; zero for a tree). The union of all bounded faces of a piece is
the polygon of its outer face's ring, so only the outer rings are assembled (ordered by
pointer jumping, no Python loop over lines) and made valid (``structure``: spikes from
dead ends and bridges collapse away). Lines must be noded (touch only at their ends).

The faces of the whole network are traced once (:class:`LineTable`). For a subset of its
lines (the roads reached within a threshold) a face of the whole network whose boundary is
entirely in the subset is a face of the subset too (its boundary separates it from the
rest of the plane), so only the half-edges of the other faces — the frontier — are traced
again, each following the next clockwise half-edge of the subset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

__all__ = ["LineTable", "enclosed_area", "enclosed_area_of"]

EPS_AREA = 1e-9


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


def _cycles(nxt: np.ndarray) -> tuple[int, np.ndarray]:
    """Cycles of the permutation ``nxt`` (labels), as connected components."""
    n = len(nxt)
    graph = csr_array((np.ones(n), nxt, np.arange(n + 1)), shape=(n, n))
    return connected_components(graph, directed=True, connection="strong")


@dataclass
class LineTable:
    """Per-network facts that do not change between rings: all vertices, each line's first
    and last vertex index, its shoelace sum, and the faces of the whole network. Half-edge
    ``2i`` runs along line ``i`` from its start node, ``2i + 1`` back. ``turn[h]``: the next
    half-edge clockwise from ``h`` around its start node; ``face``/``face_area``/
    ``face_size``: each half-edge's face, each face's signed area and half-edge count."""

    coords: np.ndarray
    start: np.ndarray
    end: np.ndarray
    shoelace: np.ndarray  # per half-edge, signed by its direction
    turn: np.ndarray
    face: np.ndarray
    face_area: np.ndarray
    face_size: np.ndarray

    @classmethod
    def of(cls, geoms: np.ndarray, node_u: np.ndarray, node_v: np.ndarray) -> LineTable:
        """Table of the lines ``geoms`` whose ends are the nodes ``node_u``/``node_v``."""
        k = len(geoms)
        coords, idx = shapely.get_coordinates(geoms, return_index=True)
        start = np.searchsorted(idx, np.arange(k))
        end = np.append(start[1:], len(coords)) - 1
        d0 = coords[start + 1] - coords[start]
        d1 = coords[end - 1] - coords[end]
        same = np.append(idx[1:] == idx[:-1], False)
        nxt = np.roll(coords, -1, axis=0)
        cross = np.where(same, coords[:, 0] * nxt[:, 1] - nxt[:, 0] * coords[:, 1], 0.0)
        s_line = np.bincount(idx, weights=cross, minlength=k)
        shoelace = np.empty(2 * k)
        shoelace[0::2], shoelace[1::2] = s_line, -s_line
        origin = np.empty(2 * k, dtype=np.int64)
        origin[0::2], origin[1::2] = node_u, node_v
        angle = np.empty(2 * k)
        angle[0::2] = np.arctan2(d0[:, 1], d0[:, 0])
        angle[1::2] = np.arctan2(d1[:, 1], d1[:, 0])
        # half-edges sorted by start node, then angle (one float key sorts faster)
        order = np.argsort(origin * 8.0 + (angle + np.pi), kind="stable")
        o_sorted = origin[order]
        group_start = np.flatnonzero(np.r_[True, o_sorted[1:] != o_sorted[:-1]])
        prev = np.arange(2 * k) - 1  # clockwise = one back in counter-clockwise order
        prev[group_start] = np.append(group_start[1:], 2 * k) - 1
        turn = np.empty(2 * k, dtype=np.int64)
        turn[order] = order[prev]
        n_faces, face = _cycles(turn[np.arange(2 * k) ^ 1])
        face_area = 0.5 * np.bincount(face, weights=shoelace, minlength=n_faces)
        face_size = np.bincount(face, minlength=n_faces)
        return cls(coords, start, end, shoelace, turn, face, face_area, face_size)


def enclosed_area(geoms: np.ndarray, node_u: np.ndarray, node_v: np.ndarray) -> tuple:
    """(area polygon, mask of lines bordering no enclosed area) for noded lines whose ends
    are the nodes ``node_u``/``node_v``."""
    if len(geoms) == 0:
        return shapely.Polygon(), np.zeros(0, bool)
    return enclosed_area_of(LineTable.of(geoms, node_u, node_v), np.arange(len(geoms)))


def enclosed_area_of(table: LineTable, lines: np.ndarray) -> tuple:
    """:func:`enclosed_area` of the subset ``lines`` (indices) of the network of a
    :class:`LineTable`."""
    k = len(lines)
    if k == 0:
        return shapely.Polygon(), np.zeros(0, bool)
    n_half = len(table.turn)
    half = np.empty(2 * k, dtype=np.int64)
    half[0::2], half[1::2] = 2 * lines, 2 * lines + 1
    in_sub = np.zeros(n_half, dtype=bool)
    in_sub[half] = True
    # faces of the whole network lying entirely in the subset are faces of the subset
    lab = table.face[half]
    complete = np.bincount(lab, minlength=len(table.face_size)) == table.face_size
    kept = complete[lab] & (table.face_area[lab] > EPS_AREA)  # bounded, nothing to trace
    bounded = kept.copy()
    redo = half[~kept]  # the frontier: next clockwise half-edge of the subset
    nxt = table.turn[redo ^ 1]
    miss = np.flatnonzero(~in_sub[nxt])
    while miss.size:
        nxt[miss] = table.turn[nxt[miss]]
        miss = miss[~in_sub[nxt[miss]]]
    local = np.empty(n_half, dtype=np.int64)
    local[redo] = np.arange(redo.size)
    nxt = local[nxt]
    n_faces, label = _cycles(nxt) if redo.size else (0, np.zeros(0, np.int64))
    area = 0.5 * np.bincount(label, weights=table.shoelace[redo], minlength=n_faces)
    bounded[~kept] = area[label] > EPS_AREA
    loose = ~(bounded[0::2] | bounded[1::2])
    sel = np.flatnonzero(area[label] < -EPS_AREA)
    if sel.size == 0:
        return shapely.Polygon(), loose
    # order the half-edges of each outer face, then lay out their vertices
    remap = np.full(redo.size, -1, dtype=np.int64)
    remap[sel] = np.arange(sel.size)
    _, face = np.unique(label[sel], return_inverse=True)
    rank = _rank_in_cycles(remap[nxt[sel]], face)
    by = np.lexsort((rank, face))
    seq, f_seq = redo[sel[by]], face[by]
    line = seq // 2
    fwd = seq % 2 == 0
    start, end = table.start[line], table.end[line]
    count = end - start  # vertices per half-edge, its last one left out
    off = np.repeat(np.cumsum(count) - count, count)
    step = np.arange(count.sum()) - off
    vert = np.where(
        np.repeat(fwd, count), np.repeat(start, count) + step, np.repeat(end, count) - step
    )
    rings = shapely.linearrings(table.coords[vert], indices=np.repeat(f_seq, count))
    polys = shapely.make_valid(shapely.polygons(rings), method="structure", keep_collapsed=False)
    return shapely.union_all(polys), loose
