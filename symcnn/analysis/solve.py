"""Inverse design: the largest (or smallest) value of a symbol for which conditions on the totals hold.

``largest R where macs_fvcore <= 300000000``: every quantity of the JSON contract can stand on either
side. The search is exact: the closed forms are evaluated in whole numbers at each candidate (floors
included). When every condition's closed form is proven monotone in the symbol (:mod:`.monotone`), the
values that satisfy a condition form one run, found by doubling and bisection; otherwise every
value in a bounded range is checked, and the answer says so. The answer and its neighbour are then
rebuilt from the model itself, as a check.

>>> from symcnn.io.yaml_reader import model_from_yaml
>>> m = model_from_yaml("input: [R, R, 3]\\nlayers:\\n  - Conv2D: {filters: 8, kernel_size: 3}")
>>> s = solve(m, "R", [parse_condition("macs_fvcore <= 100000")])
>>> s.value, s.at_value, s.at_next
(23, 95256, 104544)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sympy

from ..errors import ArgumentError, ParseError, SymcnnError
from ..expr import dim_symbol, parse
from ..layers.base import WEIGHT_KINDS
from ..model import Model
from .monotone import CONSTANT, GROWS, direction
from .totals import flops, params_by_kind, total_activations

SEARCH_LIMIT = 2**40  # doubling stops here: a condition that still holds is taken as holding for ever
UNPROVEN_RANGE = 1024  # values checked one by one when monotonicity is not proven and no --max is given
_OPERATORS = {"<=": sympy.Le, ">=": sympy.Ge, "==": sympy.Eq, "<": sympy.Lt, ">": sympy.Gt, "≤": sympy.Le, "≥": sympy.Ge}
_SPLIT = re.compile(r"(<=|>=|==|≤|≥|<|>)")
QUANTITY_NAMES = (
    "total_params", "trainable_params", "non_trainable_params", "total_buffers", "total_macs", "macs_torchinfo",
    "macs_fvcore", "flops", "total_activations", *WEIGHT_KINDS,
)


def quantities(model: Model, convention: str = "torchinfo") -> dict[str, Callable[[], sympy.Expr]]:
    """The model-wide quantities a condition may name (the JSON contract's totals), computed on demand."""

    def activations() -> sympy.Expr:
        value = total_activations(model)
        if value is None:
            raise ArgumentError("total_activations is unknown: a layer's output size is unknown")
        return value

    table: dict[str, Callable[[], sympy.Expr]] = {
        "total_params": lambda: model.total_params,
        "trainable_params": lambda: model.trainable_params,
        "non_trainable_params": lambda: model.non_trainable_params,
        "total_buffers": lambda: model.total_buffers,
        "total_macs": lambda: model.macs(convention),
        "macs_torchinfo": lambda: model.macs("torchinfo"),
        "macs_fvcore": lambda: model.macs("fvcore"),
        "flops": lambda: flops(model, convention),
        "total_activations": activations,
    }
    for kind in WEIGHT_KINDS:
        table[kind] = lambda kind=kind: params_by_kind(model)[kind]  # type: ignore[misc]
    return table




@dataclass(frozen=True)
class Condition:
    """``lhs op rhs`` over quantity names; ``text`` as the user wrote it."""

    text: str
    lhs_text: str
    op: str
    lhs: sympy.Expr  # in placeholder symbols named after quantities
    rhs: sympy.Expr


_PLACEHOLDERS = {name: sympy.Symbol(f"_q_{name}") for name in QUANTITY_NAMES}


def parse_condition(text: str, symbols: Iterable[str] = ()) -> Condition:
    """Read ``"macs_fvcore <= 300,000,000"``: quantities, the model's ``symbols`` and arithmetic, one comparison.

    >>> parse_condition("2*total_params + 1 < 10^6").op
    '<'
    >>> parse_condition("macs_fvcore <= 5000*R^2", ["R"]).rhs
    5000*R**2
    """
    if not isinstance(text, str):
        raise ParseError(f"a condition must be text, got {text!r}")
    parts = _SPLIT.split(text)
    if len(parts) != 3:
        found = "none" if len(parts) == 1 else f"{(len(parts) - 1) // 2}"
        raise ParseError(
            f"condition {text!r} needs exactly one comparison (<=, <, >=, >, ==), found {found}; "
            f"e.g. \"macs_fvcore <= 300000000\""
        )
    left, op, right = parts
    known: dict[str, sympy.Expr] = {n: dim_symbol(n) for n in symbols if n not in _PLACEHOLDERS}
    known.update(_PLACEHOLDERS)
    lhs = parse(left, known, allow_new=False)
    rhs = parse(right, known, allow_new=False)
    if not (lhs - rhs).free_symbols & set(_PLACEHOLDERS.values()):
        raise ParseError(f"condition {text!r} names no quantity; the quantities are {', '.join(QUANTITY_NAMES)}")
    return Condition(text.strip(), left.strip(), op, lhs, rhs)


@dataclass(frozen=True)
class Solution:
    """The answer, the condition that stops the search there, and its left side at the answer and the next value."""

    symbol: str
    value: sympy.Rational
    condition: Condition
    at_value: sympy.Expr
    next_value: sympy.Rational
    at_next: sympy.Expr | None
    next_problem: str | None  # why the next value has no at_next (the model is not valid there)
    proof: str


class NoSolution(SymcnnError):
    """No value satisfies the conditions, or the search has no end: a result, not bad input."""

    exit_code = 1


def solve(
    model: Model,
    symbol: str,
    conditions: Sequence[Condition],
    *,
    largest: bool = True,
    step: sympy.Rational | None = None,
    maximum: sympy.Rational | None = None,
    convention: str = "torchinfo",
) -> Solution:
    """The largest (or smallest) value of ``symbol`` on its grid (whole numbers, or multiples of ``step``)."""
    if not conditions:
        raise ArgumentError("give at least one condition with --where")
    target = next((s for s in model.free_symbols if s.name == symbol), None)
    if target is None:
        known = ", ".join(sorted(s.name for s in model.free_symbols)) or "none"
        raise ArgumentError(f"the model has no symbol {symbol!r} left to solve for (symbols: {known})")
    if step is None and not target.is_integer:
        raise ArgumentError(f"{symbol} is not a whole number: give its grid with --step, e.g. --step 1/32")
    k = sympy.Dummy("k", integer=True, positive=True)
    unit = sympy.Integer(1) if step is None else sympy.Rational(step)
    if unit <= 0:
        raise ArgumentError(f"--step must be positive, got {unit}")
    work = model.subs({target: unit * k})
    others = sorted(s.name for s in work.free_symbols if s != k)
    if others:
        raise ArgumentError(f"give values to {', '.join(others)} with --set: only {symbol} may stay open")
    table = quantities(work, convention)
    gaps = [_gap(c, table, {target.name: unit * k}) for c in conditions]
    if any(s != k for g in gaps for s in g.free_symbols):
        unknown = sorted({s.name for g in gaps for s in g.free_symbols if s != k})
        raise ArgumentError(f"the conditions name {', '.join(unknown)}, which the model does not have")
    low = _lowest(work, k)
    high = None if maximum is None else int(sympy.floor(sympy.Rational(maximum) / unit))
    if high is not None and high < low:
        raise NoSolution(f"--max {maximum} is below the smallest valid {symbol} ({low * unit})")
    dirs = [direction(g, k, low) for g in gaps]
    if all(d is not None for d in dirs):
        lo, hi = _interval(gaps, dirs, conditions, k, low, high)  # type: ignore[arg-type]
        proof = (f"exact: each condition's closed form is proven monotone in {symbol} for {symbol} >= {low * unit}, "
                 f"so the values that satisfy all of them form one run")
    else:
        top = high if high is not None else low + UNPROVEN_RANGE - 1
        lo, hi = _scan(gaps, conditions, k, low, top, largest)
        proof = (f"monotonicity not proven for {', '.join(c.text for c, d in zip(conditions, dirs) if d is None)}: "
                 f"every {symbol} from {low * unit} to {top * unit} was checked (use --max to widen)")
    if lo is None or hi is None or lo > hi:
        raise NoSolution(f"no {symbol} satisfies {' and '.join(c.text for c in conditions)}"
                         f" ({symbol} from {low * unit}{'' if high is None else f' to {high * unit}'})")
    if largest and hi == SEARCH_LIMIT:
        raise NoSolution(f"no largest {symbol}: {' and '.join(c.text for c in conditions)} hold for every {symbol} "
                         f">= {lo * unit} (searched to {SEARCH_LIMIT} steps)")
    answer = hi if largest else lo
    return _checked(model, target, unit, answer, answer + (1 if largest else -1), low, conditions, convention, proof)


def _by_name(expr: sympy.Expr, values: dict[str, sympy.Expr]) -> sympy.Expr:
    """Replace the symbols a condition names by what they stand for (quantities, the solved symbol's grid)."""
    return expr.xreplace({s: values[s.name] for s in expr.free_symbols if s.name in values})


def _gap(condition: Condition, table: dict[str, Callable[[], sympy.Expr]], symbols: dict[str, sympy.Expr]) -> sympy.Expr:
    used = {name: table[name]() for name, ph in _PLACEHOLDERS.items() if condition.lhs.has(ph) or condition.rhs.has(ph)}
    mapping = {_PLACEHOLDERS[name]: value for name, value in used.items()}
    return _by_name((condition.lhs - condition.rhs).xreplace(mapping), symbols)


def _lowest(model: Model, k: sympy.Symbol) -> int:
    low = 1
    for c in model.constraints:
        cond = c.condition
        if isinstance(cond, sympy.GreaterThan) and cond.lhs == k and cond.rhs.is_Integer:
            low = max(low, int(cond.rhs))
    while low < SEARCH_LIMIT and not _valid(model, k, low):
        low += 1
        if low > 4096:
            raise NoSolution("no valid value found for the symbol below 4096 steps")
    return low


def _valid(model: Model, k: sympy.Symbol, value: int) -> bool:
    return all(bool(c.condition.xreplace({k: sympy.Integer(value)})) for c in model.constraints)


def _at(expr: sympy.Expr, k: sympy.Symbol, value: int) -> sympy.Expr:
    out = expr.xreplace({k: sympy.Integer(value)})
    return out if out.is_number else sympy.simplify(out)


def _holds(gap: sympy.Expr, condition: Condition, k: sympy.Symbol, value: int) -> bool:
    return bool(_OPERATORS[condition.op](_at(gap, k, value), 0))


def _interval(
    gaps: Sequence[sympy.Expr], dirs: Sequence[int], conditions: Sequence[Condition], k: sympy.Symbol,
    low: int, high: int | None,
) -> tuple[int | None, int | None]:
    """The run [lo, hi] where every monotone condition holds (hi = SEARCH_LIMIT when it never ends)."""
    lo, hi = low, SEARCH_LIMIT if high is None else high
    for gap, d, cond in zip(gaps, dirs, conditions):
        if d == CONSTANT:
            if not _holds(gap, cond, k, low):
                return None, None
            continue
        grows = d == GROWS
        below = cond.op in ("<=", "<", "≤") if grows else cond.op in (">=", ">", "≥")  # holds on a prefix
        if cond.op == "==" or below:
            # the last value where gap <= 0 (growing) or gap >= 0 (shrinking) ends the run
            def keeps(v: int, gap: sympy.Expr = gap, grows: bool = grows) -> bool:
                value = _at(gap, k, v)
                return bool(value <= 0) if grows else bool(value >= 0)
            end = _last_true(keeps, lo, hi)
            if end is None:
                return None, None
            hi = min(hi, end)
        if cond.op == "==" or not below:
            def starts(v: int, gap: sympy.Expr = gap, grows: bool = grows) -> bool:
                value = _at(gap, k, v)
                return bool(value >= 0) if grows else bool(value <= 0)
            begin = _first_true(starts, lo, hi)
            if begin is None:
                return None, None
            lo = max(lo, begin)
        if cond.op in ("<", ">", "=="):  # strict or equal: move the ends in to where the relation itself holds
            while lo <= hi and not _holds(gap, cond, k, lo):
                lo += 1
            while hi >= lo and hi != SEARCH_LIMIT and not _holds(gap, cond, k, hi):
                hi -= 1
    return lo, hi


def _last_true(pred: Callable[[int], bool], lo: int, hi: int) -> int | None:
    """The last v in [lo, hi] with pred(v), for a pred that is true on a prefix; hi if true throughout."""
    if not pred(lo):
        return None
    step, good = 1, lo
    while True:
        probe = min(good + step, hi)
        if probe == good or not pred(probe):
            bad = probe if probe != good else None
            break
        good, step = probe, step * 2
        if good == hi:
            return hi
    if bad is None:
        return good
    while bad - good > 1:
        mid = (good + bad) // 2
        good, bad = (mid, bad) if pred(mid) else (good, mid)
    return good


def _first_true(pred: Callable[[int], bool], lo: int, hi: int) -> int | None:
    """The first v in [lo, hi] with pred(v), for a pred that is true on a suffix."""
    if pred(lo):
        return lo
    last_false = _last_true(lambda v: not pred(v), lo, hi)
    if last_false is None or last_false >= hi:
        return None
    return last_false + 1


def _scan(
    gaps: Sequence[sympy.Expr], conditions: Sequence[Condition], k: sympy.Symbol, low: int, top: int, largest: bool
) -> tuple[int | None, int | None]:
    order = range(top, low - 1, -1) if largest else range(low, top + 1)
    for v in order:
        if all(_holds(g, c, k, v) for g, c in zip(gaps, conditions)):
            return v, v
    return None, None


def _checked(
    model: Model, target: sympy.Symbol, unit: sympy.Rational, answer: int, nxt: int, low: int,
    conditions: Sequence[Condition], convention: str, proof: str,
) -> Solution:
    """Rebuild the model at the answer and the next value; report the condition that stops the search."""
    at_answer = _concrete(model, target, unit * answer, conditions, convention)
    here = {target.name: unit * answer}
    if not all(_relation(c, v, here) for c, v in zip(conditions, at_answer)):
        raise RuntimeError(f"closed form and model disagree at {target.name} = {unit * answer}")  # a bug
    problem = None
    at_next: list[sympy.Expr] | None = None
    if nxt < low:
        problem = f"{target.name} = {unit * nxt} is below the smallest valid value, {unit * low}"
    else:
        try:
            at_next = _concrete(model, target, unit * nxt, conditions, convention)
        except SymcnnError as exc:
            problem = str(exc)
    binding = 0
    if at_next is not None:
        there = {target.name: unit * nxt}
        failing = [i for i, (c, v) in enumerate(zip(conditions, at_next)) if not _relation(c, v, there)]
        if failing:
            binding = failing[0]
        else:
            problem = f"{target.name} = {unit * nxt} satisfies the conditions too: the search stopped at --max"
    return Solution(
        target.name, unit * answer, conditions[binding], at_answer[binding], unit * nxt,
        None if at_next is None else at_next[binding], problem, proof,
    )


def _relation(condition: Condition, value: sympy.Expr, symbols: dict[str, sympy.Expr]) -> bool:
    return bool(_OPERATORS[condition.op](value, _by_name(condition.rhs, symbols)))


def _concrete(model: Model, target: sympy.Symbol, value: sympy.Rational, conditions: Sequence[Condition],
              convention: str) -> list[sympy.Expr]:
    built = model.subs({target: value})
    table = quantities(built, convention)
    out = []
    for c in conditions:
        mapping = {ph: table[name]() for name, ph in _PLACEHOLDERS.items() if c.lhs.has(ph)}
        out.append(_by_name(c.lhs.xreplace(mapping), {target.name: value}))
    return out


def value_text(value: Any) -> str:
    """A solved value as text: ``160`` or ``3/4``."""
    return str(sympy.Rational(value))
