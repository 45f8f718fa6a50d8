"""Small models, one or more per layer family, for the page tests (worked steps, read-back, layout).

Each is YAML data: ``FAMILIES[name] = (input, convention, layers)``; :func:`family_model` loads one.
Between them they use every layer family symcnn has (convolutions of each rank and kind, pooling,
dense, embedding, recurrent cells and their wrappers, normalizations, reshaping, merges,
preprocessing, activations, and the PyTorch convention's modules), with valid, 'same', 'causal' and
explicit padding, strides, dilations, transposed convolutions with and without output padding, and
``use_bias=False``.
"""

from __future__ import annotations

from typing import Any

import yaml

FAMILIES: dict[str, tuple[list[Any], str, list[Any]]] = {
    "conv2d": ([15, 15, 3], "keras", [
        {"Conv2D": {"filters": 8, "kernel_size": 3, "strides": 2, "padding": "same"}},
        {"Conv2D": {"filters": 4, "kernel_size": [5, 3], "strides": [2, 1]}},
        {"Conv2D": {"filters": 4, "kernel_size": 3, "dilation_rate": 2, "use_bias": False, "padding": "same"}},
        {"BatchNormalization": {}},
        {"DepthwiseConv2D": {"kernel_size": 3, "depth_multiplier": 2, "padding": "same"}},
        {"SeparableConv2D": {"filters": 6, "kernel_size": 3, "padding": "same"}},
        {"Conv2D": {"filters": 4, "kernel_size": 1, "groups": 2}},
    ]),
    "transposed": ([7, 7, 2], "keras", [
        {"Conv2DTranspose": {"filters": 3, "kernel_size": 3, "strides": 2}},
        {"Conv2DTranspose": {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}},
        {"Conv2DTranspose": {"filters": 2, "kernel_size": 4, "strides": 2, "padding": "same", "output_padding": 1}},
        {"Conv2DTranspose": {"filters": 2, "kernel_size": 1, "strides": 2}},
        {"Conv2DTranspose": {"filters": 2, "kernel_size": 3, "dilation_rate": 2}},
    ]),
    "conv3d": ([16, 16, 16, 3], "keras", [
        {"Conv3D": {"filters": 4, "kernel_size": 3, "strides": 2}},
        {"MaxPooling3D": {"pool_size": 2}},
        {"Conv3DTranspose": {"filters": 2, "kernel_size": 2, "strides": 2}},
        {"AveragePooling3D": {"pool_size": 2, "padding": "same"}},
        {"GlobalAveragePooling3D": {}},
    ]),
    "pooling": ([11, 11, 3], "keras", [
        {"MaxPooling2D": {"pool_size": 3, "strides": 2, "padding": "same"}},
        {"AveragePooling2D": {"pool_size": 2}},
        {"ZeroPadding2D": {"padding": [[1, 0], [2, 3]]}},
        {"Cropping2D": {"cropping": [[1, 2], [0, 1]]}},
        {"UpSampling2D": {"size": 2}},
        {"GlobalMaxPooling2D": {}},
    ]),
    "resize": ([8, 8, 3], "keras", [{"UpSampling2D": {"size": 2}}, {"Cropping2D": {"cropping": [[1, 2], [0, 1]]}},
                                    {"ZeroPadding2D": {"padding": [[1, 0], [2, 3]]}}, {"Permute": {"dims": [2, 1, 3]}},
                                    {"Reshape": {"target_shape": [-1, 3]}}, {"Flatten": {}}]),
    "recurrent": ([10, 8], "keras", [{"LSTM": {"units": 16, "return_sequences": True}},
                                     {"GRU": {"units": 8, "return_sequences": True}},
                                     {"GRU": {"units": 6, "reset_after": False, "return_sequences": True}},
                                     {"SimpleRNN": {"units": 4, "return_sequences": True}},
                                     {"Bidirectional": {"layer": {"LSTM": {"units": 3}}}},
                                     {"RepeatVector": {"n": 3}},
                                     {"TimeDistributed": {"layer": {"Dense": {"units": 2}}}}]),
    "sequence": ([12], "keras", [{"Embedding": {"input_dim": 100, "output_dim": 8}},
                                 {"Conv1D": {"filters": 4, "kernel_size": 3, "padding": "causal", "dilation_rate": 2}},
                                 {"Conv1D": {"filters": 4, "kernel_size": 3, "strides": 2}},
                                 {"SeparableConv1D": {"filters": 5, "kernel_size": 2}},
                                 {"DepthwiseConv1D": {"kernel_size": 2}},
                                 {"MaxPooling1D": {"pool_size": 2}},
                                 {"UpSampling1D": {"size": 2}},
                                 {"ZeroPadding1D": {"padding": 1}},
                                 {"Cropping1D": {"cropping": [1, 0]}},
                                 {"Conv1DTranspose": {"filters": 2, "kernel_size": 3, "strides": 2}},
                                 {"AveragePooling1D": {"pool_size": 2, "padding": "same"}},
                                 {"GlobalMaxPooling1D": {}}]),
    "norms": ([6, 6, 8], "keras", [{"LayerNormalization": {}}, {"GroupNormalization": {"groups": 2}},
                                   {"BatchNormalization": {"center": False}}, {"UnitNormalization": {}},
                                   {"Dropout": {"rate": 0.5}}, {"Activation": {"activation": "relu"}},
                                   {"ReLU": {}}, {"LeakyReLU": {}}, {"Reshape": {"target_shape": [36, 8]}},
                                   {"Dense": {"units": 3}}, {"Dense": {"units": 2, "use_bias": False}},
                                   {"Softmax": {}}]),
    "merge": ([8, 8, 4], "keras", [
        {"Conv2D": {"filters": 4, "kernel_size": 1, "name": "a"}},
        {"Conv2D": {"filters": 4, "kernel_size": 3, "padding": "same", "name": "b", "inputs": ["a"]}},
        {"Add": {"inputs": ["a", "b"], "name": "sum"}},
        {"Multiply": {"inputs": ["sum", "b"], "name": "product"}},
        {"Concatenate": {"inputs": ["a", "b", "product"], "name": "joined"}},
        {"Conv2D": {"filters": 2, "kernel_size": 3, "strides": 2, "use_bias": False}},
        {"BatchNormalization": {}}]),
    "attention": ([10, 16], "keras", [
        {"Dense": {"units": 16, "name": "x"}},
        {"MultiHeadAttention": {"num_heads": 4, "key_dim": 8, "inputs": ["x", "x"], "name": "mha"}},
        {"GroupedQueryAttention": {"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2,
                                   "inputs": ["mha", "x"], "name": "gqa"}},
        {"Attention": {"inputs": ["gqa", "x"], "name": "att"}},
        {"EinsumDense": {"equation": "abc,cd->abd", "output_shape": [None, 6], "bias_axes": "d"}}]),
    "dense": ([20], "keras", [{"Dense": {"units": 10}}, {"Dense": {"units": 10}}, {"Dense": {"units": 10}},
                              {"Dense": {"units": 4, "use_bias": False}}, {"BatchNormalization": {}}]),
    "torch": ([3, 32, 32], "torch", [
        {"Conv2d": {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "padding": 1, "stride": 2}},
        {"BatchNorm2d": {"num_features": 8}}, {"ReLU": {}},
        {"MaxPool2d": {"kernel_size": 3, "stride": 2, "ceil_mode": True}},
        {"Conv2d": {"in_channels": 8, "out_channels": 8, "kernel_size": 3, "bias": False, "dilation": 2,
                    "padding": 2}},
        {"ConvTranspose2d": {"in_channels": 8, "out_channels": 4, "kernel_size": 4, "stride": 2, "padding": 1}},
        {"AvgPool2d": {"kernel_size": 2}},
        {"AdaptiveAvgPool2d": {"output_size": 2}},
        {"Flatten": {}}, {"Linear": {"in_features": 16, "out_features": 10}},
        {"LayerNorm": {"normalized_shape": 10}}, {"Dropout": {"p": 0.1}}]),
    "torch_sequence": ([10, 6], "torch", [
        {"LSTM": {"input_size": 6, "hidden_size": 5, "batch_first": True}},
        {"GRU": {"input_size": 5, "hidden_size": 4, "batch_first": True, "bidirectional": True}},
        {"Conv1d": {"in_channels": 10, "out_channels": 4, "kernel_size": 3}},
        {"MaxPool1d": {"kernel_size": 2}}, {"Flatten": {}}]),
    "symbolic": (["H", "W", "C"], "keras", [
        {"Conv2D": {"filters": "F", "kernel_size": 3, "strides": 2, "padding": "same"}},
        {"Conv2DTranspose": {"filters": "F", "kernel_size": 3, "strides": 2, "padding": "same"}},
        {"MaxPooling2D": {"pool_size": 2}},
        {"DepthwiseConv2D": {"kernel_size": 3}},
        {"Flatten": {}}, {"Dense": {"units": "2*F"}}]),
}


def family_yaml(name: str) -> str:
    shape, convention, layers = FAMILIES[name]
    return yaml.safe_dump({"name": name, "input": shape, "convention": convention, "layers": layers,
                           **({"symbols": {"H": 32, "W": 24, "C": 3, "F": 8}} if name == "symbolic" else {})})


def family_model(name: str) -> Any:
    """The model of one family, read by symcnn's YAML reader."""
    from symcnn.io.yaml_reader import model_from_yaml

    return model_from_yaml(family_yaml(name))
