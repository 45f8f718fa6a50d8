"""One layer contract, checked against Keras itself for every Keras layer type symcnn knows.

For each row: build the real Keras layer on ``keras.Input`` tensors of the given
shapes, rebuild the symcnn layer from ``keras_layer.get_config()`` through the
registry, and compare the output shape and the trainable / non-trainable counts
with what Keras reports (``layer.trainable_weights`` / ``non_trainable_weights``).
Where Keras refuses a configuration, symcnn must refuse it too (and vice versa).
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symcnn.errors import ArgumentError, ShapeError, SymcnnError, UnknownLayerError
from symcnn.layers import InputLayer, Layer
from symcnn.model import Model
from symcnn.tensor import Node

pytestmark = pytest.mark.slow
keras = pytest.importorskip("keras")

Shape = tuple[Any, ...]

# (class name, Keras kwargs, input shape or [input shapes] — batch included, None = unknown)
# A kwarg written as ("layer", ClassName, kwargs) is a nested Keras layer (for wrappers).
CASES: list[tuple[str, dict[str, Any], Any]] = [
    # convolutions
    ("Conv1D", {"filters": 5, "kernel_size": 3}, (None, 20, 4)),
    ("Conv1D", {"filters": 6, "kernel_size": 4, "strides": 3, "padding": "same"}, (None, 19, 4)),
    ("Conv1D", {"filters": 4, "kernel_size": 3, "dilation_rate": 2, "padding": "causal"}, (None, 17, 2)),
    ("Conv1D", {"filters": 6, "kernel_size": 3, "groups": 2}, (None, 12, 4)),
    ("Conv1D", {"filters": 5, "kernel_size": 3, "data_format": "channels_first"}, (None, 4, 20)),
    ("Conv2D", {"filters": 8, "kernel_size": 3}, (None, 17, 15, 3)),
    ("Conv2D", {"filters": 8, "kernel_size": (3, 5), "strides": 2, "padding": "same"}, (None, 17, 15, 3)),
    ("Conv2D", {"filters": 8, "kernel_size": 3, "dilation_rate": (2, 3)}, (None, 21, 21, 3)),
    ("Conv2D", {"filters": 6, "kernel_size": 3, "groups": 3, "use_bias": False}, (None, 9, 9, 6)),
    ("Conv2D", {"filters": 7, "kernel_size": 2, "strides": (2, 3), "data_format": "channels_first"}, (None, 3, 11, 13)),
    ("Conv2D", {"filters": 4, "kernel_size": 5, "strides": 3, "padding": "same"}, (None, 7, 11, 2)),
    ("Conv2D", {"filters": 6, "kernel_size": 3, "groups": 2, "lora_rank": 2}, (None, 9, 9, 4)),
    ("Conv1D", {"filters": 5, "kernel_size": 3, "lora_rank": 3}, (None, 20, 4)),
    ("Conv3D", {"filters": 4, "kernel_size": 3, "strides": (1, 2, 2)}, (None, 8, 9, 10, 2)),
    ("Conv3D", {"filters": 4, "kernel_size": 2, "padding": "same", "data_format": "channels_first"}, (None, 2, 5, 6, 7)),
    ("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 3}, (None, 12, 10, 4)),
    ("DepthwiseConv2D", {"kernel_size": 3, "strides": 2, "padding": "same", "use_bias": False}, (None, 13, 13, 5)),
    ("DepthwiseConv1D", {"kernel_size": 3, "depth_multiplier": 2}, (None, 12, 4)),
    ("DepthwiseConv2D", {"kernel_size": 3, "strides": 2, "dilation_rate": 2}, (None, 11, 10, 2)),
    ("SeparableConv2D", {"filters": 3, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, (None, 11, 10, 2)),
    ("SeparableConv2D", {"filters": 9, "kernel_size": 3, "depth_multiplier": 2}, (None, 14, 14, 4)),
    ("SeparableConv1D", {"filters": 9, "kernel_size": 3, "padding": "same"}, (None, 14, 4)),
    ("Conv2DTranspose", {"filters": 6, "kernel_size": 3, "strides": 2}, (None, 7, 9, 4)),
    ("Conv2DTranspose", {"filters": 6, "kernel_size": 3, "strides": 2, "padding": "same"}, (None, 7, 9, 4)),
    ("Conv2DTranspose", {"filters": 6, "kernel_size": 4, "strides": 3, "output_padding": 1}, (None, 5, 6, 4)),
    ("Conv2DTranspose", {"filters": 6, "kernel_size": 3, "strides": 2, "padding": "same", "output_padding": 1},
     (None, 5, 6, 4)),
    ("Conv2DTranspose", {"filters": 3, "kernel_size": 3, "dilation_rate": 2}, (None, 5, 6, 4)),
    ("Conv1DTranspose", {"filters": 3, "kernel_size": 5, "strides": 2}, (None, 9, 4)),
    ("Conv3DTranspose", {"filters": 2, "kernel_size": 2, "strides": 2}, (None, 3, 4, 5, 2)),
    # pooling
    ("MaxPooling1D", {"pool_size": 3}, (None, 20, 4)),
    ("MaxPooling2D", {"pool_size": 2}, (None, 17, 15, 3)),
    ("MaxPooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}, (None, 17, 15, 3)),
    ("MaxPooling2D", {"pool_size": 2, "data_format": "channels_first"}, (None, 3, 9, 11)),
    ("MaxPooling3D", {"pool_size": 2, "strides": 1}, (None, 5, 6, 7, 2)),
    ("AveragePooling1D", {"pool_size": 4, "strides": 3, "padding": "same"}, (None, 19, 2)),
    ("AveragePooling2D", {"pool_size": 3, "strides": 2}, (None, 17, 15, 3)),
    ("AveragePooling2D", {"pool_size": (2, 3), "strides": (3, 1), "padding": "same"}, (None, 11, 13, 3)),
    ("AveragePooling3D", {"pool_size": 3, "strides": 2, "padding": "same"}, (None, 7, 8, 9, 2)),
    ("GlobalAveragePooling1D", {}, (None, 12, 5)),
    ("GlobalAveragePooling2D", {"keepdims": True}, (None, 7, 8, 5)),
    ("GlobalAveragePooling2D", {"data_format": "channels_first"}, (None, 5, 7, 8)),
    ("GlobalMaxPooling1D", {"keepdims": True}, (None, 12, 5)),
    ("GlobalMaxPooling2D", {}, (None, 7, 8, 5)),
    # core
    ("Flatten", {}, (None, 3, 4, 5)),
    ("Reshape", {"target_shape": (-1, 4)}, (None, 6, 2, 4)),
    ("Reshape", {"target_shape": (12, 4)}, (None, 6, 8)),
    ("Dense", {"units": 7}, (None, 12)),
    ("Dense", {"units": 7}, (None, 5, 12)),
    ("Dense", {"units": 7, "use_bias": False}, (None, 3, 5, 12)),
    ("Dense", {"units": 7, "lora_rank": 2}, (None, 5, 12)),
    ("Dropout", {"rate": 0.5}, (None, 5, 6)),
    ("Activation", {"activation": "relu"}, (None, 5, 6)),
    ("ReLU", {"max_value": 6.0}, (None, 5, 6)),
    ("Softmax", {"axis": 1}, (None, 5, 6)),
    ("PReLU", {"shared_axes": [1, 2]}, (None, 5, 6, 3)),
    # normalization and preprocessing
    ("BatchNormalization", {}, (None, 8, 8, 6)),
    ("BatchNormalization", {"axis": 1}, (None, 6, 8, 8)),
    ("BatchNormalization", {"center": False}, (None, 10)),
    ("BatchNormalization", {"scale": False, "center": False}, (None, 4, 10)),
    ("BatchNormalization", {"renorm": True}, (None, 5, 10)),
    ("LayerNormalization", {}, (None, 7, 10)),
    ("LayerNormalization", {"axis": [1, 2]}, (None, 7, 10)),
    ("LayerNormalization", {"axis": [-1, -3], "center": False}, (None, 3, 4, 5)),
    ("LayerNormalization", {"scale": False}, (None, 10)),
    ("LayerNormalization", {"rms_scaling": True}, (None, 4, 10)),
    ("RMSNormalization", {"axis": [1, 2]}, (None, 7, 10)),
    ("GroupNormalization", {"groups": 4}, (None, 6, 6, 8)),
    ("GroupNormalization", {"groups": -1, "center": False}, (None, 6, 6, 8)),
    ("GroupNormalization", {"groups": 2, "axis": 1}, (None, 8, 6, 6)),
    ("UnitNormalization", {"axis": [1, 2]}, (None, 6, 8)),
    ("Normalization", {}, (None, 6, 8)),
    ("Normalization", {"axis": [1, 2]}, (None, 6, 8)),
    ("Normalization", {"axis": None}, (None, 6, 8)),
    ("Normalization", {"mean": 0.5, "variance": 2.0}, (None, 6, 8)),
    ("Normalization", {"axis": 1, "mean": [1.0, 2, 3], "variance": [1.0, 2, 3]}, (None, 3, 8)),
    ("Rescaling", {"scale": 1 / 255.0, "offset": -1.0}, (None, 6, 6, 3)),
    ("Rescaling", {"scale": [1.0, 2.0, 3.0]}, (None, 6, 6, 3)),
    ("Resizing", {"height": 5, "width": 9}, (None, 16, 12, 3)),
    ("Resizing", {"height": 5, "width": 9, "interpolation": "nearest", "crop_to_aspect_ratio": True}, (None, 16, 12, 3)),
    ("Resizing", {"height": 5, "width": 9, "data_format": "channels_first"}, (None, 3, 16, 12)),
    ("CenterCrop", {"height": 5, "width": 7}, (None, 16, 12, 3)),
    ("CenterCrop", {"height": 5, "width": 7, "data_format": "channels_first"}, (None, 3, 16, 12)),
    ("RandomCrop", {"height": 5, "width": 7}, (None, 16, 12, 3)),
    ("RandomCrop", {"height": 5, "width": 7, "data_format": "channels_first"}, (None, 3, 16, 12)),
    ("RandAugment", {}, (None, 16, 12, 3)),
    ("RandomHue", {"factor": 0.2}, (None, 16, 12, 3)),
    ("RandomGaussianBlur", {"kernel_size": 5, "data_format": "channels_first"}, (None, 3, 16, 12)),
    ("Solarization", {"threshold_factor": 0.5}, (None, 16, 12, 3)),
    ("SpectralNormalization", {"layer": ("layer", "Dense", {"units": 5})}, (None, 7)),
    ("SpectralNormalization", {"layer": ("layer", "Conv2D", {"filters": 4, "kernel_size": 3}), "power_iterations": 2},
     (None, 8, 8, 3)),
    ("SpectralNormalization", {"layer": ("layer", "Embedding", {"input_dim": 20, "output_dim": 4})}, (None, 6)),
    ("SpectralNormalization", {"layer": ("layer", "DepthwiseConv2D", {"kernel_size": 3})}, (None, 8, 8, 3)),
    ("SpectralNormalization", {"layer": ("layer", "Conv2DTranspose", {"filters": 4, "kernel_size": 3})}, (None, 8, 8, 3)),
    ("CategoryEncoding", {"num_tokens": 10}, (None, 4)),
    ("CategoryEncoding", {"num_tokens": 10, "output_mode": "one_hot"}, (None, 4)),
    ("CategoryEncoding", {"num_tokens": 10, "output_mode": "one_hot"}, (None, 1)),
    ("CategoryEncoding", {"num_tokens": 10, "output_mode": "count"}, (None, 3, 4)),
    ("Discretization", {"bin_boundaries": [0.0, 1.0, 2.0]}, (None, 4)),
    ("Discretization", {"num_bins": 5, "output_mode": "one_hot"}, (None, 4)),
    ("Discretization", {"bin_boundaries": [0.0, 1.0], "output_mode": "one_hot"}, (None, 4, 1)),
    ("Discretization", {"bin_boundaries": [0.0, 1.0], "output_mode": "multi_hot"}, (None, 4, 3)),
    ("Discretization", {"bin_boundaries": [0.0, 1.0], "output_mode": "count"}, (None, 4)),
    # reshaping
    ("ZeroPadding1D", {"padding": (1, 3)}, (None, 10, 3)),
    ("ZeroPadding2D", {"padding": 2}, (None, 7, 9, 3)),
    ("ZeroPadding2D", {"padding": (1, 2)}, (None, 7, 9, 3)),
    ("ZeroPadding2D", {"padding": ((0, 1), (2, 3))}, (None, 7, 9, 3)),
    ("ZeroPadding2D", {"padding": ((0, 1), (2, 3)), "data_format": "channels_first"}, (None, 3, 7, 9)),
    ("ZeroPadding3D", {"padding": ((0, 1), 2, (3, 0))}, (None, 4, 5, 6, 2)),
    ("Cropping1D", {"cropping": (2, 1)}, (None, 10, 3)),
    ("Cropping2D", {"cropping": 2}, (None, 7, 9, 3)),
    ("Cropping2D", {"cropping": ((0, 1), (2, 3))}, (None, 7, 9, 3)),
    ("Cropping2D", {"cropping": ((0, 1), (2, 3)), "data_format": "channels_first"}, (None, 3, 7, 9)),
    ("Cropping3D", {"cropping": ((0, 1), 1, (2, 0))}, (None, 4, 5, 6, 2)),
    ("UpSampling1D", {"size": 3}, (None, 5, 2)),
    ("UpSampling2D", {"size": (2, 3)}, (None, 5, 4, 2)),
    ("UpSampling2D", {"size": 2, "interpolation": "bilinear", "data_format": "channels_first"}, (None, 2, 5, 4)),
    ("UpSampling3D", {"size": (1, 2, 3)}, (None, 3, 4, 5, 2)),
    ("Permute", {"dims": (2, 1)}, (None, 5, 7)),
    ("Permute", {"dims": (3, 1, 2)}, (None, 5, 7, 2)),
    ("RepeatVector", {"n": 4}, (None, 6)),
    # embedding and recurrent
    ("Embedding", {"input_dim": 100, "output_dim": 16}, (None, 12)),
    ("Embedding", {"input_dim": 50, "output_dim": 8}, (None, 3, 4)),
    ("Embedding", {"input_dim": 50, "output_dim": 8, "lora_rank": 2}, (None, 12)),
    ("SimpleRNN", {"units": 6}, (None, 9, 4)),
    ("SimpleRNN", {"units": 6, "return_sequences": True, "use_bias": False}, (None, 9, 4)),
    ("LSTM", {"units": 5}, (None, 9, 3)),
    ("LSTM", {"units": 5, "return_sequences": True}, (None, 9, 3)),
    ("LSTM", {"units": 5, "use_bias": False}, (None, None, 3)),
    ("GRU", {"units": 5}, (None, 9, 3)),
    ("GRU", {"units": 5, "reset_after": False}, (None, 9, 3)),
    ("GRU", {"units": 5, "reset_after": False, "return_sequences": True}, (None, 9, 3)),
    ("Bidirectional", {"layer": ("layer", "LSTM", {"units": 4})}, (None, 9, 3)),
    ("Bidirectional", {"layer": ("layer", "GRU", {"units": 4, "return_sequences": True}), "merge_mode": "sum"},
     (None, 9, 3)),
    ("Bidirectional", {"layer": ("layer", "SimpleRNN", {"units": 4}), "merge_mode": "ave",
                       "backward_layer": ("layer", "SimpleRNN", {"units": 4, "go_backwards": True})}, (None, 9, 3)),
    ("Bidirectional", {"layer": ("layer", "GRU", {"units": 4, "reset_after": False}), "merge_mode": "mul"},
     (None, 9, 3)),
    ("Bidirectional", {"layer": ("layer", "ConvLSTM2D", {"filters": 3, "kernel_size": 3, "return_sequences": True})},
     (None, 4, 7, 6, 2)),
    ("Bidirectional", {"layer": ("layer", "ConvLSTM1D", {"filters": 3, "kernel_size": 2, "data_format": "channels_first"}),
                       "merge_mode": "ave"}, (None, 4, 2, 6)),
    ("TimeDistributed", {"layer": ("layer", "Dense", {"units": 4})}, (None, 9, 3)),
    ("TimeDistributed", {"layer": ("layer", "Conv2D", {"filters": 4, "kernel_size": 3})}, (None, 5, 8, 8, 3)),
    ("TimeDistributed", {"layer": ("layer", "BatchNormalization", {})}, (None, 5, 6)),
    ("Bidirectional", {"layer": ("layer", "LSTM", {"units": 3, "trainable": False})}, (None, 9, 3)),
    ("RNN", {"cell": ("layer", "LSTMCell", {"units": 4})}, (None, 9, 3)),
    ("RNN", {"cell": ("layer", "GRUCell", {"units": 4, "reset_after": False}), "return_sequences": True}, (None, 9, 3)),
    ("RNN", {"cell": ("cells", ("SimpleRNNCell", {"units": 5}), ("LSTMCell", {"units": 3}), ("GRUCell", {"units": 2}))},
     (None, 9, 3)),
    ("ConvLSTM2D", {"filters": 4, "kernel_size": 3}, (None, 5, 9, 8, 2)),
    ("ConvLSTM2D", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "return_sequences": True},
     (None, 5, 9, 8, 2)),
    ("ConvLSTM2D", {"filters": 3, "kernel_size": (3, 2), "data_format": "channels_first", "use_bias": False},
     (None, 5, 2, 9, 8)),
    ("ConvLSTM1D", {"filters": 4, "kernel_size": 3, "dilation_rate": 2}, (None, 5, 11, 2)),
    ("ConvLSTM3D", {"filters": 2, "kernel_size": 2, "return_sequences": True}, (None, 3, 4, 5, 6, 2)),
    # more data formats and ranks
    ("ZeroPadding1D", {"padding": 2, "data_format": "channels_first"}, (None, 3, 10)),
    ("ZeroPadding3D", {"padding": (1, 2, 3), "data_format": "channels_first"}, (None, 2, 4, 5, 6)),
    ("Cropping3D", {"cropping": 1, "data_format": "channels_first"}, (None, 2, 4, 5, 6)),
    ("UpSampling3D", {"size": 2, "data_format": "channels_first"}, (None, 2, 3, 4, 5)),
    ("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2, "data_format": "channels_first"}, (None, 3, 9, 8)),
    ("SeparableConv2D", {"filters": 5, "kernel_size": 3, "strides": 2, "use_bias": False}, (None, 11, 10, 3)),
    ("Conv1DTranspose", {"filters": 3, "kernel_size": 4, "strides": 3, "padding": "same"}, (None, 7, 2)),
    ("Conv2DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2, "data_format": "channels_first"}, (None, 2, 5, 6)),
    ("GlobalAveragePooling3D", {"keepdims": True}, (None, 3, 4, 5, 2)),
    ("GlobalMaxPooling3D", {"data_format": "channels_first"}, (None, 2, 3, 4, 5)),
    ("Flatten", {"data_format": "channels_first"}, (None, 3, 4, 5)),
    ("LayerNormalization", {"axis": 1}, (None, 4, 5, 6)),
    ("BatchNormalization", {"axis": -2, "trainable": False}, (None, 4, 5)),
    ("Embedding", {"input_dim": 30, "output_dim": 4, "trainable": False}, (None, 7)),
    ("GRU", {"units": 3, "trainable": False}, (None, 4, 2)),
    # merging
    ("Add", {}, [(None, 4, 5, 3), (None, 4, 5, 3)]),
    ("Add", {}, [(None, 4, 5, 3), (None, 4, 5, 3), (None, 4, 5, 3)]),
    ("Multiply", {}, [(None, 6), (None, 6)]),
    ("Subtract", {}, [(None, 6), (None, 6)]),
    ("Average", {}, [(None, 2, 6), (None, 2, 6)]),
    ("Maximum", {}, [(None, 6), (None, 6)]),
    ("Minimum", {}, [(None, 3, 6), (None, 3, 6)]),
    ("Add", {}, [(None, 4, 5, 3), (None, 5, 3)]),  # batch set aside, other axes right-aligned
    ("Multiply", {}, [(None, 4, 1), (None, 1, 6)]),
    ("Add", {}, [(None, 4)]),  # Keras 3 merges a list of one
    ("Concatenate", {"axis": -2}, [(None, 4, 5, 3), (None, 4, 2, 3)]),
    ("Concatenate", {}, [(None, 4, 5, 3), (None, 4, 5, 2)]),
    ("Concatenate", {"axis": 1}, [(None, 4, 5, 3), (None, 2, 5, 3), (None, 1, 5, 3)]),
]

# Configurations Keras refuses (on construction or when called): symcnn must refuse them too.
REFUSED: list[tuple[str, dict[str, Any], Any]] = [
    ("Conv2D", {"filters": 4, "kernel_size": 5}, (None, 4, 9, 3)),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "groups": 2}, (None, 9, 9, 3)),
    ("Conv2D", {"filters": 3, "kernel_size": 3, "groups": 2}, (None, 9, 9, 4)),
    ("Conv2D", {"filters": 3, "kernel_size": 3, "padding": "causal"}, (None, 9, 9, 4)),
    ("Cropping2D", {"cropping": ((3, 4), (0, 0))}, (None, 7, 9, 3)),
    ("Cropping1D", {"cropping": (5, 5)}, (None, 10, 3)),
    ("GroupNormalization", {"groups": 3}, (None, 6, 6, 8)),
    ("GroupNormalization", {"groups": 16}, (None, 6, 6, 8)),
    ("Permute", {"dims": (1, 3)}, (None, 5, 7)),
    ("RepeatVector", {"n": 3}, (None, 5, 7)),
    ("Embedding", {"input_dim": 0, "output_dim": 8}, (None, 12)),
    ("UpSampling2D", {"size": 0}, (None, 5, 4, 2)),
    ("Bidirectional", {"layer": ("layer", "LSTM", {"units": 4}), "merge_mode": "max"}, (None, 9, 3)),
    ("Concatenate", {"axis": 1}, [(None, 4, 5, 3), (None, 2, 4, 3)]),
    ("Add", {}, [(None, 4, 5, 3), (None, 4, 5, 2)]),
    ("Subtract", {}, [(None, 4), (None, 4), (None, 4)]),
    ("Normalization", {"mean": 1.0}, (None, 6)),
    ("Discretization", {"bin_boundaries": [0.0, 1.0], "num_bins": 3}, (None, 4)),
    ("CategoryEncoding", {"num_tokens": 0}, (None, 4)),
    ("ConvLSTM2D", {"filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, (None, 4, 9, 9, 2)),
    ("ConvLSTM2D", {"filters": 2, "kernel_size": 5}, (None, 4, 4, 9, 2)),
    ("SpectralNormalization", {"layer": ("layer", "SeparableConv2D", {"filters": 4, "kernel_size": 3})}, (None, 8, 8, 3)),
    ("SpectralNormalization", {"layer": ("layer", "LSTM", {"units": 3})}, (None, 5, 3)),
]


def _keras_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in kwargs.items():
        if isinstance(value, tuple) and value and value[0] == "layer":
            _, cls, inner = value
            value = getattr(keras.layers, cls)(**inner)
        elif isinstance(value, tuple) and value and value[0] == "cells":
            value = [getattr(keras.layers, cls)(**inner) for cls, inner in value[1:]]
        out[key] = value
    return out


def _shapes(shape: Any) -> list[Shape]:
    return [tuple(s) for s in shape] if isinstance(shape, list) else [tuple(shape)]


def keras_truth(name: str, kwargs: dict[str, Any], shape: Any) -> tuple[Any, Shape, int, int]:
    """Keras's layer (built by calling it), its output shape and trainable / non-trainable counts."""
    layer = getattr(keras.layers, name)(**_keras_kwargs(kwargs))
    inputs = [keras.Input(batch_shape=s) for s in _shapes(shape)]
    output = layer(inputs if isinstance(shape, list) else inputs[0])

    def count(ws: list[Any]) -> int:
        return sum(math.prod(int(d) for d in w.shape) for w in ws)

    return layer, tuple(output.shape), count(layer.trainable_weights), count(layer.non_trainable_weights)


