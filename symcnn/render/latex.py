"""LaTeX for worked solutions: symbol names like ``H_{in}``, floor brackets, and substitutions.

Two printers share one expression tree. :class:`FormulaPrinter` prints the
general formula; :class:`ValuePrinter` prints every bound symbol as its value,
so the substitution line has exactly the formula's structure (nothing is
re-typed and nothing is auto-evaluated)::

    >>> import sympy
    >>> k, c = sympy.symbols("k_h C_in", positive=True, integer=True)
    >>> e = arrange(k * c + c, {k: 0, c: 1})
    >>> FormulaPrinter({k: "k_{h}", c: "C_{in}"}).doprint(e)
    'k_{h} \\\\times C_{in} + C_{in}'
    >>> ValuePrinter({k: 3, c: 64}).doprint(e)
    '3 \\\\times 64 + 64'

Products keep the order they are built in (``order='none'``); :func:`arrange`
rebuilds an evaluated expression unevaluated in the reading order of a worked
solution: output sizes, kernel, input sizes, filters; constants last.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.simplify import fraction

__all__ = ["FormulaPrinter", "ValuePrinter", "arrange", "evaluated", "latex", "latex_number"]


class FormulaPrinter(LatexPrinter):
    """A LatexPrinter with worked-solution habits.

    ``names`` maps symbols to their LaTeX (``{H: "H_{in}"}``); products use
    ``\\times``; floors and ceilings get brackets; parentheses stretch only
    around tall content (fractions), which reads better in Latin Modern Math.
    """

    def __init__(self, names: Mapping[sympy.Symbol, str] | None = None, *, floors: bool = True) -> None:
        super().__init__({"mul_symbol": "times", "order": "none", "symbol_names": dict(names or {})})
        self.floors = floors  # False: print floor(x) as x, the tutorial's form with the floor left implicit

    # ---- brackets ------------------------------------------------------------------
    def _paren(self, tex: str) -> str:
        if "\\frac" in tex or "\\lfloor" in tex or "\\lceil" in tex:
            return r"\left(" + tex + r"\right)"
        return "(" + tex + ")"

    def _print_floor(self, expr: sympy.Expr, exp: Any = None) -> str:
        if not self.floors:
            return self._print(expr.args[0])
        return r"\left\lfloor " + self._print(expr.args[0]) + r" \right\rfloor"

    def _print_ceiling(self, expr: sympy.Expr, exp: Any = None) -> str:
        return r"\left\lceil " + self._print(expr.args[0]) + r" \right\rceil"

    # ---- sums and products keep their argument order ----------------------------------
    def _print_Add(self, expr: sympy.Expr, order: Any = None) -> str:
        tex = ""
        for i, term in enumerate(expr.args):
            if i == 0:
                pass
            elif _negative(term):
                tex += " - "
                term = _negate(term)
            else:
                tex += " + "
            body = self._print(term)
            if isinstance(term, sympy.Add):
                body = self._paren(body)
            tex += body
        return tex

    def _print_Mul(self, expr: sympy.Expr) -> str:
        if _negative(expr):
            inner = _negate(expr)
            body = self._print(inner)
            return "- " + (self._paren(body) if isinstance(inner, sympy.Add) else body)
        numer, denom = fraction(expr, exact=True)
        if denom != 1:
            return r"\frac{" + self._print(numer) + "}{" + self._print(denom) + "}"
        parts = []
        for factor in expr.args:
            body = self._print(factor)
            if isinstance(factor, sympy.Add) or (isinstance(factor, sympy.Mul) and _negative(factor)):
                body = self._paren(body)
            parts.append(body)
        return r" \times ".join(parts)

    def _print_Pow(self, expr: sympy.Expr, exp: Any = None) -> str:
        base, power = expr.args
        if power == -1:
            return r"\frac{1}{" + self._print(base) + "}"
        body = self._print(base)
        if not (base.is_Symbol or (base.is_Integer and base >= 0)):
            body = self._paren(body)
        return body + "^{" + self._print(power) + "}"

    def _print_Piecewise(self, expr: sympy.Piecewise) -> str:
        rows = []
        for value, cond in expr.args:
            when = r"\text{otherwise}" if cond is sympy.true else r"\text{if } " + self._print(cond)
            rows.append(f"{self._print(value)} & {when}")
        return r"\begin{cases} " + r" \\ ".join(rows) + r" \end{cases}"

    def _print_Integer(self, expr: sympy.Integer) -> str:
        return str(int(expr))


class ValuePrinter(FormulaPrinter):
    """Prints each bound symbol as its value: the substitution step of a worked solution."""

    def __init__(
        self, values: Mapping[sympy.Symbol, Any], names: Mapping[sympy.Symbol, str] | None = None, *, floors: bool = True
    ) -> None:
        super().__init__(names, floors=floors)
        self.values = dict(values)

    def _print_Symbol(self, expr: sympy.Symbol, style: str = "plain") -> str:
        if expr in self.values:
            value = self.values[expr]
            if isinstance(value, int):
                return str(value)
            tex = FormulaPrinter(self._settings["symbol_names"]).doprint(value)
            return tex if isinstance(value, sympy.Symbol) or value.is_Integer else self._paren(tex)
        return super()._print_Symbol(expr, style)


def _negative(expr: sympy.Expr) -> bool:
    if isinstance(expr, sympy.Mul):
        return bool(expr.args) and bool(expr.args[0].is_Number and expr.args[0] < 0)
    return bool(expr.is_Number and expr < 0)


def _negate(expr: sympy.Expr) -> sympy.Expr:
    if isinstance(expr, sympy.Mul):
        coeff, rest = expr.args[0], expr.args[1:]
        if coeff == -1:
            return rest[0] if len(rest) == 1 else sympy.Mul(*rest, evaluate=False)
        return sympy.Mul(-coeff, *rest, evaluate=False)
    return -expr


def arrange(expr: Any, rank: Mapping[sympy.Symbol, int]) -> Any:
    """Rebuild ``expr`` unevaluated, terms and factors in worked-solution order.

    Sums: positive terms first (by ``rank`` of their symbols), then negative
    ones, constants last. Products: numbers first, then symbols by ``rank``,
    bracketed sums last. The value is unchanged; only the printing order is.
    """
    if not isinstance(expr, sympy.Basic) or not expr.args or expr.is_Atom:
        return expr

    def key(term: sympy.Basic) -> tuple[int, int, str]:
        ranks = [rank.get(s, 99) for s in term.free_symbols]  # type: ignore[call-overload]
        return (min(ranks, default=100), 0, sympy.srepr(term))

    if isinstance(expr, sympy.Add):
        terms = [arrange(t, rank) for t in expr.args]
        terms.sort(key=lambda t: (t.is_Number is True, _negative(t), *key(t)))
        return sympy.Add(*terms, evaluate=False)
    if isinstance(expr, sympy.Mul):
        numer, denom = fraction(expr, exact=True)
        if denom != 1:
            return sympy.Mul(arrange(numer, rank), sympy.Pow(arrange(denom, rank), -1, evaluate=False), evaluate=False)
        factors = [arrange(f, rank) for f in expr.args]
        factors.sort(key=lambda f: (not f.is_Number, isinstance(f, sympy.Add), *key(f)))
        return sympy.Mul(*factors, evaluate=False)
    if isinstance(expr, (sympy.floor, sympy.ceiling)) and isinstance(expr.args[0], sympy.Add):
        return expr.func(arrange(sympy.together(expr.args[0]), rank), evaluate=False)
    args = [arrange(a, rank) for a in expr.args]
    try:
        return expr.func(*args, evaluate=False)
    except TypeError:  # e.g. Piecewise's (expr, condition) pairs take no evaluate flag
        return expr.func(*args)


def evaluated(expr: Any) -> Any:
    """The ordinary (evaluated) SymPy value of an expression built with ``evaluate=False``."""
    if not isinstance(expr, sympy.Basic) or not expr.args:
        return expr
    return expr.func(*[evaluated(a) for a in expr.args])


def latex(expr: Any, names: Mapping[sympy.Symbol, str] | None = None) -> str:
    """LaTeX of a value (int, SymPy expression or None) for a worked page."""
    if expr is None:
        return r"\text{None}"
    if isinstance(expr, int):
        return str(expr)
    return FormulaPrinter(names).doprint(arrange(expr, {}))


def latex_number(value: Any) -> str:
    """An integer with thin-space-free thousands commas for LaTeX (``1{,}643{,}844``)."""
    if isinstance(value, int) or (isinstance(value, sympy.Basic) and value.is_Integer):
        return f"{int(value):,}".replace(",", "{,}")
    return latex(value)
