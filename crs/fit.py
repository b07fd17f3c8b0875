"""Fit Guangzhou 2000 style parameters from common control points, by least squares.

Three models (all executed by PROJ when the fitted file is used, and when residuals are
computed here):

``helmert4``
    2-D four-parameter similarity on plane coordinates, the ``[similarity]`` table::

        E' = dx + s (E cos t - N sin t)        s = 1 + scale_ppm * 1e-6
        N' = dy + s (E sin t + N cos t)        t = rotation_arcsec, POSITIVE ANTICLOCKWISE

    (the rotation of the position vector, from east towards north). Linear in
    (dx, dy, a = s cos t, b = s sin t). Unknowns 4, equations 2 per point.
``affine6``
    2-D six-parameter affine, the ``[affine6]`` table: ``E' = a0 + a1 E + a2 N``,
    ``N' = b0 + b1 E + b2 N``. Unknowns 6, equations 2 per point.
``helmert7``
    3-D seven-parameter Helmert on geocentric coordinates, the ``[helmert7]`` table, in the
    form PROJ's ``+proj=helmert`` executes it (EPSG methods 1033/1032, small-angle
    rotation matrix)::

        X' = T + (1 + m) R X,   R = [[1, -rz, ry], [rz, 1, -rx], [-ry, rx, 1]]

    for the POSITION VECTOR convention (EPSG 9606/1033); the COORDINATE FRAME convention
    (EPSG 9607/1032) uses the transposed matrix, i.e. the same numbers with the signs of
    rx, ry, rz reversed. The model is linear in (T, m, q = (1 + m) r): ``X' - X = T + m X
    + q x X``, so the least-squares solution is exact, not iterated. Unknowns 7, equations
    3 per point.

``height-plane`` / ``height-quadratic`` (GPS 水准拟合)
    The height anomaly ``ζ = h - H`` (CGCS2000 ellipsoidal height minus 1985 normal height,
    from control points that were both observed by GNSS and levelled) as a surface of the
    plane coordinates E, N of the ``projection``, centred and scaled for conditioning::

        u = (E - e0) / scale,  v = (N - n0) / scale      (e0, n0 the control points' mean,
                                                          scale their largest |offset|)
        ζ = a0 + a1 u + a2 v                             height-plane
          + a3 u² + a4 u v + a5 v²                       height-quadratic

    written to the ``[height]`` table (``anomaly_model``, ``anomaly_e0_m``, ``anomaly_n0_m``,
    ``anomaly_scale_m``, ``anomaly_a0`` ...), where :func:`suigeo.crs.transform` applies it
    to convert ellipsoidal <-> normal heights, inside the control points' extent widened by
    10 % of its larger span (at least 500 m; ``anomaly_e_min_m`` ... ``anomaly_n_max_m``):
    outside it the surface would be an extrapolated guess, and a point there has no anomaly
    (``outside_geoid``). Unknowns 3 / 6, one equation per point.
    Columns: ``src_e, src_n`` (or ``src_lon, src_lat``), ``src_h`` (ellipsoidal height h)
    and ``dst_h`` (normal height H). Residuals are ζ observed minus ζ fitted, which is also
    the normal height computed minus the levelled one.

Minimum number of points, and why (a fit needs redundancy: more equations than unknowns,
or there is nothing to check the points against — every residual would be zero):

* helmert4: 3 points. Two points give 4 equations for 4 unknowns and always fit exactly.
  Three give 6 equations, redundancy 2.
* affine6: 4 points, not all on one line. Three give 6 equations for 6 unknowns (exact);
  four give redundancy 2.
* height-plane: 4 points, not on one line. Three determine the plane exactly; four give
  redundancy 1. height-quadratic: 7 points (6 determine it; not all on one conic).
* helmert7: 3 points, not on one line. Two points give 6 equations for 7 unknowns
  (the rotation about the line through them is undetermined); three give 9 equations,
  redundancy 2. With fewer than 4 points a single wrong point can be detected (large
  residuals) but not reliably identified; use 4 or more, spread around the area.

Outliers: each point's residual components are standardised, ``w = v / (s0 sqrt(r))``,
with ``s0`` the a-posteriori standard deviation of unit weight (``sqrt(v'v / redundancy)``)
and ``r`` the observation's redundancy number (the diagonal of ``I - A (A'A)^-1 A'``),
all observations weighted equally. A point is flagged when any ``|w|`` exceeds the
threshold (default 3, Baarda-style data snooping; about 0.3 % false alarms per
observation for normal errors). Remove a flagged point and fit again: one outlier
spreads into its neighbours' residuals.

Control CSV columns (header names, any order; other columns are ignored):

* ``id`` (optional; the row number is used without it);
* 2-D models, source: ``src_e, src_n`` (plane coordinates in the transverse Mercator given
  by ``projection``) or ``src_lon, src_lat`` (CGCS2000 degrees, projected here by PROJ);
  target: ``dst_e, dst_n`` (the local system's plane coordinates, metres).
* helmert7, source: ``src_x, src_y, src_z`` (CGCS2000 geocentric metres) or
  ``src_lon, src_lat, src_h`` (CGCS2000 degrees and ellipsoidal height); target:
  ``dst_x, dst_y, dst_z`` or ``dst_lon, dst_lat, dst_h`` on the same ellipsoid.

The fitted file is a complete ``suigeo-gz2000/1`` parameter file (``kind = "fitted"``),
so it needs the ``[projection]``: from a base parameter file or given explicitly.
Fitted parameters are the user's own survey result: they are written to the output file
only, never to logs or the terminal (the command prints residuals only).
"""

from __future__ import annotations

import datetime as _dt
import logging
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pyproj import Transformer

