"""Read and validate the projects to check: one project file, or a table with one row each.

Accepted inputs
---------------
* a project file, ``.json`` or ``.toml``: one project as an object of field -> value; an
  optional ``geometry`` (GeoJSON) with ``crs`` (default CGCS2000 lon/lat) replaces
  ``site_area_m2``;
* a table: ``.csv``, ``.parquet`` (GeoParquet too), ``.gpkg``, ``.geojson``, ``.fgb``, ``.shp``;
* in Python, a ``pandas.DataFrame`` or ``geopandas.GeoDataFrame``, or a ``dict``.

Every value is checked: unknown field (with the nearest known name), wrong type, a unit other
than the field's (``"5 ha"`` is converted to m² exactly; ``"5 km"`` is an error), negative
areas, a part larger than its whole (a share over 100%). Errors name the file, the row, the
project and the column. With ``on_error="reject"`` the bad rows are set aside in
:attr:`Projects.rejects` with their reasons and the others are checked.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from suigeo import crs
from suigeo.errors import InputError
from suigeo.geo.rules.ruleset import Field, RuleSet, load_ruleset, ruleset_names
from suigeo.io.csvtable import read_csv
from suigeo.io.documents import load_json, load_toml
from suigeo.io.formats import format_for
from suigeo.io.rejects import REJECT_COLUMNS as IO_REJECT_COLUMNS
from suigeo.io.vector import read_layer

__all__ = ["AREA_UNITS", "Projects", "area_unit", "gk_zone_for_longitude", "prepare", "read_input"]

RESERVED = ("id", "geometry", "name", "note", "crs")
#: the table formats read (suigeo.io.formats), besides project files (.toml, .json)
TABLE_FORMATS = ("csv", "xlsx", "cass", "parquet", "gpkg", "geojson", "fgb", "shp")
MAX_LISTED = 10
REJECT_COLUMNS = list(IO_REJECT_COLUMNS)

#: area units -> square metres, exact (1 亩 = 10000/15 m²: 15 亩 make a hectare)
AREA_UNITS: dict[str, Fraction] = {
    "m2": Fraction(1),
    "m²": Fraction(1),
    "㎡": Fraction(1),
    "sqm": Fraction(1),
    "平方米": Fraction(1),
    "平米": Fraction(1),
    "万平方米": Fraction(10000),
    "万m2": Fraction(10000),
    "万m²": Fraction(10000),
    "万㎡": Fraction(10000),
    "ha": Fraction(10000),
    "hm2": Fraction(10000),
    "hm²": Fraction(10000),
    "公顷": Fraction(10000),
    "km2": Fraction(1000000),
    "km²": Fraction(1000000),
    "平方公里": Fraction(1000000),
    "平方千米": Fraction(1000000),
    "亩": Fraction(10000, 15),
    "mu": Fraction(10000, 15),
}
_HEADER_UNIT = re.compile(r"^(.*?)\s*[(（\[【]\s*([^()（）\[\]【】]+?)\s*[)）\]】]\s*$")
_NUM_UNIT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S*)\s*$")
_TRUE = {"true", "t", "yes", "y", "1", "是", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "否", "0.0"}


@dataclass
class Projects:
    """Validated input columns, one element per project (row)."""

    ids: np.ndarray
    data: dict[str, np.ndarray]
    source: str = "<table>"
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    notes: dict[str, np.ndarray] = field(default_factory=dict)
    rejects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECT_COLUMNS))
    #: exact values (Fractions) of cells whose float in ``data`` is not the decimal the user
    #: wrote, e.g. ``6.1亩`` = 12200/3 m²: one object array per field, None elsewhere
    exact: dict[str, np.ndarray] = field(default_factory=dict)
    #: columns given in another unit by their header (``site_area(亩)``): field -> (the
    #: cells as written, exact factor); ``data`` holds cells x factor, within 2.5 u
    scaled: dict[str, tuple[np.ndarray, Fraction]] = field(default_factory=dict)

    def rel_err(self) -> dict[str, float]:
        """Relative error bound of each field's floats beyond the unit round-off model of
        :meth:`~geo.rules.formula.Quantity.evaluate` (header-scaled columns: 3 u)."""
        return {name: 3.0 * 2.0**-53 for name in self.scaled}

    def __len__(self) -> int:
        return len(self.ids)

    def exact_cells(self, name: str, idx: np.ndarray) -> list[float | Fraction]:
        """The cells ``idx`` of field ``name`` for an exact evaluation: the exact Fraction
        where a unit conversion made the float inexact, else the float (read exactly from
        its decimal digits by :func:`~geo.rules.formula.decimal_fraction`)."""
        vals: list[float | Fraction] = self.data[name][idx].tolist()
        if name in self.scaled:
            raw, factor = self.scaled[name]
            vals = [v if v != v else Fraction(repr(v)) * factor for v in raw[idx].tolist()]
        ex = self.exact.get(name)
        if ex is not None:
            for j, e in enumerate(ex[idx].tolist()):
                if e is not None:
                    vals[j] = e
        return vals


def area_unit(unit: str) -> Fraction | None:
    """Square metres per ``unit`` (亩, 平方米/㎡/m², 万平方米, 公顷/ha, km²), exact; None
    when the unit is not an area unit.

    Examples
    --------
    >>> area_unit("亩"), area_unit("公顷"), area_unit("万平方米")
    (Fraction(2000, 3), Fraction(10000, 1), Fraction(10000, 1))
    """
    key = unit.strip()
    return AREA_UNITS.get(key, AREA_UNITS.get(key.lower()))


def _header_unit(column: str) -> tuple[str, str] | None:
    """``site_area(亩)`` / ``用地面积（公顷）`` -> (name, unit); None without a unit."""
    m = _HEADER_UNIT.match(str(column))
    if not m or not m.group(1):
        return None
    return m.group(1), m.group(2)


def _header_factor(f: Field, unit: str, col: object, source: str) -> Fraction:
    """The exact factor from a header's unit to field ``f``'s unit (refused if none)."""
    if f.type == "area":
        got = area_unit(unit)
        if got is None:
            raise InputError(
                f"{source}: column {str(col)!r}: {unit!r} is not an area unit "
                "(m²/平方米/㎡, 万平方米, ha/公顷, 亩, km²)"
            )
        return got
    if f.type in ("count", "length") and unit in (f.unit, "1", "米" if f.unit == "m" else ""):
        return Fraction(1)
    raise InputError(
        f"{source}: column {str(col)!r}: a unit is only understood for area fields "
        f"({f.name} is {f.type}{' in ' + f.unit if f.unit else ''})"
    )


def _resolve_headers(
    table: pd.DataFrame, known: dict[str, Field], source: str
) -> tuple[pd.DataFrame, dict[str, tuple[str, Fraction]]]:
    """Rename headers with a unit or an alias to their field names.

    ``site_area(亩)`` and ``用地面积（公顷）`` (a field name, the name without ``_m2`` or an
    alias, then the unit in ASCII or full-width brackets) become ``site_area_m2`` with the
    column's cells in that unit. Returns the renamed table and, per renamed field, the
    original header and the exact factor to the field's unit.
    """
    aliases = {a: f.name for f in known.values() for a in f.aliases}
    rename: dict[object, str] = {}
    scales: dict[str, tuple[str, Fraction]] = {}
    for col in table.columns:
        if col in known or col in RESERVED:
            continue
        split = _header_unit(col)
        name, unit = split if split else (str(col).strip(), "")
        target = None
        # ``site_area`` alone stays unknown (m² or ha?); with a unit it names site_area_m2
        for cand in (name, f"{name}_m2" if unit else None, aliases.get(name)):
            if cand is not None and cand in known:
                target = cand
                break
        if target is None or (not unit and target == col):
            continue
        factor = _header_factor(known[target], unit, col, source) if unit else Fraction(1)
        if target in table.columns or target in rename.values():
            raise InputError(
                f"{source}: columns {str(col)!r} and {target!r} both give field {target!r}"
            )
        rename[col] = target
        if factor != 1:
            scales[target] = (str(col), factor)
    if rename:
        attrs = dict(table.attrs)
        table = table.rename(columns=rename)
        table.attrs.update(attrs)
    return table, scales


def _all_fields(rs: RuleSet) -> dict[str, Field]:
    known: dict[str, Field] = {}
    for name in ruleset_names():
        known.update(load_ruleset(name).fields)
    known.update(rs.fields)
    return known


def read_input(path: str | os.PathLike[str], *, src: str | None = None) -> pd.DataFrame:
    """Read a project file or a table into a (Geo)DataFrame, one row per project.

    Tables are read by :mod:`suigeo.io`: a CSV by the shared CSV reader (every cell text,
    empty cells missing; its rows keep their file lines for messages), GeoParquet,
    GeoPackage, GeoJSON, FlatGeobuf and Shapefile by the shared layer reader, a plain
    Parquet file as a table."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"input file {str(p)!r} does not exist")
    if p.suffix.lower() == ".toml":
        return _from_mapping(load_toml(p, what="project file"), str(p), src)
    fmt = format_for(p, allowed=TABLE_FORMATS)
    if fmt in ("csv", "xlsx", "cass"):  # the one CSV reader (suigeo.io.sheets)
        table = read_csv(p)
        frame = table.to_pandas(empty_as_null=True)
        # keyed by row label, so a sorted or filtered frame still finds its lines
        frame.attrs["csv_lines"] = pd.Series(table.lines(), index=frame.index)
        frame.attrs["csv_rows"] = pd.Series(table.rows, index=frame.index)
        return frame
    if fmt == "geojson" and p.suffix.lower() == ".json":
        obj = load_json(p, what="project file")  # size, file type and nesting checked
        if not (isinstance(obj, dict) and obj.get("type") in ("FeatureCollection", "Feature")):
            return _from_mapping(obj, str(p), src)
    frame = read_layer(p, what="input", require_geometry=False)
    if len(frame.rejects):
        raise InputError(f"input {frame.first_reject()}")
    return frame.frame


