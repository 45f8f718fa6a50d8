"""The code on each page runs in Keras / PyTorch and counts what symcnn counts.

Each model's generated code is executed with Keras itself (KERAS_BACKEND=torch) or with
torch + torchinfo, and every layer's output shape and parameter counts, and the totals
(and torchinfo's MACs), are compared with symcnn's. Layers without a checked translation
give no code and say why.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
from pathlib import Path
from typing import Any

import pytest

from symcnn import Sequential, load
from symcnn import layers as L
from symcnn.io.yaml_reader import model_from_yaml
from symcnn.model import Model
from symcnn.render.code import model_code
from symcnn.render.code_keras import TABLE
from symcnn.render.code_torch import CALLS, MODULES
from symcnn.render.sizes import start_values

os.environ.setdefault("KERAS_BACKEND", "torch")
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
GALLERY = ["seed", "seed_symbolic", "lenet5", "alexnet", "vgg16", "resnet50", "mobilenetv2"]
R = L.registry


def _run(code: str) -> dict[str, Any]:
    space: dict[str, Any] = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, "<generated>", "exec"), space)  # noqa: S102  (code symcnn generated, in a test)
    return space


def _numeric(model: Model) -> Model:
    values = start_values(model)
    assert values is not None
    return model.subs(values) if values else model


def _size(weights: Any) -> int:
    return sum(math.prod(int(d) for d in w.shape) for w in weights)


def _keras_agrees(model: Model) -> set[str]:
    """Build the generated code with Keras; compare every layer. Returns the Keras classes met."""
    listing = model_code(model)
    assert listing.ok, listing.problems
    built = _run(listing.code)["model"]
    numeric = _numeric(model)
    met = set()
    for rec in numeric.records:
        if rec.type == "InputLayer":
            continue
        layer = built.get_layer(rec.name)
        met.add(type(layer).__name__)
        got_shape = tuple(layer.output.shape) if not isinstance(layer.output, list) else None
        assert got_shape == tuple(rec.output_shape), (rec.name, got_shape, rec.output_shape)
        if rec.shared_with is None:
            assert _size(layer.trainable_weights) == rec.trainable, rec.name
            assert _size(layer.non_trainable_weights) == rec.non_trainable, rec.name
    assert built.count_params() == numeric.total_params
    return met


def _yaml(text: str) -> Model:
    return model_from_yaml(text)


KERAS_MODELS = {
    "conv 2d, strides, groups, dilation, channels first": lambda: Sequential([
        L.Input((9, 11, 4)),
        R["Conv2D"](8, 3, strides=2, padding="same", use_bias=False),
        R["Conv2D"](8, (3, 1), dilation_rate=2, groups=2),
        R["Conv2D"](6, 2, data_format="channels_first"),
        R["MaxPooling2D"](2, strides=1, padding="same", data_format="channels_first"),
        R["AveragePooling2D"]((2, 3)),
        R["GlobalMaxPooling2D"](keepdims=True),
    ]),
    "one dimension": lambda: Sequential([
        L.Input((20, 3)),
        R["Conv1D"](4, 3, padding="causal"),
        R["DepthwiseConv1D"](3, depth_multiplier=2),
        R["SeparableConv1D"](5, 2, strides=2),
        R["Conv1DTranspose"](4, 3, strides=2),
        R["ZeroPadding1D"]((1, 2)),
        R["Cropping1D"]((2, 1)),
        R["UpSampling1D"](3),
        R["MaxPooling1D"](2),
        R["AveragePooling1D"](3, strides=2, padding="same"),
        R["GlobalAveragePooling1D"](),
    ]),
    "three dimensions": lambda: Sequential([
        L.Input((6, 7, 8, 2)),
        R["Conv3D"](3, 2),
        R["Conv3DTranspose"](2, 3, strides=2, output_padding=1),
        R["ZeroPadding3D"](1),
        R["Cropping3D"](((1, 0), (0, 1), (1, 1))),
        R["UpSampling3D"]((1, 2, 1)),
        R["MaxPooling3D"](2),
        R["AveragePooling3D"](1),
        R["SpatialDropout3D"](0.2),
        R["GlobalMaxPooling3D"](),
    ]),
    "global pooling and ConvLSTM3D": lambda: _yaml("""
