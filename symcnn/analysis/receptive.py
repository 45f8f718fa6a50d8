"""Receptive fields: per layer and spatial axis, the field's size, its jump (effective stride) and its start.

A field is three numbers per axis of the model's input: output position ``o`` of a layer reads the input
positions ``start + o·jump … start + o·jump + size − 1`` (``start`` is negative where the field reaches into
padding). Each layer's :meth:`~symcnn.layers.base.Layer.window` composes into it by the standard
recurrence (Araujo, Norris & Sim, "Computing receptive fields of convolutional neural networks",
Distill 2019), with k' = d·(k − 1) + 1 the dilated kernel:

    size += (k' − 1)·jump,   start −= pad·jump,   jump *= stride.

A transposed window (stride s) reads a varying number of inputs per output: at most ⌈k'/s⌉ (fewer
with dilation: the taps that divide evenly are counted when the sizes are numbers). It adds (that − 1)·jump,
divides the jump by s, and moves the start to its first output's first input; the size is the largest
over the outputs, and later outputs' fields lie near, not exactly at, start + o·jump. Where paths join (Add, Concatenate ...), the largest field over the paths is kept, axis
by axis, and a note says where the paths disagree on alignment (different jumps or centres). Everything is
symbolic where the sizes are: Keras's 'same' padding with a stride depends on the input size.

>>> from symcnn import Sequential, layers as L
>>> m = Sequential([L.Input((32, 32, 3)), L.Conv2D(8, 3), L.MaxPooling2D(2), L.Conv2D(8, 3, dilation_rate=2)])
>>> [tuple(f.axes[0]) for f in receptive_fields(m).values()]
[(1, 1, 0), (3, 1, 0), (4, 2, 0), (12, 2, 0)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import sympy

from ..errors import SymcnnError
from ..formulas import is_number, simplify_int
from ..layers.base import Window, spatial
from ..layers.core import InputLayer
from ..model import Model


class AxisField(NamedTuple):
    """One spatial axis of a receptive field, in input positions."""

    size: Any
    jump: Any
    start: Any

    @property
    def centre(self) -> Any:
        """Where the first output position's field is centred: start + (size − 1)/2."""
        return _tidy(self.start + sympy.Rational(1, 2) * (self.size - 1))


@dataclass(frozen=True)
class Field:
    """A layer's receptive field: one AxisField per spatial axis of ``origin``, or None where none applies."""

    axes: tuple[AxisField, ...] | None
    origin: str | None = None  # the model input the field is measured on
    note: str | None = None


def _tidy(value: Any) -> Any:
    value = sympy.Integer(value) if isinstance(value, int) else value
    return simplify_int(sympy.nsimplify(value) if value.is_Float else value)


def window_field(window: Window) -> tuple[AxisField, ...]:
    """A layer's own window as a field: what one output position reads of the layer's input.

    >>> window_field(Window((3,), (2,), (2,), (1,)))
    (AxisField(size=5, jump=2, start=-1),)
    """
    out = []
    for k, s, d, p in zip(window.kernel, window.stride, window.dilation, window.pad):
        reach = d * (k - 1) + 1
        if not window.transposed:
            out.append(AxisField(_tidy(reach), _tidy(s), _tidy(-p)))
        elif all(is_number(v) for v in (k, s, d, p)):
            out.append(_transposed_exactly(int(k), int(s), int(d), int(p)))
        else:  # at most ⌈k'/s⌉ inputs per output, the first output's from ⌈(p − k' + 1)/s⌉
            taps = sympy.ceiling(sympy.Integer(reach) / s)
            out.append(AxisField(_tidy(taps), _tidy(sympy.Integer(1) / s), _tidy(sympy.ceiling(sympy.Integer(p - reach + 1) / s))))
    return tuple(out)


