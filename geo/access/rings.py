"""``rings()``: the one public door to the three engines."""

from __future__ import annotations

import logging
import math
import numbers
import os
from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from suigeo.errors import InputError
from suigeo.geo.access.origins import load_rail, load_through, read_table, resolve_origins
from suigeo.geo.access.rail import RailNet, build_rail
from suigeo.geo.access.result import EngineOutput, to_frame
from suigeo.geo.access.settings import Settings, resolve_settings
from suigeo.geo.access.sketch import sketch_rings

__all__ = [
    "ENGINES",
    "SCENARIO_OPTIONS",
    "add_people",
    "check_minutes",
    "compare_rings",
    "rings",
    "station_times",
]

ENGINES = ("sketch", "network", "raster")
DIRECTIONS = ("from", "to")


def check_minutes(minutes: float | Iterable[float]) -> list[float]:
    """Thresholds as a sorted list of positive finite minutes."""
    given: Any = minutes  # user input: a number, a sequence or an array of any kind
    single = isinstance(given, (numbers.Real, str, bytes)) or np.ndim(given) == 0
    vals = [given] if single else list(given)
    if not vals:
        raise InputError("give at least one threshold in minutes")
    out: list[float] = []
    for m in vals:
        try:
            f = float(m)
        except (TypeError, ValueError):
            raise InputError(f"threshold {m!r} is not a number of minutes") from None
        if not math.isfinite(f) or f <= 0:
            raise InputError(f"threshold {m!r} must be a positive number of minutes")
        out.append(f)
    return sorted(set(out))


def scenario_name(*, rail: bool, include_planned: bool, timetable: bool) -> str:
    """The rail scenario as stated in the ``scenario`` column of a result."""
    if not rail:
        return "no rail"
    if timetable:
        return "rail from user timetable"
    if include_planned:
        return "rail in service + under construction + planned (scenario)"
    return "rail in service"


log = logging.getLogger(__name__)


def _rail(
    rail: bool,
    rails: gpd.GeoDataFrame | None,
    stations: gpd.GeoDataFrame | None,
    settings: Settings,
    include_planned: bool,
    timetable: pd.DataFrame | None,
    through: pd.DataFrame | None = None,
) -> RailNet:
    if not rail:
        return build_rail(None, None, settings)
    if timetable is not None and stations is not None:
        return build_rail(None, stations, settings, timetable=timetable)
    if through is None and rails is None:
        through = load_through()  # the shipped services go with the shipped lines only
    lines, st = load_rail(rails, stations)
    return build_rail(
        lines,
        st,
        settings,
        include_planned=include_planned,
        timetable=timetable,
        through=through,
    )


_USED_BY = {
    "roads": ("network", "raster"),
    "dem": ("raster",),
    "friction": ("raster",),
    "raster_out": ("raster",),
}


def _check_inputs(engine: str, **given: Any) -> None:
    """Refuse data the chosen engine would ignore (a DEM given to the sketch engine)."""
    for name, value in given.items():
        if value is not None and engine not in _USED_BY[name]:
            raise InputError(
                f"{name}= (--{name.replace('_', '-')}) is used only by the "
                f"{' and '.join(_USED_BY[name])} engine, not by {engine!r}; choose the "
                "engine (--engine) or leave it out"
            )


def _transit_conflicts(transit: dict[str, Any], **given: Any) -> None:
    """Refuse options a GTFS feed replaces or cannot honour."""
    if transit.get("depart") is None:
        raise InputError("a GTFS feed needs a departure: depart= (--depart 2026-12-03T08:00)")
    if given["direction"] != "from":
        raise InputError(
            "timetables (gtfs=, --gtfs) run forward from the departure time: direction 'to' "
            "is not supported with a feed"
        )
    if not given["rail"]:
        raise InputError("gtfs= (--gtfs) rides the feed's vehicles: leave rail on")
    for name in ("include_planned", "timetable", "through", "rails", "stations"):
        if given[name] is not None and given[name] is not False:
            raise InputError(
                f"{name}= (--{name.replace('_', '-')}) is about the shipped rail lines; a GTFS "
                "feed replaces them: leave it out"
            )


def _transit_options(
    gtfs: Any, depart: Any, window: int, percentiles: Any
) -> dict[str, Any] | None:
    if gtfs is None:
        if depart is not None:
            raise InputError("depart= (--depart) needs a GTFS feed: gtfs= (--gtfs FEED)")
        return None
    return {"gtfs": gtfs, "depart": depart, "window": window, "percentiles": percentiles}


