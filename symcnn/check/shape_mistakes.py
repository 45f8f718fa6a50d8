"""Mistakes in a layer's output shape: each yields (the wrong shape, a message, the mistake's name).

A wrong shape is carried forward to the layers downstream (see ``alternatives``), so a Dense
fed a Flatten of the wrong size is explained where the size went wrong.
"""

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

ShapeAlt = tuple[Shape, str, str]


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


def _hyper(layer: Layer, rank: int) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    strides = getattr(layer, "strides", None) or getattr(layer, "stride", None) or (1,) * rank
    dil = getattr(layer, "dilation_rate", None) or getattr(layer, "dilation", None) or (1,) * rank
    return tuple(strides), tuple(dil)


def _windows(layer: Layer, ins: list[Shape], out: Shape) -> list[_Window] | None:
    """The sliding windows of a convolution or pooling layer, or None if it has none we model."""
    ks = getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", None)
    if not ks or len(ins) != 1 or "Transpose" in layer.class_name or getattr(layer, "ceil_mode", False):
        return None
    rank = len(ks)
    strides, dil = _hyper(layer, rank)
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


_WindowMistake = Callable[[Layer, Shape, list[_Window], str], Iterator[ShapeAlt]]


def _on_windows(compute: _WindowMistake) -> Callable[[Layer, list[Shape], Shape], Iterator[ShapeAlt]]:
    """Run a window mistake with the layer's sliding windows and the right size of the first, worked out."""

    @wraps(compute)
    def run(layer: Layer, ins: list[Shape], out: Shape) -> Iterator[ShapeAlt]:
        wins = _windows(layer, ins, out)
        if wins:
            yield from compute(layer, out, wins, f"{wins[0].text()} = {_fmt(wins[0].length())}")

    return run


@_on_windows
def _window_mistakes(layer: Layer, out: Shape, wins: list[_Window], right: str) -> Iterator[ShapeAlt]:
    w0 = wins[0]

    def shape(**kw: Any) -> Shape:
        return _with_spatial(layer, out, [w.length(**kw) for w in wins])

    if any(w.pads[0] != 0 or w.pads[1] != 0 for w in wins):
        for side in (0, 1):
            once = [(w.pads[side] if side == 0 else w.pads[1], 0) for w in wins]
            if side == 1 and all(w.pads[0] == w.pads[1] for w in wins):
                break
            if all(p == (0, 0) for p in once):
                continue  # the side without padding: the same as leaving the padding out
            alt = _with_spatial(layer, out, [w.length(pads=p) for w, p in zip(wins, once)])
            yield (
                alt,
                (
                    f"padding counted once instead of on both sides: {w0.text(pads=once[0])} = "
                    f"{_fmt(w0.length(pads=once[0]))}, but the padding is added before and after: {right}"
                ),
                "padding counted once",
            )
        yield (
            shape(pads=(0, 0)),
            f"padding left out: {w0.text(pads=(0, 0))} = {_fmt(w0.length(pads=(0, 0)))}; with it, {right}",
            "padding left out",
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
                "floor forgotten",
            )
            yield (
                shape(floor="up"),
                (
                    f"floor forgotten: {w0.text(floor=False)} = {_fmt(w0.length(floor='none'))} "
                    f"rounded up to {_fmt(w0.length(floor='up'))}; round down: {right}"
                ),
                "floor forgotten",
            )
        yield (
            shape(s=1),
            f"stride forgotten: {w0.text(s=1)} = {_fmt(w0.length(s=1))}; with stride {_fmt(w0.s)}, {right}",
            "stride forgotten",
        )
    if "Pool" in layer.class_name and any(w.s != w.k for w in wins):
        yield (
            _with_spatial(layer, out, [w.length(s=w.k) for w in wins]),
            (
                f"stride taken as the pool size: a pooling layer's stride is its pool size only by default; "
                f"here it is {_fmt(w0.s)}: {right}"
            ),
            "stride taken as the pool size",
        )
    if any(w.d != 1 for w in wins):
        yield (
            shape(d=1),
            (
                f"dilation forgotten: {w0.text(d=1)} = {_fmt(w0.length(d=1))}; a dilated kernel spans "
                f"d×(k − 1) + 1 = {_fmt(simplify_int(w0.d * (w0.k - 1) + 1))}: {right}"
            ),
            "dilation forgotten",
        )


def _ceil_text(w: _Window) -> str:
    return f"⌈{_fmt(w.n)}/{_fmt(w.s)}⌉ = {_fmt(w.length())}"


