"""Keras convolutions: one base class with a ``rank``, thin subclasses per rank."""

from __future__ import annotations

from typing import Any, ClassVar

import sympy

from ..errors import ArgumentError, ShapeError
from ..formulas import (
    Dim,
    is_number,
    keras_conv_output_length,
    keras_conv_pad_before,
    keras_deconv_output_length,
    keras_deconv_pad_before,
    prod,
    simplify_int,
)
from .base import (
    Layer,
    Shape,
    Weight,
    Window,
    as_dim,
    batch_of,
    channels,
    choice,
    data_format_is_last,
    dim_tuple,
    flag,
    require_rank,
    spatial,
)


class _Conv(Layer, register=False):
    """A Keras ``Conv{rank}D``: kernel (*k, C_in/groups, F) and bias (F,)."""

    rank: ClassVar[int] = 2
    conv_like = True
    paddings: ClassVar[tuple[str, ...]] = ("valid", "same")
    refuses_strided_dilation: ClassVar[bool] = True  # Keras's base_conv/base_conv_transpose check
    supports_lora: ClassVar[bool] = True  # Conv1D/2D/3D only

    def __init__(
        self,
        filters: Any = None,
        kernel_size: Any = None,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        groups: Any = 1,
        use_bias: bool = True,
        lora_rank: Any = None,
        **base: Any,
    ) -> None:
        super().__init__(**base)
        if lora_rank is not None and not self.supports_lora:
            raise ArgumentError(f"{self.class_name} has no argument 'lora_rank'")
        # Keras's LoRA (base_conv): the kernel is frozen, factors (*k, C_in/groups, r) and (r, filters) learn.
        self.lora_rank = None if lora_rank is None else as_dim(lora_rank, "lora_rank")
        if kernel_size is None:
            raise ArgumentError(f"{self.class_name} needs kernel_size")
        self.filters = self._filters(filters)
        self.kernel_size = dim_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = dim_tuple(strides, self.rank, "strides")
        self.padding = choice(padding, "padding", self.paddings)
        self.channels_last = data_format_is_last(data_format or "channels_last")
        self.dilation_rate = dim_tuple(dilation_rate, self.rank, "dilation_rate")
        self.groups = as_dim(groups, "groups")
        self.use_bias = flag(use_bias, "use_bias")
        strided_and_dilated = any(s != 1 for s in self.strides) and any(d != 1 for d in self.dilation_rate)
        known = all(is_number(v) for v in (*self.strides, *self.dilation_rate))
        if self.refuses_strided_dilation and strided_and_dilated and known:
            raise ArgumentError("strides > 1 cannot be combined with dilation_rate > 1")
        if is_number(self.filters) and is_number(self.groups) and self.filters % self.groups:
            raise ArgumentError(f"filters ({self.filters}) must be divisible by groups ({self.groups})")

    def _filters(self, filters: Any) -> Dim:
        if filters is None:
            raise ArgumentError(f"{self.class_name} needs filters")
        return as_dim(filters, "filters")

    def hyperparameters(self) -> dict[str, Any]:
        hp: dict[str, Any] = {"filters": self.filters, "kernel_size": self.kernel_size, "strides": self.strides,
                              "padding": self.padding, "dilation_rate": self.dilation_rate}
        if self.groups != 1:
            hp["groups"] = self.groups
        if not self.use_bias:
            hp["use_bias"] = False
        return hp

    def _input(self, inputs: list[Shape]) -> tuple[Shape, tuple[Dim, ...], Dim]:
        shape = self._one_input(inputs)
        require_rank(self, shape, self.rank + 2)
        c_in = channels(shape, self.channels_last)
        if is_number(c_in) and is_number(self.groups) and c_in % self.groups:
            raise ShapeError(f"input channels ({c_in}) must be divisible by groups ({self.groups})")
        return shape, spatial(shape, self.channels_last), c_in

    def _lengths(self, sizes: tuple[Dim, ...]) -> list[Dim]:
        return [
            keras_conv_output_length(n, k, s, d, self.padding)
            for n, k, s, d in zip(sizes, self.kernel_size, self.strides, self.dilation_rate)
        ]

    def _out_channels(self, c_in: Dim) -> Dim:
        return self.filters

    def window(self, inputs: list[Shape]) -> Window | None:
        _, sizes, _ = self._input(inputs)
        pads = tuple(
            keras_conv_pad_before(n, k, s, d, self.padding)
            for n, k, s, d in zip(sizes, self.kernel_size, self.strides, self.dilation_rate)
        )
        return Window(self.kernel_size, self.strides, self.dilation_rate, pads)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape, sizes, c_in = self._input(inputs)
        lengths = self._lengths(sizes)
        c_out = self._out_channels(c_in)
        if self.channels_last:
            return (shape[0], *lengths, c_out)
        return (shape[0], c_out, *lengths)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        _, _, c_in = self._input(inputs)
        per_group = c_in if self.groups == 1 else simplify_int(sympy.Integer(1) * c_in / self.groups)  # never a float
        ws = [Weight("kernel", (*self.kernel_size, per_group, self.filters), trainable=self.lora_rank is None)]
        if self.use_bias:
            ws.append(Weight("bias", (self.filters,)))
        if self.lora_rank is not None:
            ws += [
                Weight("lora_kernel_a", (*self.kernel_size, per_group, self.lora_rank)),
                Weight("lora_kernel_b", (self.lora_rank, self.filters)),
            ]
        return ws

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        kernel = self.weights(inputs)[0]
        return prod([batch_of(output), *spatial(output, self.channels_last), kernel.size])


class Conv1D(_Conv):
    rank = 1
    aliases = ("Convolution1D",)
    paddings = ("valid", "same", "causal")


class Conv2D(_Conv):
    rank = 2
    aliases = ("Convolution2D",)


