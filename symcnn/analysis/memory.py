"""Memory: activation bytes for a dtype, and a training-memory estimate for a batch of N, part by part.

Each part says the rule it counts by, so a reader can check it by hand:

>>> from symcnn import Sequential, layers as L
>>> m = Sequential([L.Input((8, 8, 3)), L.Conv2D(4, 3), L.Flatten(), L.Dense(2)])
>>> parts = training_memory(m, batch=32, optimizer="adam")
>>> [(p.name, p.values) for p in parts]
[('weights', 402), ('gradients', 402), ('optimizer state', 804), ('activations', 15424), ('optimizer step', 576)]
>>> training_total(parts)
68128
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from ..errors import ArgumentError, ShapeError
from ..expr import dim_symbol
from ..model import Model
from .totals import total_activations

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}
OPTIMIZERS = ("sgd", "momentum", "adam")

_OPTIMIZER_RULES = {
    "sgd": "plain SGD keeps no state",
    "momentum": "SGD with momentum keeps one velocity per trainable parameter",
    "adam": "Adam keeps two moments per trainable parameter",
}
_STEP_RULES = {
    "sgd": "plain SGD updates in place",
    "momentum": "SGD with momentum updates in place",
    "adam": "while it steps, Adam holds two temporary copies of the largest trainable weight tensor (torch's "
            "per-tensor Adam, the CPU default); the backward pass has freed the activations by then",
}
TOTAL_RULE = ("weights + gradients + optimizer state + the larger of the activations and the step's temporaries "
              "(all counted as if alive at once, so torch's measured peak is usually lower)")


@dataclass(frozen=True)
class MemoryPart:
    """One part of the estimate: how many values, how many bytes, and the rule that counts them."""

    name: str
    values: sympy.Expr
    bytes: sympy.Expr
    rule: str


def dtype_bytes(dtype: str) -> int:
    """Bytes per value of ``dtype`` (float32, float16, bfloat16, int8).

    >>> dtype_bytes("bfloat16")
    2
    """
    if dtype not in DTYPE_BYTES:
        raise ArgumentError(f"dtype must be one of {', '.join(DTYPE_BYTES)}, got {dtype!r}")
    return DTYPE_BYTES[dtype]


def activation_bytes(model: Model, dtype: str = "float32") -> sympy.Expr:
    """Bytes of every layer's output for one sample (the input included)."""
    values = _activations(model)
    return values * dtype_bytes(dtype)


def _activations(model: Model) -> sympy.Expr:
    values = total_activations(model)
    if values is None:
        raise ShapeError("a layer's output size is unknown: give it a symbol name (e.g. H) to count activations")
    return values


def _largest_trainable_tensor(model: Model) -> sympy.Expr:
    sizes = [
        sympy.Integer(w.size) if isinstance(w.size, int) else w.size
        for r in model.records if r.shared_with is None and r.layer.trainable
        for w in r.weights if w.kind == "param" and w.trainable and w.name not in r.tied_weights
    ]
    return sympy.Max(*sizes) if sizes else sympy.Integer(0)


def training_memory(
    model: Model, batch: Any = None, optimizer: str = "adam", dtype: str = "float32"
) -> list[MemoryPart]:
    """The memory one training step holds for a batch of ``batch`` samples (a symbol ``N`` by default).

    Weights (parameters and buffers), gradients, optimizer state, the activations kept for the backward
    pass and the optimizer step's temporaries, each with its rule; :func:`training_total` adds them up.
    The parts are counted as if alive at once; torch frees activations while gradients fill in and
    allocates temporaries of its own, so its measured peak differs (tests/test_analytics_memory.py says by
    how much).
    """
    if optimizer not in OPTIMIZERS:
        raise ArgumentError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {optimizer!r}")
    width = dtype_bytes(dtype)
    n = dim_symbol("N") if batch is None else sympy.Integer(batch) if isinstance(batch, int) else batch
    trainable = model.trainable_params
    state = {"sgd": sympy.Integer(0), "momentum": trainable, "adam": 2 * trainable}
    step = {"sgd": sympy.Integer(0), "momentum": sympy.Integer(0), "adam": 2 * _largest_trainable_tensor(model)}
    parts = [
        ("weights", model.total_params + model.total_buffers,
         "every parameter, trainable or not, and every buffer (torch's moving statistics), once"),
        ("gradients", trainable, "one gradient per trainable parameter"),
        ("optimizer state", state[optimizer], _OPTIMIZER_RULES[optimizer]),
        ("activations", n * _activations(model),
         f"every layer's output for each of the {n} samples, the input included, is kept for the backward pass"),
        ("optimizer step", step[optimizer], _STEP_RULES[optimizer]),
    ]
    return [MemoryPart(name, _tidy(v), _tidy(v * width), rule) for name, v, rule in parts]


def training_total(parts: list[MemoryPart], *, values: bool = False) -> sympy.Expr:
    """Bytes (or values) of the estimate: ``TOTAL_RULE``, from the parts of :func:`training_memory`."""
    by = {p.name: (p.values if values else p.bytes) for p in parts}
    peak = sympy.Max(by["activations"], by["optimizer step"])
    return _tidy(by["weights"] + by["gradients"] + by["optimizer state"] + peak)


def _tidy(value: Any) -> sympy.Expr:
    value = sympy.Integer(value) if isinstance(value, int) else value
    return value if value.is_Integer else sympy.expand(value)
