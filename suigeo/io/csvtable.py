"""The one CSV reader of suigeo (pyarrow.csv), with one set of checks for every command.

Two ways in: :func:`read_csv` reads a whole file into a table (``crs fit``, ``rules check``,
``access``, CSV layers), :func:`stream_csv` yields it chunk by chunk with flat memory
(``crs convert``). Both run the same checks and raise the same :class:`InputError`s:

- the file exists and is readable, is not empty (it needs a header line), is text (a NUL
  byte in the header line marks a binary file);
- a UTF-8 byte order mark is accepted and remembered (:attr:`CsvInfo.bom`), so a writer can
  keep it; text must be UTF-8 (the error names the line of the first bad byte);
- the header has no duplicate column names and none longer than :data:`MAX_NAME_CHARS`; no
  line (header or row) is longer than :data:`MAX_LINE_BYTES`;
- every row has as many cells as the header: a surplus or a missing cell is an error naming
  the file and the line, in every command (a shifted row is never read);
- a quoted cell that is never closed is an error naming the line where it starts.

Cells are read as text, exactly as written (no number or null guessing).

Row numbers
-----------
``row`` is the 1-based data row: the first line after the header is row 1, so ``row`` is the
line number minus one, whatever the blank lines. A blank line (or a line of delimiters only)
is no data: it is skipped, but it keeps its number, so the rows after it keep theirs. Only a
quoted cell running over several lines makes ``row`` and the line number part (the row is
then one record, however many lines it spans).
"""

from __future__ import annotations

import contextlib
import csv
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from suigeo.errors import InputError
from suigeo.io.encodings import Detected

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MAX_LINE_BYTES",
    "MAX_NAME_CHARS",
    "CsvChunk",
    "CsvInfo",
    "CsvStream",
    "CsvTable",
    "inspect_csv",
    "read_csv",
    "stream_csv",
]

log = logging.getLogger(__name__)

#: the longest line (header or row) read: pyarrow parses blocks of this size
MAX_LINE_BYTES = 2 << 20
#: the longest column name
MAX_NAME_CHARS = 1000
_BOM = b"\xef\xbb\xbf"
_SNIFF = 64 << 10


@dataclass(frozen=True)
class CsvInfo:
    """What :func:`inspect_csv` found out about a CSV file before reading its rows."""

    path: Path
    header: tuple[str, ...]
    delimiter: str = ","
    #: the file starts with a UTF-8 byte order mark (a writer may keep it, Excel likes it)
    bom: bool = False
    #: the text encoding of the file given (a Python codec name: ``utf-8``, ``gbk``...)
    encoding: str = "utf-8"
    size: int = 0
    #: how the encoding was chosen (:func:`suigeo.io.encodings.detect`)
    detected: Detected | None = None
    #: the file given, when :attr:`path` is a UTF-8 copy of it (removed after reading)
    shown: Path | None = None

    @property
    def name(self) -> Path:
        """The file as the user gave it."""
        return self.shown or self.path

    def discard(self) -> None:
        """Remove the UTF-8 copy, if one was made."""
        if self.shown is not None:
            self.path.unlink(missing_ok=True)


class CsvChunk(NamedTuple):
    """A chunk of rows: the cells as text, and each row's 1-based data row number."""

    batch: pa.RecordBatch
    rows: np.ndarray


@dataclass
class CsvTable:
    """A whole CSV file: ``table`` (every column text), ``rows`` (1-based data row numbers,
    see the module docstring), ``info``."""

    table: pa.Table
    rows: np.ndarray
    info: CsvInfo
    blank: int = 0
    _lines: np.ndarray | None = field(default=None, repr=False)

    def lines(self) -> np.ndarray:
        """The file line on which each row starts (1-based): ``rows + 1``, unless a quoted
        cell runs over several lines; only then is the file walked record by record."""
        if self._lines is not None:
            return self._lines
        if not len(self.rows) or _count_lines(self.info.path) == int(self.rows[-1]) + 1:
            return self.rows + 1
        starts = _record_starts(self.info.path)
        return np.asarray(starts, dtype=np.int64)[self.rows]

    def to_pandas(self, *, empty_as_null: bool = False) -> pd.DataFrame:
        """The table as a pandas DataFrame of text (``object``) columns; ``empty_as_null``
        turns empty cells into missing values (``None``)."""
        df = self.table.to_pandas(types_mapper=None)
        if empty_as_null:
            df = df.mask(df == "", None) if len(df.columns) else df
        return df