def symcnn_record(name: str, config: dict[str, Any], shape: Any) -> Any:
    """The symcnn layer rebuilt from Keras's config, called on inputs of ``shape`` inside a model."""
    layer = Layer.registry[name].from_config(config)
    inputs = [Node(InputLayer(batch_shape=s), []) for s in _shapes(shape)]
    node = Node(layer, inputs)
    model = Model(nodes=[*inputs, node], output_nodes=[node])
    return model.records[-1]


def _case_id(case: tuple[str, dict[str, Any], Any]) -> str:
    name, kwargs, shape = case
    text = ",".join(f"{k}={v[1] if isinstance(v, tuple) and v and v[0] == 'layer' else v}" for k, v in kwargs.items())
    return f"{name}({text})@{shape}".replace(" ", "")


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_layer_matches_keras_shape_and_counts(case: tuple[str, dict[str, Any], Any]) -> None:
    name, kwargs, shape = case
    keras_layer, keras_shape, trainable, non_trainable = keras_truth(name, kwargs, shape)
    record = symcnn_record(name, keras_layer.get_config(), shape)
    assert record.output_shape == keras_shape
    assert (int(record.trainable), int(record.non_trainable)) == (trainable, non_trainable)
    assert int(record.params) == keras_layer.count_params()
    macs = [record.macs_by(c) for c in ("torchinfo", "fvcore")]
    assert all(m.is_Integer and m >= 0 for m in macs)


