"""Keras 2 (tf.keras) forms: list-style ``inbound_nodes`` and ``TFOpLambda`` layers naming a TensorFlow function."""

from __future__ import annotations

from typing import Any

from ...errors import ParseError
from .calls import _NodeSpec, _ref
from .config import _kind

# tf.keras 2 writes a TensorFlow call in a functional model as a TFOpLambda layer naming the function;
# these are the keras.ops classes with the same shape rule.
_TF_FUNCTIONS = {
    "__operators__.add": "Add", "math.add": "Add", "math.subtract": "Subtract", "__operators__.sub": "Subtract",
    "math.multiply": "Multiply", "math.truediv": "TrueDivide", "math.divide": "Divide", "math.maximum": "Maximum",
    "math.minimum": "Minimum", "math.pow": "Power", "nn.relu": "Relu", "nn.relu6": "Relu6", "math.sigmoid": "Sigmoid",
    "nn.sigmoid": "Sigmoid", "math.tanh": "Tanh", "nn.tanh": "Tanh", "nn.silu": "Silu", "nn.swish": "Silu",
    "nn.gelu": "Gelu", "nn.elu": "Elu", "nn.selu": "Selu", "nn.softplus": "Softplus", "math.exp": "Exp",
    "math.log": "Log", "math.sqrt": "Sqrt", "math.rsqrt": "Rsqrt", "math.square": "Square", "math.abs": "Absolute",
    "math.negative": "Negative", "math.reciprocal": "Reciprocal",
}  # fmt: skip


def _is_ref(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) in (3, 4)
        and isinstance(value[0], str)
        and isinstance(value[1], int)
        and not isinstance(value[1], bool)
    )


def _keras2_node(layer: str, index: int, raw: list[Any]) -> _NodeSpec:
    """A tf.keras 2 call: ``[[name, node, tensor, kwargs], ...]``, or one flat ``[name, node, tensor, kwargs]``.

    Constants appear as ``["_CONSTANT_VALUE", -1, value, kwargs]``; tensors among the kwargs (as in
    TFOpLambda's ``{"y": ["dense_1", 0, 0]}``) as ``[name, node, tensor]``. They become the same
    args/kwargs as a Keras 3 call, so the rest of the reader treats both alike.
    """
    what = f"inbound_nodes[{index}]"

    def placeholder(ref: list[Any]) -> Any:
        return {"class_name": "__keras_tensor__", "config": {"keras_history": list(_ref(ref[:3], what))}}

    def argument(item: Any) -> Any:
        if _is_ref(item):
            return item[2] if item[0] == "_CONSTANT_VALUE" else placeholder(item)
        if isinstance(item, list):
            return [argument(v) for v in item]
        raise ParseError(f"{what}: expected [layer name, node index, tensor index], got {item!r}")

    items = [raw] if _is_ref(raw) else raw
    args = [argument(item) for item in items]
    first = items[0] if items and _is_ref(items[0]) else None
    raw_kwargs = first[3] if first is not None and len(first) == 4 else {}
    if not isinstance(raw_kwargs, dict):
        raise ParseError(f"{what}: call keywords must be an object, got {_kind(raw_kwargs)}")
    kwargs = {k: placeholder(v) if _is_ref(v) and len(v) == 3 else v for k, v in raw_kwargs.items() if k != "name"}
    return _NodeSpec(layer, index, [], args, kwargs, legacy=True)
