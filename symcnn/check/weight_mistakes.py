"""Mistakes in counting a layer's weights: each yields (the wrong weights, a message)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import wraps
from typing import Any

from ..formulas import is_number, prod, simplify_int
from ..layers.base import Layer, Shape, Weight, channels
from ..record import to_expr
from .fmt import _fmt, _times


def _kernel(weights: Sequence[Weight]) -> Weight | None:
    return next((w for w in weights if w.kind == "param" and len(w.shape) >= 2 and "bias" not in w.name), None)


def _bias(weights: Sequence[Weight]) -> Weight | None:
    return next((w for w in weights if w.kind == "param" and w.name.endswith("bias")), None)


def _has_kernel_and_bias(layer: Layer) -> bool:
    return any(hasattr(layer, a) for a in ("kernel_size", "units", "out_features", "filters"))


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


_BiasMistake = Callable[[Layer, list[Shape], list[Weight], Weight, Weight], Iterator[tuple[Any, str]]]


def _on_kernel_and_bias(compute: _BiasMistake) -> Callable[[Layer, list[Shape]], Iterator[tuple[Any, str]]]:
    """Run a bias mistake with the layer's weights, kernel and bias; a layer without both has none."""

    @wraps(compute)
    def run(layer: Layer, ins: list[Shape]) -> Iterator[tuple[Any, str]]:
        ws = layer.weights(ins)
        kernel, bias = _kernel(ws), _bias(ws)
        if kernel and bias:
            yield from compute(layer, ins, ws, kernel, bias)

    return run


@_on_kernel_and_bias
def _bias_left_out(
    layer: Layer, ins: list[Shape], ws: list[Weight], kernel: Weight, bias: Weight
) -> Iterator[tuple[Any, str]]:
    yield (
        _without(ws, bias),
        (
            f"bias left out: {_times(kernel.shape)} counts the kernel only; "
            f"add one bias per {_unit(layer)} (+{_fmt(bias.size)})"
        ),
    )


@_on_kernel_and_bias
def _bias_per_weight(
    layer: Layer, ins: list[Shape], ws: list[Weight], kernel: Weight, bias: Weight
) -> Iterator[tuple[Any, str]]:
    yield (
        _bias_as(ws, bias, kernel.shape),
        (
            f"bias counted per weight ({_fmt(kernel.size)} biases): there is one bias per "
            f"{_unit(layer)}, {_fmt(bias.size)} in all"
        ),
    )
    c_in = _in_channels(layer, ins)
    yield (
        _bias_as(ws, bias, (c_in, bias.size)),
        (
            f"bias counted per input–output pair ({_times([c_in, bias.size])}): there is one bias per "
            f"{_unit(layer)}, {_fmt(bias.size)} in all"
        ),
    )


@_on_kernel_and_bias
def _channels_swapped_weights(
    layer: Layer, ins: list[Shape], ws: list[Weight], kernel: Weight, bias: Weight
) -> Iterator[tuple[Any, str]]:
    c_in = _in_channels(layer, ins)
    yield (
        _bias_as(ws, bias, (c_in,)),
        (
            f"input and output channels swapped: the bias has one value per {_unit(layer)} "
            f"({_fmt(bias.size)}), not per input channel ({_fmt(c_in)})"
        ),
    )


def _find_run(shape: tuple[Any, ...], run: tuple[Any, ...]) -> int | None:
    for i in range(len(shape) - len(run) + 1):
        if tuple(shape[i : i + len(run)]) == tuple(run):
            return i
    return None


def _kernel_area_as_k(layer: Layer, ins: list[Shape]) -> Iterator[tuple[Any, str]]:
    ks = tuple(getattr(layer, "kernel_size", ()))
    if len(ks) < 2:
        return
    out, changed = [], False
    for w in layer.weights(ins):
        i = _find_run(w.shape, ks) if w.kind == "param" else None
        if i is None or "pointwise" in w.name:
            out.append(w)
        else:
            out.append(Weight(w.name, (*w.shape[:i], ks[0], *w.shape[i + len(ks) :]), w.kind, w.trainable))
            changed = True
    if changed:
        area = _times(ks)
        terms = " + ".join(_times(w.shape) for w in out if w.kind == "param")
        square = "K²" if len(ks) == 2 else f"K^{len(ks)}"
        yield (
            out,
            (
                f"kernel area taken as K ({_fmt(ks[0])}) instead of {square} ({area} = {_fmt(prod(ks))}): "
                f"{terms} = {{value}}"
            ),
        )


