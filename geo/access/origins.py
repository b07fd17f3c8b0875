"""Many front doors for an origin: a feature name, ``"LON,LAT"``, ``(lon, lat)``, a shapely
point or a GeoDataFrame of origins all become one GeoDataFrame of points in CGCS2000."""

from __future__ import annotations

import contextlib
import os
import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from suigeo import crs
from suigeo.errors import InputError, SuigeoError
from suigeo.geo.access.plane import CGCS2000
from suigeo.io.csvtable import read_csv

__all__ = ["load_rail", "load_through", "read_table", "resolve_origins", "to_cgcs2000"]

_LONLAT = re.compile(r"^\s*([-+]?\d+(?:\.\d*)?)\s*,\s*([-+]?\d+(?:\.\d*)?)\s*$")
_LABEL_COLUMNS = ("origin", "name_zh", "name", "id")


def to_cgcs2000(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    """``gdf`` converted to CGCS2000 lon/lat (through :func:`crs.to_crs`)."""
    if gdf.crs is None:
        raise InputError(
            f"{what} has no coordinate system; set one (e.g. gdf.set_crs('EPSG:4490')) first"
        )
    if gdf.crs.to_epsg() == 4490:
        return gdf
    return crs.to_crs(gdf, "CGCS2000")


def _point_frame(lon: float, lat: float, label: str) -> gpd.GeoDataFrame:
    if not (np.isfinite(lon) and np.isfinite(lat)) or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InputError(f"origin {label!r} is not a CGCS2000 longitude, latitude pair")
    return gpd.GeoDataFrame({"origin": [label]}, geometry=[shapely.Point(lon, lat)], crs=CGCS2000)


def _lookup(name: str) -> gpd.GeoDataFrame:
    try:
        from suigeo import layers

        lookup = layers.lookup
    except (ImportError, AttributeError):
        raise InputError(
            f"origin {name!r}: feature names need the shipped layers (layers.lookup), which "
            "are not available in this installation; give LON,LAT instead"
        ) from None
    try:
        found = lookup(name)
    except SuigeoError:
        raise
    except (LookupError, ValueError) as exc:
        raise InputError(f"unknown origin {name!r}: {exc}") from None
    if found is None or len(found) == 0:
        raise InputError(f"unknown origin {name!r}; give a feature name or LON,LAT")
    found = to_cgcs2000(found, f"layer feature {name!r}")
    pt = shapely.get_coordinates(found.geometry.representative_point().iloc[:1])[0]
    return _point_frame(float(pt[0]), float(pt[1]), name)


def _check_area(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Refuse points outside the area of use of CGCS2000 (EPSG:4490, from PROJ's database):
    a latitude with the wrong sign, swapped or mistyped coordinates."""
    area = pyproj.CRS.from_epsg(4490).area_of_use
    assert area is not None  # PROJ's database has one for EPSG:4490
    w, s, e, n = area.bounds
    x, y = shapely.get_x(gdf.geometry.values), shapely.get_y(gdf.geometry.values)
    bad = ~((x >= w) & (x <= e) & (y >= s) & (y <= n))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"origin {gdf['origin'].iloc[i]!r} ({x[i]:.6f}, {y[i]:.6f}) is outside the area "
            f"of CGCS2000 (lon {w:g}–{e:g}, lat {s:g}–{n:g}); give LON,LAT in that order"
        )
    return gdf


def resolve_origins(origin: Any, *, what: str = "origins") -> gpd.GeoDataFrame:
    """One or many origins as a GeoDataFrame (column ``origin`` = label) in CGCS2000.

    Polygons and lines stand for their representative point. A list of several origins
    (names, ``"LON,LAT"`` texts, points) gives one row each; a pair of numbers is one
    ``(lon, lat)``. ``what`` names the input in error messages.

    Raises
    ------
    InputError
        For an unknown name (with close names), an empty input, or a point outside the
        area of use of CGCS2000.
    """
    return _check_area(_resolve(origin, what))


def _is_number(v: Any) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


def _resolve(origin: Any, what: str) -> gpd.GeoDataFrame:
    if isinstance(origin, gpd.GeoSeries):
        origin = gpd.GeoDataFrame(geometry=origin)
    if isinstance(origin, gpd.GeoDataFrame):
        if len(origin) == 0:
            raise InputError(f"no {what} given (the table is empty)")
        gdf = to_cgcs2000(origin, f"the {what}")
        empty = gdf.geometry.isna() | gdf.geometry.is_empty
        if empty.any():
            rows = ", ".join(map(str, gdf.index[empty][:10]))
            raise InputError(f"{what} without geometry at rows {rows}")
        col = next((c for c in _LABEL_COLUMNS if c in gdf.columns), None)
        labels = gdf[col].astype(str) if col else gdf.index.astype(str)
        pts = gdf.geometry.representative_point()
        return gpd.GeoDataFrame(
            {"origin": np.asarray(labels, dtype=object)}, geometry=pts.values, crs=CGCS2000
        ).reset_index(drop=True)
    if isinstance(origin, shapely.Point):
        return _point_frame(origin.x, origin.y, f"{origin.x:.6f},{origin.y:.6f}")
    if isinstance(origin, str):
        m = _LONLAT.match(origin)
        if m:
            return _point_frame(float(m.group(1)), float(m.group(2)), origin.strip())
        return _lookup(origin.strip())
    if isinstance(origin, (tuple, list)) and not (
        len(origin) == 2 and all(map(_is_number, origin))
    ):
        if not origin:
            raise InputError(f"no {what} given (the list is empty)")
        frames = [_resolve(o, what) for o in origin]
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=CGCS2000)
    if isinstance(origin, (tuple, list)):
        try:
            lon, lat = float(origin[0]), float(origin[1])
        except (TypeError, ValueError):
            raise InputError(f"origin {origin!r} is not (lon, lat)") from None
        return _point_frame(lon, lat, f"{lon:.6f},{lat:.6f}")
    raise InputError(
        f"cannot use {origin!r} as an origin: give a feature name, 'LON,LAT', (lon, lat), "
        "a shapely Point or a GeoDataFrame"
    )


def load_rail(
    rails: gpd.GeoDataFrame | None, stations: gpd.GeoDataFrame | None
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The given rail lines and stations, or the shipped ones from :mod:`layers`."""
    if rails is None or stations is None:
        try:
            from suigeo import layers

            load = layers.load
        except (ImportError, AttributeError):
            raise InputError(
                "the shipped rail layers (layers.load) are not available in this installation; "
                "pass rails= and stations=, or rail=False (--no-rail)"
            ) from None
        if rails is None:
            rails = load("rail_lines")
        if stations is None:
            stations = load("rail_stations")
    return rails, to_cgcs2000(stations, "the rail stations")


def load_through() -> pd.DataFrame | None:
    """The shipped through-service table (:func:`layers.through_services`), or ``None`` when
    this installation has no shipped layers."""
    try:
        from suigeo import layers

        return layers.through_services()
    except (ImportError, AttributeError):
        return None


def read_table(
    src: pd.DataFrame | str | os.PathLike[str] | None, what: str, *, text: bool = False
) -> pd.DataFrame | None:
    """A table given as a DataFrame or a CSV path (``None`` passes through), read by
    :func:`suigeo.io.csvtable.read_csv`; ``text`` keeps every column as text, else columns
    whose every cell is a number become numbers. Errors name the file."""
    if src is None or isinstance(src, pd.DataFrame):
        return src
    try:
        frame = read_csv(src).to_pandas(empty_as_null=True)
    except InputError as exc:
        raise InputError(f"{what}: {exc}") from None
    if text:
        return frame
    for name in frame.columns:  # numbers where every cell is one (as pandas would guess)
        with contextlib.suppress(ValueError, TypeError):
            frame[name] = pd.to_numeric(frame[name])
    return frame
