"""Land-use rule checks: dated, clause-cited rule sets as data and a vectorised checker.

>>> from geo.rules import check
>>> res = check("projects.csv-as-DataFrame", "village-industrial-2022")  # doctest: +SKIP
"""

from geo.rules.check import STATUSES, CheckResult, RuleOutcome, check
from geo.rules.formula import Condition, FormulaError, Quantity
from geo.rules.inputs import Projects, gk_zone_for_longitude, prepare, read_input
from geo.rules.ruleset import Bound, Field, Rule, RuleSet, load_ruleset, ruleset_names

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
    "gk_zone_for_longitude",
    "load_ruleset",
    "prepare",
    "read_input",
    "ruleset_names",
]
