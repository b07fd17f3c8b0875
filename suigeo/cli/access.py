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
Travel-time settings (speeds, allowances; `--set KEY=VALUE`) and their sources are printed
with every result. Each subcommand's --help shows more."""

_COVERAGE_EXAMPLE = """examples:
  suigeo access coverage stations.csv villages.csv --km 5 -o report.csv
  suigeo access coverage clinics.gpkg villages.gpkg --minutes 15 --no-rail -o report.csv
  suigeo access coverage clinics.gpkg villages.gpkg --minutes 15 --engine network \\
      --roads roads.gpkg --no-rail -o report.csv
  suigeo access coverage stations.csv villages.csv --km 5 --population worldpop.tif \\
      -o report.csv             # also the share of the raster's people covered

FACILITIES and TARGETS: a vector file (GeoPackage, GeoJSON, GeoParquet ...) or a CSV with
lon, lat columns (CGCS2000). Exit status 1 when some targets are not covered.
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


def _set_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a travel-time setting (defaults.toml), e.g. ground.speed_kmh=40; repeatable",
    )


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
    r.add_argument("--roads", metavar="FILE", help="road lines (network and raster engines)")
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
    r.add_argument(
        "--compare",
        choices=("planned",),
        help="write what a scenario changes instead of the rings: planned = the areas gained "
        "and lost per threshold when rail under construction and planned is added",
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
        flag="--executor",
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
    c.add_argument("--roads", metavar="FILE", help="road lines for --engine network")
    c.add_argument("--no-rail", action="store_true", help="--minutes: ground travel only")
    c.add_argument(
        "--include-planned",
        action="store_true",
        help="--minutes: add rail lines under construction and planned (a scenario)",
    )
    _set_option(c)
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
        flag="--executor",
        what="finds the nearest facilities of partitions of the targets (--km, or --minutes "
        "with the sketch engine)",
        partition="targets per partition (2000)",
    )
    add_text_options(c, bom=True)
    c.set_defaults(func=_coverage)


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
    )
    inputs = [x for x in files if x]
    check_output(args.output, inputs=inputs)  # before the work, not after it
    origin = (
        read_points(args.origins, "origins")
        if args.origins
        else (args.origin[0] if len(args.origin) == 1 else args.origin)
    )
    if args.compare and (args.include_planned or args.no_rail):
        raise InputError(
            "--compare planned compares rail scenarios: drop --include-planned and --no-rail"
        )
    opts: dict[str, Any] = {}
    run: Callable[..., Any] = rings
    if args.compare:
        from suigeo.geo.access.rings import compare_rings

        run = compare_rings
        opts["compare"] = args.compare
    else:
        opts["include_planned"] = args.include_planned
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
        change = f"\t{row.change}" if args.compare else ""
        print(
            f"{row.origin}\t{row.minutes:g} min{change}\t{row.area_km2:.1f} km²\t"
            f"{row.scenario}{extra}"
        )
    print(f"method: {result['method'].iloc[0]}")
    _print_settings(settings, result["settings"].iloc[0])
    what = "changed areas" if args.compare else "rings"
    print(f"wrote {len(result)} {what} to {args.output}")
    return 0


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
    inputs = [x for x in (args.facilities, args.targets, args.roads, args.population) if x]
    check_output(args.output, inputs=inputs)  # before the work, not after it
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
