"""Summaries of a model: a Keras-style table, JSON, Markdown and LaTeX. Printing only; no counting here."""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

import sympy

from ..layers.core import InputLayer
from .text import expr_text, md_escape, number_text, shape_text, visible


def _rows(model: Any, convention: str, with_inputs: bool) -> list[tuple[str, str, str, str]]:
    rows = []
    for rec in model.records:
        if isinstance(rec.layer, InputLayer) and not with_inputs:
            continue
        params = number_text(rec.params)
        if rec.shared_with:
            params += f" (shared with {visible(rec.shared_with)})"
        rows.append((f"{visible(rec.name)} ({visible(rec.type)})", _shapes_text(rec), params,
                     number_text(rec.macs_by(convention))))
    return rows


def _shapes_text(rec: Any) -> str:
    """One output's shape, or Keras's list of them for a layer with several outputs."""
    shapes = rec.output_shapes
    return shape_text(shapes[0]) if len(shapes) == 1 else "[" + ", ".join(shape_text(s) for s in shapes) + "]"


def _is_chain(model: Any) -> bool:
    """True when every layer takes the one before it: shown without input rows, as Keras shows a Sequential."""
    recs = model.records
    return bool(recs) and not recs[0].inputs and all(r.inputs == [p.name] for p, r in pairwise(recs))


def table(model: Any, convention: str = "torchinfo") -> str:
    """A Keras-style summary table with a MACs column."""
    graph = not _is_chain(model)
    header: tuple[str, ...] = ("Layer (type)", "Output Shape", "Param #", f"MACs ({convention})")
    rows: list[tuple[str, ...]] = list(_rows(model, convention, with_inputs=graph))
    inputs_col = graph
    if inputs_col:
        header = (*header, "Connected to")
        conn = [visible(", ".join(r.connections)) for r in model.records]
        rows = [(*row, c) for row, c in zip(rows, conn)]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    total = sum(widths) + 3 * (len(widths) - 1) + 2

    def line(cells: tuple[str, ...]) -> str:
        parts = []
        for i, (cell, w) in enumerate(zip(cells, widths)):
            parts.append(cell.rjust(w) if i in (2, 3) else cell.ljust(w))
        return " " + "   ".join(parts).rstrip()

    out = [f'Model: "{visible(model.name)}"', "_" * total, line(header), "=" * total]
    for i, row in enumerate(rows):
        out.append(line(row))
        out.append(("_" if i < len(rows) - 1 else "=") * total)
    if not rows:
        out.append("=" * total)
    out += [
        f"Total params: {number_text(model.total_params)}",
        f"Trainable params: {number_text(model.trainable_params)}",
        f"Non-trainable params: {number_text(model.non_trainable_params)}",
    ]
    if model.total_buffers != 0:
        out.append(f"Buffers (not parameters): {number_text(model.total_buffers)}")
    out.append(f"Total MACs ({convention}): {number_text(model.macs(convention))}")
    return "\n".join(out)


def _json_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, int) or (isinstance(value, sympy.Basic) and value.is_Integer):
        return int(value)
    return expr_text(value)


def as_dict(model: Any, convention: str = "torchinfo") -> dict[str, Any]:
    """The JSON contract: see the README. Counts are ints, or SymPy-syntax strings when symbolic."""
    layers = []
    for rec in model.records:
        layers.append({
            "name": rec.name,
            "type": rec.type,
            "inputs": list(rec.inputs),
            "output_shape": [_json_value(d) for d in rec.output_shape],
            **({"output_shapes": [[_json_value(d) for d in shape] for shape in rec.output_shapes]}
               if rec.other_outputs else {}),
            "params": _json_value(rec.params),
            "trainable": _json_value(rec.trainable),
            "non_trainable": _json_value(rec.non_trainable),
            "macs": _json_value(rec.macs_by(convention)),
            **({"shared_with": rec.shared_with} if rec.shared_with else {}),
        })
    return {
        "model": model.name,
        "layers": layers,
        "total_params": _json_value(model.total_params),
        "trainable_params": _json_value(model.trainable_params),
        "non_trainable_params": _json_value(model.non_trainable_params),
        "total_macs": _json_value(model.macs(convention)),
        "macs_convention": convention,
        "symbols": sorted(s.name for s in model.free_symbols),
    }


def to_json(model: Any, convention: str = "torchinfo") -> str:
    return json.dumps(as_dict(model, convention), indent=2)


def markdown(model: Any, convention: str = "torchinfo") -> str:
    """A Markdown table of the summary."""
    out = [f"**Model: {md_escape(str(model.name))}**", "",
           f"| Layer (type) | Output Shape | Param # | MACs ({convention}) |", "|---|---|---:|---:|"]
    for row in _rows(model, convention, with_inputs=True):
        out.append("| " + " | ".join(md_escape(c) for c in row) + " |")
    out += ["", f"Total params: {md_escape(number_text(model.total_params))}  ",
            f"Trainable params: {md_escape(number_text(model.trainable_params))}  ",
            f"Non-trainable params: {md_escape(number_text(model.non_trainable_params))}  ",
            f"Total MACs ({convention}): {md_escape(number_text(model.macs(convention)))}"]
    return "\n".join(out)


def _tex_text(text: str) -> str:
    text = visible(text)
    for a, b in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("&", r"\&"), ("%", r"\%"), ("#", r"\#"),
                 ("$", r"\$"), ("{", r"\{"), ("}", r"\}"), ("^", r"\^{}"), ("~", r"\~{}")):
        text = text.replace(a, b) if a != "\\" else text.replace(a, "\0")
    return text.replace("\0", r"\textbackslash{}")


def latex(model: Any, convention: str = "torchinfo") -> str:
    """A LaTeX tabular of the summary, values as math."""
    def m(v: Any) -> str:
        return f"${sympy.latex(v)}$" if isinstance(v, sympy.Basic) else f"${v}$"

    out = [r"\begin{tabular}{llrr}", r"\hline", rf"Layer (type) & Output Shape & Param \# & MACs ({convention}) \\", r"\hline"]
    for rec in model.records:
        shape = "$(" + ", ".join("\\mathrm{None}" if d is None else sympy.latex(d) for d in rec.output_shape) + ")$"
        out.append(rf"{_tex_text(rec.name)} ({_tex_text(rec.type)}) & {shape} & {m(rec.params)} & {m(rec.macs_by(convention))} \\")
    out += [r"\hline", rf"\multicolumn{{2}}{{l}}{{Total params}} & {m(model.total_params)} & {m(model.macs(convention))} \\",
            r"\hline", r"\end{tabular}"]
    return "\n".join(out)
