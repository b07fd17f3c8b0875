"""穗府办规〔2022〕12号 (七), (十), (十三): at, just below and just above each bound.

Facts (shared/domain.md, VILLAGE-IND-2022): (七) legacy construction land outside the 三旧
database offsets the village's reserved-land quota at 50 % of its area; (十) explicit height
limits prevail; (十三) no re-transfer within 5 years, and ancillary space may not be
subdivided on its own. The 5 years from day D end on
D + 5 years - 1 day (the rule set's convention for its own 3-year validity: 2022-08-22 ..
2025-08-21), so a re-transfer is allowed from D + 5 years.
"""

import datetime as dt

import pytest
from helpers_rules import outcome

from suigeo.geo.rules import check, load_ruleset

VI = "village-industrial-2022"


def test_clause_texts_are_labelled_paraphrases():
    rs = load_ruleset(VI)
    for rid, clause in [
        ("legacy-land-offset", "(七)"),
        ("height-limit", "(十)"),
        ("strata-no-retransfer", "(十三)"),
        ("strata-ancillary-alone", "(十三)"),
    ]:
        rule = rs.rule(rid)
        assert rule.clause == f"穗府办规〔2022〕12号 {clause}"
        assert rule.requirement.startswith("（释义，非原文）")
    assert "50%" in rs.rule("legacy-land-offset").requirement
    assert "5年" in rs.rule("strata-no-retransfer").requirement
    assert "不得单独分割转让" in rs.rule("strata-ancillary-alone").requirement


# (七): offset = legacy land x 1/2, computed exactly and compared with the recorded offset
@pytest.mark.parametrize(
    ("legacy", "offset", "status", "value"),
    [
        (2000.02, 1000.01, "pass", 1000.01),  # at: 2000.02 / 2 = 1000.01 exactly
        (2000.02, 1000.00, "fail", 1000.01),  # just below
        (2000.02, 1000.02, "fail", 1000.01),  # just above
        (0.3, 0.15, "pass", 0.15),  # decimals: 0.3 / 2 = 0.15 exactly
        ("3亩", 1000, "pass", 1000.0),  # 3 亩 = 2000 m²
        ("0.1亩", "0.05亩", "pass", 100 / 3),  # 200/3 m² -> 100/3 m², inexact floats
        ("0.1亩", 33.3333333333333, "fail", 100 / 3),
        (2000.02, None, "not_evaluable", 1000.01),  # the computed offset is still reported
        (0, 0, "not_applicable", 0.0),
    ],
)
def test_legacy_land_offset(legacy, offset, status, value):
    p = {"id": "L", "legacy_construction_land_m2": legacy, "quota_offset_m2": offset}
    got, v, reason = outcome(VI, p, "legacy-land-offset")
    assert got == status, reason
    assert v == pytest.approx(value, rel=1e-15)
    if status == "not_evaluable":
        assert "quota_offset_m2" in reason


# (十): a given height against a given limit, inclusive (从其规定: not above the limit)
@pytest.mark.parametrize(
    ("height", "limit", "status"),
    [
        (50, 50, "pass"),  # at
        (49.99, 50, "pass"),  # just below
        (50.01, 50, "fail"),  # just above
        ("50米", "50 m", "pass"),
        (100.000000000001, 100, "fail"),
        (80, 0, "not_applicable"),  # 0: no height limit set
        (80, None, "not_evaluable"),  # unknown whether a limit is set
        (None, 50, "not_evaluable"),
    ],
)
def test_height_limit(height, limit, status):
    p = {"id": "H", "building_height_m": height, "height_limit_m": limit}
    got, _, reason = outcome(VI, p, "height-limit")
    assert got == status, reason


# (十三): no re-transfer within 5 years of the transfer day
@pytest.mark.parametrize(
    ("first", "again", "status"),
    [
        ("2020-06-15", "2025-06-15", "pass"),  # D + 5 years: the first allowed day
        ("2020-06-15", "2025-06-14", "fail"),  # the last day of the 5 years
        ("2020-06-15", "2025-06-16", "pass"),
        ("2020-06-15", "2020-06-15", "fail"),
        ("2020-02-29", "2025-02-28", "pass"),  # 29 February -> 28 February
        ("2020-02-29", "2025-02-27", "fail"),
        ("2020-06-15", None, "not_applicable"),  # no re-transfer
        (None, "2025-06-15", "not_evaluable"),
        ("2020-06-15", "2019-01-01", "not_evaluable"),  # before the transfer
    ],
)
def test_strata_no_retransfer(first, again, status):
    p = {"id": "S", "strata_transfer_date": first, "strata_retransfer_date": again}
    got, value, reason = outcome(VI, p, "strata-no-retransfer")
    assert got == status, reason
    if status in ("pass", "fail"):
        assert value == (dt.date.fromisoformat(again) - dt.date.fromisoformat(first)).days
        assert "allowed from" in reason


def test_json_shows_the_limit_field():
    p = {"id": "H", "building_height_m": 51, "height_limit_m": 50}
    res = check(p, VI, as_of="2024-06-30")
    (row,) = [r for r in res.to_dict()["results"] if r["rule"] == "height-limit"]
    assert row["status"] == "fail" and row["value"] == 51
    assert row["bound"]["max"] == "height_limit_m" and row["bound"]["max_inclusive"] is True


# (十三): ancillary space may not be subdivided (and transferred) on its own: the ancillary
# GFA in strata units of ancillary space only must be 0 (1 亩 = 10000/15 m²)
@pytest.mark.parametrize(
    ("alone", "transfer", "status", "value"),
    [
        (0, 72000, "pass", 0.0),  # at the bound
        ("0平方米", 72000, "pass", 0.0),
        (0.01, 72000, "fail", 0.01),  # just above
        ("0.001亩", 72000, "fail", 10 / 15),
        (48000, 72000, "fail", 48000.0),  # all the ancillary GFA (its whole) on its own
        (None, 72000, "not_evaluable", float("nan")),
        (500, 0, "not_applicable", 500.0),  # no strata subdivision at all
    ],
)
def test_strata_ancillary_alone(alone, transfer, status, value):
    from helpers_rules import village

    p = village(ancillary_strata_alone_gfa_m2=alone, strata_transfer_gfa_m2=transfer)
    got, v, reason = outcome(VI, p, "strata-ancillary-alone")
    assert got == status, reason
    assert v == pytest.approx(value, rel=1e-15, nan_ok=True)
    if status == "not_evaluable":
        assert "ancillary_strata_alone_gfa_m2" in reason


def test_strata_ancillary_alone_cannot_exceed_the_ancillary_gfa():
    from helpers_rules import village

    from suigeo.errors import InputError

    with pytest.raises(InputError, match="larger than ancillary_gfa_m2"):
        outcome(VI, village(ancillary_strata_alone_gfa_m2=48000.5), "strata-ancillary-alone")
