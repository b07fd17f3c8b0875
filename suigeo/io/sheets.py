"""Tables that are not CSV files: Excel workbooks and 南方CASS coordinate files.

Both are turned into a UTF-8 CSV copy that the one CSV reader (:mod:`suigeo.io.csvtable`)
then reads with all its checks, so every command reads them the same way and row numbers
mean the same thing: row 1 is the first row below the header (Excel row 2; CASS line 1).

- **Excel** (``.xlsx``, ``.xlsm``, ``.xls``, ``.ods``, read by python-calamine): the first
  sheet, or ``--sheet NAME``; the first row is the header. A cell keeps what Excel shows:
  text as stored (numbers stored as text too), numbers in their shortest exact form
  (``2573956.479``; a whole number without ``.0``), a formula's cached value (Excel saves
  it with the formula), dates as ISO 8601, booleans as ``TRUE``/``FALSE``, an empty cell
  empty. Rows below the last row with a value are not read.
- **南方CASS** ``.dat``: ``点名,编码,东坐标,北坐标,高程`` on every line, no header, east (CASS
  calls it Y) before north (X); a blank 编码 is allowed. The columns are named
  :data:`CASS_COLUMNS`. The text encoding is detected like a CSV's (CASS writes GBK).

Writing ``.xlsx`` (:class:`XlsxTableWriter`, with XlsxWriter, streaming: rows are written
as they come, in constant memory): the header row as text (Chinese names kept), numeric
columns as numbers, and a text cell as a number only when it is a plain decimal number
whose text Excel would give back unchanged (``2573956.479``, ``12``; not ``001``, ``1.50``
or ``1e3``, which stay text); text cells are neutralised like every CSV's
(:mod:`suigeo.io.cells`); empty and missing cells are left empty.
"""

from __future__ import annotations

import contextlib
import contextvars
import csv
import datetime as dt
import io
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from suigeo.errors import InputError, OutputError

__all__ = [
    "CASS_COLUMNS",
    "EXCEL_SUFFIXES",
    "XlsxTableWriter",
    "cass_to_csv",
    "excel_to_csv",
    "use_sheet",
]

log = logging.getLogger(__name__)

#: the columns of a CASS .dat file, in its order (point name, code, east, north, height)
CASS_COLUMNS = ("点名", "编码", "东坐标", "北坐标", "高程")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")

_SHEET: contextvars.ContextVar[str | None] = contextvars.ContextVar("suigeo_sheet", default=None)


@contextlib.contextmanager
def use_sheet(name: str | None) -> Iterator[None]:
    """Read the sheet ``name`` of every workbook inside the ``with`` block (``--sheet``)."""
    token = _SHEET.set(name)
    try:
        yield
    finally:
        _SHEET.reset(token)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _temp(suffix: str = ".csv") -> tuple[int, Path]:
    fd, name = tempfile.mkstemp(prefix="suigeo-", suffix=suffix)
    return fd, Path(name)


def excel_to_csv(path: str | os.PathLike[str], *, sheet: str | None = None) -> Path:
    """Write the sheet of the workbook ``path`` (``sheet``, else ``--sheet``, else the first)
    to a temporary UTF-8 CSV file, which the caller removes.

    Raises
    ------
    InputError
        Not a workbook, no such sheet (naming the sheets there is), an empty sheet.
    """
    from python_calamine import CalamineWorkbook

    p = Path(path)
    name = sheet if sheet is not None else _SHEET.get()
    try:
        book = CalamineWorkbook.from_path(str(p))
    except Exception as exc:  # calamine raises CalamineError, ZipError, XmlError...
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"cannot read {str(p)!r} as an Excel workbook: {text}") from None
    try:
        names = list(book.sheet_names)
        if name is not None and name not in names:
            raise InputError(
                f"{str(p)!r} has no sheet {name!r}; its sheets are {', '.join(map(repr, names))}"
            )
        if not names:
            raise InputError(f"{str(p)!r} has no sheet")
        chosen = name if name is not None else names[0]
        try:
            rows = book.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
        except Exception as exc:
            raise InputError(f"cannot read sheet {chosen!r} of {str(p)!r}: {exc}") from None
    finally:
        with contextlib.suppress(Exception):
            book.close()
    while rows and not any(_cell(v).strip() for v in rows[-1]):
        rows.pop()
    if not rows:
        raise InputError(f"sheet {chosen!r} of {str(p)!r} is empty: it needs a header row")
    fd, out = _temp()
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            width = max(len(r) for r in rows)
            for r in rows:
                cells = [_cell(v) for v in r] + [""] * (width - len(r))
                writer.writerow(cells)
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    log.info("%s: sheet %r, %d rows below the header", p, chosen, len(rows) - 1)
    return out