from suigeo.crs.params import (
    CGCS2000_A,
    CGCS2000_RF,
    FORMAT,
    MEAN_RADIUS_M,
    secret_transformer,
    validate_params,
)
from suigeo.errors import InputError, ParameterFileError
from suigeo.io.atomic import atomic_output, check_outputs
from suigeo.io.csvtable import read_csv
from suigeo.io.documents import load_toml

__all__ = [
    "MIN_POINTS",
    "MODELS",
    "CheckResult",
    "ControlPoints",
    "FitResult",
    "Projection",
    "fit",
    "fit_file",
    "read_control",
    "to_residuals",
    "write_params",
]

Floats = NDArray[np.float64]

MODELS = ("helmert4", "affine6", "helmert7", "height-plane", "height-quadratic")
#: the height-anomaly models (GPS 水准拟合) -> their ``[height] anomaly_model``
HEIGHT_MODELS = {"height-plane": "plane", "height-quadratic": "quadratic"}
#: Minimum number of control points per model (see the module docstring for why).
MIN_POINTS = {"helmert4": 3, "affine6": 4, "helmert7": 3, "height-plane": 4, "height-quadratic": 7}
_UNKNOWNS = {"helmert4": 4, "affine6": 6, "helmert7": 7, "height-plane": 3, "height-quadratic": 6}
_DIM = {"helmert4": 2, "affine6": 2, "helmert7": 3, "height-plane": 2, "height-quadratic": 2}
CONVENTIONS = ("position_vector", "coordinate_frame")
DEFAULT_OUTLIER_THRESHOLD = 3.0

# CGCS2000 ellipsoid and mean radius, as in the parameter-file format.
_ELLPS = f"+a={CGCS2000_A!r} +rf={CGCS2000_RF!r}"
_ARCSEC = math.pi / (180.0 * 3600.0)


# --------------------------------------------------------------------------- projection
@dataclass(frozen=True)
class Projection:
    """The ``[projection]`` table: transverse Mercator on the CGCS2000 ellipsoid.

    Give exactly one of ``scale`` and ``projection_height_m`` (scale = (R + h) / R with
    R = ``earth_radius_m``, default 6371008.7714 m). Values are never printed.
    """

    central_meridian_deg: float
    latitude_of_origin_deg: float = 0.0
    scale: float | None = None
    projection_height_m: float | None = None
    earth_radius_m: float | None = None
    false_easting_m: float = 0.0
    false_northing_m: float = 0.0

    def __post_init__(self) -> None:
        if (self.scale is None) == (self.projection_height_m is None):
            raise InputError(
                "the projection needs exactly one of scale (--scale) or projection height "
                "(--projection-height)"
            )
        if self.earth_radius_m is not None and self.projection_height_m is None:
            raise InputError("earth radius is only used with a projection height")

    def __repr__(self) -> str:
        return "<Projection; values hidden>"

    @property
    def k0(self) -> float:
        """Scale factor on the central meridian (from ``scale`` or the projection height)."""
        if self.scale is not None:
            return self.scale
        radius = self.earth_radius_m if self.earth_radius_m is not None else MEAN_RADIUS_M
        return (radius + float(self.projection_height_m or 0.0)) / radius

    def _proj(self) -> str:
        return (
            f"+proj=tmerc +lat_0={self.latitude_of_origin_deg!r} "
            f"+lon_0={self.central_meridian_deg!r} +k_0={self.k0!r} "
            f"+x_0={self.false_easting_m!r} +y_0={self.false_northing_m!r} {_ELLPS}"
        )

    def table(self) -> dict[str, float]:
        """The ``[projection]`` table as written to a parameter file."""
        out = {
            "central_meridian_deg": self.central_meridian_deg,
            "latitude_of_origin_deg": self.latitude_of_origin_deg,
        }
        if self.scale is not None:
            out["scale"] = self.scale
        else:
            out["projection_height_m"] = float(self.projection_height_m or 0.0)
            if self.earth_radius_m is not None:
                out["earth_radius_m"] = self.earth_radius_m
        out["false_easting_m"] = self.false_easting_m
        out["false_northing_m"] = self.false_northing_m
        return out

    @classmethod
    def from_params_file(cls, path: str | os.PathLike[str]) -> tuple[Projection, dict | None]:
        """The ``[projection]`` (and ``[height]``, if any) of an existing parameter file.

        The file's values are secret: they are read in a helper whose frame is gone before
        an error is raised, and the ``[height]`` table returned hides them in its repr.
        """
        if not os.path.exists(path):
            raise InputError(f"base parameter file {str(path)!r} does not exist")
        outcome = _read_base(cls, path)
        if isinstance(outcome, str):
            raise ParameterFileError(outcome)
        return outcome


class _Hidden(dict):
    """A table of parameter values whose repr hides them (tracebacks with locals)."""

    def __repr__(self) -> str:
        return "<parameter values hidden>"


