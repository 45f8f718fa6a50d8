"""Models: Sequential chains and functional graphs, their per-layer records and totals.

>>> from symcnn import Sequential, layers as L
>>> m = Sequential([L.Input((64, 64, 1)), L.Conv2D(64, 3), L.MaxPooling2D(2, 2), L.Flatten(), L.Dense(4)])
>>> m.total_params
246660
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any

import sympy

from .cache import trimming
from .constraints import Constraint, apply_requirements, assumed_constraints, positivity_constraints
from .errors import ArgumentError, GraphError, LimitError, ShapeError, SymcnnError
from .expr import exact_number, parse
from .graph import MAX_LAYERS, name_nodes, topological
from .layers.base import CONVENTIONS, Layer, Shape, Weight, unknown_size_error
from .layers.core import InputLayer
from .record import LayerRecord, check_sizes, check_weight_sizes, check_whole_after_subs
from .tensor import Node, Tensor
from .views import view


class Model(Layer, register=False):
    """A functional graph of layers (also usable as a layer inside another model)."""

    def __init__(
        self,
        inputs: Any = None,
        outputs: Any = None,
        name: str | None = None,
        *,
        nodes: Sequence[Node] | None = None,
        output_nodes: Sequence[Node] | None = None,
        defaults: Mapping[sympy.Symbol, Any] | None = None,
        convention: str = "keras",
        source: str | None = None,
        output_indices: Sequence[int] | None = None,
        requirements: Sequence[Constraint] = (),
    ) -> None:
        super().__init__(name=name)
        if nodes is None:
            if outputs is None:
                raise ArgumentError("Model needs outputs")
            outs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
            if not all(isinstance(t, Tensor) for t in outs):
                raise ArgumentError("Model's outputs must be symcnn tensors (from calling layers)")
            output_nodes = [t.node for t in outs]
            output_indices = [t.index for t in outs]
            nodes = topological(output_nodes)
        self.nodes: list[Node] = list(nodes)
        self.output_nodes: list[Node] = list(output_nodes) if output_nodes else [self.nodes[-1]] if self.nodes else []
        # which output of each output node the model gives (0 for most layers; an LSTM's state is 1 or 2)
        self.output_indices: list[int] = list(output_indices or [0] * len(self.output_nodes))
        if len(self.output_indices) != len(self.output_nodes):
            raise ArgumentError("Model: output_indices must name one output of each output node")
        self.defaults: dict[sympy.Symbol, Any] = dict(defaults or {})
        self.fixed: dict[sympy.Symbol, Any] = {}  # symbols whose value the graph's structure was built with
        self.convention = convention
        self.source = source
        self.requirements: list[Constraint] = list(requirements)  # conditions the model states itself (torch._assert)
        if len(self.nodes) > MAX_LAYERS:
            raise LimitError(f"the model has {len(self.nodes):,} layers (inputs included); the limit is {MAX_LAYERS:,}")
        name_nodes(self.nodes)

    # ---- building ------------------------------------------------------------------
    @cached_property
    def records(self) -> list[LayerRecord]:
        records: list[LayerRecord] = []
        shapes: dict[int, list[Shape]] = {}
        owner: dict[int, str] = {}
        numbered = 0  # the page numbers layers other than inputs: 1., 2., ...
        for node in trimming(self.nodes):
            try:
                ins = [_output(shapes, n, i) for n, i in node.input_refs()]
                for n, i in node.side:  # a mask or an initial state: never counted, but it must exist
                    _output(shapes, n, i)
                layer = node.layer.for_call(node.call) if node.call else node.layer
                if layer.arity is not None and layer.arity != len(ins) and not isinstance(layer, Model):
                    raise ShapeError(f"{layer.class_name} takes {layer.arity} input(s), got {len(ins)}")
                try:
                    outs = layer.output_shapes_of(ins)
                    for out in outs:
                        check_sizes(out)
                    weights = layer.weights(ins)
                    check_weight_sizes(weights)
                    if any(d is None for w in weights for d in w.shape):
                        raise unknown_size_error(layer, ins) or ShapeError(
                            f"{layer.class_name} has a weight of unknown size"
                        )
                except TypeError:
                    error = unknown_size_error(layer, ins)
                    if error is None:
                        raise  # no size is unknown: a real bug
                    raise error from None
            except SymcnnError as exc:
                raise exc.within(layer=node.name, file=self.source) from None
            shapes[id(node)] = outs
            shared = owner.get(id(node.layer))
            owner.setdefault(id(node.layer), str(node.name))
            numbered += 0 if isinstance(node.layer, InputLayer) else 1
            records.append(LayerRecord(
                str(node.name), layer, [str(n.name) for n in node.inputs], ins, outs[0], weights, shared,
                other_outputs=list(outs[1:]), input_indices=[i for _, i in node.input_refs()],
                side_inputs=[(str(n.name), i) for n, i in node.side],
                position=None if isinstance(node.layer, InputLayer) else numbered,
            ))
        for node, index in zip(self.output_nodes, self.output_indices):
            try:
                _output(shapes, node, index)
            except SymcnnError as exc:
                raise exc.within(file=self.source) from None
        return records

    @property
    def layers(self) -> list[LayerRecord]:
        """Per-layer records, in graph order (inputs included)."""
        return self.records

    def get_layer(self, name: str) -> LayerRecord:
        for r in self.records:
            if r.name == name:
                return r
        raise ArgumentError(f"no layer named {name!r}; layers: {', '.join(r.name for r in self.records)}")

    # ---- totals --------------------------------------------------------------------
    def _total(self, values: Iterable[sympy.Expr]) -> sympy.Expr:
        return sympy.Add(*trimming(values))  # no expand here: it is the cost of long chains; `formula` simplifies

    @cached_property
    def trainable_params(self) -> sympy.Expr:
        return self._total(r.trainable for r in self.records)

    @cached_property
    def non_trainable_params(self) -> sympy.Expr:
        return self._total(r.non_trainable for r in self.records)

    @cached_property
    def total_params(self) -> sympy.Expr:
        return self.trainable_params + self.non_trainable_params

    @cached_property
    def total_buffers(self) -> sympy.Expr:
        return self._total(r.buffers for r in self.records)

    @property
    def total_macs(self) -> sympy.Expr:
        return self.macs("torchinfo")

    def count_params(self) -> sympy.Expr:
        return self.total_params

    @property
    def input_shapes(self) -> list[Shape]:
        return [r.output_shape for r in self.records if isinstance(r.layer, InputLayer)]

    @property
    def output_shapes(self) -> list[Shape]:
        """The shape of each of the model's outputs."""
        by_node = dict(zip(map(id, self.nodes), self.records))
        return [by_node[id(n)].output_shapes[i] for n, i in zip(self.output_nodes, self.output_indices)]

    @property
    def free_symbols(self) -> set[sympy.Symbol]:
        found: set[sympy.Symbol] = set()
        for r in self.records:
            for d in r.output_shape:
                if isinstance(d, sympy.Basic):
                    found |= d.free_symbols  # type: ignore[arg-type]
        for e in (self.total_params, self.macs("torchinfo")):
            found |= e.free_symbols  # type: ignore[arg-type]
        return found

    @property
    def constraints(self) -> list[Any]:
        """The conditions that keep every output dimension positive (weakest removed), the equal sizes torch layers
        assume, then the model's own requirements."""
        return positivity_constraints(self.records) + assumed_constraints(self.records) + self.requirements

    # ---- substitution ------------------------------------------------------------------
    def subs(self, mapping: Mapping[Any, Any] | None = None, **values: Any) -> Model:
        """A copy with symbols replaced by numbers (or other expressions); shapes are re-checked."""
        table = {s.name: s for s in self.free_symbols | set(self.defaults)}
        full: dict[sympy.Symbol, Any] = {}
        for key, value in {**(mapping or {}), **values}.items():
            sym = table.get(key) if isinstance(key, str) else key
            if sym is None:
                continue
            full[sym] = _exact(value, sym.name, table)
            if sym.is_integer and isinstance(full[sym], sympy.Basic) and full[sym].is_number and not full[sym].is_Integer:
                # its floors were simplified as a whole number's: a fraction would give a wrong count, not an error
                raise ShapeError(
                    f"{sym} stands for a whole number (a size) in this model, so it cannot be {full[sym]}: "
                    "a multiplier is declared with a decimal default (symbols: {" + f"{sym}: 1.0" + "}) or given "
                    "when the file is read (--set, or symcnn.load(path, values=...))",
                    file=self.source,
                )
        self._check_fixed(full)
        requirements = apply_requirements(self.requirements, full)  # a value the model refuses fails here
        memo: dict[int, Layer] = {}
        new_nodes: dict[int, Node] = {}
        for node in self.nodes:
            if id(node.layer) not in memo:
                memo[id(node.layer)] = node.layer.subs(full)
                try:
                    check_whole_after_subs(str(node.name), node.layer, memo[id(node.layer)], full)
                except SymcnnError as exc:
                    raise exc.within(file=self.source) from None
            new_nodes[id(node)] = node.rebuilt(memo[id(node.layer)], new_nodes)
        new = type(self)._rebuilt(self, list(new_nodes.values()), [new_nodes[id(n)] for n in self.output_nodes])
        new.requirements = requirements
        return new

    def _check_fixed(self, values: Mapping[sympy.Symbol, Any]) -> None:
        """A symbol that shaped the graph when the file was read (``times: ceil(depth*2)``) keeps its value."""
        for sym, value in values.items():
            if sym in self.fixed and sympy.simplify(value - self.fixed[sym]) != 0:
                raise ArgumentError(
                    f"{sym} = {self.fixed[sym]} decided the structure of the model when it was read "
                    f"(how many times a block repeats, or which layers it has): read the file again with "
                    f"{sym} = {value} (symcnn.load(path, values={{{sym.name!r}: ...}}) or --set {sym}=...)",
                    file=self.source,
                )

    def with_defaults(self) -> Model:
        """The model with every symbol that has a default value replaced by it."""
        return self.subs(self.defaults) if self.defaults else self

    @classmethod
    def _rebuilt(cls, old: Model, nodes: list[Node], outputs: list[Node]) -> Model:
        new = Model.__new__(cls)
        Model.__init__(new, name=old.name, nodes=nodes, output_nodes=outputs, defaults=old.defaults,
                       convention=old.convention, source=old.source, output_indices=old.output_indices,
                       requirements=old.requirements)
        new.trainable = old.trainable
        new.fixed = dict(old.fixed)
        return new

    def with_input(self, *shapes: Shape) -> Model:
        """A copy whose input layers take the given shapes (batch axis included)."""
        inputs = [n for n in self.nodes if isinstance(n.layer, InputLayer)]
        if len(shapes) != len(inputs):
            raise ShapeError(f"model has {len(inputs)} input(s), got {len(shapes)} shape(s)")
        memo: dict[int, Node] = {}
        for node in self.nodes:
            layer: Layer
            if isinstance(node.layer, InputLayer):
                shape = shapes[inputs.index(node)]
                layer = InputLayer(batch_shape=tuple(shape), name=node.layer.name)
            else:
                layer = node.layer
            memo[id(node)] = node.rebuilt(layer, memo)
        return type(self)._rebuilt(self, list(memo.values()), [memo[id(n)] for n in self.output_nodes])

    # ---- a model as a layer (nested Sequential or Functional) ------------------------
    def output_shape(self, inputs: list[Shape]) -> Shape:
        return self.output_shapes_of(inputs)[0]

    def output_shapes_of(self, inputs: list[Shape]) -> list[Shape]:
        return self.with_input(*inputs).output_shapes

    def output_count(self) -> int:
        return len(self.output_nodes)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        inner = self.with_input(*inputs)
        return [
            Weight(f"{r.name}/{w.name}", w.shape, w.kind, w.trainable and r.layer.trainable)
            for r in inner.records if r.shared_with is None for w in r.weights
        ]

    def macs(self, inputs: Any = None, output: Any = None, convention: str = "torchinfo") -> Any:  # type: ignore[override]
        """Total MACs under ``convention``: 'torchinfo' (with bias) or 'fvcore' (conv and matmul only).

        ``model.macs("fvcore")`` and ``model.macs(convention="fvcore")`` both work.
        """
        if inputs is None or isinstance(inputs, str):
            return Model._model_macs(self, inputs or convention)
        return Model._model_macs(self.with_input(*inputs), convention)

    @staticmethod
    def _model_macs(model: Model, convention: str) -> sympy.Expr:
        if convention not in CONVENTIONS:
            raise ArgumentError(f"convention must be one of {', '.join(CONVENTIONS)}, got {convention!r}")
        try:
            return model._total(r.macs_by(convention) for r in model.records)
        except SymcnnError as exc:
            raise exc.within(file=model.source) from None

    @property
    def class_name(self) -> str:
        """Keras's name for the kind of model: ``Functional`` (a graph) or ``Sequential``."""
        return "Functional" if type(self) is Model else type(self).__name__

    def weight_kind(self, weight: Weight) -> str:
        """A nested model's weight ("layer/name") is what its own layer says it is."""
        owner, _, rest = weight.name.partition("/")
        for node in self.nodes:
            if node.name == owner and rest:
                return node.layer.weight_kind(Weight(rest, weight.shape, weight.kind, weight.trainable))
        return super().weight_kind(weight)

    # ---- checking a hand calculation ---------------------------------------------------
    def check(self, layer: Any, params: Any = None, shape: Any = None, macs: Any = None, **values: Any) -> Any:
        """Check a hand calculation for one layer: ``model.check("conv2d_1", params="(3² × 64 × 64) + 64")``."""
        return view("check")(self, layer, params=params, shape=shape, macs=macs, **values)

    # ---- display --------------------------------------------------------------------
    def worked_solution(self) -> str:
        """Every layer's formula, substitution and result, as Markdown with LaTeX math (also shown in Jupyter)."""
        return view("worked_solution")(self)

    def _repr_markdown_(self) -> str:
        return self.worked_solution()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Jupyter: the summary as text, the worked solution as HTML with MathML (a short form for big models)."""
        return view("notebook")(self, include, exclude)  # type: ignore[no-any-return]

    def _repr_html_(self) -> str | None:
        return view("html")(self)  # type: ignore[no-any-return]

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self) if cycle else view("text")(self))

    def summary(self, convention: str = "torchinfo") -> None:
        """Print a Keras-style table with a MACs column."""
        print(view("summary")(self, convention=convention))

    def __repr__(self) -> str:
        return f"<{self.class_name} {self.name!r}: {len(self.nodes)} layers, {self.total_params} params>"


def _exact(value: Any, name: str, table: Mapping[str, sympy.Symbol]) -> Any:
    """A value given for a symbol, exactly: 0.75 is 3/4, text is parsed ("3/4", "2*k")."""
    if isinstance(value, str):
        return parse(value, table)
    if isinstance(value, sympy.Basic) and not value.is_number:  # names of the model's symbols mean those symbols
        return value.xreplace({s: table[s.name] for s in value.free_symbols if s.name in table})  # type: ignore[attr-defined]
    return exact_number(value, f"the value of {name}")


class Sequential(Model):
    """A plain stack of layers, as in Keras: the first may be an Input or carry ``input_shape``."""

    def __init__(self, layers: Sequence[Any] | None = None, name: str | None = None, **kwargs: Any) -> None:
        nodes: list[Node] = []
        for item in layers or []:
            self._append(nodes, item)
        Model.__init__(self, name=name or "sequential", nodes=nodes, output_nodes=nodes[-1:], **kwargs)

    @staticmethod
    def _append(nodes: list[Node], item: Any) -> None:
        if isinstance(item, Tensor):
            item = item.node.layer
        if not isinstance(item, Layer):
            raise ArgumentError(f"Sequential takes layers, got {item!r}")
        if not nodes and not isinstance(item, InputLayer):
            declared = item.declared_input
            if declared is None:
                raise ShapeError(f"the first layer ({item.class_name}) needs an input shape: start with Input(shape)")
            nodes.append(Node(InputLayer(batch_shape=declared), []))
        if nodes and isinstance(item, InputLayer):
            raise GraphError("only the first layer of a Sequential may be an InputLayer")
        nodes.append(Node(item, nodes[-1:], item.name))

    def add(self, layer: Layer) -> None:
        self._append(self.nodes, layer)
        self.output_nodes = self.nodes[-1:]
        name_nodes(self.nodes)
        for key in ("records", "trainable_params", "non_trainable_params", "total_params", "total_buffers"):
            self.__dict__.pop(key, None)


def _output(shapes: dict[int, list[Shape]], node: Node, index: int) -> Shape:
    outs = shapes[id(node)]
    if index >= len(outs):
        raise GraphError(f"uses output #{index} of layer {node.name!r}, which has {len(outs)} output(s)")
    return outs[index]


__all__ = ["Model", "Sequential"]
