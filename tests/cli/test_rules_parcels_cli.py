"""``suigeo rules parcels`` through the real entry point: formats, exit codes, rejects, map.

Hand-computed: the 100 m x 100 m parcel A holds a 50 m x 40 m building of 10 floors (GFA
20000 m²: plot ratio 2, coverage 0.2) and a 35 m x 100 m green strip (green ratio 0.35).
"""

import json
import warnings

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely import box

from suigeo.cli import main

GK = "EPSG:4547"
X0, Y0 = 480000.0, 2560000.0


def B(x0, y0, x1, y1):
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def layers(tmp_path, *, parcel_id="A", far_max=2.0, bad_building=False, suffix="gpkg"):
    # at the bounds, except through lon/lat WKT (CSV), where areas move by ~1e-10
    slack = 1e-6 if suffix == "csv" else 0.0
    parcels = gpd.GeoDataFrame(
        {
            "id": [parcel_id, "B"],
            "far_max": [far_max + slack, 1.0],
            "coverage_max": [f"{20 + slack}%", "50%"],
            "green_min": [0.35 - slack, 0.1],
            "height_max": [33, 50],
        },
        geometry=[B(0, 0, 100, 100), B(100, 0, 200, 100)],
        crs=GK,
    )
    geoms = [B(10, 10, 60, 50), B(120, 10, 140, 30)]
    if bad_building:
        geoms[1] = shapely.Polygon(
            [(X0 + 120, Y0), (X0 + 130, Y0 + 10), (X0 + 130, Y0), (X0 + 120, Y0 + 10)]
        )
    buildings = gpd.GeoDataFrame(
        {"floors": [10, 2], "height_m": [33.0, 6.0]}, geometry=geoms, crs=GK
    )
    green = gpd.GeoDataFrame(
        {"name": ["strip", "lawn"]}, geometry=[B(0, 65, 100, 100), B(100, 0, 120, 100)], crs=GK
    )
    paths = []
    for name, gdf in (("parcels", parcels), ("buildings", buildings), ("green", green)):
        p = tmp_path / f"{name}.{suffix}"
        if suffix == "csv":  # a CSV layer: WKT in lon/lat (CGCS2000, the CSV default)
            ll = gdf.to_crs("EPSG:4490")
            df = pd.DataFrame(ll.drop(columns="geometry"))
            df["wkt"] = ll.geometry.to_wkt(rounding_precision=-1)
            df.to_csv(p, index=False)
        else:
            with warnings.catch_warnings():  # a Shapefile cuts coverage_max to coverage_m
                warnings.simplefilter("ignore")
                gdf.to_file(p, engine="pyogrio")
        paths.append(p)
    return paths


def run(args, capsys):
    rc = main(["rules", "parcels", *map(str, args)])
    return rc, capsys.readouterr()


@pytest.mark.parametrize("suffix", ["gpkg", "shp", "geojson", "fgb", "csv"])
def test_every_format_gives_the_hand_computed_values(tmp_path, capsys, suffix):
    p, b, g = layers(tmp_path, suffix=suffix)
    out = tmp_path / "report.csv"
    rc, cap = run([p, "--buildings", b, "--green", g, "-o", out], capsys)
    assert rc == 0, cap.err
    rep = pd.read_csv(out)
    assert list(rep.columns) == ["parcel", "indicator", "value", "limit", "status", "reason"]
    a = rep[rep["parcel"] == "A"].set_index("indicator")
    tol = 1e-9 if suffix != "csv" else 1e-6  # lon/lat WKT to 15 digits and back
    assert a.loc["plot_ratio", "value"] == pytest.approx(2.0, rel=tol)
    assert a.loc["coverage", "value"] == pytest.approx(0.2, rel=tol)
    assert a.loc["green_ratio", "value"] == pytest.approx(0.35, rel=tol)
    assert a.loc["height", "value"] == 33.0
    assert a.loc["coverage", "limit"] == ("<= 0.2" if suffix != "csv" else "<= 0.20000001")
    assert "CGCS2000-3GK-CM114" in cap.err


def test_a_failure_is_exit_1_and_json_lists_everything(tmp_path, capsys):
    p, b, g = layers(tmp_path, far_max=1.9999)
    out = tmp_path / "r.json"
    rc, _ = run([p, "--buildings", b, "--green", g, "-o", out], capsys)
    assert rc == 1
    doc = json.loads(out.read_text(encoding="utf-8"))
    fails = [r for r in doc["results"] if r["status"] == "fail"]
    assert [(r["parcel"], r["indicator"]) for r in fails] == [("A", "plot_ratio")]
    assert fails[0]["reason"] == "above the maximum"
    assert doc["area_system"].startswith("CGCS2000-3GK-CM114")
    assert {x["parcel"]: x["gfa_m2"] for x in doc["parcels"]} == {"A": 20000.0, "B": 800.0}


