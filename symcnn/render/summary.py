"""Summaries of a model: a Keras-style table, JSON, Markdown and LaTeX. Printing only; no counting here."""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

import sympy

from ..analysis.memory import activation_bytes, dtype_bytes
from ..analysis.receptive import receptive_fields
from ..analysis.totals import flops, params_by_kind, total_activations
from ..layers.core import InputLayer
from .grid import json_value, tex_text
from .text import md_escape, number_text, shape_text, visible


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


def memory_lines(model: Any, dtype: str | None) -> list[str]:
    """With a dtype: the activations of one sample, in values and bytes."""
    if dtype is None:
        return []
    values = total_activations(model)
    if values is None:
        return ["Activations per sample: unknown (a layer's output size is unknown)"]
    text = (f"Activations per sample (the input included): {number_text(values)} values = "
            f"{number_text(activation_bytes(model, dtype))} bytes ({dtype})")
    return [text]


def table(model: Any, convention: str = "torchinfo", dtype: str | None = None) -> str:
    """A Keras-style summary table with a MACs column (and, with a dtype, the activations' bytes)."""
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
    return "\n".join(out + memory_lines(model, dtype))


def as_dict(model: Any, convention: str = "torchinfo", dtype: str | None = None) -> dict[str, Any]:
    """The JSON contract (docs/cli.md). Counts are ints, or SymPy-syntax strings when symbolic.

    Each layer also has its ``activations`` (values per sample), its ``receptive_field``, ``jump`` and
    ``receptive_field_start`` (one entry per spatial axis of the input, or null where no window applies)
    and its ``params_by_kind``; the model its ``total_activations``, ``flops`` and ``params_by_kind``.
    With a ``dtype``, activations are also given in bytes.
    """
    fields = receptive_fields(model)
    width = None if dtype is None else dtype_bytes(dtype)
    layers = []
    for rec in model.records:
        field = fields[rec.name]
        axes = field.axes
        entry: dict[str, Any] = {
            "name": rec.name,
            "type": rec.type,
            "inputs": list(rec.inputs),
            "output_shape": [json_value(d) for d in rec.output_shape],
            **({"output_shapes": [[json_value(d) for d in shape] for shape in rec.output_shapes]}
               if rec.other_outputs else {}),
            "params": json_value(rec.params),
            "trainable": json_value(rec.trainable),
            "non_trainable": json_value(rec.non_trainable),
            "macs": json_value(rec.macs_by(convention)),
            "activations": json_value(rec.activations),
            "receptive_field": None if axes is None else [json_value(a.size) for a in axes],
            "jump": None if axes is None else [json_value(a.jump) for a in axes],
            "receptive_field_start": None if axes is None else [json_value(a.start) for a in axes],
            "params_by_kind": {k: json_value(v) for k, v in rec.params_by_kind.items()},
        }
        if field.note:
            entry["receptive_field_note"] = field.note
        if width is not None:
            entry["activation_bytes"] = None if rec.activations is None else json_value(rec.activations * width)
        if rec.shared_with:
            entry["shared_with"] = rec.shared_with
        layers.append(entry)
    activations = total_activations(model)
    out: dict[str, Any] = {
        "model": model.name,
        "layers": layers,
        "total_params": json_value(model.total_params),
        "trainable_params": json_value(model.trainable_params),
        "non_trainable_params": json_value(model.non_trainable_params),
        "total_macs": json_value(model.macs(convention)),
        "macs_convention": convention,
        "flops": json_value(flops(model, convention)),
        "total_activations": json_value(activations),
        "params_by_kind": {k: json_value(v) for k, v in params_by_kind(model).items()},
        "symbols": sorted(s.name for s in model.free_symbols),
    }
    if width is not None:
        out["dtype"] = dtype
        out["total_activation_bytes"] = None if activations is None else json_value(activations * width)
    return out


def to_json(model: Any, convention: str = "torchinfo", dtype: str | None = None) -> str:
    return json.dumps(as_dict(model, convention, dtype), indent=2)


def markdown(model: Any, convention: str = "torchinfo", dtype: str | None = None) -> str:
    """A Markdown table of the summary."""
    out = [f"**Model: {md_escape(str(model.name))}**", "",
           f"| Layer (type) | Output Shape | Param # | MACs ({convention}) |", "|---|---|---:|---:|"]
    for row in _rows(model, convention, with_inputs=True):
        out.append("| " + " | ".join(md_escape(c) for c in row) + " |")
    out += ["", f"Total params: {md_escape(number_text(model.total_params))}  ",
            f"Trainable params: {md_escape(number_text(model.trainable_params))}  ",
            f"Non-trainable params: {md_escape(number_text(model.non_trainable_params))}  ",
            f"Total MACs ({convention}): {md_escape(number_text(model.macs(convention)))}"]
    extra = [md_escape(line) for line in memory_lines(model, dtype)]
    if extra:
        out[-1] += "  "
    out += extra
    return "\n".join(out)


def latex(model: Any, convention: str = "torchinfo", dtype: str | None = None) -> str:
    """A LaTeX tabular of the summary, values as math."""
    def m(v: Any) -> str:
        return f"${sympy.latex(v)}$" if isinstance(v, sympy.Basic) else f"${v}$"

    out = [r"\begin{tabular}{llrr}", r"\hline", rf"Layer (type) & Output Shape & Param \# & MACs ({convention}) \\", r"\hline"]
    for rec in model.records:
        shape = "$(" + ", ".join("\\mathrm{None}" if d is None else sympy.latex(d) for d in rec.output_shape) + ")$"
        out.append(rf"{tex_text(rec.name)} ({tex_text(rec.type)}) & {shape} & {m(rec.params)} & {m(rec.macs_by(convention))} \\")
    out += [r"\hline", rf"\multicolumn{{2}}{{l}}{{Total params}} & {m(model.total_params)} & {m(model.macs(convention))} \\",
            r"\hline", r"\end{tabular}"]
    return "\n".join(out)
