"""Sketch engine against answers computed independently (by hand from PROJ geodesics)."""

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from suigeo.errors import InputError
from suigeo.geo.access import coverage, defaults, resolve_settings, rings, station_times

GEOD = Geod(ellps="GRS80")  # CGCS2000 and GRS80 differ by 0.1 mm in the semi-minor axis
LON = 114.0  # on the central meridian of CGCS2000-3GK-CM114
LATS = [23.0, 23.9, 24.8, 25.7]


def _geodesic(lon1, lat1, lon2, lat2):
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


def _geo_area_km2(geom):
    return abs(GEOD.geometry_area_perimeter(geom)[0]) / 1e6


@pytest.fixture
def line():
    st = gpd.GeoDataFrame(
        {"id": list("ABCD"), "name_zh": list("ABCD")},
        geometry=[shapely.Point(LON, y) for y in LATS],
        crs="EPSG:4490",
    )
    ln = gpd.GeoDataFrame(
        {
            "id": ["L1"],
            "name_zh": ["线"],
            "kind": ["high_speed"],
            "status": ["in_service"],
            "design_speed_kmh": [300.0],
            "length_km_published": [np.nan],
            "stations": ["A;B;C;D"],
        },
        geometry=[shapely.LineString([(LON, y) for y in LATS])],
        crs="EPSG:4490",
    )
    return ln, st


P = {
    "ground.speed_kmh": 60.0,
    "ground.circuity": 1.2,  # 50 km/h straight-line: 833.33 m/min
    "rail.track_circuity": 1.0,
    "rail.access_min": 15.0,
    "rail.egress_min": 5.0,
    "rail.stop_penalty_min.high_speed": 5.0,
}
V = 60_000 / 60 / 1.2  # metres per minute, straight line


def test_no_rail_ring_is_a_disc_of_speed_times_time():
    res = rings((113.3, 23.1), minutes=[30, 90], rail=False, settings={"ground.speed_kmh": 50})
    assert list(res["minutes"]) == [30.0, 90.0]
    for row in res.itertuples():
        r_km = 50 / 1.2 * row.minutes / 60
        expected = np.pi * r_km**2
        assert _geo_area_km2(row.geometry) == pytest.approx(expected, rel=0.005)
    assert res.crs.to_epsg() == 4490
    assert set(res.columns) >= {"origin", "minutes", "engine", "direction", "settings", "scenario"}
    assert json.loads(res["settings"].iloc[0]) == {"ground.circuity": 1.2, "ground.speed_kmh": 50.0}
    assert (res["engine"] == "sketch").all() and (res["scenario"] == "no rail").all()


def test_one_rail_line_station_times_by_hand(line):
    ln, st = line
    d = [_geodesic(LON, LATS[i], LON, LATS[i + 1]) for i in range(3)]
    ride = [x / 1000 / 300 * 60 for x in d]  # minutes at 300 km/h
    t_b = 15 + ride[0] + 5
    t_c = 15 + ride[0] + 5 + ride[1] + 5  # one intermediate stop (B)
    t_d = 15 + sum(ride) + 2 * 5 + 5  # two intermediate stops
    times = station_times((LON, LATS[0]), rails=ln, stations=st, settings=P)
    got = dict(zip(times["station"], times["minutes"], strict=True))
    assert got["A"] == 0.0
    assert got["B"] == pytest.approx(t_b, abs=1e-6)
    assert got["C"] == pytest.approx(t_c, abs=1e-6)
    assert got["D"] == pytest.approx(t_d, abs=1e-6)


def test_one_rail_line_ring_is_discs_with_remaining_time(line):
    ln, st = line
    d_ab = _geodesic(LON, LATS[0], LON, LATS[1])
    t_b = 15 + d_ab / 1000 / 300 * 60 + 5
    res = rings((LON, LATS[0]), minutes=[60], rails=ln, stations=st, settings=P)
    ring = res.geometry.iloc[0]
    r_b = (60 - t_b) * V
    # due east of B: inside just short of the remaining-time radius, outside just beyond
    for dist, inside in ((r_b - 60, True), (r_b + 60, False)):
        lon, lat, _ = GEOD.fwd(LON, LATS[1], 90, dist)
        assert ring.contains(shapely.Point(lon, lat)) is inside
    # the origin's own disc: 60 min × 833.33 m/min due west
    for dist, inside in ((60 * V - 60, True), (60 * V + 60, False)):
        lon, lat, _ = GEOD.fwd(LON, LATS[0], 270, dist)
        assert ring.contains(shapely.Point(lon, lat)) is inside
    # total area: origin disc + B disc + C disc, pairwise disjoint here (checked)
    d_bc = _geodesic(LON, LATS[1], LON, LATS[2])
    t_c = t_b + 5 + d_bc / 1000 / 300 * 60
    radii = [60 * V, r_b, (60 - t_c) * V]
    assert radii[0] + radii[1] < d_ab and radii[1] + radii[2] < d_bc
    expected = sum(np.pi * (r / 1000) ** 2 for r in radii if r > 0)
    assert _geo_area_km2(ring) == pytest.approx(expected, rel=0.005)
    assert res["scenario"].iloc[0] == "rail in service"


