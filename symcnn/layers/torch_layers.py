"""PyTorch-convention layers: torch's class names, argument names and channels-first shapes.

Shapes are torch's own, ``(N, C, *spatial)`` (batch first, as everywhere in symcnn).
Moving statistics (BatchNorm's ``running_mean``/``running_var``/``num_batches_tracked``)
are buffers, not parameters (``counts_stats = False``), as ``module.parameters()`` has it.

torchinfo's MAC rule (``LayerInfo.calculate_macs`` in torchinfo 1.8), which the base
class applies from :meth:`torchinfo_positions`:

* a module whose class name contains ``Conv`` (transposed too): each ``weight``/``bias``
  element × batch × output spatial positions;
* any other module with ``weight``/``bias``: batch × params, where the "batch" is the
  output's first axis (a Linear on (N, T, I) is counted N times, not N·T);
* recurrent parameters (``weight_ih_l0`` ...): params × the output's first two axes.

The functional ops of traced graphs (``add``, ``cat``, ``flatten``, ``view`` ...) live in
:mod:`symcnn.layers.torch_ops`, lowercase layers named like the torch functions.

Class names that Keras also uses (Flatten, Dropout, ReLU, LSTM ...) are kept out of the
shared ``Layer.registry`` when Keras's class is already there; :data:`TORCH_LAYERS`
holds every torch-convention class by its torch name, and :func:`lookup` resolves a
name for a convention.

>>> Conv2d(3, 16, 3, stride=2, padding=1).output_shape([(1, 3, 97, 97)])
(1, 16, 49, 49)
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence
from typing import Any, ClassVar

import sympy

from ..errors import ArgumentError, ShapeError
from ..formulas import (
    Dim,
    conv_output_length,
    floor_div,
    is_number,
    prod,
    simplify_int,
    torch_deconv_output_length,
    torch_pool_output_length,
)
from .base import Layer, Shape, Weight, as_dim, batch_of, dim_tuple, flag, format_shape, require_rank

TORCH_LAYERS: dict[str, type[Layer]] = {}


def lookup(name: str, convention: str = "torch") -> type[Layer] | None:
    """The layer class for ``name``: torch's classes first under the torch convention."""
    if convention == "torch" and name in TORCH_LAYERS:
        return TORCH_LAYERS[name]
    return Layer.registry.get(name)


class _TorchLayer(Layer, register=False):
    """Base of the torch-convention layers: channels first, statistics are buffers."""

    channels_last = False
    counts_stats = False

    frozen_weights: frozenset[str] = frozenset()  # torch parameters with requires_grad=False

    def __init_subclass__(cls, register: bool = True, **kwargs: Any) -> None:
        super().__init_subclass__(register=False, **kwargs)
        if "weights" in cls.__dict__:
            cls.weights = _respecting_frozen(cls.__dict__["weights"])  # type: ignore[method-assign]
        if register and not cls.__name__.startswith("_"):
            for key in (cls.__name__, *cls.aliases):
                TORCH_LAYERS[key] = cls
                Layer.registry.setdefault(key, cls)  # never displace a Keras class of the same name

    def __init__(self, *, device: Any = None, dtype: Any = None, **base: Any) -> None:
        super().__init__(**base)


def _respecting_frozen(method: Any) -> Any:
    """Wrap a ``weights`` method so the layer's frozen parameters come out non-trainable."""

    @functools.wraps(method)
    def weights(self: _TorchLayer, inputs: list[Shape]) -> list[Weight]:
        found = method(self, inputs)
        if not self.frozen_weights:
            return found
        return [dataclasses.replace(w, trainable=False) if w.name in self.frozen_weights else w for w in found]

    return weights


# ---- argument helpers ------------------------------------------------------------------


