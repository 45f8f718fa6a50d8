"""The table of common mistakes (MISTAKES), the MAC and parameter-count mistakes, and how likely each is.

Each mistake yields, for a real layer, the value its wrong rule gives, a message that names
the mistake in the student's terms, and the mistake's name (the same name for every layer,
so that a class's mistakes can be counted). PRIORS orders the names from the most common:
when two mistakes give the student's value, the more common is named first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..formulas import prod, simplify_int
from ..layers.base import Layer, Shape, spatial
from ..record import to_expr
from .fmt import _fmt, _times
from .recurrent_mistakes import (
    _bidirectional,
    _one_direction,
    _one_direction_shape,
    _recurrent,
    _recurrent_biases,
    _recurrent_weights,
    _stacked,
    _stacked_input,
    _time_axis,
    _units_swapped,
)
from .shape_mistakes import (
    _channels_swapped_shape,
    _dense_axes,
    _depth_multiplier_shape,
    _flatten_mistakes,
    _global_pool_as_flatten,
    _layer_left_out,
    _merge_mistakes,
    _same_mistakes,
    _transposed,
    _window_mistakes,
    _window_slips,
)
from .weight_mistakes import (
    _bias_left_out,
    _bias_not_there,
    _bias_per_weight,
    _channels_swapped_weights,
    _dense_all_axes,
    _depth_multiplier_weights,
    _depthwise_bias,
    _dilation_as_weights,
    _full_conv,
    _has_kernel_and_bias,
    _input_channels_left_out,
    _kernel_area_as_k,
    _kernel_squared,
    _learned,
    _one_filter,
    _stats_as_trainable,
    _stats_left_out,
    _terms,
)


@dataclass(frozen=True)
class Mistake:
    """A common mistake: which layers it can happen in, and what it makes of them.

    ``kind`` says what ``compute`` yields, besides a message and the mistake's name: "weights"
    (a wrong list of weights, counted like the right ones), "shape" (a wrong output shape,
    carried forward to the layers downstream), "params" (a wrong parameter count) or "macs"
    (a wrong MAC count; given the convention).
    """

    name: str
    kind: str
    applies_to: Callable[[Layer], bool]
    compute: Callable[..., Iterable[tuple[Any, str, str]]]
    primary: bool = True  # a secondary mistake is named only when no primary one fits


# How common each mistake is, most common first (lower is more likely); unlisted names come last.
PRIORS: dict[str, int] = {
    "parameters for a layer that has none": 1,
    "shared weights counted twice": 2,
    "frozen layer counted as trainable": 2,
    "bias counted with use_bias=False": 2,
    "input channels left out": 3,
    "input channels taken from the wrong layer": 4,
    "Bidirectional counted as one direction": 3,
    "Bidirectional output taken as one direction's": 3,
    "stride taken as the pool size": 4,
    "stacked layers' input size": 4,
    "a bias counted for an embedding": 3,
    "sequence length taken as the vocabulary size": 4,
    "embedding counted per position": 5,
    "bias on the depthwise step": 3,
    "1-D kernel squared": 3,
    "dilation counted as extra weights": 3,
    "Dense counted over all axes": 3,
    "reset_after's second bias left out": 3,
    "wrong number of gates": 3,
    "'same' size kept with stride": 3,
    "transposed size taken as n·s": 3,
    "forward formula used for a transposed convolution": 3,
    "global pooling taken as Flatten": 3,
    "Flatten taken as global pooling": 4,
    "sequence axis dropped by Dense": 3,
    "time axis dropped": 3,
    "time axis kept": 3,
    "FLOPs given for MACs": 3,
    "bias left out": 4,
    "counted as a full convolution": 4,
    "gates forgotten": 4,
    "recurrent kernel left out": 4,
    "input kernel left out": 4,
    "bias_hh left out": 4,
    "'same' rounded down": 4,
    "batch and time axes swapped": 4,
    "MACs of one position only": 4,
    "depth_multiplier forgotten": 4,
    "Concatenate taken as Add": 3,
    "Add taken as Concatenate": 3,
    "kernel area taken as K": 5,
    "moving statistics left out": 4,
    "moving statistics counted as trainable": 5,
    "floor forgotten": 5,
    "stride forgotten": 5,
    "padding left out": 5,
    "dilation forgotten": 5,
    "a second bias counted": 5,
    "channels left out of Flatten": 5,
    "the other MAC convention": 5,
    "one filter only": 6,
    "padding counted once": 6,
    "units and input size swapped": 6,
    "'same' padding taken as symmetric": 6,
    "output_padding left out": 6,
    "transposed padding added": 7,
    "(n − 1) taken as n": 7,
    "input positions instead of output positions": 8,
    "no parameters counted": 9,
    "bias counted per weight": 20,
    "input and output channels swapped": 20,
    "size kept with 'valid' padding": 30,
    "+1 left out": 30,
    "layer left out": 40,
}


def prior(name: str) -> int:
    """How common a mistake is (lower is more common)."""
    return PRIORS.get(name, 50)


def _macs_other_convention(layer: Layer, ins: list[Shape], out: Shape, convention: str) -> Iterator[tuple[Any, str, str]]:
    other = "fvcore" if convention == "torchinfo" else "torchinfo"
    why = {
        "fvcore": "the bias left out (fvcore's convention; torchinfo counts each bias once per output position)",
        "torchinfo": "the bias counted (torchinfo's convention; fvcore counts multiply-accumulates only)",
    }[other]
    yield layer.macs(ins, out, other), why, "the other MAC convention"


def _flops(layer: Layer, ins: list[Shape], out: Shape, convention: str) -> Iterator[tuple[Any, str, str]]:
    """FLOPs given where MACs are asked: exactly twice the MACs (of either convention)."""
    mine = to_expr(layer.macs(ins, out, convention))
    for conv in (convention, "fvcore" if convention == "torchinfo" else "torchinfo"):
        macs = to_expr(layer.macs(ins, out, conv))
        if macs != 0 and (conv == convention or macs != mine):
            note = "" if conv == convention else f" ({conv}'s MACs, without the bias)" if conv == "fvcore" else f" ({conv}'s MACs)"
            yield (
                simplify_int(2 * macs),
                (
                    f"FLOPs given, not MACs: one multiply-accumulate is two operations (a multiply and an add), so "
                    f"2 × {_fmt(macs)}{note} = {_fmt(simplify_int(2 * macs))} counts FLOPs; the MACs are half that"
                ),
                "FLOPs given for MACs",
            )


def _macs_one_position(layer: Layer, ins: list[Shape], out: Shape, convention: str) -> Iterator[tuple[Any, str, str]]:
    """The MACs of one output position (or time step) only, and of the input positions instead."""
    ws = layer.weights(ins)
    learned = _learned(ws)
    positions = layer.torchinfo_positions(ins, out)
    if learned == 0 or positions == 1:
        return
    kernel = simplify_int(sum((w.size for w in ws if w.kind == "param" and "bias" not in w.name), start=0))
    where = "output position" if getattr(layer, "conv_like", False) else "time step" if _recurrent(layer) else "position"
    grid = _times(spatial(out, layer.channels_last)) if getattr(layer, "conv_like", False) else _fmt(positions)
    pairs = [(learned, f"its {_fmt(learned)} parameters")]
    if kernel not in (0, learned):
        pairs.append((kernel, f"its {_fmt(kernel)} kernel weights"))
    for value, what in pairs:
        yield (
            value,
            (
                f"MACs of one {where} only: {what} are the multiply-accumulates at one {where}; "
                f"each of the {grid} {where}s repeats them"
            ),
            "MACs of one position only",
        )
    if getattr(layer, "conv_like", False) and len(ins[0]) == len(out):
        in_positions = spatial(ins[0], layer.channels_last)
        yield (
            prod([*in_positions, learned]),
            (
                f"multiplied by the input positions ({_times(in_positions)}) instead of the output positions "
                f"({_times(spatial(out, layer.channels_last))})"
            ),
            "input positions instead of output positions",
        )


_NO_PARAMS = [  # (words in the class name, why the layer learns nothing)
    (("GlobalAverage", "GlobalAvg", "AdaptiveAvg"), "it averages each channel over its positions; nothing is learned"),
    (("GlobalMax", "AdaptiveMax"), "it takes each channel's maximum over its positions; nothing is learned"),
    (("MaxPool",), "it takes the maximum of each window; nothing is learned"),
    (("AvgPool", "AveragePool"), "it takes the average of each window; nothing is learned"),
    (("Flatten", "Reshape", "Permute", "Squeeze", "Unflatten"), "it only rearranges its input's values; nothing is learned"),
    (("Dropout",), "it zeroes random values while training and learns nothing"),
    (("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"), "it combines its inputs value by value; nothing is learned"),
    (("Concatenate", "Concat"), "it joins its inputs along an axis; nothing is learned"),
    (("ReLU", "Activation", "Softmax", "Sigmoid", "Tanh", "GELU", "ELU"), "an activation applies a fixed function to each value"),
    (("Padding", "Pad"), "it adds zeros around its input; nothing is learned"),
    (("Upsampling", "UpSampling", "Upsample"), "it repeats (or interpolates) values; nothing is learned"),
    (("Input",), "it only describes the input"),
]


def why_no_params(layer: Layer) -> str:
    """Why a layer has no parameters, in a student's terms."""
    name = layer.class_name
    for words, why in _NO_PARAMS:
        if any(w.lower() in name.lower() for w in words):
            return why
    return "it has no weights; nothing is learned"