def _transposed_exactly(k: int, s: int, d: int, p: int) -> AxisField:
    """Output o reads inputs i = (o + p − m·d)/s for the taps m that divide evenly: count them per residue of o."""
    spans = []
    for residue in range(s):
        taps = [m for m in range(k) if (residue - m * d) % s == 0]
        if taps:
            spans.append((max(taps) - min(taps)) * d // s + 1)
    first = [m for m in range(k) if (p - m * d) % s == 0]
    start = (p - max(first) * d) // s if first else -((d * (k - 1) + 1 - p - 1) // s)
    return AxisField(max(spans, default=1), sympy.Rational(1, s) if s != 1 else 1, start)


def compose(outer: Sequence[AxisField], inner: Sequence[AxisField]) -> tuple[AxisField, ...]:
    """The field of ``inner`` (measured on a layer's input) seen from the model input, given ``outer``.

    size = r₁ + (r₂ − 1)·j₁, jump = j₁·j₂, start = s₁ + s₂·j₁: the recurrence, one layer at a time.

    >>> compose([AxisField(3, 1, -1)], [AxisField(2, 2, 0)])
    (AxisField(size=4, jump=2, start=-1),)
    """
    return tuple(
        AxisField(_tidy(a.size + (b.size - 1) * a.jump), _tidy(a.jump * b.jump), _tidy(a.start + b.start * a.jump))
        for a, b in zip(outer, inner)
    )


def receptive_fields(model: Model) -> dict[str, Field]:
    """Every layer's receptive field, by layer name, in graph order."""
    fields: dict[str, Field] = {}
    for rec in model.records:
        if isinstance(rec.layer, InputLayer):
            fields[rec.name] = _input_field(model, rec.name, rec.output_shape)
            continue
        paths = [(name, fields[name]) for name in rec.inputs]
        fields[rec.name] = _layer_field(rec.layer, rec.input_shapes, paths)
    return fields


def _input_field(model: Model, name: str, shape: Sequence[Any]) -> Field:
    rank = len(spatial(tuple(shape), model.convention != "torch"))
    if rank == 0:
        return Field(None, name)
    return Field((AxisField(1, 1, 0),) * rank, name)


def _own_field(layer: Any, shapes: list[Any]) -> tuple[AxisField, ...] | None:
    """What one output position of ``layer`` reads of its input, or None."""
    if isinstance(layer, Model):
        inner = layer.with_input(*shapes)
        found = receptive_fields(inner)
        outs = [found[str(n.name)] for n in inner.output_nodes]
        if not outs or outs[0].axes is None:
            return None
        return outs[0].axes
    try:
        window = layer.window(shapes)
    except (SymcnnError, TypeError, IndexError):
        return None
    return None if window is None else window_field(window)


def _layer_field(layer: Any, shapes: list[Any], paths: list[tuple[str, Field]]) -> Field:
    own = _own_field(layer, shapes)
    if own is None:
        return Field(None)
    reaching = [(name, f) for name, f in paths if f.axes is not None and len(f.axes) == len(own)]
    if not reaching:
        return Field(None)
    origin = reaching[0][1].origin
    same = [(name, compose(f.axes, own)) for name, f in reaching if f.origin == origin]  # type: ignore[arg-type]
    notes = [f"the path through {name} reads every input position (no window applies)"
             for name, f in paths if f.axes is None and len(paths) > 1]
    if len(same) < len(reaching):
        notes.append(f"paths from other inputs than {origin} are not shown")
    axes, disagreement = _largest(same)
    if disagreement:
        notes.insert(0, disagreement)
    return Field(axes, origin, "; ".join(notes) or None)


def _largest(paths: list[tuple[str, tuple[AxisField, ...]]]) -> tuple[tuple[AxisField, ...], str | None]:
    """Axis by axis, the largest field over the paths; and where the paths disagree on alignment."""
    first = paths[0][1]
    if len(paths) == 1 or all(axes == first for _, axes in paths[1:]):
        return first, None
    chosen = []
    for i in range(len(first)):
        best = first[i]
        for _, axes in paths[1:]:
            best = _larger(best, axes[i])
        chosen.append(best)
    problems = []
    for i in range(len(first)):
        views = {(str(axes[i].jump), str(axes[i].centre)) for _, axes in paths}
        if len(views) > 1 and not _equal_all([axes[i] for _, axes in paths]):
            where = ", ".join(f"{name}: centre {axes[i].centre}, jump {axes[i].jump}" for name, axes in paths)
            problems.append(f"axis {i + 1} ({where})")
    note = f"paths disagree on alignment on {'; '.join(problems)}" if problems else None
    return tuple(chosen), note


def _zero(value: Any) -> bool:
    value = sympy.Integer(0) + value
    return bool(value == 0) if value.is_number else sympy.simplify(value) == 0  # simplify only when symbolic


def _equal_all(fields: list[AxisField]) -> bool:
    a = fields[0]
    return all(_zero(a.jump - b.jump) and _zero(a.centre - b.centre) for b in fields[1:])


def _larger(a: AxisField, b: AxisField) -> AxisField:
    diff = sympy.Integer(0) + b.size - a.size
    diff = diff if diff.is_number else sympy.simplify(diff)
    if diff.is_positive:
        return b
    if diff.is_nonpositive:
        return a
    return AxisField(_tidy(sympy.Max(a.size, b.size)), a.jump, a.start)
