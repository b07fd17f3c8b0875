"""Rule sets as data: load the TOML files beside this module into typed objects.

One file per rule set beside this module (``geo/rules/*.toml``); ``--ruleset`` and
:func:`load_ruleset` also take the path of a file of the same format.

File format
-----------
``[ruleset]``
    ``name``, ``version`` (document date plus suigeo's data revision, ``2022-08-22.r2``),
    ``title``, ``document``, ``document_number``, ``issued``, ``effective`` (first day in
    force), ``expires`` (last valid day, inclusive; absent when the document has no term),
    ``validity`` and ``expiry_method`` (how the dates were derived, cited), ``input``.
``[fields.NAME]``
    One per input field: ``type`` (``area``, ``count``, ``bool``, ``text``, ``date``),
    ``unit``, ``description``, and optional ``positive``, ``part_of`` (a field this one is
    a part of, so a share over 100 % is refused), ``from_geometry`` (computed from a
    polygon when absent), ``values`` (the allowed texts) and ``aliases`` (other headers
    that mean this field, e.g. ``用地面积``; with a unit in brackets, ``用地面积（公顷）``).
``[[rules]]``
    ``id``, ``clause``, ``requirement`` (Chinese), ``quantity`` (a formula over field
    names, see :mod:`suigeo.geo.rules.formula`), ``unit``, ``severity`` (``mandatory``,
    ``in_principle``, ``preferred``), optional ``applies_when`` (a condition) and
    ``exemption`` (a bool field), ``note``, and ``kind = "cycle"`` for survey update
    cycles, ``kind = "interval"`` with ``since`` (an earlier date field) for "not before N
    years after" rules such as 12号 (十三)'s re-transfer (default a ratio).
``[[rules.bounds]]``
    One or more cases per rule, each with an optional ``when`` condition, ``min`` / ``max``
    as exact decimal strings (or ``cycle_years``), ``min_inclusive`` / ``max_inclusive``
    (default true: 不低于 / 不大于 / 不超过 / 以上 / 以下 include the number, 民法典
    第1259条) and the ``text`` shown in reports. Conditions select the case:
    ``central_urban`` picks 3 ha or 5 ha, ``strata_exception`` picks 300 m² or 500 m².

``suigeo rules show NAME`` prints a rule set in full.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

from suigeo.errors import InputError
from suigeo.geo.rules.formula import Condition, FormulaError, Quantity
from suigeo.io.documents import load_toml

__all__ = [
    "FIELD_TYPES",
    "SEVERITIES",
    "Bound",
    "Field",
    "Rule",
    "RuleSet",
    "load_ruleset",
    "ruleset_names",
]

RULESET_DIR = Path(__file__).parent
SEVERITIES = ("mandatory", "in_principle", "preferred")
FIELD_TYPES = ("area", "length", "count", "bool", "text", "date")
KINDS = ("ratio", "cycle", "interval")


@dataclass(frozen=True)
class Field:
    """An input field: name, type (area/count/bool/text/date), unit and constraints."""

    name: str
    type: str
    unit: str = ""
    description: str = ""
    positive: bool = False
    part_of: str | None = None
    from_geometry: bool = False
    values: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bound:
    """One bound case of a rule: applies ``when`` (None: always); min/max exact decimals."""

    when: Condition | None
    min: Fraction | None = None
    max: Fraction | None = None
    min_inclusive: bool = True
    max_inclusive: bool = True
    cycle_years: int | None = None
    text: str = ""
    min_field: str | None = None
    max_field: str | None = None

    @property
    def fields(self) -> tuple[str, ...]:
        """The fields that give this bound's limits per project (``min_field``/``max_field``)."""
        return tuple(dict.fromkeys(f for f in (self.min_field, self.max_field) if f))

    def as_dict(self) -> dict[str, object]:
        """The bound as JSON: ``{"cycle_years": N}`` or min/max with their inclusivity (a
        limit given per project shows as the name of its field)."""
        if self.cycle_years is not None:
            return {"cycle_years": self.cycle_years}
        lo = self.min_field if self.min is None else float(self.min)
        hi = self.max_field if self.max is None else float(self.max)
        return {
            "min": lo,
            "min_inclusive": self.min_inclusive if lo is not None else None,
            "max": hi,
            "max_inclusive": self.max_inclusive if hi is not None else None,
        }


@dataclass(frozen=True)
class Rule:
    """One checkable requirement of a document clause."""

    id: str
    clause: str
    requirement: str
    quantity: Quantity
    unit: str
    severity: str
    bounds: tuple[Bound, ...]
    kind: str = "ratio"
    applies_when: Condition | None = None
    exemption: str | None = None
    effective: dt.date | None = None
    expires: dt.date | None = None
    note: str = ""
    since: str | None = None

    @property
    def fields(self) -> tuple[str, ...]:
        """Every input field the rule may read (quantity, conditions, limits, exemption)."""
        out: list[str] = []
        conds = [self.applies_when] + [b.when for b in self.bounds]
        groups = [self.quantity.fields] + [c.fields for c in conds if c is not None]
        groups += [b.fields for b in self.bounds]
        for names in groups:
            out += [n for n in names if n not in out]
        for extra in (self.exemption, self.since):
            if extra and extra not in out:
                out.append(extra)
        return tuple(out)


@dataclass(frozen=True)
class RuleSet:
    """A dated, versioned set of rules from one document."""

    name: str
    version: str
    title: str
    document: str
    document_number: str
    issued: dt.date
    effective: dt.date
    expires: dt.date | None
    validity: str
    expiry_method: str
    input: str
    fields: dict[str, Field]
    rules: tuple[Rule, ...]
    path: Path

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id (``KeyError`` if there is none)."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


