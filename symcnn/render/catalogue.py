"""The catalogue of layer types: each one's arguments and its formulas, printed from the layer's own code.

Each registered class is made with its size arguments as symbols (``filters=F``, ``kernel_size=(k_h, k_w)``,
``strides=(s_h, s_w)``, ``units=U`` ...) and called on an input of symbols (``(None, H, W, C)``, or
``(N, C, H, W)`` for torch's classes); its output shape, weights and MACs are whatever its methods give.
Nothing here is typed per layer: a new layer class appears in the catalogue by being registered.

>>> entry = describe("Conv2D")
>>> entry.output_shape
'(None, floor((H - k_h)/s_h) + 1, floor((W - k_w)/s_w) + 1, F)'
>>> entry.params
'C*F*k_h*k_w + F'
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import sympy

from ..errors import SymcnnError
from ..expr import dim_symbol
from ..layers import Layer
from ..layers.base import accepted_arguments
from ..layers.torch import TORCH_LAYERS
from ..model import Model
from ..record import LayerRecord
from .text import expr_text, shape_text

# Arguments of the base class (naming, input declaration) are not the layer's own.
_BASE_ARGUMENTS = {"name", "trainable", "input_shape", "batch_input_shape", "batch_shape", "device", "dtype", "kwargs"}

# Size arguments made symbols: argument -> symbol names (one per axis when the argument is per axis).
_PER_AXIS = {"kernel_size": "k", "pool_size": "k", "strides": "s", "stride": "s"}
_SCALAR = {
    "filters": "F", "units": "U", "out_channels": "F", "out_features": "U", "embedding_dim": "E", "output_dim": "E",
    "num_embeddings": "V", "input_dim": "V", "hidden_size": "U", "num_heads": "h", "key_dim": "d_k",
    "projection_dim": "C",
}
_INPUT_CHANNELS = ("in_channels", "in_features", "num_features", "input_size", "num_channels", "embed_dim")
_AXES = {1: ("l",), 2: ("h", "w"), 3: ("d", "h", "w")}
_SPATIAL = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


@dataclass
class Entry:
    """One layer type: its arguments, and its formulas on symbols (``None`` where it needs more than sizes)."""

    type: str
    convention: str  # keras | torch | keras.ops
    aliases: list[str]
    summary: str
    arguments: dict[str, Any]  # argument -> default (text), '' for none
    example: dict[str, str] = field(default_factory=dict)  # the arguments given to make it
    input_shapes: list[str] = field(default_factory=list)
    output_shape: str | None = None
    weights: dict[str, str] = field(default_factory=dict)  # weight name -> shape
    params: str | None = None
    trainable: str | None = None
    non_trainable: str | None = None
    macs_torchinfo: str | None = None
    macs_fvcore: str | None = None
    note: str | None = None  # why there are no formulas

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def catalogue() -> list[Entry]:
    """Every registered layer type, Keras's first, then torch's, then keras.ops; aliases folded in."""
    names: dict[type[Layer], list[str]] = {}
    for name, cls in Layer.registry.items():
        names.setdefault(cls, []).append(name)
    for name, cls in TORCH_LAYERS.items():
        names.setdefault(cls, []).append(name)
    entries = []
    for cls, found in names.items():
        if issubclass(cls, Model) or cls.__name__ == "InputLayer":
            continue
        primary = cls.__name__ if cls.__name__ in found else min(found)
        entries.append(_describe(primary, cls, sorted(set(found) - {primary})))
    order = {"keras": 0, "torch": 1, "keras.ops": 2}
    return sorted(entries, key=lambda e: (order[e.convention], e.type.lower()))


def describe(name: str) -> Entry:
    """The catalogue entry of one layer type, by any of its names."""
    cls = Layer.registry.get(name) or TORCH_LAYERS.get(name)
    if cls is None:
        from ..errors import UnknownLayerError

        raise UnknownLayerError(f"unknown layer type {name!r}")
    return _describe(name, cls, [])


def _convention(name: str, cls: type) -> str:
    if name.startswith("ops."):
        return "keras.ops"
    return "torch" if cls in TORCH_LAYERS.values() and TORCH_LAYERS.get(name, cls) is cls and not cls.channels_last else "keras"


def _arguments(cls: type) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for p in inspect.signature(init).parameters.values():
            if p.name in _BASE_ARGUMENTS or p.name == "self" or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                continue
            out[p.name] = "" if p.default is inspect.Parameter.empty or p.default is None else repr(p.default)
    keep = accepted_arguments(cls)
    return {k: v for k, v in out.items() if k in keep}


def _rank(name: str) -> int | None:
    m = re.search(r"([123])[dD](?:Transpose)?$", name)
    return int(m.group(1)) if m else None


def _shapes(convention: str, rank: int | None) -> list[tuple[Any, ...]]:
    """Input shapes to try: the class's own rank if its name says it, else flat, sequence, image, volume."""
    channel = dim_symbol("C")
    ranks = [rank] if rank else [0, -1, 2, 3]
    out = []
    for r in ranks:
        if r == -1:  # a sequence, features last (Keras's and torch's recurrent layers, attention)
            out.append((None, dim_symbol("L"), channel) if convention != "torch" else (1, dim_symbol("L"), channel))
            continue
        spatial = [dim_symbol(s) for s in _SPATIAL.get(r, ())]
        out.append((1, channel, *spatial) if convention == "torch" else (None, *spatial, channel))
    return out


