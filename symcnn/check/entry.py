"""Reading the student's entry: a number, arithmetic as people write it, a formula or a shape.

An entry may chain its working and its result with '=' ("(3² x 64 x 1) + 64 = 640", or
"640 = 3*3*64 + 64"): each side is kept with the text the student wrote, so that a result
their own working does not give can be named.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy

from ..errors import ArgumentError, ParseError
from ..expr import parse
from ..model import Model
from ..record import LayerRecord
from .fmt import _fmt
from .notation import MAC_UNITS, PARAM_UNITS, SHAPE_UNITS, translate

UNITS = {"params": PARAM_UNITS, "trainable": PARAM_UNITS, "non_trainable": PARAM_UNITS, "macs": MAC_UNITS}


def _symbol_table(model: Model, rec: LayerRecord) -> dict[str, sympy.Symbol]:
    """Names a formula may use: the model's symbols and those in the layer's own hyperparameters."""
    found: set[sympy.Symbol] = set(model.free_symbols) | set(model.defaults)
    stack: list[Any] = list(rec.layer.hyperparameters().values())
    while stack:
        v = stack.pop()
        if isinstance(v, sympy.Basic):
            found |= {s for s in v.free_symbols if isinstance(s, sympy.Symbol)}
        elif isinstance(v, (tuple, list)):
            stack.extend(v)
    return {s.name: s for s in found}


def _as_text(entry: Any, what: str) -> str:
    if isinstance(entry, bool) or not isinstance(entry, (str, int)):
        raise ArgumentError(f"{what} must be text or a whole number, got {entry!r}")
    return str(entry)


@dataclass(frozen=True)
class Side:
    """One side of an entry's '=' chain: the text as written and its value."""

    text: str
    value: sympy.Expr
    plain: bool  # a bare number: a stated result, not working


@dataclass
class Entry:
    """A number entry: its sides, the stated result (the last bare number, else the last side) and the working."""

    text: str
    sides: list[Side] = field(default_factory=list)

    @property
    def result(self) -> Side:
        plain = [s for s in self.sides if s.plain]
        return plain[-1] if plain else self.sides[-1]

    @property
    def working(self) -> list[Side]:
        return [s for s in self.sides if s is not self.result and not s.plain]


_PLAIN = re.compile(r"\s*\(?\s*[+]?\d+(?:\.\d+)?\s*\)?\s*")


def _parse(text: str, symbols: Mapping[str, sympy.Symbol], units: str | None = None) -> tuple[sympy.Expr, str]:
    """The value of one side, and the side in the parser's syntax."""
    syntax = translate(text, units=units)
    return parse(syntax, symbols, allow_new=False), syntax


def _read_number(entry: Any, symbols: Mapping[str, sympy.Symbol], what: str, quantity: str = "params") -> Entry:
    """An entry like "(3² x 64 x 1) + 64 = 640": the value of each side, as written."""
    if isinstance(entry, sympy.Expr):
        return Entry(_fmt(entry), [Side(_fmt(entry), entry, entry.is_Integer)])
    text = _as_text(entry, what)
    parts = text.split("=")
    if any(not p.strip() for p in parts):
        raise ParseError(f"{what}: empty side of '=' in {text!r}")
    sides = []
    for p in parts:
        value, syntax = _parse(p, symbols, UNITS.get(quantity))
        sides.append(Side(p.strip(), value, bool(_PLAIN.fullmatch(syntax.replace(",", "")))))
    return Entry(text, sides)


_STANDALONE_X = re.compile(r"\s*×\s*|\s+[xX]\s+|(?<=[\d)])\s*[xX]\s*(?=[\d(])")
_NUMBER_OR_NONE = re.compile(r"\d[\d,]*|None|\?|[A-Za-z]\w*")


def _split_top(text: str, sep: re.Pattern[str] | str) -> list[str]:
    """Split at separators outside brackets."""
    parts, depth, start = [], 0, 0
    pattern = re.compile(re.escape(sep)) if isinstance(sep, str) else sep
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "([⌊⌈{":
            depth += 1
        elif ch in ")]⌋⌉}":
            depth -= 1
        elif depth == 0:
            m = pattern.match(text, i)
            if m and m.end() > i:
                parts.append(text[start:i])
                start = i = m.end()
                continue
        i += 1
    parts.append(text[start:])
    return parts