@pytest.mark.parametrize("case", REFUSED, ids=[_case_id(c) for c in REFUSED])
def test_symcnn_refuses_what_keras_refuses(case: tuple[str, dict[str, Any], Any]) -> None:
    name, kwargs, shape = case
    with pytest.raises((ValueError, TypeError)):
        keras_truth(name, kwargs, shape)
    config = dict(kwargs)
    for key, value in kwargs.items():
        if isinstance(value, tuple) and value and value[0] == "layer":
            inner = getattr(keras.layers, value[1])(**value[2])
            config[key] = {"class_name": value[1], "config": inner.get_config()}
    with pytest.raises((ArgumentError, ShapeError)):
        symcnn_record(name, config, shape)


def test_every_keras_layer_type_in_the_table_is_registered() -> None:
    missing = sorted({name for name, _, _ in CASES} - set(Layer.registry))
    assert missing == []


# ---- return_state and merge_mode=None: several outputs, each as Keras gives it -----------------------

MULTI_OUTPUT: list[tuple[str, dict[str, Any], Any]] = [
    ("LSTM", {"units": 4, "return_state": True}, (None, 9, 3)),
    ("LSTM", {"units": 4, "return_state": True, "return_sequences": True}, (None, 9, 3)),
    ("GRU", {"units": 5, "return_state": True, "reset_after": False}, (None, 9, 3)),
    ("SimpleRNN", {"units": 2, "return_state": True, "return_sequences": True}, (None, 7, 3)),
    ("RNN", {"cell": ("cells", ("LSTMCell", {"units": 4}), ("GRUCell", {"units": 3})), "return_state": True},
     (None, 9, 3)),
    ("ConvLSTM2D", {"filters": 3, "kernel_size": 3, "return_state": True}, (None, 5, 6, 7, 2)),
    ("ConvLSTM1D", {"filters": 2, "kernel_size": 2, "return_state": True, "return_sequences": True,
                    "data_format": "channels_first"}, (None, 4, 3, 6)),
    ("Bidirectional", {"layer": ("layer", "LSTM", {"units": 3, "return_state": True})}, (None, 9, 3)),
    ("Bidirectional", {"layer": ("layer", "LSTM", {"units": 4}), "merge_mode": None}, (None, 9, 3)),
    ("Bidirectional", {"layer": ("layer", "GRU", {"units": 3, "return_state": True, "return_sequences": True}),
                       "merge_mode": None}, (None, 9, 3)),
    ("Bidirectional", {"layer": ("layer", "SimpleRNN", {"units": 3, "return_state": True}), "merge_mode": "sum"},
     (None, 9, 3)),
    ("Bidirectional", {"layer": ("layer", "RNN", {"cell": [{"class_name": "LSTMCell", "config": {"units": 4}},
                                                          {"class_name": "GRUCell", "config": {"units": 3}}],
                                                 "return_state": True})}, (None, 9, 3)),
    ("Bidirectional", {"layer": ("layer", "ConvLSTM2D", {"filters": 3, "kernel_size": 3, "return_state": True,
                                                        "return_sequences": True})}, (None, 5, 6, 7, 2)),
]


