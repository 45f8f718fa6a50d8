"""symcnn's own YAML model format: Keras names, symbols allowed anywhere a size goes.

    name: seed
    input: [64, 64, 1]          # channels last; numbers or symbol names
    symbols: {F: 64}            # optional default values
    layers:
      - Conv2D: {filters: F, kernel_size: 3, activation: relu}
      - MaxPool2D: {pool_size: 2}
      - Flatten
      - Dense: {units: 4}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sympy
import yaml

from ..errors import ArgumentError, GraphError, LimitError, ParseError, SymcnnError, UnknownLayerError, shown
from ..expr import RESERVED_NAMES, dim_symbol, exact_number, is_identifier, multiplier_symbol, parse
from ..graph import MAX_LAYERS, name_nodes
from ..layers.base import Layer
from ..layers.core import InputLayer
from ..layers.torch import TORCH_LAYERS, lookup
from ..model import Model
from ..tensor import Node
from .files import read_bytes
from .yaml_blocks import Entry, Expander, Scope, read_blocks
from .yaml_loader import load as strict_yaml

# YAML is parsed in Python (slowly: ~2 s per MB with libyaml, ~10 s without), so YAML files get
# a tighter size limit than other model files; aliases may not expand beyond MAX_YAML_VALUES.
MAX_YAML_BYTES = 2 * 1024 * 1024
MAX_YAML_VALUES = 1_000_000

_TOP_KEYS = {"name", "input", "inputs", "outputs", "symbols", "layers", "convention", "description", "batch", "blocks"}


def load_yaml(path: str | Path, values: Mapping[str, Any] | None = None, **_: Any) -> Model:
    """Read a YAML model file (safely: no tags, no code).

    ``values`` gives symbols their values when the file is read, ahead of the file's defaults; it matters
    for symbols that decide the structure (``times: ceil(depth*3)``). Give the same values to ``subs``.
    """
    text = read_bytes(path, MAX_YAML_BYTES).decode("utf-8", errors="replace")
    return model_from_yaml(text, source=str(path), values=values)


def model_from_yaml(text: str, source: str = "<yaml>", values: Mapping[str, Any] | None = None) -> Model:
    """A model from YAML text; see :func:`load_yaml`."""
    if len(text) > MAX_YAML_BYTES:
        raise LimitError(f"YAML text is {len(text):,} characters; the limit is {MAX_YAML_BYTES:,}", file=source)
    try:
        spec = strict_yaml(text)  # plain data only: exact YAML 1.2 numbers, no duplicate keys
        _check_expansion(spec)
    except SymcnnError as exc:
        raise exc.within(file=source) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ParseError(f"malformed YAML{where}: {getattr(exc, 'problem', None) or exc}", file=source) from None
    except RecursionError:
        raise ParseError("YAML nested too deeply", file=source) from None
    try:
        exact = {k: _value(k, v) for k, v in (values or {}).items()}
        return _build(spec, source, exact, _decimal_defaults(text, spec))
    except SymcnnError as exc:
        raise exc.within(file=source) from None
    except RecursionError:
        raise ParseError("model nested too deeply", file=source) from None


def _decimal_defaults(text: str, spec: Any) -> frozenset[str]:
    """Names of ``symbols:`` whose default is written as a decimal (``alpha: 1.0``), which the loader reads as 1.

    Only composed (parsed to nodes, nothing constructed) when a default is a whole number.
    """
    raw = spec.get("symbols") if isinstance(spec, dict) else None
    if not isinstance(raw, dict) or not any(isinstance(v, int) and not isinstance(v, bool) for v in raw.values()):
        return frozenset()
    loader = yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader
    root = yaml.compose(text, Loader=loader)
    if not isinstance(root, yaml.MappingNode):
        return frozenset()
    found = set()
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "symbols" and isinstance(value, yaml.MappingNode):
            for name, default in value.value:
                if isinstance(default, yaml.ScalarNode) and not default.style and re.search(r"[.eE]", default.value):
                    found.add(str(name.value))
    return frozenset(found)


def _fraction(value: Any) -> bool:
    return isinstance(value, sympy.Basic) and value.is_Rational is True and value.is_Integer is not True


def _value(name: str, value: Any) -> Any:
    if isinstance(value, sympy.Basic) and not value.is_number:
        return value
    return exact_number(value, f"the value of {name}")


def _check_expansion(spec: Any) -> None:
    """Refuse aliases that expand into a huge tree ('billion laughs') or refer to themselves."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Any, bool]] = [(spec, False)]
    while stack:
        obj, done = stack.pop()
        children = list(obj.values()) if isinstance(obj, dict) else obj if isinstance(obj, list) else None
        if children is None:
            continue
        key = id(obj)
        if done:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes.get(id(c), 1) for c in children)
            if sizes[key] > MAX_YAML_VALUES:
                raise LimitError(f"the YAML expands to more than {MAX_YAML_VALUES:,} values (through aliases)")
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise ParseError("the YAML refers to itself through an alias")
        on_path.add(key)
        stack.append((obj, True))
        stack.extend((c, False) for c in children if isinstance(c, (dict, list)) and id(c) not in sizes)


