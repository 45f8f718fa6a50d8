"""How the checker writes values: as a student would, 14.5, 29/3, (None, 62, 62, 64), 9*C*F + F."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import sympy

from ..layers.base import format_shape

Value = Any  # a count (sympy.Expr), an output shape (a tuple, batch first) or None

QUANTITIES = ("shape", "params", "trainable", "non_trainable", "macs")
LABELS = {
    "shape": "output shape",
    "params": "params",
    "trainable": "trainable params",
    "non_trainable": "non-trainable params",
    "macs": "MACs",
}


def _fmt(value: Any) -> str:
    """A value as a student would write it: 14.5, 29/3, (None, 62, 62, 64), 9*C*F + F."""
    if value is None:
        return "None"
    if isinstance(value, tuple):
        return format_shape(tuple(None if d is None else _Dim(d) for d in value))
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, sympy.Basic):
        return str(value)
    if value.is_Integer:
        return str(value)
    if value.is_Rational:
        q = int(value.q)
        while q % 2 == 0:
            q //= 2
        while q % 5 == 0:
            q //= 5
        return str(sympy.Float(value, 30)).rstrip("0").rstrip(".") if q == 1 else f"{value.p}/{value.q}"
    return sympy.sstr(value).replace("**", "^")


class _Dim:
    def __init__(self, d: Any) -> None:
        self.d = d

    def __str__(self) -> str:
        return _fmt(self.d)


def _times(dims: Iterable[Any]) -> str:
    parts = [_fmt(d) for d in dims]
    parts = [p if re.fullmatch(r"[\w.^/]+", p) else f"({p})" for p in parts]
    return "×".join(parts) or "1"


def _equals(entry: str, value: Value) -> str:
    shown = _fmt(value)
    forms = {shown, _fmt(value[1:]) if isinstance(value, tuple) else shown}
    same = {re.sub(r"[\s,()]", "", f) for f in forms}
    return "" if re.sub(r"[\s,()]", "", entry) in same else f"  (= {shown})"


def _point(pt: Mapping[sympy.Symbol, Any]) -> str:
    return ", ".join(f"{s.name}={v}" for s, v in sorted(pt.items(), key=lambda kv: kv[0].name))


def _fill_message(msg: str, value: Value) -> str:
    return msg.replace("{value}", _fmt(value))
