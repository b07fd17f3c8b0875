"""GCJ-02 / BD-09 against independent references.

References: the published test vectors of eviltransform (googollee/eviltransform,
python/test.py: Shanghai, Shenzhen, Beijing; two BD-09 points), and the per-point
reference implementations from PyPI (prcoords, coord-convert, coordTransform), installed
with the ``bench`` extra. Tolerances are 1e-9 degree (about 0.1 mm) unless stated.
"""

from __future__ import annotations

import math

import coord_convert.transform as cc
import coordTransform.coordTransform as ct
import numpy as np
import prcoords
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from suigeo.crs import gcj02

TOL = 1e-9

# eviltransform python/test.py: (wgsLat, wgsLng, gcjLat, gcjLng)
EVIL_GCJ = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]
# An R package's published testthat file ("Test transform_coord": wgs_to_gcj, gcj_to_wgs,
# gcj_to_bd, bd_to_gcj), values rounded there to 8 decimals (so compared to 6e-9 here).
# (lat, lon) in, (lat, lon) out.
R_WGS_GCJ = ((39.90734, 116.39089), (39.90874107, 116.39713094))
R_GCJ_WGS = ((39.908746, 116.397131), (39.90734493, 116.39089006))  # an exact inverse
R_GCJ_BD = ((39.908746, 116.397131), (39.91508839, 116.40350426))
R_BD_GCJ = ((39.91509, 116.40350), (39.90874808, 116.39712692))  # Baidu's one-step inverse


def _random_points(n: int, lon: tuple[float, float], lat: tuple[float, float], seed: int):
    rng = np.random.default_rng(seed)
    return rng.uniform(*lon, n), rng.uniform(*lat, n)


# Inside coordTransform's narrower rectangle too, so all three references offset them.
CHINA = ((73.7, 135.0), (3.9, 53.5))
GUANGZHOU = ((112.95, 114.05), (22.5, 23.95))


@pytest.mark.parametrize(("w_lat", "w_lon", "g_lat", "g_lon"), EVIL_GCJ)
def test_eviltransform_vectors_forward(w_lat, w_lon, g_lat, g_lon):
    lon, lat = gcj02.wgs84_to_gcj02(w_lon, w_lat)
    assert abs(lon - g_lon) < 1e-12
    assert abs(lat - g_lat) < 1e-12


@pytest.mark.parametrize(("w_lat", "w_lon", "g_lat", "g_lon"), EVIL_GCJ)
def test_eviltransform_vectors_exact_inverse(w_lat, w_lon, g_lat, g_lon):
    lon, lat = gcj02.gcj02_to_wgs84(g_lon, g_lat)
    assert abs(lon - w_lon) < 1e-12
    assert abs(lat - w_lat) < 1e-12


@pytest.mark.parametrize(
    ("func", "vector", "kwargs"),
    [
        (gcj02.wgs84_to_gcj02, R_WGS_GCJ, {}),
        (gcj02.gcj02_to_wgs84, R_GCJ_WGS, {}),
        (gcj02.gcj02_to_bd09, R_GCJ_BD, {}),
        (gcj02.bd09_to_gcj02, R_BD_GCJ, {"exact": False}),
    ],
    ids=["wgs-gcj", "gcj-wgs", "gcj-bd", "bd-gcj"],
)
def test_r_package_vectors(func, vector, kwargs):
    (lat_in, lon_in), (lat_out, lon_out) = vector
    lon, lat = func(lon_in, lat_in, **kwargs)
    assert abs(lon - lon_out) < 6e-9
    assert abs(lat - lat_out) < 6e-9


def test_bd_exact_inverse_differs_from_one_step_by_decimetres():
    (lat_in, lon_in), (lat_out, lon_out) = R_BD_GCJ
    lon, lat = gcj02.bd09_to_gcj02(lon_in, lat_in)
    assert 1e-8 < max(abs(lon - lon_out), abs(lat - lat_out)) < 3e-6
    b_lon, b_lat = gcj02.gcj02_to_bd09(lon, lat)
    assert abs(b_lon - lon_in) < 1e-12 and abs(b_lat - lat_in) < 1e-12