def _build(spec: Any, source: str, values: Mapping[str, Any], decimals: frozenset[str] = frozenset()) -> Model:
    if not isinstance(spec, dict):
        raise ParseError("a model file must be a mapping with 'input' and 'layers'")
    unknown = set(map(str, spec)) - _TOP_KEYS
    if unknown:
        raise ParseError(f"unknown top-level key(s): {', '.join(sorted(unknown))}")
    convention = spec.get("convention", "keras")
    if convention not in ("keras", "torch"):
        raise ArgumentError(f"convention must be 'keras' or 'torch', got {convention!r}")
    defaults = _symbols(spec.get("symbols"), decimals)
    for name, value in values.items():  # a fraction given for a size symbol makes it a multiplier (floors kept)
        size = next((s for s in defaults if s.name == name and s.is_integer), None)
        if size is not None and _fraction(value):
            defaults = {(multiplier_symbol(name) if s is size else s): v for s, v in defaults.items()}
    declared = {s.name: s for s in defaults}
    now = {**defaults}
    for name, value in values.items():
        sym = declared.get(name) or (multiplier_symbol(name) if _fraction(value) else dim_symbol(name))
        declared.setdefault(name, sym)
        now[sym] = value
    scope = Scope(declared, now, {})
    batch = spec.get("batch", 1 if convention == "torch" else None)

    entries: list[Entry] = []
    for name, shape in _inputs(spec).items():
        dims = [_dim(d, "input", declared) for d in shape]
        b = None if batch is None else _dim(batch, "batch", declared)
        entries.append(Entry("InputLayer", {"batch_shape": (b, *dims)}, name, [], name))

    items = spec.get("layers")
    if not isinstance(items, list) or not items:
        raise ParseError("'layers' must be a non-empty list")
    if len(items) > MAX_LAYERS:
        raise LimitError(f"the model has {len(items):,} layers; the limit is {MAX_LAYERS:,}")
    blocks = read_blocks(spec.get("blocks"), lambda n: lookup(n, convention) is not None)
    Expander(blocks, entries).items(items, scope, "", None, {}, "layer")
    order = _nodes(entries, convention)

    outputs = spec.get("outputs")
    by_name = {n.name: n for n in order}
    if outputs is None:
        out_nodes = [order[-1]]
    else:
        if not isinstance(outputs, list) or not all(isinstance(o, str) for o in outputs):
            raise ParseError("'outputs' must be a list of layer names")
        missing = [o for o in outputs if o not in by_name]
        if missing:
            raise GraphError(f"outputs name unknown layer(s): {', '.join(missing)}")
        out_nodes = [by_name[o] for o in outputs]
    name = spec.get("name", Path(source).stem)
    if not isinstance(name, (str, int)) or isinstance(name, bool):
        raise ParseError(f"'name' must be text, got a {type(name).__name__}")
    description = spec.get("description")
    if description is not None and not isinstance(description, str):
        raise ParseError(f"'description' must be text, got a {type(description).__name__}")
    model = Model(name=str(name), nodes=order, output_nodes=out_nodes, defaults=defaults,
                  convention=convention, source=source)
    model.fixed = dict(scope.fixed)
    model.description = description  # type: ignore[attr-defined]
    return model


def _nodes(entries: list[Entry], convention: str) -> list[Node]:
    """Make each entry's layer, name them all as Keras would, then connect the inputs by name or position."""
    nodes: list[Node] = []
    seen: set[str] = set()
    for entry in entries:
        if entry.name is not None and entry.name in seen:
            raise GraphError(f"duplicate layer name {entry.name!r}", layer=entry.name)
        seen.add(entry.name or "")
        try:
            if entry.cls_name == "InputLayer" and entry.inputs == []:  # the file's inputs (a listed one is refused)
                layer: Layer = InputLayer(batch_shape=entry.config["batch_shape"], name=entry.name)
            else:
                layer = _layer(entry.cls_name, dict(entry.config), convention)
        except SymcnnError as exc:
            raise exc.within(layer=entry.label) from None
        nodes.append(Node(layer, [], entry.name))
    name_nodes(nodes)  # the names the summary shows, so that inputs: may use any of them
    position = {str(n.name): i for i, n in enumerate(nodes)}
    for i, (entry, node) in enumerate(zip(entries, nodes)):
        if isinstance(node.layer, InputLayer) and entry.inputs == []:
            continue
        refs: list[Any] = [i - 1] if entry.inputs is None else entry.inputs
        parents = []
        for ref in refs:
            at = position.get(ref) if isinstance(ref, str) else ref
            if at is None or at >= i or at < 0:
                what = f"{ref!r}" if isinstance(ref, str) else f"#{ref}"
                problem = "is not a layer before this one" if at is not None and at >= i else "names no layer"
                known = ", ".join(str(n.name) for n in nodes[max(0, i - 5):i])
                raise GraphError(f"inputs: {what} {problem} (a layer may only use earlier ones; just before it: {known})",
                                 layer=str(node.name))
            parents.append(nodes[at])
        node.inputs = parents
    return nodes