def _from_mapping(obj: object, source: str, src: str | None) -> pd.DataFrame:
    if not isinstance(obj, dict):
        raise InputError(f"{source}: a project file holds one project as an object of fields")
    obj = dict(obj)
    geom = obj.pop("geometry", None)
    system = obj.pop("crs", None) or src or "CGCS2000"
    for k, v in obj.items():
        if isinstance(v, dict | list):
            kind = type(v).__name__
            raise InputError(f"{source}: field {k!r} must be a single value, not a {kind}")
    frame = pd.DataFrame([obj], dtype=object)
    if geom is None:
        return frame
    try:
        shape = shapely.geometry.shape(geom)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{source}: field 'geometry' is not valid GeoJSON: {exc}") from None
    pcrs = crs.resolve(system).pyproj_crs
    return gpd.GeoDataFrame(frame, geometry=[shape], crs=pcrs)


def gk_zone_for_longitude(lon: float) -> crs.System:
    """The CGCS2000 3-degree Gauss-Krüger zone (no prefix) whose central meridian is nearest.

    Examples
    --------
    >>> gk_zone_for_longitude(113.3).name
    'CGCS2000-3GK-CM114'
    """
    cm = 3 * round(lon / 3)
    if not 75 <= cm <= 135:
        raise InputError(f"longitude {lon:.3f} is outside China's CGCS2000 3-degree GK zones")
    try:
        return crs.resolve(f"CGCS2000-3GK-CM{cm}")
    except crs.UnknownSystemError:
        return crs.resolve(f"EPSG:{4534 + (cm - 75) // 3}")


