"""Batch conversion of coordinate files: CSV, GeoPackage, GeoJSON, FlatGeobuf, Shapefile and
GeoParquet.

:func:`convert_file` streams a file in chunks of ``chunk_rows`` rows, converts each chunk with
:func:`crs.transform` (PROJ executes every step) and writes the result atomically. Every row
read is either written or reported in the rejects file, so ``read == written + rejected``.

Formats (chosen by suffix, in and out: the one table of :mod:`suigeo.io.formats`)
--------------------------------------------------------------------------------
``.csv`` / ``.txt`` (comma-separated, a header line; UTF-8, GBK or UTF-16:
:mod:`suigeo.io.encodings`), ``.tsv`` (tab-separated), ``.xlsx`` / ``.xls`` (input only:
:mod:`suigeo.io.sheets`), ``.dat`` (南方CASS, no header), ``.shp`` (code pages:
:mod:`suigeo.io.shapefile`), ``.gpkg`` (``layer=``), ``.geojson`` / ``.json``, ``.fgb``,
``.parquet`` / ``.geoparquet``. A Parquet file without GeoParquet ``geo`` metadata is read
as a table with coordinate columns, like a CSV. Files are read by
:func:`suigeo.io.chunks.open_chunks` (CSV by :func:`suigeo.io.csvtable.stream_csv`, with
its checks).

- Table in (CSV, Excel, CASS, plain Parquet): the x/y (and h) columns are replaced in place
  by the converted values and renamed to what they hold (``E``/``N``, ``lon``/``lat``;
  ``keep_names=True`` keeps them); every other column is kept, in order, with its text
  unchanged.
- CASS out: ``点名,编码,东坐标,北坐标,高程`` per point, no header.
- Geometry in (GPKG, GeoJSON, GeoParquet): the geometry is converted, vertex by vertex
  (any geometry type); attributes are kept in order.
- Table in, spatial out: the x/y (and h) columns become a point geometry ``geometry``
  (appended after the other columns, which keep their order).
- Spatial in, CSV out: attributes, then ``x``, ``y`` (``lon``, ``lat`` for a geographic
  target, ``X``, ``Y``, ``Z`` for a geocentric one) and ``h`` for a point layer, or a
  ``wkt`` column for other layers (the table rule of :mod:`suigeo.io.vector`). Whether a
  point layer has ``h`` is decided once per file: a file mixing 2-D and 3-D points is
  refused for CSV output, whatever the chunk size.

CSV numbers are written rounded to 1e-9 degree or 0.1 mm (4 decimals of a metre), the
digits that matter for survey work; spatial formats keep full double precision. A CSV
output starts with a UTF-8 byte order mark when the CSV input did.

Rejects
-------
A row is rejected, in this order of checks, when it is ``not_a_feature`` (an entry of a
GeoJSON ``features`` array that is no Feature object), when a coordinate is ``empty`` (blank
cell, null, missing or empty geometry), ``invalid_geometry`` (WKB that GEOS refuses: a
one-point line, an unclosed ring), ``non_numeric``, ``not_finite`` (NaN, inf), ``swapped``
(outside the source system's area of use, but inside with x and y exchanged),
``outside_area`` (outside the source system's area of use), ``outside_target_area``
(outside the target system's area of use, e.g. the wrong Gauss-Krüger zone; not checked for
GCJ02/BD09, which pass points outside China through) or ``projection_failed`` (PROJ
returned inf/NaN). For a source that is not lon/lat, the area test converts the point to
CGCS2000 lon/lat first (with PROJ); the area of use is the system's lon/lat bounding box
(west, south, east, north), from PROJ's database for EPSG systems.

The rejects file is the shared report of :mod:`suigeo.io.rejects`: ``row`` (the data row
number: 1 is the first record after the header for a CSV, the first feature or ``features``
entry for a spatial file; for a CSV it is the file's line number minus one, blank lines
counted, unless a quoted field spans lines), ``column`` (the offending column,
or ``x,y`` columns joined by commas for area checks, or the geometry column), ``reason``
(one of :data:`REASONS`), ``message`` (human text), then every original column of the row,
as read (geometry as WKT, nested Parquet values as JSON). Without ``rejects=``, it is
``OUT`` with the suffix replaced by ``.rejects.csv``, written only when there are rejects.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from suigeo.crs.params import params_file
from suigeo.crs.systems import System, resolve
from suigeo.crs.transform import Params, transform
from suigeo.errors import InputError, OutputError, SuigeoError
from suigeo.io.atomic import atomic_output, check_not_input, check_outputs, disk_error
from suigeo.io.cells import neutralise_table
from suigeo.io.chunks import Chunks, open_chunks
from suigeo.io.formats import DRIVERS, format_for
from suigeo.io.rejects import REJECT_COLUMNS, storage_table, text_columns
from suigeo.io.vector import WKT_COLUMN, detect_xy

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "MAX_CHUNK_ROWS",
    "REASONS",
    "ConvertSummary",
    "convert_file",
    "convert_frame",
    "detect_columns",
]

log = logging.getLogger(__name__)

DEFAULT_CHUNK_ROWS = 200_000
#: The most rows converted at a time (memory grows with it; more gains no speed).
MAX_CHUNK_ROWS = 100_000_000
#: Chunks read and converted ahead of the writer, in a second thread (:class:`_ReadAhead`).
READ_AHEAD = 2

#: Reject reason codes, in the order they are checked, with their human text.
REASONS: dict[str, str] = {
    "not_a_feature": "this entry of the GeoJSON features array is not a Feature object",
    "empty": "the coordinate is empty",
    "invalid_geometry": "the geometry cannot be read (GEOS refuses it: a one-point line, "
    "an unclosed ring...)",
    "non_numeric": "the coordinate is not a number",
    "not_finite": "the coordinate is NaN or infinite",
    "swapped": "outside the area of use of {src}, but inside with x and y exchanged: "
    "the columns look swapped (lon/lat, or easting/northing; Chinese survey practice "
    "calls northing X)",
    "outside_area": "outside the area of use of {src} (lon {w:g}..{e:g}, lat {s:g}..{n:g})",
    "outside_target_area": "outside the area of use of the target {dst} (lon {tw:g}..{te:g}, "
    "lat {ts:g}..{tn:g}): the converted point would be meaningless there (wrong zone?)",
    "outside_geoid": "no height anomaly there (outside the quasi-geoid grid, next to a node "
    "without data, or outside the area of a fitted surface), so the height cannot be converted",
    "projection_failed": "PROJ could not convert the point (it returned inf or NaN)",
}
_CODES = {name: i + 1 for i, name in enumerate(REASONS)}  # 0 = ok
_EMPTY, _NON_NUMERIC, _NOT_FINITE = _CODES["empty"], _CODES["non_numeric"], _CODES["not_finite"]
_SWAPPED, _OUTSIDE, _FAILED = _CODES["swapped"], _CODES["outside_area"], _CODES["projection_failed"]
_OUTSIDE_TARGET = _CODES["outside_target_area"]
_OUTSIDE_GEOID = _CODES["outside_geoid"]
_INVALID, _NOT_FEATURE = _CODES["invalid_geometry"], _CODES["not_a_feature"]
_REASON_OF = {v: k for k, v in _CODES.items()}

_NUMBER_RE = r"(?i)^[+-]?(?:\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?|nan|inf|infinity)$"

# what convert_file reads and writes (formats of suigeo.io.formats)
_IN_FORMATS = ("csv", "xlsx", "cass", "gpkg", "geojson", "fgb", "shp", "parquet", "dxf")
_OUT_FORMATS = ("csv", "xlsx", "cass", "gpkg", "geojson", "fgb", "parquet", "shp", "dxf")

_REJECT_COLUMNS = list(REJECT_COLUMNS)


@dataclass
class ConvertSummary:
    """What :func:`convert_file` did. ``read == written + rejected`` always."""

    read: int
    written: int
    rejected: int
    out_path: Path
    rejects_path: Path | None
    reasons: dict[str, int] = field(default_factory=dict)
    columns: tuple[str, ...] = ()
    columns_detected: bool = False
    #: an older file at the default rejects path, not written by this run (no rejects)
    stale_rejects: Path | None = None
    #: the layers converted, for a whole multi-layer GeoPackage (each layer's rejects in
    #: ``OUT.<layer>.rejects.csv``)
    layers: tuple[str, ...] = ()

    def line(self) -> str:
        """One human line: ``read N, written M, rejected K (...)``."""
        text = f"read {self.read}, written {self.written}, rejected {self.rejected}"
        if self.reasons:
            parts = ", ".join(f"{k} {v}" for k, v in self.reasons.items() if v)
            text += f" ({parts})"
        text += f"; output {self.out_path}"
        if self.layers:
            text += f" (layers {', '.join(self.layers)})"
        if self.rejects_path is not None:
            text += f"; rejects {self.rejects_path}"
        if self.read and self.reasons.get("swapped", 0) * 2 >= self.read:
            text += (
                "; hint: most rows look swapped - exchange the x and y columns (--x/--y); "
                "Chinese survey sheets often call the northing X"
            )
        if self.stale_rejects is not None:
            text += f"; note: {self.stale_rejects} is from an earlier run, not this one"
        return text


# --------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------


log = logging.getLogger(__name__)


def convert_file(
    src_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    src: str | int | System,
    dst: str | int | System,
    x: str | None = None,
    y: str | None = None,
    h: str | None = None,
    params: Params = None,
    rejects: str | os.PathLike[str] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: bool | None = None,
    executor: str = "memory",
    workers: int | None = None,
    memory_limit: str | None = None,
    scheduler: str | None = None,
    partition_rows: int | None = None,
    axis_order: str = "en",
    keep_names: bool = False,
    layer: str | None = None,
    geoid: str | os.PathLike[str] | None = None,
) -> ConvertSummary:
    """Convert every row of ``src_path`` from ``src`` to ``dst`` into ``out_path``.

    Parameters
    ----------
    src_path, out_path
        Input and output files; formats by suffix (see the module docstring). The output is
        written atomically and may never be the input.
    src, dst
        Systems: suigeo names, EPSG codes or :class:`System`.
    x, y, h
        Coordinate columns of a table input. ``x``/``y`` are detected from common names
        (lon/lat, longitude/latitude, lng/lat, 经度/纬度, x/y, E/N, easting/northing) when not
        given; ``h`` is never guessed. Refused for inputs with a geometry.
    params
        Parameter file or object for systems that need one (``GZ2000``).
    rejects
        Rejects CSV path; written even when empty if given. Default: ``out_path`` with suffix
        ``.rejects.csv``, written only when some rows are rejected.
    chunk_rows
        Rows converted at a time; memory use is bounded by this, not by the file size.
    progress
        Show a progress bar on standard error; ``None`` shows it when stderr is a terminal.
    executor
        ``"memory"`` (default): this process, chunk by chunk. ``"dask"``: partitions
        converted in parallel on Dask (:mod:`suigeo.crs.dask_convert`; needs the ``dask``
        extra), with the same rows, bits and rejects; it reads CSV/TSV and Parquet files or
        dataset folders and writes a GeoParquet dataset (a folder of parts named
        ``out_path``). Nothing imports Dask unless it is asked for.
    workers, memory_limit
        Dask executor: the local cluster's worker processes (default: the cores, at most 4)
        and the memory limit of each (``"2GB"``; default: memory shared out).
    scheduler
        Dask executor: the address of an existing cluster's scheduler (``tcp://host:8786``)
        instead of a local cluster.
    partition_rows
        Dask executor: rows per partition (default 1,000,000; whole Parquet row groups).
    axis_order
        ``"en"`` (default): columns named X and Y hold the easting and the northing;
        ``"ne"``: the Chinese surveying convention, X is the northing and Y the easting.
    keep_names
        Keep the coordinate columns' names in a table output; by default they are renamed
        to say what they now hold: ``lon``/``lat``, ``E``/``N`` (or ``X``/``Y``/``Z``).
    layer
        The layer of a multi-layer input (GeoPackage); its name is kept in a GeoPackage
        output.
    geoid
        A quasi-geoid grid of height anomalies (GeoTIFF/GTX) for ellipsoidal <-> normal
        heights (``CGCS2000`` -> ``CGCS2000+H1985``), as in :func:`suigeo.crs.transform`;
        a row outside the grid is rejected as ``outside_geoid``. With ``executor="dask"``
        the workers open it by its absolute path (a shared file system on a cluster).

    Returns
    -------
    ConvertSummary

    A run in which every row with coordinates is rejected as ``swapped`` writes nothing and
    raises an :class:`InputError` naming the option to rerun with.

    Raises
    ------
    InputError
        Unreadable input, unknown format, missing column (naming file and column).
    OutputError
        Output would overwrite the input, or cannot be written.
    """
    src_p, out_p = Path(src_path), Path(out_path)
    s, d = resolve(src), resolve(dst)
    if not 1 <= chunk_rows <= MAX_CHUNK_ROWS:
        raise InputError(f"chunk_rows must be from 1 to {MAX_CHUNK_ROWS:,}, got {chunk_rows}")
    engine_options = {
        "workers": workers,
        "memory_limit": memory_limit,
        "scheduler": scheduler,
        "partition_rows": partition_rows,
    }
    if executor != "memory" or any(v is not None for v in engine_options.values()):
        return _other_engine(
            executor,
            engine_options,
            src_p,
            out_p,
            s=s,
            d=d,
            x=x,
            y=y,
            h=h,
            params=params,
            rejects=rejects,
            chunk_rows=chunk_rows,
            progress=progress,
            axis_order=axis_order,
            layer=layer,
            geoid=geoid,
        )
    in_fmt = format_for(src_p, purpose="input", allowed=_IN_FORMATS)
    out_fmt = format_for(out_p, purpose="output", allowed=_OUT_FORMATS)
    if not src_p.is_file():
        raise InputError(f"cannot read {str(src_p)!r}: no such file")
    kwargs = dict(
        src=s, dst=d, params=params, chunk_rows=chunk_rows, progress=progress, geoid=geoid
    )
    whole = _whole_file(src_p, out_p, in_fmt, out_fmt, layer, rejects, kwargs)
    if whole is not None:
        return whole
    inputs = [src_p, params_file(params), None if geoid is None else Path(geoid)]
    check_not_input(out_p, inputs)
    if out_fmt == "geojson" and _output_crs(d) is None and not d.is_geographic:
        raise OutputError(
            f"cannot write {d.name} to GeoJSON {str(out_p)!r}: a GeoJSON file without a CRS "
            f"is read as WGS 84 lon/lat, and {d.name} has no CRS that can be written; "
            "write .gpkg, .parquet or .csv instead"
        )
    explicit_rejects = rejects is not None
    rej_p = Path(rejects) if rejects is not None else out_p.with_suffix(".rejects.csv")
    if rej_p.resolve() == out_p.resolve():
        raise OutputError(f"the rejects file {str(rej_p)!r} cannot be the output file")
    check_outputs([out_p, rej_p], inputs)  # before any work

    log.info("%s (%s) -> %s (%s), %s to %s", src_p, in_fmt, out_p, out_fmt, s.name, d.name)
    source = _open_source(src_p, in_fmt, chunk_rows, x, y, h, s, axis_order, layer)
    try:
        _check_source(source, s, d, h)
    except BaseException:
        for close in source.closers:
            close()
        raise
    log.info(
        "convert %s (%s) -> %s (%s): %s to %s, coordinate columns %s",
        src_p,
        in_fmt,
        out_p,
        out_fmt,
        s.name,
        d.name,
        ", ".join(source.coord_columns) or "(geometry)",
    )
    conv = _Converter(s, d, params, source, geoid)
    conv.keep_names = keep_names
    sink = _RejectsSink(
        rej_p, inputs, _REJECT_COLUMNS + list(source.schema.names), always=explicit_rejects
    )
    bar = _progress_bar(progress, source)
    done = False
    try:
        conv.out_path = out_p
        formats = (in_fmt, out_fmt)
        _convert_into(src_p, out_p, formats, inputs, source, conv, sink, bar, axis_order)
        done = True
    finally:
        if not done:
            sink.close_on_error()
        if bar is not None:
            bar.close()
    if conv.read != conv.written + conv.rejected:  # pragma: no cover - an invariant
        raise AssertionError(
            f"lost rows: read {conv.read} != written {conv.written} + rejected {conv.rejected}"
        )
    log.info(
        "%s: %d rows read, %d written, %d rejected%s",
        src_p,
        conv.read,
        conv.written,
        conv.rejected,
        f" (listed in {rej_p})" if sink.written else "",
    )
    return _summary(conv, source, out_p, rej_p, sink.written)


class _Counts(Protocol):
    read: int
    written: int
    rejected: int
    reasons: dict[int, int]


def _summary(
    counts: _Counts, source: _Source, out_p: Path, rej_p: Path, rejects_written: bool
) -> ConvertSummary:
    """The summary of a conversion from its counts (both engines)."""
    return ConvertSummary(
        read=counts.read,
        written=counts.written,
        rejected=counts.rejected,
        out_path=out_p,
        rejects_path=rej_p if rejects_written else None,
        reasons={_REASON_OF[c]: n for c, n in sorted(counts.reasons.items())},
        columns=source.coord_columns,
        columns_detected=source.detected,
        stale_rejects=rej_p if not rejects_written and rej_p.exists() else None,
    )


def _other_engine(
    executor: str, options: dict, src_p: Path, out_p: Path, **kwargs
) -> ConvertSummary:
    """``convert_file`` on another executor than ``memory`` (today: ``dask``)."""
    if executor == "memory":
        given = [k for k, v in options.items() if v is not None]
        raise InputError(f"{', '.join(given)}: only for executor='dask'")
    if executor != "dask":
        raise InputError(f"unknown executor {executor!r}; use memory or dask")
    from suigeo.crs.dask_convert import DEFAULT_PARTITION_ROWS, convert_dask

    if options["partition_rows"] is None:
        options = {**options, "partition_rows": DEFAULT_PARTITION_ROWS}
    return convert_dask(src_p, out_p, **options, **kwargs)


def convert_frame(
    df: pd.DataFrame,
    *,
    src: str | int | System,
    dst: str | int | System,
    x: str | None = None,
    y: str | None = None,
    h: str | None = None,
    params: Params = None,
    geoid: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """Convert the coordinate columns of one pandas DataFrame: a chunk, or a dask partition.

    A pure function of its arguments (no file, no state), with the same checks and reject
    reasons as :func:`convert_file`, so it can be mapped over partitions, e.g.
    ``ddf.map_partitions(convert_frame, src="CGCS2000", dst="CGCS2000-3GK-CM114")``.

    Parameters
    ----------
    df
        Rows with coordinate columns holding numbers or text (as read from a CSV).
    src, dst
        Systems: suigeo names, EPSG codes or :class:`System`.
    x, y, h
        Coordinate columns; ``x``/``y`` are detected from their names (see
        :func:`detect_columns`) when both are ``None``; ``h`` is never guessed.
    params
        Parameter file or object for systems that need one (``GZ2000``).
    geoid
        A quasi-geoid grid for ellipsoidal <-> normal heights (as :func:`convert_file`).

    Returns
    -------
    pandas.DataFrame
        A new frame with the same index and columns in the same order, the coordinate
        columns replaced by float64 converted values (full precision; NaN in rejected rows),
        plus two columns appended: ``reject_reason`` (missing for a converted row, else a key
        of :data:`REASONS`) and ``reject_column`` (the failing column, or ``"x,y"`` column
        names for the area and PROJ checks). Nothing is dropped: every row comes back.

    Raises
    ------
    InputError
        A coordinate column is missing or holds neither numbers nor text.
    """
    import pandas as pd

    s, d = resolve(src), resolve(dst)
    labels = {str(c): c for c in df.columns}
    source = _Source(Path("<frame>"), iter(()), pa.schema([(n, pa.string()) for n in labels]))
    _choose_columns(source, x, y, h, s)
    cols = source.coord_columns
    batch = pa.RecordBatch.from_arrays([_frame_column(df[labels[c]]) for c in cols], names=cols)
    codes, names, result = _Converter(s, d, params, source, geoid).table_chunk(batch)
    out = df.copy()
    for name, values in zip(cols, result, strict=True):
        out[labels[name]] = values
    bad = codes != 0
    reason = np.array([None, *REASONS], dtype=object)[codes]
    out["reject_reason"] = pd.Series(reason, index=df.index, dtype=object)
    out["reject_column"] = pd.Series(np.where(bad, names, None), index=df.index, dtype=object)
    return out


def _frame_column(col: pd.Series) -> pa.Array:
    """A pandas column as an Arrow array (mixed object columns as text, missing as null)."""
    try:
        return pa.array(col, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array(col.astype("string"), from_pandas=True)


def detect_columns(
    names: list[str], system: System, *, axis_order: str = "en"
) -> tuple[str, str] | None:
    """Return the (x, y) column pair recognised in ``names``, or ``None``.

    Lon/lat names are tried first for a geographic ``system``, easting/northing names first
    otherwise. Matching ignores case, surrounding spaces and a bracketed note; the first
    pair found wins. Columns X and Y are east and north, or with ``axis_order="ne"`` north
    and east (the Chinese surveying convention): :func:`suigeo.io.vector.detect_xy`.
    """
    return detect_xy(names, geographic=system.is_geographic, axis_order=axis_order)


# --------------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------------


@dataclass
class _Source(Chunks):
    """An opened input (:class:`suigeo.io.chunks.Chunks`) plus the chosen columns."""

    coord_columns: tuple[str, ...] = ()
    detected: bool = False


def _open_source(
    path: Path,
    fmt: str,
    chunk_rows: int,
    x: str | None,
    y: str | None,
    h: str | None,
    system: System,
    axis_order: str = "en",
    layer: str | None = None,
) -> _Source:
    source = open_chunks(path, chunk_rows=chunk_rows, kind=_Source, layer=layer)
    try:
        if source.geometry is None:
            _choose_columns(source, x, y, h, system, axis_order)
        elif x is not None or y is not None or h is not None:
            raise InputError(
                f"{str(path)!r} has a geometry column ({source.geometry!r}): its coordinates "
                "are converted; --x/--y/--h name the columns of a table (CSV) only"
            )
        else:
            source.coord_columns = (source.geometry,)
    except BaseException:
        for close in source.closers:
            close()
        raise
    return source


def _check_source(source: _Source, s: System, d: System, h: str | None) -> None:
    """Refuse what would convert wrongly: a file declaring another system than ``s``, and a
    table converted to or from geocentric X, Y, Z without its height column."""
    if source.geometry is None and h is None and "geocentric" in (s.kind, d.kind):
        geo = s if s.kind == "geocentric" else d
        raise InputError(
            f"{geo.name} is geocentric (X, Y, Z): give the height (or Z) column with --h"
        )
    if source.declared is None or s.epsg is None:
        return  # nothing to compare (GZ2000, GCJ02, BD09 and files without a CRS)
    try:
        declared = resolve(CRS.from_user_input(source.declared))
    except (SuigeoError, CRSError):
        return  # a CRS suigeo does not name: the area checks still apply
    if declared.epsg == s.epsg or {declared.epsg, s.epsg} <= {4490, 4326, 4480, 4979}:
        # WGS 84 is taken equal to CGCS2000 (and GeoJSON always says WGS 84, 3-D: 4979)
        return
    raise InputError(
        f"{str(source.path)!r} declares its coordinates in {declared.name} "
        f"(EPSG:{declared.epsg}), but the source system given is {s.name} (EPSG:{s.epsg}); "
        f"use --from EPSG:{declared.epsg} if the file is right"
    )


def _choose_columns(
    source: _Source,
    x: str | None,
    y: str | None,
    h: str | None,
    system: System,
    axis_order: str = "en",
) -> None:
    names = list(source.schema.names)
    if x is None and y is None:
        found = detect_columns(names, system, axis_order=axis_order)
        if found is None:
            raise InputError(
                f"{str(source.path)!r}: no coordinate columns recognised among "
                f"{', '.join(names)}; name them with --x and --y"
            )
        x, y = found
        source.detected = True
    elif x is None or y is None:
        raise InputError("give both --x and --y, or neither to detect them")
    for role, col in (("x", x), ("y", y), ("h", h)):
        if col is not None and col not in names:
            raise InputError(
                f"{str(source.path)!r}: no column {col!r} (the {role} column); "
                f"the columns are {', '.join(names)}"
            )
    if len({x, y, h} - {None}) != (3 if h is not None else 2):
        raise InputError(f"the x, y and h columns must differ, got {x!r}, {y!r}, {h!r}")
    source.coord_columns = (x, y) if h is None else (x, y, h)


# --------------------------------------------------------------------------------------------
# Conversion
# --------------------------------------------------------------------------------------------


def _area_of_use(system: System) -> tuple[float, float, float, float] | None:
    """``System.area_of_use`` (west, south, east, north in degrees), or ``None`` if unknown."""
    if system.kind == "height":  # x, y pass through a height-only conversion
        return None
    try:
        return tuple(float(v) for v in system.area_of_use)  # type: ignore[return-value]
    except SuigeoError:
        return None


def _decimal(col: pa.Array | pa.ChunkedArray) -> bool:
    return pa.types.is_decimal(col.type)


def _parse(col: pa.Array | pa.ChunkedArray, name: str, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Return (values, codes) for one coordinate column; codes 0 where the value is usable."""
    if pa.types.is_null(col.type):  # no value at all (an empty object column, all nulls)
        col = pc.cast(col, pa.string())
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        text = pc.utf8_trim_whitespace(col)  # also full-width spaces (U+3000)
        try:  # fast path: every cell is a number
            values = pc.cast(text, pa.float64())
            empty = pc.is_null(values)
            nonnum = np.zeros(len(col), dtype=bool)
        except pa.ArrowInvalid:
            empty = pc.fill_null(pc.equal(pc.utf8_length(text), 0), True)
            numeric = pc.fill_null(pc.match_substring_regex(text, _NUMBER_RE), False)
            nonnum = np.asarray(pc.invert(pc.or_(numeric, empty)), dtype=bool)
            values = pc.cast(pc.if_else(numeric, text, "nan"), pa.float64())
    elif pa.types.is_integer(col.type) or pa.types.is_floating(col.type) or _decimal(col):
        values = pc.cast(col, pa.float64())
        empty = pc.is_null(col)
        nonnum = np.zeros(len(col), dtype=bool)
    else:
        raise InputError(f"{str(path)!r}: column {name!r} holds {col.type}, not numbers or text")
    arr = np.asarray(pc.fill_null(values, np.nan), dtype=np.float64)
    empty_np = np.asarray(empty, dtype=bool)
    codes = np.zeros(len(arr), dtype=np.int8)
    codes[~np.isfinite(arr)] = _NOT_FINITE
    codes[nonnum] = _NON_NUMERIC
    codes[empty_np] = _EMPTY
    return arr, codes


