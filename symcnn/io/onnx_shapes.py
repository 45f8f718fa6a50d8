"""Constant folding for ONNX graphs whose shapes hold SymPy sizes.

Exports with dynamic axes compute sizes at run time: ``Shape → Gather →
Unsqueeze → Concat → Reshape``, ``Cast → Mul → Floor`` for ``Resize`` and so
on. This module runs those ops on :class:`Const` values whose entries are
Python ints or SymPy expressions, so a ``Reshape`` target such as
``[N, 8, 4*H*W]`` comes out in closed form.

It also holds the few shape-only layers an ONNX graph needs that PyTorch has
no module for (Transpose, Squeeze, Slice, Pad with per-side amounts, ...).
They learn nothing: their MACs are zero in every convention.

>>> import numpy as np
>>> from symcnn.expr import dim_symbol
>>> H = dim_symbol("H")
>>> shape = Const(np.array([1, 3, H, 2 * H], dtype=object))
>>> fold("Gather", [shape, Const(np.array(2))], {})[0].array
array(H, dtype=object)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np
import sympy

from ..errors import ArgumentError, ShapeError, UnknownLayerError
from ..formulas import Dim, floor_div, is_number, prod, simplify_int
from ..layers.base import Layer, Shape, Weight, format_shape
from ..layers.merge import broadcast

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
            self.array = _obj(self.array)

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
        return [_as_int(v, what) for v in self.values().reshape(-1).tolist()]


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


def _rational(x: Any) -> Any:
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


def _as_int(v: Any, what: str) -> Dim:
    v = _rational(v)
    if isinstance(v, int):
        return v
    if isinstance(v, sympy.Basic) and isinstance(v, sympy.Expr):
        if v.is_Integer:
            return int(v)
        if v.is_integer:
            return v
        return simplify_int(sympy.floor(v))
    raise ShapeError(f"{what} must be whole numbers, got {v!r}")


def _obj(values: Any) -> np.ndarray:
    """Any value or nested list as an object array (SymPy entries are kept whole)."""
    if isinstance(values, np.ndarray):
        return values if values.dtype == object else to_object(values)[0]
    if isinstance(values, (list, tuple)):
        items = [_obj(v) for v in values]
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


def _elementwise(fn: Callable[..., Any], *arrays: np.ndarray) -> np.ndarray:
    try:
        b = np.broadcast_arrays(*arrays)
    except ValueError:
        raise ShapeError(f"shapes {[a.shape for a in arrays]} do not broadcast") from None
    out = np.empty(b[0].shape, dtype=object)
    flat = out.reshape(-1)
    for i, items in enumerate(zip(*(x.reshape(-1).tolist() for x in b))):
        flat[i] = fn(*items)
    return out


def _div(is_float: bool) -> Callable[[Any, Any], Any]:
    def div(a: Any, b: Any) -> Any:
        a, b = _rational(a), _rational(b)
        if b == 0:
            raise ShapeError("a size computation divides by zero")
        if is_float:
            return simplify_int(sympy.Rational(a, b) if isinstance(a, int) and isinstance(b, int) else a / b)
        if isinstance(a, int) and isinstance(b, int):
            q = abs(a) // abs(b)  # ONNX integer division truncates toward zero
            return q if (a >= 0) == (b > 0) else -q
        if is_number(b) and b > 0:
            return floor_div(a, b)  # sizes are positive: truncation is the floor
        return simplify_int(sympy.floor(a / b))

    return div


def _compare(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], bool]:
    def cmp(a: Any, b: Any) -> bool:
        result = op(_rational(a), _rational(b))
        if result in (True, False) or isinstance(result, (bool, np.bool_)):
            return bool(result)
        if isinstance(result, sympy.logic.boolalg.BooleanAtom):
            return bool(result)
        raise UnknownLayerError(f"cannot decide {result} for every size")

    return cmp


def _arith(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    return lambda a, b: simplify_int(fn(_rational(a), _rational(b)))


def _max(a: Any, b: Any) -> Any:
    a, b = _rational(a), _rational(b)
    return max(a, b) if is_number(a) and is_number(b) else simplify_int(sympy.Max(a, b))


def _min(a: Any, b: Any) -> Any:
    a, b = _rational(a), _rational(b)
    return min(a, b) if is_number(a) and is_number(b) else simplify_int(sympy.Min(a, b))


def _floor(a: Any) -> Any:
    a = _rational(a)
    return math.floor(a) if isinstance(a, int) else simplify_int(sympy.floor(a))


def _ceil(a: Any) -> Any:
    a = _rational(a)
    return math.ceil(a) if isinstance(a, int) else simplify_int(sympy.ceiling(a))


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "Add": _arith(lambda a, b: a + b),
    "Sub": _arith(lambda a, b: a - b),
    "Mul": _arith(lambda a, b: a * b),
    "Max": _max,
    "Mod": _arith(lambda a, b: a % b if is_number(a) and is_number(b) else sympy.Mod(a, b)),
    "Min": _min,
    "Equal": _compare(lambda a, b: sympy.Eq(a, b) if not (is_number(a) and is_number(b)) else a == b),
    "Less": _compare(lambda a, b: a < b),
    "Greater": _compare(lambda a, b: a > b),
    "LessOrEqual": _compare(lambda a, b: a <= b),
    "GreaterOrEqual": _compare(lambda a, b: a >= b),
    "And": lambda a, b: bool(a) and bool(b),
    "Or": lambda a, b: bool(a) or bool(b),
}
_UNARY: dict[str, Callable[[Any], Any]] = {
    "Neg": lambda a: simplify_int(-_rational(a)),
    "Abs": lambda a: simplify_int(abs(_rational(a))),
    "Floor": _floor,
    "Ceil": _ceil,
    "Not": lambda a: not a,
    "Sqrt": lambda a: math.sqrt(a) if is_number(a) or isinstance(a, float) else sympy.sqrt(_rational(a)),
    "Reciprocal": lambda a: simplify_int(1 / _rational(a)) if _rational(a) != 0 else math.inf,
    "Sign": lambda a: (a > 0) - (a < 0) if is_number(a) or isinstance(a, float) else simplify_int(sympy.sign(a)),
    "Identity": lambda a: a,
}

_INT_TYPES = {2, 3, 4, 5, 6, 7, 12, 13}  # uint8 int8 uint16 int16 int32 int64 uint32 uint64
_BOOL_TYPE = 9


def _axis(axis: int, rank: int, op: str) -> int:
    if not -rank <= axis < max(rank, 1):
        raise ShapeError(f"{op}: axis {axis} is out of range for rank {rank}")
    return axis + rank if axis < 0 else axis


def _input_or_attr(inputs: Sequence[Const | None], i: int, attrs: dict[str, Any], key: str) -> list[Any] | None:
    if len(inputs) > i and inputs[i] is not None:
        return inputs[i].ints(key)  # type: ignore[union-attr]
    value = attrs.get(key)
    return None if value is None else list(value)


def fold(op: str, inputs: Sequence[Const | None], attrs: dict[str, Any]) -> list[Const]:
    """Evaluate one ONNX op on known values; raises UnknownLayerError for ops it cannot run."""
    rule = _FOLD.get(op)
    if rule is None:
        raise UnknownLayerError(f"cannot compute ONNX op {op} on constant inputs")
    carriers = _VALUE_INPUTS.get(op)
    srcs = frozenset().union(
        *(c.sources for i, c in enumerate(inputs) if c is not None and (carriers is None or i in carriers))
    )
    lazy = _lazy_weight(op, inputs, attrs)
    result = lazy if lazy is not None else rule(inputs, attrs)
    outs = result if isinstance(result, list) else [result]
    for out in outs:
        out.sources = out.sources | srcs
        if out.array is not None and out.array.size > MAX_FOLD_ELEMENTS:
            raise UnknownLayerError(f"{op} makes a tensor of {out.array.size:,} values while folding shapes")
    return outs


LAZY_ELEMENTS = 4096  # float weights, and any tensor bigger than this, are moved by shape alone, never read


def _lazy_weight(op: str, inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const | None:
    """A weight an exporter only transposes, casts or reshapes keeps its size and not its values."""
    first = inputs[0] if inputs else None
    if first is None or first.array is not None or not (first.is_float or prod(first.shape) > LAZY_ELEMENTS):
        return None
    dims: tuple[Any, ...]
    if op in ("Identity", "Cast", "CastLike"):
        dims = first.shape
    elif op == "Transpose":
        perm = attrs.get("perm") or list(reversed(range(len(first.shape))))
        dims = tuple(first.shape[int(p)] for p in perm)
    elif op == "Unsqueeze":
        dims = unsqueeze_shape(first.shape, _input_or_attr(inputs, 1, attrs, "axes") or [])
    elif op == "Squeeze":
        dims = squeeze_shape(first.shape, _input_or_attr(inputs, 1, attrs, "axes"))
    elif op == "Reshape" and len(inputs) > 1 and inputs[1] is not None:
        dims = reshape_target(first.shape, inputs[1].ints("Reshape shape"), attrs.get("allowzero", 0))
    else:
        return None
    is_float = first.is_float if op != "Cast" else attrs.get("to") not in _INT_TYPES
    return Const(None, is_float, frozenset(), tuple(int(d) for d in dims))


def _first(inputs: Sequence[Const | None], op: str) -> Const:
    if not inputs or inputs[0] is None:
        raise ShapeError(f"{op} has no input")
    return inputs[0]


def _fold_binary(op: str) -> Callable[[Sequence[Const | None], dict[str, Any]], Const]:
    def run(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
        a, b = _first(inputs, op), inputs[1] if len(inputs) > 1 else None
        if b is None:
            raise ShapeError(f"{op} needs two inputs")
        is_float = a.is_float or b.is_float
        fn = _div(is_float) if op == "Div" else _BINARY[op]
        out = _elementwise(fn, a.values(), b.values())
        return Const(out, is_float and op not in ("Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"))

    return run


def _fold_unary(op: str) -> Callable[[Sequence[Const | None], dict[str, Any]], Const]:
    def run(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
        a = _first(inputs, op)
        return Const(_elementwise(_UNARY[op], a.values()), (a.is_float and op not in ("Floor", "Ceil")) or op == "Sqrt")

    return run


def _fold_cast(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
    a = _first(inputs, "Cast")
    to = attrs.get("to")
    if len(inputs) > 1 and inputs[1] is not None:  # CastLike
        to = None if inputs[1].is_float else 7
    if to in _INT_TYPES:
        return Const(_elementwise(lambda v: _as_int(v, "Cast") if not isinstance(v, bool) else int(v), a.values()))
    if to == _BOOL_TYPE:
        return Const(_elementwise(lambda v: bool(v != 0), a.values()))
    return Const(a.values(), True)


def fold_shape(dims: Sequence[Dim], attrs: dict[str, Any]) -> Const:
    """ONNX ``Shape`` (with its ``start``/``end`` attributes) of a tensor of shape ``dims``."""
    rank = len(dims)
    start = attrs.get("start", 0)
    end = attrs.get("end", rank)
    start = min(max(start + rank if start < 0 else start, 0), rank)
    end = min(max(end + rank if end < 0 else end, 0), rank)
    if any(d is None for d in dims[start:end]):
        raise ShapeError(f"Shape of {format_shape(tuple(dims))}: a size is unknown")
    return Const(_obj(list(dims[start:end])) if end > start else np.empty((0,), dtype=object))


def _fold_shape(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
    out = fold_shape(_first(inputs, "Shape").shape, attrs)
    return out


def _fold_size(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
    return Const(_obj(prod(_first(inputs, "Size").shape)))


def _fold_gather(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
    data = _first(inputs, "Gather").values()
    if len(inputs) < 2 or inputs[1] is None:
        raise ShapeError("Gather needs indices")
    idx = np.array(inputs[1].ints("Gather indices"), dtype=np.int64).reshape(inputs[1].shape)
    axis = _axis(attrs.get("axis", 0), data.ndim, "Gather")
    try:
        return Const(np.take(data, idx, axis=axis), inputs[0].is_float)  # type: ignore[union-attr]
    except IndexError:
        raise ShapeError(f"Gather index {idx.tolist()} is out of range for shape {data.shape}") from None


def _fold_unsqueeze(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
    a = _first(inputs, "Unsqueeze")
    axes = _input_or_attr(inputs, 1, attrs, "axes") or []
    return Const(a.values().reshape(unsqueeze_shape(a.shape, axes)), a.is_float)


def _fold_squeeze(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
    a = _first(inputs, "Squeeze")
    axes = _input_or_attr(inputs, 1, attrs, "axes")
    return Const(a.values().reshape(squeeze_shape(a.shape, axes)), a.is_float)


def _fold_concat(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
    parts = [c for c in inputs if c is not None]
    arrays = [c.values() for c in parts]
    axis = _axis(attrs.get("axis", 0), arrays[0].ndim, "Concat")
    try:
        return Const(np.concatenate(arrays, axis=axis), any(c.is_float for c in parts))
    except ValueError:
        raise ShapeError(f"Concat of shapes {[a.shape for a in arrays]} on axis {axis}") from None


def slice_bounds(rank: int, inputs: Sequence[Const | None], attrs: dict[str, Any]) -> list[tuple[int, Any, Any, Any]]:
    """(axis, start, end, step) per sliced axis, from Slice's inputs (opset 10+) or attributes."""
    starts = _input_or_attr(inputs, 1, attrs, "starts")
    ends = _input_or_attr(inputs, 2, attrs, "ends")
    if starts is None or ends is None:
        raise ShapeError("Slice needs starts and ends")
    axes = _input_or_attr(inputs, 3, attrs, "axes") or list(range(len(starts)))
    steps = _input_or_attr(inputs, 4, attrs, "steps") or [1] * len(starts)
    if not len(starts) == len(ends) == len(axes) == len(steps):
        raise ShapeError("Slice: starts, ends, axes and steps differ in length")
    return [(_axis(int(a), rank, "Slice"), s, e, st) for a, s, e, st in zip(axes, starts, ends, steps)]


