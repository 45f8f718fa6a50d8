"""Worked solutions: each layer's formula, the numbers put into it, and the result.

The general formula of a layer is not typed anywhere: a copy of the layer has
its sizes (kernel, strides, filters, units, ...) and its input shape replaced
by named symbols, and the layer's own ``output_shape``, ``weights`` and MAC
methods compute with them (window sizes come from :mod:`symcnn.formulas`). The
substitution is the same expression printed with each symbol's value, simplified
as a person writes it (no zero padding, no stride or dilation of 1, see
:func:`~symcnn.render.latex.as_written`), and the result is the record's own
number. A formula that does not give the record's number at its values is not
shown (``LayerWork.fallback``), so a page can never show arithmetic that
disagrees with the engine.

Every side of every step is a :class:`~symcnn.render.latex.Formula`: the
expression it is printed from travels with its LaTeX, so a test can read the
LaTeX back and compare.

>>> from symcnn import load
>>> work = layer_work(load("examples/seed.yaml").get_layer("conv2d"))
>>> work.shape_steps[0].substituted
'(64 - 3) + 1'
>>> work.param_steps[0].substituted
'(3 \\\\times 3 \\\\times 1 \\\\times 64) + 64'
>>> work.param_steps[0].result
'\\\\mathbf{640}'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import sympy

from ..errors import SymcnnError
from ..formulas import (
    conv_output_length,
    is_number,
    keras_deconv_padding,
    same_padding,
    simplify_int,
    torch_deconv_output_length,
)
from ..layers.base import Layer, Shape, Weight
from ..layers.core import InputLayer
from ..model import Model
from ..record import LayerRecord
from .latex import Formula, Paren, ValuePrinter, arrange, as_written, evaluated, latex
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

__all__ = ["LayerWork", "Quantity", "Step", "layer_work", "model_work", "symbol_table"]

# ---- the data a page is made of --------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One line of hand calculation: ``lhs = words = formula = substituted = result``.

    ``substituted`` is None where it would repeat the formula or the result. ``also``
    are other left-hand sides with the same value (the width, when it is worked out
    with the same numbers as the height).
    """

    title: str
    lhs_f: Formula | None
    formula_f: Formula
    substituted_f: Formula | None
    result_f: Formula
    note: str = ""  # Markdown (generated text; may hold $math$)
    words_f: Formula | None = None  # the formula in words (\text{kernel} + \text{bias}), shown before it
    also: tuple[Formula, ...] = ()

    @property
    def lhs(self) -> str:
        return "" if self.lhs_f is None else self.lhs_f.tex()

    @property
    def formula(self) -> str:
        return self.formula_f.tex()

    @property
    def substituted(self) -> str | None:
        return None if self.substituted_f is None else self.substituted_f.tex()

    @property
    def result(self) -> str:
        return self.result_f.tex()

    @property
    def words(self) -> str:
        return "" if self.words_f is None else self.words_f.tex()

    def chain(self) -> list[Formula]:
        """The right-hand sides in order, each different from the one before: words, formula, substitution, result."""
        out: list[Formula] = []
        for f in (self.words_f, self.formula_f, self.substituted_f, self.result_f):
            if f is None:
                continue
            if out and replace(out[-1], bold=False).tex() == replace(f, bold=False).tex():
                if f is self.result_f:
                    out[-1] = f  # the bold result
                continue
            out.append(f)
        return out


@dataclass(frozen=True)
class Quantity:
    """A value a layer's formulas use: a label, its symbol and its value (``input``: H_in × W_in × C_in = 64 × 64 × 1)."""

    label: str
    symbol_f: Formula
    value_f: Formula
    default: bool = False  # a stride, dilation or multiplier of 1 on every axis (the tutorial leaves it out)

    @property
    def symbol(self) -> str:
        return self.symbol_f.tex()

    @property
    def value(self) -> str:
        return self.value_f.tex()


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
    param_note: str = ""  # why there is nothing to learn, or no bias (Markdown)
    mac_note: str = ""
    symbolic: bool = False  # results are closed forms
    fallback: bool = False  # the general formulas could not be derived: results only

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def type(self) -> str:
        return self.record.type

    def steps(self) -> list[Step]:
        """Every step of the layer: output sizes, parameters, MACs (and the output shape line)."""
        line = [self.shape_line] if self.shape_line is not None else []
        return [*self.shape_steps, *line, *self.param_steps, *self.mac_steps]


