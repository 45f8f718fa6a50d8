"""YAML blocks: a named, parameterised list of layers, used many times and repeated with ``times``.

A file's ``blocks:`` maps a block's name to its arguments and layers; a layer list uses a block as it uses
a layer type. Expanding the uses gives a flat list of :class:`Entry` (one per layer call), named as Keras
names the layers of its applications:

* a block used with ``name: conv2_block1`` names its layers ``conv2_block1_`` + their own name
  (``1_conv`` → ``conv2_block1_1_conv``; a name ending in ``_`` is joined without a second one);
* ``times: n`` repeats a layer or a block; its name then takes the counter ``start``, ``start + 1``, ...
  (``start`` defaults to 1): appended (``conv2_block`` → ``conv2_block2``) or put where the name says
  ``{i}`` (a number) or ``{a}`` (a letter: 1 → a), as in EfficientNet's ``block2{a}`` → ``block2a``;
* a use without a name leaves the names as the block writes them, ``{i}`` being the use's number
  (``start``, 1 by default: ``conv_dw_{i}`` with ``start: 7`` is MobileNet's ``conv_dw_7``);
* a layer without a name gets Keras's automatic name (``conv2d_3``).

Inside a block, ``input`` is the block's input, and a layer's own (unprefixed) name refers to it.
``times``, ``start`` and ``if`` are read when the file is read, from numbers, block arguments and symbols
with a value (the file's ``symbols:`` or ``--set``); a symbol used so is fixed in the model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy

from ..errors import ArgumentError, GraphError, LimitError, ParseError
from ..expr import exact_number, is_identifier, parse, parse_condition
from ..graph import MAX_LAYERS

MAX_BLOCK_NESTING = 16
USE_KEYS = ("name", "times", "start", "if", "inputs")  # keys of a use that are not arguments
_NAME_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

Ref = int | str  # an entry's index, or a name resolved once every layer is named


@dataclass
class Entry:
    """One layer call of the expanded file."""

    cls_name: str
    config: dict[str, Any]  # the layer's arguments, names and block arguments resolved
    name: str | None  # the full name, None for Keras's automatic one
    inputs: list[Ref] | None  # None: the entry before it
    label: str  # how errors name it before it has a name


@dataclass
class Block:
    name: str
    args: dict[str, Any]  # argument -> default (None: must be given)
    layers: list[Any]


@dataclass
class Scope:
    """What a value may refer to: the file's symbols, and the arguments of the block being expanded."""

    symbols: Mapping[str, sympy.Symbol]  # declared symbols by name
    values: Mapping[sympy.Symbol, Any]  # their values when the file is read (defaults, then --set)
    fixed: dict[sympy.Symbol, Any]  # symbols that decided the structure, with the value used
    args: dict[str, Any] = field(default_factory=dict)
    counter: int = 1  # the number of the block use being expanded: {i} in names

    def inner(self, args: dict[str, Any], counter: int) -> Scope:
        return Scope(self.symbols, self.values, self.fixed, args, counter)

    def table(self) -> dict[str, Any]:
        """Names to SymPy values, for parsing: block arguments shadow symbols."""
        out: dict[str, Any] = dict(self.symbols)
        for key, value in self.args.items():
            out[key] = _as_expr(value, key)
        return out

    def resolve(self, value: Any) -> Any:
        """A layer argument with block arguments and symbols put in: ``4*filters`` → 256."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if not isinstance(value, str):
            return value
        if value in self.args:
            return self.args[value]
        names = set(_NAME_TOKEN.findall(value))
        if names & (set(self.args) | set(self.symbols)):
            return parse(value, self.table())
        return value  # 'same', 'relu', or a size in new symbols (parsed by the layer)

    def now(self, value: Any, what: str) -> Any:
        """A value needed when the file is read (times, start): a number, with symbols at their values."""
        if isinstance(value, bool):
            raise ArgumentError(f"{what} must be a number, got {value!r}")
        expr = self.resolve(value)
        if isinstance(expr, str):
            expr = parse(expr, self.table())
        if isinstance(expr, (int, float)):
            return exact_number(expr, what)
        if not isinstance(expr, sympy.Basic):
            raise ArgumentError(f"{what} must be a number, got {value!r}")
        return self.evaluate(expr, what)

    def evaluate(self, expr: sympy.Basic, what: str) -> Any:
        missing = sorted(str(s) for s in expr.free_symbols if s not in self.values)
        if missing:
            raise ArgumentError(
                f"{what} must be known when the file is read; {', '.join(missing)} has no value "
                f"(give it one under symbols: or with --set)"
            )
        for s in expr.free_symbols:
            self.fixed[s] = self.values[s]  # type: ignore[index]
        return expr.subs(self.values)

    def condition(self, value: Any, what: str) -> bool:
        if isinstance(value, bool):
            return value
        if not isinstance(value, str):
            raise ArgumentError(f"{what} must be a condition such as 'strides == 1', got {value!r}")
        if value in self.args and isinstance(self.args[value], bool):
            return self.args[value]
        flags = {k: v for k, v in self.args.items() if isinstance(v, bool)}
        return parse_condition(value, self.table_without(flags), flags, lambda e: self.evaluate(e, what))

    def table_without(self, flags: Mapping[str, bool]) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.symbols)
        for key, value in self.args.items():
            if key not in flags:
                out[key] = _as_expr(value, key)
        return out


def _as_expr(value: Any, name: str) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, (int, float)):
        return exact_number(value, f"argument {name}")
    if isinstance(value, str):
        return parse(value)
    raise ArgumentError(f"argument {name} = {value!r} cannot be used in arithmetic")


def read_blocks(raw: Any, is_layer_type: Any) -> dict[str, Block]:
    """The file's ``blocks:`` section, checked."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ParseError("'blocks' must map block names to {args: ..., layers: [...]}")
    out = {}
    for name, spec in raw.items():
        if not isinstance(name, str) or not is_identifier(name):
            raise ParseError(f"invalid block name {name!r} (letters, digits and _)")
        if is_layer_type(name):
            raise ParseError(f"block {name!r} has the name of a layer type; give it another name")
        if not isinstance(spec, dict) or set(spec) - {"args", "layers", "description"}:
            raise ParseError(f"block {name!r} must be a mapping with 'args' and 'layers'")
        args = spec.get("args") or {}
        if not isinstance(args, dict) or not all(isinstance(a, str) and is_identifier(a) for a in args):
            raise ParseError(f"block {name!r}: 'args' must map argument names to default values (~ for none)")
        clash = sorted(set(args) & {*USE_KEYS, "input"})
        if clash:
            raise ParseError(f"block {name!r}: {clash[0]!r} is used by every block; name the argument otherwise")
        layers = spec.get("layers")
        if not isinstance(layers, list) or not layers:
            raise ParseError(f"block {name!r}: 'layers' must be a non-empty list")
        out[name] = Block(name, dict(args), layers)
    return out


