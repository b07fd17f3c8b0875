"""Raster engine against scikit-image's MCP_Geometric, Tobler's formula and hand counts."""

import math

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
import skimage.graph as skimage_graph
from affine import Affine

from suigeo import crs
from suigeo.errors import InputError
from suigeo.geo.access import rings

X0, Y0 = (float(v[0]) for v in crs.transform([113.3], [23.1], src="CGCS2000", dst=4547))
CELL = 50.0
OFF_PATH_FLAT = 6 * math.exp(-3.5 * 0.05) * 0.6 * 1000 / 60  # m/min, Tobler × 0.6 at S = 0


def _lonlat(x, y):
    lon, lat = crs.transform([x], [y], src=4547, dst="CGCS2000")
    return float(lon[0]), float(lat[0])


def _read(path):
    with rasterio.open(path) as src:
        return src.read(1).astype(float), src.transform


def _cell(transform, x, y):
    col = (x - transform.c) / transform.a
    row = (y - transform.f) / transform.e
    return math.floor(row), math.floor(col)


def test_flat_surface_equals_mcp_geometric_and_the_octagon(tmp_path):
    tif = tmp_path / "t.tif"
    res = rings(
        _lonlat(X0, Y0),
        minutes=[20],
        engine="raster",
        rail=False,
        settings={"raster.cell_m": CELL},
        raster_out=tif,
    )
    t, tr = _read(tif)
    start = _cell(tr, *_lonlat_to_plane(_lonlat(X0, Y0)))
    mcp = skimage_graph.MCP_Geometric(np.full(t.shape, 1 / OFF_PATH_FLAT), sampling=(CELL, CELL))
    ref, _ = mcp.find_costs([start])
    reached = t >= 0
    np.testing.assert_allclose(t[reached], ref[reached], rtol=1e-6)
    assert (ref[~reached] > 20 - 1e-6).all()
    # exact 8-neighbour distance: an octagon of area 2√2 R², R = v·T (± one ring of cells)
    r = OFF_PATH_FLAT * 20
    ring = gpd.GeoSeries(res.geometry, crs="EPSG:4490").to_crs(4547).iloc[0]
    assert ring.area == pytest.approx(2 * math.sqrt(2) * r**2, abs=8 * r * CELL)


def _lonlat_to_plane(lonlat):
    x, y = crs.transform([lonlat[0]], [lonlat[1]], src="CGCS2000", dst=4547)
    return float(x[0]), float(y[0])


def _write_dem(path, heights, transform, epsg=4547):
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=heights.shape[1],
        height=heights.shape[0],
        count=1,
        dtype="float64",
        crs=f"EPSG:{epsg}",
        transform=transform,
    ) as dst:
        dst.write(heights, 1)


def test_tobler_on_a_synthetic_slope_matches_the_formula(tmp_path):
    # a plane rising 0.1 m per metre eastwards, DEM cells equal to the grid cells
    n = 200
    west, north = X0 - n / 2 * CELL, Y0 + n / 2 * CELL
    tr = Affine(CELL, 0, west, 0, -CELL, north)
    xs = west + (np.arange(n) + 0.5) * CELL
    dem = tmp_path / "dem.tif"
    _write_dem(dem, np.tile(0.1 * (xs - X0), (n, 1)), tr)
    ox, oy = X0 + CELL / 2, Y0 - CELL / 2  # a cell centre
    tif = tmp_path / "t.tif"
    rings(
        _lonlat(ox, oy),
        minutes=[30],
        engine="raster",
        dem=dem,
        rail=False,
        settings={"raster.cell_m": CELL},
        raster_out=tif,
    )
    t, ttr = _read(tif)
    r0, c0 = _cell(ttr, ox, oy)

    def w(s):  # Tobler 1993 × 0.6 off path, in m/min
        return 6 * math.exp(-3.5 * abs(s + 0.05)) * 0.6 * 1000 / 60

    k = 10
    assert t[r0, c0 + k] == pytest.approx(k * CELL / w(0.1), rel=1e-5)  # uphill east
    assert t[r0, c0 - k] == pytest.approx(k * CELL / w(-0.1), rel=1e-5)  # downhill west
    assert t[r0 - k, c0] == pytest.approx(k * CELL / w(0.0), rel=1e-5)  # along the contour
    # towards the origin: from the east one walks downhill, from the west uphill
    rings(
        _lonlat(ox, oy),
        minutes=[30],
        engine="raster",
        dem=dem,
        rail=False,
        direction="to",
        settings={"raster.cell_m": CELL},
        raster_out=tif,
    )
    t, _ = _read(tif)
    assert t[r0, c0 + k] == pytest.approx(k * CELL / w(-0.1), rel=1e-5)
    assert t[r0, c0 - k] == pytest.approx(k * CELL / w(0.1), rel=1e-5)


