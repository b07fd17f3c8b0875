"""``suigeo crs point``: convert one point and print it to the digits that matter."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from suigeo.cli.crs import check_geoid, load_cli_params
from suigeo.errors import InputError

if TYPE_CHECKING:
    from suigeo import crs

EXAMPLES = """\
examples:
  suigeo crs point --from CGCS2000 --to CGCS2000-3GK-CM114 113.3 23.1
  suigeo crs point --from CGCS2000+H1985 --to GZ2000+HGZ --params gz2000.toml 113.3 23.1 21.5
  suigeo crs point --from CGCS2000 --to CGCS2000+H1985 --geoid quasigeoid.tif 113.3 23.1 -1.2
  suigeo crs point --from GCJ02 --to WGS84 113.32 23.12
  suigeo crs point --from EPSG:4547 --to EPSG:4526 428285.9562 2555783.9288

Metres are printed to 0.1 mm, degrees to 1e-9 degree (about 0.1 mm), in the order
x y [h]: lon lat for geographic systems, easting northing for projected ones.
GZ2000 needs --params FILE or SUIGEO_GZ2000_PARAMS (see `suigeo crs list`).
"""


def register(group: argparse._SubParsersAction) -> None:
    """Add ``crs point`` to the argument parser."""
    group.add_parser(
        "point",
        help="convert one point",
        description="Convert one point between named systems (`suigeo crs list`).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        fill=_fill,
    )


def _fill(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from", dest="src", required=True, metavar="SYSTEM", help="source system")
    p.add_argument("--to", dest="dst", required=True, metavar="SYSTEM", help="target system")
    p.add_argument("--params", metavar="FILE", help="Guangzhou 2000 parameter file (TOML)")
    p.add_argument(
        "--geoid",
        metavar="FILE",
        help="quasi-geoid grid of height anomalies (GeoTIFF/GTX, metres) for ellipsoidal <-> "
        "normal heights, e.g. --from CGCS2000 --to CGCS2000+H1985",
    )
    p.add_argument("x", type=float, help="lon (degrees) or easting/X (metres)")
    p.add_argument("y", type=float, help="lat (degrees) or northing/Y (metres)")
    p.add_argument("h", type=float, nargs="?", help="height (metres), optional")
    p.add_argument(
        "--axis-order",
        choices=("en", "ne"),
        default="en",
        help="en (default): x y are easting northing (lon lat); ne: northing first, as "
        "Chinese survey sheets write X Y",
    )
    p.set_defaults(func=_point)


def _fmt(value: float, degrees: bool) -> str:
    return f"{value:.9f}" if degrees else f"{value:.4f}"


def _point(args: argparse.Namespace) -> int:
    import numpy as np

    from suigeo import crs

    src, dst = crs.resolve(args.src), crs.resolve(args.dst)
    mixed = args.h is not None and (src.height is None) != (dst.height is None)
    check_geoid(args.geoid, mixed, "the height h")
    params = load_cli_params(args.params, src, dst, heights=mixed and args.geoid is None)
    if args.axis_order == "ne":  # northing first: put the easting first
        args.x, args.y = args.y, args.x
    if (
        src.kind not in ("height", "geocentric")
        and not crs.area_mask([args.x], [args.y], src=src, params=params)[0]
    ):
        w, s, e, n = src.area_of_use
        if crs.area_mask([args.y], [args.x], src=src, params=params)[0]:  # the same test as
            other = "en" if args.axis_order == "ne" else "ne"  # crs convert's "swapped"
            raise InputError(
                f"swapped? the point lies outside {src.name}'s area of use (lon {w:g}..{e:g}, "
                f"lat {s:g}..{n:g}), but inside with x and y exchanged: give "
                f"{'lon lat' if src.is_geographic else 'easting northing'} in that order, "
                f"or add --axis-order {other}"
            )
        print(
            f"suigeo: warning: the point lies outside {src.name}'s area of use "
            f"(lon {w:g}..{e:g}, lat {s:g}..{n:g})",
            file=sys.stderr,
        )
    _warn_outside_target(src, dst, args, params)
    h = None if args.h is None else [args.h]
    out = crs.transform([args.x], [args.y], h, src=src, dst=dst, params=params, geoid=args.geoid)
    values = [float(np.asarray(v)[0]) for v in out]
    if mixed and all(np.isfinite(values[:2])) and not np.isfinite(values[2]):
        raise InputError(
            "outside_geoid: no height anomaly at the point (outside the quasi-geoid grid, next "
            "to a node without data, or outside the area of a fitted surface), so the height "
            "cannot be converted"
        )
    if not all(np.isfinite(values)):
        raise InputError(
            f"PROJ could not convert the point from {src.name} to {dst.name} "
            "(outside the projection's domain?)"
        )
    degrees = dst.is_geographic
    text = [_fmt(values[0], degrees), _fmt(values[1], degrees)]
    if len(values) == 3:
        text.append(_fmt(values[2], False))
    print(" ".join(text))
    return 0


def _warn_outside_target(
    src: crs.System, dst: crs.System, args: argparse.Namespace, params: crs.Gz2000Params | None
) -> None:
    """Warn when the point lies outside the target's area of use (e.g. the wrong GK zone)."""
    from suigeo import crs

    if dst.kind in ("height", "offset") or src.kind in ("height", "geocentric"):
        return
    lon: Any = [args.x]
    lat: Any = [args.y]
    if src.kind == "projected":
        lon, lat = crs.transform(lon, lat, src=src.plane or src.name, dst="CGCS2000", params=params)
    w, s, e, n = dst.area_of_use
    if not (w <= float(lon[0]) <= e and s <= float(lat[0]) <= n):
        print(
            f"suigeo: warning: the point lies outside the area of use of the target {dst.name} "
            f"(lon {w:g}..{e:g}, lat {s:g}..{n:g}); the result is meaningless there",
            file=sys.stderr,
        )