def split_item(item: Any, where: str) -> tuple[str, dict[str, Any]]:
    """``ClassName`` or ``{ClassName: {arguments}}``: the type's name and a copy of its arguments."""
    if isinstance(item, str):
        return item, {}
    if isinstance(item, dict) and len(item) == 1:
        (cls_name, config), = item.items()
        config = {} if config is None else config
        if isinstance(cls_name, str) and isinstance(config, dict):
            return cls_name, dict(config)
    raise ParseError(f"{where} must be 'ClassName' or 'ClassName: {{argument: value}}', got {item!r}")


class Expander:
    """Turns a layer list with block uses into a flat list of entries."""

    def __init__(self, blocks: Mapping[str, Block], out: list[Entry]) -> None:
        self.blocks = blocks
        self.out = out
        self.stack: list[str] = []

    def items(self, items: list[Any], scope: Scope, prefix: str, block_input: Ref | None,
              local: dict[str, Ref], where: str) -> None:
        """Expand ``items``; ``prefix`` is the name of the block use they belong to ('' for none)."""
        for index, item in enumerate(items, start=1):
            cls_name, config = split_item(item, f"{where} #{index}")
            named = config.get("name")
            label = f"{where} #{index} ({cls_name}{', ' + named if isinstance(named, str) else ''})"
            try:
                self.item(cls_name, config, scope, prefix, block_input, local, label)
            except (ArgumentError, ParseError, GraphError, LimitError) as exc:
                raise exc.within(layer=label) from None

    def item(self, cls_name: str, config: dict[str, Any], scope: Scope, prefix: str,
             block_input: Ref | None, local: dict[str, Ref], label: str) -> None:
        if "if" in config and not scope.condition(config.pop("if"), "if"):
            return
        times_given = "times" in config
        times = _count(scope.now(config.pop("times"), "times")) if times_given else 1
        start = _count(scope.now(config.pop("start"), "start")) if "start" in config else 1 if times_given else scope.counter
        local_name = config.pop("name", None)
        if local_name is not None and not isinstance(local_name, str):
            raise ArgumentError(f"name must be text, got {local_name!r}")
        raw_inputs = config.pop("inputs", None)
        if len(self.out) + times > MAX_LAYERS:
            raise LimitError(f"the model expands to more than {MAX_LAYERS:,} layers, the limit")
        for k in range(times):
            if len(self.out) > MAX_LAYERS:  # blocks in blocks multiply: stop as soon as the model is over the limit
                raise LimitError(f"the model expands to more than {MAX_LAYERS:,} layers, the limit")
            n = start + k
            own = _numbered(local_name, n, append=times_given)
            full = None if own is None else _join(prefix, own) if prefix else own
            first = len(self.out)
            inputs = _refs(raw_inputs, block_input, local, n if times_given else scope.counter) if k == 0 else None
            if cls_name in self.blocks:
                self.use(self.blocks[cls_name], config, scope, full, n, inputs, label)
            else:
                self.out.append(Entry(cls_name, scope.resolve(config), full, inputs, full or label))
            if own is not None and len(self.out) > first:
                local[own] = len(self.out) - 1
        if local_name is not None and times_given and times:
            local.setdefault(local_name, len(self.out) - 1)

    def use(self, block: Block, given: dict[str, Any], scope: Scope, name: str | None, counter: int,
            inputs: list[Ref] | None, label: str) -> None:
        if block.name in self.stack:
            raise GraphError(f"block {block.name!r} uses itself (through {' → '.join(self.stack)})")
        if len(self.stack) >= MAX_BLOCK_NESTING:
            raise LimitError(f"blocks nested more than {MAX_BLOCK_NESTING} deep")
        unknown = sorted(set(given) - set(block.args))
        if unknown:
            known = ", ".join(block.args) or "none"
            raise ArgumentError(f"block {block.name!r} has no argument {unknown[0]!r} (its arguments: {known})")
        args = {}
        for arg, default in block.args.items():
            if arg in given:
                args[arg] = scope.resolve(given[arg])
            elif default is None:
                raise ArgumentError(f"block {block.name!r} needs its argument {arg!r}")
            else:
                args[arg] = default
        if inputs is not None and len(inputs) != 1:
            raise ArgumentError(f"block {block.name!r} takes one input, got {len(inputs)}")
        start = len(self.out)
        block_input: Ref = inputs[0] if inputs else start - 1
        self.stack.append(block.name)
        first_inputs = len(self.out)
        self.items(block.layers, scope.inner(args, counter), name or "", block_input, {}, f"{label} → block {block.name}")
        self.stack.pop()
        if inputs and len(self.out) > first_inputs and self.out[first_inputs].inputs is None:
            self.out[first_inputs].inputs = list(inputs)