name: pools
input: [2, 4, 4, 4, 2]
layers:
  - ConvLSTM3D: {filters: 2, kernel_size: 2, return_sequences: true, name: c3}
  - TimeDistributed: {layer: {GlobalAveragePooling3D: {}}}
  - GlobalMaxPooling1D: {}
  - Reshape: {target_shape: [1, 2]}
  - GlobalAveragePooling1D: {keepdims: true}
  - Reshape: {target_shape: [1, 1, 2]}
  - GlobalAveragePooling2D: {}
"""),
    "depthwise, separable, transposed, padding, normalisation": lambda: Sequential([
        L.Input((16, 16, 4)),
        R["DepthwiseConv2D"](3, depth_multiplier=2, padding="same"),
        R["SeparableConv2D"](8, 3, depth_multiplier=2, use_bias=False),
        R["Conv2DTranspose"](6, 3, strides=2, output_padding=1),
        R["ZeroPadding2D"](((0, 1), (2, 3))),
        R["Cropping2D"](((1, 1), (2, 0))),
        R["UpSampling2D"]((2, 1)),
        R["BatchNormalization"](),
        R["BatchNormalization"](center=False, scale=False),
        R["LayerNormalization"](axis=[1, 2, 3]),
        R["LayerNormalization"](rms_scaling=True),
        R["GroupNormalization"](groups=3),
        R["RMSNormalization"](),
        R["UnitNormalization"](),
        R["PReLU"](shared_axes=[1, 2]),
        R["Resizing"](10, 12),
        R["CenterCrop"](8, 6),
        R["SpatialDropout2D"](0.1),
        R["GaussianNoise"](0.1),
        R["GaussianDropout"](0.1),
        R["Dropout"](0.3),
        R["Activation"](activation="relu"),
        R["ReLU"](), R["LeakyReLU"](), R["ELU"](), R["Softmax"](), R["Identity"](), R["RandomFlip"](),
        R["ActivityRegularization"](),
        R["Flatten"](),
        R["Dense"](12, use_bias=False),
        R["Reshape"]((3, 4)),
        R["Permute"]((2, 1)),
        R["Flatten"](),
        R["RepeatVector"](2),
        R["Masking"](),
        R["AlphaDropout"](0.1),
        R["SpatialDropout1D"](0.1),
    ]),
    "preprocessing": lambda: Sequential([
        L.Input((9, 9, 3)),
        R["Rescaling"](1 / 255),
        R["Rescaling"](2.0, offset=-1.0),
        R["Normalization"](),
        R["Normalization"](axis=None),
        R["Normalization"](axis=[1, 3]),
        R["Normalization"](mean=0.5, variance=0.25),
        R["Conv2D"](2, 3),
    ]),
    "recurrent and wrappers": lambda: Sequential([
        L.Input((7,)),
        R["Embedding"](50, 6),
        R["SimpleRNN"](5, return_sequences=True),
        R["LSTM"](4, return_sequences=True, use_bias=False),
        R["GRU"](3, return_sequences=True, reset_after=False),
        R["GRU"](3, return_sequences=True),
        R["Bidirectional"](R["LSTM"](2, return_sequences=True), merge_mode="sum"),
        R["Bidirectional"](R["GRU"](2, return_sequences=True), backward_layer=R["GRU"](2, return_sequences=True, go_backwards=True)),
        R["TimeDistributed"](R["Dense"](3)),
        R["RNN"]([{"LSTMCell": {"units": 3}}, {"GRUCell": {"units": 2}}], return_sequences=True),
        R["RNN"]({"SimpleRNNCell": {"units": 4}}),
    ]),
    "convolutional LSTM": lambda: Sequential([
        L.Input((3, 8, 8, 2)),
        R["ConvLSTM2D"](4, 3, padding="same", return_sequences=True),
        R["ConvLSTM2D"](2, 3),
    ]),
    "LoRA, frozen layers, spectral normalisation": lambda: Sequential([
        L.Input((8, 8, 3)),
        R["Conv2D"](4, 3, lora_rank=2),
        R["Conv2D"](4, 3, trainable=False),
        R["Flatten"](),
        R["SpectralNormalization"](R["Dense"](6)),
        R["Dense"](5, lora_rank=2),
    ]),
    "a graph: merges and a shared layer": lambda: _merges(),
    "LoRA embedding, ConvLSTM1D and 3D": lambda: _yaml("""