@_on_windows
def _same_mistakes(layer: Layer, out: Shape, wins: list[_Window], right: str) -> Iterator[ShapeAlt]:
    """Keras 'same' padding: the size kept with a stride, ⌈n/s⌉ rounded down or not at all, even kernels padded evenly."""
    if getattr(layer, "padding", None) != "same" or callable(getattr(layer, "pads", None)):
        return
    w0 = wins[0]
    if any(w.s != 1 for w in wins):
        yield (
            _with_spatial(layer, out, [w.n for w in wins]),
            (
                f"'same' padding taken to keep the size, but it does so only with stride 1: with stride "
                f"{_fmt(w0.s)} the output is ⌈n/s⌉: {_ceil_text(w0)}, not {_fmt(w0.n)}"
            ),
            "'same' size kept with stride",
        )
        yield (
            _with_spatial(layer, out, [simplify_int(sympy.floor(_expr(w.n) / w.s)) for w in wins]),
            (
                f"'same' size rounded down: 'same' padding gives ⌈n/s⌉, rounded up: {_ceil_text(w0)}, "
                f"not ⌊{_fmt(w0.n)}/{_fmt(w0.s)}⌋ = {_fmt(simplify_int(sympy.floor(_expr(w0.n) / w0.s)))}"
            ),
            "'same' rounded down",
        )
        exact = [simplify_int(_expr(w.n) / w.s) for w in wins]
        if not all(is_number(x) for x in exact):
            yield (
                _with_spatial(layer, out, exact),
                f"'same' size not rounded: {_fmt(w0.n)}/{_fmt(w0.s)} = {_fmt(exact[0])}; round up: {_ceil_text(w0)}",
                "'same' rounded down",
            )
    for label, half in (("k/2", lambda k: sympy.floor(_expr(k) / 2)), ("(k − 1)/2", lambda k: sympy.floor((_expr(k) - 1) / 2))):
        pads = [(simplify_int(half(w.k)), simplify_int(half(w.k))) for w in wins]
        if all(p == w.pads for p, w in zip(pads, wins)):
            continue
        alt = _with_spatial(layer, out, [w.length(pads=p) for w, p in zip(wins, pads)])
        if alt == out:
            continue
        total = simplify_int(w0.pads[0] + w0.pads[1])
        yield (
            alt,
            (
                f"'same' padding taken as {label} = {_fmt(pads[0][0])} on each side: {w0.text(pads=pads[0])} = "
                f"{_fmt(w0.length(pads=pads[0]))}; Keras pads {_fmt(total)} in all ({_fmt(w0.pads[0])} before, "
                f"{_fmt(w0.pads[1])} after), so that the output is ⌈n/s⌉: {_ceil_text(w0)}"
            ),
            "'same' padding taken as symmetric",
        )


@_on_windows
def _window_slips(layer: Layer, out: Shape, wins: list[_Window], right: str) -> Iterator[ShapeAlt]:
    w0 = wins[0]
    if getattr(layer, "padding", None) == "valid" and any(w.k != 1 for w in wins):
        kept = _with_spatial(layer, out, [simplify_int(-sympy.floor(-_expr(w.n) / w.s)) for w in wins])
        yield (
            kept,
            f"size kept as if the padding were 'same'; with no padding ('valid') the window must fit: {right}",
            "size kept with 'valid' padding",
        )
    if all(w.s == 1 for w in wins):
        no_plus = _with_spatial(layer, out, [simplify_int(w.length() - 1) for w in wins])
        yield (
            no_plus,
            f"the +1 left out: the window fits in {right} positions, not {_fmt(simplify_int(w0.length() - 1))}",
            "+1 left out",
        )


