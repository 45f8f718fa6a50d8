"""``keras.ops`` that rearrange one tensor's axes: Reshape, Transpose, ExpandDims, Squeeze, Moveaxis, Swapaxes, BroadcastTo."""

from __future__ import annotations

from typing import Any

import sympy

from ...errors import ArgumentError, ShapeError
from ...formulas import Dim, is_number, prod, simplify_int
from ..base import Shape, as_dim, format_shape
from .base import _axes, _expr, _keep_batch, _Op, _register, broadcast_shapes


class _OpReshape(_Op, register=False):
    """``keras.ops.reshape(x, newshape)``: ``newshape`` includes the batch axis; one entry may be -1."""

    op_name = "Reshape"

    def __init__(self, newshape: Any = None, **base: Any) -> None:
        super().__init__(**base)
        if not isinstance(newshape, (list, tuple)):
            newshape = [newshape]
        self.newshape = tuple(-1 if d == -1 and not isinstance(d, bool) else as_dim(d, "newshape") for d in newshape)
        if self.newshape.count(-1) > 1:
            raise ArgumentError(f"newshape may hold at most one -1, got {list(newshape)!r}")

    def hyperparameters(self) -> dict[str, Any]:
        return {"newshape": self.newshape}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._inputs(inputs)[0]
        if None in shape:
            return tuple(None if d == -1 else d for d in self.newshape)
        size = prod(shape)
        known = prod(d for d in self.newshape if d != -1)
        if -1 not in self.newshape:
            if is_number(size) and is_number(known) and size != known:
                raise ShapeError(f"cannot reshape {format_shape(shape)} ({size} values) into {self.newshape}")
            return self.newshape
        if is_number(size) and is_number(known):
            if size % known:
                raise ShapeError(f"cannot reshape {format_shape(shape)} ({size} values) into {self.newshape}")
            rest: Dim = size // known
        else:
            rest = simplify_int(sympy.factor(_expr(size) / known))
        return tuple(rest if d == -1 else d for d in self.newshape)


class _OpTranspose(_Op, register=False):
    op_name = "Transpose"

    def __init__(self, axes: Any = None, **base: Any) -> None:
        super().__init__(**base)
        if axes is not None and not isinstance(axes, (list, tuple)):
            raise ArgumentError(f"axes must be a list of axis numbers, got {axes!r}")
        self.axes = None if axes is None else tuple(axes)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._inputs(inputs)[0]
        rank = len(shape)
        axes = list(range(rank))[::-1] if self.axes is None else _axes(self.axes, rank, self.class_name)
        if sorted(axes) != list(range(rank)):
            raise ShapeError(f"Transpose: axes {self.axes} are not a permutation of the {rank} axes")
        if axes[0] != 0:
            raise ShapeError("Transpose moves the batch axis; symcnn keeps the batch axis first")
        return tuple(shape[a] for a in axes)


class _AxisOp(_Op, register=False):
    """An op on one tensor with an ``axis`` argument (an axis, a list of them, or None), checked against the input."""

    def __init__(self, axis: Any = None, **base: Any) -> None:
        super().__init__(**base)
        self.axis = axis


class _OpExpandDims(_AxisOp, register=False):
    op_name = "ExpandDims"

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = list(self._inputs(inputs)[0])
        axis = [len(shape)] if self.axis is None else self.axis
        items = list(axis) if isinstance(axis, (list, tuple)) else [axis]
        axes = _axes(items, len(shape) + len(items), self.class_name)
        if len(set(axes)) != len(axes):
            raise ShapeError(f"ExpandDims: axis {self.axis} repeats an axis")
        _keep_batch(self, axes, "moves")
        it = iter(shape)
        return tuple(1 if i in axes else next(it) for i in range(len(shape) + len(items)))


class _OpSqueeze(_AxisOp, register=False):
    op_name = "Squeeze"

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = list(self._inputs(inputs)[0])
        if self.axis is None:
            axes = [i for i, d in enumerate(shape) if d == 1]
        else:
            axes = _axes(self.axis, len(shape), self.class_name)
            for a in axes:
                if shape[a] != 1:
                    raise ShapeError(f"Squeeze: axis {a} of {format_shape(tuple(shape))} is not of size 1")
        _keep_batch(self, axes, "removes")
        return tuple(d for i, d in enumerate(shape) if i not in axes)


class _OpMoveaxis(_Op, register=False):
    op_name = "Moveaxis"

    def __init__(self, source: Any = None, destination: Any = None, **base: Any) -> None:
        super().__init__(**base)
        self.source = source if isinstance(source, (list, tuple)) else [source]
        self.destination = destination if isinstance(destination, (list, tuple)) else [destination]
        if len(self.source) != len(self.destination):
            raise ArgumentError(f"source and destination must have as many axes, got {source!r} and {destination!r}")

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = list(self._inputs(inputs)[0])
        src = _axes(self.source, len(shape), self.class_name)
        dst = _axes(self.destination, len(shape), self.class_name)
        if len(set(src)) != len(src) or len(set(dst)) != len(dst):
            raise ShapeError(f"Moveaxis: repeated axes in {self.source} or {self.destination}")
        order = [i for i in range(len(shape)) if i not in src]
        for d, a in sorted(zip(dst, src)):
            order.insert(d, a)
        if order[0] != 0:
            raise ShapeError("Moveaxis moves the batch axis; symcnn keeps the batch axis first")
        return tuple(shape[i] for i in order)


class _OpSwapaxes(_Op, register=False):
    op_name = "Swapaxes"

    def __init__(self, axis1: Any = None, axis2: Any = None, **base: Any) -> None:
        super().__init__(**base)
        self.axis1, self.axis2 = axis1, axis2

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = list(self._inputs(inputs)[0])
        a, b = _axes([self.axis1, self.axis2], len(shape), self.class_name)
        _keep_batch(self, [a, b] if a != b else [], "moves")
        shape[a], shape[b] = shape[b], shape[a]
        return tuple(shape)


class _OpBroadcastTo(_Op, register=False):
    op_name = "BroadcastTo"

    def __init__(self, shape: Any = None, **base: Any) -> None:
        super().__init__(**base)
        if not isinstance(shape, (list, tuple)):
            raise ArgumentError(f"shape must be a list of sizes, got {shape!r}")
        self.shape = tuple(None if d is None else as_dim(d, "shape") for d in shape)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        broadcast_shapes([self._inputs(inputs)[0], self.shape], self.class_name)
        return self.shape


for _cls in (_OpReshape, _OpTranspose, _OpExpandDims, _OpSqueeze, _OpMoveaxis, _OpSwapaxes, _OpBroadcastTo):
    _register(_cls, _cls.op_name)
