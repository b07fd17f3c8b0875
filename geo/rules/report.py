"""Text renderings of rule sets and check results (for the command line and scripts).

* :func:`render` -- a :class:`~geo.rules.check.CheckResult` as ``table``, ``json`` or ``csv``;
* :func:`describe` -- everything a rule set holds (document, dates, fields, rules, bounds);
* :func:`summary` -- one line per rule set.
"""

from __future__ import annotations

import io
import json

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv

from suigeo.geo.rules.check import CheckResult
from suigeo.geo.rules.ruleset import RuleSet
from suigeo.io.cells import neutralise_table

__all__ = ["FORMATS", "describe", "render", "summary"]

FORMATS = ("table", "json", "csv")


def render(result: CheckResult, fmt: str = "table") -> str:
    """The results as text.

    Parameters
    ----------
    result
        What :func:`geo.rules.check` returned.
    fmt
        ``table`` (for people: a head line with the counts, then one line per project and
        rule), ``json`` (the document of :meth:`CheckResult.to_dict`) or ``csv`` (the long
        table of :meth:`CheckResult.to_frame` with ``ruleset``, ``version`` and ``as_of``
        columns in front, without ``case``).
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if fmt == "json":
        return _json(result)
    frame = result.to_frame().drop(columns=["case"])
    rs = result.ruleset
    if fmt == "csv":
        frame.insert(0, "as_of", result.as_of.isoformat())
        frame.insert(0, "version", rs.version)
        frame.insert(0, "ruleset", rs.name)
        return _csv(frame)
    head = (
        f"# {rs.name} {rs.version} ({rs.document_number}), as of {result.as_of.isoformat()}: "
        + ", ".join(f"{k} {v}" for k, v in result.counts().items() if v)
        + ("" if result.in_force else " -- NOT IN FORCE on this date: nothing was checked")
    )
    cols = ["project", "rule", "clause", "status", "value", "unit", "bound_text", "reason"]
    frame["value"] = [("-" if v != v else f"{v:.15g}") for v in frame["value"]]
    frame["reason"] = frame["reason"].fillna("")
    body = frame[cols].to_string(index=False, na_rep="-") if len(frame) else "(no projects)"
    return head + "\n" + body + "\n"


def _json(result: CheckResult) -> str:
    """The document indented, each result on one line: the same JSON as ``json.dumps(doc,
    indent=1)`` for any parser, written by the C encoder (``indent`` forces the pure-Python
    one, about 3x slower on millions of results)."""
    doc = result.to_dict()
    results = doc.pop("results")
    head = json.dumps(doc, ensure_ascii=False, indent=1)[:-2]  # drop the closing "\n}"
    if not results:
        return head + ',\n "results": []\n}\n'
    body = ",\n  ".join(map(json.JSONEncoder(ensure_ascii=False).encode, results))
    return head + ',\n "results": [\n  ' + body + "\n ]\n}\n"


def _csv(frame: pd.DataFrame) -> str:
    """CSV written by Arrow (about 10x faster than ``DataFrame.to_csv`` on millions of
    rows); empty cells for missing values, quotes only where needed."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    plain = [
        pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type)
        for f in table.schema
    ]
    buf = io.BytesIO()
    table = neutralise_table(table.cast(pa.schema(plain)))  # no spreadsheet formulas
    pcsv.write_csv(table, buf, pcsv.WriteOptions(quoting_style="needed"))
    return buf.getvalue().decode("utf-8")


def summary(rs: RuleSet) -> str:
    """One line: name, version, document number, validity window, rule count, title."""
    until = rs.expires.isoformat() if rs.expires else "(no expiry)"
    return (
        f"{rs.name:<24} {rs.version:<15} {rs.document_number:<22} "
        f"{rs.effective.isoformat()} .. {until:<11} {len(rs.rules)} rules  {rs.title}"
    )


def describe(rs: RuleSet) -> str:
    """Everything a rule set holds: document, dates, validity, fields, and per rule its
    clause, requirement text, quantity, applicability, bounds, exemption and note."""
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
        alias = f" (also {', '.join(f.aliases)})" if f.aliases else ""
        out.append(f"  {f.name:<34} {f.type}{unit}{extra}{vals}{alias}: {f.description}")
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
    return "\n".join(out) + "\n"
