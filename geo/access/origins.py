"""Many front doors for an origin: a feature name, ``"LON,LAT"``, ``(lon, lat)``, a shapely
point or a GeoDataFrame of origins all become one GeoDataFrame of points in CGCS2000."""

from __future__ import annotations

import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

import crs
from crs.errors import InputError, SuigeoError
from geo.access.plane import CGCS2000

__all__ = ["load_rail", "load_through", "resolve_origins", "to_cgcs2000"]

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
        import layers

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


def resolve_origins(origin: Any) -> gpd.GeoDataFrame:
    """One or many origins as a GeoDataFrame (column ``origin`` = label) in CGCS2000.

    Polygons and lines stand for their representative point.
    """
    if isinstance(origin, gpd.GeoSeries):
        origin = gpd.GeoDataFrame(geometry=origin)
    if isinstance(origin, gpd.GeoDataFrame):
        if len(origin) == 0:
            raise InputError("no origins given (the GeoDataFrame is empty)")
        gdf = to_cgcs2000(origin, "the origins")
        empty = gdf.geometry.isna() | gdf.geometry.is_empty
        if empty.any():
            rows = ", ".join(map(str, gdf.index[empty][:10]))
            raise InputError(f"origins without geometry at rows {rows}")
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
    if isinstance(origin, (tuple, list)) and len(origin) == 2:
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
            import layers

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
        import layers

        return layers.through_services()
    except (ImportError, AttributeError):
        return None
