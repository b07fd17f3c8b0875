"""User-layer validation: each kind of bad layer is caught, all problems at once."""

from __future__ import annotations

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import LineString, Point, Polygon

from suigeo import layers
from suigeo.errors import InputError
from suigeo.layers.validate import LayerValidationError, load_schema


def _roads(**over):
    data = {
        "id": ["r1", "r2", "r3"],
        "name": ["S254", "S119", "X293"],
        "road_class": ["provincial", "provincial", "county"],
        "speed_kmh": [60.0, 60.0, 40.0],
    }
    geoms = [
        LineString([(113.77, 23.48), (113.80, 23.50)]),
        LineString([(113.89, 23.41), (113.95, 23.45)]),
        LineString([(113.28, 23.55), (113.30, 23.57)]),
    ]
    data.update(over.pop("data", {}))
    return gpd.GeoDataFrame(data, geometry=over.pop("geometry", geoms), crs=over.pop("crs", 4490))


def _write(gdf, path):
    pyogrio.write_dataframe(gdf, path)
    return path


def _problems(path, schema="roads"):
    with pytest.raises(LayerValidationError) as exc:
        layers.read(path, schema=schema)
    assert isinstance(exc.value, InputError)
    return exc.value


def test_good_layer_reads(tmp_path):
    path = _write(_roads(), tmp_path / "roads.gpkg")
    gdf = layers.read(path, schema="roads")
    assert len(gdf) == 3 and gdf.crs.to_epsg() == 4490
    projected = layers.read(path, schema="roads", dst="CGCS2000-3GK-CM114")
    assert projected.crs.to_epsg() == 4547


def test_projected_layer_is_checked_in_its_own_system(tmp_path):
    path = _write(_roads().to_crs(4547), tmp_path / "roads_cm114.gpkg")
    assert len(layers.read(path, schema="roads")) == 3


def test_missing_crs(tmp_path):
    with pytest.warns(UserWarning, match="crs"):  # pyogrio warns on writing without a CRS
        path = _write(_roads(crs=None), tmp_path / "nocrs.gpkg")
    err = _problems(path)
    assert [(p.feature, p.field) for p in err.problems] == [(None, "crs")]
    assert "no coordinate reference system" in str(err)
    assert str(path) in str(err)


def test_invalid_and_wrong_geometry(tmp_path):
    bowtie = Polygon([(113.0, 23.0), (113.1, 23.1), (113.1, 23.0), (113.0, 23.1)])
    geoms = [bowtie, LineString([(113.0, 23.0), (113.0, 23.0)]), Point(113.2, 23.2)]
    path = _write(_roads(geometry=geoms), tmp_path / "bad_geom.gpkg")
    err = _problems(path)
    msgs = {(p.feature, p.field): p.message for p in err.problems if "invalid" in p.message}
    assert ("1 (id='r1')", "geometry") in msgs and "Self-intersection" in msgs[
        ("1 (id='r1')", "geometry")
    ]
    assert ("2 (id='r2')", "geometry") in msgs  # zero-length line
    wrong = [p for p in err.problems if "not in ['LineString'" in p.message]
    assert {p.feature for p in wrong} == {"1 (id='r1')", "3 (id='r3')"}


def test_missing_field_and_empty_required_value(tmp_path):
    gdf = _roads(data={"road_class": ["provincial", None, "county"]}).drop(columns="id")
    path = _write(gdf, tmp_path / "nofield.geojson")
    err = _problems(path)
    got = {(p.feature, p.field) for p in err.problems}
    assert (None, "id") in got
    assert ("2", "road_class") in got  # no id field: named by 1-based position
    assert "required field is missing" in str(err)


def test_wrong_type_and_value_names_feature_and_field(tmp_path):
    gdf = _roads(
        data={"speed_kmh": ["60", "fast", "40"], "road_class": ["provincial", "motorway", "county"]}
    )
    path = _write(gdf, tmp_path / "types.geojson")
    err = _problems(path)
    by = {(p.feature, p.field): p.message for p in err.problems}
    assert "not of type float" in by[("2 (id='r2')", "speed_kmh")]
    assert "'fast'" in by[("2 (id='r2')", "speed_kmh")]
    assert "not in" in by[("2 (id='r2')", "road_class")]
    assert len(err.problems) == 2  # "60" and "40" are numbers written as text: accepted
    assert "feature 2 (id='r2'): field 'speed_kmh'" in str(err)


