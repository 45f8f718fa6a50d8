"""The papers' published tables, reproduced from models written from the papers' descriptions.

Every expected number is the paper's own figure (as printed in ``examples/tables/papers.yaml``) or the count
of Keras or torch themselves (``keras.applications``, ``tests/torch_zoo.py``); none is symcnn's output
copied. A paper's figure is matched when symcnn's count rounds to it at the paper's digits, or else
truncates to it (ResNet's 34- and 50-layer FLOPs, MobileNetV2's 3.4M: those papers cut their figures);
a row the paper does not match carries a note in the table saying why, and its test checks the note
is still needed.
"""

from __future__ import annotations

import fnmatch
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from test_keras_reader import as_list

import symcnn
from symcnn.expr import parse
from symcnn.render.papers import QUANTITIES, Table, agreement, read_tables

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
TABLES = read_tables(EXAMPLES / "tables" / "papers.yaml", EXAMPLES)
CELLS = [
    pytest.param(table, row, cell, id=f"{table.title.split(' (')[0]}-{row.label}-{cell.quantity}")
    for table in TABLES for row in table.rows for cell in row.cells
]


@pytest.mark.parametrize(("table", "row", "cell"), CELLS)
def test_each_published_figure_is_symcnns_count_within_the_papers_rounding(table: Table, row: Any, cell: Any) -> None:
    if row.note is None:
        assert cell.agreement is not None, f"{row.label}: paper {cell.paper}, symcnn {float(cell.scaled):.4f}"


@pytest.mark.parametrize("row", [r for t in TABLES for r in t.rows if r.note], ids=lambda r: r.label)
def test_a_row_with_a_note_is_one_the_paper_does_not_match(row: Any) -> None:
    assert any(cell.agreement is None for cell in row.cells), f"{row.label} matches: its note is no longer needed"


def test_every_table_says_how_it_counts() -> None:
    for table in TABLES:
        assert table.quantities and all(q in QUANTITIES for q in table.quantities)
    conventions = {t.title.split(" (")[0]: t.quantities for t in TABLES}
    assert conventions["VGG"] == ("params",)  # VGG counts all
    assert conventions["ResNet"] == ("macs",)  # ResNet's FLOPs are multiply-adds
    assert set(conventions["MobileNet"]) == {"macs", "weights"}  # MobileNet: conv and FC weights, no BN
    assert conventions["EfficientNet"] == ("trainable", "macs")


def test_lenet5_differs_from_the_paper_exactly_as_the_papers_text_counts_it() -> None:
    (row,) = [r for t in TABLES for r in t.rows if r.label == "LeNet-5"]
    (cell,) = row.cells
    assert cell.ours == int(cell.paper) + parse(row.adjust)
    model = symcnn.load(EXAMPLES / "lenet5.yaml")
    by_name = {r.name: int(r.params) for r in model.records}
    assert (by_name["c1"], by_name["c5"], by_name["f6"]) == (156, 48_120, 10_164)  # the paper's C1, C5, F6


@pytest.mark.parametrize(
    ("ours", "paper", "expected"),
    [(Fraction(1814, 1000), "1.8", "rounded"), (Fraction(3664, 1000), "3.6", "truncated"),
     (Fraction(3664, 1000), "3.7", "rounded"), (Fraction(9110, 1000), "9.2", None),
     (Fraction(60965224, 10**6), "60", "truncated"), (Fraction(3855, 10**4), "0.39", "rounded")],
)
def test_agreement_is_rounding_half_up_or_truncation_at_the_printed_digits(ours: Fraction, paper: str, expected: Any) -> None:
    assert agreement(ours, paper) == expected


# ---- the same models beside Keras's and torch's own ---------------------------------------------------------


def keras_rows(keras_model: Any) -> dict[str, Any]:
    from truth.keras_truth import keras_truth

    return keras_truth(keras_model)


def same_layers(model: Any, truth: dict[str, Any], skip_keras: tuple[str, ...] = (), skip_ours: tuple[str, ...] = ()) -> None:
    """Every Keras layer not skipped has a symcnn layer of its name (auto names matched by type, in order),
    with Keras's output shape and counts; the totals are Keras's."""
    rows = [r for r in truth["layers"] if not any(fnmatch.fnmatch(r["name"], p) for p in skip_keras)]
    ours = [r for r in model.records if not any(fnmatch.fnmatch(r.name, p) for p in skip_ours)]
    keras_names = {r["name"] for r in rows}
    unmatched = [r for r in rows if r["name"] not in {o.name for o in ours}]
    rename: dict[str, str] = {}
    for record in ours:
        if record.name not in keras_names:
            twin = next((r for r in unmatched if r["class_name"] == record.type), None)
            assert twin is not None, f"symcnn's {record.name} ({record.type}) has no Keras layer"
            unmatched.remove(twin)
            rename[record.name] = twin["name"]
    assert not unmatched, f"Keras layers missing from the file: {[r['name'] for r in unmatched][:5]}"
    by_name = {rename.get(r.name, r.name): r for r in ours}
    for row in rows:
        mine = by_name[row["name"]]
        assert as_list(mine.output_shape) == row["output_shape"], row["name"]
        assert [int(mine.params), int(mine.trainable), int(mine.non_trainable)] == [
            row["params"], row["trainable"], row["non_trainable"]], row["name"]
    assert (int(model.total_params), int(model.trainable_params), int(model.non_trainable_params)) == (
        truth["total_params"], truth["trainable_params"], truth["non_trainable_params"])


@pytest.fixture(scope="module")
def keras() -> Any:
    return pytest.importorskip("keras")


