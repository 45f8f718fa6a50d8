"""Merging layers: element-wise (with broadcasting), concatenation, and the batchwise dot product."""

from __future__ import annotations

from typing import Any

import sympy

from ..errors import ArgumentError, ShapeError
from ..formulas import Dim, is_number, prod, same_size, simplify_int
from .base import Layer, Shape, Window, batch_of, flag, format_shape, require_known


def broadcast(shapes: list[Shape], who: str) -> Shape:
    """NumPy broadcasting of shapes, as Keras's merge layers apply it."""
    rank = max(len(s) for s in shapes)
    padded = [(1,) * (rank - len(s)) + tuple(s) for s in shapes]
    out: list[Any] = []
    for axis in zip(*padded):
        sizes = {d for d in axis if d != 1}
        if any(d is None for d in sizes):
            out.append(None)
            continue
        if len(sizes) > 1 and (all(is_number(d) for d in sizes) or len({sympy.simplify(d) for d in sizes}) > 1):
            raise ShapeError(f"{who} inputs do not match: {', '.join(format_shape(s) for s in shapes)}")
        out.append(next(iter(sizes)) if sizes else 1)
    return tuple(out)


class _Merge(Layer, register=False):
    arity = None
    position_wise = True

    def output_shape(self, inputs: list[Shape]) -> Shape:
        # Keras (base_merge.compute_output_shape): the batch axes are set aside, the other axes
        # broadcast right-aligned, so (N, 4, 5, 3) + (N, 5, 3) is (N, 4, 5, 3).
        if len(inputs) < 1:
            raise ShapeError(f"{self.class_name} needs at least one input, got {len(inputs)}")
        batches = {s[0] for s in inputs if s} - {None}
        if len(batches) > 1:
            raise ShapeError(f"{self.class_name} inputs have different batch sizes: {', '.join(format_shape(s) for s in inputs)}")
        rest = broadcast([tuple(s[1:]) for s in inputs], self.class_name)
        return (next(iter(batches)) if batches else None, *rest)


for _name in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"):
    globals()[_name] = type(_name, (_Merge,), {
        "__doc__": f"Keras {_name}: element-wise, shapes broadcast.",
        **({"arity": 2} if _name == "Subtract" else {}),  # Keras: exactly two inputs
    })


class Concatenate(Layer):
    """Joins inputs along ``axis``; every other axis must agree."""

    arity = None

    def __init__(self, axis: Any = -1, **base: Any) -> None:
        super().__init__(**base)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ArgumentError(f"axis must be an integer, got {axis!r}")
        self.axis = axis

    def hyperparameters(self) -> dict[str, Any]:
        return {"axis": self.axis}

    def window(self, inputs: list[Shape]) -> Window | None:
        rank = len(inputs[0]) if inputs else 0
        if rank < 2 or self.axis not in (-1, rank - 1):  # joined along a spatial axis: positions move
            return None
        return Window.identity(rank - 2)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        if len(inputs) < 1:
            raise ShapeError("Concatenate needs inputs")
        rank = len(inputs[0])
        if any(len(s) != rank for s in inputs):
            raise ShapeError(f"Concatenate inputs differ in rank: {', '.join(format_shape(s) for s in inputs)}")
        axis = self.axis + rank if self.axis < 0 else self.axis
        if not 0 < axis < rank:
            raise ShapeError(f"axis {self.axis} is out of range for inputs of rank {rank}")
        out = list(inputs[0])
        for shape in inputs[1:]:
            for i, (a, b) in enumerate(zip(out, shape)):
                if i == axis or i == 0:
                    continue
                if a is not None and b is not None and sympy.simplify(a - b) != 0:
                    raise ShapeError(
                        f"Concatenate inputs must match except on axis {self.axis}: "
                        f"{', '.join(format_shape(s) for s in inputs)}"
                    )
        sizes = [s[axis] for s in inputs]
        out[axis] = None if any(d is None for d in sizes) else simplify_int(sum(sizes, start=0))
        return tuple(out)



class Dot(Layer):
    """Keras Dot: the batchwise dot product of two inputs along ``axes`` (one axis each; never the batch).

    The output is the first input's shape without its axis, then the second's without its axis and
    batch; a lone batch axis becomes (batch, 1). fvcore counts the product's multiply-adds:
    batch × the output's other sizes × the summed size.
    """

    arity = 2

    def __init__(self, axes: Any = None, normalize: bool = False, **base: Any) -> None:
        super().__init__(**base)
        pair = [axes, axes] if isinstance(axes, int) and not isinstance(axes, bool) else axes
        if (
            not isinstance(pair, (list, tuple))
            or len(pair) != 2
            or not all(isinstance(a, int) and not isinstance(a, bool) for a in pair)
        ):
            raise ArgumentError(f"axes must be an integer or a pair of integers, got {axes!r}")
        self.axes = axes if isinstance(axes, int) else tuple(pair)
        self.normalize = flag(normalize, "normalize")

    def hyperparameters(self) -> dict[str, Any]:
        return {"axes": self.axes, **({"normalize": True} if self.normalize else {})}

    def _parts(self, inputs: list[Shape]) -> tuple[Shape, Any]:
        if len(inputs) != 2:
            raise ShapeError(f"Dot takes two inputs, got {len(inputs)}")
        x, y = (tuple(s) for s in inputs)
        if len(x) < 2 or len(y) < 2:
            raise ShapeError(f"Dot needs inputs of rank 2 or more (batch included), got {format_shape(x)}, {format_shape(y)}")
        pair = (self.axes, self.axes) if isinstance(self.axes, int) else self.axes
        a, b = (axis % len(s) if -len(s) <= axis < len(s) else None for axis, s in zip(pair, (x, y)))
        if a is None or b is None:
            raise ShapeError(f"Dot: axes {self.axes} is out of range for inputs {format_shape(x)}, {format_shape(y)}")
        if a == 0 or b == 0:
            raise ShapeError(f"Dot cannot sum over the batch axis (axes={self.axes})")
        if x[a] is not None and y[b] is not None and not same_size(x[a], y[b]):
            raise ShapeError(
                f"Dot: axis {a} of {format_shape(x)} and axis {b} of {format_shape(y)} must have the same size"
            )
        out = [*x[:a], *x[a + 1:], *y[1:b], *y[b + 1:]]
        return (tuple(out) if len(out) > 1 else (*out, 1)), (x[a] if x[a] is not None else y[b])

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return self._parts(inputs)[0]

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        require_known(self, inputs)
        out, summed = self._parts(inputs)
        return prod([batch_of(out), *out[1:], summed])
