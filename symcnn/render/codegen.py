"""What the Keras and PyTorch code writers share: arguments, Python literals, the model walk.

>>> py_literal((3, 3), scalar=True)
'3'
"""

from __future__ import annotations

import itertools
import keyword
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy

from ..layers.base import Layer
from ..layers.core import InputLayer
from ..model import Model
from ..record import LayerRecord
from .sizes import checked_name, start_values

__all__ = [
    "NOT_READ",
    "Arg",
    "Listing",
    "Unwritable",
    "Writer",
    "is_chain",
    "known",
    "output_names",
    "py_literal",
    "same_value",
    "symbol_lines",
    "unwritable_layers",
]


class Unwritable(Exception):
    """A layer (or a value) that symcnn cannot write as code it has checked."""


@dataclass(frozen=True)
class Listing:
    """Code for a model, or the reasons there is none."""

    framework: str  # "Keras" or "PyTorch"
    code: str  # "" when some layer cannot be written
    problems: tuple[str, ...] = ()
    run_hint: str = ""  # what to call to see the numbers
    names: Mapping[str, str] = field(default_factory=dict)  # layer name -> its name in the code

    @property
    def ok(self) -> bool:
        return not self.problems


_KEEP = object()  # an Arg without a default: always written


@dataclass(frozen=True)
class Arg:
    """One keyword argument: ``keyword=get(layer)``, left out when it equals ``default``.

    ``get`` is an attribute name or a function of (layer, record). Tuples whose entries
    are all equal are written as one number when ``scalar`` is true (kernel_size=3).
    """

    keyword: str
    get: str | Callable[[Any, Any], Any]
    default: Any = _KEEP
    scalar: bool = True
    note: str = ""  # a comment for a value symcnn does not know (it changes no count)

    def value(self, layer: Any, record: LayerRecord | None) -> Any:
        return self.get(layer, record) if callable(self.get) else getattr(layer, self.get)

    def left_out(self, value: Any) -> bool:
        """True when ``value`` is the framework's default, so the code need not say it."""
        return self.default is not _KEEP and same_value(value, self.default)


@dataclass
class Writer:
    """Shared state of one listing: identifiers in use and symbols met."""

    taken: set[str] = field(default_factory=set)
    symbols: set[sympy.Symbol] = field(default_factory=set)
    names: dict[str, str] = field(default_factory=dict)

    def ident(self, name: str, fallback: str = "x") -> str:
        """A fresh Python identifier that reads like ``name``."""
        base = re.sub(r"[^0-9A-Za-z_]+", "_", name).strip("_") or fallback
        if base[0].isdigit():
            base = f"{fallback}_{base}"
        if keyword.iskeyword(base) or keyword.issoftkeyword(base):
            base += "_"
        out, n = base, 2
        while out in self.taken:
            out, n = f"{base}_{n}", n + 1
        self.taken.add(out)
        self.names.setdefault(name, out)
        return out

    def literal(self, value: Any, scalar: bool = False) -> str:
        return py_literal(value, self.symbols, scalar=scalar)


def same_value(value: Any, default: Any) -> bool:
    """``value`` equals ``default``; a tuple equals a number when every entry does ((1, 1) is 1).

    >>> same_value((1, 1), 1), same_value(True, 1), same_value(None, None)
    (True, False, True)
    """
    if isinstance(value, (tuple, list)) and not isinstance(default, (tuple, list)):
        return bool(value) and all(same_value(v, default) for v in value)
    if isinstance(value, bool) or isinstance(default, bool) or value is None or default is None:
        return value is default
    return bool(value == default)


def py_literal(value: Any, symbols: set[sympy.Symbol] | None = None, *, scalar: bool = False) -> str:
    """A Python literal for a layer argument; sizes may be whole-number polynomials in the model's symbols.

    >>> F = sympy.Symbol("F", integer=True, positive=True)
    >>> py_literal((3, 3), scalar=True), py_literal(2 * F + 1), py_literal(((1, 1), (2, 2)))
    ('3', '2*F + 1', '((1, 1), (2, 2))')
    """
    if isinstance(value, (list, tuple)):
        items = list(value)
        if scalar and items and all(same_value(v, items[0]) for v in items):
            return py_literal(items[0], symbols)
        inner = ", ".join(py_literal(v, symbols) for v in items)
        return f"({inner},)" if len(items) == 1 else f"({inner})"
    if value is None or isinstance(value, (bool, str, float)):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, sympy.Basic):
        if value.is_Integer:
            return str(int(value))
        return _polynomial(value, symbols)
    raise Unwritable(f"a value of type {type(value).__name__} cannot be written as code")


