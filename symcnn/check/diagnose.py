"""Naming the mistake behind a wrong value, or saying how far off it is.

Each known mistake is recomputed for the real layer, and those that give the student's
value are named, in this order: one the student's own table confirms (their row upstream
has that very mistake); one made at this layer, the most common first; one made upstream
and carried forward, the nearest layer first; then the rarer slips. A mistake that
contradicts the student's own rows (an upstream shape they wrote right) is never offered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import sympy

from ..layers.base import Shape
from ..model import Model
from ..record import LayerRecord
from .alternatives import (
    _SAFE,
    MAX_UPSTREAM,
    Alternative,
    _measure,
    ancestors,
    own_alternatives,
    source_alternatives,
    upstream_alternatives,
)
from .compare import _expanded_size, _expr, _free, _same_value, _Sampler, _subs, smallest_difference
from .entry import _normalise_shape, _shape_equal
from .fmt import Value, _fill_message, _fmt, _point, _times
from .mistakes import why_no_params
from .results import Diagnosis

MAX_DIAGNOSES = 3


@dataclass
class Context:
    """What the student wrote elsewhere in the same table: their output shape per layer, and which are wrong."""

    shapes: Mapping[str, tuple[object, ...]] = field(default_factory=dict)
    wrong: set[str] = field(default_factory=set)


def _diagnose(
    model: Model,
    index: int,
    q: str,
    student: Value,
    expected: Value,
    sampler: _Sampler,
    convention: str,
    context: Context | None = None,
    raw: Value = None,
) -> list[Diagnosis]:
    """The diagnoses of a wrong value; ``raw`` is the student's shape as written (batch axis or not)."""
    raw = student if raw is None else raw
    records = model.records
    rec = records[index]
    found: list[Diagnosis] = []
    at_defaults: list[Diagnosis] = []
    if _free(student) and model.defaults:
        at = {s: sympy.Integer(v) for s, v in model.defaults.items()}
        if _same_value(_subs(student, at), _subs(expected, at), sampler)[0]:
            sizes = _point({s: v for s, v in at.items() if s in _free(student) | _free(expected)})
            at_defaults.append(
                Diagnosis(
                    f"right at the model's default sizes ({sizes}) but not as a formula for all values",
                    "right only at the default sizes",
                )
            )
    if context is not None:
        carried = _carried_from_rows(q, rec, raw, sampler, convention, context)
        if carried is not None:
            return [carried]
    best = _best(_ranked(q, records, index, raw, sampler, convention, context or Context()))
    for alt, confirmed in best:
        text = _fill_message(alt.message, alt.value)
        if confirmed and alt.origin is not None:
            text = text.replace("an upstream error carried forward, starting at", "carried forward from your row for", 1)
            text += ", and your working is right for that input"
        if all(d.text != text for d in found):
            found.append(Diagnosis(text, alt.mistake, alt.origin, confirmed))
    if not best:
        return [_fallback(rec, q, raw, student, expected, sampler), *at_defaults]
    return found + at_defaults


def _fits(alt: Alternative, student: Value, sampler: _Sampler, batch: object = None) -> bool:
    value = alt.value
    if value is None or isinstance(value, tuple) != isinstance(student, tuple):
        return False
    if isinstance(student, tuple):
        return _shape_equal(student, value, lambda a, b: _same_value(a, b, sampler)[0], batch)
    return _same_value(value, student, sampler, thorough=False)[0] and _same_value(value, student, sampler)[0]


def _agreement(
    alt: Alternative, context: Context, records: list[LayerRecord], target: str, q: str, sampler: _Sampler
) -> int | None:
    """How many of the student's own rows show this mistake's shapes (0: none written), None if a row contradicts it.

    A mistake made at layer O assumes O was fed the right shapes: a wrong row for O's input
    contradicts it too (that row, not O, is where the student went wrong).
    """
    same = lambda a, b: _same_value(a, b, sampler, thorough=False)[0]
    seen = 0
    implied = dict(alt.shapes)
    if alt.origin is not None:
        origin = next((r for r in records if r.name == alt.origin), None)
        for name, shape in zip(origin.inputs if origin else (), origin.input_shapes if origin else ()):
            implied.setdefault(name, shape)
    for name, shape in implied.items():
        if name == target and q == "shape":
            continue  # the value being diagnosed
        written = context.shapes.get(name)
        if written is None:
            continue
        if not _shape_equal(written, shape, same, shape[0]):  # type: ignore[arg-type]
            return None
        if name in dict(alt.shapes):
            seen += 1
    return seen


