"""``suigeo access`` through the real entry point."""

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

from suigeo.cli import main


def test_rings_writes_geojson_with_params(tmp_path, capsys):
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
            "--param",
            "ground.speed_kmh=60",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    res = gpd.read_file(out)
    assert list(res["minutes"]) == [30.0, 90.0]
    params = res["params"].iloc[0]  # GDAL may already parse the JSON field
    params = json.loads(params) if isinstance(params, str) else params
    assert params["ground.speed_kmh"] == 60.0
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
                "--param",
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
