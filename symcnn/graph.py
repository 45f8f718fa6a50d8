"""The graph under a model: nodes (layer calls), functional-API tensors, order and names."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import sympy

from .errors import ArgumentError, GraphError
from .layers.base import Layer, snake_case
from .layers.core import InputLayer

MAX_LAYERS = 100_000


@dataclass(eq=False)
class Node:
    """One call of a layer in the graph."""

    layer: Layer
    inputs: list[Node]
    name: str | None = None


class Tensor:
    """The output of a layer call in the functional API (like a KerasTensor)."""

    def __init__(self, node: Node) -> None:
        self.node = node

    @staticmethod
    def input(layer: InputLayer) -> Tensor:
        return Tensor(Node(layer, [], layer.name))

    @staticmethod
    def apply(layer: Layer, inputs: Any) -> Tensor:
        items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if not all(isinstance(t, Tensor) for t in items):
            raise ArgumentError(f"{layer.class_name} must be called on symcnn tensors (from Input)")
        return Tensor(Node(layer, [t.node for t in items], layer.name))

    def __repr__(self) -> str:
        return f"<Tensor from {self.node.layer.class_name}>"


T = TypeVar("T")


def trimming(items: Iterable[T], every: int = 48) -> Iterator[T]:
    """Yield ``items``, emptying SymPy's expression cache every few dozen of them.

    Sizes after k stride-2 layers carry 2^k, and Python hashes 2^k and 2^(k+61) alike, so
    in a long chain SymPy's cache fills with colliding keys that it compares term by term:
    work per layer then grows with the depth. Clearing it now and then keeps it linear.
    """
    for i, item in enumerate(items):
        if i % every == every - 1:
            sympy.core.cache.clear_cache()
        yield item


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
            if i < len(node.inputs):
                stack.append((node, i + 1))
                child = node.inputs[i]
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
