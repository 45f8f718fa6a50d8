"""A table's Total / Trainable / Non-trainable rows, checked against the model's totals.

A wrong total is explained by the student's own rows when it is their sum (the mistake is in
a row, carried into the total), by the rows it leaves out, or by the usual totals mistakes:
the non-trainable parameters left out, PyTorch's buffers counted, frozen weights counted as
trainable.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import sympy

from ..model import Model
from ..record import LayerRecord
from .compare import _free, _same_value, _Sampler
from .entry import _read_number
from .fmt import LABELS, _fmt
from .results import CheckResult, Diagnosis, ValueCheck

TOTAL_KINDS = ("params", "trainable", "non_trainable")
_NAMES = {"params": "Total params", "trainable": "Trainable params", "non_trainable": "Non-trainable params"}


def total_kind(label: str) -> str | None:
    """'params', 'trainable' or 'non_trainable' for a totals row's label ("Total", "Trainable params: 1,200"), else None."""
    m = re.match(r"\s*\**\s*(total|trainable|non[\s_-]*trainable)(?:\s+param(?:eter)?s?)?\s*\**\s*(?::|$)", label, re.IGNORECASE)
    if m is None:
        return None
    word = m.group(1).lower()
    return "params" if word == "total" else "trainable" if word == "trainable" else "non_trainable"


def _model_total(model: Model, kind: str) -> sympy.Expr:
    return {"params": model.total_params, "trainable": model.trainable_params, "non_trainable": model.non_trainable_params}[kind]


def check_totals(
    model: Model, entries: Sequence[tuple[str, str]], rows: Sequence[CheckResult], missing: Sequence[LayerRecord]
) -> CheckResult:
    """Check the totals a table gives ((kind, entry) pairs), explained by the student's own rows where they can be."""
    symbols = {s.name: s for s in set(model.free_symbols) | set(model.defaults)}
    values = []
    for kind, text in entries:
        entry = _read_number(text, symbols, LABELS[kind], kind)
        student = entry.result.value
        expected = _model_total(model, kind)
        work = model
        note = ""
        if not _free(student) and _free(expected):
            work = model.subs(dict(model.defaults))
            expected = _model_total(work, kind)
            note = "checked at the model's default sizes"
        sampler = _Sampler(_free(student) | _free(expected), [], model.defaults, (student, expected))
        correct, method = _same_value(student, expected, sampler)
        v = ValueCheck(kind, text, student, expected, correct, method, note=note)
        if not correct:
            v.working = _working(work, kind, expected)
            v.diagnoses, carried = _diagnose_total(work, kind, student, rows, missing, sampler)
            if carried:
                v.status, v.carried_from = "carried forward", "your rows"
        values.append(v)
    return CheckResult("totals", "Model", values)


def _working(model: Model, kind: str, expected: Any) -> str:
    parts = [_fmt(getattr(r, kind)) for r in model.records if getattr(r, kind) != 0]
    if len(parts) > 12:
        return f"the sum of the layers' {LABELS[kind]} = {_fmt(expected)}"
    return f"{' + '.join(parts) or '0'} = {_fmt(expected)}"


def _student_sum(kind: str, rows: Sequence[CheckResult]) -> tuple[Any, list[str]]:
    """The sum of the student's own values for ``kind`` (their params rows), and the rows that are wrong."""
    total: Any = sympy.Integer(0)
    wrong: list[str] = []
    for r in rows:
        for v in r.values:
            if v.quantity == kind:
                total += v.student
                if not v.correct:
                    wrong.append(r.layer)
    return total, wrong


def _diagnose_total(
    model: Model,
    kind: str,
    student: Any,
    rows: Sequence[CheckResult],
    missing: Sequence[LayerRecord],
    sampler: _Sampler,
) -> tuple[list[Diagnosis], bool]:
    name = _NAMES[kind]
    same = lambda a, b: _same_value(a, b, sampler)[0]
    given, wrong = _student_sum(kind, rows)
    by_name = {r.name: r for r in model.records}
    left_out = [r for r in missing if getattr(by_name.get(r.name, r), kind) != 0]
    has_rows = any(v.quantity == kind for r in rows for v in r.values)
    if has_rows and same(student, given):
        if wrong:
            text = (
                f"carried forward from your rows: {_fmt(student)} is the sum of your {LABELS[kind]} column, and "
                f"the wrong rows are {', '.join(wrong)}"
            )
            return [Diagnosis(text, "total carried forward from the rows")], True
        if left_out:
            extra = sum((getattr(by_name.get(r.name, r), kind) for r in left_out), start=sympy.Integer(0))
            text = (
                f"rows left out of the total: your rows add up to {_fmt(given)}, but "
                f"{', '.join(f'{r.name} ({r.type})' for r in left_out)} also have {LABELS[kind]} (+{_fmt(extra)})"
            )
            return [Diagnosis(text, "rows left out of the total")], False
    if kind == "params" and same(student, model.trainable_params) and model.non_trainable_params != 0:
        text = (
            f"non-trainable parameters left out of the total: {name} = trainable + non-trainable = "
            f"{_fmt(model.trainable_params)} + {_fmt(model.non_trainable_params)}"
        )
        return [Diagnosis(text, "non-trainable left out of the total")], False
    if kind == "params" and model.total_buffers != 0 and same(student, model.total_params + model.total_buffers):
        text = (
            f"buffers counted as parameters: PyTorch keeps batch-norm running statistics ({_fmt(model.total_buffers)}) "
            "as buffers, which are not parameters"
        )
        return [Diagnosis(text, "buffers counted as parameters")], False
    if kind == "trainable" and same(student, model.total_params) and model.non_trainable_params != 0:
        text = (
            f"non-trainable parameters counted as trainable: {_fmt(model.non_trainable_params)} of the "
            f"{_fmt(model.total_params)} (moving statistics, frozen layers) are not trained"
        )
        return [Diagnosis(text, "non-trainable counted as trainable")], False
    if kind == "non_trainable" and student == 0:
        text = (
            f"non-trainable parameters left out: {_fmt(model.non_trainable_params)} are not trained "
            "(batch-norm moving statistics, frozen layers), and Keras counts them"
        )
        return [Diagnosis(text, "moving statistics left out")], False
    if has_rows and not same(student, given):
        text = f"your total is not the sum of your rows: they add up to {_fmt(given)}, not {_fmt(student)}"
        return [Diagnosis(text, "total is not the sum of the rows")], False
    diff = student - _model_total(model, kind)
    return [Diagnosis(f"no common mistake gives this total: it is off by {_fmt(diff)}", "no known mistake")], False
