"""The shipped rule-set files against the issue's contract and the documents' numbers."""

import datetime as dt
import re
from fractions import Fraction

import pytest

from suigeo.errors import InputError
from suigeo.geo.rules import load_ruleset, ruleset_names

# The input contract as issue 6 lists it, per rule set.
CONTRACT = {
    "village-industrial-2022": {
        "site_area_m2",
        "central_urban",
        "counted_gfa_m2",
        "ancillary_gfa_m2",
        "living_service_gfa_m2",
        "ancillary_standalone_land_m2",
        "special_process",
        "strata_min_unit_m2",
        "strata_exception",
        "strata_transfer_gfa_m2",
    },
    "renewal-housing-2022": {
        "policy_housing_units",
        "policy_small_dorm_units",
        "resettlement_residential_gfa_m2",
        "resettlement_rental_small_gfa_m2",
    },
    "north-mountain-2023": {"mine_restored_area_m2", "mine_industrial_area_m2"},
    "survey-update-2022": {"product", "scale", "area_class", "last_survey_date"},
}

# Every bound the documents set (shared/domain.md), as (rule set, rule, min, max).
BOUNDS = [
    ("village-industrial-2022", "site-area", "3", None),
    ("village-industrial-2022", "site-area", "5", None),
    ("village-industrial-2022", "ancillary-share", None, "0.3"),
    ("village-industrial-2022", "living-service-share", None, "0.15"),
    ("village-industrial-2022", "standalone-land-share", None, "0.1"),
    ("village-industrial-2022", "plot-ratio", "3", "5"),
    ("village-industrial-2022", "strata-min-unit", "500", None),
    ("village-industrial-2022", "strata-min-unit", "300", None),
    ("village-industrial-2022", "strata-transfer-share", None, "0.6"),
    ("renewal-housing-2022", "policy-small-dorm-share", "0.3", None),
    ("renewal-housing-2022", "resettlement-small-rental-share", "0.25", None),
    ("north-mountain-2023", "mine-industrial-share", None, "0.03"),
]


def test_the_four_rule_sets_ship():
    assert set(ruleset_names()) == set(CONTRACT)


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_fields_match_the_input_contract(name):
    assert CONTRACT[name] <= set(load_ruleset(name).fields)


@pytest.mark.parametrize(("name", "rule", "lo", "hi"), BOUNDS)
def test_bounds_are_the_documents_numbers_and_inclusive(name, rule, lo, hi):
    r = load_ruleset(name).rule(rule)
    want = (None if lo is None else Fraction(lo), None if hi is None else Fraction(hi))
    assert want in [(b.min, b.max) for b in r.bounds]
    assert all(b.min_inclusive and b.max_inclusive for b in r.bounds)  # 民法典 第1259条


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_every_rule_cites_its_document_and_has_chinese_text(name):
    rs = load_ruleset(name)
    for r in rs.rules:
        assert r.clause.startswith(rs.document_number)
        assert re.search(r"[\u4e00-\u9fff]", r.requirement)
        assert r.severity in ("mandatory", "in_principle", "preferred")


def test_clause_numbers_of_12hao():
    rs = load_ruleset("village-industrial-2022")
    clauses = {r.id: r.clause.removeprefix("穗府办规〔2022〕12号 ") for r in rs.rules}
    assert clauses["site-area"] == "(三)1"
    assert clauses["plot-ratio"] == "(十)"
    assert {clauses["ancillary-share"], clauses["standalone-land-share"]} == {"(九)"}
    assert clauses["strata-transfer-share"] == "(十三)"
    assert rs.rule("plot-ratio").severity == "in_principle"
    assert rs.rule("site-area").severity == "preferred"


@pytest.mark.parametrize(
    ("name", "effective", "expires"),
    [
        ("village-industrial-2022", dt.date(2022, 8, 22), dt.date(2025, 8, 21)),
        ("renewal-housing-2022", dt.date(2022, 5, 23), dt.date(2027, 5, 22)),
        ("north-mountain-2023", dt.date(2023, 12, 31), None),
        ("survey-update-2022", dt.date(2022, 10, 1), None),
    ],
)
def test_validity_dates(name, effective, expires):
    rs = load_ruleset(name)
    assert (rs.effective, rs.expires) == (effective, expires)
    assert rs.expiry_method


def test_survey_cycles_are_those_of_article_13():
    r = load_ruleset("survey-update-2022").rule("update-cycle")
    assert sorted(b.cycle_years for b in r.bounds) == [1, 1, 2, 3, 3, 5]


BAD_RULE = """
[ruleset]
name = "x"
version = "1"
document = "d"
document_number = "n"
issued = 2020-01-01
effective = 2020-01-01
[fields.a]
type = "area"
[[rules]]
id = "r"
clause = "n 1"
requirement = "要求"
quantity = "{quantity}"
severity = "mandatory"
[[rules.bounds]]
max = {bound}
"""


@pytest.mark.parametrize(
    ("quantity", "bound", "words"),
    [
        ("a / b", '"1"', "undeclared fields"),
        ("__import__('os')", '"1"', "not allowed"),
        ("a", "0.3", "decimal string"),
    ],
)
def test_malformed_rule_files_are_input_errors(tmp_path, quantity, bound, words):
    f = tmp_path / "x.toml"
    f.write_text(BAD_RULE.format(quantity=quantity, bound=bound), encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(words)):
        load_ruleset(f)


def test_a_custom_rule_file_by_path_works(tmp_path):
    from suigeo.geo.rules import check

    f = tmp_path / "x.toml"
    f.write_text(BAD_RULE.format(quantity="a / 2", bound='"1"'), encoding="utf-8")
    res = check({"id": "P", "a": 2.0}, load_ruleset(f), as_of="2024-01-01")
    assert res.to_frame()["status"].tolist() == ["pass"]
    res = check({"id": "P", "a": 2.02}, load_ruleset(f), as_of="2024-01-01")
    assert res.to_frame()["status"].tolist() == ["fail"]
