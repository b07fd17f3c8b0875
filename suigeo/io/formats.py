"""The one suffix -> file format table of suigeo.

Every command that reads or writes a table or a layer chooses the format from the file's
suffix here, so a format added once is known to every command. A command that handles only
some formats passes ``allowed=``; the error still lists what it accepts.
"""

from __future__ import annotations

import os
from pathlib import Path

from suigeo.errors import InputError, OutputError

__all__ = ["DRIVERS", "FORMATS", "READ_ONLY", "TABLES", "format_for"]

#: suffix (lower case, with its dot) -> format name
FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".gpkg": "gpkg",
    ".geojson": "geojson",
    ".json": "geojson",
    ".fgb": "fgb",
    ".parquet": "parquet",
    ".geoparquet": "parquet",
    ".shp": "shp",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xlsx",
    ".ods": "xlsx",
    ".dat": "cass",
    ".dxf": "dxf",
    ".pbf": "osm",  # OpenStreetMap extracts (.osm.pbf), read by geo.access.osm (--roads)
    ".osm": "osm",
}

#: formats that are read only (by their own reader), never written
READ_ONLY: tuple[str, ...] = ("osm",)

#: formats read as a table of text cells by the one CSV reader (:mod:`suigeo.io.sheets`
#: turns a workbook or a CASS file into CSV first)
TABLES: tuple[str, ...] = ("csv", "xlsx", "cass")

#: format name -> GDAL/OGR driver (the formats pyogrio reads and writes)
DRIVERS: dict[str, str] = {
    "gpkg": "GPKG",
    "geojson": "GeoJSON",
    "fgb": "FlatGeobuf",
    "shp": "ESRI Shapefile",
}


def format_for(
    path: str | os.PathLike[str],
    *,
    purpose: str = "input",
    allowed: tuple[str, ...] | None = None,
) -> str:
    """The format of ``path`` from its suffix: ``csv``, ``gpkg``, ``geojson``, ``fgb``,
    ``parquet``, ``shp``, ``xlsx`` (Excel workbooks), ``cass`` (南方CASS ``.dat``), ``dxf`` or
    ``osm`` (OpenStreetMap ``.osm.pbf`` / ``.osm`` extracts: input only, read as road
    networks by :mod:`suigeo.geo.access.osm`).

    Parameters
    ----------
    path
        The file (it need not exist).
    purpose
        ``"input"`` or ``"output"``: which error is raised, and how the message reads.
    allowed
        The format names the caller handles (default: all of :data:`FORMATS`).

    Returns
    -------
    str
        The format name.

    Raises
    ------
    InputError, OutputError
        (by ``purpose``) for a suffix that is not known or not allowed, naming the file and
        listing the suffixes that are.

    Examples
    --------
    >>> format_for("villages.GeoJSON")
    'geojson'
    >>> format_for("parcels.parquet", allowed=("csv", "parquet"))
    'parquet'
    """
    if purpose not in ("input", "output"):
        raise ValueError(f"purpose must be 'input' or 'output', got {purpose!r}")
    suffix = Path(path).suffix.lower()
    fmt = FORMATS.get(suffix)
    if purpose == "output" and allowed is None:
        allowed = tuple(f for f in dict.fromkeys(FORMATS.values()) if f not in READ_ONLY)
    known = [s for s, f in FORMATS.items() if allowed is None or f in allowed]
    if fmt is None or (allowed is not None and fmt not in allowed):
        error = InputError if purpose == "input" else OutputError
        what = f"suffix {suffix!r}" if suffix else "no suffix"
        raise error(
            f"cannot tell the {purpose} format of {str(path)!r} from its suffix ({what}); "
            f"use one of {', '.join(known)}"
        )
    return fmt