def _attempts(name: str, cls: type[Layer], convention: str) -> Iterator[tuple[dict[str, Any], list[tuple[Any, ...]]]]:
    """(arguments, input shapes) to try, most specific first."""
    arguments = _arguments(cls)
    for shape in _shapes(convention, _rank(name)):
        r = max(len(shape) - 2, 1)
        kwargs: dict[str, Any] = {}
        for arg in arguments:
            if arg in _PER_AXIS and len(shape) > 3 or (arg in _PER_AXIS and _rank(name)):
                kwargs[arg] = tuple(dim_symbol(f"{_PER_AXIS[arg]}_{a}") for a in _AXES[r])
            elif arg in _PER_AXIS:
                kwargs[arg] = dim_symbol(_PER_AXIS[arg])
            elif arg in _SCALAR:
                kwargs[arg] = dim_symbol(_SCALAR[arg])
            elif arg in _INPUT_CHANNELS:
                kwargs[arg] = dim_symbol("C")
        plain = {k: v for k, v in kwargs.items() if k not in _PER_AXIS or k in ("kernel_size", "pool_size")}
        other = (*shape[:-1], dim_symbol("C_2")) if convention != "torch" else (shape[0], dim_symbol("C_2"), *shape[2:])
        several = cls.arity is None or (cls.arity or 0) > 1
        for given in (kwargs, plain):
            yield from ((given, s) for s in ([[shape, other], [shape, shape], [shape]] if several else [[shape]]))


def _make(cls: type[Layer], kwargs: dict[str, Any]) -> tuple[Layer, dict[str, Any]]:
    """``cls(**kwargs)``, leaving out an argument the class turns down (DepthwiseConv2D takes no filters)."""
    given = dict(kwargs)
    for _ in range(len(kwargs)):
        try:
            return cls(**given), given
        except (TypeError, SymcnnError) as exc:
            named = [k for k in given if f"'{k}'" in str(exc) or f" {k} " in f" {exc} "]
            if not named:
                raise
            given.pop(named[0])
    return cls(**given), given


def _describe(name: str, cls: type[Layer], aliases: list[str]) -> Entry:
    convention = _convention(name, cls)
    doc = (inspect.getdoc(cls) or "").strip().splitlines()
    entry = Entry(name, convention, aliases, doc[0] if doc else "", _arguments(cls))
    problem = "needs arguments that are not sizes"
    for kwargs, shapes in _attempts(name, cls, convention):
        try:
            layer, used = _make(cls, kwargs)
            record = _record(layer, shapes)
            _fill(entry, used, shapes, record)
            return entry
        except (SymcnnError, TypeError, ValueError, AttributeError, KeyError, IndexError, NotImplementedError) as exc:
            problem = str(exc) if isinstance(exc, SymcnnError) else problem
            continue
    entry.note = f"no formulas on symbols: {problem}"
    return entry


def _record(layer: Layer, shapes: list[tuple[Any, ...]]) -> LayerRecord:
    out = layer.output_shape(list(shapes))
    weights = layer.weights(list(shapes))
    return LayerRecord(layer.class_name, layer, [], list(shapes), out, weights)