def test_lon_lat_swapped(tmp_path):
    geoms = [
        LineString([(23.48, 113.77), (23.50, 113.80)]),
        LineString([(113.89, 23.41), (113.95, 23.45)]),
        LineString([(23.55, 113.28), (23.57, 113.30)]),
    ]
    path = _write(_roads(geometry=geoms), tmp_path / "swapped.gpkg")
    err = _problems(path)
    swapped = [p for p in err.problems if "swapped" in p.message]
    assert {p.feature for p in swapped} == {"1 (id='r1')", "3 (id='r3')"}
    assert all(p.field == "geometry" for p in swapped)


def test_outside_guangdong(tmp_path):
    geoms = [
        LineString([(121.47, 31.23), (121.50, 31.25)]),  # Shanghai
        LineString([(113.89, 23.41), (113.95, 23.45)]),
        LineString([(113.28, 23.55), (113.30, 23.57)]),
    ]
    err = _problems(_write(_roads(geometry=geoms), tmp_path / "shanghai.gpkg"))
    assert len(err.problems) == 1
    p = err.problems[0]
    assert (p.feature, p.field) == ("1 (id='r1')", "geometry")
    assert "outside Guangdong" in p.message


def test_projected_easting_northing_swapped(tmp_path):
    good = _roads().to_crs(4547)
    swapped = good.copy()
    swapped.geometry = good.geometry.map(lambda g: LineString([(y, x) for x, y in g.coords]))
    err = _problems(_write(swapped, tmp_path / "swapped_xy.gpkg"))
    assert {p.feature for p in err.problems if "x/y given as y/x" in p.message} == {
        "1 (id='r1')",
        "2 (id='r2')",
        "3 (id='r3')",
    }


def test_every_problem_reported_at_once(tmp_path):
    geoms = [
        LineString([(23.48, 113.77), (23.50, 113.80)]),
        Polygon([(113.0, 23.0), (113.1, 23.1), (113.1, 23.0), (113.0, 23.1)]),
        LineString([(121.47, 31.23), (121.50, 31.25)]),
    ]
    gdf = _roads(geometry=geoms, data={"speed_kmh": ["x", "60", "-5"]})
    err = _problems(_write(gdf, tmp_path / "all.geojson"))
    kinds = {p.message.split(" ")[0] for p in err.problems}
    assert len(err.problems) >= 5, [str(p) for p in err.problems]
    assert {"coordinates", "invalid", "geometry", "value"} <= kinds


@pytest.mark.parametrize("schema", ["roads", "boundaries", "villages", "facilities", "parcels"])
def test_shipped_schemas_load_and_reject_an_empty_frame_of_wrong_kind(schema):
    spec = load_schema(schema)
    assert schema in layers.schemas() and spec["name"] == schema
    gdf = gpd.GeoDataFrame({"x": [1]}, geometry=[Point(113.3, 23.1)], crs=4490)
    problems = layers.validate(gdf, schema=schema)
    assert any(p.field == "id" and "missing" in p.message for p in problems)
    assert any(p.field == "geometry" for p in problems) == ("Point" not in spec["geometry"])


def test_villages_schema_int_population(tmp_path):
    gdf = gpd.GeoDataFrame(
        {
            "id": [1, 2],
            "name": ["a", "b"],
            "town": ["梯面镇", "梯面镇"],
            "population": [1200.0, 3.5],
        },
        geometry=[Point(113.28, 23.55), Point(113.29, 23.56)],
        crs=4490,
    )
    problems = layers.validate(gdf, schema="villages", file="v.gpkg")
    assert [(p.feature, p.field) for p in problems] == [("2 (id=2)", "population")]


def test_unknown_schema_and_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"x\.gpkg'?: no such file"):
        layers.read(tmp_path / "x.gpkg", schema="roads")
    path = _write(_roads(), tmp_path / "ok.gpkg")
    with pytest.raises(InputError, match="unknown schema 'road'"):
        layers.read(path, schema="road")


