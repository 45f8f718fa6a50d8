"""The grouped summary: a row per layer type or block, with its parameters and MACs and their shares.

>>> from symcnn import Sequential, layers as L
>>> m = Sequential([L.Input((8, 8, 3)), L.Conv2D(4, 3), L.Flatten(), L.Dense(2)])
>>> print(group_table(m, "type", "fvcore").rows[0])
['Conv2D 3×3', 1, 112, Percent(value=56/201), 3888, Percent(value=27/29)]
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..analysis.grouping import group_layers, share
from . import grid


def group_table(model: Any, by: str, convention: str = "torchinfo", kinds: Sequence[str] | None = None) -> grid.Table:
    """Groups as a table: layers, parameters (of ``kinds`` if given) and MACs, each with its share of the total."""
    groups = group_layers(model, by, kinds)
    params_total = sum((g.params for g in groups), start=0)
    macs_total = sum((g.macs[convention] for g in groups), start=0)
    counted = "Params" if kinds is None else f"Params ({' + '.join(kinds)})"
    headers = ["Type" if by == "type" else "Block", "Layers", counted, "% params", f"MACs ({convention})", "% MACs"]
    rows = [
        [g.key, len(g.layers), g.params, grid.Percent(share(g.params, params_total)), g.macs[convention],
         grid.Percent(share(g.macs[convention], macs_total))]
        for g in groups
    ]
    rows.append(["Total", sum(len(g.layers) for g in groups), params_total, grid.Percent(share(params_total, params_total)),
                 macs_total, grid.Percent(share(macs_total, macs_total))])
    return grid.Table(headers, rows, title=f'Model: "{model.name}", grouped by {by}')


def render(model: Any, by: str, fmt: str, convention: str = "torchinfo", kinds: Sequence[str] | None = None) -> str:
    """The grouped summary in ``fmt``: table, markdown, csv, json or latex."""
    table = group_table(model, by, convention, kinds)
    if fmt == "json":
        keys = ["group", "layers", "params", "params_share", "macs", "macs_share"]
        groups = [dict(zip(keys, (grid.json_value(c) for c in row))) for row in table.rows[:-1]]
        return json.dumps({"model": model.name, "group_by": by, "macs_convention": convention,
                           "param_kinds": list(kinds) if kinds else "all", "groups": groups,
                           "total_params": grid.json_value(table.rows[-1][2]),
                           "total_macs": grid.json_value(table.rows[-1][4])}, indent=2)
    printers = {"table": grid.text, "markdown": grid.markdown, "csv": grid.csv, "latex": grid.latex}
    return printers[fmt](table)
