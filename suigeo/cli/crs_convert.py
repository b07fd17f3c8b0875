"""``suigeo crs convert``: convert a whole file (CSV, GeoPackage, GeoJSON, GeoParquet)."""

from __future__ import annotations

import argparse
import sys

from suigeo.cli.crs import check_geoid, load_cli_params
from suigeo.cli.options import add_dask_options, add_text_options, dask_options

_EPILOG = """\
Examples:
  suigeo crs convert points.csv -o points_gk.csv --from CGCS2000 --to CGCS2000-3GK-CM114
  suigeo crs convert survey.csv -o survey.gpkg --from CGCS2000-3GK-CM114 --to CGCS2000 \\
      --x E --y N --rejects bad_rows.csv
  suigeo crs convert 控制点.xlsx -o gk.dat --from CGCS2000 --to CGCS2000-3GK-CM114
  suigeo crs convert 点号XY.csv -o out.csv --from CGCS2000-3GK-CM114 --to CGCS2000 \\
      --axis-order ne
  suigeo crs convert parcels.shp -o parcels_gk.shp --from CGCS2000 --to CGCS2000-3GK-CM114 \\
      --encoding gbk

Files: CSV/TXT/TSV (UTF-8, GBK or UTF-16: --encoding), Excel .xlsx/.xls (first sheet or
--sheet), 南方CASS .dat (点名,编码,东坐标,北坐标,高程, no header), Shapefile, GeoPackage
(--layer), GeoJSON, FlatGeobuf, GeoParquet, DXF (to DXF, plane systems).
Coordinate columns are detected from their names (lon/lat, longitude/latitude, lng/lat,
经度/纬度, E/N, easting/northing, 东坐标/北坐标, X/Y) unless --x/--y are given; X/Y are
east/north unless --axis-order ne (X = north). The height column only with --h. Converted
coordinate columns are renamed lon,lat or E,N (--keep-names keeps them). A run where every
row looks swapped writes nothing and exits 2 with the option to rerun with.
Every row read is either written or listed in the rejects file (default OUT with the
suffix .rejects.csv, written only when rows are rejected) with its row number (1 = first data
row after the header), column and reason: {reasons}.

Exit status: 0 when the file was converted (even with rejects, which are reported), 1 with
--strict when any row was rejected, 2 for bad input or usage (unreadable file, missing column,
unknown system, output = input).
"""


def register(group: argparse._SubParsersAction) -> None:
    """Add ``crs convert`` to the argument parser."""
    group.add_parser(
        "convert",
        help="convert a file of coordinates (CSV, GeoPackage, GeoJSON, GeoParquet)",
        description="Convert every row of a file between two coordinate systems.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        fill=_fill,
    )


def _fill(p: argparse.ArgumentParser) -> None:
    from suigeo.crs.batch import DEFAULT_CHUNK_ROWS, REASONS

    p.epilog = _EPILOG.format(reasons=", ".join(REASONS))
    p.add_argument(
        "input",
        metavar="IN",
        help="input file (.csv .txt .tsv .xlsx .dat(CASS) .shp .gpkg .geojson .fgb .parquet .dxf)",
    )
    p.add_argument("-o", "--output", metavar="OUT", required=True, help="output file")
    p.add_argument("--from", dest="src", metavar="SYSTEM", required=True, help="source system")
    p.add_argument("--to", dest="dst", metavar="SYSTEM", required=True, help="target system")
    p.add_argument("--x", metavar="COL", help="x column (longitude or easting)")
    p.add_argument("--y", metavar="COL", help="y column (latitude or northing)")
    p.add_argument("--h", metavar="COL", help="height column (never guessed)")
    p.add_argument(
        "--axis-order",
        choices=("en", "ne"),
        default="en",
        help="columns named X and Y: en (default) X = easting; ne: X = northing, Y = easting "
        "(the Chinese surveying convention: 点号,X,Y,H sheets)",
    )
    p.add_argument(
        "--keep-names",
        action="store_true",
        help="keep the coordinate columns' names (default: renamed to what they now hold: "
        "lon,lat or E,N)",
    )
    p.add_argument("--layer", metavar="NAME", help="layer inside a multi-layer GeoPackage")
    p.add_argument("--params", metavar="FILE", help="Guangzhou 2000 parameter file (TOML)")
    p.add_argument(
        "--geoid",
        metavar="FILE",
        help="quasi-geoid grid of height anomalies (GeoTIFF/GTX, metres) for ellipsoidal <-> "
        "normal heights (--h COL, e.g. --from CGCS2000 --to CGCS2000+H1985); rows outside "
        "the grid are rejected as outside_geoid",
    )
    p.add_argument("--rejects", metavar="FILE", help="rejects CSV (default OUT.rejects.csv)")
    p.add_argument(
        "--chunk-rows",
        metavar="N",
        type=_chunk_rows,
        default=DEFAULT_CHUNK_ROWS,
        help=f"rows converted at a time (default {DEFAULT_CHUNK_ROWS})",
    )
    p.add_argument("--strict", action="store_true", help="exit 1 if any row is rejected")
    add_dask_options(
        p,
        what="converts partitions in parallel (CSV/TSV or Parquet files or dataset folders in, "
        "a GeoParquet dataset, a folder of parts named OUT, out)",
        partition="rows per partition (1000000)",
    )
    add_text_options(p, bom=True)
    p.set_defaults(func=_convert, folder_outputs=_folders)


def _chunk_rows(text: str) -> int:
    """``--chunk-rows``: a whole number from 1 to MAX_CHUNK_ROWS (else a usage error, exit 2)."""
    from suigeo.crs.batch import MAX_CHUNK_ROWS

    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= n <= MAX_CHUNK_ROWS:
        raise argparse.ArgumentTypeError(f"{text} is not from 1 to {MAX_CHUNK_ROWS:,}")
    return n


def _convert(args: argparse.Namespace) -> int:
    from suigeo.crs import resolve
    from suigeo.crs.batch import convert_file

    src, dst = resolve(args.src), resolve(args.dst)
    mixed = args.h is not None and (src.height is None) != (dst.height is None)
    check_geoid(args.geoid, mixed, "the height column (--h COL)")
    summary = convert_file(
        args.input,
        args.output,
        src=src,
        dst=dst,
        x=args.x,
        y=args.y,
        h=args.h,
        params=load_cli_params(args.params, src, dst, heights=mixed and args.geoid is None),
        rejects=args.rejects,
        chunk_rows=args.chunk_rows,
        **_engine(args),
        axis_order=args.axis_order,
        keep_names=args.keep_names,
        layer=args.layer,
        **({"geoid": args.geoid} if args.geoid is not None else {}),
    )
    if summary.columns_detected:
        cols = ", ".join(f"{r}={c}" for r, c in zip("xy", summary.columns, strict=False))
        print(f"suigeo: columns detected: {cols} (use --x/--y to choose)", file=sys.stderr)
    print(summary.line())
    return 1 if args.strict and summary.rejected else 0


def _folders(args: argparse.Namespace) -> tuple[str, ...]:
    """With --executor dask, -o names a dataset folder (checked as such before any work)."""
    return ("output",) if args.dask_engine == "dask" else ()


def _engine(args: argparse.Namespace) -> dict:
    """The executor options of ``convert_file`` (the Dask ones only with --executor dask)."""
    dask = dask_options(args)
    return {"executor": "dask", **dask} if dask else {}
