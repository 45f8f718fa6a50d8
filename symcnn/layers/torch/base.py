"""The base of the torch-convention layers: :class:`TorchLayer`, :data:`TORCH_LAYERS`, :func:`lookup`, argument helpers."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import sympy

from ...errors import ArgumentError, ShapeError
from ...formulas import Dim, is_number, simplify_int
from ..base import Layer, Shape, Weight

TORCH_LAYERS: dict[str, type[Layer]] = {}


def lookup(name: str, convention: str = "torch") -> type[Layer] | None:
    """The layer class for ``name``: torch's classes first under the torch convention."""
    if convention == "torch" and name in TORCH_LAYERS:
        return TORCH_LAYERS[name]
    return Layer.registry.get(name)


class TorchLayer(Layer, register=False):
    """Base of the torch-convention layers: channels first, statistics are buffers."""

    channels_last = False
    counts_stats = False

    frozen_weights: frozenset[str] = frozenset()  # torch parameters with requires_grad=False

    def __init_subclass__(cls, register: bool = True, **kwargs: Any) -> None:
        super().__init_subclass__(register=False, **kwargs)
        if "weights" in cls.__dict__:
            cls.weights = _respecting_frozen(cls.__dict__["weights"])  # type: ignore[method-assign]
        if register and not cls.__name__.startswith("_"):
            for key in (cls.__name__, *cls.aliases):
                TORCH_LAYERS[key] = cls
                Layer.registry.setdefault(key, cls)  # never displace a Keras class of the same name

    def __init__(self, *, device: Any = None, dtype: Any = None, **base: Any) -> None:
        super().__init__(**base)


def _respecting_frozen(method: Any) -> Any:
    """Wrap a ``weights`` method so the layer's frozen parameters come out non-trainable."""

    @functools.wraps(method)
    def weights(self: TorchLayer, inputs: list[Shape]) -> list[Weight]:
        found = method(self, inputs)
        if not self.frozen_weights:
            return found
        return [dataclasses.replace(w, trainable=False) if w.name in self.frozen_weights else w for w in found]

    return weights


# ---- argument helpers ------------------------------------------------------------------


def _int(value: Any, arg: str, *, low: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentError(f"{arg} must be a whole number, got {value!r}")
    if low is not None and value < low:
        raise ArgumentError(f"{arg} must be at least {low}, got {value}")
    return value


def _div(a: Dim, b: Dim) -> Dim:
    """a / b for a size known to divide evenly (exact for ints, a quotient for expressions)."""
    if is_number(a) and is_number(b):
        return int(a) // int(b)  # type: ignore[arg-type]
    return simplify_int(sympy.Integer(a) / b if isinstance(a, int) else a / b)


def _axis(dim: int, rank: int, who: str) -> int:
    """A torch dimension index (negative counts from the end) for a tensor of ``rank``."""
    if not -rank <= dim < rank:
        raise ShapeError(f"{who}: dimension {dim} is out of range for a tensor of rank {rank}")
    return dim + rank if dim < 0 else dim


def _same(a: Dim, b: Dim) -> bool:
    """Two sizes known to differ are not the same; unknown or symbolic ones are given the benefit."""
    if a is None or b is None:
        return True
    if is_number(a) and is_number(b):
        return int(a) == int(b)  # type: ignore[arg-type]
    return sympy.simplify(a - b) == 0 or not (sympy.simplify(a - b)).is_number


def _check_channels(layer: Layer, got: Dim, want: Dim, arg: str) -> None:
    if not _same(got, want):
        raise ShapeError(f"{layer.class_name} expects {arg}={want} input channels, got an input with {got}")
