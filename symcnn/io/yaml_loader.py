"""The strict YAML loader every symcnn YAML file is read with: plain data, one meaning per scalar.

PyYAML's safe loader builds no objects from tags, but it reads YAML 1.1, where ``010`` is
8, ``1:30`` is 90 and a date becomes a ``datetime``; it keeps the last of two equal keys; and
its constructors raise ``ValueError`` or ``KeyError`` for ``!!int abc``. This loader is the
safe loader with four changes:

* **Numbers as YAML 1.2 reads them, exactly.** Whole numbers are decimal (``-12``), ``0o17``
  or ``0x1F``. A decimal with a point or an exponent is read from its text, exactly:
  ``0.75`` is ``sympy.Rational(3, 4)`` and ``1e30`` is the integer 10**30 (no float rounding);
  ``.inf`` and ``.nan`` stay floats, for the layer to refuse where a number is needed.
* **No scalar with two meanings.** A plain scalar YAML 1.1 and YAML 1.2 read differently
  (``010``, ``1:30``, ``0b11``, ``1_000``) is refused: quote it if it is text.
* **No duplicate keys** in any mapping (a merge ``<<`` may still be overridden).
* **Text is text**: a lone surrogate escape (``"\\ud800"``, half of a character) is refused.
* **Every problem is a YAML error with a line**, never a raw ``ValueError``/``KeyError``;
  a number longer than :data:`MAX_NUMBER_DIGITS` digits is a :class:`~symcnn.errors.LimitError`.

>>> load("units: 0.75\\nsize: 1e30\\nhex: 0x10")
{'units': 3/4, 'size': 1000000000000000000000000000000, 'hex': 16}
>>> load("filters: 010")
Traceback (most recent call last):
...
yaml.constructor.ConstructorError: 010 means 8 in YAML 1.1 and 10 in YAML 1.2: write the number without leading zeros, or quote it if it is text
  in "<unicode string>", line 1, column 10
"""

from __future__ import annotations

import math
import re
from typing import Any

import sympy
import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode

from ..errors import LimitError

__all__ = ["MAX_NUMBER_DIGITS", "StrictLoader", "load"]

MAX_NUMBER_DIGITS = 1_233  # about 4,096 bits, symcnn.expr.MAX_RESULT_BITS: the largest size an expression may make

