"""Network engine against a brute-force Dijkstra written here, and hand-computed rings."""

import heapq

import geopandas as gpd
import numpy as np
import pytest
import shapely

from suigeo import crs
from suigeo.errors import InputError
from suigeo.geo.access import coverage, rings
from suigeo.geo.access.plane import plane_crs

PLANE = plane_crs([113.3])
X0, Y0 = (float(v[0]) for v in crs.transform([113.3], [23.1], src="CGCS2000", dst=4547))


def _lonlat(x, y):
    lon, lat = crs.transform([x], [y], src=4547, dst="CGCS2000")
    return float(lon[0]), float(lat[0])


def _grid(n, spacing, rng=None):
    """Lines of an n × n grid of nodes; returns GeoDataFrame and (u, v) node indices."""
    geoms, uv = [], []
    for i in range(n):
        for j in range(n - 1):
            for a, b in (((j, i), (j + 1, i)), ((i, j), (i, j + 1))):
                geoms.append(
                    shapely.LineString(
                        [
                            (X0 + a[0] * spacing, Y0 + a[1] * spacing),
                            (X0 + b[0] * spacing, Y0 + b[1] * spacing),
                        ]
                    )
                )
                uv.append((a[1] * n + a[0], b[1] * n + b[0]))
    gdf = gpd.GeoDataFrame({"highway": ["residential"] * len(geoms)}, geometry=geoms, crs=PLANE)
    if rng is not None:
        gdf["maxspeed"] = rng.choice(["20", "30", "40 mph", "50;70", None], size=len(gdf))
        gdf["oneway"] = rng.choice(["yes", "no", "-1", None], size=len(gdf), p=[0.2, 0.6, 0.1, 0.1])
    return gdf, uv


def _brute_force(n_nodes, edges, sources):
    """Plain Dijkstra with a binary heap; edges: list of (u, v, minutes)."""
    adj = {}
    for u, v, w in edges:
        adj.setdefault(u, []).append((v, w))
    best = [np.inf] * n_nodes
    heap = [(0.0, s) for s in sources]
    for _, s in heap:
        best[s] = 0.0
    while heap:
        d, u = heapq.heappop(heap)
        if d > best[u]:
            continue
        for v, w in adj.get(u, []):
            if d + w < best[v]:
                best[v] = d + w
                heapq.heappush(heap, (d + w, v))
    return np.array(best)


def _speed_kmh(maxspeed):
    if not isinstance(maxspeed, str):
        return 30.0  # residential, from the class table
    if maxspeed.endswith("mph"):
        return float(maxspeed.split()[0]) * 1.609344
    vals = [float(x) for x in maxspeed.split(";")]
    return sum(vals) / len(vals)


