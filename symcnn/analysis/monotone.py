"""Proving that a closed form only grows (or only shrinks) in one whole-number symbol, from its structure.

On x ≥ low: x grows; a floor or ceiling of a growing argument grows; a sum of growing terms grows; a
product of growing factors that are not negative at ``low`` (hence nowhere above it) grows; a positive
power of such a factor grows; a negative constant turns growing into shrinking. A polynomial in x is
also settled by its forward difference p(x + 1) − p(x): it grows when that has no real root at or
above ``low`` and a positive leading coefficient. Anything else is not proven (None).

>>> import sympy
>>> x = sympy.Symbol("x", integer=True, positive=True)
>>> direction(3 * (sympy.floor((x - 3) / 2) + 1) ** 2 + 7, x, 3), direction(-x, x, 1), direction(sympy.sin(x), x, 1)
(1, -1, None)
"""

from __future__ import annotations

from typing import Any

import sympy

GROWS, CONSTANT, SHRINKS = 1, 0, -1


def direction(expr: Any, x: sympy.Symbol, low: int) -> int | None:
    """+1 if ``expr`` never decreases as whole x ≥ low grows, −1 if it never increases, 0 if constant, None if unproven."""
    expr = sympy.Integer(expr) if isinstance(expr, int) else expr
    found = _direction(expr, x, low)
    return None if found is None else found[0]


def _at(expr: sympy.Expr, x: sympy.Symbol, low: int) -> sympy.Expr:
    return expr.xreplace({x: sympy.Integer(low)})


def _nonnegative_at(expr: sympy.Expr, x: sympy.Symbol, low: int) -> bool:
    value = _at(expr, x, low)
    return bool(value.is_number and value >= 0)


def _direction(expr: sympy.Expr, x: sympy.Symbol, low: int) -> tuple[int, bool] | None:
    """(direction, never negative on x ≥ low) or None."""
    if not expr.has(x):
        return (CONSTANT, bool(expr.is_number and expr >= 0)) if expr.is_number else None
    if expr == x:
        return GROWS, low >= 0
    if isinstance(expr, (sympy.floor, sympy.ceiling)):
        inner = _direction(expr.args[0], x, low)
        if inner is None:
            return None
        return inner[0], inner[0] == GROWS and _nonnegative_at(expr, x, low)
    if expr.is_Add:
        return _combine_sum(expr, x, low)
    if expr.is_Mul:
        coeff, rest = expr.as_coeff_Mul()
        factors = [_direction(f, x, low) for f in sympy.Mul.make_args(rest)]
        if any(f is None or f[0] == SHRINKS or not f[1] for f in factors):
            return _polynomial(expr, x, low)
        sign = 1 if coeff > 0 else -1 if coeff < 0 else 0
        return (GROWS * sign, coeff >= 0) if sign else (CONSTANT, True)
    if expr.is_Pow and expr.exp.is_Integer:
        base = _direction(expr.base, x, low)
        if base is None or base[0] != GROWS or not base[1]:
            return _polynomial(expr, x, low)
        if expr.exp > 0:
            return GROWS, True
        return (SHRINKS, True) if _at(expr.base, x, low) > 0 else None
    if isinstance(expr, (sympy.Max, sympy.Min)):
        parts = [_direction(a, x, low) for a in expr.args]
        if parts and all(p is not None and p[0] in (GROWS, CONSTANT) for p in parts):
            return GROWS, _nonnegative_at(expr, x, low)
        return None
    return None


def _combine_sum(expr: sympy.Expr, x: sympy.Symbol, low: int) -> tuple[int, bool] | None:
    parts = [_direction(t, x, low) for t in sympy.Add.make_args(expr)]
    if all(p is not None for p in parts):
        dirs = {p[0] for p in parts if p is not None} - {CONSTANT}
        if dirs <= {GROWS}:
            return GROWS, _nonnegative_at(expr, x, low)
        if dirs <= {SHRINKS}:
            return SHRINKS, False
    return _polynomial(expr, x, low)


def _polynomial(expr: sympy.Expr, x: sympy.Symbol, low: int) -> tuple[int, bool] | None:
    if not expr.is_polynomial(x) or expr.has(sympy.floor, sympy.ceiling):
        return None
    diff = sympy.Poly(sympy.expand(expr.subs(x, x + 1) - expr), x)
    if diff.free_symbols - {x}:
        return None
    if diff.is_zero:
        return CONSTANT, _nonnegative_at(expr, x, low)
    roots = [r for r in sympy.real_roots(diff) if r >= low]
    if roots:
        return None
    lead = diff.LC()
    if lead > 0:
        return GROWS, _nonnegative_at(expr, x, low)
    return SHRINKS, False
