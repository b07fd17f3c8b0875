"""``suigeo demo``: the default planning map from the shipped data, offline."""

from __future__ import annotations

import argparse

from suigeo.cli.map import add_map_options, write_outputs

EXAMPLE = """\
Examples:
  suigeo demo                      # writes suigeo-demo.html and prints its path
  suigeo demo -o demo.html --png demo.png
  suigeo demo --focus layer north8_towns     # open on the eight northern towns
  suigeo demo --focus layer meizhou_parks    # or on the Meizhou co-built parks

Draws every shipped layer (suigeo layers list) and four sketch-engine rings: 30 minutes
around central Guangzhou (广州塔), 30 minutes around 广梅产业园, and for the 1.5-hour
Guangzhou-Meizhou HSR target of 穗府办〔2022〕20号 two 90-minute rings from central
Guangzhou: rail in service, and the scenario with the planned 广河高铁 (dashed). Each
ring's popup gives the engine's time to 梅州西站 and the stations of the Meizhou path it
reaches. The page is offline by default (every script and style is inlined); --online
links the CDNs instead.
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``suigeo demo`` to the command line."""
    sub.add_parser(
        "demo",
        help="the default map from the shipped layers and rings (offline HTML)",
        description="The default planning map from the shipped layers and rings.",
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        fill=_fill,
    )


def _fill(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-o",
        "--output",
        default="suigeo-demo.html",
        metavar="HTML",
        help="output HTML file (default suigeo-demo.html)",
    )
    p.add_argument(
        "--focus",
        nargs="+",
        metavar="WHAT",
        help="initial view: 'rings', 'layer NAME' (e.g. layer north8_towns) or a box "
        "MINLON,MINLAT,MAXLON,MAXLAT (CGCS2000 degrees); default the rings, every co-built "
        "park and the eight towns",
    )
    add_map_options(p)
    p.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    from suigeo import maps

    m = maps.demo_map(
        basemap=args.basemap,
        tianditu_key=args.tianditu_key,
        review_number=args.review_number,
        title=args.title,
        offline=not args.online,
        focus=" ".join(args.focus) if args.focus else None,
    )
    write_outputs(m, args, [])
    return 0
