"""Any table or layer file read in chunks of rows, with flat memory (``crs convert``).

:func:`open_chunks` opens a file of any format of :mod:`suigeo.io.formats`: CSV through
:func:`suigeo.io.csvtable.stream_csv` (every cell text), Parquet/GeoParquet through pyarrow
(GeoParquet metadata checked by :func:`suigeo.io.vector.geoparquet_column`), the GDAL formats
through pyogrio's Arrow stream (geometries as WKB). Each chunk comes with the 1-based row
numbers of its rows (``None``: numbered on from the previous chunk). A GeoJSON ``features``
entry that is no Feature is set aside before the first chunk (:attr:`Chunks.pre_rejects`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import pyarrow as pa

from suigeo.errors import InputError, SuigeoError
from suigeo.io.csvtable import stream_csv
from suigeo.io.formats import format_for
from suigeo.io.rejects import REJECT_COLUMNS
from suigeo.io.vector import REASONS, gdal_notes, geojson_entries, geoparquet_column

__all__ = ["Chunks", "open_chunks"]

log = logging.getLogger(__name__)


@dataclass
class Chunks:
    """An opened input: an iterator of (record batch, row numbers) plus what it is."""

    path: Path
    #: (batch, 1-based row numbers of its rows, or None for the rows after the last one)
    batches: Iterator[tuple[pa.RecordBatch, np.ndarray | None]]
    schema: pa.Schema
    geometry: str | None = None  # geometry column, or None for a table
    point_layer: bool = True
    total: int | None = None
    closers: list[Callable[[], object]] = field(default_factory=list)
    declared: object = None  # the CRS the file declares (text or PROJJSON), if any
    #: for a CSV: how far the reader is in the file, and its size (a progress bar counts
    #: bytes, since the number of rows is not known in advance)
    position: Callable[[], int] | None = None
    size: int | None = None
    #: for a point layer: whether its points are 3-D, decided once per file (None: unknown
    #: until the first point is seen)
    has_z: bool | None = None
    #: rows set aside while opening (GeoJSON features entries that are no Feature), in the
    #: rejects columns followed by the file's (empty) columns
    pre_rejects: pa.Table | None = None
    #: a CSV that starts with a UTF-8 byte order mark (a CSV writer keeps it)
    bom: bool = False


C = TypeVar("C", bound=Chunks)


def open_chunks(path: Path, *, chunk_rows: int, kind: type[C] = Chunks) -> C:  # type: ignore[assignment]
    """Open ``path`` (any format of :mod:`suigeo.io.formats`) for reading in chunks of
    ``chunk_rows`` rows; ``kind`` is the :class:`Chunks` (sub)class returned.

    Raises
    ------
    InputError
        Unknown format, unreadable or malformed file (naming it); row errors of a CSV are
        raised while iterating.
    """
    fmt = format_for(path)
    log.info("%s: %s, read in chunks of %d rows", path, fmt, chunk_rows)
    if fmt == "csv":
        return _open_csv(path, chunk_rows, kind)
    if fmt == "parquet":
        return _open_parquet(path, chunk_rows, kind)
    return _open_ogr(path, chunk_rows, kind)


def _open_csv(path: Path, chunk_rows: int, kind: type[C]) -> C:
    stream = stream_csv(path, chunk_rows=chunk_rows)
    chunks = iter(stream)
    source = kind(
        path,
        ((c.batch, c.rows) for c in chunks),
        stream.schema,
        closers=[stream.close],
        size=stream.info.size,
        bom=stream.info.bom,
    )
    source.position = lambda: stream.position() if stream.position is not None else 0
    return source


def _slices(batch: pa.RecordBatch, chunk_rows: int) -> Iterator[pa.RecordBatch]:
    for start in range(0, batch.num_rows, chunk_rows):
        yield batch.slice(start, chunk_rows)


def _open_parquet(path: Path, chunk_rows: int, kind: type[C]) -> C:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        schema = pf.schema_arrow
        meta = {**(pf.metadata.metadata or {}), **(schema.metadata or {})}
    except (pa.ArrowException, OSError, ValueError) as exc:  # ValueError: bad UTF-8 in a name
        raise InputError(f"cannot read {str(path)!r} as Parquet: {exc}") from None
    geometry, col_meta = geoparquet_column(path, meta, schema)
    point_layer, has_z = True, None
    if geometry is not None:
        types = col_meta.get("geometry_types") or []
        if not isinstance(types, list):
            types = []
        point_layer = bool(types) and all(t in ("Point", "Point Z") for t in types)
        if point_layer:
            has_z = any(t == "Point Z" for t in types)
    schema = pa.schema([f.remove_metadata() for f in schema])  # drop pandas/geo metadata

    def batches() -> Iterator[tuple[pa.RecordBatch, None]]:
        try:
            for b in pf.iter_batches(batch_size=chunk_rows):
                yield b, None
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise InputError(f"cannot read {str(path)!r} as Parquet: {exc}") from None

    return kind(
        path,
        batches(),
        schema,
        geometry=geometry,
        point_layer=point_layer,
        total=pf.metadata.num_rows,
        closers=[pf.close],
        declared=col_meta.get("crs"),
        has_z=has_z,
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _open_ogr(path: Path, chunk_rows: int, kind: type[C]) -> C:
    import pyogrio.raw

    try:
        with gdal_notes(path):
            ctx = pyogrio.raw.open_arrow(path, batch_size=chunk_rows, use_pyarrow=True)
            meta, reader = ctx.__enter__()
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, ...
        raise InputError(f"cannot read {str(path)!r}: {_first_line(exc)}") from None
    geometry = meta.get("geometry_name") or "wkb_geometry"
    schema = reader.schema
    if geometry not in schema.names:
        geometry = None
    gtype = str(meta.get("geometry_type") or "")
    point_layer = gtype.startswith("Point")
    has_z = gtype.endswith("Z") if point_layer else None
    schema = pa.schema([f.remove_metadata() for f in schema])
    entries = geojson_entries(path) if path.suffix.lower() in (".geojson", ".json") else None
    kept_rows: np.ndarray | None = None
    pre = None
    if entries is not None and (~entries[0]).any():
        mask, others = entries
        kept_rows = np.flatnonzero(mask).astype(np.int64) + 1
        wrong = np.flatnonzero(~mask) + 1
        text = [f"{REASONS['not_a_feature']}: {json.dumps(o)[:80]}" for o in others]
        pre = pa.table(
            [
                pa.array(wrong, pa.int64()),
                pa.array(["features"] * len(wrong), pa.string()),
                pa.array(["not_a_feature"] * len(wrong), pa.string()),
                pa.array(text, pa.string()),
                *[pa.nulls(len(wrong), pa.string()) for _ in schema.names],
            ],
            names=list(REJECT_COLUMNS) + list(schema.names),
        )

    def batches() -> Iterator[tuple[pa.RecordBatch, np.ndarray | None]]:
        done = 0
        try:
            while True:
                with gdal_notes(path):  # e.g. an unclosed ring: GEOS then refuses it
                    batch = next(reader, None)
                if batch is None:
                    return
                for part in _slices(batch, chunk_rows):
                    rows = None
                    if kept_rows is not None:
                        rows = kept_rows[done : done + part.num_rows]
                        if len(rows) != part.num_rows:
                            raise InputError(
                                f"{str(path)!r}: GDAL read more features than the file's "
                                "features array holds Feature objects"
                            )
                    done += part.num_rows
                    yield part, rows
        except SuigeoError:
            raise
        except Exception as exc:  # pyogrio/GDAL errors while reading features
            raise InputError(f"cannot read {str(path)!r}: {_first_line(exc)}") from None

    return kind(
        path,
        batches(),
        schema,
        geometry=geometry,
        point_layer=point_layer,
        closers=[lambda: ctx.__exit__(None, None, None)],
        declared=meta.get("crs"),
        has_z=has_z,
        pre_rejects=pre,
    )