def _run(
    origin: Any,
    *,
    minutes: float | Iterable[float],
    engine: str,
    direction: str,
    rails: gpd.GeoDataFrame | None,
    stations: gpd.GeoDataFrame | None,
    roads: gpd.GeoDataFrame | str | os.PathLike[str] | None,
    dem: str | os.PathLike[str] | None,
    include_planned: bool,
    rail: bool,
    settings: Mapping[str, Any] | Settings | None,
    timetable: pd.DataFrame | str | os.PathLike[str] | None,
    nearest: bool,
    raster_out: str | os.PathLike[str] | None,
    friction: str | os.PathLike[str] | None = None,
    through: pd.DataFrame | str | os.PathLike[str] | None = None,
    transit: dict[str, Any] | None = None,
    dask: dict[str, Any] | None = None,
) -> tuple[EngineOutput, list[float], Settings]:
    if dask is not None and (engine != "sketch" or nearest):
        raise InputError(
            "the Dask executor draws one ring per origin with the sketch engine: the network "
            "and raster engines share one road graph or grid among the origins, and the "
            "nearest-origin ring joins them all; run those in one process"
        )
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    if direction not in DIRECTIONS:
        raise InputError(f"direction must be 'from' or 'to', not {direction!r}")
    _check_inputs(engine, roads=roads, dem=dem, friction=friction, raster_out=raster_out)
    thresholds = check_minutes(minutes)
    p = resolve_settings(settings)
    org = resolve_origins(origin)
    timetable = read_table(timetable, "timetable")
    through = read_table(through, "through services", text=True)
    lon = shapely.get_x(org.geometry.values).astype(float)
    lat = shapely.get_y(org.geometry.values).astype(float)
    labels = [str(x) for x in org["origin"]]
    common: dict[str, Any]  # keyword arguments shared by the three engines
    if transit is not None:
        if dask is not None:
            raise InputError("gtfs= with the Dask executor: timetable rings run in one process")
        _transit_conflicts(
            transit,
            direction=direction,
            rail=rail,
            include_planned=include_planned,
            timetable=timetable,
            through=through,
            rails=rails,
            stations=stations,
        )
        from suigeo.geo.access.transit import transit_rings

        out = transit_rings(
            engine,
            lon,
            lat,
            labels,
            thresholds,
            settings=p,
            nearest=nearest,
            roads=roads,
            **transit,
        )
        return out, thresholds, p
    net = _rail(rail, rails, stations, p, include_planned, timetable, through)
    log.info(
        "rings: %d origin(s), engine %s, %s the origin, thresholds %s min; rail: %d line(s), "
        "%d station(s)",
        len(labels),
        engine,
        direction,
        ", ".join(f"{t:g}" for t in thresholds),
        len(net.lines),
        len(net.stations),
    )
    common = {"direction": direction, "rail": net, "settings": p, "nearest": nearest}
    if engine == "sketch" and dask is not None:
        from suigeo.geo.access.dask_engine import sketch_rings_dask

        progress = dask.pop("progress", None)
        out = sketch_rings_dask(lon, lat, labels, thresholds, dask=dask, progress=progress,
                                **common)  # fmt: skip
    elif engine == "sketch":
        out = sketch_rings(lon, lat, labels, thresholds, **common)
    elif engine == "network":
        from suigeo.geo.access.network import network_rings

        if roads is None:
            raise InputError("the network engine needs road lines: pass roads= (--roads FILE)")
        out = network_rings(lon, lat, labels, thresholds, roads=roads, **common)
    else:
        from suigeo.geo.access.raster import raster_rings

        out = raster_rings(
            lon,
            lat,
            labels,
            thresholds,
            roads=roads,
            dem=dem,
            raster_out=raster_out,
            friction=friction,
            **common,
        )
    log.info(
        "rings: %d ring polygon(s) computed (%s)",
        sum(len(g) for g in out.geoms),
        out.method,
    )
    return out, thresholds, p