def _name(path: Path) -> str:
    return repr(str(path))


def _read_head(p: Path, n: int) -> tuple[bytes, int]:
    """The first ``n`` bytes of ``p`` and its size; a clear error when it cannot be read."""
    try:
        with p.open("rb") as fh:
            head = fh.read(n)
        size = p.stat().st_size
    except IsADirectoryError:
        raise InputError(f"cannot read {_name(p)}: it is a folder, not a file") from None
    except FileNotFoundError:
        raise InputError(f"cannot read {_name(p)}: no such file") from None
    except OSError as exc:
        raise InputError(f"cannot read {_name(p)}: {exc.strerror or exc}") from None
    return head, size


@contextlib.contextmanager
def _shown(info_path: Path, shown: Path | None) -> Iterator[None]:
    """Errors about a UTF-8 copy (``info_path``) name the file the user gave (``shown``)."""
    if shown is None:
        yield
        return
    try:
        yield
    except InputError as exc:
        text = str(exc).replace(repr(str(info_path)), repr(str(shown)))
        if shown.suffix.lower() == ".dat":  # a CASS file's copy has a header line put in front
            text = re.sub(r"\bline (\d+)", lambda m: f"line {int(m.group(1)) - 1}", text)
        raise InputError(text.replace(str(info_path), str(shown))) from None


def inspect_csv(path: str | os.PathLike[str], *, encoding: str | None = None) -> CsvInfo:
    """Check that ``path`` is a readable, non-empty text CSV file and read its header.

    ``encoding`` is ``auto`` (detect: :mod:`suigeo.io.encodings`), a codec name, or ``None``
    for the command's (:func:`suigeo.io.encodings.current_encoding`). A file that is not
    UTF-8 is read through a UTF-8 copy (:attr:`CsvInfo.path`; :attr:`CsvInfo.shown` is the
    file given, and names it in every message); the caller removes the copy
    (:func:`read_csv` and :class:`CsvStream` do).

    Raises
    ------
    InputError
        Missing, unreadable, empty or binary file, undecodable or oversized header,
        duplicate column names.
    """
    from suigeo.io.encodings import SAMPLE_BYTES, detect, transcode
    from suigeo.io.sheets import EXCEL_SUFFIXES, cass_to_csv, excel_to_csv

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        _read_head(p, 1)  # a missing or unreadable file: the usual message
        # a CSV output keeps Excel reading UTF-8: it gets a byte order mark
        return _inspect_copy(p, excel_to_csv(p), Detected("utf-8", True, "Excel workbook"))
    sample, size = _read_head(p, SAMPLE_BYTES)
    if not sample.strip():
        raise InputError(f"{_name(p)} is empty: a CSV file needs a header line")
    detected = detect(p, sample, encoding=encoding, final=len(sample) >= size)
    if suffix == ".dat":  # 南方CASS: no header; one is put in front
        text = p if detected.utf8 else transcode(p, detected)
        try:
            tmp = cass_to_csv(p, text)
        finally:
            if text != p:
                text.unlink(missing_ok=True)
        return _inspect_copy(p, tmp, detected)
    if detected.utf8:
        return _inspect(p, sample[:_SNIFF], size, detected)
    return _inspect_copy(p, transcode(p, detected, suffix=p.suffix), detected)


def _inspect_copy(p: Path, tmp: Path, detected: Detected) -> CsvInfo:
    """:func:`_inspect` of a UTF-8 copy ``tmp`` of ``p`` (removed on error)."""
    try:
        with _shown(tmp, p):
            head, tsize = _read_head(tmp, _SNIFF)
            info = _inspect(tmp, head, tsize, detected)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return replace(info, shown=p)