def test_times_equal_brute_force_dijkstra_with_one_way_streets():
    rng = np.random.default_rng(7)
    n, sp = 12, 400.0
    roads, uv = _grid(n, sp, rng)
    ref_edges = []
    for (u, v), ms, ow in zip(uv, roads["maxspeed"], roads["oneway"], strict=True):
        w = sp / (_speed_kmh(ms) * 1000 / 60)
        if ow != "-1":
            ref_edges.append((u, v, w))
        if ow != "yes":
            ref_edges.append((v, u, w))
    fac_nodes = [0, 77]
    fac = gpd.GeoDataFrame(
        {"name": ["f0", "f77"]},
        geometry=[shapely.Point(_lonlat(X0 + (k % n) * sp, Y0 + (k // n) * sp)) for k in fac_nodes],
        crs="EPSG:4490",
    )
    tgt_nodes = np.arange(n * n)
    tgt = gpd.GeoDataFrame(
        {"name": [f"t{k}" for k in tgt_nodes]},
        geometry=[shapely.Point(_lonlat(X0 + (k % n) * sp, Y0 + (k // n) * sp)) for k in tgt_nodes],
        crs="EPSG:4490",
    )
    # targets travel to the facility: reverse the edges for a search from the facilities
    reverse = [(v, u, w) for u, v, w in ref_edges]
    expected = _brute_force(n * n, reverse, fac_nodes)
    res = coverage(fac, tgt, minutes=5, engine="network", roads=roads, rail=False)
    got = res.table["minutes"].to_numpy()
    finite = np.isfinite(expected)
    np.testing.assert_allclose(
        got[finite], expected[finite], atol=1e-4
    )  # the table rounds to 4 decimals
    assert np.isinf(got[~finite]).all()
    assert list(res.table["covered"]) == list(expected <= 5)


@pytest.mark.parametrize("direction", ["from", "to"])
def test_reached_length_equals_brute_force_on_one_way_streets(direction):
    # every line u -> v is reached over [0, a] from u and [1 - b, 1] from v, a and b from
    # brute-force node times and the one-way rule: the reached length is Σ min(1, a + b) × L
    from suigeo.geo.access.network import build_network, reached_lines, rings_from_graph
    from suigeo.geo.access.rail import build_rail
    from suigeo.geo.access.settings import resolve_settings

    rng = np.random.default_rng(11)
    n, sp, t = 12, 400.0, 4.3
    roads, uv = _grid(n, sp, rng)
    fwd = (roads["oneway"] != "-1").to_numpy()
    bwd = (roads["oneway"] != "yes").to_numpy()
    w = np.array([sp / (_speed_kmh(ms) * 1000 / 60) for ms in roads["maxspeed"]])
    edges = [(u, v, x) for (u, v), x, f in zip(uv, w, fwd, strict=True) if f]
    edges += [(v, u, x) for (u, v), x, b in zip(uv, w, bwd, strict=True) if b]
    if direction == "to":
        edges = [(v, u, x) for u, v, x in edges]
    origin = 66
    times = _brute_force(n * n, edges, [origin])
    u, v = np.array(uv).T
    from_u, from_v = (fwd, bwd) if direction == "from" else (bwd, fwd)
    a = np.where(from_u, np.clip((t - times[u]) / w, 0, 1), 0)
    b = np.where(from_v, np.clip((t - times[v]) / w, 0, 1), 0)
    expected = (np.minimum(1, a + b) * sp).sum()
    assert 0 < expected < 0.9 * len(uv) * sp and ((a > 0) & (a < 1)).any()
    p = resolve_settings(None)
    lon, lat = _lonlat(X0 + (origin % n) * sp, Y0 + (origin // n) * sp)
    net = build_network(
        np.array([lon]), np.array([lat]), ["o"], roads, build_rail(None, None, p), p
    )
    _, dist = rings_from_graph(net, [t], direction=direction, settings=p, nearest=False)
    full, partial, _ = reached_lines(net, dist[0], t, direction)
    got = shapely.length(net.road.geoms[full]).sum() + shapely.length(partial).sum()
    assert got == pytest.approx(expected, rel=1e-7)  # zero-cost links cost 1e-9 min


def test_ring_the_same_from_the_faces_of_the_whole_network_or_of_the_reached_lines():
    # a ring traces its reached lines alone unless the faces of the whole network are
    # there (traced once, reused): both give the same polygon
    from suigeo.geo.access.network import build_network, rings_from_graph
    from suigeo.geo.access.rail import build_rail
    from suigeo.geo.access.settings import resolve_settings

    rng = np.random.default_rng(4)
    roads, _ = _grid(14, 300.0, rng)
    p = resolve_settings(None)
    lon, lat = _lonlat(X0 + 2000, Y0 + 2150)
    net = build_network(
        np.array([lon]), np.array([lat]), ["o"], roads, build_rail(None, None, p), p
    )
    alone, _ = rings_from_graph(net, [3.0, 5.0], direction="from", settings=p, nearest=False)
    assert "lines" not in net._csr  # the rings reached fewer lines than the network has
    net.line_table()
    table, _ = rings_from_graph(net, [3.0, 5.0], direction="from", settings=p, nearest=False)
    for a, b in zip(alone[0], table[0], strict=True):
        assert a.area > 0.5e6 and len(a.interiors) == 0
        assert a.symmetric_difference(b).area < 1e-6 * a.area


def test_partial_edge_at_the_cut_off_and_one_way():
    # one straight road 10 km east, 60 km/h = 1 km per minute, one-way eastwards
    road = gpd.GeoDataFrame(
        {"maxspeed": ["60"], "oneway": ["yes"]},
        geometry=[shapely.LineString([(X0, Y0), (X0 + 5000, Y0), (X0 + 10000, Y0)])],
        crs=PLANE,
    )
    mid = _lonlat(X0 + 5000, Y0)
    p = {"network.buffer_m": 50.0}
    res = rings(mid, minutes=[3], engine="network", roads=road, rail=False, settings=p)
    ring = gpd.GeoSeries(res.geometry, crs="EPSG:4490").to_crs(PLANE).iloc[0]
    minx, _, maxx, maxy = ring.bounds
    # reached: from 5 km to 8 km along the road (not backwards: one-way), widened 50 m
    assert maxx - X0 == pytest.approx(8000 + 50, abs=0.5)
    assert minx - X0 == pytest.approx(5000 - 50, abs=0.5)
    assert maxy - Y0 == pytest.approx(50, abs=0.5)
    # towards the origin ("to"): only the 3 km before it can reach it
    back = rings(
        mid, minutes=[3], engine="network", roads=road, rail=False, settings=p, direction="to"
    )
    ring = gpd.GeoSeries(back.geometry, crs="EPSG:4490").to_crs(PLANE).iloc[0]
    minx, _, maxx, _ = ring.bounds
    assert minx - X0 == pytest.approx(2000 - 50, abs=0.5)
    assert maxx - X0 == pytest.approx(5000 + 50, abs=0.5)


def test_dense_grid_ring_has_no_holes_and_is_not_a_hull():
    roads, _ = _grid(41, 100.0)  # 4 km × 4 km of 100 m blocks at 30 km/h (500 m/min)
    centre = _lonlat(X0 + 2000, Y0 + 2000)
    res = rings(
        centre,
        minutes=[3],
        engine="network",
        roads=roads,
        rail=False,
        settings={"network.buffer_m": 10.0},
    )
    ring = gpd.GeoSeries(res.geometry, crs="EPSG:4490").to_crs(PLANE).iloc[0]
    assert ring.geom_type == "Polygon" and len(ring.interiors) == 0
    # Manhattan distance 1.5 km: a diamond of half-diagonal 1.5 km, not a square hull
    assert ring.contains(shapely.Point(X0 + 2000 + 1350, Y0 + 2000 + 50))  # block inside
    assert not ring.contains(shapely.Point(X0 + 2000 + 1000, Y0 + 2000 + 1000))
    area = ring.area / 1e6
    assert 2 * 1.5**2 * 0.85 < area < 2 * 1.5**2 * 1.05


def test_bad_roads_and_origins():
    roads, _ = _grid(5, 500.0)
    with pytest.raises(InputError, match="outside the road data"):
        rings((113.9, 23.5), engine="network", roads=roads, rail=False)
    nospeed = roads.assign(highway="quantum_lane")
    with pytest.raises(InputError, match="quantum_lane"):
        rings(_lonlat(X0, Y0), engine="network", roads=nospeed, rail=False)
    island = gpd.GeoDataFrame(
        {"highway": ["residential"]},
        geometry=[shapely.LineString([(X0 - 3000, Y0), (X0 - 2900, Y0)])],
        crs=PLANE,
    )
    big, _ = _grid(21, 100.0)
    both = gpd.GeoDataFrame(
        {"highway": ["residential"] * (len(big) + 1)},
        geometry=list(big.geometry) + list(island.geometry),
        crs=PLANE,
    )
    with pytest.raises(InputError, match="disconnected"):
        rings(_lonlat(X0 - 2950, Y0), engine="network", roads=both, rail=False)
    with pytest.raises(InputError, match="needs road lines"):
        rings(_lonlat(X0, Y0), engine="network", rail=False)


def test_rail_joins_the_network_at_stations():
    # two road grids 60 km apart joined by one intercity line between their stations
    a, _ = _grid(11, 200.0)
    b = a.copy()
    b["geometry"] = a.geometry.translate(60000, 0)
    roads = gpd.GeoDataFrame(
        {"highway": ["residential"] * (2 * len(a))},
        geometry=list(a.geometry) + list(b.geometry),
        crs=PLANE,
    )
    sa, sb = _lonlat(X0 + 1000, Y0 + 1000), _lonlat(X0 + 61000, Y0 + 1000)
    st = gpd.GeoDataFrame(
        {"id": ["SA", "SB"]}, geometry=[shapely.Point(sa), shapely.Point(sb)], crs="EPSG:4490"
    )
    ln = gpd.GeoDataFrame(
        {
            "id": ["L"],
            "kind": ["intercity"],
            "status": ["in_service"],
            "design_speed_kmh": [200.0],
            "length_km_published": [60.0],
            "stations": ["SA;SB"],
        },
        geometry=[shapely.LineString([sa, sb])],
        crs="EPSG:4490",
    )
    res = rings(
        sa,
        minutes=[35],
        engine="network",
        roads=roads,
        rails=ln,
        stations=st,
        settings={"rail.access_min": 10.0, "rail.egress_min": 5.0},
    )
    # ride 60 km at 200 km/h = 18 min; 10 + 18 + 5 = 33; 2 min left at 500 m/min = 1 km
    ring = gpd.GeoSeries(res.geometry, crs="EPSG:4490").to_crs(PLANE).iloc[0]
    far = ring.intersection(shapely.box(X0 + 50000, Y0 - 5000, X0 + 70000, Y0 + 5000))
    assert far.bounds[2] - (X0 + 61000) == pytest.approx(1000 + 100, abs=1)  # 1 km + buffer
    assert far.contains(shapely.Point(X0 + 61000 + 300, Y0 + 1000 + 300))
    assert not far.contains(shapely.Point(X0 + 61000 + 900, Y0 + 1000 + 900))


def test_face_tracing_equals_geos_polygonize_on_a_random_network():
    from suigeo.geo.access.faces import enclosed_area

    rng = np.random.default_rng(3)
    n = 25
    lines, uv = [], []
    for i in range(n):
        for j in range(n - 1):
            for a, b in (((j, i), (j + 1, i)), ((i, j), (i, j + 1))):
                if rng.random() < 0.7:
                    mid = ((a[0] + b[0]) / 2 + rng.normal(0, 0.1), (a[1] + b[1]) / 2)
                    lines.append(shapely.LineString([a, mid, b]))  # bent lines
                    uv.append((a[1] * n + a[0], b[1] * n + b[0]))
    lines = np.array(lines, dtype=object)
    uv = np.array(uv)
    area, loose = enclosed_area(lines, uv[:, 0], uv[:, 1])
    faces = shapely.get_parts(shapely.polygonize(lines))
    ref = shapely.union_all(shapely.polygons(shapely.get_exterior_ring(faces)))
    assert area.is_valid
    assert area.symmetric_difference(ref).area < 1e-9 * ref.area
    # a line is loose (needs its own buffer) exactly when the enclosed area does not cover it
    covered = shapely.covered_by(lines, ref)
    assert list(loose) == list(~covered)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_face_tracing_of_a_subset_equals_geos_polygonize_of_that_subset(seed):
    # the faces of the whole network are traced once; a subset (the roads reached within a
    # threshold) re-traces only its frontier: compare with GEOS on the subset alone
    from suigeo.geo.access.faces import LineTable, enclosed_area_of

    rng = np.random.default_rng(seed)
    n = 20
    lines, uv = [], []
    for i in range(n):
        for j in range(n - 1):
            for a, b in (((j, i), (j + 1, i)), ((i, j), (i, j + 1))):
                if rng.random() < 0.8:
                    mid = ((a[0] + b[0]) / 2 + rng.normal(0, 0.1), (a[1] + b[1]) / 2)
                    lines.append(shapely.LineString([a, mid, b]))
                    uv.append((a[1] * n + a[0], b[1] * n + b[0]))
    lines = np.array(lines, dtype=object)
    uv = np.array(uv)
    table = LineTable.of(lines, uv[:, 0], uv[:, 1])
    centre = shapely.centroid(lines)
    dx, dy = shapely.get_x(centre) - 9.5, shapely.get_y(centre) - 9.5
    # a disc of reached roads with a ragged edge, plus some lines dropped inside it
    near = np.hypot(dx, dy) < 6 + rng.normal(0, 1.5, len(lines))
    sub = np.flatnonzero(near & (rng.random(len(lines)) < 0.9))
    area, loose = enclosed_area_of(table, sub)
    faces = shapely.get_parts(shapely.polygonize(lines[sub]))
    ref = shapely.union_all(shapely.polygons(shapely.get_exterior_ring(faces)))
    assert ref.area > 20  # a real subset with enclosed blocks
    assert area.is_valid
    assert area.symmetric_difference(ref).area < 1e-9 * ref.area
    assert list(loose) == list(~shapely.covered_by(lines[sub], ref))


def test_holes_larger_than_the_limit_stay_open():
    # a 3 km square ring road around a lake, 60 km/h, origin on it: all reached in 15 min
    s = 3000.0
    sq = [(X0, Y0), (X0 + s, Y0), (X0 + s, Y0 + s), (X0, Y0 + s), (X0, Y0)]
    road = gpd.GeoDataFrame(
        {"maxspeed": ["60"] * 4},
        geometry=[shapely.LineString(sq[i : i + 2]) for i in range(4)],
        crs=PLANE,
    )
    o = _lonlat(X0, Y0)
    filled = rings(o, minutes=[15], engine="network", roads=road, rail=False)
    open_ = rings(
        o,
        minutes=[15],
        engine="network",
        roads=road,
        rail=False,
        settings={"network.fill_holes_max_km2": 5.0, "network.buffer_m": 100.0},
    )
    assert open_["area_km2"].iloc[0] < filled["area_km2"].iloc[0]
    # filled: the 3.2 km square (buffer 100 m, rounded corners); open: the 9 km² lake is kept
    assert filled["area_km2"].iloc[0] == pytest.approx(3.2**2, rel=0.01)
    assert open_["area_km2"].iloc[0] == pytest.approx(3.2**2 - 2.8**2, rel=0.01)
    small = rings(
        o,
        minutes=[15],
        engine="network",
        roads=road,
        rail=False,
        settings={"network.fill_holes_max_km2": 10.0},
    )
    assert small["area_km2"].iloc[0] == pytest.approx(filled["area_km2"].iloc[0], rel=1e-6)


def test_coverage_reports_targets_off_the_roads_instead_of_failing():
    roads, _ = _grid(5, 500.0)
    fac = gpd.GeoDataFrame(
        {"name": ["f"]}, geometry=[shapely.Point(_lonlat(X0, Y0))], crs="EPSG:4490"
    )
    tgt = gpd.GeoDataFrame(
        {"name": ["on", "far"]},
        geometry=[shapely.Point(_lonlat(X0 + 1000, Y0)), shapely.Point(_lonlat(X0, Y0 + 9000))],
        crs="EPSG:4490",
    )
    res = coverage(fac, tgt, minutes=10, engine="network", roads=roads, rail=False)
    assert res.table["minutes"].iloc[0] == pytest.approx(1000 / 500, abs=1e-4)  # 30 km/h
    assert np.isinf(res.table["minutes"].iloc[1])
    assert list(res.uncovered["target"]) == ["far"]
    with pytest.raises(InputError, match="'far' is outside the road data"):
        coverage(tgt.iloc[[1]], fac, minutes=10, engine="network", roads=roads, rail=False)


def test_roads_without_speed_are_named_by_feature_number_counting_from_one():
    roads, _ = _grid(5, 500.0)
    classes = ["residential"] * len(roads)
    classes[1] = "quantum_lane"  # the second feature, as a GIS shows it: feature 2
    bad = roads.assign(highway=classes)
    with pytest.raises(InputError, match=r"features 2, counting from 1"):
        rings(_lonlat(X0, Y0), engine="network", roads=bad, rail=False)
