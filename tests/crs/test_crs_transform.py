"""crs.transform against independent references: hand-written PROJ strings, the parameter
file's documented formulas, EPSG Guidance Note 7-2's Helmert example, prcoords."""

from __future__ import annotations

import numpy as np
import pytest
from crs_refs import CART, EXAMPLE, base_params, similarity, tmerc

from suigeo import crs
from suigeo.errors import InputError, MissingParametersError, UnknownSystemError

RNG = np.random.default_rng(20260522)
LON = RNG.uniform(112.95, 114.05, 500)
LAT = RNG.uniform(22.45, 23.95, 500)
H = RNG.uniform(-20.0, 1200.0, 500)


@pytest.mark.parametrize(
    ("name", "lon_0", "x_0"),
    [
        ("CGCS2000-3GK-CM114", 114, 500000),
        ("CGCS2000-3GK-Z38", 114, 38500000),
        ("EPSG:4547", 114, 500000),
        ("CGCS2000-3GK-CM111", 111, 500000),
    ],
)
def test_gauss_kruger_matches_hand_written_tmerc(name, lon_0, x_0):
    e, n = crs.transform(LON, LAT, src="CGCS2000", dst=name)
    re, rn = tmerc(lon_0, x_0).transform(LON, LAT)
    np.testing.assert_allclose(e, re, rtol=0, atol=1e-6)
    np.testing.assert_allclose(n, rn, rtol=0, atol=1e-6)


def test_gz2000_example_is_tmerc_then_the_documented_similarity():
    # Example file: CM 113.5, k 1, FE 100 km, FN -2500 km; dx 100, dy -200, 10", 5 ppm.
    e, n = crs.transform(LON, LAT, src="CGCS2000", dst="GZ2000", params=EXAMPLE)
    te, tn = tmerc(113.5, 100000.0, -2500000.0).transform(LON, LAT)
    re, rn = similarity(te, tn, 100.0, -200.0, 10.0, 5.0)
    np.testing.assert_allclose(e, re, rtol=0, atol=1e-6)
    np.testing.assert_allclose(n, rn, rtol=0, atol=1e-6)


@pytest.mark.parametrize("rotation", [3600.0, -1800.0, 0.25])
def test_similarity_rotation_is_anticlockwise_positive(rotation):
    sim = {"dx_m": 10.0, "dy_m": 20.0, "rotation_arcsec": rotation, "scale_ppm": -30.0}
    e, n = crs.transform(LON, LAT, src="CGCS2000", dst="GZ2000", params=base_params(similarity=sim))
    te, tn = tmerc(113.5, 100000.0, -2500000.0).transform(LON, LAT)
    re, rn = similarity(te, tn, 10.0, 20.0, rotation, -30.0)
    np.testing.assert_allclose(e, re, rtol=0, atol=1e-6)
    np.testing.assert_allclose(n, rn, rtol=0, atol=1e-6)


def test_affine6_follows_the_documented_formula():
    aff = {"a0": 12.5, "a1": 1.00002, "a2": -0.00003, "b0": -7.25, "b1": 0.00004, "b2": 0.99997}
    e, n = crs.transform(LON, LAT, src="CGCS2000", dst="GZ2000", params=base_params(affine6=aff))
    te, tn = tmerc(113.5, 100000.0, -2500000.0).transform(LON, LAT)
    np.testing.assert_allclose(e, 12.5 + 1.00002 * te - 0.00003 * tn, rtol=0, atol=1e-6)
    np.testing.assert_allclose(n, -7.25 + 0.00004 * te + 0.99997 * tn, rtol=0, atol=1e-6)


def test_projection_height_sets_the_scale_from_the_mean_radius():
    p = base_params()
    p["projection"] = {
        "central_meridian_deg": 113.25,
        "projection_height_m": 50.0,
        "false_easting_m": 40000.0,
    }
    e, n = crs.transform(LON, LAT, src="CGCS2000", dst="GZ2000", params=p)
    re, rn = tmerc(113.25, 40000.0, 0.0, k=1 + 50.0 / 6371008.7714).transform(LON, LAT)
    np.testing.assert_allclose(e, re, rtol=0, atol=1e-6)
    np.testing.assert_allclose(n, rn, rtol=0, atol=1e-6)


