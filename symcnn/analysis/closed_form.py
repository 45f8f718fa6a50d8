"""Closed forms a paper can print: sizes assumed to divide evenly (the floors then vanish, proven), leading terms.

With H = 32·k every floor of ResNet-50's sizes has an argument P(k) + c, P a polynomial with whole
coefficients and c a constant; ⌊P(k) + c⌋ = P(k) + ⌊c⌋ for every whole k, so the floor goes. Each floor is
checked that way, from its argument: none is dropped on trust, and one that does not vanish stays.

>>> import sympy
>>> H, k = sympy.symbols("H k", integer=True, positive=True)
>>> result = assume(sympy.floor((H - 3) / 2) + 1, {H: 32 * k})
>>> result.expr, result.steps[0].vanished
(16*k - 1, True)
>>> leading_term(8 * (sympy.floor(H / 4) - 2) * H + 5, [H])
2*H**2
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy

_ROUNDINGS = (sympy.floor, sympy.ceiling)


@dataclass(frozen=True)
class FloorStep:
    """One floor (or ceiling) after the substitution: its argument, and whether it vanished and why."""

    before: sympy.Expr  # the floor as the model wrote it
    argument: sympy.Expr  # its argument after the substitution
    whole: sympy.Expr  # the part that is a whole number for every whole value of the new symbols
    fraction: sympy.Expr  # the constant left over
    result: sympy.Expr
    vanished: bool

    def explain(self) -> str:
        """One line a reader can check by hand."""
        if self.vanished:
            return (f"{self.before} = {self.result}: its argument is {self.argument} = ({self.whole}) + {self.fraction}, "
                    f"{self.whole} is whole, so rounding only moves {self.fraction}")
        return f"{self.before} stays: its argument {self.argument} is not a whole polynomial plus a constant"


@dataclass
class Assumed:
    """An expression after the substitution, with every floor's step."""

    expr: sympy.Expr
    steps: list[FloorStep] = field(default_factory=list)

    @property
    def floors_left(self) -> list[FloorStep]:
        return [s for s in self.steps if not s.vanished]


def _whole_term(term: sympy.Expr) -> bool:
    """A term that is a whole number whenever its symbols are: an integer times integer symbols' powers."""
    coeff, rest = term.as_coeff_Mul()
    if not coeff.is_Integer:
        return False
    for factor in sympy.Mul.make_args(rest):
        base, exp = factor.as_base_exp()
        if not (base.is_Symbol and base.is_integer and exp.is_Integer and exp >= 0):
            return False
    return True


def _split(argument: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr] | None:
    """argument = whole + constant, or None when some term is neither."""
    expanded = sympy.expand(argument)
    const, rest = expanded.as_coeff_Add()
    terms = sympy.Add.make_args(rest) if rest != 0 else ()
    if not const.is_Rational or not all(_whole_term(t) for t in terms):
        return None
    return sympy.Add(*terms), const


def assume(expr: sympy.Expr, mapping: Mapping[sympy.Symbol, sympy.Expr], cache: dict[Any, Any] | None = None) -> Assumed:
    """``expr`` with ``mapping`` substituted, each floor and ceiling resolved from its argument (innermost first)."""
    steps: dict[sympy.Expr, FloorStep] = {} if cache is None else cache

    def walk(node: sympy.Expr) -> sympy.Expr:
        if node.is_Symbol:
            return mapping.get(node, node)  # type: ignore[return-value, call-overload]
        if not node.args:
            return node
        if isinstance(node, _ROUNDINGS):
            if node in steps:
                return steps[node].result
            argument = walk(node.args[0])
            split = _split(argument)
            if split is None:
                step = FloorStep(node, argument, sympy.Integer(0), sympy.Integer(0), type(node)(argument, evaluate=False), False)
            else:
                whole, frac = split
                step = FloorStep(node, argument, whole, frac, whole + type(node)(frac), True)
            steps[node] = step
            return step.result
        return node.func(*(walk(a) for a in node.args))

    result = walk(expr)
    touched = set(mapping)
    found = [steps[f] for f in _roundings(expr) if f in steps and f.free_symbols & touched]
    if not any(isinstance(a, _ROUNDINGS) for a in sympy.preorder_traversal(result)):
        result = sympy.expand(result)
    return Assumed(result, found)


def bound(condition: Any) -> Any:
    """``2·k ≥ 10`` as ``k ≥ 5``: a linear bound on one whole-number symbol, read off (others unchanged).

    >>> k = sympy.Symbol("k", integer=True, positive=True)
    >>> bound(sympy.Ge(2 * k, 9))
    k >= 5
    """
    if not isinstance(condition, sympy.GreaterThan):
        return condition
    gap = sympy.expand(condition.lhs - condition.rhs)
    (x, *more) = sorted(gap.free_symbols, key=lambda s: s.name) or [None]
    if x is None or more or not x.is_integer or not gap.is_polynomial(x) or sympy.degree(gap, x) != 1:
        return condition
    a, b = gap.coeff(x, 1), gap.coeff(x, 0)
    if not (a.is_Rational and b.is_Rational and a > 0):
        return condition
    return sympy.Ge(x, sympy.ceiling(-b / a))


def _roundings(expr: sympy.Expr) -> list[sympy.Expr]:
    seen: list[sympy.Expr] = []
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, _ROUNDINGS) and node not in seen:
            seen.append(node)
    return seen


def leading_term(expr: sympy.Expr, symbols: Sequence[sympy.Symbol]) -> sympy.Expr:
    """The part of highest total degree in ``symbols``, floors and ceilings read as their arguments.

    As the sizes grow, ⌊x⌋ = x + O(1), so this is the term that dominates; other symbols are coefficients.
    """
    symbols = [s for s in symbols if expr.has(s)]
    if not symbols:
        return expr
    smooth = expr.replace(lambda e: isinstance(e, _ROUNDINGS), lambda e: e.args[0])
    poly = sympy.Poly(sympy.expand(smooth), *symbols)
    top = poly.total_degree()
    terms = [coeff * sympy.Mul(*(s**e for s, e in zip(symbols, monom))) for monom, coeff in poly.terms() if sum(monom) == top]
    return sympy.Add(*terms)
