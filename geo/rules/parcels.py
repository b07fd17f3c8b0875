"""Parcel indicators from the drawings against the regulatory-plan (控规) limits.

For each parcel: site area, built floor area (GFA), plot ratio (容积率), building coverage
(建筑密度), green ratio (绿地率) and maximum building height, each checked against the
parcel's own limits with inclusive bounds (不大于 / 不小于 include the number, 民法典
第1259条), the way the rule sets check theirs.

Inputs
------
Parcels (polygons) carry their limits in columns, by default ``far_max``, ``far_min``,
``coverage_max``, ``green_min``, ``height_max`` or the Chinese headers 容积率上限,
容积率下限, 建筑密度上限, 绿地率下限, 建筑限高 (``columns=`` names others); an id column
(``id``, ``parcel``, ``parcel_id``, 地块编号 or ``id_column=``). Coverage and green ratio are
ratios (0.35) or percentages (``35%`` in a cell, or a ``(%)`` header); a value over 1
without ``%`` is refused. Buildings (polygon footprints) carry ``floors`` (层数) or
``gfa_m2`` (建筑面积; area units as in the rule sets: ``(亩)``, ``(万平方米)`` ...) and
``height_m`` (建筑高度). Green spaces are polygons (any attributes).

Computation
-----------
Areas are plane areas in the Gauss-Krüger zone of the data: the input's own projected
system when it is a Transverse Mercator (Gauss-Krüger) projection, else the CGCS2000
3-degree zone whose central meridian is nearest the centre of the parcels (lon/lat, Web
Mercator, GZ2000 with its parameter file), or ``area_system=``. Every layer is brought
into that one plane.

- site area = area(parcel);
- a building's GFA is its ``gfa_m2``, else footprint area x ``floors``; a building that
  straddles parcels gives each parcel the share of its GFA that its footprint has inside
  the parcel (area(footprint ∩ parcel) / area(footprint)); straddling buildings are listed
  (:attr:`ParcelResult.straddling`), with the part outside every parcel;
- plot ratio = Σ apportioned GFA / site area;
- coverage = area(union of footprints ∩ parcel) / site area;
- green ratio = area(union of green ∩ parcel) / site area;
- height = the greatest ``height_m`` of the buildings with area inside the parcel (0 when
  none). A building that only touches a parcel (no common area) is not in it.

Pairs come from a shapely 2 ``STRtree`` query and vectorised intersections; sums per parcel
from ``numpy.bincount``. Footprints wholly inside a parcel (a prepared ``covers`` test) are
not intersected; only the pieces that straddle a parcel edge are. Footprints (or green
polygons) drawn overlapping each other are found among the pairs that share a parcel
(envelopes compared in numpy, then exact DE-9IM tests) and dissolved per parcel, one group
of mutually overlapping polygons at a time (grouped ``union_all``). The GEOS steps run in
chunks on one thread per core (up to 4): shapely releases the GIL, and each element is
computed alone, so the result does not depend on it.

Exact comparison
----------------
Geometry areas are taken as the binary numbers GEOS computes; the decimal inputs (limits,
GFA, floors, heights) as the decimals written. A value within 1e-9 (relative) of a limit is
recomputed in rationals (:class:`fractions.Fraction`) from those numbers and compared
exactly; farther values are decided in floating point, whose accumulated error is below
1e-10 relative even for a million terms. So a 100 m x 100 m parcel with 20000 m² of GFA has
a plot ratio of exactly 2 and passes ``far_max = 2.0``.

Statuses and rejects
--------------------
``pass`` / ``fail`` / ``not_evaluable`` per parcel and indicator, with a reason. Nothing is
dropped silently: parcels and buildings with invalid geometry, buildings in no parcel,
buildings without ``floors``/``gfa_m2`` or ``height_m``, and parcels missing a limit are
listed in :attr:`ParcelResult.rejects` (the ``suigeo.io`` rejects columns plus ``layer`` and
``id``); an indicator that such a row affects is ``not_evaluable`` with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from suigeo import crs
from suigeo.errors import InputError
from suigeo.geo.rules.inputs import _header_unit, area_unit, gk_zone_for_longitude
from suigeo.io.rejects import REJECT_COLUMNS

__all__ = [
    "INDICATORS",
    "LIMIT_COLUMNS",
    "PARCEL_STATUSES",
    "ParcelResult",
    "check_parcels",
    "parcel_map_layer",
    "render_parcels",
]

#: the indicators, in report order
INDICATORS = ("plot_ratio", "coverage", "green_ratio", "height")
PARCEL_STATUSES = ("pass", "fail", "not_evaluable")
PASS, FAIL, NE = 0, 1, 2

#: limit -> the headers understood for it (the first is the canonical name)
LIMIT_COLUMNS: dict[str, tuple[str, ...]] = {
    "far_max": ("far_max", "容积率上限", "容积率最大值", "最大容积率"),
    "far_min": ("far_min", "容积率下限", "容积率最小值", "最小容积率"),
    "coverage_max": ("coverage_max", "建筑密度上限", "建筑密度最大值", "最大建筑密度"),
    "green_min": ("green_min", "绿地率下限", "绿地率最小值", "最小绿地率"),
    "height_max": ("height_max", "建筑限高", "限高", "建筑高度上限"),
}
BUILDING_COLUMNS: dict[str, tuple[str, ...]] = {
    "floors": ("floors", "层数", "楼层数", "建筑层数"),
    "gfa_m2": ("gfa_m2", "建筑面积", "总建筑面积", "计容建筑面积"),
    "height_m": ("height_m", "建筑高度", "高度"),
}
ID_COLUMNS = ("id", "parcel", "parcel_id", "地块编号", "地块编码", "地块号")
BUILDING_ID_COLUMNS = ("id", "building", "building_id", "建筑编号", "楼号")
_RATIO = ("coverage_max", "green_min")  # ratios: 0.35 or 35%
_INDICATOR_LIMITS = {
    "plot_ratio": ("far_min", "far_max"),
    "coverage": (None, "coverage_max"),
    "green_ratio": ("green_min", None),
    "height": (None, "height_max"),
}
_NEAR = 1e-9  # relative band around a limit decided in rationals
REPORT_COLUMNS = ["parcel", "indicator", "value", "limit", "status", "reason"]
PARCEL_REJECT_COLUMNS = [*REJECT_COLUMNS, "layer", "id"]


# ------------------------------------------------------------------------------------ result


@dataclass
class ParcelResult:
    """Parcel indicators and their checks.

    Attributes
    ----------
    report
        One row per parcel and indicator: ``parcel``, ``indicator`` (plot_ratio, coverage,
        green_ratio, height), ``value``, ``limit`` (text: ``<= 2.5``, ``>= 1.0, <= 2.5``),
        ``status`` (pass / fail / not_evaluable), ``reason``.
    parcels
        One row per checked parcel: ``parcel``, ``site_area_m2``, ``gfa_m2``,
        ``footprint_m2``, ``green_m2``, ``plot_ratio``, ``coverage``, ``green_ratio``,
        ``height_m``, ``buildings`` (count with area inside), ``worst`` (fail >
        not_evaluable > pass) and the geometry in the area system.
    straddling
        One row per piece of a building that lies in more than one parcel or partly outside
        every parcel: ``building``, ``parcel`` (empty for the part outside), ``share``
        (of the footprint), ``gfa_m2`` (apportioned; NaN when unknown).
    rejects
        Rows read but not (fully) checked, with reasons (see the module docstring).
    area_system
        The name of the plane system the areas were computed in.
    """

    report: pd.DataFrame
    parcels: gpd.GeoDataFrame
    straddling: pd.DataFrame
    rejects: pd.DataFrame
    area_system: str
    exact_decisions: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def any_failed(self) -> bool:
        """True when some parcel fails some indicator."""
        return bool((self.report["status"] == "fail").any())

    def to_dict(self) -> dict[str, Any]:
        """The JSON document: area system, counts, results, parcels, straddling, rejects."""
        per = pd.DataFrame(self.parcels.drop(columns=self.parcels.geometry.name))
        return {
            "area_system": self.area_system,
            "counts": self.counts,
            "rejected_rows": len(self.rejects),
            "results": _records(self.report),
            "parcels": _records(per),
            "straddling": _records(self.straddling),
        }


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = df.astype(object).where(df.notna(), None)
    return out.to_dict(orient="records")


# ------------------------------------------------------------------------------------ inputs


@dataclass
class _Col:
    """A numeric column: floats, and the cells as written for exact values."""

    values: np.ndarray
    raw: np.ndarray  # object: the cell (str / number / None)
    factor: Fraction = Fraction(1)

    def exact(self, i: int) -> Fraction:
        v = self.raw[i]
        if isinstance(v, str):
            text, unit = _split_unit(v)
            if not unit:
                return Fraction(text) * self.factor
            return Fraction(text) * (_UNIT_FACTORS.get(unit) or area_unit(unit) or 1)
        return Fraction(repr(float(v))) * self.factor


_UNIT_FACTORS = {"%": Fraction(1, 100), "％": Fraction(1, 100), "m": Fraction(1), "米": Fraction(1)}
#: the units a cell or header may carry, per kind of column (areas: the area units)
_KIND_UNITS = {"ratio": ("%", "％"), "height": ("m", "米"), "number": ("层",)}


def _unit_factor(kind: str, unit: str) -> Fraction | None:
    if kind == "area":
        return area_unit(unit)
    if unit in _KIND_UNITS[kind]:
        return _UNIT_FACTORS.get(unit, Fraction(1))
    return None


def _split_unit(text: str) -> tuple[str, str]:
    t = text.strip()
    i = len(t)
    while i > 0 and not (t[i - 1].isdigit() or t[i - 1] == "."):
        i -= 1
    return t[:i].strip(), t[i:].strip()


def _find(frame: pd.DataFrame, names: tuple[str, ...], override: str | None):
    """The column for a quantity (override first), and the unit written in its header."""
    if override is not None:
        if override not in frame.columns:
            raise InputError(f"column {override!r} (named with columns=) is not in the layer")
        split = _header_unit(override)
        return override, split[1] if split else ""
    for col in frame.columns:
        split = _header_unit(col)
        base = split[0] if split else str(col).strip()
        if base in names or base.lower() in names:
            return col, split[1] if split else ""
    for col in frame.columns:  # a Shapefile cuts field names to 10 characters
        if len(str(col)) == 10 and str(col).lower() == names[0][:10]:
            return col, ""
    return None, ""


def _numeric(
    frame: pd.DataFrame, col: str, header_unit: str, kind: str, what: str
) -> tuple[_Col, np.ndarray]:
    """Parse a column: floats (NaN when blank), and per row a problem text (or '')."""
    s = frame[col]
    n = len(s)
    problem = np.full(n, "", dtype=object)
    factor = _unit_factor(kind, header_unit) if header_unit else Fraction(1)
    if factor is None:
        raise InputError(f"{what}: column {col!r}: unit {header_unit!r} is not understood here")
    if pd.api.types.is_bool_dtype(s.dtype):
        raw = s.to_numpy(dtype=object)
        problem[:] = "not a number"
        return _Col(np.full(n, np.nan), raw, factor), problem
    if pd.api.types.is_numeric_dtype(s.dtype):
        vals = s.to_numpy(dtype=np.float64, na_value=np.nan) * float(factor)
        return _Col(vals, s.to_numpy(dtype=object), factor), problem
    raw = s.astype(object).where(s.notna(), None).to_numpy(dtype=object)
    text = s.astype("string").str.strip()
    pct = text.str.endswith("%") | text.str.endswith("％")
    pct = pct.to_numpy(dtype=bool, na_value=False) if kind == "ratio" else np.zeros(n, bool)
    plain = text.str.rstrip("%％") if pct.any() else text
    vals = pd.to_numeric(plain, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    vals = np.where(pct, vals / 100, vals * float(factor))  # exact values: _Col.exact
    todo = np.flatnonzero(np.isnan(vals) & np.not_equal(raw, None))  # type: ignore[call-overload]  # numpy's stubs refuse None; elementwise `is not None`
    for i in todo:  # the cells that are not plain numbers: units, blanks, garbage
        text = str(raw[i]).strip()
        if not text:
            raw[i] = None
            continue
        num, unit = _split_unit(text)
        unit_factor = _unit_factor(kind, unit) if unit else factor
        if unit_factor is None:
            problem[i] = f"wrong unit {unit!r}"
            continue
        try:
            vals[i] = float(Fraction(num) * unit_factor)
        except (ValueError, ZeroDivisionError):
            problem[i] = "not a number"
            continue
        if not unit:
            raw[i] = float(num)  # a plain number in an odd spelling: header factor applies
    with np.errstate(invalid="ignore"):
        problem[(vals < 0) & (problem == "")] = "negative"
        problem[~np.isfinite(vals) & ~np.isnan(vals) & (problem == "")] = "not finite"
    bad = problem != ""
    vals[bad] = np.nan
    return _Col(vals, raw, factor), problem


class _RowIds:
    """The ids of a layer without an id column: its positions counted from 1, as text,
    made only for the rows asked for (a million buildings need few of them)."""

    def __init__(self, index: np.ndarray):
        self.index = index  # 0-based positions

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, key: Any) -> np.ndarray:
        return np.array([str(i + 1) for i in self.index[key].tolist()], dtype=object)

    def subset(self, key: Any) -> _RowIds:
        return _RowIds(self.index[key])


def _subset(ids: np.ndarray | _RowIds, key: Any) -> np.ndarray | _RowIds:
    return ids.subset(key) if isinstance(ids, _RowIds) else ids[key]


def _ids(
    frame: pd.DataFrame,
    id_column: str | None,
    names: tuple[str, ...],
    what: str,
    lazy: bool = False,
) -> tuple[Any, str | None]:
    col = id_column
    if col is None:
        col = next((c for c in names if c in frame.columns), None)
    if col is None:
        if lazy:
            return _RowIds(np.arange(len(frame))), None
        raw = np.arange(1, len(frame) + 1)
        return np.array([str(i) for i in raw.tolist()], dtype=object), None
    if col not in frame.columns:
        raise InputError(f"{what}: no id column {col!r}")
    s = frame[col]
    if pd.api.types.is_float_dtype(s.dtype) and (s.dropna() % 1 == 0).all():
        s = s.astype("Int64")  # 7.0 -> "7"
    ids = s.astype("string").str.strip().fillna("").to_numpy(dtype=object)
    if what == "parcels":
        dup = pd.Series(ids).duplicated(keep=False).to_numpy() & (ids != "")
        if dup.any():
            first = ids[np.flatnonzero(dup)[0]]
            raise InputError(f"{what}: column {col!r}: duplicate parcel id {first!r}")
    return ids, col


# -------------------------------------------------------------------------------- geometry


def _plane(
    frames: list[gpd.GeoDataFrame | None],
    src: Any,
    params: Any,
    area_system: Any,
) -> tuple[list[gpd.GeoDataFrame | None], str]:
    """Bring every layer into one plane system (see the module docstring)."""
    first = frames[0]
    assert first is not None
    source = crs.resolve(src) if src is not None else crs.frame_system(first)
    if area_system is not None:
        target = crs.resolve(area_system)
        if target.kind != "projected":
            raise InputError(f"area system {target.name} is not a plane (projected) system")
    elif _is_gauss_kruger(source):
        target = source
    else:
        b = shapely.bounds(np.asarray(first.geometry.array))
        ok = np.isfinite(b).all(axis=1)
        if not ok.any():
            raise InputError("parcels: no geometry to take the Gauss-Krüger zone from")
        cx = (np.nanmin(b[ok, 0]) + np.nanmax(b[ok, 2])) / 2
        cy = (np.nanmin(b[ok, 1]) + np.nanmax(b[ok, 3])) / 2
        if source.is_geographic and source.kind == "geographic":
            lon = cx
        else:
            lon, _ = crs.transform(
                np.array([cx]), np.array([cy]), src=source, dst="CGCS2000", params=params
            )[:2]
            lon = float(lon[0])
        target = gk_zone_for_longitude(float(lon))
    out: list[gpd.GeoDataFrame | None] = []
    for f in frames:
        if f is None:
            out.append(None)
            continue
        s = crs.resolve(src) if src is not None else crs.frame_system(f)
        if s.name == target.name or (s.epsg is not None and s.epsg == target.epsg):
            out.append(f)
        else:
            out.append(crs.to_crs(f, target, params, src=s))
    return out, f"{target.name}" + (f" (EPSG:{target.epsg})" if target.epsg else "")


def _is_gauss_kruger(system: crs.System) -> bool:
    """A plane system whose areas are used as they are: a Transverse Mercator (Gauss-Krüger)
    projection PROJ knows. Others (Web Mercator, GZ2000 with its own parameters...) are
    brought into the CGCS2000 Gauss-Krüger zone of the data."""
    if system.kind != "projected" or system.needs_params or system.pyproj_crs is None:
        return False
    op = system.pyproj_crs.coordinate_operation
    return op is not None and op.method_name == "Transverse Mercator"


def _valid(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(usable mask, reason per row) for polygon layers."""
    kinds = shapely.get_type_id(geoms)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    poly = np.isin(kinds, (3, 6))
    valid = np.zeros(len(geoms), bool)
    valid[poly & ~missing] = _par(shapely.is_valid, geoms[poly & ~missing])
    reason = np.full(len(geoms), "", dtype=object)
    reason[~poly & ~missing] = "not a polygon"
    reason[missing] = "no geometry"
    bad = poly & ~missing & ~valid
    if bad.any():
        reason[bad] = [f"invalid polygon: {r}" for r in shapely.is_valid_reason(geoms[bad])]
    return poly & ~missing & valid, reason