def _inspect(p: Path, head: bytes, size: int, detected: Detected) -> CsvInfo:
    bom = head.startswith(_BOM)
    if not head[len(_BOM) if bom else 0 :].strip():
        raise InputError(f"{_name(p)} is empty: a CSV file needs a header line")
    if b"\x00" in head.split(b"\n", 1)[0]:
        raise InputError(
            f"{_name(p)} is not a text file (it holds binary data); give a CSV file "
            "(UTF-8 text, one header line)"
        )
    encoding = "utf8"
    import pyarrow.csv as pcsv

    first = _first_line(p, head)
    # .tsv, or a header of tab-separated names without a comma (Excel's "Unicode text")
    tabs = b"\t" in first and b"," not in first
    delimiter = "\t" if p.suffix.lower() == ".tsv" or tabs else ","
    if detected.utf8:
        try:
            first.decode("utf-8")
        except UnicodeDecodeError as exc:
            if "unexpected end" not in exc.reason:  # not a character cut by the sniff
                raise InputError(
                    f"{_name(p)} is not UTF-8 text (line 1, byte {exc.start}); give its "
                    "encoding with --encoding NAME (e.g. gbk), or save it as UTF-8"
                ) from None
    try:
        with pcsv.open_csv(
            pa.BufferReader(first),
            read_options=_read_options(encoding),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(
                strings_can_be_null=False, quoted_strings_can_be_null=False
            ),
        ) as reader:
            header = tuple(reader.schema.names)
    except pa.ArrowInvalid as exc:
        raise _arrow_error(p, exc, encoding, None) from None
    long = [i for i, n in enumerate(header) if len(n) > MAX_NAME_CHARS]
    if long:
        raise InputError(
            f"{_name(p)}: column {long[0] + 1} of the header is {len(header[long[0]]):,} "
            f"characters long (a column name has at most {MAX_NAME_CHARS:,}); is the first "
            "line a header?"
        )
    dupes = sorted({n for n in header if header.count(n) > 1})
    if dupes:
        raise InputError(f"{_name(p)}: duplicate column names {', '.join(map(repr, dupes))}")
    log.info("%s: CSV, %d columns", p, len(header))
    return CsvInfo(p, header, delimiter, bom or detected.bom, detected.encoding, size, detected)


def _first_line(path: Path, head: bytes) -> bytes:
    """The header record's bytes (it may span lines inside quotes; up to MAX_LINE_BYTES)."""
    data = head
    if b"\n" not in data and len(data) == _SNIFF:
        with path.open("rb") as fh:
            data = fh.read(MAX_LINE_BYTES + 1)
        if b"\n" not in data and len(data) > MAX_LINE_BYTES:
            raise InputError(
                f"{_name(path)}: the header line is longer than {MAX_LINE_BYTES >> 20} MiB; "
                "is this a CSV file?"
            )
    end = data.find(b"\n")
    return data if end < 0 else data[: end + 1]


def _read_options(encoding: str):
    import pyarrow.csv as pcsv

    # single-threaded parsing knows row numbers (for errors), and is as fast here
    return pcsv.ReadOptions(block_size=MAX_LINE_BYTES, use_threads=False, encoding=encoding)


@contextlib.contextmanager
def _quiet_row_handler() -> Iterator[None]:
    """pyarrow decodes a bad row's text before calling the row handler: for a row that is
    not UTF-8 that fails inside pyarrow, which reports it as an "Exception ignored"
    traceback on stderr. The row is reported by the error that follows; keep stderr clean."""
    previous = sys.unraisablehook

    def hook(unraisable) -> None:
        if getattr(unraisable.object, "__qualname__", "").startswith("_invalid_rows."):
            return
        previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous


_ROW_ERROR = re.compile(r"Row #(\d+): Expected (\d+) columns, got (\d+)")


def _invalid_rows() -> tuple[list[tuple[int | None, int, int]], Callable]:
    bad: list[tuple[int | None, int, int]] = []

    def handler(row) -> str:  # called by pyarrow for a row with the wrong number of cells
        bad.append((row.number, row.expected_columns, row.actual_columns))
        return "error"

    return bad, handler


