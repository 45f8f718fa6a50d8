"""Mistakes in recurrent layers: gates, kernels and biases counted wrong; the time axis dropped or kept.

Keras's cells (keras/src/layers/rnn/*.py) have kernel (I, g·U), recurrent_kernel (U, g·U) and
bias (g·U,), or (2, 3U) for a GRU with reset_after=True; PyTorch's have weight_ih (g·H, I),
weight_hh (g·H, H), bias_ih and bias_hh (g·H each), per layer and direction.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import sympy

from ..formulas import is_number, simplify_int
from ..layers.base import Layer, Shape, Weight
from ..record import to_expr
from .fmt import _fmt
from .weight_mistakes import WeightAlt, _size_text, _terms

_GATES = {1: "", 3: " (update, reset and candidate)", 4: " (input, forget, cell and output)"}


def _recurrent(layer: Layer) -> bool:
    return hasattr(layer, "gates")


def _hh(ws: list[Weight]) -> list[Weight]:
    return [w for w in ws if w.kind == "param" and ("recurrent" in w.name or "weight_hh" in w.name)]


def _ih(ws: list[Weight]) -> list[Weight]:
    return [w for w in ws if w.kind == "param" and (w.name.split("/")[-1] == "kernel" or w.name.startswith("weight_ih"))]


def _scaled(ws: list[Weight], factor: Any) -> list[Weight]:
    return [Weight(w.name, (simplify_int(to_expr(w.size) * factor),), w.kind, w.trainable) for w in ws]


def _recurrent_weights(layer: Layer, ins: list[Shape]) -> Iterator[WeightAlt]:
    ws = layer.weights(ins)
    kind = layer.class_name
    hh, ih = _hh(ws), _ih(ws)
    if hh:
        yield (
            [w for w in ws if w not in hh],
            (
                f"recurrent weights left out: at each step {kind} also multiplies its previous output by "
                f"{', '.join(w.name for w in hh)} ({_size_text(hh)} weights)"
            ),
            "recurrent kernel left out",
        )
    if ih and hh:
        yield (
            [w for w in ws if w not in ih],
            (
                f"input kernel left out: besides its recurrent weights, {kind} multiplies each step's input by "
                f"{', '.join(w.name for w in ih)} ({_size_text(ih)} weights)"
            ),
            "input kernel left out",
        )
    g = getattr(layer, "gates", 1)
    if not is_number(g) or g <= 1:
        return
    names = _GATES.get(g, "")
    yield (
        _scaled(ws, _fraction(1, g)),
        (
            f"gates forgotten: {kind} has {g} gates{names}, each with its own input weights, recurrent "
            f"weights and bias, so {g}× the {_size_text(_scaled(ws, _fraction(1, g)))} of one gate"
        ),
        "gates forgotten",
    )
    for other, name in ((4, "an LSTM"), (3, "a GRU")):
        if other != g:
            yield (
                _scaled(ws, _fraction(other, g)),
                (
                    f"{other} gates counted, as for {name}, but {kind} has {g}{names}: "
                    f"{_terms(ws)} = {_size_text(ws)}"
                ),
                "wrong number of gates",
            )


def _fraction(p: int, q: int) -> Any:
    """p/q as an exact fraction."""
    return to_expr(p) / q


def _recurrent_biases(layer: Layer, ins: list[Shape]) -> Iterator[WeightAlt]:
    ws = layer.weights(ins)
    kind = layer.class_name
    two = [w for w in ws if w.name.split("/")[-1] == "bias" and len(w.shape) == 2 and w.shape[0] == 2]
    if two:  # Keras GRU with reset_after=True
        one = [Weight(w.name, w.shape[1:]) if w in two else w for w in ws]
        yield (
            one,
            (
                f"one bias per gate counted, but {kind} with reset_after=True (Keras's default) keeps two: "
                f"one for the input and one for the recurrent step ({_fmt(two[0].size)} in all)"
            ),
            "reset_after's second bias left out",
        )
    hh_bias = [w for w in ws if w.name.startswith("bias_hh")]
    if hh_bias:
        yield (
            [w for w in ws if w not in hh_bias],
            (
                f"one bias per gate counted, but PyTorch's {kind} keeps two (bias_ih and bias_hh, "
                f"{_size_text(hh_bias)} more)"
            ),
            "bias_hh left out",
        )
    single = [w for w in ws if w.name.split("/")[-1] == "bias" and len(w.shape) == 1]
    if single and not hasattr(layer, "hidden_size"):
        why = (
            "with reset_after=False a Keras GRU keeps one"
            if getattr(layer, "reset_after", True) is False
            else f"Keras's {kind} keeps one"
        )
        yield (
            [*ws, *single],
            f"two biases per gate counted (PyTorch's convention, or a reset_after GRU's), but {why} ({_size_text(single)})",
            "a second bias counted",
        )


def _units_swapped(layer: Layer, ins: list[Shape]) -> Iterator[WeightAlt]:
    """Units and input size exchanged: g·(U·I + I·I + I) instead of g·(I·U + U·U + U)."""
    shape = ins[0]
    if len(shape) != 3:
        return
    arg = "units" if hasattr(layer, "units") else "hidden_size" if hasattr(layer, "hidden_size") else None
    if arg is None or getattr(layer, "num_layers", 1) != 1:
        return
    units, features = getattr(layer, arg), shape[-1]
    if features is None or units == features:
        return
    swapped = copy.copy(layer)
    setattr(swapped, arg, features)
    if hasattr(swapped, "input_size"):
        swapped.input_size = units  # type: ignore[attr-defined]
    alt = swapped.weights([(*shape[:-1], units)])
    ws = layer.weights(ins)
    yield (
        alt,
        (
            f"units and input size swapped: {layer.class_name} has {_fmt(units)} units over {_fmt(features)} input "
            f"features: {_terms(ws)} = {_size_text(ws)}, not {_terms(alt)}"
        ),
        "units and input size swapped",
    )


def _time_axis(layer: Layer, ins: list[Shape], out: Shape) -> Iterator[tuple[Any, str, str]]:
    """A recurrent output with the time axis dropped (or kept), or batch and time exchanged."""
    shape = ins[0]
    if len(shape) != 3:
        return
    if hasattr(layer, "return_sequences") and hasattr(layer, "units"):  # Keras
        steps = shape[1]
        if layer.return_sequences:  # type: ignore[attr-defined]
            yield (
                (out[0], out[-1]),
                (
                    f"time axis dropped: with return_sequences=True {layer.class_name} returns its output at every "
                    f"one of the {_fmt(steps)} steps: {_fmt(out)}"
                ),
                "time axis dropped",
            )
        elif steps is not None:
            yield (
                (out[0], steps, out[-1]),
                (
                    f"time axis kept: with return_sequences=False (the default) {layer.class_name} returns only "
                    f"its last output, {_fmt(out)}, not one per step"
                ),
                "time axis kept",
            )
    elif hasattr(layer, "batch_first") and len(out) == 3:  # PyTorch: (T, N, ·), or (N, T, ·) with batch_first
        first = layer.batch_first  # type: ignore[attr-defined]
        batch_axis = 0 if first else 1
        yield (
            (out[batch_axis], out[-1]),
            (
                f"time axis dropped: PyTorch's {layer.class_name} returns its output at every step, "
                f"{_fmt(out)} ({'N, T' if first else 'T, N'}, features)"
            ),
            "time axis dropped",
        )
        if out[0] != out[1]:
            yield (
                (out[1], out[0], out[2]),
                (
                    f"batch and time axes swapped: with batch_first={first} PyTorch's {layer.class_name} "
                    f"reads and writes ({'N, T' if first else 'T, N'}, features): {_fmt(out)}"
                ),
                "batch and time axes swapped",
            )


def _bidirectional(layer: Layer) -> bool:
    keras = hasattr(layer, "forward") and hasattr(layer, "backward") and hasattr(layer, "merge_mode")
    return keras or getattr(layer, "directions", 1) == 2  # Keras's wrapper, or torch's bidirectional=True


def _one_direction(layer: Layer, ins: list[Shape]) -> Iterator[WeightAlt]:
    """A bidirectional layer counted one way only: the backward direction has weights of its own."""
    ws = layer.weights(ins)
    if hasattr(layer, "merge_mode"):
        forward = [w for w in ws if w.name.startswith("forward/")]
        what = f"Bidirectional runs two {layer.forward.class_name} layers"  # type: ignore[attr-defined]
    else:
        forward = [w for w in ws if "_reverse" not in w.name]
        what = f"{layer.class_name} with bidirectional=True runs two directions"
    backward = [w for w in ws if w not in forward]
    if forward and backward:
        yield (
            forward,
            (
                f"one direction only: {what}, one forward and one backward in time, each with its own weights: "
                f"{_size_text(forward)} + {_size_text(backward)} = {_size_text(ws)}"
            ),
            "Bidirectional counted as one direction",
        )


def _half(size: Any) -> Any:
    return simplify_int(sympy.Rational(1, 2) * size)


def _one_direction_shape(layer: Layer, ins: list[Shape], out: Shape) -> Iterator[tuple[Any, str, str]]:
    """Both directions' outputs joined on the last axis (Keras's merge_mode='concat', torch's bidirectional=True)."""
    if hasattr(layer, "merge_mode"):
        if layer.merge_mode != "concat":  # type: ignore[attr-defined]
            return
        one = tuple(layer.forward.output_shape(ins))  # type: ignore[attr-defined]
        joined = "with merge_mode='concat' Bidirectional joins the forward and backward outputs, "
        sizes = f"{_fmt(one[-1])} + {_fmt(layer.backward.output_shape(ins)[-1])}"  # type: ignore[attr-defined]
    else:
        one = (*out[:-1], _half(out[-1]))
        joined = f"with bidirectional=True {layer.class_name} joins the forward and backward outputs, "
        sizes = f"2 × {_fmt(one[-1])}"
    yield (
        one,
        f"one direction's output: {joined}{sizes} = {_fmt(out[-1])} features: {_fmt(out)}",
        "Bidirectional output taken as one direction's",
    )


