"""The graph under a model: the order of its nodes (layer calls) and their names."""

from __future__ import annotations

from collections.abc import Sequence

from .errors import GraphError
from .layers.base import snake_case
from .tensor import Node

MAX_LAYERS = 100_000


def topological(outputs: Sequence[Node]) -> list[Node]:
    order: list[Node] = []
    state: dict[int, int] = {}  # 1 = visiting, 2 = done
    for out in outputs:
        stack: list[tuple[Node, int]] = [(out, 0)]
        while stack:
            node, i = stack.pop()
            if i == 0:
                if state.get(id(node)) == 2:
                    continue
                state[id(node)] = 1
            parents = node.parents() if node.side else node.inputs
            if i < len(parents):
                stack.append((node, i + 1))
                child = parents[i]
                if state.get(id(child)) == 1:
                    raise GraphError(f"the graph has a cycle through {child.name or child.layer.class_name}")
                if state.get(id(child)) != 2:
                    stack.append((child, 0))
            else:
                state[id(node)] = 2
                order.append(node)
    return order


def name_nodes(nodes: list[Node]) -> None:
    """Give unnamed layers Keras's names: conv2d, conv2d_1, ...; the same layer keeps one name."""
    taken = {n.name for n in nodes if n.name}
    by_layer: dict[int, str] = {}
    counters: dict[str, int] = {}
    named: dict[str, int] = {}
    for node in nodes:
        if node.name:
            owner = named.setdefault(node.name, id(node.layer))
            if owner != id(node.layer):
                raise GraphError(f"two layers are named {node.name!r}")
            by_layer.setdefault(id(node.layer), node.name)
            continue
        if id(node.layer) in by_layer and node.layer.name:
            node.name = by_layer[id(node.layer)]
            continue
        base = snake_case(node.layer.class_name)
        while True:
            i = counters.get(base, 0)
            counters[base] = i + 1
            candidate = base if i == 0 else f"{base}_{i}"
            if candidate not in taken:
                break
        node.name = candidate
        taken.add(candidate)
        by_layer[id(node.layer)] = candidate
