"""The ``suigeo`` command line: argument parsing only; work is done by the packages.

Each command group lives in its own module here (``crs``, ``layers``, ``access``, ``map``,
``rules``, ``demo``) and exposes ``register(subparsers)``. A handler returns the exit
status: 0 ok, 1 checks failed; every :class:`suigeo.errors.SuigeoError` becomes 2 with its
message on standard error.

Start-up is kept short: the modules here import only the standard library at import time.
A subcommand's arguments are added by a ``fill`` function the first time its parser is used
(:class:`LazyParser`), so ``suigeo --help`` imports no geospatial library and
``suigeo crs point`` imports only what a point conversion needs. Handlers import the
packages they call.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

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
    "user_layer", "parcels", "buildings", "green", "geoid", "gtfs", "compare_roads",
    "compare_gtfs", "clip",
)  # fmt: skip
OUTPUT_DESTS = (
    "output", "rejects", "raster_out", "png", "pdf", "map", "straddling", "report",
)  # fmt: skip

Fill = Callable[[argparse.ArgumentParser], None]


class LazyParser(argparse.ArgumentParser):
    """An argument parser whose arguments are added by ``fill(parser)`` on first use.

    ``fill`` runs before the parser parses, prints help or usage, so a subcommand that is
    not on the command line never imports what its options need (choices, defaults and
    help texts that live in heavy modules).
    """

    def __init__(self, *args: Any, fill: Fill | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fill = fill

    def filled(self) -> LazyParser:
        """Run the pending ``fill`` (once) and return the parser."""
        fill, self._fill = self._fill, None
        if fill is not None:
            fill(self)
        return self

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        self.filled()
        return super().parse_known_args(args, namespace)

    def format_help(self) -> str:
        self.filled()
        return super().format_help()

    def format_usage(self) -> str:
        self.filled()
        return super().format_usage()


class _Version(argparse.Action):
    """``--version``: the version is looked up only when asked for (fast start-up)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        kwargs.setdefault("help", "print suigeo's version and exit")
        super().__init__(option_strings, dest=argparse.SUPPRESS, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        import suigeo

        print(f"suigeo {suigeo.__version__}")
        parser.exit()


def build_parser() -> LazyParser:
    """The ``suigeo`` argument parser (subcommands fill in their arguments when used)."""
    parser = LazyParser(
        prog="suigeo",
        description="Geospatial planning toolkit for Guangzhou.",
        epilog="Example: suigeo crs point --from CGCS2000 --to CGCS2000-3GK-CM114 113.3 23.1",
    )
    parser.add_argument("--version", action=_Version, help="print suigeo's version and exit")
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log progress to stderr: which step, which file, how many rows (-vv: debug)",
    )
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
    if env and hasattr(args, "params") and not args.params:  # a command that may read it
        inputs.append(("SUIGEO_GZ2000_PARAMS", env))
    outputs = _files(args, OUTPUT_DESTS)
    # a command may write folders (a partitioned dataset): args.folder_outputs(args) names
    # their dests; they are checked as folders (suigeo.io.partitions), the rest as files
    folders = getattr(args, "folder_outputs", None)
    dests = set(folders(args)) if callable(folders) else set()
    if dests:
        from pathlib import Path

        from suigeo.io.partitions import check_dataset_output

        for _, v in _files(args, sorted(dests)):
            check_dataset_output(Path(v), [Path(i) for _, i in inputs])
        skip = {label for label, _ in _files(args, sorted(dests))}
        outputs = [(label, v) for label, v in outputs if label not in skip]
    check_outputs(outputs, inputs)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of the record (tests swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


_HANDLER = _StderrHandler()
_HANDLER.setFormatter(logging.Formatter("suigeo: %(message)s"))


def configure_logging(verbose: int) -> None:
    """Show the ``suigeo`` loggers' records on stderr: warnings; INFO with ``-v``; DEBUG with
    ``-vv``. Other libraries' loggers are left at their defaults (warnings only), so ``-v``
    adds suigeo's steps and no third-party noise.
    """
    logger = logging.getLogger("suigeo")
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logger.setLevel(level)
    if _HANDLER not in logger.handlers:
        logger.addHandler(_HANDLER)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (SIGTERM/SIGHUP: 128 + signal number)."""
    try:
        with handle_termination():
            return _main(argv)
    except KeyboardInterrupt as exc:  # also Ctrl-C while the libraries are still loading
        print("suigeo: interrupted", file=sys.stderr)
        return 128 + getattr(exc, "signum", 2)


def _main(argv: Sequence[str] | None) -> int:
    """The command line, inside the signal handling of :func:`main`."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 0 for --help, 2 for usage errors
        return int(exc.code or 0)
    configure_logging(args.verbose)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        check_files(args)
        from suigeo.cli.options import reading

        # --encoding, --bom, --sheet (suigeo.cli.options) reach every reader and CSV writer
        with reading(args):
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
