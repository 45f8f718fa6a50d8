"""Naming the mistake behind a wrong value, or saying how far off it is."""

from __future__ import annotations

from collections.abc import Iterable

import sympy

from ..model import Model
from .alternatives import MAX_UPSTREAM, _ancestors, _own_alternatives, _upstream_alternatives
from .compare import SAMPLE_POINTS, _expanded_size, _expr, _free, _same_value, _Sampler, _subs
from .fmt import Value, _fill_message, _fmt, _point

MAX_DIAGNOSES = 3


def _diagnose(
    model: Model,
    index: int,
    q: str,
    student: Value,
    expected: Value,
    slips: list[str],
    sampler: _Sampler,
    convention: str,
) -> list[str]:
    records = model.records
    rec = records[index]
    found = list(slips)
    if _free(student) and model.defaults:
        at = {s: sympy.Integer(v) for s, v in model.defaults.items()}
        if _same_value(_subs(student, at), _subs(expected, at), sampler)[0]:
            sizes = _point({s: v for s, v in at.items() if s in _free(student) | _free(expected)})
            found.append(f"right at the model's default sizes ({sizes}) but not as a formula for all values")
    if isinstance(student, tuple) and isinstance(expected, tuple) and len(student) != len(expected):
        found.append(
            f"the shape has {len(expected) - 1} axes after the batch axis: {_fmt(expected)}, not {len(student) - 1}"
        )
        return found
    own: list[str] = []
    for primary in (True, False):  # the common mistakes first, then the rarer slips
        own = _matches(_own_alternatives(q, rec, convention, primary), student, sampler)
        # then the nearest layer upstream whose mistake, carried forward, gives the student's value
        for i in [] if own else _ancestors(records, index)[:MAX_UPSTREAM]:
            own = _matches(_upstream_alternatives(q, records, index, i, convention, primary), student, sampler)
            if own:
                break
        if own:
            break
    found += [m for m in own if m not in found]
    if not own:
        found.append(_how_far(student, expected, sampler))
    return found


def _matches(alternatives: Iterable[tuple[Value, str]], student: Value, sampler: _Sampler) -> list[str]:
    """The messages of the alternatives equal to the student's value (at most MAX_DIAGNOSES)."""
    found: list[str] = []
    for value, msg in alternatives:
        if value is None or (isinstance(value, tuple) != isinstance(student, tuple)):
            continue
        if not _same_value(value, student, sampler, thorough=False)[0]:
            continue
        if not _same_value(value, student, sampler)[0]:
            continue
        text = _fill_message(msg, value)
        if text not in found:
            found.append(text)
        if len(found) >= MAX_DIAGNOSES:
            break
    return found


def _counterexample(student: Value, expected: Value, sampler: _Sampler) -> str | None:
    """Sizes (only the symbols that matter) where the student's formula and the right one differ, and both values."""
    pairs = (
        list(zip(student, expected))
        if isinstance(student, tuple) and isinstance(expected, tuple)
        else [(student, expected)]
    )
    for s, e in pairs:
        if s is None or e is None:
            continue
        pt = sampler.differ_at(s, e, SAMPLE_POINTS)
        if pt is not None:
            used = _free(student) | _free(expected)
            where = _point({x: v for x, v in pt.items() if x in used})
            return f"{where}, where yours is {_fmt(_subs(student, pt))} and the right one {_fmt(_subs(expected, pt))}"
    return None


def _how_far(student: Value, expected: Value, sampler: _Sampler) -> str:
    """When no known mistake fits: by how much, and by what factor, the entry differs."""
    lead = "no common mistake gives this value"
    if isinstance(student, tuple) and isinstance(expected, tuple):
        diffs = [
            f"axis {i}: {_fmt(s)} instead of {_fmt(e)}"
            for i, (s, e) in enumerate(zip(student, expected))
            if not _same_value(s, e, sampler)[0]
        ]
        return f"{lead}; " + ", ".join(diffs)
    if student is None or expected is None or isinstance(student, tuple) or isinstance(expected, tuple):
        return lead
    s, e = _expr(student), _expr(expected)
    diff = s - e
    if not (s.free_symbols or e.free_symbols):
        more = "more" if diff > 0 else "less"
        if e == 0:
            return f"{lead}: it is {_fmt(abs(diff))} {more} than {_fmt(e)}"
        ratio = s / e
        if ratio.is_Rational and ratio.q <= 12:
            factor_text = f"exactly {_fmt(ratio)} times the right value"
        elif abs(float(ratio) - 1) < 0.01:
            factor_text = f"off by {abs(float(ratio) - 1) * 100:.2g}%"
        else:
            factor_text = f"{float(ratio):.4g} times the right value"
        return f"{lead}: it is {_fmt(abs(diff))} {more} than {_fmt(e)} ({factor_text})"
    parts = [
        f"{lead}: yours minus the right formula is {_fmt(sympy.factor(diff) if _expanded_size(diff) < 500 else diff)}"
    ]
    if e != 0 and _expanded_size(s) < 500 and _expanded_size(e) < 500:
        ratio = sympy.cancel(s / e)
        if not ratio.free_symbols:
            parts.append(f"exactly {_fmt(ratio)} times the right formula")
    return "; ".join(parts)
