"""Memory printed: each layer's activations in values and bytes, then the training estimate part by part."""

from __future__ import annotations

import json
from typing import Any

from ..analysis.memory import TOTAL_RULE, MemoryPart, dtype_bytes, training_memory, training_total
from ..analysis.totals import total_activations
from . import grid
from .text import expr_text, shape_text


def memory_tables(model: Any, dtype: str, parts: list[MemoryPart], batch: Any, optimizer: str) -> tuple[grid.Table, grid.Table]:
    """Per-layer activations (one sample), and the training estimate's ``parts`` (for ``batch`` with ``optimizer``)."""
    width = dtype_bytes(dtype)
    rows = [[f"{r.name} ({r.type})", shape_text(r.output_shape), r.activations,
             None if r.activations is None else r.activations * width] for r in model.records]
    total = total_activations(model)
    rows.append(["Total (one sample)", "", total, None if total is None else total * width])
    layers = grid.Table(["Layer (type)", "Output Shape", "Activations", f"Bytes ({dtype})"], rows,
                        title=f'Model: "{model.name}": activations per sample')
    estimate = [[p.name, p.values, p.bytes, p.rule] for p in parts]
    estimate.append(["total", training_total(parts, values=True), training_total(parts), TOTAL_RULE])
    training = grid.Table(["Part", "Values", f"Bytes ({dtype})", "Rule"], estimate,
                          title=f"Training memory for a batch of {_batch_text(batch)} with {optimizer} ({dtype})")
    return layers, training


def render(model: Any, fmt: str, dtype: str = "float32", batch: Any = None, optimizer: str = "adam") -> str:
    """Both tables in ``fmt`` (table, markdown, csv or json)."""
    parts = training_memory(model, batch, optimizer, dtype)
    layers, training = memory_tables(model, dtype, parts, batch, optimizer)
    if fmt == "json":
        return json.dumps({
            "model": model.name, "dtype": dtype, "bytes_per_value": dtype_bytes(dtype), "optimizer": optimizer,
            "batch": grid.json_value(batch) if batch is not None else "N",
            "layers": [{"name": r.name, "activations": grid.json_value(row[2]), "bytes": grid.json_value(row[3])}
                       for r, row in zip(model.records, layers.rows)],
            "total_activations": grid.json_value(layers.rows[-1][2]),
            "activation_bytes": grid.json_value(layers.rows[-1][3]),
            "training": [{"part": p.name, "values": grid.json_value(p.values), "bytes": grid.json_value(p.bytes),
                          "rule": p.rule} for p in parts],
            "training_bytes": grid.json_value(training_total(parts)),
            "training_rule": TOTAL_RULE,
        }, indent=2)
    if fmt == "csv":
        return grid.csv(layers) + "\n\n" + grid.csv(training)
    printer = grid.markdown if fmt == "markdown" else grid.text
    return printer(layers) + "\n\n" + printer(training)


def _batch_text(batch: Any) -> str:
    return "N" if batch is None else expr_text(batch)
