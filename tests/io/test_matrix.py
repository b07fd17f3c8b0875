"""Every command x every format, through the real entry point ``suigeo.cli.main``.

The same villages (or project) are written in each format by GeoPandas/pandas; each command
reads them through suigeo.io, and what comes out is compared with an independent
computation on the data as GeoPandas reads it back (pyproj for coordinates, pyproj.Geod for
distances, hand-checked ratios for the rules). A ragged CSV is refused by every command the
same way: exit 2, one line naming the file and the row.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod, Transformer

from suigeo.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "maps"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "geo" / "rules"))
from helpers_rules import village
from maps_html import geojson_layers

LAYER_FORMATS = ("csv", "gpkg", "geojson", "fgb", "parquet", "shp")
GK = "CGCS2000-3GK-CM114"  # EPSG:4547

VILLAGES = pd.DataFrame(
    {
        "id": ["v1", "v2", "v3"],
        "name": ["Shimen", "Liangkou", "Wenquan"],
        "town": ["Wenquan", "Liangkou", "Wenquan"],
        "lon": [113.3, 113.55, 113.62],
        "lat": [23.1, 23.62, 23.65],
    }
)


def write_points(frame: pd.DataFrame, path: Path) -> Path:
    """``frame`` (with lon/lat columns) in the format of ``path``'s suffix."""
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
        return path
    gdf = gpd.GeoDataFrame(
        frame.drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
        crs=4490,
    )
    if path.suffix == ".parquet":
        gdf.to_parquet(path)
    else:
        gdf.to_file(path, engine="pyogrio")
    return path


def reference_points(path: Path) -> pd.DataFrame:
    """id, lon, lat as GeoPandas/pandas read the file (independently of suigeo)."""
    if path.suffix == ".csv":
        df = pd.read_csv(path, dtype={"id": str})
        return df[["id", "lon", "lat"]].sort_values("id").reset_index(drop=True)
    gdf = gpd.read_parquet(path) if path.suffix == ".parquet" else gpd.read_file(path)
    out = pd.DataFrame({"id": gdf["id"], "lon": gdf.geometry.x, "lat": gdf.geometry.y})
    return out.sort_values("id").reset_index(drop=True)


def one_line_error(err: str, name: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if ln]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert name in lines[0]
    return lines[0]


@pytest.mark.parametrize("fmt", LAYER_FORMATS)
def test_crs_convert_reads_every_format(tmp_path, fmt, capsys):
    src = write_points(VILLAGES, tmp_path / f"v.{fmt}")
    out = tmp_path / "out.csv"
    assert main(["crs", "convert", str(src), "-o", str(out), "--from", "CGCS2000", "--to", GK]) == 0
    captured = capsys.readouterr()
    assert "read 3, written 3, rejected 0" in captured.out + captured.err
    got = pd.read_csv(out, dtype={"id": str}).sort_values("id").reset_index(drop=True)
    ref = reference_points(src)
    e, n = Transformer.from_crs(4490, 4547, always_xy=True).transform(ref["lon"], ref["lat"])
    xcol, ycol = ("E", "N") if fmt == "csv" else ("x", "y")  # a table renames them (E, N)
    assert list(got["id"]) == list(ref["id"])
    np.testing.assert_allclose(got[xcol], e, atol=1e-4, rtol=0)
    np.testing.assert_allclose(got[ycol], n, atol=1e-4, rtol=0)


@pytest.mark.parametrize("fmt", LAYER_FORMATS)
def test_layers_check_reads_every_format(tmp_path, fmt, capsys):
    src = write_points(VILLAGES, tmp_path / f"v.{fmt}")
    assert main(["layers", "check", str(src), "--schema", "villages"]) == 0
    assert f"{src}: 3 features, valid" in capsys.readouterr().out
    # one village far outside Guangdong: a problem naming that row (file position 2)
    bad = VILLAGES.copy()
    bad.loc[1, ["lon", "lat"]] = [100.0, 40.0]
    src2 = write_points(bad, tmp_path / f"bad.{fmt}")
    problems = tmp_path / "problems.csv"
    assert main(["layers", "check", str(src2), "--schema", "villages", "--rejects", str(problems)])
    rep = pd.read_csv(problems)
    ref = gpd.read_parquet(src2) if fmt == "parquet" else None
    if fmt == "csv":
        ref = pd.read_csv(src2)
    elif ref is None:
        ref = gpd.read_file(src2)  # FlatGeobuf stores features in spatial-index order
    assert list(rep["row"]) == [int(np.flatnonzero(ref["id"].to_numpy() == "v2")[0]) + 1]
    assert list(rep["id"]) == ["v2"]


