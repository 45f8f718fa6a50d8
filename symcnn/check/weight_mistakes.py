"""Mistakes in counting a layer's weights: each yields (the wrong weights, a message, the mistake's name).

Every mistake is the wrong rule applied to the real layer: a kernel without its input
channels, a bias the layer does not have, a 1-D kernel squared... The weights it gives are
counted like the right ones, for parameters and for MACs.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import wraps
from typing import Any

from ..formulas import is_number, prod, simplify_int
from ..layers.base import Layer, Shape, Weight, channels
from .fmt import _fmt, _times

WeightAlt = tuple[list[Weight], str, str]  # (the wrong weights, the message, the mistake's name)


def _kernel(weights: Sequence[Weight]) -> Weight | None:
    return next((w for w in weights if w.kind == "param" and len(w.shape) >= 2 and "bias" not in w.name), None)


def _bias(weights: Sequence[Weight]) -> Weight | None:
    return next((w for w in weights if w.kind == "param" and w.name.endswith("bias")), None)


def _has_kernel_and_bias(layer: Layer) -> bool:
    return any(hasattr(layer, a) for a in ("kernel_size", "units", "out_features", "filters", "hidden_size"))


def _in_channels(layer: Layer, ins: list[Shape]) -> Any:
    shape = ins[0]
    return channels(shape, layer.channels_last) if hasattr(layer, "kernel_size") else shape[-1]


def _unit(layer: Layer) -> str:
    return "filter" if hasattr(layer, "kernel_size") else "output unit"


def _without(weights: list[Weight], drop: Weight) -> list[Weight]:
    return [w for w in weights if w is not drop]


def _bias_as(ws: list[Weight], bias: Weight, shape: tuple[Any, ...]) -> list[Weight]:
    """The weights with the bias counted in another shape."""
    return [*_without(ws, bias), Weight("bias", shape)]


def _total(ws: Iterable[Weight]) -> Any:
    """The number of values in some weights."""
    return simplify_int(sum((w.size for w in ws), start=0))


def _learned(ws: Iterable[Weight]) -> Any:
    """The number of learned parameters (not moving statistics) in some weights."""
    return _total(w for w in ws if w.kind == "param")


def _size_text(ws: Iterable[Weight]) -> str:
    return _fmt(_total(ws))


def _terms(ws: Iterable[Weight]) -> str:
    """The weights' sizes as a sum of products: 3×3×64×64 + 64."""
    return " + ".join(_times(w.shape) for w in ws if w.kind == "param") or "0"


_BiasMistake = Callable[[Layer, list[Shape], list[Weight], Weight, Weight], Iterator[WeightAlt]]


def _on_kernel_and_bias(compute: _BiasMistake) -> Callable[[Layer, list[Shape]], Iterator[WeightAlt]]:
    """Run a bias mistake with the layer's weights, kernel and bias; a layer without both has none."""

    @wraps(compute)
    def run(layer: Layer, ins: list[Shape]) -> Iterator[WeightAlt]:
        ws = layer.weights(ins)
        kernel, bias = _kernel(ws), _bias(ws)
        if kernel and bias:
            yield from compute(layer, ins, ws, kernel, bias)

    return run


@_on_kernel_and_bias
def _bias_left_out(layer: Layer, ins: list[Shape], ws: list[Weight], kernel: Weight, bias: Weight) -> Iterator[WeightAlt]:
    yield (
        _without(ws, bias),
        (
            f"bias left out: {_terms(_without(ws, bias))} counts the kernel only; "
            f"add one bias per {_unit(layer)} (+{_fmt(bias.size)})"
        ),
        "bias left out",
    )


@_on_kernel_and_bias
def _bias_per_weight(
    layer: Layer, ins: list[Shape], ws: list[Weight], kernel: Weight, bias: Weight
) -> Iterator[WeightAlt]:
    yield (
        _bias_as(ws, bias, kernel.shape),
        (
            f"bias counted per weight ({_fmt(kernel.size)} biases): there is one bias per "
            f"{_unit(layer)}, {_fmt(bias.size)} in all"
        ),
        "bias counted per weight",
    )
    c_in = _in_channels(layer, ins)
    yield (
        _bias_as(ws, bias, (c_in, bias.size)),
        (
            f"bias counted per input–output pair ({_times([c_in, bias.size])}): there is one bias per "
            f"{_unit(layer)}, {_fmt(bias.size)} in all"
        ),
        "bias counted per weight",
    )


@_on_kernel_and_bias
def _channels_swapped_weights(
    layer: Layer, ins: list[Shape], ws: list[Weight], kernel: Weight, bias: Weight
) -> Iterator[WeightAlt]:
    c_in = _in_channels(layer, ins)
    yield (
        _bias_as(ws, bias, (c_in,)),
        (
            f"input and output channels swapped: the bias has one value per {_unit(layer)} "
            f"({_fmt(bias.size)}), not per input channel ({_fmt(c_in)})"
        ),
        "input and output channels swapped",
    )