def _keras_rnn_cells(kwargs: dict[str, Any]) -> dict[str, Any]:
    """RNN(cell=[...]) inside a wrapper: the cell list as Keras layers."""
    cells = kwargs.get("cell")
    if isinstance(cells, list):
        return {**kwargs, "cell": [getattr(keras.layers, c["class_name"])(**c["config"]) for c in cells]}
    return kwargs


@pytest.mark.parametrize("case", MULTI_OUTPUT, ids=[_case_id(c) for c in MULTI_OUTPUT])
def test_layers_with_several_outputs_match_keras_output_by_output(case: tuple[str, dict[str, Any], Any]) -> None:
    name, kwargs, shape = case
    kwargs = {k: ("layer", v[1], _keras_rnn_cells(v[2])) if isinstance(v, tuple) and v[0] == "layer" else v
              for k, v in kwargs.items()}
    layer = getattr(keras.layers, name)(**_keras_kwargs(kwargs))
    outputs = keras.tree.flatten(layer(keras.Input(batch_shape=shape)))
    assert len(outputs) > 1  # Keras really gives several outputs
    record = symcnn_record(name, layer.get_config(), shape)
    assert record.output_shapes == [tuple(t.shape) for t in outputs]
    assert record.layer.output_count() == len(outputs)
    assert int(record.params) == layer.count_params()


