"""A file that contradicts itself is refused: the ONNX rules that tie a node's attributes, weights and inputs together.

An ONNX file states some sizes twice: ``kernel_shape`` and the weight's shape, the input's
channels and the weight's, a BatchNorm's channels and its four vectors. Which one would
symcnn count? Neither: :func:`check_node` compares every pair the ONNX operator spec ties
together (numbers only; a symbolic size is taken to fit) and names the node and both sizes
when they disagree. :func:`check_writers` refuses a tensor written twice (two nodes, a
node and an initializer, a graph input and a node).

>>> from types import SimpleNamespace as N
>>> check_node(N(op_type="BatchNormalization", name="bn"), [(1, 3, 8, 8), (7,), (3,), (3,), (3,)], {})
Traceback (most recent call last):
...
symcnn.errors.ShapeError: BatchNormalization: the scale has shape (7,) but the input has 3 channels
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ...errors import GraphError, ShapeError
from ...formulas import is_number

Shape = Sequence[Any]
_ELEMENTWISE = frozenset({"Add", "Sub", "Mul", "Div", "Max", "Min", "Sum", "Mean", "Pow", "Mod", "Where", "Equal",
                          "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "BitShift"})


def _differ(a: Any, b: Any) -> bool:
    return is_number(a) and is_number(b) and int(a) != int(b)


def _fmt(shape: Shape | None) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")" if shape is not None else "?"


def _broadcast_conflict(shapes: Sequence[Shape]) -> tuple[int, list[Any]] | None:
    """The first axis (from the right) where known sizes other than 1 differ, with those sizes."""
    rank = max(len(s) for s in shapes)
    for back in range(1, rank + 1):
        sizes = {int(s[-back]) for s in shapes if len(s) >= back and is_number(s[-back]) and s[-back] != 1}
        if len(sizes) > 1:
            return rank - back, sorted(sizes)
    return None


def _vector(shapes: Sequence[Shape | None], i: int, length: Any, what: str, whose: str, op: str) -> None:
    shape = shapes[i] if len(shapes) > i else None
    if shape is None or length is None:
        return
    if len(shape) != 1 or _differ(shape[0], length):
        raise ShapeError(f"{op}: the {what} has shape {_fmt(shape)} but {whose}")


def _conv(op: str, shapes: Sequence[Shape | None], attrs: dict[str, Any]) -> None:
    x, w = shapes[0], shapes[1] if len(shapes) > 1 else None
    if x is None or w is None or len(w) < 3 or len(x) != len(w):
        return
    rank = len(w) - 2
    group = attrs.get("group", 1)
    if not isinstance(group, int) or group < 1:
        raise ShapeError(f"{op}: group must be a positive whole number, got {group!r}")
    kernel = attrs.get("kernel_shape")
    if kernel and (len(kernel) != rank or any(_differ(k, d) for k, d in zip(kernel, w[2:]))):
        raise ShapeError(f"{op}: kernel_shape {list(kernel)} disagrees with the weight's shape {_fmt(w)}")
    for key in ("strides", "dilations"):
        value = attrs.get(key)
        if value and (len(value) != rank or any(not isinstance(v, int) or v < 1 for v in value)):
            raise ShapeError(f"{op}: {key} {list(value)} must be {rank} positive whole numbers")
    if op == "Conv":
        out, inputs = w[0], (w[1] * group if is_number(w[1]) else None)
        if is_number(out) and out % group:
            raise ShapeError(f"{op}: the weight's {out} output channels do not split into {group} groups")
    else:
        inputs, out = w[0], (w[1] * group if is_number(w[1]) else None)
        if is_number(inputs) and inputs % group:
            raise ShapeError(f"{op}: the weight's {inputs} input channels do not split into {group} groups")
    if inputs is not None and _differ(x[1], inputs):
        raise ShapeError(f"{op}: the input has {x[1]} channels but the weight {_fmt(w)} with group={group} "
                         f"takes {inputs}")
    _vector(shapes, 2, out, "bias", f"the weight {_fmt(w)} makes {out} channels", op)


def _norm(count: int) -> Callable[[str, Sequence[Shape | None], dict[str, Any]], None]:
    def check(op: str, shapes: Sequence[Shape | None], attrs: dict[str, Any]) -> None:
        x = shapes[0]
        if x is None or len(x) < 2:
            return
        names = ("scale", "bias", "mean", "variance")
        for i in range(1, count + 1):
            _vector(shapes, i, x[1], names[i - 1], f"the input has {x[1]} channels", op)

    return check


def _group_norm(op: str, shapes: Sequence[Shape | None], attrs: dict[str, Any]) -> None:
    x = shapes[0]
    groups = attrs.get("num_groups")
    if x is None or len(x) < 2 or not isinstance(groups, int):
        return
    if groups < 1 or (is_number(x[1]) and x[1] % groups):
        raise ShapeError(f"{op}: the input's {x[1]} channels do not split into num_groups={groups}")
    for i, what in ((1, "scale"), (2, "bias")):
        shape = shapes[i] if len(shapes) > i else None
        if shape is not None and (len(shape) != 1 or (_differ(shape[0], x[1]) and _differ(shape[0], groups))):
            raise ShapeError(f"{op}: the {what} has shape {_fmt(shape)} but the input has {x[1]} channels "
                             f"in {groups} groups")


def _layer_norm(op: str, shapes: Sequence[Shape | None], attrs: dict[str, Any]) -> None:
    x = shapes[0]
    if x is None:
        return
    axis = attrs.get("axis", -1)
    axis = axis + len(x) if isinstance(axis, int) and axis < 0 else axis
    if not isinstance(axis, int) or not 0 <= axis < len(x):
        raise ShapeError(f"{op}: axis {attrs.get('axis')} is out of range for an input of rank {len(x)}")
    normalized = list(x[axis:])
    for i, what in ((1, "scale"), (2, "bias")):
        shape = shapes[i] if len(shapes) > i else None
        if shape is not None and (len(shape) > len(normalized) or _broadcast_conflict([normalized, shape])):
            raise ShapeError(f"{op}: the {what} has shape {_fmt(shape)}, which does not fit the normalized "
                             f"axes {_fmt(normalized)}")


def _gemm(op: str, shapes: Sequence[Shape | None], attrs: dict[str, Any]) -> None:
    a, b = shapes[0], shapes[1] if len(shapes) > 1 else None
    if a is None or b is None or len(a) != 2 or len(b) != 2:
        return
    m, k = (a[1], a[0]) if attrs.get("transA", 0) else (a[0], a[1])
    kb, n = (b[1], b[0]) if attrs.get("transB", 0) else (b[0], b[1])
    if _differ(k, kb):
        raise ShapeError(f"{op}: A {_fmt(a)} has {k} columns but B {_fmt(b)} has {kb} rows (transB="
                         f"{attrs.get('transB', 0)})")
    c = shapes[2] if len(shapes) > 2 else None
    if c is not None and (len(c) > 2 or any(_differ(d, o) and d != 1 for d, o in zip(reversed(c), (n, m)))):
        raise ShapeError(f"{op}: the bias C {_fmt(c)} does not broadcast to the output ({m}, {n})")


def _matmul(op: str, shapes: Sequence[Shape | None], attrs: dict[str, Any]) -> None:
    a, b = shapes[0], shapes[1] if len(shapes) > 1 else None
    if a is None or b is None or not a or not b:
        return
    inner_a, inner_b = a[-1], (b[-2] if len(b) >= 2 else b[0])
    if _differ(inner_a, inner_b):
        raise ShapeError(f"{op}: {_fmt(a)} times {_fmt(b)}: {inner_a} columns against {inner_b} rows")


def _prelu(op: str, shapes: Sequence[Shape | None], attrs: dict[str, Any]) -> None:
    x, slope = shapes[0], shapes[1] if len(shapes) > 1 else None
    if x is None or slope is None:
        return
    if len(slope) > len(x) or any(_differ(s, d) and s != 1 for s, d in zip(reversed(slope), reversed(x))):
        raise ShapeError(f"{op}: the slope {_fmt(slope)} does not broadcast to the input {_fmt(x)}")


_RULES: dict[str, Callable[[str, Sequence[Shape | None], dict[str, Any]], None]] = {
    "Conv": _conv, "ConvTranspose": _conv, "BatchNormalization": _norm(4), "InstanceNormalization": _norm(2),
    "GroupNormalization": _group_norm, "LayerNormalization": _layer_norm, "Gemm": _gemm, "MatMul": _matmul,
    "PRelu": _prelu,
}


def check_node(node: Any, shapes: Sequence[Shape | None], attrs: dict[str, Any]) -> None:
    """Refuse a node whose attributes, weights and inputs disagree (``shapes`` per input, None when unknown)."""
    op = node.op_type
    rule = _RULES.get(op)
    if rule is not None:
        rule(op, shapes, attrs)
    elif op in _ELEMENTWISE:
        known = [s for s in shapes if s is not None]
        if op == "Where":
            known = [s for s in shapes[:3] if s is not None]
        conflict = _broadcast_conflict(known) if len(known) > 1 else None
        if conflict is not None:
            raise ShapeError(f"{op}: the inputs {', '.join(_fmt(s) for s in known)} cannot broadcast: sizes "
                             f"{' and '.join(map(str, conflict[1]))} meet on one axis")


def _who(node: Any, index: int) -> str:
    return f"node {node.name!r} ({node.op_type})" if node.name else f"node #{index + 1} ({node.op_type})"


def check_writers(graph: Any, initializers: Sequence[str]) -> None:
    """Every tensor has one writer: a graph input, an initializer (which may also be listed as an input) or a node."""
    writers: dict[str, str] = {}
    for name in initializers:
        if name in writers:
            raise GraphError(f"two initializers are named {name!r}")
        writers[name] = f"initializer {name!r}"
    stored = set(writers)
    for inp in graph.input:
        if inp.name in writers and inp.name not in stored:
            raise GraphError(f"two graph inputs are named {inp.name!r}")
        writers.setdefault(inp.name, f"graph input {inp.name!r}")
    for index, node in enumerate(graph.node):
        for out in node.output:
            if not out:
                continue
            if out in writers:
                raise GraphError(f"{_who(node, index)} writes tensor {out!r}, which {writers[out]} already writes")
            writers[out] = _who(node, index)