_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_SPECIAL = re.compile(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")
# Plain scalars YAML 1.1 reads as numbers and YAML 1.2 does not (or reads differently).
_AMBIGUOUS = re.compile(
    r"[-+]?0[0-9_]+"  # 010: octal 8 in 1.1, 10 in 1.2
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"  # 1:30: base 60 in 1.1, text in 1.2
    r"|[-+]?0b[0-1_]+"  # 0b11: binary in 1.1, text in 1.2
    r"|[-+]?0x[0-9a-fA-F_]*_[0-9a-fA-F_]*"  # 0xFF_FF, 1_000, 1_000.5: digits grouped in 1.1, text in 1.2
    r"|[-+]?[0-9][0-9_]*_[0-9_]*(?:\.[0-9_]*)?(?:[eE][-+][0-9]+)?"
    r"|[-+]?[0-9][0-9_]*\.[0-9_]*_[0-9_]*(?:[eE][-+][0-9]+)?"
)
_NUMERIC_START = list("-+0123456789.")
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_AMBIGUOUS_TAG = "tag:symcnn:ambiguous"
_MERGE_TAG = "tag:yaml.org,2002:merge"


def _too_long(text: str, digits: int, node: Node) -> LimitError:
    line = node.start_mark.line + 1
    return LimitError(f"line {line}: the number {text[:20]}... has {digits:,} digits; the limit is "
                      f"{MAX_NUMBER_DIGITS:,} digits (MAX_NUMBER_DIGITS)")


def _exact_number(text: str, node: Node) -> Any:
    """A YAML 1.2 number from its text: an int, an exact ``sympy.Rational``, or the float inf/nan."""
    text = text.strip()
    if _SPECIAL.fullmatch(text):
        return math.nan if "nan" in text.lower() else (-math.inf if text.startswith("-") else math.inf)
    negative = text.startswith("-")
    if _INT.fullmatch(text):
        body = text.lstrip("+-")
        base = 16 if body.startswith("0x") else 8 if body.startswith("0o") else 10
        digits = body[2:] if base != 10 else body
        if len(digits) > MAX_NUMBER_DIGITS:
            raise _too_long(text, len(digits), node)
        value = int(digits, base)
        return -value if negative else value
    if _FLOAT.fullmatch(text) is None:
        raise ConstructorError(None, None, f"{text[:40]!r} is not a number", node.start_mark)
    mantissa, _, exponent = text.lower().lstrip("+-").partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    if not digits:
        return 0
    if len(exponent.lstrip("+-")) > 7:  # 1e99999999: refused below without computing it
        shift = 10**8 * (-1 if exponent.startswith("-") else 1)
    else:
        shift = int(exponent or 0) - len(fraction)
    size = len(digits) + shift if shift >= 0 else max(len(digits), -shift)
    if size > MAX_NUMBER_DIGITS:
        raise _too_long(text, size, node)
    value = sympy.Integer(int(digits)) * sympy.Rational(10) ** shift
    value = -value if negative else value
    return int(value) if value.is_Integer else value


class _Strict(SafeConstructor):
    """The changes to a safe loader (mixed into PyYAML's and libyaml's)."""

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, KeyError, TypeError, OverflowError, IndexError, AttributeError) as exc:
            value = node.value if isinstance(node, ScalarNode) else node.tag
            raise ConstructorError(None, None, f"cannot read {str(value)[:40]!r} as {node.tag.rsplit(':', 1)[-1]}: "
                                   f"{exc}", node.start_mark) from None

    def construct_scalar(self, node: Node) -> Any:
        value = super().construct_scalar(node)
        if isinstance(value, str) and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:  # "\ud800": half of a character, which no file or terminal can show
                raise ConstructorError(None, None, f"{value[:40]!r} holds a lone surrogate escape (half of a "
                                       "character): it is not valid Unicode", node.start_mark) from None
        return value

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                except TypeError:
                    raise ConstructorError("while reading a mapping", node.start_mark,
                                           f"a key must be text or a number, got {type(key).__name__}",
                                           key_node.start_mark) from None
                if duplicate:
                    raise ConstructorError("while reading a mapping", node.start_mark,
                                           f"the key {key!r} appears twice: each key may be given once",
                                           key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep)

    def construct_exact_int(self, node: Node) -> Any:
        value = _exact_number(str(self.construct_scalar(node)), node)
        if not isinstance(value, int):
            raise ConstructorError(None, None, f"{node.value!r} is not a whole number", node.start_mark)
        return value

    def construct_exact_float(self, node: Node) -> Any:
        return _exact_number(str(self.construct_scalar(node)), node)

    def construct_ambiguous(self, node: Node) -> Any:
        text = node.value
        if re.fullmatch(r"[-+]?0[0-7]{1,30}", text):
            meaning = f"means {int(text, 8)} in YAML 1.1 and {int(text)} in YAML 1.2"
            hint = "write the number without leading zeros"
        else:
            meaning = "is read differently by YAML 1.1 and YAML 1.2"
            hint = "write a plain decimal number"
        raise ConstructorError(None, None, f"{text} {meaning}: {hint}, or quote it if it is text", node.start_mark)


def _resolvers() -> dict[Any, list[tuple[str, re.Pattern[str]]]]:
    """SafeLoader's implicit resolvers without YAML 1.1's ints, floats and timestamps, with 1.2's."""
    dropped = {_INT_TAG, _FLOAT_TAG, "tag:yaml.org,2002:timestamp"}
    table = {first: [(tag, rx) for tag, rx in entries if tag not in dropped]
             for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    for first in _NUMERIC_START:
        entries = table.setdefault(first, [])
        entries.insert(0, (_AMBIGUOUS_TAG, re.compile(f"^(?:{_AMBIGUOUS.pattern})$")))
        entries += [(_INT_TAG, re.compile(f"^(?:{_INT.pattern})$")), (_FLOAT_TAG, re.compile(f"^(?:{_FLOAT.pattern})$")),
                    (_FLOAT_TAG, re.compile(f"^(?:{_SPECIAL.pattern})$"))]
    return {first: entries for first, entries in table.items() if entries}


def _strict(base: type) -> Any:
    loader: Any = type(f"Strict{base.__name__}", (_Strict, base), {"__doc__": _Strict.__doc__})
    loader.yaml_implicit_resolvers = _resolvers()
    loader.add_constructor(_INT_TAG, _Strict.construct_exact_int)
    loader.add_constructor(_FLOAT_TAG, _Strict.construct_exact_float)
    loader.add_constructor(_AMBIGUOUS_TAG, _Strict.construct_ambiguous)
    return loader


class StrictLoader(_strict(yaml.SafeLoader)):  # type: ignore[misc]
    """PyYAML's safe loader with YAML 1.2 numbers read exactly, no ambiguous scalars, no duplicate keys."""


# The same constructors and resolvers over libyaml's parser (several times faster than PyYAML's), when built.
_FAST = _strict(yaml.CSafeLoader) if getattr(yaml, "__with_libyaml__", False) else StrictLoader


def load(text: str) -> Any:
    """The one document in ``text`` as plain data (see the module's docstring). Raises yaml.YAMLError or LimitError."""
    return yaml.load(text, Loader=_FAST)  # a SafeLoader with symcnn's stricter constructors
