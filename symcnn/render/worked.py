"""Worked solutions: each layer's formula, the numbers put into it, and the result.

The general formula of a layer is not typed anywhere: a copy of the layer has
its sizes (kernel, strides, filters, units, ...) and its input shape replaced
by named symbols, and the layer's own ``output_shape``, ``weights`` and MAC
methods compute with them. The substitution is the same expression printed
with each symbol's value (:class:`~symcnn.render.latex.ValuePrinter`), and the
result is the record's own number. A formula that does not give the record's
number at its values is not shown (``LayerWork.fallback``), so a page can never
show arithmetic that disagrees with the engine.

>>> from symcnn import load
>>> work = layer_work(load("examples/seed.yaml").get_layer("conv2d"))
>>> work.param_steps[0].substituted
'(3 \\\\times 3 \\\\times 1 \\\\times 64) + 64'
>>> work.param_steps[0].result
'640'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy

from ..errors import SymcnnError
from ..formulas import conv_output_length, is_number, same_padding, simplify_int
from ..layers.base import Layer, Shape, Weight
from ..layers.core import InputLayer
from ..model import Model
from ..record import LayerRecord
from .latex import ValuePrinter, arrange, evaluated, latex
from .symbolic import (
    AXES,
    AXIS_WORD,
    LISTING,
    SIDES,
    Binder,
    axis_names,
    same_value,
    symbolic_arguments,
    symbolic_inputs,
)
from .text import md_escape

__all__ = ["LayerWork", "Quantity", "Step", "layer_work", "model_work"]

# ---- the data a page is made of --------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One line of hand calculation: ``lhs = formula = substituted = result`` (LaTeX).

    ``substituted`` is None where the values are symbolic (the result is then a closed form).
    """

    title: str
    formula: str
    substituted: str | None
    result: str
    lhs: str = ""
    note: str = ""  # Markdown (generated text; may hold $math$)
    words: str = ""  # the formula in words, LaTeX (e.g. \text{kernel} + \text{bias}), shown before it


@dataclass(frozen=True)
class Quantity:
    """A value a layer's formulas use: a label, its symbol (LaTeX) and its value (LaTeX)."""

    label: str
    symbol: str
    value: str


@dataclass
class LayerWork:
    """Everything a page shows about one layer call."""

    record: LayerRecord
    quantities: list[Quantity] = field(default_factory=list)
    settings: list[tuple[str, str]] = field(default_factory=list)  # non-numeric arguments (raw text)
    shape_line: Step | None = None
    shape_steps: list[Step] = field(default_factory=list)
    param_steps: list[Step] = field(default_factory=list)
    mac_steps: list[Step] = field(default_factory=list)
    param_note: str = ""  # why there is nothing to learn (Markdown)
    mac_note: str = ""
    symbolic: bool = False  # results are closed forms; no substitution shown
    fallback: bool = False  # the general formulas could not be derived: results only

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def type(self) -> str:
        return self.record.type


# ---- why a layer learns nothing ----------------------------------------------------------

_NOTHING_TO_LEARN = {
    "_Pooling": "Pooling takes the {op} of each window: a fixed rule, so there is nothing to learn. "
                "It only shrinks the height and width.",
    "_GlobalPooling": "Global pooling takes the {op} of each channel over all positions: a fixed rule, "
                      "so there is nothing to learn.",
    "Flatten": "Flatten only lines the values up into one vector; it changes no value, so there is nothing to learn.",
    "Reshape": "Reshape only rearranges the values; there is nothing to learn.",
    "_Merge": "It combines its inputs element by element with a fixed rule; there is nothing to learn.",
    "Concatenate": "It places its inputs side by side; there is nothing to learn.",
    "_ZeroPadding": "It adds zeros around the edges; there is nothing to learn.",
    "_Cropping": "It cuts rows and columns off the edges; there is nothing to learn.",
    "_UpSampling": "It repeats values; there is nothing to learn.",
    "_Identity": "It applies a fixed function (or, for dropout and noise, acts only during training) "
                 "and keeps the shape; there is nothing to learn.",
}


_NO_MACS = ("No multiply-accumulates are counted: torchinfo counts MACs only for layers with "
            "learned parameters, and fvcore only for convolutions and matrix products.")


def _nothing_to_learn(layer: Layer) -> str:
    for klass in type(layer).__mro__:
        text = _NOTHING_TO_LEARN.get(klass.__name__)
        if text:
            op = "average" if "Average" in type(layer).__name__ else "maximum"
            return text.format(op=op)
    return "This layer has no weights, so there is nothing to learn."


# ---- building the steps ---------------------------------------------------------------------

_TEXT_SAFE = str.maketrans({c: " " for c in "_/\\{}$^&%#~"})


