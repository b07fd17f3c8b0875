"""The ``suigeo`` command line: argument parsing only; work is done by the packages.

Each command group lives in its own module here (``crs``, ``layers``, ``access``, ``map``,
``rules``, ``demo``) and exposes ``register(subparsers)``. A handler returns the exit
status: 0 ok, 1 checks failed; every :class:`suigeo.errors.SuigeoError` becomes 2 with its
message on standard error.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from suigeo import __version__
from suigeo.errors import SuigeoError

GROUPS = ("crs", "layers", "access", "map", "rules", "demo")

EXIT_OK = 0
EXIT_CHECKS_FAILED = 1
EXIT_BAD_INPUT = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="suigeo",
        description="Geospatial planning toolkit for Guangzhou.",
        epilog="Example: suigeo crs point --from CGCS2000 --to CGCS2000-3GK-CM114 113.3 23.1",
    )
    parser.add_argument("--version", action="version", version=f"suigeo {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in GROUPS:
        try:
            module = importlib.import_module(f"suigeo.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"suigeo.cli.{name}":
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 0 for --help, 2 for usage errors
        return int(exc.code or 0)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="suigeo: %(message)s",
    )
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return int(func(args))
    except SuigeoError as exc:
        print(f"suigeo: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("suigeo: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `suigeo layers show x | head`): stop quietly, and
        # point stdout at devnull so the interpreter's final flush does not complain.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
