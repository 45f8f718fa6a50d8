"""Reading the student's entry: a number, arithmetic as people write it, a formula or a shape."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import sympy

from ..errors import ArgumentError, ParseError
from ..expr import parse
from ..model import Model
from ..record import LayerRecord
from .fmt import Value, _fmt


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


def _read_number(
    entry: Any, symbols: Mapping[str, sympy.Symbol], what: str
) -> tuple[sympy.Expr, list[tuple[str, Any]]]:
    """The value of an entry like "(3² x 64 x 1) + 64 = 640" (its last side), and its other sides."""
    if isinstance(entry, sympy.Expr):
        return entry, []
    text = _as_text(entry, what)
    parts = text.split("=")
    if any(not p.strip() for p in parts):
        raise ParseError(f"{what}: empty side of '=' in {text!r}")
    values = [parse(p, symbols, allow_new=False) for p in parts]
    return values[-1], [(p.strip(), v) for p, v in zip(parts[:-1], values[:-1])]


def _slips(sides: list[tuple[str, Any]], student: Value, expected: Value) -> tuple[list[str], bool]:
    """Notes on sides of an "a = b" entry that do not equal its result; True if one of them is right."""
    notes, right = [], False
    for text, v in sides:
        if isinstance(student, tuple) or (v - student).free_symbols or v == student:
            continue
        if not (v - expected).free_symbols and v == expected:
            notes.append(f"arithmetic slip: your formula {text} is right, it makes {_fmt(v)}, not {_fmt(student)}")
            right = True
        else:
            notes.append(f"arithmetic slip: {text} is {_fmt(v)}, not {_fmt(student)}")
    return notes, right


_STANDALONE_X = re.compile(r"(?<=[\w)\s.])\s*[x×X]\s*(?=[\d\s(])")


def _split_top(text: str, sep: re.Pattern[str] | str) -> list[str]:
    """Split at separators outside brackets."""
    parts, depth, start = [], 0, 0
    pattern = re.compile(re.escape(sep)) if isinstance(sep, str) else sep
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "([⌊⌈":
            depth += 1
        elif ch in ")]⌋⌉":
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
    """A shape entry: "(None, 62, 62, 64)", "62, 62, 64", "62 x 62 x 64" or "12544" (batch optional)."""
    if isinstance(entry, (tuple, list)):
        items = list(entry)
        return tuple(
            None
            if d is None or (isinstance(d, str) and d.strip() in ("None", "?"))
            else d
            if isinstance(d, sympy.Expr)
            else _read_number(d, symbols, "shape")[0]
            for d in items
        )
    text = _as_text(entry, "shape").split("=")[-1].strip()
    if not text:
        raise ParseError(f"empty shape {entry!r}")
    if "," in text:
        inner = text
        if inner[:1] in "([" and inner[-1:] in ")]":
            inner = inner[1:-1]
        items = [p.strip() for p in _split_top(inner, ",")]
        if items and items[-1] == "":
            items.pop()  # "(12544,)"
    else:
        items = [p.strip() for p in _split_top(text, _STANDALONE_X)]
        if not (rank > 1 and len(items) == rank):
            items = [text]
    dims: list[Any] = []
    for item in items:
        if item in ("None", "?", "null", "N", "batch"):
            dims.append(None)
        elif not item:
            raise ParseError(f"empty axis in shape {entry!r}")
        else:
            dims.append(parse(item, symbols, allow_new=False))
    return tuple(dims)


def _normalise_shape(student: tuple[Any, ...], expected: tuple[Any, ...]) -> tuple[tuple[Any, ...], str]:
    """A shape written without the batch axis gets the expected one; any batch size fits Keras's None."""
    if len(student) == len(expected) - 1:
        return (expected[0], *student), ""
    if len(student) == len(expected) and student and expected[0] is None and student[0] is not None:
        return (None, *student[1:]), f"the batch axis is None (any batch size), not {_fmt(student[0])}"
    return student, ""
