"""Validation of user layers (roads, boundaries, villages, facilities, parcels).

A schema is data: ``layers/schemas/<name>.toml`` (or any TOML file with the same keys)
lists the allowed geometry types, the id field and each attribute's type (``str``,
``int``, ``float``, ``bool``, or ``id`` = text or integer), whether it is required, and
optional ``values`` / ``min`` / ``max``. :func:`read` checks everything and reports every
problem at once, each naming the file, the feature and the field.
"""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import ProjError

from suigeo import crs
from suigeo.errors import InputError, SuigeoError
from suigeo.io.documents import load_toml
from suigeo.io.vector import read_layer

__all__ = ["LayerValidationError", "Problem", "load_schema", "read", "schemas", "validate"]

log = logging.getLogger(__name__)

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
_TYPES = ("str", "int", "float", "bool", "id")
_BOOL_TEXT = {"true", "false", "yes", "no", "1", "0", "t", "f", "y", "n"}


@dataclass(frozen=True)
class Problem:
    """One problem found in a user layer. ``feature`` is ``None`` for file-level problems."""

    file: str
    feature: str | None
    field: str | None
    message: str
    index: int | None = None  # position of the feature in the file (0-based), if any
    #: a short code for the rejects report (default: invalid_feature, or invalid_layer)
    reason: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.feature is not None:
            where.append(f"feature {self.feature}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        return ": ".join(where) + f": {self.message}"


def _p(file: str, labels: _Labels, i: int, field: str | None, message: str) -> Problem:
    return Problem(file, labels[int(i)], field, message, int(i))


class LayerValidationError(InputError):
    """A user layer failed validation; ``.problems`` lists every :class:`Problem`."""

    def to_frame(self) -> pd.DataFrame:
        """The problems as a table: file, index, feature, field, message."""
        return pd.DataFrame(
            {
                "file": [p.file for p in self.problems],
                "index": pd.array([p.index for p in self.problems], dtype="Int64"),
                "feature": [p.feature or "" for p in self.problems],
                "field": [p.field or "" for p in self.problems],
                "message": [p.message for p in self.problems],
            }
        )

    def to_rejects(self) -> pd.DataFrame:
        """The problems in the shared rejects report (:mod:`suigeo.io.rejects`): ``row``
        (1-based feature position in the file; empty for a problem of the whole layer),
        ``column``, ``reason``, ``message``, then the feature's fields as read."""
        rows = [None if p.index is None else p.index + 1 for p in self.problems]
        head = pd.DataFrame(
            {
                "row": pd.array(rows, dtype="Int64"),
                "column": [p.field or "" for p in self.problems],
                "reason": [
                    p.reason or ("invalid_layer" if p.index is None else "invalid_feature")
                    for p in self.problems
                ],
                "message": [p.message for p in self.problems],
            }
        )
        frame = self.features
        if frame is None or not len(frame.columns):
            return head
        table = pd.DataFrame(frame).copy()
        if isinstance(frame, gpd.GeoDataFrame) and frame.active_geometry_name is not None:
            table[frame.geometry.name] = frame.geometry.to_wkt().to_numpy()
        by_row = {int(r): i for i, r in enumerate(self.rows)} if self.rows is not None else {}
        take = [by_row.get(r) if r is not None else None for r in rows]
        aside: dict[int, dict[str, Any]] = {}
        if self.set_aside is not None and len(self.set_aside):
            fields = [c for c in self.set_aside.columns if c not in head.columns]
            for rec in self.set_aside[["row", *fields]].to_dict("records"):
                aside[int(rec.pop("row"))] = rec
        original = pd.DataFrame(
            [
                table.iloc[i].to_dict() if i is not None else aside.get(r, {}) if r else {}
                for i, r in zip(take, rows, strict=True)
            ],
            columns=table.columns,
        )
        original.columns = [
            c if c not in head.columns else f"_{c}" for c in map(str, original.columns)
        ]
        return pd.concat([head, original], axis=1)

    def __init__(self, problems: list[Problem], *, file: str, limit: int = 50) -> None:
        self.problems = list(problems)
        self.file = file
        #: the features read (for the rejects report) and their 1-based rows in the file
        self.features: pd.DataFrame | None = None
        self.rows: np.ndarray | None = None
        #: the rows the reader set aside, with their own fields (suigeo.io.rejects columns)
        self.set_aside: pd.DataFrame | None = None
        lines = [str(p) for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"... and {len(self.problems) - limit} more")
        super().__init__(f"{file}: {len(self.problems)} problem(s):\n  " + "\n  ".join(lines))


def schemas() -> list[str]:
    """Names of the shipped user-layer schemas."""
    return sorted(p.stem for p in SCHEMA_DIR.glob("*.toml") if p.stem != "guangdong")


@lru_cache(maxsize=32)
def _schema_file(path: str) -> dict[str, Any]:
    doc = load_toml(path, what="schema")  # size, file type and nesting checked
    fields = doc.get("fields", {})
    if not isinstance(fields, dict):
        raise InputError(f"schema {path!r}: 'fields' must be a table of [fields.NAME] tables")
    for fname, spec in fields.items():
        if not isinstance(spec, dict):
            raise InputError(f"schema {path!r}: field {fname!r} must be a table")
        if spec.get("type") not in _TYPES:
            raise InputError(
                f"schema {path!r}: field {fname!r} has type {spec.get('type')!r}; use one of "
                f"{', '.join(_TYPES)}"
            )
    if not doc.get("geometry"):
        raise InputError(f"schema {path!r}: 'geometry' (list of allowed types) is required")
    return doc


def load_schema(schema: str | os.PathLike[str] | dict[str, Any]) -> dict[str, Any]:
    """A schema by shipped name (``roads`` ...), TOML path, or an already-parsed dict."""
    if isinstance(schema, dict):
        return schema
    text = str(schema)
    if text in schemas():
        return _schema_file(str(SCHEMA_DIR / f"{text}.toml"))
    if Path(text).suffix == ".toml" and Path(text).is_file():
        return _schema_file(str(Path(text).resolve()))
    raise InputError(f"unknown schema {text!r}; use one of {', '.join(schemas())} or a TOML file")


@lru_cache(maxsize=1)
def _box() -> dict[str, float]:
    with (SCHEMA_DIR / "guangdong.toml").open("rb") as fh:
        return tomllib.load(fh)


class _Labels:
    """How feature ``i`` is named in messages: its position, plus its id when it has one.

    Built on demand, only for features that have a problem."""

    def __init__(
        self, gdf: gpd.GeoDataFrame, id_field: str | None, rows: np.ndarray | None = None
    ) -> None:
        self._ids = gdf[id_field] if id_field and id_field in gdf.columns else None
        self._field = id_field
        self._rows = rows

    def __getitem__(self, i: int) -> str:
        n = int(self._rows[i]) if self._rows is not None else i + 1  # 1-based, as GIS tools
        if self._ids is None:
            return str(n)
        v = self._ids.iloc[i]
        v = v.item() if hasattr(v, "item") else v
        return f"{n} ({self._field}={v!r})"


# --- attribute checks -------------------------------------------------------------------
def _plain(v: Any) -> Any:
    """A numpy scalar as the Python value it holds, so messages read ``10.5``, not
    ``np.float64(10.5)``."""
    return v.item() if isinstance(v, np.generic) else v


def _blank(s: pd.Series) -> np.ndarray:
    isna = s.isna().to_numpy().copy()
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        isna |= s.astype(str).str.strip().eq("").to_numpy() & ~isna
    return isna


def _bad_type(s: pd.Series, typ: str) -> np.ndarray:
    """True where a present value does not have the declared type (vectorised fast paths
    for columns whose dtype already settles it)."""
    text_dtype = pd.api.types.is_string_dtype(s) and s.dtype != object
    if typ == "str" or (typ == "id" and text_dtype):
        if text_dtype:
            return np.zeros(len(s), dtype=bool)
        return ~s.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    if typ == "bool":
        if pd.api.types.is_bool_dtype(s):
            return np.zeros(len(s), dtype=bool)
        return ~s.astype(str).str.strip().str.lower().isin(_BOOL_TEXT).to_numpy()
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        num = s.to_numpy(dtype=float, na_value=np.nan)
    else:
        num = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(num)
    if typ == "float":
        return bad
    integral = ~bad & (np.mod(np.where(bad, 0.0, num), 1.0) == 0.0)
    if typ == "int":
        return ~integral
    # id: text or integer
    is_text = s.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    return ~(integral | is_text)


def _check_field(
    df: pd.DataFrame, name: str, spec: dict[str, Any], labels: _Labels, file: str
) -> list[Problem]:
    out: list[Problem] = []
    if name not in df.columns:
        if spec.get("required", False):
            return [Problem(file, None, name, "required field is missing from the layer")]
        return []
    s = df[name]
    blank = _blank(s)
    if spec.get("required", False):
        out += [_p(file, labels, i, name, "required value is empty") for i in np.where(blank)[0]]
    present = ~blank
    typ = spec["type"]
    bad = np.zeros(len(s), dtype=bool)
    bad[present] = _bad_type(s[present], typ)
    for i in np.where(bad)[0]:
        out.append(_p(file, labels, i, name, f"value {_plain(s.iloc[i])!r} is not of type {typ}"))
    ok = present & ~bad
    if "values" in spec:
        allowed = set(map(str, spec["values"]))
        off = ok & ~s.astype(str).isin(allowed).to_numpy()
        out += [
            _p(file, labels, i, name, f"value {_plain(s.iloc[i])!r} not in {sorted(allowed)}")
            for i in np.where(off)[0]
        ]
    if typ in ("int", "float") and ("min" in spec or "max" in spec):
        num = pd.to_numeric(s.where(ok), errors="coerce").to_numpy(dtype=float)
        lo, hi = spec.get("min", -np.inf), spec.get("max", np.inf)
        out_of = ok & ((num < lo) | (num > hi))
        out += [
            _p(file, labels, i, name, f"value {num[i]:g} outside [{lo:g}, {hi:g}]")
            for i in np.where(out_of)[0]
        ]
    return out


# --- geometry and position checks -------------------------------------------------------
def _check_geometry(
    gdf: gpd.GeoDataFrame, allowed: list[str], labels: _Labels, file: str
) -> tuple[list[Problem], np.ndarray]:
    geom = gdf.geometry.array
    missing = shapely.is_missing(geom) | shapely.is_empty(geom)
    out = [
        _p(file, labels, i, "geometry", "geometry is missing or empty")
        for i in np.where(missing)[0]
    ]
    types = np.asarray(gdf.geom_type.fillna("").to_numpy(), dtype=object)
    wrong = ~missing & ~np.isin(types, allowed)
    out += [
        _p(file, labels, i, "geometry", f"geometry type {types[i]} not in {allowed}")
        for i in np.where(wrong)[0]
    ]
    invalid = np.where(~missing & ~shapely.is_valid(geom))[0]
    reasons = shapely.is_valid_reason(geom[invalid])  # only where needed: strings are slow
    out += [
        _p(file, labels, i, "geometry", f"invalid geometry: {r}")
        for i, r in zip(invalid, reasons, strict=True)
    ]
    return out, ~missing


_UNUSABLE = object()  # a CRS neither suigeo nor PROJ can relate to CGCS2000


def _to_lonlat(x: np.ndarray, y: np.ndarray, src: Any) -> tuple[np.ndarray, np.ndarray]:
    if src is None:
        return x, y
    if isinstance(src, CRS):  # a definition without a suigeo name: PROJ converts
        lon, lat = Transformer.from_crs(src, "EPSG:4490", always_xy=True).transform(x, y)
        return np.asarray(lon), np.asarray(lat)
    lon, lat = crs.transform(x, y, src=src, dst="CGCS2000")
    return np.asarray(lon), np.asarray(lat)


def _inside(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    b = _box()
    with np.errstate(invalid="ignore"):
        return (
            np.isfinite(lon)
            & np.isfinite(lat)
            & (lon >= b["lon_min"])
            & (lon <= b["lon_max"])
            & (lat >= b["lat_min"])
            & (lat <= b["lat_max"])
        )


def _check_position(
    gdf: gpd.GeoDataFrame, has_geom: np.ndarray, src: Any, labels: _Labels, file: str
) -> list[Problem]:
    """Every feature's bounding box corners must fall in Guangdong (CGCS2000 lon/lat)."""
    if not has_geom.any() or src is _UNUSABLE:
        return []
    bounds = shapely.bounds(gdf.geometry.array[has_geom])
    idx = np.where(has_geom)[0]
    xs = np.concatenate([bounds[:, 0], bounds[:, 2]])
    ys = np.concatenate([bounds[:, 1], bounds[:, 3]])
    n = len(idx)
    lon, lat = _to_lonlat(xs, ys, src)
    ok = _inside(lon, lat)
    ok = ok[:n] & ok[n:]
    slon, slat = _to_lonlat(ys, xs, src)
    swapped = _inside(slon, slat)
    swapped = swapped[:n] & swapped[n:]
    out = []
    geographic = src is None or src.is_geographic  # a suigeo System or a pyproj CRS
    where, swap = ("lon/lat", "lat/lon") if geographic else ("x/y", "y/x")
    b = _box()
    for k in np.where(~ok)[0]:
        if swapped[k]:
            msg = (
                f"coordinates look swapped ({where} given as {swap}?): "
                f"first corner {xs[k]:g}, {ys[k]:g}"
            )
        else:
            msg = (
                f"coordinates outside Guangdong (lon {b['lon_min']}..{b['lon_max']}, "
                f"lat {b['lat_min']}..{b['lat_max']}): got lon {lon[k]:.4g}, lat {lat[k]:.4g}"
            )
        out.append(_p(file, labels, idx[k], "geometry", msg))
    return out


def _resolve_crs(gdf: gpd.GeoDataFrame, file: str) -> tuple[Any, list[Problem]]:
    if gdf.crs is None:
        return None, [
            Problem(
                file,
                None,
                "crs",
                "the layer has no coordinate reference system; set one (e.g. save it with "
                "EPSG:4490 or EPSG:4547); positions were checked as if lon/lat",
            )
        ]
    try:
        return crs.resolve(gdf.crs), []
    except SuigeoError as exc:
        named_error = str(exc)
    # no suigeo name or EPSG code (e.g. a city's local Transverse Mercator): a definition
    # PROJ can relate to CGCS2000 is as good; positions are then converted by PROJ
    try:
        Transformer.from_crs(gdf.crs, "EPSG:4490", always_xy=True).transform(0.0, 0.0)
    except ProjError:
        return _UNUSABLE, [
            Problem(file, None, "crs", f"{named_error}; PROJ cannot relate it to CGCS2000 either")
        ]
    return gdf.crs, []


def validate(
    gdf: gpd.GeoDataFrame,
    *,
    schema: str | os.PathLike[str] | dict[str, Any],
    file: str = "<GeoDataFrame>",
    rows: np.ndarray | None = None,
) -> list[Problem]:
    """Every problem of a user layer against a schema (an empty list means valid).

    Features are named in messages by their 1-based position, as GIS tools number them,
    plus their id; ``rows``, when given (as :func:`read` does), holds each feature's 1-based
    row in its file, and the messages use it, so they match the rejects report even when
    the reader set rows aside. (:attr:`Problem.index` stays the 0-based position.)

    Checks: CRS present and known, geometries present, of an allowed type and valid,
    required fields present and filled, values of the declared type, in ``values`` and
    within ``min``/``max``, and every feature inside Guangdong (with swapped lon/lat or x/y
    recognised as such).
    """
    spec = load_schema(schema)
    labels = _Labels(gdf, spec.get("id_field"), rows)
    if isinstance(gdf, gpd.GeoDataFrame) and gdf.active_geometry_name is not None:
        src, problems = _resolve_crs(gdf, file)
        geom_problems, has_geom = _check_geometry(gdf, list(spec["geometry"]), labels, file)
        problems += geom_problems
        problems += _check_position(gdf, has_geom, src, labels, file)
    else:  # e.g. a CSV without coordinates: GDAL reads it as a plain table
        problems = [
            Problem(
                file,
                None,
                "geometry",
                f"the layer has no geometry (a table without coordinates?); expected "
                f"{', '.join(spec['geometry'])} features",
            )
        ]
    for name, fspec in spec.get("fields", {}).items():
        problems += _check_field(gdf, name, fspec, labels, file)
    return problems


def read(
    path: str | os.PathLike[str],
    *,
    schema: str | os.PathLike[str] | dict[str, Any],
    layer: str | int | None = None,
    dst: str | int | None = None,
) -> gpd.GeoDataFrame:
    """Read and validate a user layer (any format of :mod:`suigeo.io`, CSV included).

    Parameters
    ----------
    path
        The file (GeoJSON, GeoPackage, Shapefile, FlatGeobuf, GeoParquet, CSV with x/y or
        lon/lat columns or a ``wkt`` column). Rows that cannot be read (an invalid geometry,
        a GeoJSON entry that is no Feature) are problems too.
    schema
        ``roads``, ``boundaries``, ``villages``, ``facilities``, ``parcels`` (shipped in
        ``layers/schemas/``), a TOML file, or a parsed schema dict.
    layer
        Layer name or index inside a multi-layer file.
    dst
        Convert the valid result to this system (default: keep the file's own).

    Raises
    ------
    LayerValidationError
        (an :class:`suigeo.errors.InputError`) listing every problem in ``.problems``.

    Examples
    --------
    >>> from suigeo import layers
    >>> roads = layers.read("roads.gpkg", schema="roads")  # doctest: +SKIP
    """
    file = str(path)
    spec = load_schema(schema)
    got = read_layer(file, layer=layer, what="layer", require_geometry=False)
    gdf = got.frame
    problems = [
        Problem(file, str(r.row), r.column, r.message, int(r.row) - 1, r.reason)
        for r in got.rejects.itertuples()
    ]
    moved = len(got.rejects) > 0 or not np.array_equal(got.rows, np.arange(1, len(gdf) + 1))
    for p in validate(gdf, schema=spec, file=file, rows=got.rows):
        if moved and p.index is not None:  # positions in the file, not in the frame read
            p = replace(p, index=int(got.rows[p.index]) - 1)
        problems.append(p)
    log.info(
        "%s: %d feature(s) checked against schema %s: %d problem(s)",
        file,
        got.read,
        schema if isinstance(schema, str | os.PathLike) else "(given)",
        len(problems),
    )
    if problems:
        err = LayerValidationError(problems, file=file)
        err.features, err.rows, err.set_aside = gdf, got.rows, got.rejects
        raise err
    if dst is not None:
        return _convert(gdf, dst)
    return gdf


def _convert(gdf: gpd.GeoDataFrame, dst: Any) -> gpd.GeoDataFrame:
    from suigeo import crs as crs_pkg

    try:
        crs_pkg.resolve(gdf.crs)
    except SuigeoError:  # a definition without a suigeo name (local TM ...): PROJ converts
        target = crs_pkg.resolve(dst)
        if target.pyproj_crs is None:
            raise
        return gdf.to_crs(target.pyproj_crs)
    return crs_pkg.to_crs(gdf, dst)
