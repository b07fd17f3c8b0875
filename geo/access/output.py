"""Write a result (rings or a coverage table) to a file, atomically, format by suffix."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import geopandas as gpd
import pyogrio

from suigeo.errors import OutputError
from suigeo.io.atomic import atomic_output, check_not_input
from suigeo.io.cells import neutralise_frame

__all__ = ["FORMATS", "check_output", "write"]

log = logging.getLogger(__name__)

# suffix -> OGR driver ("" = not through OGR)
FORMATS = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GPKG",
    ".fgb": "FlatGeobuf",
    ".parquet": "",
    ".geoparquet": "",
    ".csv": "",
}

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
    if suffix not in FORMATS:
        why = _REFUSED.get(suffix, "not a supported format")
        raise OutputError(
            f"cannot write {str(out)!r}: {suffix or 'no suffix'} — {why}; use one of "
            f"{', '.join(FORMATS)}"
        )
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
    suffix = out_p.suffix.lower()
    with atomic_output(out_p, inputs=inputs) as tmp:
        if suffix == ".csv":
            from suigeo.layers.export import to_csv_frame  # geo may use layers; loaded when needed

            frame = neutralise_frame(to_csv_frame(gdf))  # no spreadsheet formulas
            frame.to_csv(tmp, index=False, encoding="utf-8")
        elif not FORMATS[suffix]:
            gdf.to_parquet(tmp, index=False)
        else:
            layer = re.sub(r"\W+", "_", out_p.stem) or "result"
            pyogrio.write_dataframe(gdf, tmp, driver=FORMATS[suffix], layer=layer)
    log.info("wrote %d row(s) to %s", len(gdf), out_p)
    return out_p
