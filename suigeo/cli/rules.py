"""``suigeo rules ...``: list, show and check the land-use rule sets (geo.rules)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from suigeo.geo.rules.parcels import ParcelResult

from suigeo.cli.options import add_dask_options, add_text_options, dask_options

CHECK_EXAMPLE = """\
Examples:
  suigeo rules check project.json --ruleset village-industrial-2022 --as-of 2024-06-30
  suigeo rules check parcels.gpkg --ruleset village-industrial-2022 --format csv -o out.csv
  suigeo rules check sheets.csv --ruleset survey-update-2022 --format json
  suigeo rules check parcels.parquet --ruleset village-industrial-2022 --format csv \
      -o out.csv --executor dask --workers 4

Exit status: 0 nothing failed, 1 at least one rule failed or no rule of the set was in
force on the as-of date (nothing checked; --allow-expired reports it with exit 0),
2 bad input or usage (and 2 when --rejects set rows aside)."""

_GROUP_EXAMPLES = """\
examples:
  suigeo rules list
  suigeo rules show village-industrial-2022
  suigeo rules check project.json --ruleset village-industrial-2022 --as-of 2024-06-30
Each subcommand's --help shows more."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``suigeo rules list|show|check``."""
    sub.add_parser(
        "rules",
        help="land-use ratio and survey-cycle rule checks",
        description="Dated, clause-cited land-use rule sets and checks of projects against them.",
        epilog=_GROUP_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        fill=_fill_group,
    )


def _fill_group(p: argparse.ArgumentParser) -> None:
    g = p.add_subparsers(dest="rules_command", metavar="SUBCOMMAND", required=True)
    lp = g.add_parser(
        "list", help="list the shipped rule sets", epilog="Example: suigeo rules list"
    )
    lp.set_defaults(func=_list)
    sp = g.add_parser(
        "show",
        help="show a rule set: document, dates, fields and rules",
        epilog="Example: suigeo rules show village-industrial-2022",
    )
    sp.add_argument("name", metavar="NAME", help="rule set name or path to a rule-set .toml")
    sp.set_defaults(func=_show)
    g.add_parser(
        "check",
        help="check projects (a project file or a table) against a rule set",
        epilog=CHECK_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        fill=_fill_check,
    )
    g.add_parser(
        "parcels",
        help="plot ratio, coverage, green ratio and height per parcel against its limits",
        epilog=PARCELS_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        fill=_fill_parcels,
    )


def _fill_check(cp: argparse.ArgumentParser) -> None:
    from suigeo.geo.rules.report import FORMATS

    cp.add_argument(
        "input", metavar="INPUT", help="project .json/.toml or table .csv/.parquet/.gpkg/..."
    )
    cp.add_argument("--ruleset", required=True, metavar="NAME", help="rule set (rules list)")
    cp.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="date the rules are judged on (default today). A rule outside its validity on "
        "that date is reported expired / not_in_force, not applied; when no rule of the set is "
        "in force the run says so on stderr and in the JSON (in_force: false) and exits 1",
    )
    cp.add_argument(
        "--allow-expired",
        action="store_true",
        help="report a rule set that is not in force on the as-of date with exit 0 "
        "(the warning is still printed)",
    )
    cp.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="report format (default table, for people)",
    )
    cp.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    cp.add_argument(
        "--area-system",
        metavar="SYSTEM",
        help="plane system for polygon areas (default: CGCS2000 3-degree GK zone of each polygon)",
    )
    cp.add_argument(
        "--from",
        dest="src",
        metavar="SYSTEM",
        help="system of a project file's GeoJSON geometry (default CGCS2000 lon/lat)",
    )
    cp.add_argument(
        "--rejects",
        metavar="FILE",
        help="write bad rows here (CSV with reasons) and check the others, instead of stopping",
    )
    add_dask_options(
        cp,
        what="validates and checks the table in partitions",
        partition="projects per partition (20000)",
    )
    add_text_options(cp)
    cp.set_defaults(func=_check)


