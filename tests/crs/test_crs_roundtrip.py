"""Every conversion has its inverse: round trips over the Guangzhou region are exact to
better than 1 mm in plane and height (hypothesis property tests)."""

from __future__ import annotations

import numpy as np
import pytest
from crs_refs import EXAMPLE, base_params, metres_between_lonlat
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from suigeo import crs

HELMERT7 = base_params(
    helmert7={
        "convention": "coordinate_frame",
        "tx_m": -35.5,
        "ty_m": 120.25,
        "tz_m": 60.0,
        "rx_arcsec": 1.5,
        "ry_arcsec": -2.25,
        "rz_arcsec": 3.0,
        "scale_ppm": -4.0,
    },
    affine6={"a0": 12.5, "a1": 1.00002, "a2": -0.00003, "b0": -7.25, "b1": 0.00004, "b2": 0.99997},
    height={"model": "offset", "offset_m": 4.256},
)
HEIGHT_FILE = base_params(height={"model": "offset", "offset_m": 3.9})

PAIRS = [
    ("CGCS2000", "GZ2000", EXAMPLE),
    ("CGCS2000+H1985", "GZ2000+HGZ", EXAMPLE),
    ("CGCS2000-3GK-CM114+H1985", "GZ2000+HGZ", HELMERT7),
    ("CGCS2000", "GZ2000", HELMERT7),
    ("CGCS2000", "CGCS2000-3GK-Z38", None),
    ("CGCS2000-3GK-CM114", "CGCS2000-3GK-CM111", None),
    ("CGCS2000", "CGCS2000-XYZ", None),
    ("CGCS2000+H1985", "CGCS2000+HGZ", HEIGHT_FILE),
    ("GCJ02", "CGCS2000", None),
    ("BD09+H1985", "GZ2000+HGZ", EXAMPLE),
    ("GCJ02", "BD09", None),
]

n_points = st.integers(1, 40)


@st.composite
def guangzhou(draw):
    n = draw(n_points)
    lon = draw(arrays(np.float64, n, elements=st.floats(112.9, 114.1)))
    lat = draw(arrays(np.float64, n, elements=st.floats(22.4, 24.0)))
    h = draw(arrays(np.float64, n, elements=st.floats(-100.0, 2000.0)))
    return lon, lat, h


def _plane_error(system: crs.System, a, b) -> np.ndarray:
    if system.is_geographic:
        return metres_between_lonlat(a[0], a[1], b[0], b[1])
    return np.hypot(a[0] - b[0], a[1] - b[1])


@pytest.mark.parametrize(("a", "b", "params"), PAIRS, ids=[f"{a}<->{b}" for a, b, _ in PAIRS])
@settings(max_examples=25, deadline=None)
@given(points=guangzhou())
def test_round_trip_is_better_than_a_millimetre(a, b, params, points):
    lon, lat, h = points
    sa, sb = crs.resolve(a), crs.resolve(b)
    with_h = sa.kind == "geocentric" or sb.kind == "geocentric" or sa.height is not None
    src = "CGCS2000+H1985" if sa.height else "CGCS2000"
    start = crs.transform(lon, lat, h, src=src, dst=a, params=params)
    if not with_h:
        start = start[:2]
    there = crs.transform(*start, src=a, dst=b, params=params)
    back = crs.transform(*there, src=b, dst=a, params=params)
    if sa.kind == "geocentric":
        assert np.max(np.abs(np.subtract(back, start))) < 1e-3
        return
    assert np.max(_plane_error(sa, start, back)) < 1e-3
    if with_h:
        assert np.max(np.abs(back[2] - start[2])) < 1e-3


@settings(max_examples=20, deadline=None)
@given(points=guangzhou())
def test_gz2000_inverse_lands_on_the_original_lon_lat(points):
    lon, lat, _ = points
    e, n = crs.transform(lon, lat, src="CGCS2000", dst="GZ2000", params=HELMERT7)
    lon2, lat2 = crs.transform(e, n, src="GZ2000", dst="CGCS2000", params=HELMERT7)
    assert np.max(metres_between_lonlat(lon, lat, lon2, lat2)) < 1e-6
