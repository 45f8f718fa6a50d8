"""Ground truth from Keras itself: shapes and parameter counts as Keras reports them.

Tests compare symcnn with what these functions read off a real Keras model, never
with numbers typed by hand. Keras is imported lazily, so this module imports (and
its helpers can be collected) on a machine without Keras; callers skip if it is
missing, e.g. ``keras = pytest.importorskip("keras")``.

Example (needs keras; KERAS_BACKEND=torch is set by tests/conftest.py)::

    >>> truth = keras_truth(seed_model())            # doctest: +SKIP
    >>> truth["total_params"], truth["layers"][1]["output_shape"]  # doctest: +SKIP
    (1643844, [None, 62, 62, 64])
"""

from __future__ import annotations

import functools
import math
import os
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "torch")

Shape = list[Any]  # ints and None (the batch, or an unknown spatial size)

# keras.applications constructors the tests use. Each builds in under a second
# (weights=None): at its default size with the head (224x224x3; 299x299x3 for
# Xception and InceptionV3), or headless at (None, None, 3).
APPLICATIONS = (
    "VGG16",
    "ResNet50",
    "ResNet50V2",
    "MobileNet",
    "MobileNetV2",
    "DenseNet121",
    "Xception",
    "InceptionV3",
    "EfficientNetB0",
    "ConvNeXtTiny",
)


def _count(weights: Any) -> int:
    return sum(math.prod(int(d) for d in w.shape) for w in weights)


def _shape(tensor: Any) -> Shape | list[Shape]:
    if isinstance(tensor, (list, tuple)):
        return [_shape(t) for t in tensor]
    if isinstance(tensor, dict):
        return [_shape(t) for t in tensor.values()]
    return [None if d is None else int(d) for d in tensor.shape]


def _call_outputs(layer: Any, model: Any) -> list[Shape | list[Shape]]:
    """Output shape of each call of ``layer`` inside ``model`` (a shared layer has several)."""
    from keras.src.ops.function import make_node_key

    graph = getattr(model, "_functional", None) or model  # a Sequential keeps a Functional
    keys = getattr(graph, "_nodes", None)
    shapes: list[Shape | list[Shape]] = []
    for index, node in enumerate(layer._inbound_nodes):
        if keys is not None and make_node_key(layer, index) not in keys:
            continue  # a call that belongs to another model
        outputs = list(node.output_tensors)
        shapes.append(_shape(outputs[0]) if len(outputs) == 1 else _shape(outputs))
    return shapes


def layer_truth(layer: Any, model: Any) -> dict[str, Any]:
    """One row: what Keras says about one operation of ``model``.

    A nested model is one row. An op from ``keras.ops`` in a functional graph (for
    example ``keras.ops.add``, class ``Add`` from module ``keras.src.ops.numpy``)
    is a row with ``"op": True`` and no weights. ``output_shape`` is the first
    call's, as ``layer.output`` gives it; a layer called more than once also gets
    ``call_output_shapes``, one per call.
    """
    import keras

    trainable = _count(getattr(layer, "trainable_weights", []))
    non_trainable = _count(getattr(layer, "non_trainable_weights", []))
    calls = _call_outputs(layer, model)
    row: dict[str, Any] = {
        "name": layer.name,
        "class_name": layer.__class__.__name__,
        "output_shape": calls[0] if calls else _shape(layer.output),
        "params": int(layer.count_params()) if getattr(layer, "weights", None) else 0,
        "trainable": trainable,
        "non_trainable": non_trainable,
        "op": not isinstance(layer, keras.layers.Layer),
    }
    if len(calls) > 1:
        row["call_output_shapes"] = calls
    return row


def keras_truth(model: Any) -> dict[str, Any]:
    """Keras's own JSON, per-layer rows and totals for a built model.

    Rows follow the order of the layers in the JSON: InputLayer rows included
    (a Sequential hides its InputLayer from ``model.layers``; it comes first here),
    and, in a functional model, ``keras.ops`` operations included.
    """
    import keras

    if isinstance(model, keras.Sequential):
        operations = list(model._layers)  # InputLayer first, as in the JSON
    else:
        operations = list(getattr(model, "operations", model.layers))
    return {
        "json": model.to_json(),
        "layers": [layer_truth(op, model) for op in operations],
        "total_params": int(model.count_params()),
        "trainable_params": _count(model.trainable_weights),
        "non_trainable_params": _count(model.non_trainable_weights),
    }


def seed_model() -> Any:
    """The tutorial CNN: 64x64x1 in, 4 classes out, 1,643,844 parameters."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input((64, 64, 1)),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPool2D(2, 2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPool2D(2, 2),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(4, activation="softmax"),
        ],
        name="seed",
    )


def build_application(
    name: str,
    input_shape: tuple[int | None, ...] | None = None,
    include_top: bool = True,
) -> Any:
    """``keras.applications.<name>(weights=None, ...)``: the real architecture, random weights."""
    import keras

    if name not in APPLICATIONS:
        raise ValueError(f"unknown application {name!r}; known: {', '.join(APPLICATIONS)}")
    constructor = getattr(keras.applications, name)
    return constructor(weights=None, input_shape=input_shape, include_top=include_top)


def applications_truth(
    name: str,
    input_shape: tuple[int | None, ...] | None = None,
    include_top: bool | None = None,
) -> dict[str, Any]:
    """Truth for a keras.applications model, built once per test session (each takes seconds).

    ``include_top`` defaults to True for a fixed size and to False when a spatial
    size is None (Keras refuses a classifier head on an unknown size), so
    ``applications_truth("ResNet50", (None, None, 3))`` gives JSON with None spatial
    dims. Treat the returned dict as read-only: it is shared between tests.
    """
    if include_top is None:
        include_top = input_shape is None or None not in input_shape
    shape = None if input_shape is None else tuple(input_shape)
    return _applications_truth(name, shape, include_top)


@functools.cache
def _applications_truth(name: str, input_shape: tuple[int | None, ...] | None, include_top: bool) -> dict[str, Any]:
    return keras_truth(build_application(name, input_shape, include_top))