def test_planned_lines_only_in_the_scenario(line):
    ln, st = line
    ln = ln.assign(status="planned")
    base = station_times((LON, LATS[0]), rails=ln, stations=st, settings=P)
    assert base.empty
    scen = rings(
        (LON, LATS[0]), minutes=[90], rails=ln, stations=st, settings=P, include_planned=True
    )
    assert "planned" in scen["scenario"].iloc[0]
    assert scen["area_km2"].iloc[0] > np.pi * (90 * V / 1000) ** 2 * 1.1


def test_transfer_between_two_lines_by_hand():
    pts = {"A": (113.0, 23.0), "X": (113.5, 23.0), "B": (113.5, 23.6)}
    st = gpd.GeoDataFrame(
        {"id": list(pts)}, geometry=[shapely.Point(p) for p in pts.values()], crs="EPSG:4490"
    )
    ln = gpd.GeoDataFrame(
        {
            "id": ["east", "north"],
            "kind": ["intercity", "intercity"],
            "status": ["in_service"] * 2,
            "design_speed_kmh": [200.0, 200.0],
            "stations": ["A;X", "X;B"],
        },
        geometry=[
            shapely.LineString([pts["A"], pts["X"]]),
            shapely.LineString([pts["X"], pts["B"]]),
        ],
        crs="EPSG:4490",
    )
    p = {**P, "rail.transfer_min": 15.0, "ground.speed_kmh": 6.0}  # walking-slow ground
    t = station_times(pts["A"], rails=ln, stations=st, settings=p)
    got = dict(zip(t["station"], t["minutes"], strict=True))
    ax = _geodesic(*pts["A"], *pts["X"]) / 1000 / 200 * 60
    xb = _geodesic(*pts["X"], *pts["B"]) / 1000 / 200 * 60
    assert got["B"] == pytest.approx(15 + ax + 15 + xb + 5, abs=1e-6)


def test_timetable_is_directional_and_direction_to_reverses(line):
    _, st = line
    tt = pd.DataFrame({"from": ["A"], "to": ["C"], "minutes": [30.0]})
    fwd = station_times((LON, LATS[0]), rails=None, stations=st, timetable=tt, settings=P)
    assert dict(zip(fwd["station"], fwd["minutes"], strict=True))["C"] == pytest.approx(50.0)
    # to A from C: no ride C -> A exists, so only the ground (~199 km at 833 m/min > 90 min)
    back = station_times(
        (LON, LATS[0]), direction="to", stations=st, timetable=tt, settings=P, minutes=[90]
    )
    assert np.isinf(dict(zip(back["station"], back["minutes"], strict=True))["C"])
    # from C's side towards A: direction "to" with the destination at C reaches A in 50
    to_c = station_times((LON, LATS[2]), direction="to", stations=st, timetable=tt, settings=P)
    assert dict(zip(to_c["station"], to_c["minutes"], strict=True))["A"] == pytest.approx(50.0)


def test_many_origins_one_row_each_and_nearest():
    org = gpd.GeoDataFrame(
        {"name": ["p", "q"]},
        geometry=[shapely.Point(113.0, 23.0), shapely.Point(113.5, 23.0)],
        crs="EPSG:4326",
    )
    each = rings(org, minutes=[10, 20], rail=False)
    assert list(each["origin"]) == ["p", "p", "q", "q"]
    near = rings(org, minutes=[20], rail=False, nearest=True)
    assert len(near) == 1
    union = shapely.union(each.geometry.iloc[1], each.geometry.iloc[3])
    assert near.geometry.iloc[0].symmetric_difference(union).area < 1e-9


