"""Every threshold exactly at, just below and just above its bound.

Expected statuses come from the documents (bounds with 不低于/不大于/不超过 include the number,
民法典 第1259条), and "just below/above" is the smallest step of the input's decimals, so
a checker comparing rounded floats, or excluding the bound, fails these tests.
"""

from fractions import Fraction

import pytest
from helpers_rules import outcome, village
from hypothesis import given, settings
from hypothesis import strategies as st

from suigeo.geo.rules import check

NO_EXTRAS = {
    "ancillary_gfa_m2": 0,
    "living_service_gfa_m2": 0,
    "ancillary_standalone_land_m2": 0,
    "strata_transfer_gfa_m2": 0,
}

VI = "village-industrial-2022"

CASES = [
    # (id, rule, base overrides, field, [(value, expected status) below, at, above])
    (
        "plot-ratio-5.0",
        "plot-ratio",
        {**NO_EXTRAS, "site_area_m2": 1000.02},
        "counted_gfa_m2",
        [(5000.09, "pass"), (5000.10, "pass"), (5000.11, "fail")],
    ),
    (
        "plot-ratio-3.0",
        "plot-ratio",
        {**NO_EXTRAS, "site_area_m2": 1000.02},
        "counted_gfa_m2",
        [(3000.05, "fail"), (3000.06, "pass"), (3000.07, "pass")],
    ),
    (
        "ancillary-30%",
        "ancillary-share",
        {**NO_EXTRAS, "site_area_m2": 1250.025, "counted_gfa_m2": 5000.10},
        "ancillary_gfa_m2",
        [(1500.02, "pass"), (1500.03, "pass"), (1500.04, "fail")],
    ),
    (
        "living-15%",
        "living-service-share",
        {
            **NO_EXTRAS,
            "site_area_m2": 1250.025,
            "counted_gfa_m2": 5000.10,
            "ancillary_gfa_m2": 1500.03,
        },
        "living_service_gfa_m2",
        [(750.014, "pass"), (750.015, "pass"), (750.016, "fail")],
    ),
    (
        "standalone-land-10%",
        "standalone-land-share",
        {**NO_EXTRAS, "site_area_m2": 1000.02, "counted_gfa_m2": 4000},
        "ancillary_standalone_land_m2",
        [(100.001, "pass"), (100.002, "pass"), (100.003, "fail")],
    ),
    (
        "strata-transfer-60%",
        "strata-transfer-share",
        {
            **NO_EXTRAS,
            "site_area_m2": 1250.025,
            "counted_gfa_m2": 5000.10,
            "ancillary_gfa_m2": 1500.03,
        },
        "strata_transfer_gfa_m2",
        [(2100.041, "pass"), (2100.042, "pass"), (2100.043, "fail")],
    ),
    (
        "strata-unit-500",
        "strata-min-unit",
        {},
        "strata_min_unit_m2",
        [(499.99, "fail"), (500, "pass"), (500.01, "pass")],
    ),
    (
        "strata-unit-300-exception",
        "strata-min-unit",
        {"strata_exception": True},
        "strata_min_unit_m2",
        [(299.99, "fail"), (300, "pass"), (300.01, "pass")],
    ),
    (
        "site-5ha",
        "site-area",
        {"central_urban": False},
        "site_area_m2",
        [(49999.99, "review"), (50000, "pass"), (50000.01, "pass")],
    ),
    (
        "site-3ha-central",
        "site-area",
        {"central_urban": True},
        "site_area_m2",
        [(29999.99, "review"), (30000, "pass"), (30000.01, "pass")],
    ),
]


@pytest.mark.parametrize(
    ("rule", "base", "fld", "value", "expected"),
    [
        pytest.param(rule, base, fld, v, exp, id=f"{cid}-{pos}")
        for cid, rule, base, fld, triple in CASES
        for pos, (v, exp) in zip(("below", "at", "above"), triple, strict=True)
    ],
)
def test_village_threshold(rule, base, fld, value, expected):
    status, _, reason = outcome(VI, village(**{**base, fld: value}), rule)
    assert status == expected, reason


@pytest.mark.parametrize(
    ("field_values", "rule", "expected"),
    [
        (
            {"policy_housing_units": 1000, "policy_small_dorm_units": 299},
            "policy-small-dorm-share",
            "fail",
        ),
        (
            {"policy_housing_units": 1000, "policy_small_dorm_units": 300},
            "policy-small-dorm-share",
            "pass",
        ),
        (
            {"policy_housing_units": 1000, "policy_small_dorm_units": 301},
            "policy-small-dorm-share",
            "pass",
        ),
        (
            {"policy_housing_units": 10, "policy_small_dorm_units": 3},
            "policy-small-dorm-share",
            "pass",
        ),
        (
            {
                "resettlement_residential_gfa_m2": 12345.67,
                "resettlement_rental_small_gfa_m2": 3086.4174,
            },
            "resettlement-small-rental-share",
            "fail",
        ),
        (
            {
                "resettlement_residential_gfa_m2": 12345.67,
                "resettlement_rental_small_gfa_m2": 3086.4175,
            },
            "resettlement-small-rental-share",
            "pass",
        ),
        (
            {
                "resettlement_residential_gfa_m2": 12345.67,
                "resettlement_rental_small_gfa_m2": 3086.4176,
            },
            "resettlement-small-rental-share",
            "pass",
        ),
    ],
)
def test_renewal_housing_thresholds(field_values, rule, expected):
    status, _, reason = outcome("renewal-housing-2022", {"id": "R1", **field_values}, rule)
    assert status == expected, reason


