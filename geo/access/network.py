"""Network engine: the user's road lines joined to the rail graph at stations.

Origins and stations are attached to the nearest point of the nearest road (farther than
``network.snap_max_m`` is outside the data) by a straight walk at ``walk.flat_kmh``; that
road is split there. Travel times by scipy's Dijkstra with the largest threshold as the
cut-off. The ring for ``T`` is made of every road stretch reachable within ``T`` — whole
edges, and the reachable part of each edge at the cut-off — widened by
``network.buffer_m``, with the holes enclosed by reached roads filled (a block is reached
by walking in from its streets). No convex hulls.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

from suigeo import crs
from suigeo.errors import InputError
from suigeo.geo.access.faces import LineTable, enclosed_area, enclosed_area_of
from suigeo.geo.access.graph import EdgeList, shortest_times
from suigeo.geo.access.plane import plane_crs
from suigeo.geo.access.rail import RailNet
from suigeo.geo.access.result import EngineOutput
from suigeo.geo.access.roads import RoadGraph, head_substring, load_roads, road_graph
from suigeo.geo.access.settings import Settings

__all__ = [
    "NetworkGraph",
    "build_network",
    "fill_holes",
    "network_rings",
    "reached_lines",
    "ring_polygon",
]

log = logging.getLogger(__name__)


@dataclass
class NetworkGraph:
    """The joined graph and, for the ring, every directed stretch with its geometry:
    ``tail -> head`` costing ``minutes`` along ``geoms[gid]`` (reversed when ``rev``)."""

    edges: EdgeList
    tail: np.ndarray
    head: np.ndarray
    minutes: np.ndarray
    gid: np.ndarray
    rev: np.ndarray
    geoms: np.ndarray
    parent: np.ndarray  # per geometry: the road line it lies on (-1 for connectors)
    pa: np.ndarray  # position on the parent line = pa + pb × position on the geometry
    pb: np.ndarray
    points: np.ndarray  # node ids of the attached origins
    stations: np.ndarray  # node ids of the station ground nodes
    road: RoadGraph
    component_of_point: np.ndarray
    component_size: np.ndarray
    _csr: dict = field(default_factory=dict)  # cached CSR matrices and line table

    def line_table(self) -> LineTable:
        """Vertices, shoelace sums and faces of the road lines, computed once."""
        if "lines" not in self._csr:
            self._csr["lines"] = LineTable.of(self.road.geoms, self.road.node_u, self.road.node_v)
        return self._csr["lines"]

    def graph(self, *, reverse: bool = False) -> csr_array:
        """The CSR matrix of the joined graph (reversed for "to"), built once."""
        if reverse not in self._csr:
            self._csr[reverse] = self.edges.csr(reverse=reverse)
        return self._csr[reverse]


def _directed(road: RoadGraph) -> tuple[np.ndarray, ...]:
    n = len(road.geoms)
    gid = np.arange(n)
    f, b = road.fwd, road.bwd
    tail = np.concatenate([road.node_u[f], road.node_v[b]])
    head = np.concatenate([road.node_v[f], road.node_u[b]])
    mins = np.concatenate([road.minutes[f], road.minutes[b]])
    g = np.concatenate([gid[f], gid[b]])
    rev = np.concatenate([np.zeros(f.sum(), bool), np.ones(b.sum(), bool)])
    return tail, head, mins, g, rev


def _attach(road: RoadGraph, xy: np.ndarray, snap_max: float, what: list[str] | None):
    """Nearest road of each point: (line index, fraction along it, distance). Points
    farther than ``snap_max`` get line -1 (or an error naming them when ``what``)."""
    tree = shapely.STRtree(road.geoms)
    pts = shapely.points(xy)
    (pi, li), dist = tree.query_nearest(
        pts, max_distance=snap_max, return_distance=True, all_matches=False
    )
    line = np.full(len(xy), -1, dtype=np.int64)
    d = np.full(len(xy), np.inf)
    line[pi], d[pi] = li, dist
    if what is not None and (line < 0).any():
        i = int(np.flatnonzero(line < 0)[0])
        raise InputError(
            f"{what[i]!r} is outside the road data: no road within "
            f"{snap_max:g} m (network.snap_max_m)"
        )
    ok = line >= 0
    frac = np.zeros(len(xy))
    frac[ok] = shapely.line_locate_point(road.geoms[line[ok]], pts[ok], normalized=True)
    return line, frac, d


def build_network(
    lon: np.ndarray,
    lat: np.ndarray,
    labels: list[str],
    roads: gpd.GeoDataFrame | str | os.PathLike[str],
    rail: RailNet,
    settings: Settings,
    *,
    must_attach: int | None = None,
) -> NetworkGraph:
    """Road graph + rail + the points (lon, lat) attached to their nearest roads. The first
    ``must_attach`` points (default all) must lie within ``network.snap_max_m`` of a road;
    the others may not (they stay unreached)."""
    plane = plane_crs(lon)
    must = len(lon) if must_attach is None else must_attach
    road = road_graph(load_roads(roads, settings), settings, plane)
    log.info("network: %d road line(s), %d node(s)", len(road.geoms), road.n_nodes)
    edges = EdgeList()
    edges.add_nodes(road.n_nodes)
    tail, head, mins, gid, rev = _directed(road)
    edges.add(tail, head, mins)
    comp_n, comp = connected_components(edges.csr(), directed=True, connection="weak")
    comp_size = np.bincount(comp, minlength=comp_n)
    st_nodes = rail.attach(edges)
    pts_nodes = edges.add_nodes(len(lon))
    epsg = plane.to_epsg()
    assert epsg is not None  # the planes of plane_crs are EPSG systems
    ox, oy = crs.transform(lon, lat, src="CGCS2000", dst=epsg)
    sx, sy = crs.transform(
        rail.stations["lon"].to_numpy(),
        rail.stations["lat"].to_numpy(),
        src="CGCS2000",
        dst=epsg,
    )
    xy = np.concatenate([np.column_stack([ox, oy]), np.column_stack([sx, sy])])
    nodes = np.concatenate([pts_nodes, st_nodes])
    snap = settings["network.snap_max_m"]
    line, frac, dist = _attach(road, xy, snap, None)
    if (line[:must] < 0).any():
        _attach(road, xy[:must], snap, labels[:must])  # raises, naming the point
    own = line[: len(lon)]
    point_comp = np.where(own >= 0, comp[road.node_u[np.maximum(own, 0)]], -1)
    ok = line >= 0
    nodes, line, frac, dist, xy = nodes[ok], line[ok], frac[ok], dist[ok], xy[ok]
    k = len(nodes)
    on_road = edges.add_nodes(k)  # the foot of each point on its road
    length = shapely.length(road.geoms[line])
    walk = settings["walk.flat_kmh"] * 1000.0 / 60.0
    conn_min = dist / walk
    # pieces: foot -> v along the line (forward), foot -> u (against it)
    geoms = [road.geoms]
    to_v = head_substring(shapely.reverse(road.geoms[line]), (1 - frac) * length)
    to_u = head_substring(road.geoms[line], frac * length)
    conn = shapely.linestrings(
        np.stack(
            [
                xy,
                shapely.get_coordinates(
                    shapely.line_interpolate_point(road.geoms[line], frac, normalized=True)
                ),
            ],
            axis=1,
        )
    )
    base = len(road.geoms)
    piece_v = base + np.arange(k)  # geometry runs v -> foot
    piece_u = base + k + np.arange(k)  # geometry runs u -> foot
    piece_c = base + 2 * k + np.arange(k)  # point -> foot
    geoms += [to_v, to_u, conn]
    parent = np.concatenate([np.arange(base), line, line, np.full(k, -1)])
    pa = np.concatenate([np.zeros(base), np.ones(k), np.zeros(k), np.zeros(k)])
    pb = np.concatenate([np.ones(base), -(1 - frac), frac, np.ones(k)])
    t_v, t_u = (1 - frac) * road.minutes[line], frac * road.minutes[line]
    f, b = road.fwd[line], road.bwd[line]
    u, v = road.node_u[line], road.node_v[line]
    parts = [
        # (mask, tail, head, minutes, geometry id, reversed)
        (f, on_road, v, t_v, piece_v, np.ones(k, bool)),
        (f, u, on_road, t_u, piece_u, np.zeros(k, bool)),
        (b, on_road, u, t_u, piece_u, np.ones(k, bool)),
        (b, v, on_road, t_v, piece_v, np.zeros(k, bool)),
        (np.ones(k, bool), nodes, on_road, conn_min, piece_c, np.zeros(k, bool)),
        (np.ones(k, bool), on_road, nodes, conn_min, piece_c, np.ones(k, bool)),
    ]
    # a foot on a line end is that node, whatever the one-way rule of the line
    tol = settings["network.endpoint_tolerance_m"]
    at_u, at_v = frac * length <= tol, (1 - frac) * length <= tol
    edges.add(on_road[at_u], u[at_u], 0.0, both=True)
    edges.add(on_road[at_v], v[at_v], 0.0, both=True)
    tails, heads, minutes, gids, revs = [tail], [head], [mins], [gid], [rev]
    for m, a, z, t, g, r in parts:
        edges.add(a[m], z[m], t[m])
        tails.append(a[m])
        heads.append(z[m])
        minutes.append(t[m])
        gids.append(g[m])
        revs.append(r[m])
    return NetworkGraph(
        edges,
        np.concatenate(tails),
        np.concatenate(heads),
        np.concatenate(minutes),
        np.concatenate(gids),
        np.concatenate(revs),
        np.concatenate(geoms),
        parent,
        pa,
        pb,
        pts_nodes,
        st_nodes,
        road,
        point_comp,
        comp_size,
    )


def _substring(geoms: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Part of each line between normalised positions ``start`` < ``end``."""
    length = shapely.length(geoms)
    head = head_substring(geoms, end * length)
    return shapely.reverse(head_substring(shapely.reverse(head), (end - start) * length))


