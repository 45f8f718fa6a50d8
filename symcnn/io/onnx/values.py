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
from ...expr import MAX_EXPONENT, MAX_RESULT_BITS
from ...formulas import Dim, prod, simplify_int
from ...layers.base import Shape
from ...tensor import Node

MAX_FOLD_ELEMENTS = 1_000_000  # a shape computation never needs more values than this
FOLD_BUDGET = 2_000_000  # values computed or read while folding one file, all ops together (about a second)
MAX_FOLD_TERMS = 2_000  # nodes of one folded SymPy expression
LAZY_ELEMENTS = 4096  # a folded element-wise result larger than this keeps its shape, not its values


class FoldBudget:
    """How many values constant folding may still compute or read for this file.

    Every folded tensor and every initializer read for its values is charged; past the budget a
    value is still known by shape but no longer computed (an error only if a shape needs it).
    """

    def __init__(self, values: int = FOLD_BUDGET) -> None:
        self.left = values

    def charge(self, n: int, what: str) -> None:
        if n > self.left:
            self.left = 0
            raise UnknownLayerError(f"{what}: constant folding would compute more than {FOLD_BUDGET:,} values "
                                    "in this file (symcnn's limit, FOLD_BUDGET)")
        self.left -= n


def check_folded(array: np.ndarray, op: str) -> None:
    """Refuse a folded value too large to be a size: a number over MAX_RESULT_BITS bits, an expression over
    MAX_FOLD_TERMS nodes or with a power above MAX_EXPONENT (40 chained squarings must not run forever)."""
    for v in array.reshape(-1).tolist():
        if isinstance(v, (bool, float)) or v is None:
            continue
        if isinstance(v, int):
            if v.bit_length() > MAX_RESULT_BITS:
                raise UnknownLayerError(f"{op} makes a number of {v.bit_length():,} bits while folding shapes; "
                                        f"the limit is {MAX_RESULT_BITS:,} bits")
        elif isinstance(v, sympy.Basic):
            _check_expression(v, op)


def _check_expression(expr: sympy.Basic, op: str) -> None:
    for count, node in enumerate(sympy.preorder_traversal(expr)):
        if count > MAX_FOLD_TERMS:
            raise UnknownLayerError(f"{op} makes an expression of more than {MAX_FOLD_TERMS:,} terms while folding")
        if isinstance(node, sympy.Rational) and max(abs(node.p), node.q).bit_length() > MAX_RESULT_BITS:
            raise UnknownLayerError(f"{op} makes a number of more than {MAX_RESULT_BITS:,} bits while folding shapes")
        if isinstance(node, sympy.Pow) and node.exp.is_Number and abs(node.exp) > MAX_EXPONENT:
            raise UnknownLayerError(f"{op} makes a power {node.exp} while folding shapes; the limit is "
                                    f"{MAX_EXPONENT}")


class Values(dict):  # type: ignore[type-arg]
    """The reader's tensors by name; an initializer becomes a :class:`Const` only when a node first reads it.

    A file of a million unused initializers then costs their protobuf, not a million Python objects.
    """

    def __init__(self, initializers: dict[str, Any], make: Callable[[Any], Any]) -> None:
        super().__init__()
        self.pending = initializers
        self.make = make

    def __missing__(self, key: str) -> Any:
        if key in self.pending:
            value = self[key] = self.make(self.pending.pop(key))
            return value
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self.pending

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        try:
            return self[key]
        except KeyError:
            return default


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

    def __init__(self, why: str, sources: frozenset[str] = frozenset()) -> None:
        super().__init__(None, sources=sources)  # a parameter it was computed from stays known: it must not vanish
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
