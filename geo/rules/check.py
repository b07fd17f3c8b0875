"""The vectorised checker: every rule of a rule set over every project at once.

Status of each (project, rule), decided in this order:

1. ``expired`` / ``not_in_force`` -- the rule is outside its validity on the as-of date (the
   measured value is still reported, the bound is not applied);
2. ``not_evaluable`` -- an input the rule needs is missing (the reason names the fields), or a
   denominator is zero; never a pass;
3. ``not_applicable`` -- the rule's condition is false (e.g. no strata subdivision);
4. ``pass`` when the bound holds; otherwise by severity: ``mandatory`` -> ``fail``;
   ``in_principle`` -> ``review`` if the exemption (e.g. ``special_process``) is claimed,
   else ``fail``; ``preferred`` -> ``review``.

Exact comparison
----------------
Quantities are computed in float64 with a rigorous forward error bound
(:meth:`geo.rules.formula.Quantity.evaluate`). A row whose float value lies within twice that
bound of a threshold is re-evaluated with :class:`fractions.Fraction` from the decimal digits
of its inputs and compared exactly with the bound (itself an exact decimal from the rule
file). All other rows are decided by the float comparison, which the error bound proves
correct. So 5000.10 m² on 1000.02 m² is exactly 5 and passes ``<= 5.0``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import warnings
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from suigeo.errors import InputError
from suigeo.geo.rules.formula import U, decimal_fraction
from suigeo.geo.rules.inputs import Projects, prepare, read_input
from suigeo.geo.rules.ruleset import Bound, Rule, RuleSet, load_ruleset

__all__ = [
    "STATUSES",
    "CheckResult",
    "NotInForceWarning",
    "RuleOutcome",
    "check",
    "check_file",
]

log = logging.getLogger(__name__)

STATUSES = (
    "pass",
    "fail",
    "review",
    "not_applicable",
    "not_evaluable",
    "expired",
    "not_in_force",
)
PASS, FAIL, REVIEW, NA, NE, EXPIRED, NOT_IN_FORCE = range(7)


class NotInForceWarning(UserWarning):
    """No rule of the set was in force on the as-of date: every result is ``expired`` or
    ``not_in_force``, so nothing was checked (see :attr:`CheckResult.in_force`)."""


@dataclass
class RuleOutcome:
    """Per-project arrays for one rule: status code, value, bound case, reason."""

    rule: Rule
    status: np.ndarray
    value: np.ndarray
    case: np.ndarray
    reason: np.ndarray
    exact_rows: int = 0
    due: np.ndarray | None = None


@dataclass
class CheckResult:
    """Results of one rule set over many projects on one as-of date."""

    ruleset: RuleSet
    as_of: dt.date
    projects: Projects
    outcomes: list[RuleOutcome] = field(default_factory=list)

    @property
    def in_force(self) -> bool:
        """True when at least one rule of the set was in force on the as-of date.

        False means nothing was checked: every result is ``expired`` (after the last valid
        day) or ``not_in_force`` (before the first day). Such a run is not a success:
        :func:`check` warns (:class:`NotInForceWarning`) and ``suigeo rules check`` exits 1,
        unless expired rules were asked for (``allow_expired=True``, ``--allow-expired``).
        """
        return any(_rule_in_force(o.rule, self.ruleset, self.as_of) for o in self.outcomes)

    def not_in_force_message(self) -> str:
        """One line saying that no rule was in force and the rule set's validity dates."""
        rs = self.ruleset
        until = rs.expires.isoformat() if rs.expires else "(no expiry)"
        when = "expired" if rs.expires is not None and self.as_of > rs.expires else "not in force"
        return (
            f"no rule of {rs.name} ({rs.document_number}) is in force on "
            f"{self.as_of.isoformat()}: {when}; valid {rs.effective.isoformat()} .. {until} "
            "(both days included); nothing was checked. Give --as-of YYYY-MM-DD (as_of=) "
            "inside the validity, or --allow-expired (allow_expired=True) to report anyway"
        )

    @property
    def any_failed(self) -> bool:
        """True when at least one (project, rule) result is ``fail``."""
        return any(bool((o.status == FAIL).any()) for o in self.outcomes)

    def counts(self) -> dict[str, int]:
        """Number of (project, rule) results per status."""
        total = np.zeros(len(STATUSES), np.int64)
        for o in self.outcomes:
            total += np.bincount(o.status, minlength=len(STATUSES))
        return {s: int(c) for s, c in zip(STATUSES, total, strict=True)}

    def to_frame(self) -> pd.DataFrame:
        """Long table: one row per (project, rule), projects in input order.

        Columns: project, rule, clause, severity, status, value, unit, bound_text, case
        (index of the bound case that applied, -1 none), reason. Text columns that repeat
        per rule are categoricals; ``value`` is rounded to 15 significant digits for
        display (the comparisons were made before, exactly).
        """
        outs = self.outcomes
        n, k = len(self.projects), len(outs)
        if k == 0:
            return pd.DataFrame(columns=_COLUMNS)

        def per_rule(values: list[str]) -> pd.Categorical:
            cats = list(dict.fromkeys(values))
            codes = np.array([cats.index(v) for v in values], np.int32)
            return pd.Categorical.from_codes(np.tile(codes, n), cats)

        texts = [b.text for o in outs for b in o.rule.bounds]
        offsets = np.cumsum([0] + [len(o.rule.bounds) for o in outs[:-1]])
        cases = np.stack([o.case for o in outs], axis=1)
        text_codes = np.where(cases >= 0, cases + offsets, len(texts)).ravel()
        bound_cats = list(dict.fromkeys([*texts, ""]))
        remap = np.array([bound_cats.index(t) for t in [*texts, ""]], np.int32)
        reasons = np.stack([self._reasons(o) for o in outs], axis=1).ravel()
        return pd.DataFrame(
            {
                "project": pd.Series(np.repeat(self.projects.ids, k), dtype=object),
                "rule": per_rule([o.rule.id for o in outs]),
                "clause": per_rule([o.rule.clause for o in outs]),
                "severity": per_rule([o.rule.severity for o in outs]),
                "status": pd.Categorical.from_codes(
                    np.stack([o.status for o in outs], axis=1).ravel(), STATUSES
                ),
                "value": _display(np.stack([o.value for o in outs], axis=1).ravel()),
                "unit": per_rule([o.rule.unit for o in outs]),
                "bound_text": pd.Categorical.from_codes(remap[text_codes], bound_cats),
                "case": cases.ravel(),
                "reason": pd.Series(reasons, dtype=object),
            }
        )

    def _reasons(self, o: RuleOutcome) -> np.ndarray:
        reason = o.reason
        if o.due is not None:
            reason = _cycle_reasons(o, self.as_of)
        for f in o.rule.quantity.fields:
            note = self.projects.notes.get(f)
            if note is not None:
                reason = reason.copy()
                for i in np.flatnonzero(note != ""):
                    reason[i] = f"{reason[i]}; {note[i]}" if reason[i] else note[i]
        return reason

    def to_dict(self) -> dict[str, Any]:
        """The JSON document: ruleset, version, as_of, document, validity and results."""
        rs = self.ruleset
        return {
            "ruleset": rs.name,
            "version": rs.version,
            "as_of": self.as_of.isoformat(),
            "document": f"{rs.document} {rs.document_number}",
            "effective": rs.effective.isoformat(),
            "expires": rs.expires.isoformat() if rs.expires else None,
            "in_force": self.in_force,
            "counts": self.counts(),
            "rejected_rows": int(self.projects.rejects["row"].nunique()),
            "results": self._result_dicts(),
        }

    def _result_dicts(self) -> list[dict[str, object]]:
        """One dict per (project, rule), built column-wise (no per-row DataFrame access)."""
        frame = self.to_frame()
        if len(frame) == 0:
            return []
        keys = ["project", "rule", "clause", "severity", "status", "value", "unit"]
        keys += ["bound_text", "reason"]
        cols = [frame[k].tolist() for k in keys]
        cols[keys.index("value")] = [None if v != v else v for v in cols[keys.index("value")]]
        # the bound case that applied: one shared dict per (rule, case), None when none did
        table = [b.as_dict() for o in self.outcomes for b in o.rule.bounds] + [None]
        offsets = np.cumsum([0] + [len(o.rule.bounds) for o in self.outcomes[:-1]])
        case = frame["case"].to_numpy()
        rule_pos = np.tile(np.arange(len(self.outcomes)), len(self.projects))
        idx = np.where(case >= 0, offsets[rule_pos] + case, len(table) - 1)
        cols.append([table[i] for i in idx.tolist()])
        keys.append("bound")
        return [dict(zip(keys, row, strict=True)) for row in zip(*cols, strict=True)]


