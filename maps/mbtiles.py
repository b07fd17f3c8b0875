"""Raster tiles from an MBTiles file, served from inside the page (no tile server, offline).

An MBTiles file is an SQLite database of Web Mercator tiles (``tiles``: ``zoom_level``,
``tile_column``, ``tile_row`` counted from the south as in TMS; ``metadata``: name, format,
attribution ...; MBTiles 1.3). :func:`read_mbtiles` reads the raster tiles (png, jpg, webp)
within a zoom range into ``{"z/x/y": data URI}`` with ``y`` counted from the north as Leaflet
asks, and the page draws them with a tile layer whose URLs are those data URIs — nothing is
fetched. Pages grow by the tiles' size, so :data:`MAX_BYTES` bounds it.

A PMTiles file (version 3: one file with a header, directories and the tiles, y from the
north) is read the same way by :func:`read_pmtiles`, with the ``pmtiles`` package's reader.
Vector tiles (MVT / ``pbf``) are refused in both: drawing them needs a style and a vector
tile renderer (MapLibre GL, protomaps-leaflet) that the page does not carry.
"""

from __future__ import annotations

import base64
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suigeo.errors import InputError

__all__ = ["MAX_BYTES", "MbTiles", "read_mbtiles", "read_pmtiles", "read_tiles"]

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
        return read_pmtiles(p, min_zoom=min_zoom, max_zoom=max_zoom)
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
    return _tileset(p, meta, tiles, zooms, nbytes)


def _tileset(p: Path, meta: dict, tiles: dict[str, str], zooms: set[int], nbytes: int) -> MbTiles:
    """The tiles read from ``p`` (MBTiles or PMTiles) with its metadata's name and
    attribution."""
    return MbTiles(
        path=str(p),
        name=str(meta.get("name") or p.name),
        attribution=str(meta.get("attribution") or ""),
        min_zoom=min(zooms),
        max_zoom=max(zooms),
        tiles=tiles,
        nbytes=nbytes,
    )


#: PMTiles tile types (header byte 99) that are pictures, with their MIME type
_PM_MIME = {2: "image/png", 3: "image/jpeg", 4: "image/webp", 5: "image/avif"}
_PM_KIND = {0: "unknown", 1: "vector (MVT)", 2: "png", 3: "jpg", 4: "webp", 5: "avif"}


def _pm_header(p: Path, get: Callable[[int, int], bytes]) -> dict[str, Any]:
    """The PMTiles header, checked: version 3 with raster tiles."""
    from pmtiles.tile import deserialize_header

    try:
        head = deserialize_header(get(0, 127))
    except Exception as exc:  # the package raises its own classes or ValueError
        raise InputError(
            f"tiles file {str(p)!r}: not a PMTiles version 3 file ({type(exc).__name__})"
        ) from None
    kind = int(head["tile_type"].value)
    if kind not in _PM_MIME:
        raise InputError(
            f"tiles file {str(p)!r}: {_PM_KIND.get(kind, str(kind))} tiles; only raster "
            "tiles (png, jpg, webp, avif) are drawn"
        )
    return dict(head)


def _pm_metadata(head: dict[str, Any], get: Callable[[int, int], bytes]) -> dict[str, Any]:
    """The metadata JSON (name, attribution); empty when missing or damaged."""
    import gzip
    import json

    from pmtiles.tile import Compression

    raw = get(head["metadata_offset"], head["metadata_length"])
    try:
        if head["internal_compression"] == Compression.GZIP:
            raw = gzip.decompress(raw)
        meta = json.loads(raw or b"{}")
    except (OSError, ValueError):
        return {}  # damaged metadata: the tiles still draw, named by the file
    return meta if isinstance(meta, dict) else {}


def read_pmtiles(
    path: str | os.PathLike[str], *, min_zoom: int | None = None, max_zoom: int | None = None
) -> MbTiles:
    """Read the raster tiles of a PMTiles (version 3) file (zooms ``min_zoom``..``max_zoom``).

    Raises
    ------
    suigeo.errors.InputError
        Not a PMTiles v3 file, vector tiles, no tiles in the range, or more than
        :data:`MAX_BYTES` of tiles.
    """
    import gzip
    import mmap

    from pmtiles.reader import traverse
    from pmtiles.tile import Compression

    p = Path(path)
    if not p.is_file():
        raise InputError(f"tiles file {str(p)!r}: no such file")
    if p.stat().st_size < 127:
        raise InputError(f"tiles file {str(p)!r}: not a PMTiles file (too short)")
    lo = 0 if min_zoom is None else int(min_zoom)
    hi = 30 if max_zoom is None else int(max_zoom)
    tiles: dict[str, str] = {}
    nbytes = 0
    with p.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:

        def get(offset: int, length: int) -> bytes:
            return data[offset : offset + length]

        head = _pm_header(p, get)
        meta = _pm_metadata(head, get)
        mime = _PM_MIME[int(head["tile_type"].value)]
        packed = head["tile_compression"] == Compression.GZIP
        try:
            for (z, x, y), blob in traverse(get, head, head["root_offset"], head["root_length"]):
                if not lo <= z <= hi:
                    continue
                picture = gzip.decompress(blob) if packed else blob
                nbytes += len(picture)
                if nbytes > MAX_BYTES:
                    raise InputError(
                        f"tiles file {str(p)!r}: more than {MAX_BYTES // 1_000_000} MB of "
                        f"tiles in zooms {lo}-{hi}; make a file with fewer zooms or a "
                        "smaller area"
                    )
                tiles[f"{z}/{x}/{y}"] = (
                    f"data:{mime};base64,{base64.b64encode(picture).decode('ascii')}"
                )
        except InputError:
            raise
        except Exception as exc:  # damaged directories: varints running off the end
            raise InputError(
                f"tiles file {str(p)!r}: damaged PMTiles directory ({type(exc).__name__})"
            ) from None
    if not tiles:
        raise InputError(f"tiles file {str(p)!r}: no tiles in zooms {lo}-{hi}")
    zooms = {int(k.split("/", 1)[0]) for k in tiles}
    return _tileset(p, meta, tiles, zooms, nbytes)


def read_tiles(
    path: str | os.PathLike[str], *, min_zoom: int | None = None, max_zoom: int | None = None
) -> MbTiles:
    """Read an ``.mbtiles`` or ``.pmtiles`` file's raster tiles (by its suffix)."""
    if Path(path).suffix.lower() == ".pmtiles":
        return read_pmtiles(path, min_zoom=min_zoom, max_zoom=max_zoom)
    return read_mbtiles(path, min_zoom=min_zoom, max_zoom=max_zoom)
