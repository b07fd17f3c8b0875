"""``suigeo access``: gaps found by the issue-4 audit, each checked against an independent
reference (hand-computed times on a grid, PROJ geodesics, shapely geometry)."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from suigeo import crs
from suigeo.cli import main

RINGS = ["access", "rings"]
X0, Y0 = (float(v[0]) for v in crs.transform([113.3], [23.1], src="CGCS2000", dst=4547))


def _lonlat(x, y):
    lon, lat = crs.transform([x], [y], src=4547, dst="CGCS2000")
    return float(lon[0]), float(lat[0])


def _one_road_file(tmp_path):
    """A single straight 4 km residential street (30 km/h from the class table) along x."""
    road = gpd.GeoDataFrame(
        {"highway": ["residential"] * 4},
        geometry=[
            shapely.LineString([(X0 + 1000 * i, Y0), (X0 + 1000 * (i + 1), Y0)]) for i in range(4)
        ],
        crs=4547,
    )
    path = tmp_path / "roads.gpkg"
    road.to_file(path)
    return path


def test_coverage_cli_uses_the_network_engine_and_roads(tmp_path, capsys):
    roads = _one_road_file(tmp_path)
    fac, tgt = tmp_path / "fac.csv", tmp_path / "tgt.csv"
    lon0, lat0 = _lonlat(X0, Y0)
    lon3, lat3 = _lonlat(X0 + 3000, Y0)
    pd.DataFrame({"name": ["f"], "lon": [lon0], "lat": [lat0]}).to_csv(fac, index=False)
    pd.DataFrame({"name": ["t"], "lon": [lon3], "lat": [lat3]}).to_csv(tgt, index=False)
    out = tmp_path / "rep.csv"
    args = ["access", "coverage", str(fac), str(tgt), "--minutes", "10", "--no-rail"]
    code = main([*args, "--engine", "network", "--roads", str(roads), "-o", str(out)])
    assert code == 0
    rep = pd.read_csv(out)
    # 3 km of road at 30 km/h = 6 minutes (the sketch engine would say 3 km × 1.2 / 50 km/h)
    assert rep["minutes"].iloc[0] == pytest.approx(6.0, abs=1e-3)
    assert "network" in rep["criterion"].iloc[0]
    # the network engine without roads is refused, not silently replaced by the sketch
    capsys.readouterr()
    assert main([*args, "--engine", "network", "-o", str(tmp_path / "x.csv")]) == 2
    assert "roads" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".parquet", ".fgb", ".csv"])
def test_rings_round_trip_every_supported_format(tmp_path, suffix):
    out = tmp_path / f"r{suffix}"
    code = main([*RINGS, "--origin", "113.3,23.1", "--minutes", "30", "--no-rail", "-o", str(out)])
    assert code == 0
    if suffix == ".csv":
        back = pd.read_csv(out)
        geom = shapely.from_wkt(back["wkt"].iloc[0])
    elif suffix == ".parquet":
        geom = gpd.read_parquet(out).geometry.iloc[0]
    else:
        geom = gpd.read_file(out).geometry.iloc[0]
    # the ring itself is in the file: a disc of 50 / 1.2 km/h × 0.5 h (geodesic area, PROJ)
    area = abs(Geod(ellps="GRS80").geometry_area_perimeter(geom)[0]) / 1e6
    assert area == pytest.approx(np.pi * (50 / 1.2 * 0.5) ** 2, rel=0.005)
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no stray temporary files


@pytest.mark.parametrize("suffix", [".shp", ".kml", ".xyz"])
def test_rings_unsupported_format_is_refused_cleanly(tmp_path, suffix, capsys):
    out = tmp_path / f"r{suffix}"
    code = main([*RINGS, "--origin", "113.3,23.1", "--minutes", "30", "--no-rail", "-o", str(out)])
    assert code == 2
    assert suffix in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "param", ["ground.speed_kmh=0", "ground.circuity=0", "rail.max_speed_kmh.high_speed=0"]
)
def test_zero_speed_or_circuity_is_refused(tmp_path, param, capsys):
    code = main(
        [
            *RINGS,
            "--origin",
            "广州南站",
            "--minutes",
            "30",
            "--set",
            param,
            "-o",
            str(tmp_path / "r.geojson"),
        ]
    )
    assert code == 2
    assert param.split("=")[0] in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--timetable", "--through"])
def test_missing_table_file_is_a_clear_error(tmp_path, option, capsys):
    missing = tmp_path / "nope.csv"
    code = main(
        [
            *RINGS,
            "--origin",
            "广州南站",
            "--minutes",
            "30",
            option,
            str(missing),
            "-o",
            str(tmp_path / "r.geojson"),
        ]
    )
    assert code == 2
    assert "nope.csv" in capsys.readouterr().err


@pytest.mark.parametrize("origin", ["113.3,-23.1", "-113.3,23.1", "113.3,83.1"])
def test_origin_outside_cgcs2000_area_is_refused(tmp_path, origin, capsys):
    code = main(
        [
            *RINGS,
            f"--origin={origin}",
            "--minutes",
            "30",
            "--no-rail",
            "-o",
            str(tmp_path / "r.geojson"),
        ]
    )
    assert code == 2
    assert "outside" in capsys.readouterr().err


def test_empty_targets_named_in_the_error(tmp_path, capsys):
    fac, tgt = tmp_path / "fac.csv", tmp_path / "tgt.csv"
    pd.DataFrame({"name": ["f"], "lon": [113.3], "lat": [23.1]}).to_csv(fac, index=False)
    pd.DataFrame({"name": [], "lon": [], "lat": []}).to_csv(tgt, index=False)
    out = str(tmp_path / "o.csv")
    code = main(["access", "coverage", str(fac), str(tgt), "--km", "5", "-o", out])
    assert code == 2
    assert "targets" in capsys.readouterr().err


def test_coverage_by_minutes_prints_settings_and_states_the_scenario(tmp_path, capsys):
    fac, tgt = tmp_path / "fac.csv", tmp_path / "tgt.csv"
    pd.DataFrame({"name": ["f"], "lon": [113.3], "lat": [23.1]}).to_csv(fac, index=False)
    pd.DataFrame({"name": ["t"], "lon": [113.35], "lat": [23.1]}).to_csv(tgt, index=False)
    out = tmp_path / "o.csv"
    args = ["access", "coverage", str(fac), str(tgt), "--minutes", "10", "--include-planned"]
    assert main([*args, "--set", "ground.speed_kmh=40", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "ground.speed_kmh = 40.0    [user]" in text and "Newell 1980" in text
    rep = pd.read_csv(out)
    assert "planned" in rep["criterion"].iloc[0]
    # 0.05° of longitude at 23.1N (PROJ geodesic) × 1.2 at 40 km/h
    d_km = Geod(ellps="GRS80").inv(113.3, 23.1, 113.35, 23.1)[2] / 1000
    assert rep["minutes"].iloc[0] == pytest.approx(d_km * 1.2 / 40 * 60, abs=1e-3)


def test_ten_li_circles_of_the_eight_towns_against_geodesic_brute_force(tmp_path, capsys):
    """NORTH8-2023: every village within 5 km of a town facility; synthetic villages around
    the eight shipped towns, checked against PROJ geodesics to every town."""
    from suigeo import layers

    towns = layers.load("north8_towns")
    geod = Geod(ellps="GRS80")
    rng = np.random.default_rng(1)
    tx, ty = np.repeat(towns.geometry.x, 25), np.repeat(towns.geometry.y, 25)
    vx, vy, _ = geod.fwd(tx, ty, rng.uniform(0, 360, tx.size), rng.uniform(0, 9000, tx.size))
    villages = tmp_path / "villages.csv"
    names = [f"村{i}" for i in range(tx.size)]
    pd.DataFrame({"name": names, "lon": vx, "lat": vy}).to_csv(villages, index=False)
    fac = tmp_path / "towns.gpkg"
    towns.to_file(fac)
    out = tmp_path / "report.csv"
    code = main(["access", "coverage", str(fac), str(villages), "--km", "5", "-o", str(out)])
    n_v, n_t = tx.size, len(towns)
    d = (
        geod.inv(
            np.repeat(vx, n_t),
            np.repeat(vy, n_t),
            np.tile(towns.geometry.x, n_v),
            np.tile(towns.geometry.y, n_v),
        )[2].reshape(n_v, n_t)
        / 1000
    )
    covered = d.min(axis=1) <= 5
    assert code == (0 if covered.all() else 1)
    rep = pd.read_csv(out)
    assert list(rep["covered"]) == list(covered)
    assert list(rep["facility"]) == list(towns["name_zh"].to_numpy()[d.argmin(axis=1)])
    text = capsys.readouterr().out
    assert f"{covered.sum()} of {n_v} targets covered" in text
    assert all(name in text for name, c in zip(names, covered, strict=True) if not c)


def test_bad_output_refused_before_the_raster_is_written(tmp_path, capsys):
    tif = tmp_path / "time.tif"
    args = [*RINGS, "--origin", "113.3,23.1", "--minutes", "5", "--no-rail", "--engine", "raster"]
    code = main([*args, "--raster-out", str(tif), "-o", str(tmp_path / "r.shp")])
    assert code == 2
    assert not tif.exists()  # nothing half done: the output was refused first
