"""Activations, weights by kind and FLOPs in the JSON contract, against Keras's own shapes and CS231n's VGG-16 table."""

from __future__ import annotations

import doctest
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import sympy

import symcnn
from symcnn import Sequential, formulas
from symcnn import layers as L
from symcnn.analysis import closed_form, compare, grouping, memory, monotone, receptive, solve, totals
from symcnn.analysis.totals import params_by_kind, total_activations
from symcnn.layers import base
from symcnn.render import compare as render_compare
from symcnn.render import grid, groups

ROOT = Path(__file__).resolve().parent.parent
VGG16 = ROOT / "examples" / "vgg16.yaml"
RESNET50 = ROOT / "examples" / "resnet50.yaml"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "symcnn", *args], capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("module", [totals, memory, receptive, grouping, compare, solve, monotone, closed_form, grid,
                                    groups, render_compare, formulas, base])
def test_the_analysis_modules_examples_run(module: object) -> None:
    failed, attempted = doctest.testmod(module)  # type: ignore[arg-type]
    assert attempted > 0 and failed == 0


# CS231n (Convolutional Neural Networks for Visual Recognition), "Case studies: VGGNet", its memory and params
# per layer for VGG-16 at 224x224x3. Memory is the values a layer outputs (its rounded "K"/"M" figures beside
# the exact product written out); params are the weights of the layer's kernel, biases left out.
CS231N_VGG16 = [
    # (CS231n's row, its memory figure, memory written out, its params written out, our layer)
    ("INPUT", "150K", 224 * 224 * 3, 0, "input_layer"),
    ("CONV3-64", "3.2M", 224 * 224 * 64, (3 * 3 * 3) * 64, "block1_conv1"),
    ("CONV3-64", "3.2M", 224 * 224 * 64, (3 * 3 * 64) * 64, "block1_conv2"),
    ("POOL2", "800K", 112 * 112 * 64, 0, "block1_pool"),
    ("CONV3-128", "1.6M", 112 * 112 * 128, (3 * 3 * 64) * 128, "block2_conv1"),
    ("CONV3-128", "1.6M", 112 * 112 * 128, (3 * 3 * 128) * 128, "block2_conv2"),
    ("POOL2", "400K", 56 * 56 * 128, 0, "block2_pool"),
    ("CONV3-256", "800K", 56 * 56 * 256, (3 * 3 * 128) * 256, "block3_conv1"),
    ("CONV3-256", "800K", 56 * 56 * 256, (3 * 3 * 256) * 256, "block3_conv2"),
    ("CONV3-256", "800K", 56 * 56 * 256, (3 * 3 * 256) * 256, "block3_conv3"),
    ("POOL2", "200K", 28 * 28 * 256, 0, "block3_pool"),
    ("CONV3-512", "400K", 28 * 28 * 512, (3 * 3 * 256) * 512, "block4_conv1"),
    ("CONV3-512", "400K", 28 * 28 * 512, (3 * 3 * 512) * 512, "block4_conv2"),
    ("CONV3-512", "400K", 28 * 28 * 512, (3 * 3 * 512) * 512, "block4_conv3"),
    ("POOL2", "100K", 14 * 14 * 512, 0, "block4_pool"),
    ("CONV3-512", "100K", 14 * 14 * 512, (3 * 3 * 512) * 512, "block5_conv1"),
    ("CONV3-512", "100K", 14 * 14 * 512, (3 * 3 * 512) * 512, "block5_conv2"),
    ("CONV3-512", "100K", 14 * 14 * 512, (3 * 3 * 512) * 512, "block5_conv3"),
    ("POOL2", "25K", 7 * 7 * 512, 0, "block5_pool"),
    ("FC", "4096", 4096, 7 * 7 * 512 * 4096, "fc1"),
    ("FC", "4096", 4096, 4096 * 4096, "fc2"),
    ("FC", "1000", 1000, 4096 * 1000, "predictions"),
]


def _rounded(value: int) -> float:
    return value / 1e6 if value >= 1e6 else value / 1e3 if value >= 1e4 else float(value)