def _fill(entry: Entry, kwargs: dict[str, Any], shapes: list[tuple[Any, ...]], record: LayerRecord) -> None:
    entry.example = {k: shape_text(v) if isinstance(v, tuple) else expr_text(v) for k, v in kwargs.items()}
    entry.input_shapes = [shape_text(s) for s in shapes]
    entry.output_shape = shape_text(record.output_shape)
    entry.weights = {w.name: shape_text(w.shape) for w in record.weights}
    entry.params = expr_text(_tidy(record.params))
    entry.trainable = expr_text(_tidy(record.trainable))
    entry.non_trainable = expr_text(_tidy(record.non_trainable))
    entry.macs_torchinfo = expr_text(_tidy(record.macs_by("torchinfo")))
    entry.macs_fvcore = expr_text(_tidy(record.macs_by("fvcore")))


def _tidy(value: Any) -> Any:
    return sympy.expand(value) if isinstance(value, sympy.Basic) and not value.has(sympy.floor, sympy.Piecewise) else value


def _escaped(text: str) -> str:
    from .text import md_escape

    return (" " if text[:1].isspace() else "") + md_escape(text) + (" " if text[-1:].isspace() else "")


def text(entries: list[Entry]) -> str:
    """The catalogue as plain text: one paragraph per layer type."""
    out = []
    for e in entries:
        head = f"{e.type} ({e.convention})" + (f", also {', '.join(e.aliases)}" if e.aliases else "")
        out.append(head + (f": {e.summary}" if e.summary else ""))
        args = ", ".join(f"{k}={v}" if v else k for k, v in e.arguments.items())
        out.append(f"  arguments: {args or 'none'}")
        if e.output_shape is None:
            out.append(f"  {e.note}")
        else:
            given = ", ".join(f"{k}={v}" for k, v in e.example.items())
            out.append(f"  on {' and '.join(e.input_shapes)}" + (f" with {given}" if given else "") + ":")
            out.append(f"    output shape: {e.output_shape}")
            if e.weights:
                out.append("    weights: " + ", ".join(f"{k} {v}" for k, v in e.weights.items()))
            out.append(f"    params: {e.params} (trainable {e.trainable}, non-trainable {e.non_trainable})")
            out.append(f"    MACs: torchinfo {e.macs_torchinfo}, fvcore {e.macs_fvcore}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def markdown(entries: list[Entry]) -> str:
    """The catalogue as a Markdown page: a section per convention, one entry per layer type."""
    from .text import md_escape

    titles = {"keras": "Keras layers (channels last)", "torch": "PyTorch modules and functions (channels first)",
              "keras.ops": "keras.ops operations (from Keras's saved graphs)"}
    out = []
    current = None
    for e in entries:
        if e.convention != current:
            current = e.convention
            out.append(f"## {titles[current]}\n")
        out.append(f"### {e.type}\n")
        if e.summary:  # a docstring's ``code`` becomes a code span, the rest is escaped
            parts = e.summary.split("``")
            out.append("".join(f"`{t}`" if i % 2 and "`" not in t else _escaped(t) for i, t in enumerate(parts)) + "\n")
        if e.aliases:
            out.append("Also read as " + ", ".join(f"`{a}`" for a in e.aliases) + ".\n")
        args = ", ".join(f"`{k}={v}`" if v else f"`{k}`" for k, v in e.arguments.items())
        out.append(f"Arguments: {args or 'none'}.\n")
        if e.output_shape is None:
            out.append(f"*{md_escape(e.note or '')}*\n")
            continue
        given = ", ".join(f"`{k}={v}`" for k, v in e.example.items())
        out.append("- input: " + " and ".join(f"`{s}`" for s in e.input_shapes) + (f", with {given}" if given else ""))
        out.append(f"- output shape: `{e.output_shape}`")
        if e.weights:
            out.append("- weights: " + ", ".join(f"{md_escape(k)} `{v}`" for k, v in e.weights.items()))
        out.append(f"- parameters: `{e.params}`" + ("" if e.trainable == e.params else f" (trainable `{e.trainable}`)"))
        out.append(f"- MACs: `{e.macs_torchinfo}` (torchinfo), `{e.macs_fvcore}` (fvcore)\n")
    return "\n".join(out)