class _Errors:
    def __init__(
        self, source: str, ids: np.ndarray, lines: np.ndarray | None, rows: np.ndarray
    ) -> None:
        self.source, self.ids, self.lines, self.rows = source, ids, lines, rows
        # (rows, column, the column's cells (ndarray or pandas array) or None, reason)
        self.groups: list[tuple[np.ndarray, str, Any, str]] = []

    def add(self, mask: np.ndarray, column: str, values, reason: str) -> None:
        idx = np.flatnonzero(mask)
        if len(idx):
            self.groups.append((idx, column, values, reason))

    @property
    def items(self) -> list[tuple[int, str, object, str]]:
        """Every problem as (row index, column, value, reason), in row order."""
        out = [
            (int(i), col, None if vals is None else vals[i], reason)
            for idx, col, vals, reason in self.groups
            for i in idx
        ]
        return sorted(out, key=lambda t: t[0])

    def describe(self, i: int, column: str, value: object, reason: str) -> str:
        where = f"row {self.rows[i]}"
        if self.lines is not None:
            where += f" (line {self.lines[i]})"
        pid = self.ids[i] if i < len(self.ids) else None
        proj = f", project {pid!r}" if pid is not None else ""
        val = "" if value is None else f" (value {_show(value)})"
        return f"{self.source}: {where}{proj}, column {column!r}: {reason}{val}"

    def raise_if_any(self) -> None:
        if not self.groups:
            return
        items = self.items
        lines = [self.describe(*it) for it in items[:MAX_LISTED]]
        more = len(items) - MAX_LISTED
        if more > 0:
            lines.append(f"... and {more} more problems")
        raise InputError("bad input:\n  " + "\n  ".join(lines))