@pytest.mark.parametrize(("row", "figure", "memory", "params", "layer"), CS231N_VGG16)
def test_cs231n_vgg16_table_row_by_row(row: str, figure: str, memory: int, params: int, layer: str) -> None:
    """Memory = activations; CS231n's params column = our kernels (it leaves the biases out)."""
    rec = symcnn.load(VGG16).get_layer(layer)
    assert rec.activations == memory, row
    printed = float(figure.rstrip("KM"))
    assert abs(_rounded(memory) - printed) <= 0.051 * printed, (row, figure)  # CS231n rounds to 2 figures
    assert rec.params_by_kind["kernels"] == params, row


def test_cs231n_vgg16_totals_and_where_its_24m_differs() -> None:
    """The rows add up to 15.2M values and 138M kernel weights; CS231n's "TOTAL memory: 24M" is not their sum."""
    model = symcnn.load(VGG16)
    rows = sum(m for _, _, m, _, _ in CS231N_VGG16)
    assert rows == 15_237_608  # 15.2M: what the table's own rows add up to
    # Keras's VGG16 has a Flatten row the table does not list: it repeats block5_pool's 25,088 values.
    assert total_activations(model) == rows + 7 * 7 * 512
    assert round(rows / 1e6, 1) == 15.2 and 24e6 / rows > 1.5  # the "24M" total is 58% above its own rows
    assert rows * 4 == 60_950_432  # 61 MB in float32 where CS231n says "24M * 4 bytes ~= 93MB / image"
    kernels = params_by_kind(model)["kernels"]
    assert kernels == sum(p for _, _, _, p, _ in CS231N_VGG16) == 138_344_128  # CS231n: "TOTAL params: 138M"
    assert model.total_params - kernels == params_by_kind(model)["biases"] == 13_416


@pytest.mark.parametrize("path", [VGG16, RESNET50, ROOT / "examples" / "mobilenetv2.yaml", ROOT / "examples" / "seed.yaml"])
def test_weights_by_kind_add_up_to_params_and_buffers(path: Path) -> None:
    model = symcnn.load(path)
    for rec in model.records:
        assert sum(rec.params_by_kind.values()) == rec.params + rec.buffers, rec.name
    assert sum(params_by_kind(model).values()) == model.total_params + model.total_buffers


def test_weights_by_kind_name_what_papers_count() -> None:
    """ResNet-50 (Keras): conv and dense kernels, the dense bias and conv biases, BN's gamma/beta and statistics."""
    kinds = params_by_kind(symcnn.load(RESNET50))
    assert kinds["normalization"] == kinds["moving_statistics"] == 53_120  # 2 × the 26,560 BN channels
    assert kinds["embeddings"] == kinds["other"] == 0
    assert kinds["kernels"] + kinds["biases"] + kinds["normalization"] == 25_583_592  # Keras's trainable count
    model = Sequential([L.Input((7,)), L.Embedding(100, 8), L.PReLU()])
    by = params_by_kind(model)
    assert (by["embeddings"], by["other"]) == (100 * 8, 7 * 8)


def test_a_nested_model_counts_its_own_layers_and_their_kinds() -> None:
    inner = Sequential([L.Input((8, 8, 3)), L.Conv2D(4, 3), L.BatchNormalization()], name="inner")
    x = L.Input((8, 8, 3))
    model = symcnn.Model(x, L.Dense(2)(L.Flatten()(inner(x))))
    by = params_by_kind(model)
    assert (by["kernels"], by["biases"]) == (3 * 3 * 3 * 4 + 6 * 6 * 4 * 2, 4 + 2)
    assert (by["normalization"], by["moving_statistics"]) == (2 * 4, 2 * 4)
    # the input, the inner conv and batch norm (not only the nested model's output), flatten, dense
    assert total_activations(model) == 8 * 8 * 3 + 2 * (6 * 6 * 4) + 6 * 6 * 4 + 2