def _stacked(layer: Layer) -> bool:
    return getattr(layer, "num_layers", 1) > 1 and hasattr(layer, "directions")


def _stacked_input(layer: Layer, ins: list[Shape]) -> Iterator[WeightAlt]:
    """torch's num_layers > 1: the layers above the first take the one below's output, directions × hidden_size."""
    ws = layer.weights(ins)
    first = next((w for w in ws if w.name == "weight_ih_l0"), None)
    upper = [w for w in ws if w.name.startswith("weight_ih_l") and not w.name.startswith("weight_ih_l0")]
    if first is None or not upper:
        return
    below = upper[0].shape[1]
    wrong: list[tuple[Any, str]] = [(first.shape[1], f"the model's input size ({_fmt(first.shape[1])})")]
    if getattr(layer, "directions", 1) == 2:
        wrong.append((_half(below), f"one direction's output ({_fmt(_half(below))})"))
    n = layer.num_layers  # type: ignore[attr-defined]
    which = "layer 2 is" if n == 2 else f"layers 2 to {n} are"
    for width, what in wrong:
        if width == below:
            continue
        alt = [Weight(w.name, (w.shape[0], width), w.kind, w.trainable) if w in upper else w for w in ws]
        yield (
            alt,
            (
                f"input size of the upper layers taken as {what}: {which} fed the output of the layer below, "
                f"{_fmt(below)} features (directions × hidden_size)"
            ),
            "stacked layers' input size",
        )