def test_every_default_has_a_source_and_overrides_are_checked():
    for key, (value, source) in defaults().items():
        assert source.strip(), key
        assert value is not None
    with pytest.raises(InputError, match=r"unknown travel-time setting 'ground\.speed'"):
        resolve_settings({"ground.speed": 40})
    with pytest.raises(InputError, match="must be a number"):
        resolve_settings({"ground": {"speed_kmh": "fast"}})
    p = resolve_settings({"ground": {"speed_kmh": "40"}})
    assert p["ground.speed_kmh"] == 40.0 and p.sources["ground.speed_kmh"] == "user"


@pytest.mark.parametrize("bad", [[0], [-5], [float("nan")], ["x"], []])
def test_bad_thresholds(bad):
    with pytest.raises(InputError):
        rings((113.3, 23.1), minutes=bad, rail=False)


def test_bad_origins():
    with pytest.raises(InputError, match="longitude, latitude"):
        rings((23.1, 113.3), rail=False)  # lat, lon swapped
    with pytest.raises(InputError):
        rings("somewhere, over", rail=False)
    with pytest.raises(InputError, match="engine"):
        rings((113.3, 23.1), rail=False, engine="teleport")


def test_coverage_km_against_geodesic_brute_force():
    rng = np.random.default_rng(4)
    fac = gpd.GeoDataFrame(
        {"name": [f"f{i}" for i in range(5)]},
        geometry=gpd.points_from_xy(113.6 + rng.random(5) * 0.4, 23.3 + rng.random(5) * 0.4),
        crs="EPSG:4490",
    )
    tx, ty = 113.5 + rng.random(40) * 0.6, 23.2 + rng.random(40) * 0.6
    tgt = gpd.GeoDataFrame(
        {"name": [f"v{i}" for i in range(40)]}, geometry=gpd.points_from_xy(tx, ty), crs="EPSG:4490"
    )
    res = coverage(fac, tgt, km=5)
    fx, fy = fac.geometry.x.to_numpy(), fac.geometry.y.to_numpy()
    d = (
        np.array(
            [
                [_geodesic(a, b, c, e) for c, e in zip(fx, fy, strict=True)]
                for a, b in zip(tx, ty, strict=True)
            ]
        )
        / 1000
    )
    assert list(res.table["facility"]) == [f"f{i}" for i in d.argmin(axis=1)]
    np.testing.assert_allclose(res.table["distance_km"], d.min(axis=1), atol=1e-4)
    assert list(res.table["covered"]) == list(d.min(axis=1) <= 5)
    assert set(res.uncovered["target"]) == {f"v{i}" for i in np.flatnonzero(d.min(axis=1) > 5)}


def test_coverage_minutes_by_hand(line):
    ln, st = line
    fac = gpd.GeoDataFrame(
        {"name": ["clinic"]}, geometry=[shapely.Point(LON, LATS[0])], crs="EPSG:4490"
    )
    tgt = gpd.GeoDataFrame(
        {"name": ["near", "at_c"]},
        geometry=[shapely.Point(LON + 0.05, LATS[0]), shapely.Point(LON, LATS[2])],
        crs="EPSG:4490",
    )
    res = coverage(fac, tgt, minutes=60, rails=ln, stations=st, settings=P)
    near = _geodesic(LON + 0.05, LATS[0], LON, LATS[0]) / V
    d = [_geodesic(LON, LATS[i], LON, LATS[i + 1]) for i in range(2)]
    at_c = 15 + (d[0] + d[1]) / 1000 / 300 * 60 + 5 + 5  # from C to A, one stop at B
    np.testing.assert_allclose(res.table["minutes"], [near, at_c], atol=1e-3)
    assert list(res.table["covered"]) == [near <= 60, at_c <= 60]


def test_shipped_layers_guangzhou_south_to_shaoguan_by_hand():
    from suigeo import layers

    if not hasattr(layers, "load"):
        pytest.skip("shipped layers not in this build")
    # 京广高铁 km posts 韶关 758 → 广州南 968 (places.md): 210 km at the 300 km/h operating
    # cap, three intermediate stops (广州北, 清远, 英德西) at 5 min, access 15, egress 5
    t = station_times("广州南站", minutes=[90])
    got = dict(zip(t["station"], t["minutes"], strict=True))
    assert got["shaoguan_stn"] == pytest.approx(15 + 210 / 300 * 60 + 3 * 5 + 5, abs=1e-6)
    res = rings("广州南站", minutes=[30, 90])
    assert list(res["origin"]) == ["广州南站", "广州南站"]
    assert (res["scenario"] == "rail in service").all()
    with pytest.raises(InputError, match="广州南站"):  # close names are suggested
        rings("广州南部站", minutes=[30])