def _carried_from_rows(
    q: str, rec: LayerRecord, student: Value, sampler: _Sampler, convention: str, context: Context
) -> Diagnosis | None:
    """The right rule applied to the student's own (wrong) rows for this layer's inputs gives their value."""
    ins, changed = [], []
    for name, true in zip(rec.inputs, rec.input_shapes):
        written = context.shapes.get(name)
        if written is None or name not in context.wrong:
            ins.append(true)
            continue
        shape = _normalise_shape(written, true)[0]  # type: ignore[arg-type]
        if len(shape) != len(true):
            return None
        ins.append(shape)
        changed.append(name)
    if not changed:
        return None
    try:
        out = rec.layer.output_shape(ins)
        value = _measure(q, rec, ins, out, convention)
    except _SAFE:
        return None
    rows = " and ".join(changed)
    fed = ", ".join(_fmt(s) for s in ins)
    was = ", ".join(_fmt(s) for s in rec.input_shapes)
    if not _fits(Alternative(value, "", "carried forward"), student, sampler, rec.output_shape[0]):
        return _new_mistake_on_rows(q, rec, ins, out, student, sampler, convention, rows, fed)
    return Diagnosis(
        f"carried forward from your row for {rows}: {rec.name} was fed {fed} there instead of {was}, "
        "and your working is right for that input",
        "carried forward",
        changed[0],
        True,
    )


def _new_mistake_on_rows(
    q: str,
    rec: LayerRecord,
    ins: list[Shape],
    out: Shape,
    student: Value,
    sampler: _Sampler,
    convention: str,
    rows: str,
    fed: str,
) -> Diagnosis | None:
    """A mistake of this layer's own, made on the student's own (wrong) input rows: both errors in one value."""
    try:
        probe = LayerRecord(rec.name, rec.layer, rec.inputs, ins, out, rec.layer.weights(ins), rec.shared_with)
        fitting = [
            alt
            for alt in own_alternatives(q, probe, convention)
            if alt.primary and _fits(alt, student, sampler, rec.output_shape[0])
        ]
    except _SAFE:
        return None
    if not fitting:
        return None
    alt = min(fitting, key=lambda a: a.prior)
    text = _fill_message(alt.message, alt.value)
    return Diagnosis(f"a new mistake on top of your row for {rows}, which fed {rec.name} {fed}: {text}", alt.mistake)


def _ranked(
    q: str,
    records: list[LayerRecord],
    index: int,
    student: Value,
    sampler: _Sampler,
    convention: str,
    context: Context,
) -> list[tuple[int, tuple[int, ...], Alternative, bool]]:
    """Every fitting mistake not contradicted by the student's rows: (tier, order within it, the mistake, confirmed)."""
    rec = records[index]
    out: list[tuple[int, tuple[int, ...], Alternative, bool]] = []

    def add(alts: Iterable[Alternative], distance: int) -> bool:
        """Add the fitting ones; True if one of them is a primary mistake."""
        added = False
        for alt in alts:
            if not _fits(alt, student, sampler, rec.output_shape[0]):
                continue
            agree = _agreement(alt, context, records, rec.name, q, sampler)
            if agree is None:
                continue
            upstream = alt.origin is not None
            tier = 0 if agree else (1 if not upstream else 2) if alt.primary else (3 if not upstream else 4)
            out.append((tier, (-agree, distance, alt.prior), alt, bool(agree)))
            added = added or alt.primary
        return added

    add(own_alternatives(q, rec, convention), 0)
    add(source_alternatives(q, records, index, convention), 0)
    own_primary = any(t <= 1 for t, *_ in out)
    ups = ancestors(records, index)[:MAX_UPSTREAM]
    confirmable = bool(context.wrong & {records[i].name for i in ups})
    if own_primary and not confirmable:
        return out
    for distance, i in enumerate(ups, start=1):
        if add(upstream_alternatives(q, records, index, i, convention), distance) and not confirmable:
            break  # the nearest layer upstream whose (primary) mistake gives the value
    return out


def _best(ranked: list[tuple[int, tuple[int, ...], Alternative, bool]]) -> list[tuple[Alternative, bool]]:
    """The fitting mistakes of the best tier, most likely first."""
    if not ranked:
        return []
    top = min(t for t, *_ in ranked)
    chosen = sorted((r for r in ranked if r[0] == top), key=lambda r: r[1])
    seen: set[str] = set()
    out = []
    for _, _, alt, confirmed in chosen:
        key = _fill_message(alt.message, alt.value)
        if key not in seen:
            seen.add(key)
            out.append((alt, confirmed))
    return out[:MAX_DIAGNOSES]


