"""A tiny, safe expression language for rule quantities and applicability conditions.

Rule files hold formulas as text (``counted_gfa_m2 / site_area_m2``). They are parsed with
:mod:`ast` and every node is checked against a whitelist; nothing is ever passed to
``eval``. Two grammars:

* **quantity**: field names, decimal numbers, ``+ - * /``, unary minus and parentheses;
* **condition**: quantities compared with ``< <= > >= == !=``, string literals (for text
  fields such as ``product == "topographic_map"``), bare field names (true when the value is
  true / non-zero), ``and``, ``or``, ``not`` and parentheses.

Evaluation is vectorised over numpy arrays (one element per project). A quantity is evaluated
in binary floating point together with a rigorous forward error bound (running error
analysis, unit round-off u = 2**-53 per operation), so a caller can tell which rows lie so
close to a threshold that the float comparison could be wrong, and re-evaluate only those
rows exactly with :class:`fractions.Fraction` from the inputs' decimal digits
(:meth:`Quantity.exact`). See :mod:`geo.rules.check` for the comparison.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import numpy as np

__all__ = ["Condition", "FormulaError", "Quantity", "decimal_fraction"]

U = 2.0**-53  # unit round-off of IEEE double, round to nearest


class FormulaError(ValueError):
    """A formula in a rule file is not in the allowed grammar."""


def decimal_fraction(x: float) -> Fraction:
    """The exact rational value of the decimal number a double was read from.

    ``repr`` gives the shortest decimal string that reads back as the same double, which is
    the digits the user wrote for any input with at most 15 significant digits (1000.02 ->
    ``Fraction(50001, 50)``, not the binary neighbour 1000.0199999999999818...).
    """
    return Fraction(repr(float(x)))


def decimal_ratio(x: float) -> tuple[int, int]:
    """``decimal_fraction(x)`` as a ``(numerator, denominator)`` pair (faster, not reduced)."""
    return Decimal(repr(float(x))).as_integer_ratio()


_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_CMPOPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}


def _parse(text: str) -> ast.expr:
    if not isinstance(text, str) or not text.strip():
        raise FormulaError(f"empty formula {text!r}")
    if len(text) > 500:
        raise FormulaError("formula longer than 500 characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"cannot parse formula {text!r}: {exc.msg}") from None
    return tree.body


def _number(node: ast.Constant, text: str) -> tuple[float, Fraction]:
    v = node.value
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise FormulaError(f"only numbers are allowed as constants in {text!r}, not {v!r}")
    src = ast.get_source_segment(text.strip(), node) or repr(v)
    return float(v), Fraction(src)


@dataclass(frozen=True)
class _Node:
    op: str  # "field", "const", "neg", "+", "-", "*", "/"
    args: tuple = ()
    name: str = ""
    value: float = 0.0
    exact: Fraction = Fraction(0)


def _build_arith(node: ast.expr, text: str) -> _Node:
    if isinstance(node, ast.Name):
        return _Node("field", name=node.id)
    if isinstance(node, ast.Constant):
        v, ex = _number(node, text)
        return _Node("const", value=v, exact=ex)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _build_arith(node.operand, text)
        return inner if isinstance(node.op, ast.UAdd) else _Node("neg", (inner,))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return _Node(
            _BINOPS[type(node.op)],
            (_build_arith(node.left, text), _build_arith(node.right, text)),
        )
    raise FormulaError(
        f"{type(node).__name__} is not allowed in quantity {text!r}: use field names, numbers, "
        "+ - * / and parentheses"
    )


def _fields(node: _Node, out: list[str]) -> list[str]:
    if node.op == "field" and node.name not in out:
        out.append(node.name)
    for a in node.args:
        _fields(a, out)
    return out


@dataclass(frozen=True)
class Quantity:
    """A parsed arithmetic formula over named fields.

    Examples
    --------
    >>> q = Quantity.parse("counted_gfa_m2 / site_area_m2")
    >>> q.fields
    ('counted_gfa_m2', 'site_area_m2')
    >>> q.exact({"counted_gfa_m2": 5000.10, "site_area_m2": 1000.02})
    Fraction(5, 1)
    """

    text: str
    root: _Node = field(repr=False)
    fields: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Quantity:
        """Parse an arithmetic formula; :class:`FormulaError` if it leaves the grammar."""
        root = _build_arith(_parse(text), text)
        return cls(text=text, root=root, fields=tuple(_fields(root, [])))

    def evaluate(
        self, data: Mapping[str, np.ndarray], rel_err: Mapping[str, float] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Vectorised float value and a bound on its absolute error, per row.

        A field's floats are taken to be within ``rel_err[name]`` (default u, a correctly
        rounded decimal) of the exact input. The error bound is ``inf`` where a
        denominator's interval contains zero; the value is ``nan`` where an input is missing
        or a denominator is exactly zero.
        """
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return _eval(self.root, data, rel_err or {})

    def exact(self, row: Mapping[str, float]) -> Fraction | None:
        """Exact rational value for one row from the inputs' decimal digits (None: 0 divisor)."""
        return _exact(self.root, row)

    def exact_ratio(self, row: Mapping[str, float | Fraction]) -> tuple[int, int] | None:
        """Like :meth:`exact` but as an unreduced ``(num, den)`` pair with ``den > 0``.

        Plain integer arithmetic without gcd reductions: about 5x faster than Fractions,
        used for the rows a threshold comparison must decide exactly.
        """
        return _pair(self.root, row)


