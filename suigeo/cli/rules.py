"""``suigeo rules ...``: list, show and check the land-use rule sets (geo.rules)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

CHECK_EXAMPLE = """\
Examples:
  suigeo rules check project.json --ruleset village-industrial-2022 --as-of 2024-06-30
  suigeo rules check parcels.gpkg --ruleset village-industrial-2022 --format csv -o out.csv
  suigeo rules check sheets.csv --ruleset survey-update-2022 --format json

Exit status: 0 nothing failed, 1 at least one rule failed, 2 bad input or usage
(and 2 when --rejects set rows aside)."""

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


def _fill_check(cp: argparse.ArgumentParser) -> None:
    from suigeo.geo.rules.report import FORMATS

    cp.add_argument(
        "input", metavar="INPUT", help="project .json/.toml or table .csv/.parquet/.gpkg/..."
    )
    cp.add_argument("--ruleset", required=True, metavar="NAME", help="rule set (rules list)")
    cp.add_argument("--as-of", metavar="YYYY-MM-DD", help="date the rules are judged on (today)")
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
    cp.set_defaults(func=_check)


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
    result = check_file(
        args.input,
        args.ruleset,
        as_of=args.as_of,
        area_system=args.area_system,
        src=args.src,
        on_error="reject" if args.rejects else "raise",
    )
    text = render(result, args.format)
    if args.output:
        with atomic_output(args.output, inputs=[args.input, args.ruleset]) as tmp:
            tmp.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    status = 1 if result.any_failed else 0
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