def test_invalid_geometry_is_exit_2_named_or_listed(tmp_path, capsys):
    p, b, _g = layers(tmp_path, bad_building=True)
    out = tmp_path / "r.csv"
    rc, cap = run([p, "--buildings", b, "-o", out], capsys)
    assert rc == 2 and not out.exists()
    assert "buildings: row 2, column 'geometry'" in cap.err and "Self-intersection" in cap.err
    rej = tmp_path / "rejects.csv"
    rc, cap = run([p, "--buildings", b, "-o", out, "--rejects", rej], capsys)
    assert rc == 2 and out.exists()
    rows = pd.read_csv(rej)
    assert ("buildings", "invalid_geometry") in set(
        zip(rows["layer"], rows["reason"], strict=False)
    )
    rep = pd.read_csv(out)
    b_rows = rep[rep["parcel"] == "B"].set_index("indicator")
    assert b_rows.loc["plot_ratio", "status"] == "not_evaluable"  # the bad one may lie in B


def test_output_never_overwrites_an_input(tmp_path, capsys):
    p, b, _g = layers(tmp_path)
    before = p.read_bytes()
    rc, _cap = run([p, "--buildings", b, "-o", p], capsys)
    assert rc == 2 and p.read_bytes() == before


def test_nothing_checked_is_not_a_success(tmp_path, capsys):
    parcels = gpd.GeoDataFrame({"id": ["A"]}, geometry=[B(0, 0, 10, 10)], crs=GK)
    buildings = gpd.GeoDataFrame({"floors": [1]}, geometry=[B(1, 1, 2, 2)], crs=GK)
    p, b = tmp_path / "p.gpkg", tmp_path / "b.gpkg"
    parcels.to_file(p)
    buildings.to_file(b)
    rc, cap = run([p, "--buildings", b, "--format", "csv"], capsys)
    assert rc == 1 and "nothing was checked" in cap.err
    assert "rows in rejects" in cap.err


def test_map_colours_by_worst_status_and_escapes_popups(tmp_path, capsys):
    p, b, g = layers(tmp_path, parcel_id="<img src=x onerror=alert(1)>", far_max=1.0)
    html = tmp_path / "m.html"
    rc, _cap = run([p, "--buildings", b, "--green", g, "-o", tmp_path / "r.csv", "--map", html],
                  capsys)  # fmt: skip
    assert rc == 1
    text = html.read_text(encoding="utf-8")
    assert "<img src=x" not in text
    assert "Parcel: an indicator fails" in text and "Parcel: all indicators pass" in text


def test_column_overrides(tmp_path, capsys):
    parcels = gpd.GeoDataFrame(
        {"PID": ["A"], "FAR_UP": [2.0]}, geometry=[B(0, 0, 100, 100)], crs=GK
    )
    buildings = gpd.GeoDataFrame({"NL": [10], "H": [30.0]}, geometry=[B(10, 10, 60, 50)], crs=GK)
    p, b = tmp_path / "p.gpkg", tmp_path / "b.gpkg"
    parcels.to_file(p)
    buildings.to_file(b)
    args = [p, "--buildings", b, "--id-column", "PID", "--format", "json"]
    args += ["--column", "far_max=FAR_UP", "--column", "floors=NL", "--column", "height_m=H"]
    rc, cap = run(args, capsys)
    doc = json.loads(cap.out)
    (pr,) = [r for r in doc["results"] if r["indicator"] == "plot_ratio"]
    assert pr["parcel"] == "A" and pr["value"] == 2.0 and pr["status"] == "pass"
    assert rc == 0
    rc, cap = run([p, "--buildings", b, "--column", "far_max"], capsys)
    assert rc == 2 and "QUANTITY=NAME" in cap.err


def test_straddling_buildings_are_listed(tmp_path, capsys):
    parcels = gpd.GeoDataFrame(
        {"id": ["A", "B"], "far_max": [5.0, 5.0]},
        geometry=[B(0, 0, 100, 100), B(100, 0, 200, 100)],
        crs=GK,
    )
    # 40 m x 10 m, 3 floors (1200 m²): 30 m in A, 10 m in B
    buildings = gpd.GeoDataFrame(
        {"floors": [3], "height_m": [9.0]}, geometry=[B(70, 10, 110, 20)], crs=GK
    )
    p, b = tmp_path / "p.gpkg", tmp_path / "b.gpkg"
    parcels.to_file(p)
    buildings.to_file(b)
    out, strad = tmp_path / "r.csv", tmp_path / "s.csv"
    rc, cap = run([p, "--buildings", b, "-o", out, "--straddling", strad], capsys)
    assert rc == 0 and "1 straddling buildings apportioned" in cap.err
    s = pd.read_csv(strad, dtype={"building": str})
    assert s[["parcel", "share", "gfa_m2"]].values.tolist() == [
        ["A", 0.75, 900.0],
        ["B", 0.25, 300.0],
    ]
    rep = pd.read_csv(out).set_index(["parcel", "indicator"])
    assert rep.loc[("A", "plot_ratio"), "value"] == 0.09  # 900 / 10000
    assert rep.loc[("B", "plot_ratio"), "value"] == 0.03
