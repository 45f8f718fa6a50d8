"""Indexing ``keras.ops``: ``x[...]`` (GetItem), Where, OneHot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...errors import ArgumentError, ShapeError
from ...formulas import Dim, is_number, slice_length
from ..base import Shape, as_dim, format_shape
from .base import _CallOp, _int_axis, _is_tensor, _keep_batch, _make, _Op, _register
from .elementwise import _Elementwise


class _OpGetItem(_CallOp, register=False):
    """``x[...]`` on a tensor: NumPy basic indexing (ints, slices, None, Ellipsis)."""

    op_name = "GetItem"

    key: tuple[Any, ...] = ()

    def _read_call(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
        if len(args) != 2 or not _is_tensor(args[0]):
            raise ArgumentError("GetItem needs a tensor and an index")
        key = args[1] if isinstance(args[1], (list, tuple)) else [args[1]]
        items: list[Any] = []
        for k in key:
            if isinstance(k, Mapping) and k.get("class_name") == "__ellipsis__":
                items.append(Ellipsis)
            elif k is None or isinstance(k, slice) or (isinstance(k, int) and not isinstance(k, bool)):
                items.append(k)
            else:
                raise ArgumentError(f"GetItem: index {k!r} is not an int, slice, None or ...")
        if items.count(Ellipsis) > 1:
            raise ArgumentError("GetItem: an index can hold only one ...")
        self.key = tuple(items)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._inputs(inputs)[0]
        key = list(self.key)
        used = sum(1 for k in key if k is not None and k is not Ellipsis)
        if used > len(shape):
            raise ShapeError(f"GetItem: too many indices for a tensor of shape {format_shape(shape)}")
        fill = [slice(None)] * (len(shape) - used)
        if Ellipsis in key:
            at = key.index(Ellipsis)
            key[at : at + 1] = fill
        else:
            key += fill
        if key and (key[0] is None or isinstance(key[0], int)):
            raise ShapeError("GetItem changes the batch axis; symcnn keeps the batch axis first")
        out: list[Any] = []
        axis = 0
        for k in key:
            if k is None:
                out.append(1)
                continue
            n = shape[axis]
            if isinstance(k, int):
                if is_number(n) and not -n <= k < n:
                    raise ShapeError(f"GetItem: index {k} is out of range for axis {axis} of size {n}")
            else:
                out.append(_slice_length(n, k))
            axis += 1
        return tuple(out)


def _slice_length(n: Dim | None, s: slice) -> Dim | None:
    if s == slice(None):
        return n
    if n is None:
        return None
    for v in (s.start, s.stop, s.step):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
            raise ArgumentError(f"GetItem: slice bounds must be integers, got {s}")
    if s.step == 0:
        raise ArgumentError("GetItem: slice step cannot be zero")
    return slice_length(n, s.start, s.stop, s.step)


class _OpOneHot(_Op, register=False):
    op_name = "OneHot"

    def __init__(self, num_classes: Any = None, axis: Any = -1, sparse: Any = False, **base: Any) -> None:
        super().__init__(**base)
        self.num_classes = as_dim(num_classes, "num_classes")
        self.axis = _int_axis(axis)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = list(self._inputs(inputs)[0])
        if self.axis == -1:
            return (*shape, self.num_classes)
        if not 0 <= self.axis < len(shape):
            raise ShapeError(f"OneHot: axis must be -1 or in [0, {len(shape)}), got {self.axis}")
        _keep_batch(self, [self.axis], "moves")
        shape.insert(self.axis, self.num_classes)
        return tuple(shape)


_register(_OpGetItem, "GetItem")
_register(_OpOneHot, "OneHot")
_make(_Elementwise, ("Where",), "select, operands broadcast")
