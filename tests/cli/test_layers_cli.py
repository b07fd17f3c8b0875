"""`suigeo layers ...` through the real entry point; exports reread with pyogrio."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import LineString

from suigeo import layers
from suigeo.cli import main


def test_list(capsys):
    assert main(["layers", "list"]) == 0
    out = capsys.readouterr().out
    for name in layers.LAYER_NAMES:
        assert name in out
    assert "meizhou_parks" in out and " 9 " in out


def test_show(capsys):
    assert main(["layers", "show", "meizhou_parks"]) == 0
    out = capsys.readouterr().out
    assert "广州(梅州)产业园" in out and "output_2025_yi" in out and "160.0" in out
    assert main(["layers", "show", "rail_lines", "--full", "--format", "csv"]) == 0
    df = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out))
    assert list(df["id"]) == list(layers.load("rail_lines")["id"])
    assert "source" in df.columns


def test_show_unknown_layer_is_exit_2(capsys):
    assert main(["layers", "show", "meizhou_park"]) == 2
    assert "did you mean meizhou_parks" in capsys.readouterr().err


def _compare(back, ref):
    assert list(back["id"]) == list(ref["id"])
    for col in ref.columns:
        if col == "geometry":
            continue
        a, b = back[col].to_numpy(), ref[col].to_numpy()
        if ref[col].dtype.kind == "f":
            np.testing.assert_allclose(a.astype(float), b, equal_nan=True, err_msg=col)
        else:
            assert list(a) == list(b), col
    for g1, g2 in zip(back.geometry, ref.geometry, strict=True):
        np.testing.assert_allclose(np.asarray(g1.coords), np.asarray(g2.coords), atol=1e-7)


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
@pytest.mark.parametrize("name", ["rail_lines", "meizhou_parks"])
def test_export_round_trip(tmp_path, suffix, name):
    out = tmp_path / f"{name}{suffix}"
    assert main(["layers", "export", name, "-o", str(out)]) == 0
    back = pyogrio.read_dataframe(out, datetime_as_string=True)
    ref = layers.load(name)
    assert back.crs.to_epsg() == 4490
    _compare(back, ref)


@pytest.mark.parametrize("name", ["rail_lines", "meizhou_parks"])
def test_export_geoparquet_round_trip(tmp_path, name):
    # pyogrio's GDAL build has no Parquet driver here: reread with pyarrow + shapely and
    # the GeoParquet "geo" metadata (independent of GeoPandas' own reader)
    out = tmp_path / f"{name}.parquet"
    assert main(["layers", "export", name, "-o", str(out)]) == 0
    table = pq.read_table(out)
    geo = json.loads(table.schema.metadata[b"geo"])
    col = geo["primary_column"]
    assert CRS.from_json_dict(geo["columns"][col]["crs"]).to_epsg() == 4490
    df = table.to_pandas()
    back = gpd.GeoDataFrame(
        df.drop(columns=col), geometry=shapely.from_wkb(df[col].to_numpy()), crs=4490
    )
    _compare(back, layers.load(name))


def test_export_projected_geopackage_matches_proj(tmp_path):
    out = tmp_path / "st.gpkg"
    assert (
        main(["layers", "export", "rail_stations", "-o", str(out), "--to", "CGCS2000-3GK-CM114"])
        == 0
    )
    back = pyogrio.read_dataframe(out)
    assert back.crs.to_epsg() == 4547
    ref = layers.load("rail_stations")
    x, y = Transformer.from_crs(4490, 4547, always_xy=True).transform(
        ref.geometry.x, ref.geometry.y
    )
    np.testing.assert_allclose(back.geometry.x, x, atol=1e-6)
    np.testing.assert_allclose(back.geometry.y, y, atol=1e-6)


def test_export_csv_points_lonlat_and_xy(tmp_path):
    out = tmp_path / "towns.csv"
    assert main(["layers", "export", "north8_towns", "-o", str(out)]) == 0
    back = pyogrio.read_dataframe(out, X_POSSIBLE_NAMES="lon", Y_POSSIBLE_NAMES="lat")
    ref = layers.load("north8_towns")
    assert list(back["id"]) == list(ref["id"])
    np.testing.assert_allclose(back.geometry.x, ref.geometry.x, atol=1e-9)
    np.testing.assert_allclose(back.geometry.y, ref.geometry.y, atol=1e-9)
    out2 = tmp_path / "towns_cm114.csv"
    assert main(["layers", "export", "north8_towns", "-o", str(out2), "--to", "EPSG:4547"]) == 0
    df = pd.read_csv(out2)
    assert {"x", "y"} <= set(df.columns) and "lon" not in df.columns
    assert (df["x"].between(400_000, 600_000)).all()


def test_export_csv_lines_as_wkt(tmp_path):
    out = tmp_path / "lines.csv"
    assert main(["layers", "export", "rail_lines", "-o", str(out)]) == 0
    back = pyogrio.read_dataframe(out, GEOM_POSSIBLE_NAMES="wkt", KEEP_GEOM_COLUMNS="NO")
    ref = layers.load("rail_lines")
    for g1, g2 in zip(back.geometry, ref.geometry, strict=True):
        assert isinstance(g1, LineString)
        np.testing.assert_allclose(np.asarray(g1.coords), np.asarray(g2.coords), atol=1e-12)


def test_export_refuses_bad_suffix_and_keeps_existing_file(tmp_path, capsys):
    out = tmp_path / "hubs.xyz"  # .txt is CSV in the one suffix table (suigeo.io.formats)
    assert main(["layers", "export", "hubs", "-o", str(out)]) == 2
    assert not out.exists()
    keep = tmp_path / "hubs.geojson"
    keep.write_text("old")
    assert main(["layers", "export", "hubs", "-o", str(keep), "--to", "NOPE"]) == 2
    assert keep.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["hubs.geojson"]  # no temp left behind


def test_export_never_overwrites_the_shipped_file(tmp_path):
    from suigeo.layers.shipped import layer_path

    before = layer_path("hubs").read_bytes()
    assert main(["layers", "export", "hubs", "-o", str(layer_path("hubs"))]) == 2
    assert layer_path("hubs").read_bytes() == before


def test_check_reports_all_problems_exit_1(tmp_path, capsys):
    import geopandas as gpd

    gdf = gpd.GeoDataFrame(
        {"id": ["a", "b"], "road_class": ["county", "nope"]},
        geometry=[
            LineString([(23.4, 113.7), (23.5, 113.8)]),
            LineString([(113.7, 23.4), (113.8, 23.5)]),
        ],
        crs=4490,
    )
    path = tmp_path / "r.gpkg"
    pyogrio.write_dataframe(gdf, path)
    assert main(["layers", "check", str(path), "--schema", "roads"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert any("feature 1 (id='a'): field 'geometry'" in line and "swapped" in line for line in out)
    assert any("feature 2 (id='b'): field 'road_class'" in line for line in out)
    good = gdf.iloc[[1]].assign(road_class="county")
    pyogrio.write_dataframe(good, tmp_path / "g.gpkg")
    assert main(["layers", "check", str(tmp_path / "g.gpkg"), "--schema", "roads"]) == 0


def test_help_shows_examples(capsys):
    for sub in ("list", "show", "export", "check"):
        assert main(["layers", sub, "--help"]) == 0
        assert "Example: suigeo layers" in capsys.readouterr().out


def test_check_writes_rejects_csv(tmp_path, capsys):
    import geopandas as gpd

    gdf = gpd.GeoDataFrame(
        {"id": ["a", "b"], "road_class": ["county", "nope"]},
        geometry=[
            LineString([(23.4, 113.7), (23.5, 113.8)]),
            LineString([(113.7, 23.4), (113.8, 23.5)]),
        ],
        crs=4490,
    )
    path = tmp_path / "r.gpkg"
    pyogrio.write_dataframe(gdf, path)
    rep = tmp_path / "rejects.csv"
    assert main(["layers", "check", str(path), "--schema", "roads", "--rejects", str(rep)]) == 1
    df = pd.read_csv(rep)
    # the shared rejects report (suigeo.io.rejects), then the feature as read
    assert list(df.columns[:4]) == ["row", "column", "reason", "message"]
    assert sorted(zip(df["row"], df["column"], df["id"], strict=True)) == [
        (1, "geometry", "a"),
        (2, "road_class", "b"),
    ]
    assert df.loc[df["row"] == 2, "road_class"].item() == "nope"


def test_growth_command(capsys):
    assert main(["layers", "growth"]) == 0
    out = capsys.readouterr().out
    # (160 / 40.10) ** 0.2 - 1 = 31.9 %; total (830 / 391.57) ** 0.2 - 1 = 16.2 %
    assert "31.9 %" in out and "16.2 %" in out and "合计" in out


def test_nearest_command(capsys):
    assert main(["layers", "nearest", "north8_towns", "--kind", "high_speed"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 9  # header + 8 towns
    assert "distance_km" in out
    assert main(["layers", "nearest", "nope"]) == 2


def test_export_to_systems_without_a_proj_crs(tmp_path, caplog):
    params = str(Path(__file__).resolve().parents[2] / "crs" / "examples" / "gz2000-example.toml")
    gz_csv = tmp_path / "hubs_gz.csv"
    args = ["layers", "export", "hubs", "-o", str(gz_csv), "--to", "GZ2000", "--params", params]
    assert main(args) == 0
    df = pd.read_csv(gz_csv)
    assert {"x", "y"} <= set(df.columns) and "lon" not in df.columns  # a plane system
    gz_json = tmp_path / "hubs_gz.geojson"
    args = ["layers", "export", "hubs", "-o", str(gz_json), "--to", "GZ2000", "--params", params]
    assert main(args) == 2 and not gz_json.exists()  # GeoJSON would be read as WGS84
    gz_gpkg = tmp_path / "hubs_gz.gpkg"
    args = ["layers", "export", "hubs", "-o", str(gz_gpkg), "--to", "GZ2000", "--params", params]
    with caplog.at_level("WARNING"):
        assert main(args) == 0
    assert "without a CRS definition" in caplog.text
    assert pyogrio.read_info(gz_gpkg)["crs"] is None
    gcj = tmp_path / "hubs_gcj.csv"
    assert main(["layers", "export", "hubs", "-o", str(gcj), "--to", "GCJ02"]) == 0
    d = pd.read_csv(gcj)
    ref = layers.load("hubs")
    # GCJ-02 shifts points in Guangzhou by a few hundred metres (about +0.005 lon, -0.003 lat)
    dlon = d["lon"].to_numpy() - ref.geometry.x.to_numpy()
    dlat = d["lat"].to_numpy() - ref.geometry.y.to_numpy()
    shift_m = np.hypot(dlon * 102_000, dlat * 111_000)
    assert ((shift_m > 100) & (shift_m < 1000)).all()


def test_feature_numbers_and_rejects_agree_when_the_reader_sets_rows_aside(tmp_path, capsys):
    """Messages number features from 1 by their row in the file, as the rejects file does,
    and a row the reader set aside (no coordinate) keeps its own fields in the rejects."""
    import csv

    src = tmp_path / "v.csv"
    src.write_text(
        "id,name,town,kind,lon,lat\n"
        "v1,A,派潭镇,village,113.3,23.1\n"
        "v2,B,派潭镇,village,23.1,113.3\n"
        "v3,C,派潭镇,village,,\n",
        encoding="utf-8",
    )
    rej = tmp_path / "r.csv"
    assert main(["layers", "check", str(src), "--schema", "villages", "--rejects", str(rej)]) == 1
    out = capsys.readouterr().out
    assert "feature 2 (id='v2'): field 'geometry'" in out and "swapped" in out
    assert "feature 3: field 'lon'" in out
    with rej.open(encoding="utf-8") as fh:
        rows = {r["row"]: r for r in csv.DictReader(fh)}
    assert rows["2"]["name"] == "B" and rows["2"]["reason"] == "invalid_feature"
    assert rows["3"]["name"] == "C" and rows["3"]["id"] == "v3" and rows["3"]["reason"] == "empty"