# ---- keras.ops in functional graphs, read back through the Keras reader ---------------------------

def _ops_models() -> list[tuple[str, Any]]:
    import numpy as np
    from keras import ops

    def model(name: str, inputs: list[Any], out: Any) -> tuple[str, Any]:
        return name, keras.Model(inputs, out, name=name)

    a, b = keras.Input((8, 6, 4)), keras.Input((8, 6, 4))
    v, w = keras.Input((5,)), keras.Input((5, 3))
    return [
        model("add_multiply", [a, b], ops.multiply(ops.add(a, b), ops.subtract(a, b))),
        model("scalar_constants", [a], ops.divide(3.0 - a * 2.0, 4.0)),
        model("array_constant", [a], ops.add(a, np.ones((4,), "float32"))),
        model("activations", [a], ops.gelu(ops.silu(ops.hard_sigmoid(ops.relu(a))))),
        model("softmax_axis", [a], ops.softmax(a, axis=1)),
        model("concatenate_stack", [a, b], ops.stack([ops.concatenate([a, b], axis=2), ops.concatenate([b, a], axis=2)], 1)),
        model("reshape_minus_one", [a], ops.reshape(a, (-1, 12, 16))),
        model("transpose", [a], ops.transpose(a, (0, 3, 1, 2))),
        model("mean_keepdims", [a], ops.mean(a, axis=(1, 2), keepdims=True)),
        model("sum_max", [a], ops.max(ops.sum(a, axis=-1), axis=1)),
        model("expand_squeeze", [v], ops.squeeze(ops.expand_dims(ops.expand_dims(v, 1), -1), axis=1)),
        model("matmul", [v, w], ops.matmul(ops.expand_dims(v, 1), w)),
        model("matmul_constant", [v], ops.matmul(v, np.ones((5, 7), "float32"))),
        model("pad", [a], ops.pad(a, [[0, 0], [1, 2], [3, 0], [0, 0]])),
        model("get_item", [a], a[:, 1:7:2, ..., None]),
        model("get_item_int", [a], a[:, -3:, 2]),
        model("argmax", [a], ops.argmax(a, axis=-1)),
        model("moveaxis_swapaxes", [a], ops.swapaxes(ops.moveaxis(a, 3, 1), 2, 3)),
        model("repeat_tile", [a], ops.tile(ops.repeat(a, 3, axis=2), (1, 2, 1, 1))),
        model("cumsum_one_hot", [v], ops.one_hot(ops.cast(ops.cumsum(v, axis=1), "int32"), 7)),
        model("where", [a, b], ops.where(ops.greater(a, b), a, 0.0)),
        model("einsum", [a, b], ops.einsum("bhwc,bxwc->bhx", a, b)),
        model("einsum_ellipsis_constant", [a], ops.einsum("...c,cd->...d", a, np.ones((4, 9), "float32"))),
        model("broadcast_to", [v], ops.broadcast_to(ops.expand_dims(v, 1), (2, 3, 5))),
    ]


@pytest.mark.parametrize("index", range(24))
def test_keras_ops_read_back_match_keras(index: int) -> None:
    from truth.keras_truth import keras_truth as model_truth

    from symcnn.io.keras import model_from_keras_json

    name, kmodel = _ops_models()[index]
    truth = model_truth(kmodel)
    ours = model_from_keras_json(truth["json"], name)
    by_name = {r.name: r for r in ours.records}
    rows = [row for row in truth["layers"] if row["op"]]
    assert rows, "the model should record keras.ops calls"
    for row in rows:
        record = by_name[row["name"]]
        assert record.type == row["class_name"]
        assert list(record.output_shape) == row["output_shape"], row["name"]
        assert int(record.params) == 0
    assert [list(s) for s in ours.output_shapes] == [list(o.shape) for o in kmodel.outputs]


# ---- keras.applications' own layers -------------------------------------------------------------

@pytest.mark.parametrize(("class_name", "module"), [
    ("LayerScale", "keras.src.applications.convnext"),
    ("StochasticDepth", "keras.src.applications.convnext"),
])
def test_application_layers_match_keras(class_name: str, module: str) -> None:
    import importlib

    cls = getattr(importlib.import_module(module), class_name)
    layer = cls(**({"init_values": 1e-6, "projection_dim": 12} if class_name == "LayerScale" else {"drop_path_rate": 0.1}))
    out = layer(keras.Input(batch_shape=(None, 5, 5, 12)))
    record = symcnn_record(class_name, layer.get_config(), (None, 5, 5, 12))
    assert record.output_shape == tuple(out.shape)
    assert int(record.trainable) == sum(math.prod(w.shape) for w in layer.trainable_weights)


def test_custom_scale_layer_matches_keras() -> None:
    from keras.src.applications.inception_resnet_v2 import CustomScaleLayer

    layer = CustomScaleLayer(0.17)
    out = layer([keras.Input(batch_shape=(None, 5, 5, 8)), keras.Input(batch_shape=(None, 5, 5, 8))])
    record = symcnn_record("CustomScaleLayer", layer.get_config(), [(None, 5, 5, 8), (None, 5, 5, 8)])
    assert record.output_shape == tuple(out.shape)
    assert int(record.params) == 0 == layer.count_params()


# ---- property: random conv / pooling arguments, symcnn == Keras, refusals included ------------------

_CONV_LIKE = st.sampled_from(["Conv2D", "MaxPooling2D", "AveragePooling2D"])


@st.composite
def conv_like_cases(draw: st.DrawFn) -> tuple[str, dict[str, Any], Shape]:
    name = draw(_CONV_LIKE)
    pair = st.tuples(st.integers(1, 5), st.integers(1, 5))
    size = draw(pair)
    strides = draw(pair)
    padding = draw(st.sampled_from(["valid", "same"]))
    channels_first = draw(st.booleans())
    kwargs: dict[str, Any] = {"padding": padding, "strides": strides}
    if channels_first:
        kwargs["data_format"] = "channels_first"
    if name == "Conv2D":
        kwargs.update(filters=draw(st.integers(1, 6)), kernel_size=size, use_bias=draw(st.booleans()))
        if draw(st.booleans()):
            kwargs["strides"] = 1
            kwargs["dilation_rate"] = draw(pair)
    else:
        kwargs["pool_size"] = size
    if name == "Conv2D" and draw(st.integers(0, 9)) == 0:
        kwargs["dilation_rate"] = draw(pair)  # with strides > 1 too: Keras refuses that mix
    h, w, c = draw(st.integers(1, 14)), draw(st.integers(1, 14)), draw(st.integers(1, 4))
    shape: Shape = (None, c, h, w) if channels_first else (None, h, w, c)
    return name, kwargs, shape


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conv_like_cases())
def test_random_conv_and_pooling_agree_with_keras(case: tuple[str, dict[str, Any], Shape]) -> None:
    name, kwargs, shape = case
    try:
        keras_layer, keras_shape, trainable, non_trainable = keras_truth(name, kwargs, shape)
        keras_refused = min(d for d in keras_shape if d is not None) < 1
    except (ValueError, TypeError):
        keras_layer, keras_refused = None, True
    config = keras_layer.get_config() if keras_layer is not None else json.loads(json.dumps(kwargs))
    try:
        record = symcnn_record(name, config, shape)
        symcnn_refused = False
    except (ArgumentError, ShapeError):
        symcnn_refused = True
    except SymcnnError as exc:  # any other error class is a bug in the contract
        raise AssertionError(f"unexpected {type(exc).__name__}: {exc}") from exc
    assert symcnn_refused == keras_refused, (kwargs, shape)
    if not keras_refused:
        assert record.output_shape == keras_shape
        assert (int(record.trainable), int(record.non_trainable)) == (trainable, non_trainable)


