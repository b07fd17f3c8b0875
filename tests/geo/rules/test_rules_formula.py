"""The formula grammar: whitelist parsing, exact values, and the float error bound."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from suigeo.geo.rules.formula import Condition, FormulaError, Quantity, decimal_fraction


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "a.b",
        "a ** 2",
        "a // b",
        "a % b",
        "a[0]",
        "(lambda: 1)()",
        "a if b else c",
        "'text'",
        "True",
        "a < b",
        "",
        "a +",
    ],
)
def test_quantity_grammar_rejects_everything_but_arithmetic(text):
    with pytest.raises(FormulaError):
        Quantity.parse(text)


@pytest.mark.parametrize("text", ["open('x')", "a.b > 1", "a < b < c", "x in y", "f(a)"])
def test_condition_grammar_rejects_calls_and_chains(text):
    with pytest.raises(FormulaError):
        Condition.parse(text)


def test_quantity_fields_and_exact_value():
    q = Quantity.parse("t / (a - b) * 100 + -0.5")
    assert q.fields == ("t", "a", "b")
    assert q.exact({"t": 2100.042, "a": 5000.10, "b": 1500.03}) == Fraction(119, 2)  # 60 - 0.5
    assert q.exact({"t": 1, "a": 2, "b": 2}) is None  # division by zero


def test_decimal_fraction_recovers_the_written_decimal():
    assert decimal_fraction(1000.02) == Fraction(100002, 100)
    assert Fraction(1000.02) != Fraction(100002, 100)  # the binary double is not 1000.02


def test_vectorised_evaluation_matches_elementwise_and_flags_division_by_zero():
    q = Quantity.parse("a / b")
    a = np.array([1.0, 2.0, 3.0, np.nan])
    b = np.array([4.0, 0.0, 0.5, 1.0])
    v, e = q.evaluate({"a": a, "b": b})
    assert v[0] == 0.25 and np.isnan(v[1]) and v[2] == 6.0 and np.isnan(v[3])
    assert np.isinf(e[1])


decimals = st.integers(min_value=-(10**12), max_value=10**12).map(lambda i: i / 1000)


@settings(max_examples=300, deadline=None)
@given(a=decimals, b=decimals, c=decimals, d=decimals)
def test_error_bound_covers_the_true_error(a, b, c, d):
    """The running error bound must contain |float - exact| (exact: Fractions of decimals)."""
    q = Quantity.parse("(a - b) / (c + d) * 3 - a * 0.1")
    data = {k: np.array([v]) for k, v in {"a": a, "b": b, "c": c, "d": d}.items()}
    v, e = q.evaluate(data)
    exact = q.exact({"a": a, "b": b, "c": c, "d": d})
    if exact is None or not np.isfinite(e[0]):
        return
    assert abs(Fraction(float(v[0])) - exact) <= Fraction(float(e[0]))


def test_condition_three_valued_logic():
    c_and = Condition.parse("x > 0 and flag")
    c_or = Condition.parse("x > 0 or flag")
    data = {"x": np.array([0.0, 1.0, 1.0, np.nan]), "flag": np.array([np.nan, np.nan, 1.0, 0.0])}
    t, k = c_and.evaluate(data, 4)
    assert k.tolist() == [True, False, True, True]  # x = 0 decides "and" without flag
    assert t[k].tolist() == [False, True, False]
    t, k = c_or.evaluate(data, 4)
    assert k.tolist() == [False, True, True, False]  # x = 1 decides "or" without flag
    assert t[k].tolist() == [True, True]


def test_condition_on_text_fields():
    c = Condition.parse('product == "topographic_map" and scale == 500')
    data = {
        "product": np.array(["topographic_map", "cors_solution", None], dtype=object),
        "scale": np.array([500.0, np.nan, 500.0]),
    }
    t, k = c.evaluate(data, 3)
    assert t.tolist()[:2] == [True, False] and k.tolist() == [True, True, False]


def test_undecidable_condition_is_not_evaluable_never_pass(tmp_path):
    from suigeo.geo.rules import check, load_ruleset

    f = tmp_path / "c.toml"
    f.write_text(
        """
[ruleset]
name = "c"
version = "1"
document = "d"
document_number = "n"
issued = 2020-01-01
effective = 2020-01-01
[fields.a]
type = "area"
[fields.b]
type = "area"
[[rules]]
id = "r"
clause = "n 1"
requirement = "要求"
quantity = "a"
severity = "mandatory"
applies_when = "a / b > 1"
[[rules.bounds]]
max = "10"
""",
        encoding="utf-8",
    )
    res = check({"id": "P", "a": 5, "b": 0}, load_ruleset(f), as_of="2024-01-01")
    row = res.to_frame().iloc[0]
    assert row["status"] == "not_evaluable" and "cannot be evaluated" in row["reason"]
