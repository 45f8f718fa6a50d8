"""One call of a layer as the JSON records it, and its arguments: tensors become ``TensorArg``.

A layer call's tensors are of two kinds. Data inputs are the arguments the layer's
``call_inputs`` names (``inputs``, or MultiHeadAttention's ``query``, ``value``, ``key``),
given by position or keyword. Every other tensor (``mask=``, ``initial_state=``,
``attention_mask=``) is a side input: it orders the graph and counts for nothing.
A ``keras.ops`` call keeps every tensor as data, in order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ...errors import ParseError
from .config import _get


@dataclass(frozen=True)
class TensorArg:
    """A tensor in a ``keras.ops`` call's arguments: the ``index``-th input of the node."""

    index: int


@dataclass
class _NodeSpec:
    """One call of a layer as the JSON states it."""

    layer: str
    index: int
    refs: list[tuple[str, int, int]]  # (layer name, node index, tensor index) of each input tensor
    args: Any = ()
    kwargs: Any = None
    shapes: list[Any] | None = None  # the shape Keras 3 records for each input tensor
    side: list[tuple[str, int, int]] = field(default_factory=list)  # masks, initial states: no count
    side_shapes: list[Any] = field(default_factory=list)  # the shape Keras 3 records for each side tensor
    options: dict[str, Any] = field(default_factory=dict)  # the call's other keywords (return_attention_scores)
    legacy: bool = False  # a tf.keras 2 call, whose refs to a nested model count its construction as node 0


def _ref(item: Any, what: str) -> tuple[str, int, int]:
    if isinstance(item, list) and len(item) >= 3 and isinstance(item[0], str):
        node, tensor = item[1], item[2]
        if all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (node, tensor)):
            return item[0], node, tensor
    raise ParseError(f"{what}: expected [layer name, node index, tensor index], got {item!r}")


def _is_tensor(value: Any) -> bool:
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def _tensors(value: Any) -> Iterator[dict[str, Any]]:
    """The ``__keras_tensor__`` objects in call arguments, in order (depth first)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if _is_tensor(item):
            yield item
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


_QUIET_OPTIONS = ("training", "mask")  # call keywords that never change an output


def _split_call(args: list[Any], kwargs: dict[str, Any], names: tuple[str, ...] | None, legacy: bool) -> tuple[
    list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]
]:
    """(data tensors, side tensors, options) of one call, binding arguments to ``names`` (None: all data)."""
    if names is None:
        return list(_tensors([args, kwargs])), [], {}
    bound = list(args) if legacy else list(args[: len(names)])  # tf.keras 2 lists every inbound tensor as an arg
    extra = [] if legacy else list(args[len(names):])
    bound += [kwargs[n] for n in names[len(bound):] if n in kwargs]
    data = list(_tensors(_sorted(bound)))  # a model called on a dict takes it as keras.tree.flatten does
    side = list(_tensors(extra))
    options: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key in names:
            continue
        found = list(_tensors(value))
        if found:
            side += found
        elif value is not None and key not in _QUIET_OPTIONS:
            options[key] = value
    return data, side, options


def _sorted(value: Any) -> Any:
    """Dicts (but tensors) with their keys sorted, as ``keras.tree.flatten`` orders them."""
    if isinstance(value, dict) and not _is_tensor(value):
        return {k: _sorted(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def _history(tensor: dict[str, Any]) -> tuple[str, int, int]:
    history = _get(tensor, "config", "keras_history")
    return _ref(history, "keras_history")


def _call_arguments(spec: _NodeSpec) -> tuple[Any, Any]:
    """The node's args and kwargs with tensors as TensorArg(i) and ``__slice__`` as ``slice``."""
    counter = iter(range(len(spec.refs)))

    def convert(value: Any) -> Any:
        if _is_tensor(value):
            return TensorArg(next(counter))
        if isinstance(value, dict):
            if value.get("class_name") == "__slice__" and isinstance(value.get("config"), dict):
                c = value["config"]
                return slice(c.get("start"), c.get("stop"), c.get("step"))
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    args = convert(list(spec.args))
    kwargs = convert(dict(spec.kwargs or {}))
    return args, kwargs


def _constant_arguments(spec: _NodeSpec) -> bool:
    """True when an op call passes a value that is not a tensor (``ops.multiply(x, 2.0)``)."""

    def constant(value: Any) -> bool:
        if _is_tensor(value) or value is None:
            return False
        if isinstance(value, list):
            return any(constant(v) for v in value)
        return True

    return any(constant(a) for a in spec.args) or any(constant(v) for v in (spec.kwargs or {}).values())