class Conv3D(_Conv):
    rank = 3
    aliases = ("Convolution3D",)


class _DepthwiseConv(_Conv, register=False):
    """Keras ``DepthwiseConv{rank}D``: one filter bank of ``depth_multiplier`` per input channel."""

    supports_lora = False

    refuses_strided_dilation = False  # Keras 3's base_depthwise_conv accepts strides with dilation

    def __init__(self, kernel_size: Any = None, depth_multiplier: Any = 1, **kwargs: Any) -> None:
        self.depth_multiplier = as_dim(depth_multiplier, "depth_multiplier")
        super().__init__(filters=None, kernel_size=kernel_size, **kwargs)

    def _filters(self, filters: Any) -> Dim:
        return 0  # set by the input channels

    def hyperparameters(self) -> dict[str, Any]:
        hp = super().hyperparameters()
        del hp["filters"]
        hp["depth_multiplier"] = self.depth_multiplier
        return hp

    def _out_channels(self, c_in: Dim) -> Dim:
        return prod([c_in, self.depth_multiplier])

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        _, _, c_in = self._input(inputs)
        ws = [Weight("depthwise_kernel", (*self.kernel_size, c_in, self.depth_multiplier))]
        if self.use_bias:
            ws.append(Weight("bias", (self._out_channels(c_in),)))
        return ws


class DepthwiseConv1D(_DepthwiseConv):
    rank = 1
    paddings = ("valid", "same", "causal")


class DepthwiseConv2D(_DepthwiseConv):
    rank = 2


class _SeparableConv(_Conv, register=False):
    """Keras ``SeparableConv{rank}D``: a depthwise conv, then a 1×1 conv to ``filters``."""

    supports_lora = False

    refuses_strided_dilation = False  # Keras 3's base_separable_conv accepts strides with dilation

    def __init__(self, filters: Any = None, kernel_size: Any = None, depth_multiplier: Any = 1, **kwargs: Any) -> None:
        self.depth_multiplier = as_dim(depth_multiplier, "depth_multiplier")
        super().__init__(filters=filters, kernel_size=kernel_size, **kwargs)

    def hyperparameters(self) -> dict[str, Any]:
        return {**super().hyperparameters(), "depth_multiplier": self.depth_multiplier}

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        _, _, c_in = self._input(inputs)
        ws = [
            Weight("depthwise_kernel", (*self.kernel_size, c_in, self.depth_multiplier)),
            Weight("pointwise_kernel", (*(1,) * self.rank, prod([c_in, self.depth_multiplier]), self.filters)),
        ]
        if self.use_bias:
            ws.append(Weight("bias", (self.filters,)))
        return ws

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        depthwise, pointwise = self.weights(inputs)[:2]
        positions = prod([batch_of(output), *spatial(output, self.channels_last)])
        return prod([positions, depthwise.size + pointwise.size])


class SeparableConv1D(_SeparableConv):
    rank = 1
    aliases = ("SeparableConvolution1D",)
    paddings = ("valid", "same", "causal")


class SeparableConv2D(_SeparableConv):
    rank = 2
    aliases = ("SeparableConvolution2D",)


class _ConvTranspose(_Conv, register=False):
    """Keras ``Conv{rank}DTranspose``: kernel (*k, F, C_in), Keras's deconv length rule."""

    supports_lora = False

    def __init__(self, filters: Any = None, kernel_size: Any = None, output_padding: Any = None, **kwargs: Any) -> None:
        super().__init__(filters=filters, kernel_size=kernel_size, **kwargs)
        self.output_padding = (
            None if output_padding is None else dim_tuple(output_padding, self.rank, "output_padding", allow_zero=True)
        )
        if self.output_padding is not None:
            for op, s in zip(self.output_padding, self.strides):
                if is_number(op) and is_number(s) and op >= s:
                    raise ArgumentError(f"output_padding ({op}) must be smaller than strides ({s})")

    def hyperparameters(self) -> dict[str, Any]:
        hp = super().hyperparameters()
        if self.output_padding is not None:
            hp["output_padding"] = self.output_padding
        return hp

    def _lengths(self, sizes: tuple[Dim, ...]) -> list[Dim]:
        pads = self.output_padding or (None,) * self.rank
        return [
            keras_deconv_output_length(n, k, s, self.padding, op, d)
            for n, k, s, op, d in zip(sizes, self.kernel_size, self.strides, pads, self.dilation_rate)
        ]

    def window(self, inputs: list[Shape]) -> Window | None:
        # Keras pads 'same' as TensorFlow and JAX do (keras/src/backend/common/backend_utils.py).
        self._input(inputs)
        pads = self.output_padding or (None,) * self.rank
        torch_pads = tuple(
            keras_deconv_pad_before(k, s, self.padding, op, d)
            for k, s, op, d in zip(self.kernel_size, self.strides, pads, self.dilation_rate)
        )
        return Window(self.kernel_size, self.strides, self.dilation_rate, torch_pads, transposed=True)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        _, _, c_in = self._input(inputs)
        ws = [Weight("kernel", (*self.kernel_size, self.filters, c_in))]
        if self.use_bias:
            ws.append(Weight("bias", (self.filters,)))
        return ws

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        # fvcore counts a transposed convolution over the input grid.
        shape = inputs[0]
        return prod([batch_of(output), *spatial(shape, self.channels_last), self.weights(inputs)[0].size])


class Conv1DTranspose(_ConvTranspose):
    rank = 1
    aliases = ("Convolution1DTranspose",)


class Conv2DTranspose(_ConvTranspose):
    rank = 2
    aliases = ("Convolution2DTranspose",)


class Conv3DTranspose(_ConvTranspose):
    rank = 3
    aliases = ("Convolution3DTranspose",)