@pytest.mark.parametrize(
    ("industrial", "expected"),
    [(9999.9998, "pass"), (9999.9999, "pass"), (10000.0000, "fail")],
)
def test_mine_industrial_share_3_percent(industrial, expected):
    project = {
        "id": "M1",
        "mine_restored_area_m2": 333333.33,
        "mine_industrial_area_m2": industrial,
    }
    status, _, reason = outcome("north-mountain-2023", project, "mine-industrial-share")
    assert status == expected, reason


def test_plot_ratio_of_5000_10_on_1000_02_is_exactly_5():
    assert 5000.10 / 1000.02 > 5.0  # what naive float division says
    status, value, _ = outcome(
        VI, village(**NO_EXTRAS, site_area_m2=1000.02, counted_gfa_m2=5000.10), "plot-ratio"
    )
    assert status == "pass"
    assert value == 5.0


def test_in_principle_bound_with_special_process_is_review_not_fail():
    p = village(**NO_EXTRAS, site_area_m2=1000.02, counted_gfa_m2=6000, special_process=True)
    assert outcome(VI, p, "plot-ratio")[0] == "review"
    p = village(**NO_EXTRAS, site_area_m2=1000.02, counted_gfa_m2=2000, special_process=True)
    assert outcome(VI, p, "plot-ratio")[0] == "review"
    p = village(**NO_EXTRAS, site_area_m2=1000.02, counted_gfa_m2=6000, special_process=False)
    assert outcome(VI, p, "plot-ratio")[0] == "fail"


def test_living_service_share_is_of_total_not_of_ancillary():
    # 1000 of 10000 total is 10% of the total (pass) but 50% of the 2000 ancillary.
    p = village(
        **{
            **NO_EXTRAS,
            "site_area_m2": 2500,
            "counted_gfa_m2": 10000,
            "ancillary_gfa_m2": 2000,
            "living_service_gfa_m2": 1000,
        }
    )
    assert outcome(VI, p, "living-service-share")[:2] == ("pass", 0.1)


def test_strata_rules_not_applicable_without_subdivision():
    p = village(strata_transfer_gfa_m2=0, strata_min_unit_m2=None)
    assert outcome(VI, p, "strata-min-unit")[0] == "not_applicable"
    assert outcome(VI, p, "strata-transfer-share")[0] == "not_applicable"


import pandas as pd  # noqa: E402

cents = st.integers(min_value=1, max_value=10**9)
# Pairs (site, gfa) in cents: random, and on/next to the 3.0 and 5.0 bounds.
near_bound = st.builds(
    lambda s, k, d: (s, k * s + d),
    cents,
    st.sampled_from([3, 5]),
    st.integers(min_value=-1, max_value=1),
)
pairs = st.one_of(st.tuples(cents, st.integers(min_value=0, max_value=10**10)), near_bound)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(pairs, st.booleans()).map(lambda t: (*t[0], t[1])),
        min_size=1,
        max_size=300,
    )
)
def test_plot_ratio_matches_brute_force_fractions(rows):
    """Brute-force reference: the ratio of the two decimals (in cents) as an exact fraction.

    Many rows per call, so the vectorised path and the exact fallback are mixed.
    """
    table = pd.DataFrame(
        {
            "id": [f"P{i}" for i in range(len(rows))],
            "site_area_m2": [float(f"{s / 100:.2f}") for s, _, _ in rows],
            "counted_gfa_m2": [float(f"{g / 100:.2f}") for _, g, _ in rows],
            "special_process": [sp for _, _, sp in rows],
        }
    )
    expected = []
    for s, g, sp in rows:
        inside = Fraction(3) <= Fraction(g, s) <= Fraction(5)
        expected.append("pass" if inside else ("review" if sp else "fail"))
    frame = check(table, VI, as_of="2024-06-30").to_frame()
    got = frame.loc[frame["rule"] == "plot-ratio", "status"].astype(str).tolist()
    assert got == expected


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=2, max_value=10**8),
            st.fractions(min_value=0, max_value=Fraction(999, 1000)),
            st.integers(min_value=1, max_value=10**8),
        ),
        min_size=1,
        max_size=300,
    )
)
def test_transfer_share_matches_brute_force_fractions(rows):
    """The 60% of (total - ancillary) rule, including cancellation in the subtraction."""
    recs, expected = [], []
    for i, (total, anc_frac, tr) in enumerate(rows):
        anc = min(int(total * anc_frac), total - 1)
        tr = min(tr, total)
        expected.append("pass" if Fraction(tr, total - anc) <= Fraction(3, 5) else "fail")
        recs.append(
            {
                "id": f"P{i}",
                "counted_gfa_m2": float(f"{total / 100:.2f}"),
                "ancillary_gfa_m2": float(f"{anc / 100:.2f}"),
                "strata_transfer_gfa_m2": float(f"{tr / 100:.2f}"),
                "strata_min_unit_m2": 500,
            }
        )
    frame = check(pd.DataFrame(recs), VI, as_of="2024-06-30").to_frame()
    got = frame.loc[frame["rule"] == "strata-transfer-share", "status"].astype(str).tolist()
    assert got == expected