def test_named_layer_in_a_multi_layer_geopackage(tmp_path):
    path = tmp_path / "multi.gpkg"
    pyogrio.write_dataframe(_roads(), path, layer="roads")
    villages = gpd.GeoDataFrame(
        {"id": ["v1"], "name": ["a"], "town": ["梯面镇"]}, geometry=[Point(113.28, 23.55)], crs=4490
    )
    pyogrio.write_dataframe(villages, path, layer="villages", append=True)
    assert len(layers.read(path, schema="villages", layer="villages")) == 1
    err = _problems_layer(path, "roads", "villages")
    assert any("geometry type LineString" in p.message for p in err.problems)


def _problems_layer(path, layer, schema):
    with pytest.raises(LayerValidationError) as exc:
        layers.read(path, schema=schema, layer=layer)
    return exc.value


def test_problems_as_table():
    gdf = _roads(data={"speed_kmh": [1.0, 500.0, 2.0]})
    problems = layers.validate(gdf, schema="roads", file="f.gpkg")
    err = LayerValidationError(problems, file="f.gpkg")
    t = err.to_frame()
    assert t.loc[0, "index"] == 1 and t.loc[0, "field"] == "speed_kmh"
    assert "outside [0, 150]" in t.loc[0, "message"]


def test_table_without_geometry_is_a_reported_problem_not_a_crash(tmp_path):
    # a CSV of villages without coordinates: read as a plain table (no x/y, no wkt column)
    path = tmp_path / "villages.csv"
    path.write_text("id,name,town,population\nv1,石门村,温泉镇,abc\n", encoding="utf-8")
    err = _problems(path, schema="villages")
    found = {(p.feature, p.field) for p in err.problems}
    assert (None, "geometry") in found  # the file-level problem: no geometry at all
    assert ("1 (id='v1')", "population") in found  # the attributes are still checked
    assert "no geometry" in str(err)


def test_messages_show_plain_values_not_numpy_reprs():
    gdf = gpd.GeoDataFrame(
        {"id": ["v1"], "name": ["a"], "town": ["梯面镇"], "population": [10.5]},
        geometry=[Point(113.28, 23.55)],
        crs=4490,
    )
    (p,) = layers.validate(gdf, schema="villages", file="v.gpkg")
    assert p.message == "value 10.5 is not of type int"


# A city-style local Transverse Mercator with no EPSG code (central meridian 113°17'):
# PROJ can use its full definition, so the layer is fine.
LOCAL_TM = (
    "+proj=tmerc +lat_0=0 +lon_0=113.283333333 +k=1 +x_0=500000 +y_0=0 "
    "+ellps=GRS80 +units=m +no_defs"
)


def test_a_local_crs_without_epsg_code_is_checked_through_proj(tmp_path):
    local = _roads().to_crs(LOCAL_TM)  # PROJ itself puts the good roads into the local system
    path = _write(local, tmp_path / "local.gpkg")
    assert len(layers.read(path, schema="roads")) == 3
    # and it converts: back in CGCS2000 lon/lat the roads are where they started
    back = layers.read(path, schema="roads", dst="CGCS2000")
    assert back.crs.to_epsg() == 4490
    for a, b in zip(back.geometry, _roads().geometry, strict=True):
        assert a.equals_exact(b, tolerance=1e-9)
    # the same local layer with x/y swapped is still recognised as swapped, nothing else
    swapped = local.copy()
    swapped.geometry = local.geometry.map(lambda g: LineString([(y, x) for x, y in g.coords]))
    err = _problems(_write(swapped, tmp_path / "local_swapped.gpkg"))
    assert {p.field for p in err.problems} == {"geometry"}
    assert all("x/y given as y/x" in p.message for p in err.problems)


def test_an_unusable_crs_is_one_problem_and_positions_are_not_guessed():
    # a site grid in metres that PROJ cannot relate to the earth: reading its metres as
    # lon/lat would add a false "outside Guangdong" problem for every feature
    site_grid = (
        'ENGCRS["site grid",EDATUM["site"],CS[Cartesian,2],'
        'AXIS["x",east,LENGTHUNIT["metre",1]],AXIS["y",north,LENGTHUNIT["metre",1]]]'
    )
    gdf = _roads().to_crs(LOCAL_TM).set_crs(site_grid, allow_override=True)
    problems = layers.validate(gdf, schema="roads", file="site.gpkg")
    assert [(p.feature, p.field) for p in problems] == [(None, "crs")]
