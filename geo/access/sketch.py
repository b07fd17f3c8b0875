"""Sketch engine: straight-line ground travel × circuity, plus the rail graph.

Ground: time = geodesic distance × ``ground.circuity`` ÷ ``ground.speed_kmh`` between the
origin(s) and every station and between every pair of stations. Rail: see
:mod:`geo.access.rail`. The ring for ``T`` minutes is the union of discs around each origin
(radius ``T`` × effective speed) and every station reached in ``t < T`` (radius
``(T - t)`` × effective speed), the effective speed being speed ÷ circuity.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from suigeo.errors import InputError
from suigeo.geo.access.graph import EdgeList, shortest_times
from suigeo.geo.access.plane import geodesic_m, plane_crs, project
from suigeo.geo.access.rail import RailNet
from suigeo.geo.access.result import EngineOutput, discs
from suigeo.geo.access.settings import Settings

__all__ = ["MAX_REACH_KM", "ground_m_per_min", "sketch_graph", "sketch_rings"]

# Discs are drawn in one Gauss-Krüger plane: beyond this ground reach their area is off by
# more than 0.5 % (geodesic area, PROJ) and far beyond it the plane breaks down entirely.
MAX_REACH_KM = 800.0


def ground_m_per_min(settings: Settings) -> float:
    """Straight-line metres covered per minute on the ground (speed ÷ circuity)."""
    return settings["ground.speed_kmh"] * 1000.0 / 60.0 / settings["ground.circuity"]


def sketch_graph(
    lon: np.ndarray, lat: np.ndarray, rail: RailNet, settings: Settings
) -> tuple[EdgeList, np.ndarray, np.ndarray]:
    """Graph with the given points (nodes 0..n-1), the rail graph and straight-line ground
    links point ↔ station and station ↔ station. Returns (edges, point ids, station ids)."""
    v = ground_m_per_min(settings)
    edges = EdgeList()
    pts = edges.add_nodes(len(lon))
    st = rail.attach(edges)
    if len(st):
        slon, slat = rail.stations["lon"].to_numpy(), rail.stations["lat"].to_numpy()
        d_ps = geodesic_m(lon[:, None], lat[:, None], slon[None, :], slat[None, :])
        ii, jj = np.indices(d_ps.shape)
        edges.add(pts[ii], st[jj], d_ps / v, both=True)
        d_ss = geodesic_m(slon[:, None], slat[:, None], slon[None, :], slat[None, :])
        si, sj = np.nonzero(~np.eye(len(st), dtype=bool))
        edges.add(st[si], st[sj], d_ss[si, sj] / v)
    return edges, pts, st


def _station_frame(labels: list[str], times: np.ndarray, rail: RailNet) -> pd.DataFrame:
    n = len(rail.stations)
    if n == 0:
        return pd.DataFrame({"origin": [], "station": [], "name_zh": [], "minutes": []})
    return pd.DataFrame(
        {
            "origin": np.repeat(labels, n),
            "station": np.tile(rail.stations["id"].to_numpy(), len(labels)),
            "name_zh": np.tile(rail.stations["name_zh"].to_numpy(), len(labels)),
            "minutes": np.where(times.ravel() < 1e-6, 0.0, times.ravel()),
        }
    )


def sketch_rings(
    lon: np.ndarray,
    lat: np.ndarray,
    labels: list[str],
    thresholds: list[float],
    *,
    direction: str,
    rail: RailNet,
    settings: Settings,
    nearest: bool,
    plane: CRS | None = None,
) -> EngineOutput:
    """Rings for each origin (or for the nearest of all origins when ``nearest``), drawn in
    ``plane`` (default: :func:`plane_crs` of the origins; the Dask executor passes the
    plane of all the origins to each partition)."""
    v = ground_m_per_min(settings)
    reach_km = max(thresholds) * v / 1000.0
    if reach_km > MAX_REACH_KM:
        raise InputError(
            f"{max(thresholds):g} minutes at {v * 0.06:g} km/h straight-line reach "
            f"{reach_km:.0f} km on the ground, beyond the {MAX_REACH_KM:g} km within which the "
            "sketch rings keep their area (0.5 %); use smaller thresholds"
        )
    plane = plane if plane is not None else plane_crs(lon)
    edges, pts, st = sketch_graph(lon, lat, rail, settings)
    graph = edges.csr(reverse=direction == "to")
    dist, _ = shortest_times(graph, pts, limit=max(thresholds), nearest=nearest)
    px, py = project(lon, lat, plane)
    sx, sy = rail.xy(plane)
    out_labels = [f"nearest of {len(labels)}: " + "; ".join(labels)] if nearest else labels
    geoms: list[list[shapely.Geometry]] = []
    for row in range(dist.shape[0]):
        own = np.arange(len(lon)) if nearest else np.array([row])
        t_st = dist[row, st]
        cx = np.concatenate([np.asarray(px)[own], np.asarray(sx)])
        cy = np.concatenate([np.asarray(py)[own], np.asarray(sy)])
        t0 = np.concatenate([np.zeros(own.size), t_st])
        geoms.append([discs(cx, cy, (t - t0) * v) for t in thresholds])
    method = (
        f"sketch: straight line × circuity {settings['ground.circuity']:g} at "
        f"{settings['ground.speed_kmh']:g} km/h on the ground"
        + (
            "; rail from line operating/design speeds with stop, access, egress and transfer "
            "times"
            + ("; through trains need no transfer" if settings["rail.through_running"] else "")
            if len(st)
            else "; no rail"
        )
    )
    return EngineOutput(
        out_labels,
        geoms,
        plane,
        method,
        ["ground.", "rail."] if len(st) else ["ground."],
        _station_frame(out_labels, dist[:, st], rail),
    )
