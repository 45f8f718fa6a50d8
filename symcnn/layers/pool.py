"""Keras pooling: local (max/average, 1-3D) and global."""

from __future__ import annotations

from typing import Any, ClassVar

from ..formulas import keras_conv_pad_before, pool_output_length
from .base import Layer, Shape, Window, channels, choice, data_format_is_last, dim_tuple, flag, require_rank, spatial


class _Pooling(Layer, register=False):
    """``pool_size``, ``strides`` (default: the pool size), ``padding``; nothing to learn."""

    rank: ClassVar[int] = 2

    def __init__(
        self,
        pool_size: Any = 2,
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        **base: Any,
    ) -> None:
        super().__init__(**base)
        self.pool_size = dim_tuple(pool_size, self.rank, "pool_size")
        self.strides = self.pool_size if strides is None else dim_tuple(strides, self.rank, "strides")
        self.padding = choice(padding, "padding", ("valid", "same"))
        self.channels_last = data_format_is_last(data_format or "channels_last")

    def hyperparameters(self) -> dict[str, Any]:
        return {"pool_size": self.pool_size, "strides": self.strides, "padding": self.padding}

    def window(self, inputs: list[Shape]) -> Window | None:
        shape = self._one_input(inputs)
        require_rank(self, shape, self.rank + 2)
        sizes = spatial(shape, self.channels_last)
        pads = tuple(keras_conv_pad_before(n, k, s, 1, self.padding) for n, k, s in zip(sizes, self.pool_size, self.strides))
        return Window(self.pool_size, self.strides, (1,) * self.rank, pads)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        require_rank(self, shape, self.rank + 2)
        lengths = [
            pool_output_length(n, k, s, self.padding)
            for n, k, s in zip(spatial(shape, self.channels_last), self.pool_size, self.strides)
        ]
        c = channels(shape, self.channels_last)
        return (shape[0], *lengths, c) if self.channels_last else (shape[0], c, *lengths)


class MaxPooling1D(_Pooling):
    rank = 1
    aliases = ("MaxPool1D",)


class MaxPooling2D(_Pooling):
    rank = 2
    aliases = ("MaxPool2D",)


class MaxPooling3D(_Pooling):
    rank = 3
    aliases = ("MaxPool3D",)


class AveragePooling1D(_Pooling):
    rank = 1
    aliases = ("AvgPool1D",)


class AveragePooling2D(_Pooling):
    rank = 2
    aliases = ("AvgPool2D",)


class AveragePooling3D(_Pooling):
    rank = 3
    aliases = ("AvgPool3D",)


class _GlobalPooling(Layer, register=False):
    """Reduces every spatial axis; ``keepdims`` keeps them as size 1.

    Every output reads every position, so no window applies (``window`` is None).
    """

    rank: ClassVar[int] = 2

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **base: Any) -> None:
        super().__init__(**base)
        self.channels_last = data_format_is_last(data_format or "channels_last")
        self.keepdims = flag(keepdims, "keepdims")

    def hyperparameters(self) -> dict[str, Any]:
        return {"keepdims": self.keepdims} if self.keepdims else {}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        require_rank(self, shape, self.rank + 2)
        c = channels(shape, self.channels_last)
        if not self.keepdims:
            return (shape[0], c)
        ones = (1,) * self.rank
        return (shape[0], *ones, c) if self.channels_last else (shape[0], c, *ones)


class GlobalAveragePooling1D(_GlobalPooling):
    rank = 1
    aliases = ("GlobalAvgPool1D",)


class GlobalAveragePooling2D(_GlobalPooling):
    rank = 2
    aliases = ("GlobalAvgPool2D",)


class GlobalAveragePooling3D(_GlobalPooling):
    rank = 3
    aliases = ("GlobalAvgPool3D",)


class GlobalMaxPooling1D(_GlobalPooling):
    rank = 1
    aliases = ("GlobalMaxPool1D",)


class GlobalMaxPooling2D(_GlobalPooling):
    rank = 2
    aliases = ("GlobalMaxPool2D",)


class GlobalMaxPooling3D(_GlobalPooling):
    rank = 3
    aliases = ("GlobalMaxPool3D",)