# ---- what the words say -------------------------------------------------------------------

_NOTHING_TO_LEARN = {
    "_Pooling": "Pooling takes the {op} of each window: a fixed rule, so there is nothing to learn. "
                "It only shrinks the height and width.",
    "_GlobalPooling": "Global pooling takes the {op} of each channel over all positions: a fixed rule, "
                      "so there is nothing to learn.",
    "Flatten": "Flatten only lines the values up into one vector; it changes no value, so there is nothing to learn.",
    "Reshape": "Reshape only rearranges the values; there is nothing to learn.",
    "_Merge": "It combines its inputs element by element with a fixed rule; there is nothing to learn.",
    "Concatenate": "It places its inputs side by side along the channels; there is nothing to learn.",
    "_ZeroPadding": "It adds zeros around the edges; there is nothing to learn.",
    "_Cropping": "It cuts rows and columns off the edges; there is nothing to learn.",
    "_UpSampling": "It repeats values; there is nothing to learn.",
    "_Identity": "It applies a fixed function (or, for dropout and noise, acts only during training) "
                 "and keeps the shape; there is nothing to learn.",
}

# The gates of recurrent cells, by class (the count itself is the layer's own ``gates``).
_GATES = {
    "LSTM": "An LSTM cell has {g} gates: input $i$, forget $f$, cell candidate $\\tilde{{c}}$ and output $o$. "
            "Each gate has its own kernel, recurrent kernel and bias, which is where the factor {g} comes from.",
    "GRU": "A GRU cell has {g} gates: update $z$, reset $r$ and candidate $\\tilde{{h}}$, each with its own "
           "kernel, recurrent kernel and bias: the factor {g}.",
    "SimpleRNN": "A simple RNN cell feeds its output back in: one kernel for the input, one recurrent kernel "
                 "for the fed-back output, and one bias.",
    "ConvLSTM": "A ConvLSTM cell has {g} gates (input, forget, cell candidate, output), each a convolution "
                "of the input and one of the fed-back output, plus a bias: the factor {g}.",
}
_RESET_AFTER = ("With `reset_after=True` (Keras's default, the form cuDNN uses) the reset gate is applied after "
                "the recurrent product, $r \\odot (W_h h + b_h)$, so that product keeps a bias of its own: two "
                "biases per gate, hence the bias's extra factor 2.")
_RESET_BEFORE = "With `reset_after=False` the reset gate is applied before the recurrent product: one bias per gate."
_TORCH_RNN = ("PyTorch keeps two biases per gate, $b_{ih}$ for the input product and $b_{hh}$ for the recurrent "
              "one, and one set of weights per layer and direction.")


def _nothing_to_learn(layer: Layer) -> str:
    for klass in type(layer).__mro__:
        text = _NOTHING_TO_LEARN.get(klass.__name__)
        if text:
            op = "average" if "Average" in type(layer).__name__ else "maximum"
            return text.format(op=op)
    return "This layer has no weights, so there is nothing to learn."


def _gate_note(layer: Layer) -> str:
    names = [k.__name__ for k in type(layer).__mro__]
    inner = getattr(layer, "layer", None)  # Bidirectional / TimeDistributed
    if inner is not None and isinstance(inner, Layer) and "Bidirectional" in names:
        return "Bidirectional runs two copies of the layer, one per direction: " + (_gate_note(inner) or "") + \
            " Each copy has these weights, so the count is doubled."
    if layer.__module__.startswith("symcnn.layers.torch") and any(n in ("LSTM", "GRU", "RNN") for n in names):
        return _TORCH_RNN
    gates = getattr(layer, "gates", None)
    for name in names:
        key = "ConvLSTM" if name.startswith("ConvLSTM") else name
        if key in _GATES:
            text = _GATES[key].format(g=gates)
            if key == "GRU":
                text += " " + (_RESET_AFTER if getattr(layer, "reset_after", False) else _RESET_BEFORE)
            return text
    return ""


