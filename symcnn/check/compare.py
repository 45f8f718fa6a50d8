"""Comparing values: exactly for numbers; formulas at random sizes, then by a proof."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sympy

from .fmt import Value

SAMPLE_POINTS = 48
SCREEN_POINTS = 8
MIN_EVALUATED = 16  # points at which two formulas must agree to be called equal without a proof
MAX_PROOF_SIZE = 4000  # terms an expanded difference may have before we stop trying to prove it zero


class _Sampler:
    """Random positive integer points that satisfy the model's constraints, for testing equality."""

    def __init__(self, symbols: Iterable[sympy.Symbol], constraints: Sequence[Any], defaults: Mapping[Any, int]):
        self.symbols = sorted(set(symbols), key=lambda s: s.name)
        low = {s: 1 for s in self.symbols}
        others = []
        for c in constraints:
            cond = getattr(c, "condition", c)
            if isinstance(cond, sympy.GreaterThan) and cond.lhs in low and cond.rhs.is_Integer:
                low[cond.lhs] = max(low[cond.lhs], int(cond.rhs))
            else:
                others.append(cond)
        rng = random.Random(20240611)
        points: list[dict[sympy.Symbol, sympy.Integer]] = []
        if self.symbols and all(s in defaults for s in self.symbols):
            points.append({s: sympy.Integer(defaults[s]) for s in self.symbols})
        tries = 0
        while self.symbols and len(points) < SAMPLE_POINTS and tries < SAMPLE_POINTS * 20:
            tries += 1
            scale = (4, 16, 64, 512)[tries % 4]
            pt = {s: sympy.Integer(low[s] + rng.randrange(scale)) for s in self.symbols}
            # when the constraints reject every draw, sizes that break them still test an identity
            if all(_holds(c, pt) for c in others) or tries > SAMPLE_POINTS * 10:
                points.append(pt)
        self.points = points

    def differ_at(self, a: Any, b: Any, n: int) -> dict[sympy.Symbol, sympy.Integer] | None:
        """A point among the first ``n`` where a ≠ b, or None."""
        return self.compare(a, b, n)[0]

    def compare(self, a: Any, b: Any, n: int) -> tuple[dict[sympy.Symbol, sympy.Integer] | None, int]:
        """(a point among the first ``n`` where a ≠ b or None, how many points gave both a value)."""
        d = _expr(a) - _expr(b)
        evaluated = 0
        for pt in self.points[:n]:
            try:
                v = d.xreplace(pt)
            except (ZeroDivisionError, TypeError):
                continue
            if not (v.is_number and v.is_finite):
                continue
            evaluated += 1
            if v != 0:
                return pt, evaluated
        return None, evaluated


def _holds(cond: Any, pt: Mapping[sympy.Symbol, Any]) -> bool:
    try:
        return bool(cond.xreplace(pt) == sympy.true)
    except (TypeError, AttributeError):
        return False


def _expr(v: Any) -> sympy.Expr:
    return sympy.Integer(v) if isinstance(v, int) else v


def _expanded_size(e: sympy.Basic, cap: int = MAX_PROOF_SIZE + 1) -> int:
    """An upper estimate of the number of terms ``expand(e)`` would make (capped)."""
    if e.is_Atom:
        return 1
    if e.is_Add:
        return min(cap, sum(_expanded_size(a, cap) for a in e.args))
    if e.is_Mul:
        n = 1
        for a in e.args:
            n = min(cap, n * _expanded_size(a, cap))
        return n
    if e.is_Pow and e.exp.is_Integer:
        base, n = _expanded_size(e.base, cap), 1
        for _ in range(min(abs(int(e.exp)), 64)):
            n = min(cap, n * base)
            if n >= cap:
                break
        return n
    return min(cap, 1 + sum(_expanded_size(a, cap) for a in e.args))


def _canon_floors(e: sympy.Expr) -> sympy.Expr:
    """Floors in one form: ⌈x⌉ = −⌊−x⌋, and ⌊x + c⌋ = ⌊x + (c − ⌊c⌋)⌋ + ⌊c⌋ for a constant c."""

    def pull(f: sympy.Expr) -> sympy.Expr:
        c, rest = f.args[0].as_coeff_Add()
        if c.is_Rational and c != 0 and rest != 0:
            n = sympy.floor(c)
            return sympy.floor(rest + (c - n)) + n
        return f

    e = e.replace(lambda x: isinstance(x, sympy.ceiling), lambda x: -sympy.floor(-x.args[0]))
    return e.replace(lambda x: isinstance(x, sympy.floor), pull)


def _prove_zero(d: sympy.Expr) -> bool:
    if _expanded_size(d) > MAX_PROOF_SIZE:
        return False
    if d.has(sympy.floor, sympy.ceiling):
        d = _canon_floors(d)
    if sympy.expand(d) == 0:
        return True
    return sympy.count_ops(d) <= 300 and sympy.simplify(d) == 0


def _same_value(a: Value, b: Value, sampler: _Sampler, *, thorough: bool = True) -> tuple[bool, str]:
    """(equal, method): exact for numbers; for formulas, random points first, then a proof."""
    if isinstance(a, tuple) or isinstance(b, tuple):
        if not (isinstance(a, tuple) and isinstance(b, tuple)) or len(a) != len(b):
            return False, "exact"
        methods = []
        for x, y in zip(a, b):
            if x is None or y is None:
                if x is not y:
                    return False, "exact"
                continue
            same, how = _same_value(x, y, sampler, thorough=thorough)
            if not same:
                return False, how
            methods.append(how)
        return True, _weakest(methods)
    if a is None or b is None:
        return a is b, "exact"
    d = _expr(a) - _expr(b)
    if not d.free_symbols:
        same = bool(sympy.simplify(d) == 0) if not d.is_number else d == 0
        return same, "symbolic" if same and (_free(a) or _free(b)) else "exact"
    n = len(sampler.points) if thorough else SCREEN_POINTS
    point, evaluated = sampler.compare(a, b, n)
    if point is not None:
        return False, "sampled"
    if not thorough:
        return True, "sampled"
    if _prove_zero(d):
        return True, "symbolic"
    return evaluated >= MIN_EVALUATED, "sampled"  # too few points that give a value prove nothing


def _weakest(methods: Sequence[str]) -> str:
    for m in ("sampled", "symbolic"):
        if m in methods:
            return m
    return "exact"


def _free(v: Value) -> set[sympy.Symbol]:
    if isinstance(v, tuple):
        return set().union(*(_free(d) for d in v)) if v else set()
    return set(v.free_symbols) if isinstance(v, sympy.Basic) else set()


def _subs(v: Value, pt: Mapping[sympy.Symbol, Any] | None) -> Value:
    if pt is None or v is None:
        return v
    if isinstance(v, tuple):
        return tuple(_subs(d, pt) for d in v)
    return _expr(v).xreplace(dict(pt))
