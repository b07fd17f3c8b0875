"""``suigeo demo``: the default planning map from the shipped data, offline."""

from __future__ import annotations

import argparse
import logging

import layers
import maps
from geo.access import rings
from suigeo.cli.map import add_map_options, write_outputs

log = logging.getLogger(__name__)

#: The demo's rings: (origin as named in the shipped layers, minutes, why).
DEMO_RINGS = (
    ("广州塔", 30, "30-minute ring around central Guangzhou"),
    ("广梅产业园", 30, "MEIZHOU-2022: half-hour economic circle around 广梅产业园"),
    ("广州塔", 90, "MEIZHOU-2022: Guangzhou to Meizhou by high-speed rail in 1.5 hours"),
)

EXAMPLE = """\
Example:
  suigeo demo                      # writes suigeo-demo.html and prints its path
  suigeo demo -o demo.html --png demo.png

Draws every shipped layer (suigeo layers list) and three sketch-engine rings: 30 minutes
around central Guangzhou (广州塔), 30 minutes around 广梅产业园, and 90 minutes from central
Guangzhou by road and rail in service (the 1.5-hour Guangzhou-Meizhou HSR target of
穗府办〔2022〕20号). The page is offline: every script and style is inlined.
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


def demo_rings() -> list[tuple[str, object]]:
    """Compute the demo rings with the sketch engine (default parameters, printed in popups)."""
    out = []
    for origin, minutes, why in DEMO_RINGS:
        gdf = rings(origin, minutes=(minutes,), engine="sketch")
        gdf["purpose"] = why
        out.append((f"{origin} {minutes} min", gdf))
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
