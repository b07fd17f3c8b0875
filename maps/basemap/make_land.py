"""Regenerate ``land_ne10m.geojson`` from the npm package world-atlas 2.0.2 (not run on import).

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python maps/basemap/make_land.py package/land-10m.json maps/basemap/land_ne10m.geojson

world-atlas redistributes Natural Earth 4.1.0 (public domain) as TopoJSON (ISC licence for
the package). ``land-10m.json`` is Natural Earth's 1:10m land: countries merged, so it holds
the coastline only and no boundary line between countries. This script decodes the TopoJSON
(quantised, delta-encoded arcs), clips the land to :data:`CLIP` (Guangdong, Qingyuan and
Meizhou with their neighbours) and writes GeoJSON with coordinates rounded to 1e-4 degree
(the source's own quantisation step is 0.0036 x 0.0017 degree).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import shapely

#: lon_min, lat_min, lon_max, lat_max (degrees)
CLIP = (108.0, 20.0, 119.0, 27.0)


def _arcs(topo: dict) -> list[np.ndarray]:
    scale = np.array(topo["transform"]["scale"])
    shift = np.array(topo["transform"]["translate"])
    return [np.cumsum(np.array(a, dtype=float), axis=0) * scale + shift for a in topo["arcs"]]


def _ring(idx: list[int], arcs: list[np.ndarray]) -> np.ndarray:
    parts = []
    for k, i in enumerate(idx):
        a = arcs[i] if i >= 0 else arcs[~i][::-1]
        parts.append(a if k == 0 else a[1:])  # consecutive arcs share their end point
    return np.concatenate(parts)


def land(topo: dict) -> shapely.Geometry:
    """The ``land`` object of a world-atlas topology as one (multi)polygon."""
    arcs = _arcs(topo)
    polys = []
    for geom in topo["objects"]["land"]["geometries"]:
        rings = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
        for poly in rings:
            shell, *holes = (_ring(r, arcs) for r in poly)
            polys.append(shapely.Polygon(shell, holes))
    return shapely.make_valid(shapely.MultiPolygon(polys))


def main(src: str, out: str) -> None:
    topo = json.loads(Path(src).read_text(encoding="utf-8"))
    clipped = shapely.clip_by_rect(land(topo), *CLIP)
    clipped = shapely.set_precision(clipped, 1e-4)
    polys = [p for p in shapely.get_parts(clipped) if p.geom_type in ("Polygon", "MultiPolygon")]
    clipped = shapely.union_all(polys)  # clipping leaves slivers as lines: keep the areas
    feature = {
        "type": "Feature",
        "properties": {"name": "land", "source": "Natural Earth 4.1.0 1:10m land"},
        "geometry": json.loads(shapely.to_geojson(clipped)),
    }
    Path(out).write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]}, separators=(",", ":")),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main(*sys.argv[1:3])
