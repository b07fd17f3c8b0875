"""Text grids of heights (ISG, Surfer ASCII GRD) read, and written as GeoTIFF grids PROJ reads.

Quasi-geoid models are published as text: the ISG format of the International Service for
the Geoid (ISG 1.0 and 2.0, https://www.isgeoid.polimi.it/Geoid/format_specs.html) and the
Surfer ASCII grid (``DSAA``). PROJ's ``vgridshift`` reads GeoTIFF grids and GTX, so
:func:`convert_grid` turns a text grid into a Float32 GeoTIFF on CGCS2000 lon/lat
(EPSG:4490) that PROJ interpolates exactly at the nodes.

Registration: both formats give a value per grid *node*. ISG's ``lat min`` .. ``lat max``
normally name the first and last nodes (``(max - min) / delta = nrows - 1``); some ISG files
give the edges of cells centred on the values (``(max - min) / delta = nrows``), and that
is understood too; anything else is refused. Surfer's ``xlo``/``xhi``, ``ylo``/``yhi`` are
the first and last nodes. The GeoTIFF is written ``PixelIsPoint`` (``AREA_OR_POINT=Point``)
with the geotransform of cells centred on the nodes, so PROJ, GDAL and QGIS all put every
value on its node.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from suigeo.errors import InputError
from suigeo.io.atomic import atomic_output, check_outputs

__all__ = [
    "NODATA",
    "NodeGrid",
    "convert_grid",
    "read_grid",
    "read_isg",
    "read_surfer",
    "write_grid",
]

#: The no-data value of the GeoTIFF written (PROJ gives no value there: the point fails).
NODATA = -32768.0
#: Surfer's blank value (and anything at least as large).
SURFER_BLANK = 1.70141e38
#: The largest text grid read (a regional quasi-geoid is a few MB).
MAX_GRID_BYTES = 512 * 2**20


@dataclass(frozen=True)
class NodeGrid:
    """Values on grid nodes: ``values[i, j]`` at latitude ``north - i * dlat`` and
    longitude ``west + j * dlon`` (degrees); NaN where there is no data."""

    values: NDArray[np.float64]
    west: float
    north: float
    dlon: float
    dlat: float

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return self.values.shape

    def node(self, i: int, j: int) -> tuple[float, float]:
        """Longitude and latitude of node ``(i, j)``."""
        return self.west + j * self.dlon, self.north - i * self.dlat


def _read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_GRID_BYTES:
            raise InputError(f"{str(path)!r}: {size:,} bytes is too large for a text grid")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{str(path)!r}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{str(path)!r} is a folder, not a grid file") from None
    except OSError as exc:
        raise InputError(f"cannot read {str(path)!r}: {exc.strerror}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


_DMS = re.compile(r"^\s*([+-]?)(\d+)\s*°\s*(\d+)\s*'\s*(\d+(?:\.\d*)?)\s*\"?\s*$")


def _angle(text: str, key: str, path: Path) -> float:
    m = _DMS.match(text)
    if m:
        sign = -1.0 if m.group(1) == "-" else 1.0
        return sign * (float(m.group(2)) + float(m.group(3)) / 60 + float(m.group(4)) / 3600)
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{str(path)!r}: header '{key}': {text!r} is not an angle") from None
    if not math.isfinite(value):
        raise InputError(f"{str(path)!r}: header '{key}' is not finite")
    return value


def _numbers(text: str, path: Path, first_line: int) -> NDArray[np.float64]:
    try:
        return np.array(text.split(), dtype=np.float64)
    except ValueError:
        for k, line in enumerate(text.splitlines()):
            for token in line.split():
                try:
                    float(token)
                except ValueError:
                    raise InputError(
                        f"{str(path)!r}: line {first_line + k}: {token[:30]!r} is not a number"
                    ) from None
        raise  # pragma: no cover


def _registration(lo: float, hi: float, delta: float, n: int, what: str, path: Path) -> float:
    """The first node's coordinate given the limits: nodes (n - 1 steps) or cell edges
    (n steps, values at the centres)."""
    if not (delta > 0 and n >= 2 and hi > lo):
        raise InputError(f"{str(path)!r}: {what}: the header's limits, step and count disagree")
    steps = (hi - lo) / delta
    if abs(steps - (n - 1)) < 1e-6 * max(1.0, n):
        return lo
    if abs(steps - n) < 1e-6 * max(1.0, n):
        return lo + delta / 2
    raise InputError(
        f"{str(path)!r}: {what}: ({hi:g} - {lo:g}) / {delta:g} = {steps:g} steps for {n} "
        f"values; neither node ({n - 1}) nor cell ({n}) registration"
    )


def read_isg(path: str | os.PathLike[str]) -> NodeGrid:
    """Read an ISG 1.0 or 2.0 grid (geodetic coordinates, values in metres).

    Raises :class:`InputError` for sparse or projected ISG files, other units, and any
    header or data that does not add up (naming the file, and the line for a bad value).
    """
    p = Path(path)
    text = _read_text(p)
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.strip().startswith("begin_of_head")), None)
    end = next((i for i, ln in enumerate(lines) if ln.strip().startswith("end_of_head")), None)
    if start is None or end is None or end < start:
        raise InputError(f"{str(p)!r}: not an ISG file (no begin_of_head ... end_of_head)")
    head: dict[str, str] = {}
    for ln in lines[start + 1 : end]:
        m = re.match(r"^\s*([^=:]+?)\s*[=:]\s*(.*?)\s*$", ln)
        if m:
            head[m.group(1).strip().lower()] = m.group(2)
    for key, ok in (
        ("data format", ("grid",)),
        ("data ordering", ("n-to-s, w-to-e",)),
        ("coord type", ("geodetic",)),
        ("data units", ("meters", "metres", "m")),
        ("coord units", ("deg", "dms")),
    ):
        if key in head and head[key].strip().lower() not in ok:
            raise InputError(
                f"{str(p)!r}: header '{key}' is {head[key]!r}; suigeo reads {', '.join(ok)}"
            )
    try:
        nrows, ncols = int(head["nrows"]), int(head["ncols"])
        lat_min, lat_max = (
            _angle(head["lat min"], "lat min", p),
            _angle(head["lat max"], "lat max", p),
        )
        lon_min, lon_max = (
            _angle(head["lon min"], "lon min", p),
            _angle(head["lon max"], "lon max", p),
        )
        dlat, dlon = (
            _angle(head["delta lat"], "delta lat", p),
            _angle(head["delta lon"], "delta lon", p),
        )
    except KeyError as exc:
        raise InputError(f"{str(p)!r}: the ISG header has no '{exc.args[0]}'") from None
    except ValueError:
        raise InputError(f"{str(p)!r}: header 'nrows'/'ncols' must be whole numbers") from None
    nodata = float(head.get("nodata", "-9999"))
    values = _numbers("\n".join(lines[end + 1 :]), p, end + 2)
    if values.size != nrows * ncols:
        raise InputError(
            f"{str(p)!r}: {values.size} values below the header, but nrows x ncols = "
            f"{nrows} x {ncols} = {nrows * ncols}"
        )
    grid = values.reshape(nrows, ncols)
    grid[grid == nodata] = np.nan
    north = lat_max - (_registration(lat_min, lat_max, dlat, nrows, "latitude", p) - lat_min)
    west = _registration(lon_min, lon_max, dlon, ncols, "longitude", p)
    return NodeGrid(grid, west, north, dlon, dlat)


def read_surfer(path: str | os.PathLike[str]) -> NodeGrid:
    """Read a Surfer ASCII grid (``DSAA``): rows from south to north, x = longitude."""
    p = Path(path)
    text = _read_text(p)
    lines = text.splitlines()
    if not lines or lines[0].strip() != "DSAA":
        raise InputError(f"{str(p)!r}: not a Surfer ASCII grid (the first line is not DSAA)")
    try:
        nx, ny = (int(v) for v in lines[1].split())
        xlo, xhi = (float(v) for v in lines[2].split())
        ylo, yhi = (float(v) for v in lines[3].split())
    except (ValueError, IndexError):
        raise InputError(
            f"{str(p)!r}: lines 2-4 must be 'nx ny', 'xlo xhi', 'ylo yhi' (numbers)"
        ) from None
    if nx < 2 or ny < 2 or not (xhi > xlo and yhi > ylo):
        raise InputError(
            f"{str(p)!r}: the grid needs at least 2 x 2 nodes and xhi > xlo, yhi > ylo"
        )
    values = _numbers("\n".join(lines[5:]), p, 6)
    if values.size != nx * ny:
        raise InputError(
            f"{str(p)!r}: {values.size} values below the header, but nx x ny = {nx} x {ny} = "
            f"{nx * ny}"
        )
    grid = values.reshape(ny, nx)[::-1].copy()  # south-to-north rows -> north first
    grid[grid >= SURFER_BLANK * 0.999999] = np.nan
    return NodeGrid(grid, xlo, yhi, (xhi - xlo) / (nx - 1), (yhi - ylo) / (ny - 1))


def read_grid(path: str | os.PathLike[str]) -> NodeGrid:
    """An ISG (``.isg``) or Surfer ASCII (``.grd``, ``DSAA``) grid, told by its content."""
    p = Path(path)
    text = _read_text(p)[:4096]
    if text.lstrip().startswith("DSAA"):
        return read_surfer(p)
    if "begin_of_head" in text:
        return read_isg(p)
    raise InputError(
        f"{str(p)!r}: not a text grid suigeo reads (ISG 1.0/2.0 with begin_of_head, or a "
        "Surfer ASCII grid starting DSAA); a binary Surfer 6/7 grid can be saved as ASCII in "
        "Surfer"
    )


def write_grid(grid: NodeGrid, out: str | os.PathLike[str], *, inputs: list = ()) -> Path:  # type: ignore[assignment]
    """Write ``grid`` as a Float32 GeoTIFF on CGCS2000 lon/lat (EPSG:4490), PixelIsPoint,
    no-data :data:`NODATA`, atomically."""
    import rasterio
    from rasterio.transform import Affine

    if not (grid.west >= -180 and grid.west + grid.dlon * (grid.shape[1] - 1) <= 360):
        raise InputError("the grid's longitudes are outside -180..360 degrees")
    if not (grid.north - grid.dlat * (grid.shape[0] - 1) >= -90 and grid.north <= 90):
        raise InputError("the grid's latitudes are outside -90..90 degrees")
    data = np.where(np.isnan(grid.values), NODATA, grid.values).astype(np.float32)
    transform = Affine(
        grid.dlon, 0.0, grid.west - grid.dlon / 2, 0.0, -grid.dlat, grid.north + grid.dlat / 2
    )
    profile = dict(
        driver="GTiff", width=grid.shape[1], height=grid.shape[0], count=1, dtype="float32",
        crs="EPSG:4490", transform=transform, nodata=NODATA,
    )  # fmt: skip
    with atomic_output(out, inputs=list(inputs)) as tmp, rasterio.open(tmp, "w", **profile) as ds:
        ds.update_tags(AREA_OR_POINT="Point")
        ds.update_tags(1, UNITTYPE="metre")
        ds.write(data, 1)
    return Path(out)


def convert_grid(src: str | os.PathLike[str], out: str | os.PathLike[str]) -> NodeGrid:
    """Convert a text grid (ISG 1.0/2.0, Surfer ASCII GRD) into a GeoTIFF grid PROJ reads.

    Parameters
    ----------
    src
        The text grid.
    out
        The GeoTIFF to write (``.tif``/``.tiff``); never the input.

    Returns
    -------
    NodeGrid
        The grid read (values in metres, NaN without data).
    """
    if Path(out).suffix.lower() not in (".tif", ".tiff"):
        raise InputError(f"{str(out)!r}: the grid is written as GeoTIFF: name it .tif")
    check_outputs([out], [src])
    grid = read_grid(src)
    write_grid(grid, out, inputs=[src])
    return grid