def _show(value: object) -> str:
    if isinstance(value, float | np.floating):
        return repr(float(value))
    return repr(value)


def prepare(
    table: pd.DataFrame | dict,
    ruleset: RuleSet,
    *,
    source: str = "<table>",
    area_system: str | int | None = None,
    on_error: str = "raise",
    line_offset: int = 0,
) -> Projects:
    """Validate ``table`` against ``ruleset``'s fields and return typed columns.

    Parameters
    ----------
    table
        One row per project, or a dict for one project.
    ruleset
        The rule set whose fields are read (fields of other shipped rule sets are ignored).
    source
        File name used in error messages.
    area_system
        Plane CRS for polygon areas (default: the CGCS2000 3-degree GK zone of each polygon).
    on_error
        ``"raise"`` (an :class:`InputError` listing the problems) or ``"reject"`` (bad rows
        go to :attr:`Projects.rejects`, the rest are checked).
    line_offset
        Added to the 1-based row number to give a file line (1 for CSV with a header), for
        tables without the line numbers :func:`read_input` records for a CSV file.
    """
    if on_error not in ("raise", "reject"):
        raise ValueError("on_error must be 'raise' or 'reject'")
    if isinstance(table, dict):
        table = _from_mapping(table, source, None)
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"{source}: expected a table of projects, got {type(table).__name__}")
    known = _all_fields(ruleset)
    table, header_units = _resolve_headers(table, known, source)
    _check_columns(table, known, ruleset, source)
    _check_some_field(table, ruleset, source)
    n = len(table)
    lines = _file_lines(table, line_offset)
    rows = _file_rows(table)
    ids = _ids(table, source, lines, rows)
    errors = _Errors(source, ids, lines, rows)
    data: dict[str, np.ndarray] = {}
    exact: dict[str, np.ndarray] = {}
    scaled: dict[str, tuple[np.ndarray, Fraction]] = {}
    for name, f in ruleset.fields.items():
        if name not in table.columns:
            data[name] = _missing(f, n)
            continue
        cell_exact = np.full(n, None, dtype=object)
        data[name] = _coerce(table[name], f, errors, cell_exact)
        given = np.not_equal(cell_exact, None)  # type: ignore[call-overload]  # numpy's stubs refuse None; elementwise `is not None`
        if name in header_units:  # cells without their own unit are in the header's unit
            _header, factor = header_units[name]
            raw = np.where(given, np.nan, data[name])
            scaled[name] = (raw, factor)
            data[name] = np.where(given, data[name], raw * float(factor))
            if given.any():
                exact[name] = cell_exact
        elif given.any():
            exact[name] = cell_exact
    notes = _areas_from_geometry(table, ruleset, data, source, area_system, errors)
    _check_values(ruleset, data, errors)
    if on_error == "raise" or not errors.groups:
        errors.raise_if_any()
        return Projects(ids, data, source, rows, notes, exact=exact, scaled=scaled)
    items = errors.items
    bad = np.zeros(n, bool)
    bad[[it[0] for it in items]] = True
    original = pd.DataFrame(table).iloc[[it[0] for it in items]].reset_index(drop=True)
    if isinstance(table, gpd.GeoDataFrame) and table.active_geometry_name is not None:
        gname = table.geometry.name
        original[gname] = table.geometry.iloc[[it[0] for it in items]].to_wkt().to_numpy()
    original.columns = [c if c not in REJECT_COLUMNS else f"_{c}" for c in original.columns]
    rejects = pd.concat(
        [
            pd.DataFrame(
                {
                    "row": [int(rows[it[0]]) for it in items],
                    "column": [it[1] for it in items],
                    "reason": "invalid_value",
                    "message": [
                        it[3] if it[2] is None else f"{it[3]} (value {_show(it[2])})"
                        for it in items
                    ],
                }
            ),
            original,
        ],
        axis=1,
    )
    keep = ~bad
    return Projects(
        ids[keep],
        {k: v[keep] for k, v in data.items()},
        source,
        rows[keep],
        {k: v[keep] for k, v in notes.items()},
        rejects,
        exact={k: v[keep] for k, v in exact.items()},
        scaled={k: (raw[keep], fac) for k, (raw, fac) in scaled.items()},
    )


