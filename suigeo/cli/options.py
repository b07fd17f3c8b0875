"""Options shared by every command that reads files: ``--encoding`` and ``--bom``.

Each command's ``fill`` calls :func:`add_text_options`; :func:`suigeo.cli.main` then reads
every table of the command in that encoding (:func:`suigeo.io.encodings.use_encoding`), so
an option added here reaches every reader at once.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator

__all__ = ["add_text_options", "encoding_name", "reading"]

ENCODING_HELP = (
    "text encoding of the input tables (CSV, TXT, CASS .dat, and a Shapefile .dbf without a "
    ".cpg or code page byte): auto (default: UTF-8 with or without BOM, GBK/GB18030 and "
    "UTF-16 are told apart; refused when it cannot tell), utf-8, gbk, gb18030, utf-16, or "
    "any Python codec name"
)


def encoding_name(text: str) -> str:
    """``--encoding``: ``auto`` or a text codec Python knows (else a usage error, exit 2)."""
    from suigeo.errors import InputError
    from suigeo.io.encodings import check_encoding

    try:
        return check_encoding(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_text_options(p: argparse.ArgumentParser, *, bom: bool = False) -> None:
    """Add ``--encoding`` (and, for a command that writes CSV, ``--bom``) to ``p``."""
    p.add_argument(
        "--encoding", metavar="NAME", type=encoding_name, default="auto", help=ENCODING_HELP
    )
    p.add_argument(
        "--sheet",
        metavar="NAME",
        help="the sheet of an Excel workbook to read (default: the first)",
    )
    if bom:
        p.add_argument(
            "--bom",
            action="store_true",
            help="start a CSV output with a UTF-8 byte order mark (Excel then reads it as "
            "UTF-8); default: when the input had one or was GBK/UTF-16",
        )


@contextlib.contextmanager
def reading(args: argparse.Namespace) -> Iterator[None]:
    """Apply ``--encoding``, ``--bom`` and ``--sheet`` of a parsed command line to every
    reader and CSV writer for the time of the command."""
    from suigeo.io.encodings import use_encoding
    from suigeo.io.sheets import use_sheet

    encoding = getattr(args, "encoding", None)
    with (
        use_encoding(encoding, bom=getattr(args, "bom", False)),
        use_sheet(getattr(args, "sheet", None)),
    ):
        yield


def positive(text: str) -> int:
    """A whole number of at least 1 (else a usage error, exit 2)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text} is not at least 1")
    return n


def add_dask_options(p: argparse.ArgumentParser, *, what: str, partition: str) -> None:
    """The Dask executor's options, the same for every command that has one: ``--executor
    memory|dask`` (where the work runs; in ``access``, ``--engine`` is the travel-time model),
    ``--workers``, ``--memory-limit``, ``--scheduler``, ``--partition-rows``
    (``partition``: its help). Read them back with :func:`dask_options`."""
    d = p.add_argument_group(
        "Dask executor",
        f"--executor dask {what} on Dask (pip install 'suigeo[dask]'): a local cluster of worker "
        "processes, or the cluster at --scheduler; same results as the default",
    )
    d.add_argument(
        "--executor",
        dest="dask_engine",
        choices=("memory", "dask"),
        default="memory",
        help="memory: this process (default); dask: a Dask cluster",
    )
    d.add_argument("--workers", metavar="N", type=positive, help="local cluster: worker processes")
    d.add_argument(
        "--memory-limit", metavar="SIZE", help="local cluster: memory limit per worker (2GB)"
    )
    d.add_argument(
        "--scheduler", metavar="ADDRESS", help="join the cluster at ADDRESS (tcp://host:8786)"
    )
    d.add_argument("--partition-rows", metavar="N", type=positive, help=partition)


def dask_options(args: argparse.Namespace) -> dict:
    """The Dask keyword arguments of a parsed command line (empty without the Dask executor;
    a Dask option without it is a usage error)."""
    dask = {
        "workers": args.workers,
        "memory_limit": args.memory_limit,
        "scheduler": args.scheduler,
        "partition_rows": args.partition_rows,
    }
    if args.dask_engine != "dask":
        given = [k for k, v in dask.items() if v is not None]
        if given:
            from suigeo.errors import InputError

            flags = ", ".join("--" + k.replace("_", "-") for k in given)
            raise InputError(f"{flags}: only with --executor dask")
        return {}
    return dask