@pytest.mark.parametrize("fmt", LAYER_FORMATS)
def test_access_coverage_reads_every_format(tmp_path, fmt, capsys):
    fac = write_points(VILLAGES.iloc[:1], tmp_path / f"fac.{fmt}")
    tgt = write_points(VILLAGES.iloc[1:], tmp_path / f"tgt.{fmt}")
    out = tmp_path / "report.csv"
    code = main(["access", "coverage", str(fac), str(tgt), "--km", "100", "-o", str(out)])
    assert code == 0
    rep = pd.read_csv(out)
    f, t = reference_points(fac), reference_points(tgt)
    g = Geod(ellps="GRS80")
    expected = [
        g.inv(f["lon"][0], f["lat"][0], x, y)[2] / 1000
        for x, y in zip(t["lon"], t["lat"], strict=True)
    ]
    np.testing.assert_allclose(sorted(rep["distance_km"]), sorted(expected), atol=1e-4)


@pytest.mark.parametrize("fmt", LAYER_FORMATS)
def test_map_build_user_layer_in_every_format(tmp_path, fmt):
    src = write_points(VILLAGES, tmp_path / f"villages.{fmt}")
    out = tmp_path / "map.html"
    assert main(["map", "build", "--user-layer", str(src), "-o", str(out)]) == 0
    layers = geojson_layers(out.read_text(encoding="utf-8"))
    ref = reference_points(src)
    found = [  # the map stores attributes as p0, p1...: find the layer by its values
        gj
        for gj in layers.values()
        if [set(VILLAGES["name"]) & set(f["properties"].values()) for f in gj["features"]]
        and set().union(*(set(f["properties"].values()) for f in gj["features"]))
        >= set(VILLAGES["name"])
    ]
    assert len(found) == 1
    coords = sorted(tuple(f["geometry"]["coordinates"]) for f in found[0]["features"])
    # the map shows GCJ-02 or WGS 84 lon/lat: within 1 km (0.01 deg) of the data
    np.testing.assert_allclose(coords, sorted(zip(ref["lon"], ref["lat"], strict=True)), atol=0.01)


def _project_polygon() -> shapely.Polygon:
    """200 m x 300 m = 60 000 m² in GK CM114, as CGCS2000 lon/lat."""
    t = Transformer.from_crs(4547, 4490, always_xy=True)
    x0, y0 = t.transform(113.3, 23.1, direction="INVERSE")
    ring = [(x0, y0), (x0 + 200, y0), (x0 + 200, y0 + 300), (x0, y0 + 300)]
    return shapely.Polygon([t.transform(*p) for p in ring])


