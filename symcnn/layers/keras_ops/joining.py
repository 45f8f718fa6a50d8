"""``keras.ops`` that join or grow tensors: Concatenate, Stack, Pad, Repeat, Tile."""

from __future__ import annotations

from typing import Any

from ...errors import ArgumentError, ShapeError
from ...formulas import Dim, is_number, prod, simplify_int
from ..base import Shape, as_dim, format_shape
from ..merge import Concatenate
from .base import _axes, _int_axis, _keep_batch, _Op, _register, _same


def _counts(repeats: Any) -> list[Dim]:
    items = repeats if isinstance(repeats, (list, tuple)) else [repeats]
    return [as_dim(r, "repeats", allow_zero=True) for r in items]


class _OpConcatenate(Concatenate, register=False):
    """``keras.ops.concatenate(xs, axis)``: as the Concatenate layer."""

    @property
    def class_name(self) -> str:
        return "Concatenate"


class _OpStack(_Op, register=False):
    op_name = "Stack"

    def __init__(self, axis: Any = 0, **base: Any) -> None:
        super().__init__(**base)
        self.axis = _int_axis(axis)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        first = self._inputs(inputs, None)[0]
        for s in inputs[1:]:
            if len(s) != len(first) or any(a is not None and b is not None and not _same(a, b) for a, b in zip(s, first)):
                raise ShapeError(f"Stack needs inputs of one shape, got {', '.join(format_shape(x) for x in inputs)}")
        (axis,) = _axes(self.axis, len(first) + 1, self.class_name)
        _keep_batch(self, [axis], "moves")
        out = list(first)
        out.insert(axis, len(inputs))
        return tuple(out)


class _OpPad(_Op, register=False):
    """``keras.ops.pad(x, pad_width)``: (before, after) per axis, batch axis included."""

    op_name = "Pad"

    def __init__(self, pad_width: Any = None, mode: Any = "constant", **base: Any) -> None:
        super().__init__(**base)
        self.pad_width = pad_width

    def _pairs(self, rank: int) -> list[tuple[Dim, Dim]]:
        pw = self.pad_width
        if not isinstance(pw, (list, tuple)):
            p = as_dim(pw, "pad_width", allow_zero=True)
            return [(p, p)] * rank
        if pw and not isinstance(pw[0], (list, tuple)):
            pw = [pw]
        pairs = []
        for pair in pw:
            if not isinstance(pair, (list, tuple)) or len(pair) not in (1, 2):
                raise ArgumentError(f"pad_width must hold (before, after) pairs, got {self.pad_width!r}")
            a = as_dim(pair[0], "pad_width", allow_zero=True)
            pairs.append((a, as_dim(pair[-1], "pad_width", allow_zero=True)))
        if len(pairs) == 1:
            return pairs * rank
        if len(pairs) != rank:
            raise ShapeError(f"Pad: pad_width has {len(pairs)} pairs for an input of rank {rank}")
        return pairs

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._inputs(inputs)[0]
        return tuple(None if d is None else simplify_int(d + a + b) for d, (a, b) in zip(shape, self._pairs(len(shape))))


class _OpRepeat(_Op, register=False):
    """``keras.ops.repeat(x, repeats, axis)``: one count for every element, or one per element of the axis."""

    op_name = "Repeat"

    def __init__(self, repeats: Any = None, axis: Any = None, **base: Any) -> None:
        super().__init__(**base)
        self.repeats = _counts(repeats)
        if axis is None:
            raise ArgumentError("Repeat without an axis flattens the batch axis away; give axis")
        self.axis = _int_axis(axis)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = list(self._inputs(inputs)[0])
        (axis,) = _axes(self.axis, len(shape), self.class_name)
        n = shape[axis]
        if len(self.repeats) == 1:
            shape[axis] = None if n is None else prod([n, self.repeats[0]])
        elif n is not None:
            if is_number(n) and n != len(self.repeats):
                raise ShapeError(f"Repeat: {len(self.repeats)} counts for an axis of size {n}")
            shape[axis] = simplify_int(sum(self.repeats, start=0))
        if axis == 0 and shape[0] is not None and not _same(shape[0], inputs[0][0]):
            raise ShapeError("Repeat changes the batch axis; symcnn keeps the batch axis first")
        return tuple(shape)


class _OpTile(_Op, register=False):
    op_name = "Tile"

    def __init__(self, repeats: Any = None, **base: Any) -> None:
        super().__init__(**base)
        self.repeats = _counts(repeats)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = list(self._inputs(inputs)[0])
        if len(self.repeats) > len(shape):
            raise ShapeError(f"Tile: {len(self.repeats)} counts for rank {len(shape)} add axes before the batch axis")
        reps = [1] * (len(shape) - len(self.repeats)) + list(self.repeats)
        return tuple(None if d is None else prod([d, r]) for d, r in zip(shape, reps))


_register(_OpConcatenate, "Concatenate")
for _cls in (_OpStack, _OpPad, _OpRepeat, _OpTile):
    _register(_cls, _cls.op_name)