def test_dem_in_another_crs_is_reprojected_and_said_so(tmp_path):
    dem = tmp_path / "dem4490.tif"
    lon, lat = 113.3, 23.1
    _write_dem(
        dem, np.full((100, 100), 50.0), Affine(0.002, 0, lon - 0.1, 0, -0.002, lat + 0.1), epsg=4490
    )
    res = rings(
        (lon, lat),
        minutes=[10],
        engine="raster",
        dem=dem,
        rail=False,
        settings={"raster.cell_m": CELL},
    )
    assert "DEM reprojected from EPSG:4490" in res["method"].iloc[0]
    flat = rings(
        (lon, lat), minutes=[10], engine="raster", rail=False, settings={"raster.cell_m": CELL}
    )
    assert res["area_km2"].iloc[0] == pytest.approx(flat["area_km2"].iloc[0], rel=1e-6)
    with pytest.raises(InputError, match=r"outside the DEM|does not cover"):
        rings((lon + 0.3, lat), minutes=[60], engine="raster", dem=dem, rail=False)


def test_roads_burned_equal_mcp_on_the_same_friction(tmp_path):
    # an east-west road along the origin's cell row at 30 km/h (500 m/min)
    ox, oy = X0 + CELL / 2, Y0 - CELL / 2
    road = gpd.GeoDataFrame(
        {"highway": ["residential"]},
        geometry=[shapely.LineString([(ox - 3000, oy), (ox + 3000, oy)])],
        crs=4547,
    )
    tif = tmp_path / "t.tif"
    rings(
        _lonlat(ox, oy),
        minutes=[10],
        engine="raster",
        roads=road,
        rail=False,
        settings={"raster.cell_m": CELL},
        raster_out=tif,
    )
    t, tr = _read(tif)
    r0, c0 = _cell(tr, ox, oy)
    friction = np.full(t.shape, 1 / OFF_PATH_FLAT)
    cols = np.arange(t.shape[1])
    xc = tr.c + (cols + 0.5) * CELL
    friction[r0, (xc > ox - 3001) & (xc < ox + 3001)] = 1 / 500.0  # ends at cell centres
    ref, _ = skimage_graph.MCP_Geometric(friction, sampling=(CELL, CELL)).find_costs([(r0, c0)])
    reached = t >= 0
    np.testing.assert_allclose(t[reached], ref[reached], rtol=1e-5)
    assert t[r0, c0 + 40] == pytest.approx(40 * CELL / 500, rel=1e-6)


def test_expressway_entered_only_at_interchanges(tmp_path):
    ox, oy = X0 + CELL / 2, Y0 - CELL / 2
    e = ox + 10_000  # 10 km of expressway at 90 km/h (class speed) = 6.667 min
    roads = gpd.GeoDataFrame(
        {"highway": ["residential", "motorway", "residential"]},
        geometry=[
            shapely.LineString([(ox - 500, oy), (ox, oy)]),
            shapely.LineString([(ox, oy), (e, oy)]),
            shapely.LineString([(e, oy), (e + 500, oy)]),
        ],
        crs=4547,
    )
    tif = tmp_path / "t.tif"
    rings(
        _lonlat(ox, oy),
        minutes=[15],
        engine="raster",
        roads=roads,
        rail=False,
        settings={"raster.cell_m": CELL},
        raster_out=tif,
    )
    t, tr = _read(tif)
    r_e, c_e = _cell(tr, e + 10, oy)
    assert t[r_e, c_e] == pytest.approx(10_000 / 1500, abs=0.2)  # ramp cell reached at ~6.7 min
    r_m, c_m = _cell(tr, ox + 5000, oy + 100)  # beside the expressway, half way
    assert t[r_m, c_m] == -1  # not reached in 15 min: no access between interchanges


