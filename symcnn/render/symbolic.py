"""A symbolic copy of a layer: its sizes and input shape replaced by named local symbols (k_h, s_w, F, H_in ...).

Worked pages run the layer's own methods on this copy to get its general formulas, and print
the substitution with the values the binder remembers.
"""

from __future__ import annotations

import copy
from typing import Any

import sympy

from ..formulas import is_number, simplify_int
from ..layers.base import Layer, Shape
from .latex import Formula, FormulaPrinter, ValuePrinter, evaluated

AXES = {1: ("l",), 2: ("h", "w"), 3: ("d", "h", "w")}
AXIS_WORD = {"l": "length", "d": "depth", "h": "height", "w": "width"}
SIDES = {"l": ("left", "right"), "d": ("front", "back"), "h": ("top", "bottom"), "w": ("left", "right")}
_DIM_LETTER = {"l": "L", "d": "D", "h": "H", "w": "W"}

# Roles order the factors and terms of a formula as a person reads them.
_ROLE = {"out": 0, "kernel": 1, "in": 2, "pad": 3, "filters": 4, "other": 5, "stride": 6, "dilation": 7}

LISTING = ["in", "kernel", "stride", "dilation", "pad", "filters", "other", "out"]

# Layer arguments that are sizes: argument -> (symbol letter, label, role).
_SIZE_ARGUMENTS = {
    "kernel_size": ("k", "kernel", "kernel"),
    "pool_size": ("k", "pool window", "kernel"),
    "strides": ("s", "stride", "stride"),
    "dilation_rate": ("d", "dilation", "dilation"),
    "filters": ("F", "filters", "filters"),
    "units": ("n_{\\text{out}}", "units (output size)", "filters"),
    "depth_multiplier": ("M", "depth multiplier", "other"),
    "groups": ("g", "groups", "other"),
    "output_padding": ("o", "output padding", "other"),
    "size": ("u", "upsampling factor", "other"),
    "padding": ("p", "padding", "pad"),
    "cropping": ("c", "cropping", "pad"),
    # PyTorch's names for the same sizes.
    "stride": ("s", "stride", "stride"),
    "dilation": ("d", "dilation", "dilation"),
    "out_channels": ("F", "output channels (filters)", "filters"),
    "out_features": ("n_{\\text{out}}", "output features", "filters"),
    "num_embeddings": ("V", "vocabulary size", "other"),
    "embedding_dim": ("E", "embedding size", "filters"),
    "input_dim": ("V", "vocabulary size", "other"),
    "output_dim": ("E", "embedding size", "filters"),
}

# Arguments that restate the input's channel count: they share its symbol.
_INPUT_ALIASES = ("in_channels", "in_features", "num_features", "num_channels")


class Binder:
    """Makes the local symbols of one layer's formulas and remembers their values."""

    def __init__(self) -> None:
        self.values: dict[sympy.Symbol, Any] = {}
        self.names: dict[sympy.Symbol, str] = {}
        self.rank: dict[sympy.Symbol, int] = {}
        self.quantities: list[tuple[sympy.Symbol, str]] = []
        self.roles: dict[sympy.Symbol, str] = {}
        self.labels: dict[sympy.Symbol, str] = {}

    def symbol(self, tex: str, value: Any, label: str, role: str, *, listed: bool = True) -> sympy.Symbol:
        while tex in self.names.values():
            tex += "'"
        sign = {"nonnegative": True} if role == "pad" else {"positive": True}
        sym = sympy.Symbol(f"_w{len(self.values)}", integer=True, **sign)
        self.values[sym] = simplify_int(value) if isinstance(value, sympy.Basic) else value
        self.names[sym] = tex
        self.rank[sym] = _ROLE[role] * 100 + len(self.values)
        self.roles[sym] = role
        self.labels[sym] = label
        if listed:
            self.quantities.append((sym, label))
        return sym

    @property
    def numeric(self) -> bool:
        return all(is_number(v) for v in self.values.values())

    def formula(self, expr: Any) -> str:
        return FormulaPrinter(self.names).doprint(expr) if isinstance(expr, sympy.Basic) else str(expr)

    def substituted(self, expr: Any) -> str:
        return ValuePrinter(self.values, self.names).doprint(expr) if isinstance(expr, sympy.Basic) else str(expr)

    def formula_f(self, expr: Any) -> Formula:
        """``expr`` to be printed with its symbols' names (the general formula)."""
        return Formula(expr, self.names)

    def value_f(self, expr: Any) -> Formula:
        """``expr`` to be printed with its symbols' values (the substitution)."""
        return Formula(expr, self.names, self.values)

    def value(self, expr: Any) -> Any:
        if not isinstance(expr, sympy.Basic):
            return expr
        return simplify_int(evaluated(expr).xreplace(self.values))