def _no_bias_note(layer: Layer, consumers: Sequence[LayerRecord]) -> str:
    """Why a layer that could have a bias has none (``use_bias=False``, torch's ``bias=False``)."""
    flag_name = "use_bias" if getattr(layer, "use_bias", True) is False else "bias" if getattr(layer, "bias", True) is False else None
    if flag_name is None:
        return ""
    norms = [c for c in consumers if "Norm" in c.type and any(w.kind == "param" for w in c.weights)]
    if norms:
        return (f"There is no bias (`{flag_name}=False`): the {md_escape(norms[0].type)} that follows "
                f"({md_escape(norms[0].name)}) subtracts the mean and adds its own shift $\\beta$, so a bias here "
                "would be cancelled and learn nothing.")
    return (f"There is no bias: the layer is built with `{flag_name}=False`, so each output is the weighted sum "
            "alone.")


# ---- building the steps ---------------------------------------------------------------------

_TEXT_SAFE = str.maketrans({c: " " for c in "_/\\{}$^&%#~"})


def _weight_label(w: Weight, whole: bool = False) -> str:
    text = (w.name if whole else w.name.rsplit("/", 1)[-1]).translate(_TEXT_SAFE).strip()
    return " ".join("".join(ch for ch in text if ch.isalnum() or ch == " ").split()) or "weight"


def _weight_labels(ws: Sequence[Weight]) -> list[str]:
    """Each weight's name for the words of a formula; the full name where the short ones repeat."""
    short = [_weight_label(w) for w in ws]
    return short if len(set(short)) == len(short) else [_weight_label(w, whole=True) for w in ws]


def _weight_term(w: Weight) -> Any:
    if not w.shape:
        return sympy.Integer(1)
    if len(w.shape) == 1:
        return w.shape[0]
    return sympy.Mul(*w.shape, evaluate=False)


def _text(words: Sequence[str]) -> Formula:
    """Words joined by + as a formula: ``\\text{kernel} + \\text{bias}`` (each word its own symbol)."""
    syms = [sympy.Symbol(f"_text{i}") for i in range(len(words))]
    names = {s: rf"\text{{{w}}}" for s, w in zip(syms, words)}
    expr = sympy.Add(*syms, evaluate=False) if len(syms) > 1 else syms[0]
    return Formula(expr, names)


def _label(word: str) -> Formula:
    return _text([word])


def _number(value: Any, *, bold: bool = False) -> Formula:
    v = simplify_int(value) if isinstance(value, sympy.Basic) else value
    return Formula(v if isinstance(v, int) else arrange(v, {}), bold=bold and isinstance(v, int))


def _shape_value(shape: Shape) -> Formula:
    return Formula(tuple(d if d is None or isinstance(d, int) else arrange(d, {}) for d in shape))