class _HiddenText(str):
    """Text holding parameter values; its repr hides them (tracebacks with locals)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<parameter text hidden>"


def _read_base(cls: type[Projection], path: str | os.PathLike[str]):
    """``(Projection, [height] or None)`` from a base parameter file, or the message saying
    why not (keys named, values never)."""
    try:
        data = load_toml(path, what="base parameter file", error=ParameterFileError)
    except ParameterFileError as exc:
        return str(exc)
    proj = data.get("projection")
    if not isinstance(proj, dict) or "central_meridian_deg" not in proj:
        return f"{str(path)!r}: needs a [projection] table with central_meridian_deg"
    allowed = {f for f in cls.__dataclass_fields__}
    kwargs: dict[str, float] = {}
    for key, value in proj.items():
        if key not in allowed:
            return f"{str(path)!r}: unknown key 'projection.{key}'"
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{str(path)!r}: 'projection.{key}' must be a number"
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            return f"{str(path)!r}: 'projection.{key}' must be finite (and not too large)"
        kwargs[key] = number
    try:
        projection = cls(**kwargs)
    except InputError as exc:
        return f"{str(path)!r}: [projection]: {exc}"
    height = data.get("height")
    return projection, _Hidden(height) if isinstance(height, dict) else None


# --------------------------------------------------------------------------- control points
@dataclass(frozen=True)
class ControlPoints:
    """Control (or check) points: ``src`` and ``dst`` of shape (n, 2) or (n, 3).

    2-D: plane (E, N) in the projection. 3-D: geocentric (X, Y, Z) on CGCS2000.
    """

    ids: list[str]
    src: Floats
    dst: Floats
    path: str = ""
    src_lonlat: Floats | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.ids)


_SOURCE_2D = (("src_e", "src_n"), ("src_lon", "src_lat"))
_SOURCE_3D = (("src_x", "src_y", "src_z"), ("src_lon", "src_lat", "src_h"))
_TARGET_2D = (("dst_e", "dst_n"),)
_TARGET_3D = (("dst_x", "dst_y", "dst_z"), ("dst_lon", "dst_lat", "dst_h"))


def _pick(header: Sequence[str], options: Sequence[tuple[str, ...]], what: str, path: str):
    present = [cols for cols in options if all(c in header for c in cols)]
    if len(present) > 1:
        raise InputError(
            f"{path}: {what} columns are ambiguous: both {', '.join(present[0])} and "
            f"{', '.join(present[1])} are present; keep one set"
        )
    if not present:
        wanted = " or ".join(", ".join(cols) for cols in options)
        partial = [c for cols in options for c in cols if c in header]
        missing = [c for cols in options for c in cols if c not in header and partial]
        hint = f" (missing column {missing[0]!r})" if missing else ""
        raise InputError(f"{path}: {what} columns not found{hint}; need {wanted}")
    return present[0]


def _numbers(rows: _Rows, col: int, name: str, path: str) -> Floats:
    out = np.empty(len(rows))
    for i, row in enumerate(rows):
        text = row[col].strip() if col < len(row) else ""
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            shown = repr(text) if text else "empty"
            raise InputError(
                f"{path}: {rows.where(i)}, column {name!r}: {shown} is not a finite number"
            )
        out[i] = value
    return out


#: the roles a control table's columns play (``columns=`` maps them to a sheet's own names)
ROLES: tuple[str, ...] = (
    "id",
    *dict.fromkeys(
        c for group in (*_SOURCE_3D, *_SOURCE_2D, *_TARGET_2D, *_TARGET_3D) for c in group
    ),
)
#: column names taken as the point id when there is no ``id`` column
_ID_NAMES = ("点号", "点名")


def _map_columns(
    header: list[str], columns: Mapping[str, str] | None, path: str
) -> tuple[list[str], dict[str, str]]:
    """``header`` with the columns named in ``columns`` (role -> column) given their role
    names, and role -> the file's name, for messages."""
    shown: dict[str, str] = {}
    out = list(header)
    mapping = dict(columns or {})
    if "id" not in out and "id" not in mapping:
        found = next((n for n in _ID_NAMES if n in out), None)
        if found is not None:
            mapping["id"] = found
    for role, name in mapping.items():
        if role not in ROLES:
            raise InputError(f"--columns: unknown role {role!r}; the roles are {', '.join(ROLES)}")
        if name not in header:
            raise InputError(
                f"{path}: no column {name!r} (given for {role}); the columns are "
                f"{', '.join(header)}"
            )
        i = header.index(name)
        if role in out and out.index(role) != i:  # a column already named like the role
            out[out.index(role)] = f"_{role}"
        out[i] = role
        shown[role] = name
    return out, shown


def read_control(
    path: str | os.PathLike[str],
    model: str,
    projection: Projection | None = None,
    *,
    columns: Mapping[str, str] | None = None,
) -> ControlPoints:
    """Read a control or check table (CSV in any encoding, Excel, ...: the shared reader).

    ``columns`` maps roles (:data:`ROLES`: ``id``, ``src_e``, ``src_n``, ``dst_e``...) to
    the table's own column names, e.g. ``{"id": "点号", "src_e": "Y", "src_n": "X"}``; a
    column 点号 or 点名 is the id when there is no ``id`` column. Errors name the file, the
    row (data rows counted from 1; ``line`` counts the header) and the column.
    """
    _check_model(model)
    p = str(path)
    header, rows = _read_table(path)
    header, shown = _map_columns(header, columns, p)
    dim = _DIM[model]
    if model in HEIGHT_MODELS:
        return _read_heights(header, rows, shown, p, projection)
    src_cols = _pick(header, _SOURCE_2D if dim == 2 else _SOURCE_3D, "source", p)
    dst_cols = _pick(header, _TARGET_2D if dim == 2 else _TARGET_3D, "target", p)

    def col(name: str) -> Floats:
        return _numbers(rows, header.index(name), shown.get(name, name), p)

    src = np.column_stack([col(c) for c in src_cols])
    dst = np.column_stack([col(c) for c in dst_cols])
    ids = _read_ids(header, rows, p)
    for cols, arr in ((src_cols, src), (dst_cols, dst)):
        if cols[0].endswith("_lon"):
            _check_lonlat(arr, cols, p, rows)
    src_lonlat = None
    if dim == 2 and src_cols[0] == "src_lon":
        if projection is None:
            raise InputError(f"{p}: src_lon/src_lat need a projection to project them")
        src_lonlat = src
        src = _project(projection, src)
    elif dim == 3:
        if src_cols[0] == "src_lon":
            src_lonlat = src
            src = _cart(src)
        if dst_cols[0] == "dst_lon":
            dst = _cart(dst)
    return ControlPoints(ids=ids, src=src, dst=dst, path=p, src_lonlat=src_lonlat)


