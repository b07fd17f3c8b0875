"""``check_file(..., executor="dask")``: the rule checks of a large table, partition by partition.

Imported only when the Dask executor is asked for (:mod:`suigeo.geo.rules.check` never
imports Dask). The cluster, the tasks and the progress bar are those of every Dask executor
(:mod:`suigeo.io.cluster`).

How it runs
-----------
1. The client reads the table as the single-process executor does (:func:`read_input`: the
   same readers, checks and errors) and runs the checks that look at the whole table before
   any value is read, in the same order: column names and units, unknown fields, a table
   holding none of the rule set's fields, project ids present and unique. Each row keeps
   its data row and file line, so messages and rejects name the same rows.
2. The table is cut into partitions of ``partition_rows`` rows; one Dask task per partition
   validates its rows (:func:`prepare`) and checks them against every rule
   (:func:`check`): the single-process code on fewer rows. Every decision of the checker is
   made row by row, so a row's status, value, bound case and reason do not depend on the
   rows beside it.
3. The client concatenates the partitions' projects, rejects and outcomes in input order
   into one :class:`CheckResult`, identical to the single-process executor's; the reports,
   the exit status and the not-in-force logic are then the same code. With
   ``on_error="raise"`` the problems of all partitions are listed as the single-process
   engine lists them (the first ten in row order, then how many more).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import os
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from suigeo.errors import InputError
from suigeo.geo.rules.check import CheckResult, NotInForceWarning, RuleOutcome, check
from suigeo.geo.rules.inputs import (
    MAX_LISTED,
    Projects,
    _all_fields,
    _check_columns,
    _check_some_field,
    _file_lines,
    _file_rows,
    _ids,
    _resolve_headers,
    prepare,
    read_input,
)
from suigeo.geo.rules.ruleset import RuleSet
from suigeo.io.cluster import check_options, in_order, progress_bar, run_tasks, session

__all__ = ["DEFAULT_PARTITION_ROWS", "check_file_dask"]

log = logging.getLogger(__name__)

#: projects per partition
DEFAULT_PARTITION_ROWS = 20_000
_BAD_INPUT = "bad input:\n  "


@dataclass(frozen=True)
class _Shared:
    """What every task needs (sent to each worker once)."""

    ruleset: RuleSet
    as_of: dt.date
    area_system: str | int | None
    source: str
    on_error: str
    csv: bool = False  # each task also renders its rows of the CSV report


@dataclass
class _Part:
    """One partition's projects and outcomes, or (``on_error="raise"``) its problems; with
    a CSV report, its lines (the header, then its rows)."""

    projects: Projects | None
    outcomes: list[RuleOutcome]
    problems: list[str]
    n_problems: int = 0
    csv: str = ""


def _check_part(shared: _Shared, task: tuple[pd.DataFrame, np.ndarray, np.ndarray | None]) -> _Part:
    """The task: validate and check one partition (runs on a worker)."""
    frame, rows, lines = task
    frame.attrs["csv_rows"] = pd.Series(rows, index=frame.index)
    if lines is not None:
        frame.attrs["csv_lines"] = pd.Series(lines, index=frame.index)
    try:
        projects = prepare(
            frame,
            shared.ruleset,
            source=shared.source,
            area_system=shared.area_system,
            on_error=shared.on_error,
        )
    except InputError as exc:
        text = str(exc)
        if shared.on_error != "raise" or not text.startswith(_BAD_INPUT):
            raise
        listed = text[len(_BAD_INPUT) :].split("\n  ")
        more = 0
        if listed[-1].startswith("... and ") and listed[-1].endswith(" more problems"):
            more = int(listed.pop()[len("... and ") : -len(" more problems")])
        return _Part(None, [], listed, len(listed) + more)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotInForceWarning)
        result = check(projects, shared.ruleset, as_of=shared.as_of, allow_expired=True)
    text = ""
    if shared.csv:
        from suigeo.geo.rules.report import render

        text = render(result, "csv")  # row by row: the partitions' rows make the whole
    return _Part(projects, result.outcomes, [], csv=text)


def check_file_dask(
    path: str | os.PathLike[str],
    rs: RuleSet,
    *,
    as_of: dt.date,
    area_system: str | int | None,
    src: str | None,
    on_error: str,
    workers: int | None = None,
    memory_limit: str | None = None,
    scheduler: str | None = None,
    partition_rows: int | None = None,
    progress: bool | None = None,
    csv_report: str | os.PathLike[str] | None = None,
) -> CheckResult:
    """The Dask executor of :func:`suigeo.geo.rules.check_file` (see the module docstring).

    ``csv_report``: also write the CSV report (``render(result, "csv")``, byte for byte)
    there, atomically: each task renders its rows and the client writes them in input
    order as they come, so the report is neither built nor held whole on the client."""
    if on_error not in ("raise", "reject"):
        raise ValueError("on_error must be 'raise' or 'reject'")
    size = DEFAULT_PARTITION_ROWS if partition_rows is None else partition_rows
    check_options(
        workers=workers, memory_limit=memory_limit, scheduler=scheduler, partition_rows=size
    )
    source = str(path)
    table = read_input(path, src=src)
    line_offset = 1 if source.lower().endswith(".csv") else 0  # as check_file
    # the whole-table checks of prepare(), in its order, before any value is read
    resolved, _units = _resolve_headers(table, _all_fields(rs), source)
    _check_columns(resolved, _all_fields(rs), rs, source)
    _check_some_field(resolved, rs, source)
    lines = _file_lines(resolved, line_offset)
    rows = _file_rows(resolved)
    _ids(resolved, source, lines, rows)
    del resolved
    n = len(table)
    bounds = [(a, min(a + size, n)) for a in range(0, n, size)] or [(0, 0)]
    tasks = [(table.iloc[a:b], rows[a:b], None if lines is None else lines[a:b]) for a, b in bounds]
    table.attrs = {}
    log.info(
        "rules check on Dask: %d project(s) from %s against %s, %d partition(s)",
        n,
        source,
        rs.name,
        len(tasks),
    )
    shared = _Shared(rs, as_of, area_system, source, on_error, csv=csv_report is not None)
    parts: list[_Part] = []
    bar = progress_bar(progress, n, "rows")
    with contextlib.ExitStack() as stack:
        report = None
        if csv_report is not None:
            from suigeo.io.atomic import atomic_output

            tmp = stack.enter_context(atomic_output(csv_report, inputs=[path]))
            report = stack.enter_context(tmp.open("w", encoding="utf-8", newline=""))

        def add(part: _Part) -> None:
            if report is not None and not part.problems:
                text = part.csv
                if parts:  # the header once, from the first partition
                    text = text.split("\n", 1)[1] if "\n" in text else ""
                report.write(text)
                part.csv = ""
            parts.append(part)

        try:
            with session(scheduler, workers, memory_limit) as client:
                run_tasks(
                    client,
                    _check_part,
                    tasks,
                    in_order(add),
                    what="rules",
                    shared=shared,
                    weights=[b - a for a, b in bounds],
                    bar=bar,
                    dying=f" of {source!r}",
                )
        finally:
            if bar is not None:
                bar.close()
        del tasks
        _raise_problems(parts)
    return CheckResult(rs, as_of, _merge_projects(parts, source), _merge_outcomes(rs, parts))


def _raise_problems(parts: list[_Part]) -> None:
    """``on_error="raise"``: the partitions' problems listed as the single-process executor
    lists them (the first ten in row order, then how many more)."""
    problems = [p for part in parts for p in part.problems]
    if problems:
        total = sum(part.n_problems for part in parts)
        listed = problems[:MAX_LISTED]
        if total > MAX_LISTED:
            listed.append(f"... and {total - MAX_LISTED} more problems")
        raise InputError(_BAD_INPUT + "\n  ".join(listed))


def _merge_projects(parts: list[_Part], source: str) -> Projects:
    """The partitions' projects as one, in input order."""
    ps = [p.projects for p in parts if p.projects is not None]
    sizes = [len(p) for p in ps]

    def cat(arrays: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(arrays) if arrays else np.zeros(0)

    def filled(attr: str, fill: Any) -> dict[str, np.ndarray]:
        keys = list(dict.fromkeys(k for p in ps for k in getattr(p, attr)))
        return {
            k: cat(
                [
                    getattr(p, attr)[k] if k in getattr(p, attr) else np.full(m, fill, dtype=object)
                    for p, m in zip(ps, sizes, strict=True)
                ]
            )
            for k in keys
        }

    rejects = [p.rejects for p in ps if len(p.rejects)]
    scaled = {
        k: (cat([p.scaled[k][0] for p in ps]), fac) for k, (_raw, fac) in ps[0].scaled.items()
    }
    return dataclasses.replace(
        ps[0],
        ids=cat([p.ids for p in ps]),
        data={k: cat([p.data[k] for p in ps]) for k in ps[0].data},
        source=source,
        rows=cat([p.rows for p in ps]).astype(np.int64),
        notes=filled("notes", ""),
        rejects=pd.concat(rejects, ignore_index=True) if rejects else ps[0].rejects,
        exact=filled("exact", None),
        scaled=scaled,
    )


def _merge_outcomes(rs: RuleSet, parts: list[_Part]) -> list[RuleOutcome]:
    """Each rule's outcome over every partition, in input order (the client's rule objects)."""
    out = []
    for k, rule in enumerate(rs.rules):
        os_ = [p.outcomes[k] for p in parts if p.projects is not None]
        dues = [o.due for o in os_]
        out.append(
            RuleOutcome(
                rule,
                np.concatenate([o.status for o in os_]),
                np.concatenate([o.value for o in os_]),
                np.concatenate([o.case for o in os_]),
                np.concatenate([o.reason for o in os_]),
                sum(o.exact_rows for o in os_),
                None if any(d is None for d in dues) else np.concatenate(dues),  # type: ignore[arg-type]
            )
        )
    return out
