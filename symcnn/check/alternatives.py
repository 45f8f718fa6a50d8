"""A layer's value under each mistake: its own, or one made upstream and carried forward."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from ..errors import SymcnnError
from ..formulas import prod, simplify_int
from ..layers.base import Shape, Weight
from ..record import LayerRecord, to_expr
from .fmt import Value, _fmt
from .mistakes import MISTAKES, Mistake, prior
from .recurrent_mistakes import _bidirectional
from .weight_mistakes import _has_kernel_and_bias, _learned, _terms

MAX_UPSTREAM = 30  # ancestors searched for a shape mistake carried forward


@dataclass(frozen=True)
class Alternative:
    """The value a mistake gives, the message that names it, and where it was made."""

    value: Value
    message: str
    mistake: str  # the mistake's name, the same for every layer (see PRIORS)
    primary: bool = True
    origin: str | None = None  # the upstream layer where the mistake was made; None: this layer
    shapes: tuple[tuple[str, Shape], ...] = ()  # the wrong output shapes it implies, layer by layer

    @property
    def prior(self) -> int:
        return prior(self.mistake)


def _measure(
    q: str, rec: LayerRecord, ins: list[Shape], out: Shape, convention: str, weights: list[Weight] | None = None
) -> Value:
    if q == "shape":
        return tuple(out)
    if q == "macs":
        if weights is None:
            return to_expr(simplify_int(rec.layer.macs(ins, out, convention)))
        if convention != "torchinfo":
            return None
        learned = _learned(weights)
        return to_expr(prod([rec.layer.torchinfo_positions(ins, out), learned]))
    ws = rec.layer.weights(ins) if weights is None else weights
    probe = LayerRecord(rec.name, rec.layer, rec.inputs, ins, out, ws, rec.shared_with)
    return {"params": probe.params, "trainable": probe.trainable, "non_trainable": probe.non_trainable}[q]


_SAFE = (SymcnnError, ArithmeticError, TypeError, ValueError, AttributeError, IndexError, KeyError)


def _record_alternatives(q: str, rec: LayerRecord) -> Iterator[Alternative]:
    """Mistakes about how a call is counted: a shared layer counted again, a frozen layer taken as trainable."""
    if q not in ("params", "trainable", "non_trainable"):
        return
    if rec.shared_with is not None:
        unshared = LayerRecord(rec.name, rec.layer, rec.inputs, rec.input_shapes, rec.output_shape, rec.weights)
        owner = "its first call" if rec.shared_with == rec.name else rec.shared_with
        yield Alternative(
            getattr(unshared, q),
            (
                f"shared weights counted twice: this call of {rec.name} reuses the weights of {owner}, "
                "where they are already counted"
            ),
            "shared weights counted twice",
        )
    if not rec.layer.trainable and q in ("trainable", "non_trainable"):
        thawed = copy.copy(rec.layer)
        thawed.trainable = True
        probe = LayerRecord(
            rec.name, thawed, rec.inputs, rec.input_shapes, rec.output_shape, rec.weights, rec.shared_with
        )
        yield Alternative(
            getattr(probe, q),
            f"{rec.name} is frozen (trainable=False): all its weights count as non-trainable",
            "frozen layer counted as trainable",
        )


def own_alternatives(q: str, rec: LayerRecord, convention: str) -> Iterator[Alternative]:
    """The layer's value under each of its own mistakes (primary and secondary ones)."""
    layer, ins, out = rec.layer, rec.input_shapes, rec.output_shape
    yield from _record_alternatives(q, rec)
    for mistake in MISTAKES:
        if not mistake.applies_to(layer):
            continue
        run: Callable[[], Iterable[tuple[Value, str, str]]] | None = None
        if mistake.kind == "weights" and q in ("params", "trainable", "non_trainable", "macs"):
            if q == "macs" and mistake.name in ("bias left out", "one filter only"):
                continue  # said better as the MAC convention that leaves the bias out, or as one position
            run = partial(_weights_values, mistake, q, rec, convention)
        elif mistake.kind == "params" and q in ("params", "trainable") and (q == "params" or layer.trainable):
            run = partial(mistake.compute, layer, ins, out)
        elif mistake.kind == "shape" and q in ("shape", "macs"):
            for value, msg, name, alt in _guarded(partial(_shape_values, mistake, q, rec, convention)):
                yield Alternative(value, msg, name, mistake.primary, None, ((rec.name, alt),))
            continue
        elif mistake.kind == "macs" and q == "macs":
            run = partial(mistake.compute, layer, ins, out, convention)
        if run is not None:
            for value, msg, name in _guarded(run):
                yield Alternative(value, msg, name, mistake.primary)


def _weights_values(mistake: Mistake, q: str, rec: LayerRecord, convention: str) -> Iterator[tuple[Value, str, str]]:
    for ws, msg, name in mistake.compute(rec.layer, rec.input_shapes):
        yield _measure(q, rec, rec.input_shapes, rec.output_shape, convention, ws), msg, name


