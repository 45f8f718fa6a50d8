"""Models: Sequential chains and functional graphs, their per-layer records and totals.

>>> from symcnn import Sequential, layers as L
>>> m = Sequential([L.Input((64, 64, 1)), L.Conv2D(64, 3), L.MaxPooling2D(2, 2), L.Flatten(), L.Dense(4)])
>>> m.total_params
246660
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

import sympy

from .errors import ArgumentError, GraphError, ShapeError, SymcnnError
from .formulas import Dim, is_number, prod, simplify_int
from .layers.base import CONVENTIONS, Layer, Shape, Weight, format_shape, snake_case
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


def to_expr(value: Dim) -> sympy.Expr:
    return sympy.Integer(value) if isinstance(value, int) else value


@dataclass
class LayerRecord:
    """What one layer call computes: shapes, weights and counts, all exact."""

    name: str
    layer: Layer
    inputs: list[str]
    input_shapes: list[Shape]
    output_shape: Shape
    weights: list[Weight]
    shared_with: str | None = None  # the first call of a shared layer owns its weights
    _macs: dict[str, Dim] = field(default_factory=dict, repr=False)

    @property
    def type(self) -> str:
        return self.layer.class_name

    def _count(self, pick: Any) -> sympy.Expr:
        if self.shared_with is not None:
            return sympy.Integer(0)
        tied = self.tied_weights
        return to_expr(simplify_int(sum((w.size for w in self.weights if pick(w) and w.name not in tied), start=0)))

    @property
    def tied_weights(self) -> dict[str, str]:
        """Weights this layer uses but another layer owns (torch's tied parameters): name -> owner."""
        return getattr(self.layer, "tied_weights", None) or {}

    @property
    def trainable(self) -> sympy.Expr:
        return self._count(lambda w: w.kind == "param" and w.trainable and self.layer.trainable)

    @property
    def non_trainable(self) -> sympy.Expr:
        counts_stats = self.layer.counts_stats
        return self._count(
            lambda w: (w.kind == "stat" and counts_stats) or (w.kind == "param" and not (w.trainable and self.layer.trainable))
        )

    @property
    def params(self) -> sympy.Expr:
        return simplify_expr(self.trainable + self.non_trainable)

    @property
    def buffers(self) -> sympy.Expr:
        """Moving statistics that are not parameters (PyTorch's buffers)."""
        return self._count(lambda w: w.kind == "stat" and not self.layer.counts_stats)

    def count_params(self) -> sympy.Expr:
        return self.params

    def macs_by(self, convention: str = "torchinfo") -> sympy.Expr:
        if convention not in self._macs:
            try:
                macs = self.layer.macs(self.input_shapes, self.output_shape, convention)
            except TypeError:
                error = _unknown_size_error(self.layer, [*self.input_shapes, self.output_shape])
                if error is None:
                    raise  # no size is unknown: a real bug
                raise error.within(layer=self.name) from None
            self._macs[convention] = simplify_int(macs)
        return to_expr(self._macs[convention])

    @property
    def macs(self) -> sympy.Expr:
        return self.macs_by("torchinfo")

    def _repr_markdown_(self) -> str:
        from .render.worked import repr_markdown

        return repr_markdown(self)


MAX_EXPANDED_TERMS = 2000  # a total that would expand to more terms is kept factored (expand is slow)


def simplify_expr(e: sympy.Expr) -> sympy.Expr:
    if e.is_Integer or e.has(sympy.floor, sympy.Piecewise) or expanded_terms(e) > MAX_EXPANDED_TERMS:
        return e
    return sympy.expand(e)


def expanded_terms(e: sympy.Basic) -> int:
    """An upper bound on the number of terms ``sympy.expand(e)`` gives: (H+W+C)^64 has 2,145."""
    if e.is_Add:
        return sum(expanded_terms(a) for a in e.args)
    if e.is_Mul:
        out = 1
        for a in e.args:
            out *= expanded_terms(a)
        return out
    if e.is_Pow and e.exp.is_Integer and e.exp > 0:
        n, k = expanded_terms(e.base), int(e.exp)
        return math.comb(n + k - 1, k) if n > 1 else 1
    return 1


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
        defaults: Mapping[sympy.Symbol, int] | None = None,
        convention: str = "keras",
        source: str | None = None,
    ) -> None:
        super().__init__(name=name)
        if nodes is None:
            if outputs is None:
                raise ArgumentError("Model needs outputs")
            outs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
            output_nodes = [t.node for t in outs]
            nodes = _topological(output_nodes)
        self.nodes: list[Node] = list(nodes)
        self.output_nodes: list[Node] = list(output_nodes) if output_nodes else [self.nodes[-1]] if self.nodes else []
        self.defaults: dict[sympy.Symbol, int] = dict(defaults or {})
        self.convention = convention
        self.source = source
        if len(self.nodes) > MAX_LAYERS:
            raise GraphError(f"model has {len(self.nodes)} layers; the limit is {MAX_LAYERS}")
        _name_nodes(self.nodes)

    # ---- building ------------------------------------------------------------------
    @cached_property
    def records(self) -> list[LayerRecord]:
        records: list[LayerRecord] = []
        shapes: dict[int, Shape] = {}
        owner: dict[int, str] = {}
        for node in trimming(self.nodes):
            try:
                ins = [shapes[id(n)] for n in node.inputs]
                if node.layer.arity is not None and node.layer.arity != len(ins) and not isinstance(node.layer, Model):
                    raise ShapeError(f"{node.layer.class_name} takes {node.layer.arity} input(s), got {len(ins)}")
                try:
                    out = node.layer.output_shape(ins)
                    _check_sizes(out)
                    weights = node.layer.weights(ins)
                    if any(d is None for w in weights for d in w.shape):
                        raise _unknown_size_error(node.layer, ins) or ShapeError(
                            f"{node.layer.class_name} has a weight of unknown size"
                        )
                except TypeError:
                    error = _unknown_size_error(node.layer, ins)
                    if error is None:
                        raise  # no size is unknown: a real bug
                    raise error from None
            except SymcnnError as exc:
                raise exc.within(layer=node.name, file=self.source) from None
            shapes[id(node)] = out
            shared = owner.get(id(node.layer))
            owner.setdefault(id(node.layer), str(node.name))
            records.append(
                LayerRecord(str(node.name), node.layer, [str(n.name) for n in node.inputs], ins, out, weights, shared)
            )
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
        by_node = dict(zip(map(id, self.nodes), self.records))
        return [by_node[id(n)].output_shape for n in self.output_nodes]

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
        """The conditions that keep every output dimension positive, weakest first removed."""
        from .constraints import positivity_constraints

        return positivity_constraints(self.records)

    # ---- substitution ------------------------------------------------------------------
    def subs(self, mapping: Mapping[Any, Any] | None = None, **values: Any) -> Model:
        """A copy with symbols replaced by numbers (or other expressions); shapes are re-checked."""
        table = {s.name: s for s in self.free_symbols | set(self.defaults)}
        full: dict[sympy.Symbol, Any] = {}
        for key, value in {**(mapping or {}), **values}.items():
            sym = table.get(key) if isinstance(key, str) else key
            if sym is None:
                continue
            full[sym] = value
        memo: dict[int, Layer] = {}
        new_nodes: dict[int, Node] = {}
        for node in self.nodes:
            if id(node.layer) not in memo:
                memo[id(node.layer)] = node.layer.subs(full)
            new_nodes[id(node)] = Node(memo[id(node.layer)], [new_nodes[id(n)] for n in node.inputs], node.name)
        return type(self)._rebuilt(self, list(new_nodes.values()), [new_nodes[id(n)] for n in self.output_nodes])

    def with_defaults(self) -> Model:
        """The model with every symbol that has a default value replaced by it."""
        return self.subs(self.defaults) if self.defaults else self

    @classmethod
    def _rebuilt(cls, old: Model, nodes: list[Node], outputs: list[Node]) -> Model:
        new = Model.__new__(cls)
        Model.__init__(new, name=old.name, nodes=nodes, output_nodes=outputs, defaults=old.defaults,
                       convention=old.convention, source=old.source)
        new.trainable = old.trainable
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
            memo[id(node)] = Node(layer, [memo[id(n)] for n in node.inputs], node.name)
        return type(self)._rebuilt(self, list(memo.values()), [memo[id(n)] for n in self.output_nodes])

    # ---- a model as a layer (nested Sequential) ------------------------------------
    def output_shape(self, inputs: list[Shape]) -> Shape:
        inner = self.with_input(*inputs)
        outs = inner.output_shapes
        return outs[0]

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
        return type(self).__name__

    # ---- checking a hand calculation ---------------------------------------------------
    def check(self, layer: Any, params: Any = None, shape: Any = None, macs: Any = None, **values: Any) -> Any:
        """Check a hand calculation for one layer: ``model.check("conv2d_1", params="(3² × 64 × 64) + 64")``."""
        from .check import check

        return check(self, layer, params=params, shape=shape, macs=macs, **values)

    # ---- display --------------------------------------------------------------------
    def worked_solution(self) -> str:
        """Every layer's formula, substitution and result, as Markdown with LaTeX math (also shown in Jupyter)."""
        from .render.worked import repr_markdown

        return repr_markdown(self)

    def _repr_markdown_(self) -> str:
        return self.worked_solution()

    def summary(self, convention: str = "torchinfo") -> None:
        """Print a Keras-style table with a MACs column."""
        from .render.summary import table

        print(table(self, convention=convention))

    def __repr__(self) -> str:
        return f"<{self.class_name} {self.name!r}: {len(self.nodes)} layers, {self.total_params} params>"


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
        _name_nodes(self.nodes)
        for key in ("records", "trainable_params", "non_trainable_params", "total_params", "total_buffers"):
            self.__dict__.pop(key, None)


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


def _topological(outputs: Sequence[Node]) -> list[Node]:
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


def _name_nodes(nodes: list[Node]) -> None:
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


def _unknown_size_error(layer: Layer, shapes: Sequence[Shape]) -> ShapeError | None:
    """The error for a formula that met an unknown (None) size; None if no size is unknown (then it is a bug)."""
    unknown = [s for s in shapes if any(d is None for d in s[1:])]
    if not unknown:
        return None
    return ShapeError(
        f"{layer.class_name} needs sizes that are known, got {format_shape(unknown[0])}: "
        "give the unknown (None) size a symbol name such as H instead"
    )


def _check_sizes(shape: Shape) -> None:
    for d in shape[1:]:
        if d is not None and is_number(d) and d < 1:
            raise ShapeError(f"the input is too small: the output shape would be {format_shape(shape)}")


__all__ = ["LayerRecord", "Model", "Node", "Sequential", "Tensor", "prod"]
