"""``suigeo map build``: a folium planning map from shipped layers, rings and user layers."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from suigeo.cli.options import add_text_options
from suigeo.errors import InputError

if TYPE_CHECKING:
    import folium

_GROUP_EXAMPLES = """\
examples:
  suigeo map build --shipped meizhou_parks --shipped rail_lines -o parks.html
  suigeo map build --shipped north8_towns --rings gz30.gpkg -o towns.html --png towns.png
  suigeo map print --shipped north8_towns --rings gz30.gpkg -o board.pdf --paper A3
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
        help="planning maps (folium HTML, PNG; print boards as PDF or PNG)",
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
    g.add_parser(
        "print",
        help="print a map on a sheet: vector PDF or PNG (title, legend, north arrow, scale)",
        description="Lay a map out on a sheet (A0-A4) with title, legend, north arrow, scale "
        "bar, sources, date and the 审图号 or internal-use note; write a vector PDF or a PNG.",
        epilog=PRINT_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        fill=_fill_print,
    )


PRINT_EXAMPLE = """\
Examples:
  suigeo map print --shipped north8_towns --shipped forest_parks --rings gz30.gpkg \\
      --title "北部山区八镇" --subtitle "30-minute ring" -o board.pdf --paper A3 \\
      --orientation landscape
  suigeo map print --shipped meizhou_parks --graticule -o board.png --dpi 200

A sheet with a title block, the map framed with a north arrow and a metric scale bar, the
legend, and a footer with the sources, the date and the 审图号 (--review-number) or the
internal-use note (广州市测绘地理信息管理办法 第三十四条). .pdf is a vector PDF (headless
Chromium's print-to-PDF); .png a picture of the sheet at --dpi.
"""


def _fill_build(b: argparse.ArgumentParser) -> None:
    _add_layer_args(b)
    add_map_options(b)
    _add_tile_args(b)
    b.add_argument("-o", "--output", required=True, metavar="HTML", help="output HTML file")
    b.set_defaults(func=_build)


def _fill_print(b: argparse.ArgumentParser) -> None:
    _add_layer_args(b)
    add_map_options(b, png=False)
    _add_tile_args(b)
    b.add_argument("--subtitle", help="subtitle under the title")
    b.add_argument(
        "--paper", default="A3", choices=["A0", "A1", "A2", "A3", "A4"], help="sheet (default A3)"
    )
    b.add_argument(
        "--orientation",
        default="landscape",
        choices=["landscape", "portrait"],
        help="default landscape",
    )
    b.add_argument(
        "--dpi", type=float, default=200, help="resolution of a PNG (default 200; PDF is vector)"
    )
    b.add_argument(
        "--graticule",
        action="store_true",
        help="draw lines of longitude and latitude, labelled at the frame",
    )
    b.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="output .pdf (vector) or .png"
    )
    b.set_defaults(func=_print)


def _add_tile_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--tiles",
        metavar="URL_TEMPLATE",
        help="your own tiles instead of --basemap: a tile server's URL template, e.g. an "
        "intranet's https://tiles.example/{z}/{x}/{y}.png, or an .mbtiles or .pmtiles file (its "
        "raster tiles go into the page, offline); with --tiles-datum (and --tiles-attribution)",
    )
    p.add_argument("--tiles-attribution", metavar="TEXT", help="who made the --tiles")
    p.add_argument(
        "--tiles-datum",
        choices=["CGCS2000", "WGS84", "GCJ02"],
        help="the datum the --tiles are drawn in (layers are shown in it)",
    )


def _add_layer_args(b: argparse.ArgumentParser) -> None:
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
    add_text_options(b)  # --encoding, --sheet: the user layers' tables


def add_map_options(p: argparse.ArgumentParser, *, png: bool = True) -> None:
    """Options shared by ``map build`` and ``demo``."""
    from suigeo.maps.basemaps import basemaps

    p.add_argument(
        "--basemap",
        default="land",
        choices=sorted(basemaps()),
        help="basemap (default land: the shipped Natural Earth coastline, offline; none: a "
        "plain background; osm, tianditu, amap: tile servers)",
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
    if png:
        p.add_argument(
            "--png", metavar="PNG", help="also write a PNG screenshot (headless Chromium)"
        )


def write_outputs(m: folium.Map, args: argparse.Namespace, inputs: list[str]) -> None:
    """Write the HTML (and the PNG when asked) atomically; print the paths."""
    from suigeo import maps

    for path in maps.save_map(m, args.output, png=args.png, inputs=inputs):
        print(path)


def _make_map(args: argparse.Namespace) -> tuple[folium.Map, list[str]]:
    """The map both ``map build`` and ``map print`` draw, and the input files."""
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
        tiles=args.tiles,
        tiles_attribution=args.tiles_attribution,
        tiles_datum=args.tiles_datum,
    )
    inputs = [str(split_title(u)[0]) for u in args.user_layer]
    if args.tiles and not args.tiles.lower().startswith(("http://", "https://")):
        inputs.append(args.tiles)  # an MBTiles file is an input, never overwritten
    return m, [*args.rings, *inputs]


def _build(args: argparse.Namespace) -> int:
    m, inputs = _make_map(args)
    write_outputs(m, args, inputs)
    return 0


def _print(args: argparse.Namespace) -> int:
    from suigeo import maps

    m, inputs = _make_map(args)
    out = maps.print_map(
        m,
        args.output,
        paper=args.paper,
        orientation=args.orientation,
        dpi=args.dpi,
        subtitle=args.subtitle,
        graticule=args.graticule,
        inputs=inputs,
    )
    print(out)
    return 0