@pytest.mark.parametrize("region", [CHINA, GUANGZHOU], ids=["china", "guangzhou"])
def test_forward_matches_three_references(region):
    lon, lat = _random_points(3000, *region, seed=2)
    g_lon, g_lat = gcj02.wgs84_to_gcj02(lon, lat)
    p = np.array([prcoords.wgs_gcj((b, a)) for a, b in zip(lon, lat, strict=True)])
    c = np.array([cc.wgs2gcj(a, b) for a, b in zip(lon, lat, strict=True)])
    t = np.array([ct._py_wgs84_to_gcj02(a, b) for a, b in zip(lon, lat, strict=True)])
    assert np.abs(g_lon - p[:, 1]).max() < TOL and np.abs(g_lat - p[:, 0]).max() < TOL
    assert np.abs(g_lon - c[:, 0]).max() < TOL and np.abs(g_lat - c[:, 1]).max() < TOL
    assert np.abs(g_lon - t[:, 0]).max() < TOL and np.abs(g_lat - t[:, 1]).max() < TOL
    # and the offset is real: tens to hundreds of metres, not zero
    assert np.hypot(g_lon - lon, g_lat - lat).min() > 1e-4


@pytest.mark.parametrize("region", [CHINA, GUANGZHOU], ids=["china", "guangzhou"])
def test_exact_inverse_matches_prcoords_iterated(region, monkeypatch):
    # prcoords' "bored" inverse iterates the forward transform up to 10 times until the
    # step is below PRC_EPS (1e-5 by default); tightened here to make it exact.
    monkeypatch.setattr(prcoords, "PRC_EPS", 1e-14)
    g_lon, g_lat = _random_points(2000, *region, seed=3)
    w_lon, w_lat = gcj02.gcj02_to_wgs84(g_lon, g_lat)
    p = np.array([prcoords.gcj_wgs_bored((b, a)) for a, b in zip(g_lon, g_lat, strict=True)])
    assert np.abs(w_lon - p[:, 1]).max() < TOL
    assert np.abs(w_lat - p[:, 0]).max() < TOL
    # coord-convert's own iteration stops at a 1e-6 step: within 1e-8 of the exact answer
    c = np.array([cc.gcj2wgs(a, b) for a, b in zip(g_lon[:300], g_lat[:300], strict=True)])
    assert np.abs(w_lon[:300] - c[:, 0]).max() < 1e-8
    assert np.abs(w_lat[:300] - c[:, 1]).max() < 1e-8


def test_inverse_worst_case_residual_over_china():
    g_lon, g_lat = _random_points(200_000, (72.1, 137.7), (0.9, 55.7), seed=4)
    w_lon, w_lat = gcj02.gcj02_to_wgs84(g_lon, g_lat)
    r_lon, r_lat = gcj02.wgs84_to_gcj02(w_lon, w_lat)
    # far better than the 1e-7 degree required
    assert np.abs(r_lon - g_lon).max() < 1e-12
    assert np.abs(r_lat - g_lat).max() < 1e-12


def test_bd09_matches_references():
    lon, lat = _random_points(2000, *CHINA, seed=5)
    b_lon, b_lat = gcj02.gcj02_to_bd09(lon, lat)
    c = np.array([cc.gcj2bd(a, b) for a, b in zip(lon, lat, strict=True)])
    t = np.array([ct._py_gcj02_to_bd09(a, b) for a, b in zip(lon, lat, strict=True)])
    p = np.array([prcoords.gcj_bd((b, a)) for a, b in zip(lon, lat, strict=True)])
    for ref_lon, ref_lat in ((c[:, 0], c[:, 1]), (t[:, 0], t[:, 1]), (p[:, 1], p[:, 0])):
        assert np.abs(b_lon - ref_lon).max() < TOL and np.abs(b_lat - ref_lat).max() < TOL
    # the published one-step inverse, as the references implement it
    a_lon, a_lat = gcj02.bd09_to_gcj02(lon, lat, exact=False)
    c = np.array([cc.bd2gcj(a, b) for a, b in zip(lon, lat, strict=True)])
    assert np.abs(a_lon - c[:, 0]).max() < TOL and np.abs(a_lat - c[:, 1]).max() < TOL


def test_bd09_exact_inverse_matches_prcoords_iterated(monkeypatch):
    monkeypatch.setattr(prcoords, "PRC_EPS", 1e-14)
    lon, lat = _random_points(1000, *GUANGZHOU, seed=6)
    g_lon, g_lat = gcj02.bd09_to_gcj02(lon, lat)
    p = np.array([prcoords.bd_gcj_bored((b, a)) for a, b in zip(lon, lat, strict=True)])
    assert np.abs(g_lon - p[:, 1]).max() < TOL and np.abs(g_lat - p[:, 0]).max() < TOL
    # and it is really better than the one-step formula
    a_lon, _a_lat = gcj02.bd09_to_gcj02(lon, lat, exact=False)
    assert np.abs(a_lon - p[:, 1]).max() > 1e-8


