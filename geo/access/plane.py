"""The plane in which rings are computed: CGCS2000 3-degree Gauss-Krüger by longitude."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike
from pyproj import CRS, Geod

from suigeo import crs
from suigeo.errors import InputError

__all__ = ["CGCS2000", "geodesic_m", "plane_crs", "project"]

CGCS2000 = "EPSG:4490"


def plane_crs(lon: ArrayLike) -> CRS:
    """The CGCS2000 3-degree GK system (no zone prefix) whose central meridian is nearest
    the mean of ``lon``.

    >>> plane_crs([113.3]).to_epsg()
    4547
    """
    lons = np.asarray(lon, dtype=float).ravel()
    lons = lons[np.isfinite(lons)]
    if lons.size == 0:
        raise InputError("no finite longitude to choose a plane coordinate system from")
    mid = float(np.mean(lons))
    cm = int(3 * round(mid / 3))
    if not 75 <= cm <= 135:
        raise InputError(
            f"longitude {mid:.4f} is outside the CGCS2000 3-degree Gauss-Krüger zones "
            "(central meridians 75E-135E); is the origin in lon, lat order?"
        )
    return _plane(cm)


@lru_cache(maxsize=32)
def _plane(cm: int) -> CRS:
    try:
        system = crs.resolve(f"CGCS2000-3GK-CM{cm}")
    except crs.UnknownSystemError:
        system = crs.resolve(4534 + (cm - 75) // 3)
    out = system.pyproj_crs
    assert out is not None
    return out


@lru_cache(maxsize=1)
def _geod() -> Geod:
    geod = CRS.from_epsg(4490).get_geod()
    assert geod is not None  # a geographic CRS has an ellipsoid
    return geod


def geodesic_m(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> np.ndarray:
    """Geodesic distance in metres on the CGCS2000 ellipsoid (broadcasting arrays)."""
    a = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (lon1, lat1, lon2, lat2)))
    shape = a[0].shape
    if a[0].size == 0:
        return np.zeros(shape)
    _, _, dist = _geod().inv(a[0].ravel(), a[1].ravel(), a[2].ravel(), a[3].ravel())
    return np.asarray(dist, dtype=float).reshape(shape)


def project(lon: ArrayLike, lat: ArrayLike, plane: CRS) -> tuple[np.ndarray, np.ndarray]:
    """CGCS2000 lon/lat → x, y in ``plane`` (metres), through :func:`crs.transform`."""
    epsg = plane.to_epsg()
    assert epsg is not None  # the planes of plane_crs are EPSG systems
    x, y = crs.transform(
        np.asarray(lon, dtype=float),
        np.asarray(lat, dtype=float),
        src="CGCS2000",
        dst=epsg,
    )
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)