def _check_columns(table: pd.DataFrame, known: dict, rs: RuleSet, source: str) -> None:
    """Refuse unknown columns, naming every one of them (with the nearest known name)."""
    geom_col = table.geometry.name if isinstance(table, gpd.GeoDataFrame) else None
    unknown = [c for c in table.columns if c not in known and c not in RESERVED and c != geom_col]
    if not unknown:
        return
    lines = []
    for col in unknown:
        msg = f"unknown field {col!r}"
        hint = difflib.get_close_matches(str(col), list(known), n=1, cutoff=0.6)
        if hint:
            f = known[hint[0]]
            unit = f" in {f.unit}" if f.unit and f.unit != "1" else ""
            msg += f"; did you mean {hint[0]!r} ({f.type}{unit})?"
        if str(col).endswith(("_ha", "_km2", "_mu")):
            msg += (
                " Areas are given in m² (fields ending _m2; 1 ha = 10000 m²), or with the unit"
                " in the header: site_area(亩), site_area(ha)."
            )
        lines.append(msg)
    head = f"{source}: " if len(lines) == 1 else f"{source}: {len(lines)} unknown fields:\n  "
    raise InputError(head + "\n  ".join(lines) + f"\nFields of {rs.name}: {', '.join(rs.fields)}")


def _check_some_field(table: pd.DataFrame, rs: RuleSet, source: str) -> None:
    """Refuse a non-empty table holding none of the rule set's fields (a wrong --ruleset
    would otherwise give only not_evaluable results and exit status 0)."""
    if len(table) == 0 or any(c in rs.fields for c in table.columns):
        return
    if isinstance(table, gpd.GeoDataFrame) and any(f.from_geometry for f in rs.fields.values()):
        return  # the polygon gives the site area
    overlap = {
        name: sum(c in load_ruleset(name).fields for c in table.columns) for name in ruleset_names()
    }
    best = max(overlap, key=overlap.__getitem__)
    hint = f"; its fields match rule set {best!r}" if overlap[best] else ""
    raise InputError(
        f"{source}: none of the fields of {rs.name} ({', '.join(rs.fields)}) are in the input{hint}"
    )


def _file_lines(table: pd.DataFrame, line_offset: int) -> np.ndarray | None:
    """The file line of each row: recorded by :func:`read_input` for CSV, else row +
    ``line_offset`` (None when there are no file lines to name)."""
    known = table.attrs.get("csv_lines")
    if isinstance(known, pd.Series) and known.index.is_unique:
        lines = known.reindex(table.index)
        if lines.notna().all():
            return lines.to_numpy(dtype=np.int64)
    if line_offset:
        return np.arange(1, len(table) + 1) + line_offset
    return None


def _file_rows(table: pd.DataFrame) -> np.ndarray:
    """The 1-based data row of each row: recorded by :func:`read_input` for a CSV file (the
    line number minus one, blank lines counted), else the position in the table."""
    known = table.attrs.get("csv_rows")
    if isinstance(known, pd.Series) and known.index.is_unique:
        rows = known.reindex(table.index)
        if rows.notna().all():
            return rows.to_numpy(dtype=np.int64)
    return np.arange(1, len(table) + 1)


