"""Timetabled transit (GTFS): waits, rides and transfers from a feed, over a departure window.

For each departure minute ``t0`` of the window (``depart``, ``depart`` + 1 min, …,
``window`` departures) and each origin:

1. **Access**: the ground time from the origin to every stop, by the engine's own ground
   model (sketch: straight line × circuity at ``ground.speed_kmh``; network: Dijkstra over
   the road lines, stops attached to their nearest road like stations). One may board a
   vehicle at stop ``s`` from ``t0`` + access(s) + ``gtfs.board_min``.
2. **Rides** (earliest arrival, in rounds as RAPTOR does, vectorised over the departure
   minutes): round ``k`` boards, at every stop one is ready at, every trip leaving at or
   after that time and rides it to every later stop; the earliest arrival at each stop by
   ``k`` trips makes the stops one is ready at for round ``k`` + 1 — at the same stop after
   ``gtfs.transfer_min`` (or transfers.txt's ``min_transfer_time``), at another stop only
   where transfers.txt links the two (``transfer_type`` 0: ``gtfs.transfer_min``, 1: no
   wait, 2: ``min_transfer_time``, 3: not possible), they share a ``parent_station``
   (``gtfs.transfer_min``), or, for any other pair, on foot: stops whose geodesic distance
   × ``ground.circuity`` is at most ``gtfs.walk_transfer_m`` (1 km, R5's limit) are linked
   by that walk at ``walk.flat_kmh`` plus ``gtfs.transfer_min`` (0 turns walking transfers
   off). Rounds stop when nothing improves.
3. **Egress**: a stop reached at ``T`` is left on the ground at ``T`` +
   ``gtfs.egress_min``; the time to a place is the least of the ground time from the
   origin and, over the stops, (time at the stop) + ground time from the stop.

Service on the date: calendar.txt (weekday flags between start_date and end_date) with
calendar_dates.txt's exceptions (1 adds, 2 removes the service that day); trips of the
day before whose times pass 24:00:00 run into the date, and trips of the next day are
included when the window and thresholds reach past midnight. frequencies.txt trips run
every ``headway_secs`` from ``start_time`` up to (not including) ``end_time``, the first
stop time of the trip's stop_times being the template's start (as with ``exact_times=1``;
R5 draws random offsets for ``exact_times=0`` and would differ there).

Over the window the travel time to each place is a list of ``window`` values; rings are
drawn for chosen percentiles of it (the nearest-rank percentile: the ⌈p/100 · n⌉-th
smallest, so the median of 60 minutes is the 30th), as R5 (Conveyal) reports travel-time
percentiles over a departure window. Sketch rings: discs around the origin and around every
stop at the stop's own percentile time (a place reached through several stops is reached
at least that early: the ring is exact at the stops and never larger than the true
percentile ring elsewhere). Network rings: the percentile per road node, then the reached
roads as for :mod:`geo.access.network`.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
import pandas as pd

from suigeo.errors import InputError
from suigeo.geo.access.settings import Settings
from suigeo.io.gtfs import GtfsFeed, read_gtfs

__all__ = [
    "Journeys",
    "Timetable",
    "build_timetable",
    "departures",
    "earliest_arrivals",
    "feed_window",
    "load_feed",
    "parse_depart",
    "percentile_rank",
    "percentiles_of",
    "reduce_percentiles",
    "stop_minutes",
    "transit_rings",
]

log = logging.getLogger(__name__)

DAY = 86400
INF = np.inf
# B × C cells (departure rows × connections) handled at once in a round
_CHUNK_CELLS = 20_000_000


def load_feed(gtfs: GtfsFeed | str | os.PathLike[str] | IO[bytes]) -> GtfsFeed:
    """A feed object as given, or read from a path (:func:`suigeo.io.gtfs.read_gtfs`)."""
    return gtfs if isinstance(gtfs, GtfsFeed) else read_gtfs(gtfs)


def parse_depart(depart: str | dt.datetime) -> dt.datetime:
    """``2026-12-03T08:00`` (or a datetime) → a naive local datetime (the feed's time zone)."""
    if isinstance(depart, dt.datetime):
        return depart.replace(tzinfo=None, second=0, microsecond=0)
    try:
        when = dt.datetime.fromisoformat(str(depart).strip())
    except ValueError:
        raise InputError(
            f"departure {depart!r} is not a date and time like 2026-12-03T08:00"
        ) from None
    return when.replace(tzinfo=None, second=0, microsecond=0)


def departures(depart: dt.datetime, window: int) -> np.ndarray:
    """Seconds after midnight of the departure date for every minute of the window."""
    if isinstance(window, bool) or not float(window).is_integer() or window < 1:
        raise InputError(f"window must be a whole number of minutes ≥ 1, not {window!r}")
    start = depart.hour * 3600 + depart.minute * 60
    return start + 60 * np.arange(int(window), dtype=np.int64)


def percentiles_of(percentiles: float | Iterable[float]) -> list[float]:
    """Percentiles as a sorted list of numbers in (0, 100]."""
    vals = [percentiles] if isinstance(percentiles, (int, float)) else list(percentiles)
    if not vals:
        raise InputError("give at least one percentile")
    out = []
    for p in vals:
        try:
            f = float(p)
        except (TypeError, ValueError):
            raise InputError(f"percentile {p!r} is not a number") from None
        if not (0 < f <= 100):
            raise InputError(f"percentile {p!r} must be in (0, 100]")
        out.append(f)
    return sorted(set(out))


def percentile_rank(p: float, n: int) -> int:
    """0-based index of the nearest-rank ``p``-th percentile among ``n`` sorted values."""
    return max(0, math.ceil(p / 100.0 * n - 1e-9) - 1)


@dataclass
class Timetable:
    """The connections of one date: ride ``dep_stop`` → ``arr_stop`` leaving ``dep`` and
    arriving ``arr`` (seconds after the date's midnight) on trip instance ``trip``; rows
    sorted by trip and stop sequence, ``trip_start`` the row of each trip's first one.
    Transfers: ``self_secs[s]`` to change trips at stop ``s`` (inf: not possible) and
    pairs ``xfer_from`` → ``xfer_to`` costing ``xfer_secs``."""

    stops: pd.DataFrame
    dep_stop: np.ndarray
    arr_stop: np.ndarray
    dep: np.ndarray
    arr: np.ndarray
    trip: np.ndarray
    trip_start: np.ndarray
    self_secs: np.ndarray
    xfer_from: np.ndarray
    xfer_to: np.ndarray
    xfer_secs: np.ndarray
    date: dt.date
    n_trips: int

    @property
    def n_stops(self) -> int:
        """Number of stops (the rows of ``stops``)."""
        return len(self.stops)


def _no_service(feed: GtfsFeed, day: dt.date) -> InputError:
    span = feed.service_dates()
    cover = (
        f"the feed's service runs from {span[0].isoformat()} to {span[1].isoformat()}"
        if span
        else "the feed has no service day at all"
    )
    return InputError(
        f"GTFS feed {feed.name!r} has no service on {day.isoformat()} ({day.strftime('%A')}): "
        f"{cover}; choose a departure date the feed covers"
    )


def _instances(feed: GtfsFeed, day: dt.date, lo: int, hi: int) -> pd.DataFrame:
    """Stop times of every trip instance running on ``day`` (seconds after its midnight)
    with some time in [lo, hi]; column ``inst`` numbers the instances."""
    st = feed.stop_times
    parts = []
    served = False
    for offset in (-1, 0, 1):
        services = feed.services_on(day + dt.timedelta(days=offset))
        if offset == 0 and services:
            served = True
        trips = feed.trips.loc[feed.trips["service_id"].isin(services), "trip_id"]
        if trips.empty:
            continue
        sub = st[st["trip_id"].isin(set(trips))]
        freq = feed.frequencies[feed.frequencies["trip_id"].isin(set(trips))]
        plain = sub[~sub["trip_id"].isin(set(freq["trip_id"]))].assign(key=lambda d: d["trip_id"])
        pieces = [plain]
        if len(freq):
            first = sub.groupby("trip_id")["departure"].min()
            for row in freq.itertuples():
                tmpl = sub[sub["trip_id"] == row.trip_id]
                starts = np.arange(row.start, row.end, row.headway, dtype=np.int64)
                shift = starts - int(first[row.trip_id])
                n = len(tmpl)
                k = np.tile(np.arange(len(starts)), n)
                rep = tmpl.iloc[np.repeat(np.arange(n), len(starts))].copy()
                rep["arrival"] = rep["arrival"].to_numpy() + shift[k]
                rep["departure"] = rep["departure"].to_numpy() + shift[k]
                tag = pd.Series(starts[k], index=rep.index).astype(str)
                rep["key"] = rep["trip_id"] + "\x00f" + tag
                pieces.append(rep)
        inst = pd.concat(pieces, ignore_index=True)
        inst["arrival"] += offset * DAY
        inst["departure"] += offset * DAY
        inst["key"] = inst["key"] + f"\x00{offset}"
        parts.append(inst)
    if not served:
        raise _no_service(feed, day)
    allst = pd.concat(parts, ignore_index=True).sort_values(["key", "seq"], kind="stable")
    span = allst.groupby("key", sort=False).agg(a=("arrival", "min"), d=("departure", "max"))
    live = span.index[(span["d"] >= lo) & (span["a"] <= hi)]
    allst = allst[allst["key"].isin(set(live))]
    allst["inst"] = pd.factorize(allst["key"])[0]
    return allst.reset_index(drop=True)


def _walks(stops: pd.DataFrame, settings: Settings) -> tuple[np.ndarray, ...]:
    """Pairs of distinct stops linked on foot (both directions) and their seconds: geodesic
    distance × ``ground.circuity`` ≤ ``gtfs.walk_transfer_m``, walked at ``walk.flat_kmh``,
    plus ``gtfs.transfer_min``."""
    import shapely
    from pyproj import Geod

    limit = float(settings["gtfs.walk_transfer_m"])
    none = np.zeros(0, dtype=np.int64)
    lon, lat = stops["lon"].to_numpy(float), stops["lat"].to_numpy(float)
    have = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    if limit <= 0 or len(have) < 2:
        return none, none, np.zeros(0)
    reach = limit / float(settings["ground.circuity"])  # straight-line metres
    # candidates in degrees (a box sure to hold the circle), then the exact geodesic test
    coslat = max(math.cos(math.radians(float(np.nanmax(np.abs(lat[have]))))), 1e-6)
    pad = reach / 110_000.0 / coslat
    tree = shapely.STRtree(shapely.points(lon[have], lat[have]))
    a, b = tree.query(shapely.points(lon[have], lat[have]), predicate="dwithin", distance=pad)
    keep = a < b
    a, b = have[a[keep]], have[b[keep]]
    _, _, d = Geod(ellps="GRS80").inv(lon[a], lat[a], lon[b], lat[b])
    near = d <= reach
    a, b, d = a[near], b[near], d[near]
    secs = d * float(settings["ground.circuity"]) / (float(settings["walk.flat_kmh"]) / 3.6)
    secs = secs + float(settings["gtfs.transfer_min"]) * 60.0
    return np.concatenate([a, b]), np.concatenate([b, a]), np.concatenate([secs, secs])


def _transfers(
    feed: GtfsFeed, index: pd.Index, default_s: float, settings: Settings
) -> tuple[np.ndarray, ...]:
    n = len(index)
    self_secs = np.full(n, default_s)
    pairs: dict[tuple[int, int], float] = {}
    parent = feed.stops["parent_station"].to_numpy(dtype=object)
    has = parent != ""
    if has.any():
        grp = pd.Series(np.flatnonzero(has)).groupby(parent[has])
        for members in grp:
            ids = members[1].to_numpy()
            for a in ids:
                for b in ids:
                    if a != b:
                        pairs[(int(a), int(b))] = default_s
    tr = feed.transfers
    fr = index.get_indexer(tr["from_stop_id"])
    to = index.get_indexer(tr["to_stop_id"])
    kind = tr["transfer_type"].to_numpy(dtype=int)
    mtt = tr["min_transfer_time"].to_numpy(dtype=float)
    secs = np.select(
        [kind == 0, kind == 1, kind == 2], [np.where(mtt >= 0, mtt, default_s), 0.0, mtt], INF
    )
    for a, b, s in zip(fr, to, secs, strict=True):
        if a == b:
            self_secs[a] = s
        else:
            pairs[(int(a), int(b))] = float(s)
    keep = [(a, b, s) for (a, b), s in pairs.items() if np.isfinite(s)]
    arr = np.array(keep, dtype=float).reshape(-1, 3)
    xf, xt, xs = arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64), arr[:, 2]
    # on foot between the other pairs (transfers.txt and parent stations take precedence)
    wf, wt, ws = _walks(feed.stops, settings)
    if len(wf):
        taken = np.array(list(pairs), dtype=np.int64).reshape(-1, 2)
        new = ~np.isin(wf * n + wt, taken[:, 0] * n + taken[:, 1])
        xf, xt, xs = (
            np.concatenate([xf, wf[new]]),
            np.concatenate([xt, wt[new]]),
            np.concatenate([xs, ws[new]]),
        )
    return self_secs, xf, xt, xs