def _inside(lon: np.ndarray, lat: np.ndarray, bounds: tuple[float, float, float, float]):
    w, s, e, n = bounds
    with np.errstate(invalid="ignore"):
        return (lon >= w) & (lon <= e) & (lat >= s) & (lat <= n)


class _Converter:
    """Converts chunks; counts rows and reasons."""

    def __init__(
        self,
        src: System,
        dst: System,
        params: Params,
        source: _Source,
        geoid: str | os.PathLike[str] | None = None,
    ):
        self.src, self.dst, self.params, self.source = src, dst, params, source
        self.geoid = geoid
        #: ellipsoidal <-> normal heights: a height that alone is not finite is outside_geoid
        self.mixed_heights = (src.height is None) != (dst.height is None)
        self.bounds = _area_of_use(src)
        # GCJ-02/BD-09 pass points outside China through by their rule: no target check
        self.dst_bounds = None if dst.kind == "offset" else _area_of_use(dst)
        self.read = self.written = self.rejected = 0
        self.next_row = 1
        self.out_path: Path | None = None
        self.keep_names = False
        self.reasons: dict[int, int] = {}
        decimals = 9 if dst.is_geographic else 4
        self.decimals = (decimals, decimals, 4)

    # -- checks shared by points and geometry vertices ---------------------------------------
    def _lonlat(
        self, x: np.ndarray, y: np.ndarray, h: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """CGCS2000 lon/lat of source points (PROJ converts projected, GZ2000 and
        geocentric ones; GCJ02/BD09 are compared directly, their offset is < 1 km)."""
        if self.src.kind == "geocentric":
            if h is None:
                raise InputError(f"{self.src.name} is geocentric: give the Z column with --h")
            lon, lat, _ = transform(x, y, h, src=self.src, dst="CGCS2000", params=self.params)
            return lon, lat
        if self.src.kind == "projected":
            plane = self.src.plane or self.src.name
            lon, lat = transform(x, y, src=plane, dst="CGCS2000", params=self.params)
            return lon, lat
        return x, y

    def check_and_transform(
        self, x: np.ndarray, y: np.ndarray, h: np.ndarray | None, codes: np.ndarray
    ) -> tuple[np.ndarray, ...]:
        """Fill ``codes`` for area and PROJ failures; return converted (x, y[, h]) arrays.

        While no point has a code, the arrays are checked and converted whole (no copies
        of the points taken)."""
        ok = None if len(x) and not codes.any() else np.flatnonzero(codes == 0)
        if self.bounds is not None and (ok is None or ok.size):
            self._check_areas(x, y, h, codes, ok)
            ok = None if not codes.any() else np.flatnonzero(codes == 0)
        # every point as it is (a view, no copy), or the points without a code
        pick: slice | np.ndarray = slice(None) if ok is None else ok
        n = len(x) if ok is None else ok.size
        hs = h[pick] if h is not None else None
        conv = [np.asarray(values, dtype=np.float64) for values in transform(
            x[pick], y[pick], hs, src=self.src, dst=self.dst, params=self.params,
            geoid=self.geoid,
        )] if n else [np.empty(0)] * (2 if h is None else 3)  # fmt: skip
        failed = np.zeros(n, dtype=bool)
        for values in conv:
            failed |= ~np.isfinite(values)
        codes[np.flatnonzero(failed) if ok is None else ok[failed]] = _FAILED
        if hs is not None and self.mixed_heights:
            outside = np.isfinite(conv[0]) & np.isfinite(conv[1]) & ~np.isfinite(conv[2])
            codes[np.flatnonzero(outside) if ok is None else ok[outside]] = _OUTSIDE_GEOID
        if ok is None:
            return tuple(conv)
        res = [np.full(len(x), np.nan) for _ in conv]
        for target, values in zip(res, conv, strict=True):
            target[ok] = values
        return tuple(res)

    def _check_areas(self, x, y, h, codes: np.ndarray, ok: np.ndarray | None) -> None:
        """Codes for points outside the source's area of use (or swapped), then for points
        outside the target's; of the points ``ok`` (``None``: all)."""
        assert self.bounds is not None  # the caller checks
        if ok is None:
            lon, lat = self._lonlat(x, y, h)
        else:
            lon, lat = self._lonlat(x[ok], y[ok], h[ok] if h is not None else None)

        def where(mask: np.ndarray) -> np.ndarray:  # the points (their numbers) of mask
            return np.flatnonzero(mask) if ok is None else ok[mask]

        inside = _inside(lon, lat, self.bounds)
        out = where(~inside)
        if out.size:
            codes[out] = _OUTSIDE
            if self.src.kind != "geocentric":
                swapped = _inside(*self._lonlat(y[out], x[out], None), self.bounds)
                codes[out[swapped]] = _SWAPPED
        if self.dst_bounds is not None:
            codes[where(inside & ~_inside(lon, lat, self.dst_bounds))] = _OUTSIDE_TARGET

    def messages(self) -> dict[int, str]:
        """The human text of each reject code, for this conversion."""
        nan = (np.nan,) * 4
        w, s, e, n = self.bounds if self.bounds is not None else nan
        tw, ts, te, tn = self.dst_bounds if self.dst_bounds is not None else nan
        fields = dict(src=self.src.name, w=w, s=s, e=e, n=n, dst=self.dst.name)
        fields.update(tw=tw, ts=ts, te=te, tn=tn)
        return {c: REASONS[r].format(**fields) for r, c in _CODES.items()}

    def count(self, codes: np.ndarray) -> None:
        self.read += len(codes)
        bad = codes[codes != 0]
        self.rejected += len(bad)
        self.written += len(codes) - len(bad)
        for c, n in zip(*np.unique(bad, return_counts=True), strict=True):
            self.reasons[int(c)] = self.reasons.get(int(c), 0) + int(n)

    # -- tables with coordinate columns -------------------------------------------------------
    def table_chunk(self, batch: pa.RecordBatch):
        cols = self.source.coord_columns
        parsed = [_parse(batch.column(c), c, self.source.path) for c in cols]
        codes = np.zeros(batch.num_rows, dtype=np.int8)
        which = np.zeros(batch.num_rows, dtype=np.int8)
        for i, (_, c) in enumerate(parsed):  # the first bad column names the row
            take = (codes == 0) & (c != 0)
            codes[take] = c[take]
            which[take] = i
        h = parsed[2][0] if len(parsed) == 3 else None
        result = self.check_and_transform(parsed[0][0], parsed[1][0], h, codes)
        names = np.array([*cols, ",".join(cols[:2])], dtype=object)
        area = np.isin(codes, (_SWAPPED, _OUTSIDE, _OUTSIDE_TARGET, _FAILED))
        which[area] = len(cols)
        if len(cols) == 3:
            which[codes == _OUTSIDE_GEOID] = 2
        return codes, names[which], result

    # -- geometries ----------------------------------------------------------------------------
    def geometry_chunk(self, batch: pa.RecordBatch):
        wkb = np.asarray(batch.column(self.source.geometry), dtype=object)
        geoms = shapely.from_wkb(wkb, on_invalid="ignore")
        codes = np.zeros(len(geoms), dtype=np.int8)
        missing = shapely.is_missing(geoms)
        codes[missing | shapely.is_empty(geoms)] = _EMPTY
        codes[missing & np.array([w is not None for w in wkb], dtype=bool)] = _INVALID
        has_z = shapely.has_z(geoms)
        use_z = bool(has_z.any())
        coords, index = shapely.get_coordinates(geoms, include_z=use_z, return_index=True)
        vx, vy = coords[:, 0].copy(), coords[:, 1].copy()
        vh = np.where(has_z[index], coords[:, 2], 0.0) if use_z else None
        vcodes = np.zeros(len(vx), dtype=np.int8)
        finite = np.isfinite(vx) & np.isfinite(vy)
        if vh is not None:
            finite &= np.isfinite(vh)
        vcodes[~finite] = _NOT_FINITE
        result = self.check_and_transform(vx, vy, vh, vcodes)
        # a feature takes the first reason among its vertices (by check order)
        worst = np.full(len(geoms), 127, dtype=np.int8)
        bad = vcodes != 0
        np.minimum.at(worst, index[bad], vcodes[bad])
        take = (codes == 0) & (worst != 127)
        codes[take] = worst[take]
        ok = codes == 0
        new = np.column_stack(result)
        keep = ok[index]
        converted = geoms[ok]
        if converted.size:
            if not use_z:
                new = new[:, :2]
            converted = shapely.set_coordinates(converted.copy(), new[keep])
        names = np.full(len(geoms), self.source.geometry, dtype=object)
        return codes, names, converted, geoms


# --------------------------------------------------------------------------------------------
# Pipeline: read -> convert -> (output batches, rejects)
# --------------------------------------------------------------------------------------------


class _RejectsSink:
    """Writes reject rows to a CSV, atomically, opened on the first reject (or always)."""

    def __init__(self, path: Path, inputs: list, header: list[str], *, always: bool):
        self.path, self.inputs, self.always = path, inputs, always
        self.header = header
        self.written = False
        self._ctx: contextlib.AbstractContextManager | None = None
        self._fh: IO[bytes] | None = None
        self._header_done = False

    def _open(self) -> None:
        self._ctx = atomic_output(self.path, inputs=self.inputs)
        tmp = self._ctx.__enter__()
        self._fh = tmp.open("wb")

    def write(self, table: pa.Table) -> None:
        import pyarrow.csv as pcsv

        if self._fh is None:
            self._open()
        try:
            pcsv.write_csv(
                neutralise_table(table),  # no spreadsheet formulas
                self._fh,
                pcsv.WriteOptions(include_header=not self._header_done, quoting_style="needed"),
            )
        except Exception as exc:  # a full disk names the rejects file, not the output
            err = disk_error(self.path, exc)
            if err is None:
                raise
            raise err from None
        self._header_done = True

    def finish(self) -> None:
        if self._fh is None and self.always:
            self._open()
        if self._fh is None or self._ctx is None:  # both are set by _open
            return
        if not self._header_done:
            empty = pa.table({n: pa.array([], pa.string()) for n in self.header})
            self.write(empty)
        self._fh.close()
        self._ctx.__exit__(None, None, None)
        self.written = True
        self._fh = self._ctx = None

    def close_on_error(self) -> None:
        if self._fh is not None and self._ctx is not None:
            self._fh.close()
            err = OutputError("conversion failed")
            with contextlib.suppress(Exception):
                self._ctx.__exit__(type(err), err, None)
            self._fh = self._ctx = None


def _text_columns(batch: pa.RecordBatch, geometry: str | None, geoms=None) -> list[pa.Array]:
    """The original columns of ``batch`` as text-friendly arrays (geometry as WKT)."""
    cols = text_columns(batch)
    if geometry is not None:
        i = batch.schema.names.index(geometry)
        cols[i] = pa.array(shapely.to_wkt(geoms, rounding_precision=-1), type=pa.string())
    return cols


def _reject_table(batch, codes, names, rows, messages, geometry=None, geoms=None):
    bad = np.flatnonzero(codes != 0)
    reasons = np.array([_REASON_OF.get(int(c), "") for c in range(len(_CODES) + 1)], dtype=object)
    msg = np.array([messages.get(c, "") for c in range(len(_CODES) + 1)], dtype=object)
    sub = batch.take(pa.array(bad))
    sub_geoms = geoms[bad] if geoms is not None else None
    original = _text_columns(sub, geometry, sub_geoms)
    cols = [
        pa.array(rows[bad], type=pa.int64()),
        pa.array(names[bad], type=pa.string()),
        pa.array(reasons[codes[bad]], type=pa.string()),
        pa.array(msg[codes[bad]], type=pa.string()),
        *original,
    ]
    return pa.table(cols, names=_REJECT_COLUMNS + list(batch.schema.names))


@dataclass
class _OutBatch:
    table: pa.Table  # the written rows as read (geometry column dropped)
    points: tuple[np.ndarray, ...] | None  # converted coordinates of written rows (tables)
    geoms: np.ndarray | None  # converted geometries of written rows (spatial inputs)


def _converted(source: _Source, conv: _Converter, sink: _RejectsSink, bar) -> Iterator[_OutBatch]:
    try:
        if source.pre_rejects is not None:
            sink.write(source.pre_rejects)
            n = source.pre_rejects.num_rows
            conv.read += n
            conv.rejected += n
            conv.reasons[_NOT_FEATURE] = conv.reasons.get(_NOT_FEATURE, 0) + n
        empty = True
        for batch in source.batches:
            empty = False
            yield _convert_batch(batch, source, conv, sink)
            if bar is not None:
                n = batch[0].num_rows
                bar.update(n if source.position is None else source.position() - bar.n)
        if empty:
            yield _convert_batch(None, source, conv, sink)
    finally:
        for close in source.closers:
            with contextlib.suppress(Exception):
                close()


class _ReadAhead(Iterator[_OutBatch]):
    """Iterate ``items`` in a second thread, :data:`READ_AHEAD` items ahead of the caller.

    Reading and converting a chunk (GDAL, pyarrow's CSV parser, PROJ, GEOS: all release the
    GIL) then overlap with writing the previous one on a second core; the items, their order
    and every count are the same as iterating in one thread, and memory stays bounded by
    the queue (at most ``READ_AHEAD + 2`` chunks alive). An exception in the reading thread
    is raised here, at the item where it happened; :meth:`close` stops the thread (and lets
    the generator's ``finally`` close the input) when the writer stops early."""

    _END = object()

    def __init__(self, items: Iterator[_OutBatch]):
        import queue
        import threading

        self._queue: queue.Queue = queue.Queue(maxsize=READ_AHEAD)
        self._stop = threading.Event()
        self._items = items
        self._done = False
        self._thread = threading.Thread(target=self._run, name="suigeo-read-ahead", daemon=True)
        self._thread.start()

    def _put(self, item: object) -> bool:
        import queue

        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for item in self._items:
                if not self._put((item, None)):
                    return
            self._put((self._END, None))
        except BaseException as exc:  # handed to the caller's thread
            self._put((None, exc))
        finally:
            close = getattr(self._items, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    close()

    def __next__(self) -> _OutBatch:
        if self._done:
            raise StopIteration
        item, exc = self._queue.get()
        if exc is not None:
            self._done = True
            self._thread.join()
            raise exc
        if item is self._END:
            self._done = True
            self._thread.join()
            raise StopIteration
        return item

    def close(self) -> None:
        """Stop reading ahead and wait for the thread (the input is then closed)."""
        self._done = True
        self._stop.set()
        self._thread.join()


def _convert_batch(item, source: _Source, conv: _Converter, sink: _RejectsSink) -> _OutBatch:
    if item is None:
        batch, rows = pa.RecordBatch.from_pylist([], schema=source.schema), None
    else:
        batch, rows = item
        batch = pa.RecordBatch.from_arrays(batch.columns, schema=source.schema)
    if rows is None:  # rows numbered on from the last chunk's
        rows = np.arange(conv.next_row, conv.next_row + batch.num_rows, dtype=np.int64)
    if len(rows):
        conv.next_row = int(rows[-1]) + 1
    if source.geometry is None:
        codes, names, result = conv.table_chunk(batch)
        geoms = converted = None
    else:
        codes, names, converted, geoms = conv.geometry_chunk(batch)
        result = None
    conv.count(codes)
    if (codes != 0).any():
        sink.write(
            _reject_table(batch, codes, names, rows, conv.messages(), source.geometry, geoms)
        )
    ok = codes == 0
    table = pa.Table.from_batches([batch]).filter(pa.array(ok))
    if result is None:
        return _OutBatch(table.drop_columns([source.geometry]), None, converted)
    return _OutBatch(table, tuple(r[ok] for r in result), None)


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------


def _whole_file(
    src_p: Path, out_p: Path, in_fmt: str, out_fmt: str, layer: str | None, rejects: object,
    kwargs: dict,
) -> ConvertSummary | None:  # fmt: skip
    """A DXF drawing, or a GeoPackage of several layers into a GeoPackage, converted whole;
    ``None`` for everything else."""
    if "dxf" in (in_fmt, out_fmt):
        return _convert_dxf(
            src_p, out_p, kwargs["src"], kwargs["dst"], kwargs["params"], in_fmt, out_fmt
        )
    if in_fmt == "gpkg" and out_fmt == "gpkg" and layer is None:
        names = _gpkg_layers(src_p)
        if len(names) > 1:  # the whole GeoPackage, layer by layer
            return _convert_layers(src_p, out_p, names, rejects, kwargs)
    return None


def _convert_dxf(
    src_p: Path, out_p: Path, s: System, d: System, params: Params, in_fmt: str, out_fmt: str
) -> ConvertSummary:
    """A DXF drawing to a DXF drawing (:mod:`suigeo.io.dxf`): plane systems only; every
    point must lie in the source system's area of use."""
    from suigeo.crs.transform import area_mask
    from suigeo.io.dxf import convert_dxf

    if in_fmt != out_fmt:
        raise InputError(f"a DXF drawing converts to a DXF drawing: {out_p} is not .dxf")
    for system in (s, d):
        if system.kind != "projected":
            raise InputError(
                f"a DXF drawing holds plane coordinates in metres; {system.name} is not a "
                "plane system"
            )
    inputs = [src_p, params_file(params)]
    check_outputs([out_p], inputs)

    def fn(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        inside = area_mask(x, y, src=s, params=params)
        if len(x) and not inside.all():
            i = int(np.flatnonzero(~inside)[0])
            swapped = bool(area_mask(y[i : i + 1], x[i : i + 1], src=s, params=params)[0])
            hint = " (x and y look swapped)" if swapped else ""
            raise InputError(
                f"{str(src_p)!r}: {int((~inside).sum())} points lie outside {s.name}'s area "
                f"of use{hint}, the first at {x[i]:.3f}, {y[i]:.3f}; check --from"
            )
        ex, ny = transform(x, y, src=s, dst=d, params=params)
        return np.asarray(ex), np.asarray(ny)

    got = convert_dxf(src_p, out_p, fn, inputs=inputs)
    return ConvertSummary(
        read=got.read, written=got.read, rejected=0, out_path=out_p, rejects_path=None,
        reasons={}, columns=(),
    )  # fmt: skip


def _gpkg_layers(path: Path) -> list[str]:
    import pyogrio

    try:
        return [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception:  # GDAL says why when the file is read
        return []


def _convert_layers(
    src_p: Path, out_p: Path, names: list[str], rejects: object, kwargs: dict
) -> ConvertSummary:
    """Convert every layer of a GeoPackage into one GeoPackage (names and geometry types
    kept), each layer's rejects in ``OUT.<layer>.rejects.csv`` (or ``REJECTS`` likewise)."""
    import tempfile

    import pyogrio
    import pyogrio.raw

    check_outputs([out_p], [src_p, params_file(kwargs["params"])])
    base = Path(str(rejects)) if rejects is not None else out_p.with_suffix(".rejects.csv")
    parts: list[tuple[str, Path, ConvertSummary]] = []
    parent = out_p.parent if str(out_p.parent) else Path(".")
    with tempfile.TemporaryDirectory(prefix=f".{out_p.stem}.suigeo-", dir=parent) as folder:
        for i, name in enumerate(names):
            part = Path(folder) / f"{i}.gpkg"
            rej = base.with_name(f"{base.name.split('.')[0]}.{name}.rejects.csv")
            got = convert_file(
                src_p, part, layer=name, rejects=rej if rejects is not None else None, **kwargs
            )
            if rejects is None and got.rejects_path is not None:
                os.replace(got.rejects_path, rej)
                got.rejects_path = rej
            parts.append((name, part, got))
        with atomic_output(out_p, inputs=[src_p]) as tmp:
            for i, (name, part, _) in enumerate(parts):
                info = pyogrio.read_info(part, layer=name)
                with (
                    pyogrio.raw.open_arrow(part, layer=name, use_pyarrow=True) as (meta, reader),
                    warnings.catch_warnings(),
                ):
                    warnings.filterwarnings("ignore", message="'crs' was not provided")
                    pyogrio.raw.write_arrow(
                        reader, tmp, layer=name, driver="GPKG", append=i > 0,
                        geometry_name=meta.get("geometry_name") or "geom",
                        geometry_type=info["geometry_type"], crs=meta.get("crs"),
                    )  # fmt: skip
    reasons: dict[str, int] = {}
    for _, _, got in parts:
        for k, v in got.reasons.items():
            reasons[k] = reasons.get(k, 0) + v
    written_rejects = [got.rejects_path for _, _, got in parts if got.rejects_path is not None]
    log.info("%s: %d layers converted into %s", src_p, len(parts), out_p)
    return ConvertSummary(
        read=sum(g.read for _, _, g in parts),
        written=sum(g.written for _, _, g in parts),
        rejected=sum(g.rejected for _, _, g in parts),
        out_path=out_p,
        rejects_path=written_rejects[0] if written_rejects else None,
        reasons=reasons,
        layers=tuple(names),
    )


def _refuse_all_swapped(conv: _Converter, source: _Source, axis_order: str) -> None:
    """Stop (nothing written) when every row with coordinates looks swapped: the columns
    were read the wrong way round; say the exact option to rerun with."""
    swapped = conv.reasons.get(_SWAPPED, 0)
    unreadable = sum(conv.reasons.get(c, 0) for c in (_EMPTY, _NON_NUMERIC, _NOT_FINITE))
    if conv.written or not swapped or swapped < conv.read - unreadable:
        return
    if source.geometry is not None:
        fix = "the file's geometries hold northing before easting: fix the file"
    else:
        xcol, ycol = source.coord_columns[:2]
        if source.detected and {xcol.strip().lower(), ycol.strip().lower()} == {"x", "y"}:
            other = "en" if axis_order == "ne" else "ne"
            fix = f"rerun with --axis-order {other}"
            if other == "ne":
                fix += " (X = northing, Y = easting, as Chinese survey sheets write them)"
        else:
            fix = f"rerun with --x {ycol} --y {xcol}"
    raise InputError(
        f"{str(source.path)!r}: all {swapped} rows with coordinates look swapped (outside "
        f"{conv.src.name}'s area of use, inside with x and y exchanged); nothing was "
        f"written: {fix}"
    )


def _convert_into(
    src_p: Path, out_p: Path, formats: tuple[str, str], inputs: list, source: _Source,
    conv: _Converter, sink: _RejectsSink, bar, axis_order: str,
) -> None:  # fmt: skip
    """Convert into the atomic output ``out_p``: a Shapefile into a Shapefile by rewriting
    its coordinates when that is exact (:func:`_fast_shapefile`), else chunk by chunk
    (GDAL, pyarrow, shapely)."""
    in_fmt, out_fmt = formats
    if _fast_shapefile(src_p, out_p, in_fmt, out_fmt, conv, source, inputs, bar):
        sink.finish()  # no rejects: an empty file only if asked for (--rejects)
        return
    with _atomic(out_p, out_fmt, inputs) as tmp:
        layer_name = source.layer_name or out_p.stem
        batches = _ReadAhead(_converted(source, conv, sink, bar))
        try:
            _write(out_fmt, tmp, batches, conv, conv.dst, layer_name)
        finally:
            batches.close()
        _refuse_all_swapped(conv, source, axis_order)
        sink.finish()


def _shp_part(shp: Path, ext: str) -> Path | None:
    """The part ``ext`` (``.shx``, ``.dbf``, ...) of the Shapefile ``shp``, in either case."""
    for p in (shp.with_suffix(ext), shp.with_suffix(ext.upper())):
        if p.is_file():
            return p
    return None


def _fast_source(src_p: Path, source: _Source) -> tuple | str:
    """The parts and code pages of ``src_p`` for :func:`_fast_shapefile` (``.shx``,
    ``.dbf``, ``.cpg``; the input's code page and the output's), or the reason it is not
    taken."""
    import codecs

    from suigeo.io.encodings import AUTO, current_encoding
    from suigeo.io.shapefile import read_encoding, write_encoding

    shx, dbf, cpg = (_shp_part(src_p, ext) for ext in (".shx", ".dbf", ".cpg"))
    if source.geometry is None or source.pre_rejects is not None or shx is None or dbf is None:
        return "no geometry, .shx or .dbf"
    codec = read_encoding(src_p)
    wanted = write_encoding()  # UTF-8 unless --encoding names the output's code page
    if codecs.lookup(wanted).name not in (codecs.lookup(codec).name, "utf-8"):
        how = "UTF-8, the default" if current_encoding() == AUTO else f"--encoding {wanted}"
        return f"the output's code page ({how}) re-encodes the {codec} attributes"
    return (shx, dbf, cpg), (codec, wanted)


def _fast_plan(src_p: Path, shx: Path, conv: _Converter) -> tuple | str:
    """The points of ``src_p`` and their conversion for :func:`_fast_shapefile`, or the
    reason it is not taken."""
    from suigeo.io.shp_records import POLYGONS, read_vertices, ring_areas

    try:
        v = read_vertices(src_p, shx)
    except (OSError, ValueError, IndexError, MemoryError) as exc:  # GDAL says what is wrong
        return f"the .shp is not read here ({type(exc).__name__}: {exc})"
    if isinstance(v, str):
        return v
    codes = np.zeros(len(v.x), dtype=np.int8)
    finite = np.isfinite(v.x) & np.isfinite(v.y)
    if v.z is not None:
        finite &= np.isfinite(v.z)
    if not finite.all():
        return "a coordinate that is not finite"
    result = conv.check_and_transform(v.x, v.y, v.z, codes)  # as geometry_chunk calls it
    if (codes != 0).any():
        return "a feature would be rejected"
    x, y = result[0], result[1]
    if v.shape_type in POLYGONS:
        before, after = ring_areas(v, v.x, v.y), ring_areas(v, x, y)
        first = np.zeros(len(v.part_starts), dtype=bool)
        first[np.searchsorted(v.part_starts, v.starts)] = True
        if (np.sign(before) != np.sign(after)).any() or (before == 0).any():
            return "a ring turned round (or flat) by the conversion"
        if (before[first] > 0).any():
            return "a polygon whose first ring is not clockwise"
    return v, x, y, result[2] if v.z is not None else None


def _fast_shapefile(
    src_p: Path, out_p: Path, in_fmt: str, out_fmt: str, conv: _Converter, source: _Source,
    inputs: list, bar,
) -> bool:  # fmt: skip
    """Shapefile -> Shapefile by rewriting only the coordinates of the ``.shp``
    (:mod:`suigeo.io.shp_records`): the ``.dbf`` and ``.cpg`` are copied byte for byte when
    the output keeps the input's code page (the attributes keep it; a ``.cpg`` naming it is
    added when there was none, and ``--encoding gbk`` sets the language driver byte as the
    GDAL writer does), the ``.shx`` with its header's new bounding box, the ``.prj`` as
    GDAL writes it.

    Taken only when it writes what GDAL would read back from the general path's output,
    bit for bit, and rejects nothing: every vertex converts through the same
    :meth:`_Converter.check_and_transform` without a reject code; one shape type, no null
    or empty shape, no M-only type; polygon rings closed, each record's first ring
    clockwise and no ring turned round by the conversion; the output's code page (UTF-8, or
    the one ``--encoding`` names) is the input's or UTF-8: a GBK file's ``.dbf`` is copied
    with ``--encoding gbk`` and otherwise re-encoded to UTF-8 with numpy
    (:func:`suigeo.io.dbf.reencode_dbf`, which refuses memo fields, deleted records, text
    that does not decode strictly, ...), in a second thread while the ``.shp`` is read and
    converted (PROJ and numpy release the GIL: the two overlap on two cores). Returns
    ``False`` (nothing written, the source untouched) otherwise: the caller then converts
    through GDAL, with the rejects as before."""
    import codecs

    from suigeo.io.encodings import AUTO, current_encoding
    from suigeo.io.shapefile import atomic_shapefile

    if in_fmt != "shp" or out_fmt != "shp":
        return False
    found = _fast_source(src_p, source)
    if isinstance(found, str):
        log.info("%s: converted through GDAL: %s", src_p, found)
        return False
    (shx, dbf, cpg), (codec, wanted) = found
    same = codecs.lookup(wanted).name == codecs.lookup(codec).name
    # ``--encoding gbk`` also sets the .dbf's language driver byte, as the GDAL writer's does
    ldid = current_encoding() != AUTO
    try:
        with (
            atomic_shapefile(
                out_p, inputs=inputs, encoding=codec if same else wanted, ldid=ldid
            ) as tmp,
            _DbfAhead(None if same else (dbf, tmp.with_suffix(".dbf"), codec)) as ahead,
        ):
            plan = _fast_plan(src_p, shx, conv)
            if isinstance(plan, str):
                raise _NotFast(plan)
            v, x, y, z = plan
            _fast_parts(tmp, v, (x, y, z), (codec, ahead), (dbf, cpg, shx))
            prj = _prj_text(conv.dst)
            if prj is not None:
                tmp.with_suffix(".prj").write_text(prj, encoding="ascii")
    except _NotFast as exc:  # nothing written: atomic_shapefile removed its parts
        log.info("%s: converted through GDAL: %s", src_p, exc)
        return False
    n = len(v.offsets)
    conv.count(np.zeros(n, dtype=np.int8))
    conv.next_row += n
    if bar is not None:
        bar.update(n)
    for close in source.closers:
        with contextlib.suppress(Exception):
            close()
    how = "attributes copied" if same else f"attributes re-encoded from {codec} to UTF-8"
    log.info("%s: %d features, coordinates rewritten in the .shp (%s)", src_p, n, how)
    return True


class _NotFast(Exception):
    """The reason :func:`_fast_shapefile` does not write the Shapefile (GDAL then does)."""


class _DbfAhead:
    """With ``job`` (the ``.dbf`` read, the one written, its code page): the ``.dbf``
    re-encoded to UTF-8 by :func:`suigeo.io.dbf.reencode_dbf` in a second thread, started
    on entering; :meth:`result` waits for it (the reason it was not written, or ``None``).
    Leaving stops it (between two blocks of records) and waits, so that nothing is written
    after; an exception of the thread is raised by :meth:`result`."""

    def __init__(self, job: tuple[Path, Path, str] | None):
        import threading

        self.job = job
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._value: str | None = None
        self._error: BaseException | None = None

    def __enter__(self) -> _DbfAhead:
        import threading

        if self.job is not None:
            self._thread = threading.Thread(target=self._run, name="suigeo-dbf", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        from suigeo.io.dbf import reencode_dbf

        assert self.job is not None
        src, dst, codec = self.job
        try:
            self._value = reencode_dbf(src, dst, codec, "utf-8", stop=self._stop)
        except BaseException as exc:  # handed to the caller's thread
            self._error = exc

    def result(self) -> str | None:
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def _fast_parts(tmp: Path, v, xyz: tuple, codecs_: tuple[str, _DbfAhead], parts: tuple) -> None:
    """Write the ``.dbf``, ``.cpg``, ``.shp`` and ``.shx`` of :func:`_fast_shapefile` to
    ``tmp``: the ``.dbf`` copied when the output keeps its code page, else re-encoded to
    UTF-8 (by ``ahead``, :class:`_DbfAhead`; :class:`_NotFast` when it is not)."""
    import shutil

    from suigeo.io.shp_records import write_vertices

    (codec, ahead), (dbf, cpg, shx) = codecs_, parts
    x, y, z = xyz
    write_vertices(v, tmp, x, y, z, shx=shx)  # its bbox anew
    if ahead.job is not None:
        why = ahead.result()
        if why is not None:
            raise _NotFast(why)
        tmp.with_suffix(".cpg").write_text("UTF-8", encoding="ascii")  # as GDAL writes it
    else:
        shutil.copyfile(dbf, tmp.with_suffix(".dbf"))
        if cpg is not None:
            shutil.copyfile(cpg, tmp.with_suffix(".cpg"))
        else:  # say the code page read (from the language driver byte or detected)
            tmp.with_suffix(".cpg").write_text(codec.upper(), encoding="ascii")


def _prj_text(dst: System) -> str | None:
    """The ``.prj`` GDAL writes for ``dst`` (none for GZ2000), taken from an empty
    Shapefile GDAL writes (the WKT in its ESRI dialect)."""
    import tempfile

    import pyogrio.raw

    out_crs = _output_crs(dst)
    if out_crs is None:
        return None
    with tempfile.TemporaryDirectory(prefix="suigeo-prj-") as folder:
        path = Path(folder) / "prj.shp"
        pyogrio.raw.write(
            path, np.array([], dtype=object), [], [], driver="ESRI Shapefile",
            geometry_type="Point", crs=out_crs.to_wkt(),
        )  # fmt: skip
        prj = path.with_suffix(".prj")
        return prj.read_text(encoding="ascii") if prj.is_file() else None


def _atomic(out: Path, fmt: str, inputs: list) -> contextlib.AbstractContextManager[Path]:
    """The atomic output of one file, or of the several files of a Shapefile."""
    if fmt == "shp":
        from suigeo.io.shapefile import atomic_shapefile, write_encoding

        return atomic_shapefile(out, inputs=inputs, encoding=write_encoding())
    return atomic_output(out, inputs=inputs)


def _write(
    fmt: str, tmp: Path, batches: Iterator[_OutBatch], conv: _Converter, dst: System, layer: str
) -> None:
    if fmt == "csv":
        _write_csv(tmp, batches, conv, dst)
    elif fmt == "xlsx":
        _write_xlsx(tmp, batches, conv, dst)
    elif fmt == "cass":
        _write_cass(tmp, batches, conv, dst)
    elif fmt == "parquet":
        _write_parquet(tmp, batches, conv, dst)
    else:
        _write_ogr(tmp, batches, conv, dst, fmt, layer)


def _round(values: np.ndarray, decimals: int) -> np.ndarray:
    return np.round(values, decimals)


def _csv_table(ob: _OutBatch, conv: _Converter, dst: System) -> pa.Table:
    table = ob.table
    source = conv.source
    if ob.points is not None:
        renamed = _renamed(source.coord_columns, conv, dst)
        for name, new, values, dec in zip(
            source.coord_columns, renamed, ob.points, conv.decimals, strict=False
        ):
            i = table.schema.get_field_index(name)
            table = table.set_column(i, new, pa.array(_round(values, dec)))
        return table
    geoms = ob.geoms
    assert geoms is not None  # a batch has converted points or geometries
    if source.point_layer:
        if dst.kind == "geocentric":
            names = ("X", "Y", "Z")
        else:
            names = ("lon", "lat", "h") if dst.is_geographic else ("x", "y", "h")
        has_z = _file_has_z(source, geoms)
        coords = shapely.get_coordinates(geoms, include_z=has_z)
        for j in range(coords.shape[1]):
            values = _round(coords[:, j], conv.decimals[j])
            table = table.append_column(_unique(names[j], table.schema.names), pa.array(values))
        return table
    wkt = shapely.to_wkt(geoms, rounding_precision=conv.decimals[0])
    return table.append_column(_unique(WKT_COLUMN, table.schema.names), pa.array(wkt, pa.string()))


def _renamed(columns: tuple[str, ...], conv: _Converter, dst: System) -> list[str]:
    """The names of the converted coordinate columns: what they now hold (``lon``/``lat``,
    ``E``/``N``, ``X``/``Y``/``Z``), unless ``keep_names``; the height column keeps its
    name (except geocentric Z)."""
    if conv.keep_names:
        return list(columns)
    if dst.kind == "geocentric":
        new = ["X", "Y", "Z"]
    else:
        new = ["lon", "lat"] if dst.is_geographic else ["E", "N"]
        new += list(columns[2:])
    others = [n for n in conv.source.schema.names if n not in columns]
    return [_unique(n, others) for n in new[: len(columns)]]


def _file_has_z(source: _Source, geoms: np.ndarray) -> bool:
    """Whether the point layer's CSV output has an ``h`` column: decided once per file (from
    its declared geometry type, else its first written point); a point of the other kind
    refuses the file, whichever chunk it is in."""
    if not len(geoms):
        return bool(source.has_z)
    z = shapely.has_z(geoms)
    if source.has_z is None:
        source.has_z = bool(z[0])
    if (z != source.has_z).any():
        raise OutputError(
            f"{source.path}: the point layer mixes 2-D and 3-D points; "
            "convert it to .gpkg or .parquet instead of .csv"
        )
    return source.has_z


def _unique(name: str, taken: list[str]) -> str:
    out = name
    while out in taken:
        out = "_" + out
    return out


def _write_csv(tmp: Path, batches: Iterator[_OutBatch], conv: _Converter, dst: System) -> None:
    import pyarrow.csv as pcsv

    delimiter = "\t" if tmp.suffix.lower() == ".tsv" else ","
    header = True
    schema = None
    with tmp.open("wb") as fh:
        if conv.source.bom:  # kept from the input CSV (Excel reads UTF-8 by it)
            fh.write(b"\xef\xbb\xbf")
        for ob in batches:
            table = _csv_table(ob, conv, dst)
            if schema is None:
                schema = table.schema
            elif table.schema.names != schema.names:
                raise OutputError(
                    f"{conv.source.path}: the point layer mixes 2-D and 3-D points; "
                    "convert it to .gpkg or .parquet instead of .csv"
                )
            else:
                table = table.cast(schema)
            # text cells are always quoted, numbers never: the same bytes whatever the chunking
            opts = pcsv.WriteOptions(
                include_header=header, delimiter=delimiter, quoting_style="needed"
            )
            table = storage_table(table)  # extension columns (GDAL's JSON fields) as text
            pcsv.write_csv(neutralise_table(table), fh, opts)  # no spreadsheet formulas
            header = False


def _write_xlsx(tmp: Path, batches: Iterator[_OutBatch], conv: _Converter, dst: System) -> None:
    """The CSV output's table as an Excel workbook (:class:`suigeo.io.sheets.XlsxTableWriter`:
    numbers as numbers, headers kept)."""
    from suigeo.io.sheets import XlsxTableWriter

    out = conv.out_path or tmp
    if out.suffix.lower() != ".xlsx":
        raise OutputError(f"{str(out)!r}: suigeo writes Excel workbooks as .xlsx only")
    writer = XlsxTableWriter(tmp, sheet=out.stem)
    names: list[str] | None = None
    try:
        for ob in batches:
            table = storage_table(_csv_table(ob, conv, dst))
            if names is None:
                names = table.schema.names
            elif table.schema.names != names:
                raise OutputError(
                    f"{conv.source.path}: the point layer mixes 2-D and 3-D points; "
                    "convert it to .gpkg or .parquet instead of .xlsx"
                )
            writer.write(table)
        if names is None:  # nothing read: still a sheet with the header
            writer.write(storage_table(_empty_table(conv)))
    finally:
        writer.close()


def _empty_table(conv: _Converter) -> pa.Table:
    schema = conv.source.schema
    return pa.table({n: pa.array([], pa.string()) for n in schema.names})


#: column names (lower case) that hold a point's name, its CASS code and its height
_ID_NAMES = ("点名", "点号", "id", "name", "点", "pt", "point")
_CODE_NAMES = ("编码", "code", "代码")
_HEIGHT_NAMES = ("高程", "h", "z", "height", "elevation")


def _pick(names: list[str], wanted: tuple[str, ...]) -> str | None:
    lowered = {n.strip().lower(): n for n in names}
    return next((lowered[w] for w in wanted if w in lowered), None)


def _write_cass(tmp: Path, batches: Iterator[_OutBatch], conv: _Converter, dst: System) -> None:
    """南方CASS ``.dat``: ``点名,编码,东坐标,北坐标,高程`` per point, no header."""
    from suigeo.io.shapefile import write_encoding
    from suigeo.io.sheets import write_cass

    source = conv.source
    if dst.is_geographic or dst.kind == "geocentric":
        raise OutputError(
            f"a CASS .dat file holds plane coordinates (east, north); {dst.name} is not a "
            "plane system: write .csv instead"
        )
    if source.geometry is not None and not source.point_layer:
        raise OutputError(f"a CASS .dat file holds points; {source.path} is not a point layer")
    names = [n for n in source.schema.names if n not in source.coord_columns[:2]]
    ident = _pick(names, _ID_NAMES)
    if ident is None:
        raise OutputError(
            f"a CASS .dat file needs a point name: {source.path} has no column 点名, 点号, id "
            f"or name (its columns are {', '.join(source.schema.names)})"
        )
    code = _pick(names, _CODE_NAMES)
    converted_h = len(source.coord_columns) == 3
    height = None if converted_h else _pick(names, _HEIGHT_NAMES)
    encoding = write_encoding()

    def lines() -> Iterator[list[str]]:
        for ob in batches:
            t = ob.table
            if ob.points is not None:
                pts = list(ob.points)
            else:
                assert ob.geoms is not None
                coords = shapely.get_coordinates(ob.geoms, include_z=True)
                pts = [coords[:, 0], coords[:, 1], coords[:, 2]]
                converted_z = bool(shapely.has_z(ob.geoms).any())
                if not converted_z:
                    pts = pts[:2]
            ids = t.column(ident).to_pylist()
            codes = t.column(code).to_pylist() if code is not None else [""] * len(ids)
            hs: list = [""] * len(ids)
            if len(pts) == 3:
                hs = [f"{v:.4f}" for v in pts[2]]
            elif height is not None:
                hs = t.column(height).to_pylist()
            for i in range(len(ids)):
                yield [
                    "" if ids[i] is None else str(ids[i]),
                    "" if codes[i] is None else str(codes[i]),
                    f"{pts[0][i]:.4f}",
                    f"{pts[1][i]:.4f}",
                    "" if hs[i] is None else str(hs[i]),
                ]

    with tmp.open("wb") as fh:
        write_cass(lines(), fh, encoding=encoding)


def _spatial_table(ob: _OutBatch, conv: _Converter) -> tuple[pa.Table, str, np.ndarray]:
    source = conv.source
    table = ob.table
    if ob.geoms is not None:
        assert source.geometry is not None  # geometries come from a geometry column
        name, geoms = source.geometry, ob.geoms
    else:  # the coordinate columns become the point geometry
        assert ob.points is not None
        table = table.drop_columns(list(source.coord_columns))
        name = _unique("geometry", table.schema.names)
        geoms = shapely.points(*ob.points)
    wkb = pa.array(shapely.to_wkb(geoms), type=pa.binary())
    return table.append_column(name, wkb), name, geoms


def _geometry_type(conv: _Converter, table: pa.Table, name: str) -> str:
    if conv.source.geometry is None:
        return "Point Z" if len(conv.source.coord_columns) == 3 else "Point"
    if conv.source.point_layer:
        geoms = shapely.from_wkb(np.asarray(table.column(name), dtype=object))
        return "Point Z" if len(geoms) and bool(shapely.has_z(geoms).any()) else "Point"
    declared = conv.source.geometry_type  # kept: a converted layer has the same types
    return declared if declared and not declared.startswith("Unknown") else "Unknown"


def _write_ogr(tmp, batches, conv: _Converter, dst: System, fmt: str, layer: str) -> None:
    import pyogrio.raw

    first = next(batches)
    table, name, _ = _spatial_table(first, conv)
    schema = table.schema
    failure: list[BaseException] = []
    options: dict[str, str] = {}
    if fmt == "shp":  # field names it would cut are refused; the code page is written
        from suigeo.io.shapefile import check_field_names, write_encoding

        options["encoding"] = write_encoding()
        names = [n for n in schema.names if n != name]
        check_field_names(names, conv.out_path or tmp, options["encoding"])

    written = [1]  # the next batch's first feature number (for check_text_cells)

    def checked(t: pa.Table) -> list[pa.RecordBatch]:
        if fmt == "shp":  # text cells a Shapefile would cut are refused
            from suigeo.io.shapefile import check_text_cells

            check_text_cells(t, conv.out_path or tmp, options["encoding"], written[0])
            written[0] += t.num_rows
        return t.to_batches()

    def stream() -> Iterator[pa.RecordBatch]:
        try:
            yield from checked(table)
            for ob in batches:
                yield from checked(_spatial_table(ob, conv)[0].cast(schema))
        except BaseException as exc:
            failure.append(exc)
            raise

    out_crs = _output_crs(dst)
    crs = out_crs.to_wkt() if out_crs is not None else None
    try:
        with warnings.catch_warnings():
            # no CRS is deliberate (GZ2000's parameters are secret; GCJ02 has none)
            warnings.filterwarnings("ignore", message="'crs' was not provided")
            pyogrio.raw.write_arrow(
                pa.RecordBatchReader.from_batches(schema, stream()),
                tmp,
                layer=layer if fmt == "gpkg" else None,
                driver=DRIVERS[fmt],
                geometry_name=name,
                geometry_type=_geometry_type(conv, table, name),
                crs=crs,
                **options,
            )
    except Exception as exc:
        if failure:
            raise failure[0] from None
        if isinstance(exc, SuigeoError):
            raise
        raise OutputError(f"cannot write {fmt}: {exc}") from None


def _write_parquet(
    tmp, batches, conv: _Converter, dst: System, *, geo_in_schema: bool = False
) -> None:
    """Write a GeoParquet file. The ``geo`` metadata (bbox and geometry types of the rows
    written) goes in the file's footer once every batch is written; with ``geo_in_schema``
    the batches are held and written after it, so it is also in the Arrow schema, where
    readers of a dataset folder (geopandas) look: a Dask executor part."""
    import pyarrow.parquet as pq

    out_crs = _output_crs(dst)
    writer = None
    held: list[pa.Table] = []
    types: set[str] = set()
    bbox = [np.inf, np.inf, -np.inf, -np.inf]
    name = "geometry"
    schema = None
    try:
        for ob in batches:
            table, name, geoms = _spatial_table(ob, conv)
            if len(geoms):
                types.update(_geoparquet_types(geoms))
                b = shapely.total_bounds(geoms)
                bbox = [
                    min(bbox[0], b[0]),
                    min(bbox[1], b[1]),
                    max(bbox[2], b[2]),
                    max(bbox[3], b[3]),
                ]
            if schema is None:
                schema = table.schema
            if geo_in_schema:
                held.append(table.cast(schema))
                continue
            if writer is None:
                writer = pq.ParquetWriter(tmp, schema)
            writer.write_table(table.cast(schema))
        geo = {
            "version": "1.1.0",
            "primary_column": name,
            "columns": {
                name: {
                    "encoding": "WKB",
                    "geometry_types": sorted(types),
                    **({"bbox": bbox} if np.all(np.isfinite(bbox)) else {}),
                    # a missing "crs" means OGC:CRS84 in GeoParquet: say null (unknown)
                    "crs": out_crs.to_json_dict() if out_crs is not None else None,
                }
            },
        }
        if geo_in_schema and schema is not None:
            writer = pq.ParquetWriter(tmp, schema.with_metadata({"geo": json.dumps(geo)}))
            while held:
                writer.write_table(held.pop(0))
        elif writer is not None:
            writer.add_key_value_metadata({"geo": json.dumps(geo)})
    finally:
        if writer is not None:
            writer.close()


def _output_crs(dst: System) -> CRS | None:
    """The CRS written into a spatial output: ``dst``'s, else its plane's (``GK+HGZ``: the
    heights are then unlabelled), else none (GZ2000: its parameters stay out of files)."""
    if dst.pyproj_crs is not None:
        return dst.pyproj_crs
    if dst.plane is not None:
        return resolve(dst.plane).pyproj_crs
    return None


def _geoparquet_types(geoms: np.ndarray) -> set[str]:
    names = {
        0: "Point",
        1: "LineString",
        3: "Polygon",
        4: "MultiPoint",
        5: "MultiLineString",
        6: "MultiPolygon",
        7: "GeometryCollection",
    }
    ids = shapely.get_type_id(geoms)
    z = shapely.has_z(geoms)
    out = set()
    for tid, hz in set(zip(ids.tolist(), z.tolist(), strict=True)):
        if tid in names:
            out.add(names[tid] + (" Z" if hz else ""))
    return out


def _progress_bar(progress: bool | None, source: _Source):
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return None
    from tqdm import tqdm

    if source.position is not None:  # bytes of the file read so far: a percentage and an ETA
        return tqdm(
            total=source.size,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            file=sys.stderr,
            leave=False,
        )
    return tqdm(total=source.total, unit="rows", unit_scale=True, file=sys.stderr, leave=False)
