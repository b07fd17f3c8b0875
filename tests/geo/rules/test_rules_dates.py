"""Validity windows of each rule set and the survey update cycles.

Dates from the documents (shared/domain.md): 穗府办规〔2022〕12号 issued 2022-08-22, valid
3 years; 穗建规字〔2022〕7号 in force 2022-05-23, valid 5 years; 穗府办函〔2023〕73号 dated
2023-12-31, no expiry recorded; 广州市人民政府令第190号 in force 2022-10-01. The last valid
day follows Guangzhou's register of normative documents: start + N years - 1 day.
"""

import warnings

import pandas as pd
import pytest
from helpers_rules import outcome, village

from suigeo.geo.rules import NotInForceWarning, check

HOUSING = {"id": "R1", "policy_housing_units": 100, "policy_small_dorm_units": 30}
MINE = {"id": "M1", "mine_restored_area_m2": 1000, "mine_industrial_area_m2": 30}
SHEET = {"id": "S1", "product": "topographic_map", "scale": 2000, "last_survey_date": "2022-06-01"}


@pytest.mark.parametrize(
    ("ruleset", "project", "rule", "as_of", "expected"),
    [
        ("village-industrial-2022", village(), "plot-ratio", "2022-08-21", "not_in_force"),
        ("village-industrial-2022", village(), "plot-ratio", "2022-08-22", "pass"),
        ("village-industrial-2022", village(), "plot-ratio", "2025-08-21", "pass"),
        ("village-industrial-2022", village(), "plot-ratio", "2025-08-22", "expired"),
        ("renewal-housing-2022", HOUSING, "policy-small-dorm-share", "2022-05-22", "not_in_force"),
        ("renewal-housing-2022", HOUSING, "policy-small-dorm-share", "2022-05-23", "pass"),
        ("renewal-housing-2022", HOUSING, "policy-small-dorm-share", "2027-05-22", "pass"),
        ("renewal-housing-2022", HOUSING, "policy-small-dorm-share", "2027-05-23", "expired"),
        ("north-mountain-2023", MINE, "mine-industrial-share", "2023-12-30", "not_in_force"),
        ("north-mountain-2023", MINE, "mine-industrial-share", "2023-12-31", "pass"),
        ("north-mountain-2023", MINE, "mine-industrial-share", "2099-12-31", "pass"),
        ("survey-update-2022", SHEET, "update-cycle", "2022-09-30", "not_in_force"),
        ("survey-update-2022", SHEET, "update-cycle", "2022-10-01", "pass"),
    ],
)
def test_validity_window(ruleset, project, rule, as_of, expected):
    status, _, reason = outcome(ruleset, project, rule, as_of=as_of)
    assert status == expected, reason


def test_expired_result_says_the_date_and_keeps_the_value():
    status, value, reason = outcome(
        "village-industrial-2022", village(), "plot-ratio", as_of="2025-08-22"
    )
    assert status == "expired"
    assert value == 4.0
    assert "2025-08-21" in reason and "2025-08-22" in reason


def test_expired_fail_is_not_a_failure_but_not_a_success_either():
    p = village(counted_gfa_m2=600000)  # plot ratio 10
    with pytest.warns(NotInForceWarning, match="2022-08-22 .. 2025-08-21"):
        res = check(p, "village-industrial-2022", as_of="2025-08-22")
    assert not res.any_failed and not res.in_force
    res = check(p, "village-industrial-2022", as_of="2025-08-21")
    assert res.any_failed and res.in_force


