"""Inputs split into partitions, and outputs written as partitioned datasets (the Dask executor).

Partitions are described by small picklable records, planned on the client and read on the
workers:

- :func:`plan_parquet`: a Parquet/GeoParquet file or a dataset (a folder of ``.parquet``
  parts, read in name order) split into runs of whole row groups of about
  ``partition_rows`` rows (:class:`ParquetPart`). Every part must have the first part's
  columns and GeoParquet geometry column.
- :func:`plan_csv`: a CSV file split into byte ranges that start on a record
  (:class:`CsvBlock`): after a line break, outside any quoted cell (the number of ``"``
  before the split is even). Each block is parsed with the header line put in front, with
  the options and checks of :mod:`suigeo.io.csvtable`; rows are numbered within the block
  (:class:`CsvBlockReader`) and the caller adds the records of the blocks before it. An
  error inside a block is re-read from the whole file by the caller, so its message names
  the same line as the single-process reader's.
- :func:`atomic_dataset`: a folder of parts written under a temporary name beside the
  output and renamed to it only when complete; an interrupted run leaves no folder (and no
  partial dataset) under the final name.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa

from suigeo.errors import InputError, OutputError
from suigeo.io.atomic import TEMP_MARK, package_roots
from suigeo.io.csvtable import (
    CsvInfo,
    _batches,
    _invalid_rows,
    _numbered,
    _options,
    _quiet_row_handler,
    _read_options,
    inspect_csv,
)

__all__ = [
    "PART_GLOB",
    "CsvBlock",
    "CsvBlockReader",
    "ParquetPart",
    "atomic_dataset",
    "check_dataset_output",
    "dataset_parts",
    "parquet_files",
    "plan_csv",
    "plan_parquet",
    "read_parquet_part",
]

log = logging.getLogger(__name__)

#: the parts of a dataset written by suigeo: ``part.000000.parquet``, ...
PART_GLOB = "part.*.parquet"
_PARQUET_SUFFIXES = (".parquet", ".geoparquet")


# --------------------------------------------------------------------------------------------
# Parquet
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParquetPart:
    """A run of whole row groups of one Parquet file."""

    path: str
    row_groups: tuple[int, ...]
    rows: int


def parquet_files(path: Path) -> list[Path]:
    """The files of a Parquet input: the file itself, or a folder's ``.parquet`` parts in name
    order (names starting with ``.`` or ``_``, such as ``_metadata``, are skipped)."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise InputError(f"cannot read {str(path)!r}: no such file or folder")
    files = sorted(
        p
        for p in path.iterdir()
        if p.suffix.lower() in _PARQUET_SUFFIXES and p.name[0] not in "._" and p.is_file()
    )
    if not files:
        raise InputError(f"{str(path)!r} is a folder without .parquet files (no dataset parts)")
    return files


def plan_parquet(files: list[Path], partition_rows: int) -> list[ParquetPart]:
    """Split ``files`` into runs of whole row groups of at least ``partition_rows`` rows (a
    row group is never split; a file's last run may be shorter). Every file must have the
    first file's columns (names and types)."""
    import pyarrow.parquet as pq

    parts: list[ParquetPart] = []
    first_schema: pa.Schema | None = None
    first_geo: object = None
    for f in files:
        try:
            meta = pq.read_metadata(f)
            full = pq.read_schema(f)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"cannot read {str(f)!r} as Parquet: {exc}") from None
        schema = pa.schema([fld.remove_metadata() for fld in full.remove_metadata()])
        geo = _geo_column(meta.metadata, full.metadata)
        if first_schema is None:
            first_schema, first_geo = schema, geo
        elif not schema.equals(first_schema):
            raise InputError(
                f"{str(f)!r}: its columns differ from those of {str(files[0])!r} "
                "(every part of a dataset needs the same columns and types)"
            )
        elif geo != first_geo:
            raise InputError(
                f"{str(f)!r}: its geometry column or CRS (GeoParquet metadata) differs from "
                f"that of {str(files[0])!r}; every part of a dataset needs the same"
            )
        groups: list[int] = []
        rows = 0
        for g in range(meta.num_row_groups):
            groups.append(g)
            rows += meta.row_group(g).num_rows
            if rows >= partition_rows:
                parts.append(ParquetPart(str(f), tuple(groups), rows))
                groups, rows = [], 0
        if groups or not any(p.path == str(f) for p in parts):
            parts.append(ParquetPart(str(f), tuple(groups), rows))
    return parts