def _params_of_none(layer: Layer, ins: list[Shape], out: Shape) -> Iterator[tuple[Any, str, str]]:
    """A parameter count for a layer that has none: its output size, or the count of a convolution in its place."""
    if layer.weights(ins):
        return
    why = why_no_params(layer)
    head = f"parameters counted for a layer that has none: {layer.class_name} has 0 parameters, because {why}"
    if len(out) > 1 and all(d is not None for d in out[1:]):
        size = prod(out[1:])
        product = f"{_times(out[1:])} = {_fmt(size)}" if len(out) > 2 else _fmt(size)
        yield size, f"{head}; {product} is the number of values it outputs", "parameters for a layer that has none"
    window = tuple(getattr(layer, "pool_size", None) or getattr(layer, "kernel_size", None) or ())
    if window and ins and len(ins[0]) == len(out):
        c = ins[0][-1] if layer.channels_last else ins[0][1]
        area = prod(window)
        for value, text in (
            (simplify_int((area * c + 1) * c), f"({_times(window)}×{_fmt(c)} + 1)×{_fmt(c)}, as for a convolution"),
            (simplify_int(area * c * c), f"{_times(window)}×{_fmt(c)}×{_fmt(c)}, as for a convolution's kernel"),
            (simplify_int(area * c), f"{_times(window)}×{_fmt(c)}"),
            (simplify_int(area * c + c), f"{_times(window)}×{_fmt(c)} + {_fmt(c)}"),
            (area, f"{_times(window)}, the window"),
        ):
            yield value, f"{head} (not {text} = {_fmt(value)})", "parameters for a layer that has none"