def build_timetable(
    feed: GtfsFeed, day: dt.date, lo: int, hi: int, settings: Settings
) -> Timetable:
    """The connections of the trips running on ``day`` with a time in [``lo``, ``hi``]
    (seconds after the day's midnight), and the transfer rules.

    Raises
    ------
    InputError
        When nothing of the feed runs on ``day`` (naming the dates it covers) or no trip
        runs between ``lo`` and ``hi`` (naming the hours of that day's service).
    """
    inst = _instances(feed, day, lo, hi)
    if inst.empty or inst["inst"].max() < 0:
        own = feed.trips.loc[feed.trips["service_id"].isin(feed.services_on(day)), "trip_id"]
        day_st = feed.stop_times[feed.stop_times["trip_id"].isin(set(own))]
        hours = (
            f"that day's trips run {_clock(day_st['departure'].min())}–"
            f"{_clock(day_st['arrival'].max())}"
            if len(day_st)
            else "no trip has stop times"
        )
        raise InputError(
            f"GTFS feed {feed.name!r}: no trip runs between {_clock(lo)} and {_clock(hi)} on "
            f"{day.isoformat()} ({hours}); choose a departure time within the service"
        )
    index = pd.Index(feed.stops["stop_id"])
    stop = index.get_indexer(inst["stop_id"])
    same = inst["inst"].to_numpy()[1:] == inst["inst"].to_numpy()[:-1]
    k = np.flatnonzero(same)
    trip = inst["inst"].to_numpy()[k]
    first = np.ones(len(k), dtype=bool)
    first[1:] = trip[1:] != trip[:-1]
    start_rows = np.flatnonzero(first)
    trip_start = start_rows[np.cumsum(first) - 1]
    dep = inst["departure"].to_numpy()[k]
    arr = inst["arrival"].to_numpy()[k + 1]
    self_secs, xf, xt, xs = _transfers(feed, index, settings["gtfs.transfer_min"] * 60.0, settings)
    return Timetable(
        feed.stops,
        stop[k],
        stop[k + 1],
        dep.astype(float),
        arr.astype(float),
        trip,
        trip_start,
        self_secs,
        xf,
        xt,
        xs,
        day,
        int(inst["inst"].max()) + 1,
    )


