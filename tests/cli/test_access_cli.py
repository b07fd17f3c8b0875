"""``suigeo access`` through the real entry point."""

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

from suigeo.cli import main


def test_rings_writes_geojson_with_settings(tmp_path, capsys):
    out = tmp_path / "r.geojson"
    code = main(
        [
            "access",
            "rings",
            "--origin",
            "113.3,23.1",
            "--minutes",
            "30",
            "90",
            "--no-rail",
            "--set",
            "ground.speed_kmh=60",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    res = gpd.read_file(out)
    assert list(res["minutes"]) == [30.0, 90.0]
    settings = res["settings"].iloc[0]  # GDAL may already parse the JSON field
    settings = json.loads(settings) if isinstance(settings, str) else settings
    assert settings["ground.speed_kmh"] == 60.0
    area = abs(Geod(ellps="GRS80").geometry_area_perimeter(res.geometry.iloc[0])[0]) / 1e6
    assert area == pytest.approx(np.pi * (60 / 1.2 * 0.5) ** 2, rel=0.005)
    text = capsys.readouterr().out
    assert "ground.speed_kmh = 60.0    [user]" in text and "Newell 1980" in text


def test_rings_bad_input_exit_2(tmp_path, capsys):
    out = tmp_path / "r.geojson"
    assert (
        main(
            [
                "access",
                "rings",
                "--origin",
                "113.3,23.1",
                "--minutes",
                "0",
                "--no-rail",
                "-o",
                str(out),
            ]
        )
        == 2
    )
    assert "positive" in capsys.readouterr().err
    assert (
        main(
            [
                "access",
                "rings",
                "--origin",
                "113.3,23.1",
                "--no-rail",
                "--set",
                "x=1",
                "-o",
                str(out),
            ]
        )
        == 2
    )
    assert not out.exists()


def test_coverage_csv(tmp_path, capsys):
    fac = tmp_path / "fac.csv"
    tgt = tmp_path / "tgt.csv"
    pd.DataFrame({"name": ["站"], "lon": [113.0], "lat": [23.0]}).to_csv(fac, index=False)
    # 0.04 deg east (~4.1 km) and 0.06 deg east (~6.1 km) at 23N
    pd.DataFrame({"name": ["近村", "远村"], "lon": [113.04, 113.06], "lat": [23.0, 23.0]}).to_csv(
        tgt, index=False
    )
    out = tmp_path / "report.csv"
    code = main(["access", "coverage", str(fac), str(tgt), "--km", "5", "-o", str(out)])
    assert code == 1  # one village uncovered
    rep = pd.read_csv(out)
    assert list(rep["covered"]) == [True, False]
    g = Geod(ellps="GRS80")
    expected = [g.inv(113.0, 23.0, x, 23.0)[2] / 1000 for x in (113.04, 113.06)]
    np.testing.assert_allclose(rep["distance_km"], expected, atol=1e-4)
    assert "远村" in capsys.readouterr().out


def test_help_shows_examples(capsys):
    assert main(["access", "rings", "--help"]) == 0
    assert "suigeo access rings --origin 广州南站" in capsys.readouterr().out


@pytest.mark.parametrize("suffix", [".gpkg", ".parquet", ".geojson", ".fgb", ".shp", ".csv"])
def test_network_rings_from_a_road_file(tmp_path, suffix):
    import shapely

    from suigeo import crs

    x0, y0 = (float(v[0]) for v in crs.transform([113.3], [23.1], src="CGCS2000", dst=4547))
    # one 10 km road east at 60 km/h, written as OSMnx would (oneway as bool)
    roads = gpd.GeoDataFrame(
        {"highway": ["primary"], "maxspeed": ["60"], "oneway": [False]},
        geometry=[shapely.LineString([(x0, y0), (x0 + 10_000, y0)])],
        crs="EPSG:4547",
    )
    path = tmp_path / f"roads{suffix}"
    if suffix == ".parquet":
        roads.to_parquet(path)
    elif suffix == ".csv":  # the table rule (suigeo.io.vector): a wkt column, CGCS2000 lon/lat
        lonlat = roads.to_crs(4490)
        frame = lonlat.drop(columns="geometry").assign(wkt=lonlat.geometry.to_wkt())
        frame.to_csv(path, index=False)
    else:
        roads.to_file(path, engine="pyogrio")
    lon, lat = crs.transform([x0 + 5000], [y0], src=4547, dst="CGCS2000")
    out = tmp_path / "net.gpkg"
    code = main(
        [
            "access",
            "rings",
            "--origin",
            f"{lon[0]:.9f},{lat[0]:.9f}",
            "--minutes",
            "2",
            "--engine",
            "network",
            "--roads",
            str(path),
            "--no-rail",
            "--set",
            "network.buffer_m=50",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    ring = gpd.read_file(out).to_crs(4547).geometry.iloc[0]
    minx, _, maxx, _ = ring.bounds
    # 2 min at 1 km/min both ways from the middle, widened 50 m
    assert minx - x0 == pytest.approx(3000 - 50, abs=0.5)
    assert maxx - x0 == pytest.approx(7000 + 50, abs=0.5)
    assert (
        main(
            [
                "access",
                "rings",
                "--origin",
                "113.3,23.1",
                "--engine",
                "network",
                "--roads",
                str(path),
                "--no-rail",
                "-o",
                str(path),
            ]
        )
        == 2
    )  # never overwrite an input


def test_through_running_switch_and_table(tmp_path, capsys):
    def run(*extra):
        out = tmp_path / f"r{len(list(tmp_path.iterdir()))}.geojson"
        argv = ["access", "rings", "--origin", "广州塔", "--minutes", "150", *extra]
        code = main([*argv, "-o", str(out)])
        return code, out

    code, on = run()
    assert code == 0
    code, off = run("--set", "rail.through_running=false")
    assert code == 0
    p_on, p_off = (gpd.read_file(f)["settings"].iloc[0] for f in (on, off))
    p_on, p_off = (json.loads(p) if isinstance(p, str) else p for p in (p_on, p_off))
    assert p_on["rail.through_running"] is True and p_off["rail.through_running"] is False
    # by hand (tests/geo): 梅州西 at 164 min with through trains, 194 without; at 150 min
    # 龙川西 (133 / 153 min) is reached only with through running, so that ring is larger
    a_on, a_off = (gpd.read_file(f)["area_km2"].iloc[0] for f in (on, off))
    assert a_on > a_off
    bad = tmp_path / "through.csv"
    pd.DataFrame({"id": ["x"], "lines": ["ganshen_hsr;nowhere"], "via": ["a;b;c"]}).to_csv(
        bad, index=False
    )
    code, _ = run("--through", str(bad))
    assert code == 2
    assert "unknown line 'nowhere'" in capsys.readouterr().err