def axis_names(rank: int, channels_last: bool) -> list[tuple[str, str, str]]:
    """(letter, label, axis key) for each non-batch axis of a shape of ``rank`` (batch included)."""
    n = rank - 1
    if n == 1:
        return [("n", "size", "n")]
    spatial = AXES.get(n - 1)
    if spatial is None:
        return [(f"a_{{{i + 1}}}", f"axis {i + 1}", f"a{i}") for i in range(n)]
    axes = [(_DIM_LETTER[a], AXIS_WORD[a], a) for a in spatial]
    chan = ("C", "channels", "c")
    return [*axes, chan] if channels_last else [chan, *axes]


def symbolic_inputs(binder: Binder, shapes: list[Shape], channels_last: bool) -> list[Shape]:
    out = []
    for k, shape in enumerate(shapes):
        dims: list[Any] = [shape[0]]
        which = f"input {k + 1}" if len(shapes) > 1 else "input"  # a layer of several inputs lists each
        for (letter, label, _), d in zip(axis_names(len(shape), channels_last), shape[1:]):
            dims.append(None if d is None else binder.symbol(f"{letter}_{{\\text{{in}}}}", d, f"{which} {label}", "in"))
        out.append(tuple(dims))
    return out


def symbolic_arguments(binder: Binder, layer: Layer, channel: Any = None) -> Layer:
    """A copy of ``layer`` whose size arguments are symbols bound to their values.

    ``channel`` is the symbol of the input's channel axis: arguments that restate
    it (PyTorch's ``in_channels``) become that symbol.
    """
    sym_layer = copy.copy(layer)
    hyper = layer.hyperparameters()
    if isinstance(channel, sympy.Symbol):
        for arg in _INPUT_ALIASES:
            value = getattr(layer, arg, None)
            if value is not None and arg in hyper and same_value(value, binder.values.get(channel)):
                setattr(sym_layer, arg, channel)
    for arg, (letter, label, role) in _SIZE_ARGUMENTS.items():
        if arg not in hyper or not hasattr(layer, arg):
            continue
        value = getattr(layer, arg)
        if isinstance(value, tuple) and value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
            axes = AXES.get(len(value), ())
            pairs = []
            for axis, (before, after) in zip(axes, value):
                sides = SIDES[axis]
                pairs.append(tuple(
                    binder.symbol(f"{letter}_{{\\text{{{side}}}}}", v, f"{label} {side}", role)
                    for side, v in zip(sides, (before, after))
                ))
            if len(pairs) == len(value):
                setattr(sym_layer, arg, tuple(pairs))
        elif isinstance(value, tuple) and value and all(_is_size(v, role == "pad") for v in value):
            axes = AXES.get(len(value), tuple(str(i) for i in range(len(value))))
            setattr(sym_layer, arg, tuple(
                binder.symbol(f"{letter}_{{{a}}}", v, f"{label} {AXIS_WORD.get(a, a)}".strip(), role)
                for a, v in zip(axes, value)
            ))
        elif _is_size(value, role == "pad"):
            setattr(sym_layer, arg, binder.symbol(letter, value, label, role))
    return sym_layer


def _is_size(v: Any, allow_zero: bool = False) -> bool:
    return (isinstance(v, int) and not isinstance(v, bool) and (v > 0 or (allow_zero and v == 0))) or (
        isinstance(v, sympy.Expr) and not v.is_number and v.is_positive is not False
    )


def same_value(a: Any, b: Any) -> bool:
    """Equal as values: structurally, by simplification, or at sample points (floors defeat simplify)."""
    if a is None or b is None:
        return a is b
    x = sympy.Integer(a) if isinstance(a, int) else a
    y = sympy.Integer(b) if isinstance(b, int) else b
    if x == y:
        return True
    diff = x - y
    if not diff.free_symbols:
        return bool(sympy.simplify(diff) == 0)
    symbols = sorted(diff.free_symbols, key=lambda s: s.name)
    for base in _SAMPLE_POINTS:
        point = {s: base + 7 * i for i, s in enumerate(symbols)}
        if diff.xreplace(point) != 0:
            return False
    return True


_SAMPLE_POINTS = (97, 128, 211, 256, 1031)