def test_rail_links_station_cells(tmp_path):
    a = (X0 + CELL / 2, Y0 - CELL / 2)
    b = (a[0] + 20_000, a[1])
    st = gpd.GeoDataFrame(
        {"id": ["A", "B"]},
        geometry=[shapely.Point(_lonlat(*a)), shapely.Point(_lonlat(*b))],
        crs="EPSG:4490",
    )
    ln = gpd.GeoDataFrame(
        {
            "id": ["L"],
            "kind": ["intercity"],
            "status": ["in_service"],
            "design_speed_kmh": [200.0],
            "length_km_published": [20.0],
            "stations": ["A;B"],
        },
        geometry=[shapely.LineString([_lonlat(*a), _lonlat(*b)])],
        crs="EPSG:4490",
    )
    tif = tmp_path / "t.tif"
    rings(
        _lonlat(*a),
        minutes=[30],
        engine="raster",
        rails=ln,
        stations=st,
        settings={"raster.cell_m": CELL, "rail.access_min": 10, "rail.egress_min": 5},
        raster_out=tif,
    )
    t, tr = _read(tif)
    # the grid spans A ± 30 min of ground reach (off-path walking on the flat, the fastest
    # speed here: 1512 m) and B ± what is left after the ride (21 min: 9 min, 454 m)
    width = t.shape[1] * CELL
    assert width >= 20_000 + 30 * OFF_PATH_FLAT + 9 * OFF_PATH_FLAT
    assert width <= 20_000 + 2 * 30 * OFF_PATH_FLAT + 2 * CELL
    rb, cb = _cell(tr, *b)
    assert t[rb, cb] == pytest.approx(10 + 6 + 5, abs=1e-4)  # 20 km at 200 km/h = 6 min
    assert t[rb, cb + 8] == pytest.approx(21 + 8 * CELL / OFF_PATH_FLAT, rel=1e-5)


def test_friction_raster_with_a_wall_equals_mcp(tmp_path):
    # 4 km/h everywhere off road, a north-south wall (0 = impassable) with one gap
    n = 261  # larger than the grid the engine builds (origin ± 6 km/h × 60 min = ±120 cells)
    ox, oy = X0 + CELL / 2, Y0 - CELL / 2
    west, north = ox - CELL / 2 - 130 * CELL, oy + CELL / 2 + 130 * CELL
    fr = np.full((n, n), 4.0)
    fr[:, 150] = 0.0
    fr[60, 150] = 4.0
    path = tmp_path / "friction.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=n,
        height=n,
        count=1,
        dtype="float64",
        crs="EPSG:4547",
        transform=Affine(CELL, 0, west, 0, -CELL, north),
    ) as dst:
        dst.write(fr, 1)
    tif = tmp_path / "t.tif"
    res = rings(
        _lonlat(ox, oy),
        minutes=[60],
        engine="raster",
        rail=False,
        friction=path,
        settings={"raster.cell_m": CELL},
        raster_out=tif,
    )
    assert "friction raster" in res["method"].iloc[0]
    t, tr = _read(tif)
    r0, c0 = _cell(tr, ox, oy)
    # the same window of the friction grid for MCP (inf cost = impassable there too)
    row0, col0 = _cell(Affine(CELL, 0, west, 0, -CELL, north), tr.c + CELL / 2, tr.f - CELL / 2)
    sub = fr[row0 : row0 + t.shape[0], col0 : col0 + t.shape[1]]
    assert sub.shape == t.shape
    with np.errstate(divide="ignore"):
        cost = np.where(sub > 0, 60 / (sub * 1000), np.inf)
    ref, _ = skimage_graph.MCP_Geometric(cost, sampling=(CELL, CELL)).find_costs([(r0, c0)])
    reached = t >= 0
    np.testing.assert_allclose(t[reached], ref[reached], rtol=1e-5)
    assert ((ref[~reached] > 60 - 1e-6) | ~np.isfinite(ref[~reached])).all()
    # just beyond the wall: not the 16.5 min straight walk but round through the gap
    beyond = t[r0, c0 + 22]
    assert beyond == -1 or beyond > 2 * 22 * CELL / (4000 / 60)


def test_grid_built_in_row_blocks_equals_mcp_on_a_wide_grid():
    # 3000 columns: the move graph is built a row or two at a time; roads, walking and an
    # impassable wall with a gap, against MCP_Geometric on the same friction
    from suigeo.geo.access.graph import shortest_times
    from suigeo.geo.access.raster import grid_csr
    from suigeo.geo.access.settings import resolve_settings

    h, w = 15, 3000
    speed = np.full((h, w), np.nan)
    speed[7, 100:2900] = 30.0
    speed[:, 1500] = 45.0
    offroad = np.full((h, w), np.nan)
    offroad[:, 2000] = 0.0  # wall ...
    offroad[3, 2000] = np.nan  # ... with a gap off the road
    speed[7, 2000] = np.nan
    graph = grid_csr(speed, None, CELL, resolve_settings(None), offroad=offroad)
    src = (7, 50)
    t, _ = shortest_times(graph, np.array([src[0] * w + src[1]]))
    t = t[0].reshape(h, w)
    kmh = np.where(np.isfinite(speed), speed, np.where(np.isfinite(offroad), offroad, 0))
    kmh = np.where(np.isnan(offroad) & np.isnan(speed), OFF_PATH_FLAT * 60 / 1000, kmh)
    with np.errstate(divide="ignore"):
        cost = 60.0 / (kmh * 1000.0)
    ref, _ = skimage_graph.MCP_Geometric(cost, sampling=(CELL, CELL)).find_costs([src])
    ok = np.isfinite(ref)
    assert ok.sum() == h * w - (h - 1)  # all but the wall
    np.testing.assert_allclose(t[ok], ref[ok], rtol=1e-12)
    assert np.isinf(t[~ok]).all()