def _read_shape(entry: Any, symbols: Mapping[str, sympy.Symbol], rank: int) -> tuple[Any, ...]:
    """A shape entry: "(None, 62, 62, 64)", "62, 62, 64", "62 x 62 x 64", "62 62 64" or "12544" (batch optional).

    Written without commas, "62 x 62" is a list of axes when the layer's output has more than
    one axis after the batch, and a product ("14 x 14 x 64" for a Flatten) when it has one.
    """
    if isinstance(entry, (tuple, list)):
        return tuple(
            None
            if d is None or (isinstance(d, str) and d.strip() in ("None", "?"))
            else d
            if isinstance(d, sympy.Expr)
            else _read_number(d, symbols, "shape").result.value
            for d in entry
        )
    text = translate(_as_text(entry, "shape").split("=")[-1], units=SHAPE_UNITS, times="×", group=rank <= 1)
    if not text:
        raise ParseError(f"empty shape {entry!r}")
    if text[:1] in "([" and text[-1:] in ")]" and "," not in text and _split_top(text[1:-1], _STANDALONE_X)[1:]:
        text = text[1:-1]  # "(62 x 62 x 64)"
    if "," in text:
        inner = text
        if inner[:1] in "([" and inner[-1:] in ")]":
            inner = inner[1:-1]
        items = [p.strip() for p in _split_top(inner, ",")]
        if items and items[-1] == "":
            items.pop()  # "(12544,)"
    else:
        items = [p.strip() for p in _split_top(text, _STANDALONE_X)]
        words = text.strip("()[] ").split()
        if len(items) > 1 and rank <= 1:
            items = [text]  # one axis: "14 x 14 x 64" is its product
        elif len(items) == 1 and len(words) > 1 and all(_NUMBER_OR_NONE.fullmatch(w) for w in words):
            items = words  # "62 62 64"
    dims: list[Any] = []
    for item in items:
        if item in ("None", "?", "null", "N", "batch", "B", "-1"):
            dims.append(None)
        elif not item:
            raise ParseError(f"empty axis in shape {entry!r}")
        else:
            dims.append(_parse(item, symbols)[0])
    return tuple(dims)


def _dropped_axes(rec: LayerRecord) -> set[Any]:
    """Sizes of the layer's input that its output no longer has: a number there cannot be a batch size."""
    ins = rec.input_shapes[0][1:] if rec.input_shapes else ()
    out = list(rec.output_shape[1:])
    dropped = set()
    for d in ins:
        if d in out:
            out.remove(d)
        elif d is not None:
            dropped.add(d)
    return dropped


def _normalise_shape(
    student: tuple[Any, ...], expected: tuple[Any, ...], rec: LayerRecord | None = None
) -> tuple[tuple[Any, ...], str]:
    """A shape written without the batch axis gets the expected one; any batch size fits Keras's None.

    A leading number that is a size the layer drops (a recurrent layer's time steps) is read as
    that axis, not as a batch size: "(10, 64)" for an LSTM's (None, 64) keeps the time axis.
    """
    if len(student) == len(expected) - 1:
        return (expected[0], *student), ""
    if len(student) == len(expected) and student and expected[0] is None and student[0] is not None:
        if rec is not None and len(rec.output_shape) < len(rec.input_shapes[0]) and student[0] in _dropped_axes(rec):
            return student, ""
        return (None, *student[1:]), f"the batch axis is None (any batch size), not {_fmt(student[0])}"
    return student, ""


def _shape_equal(student: tuple[Any, ...], alt: tuple[Any, ...], same: Any, batch: Any = None) -> bool:
    """The student's shape (batch axis written or not) against a shape, by ``same(a, b)`` per axis.

    A shape written without its batch axis is read with one only where ``alt`` starts with the
    batch (``batch``, the layer's real batch size, or None).
    """
    if len(student) == len(alt) - 1 and (alt[0] is None or alt[0] == batch):
        student = (alt[0], *student)
    elif len(student) == len(alt) and alt and alt[0] is None and student[0] is not None:
        student = (None, *student[1:])
    if len(student) != len(alt):
        return False
    return all((x is None and y is None) or (x is not None and y is not None and same(x, y)) for x, y in zip(student, alt))