def _options(info: CsvInfo, handler: Callable):
    """pyarrow's parse and convert options of every read of ``info``'s rows: every cell
    text as written, blank lines kept (they keep their row numbers), ``handler`` told of a
    row with a wrong number of cells."""
    import pyarrow.csv as pcsv

    parse = pcsv.ParseOptions(
        delimiter=info.delimiter,
        newlines_in_values=True,
        ignore_empty_lines=False,  # blank lines keep their row numbers
        invalid_row_handler=handler,
    )
    convert = pcsv.ConvertOptions(
        column_types={n: pa.string() for n in info.header},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
        null_values=[],
    )
    return parse, convert


def _open(info: CsvInfo, handler: Callable):
    import pyarrow.csv as pcsv

    raw = pa.OSFile(str(info.path), "r")
    try:
        parse, convert = _options(info, handler)
        reader = pcsv.open_csv(
            raw, read_options=_read_options("utf8"), parse_options=parse, convert_options=convert
        )
    except BaseException:
        raw.close()
        raise
    return raw, reader


def _batches(reader, error: Callable[[pa.ArrowInvalid], Exception]) -> Iterator[pa.RecordBatch]:
    """The record batches of a pyarrow CSV ``reader``; a parse error becomes ``error(exc)``."""
    while True:
        try:
            with _quiet_row_handler():
                batch = reader.read_next_batch()
        except StopIteration:
            return
        except pa.ArrowInvalid as exc:
            raise error(exc) from None
        yield batch


def _numbered(
    batches: Iterator[pa.RecordBatch], chunk_rows: int | None
) -> Iterator[tuple[pa.RecordBatch, np.ndarray, int]]:
    """``(batch, rows, blank)``: ``batches`` regrouped into ``chunk_rows`` rows (as they come
    when ``None``), each row numbered from 1 (see the module docstring), blank rows dropped
    (``blank`` of them in this chunk; they keep their numbers)."""
    source = batches if chunk_rows is None else _rechunk(batches, chunk_rows)
    first = 1
    for batch in source:
        n = batch.num_rows
        rows = np.arange(first, first + n, dtype=np.int64)
        first += n
        blank = _blank(batch)
        if blank is None:
            yield batch, rows, 0
        else:
            keep = ~blank
            yield batch.filter(pa.array(keep)), rows[keep], int(blank.sum())


@contextlib.contextmanager
def _records(path: Path, *, strict: bool = False):
    """Python's csv reader over ``path`` (no field size limit), for finding lines."""
    limit = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    try:
        with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
            yield csv.reader(fh, strict=strict)
    finally:
        csv.field_size_limit(limit)


def _line_of_record(path: Path, record: int) -> int | None:
    """The line on which data row ``record`` (1-based) starts: error messages only."""
    try:
        with _records(path) as reader:
            before = 0
            for n, _ in enumerate(reader):
                if n == record:
                    return before + 1
                before = reader.line_num
    except csv.Error:
        return None
    return None


def _count_lines(path: Path) -> int:
    """Lines of the file up to its last line with text (trailing blank lines not counted)."""
    count, last = 0, b""
    with path.open("rb") as fh:
        while chunk := fh.read(16 << 20):
            count += chunk.count(b"\n")
            if chunk.strip():
                last = chunk
            elif last:
                last += chunk
    trailing = len(last) - len(last.rstrip())
    return count - last[len(last) - trailing :].count(b"\n") + 1


def _record_starts(path: Path) -> list[int]:
    """The line on which each record (the header is record 0) starts."""
    starts = []
    with _records(path) as reader:
        before = 0
        for _ in reader:
            starts.append(before + 1)
            before = reader.line_num
    return starts


def _check_end(info: CsvInfo, last: pa.RecordBatch) -> None:
    """Refuse a quoted cell that is never closed. It swallows the rest of the file into the
    last row, so only a last row with a line break in a cell (or a file without a final
    line break) needs the full look; other files are not read twice."""
    suspect = False
    if last.num_rows:
        tail = last.slice(last.num_rows - 1)
        suspect = any(
            pc.any(pc.match_substring_regex(col, "[\r\n]")).as_py() for col in tail.columns
        )
    if not suspect and info.size:
        with info.path.open("rb") as fh:
            fh.seek(-1, os.SEEK_END)
            suspect = fh.read(1) not in (b"\n", b"\r")
    if suspect:
        line = _unterminated_quote(info.path)
        if line is not None:
            raise InputError(
                f"{_name(info.path)}: the quoted cell starting on line {line} is never "
                'closed (an unpaired ")'
            )