def test_torch_batch_norm_statistics_are_buffers_counted_by_kind() -> None:
    from symcnn.io.yaml_reader import model_from_yaml

    model = model_from_yaml(
        "convention: torch\ninput: [3, 8, 8]\nlayers:\n  - Conv2d: {in_channels: 3, out_channels: 4, kernel_size: 3}\n"
        "  - BatchNorm2d: {num_features: 4}\n  - Embedding: {num_embeddings: 5, embedding_dim: 2}\n")
    conv, bn, emb = (r.params_by_kind for r in model.records[1:])
    assert (conv["kernels"], conv["biases"]) == (4 * 3 * 3 * 3, 4)
    assert (bn["normalization"], bn["moving_statistics"]) == (2 * 4, 2 * 4 + 1)  # running mean, var, num_batches_tracked
    assert emb["embeddings"] == 5 * 2


def test_activations_are_per_sample_values_and_symbolic_where_sizes_are() -> None:
    H = sympy.Symbol("H", integer=True, positive=True)
    model = Sequential([L.Input((H, 16, 3)), L.Conv2D(8, 3), L.MaxPooling2D(2)])
    conv, pool = model.records[1:]
    assert sympy.expand(conv.activations - (H - 2) * 14 * 8) == 0
    assert sympy.expand(pool.activations - sympy.floor((H - 2) / 2) * 7 * 8) == 0
    assert model.records[0].activations == H * 16 * 3


def test_a_layer_with_several_outputs_counts_them_all() -> None:
    lstm = Sequential([L.Input((5, 3)), L.LSTM(8, return_state=True)]).records[-1]
    assert lstm.activations == 8 + 8 + 8  # the output and the two states (h, c)


def test_json_contract_gives_activations_fields_kinds_and_flops() -> None:
    out = run_cli("summary", str(ROOT / "examples" / "seed.yaml"), "--format", "json", "--convention", "fvcore")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    conv = data["layers"][1]
    assert conv["activations"] == 62 * 62 * 64
    assert conv["receptive_field"] == [3, 3] and conv["jump"] == [1, 1] and conv["receptive_field_start"] == [0, 0]
    assert conv["params_by_kind"]["kernels"] == 3 * 3 * 1 * 64 and conv["params_by_kind"]["biases"] == 64
    dense = data["layers"][-1]
    assert dense["receptive_field"] is None and dense["jump"] is None
    assert data["flops"] == 2 * data["total_macs"] == 2 * 34_822_912
    assert data["total_activations"] == sum(layer["activations"] for layer in data["layers"])
    assert data["params_by_kind"]["kernels"] + data["params_by_kind"]["biases"] == data["total_params"]


def test_json_contract_stays_symbolic_and_gives_bytes_for_a_dtype() -> None:
    out = run_cli("summary", str(ROOT / "examples" / "seed.yaml"), "--input", "H,W,1", "--format", "json",
                  "--dtype", "bfloat16")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    names = {n: sympy.Symbol(n) for n in data["symbols"]}
    conv = data["layers"][1]
    activations = sympy.sympify(conv["activations"], locals=names)
    assert sympy.expand(activations - (names["H"] - 2) * (names["W"] - 2) * 64) == 0
    assert sympy.expand(sympy.sympify(conv["activation_bytes"], locals=names) - 2 * activations) == 0
    assert data["dtype"] == "bfloat16"


def test_summary_table_with_a_dtype_gives_the_bytes_of_one_sample() -> None:
    out = run_cli("summary", str(ROOT / "examples" / "seed.yaml"), "--dtype", "int8")
    assert out.returncode == 0, out.stderr
    values = 64 * 64 + 62 * 62 * 64 + 31 * 31 * 64 + 29 * 29 * 64 + 14 * 14 * 64 * 2 + 128 + 4
    assert f"{values:,} values = {values:,} bytes (int8)" in out.stdout


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ResNet50", "MobileNet", "EfficientNetB0", "DenseNet121"])
def test_activations_equal_the_product_of_keras_output_shapes(name: str) -> None:
    pytest.importorskip("keras")
    from truth.keras_truth import applications_truth

    from symcnn.io.keras import model_from_keras_json

    truth = applications_truth(name)
    model = model_from_keras_json(truth["json"], f"{name}.json")
    ours = {r.name: r.activations for r in model.records}
    compared = 0
    for row in truth["layers"]:
        shape = row["output_shape"]
        if not shape or isinstance(shape[0], list) or row["name"] not in ours:
            continue
        assert ours[row["name"]] == math.prod(shape[1:]), row["name"]
        compared += 1
    assert compared >= len(model.records) - 2
