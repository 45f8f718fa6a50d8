"""The base of the torch-convention layers: :class:`TorchLayer`, :data:`TORCH_LAYERS`, :func:`lookup`, argument helpers."""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
from collections.abc import Iterator
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
    """Two sizes known to differ are not the same; unknown or symbolic ones are given the benefit.

    The benefit is an assumption (``1 + ⌊H/16⌋·⌊W/16⌋ = 197`` where a ViT adds its position
    embedding): inside :func:`assumptions_made` it is written down, so a closed form can say
    which sizes it holds for.
    """
    if a is None or b is None:
        return True
    if is_number(a) and is_number(b):
        return int(a) == int(b)  # type: ignore[arg-type]
    decided = _decided(_as_expr(a), _as_expr(b))
    if decided is not None:
        return decided
    found = _ASSUMED.get()
    if found is not None:
        found.append(sympy.Eq(a, b))
    return True


def _as_expr(d: Dim) -> sympy.Expr:
    return sympy.Integer(d) if isinstance(d, int) else d  # type: ignore[return-value]


_PROBES = 40  # sizes tried, consecutive so that every residue of a small divisor (a window, a stride) comes up


@functools.lru_cache(maxsize=8192)
def _decided(a: sympy.Expr, b: sympy.Expr) -> bool | None:
    """True where a = b at every size, False where they always differ by the same amount, None where it depends.

    ``sympy.simplify`` on the floors of a window partition takes minutes, so the difference is
    evaluated at consecutive sizes first: different values mean it depends on the size (an
    assumption, None); zero everywhere means the same size written twice; one nonzero value
    everywhere is confirmed by simplify before it is called a mismatch.
    """
    diff = sympy.expand(a - b)
    if diff.is_number:
        return bool(diff == 0)
    symbols = sorted(diff.free_symbols, key=str)
    seen = set()
    for k in range(_PROBES):
        value = diff.xreplace({s: sympy.Integer(200 + (k + 7 * i) % _PROBES) for i, s in enumerate(symbols)})
        if not value.is_number:
            return None
        seen.add(value)
        if len(seen) > 1:
            return None
    if seen == {0}:
        return True
    exact = sympy.simplify(diff)
    return bool(exact == 0) if exact.is_number else None


_ASSUMED: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar("assumed_equal_sizes", default=None)


@contextlib.contextmanager
def assumptions_made() -> Iterator[list[Any]]:
    """Collect the equalities of symbolic sizes that torch-convention layers assume while computing shapes.

    >>> H = sympy.Symbol("H", integer=True, positive=True)
    >>> with assumptions_made() as assumed:
    ...     _ = _same(H + 1, 197)
    >>> assumed
    [Eq(H + 1, 197)]
    """
    token = _ASSUMED.set([])
    try:
        yield _ASSUMED.get()  # type: ignore[misc]
    finally:
        _ASSUMED.reset(token)


def _check_channels(layer: Layer, got: Dim, want: Dim, arg: str) -> None:
    if not _same(got, want):
        raise ShapeError(f"{layer.class_name} expects {arg}={want} input channels, got an input with {got}")
