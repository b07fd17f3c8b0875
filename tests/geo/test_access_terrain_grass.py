"""Raster engine on real terrain against GRASS GIS ``r.cost`` (skipped without GRASS).

The DEM is a 120 × 120 clip (30 m) of the SRTM3 tile N44W072 round Mount Washington
(1080-1906 m; see the file's tags): real heights and slopes, its grid relabelled EPSG:4547
so suigeo's CGCS2000 planes apply. Off road the friction raster holds Tobler's walking
speed × 0.6 at each cell's steepest slope, written here with numpy; GRASS gets the same
friction as minutes per cell. ``r.cost`` (Dijkstra over 8 neighbours, costs
``d/2 · (c_a + c_b)``) is the independent reference: the same cells within the cut-off, the
same minutes up to its float32 cost raster.
"""

import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import rasterio

from suigeo import crs
from suigeo.geo.access import rings

DEM = Path(__file__).parent / "data" / "srtm3_n44w072_mt_washington_30m.tif"
CELL = 30.0
MINUTES = 20.0

pytestmark = pytest.mark.skipif(shutil.which("grass") is None, reason="GRASS GIS not installed")


def _grass(loc: Path, *args: str) -> None:
    subprocess.run(
        ["grass", str(loc / "PERMANENT"), "--exec", *args],
        check=True,
        capture_output=True,
        text=True,
    )


def test_real_dem_friction_equals_grass_r_cost(tmp_path):
    with rasterio.open(DEM) as src:
        dem, prof, tr = src.read(1).astype(np.float64), src.profile, src.transform
    gy, gx = np.gradient(dem, CELL)
    slope = np.hypot(gx, gy)
    assert slope.max() > 0.5  # real mountain slopes, not a flat stand-in
    kmh = (6 * np.exp(-3.5 * np.abs(slope + 0.05)) * 0.6).astype(np.float32)
    prof.update(dtype="float32", predictor=1)
    with rasterio.open(tmp_path / "friction.tif", "w", **prof) as dst:
        dst.write(kmh, 1)
    with rasterio.open(tmp_path / "cost.tif", "w", **prof) as dst:  # minutes per cell
        dst.write((CELL / (kmh * 1000 / 60)).astype(np.float32), 1)
    row = col = 60
    x, y = tr.c + (col + 0.5) * CELL, tr.f - (row + 0.5) * CELL
    lon, lat = crs.transform([x], [y], src=4547, dst="CGCS2000")
    rings(
        (float(lon[0]), float(lat[0])),
        minutes=[MINUTES],
        engine="raster",
        rail=False,
        friction=tmp_path / "friction.tif",
        raster_out=tmp_path / "ours.tif",
        settings={"raster.cell_m": CELL},
    )
    loc = tmp_path / "grassdb" / "loc"
    subprocess.run(["grass", "-c", "EPSG:4547", "-e", str(loc)], check=True, capture_output=True)
    _grass(loc, "r.in.gdal", f"input={tmp_path / 'cost.tif'}", "output=cost", "-o")
    _grass(loc, "g.region", "raster=cost")
    _grass(
        loc,
        "r.cost",
        "input=cost",
        "output=rcost",
        f"start_coordinates={x},{y}",
        f"max_cost={MINUTES}",
    )
    _grass(loc, "r.out.gdal", "input=rcost", f"output={tmp_path / 'rcost.tif'}", "type=Float64")
    with rasterio.open(tmp_path / "rcost.tif") as a, rasterio.open(tmp_path / "ours.tif") as b:
        ref, ref_tr = a.read(1, masked=True).filled(np.nan), a.transform
        ours, our_tr = b.read(1).astype(np.float64), b.transform
        ours[ours == b.nodata] = np.nan
    # the engine's window lies inside the DEM's grid, cell on cell (to the round trip of
    # the origin through longitude and latitude)
    c0, r0 = (our_tr.c - ref_tr.c) / CELL, (ref_tr.f - our_tr.f) / CELL
    assert abs(c0 - round(c0)) < 1e-6 and abs(r0 - round(r0)) < 1e-6
    c0, r0 = round(c0), round(r0)
    assert c0 >= 0 and r0 >= 0
    assert r0 + ours.shape[0] <= ref.shape[0] and c0 + ours.shape[1] <= ref.shape[1]
    sub = ref[r0 : r0 + ours.shape[0], c0 : c0 + ours.shape[1]]
    # r.cost also keeps the tentative costs (over max_cost) of the cells next to its last
    within = np.nan_to_num(ref, nan=math.inf) <= MINUTES
    assert within.sum() == (np.nan_to_num(sub, nan=math.inf) <= MINUTES).sum()  # all inside
    sub = np.where(sub <= MINUTES, sub, np.nan)
    near = np.abs(np.nan_to_num(sub, nan=math.inf) - MINUTES) < 1e-4  # on the cut-off
    assert np.array_equal(np.isfinite(ours) | near, np.isfinite(sub) | near)
    both = np.isfinite(ours) & np.isfinite(sub)
    assert both.sum() > 300
    np.testing.assert_allclose(ours[both], sub[both], rtol=1e-6, atol=1e-6)