@pytest.mark.slow
@pytest.mark.parametrize(("name", "file"), [("ResNet50", "resnet50"), ("ResNet101", "resnet101"), ("ResNet152", "resnet152"),
                                            ("VGG16", "vgg16"), ("VGG19", "vgg19")])
def test_resnets_and_vggs_equal_keras_applications_layer_by_layer(name: str, file: str, keras: Any) -> None:
    truth = keras_rows(getattr(keras.applications, name)(weights=None))
    same_layers(symcnn.load(EXAMPLES / f"{file}.yaml"), truth)


def test_resnet152_is_written_in_under_60_lines() -> None:
    lines = (EXAMPLES / "resnet152.yaml").read_text(encoding="utf-8").splitlines()
    assert len(lines) < 60


@pytest.mark.slow
@pytest.mark.parametrize("depth", [18, 34])
def test_basic_block_resnets_have_torchs_parameters(depth: int) -> None:
    pytest.importorskip("torch")
    import torch_zoo

    module = torch_zoo.ResNet(torch_zoo.BasicBlock, {18: (2, 2, 2, 2), 34: (3, 4, 6, 3)}[depth])
    model = symcnn.load(EXAMPLES / f"resnet{depth}.yaml")
    assert int(model.trainable_params) == sum(p.numel() for p in module.parameters())
    buffers = sum(b.numel() for n, b in module.named_buffers() if not n.endswith("num_batches_tracked"))
    assert int(model.non_trainable_params) == buffers  # the moving statistics


@pytest.mark.slow
@pytest.mark.parametrize("alpha", ["1", "3/4", "1/2", "1/4"])
@pytest.mark.parametrize("R", [224, 192, 160, 128])
def test_mobilenet_v1_equals_keras_mobilenet_at_each_alpha_and_resolution(alpha: str, R: int, keras: Any) -> None:
    keras_model = keras.applications.MobileNet(weights=None, alpha=float(Fraction(alpha)), input_shape=(R, R, 3))
    model = symcnn.load(EXAMPLES / "mobilenet_v1.yaml").subs(alpha=alpha, R=R)
    # Keras pads before each stride-2 depthwise layer (conv_pad_N) and ends with a 1x1 convolution on a 1x1 map
    # where the paper has a fully connected layer: the same sizes and parameters.
    head = ("global_average_pooling2d*", "dropout*", "conv_preds", "reshape*", "predictions")
    same_layers(model, keras_rows(keras_model), skip_keras=("conv_pad_*", *head), skip_ours=("avg_pool", "fc"))


@pytest.mark.slow
@pytest.mark.parametrize("alpha", ["0.35", "0.5", "0.75", "1.0", "1.3", "1.4"])
def test_mobilenet_v2_equals_keras_at_every_alpha_keras_has_weights_for(alpha: str, keras: Any) -> None:
    keras_model = keras.applications.MobileNetV2(weights=None, alpha=float(alpha))
    model = symcnn.load(EXAMPLES / "mobilenet_v2.yaml").subs(alpha=alpha, R=224)
    same_layers(model, keras_rows(keras_model), skip_keras=("*_pad",))  # ZeroPadding2D where the file pads 'same'


@pytest.mark.slow
def test_efficientnet_b0_equals_keras_layer_by_layer(keras: Any) -> None:
    model = symcnn.load(EXAMPLES / "efficientnet.yaml").with_defaults()
    same_layers(model, keras_rows(keras.applications.EfficientNetB0(weights=None)), skip_keras=("*_pad",))
    assert len((EXAMPLES / "efficientnet.yaml").read_text(encoding="utf-8").splitlines()) < 60


@pytest.mark.slow
@pytest.mark.parametrize(("b", "width", "depth", "R"), [(1, "1", "1.1", 240), (3, "1.2", "1.4", 300), (7, "2.0", "3.1", 600)])
def test_one_efficientnet_file_gives_keras_b1_to_b7(b: int, width: str, depth: str, R: int, keras: Any) -> None:
    values = {"width": width, "depth": depth, "R": R}
    model = symcnn.load(EXAMPLES / "efficientnet.yaml", values={"depth": parse(depth)}).subs(values)
    keras_model = getattr(keras.applications, f"EfficientNetB{b}")(weights=None, input_shape=(R, R, 3))
    same_layers(model, keras_rows(keras_model), skip_keras=("*_pad",))


@pytest.mark.slow
def test_alexnet_on_two_gpus_equals_keras_with_grouped_convolutions(keras: Any) -> None:
    from keras import layers

    keras_model = keras.Sequential([
        keras.Input((227, 227, 3)), layers.Conv2D(96, 11, strides=4, name="conv1"), layers.MaxPooling2D(3, 2, name="pool1"),
        layers.Conv2D(256, 5, padding="same", groups=2, name="conv2"), layers.MaxPooling2D(3, 2, name="pool2"),
        layers.Conv2D(384, 3, padding="same", name="conv3"), layers.Conv2D(384, 3, padding="same", groups=2, name="conv4"),
        layers.Conv2D(256, 3, padding="same", groups=2, name="conv5"), layers.MaxPooling2D(3, 2, name="pool5"),
        layers.Flatten(name="flatten"), layers.Dense(4096, name="fc6"), layers.Dropout(0.5, name="drop6"),
        layers.Dense(4096, name="fc7"), layers.Dropout(0.5, name="drop7"), layers.Dense(1000, name="fc8"),
    ])
    same_layers(symcnn.load(EXAMPLES / "alexnet_two_gpus.yaml"), keras_rows(keras_model))
