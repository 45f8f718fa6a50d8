"""Comparing configurations: one row per model and setting, the columns a paper's comparison table holds.

>>> from symcnn import Sequential, layers as L
>>> row = compare_row("tiny", {}, Sequential([L.Input((8, 8, 3)), L.Conv2D(4, 3)]))
>>> row.values["params"], row.values["macs_fvcore"], row.values["flops"]
(112, 3888, 7776)
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy

from ..model import Model
from .totals import flops, total_activations

# (key, heading): FLOPs follow torch's flop counter, 2 × the fvcore MACs.
COLUMNS = (
    ("params", "Params"),
    ("macs_torchinfo", "MACs (torchinfo)"),
    ("macs_fvcore", "MACs (fvcore)"),
    ("flops", "FLOPs (2 × fvcore MACs)"),
    ("activations", "Activations / sample"),
)


@dataclass(frozen=True)
class Row:
    """One configuration: the model's label, the symbol values it was given, and the columns' values."""

    label: str
    settings: dict[str, Any]
    values: dict[str, sympy.Expr | None]


def compare_row(label: str, settings: Mapping[str, Any], model: Model) -> Row:
    """The comparison columns of one configured model."""
    values: dict[str, Any] = {
        "params": model.total_params,
        "macs_torchinfo": model.macs("torchinfo"),
        "macs_fvcore": model.macs("fvcore"),
        "flops": flops(model, "fvcore"),
        "activations": total_activations(model),
    }
    return Row(label, dict(settings), values)


def combinations(values: Mapping[str, Sequence[str]]) -> list[dict[str, str]]:
    """Every combination of the listed values, the first name varying slowest.

    >>> combinations({"alpha": ["1", "1/2"], "R": ["224", "128"]})
    [{'alpha': '1', 'R': '224'}, {'alpha': '1', 'R': '128'}, {'alpha': '1/2', 'R': '224'}, {'alpha': '1/2', 'R': '128'}]
    """
    names = list(values)
    return [dict(zip(names, combo)) for combo in itertools.product(*(values[n] for n in names))]
