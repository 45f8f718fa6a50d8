"""The functional ops of traced torch graphs as layers, named like the torch functions.

``x + y``, ``torch.cat``, ``x.view(n, -1)``, ``x.mean((2, 3))`` ... learn nothing and
cost no torchinfo MACs (torchinfo sees modules only); they move shapes. A recurrent
module's hidden state (``out, (h, c) = lstm(x)``) is :class:`rnn_state`.

>>> cat(dim=1).output_shape([(1, 64, 28, 28), (1, 32, 28, 28)])
(1, 96, 28, 28)
"""

from __future__ import annotations

from typing import Any

from ..errors import ArgumentError, ShapeError
from ..formulas import prod, simplify_int
from .base import Shape, as_dim, flag, format_shape, require_rank
from .merge import broadcast
from .torch_layers import (
    Flatten,
    _axis,
    _fill_minus_one,
    _int,
    _pad_tuple,
    _padded,
    _RNNBase,
    _same,
    _TorchLayer,
)


class rnn_state(_TorchLayer):
    """A recurrent module's h_n or c_n, (layers, N, size), read off the module's output (batch_first or not)."""

    def __init__(self, layers: Any = 1, size: Any = None, batch_first: bool = False, **base: Any) -> None:
        super().__init__(**base)
        self.layers = _int(layers, "layers", low=1)
        self.size = as_dim(size, "size")
        self.batch_first = flag(batch_first, "batch_first")

    @classmethod
    def of(cls, rnn: _RNNBase, cell: bool = False, name: str | None = None) -> rnn_state:
        """The state layer for ``rnn``'s h_n (or c_n with ``cell``)."""
        size = rnn.hidden_size if cell else rnn.out_size
        return cls(layers=rnn.directions * rnn.num_layers, size=size, batch_first=rnn.batch_first, name=name)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        out = self._one_input(inputs)
        require_rank(self, out, 3)
        return (self.layers, out[0] if self.batch_first else out[1], self.size)


# ---- functional ops (named like the torch functions) ---------------------------------------------


class _Elementwise(_TorchLayer, register=False):
    """An element-wise op on tensors (and scalars, which take no input): shapes broadcast."""

    arity = None

    def __init__(self, alpha: Any = None, **base: Any) -> None:
        super().__init__(**base)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        if not inputs:
            raise ShapeError(f"{self.class_name} needs at least one tensor input")
        if len(inputs) == 1:
            return inputs[0]
        return broadcast(inputs, self.class_name)


for _name, _aliases in (
    ("add", ("iadd",)),
    ("sub", ("isub", "rsub")),
    ("mul", ("imul",)),
    ("div", ("truediv", "itruediv")),
    ("maximum", ()),
    ("minimum", ()),
):
    globals()[_name] = type(_name, (_Elementwise,), {"aliases": _aliases, "__doc__": f"torch.{_name}: element-wise."})


class cat(_TorchLayer):
    """torch.cat(tensors, dim): sizes add along ``dim`` (default 0), every other axis must agree."""

    arity = None
    aliases = ("concat", "concatenate")

    def __init__(self, dim: Any = 0, **base: Any) -> None:
        super().__init__(**base)
        self.dim = _int(dim, "dim")

    def hyperparameters(self) -> dict[str, Any]:
        return {"dim": self.dim}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        if not inputs:
            raise ShapeError("cat needs at least one tensor")
        rank = len(inputs[0])
        if any(len(s) != rank for s in inputs):
            raise ShapeError(f"cat inputs differ in rank: {', '.join(format_shape(s) for s in inputs)}")
        axis = _axis(self.dim, rank, "cat")
        for shape in inputs[1:]:
            if not all(_same(a, b) for i, (a, b) in enumerate(zip(inputs[0], shape)) if i != axis):
                raise ShapeError(
                    f"cat inputs must match except in dim {self.dim}: {', '.join(format_shape(s) for s in inputs)}"
                )
        sizes = [s[axis] for s in inputs]
        total = None if any(d is None for d in sizes) else simplify_int(sum(sizes, start=0))
        return (*inputs[0][:axis], total, *inputs[0][axis + 1 :])


class flatten(Flatten):
    """torch.flatten / Tensor.flatten: start_dim defaults to 0 (unlike nn.Flatten)."""

    start_default = 0


class reshape(_TorchLayer):
    """Tensor.view / reshape to a full target shape (batch included); one entry may be -1."""

    aliases = ("view",)

    def __init__(self, shape: Any = None, **base: Any) -> None:
        super().__init__(**base)
        if not isinstance(shape, (list, tuple)):
            raise ArgumentError(f"shape must be a list of sizes, got {shape!r}")
        self.shape = tuple(-1 if d == -1 else as_dim(d, "shape") for d in shape)

    def hyperparameters(self) -> dict[str, Any]:
        return {"shape": self.shape}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        if any(d is None for d in shape):
            raise ShapeError(f"reshape needs every axis known, got {format_shape(shape)}")
        return _fill_minus_one(prod(shape), self.shape, self.class_name)


