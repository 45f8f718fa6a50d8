"""Mistakes in a layer's output shape: each yields (the wrong shape, a message)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import Any

import sympy

from ..formulas import conv_output_length, is_number, prod, same_padding, simplify_int
from ..layers.base import Layer, Shape, spatial
from .compare import _expr
from .fmt import _fmt, _times
from .weight_mistakes import _has_kernel_and_bias, _in_channels, _unit


@dataclass
class _Window:
    """One spatial axis of a sliding window: size n, kernel k, stride s, dilation d, pads (before, after)."""

    n: Any
    k: Any
    s: Any
    d: Any
    pads: tuple[Any, Any]

    def length(self, *, pads: tuple[Any, Any] | None = None, s: Any = None, d: Any = None, floor: str = "floor") -> Any:
        p = self.pads if pads is None else pads
        s = self.s if s is None else s
        d = self.d if d is None else d
        span = _expr(self.n) + p[0] + p[1] - d * (self.k - 1) - 1
        if floor == "floor":
            return conv_output_length(self.n, self.k, s, d, p)
        if floor == "none":
            return simplify_int(span / s + 1)
        return simplify_int(-sympy.floor(-span / s) + 1)  # rounded up

    def text(self, *, pads: tuple[Any, Any] | None = None, s: Any = None, d: Any = None, floor: bool = True) -> str:
        p = self.pads if pads is None else pads
        s = self.s if s is None else s
        d = self.d if d is None else d
        total = simplify_int(p[0] + p[1])
        pad = (
            ""
            if total == 0
            else f" + {_fmt(total)}"
            if p[0] == 0 or p[1] == 0
            else f" + 2×{_fmt(p[0])}"
            if p[0] == p[1]
            else f" + {_fmt(p[0])} + {_fmt(p[1])}"
        )
        reach = self.k if d == 1 else simplify_int(d * (self.k - 1) + 1)
        inner = f"{_fmt(self.n)}{pad} − {_fmt(reach)}"
        if s == 1:
            return f"{inner} + 1"
        return f"⌊({inner})/{_fmt(s)}⌋ + 1" if floor else f"({inner})/{_fmt(s)} + 1"


def _windows(layer: Layer, ins: list[Shape], out: Shape) -> list[_Window] | None:
    """The sliding windows of a convolution or pooling layer, or None if it has none we model."""
    ks = getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", None)
    if not ks or len(ins) != 1 or "Transpose" in layer.class_name or getattr(layer, "ceil_mode", False):
        return None
    rank = len(ks)
    strides = getattr(layer, "strides", None) or getattr(layer, "stride", None) or (1,) * rank
    dil = getattr(layer, "dilation_rate", None) or getattr(layer, "dilation", None) or (1,) * rank
    sizes = spatial(ins[0], layer.channels_last)
    if len(sizes) != rank or any(n is None for n in sizes):
        return None
    padding = getattr(layer, "padding", "valid")
    pads_fn = getattr(layer, "pads", None)
    pads: list[tuple[Any, Any]]
    if callable(pads_fn):
        pads = list(pads_fn())
    elif padding == "valid":
        pads = [(0, 0)] * rank
    elif padding == "same":
        pads = [same_padding(n, k, s, d) for n, k, s, d in zip(sizes, ks, strides, dil)]
    elif padding == "causal":
        pads = [(simplify_int(d * (k - 1)), 0) for k, d in zip(ks, dil)]
    elif isinstance(padding, tuple) and len(padding) == rank:
        pads = [(p, p) for p in padding]
    else:
        return None
    wins = [_Window(n, k, s, d, (p[0], p[1])) for n, k, s, d, p in zip(sizes, ks, strides, dil, pads)]
    actual = spatial(out, layer.channels_last)
    for w, a in zip(wins, actual):  # our window model must reproduce the layer's own rule
        got = w.length()
        if is_number(got) and is_number(a) and got != a:
            return None
    return wins


def _with_spatial(layer: Layer, out: Shape, lengths: Sequence[Any]) -> Shape:
    if layer.channels_last:
        return (out[0], *lengths, out[-1])
    return (out[0], out[1], *lengths)


_WindowMistake = Callable[[Layer, Shape, list[_Window], str], Iterator[tuple[Any, str]]]


def _on_windows(compute: _WindowMistake) -> Callable[[Layer, list[Shape], Shape], Iterator[tuple[Any, str]]]:
    """Run a window mistake with the layer's sliding windows and the right size of the first, worked out."""

    @wraps(compute)
    def run(layer: Layer, ins: list[Shape], out: Shape) -> Iterator[tuple[Any, str]]:
        wins = _windows(layer, ins, out)
        if wins:
            yield from compute(layer, out, wins, f"{wins[0].text()} = {_fmt(wins[0].length())}")

    return run


