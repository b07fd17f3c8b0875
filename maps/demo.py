"""The demo map (``suigeo demo``): every shipped layer and four sketch-engine rings.

The rings state what the engine computed, not what the policy aims at: the 90-minute rings
carry the engine's time to 梅州西站 and the stations of the Guangzhou-Meizhou path reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import inf
from typing import Any

import folium
import geopandas as gpd

from suigeo import layers
from suigeo.geo.access import rings, station_times
from suigeo.maps.build import build
from suigeo.maps.ringparts import ring_parts

__all__ = ["DEMO_RINGS", "DEMO_TITLE", "demo_map", "demo_rings"]

DEMO_TITLE = "广州对口帮扶与北部山区 · Guangzhou partner parks, corridors and rings"

#: The demo's rings: (origin as named in the shipped layers, minutes, include lines under
#: construction and planned, why). The 1.5-hour Guangzhou-Meizhou circle is drawn twice: with
#: the lines in service, and as the scenario that adds the planned 广河高铁 the target
#: relies on. Each ring says what the engine computed, not what the policy aims at.
DEMO_RINGS = (
    ("广州塔", 30, False, "30-minute ring around central Guangzhou"),
    ("广梅产业园", 30, False, "MEIZHOU-2022: half-hour economic circle around 广梅产业园"),
    (
        "广州塔",
        90,
        False,
        "MEIZHOU-2022 target: Guangzhou to Meizhou by high-speed rail in 1.5 hours; "
        "this ring: what the lines in service reach from central Guangzhou in 90 minutes",
    ),
    (
        "广州塔",
        90,
        True,
        "MEIZHOU-2022 target: Guangzhou to Meizhou by high-speed rail in 1.5 hours; "
        "this ring: the scenario adding the lines under construction and planned "
        "(广河高铁, a placeholder alignment), 90 minutes from central Guangzhou",
    ),
)

#: The Guangzhou-Meizhou high-speed path (station ids in the shipped layers), in service
#: (广汕 → 惠州北 link → 赣深 → 梅龙) and the planned 广河高铁's placeholder 龙门.
MEIZHOU_PATH = (
    "xintang_stn",
    "zengcheng_stn",
    "luofushan_stn",
    "longmen_stn",
    "huizhou_north_stn",
    "boluo_north_stn",
    "heyuan_east_stn",
    "longchuan_west_stn",
    "wuhua_stn",
    "xingning_south_stn",
    "meizhou_west_stn",
)
MEIZHOU_STATION = "meizhou_west_stn"


def _path_check(origin: str, minutes: float, include_planned: bool) -> dict[str, object]:
    """What the engine computed along the Guangzhou-Meizhou path (for the ring's popup)."""
    st = station_times(origin, minutes=(600,), include_planned=include_planned, engine="sketch")
    st = st.set_index("station")
    t_mz = float(st.loc[MEIZHOU_STATION, "minutes"]) if MEIZHOU_STATION in st.index else inf
    on_path = st.loc[[s for s in MEIZHOU_PATH if s in st.index]]
    reached = on_path[on_path["minutes"] <= minutes].sort_values("minutes")
    pairs = zip(reached["name_zh"], reached["minutes"], strict=True)
    listed = "; ".join(f"{n} {m:.0f} min" for n, m in pairs)
    verdict = "within" if t_mz <= minutes else "NOT within"
    return {
        "meizhou_west_min": round(t_mz, 1),
        "meizhou_path_reached": listed or "none",
        "policy_check": f"梅州西站 {t_mz:.0f} min by this engine: {verdict} {minutes:g} min",
    }


def demo_rings() -> list[tuple[str, gpd.GeoDataFrame]]:
    """Compute the demo rings with the sketch engine (default settings, printed in popups).

    Each ring is split into its parts (:func:`maps.ring_parts`): a part reached by rail
    says through which station and when ("via 英德西站, 79 min").

    The 90-minute rings also carry the engine's time to 梅州西站 and the stations of the
    Guangzhou-Meizhou path reached, so the map states whether the 1.5-hour target is met by
    the computation rather than implying it.
    """
    out = []
    for origin, minutes, planned, why in DEMO_RINGS:
        gdf = rings(origin, minutes=(minutes,), engine="sketch", include_planned=planned)
        times = station_times(origin, minutes=(minutes,), engine="sketch", include_planned=planned)
        gdf = ring_parts(gdf, times)  # detached parts say which station reaches them
        gdf["purpose"] = why
        if minutes >= 90:
            for col, val in _path_check(origin, minutes, planned).items():
                gdf[col] = val
        tag = "planned scenario" if planned else "in service"
        out.append((f"{origin} {minutes} min ({tag})", gdf))
    return out


#: The layers whose every feature the demo opens on (with the rings): the partner parks and
#: the eight towns, so each is in view and labelled on load.
DEMO_FOCUS_LAYERS = ("meizhou_parks", "qingyuan_parks", "north8_towns")


def _demo_focus(ringset: list[tuple[str, gpd.GeoDataFrame]]) -> str:
    """The demo's default view: a box around the rings, the co-built parks and the towns."""
    frames = [gdf.to_crs(4490) for _name, gdf in ringset]
    frames += [layers.load(name) for name in DEMO_FOCUS_LAYERS]
    boxes = [f.total_bounds for f in frames if len(f)]
    minx = min(b[0] for b in boxes)
    miny = min(b[1] for b in boxes)
    maxx = max(b[2] for b in boxes)
    maxy = max(b[3] for b in boxes)
    return f"{minx:.4f},{miny:.4f},{maxx:.4f},{maxy:.4f}"


def demo_map(
    *,
    basemap: str = "land",
    tianditu_key: str | None = None,
    review_number: str | None = None,
    title: str | None = None,
    offline: bool = True,
    focus: str | Sequence[Any] | None = None,
) -> folium.Map:
    """Build the demo map: every shipped layer and :func:`demo_rings` (offline by default).

    Parameters
    ----------
    basemap, tianditu_key, review_number, offline
        As for :func:`maps.build`.
    focus
        The initial view, as for :func:`maps.build`: default a box around the four rings,
        every co-built park and the eight towns (:data:`DEMO_FOCUS_LAYERS`), so each of them
        is in view and labelled on load; e.g. ``"layer north8_towns"`` for the eight
        northern towns, ``"layer meizhou_parks"`` for Meizhou, ``"rings"`` for the rings.
    title
        Title at the top of the map (default :data:`DEMO_TITLE`).

    Returns
    -------
    folium.Map
        Save it with :func:`maps.save_html`.
    """
    ringset = demo_rings()
    if focus is None:
        focus = _demo_focus(ringset)
    return build(
        layers=list(layers.LAYER_NAMES),
        rings=ringset,
        basemap=basemap,
        tianditu_key=tianditu_key,
        review_number=review_number,
        offline=offline,
        title=title or DEMO_TITLE,
        focus=focus,
    )