def _ids(
    table: pd.DataFrame, source: str, lines: np.ndarray | None, rows: np.ndarray
) -> np.ndarray:
    if "id" not in table.columns:
        raise InputError(f"{source}: column 'id' (project id, text) is missing")
    col = table["id"]
    if pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
        col = col.astype(object).where(col.notna(), None)
    text = col.astype("string").str.strip()
    missing = (text.isna() | (text == "")).to_numpy(dtype=bool, na_value=True)
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        extra = f" (line {lines[i]})" if lines is not None else ""
        raise InputError(f"{source}: row {rows[i]}{extra}, column 'id': project id is empty")
    ids = text.to_numpy(dtype=object)
    if not text.is_unique:
        raise InputError(f"{source}: column 'id': " + "; ".join(_duplicates(ids, lines, rows)))
    return ids


def _duplicates(ids: np.ndarray, lines: np.ndarray | None, rows: np.ndarray) -> list[str]:
    """'duplicate project id 'A' in rows 1, 3 (lines 2, 4)' for each repeated id."""
    groups = pd.Series(np.arange(len(ids))).groupby(pd.Series(ids), sort=False)
    out = []
    for pid, r in groups:
        if len(r) < 2:
            continue
        where = f"rows {', '.join(str(rows[x]) for x in r)}"
        if lines is not None:
            where += f" (lines {', '.join(str(lines[x]) for x in r)})"
        out.append(f"duplicate project id {pid!r} in {where}")
    return out[:MAX_LISTED] + (
        [f"... and {len(out) - MAX_LISTED} more"] if len(out) > MAX_LISTED else []
    )


def _missing(f: Field, n: int) -> np.ndarray:
    if f.type == "text":
        return np.full(n, None, dtype=object)
    if f.type == "date":
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    return np.full(n, np.nan)


def _coerce(s: pd.Series, f: Field, errors: _Errors, exact: np.ndarray) -> np.ndarray:
    if f.type in ("area", "length", "count"):
        return _numeric(s, f, errors, exact)
    if f.type == "bool":
        return _boolean(s, f, errors)
    if f.type == "date":
        return _dates(s, f, errors)
    text = _stripped(s)
    vals = text.astype(object).where(text.notna(), None).to_numpy(dtype=object)
    if f.values:
        bad = (text.notna() & ~text.isin(f.values)).to_numpy(dtype=bool, na_value=False)
        errors.add(bad, f.name, vals, f"must be one of {', '.join(f.values)}")
    return vals


def _isna(x: object) -> bool:
    return x is None or x is pd.NA or x is pd.NaT or (isinstance(x, float) and np.isnan(x))


def _numeric(s: pd.Series, f: Field, errors: _Errors, exact: np.ndarray) -> np.ndarray:
    """Numbers of one column; a cell with an area unit (``6亩``) is converted, its exact
    value stored in ``exact`` where the float is not the decimal of the result."""
    if pd.api.types.is_bool_dtype(s.dtype):
        errors.add(np.ones(len(s), bool), f.name, s.to_numpy(object), f"{f.type} must be a number")
        return np.full(len(s), np.nan)
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.to_numpy(dtype=np.float64, na_value=np.nan).copy()
    raw = s.array  # positional cell access for messages, without copying
    text = _is_text(s)  # a string column (CSV) cannot hold true/false objects
    out = _parse_floats(s) if text else None
    if out is None:
        out = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        out = out.copy()
    isbool = np.zeros(len(s), bool) if text else _is_bool_object(raw)
    out[isbool] = np.nan
    errors.add(isbool, f.name, raw, f"{f.type} must be a number, not true/false")
    todo = np.flatnonzero(np.isnan(out) & ~isbool & ~pd.isna(s).to_numpy())
    for i in todo:
        cell = str(raw[i]).strip()
        if cell == "":
            continue
        value, reason = _with_unit(cell, f)
        if reason:
            errors.add(_one(len(s), int(i)), f.name, raw, reason)
        else:
            out[i] = float(value)
            exact[i] = value
    return out


def _is_text(s: pd.Series) -> bool:
    """A column of strings (pandas string dtype, as ``read_csv(dtype=str)`` gives)."""
    return pd.api.types.is_string_dtype(s.dtype) and s.dtype != object


