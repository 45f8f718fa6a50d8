"""Kept so ``symcnn.io.keras_reader`` still imports; the Keras reader lives in :mod:`symcnn.io.keras`."""

from .keras import (  # noqa: F401
    MAX_CALLS,
    MAX_COMPRESSION_RATIO,
    MAX_CONFIG_BYTES,
    MAX_INT,
    MAX_NESTING,
    MAX_ZIP_MEMBERS,
    TensorArg,
    load_keras,
    model_from_keras_config,
    model_from_keras_json,
)
