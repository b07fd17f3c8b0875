"""People and places reached, against zonal sums written here (pyproj + shapely, one cell
or feature at a time) on rasters and layers in other coordinate systems."""

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import rasterio.features
import shapely
from affine import Affine
from pyproj import Geod, Transformer

from suigeo.cli import main
from suigeo.errors import InputError
from suigeo.geo.access import coverage, rings

LON, LAT = 113.3, 23.1
NODATA = -99999.0


def _population(path, epsg, n=160, cell=100.0, seed=1):
    """People per cell (whole numbers, some nodata and NaN cells) on an n × n grid of
    ``cell`` metres in ``epsg``, centred on (LON, LAT)."""
    x0, y0 = Transformer.from_crs(4490, epsg, always_xy=True).transform(LON, LAT)
    rng = np.random.default_rng(seed)
    people = rng.poisson(30, (n, n)).astype(np.float64)
    people[rng.random((n, n)) < 0.05] = NODATA
    people[3, :] = np.nan
    tr = Affine(cell, 0, x0 - n / 2 * cell + 13.0, 0, -cell, y0 + n / 2 * cell - 7.0)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=n,
        height=n,
        count=1,
        dtype="float64",
        crs=f"EPSG:{epsg}",
        transform=tr,
        nodata=NODATA,
    ) as dst:
        dst.write(people, 1)
    return people, tr


def _brute_force(people, tr, epsg, geom):
    """Sum of the cells whose centre lies in ``geom`` (CGCS2000), cell by cell."""
    to_cgcs = Transformer.from_crs(epsg, 4490, always_xy=True)
    total = 0.0
    for r in range(people.shape[0]):
        for c in range(people.shape[1]):
            v = people[r, c]
            if not np.isfinite(v) or v == NODATA:
                continue
            x, y = tr @ (c + 0.5, r + 0.5)
            if geom.covers(shapely.Point(*to_cgcs.transform(x, y))):
                total += v
    return total


@pytest.mark.parametrize("epsg", [4547, 32649])
def test_population_equals_a_cell_by_cell_zonal_sum(tmp_path, epsg):
    people, tr = _population(tmp_path / "pop.tif", epsg)
    res = rings(
        (LON, LAT),
        minutes=[6, 12],
        rail=False,
        settings={"ground.speed_kmh": 30},
        population=tmp_path / "pop.tif",
    )
    assert "centre lies in the ring" in res["method"].iloc[0]
    for geom, got in zip(res.geometry, res["population"], strict=True):
        ref = _brute_force(people, tr, epsg, geom)
        assert ref > 10_000
        assert got == ref  # whole people: to the person
    # rasterio's own zonal mask in the raster's system (ring edges reprojected) agrees to
    # within the cells its edges cut
    ring = gpd.GeoSeries([res.geometry.iloc[1]], crs=4490).to_crs(epsg).iloc[0]
    inside = rasterio.features.geometry_mask([ring], people.shape, tr, invert=True)
    valid = np.isfinite(people) & (people != NODATA)
    assert people[inside & valid].sum() == pytest.approx(res["population"].iloc[1], rel=2e-3)


def test_a_ring_beyond_the_raster_holds_nobody(tmp_path):
    _population(tmp_path / "pop.tif", 4547, n=20)
    res = rings(
        (LON + 1.0, LAT),
        minutes=[5],
        rail=False,
        population=tmp_path / "pop.tif",
    )
    assert res["population"].iloc[0] == 0


def test_count_points_and_polygons_by_representative_point(tmp_path):
    res = rings((LON, LAT), minutes=[6, 12], rail=False, settings={"ground.speed_kmh": 30})
    to_plane = Transformer.from_crs(4490, 4547, always_xy=True)
    x0, y0 = to_plane.transform(LON, LAT)
    rng = np.random.default_rng(7)
    xy = rng.uniform(-8000, 8000, (300, 2)) + np.array([x0, y0])
    squares = [shapely.box(x - 20, y - 20, x + 20, y + 20) for x, y in xy[200:]]
    geoms = [shapely.Point(p) for p in xy[:200]] + squares
    jobs = rng.integers(0, 500, 300)
    layer = gpd.GeoDataFrame({"jobs": jobs}, geometry=geoms, crs=4547)
    layer.to_file(tmp_path / "places.gpkg")
    got = rings(
        (LON, LAT),
        minutes=[6, 12],
        rail=False,
        settings={"ground.speed_kmh": 30},
        count=tmp_path / "places.gpkg",
    )
    summed = rings(
        (LON, LAT),
        minutes=[6, 12],
        rail=False,
        settings={"ground.speed_kmh": 30},
        count=layer,
        count_field="jobs",
    )
    to_cgcs = Transformer.from_crs(4547, 4490, always_xy=True)
    # a square's representative point: its centre (a 40 m square never straddles a ring
    # edge in a way that matters here: we take the centre, independently of shapely)
    centres = [to_cgcs.transform(x, y) for x, y in xy]
    for k, ring in enumerate(res.geometry):
        inside = np.array([ring.covers(shapely.Point(c)) for c in centres])
        assert 20 < inside.sum() < 300
        assert got["count"].iloc[k] == inside.sum()
        assert summed["count"].iloc[k] == jobs[inside].sum()
    with pytest.raises(InputError, match="no column 'staff'"):
        rings((LON, LAT), minutes=[6], rail=False, count=layer, count_field="staff")


