"""The sizes a teaching page lets the reader change, and where they start.

A symbolic model leaves its symbols open already. A numeric model gets its input's sizes
opened (``H``, ``W``, ``C`` ...) where the model allows it: an axis stays fixed when the
model only works at its one size (a ``Reshape`` to a fixed shape, a torch ``Linear``
whose ``in_features`` follows from the image size), which is found by building the
numeric model at other sizes of that axis.

>>> from symcnn import load
>>> opened = open_sizes(load("examples/seed.yaml"))
>>> [(s.name, v) for s, v in opened.start.items()]
[('H', 64), ('W', 64), ('C', 1)]
>>> opened.model.layers[-1].params
516
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy

from ..errors import SymcnnError
from ..expr import dim_symbol, is_identifier, parse
from ..formulas import is_number
from ..layers.core import InputLayer
from ..model import Model

__all__ = ["OpenSizes", "checked_name", "open_sizes", "start_values"]

# Axis names by rank (batch excluded), channels last; torch's channels-first inputs put C first.
_NAMES = {1: ("D",), 2: ("L", "C"), 3: ("H", "W", "C"), 4: ("D", "H", "W", "C"), 5: ("T", "D", "H", "W", "C")}
_TRIES = (1, 2, 7)  # offsets from an axis's size at which a numeric model is rebuilt


@dataclass(frozen=True)
class OpenSizes:
    """A model whose open symbols a reader may change, and the values they start at."""

    model: Model
    start: dict[sympy.Symbol, int]
    opened: bool  # True: the symbols were made here from a numeric model's input sizes


def checked_name(symbol: sympy.Symbol) -> str | None:
    """The symbol's name if symcnn's own parser reads it back as that very symbol, else None.

    >>> checked_name(sympy.Symbol("H_in")), checked_name(sympy.Symbol("a b"))
    ('H_in', None)
    """
    name = symbol.name
    if not is_identifier(name):
        return None
    try:
        back = parse(name)
    except SymcnnError:
        return None
    return name if isinstance(back, sympy.Symbol) and back.name == name else None


def start_values(model: Model) -> dict[sympy.Symbol, int] | None:
    """A whole-number value for every free symbol: the model's default, else the least its constraints allow.

    None when no such values give a valid model.

    >>> from symcnn import load
    >>> sorted((s.name, v) for s, v in start_values(load("examples/seed_symbolic.yaml")).items())
    [('C', 1), ('F', 64), ('H', 64), ('W', 64)]
    """
    free = sorted(model.free_symbols, key=lambda s: s.name)
    bounds: dict[sympy.Symbol, int] = {}
    for c in model.constraints:
        cond = c.condition
        if isinstance(cond, sympy.GreaterThan) and cond.lhs.is_Symbol and cond.rhs.is_Integer:
            bounds[cond.lhs] = max(bounds.get(cond.lhs, 1), int(cond.rhs))
    values = {s: int(model.defaults[s]) if s in model.defaults else max(bounds.get(s, 1), 8) for s in free}
    for _ in range(4):
        if _valid_at(model, values):
            return values
        values = {s: v if s in model.defaults else 2 * v for s, v in values.items()}
    return None


def _valid_at(model: Model, values: Mapping[sympy.Symbol, int]) -> bool:
    try:
        at = model.subs(dict(values))
        return all(is_number(d) for r in at.records for d in r.output_shape if d is not None)
    except SymcnnError:
        return False


def open_sizes(model: Model) -> OpenSizes | None:
    """The model with the sizes a reader may change left open, or None if it has none to change."""
    if model.free_symbols:
        values = start_values(model)
        return None if values is None else OpenSizes(model, values, opened=False)
    inputs = [r for r in model.records if isinstance(r.layer, InputLayer)]
    if not inputs:
        return None
    several = len(inputs) > 1
    shapes: list[tuple[Any, ...]] = []
    start: dict[sympy.Symbol, int] = {}
    for k, rec in enumerate(inputs, start=1):
        shape = list(rec.output_shape)
        dims = shape[1:]
        names = _axis_names(len(dims), model.convention == "torch")
        for i, (d, name) in enumerate(zip(dims, names), start=1):
            if d is None or not is_number(d) or not _varies(model, inputs, k - 1, i):
                continue
            symbol = dim_symbol(f"{name}{k}" if several else name)
            shape[i] = symbol
            start[symbol] = int(d)
        shapes.append(tuple(shape))
    if not start:
        return None
    try:
        opened = model.with_input(*shapes)
        _ = opened.records, opened.total_params
    except SymcnnError:
        return None
    return OpenSizes(opened, start, opened=True)


def _axis_names(rank: int, channels_first: bool) -> tuple[str, ...]:
    names = _NAMES.get(rank, tuple(f"D{i}" for i in range(1, rank + 1)))
    if channels_first and rank >= 2:
        names = (names[-1], *names[:-1])
    return names


def _varies(model: Model, inputs: list[Any], which: int, axis: int) -> bool:
    """True if the numeric model builds with this one input axis at several other sizes."""
    base = [tuple(r.output_shape) for r in inputs]
    for offset in _TRIES:
        shapes = list(base)
        shape = list(shapes[which])
        shape[axis] = int(shape[axis]) + offset
        shapes[which] = tuple(shape)
        try:
            _ = model.with_input(*shapes).records
        except SymcnnError:
            return False
    return True
