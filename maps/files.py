"""Read the user's vector files for a map (rings files, user layers); errors name the file."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd

from suigeo.errors import InputError
from suigeo.io.vector import read_vector as io_read_vector

__all__ = ["read_named", "read_user_layers", "read_vector", "split_title"]


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


def split_title(spec: str | os.PathLike[str]) -> tuple[Path, str | None]:
    """Split ``FILE:TITLE`` into the file and the title (``None`` when none is given).

    A spec that names an existing file is that file, whatever colons it holds; otherwise the
    text after the last colon is the title when what precedes it is an existing file.
    """
    text = os.fspath(spec)
    path = Path(text)
    if path.exists() or ":" not in text:
        return path, None
    head, _, title = text.rpartition(":")
    if Path(head).exists() and title.strip():
        return Path(head), title.strip()
    return path, None


def _layer_name(path: Path) -> str:
    """The file's own layer name (GeoPackage layer, GeoJSON ``name``), else the file name."""
    try:
        import pyogrio

        names = pyogrio.list_layers(path)
    except Exception:  # not a GDAL data set: read_vector reports that with the file named
        return path.name
    name = str(names[0][0]) if len(names) else ""
    return name if name and name != path.stem else path.name


def read_user_layers(
    specs: Iterable[str | os.PathLike[str]],
) -> list[tuple[str, gpd.GeoDataFrame]]:
    """Read ``FILE`` or ``FILE:TITLE`` specs; return ``(title, frame)`` pairs.

    The title shows in the layer control and the legend: the one given after the colon,
    else the file's own layer name (a GeoPackage's layer, a GeoJSON's ``name``), else the
    file name.
    """
    out = []
    for spec in specs:
        path, title = split_title(spec)
        gdf = read_vector(path, what="user layer")
        out.append((title or _layer_name(path), gdf))
    return out