_COLUMNS = [
    "project",
    "rule",
    "clause",
    "severity",
    "status",
    "value",
    "unit",
    "bound_text",
    "case",
    "reason",
]


def _display(v: np.ndarray) -> np.ndarray:
    """Round to 15 significant digits for display (comparisons are done before, exactly)."""
    out = v.astype(np.float64, copy=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.floor(np.log10(np.abs(out)))
    ok = np.isfinite(mag) & (mag < 14) & (mag > -300)
    scale = 10.0 ** (14 - mag[ok])
    out[ok] = np.round(out[ok] * scale) / scale
    return out


def _cycle_reasons(o: RuleOutcome, as_of: dt.date) -> np.ndarray:
    assert o.due is not None  # called for cycle rules only
    reason = o.reason.copy()
    has = ~np.isnat(o.due)
    day = np.datetime64(as_of, "D")
    for i in np.flatnonzero(has):
        # numpy days, not datetime.date: a due date may lie beyond the year 9999
        due = o.due[i].astype("datetime64[D]")
        late = int((day - due).astype(np.int64))
        state = f"overdue by {late} days" if late > 0 else "current"
        text = f"due {due}: {state}"
        reason[i] = f"{reason[i]}; {text}" if reason[i] else text
    return reason


# ------------------------------------------------------------------------------ engine


def check(
    projects: Projects | pd.DataFrame | dict,
    ruleset: RuleSet | str,
    *,
    as_of: dt.date | str | None = None,
    area_system: str | int | None = None,
    on_error: str = "raise",
    allow_expired: bool = False,
) -> CheckResult:
    """Check every project against every rule of ``ruleset`` on the ``as_of`` date.

    Parameters
    ----------
    projects
        A (Geo)DataFrame with one row per project, a dict for one project, or a
        :class:`~geo.rules.inputs.Projects` from :func:`~geo.rules.inputs.prepare`.
    ruleset
        A :class:`RuleSet` or the name of a shipped one (``suigeo rules list``).
    as_of
        The date the rules are judged on (default: today).
    area_system, on_error
        Passed to :func:`~geo.rules.inputs.prepare`.
    allow_expired
        When no rule of the set is in force on ``as_of`` (all ``expired`` or
        ``not_in_force``), :func:`check` warns with :class:`NotInForceWarning` and
        ``result.in_force`` is False; ``True`` accepts such a run without the warning.

    Warns
    -----
    NotInForceWarning
        Nothing was in force on ``as_of`` (unless ``allow_expired``); nothing was checked.

    Examples
    --------
    >>> r = check({"id": "P1", "site_area_m2": 1000.02, "counted_gfa_m2": 5000.10,
    ...            "special_process": False, "central_urban": True},
    ...           "village-industrial-2022", as_of="2024-06-30")
    >>> row = r.to_frame().set_index("rule").loc["plot-ratio"]
    >>> row["status"], float(row["value"])
    ('pass', 5.0)
    """
    rs = ruleset if isinstance(ruleset, RuleSet) else load_ruleset(ruleset)
    day = _as_of(as_of)
    if not isinstance(projects, Projects):
        projects = prepare(projects, rs, area_system=area_system, on_error=on_error)
    log.info(
        "rules check: %d project(s) from %s against %s (%d rules) as of %s",
        len(projects),
        projects.source,
        rs.name,
        len(rs.rules),
        day.isoformat(),
    )
    outcomes = [_check_rule(rule, rs, projects, day) for rule in rs.rules]
    result = CheckResult(rs, day, projects, outcomes)
    log.info(
        "rules check: %s",
        ", ".join(f"{n} {s}" for s, n in result.counts().items() if n) or "no results",
    )
    if len(projects.rejects):
        log.info("rules check: %d row(s) set aside as rejects", len(projects.rejects))
    if not allow_expired and not result.in_force:
        warnings.warn(result.not_in_force_message(), NotInForceWarning, stacklevel=2)
    return result


def check_file(
    path: str | os.PathLike[str],
    ruleset: RuleSet | str,
    *,
    as_of: dt.date | str | None = None,
    area_system: str | int | None = None,
    src: str | None = None,
    on_error: str = "raise",
    allow_expired: bool = False,
    executor: str = "memory",
    workers: int | None = None,
    memory_limit: str | None = None,
    scheduler: str | None = None,
    partition_rows: int | None = None,
    progress: bool | None = None,
    csv_report: str | os.PathLike[str] | None = None,
) -> CheckResult:
    """Read a project file or table and check it: :func:`read_input`, then :func:`check`.

    Error messages name the file, the row (and the file line for CSV), the project and the
    column. With ``on_error="reject"`` bad rows are set aside in ``result.projects.rejects``.

    Parameters
    ----------
    path
        A project ``.json``/``.toml`` or a table (``.csv``, ``.parquet``, ``.gpkg`` ...).
    ruleset, as_of
        As for :func:`check`.
    area_system
        Plane system for polygon areas (default: the CGCS2000 3-degree GK zone of each
        polygon), anything :func:`suigeo.crs.resolve` accepts.
    src
        System of a project file's GeoJSON geometry when the file names none (default
        CGCS2000 lon/lat).
    on_error
        ``"raise"`` or ``"reject"``, as for :func:`~geo.rules.inputs.prepare`.
    executor
        ``"memory"`` (default): this process. ``"dask"``: the table is validated and
        checked in partitions on a Dask cluster (:mod:`suigeo.geo.rules.dask_engine`;
        needs the ``dask`` extra), with the same result, rejects and errors.
    workers, memory_limit, scheduler, partition_rows, progress
        Dask executor only: the local cluster's worker processes (default: the cores, at
        most 4) and memory limit each (``"2GB"``), or the address of an existing cluster's
        scheduler; projects per partition (default 20,000); a progress bar on stderr
        (default: on a terminal).
    csv_report
        Dask executor only: also write the CSV report (``render(result, "csv")``, the same
        bytes) to this file, rendered by the workers and written in input order as the
        partitions come, never whole in memory (``rules check --format csv -o FILE``).

    Examples
    --------
    >>> res = check_file("parcels.csv", "village-industrial-2022", as_of="2024-06-30")
    ... # doctest: +SKIP
    """
    rs = ruleset if isinstance(ruleset, RuleSet) else load_ruleset(ruleset)
    from suigeo.io.cluster import engine_options  # standard library only: no Dask here

    if engine_options(
        executor,
        workers=workers,
        memory_limit=memory_limit,
        scheduler=scheduler,
        partition_rows=partition_rows,
        csv_report=csv_report,
    ):
        from suigeo.geo.rules.dask_engine import check_file_dask

        result = check_file_dask(
            path, rs, as_of=_as_of(as_of), area_system=area_system, src=src,
            on_error=on_error, workers=workers, memory_limit=memory_limit,
            scheduler=scheduler, partition_rows=partition_rows, progress=progress,
            csv_report=csv_report,
        )  # fmt: skip
        if not allow_expired and not result.in_force:
            warnings.warn(result.not_in_force_message(), NotInForceWarning, stacklevel=2)
        return result
    table = read_input(path, src=src)
    projects = prepare(
        table,
        rs,
        source=str(path),
        area_system=area_system,
        on_error=on_error,
        line_offset=1 if str(path).lower().endswith(".csv") else 0,  # the header line
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotInForceWarning)
        result = check(projects, rs, as_of=as_of, allow_expired=True)
    if not allow_expired and not result.in_force:
        warnings.warn(result.not_in_force_message(), NotInForceWarning, stacklevel=2)
    return result


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _as_of(as_of: dt.date | str | None) -> dt.date:
    if as_of is None:
        return dt.date.today()
    if isinstance(as_of, dt.datetime):
        return as_of.date()
    if isinstance(as_of, dt.date):
        return as_of
    try:
        if not _ISO_DATE.match(str(as_of)):  # fromisoformat also takes 2024-W26, 20240630
            raise ValueError(as_of)
        return dt.date.fromisoformat(str(as_of))
    except ValueError:
        raise InputError(f"as-of date {as_of!r} is not a date (YYYY-MM-DD)") from None


def _missing_mask(data: dict[str, np.ndarray], name: str) -> np.ndarray:
    c = data[name]
    if c.dtype == object:
        return np.array([x is None for x in c], bool)
    if np.issubdtype(c.dtype, np.datetime64):
        return np.isnat(c)
    return np.isnan(c)


def _name_missing(
    reason: np.ndarray, rows: np.ndarray, names, data: dict[str, np.ndarray]
) -> np.ndarray:
    """Set ``reason`` on ``rows`` to 'missing input: a, b' and return rows with any missing."""
    masks = [(f, rows & _missing_mask(data, f)) for f in names]
    masks = [(f, m) for f, m in masks if m.any()]
    any_missing = np.logical_or.reduce([m for _, m in masks]) if masks else np.zeros_like(rows)
    idx = np.flatnonzero(any_missing)
    if len(idx):
        listed = [[f for f, m in masks if m[i]] for i in idx]
        reason[idx] = ["missing input: " + ", ".join(fs) for fs in listed]
    return any_missing


def _unknown(reason, status, rows, text: str, data, fields) -> None:
    """Rows whose condition ``text`` cannot be decided: not_evaluable, naming the cause."""
    missing = _name_missing(reason, rows, fields, data)
    other = rows & ~missing  # e.g. a zero denominator inside the condition
    reason[other] = f"condition {text} cannot be evaluated (undefined value)"
    status[rows] = NE


def _check_rule(rule: Rule, rs: RuleSet, p: Projects, as_of: dt.date) -> RuleOutcome:
    n = len(p)
    data = p.data
    status = np.full(n, PASS, np.int8)
    reason = np.empty(n, dtype=object)  # None: nothing to say
    open_ = np.ones(n, bool)  # rows not yet decided

    if rule.applies_when is not None:
        t, k = rule.applies_when.evaluate(data, n)
        _unknown(reason, status, ~k, rule.applies_when.text, data, rule.applies_when.fields)
        status[k & ~t] = NA
        reason[k & ~t] = f"not applicable: {rule.applies_when.text} is false"
        open_ &= k & t

    case = _select_case(rule, data, n, open_, status, reason)
    open_ &= case >= 0

    if rule.kind == "cycle":
        value, due = _cycle(rule, data, case, open_, status, reason, as_of)
        exact_rows = 0
    elif rule.kind == "interval":
        value, due = _interval(rule, data, case, open_, status, reason), None
        exact_rows = 0
    else:
        value, exact_rows = _ratio(rule, p, case, open_, status, reason)
        due = None

    _apply_dates(rule, rs, as_of, status, reason)
    return RuleOutcome(rule, status, value, case, reason, exact_rows, due)


def _select_case(rule: Rule, data, n, open_, status, reason) -> np.ndarray:
    case = np.full(n, -1, np.int16)
    todo = open_.copy()
    for j, b in enumerate(rule.bounds):
        if b.when is None:
            case[todo] = j
            todo[:] = False
            break
        t, k = b.when.evaluate(data, n)
        blocked = todo & ~k
        _unknown(reason, status, blocked, b.when.text, data, b.when.fields)
        hit = todo & k & t
        case[hit] = j
        todo &= ~(hit | blocked)
    if todo.any():
        status[todo] = NA
        reason[todo] = (
            "not applicable: no case of the rule matches ("
            + " / ".join(b.text or (b.when.text if b.when else "") for b in rule.bounds)
            + ")"
        )
    return case


def _ratio(rule: Rule, p: Projects, case, open_, status, reason) -> tuple[np.ndarray, int]:
    data = p.data
    value, err = rule.quantity.evaluate(data, p.rel_err())
    value = np.broadcast_to(value, case.shape).astype(np.float64)
    err = np.broadcast_to(err, case.shape)
    missing = _name_missing(reason, open_, rule.quantity.fields, data)
    status[missing] = NE
    undefined = open_ & ~missing & ~np.isfinite(value)
    status[undefined] = NE
    reason[undefined] = f"undefined: a denominator of {rule.quantity.text} is zero"
    ok = open_ & ~missing & ~undefined
    exact_rows = 0
    passed = np.zeros(len(case), bool)
    for j, b in enumerate(rule.bounds):
        rows = ok & (case == j)
        if b.fields:  # a limit given per project (a height limit): missing -> not_evaluable
            lacking = _name_missing(reason, rows, b.fields, data)
            status[lacking] = NE
            ok &= ~lacking
            rows &= ~lacking
        if rows.any():
            good, k = _within(rule, b, value, err, rows, p)
            passed |= good
            exact_rows += k
    bad = ok & ~passed
    _violations(rule, data, bad, status, reason)
    return value, exact_rows


def _limits(b: Bound, p: Projects):
    """(float limit, its error bound, exact limit or field name, is_min, inclusive) of each
    side of bound ``b``: a constant from the rule file or a field of each project."""
    rel = p.rel_err()
    out: list[tuple[Any, Any, Fraction | str, bool, bool]] = []
    for lim, fname, is_min, incl in (
        (b.min, b.min_field, True, b.min_inclusive),
        (b.max, b.max_field, False, b.max_inclusive),
    ):
        if lim is not None:
            lf = float(lim)
            out.append((lf, abs(lf) * U, lim, is_min, incl))
        elif fname is not None:
            lv = p.data[fname]
            out.append((lv, np.abs(lv) * rel.get(fname, U), fname, is_min, incl))
    return out


def _within(rule: Rule, b: Bound, value, err, rows, p: Projects) -> tuple[np.ndarray, int]:
    """Rows (within ``rows``) that satisfy bound ``b``, deciding close calls exactly."""
    good = rows.copy()
    close = np.zeros(len(rows), bool)
    limits = _limits(b, p)
    for lf, lerr, _, is_min, incl in limits:
        with np.errstate(invalid="ignore"):
            near = rows & (np.abs(value - lf) <= 2.0 * (err + lerr + np.abs(lf) * U) + 1e-300)
            if is_min:
                fine = value >= lf if incl else value > lf
            else:
                fine = value <= lf if incl else value < lf
        close |= near
        good &= fine | near
    idx = np.flatnonzero(close)
    cols = {f: p.exact_cells(f, idx) for f in rule.quantity.fields}
    exact_limits = []
    for _, _, lim, is_min, incl in limits:
        if isinstance(lim, Fraction):
            exact_limits.append(([lim] * len(idx), is_min, incl))
        else:  # a field: each row's own limit, exactly
            cells = p.exact_cells(lim, idx)
            exact_limits.append(([_fraction(c) for c in cells], is_min, incl))
    for j, i in enumerate(idx):  # exact decision for the few rows near a threshold
        pair = rule.quantity.exact_ratio({f: c[j] for f, c in cols.items()})
        if pair is None:
            good[i] = False
            continue
        num, den = pair  # den > 0
        value[i] = num / den  # int / int is correctly rounded
        ok = True
        for lims, is_min, incl in exact_limits:  # num/den vs a/b, both denominators positive
            lhs, rhs = num * lims[j].denominator, lims[j].numerator * den
            if is_min:
                ok &= lhs >= rhs if incl else lhs > rhs
            else:
                ok &= lhs <= rhs if incl else lhs < rhs
        good[i] = ok
    return good, len(idx)


def _fraction(cell: float | Fraction) -> Fraction:
    return cell if isinstance(cell, Fraction) else decimal_fraction(cell)


def _violations(rule: Rule, data, bad, status, reason) -> None:
    if rule.severity == "mandatory":
        status[bad] = FAIL
        reason[bad] = "outside the bound"
    elif rule.severity == "preferred":
        status[bad] = REVIEW
        reason[bad] = "outside the preferred bound (preferred, not mandatory): review"
    else:
        if rule.exemption is None:
            status[bad] = FAIL
            reason[bad] = "outside the bound that applies in principle; no exemption defined"
            return
        ex = data[rule.exemption]
        claimed = bad & (ex == 1)
        unknown = bad & np.isnan(ex)
        status[bad & (ex == 0)] = FAIL
        reason[bad & (ex == 0)] = f"outside the bound (in principle); {rule.exemption} is false"
        status[claimed] = REVIEW
        reason[claimed] = (
            f"outside the bound (in principle); {rule.exemption} claimed: expert review"
        )
        status[unknown] = NE
        reason[unknown] = f"outside the bound (in principle); missing input: {rule.exemption}"


def _add_years(d: np.ndarray, years: int) -> np.ndarray:
    """Same calendar day ``years`` later; 29 February becomes 28 February."""
    month = d.astype("datetime64[M]")
    day = (d - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.timedelta64(12 * years, "M")
    dim = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    return target.astype("datetime64[D]") + np.minimum(day, dim - 1)


def _cycle(rule: Rule, data, case, open_, status, reason, as_of: dt.date):
    n = len(case)
    (date_field,) = rule.quantity.fields
    last = data[date_field]
    missing = _name_missing(reason, open_, (date_field,), data)
    status[missing] = NE
    day = np.datetime64(as_of, "D")
    future = open_ & ~missing & (last > day)
    status[future] = NE
    reason[future] = f"{date_field} is after the as-of date"
    ok = open_ & ~missing & ~future
    due = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    for j, b in enumerate(rule.bounds):
        assert b.cycle_years is not None  # every bound of a cycle rule is a cycle
        rows = ok & (case == j)
        due[rows] = _add_years(last[rows], int(b.cycle_years))
    value = np.where(ok, (day - last).astype("timedelta64[D]").astype(np.float64), np.nan)
    with np.errstate(invalid="ignore"):
        late = ok & (day > due)
    status[late] = FAIL if rule.severity == "mandatory" else REVIEW
    reason[late] = "overdue"
    return value, due


def _interval(rule: Rule, data, case, open_, status, reason) -> np.ndarray:
    """``kind = "interval"``: the later date (the quantity) must not fall within N years of
    the ``since`` date: the N years from day D end on D + N years - 1 day (the convention of
    the validity periods), so the later event may happen from D + N years on."""
    (later,) = rule.quantity.fields
    to, since = data[later], data[rule.since]
    none = open_ & np.isnat(to)
    status[none] = NA
    reason[none] = f"not applicable: no {later} given"
    rows = open_ & ~none
    missing = _name_missing(reason, rows, (rule.since,), data)
    status[missing] = NE
    ok = rows & ~missing
    backwards = ok & (to < since)
    status[backwards] = NE
    reason[backwards] = f"{later} is before {rule.since}"
    ok &= ~backwards
    earliest = np.full(len(case), np.datetime64("NaT"), dtype="datetime64[D]")
    for j, b in enumerate(rule.bounds):
        sel = ok & (case == j)
        assert b.cycle_years is not None  # a survey-cycle rule's bounds are all cycles
        earliest[sel] = _add_years(since[sel], int(b.cycle_years))
    value = np.where(ok, (to - since).astype("timedelta64[D]").astype(np.float64), np.nan)
    early = ok & (to < earliest)
    status[early] = FAIL if rule.severity == "mandatory" else REVIEW
    idx = np.flatnonzero(ok)
    if len(idx):
        when = np.datetime_as_string(to[idx]).astype(object)
        first = np.datetime_as_string(earliest[idx]).astype(object)
        state = np.where(early[idx], "too early", "allowed").astype(object)
        reason[idx] = f"{later} " + when + ": " + state + "; allowed from " + first
    return value


def _rule_in_force(rule: Rule, rs: RuleSet, as_of: dt.date) -> bool:
    eff = rule.effective or rs.effective
    exp = rule.expires or rs.expires
    return eff <= as_of and (exp is None or as_of <= exp)


def _apply_dates(rule: Rule, rs: RuleSet, as_of: dt.date, status, reason) -> None:
    eff = rule.effective or rs.effective
    exp = rule.expires or rs.expires
    if as_of < eff:
        status[:] = NOT_IN_FORCE
        reason[:] = (
            f"not in force on {as_of.isoformat()}: {rs.document_number} takes effect on "
            f"{eff.isoformat()}"
        )
    elif exp is not None and as_of > exp:
        status[:] = EXPIRED
        reason[:] = (
            f"expired on {as_of.isoformat()}: {rs.document_number} was valid until "
            f"{exp.isoformat()} (last valid day)"
        )
