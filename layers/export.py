"""Write a shipped layer to GeoJSON, GeoPackage, GeoParquet or CSV, atomically."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from suigeo.crs.systems import resolve
from suigeo.errors import OutputError
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


def _format_for(out: Path, fmt: str | None) -> str:
    if fmt is not None:
        names = {v.lower(): v for v in FORMATS.values()}
        if fmt.lower() not in names:
            raise OutputError(
                f"unknown format {fmt!r}; use one of {', '.join(sorted(names.values()))}"
            )
        return names[fmt.lower()]
    return _NAMES[format_for(out, purpose="output", allowed=tuple(_NAMES))]


def export(
    name: str,
    out: str | os.PathLike[str],
    *,
    crs: str | int | None = None,
    params: object | None = None,
    fmt: str | None = None,
) -> Path:
    """Write shipped layer ``name`` to ``out``; the format follows the suffix.

    GeoJSON and GeoPackage are written by pyogrio (GDAL), GeoParquet by GeoPandas/pyarrow,
    CSV with ``lon``/``lat`` (or ``x``/``y`` in a projected system) for points and a
    ``wkt`` column for lines. The file appears only when complete (atomic rename); the
    shipped data file can never be overwritten.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    out_p = Path(out)
    kind = _format_for(out_p, fmt)
    system = resolve(crs if crs is not None else "CGCS2000")
    if system.pyproj_crs is None and kind == "GeoJSON":
        raise OutputError(
            f"{system.name} has no coordinate reference system a GeoJSON file can carry (a "
            "GeoJSON file without one is read as WGS84 lon/lat); export CSV, GeoPackage or "
            "GeoParquet instead"
        )
    gdf = load(name, crs=crs, params=params)
    write_vector(
        gdf,
        out_p,
        inputs=[layer_path(name)],
        layer=name,
        fmt={v: k for k, v in _NAMES.items()}[kind],
        csv_frame=lambda g: to_csv_frame(g, geographic=system.is_geographic),
    )
    if gdf.crs is None and kind != "CSV":
        log.warning("%s: written without a CRS definition; coordinates are %s", out_p, system.name)
    return out_p