def test_grid_cropped_to_the_reach_equals_mcp_on_a_grid_three_times_larger(tmp_path):
    # the engine builds its grid only over what the cut-off can reach; MCP on a grid with
    # a wide margin all round gives the same costs inside the ring and nothing reachable
    # beyond the engine's grid
    ox, oy = X0 + CELL / 2, Y0 - CELL / 2
    lines = [
        shapely.LineString([(ox - 6000, oy), (ox + 6000, oy)]),  # through the origin
        shapely.LineString([(ox + 500, oy - 6000), (ox + 500, oy + 6000)]),
        shapely.LineString([(ox - 4000, oy - 4000), (ox + 4000, oy + 3000)]),
    ]
    road = gpd.GeoDataFrame({"maxspeed": ["40", "60", "30"]}, geometry=lines, crs=4547)
    tif = tmp_path / "t.tif"
    minutes = 8.0
    rings(
        _lonlat(ox, oy),
        minutes=[minutes],
        engine="raster",
        roads=road,
        rail=False,
        settings={"raster.cell_m": CELL},
        raster_out=tif,
    )
    t, tr = _read(tif)
    h, w = t.shape
    big = Affine(CELL, 0, tr.c - w * CELL, 0, -CELL, tr.f + h * CELL)
    kmh = rasterio.features.rasterize(
        sorted(zip(lines, [40.0, 60.0, 30.0], strict=True), key=lambda x: x[1]),  # fastest wins
        out_shape=(3 * h, 3 * w),
        transform=big,
        fill=0.0,
        dtype="float64",
    )
    cost = np.where(kmh > 0, 60.0 / (np.maximum(kmh, 1e-9) * 1000.0), 1 / OFF_PATH_FLAT)
    r0, c0 = _cell(big, ox, oy)
    ref, _ = skimage_graph.MCP_Geometric(cost, sampling=(CELL, CELL)).find_costs([(r0, c0)])
    inner = ref[h : 2 * h, w : 2 * w]
    reached = t >= 0
    assert reached.sum() > 1000
    np.testing.assert_allclose(t[reached], inner[reached], rtol=1e-6)  # float32 GeoTIFF
    assert (inner[~reached] > minutes * (1 - 1e-6)).all()
    outside = np.ones(ref.shape, bool)
    outside[h : 2 * h, w : 2 * w] = False
    assert (ref[outside] > minutes).all()


def test_reverse_grid_and_links_equal_scipy_transpose_and_sum():
    # times to a destination use the backwards move graph built directly, and links are
    # appended to the grid rows: compare with scipy's own transpose and sparse sum
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import dijkstra

    from suigeo.geo.access.raster import grid_csr
    from suigeo.geo.access.settings import resolve_settings

    rng = np.random.default_rng(5)
    h, w, extra = 40, 2100, 3  # several row blocks; 3 linked nodes beyond the grid
    n = h * w
    speed = np.where(rng.random((h, w)) < 0.1, 40.0, np.nan)
    heights = np.cumsum(rng.normal(0, 8, (h, w)), axis=1)  # slopes: moves are asymmetric
    offroad = np.where(rng.random((h, w)) < 0.02, 0.0, np.nan)
    p = resolve_settings(None)
    fwd = grid_csr(speed, heights, CELL, p, n + extra, offroad)
    # links from cells in one block (rows 0-1), in the last cell, and among linked nodes
    u = np.array([n, n + 1, 17, n + 2, 5, w + 9, n, n - 1, n + 2])
    v = np.array([17, n + 2, n, 3 * w + 1, n + 1, n + 1, w + 9, n + 1, n])
    wt = np.array([0.5, 2.0, 0.25, 1.0, 0.75, 3.0, 0.1, 0.2, 0.3])
    links = csr_array((wt, (u, v)), shape=fwd.shape)
    ref = (fwd + links).tocsr()
    ref_back = ref.T.tocsr()
    src = [0, 12 * w + 700, n - 1]
    got = grid_csr(speed, heights, CELL, p, n + extra, offroad, links=links)
    np.testing.assert_array_equal(dijkstra(got, indices=src), dijkstra(ref, indices=src))
    back = grid_csr(
        speed, heights, CELL, p, n + extra, offroad, reverse=True, links=links.T.tocsr()
    )
    got = dijkstra(back, indices=src)
    np.testing.assert_allclose(got, dijkstra(ref_back, indices=src), rtol=1e-12)
    assert np.isfinite(got[1:]).mean() > 0.9  # (cell 0 happens to be walled in)


