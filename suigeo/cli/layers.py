"""``suigeo layers ...``: list, show, export the shipped planning layers; check user layers."""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from suigeo import layers
from suigeo.io.atomic import atomic_output
from suigeo.io.cells import neutralise_frame
from suigeo.layers.export import FORMATS, export
from suigeo.layers.validate import LayerValidationError, schemas


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``suigeo layers list|show|export|check|growth|nearest``."""
    p = sub.add_parser(
        "layers",
        help="the shipped planning layers (parks, towns, rail, forest parks, hubs)",
        epilog="Example: suigeo layers show meizhou_parks",
    )
    g = p.add_subparsers(dest="layers_command", metavar="SUBCOMMAND", required=True)

    lp = g.add_parser(
        "list",
        help="one line per layer: features, geometry, accuracy, sources",
        epilog="Example: suigeo layers list",
    )
    lp.set_defaults(func=_list)

    sp = g.add_parser(
        "show",
        help="the attribute table of one layer",
        epilog="Example: suigeo layers show rail_lines --full",
    )
    sp.add_argument("name", metavar="NAME", help=f"one of {', '.join(layers.LAYER_NAMES)}")
    sp.add_argument("--full", action="store_true", help="also show source, note and aliases")
    sp.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    sp.set_defaults(func=_show)

    ep = g.add_parser(
        "export",
        help="write a layer to GeoJSON, GeoPackage, GeoParquet or CSV",
        epilog="Example: suigeo layers export rail_stations -o st.gpkg --crs CGCS2000-3GK-CM114",
    )
    ep.add_argument("name", metavar="NAME")
    ep.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help=f"output file; format from the suffix ({', '.join(FORMATS)})",
    )
    ep.add_argument(
        "--crs",
        metavar="SYSTEM",
        default=None,
        help="target system (default CGCS2000 lon/lat); `suigeo crs list` names them",
    )
    ep.add_argument(
        "--params",
        metavar="FILE",
        default=None,
        help="parameter file for systems that need one (GZ2000)",
    )
    ep.add_argument(
        "--format",
        default=None,
        choices=sorted(set(FORMATS.values())),
        help="output format when the suffix does not tell it",
    )
    ep.set_defaults(func=_export)

    cp = g.add_parser(
        "check",
        help="validate a user layer against a schema; print every problem",
        epilog="Example: suigeo layers check my_roads.gpkg --schema roads",
    )
    cp.add_argument("file", metavar="FILE")
    cp.add_argument(
        "--schema",
        required=True,
        metavar="SCHEMA",
        help=f"{', '.join(schemas())} or a schema TOML file",
    )
    cp.add_argument("--layer", default=None, help="layer inside a multi-layer file")
    cp.add_argument(
        "--problems",
        metavar="CSV",
        default=None,
        help="also write the problems (file, index, feature, field, message) to this CSV",
    )
    cp.set_defaults(func=_check)

    gp = g.add_parser(
        "growth",
        help="annual growth each Meizhou park needs to reach its 2025 targets (附件2)",
        epilog="Example: suigeo layers growth",
    )
    gp.set_defaults(func=_growth)

    np_ = g.add_parser(
        "nearest",
        help="nearest rail station to each feature of a point layer (geodesic)",
        epilog="Example: suigeo layers nearest north8_towns --kind high_speed",
    )
    np_.add_argument("name", metavar="NAME", nargs="?", default="north8_towns")
    np_.add_argument(
        "--include-planned",
        action="store_true",
        help="also stations of lines under construction or planned (default: in service)",
    )
    np_.add_argument(
        "--kind",
        action="append",
        choices=["high_speed", "intercity", "conventional"],
        help="only stations on lines of this kind (repeatable)",
    )
    np_.set_defaults(func=_nearest)


def _list(args: argparse.Namespace) -> int:
    cat = layers.catalog()
    with pd.option_context("display.max_colwidth", 60, "display.width", 200):
        print(
            cat[
                ["name", "features", "geometry", "accuracy_min_m", "accuracy_max_m", "title"]
            ].to_string(index=False)
        )
    return 0


def _show(args: argparse.Namespace) -> int:
    df = layers.attribute_table(args.name, full=args.full)
    if args.csv:
        neutralise_frame(df).to_csv(sys.stdout, index=False)
    else:
        with pd.option_context(
            "display.max_columns", None, "display.width", 250, "display.max_colwidth", 80
        ):
            print(df.to_string(index=False))
    print(f"# {args.name}: {len(df)} features, CGCS2000 lon/lat (EPSG:4490)", file=sys.stderr)
    return 0


def _export(args: argparse.Namespace) -> int:
    out = export(args.name, args.output, crs=args.crs, params=args.params, fmt=args.format)
    print(f"wrote {out} ({args.name}, {args.crs or 'CGCS2000'})", file=sys.stderr)
    return 0


def _check(args: argparse.Namespace) -> int:
    try:
        gdf = layers.read(args.file, schema=args.schema, layer=args.layer)
    except LayerValidationError as exc:
        for p in exc.problems:
            print(p)
        if args.problems:
            with atomic_output(args.problems, inputs=[args.file, args.schema]) as tmp:
                neutralise_frame(exc.to_frame()).to_csv(tmp, index=False, encoding="utf-8")
        print(f"{args.file}: {len(exc.problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"{args.file}: {len(gdf)} features, valid against schema {args.schema}")
    return 0


def _growth(args: argparse.Namespace) -> int:
    g = layers.meizhou_growth()
    cols = ["id", "name_zh", "output_2020_yi", "output_2025_yi", "output_growth_pa"]
    cols += ["firms_over_1yi_growth_pa", "fai_growth_pa"]
    out = g[cols].copy()
    for c in cols[-3:]:
        out[c] = (out[c] * 100).map("{:.1f} %".format)
    with pd.option_context("display.width", 200):
        print(out.to_string(index=False))
    print("# (target / 2020) ** (1/5) - 1; source MEIZHOU-2022 附件2", file=sys.stderr)
    return 0


def _nearest(args: argparse.Namespace) -> int:
    status = None if args.include_planned else ("in_service",)
    res = layers.nearest_station(args.name, status=status, line_kinds=args.kind)
    out = pd.DataFrame(res.drop(columns="geometry"))
    out["distance_km"] = out["distance_km"].round(2)
    with pd.option_context("display.width", 200):
        print(out.to_string(index=False))
    print(
        "# geodesic distance on the CGCS2000 ellipsoid; station positions carry their own "
        "accuracy_m (station_accuracy_m)",
        file=sys.stderr,
    )
    return 0
