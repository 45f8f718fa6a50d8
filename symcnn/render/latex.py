"""LaTeX for worked solutions: symbol names like ``H_{in}``, floor brackets, substitutions and line breaks.

Two printers share one expression tree. :class:`FormulaPrinter` prints the
general formula; :class:`ValuePrinter` prints every bound symbol as its value,
so the substitution line has exactly the formula's structure (nothing is
re-typed and nothing is auto-evaluated)::

    >>> import sympy
    >>> k, c = sympy.symbols("k_h C_in", positive=True, integer=True)
    >>> e = arrange(k * c + c, {k: 0, c: 1})
    >>> FormulaPrinter({k: "k_{h}", c: "C_{in}"}).doprint(e)
    'k_{h} \\\\times C_{in} + C_{in}'
    >>> ValuePrinter({k: 3, c: 6400}).doprint(e)
    '3 \\\\times 6{,}400 + 6{,}400'

Every bracket is decided by the printer from the tree (a sum inside a product, a
negative factor, a power of a sum), never by joining strings, and :class:`Paren`
keeps the brackets a person writes where precedence needs none: ``(3 × 3 × 1 × 64) + 64``.

:meth:`FormulaPrinter.pieces` cuts a formula where a line may break (before each
top-level ``+``, ``−`` and ``×``), so a long formula wraps on a narrow screen; the pieces
joined with spaces read as the whole formula.

Products keep the order they are built in (``order='none'``); :func:`arrange`
rebuilds an evaluated expression unevaluated in the reading order of a worked
solution: output sizes, kernel, input sizes, filters; constants last.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.simplify import fraction

__all__ = ["Formula", "FormulaPrinter", "Paren", "ValuePrinter", "arrange", "as_written", "evaluated", "latex",
           "latex_number", "shape_latex"]

NONE_TEX = r"\text{None}"
_SHORT = 24  # characters of LaTeX: a formula this short is never cut
_SHORT_IN_TEXT = 12  # the same in a line of text or a table cell, where the room is narrower
_LONG_GROUP = 40  # characters of LaTeX: a bracketed group longer than this may break inside
_LONG_GROUP_IN_TEXT = 16  # the same for formulas in a line of text or a table cell (plain brackets)


class Paren(sympy.Function):
    """Brackets a person writes although precedence needs none: ``(3 × 3 × 1 × 64) + 64``.

    Only an unevaluated ``Paren(x, evaluate=False)`` stays in a tree; evaluating it gives ``x``.

    >>> Paren(sympy.Symbol("n") - 3)
    n - 3
    """

    nargs = 1

    @classmethod
    def eval(cls, arg: Any) -> Any:  # SymPy's construction hook for a Function; it never sees or evaluates text
        return arg


class FormulaPrinter(LatexPrinter):
    """A LatexPrinter with worked-solution habits.

    ``names`` maps symbols to their LaTeX (``{H: "H_{in}"}``); products use
    ``\\times``; floors and ceilings get brackets; whole numbers get thousands
    separators (``1{,}605{,}760``). ``stretchy=False`` keeps round brackets at text
    size (for formulas inside a line of text); floors always stretch.
    """

    def __init__(
        self, names: Mapping[sympy.Symbol, str] | None = None, *, floors: bool = True, stretchy: bool = True
    ) -> None:
        super().__init__({"mul_symbol": "times", "order": "none", "symbol_names": dict(names or {})})
        self.floors = floors  # False: print floor(x) as x, the tutorial's form with the floor left implicit
        self.stretchy = stretchy

    # ---- brackets ------------------------------------------------------------------
    def _paren(self, tex: str) -> str:
        if self.stretchy and ("\\frac" in tex or "\\lfloor" in tex or "\\lceil" in tex):
            return r"\left(" + tex + r"\right)"
        return "(" + tex + ")"

    def _print_Paren(self, expr: sympy.Expr, exp: Any = None) -> str:
        return self._paren(self._print(expr.args[0]))

    def _print_floor(self, expr: sympy.Expr, exp: Any = None) -> str:
        if not self.floors:
            return self._print(expr.args[0])
        return r"\left\lfloor " + self._print(expr.args[0]) + r" \right\rfloor"

    def _print_ceiling(self, expr: sympy.Expr, exp: Any = None) -> str:
        return r"\left\lceil " + self._print(expr.args[0]) + r" \right\rceil"

    # ---- sums and products keep their argument order ----------------------------------
    def _add_terms(self, expr: sympy.Expr) -> list[tuple[str, sympy.Expr]]:
        """(sign, term) of each term of a sum, the term made positive where the sign is '-'."""
        out: list[tuple[str, sympy.Expr]] = []
        for i, term in enumerate(expr.args):
            if i > 0 and _negative(term):
                out.append(("-", _negate(term)))
            else:
                out.append(("+" if i else "", term))
        return out

    def _term(self, term: sympy.Expr) -> str:
        body = self._print(term)
        return self._paren(body) if isinstance(term, sympy.Add) else body

    def _print_Add(self, expr: sympy.Expr, order: Any = None) -> str:
        return " ".join(f"{sign} {self._term(t)}" if sign else self._term(t) for sign, t in self._add_terms(expr))

    def _factors(self, expr: sympy.Expr) -> list[str] | None:
        """The printed factors of a product shown with ×, or None for a negative product or a fraction."""
        if _negative(expr) or fraction(expr, exact=True)[1] != 1:
            return None
        parts = []
        for factor in expr.args:
            body = self._print(factor)
            if isinstance(factor, sympy.Add) or (isinstance(factor, sympy.Mul) and _negative(factor)):
                body = self._paren(body)
            parts.append(body)
        return parts

    def _print_Mul(self, expr: sympy.Expr) -> str:
        if _negative(expr):
            inner = _negate(expr)
            body = self._print(inner)
            return "- " + (self._paren(body) if isinstance(inner, sympy.Add) else body)
        numer, denom = fraction(expr, exact=True)
        if denom != 1:
            return r"\frac{" + self._print(numer) + "}{" + self._print(denom) + "}"
        return r" \times ".join(self._factors(expr) or [])

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
        return group_digits(int(expr))

    # ---- where a line may break ---------------------------------------------------------
    def pieces(self, expr: Any) -> list[str]:
        """The formula cut before each top-level ``+``, ``−`` and ``×``: ``' '.join(pieces)`` reads as the whole.

        A piece after the first starts with ``{}`` so that its operator keeps the spacing of a
        binary operator when the piece is shown as a formula of its own.

        >>> H, W = sympy.symbols("H W")
        >>> FormulaPrinter().pieces(arrange((H - 2) * (W - 2) + 1, {}))
        ['(H - 2)', '{} \\\\times (W - 2)', '{} + 1']
        """
        if not isinstance(expr, sympy.Basic):
            return [self.doprint(expr)]
        whole = self.doprint(expr)
        if len(whole) <= (_SHORT if self.stretchy else _SHORT_IN_TEXT):  # nothing to gain from a break
            return [whole]
        if not isinstance(expr, sympy.Add):
            return self._product_pieces(expr)
        out: list[str] = []
        for sign, term in self._add_terms(expr):
            parts = self._split_group(term) if isinstance(term, sympy.Add) else self._product_pieces(term)
            if sign:
                parts[0] = f"{{}} {sign} {parts[0]}"
            out += parts
        return out

    def _product_pieces(self, expr: Any) -> list[str]:
        if not isinstance(expr, sympy.Mul) or self._factors(expr) is None:
            return self._group_pieces(expr)
        out: list[str] = []
        for i, factor in enumerate(expr.args):
            bracket = isinstance(factor, sympy.Add) or (isinstance(factor, sympy.Mul) and _negative(factor))
            parts = self._split_group(factor) if bracket else self._group_pieces(factor)
            if i:
                parts[0] = f"{{}} \\times {parts[0]}"
            out += parts
        return out

    def _group_pieces(self, expr: Any) -> list[str]:
        """A bracketed group (Paren, or a symbol whose value is a sum) cut inside when it is long."""
        if isinstance(expr, Paren):
            return self._split_group(expr.args[0])
        return [self._print(expr)]

    def _split_group(self, inner: Any) -> list[str]:
        whole = self._paren(self._print(inner))
        if len(whole) <= (_LONG_GROUP if self.stretchy else _LONG_GROUP_IN_TEXT):
            return [whole]
        parts = self.pieces(inner)
        return ["(" + parts[0], *parts[1:-1], parts[-1] + ")"] if len(parts) > 1 else ["(" + parts[0] + ")"]

    def shape(self, dims: Sequence[Any]) -> str:
        """A shape as one formula: ``(\\text{None}, H - 2, W - 2, F)``.

        Sizes in a shape get no thousands separators (as Keras prints shapes): ``(None, 12544)``,
        where a separator would read as one more axis.
        """
        return "(" + ", ".join(NONE_TEX if d is None else self._dim(d) for d in dims) + ")"

    def _dim(self, d: Any) -> str:
        return str(int(d)) if isinstance(d, int) or (isinstance(d, sympy.Basic) and d.is_Integer) else self.doprint(d)

    def shape_pieces(self, dims: Sequence[Any]) -> list[str]:
        """A shape ``(None, H - 2, W - 2, F)`` cut after each comma (and inside long sizes)."""
        whole = self.shape(dims)
        if len(whole) <= (_SHORT if self.stretchy else _SHORT_IN_TEXT):
            return [whole]
        out: list[str] = []
        for i, d in enumerate(dims):
            atom = d is None or isinstance(d, int) or (isinstance(d, sympy.Basic) and d.is_Integer)
            parts = [NONE_TEX if d is None else self._dim(d)] if atom else self.pieces(d)
            parts[-1] += ")" if i == len(dims) - 1 else r",\,"  # the comma's thin space, kept at a break
            out += parts
        if not out:
            return ["()"]
        out[0] = "(" + out[0]
        return out


class ValuePrinter(FormulaPrinter):
    """Prints each bound symbol as its value: the substitution step of a worked solution."""

    def _group_pieces(self, expr: Any) -> list[str]:
        if isinstance(expr, sympy.Symbol) and expr in self.values:
            value = self.values[expr]
            if isinstance(value, sympy.Basic) and not (value.is_Symbol or value.is_Integer):
                return FormulaPrinter(self._settings["symbol_names"], stretchy=self.stretchy)._split_group(
                    arrange(value, {}))
        return super()._group_pieces(expr)

    def __init__(
        self,
        values: Mapping[sympy.Symbol, Any],
        names: Mapping[sympy.Symbol, str] | None = None,
        *,
        floors: bool = True,
        stretchy: bool = True,
    ) -> None:
        super().__init__(names, floors=floors, stretchy=stretchy)
        self.values = dict(values)

    def _print_Symbol(self, expr: sympy.Symbol, style: str = "plain") -> str:
        if expr in self.values:
            value = self.values[expr]
            if isinstance(value, int):
                return group_digits(value)
            tex = FormulaPrinter(self._settings["symbol_names"], stretchy=self.stretchy).doprint(arrange(value, {}))
            return tex if isinstance(value, sympy.Symbol) or value.is_Integer else self._paren(tex)
        return super()._print_Symbol(expr, style)


@dataclass(frozen=True)
class Formula:
    """What one side of a worked equation shows: an expression, its symbols' LaTeX names, and for a
    substitution line the values printed in place of the symbols.

    ``expr`` is a SymPy expression (usually unevaluated, in reading order), an int, or a tuple (a shape,
    ``None`` for an unknown size). :attr:`value` is what the printed text means.

    >>> k, c = sympy.symbols("k c", positive=True, integer=True)
    >>> f = Formula(sympy.Mul(k, c, evaluate=False), {k: "k_{h}", c: "C"}, {k: 3, c: 1000})
    >>> f.tex(), f.value
    ('3 \\\\times 1{,}000', 3000)
    """

    expr: Any
    names: Mapping[sympy.Symbol, str] = field(default_factory=dict)
    values: Mapping[sympy.Symbol, Any] | None = None
    bold: bool = False

    def printer(self, *, stretchy: bool = True) -> FormulaPrinter:
        if self.values is not None:
            return ValuePrinter(self.values, self.names, stretchy=stretchy)
        return FormulaPrinter(self.names, stretchy=stretchy)

    def pieces(self, *, stretchy: bool = True) -> list[str]:
        """The LaTeX cut where a line may break (see :meth:`FormulaPrinter.pieces`)."""
        printer = self.printer(stretchy=stretchy)
        if isinstance(self.expr, tuple):
            parts = printer.shape_pieces(self.expr)
        elif self.expr is None:
            parts = [NONE_TEX]
        else:
            parts = printer.pieces(sympy.Integer(self.expr) if isinstance(self.expr, int) else self.expr)
        return [rf"\mathbf{{{p}}}" for p in parts] if self.bold else parts

    def tex(self, *, stretchy: bool = True) -> str:
        """The whole formula as one LaTeX string."""
        printer = self.printer(stretchy=stretchy)
        if isinstance(self.expr, tuple):
            text = printer.shape(self.expr)
        elif self.expr is None:
            text = NONE_TEX
        else:
            text = printer.doprint(sympy.Integer(self.expr) if isinstance(self.expr, int) else self.expr)
        return rf"\mathbf{{{text}}}" if self.bold else text

    @property
    def value(self) -> Any:
        """The value the printed text stands for: the expression, evaluated, with the values put in."""
        def one(e: Any) -> Any:
            if e is None or isinstance(e, int):
                return e
            out = evaluated(e)
            return out.xreplace(dict(self.values)) if self.values else out

        return tuple(one(d) for d in self.expr) if isinstance(self.expr, tuple) else one(self.expr)


def group_digits(n: int) -> str:
    """A whole number with LaTeX thousands separators: ``1{,}605{,}760``."""
    return f"{n:,}".replace(",", "{,}")


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


def as_written(expr: Any, values: Mapping[sympy.Symbol, Any], ones: set[sympy.Symbol] | frozenset[sympy.Symbol]) -> Any:
    """The substitution as a person writes it: ``(64 − 3) + 1`` rather than ``⌊(64 + 0 + 0 − 1×(3 − 1) − 1)/1⌋ + 1``.

    Works on the unevaluated formula ``expr`` (local symbols, bound to ``values``): terms whose
    symbol is 0 (no padding) drop out; factors and divisors in ``ones`` whose value is 1 (a stride
    or dilation of 1) drop out; a floor of a whole number goes, leaving its brackets; a bracket
    negated inside a sum opens, and its constants join the sum's (``n − (k − 1) − 1 = n − k``).
    The caller checks that the value is unchanged.

    >>> n, k, d, p = sympy.symbols("n k d p", positive=True, integer=True)
    >>> e = sympy.Add(sympy.floor(sympy.Add(n, p, sympy.Mul(-1, d, sympy.Add(k, -1, evaluate=False),
    ...     evaluate=False), -1, evaluate=False), evaluate=False), 1, evaluate=False)
    >>> ValuePrinter({n: 64, k: 3, d: 1, p: 0}).doprint(as_written(e, {n: 64, k: 3, d: 1, p: 0}, {d}))
    '(64 - 3) + 1'
    """

    def zero(e: Any) -> bool:
        return (isinstance(e, sympy.Symbol) and values.get(e) == 0) or (isinstance(e, sympy.Basic) and e == 0)

    def one(e: Any) -> bool:
        return isinstance(e, sympy.Symbol) and e in ones and values.get(e) == 1

    def walk(e: Any) -> Any:
        if not isinstance(e, sympy.Basic) or e.is_Atom:
            return sympy.Integer(0) if zero(e) else e
        if isinstance(e, sympy.Add):
            return _open_sum([walk(t) for t in e.args])
        if isinstance(e, sympy.Mul):
            factors = []
            for f in e.args:
                if isinstance(f, sympy.Pow) and f.args[1] == -1 and one(f.args[0]):
                    continue
                if one(f):
                    continue
                factors.append(walk(f))
            if any(f == 0 for f in factors):
                return sympy.Integer(0)
            factors = [f for f in factors if f != 1] if len(factors) > 1 else factors
            if not factors:
                return sympy.Integer(1)
            return factors[0] if len(factors) == 1 else sympy.Mul(*factors, evaluate=False)
        if isinstance(e, sympy.Piecewise):  # the case that applies, as a person picks it
            for value, cond in e.args:
                decided = cond if cond in (sympy.true, sympy.false) else cond.xreplace(
                    {s: v for s, v in values.items() if isinstance(v, int)})
                if decided is sympy.true:
                    return walk(value)
                if decided is not sympy.false:
                    break
            return e
        if isinstance(e, (sympy.floor, sympy.ceiling)):
            inner = walk(e.args[0])
            if not _has_division(inner):
                return Paren(inner, evaluate=False) if isinstance(inner, sympy.Add) else inner
            return e.func(inner, evaluate=False)
        args = [walk(a) for a in e.args]
        try:
            return e.func(*args, evaluate=False)
        except TypeError:
            return e.func(*args)

    return walk(expr)


def _has_division(e: Any) -> bool:
    if not isinstance(e, sympy.Basic):
        return False
    if isinstance(e, sympy.Pow) and e.args[1].is_negative:
        return True
    if isinstance(e, sympy.Rational) and not e.is_Integer:
        return True
    return any(_has_division(a) for a in e.args)


def _open_sum(terms: list[Any]) -> Any:
    """A sum without zero terms, with brackets negated or added in it opened and the constants joined."""
    flat: list[Any] = []
    for t in terms:
        if t == 0:
            continue
        if isinstance(t, sympy.Add):
            flat += list(t.args)
        elif isinstance(t, sympy.Mul) and len(t.args) == 2 and t.args[0] == -1 and isinstance(t.args[1], sympy.Add):
            flat += [_negate_term(a) for a in t.args[1].args]
        else:
            flat.append(t)
    constant = sum((t for t in flat if t.is_Number), sympy.Integer(0))
    rest = [t for t in flat if not t.is_Number]
    if constant != 0 or not rest:
        rest.append(constant)
    return rest[0] if len(rest) == 1 else sympy.Add(*rest, evaluate=False)


def _negate_term(t: Any) -> Any:
    if t.is_Number:
        return -t
    if _negative(t):
        return _negate(t)
    return sympy.Mul(-1, t, evaluate=False)


def evaluated(expr: Any) -> Any:
    """The ordinary (evaluated) SymPy value of an expression built with ``evaluate=False``."""
    if not isinstance(expr, sympy.Basic) or not expr.args:
        return expr
    return expr.func(*[evaluated(a) for a in expr.args])


def latex(expr: Any, names: Mapping[sympy.Symbol, str] | None = None, *, stretchy: bool = True) -> str:
    """LaTeX of a value (int, SymPy expression or None) for a worked page."""
    if expr is None:
        return NONE_TEX
    if isinstance(expr, int):
        return group_digits(expr)
    return FormulaPrinter(names, stretchy=stretchy).doprint(arrange(expr, {}))


def shape_latex(shape: Sequence[Any], names: Mapping[sympy.Symbol, str] | None = None) -> list[str]:
    """A shape as line-breakable LaTeX pieces: ``['(\\\\text{None},', 'H - 2,', 'W - 2,', 'F)']``."""
    return FormulaPrinter(names, stretchy=False).shape_pieces([d if d is None else arrange(d, {}) for d in shape])


def latex_number(value: Any) -> str:
    """An integer with thousands separators for LaTeX (``1{,}643{,}844``)."""
    if isinstance(value, int) or (isinstance(value, sympy.Basic) and value.is_Integer):
        return group_digits(int(value))
    return latex(value)