def _int(value: Any, arg: str, *, low: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentError(f"{arg} must be a whole number, got {value!r}")
    if low is not None and value < low:
        raise ArgumentError(f"{arg} must be at least {low}, got {value}")
    return value


def _div(a: Dim, b: Dim) -> Dim:
    """a / b for a size known to divide evenly (exact for ints, a quotient for expressions)."""
    if is_number(a) and is_number(b):
        return int(a) // int(b)  # type: ignore[arg-type]
    return simplify_int(sympy.Integer(a) / b if isinstance(a, int) else a / b)


def _axis(dim: int, rank: int, who: str) -> int:
    """A torch dimension index (negative counts from the end) for a tensor of ``rank``."""
    if not -rank <= dim < rank:
        raise ShapeError(f"{who}: dimension {dim} is out of range for a tensor of rank {rank}")
    return dim + rank if dim < 0 else dim


def _same(a: Dim, b: Dim) -> bool:
    """Two sizes known to differ are not the same; unknown or symbolic ones are given the benefit."""
    if a is None or b is None:
        return True
    if is_number(a) and is_number(b):
        return int(a) == int(b)  # type: ignore[arg-type]
    return sympy.simplify(a - b) == 0 or not (sympy.simplify(a - b)).is_number


def _check_channels(layer: Layer, got: Dim, want: Dim, arg: str) -> None:
    if not _same(got, want):
        raise ShapeError(f"{layer.class_name} expects {arg}={want} input channels, got an input with {got}")


# ---- convolutions --------------------------------------------------------------------


class _ConvNd(_TorchLayer, register=False):
    """``Conv{rank}d``: weight (out, in/groups, *k), bias (out,)."""

    rank: ClassVar[int] = 2
    conv_like = True

    def __init__(
        self,
        in_channels: Any = None,
        out_channels: Any = None,
        kernel_size: Any = None,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: Any = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        **base: Any,
    ) -> None:
        super().__init__(**base)
        if out_channels is None or kernel_size is None:
            raise ArgumentError(f"{self.class_name} needs out_channels and kernel_size")
        self.in_channels = None if in_channels is None else as_dim(in_channels, "in_channels")
        self.out_channels = as_dim(out_channels, "out_channels")
        self.kernel_size = dim_tuple(kernel_size, self.rank, "kernel_size")
        self.stride = dim_tuple(stride, self.rank, "stride")
        self.dilation = dim_tuple(dilation, self.rank, "dilation")
        self.groups = as_dim(groups, "groups")
        self.bias = flag(bias, "bias")
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ArgumentError(
                f"padding_mode must be 'zeros', 'reflect', 'replicate' or 'circular', got {padding_mode!r}"
            )
        self.padding_mode = padding_mode
        self.padding = self._padding(padding)
        for arg, value in (("in_channels", self.in_channels), ("out_channels", self.out_channels)):
            if value is not None and is_number(value) and is_number(self.groups) and value % self.groups:
                raise ArgumentError(f"{arg} ({value}) must be divisible by groups ({self.groups})")

    def _padding(self, padding: Any) -> Any:
        if isinstance(padding, str):
            mode = padding.lower()
            if mode not in ("valid", "same"):
                raise ArgumentError(f"padding must be a size, a tuple, 'valid' or 'same', got {padding!r}")
            if mode == "same" and any(s != 1 for s in self.stride):
                raise ArgumentError(f"padding='same' needs stride 1, got stride={self.stride}")
            return mode
        return dim_tuple(padding, self.rank, "padding", allow_zero=True)

    def pads(self) -> list[tuple[Dim, Dim]]:
        """(before, after) zero padding per spatial axis; torch's 'same' puts the odd one after."""
        if self.padding == "valid":
            return [(0, 0)] * self.rank
        if self.padding == "same":
            out = []
            for k, d in zip(self.kernel_size, self.dilation):
                total = simplify_int(d * (k - 1))
                left = floor_div(total, 2)
                out.append((left, simplify_int(total - left)))
            return out
        return [(p, p) for p in self.padding]

    def hyperparameters(self) -> dict[str, Any]:
        hp: dict[str, Any] = {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": self.kernel_size,
            "stride": self.stride,
            "padding": self.padding,
        }
        if any(d != 1 for d in self.dilation):
            hp["dilation"] = self.dilation
        if self.groups != 1:
            hp["groups"] = self.groups
        if not self.bias:
            hp["bias"] = False
        return hp

    def _c_in(self, inputs: list[Shape]) -> Dim:
        shape = self._one_input(inputs)
        require_rank(self, shape, self.rank + 2)
        if self.in_channels is None:
            c = shape[1]
            if c is None:
                raise ShapeError(f"{self.class_name} needs in_channels or a known channel axis")
            if is_number(c) and is_number(self.groups) and c % self.groups:
                raise ShapeError(f"input channels ({c}) must be divisible by groups ({self.groups})")
            return c
        _check_channels(self, shape[1], self.in_channels, "in_channels")
        return self.in_channels

    def _lengths(self, sizes: Sequence[Dim]) -> list[Dim]:
        return [
            conv_output_length(n, k, s, d, pad)
            for n, k, s, d, pad in zip(sizes, self.kernel_size, self.stride, self.dilation, self.pads())
        ]

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self._c_in(inputs)
        shape = inputs[0]
        return (shape[0], self.out_channels, *self._lengths(shape[2:]))

    def _weight_shape(self, c_in: Dim) -> tuple[Dim, ...]:
        return (self.out_channels, _div(c_in, self.groups), *self.kernel_size)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        ws = [Weight("weight", self._weight_shape(self._c_in(inputs)))]
        if self.bias:
            ws.append(Weight("bias", (self.out_channels,)))
        return ws

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        return prod([batch_of(output), *output[2:], self.weights(inputs)[0].size])


class Conv1d(_ConvNd):
    rank = 1


class Conv2d(_ConvNd):
    rank = 2


class Conv3d(_ConvNd):
    rank = 3


class _ConvTransposeNd(_ConvNd, register=False):
    """``ConvTranspose{rank}d``: weight (in, out/groups, *k); output (n−1)s − 2p + d(k−1) + op + 1."""

    def __init__(
        self,
        in_channels: Any = None,
        out_channels: Any = None,
        kernel_size: Any = None,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: Any = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        **base: Any,
    ) -> None:
        if isinstance(padding, str):
            raise ArgumentError(f"{type(self).__name__} padding must be a size or a tuple, got {padding!r}")
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode, **base
        )
        if padding_mode != "zeros":
            raise ArgumentError(f"{self.class_name} only supports padding_mode='zeros', got {padding_mode!r}")
        self.output_padding = dim_tuple(output_padding, self.rank, "output_padding", allow_zero=True)
        for op, s, d in zip(self.output_padding, self.stride, self.dilation):
            if all(is_number(v) for v in (op, s, d)) and not (op < s or op < d):
                raise ArgumentError(f"output_padding ({op}) must be smaller than either stride ({s}) or dilation ({d})")

    def hyperparameters(self) -> dict[str, Any]:
        hp = super().hyperparameters()
        if any(p != 0 for p in self.output_padding):
            hp["output_padding"] = self.output_padding
        return hp

    def _lengths(self, sizes: Sequence[Dim]) -> list[Dim]:
        return [
            torch_deconv_output_length(n, k, s, p, op, d)
            for n, k, s, p, op, d in zip(
                sizes, self.kernel_size, self.stride, self.padding, self.output_padding, self.dilation
            )
        ]

    def _weight_shape(self, c_in: Dim) -> tuple[Dim, ...]:
        out = _div(self.out_channels, self.groups)
        return (c_in, out, *self.kernel_size)

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        # fvcore counts a transposed convolution over the input grid.
        return prod([batch_of(output), *inputs[0][2:], self.weights(inputs)[0].size])