def _embedding(layer: Layer) -> bool:
    return "Embedding" in layer.class_name


def _embedding_mistakes(layer: Layer, ins: list[Shape], out: Shape) -> Iterator[tuple[Any, str, str]]:
    """An embedding table given a bias, sized by the sequence length, or counted once per position."""
    ws = [w for w in layer.weights(ins) if w.kind == "param"]
    if len(ws) != 1 or len(ws[0].shape) != 2 or not ins or len(ins[0]) < 2:
        return
    rows, width = ws[0].shape
    table = simplify_int(rows * width)
    right = f"{_fmt(rows)}×{_fmt(width)} = {_fmt(table)}"
    what = f"{layer.class_name} is a lookup table of {_fmt(rows)} rows (one per token of the vocabulary) of {_fmt(width)} values"
    positions = simplify_int(prod(ins[0][1:]))
    yield simplify_int(table + width), f"a bias counted: {what}; it adds no bias: {right}", "a bias counted for an embedding"
    if positions not in (rows, 1):
        yield (
            simplify_int(positions * width),
            (
                f"the sequence length ({_fmt(positions)}) taken as the vocabulary size: {layer.class_name} keeps one row "
                f"per token of the vocabulary ({_fmt(rows)}), however long the input is: {right}"
            ),
            "sequence length taken as the vocabulary size",
        )
        yield (
            simplify_int(positions * table),
            (
                f"the table counted once per position: all {_fmt(positions)} positions look up the same table, "
                f"whose {right} values are counted once"
            ),
            "embedding counted per position",
        )


def _no_params(layer: Layer, ins: list[Shape], out: Shape) -> Iterator[tuple[Any, str, str]]:
    """0 given for a layer that has parameters."""
    ws = [w for w in layer.weights(ins) if w.kind == "param"]
    if ws:
        named = ", ".join(f"{w.name} {_times(w.shape)}" for w in ws)
        yield 0, f"{layer.class_name} has parameters: {named}, in all {_terms(ws)}", "no parameters counted"


