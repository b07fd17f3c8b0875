"""The one vector reader and writer of suigeo: every layer format, CSV included.

:func:`read_layer` reads any format of :mod:`suigeo.io.formats` into a GeoDataFrame, with
the rows it could not read set aside (with their reason) instead of aborting the file;
:func:`read_vector` does the same for commands without a rejects file, and refuses the
file at its first bad row. :func:`write_vector` writes a layer atomically.

Formats
-------
GeoPackage (``layer=`` picks a layer), GeoJSON, FlatGeobuf and Shapefile go through pyogrio
(GDAL); GeoParquet and Parquet through pyarrow (no duckdb); CSV through
:func:`suigeo.io.csvtable.read_csv`.

A table (CSV, Parquet without GeoParquet metadata) has its geometry by one rule:

- points from an x/y column pair, matched by name (case and spaces ignored) from
  :data:`XY_PAIRS`: ``lon``/``lat``, ``longitude``/``latitude``, ``lng``/``lat``,
  ``经度``/``纬度``, ``x``/``y``, ``e``/``n``, ``easting``/``northing``, ``east``/``north``;
- else one column named ``wkt`` (:data:`WKT_COLUMN`) holding WKT text;
- else the file is refused (a column named ``geometry``, ``geom``... is not guessed).

A CSV declares no coordinate system: ``csv_crs=`` gives it (default CGCS2000 lon/lat).

Rejected rows
-------------
``row`` counts from 1: the data row of a CSV (line number minus one), the feature of a
layer, the entry of a GeoJSON ``features`` array. Reasons: ``not_a_feature`` (a GeoJSON
``features`` entry that is not a Feature object), ``invalid_geometry`` (WKB/WKT that GEOS
refuses: a one-point LineString, an unclosed ring...), ``empty`` / ``non_numeric`` /
``not_finite`` (an x/y cell of a table).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from suigeo.errors import InputError, OutputError
from suigeo.io.atomic import atomic_output
from suigeo.io.cells import neutralise_frame
from suigeo.io.formats import DRIVERS, TABLES, format_for

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

__all__ = [
    "REASONS",
    "WKT_COLUMN",
    "XY_PAIRS",
    "Layer",
    "detect_xy",
    "geoparquet_column",
    "read_layer",
    "read_vector",
    "write_vector",
]

log = logging.getLogger(__name__)

#: the one name of a WKT geometry column in a table
WKT_COLUMN = "wkt"
#: the (x, y) column names recognised in a table, lon/lat pairs first
LONLAT_PAIRS: tuple[tuple[str, str], ...] = (
    ("lon", "lat"),
    ("longitude", "latitude"),
    ("lng", "lat"),
    ("经度", "纬度"),
)
EN_PAIRS: tuple[tuple[str, str], ...] = (
    ("x", "y"),  # ambiguous: x is the easting unless axis_order="ne" (Chinese survey: X north)
    ("e", "n"),
    ("easting", "northing"),
    ("east", "north"),
    ("东坐标", "北坐标"),
    ("东", "北"),
)
XY_PAIRS = LONLAT_PAIRS + EN_PAIRS
#: the pair whose meaning depends on the axis order: ``en`` x = east; ``ne`` X = north
AMBIGUOUS_PAIR = ("x", "y")
AXIS_ORDERS = ("en", "ne")

#: reasons a row of a layer is set aside while reading
REASONS: dict[str, str] = {
    "not_a_feature": "this entry of the GeoJSON features array is not a Feature object",
    "invalid_geometry": "the geometry cannot be read (GEOS refuses it)",
    "empty": "the coordinate is empty",
    "non_numeric": "the coordinate is not a number",
    "not_finite": "the coordinate is NaN or infinite",
}


@contextlib.contextmanager
def gdal_notes(path: Path) -> Iterator[None]:
    """GDAL's warnings while reading ``path`` (odd but readable data: an unclosed ring, an
    unsupported geometry read as null...) go to the log (``-v``), not to stderr as Python
    warnings: the rows concerned are rejected with their reason."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        log.info("%s: GDAL: %s", path, w.message)


def _key(name: object) -> str:
    """A column name as matched: lower case, no spaces, no bracketed note (``北坐标(X)``)."""
    text = re.sub(r"[(（][^)）]*[)）]", "", str(name)).strip().lower()
    return text or str(name).strip().lower()


