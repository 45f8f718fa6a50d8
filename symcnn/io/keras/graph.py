"""The functional graph: calls from ``inbound_nodes``, refs between them, and an order that reads inputs first."""

from __future__ import annotations

from typing import Any, Protocol

from ...errors import GraphError, ParseError
from .calls import _history, _NodeSpec, _ref, _split_call
from .config import _FUNCTIONAL, _SEQUENTIAL, _get, _kind
from .legacy import _keras2_node


class _Context(Protocol):
    """Where errors are reported: the layer being read (``None`` for the model as a whole)."""

    current: str | None


def _refs(value: Any, what: str) -> list[tuple[str, int, int]]:
    """``input_layers``/``output_layers``: one [name, node, tensor], or lists and dicts of them, nested.

    Keras nests them as the model's outputs nest (an RNN's stacked cells return lists of states);
    the refs come back flattened as Keras numbers them (``keras.tree.flatten``: dicts by sorted key).
    """
    if value is None or value == [] or value == {}:
        return []
    out: list[tuple[str, int, int]] = []
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > 32:
            raise ParseError(f"'{what}' is nested more than 32 deep")
        if isinstance(item, list) and item and isinstance(item[0], str):
            out.append(_ref(item, what))
        elif isinstance(item, (list, dict)) and item:
            items = [item[k] for k in sorted(item)] if isinstance(item, dict) else item
            stack.extend((v, depth + 1) for v in reversed(items))
        else:
            raise ParseError(
                f"'{what}' must be a list of [layer name, node index, tensor index], got {_kind(item)}"
            )
    return out


def _node_spec(layer: str, index: int, raw: Any, names: tuple[str, ...] | None = None) -> _NodeSpec:
    """One entry of ``inbound_nodes``: Keras 3 ``{"args", "kwargs"}`` or Keras 2 ``[[name, n, t, kw], ...]``.

    ``names`` are the layer's data arguments (``Layer.call_inputs``); None for a ``keras.ops`` call,
    whose every tensor is data.
    """
    if isinstance(raw, dict):
        args = raw.get("args", [])
        kwargs = raw.get("kwargs", {})
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise ParseError(f"call #{index}: 'args' must be a list and 'kwargs' an object")
        spec = _NodeSpec(layer, index, [], args, kwargs)
    elif isinstance(raw, list):
        spec = _keras2_node(layer, index, raw)
    else:
        raise ParseError(f"call #{index}: expected an object with 'args' or a list of inputs, got {_kind(raw)}")
    data, side, spec.options = _split_call(list(spec.args), dict(spec.kwargs or {}), names, spec.legacy)
    spec.refs = [_history(t) for t in data]
    spec.side = [_history(t) for t in side]
    if not spec.legacy:
        spec.shapes = [_get(t, "config", "shape") for t in data]
        spec.side_shapes = [_get(t, "config", "shape") for t in side]
    return spec


def _skip_builtin_nodes(
    specs: dict[tuple[str, int], _NodeSpec], table: dict[str, Any], outputs: list[tuple[str, int, int]]
) -> list[tuple[str, int, int]]:
    """Renumber refs to nested functional models, whose node 0 is their own construction.

    Keras counts a Functional model's construction as its node 0. In ``output_layers`` (and
    ``input_layers``) the first call saved in ``inbound_nodes`` is therefore node 1 (functional.py
    ``get_config``: ``kept_nodes = 1``); Keras 3's calls, though, name the saved calls directly
    (``serialize_node`` leaves out nodes of other models), so ``x = base(x)`` is read from
    ``["base", 0, 0]``. tf.keras 2 shifted every ref, and its nested Sequential is a Functional
    too, whose offset shows as a ref one past the saved calls. Refs come back indexing
    ``inbound_nodes`` directly.
    """
    legacy_refs = [ref for spec in specs.values() if spec.legacy for ref in (*spec.refs, *spec.side)]
    legacy = any(spec.legacy for spec in specs.values())
    calls: dict[str, int] = {}
    for layer, _ in specs:
        calls[layer] = calls.get(layer, 0) + 1
    offset: dict[str, int] = {}
    for name, (_, _, class_name, _) in table.items():
        if class_name in _FUNCTIONAL:
            offset[name] = 1
        elif class_name in _SEQUENTIAL and legacy:
            used = [r[1] for r in legacy_refs + outputs if r[0] == name]
            offset[name] = 1 if used and max(used) == calls.get(name, 0) else 0

    def shift(ref: tuple[str, int, int]) -> tuple[str, int, int]:
        step = offset.get(ref[0], 0)
        if step and ref[1] < step:
            raise GraphError(f"node #{ref[1]} of model {ref[0]!r} is its own construction, not a call in this model")
        return (ref[0], ref[1] - step, ref[2])

    for spec in specs.values():
        if spec.legacy:
            spec.refs = [shift(r) for r in spec.refs]
            spec.side = [shift(r) for r in spec.side]
    return [shift(r) for r in outputs]


def _recorded_outputs(specs: dict[tuple[str, int], _NodeSpec]) -> dict[tuple[str, int], Any]:
    """The output shape Keras 3 records for each call, as the input shape of a call that reads it."""
    recorded: dict[tuple[str, int], Any] = {}
    for other in specs.values():
        for ref, shape in [*zip(other.refs, other.shapes or []), *zip(other.side, other.side_shapes)]:
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
    every = [(key[0], [*spec.refs, *spec.side]) for key, spec in specs.items()]
    for who, refs in every + [("output_layers", outputs)]:
        for layer, node, _ in refs:
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
            refs = specs[key].refs + specs[key].side
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
