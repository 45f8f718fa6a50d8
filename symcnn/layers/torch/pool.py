"""torch.nn pooling: max, average, LP (``ceil_mode``) and adaptive pooling."""

from __future__ import annotations

from typing import Any, ClassVar

import sympy

from ...errors import ArgumentError
from ...formulas import ceil_div, is_number, torch_pool_output_length
from ..base import Shape, Window, as_dim, dim_tuple, flag, require_rank
from .base import TorchLayer


class _PoolNd(TorchLayer, register=False):
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

    def window(self, inputs: list[Shape]) -> Window | None:
        require_rank(self, self._one_input(inputs), self.rank + 2)  # ceil_mode adds at the end only
        return Window(self.kernel_size, self.stride, self.dilation, self.padding)

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


class _AdaptivePoolNd(TorchLayer, register=False):
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

    def window(self, inputs: list[Shape]) -> Window | None:
        """Output i reads [⌊i·n/o⌋, ⌈(i + 1)·n/o⌉): kernel and stride n/o when o divides n; otherwise the
        widest window and the mean stride n/o. None when an axis pools to one position (global) or
        the window is not known."""
        shape = self._one_input(inputs)
        require_rank(self, shape, self.rank + 2)
        kernels: list[Any] = []
        strides: list[Any] = []
        for n, o in zip(shape[2:], self.output_size):
            if o is None or o == n:
                kernels.append(1)
                strides.append(1)
                continue
            if o == 1 or not (is_number(n) and is_number(o)):
                return None
            n, o = int(n), int(o)
            kernels.append(max(ceil_div((i + 1) * n, o) - (i * n) // o for i in range(o)))
            strides.append(n // o if n % o == 0 else sympy.Rational(n, o))
        ones = (1,) * self.rank
        return Window(tuple(kernels), tuple(strides), ones, (0,) * self.rank)


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