# 穗府办规〔2022〕12号: issued and in force 2022-08-22, valid 3 years -> last day 2025-08-21.
@pytest.mark.parametrize(
    ("as_of", "in_force", "status"),
    [
        ("2022-08-21", False, "not_in_force"),  # the day before the first day
        ("2022-08-22", True, "pass"),  # the first day
        ("2025-08-21", True, "pass"),  # the last valid day (expiry day, inclusive)
        ("2025-08-22", False, "expired"),  # the day after
    ],
)
def test_in_force_flag_and_warning_at_the_edges(as_of, in_force, status):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if in_force:
            res = check(village(), "village-industrial-2022", as_of=as_of)
        else:
            with pytest.warns(NotInForceWarning) as rec:
                res = check(village(), "village-industrial-2022", as_of=as_of)
            msg = str(rec[0].message)
            assert as_of in msg and "2022-08-22" in msg and "2025-08-21" in msg
            state = "expired;" if status == "expired" else "not in force;"
            assert f"{as_of}: {state}" in msg
    assert res.in_force is in_force
    assert set(res.to_frame()["status"]) <= {status, "not_evaluable", "not_applicable", "pass"}
    assert (res.to_frame()["status"] == status).any()
    assert res.to_dict()["in_force"] is in_force
    assert (res.to_dict()["effective"], res.to_dict()["expires"]) == ("2022-08-22", "2025-08-21")


def test_allow_expired_gives_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = check(village(), "village-industrial-2022", as_of="2025-08-22", allow_expired=True)
    assert not res.in_force


def test_default_as_of_is_today():
    res = check(MINE, "north-mountain-2023")
    assert res.as_of == pd.Timestamp.today().date()


# --- survey update cycles (第十三条): due on the anniversary, overdue from the next day ---

CYCLES = [
    # product, scale, area_class, last survey, cycle years
    ("control_network", None, None, "2021-03-15", 3),
    ("cors_solution", None, None, "2023-03-15", 1),
    ("topographic_map", 500, "key", "2023-03-15", 1),
    ("topographic_map", 500, "other", "2022-03-15", 2),
    ("topographic_map", 2000, None, "2021-03-15", 3),
    ("topographic_map", 5000, None, "2019-03-15", 5),
]


@pytest.mark.parametrize(("product", "scale", "area_class", "last", "years"), CYCLES)
@pytest.mark.parametrize(("as_of", "expected"), [("2024-03-15", "pass"), ("2024-03-16", "fail")])
def test_update_cycles(product, scale, area_class, last, years, as_of, expected):
    row = {"id": "S", "product": product, "last_survey_date": last}
    for k, v in (("scale", scale), ("area_class", area_class)):
        if v is not None:
            row[k] = v
    status, value, reason = outcome("survey-update-2022", row, "update-cycle", as_of=as_of)
    assert status == expected, reason
    assert value == (pd.Timestamp(as_of) - pd.Timestamp(last)).days
    assert str(2024) + "-03-15" in reason


def test_cycle_from_29_february_is_due_28_february():
    row = {"id": "C", "product": "cors_solution", "last_survey_date": "2024-02-29"}
    assert outcome("survey-update-2022", row, "update-cycle", as_of="2025-02-28")[0] == "pass"
    assert outcome("survey-update-2022", row, "update-cycle", as_of="2025-03-01")[0] == "fail"


def test_survey_table_mixed_rows():
    table = pd.DataFrame(
        {
            "id": ["net3", "map10k", "map500", "nodate", "future"],
            "product": [
                "other",
                "topographic_map",
                "topographic_map",
                "cors_solution",
                "cors_solution",
            ],
            "scale": [None, 10000, 500, None, None],
            "area_class": [None, None, None, None, None],
            "last_survey_date": ["2020-01-01", "2020-01-01", "2020-01-01", None, "2025-01-01"],
        }
    )
    frame = check(table, "survey-update-2022", as_of="2024-06-30").to_frame().set_index("project")
    assert frame.loc["net3", "status"] == "not_applicable"  # e.g. a third-order network
    assert frame.loc["map10k", "status"] == "not_applicable"  # 1:10000 not listed
    assert frame.loc["map500", "status"] == "not_evaluable"  # key or other area unknown
    assert "area_class" in frame.loc["map500", "reason"]
    assert frame.loc["nodate", "status"] == "not_evaluable"
    assert "last_survey_date" in frame.loc["nodate", "reason"]
    assert frame.loc["future", "status"] == "not_evaluable"