@dataclass
class _Overlay:
    """A polygon layer intersected with the parcels: pairs and areas."""

    li: np.ndarray  # layer index of each pair
    pi: np.ndarray  # parcel index of each pair
    area: np.ndarray  # area of layer feature ∩ parcel (> 0 only)
    covered: np.ndarray  # per parcel: area of the union of the layer ∩ parcel
    overlapping: np.ndarray  # per parcel: the layer's polygons overlap inside it
    pieces: np.ndarray  # the intersection geometries of the pairs
    order: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    starts: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))

    def members(self, i: int) -> np.ndarray:
        """The pairs of parcel ``i`` (indices into li/pi/area)."""
        return self.order[self.starts[i] : self.starts[i + 1]]


#: below this many elements a GEOS step runs in one thread (threads cost more than they save)
_PARALLEL_MIN = 20_000


def _workers() -> int:
    """Threads for the GEOS steps: shapely releases the GIL, so each core takes a chunk."""
    return max(1, min(4, os.cpu_count() or 1))


def _chunked(fn: Any, n: int) -> list[Any]:
    """``fn(start, stop)`` over ``n`` elements cut in chunks for the worker threads (four a
    thread, so a core slowed by other work takes fewer), the results in order."""
    k = _workers() if n >= _PARALLEL_MIN else 1
    if k == 1:
        return [fn(0, n)]
    from concurrent.futures import ThreadPoolExecutor

    cuts = np.linspace(0, n, 4 * k + 1).astype(np.int64).tolist()
    with ThreadPoolExecutor(k) as pool:
        return list(pool.map(fn, cuts[:-1], cuts[1:]))