def _clock(secs: float) -> str:
    s = int(secs)
    sign = "-" if s < 0 else ""
    s = abs(s)
    return f"{sign}{s // 3600:02d}:{s % 3600 // 60:02d}"


def _min_by(values: np.ndarray, order: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Row-wise minimum of ``values[:, order]`` over the groups beginning at ``starts``."""
    return np.minimum.reduceat(values[:, order], starts, axis=1)


def earliest_arrivals(tt: Timetable, ready: np.ndarray) -> np.ndarray:
    """Earliest arrival by vehicle at every stop (seconds; inf: not reached), one row per
    row of ``ready`` (the time one can first board at each stop: departure + access +
    boarding allowance; inf where the stop is out of reach).

    Rounds as in RAPTOR, vectorised over the rows: see the module docstring.
    """
    ready = np.array(ready, dtype=float, copy=True)
    b, s = ready.shape
    out = np.full((b, s), INF)
    c = len(tt.dep)
    if c == 0 or b == 0:
        return out
    order = np.argsort(tt.arr_stop, kind="stable")
    sorted_stops = tt.arr_stop[order]
    starts = np.flatnonzero(np.r_[True, sorted_stops[1:] != sorted_stops[:-1]])
    arr_stops = sorted_stops[starts]
    x_order = np.argsort(tt.xfer_to, kind="stable")
    x_sorted = tt.xfer_to[x_order]
    x_starts = (
        np.flatnonzero(np.r_[True, x_sorted[1:] != x_sorted[:-1]]) if x_sorted.size else x_sorted
    )
    x_to = x_sorted[x_starts] if x_sorted.size else x_sorted
    cols = np.arange(c)
    rows = max(1, _CHUNK_CELLS // max(c, 1))
    for lo in range(0, b, rows):
        sl = slice(lo, min(b, lo + rows))
        r, best = ready[sl], out[sl]
        while True:
            board = r[:, tt.dep_stop] <= tt.dep
            seen = np.maximum.accumulate(np.where(board, cols, -1), axis=1)
            on = seen >= tt.trip_start
            got = _min_by(np.where(on, tt.arr, INF), order, starts)
            new = np.minimum(best[:, arr_stops], got)
            if not (new < best[:, arr_stops]).any():
                break
            best[:, arr_stops] = new
            nxt = np.minimum(r, best + tt.self_secs)
            if x_sorted.size:
                via = _min_by(best[:, tt.xfer_from] + tt.xfer_secs, x_order, x_starts)
                nxt[:, x_to] = np.minimum(nxt[:, x_to], via)
            if not (nxt < r).any():
                break
            r = nxt
        out[sl] = best
    return out


@dataclass
class Journeys:
    """Minutes from each (origin, departure) to each stop, after the egress allowance:
    ``minutes[o, m, s]`` (inf where no ride reaches the stop)."""

    minutes: np.ndarray
    departures: np.ndarray
    timetable: Timetable


def stop_minutes(
    tt: Timetable, access_min: np.ndarray, deps: np.ndarray, settings: Settings
) -> Journeys:
    """Ride times to every stop: ``access_min`` (origins × stops, ground minutes from each
    origin to each stop, inf where out of reach) for every departure of ``deps``."""
    o, s = access_min.shape
    board = settings["gtfs.board_min"] * 60.0
    ready = deps[None, :, None] + access_min[:, None, :] * 60.0 + board
    # to the millisecond: the graph engines floor zero-cost links at 1e-9 min, and that
    # noise must not make a train leaving at the very second one arrives uncatchable
    ready = np.round(ready, 3)
    arr = earliest_arrivals(tt, ready.reshape(o * len(deps), s)).reshape(o, len(deps), s)
    mins = (arr - deps[None, :, None]) / 60.0 + settings["gtfs.egress_min"]
    return Journeys(mins, deps, tt)


def feed_window(
    gtfs: GtfsFeed | str | os.PathLike[str],
    depart: str | dt.datetime,
    window: int,
    horizon_min: float,
    settings: Settings,
) -> tuple[Timetable, np.ndarray, str]:
    """The date's timetable for departures over the window plus ``horizon_min``; the
    departure seconds; a statement of the scenario."""
    feed = load_feed(gtfs)
    when = parse_depart(depart)
    deps = departures(when, window)
    hi = int(deps[-1] + horizon_min * 60)
    tt = build_timetable(feed, when.date(), int(deps[0]), hi, settings)
    last = when + dt.timedelta(minutes=int(window) - 1)
    span = (
        f"departing {when:%Y-%m-%d %H:%M}"
        if window == 1
        else f"departures every minute {when:%Y-%m-%d %H:%M}–{last:%H:%M} ({window})"
    )
    name = os.path.basename(feed.name) if feed.name != "(stream)" else "feed"
    log.info(
        "gtfs: %s, %d trip(s) and %d connection(s) on %s, %d rejected row(s)",
        name,
        tt.n_trips,
        len(tt.dep),
        when.date(),
        len(feed.rejects),
    )
    return tt, deps, f"GTFS timetable {name}, {span}"


def reduce_percentiles(times: np.ndarray, percentiles: list[float]) -> np.ndarray:
    """Nearest-rank percentiles along axis 0: one row per percentile."""
    n = times.shape[0]
    srt = np.sort(times, axis=0)
    return np.stack([srt[percentile_rank(p, n)] for p in percentiles])


def _stop_xy(tt: Timetable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lon = tt.stops["lon"].to_numpy(dtype=float)
    lat = tt.stops["lat"].to_numpy(dtype=float)
    return lon, lat, np.isfinite(lon) & np.isfinite(lat)


def _method(engine: str, settings: Settings, deps: np.ndarray, extra: str) -> str:
    return (
        f"{engine} ground to and from stops{extra}; GTFS timetable: wait + ride + transfer "
        f"(board {settings['gtfs.board_min']:g} min before departure, change "
        f"{settings['gtfs.transfer_min']:g} min unless transfers.txt says otherwise, walks "
        f"between stops up to {settings['gtfs.walk_transfer_m']:g} m, egress "
        f"{settings['gtfs.egress_min']:g} min), nearest-rank percentile over {len(deps)} "
        "departure minute(s)"
    )


def _sketch(
    lon: np.ndarray,
    lat: np.ndarray,
    thresholds: list[float],
    tt: Timetable,
    deps: np.ndarray,
    pcts: list[float],
    settings: Settings,
    nearest: bool,
) -> tuple[list[list[Any]], np.ndarray, Any, str]:
    from suigeo.geo.access.plane import geodesic_m, plane_crs, project
    from suigeo.geo.access.result import discs
    from suigeo.geo.access.sketch import ground_m_per_min

    v = ground_m_per_min(settings)
    plane = plane_crs(lon)
    slon, slat, ok = _stop_xy(tt)
    acc = np.full((len(lon), tt.n_stops), INF)
    acc[:, ok] = geodesic_m(lon[:, None], lat[:, None], slon[None, ok], slat[None, ok]) / v
    acc[acc > max(thresholds)] = INF
    if nearest:
        acc = acc.min(axis=0, keepdims=True)
    per = reduce_percentiles(np.moveaxis(stop_minutes(tt, acc, deps, settings).minutes, 1, 0), pcts)
    px, py = (np.asarray(a) for a in project(lon, lat, plane))
    sx, sy = np.full(tt.n_stops, np.nan), np.full(tt.n_stops, np.nan)
    if ok.any():
        sx[ok], sy[ok] = (np.asarray(a) for a in project(slon[ok], slat[ok], plane))
    geoms = []
    for row in range(per.shape[1]):
        own = np.arange(len(lon)) if nearest else np.array([row])
        for k in range(len(pcts)):
            tau = np.where(ok, per[k, row], INF)
            cx = np.concatenate([px[own], sx[ok]])
            cy = np.concatenate([py[own], sy[ok]])
            t0 = np.concatenate([np.zeros(own.size), tau[ok]])
            geoms.append([discs(cx, cy, np.maximum(t - t0, 0.0) * v) for t in thresholds])
    extra = (
        f" straight line × circuity {settings['ground.circuity']:g} at "
        f"{settings['ground.speed_kmh']:g} km/h; a place is reached through each stop at that "
        "stop's percentile time"
    )
    return geoms, per, plane, extra


def _network(
    lon: np.ndarray,
    lat: np.ndarray,
    labels: list[str],
    thresholds: list[float],
    tt: Timetable,
    deps: np.ndarray,
    pcts: list[float],
    settings: Settings,
    nearest: bool,
    roads: Any,
) -> tuple[list[list[Any]], np.ndarray, Any, str]:
    from scipy.sparse.csgraph import dijkstra

    from suigeo.geo.access.graph import ZERO, EdgeList, shortest_times
    from suigeo.geo.access.network import build_network, reached_lines, ring_polygon
    from suigeo.geo.access.rail import build_rail

    slon, slat, ok = _stop_xy(tt)
    no_rail = build_rail(None, None, settings)
    net = build_network(
        np.concatenate([lon, slon[ok]]),
        np.concatenate([lat, slat[ok]]),
        labels + list(tt.stops["stop_id"][ok]),
        roads,
        no_rail,
        settings,
        must_attach=len(lon),
    )
    n = net.edges.n
    graph = net.graph()
    snode = np.full(tt.n_stops, -1, dtype=np.int64)
    snode[ok] = net.points[len(lon) :]
    has_edge = np.diff(graph.indptr) > 0
    attached = (snode >= 0) & has_edge[np.maximum(snode, 0)]
    if not attached.any():
        raise InputError(
            f"no stop of the GTFS feed lies within {settings['network.snap_max_m']:g} m "
            "(network.snap_max_m) of the road lines: the feed and the roads cover different "
            "areas"
        )
    far = int(ok.sum() - attached.sum())
    limit = max(thresholds)
    d0, _ = shortest_times(graph, net.points[: len(lon)], limit=limit, nearest=nearest)
    acc = np.full((d0.shape[0], tt.n_stops), INF)
    acc[:, attached] = d0[:, snode[attached]]
    mins = stop_minutes(tt, acc, deps, settings).minutes  # (O, M, S)
    u, v, w = net.edges.arrays()
    m = len(deps)
    origins = net.points[: len(lon)]
    geoms: list[list[Any]] = []
    per_stop = np.full((len(pcts), d0.shape[0], tt.n_stops), INF)
    for row in range(d0.shape[0]):
        own = origins if nearest else origins[[row]]
        tau = mins[row][:, attached]  # (M, S')
        sup = n + np.arange(m)
        su = np.concatenate([np.repeat(sup, own.size), np.repeat(sup, tau.shape[1])])
        sv = np.concatenate([np.tile(own, m), np.tile(snode[attached], m)])
        sw = np.concatenate([np.full(m * own.size, ZERO), tau.ravel()])
        live = np.isfinite(sw) & (sw <= limit)
        aug = EdgeList(n=n, _u=[u], _v=[v], _w=[w])
        aug.add_nodes(m)
        aug.add(su[live], sv[live], sw[live])
        g = aug.csr()
        dist = dijkstra(g, indices=sup, limit=limit)[:, :n]
        dist = np.round(dist, 6)  # zero-cost links are floored at 1e-9 min (graph.ZERO)
        per = reduce_percentiles(dist, pcts)  # (P, N)
        per_stop[:, row, attached] = per[:, snode[attached]]
        for k in range(len(pcts)):
            geoms.append(
                [
                    ring_polygon(
                        net,
                        *reached_lines(net, per[k], t, "from"),
                        settings["network.buffer_m"],
                        settings["network.fill_holes_max_km2"],
                    )
                    for t in thresholds
                ]
            )
    extra = (
        ": road lines at maxspeed or class speed, reached roads widened "
        f"{settings['network.buffer_m']:g} m, holes filled; stops attached to the nearest road"
        + (f" ({far} stop(s) beyond network.snap_max_m not reachable by road)" if far else "")
    )
    return geoms, per_stop, net.road.plane, extra


def transit_rings(
    engine: str,
    lon: np.ndarray,
    lat: np.ndarray,
    labels: list[str],
    thresholds: list[float],
    *,
    gtfs: GtfsFeed | str | os.PathLike[str],
    depart: str | dt.datetime | None,
    window: int,
    percentiles: float | Iterable[float],
    settings: Settings,
    nearest: bool,
    roads: Any = None,
) -> Any:
    """Rings by a GTFS timetable for the sketch or network engine: an
    :class:`~geo.access.result.EngineOutput` with one label row per origin and percentile,
    the percentile of each row and the scenario statement."""
    from suigeo.geo.access.result import EngineOutput

    if depart is None:
        raise InputError("a GTFS feed needs a departure: depart= (--depart 2026-12-03T08:00)")
    if engine not in ("sketch", "network"):
        raise InputError(
            f"timetables (gtfs=, --gtfs) work with the sketch and network engines, not {engine!r}"
        )
    pcts = percentiles_of(percentiles)
    tt, deps, scenario = feed_window(gtfs, depart, window, max(thresholds), settings)
    if engine == "sketch":
        geoms, per, plane, extra = _sketch(lon, lat, thresholds, tt, deps, pcts, settings, nearest)
        keys = ["ground.", "gtfs."]
    else:
        if roads is None:
            raise InputError("the network engine needs road lines: pass roads= (--roads FILE)")
        geoms, per, plane, extra = _network(
            lon, lat, labels, thresholds, tt, deps, pcts, settings, nearest, roads
        )
        keys = ["network.", "walk.flat_kmh", "gtfs."]
    base = [f"nearest of {len(labels)}: " + "; ".join(labels)] if nearest else labels
    out_labels = [lab for lab in base for _ in pcts]
    row_pcts = [p for _ in base for p in pcts]
    n = tt.n_stops
    st = pd.DataFrame(
        {
            "origin": np.repeat(base, n),
            "station": np.tile(tt.stops["stop_id"].to_numpy(), len(base)),
            "name_zh": np.tile(tt.stops["stop_name"].to_numpy(), len(base)),
            "minutes": np.where(per[0] <= max(thresholds), per[0], INF).ravel(),
        }
    )
    method = _method(engine, settings, deps, extra)
    return EngineOutput(out_labels, geoms, plane, method, keys, st, row_pcts, scenario)
