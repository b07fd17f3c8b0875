"""Raster tiles from an MBTiles file, served from inside the page (no tile server, offline).

An MBTiles file is an SQLite database of Web Mercator tiles (``tiles``: ``zoom_level``,
``tile_column``, ``tile_row`` counted from the south as in TMS; ``metadata``: name, format,
attribution ...; MBTiles 1.3). :func:`read_mbtiles` reads the raster tiles (png, jpg, webp)
within a zoom range into ``{"z/x/y": data URI}`` with ``y`` counted from the north as Leaflet
asks, and the page draws them with a tile layer whose URLs are those data URIs — nothing is
fetched. Pages grow by the tiles' size, so :data:`MAX_BYTES` bounds it. PMTiles and vector
MBTiles (``pbf``) are not read.
"""

from __future__ import annotations

import base64
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from suigeo.errors import InputError

__all__ = ["MAX_BYTES", "MbTiles", "read_mbtiles"]

#: Largest total of tile bytes put into one page (the page holds them base64: 4/3 of this).
MAX_BYTES = 40_000_000
_MIME = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}


@dataclass
class MbTiles:
    """The tiles of one file, ready for the page."""

    path: str
    name: str
    attribution: str
    min_zoom: int
    max_zoom: int
    tiles: dict[str, str] = field(repr=False)  # "z/x/y" (XYZ, y from the north) -> data URI
    nbytes: int = 0


def read_mbtiles(
    path: str | os.PathLike[str], *, min_zoom: int | None = None, max_zoom: int | None = None
) -> MbTiles:
    """Read the raster tiles of an MBTiles file (zooms ``min_zoom``..``max_zoom``).

    Raises
    ------
    suigeo.errors.InputError
        Not an MBTiles file, vector tiles, no tiles in the range, or more than
        :data:`MAX_BYTES` of tiles.
    """
    p = Path(path)
    if p.suffix.lower() == ".pmtiles":
        raise InputError(f"{str(p)!r}: PMTiles files are not read yet; convert to MBTiles")
    if not p.is_file():
        raise InputError(f"tiles file {str(p)!r}: no such file")
    try:
        con = sqlite3.connect(f"file:{p.resolve()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise InputError(f"tiles file {str(p)!r}: cannot open it ({exc})") from None
    try:
        meta = dict(con.execute("SELECT name, value FROM metadata").fetchall())
        fmt = str(meta.get("format", "png")).lower()
        if fmt not in _MIME:
            raise InputError(
                f"tiles file {str(p)!r}: format {fmt!r}; only raster tiles (png, jpg, webp) "
                "are drawn"
            )
        lo = 0 if min_zoom is None else int(min_zoom)
        hi = 30 if max_zoom is None else int(max_zoom)
        rows = con.execute(
            "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles "
            "WHERE zoom_level BETWEEN ? AND ?",
            (lo, hi),
        )
        tiles: dict[str, str] = {}
        nbytes = 0
        zooms = set()
        for z, x, y_tms, data in rows:
            nbytes += len(data)
            if nbytes > MAX_BYTES:
                raise InputError(
                    f"tiles file {str(p)!r}: more than {MAX_BYTES // 1_000_000} MB of tiles in "
                    f"zooms {lo}-{hi}; make a file with fewer zooms or a smaller area"
                )
            y = (1 << int(z)) - 1 - int(y_tms)  # TMS rows count from the south
            uri = f"data:{_MIME[fmt]};base64,{base64.b64encode(data).decode('ascii')}"
            tiles[f"{int(z)}/{int(x)}/{y}"] = uri
            zooms.add(int(z))
    except sqlite3.Error as exc:
        raise InputError(f"tiles file {str(p)!r}: not an MBTiles file ({exc})") from None
    finally:
        con.close()
    if not tiles:
        raise InputError(f"tiles file {str(p)!r}: no tiles in zooms {lo}-{hi}")
    return MbTiles(
        path=str(p),
        name=str(meta.get("name") or p.name),
        attribution=str(meta.get("attribution") or ""),
        min_zoom=min(zooms),
        max_zoom=max(zooms),
        tiles=tiles,
        nbytes=nbytes,
    )
