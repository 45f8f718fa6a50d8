"""Checking one value, and the values of one layer: the public entry points check_value and check."""

from __future__ import annotations

from typing import Any

import sympy

from ..errors import ArgumentError, SymcnnError
from ..model import Model
from ..record import LayerRecord
from .compare import _free, _same_value, _Sampler
from .diagnose import _counterexample, _diagnose
from .entry import _as_text, _normalise_shape, _read_number, _read_shape, _slips, _symbol_table
from .find import find_layer
from .fmt import LABELS, QUANTITIES, Value, _fmt, _point
from .results import CheckResult, ValueCheck


def _expected(q: str, rec: LayerRecord, convention: str) -> Value:
    if q == "shape":
        return tuple(rec.output_shape)
    if q == "macs":
        return rec.macs_by(convention)
    return getattr(rec, q)


def check_value(model: Model, layer: Any, quantity: str, entry: Any, *, convention: str = "torchinfo") -> ValueCheck:
    """Check one value (``quantity`` is one of QUANTITIES) of one layer against the student's ``entry``."""
    if quantity not in QUANTITIES:
        raise ArgumentError(f"quantity must be one of {', '.join(QUANTITIES)}, got {quantity!r}")
    if convention not in ("torchinfo", "fvcore"):
        raise ArgumentError(f"convention must be 'torchinfo' or 'fvcore', got {convention!r}")
    rec = find_layer(model, layer)
    index = next(i for i, r in enumerate(model.records) if r is rec)
    symbols = _symbol_table(model, rec)
    expected = _expected(quantity, rec, convention)
    open_expected = expected
    sides: list[tuple[str, Any]] = []
    if quantity == "shape":
        student: Value = _read_shape(entry, symbols, len(rec.output_shape) - 1)
    else:
        student, sides = _read_number(entry, symbols, LABELS[quantity])
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
    if isinstance(student, tuple) and isinstance(expected, tuple):
        student, batch_note = _normalise_shape(student, expected)
        note = "; ".join(n for n in (note, batch_note) if n)
    sampler = _Sampler(
        set(symbols.values()) | _free(expected) | _free(student),
        work.constraints if _free(expected) | _free(student) else [],
        model.defaults,
    )
    correct, method = _same_value(student, expected, sampler)
    result = ValueCheck(
        quantity,
        _as_text(entry, LABELS[quantity])
        if not isinstance(entry, (tuple, list, sympy.Expr))
        else _fmt(tuple(entry) if isinstance(entry, list) else entry),
        student,
        expected,
        correct,
        method,
        note=note,
    )
    if not correct and method == "sampled":
        result.counterexample = _counterexample(student, expected, sampler)
    slips, formula_right = _slips(sides, student, expected)
    if correct or formula_right:
        result.diagnoses = slips
        return result
    result.diagnoses = _diagnose(work, index, quantity, student, expected, slips, sampler, convention)
    return result


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
            values.append(check_value(model, rec, q, entry, convention=convention))
        except SymcnnError as exc:
            raise exc.within(layer=rec.name) from None
    return CheckResult(rec.name, rec.type, values)
