"""Benchmark: GTFS median over a departure window, suigeo vs a brute-force search.

    python benchmarks/bench_gtfs.py --stops 500 --trips 5000 --window 60

Generates a feed of realistic size around 113.3E 23.1N (``--stops`` stops in a 60 × 60 km
square; routes of 12-25 stops chained between near neighbours, 25 trips each way from
05:30 to 23:00, 30-80 km/h between stops, 30 s dwell; one weekday calendar; transfers.txt
rows between stops closer than 300 m) and, from the centre, walking access to the stops
(sketch ground model at 5 km/h × circuity 1.2, up to 90 minutes), times:

1. suigeo: reading the feed (``read_gtfs``), the date's timetable (``feed_window``) and the
   rides for every departure minute of the window (``stop_minutes``: rounds vectorised over
   the minutes), the median per stop; and ``rings(..., gtfs=...)`` end to end (60, 90 min);
2. the brute-force time-expanded search of the tests (``tests/geo/test_access_gtfs.py``:
   networkx Dijkstra over departure, arrival and waiting events), one search per minute.

Checks that the per-minute times and the medians are identical at every stop reached within
the engine's horizon (the window + 90 min). Run under the shared lock:

    flock /work/wt/bench.lock env PYTHONPATH=$PWD python benchmarks/bench_gtfs.py
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import resource
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
from pyproj import Geod

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "geo"))

from suigeo.geo.access import rings  # noqa: E402
from suigeo.geo.access.settings import resolve_settings  # noqa: E402
from suigeo.geo.access.transit import (  # noqa: E402
    feed_window,
    percentile_rank,
    reduce_percentiles,
    stop_minutes,
)
from suigeo.io.gtfs import read_gtfs  # noqa: E402

DATE = dt.date(2026, 12, 3)
WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CENTRE = (113.3, 23.1)


def _hms(s: int) -> str:
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def make_feed(path: Path, n_stops: int, n_trips: int, seed: int = 7) -> dict[str, int]:
    """Write the generated feed; return its sizes."""
    rng = np.random.default_rng(seed)
    geod = Geod(ellps="GRS80")
    # 60 km ≈ 0.59° of longitude and 0.54° of latitude here
    lon = CENTRE[0] + rng.uniform(-0.295, 0.295, n_stops)
    lat = CENTRE[1] + rng.uniform(-0.27, 0.27, n_stops)
    d = np.hypot((lon[:, None] - lon[None]) * 0.92, lat[:, None] - lat[None])
    near = np.argsort(d, axis=1)[:, 1:9]
    trips_per_route = 50
    n_routes = max(1, n_trips // trips_per_route)
    stops = [["stop_id", "stop_name", "stop_lat", "stop_lon"]]
    stops += [[f"S{i}", f"stop {i}", f"{lat[i]:.6f}", f"{lon[i]:.6f}"] for i in range(n_stops)]
    trips = [["route_id", "service_id", "trip_id", "direction_id"]]
    times = [["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"]]
    n_st = 0
    for r in range(n_routes):
        k = int(rng.integers(12, 26))
        chain = [int(rng.integers(n_stops))]
        while len(chain) < k:
            options = [s for s in near[chain[-1]] if s not in chain]
            if not options:
                break
            chain.append(int(rng.choice(options)))
        a, b = np.array(chain[:-1]), np.array(chain[1:])
        _, _, dist = geod.inv(lon[a], lat[a], lon[b], lat[b])
        ride = np.maximum(60, np.round(dist / (rng.uniform(30, 80) / 3.6))).astype(int)
        for direction in (0, 1):
            seq = chain if direction == 0 else chain[::-1]
            rides = ride if direction == 0 else ride[::-1]
            starts = np.sort(rng.integers(5 * 3600 + 1800, 23 * 3600, trips_per_route // 2))
            for j, start in enumerate(starts):
                tid = f"R{r}_{direction}_{j}"
                trips.append([f"R{r}", "WK", tid, str(direction)])
                clock = int(start)
                for q, s in enumerate(seq):
                    dep = clock + (30 if 0 < q < len(seq) - 1 else 0)
                    times.append([tid, _hms(clock), _hms(dep), f"S{s}", str(q + 1)])
                    n_st += 1
                    if q < len(rides):
                        clock = dep + int(rides[q])
    i, j = np.nonzero((d * 111_000 < 300) & ~np.eye(n_stops, dtype=bool))
    transfers = [["from_stop_id", "to_stop_id", "transfer_type", "min_transfer_time"]]
    transfers += [[f"S{a}", f"S{b}", "2", "240"] for a, b in zip(i, j, strict=True)]
    cal = [
        ["service_id", *WEEK, "start_date", "end_date"],
        ["WK", 1, 1, 1, 1, 1, 0, 0, "20260101", "20261231"],
    ]
    files = {
        "stops.txt": stops,
        "trips.txt": trips,
        "stop_times.txt": times,
        "calendar.txt": cal,
        "transfers.txt": transfers,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, rows in files.items():
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerows(rows)
            z.writestr(name, buf.getvalue())
    return {
        "stops": n_stops,
        "routes": n_routes,
        "trips": len(trips) - 1,
        "stop_times": n_st,
        "transfers": len(transfers) - 1,
    }


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stops", type=int, default=500)
    ap.add_argument("--trips", type=int, default=5000)
    ap.add_argument("--window", type=int, default=60)
    ap.add_argument("--depart", default="08:00")
    ap.add_argument("--out", default="/tmp/bench_gtfs_feed.zip")
    ap.add_argument("--skip-brute", action="store_true")
    args = ap.parse_args()
    path = Path(args.out)
    sizes = make_feed(path, args.stops, args.trips)
    print("feed:", ", ".join(f"{v:,} {k}" for k, v in sizes.items()))
    settings = resolve_settings(
        {"ground.speed_kmh": 5.0, "ground.circuity": 1.2, "gtfs.board_min": 0.0}
    )
    horizon = 90.0

    t = time.perf_counter()
    feed = read_gtfs(path)
    t_read = time.perf_counter() - t
    t = time.perf_counter()
    depart = f"{DATE}T{args.depart}"
    tt, deps, _ = feed_window(feed, depart, args.window, horizon, settings)
    t_table = time.perf_counter() - t
    ids = feed.stops["stop_id"].to_numpy()
    lon, lat = feed.stops["lon"].to_numpy(), feed.stops["lat"].to_numpy()
    _, _, dist = Geod(ellps="GRS80").inv(
        np.full(len(lon), CENTRE[0]), np.full(len(lon), CENTRE[1]), lon, lat
    )
    walk = dist * 1.2 / (5000 / 60)
    acc = np.where(walk <= horizon, walk, np.inf)[None, :]
    t = time.perf_counter()
    mins = stop_minutes(tt, acc, deps, settings).minutes[0]  # (M, S)
    med = reduce_percentiles(mins, [50.0])[0]
    t_rides = time.perf_counter() - t
    print(
        f"suigeo: read {t_read:.2f} s, timetable of the date {t_table:.2f} s "
        f"({len(tt.dep):,} connections, {tt.n_trips:,} trip instances), rides for "
        f"{len(deps)} minutes + median {t_rides:.3f} s; stops with access "
        f"{np.isfinite(acc).sum()}, reached (median) {np.isfinite(med).sum()}; "
        f"peak {peak_mb():.0f} MB"
    )
    t = time.perf_counter()
    r = rings(
        CENTRE,
        minutes=[60, 90],
        gtfs=feed,
        depart=depart,
        window=args.window,
        settings=settings,
    )
    t_rings = time.perf_counter() - t
    print(
        f"suigeo rings(gtfs=..., window={args.window}) end to end (feed already read): "
        f"{t_rings:.2f} s; areas {', '.join(f'{a:,.0f}' for a in r['area_km2'])} km²"
    )
    if args.skip_brute:
        return
    from test_access_gtfs import Reference

    t = time.perf_counter()
    # the search graph holds the calls between the window's start and its end + the horizon
    span = (float(deps[0]), float(deps[-1] + horizon * 60))
    ref = Reference(
        path, DATE, transfer_s=settings["gtfs.transfer_min"] * 60, board_s=0.0, span=span
    )
    t_graph = time.perf_counter() - t
    access = {sid: a * 60 for sid, a in zip(ids, acc[0], strict=True) if np.isfinite(a)}
    t = time.perf_counter()
    ref_min = np.full_like(mins, np.inf)
    for m, t0 in enumerate(deps):
        arr = ref.arrivals_from(int(t0), access)
        for s, sid in enumerate(ids):
            if sid in arr:
                ref_min[m, s] = (arr[sid] - t0) / 60 + settings["gtfs.egress_min"]
    t_brute = time.perf_counter() - t
    within = ref_min <= horizon
    same = np.array_equal(mins[within], ref_min[within])
    k = percentile_rank(50, len(deps))
    ref_med = np.sort(np.where(within, ref_min, np.inf), axis=0)[k]
    same_med = np.array_equal(np.where(med <= horizon, med, np.inf), ref_med)
    print(
        f"brute force (networkx time-expanded graph, {ref.g.number_of_nodes():,} nodes, "
        f"{ref.g.number_of_edges():,} arcs): graph {t_graph:.2f} s, {len(deps)} searches "
        f"{t_brute:.2f} s; peak {peak_mb():.0f} MB"
    )
    print(
        f"identical per-minute times within {horizon:g} min: {same} "
        f"({int(within.sum()):,} stop-minutes); identical medians: {same_med}"
    )
    print(
        f"ratio (searches only): {t_brute / t_rides:.0f}x; including the graph / timetable "
        f"build: {(t_brute + t_graph) / (t_rides + t_table):.0f}x"
    )


if __name__ == "__main__":
    main()
