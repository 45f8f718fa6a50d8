"""Which registered symcnn class a JSON layer entry names: a layer, a ``keras.ops`` call, or a tf.keras op."""

from __future__ import annotations

from typing import Any

from ...layers.base import Layer
from .config import _get
from .legacy import _TF_FUNCTIONS

_OP_MODULES = ("keras.src.ops", "keras.ops")


def _is_op(entry: dict[str, Any]) -> bool:
    module = entry.get("module")
    return entry.get("class_name") == "TFOpLambda" or (isinstance(module, str) and module.startswith(_OP_MODULES))


def _layer_class(class_name: str, entry: dict[str, Any]) -> type[Layer] | None:
    """The registered class for a JSON entry; a keras op tries ``"ops." + class_name`` first."""
    if class_name == "TFOpLambda":  # tf.keras 2: {"function": "__operators__.add"}
        op = _TF_FUNCTIONS.get(str(_get(entry, "config", "function")))
        return Layer.registry.get(f"ops.{op}") if op else None
    if _is_op(entry):
        found = Layer.registry.get(f"ops.{class_name}")
        if found is not None:
            return found
    return Layer.registry.get(class_name)


def _from_call(class_name: str, entry: dict[str, Any]) -> Any:
    cls = _layer_class(class_name, entry)
    return getattr(cls, "from_call", None) if cls is not None else None
