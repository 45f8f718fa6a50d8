"""The "try other sizes" panel: symcnn's closed forms, printed as JavaScript the page runs.

For each layer the panel gets its output shape, parameter counts, MACs (and activations,
where the engine counts them) as functions of the open sizes, printed by
:class:`~symcnn.render.jscode.ExactJSPrinter` from symcnn's own expressions; nothing from
the model file becomes code (names travel as JSON data, shown with ``textContent``). The
runtime ``site_assets/symcnn-panel.js`` reads the reader's sizes, checks them (whole numbers,
the model's constraints, every size at least 1, as the command line does) and fills the table.

>>> from symcnn import load
>>> p = panel_script(load("examples/seed.yaml"), "seed")
>>> p.symbols
[('H', 64), ('W', 64), ('C', 1)]
>>> "SymcnnPanel.register(" in p.script
True
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import sympy

from ..analysis.totals import total_activations
from ..errors import SymcnnError
from ..layers.core import InputLayer
from ..model import Model
from ..record import LayerRecord
from .jscode import NotPrintable, js
from .sizes import checked_name, open_sizes
from .text import expr_text

__all__ = ["Panel", "panel_script"]

_AXIS_LABELS = {"H": "input height", "W": "input width", "C": "input channels", "D": "input depth", "T": "time steps",
                "L": "input length"}


@dataclass(frozen=True)
class Panel:
    """The per-page script of a model's panel (empty, with ``note``, when there is none)."""

    slug: str
    script: str
    symbols: list[tuple[str, int]] = field(default_factory=list)
    note: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.script)


def _fn(value: Callable[[], Any]) -> str:
    """``(s) => <expression>``, or ``null`` when the value cannot be counted or printed."""
    try:
        v = value()
    except SymcnnError:
        return "null"
    if v is None:
        return "null"
    return f"(s) => {js(v)}"


def _shape_fn(rec: LayerRecord) -> str:
    dims = ", ".join("null" if d is None else js(d) for d in rec.output_shape)
    return f"(s) => [{dims}]"


def _activations(rec: LayerRecord) -> Any:
    return rec.activations


def _condition_text(cond: Any) -> str:
    text = f"{expr_text(cond.lhs)} {cond.rel_op} {expr_text(cond.rhs)}" if isinstance(cond, sympy.core.relational.Relational) \
        else expr_text(cond)
    return text.replace(">=", "≥").replace("<=", "≤").replace("*", "·")


def panel_script(model: Model, slug: str, *, macs: bool = True) -> Panel:
    """The panel's script for ``model``'s page (``slug``), or an empty one saying why there is none."""
    opened = open_sizes(model)
    if opened is None:
        return Panel(slug, "", note="Every size of this model is fixed by its layers, so there is nothing to change.")
    names = [checked_name(s) for s in opened.start]
    if None in names:
        return Panel(slug, "", note="A symbol of this model has a name the panel cannot use.")
    symbols = [(str(n), v) for n, v in zip(names, opened.start.values())]
    try:
        body = _body(opened.model, macs)
    except (NotPrintable, SymcnnError, TypeError) as exc:
        return Panel(slug, "", note=f"The panel cannot compute this model's formulas in the browser ({exc}).")
    data = {
        "id": slug,
        "symbols": [{"name": n, "start": str(v), "label": _AXIS_LABELS.get(n.rstrip("0123456789"), "") if opened.opened
                     else ""} for n, v in symbols],
        "layers": [{"number": r.position, "name": r.name, "type": r.type,
                    "input": isinstance(r.layer, InputLayer)} for r in opened.model.records],
        "constraints": [{"text": _condition_text(c.condition), "layer": c.layer} for c in opened.model.constraints],
        "macs": macs,
        "activations": any(_activations(r) is not None for r in opened.model.records),
    }
    script = (
        f"/* symcnn: the closed forms of this page's model, printed from symcnn's own expressions. */\n"
        f"SymcnnPanel.register({json.dumps(data, ensure_ascii=True, separators=(',', ':'))}, function (Q) {{\n"
        f"  return {body};\n}});\n"
    )
    return Panel(slug, script, symbols)


def _body(model: Model, macs: bool) -> str:
    rows = []
    for rec in model.records:
        parts = [
            f"shape: {_shape_fn(rec)}",
            f"params: {_fn(partial(getattr, rec, 'params'))}",
            f"trainable: {_fn(partial(getattr, rec, 'trainable'))}",
            f"frozen: {_fn(partial(getattr, rec, 'non_trainable'))}",
            f"macs: {_fn(partial(rec.macs_by, 'torchinfo')) if macs else 'null'}",
            f"activations: {_fn(partial(_activations, rec))}",
        ]
        rows.append("{" + ", ".join(parts) + "}")
    totals = [
        f"params: {_fn(lambda: model.total_params)}",
        f"trainable: {_fn(lambda: model.trainable_params)}",
        f"frozen: {_fn(lambda: model.non_trainable_params)}",
        f"macs: {_fn(partial(model.macs, 'torchinfo')) if macs else 'null'}",
        f"activations: {_fn(partial(total_activations, model))}",
    ]
    tests = [f"(s) => {js(c.condition)}" for c in model.constraints]
    return (
        "{\n    layers: [\n      " + ",\n      ".join(rows) + "\n    ],\n"
        "    totals: {" + ", ".join(totals) + "},\n"
        "    constraints: [" + ", ".join(tests) + "]\n  }"
    )
