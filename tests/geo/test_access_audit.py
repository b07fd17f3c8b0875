"""geo.access: gaps found by the issue-4 audit, checked against independent references."""

import numpy as np
import pytest
import shapely
from pyproj import Geod

from suigeo import layers
from suigeo.errors import InputError
from suigeo.geo.access import rings
from suigeo.geo.access.origins import resolve_origins


def test_a_list_of_two_names_is_two_origins_not_lon_lat():
    got = resolve_origins(["广州南站", "广梅产业园"])
    assert list(got["origin"]) == ["广州南站", "广梅产业园"]
    for name, pt in zip(got["origin"], got.geometry, strict=True):
        ref = layers.lookup(name).to_crs(4490).geometry.representative_point().iloc[0]
        assert shapely.equals_exact(pt, ref, tolerance=1e-9)
    assert resolve_origins([113.3, 23.1]).geometry.iloc[0].equals(shapely.Point(113.3, 23.1))
    res = rings(["113.3,23.1", (113.5, 23.2)], minutes=[30], rail=False)
    assert list(res["origin"]) == ["113.3,23.1", "113.500000,23.200000"]


def test_disc_off_the_central_meridian_within_half_a_percent():
    # 广梅产业园 lies about 1° from its Gauss-Krüger central meridian (117E)
    res = rings("广梅产业园", minutes=[30, 90], rail=False)
    geod = Geod(ellps="GRS80")
    for row in res.itertuples():
        r_km = 50 / 1.2 * row.minutes / 60
        area = abs(geod.geometry_area_perimeter(row.geometry)[0]) / 1e6
        assert area == pytest.approx(np.pi * r_km**2, rel=0.005)


def test_empty_lists_and_tables_are_named():
    with pytest.raises(InputError, match="no targets"):
        resolve_origins([], what="targets")


def test_sketch_reach_beyond_the_plane_is_refused_not_written_as_garbage():
    v_kmh = 50 / 1.2  # default straight-line speed
    ok = 790 / v_kmh * 60  # 790 km reach: still within 0.5 % of the geodesic disc area
    res = rings("广州南站", minutes=[ok], rail=False)
    area = abs(Geod(ellps="GRS80").geometry_area_perimeter(res.geometry.iloc[0])[0]) / 1e6
    assert area == pytest.approx(np.pi * 790**2, rel=0.005)
    with pytest.raises(InputError, match="800 km"):
        rings("广州南站", minutes=[30000], rail=False)  # once wrote infinite coordinates


def test_coverage_km_nearest_is_the_geodesic_nearest_over_a_wide_area():
    # facilities across three Gauss-Krüger zones: the plane's scale differs by ~0.1 %, so
    # a plane-nearest facility was not always the geodesic nearest (up to 3.9 m too far)
    import geopandas as gpd

    from suigeo.geo.access import coverage

    rng = np.random.default_rng(0)
    fx, fy = rng.uniform(112, 117.5, 60), rng.uniform(22, 25.5, 60)
    tx, ty = rng.uniform(112, 117.5, 3000), rng.uniform(22, 25.5, 3000)
    fac = gpd.GeoDataFrame(geometry=gpd.points_from_xy(fx, fy), crs=4490)
    tgt = gpd.GeoDataFrame(geometry=gpd.points_from_xy(tx, ty), crs=4490)
    res = coverage(fac, tgt, km=5)
    n_t, n_f = len(tx), len(fx)
    d = (
        Geod(ellps="GRS80")
        .inv(np.repeat(tx, n_f), np.repeat(ty, n_f), np.tile(fx, n_t), np.tile(fy, n_t))[2]
        .reshape(n_t, n_f)
    )
    np.testing.assert_allclose(res.table["distance_km"], d.min(axis=1) / 1000, atol=1e-4)
    assert list(res.table["facility"]) == [str(i) for i in d.argmin(axis=1)]


@pytest.mark.parametrize(
    ("engine", "option"),
    [("sketch", "roads"), ("sketch", "dem"), ("network", "dem"), ("network", "raster_out")],
)
def test_data_the_engine_would_ignore_is_refused(engine, option, tmp_path):
    with pytest.raises(InputError, match=option):
        rings((113.3, 23.1), minutes=[30], rail=False, engine=engine, **{option: tmp_path / "x"})


def test_one_threshold_as_numpy_number_or_text():
    from suigeo.geo.access.rings import check_minutes

    assert check_minutes(np.int64(30)) == [30.0]  # was a TypeError traceback
    assert check_minutes("90") == [90.0]  # was read as the thresholds 9 and 0
    assert check_minutes(np.array([90, 30])) == [30.0, 90.0]