class _Reduce(_TorchLayer, register=False):
    """A reduction over ``dim`` (all axes when None); ``keepdim`` keeps them as size 1."""

    def __init__(self, dim: Any = None, keepdim: bool = False, **base: Any) -> None:
        super().__init__(**base)
        dims = [] if dim is None else list(dim) if isinstance(dim, (list, tuple)) else [dim]
        self.dim = tuple(_int(d, "dim") for d in dims) if dim is not None else None
        self.keepdim = flag(keepdim, "keepdim")

    def hyperparameters(self) -> dict[str, Any]:
        return {"dim": self.dim, "keepdim": self.keepdim}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        axes = set(range(len(shape))) if self.dim is None else {_axis(d, len(shape), self.class_name) for d in self.dim}
        if self.keepdim:
            return tuple(1 if i in axes else d for i, d in enumerate(shape))
        return tuple(d for i, d in enumerate(shape) if i not in axes)


class mean(_Reduce):
    aliases = ("sum", "amax", "amin", "std", "var")


class permute(_TorchLayer):
    """Tensor.permute(dims)."""

    def __init__(self, dims: Any = None, **base: Any) -> None:
        super().__init__(**base)
        if not isinstance(dims, (list, tuple)):
            raise ArgumentError(f"dims must be a list of axes, got {dims!r}")
        self.dims = tuple(_int(d, "dims") for d in dims)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        axes = [_axis(d, len(shape), "permute") for d in self.dims]
        if sorted(axes) != list(range(len(shape))):
            raise ShapeError(f"permute dims {self.dims} do not fit an input of rank {len(shape)}")
        return tuple(shape[a] for a in axes)


class transpose(_TorchLayer):
    """Tensor.transpose(dim0, dim1)."""

    def __init__(self, dim0: Any = 0, dim1: Any = 1, **base: Any) -> None:
        super().__init__(**base)
        self.dim0, self.dim1 = _int(dim0, "dim0"), _int(dim1, "dim1")

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = list(self._one_input(inputs))
        a, b = _axis(self.dim0, len(shape), "transpose"), _axis(self.dim1, len(shape), "transpose")
        shape[a], shape[b] = shape[b], shape[a]
        return tuple(shape)


class unsqueeze(_TorchLayer):
    """Tensor.unsqueeze(dim): a new axis of size 1."""

    def __init__(self, dim: Any = 0, **base: Any) -> None:
        super().__init__(**base)
        self.dim = _int(dim, "dim")

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        axis = _axis(self.dim, len(shape) + 1, "unsqueeze")
        return (*shape[:axis], 1, *shape[axis:])


class squeeze(_TorchLayer):
    """Tensor.squeeze(dim): drops size-1 axes (all, or those in ``dim``)."""

    def __init__(self, dim: Any = None, **base: Any) -> None:
        super().__init__(**base)
        dims = [] if dim is None else list(dim) if isinstance(dim, (list, tuple)) else [dim]
        self.dim = None if dim is None else tuple(_int(d, "dim") for d in dims)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        axes = range(len(shape)) if self.dim is None else [_axis(d, len(shape), "squeeze") for d in self.dim]
        drop = {a for a in axes if shape[a] == 1}
        return tuple(d for i, d in enumerate(shape) if i not in drop)


class pad(_TorchLayer):
    """torch.nn.functional.pad(x, pad): pairs from the last axis backwards."""

    def __init__(self, pad: Any = None, mode: str = "constant", value: Any = None, **base: Any) -> None:
        super().__init__(**base)
        self.pad = _pad_tuple(pad, None)

    def hyperparameters(self) -> dict[str, Any]:
        return {"pad": self.pad}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return _padded(self._one_input(inputs), self.pad)


# ---- functional forms of the modules (F.max_pool2d, F.relu ...) reuse the module classes.
FUNCTIONAL_ALIASES: dict[str, str] = {
    **{f"max_pool{r}d": f"MaxPool{r}d" for r in (1, 2, 3)},
    **{f"avg_pool{r}d": f"AvgPool{r}d" for r in (1, 2, 3)},
    **{f"adaptive_avg_pool{r}d": f"AdaptiveAvgPool{r}d" for r in (1, 2, 3)},
    **{f"adaptive_max_pool{r}d": f"AdaptiveMaxPool{r}d" for r in (1, 2, 3)},
    "interpolate": "Upsample",
    "upsample": "Upsample",
    **{
        n: "Identity"
        for n in (
            "relu",
            "relu_",
            "relu6",
            "gelu",
            "silu",
            "sigmoid",
            "tanh",
            "hardswish",
            "hardsigmoid",
            "hardtanh",
            "leaky_relu",
            "elu",
            "selu",
            "mish",
            "softplus",
            "softmax",
            "log_softmax",
            "dropout",
            "dropout1d",
            "dropout2d",
            "dropout3d",
            "contiguous",
            "clone",
            "detach",
            "abs",
            "exp",
            "neg",
            "sqrt",
            "rsqrt",
            "clamp",
            "float",
            "to",
            "type_as",
            "identity",
        )
    },
}
