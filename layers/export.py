"""Write a shipped layer to GeoJSON, GeoPackage, GeoParquet or CSV, atomically."""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from pyproj import CRS

from suigeo.crs.params import params_file
from suigeo.crs.systems import System, resolve
from suigeo.crs.transform import Params
from suigeo.errors import OutputError
from suigeo.io.atomic import atomic_output, check_outputs
from suigeo.io.cells import neutralise_frame
from suigeo.layers.shipped import layer_path, load

__all__ = ["FORMATS", "export", "to_csv_frame"]

log = logging.getLogger(__name__)

# suffix -> format name
FORMATS = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GPKG",
    ".parquet": "GeoParquet",
    ".geoparquet": "GeoParquet",
    ".csv": "CSV",
}


def to_csv_frame(gdf: gpd.GeoDataFrame, *, geographic: bool | None = None) -> pd.DataFrame:
    """Attributes plus coordinates: ``lon``/``lat`` (geographic) or ``x``/``y`` (projected)
    for points; a ``wkt`` column for other geometries.

    ``geographic`` defaults to what the frame's CRS says (lon/lat when it has none)."""
    df = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    if (gdf.geom_type == "Point").all():
        if geographic is None:
            geographic = gdf.crs is None or gdf.crs.is_geographic
        xname, yname = ("lon", "lat") if geographic else ("x", "y")
        df[xname] = gdf.geometry.x.to_numpy()
        df[yname] = gdf.geometry.y.to_numpy()
    else:
        df["wkt"] = gdf.geometry.to_wkt(rounding_precision=-1).to_numpy()
    return df


def _format_for(out: Path) -> str:
    try:
        return FORMATS[out.suffix.lower()]
    except KeyError:
        raise OutputError(
            f"cannot tell the format of {str(out)!r} from its suffix; use one of "
            f"{', '.join(FORMATS)}"
        ) from None


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
    with atomic_output(out_p, inputs=inputs) as tmp:
        if kind == "GeoParquet":
            gdf.to_parquet(tmp, index=False)
        elif kind == "CSV":
            frame = to_csv_frame(gdf, geographic=system.is_geographic)
            frame = neutralise_frame(frame)  # no spreadsheet formulas
            frame.to_csv(tmp, index=False, encoding="utf-8")
        elif gdf.crs is None:
            # GZ2000, GCJ-02, BD-09: no CRS definition to store; the caller is told
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="'crs' was not provided")
                pyogrio.write_dataframe(gdf, tmp, driver=kind, layer=name)
        else:
            pyogrio.write_dataframe(gdf, tmp, driver=kind, layer=name)
    log.info("wrote %s: %d feature(s) of %s, %s, %s", out_p, len(gdf), name, kind, system.name)
    if gdf.crs is None and kind != "CSV":
        log.warning("%s: written without a CRS definition; coordinates are %s", out_p, system.name)
    return out_p
