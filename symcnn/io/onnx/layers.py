"""The shape-only layers an ONNX graph needs that PyTorch has no module for (Squeeze, Slice, Pad per side, ...).

They learn nothing (except :class:`Elementwise`, which may apply a named
initializer) and their MACs are zero in every convention but MatMul's fvcore count.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from ...errors import ShapeError
from ...formulas import Dim, is_number, prod, reduced_shape, simplify_int, slice_length
from ...layers.base import Layer, Shape, Weight, format_shape
from ...layers.merge import broadcast
from ...layers.torch import TORCH_LAYERS
from ...layers.torch.ops import torch_broadcast
from .shape_rules import axis_index, reshape_target, squeeze_shape, unsqueeze_shape


def torch_layer(cls: str, **kwargs: Any) -> Layer:
    """A torch-convention layer (module or functional op) by its torch name."""
    return TORCH_LAYERS[cls](**kwargs)


class _ShapeOp(Layer, register=False):
    """A layer that only moves data; the output shape follows from its stored arguments."""

    arity: ClassVar[int | None] = 1
    shown_as: ClassVar[str | None] = None  # the ONNX op name shown as the layer's type (else the class name)

    def __init__(self, **base: Any) -> None:
        super().__init__(**base)

    @property
    def class_name(self) -> str:
        return self.shown_as or type(self).__name__


class ScatterOp(_ShapeOp, register=False):
    """ONNX ScatterND / ScatterElements (``mask[h, w] = k`` in forward): the data's shape, updated in place."""

    arity = None
    shown_as = "Scatter"

    def output_shape(self, inputs: list[Shape]) -> Shape:
        if not inputs:
            raise ShapeError("Scatter has no data input")
        return inputs[0]


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

    shown_as = "Reshape"

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

    shown_as = "Slice"

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


class GatherOp(_ShapeOp, register=False):
    """ONNX Gather with fixed indices of shape ``index_shape`` along ``axis``."""

    shown_as = "Gather"

    def __init__(self, axis: int = 0, index_shape: Sequence[int] = (), **base: Any) -> None:
        super().__init__(**base)
        self.axis = int(axis)
        self.index_shape = tuple(index_shape)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        a = axis_index(self.axis, len(shape), "Gather")
        return (*shape[:a], *self.index_shape, *shape[a + 1 :])


class Reduce(_ShapeOp, register=False):
    """ONNX Reduce* ops, ArgMax/ArgMin and GlobalPool: ``axes`` reduced, kept as 1 when ``keepdims``."""

    def __init__(self, op: str = "ReduceMean", axes: Sequence[int] | None = None, keepdims: bool = True, **base: Any) -> None:
        super().__init__(**base)
        self.op = op
        self.axes = None if axes is None else tuple(int(a) for a in axes)
        self.keepdims = bool(keepdims)

    def hyperparameters(self) -> dict[str, Any]:
        return {"op": self.op, "axes": self.axes, "keepdims": self.keepdims}

    @property
    def class_name(self) -> str:
        return self.op

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        axes = set(range(len(shape))) if self.axes is None else {axis_index(a, len(shape), self.op) for a in self.axes}
        return reduced_shape(shape, axes, self.keepdims)


class Elementwise(_ShapeOp, register=False):
    """ONNX element-wise ops (Add, Mul, Where, ...) with NumPy broadcasting.

    Learned tensors it applies (an initializer operand such as a layer scale)
    are its ``weights``; torchinfo counts no MACs for them (they are not a leaf
    module's weight/bias), so its MACs are zero. An operand computed from an
    initializer (Swin's bias table gathered to (1, heads, 49, 49)) broadcasts
    in its computed shape (``operands``) but counts as the initializer it was
    read from (``learned``).
    """

    arity = None
    # A symbolic size meeting a fixed one (a ViT's 1 + ⌊H/16⌋·⌊W/16⌋ tokens plus a 197-row position embedding) is
    # taken on trust, as torch's own broadcast rule does, and becomes a requirement of the model.
    assumes_equal_sizes: ClassVar[bool] = True

    def __init__(
        self,
        op: str = "Add",
        learned: Sequence[tuple[str, tuple[Any, ...]]] = (),
        operands: Sequence[tuple[Any, ...]] | None = None,
        **base: Any,
    ) -> None:
        super().__init__(**base)
        self.op = op
        self.learned = tuple((n, tuple(s)) for n, s in learned)
        self.operands = tuple(s for _, s in self.learned) if operands is None else tuple(tuple(s) for s in operands)

    def hyperparameters(self) -> dict[str, Any]:
        return {"op": self.op}

    @property
    def class_name(self) -> str:
        return self.op

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shapes = [*inputs, *self.operands]
        if not inputs:
            raise ShapeError(f"{self.op} has no tensor input")
        return torch_broadcast(shapes, self.op) if len(shapes) > 1 else shapes[0]

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        return [Weight(name, shape) for name, shape in self.learned]

    def torchinfo_positions(self, inputs: list[Shape], output: Shape) -> Dim:
        return 0


class MatMulOp(_ShapeOp, register=False):
    """ONNX MatMul of two computed tensors (attention scores and the like): no weights."""

    arity = 2
    shown_as = "MatMul"

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


class ExpandTo(_ShapeOp, register=False):
    """ONNX Expand: the input broadcast to ``shape``."""

    shown_as = "Expand"

    def __init__(self, shape: Sequence[Any] = (), **base: Any) -> None:
        super().__init__(**base)
        self.shape = tuple(shape)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return broadcast([self._one_input(inputs), self.shape], "Expand")


class Constant(_ShapeOp, register=False):
    """A tensor the file stores that joins computed ones (ViT's class token, ``cat([cls.expand(N, -1, -1), x])``).

    ``learned`` names the initializers it holds that are parameters, with their own shapes
    (an expanded class token of shape (N, 1, D) holds one (1, 1, D) parameter); they are its
    weights, counted once. torchinfo counts no MACs for them: such a tensor is a parameter of
    a container module, not a leaf module's weight.
    """

    arity = 0

    def __init__(self, shape: Sequence[Any] = (), learned: Sequence[tuple[str, tuple[Any, ...]]] = (), **base: Any) -> None:
        super().__init__(**base)
        self.shape = tuple(shape)
        self.learned = tuple((n, tuple(s)) for n, s in learned)

    def hyperparameters(self) -> dict[str, Any]:
        return {"shape": self.shape}

    @property
    def class_name(self) -> str:
        return "Parameter" if self.learned else "Constant"

    def output_shape(self, inputs: list[Shape]) -> Shape:
        if inputs:
            raise ShapeError(f"{self.class_name} takes no input, got {len(inputs)}")
        return self.shape

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        return [Weight(name, shape) for name, shape in self.learned]

    def torchinfo_positions(self, inputs: list[Shape], output: Shape) -> Dim:
        return 0
