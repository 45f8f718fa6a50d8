"""Arithmetic on sizes: ONNX's scalar ops on Python numbers and SymPy expressions, element by element.

>>> from symcnn.expr import dim_symbol
>>> H = dim_symbol("H")
>>> BINARY["Mul"](2, H), div(False)(H, 2)
(2*H, floor(H/2))
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import sympy

from ...errors import ShapeError, UnknownLayerError
from ...formulas import floor_div, is_number, simplify_int
from .values import rational

INT_TYPES = {2, 3, 4, 5, 6, 7, 12, 13}  # uint8 int8 uint16 int16 int32 int64 uint32 uint64
BOOL_TYPE = 9


def map_elements(fn: Callable[..., Any], *arrays: np.ndarray) -> np.ndarray:
    """``fn`` applied to the broadcast arrays' items, into an object array."""
    try:
        b = np.broadcast_arrays(*arrays)
    except ValueError:
        raise ShapeError(f"shapes {[a.shape for a in arrays]} do not broadcast") from None
    out = np.empty(b[0].shape, dtype=object)
    flat = out.reshape(-1)
    for i, items in enumerate(zip(*(x.reshape(-1).tolist() for x in b))):
        flat[i] = fn(*items)
    return out


def div(is_float: bool) -> Callable[[Any, Any], Any]:
    """ONNX Div: true division on floats, division truncating toward zero on integers."""
    def div(a: Any, b: Any) -> Any:
        a, b = rational(a), rational(b)
        if b == 0:
            raise ShapeError("a size computation divides by zero")
        if is_float:
            return simplify_int(sympy.Rational(a, b) if isinstance(a, int) and isinstance(b, int) else a / b)
        if isinstance(a, int) and isinstance(b, int):
            q = abs(a) // abs(b)  # ONNX integer division truncates toward zero
            return q if (a >= 0) == (b > 0) else -q
        if is_number(b) and b > 0:
            return floor_div(a, b)  # sizes are positive: truncation is the floor
        return simplify_int(sympy.floor(a / b))

    return div


def _compare(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], bool]:
    def cmp(a: Any, b: Any) -> bool:
        result = op(rational(a), rational(b))
        if result in (True, False) or isinstance(result, (bool, np.bool_)):
            return bool(result)
        if isinstance(result, sympy.logic.boolalg.BooleanAtom):
            return bool(result)
        raise UnknownLayerError(f"cannot decide {result} for every size")

    return cmp


def _arith(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    return lambda a, b: simplify_int(fn(rational(a), rational(b)))


def _max(a: Any, b: Any) -> Any:
    a, b = rational(a), rational(b)
    return max(a, b) if is_number(a) and is_number(b) else simplify_int(sympy.Max(a, b))


def _min(a: Any, b: Any) -> Any:
    a, b = rational(a), rational(b)
    return min(a, b) if is_number(a) and is_number(b) else simplify_int(sympy.Min(a, b))


def _floor(a: Any) -> Any:
    a = rational(a)
    return math.floor(a) if isinstance(a, int) else simplify_int(sympy.floor(a))


def _ceil(a: Any) -> Any:
    a = rational(a)
    return math.ceil(a) if isinstance(a, int) else simplify_int(sympy.ceiling(a))


BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "Add": _arith(lambda a, b: a + b),
    "Sub": _arith(lambda a, b: a - b),
    "Mul": _arith(lambda a, b: a * b),
    "Max": _max,
    "Mod": _arith(lambda a, b: a % b if is_number(a) and is_number(b) else sympy.Mod(a, b)),
    "Min": _min,
    "Equal": _compare(lambda a, b: sympy.Eq(a, b) if not (is_number(a) and is_number(b)) else a == b),
    "Less": _compare(lambda a, b: a < b),
    "Greater": _compare(lambda a, b: a > b),
    "LessOrEqual": _compare(lambda a, b: a <= b),
    "GreaterOrEqual": _compare(lambda a, b: a >= b),
    "And": lambda a, b: bool(a) and bool(b),
    "Or": lambda a, b: bool(a) or bool(b),
}
UNARY: dict[str, Callable[[Any], Any]] = {
    "Neg": lambda a: simplify_int(-rational(a)),
    "Abs": lambda a: simplify_int(abs(rational(a))),
    "Floor": _floor,
    "Ceil": _ceil,
    "Not": lambda a: not a,
    "Sqrt": lambda a: math.sqrt(a) if is_number(a) or isinstance(a, float) else sympy.sqrt(rational(a)),
    "Reciprocal": lambda a: simplify_int(1 / rational(a)) if rational(a) != 0 else math.inf,
    "Sign": lambda a: (a > 0) - (a < 0) if is_number(a) or isinstance(a, float) else simplify_int(sympy.sign(a)),
    "Identity": lambda a: a,
}
