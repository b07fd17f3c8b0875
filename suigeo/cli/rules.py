"""``suigeo rules ...``: list, show and check the land-use rule sets (geo.rules)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from crs.atomic import atomic_output
from geo.rules import check, load_ruleset, prepare, read_input, ruleset_names

CHECK_EXAMPLE = """\
Examples:
  suigeo rules check project.json --ruleset village-industrial-2022 --as-of 2024-06-30
  suigeo rules check parcels.gpkg --ruleset village-industrial-2022 --format csv -o out.csv
  suigeo rules check sheets.csv --ruleset survey-update-2022 --format json

Exit status: 0 nothing failed, 1 at least one rule failed, 2 bad input or usage
(and 2 when --rejects set rows aside)."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "rules",
        help="land-use ratio and survey-cycle rule checks",
        epilog="Example: suigeo rules check project.json --ruleset village-industrial-2022",
    )
    g = p.add_subparsers(dest="rules_command", metavar="SUBCOMMAND", required=True)
    lp = g.add_parser(
        "list", help="list the shipped rule sets", epilog="Example: suigeo rules list"
    )
    lp.set_defaults(func=_list)
    sp = g.add_parser(
        "show",
        help="show a rule set: document, dates, fields and rules",
        epilog="Example: suigeo rules show village-industrial-2022",
    )
    sp.add_argument("name", metavar="NAME", help="rule set name or path to a rule-set .toml")
    sp.set_defaults(func=_show)
    cp = g.add_parser(
        "check",
        help="check projects (a project file or a table) against a rule set",
        epilog=CHECK_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cp.add_argument(
        "input", metavar="INPUT", help="project .json/.toml or table .csv/.parquet/.gpkg/..."
    )
    cp.add_argument("--ruleset", required=True, metavar="NAME", help="rule set (rules list)")
    cp.add_argument("--as-of", metavar="YYYY-MM-DD", help="date the rules are judged on (today)")
    cp.add_argument("--format", choices=("table", "json", "csv"), default="table")
    cp.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    cp.add_argument(
        "--area-crs",
        metavar="SYSTEM",
        help="plane CRS for polygon areas (default: CGCS2000 3-degree GK zone of each polygon)",
    )
    cp.add_argument(
        "--input-crs",
        metavar="SYSTEM",
        help="CRS of a project file's GeoJSON geometry (default CGCS2000 lon/lat)",
    )
    cp.add_argument(
        "--rejects",
        metavar="FILE",
        help="write bad rows here (CSV with reasons) and check the others, instead of stopping",
    )
    cp.set_defaults(func=_check)


def _list(args: argparse.Namespace) -> int:
    for name in ruleset_names():
        rs = load_ruleset(name)
        until = rs.expires.isoformat() if rs.expires else "(no expiry)"
        print(
            f"{rs.name:<24} {rs.version:<15} {rs.document_number:<22} "
            f"{rs.effective.isoformat()} .. {until:<11} {len(rs.rules)} rules  {rs.title}"
        )
    return 0


def _show(args: argparse.Namespace) -> int:
    rs = load_ruleset(args.name)
    until = rs.expires.isoformat() + " (last valid day)" if rs.expires else "(no expiry recorded)"
    out = [
        f"{rs.name}  version {rs.version}",
        f"  {rs.title}",
        f"  document: {rs.document} {rs.document_number}",
        f"  issued {rs.issued.isoformat()}; in force from {rs.effective.isoformat()} until {until}",
        f"  validity: {rs.validity}",
        f"  expiry: {rs.expiry_method}",
        f"  input: {rs.input}; file: {rs.path}",
        "fields:",
    ]
    for f in rs.fields.values():
        unit = f" [{f.unit}]" if f.unit else ""
        extra = f" (part of {f.part_of})" if f.part_of else ""
        vals = f" one of {', '.join(f.values)}" if f.values else ""
        out.append(f"  {f.name:<34} {f.type}{unit}{extra}{vals}: {f.description}")
    out.append("rules:")
    for r in rs.rules:
        out.append(f"  {r.id}  [{r.severity}]  {r.clause}")
        out.append(f"    {r.requirement}")
        out.append(f"    quantity: {r.quantity.text} [{r.unit}]")
        if r.applies_when:
            out.append(f"    applies when: {r.applies_when.text}")
        for b in r.bounds:
            when = f"when {b.when.text}: " if b.when else ""
            out.append(f"    bound: {when}{b.text}")
        if r.effective or r.expires:
            eff = r.effective.isoformat() if r.effective else rs.effective.isoformat()
            exp = r.expires.isoformat() if r.expires else "(rule set)"
            out.append(f"    in force: {eff} .. {exp}")
        if r.exemption:
            out.append(f"    exemption: {r.exemption} -> review")
        if r.note:
            out.append(f"    note: {r.note}")
    print("\n".join(out))
    return 0


def _check(args: argparse.Namespace) -> int:
    rs = load_ruleset(args.ruleset)
    path = Path(args.input)
    table = read_input(path, input_crs=args.input_crs)
    projects = prepare(
        table,
        rs,
        source=str(path),
        area_crs=args.area_crs,
        on_error="reject" if args.rejects else "raise",
        line_offset=1 if path.suffix.lower() == ".csv" else 0,
    )
    result = check(projects, rs, as_of=args.as_of)
    text = _render(result, args.format)
    inputs = [path]
    if args.output:
        with atomic_output(args.output, inputs=inputs) as tmp:
            tmp.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    status = 1 if result.any_failed else 0
    rejects = projects.rejects
    if args.rejects:
        with atomic_output(args.rejects, inputs=inputs) as tmp:
            rejects.to_csv(tmp, index=False)
        if len(rejects):
            print(
                f"suigeo: {rejects['row'].nunique()} row(s) of {path} set aside in "
                f"{args.rejects} with their reasons",
                file=sys.stderr,
            )
            status = 2
    return status


def _render(result, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(result.to_dict(), ensure_ascii=False, indent=1) + "\n"
    frame = result.to_frame().drop(columns=["case"])
    if fmt == "csv":
        frame.insert(0, "as_of", result.as_of.isoformat())
        frame.insert(0, "version", result.ruleset.version)
        frame.insert(0, "ruleset", result.ruleset.name)
        return frame.to_csv(index=False)
    rs = result.ruleset
    head = (
        f"# {rs.name} {rs.version} ({rs.document_number}), as of {result.as_of.isoformat()}: "
        + ", ".join(f"{k} {v}" for k, v in result.counts().items() if v)
    )
    cols = ["project", "rule", "clause", "status", "value", "unit", "bound_text", "reason"]
    frame["value"] = [("-" if v != v else f"{v:.15g}") for v in frame["value"]]
    frame["reason"] = frame["reason"].fillna("")
    body = frame[cols].to_string(index=False, na_rep="-") if len(frame) else "(no projects)"
    return head + "\n" + body + "\n"
