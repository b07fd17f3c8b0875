"""People and places reached: population and feature counts inside rings.

Rules (stated on every result):

- **population**: a cell of the population raster (WorldPop-style GeoTIFF, people per
  cell, any CRS) counts whole towards a ring when its centre, converted to CGCS2000, lies
  inside the ring or on its edge; cells without data count as 0. No area weighting: a
  ring's population is a sum of whole cells, so it can be checked against any zonal sum
  over cell centres.
- **count**: a feature of the count layer (points or polygons: villages, schools, firms)
  counts towards a ring when its representative point (the point itself; for a polygon,
  a point guaranteed inside it, ``shapely.point_on_surface``) lies inside the ring or on
  its edge; with ``count_field`` its value in that column is summed instead of counting 1.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from pyproj import CRS
from rasterio.warp import transform_bounds
from rasterio.windows import Window

from suigeo import crs
from suigeo.errors import InputError
from suigeo.io.raster import open_raster, reading

__all__ = ["count_in", "population_cells", "population_in"]

log = logging.getLogger(__name__)

POPULATION_RULE = "people: population raster cells whose centre lies in the ring (whole cells)"
COUNT_RULE = "features counted by their representative point in the ring"


def population_cells(
    path: str | os.PathLike[str],
    bounds: tuple[float, float, float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lon, lat (CGCS2000) of the centres of the populated cells of band 1 of a raster
    and their people, within ``bounds`` (CGCS2000 lon/lat; None: the whole raster)."""
    what = "population raster"
    with open_raster(path, what=what) as src, reading(path, what=what):
        full = Window(0, 0, src.width, src.height)
        if bounds is None:
            win = full
        else:
            x0, y0, x1, y1 = transform_bounds("EPSG:4490", src.crs, *bounds, densify_pts=21)
            inv = ~src.transform
            corners = np.array([inv @ (x, y) for x in (x0, x1) for y in (y0, y1)])
            cc, rr = corners[:, 0], corners[:, 1]
            # one cell more all round: rounding never drops a centre inside the bounds
            c0, c1 = (
                max(0, int(np.floor(cc.min())) - 1),
                min(src.width, int(np.ceil(cc.max())) + 1),
            )
            r0, r1 = (
                max(0, int(np.floor(rr.min())) - 1),
                min(src.height, int(np.ceil(rr.max())) + 1),
            )
            if c0 >= c1 or r0 >= r1:  # no overlap
                e = np.zeros(0)
                return e, e.copy(), e.copy()
            win = Window(c0, r0, c1 - c0, r1 - r0)
        band = src.read(1, window=win, masked=True).astype(np.float64)
        # the window's transform (rasterio's window_transform warns on affine's `*`)
        tr = src.transform @ Affine.translation(int(win.col_off), int(win.row_off))
        src_crs = CRS(src.crs)
    people = np.ma.filled(band, 0.0)
    people[~np.isfinite(people)] = 0.0
    if (people < 0).any():
        r, c = (int(v[0]) for v in np.nonzero(people < 0))
        raise InputError(
            f"population raster {str(path)!r}: row {int(win.row_off) + r + 1}, column "
            f"{int(win.col_off) + c + 1} holds {people[r, c]:g} people (negative; set it as "
            "nodata)"
        )
    rows, cols = np.nonzero(people > 0)
    x = tr.c + (cols + 0.5) * tr.a + (rows + 0.5) * tr.b
    y = tr.f + (cols + 0.5) * tr.d + (rows + 0.5) * tr.e
    lon, lat = crs.transform(x, y, src=crs.resolve(src_crs), dst="CGCS2000")
    return np.asarray(lon, float), np.asarray(lat, float), people[rows, cols]


def population_in(geoms: Sequence[shapely.Geometry], path: str | os.PathLike[str]) -> np.ndarray:
    """People in each geometry (CGCS2000 lon/lat) by the cell-centre rule."""
    geoms = list(geoms)
    live = [g for g in geoms if g is not None and not g.is_empty]
    out = np.zeros(len(geoms))
    if not live:
        return out
    x0, y0, x1, y1 = (float(v) for v in shapely.total_bounds(np.asarray(live, dtype=object)))
    bounds = (x0, y0, x1, y1)
    lon, lat, people = population_cells(path, bounds)
    if lon.size == 0:
        log.info("population: no populated cell of %s within the rings", path)
        return out
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            continue
        shapely.prepare(g)
        out[i] = float(people[shapely.intersects_xy(g, lon, lat)].sum())
    return out


def _layer(layer: gpd.GeoDataFrame | str | os.PathLike[str], what: str) -> gpd.GeoDataFrame:
    from suigeo.geo.access.coverage import read_points
    from suigeo.geo.access.origins import to_cgcs2000

    gdf = read_points(layer, what)
    missing = gdf.geometry.isna() | gdf.geometry.is_empty
    if missing.any():
        row = int(np.flatnonzero(missing.to_numpy())[0])
        raise InputError(f"{what}: feature {row + 1} has no geometry")
    return to_cgcs2000(gdf, what)


def count_in(
    geoms: Sequence[shapely.Geometry],
    layer: gpd.GeoDataFrame | str | os.PathLike[str],
    field: str | None = None,
) -> np.ndarray:
    """Features of ``layer`` (or the sum of their ``field``) in each geometry (CGCS2000),
    by the representative-point rule."""
    gdf = _layer(layer, "count layer")
    pts = shapely.point_on_surface(gdf.geometry.values)
    lon, lat = shapely.get_x(pts), shapely.get_y(pts)
    if field is None:
        weight = np.ones(len(gdf))
    else:
        if field not in gdf.columns:
            raise InputError(
                f"count layer: no column {field!r} (columns: {', '.join(map(str, gdf.columns))})"
            )
        weight = pd.to_numeric(gdf[field], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(weight)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"count layer: feature {row + 1}, column {field!r}: "
                f"{gdf[field].iloc[row]!r} is not a number"
            )
    out = np.zeros(len(geoms))
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            continue
        shapely.prepare(g)
        out[i] = float(weight[shapely.intersects_xy(g, lon, lat)].sum())
    return out
