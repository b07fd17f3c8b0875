"""Height anomalies and height corrections: quasi-geoid grids, fitted surfaces, HGZ grids.

GNSS gives ellipsoidal heights ``h`` on CGCS2000; the 1985 National Height Datum (H1985)
gives normal heights ``H``. They differ by the height anomaly ``ζ = h - H`` (the height of the
quasi-geoid above the ellipsoid, some -5 to -2 m around Guangzhou). suigeo takes ζ from:

* a quasi-geoid grid of height anomalies in metres, in a format PROJ reads (GeoTIFF grid,
  GTX; ``suigeo crs grid`` converts ISG and Surfer text grids), on CGCS2000 lon/lat
  (``geoid=``, ``--geoid FILE``, or ``[height] geoid = "FILE"`` in the parameter file).
  PROJ's ``vgridshift`` interpolates it (bilinearly); a point outside the grid, or on a
  node without data, has no anomaly (``inf``), never an extrapolated guess;
* or a surface fitted from levelled GNSS control points (``crs fit --model height-plane`` or
  ``height-quadratic``; ``[height] anomaly_model``), a polynomial of the [projection]'s
  plane coordinates, held only inside its area (``anomaly_e_min_m`` ... ``anomaly_n_max_m``,
  written by the fit: the control points' extent plus a margin); outside it, ``inf``.

The Guangzhou height system is ``HGZ = H1985 + offset_m`` (``model = "offset"``) or
``HGZ = H1985 + c`` with ``c`` read from ``[height] correction_grid`` (``model = "grid"``),
a grid of corrections in metres applied by the same PROJ ``vgridshift``.

Grids are opened by absolute path with PROJ's network access left as it is (off by
default: nothing is downloaded), and a grid PROJ cannot find or read is an error, never
skipped (no optional ``@`` grids).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pyproj import Transformer
from pyproj.exceptions import ProjError

from suigeo.crs.params import Gz2000Params, secret_transformer
from suigeo.errors import InputError, ParameterFileError

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["anomaly_source", "grid_pipeline", "grid_values", "hgz_correction"]

_GRIDS: dict[tuple[str, int, int], Transformer] = {}


def grid_pipeline(path: str | os.PathLike[str]) -> str:
    """The PROJ pipeline adding a grid's value to the height: CGCS2000 lon/lat degrees and
    ``z`` in, ``z + grid(lon, lat)`` out (``vgridshift``, multiplier 1, bilinear).

    Examples
    --------
    >>> grid_pipeline("/data/geoid.tif").split(" +step ")[2]
    '+proj=vgridshift +grids="/data/geoid.tif" +multiplier=1'
    """
    text = str(Path(path).resolve()) if not Path(path).is_absolute() else str(path)
    if any(c in text for c in '",'):
        raise InputError(f"{text!r}: PROJ cannot be given a grid path holding a quote or comma")
    return (
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad"
        f' +step +proj=vgridshift +grids="{text}" +multiplier=1'
        " +step +proj=unitconvert +xy_in=rad +xy_out=deg"
    )


def _grid_transformer(path: Path, label: str) -> Transformer:
    try:
        st = path.stat()
    except OSError:
        raise InputError(f"{label} {str(path)!r}: no such file") from None
    key = (str(path), st.st_mtime_ns, st.st_size)
    t = _GRIDS.get(key)
    if t is None:
        try:
            t = Transformer.from_pipeline(grid_pipeline(path))
        except ProjError:
            raise InputError(
                f"{label} {str(path)!r}: PROJ cannot read it as a grid (give a GeoTIFF grid or "
                "a GTX file of metres on CGCS2000 lon/lat; `suigeo crs grid` converts ISG and "
                "Surfer text grids)"
            ) from None
        if len(_GRIDS) >= 16:
            _GRIDS.clear()
        _GRIDS[key] = t
    return t


def grid_values(
    path: str | os.PathLike[str], lon: NDArray[np.float64], lat: NDArray[np.float64], *,
    label: str = "grid",
) -> NDArray[np.float64]:  # fmt: skip
    """The grid's value at CGCS2000 ``lon``, ``lat`` (degrees), interpolated by PROJ's
    ``vgridshift``; ``inf`` outside the grid or where it has no data.

    ``label`` names the grid in errors (``geoid grid``, ``correction grid``).
    """
    p = Path(path)
    p = p if p.is_absolute() else p.resolve()
    t = _grid_transformer(p, label)
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    _, _, z = t.transform(lon, lat, np.zeros(lon.shape), errcheck=False)
    z = np.asarray(z, dtype=np.float64)
    z[~np.isfinite(z)] = np.inf
    z[_near_nodata(p, lon, lat)] = np.inf
    return z


_MASKS: dict[tuple[str, int, int], tuple[np.ndarray, float, float, float, float] | None] = {}


def _nodata_mask(path: Path) -> tuple[np.ndarray, float, float, float, float] | None:
    """The grid's no-data nodes and its node geometry ``(mask, west, north, dlon, dlat)``,
    or ``None`` when every node has data (rasterio reads what PROJ reads: GeoTIFF, GTX)."""
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key in _MASKS:
        return _MASKS[key]
    import rasterio

    with rasterio.open(path) as ds:
        band = ds.read(1, masked=True)
        t = ds.transform
    mask = np.ma.getmaskarray(band) | ~np.isfinite(np.ma.getdata(band))
    got = None
    if mask.any():
        # GDAL reports cell corners; the nodes are the cell centres
        got = (mask, t.c + t.a / 2, t.f + t.e / 2, t.a, -t.e)
    if len(_MASKS) >= 16:
        _MASKS.clear()
    _MASKS[key] = got
    return got


def _near_nodata(path: Path, lon: np.ndarray, lat: np.ndarray) -> NDArray[np.bool_]:
    """Points whose interpolation would use a no-data node (PROJ leaves such a node out and
    interpolates from the others: a guess, which suigeo refuses)."""
    got = _nodata_mask(path)
    bad = np.zeros(lon.shape, dtype=bool)
    if got is None:
        return bad
    mask, west, north, dlon, dlat = got
    rows, cols = mask.shape
    with np.errstate(invalid="ignore"):
        fx = (lon - west) / dlon
        fy = (north - lat) / dlat
        inside = np.isfinite(fx) & np.isfinite(fy) & (fx >= 0) & (fy >= 0)
        inside &= (fx <= cols - 1) & (fy <= rows - 1)
    idx = np.flatnonzero(inside)
    fx, fy = fx[idx], fy[idx]
    j0 = np.minimum(np.floor(fx).astype(np.int64), cols - 1)
    i0 = np.minimum(np.floor(fy).astype(np.int64), rows - 1)
    ax, ay = fx - j0, fy - i0
    hit = np.zeros(idx.size, dtype=bool)
    for di, dj, weight in ((0, 0, (1 - ax) * (1 - ay)), (0, 1, ax * (1 - ay)),
                           (1, 0, (1 - ax) * ay), (1, 1, ax * ay)):  # fmt: skip
        i, j = np.minimum(i0 + di, rows - 1), np.minimum(j0 + dj, cols - 1)
        hit |= (weight > 0) & mask[i, j]
    bad[idx[hit]] = True
    return bad


class AnomalySource:
    """Where the height anomaly ζ = h - H1985 comes from (a grid or a fitted surface)."""

    def __init__(
        self,
        grid: Path | None = None,
        params: Gz2000Params | None = None,
        label: str = "geoid grid",
    ) -> None:
        self.grid, self.params, self.label = grid, params, label

    @property
    def is_grid(self) -> bool:
        """Whether ζ comes from a grid (points outside it have none)."""
        return self.grid is not None

    def __call__(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.float64]:
        if self.grid is not None:
            return grid_values(self.grid, lon, lat, label=self.label)
        assert self.params is not None
        return _surface(self.params, lon, lat)


def _surface(
    params: Gz2000Params, lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> NDArray[np.float64]:
    got = params._anomaly_surface()
    assert got is not None
    model, pipeline, e0, n0, scale, a = got
    t = secret_transformer(pipeline)
    if t is None:  # pragma: no cover - the same projection was accepted when loaded
        raise ParameterFileError(f"parameter file {params.source}: PROJ rejected the projection")
    e, n = t.transform(lon, lat, errcheck=False)
    e, n = np.asarray(e, dtype=np.float64), np.asarray(n, dtype=np.float64)
    z = anomaly_polynomial(model, a, (e - e0) / scale, (n - n0) / scale)
    area = params._anomaly_extent()
    if area is not None:  # outside the control points' area the surface would be a guess
        e_min, e_max, n_min, n_max = area
        with np.errstate(invalid="ignore"):
            inside = (e >= e_min) & (e <= e_max) & (n >= n_min) & (n <= n_max)
        z = np.where(inside, z, np.inf)
    return z


def anomaly_polynomial(
    model: str, a: tuple[float, ...] | NDArray[np.float64], u: NDArray[np.float64],
    v: NDArray[np.float64],
) -> NDArray[np.float64]:  # fmt: skip
    """``a0 + a1 u + a2 v`` (plane) ``+ a3 u² + a4 u v + a5 v²`` (quadratic)."""
    z = a[0] + a[1] * u + a[2] * v
    if model == "quadratic":
        z = z + a[3] * u * u + a[4] * u * v + a[5] * v * v
    return np.asarray(z, dtype=np.float64)


def anomaly_source(
    geoid: str | os.PathLike[str] | None, params: Gz2000Params | None
) -> AnomalySource | None:
    """The source of ζ: ``geoid`` if given, else the parameter file's ``[height] geoid`` or
    fitted ``anomaly_model``; ``None`` when there is none."""
    if geoid is not None:
        return AnomalySource(grid=Path(geoid), label="geoid grid")
    if params is None:
        return None
    if params.geoid is not None:
        return AnomalySource(
            grid=params.geoid, label=f"the [height] geoid grid of parameter file {params.source}"
        )
    if params.has_anomaly_model:
        return AnomalySource(params=params)
    return None


def hgz_correction(
    params: Gz2000Params | None,
    default_offset: float,
    lon: NDArray[np.float64] | None,
    lat: NDArray[np.float64] | None,
    shape: tuple[int, ...],
) -> NDArray[np.float64]:
    """HGZ - H1985 at the points: the ``[height]`` offset (or the default) everywhere, or the
    ``correction_grid``'s value (``inf`` outside it)."""
    if params is None or params.correction_grid is None:
        offset = default_offset if params is None else params.height_offset_m
        return np.full(shape, offset, dtype=np.float64)
    assert lon is not None and lat is not None
    return grid_values(
        params.correction_grid,
        lon,
        lat,
        label=f"the [height] correction grid of parameter file {params.source}",
    )