def _is_bool_object(raw: np.ndarray) -> np.ndarray:
    return np.array([isinstance(x, bool | np.bool_) for x in raw], bool)


def _parse_floats(s: pd.Series) -> np.ndarray | None:
    """Parse a string column to float64 in one vectorised pass (Arrow's correctly rounded
    parser), or ``None`` when some cell is not a plain number (units, spaces ...): the
    caller then takes the cell-by-cell path that explains each problem. Nulls become NaN;
    ``"nan"``/``"inf"`` become NaN/inf and are judged by the caller as before."""
    try:
        arr = pa.array(s.array, type=pa.string(), from_pandas=True)
        return pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False).copy()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, TypeError):
        return None


def _stripped(s: pd.Series) -> pd.Series:
    """Cell text stripped of blanks, as pandas strings (missing stays missing)."""
    if _is_text(s):
        return s.astype("string").str.strip()
    # Python objects (JSON/TOML values): True -> "True", 5 -> "5"
    return pd.Series([None if _isna(x) else str(x) for x in s.array], dtype="string").str.strip()


def _one(n: int, i: int) -> np.ndarray:
    m = np.zeros(n, bool)
    m[i] = True
    return m


def _with_unit(text: str, f: Field) -> tuple[Fraction, str]:
    """A number with a unit, as an exact Fraction in the field's unit (or a reason)."""
    m = _NUM_UNIT.match(text)
    if not m:
        return Fraction(0), f"not a number ({f.type}{' in ' + f.unit if f.unit else ''})"
    number, unit = m.group(1), m.group(2)
    if f.type == "area":
        factor = area_unit(unit) if unit else Fraction(1)
        if factor is None:
            units = "平方米/㎡, 万平方米, ha/公顷, 亩, km²"
            return Fraction(0), f"wrong unit {unit!r}: give the area in m² (or {units})"
    elif unit in ("", f.unit) or (f.type == "length" and f.unit == "m" and unit in ("米", "m")):
        factor = Fraction(1)
    else:
        what = f"in {f.unit}" if f.type == "length" else f"a count of {f.unit or 'items'}"
        return Fraction(0), f"wrong unit {unit!r}: {f.name} is {what}"
    try:
        return Fraction(number) * factor, ""
    except (ValueError, ZeroDivisionError):
        return Fraction(0), "not a number"


def _boolean(s: pd.Series, f: Field, errors: _Errors) -> np.ndarray:
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.to_numpy(dtype=np.float64, na_value=np.nan).copy()
    raw = s.array  # positional cell access for messages, without copying
    # Python bools (JSON/TOML) map through str() to "true"/"false"
    text = _stripped(s).str.lower()
    is_true = text.isin(_TRUE).to_numpy(dtype=bool, na_value=False)
    is_false = text.isin(_FALSE).to_numpy(dtype=bool, na_value=False)
    blank = (text.isna() | (text == "")).to_numpy(dtype=bool, na_value=True)
    out = np.where(is_true, 1.0, np.where(is_false, 0.0, np.nan))
    bad = ~(is_true | is_false | blank)
    errors.add(bad, f.name, raw, "must be true or false (true/false, yes/no, 1/0, 是/否)")
    return out


def _dates(s: pd.Series, f: Field, errors: _Errors) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s.to_numpy().astype("datetime64[D]")
    raw = s.array  # positional cell access for messages, without copying
    txt = _stripped(s).str.slice(0, 10)
    parsed = pd.to_datetime(txt, format="%Y-%m-%d", errors="coerce")
    bad = (parsed.isna() & txt.notna() & (txt != "")).to_numpy(dtype=bool, na_value=False)
    errors.add(bad, f.name, raw, "not a date (YYYY-MM-DD)")
    return parsed.to_numpy().astype("datetime64[D]")


