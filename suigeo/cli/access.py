"""``suigeo access ...``: accessibility rings and coverage."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from suigeo.cli.options import add_dask_options, add_text_options, dask_options
from suigeo.errors import InputError

if TYPE_CHECKING:
    from suigeo.geo.access import Settings

_RINGS_EXAMPLE = """examples:
  suigeo access rings --origin 广州南站 --minutes 30 90 -o rings.geojson
  suigeo access rings --origin 113.77,23.49 --minutes 30 --no-rail -o paitan.gpkg
  suigeo access rings --origin 广梅产业园 --minutes 30 --engine network --roads roads.gpkg \\
      -o gm30.geojson
  suigeo access rings --origin 113.77,23.49 --engine raster --dem dem.tif --roads roads.gpkg \\
      --minutes 30 --raster-out time.tif -o paitan_raster.geojson
  suigeo access rings --origin 广州南站 --minutes 90 --include-planned \\
      --set ground.speed_kmh=40 -o gz90.geojson
  suigeo access rings --origin 广州塔 --minutes 90 --set rail.through_running=false \\
      -o transfers.geojson      # charge a transfer even where trains run through
  suigeo access rings --origin 113.77,23.49 --minutes 30 90 --population worldpop.tif \\
      --count villages.gpkg -o paitan_people.gpkg   # people and villages in each ring
  suigeo access rings --origin 广梅产业园 --minutes 90 --compare planned \\
      --population worldpop.tif -o gained.gpkg      # areas and people the planned lines add
  suigeo access rings --origin 派潭 --minutes 60 90 --gtfs feed.zip \\
      --depart 2026-12-03T08:00 --window 60 --percentiles 25,50,75 -o tt.gpkg
  suigeo access rings --origin 113.77,23.49 --minutes 30 --engine network --roads roads.gpkg \\
      --compare-roads roads_2030.gpkg --no-rail -o new_road.gpkg   # gained and lost areas

Timetables: --gtfs rides the feed's trips (waits, rides, transfers) for every minute of the
window from --depart and draws the chosen percentiles of the travel time (default median).

People: a population raster's cells count whole when their centre lies in the ring.
Count: a layer's features count when their representative point lies in the ring.

Through running: with the shipped lines, trains listed in the shipped through-service table
(layers.through_services(), e.g. 广州东—梅州西 via 广汕/赣深/梅龙) run on at a junction for a
stop penalty instead of a transfer; --through CSV (id, lines, via[, status]) gives your own.
"""

_GROUP_EXAMPLES = """\
examples:
  suigeo access rings --origin 广州南站 --minutes 30 90 -o rings.geojson
  suigeo access rings --origin 113.77,23.49 --minutes 30 --no-rail --set ground.speed_kmh=30 \\
      -o paitan.geojson
  suigeo access coverage stations.csv villages.csv --km 5 -o report.csv
  suigeo access prepare guangdong.osm.pbf --bbox 113.2,23.0,113.5,23.3 -o roads.parquet
Travel-time settings (speeds, allowances; `--set KEY=VALUE`) and their sources are printed
with every result. Each subcommand's --help shows more."""

_COVERAGE_EXAMPLE = """examples:
  suigeo access coverage stations.csv villages.csv --km 5 -o report.csv
  suigeo access coverage clinics.gpkg villages.gpkg --minutes 15 --no-rail -o report.csv
  suigeo access coverage clinics.gpkg villages.gpkg --minutes 15 --engine network \\
      --roads roads.gpkg --no-rail -o report.csv
  suigeo access coverage stations.csv villages.csv --km 5 --population worldpop.tif \\
      -o report.csv             # also the share of the raster's people covered
  suigeo access coverage clinics.gpkg villages.gpkg --minutes 45 --gtfs feed.zip \\
      --depart 2026-12-03T08:00 -o report.csv   # by timetable: median over 60 minutes

FACILITIES and TARGETS: a vector file (GeoPackage, GeoJSON, GeoParquet ...) or a CSV with
lon, lat columns (CGCS2000). Exit status 1 when some targets are not covered.
"""


