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

from pathlib import Path
from typing import Any

import sympy
import yaml

from ..errors import ArgumentError, GraphError, LimitError, ParseError, SymcnnError, UnknownLayerError, shown
from ..expr import dim_symbol, is_identifier, parse
from ..graph import MAX_LAYERS
from ..layers.core import InputLayer
from ..layers.torch import lookup
from ..model import Model
from ..tensor import Node
from .files import read_bytes
from .yaml_loader import load as strict_yaml

# YAML is parsed in Python (slowly: ~2 s per MB with libyaml, ~10 s without), so YAML files get
# a tighter size limit than other model files; aliases may not expand beyond MAX_YAML_VALUES.
MAX_YAML_BYTES = 2 * 1024 * 1024
MAX_YAML_VALUES = 1_000_000

_TOP_KEYS = {"name", "input", "inputs", "outputs", "symbols", "layers", "convention", "description", "batch"}


def load_yaml(path: str | Path, **_: Any) -> Model:
    """Read a YAML model file (safely: no tags, no code)."""
    text = read_bytes(path, MAX_YAML_BYTES).decode("utf-8", errors="replace")
    return model_from_yaml(text, source=str(path))


def model_from_yaml(text: str, source: str = "<yaml>") -> Model:
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
        return _build(spec, source)
    except SymcnnError as exc:
        raise exc.within(file=source) from None
    except RecursionError:
        raise ParseError("model nested too deeply", file=source) from None


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


def _build(spec: Any, source: str) -> Model:
    if not isinstance(spec, dict):
        raise ParseError("a model file must be a mapping with 'input' and 'layers'")
    unknown = set(map(str, spec)) - _TOP_KEYS
    if unknown:
        raise ParseError(f"unknown top-level key(s): {', '.join(sorted(unknown))}")
    convention = spec.get("convention", "keras")
    if convention not in ("keras", "torch"):
        raise ArgumentError(f"convention must be 'keras' or 'torch', got {convention!r}")
    defaults = _symbols(spec.get("symbols"))
    batch = spec.get("batch", 1 if convention == "torch" else None)
    nodes: dict[str, Node] = {}
    order: list[Node] = []

    for name, shape in _inputs(spec).items():
        dims = [_dim(d, "input") for d in shape]
        b = None if batch is None else _dim(batch, "batch")
        node = Node(InputLayer(batch_shape=(b, *dims), name=name), [], name)
        nodes[name] = node
        order.append(node)

    items = spec.get("layers")
    if not isinstance(items, list) or not items:
        raise ParseError("'layers' must be a non-empty list")
    if len(items) > MAX_LAYERS:
        raise LimitError(f"the model has {len(items):,} layers; the limit is {MAX_LAYERS:,}")
    previous = order[-1]
    for index, item in enumerate(items, start=1):
        cls_name, config = _item(item, index)
        label = str(config.get("name") or f"#{index} ({cls_name})")
        try:
            node = _layer_node(cls_name, config, nodes, previous, convention)
        except SymcnnError as exc:
            raise exc.within(layer=label) from None
        if node.name in nodes:
            raise GraphError(f"duplicate layer name {node.name!r}", layer=label)
        order.append(node)
        if node.name:
            nodes[node.name] = node
        previous = node

    outputs = spec.get("outputs")
    if outputs is None:
        out_nodes = [order[-1]]
    else:
        if not isinstance(outputs, list) or not all(isinstance(o, str) for o in outputs):
            raise ParseError("'outputs' must be a list of layer names")
        missing = [o for o in outputs if o not in nodes]
        if missing:
            raise GraphError(f"outputs name unknown layer(s): {', '.join(missing)}")
        out_nodes = [nodes[o] for o in outputs]
    name = spec.get("name", Path(source).stem)
    if not isinstance(name, (str, int)) or isinstance(name, bool):
        raise ParseError(f"'name' must be text, got a {type(name).__name__}")
    description = spec.get("description")
    if description is not None and not isinstance(description, str):
        raise ParseError(f"'description' must be text, got a {type(description).__name__}")
    model = Model(name=str(name), nodes=order, output_nodes=out_nodes, defaults=defaults,
                  convention=convention, source=source)
    model.description = description  # type: ignore[attr-defined]
    return model


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


def _symbols(raw: Any) -> dict[sympy.Symbol, int]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ParseError("'symbols' must map names to default values")
    out = {}
    for name, value in raw.items():
        if not isinstance(name, str) or not is_identifier(name):
            raise ParseError(f"invalid symbol name {name!r}")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ArgumentError(f"symbol {name} must default to a positive whole number, got {value!r}")
        out[dim_symbol(name)] = value
    return out


def _dim(value: Any, what: str) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ArgumentError(f"{what} sizes must be whole numbers or names, got {shown(value)}")
    if isinstance(value, int):
        if value < 1:
            raise ArgumentError(f"{what} sizes must be positive, got {value}")
        return value
    if isinstance(value, str):
        return parse(value)
    raise ArgumentError(f"{what} sizes must be whole numbers or names, got {shown(value)}")


def _item(item: Any, index: int) -> tuple[str, dict[str, Any]]:
    if isinstance(item, str):
        return item, {}
    if isinstance(item, dict) and len(item) == 1:
        (cls_name, config), = item.items()
        config = {} if config is None else config
        if isinstance(cls_name, str) and isinstance(config, dict):
            return cls_name, dict(config)
    raise ParseError(f"layer #{index} must be 'ClassName' or 'ClassName: {{argument: value}}', got {item!r}")


def _layer_node(cls_name: str, config: dict[str, Any], nodes: dict[str, Node], previous: Node, convention: str) -> Node:
    cls = lookup(cls_name, convention)  # a torch-convention file means torch's Flatten, not Keras's
    if cls is None or cls is InputLayer:
        raise UnknownLayerError(f"unknown layer type {cls_name!r}")
    inputs = config.pop("inputs", None)
    name = config.get("name")
    if name is not None and not isinstance(name, str):
        raise ArgumentError(f"name must be text, got {name!r}")
    layer = cls.from_config(config)
    if inputs is None:
        parents = [previous]
    else:
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
            raise ParseError("'inputs' must be a list of layer names")
        missing = [i for i in inputs if i not in nodes]
        if missing:
            raise GraphError(f"inputs name unknown layer(s): {', '.join(missing)} (a layer may only use earlier ones)")
        parents = [nodes[i] for i in inputs]
    return Node(layer, parents, name)
