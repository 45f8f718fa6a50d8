"""YAML blocks: parameterised layer lists, repeated with ``times``, named as Keras names its layers.

Expected names are written out as Keras's applications write them (``name + "_block" + str(i)``,
``f"block{i}{chr(j + 97)}_"``, ``"conv_dw_%d" % block_id``); expected counts are arithmetic in the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import symcnn
from symcnn import errors as E
from symcnn.cli import main

BLOCK = """\
name: blocks
input: [8, 8, 4]
blocks:
  unit:
    args: {filters: ~, k: 3}
    layers:
      - Conv2D: {filters: filters, kernel_size: k, padding: same, name: conv}
      - Add: {name: add, inputs: [input, conv]}
layers:
"""


def load(tmp_path: Path, text: str) -> symcnn.Model:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    return symcnn.load(path)


def names(model: symcnn.Model) -> list[str]:
    return [r.name for r in model.records]


def test_a_named_use_prefixes_its_layers_and_times_numbers_the_uses(tmp_path: Path) -> None:
    model = load(tmp_path, BLOCK + "  - unit: {filters: 4, name: stage1}\n  - unit: {filters: 4, name: stage2_block, times: 2, start: 2}\n")
    assert names(model) == ["input_layer", "stage1_conv", "stage1_add", "stage2_block2_conv", "stage2_block2_add",
                            "stage2_block3_conv", "stage2_block3_add"]
    # each use's Add joins its own input and its own conv
    records = {r.name: r for r in model.records}
    assert records["stage2_block3_add"].inputs == ["stage2_block2_add", "stage2_block3_conv"]
    assert int(model.total_params) == 3 * (3 * 3 * 4 * 4 + 4)


@pytest.mark.parametrize(
    ("name", "start", "expected"),
    [("block2{a}_", 1, ["block2a_conv", "block2b_conv"]),  # EfficientNet: f"block{i + 1}{chr(j + 97)}_"
     ("block_{i}_", 7, ["block_7_conv", "block_8_conv"]),  # MobileNetV2: f"block_{block_id}_"
     ("conv4_block", 2, ["conv4_block2_conv", "conv4_block3_conv"])],  # ResNet: name + "_block" + str(i)
)
def test_repeated_names_follow_keras_applications(tmp_path: Path, name: str, start: int, expected: list[str]) -> None:
    model = load(tmp_path, BLOCK + f"  - unit: {{filters: 4, name: '{name}', times: 2, start: {start}}}\n")
    assert [n for n in names(model) if n.endswith("conv")] == expected


def test_an_unnamed_use_keeps_the_blocks_names_with_its_number(tmp_path: Path) -> None:
    text = BLOCK.replace("name: conv}", "name: 'conv_dw_{i}'}").replace("[input, conv]", "[input, 'conv_dw_{i}']")
    model = load(tmp_path, text.replace("name: add,", "name: 'add_{i}',") + "  - unit: {filters: 4, start: 7, times: 2}\n")
    assert names(model)[1:] == ["conv_dw_7", "add_7", "conv_dw_8", "add_8"]  # MobileNet: "conv_dw_%d" % block_id


def test_layers_without_names_get_kerass_automatic_names_and_inputs_can_use_every_shown_name(tmp_path: Path) -> None:
    model = load(tmp_path, "input: [8, 8, 3]\nlayers:\n  - Conv2D: {filters: 2, kernel_size: 1}\n"
                           "  - Conv2D: {filters: 2, kernel_size: 1}\n"
                           "  - Concatenate: {inputs: [conv2d, conv2d_1, input_layer]}\n"
                           "  - Conv2D: {filters: 1, kernel_size: 1, inputs: [input_layer]}\n")
    records = {r.name: r for r in model.records}
    assert records["concatenate"].inputs == ["conv2d", "conv2d_1", "input_layer"]
    assert records["concatenate"].output_shape == (None, 8, 8, 2 + 2 + 3)
    assert records["conv2d_2"].inputs == ["input_layer"]


def test_repeating_a_layer_numbers_it_as_vgg_does(tmp_path: Path) -> None:
    model = load(tmp_path, "input: [8, 8, 3]\nlayers:\n  - Conv2D: {filters: 4, kernel_size: 3, padding: same, name: block1_conv, times: 3}\n")
    assert names(model)[1:] == ["block1_conv1", "block1_conv2", "block1_conv3"]  # VGG's f"block1_conv{i}"


def test_times_zero_and_conditions_leave_layers_out(tmp_path: Path) -> None:
    text = BLOCK.replace("      - Add: {name: add, inputs: [input, conv]}",
                         "      - Add: {name: add, inputs: [input, conv], if: k == 3 and not skip}")
    text = text.replace("args: {filters: ~, k: 3}", "args: {filters: ~, k: 3, skip: false}")
    model = load(tmp_path, text + "  - unit: {filters: 4, name: a}\n  - unit: {filters: 4, k: 1, name: b}\n"
                                  "  - unit: {filters: 4, skip: true, name: c}\n  - unit: {filters: 4, name: d, times: 0}\n")
    assert names(model)[1:] == ["a_conv", "a_add", "b_conv", "c_conv"]


def test_a_symbol_in_times_is_read_at_its_value_and_fixed(tmp_path: Path) -> None:
    text = BLOCK.replace("input: [8, 8, 4]", "input: [8, 8, 4]\nsymbols: {depth: 1.0}") + \
        "  - unit: {filters: 4, name: s, times: ceil(2*depth)}\n"
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    assert len(symcnn.load(path).records) == 1 + 2 * 2
    deeper = symcnn.load(path, values={"depth": "1.1"})  # ceil(2.2) = 3 uses
    assert len(deeper.records) == 1 + 2 * 3
    with pytest.raises(E.ArgumentError, match="depth"):
        symcnn.load(path).subs(depth=2)


def test_set_of_a_structural_symbol_reads_the_file_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(BLOCK.replace("input: [8, 8, 4]", "input: [8, 8, 4]\nsymbols: {depth: 1.0}")
                    + "  - unit: {filters: 4, name: s, times: ceil(2*depth)}\n", encoding="utf-8")
    assert main(["summary", str(path), "--set", "depth=1.6", "--format", "json"]) == 0
    import json

    assert len(json.loads(capsys.readouterr().out)["layers"]) == 1 + 2 * 4  # ceil(3.2) = 4 uses


@pytest.mark.parametrize(
    ("uses", "words"),
    [
        ("  - unit: {filters: 4, kernel: 3}\n", ("no argument 'kernel'", "filters, k")),
        ("  - unit: {k: 3}\n", ("needs its argument 'filters'",)),
        ("  - unit: {filters: 4, times: -1}\n", ("at least 0",)),
        ("  - unit: {filters: 4, times: 10000000}\n", ("limit",)),
        ("  - unit: {filters: 4, times: n}\n", ("times", "n has no value")),
        ("  - unit: {filters: 4, times: 1.5}\n", ("whole number",)),
        ("  - unit: {filters: 4, inputs: [nowhere]}\n", ("nowhere",)),
        ("  - unit: {filters: 4, if: filters}\n", ("comparison",)),
    ],
)
def test_a_bad_block_use_is_one_line_naming_the_use(
    uses: str, words: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(BLOCK + uses, encoding="utf-8")
    assert main(["summary", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert all(w in err for w in words), err


@pytest.mark.parametrize(
    ("blocks", "words"),
    [
        ("  loop:\n    layers:\n      - loop: {}\n", ("uses itself",)),
        ("  Dense:\n    layers:\n      - Flatten\n", ("name of a layer type",)),
        ("  b:\n    args: {times: 2}\n    layers:\n      - Flatten\n", ("'times'",)),
        ("  b:\n    layers: []\n", ("non-empty",)),
    ],
)
def test_a_bad_block_definition_is_refused(blocks: str, words: tuple[str, ...], tmp_path: Path) -> None:
    first = blocks.split(":")[0].strip()
    text = f"input: [8]\nblocks:\n{blocks}layers:\n  - {first}: {{}}\n"
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(E.SymcnnError) as info:
        symcnn.load(path)
    assert all(w in str(info.value) for w in words), str(info.value)


def test_blocks_in_blocks_over_the_layer_limit_are_refused_quickly(tmp_path: Path) -> None:
    import time

    text = ("input: [8]\nblocks:\n  a: {layers: [{Dense: {units: 8, times: 100}}]}\n  b: {layers: [{a: {times: 100}}]}\n"
            "  c: {layers: [{b: {times: 100}}]}\nlayers:\n  - c: {times: 100}\n")  # 10^8 layers from 150 bytes
    start = time.process_time()
    with pytest.raises(E.LimitError, match="100,000"):
        load(tmp_path, text)
    assert time.process_time() - start < 10
