"""Receptive fields printed: per layer, the field's size, jump and start on each spatial axis, and any note."""

from __future__ import annotations

import json
from typing import Any

from ..analysis.receptive import receptive_fields
from . import grid
from .text import expr_text, shape_text


def _axes(values: list[Any]) -> str:
    return " × ".join(expr_text(v) for v in values)


def field_table(model: Any) -> grid.Table:
    """A row per layer: receptive field (H × W ...), jump, start; '-' where no window applies."""
    fields = receptive_fields(model)
    rows = []
    notes = []
    for rec in model.records:
        f = fields[rec.name]
        if f.axes is None:
            rows.append([f"{rec.name} ({rec.type})", shape_text(rec.output_shape), "-", "-", "-"])
        else:
            rows.append([f"{rec.name} ({rec.type})", shape_text(rec.output_shape), _axes([a.size for a in f.axes]),
                         _axes([a.jump for a in f.axes]), ", ".join(expr_text(a.start) for a in f.axes)])
        if f.note:
            notes.append(f"{rec.name}: {f.note}")
    footer = ["", "Notes:", *notes] if notes else []
    return grid.Table(["Layer (type)", "Output Shape", "Receptive field", "Jump", "Start"], rows,
                      title=f'Model: "{model.name}": receptive fields on the input', footer=footer)


def render(model: Any, fmt: str) -> str:
    """Receptive fields in ``fmt``: table, markdown, csv or json."""
    if fmt == "json":
        fields = receptive_fields(model)
        return json.dumps({"model": model.name, "layers": [
            {"name": rec.name, "type": rec.type,
             "receptive_field": None if (f := fields[rec.name]).axes is None else [grid.json_value(a.size) for a in f.axes],
             "jump": None if f.axes is None else [grid.json_value(a.jump) for a in f.axes],
             "receptive_field_start": None if f.axes is None else [grid.json_value(a.start) for a in f.axes],
             **({"note": f.note} if f.note else {})}
            for rec in model.records]}, indent=2)
    table = field_table(model)
    if fmt == "csv":
        table.footer = []
        return grid.csv(table)
    return grid.markdown(table) if fmt == "markdown" else grid.text(table)
