# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False
"""Dijkstra on an 8-neighbour grid, compiled (Cython, built when suigeo is installed), with
each move's cost worked out when the search reaches it: no move graph is stored. The Python
side is :mod:`suigeo.geo.access.gridsearch`; this module is its loop.

The costs are those of :func:`suigeo.geo.access.raster.grid_csr`, operation for operation
(a move a → b of length d costs ``d/2 · (1/v_a + 1/v_b)`` minutes with speeds in km/h ×
0.06; on a DEM both speeds carry Tobler's factor of the move's slope), so the times are
those of scipy's Dijkstra on that graph: the same bits, except that the C library's ``exp``
and numpy's vectorised ``exp`` may differ in the last bit of a move's slope factor (the
module is compiled with ``-ffp-contract=off``: no fused multiply-adds). Extra edges (rail,
expressways: "links") come as a CSR over the nodes, grid cells first; nodes past the grid
hold only links. A binary heap with one entry per node (decrease-key) holds the frontier;
nothing beyond ``limit`` minutes is queued, so the search stops at the cut-off. The search
runs without Python's lock.
"""

from libc.math cimport INFINITY, exp, fabs
from libc.stdint cimport int32_t, int64_t
from libc.stdlib cimport free, malloc

ctypedef fused index_t:
    int32_t
    int64_t

cdef int _DR[8]
cdef int _DC[8]
_DR[:] = [-1, -1, -1, 0, 0, 1, 1, 1]
_DC[:] = [-1, 0, 1, -1, 1, -1, 0, 1]


def dijkstra(
    double[::1] dist,
    const int64_t[::1] sources,
    double limit,
    Py_ssize_t h,
    Py_ssize_t w,
    const double[::1] inv,
    const double[::1] spd,
    const double[::1] base,
    const double[::1] hgt,
    double flat,
    const double[::1] step,
    const double[::1] half,
    bint reverse,
    const index_t[::1] lp,
    const int64_t[::1] li,
    const double[::1] lw,
):
    """Times (minutes) into ``dist`` (all inf on entry; grid cells then linked nodes) from
    the nearest of ``sources``. Without heights (``hgt`` empty) a move a → b costs
    ``(inv[a] + inv[b]) · half`` (``inv``: minutes per metre of each cell); with heights
    its two ends' speeds (``spd``: a road's, NaN off road; ``base``: off-road speed on the
    flat) carry Tobler's factor of the move's slope, in grid_csr's order of operations. A
    move off the grid or with a non-finite cost is not made. ``lp``/``li``/``lw``: the
    links as CSR (empty: none); ``lp``'s type (int32 or int64) is the heap's index type.

    The frontier is a binary heap with one entry per node (``keys``, ``heap``: its times
    and nodes; ``pos``: a node's place in it, -1 once settled, read only where ``dist`` is
    finite; each as long as ``dist``). They are the C library's memory, not numpy's: numpy
    asks the kernel for huge pages on large arrays, and a huge page is cleared whole when
    first touched, while the search touches only the entries of the nodes it reaches (a
    small part of a large window), so with numpy's arrays the first search of a process
    took 0.08-0.3 s instead of 0.08-0.12 s."""
    cdef Py_ssize_t nodes = dist.shape[0]
    cdef double* keys = <double*>malloc(max(nodes, 1) * sizeof(double))
    cdef index_t* heap = <index_t*>malloc(max(nodes, 1) * sizeof(index_t))
    cdef index_t* pos = <index_t*>malloc(max(nodes, 1) * sizeof(index_t))
    if keys == NULL or heap == NULL or pos == NULL:
        free(keys)
        free(heap)
        free(pos)
        raise MemoryError(f"the grid search's heap for {nodes} nodes")
    cdef Py_ssize_t n = h * w
    cdef Py_ssize_t size = 0, i, child, parent, k, moves, e, s_i
    cdef Py_ssize_t u, v, r, c, rr, cc
    cdef bint dem = hgt.shape[0] > 0
    cdef bint linked = lp.shape[0] > 0
    cdef double t, key, cost, tv, rise, va, vb
    cdef index_t node
    try:
        with nogil:
            for s_i in range(sources.shape[0]):
                u = sources[s_i]
                if dist[u] > 0.0:
                    dist[u] = 0.0
                    keys[size] = 0.0  # all keys 0 so far: no sifting
                    heap[size] = <index_t>u
                    pos[u] = <index_t>size
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
                        pos[heap[i]] = <index_t>i
                        i = child
                    keys[i] = key
                    heap[i] = node
                    pos[node] = <index_t>i
                r = u // w
                c = u - r * w
                moves = 8 + (lp[u + 1] - lp[u] if linked else 0)
                for k in range(moves):
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
                            rise = fabs(rise)
                            rise = -3.5 * rise
                            rise = exp(rise)
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
                    if dist[v] == INFINITY:  # first reached: a new entry at the bottom
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
                        pos[heap[i]] = <index_t>i
                        i = parent
                    keys[i] = tv
                    heap[i] = <index_t>v
                    pos[v] = <index_t>i
    finally:
        free(keys)
        free(heap)
        free(pos)
