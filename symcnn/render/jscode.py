"""symcnn's closed forms as JavaScript that computes them exactly in the browser.

:class:`ExactJSPrinter` is a SymPy code printer (a subclass of SymPy's
``JavascriptCodePrinter``) whose output calls the small exact-arithmetic runtime ``Q`` of
``site_assets/symcnn-panel.js``: integers are BigInt literals, fractions stay fractions, and
floors, ceilings, Max, Min, Mod and Piecewise are exact for every sign. It prints only
expressions symcnn built itself, and only the node types listed in :data:`PRINTABLE`;
anything else (a float, an unknown function) raises :class:`NotPrintable`. A symbol is
printed only if symcnn's own parser reads its name back as that symbol.

>>> H = sympy.Symbol("H", integer=True, positive=True)
>>> js(sympy.floor((H - 3) / 2) + 1)
'Q.add(1n, Q.floor(Q.add(Q.r(-3n, 2n), Q.mul(Q.r(1n, 2n), s.H))))'
"""

from __future__ import annotations

from typing import Any

import sympy
from sympy.printing.jscode import JavascriptCodePrinter

from .sizes import checked_name

__all__ = ["PRINTABLE", "ExactJSPrinter", "NotPrintable", "js"]


class NotPrintable(ValueError):
    """An expression the exact JavaScript printer does not print."""


PRINTABLE: tuple[type, ...] = (
    sympy.Integer, sympy.Rational, sympy.Symbol, sympy.Add, sympy.Mul, sympy.Pow,
    sympy.floor, sympy.ceiling, sympy.Max, sympy.Min, sympy.Mod, sympy.Piecewise,
    sympy.core.relational.Relational, sympy.And, sympy.Or, sympy.Not,
    sympy.logic.boolalg.BooleanTrue, sympy.logic.boolalg.BooleanFalse,
)
_RELATIONS = {">=": "ge", ">": "gt", "<=": "le", "<": "lt", "==": "eq", "!=": "ne"}


class ExactJSPrinter(JavascriptCodePrinter):
    """Prints into calls of the runtime ``Q`` over the values object ``s``."""

    printmethod = "_symcnn_exact_js"

    def _print(self, expr: Any, **kwargs: Any) -> str:
        if not isinstance(expr, PRINTABLE):
            raise NotPrintable(f"cannot print {type(expr).__name__} ({expr}) as exact JavaScript")
        return super()._print(expr, **kwargs)

    def _calls(self, name: str, args: Any) -> str:
        return f"Q.{name}({', '.join(self._print(a) for a in args)})"

    def _print_Integer(self, expr: sympy.Integer) -> str:
        return f"{int(expr)}n"

    _print_Zero = _print_One = _print_NegativeOne = _print_Integer

    def _print_Rational(self, expr: sympy.Rational) -> str:
        if expr.q == 1:
            return f"{expr.p}n"
        return f"Q.r({expr.p}n, {expr.q}n)"

    _print_Half = _print_Rational

    def _print_Symbol(self, expr: sympy.Symbol) -> str:
        name = checked_name(expr)
        if name is None:
            raise NotPrintable(f"the symbol name {expr.name!r} is not one symcnn's parser reads back")
        return f"s.{name}"

    def _print_Add(self, expr: sympy.Add, order: Any = None) -> str:
        return self._calls("add", expr.args)

    def _print_Mul(self, expr: sympy.Mul) -> str:
        return self._calls("mul", expr.args)

    def _print_Pow(self, expr: sympy.Pow, rational: bool = False) -> str:
        if not expr.exp.is_Integer:
            raise NotPrintable(f"cannot print the power {expr} exactly (its exponent is not a whole number)")
        return f"Q.pow({self._print(expr.base)}, {int(expr.exp)})"

    def _print_floor(self, expr: sympy.floor) -> str:
        return self._calls("floor", expr.args)

    def _print_ceiling(self, expr: sympy.ceiling) -> str:
        return self._calls("ceil", expr.args)

    def _print_Max(self, expr: sympy.Max) -> str:
        return self._calls("max", expr.args)

    def _print_Min(self, expr: sympy.Min) -> str:
        return self._calls("min", expr.args)

    def _print_Mod(self, expr: sympy.Mod) -> str:
        return self._calls("mod", expr.args)

    def _print_Relational(self, expr: Any) -> str:
        op = _RELATIONS.get(expr.rel_op)
        if op is None:
            raise NotPrintable(f"cannot print the relation {expr}")
        return self._calls(op, (expr.lhs, expr.rhs))

    def _print_And(self, expr: sympy.And) -> str:
        return "(" + " && ".join(self._print(a) for a in expr.args) + ")"

    def _print_Or(self, expr: sympy.Or) -> str:
        return "(" + " || ".join(self._print(a) for a in expr.args) + ")"

    def _print_Not(self, expr: sympy.Not) -> str:
        return f"!({self._print(expr.args[0])})"

    def _print_BooleanTrue(self, expr: Any) -> str:
        return "true"

    def _print_BooleanFalse(self, expr: Any) -> str:
        return "false"

    def _print_Piecewise(self, expr: sympy.Piecewise) -> str:
        branches = ", ".join(f"[{self._print(c)}, () => {self._print(e)}]" for e, c in expr.args)
        return f"Q.pw({branches})"


_PRINTER = ExactJSPrinter()


def js(expr: Any) -> str:
    """``expr`` (an int, a SymPy expression or relation symcnn built) as an exact JavaScript expression.

    >>> js(sympy.Ge(sympy.Symbol("H"), 10)), js(7)
    ('Q.ge(s.H, 10n)', '7n')
    """
    if isinstance(expr, bool):
        return "true" if expr else "false"
    if isinstance(expr, int):
        return f"{expr}n"
    return str(_PRINTER.doprint(expr))