def _bias_off(layer: Layer) -> str | None:
    """The argument that turned the layer's bias off ("use_bias=False" or "bias=False"), or None."""
    for arg in ("use_bias", "bias"):
        if getattr(layer, arg, True) is False:
            return arg
    return None


def _bias_not_there(layer: Layer, ins: list[Shape]) -> Iterator[WeightAlt]:
    """A bias counted for a layer made without one."""
    arg = _bias_off(layer)
    if arg is None:
        return
    with_bias = copy.copy(layer)
    setattr(with_bias, arg, True)
    ws, alt = layer.weights(ins), with_bias.weights(ins)
    extra = [w for w in alt if w.name not in {x.name for x in ws}]
    if extra:
        yield (
            alt,
            (
                f"bias counted, but {layer.name or layer.class_name} has {arg}=False: it has no bias, only "
                f"{_terms(ws)} = {_size_text(ws)} (not + {_size_text(extra)})"
            ),
            "bias counted with use_bias=False",
        )


_INPUT_KERNELS = ("kernel", "weight", "depthwise_kernel")


def _input_kernels(ws: list[Weight]) -> list[Weight]:
    return [w for w in ws if w.kind == "param" and (w.name.split("/")[-1] in _INPUT_KERNELS or w.name.startswith("weight_ih"))]


def _drop_axis(w: Weight, size: Any) -> Weight | None:
    """The weight without one axis of the given size (the last such axis), or None."""
    for i in range(len(w.shape) - 1, -1, -1):
        if w.shape[i] == size:
            return Weight(w.name, (*w.shape[:i], *w.shape[i + 1 :]), w.kind, w.trainable)
    return None


def _per_group(layer: Layer, c_in: Any) -> Any:
    groups = getattr(layer, "groups", 1)
    return c_in if groups == 1 else simplify_int(c_in / groups) if is_number(c_in) and is_number(groups) else c_in


def _input_channels_left_out(layer: Layer, ins: list[Shape]) -> Iterator[WeightAlt]:
    """Each filter's kernel counted for one input channel: k·k·F + F instead of k·k·C·F + F."""
    if not ins or len(ins[0]) < 2:
        return
    ws = layer.weights(ins)
    c_in = _per_group(layer, _in_channels(layer, ins))
    if c_in is None or c_in == 1:
        return
    targets = _input_kernels(ws)
    alt, changed = [], []
    for w in ws:
        dropped = _drop_axis(w, c_in) if w in targets else None
        alt.append(dropped or w)
        if dropped is not None:
            changed.append((w, dropped))
    if not changed:
        return
    what = "input features" if not hasattr(layer, "kernel_size") else "input channels"
    w, d = changed[0]
    if w.name == "depthwise_kernel":
        why = f"the depthwise kernel has a {_times(d.shape)} slice for each of the {_fmt(c_in)} input channels"
    else:
        per = "unit" if what == "input features" else "filter"
        why = f"each {per} has weights for every one of the {_fmt(c_in)} {what}"
    yield (
        alt,
        (
            f"{what} left out of the kernel: {why}, so {w.name} is {_times(w.shape)}, not {_times(d.shape)}: "
            f"{_terms(ws)} = {_size_text(ws)}"
        ),
        "input channels left out",
    )


def _one_filter(layer: Layer, ins: list[Shape]) -> Iterator[WeightAlt]:
    """The weights of one filter (or one unit) only: k·k·C + 1 instead of (k·k·C + 1)·F."""
    ws = layer.weights(ins)
    kernel, bias = _kernel(ws), _bias(ws)
    if kernel is None or not hasattr(layer, "kernel_size") and not hasattr(layer, "units") and not hasattr(layer, "out_features"):
        return
    f = bias.size if bias is not None else (getattr(layer, "filters", None) or getattr(layer, "units", None))
    one = _drop_axis(kernel, f) if f not in (None, 1) else None
    if one is None or len(ws) > 2:
        return
    unit = _unit(layer)
    for with_bias in ((True, False) if bias is not None else (False,)):
        alt = [one, *([Weight("bias", (1,))] if with_bias else [])]
        plus = " + 1" if with_bias else ""
        yield (
            alt,
            (
                f"one {unit} only: {_times(one.shape)}{plus} = {_size_text(alt)} counts a single {unit}; "
                f"there are {_fmt(f)}: ({_times(one.shape)}{plus})×{_fmt(f)}"
            ),
            "one filter only",
        )