def _count(value: Any, low: int = 0) -> int:
    if not (isinstance(value, sympy.Basic) and value.is_Integer and int(value) >= low):
        raise ArgumentError(f"expected a whole number of at least {low}, got {value}")
    if int(value) > MAX_LAYERS:
        raise LimitError(f"{value} repeats are more than the model's limit of {MAX_LAYERS:,} layers")
    return int(value)


def _numbered(name: str | None, n: int, append: bool) -> str | None:
    """A name with the use's number: ``{i}`` → 3, ``{a}`` → c; appended to a repeated name without either."""
    if name is None:
        return None
    if "{i}" in name or "{a}" in name:
        letter = chr(ord("a") + n - 1) if 1 <= n <= 26 else f"_{n}"
        return name.replace("{i}", str(n)).replace("{a}", letter)
    return f"{name}{n}" if append else name


def _join(prefix: str, name: str) -> str:
    return prefix + name if prefix.endswith("_") else f"{prefix}_{name}"


def _refs(raw: Any, block_input: Ref | None, local: Mapping[str, Ref], counter: int) -> list[Ref] | None:
    if raw is None:
        return None
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        raise ParseError("'inputs' must be a list of layer names")
    out: list[Ref] = []
    for ref in (_numbered(i, counter, append=False) or i for i in items):
        if ref == "input" and block_input is not None:
            out.append(block_input)
        elif ref in local:
            out.append(local[ref])
        else:
            out.append(ref)
    return out
