"""OpenStreetMap extracts (``.osm.pbf``, ``.osm``) → road lines for the network and raster engines.

The reader is pyosmium (``osmium``, the Python binding of libosmium, maintained by the OSM
developers; the ``osm`` extra): one library reads both PBF and XML, keeps node locations in
C++ and streams the ways, so memory grows with the road network, not with the extract.
Chosen over pyrosm and QuackOSM by measurement (``docs/guide/access.md``, "OpenStreetMap").

What becomes a road (``network.osm.*`` settings, each with its source in ``defaults.toml``):

- ways with a ``highway`` class listed for the mode (``network.osm.drive_classes`` or
  ``network.osm.walk_classes``), and ferries (``route=ferry``); rail and other routes,
  ``area=yes``, and classes not listed (``footway`` for driving, ``motorway`` for walking,
  ``construction``, ``platform`` ...) are left out, counted by reason;
- access: driving is refused by the most specific of ``motorcar``, ``motor_vehicle``,
  ``vehicle``, ``access`` that is given, when it is ``no`` or ``private``; walking by
  ``foot`` (else ``access``) = ``no``/``private``;
- speed (driving): ``maxspeed`` — numbers in km/h, ``mph``, ``knots``, lists ``60;80``
  (their mean, as OSMnx), zone values ``CN:urban`` / ``CN:rural`` / ``CN:motorway`` ... from
  ``network.osm.zone_speeds_kmh``, ``walk`` = ``walk.flat_kmh``; ``none``, ``signals``,
  unknown values and no tag fall back to the class speed (``network.highway_speeds_kmh``);
  walking: ``walk.flat_kmh`` on every way; ferries: their length ÷ ``duration`` (ISO 8601
  ``PT1H30M``, ``HH:MM[:SS]`` or minutes), else ``network.osm.ferry_speed_kmh``;
- one-way (driving only): ``oneway`` = ``yes``/``true``/``1`` along the way, ``-1``/
  ``reverse`` against it, ``no``/``false``/``0``/``reversible``/``alternating`` both ways;
  without the tag, ``junction=roundabout``/``circular`` and ``highway=motorway`` are one-way;
  ways driven against their drawing are reversed, so every edge runs in its direction of
  travel and its ``oneway`` is ``yes`` or ``no``;
- topology: every way is split at each node another way (or the same way again) uses, so
  edges meet exactly at junctions, as in OSM; a node missing from the extract (a way cut by
  the extract's edge) cuts the way there. Coordinates are OSM's WGS 84, taken as CGCS2000
  (EPSG:4490) like every input of suigeo (the two agree to a few centimetres).
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from suigeo.errors import InputError
from suigeo.geo.access.settings import Settings, resolve_settings

__all__ = [
    "MODES",
    "OsmNetwork",
    "is_osm",
    "parse_duration_min",
    "parse_maxspeed",
    "prepare",
    "read_osm",
]

log = logging.getLogger(__name__)

MODES = ("drive", "walk")
_KEYS = (
    "highway",
    "maxspeed",
    "oneway",
    "junction",
    "access",
    "motorcar",
    "motor_vehicle",
    "vehicle",
    "foot",
    "area",
    "route",
    "duration",
    "name",
)
_MPH = 1.609344
_KNOT = 1.852
_INVALID = 2147483647  # libosmium's undefined coordinate (a node missing from the extract)
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$")
_ZONE = re.compile(r"^([a-z]{2}):([a-z_]+)$")


def is_osm(path: Any) -> bool:
    """True for a path whose suffix is an OpenStreetMap extract's (``.pbf``, ``.osm``)."""
    if isinstance(path, (gpd.GeoDataFrame, pd.DataFrame)):
        return False
    from suigeo.io.formats import FORMATS

    return FORMATS.get(Path(path).suffix.lower()) == "osm"


