"""Split travel-time rings into their parts and say how each detached part is reached.

A sketch or network ring is a union of discs: around the origin, and around every rail
station reached in time. A disc far from the origin (the 90-minute ring's island around
清远站) is reached by rail; :func:`ring_parts` names the station and the time it is reached
("via 清远站, 23 min") so the map can say so in the part's tooltip. ``geo.access.rings``
does not carry that per part; the station times (``geo.access.station_times``, same
options) do, and the stations' positions are in the stations layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from suigeo.errors import InputError

__all__ = ["ring_parts"]

_GEOD = Geod(ellps="GRS80")  # the CGCS2000 ellipsoid (differs from GRS80 only in 1/f at 1e-11)


def _origin_point(name: str, origins: Mapping[str, Any] | None) -> shapely.Geometry:
    if origins and name in origins:
        pt = origins[name]
        return pt if hasattr(pt, "geom_type") else shapely.Point(pt)
    from suigeo import layers

    return layers.lookup(name).geometry.iloc[0]


def ring_parts(
    rings: gpd.GeoDataFrame,
    times: pd.DataFrame,
    *,
    stations: gpd.GeoDataFrame | None = None,
    origins: Mapping[str, Any] | None = None,
) -> gpd.GeoDataFrame:
    """One row per part of each ring; a part reached through a station says which.

    Parameters
    ----------
    rings
        ``geo.access.rings`` output (``origin``, ``minutes``, CGCS2000 polygons).
    times
        ``geo.access.station_times`` output for the same origins and options (``origin``,
        ``station``, ``name_zh``, ``minutes``).
    stations
        The stations layer (``id`` and points); default the shipped ``rail_stations``.
    origins
        Origin name -> point (lon, lat) or shapely point; default looked up in the shipped
        layers (``layers.lookup``).

    Returns
    -------
    geopandas.GeoDataFrame
        The rings' columns with ``area_km2`` renamed ``ring_area_km2``, plus ``part_area_km2``
        (geodesic, GRS80) and ``via``: empty for the part holding the origin, otherwise
        ``"via NAME, T min"`` for the station inside the part reached first.
    """
    if stations is None:
        from suigeo import layers

        stations = layers.load("rail_stations")
    missing = {"origin", "station", "name_zh", "minutes"} - set(times.columns)
    if missing:
        raise InputError(f"station times: missing column(s) {', '.join(sorted(missing))}")
    pos = stations.set_index(stations["id"].astype(str)).geometry
    parts = rings.explode(index_parts=False).reset_index(drop=True)
    if "area_km2" in parts:
        parts = parts.rename(columns={"area_km2": "ring_area_km2"})
    parts["part_area_km2"] = [
        round(abs(_GEOD.geometry_area_perimeter(g)[0]) / 1e6, 4) for g in parts.geometry
    ]
    via = []
    rows = zip(parts["origin"], parts["minutes"], parts.geometry, strict=True)
    for origin, minutes, geom in rows:
        if geom.covers(_origin_point(str(origin), origins)):
            via.append("")
            continue
        t = times[(times["origin"] == origin) & (times["minutes"] < float(minutes))]
        t = t[t["station"].astype(str).isin(pos.index)]
        pts = pos.loc[t["station"].astype(str)].to_numpy()
        inside = t[shapely.covers(geom, pts)] if len(t) else t
        if inside.empty:
            via.append("")
            continue
        first = inside.loc[inside["minutes"].idxmin()]
        via.append(f"via {first['name_zh']}, {np.round(first['minutes']):.0f} min")
    parts["via"] = via
    return parts
