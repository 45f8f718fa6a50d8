"""Model-wide totals beyond params and MACs: activations, FLOPs and weights by kind.

>>> from symcnn import Sequential, layers as L
>>> m = Sequential([L.Input((8, 8, 3)), L.Conv2D(4, 3), L.Flatten(), L.Dense(2)])
>>> total_activations(m), flops(m, "fvcore"), params_by_kind(m)["biases"]
(482, 8352, 6)
"""

from __future__ import annotations

from typing import Any

import sympy

from ..layers.base import WEIGHT_KINDS
from ..layers.core import InputLayer
from ..model import Model


def total_activations(model: Model) -> sympy.Expr | None:
    """The values every layer outputs per sample, the input included; None if a size is unknown.

    A nested model counts every layer inside it (not only its output), its own inputs excepted:
    they are the values of the layer that feeds it.
    """
    total: sympy.Expr = sympy.Integer(0)
    for rec in model.records:
        if isinstance(rec.layer, Model):
            nested = rec.layer.with_input(*rec.input_shapes)
            inner = total_activations(nested)
            if inner is None:
                return None
            total += inner - sympy.Add(*(r.activations for r in nested.records if isinstance(r.layer, InputLayer)))
            continue
        value = rec.activations
        if value is None:
            return None
        total += value
    return total


def flops(model: Model, convention: str = "torchinfo") -> sympy.Expr:
    """FLOPs = 2 × MACs under ``convention`` (one multiply and one add per multiply-accumulate)."""
    return 2 * model.macs(convention)


def params_by_kind(model: Model) -> dict[str, sympy.Expr]:
    """The model's weights by kind (``WEIGHT_KINDS``); they add up to ``total_params + total_buffers``."""
    out: dict[str, Any] = {kind: sympy.Integer(0) for kind in WEIGHT_KINDS}
    for rec in model.records:
        for kind, value in rec.params_by_kind.items():
            out[kind] += value
    return out
