"""The comparison table: a row per configuration, in text, Markdown, CSV, JSON or booktabs LaTeX.

>>> from symcnn.analysis.compare import Row
>>> print(render([Row("m", {"R": "224"}, {"params": 10, "macs_torchinfo": 5, "macs_fvcore": 4, "flops": 8,
...                                       "activations": 3})], "csv"))
model,R,params,macs_torchinfo,macs_fvcore,flops,activations
m,224,10,5,4,8,3
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sympy

from ..analysis.compare import COLUMNS, Row
from ..expr import is_identifier
from . import grid


def _names(rows: Sequence[Row]) -> list[str]:
    names: list[str] = []
    for row in rows:
        names += [n for n in row.settings if n not in names]
    return names


def comparison_table(rows: Sequence[Row], *, keys: bool = False) -> grid.Table:
    """The rows as a grid: model, each symbol set, then the columns (headings, or keys for CSV)."""
    names = _names(rows)
    headers = ["model" if keys else "Model", *names, *(k if keys else h for k, h in COLUMNS)]
    cells = [[r.label, *(r.settings.get(n) for n in names), *(r.values[k] for k, _ in COLUMNS)] for r in rows]
    return grid.Table(headers, cells)


def _tex_heading(name: str) -> str:
    return f"${sympy.latex(sympy.Symbol(name))}$" if is_identifier(name) else grid.tex_text(name)


def render(rows: Sequence[Row], fmt: str) -> str:
    """The comparison in ``fmt``: table, markdown, csv, json or latex."""
    if fmt == "json":
        return json.dumps([
            {"model": r.label, "settings": {n: grid.json_value(v) for n, v in r.settings.items()}, **{k: grid.json_value(r.values[k]) for k, _ in COLUMNS}}
            for r in rows
        ], indent=2)
    if fmt == "csv":
        return grid.csv(comparison_table(rows, keys=True))
    table = comparison_table(rows)
    if fmt == "latex":
        names = _names(rows)
        heads = ["Model", *(_tex_heading(n) for n in names), *(grid.tex_text(h) for _, h in COLUMNS)]
        return grid.latex(table, heads)
    return grid.markdown(table) if fmt == "markdown" else grid.text(table)