def _fallback(rec: LayerRecord, q: str, raw: Value, student: Value, expected: Value, sampler: _Sampler) -> Diagnosis:
    """When no known mistake gives the value: the shape's axes, a parameter-free layer, or how far off it is."""
    if isinstance(raw, tuple) and isinstance(expected, tuple):
        rank = _rank_message(raw, expected, rec.layer.channels_last)
        if rank:
            return Diagnosis(rank, "rank of the shape")
    if q in ("params", "trainable") and not rec.weights and student != 0 and not isinstance(student, tuple):
        return Diagnosis(
            f"parameters counted for a layer that has none: {rec.type} has 0 parameters, because {why_no_params(rec.layer)}",
            "parameters for a layer that has none",
        )
    return Diagnosis(_how_far(student, expected, sampler), "no known mistake")


def _rank_message(student: tuple[object, ...], expected: tuple[object, ...], channels_last: bool = True) -> str:
    """What a shape with the wrong number of axes holds, against the right one."""
    want = list(expected[1:])
    got = list(student[1:]) if student and (student[0] is None or len(student) >= len(expected)) else list(student)
    if len(got) == len(want):
        return ""
    n = len(want)
    head = f"you wrote {len(got)} ax{'i' if len(got) == 1 else 'e'}s ({', '.join(_fmt(d) for d in got)}); the output has {n} after the batch axis, {_fmt(expected)}"
    if len(got) == 1 and not isinstance(got[0], tuple):
        for lo in range(n):
            for hi in range(lo + 1, n + 1):
                part = want[lo:hi]
                if hi - lo > 1 and got[0] == _product(part):
                    what = "the number of values it outputs" if (lo, hi) == (0, n) else "a product of its axes"
                    return f"{head}: {_fmt(got[0])} = {_times(part)} is {what}; a shape lists each axis"
    missing = _missing(got, want)
    if missing is not None:
        named = [_axis_name(want, i, channels_last) for i in missing]
        return f"{head}: {' and '.join(named)} left out"
    return head


def _axis_name(want: list[object], i: int, channels_last: bool) -> str:
    """'the channel axis (64)', 'a spatial axis (62)' or 'the axis of size 10' (axes after the batch)."""
    size = _fmt(want[i])
    if len(want) >= 2:
        channel = len(want) - 1 if channels_last else 0
        if i == channel and len(want) >= 3:
            return f"the channel axis ({size})"
        if len(want) >= 3:
            return f"a spatial axis ({size})"
    return f"the axis of size {size}"


def _product(dims: list[object]) -> object:
    out: object = 1
    for d in dims:
        out = out * d  # type: ignore[operator]
    return sympy.simplify(out) if isinstance(out, sympy.Basic) else out


def _missing(got: list[object], want: list[object]) -> list[int] | None:
    """The positions of the axes of ``want`` left out of ``got``, if ``got`` is ``want`` with some axes removed."""
    i, out = 0, []
    for j, d in enumerate(want):
        if i < len(got) and got[i] == d:
            i += 1
        else:
            out.append(j)
    return out if i == len(got) and out else None


def _counterexample(student: Value, expected: Value, sampler: _Sampler) -> str | None:
    """The smallest sizes (only the symbols that matter) where the student's formula and the right one differ."""
    pt = smallest_difference(student, expected, sampler)
    if pt is None:
        return None
    used = _free(student) | _free(expected)
    where = _point({x: v for x, v in pt.items() if x in used})
    return f"{where}, where yours is {_fmt(_subs(student, pt))} and the right one {_fmt(_subs(expected, pt))}"


def _how_far(student: Value, expected: Value, sampler: _Sampler) -> str:
    """When no known mistake fits: by how much, and by what factor, the entry differs."""
    lead = "no common mistake gives this value"
    if isinstance(student, tuple) and isinstance(expected, tuple):
        diffs = [
            f"axis {i}: {_fmt(s)} instead of {_fmt(e)}"
            for i, (s, e) in enumerate(zip(student, expected))
            if not (s is None and e is None) and (s is None or e is None or not _same_value(s, e, sampler)[0])
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
            factor_text = f"about {float(ratio):.3g} times the right value"
        return f"{lead}: it is {_fmt(abs(diff))} {more} than {_fmt(e)} ({factor_text})"
    parts = [
        f"{lead}: yours minus the right formula is {_fmt(sympy.factor(diff) if _expanded_size(diff) < 500 else diff)}"
    ]
    if e != 0 and _expanded_size(s) < 500 and _expanded_size(e) < 500:
        ratio = sympy.cancel(s / e)
        if not ratio.free_symbols:
            parts.append(f"exactly {_fmt(ratio)} times the right formula")
    return "; ".join(parts)
