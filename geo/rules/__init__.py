"""Land-use rule checks: dated, clause-cited rule sets as data and a vectorised checker.

>>> from geo.rules import check, read_input
>>> res = check(read_input("parcels.csv"), "village-industrial-2022", as_of="2024-06-30")
... # doctest: +SKIP
>>> res.to_frame()  # one row per (project, rule): status, value, bound, clause, reason
... # doctest: +SKIP
"""

from suigeo.geo.rules.check import STATUSES, CheckResult, RuleOutcome, check, check_file
from suigeo.geo.rules.formula import Condition, FormulaError, Quantity
from suigeo.geo.rules.inputs import Projects, gk_zone_for_longitude, prepare, read_input
from suigeo.geo.rules.report import describe, render, summary
from suigeo.geo.rules.ruleset import Bound, Field, Rule, RuleSet, load_ruleset, ruleset_names

__all__ = [
    "STATUSES",
    "Bound",
    "CheckResult",
    "Condition",
    "Field",
    "FormulaError",
    "Projects",
    "Quantity",
    "Rule",
    "RuleOutcome",
    "RuleSet",
    "check",
    "check_file",
    "describe",
    "gk_zone_for_longitude",
    "load_ruleset",
    "prepare",
    "read_input",
    "render",
    "ruleset_names",
    "summary",
]
