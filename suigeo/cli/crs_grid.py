"""``suigeo crs grid``: a text grid (ISG, Surfer ASCII GRD) into a GeoTIFF grid PROJ reads."""

from __future__ import annotations

import argparse

EXAMPLES = """\
examples:
  suigeo crs grid quasigeoid.isg -o quasigeoid.tif
  suigeo crs grid anomaly.grd -o anomaly.tif
  suigeo crs point --from CGCS2000 --to CGCS2000+H1985 --geoid quasigeoid.tif 113.3 23.1 -1.2

Reads ISG 1.0/2.0 grids (as published by the ICGEM / ISG service: geodetic lat/lon, metres,
N-to-S rows) and Surfer ASCII grids (DSAA; x = longitude, y = latitude). Values sit on the
grid nodes; the GeoTIFF (Float32, EPSG:4490, PixelIsPoint, no-data -32768) puts them on
the same nodes for PROJ's vgridshift, which interpolates bilinearly between them.
"""


def register(group: argparse._SubParsersAction) -> None:
    """Add ``crs grid`` to the argument parser."""
    group.add_parser(
        "grid",
        help="convert a text grid (ISG, Surfer GRD) into a GeoTIFF grid PROJ reads",
        description="Convert a quasi-geoid (or height correction) text grid into a GeoTIFF "
        "grid for --geoid and the parameter file's [height] geoid / correction_grid.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        fill=_fill,
    )


def _fill(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", metavar="IN", help="text grid (.isg, .grd)")
    p.add_argument("-o", "--output", metavar="OUT", required=True, help="GeoTIFF grid (.tif)")
    p.set_defaults(func=_grid)


def _grid(args: argparse.Namespace) -> int:
    import numpy as np

    from suigeo.io.grids import convert_grid

    g = convert_grid(args.input, args.output)
    rows, cols = g.shape
    blank = int(np.isnan(g.values).sum())
    east, south = g.node(rows - 1, cols - 1)
    print(
        f"{rows} x {cols} nodes, lon {g.west:g}..{east:g}, lat {south:g}..{g.north:g}, "
        f"step {g.dlon:g} x {g.dlat:g} degrees, {blank} without data; wrote {args.output}"
    )
    return 0