# ---- MACs: torchinfo counts each recurrent parameter once per batch item and time step -------------

@pytest.mark.parametrize(("name", "torch_name", "kwargs"), [
    ("SimpleRNN", "RNN", {}),
    ("LSTM", "LSTM", {}),
    ("GRU", "GRU", {}),
    ("LSTM", "LSTM", {"return_sequences": True}),
])
def test_recurrent_torchinfo_macs_use_torchinfos_own_multiplier(name: str, torch_name: str, kwargs: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch")
    torchinfo = pytest.importorskip("torchinfo")
    batch, steps, features, units = 3, 7, 4, 6
    module = getattr(torch.nn, torch_name)(features, units, batch_first=True)
    stats = torchinfo.summary(module, input_size=(batch, steps, features), verbose=0)
    multiplier = stats.total_mult_adds / sum(p.numel() for p in module.parameters())  # torchinfo's, not ours
    keras_layer, _, trainable, _ = keras_truth(name, {"units": units, **kwargs}, (None, steps, features))
    record = symcnn_record(name, keras_layer.get_config(), (batch, steps, features))
    assert int(record.macs_by("torchinfo")) == multiplier * trainable


def test_embedding_torchinfo_macs_use_torchinfos_own_multiplier() -> None:
    torch = pytest.importorskip("torch")
    torchinfo = pytest.importorskip("torchinfo")
    module = torch.nn.Embedding(100, 8)
    stats = torchinfo.summary(module, input_data=torch.zeros(3, 7, dtype=torch.long), verbose=0)
    multiplier = stats.total_mult_adds / sum(p.numel() for p in module.parameters())
    keras_layer, _, trainable, _ = keras_truth("Embedding", {"input_dim": 100, "output_dim": 8}, (None, 7))
    record = symcnn_record("Embedding", keras_layer.get_config(), (3, 7))
    assert int(record.macs_by("torchinfo")) == multiplier * trainable


# ---- symbolic sizes: the closed form at a point equals the layer computed at that point --------------

# A size of 1 can change a rule (one_hot keeps or replaces a last axis of 1): those rows stay numeric.
_SYMBOLIC = [c for c in CASES if not isinstance(c[2], list) and None not in c[2][1:] and 1 not in c[2][1:]]


@pytest.mark.parametrize("case", _SYMBOLIC, ids=[_case_id(c) for c in _SYMBOLIC])
def test_symbolic_sizes_at_a_point_equal_the_numeric_layer(case: tuple[str, dict[str, Any], Any]) -> None:
    import sympy

    from symcnn.expr import dim_symbol

    name, kwargs, shape = case
    keras_layer, _, _, _ = keras_truth(name, kwargs, shape)
    config = keras_layer.get_config()
    symbols = [dim_symbol(f"S{i}") for i in range(1, len(shape))]
    symbolic = symcnn_record(name, config, (None, *symbols))
    point = {s: d for s, d in zip(symbols, shape[1:]) if d is not None}
    numeric = symcnn_record(name, config, shape)

    def at(value: Any) -> Any:
        return value if value is None else sympy.sympify(value).subs(point)

    assert tuple(at(d) for d in symbolic.output_shape) == tuple(
        None if d is None else sympy.Integer(d) for d in numeric.output_shape)
    for convention in ("torchinfo", "fvcore"):
        assert at(symbolic.macs_by(convention)) == numeric.macs_by(convention)
    assert (at(symbolic.trainable), at(symbolic.non_trainable)) == (numeric.trainable, numeric.non_trainable)


# ---- bad arguments name the argument and the value ------------------------------------------------

@pytest.mark.parametrize(("name", "config", "error", "mentions"), [
    ("ZeroPadding2D", {"padding": [1, 2, 3]}, ArgumentError, "padding"),
    ("ZeroPadding2D", {"padding": -1}, ArgumentError, "-1"),
    ("Cropping2D", {"cropping": [[1, 2, 3], 1]}, ArgumentError, "cropping"),
    ("UpSampling1D", {"size": [2, 2]}, ArgumentError, "size"),
    ("Permute", {"dims": [1, 1]}, ArgumentError, "dims"),
    ("Permute", {"dims": None}, ArgumentError, "dims"),
    ("RepeatVector", {"n": 0}, ArgumentError, "n"),
    ("BatchNormalization", {"axis": "last"}, ArgumentError, "axis"),
    ("BatchNormalization", {"center": "yes"}, ArgumentError, "center"),
    ("LayerNormalization", {"axis": [1.5]}, ArgumentError, "axis"),
    ("GroupNormalization", {"groups": 0}, ArgumentError, "groups"),
    ("Normalization", {"mean": 1.0}, ArgumentError, "variance"),
    ("Rescaling", {"scale": "big"}, ArgumentError, "scale"),
    ("Resizing", {"height": 4, "width": 4, "interpolation": "magic"}, ArgumentError, "interpolation"),
    ("Resizing", {"height": 0, "width": 4}, ArgumentError, "height"),
    ("CenterCrop", {"height": 4}, ArgumentError, "width"),
    ("Embedding", {"input_dim": -3, "output_dim": 4}, ArgumentError, "input_dim"),
    ("LSTM", {"units": 0}, ArgumentError, "units"),
    ("GRU", {"units": 4, "reset_after": "sometimes"}, ArgumentError, "reset_after"),
    ("SimpleRNN", {"units": 4, "return_sequences": 1}, ArgumentError, "return_sequences"),
    ("Bidirectional", {"layer": {"class_name": "NoSuchLayer", "config": {}}}, UnknownLayerError, "NoSuchLayer"),
    ("Bidirectional", {"layer": {"class_name": "Dense", "config": {"units": 3}}}, ArgumentError, "Dense"),
    ("TimeDistributed", {"layer": "Dense"}, ArgumentError, "layer"),
    ("LayerScale", {"init_values": 0.1, "projection_dim": -4}, ArgumentError, "projection_dim"),
    ("CustomScaleLayer", {"scale": None}, ArgumentError, "scale"),
])
def test_bad_arguments_are_argument_errors_naming_the_value(
    name: str, config: dict[str, Any], error: type[Exception], mentions: str
) -> None:
    with pytest.raises(error, match=mentions):
        Layer.registry[name].from_config(config)


@pytest.mark.parametrize(("name", "config", "shape"), [
    ("SimpleRNN", {"units": 3}, (None, 5)),
    ("LSTM", {"units": 3}, (None, 5, 4, 2)),
    ("ZeroPadding2D", {"padding": 1}, (None, 5, 4)),
    ("UpSampling1D", {"size": 2}, (None, 5, 4, 3)),
    ("RepeatVector", {"n": 2}, (None, 5, 4)),
    ("Permute", {"dims": [2, 1]}, (None, 5, 4, 3)),
    ("Resizing", {"height": 3, "width": 3}, (None, 5, 4)),
    ("BatchNormalization", {"axis": 3}, (None, 5, 4)),
    ("BatchNormalization", {"axis": 0}, (None, 5, 4)),
    ("LayerNormalization", {"axis": [1, 5]}, (None, 5, 4)),
    ("TimeDistributed", {"layer": {"class_name": "Dense", "config": {"units": 3}}}, (None, 5)),
])
def test_inputs_of_the_wrong_rank_are_shape_errors(name: str, config: dict[str, Any], shape: Shape) -> None:
    with pytest.raises(ShapeError):
        symcnn_record(name, config, shape)


# ---- whole models through the Keras reader: nested configs, wrappers and cells as Keras writes them ---

def _reader_models() -> list[Any]:
    from keras import layers

    seq = keras.Input((12,), dtype="int32")
    x = layers.Embedding(200, 16)(seq)
    x = layers.Bidirectional(layers.LSTM(8, return_sequences=True))(x)
    x = layers.TimeDistributed(layers.Dense(6))(x)
    x = layers.RNN([layers.GRUCell(5), layers.SimpleRNNCell(4)], return_sequences=True)(x)
    x = layers.LayerNormalization()(x)
    x = layers.GRU(3, reset_after=False)(x)
    text = keras.Model(seq, layers.RepeatVector(2)(x), name="text")

    frames = keras.Input((4, 16, 16, 3))
    y = layers.TimeDistributed(layers.Conv2D(4, 3, strides=2))(frames)
    y = layers.ConvLSTM2D(5, 3, padding="same", return_sequences=True)(y)
    y = layers.TimeDistributed(layers.BatchNormalization())(y)
    y = layers.ConvLSTM2D(2, 3)(y)
    y = layers.UpSampling2D(2)(y)
    y = layers.ZeroPadding2D(((1, 0), (0, 2)))(y)
    y = layers.Cropping2D((1, 2))(y)
    video = keras.Model(frames, layers.SpectralNormalization(layers.Conv2D(3, 1))(y), name="video")

    image = keras.Input((40, 30, 3))
    z = layers.Rescaling(1 / 255.0)(image)
    z = layers.Normalization(mean=[0.5, 0.5, 0.5], variance=[0.2, 0.2, 0.2])(z)
    z = layers.Resizing(24, 24)(z)
    z = layers.RandomCrop(20, 20)(z)
    z = layers.Conv2D(8, 3)(z)
    z = layers.GroupNormalization(4)(z)
    z = layers.BatchNormalization(center=False)(z)
    z = layers.Permute((3, 1, 2))(z)
    z = layers.UnitNormalization()(z)
    images = keras.Model(image, layers.CenterCrop(6, 6, data_format="channels_first")(z), name="images")
    return [text, video, images]


@pytest.mark.parametrize("index", range(3))
def test_models_read_through_the_keras_reader_match_keras_layer_by_layer(index: int) -> None:
    from truth.keras_truth import keras_truth as model_truth

    from symcnn.io.keras import model_from_keras_json

    kmodel = _reader_models()[index]
    truth = model_truth(kmodel)
    ours = model_from_keras_json(truth["json"], kmodel.name)
    by_name = {r.name: r for r in ours.records}
    for row in truth["layers"]:
        record = by_name[row["name"]]
        assert list(record.output_shape) == row["output_shape"], row["name"]
        assert (int(record.trainable), int(record.non_trainable)) == (row["trainable"], row["non_trainable"]), row["name"]
    assert (int(ours.trainable_params), int(ours.non_trainable_params)) == (
        truth["trainable_params"], truth["non_trainable_params"])


# ---- tf.keras 1.x cuDNN layers (not in Keras 3): counts derived from Keras 3's own LSTM/GRU -----------

@pytest.mark.parametrize(("name", "keras_name", "kwargs", "extra_bias_per_unit"), [
    ("CuDNNLSTM", "LSTM", {}, 4),  # cuDNN keeps a second (recurrent) bias of 4U
    ("CuDNNGRU", "GRU", {"reset_after": True}, 0),  # the same two 3U biases as reset_after=True
])
def test_cudnn_layers_count_keras_rnn_plus_cudnns_second_bias(
    name: str, keras_name: str, kwargs: dict[str, Any], extra_bias_per_unit: int
) -> None:
    units, shape = 6, (None, 9, 4)
    _, keras_shape, trainable, _ = keras_truth(keras_name, {"units": units, **kwargs}, shape)
    config = {"units": units, "return_sequences": False, "return_state": False, "stateful": False, "go_backwards": False}
    record = symcnn_record(name, config, shape)
    assert record.output_shape == keras_shape
    assert int(record.trainable) == trainable + extra_bias_per_unit * units


@st.composite
def reshaping_cases(draw: st.DrawFn) -> tuple[str, dict[str, Any], Shape]:
    name = draw(st.sampled_from(["ZeroPadding2D", "Cropping2D", "UpSampling2D", "ConvLSTM1D", "GroupNormalization"]))
    side = st.integers(0, 6)
    channels_first = draw(st.booleans())
    h, w, c = draw(st.integers(1, 12)), draw(st.integers(1, 12)), draw(st.integers(1, 8))
    kwargs: dict[str, Any]
    if name in ("ZeroPadding2D", "Cropping2D"):
        form = draw(st.sampled_from(["int", "pair", "pairs"]))
        value: Any = draw(side) if form == "int" else (draw(side), draw(side)) if form == "pair" else (
            (draw(side), draw(side)), (draw(side), draw(side)))
        kwargs = {"padding" if name == "ZeroPadding2D" else "cropping": value}
    elif name == "UpSampling2D":
        kwargs = {"size": (draw(st.integers(1, 4)), draw(st.integers(1, 4)))}
    elif name == "ConvLSTM1D":
        kwargs = {"filters": draw(st.integers(1, 4)), "kernel_size": draw(st.integers(1, 5)),
                  "strides": draw(st.integers(1, 3)), "padding": draw(st.sampled_from(["valid", "same"])),
                  "return_sequences": draw(st.booleans())}
        shape: Shape = (None, draw(st.integers(1, 4)), c, h) if channels_first else (None, draw(st.integers(1, 4)), h, c)
        return name, {**kwargs, "data_format": "channels_first" if channels_first else "channels_last"}, shape
    else:
        kwargs = {"groups": draw(st.sampled_from([-1, 1, 2, 3, 4, 8])), "axis": 1 if channels_first else -1}
        return name, kwargs, ((None, c, h, w) if channels_first else (None, h, w, c))
    kwargs["data_format"] = "channels_first" if channels_first else "channels_last"
    return name, kwargs, ((None, c, h, w) if channels_first else (None, h, w, c))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reshaping_cases())
