"""Receptive fields against the standard recurrence written here, a published table, and torch's own gradients.

The recurrence (Araujo et al., Distill 2019): r += (k' − 1)·j, start −= p·j, j *= s with k' = d·(k − 1) + 1.
The published table is google-research/receptive_field's RECEPTIVE_FIELD_TABLE.md (TF-slim models: VGG-16
with SAME convolutions and VALID pooling, MobileNet v1 with SAME everywhere), whose "effective padding" is
our −start. The gradients: an output position depends on exactly the input positions where its gradient
is not zero (all weights set to 1, average pooling, no activation, so nothing cancels).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sympy

import symcnn
from symcnn import Model, Sequential
from symcnn import layers as L
from symcnn.analysis.receptive import AxisField, receptive_fields
from symcnn.formulas import same_padding
from symcnn.io.yaml_reader import model_from_yaml

ROOT = Path(__file__).resolve().parent.parent
MOBILENET = ROOT / "tests" / "fixtures" / "analytics" / "mobilenet_v1.yaml"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "symcnn", *args], capture_output=True, text=True, timeout=300, check=False)


def recurrence(layers: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int]]:
    """(kernel, stride, dilation, padding before) per layer → (size, jump, start) after each: the textbook rule."""
    r, j, start, out = 1, 1, 0, []
    for k, s, d, p in layers:
        r += (d * (k - 1) + 1 - 1) * j
        start -= p * j
        j *= s
        out.append((r, j, start))
    return out


CHAINS = [
    # (layers as keras classes with arguments, the same as (kernel, stride, dilation, padding before))
    ([("Conv2D", {"filters": 4, "kernel_size": 3}), ("MaxPooling2D", {"pool_size": 2}), ("Conv2D", {"filters": 4, "kernel_size": 5, "strides": 2})],
     [(3, 1, 1, 0), (2, 2, 1, 0), (5, 2, 1, 0)]),
    ([("Conv2D", {"filters": 4, "kernel_size": 3, "dilation_rate": 2}), ("Conv2D", {"filters": 4, "kernel_size": 3, "dilation_rate": 4}),
      ("AveragePooling2D", {"pool_size": 3, "strides": 2})],
     [(3, 1, 2, 0), (3, 1, 4, 0), (3, 2, 1, 0)]),
    ([("ZeroPadding2D", {"padding": 3}), ("Conv2D", {"filters": 4, "kernel_size": 7, "strides": 2}), ("ZeroPadding2D", {"padding": 1}),
      ("MaxPooling2D", {"pool_size": 3, "strides": 2}), ("Conv2D", {"filters": 4, "kernel_size": 3, "padding": "same"})],
     [(1, 1, 1, 3), (7, 2, 1, 0), (1, 1, 1, 1), (3, 2, 1, 0), (3, 1, 1, 1)]),
    ([("Conv1D", {"filters": 2, "kernel_size": 4, "padding": "causal", "dilation_rate": 3}), ("Conv1D", {"filters": 2, "kernel_size": 2, "strides": 2})],
     [(4, 1, 3, 9), (2, 2, 1, 0)]),
    ([("Cropping2D", {"cropping": 2}), ("Conv2D", {"filters": 4, "kernel_size": 3, "strides": 3})],
     [(1, 1, 1, -2), (3, 3, 1, 0)]),
]


@pytest.mark.parametrize(("layers", "windows"), CHAINS)
def test_chain_fields_follow_the_recurrence(layers: list[Any], windows: list[tuple[int, int, int, int]]) -> None:
    rank = 1 if layers[0][0].endswith("1D") else 2
    model = Sequential([L.Input((64,) * rank + (3,)), *(L.registry[name](**kw) for name, kw in layers)])
    fields = receptive_fields(model)
    expected = recurrence(windows)
    for rec, (r, j, start) in zip(model.records[1:], expected):
        assert fields[rec.name].axes == (AxisField(r, j, start),) * rank, rec.name


# google-research/receptive_field RECEPTIVE_FIELD_TABLE.md: vgg_16 at any resolution, (RF, effective stride, padding)
VGG16_PUBLISHED = {
    "block1_conv1": (3, 1, 1), "block1_pool": (6, 2, 2), "block2_conv1": (10, 2, 4), "block2_pool": (16, 4, 6),
    "block3_conv1": (24, 4, 10), "block3_conv2": (32, 4, 14), "block3_pool": (44, 8, 18), "block4_conv1": (60, 8, 26),
    "block4_conv2": (76, 8, 34), "block4_pool": (100, 16, 42), "block5_conv1": (132, 16, 58),
    "block5_conv2": (164, 16, 74), "block5_pool": (212, 32, 90),
}


@pytest.mark.parametrize(("layer", "published"), VGG16_PUBLISHED.items())
def test_vgg16_fields_equal_the_published_table(layer: str, published: tuple[int, int, int]) -> None:
    field = receptive_fields(symcnn.load(ROOT / "examples" / "vgg16.yaml"))[layer]
    r, j, padding = published
    assert field.axes == (AxisField(r, j, -padding),) * 2


# The same table's mobilenet_v1 (SAME padding): RF and stride at every resolution; padding at 224 and 321.
MOBILENET_PUBLISHED = {
    "conv1": (3, 2, 0, 1), "conv_pw_1": (7, 2, 2, 3), "conv_pw_2": (11, 4, 2, 5), "conv_pw_3": (19, 4, 6, 9),
    "conv_pw_4": (27, 8, 6, 13), "conv_pw_5": (43, 8, 14, 21), "conv_pw_6": (59, 16, 14, 29), "conv_pw_7": (91, 16, 30, 45),
    "conv_pw_8": (123, 16, 46, 61), "conv_pw_9": (155, 16, 62, 77), "conv_pw_10": (187, 16, 78, 93),
    "conv_pw_11": (219, 16, 94, 109), "conv_pw_12": (251, 32, 94, 125), "conv_pw_13": (315, 32, 126, 157),
}


def test_mobilenet_v1_fields_equal_the_published_table_at_224_321_and_open_r() -> None:
    open_r = model_from_yaml(MOBILENET.read_text(), str(MOBILENET))  # R stays a symbol: sizes, and so padding, unknown
    R = next(s for s in open_r.free_symbols if s.name == "R")
    symbolic = receptive_fields(open_r.subs({"alpha": 1}))
    at = {n: receptive_fields(open_r.subs({"alpha": 1, "R": n})) for n in (224, 321)}
    for layer, (r, j, pad224, pad321) in MOBILENET_PUBLISHED.items():
        assert at[224][layer].axes == (AxisField(r, j, -pad224),) * 2, layer
        assert at[321][layer].axes == (AxisField(r, j, -pad321),) * 2, layer
        size, jump, start = symbolic[layer].axes[0]
        assert (size, jump) == (r, j), layer
        assert start.free_symbols == {R} or layer == "conv1" and start.has(R)  # "None" in the table: depends on R
        assert start.subs(R, 224) == -pad224 and start.subs(R, 321) == -pad321, layer


def test_keras_same_padding_start_follows_the_input_size() -> None:
    """'same' with a stride puts the odd padding after: before = ⌊total/2⌋, total from the size (formulas.same_padding)."""
    for n in range(5, 40):
        model = Sequential([L.Input((n, 3)), L.Conv1D(2, 4, strides=3, padding="same")])
        before = same_padding(n, 4, 3)[0]
        assert receptive_fields(model)["conv1d"].axes == (AxisField(4, 3, -before),)


def test_a_branching_graph_keeps_the_largest_path_and_notes_misalignment() -> None:
    x = L.Input((16, 16, 3))
    a = L.Conv2D(4, 2, padding="same")(x)  # window [o, o + 1]: centre o + 1/2
    b = L.Conv2D(4, 1)(x)  # window [o]: centre o
    model = Model(x, L.Add()([a, b]))
    field = receptive_fields(model)["add"]
    assert field.axes == (AxisField(2, 1, 0),) * 2
    assert field.note is not None and "disagree on alignment" in field.note and "centre 1/2" in field.note


def test_aligned_paths_give_no_note_resnet50_and_its_published_483() -> None:
    fields = receptive_fields(symcnn.load(ROOT / "examples" / "resnet50.yaml"))
    assert not [f.note for f in fields.values() if f.note]
    # Keras's ResNet50 (v1, stride on the first 1×1): the stages end at 35, 99, 291 and 483 with jumps 4, 8, 16, 32;
    # the last equals the published 483 of resnet_v1_50 (whose stride sits elsewhere, so its inner stages differ).
    ends = {"conv2_block3_out": (35, 4), "conv3_block4_out": (99, 8), "conv4_block6_out": (291, 16), "conv5_block3_out": (483, 32)}
    for layer, (r, j) in ends.items():
        assert fields[layer].axes[0][:2] == (r, j), layer
    assert fields["avg_pool"].axes is None and fields["predictions"].axes is None


def test_a_global_path_is_noted_and_the_windowed_path_kept() -> None:
    x = L.Input((32, 32, 8))
    y = L.Conv2D(8, 3)(x)
    gate = L.Reshape((1, 1, 8))(L.GlobalAveragePooling2D()(y))  # squeeze-and-excitation
    model = Model(x, L.Multiply()([y, gate]))
    field = receptive_fields(model)["multiply"]
    assert field.axes == (AxisField(3, 1, 0),) * 2
    assert field.note is not None and "reads every input position" in field.note


def test_nested_models_compose_and_spatial_concatenation_does_not_apply() -> None:
    inner = Sequential([L.Input((16, 16, 4)), L.Conv2D(4, 3, strides=2), L.Conv2D(4, 3)], name="inner")
    x = L.Input((33, 33, 4))
    y = inner(L.Conv2D(4, 3)(x))
    model = Model(x, y)
    expected = recurrence([(3, 1, 1, 0), (3, 2, 1, 0), (3, 1, 1, 0)])[-1]
    assert receptive_fields(model)["inner"].axes == (AxisField(*expected),) * 2
    x = L.Input((8, 8, 3))
    joined = Model(x, L.Concatenate(axis=1)([x, x]))
    assert receptive_fields(joined)["concatenate"].axes is None


def test_receptive_field_command_prints_every_layer_and_json() -> None:
    out = run_cli("receptive-field", str(ROOT / "examples" / "vgg16.yaml"))
    assert out.returncode == 0, out.stderr
    assert "212 × 212" in out.stdout and "32 × 32" in out.stdout and "-90, -90" in out.stdout
    data = json.loads(run_cli("receptive-field", str(ROOT / "examples" / "vgg16.yaml"), "--format", "json").stdout)
    pool5 = next(r for r in data["layers"] if r["name"] == "block5_pool")
    assert (pool5["receptive_field"], pool5["jump"], pool5["receptive_field_start"]) == ([212, 212], [32, 32], [-90, -90])


# ---- torch's gradients: the positions an output really depends on -------------------------------------------


def _extent(grad: Any) -> tuple[int, int] | None:
    nonzero = (grad.abs() > 0).nonzero()
    return None if len(nonzero) == 0 else (int(nonzero.min()), int(nonzero.max()))


def _torch_field(module: Any, n: int) -> Any:
    import torch

    for p in module.parameters():
        with torch.no_grad():
            p.fill_(0.0 if p.dim() == 1 else 1.0)  # biases 0, weights 1: nothing cancels
    model = symcnn.from_torch(module, (1, 1, n))
    return receptive_fields(model)[model.records[-1].name].axes[0], model.records[-1].output_shape[-1]


def _measured(module: Any, n: int, o: int) -> tuple[int, int] | None:
    import torch

    x = torch.ones(1, 1, n, requires_grad=True)
    module(x)[0, :, o].sum().backward()
    return _extent(x.grad[0, 0])


TORCH_CHAINS = {
    "dilated, padded": lambda nn: nn.Sequential(nn.Conv1d(1, 1, 3, padding=2, dilation=2), nn.AvgPool1d(2),
                                                nn.Conv1d(1, 1, 5, stride=2, padding=1)),
    "padding 'same'": lambda nn: nn.Sequential(nn.Conv1d(1, 1, 4, padding="same"), nn.Conv1d(1, 1, 3, stride=3)),
    "avg pool with padding": lambda nn: nn.Sequential(nn.AvgPool1d(3, stride=2, padding=1), nn.Conv1d(1, 1, 3, dilation=3)),
    "zero pad": lambda nn: nn.Sequential(nn.ZeroPad1d((2, 1)), nn.Conv1d(1, 1, 3, stride=2)),
}


def _check_span(span: tuple[int, int] | None, lo: Any, size: Any, n: int, where: Any) -> None:
    """Inside the input the field is exact; clipped by an edge, what the gradient reaches lies within it
    (dilation leaves holes, and a hole may be all that reaches past the edge)."""
    hi = lo + size - 1
    assert span is not None, where
    if 0 <= lo and hi <= n - 1:
        assert span == (lo, hi), where
    else:
        assert max(lo, 0) <= span[0] and span[1] <= min(hi, n - 1), where


@pytest.mark.slow
@pytest.mark.parametrize("name", TORCH_CHAINS)
def test_torch_fields_equal_where_gradients_reach(name: str) -> None:
    torch = pytest.importorskip("torch")
    module = TORCH_CHAINS[name](torch.nn)
    n = 61
    field, outputs = _torch_field(module, n)
    for o in range(outputs):
        _check_span(_measured(module, n, o), field.start + o * field.jump, field.size, n, (name, o))


TRANSPOSED = {  # (module, how far a position's field may sit from start + o·jump: the earlier jump × ⌈k'/s⌉)
    "k3 s2 p1": (lambda nn: nn.ConvTranspose1d(1, 1, 3, stride=2, padding=1, output_padding=1), 1),
    "k4 s2 p1": (lambda nn: nn.ConvTranspose1d(1, 1, 4, stride=2, padding=1), 1),
    "k3 s3 dilated": (lambda nn: nn.ConvTranspose1d(1, 1, 3, stride=3, dilation=2), 2),  # taps 0, 2, 4 over 3 phases
    "conv then transposed": (lambda nn: nn.Sequential(nn.Conv1d(1, 1, 3, stride=2), nn.ConvTranspose1d(1, 1, 4, stride=2)), 2),
    "nearest ×3": (lambda nn: nn.Sequential(nn.Conv1d(1, 1, 3), nn.Upsample(scale_factor=3)), 1),
    "linear ×2": (lambda nn: nn.Sequential(nn.Conv1d(1, 1, 2), nn.Upsample(scale_factor=2, mode="linear")), 1),
    "linear ×3": (lambda nn: nn.Upsample(scale_factor=3, mode="linear"), 1),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", TRANSPOSED)
def test_transposed_fields_bound_every_position_and_the_largest_is_met(name: str) -> None:
    """A transposed window reads a varying number of inputs: the size is the largest over the outputs, and
    output o's field lies near start + o·jump (the first output's starts exactly there)."""
    torch = pytest.importorskip("torch")
    make, shift = TRANSPOSED[name]
    module = make(torch.nn)
    n = 31
    field, outputs = _torch_field(module, n)
    spans = [_measured(module, n, o) for o in range(outputs)]
    inside = [s for s in spans if s is not None and 0 < s[0] and s[1] < n - 1]
    assert max(hi - lo + 1 for lo, hi in inside) == field.size
    first = next(s for s in spans if s is not None)
    assert first[0] == max(field.start, 0)
    for o, span in enumerate(spans):
        if span is not None:
            lo = field.start + o * field.jump
            assert lo - shift <= span[0] and span[1] <= lo + field.size - 1 + shift, (name, o, span)


KERAS_CHAINS = {
    "same, strided": [("Conv1D", {"filters": 1, "kernel_size": 4, "strides": 2, "padding": "same"}),
                      ("Conv1D", {"filters": 1, "kernel_size": 3, "strides": 2, "padding": "same"})],
    "same pooling": [("AveragePooling1D", {"pool_size": 3, "strides": 2, "padding": "same"}),
                     ("Conv1D", {"filters": 1, "kernel_size": 2, "dilation_rate": 2, "padding": "same"})],
    "causal": [("Conv1D", {"filters": 1, "kernel_size": 3, "dilation_rate": 2, "padding": "causal"})],
    "transposed same": [("Conv1DTranspose", {"filters": 1, "kernel_size": 3, "strides": 2, "padding": "same"})],
    "transposed same, even kernel": [("Conv1DTranspose", {"filters": 1, "kernel_size": 4, "strides": 2, "padding": "same"})],
    "upsampling": [("Conv1D", {"filters": 1, "kernel_size": 3}), ("UpSampling1D", {"size": 3})],
}


@pytest.mark.slow
@pytest.mark.parametrize("name", KERAS_CHAINS)
@pytest.mark.parametrize("n", [24, 25])
def test_keras_fields_equal_where_gradients_reach(name: str, n: int) -> None:
    keras = pytest.importorskip("keras")
    import torch

    from symcnn.io.keras import model_from_keras_json

    layers = []
    for cls, kw in KERAS_CHAINS[name]:
        extra = {"kernel_initializer": "ones", "bias_initializer": "zeros"} if "Conv" in cls else {}
        layers.append(getattr(keras.layers, cls)(**kw, **extra))
    net = keras.Sequential([keras.Input((n, 1)), *layers])
    model = model_from_keras_json(net.to_json(), "chain.json")
    field = receptive_fields(model)[model.records[-1].name].axes[0]
    outputs = model.records[-1].output_shape[1]
    transposed = "transposed" in name or "upsampling" in name
    for o in range(outputs):
        x = torch.ones(1, n, 1, requires_grad=True)
        net(x)[0, o].sum().backward()
        span = _extent(x.grad[0, :, 0])
        lo = field.start + o * field.jump
        if transposed:
            assert span is not None and lo - 1 <= span[0] and span[1] <= lo + field.size, (name, o, span)
            if o == 0:
                assert span[0] == max(field.start, 0)
        else:
            _check_span(span, lo, field.size, n, (name, o))


@pytest.mark.slow
def test_keras_inception_v3_field_equals_the_published_notebook() -> None:
    """google-research/receptive_field's RF_Keras_Applications.ipynb: InceptionV3 on [None, None, 3] at conv2d_85
    has receptive field 1183, effective stride 32 and effective padding 554."""
    pytest.importorskip("keras")
    from truth.keras_truth import applications_truth

    from symcnn.io.keras import model_from_keras_json

    truth = applications_truth("InceptionV3", (None, None, 3), include_top=False)
    field = receptive_fields(model_from_keras_json(truth["json"], "InceptionV3.json"))["conv2d_85"]
    assert field.axes == (AxisField(1183, 32, -554),) * 2


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ResNet50", "MobileNetV2", "DenseNet121", "EfficientNetB0", "ConvNeXtTiny", "Xception"])
def test_every_layer_before_the_head_of_a_keras_application_has_a_field(name: str) -> None:
    """Convolutions, normalisation, merges and Keras ops (x + y in ConvNeXt) all pass fields on; only the head
    (global pooling and what follows) and squeeze-and-excitation gates read every position."""
    pytest.importorskip("keras")
    from truth.keras_truth import applications_truth

    from symcnn.io.keras import model_from_keras_json

    model = model_from_keras_json(applications_truth(name)["json"], f"{name}.json")
    fields = receptive_fields(model)
    head = next(i for i, r in enumerate(model.records) if r.type.startswith("Global") and "_se_" not in r.name)
    missing = [r.name for r in model.records[:head] if fields[r.name].axes is None and "_se_" not in r.name]
    assert missing == []
    assert fields[model.records[head - 1].name].axes[0].jump == 32


@pytest.mark.slow
@pytest.mark.parametrize("factor", [2, 3])
def test_keras_bilinear_upsampling_fields_bound_where_gradients_reach(factor: int) -> None:
    keras = pytest.importorskip("keras")
    import torch

    from symcnn.io.keras import model_from_keras_json

    n = 12
    net = keras.Sequential([keras.Input((n, n, 1)), keras.layers.Conv2D(1, 3, kernel_initializer="ones"),
                            keras.layers.UpSampling2D(factor, interpolation="bilinear")])
    model = model_from_keras_json(net.to_json(), "up.json")
    field = receptive_fields(model)[model.records[-1].name].axes[0]
    assert field.size == 3 + 1 and field.jump == sympy.Rational(1, factor)  # the conv's 3, plus one more input
    for o in range(model.records[-1].output_shape[1]):
        x = torch.ones(1, n, n, 1, requires_grad=True)
        net(x)[0, o, o].sum().backward()
        span = _extent(x.grad[0, :, :, 0].sum(1))
        lo = field.start + o * field.jump
        assert span is not None and lo - 1 <= span[0] and span[1] <= lo + field.size, (factor, o, span)
        if o == 0:
            assert span[0] == max(field.start, 0)
