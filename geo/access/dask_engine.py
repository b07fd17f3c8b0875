"""``executor="dask"`` of :func:`coverage` and many-origin :func:`rings`: partitions on Dask.

Imported only when the Dask executor is asked for (the access modules never import Dask).
The cluster, the tasks and the progress bar are those of every Dask executor
(:mod:`suigeo.io.cluster`). (``--executor``, not ``--engine``: in ``suigeo access``
``--engine`` already names the travel-time engine, sketch, network or raster.)

- **Coverage** (:func:`nearest_by_targets`): the client reads and checks the facilities and
  the targets as the single-process code does; the targets are cut into partitions of
  ``partition_rows``; each task finds the nearest facility of its targets among *all* the
  facilities with the single-process function (straight-line or sketch travel time), in
  the plane chosen from all the points. The nearest facility and its distance or time of a
  target do not depend on the other targets (a path through another target is never
  shorter: the direct ground links keep the triangle inequality), so the table is the
  same. A population share is computed on the client as before.
- **Rings** (:func:`sketch_rings_dask`): many origins, one ring per origin (not
  ``nearest``), sketch engine: the origins are cut into partitions; each task draws the
  rings of its origins with the single-process executor in the plane chosen from all the
  origins; the client joins them in input order.

The network engine attaches every point to one road graph (splitting edges where points
join), and the raster engine shares one grid: partitions would change them, so they are
refused with the Dask executor rather than give results that differ in the last bits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from suigeo.geo.access.result import EngineOutput
from suigeo.io.cluster import check_options, in_order, progress_bar, run_tasks, session

__all__ = ["DEFAULT_ORIGIN_ROWS", "DEFAULT_TARGET_ROWS", "nearest_by_targets", "sketch_rings_dask"]

log = logging.getLogger(__name__)

#: targets per partition of a coverage
DEFAULT_TARGET_ROWS = 2_000
#: origins per partition of many-origin rings
DEFAULT_ORIGIN_ROWS = 100


@dataclass(frozen=True)
class _Nearest:
    fn: Callable[..., tuple[np.ndarray, np.ndarray]]
    facilities: gpd.GeoDataFrame
    args: tuple[Any, ...]


def _nearest_part(shared: _Nearest, targets: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    return shared.fn(shared.facilities, targets, *shared.args)


def _bounds(n: int, size: int) -> list[tuple[int, int]]:
    return [(a, min(a + size, n)) for a in range(0, n, size)] or [(0, 0)]


def _run(fn: Callable, shared: Any, tasks: list, weights: list[int], what: str,
         dask: dict[str, Any], progress: bool | None) -> list[Any]:  # fmt: skip
    parts: list[Any] = []
    size = dask.get("partition_rows")
    check_options(**{**dask, "partition_rows": size})
    bar = progress_bar(progress, sum(weights), what)
    try:
        with session(dask.get("scheduler"), dask.get("workers"), dask.get("memory_limit")) as c:
            run_tasks(c, fn, tasks, in_order(parts.append), what=what, shared=shared,
                      weights=weights, bar=bar)  # fmt: skip
    finally:
        if bar is not None:
            bar.close()
    return parts


def nearest_by_targets(
    fn: Callable[..., tuple[np.ndarray, np.ndarray]],
    fac: gpd.GeoDataFrame,
    tgt: gpd.GeoDataFrame,
    *args: Any,
    dask: dict[str, Any],
    progress: bool | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``fn(fac, tgt, *args)`` (the nearest facility's index and distance or time of each
    target) run on partitions of ``tgt`` on Dask; the arrays joined in target order."""
    size = dask.get("partition_rows") or DEFAULT_TARGET_ROWS
    bounds = _bounds(len(tgt), size)
    log.info("coverage on Dask: %d targets in %d partition(s)", len(tgt), len(bounds))
    parts = _run(
        _nearest_part,
        _Nearest(fn, fac, args),
        [tgt.iloc[a:b] for a, b in bounds],
        [b - a for a, b in bounds],
        "targets",
        {**dask, "partition_rows": size},
        progress,
    )
    which = np.concatenate([np.asarray(w, dtype=np.int64) for w, _ in parts])
    value = np.concatenate([np.asarray(v, dtype=float) for _, v in parts])
    return which, value


@dataclass(frozen=True)
class _Rings:
    thresholds: list[float]
    common: dict[str, Any]
    plane: CRS


def _rings_part(shared: _Rings, task: tuple[np.ndarray, np.ndarray, list[str]]) -> EngineOutput:
    from suigeo.geo.access.sketch import sketch_rings

    lon, lat, labels = task
    return sketch_rings(lon, lat, labels, shared.thresholds, plane=shared.plane, **shared.common)


def sketch_rings_dask(
    lon: np.ndarray,
    lat: np.ndarray,
    labels: list[str],
    thresholds: list[float],
    *,
    dask: dict[str, Any],
    progress: bool | None = None,
    **common: Any,
) -> EngineOutput:
    """:func:`~suigeo.geo.access.sketch.sketch_rings` of many origins (not ``nearest``), on
    partitions of the origins on Dask, in the plane of all the origins."""
    from suigeo.geo.access.plane import plane_crs

    size = dask.get("partition_rows") or DEFAULT_ORIGIN_ROWS
    bounds = _bounds(len(lon), size)
    log.info("rings on Dask: %d origins in %d partition(s)", len(lon), len(bounds))
    parts: list[EngineOutput] = _run(
        _rings_part,
        _Rings(thresholds, common, plane_crs(lon)),
        [(lon[a:b], lat[a:b], labels[a:b]) for a, b in bounds],
        [b - a for a, b in bounds],
        "origins",
        {**dask, "partition_rows": size},
        progress,
    )
    first = parts[0]
    return EngineOutput(
        [lab for p in parts for lab in p.labels],
        [g for p in parts for g in p.geoms],
        first.plane,
        first.method,
        first.setting_keys,
        pd.concat([p.station_times for p in parts], ignore_index=True),
    )