_PREPARE_EXAMPLE = """examples:
  suigeo access prepare guangdong-latest.osm.pbf -o gz_drive.parquet \\
      --bbox 112.9,22.5,114.1,23.95
  suigeo access prepare guangdong-latest.osm.pbf --clip conghua.gpkg --mode walk \\
      -o conghua_walk.parquet
  suigeo access rings --origin 113.59,23.55 --engine network --roads gz_drive.parquet \\
      --minutes 30 60 -o conghua.geojson

The network is written once (edges between junctions with maxspeed in km/h, oneway,
highway, the OSM way and node ids and where each speed came from) and read by every
engine and by coverage like any road line file. --roads EXTRACT.osm.pbf reads an extract
directly (mode: --set network.osm.mode=walk).
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``access rings`` and ``access coverage`` to the ``suigeo`` command."""
    sub.add_parser(
        "access",
        help="accessibility rings and coverage",
        description="Accessibility by road and rail: travel-time rings and coverage reports.",
        epilog=_GROUP_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        fill=_fill_group,
    )


def _fill_group(p: argparse.ArgumentParser) -> None:
    g = p.add_subparsers(dest="access_command", metavar="SUBCOMMAND", required=True)
    g.add_parser(
        "rings",
        help="polygons reachable within T minutes from (or to) an origin",
        description="Polygons reachable within each threshold from (or to) one or more origins.",
        epilog=_RINGS_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        fill=_fill_rings,
    )
    g.add_parser(
        "coverage",
        help="nearest facility of every target, within km or minutes",
        description="The nearest facility of every target and whether it is within the bound.",
        epilog=_COVERAGE_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        fill=_fill_coverage,
    )
    g.add_parser(
        "prepare",
        help="an OpenStreetMap extract (.osm.pbf, .osm) -> a road network file for --roads",
        description="Build the road network of an OpenStreetMap extract once (drive or walk) "
        "and write it for --roads.",
        epilog=_PREPARE_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        fill=_fill_prepare,
    )


def _set_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a travel-time setting (defaults.toml), e.g. ground.speed_kmh=40; repeatable",
    )


def _gtfs_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--gtfs",
        metavar="FEED",
        help="GTFS feed (.zip): ride its trips (waits, rides, transfers from the timetable) "
        "instead of the shipped rail lines; needs --depart",
    )
    p.add_argument(
        "--depart",
        metavar="TIME",
        help="with --gtfs: first departure, e.g. 2026-12-03T08:00 (the feed's local time)",
    )
    p.add_argument(
        "--window",
        type=int,
        default=60,
        metavar="MIN",
        help="with --gtfs: departures every minute for MIN minutes (default 60)",
    )
    p.add_argument(
        "--percentiles",
        type=_percentiles,
        default=[50.0],
        metavar="P[,P...]",
        help="with --gtfs: travel-time percentiles over the window (default 50: the median)",
    )
    p.add_argument(
        "--rejects",
        metavar="FILE",
        help="with --gtfs: write the feed's rows set aside (file, row, column, reason) here",
    )


