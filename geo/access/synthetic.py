"""A SYNTHETIC GTFS feed from rail lines: invented timetables on real station orders.

:func:`gtfs_from_rail` writes a GTFS zip whose stops are the stations of the (shipped or
given) rail lines and whose trips run each line end to end in both directions at a fixed
headway, with ride times from the same model as the design-speed rail graph
(:mod:`geo.access.rail`: track length ÷ speed, rounded up to whole minutes) and a fixed dwell
at every intermediate station. It is **not a real timetable**: use it to try the timetable
engine (:mod:`geo.access.transit`) on the shipped lines, in tests and in examples; the feed
says so in its ``feed_info.txt`` and in every route's description.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from suigeo.errors import InputError
from suigeo.geo.access.origins import load_rail
from suigeo.geo.access.plane import geodesic_m
from suigeo.geo.access.rail import _long_table, _select_lines, _station_table
from suigeo.geo.access.settings import Settings, resolve_settings
from suigeo.io.atomic import atomic_output
from suigeo.io.gtfs import WEEKDAYS

__all__ = ["SYNTHETIC_NOTE", "gtfs_from_rail"]

SYNTHETIC_NOTE = (
    "SYNTHETIC timetable made by suigeo.geo.access.gtfs_from_rail: real station order, "
    "invented departures (fixed headway, ride times from design/operating speeds) - not a "
    "published timetable"
)


def _hhmm(text: str) -> int:
    try:
        h, m = (int(x) for x in text.split(":"))
    except ValueError:
        raise InputError(f"time {text!r} must be HH:MM") from None
    return h * 60 + m


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def gtfs_from_rail(
    output: str | os.PathLike[str],
    *,
    rails: gpd.GeoDataFrame | None = None,
    stations: gpd.GeoDataFrame | None = None,
    include_planned: bool = False,
    headway_min: int = 30,
    first: str = "06:00",
    last: str = "22:00",
    dwell_min: int = 2,
    start_date: dt.date = dt.date(2026, 1, 1),
    end_date: dt.date = dt.date(2026, 12, 31),
    settings: Mapping[str, Any] | Settings | None = None,
) -> Path:
    """Write a **synthetic** GTFS feed (zip) for the rail lines: every line run end to end
    both ways every ``headway_min`` minutes from ``first`` to ``last`` (departures from the
    first station), every day from ``start_date`` to ``end_date``.

    Ride time between consecutive stations: the design-speed model of
    :mod:`geo.access.rail` (track length ÷ the line's speed, ``settings`` as there) rounded
    up to whole minutes; ``dwell_min`` at each intermediate station. Stations closer than
    ``rail.transfer_radius_m`` get transfers.txt rows of ``gtfs.transfer_min``.

    Returns
    -------
    pathlib.Path
        The feed written (atomically).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from suigeo.io.gtfs import read_gtfs
    >>> with tempfile.TemporaryDirectory() as d:
    ...     feed = read_gtfs(gtfs_from_rail(pathlib.Path(d) / "rail.zip", headway_min=60))
    >>> sorted(set(feed.stops["stop_name"]))[:2], len(feed.rejects)  # doctest: +SKIP
    """
    p = resolve_settings(settings)
    if headway_min < 1 or dwell_min < 0:
        raise InputError("headway_min must be ≥ 1 and dwell_min ≥ 0")
    lines, st = load_rail(rails, stations)
    used = _select_lines(lines, include_planned)
    if len(used) == 0:
        raise InputError("no rail line in the scenario: nothing to make a feed of")
    table = _station_table(st)
    long = _long_table(pd.DataFrame(used.drop(columns=used.geometry.name)), table, p)
    t0, t1 = _hhmm(first), _hhmm(last)
    rows_trips, rows_times = [], []
    for line, grp in long.groupby("line", sort=False):
        ids = table["id"].to_numpy()[grp["sidx"].to_numpy()]
        ride = [max(1, math.ceil(x)) for x in grp["seg_min"].to_numpy()[:-1]]
        for d, (order, rides) in enumerate(((ids, ride), (ids[::-1], ride[::-1]))):
            for k, start in enumerate(range(t0, t1 + 1, headway_min)):
                trip = f"{line}_{'ab'[d]}{k + 1:03d}"
                rows_trips.append((str(line), "daily", trip, str(d)))
                clock = start
                for seq, sid in enumerate(order):
                    arr = clock
                    dep = arr if seq in (0, len(order) - 1) else arr + dwell_min
                    rows_times.append((trip, _clock(arr), _clock(dep), sid, seq + 1))
                    if seq < len(rides):
                        clock = dep + rides[seq]
    served = table[table["id"].isin(set(long["station"]))].reset_index(drop=True)
    lon, lat = served["lon"].to_numpy(), served["lat"].to_numpy()
    dist = geodesic_m(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    i, j = np.nonzero((dist <= p["rail.transfer_radius_m"]) & ~np.eye(len(served), dtype=bool))
    secs = round(p["gtfs.transfer_min"] * 60)
    files = {
        "agency.txt": pd.DataFrame(
            {
                "agency_id": ["synthetic"],
                "agency_name": ["suigeo synthetic rail"],
                "agency_url": ["https://example.invalid/"],
                "agency_timezone": ["Asia/Shanghai"],
            }
        ),
        "feed_info.txt": pd.DataFrame(
            {
                "feed_publisher_name": [SYNTHETIC_NOTE],
                "feed_publisher_url": ["https://example.invalid/"],
                "feed_lang": ["zh"],
            }
        ),
        "stops.txt": pd.DataFrame(
            {
                "stop_id": served["id"],
                "stop_name": served["name_zh"],
                "stop_lat": served["lat"].round(7),
                "stop_lon": served["lon"].round(7),
            }
        ),
        "routes.txt": pd.DataFrame(
            {
                "route_id": used["id"].astype(str).to_numpy(),
                "agency_id": "synthetic",
                "route_short_name": used["name_zh"].astype(str).to_numpy()
                if "name_zh" in used.columns
                else used["id"].astype(str).to_numpy(),
                "route_type": 2,
                "route_desc": SYNTHETIC_NOTE,
            }
        ),
        "trips.txt": pd.DataFrame(
            rows_trips, columns=["route_id", "service_id", "trip_id", "direction_id"]
        ),
        "stop_times.txt": pd.DataFrame(
            rows_times,
            columns=["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"],
        ),
        "calendar.txt": pd.DataFrame(
            {
                "service_id": ["daily"],
                **{day: [1] for day in WEEKDAYS},
                "start_date": [start_date.strftime("%Y%m%d")],
                "end_date": [end_date.strftime("%Y%m%d")],
            }
        ),
        "transfers.txt": pd.DataFrame(
            {
                "from_stop_id": served["id"].to_numpy()[i],
                "to_stop_id": served["id"].to_numpy()[j],
                "transfer_type": 2,
                "min_transfer_time": secs,
            }
        ),
    }
    with atomic_output(output) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for name, frame in files.items():
            buf = io.StringIO()
            frame.to_csv(buf, index=False, lineterminator="\n")
            z.writestr(name, buf.getvalue())
    return Path(output)