def rings(
    origin: Any,
    *,
    minutes: float | Iterable[float] = (30, 90),
    engine: str = "sketch",
    direction: str = "from",
    rails: gpd.GeoDataFrame | None = None,
    stations: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | str | os.PathLike[str] | None = None,
    dem: str | os.PathLike[str] | None = None,
    include_planned: bool = False,
    rail: bool = True,
    settings: Mapping[str, Any] | Settings | None = None,
    timetable: pd.DataFrame | str | os.PathLike[str] | None = None,
    nearest: bool = False,
    raster_out: str | os.PathLike[str] | None = None,
    friction: str | os.PathLike[str] | None = None,
    through: pd.DataFrame | str | os.PathLike[str] | None = None,
    population: str | os.PathLike[str] | None = None,
    count: gpd.GeoDataFrame | str | os.PathLike[str] | None = None,
    count_field: str | None = None,
    gtfs: Any = None,
    depart: str | Any = None,
    window: int = 60,
    percentiles: float | Iterable[float] = (50,),
    executor: str = "memory",
    workers: int | None = None,
    memory_limit: str | None = None,
    scheduler: str | None = None,
    partition_rows: int | None = None,
    progress: bool | None = None,
) -> gpd.GeoDataFrame:
    """Polygons of where one gets within ``minutes`` from (or to) an origin.

    Parameters
    ----------
    origin
        A feature name from the shipped layers (``"广州南站"``), ``"LON,LAT"`` or
        ``(lon, lat)`` in CGCS2000, a shapely Point, or a GeoDataFrame of many origins.
    minutes
        One threshold or several (default 30 and 90).
    engine
        ``"sketch"`` (straight line × circuity; no road data needed), ``"network"`` (the
        user's road lines in ``roads``) or ``"raster"`` (friction grid; roads and a DEM
        optional).
    direction
        ``"from"`` the origin or ``"to"`` it (the reversed graph).
    rails, stations
        Rail lines and stations (layer contract of :mod:`layers`); default the shipped ones.
    include_planned
        Add lines under construction and planned (stated in the ``scenario`` column).
    rail
        ``False`` for ground travel alone.
    settings
        Overrides of the defaults in ``geo/access/defaults.toml`` (dotted keys or nested).
    timetable
        Optional table ``from, to, minutes`` of rides that replaces the lines (a DataFrame
        or a CSV path).
    nearest
        With many origins: one ring per threshold for the time to the nearest origin
        instead of one per origin.
    raster_out
        Raster engine: also write the travel-time GeoTIFF here.
    friction
        Raster engine: GeoTIFF of off-road speeds on the flat in km/h (e.g. from land
        cover; nodata = walking, 0 = impassable), scaled by slope when a DEM is given.
    through
        Through services, a DataFrame or a CSV path (columns ``id``, ``lines``, ``via``,
        optional ``status`` and ``stops``; see
        :func:`layers.through_services`): at their junctions trains run on without a
        change, so only the stop penalty is charged (nothing where ``stops`` leaves the
        junction out). Default: the shipped table when the
        shipped lines are used, none with user ``rails``. ``settings={"rail.through_running":
        False}`` charges the transfer time at every change of line.
    population
        A population raster (GeoTIFF of people per cell, any CRS, e.g. WorldPop): adds a
        ``population`` column, the people of the cells whose centre lies in the ring or on
        its edge (whole cells, no area weighting; cells without data count 0).
    count
        A point or polygon layer (a vector file, a lon/lat CSV or a GeoDataFrame:
        villages, schools, firms): adds a ``count`` column, the features whose
        representative point lies in the ring or on its edge.
    count_field
        With ``count``: sum this numeric column (e.g. jobs) instead of counting features.
    gtfs
        A GTFS feed (a ``.zip`` path, a folder, or a :class:`suigeo.io.gtfs.GtfsFeed`)
        whose trips replace the shipped rail lines: waits, rides and transfers from its
        stop_times, calendar and transfers (:mod:`geo.access.transit`); sketch and network
        engines, direction ``"from"``.
    depart
        With ``gtfs``: the first departure, ``"2026-12-03T08:00"`` (the feed's local time).
    window
        With ``gtfs``: departures every minute for this many minutes (default 60).
    percentiles
        With ``gtfs``: travel-time percentiles over the window (nearest rank; default 50,
        the median), one ring per origin, percentile and threshold (``percentile`` column).
    executor, workers, memory_limit, scheduler, partition_rows, progress
        ``executor="dask"``: many origins, one ring each, sketch engine: the origins are
        drawn in partitions of ``partition_rows`` (default 100) on a Dask cluster
        (:mod:`suigeo.geo.access.dask_engine`): a local cluster of ``workers`` processes
        with ``memory_limit`` each, or the cluster at ``scheduler``; the same rings.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per origin and threshold in CGCS2000 (EPSG:4490), columns ``origin``,
        ``minutes``, ``direction``, ``engine``, ``scenario``, ``area_km2``, ``method``,
        ``settings`` (JSON of the values used) and ``geometry``; ``population`` and
        ``count`` when asked for.

    Examples
    --------
    >>> r = rings("113.27,23.13", minutes=[30], rail=False)  # doctest: +SKIP
    """
    from suigeo.io.cluster import engine_options  # standard library only: no Dask here

    opts = {"workers": workers, "memory_limit": memory_limit, "scheduler": scheduler}
    dask = None
    if engine_options(executor, name="executor", partition_rows=partition_rows, **opts):
        dask = {**opts, "partition_rows": partition_rows, "progress": progress}
    out, thresholds, p = _run(
        origin,
        dask=dask,
        minutes=minutes,
        engine=engine,
        direction=direction,
        rails=rails,
        stations=stations,
        roads=roads,
        dem=dem,
        include_planned=include_planned,
        rail=rail,
        settings=settings,
        timetable=timetable,
        nearest=nearest,
        raster_out=raster_out,
        friction=friction,
        through=through,
        transit=_transit_options(gtfs, depart, window, percentiles),
    )
    frame = to_frame(
        out,
        thresholds,
        engine=engine,
        direction=direction,
        scenario=out.scenario
        or scenario_name(
            rail=rail, include_planned=include_planned, timetable=timetable is not None
        ),
        settings_json=p.to_json(out.setting_keys),
    )
    return add_people(frame, population=population, count=count, count_field=count_field)