def _polynomial(value: sympy.Basic, symbols: set[sympy.Symbol] | None) -> str:
    for node in sympy.preorder_traversal(value):
        whole_power = isinstance(node, sympy.Pow) and node.exp.is_Integer and node.exp > 0
        if not (isinstance(node, (sympy.Add, sympy.Mul, sympy.Integer)) or whole_power or node.is_Symbol):
            raise Unwritable(f"the size {value} is not a whole-number formula of the model's symbols")
    for s in value.free_symbols:
        if checked_name(s) is None:  # type: ignore[arg-type]
            raise Unwritable(f"the symbol name {s} is not a plain name")
        if symbols is not None:
            symbols.add(s)  # type: ignore[arg-type]
    return str(value)


# ---- the model walk both frameworks share ---------------------------------------------------------


def is_chain(model: Model) -> bool:
    """One input, then layers each taking the one before, none called twice: a Sequential model.

    >>> from symcnn import load
    >>> is_chain(load("examples/seed.yaml")), is_chain(load("examples/resnet50.yaml"))
    (True, False)
    """
    recs = model.records
    if not recs or not isinstance(recs[0].layer, InputLayer) or len(model.output_nodes) != 1:
        return False
    if model.output_nodes[0] is not model.nodes[-1]:
        return False
    seen: set[int] = set()
    for before, rec in itertools.pairwise(recs):
        if isinstance(rec.layer, InputLayer) or rec.inputs != [before.name] or id(rec.layer) in seen:
            return False
        seen.add(id(rec.layer))
    return True


def output_names(model: Model) -> list[str]:
    """The model's outputs, then every layer no other layer reads (symcnn counts those too, so must the code).

    >>> from symcnn import load
    >>> output_names(load("examples/seed.yaml"))
    ['dense_1']
    """
    by_node = dict(zip(map(id, model.nodes), model.records))
    outs = [by_node[id(n)].name for n in model.output_nodes]
    read = {i for r in model.records for i in r.inputs}
    return outs + [r.name for r in model.records if r.name not in read and r.name not in outs
                   and not isinstance(r.layer, InputLayer)]


NOT_READ = ("# Activations, dropout rates and initialisers change no shape or count: symcnn does not read them,\n"
            "# so they are left out here. Add your own before training.")


def symbol_lines(model: Model, writer: Writer) -> list[str]:
    """``H = 64`` for each symbol the code uses, at the model's defaults (or the least valid sizes).

    >>> from symcnn import load
    >>> writer = Writer()
    >>> _ = writer.literal(load("examples/seed_symbolic.yaml").input_shapes[0])
    >>> symbol_lines(load("examples/seed_symbolic.yaml"), writer)[1:4]
    ['C = 1', 'H = 64', 'W = 64']
    """
    used = sorted(writer.symbols, key=lambda s: s.name)
    if not used:
        return []
    values = start_values(model)
    if values is None:
        raise Unwritable("symcnn found no sizes at which this model is valid")
    lines = ["# The sizes this model leaves open: change them and run again."]
    lines += [f"{s.name} = {values[s]}" for s in used]
    return lines + [""]


def unwritable_layers(records: Iterable[LayerRecord], write: Callable[[LayerRecord], Any]) -> list[str]:
    """Each layer's problem, as a page shows it: "layer 'x' (Foo): reason".

    >>> from symcnn import load
    >>> def refuse(rec): raise Unwritable("no row")
    >>> unwritable_layers(load("examples/seed.yaml").records[:2], refuse)
    ["layer 'input_layer' (InputLayer): no row", "layer 'conv2d' (Conv2D): no row"]
    """
    problems = []
    for rec in records:
        try:
            _one_tensor_each_way(rec)
            write(rec)
        except Unwritable as exc:
            problems.append(f"layer {rec.name!r} ({rec.type}): {exc}")
    return problems


def _one_tensor_each_way(rec: LayerRecord) -> None:
    """The code writes calls with one output, reading their inputs' first outputs, with no masks or states."""
    if getattr(rec, "other_outputs", None):
        raise Unwritable("it gives several outputs, which this code does not write")
    if any(getattr(rec, "input_indices", None) or []):
        raise Unwritable("it reads another layer's second (or later) output, which this code does not write")
    if getattr(rec, "side_inputs", None):
        raise Unwritable("it is given a mask or an initial state, which this code does not write")


def known(layer: Layer, table: Mapping[str, Any]) -> Any:
    """The row of ``table`` for the layer's class, or Unwritable.

    >>> from symcnn import layers as L
    >>> known(L.Dense(4), {"Dense": "row"})
    'row'
    """
    entry = table.get(type(layer).__name__)
    if entry is None:
        raise Unwritable("symcnn has no checked translation for this layer type")
    return entry