@pytest.mark.parametrize("fmt", ("csv", "gpkg", "geojson", "fgb", "parquet"))
def test_rules_check_reads_every_format(tmp_path, fmt, capsys):
    # (a Shapefile cuts field names to 10 characters: rule fields cannot survive it)
    src = tmp_path / f"p.{fmt}"
    project = village()
    if fmt == "csv":
        pd.DataFrame([project]).to_csv(src, index=False)
    else:
        gdf = gpd.GeoDataFrame([project], geometry=[_project_polygon()], crs=4490)
        if fmt == "parquet":
            gdf.to_parquet(src)
        else:
            gdf.to_file(src, engine="pyogrio")
    args = ["rules", "check", str(src), "--ruleset", "village-industrial-2022"]
    assert main([*args, "--as-of", "2024-06-30", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    by_rule = {r["rule"]: r for r in doc["results"]}
    # hand-checked (tests/geo/rules/helpers_rules.py): plot ratio 240000/60000 = 4.0, ...
    assert by_rule["plot-ratio"]["value"] == pytest.approx(4.0, abs=1e-3)
    assert by_rule["ancillary-share"]["value"] == pytest.approx(0.2)
    assert {r["status"] for r in doc["results"]} == {"pass"}


# --------------------------------------------------------------------------------------------
# The same CSV cases in every command
# --------------------------------------------------------------------------------------------


def _commands(csv: Path, tmp: Path) -> dict[str, list[str]]:
    other = write_points(VILLAGES, tmp / "other.csv")
    return {
        "crs convert": ["crs", "convert", str(csv), "-o", str(tmp / "o.csv"), "--from",
                        "CGCS2000", "--to", GK],
        "layers check": ["layers", "check", str(csv), "--schema", "villages"],
        "access coverage (targets)": ["access", "coverage", str(other), str(csv), "--km", "5",
                                      "-o", str(tmp / "r.csv")],
        "access coverage (facilities)": ["access", "coverage", str(csv), str(other), "--km",
                                         "5", "-o", str(tmp / "r.csv")],
        "access rings (origins)": ["access", "rings", "--origins", str(csv), "--minutes", "10",
                                   "--no-rail", "-o", str(tmp / "rings.geojson")],
        "map build": ["map", "build", "--user-layer", str(csv), "-o", str(tmp / "m.html")],
        "rules check": ["rules", "check", str(csv), "--ruleset", "village-industrial-2022"],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("id,name,town,lon,lat\nv1,a,b,113.3,23.1\nv2,a,b,113.3,23.1,extra\n", "row 2 (line 3)"),
        ("id,name,town,lon,lat\nv1,a,b,113.3,23.1\nv2,a,b,113.3\n", "row 2 (line 3)"),
        ('id,name,town,lon,lat\nv1,"a,b,113.3,23.1\n', "never closed"),
        ("", "empty"),
    ],
    ids=["surplus-cell", "missing-cell", "unterminated-quote", "empty"],
)
def test_bad_csv_is_refused_the_same_way_everywhere(tmp_path, capsys, text, words):
    bad = tmp_path / "bad.csv"
    bad.write_text(text, encoding="utf-8")
    before = bad.read_bytes()
    for name, argv in _commands(bad, tmp_path).items():
        files = sorted(p.name for p in tmp_path.iterdir())
        assert main(argv) == 2, name
        line = one_line_error(capsys.readouterr().err, "bad.csv")
        assert words in line, (name, line)
        assert sorted(p.name for p in tmp_path.iterdir()) == files, name  # no partial output
        assert bad.read_bytes() == before


def test_a_csv_user_layer_is_the_same_layer_everywhere(tmp_path, capsys):
    """map build, access coverage and layers check read one CSV as the same three points."""
    src = write_points(VILLAGES, tmp_path / "villages.csv")
    assert main(["layers", "check", str(src), "--schema", "villages"]) == 0
    assert main(["map", "build", "--user-layer", str(src), "-o", str(tmp_path / "m.html")]) == 0
    fac = write_points(VILLAGES.iloc[:1], tmp_path / "fac.csv")
    out = tmp_path / "cov.csv"
    assert main(["access", "coverage", str(fac), str(src), "--km", "100", "-o", str(out)]) == 0
    assert len(pd.read_csv(out)) == 3


def test_csv_geometry_rule_wkt_and_nothing_else(tmp_path, capsys):
    line = "LINESTRING (113.3 23.1, 113.4 23.2)"
    good = tmp_path / "lines.csv"
    pd.DataFrame({"name": ["a"], "wkt": [line]}).to_csv(good, index=False)
    assert main(["map", "build", "--user-layer", str(good), "-o", str(tmp_path / "m.html")]) == 0
    other = tmp_path / "geometry.csv"
    pd.DataFrame({"name": ["a"], "geometry": [line]}).to_csv(other, index=False)
    assert main(["map", "build", "--user-layer", str(other), "-o", str(tmp_path / "n.html")]) == 2
    msg = one_line_error(capsys.readouterr().err, "geometry.csv")
    assert "'wkt'" in msg and "'geometry' is not read" in msg
    assert not (tmp_path / "n.html").exists()


@pytest.mark.parametrize("fmt", LAYER_FORMATS)
def test_access_rings_origins_in_every_format(tmp_path, fmt):
    """Rings from an origins file equal the rings from the same point given as LON,LAT."""
    src = write_points(VILLAGES.iloc[:1], tmp_path / f"o.{fmt}")
    ref = reference_points(src)
    base = ["access", "rings", "--minutes", "10", "--no-rail"]
    by_file, by_point = tmp_path / "f.gpkg", tmp_path / "p.gpkg"
    assert main([*base, "--origins", str(src), "-o", str(by_file)]) == 0
    point = f"{ref['lon'][0]:.9f},{ref['lat'][0]:.9f}"
    assert main([*base, "--origin", point, "-o", str(by_point)]) == 0
    a, b = gpd.read_file(by_file).geometry, gpd.read_file(by_point).geometry
    assert len(a) == len(b) == 1
    assert a.iloc[0].symmetric_difference(b.iloc[0]).area < 1e-12