name: more
input: [5]
layers:
  - Embedding: {input_dim: 20, output_dim: 4, lora_rank: 2}
  - Reshape: {target_shape: [5, 2, 2], name: r1}
  - Reshape: {target_shape: [5, 2, 2, 1], name: r2}
  - ConvLSTM1D: {filters: 2, kernel_size: 2, return_sequences: true, name: c1, inputs: [r1]}
  - ConvLSTM2D: {filters: 2, kernel_size: 1, inputs: [r2]}
"""),
}


def _merges() -> Model:
    from symcnn.model import Model as GraphModel

    a, b = L.Input((4, 6), name="a"), L.Input((4, 6), name="b")
    shared = R["Dense"](6, name="shared")
    x, y = shared(a), shared(b)
    parts = [R[k]()([x, y]) for k in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")]
    joined = R["Concatenate"](axis=1)(parts)
    return GraphModel([a, b], R["Dense"](2)(joined), name="merges")


@pytest.mark.parametrize("name", GALLERY)
def test_gallery_models_rebuilt_by_keras_count_the_same(name: str) -> None:
    _keras_agrees(load(REPO / "examples" / f"{name}.yaml"))


@pytest.mark.parametrize("name", list(KERAS_MODELS))
def test_every_keras_family_rebuilt_by_keras_counts_the_same(name: str) -> None:
    _keras_agrees(KERAS_MODELS[name]())


def test_every_keras_translation_is_exercised() -> None:
    met: set[str] = set()
    for build in KERAS_MODELS.values():
        for rec in build().records:
            met.add(rec.type)
            for attr in ("layer", "forward", "backward"):
                inner = getattr(rec.layer, attr, None)
                if hasattr(inner, "class_name"):
                    met.add(inner.class_name)
    assert set(TABLE) - met == set()


def _torch_agrees(model: Model) -> None:
    import torch
    import torchinfo

    listing = model_code(model)
    assert listing.framework == "PyTorch" and listing.ok, listing.problems
    space = _run(listing.code)
    built = space["model"]
    numeric = _numeric(model)
    shapes: dict[str, tuple[int, ...]] = {}
    names = {code: name for name, code in listing.names.items()}

    def hook(attr: str) -> Any:
        def record(module: Any, args: Any, out: Any) -> None:
            first = out[0] if isinstance(out, tuple) else out
            shapes[names[attr]] = tuple(first.shape)
        return record

    for attr, module in built.named_children():
        module.register_forward_hook(hook(attr))
    inputs = [r.output_shape for r in numeric.records if r.type == "InputLayer"]
    dtypes = [torch.long if "dtypes=[torch.long" in listing.run_hint else torch.float] * len(inputs)
    stats = torchinfo.summary(built, input_size=[tuple(int(d) for d in s) for s in inputs], dtypes=dtypes, verbose=0)
    for rec in numeric.records:
        if rec.name in shapes:
            assert shapes[rec.name] == tuple(rec.output_shape), (rec.name, shapes[rec.name], rec.output_shape)
    assert stats.total_params == numeric.total_params
    assert stats.trainable_params == numeric.trainable_params
    assert stats.total_mult_adds == numeric.macs("torchinfo")
    buffers = sum(b.numel() for b in built.buffers())
    assert buffers == numeric.total_buffers


TORCH_MODELS = {
    "resnet50 (torchvision's)": lambda: load(REPO / "examples" / "resnet50_torch.yaml").subs({"H": 64, "W": 64}),
    "images: convolutions, pooling, normalisation, padding, activations": lambda: _yaml("""
