"""The one rejects report of suigeo: every row that was read but not written or checked.

Every command writes the same columns: ``row`` (the 1-based data row: the line number minus
one in a CSV file, the feature number in a layer), ``column`` (the offending column, or
columns joined by commas), ``reason`` (a short code), ``message`` (human text), then every
original field of the row as read (a geometry as WKT, nested Parquet values as JSON text,
binary values as their length in bytes).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from suigeo.io.atomic import atomic_output
from suigeo.io.cells import neutralise_table

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["REJECT_COLUMNS", "reject_table", "storage_table", "text_columns", "write_rejects"]

log = logging.getLogger(__name__)

#: the report's own columns, before the row's original fields
REJECT_COLUMNS: tuple[str, ...] = ("row", "column", "reason", "message")


def _nested(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    values = col.to_pylist()
    return pa.array(
        [None if v is None else json.dumps(v, ensure_ascii=False, default=str) for v in values],
        type=pa.string(),
    )


def text_columns(table: pa.Table | pa.RecordBatch) -> list[pa.Array | pa.ChunkedArray]:
    """The columns of ``table`` in a form every CSV writer takes: extension types as their
    storage, nested values (list, struct, map) as JSON text, binary values as their length,
    others unchanged."""
    out = []
    for col in table.columns:
        t = col.type
        if isinstance(t, pa.BaseExtensionType):  # e.g. GDAL's JSON fields: arrow.json over text
            col, t = _storage(col), t.storage_type
        if pa.types.is_dictionary(t):
            t = t.value_type
        if pa.types.is_nested(t):
            col = _nested(col)
        elif pa.types.is_binary(t) or pa.types.is_large_binary(t):
            col = pc.cast(pc.binary_length(col), pa.string())
        out.append(col)
    return out


def _storage(col: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    if isinstance(col, pa.ChunkedArray):
        return pa.chunked_array([c.storage for c in col.chunks], col.type.storage_type)
    return col.storage


def storage_table(table: pa.Table) -> pa.Table:
    """``table`` with its extension-type columns (GDAL's JSON fields come as ``arrow.json``)
    replaced by their storage, which every CSV writer takes; other columns unchanged."""
    cols = [_storage(c) if isinstance(c.type, pa.BaseExtensionType) else c for c in table.columns]
    return pa.table(cols, names=table.schema.names)


def reject_table(
    rows: Iterable[int] | np.ndarray,
    column: Iterable[str] | np.ndarray,
    reason: Iterable[str] | np.ndarray,
    message: Iterable[str] | np.ndarray,
    original: pa.Table | pa.RecordBatch | None = None,
) -> pa.Table:
    """Rejects as an Arrow table: :data:`REJECT_COLUMNS`, then ``original``'s columns
    (one row per reject, already in the form :func:`text_columns` gives or not)."""
    cols: list = [
        pa.array(np.asarray(list(rows) if not isinstance(rows, np.ndarray) else rows), pa.int64()),
        pa.array(list(column), pa.string()),
        pa.array(list(reason), pa.string()),
        pa.array(list(message), pa.string()),
    ]
    names = list(REJECT_COLUMNS)
    if original is not None:
        cols += text_columns(original)
        names += [n if n not in REJECT_COLUMNS else f"_{n}" for n in original.schema.names]
    return pa.table(cols, names=names)


def _cell_text(value: object) -> str | None:
    import pandas as pd

    if value is None:
        return None
    try:
        if pd.isna(value) is True:
            return None
    except (TypeError, ValueError):  # an array-like cell: its text
        pass
    return str(value)


def _from_pandas(frame) -> pa.Table:
    cols = {}
    for name in frame.columns:
        col = frame[name]
        try:
            cols[str(name)] = pa.array(col, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed objects: their text
            cols[str(name)] = pa.array([_cell_text(v) for v in col], pa.string())
    return pa.table(cols) if cols else pa.table({n: [] for n in REJECT_COLUMNS})


def write_rejects(
    table: pa.Table | pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> None:
    """Write a rejects table (an Arrow table from :func:`reject_table`, or a pandas
    DataFrame with the same columns) to a CSV file, atomically."""
    import pyarrow.csv as pcsv

    if not isinstance(table, pa.Table):
        table = _from_pandas(table)
    table = pa.table(text_columns(table), names=table.schema.names)
    with atomic_output(path, inputs=list(inputs)) as tmp, tmp.open("wb") as fh:
        # no spreadsheet formulas (suigeo.io.cells)
        pcsv.write_csv(neutralise_table(table), fh, pcsv.WriteOptions(quoting_style="needed"))
    log.info("%s: %d rejected rows written", path, table.num_rows)