class _Builder:
    def __init__(self, record: LayerRecord, consumers: Sequence[LayerRecord] = ()) -> None:
        self.record = record
        self.layer = record.layer
        self.consumers = list(consumers)
        self.binder = Binder()
        self.work = LayerWork(record)
        self.sym_layer: Layer = self.layer
        self.sym_inputs: list[Shape] = []
        self.sym_output: Shape = ()
        self.named_output: Shape = ()
        self.ones: set[sympy.Symbol] = set()  # strides and dilations: a value of 1 is left out of substitutions
        self.firsts: set[sympy.Symbol] = set()  # symbols a formula's terms are ordered by first

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
        work.quantities = self._quantities()
        if not work.param_note:
            if rec.weights == [] or all(w.size == 0 for w in rec.weights):
                work.param_note = _nothing_to_learn(self.layer)
            else:
                work.param_note = " ".join(
                    n for n in (_gate_note(self.layer), _no_bias_note(self.layer, self.consumers)) if n
                )
        return work

    # -- symbols ------------------------------------------------------------------------
    def _symbolize(self) -> None:
        rec = self.record
        if isinstance(self.layer, (InputLayer, Model)) or not rec.input_shapes:
            raise ValueError("no symbolic form for this layer")
        self.sym_inputs = symbolic_inputs(self.binder, rec.input_shapes, self.layer.channels_last)
        shape = self.sym_inputs[0]
        channel = shape[-1] if self.layer.channels_last or len(shape) < 3 else shape[1]
        self.sym_layer = symbolic_arguments(self.binder, self.layer, channel)
        self.ones = {s for s, r in self.binder.roles.items() if r in ("stride", "dilation")}
        self.sym_output = tuple(self.sym_layer.output_shape(self.sym_inputs))
        if len(self.sym_output) != len(rec.output_shape):
            raise ValueError("symbolic output has another rank")

    def _quantities(self) -> list[Quantity]:
        """The listed symbols, the axes of one kind in one row: input H_in × W_in × C_in = 64 × 64 × 1."""
        b = self.binder
        listed = sorted(b.quantities, key=lambda q: LISTING.index(b.roles[q[0]]))
        groups: list[tuple[str, list[sympy.Symbol]]] = []
        for sym, label in listed:
            words = label.split()
            key = " ".join(words[:-1]) if len(words) > 1 and words[-1] in _AXIS_WORDS else label
            if groups and groups[-1][0] == key:
                groups[-1][1].append(sym)
            else:
                groups.append((key, [sym]))
        out = []
        for key, syms in groups:
            if len(syms) == 1:
                key = b.labels[syms[0]]
                expr: Any = syms[0]
            elif key in _TIMES_GROUPS or key.startswith("input "):
                expr = sympy.Mul(*syms, evaluate=False)
            else:
                expr = tuple(syms)
            default = key in _DEFAULT_ONE and all(b.values[s] == 1 for s in syms)
            out.append(Quantity(key, b.formula_f(expr), b.value_f(expr), default))
        return out

    # -- output shape ---------------------------------------------------------------------
    def _shape(self) -> None:
        rec, b = self.record, self.binder
        names = axis_names(len(self.sym_output), self.layer.channels_last)
        named: list[Any] = [self.sym_output[0]]
        steps: list[Step] = []
        for (letter, label, axis), expr, actual in zip(names, self.sym_output[1:], rec.output_shape[1:]):
            if expr is None or not isinstance(expr, sympy.Basic) or expr.is_Symbol or expr.is_Integer:
                named.append(expr)
                continue
            out = b.symbol(f"{letter}_{{\\text{{out}}}}", actual, f"output {label}", "out", listed=False)
            named.append(out)
            step = self._axis_step(axis, expr, actual, out)
            for i, earlier in enumerate(steps):
                if step.substituted is not None and (earlier.substituted, earlier.result) == (step.substituted, step.result):
                    # The same numbers: W_out = H_out = 62, no second derivation.
                    steps[i] = Step(f"{earlier.title} and {step.title[len('Output '):]}", earlier.lhs_f,
                                    earlier.formula_f, earlier.substituted_f, earlier.result_f, earlier.note,
                                    earlier.words_f, (*earlier.also, *([step.lhs_f] if step.lhs_f else [])))
                    break
            else:
                steps.append(step)
        self.named_output = tuple(named)
        self.work.shape_steps = steps
        self.work.shape_line = Step("Output shape", None, b.formula_f(self.named_output), None,
                                    _shape_value(rec.output_shape))

    def _axis_step(self, axis: str, expr: Any, actual: Any, out: sympy.Symbol) -> Step:
        b = self.binder
        display, note = self._window_form(axis, expr)
        first = {s: -1 for s in self.firsts}  # the textbook's order: (n − 1)·s first for a transposed convolution
        display = arrange(display, {**b.rank, **first})
        if not same_value(b.value(display), actual):
            raise ValueError(f"shape formula disagrees with the record on axis {axis}")
        written = as_written(display, b.values, self.ones)
        if not same_value(b.value(written), actual):
            written = display
        note = " ".join(n for n in (note, self._floor_note(written, actual)) if n)
        word = AXIS_WORD.get(axis, "size")
        return Step(f"Output {word}", Formula(out, b.names), b.formula_f(display), self._substitution(written),
                    _number(actual), note)

    def _substitution(self, expr: Any) -> Formula:
        """The substitution line (a step's chain leaves it out where it would repeat the formula)."""
        return self.binder.value_f(expr)

    def _window_form(self, axis: str, expr: Any) -> tuple[Any, str]:
        """The formula of a sliding window on ``axis``, with the padding it really has."""
        layer, sym, b = self.layer, self.sym_layer, self.binder
        padding = getattr(layer, "padding", None)
        axes = AXES.get(len(getattr(sym, "strides", ()) or ()), ())
        kernel = getattr(sym, "kernel_size", None) or getattr(sym, "pool_size", None)
        if axis not in axes or kernel is None or padding not in ("valid", "same", "causal"):
            return expr, ""
        i = axes.index(axis)
        stride = sym.strides[i]  # type: ignore[attr-defined]
        dilation = getattr(sym, "dilation_rate", (1,) * len(axes))[i]
        n = self.sym_inputs[0][1:][[a for _, _, a in axis_names(len(self.sym_inputs[0]), layer.channels_last)].index(axis)]
        numbers = [b.values.get(x, x) if isinstance(x, sympy.Symbol) else x for x in (n, kernel[i], stride, dilation)]
        known = all(is_number(v) for v in numbers)
        if "Transpose" in type(layer).__name__:
            return self._transposed_form(axis, i, n, kernel[i], stride, dilation, expr)
        sides = SIDES[axis]
        if padding == "valid":
            pads = (0, 0)
        elif not known:
            return expr, (r"Padding 'same' keeps $\left\lceil n/s \right\rceil$ positions: "
                          r"$\left\lfloor \frac{n - 1}{s} \right\rfloor + 1 = \left\lceil \frac{n}{s} \right\rceil$.")
        elif padding == "causal":
            pads = (int(numbers[3]) * (int(numbers[1]) - 1), 0)  # type: ignore[arg-type]
        else:
            pads = tuple(int(p) for p in same_padding(*numbers))  # type: ignore[assignment]
        symbols = [b.symbol(f"p_{{\\text{{{s}}}}}", p, f"padding {s}", "pad", listed=False) for s, p in zip(sides, pads)]
        candidate = conv_output_length(n, kernel[i], stride, dilation, symbols)
        if not (isinstance(candidate, sympy.Basic) and same_value(b.value(candidate), b.value(expr))):
            for p in symbols:
                del b.names[p], b.values[p], b.rank[p]
            return expr, ""
        if padding == "valid":
            return candidate, ""
        out = b.value(expr)
        if padding == "causal":
            return candidate, (f"Padding 'causal' adds $d \\times (k - 1) = {pads[0]}$ zeros at the start only, "
                               "so no output sees a later input.")
        total = pads[0] + pads[1]
        return candidate, (f"Padding 'same' adds {total} zero{'s' if total != 1 else ''} on this axis "
                           f"(${b.names[symbols[0]]} = {pads[0]}$, ${b.names[symbols[1]]} = {pads[1]}$), so that the "
                           f"output keeps $\\left\\lceil n/s \\right\\rceil = {latex(out)}$ positions.")

    def _transposed_form(self, axis: str, i: int, n: Any, kernel: Any, stride: Any, dilation: Any,
                         expr: Any) -> tuple[Any, str]:
        """(n − 1)·s + d·(k − 1) + 1 − 2p + o, with the p and o Keras uses (formulas.keras_deconv_padding)."""
        b, layer = self.binder, self.layer
        given = getattr(self.sym_layer, "output_padding", None)
        given_o = None if given is None else given[i]
        numbers = [b.values.get(x, x) if isinstance(x, sympy.Symbol) else x
                   for x in (kernel, stride, dilation, given_o if given_o is not None else 0)]
        if not all(is_number(v) for v in numbers):
            return expr, ""
        k, s, d, op = (int(v) for v in numbers)
        p_val, o_val = keras_deconv_padding(k, s, layer.padding, None if given_o is None else op, d)  # type: ignore[attr-defined]
        p = b.symbol(f"p_{{{axis}}}", p_val, f"cropping {AXIS_WORD.get(axis, axis)}", "pad", listed=False)
        o = given_o if isinstance(given_o, sympy.Symbol) else b.symbol(
            f"o_{{{axis}}}", o_val, f"output padding {AXIS_WORD.get(axis, axis)}", "pad", listed=False)
        candidate = torch_deconv_output_length(n, kernel, stride, p, o, dilation)
        if not same_value(b.value(candidate), b.value(expr)):
            return expr, ""
        if isinstance(n, sympy.Symbol):
            self.firsts = {n}
        parts = []
        if p_val:
            parts.append(f"crops ${b.names[p]} = {p_val}$ from each side")
        if o_val:
            parts.append(f"adds ${b.names[o]} = {o_val}$ at the end")
        if not parts:
            return candidate, ""
        why = (r"so that the output is $n \times s$" if layer.padding == "same" and given_o is None  # type: ignore[attr-defined]
               else "so that the windows leave no gap" if given_o is None else "as output_padding asks")
        note = (f"A transposed convolution spreads each input over $k$ outputs, $s$ apart; Keras's padding "
                f"'{layer.padding}' then {' and '.join(parts)}, {why}.")  # type: ignore[attr-defined]
        return candidate, note

    def _floor_note(self, written: Any, actual: Any) -> str:
        """Where the floor matters: the tutorial's form, without it, is not a whole number."""
        b = self.binder
        if not b.numeric or not written.has(sympy.floor):
            return ""
        unfloored = ValuePrinter(b.values, b.names, floors=False).doprint(written)
        exact = simplify_int(evaluated(written).replace(sympy.floor, lambda x: x).xreplace(b.values))
        if isinstance(exact, sympy.Rational) and not exact.is_Integer:
            return (f"Without the floor, as the formula is often written, ${unfloored} = {float(exact):g}$: "
                    f"only whole windows fit, so the floor gives ${latex(actual)}$.")
        return ""

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
            many = len(terms) > 1
            shown = [Paren(t, evaluate=False) if many and isinstance(t, sympy.Mul) else t for t in terms]
            total = sympy.Add(*shown, evaluate=False) if many else shown[0]
            if not same_value(b.value(total), actual[kind]):
                raise ValueError(f"{kind} count disagrees with the record")
            labels = _weight_labels(ws)
            work.param_steps.append(Step(
                f"{kind.capitalize()} parameters ({' + '.join(labels)})", _label(kind), b.formula_f(total),
                self._substitution(total), _number(actual[kind], bold=True), words_f=_text(labels)))
        if groups["trainable"] and groups["non-trainable"]:
            t, nt = sympy.Symbol("_trainable"), sympy.Symbol("_non_trainable")
            names = {t: r"\text{trainable}", nt: r"\text{non-trainable}"}
            both = sympy.Add(t, nt, evaluate=False)
            work.param_steps.append(Step(
                "Parameters", _label("total"), Formula(both, names),
                Formula(both, names, {t: simplify_int(rec.trainable), nt: simplify_int(rec.non_trainable)}),
                _number(rec.params, bold=True)))

    # -- MACs ----------------------------------------------------------------------------------
    def _per(self, expr: Any) -> str:
        """How often a count is taken, read off the formula's own symbols."""
        roles = {self.binder.roles.get(s) for s in getattr(expr, "free_symbols", ())}
        labels = {self.binder.labels.get(s, "") for s in getattr(expr, "free_symbols", ())}
        if "out" in roles:
            return "once per output position"
        if any(lab.startswith("input ") and lab.split()[-1] in ("height", "width", "depth", "length") for lab in labels):
            if getattr(self.layer, "gates", None) is not None or "RNN" in type(self.layer).__name__:
                return "once per time step"
            return "once per input position" if "Transpose" in type(self.layer).__name__ else "once per position"
        return "once per sample"

    def _macs(self) -> None:
        rec, b, work = self.record, self.binder, self.work
        learned = [w for w in self.sym_layer.weights(self.sym_inputs) if w.kind == "param"] if rec.shared_with is None else []
        actual_ti = rec.macs_by("torchinfo") if _macs_problem(rec, "torchinfo") is None else 0
        if learned and actual_ti != 0:
            positions = self.sym_layer.torchinfo_positions(self.sym_inputs, self.named_output)
            terms = [_weight_term(w) for w in learned]
            inner = sympy.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0]
            factors = [f for f in sympy.Mul.make_args(arrange(positions, b.rank)) if f != 1]
            display = sympy.Mul(*factors, inner, evaluate=False) if factors else inner
            engine = self.sym_layer.macs(self.sym_inputs, self.named_output, "torchinfo")
            stats = any(w.kind == "stat" for w in rec.weights)
            what = "each learned parameter" + (", bias included," if any("bias" in w.name for w in learned) else "")
            title = f"MACs (torchinfo: {what} {self._per(positions)}" + \
                ("; the moving statistics are not counted)" if stats else ")")
            if not same_value(evaluated(display), engine):  # a layer with its own rule (TimeDistributed)
                display = arrange(engine, b.rank)
                title = f"MACs (torchinfo: {self._per(display)})"
            if not same_value(b.value(display), actual_ti):
                raise ValueError("torchinfo MACs disagree with the record")
            work.mac_steps.append(Step(title, _label("MACs"), b.formula_f(display), self._substitution(display),
                                       _number(actual_ti)))
        actual_fv = rec.macs_by("fvcore") if _macs_problem(rec, "fvcore") is None else 0
        if actual_fv != 0:
            engine = self.sym_layer.macs(self.sym_inputs, self.named_output, "fvcore")
            display = arrange(engine, b.rank)
            if not same_value(b.value(display), actual_fv):
                raise ValueError("fvcore MACs disagree with the record")
            title = f"MACs (fvcore: each weight's multiply-add, {self._per(display)}; no bias)"
            work.mac_steps.append(Step(title, _label("MACs"), b.formula_f(display), self._substitution(display),
                                       _number(actual_fv)))

    def _fallback(self) -> None:
        rec, work = self.record, self.work
        # Inputs and parameter-free merges have no formula to show; anything else is a real gap.
        merge = len(rec.input_shapes) > 1 and rec.params == 0
        work.fallback = not isinstance(self.layer, InputLayer) and not merge
        work.shape_steps, work.param_steps, work.mac_steps = [], [], []
        work.shape_line = Step("Output shape", None, _shape_value(rec.output_shape), None,
                               _shape_value(rec.output_shape))
        if rec.params != 0:
            work.param_steps.append(Step("Parameters", _label("total"), _number(rec.params), None,
                                         _number(rec.params, bold=True)))
        for conv in ("torchinfo", "fvcore"):
            if _macs_problem(rec, conv) is not None:
                continue
            v = rec.macs_by(conv)
            if v != 0:
                work.mac_steps.append(Step(f"MACs ({conv})", _label("MACs"), _number(v), None, _number(v)))