PARCELS_EXAMPLE = """\
Examples:
  suigeo rules parcels parcels.gpkg --buildings buildings.gpkg -o report.csv
  suigeo rules parcels 地块.shp --buildings 建筑.shp --green 绿地.shp --format json -o r.json \\
      --rejects rejects.csv --map parcels.html
  suigeo rules parcels parcels.gpkg --buildings b.gpkg --from GZ2000 --params gz2000.toml

Parcels carry their limits: far_max far_min coverage_max green_min height_max (or 容积率上限
容积率下限 建筑密度上限 绿地率下限 建筑限高; --column far_max=FAR_UP names others);
buildings carry floors (层数) or gfa_m2 (建筑面积), and height_m (建筑高度).

Exit status: 0 every checked indicator passes, 1 an indicator fails or nothing could be
checked, 2 bad input or usage (an invalid geometry or a bad value: without --rejects the
first one is named and nothing is written; with --rejects they are listed there, the rest is
checked, and the exit status is still 2)."""


def _fill_parcels(pp: argparse.ArgumentParser) -> None:
    pp.add_argument("parcels", metavar="PARCELS", help="parcel polygons with their limits")
    pp.add_argument("--buildings", required=True, metavar="FILE", help="building footprints")
    pp.add_argument("--green", metavar="FILE", help="green-space polygons (for the green ratio)")
    pp.add_argument("-o", "--output", metavar="FILE", help="write the report here (not stdout)")
    pp.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        help="report format (default: csv for -o FILE.csv, json for .json, else table)",
    )
    pp.add_argument("--rejects", metavar="FILE", help="list the rows not (fully) checked here")
    pp.add_argument("--map", metavar="FILE", help="draw the parcels by worst status (HTML)")
    pp.add_argument(
        "--straddling",
        metavar="FILE",
        help="list the buildings apportioned between parcels (CSV: building, parcel, share, "
        "gfa_m2; an empty parcel is the part outside every parcel)",
    )
    pp.add_argument("--id-column", metavar="NAME", help="the parcels' id column")
    pp.add_argument(
        "--column",
        action="append",
        metavar="QUANTITY=NAME",
        help="the column of a limit or building quantity, e.g. far_max=FAR_UP (repeatable)",
    )
    pp.add_argument("--from", dest="src", metavar="SYSTEM", help="system of the layers")
    pp.add_argument("--params", metavar="FILE", help="Guangzhou 2000 parameter file")
    pp.add_argument(
        "--area-system",
        metavar="SYSTEM",
        help="plane system for areas (default: the Gauss-Krüger zone of the data)",
    )
    pp.set_defaults(func=_parcels)


_DEFECTS = ("invalid_geometry", "bad_limit", "bad_value", "not_a_feature", "empty")


def _parcels(args: argparse.Namespace) -> int:
    from suigeo.errors import InputError, OutputError
    from suigeo.geo.rules.parcels import check_parcels, render_parcels
    from suigeo.io.atomic import atomic_output, check_not_input

    inputs = [p for p in (args.parcels, args.buildings, args.green) if p]
    outs = [p for p in (args.output, args.rejects, args.map, args.straddling) if p]
    if len({str(Path(p).resolve()) for p in outs}) < len(outs):
        raise OutputError("-o, --rejects, --map and --straddling must name different files")
    for p in outs:
        check_not_input(p, inputs)
    columns = {}
    for item in args.column or []:
        key, sep, value = item.partition("=")
        if not sep or not value:
            raise InputError(f"--column {item!r}: give QUANTITY=NAME, e.g. far_max=FAR_UP")
        columns[key.strip()] = value.strip()
    result = check_parcels(
        args.parcels,
        args.buildings,
        args.green,
        columns=columns,
        id_column=args.id_column,
        src=args.src,
        params=args.params,
        area_system=args.area_system,
    )
    rej = result.rejects
    defects = rej[rej["reason"].isin(_DEFECTS)] if len(rej) else rej
    if len(defects) and not args.rejects:
        r = defects.iloc[0]
        more = (
            f" (and {len(defects) - 1} more; --rejects FILE lists them)" if len(defects) > 1 else ""
        )
        raise InputError(
            f"{r['layer']}: row {r['row']}, column {r['column']!r}: {r['message']}{more}"
        )
    fmt = args.format or (
        "json" if str(args.output).lower().endswith(".json") else "csv" if args.output else "table"
    )
    text = render_parcels(result, fmt)
    if args.output:
        with atomic_output(args.output, inputs=inputs) as tmp:
            tmp.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    _parcel_outputs(args, result, inputs)
    c = result.counts
    note = (
        f"suigeo: {len(result.parcels)} parcels, areas in {result.area_system}: "
        + ", ".join(f"{k} {v}" for k, v in c.items())
        + f"; {result.straddling['building'].nunique()} straddling buildings apportioned"
    )
    if len(rej):
        note += f"; {len(rej)} rows in rejects" + ("" if args.rejects else " (see --rejects FILE)")
    print(note, file=sys.stderr)
    if len(defects):
        return 2
    if len(result.parcels) == 0 or c.get("not_evaluable", 0) == len(result.report):
        print("suigeo: nothing was checked (no parcel, or no indicator evaluable)", file=sys.stderr)
        return 1
    return 1 if result.any_failed else 0


