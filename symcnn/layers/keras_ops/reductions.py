"""Reducing ``keras.ops`` (Mean, Sum, Argmax ...) and the scans along one axis (Cumsum, Cumprod)."""

from __future__ import annotations

from typing import Any

from ...errors import ArgumentError
from ...formulas import reduced_shape
from ..base import Shape
from .base import _axes, _int_axis, _keep_batch, _make, _Op, _register


class _Reduce(_Op, register=False):
    """Reduces ``axis`` (all axes when None); ``keepdims`` keeps them as size 1."""

    def __init__(self, axis: Any = None, keepdims: bool = False, initial: Any = None, **base: Any) -> None:
        super().__init__(**base)
        if axis is not None and not isinstance(axis, (int, list, tuple)) or isinstance(axis, bool):
            raise ArgumentError(f"axis must be an integer, a list of integers or None, got {axis!r}")
        if not isinstance(keepdims, bool):
            raise ArgumentError(f"keepdims must be true or false, got {keepdims!r}")
        self.axis = axis
        self.keepdims = keepdims

    def hyperparameters(self) -> dict[str, Any]:
        return {"axis": self.axis, "keepdims": self.keepdims}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = list(self._inputs(inputs)[0])
        axes = list(range(len(shape))) if self.axis is None else _axes(self.axis, len(shape), self.class_name)
        if not self.keepdims:
            _keep_batch(self, axes, "removes")
        return reduced_shape(shape, axes, self.keepdims)


_make(_Reduce, (
    "Mean", "Sum", "Max", "Min", "Amax", "Amin", "Prod", "Std", "Var", "All", "Any", "Argmax", "Argmin",
    "Logsumexp", "Median", "Nanmean", "Nansum", "Nanmax", "Nanmin", "Nanprod", "Nanstd", "Nanvar",
), "a reduction")


class _OpCumulative(_Op, register=False):
    """Cumsum / Cumprod along ``axis`` (shape unchanged); without an axis Keras flattens, batch included."""

    def __init__(self, axis: Any = None, **base: Any) -> None:
        super().__init__(**base)
        if axis is None:
            raise ArgumentError(f"{self.class_name} without an axis flattens the batch axis away; give axis")
        self.axis = _int_axis(axis)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._inputs(inputs)[0]
        _axes(self.axis, len(shape), self.class_name)
        return shape


for _name in ("Cumsum", "Cumprod"):
    _register(type(f"_Op{_name}", (_OpCumulative,), {"op_name": _name}, register=False), _name)