def test_coverage_share_of_people_within_km(tmp_path):
    people, tr = _population(tmp_path / "pop.tif", 32649, n=120)
    fac = gpd.GeoDataFrame(
        {"name": ["a", "b"]},
        geometry=[shapely.Point(LON - 0.02, LAT), shapely.Point(LON + 0.03, LAT + 0.01)],
        crs=4490,
    )
    tgt = gpd.GeoDataFrame({"name": ["v"]}, geometry=[shapely.Point(LON, LAT)], crs=4490)
    res = coverage(fac, tgt, km=2.5, population=tmp_path / "pop.tif")
    geod = Geod(ellps="GRS80")
    to_cgcs = Transformer.from_crs(32649, 4490, always_xy=True)
    total = covered = 0.0
    for r in range(people.shape[0]):
        for c in range(people.shape[1]):
            v = people[r, c]
            if not np.isfinite(v) or v == NODATA:
                continue
            lon, lat = to_cgcs.transform(*(tr @ (c + 0.5, r + 0.5)))
            total += v
            d = min(geod.inv(lon, lat, p.x, p.y)[2] for p in fac.geometry)
            covered += v if d <= 2500 else 0.0
    assert res.people.total == total
    assert res.people.covered == covered
    assert res.people.share == pytest.approx(covered / total, rel=1e-12)
    assert 0.05 < res.people.share < 0.9


def test_cli_population_and_count(tmp_path, capsys):
    _population(tmp_path / "pop.tif", 4547, n=60)
    pts = gpd.GeoDataFrame(
        geometry=[shapely.Point(LON, LAT), shapely.Point(LON + 0.5, LAT)], crs=4490
    )
    pts.to_file(tmp_path / "villages.gpkg")
    out = tmp_path / "r.geojson"
    code = main(
        [
            "access",
            "rings",
            "--origin",
            f"{LON},{LAT}",
            "--minutes",
            "5",
            "--no-rail",
            "--population",
            str(tmp_path / "pop.tif"),
            "--count",
            str(tmp_path / "villages.gpkg"),
            "-o",
            str(out),
        ]
    )
    assert code == 0
    res = gpd.read_file(out)
    assert res["count"].iloc[0] == 1
    text = capsys.readouterr().out
    assert f"{res['population'].iloc[0]:,.0f} people" in text and "1 features" in text
    code = main(
        [
            "access",
            "coverage",
            str(tmp_path / "villages.gpkg"),
            str(tmp_path / "villages.gpkg"),
            "--km",
            "1",
            "--population",
            str(tmp_path / "pop.tif"),
            "-o",
            str(tmp_path / "cov.csv"),
        ]
    )
    assert code == 0
    assert "people covered" in capsys.readouterr().out