def cass_to_csv(path: Path, text_path: Path) -> Path:
    """A CASS ``.dat`` file (already UTF-8, at ``text_path``) with the header of
    :data:`CASS_COLUMNS` put in front, as a temporary CSV file the caller removes."""
    fd, out = _temp()
    try:
        with os.fdopen(fd, "wb") as dst, text_path.open("rb") as src:
            dst.write((",".join(CASS_COLUMNS) + "\n").encode("utf-8"))
            first = True
            while chunk := src.read(8 << 20):
                if first and chunk.startswith(b"\xef\xbb\xbf"):
                    chunk = chunk[3:]
                first = False
                dst.write(chunk)
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    log.info("%s: CASS coordinate file (点名,编码,东坐标,北坐标,高程)", path)
    return out


def write_cass(
    rows: Iterator[list[str]], fh: io.BufferedWriter | Any, *, encoding: str = "utf-8"
) -> None:
    """Write CASS lines (``点名,编码,东坐标,北坐标,高程``, CRLF) to ``fh`` in ``encoding``
    (UTF-8, or ``--encoding gbk`` for CASS versions that read only GBK)."""
    for r in rows:
        if any("," in c or "\n" in c or "\r" in c for c in r):
            raise OutputError(
                f"a CASS .dat file cannot hold a comma or line break in a cell: point {r[0]!r}"
            )
        try:
            fh.write((",".join(r) + "\r\n").encode(encoding))
        except UnicodeEncodeError:
            raise OutputError(
                f"point {r[0]!r} cannot be written in {encoding}; use --encoding utf-8"
            ) from None


#: Excel's limits: rows (with the header) and characters in a cell.
XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_CELL = 32_767
_PLAIN = re.compile(r"^-?(?:0|[1-9]\d*)(?:\.\d*[1-9])?$")


def _number_or_text(value: str) -> float | int | str:
    """``value`` as a number when Excel would show exactly this text for it, else the text."""
    if len(value) > 17 or not _PLAIN.match(value):
        return value
    number = float(value)
    if "." not in value:
        return int(value) if abs(int(value)) < 2**53 else value
    return number if repr(number) == value else value


class XlsxTableWriter:
    """Write pyarrow tables (one header, then their rows) to one sheet of an ``.xlsx``."""

    def __init__(self, path: str | os.PathLike[str], sheet: str = "Sheet1") -> None:
        import xlsxwriter

        self._book = xlsxwriter.Workbook(
            str(path), {"constant_memory": True, "strings_to_numbers": False,
                        "strings_to_formulas": False, "strings_to_urls": False}
        )  # fmt: skip
        name = re.sub(r"[\[\]:*?/\\]", "_", sheet)[:31] or "Sheet1"
        self._sheet = self._book.add_worksheet(name)
        self._row = 0
        self._names: list[str] | None = None

    def write(self, table: Any) -> None:
        """Append the rows of a pyarrow table (the first call writes the header)."""
        import pyarrow as pa

        from suigeo.io.cells import neutralise_cell

        if self._names is None:
            self._names = list(table.schema.names)
            for j, name in enumerate(self._names):
                self._sheet.write_string(0, j, str(neutralise_cell(name)))
            self._row = 1
        if self._row + table.num_rows > XLSX_MAX_ROWS:
            raise OutputError(
                f"an Excel sheet holds at most {XLSX_MAX_ROWS:,} rows; write .csv, .gpkg or "
                ".parquet instead"
            )
        numeric = [
            pa.types.is_integer(c.type) or pa.types.is_floating(c.type) for c in table.columns
        ]
        columns = [c.to_pylist() for c in table.columns]
        for i in range(table.num_rows):  # row by row: constant_memory flushes finished rows
            r = self._row + i
            for j, values in enumerate(columns):
                self._cell(r, j, values[i], numeric[j])
        self._row += table.num_rows

    def _cell(self, r: int, j: int, v: Any, numeric: bool) -> None:
        from suigeo.io.cells import neutralise_cell

        if v is None or (isinstance(v, float) and v != v):
            return
        if isinstance(v, bool):
            self._sheet.write_boolean(r, j, v)
            return
        if numeric:
            if v in (float("inf"), float("-inf")):
                self._sheet.write_string(r, j, str(v))
            else:
                self._sheet.write_number(r, j, v)
            return
        got = _number_or_text(v if isinstance(v, str) else str(v))
        if not isinstance(got, str):
            self._sheet.write_number(r, j, got)
            return
        if len(got) > XLSX_MAX_CELL:
            assert self._names is not None
            raise OutputError(
                f"row {r}, column {self._names[j]!r}: {len(got):,} characters; an Excel cell "
                f"holds at most {XLSX_MAX_CELL:,}"
            )
        self._sheet.write_string(r, j, str(neutralise_cell(got)))

    def close(self) -> None:
        """Finish the workbook (writes the file)."""
        self._book.close()