def add_people(
    frame: gpd.GeoDataFrame,
    *,
    population: str | os.PathLike[str] | None = None,
    count: gpd.GeoDataFrame | str | os.PathLike[str] | None = None,
    count_field: str | None = None,
) -> gpd.GeoDataFrame:
    """Add ``population`` and ``count`` columns to rings (rules in
    :mod:`geo.access.people`), and the rules used to the ``method`` column."""
    from suigeo.geo.access.people import COUNT_RULE, POPULATION_RULE, count_in, population_in

    if count_field is not None and count is None:
        raise InputError("count_field= (--count-field) needs a count layer (count=, --count)")
    notes = []
    if population is not None:
        frame["population"] = population_in(frame.geometry.values, population)
        notes.append(POPULATION_RULE)
    if count is not None:
        got = count_in(frame.geometry.values, count, count_field)
        frame["count"] = got if count_field else got.astype(np.int64)
        notes.append(COUNT_RULE + (f" (sum of {count_field!r})" if count_field else ""))
    if notes:
        frame["method"] = frame["method"] + "; " + "; ".join(notes)
    return frame


def station_times(origin: Any, **kwargs: Any) -> pd.DataFrame:
    """Minutes from (or to) each origin to every rail station, by the same engines and
    options as :func:`rings`: columns ``origin``, ``station``, ``name_zh``, ``minutes``
    (``inf`` beyond the largest threshold). With ``gtfs=`` the stations are the feed's
    stops and the minutes the first of ``percentiles`` over the window: by a ride (sketch:
    a stop reached only on the ground is ``inf``), or at the stop's road node, on the
    ground included (network)."""
    opts: dict[str, Any] = {
        "minutes": (30, 90),
        "engine": "sketch",
        "direction": "from",
        "rails": None,
        "stations": None,
        "roads": None,
        "dem": None,
        "include_planned": False,
        "rail": True,
        "settings": None,
        "timetable": None,
        "nearest": False,
        "raster_out": None,
        "friction": None,
        "through": None,
    }
    feed: dict[str, Any] = {"gtfs": None, "depart": None, "window": 60, "percentiles": (50,)}
    unknown = set(kwargs) - set(opts) - set(feed)
    if unknown:
        raise InputError(f"unknown option(s) {', '.join(sorted(unknown))}")
    feed.update({k: kwargs.pop(k) for k in list(kwargs) if k in feed})
    opts.update(kwargs)
    out, _, _ = _run(origin, transit=_transit_options(**feed), **opts)
    st = out.station_times
    st["minutes"] = np.asarray(st["minutes"], dtype=float)
    return st


COMPARISONS = ("planned",)
#: the options of :func:`rings` a scenario may change (``compare={...}``)
SCENARIO_OPTIONS = (
    "roads",
    "gtfs",
    "depart",
    "rails",
    "stations",
    "timetable",
    "through",
    "settings",
    "include_planned",
    "dem",
    "friction",
)


def _describe(value: Any) -> str:
    if isinstance(value, (str, os.PathLike)):
        return os.path.basename(os.fspath(value))
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return type(value).__name__ if not isinstance(value, (bool, int, float)) else str(value)


