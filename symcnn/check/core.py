"""Checking one value, and the values of one layer: the public entry points check_value and check."""

from __future__ import annotations

from typing import Any

import sympy

from ..errors import ArgumentError, SymcnnError
from ..model import Model
from ..record import LayerRecord
from .compare import _free, _same_value, _Sampler, _subs
from .diagnose import Context, _counterexample, _diagnose
from .entry import Entry, Side, _as_text, _normalise_shape, _read_number, _read_shape, _symbol_table
from .find import find_layer
from .fmt import LABELS, QUANTITIES, Value, _fmt, _point
from .results import CheckResult, Diagnosis, ValueCheck
from .working import right_working


def _expected(q: str, rec: LayerRecord, convention: str) -> Value:
    if q == "shape":
        return tuple(rec.output_shape)
    if q == "macs":
        return rec.macs_by(convention)
    return getattr(rec, q)


def check_value(
    model: Model,
    layer: Any,
    quantity: str,
    entry: Any,
    *,
    convention: str = "torchinfo",
    context: Context | None = None,
    diagnose: bool = True,
) -> ValueCheck:
    """Check one value (``quantity`` is one of QUANTITIES) of one layer against the student's ``entry``.

    ``context`` holds what the student wrote for the other layers of the same table, so that a
    diagnosis can follow their own earlier rows and never contradict them.
    """
    if quantity not in QUANTITIES:
        raise ArgumentError(f"quantity must be one of {', '.join(QUANTITIES)}, got {quantity!r}")
    if convention not in ("torchinfo", "fvcore"):
        raise ArgumentError(f"convention must be 'torchinfo' or 'fvcore', got {convention!r}")
    rec = find_layer(model, layer)
    index = next(i for i, r in enumerate(model.records) if r is rec)
    symbols = _symbol_table(model, rec)
    expected = _expected(quantity, rec, convention)
    open_expected = expected
    parsed: Entry | None = None
    if quantity == "shape":
        student: Value = _read_shape(entry, symbols, len(rec.output_shape) - 1)
    else:
        parsed = _read_number(entry, symbols, LABELS[quantity], quantity)
        student = parsed.result.value
    note = ""
    work = model
    if not _free(student) and _free(expected):
        missing = _free(expected) - set(model.defaults)
        if missing:
            names = ", ".join(sorted(s.name for s in missing))
            raise ArgumentError(
                f"the {LABELS[quantity]} of {rec.name} depend on {names}, which have no value: write a formula "
                f"in them, or give them values (--set {min(missing, key=str).name}=...)"
            )
        work = model.subs({s: v for s, v in model.defaults.items()})
        rec = work.records[index]
        expected = _expected(quantity, rec, convention)
        used = {s: v for s, v in model.defaults.items() if s in _free(open_expected)}
        note = "checked at the model's default sizes " + _point(used)
    raw = student
    if isinstance(student, tuple) and isinstance(expected, tuple):
        student, batch_note = _normalise_shape(student, expected, rec)
        note = "; ".join(n for n in (note, batch_note) if n)
    sampler = _Sampler(
        set(symbols.values()) | _free(expected) | _free(student),
        work.constraints if _free(expected) | _free(student) else [],
        model.defaults,
        (student, expected),
    )
    correct, method = _same_value(student, expected, sampler)
    text = (
        _as_text(entry, LABELS[quantity])
        if not isinstance(entry, (tuple, list, sympy.Expr))
        else _fmt(tuple(entry) if isinstance(entry, list) else entry)
    )
    result = ValueCheck(quantity, text, student, expected, correct, method, note=note)
    if method == "unproved":
        result.status = "not proved"
        result.diagnoses = [
            Diagnosis(
                "not proved: your formula agrees with the right one at every size tried (small, large, and around "
                "its floors), but it could be neither proved equal nor shown different; write its floors as floors "
                "of sums, as in ⌊(n − k)/s⌋ + 1, to have it proved",
                "not proved",
            )
        ]
    if not diagnose:
        return result
    if not correct and method in ("sampled", "symbolic"):
        result.counterexample = _counterexample(student, expected, sampler)

    def diagnosed(value: Value, shown: Value) -> list[Diagnosis]:
        return _diagnose(work, index, quantity, value, expected, sampler, convention, context, shown)

    if parsed is not None:
        _mark_working(result, parsed, model, sampler, diagnosed)
    elif not correct and method != "unproved":
        result.diagnoses = diagnosed(student, raw)
    if not result.correct:
        result.working = right_working(quantity, rec, expected, convention)
    return result


def _at_defaults(v: sympy.Expr, model: Model) -> sympy.Expr | None:
    """A formula's value at the model's default sizes (None if some size has no default)."""
    if not v.free_symbols:
        return v
    if not v.free_symbols <= set(model.defaults):
        return None
    return sympy.simplify(_subs(v, {s: sympy.Integer(n) for s, n in model.defaults.items()}))


def _mark_working(result: ValueCheck, parsed: Entry, model: Model, sampler: _Sampler, diagnose: Any) -> None:
    """Compare the working with the stated result: a result the working does not give is wrong working."""
    stated = parsed.result
    off: list[tuple[Side, sympy.Expr]] = []
    right: Side | None = None
    for side in parsed.working:
        value = side.value
        if _free(value) and not _free(stated.value):
            value = _at_defaults(value, model)
            if value is None:
                continue
        if _free(value) != _free(stated.value) and (_free(value) or _free(stated.value)):
            continue
        if not _same_value(value, stated.value, sampler)[0]:
            off.append((side, value))
            if right is None and _same_value(value, result.expected, sampler)[0]:
                right = side
    if not off:
        if not result.correct and result.status != "not proved":
            result.diagnoses = diagnose(result.student, result.student)
        return
    side, value = off[0]
    yours = _fmt(stated.value)
    if result.correct:
        result.correct, result.status = False, "wrong working"
        lead = Diagnosis(
            f"wrong working: {side.text} makes {_fmt(value)}, not {yours}; your result is right, "
            "but your working does not give it",
            "wrong working",
        )
        result.diagnoses = [lead, *diagnose(value, value)]
    elif right is not None:
        result.diagnoses = [
            Diagnosis(
                f"arithmetic slip: your working {right.text} is right, and it makes {_fmt(result.expected)}, "
                f"not {yours}",
                "arithmetic slip",
            )
        ]
    else:
        lead = Diagnosis(f"arithmetic slip: {side.text} makes {_fmt(value)}, not {yours}", "arithmetic slip")
        result.diagnoses = [lead, *diagnose(value, value)]


def check(
    model: Model,
    layer: Any,
    *,
    params: Any = None,
    shape: Any = None,
    macs: Any = None,
    trainable: Any = None,
    non_trainable: Any = None,
    convention: str = "torchinfo",
    context: Context | None = None,
) -> CheckResult:
    """Check a hand calculation for one layer: any of its output shape, params and MACs.

    >>> import symcnn
    >>> check(symcnn.load("examples/seed.yaml"), "dense", params="(12544 x 128) + 128").correct
    True
    """
    rec = find_layer(model, layer)
    given = {"shape": shape, "params": params, "trainable": trainable, "non_trainable": non_trainable, "macs": macs}
    entries = {q: v for q, v in given.items() if v is not None}
    if not entries:
        raise ArgumentError("nothing to check: give params=, shape=, macs=, trainable= or non_trainable=")
    values = []
    for q, entry in entries.items():
        try:
            values.append(check_value(model, rec, q, entry, convention=convention, context=context))
        except SymcnnError as exc:
            raise exc.within(layer=rec.name) from None
    return CheckResult(rec.name, rec.type, values)
