"""Through running and line speeds, against times computed by hand (PROJ geodesics)."""

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from suigeo.errors import InputError
from suigeo.geo.access import resolve_settings, station_times

GEOD = Geod(ellps="GRS80")
PTS = {
    "A": (113.0, 23.0),
    "J": (113.5, 23.0),  # the junction
    "B": (113.5, 23.6),
    "D": (113.5, 22.4),
    "C": (114.0, 23.0),
}
# walking-slow ground (6 km/h ÷ 1.2 = 83 m/min): no ground shortcut between stations 50 km apart
P = {
    "ground.speed_kmh": 6.0,
    "ground.circuity": 1.2,
    "rail.track_circuity": 1.0,
    "rail.access_min": 15.0,
    "rail.egress_min": 5.0,
    "rail.transfer_min": 15.0,
    "rail.stop_penalty_min.high_speed": 5.0,
}


def _ride(a, b, kmh=300.0):
    return GEOD.inv(*PTS[a], *PTS[b])[2] / 1000 / kmh * 60


@pytest.fixture
def net():
    """West line A-J, north-south line D-J-B, east line J-C; through trains A → J → B only."""
    st = gpd.GeoDataFrame(
        {"id": list(PTS)}, geometry=[shapely.Point(p) for p in PTS.values()], crs="EPSG:4490"
    )
    stations = {"west": "A;J", "ns": "D;J;B", "east": "J;C"}
    ln = gpd.GeoDataFrame(
        {
            "id": list(stations),
            "kind": ["high_speed"] * 3,
            "status": ["in_service"] * 3,
            "design_speed_kmh": [300.0] * 3,
            "stations": list(stations.values()),
        },
        geometry=[shapely.LineString([PTS[s] for s in v.split(";")]) for v in stations.values()],
        crs="EPSG:4490",
    )
    through = pd.DataFrame(
        {"id": ["AB"], "lines": ["west;ns"], "via": ["A;J;B"], "status": ["in_service"]}
    )
    return ln, st, through


def _times(origin, ln, st, through, **settings):
    t = station_times(
        PTS[origin], rails=ln, stations=st, through=through, settings={**P, **settings}
    )
    return dict(zip(t["station"], t["minutes"], strict=True))


def test_through_service_removes_exactly_the_transfer(net):
    ln, st, through = net
    got = _times("A", ln, st, through)
    # A → B runs through at J: the junction costs a stop penalty (5), not a transfer (15)
    assert got["B"] == pytest.approx(15 + _ride("A", "J") + 5 + _ride("J", "B") + 5, abs=1e-6)
    # A → C changes trains at J (no through service onto the east line)
    assert got["C"] == pytest.approx(15 + _ride("A", "J") + 15 + _ride("J", "C") + 5, abs=1e-6)
    # A → D: the through trains run on towards B, not back south towards D: a change
    assert got["D"] == pytest.approx(15 + _ride("A", "J") + 15 + _ride("J", "D") + 5, abs=1e-6)
    # without through running every change of line is a transfer: exactly 10 minutes more
    off = _times("A", ln, st, through, **{"rail.through_running": False})
    assert off["B"] - got["B"] == pytest.approx(15 - 5, abs=1e-9)
    assert off["C"] == pytest.approx(got["C"], abs=1e-9)
    # no table: the same as switched off
    assert _times("A", ln, st, None)["B"] == pytest.approx(off["B"], abs=1e-9)


def test_through_service_runs_both_ways_and_only_along_its_route(net):
    ln, st, through = net
    back = _times("B", ln, st, through)
    assert back["A"] == pytest.approx(15 + _ride("B", "J") + 5 + _ride("J", "A") + 5, abs=1e-6)
    assert back["C"] == pytest.approx(15 + _ride("B", "J") + 15 + _ride("J", "C") + 5, abs=1e-6)
    from_c = _times("C", ln, st, through)
    assert from_c["B"] == pytest.approx(15 + _ride("C", "J") + 15 + _ride("J", "B") + 5, abs=1e-6)


def test_planned_service_only_in_the_scenario(net):
    ln, st, through = net
    planned = through.assign(status="planned")
    base = _times("A", ln, st, planned)
    assert base["B"] == pytest.approx(15 + _ride("A", "J") + 15 + _ride("J", "B") + 5, abs=1e-6)
    scen = station_times(
        PTS["A"], rails=ln, stations=st, through=planned, settings=P, include_planned=True
    )
    got = dict(zip(scen["station"], scen["minutes"], strict=True))
    assert got["B"] == pytest.approx(15 + _ride("A", "J") + 5 + _ride("J", "B") + 5, abs=1e-6)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"lines": ["west;ns"], "via": ["A;B"]}, "one station more than there are lines"),
        ({"lines": ["west;nowhere"], "via": ["A;J;B"]}, "unknown line 'nowhere'"),
        ({"lines": ["west;ns"], "via": ["A;C;B"]}, "is not a leg of line 'west'"),
        ({"lines": ["west"]}, "needs a 'via' column"),
    ],
)
def test_bad_through_tables(net, table, message):
    ln, st, _ = net
    with pytest.raises(InputError, match=message):
        _times("A", ln, st, pd.DataFrame(table))


def test_through_running_parameter_is_a_boolean():
    assert resolve_settings({"rail.through_running": "false"})["rail.through_running"] is False
    assert resolve_settings({"rail.through_running": "true"})["rail.through_running"] is True
    assert resolve_settings()["rail.through_running"] is True
    with pytest.raises(InputError, match="true or false"):
        resolve_settings({"rail.through_running": "maybe"})


