"""The reader: one pass over an ONNX graph, folding constants and dispatching each op to its ``op_<OpType>`` handler."""

from __future__ import annotations

from typing import Any

from ...errors import GraphError, ParseError, ShapeError, SymcnnError, UnknownLayerError
from ...formulas import Dim, prod
from ...layers.core import InputLayer
from ...model import Model
from ...tensor import Node
from .consistency import check_node, check_writers
from .fold import FOLDABLE, fold, fold_shape, value_sources
from .load import DECODE_ERRORS, attributes, initializer
from .naming import positional
from .ops_learned import LearnedOps
from .ops_shape import ShapeOps
from .values import Const, Flow, FlowSeq, FoldBudget, Opaque, Values, like, obj


class Reader(LearnedOps, ShapeOps):
    """Reads the graph into a :class:`~symcnn.model.Model` (see :func:`symcnn.io.onnx.from_onnx`)."""

    def model(self) -> Model:
        try:
            model = self._read()
            _ = model.records  # every layer's shape and weights, checked here rather than later
        except SymcnnError:
            raise
        except DECODE_ERRORS + (ArithmeticError,) as exc:  # text fields that are not UTF-8, and the like
            raise ParseError(f"malformed ONNX content: {type(exc).__name__}: {exc}") from None
        return model

    def _read(self) -> Model:
        inits = list(self.graph.initializer)
        names = [init.name for init in inits]
        check_writers(self.graph, names)
        budget = self.budget = FoldBudget()
        self.values = Values(dict(zip(names, inits)), lambda init: initializer(init, budget))
        for init in self.graph.sparse_initializer:
            raise UnknownLayerError(f"sparse initializer {init.values.name!r} is not supported")
        for inp in self.graph.input:
            if inp.name in self.values:
                continue  # an initializer listed as an input (keep_initializers_as_inputs)
            self._graph_input(inp)
        for i, node in enumerate(self.graph.node):
            if i in self.skip:
                continue
            label = node.name or node.op_type
            try:
                self._node(i, node)
            except SymcnnError as exc:
                raise exc.within(layer=label) from None
            except DECODE_ERRORS + (ArithmeticError,) as exc:
                raise ShapeError(f"ONNX op {node.op_type} could not be read: {type(exc).__name__}: {exc}",
                                 layer=label) from None
        outs = []
        for out in self.graph.output:
            value = self.values.get(out.name)
            if value is None:
                raise GraphError(f"graph output {out.name!r} is not computed by any node")
            if isinstance(value, Flow) and value.node not in outs:
                outs.append(value.node)
        if not outs:
            raise GraphError("no graph output depends on the graph's inputs")
        return Model(name=self.name, nodes=self.nodes, output_nodes=outs,
                     convention="torch", source=self.source)

    def _graph_input(self, inp: Any) -> None:
        ttype = inp.type.tensor_type
        if not inp.type.HasField("tensor_type"):
            raise UnknownLayerError(f"graph input {inp.name!r} is not a tensor")
        if not ttype.HasField("shape"):
            raise ShapeError(f"graph input {inp.name!r} has no shape")
        dims: list[Dim] = []
        for axis, d in enumerate(ttype.shape.dim):
            if d.HasField("dim_value") and d.dim_value > 0:
                dims.append(int(d.dim_value))
            elif d.HasField("dim_value") and d.dim_value <= 0:
                raise ShapeError(f"graph input {inp.name!r} has size {d.dim_value} on axis {axis}")
            else:
                fallback = f"{inp.name}_{axis}"
                dims.append(self.names.symbol(d.dim_param, fallback, positional(axis, len(ttype.shape.dim))))
        if not dims:
            raise ShapeError(f"graph input {inp.name!r} is a scalar; symcnn needs (N, C, ...)")
        layer = InputLayer(batch_shape=tuple(dims), name=self.names.unique(inp.name or "input", None))
        node = Node(layer, [], layer.name)
        self.nodes.append(node)
        self.values[inp.name] = Flow(node, layer.shape)

    # ---- nodes -----------------------------------------------------------------------
    def _node(self, index: int, node: Any) -> None:
        if node.domain not in ("", "ai.onnx"):
            raise UnknownLayerError(f"ONNX op {node.domain}::{node.op_type} is not supported")
        ins: list[Any] = []
        for n in node.input:
            if not n:
                ins.append(None)
            elif n not in self.values:
                raise GraphError(f"input {n!r} is used before any node computes it")
            else:
                ins.append(self.values[n])
        attrs = attributes(node)
        op = node.op_type
        flows = [v for v in ins if isinstance(v, (Flow, FlowSeq))]
        if flows:
            check_node(node, [_known_shape(v) for v in ins], attrs)
        if op == "CastLike" and not isinstance(ins[0], Flow) and flows:
            outs = fold(op, [ins[0], like(flows[0])], attrs, self.budget)  # only the tensor's type is used
        elif op in ("Shape", "Size") and flows:
            tensor = flows[0]
            if not isinstance(tensor, Flow):
                raise UnknownLayerError(f"ONNX op {op} of a sequence of tensors is not supported")
            outs = [fold_shape(tensor.shape, attrs)] if op == "Shape" else [self._size(tensor)]
        elif not flows and any(isinstance(v, Opaque) for v in ins):
            opaque = next(v for v in ins if isinstance(v, Opaque))
            # what could not be computed stays so, with its first reason and every parameter it came from
            outs = [Opaque(opaque.why, value_sources(op, ins)) for _ in node.output]
        elif not flows:
            try:
                outs = fold(op, ins, attrs, self.budget)
            except (UnknownLayerError, ShapeError) as exc:
                lifted = self.lifted(node, ins) if op in self.LIFTED else None
                if lifted is not None:  # a parameter expanded to a symbolic size: a tensor of the graph
                    outs = getattr(self, f"op_{op}")(index, node, lifted, attrs)
                else:
                    # Kept for later: only an error if something reads the values (an op's scale factor is never read).
                    outs = [Opaque(f"{op} {node.name!r}: {exc.problem}", value_sources(op, ins)) for _ in node.output]
        else:
            handler = getattr(self, f"op_{op}", None)
            if handler is None:
                handler = self._unary_handler(op)
            outs = handler(index, node, ins, attrs)
        if len(outs) < len([o for o in node.output if o]) and op in FOLDABLE and not flows:
            raise ShapeError(f"{op} made {len(outs)} output(s) for {len(node.output)}")
        for name, value in zip(node.output, outs):
            if name and value is not None:
                self.values[name] = value

    def _size(self, flow: Flow) -> Any:
        return Const(obj(prod(flow.shape)))


def _known_shape(value: Any) -> Any:
    """The shape of a computed tensor or a constant, None when unknown (an Opaque value, a sequence, absent)."""
    if isinstance(value, Flow):
        return value.shape
    if isinstance(value, Const) and not isinstance(value, Opaque):
        return value.shape
    return None