class ConvTranspose1d(_ConvTransposeNd):
    rank = 1


class ConvTranspose2d(_ConvTransposeNd):
    rank = 2


class ConvTranspose3d(_ConvTransposeNd):
    rank = 3


# ---- dense, embedding -------------------------------------------------------------------


class Linear(_TorchLayer):
    """y = x Wᵀ + b on the last axis of any rank: weight (out, in), bias (out,)."""

    def __init__(self, in_features: Any = None, out_features: Any = None, bias: bool = True, **base: Any) -> None:
        super().__init__(**base)
        if out_features is None:
            raise ArgumentError("Linear needs out_features")
        self.in_features = None if in_features is None else as_dim(in_features, "in_features")
        self.out_features = as_dim(out_features, "out_features")
        self.bias = flag(bias, "bias")

    def hyperparameters(self) -> dict[str, Any]:
        hp = {"in_features": self.in_features, "out_features": self.out_features}
        return hp if self.bias else {**hp, "bias": False}

    def _in(self, inputs: list[Shape]) -> Dim:
        shape = self._one_input(inputs)
        if len(shape) < 2 or (shape[-1] is None and self.in_features is None):
            raise ShapeError(f"Linear needs a known last axis, got input shape {format_shape(shape)}")
        if self.in_features is None:
            return shape[-1]
        if not _same(shape[-1], self.in_features):
            raise ShapeError(f"Linear expects in_features={self.in_features}, got input shape {format_shape(shape)}")
        return self.in_features

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self._in(inputs)
        return (*inputs[0][:-1], self.out_features)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        ws = [Weight("weight", (self.out_features, self._in(inputs)))]
        if self.bias:
            ws.append(Weight("bias", (self.out_features,)))
        return ws

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        return prod([batch_of(output), *output[1:-1], self.weights(inputs)[0].size])


class Bilinear(_TorchLayer):
    """y = x₁ᵀ A x₂ + b: weight (out, in1, in2), bias (out,)."""

    arity = 2

    def __init__(
        self,
        in1_features: Any = None,
        in2_features: Any = None,
        out_features: Any = None,
        bias: bool = True,
        **base: Any,
    ) -> None:
        super().__init__(**base)
        self.in1_features = as_dim(in1_features, "in1_features")
        self.in2_features = as_dim(in2_features, "in2_features")
        self.out_features = as_dim(out_features, "out_features")
        self.bias = flag(bias, "bias")

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return (*inputs[0][:-1], self.out_features)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        ws = [Weight("weight", (self.out_features, self.in1_features, self.in2_features))]
        return ws + [Weight("bias", (self.out_features,))] if self.bias else ws


class Embedding(_TorchLayer):
    """A table of ``num_embeddings`` vectors of ``embedding_dim``: (*) → (*, D)."""

    def __init__(
        self,
        num_embeddings: Any = None,
        embedding_dim: Any = None,
        padding_idx: Any = None,
        max_norm: Any = None,
        norm_type: Any = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        **base: Any,
    ) -> None:
        super().__init__(**base)
        self.num_embeddings = as_dim(num_embeddings, "num_embeddings")
        self.embedding_dim = as_dim(embedding_dim, "embedding_dim")

    def hyperparameters(self) -> dict[str, Any]:
        return {"num_embeddings": self.num_embeddings, "embedding_dim": self.embedding_dim}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return (*self._one_input(inputs), self.embedding_dim)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        return [Weight("weight", (self.num_embeddings, self.embedding_dim))]


# ---- normalisation -------------------------------------------------------------------------


class _NormNd(_TorchLayer, register=False):
    """BatchNorm/InstanceNorm: weight and bias (C,) if affine; running statistics are buffers."""

    ranks: ClassVar[tuple[int, ...]] = (4,)
    default_affine: ClassVar[bool] = True
    default_track: ClassVar[bool] = True
    counts_batches: ClassVar[bool] = True

    def __init__(
        self,
        num_features: Any = None,
        eps: Any = 1e-5,
        momentum: Any = 0.1,
        affine: Any = None,
        track_running_stats: Any = None,
        **base: Any,
    ) -> None:
        super().__init__(**base)
        self.num_features = None if num_features is None else as_dim(num_features, "num_features")
        self.affine = flag(self.default_affine if affine is None else affine, "affine")
        self.track_running_stats = flag(
            self.default_track if track_running_stats is None else track_running_stats, "track_running_stats"
        )

    def hyperparameters(self) -> dict[str, Any]:
        return {"num_features": self.num_features}

    def _c(self, inputs: list[Shape]) -> Dim:
        shape = self._one_input(inputs)
        require_rank(self, shape, self.ranks)
        if self.num_features is None:
            return shape[1]
        _check_channels(self, shape[1], self.num_features, "num_features")
        return self.num_features

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self._c(inputs)
        return inputs[0]

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        c = self._c(inputs)
        ws = []
        if self.affine:
            ws += [Weight("weight", (c,)), Weight("bias", (c,))]
        if self.track_running_stats:
            ws += [Weight("running_mean", (c,), "stat", False), Weight("running_var", (c,), "stat", False)]
            if self.counts_batches:
                ws.append(Weight("num_batches_tracked", (), "stat", False))
        return ws


class BatchNorm1d(_NormNd):
    ranks = (2, 3)


class BatchNorm2d(_NormNd):
    ranks = (4,)


class BatchNorm3d(_NormNd):
    ranks = (5,)


class SyncBatchNorm(_NormNd):
    ranks = (2, 3, 4, 5, 6)


class InstanceNorm1d(_NormNd):
    ranks = (3,)
    default_affine = False
    default_track = False


class InstanceNorm2d(InstanceNorm1d):
    ranks = (4,)


