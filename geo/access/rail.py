"""The rail graph: stations, lines in both directions, stops, access, egress, transfers.

Nodes (local numbering): first one *ground* node per station used (the street side of the
station), then for every (line, position, direction) a *departure* and an *arrival* node.

Edges, all in minutes:

- ground → departure: ``rail.access_min`` (be at the station before the train leaves);
- arrival → ground: ``rail.egress_min``;
- departure(k) → arrival(k+1): running time = track length ÷ speed;
- arrival(k) → departure(k) on the same line and direction: the stop penalty of the line's
  kind (acceleration, braking and dwell), so a ride through ``n`` intermediate stops costs
  ``n`` penalties;
- arrival on one line → departure on another at the same station, or a station within
  ``rail.transfer_radius_m``: ``rail.transfer_min`` (a change of trains);
- through running (``rail.through_running``, on by default): where a through-service table
  says trains run on from line A onto line B at junction station J, arrival on A at J
  (travelling towards J along the service) → departure on B at J (onwards along the
  service) costs only A's stop penalty, as an intermediate stop would; the reverse
  direction likewise with B's penalty. When the table lists the service's ``stops`` and J
  is not among them, the trains pass J without stopping and the junction costs nothing.
  Other changes of line at J keep the transfer time.

Track length between stations: the geodesic distance between them × (published line length
÷ sum of station-to-station distances) when the line has a published length, otherwise ×
``rail.track_circuity``. Speed: the line's ``operating_speed_kmh`` where known, else its
design speed, else the default of its kind (``rail.default_speed_kmh``); in every case at
most ``rail.max_speed_kmh`` of its kind.

Through-service table (e.g. :func:`layers.through_services`): columns ``id``, ``lines``
(line ids in running order joined by ``;``), ``via`` (start, junctions and end station ids
joined by ``;``, one more than the lines; leg k runs on ``lines[k]`` from ``via[k]`` to
``via[k+1]``) and optionally ``status`` and ``stops`` (the stations the trains call at,
joined by ``;``; empty or absent: they call at every junction). A service is used when its
status belongs to the scenario and all its lines are in the graph; trains are taken to run
both ways.

A user timetable (``from``, ``to``, ``minutes``; station ids or names) replaces the lines:
each row is a ride from one station to another in that direction, with access, egress and
transfers as above.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from suigeo.errors import InputError
from suigeo.geo.access.graph import EdgeList
from suigeo.geo.access.plane import geodesic_m, project
from suigeo.geo.access.settings import Settings

__all__ = ["RailNet", "build_rail"]

STATUSES_IN_SERVICE = ("in_service",)
STATUSES_PLANNED = ("in_service", "under_construction", "planned")
KINDS = ("high_speed", "intercity", "conventional")


@dataclass
class RailNet:
    """Station table (``id``, ``name_zh``, ``lon``, ``lat``) and local edges."""

    stations: pd.DataFrame
    u: np.ndarray
    v: np.ndarray
    w: np.ndarray
    n_nodes: int
    lines: list[str]

    def attach(self, edges: EdgeList) -> np.ndarray:
        """Add this graph to ``edges``; return the global ids of the station ground nodes."""
        ids = edges.add_nodes(self.n_nodes)
        edges.add(ids[self.u], ids[self.v], self.w)
        return ids[: len(self.stations)]

    def xy(self, plane: CRS) -> tuple[np.ndarray, np.ndarray]:
        """Station coordinates in ``plane`` (metres)."""
        return project(self.stations["lon"].to_numpy(), self.stations["lat"].to_numpy(), plane)

    @property
    def empty(self) -> bool:
        """True when no station is served (no rail, or no line in the scenario)."""
        return len(self.stations) == 0


def _station_table(stations: gpd.GeoDataFrame) -> pd.DataFrame:
    if "id" not in stations.columns:
        raise InputError("the rail stations need an 'id' column")
    geom = stations.geometry
    if not geom.geom_type.isin(["Point"]).all():
        geom = geom.representative_point()
    names = stations["name_zh"] if "name_zh" in stations.columns else stations["id"]
    tab = pd.DataFrame(
        {
            "id": stations["id"].astype(str).to_numpy(),
            "name_zh": names.astype(str).to_numpy(),
            "lon": geom.x.to_numpy(),
            "lat": geom.y.to_numpy(),
        }
    )
    dup = tab["id"].duplicated()
    if dup.any():
        raise InputError(f"duplicate station ids: {', '.join(tab['id'][dup].unique()[:10])}")
    return tab


def _num_col(df: pd.DataFrame, name: str) -> pd.Series:
    if name not in df.columns:
        return pd.Series(np.nan, index=df.index, dtype=float)
    return pd.to_numeric(df[name], errors="coerce").astype(float)


def _long_table(lines: pd.DataFrame, st: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """One row per (line, station position) with the running time to the next position."""
    for col in ("id", "stations"):
        if col not in lines.columns:
            raise InputError(f"the rail lines need a {col!r} column")
    if "kind" in lines.columns:
        kind = lines["kind"].astype(str)
    else:
        kind = pd.Series("conventional", index=lines.index)
    bad = ~kind.isin(KINDS)
    if bad.any():
        raise InputError(
            f"rail line {lines['id'][bad].iloc[0]!r}: kind {kind[bad].iloc[0]!r} is not one of "
            f"{', '.join(KINDS)}"
        )
    speed = _num_col(lines, "design_speed_kmh")
    default = kind.map(settings.group("rail.default_speed_kmh"))
    cap = kind.map(settings.group("rail.max_speed_kmh"))
    operating = _num_col(lines, "operating_speed_kmh")
    speed = np.minimum(operating.where(operating > 0).fillna(speed).fillna(default), cap)
    pub = _num_col(lines, "length_km_published")
    per_line = pd.DataFrame(
        {
            "line": lines["id"].astype(str).to_numpy(),
            "kind": kind.to_numpy(),
            "speed": speed.to_numpy(dtype=float),
            "penalty": kind.map(settings.group("rail.stop_penalty_min")).to_numpy(dtype=float),
            "published_km": pub.to_numpy(dtype=float),
            "stations": lines["stations"].astype(str).to_numpy(),
        }
    )
    long = per_line.assign(station=per_line["stations"].str.split(";")).explode("station")
    long["station"] = long["station"].str.strip()
    long = long[long["station"] != ""].drop(columns="stations").reset_index(drop=True)
    long["pos"] = long.groupby("line", sort=False).cumcount()
    pos = pd.Index(st["id"]).get_indexer(long["station"])
    if (pos < 0).any():
        row = long[pos < 0].iloc[0]
        raise InputError(
            f"rail line {row['line']!r} lists station {row['station']!r}, which is not in the "
            "stations layer"
        )
    long["sidx"] = pos
    long["lon"] = st["lon"].to_numpy()[pos]
    long["lat"] = st["lat"].to_numpy()[pos]
    same_next = long["line"].to_numpy()[1:] == long["line"].to_numpy()[:-1]
    seg = np.full(len(long), np.nan)
    d = geodesic_m(long["lon"][:-1], long["lat"][:-1], long["lon"][1:], long["lat"][1:])
    seg[:-1] = np.where(same_next, d, np.nan)
    long["seg_m"] = seg
    straight = long.groupby("line", sort=False)["seg_m"].transform("sum")
    factor = np.where(
        (long["published_km"] > 0) & (straight > 0),
        long["published_km"] * 1000.0 / straight,
        settings["rail.track_circuity"],
    )
    long["seg_min"] = long["seg_m"] * factor / 1000.0 / long["speed"] * 60.0
    long["both"] = True
    return long


def _timetable_table(tt: pd.DataFrame, st: pd.DataFrame) -> pd.DataFrame:
    for col in ("from", "to", "minutes"):
        if col not in tt.columns:
            raise InputError(f"the timetable needs columns from, to, minutes (missing {col!r})")
    by_id = pd.Series(np.arange(len(st)), index=st["id"])
    by_name = pd.Series(np.arange(len(st)), index=st["name_zh"]).groupby(level=0).first()

    def find(col: str) -> np.ndarray:
        keys = tt[col].astype(str).str.strip()
        idx = keys.map(by_id).fillna(keys.map(by_name))
        if idx.isna().any():
            row = int(np.flatnonzero(idx.isna().to_numpy())[0])
            raise InputError(
                f"timetable row {row + 1}, column {col!r}: unknown station {keys.iloc[row]!r}"
            )
        return idx.to_numpy(dtype=np.int64)

    minutes = pd.to_numeric(tt["minutes"], errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(minutes) & (minutes > 0))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"timetable row {row + 1}, column 'minutes': {tt['minutes'].iloc[row]!r} is "
            "not a positive number"
        )
    a, b = find("from"), find("to")
    n = len(tt)
    sidx = np.empty(2 * n, dtype=np.int64)
    sidx[0::2], sidx[1::2] = a, b
    seg = np.full(2 * n, np.nan)
    seg[0::2] = minutes
    return pd.DataFrame(
        {
            "line": np.repeat([f"timetable:{i + 1}" for i in range(n)], 2),
            "sidx": sidx,
            "lon": st["lon"].to_numpy()[sidx],
            "lat": st["lat"].to_numpy()[sidx],
            "seg_min": seg,
            "penalty": 0.0,
            "both": False,
        }
    )


def _select_lines(lines: gpd.GeoDataFrame, include_planned: bool) -> gpd.GeoDataFrame:
    if "status" not in lines.columns:
        return lines
    wanted = STATUSES_PLANNED if include_planned else STATUSES_IN_SERVICE
    return lines[lines["status"].astype(str).isin(wanted)]


def _legs(
    through: pd.DataFrame, all_lines: set[str], used: set[str], wanted: tuple[str, ...]
) -> pd.DataFrame:
    """One row per leg (service, k, line, from, to) of the services that apply."""
    for col in ("lines", "via"):
        if col not in through.columns:
            raise InputError(f"the through-service table needs a {col!r} column")
    ids = through["id"].astype(str) if "id" in through.columns else through.index.astype(str)
    status = (
        through["status"].astype(str)
        if "status" in through.columns
        else pd.Series("in_service", index=through.index)
    )

    def ids_of(col: str) -> list[list[str]]:
        cells = through[col].fillna("").astype(str)
        return [[x.strip() for x in v.split(";") if x.strip()] for v in cells]

    stops = ids_of("stops") if "stops" in through.columns else [[] for _ in range(len(through))]
    rows = []
    # a small table (a handful of services): one pass over its rows to check and unfold them
    for r, (sid, st, lines, via, stop) in enumerate(
        zip(ids, status, ids_of("lines"), ids_of("via"), stops, strict=True)
    ):
        if not lines or len(via) != len(lines) + 1:
            raise InputError(
                f"through-service table row {r + 1} ({sid}), column 'via': give one station more "
                f"than there are lines ({len(lines)} lines, {len(via)} stations)"
            )
        unknown = [x for x in lines if x not in all_lines]
        if unknown:
            raise InputError(
                f"through-service table row {r + 1} ({sid}), column 'lines': unknown line "
                f"{unknown[0]!r}"
            )
        if st in wanted and set(lines) <= used:
            # a junction the train passes without stopping: listed stops that leave it out
            halt = [not stop or via[k] in stop for k in range(len(lines))]
            rows += [
                (sid, r, k, ln, via[k], via[k + 1], halt[k], ";".join(stop))
                for k, ln in enumerate(lines)
            ]
    cols = ["service", "row", "k", "line", "frm", "to", "halt", "stops"]
    return pd.DataFrame(rows, columns=cols)


def _through_table(
    long: pd.DataFrame, legs: pd.DataFrame, settings: Settings
) -> pd.DataFrame | None:
    """Junctions ``(ra, da, rb, db, wa, wb)``: arrive at row ``ra`` of ``long`` in direction
    ``da``, leave from row ``rb`` in direction ``db`` (and back), stop penalties ``wa``/``wb``."""
    if not settings["rail.through_running"] or legs.empty:
        return None
    key = pd.Series(np.arange(len(long)), index=long["line"] + "\x00" + long["station"])
    key = key[~key.index.duplicated()]
    r_from = (legs["line"] + "\x00" + legs["frm"]).map(key)
    r_to = (legs["line"] + "\x00" + legs["to"]).map(key)
    bad = r_from.isna() | r_to.isna() | (legs["frm"] == legs["to"])
    if bad.any():
        leg = legs[bad].iloc[0]
        raise InputError(
            f"through-service table row {leg['row'] + 1} ({leg['service']}), column 'via': "
            f"{leg['frm']} → {leg['to']} is not a leg of line {leg['line']!r}"
        )
    on_lines = set(long["line"] + "\x00" + long["station"])
    for leg in legs[legs["k"] == 0].itertuples():
        mine = legs.loc[legs["row"] == leg.row, "line"]
        for x in filter(None, leg.stops.split(";")):
            if not any(f"{ln}\x00{x}" in on_lines for ln in mine):
                raise InputError(
                    f"through-service table row {leg.row + 1} ({leg.service}), column "
                    f"'stops': {x} is not a station of the service's lines"
                )
    pos = long["pos"].to_numpy()
    a, b = r_from.to_numpy(dtype=np.int64), r_to.to_numpy(dtype=np.int64)
    # direction 0 runs towards higher positions on the line (see _edges)
    legs = legs.assign(r_from=a, r_to=b, d=np.where(pos[b] > pos[a], 0, 1))
    nxt = legs.assign(k=legs["k"] - 1)
    j = legs.merge(nxt, on=["row", "k"], suffixes=("_a", "_b"))
    pen = long["penalty"].to_numpy(dtype=float)
    halt = j["halt_b"].to_numpy(dtype=bool)  # leg b starts at the junction
    return pd.DataFrame(
        {
            "ra": j["r_to_a"].to_numpy(),
            "da": j["d_a"].to_numpy(),
            "rb": j["r_from_b"].to_numpy(),
            "db": j["d_b"].to_numpy(),
            "wa": np.where(halt, pen[j["r_to_a"].to_numpy()], 0.0),
            "wb": np.where(halt, pen[j["r_from_b"].to_numpy()], 0.0),
        }
    )


def build_rail(
    lines: gpd.GeoDataFrame | None,
    stations: gpd.GeoDataFrame | None,
    settings: Settings,
    *,
    include_planned: bool = False,
    timetable: pd.DataFrame | None = None,
    through: pd.DataFrame | None = None,
) -> RailNet:
    """Build the rail graph (see the module docstring); ``through`` is the optional
    through-service table (ignored with a timetable or ``rail.through_running = false``)."""
    empty = RailNet(
        pd.DataFrame({"id": [], "name_zh": [], "lon": [], "lat": []}),
        np.zeros(0, np.int64),
        np.zeros(0, np.int64),
        np.zeros(0),
        0,
        [],
    )
    if stations is None or len(stations) == 0:
        return empty
    st_all = _station_table(stations)
    junctions = None
    if timetable is not None:
        long = _timetable_table(timetable, st_all)
    else:
        if lines is None:
            return empty
        used = _select_lines(lines, include_planned)
        if len(used) == 0:
            return empty
        long = _long_table(pd.DataFrame(used.drop(columns=used.geometry.name)), st_all, settings)
        if through is not None:
            wanted = STATUSES_PLANNED if include_planned else STATUSES_IN_SERVICE
            legs = _legs(
                through,
                set(lines["id"].astype(str)),
                set(used["id"].astype(str)),
                wanted,
            )
            junctions = _through_table(long, legs, settings)
    # keep only the stations the lines use, renumbered 0..n-1
    keep, local = np.unique(long["sidx"].to_numpy(), return_inverse=True)
    st = st_all.iloc[keep].reset_index(drop=True)
    return _edges(long.assign(local=local), st, settings, junctions)


def _edges(
    long: pd.DataFrame, st: pd.DataFrame, settings: Settings, junctions: pd.DataFrame | None = None
) -> RailNet:
    ns, nr = len(st), len(long)
    g = long["local"].to_numpy()
    rows = np.arange(nr)
    dep = {d: ns + 4 * rows + 2 * d for d in (0, 1)}
    arr = {d: ns + 4 * rows + 2 * d + 1 for d in (0, 1)}
    both = long["both"].to_numpy(dtype=bool)
    us: list[np.ndarray] = []
    vs: list[np.ndarray] = []
    ws: list[np.ndarray] = []

    def add(u, v, w):
        u = np.asarray(u)
        us.append(u)
        vs.append(np.asarray(v))
        ws.append(np.broadcast_to(np.asarray(w, dtype=float), u.shape))

    acc, egr = settings["rail.access_min"], settings["rail.egress_min"]
    pen = long["penalty"].to_numpy(dtype=float)
    for d in (0, 1):
        add(g, dep[d], acc)
        add(arr[d], g, egr)
        add(arr[d], dep[d], pen)
    seg = long["seg_min"].to_numpy(dtype=float)
    k = np.flatnonzero(np.isfinite(seg))
    add(dep[0][k], arr[0][k + 1], seg[k])
    kb = k[both[k]]
    add(dep[1][kb + 1], arr[1][kb], seg[kb])
    # transfers between positions of different lines at the same or a nearby station
    lon, lat = st["lon"].to_numpy()[g], st["lat"].to_numpy()[g]
    dist = geodesic_m(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    line = long["line"].to_numpy()
    i, j = np.nonzero(
        (dist <= settings["rail.transfer_radius_m"]) & (line[:, None] != line[None, :])
    )
    for d1 in (0, 1):
        for d2 in (0, 1):
            add(arr[d1][i], dep[d2][j], settings["rail.transfer_min"])
    if junctions is not None and len(junctions):
        ra, da, rb, db = (junctions[c].to_numpy(dtype=np.int64) for c in ("ra", "da", "rb", "db"))
        # onwards along the service, and back the other way
        add(ns + 4 * ra + 2 * da + 1, ns + 4 * rb + 2 * db, junctions["wa"].to_numpy())
        add(ns + 4 * rb + 2 * (1 - db) + 1, ns + 4 * ra + 2 * (1 - da), junctions["wb"].to_numpy())
    u, v, w = (np.concatenate(x) for x in (us, vs, ws))
    return RailNet(st, u.astype(np.int64), v.astype(np.int64), w, ns + 4 * nr, sorted(set(line)))