def _full_conv(layer: Layer, ins: list[Shape]) -> Iterator[tuple[Any, str]]:
    ws = layer.weights(ins)
    names = {w.name for w in ws}
    ks = tuple(getattr(layer, "kernel_size", ()))
    c_in = _in_channels(layer, ins) if ks else None
    bias = _bias(ws)
    extra = [bias] if bias else []
    if "depthwise_kernel" in names and "pointwise_kernel" not in names:
        m = layer.depth_multiplier  # type: ignore[attr-defined]
        c_out = prod([c_in, m])
        yield (
            [Weight("kernel", (*ks, c_in, c_out)), *extra],
            (
                f"depthwise convolution counted as a full one: each of its {_fmt(c_out)} filters sees one input channel, "
                f"so the kernel is {_times([*ks, c_in, m])}, not {_times([*ks, c_in, c_out])}"
            ),
        )
    elif "pointwise_kernel" in names:
        f = layer.filters  # type: ignore[attr-defined]
        yield (
            [Weight("kernel", (*ks, c_in, f)), *extra],
            (
                f"separable convolution counted as a full one: it is a depthwise {_times([*ks, c_in])} kernel "
                f"then a 1×1 pointwise one, not a {_times([*ks, c_in, f])} kernel"
            ),
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
            )


def _stats_as_trainable(layer: Layer, ins: list[Shape]) -> Iterator[tuple[Any, str]]:
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
        yield alt, f"batch-norm moving statistics ({names}: {size}) counted as trainable parameters; {why}"


def _stats_left_out(layer: Layer, ins: list[Shape]) -> Iterator[tuple[Any, str]]:
    ws = layer.weights(ins)
    stats = [w for w in ws if w.kind == "stat"]
    if stats and layer.counts_stats:
        names = ", ".join(w.name for w in stats)
        size = _size_text(stats)
        yield (
            [w for w in ws if w.kind != "stat"],
            (f"batch-norm moving statistics left out: Keras counts {names} ({size}) as non-trainable parameters"),
        )


def _recurrent_mistakes(layer: Layer, ins: list[Shape]) -> Iterator[tuple[Any, str]]:
    ws = layer.weights(ins)
    kind = layer.class_name
    hh = [w for w in ws if w.kind == "param" and ("recurrent" in w.name or "weight_hh" in w.name)]
    if hh:
        yield (
            [w for w in ws if w not in hh],
            (
                f"recurrent weights left out: at each step {kind} also multiplies its previous output by "
                f"{', '.join(w.name for w in hh)} ({_size_text(hh)} weights)"
            ),
        )
    g = getattr(layer, "gates", 1)
    if is_number(g) and g > 1:
        per_gate = [Weight(w.name, (simplify_int(to_expr(w.size) / g),), w.kind, w.trainable) for w in ws]
        yield (
            per_gate,
            (
                f"gates forgotten: {kind} has {g} gates, each with its own input weights, recurrent "
                f"weights and bias, so {g}× the {_size_text(per_gate)} of one gate"
            ),
        )
    two = [w for w in ws if w.name == "bias" and len(w.shape) == 2 and w.shape[0] == 2]
    if two:  # Keras GRU with reset_after=True
        one = [Weight(w.name, w.shape[1:]) if w in two else w for w in ws]
        yield (
            one,
            (
                f"one bias per gate counted, but {kind} with reset_after=True (Keras's default) keeps two: "
                f"one for the input and one for the recurrent step ({_fmt(two[0].size)} in all)"
            ),
        )
    hh_bias = [w for w in ws if w.name.startswith("bias_hh")]
    if hh_bias:
        yield (
            [w for w in ws if w not in hh_bias],
            (
                f"one bias per gate counted, but PyTorch's {kind} keeps two (bias_ih and bias_hh, "
                f"{_size_text(hh_bias)} more)"
            ),
        )
    single = [w for w in ws if w.name == "bias" and len(w.shape) == 1]
    if single:
        yield (
            [*ws, *single],
            (
                f"two biases per gate counted (PyTorch's convention), but Keras's {kind} keeps one "
                f"({_size_text(single)})"
            ),
        )
