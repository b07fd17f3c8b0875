"""``suigeo crs ...``: named systems and conversions."""

from __future__ import annotations

import argparse

import crs


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("crs", help="coordinate and height systems and conversions")
    g = p.add_subparsers(dest="crs_command", metavar="SUBCOMMAND", required=True)
    lp = g.add_parser("list", help="list the named systems", epilog="Example: suigeo crs list")
    lp.set_defaults(func=_list)


def _list(args: argparse.Namespace) -> int:
    for s in crs.systems():
        code = f"EPSG:{s.epsg}" if s.epsg is not None else "-"
        print(f"{s.name:<22} {code:<10} {s.kind:<11} {s.title}")
    return 0