def _transposed(layer: Layer, ins: list[Shape], out: Shape) -> Iterator[ShapeAlt]:
    """Transposed convolutions: n·s, the forward formula, the padding or output_padding left out."""
    if "Transpose" not in layer.class_name or len(ins) != 1:
        return
    ks = tuple(layer.kernel_size)  # type: ignore[attr-defined]
    rank = len(ks)
    strides, dil = _hyper(layer, rank)
    sizes = spatial(ins[0], layer.channels_last)
    actual = spatial(out, layer.channels_last)
    if len(sizes) != rank or any(n is None for n in sizes):
        return
    padding = getattr(layer, "padding", "valid")
    if isinstance(padding, tuple):  # PyTorch: (n − 1)·s − 2p + d·(k − 1) + output_padding + 1
        pads = list(padding)
        ops = list(getattr(layer, "output_padding", None) or (0,) * rank)
        right = "(n − 1)×s − 2p + d×(k − 1) + output_padding + 1"
    else:  # Keras (deconv_output_length): 'valid' n·s + max(k − s, 0), 'same' n·s
        pads = [simplify_int((_span(k, d) - s) / 2) if padding == "same" else 0 for k, s, d in zip(ks, strides, dil)]
        ops = [0] * rank
        right = "n×s + max(k − s, 0)" if padding == "valid" else "n×s ('same')"
        if getattr(layer, "output_padding", None) is not None:
            return
    n, s, k = _expr(sizes[0]), strides[0], ks[0]
    worked = f"{right} = {_fmt(actual[0])}"

    def lengths(rule: Callable[[Any, Any, Any, Any, Any, Any], Any]) -> Shape:
        return _with_spatial(
            layer, out, [simplify_int(rule(_expr(n_), k_, s_, d_, p_, o_)) for n_, k_, s_, d_, p_, o_ in zip(sizes, ks, strides, dil, pads, ops)]
        )

    yield (
        lengths(lambda n_, k_, s_, d_, p_, o_: n_ * s_),
        f"transposed size taken as n×s = {_fmt(simplify_int(n * s))}: a transposed convolution gives {worked}",
        "transposed size taken as n·s",
    )
    if padding == "same":  # Keras's forward 'same' rule: ⌈n/s⌉
        forward, rule = (lambda n_, k_, s_, d_, p_, o_: -sympy.floor(-n_ / s_)), "⌈n/s⌉"
    else:
        forward, rule = (lambda n_, k_, s_, d_, p_, o_: sympy.floor((n_ + 2 * p_ - _span(k_, d_)) / s_) + 1), "⌊(n + 2p − k)/s⌋ + 1"
    yield (
        lengths(forward),
        (
            f"the forward formula used: {rule} = {_fmt(simplify_int(forward(n, k, s, dil[0], pads[0], ops[0])))} is a "
            f"convolution's output; a transposed convolution enlarges its input: {worked}"
        ),
        "forward formula used for a transposed convolution",
    )
    if padding == "same":  # Keras: the 'valid' rule
        yield (
            lengths(lambda n_, k_, s_, d_, p_, o_: n_ * s_ + sympy.Max(_span(k_, d_) - s_, 0)),
            (
                f"'same' padding left out: n×s + max(k − s, 0) = "
                f"{_fmt(simplify_int(n * s + sympy.Max(_span(k, dil[0]) - s, 0)))} is the 'valid' rule; {worked}"
            ),
            "padding left out",
        )
    else:
        yield (
            lengths(lambda n_, k_, s_, d_, p_, o_: n_ * s_ + _span(k_, d_) - 2 * p_ + o_),
            (
                f"(n − 1) taken as n: the first input position adds a whole kernel and each further one s, so "
                f"(n − 1)×s, not n×s: {_fmt(simplify_int(n * s + _span(k, dil[0]) - 2 * pads[0] + ops[0]))}; "
                f"a transposed convolution gives {worked}"
            ),
            "(n − 1) taken as n",
        )
    if isinstance(padding, tuple) and any(p != 0 for p in pads):
        yield (
            lengths(lambda n_, k_, s_, d_, p_, o_: (n_ - 1) * s_ + _span(k_, d_) + o_),
            f"padding left out: a transposed convolution's padding removes 2p = {_fmt(2 * pads[0])}: {worked}",
            "padding left out",
        )
        yield (
            lengths(lambda n_, k_, s_, d_, p_, o_: (n_ - 1) * s_ - p_ + _span(k_, d_) + o_),
            f"padding counted once: it is removed on both sides (2p = {_fmt(2 * pads[0])}): {worked}",
            "padding counted once",
        )
        yield (
            lengths(lambda n_, k_, s_, d_, p_, o_: (n_ - 1) * s_ + 2 * p_ + _span(k_, d_) + o_),
            f"padding added instead of removed: a transposed convolution's padding takes 2p = {_fmt(2 * pads[0])} away: {worked}",
            "transposed padding added",
        )
    if any(o != 0 for o in ops):
        yield (
            lengths(lambda n_, k_, s_, d_, p_, o_: (n_ - 1) * s_ - 2 * p_ + _span(k_, d_)),
            f"output_padding left out: it adds {_fmt(ops[0])} to one side: {worked}",
            "output_padding left out",
        )


def _span(k: Any, d: Any) -> Any:
    return simplify_int(d * (k - 1) + 1)


