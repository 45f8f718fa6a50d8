"""The functional API's symbolic tensor and the graph node it points at.

A layer called on a tensor (``Conv2D(8, 3)(x)``) returns a new :class:`Tensor` whose
:class:`Node` records the call. This module sits below the layers: it knows a layer only
as something with a ``name``, a ``class_name`` and a number of outputs, so ``layers/``
never imports the model.

A layer with several outputs (an LSTM with ``return_state=True``) returns one tensor per
output, each naming the output it is (``Tensor.index``); a node that reads one records
which (``Node.indices``, Keras's ``tensor_index``). Tensors passed to a call as keywords
that change no count (``mask=``, ``initial_state=``) are ``Node.side`` inputs: they order
the graph but give the layer no shape.

>>> from symcnn import layers as L
>>> x = L.Input((32, 32, 3))
>>> y = L.Conv2D(8, 3)(x)
>>> y.node.layer.class_name, [n.layer.class_name for n in y.node.inputs]
('Conv2D', ['InputLayer'])
>>> out, h, c = L.LSTM(4, return_state=True)(L.Input((10, 3)))
>>> (out.index, h.index, c.index), h.node is c.node
((0, 1, 2), True)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .errors import ArgumentError


class Callee(Protocol):
    """What a node needs of its layer."""

    name: str | None

    @property
    def class_name(self) -> str: ...

    def for_call(self, options: Mapping[str, Any]) -> Any: ...

    def output_count(self) -> int: ...


@dataclass(eq=False)
class Node:
    """One call of a layer in the graph.

    ``indices[i]`` is which output of ``inputs[i]`` the call reads (0 when ``indices`` is
    shorter); ``side`` holds (node, output) pairs the call reads without counting them
    (masks, initial states); ``call`` holds the call's other keywords
    (``return_attention_scores=True``), which the layer reads through ``Layer.for_call``.
    """

    layer: Any  # a symcnn Layer; typed loosely so that this module stays below layers/
    inputs: list[Node]
    name: str | None = None
    indices: list[int] = field(default_factory=list)
    side: list[tuple[Node, int]] = field(default_factory=list)
    call: dict[str, Any] = field(default_factory=dict)

    def input_refs(self) -> Iterator[tuple[Node, int]]:
        """Each input as (node, output index)."""
        for i, node in enumerate(self.inputs):
            yield node, self.indices[i] if i < len(self.indices) else 0

    def parents(self) -> list[Node]:
        """Every node this call reads, data inputs first, then side inputs."""
        return [*self.inputs, *(n for n, _ in self.side)]

    def rebuilt(self, layer: Any, nodes: Mapping[int, Node]) -> Node:
        """The same call of ``layer`` on the nodes that replace this call's (``nodes`` keyed by old id)."""
        return Node(layer, [nodes[id(n)] for n in self.inputs], self.name, list(self.indices),
                    [(nodes[id(n)], i) for n, i in self.side], dict(self.call))


class Tensor:
    """The output of a layer call in the functional API (like a KerasTensor)."""

    def __init__(self, node: Node, index: int = 0) -> None:
        self.node = node
        self.index = index

    @staticmethod
    def input(layer: Callee) -> Tensor:
        return Tensor(Node(layer, [], layer.name))

    @staticmethod
    def apply(layer: Callee, inputs: Any, keywords: Mapping[str, Any] | None = None) -> Any:
        """Call ``layer`` on tensors: one Tensor back, or a tuple of them for a layer with several outputs.

        Tensors among ``keywords`` become side inputs; other keywords are the call's options.
        """
        items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if not items or not all(isinstance(t, Tensor) for t in items):
            raise ArgumentError(f"{layer.class_name} must be called on symcnn tensors (from Input)")
        side: list[tuple[Node, int]] = []
        call: dict[str, Any] = {}
        for key, value in (keywords or {}).items():
            found = _tensors(value)
            if found:
                side += [(t.node, t.index) for t in found]
            elif value is not None:
                call[key] = value
        node = Node(layer, [t.node for t in items], layer.name, [t.index for t in items], side, call)
        count = (layer.for_call(call) if call else layer).output_count()
        if count == 1:
            return Tensor(node)
        return tuple(Tensor(node, i) for i in range(count))

    def __repr__(self) -> str:
        which = f" (output {self.index})" if self.index else ""
        return f"<Tensor from {self.node.layer.class_name}{which}>"


def _tensors(value: Any) -> list[Tensor]:
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    return []