def _percentiles(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give numbers like 25,50,75") from None


def _fill_rings(r: argparse.ArgumentParser) -> None:
    src = r.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--origin",
        action="append",
        metavar="NAME|LON,LAT",
        help="feature name from the shipped layers or LON,LAT (CGCS2000); repeatable",
    )
    src.add_argument("--origins", metavar="FILE", help="vector file or lon/lat CSV of origins")
    r.add_argument(
        "--minutes",
        type=float,
        nargs="+",
        default=[30.0, 90.0],
        help="thresholds in minutes (default 30 90)",
    )
    r.add_argument(
        "--engine",
        choices=("sketch", "network", "raster"),
        default="sketch",
        help="sketch: straight lines and rail; network: your road lines; raster: DEM and "
        "roads on a grid (default sketch)",
    )
    r.add_argument(
        "--direction",
        choices=("from", "to"),
        default="from",
        help="travel from the origin or to it (default from)",
    )
    r.add_argument(
        "--roads",
        metavar="FILE",
        help="road lines (network and raster engines): a line file with maxspeed/highway, "
        "an OpenStreetMap extract (.osm.pbf, .osm) or an `access prepare` network",
    )
    r.add_argument("--dem", metavar="FILE", help="DEM GeoTIFF (raster engine)")
    r.add_argument(
        "--friction",
        metavar="FILE",
        help="raster engine: GeoTIFF of off-road speeds in km/h (0 = impassable)",
    )
    r.add_argument("--timetable", metavar="CSV", help="rides: from, to, minutes (replaces lines)")
    r.add_argument(
        "--through",
        metavar="CSV",
        help="through services: id, lines, via[, status] (default: the shipped table)",
    )
    r.add_argument(
        "--include-planned",
        action="store_true",
        help="add rail lines under construction and planned (a scenario)",
    )
    r.add_argument("--no-rail", action="store_true", help="ground travel only")
    r.add_argument(
        "--nearest",
        action="store_true",
        help="many origins: one ring per threshold for the nearest origin",
    )
    _set_option(r)
    r.add_argument("--raster-out", metavar="TIF", help="raster engine: travel-time GeoTIFF")
    r.add_argument(
        "--population",
        metavar="RASTER",
        help="population GeoTIFF (people per cell, any CRS, e.g. WorldPop): add the people "
        "of each ring (cells whose centre lies in it)",
    )
    r.add_argument(
        "--count",
        metavar="FILE",
        help="point or polygon layer (villages, schools, firms): add how many lie in each ring",
    )
    _gtfs_options(r)
    r.add_argument(
        "--compare",
        choices=("planned",),
        help="write what a scenario changes instead of the rings: planned = the areas gained "
        "and lost per threshold when rail under construction and planned is added",
    )
    r.add_argument(
        "--compare-roads",
        metavar="FILE",
        help="write what a second road network changes (the scenario) against --roads (the "
        "base): areas gained and lost per threshold",
    )
    r.add_argument(
        "--compare-gtfs",
        metavar="FEED",
        help="write what a second GTFS feed changes (the scenario) against --gtfs (the base)",
    )
    r.add_argument(
        "--count-field",
        metavar="COLUMN",
        help="with --count: sum this numeric column (e.g. jobs) instead of counting features",
    )
    r.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help="output: .geojson, .gpkg, .fgb, .parquet, .csv (WKT)",
    )
    add_dask_options(
        r,
        what="draws the rings of many origins (sketch engine, one ring each) in partitions",
        partition="origins per partition (100)",
    )
    add_text_options(r, bom=True)
    r.set_defaults(func=_rings)


def _fill_coverage(c: argparse.ArgumentParser) -> None:
    c.add_argument("facilities", help="facilities: a vector file or a lon/lat CSV (CGCS2000)")
    c.add_argument("targets", help="targets to cover: a vector file or a lon/lat CSV (CGCS2000)")
    bound = c.add_mutually_exclusive_group(required=True)
    bound.add_argument("--km", type=float, help="covered within this straight-line distance")
    bound.add_argument("--minutes", type=float, help="covered within this travel time")
    c.add_argument(
        "--engine",
        choices=("sketch", "network"),
        default="sketch",
        help="travel-time engine for --minutes (default sketch)",
    )
    c.add_argument(
        "--roads",
        metavar="FILE",
        help="road lines for --engine network (also .osm.pbf/.osm or an `access prepare` file)",
    )
    c.add_argument("--no-rail", action="store_true", help="--minutes: ground travel only")
    c.add_argument(
        "--include-planned",
        action="store_true",
        help="--minutes: add rail lines under construction and planned (a scenario)",
    )
    _set_option(c)
    _gtfs_options(c)
    c.add_argument(
        "--population",
        metavar="RASTER",
        help="population GeoTIFF (people per cell, any CRS): also report the share of its "
        "people covered",
    )
    c.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="report (.csv, or a vector format)"
    )
    add_dask_options(
        c,
        what="finds the nearest facilities of partitions of the targets (--km, or --minutes "
        "with the sketch engine)",
        partition="targets per partition (2000)",
    )
    add_text_options(c, bom=True)
    c.set_defaults(func=_coverage)


def _fill_prepare(c: argparse.ArgumentParser) -> None:
    c.add_argument("input", metavar="EXTRACT", help="OpenStreetMap extract: .osm.pbf or .osm")
    c.add_argument(
        "--mode",
        choices=("drive", "walk"),
        help="drive (classes, maxspeed, oneway, car access) or walk (default: the setting "
        "network.osm.mode, drive)",
    )
    area = c.add_mutually_exclusive_group()
    area.add_argument(
        "--bbox",
        metavar="W,S,E,N",
        help="keep the edges touching this box (CGCS2000 degrees)",
    )
    area.add_argument(
        "--clip",
        metavar="FILE",
        help="keep the edges touching the polygons of this vector file (any CRS)",
    )
    _set_option(c)
    c.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help="network: .parquet (GeoParquet), .gpkg, .fgb, .geojson",
    )
    c.set_defaults(func=_prepare)


