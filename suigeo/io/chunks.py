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
from suigeo.io.encodings import output_bom
from suigeo.io.formats import TABLES, format_for
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
    #: the geometry type the layer declares (``Polygon``, ``MultiLineString Z``...), if any
    geometry_type: str | None = None
    #: the layer's name inside a multi-layer file (GeoPackage), if any
    layer_name: str | None = None
    #: a CSV output written from this input starts with a UTF-8 byte order mark
    #: (:func:`suigeo.io.encodings.output_bom`: the input had one, or was GBK/UTF-16, or
    #: ``--bom``)
    bom: bool = False


C = TypeVar("C", bound=Chunks)


def open_chunks(
    path: Path,
    *,
    chunk_rows: int,
    kind: type[C] = Chunks,  # type: ignore[assignment]
    encoding: str | None = None,
    layer: str | None = None,
) -> C:
    """Open ``path`` (any format of :mod:`suigeo.io.formats`) for reading in chunks of
    ``chunk_rows`` rows; ``kind`` is the :class:`Chunks` (sub)class returned; ``encoding``
    is the text encoding of a table (``None``: the command's, :mod:`suigeo.io.encodings`).

    Raises
    ------
    InputError
        Unknown format, unreadable or malformed file (naming it); row errors of a CSV are
        raised while iterating.
    """
    fmt = format_for(path)
    log.info("%s: %s, read in chunks of %d rows", path, fmt, chunk_rows)
    if layer is not None and fmt != "gpkg":
        raise InputError(f"{str(path)!r}: --layer picks a layer inside a GeoPackage only")
    if fmt in TABLES:  # CSV, Excel, CASS: the one CSV reader
        return _open_csv(path, chunk_rows, kind, encoding)
    if fmt == "parquet":
        source = _open_parquet(path, chunk_rows, kind)
    else:
        source = _open_ogr(path, chunk_rows, kind, _layer(path, layer) if fmt == "gpkg" else None)
    source.bom = output_bom(None)
    return source


def _open_csv(path: Path, chunk_rows: int, kind: type[C], encoding: str | None) -> C:
    stream = stream_csv(path, chunk_rows=chunk_rows, encoding=encoding)
    chunks = iter(stream)
    source = kind(
        path,
        ((c.batch, c.rows) for c in chunks),
        stream.schema,
        closers=[stream.close],
        size=stream.info.size,
        bom=output_bom(stream.info.detected),
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


def _gdal_path(path: Path) -> tuple[Path, list[Callable[[], object]]]:
    """The path GDAL reads: a Shapefile's with its code page (.cpg, the .dbf's byte or
    --encoding: :func:`suigeo.io.shapefile.gdal_source`), and what to close after."""
    if path.suffix.lower() != ".shp":
        return path, []
    from suigeo.io.shapefile import gdal_source

    source = gdal_source(path)
    gpath = source.__enter__()
    return gpath, [lambda: source.__exit__(None, None, None)]


def _geojson_pre_rejects(
    path: Path, schema: pa.Schema
) -> tuple[np.ndarray | None, pa.Table | None]:
    """For a GeoJSON file whose ``features`` array holds entries that are no Feature: the
    row numbers of the Features, and the rejects of the others (else ``None, None``)."""
    entries = geojson_entries(path) if path.suffix.lower() in (".geojson", ".json") else None
    if entries is None or not (~entries[0]).any():
        return None, None
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
    return kept_rows, pre


def _layer(path: Path, layer: str | None) -> str | None:
    """The layer of a GeoPackage to read: ``layer``, else its only layer; a GeoPackage of
    several layers needs ``--layer`` (the message lists them)."""
    import pyogrio

    try:
        names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception:  # GDAL says why when the file is opened
        return layer
    if layer is not None:
        if layer not in names:
            raise InputError(
                f"{str(path)!r} has no layer {layer!r}; its layers are "
                f"{', '.join(map(repr, names))}"
            )
        return layer
    if len(names) > 1:
        raise InputError(
            f"{str(path)!r} holds {len(names)} layers ({', '.join(map(repr, names))}); "
            "pick one with --layer NAME (or write a .gpkg to convert them all)"
        )
    return names[0] if names else None


def _open_ogr(path: Path, chunk_rows: int, kind: type[C], layer: str | None = None) -> C:
    import pyogrio.raw

    gpath, closers = _gdal_path(path)
    try:
        with gdal_notes(path):
            ctx = pyogrio.raw.open_arrow(
                gpath, layer=layer, batch_size=chunk_rows, use_pyarrow=True
            )
            meta, reader = ctx.__enter__()
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, ...
        for close in closers:
            close()
        raise InputError(f"cannot read {str(path)!r}: {_first_line(exc)}") from None
    closers.insert(0, lambda: ctx.__exit__(None, None, None))
    geometry = meta.get("geometry_name") or "wkb_geometry"
    schema = reader.schema
    if geometry not in schema.names:
        geometry = None
    gtype = str(meta.get("geometry_type") or "")
    point_layer = gtype.startswith("Point")
    has_z = gtype.endswith("Z") if point_layer else None
    schema = pa.schema([f.remove_metadata() for f in schema])
    kept_rows, pre = _geojson_pre_rejects(path, schema)

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
        closers=closers,
        geometry_type=gtype or None,
        layer_name=layer,
        declared=meta.get("crs"),
        has_z=has_z,
        pre_rejects=pre,
    )