def _eval(n: _Node, data: Mapping[str, np.ndarray], rel: Mapping[str, float]):
    if n.op == "field":
        v = np.asarray(data[n.name], dtype=np.float64)
        return v, np.abs(v) * rel.get(n.name, U)
    if n.op == "const":
        return np.asarray(n.value, np.float64), np.asarray(abs(n.value) * U, np.float64)
    if n.op == "neg":
        v, e = _eval(n.args[0], data, rel)
        return -v, e
    (a, ea), (b, eb) = _eval(n.args[0], data, rel), _eval(n.args[1], data, rel)
    if n.op in "+-":
        v = a + b if n.op == "+" else a - b
        return v, ea + eb + np.abs(v) * U
    if n.op == "*":
        v = a * b
        return v, np.abs(a) * eb + np.abs(b) * ea + ea * eb + np.abs(v) * U
    # division: |a/b - A/B| <= (|a| eb + |b| ea) / (|b| (|b| - eb)) when |b| > eb
    v = np.where(b == 0, np.nan, a / b)
    ab = np.abs(b)
    margin = ab - eb
    err = (np.abs(a) * eb + ab * ea) / (ab * margin) + np.abs(v) * U
    return v, np.where(margin > 0, err, np.inf)


def _exact(n: _Node, row: Mapping[str, float | Fraction]) -> Fraction | None:
    if n.op == "field":
        v = row[n.name]
        return v if isinstance(v, Fraction) else decimal_fraction(v)
    if n.op == "const":
        return n.exact
    if n.op == "neg":
        inner = _exact(n.args[0], row)
        return None if inner is None else -inner
    a, b = _exact(n.args[0], row), _exact(n.args[1], row)
    if a is None or b is None:
        return None
    if n.op == "+":
        return a + b
    if n.op == "-":
        return a - b
    if n.op == "*":
        return a * b
    return None if b == 0 else a / b


def _pair(n: _Node, row: Mapping[str, float | Fraction]) -> tuple[int, int] | None:
    if n.op == "field":
        v = row[n.name]
        return (v.numerator, v.denominator) if isinstance(v, Fraction) else decimal_ratio(v)
    if n.op == "const":
        return n.exact.numerator, n.exact.denominator
    if n.op == "neg":
        inner = _pair(n.args[0], row)
        return None if inner is None else (-inner[0], inner[1])
    a, b = _pair(n.args[0], row), _pair(n.args[1], row)
    if a is None or b is None:
        return None
    (p, q), (r, s) = a, b
    if n.op == "+":
        return (p * s + r * q, q * s) if q != s else (p + r, q)
    if n.op == "-":
        return (p * s - r * q, q * s) if q != s else (p - r, q)
    if n.op == "*":
        return p * r, q * s
    if r == 0:
        return None
    return (p * s, q * r) if r > 0 else (-p * s, -q * r)


# ----------------------------------------------------------------------------- conditions