@pytest.mark.parametrize(
    ("lon", "lat", "outside"),
    [
        (113.26, 23.13, False),  # Guangzhou
        (72.004, 0.8293, False),  # corners are inside (inclusive bounds)
        (137.8347, 55.8271, False),
        (121.56, 25.03, False),  # Taipei: inside the coarse rectangle
        (114.17, 22.30, False),  # Hong Kong: inside the coarse rectangle
        (72.0, 30.0, True),
        (138.0, 30.0, True),
        (100.0, 0.8, True),
        (100.0, 56.0, True),
        (2.35, 48.86, True),  # Paris
        (math.nan, 23.0, True),
        (113.0, math.nan, True),
    ],
)
def test_outside_china_rule(lon, lat, outside):
    assert bool(gcj02.outside_china(lon, lat)) is outside
    # the references agree (prcoords' rule is the same rectangle)
    if not math.isnan(lon) and not math.isnan(lat):
        assert prcoords.sanity_in_china_p(prcoords.Coords(lat, lon)) is not outside
        assert cc.outOfChina(lon, lat) is outside


def test_outside_points_nan_and_inf_pass_through():
    lon = np.array([2.35, np.nan, 113.26, np.inf, 113.3])
    lat = np.array([48.86, 23.0, np.nan, 23.0, 23.1])
    for func in (gcj02.wgs84_to_gcj02, gcj02.gcj02_to_wgs84, gcj02.wgs84_to_bd09):
        o_lon, o_lat = func(lon, lat)
        if func is not gcj02.wgs84_to_bd09:
            np.testing.assert_array_equal(o_lon[:4], lon[:4])
            np.testing.assert_array_equal(o_lat[:4], lat[:4])
        assert np.isnan(o_lon[1]) and np.isnan(o_lat[2])
        assert abs(o_lon[4] - lon[4]) > 1e-4  # the Guangzhou point is offset
    b_lon, b_lat = gcj02.bd09_to_wgs84(lon, lat)
    assert np.isnan(b_lon[1]) and np.isnan(b_lat[2])


def test_shapes_scalars_and_broadcasting():
    lon, lat = gcj02.wgs84_to_gcj02(113.3, 23.1)
    assert isinstance(lon, float) and isinstance(lat, float)
    grid_lon, grid_lat = np.meshgrid(np.linspace(113, 114, 4), np.linspace(22.6, 23.9, 3))
    g_lon, g_lat = gcj02.wgs84_to_gcj02(grid_lon, grid_lat)
    assert g_lon.shape == (3, 4) and g_lat.shape == (3, 4)
    b_lon, _b_lat = gcj02.wgs84_to_gcj02(grid_lon, 23.0)  # lat broadcasts
    assert b_lon.shape == (3, 4)
    # input arrays are not modified
    assert grid_lon[0, 0] == 113.0
    # empty arrays
    e_lon, _e_lat = gcj02.gcj02_to_wgs84(np.array([]), np.array([]))
    assert e_lon.shape == (0,)
    # lists
    l_lon, _ = gcj02.wgs84_to_gcj02([113.3, 113.4], [23.1, 23.2])
    assert l_lon.shape == (2,)


def test_bad_options():
    with pytest.raises(ValueError, match="tol_deg"):
        gcj02.gcj02_to_wgs84(113.0, 23.0, tol_deg=0)
    with pytest.raises(ValueError, match="max_iter"):
        gcj02.gcj02_to_wgs84(113.0, 23.0, max_iter=0)


# Inset from the rectangle so that both ends of a round trip are inside it.
_LON = st.floats(72.05, 137.78, allow_nan=False)
_LAT = st.floats(0.88, 55.77, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_LON, _LAT), min_size=1, max_size=50))
def test_roundtrip_wgs_gcj_wgs(points):
    lon, lat = np.array(points).T
    g_lon, g_lat = gcj02.wgs84_to_gcj02(lon, lat)
    w_lon, w_lat = gcj02.gcj02_to_wgs84(g_lon, g_lat)
    # 1e-10: near lon = 105 (the sqrt|lon - 105| cusp) convergence is slower, see module
    assert np.abs(w_lon - lon).max() < 1e-10
    assert np.abs(w_lat - lat).max() < 1e-10


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_LON, _LAT), min_size=1, max_size=50))
def test_roundtrip_wgs_bd_wgs(points):
    lon, lat = np.array(points).T
    b_lon, b_lat = gcj02.wgs84_to_bd09(lon, lat)
    w_lon, w_lat = gcj02.bd09_to_wgs84(b_lon, b_lat)
    # 1e-10: near lon = 105 (the sqrt|lon - 105| cusp) convergence is slower, see module
    assert np.abs(w_lon - lon).max() < 1e-10
    assert np.abs(w_lat - lat).max() < 1e-10
