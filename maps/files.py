"""Read the user's vector files for a map (rings files, user layers); errors name the file."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd

from suigeo.errors import InputError
from suigeo.io.vector import read_vector as io_read_vector

__all__ = ["read_named", "read_vector"]


def read_vector(path: str | os.PathLike[str], *, what: str = "layer") -> gpd.GeoDataFrame:
    """Read a vector file for a map (any format of :mod:`suigeo.io`, CSV included: points
    from lon/lat columns or a ``wkt`` column, CGCS2000); errors name the file.

    Parameters
    ----------
    path
        The file.
    what
        What the file is, for error messages (e.g. ``"rings file"``, ``"user layer"``).

    Raises
    ------
    suigeo.errors.InputError
        The file is missing, unreadable, has a row that cannot be read, or declares no
        coordinate reference system.
    """
    gdf = io_read_vector(path, what=what)
    if gdf.crs is None:
        raise InputError(f"{what} {str(path)!r}: the file declares no coordinate reference system")
    return gdf


def read_named(
    paths: Iterable[str | os.PathLike[str]], *, what: str
) -> list[tuple[str, gpd.GeoDataFrame]]:
    """Read each file with :func:`read_vector`; return ``(file name, frame)`` pairs."""
    return [(Path(p).name, read_vector(p, what=what)) for p in paths]