def parse_maxspeed(value: str | None, zones: dict[str, float], walk_kmh: float) -> float:
    """Speed in km/h of one ``maxspeed`` value, or NaN when it gives none (the class speed
    applies): see the module docstring.

    Examples
    --------
    >>> zones = {"cn:urban": 50.0}
    >>> parse_maxspeed("60", zones, 5.04), parse_maxspeed("30 mph", zones, 5.04)
    (60.0, 48.28032)
    >>> parse_maxspeed("60;80", zones, 5.04), parse_maxspeed("CN:urban", zones, 5.04)
    (70.0, 50.0)
    >>> parse_maxspeed("none", zones, 5.04)
    nan
    """
    if value is None:
        return math.nan
    text = str(value).strip().lower()
    if text in ("", "none", "signals", "variable", "unknown"):
        return math.nan
    vals = []
    for part in text.split(";"):
        part = part.strip()
        m = _NUMBER.match(part)
        if m:
            num = float(m.group(1))
            unit = m.group(2)
            vals.append(num * _MPH if unit == "mph" else num * _KNOT if unit == "knots" else num)
        elif part == "walk":
            vals.append(walk_kmh)
        elif _ZONE.match(part) and part in zones:
            vals.append(float(zones[part]))
        else:
            return math.nan
    vals = [v for v in vals if v > 0]
    return float(np.mean(vals)) if vals else math.nan


_ISO = re.compile(
    r"^p(?:(\d+(?:\.\d+)?)d)?(?:t(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?)?$"
)


def parse_duration_min(value: str | None) -> float:
    """Minutes of an OSM ``duration`` (``PT1H30M``, ``01:30``, ``01:30:00``, ``90``), or NaN.

    Examples
    --------
    >>> parse_duration_min("PT1H30M"), parse_duration_min("00:45"), parse_duration_min("20")
    (90.0, 45.0, 20.0)
    """
    if value is None:
        return math.nan
    text = str(value).strip().lower()
    m = _ISO.match(text)
    if m and text not in ("p", "pt"):
        d, h, mi, s = (float(x) if x else 0.0 for x in m.groups())
        return d * 1440 + h * 60 + mi + s / 60
    parts = text.split(":")
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        return math.nan
    if len(nums) == 1:
        return nums[0]
    if len(nums) == 2:
        return nums[0] * 60 + nums[1]
    if len(nums) == 3:
        return nums[0] * 60 + nums[1] + nums[2] / 60
    return math.nan


@dataclass
class OsmNetwork:
    """Edges of an extract (``edges``: a GeoDataFrame in EPSG:4490, one row per edge between
    junctions), how many ways were read and kept, and the ways left out by reason."""

    edges: gpd.GeoDataFrame
    mode: str
    ways_read: int
    ways_kept: int
    left_out: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line: ways read and kept, edges, and the ways left out by reason."""
        out = ", ".join(
            f"{n} {why}" for why, n in sorted(self.left_out.items(), key=lambda x: -x[1])
        )
        return (
            f"{self.ways_read} way(s) read, {self.ways_kept} kept for {self.mode} as "
            f"{len(self.edges)} edge(s)" + (f"; left out: {out}" if out else "")
        )


def _read_ways(path: Path) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Ways with a highway or route tag: their tags (one row per way), and per node
    reference the way's row, the node id and its lon/lat (NaN when missing)."""
    try:
        import osmium
    except ImportError:
        raise InputError(
            f"reading the OpenStreetMap extract {str(path)!r} needs pyosmium: "
            "pip install 'suigeo[osm]'"
        ) from None
    fp = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway", "route"))
    )
    ids: list[int] = []
    cols: dict[str, list[Any]] = {k: [] for k in _KEYS}
    counts: list[int] = []
    refs: list[int] = []
    xs: list[int] = []
    ys: list[int] = []
    try:
        for obj in fp:
            w: Any = obj  # a Way (the filter lets only ways through)
            ids.append(w.id)
            tg = w.tags
            for k in _KEYS:
                cols[k].append(tg.get(k))
            nl = w.nodes
            counts.append(len(nl))
            for n in nl:
                refs.append(n.ref)
                xs.append(n.x)  # fixed-point 1e-7 degrees; 2**31 - 1 when the node is missing
                ys.append(n.y)
    except RuntimeError as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"OpenStreetMap extract {str(path)!r}: cannot read it: {text}") from None
    ways = pd.DataFrame(cols)
    ways.insert(0, "osm_way", np.asarray(ids, dtype=np.int64))
    way_of = np.repeat(np.arange(len(ids)), np.asarray(counts, dtype=np.int64))
    xi = np.asarray(xs, dtype=np.int64)
    yi = np.asarray(ys, dtype=np.int64)
    bad = (xi == _INVALID) | (yi == _INVALID)
    lon = np.where(bad, np.nan, xi / 1e7)
    lat = np.where(bad, np.nan, yi / 1e7)
    return ways, way_of, np.asarray(refs, dtype=np.int64), lon, lat