def _shape_values(
    mistake: Mistake, q: str, rec: LayerRecord, convention: str
) -> Iterator[tuple[Value, str, str, Shape]]:
    for alt, msg, name in mistake.compute(rec.layer, rec.input_shapes, rec.output_shape):
        yield _measure(q, rec, rec.input_shapes, alt, convention), msg, name, alt


def _guarded(run: Callable[[], Iterable[Any]]) -> Iterator[Any]:
    """Alternatives are our own computations on odd sizes: one that fails is simply not a candidate."""
    try:
        items = list(run())
    except _SAFE:
        return
    yield from items


def ancestors(records: list[LayerRecord], index: int) -> list[int]:
    """The indices of the records a record depends on, nearest (latest) first."""
    where = {r.name: i for i, r in enumerate(records)}
    seen: set[int] = set()
    stack = [where[n] for n in records[index].inputs if n in where]
    while stack:
        i = stack.pop()
        if i not in seen:
            seen.add(i)
            stack.extend(where[n] for n in records[i].inputs if n in where)
    return sorted(seen, reverse=True)


def source_alternatives(q: str, records: list[LayerRecord], index: int, convention: str) -> Iterator[Alternative]:
    """The layer's value with its input channels (or features) read off another tensor than the one that feeds it.

    The classic slip on a second convolution: the image's 3 channels used again, where the
    layer is fed the previous layer's 32. A count of 1 is left to "input channels left out".
    """
    rec = records[index]
    layer = rec.layer
    if q not in ("params", "trainable", "non_trainable", "macs") or len(rec.input_shapes) != 1:
        return
    if not rec.weights or not (_has_kernel_and_bias(layer) or _bidirectional(layer)):
        return
    (shape,) = rec.input_shapes
    conv = hasattr(layer, "kernel_size")  # a convolution's channel axis; otherwise the last (features) axis
    axis = 1 if conv and not layer.channels_last else len(shape) - 1
    if axis < 1:
        return
    true, feeder = shape[axis], rec.inputs[0]
    word = "channels" if conv else "features"
    seen = {true, 1, None}
    for i in ancestors(records, index)[:MAX_UPSTREAM]:
        other = records[i]
        if other.name == feeder or len(other.output_shape) < 2 or (conv and len(other.output_shape) != len(shape)):
            continue
        c = other.output_shape[axis if conv else -1]
        if c in seen:
            continue
        seen.add(c)
        ins = [(*shape[:axis], c, *shape[axis + 1 :])]
        try:
            value = _measure(q, rec, ins, layer.output_shape(ins), convention)
        except _SAFE:
            continue
        where = "the model's input" if other.type == "InputLayer" else f"{other.name}'s output"
        right = f": {_terms(rec.weights)} = {_fmt(rec.params)}" if q == "params" else ""
        yield Alternative(
            value,
            (
                f"input {word} taken from {where} ({_fmt(c)}), but {rec.name} is fed by {feeder}, "
                f"whose output has {_fmt(true)} {word}{right}"
            ),
            "input channels taken from the wrong layer",
        )


def _carry(
    records: list[LayerRecord], start: int, alt_out: Shape, target: int
) -> tuple[list[Shape], Shape, dict[str, Shape]] | None:
    """The target's input and output shapes when layer ``start`` outputs ``alt_out`` instead, and what changed."""
    changed: dict[str, Shape] = {records[start].name: alt_out}
    for i in range(start + 1, target + 1):
        rec = records[i]
        if not any(n in changed for n in rec.inputs):
            continue
        ins = [changed.get(n, s) for n, s in zip(rec.inputs, rec.input_shapes)]
        if i == target:
            return ins, rec.layer.output_shape(ins), changed
        out = rec.layer.output_shape(ins)
        if tuple(out) != tuple(rec.output_shape):
            changed[rec.name] = out
    return None


def upstream_alternatives(
    q: str, records: list[LayerRecord], index: int, i: int, convention: str
) -> Iterator[Alternative]:
    """The target's value under each shape mistake made at layer ``i`` upstream, carried forward."""
    target, up = records[index], records[i]
    was = ", ".join(_fmt(s) for s in target.input_shapes)
    for mistake in MISTAKES:
        if mistake.kind != "shape" or not mistake.applies_to(up.layer):
            continue
        for value, ins, msg, name, changed in _guarded(partial(_carried_values, mistake, q, records, index, i, convention)):
            got = ", ".join(_fmt(s) for s in ins)
            yield Alternative(
                value,
                (
                    f"an upstream error carried forward, starting at {up.name} ({up.type}): {msg}; "
                    f"so {target.name} was fed {got} instead of {was}"
                ),
                name,
                mistake.primary,
                up.name,
                tuple(changed.items()),
            )


def _carried_values(
    mistake: Mistake, q: str, records: list[LayerRecord], index: int, i: int, convention: str
) -> Iterator[tuple[Value, list[Shape], str, str, dict[str, Shape]]]:
    up = records[i]
    for alt_out, msg, name in mistake.compute(up.layer, up.input_shapes, up.output_shape):
        try:
            carried = _carry(records, i, alt_out, index)
            if carried is not None:
                ins, out, changed = carried
                yield _measure(q, records[index], ins, out, convention), ins, msg, name, changed
        except _SAFE:
            continue