def _prepare(args: argparse.Namespace) -> int:
    from suigeo.geo.access import resolve_settings
    from suigeo.geo.access.osm import prepare

    settings = resolve_settings(_settings(args.settings))
    bbox = None
    if args.bbox:
        try:
            parts = [float(x) for x in args.bbox.split(",")]
        except ValueError:
            parts = []
        if len(parts) != 4:
            raise InputError(f"--bbox {args.bbox!r}: write W,S,E,N, e.g. 113.2,23.0,113.5,23.3")
        bbox = (parts[0], parts[1], parts[2], parts[3])
    net = prepare(
        args.input, args.output, mode=args.mode, settings=settings, bbox=bbox, clip=args.clip
    )
    print(net.summary())
    src = net.edges["speed_source"].str.split(" ").str[0].value_counts()
    print("speeds from: " + ", ".join(f"{k} {v}" for k, v in src.items()))
    print(f"wrote {len(net.edges)} edges to {args.output}")
    return 0


def _settings(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, val = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--set {item!r}: write KEY=VALUE, e.g. ground.speed_kmh=40")
        out[key.strip()] = val.strip()
    return out


def _rings(args: argparse.Namespace) -> int:
    from suigeo.geo.access import resolve_settings, rings, write
    from suigeo.geo.access.coverage import read_points
    from suigeo.geo.access.output import check_output

    settings = resolve_settings(_settings(args.settings))
    files = (
        args.roads,
        args.dem,
        args.friction,
        args.timetable,
        args.through,
        args.origins,
        args.population,
        args.count,
        args.gtfs,
        args.compare_roads,
        args.compare_gtfs,
    )
    inputs = [x for x in files if x]
    check_output(args.output, inputs=inputs)  # before the work, not after it
    feed = _read_feed(args, inputs)
    origin = (
        read_points(args.origins, "origins")
        if args.origins
        else (args.origin[0] if len(args.origin) == 1 else args.origin)
    )
    compare = _compare(args)
    opts: dict[str, Any] = {}
    run: Callable[..., Any] = rings
    if compare is not None:
        from suigeo.geo.access.rings import compare_rings

        run = compare_rings
        opts["compare"] = compare
    if compare != "planned":
        opts["include_planned"] = args.include_planned
    if feed is not None:
        opts.update(gtfs=feed, depart=args.depart, window=args.window, percentiles=args.percentiles)
    elif args.depart is not None:
        raise InputError("--depart needs a GTFS feed: --gtfs FEED")
    result = run(
        origin,
        minutes=args.minutes,
        engine=args.engine,
        direction=args.direction,
        roads=args.roads,
        dem=args.dem,
        rail=not args.no_rail,
        settings=settings,
        timetable=args.timetable,
        nearest=args.nearest,
        raster_out=args.raster_out,
        friction=args.friction,
        through=args.through,
        population=args.population,
        count=args.count,
        count_field=args.count_field,
        **opts,
        **_executor(args),
    )
    write(result, args.output, inputs=inputs)
    for row in result.itertuples():
        extra = ""
        if args.population:
            extra += f"\t{row.population:,.0f} people"
        if args.count:
            extra += (
                f"\t{row.count:,.0f} {'of ' + args.count_field if args.count_field else 'features'}"
            )
        change = f"\t{row.change}" if compare is not None else ""
        pct = f"\tp{row.percentile:g}" if "percentile" in result.columns else ""
        print(
            f"{row.origin}\t{row.minutes:g} min{pct}{change}\t{row.area_km2:.1f} km²\t"
            f"{row.scenario}{extra}"
        )
    print(f"method: {result['method'].iloc[0]}")
    _print_settings(settings, result["settings"].iloc[0])
    what = "changed areas" if compare is not None else "rings"
    print(f"wrote {len(result)} {what} to {args.output}")
    return 0


def _read_feed(args: argparse.Namespace, inputs: list[str]) -> Any:
    """The ``--gtfs`` feed, read once; its rejects written to ``--rejects`` or counted."""
    if args.rejects and not args.gtfs:
        raise InputError("--rejects lists the rows of a GTFS feed set aside: give --gtfs FEED")
    if not args.gtfs:
        return None
    from suigeo.io.gtfs import read_gtfs

    feed = read_gtfs(args.gtfs)
    _report_rejects(feed, args.rejects, inputs)
    return feed


def _report_rejects(feed: Any, path: str | None, inputs: list[str]) -> None:
    n = len(feed.rejects)
    if path:
        from suigeo.io.rejects import write_rejects

        write_rejects(feed.rejects, path, inputs=inputs)
        print(f"{n} row(s) of {feed.name} set aside, listed in {path}", file=sys.stderr)
    elif n:
        print(
            f"{n} row(s) of {feed.name} set aside (write them with --rejects FILE)",
            file=sys.stderr,
        )


def _compare(args: argparse.Namespace) -> Any:
    """``--compare planned`` or the scenario's own roads / feed (one of them)."""
    given = [
        x
        for x in (
            args.compare,
            args.compare_roads and "--compare-roads",
            args.compare_gtfs and "--compare-gtfs",
        )
        if x
    ]
    if len(given) > 1:
        raise InputError("give one of --compare, --compare-roads, --compare-gtfs")
    if args.compare:
        if args.include_planned or args.no_rail:
            raise InputError(
                "--compare planned compares rail scenarios: drop --include-planned and --no-rail"
            )
        return args.compare
    if args.compare_roads:
        if not args.roads:
            raise InputError("--compare-roads needs the base network: --roads FILE")
        return {"roads": args.compare_roads}
    if args.compare_gtfs:
        if not args.gtfs:
            raise InputError("--compare-gtfs needs the base feed: --gtfs FEED")
        from suigeo.io.gtfs import read_gtfs

        other = read_gtfs(args.compare_gtfs)
        _report_rejects(other, None, [])
        return {"gtfs": other}
    return None


def _executor(args: argparse.Namespace) -> dict[str, Any]:
    """``executor="dask"`` and its options with --executor dask, else nothing."""
    dask = dask_options(args)
    return {"executor": "dask", **dask} if dask else {}


def _print_settings(settings: Settings, used_json: str) -> None:
    import json

    used = json.loads(used_json)
    print("travel-time settings (value, source):")
    for key, value, source in settings.table():
        if key in used:
            print(f"  {key} = {value}    [{source}]")


def _coverage(args: argparse.Namespace) -> int:
    from suigeo.geo.access import coverage, resolve_settings, write
    from suigeo.geo.access.output import check_output

    settings = resolve_settings(_settings(args.settings))
    files = (args.facilities, args.targets, args.roads, args.population, args.gtfs)
    inputs = [x for x in files if x]
    check_output(args.output, inputs=inputs)  # before the work, not after it
    feed = _read_feed(args, inputs)
    transit: dict[str, Any] = {}
    if feed is not None:
        transit = {
            "gtfs": feed,
            "depart": args.depart,
            "window": args.window,
            "percentiles": args.percentiles,
        }
    elif args.depart is not None:
        raise InputError("--depart needs a GTFS feed: --gtfs FEED")
    res = coverage(
        args.facilities,
        args.targets,
        km=args.km,
        minutes=args.minutes,
        engine=args.engine,
        roads=args.roads,
        rail=not args.no_rail,
        include_planned=args.include_planned,
        settings=settings,
        population=args.population,
        **transit,
        **_executor(args),
    )
    write(res.table, args.output, inputs=inputs)
    n, bad = len(res.table), len(res.uncovered)
    print(f"{n - bad} of {n} targets covered ({res.table['criterion'].iloc[0]})")
    if res.people is not None:
        pc = res.people
        print(
            f"{pc.covered:,.0f} of {pc.total:,.0f} people covered ({100 * pc.share:.1f}%; "
            f"{pc.rule})"
        )
    if "settings" in res.table.columns:
        _print_settings(settings, res.table["settings"].iloc[0])
    if bad:
        print("uncovered:")
        col = "distance_km" if "distance_km" in res.uncovered.columns else "minutes"
        for row in res.uncovered.itertuples():
            print(f"  {row.target}\tnearest {row.facility}\t{getattr(row, col):g}")
    print(f"wrote {args.output}", file=sys.stderr)
    return 1 if bad else 0
