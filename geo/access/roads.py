"""Road lines → a directed road graph: speeds, one-way rules, topology from shared ends.

Speeds: ``maxspeed`` when it parses (``"50"``, ``"50 mph"``, ``"40;60"`` and OSMnx lists
``"[40, 60]"`` take the mean, as OSMnx does), else the speed of the ``highway`` class from
``network.highway_speeds_kmh`` (first class of a list). One-way: ``oneway`` true/yes/1
allows travel along the digitised direction only, ``-1``/reverse against it only; anything
else (or no column) both. Topology: lines that carry the OpenStreetMap node ids of their
ends in integer columns ``u`` and ``v`` (as ``access prepare``, OSMnx and pyrosm write them)
meet where they share an id, exactly as in OSM, so two distinct nodes a few centimetres apart
stay two junctions; otherwise line ends within ``network.endpoint_tolerance_m`` of each other
are one node (lines must be split at junctions, as OSMnx, pyrosm and osmium network exports
are). Ids that do not fit the geometry (an id at two places, or ``u`` not at the start of
its line) are not trusted: the shared-ends rule applies and the log says why. All steps are
vectorised over the lines.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from suigeo.errors import InputError
from suigeo.geo.access.settings import Settings
from suigeo.io.vector import read_vector

__all__ = ["RoadGraph", "head_substring", "line_ends", "load_roads", "road_graph", "road_speeds"]

log = logging.getLogger(__name__)

_TRUE = {"true", "yes", "1", "t", "y"}
_REVERSE = {"-1", "reverse"}
_MPH = 1.609344


def load_roads(
    roads: gpd.GeoDataFrame | str | os.PathLike[str], settings: Settings | None = None
) -> gpd.GeoDataFrame:
    """Road lines from a GeoDataFrame or a file of any format of :mod:`suigeo.io`; an
    OpenStreetMap extract (``.osm.pbf``, ``.osm``) becomes its edges between junctions
    (:func:`suigeo.geo.access.osm.read_osm`, mode ``network.osm.mode`` of ``settings``)."""
    from suigeo.geo.access.osm import is_osm

    if isinstance(roads, gpd.GeoDataFrame):
        gdf = roads
        what = "the roads"
    elif is_osm(roads):
        from suigeo.geo.access.osm import read_osm

        gdf = read_osm(roads, settings=settings).edges
        what = f"OpenStreetMap extract {str(roads)!r}"
    else:
        path = Path(roads)
        what = f"roads file {str(path)!r}"
        gdf = read_vector(path, what="roads file")
    if len(gdf) == 0:
        raise InputError(f"{what} holds no lines")
    if gdf.crs is None:
        raise InputError(f"{what} has no coordinate system; set one (e.g. EPSG:4490) first")
    kinds = gdf.geometry.geom_type
    bad = ~kinds.isin(["LineString", "MultiLineString"])
    if bad.any():
        raise InputError(
            f"{what}: feature {int(np.flatnonzero(bad.to_numpy())[0]) + 1} (counting from 1) "
            f"is a {kinds[bad].iloc[0]}, not a line"
        )
    gdf = gdf.reset_index(drop=True)
    gdf["_row"] = np.arange(len(gdf))
    if (kinds == "LineString").all():
        return gdf
    return gdf.explode(index_parts=False).reset_index(drop=True)


def _on_unique(values: pd.Series, func) -> np.ndarray:
    """Apply a vectorised string function to the distinct values only, then spread back."""
    codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
    if len(uniques) == 0:  # an empty column: nothing to parse (was an IndexError)
        return np.full(len(values), np.nan)
    out = func(pd.Series(uniques, dtype="string"))
    res = np.asarray(out)[np.maximum(codes, 0)]
    if (codes < 0).any():
        res = res.astype(object) if res.dtype.kind in "OUS" else res.astype(float)
        res[codes < 0] = None if res.dtype == object else np.nan
    return res


def _maxspeed_unique(s: pd.Series) -> np.ndarray:
    s = s.str.lower()
    nums = s.str.extractall(r"(\d+(?:\.\d+)?)")[0].astype(float)
    mean = nums.groupby(level=0).mean().reindex(s.index).to_numpy(dtype=float)
    mph = s.str.contains("mph", na=False).to_numpy()
    return np.where(mph, mean * _MPH, mean)


def _class_unique(s: pd.Series) -> np.ndarray:
    first = s.str.strip("[]").str.split(",").str[0].str.strip(" '\"").str.lower()
    return first.to_numpy(dtype=object)


def _parse_maxspeed(values: pd.Series) -> np.ndarray:
    return _on_unique(values, _maxspeed_unique).astype(float)


def road_speeds(roads: pd.DataFrame, settings: Settings) -> np.ndarray:
    """Speed in km/h for every road (see the module docstring)."""
    n = len(roads)
    speed = np.full(n, np.nan)
    if "maxspeed" in roads.columns:
        speed = _parse_maxspeed(roads["maxspeed"])
        speed[~(speed > 0)] = np.nan
    if "highway" in roads.columns:
        cls = pd.Series(_on_unique(roads["highway"], _class_unique), index=roads.index)
        table = settings.group("network.highway_speeds_kmh")
        by_class = cls.map(table).to_numpy(dtype=float)
        speed = np.where(np.isnan(speed), by_class, speed)
    else:
        cls = pd.Series(None, index=roads.index, dtype=object)
    missing = np.isnan(speed)
    if missing.any():
        rows = (
            roads["_row"].to_numpy()[missing]
            if "_row" in roads.columns
            else np.flatnonzero(missing)
        )
        classes = sorted({str(c) for c in cls[missing].dropna().unique()})
        hint = (
            f"; classes without a speed: {', '.join(classes[:10])} (add e.g. "
            f"--set network.highway_speeds_kmh.{classes[0]}=30)"
            if classes
            else "; give the file a maxspeed or highway column"
        )
        raise InputError(
            f"{int(missing.sum())} road(s) have neither a usable maxspeed nor a known highway "
            f"class (features {', '.join(str(r + 1) for r in rows[:10])}, counting from 1){hint}"
        )
    return speed


def _oneway(roads: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(forward allowed, backward allowed) per road."""
    n = len(roads)
    if "oneway" not in roads.columns:
        return np.ones(n, bool), np.ones(n, bool)
    s = pd.Series(_on_unique(roads["oneway"], lambda x: x.str.strip().str.lower()))
    one = s.isin(_TRUE).to_numpy()
    rev = s.isin(_REVERSE).to_numpy()
    return ~rev, ~one


