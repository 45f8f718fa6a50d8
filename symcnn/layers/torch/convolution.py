"""torch.nn convolutions: ``Conv{1,2,3}d`` and ``ConvTranspose{1,2,3}d``.

(Not named ``conv``: Keras's SpectralNormalization recognises Keras's kernel layers by module name.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from ...errors import ArgumentError, ShapeError
from ...formulas import Dim, conv_output_length, floor_div, is_number, prod, simplify_int, torch_deconv_output_length
from ..base import Shape, Weight, Window, as_dim, batch_of, dim_tuple, flag, require_rank
from .base import TorchLayer, _check_channels, _div


class _ConvNd(TorchLayer, register=False):
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

    def window(self, inputs: list[Shape]) -> Window | None:
        self._c_in(inputs)
        return Window(self.kernel_size, self.stride, self.dilation, tuple(before for before, _ in self.pads()))

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

    def window(self, inputs: list[Shape]) -> Window | None:
        self._c_in(inputs)  # output_padding adds after the last position: the start does not move
        return Window(self.kernel_size, self.stride, self.dilation, self.padding, transposed=True)

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