# EPSG Guidance Note 7-2 (2019), 4.4.3.1 / 4.4.3.2: WGS 72 -> WGS 84, geocentric.
GN_IN = (3657660.66, 255768.55, 5201382.11)
GN_OUT = (3657660.78, 255778.43, 5201387.75)


def _gn7_2(convention: str, rz: float):
    h7 = {
        "convention": convention,
        "tx_m": 0.0,
        "ty_m": 0.0,
        "tz_m": 4.5,
        "rx_arcsec": 0.0,
        "ry_arcsec": 0.0,
        "rz_arcsec": rz,
        "scale_ppm": 0.219,
    }
    p = base_params(helmert7=h7)
    p["projection"] = {"central_meridian_deg": 4.0, "scale": 1.0, "false_easting_m": 500000.0}
    lon, lat, h = CART.transform(*GN_IN, direction="INVERSE")
    e, n, h2 = crs.transform([lon], [lat], [h], src="CGCS2000", dst="GZ2000", params=p)
    olon, olat, oh = CART.transform(*GN_OUT, direction="INVERSE")
    re, rn = tmerc(4.0, 500000.0).transform(olon, olat)
    return (e[0] - re, n[0] - rn, h2[0] - oh)


@pytest.mark.parametrize(
    ("convention", "rz"), [("position_vector", 0.554), ("coordinate_frame", -0.554)]
)
def test_helmert7_reproduces_epsg_guidance_note_7_2(convention, rz):
    # GN 7-2 publishes the result to 1 cm, so agreement is to half a centimetre.
    assert np.all(np.abs(_gn7_2(convention, rz)) < 0.006)


def test_helmert7_convention_is_applied_not_ignored():
    # The same numbers read with the other convention miss by about 20 m.
    assert np.max(np.abs(_gn7_2("coordinate_frame", 0.554))) > 10


def test_cgcs2000_and_wgs84_are_taken_equal():
    x, y = crs.transform(LON, LAT, src="WGS84", dst="CGCS2000")
    np.testing.assert_array_equal(x, LON)
    np.testing.assert_array_equal(y, LAT)


def test_geocentric_matches_hand_written_cart():
    x, y, z = crs.transform(LON, LAT, H, src="CGCS2000", dst="CGCS2000-XYZ")
    rx, ry, rz = CART.transform(LON, LAT, H)
    np.testing.assert_allclose([x, y, z], [rx, ry, rz], rtol=0, atol=1e-6)


def test_named_heights_use_the_published_offset_by_default():
    # Guangdong's table: Guangzhou height = 1985 height + 4.256 m.
    _, _, h = crs.transform(LON, LAT, H, src="CGCS2000+H1985", dst="GZ2000+HGZ", params=EXAMPLE)
    np.testing.assert_allclose(h, H + 4.256, rtol=0, atol=1e-9)
    _, _, h = crs.transform(LON, LAT, H, src="H1985", dst="HGZ")
    np.testing.assert_allclose(h, H + 4.256, rtol=0, atol=1e-9)
    _, _, h = crs.transform(
        LON, LAT, H, src="GZ2000+HGZ", dst="CGCS2000-3GK-CM114+H1985", params=EXAMPLE
    )
    np.testing.assert_allclose(h, H - 4.256, rtol=0, atol=1e-9)


