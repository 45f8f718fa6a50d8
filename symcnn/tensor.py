"""The functional API's symbolic tensor and the graph node it points at.

A layer called on a tensor (``Conv2D(8, 3)(x)``) returns a new :class:`Tensor` whose
:class:`Node` records the call. This module sits below the layers: it knows a layer only
as something with a ``name`` and a ``class_name``, so ``layers/`` never imports the model.

>>> from symcnn import layers as L
>>> x = L.Input((32, 32, 3))
>>> y = L.Conv2D(8, 3)(x)
>>> y.node.layer.class_name, [n.layer.class_name for n in y.node.inputs]
('Conv2D', ['InputLayer'])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from .errors import ArgumentError


class Callee(Protocol):
    """What a node needs of its layer."""

    name: str | None

    @property
    def class_name(self) -> str: ...


@dataclass(eq=False)
class Node:
    """One call of a layer in the graph."""

    layer: Any  # a symcnn Layer; typed loosely so that this module stays below layers/
    inputs: list[Node]
    name: str | None = None


class Tensor:
    """The output of a layer call in the functional API (like a KerasTensor)."""

    def __init__(self, node: Node) -> None:
        self.node = node

    @staticmethod
    def input(layer: Callee) -> Tensor:
        return Tensor(Node(layer, [], layer.name))

    @staticmethod
    def apply(layer: Callee, inputs: Any) -> Tensor:
        items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if not all(isinstance(t, Tensor) for t in items):
            raise ArgumentError(f"{layer.class_name} must be called on symcnn tensors (from Input)")
        return Tensor(Node(layer, [t.node for t in items], layer.name))

    def __repr__(self) -> str:
        return f"<Tensor from {self.node.layer.class_name}>"