@dataclass
class RoadGraph:
    """Directed road edges in a plane CRS. ``node_u/node_v`` per line; ``fwd``/``bwd`` say
    which way travel is allowed; ``minutes`` per line; ``geoms`` the lines (plane)."""

    geoms: np.ndarray
    node_u: np.ndarray
    node_v: np.ndarray
    minutes: np.ndarray
    fwd: np.ndarray
    bwd: np.ndarray
    n_nodes: int
    plane: CRS


def road_graph(roads: gpd.GeoDataFrame, settings: Settings, plane: CRS) -> RoadGraph:
    """Topology and travel times of the road lines (already exploded, CGCS2000)."""
    speed = road_speeds(roads, settings)
    fwd, bwd = _oneway(roads)
    geoms = roads.geometry.to_crs(plane).values
    geoms = np.asarray(geoms, dtype=object)
    keep = ~(shapely.is_empty(geoms) | shapely.is_missing(geoms))
    geoms, speed, fwd, bwd = geoms[keep], speed[keep], fwd[keep], bwd[keep]
    length = shapely.length(geoms)
    ends = np.concatenate(line_ends(geoms))
    tol = settings["network.endpoint_tolerance_m"]
    node = _node_ids(roads, keep, ends, tol)
    if node is None:
        key = np.round(ends / max(tol, 1e-6)).astype(np.int64)
        key -= key.min(axis=0)
        _, node = np.unique(key[:, 0] * (int(key[:, 1].max()) + 1) + key[:, 1], return_inverse=True)
    node = node.ravel()
    n = len(geoms)
    minutes = length / (speed * 1000.0 / 60.0)
    return RoadGraph(
        geoms, node[:n], node[n:], minutes, fwd, bwd, int(node.max()) + 1 if n else 0, plane
    )


def _node_ids(
    roads: gpd.GeoDataFrame, keep: np.ndarray, ends: np.ndarray, tol: float
) -> np.ndarray | None:
    """Node index of each line end (starts, then ends) from integer ``u``/``v`` node ids,
    or None when the lines carry none or they do not fit the geometry."""
    if not {"u", "v"} <= set(roads.columns):
        return None
    u, v = roads["u"], roads["v"]
    if not (pd.api.types.is_integer_dtype(u) and pd.api.types.is_integer_dtype(v)):
        return None
    if u.isna().any() or v.isna().any():
        return None
    if "_row" in roads.columns and roads["_row"].duplicated().any():
        log.info("roads: node ids u/v not used: multi-part lines were split into parts")
        return None
    ids = np.concatenate([u.to_numpy()[keep], v.to_numpy()[keep]]).astype(np.int64)
    _, node = np.unique(ids, return_inverse=True)
    node = node.ravel()
    # every end bearing an id must lie where the other ends with that id lie
    n_nodes = int(node.max()) + 1 if len(node) else 0
    lo = np.full((n_nodes, 2), np.inf)
    hi = np.full((n_nodes, 2), -np.inf)
    np.minimum.at(lo, node, ends)
    np.maximum.at(hi, node, ends)
    spread = float(np.max(hi - lo)) if n_nodes else 0.0
    if spread > max(tol, 1e-6):
        log.info(
            "roads: node ids u/v not used: one id is at ends %.3g m apart "
            "(joining line ends within network.endpoint_tolerance_m instead)",
            spread,
        )
        return None
    return node


def line_ends(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last vertex (x, y) of each line, from one coordinate array."""
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    first = np.searchsorted(idx, np.arange(len(geoms)))
    last = np.append(first[1:], len(coords)) - 1
    return coords[first], coords[last]


def head_substring(geoms: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """The first ``dist`` metres of each line (vectorised; ``dist`` clipped to the length)."""
    geoms = np.asarray(geoms, dtype=object)
    if geoms.size == 0:
        return geoms
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    seg = np.zeros(len(coords))
    same = idx[1:] == idx[:-1]
    seg[1:] = np.where(same, np.hypot(*(coords[1:] - coords[:-1]).T), 0.0)
    cum = np.cumsum(seg)
    start = np.searchsorted(idx, np.arange(len(geoms)))
    cum -= cum[start][idx]  # distance along each line at each vertex
    cut = np.asarray(dist, dtype=float)[idx]
    keep = cum < cut
    keep[start] = True
    # the cut point on each line
    ends = shapely.get_coordinates(shapely.line_interpolate_point(geoms, dist))
    out_xy = np.concatenate([coords[keep], ends])
    out_idx = np.concatenate([idx[keep], np.arange(len(geoms))])
    order = np.argsort(out_idx, kind="stable")
    return shapely.linestrings(out_xy[order], indices=out_idx[order])
