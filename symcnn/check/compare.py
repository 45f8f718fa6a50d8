"""Comparing values: exactly for numbers; formulas by a proof, or at points chosen to break them.

Two formulas are equal when their difference expands to zero, or, when it holds floors of
linear arguments, when it is zero on every residue class of the sizes (each size written
m·t + r, the floors become polynomials in t). A difference that cannot be proved either
way is tried at points chosen to break it: small sizes, large ones (up to millions), and
both sides of every step of every floor. "Right" is said only after a proof, or after
such a sample; a wrong formula's counterexample is the smallest the search finds.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sympy

from .fmt import Value

SAMPLE_POINTS = 48  # random points, besides the small, large and floor-step ones
SCREEN_POINTS = 8
MIN_EVALUATED = 16  # points at which two formulas must agree to be called equal without a proof
MAX_PROOF_SIZE = 4000  # terms an expanded difference may have before we stop trying to prove it zero
MAX_RESIDUES = 512  # residue classes tried by the floor proof
MAX_RESIDUE_WORK = 100_000  # residue classes × terms of the difference: the proof's budget
MAX_PERIOD = 20000  # a floor's period beyond which its steps are sampled at multiples only
LARGE = (1000, 4099, 65536, 1_000_003, 12_345_678)
_ROUNDINGS = (sympy.floor, sympy.ceiling)

Point = dict[sympy.Symbol, sympy.Integer]


class _Sampler:
    """Positive integer points that satisfy the model's constraints: small, random, large and at floors' steps."""

    def __init__(
        self,
        symbols: Iterable[sympy.Symbol],
        constraints: Sequence[Any],
        defaults: Mapping[Any, int],
        exprs: Iterable[Any] = (),
    ):
        self.symbols = sorted(set(symbols), key=lambda s: s.name)
        self.low = {s: 1 for s in self.symbols}
        self.others: list[Any] = []
        for c in constraints:
            cond = getattr(c, "condition", c)
            if isinstance(cond, sympy.GreaterThan) and cond.lhs in self.low and cond.rhs.is_Integer:
                self.low[cond.lhs] = max(self.low[cond.lhs], int(cond.rhs))
            else:
                self.others.append(cond)
        self.defaults = {s: sympy.Integer(defaults[s]) for s in self.symbols if s in defaults}
        self.steps = _steps(_values(exprs))
        self.points = self._points()

    def _points(self) -> list[Point]:
        if not self.symbols:
            return []
        rng = random.Random(20240611)
        points: list[Point] = []
        if len(self.defaults) == len(self.symbols):
            points.append(dict(self.defaults))
        tries = 0
        while len(points) < SAMPLE_POINTS and tries < SAMPLE_POINTS * 20:
            tries += 1
            scale = (4, 16, 64, 512)[tries % 4]
            pt = {s: sympy.Integer(self.low[s] + rng.randrange(scale)) for s in self.symbols}
            # when the constraints reject every draw, sizes that break them still test an identity
            if self.holds(pt) or tries > SAMPLE_POINTS * 10:
                points.append(pt)
        base = points[0] if points else {s: sympy.Integer(self.low[s]) for s in self.symbols}
        for s, values in self.steps.items():  # both sides of each floor's steps, one size at a time
            for v in sorted(values):
                if v >= self.low.get(s, 1):
                    points.append({**base, s: sympy.Integer(v)})
        for big in LARGE:  # large sizes: every size at once, and each alone
            points.append({s: sympy.Integer(max(big + i, self.low[s])) for i, s in enumerate(self.symbols)})
        for s in self.symbols:
            points.append({**base, s: sympy.Integer(max(LARGE[-2], self.low[s]))})
        return [p for p in points if self.holds(p)] or points

    def holds(self, pt: Mapping[sympy.Symbol, Any]) -> bool:
        return all(_holds(c, pt) for c in self.others)

    def fill(self, pt: Mapping[sympy.Symbol, Any]) -> Point:
        """A full point: the given sizes, the others at their defaults (or their least value)."""
        full = {s: self.defaults.get(s, sympy.Integer(self.low[s])) for s in self.symbols}
        full.update({s: sympy.Integer(v) for s, v in pt.items()})
        return full

    def differ_at(self, a: Any, b: Any, n: int) -> Point | None:
        """A point among the first ``n`` where a ≠ b, or None."""
        return self.compare(a, b, n)[0]

    def compare(self, a: Any, b: Any, n: int) -> tuple[Point | None, int]:
        """(a point among the first ``n`` where a ≠ b or None, how many points gave both a value)."""
        d = _expr(a) - _expr(b)
        evaluated = 0
        for pt in self.points[:n]:
            v = _at(d, pt)
            if v is None:
                continue
            evaluated += 1
            if v != 0:
                return pt, evaluated
        return None, evaluated


def _values(exprs: Iterable[Any]) -> list[sympy.Expr]:
    out: list[sympy.Expr] = []
    for e in exprs:
        if isinstance(e, tuple):
            out += _values(e)
        elif isinstance(e, sympy.Basic):
            out.append(e)
    return out


def _at(d: Any, pt: Mapping[sympy.Symbol, Any]) -> sympy.Expr | None:
    try:
        v = d.xreplace(dict(pt))
    except (ZeroDivisionError, TypeError):
        return None
    return v if v.is_number and v.is_finite else None


def _holds(cond: Any, pt: Mapping[sympy.Symbol, Any]) -> bool:
    try:
        return bool(cond.xreplace(pt) == sympy.true)
    except (TypeError, AttributeError):
        return False


def _expr(v: Any) -> sympy.Expr:
    return sympy.Integer(v) if isinstance(v, int) else v


def _flat(arg: sympy.Expr) -> sympy.Expr:
    """A floor's argument with the floors inside it opened (their steps nest in the outer one's)."""
    return arg.replace(lambda x: isinstance(x, _ROUNDINGS), lambda x: x.args[0])


def _linear_coefficients(arg: sympy.Expr) -> dict[sympy.Symbol, sympy.Rational] | None:
    """The rational coefficient of each size in a linear argument, or None if it is not linear."""
    flat = sympy.expand(_flat(arg))
    try:
        poly = sympy.Poly(flat, *sorted(flat.free_symbols, key=lambda s: s.name))
    except sympy.PolynomialError:
        return None
    if poly.total_degree() > 1 or not all(c.is_Rational for c in poly.coeffs()):
        return None
    return {s: sympy.Rational(flat.coeff(s)) for s in flat.free_symbols}


def _roundings(exprs: Iterable[sympy.Expr]) -> list[sympy.Expr]:
    found: list[sympy.Expr] = []
    for e in exprs:
        found += [f for f in e.atoms(sympy.floor, sympy.ceiling)]
    return found


def adversarial(exprs: Iterable[Any]) -> bool:
    """True when every step of the formulas is known: no rounding of a non-linear argument, no Min/Max/Piecewise."""
    values = _values(exprs)
    if any(e.has(sympy.Min, sympy.Max, sympy.Piecewise, sympy.Mod) for e in values):
        return False
    return all(_linear_coefficients(f.args[0]) is not None for f in _roundings(values))


def _steps(exprs: list[sympy.Expr]) -> dict[sympy.Symbol, set[int]]:
    """Sizes on both sides of each step of each floor, per size: where a·s + c crosses a whole number."""
    steps: dict[sympy.Symbol, set[int]] = {}
    for f in _roundings(exprs):
        arg = _flat(f.args[0])
        coeffs = _linear_coefficients(f.args[0])
        if not coeffs:
            continue
        const = sympy.expand(arg).xreplace({s: 0 for s in arg.free_symbols})
        for s, a in coeffs.items():
            if a == 0:
                continue
            q = int(a.q)
            first = _first_step(int(a.p), q, sympy.Rational(const)) if q <= MAX_PERIOD else q
            for j in (0, 1, 2, 7):
                for r in (-1, 0, 1):
                    v = first + j * q + r
                    if v >= 1:
                        steps.setdefault(s, set()).add(v)
    return steps


def _first_step(p: int, q: int, const: sympy.Rational) -> int:
    """The least size v ≥ 1 with p·v/q + const a whole number (q when there is none in a period)."""
    cn, cd = int(const.p), int(const.q)
    period = math.lcm(q, cd)
    a, b = p * (period // q), cn * (period // cd)
    return next((v for v in range(1, period + 1) if (a * v + b) % period == 0), q)


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


def _is_zero(d: sympy.Expr) -> bool:
    if sympy.expand(d) == 0:
        return True
    return sympy.count_ops(d) <= 300 and sympy.simplify(d) == 0


def _prove_zero(d: sympy.Expr) -> bool:
    if _expanded_size(d) > MAX_PROOF_SIZE:
        return False
    if d.has(sympy.floor, sympy.ceiling):
        d = _canon_floors(d)
    return _is_zero(d)


def _residue_classes(d: sympy.Expr) -> tuple[dict[sympy.Symbol, int], list[sympy.Symbol]] | None:
    """The period of each size in the floors of ``d`` (None when a floor's argument is not linear)."""
    periods: dict[sympy.Symbol, int] = {}
    for f in _roundings([d]):
        coeffs = _linear_coefficients(f.args[0])
        if coeffs is None:
            return None
        for s, a in coeffs.items():
            periods[s] = math.lcm(periods.get(s, 1), int(a.q))
    if math.prod(periods.values()) > MAX_RESIDUES:
        return None
    return periods, sorted(periods, key=lambda s: s.name)


def residue_verdict(d: sympy.Expr) -> tuple[bool | None, Point | None]:
    """Whether a difference with floors of linear arguments is zero for all sizes, and where it is not.

    Each size s with period m is written m·t + r: on each residue class r the floors open into
    polynomials in t, and the difference is zero for all sizes exactly when each polynomial is.
    (None, None) when the floors are not all of linear arguments, or there are too many classes.
    """
    found = _residue_classes(d)
    size = _expanded_size(d)
    if found is None or size > MAX_PROOF_SIZE or math.prod(found[0].values()) * size > MAX_RESIDUE_WORK:
        return None, None
    periods, syms = found
    ts = {s: sympy.Symbol(f"t_{s.name}", integer=True, nonnegative=True) for s in syms}
    for residues in itertools.product(*(range(periods[s]) for s in syms)):
        sub = {s: periods[s] * ts[s] + r for s, r in zip(syms, residues)}
        e = d.xreplace(sub)
        if e.has(sympy.floor, sympy.ceiling) and any(f.has(*ts.values()) for f in _roundings([e])):
            return None, None
        if not _is_zero(e):
            for t in range(1, 4):  # a point of this class where the difference is not zero
                pt = {s: sympy.Integer(periods[s] * t + r) for s, r in zip(syms, residues)}
                v = _at(d, pt)
                if v is not None and v != 0:
                    return False, pt
            return False, None
    return True, None


def _same_value(a: Value, b: Value, sampler: _Sampler, *, thorough: bool = True) -> tuple[bool, str]:
    """(equal, method): exact for numbers; formulas by a proof, else at points chosen to break them.

    The method is "exact", "symbolic" (proved), "sampled" (not proved, equal at an adversarial
    sample) or "unproved" (neither proved nor tested well enough to call it equal: not equal).
    """
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
    point, evaluated = sampler.compare(a, b, SCREEN_POINTS)
    if point is not None:
        return False, "sampled"
    if not thorough:
        return True, "sampled"
    if _prove_zero(d):
        return True, "symbolic"
    if d.has(sympy.floor, sympy.ceiling):
        proved, _ = residue_verdict(d)
        if proved is not None:
            return proved, "symbolic"
    point, evaluated = sampler.compare(a, b, len(sampler.points))
    if point is not None:
        return False, "sampled"
    if evaluated >= MIN_EVALUATED and adversarial([d]):
        return True, "sampled"
    return False, "unproved"  # too few points, or steps we cannot find: not called equal


def _weakest(methods: Sequence[str]) -> str:
    for m in ("unproved", "sampled", "symbolic"):
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


MAX_GRID = 600  # small points tried, in order of size, for the smallest counterexample


def _differences(a: Any, b: Any) -> list[sympy.Expr]:
    """a − b, axis by axis for shapes (None axes left out)."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return [_expr(x) - _expr(y) for x, y in zip(a, b) if x is not None and y is not None]
    return [_expr(a) - _expr(b)]


class _AnyAxis:
    """The differences of two shapes, as one value: nonzero at a point where any axis differs."""

    def __init__(self, parts: list[sympy.Expr]) -> None:
        self.parts = [p for p in parts if p.free_symbols]
        self.free_symbols: set[sympy.Symbol] = set().union(*(p.free_symbols for p in self.parts)) if self.parts else set()

    def xreplace(self, pt: Mapping[sympy.Symbol, Any]) -> sympy.Expr:
        values = [p.xreplace(pt) for p in self.parts]
        return next((v for v in values if v != 0), sympy.Integer(0))

    def has(self, *kinds: Any) -> bool:
        return any(p.has(*kinds) for p in self.parts)


def smallest_difference(a: Any, b: Any, sampler: _Sampler) -> Point | None:
    """The smallest sizes (by their sum, then largest size) where a ≠ b, among those the model allows.

    For shapes, where any axis differs; every size the two values use is made as small as it can be.
    """
    parts = _differences(a, b)
    d: Any = parts[0] if len(parts) == 1 else _AnyAxis(parts)
    if not d.free_symbols:
        return None
    syms = sorted((_free(a) | _free(b)) & set(sampler.symbols), key=lambda s: s.name)
    if not syms:
        return None
    lows = [sampler.low[s] for s in syms]
    reach = 1
    while (reach + 1) ** len(syms) <= MAX_GRID and reach < 64:
        reach += 1
    grid = sorted(itertools.product(range(reach), repeat=len(syms)), key=lambda o: (sum(o), max(o), o))
    for offsets in grid:
        pt = sampler.fill({s: lo + o for s, lo, o in zip(syms, lows, offsets)})
        if sampler.holds(pt) and (v := _at(d, pt)) is not None and v != 0:
            return pt
    candidates = [p for p in sampler.points if (v := _at(d, p)) is not None and v != 0]
    for part in parts:
        if part.has(sympy.floor, sympy.ceiling):
            _, where = residue_verdict(part)
            if where is not None:
                candidates.append(sampler.fill(where))
    if not candidates:
        return None
    best = min(candidates, key=lambda p: (sum(int(p[s]) for s in syms), max(int(p[s]) for s in syms)))
    return _shrink(d, dict(best), syms, sampler)


def _shrink(d: Any, pt: Point, syms: list[sympy.Symbol], sampler: _Sampler) -> Point:
    """Make each size of a differing point as small as it can be while the point still differs."""
    for _ in range(2):
        for s in syms:
            v = int(pt[s])
            tries = set(range(sampler.low[s], min(v, sampler.low[s] + 40)))
            tries |= {x for x in sampler.steps.get(s, ()) if x < v} | {v // k for k in (2, 4, 10, 100) if v // k}
            for c in sorted(x for x in tries if sampler.low[s] <= x < v):
                trial = {**pt, s: sympy.Integer(c)}
                if sampler.holds(trial) and (w := _at(d, trial)) is not None and w != 0:
                    pt = trial
                    break
    return pt