class InstanceNorm3d(InstanceNorm1d):
    ranks = (5,)


class LayerNorm(_TorchLayer):
    """Normalises over the trailing ``normalized_shape``: weight and bias of that shape."""

    def __init__(
        self,
        normalized_shape: Any = None,
        eps: Any = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        **base: Any,
    ) -> None:
        super().__init__(**base)
        dims = normalized_shape if isinstance(normalized_shape, (list, tuple)) else [normalized_shape]
        if not dims:
            raise ArgumentError("normalized_shape must not be empty")
        self.normalized_shape = tuple(as_dim(d, "normalized_shape") for d in dims)
        self.elementwise_affine = flag(elementwise_affine, "elementwise_affine")
        self.bias = flag(bias, "bias")

    def hyperparameters(self) -> dict[str, Any]:
        return {"normalized_shape": self.normalized_shape}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        tail = shape[len(shape) - len(self.normalized_shape) :]
        if len(shape) <= len(self.normalized_shape) or not all(map(_same, tail, self.normalized_shape)):
            raise ShapeError(
                f"LayerNorm over {self.normalized_shape} needs an input ending in those sizes, got {format_shape(shape)}"
            )
        return shape

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        if not self.elementwise_affine:
            return []
        ws = [Weight("weight", self.normalized_shape)]
        return ws + [Weight("bias", self.normalized_shape)] if self.bias else ws


class GroupNorm(_TorchLayer):
    """``num_groups`` groups over ``num_channels``: weight and bias (C,) if affine."""

    def __init__(
        self, num_groups: Any = None, num_channels: Any = None, eps: Any = 1e-5, affine: bool = True, **base: Any
    ) -> None:
        super().__init__(**base)
        self.num_groups = as_dim(num_groups, "num_groups")
        self.num_channels = as_dim(num_channels, "num_channels")
        self.affine = flag(affine, "affine")
        if is_number(self.num_groups) and is_number(self.num_channels) and self.num_channels % self.num_groups:
            raise ArgumentError(
                f"num_channels ({self.num_channels}) must be divisible by num_groups ({self.num_groups})"
            )

    def hyperparameters(self) -> dict[str, Any]:
        return {"num_groups": self.num_groups, "num_channels": self.num_channels}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        if len(shape) < 2:
            raise ShapeError(f"GroupNorm needs an input (N, C, ...), got {format_shape(shape)}")
        _check_channels(self, shape[1], self.num_channels, "num_channels")
        return shape

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        c = self.num_channels
        return [Weight("weight", (c,)), Weight("bias", (c,))] if self.affine else []


# ---- pooling ---------------------------------------------------------------------------------


class _PoolNd(_TorchLayer, register=False):
    """Max/average pooling: stride defaults to the kernel; ``ceil_mode`` lets a last window start in the input."""

    rank: ClassVar[int] = 2
    dilated: ClassVar[bool] = True

    def __init__(
        self,
        kernel_size: Any = None,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: Any = None,
        **base: Any,
    ) -> None:
        super().__init__(**base)
        if kernel_size is None:
            raise ArgumentError(f"{self.class_name} needs kernel_size")
        self.kernel_size = dim_tuple(kernel_size, self.rank, "kernel_size")
        empty = stride is None or (isinstance(stride, (list, tuple)) and not stride)
        self.stride = self.kernel_size if empty else dim_tuple(stride, self.rank, "stride")
        self.padding = dim_tuple(padding, self.rank, "padding", allow_zero=True)
        self.dilation = dim_tuple(dilation, self.rank, "dilation")
        if not self.dilated and any(d != 1 for d in self.dilation):
            raise ArgumentError(f"{self.class_name} has no dilation")
        self.ceil_mode = flag(ceil_mode, "ceil_mode")
        for p, k in zip(self.padding, self.kernel_size):
            if is_number(p) and is_number(k) and p > k // 2:
                raise ArgumentError(f"padding ({p}) must be at most half of kernel_size ({k})")

    def hyperparameters(self) -> dict[str, Any]:
        hp: dict[str, Any] = {"kernel_size": self.kernel_size, "stride": self.stride}
        if any(p != 0 for p in self.padding):
            hp["padding"] = self.padding
        if any(d != 1 for d in self.dilation):
            hp["dilation"] = self.dilation
        if self.ceil_mode:
            hp["ceil_mode"] = True
        return hp

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        require_rank(self, shape, self.rank + 2)
        lengths = [
            torch_pool_output_length(n, k, s, p, d, self.ceil_mode)
            for n, k, s, p, d in zip(shape[2:], self.kernel_size, self.stride, self.padding, self.dilation)
        ]
        return (*shape[:2], *lengths)


class MaxPool1d(_PoolNd):
    rank = 1


class MaxPool2d(_PoolNd):
    rank = 2


class MaxPool3d(_PoolNd):
    rank = 3


class AvgPool1d(_PoolNd):
    rank = 1
    dilated = False


class AvgPool2d(_PoolNd):
    rank = 2
    dilated = False


class AvgPool3d(_PoolNd):
    rank = 3
    dilated = False


class _LPPoolNd(_PoolNd, register=False):
    """Power-average pooling: windows as AvgPool's without padding."""

    dilated = False

    def __init__(self, norm_type: Any = 2, kernel_size: Any = None, stride: Any = None, ceil_mode: bool = False,
                 **base: Any) -> None:  # fmt: skip
        super().__init__(kernel_size=kernel_size, stride=stride, ceil_mode=ceil_mode, **base)


class LPPool1d(_LPPoolNd):
    rank = 1


class LPPool2d(_LPPoolNd):
    rank = 2


class LPPool3d(_LPPoolNd):
    rank = 3