def test_compare_planned_gains_the_disc_round_the_new_station(tmp_path):
    from suigeo.geo.access.rings import compare_rings

    pts = {"A": (LON, LAT), "B": (LON + 0.3, LAT), "C": (LON, LAT + 0.4)}
    st = gpd.GeoDataFrame(
        {"id": list(pts)}, geometry=[shapely.Point(p) for p in pts.values()], crs=4490
    )
    ln = gpd.GeoDataFrame(
        {
            "id": ["AB", "AC"],
            "kind": ["intercity", "intercity"],
            "status": ["in_service", "planned"],
            "design_speed_kmh": [200.0, 200.0],
            "stations": ["A;B", "A;C"],
        },
        geometry=[
            shapely.LineString([pts["A"], pts["B"]]),
            shapely.LineString([pts["A"], pts["C"]]),
        ],
        crs=4490,
    )
    settings = {
        "ground.speed_kmh": 30.0,
        "ground.circuity": 1.2,
        "rail.track_circuity": 1.0,
        "rail.access_min": 10.0,
        "rail.egress_min": 5.0,
    }
    # the population raster sits round C (UTM 49N), so the gained disc holds people
    x0, y0 = Transformer.from_crs(4490, 32649, always_xy=True).transform(*pts["C"])
    rng = np.random.default_rng(3)
    people = rng.poisson(20, (120, 120)).astype(np.float64)
    tr = Affine(100.0, 0, x0 - 6000, 0, -100.0, y0 + 6000)
    with rasterio.open(
        tmp_path / "pop.tif",
        "w",
        driver="GTiff",
        width=120,
        height=120,
        count=1,
        dtype="float64",
        crs="EPSG:32649",
        transform=tr,
    ) as dst:
        dst.write(people, 1)
    res = compare_rings(
        pts["A"],
        minutes=[40],
        rails=ln,
        stations=st,
        settings=settings,
        population=tmp_path / "pop.tif",
    )
    assert list(res["change"]) == ["gained", "lost"]
    gained, lost = res.iloc[0], res.iloc[1]
    # by hand: at C after access 10 + ride (geodesic A–C at 200 km/h) + egress 5, the rest of
    # the 40 minutes at 30 km/h ÷ 1.2 is the radius of the disc the planned line adds
    ride = Geod(ellps="GRS80").inv(*pts["A"], *pts["C"])[2] / 1000 / 200 * 60
    r_km = (40 - (10 + ride + 5)) * 30 / 1.2 / 60
    assert gained["area_km2"] == pytest.approx(np.pi * r_km**2, rel=2e-3)
    assert gained["scenario_km2"] - gained["base_km2"] == pytest.approx(
        gained["area_km2"], abs=2e-3
    )
    assert lost["area_km2"] == 0 and lost["population"] == 0
    ref = _brute_force(people, tr, 32649, gained.geometry)
    assert ref > 1000
    assert gained["population"] == ref


def test_cli_compare_planned(tmp_path, capsys):
    out = tmp_path / "gained.geojson"
    args = ["access", "rings", "--origin", "广州南站", "--minutes", "150", "--compare", "planned"]
    assert main([*args, "-o", str(out)]) == 0
    res = gpd.read_file(out)
    assert list(res["change"]) == ["gained", "lost"]
    assert res["area_km2"].iloc[0] > 0  # the planned lines reach further in 150 min
    assert "wrote 2 changed areas" in capsys.readouterr().out
    assert main([*args, "--include-planned", "-o", str(tmp_path / "x.geojson")]) == 2
    assert "drop --include-planned" in capsys.readouterr().err


def test_coverage_share_of_people_within_minutes(tmp_path):
    # sketch engine without rail: within 8 minutes at 30 km/h ÷ 1.2 of the nearest facility
    # is a geodesic distance of 3333 m (the ring's discs are drawn in the plane: cells within
    # a metre of the radius may fall either way)
    people, tr = _population(tmp_path / "pop.tif", 4547, n=100)
    fac = gpd.GeoDataFrame(
        geometry=[shapely.Point(LON - 0.01, LAT), shapely.Point(LON + 0.02, LAT - 0.01)], crs=4490
    )
    settings = {"ground.speed_kmh": 30.0, "ground.circuity": 1.2}
    res = coverage(
        fac, fac, minutes=8, rail=False, settings=settings, population=tmp_path / "pop.tif"
    )
    radius = 8 / 60 * 30_000 / 1.2
    geod = Geod(ellps="GRS80")
    to_cgcs = Transformer.from_crs(4547, 4490, always_xy=True)
    lo = hi = total = 0.0
    for r in range(people.shape[0]):
        for c in range(people.shape[1]):
            v = people[r, c]
            if not np.isfinite(v) or v == NODATA:
                continue
            lon, lat = to_cgcs.transform(*(tr @ (c + 0.5, r + 0.5)))
            d = min(geod.inv(lon, lat, p.x, p.y)[2] for p in fac.geometry)
            total += v
            lo += v if d <= radius - 1 else 0.0
            hi += v if d <= radius + 1 else 0.0
    assert res.people.total == total
    assert lo <= res.people.covered <= hi
    assert hi - lo < 0.002 * hi
    assert "within 8 min" in res.people.rule
