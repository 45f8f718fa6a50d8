"""Constant folding for ONNX graphs whose shapes hold SymPy sizes.

Exports with dynamic axes compute sizes at run time: ``Shape → Gather →
Unsqueeze → Concat → Reshape``, ``Cast → Mul → Floor`` for ``Resize`` and so
on. This module runs those ops on :class:`~symcnn.io.onnx.values.Const` values
whose entries are Python ints or SymPy expressions, so a ``Reshape`` target
such as ``[N, 8, 4*H*W]`` comes out in closed form.

>>> import numpy as np
>>> from symcnn.expr import dim_symbol
>>> H = dim_symbol("H")
>>> shape = Const(np.array([1, 3, H, 2 * H], dtype=object))
>>> fold("Gather", [shape, Const(np.array(2))], {})[0].array
array(H, dtype=object)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ...errors import ShapeError, UnknownLayerError
from ...formulas import Dim, is_number, prod, simplify_int
from ...layers.base import format_shape
from .arith import BINARY, BOOL_TYPE, INT_TYPES, UNARY, div, map_elements
from .shape_rules import axis_index, reshape_target, squeeze_shape, unsqueeze_shape
from .values import LAZY_ELEMENTS, MAX_FOLD_ELEMENTS, Const, FoldBudget, as_int, check_folded, obj, to_object


def _input_or_attr(inputs: Sequence[Const | None], i: int, attrs: dict[str, Any], key: str) -> list[Any] | None:
    if len(inputs) > i and inputs[i] is not None:
        return inputs[i].ints(key)  # type: ignore[union-attr]
    value = attrs.get(key)
    return None if value is None else list(value)


def fold(op: str, inputs: Sequence[Const | None], attrs: dict[str, Any], budget: FoldBudget | None = None) -> list[Const]:
    """Evaluate one ONNX op on known values; raises UnknownLayerError for ops it cannot run.

    The cost is bounded: an element-wise result of more than LAZY_ELEMENTS values keeps its
    shape only, every folded value is checked by :func:`check_folded`, and ``budget`` (one per
    file) is charged for every value computed.
    """
    rule = _FOLD.get(op)
    if rule is None:
        raise UnknownLayerError(f"cannot compute ONNX op {op} on constant inputs")
    srcs = value_sources(op, inputs)
    lazy = _lazy_weight(op, inputs, attrs)
    if lazy is None:
        lazy = _lazy_large(op, inputs, attrs)
    result = lazy if lazy is not None else rule(inputs, attrs)
    outs = result if isinstance(result, list) else [result]
    for out in outs:
        out.sources = out.sources | srcs
        if out.array is not None:
            if out.array.size > MAX_FOLD_ELEMENTS:
                raise UnknownLayerError(f"{op} makes a tensor of {out.array.size:,} values while folding shapes")
            if budget is not None:
                budget.charge(out.array.size, op)
            check_folded(out.array, op)
    return outs


def value_sources(op: str, inputs: Sequence[Const | None]) -> frozenset[str]:
    """The initializers an op's output is computed from: those of its value inputs (not its shapes, axes, indices)."""
    carriers = _VALUE_INPUTS.get(op)
    return frozenset().union(
        *(c.sources for i, c in enumerate(inputs) if c is not None and (carriers is None or i in carriers))
    )


_ELEMENTWISE = frozenset({*BINARY, "Div", *UNARY, "Cast", "CastLike", "Where"})
_COMPARISONS = frozenset({"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Not"})


