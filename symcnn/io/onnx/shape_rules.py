"""Shape rules shared by constant folding and by the shape-only layers (Unsqueeze, Squeeze, Reshape, Slice).

>>> from symcnn.expr import dim_symbol
>>> H = dim_symbol("H")
>>> reshape_target((1, 8, H, H), [0, -1])
(1, 8*H**2)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy

from ...errors import ShapeError
from ...formulas import is_number, prod, simplify_int
from ...layers.base import format_shape


def axis_index(axis: int, rank: int, op: str) -> int:
    """``axis`` counted from the front (ONNX allows negative axes), checked against ``rank``."""
    if not -rank <= axis < max(rank, 1):
        raise ShapeError(f"{op}: axis {axis} is out of range for rank {rank}")
    return axis + rank if axis < 0 else axis


def unsqueeze_shape(shape: Sequence[Any], axes: Sequence[Any]) -> tuple[Any, ...]:
    rank = len(shape) + len(axes)
    where = sorted(axis_index(int(a), rank, "Unsqueeze") for a in axes)
    out = list(shape)
    for a in where:
        out.insert(a, 1)
    return tuple(out)


def squeeze_shape(shape: Sequence[Any], axes: Sequence[Any] | None) -> tuple[Any, ...]:
    if axes is None:
        return tuple(d for d in shape if d != 1)
    drop = {axis_index(int(a), len(shape), "Squeeze") for a in axes}
    for a in drop:
        if is_number(shape[a]) and shape[a] != 1:
            raise ShapeError(f"Squeeze: axis {a} of {format_shape(tuple(shape))} is not 1")
    return tuple(d for i, d in enumerate(shape) if i not in drop)


def reshape_target(shape: Sequence[Any], target: Sequence[Any], allowzero: int = 0) -> tuple[Any, ...]:
    """ONNX Reshape: 0 copies the input's size (unless ``allowzero``), one -1 is inferred."""
    out = [shape[i] if (d == 0 and not allowzero and i < len(shape)) else d for i, d in enumerate(target)]
    if sum(1 for d in out if d == -1) > 1:
        raise ShapeError(f"Reshape target {list(target)} has more than one -1")
    total = prod(shape)
    if -1 in out:
        known = prod(d for d in out if d != -1)
        rest = simplify_int(sympy.cancel(total / known)) if not (is_number(total) and is_number(known)) else None
        if rest is None:
            if known == 0 or total % known:
                raise ShapeError(f"cannot reshape {format_shape(tuple(shape))} to {list(target)}")
            rest = total // known
        elif not (isinstance(rest, int) or rest.is_integer):
            rest = simplify_int(sympy.simplify(rest))
        out = [rest if d == -1 else d for d in out]
    else:
        size = prod(out)
        if is_number(size) and is_number(total) and size != total:
            raise ShapeError(f"cannot reshape {format_shape(tuple(shape))} ({total} values) to {list(target)}")
    for d in out:
        if is_number(d) and d < 0:
            raise ShapeError(f"Reshape target {list(target)} has a negative size")
    return tuple(out)


