"""``suigeo crs fit``: least-squares parameters from common control points."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from suigeo.cli.options import add_text_options

if TYPE_CHECKING:
    from suigeo.crs.fit import FitResult, Projection

EXAMPLES = """\
examples:
  suigeo crs fit control.csv --model helmert4 --base gz2000-base.toml -o fitted.toml
  suigeo crs fit control.csv --model affine6 --check check.csv \\
      --central-meridian 113.5 --projection-height 50 --false-easting 100000 -o fitted.toml
  suigeo crs fit control-xyz.csv --model helmert7 --convention coordinate_frame \\
      --base gz2000-base.toml -o fitted.toml

control.csv for helmert4 / affine6 (plane source in the given projection, or src_lon,src_lat
in CGCS2000 degrees instead of src_e,src_n):
  id,src_e,src_n,dst_e,dst_n
  K01,112345.678,28765.432,112400.120,28701.987
for helmert7 (geocentric metres, or src_lon,src_lat,src_h / dst_lon,dst_lat,dst_h):
  id,src_x,src_y,src_z,dst_x,dst_y,dst_z
for height-plane / height-quadratic (GPS levelling: ellipsoidal h and 1985 normal H of the
same points; the anomaly zeta = h - H is fitted as a surface of the projection's E, N):
  id,src_lon,src_lat,src_h,dst_h       (or src_e,src_n instead of src_lon,src_lat)
  suigeo crs fit gps-levelling.csv --model height-plane --base gz2000.toml -o gz-h.toml \\
      --report fit.html

Minimum points (redundancy needed): helmert4 3, affine6 4 (not on a line), helmert7 3 (not
on a line; 4+ recommended), height-plane 4 (not on a line), height-quadratic 7.
Prints each point's residuals, RMS, maximum and outliers (|standardised residual| > 3);
never the parameters, which go to the output file only. --report FILE.html writes the
same for filing: a plan of the points with residual vectors to scale, the table, RMS,
sigma0, outliers and the model name (never the parameters); FILE.pdf prints it to PDF.
Exit status: 0 fitted, 1 fitted but outliers flagged, 2 bad input or refused.
"""


def register(group: argparse._SubParsersAction) -> None:
    """Add ``crs fit`` to the argument parser."""
    group.add_parser(
        "fit",
        help="fit parameters (helmert4, affine6, helmert7) or a height-anomaly surface "
        "(height-plane, height-quadratic) from control points",
        description="Least-squares fit of Guangzhou 2000 style parameters from control "
        "points known in both systems; writes a suigeo-gz2000/1 parameter file "
        '(kind = "fitted").',
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        fill=_fill,
    )


def _fill(p: argparse.ArgumentParser) -> None:
    from suigeo.crs.fit import CONVENTIONS, DEFAULT_OUTLIER_THRESHOLD, MODELS

    p.add_argument("control", help="control points CSV")
    p.add_argument("--model", required=True, choices=MODELS, help="transformation model")
    p.add_argument("--check", metavar="CSV", help="held-out check points, same columns")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="parameter file")
    p.add_argument(
        "--report",
        metavar="FILE",
        help="also write a fit report to file (.html, or .pdf via headless Chromium): plan "
        "with residual vectors, residual table, RMS, sigma0, outliers; never the parameters",
    )
    p.add_argument(
        "--convention",
        choices=CONVENTIONS,
        default="position_vector",
        help="helmert7 rotation sign convention written to the file (default position_vector)",
    )
    p.add_argument(
        "--outlier-threshold",
        type=float,
        default=DEFAULT_OUTLIER_THRESHOLD,
        metavar="W",
        help="flag points with |standardised residual| above W (default 3)",
    )
    g = p.add_argument_group(
        "projection of the target system (one of --base or --central-meridian ...)"
    )
    g.add_argument("--base", metavar="FILE", help="take [projection] and [height] from FILE")
    g.add_argument(
        "--central-meridian", type=float, metavar="DEG", help="central meridian (degrees east)"
    )
    g.add_argument(
        "--latitude-of-origin",
        type=float,
        default=0.0,
        metavar="DEG",
        help="latitude of the projection's origin (degrees, default 0)",
    )
    g.add_argument("--scale", type=float, help="scale factor on the central meridian")
    g.add_argument(
        "--projection-height",
        type=float,
        metavar="M",
        help="height of the projection surface above the ellipsoid (metres)",
    )
    g.add_argument(
        "--earth-radius",
        type=float,
        metavar="M",
        help="earth radius for --projection-height (default 6371008.7714 m)",
    )
    g.add_argument(
        "--false-easting", type=float, default=0.0, metavar="M", help="false easting (default 0)"
    )
    g.add_argument(
        "--false-northing",
        type=float,
        default=0.0,
        metavar="M",
        help="false northing (default 0)",
    )
    p.add_argument(
        "--columns",
        metavar="ROLE=COL,...",
        type=_columns,
        help="the tables' own column names, e.g. id=点号,src_e=Y,src_n=X,dst_e=y_gz,dst_n=x_gz "
        "(roles: id, src_e, src_n, src_lon, src_lat, src_x, src_y, src_z, src_h, dst_e, dst_n, "
        "dst_x, dst_y, dst_z, dst_lon, dst_lat, dst_h; height fits: src_h = ellipsoidal h, "
        "dst_h = normal H)",
    )
    add_text_options(p)
    p.set_defaults(func=_fit)


def _columns(text: str) -> dict[str, str]:
    """``--columns id=点号,src_e=Y``: role -> column (a usage error when malformed)."""
    out: dict[str, str] = {}
    for part in text.split(","):
        role, sep, name = part.partition("=")
        if not sep or not role.strip() or not name.strip():
            raise argparse.ArgumentTypeError(f"{part!r} is not ROLE=COLUMN (e.g. src_e=Y)")
        if role.strip() in out:
            raise argparse.ArgumentTypeError(f"the role {role.strip()!r} is given twice")
        out[role.strip()] = name.strip()
    return out


def _projection(args: argparse.Namespace) -> Projection | None:
    from suigeo.crs.fit import Projection

    if args.central_meridian is None:
        return None
    return Projection(
        central_meridian_deg=args.central_meridian,
        latitude_of_origin_deg=args.latitude_of_origin,
        scale=args.scale,
        projection_height_m=args.projection_height,
        earth_radius_m=args.earth_radius,
        false_easting_m=args.false_easting,
        false_northing_m=args.false_northing,
    )


def _fit(args: argparse.Namespace) -> int:
    from suigeo.crs.fit import fit_file

    result = fit_file(
        args.control,
        args.model,
        args.output,
        projection=_projection(args),
        base=args.base,
        check=args.check,
        convention=args.convention,
        threshold=args.outlier_threshold,
        columns=args.columns,
        report=args.report,
    )
    _print(result, args)
    return 1 if result.outliers.any() else 0


def _print(result: FitResult, args: argparse.Namespace) -> None:
    import numpy as np

    from suigeo.crs.fit import HEIGHT_MODELS, MIN_POINTS, components

    comps = components(result.model)
    head = f"{'id':<12}" + "".join(f"{c:>11}" for c in comps) + f"{'|v|':>10}{'max|w|':>8}"
    print(
        f"{args.model}: {len(result.ids)} control points (minimum {MIN_POINTS[args.model]}), "
        f"degrees of freedom {result.degrees_of_freedom}"
    )
    if result.model in HEIGHT_MODELS:
        print("residuals, height anomaly zeta = h - H observed minus fitted (metres):")
    else:
        print("residuals, target minus fitted (metres):")
    print(head)
    for ident, v, w in zip(result.ids, result.residuals, result.standardised, strict=True):
        wmax = float(np.abs(w).max())
        flag = "  OUTLIER" if wmax > result.threshold else ""
        print(
            f"{ident:<12}"
            + "".join(f"{c:>+11.4f}" for c in v)
            + f"{float(np.sqrt((v**2).sum())):>10.4f}{wmax:>8.2f}{flag}"
        )
    print(f"RMS {result.rms:.4f} m, maximum {result.max:.4f} m, sigma0 {result.sigma0:.4f} m")
    n_out = int(result.outliers.sum())
    if n_out:
        ids = ", ".join(np.array(result.ids)[result.outliers])
        print(
            f"outliers (|w| > {result.threshold:g}): {ids} - check these points, remove the "
            "worst and fit again"
        )
    else:
        print(f"outliers (|w| > {result.threshold:g}): none")
    if result.check is not None:
        c = result.check
        print(f"check points ({len(c.ids)}), target minus fitted (metres):")
        print(f"{'id':<12}" + "".join(f"{x:>11}" for x in comps) + f"{'|v|':>10}")
        for ident, v in zip(c.ids, c.residuals, strict=True):
            print(
                f"{ident:<12}"
                + "".join(f"{x:>+11.4f}" for x in v)
                + f"{float(np.sqrt((v**2).sum())):>10.4f}"
            )
        print(f"check RMS {c.rms:.4f} m, maximum {c.max:.4f} m")
    print(f"wrote {args.output} (fitted parameters; not shown here)")
    if args.report:
        print(f"wrote {args.report} (fit report)")