def _on_unique(values: pd.Series, func) -> np.ndarray:
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    out = np.array([func(u) for u in uniques] + [func(None)], dtype=float)
    return out[np.where(codes < 0, len(uniques), codes)]


def _lower(s: pd.Series) -> pd.Series:
    return s.astype("string").str.strip().str.lower()


def _select(ways: pd.DataFrame, mode: str, settings: Settings) -> tuple[np.ndarray, pd.Series]:
    """Which ways are roads for ``mode``, and the reason each other way is left out."""
    hw = _lower(ways["highway"])
    route = _lower(ways["route"])
    ferry = (route == "ferry").fillna(False).to_numpy(bool)
    classes = {str(c).lower() for c in settings[f"network.osm.{mode}_classes"]}
    why = pd.Series("", index=ways.index, dtype=object)
    no_hw = hw.isna().to_numpy()
    why[no_hw & ~ferry] = "route " + route[no_hw & ~ferry].fillna("?").astype(str) + " (not a road)"
    listed = hw.isin(classes).fillna(False).to_numpy(bool)
    other = ~no_hw & ~listed & ~ferry
    why[other] = "highway=" + hw[other].astype(str) + f" (not a {mode} class)"
    area = (_lower(ways["area"]) == "yes").fillna(False).to_numpy(bool) & ~ferry
    why[area & (why == "")] = "area=yes"
    if mode == "drive":
        rule = ways["motorcar"].fillna(ways["motor_vehicle"]).fillna(ways["vehicle"])
        rule = rule.fillna(ways["access"])
        why_access = "no access by car (access/vehicle/motor_vehicle/motorcar)"
    else:
        rule = ways["foot"].fillna(ways["access"])
        why_access = "no access on foot (foot/access)"
    denied = _lower(rule).isin(["no", "private"]).fillna(False).to_numpy(bool)
    why[denied & (why == "")] = why_access
    return (why == "").to_numpy(bool), why


