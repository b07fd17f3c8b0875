"""``suigeo crs ...``: named systems and conversions."""

from __future__ import annotations

import argparse
import importlib

import crs

# Subcommands that live in their own modules (each exposes ``register(group)``).
_SUBCOMMAND_MODULES = ("suigeo.cli.crs_point", "suigeo.cli.crs_convert", "suigeo.cli.crs_fit")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("crs", help="coordinate and height systems and conversions")
    g = p.add_subparsers(dest="crs_command", metavar="SUBCOMMAND", required=True)
    lp = g.add_parser("list", help="list the named systems", epilog="Example: suigeo crs list")
    lp.set_defaults(func=_list)
    for name in _SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(g)


def _list(args: argparse.Namespace) -> int:
    for s in crs.systems():
        code = f"EPSG:{s.epsg}" if s.epsg is not None else "-"
        print(f"{s.name:<22} {code:<10} {s.kind:<11} {s.title}")
    return 0