name: images
convention: torch
input: [3, 20, 22]
layers:
  - Conv2d: {in_channels: 3, out_channels: 8, kernel_size: 3, stride: 2, padding: 1}
  - BatchNorm2d: {num_features: 8}
  - ReLU
  - Conv2d: {in_channels: 8, out_channels: 8, kernel_size: [3, 1], padding: same, groups: 4, bias: false, padding_mode: reflect}
  - InstanceNorm2d: {num_features: 8, affine: true}
  - GroupNorm: {num_groups: 2, num_channels: 8}
  - ConvTranspose2d: {in_channels: 8, out_channels: 4, kernel_size: 3, stride: 2, output_padding: 1}
  - MaxPool2d: {kernel_size: 3, stride: 2, padding: 1, ceil_mode: true}
  - AvgPool2d: {kernel_size: 2}
  - ZeroPad2d: {padding: [1, 0, 2, 1]}
  - ConstantPad2d: {padding: 1, value: 0.5}
  - ReflectionPad2d: {padding: 1}
  - ReplicationPad2d: {padding: [0, 1, 1, 0]}
  - PReLU: {num_parameters: 4}
  - Dropout2d
  - GELU
  - SiLU
  - Hardswish
  - Sigmoid
  - Softmax: {dim: 1}
  - AdaptiveAvgPool2d: {output_size: [2, 3]}
  - Flatten
  - Linear: {in_features: 24, out_features: 10}
  - LeakyReLU
  - Dropout: {p: 0.2}
  - Linear: {in_features: 10, out_features: 3, bias: false}
"""),
    "one and three dimensions": lambda: _yaml("""
name: signals
convention: torch
input: [2, 4, 6, 30]
layers:
  - Conv3d: {in_channels: 2, out_channels: 3, kernel_size: 2}
  - BatchNorm3d: {num_features: 3, affine: false}
  - MaxPool3d: {kernel_size: [1, 2, 2]}
  - AvgPool3d: {kernel_size: 1}
  - ConvTranspose3d: {in_channels: 3, out_channels: 2, kernel_size: 2}
  - AdaptiveMaxPool3d: {output_size: 2}
  - Flatten: {start_dim: 2}
  - Conv1d: {in_channels: 2, out_channels: 4, kernel_size: 3, padding: 1, dilation: 2}
  - BatchNorm1d: {num_features: 4}
  - ConvTranspose1d: {in_channels: 4, out_channels: 2, kernel_size: 2, stride: 2}
  - MaxPool1d: {kernel_size: 2}
  - AvgPool1d: {kernel_size: 2, stride: 1}
  - AdaptiveAvgPool1d: {output_size: 3}
  - ZeroPad1d: {padding: 1}
  - LayerNorm: {normalized_shape: [5]}
  - Tanh
"""),
    "a graph: residual add, cat, flatten; recurrent; embedding": lambda: _yaml("""
name: graph
convention: torch
input: [12]
layers:
  - Embedding: {num_embeddings: 30, embedding_dim: 8}
  - LSTM: {input_size: 8, hidden_size: 6, batch_first: true, bidirectional: true, name: lstm}
  - GRU: {input_size: 12, hidden_size: 4, batch_first: true, num_layers: 2, name: gru}
  - RNN: {input_size: 4, hidden_size: 4, batch_first: true, name: rnn}
  - add: {inputs: [gru, rnn], name: plus}
  - cat: {dim: 2, inputs: [plus, gru]}
  - flatten: {start_dim: 1}
  - Linear: {in_features: 96, out_features: 2}