def _read_heights(
    header: list[str], rows: _Rows, shown: dict[str, str], p: str, projection: Projection | None
) -> ControlPoints:
    """Control points of a height-anomaly fit: plane E, N and ζ = h - H (n x 1)."""
    src_cols = _pick(header, _SOURCE_2D, "source", p)
    h_cols = _pick(
        header, (("src_h", "dst_h"),), "height (src_h = ellipsoidal h, dst_h = normal H)", p
    )

    def col(name: str) -> Floats:
        return _numbers(rows, header.index(name), shown.get(name, name), p)

    src = np.column_stack([col(c) for c in src_cols])
    h, normal = (col(c) for c in h_cols)
    ids = _read_ids(header, rows, p)
    src_lonlat = None
    if src_cols[0] == "src_lon":
        _check_lonlat(src, src_cols, p, rows)
        if projection is None:
            raise InputError(f"{p}: src_lon/src_lat need a projection to project them")
        src_lonlat = src
        src = _project(projection, src)
    zeta = (h - normal).reshape(-1, 1)
    return ControlPoints(ids=ids, src=src, dst=zeta, path=p, src_lonlat=src_lonlat)


class _Rows(list):
    """The data rows of a control CSV (lists of cells), with where each is in the file."""

    lines: np.ndarray

    def where(self, i: int) -> str:
        line = int(self.lines[i])
        return f"row {line - 1} (line {line})"


def _read_table(path: str | os.PathLike[str]) -> tuple[list[str], _Rows]:
    """Header and rows of a control CSV, read by :func:`suigeo.io.csvtable.read_csv`
    (blank lines skipped but counted; a row with a surplus or missing cell refused)."""
    p = str(path)
    got = read_csv(path)
    header = [h.strip() for h in got.info.header]
    rows = _Rows(zip(*(c.to_pylist() for c in got.table.columns), strict=True))
    rows[:] = [list(r) for r in rows]
    rows.lines = got.lines()
    keep = [i for i, r in enumerate(rows) if any(c.strip() for c in r)]
    if len(keep) != len(rows):  # rows of blank cells only
        lines = rows.lines[keep]
        rows = _Rows(rows[i] for i in keep)
        rows.lines = lines
    if not rows:
        raise InputError(f"{p}: no control points below the header")
    return header, rows


def _read_ids(header: list[str], rows: _Rows, p: str) -> list[str]:
    if "id" not in header:
        return [str(i + 1) for i in range(len(rows))]
    k = header.index("id")
    ids = [row[k].strip() if k < len(row) else "" for row in rows]
    seen: dict[str, int] = {}
    for i, ident in enumerate(ids):
        if not ident:
            raise InputError(f"{p}: {rows.where(i)}, column 'id' is empty")
        if ident in seen:
            raise InputError(
                f"{p}: {rows.where(i)}, column 'id': {ident!r} repeats {rows.where(seen[ident])}"
            )
        seen[ident] = i
    return ids


def _check_lonlat(arr: Floats, cols: Sequence[str], path: str, rows: _Rows) -> None:
    for j, lim in ((0, 180.0), (1, 90.0)):
        bad = np.flatnonzero(np.abs(arr[:, j]) > lim)
        if bad.size:
            i = int(bad[0])
            raise InputError(
                f"{path}: {rows.where(i)}, column {cols[j]!r}: outside "
                f"+-{lim:g} degrees (longitude and latitude swapped?)"
            )


