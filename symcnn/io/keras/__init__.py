"""Keras architecture files: ``model.to_json()`` text and ``.keras`` zips, read without Keras.

Both Keras 3 and Keras 2 (tf.keras) configurations are read: Sequential and
Functional models, several inputs and outputs, shared layers (one layer object
called at several nodes, so its weights count once), models nested as layers
anywhere in a graph (one row of type ``Functional``, its layers reachable as
``model.get_layer("base").layers``), and ``keras.ops`` calls in a functional
graph. Layer classes are looked up in ``Layer.registry`` by their Keras
``class_name``; ops first as ``"ops." + class_name`` (see ``_layer_class``); a
tf.keras ``TFOpLambda`` by the function it names.

A call's tensors are data inputs (the arguments ``Layer.call_inputs`` names) or
side inputs (``mask=``, ``initial_state=``, ``attention_mask=``), which change no
count. A ref's third number picks one of a layer's several outputs (an LSTM's
states, attention scores, a nested model's second output). A ``Lambda`` is opaque
code: it takes the output shape Keras recorded for it, and only at the input
sizes recorded with it (see ``lambdas.py``).

Limits (each a LimitError): JSON or config.json over 64 MiB, a config.json
packed more than 200 times smaller than it unpacks, more than 2,000,000 JSON
values (lists, objects and commas counted before parsing), whole numbers of
more than 1,233 digits while parsing and of 2**63 or more in a config, more than
20,000 layers and calls, models nested more than 32 deep. Only ``config.json``
is read from a zip (exactly one), in memory; nothing is extracted.

Unknown sizes. Keras writes an unknown size as ``null``. The batch axis stays
``None``; every other unknown axis of an input becomes a symbol (a positive
integer), named by its position in the shape ``(batch, *spatial, channels)``:

* rank 2, ``(None, None)`` — a sequence of ids: ``T``;
* the channels axis, when unknown: ``C``;
* the spatial axes: one axis ``T`` (a 1-D sequence), two ``H, W`` (an image),
  three ``D, H, W`` (a volume), more ``S1, S2, ...``.

The channels axis is the last one, unless the input looks channels-first: rank
3 or more with the second axis known and the last unknown, as in ``(None, 3,
None, None)``, which gives ``(None, 3, H, W)``. When more than one input has
unknown sizes, each symbol gets the input's position in the model's
``input_layers`` as a suffix, counting from 1 (``H_1, W_1`` and ``T_2``).

>>> import json
>>> spec = {"class_name": "Sequential", "config": {"name": "tiny", "layers": [
...     {"class_name": "InputLayer", "config": {"batch_shape": [None, None, None, 3], "name": "x"}},
...     {"class_name": "Conv2D", "config": {"name": "c", "filters": 8, "kernel_size": [3, 3]}}]}}
>>> m = model_from_keras_json(json.dumps(spec), "tiny.json")
>>> m.layers[-1].output_shape, m.total_params
((None, H - 2, W - 2, 8), 224)
"""

from .archive import MAX_COMPRESSION_RATIO, MAX_CONFIG_BYTES, MAX_JSON_DIGITS, MAX_JSON_VALUES, MAX_ZIP_MEMBERS
from .calls import TensorArg
from .config import MAX_INT
from .reader import MAX_CALLS, MAX_NESTING, load_keras, model_from_keras_config, model_from_keras_json

__all__ = [
    "MAX_CALLS",
    "MAX_COMPRESSION_RATIO",
    "MAX_CONFIG_BYTES",
    "MAX_INT",
    "MAX_JSON_DIGITS",
    "MAX_JSON_VALUES",
    "MAX_NESTING",
    "MAX_ZIP_MEMBERS",
    "TensorArg",
    "load_keras",
    "model_from_keras_config",
    "model_from_keras_json",
]