def _geo_column(*metas: dict[bytes, bytes] | None) -> object:
    """(geometry column, its CRS) from a file's GeoParquet ``geo`` metadata, or ``None``."""
    import json

    for meta in metas:
        raw = (meta or {}).get(b"geo")
        if raw is None:
            continue
        try:
            geo = json.loads(raw)
            name = geo["primary_column"]
            return name, json.dumps(geo["columns"][name].get("crs"), sort_keys=True)
        except (ValueError, KeyError, TypeError, AttributeError):
            return "invalid"
    return None


def read_parquet_part(part: ParquetPart, chunk_rows: int) -> Iterator[pa.RecordBatch]:
    """The record batches of ``part`` (at most ``chunk_rows`` rows each), metadata dropped."""
    import pyarrow.parquet as pq

    if not part.row_groups:
        return
    try:
        with pq.ParquetFile(part.path) as pf:
            yield from pf.iter_batches(batch_size=chunk_rows, row_groups=list(part.row_groups))
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"cannot read {part.path!r} as Parquet: {exc}") from None


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvBlock:
    """Bytes ``start`` to ``end`` of a CSV file: whole records, read after ``header``."""

    info: CsvInfo
    header: bytes
    start: int
    end: int


def plan_csv(
    path: Path, block_bytes: int, *, copy_to: Path | None = None
) -> tuple[list[CsvBlock], bool]:
    """Split the CSV ``path`` into blocks of about ``block_bytes`` bytes that start on a
    record; also return whether the file holds an odd number of ``"`` (a quoted cell that is
    never closed: the caller reports it as the single-process reader does).

    A file that is not UTF-8 (GBK, UTF-16; :mod:`suigeo.io.encodings`) is split as its
    UTF-8 copy, made as the single-process reader makes it (same lines), moved to
    ``copy_to`` (a place the workers see, e.g. beside the output): the blocks' ``info.path``
    is the copy (``info.shown`` the file given), and the caller removes it
    (``blocks[0].info.discard()``). Without ``copy_to`` such a file is refused.

    The file is read once, at the speed of the disk (counting line breaks and quotes)."""
    info = inspect_csv(path, encoding="auto")
    if info.shown is not None or (info.detected is not None and not info.detected.utf8):
        if copy_to is None:
            info.discard()
            raise InputError(
                f"{str(path)!r} is {info.encoding}, not UTF-8: give a place for its UTF-8 "
                "copy, or save it as UTF-8"
            )
        try:
            shutil.move(info.path, copy_to)
        except OSError as exc:
            info.discard()
            raise OutputError(f"cannot write {str(copy_to)!r}: {exc.strerror or exc}") from None
        info = replace(info, path=copy_to)
    path = info.path
    try:
        return _split_csv(info, block_bytes)
    except BaseException:
        info.discard()
        raise


def _split_csv(info: CsvInfo, block_bytes: int) -> tuple[list[CsvBlock], bool]:
    path = info.path
    with path.open("rb") as fh:
        head = fh.read(64 << 10)
    from suigeo.io.csvtable import _first_line

    header = _first_line(path, head)
    start, size = len(header), info.size
    bounds = [start]
    target = start + block_bytes
    quotes = 0  # quotes in [start, position)
    pos = start
    with path.open("rb") as fh:
        fh.seek(start)
        while chunk := fh.read(16 << 20):
            base, i = pos, 0  # i: bytes of this chunk counted so far
            while True:
                rel = max(target - base, i)
                if rel >= len(chunk):
                    break
                nl = chunk.find(b"\n", rel)
                if nl < 0:
                    break
                quotes += chunk.count(b'"', i, nl + 1)
                i = nl + 1
                if quotes % 2 == 0:  # outside any quoted cell: a record starts here
                    if base + i < size:
                        bounds.append(base + i)
                    target = base + i + block_bytes
                else:  # inside a quoted cell: try the next line break
                    target = base + i
            quotes += chunk.count(b'"', i)
            pos = base + len(chunk)
    bounds.append(max(size, start))
    blocks = [CsvBlock(info, header, a, b) for a, b in itertools.pairwise(bounds)]
    return blocks, quotes % 2 == 1


