"""Derived views planners ask for: growth needed by the Meizhou parks, nearest stations."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from suigeo.errors import InputError
from suigeo.layers.shipped import NATIVE_EPSG, load

__all__ = ["meizhou_growth", "nearest_station"]

_YEARS = 5  # 2020 -> 2025 (MEIZHOU-2022 附件2)
_INDICATORS = (
    ("output", "output_2020_yi", "output_2025_yi"),
    ("firms_over_1yi", "firms_over_1yi_2020", "firms_over_1yi_2025"),
    ("fai", "fai_2020_yi", "fai_2025_yi"),
)


def meizhou_growth() -> pd.DataFrame:
    """Annual growth each Meizhou park needs to reach its 2025 targets from 2020.

    ``rate = (target / value_2020) ** (1 / 5) - 1`` for output, firms over 1亿 and
    fixed-asset investment (MEIZHOU-2022 附件2), one row per park plus a ``total`` row.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``name_zh``, ``paired_district``, the six indicators and
        ``output_growth_pa``, ``firms_over_1yi_growth_pa``, ``fai_growth_pa`` (fractions,
        0.319 = 31.9 % a year).
    """
    parks = pd.DataFrame(load("meizhou_parks").drop(columns="geometry"))
    cols = ["id", "name_zh", "paired_district"] + [c for _, a, b in _INDICATORS for c in (a, b)]
    out = parks[cols].copy()
    total = {"id": "total", "name_zh": "合计", "paired_district": ""}
    total |= {c: out[c].sum() for c in cols[3:]}
    out = pd.concat([out, pd.DataFrame([total])], ignore_index=True)
    for key, a, b in _INDICATORS:
        start = out[a].to_numpy(dtype=float)
        end = out[b].to_numpy(dtype=float)
        out[f"{key}_growth_pa"] = np.power(end / start, 1.0 / _YEARS) - 1.0
    return out


def nearest_station(
    layer: str | gpd.GeoDataFrame = "north8_towns",
    *,
    status: Sequence[str] | None = ("in_service",),
    line_kinds: Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    """Nearest rail station to each feature of a point layer, by geodesic distance.

    Parameters
    ----------
    layer
        A shipped point layer name or a point GeoDataFrame with a CRS.
    status
        Keep stations with these statuses (default: in service). ``None`` keeps all.
    line_kinds
        Keep stations on at least one line of these kinds (``high_speed``,
        ``intercity``). ``None`` keeps all.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer's ``id``, ``name_zh`` and ``name`` (those it has) and geometry (CGCS2000) with
        ``station_id``, ``station_name_zh``, ``station_accuracy_m`` and ``distance_km``
        (on the CGCS2000 ellipsoid, computed by ``pyproj.Geod`` for every pair at once).
    """
    src = load(layer) if isinstance(layer, str) else layer
    if src.crs is None:
        raise InputError("nearest_station: the layer has no CRS")
    if src.crs.to_epsg() != NATIVE_EPSG:
        src = src.to_crs(NATIVE_EPSG)
    if not (src.geom_type == "Point").all():
        raise InputError("nearest_station: the layer must hold points only")
    st = load("rail_stations")
    keep = np.ones(len(st), dtype=bool)
    if status is not None:
        keep &= st["status"].isin(list(status)).to_numpy()
    if line_kinds is not None:
        lines = load("rail_lines")
        ok_lines = set(lines.loc[lines["kind"].isin(list(line_kinds)), "id"])
        keep &= np.array([bool(ok_lines & set(s.split(";"))) for s in st["lines"]])
    st = st[keep]
    if st.empty:
        raise InputError("nearest_station: no station matches the filters")
    geod = CRS.from_epsg(NATIVE_EPSG).get_geod()
    assert geod is not None  # a geographic CRS has an ellipsoid
    n, m = len(src), len(st)
    lon1 = np.repeat(src.geometry.x.to_numpy(), m)
    lat1 = np.repeat(src.geometry.y.to_numpy(), m)
    lon2 = np.tile(st.geometry.x.to_numpy(), n)
    lat2 = np.tile(st.geometry.y.to_numpy(), n)
    _, _, dist = geod.inv(lon1, lat1, lon2, lat2)
    dist = np.asarray(dist).reshape(n, m)
    j = dist.argmin(axis=1)
    keep_cols = [c for c in ("id", "name_zh", "name") if c in src.columns]
    out = src[[*keep_cols, src.geometry.name]].copy()
    k = len(keep_cols)
    out.insert(k, "station_id", st["id"].to_numpy()[j])
    out.insert(k + 1, "station_name_zh", st["name_zh"].to_numpy()[j])
    out.insert(k + 2, "station_accuracy_m", st["accuracy_m"].to_numpy()[j])
    out.insert(k + 3, "distance_km", dist[np.arange(n), j] / 1000.0)
    return out
