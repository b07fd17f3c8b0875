"""Coverage: for each target, its nearest facility, the distance or time, covered or not.

``km=`` measures straight-line (geodesic) distance — the "10-li circles" of NORTH8-2023
(every village within 5 km of a culture station). ``minutes=`` measures travel time by the
sketch engine (ground and, unless ``rail=False``, rail) or the network engine (``roads=``)
from each target to its nearest facility. Bounds include the number itself (以内 includes
it, 民法典 第1259条).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import shapely

from suigeo.errors import InputError
from suigeo.geo.access.graph import shortest_times
from suigeo.geo.access.origins import resolve_origins
from suigeo.geo.access.plane import CGCS2000, geodesic_m, plane_crs
from suigeo.geo.access.rings import _rail, scenario_name
from suigeo.geo.access.settings import Settings, resolve_settings
from suigeo.geo.access.sketch import ground_m_per_min, sketch_graph
from suigeo.io.vector import read_vector

__all__ = ["Coverage", "PeopleCovered", "coverage", "read_points"]

log = logging.getLogger(__name__)


class PeopleCovered(NamedTuple):
    """People of a population raster within the coverage bound: ``covered`` of ``total``
    (every populated cell of the raster), ``share`` = covered ÷ total, and the rule."""

    total: float
    covered: float
    share: float
    rule: str


class Coverage(NamedTuple):
    """``table``: one row per target; ``uncovered``: the targets not covered; ``people``:
    the people covered when a population raster was given."""

    table: gpd.GeoDataFrame
    uncovered: gpd.GeoDataFrame
    people: PeopleCovered | None = None


def read_points(src: gpd.GeoDataFrame | str | os.PathLike[str], what: str) -> gpd.GeoDataFrame:
    """Points from a GeoDataFrame or a file of any format of :mod:`suigeo.io` (a CSV has
    lon/lat columns, CGCS2000 degrees); a row that cannot be read refuses the file."""
    if isinstance(src, gpd.GeoDataFrame):
        return src
    return read_vector(src, what=what, csv_crs=CGCS2000)


def _points(src: gpd.GeoDataFrame | str | os.PathLike[str], what: str) -> gpd.GeoDataFrame:
    """:func:`read_points`, then :func:`resolve_origins`; errors name the file."""
    try:
        return resolve_origins(read_points(src, what), what=what)
    except InputError as exc:
        if isinstance(src, gpd.GeoDataFrame) or str(src) in str(exc):
            raise
        raise InputError(f"{what} {str(src)!r}: {exc}") from None


def _by_km(
    fac: gpd.GeoDataFrame, tgt: gpd.GeoDataFrame, plane: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest facility by geodesic distance: candidates from the plane (an STRtree), then
    the geodesic minimum among every facility the plane puts within its nearest distance ×
    (1 + 1 %), which covers the plane's scale differences over the data. ``plane``:
    default that of all the points (the Dask executor gives each partition the whole's)."""
    if plane is None:
        plane = plane_crs(np.concatenate([fac.geometry.x, tgt.geometry.x]))
    f = fac.to_crs(plane).geometry.values
    t = tgt.to_crs(plane).geometry.values
    tree = shapely.STRtree(f)
    ti, fi = tree.query_nearest(t, all_matches=False)
    near = np.zeros(len(tgt))
    near[ti] = shapely.distance(t[ti], f[fi])
    ti, fi = tree.query(t, predicate="dwithin", distance=near * 1.01 + 1.0)
    d = geodesic_m(
        fac.geometry.x.to_numpy()[fi],
        fac.geometry.y.to_numpy()[fi],
        tgt.geometry.x.to_numpy()[ti],
        tgt.geometry.y.to_numpy()[ti],
    )
    order = np.lexsort((d, ti))  # by target, nearest first
    first = order[np.r_[True, ti[order][1:] != ti[order][:-1]]]
    which = np.full(len(tgt), -1, dtype=np.int64)
    dist = np.full(len(tgt), np.inf)
    which[ti[first]], dist[ti[first]] = fi[first], d[first]
    return which, dist / 1000.0


def _by_minutes(
    fac: gpd.GeoDataFrame, tgt: gpd.GeoDataFrame, p: Settings, net: Any
) -> tuple[np.ndarray, np.ndarray]:
    lon = np.concatenate([fac.geometry.x, tgt.geometry.x])
    lat = np.concatenate([fac.geometry.y, tgt.geometry.y])
    edges, pts, _ = sketch_graph(lon, lat, net, p)
    nf = len(fac)
    f_ids, t_ids = pts[:nf], pts[nf:]
    d = geodesic_m(
        tgt.geometry.x.to_numpy()[:, None],
        tgt.geometry.y.to_numpy()[:, None],
        fac.geometry.x.to_numpy()[None, :],
        fac.geometry.y.to_numpy()[None, :],
    )
    ii, jj = np.indices(d.shape)
    edges.add(t_ids[ii], f_ids[jj], d / ground_m_per_min(p))
    # targets travel to the facility: search the reversed graph from the facilities
    dist, which = shortest_times(edges.csr(reverse=True), f_ids, nearest=True)
    assert which is not None
    return which[t_ids], dist[0, t_ids]