"""),
}


@pytest.mark.parametrize("name", list(TORCH_MODELS))
def test_torch_models_rebuilt_by_torch_count_what_torchinfo_counts(name: str) -> None:
    _torch_agrees(TORCH_MODELS[name]())


def test_every_torch_translation_is_exercised() -> None:
    met = {r.type for build in TORCH_MODELS.values() for r in build().records}
    untested = set(MODULES) - met - {f"{k}{n}d" for k in ("ReflectionPad", "ReplicationPad", "CircularPad", "ZeroPad",
                                                         "ConstantPad", "InstanceNorm", "AdaptiveMaxPool",
                                                         "AdaptiveAvgPool", "Conv", "ConvTranspose", "MaxPool",
                                                         "AvgPool", "BatchNorm") for n in (1, 2, 3)}
    untested -= {"Identity", "Dropout1d", "Dropout3d", "AlphaDropout", "ReLU6", "Hardsigmoid", "Hardtanh", "ELU",
                 "SELU", "CELU", "Mish", "Softplus", "Softsign", "Tanhshrink", "LogSigmoid", "LogSoftmax"}
    assert untested == set(), sorted(untested)
    assert set(CALLS) - met <= {"sub", "mul"}


@pytest.mark.parametrize(("yaml_text", "layer", "reason"), [
    ("name: m\ninput: [4, 3]\nlayers:\n  - CuDNNLSTM: {units: 2}\n", "cu_dnnlstm", "no checked translation"),
    ("name: m\nconvention: torch\ninput: [3, 8, 8]\nlayers:\n  - PixelShuffle: {upscale_factor: 1}\n",
     "pixelshuffle", "no checked translation"),
])
def test_a_layer_without_a_checked_translation_gives_no_code_and_says_which(yaml_text: str, layer: str, reason: str) -> None:
    listing = model_code(_yaml(yaml_text))
    assert listing.code == ""
    assert len(listing.problems) == 1 and reason in listing.problems[0]
    assert f"'{layer}'" in listing.problems[0].lower().replace("_", "") or layer in listing.problems[0].lower()


def test_symbolic_sizes_become_variables_at_the_defaults() -> None:
    code = model_code(load(REPO / "examples" / "seed_symbolic.yaml")).code
    assert "F = 64" in code and "H = 64" in code and "keras.Input(shape=(H, W, C)" in code
    assert "layers.Conv2D(filters=F, kernel_size=3" in code


def test_layer_names_that_are_not_identifiers_are_quoted_and_sanitised() -> None:
    model = _yaml("name: m\ninput: [4]\nlayers:\n  - Dense: {units: 2, name: \"it's a \\\"layer\\\"\"}\n"
                  "  - Dense: {units: 2, name: \"class\"}\n")
    listing = model_code(model)
    assert listing.ok
    built = _run(listing.code)["model"]
    assert [layer.name for layer in built.layers] == ["it's a \"layer\"", "class"]


def test_sizes_written_as_formulas_and_a_fixed_batch_are_kept() -> None:
    model = _yaml("""
name: formulas
input: [H, W, C]
batch: 8
symbols: {H: 20, W: 18, C: 3, F: 4}
layers:
  - Conv2D: {filters: 2*F, kernel_size: 3}
  - Conv2D: {filters: F + 1, kernel_size: 3, strides: 2}
  - Flatten
  - Dense: {units: F*F}
""")
    code = model_code(model).code
    assert "filters=2*F" in code and "filters=F + 1" in code and "units=F**2" in code and "batch_size=8" in code
    _keras_agrees(model)


def test_a_layer_with_several_outputs_gives_no_code_and_says_so() -> None:
    x = L.Input((5, 3))
    sequence, state, _ = R["LSTM"](4, return_state=True)(x)
    listing = model_code(Model(x, [sequence, state]))
    assert listing.code == ""
    assert listing.problems == ("layer 'lstm' (LSTM): it gives several outputs, which this code does not write",)


@pytest.mark.parametrize("name", ["EfficientNetB0", "Xception", "InceptionV3", "DenseNet121", "ResNet50V2", "MobileNet"])
def test_keras_applications_read_from_their_json_rebuild_with_the_same_counts(name: str) -> None:
    """keras.applications' own graphs (their .json, as symcnn reads it) as code: Keras rebuilds every layer alike."""
    from truth.keras_truth import applications_truth

    from symcnn.io.keras import model_from_keras_json

    _keras_agrees(model_from_keras_json(applications_truth(name)["json"], f"{name}.json"))


def test_a_torch_module_read_by_symcnn_is_written_back_and_counts_the_same() -> None:
    import torch
    from torch import nn

    import symcnn

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(8)
            self.relu = nn.ReLU()
            self.conv2 = nn.Conv2d(8, 8, 3, stride=2, padding=1)
            self.short = nn.Conv2d(3, 8, 1, stride=2)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(8, 5)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = self.relu(self.bn1(self.conv1(x)))
            y = self.conv2(y) + self.short(x)
            return self.fc(torch.flatten(self.pool(y), 1))

    model = symcnn.from_torch(Block(), (1, 3, 17, 15))
    assert "def forward(self, x):" in model_code(model).code
    _torch_agrees(model)
