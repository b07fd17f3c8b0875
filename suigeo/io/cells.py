"""Spreadsheet-safe cells: neutralise text a spreadsheet would run as a formula.

Every CSV (and Excel) file suigeo writes — converted tables, rejects, rule-check reports,
coverage reports, exported layers — passes its text cells through this module, so a cell
read from a hostile input such as ``=cmd|' /C calc'!A0`` is not executed when a planner
opens the output in Excel, WPS or LibreOffice (CSV injection, CWE-1236).

The rule is OWASP's: a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a single quote ``'`` in front, which spreadsheets show as text and do
not evaluate. Cells that are plain numbers (``-3.5``, ``+1e3``) are left alone, and numeric
columns are never touched, so negative numbers stay numbers. Column names (the header row)
are treated like cells.

Writers call :func:`neutralise_frame` (pandas), :func:`neutralise_table` (pyarrow) or
:func:`neutralise_cell` (one value) just before writing CSV.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = [
    "FORMULA_PREFIXES",
    "neutralise_cell",
    "neutralise_frame",
    "neutralise_names",
    "neutralise_table",
]

#: First characters that make a spreadsheet evaluate a cell (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: A plain number (what a spreadsheet reads as a number, not a formula).
_NUMBER_RE = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
_NUMBER = re.compile(_NUMBER_RE)


def neutralise_cell(value: Any) -> Any:
    """``value`` with a ``'`` in front if it is text a spreadsheet would run as a formula.

    Non-text values, plain numbers written as text and other text are returned unchanged.

    Examples
    --------
    >>> neutralise_cell("=cmd|' /C calc'!A0")
    "'=cmd|' /C calc'!A0"
    >>> neutralise_cell("-3.5"), neutralise_cell(-3.5), neutralise_cell("广州")
    ('-3.5', -3.5, '广州')
    """
    risky = isinstance(value, str) and value != "" and value[0] in FORMULA_PREFIXES
    return "'" + value if risky and not _NUMBER.match(value) else value


def neutralise_names(names: list[str]) -> list[str]:
    """Column names made safe like cells (the header row is a row of cells too)."""
    return [neutralise_cell(str(n)) for n in names]


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column names are spreadsheet-safe.

    Only object and string columns are looked at; numeric, boolean and date columns are
    returned as they are. The frame is copied only when something changes.
    """
    import pandas as pd

    out = df
    for i in range(df.shape[1]):
        col = df.iloc[:, i]
        if not (pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)):
            continue
        first = col.astype("string").str[:1]
        hit = first.isin(FORMULA_PREFIXES).fillna(False).to_numpy(dtype=bool)
        if not hit.any():
            continue
        fixed = col.map(neutralise_cell)
        if out is df:
            out = df.copy()
        out.isetitem(i, fixed)
    names = neutralise_names(list(map(str, df.columns)))
    if names != list(map(str, df.columns)):
        if out is df:
            out = df.copy()
        out.columns = names
    return out


def neutralise_table(table: pa.Table) -> pa.Table:
    """``table`` with its string cells and column names spreadsheet-safe (pyarrow, fast)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    changed = False
    for col in table.columns:
        typ = col.type
        if pa.types.is_dictionary(typ):
            col = col.cast(typ.value_type)
            typ = typ.value_type
        if not (pa.types.is_string(typ) or pa.types.is_large_string(typ)):
            columns.append(col)
            continue
        # the first character looked up in a set (cheap); the number pattern only where
        # that already says "formula" (most columns hold no such cell at all)
        # (as bytes: the prefixes are ASCII, and a cell need not be valid UTF-8 here)
        raw = pa.large_binary() if pa.types.is_large_string(typ) else pa.binary()
        first = pc.binary_slice(col.cast(raw), 0, 1)
        prefixes = pa.array([p.encode() for p in FORMULA_PREFIXES], raw)
        starts = pc.is_in(first, value_set=prefixes).fill_null(False)
        if not pc.any(starts).as_py():
            columns.append(col)
            continue
        risky = pc.and_(starts, pc.invert(pc.match_substring_regex(col, _NUMBER_RE)))
        risky = risky.fill_null(False)
        if pc.any(risky).as_py():
            quoted = pc.binary_join_element_wise(pa.scalar("'", typ), col, pa.scalar("", typ))
            col = pc.if_else(risky, quoted, col)
            changed = True
        columns.append(col)
    names = neutralise_names(table.schema.names)
    if not changed and names == table.schema.names:
        return table
    return pa.table(columns, names=names)
