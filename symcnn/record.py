"""One layer call's results: shapes, weights, counts and MACs, as exact SymPy values."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy

from .errors import ArgumentError, ShapeError
from .formulas import Dim, is_number, prod, simplify_int
from .layers.base import WEIGHT_KINDS, Layer, Shape, Weight, format_shape, unknown_size_error
from .views import view


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
    other_outputs: list[Shape] = field(default_factory=list)  # a layer with several outputs: the 2nd, 3rd ...
    input_indices: list[int] = field(default_factory=list)  # which output of each input (0 when missing)
    side_inputs: list[tuple[str, int]] = field(default_factory=list)  # masks, initial states: (layer, output)
    position: int | None = None  # the layer's number on its worked page (1 = first non-input layer)

    @property
    def connections(self) -> list[str]:
        """Every tensor the call reads, as Keras's summary lists them: ``lstm``, or ``lstm[1]`` for a second output."""
        indices = [*self.input_indices, *[0] * (len(self.inputs) - len(self.input_indices))]
        refs = [*zip(self.inputs, indices), *self.side_inputs]
        return [f"{name}[{index}]" if index else name for name, index in refs]

    @property
    def output_shapes(self) -> list[Shape]:
        """Every output's shape: one for most layers; an LSTM with ``return_state`` adds its states."""
        return [self.output_shape, *self.other_outputs]

    @property
    def layers(self) -> list[LayerRecord]:
        """A nested model's own layers at this call's input shapes (Keras's ``model.get_layer("base").layers``)."""
        at = getattr(self.layer, "with_input", None)
        if at is None:
            raise ArgumentError(f"{self.name} ({self.type}) is a layer, not a model: it has no layers of its own")
        records: list[LayerRecord] = at(*self.input_shapes).records
        return records

    def get_layer(self, name: str) -> LayerRecord:
        """One layer of a nested model, by name."""
        for r in self.layers:
            if r.name == name:
                return r
        raise ArgumentError(f"{self.name} has no layer named {name!r}; layers: {', '.join(r.name for r in self.layers)}")

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

    @property
    def activations(self) -> sympy.Expr | None:
        """The values this layer outputs per sample: its output shape's product without the batch axis
        (summed over the outputs of a layer with several, such as an LSTM's states).

        None when a size is unknown. An input layer's activations are the input's values.
        """
        dims = [shape[1:] for shape in self.output_shapes]
        if any(d is None for shape in dims for d in shape):
            return None
        return to_expr(simplify_int(sum((prod(shape) for shape in dims), start=0)))

    @property
    def params_by_kind(self) -> dict[str, sympy.Expr]:
        """This layer's weights by kind (``WEIGHT_KINDS``), counted as ``params`` counts them.

        They add up to ``params + buffers``: moving statistics are parameters in Keras and buffers in torch.
        """
        return {kind: self._count(lambda w, k=kind: self.layer.weight_kind(w) == k) for kind in WEIGHT_KINDS}

    def macs_by(self, convention: str = "torchinfo") -> sympy.Expr:
        if convention not in self._macs:
            try:
                macs = self.layer.macs(self.input_shapes, self.output_shape, convention)
            except TypeError:
                error = unknown_size_error(self.layer, [*self.input_shapes, self.output_shape])
                if error is None:
                    raise  # no size is unknown: a real bug
                raise error.within(layer=self.name) from None
            self._macs[convention] = simplify_int(macs)
        return to_expr(self._macs[convention])

    @property
    def macs(self) -> sympy.Expr:
        return self.macs_by("torchinfo")

    def _repr_markdown_(self) -> str:
        return view("worked_solution")(self)  # type: ignore[no-any-return]

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Jupyter: the layer's labelled lines as text, its worked solution as HTML with MathML."""
        return view("notebook")(self, include, exclude)  # type: ignore[no-any-return]

    def _repr_html_(self) -> str | None:
        return view("html")(self)  # type: ignore[no-any-return]

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(view("text")(self))

    def __repr__(self) -> str:
        number = f"{self.position}. " if self.position else ""
        return (f"<LayerRecord {number}{self.name} ({self.type}): output {format_shape(self.output_shape)}, "
                f"{self.params} params>")


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


def check_sizes(shape: Shape) -> None:
    """Refuse an output shape with an empty axis or a size that is not a whole number."""
    for d in shape:
        if not_whole(d):
            raise ShapeError(f"a size is not a whole number: the output shape would be {format_shape(shape)}")
    for d in shape[1:]:
        if d is not None and is_number(d) and d < 1:
            raise ShapeError(f"the input is too small: the output shape would be {format_shape(shape)}")


def check_weight_sizes(weights: Sequence[Weight]) -> None:
    """Refuse a weight whose shape holds a number that is not whole (a count must be whole)."""
    for w in weights:
        if any(not_whole(d) for d in w.shape):
            raise ShapeError(f"a size is not a whole number: weight {w.name!r} would have shape {format_shape(w.shape)}")


def not_whole(value: Any) -> bool:
    """True for a number that is not an integer (5/2, 2.5); False for integers, None and formulas."""
    if isinstance(value, float):
        return True
    return isinstance(value, sympy.Basic) and value.is_number is True and value.is_Integer is not True


def check_whole_after_subs(name: str, old: Layer, new: Layer, values: Mapping[sympy.Symbol, Any]) -> None:
    """After a substitution, every size argument that was a formula must still be a whole number.

    Names the argument: ``units = F/2 is 5/2 at F = 5``. (Shapes and weights are checked again when
    the records are built, so a size that is not an argument is caught there.)
    """
    for key, before in vars(old).items():
        after = vars(new).get(key)
        pairs = zip(before, after) if isinstance(before, (tuple, list)) and isinstance(after, (tuple, list)) else [(before, after)]
        for b, a in pairs:
            if isinstance(b, sympy.Basic) and b.free_symbols and not_whole(a):
                at = ", ".join(f"{s} = {values[s]}" for s in sorted(b.free_symbols, key=str) if s in values)
                arg = {"declared_input": "shape"}.get(key, key.lstrip("_"))
                raise ShapeError(f"{arg} = {b} is {a} at {at}: a size must be a whole number", layer=name)
