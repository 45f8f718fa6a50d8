"""Walking a Keras config: checked access to JSON values, model kinds, layer lists and absurd numbers."""

from __future__ import annotations

from typing import Any

from ...errors import ArgumentError, LimitError, ParseError
from ...graph import MAX_LAYERS

MAX_INT = 2**63  # larger whole numbers in a config are refused, not multiplied out

_FUNCTIONAL = ("Functional", "Model")
_SEQUENTIAL = ("Sequential",)


def _kind(value: Any) -> str:
    return (
        "null"
        if value is None
        else {dict: "an object", list: "a list", str: "text", bool: "true/false"}.get(type(value), type(value).__name__)
    )


def _get(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _is_shape(value: Any) -> bool:
    """True for one recorded shape (a non-empty list of sizes), not a list of shapes."""
    return isinstance(value, list) and bool(value) and not isinstance(value[0], list)


def _layer_list(config: dict[str, Any]) -> list[Any]:
    entries = config.get("layers")
    if not isinstance(entries, list):
        raise ParseError(f"a model config needs a 'layers' list, got {_kind(entries)}")
    if not entries:
        raise ParseError("a model config has an empty 'layers' list")
    if len(entries) > MAX_LAYERS:  # refuse before building a million layers
        raise LimitError(f"the model has {len(entries):,} layers; the limit is {MAX_LAYERS:,}")
    return entries


def _trainable(config: dict[str, Any], name: str) -> bool:
    value = config.get("trainable", True)
    if not isinstance(value, bool):
        raise ArgumentError(f"trainable must be true or false, got {value!r}", layer=name)
    return value


def _check_ints(value: Any, where: str, depth: int = 0) -> None:
    """Refuse absurd whole numbers anywhere in a config before any arithmetic sees them."""
    if depth > 200:
        raise LimitError(f"{where} is nested more than 200 deep")
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) >= MAX_INT:
            raise LimitError(f"{where} is {str(value)[:20]}...; symcnn refuses sizes of 2**63 or more")
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_ints(v, f"{where}.{k}", depth + 1)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_ints(v, f"{where}[{i}]", depth + 1)