def _list(args: argparse.Namespace) -> int:
    from suigeo.geo.rules import load_ruleset, ruleset_names, summary

    print("\n".join(summary(load_ruleset(name)) for name in ruleset_names()))
    return 0


def _show(args: argparse.Namespace) -> int:
    from suigeo.geo.rules import describe, load_ruleset

    sys.stdout.write(describe(load_ruleset(args.name)))
    return 0


def _check(args: argparse.Namespace) -> int:
    from suigeo.errors import OutputError
    from suigeo.geo.rules import check_file, render
    from suigeo.io.atomic import atomic_output

    if args.rejects and args.output and Path(args.rejects).resolve() == Path(args.output).resolve():
        raise OutputError(f"--rejects and -o name the same file {args.output!r}; give two files")
    engine = _engine(args)
    if engine and args.format == "csv" and args.output:  # written by partitions, in order
        engine["csv_report"] = args.output
    result = check_file(
        args.input,
        args.ruleset,
        as_of=args.as_of,
        area_system=args.area_system,
        src=args.src,
        on_error="reject" if args.rejects else "raise",
        allow_expired=True,  # decided below: message on stderr and exit 1
        **engine,
    )
    if "csv_report" not in engine:
        text = render(result, args.format)
        if args.output:
            with atomic_output(args.output, inputs=[args.input, args.ruleset]) as tmp:
                tmp.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    status = 1 if result.any_failed else 0
    if not result.in_force:
        print(f"suigeo: {result.not_in_force_message()}", file=sys.stderr)
        if not args.allow_expired:
            status = 1
    if args.rejects:
        rejects = result.projects.rejects
        from suigeo.io.rejects import write_rejects

        write_rejects(rejects, args.rejects, inputs=[args.input, args.ruleset])
        if len(rejects):
            print(
                f"suigeo: {rejects['row'].nunique()} row(s) of {args.input} set aside in "
                f"{args.rejects} with their reasons",
                file=sys.stderr,
            )
            status = 2
    return status


def _engine(args: argparse.Namespace) -> dict:
    """``executor="dask"`` and its options with --executor dask, else nothing."""
    dask = dask_options(args)
    return {"executor": "dask", **dask} if dask else {}


def _parcel_outputs(args: argparse.Namespace, result: ParcelResult, inputs: list[str]) -> None:
    """The rejects, straddling and map files of ``rules parcels``, when asked for."""
    from suigeo.io.atomic import atomic_output

    rej = result.rejects
    if args.rejects:
        import pyarrow as pa

        from suigeo.io.rejects import write_rejects

        write_rejects(pa.Table.from_pandas(rej.astype(object), preserve_index=False),
                      args.rejects, inputs=inputs)  # fmt: skip
    if args.straddling:
        from suigeo.geo.rules.report import _csv

        with atomic_output(args.straddling, inputs=inputs) as tmp:
            tmp.write_text(_csv(result.straddling), encoding="utf-8")
    if args.map:
        from suigeo.geo.rules.parcels import parcel_map_layer
        from suigeo.maps import build, save_html

        m = build({"parcel check": parcel_map_layer(result)}, title="Parcel indicators 地块指标")
        save_html(m, args.map, inputs=inputs)