def _unterminated_quote(path: Path) -> int | None:
    """The line where a never-closed quoted cell starts, or ``None`` (all quotes close)."""
    count = 0
    with path.open("rb") as fh:
        while chunk := fh.read(16 << 20):
            count += chunk.count(b'"')
    if count % 2 == 0:
        return None
    with _records(path, strict=True) as reader:
        before = 0
        try:
            for _ in reader:
                before = reader.line_num
        except csv.Error:
            return before + 1
    return None


def _bad_utf8_line(path: Path) -> tuple[int, int]:
    """(line, byte offset) of the first byte that is not UTF-8."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, lines = 0, 1
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return lines + chunk.count(b"\n", 0, exc.start), offset + exc.start
            lines += chunk.count(b"\n")
            offset += len(chunk)
    return lines, offset


def _arrow_error(
    path: Path, exc: Exception, encoding: str, bad: list[tuple[int | None, int, int]] | None
) -> InputError:
    """One clear error for whatever pyarrow refused."""
    text = str(exc)
    found = _ROW_ERROR.search(text)
    if not bad and found:  # the handler could not be called (a row that is not UTF-8)
        bad = [(int(found[1]), int(found[2]), int(found[3]))]
    if bad or "straddl" in text:  # a never-closed quote shifts cells or runs on: name it
        line = _unterminated_quote(path)
        if line is not None:
            return InputError(
                f"{_name(path)}: the quoted cell starting on line {line} is never closed "
                '(an unpaired ")'
            )
    if bad:
        number, expected, actual = bad[0]
        if number is not None:
            row = number - 1  # pyarrow counts the header as record 1
            line = _line_of_record(path, row)
            where = f"row {row} (line {line})" if line is not None else f"row {row}"
        else:
            where = "a row"
        what = "a surplus cell" if actual > expected else "a missing cell"
        return InputError(
            f"{_name(path)}: {where} has {actual} cells, the header has {expected} "
            f"({what}: check the delimiters and quotes of that line)"
        )
    if "UTF8" in text or "UTF-8" in text or "utf8" in text.lower():
        line, byte = _bad_utf8_line(path)
        return InputError(
            f"{_name(path)} is not UTF-8 text (line {line}, byte {byte}); give its encoding "
            "with --encoding NAME (e.g. --encoding gbk for Chinese Excel), or save it as UTF-8"
        )
    if "straddl" in text:
        return InputError(
            f"{_name(path)}: a line is longer than {MAX_LINE_BYTES >> 20} MiB (or a quoted "
            "cell is never closed); split it, or check its quotes"
        )
    return InputError(f"cannot read {_name(path)} as CSV: {text.splitlines()[0]}")


def _blank(batch: pa.RecordBatch | pa.Table) -> np.ndarray | None:
    """Mask of the rows whose every cell is empty (blank lines), or ``None`` if there is none."""
    if batch.num_rows == 0 or batch.num_columns == 0:
        return None
    mask = pc.equal(pc.binary_length(batch.column(0)), 0)
    if not pc.any(mask).as_py():
        return None
    for col in batch.columns[1:]:
        mask = pc.and_(mask, pc.equal(pc.binary_length(col), 0))
    out = np.asarray(mask, dtype=bool)
    return out if out.any() else None


def read_csv(path: str | os.PathLike[str], *, encoding: str | None = None) -> CsvTable:
    """Read a whole CSV file; every cell as text. See the module docstring for the checks.

    ``encoding``: ``auto``, a codec name, or ``None`` for the command's
    (:mod:`suigeo.io.encodings`).

    Raises
    ------
    InputError
        Naming the file (and the line, for a row error).
    """
    info = inspect_csv(path, encoding=encoding)
    try:
        with _shown(info.path, info.shown):
            chunks = list(_chunks(info, None))
        if chunks:
            table = pa.Table.from_batches([c.batch for c in chunks])
            rows = np.concatenate([c.rows for c in chunks])
        else:
            table = pa.table({n: pa.array([], pa.string()) for n in info.header})
            rows = np.zeros(0, dtype=np.int64)
        blank = int(rows[-1]) - len(rows) if len(rows) else 0
        out = CsvTable(table, rows, info, max(blank, 0))
        if info.shown is not None:  # the lines, before the UTF-8 copy goes
            out._lines = out.lines()
    finally:
        info.discard()
    if info.shown is not None:
        out.info = replace(info, path=info.shown, shown=None)
    return out


def _chunks(info: CsvInfo, chunk_rows: int | None, stream: CsvStream | None = None):
    bad, handler = _invalid_rows()
    try:
        with _quiet_row_handler():
            raw, reader = _open(info, handler)
    except (pa.ArrowInvalid, OSError) as exc:
        raise _arrow_error(info.path, exc, info.encoding, bad) from None
    if stream is not None:
        stream.position = raw.tell
        stream.schema = reader.schema
    try:
        batches = _batches(reader, lambda exc: _arrow_error(info.path, exc, info.encoding, bad))
        records, kept = 0, 0
        held: CsvChunk | None = None  # one chunk held back until the next, for the end check
        for batch, rows, blank in _numbered(batches, chunk_rows):
            records += len(rows) + blank
            if stream is not None:
                stream.blank += blank
            kept += len(rows)
            if held is not None:
                yield held
            held = CsvChunk(batch, rows)
        if held is not None:
            _check_end(info, held.batch)
            yield held
        log.info("%s: read %d rows (%d blank lines skipped)", info.name, kept, records - kept)
    finally:
        with contextlib.suppress(Exception):
            reader.close()
        raw.close()


def _rechunk(batches: Iterator[pa.RecordBatch], chunk_rows: int) -> Iterator[pa.RecordBatch]:
    """Regroup ``batches`` into batches of exactly ``chunk_rows`` rows (the last may be short)."""
    pending: list[pa.RecordBatch] = []
    count = 0
    for b in batches:
        pending.append(b)
        count += b.num_rows
        if count < chunk_rows:
            continue
        table = pa.Table.from_batches(pending).combine_chunks()
        start = 0
        while count - start >= chunk_rows:
            yield from table.slice(start, chunk_rows).to_batches()
            start += chunk_rows
        pending, count = table.slice(start).to_batches(), count - start
    if count:
        yield from pa.Table.from_batches(pending).combine_chunks().to_batches()


@dataclass
class CsvStream:
    """A CSV file read chunk by chunk (see :func:`stream_csv`); iterate for :class:`CsvChunk`."""

    info: CsvInfo
    chunk_rows: int
    schema: pa.Schema | None = None
    #: how far the reader is in the file (bytes), once iteration has started
    position: Callable[[], int] | None = None
    #: blank rows skipped so far
    blank: int = 0
    _iter: Iterator[CsvChunk] | None = field(default=None, repr=False)

    def __iter__(self) -> Iterator[CsvChunk]:
        if self._iter is None:
            self._iter = self._read()
        return self._iter

    def _read(self) -> Iterator[CsvChunk]:
        try:
            with _shown(self.info.path, self.info.shown):
                yield from _chunks(self.info, self.chunk_rows, self)
        finally:
            self.info.discard()

    def close(self) -> None:
        """Release the file (also done when iteration ends)."""
        if self._iter is not None:
            with contextlib.suppress(Exception):
                self._iter.close()  # type: ignore[attr-defined]
        self.info.discard()


def stream_csv(
    path: str | os.PathLike[str], *, chunk_rows: int, encoding: str | None = None
) -> CsvStream:
    """Open a CSV file for reading in chunks of ``chunk_rows`` rows, with flat memory.

    The header is checked now; row errors are raised while iterating (before the chunk that
    holds the row is yielded). pyarrow reads some 35 blocks ahead: blocks of
    :data:`MAX_LINE_BYTES` keep that near 70 MB whatever the file size.
    """
    if chunk_rows < 1:
        raise InputError(f"chunk_rows must be at least 1, got {chunk_rows}")
    info = inspect_csv(path, encoding=encoding)
    stream = CsvStream(info, chunk_rows)
    stream.schema = pa.schema([(n, pa.string()) for n in info.header])
    return stream
