"""Unknown sizes of an input: Keras writes ``null``; symcnn names each as a symbol (rule in the package doc)."""

from __future__ import annotations

from typing import Any

from ...errors import ArgumentError, ShapeError, SymcnnError
from ...expr import dim_symbol
from ...layers.core import InputLayer

_SPATIAL_NAMES = {1: ("T",), 2: ("H", "W"), 3: ("D", "H", "W")}


def _input_shape(config: dict[str, Any]) -> list[Any]:
    for key in ("batch_shape", "batch_input_shape"):
        if config.get(key) is not None:
            value = config[key]
            if not isinstance(value, list):
                raise ArgumentError(f"{key} must be a list of sizes, got {value!r}")
            return value
    shape = config.get("shape", config.get("input_shape"))
    if shape is not None:
        if not isinstance(shape, list):
            raise ArgumentError(f"shape must be a list of sizes, got {shape!r}")
        return [config.get("batch_size"), *shape]
    raise ArgumentError("InputLayer has no 'batch_shape' (Keras 3) or 'batch_input_shape' (Keras 2)")


def _has_unknown(config: dict[str, Any]) -> bool:
    try:
        return any(d is None for d in _input_shape(config)[1:])
    except SymcnnError:
        return False


def _size(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentError(f"{what} must be a whole number or null, got {value!r}")
    if value < 1:
        raise ArgumentError(f"{what} must be positive, got {value}")
    return value


def _batch(value: Any) -> int | None:
    return _size(value, "the batch size")


def _axis_names(dims: list[int | None]) -> tuple[str, ...]:
    """Names of the non-batch axes of an input (the rule in the package doc)."""
    n = len(dims)
    if n == 1:
        return ("T",)
    spatial = _SPATIAL_NAMES.get(n - 1) or tuple(f"S{i}" for i in range(1, n))
    if dims[0] is not None and dims[-1] is None:  # channels first: (batch, C, *spatial)
        return ("C", *spatial)
    return (*spatial, "C")


def input_layer(config: dict[str, Any], name: str, suffix: int) -> InputLayer:
    """An InputLayer whose unknown sizes (but the batch) are named symbols (see the package doc)."""
    raw = _input_shape(config)
    shape = [_size(d, f"batch_shape[{i}]") if i else _batch(d) for i, d in enumerate(raw)]
    if len(shape) < 2:
        raise ShapeError(f"an input needs at least one axis besides the batch, got {list(raw)!r}")
    names = _axis_names(shape[1:])
    dims = [shape[0]] + [
        dim_symbol(f"{names[i]}_{suffix}" if suffix else names[i]) if d is None else d for i, d in enumerate(shape[1:])
    ]
    return InputLayer(batch_shape=tuple(dims), name=name)