_AXIS_WORDS = ("height", "width", "depth", "length", "channels", "size", "top", "bottom", "left", "right",
               "front", "back")
_TIMES_GROUPS = ("input", "kernel", "pool window")
_DEFAULT_ONE = ("stride", "dilation", "depth multiplier", "groups")


def _macs_problem(record: LayerRecord, convention: str) -> str | None:
    """Why the record's MACs cannot be counted under ``convention`` (an unknown size), or None."""
    try:
        record.macs_by(convention)
    except SymcnnError as exc:
        return exc.problem
    return None


def layer_work(record: LayerRecord, consumers: Sequence[LayerRecord] = ()) -> LayerWork:
    """The worked solution of one layer call (its shape, parameters and MACs, step by step).

    ``consumers`` are the layers that read its output (they explain a missing bias).
    """
    return _Builder(record, consumers).build()


def consumers_of(model: Model) -> dict[str, list[LayerRecord]]:
    """For each record's name, the records that take its output."""
    out: dict[str, list[LayerRecord]] = {r.name: [] for r in model.records}
    for r in model.records:
        for name in r.inputs:
            out.setdefault(name, []).append(r)
    return out


def model_work(model: Model) -> list[LayerWork]:
    """Worked solutions of every layer call of ``model`` except its inputs, in graph order."""
    after = consumers_of(model)
    return [layer_work(r, after.get(r.name, [])) for r in model.records if not isinstance(r.layer, InputLayer)]


def symbol_table(values: Mapping[sympy.Symbol, Any]) -> list[tuple[str, str]]:
    """(LaTeX symbol, LaTeX value) pairs, sorted by name: the defaults a symbolic page was drawn at."""
    return [(latex(s), latex(v)) for s, v in sorted(values.items(), key=lambda kv: kv[0].name)]


__all__ += ["consumers_of"]