def _merge_intervals(gid: np.ndarray, s: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, ...]:
    """Union of intervals [s, e] ⊂ [0, 1] per ``gid`` (vectorised)."""
    if gid.size == 0:
        return gid, s, e, gid
    order = np.lexsort((s, gid))
    gid, s, e = gid[order], s[order] + 4.0 * gid[order], e[order] + 4.0 * gid[order]
    run = np.maximum.accumulate(e)
    new = np.ones(len(s), dtype=bool)
    new[1:] = s[1:] > run[:-1] + 1e-6  # a gap under a millionth of the line is none
    grp = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(s)) - 1
    g = gid[starts]
    return g, s[starts] - 4.0 * g, run[ends] - 4.0 * g, grp


def reached_lines(
    net: NetworkGraph, dist: np.ndarray, t: float, direction: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What is reachable within ``t`` minutes: the road lines reached whole (indices), the
    reached parts of the others (each line's reached intervals merged; partial at the
    cut-off) and the reached walking connectors of the attached points (geometries).

    A road line is reached from its start node over ``[0, a]`` and from its end node over
    ``[1 - b, 1]`` (fractions of its length, where its one-way rule lets one travel that
    way); only the few lines split by an attached point have more intervals to merge."""
    road = net.road
    n_road = len(road.geoms)
    from_u, from_v = (road.fwd, road.bwd) if direction == "from" else (road.bwd, road.fwd)
    hit = dist[: road.n_nodes] < t
    near = np.flatnonzero(hit[road.node_u] | hit[road.node_v])  # lines with a reached end
    m = np.maximum(road.minutes[near], 1e-12)
    du, dv = dist[road.node_u[near]], dist[road.node_v[near]]
    an = np.where(from_u[near], np.clip((t - du) / m, 0.0, 1.0), 0.0)
    bn = np.where(from_v[near], np.clip((t - dv) / m, 0.0, 1.0), 0.0)
    # the stretches on pieces of lines split by attached points, and the connectors
    first = np.count_nonzero(road.fwd) + np.count_nonzero(road.bwd)
    tail, rev = net.tail[first:], net.rev[first:]
    if direction == "to":  # reached from the head end: walk the stretch backwards
        tail, rev = net.head[first:], ~rev
    start = dist[tail]
    ok = start < t
    gid, r, mins = net.gid[first:][ok], rev[ok], net.minutes[first:][ok]
    frac = np.clip((t - start[ok]) / np.maximum(mins, 1e-12), 0.0, 1.0)
    keep = frac > 0
    gid, r, frac = gid[keep], r[keep], frac[keep]
    q0 = np.where(r, 1.0 - frac, 0.0)
    q1 = np.where(r, 1.0, frac)
    conn = net.parent[gid] < 0
    c_geoms = net.geoms[np.unique(gid[conn][frac[conn] >= 1.0])]
    c_part = conn & (frac < 1.0)
    c_geoms = np.concatenate([c_geoms, _substring(net.geoms[gid[c_part]], q0[c_part], q1[c_part])])
    on = ~conn
    par = net.parent[gid[on]]
    pa, pb = net.pa[gid[on]], net.pb[gid[on]]
    p0, p1 = pa + pb * q0[on], pa + pb * q1[on]
    split = np.zeros(n_road, dtype=bool)
    split[par] = True
    cut = split[near]
    sa, sb = near[cut & (an > 0)], near[cut & (bn > 0)]
    a_sa, b_sb = an[cut & (an > 0)], bn[cut & (bn > 0)]
    near, an, bn = near[~cut], an[~cut], bn[~cut]  # lines without pieces: [0, a] ∪ [1 - b, 1]
    whole = (an >= 1 - 1e-6) | (bn >= 1 - 1e-6) | ((an > 0) & (bn > 0) & (1 - bn <= an + 1e-6))
    ma, mb = ~whole & (an > 1e-9), ~whole & (bn > 1e-9)
    # lines with pieces: every interval merged
    g, lo, hi, _ = _merge_intervals(
        np.concatenate([sa, sb, par]),
        np.concatenate([np.zeros(sa.size), 1 - b_sb, np.clip(np.minimum(p0, p1), 0, 1)]),
        np.concatenate([a_sa, np.ones(sb.size), np.clip(np.maximum(p0, p1), 0, 1)]),
    )
    full = (lo <= 1e-6) & (hi >= 1 - 1e-6)
    part = ~full & (hi - lo > 1e-9)
    full_ids = np.concatenate([near[whole], g[full]])
    partial = _substring(
        net.geoms[np.concatenate([near[ma], near[mb], g[part]])],
        np.concatenate([np.zeros(ma.sum()), 1 - bn[mb], lo[part]]),
        np.concatenate([an[ma], np.ones(mb.sum()), hi[part]]),
    )
    return full_ids, partial, c_geoms


def fill_holes(geom: shapely.Geometry, max_km2: float) -> shapely.Geometry:
    """Fill holes of up to ``max_km2`` (all when negative)."""
    parts = shapely.get_parts(geom)
    if parts.size == 0:
        return geom
    if max_km2 < 0:
        return shapely.union_all(shapely.polygons(shapely.get_exterior_ring(parts)))
    holes = shapely.get_rings(parts)
    n_rings = shapely.get_num_interior_rings(parts) + 1
    first = np.repeat(np.cumsum(n_rings) - n_rings, n_rings)
    interior = np.arange(len(holes)) != first
    small = interior & (shapely.area(shapely.polygons(holes)) <= max_km2 * 1e6)
    keep = ~small
    shells = shapely.polygons(holes[~interior])
    big = holes[keep & interior]
    if big.size == 0:
        return shapely.union_all(shells)
    return shapely.difference(shapely.union_all(shells), shapely.union_all(shapely.polygons(big)))


def ring_polygon(
    net: NetworkGraph,
    full: np.ndarray,
    partial: np.ndarray,
    connectors: np.ndarray,
    buffer_m: float,
    max_hole_km2: float,
    *,
    whole_table: bool = True,
) -> shapely.Geometry:
    """Reached roads → polygon: the blocks they enclose plus every road and connector
    widened by ``buffer_m``. With ``max_hole_km2`` < 0 every enclosed block is filled (faces
    traced on the road graph, :mod:`geo.access.faces`: from the faces of the whole network,
    traced once, when ``whole_table``; otherwise on the reached lines alone); otherwise
    blocks up to that size (GEOS polygonize)."""
    whole = net.geoms[full]
    if whole.size + partial.size + connectors.size == 0:
        return shapely.Polygon()
    pieces: list[np.ndarray] = []
    if max_hole_km2 < 0:
        if whole_table:
            area, loose = enclosed_area_of(net.line_table(), full)
        else:
            area, loose = enclosed_area(whole, net.road.node_u[full], net.road.node_v[full])
        loose_lines = np.concatenate([whole[loose], partial, connectors])
    else:
        lines = np.concatenate([whole, partial])
        faces, cuts, dangles, invalid = shapely.polygonize_full(lines)
        faces = shapely.get_parts(faces)
        extra = [shapely.get_parts(x) for x in (cuts, dangles, invalid)]
        big = shapely.area(faces) > max_hole_km2 * 1e6
        extra.append(shapely.boundary(faces[big]))
        faces = faces[~big]
        area = shapely.coverage_union_all(faces) if faces.size else shapely.Polygon()
        loose_lines = np.concatenate([*extra, connectors])
    if not shapely.is_empty(area):
        pieces.append(np.array([shapely.buffer(area, buffer_m, quad_segs=4)]))
    if loose_lines.size:
        pieces.append(shapely.buffer(loose_lines, buffer_m, quad_segs=4))
    # a block whose roads are reached but not joined exactly (a gap the buffer closes)
    return fill_holes(shapely.union_all(np.concatenate(pieces)), max_hole_km2)


def rings_from_graph(
    net: NetworkGraph, thresholds: list[float], *, direction: str, settings: Settings, nearest: bool
) -> tuple[list[list[shapely.Geometry]], np.ndarray]:
    """Dijkstra from the attached origins with the largest threshold as cut-off, then one
    ring polygon per origin (or for the nearest) and threshold; also the node times.

    The faces of the whole network are traced (once per network) when they are already
    there or when the rings together reach more lines than the network has; otherwise each
    ring traces its own reached lines."""
    graph = net.graph(reverse=direction == "to")
    dist, _ = shortest_times(graph, net.points, limit=max(thresholds), nearest=nearest)
    buf = settings["network.buffer_m"]
    max_hole = settings["network.fill_holes_max_km2"]
    reached = [[reached_lines(net, d, t, direction) for t in thresholds] for d in dist]
    total = sum(len(r[0]) for per_t in reached for r in per_t)
    whole_table = "lines" in net._csr or total > len(net.road.geoms)
    geoms = [
        [ring_polygon(net, *r, buf, max_hole, whole_table=whole_table) for r in per_t]
        for per_t in reached
    ]
    return geoms, dist


def network_rings(
    lon: np.ndarray,
    lat: np.ndarray,
    labels: list[str],
    thresholds: list[float],
    *,
    roads: gpd.GeoDataFrame | str | os.PathLike[str],
    direction: str,
    rail: RailNet,
    settings: Settings,
    nearest: bool,
) -> EngineOutput:
    """Network engine: rings over the user's road lines joined to rail at stations.

    Called by :func:`geo.access.rings` with origins already resolved to CGCS2000 lon/lat.
    Raises :class:`InputError` when an origin sits on a piece of road cut off from the rest.
    """
    net = build_network(lon, lat, labels, roads, rail, settings)
    total = int(net.component_size.sum())
    for i, c in enumerate(net.component_of_point):
        size = int(net.component_size[c])
        if size < min(100, 0.01 * total) and size < total:
            raise InputError(
                f"origin {labels[i]!r} is on a road piece of {size} node(s) disconnected from "
                f"the rest of the network ({total} nodes): check that lines are split at "
                "junctions and share end points, or move the origin"
            )
    geoms, dist = rings_from_graph(
        net, thresholds, direction=direction, settings=settings, nearest=nearest
    )
    out_labels = [f"nearest of {len(labels)}: " + "; ".join(labels)] if nearest else labels
    from suigeo.geo.access.sketch import _station_frame

    method = (
        f"network: road lines at maxspeed or class speed, one-way respected, reached roads "
        f"(partial at the cut-off) widened {settings['network.buffer_m']:g} m, "
        "enclosed holes filled"
        + (
            "; rail joined at stations with access, egress and transfer times"
            if len(net.stations)
            else "; no rail"
        )
    )
    keys = ["network.", "walk.flat_kmh"] + (["rail."] if len(net.stations) else [])
    return EngineOutput(
        out_labels,
        geoms,
        net.road.plane,
        method,
        keys,
        _station_frame(out_labels, dist[:, net.stations], rail),
    )
