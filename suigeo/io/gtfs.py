"""GTFS feeds: a zip of CSV files (stops, trips, stop_times, calendar, ...) read and checked.

:func:`read_gtfs` reads the files the travel-time engines use, every column as text
(pyarrow's CSV reader), and checks them: required files and columns are a one-line error
naming the file and the column; a bad row (a time that is not ``H:MM:SS``, a stop without a
position, a stop time of an unknown trip or stop, a duplicate id, a time running backwards
along a trip) is set aside and listed in :attr:`GtfsFeed.rejects` with its file, row (the
1-based data row: the line number minus one), column, reason and the row as read. Nothing
read is dropped without a reject.

Files read (GTFS reference, https://gtfs.org/documentation/schedule/reference/):

- ``stops.txt`` (required): ``stop_id``, ``stop_lat``, ``stop_lon``; optional
  ``stop_name``, ``parent_station``, ``location_type``.
- ``trips.txt`` (required): ``route_id``, ``service_id``, ``trip_id``.
- ``stop_times.txt`` (required): ``trip_id``, ``arrival_time``, ``departure_time``,
  ``stop_id``, ``stop_sequence``. Times are seconds after noon minus 12 h of the service
  day, and may pass 24:00:00 (``25:10:00`` is 01:10 the next morning). A row with one time
  takes it for both; a row with neither (a stop with interpolated times) is a reject: the
  trip is taken to pass that stop without stopping.
- ``calendar.txt`` and/or ``calendar_dates.txt`` (at least one): the service days.
- ``transfers.txt`` (optional): ``from_stop_id``, ``to_stop_id``, ``transfer_type``,
  ``min_transfer_time``; trip- and route-specific rows and in-seat transfers (types 4, 5)
  are rejects (not supported).
- ``frequencies.txt`` (optional): ``trip_id``, ``start_time``, ``end_time``,
  ``headway_secs``: the trip's stop times are a template repeated every headway.
- ``routes.txt`` (optional): ``route_id``, ``route_type``, ``route_short_name``.

Examples
--------
>>> import io, zipfile
>>> buf = io.BytesIO()
>>> with zipfile.ZipFile(buf, "w") as z:
...     z.writestr("stops.txt", "stop_id,stop_lat,stop_lon\\nA,23.1,113.3\\nB,23.2,113.4\\n")
...     z.writestr("trips.txt", "route_id,service_id,trip_id\\nR,S,T1\\n")
...     z.writestr(
...         "stop_times.txt",
...         "trip_id,arrival_time,departure_time,stop_id,stop_sequence\\n"
...         "T1,08:00:00,08:00:00,A,1\\nT1,25:10:00,,B,2\\nT1,8h,8h,A,3\\n",
...     )
...     z.writestr("calendar_dates.txt", "service_id,date,exception_type\\nS,20261203,1\\n")
>>> feed = read_gtfs(buf)
>>> feed.stop_times[["stop_id", "arrival", "departure"]].to_numpy().tolist()
[['A', 28800, 28800], ['B', 90600, 90600]]
>>> feed.rejects[["file", "row", "column", "reason"]].to_numpy().tolist()
[['stop_times.txt', 3, 'arrival_time', 'bad time']]
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile
from dataclasses import dataclass
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv

from suigeo.errors import InputError

__all__ = ["GtfsFeed", "parse_times", "read_gtfs"]

REQUIRED = {
    "stops.txt": ("stop_id", "stop_lat", "stop_lon"),
    "trips.txt": ("route_id", "service_id", "trip_id"),
    "stop_times.txt": ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"),
}
#: the weekday columns of calendar.txt, Monday first (``date.weekday()`` order)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CALENDAR = ("service_id", *WEEKDAYS, "start_date", "end_date")
OPTIONAL = {
    "calendar.txt": CALENDAR,
    "calendar_dates.txt": ("service_id", "date", "exception_type"),
    "transfers.txt": ("from_stop_id", "to_stop_id", "transfer_type"),
    "frequencies.txt": ("trip_id", "start_time", "end_time", "headway_secs"),
    "routes.txt": ("route_id", "route_type"),
}
REJECT_FIELDS = ("row", "column", "reason", "message", "file", "record")

_TIME = re.compile(r"^\s*(\d{1,3}):([0-5]\d):([0-5]\d)\s*$")


def parse_times(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """GTFS times ``H:MM:SS`` (hours may pass 24) → seconds (int64) and a validity mask;
    blank cells are invalid and 0."""
    text = values.fillna("").astype(str)
    parts = text.str.extract(_TIME)
    ok = parts[0].notna().to_numpy()
    nums = parts.fillna("0").astype(np.int64).to_numpy()
    secs = nums[:, 0] * 3600 + nums[:, 1] * 60 + nums[:, 2]
    return np.where(ok, secs, 0).astype(np.int64), ok


@dataclass
class GtfsFeed:
    """A checked feed: tables of the rows kept, with parsed columns, and the rejects.

    ``stops``: ``stop_id``, ``stop_name``, ``lon``, ``lat``, ``parent_station``.
    ``trips``: ``trip_id``, ``route_id``, ``service_id``.
    ``stop_times``: ``trip_id``, ``stop_id``, ``seq`` (int), ``arrival``, ``departure``
    (seconds after the service day's midnight), sorted by trip and sequence.
    ``calendar``: ``service_id``, weekday flags ``monday`` … ``sunday`` (bool),
    ``start_date``, ``end_date`` (``datetime.date``). ``calendar_dates``: ``service_id``,
    ``date``, ``exception_type`` (1 added, 2 removed). ``transfers``: ``from_stop_id``,
    ``to_stop_id``, ``transfer_type`` (0-3), ``min_transfer_time`` (seconds, NaN when
    blank). ``frequencies``: ``trip_id``, ``start``, ``end``, ``headway`` (seconds).
    ``routes``: ``route_id``, ``route_type``, ``route_short_name`` (may be empty).
    ``rejects``: :data:`REJECT_FIELDS`.
    """

    name: str
    stops: pd.DataFrame
    trips: pd.DataFrame
    stop_times: pd.DataFrame
    calendar: pd.DataFrame
    calendar_dates: pd.DataFrame
    transfers: pd.DataFrame
    frequencies: pd.DataFrame
    routes: pd.DataFrame
    rejects: pd.DataFrame

    def service_dates(self) -> tuple[dt.date, dt.date] | None:
        """The first and last date with some service (None when there is none)."""
        days: list[dt.date] = []
        cal = self.calendar
        if len(cal):
            days += [min(cal["start_date"]), max(cal["end_date"])]
        added = self.calendar_dates[self.calendar_dates["exception_type"] == 1]
        if len(added):
            days += [min(added["date"]), max(added["date"])]
        return (min(days), max(days)) if days else None

    def services_on(self, day: dt.date) -> set[str]:
        """The service ids that run on ``day`` (calendar, then calendar_dates exceptions)."""
        cal = self.calendar
        weekday = WEEKDAYS[day.weekday()]
        on = cal[(cal["start_date"] <= day) & (cal["end_date"] >= day) & cal[weekday]]
        out = set(on["service_id"])
        ex = self.calendar_dates[self.calendar_dates["date"] == day]
        out |= set(ex.loc[ex["exception_type"] == 1, "service_id"])
        out -= set(ex.loc[ex["exception_type"] == 2, "service_id"])
        return out


class _Rejects:
    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(
        self, file: str, frame: pd.DataFrame, mask: np.ndarray, column: str, reason: str, msg: str
    ) -> None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        rows = frame[mask]
        record = (
            rows.drop(columns="_row")
            .astype(str)
            .apply(
                lambda r: "; ".join(f"{k}={v}" for k, v in r.items() if v not in ("", "nan")),
                axis=1,
            )
        )
        self.parts.append(
            pd.DataFrame(
                {
                    "row": rows["_row"].to_numpy(dtype=np.int64),
                    "column": column,
                    "reason": reason,
                    "message": msg,
                    "file": file,
                    "record": record.to_numpy(dtype=object),
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({c: [] for c in REJECT_FIELDS}).astype({"row": np.int64})
        return pd.concat(self.parts, ignore_index=True)


def _read_member(zf: zipfile.ZipFile, where: str, member: str, needed: tuple[str, ...]):
    with zf.open(member) as fh:
        data = fh.read()
    if not data.strip():
        raise InputError(f"GTFS feed {where}: {member} is empty (its header row is missing)")
    try:
        table = pcsv.read_csv(
            io.BytesIO(data),
            read_options=pcsv.ReadOptions(encoding="utf-8"),
            convert_options=pcsv.ConvertOptions(
                column_types={}, strings_can_be_null=False, auto_dict_encode=False
            ),
            parse_options=pcsv.ParseOptions(newlines_in_values=True),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        reason = str(exc).splitlines()[0]
        raise InputError(
            f"GTFS feed {where}: {member} cannot be read as UTF-8 CSV: {reason}"
        ) from None
    table = table.rename_columns([c.strip().lstrip("\ufeff") for c in table.column_names])
    frame = pd.DataFrame(
        {
            c: table[c].cast(pa.string()).to_pandas().fillna("").str.strip()
            for c in table.column_names
        }
    )
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise InputError(
            f"GTFS feed {where}: {member} has no column {missing[0]!r} (columns: "
            f"{', '.join(frame.columns)})"
        )
    frame["_row"] = np.arange(1, len(frame) + 1)
    return frame


def _dates(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    parsed = pd.to_datetime(values, format="%Y%m%d", errors="coerce")
    ok = parsed.notna().to_numpy() & values.str.fullmatch(r"\d{8}").to_numpy()
    return np.array([d.date() if d == d else None for d in parsed], dtype=object), ok


def _dup(frame: pd.DataFrame, key: str) -> np.ndarray:
    return frame[key].duplicated().to_numpy()


def _stops(f: pd.DataFrame, rj: _Rejects) -> pd.DataFrame:
    name = "stops.txt"
    blank = (f["stop_id"] == "").to_numpy()
    rj.add(name, f, blank, "stop_id", "missing", "a stop needs a stop_id")
    f = f[~blank]
    dup = _dup(f, "stop_id")
    rj.add(name, f, dup, "stop_id", "duplicate", "stop_id already used by an earlier row")
    f = f[~dup]
    loc = f["location_type"] if "location_type" in f.columns else pd.Series("", index=f.index)
    station_only = loc.isin(["2", "3", "4"]).to_numpy()  # entrances, nodes, boarding areas
    for col, lo, hi in (("stop_lat", -90, 90), ("stop_lon", -180, 180)):
        val = pd.to_numeric(f[col], errors="coerce").to_numpy(dtype=float)
        bad = ~station_only & ~((val >= lo) & (val <= hi))
        rj.add(name, f, bad, col, "bad position", f"{col} must be a number in [{lo}, {hi}]")
        f, station_only = f[~bad], station_only[~bad]
    lat = pd.to_numeric(f["stop_lat"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(f["stop_lon"], errors="coerce").to_numpy(dtype=float)
    parent = f["parent_station"] if "parent_station" in f.columns else pd.Series("", index=f.index)
    return pd.DataFrame(
        {
            "stop_id": f["stop_id"].to_numpy(),
            "stop_name": (f["stop_name"] if "stop_name" in f.columns else f["stop_id"]).to_numpy(),
            "lon": lon,
            "lat": lat,
            "parent_station": parent.to_numpy(),
        }
    )


def _trips(f: pd.DataFrame, rj: _Rejects) -> pd.DataFrame:
    name = "trips.txt"
    for col in ("trip_id", "service_id"):
        blank = (f[col] == "").to_numpy()
        rj.add(name, f, blank, col, "missing", f"a trip needs a {col}")
        f = f[~blank]
    dup = _dup(f, "trip_id")
    rj.add(name, f, dup, "trip_id", "duplicate", "trip_id already used by an earlier row")
    f = f[~dup]
    return pd.DataFrame({c: f[c].to_numpy() for c in ("trip_id", "route_id", "service_id")})


def _stop_times(
    f: pd.DataFrame, rj: _Rejects, stop_ids: set[str], trip_ids: set[str]
) -> pd.DataFrame:
    name = "stop_times.txt"
    bad = ~f["trip_id"].isin(trip_ids).to_numpy()
    rj.add(name, f, bad, "trip_id", "unknown trip", "trip_id is not a kept row of trips.txt")
    f = f[~bad]
    bad = ~f["stop_id"].isin(stop_ids).to_numpy()
    rj.add(name, f, bad, "stop_id", "unknown stop", "stop_id is not a kept row of stops.txt")
    f = f[~bad]
    seq = pd.to_numeric(f["stop_sequence"], errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(seq) & (seq >= 0) & (seq == np.floor(seq)))
    rj.add(name, f, bad, "stop_sequence", "bad sequence", "stop_sequence must be an integer ≥ 0")
    f, seq = f[~bad], seq[~bad]
    arr, arr_ok = parse_times(f["arrival_time"])
    dep, dep_ok = parse_times(f["departure_time"])
    arr_blank = (f["arrival_time"] == "").to_numpy()
    dep_blank = (f["departure_time"] == "").to_numpy()
    both_blank = arr_blank & dep_blank
    rj.add(
        name,
        f,
        both_blank,
        "arrival_time,departure_time",
        "no time",
        "no time at this stop (interpolated times are not supported): the trip passes it",
    )
    bad_arr = ~both_blank & ~arr_blank & ~arr_ok
    rj.add(name, f, bad_arr, "arrival_time", "bad time", "arrival_time must be H:MM:SS")
    bad_dep = ~both_blank & ~bad_arr & ~dep_blank & ~dep_ok
    rj.add(name, f, bad_dep, "departure_time", "bad time", "departure_time must be H:MM:SS")
    keep = ~(both_blank | bad_arr | bad_dep)
    arr = np.where(arr_blank, dep, arr)
    dep = np.where(dep_blank, arr, dep)
    f, seq, arr, dep = f[keep], seq[keep], arr[keep], dep[keep]
    back = dep < arr
    rj.add(name, f, back, "departure_time", "before arrival", "departure_time is before arrival")
    f, seq, arr, dep = f[~back], seq[~back], arr[~back], dep[~back]
    st = pd.DataFrame(
        {
            "trip_id": f["trip_id"].to_numpy(),
            "stop_id": f["stop_id"].to_numpy(),
            "seq": seq.astype(np.int64),
            "arrival": arr,
            "departure": dep,
            "_row": f["_row"].to_numpy(),
        }
    ).sort_values(["trip_id", "seq"], kind="stable")
    dup = st.duplicated(["trip_id", "seq"]).to_numpy()
    # a time running backwards along the trip: arrival before the previous departure
    prev_dep = st.groupby("trip_id", sort=False)["departure"].shift()
    prev_max = prev_dep.groupby(st["trip_id"], sort=False).cummax()
    back = (st["arrival"] < prev_max).to_numpy()
    orig = f.set_index("_row").loc[st["_row"]].reset_index()
    rj.add(name, orig, dup, "stop_sequence", "duplicate", "stop_sequence repeated in the trip")
    rj.add(
        name,
        orig,
        back & ~dup,
        "arrival_time",
        "time goes back",
        "arrival_time is before the departure from an earlier stop of the trip",
    )
    st = st[~(dup | back)].drop(columns="_row").reset_index(drop=True)
    return st


def _calendar(f: pd.DataFrame | None, rj: _Rejects) -> pd.DataFrame:
    cols: dict[str, list] = {c: [] for c in CALENDAR}
    if f is None:
        return pd.DataFrame(cols)
    name = "calendar.txt"
    for day in WEEKDAYS:
        bad = ~f[day].isin(["0", "1"]).to_numpy()
        rj.add(name, f, bad, day, "bad flag", f"{day} must be 0 or 1")
        f = f[~bad]
    out = {"service_id": f["service_id"].to_numpy()}
    for day in WEEKDAYS:
        out[day] = (f[day] == "1").to_numpy()
    good = np.ones(len(f), dtype=bool)
    for col in ("start_date", "end_date"):
        d, ok = _dates(f[col])
        rj.add(name, f, ~ok & good, col, "bad date", f"{col} must be a date YYYYMMDD")
        good &= ok
        out[col] = d
    frame = pd.DataFrame(out)[good]
    return frame.reset_index(drop=True)


def _calendar_dates(f: pd.DataFrame | None, rj: _Rejects) -> pd.DataFrame:
    if f is None:
        return pd.DataFrame({"service_id": [], "date": [], "exception_type": []})
    name = "calendar_dates.txt"
    d, ok = _dates(f["date"])
    rj.add(name, f, ~ok, "date", "bad date", "date must be a date YYYYMMDD")
    f, d = f[ok], d[ok]
    bad = ~f["exception_type"].isin(["1", "2"]).to_numpy()
    rj.add(name, f, bad, "exception_type", "bad type", "exception_type must be 1 or 2")
    f, d = f[~bad], d[~bad]
    return pd.DataFrame(
        {
            "service_id": f["service_id"].to_numpy(),
            "date": d,
            "exception_type": f["exception_type"].astype(int).to_numpy(),
        }
    )


def _transfers(f: pd.DataFrame | None, rj: _Rejects, stop_ids: set[str]) -> pd.DataFrame:
    out = pd.DataFrame(
        {"from_stop_id": [], "to_stop_id": [], "transfer_type": [], "min_transfer_time": []}
    )
    if f is None:
        return out
    name = "transfers.txt"
    for col in ("from_trip_id", "to_trip_id", "from_route_id", "to_route_id"):
        if col in f.columns:
            bad = (f[col] != "").to_numpy()
            rj.add(name, f, bad, col, "not supported", "trip- and route-specific transfers")
            f = f[~bad]
    kind = f["transfer_type"].replace("", "0")
    bad = ~kind.isin(["0", "1", "2", "3"]).to_numpy()
    rj.add(name, f, bad, "transfer_type", "not supported", "transfer_type must be 0, 1, 2 or 3")
    f, kind = f[~bad], kind[~bad]
    for col in ("from_stop_id", "to_stop_id"):
        bad = ~f[col].isin(stop_ids).to_numpy()
        rj.add(name, f, bad, col, "unknown stop", f"{col} is not a kept row of stops.txt")
        f, kind = f[~bad], kind[~bad]
    mtt_text = (
        f["min_transfer_time"] if "min_transfer_time" in f.columns else f["transfer_type"] * 0
    )
    mtt = pd.to_numeric(mtt_text.replace("", np.nan), errors="coerce").to_numpy(dtype=float)
    bad = ((kind == "2").to_numpy() & ~(mtt >= 0)) | ((mtt_text != "").to_numpy() & ~(mtt >= 0))
    rj.add(
        name,
        f,
        bad,
        "min_transfer_time",
        "bad time",
        "min_transfer_time must be seconds ≥ 0 (required with transfer_type 2)",
    )
    return pd.DataFrame(
        {
            "from_stop_id": f["from_stop_id"].to_numpy()[~bad],
            "to_stop_id": f["to_stop_id"].to_numpy()[~bad],
            "transfer_type": kind.astype(int).to_numpy()[~bad],
            "min_transfer_time": mtt[~bad],
        }
    )


def _frequencies(f: pd.DataFrame | None, rj: _Rejects, trip_ids: set[str]) -> pd.DataFrame:
    if f is None:
        return pd.DataFrame({"trip_id": [], "start": [], "end": [], "headway": []})
    name = "frequencies.txt"
    bad = ~f["trip_id"].isin(trip_ids).to_numpy()
    rj.add(name, f, bad, "trip_id", "unknown trip", "trip_id is not a kept row of trips.txt")
    f = f[~bad]
    start, s_ok = parse_times(f["start_time"])
    end, e_ok = parse_times(f["end_time"])
    head = pd.to_numeric(f["headway_secs"], errors="coerce").to_numpy(dtype=float)
    checks = (
        (~s_ok, "start_time", "bad time", "start_time must be H:MM:SS"),
        (s_ok & ~e_ok, "end_time", "bad time", "end_time must be H:MM:SS"),
        (s_ok & e_ok & (end <= start), "end_time", "bad time", "end_time must be after start"),
    )
    good = np.ones(len(f), dtype=bool)
    for mask, col, reason, msg in checks:
        rj.add(name, f, mask & good, col, reason, msg)
        good &= ~mask
    bad_h = good & ~((head > 0) & (head == np.floor(head)))
    rj.add(name, f, bad_h, "headway_secs", "bad headway", "headway_secs must be an integer > 0")
    good &= ~bad_h
    return pd.DataFrame(
        {
            "trip_id": f["trip_id"].to_numpy()[good],
            "start": start[good],
            "end": end[good],
            "headway": head[good].astype(np.int64),
        }
    )


def read_gtfs(source: str | os.PathLike[str] | IO[bytes]) -> GtfsFeed:
    """Read and check a GTFS feed (a ``.zip`` file, or a folder of its ``.txt`` files).

    Raises
    ------
    InputError
        When the feed cannot be opened, a required file or column is missing, or a file is
        not UTF-8 CSV (one line naming the file and the column).
    """
    where = repr(str(source)) if isinstance(source, (str, os.PathLike)) else "(stream)"
    if isinstance(source, (str, os.PathLike)) and os.path.isdir(source):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for entry in sorted(os.listdir(source)):
                if entry.endswith(".txt"):
                    z.write(os.path.join(source, entry), entry)
        buf.seek(0)
        src: str | os.PathLike[str] | IO[bytes] = buf
    else:
        src = source
    try:
        zf = zipfile.ZipFile(src)
    except FileNotFoundError:
        raise InputError(f"GTFS feed {where} does not exist") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"GTFS feed {where} is not a zip file ({exc})") from None
    with zf:
        # members may sit in one folder inside the zip
        members = {n.rsplit("/", 1)[-1]: n for n in zf.namelist() if n.endswith(".txt")}
        for req in REQUIRED:
            if req not in members:
                raise InputError(
                    f"GTFS feed {where} has no {req} (files: "
                    f"{', '.join(sorted(members)) or 'none'})"
                )
        if "calendar.txt" not in members and "calendar_dates.txt" not in members:
            raise InputError(
                f"GTFS feed {where} has neither calendar.txt nor calendar_dates.txt: no "
                "service days"
            )
        raw = {
            m: _read_member(zf, where, members[m], cols)
            for m, cols in {**REQUIRED, **OPTIONAL}.items()
            if m in members
        }
    rj = _Rejects()
    stops = _stops(raw["stops.txt"], rj)
    trips = _trips(raw["trips.txt"], rj)
    st = _stop_times(raw["stop_times.txt"], rj, set(stops["stop_id"]), set(trips["trip_id"]))
    cal = _calendar(raw.get("calendar.txt"), rj)
    cdates = _calendar_dates(raw.get("calendar_dates.txt"), rj)
    transfers = _transfers(raw.get("transfers.txt"), rj, set(stops["stop_id"]))
    freq = _frequencies(raw.get("frequencies.txt"), rj, set(trips["trip_id"]))
    r = raw.get("routes.txt")
    routes = pd.DataFrame(
        {
            "route_id": [] if r is None else r["route_id"].to_numpy(),
            "route_type": [] if r is None else r["route_type"].to_numpy(),
            "route_short_name": []
            if r is None
            else (r["route_short_name"] if "route_short_name" in r.columns else r["route_id"]),
        }
    )
    name = os.fspath(source) if isinstance(source, (str, os.PathLike)) else "(stream)"
    return GtfsFeed(name, stops, trips, st, cal, cdates, transfers, freq, routes, rj.frame())
