"""The values a reader passes between ONNX ops: known constants (:class:`Const`) and computed tensors (:class:`Flow`).

>>> import numpy as np
>>> from symcnn.expr import dim_symbol
>>> Const(np.array([1, dim_symbol("H")], dtype=object)).ints("sizes")
[1, H]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from ...errors import ShapeError, UnknownLayerError
from ...formulas import Dim, prod, simplify_int
from ...layers.base import Shape
from ...tensor import Node

MAX_FOLD_ELEMENTS = 1_000_000  # a shape computation never needs more values than this


@dataclass
class Const:
    """A value known while reading: numbers and SymPy sizes in an object array.

    ``sources`` names the initializers it was computed from; ``is_float`` tells
    integer division from true division; ``array`` is None for a large
    initializer whose values are never needed (only ``dims``).
    """

    array: np.ndarray | None
    is_float: bool = False
    sources: frozenset[str] = field(default_factory=frozenset)
    dims: tuple[int, ...] | None = None
    loader: Callable[[], np.ndarray] | None = None

    def __post_init__(self) -> None:
        if self.array is not None and (not isinstance(self.array, np.ndarray) or self.array.dtype != object):
            self.array = obj(self.array)

    @property
    def shape(self) -> tuple[int, ...]:
        if self.dims is not None:
            return self.dims
        assert self.array is not None
        return tuple(self.array.shape)

    def values(self) -> np.ndarray:
        if self.array is None:
            if self.loader is None:
                raise UnknownLayerError("a weight tensor's values are needed but are not stored in the file")
            if prod(self.shape) > MAX_FOLD_ELEMENTS:
                raise UnknownLayerError(f"a shape computation uses a tensor of {prod(self.shape):,} values")
            self.array = self.loader()
        return self.array

    def ints(self, what: str) -> list[Dim]:
        """The values as a flat list of sizes (ints or SymPy expressions)."""
        return [as_int(v, what) for v in self.values().reshape(-1).tolist()]


class Opaque(Const):
    """A constant symcnn could not compute: fine as an operand of arithmetic, an error where read."""

    def __init__(self, why: str) -> None:
        super().__init__(None)
        self.why = why

    @property
    def shape(self) -> tuple[int, ...]:
        raise UnknownLayerError(self.why)

    def values(self) -> np.ndarray:
        raise UnknownLayerError(self.why)


def to_object(array: np.ndarray) -> tuple[np.ndarray, bool]:
    """A numeric NumPy array as an object array of Python numbers, and whether it held floats."""
    if array.size > MAX_FOLD_ELEMENTS:
        raise UnknownLayerError(f"a shape computation uses a tensor of {array.size:,} values")
    is_float = array.dtype.kind in "fc"
    out = np.empty(array.shape, dtype=object)
    flat = out.reshape(-1)
    for i, v in enumerate(array.reshape(-1).tolist()):
        flat[i] = v
    return out, is_float


def rational(x: Any) -> Any:
    """Floats become exact fractions (2.0 → 2, 0.5 → 1/2) so they can meet SymPy sizes."""
    if isinstance(x, bool):
        return int(x)
    if isinstance(x, float):
        if not math.isfinite(x):
            raise ShapeError(f"a size computation produced {x}")
        if x.is_integer():
            return int(x)
        frac = Fraction(x).limit_denominator(1_000_000)
        return sympy.Rational(frac.numerator, frac.denominator)
    return x


def as_int(v: Any, what: str) -> Dim:
    v = rational(v)
    if isinstance(v, int):
        return v
    if isinstance(v, sympy.Basic) and isinstance(v, sympy.Expr):
        if v.is_Integer:
            return int(v)
        if v.is_integer:
            return v
        return simplify_int(sympy.floor(v))
    raise ShapeError(f"{what} must be whole numbers, got {v!r}")


def obj(values: Any) -> np.ndarray:
    """Any value or nested list as an object array (SymPy entries are kept whole)."""
    if isinstance(values, np.ndarray):
        return values if values.dtype == object else to_object(values)[0]
    if isinstance(values, (list, tuple)):
        items = [obj(v) for v in values]
        out = np.empty((len(items), *(items[0].shape if items else ())), dtype=object)
        for i, item in enumerate(items):
            if item.shape != out.shape[1:]:
                raise ShapeError(f"ragged constant {values!r}")
            if item.ndim == 0:
                out[i] = item[()]
            else:
                out[i, ...] = item
        return out
    arr = np.empty((), dtype=object)
    arr[()] = values
    return arr


@dataclass
class Flow:
    """A tensor computed from the model's inputs: the symcnn node that makes it and its shape."""

    node: Node
    shape: Shape


@dataclass
class FlowSeq:
    """An ONNX sequence of computed tensors (SplitToSequence), read by SequenceAt."""

    items: list[Flow]


def like(flow: Flow | FlowSeq) -> Const:
    """A stand-in for a computed tensor whose element type is all an op reads (float)."""
    return Const(np.empty((0,), dtype=object), is_float=True)