def detect_xy(
    names: list[str] | tuple[str, ...], *, geographic: bool = True, axis_order: str = "en"
) -> tuple[str, str] | None:
    """The (east or lon, north or lat) column pair of :data:`XY_PAIRS` found in ``names``,
    or ``None``.

    Lon/lat names are tried first when ``geographic``, easting/northing names first
    otherwise; matching ignores case, surrounding spaces and a bracketed note (``东坐标(Y)``);
    the first pair found wins. Columns named X and Y mean east and north with
    ``axis_order="en"`` (the default); ``"ne"`` applies the Chinese surveying convention,
    X = northing and Y = easting, and returns ``(Y, X)``.
    """
    if axis_order not in AXIS_ORDERS:
        raise InputError(f"the axis order is en or ne, got {axis_order!r}")
    lowered: dict[str, str] = {}
    for n in names:
        lowered.setdefault(_key(n), n)
    pairs = LONLAT_PAIRS + EN_PAIRS if geographic else EN_PAIRS + LONLAT_PAIRS
    for a, b in pairs:
        if a in lowered and b in lowered:
            if (a, b) == AMBIGUOUS_PAIR and axis_order == "ne":
                return lowered[b], lowered[a]
            return lowered[a], lowered[b]
    return None


@dataclass
class Layer:
    """A layer as read: ``frame`` (the features read), ``rows`` (each one's 1-based row),
    ``rejects`` (the rows set aside, in the :mod:`suigeo.io.rejects` columns)."""

    frame: gpd.GeoDataFrame
    rows: np.ndarray
    rejects: pd.DataFrame
    path: Path
    format: str

    @property
    def read(self) -> int:
        """Rows read: ``len(frame) + len(rejects)``."""
        return len(self.frame) + len(self.rejects)

    def first_reject(self) -> str:
        """One line naming the file, row, column and reason of the first reject."""
        r = self.rejects.iloc[0]
        more = f" (and {len(self.rejects) - 1} more)" if len(self.rejects) > 1 else ""
        return f"{str(self.path)!r}: row {r['row']}, column {r['column']!r}: {r['message']}{more}"


def _rejects_frame(rows, column, reason, message, original: pd.DataFrame | None = None):
    import pandas as pd

    from suigeo.io.rejects import REJECT_COLUMNS

    df = pd.DataFrame(
        {
            "row": np.asarray(rows, dtype=np.int64),
            "column": list(column),
            "reason": list(reason),
            "message": list(message),
        },
        columns=list(REJECT_COLUMNS),
    )
    if original is not None and len(original.columns):
        extra = original.reset_index(drop=True)
        extra.columns = [c if c not in REJECT_COLUMNS else f"_{c}" for c in extra.columns]
        df = pd.concat([df, extra], axis=1)
    return df


def _no_rejects():
    return _rejects_frame([], [], [], [])


def _from_wkb(values, path: Path):
    """Geometries from WKB; ``None`` where GEOS refuses one (and a mask of those)."""
    import shapely

    arr = np.asarray(values, dtype=object)
    geoms = shapely.from_wkb(arr, on_invalid="ignore")
    given = np.array([v is not None for v in arr], dtype=bool)
    bad = given & shapely.is_missing(geoms)
    return geoms, bad


def read_layer(
    path: str | os.PathLike[str],
    *,
    layer: str | int | None = None,
    what: str = "layer",
    csv_crs: Any = "EPSG:4490",
    require_geometry: bool = True,
) -> Layer:
    """Read a layer file of any format into a :class:`Layer` (see the module docstring).

    Parameters
    ----------
    path
        The file; its format comes from its suffix.
    layer
        A layer inside a multi-layer file (GeoPackage): name or index.
    what
        What the file is, for messages (``"user layer"``, ``"targets"``...).
    csv_crs
        The coordinate system of a CSV file's coordinates (a CSV declares none).
    require_geometry
        ``False`` reads a table (CSV, Parquet) without geometry columns as a plain pandas
        DataFrame (for checks of its attributes) instead of refusing it.

    Raises
    ------
    InputError
        Missing, unreadable or garbage file, a table without geometry columns, malformed
        GeoParquet metadata; always naming the file.
    """
    p = Path(path)
    fmt = format_for(p)
    if not p.exists():
        raise InputError(f"{what} {str(p)!r}: no such file")
    if p.is_dir():
        raise InputError(f"{what} {str(p)!r} is a folder, not a file")
    if not os.access(p, os.R_OK):
        raise InputError(f"{what} {str(p)!r}: cannot read it (permission denied)")
    if fmt == "osm":
        raise InputError(
            f"{what} {str(p)!r} is an OpenStreetMap extract: only the access commands read it, "
            "as a road network (--roads, access prepare)"
        )
    if layer is not None and fmt != "gpkg":
        raise InputError(f"{what} {str(p)!r}: --layer picks a layer inside a GeoPackage only")
    if fmt in TABLES:  # CSV, Excel, CASS: the one CSV reader
        from suigeo.io.csvtable import read_csv

        csvt = read_csv(p)
        out = _from_table(csvt.table, csvt.rows, p, what, csv_crs, require_geometry)
    elif fmt == "parquet":
        out = _read_parquet(p, what, csv_crs, require_geometry)
    else:
        out = _read_ogr(p, fmt, layer, what)
    log.info("%s: %s, read %d rows, %d rejected", p, fmt, len(out[0]) + len(out[2]), len(out[2]))
    return Layer(out[0], out[1], out[2], p, fmt)