def test_random_padding_cropping_upsampling_convlstm_groupnorm_agree_with_keras(
    case: tuple[str, dict[str, Any], Shape],
) -> None:
    name, kwargs, shape = case
    try:
        keras_layer, keras_shape, trainable, non_trainable = keras_truth(name, kwargs, shape)
        keras_refused = min(d for d in keras_shape if d is not None) < 1
    except (ValueError, TypeError):
        keras_layer, keras_refused = None, True
    config = keras_layer.get_config() if keras_layer is not None else json.loads(json.dumps(kwargs))
    try:
        record = symcnn_record(name, config, shape)
        symcnn_refused = False
    except (ArgumentError, ShapeError):
        symcnn_refused = True
    assert symcnn_refused == keras_refused, (name, kwargs, shape)
    if not keras_refused:
        assert record.output_shape == keras_shape
        assert (int(record.trainable), int(record.non_trainable)) == (trainable, non_trainable)


# ---- hostile settings: whatever a config holds, only symcnn's own errors come out ----------------------

_MINE = ("norm", "recurrent", "reshape", "embedding", "keras_ops", "applications", "attention", "einsum", "merge")
_MY_CLASSES = sorted(
    k for k, c in Layer.registry.items() if c.__module__.removeprefix("symcnn.layers.").split(".")[0] in _MINE
)
_ODD_VALUES = st.sampled_from([
    None, True, 0, -1, 1, 3, 2.5, "x", "", "2*F", [], [1], [1, 2], [[1, 2], [3]], [[1, 2], [3, 4]], (1, 2, 3),
    [None], [-1, 4], "same", "channels_first", {"a": 1}, {"class_name": "LSTM", "config": {"units": 2}},
    {"class_name": "Dense", "config": "x"}, {"class_name": "StackedRNNCells", "config": {"cells": []}},
])
_SHAPES = st.sampled_from([(None, 5), (None, 5, 4), (None, 5, 4, 3), (None, 6, 5, 4, 3), (2, 3, 6, 5, 4, 3),
                           (None, None, 3), (None, 4, None, 3)])


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_MY_CLASSES), st.data())
def test_odd_settings_raise_only_symcnn_errors(name: str, data: st.DataObject) -> None:
    from symcnn.layers.base import accepted_arguments

    cls = Layer.registry[name]
    args = sorted(accepted_arguments(cls) - {"name", "trainable", "input_shape", "batch_input_shape", "batch_shape"})
    keys = data.draw(st.lists(st.sampled_from(args), max_size=3, unique=True)) if args else []
    config = {k: data.draw(_ODD_VALUES) for k in keys}
    inputs = data.draw(st.lists(_SHAPES, min_size=1, max_size=2))
    try:
        layer = cls.from_config(config)
        output = layer.output_shape(inputs)
        layer.weights(inputs)
        for convention in ("torchinfo", "fvcore"):
            layer.macs(inputs, output, convention)
    except SymcnnError:
        pass


