"""The layer reader and writer of suigeo.io, against GeoPandas/pyogrio reading the same files."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from suigeo.cli import main
from suigeo.errors import InputError, OutputError
from suigeo.io import format_for, read_layer, write_vector
from suigeo.io.vector import detect_xy

GDF = gpd.GeoDataFrame(
    {"id": ["a", "b"], "name": ["石门村", "x"], "town": ["温泉镇", "良口镇"]},
    geometry=[shapely.Point(113.3, 23.1), shapely.Point(113.4, 23.2)],
    crs=4490,
)


@pytest.mark.parametrize("suffix", [".csv", ".gpkg", ".geojson", ".fgb", ".parquet"])
def test_write_then_read_every_format(tmp_path, suffix):
    out = tmp_path / f"w{suffix}"
    write_vector(GDF, out)
    got = read_layer(out)
    assert got.format == format_for(out)
    assert list(got.rows) == [1, 2] and got.rejects.empty
    ref = (
        pd.read_csv(out)
        if suffix == ".csv"
        else gpd.read_parquet(out)
        if suffix == ".parquet"
        else gpd.read_file(out)
    )
    assert list(got.frame["id"]) == list(ref["id"])  # the file's order (FlatGeobuf: its index)
    xy = sorted(zip(got.frame["id"], got.frame.geometry.x, got.frame.geometry.y, strict=True))
    assert xy == [("a", 113.3, 23.1), ("b", 113.4, 23.2)]
    assert got.frame.crs.to_epsg() == 4490


def test_a_shapefile_is_read_and_written(tmp_path):
    GDF.to_file(tmp_path / "v.shp", engine="pyogrio")
    assert list(read_layer(tmp_path / "v.shp").frame["id"]) == ["a", "b"]
    write_vector(GDF, tmp_path / "w.shp")  # tests/io/test_shapefile.py: parts, code pages
    assert list(read_layer(tmp_path / "w.shp").frame["id"]) == ["a", "b"]


def test_layer_inside_a_geopackage(tmp_path):
    path = tmp_path / "two.gpkg"
    pyogrio.write_dataframe(GDF, path, layer="villages")
    pyogrio.write_dataframe(GDF.iloc[:1], path, layer="hubs")
    assert list(read_layer(path, layer="hubs").frame["id"]) == ["a"]
    assert len(read_layer(path, layer="villages").frame) == 2
    assert main(["layers", "check", str(path), "--schema", "villages", "--layer", "hubs"]) == 0
    with pytest.raises(InputError, match="nope"):
        read_layer(path, layer="nope")
    write_vector(GDF, tmp_path / "v.geojson")
    with pytest.raises(InputError, match="inside a GeoPackage"):
        read_layer(tmp_path / "v.geojson", layer="villages")


def test_one_list_of_xy_names():
    assert detect_xy(["Name", " LON ", "Lat"]) == (" LON ", "Lat")
    assert detect_xy(["x", "y", "lon", "lat"]) == ("lon", "lat")
    assert detect_xy(["x", "y", "lon", "lat"], geographic=False) == ("x", "y")
    assert detect_xy(["经度", "纬度"]) == ("经度", "纬度")
    assert detect_xy(["easting", "northing"]) == ("easting", "northing")
    assert detect_xy(["lon", "latitude"]) is None  # pairs, not a mix


def test_csv_system_is_given_not_guessed(tmp_path):
    path = tmp_path / "gk.csv"
    pd.DataFrame({"id": ["a"], "x": [428285.9562], "y": [2555783.9288]}).to_csv(path, index=False)
    got = read_layer(path, csv_crs="EPSG:4547").frame
    assert got.crs.to_epsg() == 4547
    assert (got.geometry.x[0], got.geometry.y[0]) == (428285.9562, 2555783.9288)


def test_suffixes_outside_the_table_are_refused_naming_the_file():
    with pytest.raises(InputError, match=r"'a\.docx'.*\.csv, .*\.shp"):
        format_for("a.docx")
    with pytest.raises(OutputError, match=r"'b'.*no suffix"):
        format_for("b", purpose="output")
    with pytest.raises(OutputError, match=r"\.fgb"):
        format_for("c.shp", purpose="output", allowed=("csv", "fgb"))
