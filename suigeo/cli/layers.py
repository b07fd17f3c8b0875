"""``suigeo layers ...``: list, show, export the shipped planning layers; check user layers."""

from __future__ import annotations

import argparse
import sys

from suigeo.cli.options import add_text_options

_GROUP_EXAMPLES = """\
examples:
  suigeo layers list
  suigeo layers show meizhou_parks
  suigeo layers export rail_stations -o stations.gpkg --to CGCS2000-3GK-CM114
  suigeo layers check my_roads.gpkg --schema roads --rejects rejects.csv
Each subcommand's --help shows more."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``suigeo layers list|show|export|check|growth|nearest``."""
    sub.add_parser(
        "layers",
        help="the shipped planning layers (parks, towns, rail, forest parks, hubs)",
        description="The shipped planning layers, and checks of your own layers.",
        epilog=_GROUP_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        fill=_fill_group,
    )


def _fill_group(p: argparse.ArgumentParser) -> None:
    g = p.add_subparsers(dest="layers_command", metavar="SUBCOMMAND", required=True)
    lp = g.add_parser(
        "list",
        help="one line per layer: features, geometry, accuracy, sources",
        epilog="Example: suigeo layers list",
    )
    lp.set_defaults(func=_list)
    g.add_parser(
        "show",
        help="the attribute table of one layer",
        epilog="Example: suigeo layers show rail_lines --full",
        fill=_fill_show,
    )
    g.add_parser(
        "export",
        help="write a layer to GeoJSON, GeoPackage, GeoParquet or CSV",
        epilog="Example: suigeo layers export rail_stations -o st.gpkg --to CGCS2000-3GK-CM114",
        fill=_fill_export,
    )
    g.add_parser(
        "check",
        help="validate a user layer against a schema; print every problem",
        epilog="Example: suigeo layers check my_roads.gpkg --schema roads --rejects rejects.csv",
        fill=_fill_check,
    )
    gp = g.add_parser(
        "growth",
        help="annual growth each Meizhou park needs to reach its 2025 targets (附件2)",
        epilog="Example: suigeo layers growth",
    )
    gp.set_defaults(func=_growth)
    g.add_parser(
        "nearest",
        help="nearest rail station to each feature of a point layer (geodesic)",
        epilog="Example: suigeo layers nearest north8_towns --kind high_speed",
        fill=_fill_nearest,
    )


def _fill_show(sp: argparse.ArgumentParser) -> None:
    from suigeo.layers.shipped import LAYER_NAMES

    sp.add_argument("name", metavar="NAME", help=f"one of {', '.join(LAYER_NAMES)}")
    sp.add_argument("--full", action="store_true", help="also show source, note and aliases")
    sp.add_argument(
        "--format",
        choices=("table", "csv"),
        default="table",
        help="report format: an aligned table (default) or CSV",
    )
    sp.set_defaults(func=_show)


def _fill_export(ep: argparse.ArgumentParser) -> None:
    from suigeo.layers.export import FORMATS

    ep.add_argument("name", metavar="NAME", help="shipped layer name (suigeo layers list)")
    ep.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help=f"output file; format from the suffix ({', '.join(FORMATS)})",
    )
    ep.add_argument(
        "--to",
        dest="dst",
        metavar="SYSTEM",
        default=None,
        help="target system (default CGCS2000 lon/lat); `suigeo crs list` names them",
    )
    ep.add_argument(
        "--params",
        metavar="FILE",
        default=None,
        help="Guangzhou 2000 parameter file, for systems that need one (GZ2000)",
    )
    ep.set_defaults(func=_export)


def _fill_check(cp: argparse.ArgumentParser) -> None:
    from suigeo.layers.validate import schemas

    cp.add_argument("file", metavar="FILE", help="your layer (GeoPackage, GeoJSON, Shapefile...)")
    cp.add_argument(
        "--schema",
        required=True,
        metavar="SCHEMA",
        help=f"{', '.join(schemas())} or a schema TOML file",
    )
    cp.add_argument("--layer", default=None, help="layer inside a multi-layer file (GeoPackage)")
    cp.add_argument(
        "--rejects",
        metavar="FILE",
        default=None,
        help="also write every problem (file, index, feature, field, message) to this CSV",
    )
    add_text_options(cp)
    cp.set_defaults(func=_check)


def _fill_nearest(np_: argparse.ArgumentParser) -> None:
    np_.add_argument(
        "name",
        metavar="NAME",
        nargs="?",
        default="north8_towns",
        help="shipped point layer (default north8_towns)",
    )
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
    import pandas as pd

    from suigeo import layers

    cat = layers.catalog()
    with pd.option_context("display.max_colwidth", 60, "display.width", 200):
        print(
            cat[
                ["name", "features", "geometry", "accuracy_min_m", "accuracy_max_m", "title"]
            ].to_string(index=False)
        )
    return 0


def _show(args: argparse.Namespace) -> int:
    import pandas as pd

    from suigeo import layers
    from suigeo.io.cells import neutralise_frame

    df = layers.attribute_table(args.name, full=args.full)
    if args.format == "csv":
        neutralise_frame(df).to_csv(sys.stdout, index=False)
    else:
        with pd.option_context(
            "display.max_columns", None, "display.width", 250, "display.max_colwidth", 80
        ):
            print(df.to_string(index=False))
    print(f"# {args.name}: {len(df)} features, CGCS2000 lon/lat (EPSG:4490)", file=sys.stderr)
    return 0


def _export(args: argparse.Namespace) -> int:
    from suigeo.layers.export import export

    out = export(args.name, args.output, dst=args.dst, params=args.params)
    print(f"wrote {out} ({args.name}, {args.dst or 'CGCS2000'})", file=sys.stderr)
    return 0


def _check(args: argparse.Namespace) -> int:
    from suigeo import layers
    from suigeo.layers.validate import LayerValidationError

    try:
        gdf = layers.read(args.file, schema=args.schema, layer=args.layer)
    except LayerValidationError as exc:
        for p in exc.problems:
            print(p)
        if args.rejects:
            from suigeo.io.rejects import write_rejects

            write_rejects(exc.to_rejects(), args.rejects, inputs=[args.file, args.schema])
        print(f"{args.file}: {len(exc.problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"{args.file}: {len(gdf)} features, valid against schema {args.schema}")
    return 0


def _growth(args: argparse.Namespace) -> int:
    import pandas as pd

    from suigeo import layers

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
    import pandas as pd

    from suigeo import layers

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