def _check_values(rs: RuleSet, data: dict[str, np.ndarray], errors: _Errors) -> None:
    for name, f in rs.fields.items():
        v = data[name]
        if f.type in ("area", "length", "count"):
            with np.errstate(invalid="ignore"):
                errors.add(v < 0, name, v, f"negative {f.type}")
                errors.add(~np.isfinite(v) & ~np.isnan(v), name, v, "not a finite number")
                if f.positive:
                    errors.add(v == 0, name, v, f"{name} must be greater than 0")
                if f.type == "count":
                    errors.add(np.isfinite(v) & (v != np.floor(v)), name, v, "not a whole number")
        if f.part_of and f.part_of in data:
            whole = data[f.part_of]
            with np.errstate(invalid="ignore"):
                over = v > whole
            errors.add(
                over,
                name,
                v,
                f"larger than {f.part_of} (a share over 100%): the part cannot exceed the whole",
            )


def _areas_from_geometry(
    table: pd.DataFrame,
    rs: RuleSet,
    data: dict[str, np.ndarray],
    source: str,
    area_system: str | int | None,
    errors: _Errors,
) -> dict[str, np.ndarray]:
    notes: dict[str, np.ndarray] = {}
    targets = [f for f in rs.fields.values() if f.from_geometry]
    if not targets or not isinstance(table, gpd.GeoDataFrame):
        return notes
    geoms = table.geometry.to_numpy()
    has_geom = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    for f in targets:
        todo = np.isnan(data[f.name]) & has_geom
        if not todo.any():
            continue
        kinds = shapely.get_type_id(geoms)
        not_poly = todo & ~np.isin(kinds, (3, 6))
        errors.add(not_poly, "geometry", None, f"a polygon is needed to compute {f.name}")
        todo &= ~not_poly
        invalid = np.flatnonzero(todo & ~shapely.is_valid(geoms))
        for i, why in zip(invalid, shapely.is_valid_reason(geoms[invalid]), strict=True):
            errors.add(_one(len(table), int(i)), "geometry", None, f"invalid polygon: {why}")
        todo[invalid] = False
        if table.crs is not None and table.crs.is_geographic:
            b = shapely.bounds(geoms)
            lon_ok = (b[:, 0] >= 73.5) & (b[:, 2] < 136.5)  # China's 3-degree GK zones
            lat_ok = (b[:, 1] >= -90) & (b[:, 3] <= 90)
            off = todo & ~(lon_ok & lat_ok)
            errors.add(
                off,
                "geometry",
                None,
                f"coordinates are not lon/lat degrees in China (the geometry's CRS is "
                f"{table.crs.name}); name the system it is in (--from, e.g. "
                "CGCS2000-3GK-CM114)",
            )
            todo &= ~off
        area, note = _plane_area(table.loc[todo], source, area_system)
        data[f.name][todo] = area
        col = np.full(len(table), "", dtype=object)
        col[todo] = note
        notes[f.name] = col
    return notes


def _plane_area(gdf: gpd.GeoDataFrame, source: str, area_system: str | int | None):
    if gdf.crs is None:
        raise InputError(f"{source}: the geometry has no CRS; set one (or pass --from SYSTEM)")
    if area_system is not None:
        system = crs.resolve(area_system)
        if system.kind != "projected":
            raise InputError(
                f"{source}: area system {system.name} is not a plane (projected) system"
            )
        return crs.to_crs(gdf, system).area.to_numpy(), _note(system)
    if gdf.crs.is_projected:
        unit = gdf.crs.axis_info[0].unit_name if gdf.crs.axis_info else ""
        if unit not in ("metre", "meter"):
            raise InputError(f"{source}: the geometry's CRS uses {unit!r}; need metres")
        return gdf.area.to_numpy(), f"polygon area in the input CRS {gdf.crs.name}"
    if not gdf.crs.is_geographic:
        raise InputError(f"{source}: the geometry's CRS {gdf.crs.name} is not usable for areas")
    b = shapely.bounds(gdf.geometry.to_numpy())
    mid = (b[:, 0] + b[:, 2]) / 2.0
    cms = 3 * np.round(mid / 3.0)
    area = np.full(len(gdf), np.nan)
    note = np.full(len(gdf), "", dtype=object)
    for cm in np.unique(cms):
        sel = cms == cm
        system = gk_zone_for_longitude(float(cm))
        area[sel] = crs.to_crs(gdf.loc[sel], system).area.to_numpy()
        note[sel] = _note(system)
    return area, note


def _note(system: crs.System) -> str:
    return f"polygon area in {system.name} (EPSG:{system.epsg})"