def _find_run(shape: tuple[Any, ...], run: tuple[Any, ...]) -> int | None:
    for i in range(len(shape) - len(run) + 1):
        if tuple(shape[i : i + len(run)]) == tuple(run):
            return i
    return None


def _kernel_replaced(layer: Layer, ins: list[Shape], new: Callable[[tuple[Any, ...]], tuple[Any, ...]]) -> list[Weight] | None:
    """The weights with each kernel's window axes replaced by ``new(kernel_size)``; None if none changed."""
    ks = tuple(getattr(layer, "kernel_size", ()))
    out, changed = [], False
    for w in layer.weights(ins):
        i = _find_run(w.shape, ks) if w.kind == "param" and ks else None
        if i is None or "pointwise" in w.name:
            out.append(w)
        else:
            out.append(Weight(w.name, (*w.shape[:i], *new(ks), *w.shape[i + len(ks) :]), w.kind, w.trainable))
            changed = True
    return out if changed else None


def _kernel_area_as_k(layer: Layer, ins: list[Shape]) -> Iterator[WeightAlt]:
    ks = tuple(getattr(layer, "kernel_size", ()))
    if len(ks) < 2:
        return
    out = _kernel_replaced(layer, ins, lambda k: (k[0],))
    if out is not None:
        area = _times(ks)
        square = "K²" if len(ks) == 2 else f"K^{len(ks)}"
        yield (
            out,
            (
                f"kernel area taken as K ({_fmt(ks[0])}) instead of {square} ({area} = {_fmt(prod(ks))}): "
                f"{_terms(out)} = {{value}}"
            ),
            "kernel area taken as K",
        )


def _kernel_squared(layer: Layer, ins: list[Shape]) -> Iterator[WeightAlt]:
    """A 1-D kernel counted as a square: k×k×C×F for a Conv1D."""
    ks = tuple(getattr(layer, "kernel_size", ()))
    if len(ks) != 1 or ks[0] == 1:
        return
    out = _kernel_replaced(layer, ins, lambda k: (k[0], k[0]))
    if out is not None:
        yield (
            out,
            (
                f"a 1-D kernel squared: {layer.class_name}'s kernel is {_fmt(ks[0])} long, not "
                f"{_fmt(ks[0])}×{_fmt(ks[0])}: {_terms(layer.weights(ins))} = {_size_text(layer.weights(ins))}"
            ),
            "1-D kernel squared",
        )


def _dilation_as_weights(layer: Layer, ins: list[Shape]) -> Iterator[WeightAlt]:
    """The dilated span counted as weights: (d·(k − 1) + 1)² per channel and filter."""
    dil = tuple(getattr(layer, "dilation_rate", None) or getattr(layer, "dilation", None) or ())
    if not dil or all(d == 1 for d in dil):
        return
    out = _kernel_replaced(layer, ins, lambda ks: tuple(simplify_int(d * (k - 1) + 1) for k, d in zip(ks, dil)))
    if out is not None:
        ks = tuple(layer.kernel_size)  # type: ignore[attr-defined]
        span = tuple(simplify_int(d * (k - 1) + 1) for k, d in zip(ks, dil))
        yield (
            out,
            (
                f"dilation counted as extra weights: dilation {_fmt(dil[0])} spreads the {_times(ks)} kernel over "
                f"{_times(span)}, but the gaps hold no weights: {_terms(layer.weights(ins))} = "
                f"{_size_text(layer.weights(ins))}"
            ),
            "dilation counted as extra weights",
        )


def _full_conv(layer: Layer, ins: list[Shape]) -> Iterator[WeightAlt]:
    ws = layer.weights(ins)
    names = {w.name for w in ws}
    ks = tuple(getattr(layer, "kernel_size", ()))
    c_in = _in_channels(layer, ins) if ks else None
    bias = _bias(ws)
    extra = [bias] if bias else []
    name = "counted as a full convolution"
    if "depthwise_kernel" in names and "pointwise_kernel" not in names:
        m = layer.depth_multiplier  # type: ignore[attr-defined]
        c_out = prod([c_in, m])
        yield (
            [Weight("kernel", (*ks, c_in, c_out)), *extra],
            (
                f"depthwise convolution counted as a full one: each of its {_fmt(c_out)} filters sees one input channel, "
                f"so the kernel is {_times([*ks, c_in, m])}, not {_times([*ks, c_in, c_out])}"
            ),
            name,
        )
    elif "pointwise_kernel" in names:
        f = layer.filters  # type: ignore[attr-defined]
        yield (
            [Weight("kernel", (*ks, c_in, f)), *extra],
            (
                f"separable convolution counted as a full one: it is a depthwise {_times([*ks, c_in])} kernel "
                f"then a 1×1 pointwise one, not a {_times([*ks, c_in, f])} kernel"
            ),
            name,
        )
    elif getattr(layer, "groups", 1) != 1:
        g = layer.groups  # type: ignore[attr-defined]
        kernel = _kernel(ws)
        if kernel is not None:
            yield (
                [Weight("kernel", (kernel.size, g)), *extra],
                (
                    f"grouped convolution counted as a full one: with groups={_fmt(g)} each filter sees "
                    f"{_fmt(c_in)}/{_fmt(g)} input channels, not all {_fmt(c_in)}"
                ),
                name,
            )