def test_a_dem_covering_part_of_the_grid_is_said_on_the_result(tmp_path):
    # a 5 km x 5 km DEM around the origin; a 10-minute walk stays on it, 120 minutes do not
    n = 100
    tr = Affine(CELL, 0, X0 - n / 2 * CELL, 0, -CELL, Y0 + n / 2 * CELL)
    dem = tmp_path / "dem.tif"
    _write_dem(dem, np.full((n, n), 20.0), tr)
    kw = {"engine": "raster", "dem": dem, "rail": False, "settings": {"raster.cell_m": CELL}}
    inside = rings(_lonlat(X0, Y0), minutes=[10], **kw)
    assert "walked as flat" not in inside["method"].iloc[0]
    wide = rings(_lonlat(X0, Y0), minutes=[120], **kw)
    method = wide["method"].iloc[0]
    assert "cells outside it or without data are walked as flat" in method
    covered = float(method.split("the DEM covers ")[1].split("%")[0])
    # 120 min of flat off-path walking reach about 120 * OFF_PATH_FLAT metres each way, so
    # the grid is at least that wide and the 5 km DEM covers well under all of it
    reach = 120 * OFF_PATH_FLAT
    assert covered < 100 * (n * CELL) ** 2 / (2 * reach) ** 2 + 1


