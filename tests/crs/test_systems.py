import pytest
from pyproj import CRS

from suigeo import crs
from suigeo.errors import SuigeoError, UnknownSystemError


@pytest.mark.parametrize(
    ("name", "cm", "fe"),
    [
        ("CGCS2000-3GK-CM111", 111, 500000),
        ("CGCS2000-3GK-CM114", 114, 500000),
        ("CGCS2000-3GK-CM117", 117, 500000),
        ("CGCS2000-3GK-Z37", 111, 37500000),
        ("CGCS2000-3GK-Z38", 114, 38500000),
        ("CGCS2000-3GK-Z39", 117, 39500000),
    ],
)
def test_gauss_kruger_codes_match_pyproj_definitions(name, cm, fe):
    system = crs.resolve(name)
    params = {p.name: p.value for p in CRS.from_epsg(system.epsg).coordinate_operation.params}
    assert params["Longitude of natural origin"] == cm
    assert params["False easting"] == fe
    assert params["Scale factor at natural origin"] == 1
    assert CRS.from_epsg(system.epsg).geodetic_crs.name == "China Geodetic Coordinate System 2000"


def test_epsg_text_and_int_and_crs_all_resolve_to_the_named_system():
    assert crs.resolve("EPSG:4547").name == "CGCS2000-3GK-CM114"
    assert crs.resolve(4490).name == "CGCS2000"
    assert crs.resolve(CRS.from_epsg(4479)).name == "CGCS2000-XYZ"
    assert crs.resolve("epsg:32650").kind == "projected"


@pytest.mark.parametrize("bad", ["GZ1954", "EPSG:999999", 3.5, None, True])
def test_unknown_systems_raise_one_clear_error(bad):
    with pytest.raises(UnknownSystemError) as info:
        crs.resolve(bad)
    assert isinstance(info.value, SuigeoError) and isinstance(info.value, ValueError)
