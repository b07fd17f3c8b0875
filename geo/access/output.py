"""Write a result (rings or a coverage table) to a file, atomically, format by suffix."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import geopandas as gpd

from suigeo.errors import OutputError
from suigeo.io.atomic import check_not_input
from suigeo.io.formats import FORMATS as SUFFIX_FORMATS
from suigeo.io.formats import format_for
from suigeo.io.vector import write_vector

__all__ = ["FORMATS", "check_output", "write"]

log = logging.getLogger(__name__)

_ALLOWED = ("geojson", "gpkg", "fgb", "parquet", "csv")
#: suffix -> format (the writable part of the one table in suigeo.io.formats)
FORMATS = {s: f for s, f in SUFFIX_FORMATS.items() if f in _ALLOWED}

_REFUSED = {
    ".shp": "a Shapefile cuts text fields to 254 characters (the settings column is longer) "
    "and is several files",
}


def check_output(
    out: str | os.PathLike[str],
    *,
    inputs: list[str | os.PathLike[str]] | tuple[()] = (),
) -> Path:
    """Check before any work that ``out`` has a supported suffix and is not an input.

    Raises
    ------
    OutputError
        For an unsupported suffix or an output that is one of ``inputs``.
    """
    out_p = Path(out)
    suffix = out_p.suffix.lower()
    if suffix in _REFUSED:
        raise OutputError(
            f"cannot write {str(out)!r}: {suffix} — {_REFUSED[suffix]}; use one of "
            f"{', '.join(FORMATS)}"
        )
    format_for(out_p, purpose="output", allowed=_ALLOWED)
    check_not_input(out_p, inputs)
    return out_p


def write(
    gdf: gpd.GeoDataFrame,
    out: str | os.PathLike[str],
    *,
    inputs: list[str | os.PathLike[str]] | tuple[()] = (),
) -> Path:
    """Write ``gdf`` to ``out``; the format follows the suffix (see :data:`FORMATS`).

    GeoJSON, GeoPackage and FlatGeobuf go through pyogrio, GeoParquet through GeoPandas;
    CSV gets ``lon``/``lat`` columns for points and a ``wkt`` column for rings. The file
    appears only when complete and never replaces one of ``inputs``.

    Raises
    ------
    OutputError
        For a suffix that is not a supported format.
    """
    out_p = check_output(out, inputs=inputs)
    layer = re.sub(r"\W+", "_", out_p.stem) or "result"
    write_vector(gdf, out_p, inputs=inputs, layer=layer, allowed=_ALLOWED)
    log.info("wrote %d row(s) to %s", len(gdf), out_p)
    return out_p