def test_height_offset_comes_from_the_file():
    p = base_params(height={"model": "offset", "offset_m": 4.5})
    x, _, h = crs.transform(LON, LAT, H, src="CGCS2000+H1985", dst="CGCS2000+HGZ", params=p)
    np.testing.assert_allclose(h, H + 4.5, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(x, LON)


def test_plane_part_of_a_compound_conversion_equals_the_plane_conversion():
    e, n, _ = crs.transform(LON, LAT, H, src="CGCS2000+H1985", dst="GZ2000+HGZ", params=EXAMPLE)
    re, rn = crs.transform(LON, LAT, src="CGCS2000", dst="GZ2000", params=EXAMPLE)
    np.testing.assert_array_equal(e, re)
    np.testing.assert_array_equal(n, rn)


def test_mixing_named_and_ellipsoidal_heights_is_refused():
    with pytest.raises(UnknownSystemError, match="quasi-geoid"):
        crs.transform(LON, LAT, H, src="CGCS2000+H1985", dst="CGCS2000-3GK-CM114")
    # Without heights the plane converts fine.
    crs.transform(LON, LAT, src="CGCS2000+H1985", dst="CGCS2000-3GK-CM114")


def test_inputs_are_not_modified():
    lon, lat, h = LON.copy(), LAT.copy(), H.copy()
    for dst in ("GZ2000+HGZ", "CGCS2000-3GK-CM114+H1985", "GCJ02+H1985"):
        crs.transform(lon, lat, h, src="CGCS2000+H1985", dst=dst, params=EXAMPLE)
    np.testing.assert_array_equal(lon, LON)
    np.testing.assert_array_equal(h, H)


def test_missing_parameters_say_how_to_supply_or_fit(monkeypatch):
    monkeypatch.delenv("SUIGEO_GZ2000_PARAMS", raising=False)
    with pytest.raises(MissingParametersError) as info:
        crs.transform(LON, LAT, src="CGCS2000", dst="GZ2000")
    text = str(info.value)
    assert "--params FILE" in text and "SUIGEO_GZ2000_PARAMS" in text
    assert "suigeo crs fit" in text


def test_environment_variable_supplies_the_file(monkeypatch):
    monkeypatch.setenv("SUIGEO_GZ2000_PARAMS", str(EXAMPLE))
    e, _ = crs.transform(LON, LAT, src="CGCS2000", dst="GZ2000")
    re, _ = crs.transform(LON, LAT, src="CGCS2000", dst="GZ2000", params=EXAMPLE)
    np.testing.assert_array_equal(e, re)


def test_shape_mismatch_is_an_input_error():
    with pytest.raises(InputError):
        crs.transform([1.0, 2.0], [1.0], src="CGCS2000", dst="CGCS2000-3GK-CM114")


def test_area_mask_uses_each_systems_area_of_use():
    assert crs.resolve("GZ2000").area_of_use == (112.5, 22.0, 114.5, 24.4)
    assert crs.resolve("CGCS2000-3GK-CM114").area_of_use == pytest.approx(
        crs.resolve("EPSG:4547").pyproj_crs.area_of_use.bounds
    )
    e, n = crs.transform([113.3, 116.0], [23.1, 23.1], src="CGCS2000", dst="GZ2000", params=EXAMPLE)
    assert crs.area_mask(e, n, src="GZ2000", params=EXAMPLE).tolist() == [True, False]
    assert crs.area_mask([113.3, np.nan, 140.0], [23.1, 23.1, 23.1], src="GCJ02").tolist() == [
        True,
        False,
        False,
    ]


class TestGcj02Routing:
    """CGCS2000/GZ2000 <-> GCJ-02/BD-09 against prcoords, an independent implementation."""

    import prcoords

    def test_cgcs2000_to_gcj02_and_bd09(self):
        lon, lat = crs.transform(LON[:50], LAT[:50], src="CGCS2000", dst="GCJ02")
        blon, blat = crs.transform(LON[:50], LAT[:50], src="CGCS2000", dst="BD09")
        for i in range(50):
            g = self.prcoords.wgs_gcj((LAT[i], LON[i]))
            b = self.prcoords.wgs_bd((LAT[i], LON[i]))
            assert abs(lon[i] - g.lon) < 1e-9 and abs(lat[i] - g.lat) < 1e-9
            assert abs(blon[i] - b.lon) < 1e-9 and abs(blat[i] - b.lat) < 1e-9

    def test_gz2000_to_gcj02_goes_through_cgcs2000(self):
        e, n = crs.transform(LON[:20], LAT[:20], src="CGCS2000", dst="GZ2000", params=EXAMPLE)
        lon, lat = crs.transform(e, n, src="GZ2000", dst="GCJ02", params=EXAMPLE)
        for i in range(20):
            g = self.prcoords.wgs_gcj((LAT[i], LON[i]))
            assert abs(lon[i] - g.lon) < 1e-9 and abs(lat[i] - g.lat) < 1e-9

    def test_gcj02_to_bd09_directly(self):
        glon, glat = crs.transform(LON[:20], LAT[:20], src="CGCS2000", dst="GCJ02")
        blon, blat = crs.transform(glon, glat, src="GCJ02", dst="BD09")
        for i in range(20):
            b = self.prcoords.gcj_bd((glat[i], glon[i]))
            assert abs(blon[i] - b.lon) < 1e-9 and abs(blat[i] - b.lat) < 1e-9
