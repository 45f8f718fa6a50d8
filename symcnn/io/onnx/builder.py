"""The reader's state and how it adds a layer: names, shared (tied) weights, argument helpers for the op table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ...errors import ArgumentError, ShapeError, SymcnnError, UnknownLayerError
from ...formulas import Dim, is_number, same_padding
from ...layers.base import Layer, format_shape
from ...tensor import Node
from .layers import Pad, torch_layer
from .load import parse_model
from .naming import Names, node_label
from .values import Const, Flow


class GraphBuilder:
    """One pass over the graph in file order, turning values into Consts and Flows."""

    def __init__(self, data: bytes, source: str, symbols: Mapping[str, Any], name: str | None, max_nodes: int) -> None:
        self.proto = parse_model(data, max_nodes)
        self.graph = self.proto.graph
        self.source = source
        self.names = Names(symbols)
        self.name = name or self.graph.name or Path(source).stem
        self.values: dict[str, Any] = {}
        self.nodes: list[Node] = []
        self.owners: dict[tuple[str, ...], Layer] = {}
        self.claimed: set[str] = set()
        self.skip: set[int] = set()
        self.consumers: dict[str, list[int]] = {}
        self.outputs = {o.name for o in self.graph.output}
        for i, node in enumerate(self.graph.node):
            for n in node.input:
                if n:
                    self.consumers.setdefault(n, []).append(i)

    # ---- adding layers ------------------------------------------------------------------
    def _add(self, node: Any, layer: Layer, inputs: Sequence[Flow], suffix: str = "") -> Flow:
        label = node_label(node)
        name = self.names.unique(label + (f":{suffix}" if suffix else ""), layer, node.op_type)
        if layer.name is None:
            layer.name = name
        graph_node = Node(layer, [f.node for f in inputs], name)
        try:
            shape = layer.output_shape([f.shape for f in inputs])
            layer.weights([f.shape for f in inputs])  # checked now, so the model's records cannot fail later
        except SymcnnError as exc:
            raise exc.within(layer=name) from None
        for d in shape[1:]:
            if d is not None and is_number(d) and d < 1:
                raise ShapeError(f"the input is too small: {node.op_type} would output {format_shape(shape)}",
                                 layer=name)
        self.nodes.append(graph_node)
        return Flow(graph_node, shape)

    def _shared(self, key: tuple[str, ...], make: Any) -> Layer:
        """The layer that owns initializers ``key``: a second node using them shares the first's layer."""
        layer = self.owners.get(key) if key else None
        fresh = make()
        if layer is not None and type(layer) is type(fresh) and layer.hyperparameters() == fresh.hyperparameters():
            return layer
        if key:
            self.owners.setdefault(key, fresh)
            self.claimed.update(key)
        return fresh


    # ---- helpers for arguments ----------------------------------------------------------
    @staticmethod
    def _flow(value: Any, op: str, what: str = "input") -> Flow:
        if not isinstance(value, Flow):
            raise UnknownLayerError(f"{op} with a constant {what} is not supported")
        return value

    @staticmethod
    def _const(value: Any, op: str, what: str) -> Any:
        if not isinstance(value, Const):
            raise UnknownLayerError(f"{op} with a computed {what} is not supported (it must be an initializer)")
        return value

    @staticmethod
    def _learned(value: Any) -> bool:
        return isinstance(value, Const) and bool(value.sources)

    @staticmethod
    def _ints(attrs: dict[str, Any], key: str, default: Sequence[int]) -> list[int]:
        value = attrs.get(key)
        if value is None or (isinstance(value, (list, tuple)) and not value):
            return list(default)
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, int) for v in value):
            raise ArgumentError(f"attribute {key} must be a list of integers, got {value!r}")
        return list(value)

    def _pads(self, attrs: dict[str, Any], sizes: Sequence[Dim], kernel: Sequence[int], strides: Sequence[int],
              dilations: Sequence[int]) -> list[tuple[Dim, Dim]]:
        rank = len(kernel)
        auto = attrs.get("auto_pad", "NOTSET") or "NOTSET"
        if auto == "VALID":
            return [(0, 0)] * rank
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            pads = [same_padding(n, k, s, d) for n, k, s, d in zip(sizes, kernel, strides, dilations)]
            return pads if auto == "SAME_UPPER" else [(e, b) for b, e in pads]
        if auto != "NOTSET":
            raise ArgumentError(f"auto_pad must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got {auto!r}")
        raw = self._ints(attrs, "pads", [0] * (2 * rank))
        if len(raw) != 2 * rank:
            raise ArgumentError(f"pads must have {2 * rank} values, got {raw}")
        if any(p < 0 for p in raw):
            raise ArgumentError(f"pads must not be negative, got {raw}")
        return [(raw[i], raw[i + rank]) for i in range(rank)]

    def _pad_layer(self, node: Any, flow: Flow, before: Sequence[Dim], after: Sequence[Dim], suffix: str = "pad") -> Flow:
        """Padding (or cropping, when negative) per axis of the whole tensor, as one layer."""
        if len(before) == len(flow.shape) and before[0] == 0 and after[0] == 0:
            spec: list[Dim] = []  # torch's F.pad order: last axis first
            for axis in range(len(flow.shape) - 1, 0, -1):
                spec += [before[axis], after[axis]]
            while len(spec) > 2 and spec[-1] == 0 and spec[-2] == 0:
                spec = spec[:-2]
            try:
                return self._add(node, torch_layer("pad", pad=tuple(spec)), [flow], suffix)
            except ArgumentError:
                pass
        return self._add(node, Pad(before=tuple(before), after=tuple(after)), [flow], suffix)

    def _torch(self, cls: str, **kwargs: Any) -> Layer:
        return torch_layer(cls, **kwargs)