@pytest.mark.parametrize(
    ("design", "operating", "cap", "kmh"),
    [
        (350.0, np.nan, None, 350.0),  # no operating speed: design, within the 350 cap
        (350.0, 300.0, None, 300.0),  # a known operating speed wins over the design speed
        (350.0, np.nan, 300.0, 300.0),  # a lower cap applies to the design speed ...
        (350.0, 320.0, 300.0, 300.0),  # ... and to an operating speed
        (np.nan, np.nan, None, 250.0),  # neither: the default of the kind
    ],
)
def test_line_speed_rule(net, design, operating, cap, kmh):
    _, st, _ = net
    ln = gpd.GeoDataFrame(
        {
            "id": ["w"],
            "kind": ["high_speed"],
            "design_speed_kmh": [design],
            "operating_speed_kmh": [operating],
            "stations": ["A;J"],
        },
        geometry=[shapely.LineString([PTS["A"], PTS["J"]])],
        crs="EPSG:4490",
    )
    extra = {} if cap is None else {"rail.max_speed_kmh.high_speed": cap}
    got = _times("A", ln, st, None, **extra)
    assert got["J"] == pytest.approx(15 + _ride("A", "J", kmh) + 5, abs=1e-6)


# --- the shipped data: central Guangzhou to 梅州西, by hand ---------------------------------
# Parameters written out here (not read from the engine): defaults of defaults.toml and the
# speeds of places.md / the line notes: 广汕 design 350, the 惠州北 link has no design speed
# (high-speed default 250), 赣深 operated at 300, 梅龙 design 350 (published 94 km), 广河
# placeholder design 350; lines without a published length × 1.1.
V_GROUND = 50_000 / 60 / 1.2  # m per straight-line minute
ACCESS, EGRESS, STOP, TRANSFER = 15.0, 5.0, 5.0, 15.0
LEGS_IN_SERVICE = [  # (stations in running order, km/h, published km or None)
    (["xintang_stn", "zengcheng_stn", "luofushan_stn"], 350.0, None),
    (["luofushan_stn", "huizhou_north_stn"], 250.0, None),
    (["huizhou_north_stn", "boluo_north_stn", "heyuan_east_stn", "longchuan_west_stn"], 300, None),
    (["longchuan_west_stn", "wuhua_stn", "xingning_south_stn", "meizhou_west_stn"], 350.0, 94.0),
]
LEGS_PLANNED = [
    (["xintang_stn", "zengcheng_stn", "longmen_stn", "heyuan_east_stn"], 350.0, None),
    (["heyuan_east_stn", "longchuan_west_stn"], 300.0, None),
    LEGS_IN_SERVICE[3],
]


def _hand_minutes(pos, origin, legs, through):
    """Ground to the first station, then the legs; a junction costs STOP if through."""
    t = GEOD.inv(*origin, *pos[legs[0][0][0]])[2] / V_GROUND + ACCESS
    for k, (stations, kmh, published) in enumerate(legs):
        seg = [GEOD.inv(*pos[a], *pos[b])[2] for a, b in itertools.pairwise(stations)]
        factor = published * 1000 / sum(seg) if published else 1.1
        t += sum(seg) * factor / 1000 / kmh * 60 + STOP * (len(stations) - 2)
        if k:
            t += STOP if through else TRANSFER
    return t + EGRESS


@pytest.mark.parametrize("through", [True, False])
@pytest.mark.parametrize("planned", [False, True])
def test_shipped_guangzhou_to_meizhou_west_by_hand(through, planned):
    from suigeo import layers

    st = layers.load("rail_stations").set_index("id")
    pos = {i: (g.x, g.y) for i, g in zip(st.index, st.geometry, strict=True)}
    tower = layers.lookup("广州塔").geometry.iloc[0]
    origin = (tower.x, tower.y)
    expected = _hand_minutes(pos, origin, LEGS_IN_SERVICE, through)
    if planned:  # the engine takes the faster of the two routes
        expected = min(expected, _hand_minutes(pos, origin, LEGS_PLANNED, through))
    t = station_times(
        "广州塔",
        minutes=[600],
        include_planned=planned,
        settings={"rail.through_running": through},
    )
    got = dict(zip(t["station"], t["minutes"], strict=True))
    assert got["meizhou_west_stn"] == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("stops", "junction_min"),
    [
        ("A;J;B", 5.0),  # the trains call at J: one stop penalty there
        ("A;B", 0.0),  # they pass J without stopping: nothing charged at the junction
        ("", 5.0),  # no list: taken to call at every junction
    ],
)
def test_junction_charged_only_where_the_trains_stop(net, stops, junction_min):
    ln, st, through = net
    got = _times("A", ln, st, through.assign(stops=stops))
    # by hand: access 15 + ride A→J + junction + ride J→B + egress 5 (PROJ geodesics)
    assert got["B"] == pytest.approx(
        15 + _ride("A", "J") + junction_min + _ride("J", "B") + 5, abs=1e-6
    )
    back = _times("B", ln, st, through.assign(stops=stops))
    assert back["A"] == pytest.approx(
        15 + _ride("B", "J") + junction_min + _ride("J", "A") + 5, abs=1e-6
    )
    # a change of line at J (A → C) is a transfer whatever the through trains do
    assert got["C"] == pytest.approx(15 + _ride("A", "J") + 15 + _ride("J", "C") + 5, abs=1e-6)


def test_stops_must_be_stations_of_the_service(net):
    ln, st, through = net
    with pytest.raises(InputError, match=r"row 1 \(AB\), column 'stops': C is not a station"):
        _times("A", ln, st, through.assign(stops="A;C;B"))