def _inputs(spec: dict[str, Any]) -> dict[str, list[Any]]:
    if "inputs" in spec:
        inputs = spec["inputs"]
        if not isinstance(inputs, dict) or not inputs:
            raise ParseError("'inputs' must map input names to shapes")
        out = {}
        for k, v in inputs.items():
            if not isinstance(k, str) or not isinstance(v, list):
                raise ParseError(f"input {k!r} must be a name with a list shape")
            out[k] = v
        return out
    shape = spec.get("input")
    if not isinstance(shape, list) or not shape:
        raise ParseError("'input' must be a non-empty list of sizes, e.g. [64, 64, 1]")
    return {"input_layer": shape}


def _symbols(raw: Any, decimals: frozenset[str] = frozenset()) -> dict[sympy.Symbol, Any]:
    """The file's symbols and their default values.

    A whole-number default (``F: 64``) makes a size: a positive integer symbol. A default written as a
    decimal or a fraction (``alpha: 0.75``, ``alpha: 1.0``, ``alpha: 3/4``) makes a multiplier: a positive
    rational symbol, its default read exactly (0.75 is 3/4, not the float nearest it).
    """
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ParseError("'symbols' must map names to default values")
    out: dict[sympy.Symbol, Any] = {}
    for name, value in raw.items():
        if not isinstance(name, str) or not is_identifier(name):
            problem = "is the name of a function" if name in RESERVED_NAMES else "is not a valid symbol name"
            raise ParseError(f"symbol {name!r} {problem} (letters, digits and _; not floor, ceiling, ...)")
        number = exact_number(value, f"the default of symbol {name}")
        if number <= 0:
            raise ArgumentError(f"symbol {name} must default to a positive number, got {value!r}")
        multiplier = name in decimals or not isinstance(value, int)  # 0.75, 1.0, "3/4"; a whole number is a size
        out[multiplier_symbol(name) if multiplier else dim_symbol(name)] = number
    return out


def _dim(value: Any, what: str, symbols: Mapping[str, sympy.Symbol]) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ArgumentError(f"{what} sizes must be whole numbers or names, got {shown(value)}")
    if isinstance(value, sympy.Integer):  # a whole number the strict loader read exactly (1e3)
        value = int(value)
    if isinstance(value, int):
        if value < 1:
            raise ArgumentError(f"{what} sizes must be positive, got {value}")
        return value
    if isinstance(value, str):
        return parse(value, symbols)
    raise ArgumentError(f"{what} sizes must be whole numbers or names, got {shown(value)}")


def _layer(cls_name: str, config: dict[str, Any], convention: str) -> Layer:
    """The layer of type ``cls_name`` for the file's convention; a class of the other convention is refused."""
    cls = lookup(cls_name, convention)  # a torch-convention file means torch's Flatten, not Keras's
    if cls is None or cls is InputLayer:
        raise UnknownLayerError(f"unknown layer type {cls_name!r}")
    torch_class = cls_name in TORCH_LAYERS and cls is TORCH_LAYERS[cls_name]
    if convention == "keras" and torch_class:
        raise UnknownLayerError(
            f"{cls_name} is a PyTorch layer (channels first, torch's arguments) and this file uses the Keras "
            f"convention (channels last): write the Keras layer ({_keras_twin(cls_name)}), or put "
            f"'convention: torch' at the top of the file"
        )
    if convention == "torch" and not torch_class and not cls_name.startswith("ops."):
        raise UnknownLayerError(
            f"{cls_name} is a Keras layer (channels last) and this file uses the torch convention "
            f"(channels first): write the PyTorch module, or leave out 'convention: torch'"
        )
    return cls.from_config(config)


def _keras_twin(torch_name: str) -> str:
    """Keras's name for a torch class, for the error message: Conv2d → Conv2D, Linear → Dense."""
    twins = {"Linear": "Dense", "BatchNorm2d": "BatchNormalization", "BatchNorm1d": "BatchNormalization",
             "AdaptiveAvgPool2d": "GlobalAveragePooling2D", "MaxPool2d": "MaxPooling2D", "AvgPool2d": "AveragePooling2D"}
    if torch_name in twins:
        return twins[torch_name]
    fixed = re.sub(r"(\d)d$", r"\1D", torch_name)
    return fixed if fixed in Layer.registry and fixed not in TORCH_LAYERS else "see symcnn layers"
