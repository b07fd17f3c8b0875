"""Independent references for the crs tests: PROJ transformers from hand-written strings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pyproj import Transformer

EXAMPLE = Path(__file__).resolve().parents[2] / "crs" / "examples" / "gz2000-example.toml"
GRS80 = "+ellps=GRS80"


def tmerc(lon_0: float, x_0: float, y_0: float = 0.0, k: float = 1.0) -> Transformer:
    """CGCS2000 lon/lat degrees -> transverse Mercator, written by hand (not from EPSG)."""
    return Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        f"+step +proj=tmerc +lat_0=0 +lon_0={lon_0} +k={k} +x_0={x_0} +y_0={y_0} {GRS80}"
    )


CART = Transformer.from_pipeline(
    f"+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step +proj=cart {GRS80}"
)


def similarity(e, n, dx, dy, rotation_arcsec, scale_ppm):
    """The 2-D similarity exactly as documented in crs/examples/gz2000-example.toml."""
    t = np.radians(rotation_arcsec / 3600.0)
    k = 1.0 + scale_ppm * 1e-6
    e, n = np.asarray(e), np.asarray(n)
    return dx + k * (e * np.cos(t) - n * np.sin(t)), dy + k * (e * np.sin(t) + n * np.cos(t))


def metres_between_lonlat(lon1, lat1, lon2, lat2):
    """Small-distance approximation, good enough to compare with 1 mm."""
    lat = np.radians(np.asarray(lat1))
    dx = (np.asarray(lon2) - np.asarray(lon1)) * 111_320.0 * np.cos(lat)
    dy = (np.asarray(lat2) - np.asarray(lat1)) * 110_574.0
    return np.hypot(dx, dy)


def base_params(**tables):
    """A parameter mapping with the example's projection, plus ``tables``."""
    p = {
        "suigeo": {"format": "suigeo-gz2000/1", "kind": "example"},
        "projection": {
            "central_meridian_deg": 113.5,
            "scale": 1.0,
            "false_easting_m": 100000.0,
            "false_northing_m": -2500000.0,
        },
    }
    p.update(tables)
    return p