def _scenario_options(compare: Any, options: dict[str, Any]) -> tuple[dict, dict, str]:
    """Keyword arguments of the base and of the scenario, and a statement of the change."""
    if isinstance(compare, str):
        if compare not in COMPARISONS:
            raise InputError(
                f"unknown comparison {compare!r}; use one of {', '.join(COMPARISONS)} or a "
                f"mapping of the options the scenario changes ({', '.join(SCENARIO_OPTIONS)})"
            )
        if "include_planned" in options:
            raise InputError("compare='planned' sets include_planned itself; leave it out")
        if options.get("rail") is False:
            raise InputError("compare='planned' compares rail scenarios: leave rail on")
        return dict(options, include_planned=False), dict(options, include_planned=True), ""
    if not isinstance(compare, Mapping) or not compare:
        raise InputError(
            "compare= is 'planned' or a mapping of the options the scenario changes, e.g. "
            "{'roads': 'roads_2030.gpkg'}"
        )
    unknown = sorted(set(compare) - set(SCENARIO_OPTIONS))
    if unknown:
        raise InputError(
            f"compare: {', '.join(unknown)} cannot differ between scenarios; use "
            f"{', '.join(SCENARIO_OPTIONS)}"
        )
    if "gtfs" in compare and options.get("gtfs") is None:
        raise InputError("compare={'gtfs': ...} needs the base feed: gtfs= (--gtfs FEED)")
    if "roads" in compare and options.get("roads") is None:
        raise InputError("compare={'roads': ...} needs the base roads: roads= (--roads FILE)")
    change = "; ".join(
        f"{k}: {_describe(options.get(k))} → {_describe(v)}" for k, v in compare.items()
    )
    return dict(options), dict(options, **compare), change


def compare_rings(
    origin: Any,
    *,
    compare: str | Mapping[str, Any] = "planned",
    minutes: float | Iterable[float] = (30, 90),
    population: str | os.PathLike[str] | None = None,
    count: gpd.GeoDataFrame | str | os.PathLike[str] | None = None,
    count_field: str | None = None,
    **options: Any,
) -> gpd.GeoDataFrame:
    """What a scenario changes: the areas gained and lost per origin and threshold.

    ``compare="planned"``: rail in service (the base) against rail in service + under
    construction + planned (the scenario), every other option (``options``: the keywords
    of :func:`rings` but ``include_planned``) the same.

    ``compare={option: value, ...}``: the base is ``options`` as given, the scenario the
    same with these options changed (any of :data:`SCENARIO_OPTIONS`): two road networks
    (``{"roads": "roads_2030.gpkg"}`` against ``roads=``), two timetables
    (``{"gtfs": "feed_2030.zip"}`` against ``gtfs=``), other settings.

    Returns
    -------
    geopandas.GeoDataFrame
        Two rows per origin and threshold (and percentile, with a feed) in CGCS2000:
        ``change`` ``"gained"`` (in the scenario's ring, not in the base's) and ``"lost"``
        (the reverse), with ``area_km2`` (in the plane of the rings), ``base_km2``,
        ``scenario_km2``, ``scenario`` (base → scenario, and what changed), ``method``,
        ``settings`` and, when asked for, ``population`` and ``count`` of the changed areas
        by the rules of :func:`rings`.
    """
    base_opts, scen_opts, change = _scenario_options(compare, options)
    base = rings(origin, minutes=minutes, **base_opts)
    scen = rings(origin, minutes=minutes, **scen_opts)
    from suigeo.geo.access.plane import plane_crs

    plane = plane_crs(shapely.get_x(shapely.centroid(base.geometry.values)))
    rows = []
    for b, s in zip(base.itertuples(), scen.itertuples(), strict=True):
        for kind, geom in (
            ("gained", shapely.difference(s.geometry, b.geometry)),
            ("lost", shapely.difference(b.geometry, s.geometry)),
        ):
            rows.append(
                {
                    "origin": b.origin,
                    "minutes": b.minutes,
                    **({"percentile": b.percentile} if "percentile" in base.columns else {}),
                    "change": kind,
                    "base_km2": b.area_km2,
                    "scenario_km2": s.area_km2,
                    "scenario": f"{b.scenario} → {s.scenario}" + (f" ({change})" if change else ""),
                    "engine": b.engine,
                    "direction": b.direction,
                    "method": s.method,
                    "settings": s.settings,
                    "geometry": geom,
                }
            )
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=base.crs)
    area = out.geometry.to_crs(plane).area.to_numpy() / 1e6
    out.insert(3, "area_km2", np.round(area, 4))
    return add_people(out, population=population, count=count, count_field=count_field)