def ruleset_names() -> list[str]:
    """Names of the shipped rule sets (the TOML file stems), sorted."""
    return sorted(p.stem for p in RULESET_DIR.glob("*.toml"))


def load_ruleset(name_or_path: str | os.PathLike[str]) -> RuleSet:
    """Load a shipped rule set by name, or a rule-set TOML file by path.

    Raises :class:`suigeo.errors.InputError` for an unknown name or a malformed file (naming
    the file, the rule and the key).
    """
    p = Path(name_or_path)
    if p.suffix.lower() != ".toml":
        p = RULESET_DIR / f"{name_or_path}.toml"
        if not p.is_file():
            raise InputError(
                f"unknown rule set {str(name_or_path)!r}; shipped rule sets: "
                f"{', '.join(ruleset_names())} (or give a path to a rule-set .toml file)"
            )
    elif not p.exists():
        raise InputError(f"rule-set file {str(p)!r} does not exist")
    return _load(p.resolve())


@lru_cache(maxsize=32)
def _load(path: Path) -> RuleSet:
    doc = load_toml(path, what="rule set")  # size, file type and nesting checked
    where = str(path)
    try:
        return _build(doc, path)
    except (KeyError, TypeError, ValueError, FormulaError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"{where}: {type(exc).__name__}: {exc}") from None


def _date(v: object, what: str) -> dt.date | None:
    if v is None:
        return None
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return v
    raise ValueError(f"{what} must be a TOML date (YYYY-MM-DD), got {v!r}")


def _required_date(v: object, what: str) -> dt.date:
    d = _date(v, what)
    if d is None:
        raise ValueError(f"{what} must be a TOML date (YYYY-MM-DD), got {v!r}")
    return d


def _build(doc: dict, path: Path) -> RuleSet:
    head = doc["ruleset"]
    fields = {}
    for fname, spec in doc.get("fields", {}).items():
        if spec.get("type") not in FIELD_TYPES:
            raise ValueError(f"field {fname!r}: type must be one of {FIELD_TYPES}")
        fields[fname] = Field(
            name=fname,
            type=spec["type"],
            unit=spec.get("unit", ""),
            description=spec.get("description", ""),
            positive=bool(spec.get("positive", False)),
            part_of=spec.get("part_of"),
            from_geometry=bool(spec.get("from_geometry", False)),
            values=tuple(spec.get("values", ())),
            aliases=tuple(spec.get("aliases", ())),
        )
    rules = tuple(_rule(r, fields) for r in doc.get("rules", []))
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate rule ids in {ids}")
    return RuleSet(
        name=head["name"],
        version=str(head["version"]),
        title=head.get("title", ""),
        document=head["document"],
        document_number=head["document_number"],
        issued=_required_date(head["issued"], "issued"),
        effective=_required_date(head["effective"], "effective"),
        expires=_date(head.get("expires"), "expires"),
        validity=head.get("validity", ""),
        expiry_method=head.get("expiry_method", ""),
        input=head.get("input", "projects"),
        fields=fields,
        rules=rules,
        path=path,
    )


def _fraction(v: object, what: str) -> Fraction | None:
    if v is None:
        return None
    if not isinstance(v, str):
        raise ValueError(f'{what} must be a decimal string such as "0.30" (exact), got {v!r}')
    return Fraction(v)


def _rule(r: dict, fields: dict[str, Field]) -> Rule:
    rid = r["id"]
    kind = r.get("kind", "ratio")
    severity = r["severity"]
    if kind not in KINDS:
        raise ValueError(f"rule {rid!r}: kind must be one of {KINDS}")
    if severity not in SEVERITIES:
        raise ValueError(f"rule {rid!r}: severity must be one of {SEVERITIES}")
    bounds = tuple(
        Bound(
            when=Condition.parse(b["when"]) if b.get("when") else None,
            min=_fraction(b.get("min"), f"rule {rid!r} min"),
            max=_fraction(b.get("max"), f"rule {rid!r} max"),
            min_inclusive=bool(b.get("min_inclusive", True)),
            max_inclusive=bool(b.get("max_inclusive", True)),
            cycle_years=b.get("cycle_years"),
            text=b.get("text", ""),
            min_field=b.get("min_field"),
            max_field=b.get("max_field"),
        )
        for b in r["bounds"]
    )
    if not bounds:
        raise ValueError(f"rule {rid!r} has no bounds")
    for b in bounds:
        if kind in ("cycle", "interval") and not isinstance(b.cycle_years, int):
            raise ValueError(f"rule {rid!r}: a {kind} bound needs an integer cycle_years")
        if kind == "ratio" and b.min is None and b.max is None and not b.fields:
            raise ValueError(f"rule {rid!r}: a bound needs min and/or max (or min_field/max_field)")
        if (b.min is not None and b.min_field) or (b.max is not None and b.max_field):
            raise ValueError(f"rule {rid!r}: give min or min_field (max or max_field), not both")
    if kind == "interval" and not r.get("since"):
        raise ValueError(f"rule {rid!r}: an interval rule needs since (the earlier date field)")
    rule = Rule(
        id=rid,
        clause=r["clause"],
        requirement=r["requirement"],
        quantity=Quantity.parse(r["quantity"]),
        unit=r.get("unit", ""),
        severity=severity,
        bounds=bounds,
        kind=kind,
        applies_when=Condition.parse(r["applies_when"]) if r.get("applies_when") else None,
        exemption=r.get("exemption"),
        effective=_date(r.get("effective"), f"rule {rid!r} effective"),
        expires=_date(r.get("expires"), f"rule {rid!r} expires"),
        note=r.get("note", ""),
        since=r.get("since"),
    )
    unknown = [f for f in rule.fields if f not in fields]
    if unknown:
        raise ValueError(f"rule {rid!r} uses undeclared fields {unknown}")
    return rule