def _fold_slice(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
    a = _first(inputs, "Slice")
    data = a.values()
    index: list[slice] = [slice(None)] * data.ndim
    for axis, start, end, step in slice_bounds(data.ndim, inputs, attrs):
        if not all(is_number(v) for v in (start, end, step)) or step == 0:
            raise ShapeError("Slice of a known tensor needs whole-number bounds")
        index[axis] = slice(int(start), int(end), int(step))
    return Const(data[tuple(index)], a.is_float)


def _fold_reshape(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
    a = _first(inputs, "Reshape")
    if len(inputs) < 2 or inputs[1] is None:
        raise ShapeError("Reshape needs a shape")
    target = reshape_target(a.shape, inputs[1].ints("Reshape shape"), attrs.get("allowzero", 0))
    if not all(is_number(d) for d in target):
        raise ShapeError(f"Reshape of a known tensor to {target}")
    return Const(a.values().reshape([int(d) for d in target]), a.is_float)


def _fold_transpose(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
    a = _first(inputs, "Transpose")
    return Const(np.transpose(a.values(), attrs.get("perm")), a.is_float)


def _fold_constant_of_shape(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
    dims = _first(inputs, "ConstantOfShape").ints("ConstantOfShape shape")
    if not all(is_number(d) for d in dims):
        raise UnknownLayerError("ConstantOfShape with a symbolic size feeds a tensor, not a shape")
    value = attrs.get("value")
    fill, is_float = (0.0, True) if value is None else to_object(np.asarray(value).reshape(-1)[:1])
    fill_value = fill if value is None else fill[0]  # type: ignore[index]
    if prod(dims) > MAX_FOLD_ELEMENTS:
        raise UnknownLayerError(f"ConstantOfShape of {prod(dims):,} values")
    out = np.empty([int(d) for d in dims], dtype=object)
    out.fill(fill_value)
    return Const(out, is_float)


def _fold_expand(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
    a = _first(inputs, "Expand")
    if len(inputs) < 2 or inputs[1] is None:
        raise ShapeError("Expand needs a shape")
    dims = inputs[1].ints("Expand shape")
    if not all(is_number(d) for d in dims):
        raise UnknownLayerError("Expand to a symbolic size feeds a tensor, not a shape")
    data = a.values()
    try:
        shape = np.broadcast_shapes(data.shape, tuple(int(d) for d in dims))
        if prod(shape) > MAX_FOLD_ELEMENTS:
            raise UnknownLayerError(f"Expand to {list(shape)} makes too many values while folding shapes")
        return Const(np.array(np.broadcast_to(data, shape)), a.is_float)
    except ValueError:
        raise ShapeError(f"Expand of shape {data.shape} to {dims}") from None


def _fold_where(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
    if len(inputs) < 3 or any(c is None for c in inputs[:3]):
        raise ShapeError("Where needs three inputs")
    cond, x, y = (c.values() for c in inputs[:3])  # type: ignore[union-attr]
    return Const(_elementwise(lambda c, a, b: a if c else b, cond, x, y), inputs[1].is_float or inputs[2].is_float)  # type: ignore[union-attr]


def _fold_range(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
    vals = [c.ints("Range") if c is not None else [] for c in inputs[:3]]
    if len(vals) < 3 or not all(len(v) == 1 and is_number(v[0]) for v in vals):
        raise UnknownLayerError("Range with symbolic bounds")
    start, limit, delta = (int(v[0]) for v in vals)
    if delta == 0 or abs((limit - start) // delta) > MAX_FOLD_ELEMENTS:
        raise ShapeError("Range is empty of steps or too long")
    return Const(_obj(list(range(start, limit, delta))))


def _fold_reduce(op: str) -> Callable[[Sequence[Const | None], dict[str, Any]], Const]:
    def run(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
        a = _first(inputs, op)
        data = a.values()
        axes = _input_or_attr(inputs, 1, attrs, "axes")
        axis = None if not axes else tuple(_axis(int(x), data.ndim, op) for x in axes)
        keep = bool(attrs.get("keepdims", 1))
        fn = np.prod if op == "ReduceProd" else np.sum
        result = fn(data, axis=axis, keepdims=keep)
        return Const(_elementwise(lambda v: simplify_int(v), _obj(result)), a.is_float)

    return run


def _fold_constant(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
    for key in ("value_ints", "value_floats"):
        if key in attrs:
            return Const(_obj(list(attrs[key])), key == "value_floats")
    for key in ("value_int", "value_float"):
        if key in attrs:
            return Const(_obj(attrs[key]), key == "value_float")
    if "value" in attrs:
        arr, is_float = to_object(np.asarray(attrs["value"]))
        return Const(arr, is_float)
    raise UnknownLayerError(f"Constant with attributes {sorted(attrs)} is not supported")


def _fold_split(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> list[Const]:
    a = _first(inputs, "Split")
    data = a.values()
    axis = _axis(attrs.get("axis", 0), data.ndim, "Split")
    sizes = _input_or_attr(inputs, 1, attrs, "split")
    if sizes is None:
        n = attrs.get("num_outputs", 1)
        size = -(-data.shape[axis] // n)
        sizes = [min(size, data.shape[axis] - i * size) for i in range(n)]
    cuts = list(np.cumsum([int(s) for s in sizes])[:-1])
    return [Const(part, a.is_float) for part in np.split(data, cuts, axis=axis)]


_FOLD: dict[str, Callable[[Sequence[Const | None], dict[str, Any]], Any]] = {
    **{op: _fold_binary(op) for op in (*_BINARY, "Div")},
    **{op: _fold_unary(op) for op in _UNARY},
    "Cast": _fold_cast,
    "CastLike": _fold_cast,
    "Shape": _fold_shape,
    "Size": _fold_size,
    "Gather": _fold_gather,
    "Unsqueeze": _fold_unsqueeze,
    "Squeeze": _fold_squeeze,
    "Concat": _fold_concat,
    "Slice": _fold_slice,
    "Reshape": _fold_reshape,
    "Transpose": _fold_transpose,
    "ConstantOfShape": _fold_constant_of_shape,
    "Expand": _fold_expand,
    "Where": _fold_where,
    "Range": _fold_range,
    "ReduceProd": _fold_reduce("ReduceProd"),
    "ReduceSum": _fold_reduce("ReduceSum"),
    "Constant": _fold_constant,
    "Split": _fold_split,
}
FOLDABLE = frozenset(_FOLD)
# Inputs whose values flow into the output (the others are shapes, indices, axes or types):
# a bias computed from the weight's shape is not learned from the weight.
_VALUE_INPUTS: dict[str, tuple[int, ...]] = {
    "Shape": (), "Size": (), "ConstantOfShape": (), "Range": (), "CastLike": (0,), "Expand": (0,),
    "Reshape": (0,), "Slice": (0,), "Gather": (0,), "Unsqueeze": (0,), "Squeeze": (0,), "Split": (0,),
    "Where": (1, 2), "ReduceProd": (0,), "ReduceSum": (0,), "Equal": (), "Less": (), "Greater": (),
    "LessOrEqual": (), "GreaterOrEqual": (), "And": (), "Or": (), "Not": (),
}


# ---- shape rules shared by folding and by the shape-only layers ---------------------------


def unsqueeze_shape(shape: Sequence[Any], axes: Sequence[Any]) -> tuple[Any, ...]:
    rank = len(shape) + len(axes)
    where = sorted(_axis(int(a), rank, "Unsqueeze") for a in axes)
    out = list(shape)
    for a in where:
        out.insert(a, 1)
    return tuple(out)


def squeeze_shape(shape: Sequence[Any], axes: Sequence[Any] | None) -> tuple[Any, ...]:
    if axes is None:
        return tuple(d for d in shape if d != 1)
    drop = {_axis(int(a), len(shape), "Squeeze") for a in axes}
    for a in drop:
        if is_number(shape[a]) and shape[a] != 1:
            raise ShapeError(f"Squeeze: axis {a} of {format_shape(tuple(shape))} is not 1")
    return tuple(d for i, d in enumerate(shape) if i not in drop)


def reshape_target(shape: Sequence[Any], target: Sequence[Any], allowzero: int = 0) -> tuple[Any, ...]:
    """ONNX Reshape: 0 copies the input's size (unless ``allowzero``), one -1 is inferred."""
    out = [shape[i] if (d == 0 and not allowzero and i < len(shape)) else d for i, d in enumerate(target)]
    if sum(1 for d in out if d == -1) > 1:
        raise ShapeError(f"Reshape target {list(target)} has more than one -1")
    total = prod(shape)
    if -1 in out:
        known = prod(d for d in out if d != -1)
        rest = simplify_int(sympy.cancel(total / known)) if not (is_number(total) and is_number(known)) else None
        if rest is None:
            if known == 0 or total % known:
                raise ShapeError(f"cannot reshape {format_shape(tuple(shape))} to {list(target)}")
            rest = total // known
        elif not (isinstance(rest, int) or rest.is_integer):
            rest = simplify_int(sympy.simplify(rest))
        out = [rest if d == -1 else d for d in out]
    else:
        size = prod(out)
        if is_number(size) and is_number(total) and size != total:
            raise ShapeError(f"cannot reshape {format_shape(tuple(shape))} ({total} values) to {list(target)}")
    for d in out:
        if is_number(d) and d < 0:
            raise ShapeError(f"Reshape target {list(target)} has a negative size")
    return tuple(out)


# ---- shape-only layers ------------------------------------------------------------------


class _ShapeOp(Layer, register=False):
    """A layer that only moves data; the output shape follows from its stored arguments."""

    arity: ClassVar[int | None] = 1

    def __init__(self, **base: Any) -> None:
        super().__init__(**base)


class Transpose(_ShapeOp, register=False):
    """ONNX Transpose: axes reordered by ``perm`` (reversed when absent)."""

    def __init__(self, perm: Sequence[int] | None = None, **base: Any) -> None:
        super().__init__(**base)
        self.perm = None if perm is None else tuple(int(p) for p in perm)

    def hyperparameters(self) -> dict[str, Any]:
        return {"perm": self.perm}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        perm = self.perm if self.perm is not None else tuple(reversed(range(len(shape))))
        if sorted(perm) != list(range(len(shape))):
            raise ShapeError(f"Transpose perm {list(perm)} does not fit shape {format_shape(shape)}")
        return tuple(shape[p] for p in perm)


class Unsqueeze(_ShapeOp, register=False):
    """ONNX Unsqueeze: size-1 axes inserted at ``axes``."""

    def __init__(self, axes: Sequence[int] = (), **base: Any) -> None:
        super().__init__(**base)
        self.axes = tuple(int(a) for a in axes)

    def hyperparameters(self) -> dict[str, Any]:
        return {"axes": self.axes}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return unsqueeze_shape(self._one_input(inputs), self.axes)


class Squeeze(_ShapeOp, register=False):
    """ONNX Squeeze: size-1 axes removed (all of them when ``axes`` is None)."""

    def __init__(self, axes: Sequence[int] | None = None, **base: Any) -> None:
        super().__init__(**base)
        self.axes = None if axes is None else tuple(int(a) for a in axes)

    def hyperparameters(self) -> dict[str, Any]:
        return {"axes": self.axes}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return squeeze_shape(self._one_input(inputs), self.axes)


class ReshapeTo(_ShapeOp, register=False):
    """ONNX Reshape to a folded target shape (batch axis included; 0 copies, -1 is inferred)."""

    @property
    def class_name(self) -> str:
        return "Reshape"


    def __init__(self, shape: Sequence[Any] = (), allowzero: int = 0, **base: Any) -> None:
        super().__init__(**base)
        self.shape = tuple(shape)
        self.allowzero = int(allowzero)

    def hyperparameters(self) -> dict[str, Any]:
        return {"shape": self.shape}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return reshape_target(self._one_input(inputs), self.shape, self.allowzero)


class Pad(_ShapeOp, register=False):
    """ONNX Pad: ``before``/``after`` amounts per axis (negative amounts crop)."""

    def __init__(self, before: Sequence[Any] = (), after: Sequence[Any] = (), **base: Any) -> None:
        super().__init__(**base)
        self.before = tuple(before)
        self.after = tuple(after)

    def hyperparameters(self) -> dict[str, Any]:
        return {"before": self.before, "after": self.after}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        if len(self.before) != len(shape) or len(self.after) != len(shape):
            raise ShapeError(f"Pad amounts {list(self.before)}, {list(self.after)} do not fit {format_shape(shape)}")
        return tuple(simplify_int(d + b + a) for d, b, a in zip(shape, self.before, self.after))


class SliceOp(_ShapeOp, register=False):
    """ONNX Slice along some axes: ``(axis, start, end, step)`` each."""

    @property
    def class_name(self) -> str:
        return "Slice"


    def __init__(self, bounds: Sequence[tuple[int, Any, Any, Any]] = (), **base: Any) -> None:
        super().__init__(**base)
        self.bounds = tuple(tuple(b) for b in bounds)

    def hyperparameters(self) -> dict[str, Any]:
        return {"bounds": self.bounds}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        out = list(self._one_input(inputs))
        for axis, start, end, step in self.bounds:
            out[axis] = slice_length(out[axis], start, end, step)
        return tuple(out)


def slice_length(n: Dim, start: Dim, end: Dim, step: Dim) -> Dim:
    """How many items ``x[start:end:step]`` keeps from ``n`` (Python/ONNX clamping)."""
    if not is_number(step) or step == 0:
        raise ShapeError(f"Slice step must be a nonzero number, got {step}")
    if all(is_number(v) for v in (n, start, end)):
        return len(range(*slice(int(start), int(end), int(step)).indices(int(n))))
    # A symbolic axis is taken to be long enough for the bounds the exporter saw: numbers at
    # or past INT32's range mean "to the end", negative ones count from the end.
    big = 2**31 - 1
    if step > 0:
        s = start + n if is_number(start) and start < 0 else start
        e = n if is_number(end) and end >= big else end + n if is_number(end) and end < 0 else end
    else:
        s = n - 1 if is_number(start) and start >= big else start + n if is_number(start) and start < 0 else start
        e = -1 if is_number(end) and end <= -big else end + n if is_number(end) and end < 0 else end
    span = s - e if step < 0 else e - s
    width = abs(int(step))
    return simplify_int(floor_div(span + width - 1, width))


class GatherOp(_ShapeOp, register=False):
    """ONNX Gather with fixed indices of shape ``index_shape`` along ``axis``."""

    @property
    def class_name(self) -> str:
        return "Gather"


    def __init__(self, axis: int = 0, index_shape: Sequence[int] = (), **base: Any) -> None:
        super().__init__(**base)
        self.axis = int(axis)
        self.index_shape = tuple(index_shape)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        a = _axis(self.axis, len(shape), "Gather")
        return (*shape[:a], *self.index_shape, *shape[a + 1 :])


class Reduce(_ShapeOp, register=False):
    """ONNX Reduce* ops, ArgMax/ArgMin and GlobalPool: ``axes`` reduced, kept as 1 when ``keepdims``."""

    @property
    def class_name(self) -> str:
        return self.op


    def __init__(self, op: str = "ReduceMean", axes: Sequence[int] | None = None, keepdims: bool = True, **base: Any) -> None:
        super().__init__(**base)
        self.op = op
        self.axes = None if axes is None else tuple(int(a) for a in axes)
        self.keepdims = bool(keepdims)

    def hyperparameters(self) -> dict[str, Any]:
        return {"op": self.op, "axes": self.axes, "keepdims": self.keepdims}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        axes = set(range(len(shape))) if self.axes is None else {_axis(a, len(shape), self.op) for a in self.axes}
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(shape))
        return tuple(d for i, d in enumerate(shape) if i not in axes)


class Elementwise(_ShapeOp, register=False):
    """ONNX element-wise ops (Add, Mul, Where, ...) with NumPy broadcasting.

    Learned tensors it applies (an initializer operand such as a layer scale)
    are its ``weights``; torchinfo counts no MACs for them (they are not a leaf
    module's weight/bias), so its MACs are zero.
    """

    arity = None

    def __init__(self, op: str = "Add", learned: Sequence[tuple[str, tuple[Any, ...]]] = (), **base: Any) -> None:
        super().__init__(**base)
        self.op = op
        self.learned = tuple((n, tuple(s)) for n, s in learned)

    def hyperparameters(self) -> dict[str, Any]:
        return {"op": self.op}

    @property
    def class_name(self) -> str:
        return self.op

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shapes = [*inputs, *(s for _, s in self.learned)]
        if not inputs:
            raise ShapeError(f"{self.op} has no tensor input")
        return broadcast(shapes, self.op) if len(shapes) > 1 else shapes[0]

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        return [Weight(name, shape) for name, shape in self.learned]

    def torchinfo_positions(self, inputs: list[Shape], output: Shape) -> Dim:
        return 0


class MatMulOp(_ShapeOp, register=False):
    """ONNX MatMul of two computed tensors (attention scores and the like): no weights."""

    arity = 2

    @property
    def class_name(self) -> str:
        return "MatMul"

    def output_shape(self, inputs: list[Shape]) -> Shape:
        a, b = inputs
        if len(a) < 2 or len(b) < 2:
            raise ShapeError(f"MatMul of {format_shape(a)} and {format_shape(b)}: both need rank 2 or more")
        if is_number(a[-1]) and is_number(b[-2]) and a[-1] != b[-2]:
            raise ShapeError(f"MatMul of {format_shape(a)} and {format_shape(b)}: inner sizes differ")
        lead = broadcast([tuple(a[:-2]) or (1,), tuple(b[:-2]) or (1,)], "MatMul") if (a[:-2] or b[:-2]) else ()
        return (*lead, a[-2], b[-1])

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        return prod([*(d for d in output if d is not None), inputs[0][-1]])


def check_rank(op: str, shape: Shape, ranks: Sequence[int]) -> None:
    if len(shape) not in ranks:
        raise ShapeError(f"{op} expects an input of rank {' or '.join(map(str, ranks))}, got {format_shape(shape)}")


def require(condition: bool, problem: str) -> None:
    if not condition:
        raise ArgumentError(problem)