class PixelShuffle(_TorchLayer):
    """(N, C·r², H, W) → (N, C, H·r, W·r)."""

    def __init__(self, upscale_factor: Any = None, **base: Any) -> None:
        super().__init__(**base)
        self.upscale_factor = as_dim(upscale_factor, "upscale_factor")

    def hyperparameters(self) -> dict[str, Any]:
        return {"upscale_factor": self.upscale_factor}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        require_rank(self, shape, 4)
        r = self.upscale_factor
        c = shape[1]
        if is_number(c) and is_number(r) and c % (r * r):
            raise ShapeError(f"PixelShuffle needs channels divisible by {r}², got {c}")
        return (shape[0], _div(c, r * r), simplify_int(shape[2] * r), simplify_int(shape[3] * r))


class PixelUnshuffle(_TorchLayer):
    """(N, C, H·r, W·r) → (N, C·r², H, W)."""

    def __init__(self, downscale_factor: Any = None, **base: Any) -> None:
        super().__init__(**base)
        self.downscale_factor = as_dim(downscale_factor, "downscale_factor")

    def hyperparameters(self) -> dict[str, Any]:
        return {"downscale_factor": self.downscale_factor}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        require_rank(self, shape, 4)
        r = self.downscale_factor
        for n in shape[2:]:
            if is_number(n) and is_number(r) and n % r:
                raise ShapeError(f"PixelUnshuffle needs height and width divisible by {r}, got {format_shape(shape)}")
        return (shape[0], simplify_int(shape[1] * r * r), _div(shape[2], r), _div(shape[3], r))


class _AdaptivePoolNd(_TorchLayer, register=False):
    """Pools to ``output_size``; a None entry keeps that input size."""

    rank: ClassVar[int] = 2

    def __init__(self, output_size: Any = None, return_indices: bool = False, **base: Any) -> None:
        super().__init__(**base)
        sizes = list(output_size) if isinstance(output_size, (list, tuple)) else [output_size] * self.rank
        if len(sizes) != self.rank:
            raise ArgumentError(f"output_size must have {self.rank} value(s), got {output_size!r}")
        self.output_size = tuple(None if s is None else as_dim(s, "output_size") for s in sizes)

    def hyperparameters(self) -> dict[str, Any]:
        return {"output_size": self.output_size}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        require_rank(self, shape, self.rank + 2)
        return (*shape[:2], *(n if s is None else s for n, s in zip(shape[2:], self.output_size)))


class AdaptiveAvgPool1d(_AdaptivePoolNd):
    rank = 1


class AdaptiveAvgPool2d(_AdaptivePoolNd):
    rank = 2


class AdaptiveAvgPool3d(_AdaptivePoolNd):
    rank = 3


class AdaptiveMaxPool1d(_AdaptivePoolNd):
    rank = 1


class AdaptiveMaxPool2d(_AdaptivePoolNd):
    rank = 2


class AdaptiveMaxPool3d(_AdaptivePoolNd):
    rank = 3


# ---- reshaping ---------------------------------------------------------------------------------


def _flatten(shape: Shape, start: int, end: int, who: str) -> Shape:
    rank = len(shape)
    if rank == 0:
        return (1,)
    s, e = _axis(start, rank, who), _axis(end, rank, who)
    if s > e:
        raise ArgumentError(f"{who}: start_dim ({start}) comes after end_dim ({end}) for rank {rank}")
    middle = shape[s : e + 1]
    size = None if any(d is None for d in middle) else prod(middle)
    return (*shape[:s], size, *shape[e + 1 :])


class Flatten(_TorchLayer):
    """Joins axes ``start_dim``..``end_dim`` (default 1..-1) into one."""

    start_default: ClassVar[int] = 1

    def __init__(self, start_dim: Any = None, end_dim: Any = -1, **base: Any) -> None:
        super().__init__(**base)
        self.start_dim = _int(self.start_default if start_dim is None else start_dim, "start_dim")
        self.end_dim = _int(end_dim, "end_dim")

    def hyperparameters(self) -> dict[str, Any]:
        return {"start_dim": self.start_dim, "end_dim": self.end_dim}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return _flatten(self._one_input(inputs), self.start_dim, self.end_dim, self.class_name)


def _fill_minus_one(total: Dim, target: Sequence[Any], who: str) -> tuple[Dim, ...]:
    """Resolve one -1 in a target shape against ``total`` elements, checking known sizes."""
    known = prod(d for d in target if d != -1)
    if sum(1 for d in target if d == -1) > 1:
        raise ArgumentError(f"{who}: only one dimension can be -1, got {tuple(target)}")
    if -1 in list(target):
        if is_number(total) and is_number(known):
            if known == 0 or total % known:
                raise ShapeError(f"{who}: cannot reshape {total} values into {tuple(target)}")
            rest: Dim = int(total) // int(known)  # type: ignore[arg-type]
        else:
            rest = simplify_int(sympy.factor(total / known))
            if isinstance(rest, sympy.Expr) and rest.is_integer is False:
                raise ShapeError(f"{who}: cannot reshape {total} values into {tuple(target)}")
        return tuple(rest if d == -1 else d for d in target)
    if is_number(total) and is_number(known) and total != known:
        raise ShapeError(f"{who}: cannot reshape {total} values into {tuple(target)} ({known} values)")
    return tuple(target)


class Unflatten(_TorchLayer):
    """Splits axis ``dim`` into ``unflattened_size`` (one entry may be -1)."""

    def __init__(self, dim: Any = None, unflattened_size: Any = None, **base: Any) -> None:
        super().__init__(**base)
        self.dim = _int(dim, "dim")
        if not isinstance(unflattened_size, (list, tuple)) or not unflattened_size:
            raise ArgumentError(f"unflattened_size must be a list of sizes, got {unflattened_size!r}")
        self.unflattened_size = tuple(-1 if d == -1 else as_dim(d, "unflattened_size") for d in unflattened_size)

    def hyperparameters(self) -> dict[str, Any]:
        return {"dim": self.dim, "unflattened_size": self.unflattened_size}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        axis = _axis(self.dim, len(shape), self.class_name)
        sizes = _fill_minus_one(shape[axis], self.unflattened_size, self.class_name)
        return (*shape[:axis], *sizes, *shape[axis + 1 :])