def _lazy_large(op: str, inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const | None:
    """A tensor no shape computation needs (a mask, a filled constant) is known by its shape alone.

    Element-wise ops, ConstantOfShape and Expand whose result would hold more than LAZY_ELEMENTS
    values give a Const of that shape without computing it: a million-value ConstantOfShape
    pushed through 300 Adds costs 300 broadcasts of shapes, not 300 million additions.
    """
    try:
        if op in _ELEMENTWISE:
            operands = [c for c in (inputs[:2] if op in ("Cast", "CastLike") else inputs) if c is not None]
            if op in ("Cast", "CastLike"):
                operands = operands[:1]
            shape = tuple(int(d) for d in np.broadcast_shapes(*(c.shape for c in operands)))
            is_float = (op not in _COMPARISONS and op not in ("Floor", "Ceil") and any(c.is_float for c in operands)
                        ) or op == "Sqrt"
            if op == "Cast":
                is_float = attrs.get("to") not in INT_TYPES and attrs.get("to") != BOOL_TYPE
        elif op == "ConstantOfShape":
            shape = tuple(int(d) for d in _first(inputs, op).ints("ConstantOfShape shape"))
            is_float = attrs.get("value") is None or np.asarray(attrs["value"]).dtype.kind in "fc"
        elif op == "Range" and len(inputs) >= 3 and all(c is not None for c in inputs[:3]):
            start, limit, delta = (c.ints("Range")[0] for c in inputs[:3])  # type: ignore[union-attr]
            if not all(isinstance(v, int) for v in (start, limit, delta)) or delta == 0:
                return None
            shape = (len(range(start, limit, delta)),)
            is_float = any(c.is_float for c in inputs[:3])  # type: ignore[union-attr]
        elif op == "Expand" and len(inputs) > 1 and inputs[1] is not None:
            target = tuple(int(d) for d in inputs[1].ints("Expand shape"))
            shape = tuple(int(d) for d in np.broadcast_shapes(_first(inputs, op).shape, target))
            is_float = _first(inputs, op).is_float
        else:
            return None
    except (ValueError, TypeError, IndexError, OverflowError):
        return None  # symbolic or impossible: the op's own rule says what is wrong
    if prod(shape) <= LAZY_ELEMENTS or any(d < 0 for d in shape):
        return None
    if prod(shape) > 2**62:
        raise UnknownLayerError(f"{op} makes a tensor of shape {list(shape)} while folding shapes")
    return Const(None, is_float, frozenset(), shape)


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
    elif op in ("Gather", "GatherND") and len(inputs) > 1 and inputs[1] is not None:
        dims = _gathered_shape(op, first.shape, inputs[1].shape, attrs)  # a table read by index: Swin's bias
    else:
        return None
    is_float = first.is_float if op != "Cast" else attrs.get("to") not in INT_TYPES
    return Const(None, is_float, frozenset(), tuple(int(d) for d in dims))


def _first(inputs: Sequence[Const | None], op: str) -> Const:
    if not inputs or inputs[0] is None:
        raise ShapeError(f"{op} has no input")
    return inputs[0]


_VARIADIC = frozenset({"Max", "Min"})


def _fold_binary(op: str) -> Callable[[Sequence[Const | None], dict[str, Any]], Const]:
    def run(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
        a, b = _first(inputs, op), inputs[1] if len(inputs) > 1 else None
        if op in _VARIADIC:  # Max and Min take one or more inputs
            present = [c for c in inputs if c is not None]
            if len(present) == 1:
                return Const(a.values(), a.is_float)
            if len(present) > 2:
                return run([run(present[:2], attrs), *present[2:]], attrs)
        if b is None:
            raise ShapeError(f"{op} needs two inputs")
        is_float = a.is_float or b.is_float
        fn = div(is_float) if op == "Div" else BINARY[op]
        out = map_elements(fn, a.values(), b.values())
        return Const(out, is_float and op not in ("Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"))

    return run


def _fold_unary(op: str) -> Callable[[Sequence[Const | None], dict[str, Any]], Const]:
    def run(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
        a = _first(inputs, op)
        return Const(map_elements(UNARY[op], a.values()), (a.is_float and op not in ("Floor", "Ceil")) or op == "Sqrt")

    return run


def _fold_cast(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
    a = _first(inputs, "Cast")
    to = attrs.get("to")
    if len(inputs) > 1 and inputs[1] is not None:  # CastLike
        to = None if inputs[1].is_float else 7
    if to in INT_TYPES:
        return Const(map_elements(lambda v: as_int(v, "Cast") if not isinstance(v, bool) else int(v), a.values()))
    if to == BOOL_TYPE:
        return Const(map_elements(lambda v: bool(v != 0), a.values()))
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
    return Const(obj(list(dims[start:end])) if end > start else np.empty((0,), dtype=object))


def _fold_shape(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
    out = fold_shape(_first(inputs, "Shape").shape, attrs)
    return out


def _fold_size(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
    return Const(obj(prod(_first(inputs, "Size").shape)))


def _fold_gather(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
    data = _first(inputs, "Gather").values()
    if len(inputs) < 2 or inputs[1] is None:
        raise ShapeError("Gather needs indices")
    idx = np.array(inputs[1].ints("Gather indices"), dtype=np.int64).reshape(inputs[1].shape)
    axis = axis_index(attrs.get("axis", 0), data.ndim, "Gather")
    try:
        return Const(np.take(data, idx, axis=axis), inputs[0].is_float)  # type: ignore[union-attr]
    except IndexError:
        raise ShapeError(f"Gather index {idx.tolist()} is out of range for shape {data.shape}") from None


def _gathered_shape(op: str, data: tuple[Any, ...], indices: tuple[Any, ...], attrs: dict[str, Any]) -> tuple[Any, ...]:
    """The shape ONNX Gather (along ``axis``) or GatherND (``batch_dims``) gives."""
    if op == "Gather":
        axis = axis_index(attrs.get("axis", 0), len(data), "Gather")
        return (*data[:axis], *indices, *data[axis + 1 :])
    batch = int(attrs.get("batch_dims", 0))
    if not indices or not is_number(indices[-1]) or not 1 <= batch + int(indices[-1]) <= len(data):
        raise ShapeError(f"GatherND indices of shape {list(indices)} do not fit data of shape {list(data)}")
    return (*indices[:-1], *data[batch + int(indices[-1]) :])


def _fold_gather_nd(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
    data = _first(inputs, "GatherND").values()
    if len(inputs) < 2 or inputs[1] is None:
        raise ShapeError("GatherND needs indices")
    if int(attrs.get("batch_dims", 0)) != 0:
        raise UnknownLayerError("GatherND with batch_dims on constant values is not supported")
    shape = _gathered_shape("GatherND", data.shape, inputs[1].shape, attrs)
    idx = np.array(inputs[1].ints("GatherND indices"), dtype=np.int64).reshape(inputs[1].shape)
    depth = int(inputs[1].shape[-1])
    try:
        out = data[tuple(idx[..., i] for i in range(depth))]
    except IndexError:
        raise ShapeError(f"GatherND indices are out of range for shape {data.shape}") from None
    return Const(np.asarray(out, dtype=object).reshape(shape), inputs[0].is_float)  # type: ignore[union-attr]


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
    axis = axis_index(attrs.get("axis", 0), arrays[0].ndim, "Concat")
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
    return [(axis_index(int(a), rank, "Slice"), s, e, st) for a, s, e, st in zip(axes, starts, ends, steps)]


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
    return Const(map_elements(lambda c, a, b: a if c else b, cond, x, y), inputs[1].is_float or inputs[2].is_float)  # type: ignore[union-attr]


def _fold_range(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
    vals = [c.ints("Range") if c is not None else [] for c in inputs[:3]]
    if len(vals) < 3 or not all(len(v) == 1 and is_number(v[0]) for v in vals):
        raise UnknownLayerError("Range with symbolic bounds")
    start, limit, delta = (int(v[0]) for v in vals)
    if delta == 0 or abs((limit - start) // delta) > MAX_FOLD_ELEMENTS:
        raise ShapeError("Range is empty of steps or too long")
    return Const(obj(list(range(start, limit, delta))))


def _fold_reduce(op: str) -> Callable[[Sequence[Const | None], dict[str, Any]], Const]:
    def run(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
        a = _first(inputs, op)
        data = a.values()
        axes = _input_or_attr(inputs, 1, attrs, "axes")
        axis = None if not axes else tuple(axis_index(int(x), data.ndim, op) for x in axes)
        keep = bool(attrs.get("keepdims", 1))
        fn = np.prod if op == "ReduceProd" else np.sum
        result = fn(data, axis=axis, keepdims=keep)
        return Const(map_elements(lambda v: simplify_int(v), obj(result)), a.is_float)

    return run


def _fold_constant(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> Const:
    for key in ("value_ints", "value_floats"):
        if key in attrs:
            return Const(obj(list(attrs[key])), key == "value_floats")
    for key in ("value_int", "value_float"):
        if key in attrs:
            return Const(obj(attrs[key]), key == "value_float")
    if "value" in attrs:
        arr, is_float = to_object(np.asarray(attrs["value"]))
        return Const(arr, is_float)
    raise UnknownLayerError(f"Constant with attributes {sorted(attrs)} is not supported")


def _fold_split(inputs: Sequence[Const | None], attrs: dict[str, Any]) -> list[Const]:
    a = _first(inputs, "Split")
    data = a.values()
    axis = axis_index(attrs.get("axis", 0), data.ndim, "Split")
    sizes = _input_or_attr(inputs, 1, attrs, "split")
    if sizes is None:
        n = attrs.get("num_outputs", 1)
        size = -(-data.shape[axis] // n)
        sizes = [min(size, data.shape[axis] - i * size) for i in range(n)]
    cuts = list(np.cumsum([int(s) for s in sizes])[:-1])
    return [Const(part, a.is_float) for part in np.split(data, cuts, axis=axis)]


_FOLD: dict[str, Callable[[Sequence[Const | None], dict[str, Any]], Any]] = {
    **{op: _fold_binary(op) for op in (*BINARY, "Div")},
    **{op: _fold_unary(op) for op in UNARY},
    "Cast": _fold_cast,
    "CastLike": _fold_cast,
    "Shape": _fold_shape,
    "Size": _fold_size,
    "Gather": _fold_gather,
    "GatherND": _fold_gather_nd,
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
    "Reshape": (0,), "Slice": (0,), "Gather": (0,), "GatherND": (0,), "Unsqueeze": (0,), "Squeeze": (0,), "Split": (0,),
    "Where": (1, 2), "ReduceProd": (0,), "ReduceSum": (0,), "Equal": (), "Less": (), "Greater": (),
    "LessOrEqual": (), "GreaterOrEqual": (), "And": (), "Or": (), "Not": (),
}
