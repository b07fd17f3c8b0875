"""The one raster opener: a GeoTIFF (or any raster GDAL reads) opened by rasterio, with one
set of checks, and its reads turned into errors that name the file.

Rasters are read by rasterio; this module only gives every caller (DEM, friction and
population rasters) the same refusals: a file rasterio cannot open, one without a
coordinate system or without a band, and data that fails while its blocks are read (a
truncated file opens, then fails later).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from suigeo.errors import InputError

if TYPE_CHECKING:
    from rasterio.io import DatasetReader

__all__ = ["open_raster", "reading"]


@contextlib.contextmanager
def open_raster(path: str | os.PathLike[str], *, what: str) -> Iterator[DatasetReader]:
    """Open ``path`` with rasterio for reading, as a context manager.

    Parameters
    ----------
    path
        The raster file.
    what
        What it is, for messages ("DEM", "friction raster", "population raster").

    Raises
    ------
    suigeo.errors.InputError
        It cannot be opened, has no coordinate system or no band.
    """
    import rasterio

    try:
        src = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"cannot read {what} {str(path)!r}: {exc}") from None
    with src:
        if src.crs is None:
            raise InputError(f"{what} {str(path)!r} has no coordinate system")
        if src.count < 1:
            raise InputError(f"{what} {str(path)!r} has no band")
        yield src


@contextlib.contextmanager
def reading(path: str | os.PathLike[str], *, what: str) -> Iterator[None]:
    """Turn GDAL/rasterio failures while a raster's data is read (a damaged or truncated
    file) into one :class:`~suigeo.errors.InputError` naming the file."""
    import rasterio
    from pyproj.exceptions import CRSError
    from rasterio._err import CPLE_BaseError

    try:
        yield
    except (rasterio.errors.RasterioError, CPLE_BaseError, CRSError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise InputError(
            f"cannot read {what} {str(path)!r}: its data is damaged or not a raster GDAL "
            f"can read ({type(exc).__name__}: {first[:200]})"
        ) from None
