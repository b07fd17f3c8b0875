"""``suigeo map build``: a folium planning map from shipped layers, rings and user layers."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from suigeo.errors import InputError

if TYPE_CHECKING:
    import folium

_GROUP_EXAMPLES = """\
examples:
  suigeo map build --shipped meizhou_parks --shipped rail_lines -o parks.html
  suigeo map build --shipped north8_towns --rings gz30.gpkg -o towns.html --png towns.png
  suigeo demo
Maps are offline by default (every script and style inlined); --online links the CDNs.
`suigeo map build --help` shows more."""

EXAMPLE = """\
Examples:
  suigeo map build --shipped meizhou_parks --shipped rail_lines -o parks.html
  suigeo map build --shipped north8_towns --rings gz30.gpkg --user-layer plots.gpkg \\
      --review-number "粤S(2025)001号" -o towns.html --png towns.png
  SUIGEO_TIANDITU_KEY=... suigeo map build --shipped rail_lines --basemap tianditu \\
      --online -o rail.html

The page is offline by default: every script and stylesheet is inlined, so it opens with no
network; --online links them from their CDNs instead (a smaller file). Without
--review-number the footer marks the map "internal planning use - not for publication"
(广州市测绘地理信息管理办法 第三十四条: publishing a map needs a 审图号).
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``suigeo map build`` to the command line."""
    sub.add_parser(
        "map",
        help="planning maps (folium HTML, PNG)",
        description="Planning maps: shipped layers, travel-time rings and your own layers.",
        epilog=_GROUP_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        fill=_fill_group,
    )


def _fill_group(p: argparse.ArgumentParser) -> None:
    g = p.add_subparsers(dest="map_command", metavar="SUBCOMMAND", required=True)
    g.add_parser(
        "build",
        help="build a map from layers, rings and user layers",
        description="Build an HTML map (and a PNG) from shipped layers, rings and user layers.",
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        fill=_fill_build,
    )


def _fill_build(b: argparse.ArgumentParser) -> None:
    b.add_argument(
        "--shipped",
        action="append",
        default=[],
        metavar="NAME",
        help="shipped layer name (suigeo layers list); repeatable",
    )
    b.add_argument(
        "--rings",
        action="append",
        default=[],
        metavar="FILE",
        help="travel-time rings file (suigeo access rings output); repeatable",
    )
    b.add_argument(
        "--user-layer",
        action="append",
        default=[],
        metavar="FILE[:TITLE]",
        help="your own vector file (GeoPackage, GeoJSON, Shapefile...), optionally with the "
        "title shown in the layer control and legend (default: the file's layer name); "
        "repeatable",
    )
    b.add_argument(
        "--label",
        metavar="COLUMN",
        help="label each feature of the user layers with this column's value",
    )
    b.add_argument(
        "--focus",
        nargs="+",
        metavar="WHAT",
        help="initial view: 'rings', 'layer NAME' or a box MINLON,MINLAT,MAXLON,MAXLAT "
        "(CGCS2000 degrees); default the rings and user layers, else every layer",
    )
    add_map_options(b)
    b.add_argument("-o", "--output", required=True, metavar="HTML", help="output HTML file")
    b.set_defaults(func=_build)


def add_map_options(p: argparse.ArgumentParser) -> None:
    """Options shared by ``map build`` and ``demo``."""
    from suigeo.maps.basemaps import basemaps

    p.add_argument(
        "--basemap",
        default="none",
        choices=sorted(basemaps()),
        help="tile basemap (default none: no tile server needed)",
    )
    p.add_argument(
        "--tianditu-key",
        metavar="KEY",
        help="Tianditu key (or environment variable SUIGEO_TIANDITU_KEY)",
    )
    p.add_argument(
        "--review-number", metavar="审图号", help="map review number printed in the footer"
    )
    p.add_argument("--title", help="title shown at the top of the map")
    p.add_argument(
        "--online",
        action="store_true",
        help="link scripts and stylesheets from their CDNs instead of inlining them "
        "(default: offline, the page works with no network)",
    )
    p.add_argument("--png", metavar="PNG", help="also write a PNG screenshot (headless Chromium)")


def write_outputs(m: folium.Map, args: argparse.Namespace, inputs: list[str]) -> None:
    """Write the HTML (and the PNG when asked) atomically; print the paths."""
    from suigeo import maps

    for path in maps.save_map(m, args.output, png=args.png, inputs=inputs):
        print(path)


def _build(args: argparse.Namespace) -> int:
    from suigeo import maps
    from suigeo.maps.files import split_title

    if not (args.shipped or args.rings or args.user_layer):
        raise InputError("nothing to draw: give at least one --shipped, --rings or --user-layer")
    rings = maps.read_named(args.rings, what="rings file")
    users = maps.read_user_layers(args.user_layer)
    m = maps.build(
        layers=list(args.shipped),
        rings=rings,
        user_layers=users,
        basemap=args.basemap,
        tianditu_key=args.tianditu_key,
        review_number=args.review_number,
        offline=not args.online,
        title=args.title,
        label=args.label,
        focus=" ".join(args.focus) if args.focus else None,
    )
    inputs = [str(split_title(u)[0]) for u in args.user_layer]
    write_outputs(m, args, [*args.rings, *inputs])
    return 0