def _merge_mistakes(layer: Layer, ins: list[Shape], out: Shape) -> Iterator[ShapeAlt]:
    """Concatenate taken as a sum (the channels not added up), or Add taken as a concatenation."""
    if len(ins) < 2 or any(len(s) != len(out) for s in ins):
        return
    if layer.class_name == "Concatenate":
        axis = layer.axis % len(out)  # type: ignore[attr-defined]
        sizes = " + ".join(_fmt(s[axis]) for s in ins)
        yield (
            tuple(ins[0][axis] if i == axis else d for i, d in enumerate(out)),
            (
                f"Concatenate taken as Add: it joins its inputs along axis {axis}, so the sizes there add up: "
                f"{sizes} = {_fmt(out[axis])}: {_fmt(out)}"
            ),
            "Concatenate taken as Add",
        )
    elif layer.class_name in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"):
        yield (
            (*out[:-1], simplify_int(sum((s[-1] for s in ins), start=0))),
            (
                f"{layer.class_name} taken as a concatenation: it combines its inputs value by value, so the "
                f"shape stays {_fmt(out)}"
            ),
            "Add taken as Concatenate",
        )


def _depth_multiplier_shape(layer: Layer, ins: list[Shape], out: Shape) -> Iterator[ShapeAlt]:
    """A depthwise convolution's depth_multiplier forgotten: C output channels instead of C·m."""
    m = getattr(layer, "depth_multiplier", 1)
    if m == 1 or "Separable" in layer.class_name:
        return
    axis = len(out) - 1 if layer.channels_last else 1
    c_in = _in_channels(layer, ins)
    yield (
        tuple(c_in if i == axis else d for i, d in enumerate(out)),
        (
            f"depth_multiplier forgotten: with depth_multiplier={_fmt(m)} each of the {_fmt(c_in)} input channels gives "
            f"{_fmt(m)} output channels: {_fmt(c_in)}×{_fmt(m)} = {_fmt(out[axis])}"
        ),
        "depth_multiplier forgotten",
    )


def _channels_swapped_shape(layer: Layer, ins: list[Shape], out: Shape) -> Iterator[ShapeAlt]:
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
        "input and output channels swapped",
    )


def _flatten_mistakes(layer: Layer, ins: list[Shape], out: Shape) -> Iterator[ShapeAlt]:
    if "Flatten" not in layer.class_name or len(ins) != 1 or len(ins[0]) < 3 or len(out) != 2:
        return
    shape = ins[0]
    last = getattr(layer, "channels_last", True)
    kept = shape[1:-1] if last else shape[2:]
    c = shape[-1] if last else shape[1]
    yield (
        (out[0], prod(kept)),
        (
            f"channels left out of the flattened size: {_times(kept)} = {_fmt(prod(kept))}, "
            f"but Flatten multiplies every axis: {_times(shape[1:])} = {_fmt(out[1])}"
        ),
        "channels left out of Flatten",
    )
    yield (
        (out[0], c),
        (
            f"Flatten taken as global pooling: Flatten keeps every value, {_times(shape[1:])} = {_fmt(out[1])}, "
            f"not one per channel ({_fmt(c)})"
        ),
        "Flatten taken as global pooling",
    )


def _global_pool_as_flatten(layer: Layer, ins: list[Shape], out: Shape) -> Iterator[ShapeAlt]:
    """Global pooling taken as Flatten: every value kept instead of one per channel."""
    if "Global" not in layer.class_name or len(ins) != 1 or len(ins[0]) < 3:
        return
    shape = ins[0]
    last = getattr(layer, "channels_last", True)
    positions = shape[1:-1] if last else shape[2:]
    how = "averages" if "Average" in layer.class_name else "takes the maximum of"
    yield (
        (out[0], prod(shape[1:])),
        (
            f"global pooling taken as Flatten: {layer.class_name} {how} each channel over its {_times(positions)} "
            f"positions, one value per channel: {_fmt(out)}, not {_times(shape[1:])} = {_fmt(prod(shape[1:]))}"
        ),
        "global pooling taken as Flatten",
    )


def _dense_axes(layer: Layer, ins: list[Shape], out: Shape) -> Iterator[ShapeAlt]:
    """Dense (or Linear) on (N, T, I): the other axes dropped from its output."""
    if hasattr(layer, "kernel_size") or not (hasattr(layer, "units") or hasattr(layer, "out_features")):
        return
    if hasattr(layer, "gates") or len(ins) != 1 or len(ins[0]) < 3 or len(out) < 3:
        return
    yield (
        (out[0], out[-1]),
        (
            f"sequence axis dropped: {layer.class_name} acts on the last axis only and keeps the others: "
            f"{_fmt(out)}, not {_fmt((out[0], out[-1]))}"
        ),
        "sequence axis dropped by Dense",
    )


def _layer_left_out(layer: Layer, ins: list[Shape], out: Shape) -> Iterator[ShapeAlt]:
    if len(ins) == 1 and tuple(ins[0]) != tuple(out):
        yield (
            tuple(ins[0]),
            f"{layer.class_name} left out: its input shape {_fmt(tuple(ins[0]))} taken as its output {_fmt(tuple(out))}",
            "layer left out",
        )
