"""Keras reshaping layers: zero padding, cropping, up-sampling, permute, repeat. Nothing to learn.

Argument forms follow keras/src/layers/reshaping/*.py: ``padding``/``cropping``
is an int (every side), a tuple of one int per spatial axis (both sides of that
axis), or a tuple of (before, after) pairs. An unknown size (None) stays None.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..errors import ArgumentError, ShapeError
from ..formulas import Dim, is_number, prod, simplify_int
from .base import (
    Layer,
    Shape,
    Window,
    as_dim,
    choice,
    data_format_is_last,
    dim_tuple,
    format_shape,
    require_rank,
    spatial,
)

_ORDINALS = ("1st", "2nd", "3rd")


def side_pairs(value: Any, rank: int, arg: str) -> tuple[tuple[Dim, Dim], ...]:
    """Keras's padding/cropping forms as ``rank`` (before, after) pairs.

    >>> side_pairs(1, 2, "padding"), side_pairs((1, 2), 2, "padding"), side_pairs(((0, 1), (2, 3)), 2, "padding")
    (((1, 1), (1, 1)), ((1, 1), (2, 2)), ((0, 1), (2, 3)))
    """
    if rank == 1:
        return (dim_tuple(value, 2, arg, allow_zero=True),)  # type: ignore[return-value]
    if not isinstance(value, (list, tuple)):
        p = as_dim(value, arg, allow_zero=True)
        return ((p, p),) * rank
    if len(value) != rank:
        raise ArgumentError(f"{arg} must have {rank} entries, got {list(value)!r}")
    return tuple(
        dim_tuple(v, 2, f"{_ORDINALS[i]} entry of {arg}", allow_zero=True) for i, v in enumerate(value)  # type: ignore[misc]
    )


def _with_spatial(shape: Shape, sizes: list[Any], channels_last: bool) -> Shape:
    return (shape[0], *sizes, shape[-1]) if channels_last else (shape[0], shape[1], *sizes)


class _ZeroPadding(Layer, register=False):
    rank: ClassVar[int] = 2

    def __init__(self, padding: Any = 1, data_format: str | None = None, **base: Any) -> None:
        super().__init__(**base)
        self.padding = side_pairs(padding, self.rank, "padding")
        self.channels_last = data_format_is_last(data_format or "channels_last")

    def hyperparameters(self) -> dict[str, Any]:
        return {"padding": self.padding}

    def window(self, inputs: list[Shape]) -> Window | None:
        ones = (1,) * self.rank
        return Window(ones, ones, ones, tuple(before for before, _ in self.padding))

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        require_rank(self, shape, self.rank + 2)
        sizes = [
            None if n is None else simplify_int(n + a + b)
            for n, (a, b) in zip(spatial(shape, self.channels_last), self.padding)
        ]
        return _with_spatial(shape, sizes, self.channels_last)


class ZeroPadding1D(_ZeroPadding):
    rank = 1


class ZeroPadding2D(_ZeroPadding):
    rank = 2


class ZeroPadding3D(_ZeroPadding):
    rank = 3


class _Cropping(Layer, register=False):
    rank: ClassVar[int] = 2

    def __init__(self, cropping: Any = 1, data_format: str | None = None, **base: Any) -> None:
        super().__init__(**base)
        self.cropping = side_pairs(cropping, self.rank, "cropping")
        self.channels_last = data_format_is_last(data_format or "channels_last")

    def hyperparameters(self) -> dict[str, Any]:
        return {"cropping": self.cropping}

    def window(self, inputs: list[Shape]) -> Window | None:
        ones = (1,) * self.rank
        return Window(ones, ones, ones, tuple(simplify_int(-before) for before, _ in self.cropping))

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        require_rank(self, shape, self.rank + 2)
        sizes: list[Any] = []
        for n, (a, b) in zip(spatial(shape, self.channels_last), self.cropping):
            if n is None:
                sizes.append(None)
                continue
            m = simplify_int(n - a - b)
            if is_number(m) and m <= 0:
                raise ShapeError(
                    f"cropping {self.cropping} must be smaller than the input's spatial size, got input shape "
                    f"{format_shape(shape)}"
                )
            sizes.append(m)
        return _with_spatial(shape, sizes, self.channels_last)


class Cropping1D(_Cropping):
    rank = 1

    def __init__(self, cropping: Any = (1, 1), **base: Any) -> None:  # no data_format in Keras
        super().__init__(cropping, None, **base)


class Cropping2D(_Cropping):
    rank = 2

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: str | None = None, **base: Any) -> None:
        super().__init__(cropping, data_format, **base)


class Cropping3D(_Cropping):
    rank = 3


_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "area", "lanczos3", "lanczos5")


class _UpSampling(Layer, register=False):
    rank: ClassVar[int] = 2

    def __init__(self, size: Any = 2, data_format: str | None = None, interpolation: str = "nearest", **base: Any) -> None:
        super().__init__(**base)
        self.size = dim_tuple(size, self.rank, "size")
        self.channels_last = data_format_is_last(data_format or "channels_last")
        self.interpolation = choice(interpolation, "interpolation", _INTERPOLATIONS)

    def hyperparameters(self) -> dict[str, Any]:
        return {"size": self.size}

    def window(self, inputs: list[Shape]) -> Window | None:
        """Nearest: input i fills outputs i·f … i·f + f − 1. Bilinear (half-pixel centres): two inputs per
        output, as a transposed window of 2f − (f mod 2) with ⌊f/2⌋ padding. Other interpolations: None."""
        ones = (1,) * self.rank
        if self.interpolation == "nearest":
            return Window(self.size, self.size, ones, (0,) * self.rank, transposed=True)
        if self.interpolation == "bilinear" and all(is_number(f) for f in self.size):
            kernels = tuple(2 * int(f) - int(f) % 2 for f in self.size)
            return Window(kernels, self.size, ones, tuple(int(f) // 2 for f in self.size), transposed=True)
        return None

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        require_rank(self, shape, self.rank + 2)
        sizes = [None if n is None else prod([n, s]) for n, s in zip(spatial(shape, self.channels_last), self.size)]
        return _with_spatial(shape, sizes, self.channels_last)


class UpSampling1D(_UpSampling):
    rank = 1

    def __init__(self, size: Any = 2, **base: Any) -> None:  # Keras: an int, channels last
        if isinstance(size, (list, tuple)):
            raise ArgumentError(f"size must be an integer, got {size!r}")
        super().__init__(size, None, **base)


class UpSampling2D(_UpSampling):
    rank = 2


class UpSampling3D(_UpSampling):
    rank = 3

    def __init__(self, size: Any = 2, data_format: str | None = None, **base: Any) -> None:
        super().__init__(size, data_format, **base)


class Permute(Layer):
    """Reorders the non-batch axes: ``dims`` is a permutation of 1..k."""

    def __init__(self, dims: Any = None, **base: Any) -> None:
        super().__init__(**base)
        if not isinstance(dims, (list, tuple)) or any(isinstance(d, bool) or not isinstance(d, int) for d in dims):
            raise ArgumentError(f"dims must be a list of axis numbers, got {dims!r}")
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ArgumentError(f"dims must be a permutation of 1..{len(dims)}, got {list(dims)!r}")
        self.dims = tuple(dims)

    def hyperparameters(self) -> dict[str, Any]:
        return {"dims": self.dims}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        require_rank(self, shape, len(self.dims) + 1)
        return (shape[0], *(shape[d] for d in self.dims))


class RepeatVector(Layer):
    """(N, C) → (N, n, C)."""

    def __init__(self, n: Any = None, **base: Any) -> None:
        super().__init__(**base)
        self.n = as_dim(n, "n")

    def hyperparameters(self) -> dict[str, Any]:
        return {"n": self.n}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        require_rank(self, shape, 2)
        return (shape[0], self.n, shape[1])