# ---- shape-preserving modules ---------------------------------------------------------------


class _Same(_TorchLayer, register=False):
    """Same shape out as in, nothing to learn (activations, dropout, Identity)."""

    def __init__(
        self,
        *args: Any,
        inplace: Any = False,
        p: Any = None,
        dim: Any = None,
        negative_slope: Any = None,
        approximate: Any = None,
        alpha: Any = None,
        beta: Any = None,
        min_val: Any = None,
        max_val: Any = None,
        threshold: Any = None,
        lambd: Any = None,
        value: Any = None,
        **base: Any,
    ) -> None:
        base = {
            k: v
            for k, v in base.items()
            if k in ("name", "trainable", "input_shape", "batch_input_shape", "batch_shape", "device", "dtype")
        }
        super().__init__(**base)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return self._one_input(inputs)


_SAME_MODULES = (
    "Identity",
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "AlphaDropout",
    "FeatureAlphaDropout",
    "ReLU",
    "ReLU6",
    "GELU",
    "SiLU",
    "Sigmoid",
    "Tanh",
    "Hardswish",
    "Hardsigmoid",
    "Hardtanh",
    "LeakyReLU",
    "ELU",
    "SELU",
    "CELU",
    "Mish",
    "Softplus",
    "Softsign",
    "Tanhshrink",
    "Hardshrink",
    "Softshrink",
    "LogSigmoid",
    "Softmax",
    "LogSoftmax",
    "Softmin",
    "Threshold",
    "Softmax2d",
    "ChannelShuffle",
    "LocalResponseNorm",
    "CrossMapLRN2d",
)
for _name in _SAME_MODULES:
    globals()[_name] = type(_name, (_Same,), {"__doc__": f"torch.nn.{_name}: shape unchanged, no parameters."})


class PReLU(_TorchLayer):
    """A learned slope: weight (num_parameters,), 1 (shared) or one per channel."""

    def __init__(self, num_parameters: Any = 1, init: Any = 0.25, **base: Any) -> None:
        super().__init__(**base)
        self.num_parameters = as_dim(num_parameters, "num_parameters")

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return self._one_input(inputs)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        return [Weight("weight", (self.num_parameters,))]


class Upsample(_TorchLayer):
    """Resizes the spatial axes to ``size``, or to ⌊n·scale_factor⌋."""

    def __init__(
        self,
        size: Any = None,
        scale_factor: Any = None,
        mode: str = "nearest",
        align_corners: Any = None,
        recompute_scale_factor: Any = None,
        **base: Any,
    ) -> None:
        super().__init__(**base)
        if (size is None) == (scale_factor is None):
            raise ArgumentError("Upsample needs exactly one of size and scale_factor")
        self.size = None if size is None else _sizes(size, "size")
        self.scale_factor = None if scale_factor is None else _scales(scale_factor)
        self.mode = mode

    def hyperparameters(self) -> dict[str, Any]:
        return {"size": self.size} if self.size is not None else {"scale_factor": self.scale_factor}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        if len(shape) < 3:
            raise ShapeError(f"{self.class_name} needs an input (N, C, *spatial), got {format_shape(shape)}")
        rank = len(shape) - 2
        given: tuple[Any, ...] = self.size if self.size is not None else self.scale_factor or ()
        values = given * rank if len(given) == 1 else given
        if len(values) != rank:
            what = "size" if self.size is not None else "scale_factor"
            raise ShapeError(f"{what} {given} does not fit an input of {rank} spatial axes")
        if self.size is not None:
            return (*shape[:2], *values)
        return (*shape[:2], *(_scaled(n, s) for n, s in zip(shape[2:], values)))


class UpsamplingNearest2d(Upsample):
    def __init__(self, size: Any = None, scale_factor: Any = None, **base: Any) -> None:
        super().__init__(size=size, scale_factor=scale_factor, mode="nearest", **base)


class UpsamplingBilinear2d(Upsample):
    def __init__(self, size: Any = None, scale_factor: Any = None, **base: Any) -> None:
        super().__init__(size=size, scale_factor=scale_factor, mode="bilinear", **base)


def _sizes(value: Any, arg: str) -> tuple[Dim, ...]:
    items = value if isinstance(value, (list, tuple)) else [value]
    return tuple(as_dim(v, arg) for v in items)


def _scales(value: Any) -> tuple[Any, ...]:
    items = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for v in items:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
            raise ArgumentError(f"scale_factor must be positive numbers, got {value!r}")
        out.append(int(v) if float(v).is_integer() else float(v))
    return tuple(out)


def _scaled(n: Dim, scale: float) -> Dim:
    """⌊n · scale⌋ as torch computes it (in double precision for numbers)."""
    if isinstance(scale, int):
        return simplify_int(n * scale)
    if is_number(n):
        return math.floor(int(n) * scale)  # type: ignore[arg-type]
    return simplify_int(sympy.floor(n * sympy.Rational(scale)))


class _PadNd(_TorchLayer, register=False):
    """Pads the last ``rank`` axes by ``padding`` = (left, right, top, bottom, front, back); negatives crop."""

    rank: ClassVar[int] = 2

    def __init__(self, padding: Any = None, value: Any = 0.0, **base: Any) -> None:
        super().__init__(**base)
        self.padding = _pad_tuple(padding, self.rank)

    def hyperparameters(self) -> dict[str, Any]:
        return {"padding": self.padding}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        if len(shape) < self.rank + 1:
            raise ShapeError(f"{self.class_name} needs at least {self.rank + 1} axes, got {format_shape(shape)}")
        return _padded(shape, self.padding)