def _par(op: Any, *arrays: np.ndarray) -> np.ndarray:
    """An element-wise shapely function over equal-length arrays, chunked over the threads
    (the same values as one call: each element is computed alone)."""
    parts = _chunked(lambda a, b: op(*(x[a:b] for x in arrays)), len(arrays[0]))
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _par_query(tree: shapely.STRtree, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``tree.query(geoms)`` (envelope candidates, sorted by input index) over the threads."""

    def part(a: int, b: int) -> np.ndarray:
        got = tree.query(geoms[a:b])
        got[0] += a
        return got

    parts = _chunked(part, len(geoms))
    got = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
    return got[0], got[1]


def _interiors_meet(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether the interiors of two polygons meet (DE-9IM ``T********``): a common area.
    Exact (GEOS's robust predicates: they intersect and do not merely touch) and without
    building the intersection."""
    out = shapely.intersects(a, b)
    meet = np.flatnonzero(out)
    out[meet] = ~shapely.touches(a[meet], b[meet])
    return out


def _overlay(parcels: np.ndarray, layer: np.ndarray) -> _Overlay:
    n = len(parcels)
    tree = shapely.STRtree(parcels)
    li, pi = _par_query(tree, layer)  # envelope candidates
    # Most footprints lie in the only parcel whose envelope they meet, or wholly in one of
    # several: then the piece is the footprint itself (a prepared ``covers`` test, no
    # intersection). Only the others are intersected: the pieces that straddle a parcel edge.
    shapely.prepare(parcels)  # before any thread: preparing writes to the geometry
    whole = shapely.covers(parcels[pi], layer[li])
    covered_by = np.zeros(len(layer), bool)
    covered_by[li[whole]] = True
    # a footprint wholly inside one parcel has no area in another unless the parcels overlap
    # each other; then those pairs are intersected like the straddling ones
    cut = ~whole
    if cut.any():
        # pairs whose footprint is covered by another parcel: measured only where the
        # footprint's interior meets this parcel's (parcels drawn overlapping each other)
        sel = np.flatnonzero(cut & covered_by[li])
        if len(sel):
            meet = _par(_interiors_meet, layer[li[sel]], parcels[pi[sel]])
            cut[sel[~meet]] = False
    pieces = layer[li].copy()
    todo = np.flatnonzero(cut)
    pieces[todo] = _par(shapely.intersection, layer[li[todo]], parcels[pi[todo]])
    area = np.zeros(len(li))
    area[whole] = shapely.area(layer)[li[whole]]
    area[todo] = shapely.area(pieces[todo])
    keep = area > 0
    li, pi, area, pieces = li[keep], pi[keep], area[keep], pieces[keep]
    covered = np.bincount(pi, weights=area, minlength=n)
    order = np.argsort(pi, kind="stable")
    starts = np.searchsorted(pi[order], np.arange(n + 1))
    overlapping = np.zeros(n, bool)
    ov = _Overlay(li, pi, area, covered, overlapping, pieces, order, starts)
    _dissolve_overlaps(ov, layer)
    return ov


#: parcels with more polygons than this find their overlapping pairs with an STRtree
_GROUP_PAIRS_MAX = 64
_PAIRS_AT_ONCE = 1 << 20  # candidate pairs held at once (memory)


def _candidate_pairs(ov: _Overlay, layer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (a < b) of layer polygons that have pieces in a common parcel and whose
    envelopes overlap with a positive area (envelopes that only touch cannot hold polygons
    whose interiors meet), each pair once. The pairs of a parcel are enumerated in numpy,
    parcels of one size at once; a parcel with more than :data:`_GROUP_PAIRS_MAX` polygons
    queries an STRtree of its own polygons instead."""
    bounds = shapely.bounds(layer)
    members = ov.li[ov.order]
    sizes = np.diff(ov.starts)
    found_a: list[np.ndarray] = []
    found_b: list[np.ndarray] = []

    def keep(a: np.ndarray, b: np.ndarray) -> None:
        ba, bb = bounds[a], bounds[b]
        overlap = (np.maximum(ba[:, 0], bb[:, 0]) < np.minimum(ba[:, 2], bb[:, 2])) & (
            np.maximum(ba[:, 1], bb[:, 1]) < np.minimum(ba[:, 3], bb[:, 3])
        )
        lo, hi = np.minimum(a, b)[overlap], np.maximum(a, b)[overlap]
        found_a.append(lo)
        found_b.append(hi)

    for size in np.unique(sizes[(sizes > 1) & (sizes <= _GROUP_PAIRS_MAX)]).tolist():
        groups = np.flatnonzero(sizes == size)
        i, j = np.triu_indices(size, 1)
        step = max(1, _PAIRS_AT_ONCE // len(i))
        for at in range(0, len(groups), step):
            rows = ov.starts[groups[at : at + step]][:, None] + np.arange(size)
            block = members[rows]  # (groups, size): the polygons of each parcel
            keep(block[:, i].ravel(), block[:, j].ravel())
    for g in np.flatnonzero(sizes > _GROUP_PAIRS_MAX).tolist():
        own = members[ov.starts[g] : ov.starts[g + 1]]
        x, y = shapely.STRtree(layer[own]).query(layer[own])
        keep(own[x[x < y]], own[y[x < y]])
    if not found_a:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    a, b = np.concatenate(found_a), np.concatenate(found_b)
    key = np.unique(a.astype(np.int64) * len(layer) + b)  # a pair met in several parcels
    return key // len(layer), key % len(layer)


def _dissolve_overlaps(ov: _Overlay, layer: np.ndarray) -> None:
    """Footprints drawn overlapping each other (a tower over its podium) count once.

    Only an overlap inside a parcel changes a coverage, and then both polygons have a piece
    in that parcel: the candidate pairs are the pairs of polygons with pieces in a common
    parcel whose envelopes overlap (:func:`_candidate_pairs`), then those whose interiors
    meet (DE-9IM ``T********``). They are grouped into connected components, and in each
    parcel the pieces of each component are dissolved together (``union_all`` per group,
    the groups of one size at once). Pieces of polygons that overlap no other keep their
    areas; a parcel is marked ``overlapping`` when some group of it has more than one piece."""
    n = len(ov.covered)
    a, b = _candidate_pairs(ov, layer)
    if len(a):
        inner = _par(_interiors_meet, layer[a], layer[b])
        a, b = a[inner], b[inner]
    if not len(a):
        return
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    nodes = np.unique(np.concatenate([a, b]))
    k = len(nodes)
    graph = coo_matrix(
        (np.ones(len(a), np.int8), (np.searchsorted(nodes, a), np.searchsorted(nodes, b))),
        shape=(k, k),
    )
    ncomp, comp = connected_components(graph, directed=False)
    label = np.full(len(layer), -1, np.int64)
    label[nodes] = comp
    lab = label[ov.li]
    inv = np.flatnonzero(lab >= 0)  # pairs whose footprint overlaps another footprint
    _, g = np.unique(ov.pi[inv].astype(np.int64) * ncomp + lab[inv], return_inverse=True)
    g = g.ravel()
    sizes = np.bincount(g)
    multi = sizes[g] > 1
    inv, g = inv[multi], g[multi]
    if not len(inv):
        return
    _, g = np.unique(g, return_inverse=True)  # groups of two or more pieces, numbered 0..
    g = g.ravel()
    sizes = np.bincount(g)
    order = np.lexsort((inv, g))
    inv, g = inv[order], g[order]
    first = np.searchsorted(g, np.arange(len(sizes)))
    rank = np.arange(len(g)) - first[g]  # position of each piece in its group
    group_parcel = ov.pi[inv[first]]
    union_area = np.zeros(len(sizes))
    width = 2 ** np.ceil(np.log2(sizes)).astype(np.int64)  # groups padded to a power of 2
    for w in np.unique(width).tolist():
        gs = np.flatnonzero(width == w)
        table = np.full((len(gs), w), None, dtype=object)
        at = np.full(len(sizes), -1, np.int64)
        at[gs] = np.arange(len(gs))
        sel = at[g] >= 0
        table[at[g[sel]], rank[sel]] = ov.pieces[inv[sel]]
        union_area[gs] = shapely.area(_par(lambda t: shapely.union_all(t, axis=1), table))
    solo = np.ones(len(ov.li), bool)
    solo[inv] = False
    ov.covered[:] = np.bincount(ov.pi[solo], weights=ov.area[solo], minlength=n)
    ov.covered += np.bincount(group_parcel, weights=union_area, minlength=n)
    ov.overlapping[group_parcel] = True


# ------------------------------------------------------------------------------------ engine


def _read(obj: Any, what: str) -> tuple[gpd.GeoDataFrame, np.ndarray, pd.DataFrame]:
    """A GeoDataFrame as is, or a file read by :func:`suigeo.io.read_layer`."""
    if isinstance(obj, gpd.GeoDataFrame):
        return obj.reset_index(drop=True), np.arange(1, len(obj) + 1), _empty_rejects()
    if isinstance(obj, str | os.PathLike):
        from suigeo.io.vector import read_layer

        got = read_layer(obj, what=what)
        rej = got.rejects
        out = pd.DataFrame(
            {
                "row": rej["row"].to_numpy(),
                "column": rej["column"].to_numpy(),
                "reason": rej["reason"].to_numpy(),
                "message": rej["message"].to_numpy(),
                "layer": what,
                "id": None,
            },
            columns=PARCEL_REJECT_COLUMNS,
        )
        return got.frame.reset_index(drop=True), np.asarray(got.rows), out
    raise InputError(f"{what}: expected a GeoDataFrame or a file path, not {type(obj).__name__}")


def _empty_rejects() -> pd.DataFrame:
    return pd.DataFrame(columns=PARCEL_REJECT_COLUMNS)


def _rejects(rows, column, reason, message, layer: str, ids) -> pd.DataFrame:
    rows = np.asarray(rows)
    k = len(rows)

    def col(v):
        return v if isinstance(v, list | np.ndarray) else [v] * k

    return pd.DataFrame(
        {
            "row": rows.astype(np.int64),
            "column": col(column),
            "reason": col(reason),
            "message": col(message),
            "layer": layer,
            "id": col(ids),
        },
        columns=PARCEL_REJECT_COLUMNS,
    )


def check_parcels(
    parcels: gpd.GeoDataFrame | str | os.PathLike[str],
    buildings: gpd.GeoDataFrame | str | os.PathLike[str],
    green: gpd.GeoDataFrame | str | os.PathLike[str] | None = None,
    *,
    columns: Mapping[str, str] | None = None,
    id_column: str | None = None,
    src: str | int | None = None,
    params: Any = None,
    area_system: str | int | None = None,
) -> ParcelResult:
    """Compute each parcel's plot ratio, coverage, green ratio and height and check them.

    Parameters
    ----------
    parcels
        Parcel polygons with their limits (GeoDataFrame or a file read through
        :mod:`suigeo.io`): ``far_max``, ``far_min``, ``coverage_max``, ``green_min``,
        ``height_max`` or 容积率上限, 容积率下限, 建筑密度上限, 绿地率下限, 建筑限高.
    buildings
        Building footprints with ``floors`` (层数) or ``gfa_m2`` (建筑面积), and
        ``height_m`` (建筑高度).
    green
        Green-space polygons; without them the green ratio is ``not_evaluable``.
    columns
        Other column names: ``{"far_max": "FAR_UP", "floors": "NLAYER", ...}``.
    id_column
        The parcels' id column (default the first of id, parcel, parcel_id, 地块编号).
    src
        The system the layers are in when their files do not say (``GZ2000``, a GK zone,
        an EPSG code); default each layer's own CRS.
    params
        The Guangzhou 2000 parameter file, for GZ2000 input.
    area_system
        The plane system for areas (default: the data's Gauss-Krüger zone).

    Returns
    -------
    ParcelResult
        ``report`` (one row per parcel and indicator), ``parcels``, ``straddling``,
        ``rejects``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> parcels = gpd.GeoDataFrame({"id": ["A"], "far_max": [2.0], "coverage_max": ["40%"]},
    ...                            geometry=[box(0, 0, 100, 100)], crs="EPSG:4526")
    >>> buildings = gpd.GeoDataFrame({"floors": [10], "height_m": [33.0]},
    ...                              geometry=[box(10, 10, 60, 50)], crs="EPSG:4526")
    >>> res = check_parcels(parcels, buildings)
    >>> res.report[["indicator", "value", "status"]].values.tolist()[:2]
    [['plot_ratio', 2.0, 'pass'], ['coverage', 0.2, 'pass']]
    """
    columns = dict(columns or {})
    unknown = set(columns) - set(LIMIT_COLUMNS) - set(BUILDING_COLUMNS)
    if unknown:
        known = ", ".join([*LIMIT_COLUMNS, *BUILDING_COLUMNS])
        raise InputError(f"columns=: unknown quantities {sorted(unknown)}; known: {known}")
    pframe, prows, prej = _read(parcels, "parcels")
    bframe, brows, brej = _read(buildings, "buildings")
    gframe, grows, grej = (None, None, _empty_rejects())
    if green is not None:
        gframe, grows, grej = _read(green, "green")
    (pframe, bframe, gframe), system_name = _plane(
        [pframe, bframe, gframe], src, params, area_system
    )
    return _run(
        pframe, prows, bframe, brows, gframe, grows, [prej, brej, grej], columns, id_column,
        system_name,
    )  # fmt: skip


def _columns(frame, spec, columns, ok, rows, ids, layer, code, rejects):
    """Parse the numeric columns of ``spec`` (limits or building attributes).

    Returns {quantity: _Col or None} and {quantity: mask of cells with a problem}; the
    problems of usable rows go to ``rejects``."""
    got: dict[str, _Col | None] = {}
    bad_cells: dict[str, np.ndarray] = {}
    for name, names in spec.items():
        col, unit = _find(frame, names, columns.get(name))
        if col is None:
            got[name] = None
            continue
        c, problem = _numeric(frame, col, unit, _KINDS[name], layer)
        if name in _RATIO:
            over = (c.values > 1) & (problem == "")
            problem[over] = "a ratio over 1: give 0.35 or 35%"
            c.values[over] = np.nan
        got[name] = c
        bad_cells[name] = problem != ""
        bad = bad_cells[name] & ok
        if bad.any():
            rejects.append(_rejects(rows[bad], col, code, problem[bad], layer, ids[bad]))
    return got, bad_cells


_KINDS = {
    "far_max": "number",
    "far_min": "number",
    "coverage_max": "ratio",
    "green_min": "ratio",
    "height_max": "height",
    "floors": "number",
    "gfa_m2": "area",
    "height_m": "height",
}


def _run(pframe, prows, bframe, brows, gframe, grows, rejects, columns, id_column, system):
    pids, _ = _ids(pframe, id_column, ID_COLUMNS, "parcels")
    bids, _ = _ids(bframe, None, BUILDING_ID_COLUMNS, "buildings", lazy=True)
    pgeo = np.asarray(pframe.geometry.array)
    bgeo = np.asarray(bframe.geometry.array)
    pok, preason = _valid(pgeo)
    bok, breason = _valid(bgeo)
    empty_id = (pids == "") & pok
    preason[empty_id] = "empty parcel id"
    pok &= ~empty_id
    rejects.append(_rejects(prows[~pok], "geometry", "invalid_geometry", preason[~pok],
                            "parcels", pids[~pok]))  # fmt: skip
    rejects.append(_rejects(brows[~bok], "geometry", "invalid_geometry", breason[~bok],
                            "buildings", bids[~bok]))  # fmt: skip
    limits, lim_bad = _columns(pframe, LIMIT_COLUMNS, columns, pok, prows, pids, "parcels",
                               "bad_limit", rejects)  # fmt: skip
    attrs, attr_bad = _columns(bframe, BUILDING_COLUMNS, columns, bok, brows, bids,
                               "buildings", "bad_value", rejects)  # fmt: skip
    pidx = np.flatnonzero(pok)
    bidx = np.flatnonzero(bok)
    P, B = pgeo[pidx], bgeo[bidx]
    n, m = len(P), len(B)
    site = shapely.area(P)
    ov = _overlay(P, B)
    footprint = shapely.area(B)

    nan = np.full(m, np.nan)
    floors = attrs["floors"].values[bidx] if attrs["floors"] else nan
    gfa_given = attrs["gfa_m2"].values[bidx] if attrs["gfa_m2"] else nan
    height = attrs["height_m"].values[bidx] if attrs["height_m"] else nan
    has_gfa = ~np.isnan(gfa_given) | ~np.isnan(floors)
    for name in ("floors", "gfa_m2"):  # a bad value makes the GFA unknown (not a fallback)
        if name in attr_bad:
            has_gfa &= ~attr_bad[name][bidx]
    # apportioned GFA of each (building, parcel) piece: gfa x share, or floors x piece area
    share = ov.area / footprint[ov.li]
    piece_gfa = np.where(
        ~np.isnan(gfa_given[ov.li]), gfa_given[ov.li] * share, floors[ov.li] * ov.area
    )
    gfa = np.bincount(ov.pi, weights=np.nan_to_num(piece_gfa), minlength=n)
    nb = np.bincount(ov.pi, minlength=n)
    no_gfa = np.bincount(ov.pi, weights=~has_gfa[ov.li], minlength=n) > 0
    no_height = np.bincount(ov.pi, weights=np.isnan(height[ov.li]), minlength=n) > 0
    hmax = np.zeros(n)
    np.maximum.at(hmax, ov.pi, np.nan_to_num(height[ov.li], nan=0.0))

    # buildings in no parcel, partly outside, straddling; buildings lacking attributes
    inside = np.bincount(ov.li, weights=ov.area, minlength=m)
    out_share = 1.0 - inside / footprint
    nowhere = inside == 0
    rejects.append(_rejects(brows[bidx[nowhere]], "geometry", "in_no_parcel",
                            "the footprint lies in no parcel (not counted anywhere)",
                            "buildings", bids[bidx[nowhere]]))  # fmt: skip
    for name, need, text in (
        ("floors", ~has_gfa & ~nowhere, "neither floors nor gfa_m2 (the GFA is unknown)"),
        ("height_m", np.isnan(height) & ~nowhere, "no height_m (the height is unknown)"),
    ):
        if need.any():
            rejects.append(_rejects(brows[bidx[need]], name, "missing_value", text,
                                    "buildings", bids[bidx[need]]))  # fmt: skip
    nparcels = np.bincount(ov.li, minlength=m)
    partly_out = (out_share > 1e-9) & ~nowhere
    strad = (nparcels > 1) | partly_out
    straddling = _straddling(ov, strad, partly_out, out_share, _subset(bids, bidx), pids[pidx],
                             gfa_given, floors, footprint, piece_gfa)  # fmt: skip

    # rejected buildings (invalid geometry) whose envelope meets a parcel: cannot be measured
    unsure = np.zeros(n, bool)
    bad_b = np.flatnonzero(~bok & ~(shapely.is_missing(bgeo) | shapely.is_empty(bgeo)))
    if len(bad_b):
        hit = shapely.STRtree(P).query(shapely.envelope(bgeo[bad_b]), predicate="intersects")
        unsure[np.unique(hit[1])] = True

    # green
    if gframe is not None:
        ggeo = np.asarray(gframe.geometry.array)
        gok, greason = _valid(ggeo)
        gids = np.asarray(grows)[~gok].astype(str).astype(object)
        rejects.append(_rejects(grows[~gok], "geometry", "invalid_geometry", greason[~gok],
                                "green", gids))  # fmt: skip
        gov = _overlay(P, ggeo[gok])
        green_area = gov.covered
        g_unsure = np.zeros(n, bool)
        bad_g = np.flatnonzero(~gok & ~(shapely.is_missing(ggeo) | shapely.is_empty(ggeo)))
        if len(bad_g):
            hit = shapely.STRtree(P).query(shapely.envelope(ggeo[bad_g]), predicate="intersects")
            g_unsure[np.unique(hit[1])] = True
    else:
        gov, green_area, g_unsure = None, np.full(n, np.nan), np.zeros(n, bool)

    ctx = _Ctx(site, ov, gov, gfa_given, floors, attrs, bidx, height, footprint)
    values = {
        "plot_ratio": _div(gfa, site),
        "coverage": _div(ov.covered, site),
        "green_ratio": _div(green_area, site),
        "height": hmax,
    }
    rejected_b = _why(unsure, "a building whose geometry was rejected may lie in it")
    unknown = {
        "plot_ratio": _join(_why(no_gfa, "a building in it has neither floors nor gfa_m2"),
                            rejected_b),
        "coverage": rejected_b,
        "green_ratio": _join(
            _why(np.full(n, gframe is None), "no green layer given (--green)"),
            _why(g_unsure, "a green polygon whose geometry was rejected may lie in it"),
        ),
        "height": _join(_why(no_height, "a building in it has no height_m"), rejected_b),
    }  # fmt: skip
    report, worst, exact_count, no_limits = _judge(
        values, unknown, limits, lim_bad, pidx, pids, ctx
    )
    for ind, none in no_limits.items():  # a parcel without any limit for an indicator
        if none.any():
            names = " / ".join(x for x in _INDICATOR_LIMITS[ind] if x)
            rejects.append(_rejects(prows[pidx[none]], names, "missing_limit",
                                    f"no {names} for this parcel: {ind} not checked",
                                    "parcels", pids[pidx[none]]))  # fmt: skip
    per = gpd.GeoDataFrame(
        {
            "parcel": pids[pidx],
            "site_area_m2": site,
            "gfa_m2": np.where(no_gfa, np.nan, gfa),
            "footprint_m2": ov.covered,
            "green_m2": green_area,
            "plot_ratio": values["plot_ratio"],
            "coverage": values["coverage"],
            "green_ratio": values["green_ratio"],
            "height_m": np.where(no_height, np.nan, hmax),
            "buildings": nb,
            "worst": pd.Categorical.from_codes(worst, ["pass", "fail", "not_evaluable"]),
        },
        geometry=P,
        crs=pframe.crs,
    )
    per["worst"] = per["worst"].astype(str)
    per.attrs.update(pframe.attrs)
    rej = (
        pd.concat([r for r in rejects if len(r)], ignore_index=True)
        if any(len(r) for r in rejects)
        else _empty_rejects()
    )
    counts = report["status"].value_counts().reindex(PARCEL_STATUSES, fill_value=0)
    return ParcelResult(
        report, per, straddling, rej, system, exact_count, {k: int(v) for k, v in counts.items()}
    )


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / b, np.nan)


def _why(mask: np.ndarray, text: str) -> np.ndarray:
    """An object array: ``text`` where mask, '' elsewhere."""
    out = np.full(len(mask), "", dtype=object)
    out[mask] = text
    return out


def _join(*parts: np.ndarray) -> np.ndarray:
    """Reason texts joined with '; ', skipping empty ones, element-wise."""
    out = np.asarray(parts[0], dtype=object).copy()
    for b in parts[1:]:
        both = (out != "") & (b != "")
        out = np.where(out == "", b, out).astype(object)
        out[both] = out[both] + "; " + b[both]
    return out


@dataclass
class _Ctx:
    site: np.ndarray
    ov: _Overlay
    gov: _Overlay | None
    gfa_given: np.ndarray
    floors: np.ndarray
    attrs: dict
    bidx: np.ndarray
    height: np.ndarray
    footprint: np.ndarray


def _straddling(ov, strad, partly_out, out_share, bids, pids, gfa_given, floors, footprint,
                piece_gfa) -> pd.DataFrame:  # fmt: skip
    sel = strad[ov.li]
    li, pi = ov.li[sel], ov.pi[sel]
    share = ov.area[sel] / footprint[li]
    parts = pd.DataFrame(
        {"building": bids[li], "parcel": pids[pi], "share": share, "gfa_m2": piece_gfa[sel]}
    )
    out = np.flatnonzero(partly_out)
    total = np.where(~np.isnan(gfa_given), gfa_given, floors * footprint)
    outside = pd.DataFrame(
        {
            "building": bids[out],
            "parcel": None,
            "share": out_share[out],
            "gfa_m2": total[out] * out_share[out],
        }
    )
    both = pd.concat([parts, outside], ignore_index=True) if len(outside) else parts
    order = np.lexsort((both["parcel"].isna().to_numpy(), both["building"].to_numpy()))
    return both.iloc[order].reset_index(drop=True)


def _judge(values, unknown, limits, lim_bad, pidx, pids, ctx):
    """Status and reason of every (parcel, indicator); rows near a limit decided exactly.

    Returns the report, the worst status code per parcel, the number of exact decisions and
    per indicator the mask of parcels without any limit."""
    n = len(pidx)
    frames: dict[str, list[np.ndarray]] = {"value": [], "limit": [], "status": [], "reason": []}
    worst = np.zeros(n, np.int8)
    exact_count = 0
    no_limits = {}
    nothing = np.full(n, np.nan)
    for ind in INDICATORS:
        v = values[ind]
        sides = [
            (limits.get(name) if name else None, name, is_min)
            for name, is_min in zip(_INDICATOR_LIMITS[ind], (True, False), strict=True)
        ]
        lims = [(c.values[pidx] if c is not None else nothing, name, is_min, c)
                for c, name, is_min in sides if name]  # fmt: skip
        names = " or ".join(name for _, name, _, _ in lims)
        bad_lim = np.zeros(n, bool)
        for _, name, _, _ in lims:
            if name in lim_bad:
                bad_lim |= lim_bad[name][pidx]
        no_limit = np.logical_and.reduce([np.isnan(lv) for lv, _, _, _ in lims]) & ~bad_lim
        no_limits[ind] = no_limit
        reason = _join(
            np.asarray(unknown[ind], dtype=object),
            _why(bad_lim, f"bad {names} (see rejects)"),
            _why(no_limit, f"no limit ({names})"),
        )
        status = np.where(reason != "", NE, PASS).astype(np.int8)
        undefined = np.isnan(v) & (status == PASS)
        status[undefined] = NE
        reason[undefined] = "site area is zero"
        ok = status == PASS
        fine = np.ones(n, bool)
        near = np.zeros(n, bool)
        below = np.zeros(n, bool)
        with np.errstate(invalid="ignore"):
            for lv, _, is_min, _ in lims:
                has = ~np.isnan(lv)
                near |= ok & has & (np.abs(v - lv) <= _NEAR * np.abs(lv))
                fine &= ~has | ((v >= lv) if is_min else (v <= lv))
                if is_min:
                    below |= has & (v <= lv)
        idx = np.flatnonzero(near)
        for i in idx.tolist():  # exact decisions for the few parcels at a limit
            exact = _exact_value(ind, i, ctx)
            good = True
            for lv, _, is_min, col in lims:
                if not np.isnan(lv[i]):
                    assert col is not None  # a limit value comes from a column
                    lim = col.exact(int(pidx[i]))
                    good &= exact >= lim if is_min else exact <= lim
            fine[i] = good
        exact_count += len(idx)
        failed = ok & ~fine
        status[failed] = FAIL
        reason[failed] = np.where(below[failed], "below the minimum", "above the maximum")
        lo = lims[0][0] if lims[0][2] else nothing
        hi = next((lv for lv, _, is_min, _ in lims if not is_min), nothing)
        for name, col in zip(
            frames, (v, _limit_texts(lo, hi), np.array(PARCEL_STATUSES, dtype=object)[status],
                     reason), strict=True
        ):  # fmt: skip
            frames[name].append(col)
        rank = np.array([0, 2, 1], np.int8)  # pass < not_evaluable < fail
        worst = np.where(rank[status] > rank[worst], status, worst).astype(np.int8)
    k = len(INDICATORS)
    report = pd.DataFrame(  # parcel-major: each parcel's 4 rows
        {
            "parcel": np.repeat(pids[pidx], k),
            "indicator": np.tile(np.array(INDICATORS, dtype=object), n),
            **{name: np.stack(cols, axis=1).ravel() for name, cols in frames.items()},
        }
    )
    return report, worst, exact_count, no_limits


def _fmt(v: np.ndarray) -> np.ndarray:
    """``%.15g`` of each value, formatting each distinct value once."""
    uniq, inv = np.unique(v, return_inverse=True)
    return np.array([f"{x:.15g}" for x in uniq.tolist()], dtype=object)[inv.ravel()]


def _limit_texts(lo_v: np.ndarray, hi_v: np.ndarray) -> np.ndarray:
    """``>= 1, <= 2.5`` per row (limits to 15 significant digits), '' without a limit."""
    lo_t, hi_t = _fmt(lo_v), _fmt(hi_v)
    lo_t = np.where(np.isnan(lo_v), "", ">= " + lo_t)
    hi_t = np.where(np.isnan(hi_v), "", "<= " + hi_t)
    sep = np.where((lo_t != "") & (hi_t != ""), ", ", "")
    return (lo_t + sep + hi_t).astype(object)


def _exact_value(ind: str, i: int, ctx: _Ctx) -> Fraction:
    """The indicator of parcel ``i`` in rationals from the float areas and decimal inputs."""
    site = Fraction(float(ctx.site[i]))
    if ind == "height":
        ov = ctx.ov
        col = ctx.attrs["height_m"]
        js = ov.li[ov.members(i)]
        if not len(js) or col is None:
            return Fraction(0)
        return max(col.exact(int(ctx.bidx[j])) for j in js)
    if ind == "green_ratio":
        gov = ctx.gov
        assert gov is not None
        return _covered_exact(gov, i) / site
    if ind == "coverage":
        assert ctx.ov is not None
        return _covered_exact(ctx.ov, i) / site
    ov = ctx.ov
    total = Fraction(0)
    mem = ov.members(i)
    for j, a in zip(ov.li[mem].tolist(), ov.area[mem].tolist(), strict=True):
        b = int(ctx.bidx[j])
        if not np.isnan(ctx.gfa_given[j]):
            total += ctx.attrs["gfa_m2"].exact(b) * Fraction(a) / Fraction(float(ctx.footprint[j]))
        else:
            total += ctx.attrs["floors"].exact(b) * Fraction(a)
    return total / site


def _covered_exact(ov: _Overlay, i: int) -> Fraction:
    if ov.overlapping[i]:
        return Fraction(float(ov.covered[i]))
    return sum((Fraction(a) for a in ov.area[ov.members(i)].tolist()), Fraction(0))


# ------------------------------------------------------------------------------------ output


def render_parcels(result: ParcelResult, fmt: str = "table") -> str:
    """The report as text: ``csv`` (the report columns), ``json`` (:meth:`ParcelResult.to_dict`)
    or ``table`` (a head line with the counts, then the report)."""
    from suigeo.geo.rules.report import FORMATS, _csv

    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if fmt == "json":
        import json

        return json.dumps(result.to_dict(), ensure_ascii=False, indent=1) + "\n"
    if fmt == "csv":
        return _csv(result.report[REPORT_COLUMNS])
    head = f"# parcels, areas in {result.area_system}: " + ", ".join(
        f"{k} {v}" for k, v in result.counts.items() if v
    )
    frame = result.report.copy()
    frame["value"] = [("-" if v != v else f"{v:.15g}") for v in frame["value"]]
    body = frame.to_string(index=False) if len(frame) else "(no parcels)"
    return head + "\n" + body + "\n"


def parcel_map_layer(result: ParcelResult) -> gpd.GeoDataFrame:
    """The parcels for :func:`suigeo.maps.build`: ``kind`` = ``parcel_<worst status>``
    (its colour), ``status`` and one popup line per indicator (value, limit, status)."""
    per = result.parcels
    out = gpd.GeoDataFrame(
        {"parcel": per["parcel"].to_numpy(), "status": per["worst"].to_numpy()},
        geometry=per.geometry.to_numpy(),
        crs=per.crs,
    )
    out.attrs.update(per.attrs)
    out["kind"] = "parcel_" + out["status"].astype(str)
    rep = result.report
    k = len(INDICATORS)
    for j, ind in enumerate(INDICATORS):
        rows = rep.iloc[j::k]
        value = rows["value"].map(lambda v: "-" if v != v else f"{v:.6g}").to_numpy(dtype=object)
        limit = rows["limit"].fillna("").to_numpy(dtype=object)
        text = value + np.where(limit != "", " (" + limit + ")", "") + ": "
        out[ind] = text + rows["status"].to_numpy(dtype=object)
    return out
