"""torch.nn layers that only reshape: Flatten, Unflatten, PixelShuffle, Upsample and the padding family."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

import sympy

from ...errors import ArgumentError, ShapeError
from ...formulas import Dim, conv_output_length, is_number, prod, same_padding, simplify_int
from ..base import Shape, Window, as_dim, dim_tuple, format_shape, real_number, require_rank
from .base import TorchLayer, _axis, _div, _int, _same


class PixelShuffle(TorchLayer):
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


class PixelUnshuffle(TorchLayer):
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


class Flatten(TorchLayer):
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
    if not _same(total, known):
        raise ShapeError(f"{who}: cannot reshape {total} values into {tuple(target)} ({known} values)")
    return tuple(target)


class Unflatten(TorchLayer):
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


class pad_same(TorchLayer):
    """timm's ``pad_same(x, kernel_size, stride, dilation)``: TensorFlow's 'SAME' padding, added before a conv or pool.

    Each of the last two axes grows by max((⌈n/s⌉ − 1)·s + (k − 1)·d + 1 − n, 0), so that the
    unpadded window that follows gives ⌈n/s⌉ positions.

    >>> pad_same(kernel_size=3, stride=2).output_shape([(1, 8, 9, 10)])
    (1, 8, 11, 11)
    """

    def __init__(self, kernel_size: Any = None, stride: Any = 1, dilation: Any = 1, **base: Any) -> None:
        super().__init__(**base)
        self.kernel_size = dim_tuple(kernel_size, 2, "kernel_size")
        self.stride = dim_tuple(stride, 2, "stride")
        self.dilation = dim_tuple(dilation, 2, "dilation")

    def hyperparameters(self) -> dict[str, Any]:
        return {"kernel_size": self.kernel_size, "stride": self.stride, "dilation": self.dilation}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        require_rank(self, shape, (3, 4))
        sides = [
            simplify_int(n + sum(same_padding(n, k, s, d)))
            for n, k, s, d in zip(shape[-2:], self.kernel_size, self.stride, self.dilation)
        ]
        return (*shape[:-2], *sides)


class Unfold(TorchLayer):
    """nn.Unfold / F.unfold (im2col): (N, C, H, W) → (N, C·kh·kw, L), L the number of window positions.

    >>> Unfold(kernel_size=3, padding=1, stride=2).output_shape([(1, 8, 9, 9)])
    (1, 72, 25)
    """

    def __init__(self, kernel_size: Any = None, dilation: Any = 1, padding: Any = 0, stride: Any = 1, **base: Any) -> None:
        super().__init__(**base)
        self.kernel_size = dim_tuple(kernel_size, 2, "kernel_size")
        self.dilation = dim_tuple(dilation, 2, "dilation")
        self.padding = dim_tuple(padding, 2, "padding", allow_zero=True)
        self.stride = dim_tuple(stride, 2, "stride")

    def hyperparameters(self) -> dict[str, Any]:
        return {"kernel_size": self.kernel_size, "dilation": self.dilation, "padding": self.padding, "stride": self.stride}

    def positions(self, sides: Sequence[Dim]) -> Dim:
        lengths = [
            conv_output_length(n, k, s, d, (p, p))
            for n, k, s, d, p in zip(sides, self.kernel_size, self.stride, self.dilation, self.padding)
        ]
        if any(is_number(n) and n < 1 for n in lengths):
            raise ShapeError(f"{self.class_name}: a {self.kernel_size} window does not fit {tuple(sides)}")
        return prod(lengths)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        require_rank(self, shape, (3, 4))
        *lead, c, h, w = shape
        return (*lead, simplify_int(c * prod(self.kernel_size)), self.positions((h, w)))


class Fold(Unfold):
    """nn.Fold / F.fold (col2im): (N, C·kh·kw, L) → (N, C, *output_size); L must be the number of window positions."""

    def __init__(self, output_size: Any = None, kernel_size: Any = None, **rest: Any) -> None:
        super().__init__(kernel_size=kernel_size, **rest)
        self.output_size = dim_tuple(output_size, 2, "output_size")

    def hyperparameters(self) -> dict[str, Any]:
        return {"output_size": self.output_size, **super().hyperparameters()}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        require_rank(self, shape, (2, 3))
        *lead, ck, positions = shape
        area = prod(self.kernel_size)
        if is_number(ck) and ck % area:
            raise ShapeError(f"Fold: {ck} values per position do not divide into {self.kernel_size} windows")
        if not _same(positions, self.positions(self.output_size)):
            raise ShapeError(f"Fold: {positions} positions, but {self.output_size} holds {self.positions(self.output_size)}")
        return (*lead, _div(ck, area), *self.output_size)


class Upsample(TorchLayer):
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
        self.align_corners = align_corners

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


    def window(self, inputs: list[Shape]) -> Window | None:
        """Whole scale factors: nearest copies each input f times; (bi)linear with half-pixel centres reads two
        inputs per output (a transposed window of 2f − f mod 2, padding ⌊f/2⌋). Otherwise None."""
        rank = len(self._one_input(inputs)) - 2
        factors = self.scale_factor or ()
        factors = factors * rank if len(factors) == 1 else factors
        if len(factors) != rank or not all(isinstance(f, int) for f in factors):
            return None
        ones = (1,) * rank
        if self.mode == "nearest":
            return Window(factors, factors, ones, (0,) * rank, transposed=True)
        if self.mode in ("linear", "bilinear", "trilinear") and not self.align_corners:
            kernels = tuple(2 * f - f % 2 for f in factors)
            return Window(kernels, factors, ones, tuple(f // 2 for f in factors), transposed=True)
        return None


class UpsamplingNearest2d(Upsample):
    def __init__(self, size: Any = None, scale_factor: Any = None, **base: Any) -> None:
        super().__init__(size=size, scale_factor=scale_factor, mode="nearest", **base)


class UpsamplingBilinear2d(Upsample):
    def __init__(self, size: Any = None, scale_factor: Any = None, **base: Any) -> None:  # torch: align_corners=True
        super().__init__(size=size, scale_factor=scale_factor, mode="bilinear", align_corners=True, **base)


def _sizes(value: Any, arg: str) -> tuple[Dim, ...]:
    items = value if isinstance(value, (list, tuple)) else [value]
    return tuple(as_dim(v, arg) for v in items)


def _scales(value: Any) -> tuple[Any, ...]:
    items = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for v in items:
        v = real_number(v, "scale_factor", low=0, low_open=True)
        if not isinstance(v, int):  # torch multiplies by a Python float, in double precision
            try:
                v = float(v)
            except OverflowError:
                raise ArgumentError(f"scale_factor {v} is too large for a float") from None
            v = int(v) if v.is_integer() and abs(v) < 2**53 else v
        out.append(v)
    return tuple(out)


def _scaled(n: Dim, scale: float) -> Dim:
    """⌊n · scale⌋ as torch computes it (in double precision for numbers)."""
    if isinstance(scale, int):
        return simplify_int(n * scale)
    if is_number(n):
        try:
            return math.floor(int(n) * scale)  # type: ignore[arg-type]
        except OverflowError:
            raise ShapeError(f"{n} × {scale} is too large for torch's double-precision arithmetic") from None
    return simplify_int(sympy.floor(n * sympy.Rational(scale)))


class _PadNd(TorchLayer, register=False):
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

    def window(self, inputs: list[Shape]) -> Window | None:
        # (left, right, top, bottom, front, back) runs from the last axis back; any mode's padding
        # counts as positions before the input, as zeros do.
        if len(self._one_input(inputs)) != self.rank + 2:
            return None
        ones = (1,) * self.rank
        return Window(ones, ones, ones, tuple(self.padding[2 * i] for i in reversed(range(self.rank))))


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


_PAD_MODULES = tuple(
    f"{kind}{rank}d"
    for rank in (1, 2, 3)
    for kind in ("ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad", "CircularPad")
)
for _cls in _PAD_MODULES:
    _rank = int(_cls[-2])
    globals()[_cls] = type(_cls, (_PadNd,), {"rank": _rank, "__doc__": f"torch.nn.{_cls}: pads the last {_rank} axes."})