def _weight_label(w: Weight) -> str:
    text = w.name.rsplit("/", 1)[-1].translate(_TEXT_SAFE).strip()
    return "".join(ch for ch in text if ch.isalnum() or ch == " ") or "weight"


def _weight_term(w: Weight) -> Any:
    if not w.shape:
        return sympy.Integer(1)
    if len(w.shape) == 1:
        return w.shape[0]
    return sympy.Mul(*w.shape, evaluate=False)


def _bracketed(tex: str, wrap: bool) -> str:
    """The tutorial's "(3 × 3 × 1 × 64) + 64": a product among several terms in brackets."""
    return f"({tex})" if wrap else tex


def _shape_tex(binder: Binder, shape: Shape) -> str:
    return "(" + ", ".join(r"\text{None}" if d is None else binder.formula(d) for d in shape) + ")"


def _value_tex(shape: Shape) -> str:
    return "(" + ", ".join(r"\text{None}" if d is None else latex(d) for d in shape) + ")"


class _Builder:
    def __init__(self, record: LayerRecord) -> None:
        self.record = record
        self.layer = record.layer
        self.binder = Binder()
        self.work = LayerWork(record)
        self.sym_layer: Layer = self.layer
        self.sym_inputs: list[Shape] = []
        self.sym_output: Shape = ()
        self.named_output: Shape = ()

    def build(self) -> LayerWork:
        rec, work = self.record, self.work
        for key, value in self.layer.hyperparameters().items():
            if isinstance(value, (str, bool)):
                work.settings.append((key.replace("_", " "), str(value)))
        try:
            self._symbolize()
            self._shape()
            self._params()
            self._macs()
        except (SymcnnError, TypeError, ValueError, AttributeError, ZeroDivisionError, IndexError):
            self._fallback()
        uncountable = {c: p for c in ("torchinfo", "fvcore") if (p := _macs_problem(rec, c)) is not None}
        if uncountable:
            notes = [f"MACs ({c}) cannot be counted: {md_escape(p)}." for c, p in uncountable.items()]
            work.mac_note = " ".join(notes)
        work.symbolic = not self.binder.numeric or not all(
            is_number(d) for d in rec.output_shape[1:] if d is not None
        )
        work.quantities = [
            Quantity(label, self.binder.names[sym], latex(self.binder.values[sym]))
            for sym, label in sorted(self.binder.quantities, key=lambda q: LISTING.index(self.binder.roles[q[0]]))
        ]
        if rec.weights == [] or all(w.size == 0 for w in rec.weights):
            work.param_note = _nothing_to_learn(self.layer)
        if not work.mac_steps and not work.mac_note:
            work.mac_note = _NO_MACS
        return work

    # -- symbols ------------------------------------------------------------------------
    def _symbolize(self) -> None:
        rec = self.record
        if isinstance(self.layer, (InputLayer, Model)) or len(rec.input_shapes) != 1:
            raise ValueError("no symbolic form for this layer")
        self.sym_inputs = symbolic_inputs(self.binder, rec.input_shapes, self.layer.channels_last)
        shape = self.sym_inputs[0]
        channel = shape[-1] if self.layer.channels_last or len(shape) < 3 else shape[1]
        self.sym_layer = symbolic_arguments(self.binder, self.layer, channel)
        self.sym_output = tuple(self.sym_layer.output_shape(self.sym_inputs))
        if len(self.sym_output) != len(rec.output_shape):
            raise ValueError("symbolic output has another rank")

    # -- output shape ---------------------------------------------------------------------
    def _shape(self) -> None:
        rec, b = self.record, self.binder
        names = axis_names(len(self.sym_output), self.layer.channels_last)
        named: list[Any] = [self.sym_output[0]]
        groups: list[tuple[list[str], Any, Step]] = []
        for (letter, label, axis), expr, actual in zip(names, self.sym_output[1:], rec.output_shape[1:]):
            if expr is None or not isinstance(expr, sympy.Basic) or expr.is_Symbol or expr.is_Integer:
                named.append(expr)
                continue
            out = b.symbol(f"{letter}_{{\\text{{out}}}}", actual, f"output {label}", "out", listed=False)
            named.append(out)
            step = self._axis_step(axis, expr, actual, out)
            for group in groups:
                if group[2].substituted == step.substituted and group[2].result == step.result and step.substituted:
                    group[0].append(b.names[out])
                    break
            else:
                groups.append(([b.names[out]], axis, step))
        self.named_output = tuple(named)
        for lhs_names, _, step in groups:
            if len(lhs_names) > 1:
                others = ", ".join(f"${n}$" for n in lhs_names[1:])
                note = f"{others} {'is' if len(lhs_names) == 2 else 'are'} worked out the same way, with the same numbers."
                step = Step(step.title, step.formula, step.substituted, step.result, step.lhs,
                            (step.note + " " + note).strip())
            self.work.shape_steps.append(step)
        self.work.shape_line = Step(
            "Output shape", _shape_tex(b, self.named_output), None, _value_tex(rec.output_shape), lhs=""
        )

    def _axis_step(self, axis: str, expr: Any, actual: Any, out: sympy.Symbol) -> Step:
        b = self.binder
        display, note = self._padding_form(axis, expr)
        display = arrange(display, b.rank)
        if not same_value(b.value(display), actual):
            raise ValueError(f"shape formula disagrees with the record on axis {axis}")
        substituted = b.substituted(display) if b.numeric else None
        word = AXIS_WORD.get(axis, "size")
        return Step(f"Output {word}", b.formula(display), substituted, latex(actual), b.names[out], note)

    def _padding_form(self, axis: str, expr: Any) -> tuple[Any, str]:
        """For 'valid' windows, the formula with explicit zero padding on both sides (checked equal)."""
        layer, sym, b = self.layer, self.sym_layer, self.binder
        padding = getattr(layer, "padding", None)
        axes = AXES.get(len(getattr(sym, "strides", ()) or ()), ())
        if axis not in axes:
            return expr, ""
        i = axes.index(axis)
        kernel = getattr(sym, "kernel_size", None) or getattr(sym, "pool_size", None)
        stride = sym.strides[i]  # type: ignore[attr-defined]
        dilation = getattr(sym, "dilation_rate", (1,) * len(axes))[i]
        n = self.sym_inputs[0][1:][[a for _, _, a in axis_names(len(self.sym_inputs[0]), layer.channels_last)].index(axis)]
        if padding == "valid" and kernel is not None:
            sides = SIDES[axis]
            pads = [b.symbol(f"p_{{\\text{{{s}}}}}", 0, f"padding {s}", "pad", listed=False) for s in sides]
            candidate = conv_output_length(n, kernel[i], stride, dilation, pads)
            if isinstance(candidate, sympy.Basic) and same_value(candidate.xreplace({p: 0 for p in pads}), expr):
                return candidate, self._floor_note(candidate, stride)
            for p in pads:
                del b.names[p], b.values[p], b.rank[p]
            return expr, ""
        if padding in ("same", "causal") and kernel is not None:
            note = r"Padding 'same' keeps $\lceil n/s \rceil$ positions: $\left\lfloor \frac{n - 1}{s} \right\rfloor + 1 = \left\lceil \frac{n}{s} \right\rceil$."
            values = [b.values.get(x, x) if isinstance(x, sympy.Symbol) else x for x in (n, kernel[i], stride, dilation)]
            if padding == "same" and all(is_number(v) for v in values):
                before, after = same_padding(*values)
                note += f" Keras pads {before} before and {after} after on this axis."
            return expr, note
        return expr, ""

    def _floor_note(self, display: Any, stride: Any) -> str:
        """What the floor does here, next to the tutorial's form that leaves it implicit."""
        b = self.binder
        step = b.values.get(stride, stride) if isinstance(stride, sympy.Symbol) else stride
        if not b.numeric or step == 1:
            return ""
        arranged = arrange(display, b.rank)
        unfloored = ValuePrinter(b.values, b.names, floors=False).doprint(arranged)
        exact = simplify_int(evaluated(display).replace(sympy.floor, lambda x: x).xreplace(b.values))
        result = latex(b.value(display))
        if isinstance(exact, sympy.Rational) and not exact.is_Integer:
            return (f"Without the floor, as the formula is often written, ${unfloored} = {float(exact):g}$: "
                    f"only whole windows fit, so the floor gives ${result}$.")
        return f"The division comes out even here, ${unfloored} = {result}$, so the floor changes nothing."

    # -- parameters ------------------------------------------------------------------------
    def _params(self) -> None:
        rec, b, work = self.record, self.binder, self.work
        if rec.shared_with is not None:
            work.param_note = (f"This call reuses the weights of {md_escape(rec.shared_with)}; "
                               "they are counted there, once.")
            return
        weights = self.sym_layer.weights(self.sym_inputs)
        groups: dict[str, list[Weight]] = {"trainable": [], "non-trainable": []}
        for w in weights:
            one = LayerRecord(rec.name, self.layer, [], [], (), [w])
            if one.trainable != 0:
                groups["trainable"].append(w)
            elif one.non_trainable != 0:
                groups["non-trainable"].append(w)
        actual = {"trainable": rec.trainable, "non-trainable": rec.non_trainable}
        for kind, ws in groups.items():
            if not ws:
                if actual[kind] != 0:
                    raise ValueError(f"{kind} weights disagree with the record")
                continue
            terms = [_weight_term(w) for w in ws]
            total = sympy.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0]
            if not same_value(b.value(total), actual[kind]):
                raise ValueError(f"{kind} count disagrees with the record")
            many = len(terms) > 1
            formula = " + ".join(_bracketed(b.formula(t), many and isinstance(t, sympy.Mul)) for t in terms)
            words = " + ".join(rf"\text{{{_weight_label(w)}}}" for w in ws)
            substituted: str | None = None
            if b.numeric:
                substituted = " + ".join(_bracketed(b.substituted(t), many and isinstance(t, sympy.Mul)) for t in terms)
            labels = " + ".join(_weight_label(w) for w in ws)
            work.param_steps.append(Step(f"{kind.capitalize()} parameters ({labels})", formula, substituted,
                                         latex(actual[kind]), rf"\text{{{kind}}}", words=words))
        if groups["trainable"] and groups["non-trainable"]:
            work.param_steps.append(Step(
                "Parameters", r"\text{trainable} + \text{non-trainable}",
                f"{latex(rec.trainable)} + {latex(rec.non_trainable)}", latex(rec.params), r"\text{total}"))

    # -- MACs ----------------------------------------------------------------------------------
    def _macs(self) -> None:
        rec, b, work = self.record, self.binder, self.work
        if rec.shared_with is None:
            learned = [w for w in self.sym_layer.weights(self.sym_inputs) if w.kind == "param"]
        else:
            learned = []
        actual_ti = rec.macs_by("torchinfo") if _macs_problem(rec, "torchinfo") is None else 0
        if learned and actual_ti != 0:
            positions = self.sym_layer.torchinfo_positions(self.sym_inputs, self.named_output)
            terms = [_weight_term(w) for w in learned]
            inner = sympy.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0]
            factors = [f for f in sympy.Mul.make_args(arrange(positions, b.rank)) if f != 1]
            display = sympy.Mul(*factors, inner, evaluate=False) if factors else inner
            engine = self.sym_layer.macs(self.sym_inputs, self.named_output, "torchinfo")
            if not (same_value(evaluated(display), engine) and same_value(b.value(display), actual_ti)):
                raise ValueError("torchinfo MACs disagree with the record")
            work.mac_steps.append(Step("MACs (torchinfo: every learned parameter, at every output position)",
                                       b.formula(display), b.substituted(display) if b.numeric else None,
                                       latex(actual_ti), r"\text{MACs}"))
        actual_fv = rec.macs_by("fvcore") if _macs_problem(rec, "fvcore") is None else 0
        if actual_fv != 0:
            engine = self.sym_layer.fvcore_macs(self.sym_inputs, self.named_output)
            display = arrange(engine, b.rank)
            if not same_value(b.value(display), actual_fv):
                raise ValueError("fvcore MACs disagree with the record")
            work.mac_steps.append(Step("MACs (fvcore: multiply-accumulates of the weights only, no bias)",
                                       b.formula(display), b.substituted(display) if b.numeric else None,
                                       latex(actual_fv), r"\text{MACs}"))

    def _fallback(self) -> None:
        rec, work = self.record, self.work
        # Inputs and parameter-free merges have no formula to show; anything else is a real gap.
        merge = len(rec.input_shapes) > 1 and rec.params == 0
        work.fallback = not isinstance(self.layer, InputLayer) and not merge
        work.shape_steps, work.param_steps, work.mac_steps = [], [], []
        work.shape_line = Step("Output shape", _value_tex(rec.output_shape), None, _value_tex(rec.output_shape))
        if rec.params != 0:
            work.param_steps.append(Step("Parameters", latex(rec.params), None, latex(rec.params), r"\text{total}"))
        for conv in ("torchinfo", "fvcore"):
            if _macs_problem(rec, conv) is not None:
                continue
            v = rec.macs_by(conv)
            if v != 0:
                work.mac_steps.append(Step(f"MACs ({conv})", latex(v), None, latex(v), r"\text{MACs}"))


def _macs_problem(record: LayerRecord, convention: str) -> str | None:
    """Why the record's MACs cannot be counted under ``convention`` (an unknown size), or None."""
    try:
        record.macs_by(convention)
    except SymcnnError as exc:
        return exc.problem
    return None


def layer_work(record: LayerRecord) -> LayerWork:
    """The worked solution of one layer call (its shape, parameters and MACs, step by step)."""
    return _Builder(record).build()


def model_work(model: Model) -> list[LayerWork]:
    """Worked solutions of every layer call of ``model`` except its inputs, in graph order."""
    return [layer_work(r) for r in model.records if not isinstance(r.layer, InputLayer)]


def symbol_table(values: Mapping[sympy.Symbol, Any]) -> list[tuple[str, str]]:
    """(LaTeX symbol, LaTeX value) pairs, sorted by name: the defaults a symbolic page was drawn at."""
    return [(latex(s), latex(v)) for s, v in sorted(values.items(), key=lambda kv: kv[0].name)]


__all__ += ["symbol_table"]