def _windowed(layer: Layer) -> bool:
    return hasattr(layer, "kernel_size") or hasattr(layer, "pool_size")


def _any(layer: Layer) -> bool:
    return True


MISTAKES: list[Mistake] = [
    Mistake("a bias the layer does not have", "weights", lambda l: hasattr(l, "use_bias") or hasattr(l, "bias"), _bias_not_there),
    Mistake("input channels left out", "weights", _has_kernel_and_bias, _input_channels_left_out),
    Mistake("bias left out", "weights", _has_kernel_and_bias, _bias_left_out),
    Mistake("one filter only", "weights", _has_kernel_and_bias, _one_filter),
    Mistake("kernel area taken as K", "weights", lambda l: len(getattr(l, "kernel_size", ())) >= 2, _kernel_area_as_k),
    Mistake("1-D kernel squared", "weights", lambda l: len(getattr(l, "kernel_size", ())) == 1, _kernel_squared),
    Mistake("dilation counted as extra weights", "weights", lambda l: hasattr(l, "kernel_size"), _dilation_as_weights),
    Mistake(
        "depthwise or grouped convolution counted as a full one",
        "weights",
        lambda l: hasattr(l, "depth_multiplier") or getattr(l, "groups", 1) != 1,
        _full_conv,
    ),
    Mistake("bias on the depthwise step", "weights", lambda l: hasattr(l, "depth_multiplier"), _depthwise_bias),
    Mistake("depth_multiplier forgotten", "weights", lambda l: hasattr(l, "depth_multiplier"), _depth_multiplier_weights),
    Mistake("Dense counted over all axes", "weights", lambda l: hasattr(l, "units") or hasattr(l, "out_features"), _dense_all_axes),
    Mistake("recurrent weights or gates", "weights", _recurrent, _recurrent_weights),
    Mistake("recurrent biases", "weights", _recurrent, _recurrent_biases),
    Mistake("units and input size swapped", "weights", _recurrent, _units_swapped),
    Mistake("Bidirectional counted as one direction", "weights", _bidirectional, _one_direction),
    Mistake("stacked layers' input size", "weights", _stacked, _stacked_input),
    Mistake("moving statistics counted as trainable", "weights", _any, _stats_as_trainable),
    Mistake("moving statistics left out", "weights", lambda l: l.counts_stats, _stats_left_out),
    Mistake("bias counted per weight", "weights", _has_kernel_and_bias, _bias_per_weight, primary=False),
    Mistake("input and output channels swapped", "weights", _has_kernel_and_bias, _channels_swapped_weights, primary=False),
    Mistake("parameters for a layer that has none", "params", _any, _params_of_none),
    Mistake("no parameters counted", "params", _any, _no_params, primary=False),
    Mistake("embedding tables", "params", _embedding, _embedding_mistakes),
    Mistake("padding, floor, stride or dilation", "shape", _windowed, _window_mistakes),
    Mistake("'same' padding", "shape", _windowed, _same_mistakes),
    Mistake("transposed convolution sizes", "shape", lambda l: "Transpose" in l.class_name, _transposed),
    Mistake("global pooling taken as Flatten", "shape", lambda l: "Global" in l.class_name, _global_pool_as_flatten),
    Mistake("Flatten", "shape", lambda l: "Flatten" in l.class_name, _flatten_mistakes),
    Mistake("Dense keeps its other axes", "shape", lambda l: hasattr(l, "units") or hasattr(l, "out_features"), _dense_axes),
    Mistake("the time axis", "shape", _recurrent, _time_axis),
    Mistake("Bidirectional's output", "shape", _bidirectional, _one_direction_shape),
    Mistake("merging", "shape", lambda l: l.arity != 1, _merge_mistakes),
    Mistake("depth_multiplier forgotten", "shape", lambda l: hasattr(l, "depth_multiplier"), _depth_multiplier_shape),
    Mistake("size kept or +1 left out", "shape", _windowed, _window_slips, primary=False),
    Mistake("input and output channels swapped", "shape", _has_kernel_and_bias, _channels_swapped_shape, primary=False),
    Mistake("layer left out", "shape", _any, _layer_left_out, primary=False),
    Mistake("the other MAC convention", "macs", _any, _macs_other_convention),
    Mistake("FLOPs given for MACs", "macs", _any, _flops),
    Mistake("MACs of one position only", "macs", _any, _macs_one_position),
]
