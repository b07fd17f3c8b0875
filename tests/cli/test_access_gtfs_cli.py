"""``suigeo access`` with timetables and explicit scenarios, through the real entry point."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from suigeo.cli import main
from suigeo.geo.access.rings import compare_rings

A, B = (113.3, 23.1), (114.0, 23.1)
CAL = "service_id,date,exception_type\nS,20261203,1\n"
STOPS = f"stop_id,stop_name,stop_lat,stop_lon\nA,a,{A[1]},{A[0]}\nB,b,{B[1]},{B[0]}\n"


def _feed(path: Path, stop_times: str, trips: str = "route_id,service_id,trip_id\nR,S,T1\n"):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("stops.txt", STOPS)
        z.writestr("trips.txt", trips)
        z.writestr(
            "stop_times.txt",
            "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n" + stop_times,
        )
        z.writestr("calendar_dates.txt", CAL)
    return path


FAST = "T1,08:10:00,08:10:00,A,1\nT1,08:30:00,08:30:00,B,2\n"
BAD = "T1,8:4x:00,08:45:00,B,3\n"


def test_rings_with_a_feed_writes_percentiles_and_rejects(tmp_path, capsys):
    feed = _feed(tmp_path / "f.zip", FAST + BAD)
    out, rej = tmp_path / "r.gpkg", tmp_path / "rejects.csv"
    code = main(
        [
            "access", "rings", "--origin", f"{A[0]},{A[1]}", "--minutes", "45",
            "--gtfs", str(feed), "--depart", "2026-12-03T08:00", "--window", "10",
            "--percentiles", "25,75", "--rejects", str(rej), "-o", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    res = gpd.read_file(out)
    assert res["percentile"].tolist() == [25.0, 75.0]
    text = capsys.readouterr()
    assert "p25" in text.out and "gtfs.board_min" in text.out
    assert "1 row(s)" in text.err
    rows = pd.read_csv(rej)
    assert rows[["file", "row", "column", "reason"]].to_numpy().tolist() == [
        ["stop_times.txt", 3, "arrival_time", "bad time"]
    ]
    # by hand: leaving 08:00-08:05 one boards at 08:10 (5 min before), is at B at 08:30 + 5
    # egress: 35-30 min; 08:06-08:09 there is no train. 25th of 10 = 3rd smallest: 32 min;
    # 75th = 8th: none. The ring of the 25th has a disc of (45 - 32) × 50/1.2 km/h round B.
    v = 50 / 1.2 / 60  # km a minute
    disc = shapely.Point(B).buffer(0.001)
    assert res.geometry.iloc[0].contains(disc) and not res.geometry.iloc[1].contains(disc)
    geod = Geod(ellps="GRS80")
    b_part = res.geometry.iloc[0].intersection(shapely.box(B[0] - 0.12, 22.95, B[0] + 0.12, 23.25))
    area = abs(geod.geometry_area_perimeter(b_part)[0]) / 1e6
    assert area == pytest.approx(np.pi * ((45 - 32) * v) ** 2, rel=0.01)


def test_bad_feed_options_exit_2(tmp_path, capsys):
    feed = _feed(tmp_path / "f.zip", FAST)
    base = ["access", "rings", "--origin", "113.3,23.1", "-o", str(tmp_path / "x.geojson")]
    assert main([*base, "--gtfs", str(feed), "--depart", "2026-12-06T08:00"]) == 2
    assert "no service on 2026-12-06" in capsys.readouterr().err
    assert main([*base, "--depart", "2026-12-03T08:00"]) == 2
    assert "needs a GTFS feed" in capsys.readouterr().err
    assert main([*base, "--rejects", str(tmp_path / "r.csv")]) == 2
    assert "--gtfs" in capsys.readouterr().err
    assert main([*base, "--compare-gtfs", str(feed)]) == 2
    assert "needs the base feed" in capsys.readouterr().err


def test_compare_two_feeds_gains_the_disc_round_the_new_stop(tmp_path, capsys):
    """Base: a slow train at 08:40 (at B 70 + 5 min after 08:00, beyond the hour);
    scenario: one at 08:10. Gained by hand: a disc round B of (60 - 35) min × 50/1.2 km/h;
    nothing lost."""
    none = _feed(tmp_path / "none.zip", "T1,08:40:00,08:40:00,A,1\nT1,09:10:00,09:10:00,B,2\n")
    fast = _feed(tmp_path / "fast.zip", FAST)
    res = compare_rings(
        A, compare={"gtfs": fast}, minutes=[60], gtfs=none, depart="2026-12-03T08:00", window=1
    )
    assert res["change"].tolist() == ["gained", "lost"]
    r_km = (60 - 35) * 50 / 1.2 / 60
    gained, lost = res.iloc[0], res.iloc[1]
    area = abs(Geod(ellps="GRS80").geometry_area_perimeter(gained.geometry)[0]) / 1e6
    assert area == pytest.approx(np.pi * r_km**2, rel=0.002)
    assert lost["area_km2"] == 0
    assert "gtfs: none.zip → fast.zip" in gained["scenario"]
    out = tmp_path / "cmp.geojson"
    code = main(
        [
            "access", "rings", "--origin", f"{A[0]},{A[1]}", "--minutes", "60",
            "--gtfs", str(none), "--compare-gtfs", str(fast), "--depart", "2026-12-03T08:00",
            "--window", "1", "-o", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    back = gpd.read_file(out)
    assert back["area_km2"].tolist() == pytest.approx([gained["area_km2"], 0.0])
    assert "wrote 2 changed areas" in capsys.readouterr().out


def test_compare_two_road_networks(tmp_path, capsys):
    """The scenario makes one street 60 km/h: more is reached in 10 minutes, nothing lost."""
    from pyproj import Transformer

    x0, y0 = Transformer.from_crs(4490, 4547, always_xy=True).transform(113.3, 23.1)
    geoms = [
        shapely.LineString(
            [(x0 + i * 500, y0 + j * 500), (x0 + (i + di) * 500, y0 + (j + dj) * 500)]
        )
        for i in range(8)
        for j in range(8)
        for di, dj in ((1, 0), (0, 1))
    ]
    base = gpd.GeoDataFrame({"maxspeed": ["20"] * len(geoms)}, geometry=geoms, crs=4547)
    scen = base.copy()
    scen.loc[0:14:2, "maxspeed"] = "60"  # the first row of streets, eastwards
    base.to_file(tmp_path / "base.gpkg")
    scen.to_file(tmp_path / "scen.gpkg")
    lon, lat = Transformer.from_crs(4547, 4490, always_xy=True).transform(x0, y0)
    out = tmp_path / "roads.geojson"
    code = main(
        [
            "access", "rings", "--origin", f"{lon},{lat}", "--minutes", "6", "--engine",
            "network", "--no-rail", "--roads", str(tmp_path / "base.gpkg"), "--compare-roads",
            str(tmp_path / "scen.gpkg"), "-o", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    res = gpd.read_file(out)
    gained, lost = res.iloc[0], res.iloc[1]
    assert gained["change"] == "gained" and gained["area_km2"] > 0.5
    assert lost["area_km2"] == 0
    assert "roads: base.gpkg → scen.gpkg" in gained["scenario"]
    capsys.readouterr()
    code = main(
        [
            "access", "rings", "--origin", f"{lon},{lat}", "--minutes", "6", "--no-rail",
            "--compare-roads", str(tmp_path / "scen.gpkg"), "-o", str(tmp_path / "y.geojson"),
        ]
    )  # fmt: skip
    assert code == 2
    assert "--compare-roads needs the base network" in capsys.readouterr().err


def test_coverage_by_timetable_on_the_command_line(tmp_path, capsys):
    """Villages by stop B, a clinic by stop A: each village reaches it by the 08:10 train
    (boarding needs A 5 min before; the walk from B at 50 km/h ÷ 1.2 is short) or not."""
    feed = _feed(
        tmp_path / "f.zip", FAST.replace(",A,", ",X,").replace(",B,", ",A,").replace(",X,", ",B,")
    )
    pd.DataFrame({"name": ["clinic"], "lon": [A[0]], "lat": [A[1]]}).to_csv(
        tmp_path / "fac.csv", index=False
    )
    pd.DataFrame(
        {"name": ["near B", "far"], "lon": [B[0], B[0] + 0.5], "lat": [B[1], B[1]]}
    ).to_csv(tmp_path / "tgt.csv", index=False)
    out = tmp_path / "cov.csv"
    code = main(
        [
            "access", "coverage", str(tmp_path / "fac.csv"), str(tmp_path / "tgt.csv"),
            "--minutes", "40", "--gtfs", str(feed), "--depart", "2026-12-03T08:00",
            "--window", "5", "-o", str(out),
        ]
    )  # fmt: skip
    assert code == 1  # the far village is not covered
    rows = pd.read_csv(out)
    # near B: at B from 08:00, boards at 08:10 (ready 08:05 at the latest), at A 08:30 + 5:
    # 35..31 min over 08:00..08:04, the median (3rd of 5) 33 min
    assert rows["minutes"].tolist()[0] == pytest.approx(33.0)
    assert rows["covered"].tolist() == [True, False]
    assert "gtfs.board_min" in capsys.readouterr().out