def test_yaml_wrappers_and_cells_take_the_short_class_form(tmp_path: Any) -> None:
    from symcnn.io import load

    path = tmp_path / "short.yaml"
    path.write_text(
        "name: short\ninput: [9, 3]\nlayers:\n"
        "  - Bidirectional: {layer: {LSTM: {units: 4, return_sequences: true}}}\n"
        "  - TimeDistributed: {layer: {Dense: {units: 5}}}\n"
        "  - RNN: {cell: [{GRUCell: {units: 2}}, {SimpleRNNCell: {units: 3}}]}\n"
    )
    ours = load(str(path))
    x = keras.Input((9, 3))
    y = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True))(x)
    y = keras.layers.TimeDistributed(keras.layers.Dense(5))(y)
    y = keras.layers.RNN([keras.layers.GRUCell(2), keras.layers.SimpleRNNCell(3)])(y)
    theirs = keras.Model(x, y)
    assert [tuple(s) for s in ours.output_shapes] == [tuple(y.shape)]
    assert int(ours.total_params) == theirs.count_params()


# ---- tf.keras 2 configurations of these layers (keys as tf.keras 2.x writes them) -----------------------

def _tf_keras_json() -> str:
    init = {"class_name": "GlorotUniform", "config": {"seed": None}}
    rnn_common = {"trainable": True, "dtype": "float32", "return_state": False, "go_backwards": False,
                  "stateful": False, "unroll": False, "time_major": False, "activation": "tanh",
                  "recurrent_activation": "sigmoid", "use_bias": True, "kernel_initializer": init,
                  "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": None}},
                  "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None,
                  "recurrent_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
                  "kernel_constraint": None, "recurrent_constraint": None, "bias_constraint": None,
                  "dropout": 0.0, "recurrent_dropout": 0.0, "implementation": 2}
    layers = [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 20], "dtype": "int32", "sparse": False,
                                                 "ragged": False, "name": "tokens"}},
        {"class_name": "Embedding", "config": {"name": "embedding", "trainable": True, "batch_input_shape": [None, 20],
                                               "dtype": "float32", "input_dim": 500, "output_dim": 16,
                                               "embeddings_initializer": init, "embeddings_regularizer": None,
                                               "activity_regularizer": None, "embeddings_constraint": None,
                                               "mask_zero": True, "input_length": 20}},
        {"class_name": "Bidirectional", "config": {"name": "bidirectional", "trainable": True, "dtype": "float32",
                                                   "merge_mode": "concat", "layer": {"class_name": "LSTM", "config": {
                                                       "name": "lstm", "return_sequences": True, "units": 8,
                                                       "unit_forget_bias": True, **rnn_common}}}},
        {"class_name": "BatchNormalization", "config": {"name": "batch_normalization", "trainable": True,
                                                        "dtype": "float32", "axis": [2], "momentum": 0.99,
                                                        "epsilon": 0.001, "center": True, "scale": True,
                                                        "beta_initializer": {"class_name": "Zeros", "config": {}},
                                                        "gamma_initializer": {"class_name": "Ones", "config": {}},
                                                        "moving_mean_initializer": {"class_name": "Zeros", "config": {}},
                                                        "moving_variance_initializer": {"class_name": "Ones", "config": {}},
                                                        "beta_regularizer": None, "gamma_regularizer": None,
                                                        "beta_constraint": None, "gamma_constraint": None}},
        {"class_name": "GRU", "config": {"name": "gru", "return_sequences": False, "units": 6, "reset_after": True,
                                         **rnn_common}},
        {"class_name": "RepeatVector", "config": {"name": "repeat_vector", "trainable": True, "dtype": "float32", "n": 3}},
        {"class_name": "TimeDistributed", "config": {"name": "time_distributed", "trainable": True, "dtype": "float32",
                                                     "layer": {"class_name": "Dense", "config": {
                                                         "name": "dense", "trainable": True, "dtype": "float32",
                                                         "units": 2, "activation": "linear", "use_bias": True,
                                                         "kernel_initializer": init, "bias_initializer": None,
                                                         "kernel_regularizer": None, "bias_regularizer": None,
                                                         "activity_regularizer": None, "kernel_constraint": None,
                                                         "bias_constraint": None}}}},
    ]
    return json.dumps({"class_name": "Sequential", "config": {"name": "tf_text", "layers": layers},
                       "keras_version": "2.15.0", "backend": "tensorflow"})


def test_tf_keras_2_configs_read_to_what_keras_3_builds() -> None:
    from truth.keras_truth import keras_truth as model_truth

    from symcnn.io.keras import model_from_keras_json

    ours = model_from_keras_json(_tf_keras_json(), "tf_text.json")
    layers = keras.layers
    theirs = keras.Sequential([
        keras.Input((20,), dtype="int32"), layers.Embedding(500, 16),
        layers.Bidirectional(layers.LSTM(8, return_sequences=True)), layers.BatchNormalization(axis=2),
        layers.GRU(6), layers.RepeatVector(3), layers.TimeDistributed(layers.Dense(2)),
    ])
    truth = model_truth(theirs)
    assert [list(r.output_shape) for r in ours.records] == [row["output_shape"] for row in truth["layers"]]
    assert (int(ours.trainable_params), int(ours.non_trainable_params)) == (
        truth["trainable_params"], truth["non_trainable_params"])
