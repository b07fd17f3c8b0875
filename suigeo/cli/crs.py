"""``suigeo crs ...``: named systems and conversions."""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from suigeo.crs import Gz2000Params, System

_GROUP_EXAMPLES = """\
examples:
  suigeo crs list
  suigeo crs point --from CGCS2000 --to CGCS2000-3GK-CM114 113.3 23.1
  suigeo crs convert points.csv -o points_gk.csv --from CGCS2000 --to CGCS2000-3GK-CM114
  suigeo crs fit control.csv --model helmert4 --base gz2000-base.toml -o fitted.toml
  suigeo crs grid quasigeoid.isg -o quasigeoid.tif
Each subcommand's --help shows more."""

# Subcommands that live in their own modules (each exposes ``register(group)``).
_SUBCOMMAND_MODULES = (
    "suigeo.cli.crs_point",
    "suigeo.cli.crs_convert",
    "suigeo.cli.crs_fit",
    "suigeo.cli.crs_grid",
)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``crs`` command group (list, point, convert, fit) to the argument parser."""
    sub.add_parser(
        "crs",
        help="coordinate and height systems and conversions",
        description="Named coordinate and height systems, and conversions between them.",
        epilog=_GROUP_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        fill=_fill_group,
    )


def _fill_group(p: argparse.ArgumentParser) -> None:
    g = p.add_subparsers(dest="crs_command", metavar="SUBCOMMAND", required=True)
    lp = g.add_parser(
        "list",
        help="list the named coordinate and height systems",
        description="List the named systems: name, EPSG code, kind, area of use, notes.",
        epilog="Example: suigeo crs list",
    )
    lp.set_defaults(func=_list)
    for name in _SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(g)


_HEIGHT_HELP = """\
Heights: append a height system to a plane system with '+', on both sides:
  CGCS2000+H1985, CGCS2000-3GK-CM114+H1985, GZ2000+HGZ, EPSG:4547+5737 (5737 = H1985).
  HGZ = H1985 + offset from the parameter file's [height] table (default +4.256 m), or
  + a correction grid ([height] model = "grid").
  Bare systems carry ellipsoidal heights. A named height system and a bare one mix only
  with a height-anomaly model: --geoid FILE (a quasi-geoid grid PROJ reads; `suigeo crs
  grid` converts ISG/Surfer grids), or the parameter file's [height] geoid or fitted
  surface (`suigeo crs fit --model height-plane`): CGCS2000 h <-> CGCS2000+H1985 H.
Any EPSG code (EPSG:32650, 4547 ...) is accepted wherever a name is.
GZ2000 needs a parameter file: --params FILE or SUIGEO_GZ2000_PARAMS (`suigeo crs fit`
makes one from control points; crs/examples/gz2000-example.toml shows the format)."""


def _area(bounds: tuple[float, float, float, float]) -> str:
    w, s, e, n = bounds
    return f"{w:g}..{e:g}E {s:g}..{n:g}N"


def _list(args: argparse.Namespace) -> int:
    from suigeo import crs

    print(f"{'NAME':<20} {'EPSG':<10} {'KIND':<10} {'AREA OF USE (lon, lat)':<34} TITLE")
    for s in crs.systems():
        code = f"EPSG:{s.epsg}" if s.epsg is not None else "-"
        print(f"{s.name:<20} {code:<10} {s.kind:<10} {_area(s.area_of_use):<34} {s.title}")
        if s.note:
            print(f"{'':<20} note: {s.note}")
    print()
    print(_HEIGHT_HELP)
    return 0


def load_cli_params(
    path: str | None, *systems: System, heights: bool = False
) -> Gz2000Params | None:
    """The parameter set for a command: from ``--params``, else ``SUIGEO_GZ2000_PARAMS``
    when a system needs it (GZ2000, or HGZ heights, or ``heights``: ellipsoidal <-> normal
    heights without --geoid, whose anomaly the file's [height] may give); ``None`` when
    nothing needs one (so a stale environment variable does not stop other conversions).
    Warns on stderr when the file is the example.
    """
    from suigeo.crs.params import load_params

    needed = heights or any(
        s.needs_params or s.plane == "GZ2000" or s.height == "HGZ" for s in systems
    )
    if path is None and not needed:
        return None
    params = load_params(path, required=any(s.needs_params or s.plane == "GZ2000" for s in systems))
    if params is not None and params.kind == "example":
        print(
            f"suigeo: warning: {params.source} holds EXAMPLE parameters, not Guangzhou 2000; "
            "results are unfit for survey work",
            file=sys.stderr,
        )
    return params


def check_geoid(geoid: str | None, mixed: bool, height_given: str) -> None:
    """``--geoid`` is refused where it would not be used (nothing is ignored silently)."""
    if geoid is not None and not mixed:
        from suigeo.errors import InputError

        raise InputError(
            "--geoid converts ellipsoidal <-> normal heights: give "
            f"{height_given} and name a height system on one side only (e.g. --from "
            "CGCS2000 --to CGCS2000+H1985); here it would not be used"
        )