def test_dem_nodata_cells_are_walked_as_flat_not_as_a_cliff(tmp_path):
    n = 200
    tr = Affine(CELL, 0, X0 - n / 2 * CELL, 0, -CELL, Y0 + n / 2 * CELL)
    heights = np.zeros((n, n))
    heights[:, : n // 2] = -9999.0  # the western half has no data
    dem = tmp_path / "dem.tif"
    with rasterio.open(
        dem,
        "w",
        driver="GTiff",
        width=n,
        height=n,
        count=1,
        dtype="float64",
        crs="EPSG:4547",
        transform=tr,
        nodata=-9999.0,
    ) as dst:
        dst.write(heights, 1)
    origin = _lonlat(X0 + 5 * CELL, Y0)  # east of the gap; a 10-minute walk crosses it
    kw = {"minutes": [10], "engine": "raster", "rail": False, "settings": {"raster.cell_m": CELL}}
    with_dem = rings(origin, dem=dem, **kw)
    flat = rings(origin, **kw)
    assert "walked as flat" in with_dem["method"].iloc[0]
    assert with_dem["area_km2"].iloc[0] == pytest.approx(flat["area_km2"].iloc[0], rel=1e-9)


def _write_nodata_dem(path, heights, transform, nodata=-9999.0):
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=heights.shape[1],
        height=heights.shape[0],
        count=1,
        dtype="float64",
        crs="EPSG:4547",
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(np.where(np.isnan(heights), nodata, heights), 1)


def test_nodata_strip_on_a_high_plateau_is_level_not_a_cliff(tmp_path):
    # a 500 m plateau with a 3-cell nodata strip 10 cells east of the origin: moves into,
    # out of and along the strip are level, so the 30-min ring is the plateau's own ring
    # (before the fix the strip sat at 0 m: a 500 m cliff that cut the ring)
    n = 160  # 8 km: covers the grid (the 30-min reach, even the 6 km/h bound of old)
    ox, oy = X0 + CELL / 2, Y0 - CELL / 2
    tr = Affine(CELL, 0, ox - CELL / 2 - n / 2 * CELL, 0, -CELL, oy + CELL / 2 + n / 2 * CELL)
    plateau = np.full((n, n), 500.0)
    strip = plateau.copy()
    strip[:, n // 2 + 10 : n // 2 + 13] = np.nan
    kw = {"minutes": [30], "engine": "raster", "rail": False, "settings": {"raster.cell_m": CELL}}
    got = {}
    for name, h in (("plateau", plateau), ("strip", strip)):
        _write_nodata_dem(tmp_path / f"{name}.tif", h, tr)
        got[name] = rings(_lonlat(ox, oy), dem=tmp_path / f"{name}.tif", **kw)
    assert "walked as flat" in got["strip"]["method"].iloc[0]
    assert "walked as flat" not in got["plateau"]["method"].iloc[0]
    # independent reference: MCP_Geometric on a level grid (the plateau), cells ≤ 30 min
    m = 2 * n
    ref, _ = skimage_graph.MCP_Geometric(
        np.full((m, m), 1 / OFF_PATH_FLAT), sampling=(CELL, CELL)
    ).find_costs([(n, n)])
    ref_km2 = (ref <= 30 * (1 + 1e-9)).sum() * CELL**2 / 1e6
    assert ref_km2 == pytest.approx(6.47, abs=0.05)  # 2√2 (30 · 50.4 m/min)² ≈ 6.47 km²
    for name in ("plateau", "strip"):
        assert got[name]["area_km2"].iloc[0] == pytest.approx(ref_km2, abs=1e-4)


def test_friction_faster_than_walking_sizes_the_grid(tmp_path):
    # 10 km/h everywhere for 30 min reaches 5 km: the grid must be sized for 10 km/h, not
    # for walking (a 6 km/h grid capped the ring at the 6 × 6 km grid, 36 km²)
    cell = 100.0
    n = 161  # 16 km square, centred on the origin: wider than the 10 km the ring needs
    ox, oy = X0 + cell / 2, Y0 - cell / 2
    west, north = ox - cell / 2 - (n // 2) * cell, oy + cell / 2 + (n // 2) * cell
    path = tmp_path / "fast.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=n,
        height=n,
        count=1,
        dtype="float64",
        crs="EPSG:4547",
        transform=Affine(cell, 0, west, 0, -cell, north),
    ) as dst:
        dst.write(np.full((n, n), 10.0), 1)
    res = rings(
        _lonlat(ox, oy),
        minutes=[30],
        engine="raster",
        rail=False,
        friction=path,
        settings={"raster.cell_m": cell},
    )
    ref, _ = skimage_graph.MCP_Geometric(
        np.full((n, n), 60 / 10_000), sampling=(cell, cell)
    ).find_costs([(n // 2, n // 2)])
    assert ref[0, n // 2] > 30 and ref[n // 2, 0] > 30  # the reference grid is big enough
    # the 4 cells on the axes at exactly 5 km are ties at 30.000 min: either side is right
    lo, hi = ((ref <= 30 + e).sum() * cell**2 / 1e6 for e in (-1e-6, 1e-6))
    assert hi - lo == pytest.approx(4 * cell**2 / 1e6)
    assert lo == pytest.approx(2 * math.sqrt(2) * 5**2, rel=0.03)  # octagon, 70.7 km²
    assert lo - 1e-4 <= res["area_km2"].iloc[0] <= hi + 1e-4
    # friction speeds are used as given (no DEM): the method must not claim Tobler walking
    method = res["method"].iloc[0]
    assert "friction raster's speeds" in method and "as given (no DEM)" in method
    assert "off road Tobler walking" not in method


@pytest.mark.parametrize("direction", ["from", "to"])
def test_window_search_equals_the_whole_grid(tmp_path, monkeypatch, direction):
    # hills, a short road through the origin, a fast road far off (so the fastest-speed
    # bound spans a grid many times the ring) and a rail link from beside the origin to a
    # station 8 km east: the window grown from the origin must give the whole grid's times
    from suigeo.geo.access import raster

    n = 400
    west, north = X0 - n / 2 * CELL, Y0 + n / 2 * CELL
    tr = Affine(CELL, 0, west, 0, -CELL, north)
    yy, xx = np.mgrid[0:n, 0:n] * CELL
    hills = 300 + 120 * np.sin(xx / 1700) * np.cos(yy / 2300) + 0.02 * xx
    dem = tmp_path / "hills.tif"
    _write_dem(dem, hills, tr)
    ox, oy = X0 + CELL / 2, Y0 - CELL / 2
    roads = gpd.GeoDataFrame(
        {"maxspeed": ["30", "80"]},
        geometry=[
            shapely.LineString([(ox, oy - 1500), (ox + 200, oy + 1500)]),
            shapely.LineString([(ox - 9000, oy + 6000), (ox + 9000, oy + 6000)]),
        ],
        crs=4547,
    )
    a, b = (ox + 300, oy), (ox + 8000, oy - 500)
    st = gpd.GeoDataFrame(
        {"id": ["A", "B"]},
        geometry=[shapely.Point(_lonlat(*a)), shapely.Point(_lonlat(*b))],
        crs="EPSG:4490",
    )
    ln = gpd.GeoDataFrame(
        {"id": ["L"], "kind": ["intercity"], "design_speed_kmh": [200.0], "stations": ["A;B"]},
        geometry=[shapely.LineString([_lonlat(*a), _lonlat(*b)])],
        crs="EPSG:4490",
    )
    kw = {
        "minutes": [12, 25],
        "engine": "raster",
        "roads": roads,
        "dem": dem,
        "rails": ln,
        "stations": st,
        "direction": direction,
        "settings": {"raster.cell_m": CELL, "rail.access_min": 2, "rail.egress_min": 2},
    }
    got = rings(_lonlat(ox, oy), raster_out=tmp_path / "win.tif", **kw)
    monkeypatch.setattr(raster, "WINDOWED", False)
    whole = rings(_lonlat(ox, oy), raster_out=tmp_path / "whole.tif", **kw)
    t_win, tr_win = _read(tmp_path / "win.tif")
    t_all, tr_all = _read(tmp_path / "whole.tif")
    assert t_win.size < t_all.size / 4  # the window is a small part of the bound
    r0, c0 = _cell(tr_all, tr_win.c + CELL / 2, tr_win.f - CELL / 2)
    inner = t_all[r0 : r0 + t_win.shape[0], c0 : c0 + t_win.shape[1]]
    np.testing.assert_array_equal(t_win, inner)  # the same times, to the bit
    rest = np.ones(t_all.shape, bool)
    rest[r0 : r0 + t_win.shape[0], c0 : c0 + t_win.shape[1]] = False
    assert (t_all[rest] == -1).all()  # nothing reached outside the window
    # the rail ride took the ring to B: the window grew round the far station
    rb, cb = _cell(tr_win, *b)
    assert 0 <= t_win[rb, cb] <= 25
    for g1, g2 in zip(got.geometry, whole.geometry, strict=True):
        assert g1.symmetric_difference(g2).area < 1e-12
    assert (got["area_km2"].to_numpy() == whole["area_km2"].to_numpy()).all()


def test_friction_summary_one_pass_equals_numpy_on_the_whole_raster(tmp_path):
    """The friction raster is decoded once (block by block) for both its largest speed and
    the sample whose median guesses the first window: both equal numpy on the whole array
    (nodata, NaN, zero and negative cells left out of the median; the sample is every
    ``step``-th row and column of the raster, whatever its blocks)."""
    from suigeo.geo.access.raster import _friction_summary

    rng = np.random.default_rng(5)
    h, w = 700, 1100  # step = 1100 // 512 = 2; blocks of 256 do not divide either side
    speeds = rng.uniform(0.5, 40.0, (h, w)).astype(np.float32)
    speeds[rng.random((h, w)) < 0.05] = 0.0
    speeds[rng.random((h, w)) < 0.05] = np.nan
    speeds[rng.random((h, w)) < 0.05] = -9999.0  # nodata
    speeds[333, 777] = 95.5  # the largest, off the sample's rows
    path = tmp_path / "friction.tif"
    profile = dict(
        driver="GTiff", width=w, height=h, count=1, dtype="float32", crs="EPSG:4547",
        transform=Affine(30, 0, 500_000, 0, -30, 2_560_000), nodata=-9999.0,
        tiled=True, blockxsize=256, blockysize=256,
    )  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(speeds, 1)
    data = speeds.astype(np.float64)
    data[data == -9999.0] = np.nan
    top, typical = _friction_summary(path)
    assert top == np.nanmax(data) == np.float32(95.5)
    sample = data[::2, ::2]
    sample = sample[np.isfinite(sample) & (sample > 0)]
    assert typical == float(np.median(sample))
    # a raster with no positive speed: nothing to guess from
    with rasterio.open(path, "r+") as dst:
        dst.write(np.full((h, w), -9999.0, np.float32), 1)
    top, typical = _friction_summary(path)
    assert math.isnan(top) and typical == 1.0


@pytest.mark.parametrize("nodata", [-9999.0, None])
def test_a_grid_on_the_dems_cells_reads_what_gdal_resamples(tmp_path, nodata):
    # a grid on the DEM's cells is read directly; the reference is GDAL's bilinear warp
    # onto the same grid (rasterio.warp.reproject), inside the DEM, across its edges and
    # off it, with cells without data (a nodata value, or NaN in a float DEM)
    from pyproj import CRS
    from rasterio.warp import Resampling, reproject

    from suigeo.geo.access import raster

    rng = np.random.default_rng(7)
    heights = 200 + 50 * rng.random((40, 60))
    heights[10:14, 20:30] = np.nan
    tr = Affine(CELL, 0, X0, 0, -CELL, Y0)
    path = tmp_path / "dem.tif"
    if nodata is None:
        _write_dem(path, heights, tr)
    else:
        _write_nodata_dem(path, heights, tr, nodata=nodata)
    for col, row, w, h in [(5, 3, 30, 20), (-7, -4, 25, 18), (50, 35, 20, 12), (70, 0, 5, 5)]:
        grid = raster.Grid(tr @ Affine.translation(col, row), w, h, CELL, CRS(4547))
        got, note = raster._onto_grid(path, grid, "DEM", Resampling.bilinear)
        ref = np.full((h, w), np.nan)
        with rasterio.open(path) as src:
            assert raster._on_cells(src, grid) == (col, row)  # the direct read is taken
            reproject(
                source=rasterio.band(src, 1), destination=ref, dst_transform=grid.transform,
                dst_crs=grid.plane, src_nodata=src.nodata, dst_nodata=np.nan,
                resampling=Resampling.bilinear,
            )  # fmt: skip
        np.testing.assert_array_equal(got, ref)
        assert note == ""
    # half a cell off the DEM's cells, or another cell size: resampled by GDAL
    with rasterio.open(path) as src:
        off = raster.Grid(tr @ Affine.translation(0.5, 0), 10, 10, CELL, CRS(4547))
        assert raster._on_cells(src, off) is None
        other = raster.Grid(tr, 10, 10, CELL / 2, CRS(4547))
        assert raster._on_cells(src, other) is None


def test_rings_on_a_dem_in_the_plane_at_the_cell_size_use_its_cells(tmp_path):
    # an origin 0.3 cell off a DEM cell's centre: the grid is put on the DEM's cells (as
    # GRASS's region on a raster's) and says so; a DEM of another cell size is resampled
    # onto a grid centred on the origin
    n = 200
    tr = Affine(CELL, 0, X0 - n / 2 * CELL, 0, -CELL, Y0 + n / 2 * CELL)
    yy, xx = np.mgrid[0:n, 0:n] * CELL
    _write_dem(tmp_path / "dem.tif", 300 + 40 * np.sin(xx / 900) * np.cos(yy / 700), tr)
    half = Affine(CELL / 2, 0, tr.c, 0, -CELL / 2, tr.f)
    yy2, xx2 = np.mgrid[0 : 2 * n, 0 : 2 * n] * CELL / 2
    _write_dem(tmp_path / "dem25.tif", 300 + 40 * np.sin(xx2 / 900) * np.cos(yy2 / 700), half)
    ox, oy = X0 + 0.8 * CELL, Y0 - 0.2 * CELL
    kw = {"minutes": [10], "engine": "raster", "rail": False, "settings": {"raster.cell_m": CELL}}
    res = rings(_lonlat(ox, oy), dem=tmp_path / "dem.tif", raster_out=tmp_path / "t.tif", **kw)
    assert "grid on the cells of the DEM" in res["method"].iloc[0]
    t, got = _read(tmp_path / "t.tif")
    col, row = (got.c - tr.c) / CELL, (tr.f - got.f) / CELL
    assert col == pytest.approx(round(col), abs=1e-9) and row == pytest.approx(round(row), abs=1e-9)
    r, c = _cell(got, ox, oy)
    assert t[r, c] == 0  # the origin's cell: the DEM cell that holds it
    res = rings(_lonlat(ox, oy), dem=tmp_path / "dem25.tif", raster_out=tmp_path / "u.tif", **kw)
    assert "grid on the cells" not in res["method"].iloc[0]
    _, got = _read(tmp_path / "u.tif")
    k = (ox - CELL / 2 - got.c) / CELL  # the origin at a cell centre
    assert k == pytest.approx(round(k), abs=1e-9)


def test_numpy_huge_pages_are_off_during_a_run_and_restored_after(tmp_path, monkeypatch):
    # the engine turns numpy's transparent-huge-page advice off while it runs (see
    # raster._small_pages) and leaves it as it found it, after a failure too
    from suigeo.geo.access import raster

    switch = raster._set_madvise_hugepage
    if switch is None:
        pytest.skip("this numpy has no huge-page switch")

    def state():
        now = switch(False)
        switch(now)
        return now

    seen = []
    real = raster._search

    def spy(*a, **k):
        seen.append(state())
        return real(*a, **k)

    monkeypatch.setattr(raster, "_search", spy)
    kw = {"minutes": [5], "engine": "raster", "rail": False, "settings": {"raster.cell_m": CELL}}
    before = state()
    try:
        for start in (True, False):
            switch(start)
            rings(_lonlat(X0, Y0), **kw)
            assert seen and not any(seen)  # off while searching
            assert state() is start  # as it was
            seen.clear()
            with pytest.raises(InputError):  # a failed run restores it as well
                rings(_lonlat(X0, Y0), dem=tmp_path / "missing.tif", **kw)
            assert state() is start
        # overlapping runs (threads): restored once, after the last one ends
        switch(True)
        a, b = raster._small_pages(), raster._small_pages()
        a.__enter__()
        b.__enter__()
        assert state() is False
        a.__exit__(None, None, None)
        assert state() is False
        b.__exit__(None, None, None)
        assert state() is True
    finally:
        switch(before)