@_on_windows
def _window_mistakes(layer: Layer, out: Shape, wins: list[_Window], right: str) -> Iterator[tuple[Any, str]]:
    w0 = wins[0]

    def shape(**kw: Any) -> Shape:
        return _with_spatial(layer, out, [w.length(**kw) for w in wins])

    if any(w.pads[0] != 0 or w.pads[1] != 0 for w in wins):
        for side in (0, 1):
            once = [(w.pads[side] if side == 0 else w.pads[1], 0) for w in wins]
            if side == 1 and all(w.pads[0] == w.pads[1] for w in wins):
                break
            alt = _with_spatial(layer, out, [w.length(pads=p) for w, p in zip(wins, once)])
            yield (
                alt,
                (
                    f"padding counted once instead of on both sides: {w0.text(pads=once[0])} = "
                    f"{_fmt(w0.length(pads=once[0]))}, but the padding is added before and after: {right}"
                ),
            )
        yield (
            shape(pads=(0, 0)),
            f"padding left out: {w0.text(pads=(0, 0))} = {_fmt(w0.length(pads=(0, 0)))}; with it, {right}",
        )
    if any(w.s != 1 for w in wins):
        exact = shape(floor="none")
        if any(not is_number(x) for x in spatial(exact, layer.channels_last)) or exact != out:
            yield (
                exact,
                (
                    f"floor forgotten: {w0.text(floor=False)} = {_fmt(w0.length(floor='none'))}, "
                    f"a fractional size; a window must fit whole, so round down: {right}"
                ),
            )
            yield (
                shape(floor="up"),
                (
                    f"floor forgotten: {w0.text(floor=False)} = {_fmt(w0.length(floor='none'))} "
                    f"rounded up to {_fmt(w0.length(floor='up'))}; round down: {right}"
                ),
            )
        yield (
            shape(s=1),
            f"stride forgotten: {w0.text(s=1)} = {_fmt(w0.length(s=1))}; with stride {_fmt(w0.s)}, {right}",
        )
    if any(w.d != 1 for w in wins):
        yield (
            shape(d=1),
            (
                f"dilation forgotten: {w0.text(d=1)} = {_fmt(w0.length(d=1))}; a dilated kernel spans "
                f"d×(k − 1) + 1 = {_fmt(simplify_int(w0.d * (w0.k - 1) + 1))}: {right}"
            ),
        )


@_on_windows
def _window_slips(layer: Layer, out: Shape, wins: list[_Window], right: str) -> Iterator[tuple[Any, str]]:
    w0 = wins[0]
    if getattr(layer, "padding", None) == "valid" and any(w.k != 1 for w in wins):
        kept = _with_spatial(layer, out, [simplify_int(-sympy.floor(-_expr(w.n) / w.s)) for w in wins])
        yield kept, f"size kept as if the padding were 'same'; with no padding ('valid') the window must fit: {right}"
    if all(w.s == 1 for w in wins):
        no_plus = _with_spatial(layer, out, [simplify_int(w.length() - 1) for w in wins])
        yield (
            no_plus,
            f"the +1 left out: the window fits in {right} positions, not {_fmt(simplify_int(w0.length() - 1))}",
        )


def _channels_swapped_shape(layer: Layer, ins: list[Shape], out: Shape) -> Iterator[tuple[Any, str]]:
    if (
        len(ins) != 1
        or len(out) != len(ins[0])
        or not _has_kernel_and_bias(layer)
        or any(w.name == "depthwise_kernel" for w in layer.weights(ins))
    ):
        return
    c_in = _in_channels(layer, ins)
    if hasattr(layer, "kernel_size"):
        axis = len(out) - 1 if layer.channels_last else 1
    else:
        axis = len(out) - 1
    if out[axis] is None or c_in is None:
        return
    alt = tuple(c_in if i == axis else d for i, d in enumerate(out))
    yield (
        alt,
        (
            f"input and output channels swapped: {layer.class_name} outputs one channel per "
            f"{_unit(layer)} ({_fmt(out[axis])}), not the {_fmt(c_in)} it takes in"
        ),
    )


def _flatten_channels(layer: Layer, ins: list[Shape], out: Shape) -> Iterator[tuple[Any, str]]:
    if "Flatten" not in layer.class_name or len(ins) != 1 or len(ins[0]) < 3 or len(out) != 2:
        return
    shape = ins[0]
    kept = shape[1:-1] if getattr(layer, "channels_last", True) else shape[2:]
    yield (
        (out[0], prod(kept)),
        (
            f"channels left out of the flattened size: {_times(kept)} = {_fmt(prod(kept))}, "
            f"but Flatten multiplies every axis: {_times(shape[1:])} = {_fmt(out[1])}"
        ),
    )


def _layer_left_out(layer: Layer, ins: list[Shape], out: Shape) -> Iterator[tuple[Any, str]]:
    if len(ins) == 1 and tuple(ins[0]) != tuple(out):
        yield (
            tuple(ins[0]),
            f"{layer.class_name} left out: its input shape {_fmt(tuple(ins[0]))} taken as its output {_fmt(tuple(out))}",
        )