def _directions(ways: pd.DataFrame, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """(forward allowed, backward allowed) per way."""
    n = len(ways)
    if mode == "walk":
        return np.ones(n, bool), np.ones(n, bool)
    ow = _lower(ways["oneway"])
    yes = ow.isin(["yes", "true", "1"]).fillna(False).to_numpy(bool)
    rev = ow.isin(["-1", "reverse"]).fillna(False).to_numpy(bool)
    implied = (
        _lower(ways["junction"]).isin(["roundabout", "circular"]).fillna(False).to_numpy(bool)
        | (_lower(ways["highway"]) == "motorway").fillna(False).to_numpy(bool)
    ) & ow.isna().to_numpy()
    fwd_only = yes | implied
    return ~rev, ~fwd_only


def _split(
    way_of: np.ndarray, refs: np.ndarray, lon: np.ndarray, lat: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges between junctions: per edge its way, first and last vertex (positions in the
    arrays). A junction is a node used more than once; a missing node cuts its way."""
    ok = ~np.isnan(lon)
    way_of, refs, pos = way_of[ok], refs[ok], np.flatnonzero(ok)
    if refs.size == 0:
        e = np.zeros(0, dtype=np.int64)
        return e, e, e
    # a part: a run of consecutive present nodes of one way
    gap = np.ones(len(refs), dtype=bool)
    gap[1:] = (way_of[1:] != way_of[:-1]) | (pos[1:] != pos[:-1] + 1)
    first = gap
    last = np.append(gap[1:], True)
    _, inv, cnt = np.unique(refs, return_inverse=True, return_counts=True)
    junction = first | last | (cnt[inv.ravel()] > 1)
    start = np.flatnonzero(junction & ~last)
    # the end of each edge: the next junction after its start
    jpos = np.flatnonzero(junction)
    end = jpos[np.searchsorted(jpos, start, side="right")]
    return way_of[start], pos[start], pos[end]


def read_osm(
    path: str | os.PathLike[str],
    *,
    mode: str | None = None,
    settings: Settings | dict[str, Any] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    clip: shapely.Geometry | None = None,
) -> OsmNetwork:
    """The road network of an OpenStreetMap extract as edges between junctions.

    Parameters
    ----------
    path
        ``.osm.pbf`` or ``.osm`` (XML) extract.
    mode
        ``"drive"`` or ``"walk"`` (default: setting ``network.osm.mode``).
    settings
        Travel-time settings (classes, zone speeds, ferry speed, walking speed).
    bbox, clip
        Keep only edges that touch this box (W, S, E, N in degrees) or polygon (CGCS2000
        lon/lat); edges crossing the boundary are kept whole.

    Returns
    -------
    OsmNetwork
        ``edges``: GeoDataFrame in EPSG:4490 with ``osm_way``, ``u``, ``v`` (OSM node ids of
        its ends, in its direction of travel), ``highway``, ``name``, ``maxspeed`` (km/h
        from the tags, NaN where the class speed applies), ``maxspeed_tag`` (as tagged),
        ``speed_source``, ``oneway`` (``yes``/``no``), ``length_m`` (geodesic).
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"OpenStreetMap extract {str(p)!r}: no such file")
    s = resolve_settings(settings)
    mode = str(mode or s["network.osm.mode"]).strip().lower()
    if mode not in MODES:
        raise InputError(f"OSM mode must be one of {', '.join(MODES)}, not {mode!r}")
    ways, way_of, refs, lon, lat = _read_ways(p)
    keep, why = _select(ways, mode, s)
    left = Counter(why[~keep])
    fwd, bwd = _directions(ways, mode)
    # ways driven only against their drawing: reverse their nodes
    back = keep & ~fwd
    if back.any():
        order = np.arange(len(refs))
        starts = np.searchsorted(way_of, np.arange(len(ways)))
        ends = np.append(starts[1:], len(refs))
        flip = back[way_of]
        order[flip] = (starts[way_of] + ends[way_of] - 1 - order)[flip]
        refs, lon, lat = refs[order], lon[order], lat[order]
    mask = keep[way_of]
    w_e, s_e, e_e = _split(np.where(mask, way_of, -1)[mask], refs[mask], lon[mask], lat[mask])
    base = np.flatnonzero(mask)
    s_e, e_e = base[s_e], base[e_e]
    # vertices of each edge: positions s..e (inclusive) in the full arrays
    n_v = e_e - s_e + 1
    idx = np.repeat(s_e - np.cumsum(np.append(0, n_v[:-1])), n_v) + np.arange(int(n_v.sum()))
    geoms = shapely.linestrings(
        np.column_stack([lon[idx], lat[idx]]), indices=np.repeat(np.arange(len(w_e)), n_v)
    )
    xs, ys = lon[idx], lat[idx]  # geodesic length of each edge
    seg = np.zeros(len(idx))
    same = np.repeat(np.arange(len(w_e)), n_v)
    step = same[1:] == same[:-1]
    _, _, d = Geod(ellps="GRS80").inv(xs[:-1], ys[:-1], xs[1:], ys[1:])
    seg[1:] = np.where(step, d, 0.0)
    length_m = np.bincount(same, weights=seg, minlength=len(w_e))
    w = ways.iloc[w_e].reset_index(drop=True)
    speed, source = _speeds(ways, way_of, lon, lat, mode, s)
    oneway = np.where(fwd & bwd, "no", "yes")
    edges = gpd.GeoDataFrame(
        {
            "osm_way": w["osm_way"].to_numpy(),
            "u": refs[s_e],
            "v": refs[e_e],
            "highway": w["highway"].fillna("ferry").to_numpy(dtype=object),
            "name": w["name"].to_numpy(dtype=object),
            "maxspeed": speed[w_e],
            "maxspeed_tag": w["maxspeed"].to_numpy(dtype=object),
            "speed_source": source[w_e],
            "oneway": oneway[w_e],
            "length_m": np.round(length_m, 3),
        },
        geometry=geoms,
        crs="EPSG:4490",
    )
    if bbox is not None or clip is not None:
        area = shapely.box(*bbox) if bbox is not None else clip
        shapely.prepare(area)
        inside = shapely.intersects(area, edges.geometry.values)
        if not inside.any():
            raise InputError(f"OpenStreetMap extract {str(p)!r}: no {mode} road in the clip area")
        edges = edges[inside].reset_index(drop=True)
    if len(edges) == 0:
        raise InputError(
            f"OpenStreetMap extract {str(p)!r} holds no road for {mode}"
            + (f" (left out: {dict(left)})" if left else "")
        )
    net = OsmNetwork(edges, mode, len(ways), int(keep.sum()), dict(left))
    log.info("%s: %s", p, net.summary())
    return net


def _speeds(
    ways: pd.DataFrame, way_of: np.ndarray, lon: np.ndarray, lat: np.ndarray, mode: str, s: Settings
) -> tuple[np.ndarray, np.ndarray]:
    """Per way: km/h from its tags (NaN: the class speed applies) and where it came from."""
    n = len(ways)
    walk = float(s["walk.flat_kmh"])
    ferry = (_lower(ways["route"]) == "ferry").fillna(False).to_numpy(bool) & ways[
        "highway"
    ].isna().to_numpy()
    source = np.full(n, "class", dtype=object)
    if mode == "walk":
        speed = np.full(n, walk)
        source[:] = "walk.flat_kmh"
    else:
        zones = {k.lower(): float(v) for k, v in s.group("network.osm.zone_speeds_kmh").items()}
        speed = _on_unique(ways["maxspeed"], lambda v: parse_maxspeed(v, zones, walk))
        source[~np.isnan(speed)] = "maxspeed"
    if ferry.any():
        minutes = _on_unique(ways["duration"], parse_duration_min)
        # the whole way's geodesic length ÷ its duration
        ok = ~np.isnan(lon)
        same = np.zeros(len(lon), dtype=bool)
        same[1:] = (way_of[1:] == way_of[:-1]) & ok[1:] & ok[:-1]
        d = np.zeros(len(lon))
        if len(lon) > 1:
            _, _, dd = Geod(ellps="GRS80").inv(
                np.nan_to_num(lon[:-1]),
                np.nan_to_num(lat[:-1]),
                np.nan_to_num(lon[1:]),
                np.nan_to_num(lat[1:]),
            )
            d[1:] = np.where(same[1:], dd, 0.0)
        way_len = np.bincount(way_of, weights=d, minlength=n)
        timed = ferry & (minutes > 0)
        speed[timed] = way_len[timed] / 1000.0 / (minutes[timed] / 60.0)
        source[timed] = "ferry duration"
        plain = ferry & ~timed
        speed[plain] = float(s["network.osm.ferry_speed_kmh"])
        source[plain] = "network.osm.ferry_speed_kmh"
    return speed, source


def prepare(
    path: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    mode: str | None = None,
    settings: Settings | dict[str, Any] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    clip: str | os.PathLike[str] | shapely.Geometry | None = None,
) -> OsmNetwork:
    """Build the road network of an extract once and write it (GeoParquet or any vector
    format by the suffix) for ``--roads``: the edges of :func:`read_osm` with every speed
    filled in (``maxspeed`` in km/h: the tag's, else the class speed, ``speed_source``
    says which) so the file reads like any road line file with speeds.

    ``clip`` is a polygon or a vector file of polygons (their union; any coordinate system,
    converted to CGCS2000).
    """
    from suigeo.geo.access.roads import road_speeds
    from suigeo.io.vector import read_vector, write_vector

    s = resolve_settings(settings)
    area = None
    if clip is not None and not isinstance(clip, shapely.Geometry):
        gdf = read_vector(clip, what="clip file")
        if gdf.crs is None:
            raise InputError(f"clip file {str(clip)!r} has no coordinate system")
        gdf = gdf.to_crs("EPSG:4490")
        polys = gdf.geometry.values[
            gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
        ]
        if len(polys) == 0:
            raise InputError(f"clip file {str(clip)!r} holds no polygon")
        area = shapely.union_all(polys)
    elif clip is not None:
        area = clip
    if bbox is not None:
        w_, s_, e_, n_ = bbox
        if not (w_ < e_ and s_ < n_):
            raise InputError(f"--bbox {bbox}: write W,S,E,N with W < E and S < N")
    net = read_osm(path, mode=mode, settings=s, bbox=bbox, clip=area)
    edges = net.edges
    missing = edges["maxspeed"].isna().to_numpy()
    if missing.any():
        filled = road_speeds(edges[missing].drop(columns="maxspeed"), s)
        edges.loc[missing, "maxspeed"] = filled
        edges.loc[missing, "speed_source"] = "class " + edges.loc[missing, "highway"].astype(str)
    edges["mode"] = net.mode
    write_vector(
        edges, output, inputs=[path] + ([clip] if isinstance(clip, (str, os.PathLike)) else [])
    )
    return net