def _by_network(
    fac: gpd.GeoDataFrame, tgt: gpd.GeoDataFrame, p: Settings, net: Any, roads: Any
) -> tuple[np.ndarray, np.ndarray]:
    from suigeo.geo.access.network import build_network

    lon = np.concatenate([fac.geometry.x, tgt.geometry.x])
    lat = np.concatenate([fac.geometry.y, tgt.geometry.y])
    labels = [str(x) for x in np.concatenate([fac["origin"], tgt["origin"]])]
    g = build_network(lon, lat, labels, roads, net, p, must_attach=len(fac))
    nf = len(fac)
    dist, which = shortest_times(g.edges.csr(reverse=True), g.points[:nf], nearest=True)
    assert which is not None
    t_ids = g.points[nf:]
    return which[t_ids], dist[0, t_ids]


def _ground(
    fac: gpd.GeoDataFrame,
    tgt: gpd.GeoDataFrame,
    slon: np.ndarray,
    slat: np.ndarray,
    p: Settings,
    engine: str,
    roads: Any,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ground minutes target → stop, target → facility and stop → facility."""
    fx, fy = fac.geometry.x.to_numpy(), fac.geometry.y.to_numpy()
    tx, ty = tgt.geometry.x.to_numpy(), tgt.geometry.y.to_numpy()
    ok = np.isfinite(slon) & np.isfinite(slat)
    a = np.full((len(tgt), len(slon)), np.inf)
    e = np.full((len(slon), len(fac)), np.inf)
    if engine == "sketch":
        v = ground_m_per_min(p)
        a[:, ok] = geodesic_m(tx[:, None], ty[:, None], slon[None, ok], slat[None, ok]) / v
        e[ok] = geodesic_m(slon[ok, None], slat[ok, None], fx[None, :], fy[None, :]) / v
        return a, geodesic_m(tx[:, None], ty[:, None], fx[None, :], fy[None, :]) / v, e
    if engine != "network":
        raise InputError(f"coverage engine must be sketch or network, not {engine!r}")
    if roads is None:
        raise InputError("coverage by the network engine needs roads= (--roads FILE)")
    from suigeo.geo.access.network import build_network
    from suigeo.geo.access.rail import build_rail

    labels = [str(x) for x in np.concatenate([fac["origin"], tgt["origin"]])]
    g = build_network(
        np.concatenate([fx, tx, slon[ok]]),
        np.concatenate([fy, ty, slat[ok]]),
        labels + ["stop"] * int(ok.sum()),
        roads,
        build_rail(None, None, p),
        p,
        must_attach=len(fac),
    )
    nf, nt = len(fac), len(tgt)
    f_ids, t_ids, s_ids = g.points[:nf], g.points[nf : nf + nt], g.points[nf + nt :]
    fwd, _ = shortest_times(g.graph(), t_ids)
    back, _ = shortest_times(g.graph(reverse=True), f_ids)
    a[:, ok] = fwd[:, s_ids]
    e[ok] = back[:, s_ids].T
    return a, fwd[:, f_ids], e


def _by_timetable(
    fac: gpd.GeoDataFrame,
    tgt: gpd.GeoDataFrame,
    p: Settings,
    engine: str,
    roads: Any,
    limit: float,
    gtfs: Any,
    depart: Any,
    window: int,
    percentiles: float | Iterable[float],
) -> tuple[np.ndarray, np.ndarray, str]:
    """Nearest facility and time (a percentile over the window) by a GTFS timetable."""
    from suigeo.geo.access.transit import (
        feed_window,
        percentile_rank,
        percentiles_of,
        stop_minutes,
    )

    if depart is None:
        raise InputError("a GTFS feed needs a departure: depart= (--depart 2026-12-03T08:00)")
    pcts = percentiles_of(percentiles)
    if len(pcts) != 1:
        raise InputError("coverage reports one percentile of the travel time: give one")
    tt, deps, scenario = feed_window(gtfs, depart, window, limit, p)
    slon = tt.stops["lon"].to_numpy(dtype=float)
    slat = tt.stops["lat"].to_numpy(dtype=float)
    a, d, e = _ground(fac, tgt, slon, slat, p, engine, roads)
    a = np.where(a <= limit, a, np.inf)
    k = percentile_rank(pcts[0], len(deps))
    which = np.full(len(tgt), -1, dtype=np.int64)
    value = np.full(len(tgt), np.inf)
    for i in range(len(tgt)):
        tau = stop_minutes(tt, a[i : i + 1], deps, p).minutes[0]  # (M, S)
        live = np.isfinite(tau).any(axis=0)
        via = (tau[:, live, None] + e[None, live, :]).min(axis=1, initial=np.inf)  # (M, F)
        t = np.minimum(via, d[i][None, :])
        best = t.min(axis=1)
        m = int(np.argsort(best, kind="stable")[k])
        value[i] = best[m]
        if np.isfinite(best[m]):
            which[i] = int(np.argmin(t[m]))
    return which, value, f"{scenario}, percentile {pcts[0]:g}"


def _by_rail(
    fac: gpd.GeoDataFrame,
    tgt: gpd.GeoDataFrame,
    p: Settings,
    engine: str,
    roads: Any,
    rail: bool,
    rails: Any,
    stations: Any,
    include_planned: bool,
    run: Any,
) -> tuple[np.ndarray, np.ndarray]:
    net = _rail(rail, rails, stations, p, include_planned, None)
    if engine == "network":
        if roads is None:
            raise InputError("coverage by the network engine needs roads= (--roads FILE)")
        return _by_network(fac, tgt, p, net, roads)
    if engine == "sketch":
        return run(_by_minutes, fac, tgt, p, net)
    raise InputError(f"coverage engine must be sketch or network, not {engine!r}")


def coverage(
    facilities: gpd.GeoDataFrame | str | os.PathLike[str],
    targets: gpd.GeoDataFrame | str | os.PathLike[str],
    *,
    km: float | None = None,
    minutes: float | None = None,
    engine: str = "sketch",
    roads: gpd.GeoDataFrame | str | os.PathLike[str] | None = None,
    rail: bool = True,
    rails: gpd.GeoDataFrame | None = None,
    stations: gpd.GeoDataFrame | None = None,
    include_planned: bool = False,
    settings: Mapping[str, Any] | Settings | None = None,
    population: str | os.PathLike[str] | None = None,
    gtfs: Any = None,
    depart: Any = None,
    window: int = 60,
    percentiles: float | Iterable[float] = (50,),
    executor: str = "memory",
    workers: int | None = None,
    memory_limit: str | None = None,
    scheduler: str | None = None,
    partition_rows: int | None = None,
    progress: bool | None = None,
) -> Coverage:
    """Nearest facility for every target and whether it lies within ``km`` or ``minutes``.

    With ``population`` (a GeoTIFF of people per cell, any CRS) the people covered too:
    with ``km`` the cells whose centre is within ``km`` (geodesic) of the nearest
    facility, exactly as a target; with ``minutes`` the cells whose centre lies in the ring
    of the facilities reached within ``minutes`` (:func:`rings` with ``direction="to"``,
    ``nearest=True``, the same engine); the share is of every person in the raster (clip
    it to the study area).

    ``executor="dask"`` finds the nearest facilities of partitions of ``partition_rows``
    targets (default 2,000) on a Dask cluster (:mod:`suigeo.geo.access.dask_engine`; a
    local cluster of ``workers`` processes with ``memory_limit`` each, or the cluster at
    ``scheduler``; ``progress`` bar on stderr), with the same table; straight-line and
    sketch coverage only.

    Returns
    -------
    Coverage
        ``table`` (GeoDataFrame of the targets in CGCS2000 with ``target``, ``facility``,
        ``distance_km`` or ``minutes``, ``covered``, ``criterion``), ``uncovered`` and
        ``people`` (:class:`PeopleCovered`, or None without ``population``).

    With ``gtfs`` (and ``minutes``): travel by the feed's timetable instead of the rail
    lines (:mod:`geo.access.transit`), from each target to the facilities, for every
    departure minute of the window from ``depart``; a target's time is the ``percentiles``
    value (one, nearest rank; default the median) over the window of its time to the
    nearest facility in that minute, and ``facility`` the nearest in the minute that gives
    it. Ground legs by the engine (sketch or network).
    """
    if (km is None) == (minutes is None):
        raise InputError("give exactly one of km= or minutes=")
    limit = float(km if km is not None else minutes)  # type: ignore[arg-type]
    if not np.isfinite(limit) or limit <= 0:
        raise InputError(f"the coverage bound must be a positive number, not {limit!r}")
    dask = {"workers": workers, "memory_limit": memory_limit, "scheduler": scheduler}
    run = _runner(executor, engine if minutes is not None else "km", progress,
                  partition_rows=partition_rows, **dask)  # fmt: skip
    fac = _points(facilities, "facilities")
    tgt = _points(targets, "targets")
    if km is not None:
        plane = plane_crs(np.concatenate([fac.geometry.x, tgt.geometry.x]))
        which, value = run(_by_km, fac, tgt, plane)
        col, crit = "distance_km", f"straight-line distance ≤ {limit:g} km"
        p = None
    elif gtfs is not None:
        p = resolve_settings(settings)
        if executor != "memory":
            raise InputError("gtfs= with the Dask executor: timetable coverage runs in one process")
        if population is not None:
            raise InputError(
                "population= with gtfs=: the people covered need rings towards the "
                "facilities, which a timetable (run forward from the departure) does not give"
            )
        which, value, scenario = _by_timetable(
            fac, tgt, p, engine, roads, limit, gtfs, depart, window, percentiles
        )
        col = "minutes"
        crit = f"{engine} travel time to the facility ≤ {limit:g} min ({scenario})"
    else:
        if depart is not None:
            raise InputError("depart= (--depart) needs a GTFS feed: gtfs= (--gtfs FEED)")
        p = resolve_settings(settings)
        which, value = _by_rail(
            fac, tgt, p, engine, roads, rail, rails, stations, include_planned, run
        )
        col = "minutes"
        scenario = scenario_name(rail=rail, include_planned=include_planned, timetable=False)
        crit = f"{engine} travel time to the facility ≤ {limit:g} min ({scenario})"
    log.info("coverage: %d facilities, %d targets, %s", len(fac), len(tgt), crit)
    labels = fac["origin"].to_numpy(dtype=object)
    table = gpd.GeoDataFrame(
        {
            "target": tgt["origin"].to_numpy(dtype=object),
            "facility": np.where(which >= 0, labels[np.maximum(which, 0)], None),
            col: np.round(value, 4),
            "covered": value <= limit,
            "criterion": crit,
        },
        geometry=tgt.geometry.values,
        crs=CGCS2000,
    )
    if p is not None:
        keys = ["ground.", "rail."] if engine == "sketch" else ["network.", "walk.", "rail."]
        if gtfs is not None:
            keys = [k for k in keys if k != "rail."] + ["gtfs."]
        table["settings"] = p.to_json(keys)
    people = None
    if population is not None:
        people = _people(
            population,
            fac,
            km=km,
            minutes=minutes,
            engine=engine,
            roads=roads,
            rail=rail,
            rails=rails,
            stations=stations,
            include_planned=include_planned,
            settings=p,
        )
        log.info("coverage: %.0f of %.0f people covered", people.covered, people.total)
    return Coverage(table, table[~table["covered"]].reset_index(drop=True), people)


def _runner(executor: str, engine: str, progress: bool | None, **dask: Any) -> Any:
    """``run(fn, fac, tgt, *args)``: ``fn`` itself, or on partitions of the targets on Dask."""
    from suigeo.io.cluster import engine_options  # standard library only: no Dask here

    if not engine_options(executor, name="executor", **dask):
        return lambda fn, fac, tgt, *args: fn(fac, tgt, *args)
    if engine == "network":
        raise InputError(
            "the Dask executor covers straight-line (km=) and sketch coverage: the network "
            "engine attaches every target to one road graph; run it in one process"
        )
    from suigeo.geo.access.dask_engine import nearest_by_targets

    return lambda fn, fac, tgt, *args: nearest_by_targets(
        fn, fac, tgt, *args, dask=dask, progress=progress
    )


def _people(
    population: str | os.PathLike[str], fac: gpd.GeoDataFrame, *, km: float | None, **opts: Any
) -> PeopleCovered:
    from suigeo.geo.access.people import population_cells, population_in

    lon, lat, people = population_cells(population)
    total = float(people.sum())
    if total <= 0:
        raise InputError(f"population raster {str(population)!r} holds no people")
    if km is not None:
        cells = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=CGCS2000)
        _, dist = _by_km(fac, cells)
        covered = float(people[dist <= km].sum())
        rule = f"cells whose centre is within {km:g} km (geodesic) of the nearest facility"
    else:
        from suigeo.geo.access.rings import rings

        minutes = opts.pop("minutes")
        ring = rings(fac, minutes=[minutes], direction="to", nearest=True, **opts)
        covered = float(population_in(ring.geometry.values, population)[0])
        rule = (
            f"cells whose centre lies in the {opts['engine']} ring of the nearest facility "
            f"within {minutes:g} min (direction to)"
        )
    return PeopleCovered(
        total, covered, covered / total, rule + "; share of all the raster's people"
    )