class CsvBlockReader:
    """Reads one :class:`CsvBlock`: iterate for ``(batch, rows)``, rows numbered from 1
    within the block (blank lines skipped but counted); :attr:`records` is then the number
    of records of the block, blank ones included."""

    def __init__(self, block: CsvBlock, chunk_rows: int) -> None:
        self.block, self.chunk_rows = block, chunk_rows
        self.records = 0

    def __iter__(self) -> Iterator[tuple[pa.RecordBatch, np.ndarray]]:
        import pyarrow.csv as pcsv

        b, info = self.block, self.block.info
        with open(info.path, "rb") as fh:
            fh.seek(b.start)
            data = fh.read(b.end - b.start)
        _bad, handler = _invalid_rows()
        where = f"{str(info.name)!r} (bytes {b.start} to {b.end})"

        def error(exc: Exception) -> InputError:
            return InputError(f"cannot read {where} as CSV: {exc}")

        parse, convert = _options(info, handler)
        try:
            with _quiet_row_handler():
                reader = pcsv.open_csv(
                    pa.BufferReader(b.header + data),
                    read_options=_read_options("utf8"),  # the file or its UTF-8 copy
                    parse_options=parse,
                    convert_options=convert,
                )
        except pa.ArrowInvalid as exc:
            raise error(exc) from None
        del data
        try:
            for batch, rows, blank in _numbered(_batches(reader, error), self.chunk_rows):
                self.records += len(rows) + blank
                yield batch, rows
        finally:
            with contextlib.suppress(Exception):
                reader.close()


# --------------------------------------------------------------------------------------------
# Datasets written atomically
# --------------------------------------------------------------------------------------------


def dataset_parts(folder: Path) -> list[Path]:
    """The parts of a dataset folder written by suigeo, in order."""
    return sorted(folder.glob(PART_GLOB))


def _replaceable(out: Path) -> None:
    """``out`` may be replaced: absent, a file, or an earlier dataset of suigeo's (a folder
    holding nothing but ``part.*.parquet`` files). Anything else is refused, never deleted."""
    try:
        st = out.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        others = [p.name for p in out.iterdir() if not p.match(PART_GLOB)]
        if others:
            raise OutputError(
                f"cannot write {str(out)!r}: it is a folder holding other files than "
                f"dataset parts ({', '.join(sorted(others)[:3])}); give a new name"
            )
    elif not stat.S_ISREG(st.st_mode):
        raise OutputError(f"cannot write {str(out)!r}: it is not a file or a folder")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        for _ in range(5):  # a worker of another cluster may still be finishing a part
            shutil.rmtree(path, ignore_errors=True)
            if not path.exists():
                return
            time.sleep(0.2)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def _remove_stale_folders(out: Path) -> None:
    """Temporary dataset folders left beside ``out`` by runs that were killed."""
    from suigeo.io.atomic import stale_temporaries

    for p in stale_temporaries(out):
        if p.is_dir():
            _remove(p)
            log.info("removed %s, a temporary dataset left by an interrupted run", p)


@contextlib.contextmanager
def atomic_dataset(out: Path, *, inputs: list[Path | None]) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``out``; when the block ends without an error,
    put it in place of ``out`` (a rename). On any error, Ctrl-C or handled signal the
    temporary folder is removed and ``out`` is left as it was.

    ``out`` must be none of ``inputs`` nor hold one; an existing ``out`` is replaced only
    when it is a file or a dataset folder written by suigeo.
    """
    check_dataset_output(out, inputs)
    parent = out.parent if str(out.parent) else Path(".")
    _remove_stale_folders(out)
    try:
        tmp = Path(
            tempfile.mkdtemp(prefix=f".{out.name[:100]}{TEMP_MARK}{os.getpid()}-", dir=parent)
        )
    except OSError as exc:
        raise OutputError(f"cannot write {str(out)!r}: {exc.strerror or exc}") from None
    try:
        yield tmp
        old = None
        if out.exists() or out.is_symlink():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name[:100]}.suigeo-old-", dir=parent))
            os.rename(out, old / "previous")
        os.rename(tmp, out)
        if old is not None:
            _remove(old)
    finally:
        if tmp.exists():
            _remove(tmp)


def check_dataset_output(out: Path, inputs: list[Path | None]) -> None:
    """The checks of :func:`atomic_dataset`, to run before any work: ``out`` is none of
    ``inputs`` and holds none of them, may be replaced, and its folder exists."""
    out_real = out.resolve()
    for inp in inputs:
        if inp is None:
            continue
        real = inp.resolve()
        if real == out_real or out_real in real.parents:
            raise OutputError(
                f"cannot write {str(out)!r}: it is (or holds) a file this command reads "
                f"({str(inp)!r}); suigeo never overwrites an input, choose another output path"
            )
    for root in package_roots():
        if out_real == root or root in out_real.parents:
            raise OutputError(
                f"cannot write {str(out)!r}: it is inside the installed suigeo package "
                f"({root}); write outputs somewhere else"
            )
    _replaceable(out)
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"cannot write {str(out)!r}: folder {str(parent)!r} does not exist")
