"""``suigeo demo``: the default planning map from the shipped data, offline."""

from __future__ import annotations

import argparse
import logging
from math import inf

import layers
import maps
from geo.access import rings, station_times
from suigeo.cli.map import add_map_options, write_outputs

log = logging.getLogger(__name__)

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

EXAMPLE = """\
Example:
  suigeo demo                      # writes suigeo-demo.html and prints its path
  suigeo demo -o demo.html --png demo.png

Draws every shipped layer (suigeo layers list) and four sketch-engine rings: 30 minutes
around central Guangzhou (广州塔), 30 minutes around 广梅产业园, and for the 1.5-hour
Guangzhou-Meizhou HSR target of 穗府办〔2022〕20号 two 90-minute rings from central
Guangzhou: rail in service, and the scenario with the planned 广河高铁 (dashed). Each
ring's popup gives the engine's time to 梅州西站 and the stations of the Meizhou path it
reaches. The page is offline: every script and style is inlined.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="the default map from the shipped layers and rings (offline HTML)",
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "-o",
        "--output",
        default="suigeo-demo.html",
        metavar="HTML",
        help="output HTML file (default suigeo-demo.html)",
    )
    add_map_options(p)
    p.set_defaults(func=_demo)


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


def demo_rings() -> list[tuple[str, object]]:
    """Compute the demo rings with the sketch engine (default parameters, printed in popups).

    The 90-minute rings also carry the engine's time to 梅州西站 and the stations of the
    Guangzhou-Meizhou path reached, so the map states whether the 1.5-hour target is met by
    the computation rather than implying it.
    """
    out = []
    for origin, minutes, planned, why in DEMO_RINGS:
        gdf = rings(origin, minutes=(minutes,), engine="sketch", include_planned=planned)
        gdf["purpose"] = why
        if minutes >= 90:
            for col, val in _path_check(origin, minutes, planned).items():
                gdf[col] = val
        tag = "planned scenario" if planned else "in service"
        out.append((f"{origin} {minutes} min ({tag})", gdf))
    return out


def _demo(args: argparse.Namespace) -> int:
    names = list(layers.LAYER_NAMES)
    m = maps.build(
        layers=names,
        rings=demo_rings(),
        basemap=args.basemap,
        tianditu_key=args.tianditu_key,
        review_number=args.review_number,
        offline=True,
        title=args.title or "广州对口帮扶与北部山区 · Guangzhou partner parks, corridors and rings",
    )
    write_outputs(m, args, [])
    return 0
