"""Array and GeoDataFrame conversion between named systems.

Every projection and Helmert step is executed by PROJ (pyproj). Transformers are built
once per (source, target) pair and cached.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from pyproj import Transformer

from crs.errors import UnknownSystemError
from crs.systems import System, resolve

if TYPE_CHECKING:
    import geopandas as gpd
    from numpy.typing import ArrayLike

__all__ = ["to_crs", "transform"]


@lru_cache(maxsize=128)
def _transformer(src_epsg: int, dst_epsg: int) -> Transformer:
    return Transformer.from_crs(src_epsg, dst_epsg, always_xy=True)


def transform(
    x: ArrayLike,
    y: ArrayLike,
    h: ArrayLike | None = None,
    *,
    src: str | int | System,
    dst: str | int | System,
    params: object | None = None,
) -> tuple[np.ndarray, ...]:
    """Convert coordinates from ``src`` to ``dst``.

    Geographic systems take and give lon, lat in degrees. Returns ``(x, y)`` or, when
    ``h`` is given, ``(x, y, h)``.
    """
    s, d = resolve(src), resolve(dst)
    if s.epsg is None or d.epsg is None:
        raise UnknownSystemError(f"no conversion between {s.name} and {d.name} yet")
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    t = _transformer(s.epsg, d.epsg)
    if h is None:
        return t.transform(xa, ya, errcheck=False)
    return t.transform(xa, ya, np.asarray(h, dtype=np.float64), errcheck=False)


def to_crs(gdf: gpd.GeoDataFrame, dst: str | int | System, params: object | None = None):
    """Return a copy of ``gdf`` in ``dst`` (a suigeo name, EPSG code or pyproj CRS)."""
    d = resolve(dst)
    if d.pyproj_crs is None:
        raise UnknownSystemError(f"no GeoDataFrame conversion to {d.name} yet")
    return gdf.to_crs(d.pyproj_crs)
