"""A directed graph as edge arrays, compressed to CSR for scipy's Dijkstra."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

__all__ = ["EdgeList", "shortest_times"]

# scipy's csgraph treats an explicitly stored 0 as a missing edge in some code paths;
# zero-cost links get this instead (far below any time we report).
ZERO = 1e-9


@dataclass
class EdgeList:
    """Directed edges ``u -> v`` costing ``w`` minutes, appended in blocks."""

    n: int = 0
    _u: list[np.ndarray] = field(default_factory=list)
    _v: list[np.ndarray] = field(default_factory=list)
    _w: list[np.ndarray] = field(default_factory=list)

    def add_nodes(self, count: int) -> np.ndarray:
        """Reserve ``count`` new node ids and return them."""
        ids = np.arange(self.n, self.n + count, dtype=np.int64)
        self.n += int(count)
        return ids

    def add(self, u: ArrayLike, v: ArrayLike, w: ArrayLike, *, both: bool = False) -> None:
        """Add edges u → v of weight w (arrays or scalars); ``both`` adds v → u too.

        Edges with a non-finite weight are dropped; weights are floored at ``ZERO``.
        """
        ua = np.asarray(u, dtype=np.int64).ravel()
        va = np.asarray(v, dtype=np.int64).ravel()
        wa = np.asarray(w, dtype=float)
        wa = np.broadcast_to(wa.ravel() if wa.ndim else wa, ua.shape).astype(float)
        keep = np.isfinite(wa)
        ua, va, wa = ua[keep], va[keep], np.maximum(wa[keep], ZERO)
        self._u.append(ua)
        self._v.append(va)
        self._w.append(wa)
        if both:
            self._u.append(va)
            self._v.append(ua)
            self._w.append(wa)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All edges as ``(u, v, w)`` arrays."""
        if not self._u:
            e = np.zeros(0, dtype=np.int64)
            return e, e.copy(), np.zeros(0)
        return np.concatenate(self._u), np.concatenate(self._v), np.concatenate(self._w)

    def cheapest(self, *, reverse: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The edges as (u, v, w) arrays sorted by (u, v), backwards when ``reverse``, keeping
        the cheapest of parallel edges."""
        u, v, w = self.arrays()
        if reverse:
            u, v = v, u
        if u.size:
            order = np.lexsort((w, v, u))
            u, v, w = u[order], v[order], w[order]
            first = np.ones(u.size, dtype=bool)
            first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
            u, v, w = u[first], v[first], w[first]
        return u, v, w

    def csr(self, *, reverse: bool = False) -> csr_array:
        """CSR matrix keeping the cheapest of parallel edges (COO would sum them)."""
        u, v, w = self.cheapest(reverse=reverse)
        g = csr_array((w, (u, v)), shape=(self.n, self.n))
        if self.n < 2**31 - 1:  # scipy's csgraph works on int32 indices: cast once, here
            g.indices, g.indptr = g.indices.astype(np.int32), g.indptr.astype(np.int32)
        return g


def shortest_times(
    graph: csr_array,
    sources: np.ndarray,
    *,
    limit: float = np.inf,
    nearest: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Minutes from each source (rows) or from the nearest source (one row, plus the
    index into ``sources`` of the nearest one, -1 where unreached)."""
    sources = np.asarray(sources, dtype=np.int64)
    if nearest:
        dist, _, src = dijkstra(
            graph, indices=sources, limit=limit, min_only=True, return_predecessors=True
        )
        pos = {int(s): i for i, s in enumerate(sources)}
        lookup = np.full(graph.shape[0], -1, dtype=np.int64)
        lookup[list(pos)] = list(pos.values())
        which = np.where(src >= 0, lookup[np.maximum(src, 0)], -1)
        return dist[None, :], which
    dist = dijkstra(graph, indices=sources, limit=limit)
    return np.atleast_2d(dist), None
