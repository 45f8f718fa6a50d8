"""The table of common mistakes (MISTAKES), and the MAC mistakes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..formulas import prod
from ..layers.base import Layer, Shape, spatial
from .fmt import _fmt, _times
from .shape_mistakes import _channels_swapped_shape, _flatten_channels, _layer_left_out, _window_mistakes, _window_slips
from .weight_mistakes import (
    _bias_left_out,
    _bias_per_weight,
    _channels_swapped_weights,
    _full_conv,
    _has_kernel_and_bias,
    _kernel_area_as_k,
    _learned,
    _recurrent_mistakes,
    _stats_as_trainable,
    _stats_left_out,
)


@dataclass(frozen=True)
class Mistake:
    """A common mistake: which layers it can happen in, and what it makes of them.

    ``kind`` says what ``compute`` returns, besides a message: "weights" (a wrong list of
    weights, counted like the right ones), "shape" (a wrong output shape, carried forward
    to the layers downstream) or "macs" (a wrong MAC count; given the convention).
    """

    name: str
    kind: str
    applies_to: Callable[[Layer], bool]
    compute: Callable[..., Iterable[tuple[Any, str]]]
    primary: bool = True  # a secondary mistake is named only when no primary one fits


def _macs_other_convention(layer: Layer, ins: list[Shape], out: Shape, convention: str) -> Iterator[tuple[Any, str]]:
    other = "fvcore" if convention == "torchinfo" else "torchinfo"
    why = {
        "fvcore": "the bias left out (fvcore's convention; torchinfo counts each bias once per output position)",
        "torchinfo": "the bias counted (torchinfo's convention; fvcore counts multiply-accumulates only)",
    }[other]
    yield layer.macs(ins, out, other), why


def _macs_as_params(layer: Layer, ins: list[Shape], out: Shape, convention: str) -> Iterator[tuple[Any, str]]:
    learned = _learned(layer.weights(ins))
    if getattr(layer, "conv_like", False) and learned != 0:
        positions = spatial(out, layer.channels_last)
        yield (
            learned,
            (
                f"parameters counted, not MACs: each of the {_times(positions)} output positions repeats "
                f"the {_fmt(learned)} multiply-accumulates"
            ),
        )
        in_positions = spatial(ins[0], layer.channels_last)
        yield (
            prod([*in_positions, learned]),
            (
                f"multiplied by the input positions ({_times(in_positions)}) instead of the output positions "
                f"({_times(positions)})"
            ),
        )


def _windowed(layer: Layer) -> bool:
    return hasattr(layer, "kernel_size") or hasattr(layer, "pool_size")


MISTAKES: list[Mistake] = [
    Mistake("bias left out", "weights", _has_kernel_and_bias, _bias_left_out),
    Mistake("bias counted per weight", "weights", _has_kernel_and_bias, _bias_per_weight),
    Mistake("input and output channels swapped", "weights", _has_kernel_and_bias, _channels_swapped_weights),
    Mistake("kernel area taken as K", "weights", lambda l: len(getattr(l, "kernel_size", ())) >= 2, _kernel_area_as_k),
    Mistake(
        "depthwise or grouped convolution counted as a full one",
        "weights",
        lambda l: hasattr(l, "depth_multiplier") or getattr(l, "groups", 1) != 1,
        _full_conv,
    ),
    Mistake("recurrent weights, gates or biases", "weights", lambda l: hasattr(l, "gates"), _recurrent_mistakes),
    Mistake("moving statistics counted as trainable", "weights", lambda l: True, _stats_as_trainable),
    Mistake("moving statistics left out", "weights", lambda l: l.counts_stats, _stats_left_out),
    Mistake(
        "padding, floor, stride or dilation",
        "shape",
        _windowed,
        _window_mistakes,
    ),
    Mistake("size kept or +1 left out", "shape", _windowed, _window_slips, primary=False),
    Mistake("input and output channels swapped", "shape", _has_kernel_and_bias, _channels_swapped_shape),
    Mistake("channels left out of Flatten", "shape", lambda l: "Flatten" in l.class_name, _flatten_channels),
    Mistake("layer left out", "shape", lambda l: True, _layer_left_out, primary=False),
    Mistake("the other MAC convention", "macs", lambda l: True, _macs_other_convention),
    Mistake("parameters counted instead of MACs", "macs", lambda l: getattr(l, "conv_like", False), _macs_as_params),
]
