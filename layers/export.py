"""Write a shipped layer to GeoJSON, GeoPackage, GeoParquet or CSV, atomically."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from pyproj import CRS

from suigeo.crs.params import params_file
from suigeo.crs.systems import System, resolve
from suigeo.crs.transform import Params
from suigeo.errors import OutputError
from suigeo.io.atomic import check_outputs
from suigeo.io.formats import FORMATS as SUFFIX_FORMATS
from suigeo.io.formats import format_for
from suigeo.io.vector import to_csv_frame, write_vector
from suigeo.layers.shipped import layer_path, load

__all__ = ["FORMATS", "export", "to_csv_frame"]

log = logging.getLogger(__name__)

_NAMES = {"geojson": "GeoJSON", "gpkg": "GPKG", "parquet": "GeoParquet", "csv": "CSV"}
#: suffix -> format name, for the formats a shipped layer is exported to (from the one
#: table in suigeo.io.formats)
FORMATS = {s: _NAMES[f] for s, f in SUFFIX_FORMATS.items() if f in _NAMES}


def _format_for(out: Path) -> str:
    return _NAMES[format_for(out, purpose="output", allowed=tuple(_NAMES))]


def export(
    name: str,
    out: str | os.PathLike[str],
    *,
    dst: str | int | CRS | System | None = None,
    params: Params = None,
) -> Path:
    """Write shipped layer ``name`` to ``out``; the format follows the suffix.

    GeoJSON and GeoPackage are written by pyogrio (GDAL), GeoParquet by GeoPandas/pyarrow,
    CSV with ``lon``/``lat`` (or ``x``/``y`` in a projected system) for points and a
    ``wkt`` column for lines. The file appears only when complete (atomic rename); the
    shipped data file can never be overwritten.

    Parameters
    ----------
    name
        Shipped layer name (:data:`suigeo.layers.LAYER_NAMES`).
    out
        Output file; its suffix gives the format (:data:`FORMATS`).
    dst
        Target system (default CGCS2000 lon/lat), anything :func:`suigeo.crs.resolve` accepts.
    params
        Guangzhou 2000 parameter file or set, for systems that need one.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    out_p = Path(out)
    kind = _format_for(out_p)
    system = resolve(dst if dst is not None else "CGCS2000")
    if system.pyproj_crs is None and kind == "GeoJSON":
        raise OutputError(
            f"{system.name} has no coordinate reference system a GeoJSON file can carry (a "
            "GeoJSON file without one is read as WGS84 lon/lat); export CSV, GeoPackage or "
            "GeoParquet instead"
        )
    inputs = [layer_path(name), params_file(params)]
    check_outputs([out_p], inputs)  # before any work
    gdf = load(name, dst=dst, params=params)
    write_vector(
        gdf,
        out_p,
        inputs=inputs,
        layer=name,
        fmt={v: k for k, v in _NAMES.items()}[kind],
        csv_frame=lambda g: to_csv_frame(g, geographic=system.is_geographic),
    )
    log.info("wrote %s: %d feature(s) of %s, %s, %s", out_p, len(gdf), name, kind, system.name)
    if gdf.crs is None and kind != "CSV":
        log.warning("%s: written without a CRS definition; coordinates are %s", out_p, system.name)
    return out_p
