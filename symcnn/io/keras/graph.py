"""The functional graph: calls from ``inbound_nodes``, refs between them, and an order that reads inputs first."""

from __future__ import annotations

from typing import Any, Protocol

from ...errors import GraphError, ParseError, UnknownLayerError
from .calls import _history, _NodeSpec, _ref, _tensors
from .config import _FUNCTIONAL, _SEQUENTIAL, _get, _kind
from .legacy import _keras2_node


class _Context(Protocol):
    """Where errors are reported: the layer being read (``None`` for the model as a whole)."""

    current: str | None


def _refs(value: Any, what: str) -> list[tuple[str, int, int]]:
    """``input_layers``/``output_layers``: one [name, node, tensor], a list of them, or a dict of them."""
    if value is None:
        return []
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list) and value and isinstance(value[0], str):
        value = [value]
    if not isinstance(value, list):
        raise ParseError(f"'{what}' must be a list of [layer name, node index, tensor index], got {_kind(value)}")
    return [_ref(item, what) for item in value]


def _node_spec(layer: str, index: int, raw: Any) -> _NodeSpec:
    """One entry of ``inbound_nodes``: Keras 3 ``{"args", "kwargs"}`` or Keras 2 ``[[name, n, t, kw], ...]``."""
    if isinstance(raw, dict):
        args = raw.get("args", [])
        kwargs = raw.get("kwargs", {})
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise ParseError(f"call #{index}: 'args' must be a list and 'kwargs' an object")
        tensors = list(_tensors([args, kwargs]))
        shapes = [_get(t, "config", "shape") for t in tensors]
        return _NodeSpec(layer, index, [_history(t) for t in tensors], args, kwargs, shapes)
    if isinstance(raw, list):
        return _keras2_node(layer, index, raw)
    raise ParseError(f"call #{index}: expected an object with 'args' or a list of inputs, got {_kind(raw)}")


def _skip_builtin_nodes(
    specs: dict[tuple[str, int], _NodeSpec], table: dict[str, Any], outputs: list[tuple[str, int, int]]
) -> list[tuple[str, int, int]]:
    """Renumber calls of nested functional models, whose call #0 is their own construction.

    Keras counts a Functional model's construction as its node 0, so the first call saved in
    ``inbound_nodes`` is referenced as node 1 (functional.py ``get_config``: ``kept_nodes = 1``).
    A Keras 2 Sequential is a Functional too; there the offset shows as a reference one past the
    saved calls. Refs are rewritten in place to index ``inbound_nodes`` directly.
    """
    refs = [ref for spec in specs.values() for ref in spec.refs] + outputs
    calls: dict[str, int] = {}
    for layer, _ in specs:
        calls[layer] = calls.get(layer, 0) + 1
    offset: dict[str, int] = {}
    for name, (_, _, class_name, _) in table.items():
        if class_name in _FUNCTIONAL:
            offset[name] = 1
        elif class_name in _SEQUENTIAL:
            used = [r[1] for r in refs if r[0] == name]
            offset[name] = 1 if used and max(used) == calls.get(name, 0) else 0

    def shift(ref: tuple[str, int, int]) -> tuple[str, int, int]:
        step = offset.get(ref[0], 0)
        if step and ref[1] < step:
            raise GraphError(f"node #{ref[1]} of model {ref[0]!r} is its own construction, not a call in this model")
        return (ref[0], ref[1] - step, ref[2])

    for spec in specs.values():
        spec.refs = [shift(r) for r in spec.refs]
    return [shift(r) for r in outputs]


def _recorded_outputs(specs: dict[tuple[str, int], _NodeSpec]) -> dict[tuple[str, int], Any]:
    """The output shape Keras 3 records for each call, as the input shape of a call that reads it."""
    recorded: dict[tuple[str, int], Any] = {}
    for other in specs.values():
        for ref, shape in zip(other.refs, other.shapes or []):
            if ref[2] == 0 and isinstance(shape, list):
                recorded.setdefault((ref[0], ref[1]), shape)
    return recorded


def _order(
    context: _Context,
    specs: dict[tuple[str, int], _NodeSpec],
    table: dict[str, Any],
    inputs: list[tuple[str, int, int]],
    outputs: list[tuple[str, int, int]],
) -> list[tuple[str, int]]:
    """Every node after the nodes it reads, inputs first in ``input_layers`` order, else JSON order."""
    for who, refs in [(key[0], spec.refs) for key, spec in specs.items()] + [("output_layers", outputs)]:
        for layer, node, tensor in refs:
            context.current = who if who != "output_layers" else None
            if layer not in table:
                raise GraphError(
                    f"takes input from an unknown layer {layer!r}"
                    if who != "output_layers"
                    else f"output_layers names an unknown layer {layer!r}"
                )
            if (layer, node) not in specs:
                raise GraphError(
                    f"uses call #{node} of layer {layer!r}, which has {sum(1 for k in specs if k[0] == layer)} call(s)"
                )
            if tensor != 0:
                raise UnknownLayerError(
                    f"uses output #{tensor} of layer {layer!r}; symcnn follows layers with one output only"
                )
    context.current = None
    keys = [(r[0], 0) for r in inputs] + sorted(specs, key=lambda k: (table[k[0]][0], k[1]))
    state: dict[tuple[str, int], int] = {}  # 1 = on the path, 2 = placed
    order: list[tuple[str, int]] = []
    for start in keys:
        if state.get(start) == 2:
            continue
        stack: list[tuple[tuple[str, int], int]] = [(start, 0)]
        state[start] = 1
        while stack:
            key, i = stack.pop()
            refs = specs[key].refs
            if i < len(refs):
                stack.append((key, i + 1))
                child = (refs[i][0], refs[i][1])
                if state.get(child) == 1:
                    context.current = key[0]
                    raise GraphError(f"the graph has a cycle: {key[0]!r} depends on itself through {child[0]!r}")
                if state.get(child) != 2:
                    state[child] = 1
                    stack.append((child, 0))
            else:
                state[key] = 2
                order.append(key)
    return order