def _pad_tuple(padding: Any, rank: int | None) -> tuple[Dim, ...]:
    """A torch pad spec: one size for every side, or pairs from the last axis backwards."""
    if isinstance(padding, (list, tuple)):
        items = list(padding)
        if not items or len(items) % 2 or (rank is not None and len(items) != 2 * rank):
            want = "an even number of" if rank is None else f"{2 * rank}"
            raise ArgumentError(f"padding must have {want} values, got {padding!r}")
    elif rank is not None:
        items = [padding] * (2 * rank)
    else:
        raise ArgumentError(f"pad must be a list of sizes, got {padding!r}")
    out: list[Dim] = []
    for p in items:
        if isinstance(p, int) and not isinstance(p, bool):
            out.append(p)
        else:
            out.append(as_dim(p, "padding", allow_zero=True))
    return tuple(out)


def _padded(shape: Shape, pads: Sequence[Dim]) -> Shape:
    out = list(shape)
    for i in range(len(pads) // 2):
        axis = len(shape) - 1 - i
        if axis < 1:
            raise ShapeError(f"padding {tuple(pads)} has more axes than the input {format_shape(shape)}")
        if out[axis] is not None:
            out[axis] = simplify_int(out[axis] + pads[2 * i] + pads[2 * i + 1])
    return tuple(out)


for _rank in (1, 2, 3):
    for _kind in ("ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad", "CircularPad"):
        _cls = f"{_kind}{_rank}d"
        globals()[_cls] = type(
            _cls, (_PadNd,), {"rank": _rank, "__doc__": f"torch.nn.{_cls}: pads the last {_rank} axes."}
        )


# ---- attention ---------------------------------------------------------------------------------


class MultiheadAttention(_TorchLayer):
    """torch.nn.MultiheadAttention(query, key, value): output like the query with ``embed_dim`` features.

    Weights: in_proj_weight (3E, E) (or q/k/v_proj_weight when kdim/vdim differ), in_proj_bias,
    bias_k/bias_v (add_bias_kv), out_proj.weight/bias. torchinfo counts no MACs for it: the
    module has a child (out_proj) that its forward never calls, so no leaf row carries them.
    """

    arity = 3

    def __init__(
        self,
        embed_dim: Any = None,
        num_heads: Any = None,
        dropout: Any = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: Any = None,
        vdim: Any = None,
        batch_first: bool = False,
        **base: Any,
    ) -> None:
        super().__init__(**base)
        self.embed_dim = as_dim(embed_dim, "embed_dim")
        self.num_heads = as_dim(num_heads, "num_heads")
        if is_number(self.embed_dim) and is_number(self.num_heads) and self.embed_dim % self.num_heads:
            raise ArgumentError(f"embed_dim ({self.embed_dim}) must be divisible by num_heads ({self.num_heads})")
        self.bias = flag(bias, "bias")
        self.add_bias_kv = flag(add_bias_kv, "add_bias_kv")
        self.add_zero_attn = flag(add_zero_attn, "add_zero_attn")
        # None: the same as embed_dim (torch then keeps one packed in_proj_weight)
        self.kdim = None if kdim is None or as_dim(kdim, "kdim") == self.embed_dim else as_dim(kdim, "kdim")
        self.vdim = None if vdim is None or as_dim(vdim, "vdim") == self.embed_dim else as_dim(vdim, "vdim")
        self.batch_first = flag(batch_first, "batch_first")

    @property
    def _k(self) -> Dim:
        return self.embed_dim if self.kdim is None else self.kdim

    @property
    def _v(self) -> Dim:
        return self.embed_dim if self.vdim is None else self.vdim

    def hyperparameters(self) -> dict[str, Any]:
        return {"embed_dim": self.embed_dim, "num_heads": self.num_heads}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        if len(inputs) != 3:
            raise ShapeError(f"MultiheadAttention takes query, key and value, got {len(inputs)} input(s)")
        q, k, v = inputs
        for shape, size, arg in ((q, self.embed_dim, "embed_dim"), (k, self._k, "kdim"), (v, self._v, "vdim")):
            if len(shape) != 3 or not _same(shape[-1], size):
                raise ShapeError(f"MultiheadAttention expects (L, N, {arg}={size}) inputs, got {format_shape(shape)}")
        return (*q[:2], self.embed_dim)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        e = self.embed_dim
        if self.kdim is None and self.vdim is None:
            ws = [Weight("in_proj_weight", (3 * e, e))]
        else:
            ws = [Weight("q_proj_weight", (e, e)), Weight("k_proj_weight", (e, self._k)),
                  Weight("v_proj_weight", (e, self._v))]  # fmt: skip
        if self.bias:
            ws.append(Weight("in_proj_bias", (3 * e,)))
        if self.add_bias_kv:
            ws += [Weight("bias_k", (1, 1, e)), Weight("bias_v", (1, 1, e))]
        ws.append(Weight("out_proj.weight", (e, e)))
        if self.bias:
            ws.append(Weight("out_proj.bias", (e,)))
        return ws

    def torchinfo_positions(self, inputs: list[Shape], output: Shape) -> Dim:
        return 0

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        q, k, _ = inputs
        n, length = (q[0], q[1]) if self.batch_first else (q[1], q[0])
        source = k[1] if self.batch_first else k[0]
        e = self.embed_dim
        keys = source + int(self.add_bias_kv) + int(self.add_zero_attn)  # fvcore's bmm sees the extended keys
        per_sample = length * e * e + source * (self._k + self._v) * e + 2 * length * keys * e + length * e * e
        return prod([1 if n is None else n, per_sample])


# ---- recurrent ---------------------------------------------------------------------------------


class _RNNBase(_TorchLayer, register=False):
    """RNN/LSTM/GRU stacks: per layer and direction weight_ih, weight_hh (+ biases, + weight_hr)."""

    gates: ClassVar[int] = 1

    def __init__(
        self,
        input_size: Any = None,
        hidden_size: Any = None,
        num_layers: Any = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: Any = 0.0,
        bidirectional: bool = False,
        proj_size: Any = 0,
        nonlinearity: str = "tanh",
        **base: Any,
    ) -> None:
        super().__init__(**base)
        self.input_size = None if input_size is None else as_dim(input_size, "input_size")
        self.hidden_size = as_dim(hidden_size, "hidden_size")
        self.num_layers = _int(num_layers, "num_layers", low=1)
        self.bias = flag(bias, "bias")
        self.batch_first = flag(batch_first, "batch_first")
        self.bidirectional = flag(bidirectional, "bidirectional")
        self.proj_size = as_dim(proj_size, "proj_size", allow_zero=True)
        if self.proj_size != 0 and type(self).__name__ != "LSTM":
            raise ArgumentError(f"proj_size is only for LSTM, got proj_size={proj_size!r}")
        if is_number(self.proj_size) and is_number(self.hidden_size) and self.proj_size >= self.hidden_size:
            raise ArgumentError(f"proj_size ({self.proj_size}) must be smaller than hidden_size ({self.hidden_size})")

    def hyperparameters(self) -> dict[str, Any]:
        hp: dict[str, Any] = {"input_size": self.input_size, "hidden_size": self.hidden_size}
        if self.num_layers != 1:
            hp["num_layers"] = self.num_layers
        if self.bidirectional:
            hp["bidirectional"] = True
        if self.proj_size != 0:
            hp["proj_size"] = self.proj_size
        return hp

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def out_size(self) -> Dim:
        return self.proj_size if self.proj_size != 0 else self.hidden_size

    def _in(self, inputs: list[Shape]) -> Dim:
        shape = self._one_input(inputs)
        require_rank(self, shape, 3)
        if self.input_size is None:
            return shape[2]
        if not _same(shape[2], self.input_size):
            raise ShapeError(f"{self.class_name} expects input_size={self.input_size}, got {format_shape(shape)}")
        return self.input_size

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self._in(inputs)
        return (*inputs[0][:2], simplify_int(self.directions * self.out_size))

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        size_in, h, g = self._in(inputs), self.hidden_size, self.gates
        ws: list[Weight] = []
        for layer in range(self.num_layers):
            width = size_in if layer == 0 else simplify_int(self.directions * self.out_size)
            for suffix in ("", "_reverse")[: self.directions]:
                tag = f"l{layer}{suffix}"
                ws += [Weight(f"weight_ih_{tag}", (g * h, width)), Weight(f"weight_hh_{tag}", (g * h, self.out_size))]
                if self.bias:
                    ws += [Weight(f"bias_ih_{tag}", (g * h,)), Weight(f"bias_hh_{tag}", (g * h,))]
                if self.proj_size != 0:
                    ws.append(Weight(f"weight_hr_{tag}", (self.proj_size, h)))
        return ws

    def torchinfo_positions(self, inputs: list[Shape], output: Shape) -> Dim:
        return prod([1 if d is None else d for d in output[:2]])

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        matrices = sum((w.size for w in self.weights(inputs) if w.name.startswith("weight")), start=0)
        return prod([self.torchinfo_positions(inputs, output), matrices])


class RNN(_RNNBase):
    gates = 1


class LSTM(_RNNBase):
    gates = 4


class GRU(_RNNBase):
    gates = 3


class _CellBase(_TorchLayer, register=False):
    """One recurrent step on (N, I): weight_ih (g·H, I), weight_hh (g·H, H), and biases.

    torchinfo counts these parameters (named weight_ih ...) × the output's first two axes,
    which for a step's (N, H) output is N·H.
    """

    gates: ClassVar[int] = 1

    def __init__(self, input_size: Any = None, hidden_size: Any = None, bias: bool = True, nonlinearity: str = "tanh",
                 **base: Any) -> None:  # fmt: skip
        super().__init__(**base)
        self.input_size = None if input_size is None else as_dim(input_size, "input_size")
        self.hidden_size = as_dim(hidden_size, "hidden_size")
        self.bias = flag(bias, "bias")

    def hyperparameters(self) -> dict[str, Any]:
        return {"input_size": self.input_size, "hidden_size": self.hidden_size}

    def _in(self, inputs: list[Shape]) -> Dim:
        shape = inputs[0]
        require_rank(self, shape, 2)
        if self.input_size is None:
            return shape[1]
        if not _same(shape[1], self.input_size):
            raise ShapeError(f"{self.class_name} expects input_size={self.input_size}, got {format_shape(shape)}")
        return self.input_size

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self._in(inputs)
        return (inputs[0][0], self.hidden_size)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        g, h = self.gates, self.hidden_size
        ws = [Weight("weight_ih", (g * h, self._in(inputs))), Weight("weight_hh", (g * h, h))]
        return ws + [Weight("bias_ih", (g * h,)), Weight("bias_hh", (g * h,))] if self.bias else ws

    def torchinfo_positions(self, inputs: list[Shape], output: Shape) -> Dim:
        return prod([1 if d is None else d for d in output[:2]])

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        matrices = sum((w.size for w in self.weights(inputs) if w.name.startswith("weight")), start=0)
        return prod([batch_of(output), matrices])


class RNNCell(_CellBase):
    arity = None  # the input and an optional hidden state


class LSTMCell(_CellBase):
    arity = None
    gates = 4


class GRUCell(_CellBase):
    arity = None
    gates = 3
