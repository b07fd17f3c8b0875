"""What every engine hands back, and how it becomes the public GeoDataFrame."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from suigeo.geo.access.plane import CGCS2000

__all__ = ["EngineOutput", "discs", "to_frame"]


@dataclass
class EngineOutput:
    """Ring geometries in the plane CRS: ``geoms[row][k]`` for ``labels[row]`` and the
    k-th threshold; travel times to the rail stations; a one-line statement of method."""

    labels: list[str]
    geoms: list[list[shapely.Geometry]]
    plane: CRS
    method: str
    setting_keys: list[str]
    station_times: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: timetables (GTFS): the travel-time percentile of each label row, and the scenario
    percentiles: list[float] | None = None
    scenario: str | None = None


def discs(x: np.ndarray, y: np.ndarray, radius_m: np.ndarray) -> shapely.Geometry:
    """Union of discs (64 segments per quarter: area error < 0.01 %)."""
    keep = radius_m > 0
    if not keep.any():
        return shapely.Polygon()
    pts = shapely.points(x[keep], y[keep])
    return shapely.union_all(shapely.buffer(pts, radius_m[keep], quad_segs=64))


def to_frame(
    out: EngineOutput,
    thresholds: list[float],
    *,
    engine: str,
    direction: str,
    scenario: str,
    settings_json: str,
) -> gpd.GeoDataFrame:
    """One row per origin label and threshold, in CGCS2000, with the settings used."""
    rows = [
        (lab, t, g)
        for lab, gs in zip(out.labels, out.geoms, strict=True)
        for t, g in zip(thresholds, gs, strict=True)
    ]
    geoms = gpd.GeoSeries([g for _, _, g in rows], crs=out.plane)
    area = geoms.area.to_numpy() / 1e6
    frame = gpd.GeoDataFrame(
        {
            "origin": [r[0] for r in rows],
            "minutes": np.array([r[1] for r in rows], dtype=float),
            "direction": direction,
            "engine": engine,
            "scenario": scenario,
            "area_km2": np.round(area, 4),
            "method": out.method,
            "settings": settings_json,
        },
        geometry=geoms.to_crs(CGCS2000).values,
        crs=CGCS2000,
    )
    if out.percentiles is not None:
        frame.insert(2, "percentile", np.repeat(np.asarray(out.percentiles), len(thresholds)))
    return frame