@dataclass(frozen=True)
class Condition:
    """A parsed boolean applicability condition, evaluated with missing-value tracking.

    Examples
    --------
    >>> c = Condition.parse("strata_transfer_gfa_m2 > 0 and not strata_exception")
    >>> c.fields
    ('strata_transfer_gfa_m2', 'strata_exception')
    """

    text: str
    root: ast.expr = field(repr=False)
    fields: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Condition:
        """Parse a condition; :class:`FormulaError` if it leaves the grammar."""
        root = _parse(text)
        names: list[str] = []
        _check_condition(root, text, names)
        return cls(text=text, root=root, fields=tuple(names))

    def evaluate(self, data: Mapping[str, np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(truth, known)`` boolean arrays of length ``n``.

        ``known`` is False where an input the condition needs is missing, in which case
        ``truth`` is meaningless. ``a and b`` is known-false as soon as one side is
        known-false (Kleene logic), likewise ``or`` with known-true.
        """
        with np.errstate(invalid="ignore"):
            t, k = _cond(self.root, data, n, self.text)
        return np.broadcast_to(t, (n,)).copy(), np.broadcast_to(k, (n,)).copy()


def _check_condition(node: ast.expr, text: str, names: list[str]) -> None:
    if isinstance(node, ast.BoolOp):
        for v in node.values:
            _check_condition(v, text, names)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        _check_condition(node.operand, text, names)
    elif isinstance(node, ast.Compare):
        if len(node.ops) != 1 or type(node.ops[0]) not in _CMPOPS:
            raise FormulaError(f"use one comparison (< <= > >= == !=) at a time in {text!r}")
        for side in (node.left, node.comparators[0]):
            if isinstance(side, ast.Constant) and isinstance(side.value, str):
                continue
            for f in Quantity.parse(ast.get_source_segment(text.strip(), side) or "").fields:
                if f not in names:
                    names.append(f)
    elif isinstance(node, ast.Name):
        if node.id not in names:
            names.append(node.id)
    else:
        raise FormulaError(
            f"{type(node).__name__} is not allowed in condition {text!r}: use comparisons, "
            "field names, and/or/not"
        )


def _side(node: ast.expr, data: Mapping[str, np.ndarray], text: str):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value, True
    q = Quantity.parse(ast.get_source_segment(text.strip(), node) or "")
    cols = [data[f] for f in q.fields]
    known = np.logical_and.reduce([~_isnull(c) for c in cols]) if cols else np.True_
    if any(c.dtype == object for c in cols):  # a text field compared with a string
        if len(cols) != 1 or q.root.op != "field":
            raise FormulaError(f"text fields can only be compared directly in {text!r}")
        return cols[0], known
    v, _ = q.evaluate(data)
    return v, known & ~np.isnan(v)


def _isnull(c: np.ndarray) -> np.ndarray:
    if c.dtype == object:
        return np.array([x is None or (isinstance(x, float) and math.isnan(x)) for x in c], bool)
    if np.issubdtype(c.dtype, np.datetime64):
        return np.isnat(c)
    return np.isnan(c)


def _cond(node: ast.expr, data, n: int, text: str):
    if isinstance(node, ast.BoolOp):
        parts = [_cond(v, data, n, text) for v in node.values]
        if isinstance(node.op, ast.And):
            false_known = np.logical_or.reduce([k & ~t for t, k in parts])
            all_known = np.logical_and.reduce([k for _, k in parts])
            truth = np.logical_and.reduce([t for t, _ in parts])
            return truth & all_known, all_known | false_known
        true_known = np.logical_or.reduce([k & t for t, k in parts])
        all_known = np.logical_and.reduce([k for _, k in parts])
        return true_known, all_known | true_known
    if isinstance(node, ast.UnaryOp):
        t, k = _cond(node.operand, data, n, text)
        return ~t, k
    if isinstance(node, ast.Name):
        c = data[node.id]
        known = ~_isnull(c)
        if c.dtype == object:
            return np.array([bool(x) for x in c], bool) & known, known
        return (np.nan_to_num(c, nan=0.0) != 0) & known, known
    assert isinstance(node, ast.Compare)  # _parse admits no other condition
    left, kl = _side(node.left, data, text)
    right, kr = _side(node.comparators[0], data, text)
    op = _CMPOPS[type(node.ops[0])]
    known = kl & kr
    if op == "<":
        t = left < right
    elif op == "<=":
        t = left <= right
    elif op == ">":
        t = left > right
    elif op == ">=":
        t = left >= right
    elif op == "==":
        t = left == right
    else:
        t = left != right
    return np.asarray(t, dtype=bool) & known, known