def read_vector(
    path: str | os.PathLike[str],
    *,
    layer: str | int | None = None,
    what: str = "layer",
    csv_crs: Any = "EPSG:4490",
) -> gpd.GeoDataFrame:
    """:func:`read_layer` for a command without a rejects file: the frame, or an
    :class:`InputError` naming the first row that cannot be read."""
    got = read_layer(path, layer=layer, what=what, csv_crs=csv_crs)
    if len(got.rejects):
        raise InputError(f"{what} {got.first_reject()}")
    return got.frame


# --------------------------------------------------------------------------------------------
# Tables: CSV and plain Parquet
# --------------------------------------------------------------------------------------------


def _parse_numbers(col: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(values, reason codes: '' ok, else a key of REASONS) of one coordinate column."""
    import pyarrow.compute as pc

    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        text = pc.utf8_trim_whitespace(col)
        empty = np.asarray(pc.fill_null(pc.equal(pc.utf8_length(text), 0), True), dtype=bool)
        nonnum = np.zeros(len(col), dtype=bool)
        try:  # fast path: every cell is a number (or empty)
            values = pc.cast(pc.if_else(pa.array(empty), "nan", text), pa.float64())
            values = np.asarray(pc.fill_null(values, np.nan), dtype=np.float64)
            texts = []
        except pa.ArrowInvalid:
            values = np.full(len(col), np.nan)
            texts = text.to_pylist()
        for i, t in enumerate(texts):
            if empty[i]:
                continue
            try:
                values[i] = float(t)
            except ValueError:
                nonnum[i] = True
    elif pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
        values = np.asarray(pc.fill_null(pc.cast(col, pa.float64()), np.nan), dtype=np.float64)
        empty = np.asarray(pc.is_null(col), dtype=bool)
        nonnum = np.zeros(len(col), dtype=bool)
    else:
        raise InputError(f"column holds {col.type}, not numbers or text")
    reason = np.full(len(col), "", dtype=object)
    reason[~np.isfinite(values)] = "not_finite"
    reason[nonnum] = "non_numeric"
    reason[empty] = "empty"
    return values, reason


def _from_table(
    table: pa.Table, rows: np.ndarray, path: Path, what: str, crs: Any, required: bool = True
):
    """A GeoDataFrame from a table by the one geometry rule (module docstring)."""
    import geopandas as gpd
    import shapely

    names = list(table.schema.names)
    pair = detect_xy(names)
    frame = table.to_pandas()
    reasons = np.full(table.num_rows, "", dtype=object)
    columns = np.full(table.num_rows, "", dtype=object)
    if pair is not None:
        coords = []
        for name in pair:
            try:
                values, why = _parse_numbers(table.column(name))
            except InputError as exc:
                raise InputError(f"{what} {str(path)!r}: column {name!r}: {exc}") from None
            take = (reasons == "") & (why != "")
            reasons[take], columns[take] = why[take], name
            coords.append(values)
        ok = reasons == ""
        geoms = np.full(table.num_rows, None, dtype=object)
        geoms[ok] = shapely.points(coords[0][ok], coords[1][ok])
    elif WKT_COLUMN in names:
        text = np.asarray(table.column(WKT_COLUMN).to_pylist(), dtype=object)
        empty = np.array([t is None or not str(t).strip() for t in text], dtype=bool)
        geoms = np.full(table.num_rows, None, dtype=object)
        geoms[~empty] = shapely.from_wkt(text[~empty], on_invalid="ignore")
        reasons[empty] = "empty"
        reasons[~empty & shapely.is_missing(geoms)] = "invalid_geometry"
        columns[reasons != ""] = WKT_COLUMN
        frame = frame.drop(columns=[WKT_COLUMN])
    elif not required:  # a plain table: no geometry at all
        return frame, rows, _no_rejects()
    else:
        other = [n for n in names if n.strip().lower() in ("geometry", "geom", "the_geom", "shape")]
        hint = (
            f" (a column {other[0]!r} is not read: the WKT column must be named {WKT_COLUMN!r})"
            if other
            else ""
        )
        raise InputError(
            f"{what} {str(path)!r}: no geometry: give x/y (or lon/lat, longitude/latitude, "
            f"经度/纬度, easting/northing) columns for points, or one {WKT_COLUMN!r} column of "
            f"WKT text{hint}; the columns are {', '.join(names)}"
        )
    bad = reasons != ""
    rejects = _no_rejects()
    if bad.any():
        rejects = _rejects_frame(
            rows[bad],
            columns[bad],
            reasons[bad],
            [REASONS[r] for r in reasons[bad]],
            table.filter(pa.array(bad)).to_pandas(),
        )
    keep = ~bad
    gdf = gpd.GeoDataFrame(frame[keep].reset_index(drop=True), geometry=list(geoms[keep]), crs=crs)
    return gdf, rows[keep], rejects


def geoparquet_column(
    path: Path, metadata: dict[bytes, bytes] | None, schema: pa.Schema
) -> tuple[str | None, dict[str, Any]]:
    """The primary geometry column of a Parquet file and its GeoParquet metadata, or
    ``(None, {})`` for a plain Parquet table; malformed ``geo`` metadata is an
    :class:`InputError` naming the file."""
    meta = metadata or {}
    if b"geo" not in meta:
        return None, {}
    where = f"{str(path)!r}: its GeoParquet 'geo' metadata"
    try:
        geo = json.loads(meta[b"geo"])
    except (ValueError, UnicodeDecodeError):
        raise InputError(f"{where} is not JSON; rewrite the file with GeoPandas or GDAL") from None
    if not isinstance(geo, dict):
        raise InputError(f"{where} is not a JSON object")
    name = geo.get("primary_column")
    if not isinstance(name, str) or not name:
        raise InputError(f"{where} names no primary_column")
    columns = geo.get("columns")
    if not isinstance(columns, dict) or not isinstance(columns.get(name), dict):
        raise InputError(f"{where} does not describe its primary column {name!r}")
    col_meta = columns[name]
    encoding = col_meta.get("encoding")
    if not isinstance(encoding, str) or encoding.upper() != "WKB":
        raise InputError(
            f"{str(path)!r}: geometry column {name!r} is encoded as {encoding!r}; "
            "only WKB GeoParquet is supported"
        )
    if name not in schema.names:
        raise InputError(f"{where} names the column {name!r}, which the file does not have")
    t = schema.field(name).type
    if not (pa.types.is_binary(t) or pa.types.is_large_binary(t)):
        raise InputError(
            f"{str(path)!r}: geometry column {name!r} holds {t}, not WKB (binary) values"
        )
    return name, col_meta


def _read_parquet(path: Path, what: str, csv_crs: Any, required: bool = True):
    import geopandas as gpd
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        schema = pf.schema_arrow
        name, col_meta = geoparquet_column(
            path, {**(pf.metadata.metadata or {}), **(schema.metadata or {})}, schema
        )
        table = pf.read()
    except InputError:
        raise
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(f"{what} {str(path)!r}: cannot read it as Parquet: {exc}") from None
    table = table.replace_schema_metadata(None)
    rows = np.arange(1, table.num_rows + 1, dtype=np.int64)
    if name is None:
        return _from_table(table, rows, path, what, csv_crs, required)
    geoms, bad = _from_wkb(table.column(name).to_pylist(), path)
    crs = col_meta.get("crs", "OGC:CRS84")  # GeoParquet: a missing crs means OGC:CRS84
    try:
        from pyproj import CRS

        crs = CRS.from_user_input(crs) if crs is not None else None
    except Exception:  # pyproj raises CRSError and others for a bad definition
        raise InputError(f"{str(path)!r}: its GeoParquet crs is not a coordinate system") from None
    attrs = table.drop_columns([name])
    frame = attrs.to_pandas()
    rejects = _no_rejects()
    if bad.any():
        rejects = _rejects_frame(
            rows[bad],
            [name] * int(bad.sum()),
            ["invalid_geometry"] * int(bad.sum()),
            [REASONS["invalid_geometry"]] * int(bad.sum()),
            frame[bad],
        )
    keep = ~bad
    gdf = gpd.GeoDataFrame(
        frame[keep].reset_index(drop=True),
        geometry=gpd.GeoSeries(list(geoms[keep]), crs=crs, name=name),
        crs=crs,
    )
    if name != "geometry":
        gdf = gdf.rename_geometry(name) if gdf.geometry.name != name else gdf
    return gdf, rows[keep], rejects


# --------------------------------------------------------------------------------------------
# GDAL formats
# --------------------------------------------------------------------------------------------


def geojson_entries(path: Path) -> tuple[np.ndarray, list[Any]] | None:
    """For a GeoJSON FeatureCollection: a mask of its ``features`` entries that are Feature
    objects, and the entries that are not (``None`` for another GeoJSON object)."""
    try:
        with path.open("rb") as fh:
            obj = json.load(fh)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None  # GDAL gives the error
    if not isinstance(obj, dict) or not isinstance(obj.get("features"), list):
        return None
    feats = obj["features"]
    ok = np.array([isinstance(f, dict) and f.get("type") == "Feature" for f in feats], dtype=bool)
    return ok, [f for f, good in zip(feats, ok, strict=True) if not good]


def _read_ogr(path: Path, fmt: str, layer: str | int | None, what: str):
    import geopandas as gpd
    import pandas as pd
    import pyogrio
    import shapely

    source: contextlib.AbstractContextManager[Path] = contextlib.nullcontext(path)
    if fmt == "shp":  # the code page from .cpg, the .dbf's byte, or --encoding
        from suigeo.io.shapefile import gdal_source

        source = gdal_source(path)
    try:
        with gdal_notes(path), source as gpath:
            try:  # one pass when every geometry is valid (nearly always)
                whole = pyogrio.read_dataframe(gpath, layer=layer)
                info = pyogrio.read_info(gpath, layer=layer)
                meta = {"crs": info.get("crs"), "geometry_name": info.get("geometry_name")}
                frame, bad = whole, np.zeros(len(whole), dtype=bool)
            except shapely.errors.GEOSException:  # a geometry GEOS refuses: set that row aside
                whole = None
                frame = pyogrio.read_dataframe(gpath, layer=layer, read_geometry=False)
                meta, _, wkb, _ = pyogrio.raw.read(gpath, layer=layer, columns=[])
                geoms, bad = _from_wkb(wkb, path)
    except InputError:
        raise
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, ...
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{what} {str(path)!r}: cannot read it as {fmt}: {text}") from None
    rows = np.arange(1, len(frame) + 1, dtype=np.int64)
    reject_parts = []
    if fmt == "geojson":
        entries = geojson_entries(path)
        if entries is not None and (~entries[0]).any():
            mask, others = entries
            if int(mask.sum()) == len(frame):
                rows = np.flatnonzero(mask).astype(np.int64) + 1
                wrong = np.flatnonzero(~mask) + 1
                reject_parts.append(
                    _rejects_frame(
                        wrong,
                        ["features"] * len(wrong),
                        ["not_a_feature"] * len(wrong),
                        [f"{REASONS['not_a_feature']}: {json.dumps(o)[:80]}" for o in others],
                    )
                )
    if bad.any():
        gname = meta.get("geometry_name") or "geometry"
        reject_parts.append(
            _rejects_frame(
                rows[bad],
                [gname] * int(bad.sum()),
                ["invalid_geometry"] * int(bad.sum()),
                [REASONS["invalid_geometry"]] * int(bad.sum()),
                frame[bad],
            )
        )
    rejects = (
        pd.concat(reject_parts, ignore_index=True).sort_values("row", kind="stable")
        if reject_parts
        else _no_rejects()
    )
    keep = ~bad
    if whole is not None:  # every geometry read
        gdf = whole
    else:
        crs = meta.get("crs")
        gdf = gpd.GeoDataFrame(
            frame[keep].reset_index(drop=True), geometry=list(geoms[keep]), crs=crs
        )
    return gdf, rows[keep], rejects.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Writer
# --------------------------------------------------------------------------------------------


def write_vector(
    gdf: gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
    layer: str | None = None,
    allowed: tuple[str, ...] | None = None,
    csv_frame: Callable[[gpd.GeoDataFrame], pd.DataFrame] | None = None,
    fmt: str | None = None,
) -> None:
    """Write ``gdf`` to ``path`` atomically; the format follows the suffix.

    GeoPackage, GeoJSON, FlatGeobuf and Shapefile go through pyogrio (``layer`` defaults to
    the file name's stem; a Shapefile's parts are written together,
    :func:`suigeo.io.shapefile.atomic_shapefile`, in UTF-8 or ``--encoding``, and field names
    it would cut are refused), GeoParquet through GeoPandas/pyarrow, CSV through
    ``csv_frame(gdf)`` (default :func:`to_csv_frame`: points as ``lon``/``lat`` or ``x``/``y``
    columns, other geometries as one ``wkt`` column; tab-separated for ``.tsv``). ``fmt`` (a
    format name) overrides the suffix.

    Raises
    ------
    OutputError
        Unknown suffix, an output that is an input, or a write that fails.
    """
    out = Path(path)
    if fmt is None:
        fmt = format_for(out, purpose="output", allowed=allowed)
    if layer is None:
        layer = re.sub(r"\W+", "_", out.stem) or "layer"
    shp: dict[str, Any] = {}
    opened: contextlib.AbstractContextManager[Path]
    if fmt == "shp":  # several files, each renamed into place (suigeo.io.shapefile)
        from suigeo.io.shapefile import (
            atomic_shapefile,
            check_field_names,
            check_text_cells,
            write_encoding,
        )

        shp = {"encoding": write_encoding()}
        fields = [c for c in gdf.columns if c != gdf.geometry.name]
        check_field_names(fields, out, **shp)
        check_text_cells(_text_columns(gdf[fields]), out, **shp)
        opened = atomic_shapefile(out, inputs=inputs, **shp)
    else:
        opened = atomic_output(out, inputs=inputs)
    with opened as tmp:
        try:
            if fmt == "csv":
                # no spreadsheet formulas (suigeo.io.cells)
                frame = neutralise_frame((csv_frame or to_csv_frame)(gdf))
                sep = "\t" if out.suffix.lower() == ".tsv" else ","
                from suigeo.io.encodings import output_bom

                enc = "utf-8-sig" if output_bom(None) else "utf-8"  # --bom: for Excel
                frame.to_csv(tmp, index=False, encoding=enc, sep=sep)
            elif fmt == "parquet":
                gdf.to_parquet(tmp, index=False)
            else:
                import pyogrio

                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message="'crs' was not provided")
                    if shp:
                        pyogrio.write_dataframe(gdf, tmp, driver=DRIVERS[fmt], **shp)
                    else:
                        pyogrio.write_dataframe(gdf, tmp, driver=DRIVERS[fmt], layer=layer)
        except (OutputError, InputError):
            raise
        except OSError as exc:
            raise OutputError(f"cannot write {str(out)!r}: {exc.strerror or exc}") from None
        except Exception as exc:  # pyogrio/pyarrow raise their own families
            raise OutputError(f"cannot write {str(out)!r} as {fmt}: {exc}") from None
    log.info("%s: %s, wrote %d features", out, fmt, len(gdf))


def _text_columns(frame: pd.DataFrame) -> pa.Table:
    """The text columns of ``frame`` as strings (as the writer will write them)."""
    import pandas as pd

    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    text = [c for c in text if not pd.api.types.is_datetime64_any_dtype(frame[c])]
    return pa.table(
        {str(c): pa.array(frame[c].astype("string"), pa.string(), from_pandas=True) for c in text}
    )


def to_csv_frame(gdf: gpd.GeoDataFrame, *, geographic: bool | None = None) -> pd.DataFrame:
    """Attributes plus coordinates: ``lon``/``lat`` (geographic) or ``x``/``y`` (projected)
    for points; a ``wkt`` column for other geometries (the table rule, read back as is).

    ``geographic`` defaults to what the frame's CRS says (lon/lat when it has none)."""
    import pandas as pd

    df = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    if (gdf.geom_type == "Point").all():
        if geographic is None:
            geographic = gdf.crs is None or gdf.crs.is_geographic
        xname, yname = ("lon", "lat") if geographic else ("x", "y")
        df[xname] = gdf.geometry.x.to_numpy()
        df[yname] = gdf.geometry.y.to_numpy()
    else:
        df[WKT_COLUMN] = gdf.geometry.to_wkt(rounding_precision=-1).to_numpy()
    return df
