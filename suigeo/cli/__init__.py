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
from suigeo.io.atomic import check_outputs, handle_termination

GROUPS = ("crs", "layers", "access", "map", "rules", "demo")

EXIT_OK = 0
EXIT_CHECKS_FAILED = 1
EXIT_BAD_INPUT = 2

#: argparse destinations that name files a command reads, and files it writes. Before any
#: work every output is checked against every input and every other output
#: (:func:`suigeo.io.atomic.check_outputs`). Old and new option names are both listed.
INPUT_DESTS = (
    "input", "file", "control", "check", "base", "params", "schema", "ruleset", "roads",
    "dem", "friction", "timetable", "through", "origins", "facilities", "targets", "rings",
    "user_layer",
)  # fmt: skip
OUTPUT_DESTS = ("output", "rejects", "problems", "raster_out", "png", "pdf")


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


_POSITIONAL = {"input", "file", "control", "facilities", "targets"}


def _files(args: argparse.Namespace, dests: Sequence[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for dest in dests:
        value = getattr(args, dest, None)
        values = value if isinstance(value, list) else [value]
        label = dest.upper() if dest in _POSITIONAL else "--" + dest.replace("_", "-")
        label = "-o" if dest == "output" else label
        out += [(label, v) for v in values if isinstance(v, str) and v]
    return out


def check_files(args: argparse.Namespace) -> None:
    """Check every output of a parsed command line against every input, before any work."""
    inputs = _files(args, INPUT_DESTS)
    env = os.environ.get("SUIGEO_GZ2000_PARAMS", "").strip()
    if env:
        inputs.append(("SUIGEO_GZ2000_PARAMS", env))
    check_outputs(_files(args, OUTPUT_DESTS), inputs)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (SIGTERM/SIGHUP: 128 + signal number)."""
    try:
        with handle_termination():
            return _main(argv)
    except KeyboardInterrupt as exc:  # also Ctrl-C while the libraries are still loading
        print("suigeo: interrupted", file=sys.stderr)
        return 128 + getattr(exc, "signum", 2)


def _main(argv: Sequence[str] | None) -> int:
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
        check_files(args)
        return int(func(args))
    except SuigeoError as exc:
        print(f"suigeo: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # The reader went away (e.g. `suigeo layers show x | head`): stop quietly, and
        # point stdout at devnull so the interpreter's final flush does not complain.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