def _project(projection: Projection, lonlat: Floats) -> Floats:
    t = secret_transformer(projection._proj())
    if t is None:  # PROJ's message would quote the values
        raise ParameterFileError("PROJ rejected the projection (values not shown)")
    e, n = t.transform(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([e, n])


def _cart(lonlath: Floats) -> Floats:
    t = Transformer.from_pipeline(f"+proj=cart {_ELLPS}")
    x, y, z = t.transform(lonlath[:, 0], lonlath[:, 1], lonlath[:, 2])
    return np.column_stack([x, y, z])


def _check_model(model: str) -> None:
    if model not in MODELS:
        raise InputError(f"unknown model {model!r}; use one of {', '.join(MODELS)}")


# --------------------------------------------------------------------------- fitting
class _ResidualStats:
    """Summary statistics of ``self.residuals`` (n points x components, metres)."""

    residuals: Floats

    @property
    def norms(self) -> Floats:
        """Length of each point's residual vector (metres)."""
        return np.sqrt((self.residuals**2).sum(axis=1))

    @property
    def rms(self) -> float:
        """Root mean square of the point residual lengths (metres)."""
        return float(np.sqrt((self.norms**2).mean()))

    @property
    def max(self) -> float:
        """The largest point residual length (metres)."""
        return float(self.norms.max())


@dataclass
class CheckResult(_ResidualStats):
    """Residuals (target minus fitted, metres) of held-out check points."""

    ids: list[str]
    residuals: Floats


@dataclass
class FitResult(_ResidualStats):
    """A least-squares fit. ``params`` is SECRET: write it with :func:`write_params` only.

    ``residuals`` are target minus fitted target (metres), per point and component;
    ``standardised`` the standardised residuals ``v / (s0 sqrt(r))``; ``redundancy`` the
    redundancy numbers ``r``; ``outliers`` the points with any ``|w|`` above ``threshold``.
    """

    model: str
    ids: list[str]
    params: dict[str, dict[str, Any]] = field(repr=False)
    residuals: Floats
    standardised: Floats
    redundancy: Floats
    sigma0: float
    threshold: float
    convention: str = "position_vector"
    check: CheckResult | None = None

    def __repr__(self) -> str:
        return (
            f"<FitResult {self.model}, {len(self.ids)} points, rms {self.rms:.4f} m; "
            "parameters hidden>"
        )

    @property
    def outliers(self) -> NDArray[np.bool_]:
        """Points with any standardised residual component above ``threshold``."""
        return np.abs(self.standardised).max(axis=1) > self.threshold

    @property
    def degrees_of_freedom(self) -> int:
        """Observations minus unknowns (the redundancy of the fit)."""
        return self.residuals.size - _UNKNOWNS[self.model]


def _design(model: str, src: Floats) -> Floats:
    """Design matrix for the linear models on centred source coordinates."""
    n = src.shape[0]
    if model in HEIGHT_MODELS:  # unknowns: a0, a1, a2 (, a3, a4, a5)
        u, v = src[:, 0], src[:, 1]
        cols = [np.ones(n), u, v]
        if model == "height-quadratic":
            cols += [u * u, u * v, v * v]
        return np.column_stack(cols)
    if model == "helmert4":  # unknowns: cE, cN, a, b
        e, nn = src[:, 0], src[:, 1]
        a = np.zeros((2 * n, 4))
        a[0::2, 0] = 1.0
        a[1::2, 1] = 1.0
        a[0::2, 2], a[0::2, 3] = e, -nn
        a[1::2, 2], a[1::2, 3] = nn, e
        return a
    if model == "affine6":  # unknowns: a0, a1, a2, b0, b1, b2
        a = np.zeros((2 * n, 6))
        a[0::2, 0], a[0::2, 1], a[0::2, 2] = 1.0, src[:, 0], src[:, 1]
        a[1::2, 3], a[1::2, 4], a[1::2, 5] = 1.0, src[:, 0], src[:, 1]
        return a
    # helmert7: X' - X = T + m X + q x X ; unknowns tx, ty, tz, m, qx, qy, qz
    x, y, z = src[:, 0], src[:, 1], src[:, 2]
    a = np.zeros((3 * n, 7))
    a[0::3, 0] = 1.0
    a[1::3, 1] = 1.0
    a[2::3, 2] = 1.0
    a[0::3, 3], a[1::3, 3], a[2::3, 3] = x, y, z
    # q x X = (qy z - qz y, qz x - qx z, qx y - qy x)
    a[0::3, 5], a[0::3, 6] = z, -y
    a[1::3, 4], a[1::3, 6] = -z, x
    a[2::3, 4], a[2::3, 5] = y, -x
    return a


def _check_geometry(model: str, cp: ControlPoints) -> None:
    n = len(cp)
    need = MIN_POINTS[model]
    if n < need:
        raise InputError(
            f"{cp.path}: {model} needs at least {need} control points, got {n}: " + _WHY[model]
        )
    centred = cp.src - cp.src.mean(axis=0)
    scale = float(np.abs(centred).max()) or 1.0
    a = _design(model, centred / scale)
    rank = np.linalg.matrix_rank(a, tol=1e-9 * max(a.shape))
    if rank < _UNKNOWNS[model]:
        shape = {
            "helmert4": "coincide",
            "height-quadratic": "coincide, lie on one line or on one conic section",
        }.get(model, "coincide or lie on one line")
        raise InputError(
            f"{cp.path}: the control points {shape}; {model} cannot be determined from them "
            "(spread the points around the area)"
        )


_WHY = {
    "helmert4": "2 points give 4 equations for the 4 unknowns and always fit exactly, "
    "so 3 are needed for any redundancy (a check on the points)",
    "affine6": "3 points give 6 equations for the 6 unknowns and always fit exactly, "
    "so 4 (not on one line) are needed for any redundancy",
    "height-plane": "3 points give 3 equations for the 3 unknowns of the plane and always fit "
    "exactly, so 4 (not on one line) are needed for any redundancy",
    "height-quadratic": "6 points give 6 equations for the 6 unknowns of the quadratic surface "
    "and always fit exactly, so 7 are needed for any redundancy (10 or more, spread over the "
    "area, are recommended)",
    "helmert7": "2 points give 6 equations for the 7 unknowns (the rotation about the line "
    "through them is undetermined); 3 points not on one line give 9 equations, "
    "redundancy 2 (4 or more are recommended to identify a wrong point)",
}


def fit(
    control: ControlPoints,
    model: str,
    *,
    convention: str = "position_vector",
    threshold: float = DEFAULT_OUTLIER_THRESHOLD,
    check: ControlPoints | None = None,
) -> FitResult:
    """Least-squares fit of ``model`` to ``control``; residuals computed by PROJ.

    Raises :class:`suigeo.errors.InputError` without redundancy (see :data:`MIN_POINTS`) or
    when the points are degenerate (coincident, collinear).
    """
    _check_model(model)
    if convention not in CONVENTIONS:
        raise InputError(f"unknown rotation convention {convention!r}; use {CONVENTIONS}")
    if not threshold > 0:
        raise InputError("the outlier threshold must be positive")
    _check_geometry(model, control)
    src, dst = control.src, control.dst
    c_src = src.mean(axis=0)
    c_dst = dst.mean(axis=0)
    d_src = src - c_src
    scale = float(np.abs(d_src).max()) or 1.0
    a = _design(model, d_src / scale)
    if model in HEIGHT_MODELS:
        x, *_ = np.linalg.lstsq(a, dst[:, 0], rcond=None)
        params = _height_params(model, x, scale, c_src, src)
    else:
        obs = (dst - c_dst if model != "helmert7" else dst - src - (c_dst - c_src)).reshape(-1)
        x, *_ = np.linalg.lstsq(a, obs, rcond=None)
        params = _params(model, x, scale, c_src, c_dst, convention)
    residuals = dst - apply(model, params, src)
    # statistics of the linear model
    red_total = residuals.size - _UNKNOWNS[model]
    sigma0 = float(np.sqrt((residuals**2).sum() / red_total))
    q, _ = np.linalg.qr(a)
    redundancy = (1.0 - (q**2).sum(axis=1)).reshape(residuals.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = residuals / (sigma0 * np.sqrt(np.clip(redundancy, 0.0, None)))
    w = np.where(np.isfinite(w), w, 0.0)
    result = FitResult(
        model=model,
        ids=list(control.ids),
        params=params,
        residuals=residuals,
        standardised=w,
        redundancy=redundancy,
        sigma0=sigma0,
        threshold=threshold,
        convention=convention,
    )
    if check is not None:
        result.check = CheckResult(list(check.ids), check.dst - apply(model, params, check.src))
    return result


#: the area a fitted anomaly surface holds in: the control points' extent, widened on every
#: side by this share of the larger span (at least ``AREA_MARGIN_MIN_M``)
AREA_MARGIN = 0.1
AREA_MARGIN_MIN_M = 500.0


def _height_params(
    model: str, x: Any, scale: float, c_src: Any, src: Floats
) -> dict[str, dict[str, Any]]:
    """The ``[height]`` keys of a fitted anomaly surface (SECRET)."""
    table: dict[str, Any] = {
        "anomaly_model": HEIGHT_MODELS[model],
        "anomaly_e0_m": float(c_src[0]),
        "anomaly_n0_m": float(c_src[1]),
        "anomaly_scale_m": float(scale),
    }
    table.update({f"anomaly_a{i}": float(v) for i, v in enumerate(x)})
    lo, hi = src.min(axis=0), src.max(axis=0)
    margin = max(AREA_MARGIN * float((hi - lo).max()), AREA_MARGIN_MIN_M)
    table.update(
        {
            "anomaly_e_min_m": float(lo[0] - margin),
            "anomaly_e_max_m": float(hi[0] + margin),
            "anomaly_n_min_m": float(lo[1] - margin),
            "anomaly_n_max_m": float(hi[1] + margin),
        }
    )
    return {"height": table}


def _params(
    model: str, x: Floats, scale: float, c_src: Floats, c_dst: Floats, convention: str
) -> dict[str, dict[str, Any]]:
    if model == "helmert4":
        ce, cn, a, b = x[0], x[1], x[2] / scale, x[3] / scale
        # dst = c_dst + [[a, -b], [b, a]] (src - c_src)
        dx = c_dst[0] + ce - (a * c_src[0] - b * c_src[1])
        dy = c_dst[1] + cn - (b * c_src[0] + a * c_src[1])
        return {
            "similarity": {
                "dx_m": float(dx),
                "dy_m": float(dy),
                "rotation_arcsec": float(math.atan2(b, a) / _ARCSEC),
                "scale_ppm": float((math.hypot(a, b) - 1.0) * 1e6),
            }
        }
    if model == "affine6":
        a0, a1, a2, b0, b1, b2 = x
        a1, a2, b1, b2 = a1 / scale, a2 / scale, b1 / scale, b2 / scale
        return {
            "affine6": {
                "a0": float(c_dst[0] + a0 - a1 * c_src[0] - a2 * c_src[1]),
                "a1": float(a1),
                "a2": float(a2),
                "b0": float(c_dst[1] + b0 - b1 * c_src[0] - b2 * c_src[1]),
                "b1": float(b1),
                "b2": float(b2),
            }
        }
    # helmert7 on centred coordinates: d' = T' + m d + q x d, with d = X - c_src.
    t_c = x[:3]
    m = x[3] / scale
    q = x[4:] / scale
    # X' = X + T' + (c_dst - c_src) + m (X - c) + q x (X - c)
    t = t_c + (c_dst - c_src) - m * c_src - np.cross(q, c_src)
    r = q / (1.0 + m)
    if convention == "coordinate_frame":
        r = -r
    return {
        "helmert7": {
            "convention": convention,
            "tx_m": float(t[0]),
            "ty_m": float(t[1]),
            "tz_m": float(t[2]),
            "rx_arcsec": float(r[0] / _ARCSEC),
            "ry_arcsec": float(r[1] / _ARCSEC),
            "rz_arcsec": float(r[2] / _ARCSEC),
            "scale_ppm": float(m * 1e6),
        }
    }


def _pipeline(model: str, params: Mapping[str, Mapping[str, Any]]) -> str:
    """The PROJ operation applying the fitted model (SECRET: holds the values)."""
    if model == "helmert4":
        s = params["similarity"]
        t = s["rotation_arcsec"] * _ARCSEC
        k = 1.0 + s["scale_ppm"] * 1e-6
        a, b = k * math.cos(t), k * math.sin(t)
        return (
            f"+proj=affine +xoff={s['dx_m']!r} +s11={a!r} +s12={-b!r} "
            f"+yoff={s['dy_m']!r} +s21={b!r} +s22={a!r}"
        )
    if model == "affine6":
        f = params["affine6"]
        return (
            f"+proj=affine +xoff={f['a0']!r} +s11={f['a1']!r} +s12={f['a2']!r} "
            f"+yoff={f['b0']!r} +s21={f['b1']!r} +s22={f['b2']!r}"
        )
    h = params["helmert7"]
    return (
        f"+proj=helmert +x={h['tx_m']!r} +y={h['ty_m']!r} +z={h['tz_m']!r} "
        f"+rx={h['rx_arcsec']!r} +ry={h['ry_arcsec']!r} +rz={h['rz_arcsec']!r} "
        f"+s={h['scale_ppm']!r} +convention={h['convention']}"
    )


def apply(model: str, params: Mapping[str, Mapping[str, Any]], src: Floats) -> Floats:
    """Apply fitted parameters to source coordinates with PROJ (plane or geocentric); for a
    height model, the anomaly surface at plane E, N (n x 1), by the same function that
    :func:`suigeo.crs.transform` uses."""
    if model in HEIGHT_MODELS:
        from suigeo.crs.heights import anomaly_polynomial

        h = params["height"]
        n = 3 if h["anomaly_model"] == "plane" else 6
        u = (src[:, 0] - h["anomaly_e0_m"]) / h["anomaly_scale_m"]
        v = (src[:, 1] - h["anomaly_n0_m"]) / h["anomaly_scale_m"]
        coeffs = tuple(h[f"anomaly_a{i}"] for i in range(n))
        return anomaly_polynomial(h["anomaly_model"], coeffs, u, v).reshape(-1, 1)
    t = secret_transformer(_pipeline(model, params))
    if t is None:  # PROJ's message would quote the values
        raise InputError(
            f"PROJ rejected the fitted {model} parameters (values not shown); check the "
            "control points"
        )
    if src.shape[1] == 3:  # geocentric X, Y, Z
        return np.column_stack(t.transform(src[:, 0], src[:, 1], src[:, 2]))
    return np.column_stack(t.transform(src[:, 0], src[:, 1]))


def to_residuals(
    model: str, params: Mapping[str, Mapping[str, Any]], points: ControlPoints
) -> Floats:
    """Target minus PROJ-applied parameters for ``points`` (metres)."""
    return points.dst - apply(model, params, points.src)


# --------------------------------------------------------------------------- output file
def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    f = float(value)
    if not math.isfinite(f):
        raise InputError("the fit produced a non-finite parameter; check the control points")
    return repr(f)


def write_params(
    result: FitResult,
    out: str | os.PathLike[str],
    projection: Projection,
    *,
    inputs: Sequence[str | os.PathLike[str] | None] = (),
    height: Mapping[str, Any] | None = None,
    source_name: str = "",
    plane_tables: Mapping[str, Mapping[str, Any]] | None = None,
) -> Path:
    """Write a ``suigeo-gz2000/1`` file with ``kind = "fitted"``, atomically.

    The residual summary goes in as comments; ``inputs`` are never overwritten. ``height``
    is the base file's ``[height]`` table; a height model's fitted surface is merged into it
    (replacing a ``geoid``). ``plane_tables`` are the base file's ``[helmert7]``,
    ``[similarity]`` or ``[affine6]``, kept by a height fit.
    """
    if result.model in HEIGHT_MODELS:
        planes = dict(plane_tables or {})
        drop = ("geoid", "anomaly_")
        merged = {k: v for k, v in (height or {}).items() if not k.startswith(drop)}
        height = {**merged, **result.params["height"]}
    else:
        planes = dict(result.params)
    tables = _Hidden({"suigeo": {"format": FORMAT, "kind": "fitted"}, **planes})
    tables["projection"] = projection.table()
    if height:
        tables["height"] = dict(height)
    # a file load_params would refuse is never written (errors name the key, not the value)
    validate_params(tables, f"{out} (not written)")
    lines = _header_lines(result, source_name)
    lines += ["[suigeo]", f'format = "{FORMAT}"', 'kind = "fitted"']
    desc = f"Fitted by suigeo crs fit ({result.model}, {len(result.ids)} control points)"
    lines += [f"description = {_toml_value(desc)}", ""]
    if "helmert7" in planes:
        lines += _helmert7_comment(planes["helmert7"]["convention"])
        lines += _table("helmert7", planes["helmert7"])
    lines += _table("projection", projection.table())
    if "similarity" in planes:
        lines += [
            "# E' = dx_m + (1 + scale_ppm*1e-6) * (E*cos(t) - N*sin(t))",
            "# N' = dy_m + (1 + scale_ppm*1e-6) * (E*sin(t) + N*cos(t))",
            "# t = rotation_arcsec, POSITIVE ANTICLOCKWISE (east towards north): the rotation",
            "# of the position vector.",
        ]
        lines += _table("similarity", planes["similarity"])
    if "affine6" in planes:
        lines += ["# E' = a0 + a1*E + a2*N ;  N' = b0 + b1*E + b2*N"]
        lines += _table("affine6", planes["affine6"])
    if height:
        if "anomaly_model" in height:
            lines += [
                "# height anomaly zeta = h - H1985 (GPS levelling fit) of the [projection]'s E, N:",
                "# u = (E - anomaly_e0_m) / anomaly_scale_m,",
                "# v = (N - anomaly_n0_m) / anomaly_scale_m,",
                "# zeta = a0 + a1*u + a2*v (+ a3*u^2 + a4*u*v + a5*v^2 for quadratic)",
            ]
        lines += _table("height", dict(height))
    text = _HiddenText("\n".join(lines) + "\n")
    del lines  # the values live on only in ``text``, whose repr hides them
    with atomic_output(out, inputs=inputs) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(out)


def _table(name: str, values: Mapping[str, Any]) -> list[str]:
    return [f"[{name}]", *(f"{k} = {_toml_value(v)}" for k, v in values.items()), ""]


def _helmert7_comment(convention: str) -> list[str]:
    if convention == "position_vector":
        text = (
            "POSITION VECTOR convention (EPSG 9606/1033, IAG, ISO 19111): the rotations "
            "turn the position vector; X' = T + (1 + scale_ppm*1e-6) * R * X with "
            "R = [[1, -rz, ry], [rz, 1, -rx], [-ry, rx, 1]]."
        )
    else:
        text = (
            "COORDINATE FRAME convention (EPSG 9607/1032): the rotations turn the axes; "
            "X' = T + (1 + scale_ppm*1e-6) * R * X with R = [[1, rz, -ry], [-rz, 1, rx], "
            "[ry, -rx, 1]] (position-vector numbers with the signs of rx, ry, rz reversed)."
        )
    return [f"# {part}" for part in _wrap(text)]


def _wrap(text: str, width: int = 86) -> list[str]:
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    if cur:
        lines.append(cur)
    return lines


def components(model: str) -> tuple[str, ...]:
    """The names of a model's residual components (``dE, dN``; ``dX, dY, dZ``; ``dzeta``)."""
    if model in HEIGHT_MODELS:
        return ("dzeta",)
    return ("dE", "dN") if _DIM[model] == 2 else ("dX", "dY", "dZ")


def _header_lines(result: FitResult, source_name: str) -> list[str]:
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    comps = components(result.model)
    lines = [
        "# =====================================================================================",
        "#  FITTED PARAMETERS - your own survey result. Treat this file like the official",
        "#  parameters: keep it out of logs, maps, e-mail and version control.",
        "# =====================================================================================",
        f"# suigeo crs fit --model {result.model}, {now}",
        f"# control points: {len(result.ids)} from {source_name or 'control file'}; "
        f"degrees of freedom {result.degrees_of_freedom}",
        f"# residuals (target - fitted, metres): RMS {result.rms:.4f}, max {result.max:.4f}, "
        f"sigma0 {result.sigma0:.4f}",
        f"# outliers (|standardised residual| > {result.threshold:g}): "
        + (", ".join(np.array(result.ids)[result.outliers]) or "none"),
    ]
    if result.check is not None:
        lines.append(
            f"# check points: {len(result.check.ids)}, RMS {result.check.rms:.4f}, "
            f"max {result.check.max:.4f}"
        )
    lines.append("# per point: id " + " ".join(comps) + " |v| max|w|")
    for ident, v, w in zip(result.ids, result.residuals, result.standardised, strict=True):
        comp = " ".join(f"{c:+.4f}" for c in v)
        flag = "  OUTLIER" if np.abs(w).max() > result.threshold else ""
        lines.append(
            f"#   {ident} {comp} {float(np.sqrt((v**2).sum())):.4f} "
            f"{float(np.abs(w).max()):.2f}{flag}"
        )
    lines.append("")
    return lines


# --------------------------------------------------------------------------- one call
log = logging.getLogger(__name__)


def _projection_problem(projection: Projection, height: dict | None, source: str) -> str | None:
    """Why these tables would make a parameter file load_params refuses (values never)."""
    tables = _Hidden({"suigeo": {"format": FORMAT}, "projection": projection.table()})
    if height:
        tables["height"] = height
    try:
        validate_params(tables, source)
    except ParameterFileError as exc:
        return str(exc)
    return None


def _absolute_grids(height: dict | None, base: Path) -> dict | None:
    """The base's ``[height]`` with its grid paths made absolute (they were relative to the
    base file; the fitted file may be written elsewhere)."""
    if not height:
        return height
    out = _Hidden(height)
    for key in ("geoid", "correction_grid"):
        value = out.get(key)
        if isinstance(value, str) and value.strip() and not Path(value).expanduser().is_absolute():
            out[key] = str((base.resolve().parent / Path(value).expanduser()).resolve())
    return out


def _base_plane_tables(base: str | os.PathLike[str]) -> dict[str, Any]:
    """The base file's ``[helmert7]``, ``[similarity]`` and ``[affine6]`` (kept by a height
    fit). Checked when the fitted file is validated before it is written."""
    data = load_toml(base, what="base parameter file", error=ParameterFileError)
    return _Hidden(
        {
            k: dict(data[k])
            for k in ("helmert7", "similarity", "affine6")
            if isinstance(data.get(k), dict)
        }
    )


def fit_file(
    control: str | os.PathLike[str],
    model: str,
    out: str | os.PathLike[str],
    *,
    projection: Projection | None = None,
    base: str | os.PathLike[str] | None = None,
    check: str | os.PathLike[str] | None = None,
    convention: str = "position_vector",
    threshold: float = DEFAULT_OUTLIER_THRESHOLD,
    columns: Mapping[str, str] | None = None,
    report: str | os.PathLike[str] | None = None,
) -> FitResult:
    """Read ``control`` (and ``check``), fit ``model``, write the parameter file ``out``.

    ``columns`` maps roles to the tables' own column names (:func:`read_control`).
    ``report`` (``.html`` or ``.pdf``) also writes the fit report of
    :mod:`suigeo.crs.report` (residuals, statistics, a plan; never the parameters).

    The projection comes from ``projection`` or from the base parameter file ``base``
    (whose ``[height]`` table is carried over); exactly one of them is required.
    """
    _check_model(model)
    inputs = [control, check, base]
    check_outputs([out] if report is None else [out, report], inputs)  # before any work
    if report is not None and Path(report).suffix.lower() not in (".html", ".htm", ".pdf"):
        raise InputError(f"{str(report)!r}: a fit report is .html or .pdf")
    if (projection is None) == (base is None):
        raise InputError(
            "give the transverse Mercator of the target system: either a base parameter "
            "file (--base FILE) or --central-meridian with --scale or --projection-height"
        )
    height = None
    plane_tables = None
    if base is not None:
        projection, height = Projection.from_params_file(base)
        height = _absolute_grids(height, Path(base))
        if model in HEIGHT_MODELS:
            plane_tables = _base_plane_tables(base)
    assert projection is not None
    # the same checks as a parameter file, before PROJ ever sees the values
    problem = _projection_problem(projection, height, str(base or "(projection options)"))
    if problem is not None:
        raise ParameterFileError(problem)
    cp = read_control(control, model, projection, columns=columns)
    ck = read_control(check, model, projection, columns=columns) if check is not None else None
    log.info(
        "fit %s: %d control points from %s%s",
        model,
        len(cp.ids),
        control,
        f", {len(ck.ids)} check points from {check}" if ck is not None else "",
    )
    result = fit(cp, model, convention=convention, threshold=threshold, check=ck)
    log.info(
        "fit %s: RMS %.4f m, %d outlier(s); writing %s (parameters are not logged)",
        model,
        result.rms,
        int(result.outliers.sum()),
        out,
    )
    write_params(
        result,
        out,
        projection,
        inputs=inputs,
        height=height,
        source_name=Path(control).name,
        plane_tables=plane_tables,
    )
    if report is not None:
        from suigeo.crs.report import write_report

        write_report(
            result,
            report,
            cp,
            ck,
            inputs=inputs,
            control_name=Path(control).name,
            check_name=Path(check).name if check is not None else "",
        )
    return result