def _depthwise_bias(layer: Layer, ins: list[Shape]) -> Iterator[WeightAlt]:
    """A separable convolution given a bias after its depthwise step too."""
    ws = layer.weights(ins)
    depthwise = next((w for w in ws if w.name == "depthwise_kernel"), None)
    bias = _bias(ws)
    if depthwise is None or bias is None or not any(w.name == "pointwise_kernel" for w in ws):
        return
    c_mid = prod(depthwise.shape[-2:])
    yield (
        [*ws, Weight("depthwise_bias", (c_mid,))],
        (
            f"a bias counted for the depthwise step (+{_fmt(c_mid)}): {layer.class_name} has one bias, after the "
            f"pointwise step ({_fmt(bias.size)}): {_terms(ws)} = {_size_text(ws)}"
        ),
        "bias on the depthwise step",
    )


def _depth_multiplier_weights(layer: Layer, ins: list[Shape]) -> Iterator[WeightAlt]:
    """A depthwise (or separable) convolution counted with depth_multiplier 1."""
    m = getattr(layer, "depth_multiplier", 1)
    if m == 1:
        return
    one = copy.copy(layer)
    one.depth_multiplier = 1  # type: ignore[attr-defined]
    ws, alt = layer.weights(ins), one.weights(ins)
    yield (
        alt,
        (
            f"depth_multiplier forgotten: with depth_multiplier={_fmt(m)} each input channel has {_fmt(m)} filters: "
            f"{_terms(ws)} = {_size_text(ws)}"
        ),
        "depth_multiplier forgotten",
    )


def _dense_all_axes(layer: Layer, ins: list[Shape]) -> Iterator[WeightAlt]:
    """Dense on (N, T, I) counted with a (T·I, U) kernel: as if it flattened its input."""
    if hasattr(layer, "kernel_size") or not ins or len(ins[0]) < 3:
        return
    ws = layer.weights(ins)
    kernels = _input_kernels(ws)
    features = ins[0][-1]
    axes = tuple(ins[0][1:-1])
    if not kernels or any(a is None for a in axes):
        return
    k = kernels[0]
    i = next((j for j in range(len(k.shape)) if k.shape[j] == features), None)
    if i is None:
        return
    alt = [Weight(w.name, (*w.shape[:i], prod([*axes, features]), *w.shape[i + 1 :])) if w is k else w for w in ws]
    yield (
        alt,
        (
            f"{layer.class_name} counted over all axes: it acts on the last axis only ({_fmt(features)}), with the "
            f"same weights at each of the {_times(axes)} positions: {_terms(ws)} = {_size_text(ws)}, not "
            f"{_terms(alt)}"
        ),
        "Dense counted over all axes",
    )


def _stats_as_trainable(layer: Layer, ins: list[Shape]) -> Iterator[WeightAlt]:
    ws = layer.weights(ins)
    every = [w for w in ws if w.kind == "stat"]
    if layer.counts_stats:
        why = "they are updated during training, not learned: Keras counts them as non-trainable"
    else:
        why = "PyTorch keeps them as buffers, not parameters"
    # with and without a scalar counter such as num_batches_tracked, which students rarely count
    for stats in (every, [w for w in every if len(w.shape) > 0]):
        if not stats or (stats is not every and len(stats) == len(every)):
            continue
        names = ", ".join(w.name for w in stats)
        size = _size_text(stats)
        alt = [Weight(w.name, w.shape) if w in stats else w for w in ws if w.kind != "stat" or w in stats]
        yield (
            alt,
            f"batch-norm moving statistics ({names}: {size}) counted as trainable parameters; {why}",
            "moving statistics counted as trainable",
        )


def _stats_left_out(layer: Layer, ins: list[Shape]) -> Iterator[WeightAlt]:
    ws = layer.weights(ins)
    stats = [w for w in ws if w.kind == "stat"]
    if stats and layer.counts_stats:
        names = ", ".join(w.name for w in stats)
        size = _size_text(stats)
        yield (
            [w for w in ws if w.kind != "stat"],
            f"batch-norm moving statistics left out: Keras counts {names} ({size}) as non-trainable parameters",
            "moving statistics left out",
        )
