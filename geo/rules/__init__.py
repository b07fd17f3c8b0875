"""Land-use rule checks: dated, clause-cited rule sets as data and a vectorised checker.

Examples
--------
A 4 ha site meets the preferred site area (三)1 of 穗府办规〔2022〕12号 in the central
urban area (at least 3 ha) but not elsewhere (at least 5 ha), where it goes to review; the
rules whose inputs are missing are ``not_evaluable``, never a pass:

>>> from suigeo.geo.rules import check
>>> project = {"id": "P1", "site_area_m2": 40000, "central_urban": False}
>>> res = check(project, "village-industrial-2022", as_of="2024-06-30")
>>> res.to_frame().set_index("rule").loc["site-area", ["status", "bound_text"]].tolist()
['review', '>= 5 ha']
>>> res.counts()["not_evaluable"], res.any_failed
(9, False)
>>> res = check({**project, "central_urban": True}, "village-industrial-2022", as_of="2024-06-30")
>>> res.to_frame().set_index("rule").loc["site-area", ["status", "bound_text"]].tolist()
['pass', '>= 3 ha (central urban area)']

The public names are imported when first used (:mod:`suigeo._lazy`).
"""

from typing import TYPE_CHECKING

from suigeo._lazy import lazy_package

if TYPE_CHECKING:
    from suigeo.geo.rules.check import (
        STATUSES,
        CheckResult,
        NotInForceWarning,
        RuleOutcome,
        check,
        check_file,
    )
    from suigeo.geo.rules.formula import Condition, FormulaError, Quantity
    from suigeo.geo.rules.inputs import Projects, gk_zone_for_longitude, prepare, read_input
    from suigeo.geo.rules.parcels import ParcelResult, check_parcels
    from suigeo.geo.rules.report import describe, render, summary
    from suigeo.geo.rules.ruleset import Bound, Field, Rule, RuleSet, load_ruleset, ruleset_names

__all__ = [
    "STATUSES",
    "Bound",
    "CheckResult",
    "Condition",
    "Field",
    "FormulaError",
    "NotInForceWarning",
    "ParcelResult",
    "Projects",
    "Quantity",
    "Rule",
    "RuleOutcome",
    "RuleSet",
    "check",
    "check_file",
    "check_parcels",
    "describe",
    "gk_zone_for_longitude",
    "load_ruleset",
    "prepare",
    "read_input",
    "render",
    "ruleset_names",
    "summary",
]

lazy_package(
    __name__,
    {
        "STATUSES": "suigeo.geo.rules.check",
        "CheckResult": "suigeo.geo.rules.check",
        "RuleOutcome": "suigeo.geo.rules.check",
        "check": "suigeo.geo.rules.check",
        "check_file": "suigeo.geo.rules.check",
        "NotInForceWarning": "suigeo.geo.rules.check",
        "ParcelResult": "suigeo.geo.rules.parcels",
        "check_parcels": "suigeo.geo.rules.parcels",
        "Condition": "suigeo.geo.rules.formula",
        "FormulaError": "suigeo.geo.rules.formula",
        "Quantity": "suigeo.geo.rules.formula",
        "Projects": "suigeo.geo.rules.inputs",
        "gk_zone_for_longitude": "suigeo.geo.rules.inputs",
        "prepare": "suigeo.geo.rules.inputs",
        "read_input": "suigeo.geo.rules.inputs",
        "describe": "suigeo.geo.rules.report",
        "render": "suigeo.geo.rules.report",
        "summary": "suigeo.geo.rules.report",
        "Bound": "suigeo.geo.rules.ruleset",
        "Field": "suigeo.geo.rules.ruleset",
        "Rule": "suigeo.geo.rules.ruleset",
        "RuleSet": "suigeo.geo.rules.ruleset",
        "load_ruleset": "suigeo.geo.rules.ruleset",
        "ruleset_names": "suigeo.geo.rules.ruleset",
    },
)
