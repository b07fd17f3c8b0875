"""crs.to_crs on GeoDataFrames: every geometry type, against geopandas/pyproj's own to_crs,
and round trips through systems PROJ does not know (GZ2000, GCJ02)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from crs_refs import EXAMPLE
from shapely import LineString, MultiPolygon, Point, Polygon

from suigeo import crs
from suigeo.errors import InputError


@pytest.fixture
def frame():
    square = Polygon([(113.2, 23.0), (113.3, 23.0), (113.3, 23.1), (113.2, 23.1)])
    geoms = [
        Point(113.26, 23.13),
        LineString([(113.1, 22.9), (113.5, 23.4), (113.6, 23.5)]),
        square,
        MultiPolygon([square, shapely.affinity.translate(square, 0.3, 0.2)]),
        Point(113.4, 23.2, 15.5),
        Polygon(),
    ]
    return gpd.GeoDataFrame(
        {"name": list("abcdef"), "v": np.arange(6)}, geometry=geoms, crs="EPSG:4490"
    )


def test_to_projected_matches_geopandas_to_crs(frame):
    out = crs.to_crs(frame, "CGCS2000-3GK-CM114")
    ref = frame.to_crs(4547)
    assert out.crs == ref.crs and list(out.columns) == list(frame.columns)
    assert shapely.equals_exact(out.geometry.values, ref.geometry.values, tolerance=1e-6).all()
    assert out.geometry.has_z.tolist() == frame.geometry.has_z.tolist()
    assert out["name"].tolist() == list("abcdef")


def test_gz2000_frame_has_no_crs_and_converts_back(frame):
    gz = crs.to_crs(frame, "GZ2000", params=EXAMPLE)
    assert gz.crs is None and gz.attrs[crs.FRAME_ATTR] == "GZ2000"
    ex, _ = crs.transform(113.26, 23.13, src="CGCS2000", dst="GZ2000", params=EXAMPLE)
    assert gz.geometry.iloc[0].x == pytest.approx(float(ex), abs=1e-6)
    back = crs.to_crs(gz, "CGCS2000", params=EXAMPLE)
    assert back.crs.to_epsg() == 4490
    assert shapely.equals_exact(back.geometry.values, frame.geometry.values, 1e-9).all()
    assert back.geometry.iloc[4].z == 15.5  # bare systems: height passes through


def test_gcj02_frame_and_explicit_source(frame):
    g = crs.to_crs(frame, "GCJ02")
    assert g.crs is None and g.attrs[crs.FRAME_ATTR] == "GCJ02"
    plain = g.copy()
    plain.attrs.clear()
    with pytest.raises(InputError, match="no CRS"):
        crs.to_crs(plain, "CGCS2000")
    back = crs.to_crs(plain, "CGCS2000", src="GCJ02")
    assert shapely.equals_exact(back.geometry.values, frame.geometry.values, 1e-9).all()


def test_heights_in_z_follow_named_height_systems(frame):
    out = crs.to_crs(frame, "GZ2000+HGZ", params=EXAMPLE, src="CGCS2000+H1985")
    assert out.geometry.iloc[4].z == pytest.approx(15.5 + 4.256, abs=1e-9)
    assert not out.geometry.iloc[0].has_z
    assert crs.frame_system(out).name == "GZ2000+HGZ"
