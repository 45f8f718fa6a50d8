"""symcnn check: right answers pass, each common mistake is named, bad input is refused.

Every wrong entry below is computed by the mistaken rule, written out in the entry
itself ("3*1*64 + 64": K instead of K² for the tutorial's first convolution), never
copied from symcnn. Right answers come from the tutorial's own tables (the seed) or
from Keras and PyTorch themselves (the slow tests).
"""

from __future__ import annotations

import functools
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symcnn
from symcnn.check import CheckResult, check, check_command, check_table, find_layer
from symcnn.errors import ArgumentError, LimitError, ParseError, SymcnnError
from symcnn.io.yaml_reader import model_from_yaml

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "check"
MODELS = {
    "seed": ROOT / "examples" / "seed.yaml",
    "seed_symbolic": ROOT / "examples" / "seed_symbolic.yaml",
    "seed_variants": FIXTURES / "seed_variants.yaml",  # the seed with 'same' padding, batch norm, a grouped conv
    "strided_bn": FIXTURES / "strided_bn.yaml",
    "mobile": FIXTURES / "mobile.yaml",
    "torch_net": FIXTURES / "torch_net.yaml",
}


@functools.cache
def model(name: str) -> symcnn.Model:
    return symcnn.load(MODELS[name])


def diagnosis_of(name: str, layer: str, quantity: str, entry: str) -> str:
    result = check(model(name), layer, **{quantity: entry})
    assert isinstance(result, CheckResult)
    assert not result.correct, f"{entry!r} should be wrong for {layer}"
    (value,) = result.values
    return value.diagnosis


# (model, layer, value, the student's entry by the mistaken rule, words the diagnosis must hold)
MISTAKES = [
    # bias left out: the kernel alone
    ("seed", "conv2d_1", "params", "3*3*64*64", ["bias left out"]),
    ("seed", "dense", "params", "12544 x 128", ["bias left out"]),
    ("strided_bn", "conv_b", "params", "4*4*16*32", ["bias left out"]),
    ("mobile", "pw", "params", "2*C*F", ["bias left out"]),
    ("torch_net", "conv1", "params", "16*3*5*5", ["bias left out"]),
    # bias counted per weight: one bias for every kernel weight
    ("seed", "conv2d_1", "params", "3*3*64*64 + 3*3*64*64", ["bias counted per weight"]),
    ("strided_bn", "head", "params", "216*10 + 216*10", ["bias counted per weight"]),
    ("mobile", "pw", "params", "2*C*F + 2*C*F", ["bias counted per weight"]),
    ("torch_net", "fc", "params", "2048*10 + 2048*10", ["bias counted per weight"]),
    # input and output channels swapped: the bias sized by the input; the output channels by the input
    ("seed", "dense", "params", "12544*128 + 12544", ["input and output channels swapped"]),
    ("seed", "conv2d", "shape", "(62, 62, 1)", ["input and output channels swapped"]),
    ("seed", "conv2d_1", "params", "3*3*64 + 64", ["input channels left out"]),  # not an upstream mistake (#12)
    ("strided_bn", "conv_b", "shape", "(7, 7, 16)", ["input and output channels swapped"]),
    ("strided_bn", "head", "params", "216*10 + 216", ["input and output channels swapped"]),
    ("mobile", "pw", "params", "2*C*F + 2*C", ["input and output channels swapped"]),
    ("torch_net", "fc", "params", "2048*10 + 2048", ["input and output channels swapped"]),
    # padding counted once: n + p − k + 1 instead of n + 2p − k + 1
    ("seed_variants", "conv2d", "shape", "(64 + 1 - 3 + 1, 64 + 1 - 3 + 1, 64)", ["padding counted once"]),
    ("strided_bn", "stem", "shape", "(⌊(33 + 2 - 5)/2⌋ + 1, ⌊(33 + 2 - 5)/2⌋ + 1, 16)", ["padding counted once"]),
    ("mobile", "dw", "shape", "(H + 1 - 3 + 1, W + 1 - 3 + 1, 2*C)", ["padding counted once"]),
    ("torch_net", "conv1", "shape", "(1, 16, ⌊(33 + 2 - 5)/2⌋ + 1, ⌊(33 + 2 - 5)/2⌋ + 1)", ["padding counted once"]),
    # floor forgotten: a fractional size, or one rounded up
    ("seed", "max_pooling2d_1", "shape", "((29 - 2)/2 + 1, (29 - 2)/2 + 1, 64)", ["floor forgotten", "14.5"]),
    ("seed", "max_pooling2d_1", "shape", "(15, 15, 64)", ["floor forgotten", "rounded up to 15"]),
    ("strided_bn", "conv_b", "shape", "((17 - 4)/2 + 1, (17 - 4)/2 + 1, 32)", ["floor forgotten", "7.5"]),
    ("strided_bn", "pool", "shape", "(4, 4, 32)", ["floor forgotten", "rounded up to 4"]),
    ("mobile", "grouped", "shape", "((H - 3)/2 + 1, (W - 3)/2 + 1, F)", ["floor forgotten"]),
    ("torch_net", "pool", "shape", "(1, 16, (17 - 2)/2 + 1, (17 - 2)/2 + 1)", ["floor forgotten", "8.5"]),
    # stride forgotten: n − k + 1
    ("seed", "max_pooling2d", "shape", "(62 - 2 + 1, 62 - 2 + 1, 64)", ["stride forgotten"]),
    ("strided_bn", "stem", "shape", "(33 + 4 - 5 + 1, 33 + 4 - 5 + 1, 16)", ["stride forgotten"]),
    ("mobile", "grouped", "shape", "(H - 3 + 1, W - 3 + 1, F)", ["stride forgotten"]),
    ("torch_net", "conv1", "shape", "(1, 16, 33 + 4 - 5 + 1, 33 + 4 - 5 + 1)", ["stride forgotten"]),
    # kernel area taken as K instead of K²
    ("seed", "conv2d", "params", "(3 x 1 x 64) + 64", ["kernel area taken as K (3)"]),
    ("seed", "conv2d_1", "params", "3x64x64 + 64", ["kernel area taken as K (3)"]),
    ("seed_symbolic", "conv2d", "params", "(3*C + 1)*F", ["kernel area taken as K (3)"]),
    ("strided_bn", "stem", "params", "5*3*16", ["kernel area taken as K (5)"]),
    ("mobile", "grouped", "params", "3*(F/4)*F + F", ["kernel area taken as K (3)"]),
    ("torch_net", "conv1", "params", "16*3*5 + 16", ["kernel area taken as K (5)"]),
    # batch-norm moving statistics counted as trainable, or left out
    ("seed_variants", "batch_normalization", "params", "2*64", ["moving statistics left out"]),
    ("seed_variants", "batch_normalization", "trainable", "4*64", ["counted as trainable"]),
    ("strided_bn", "bn", "params", "2*16", ["moving statistics left out"]),
    ("strided_bn", "bn", "trainable", "4*16", ["counted as trainable"]),
    ("strided_bn", "bn", "non_trainable", "0", ["moving statistics left out"]),
    ("mobile", "dw_bn", "params", "2*(2*C)", ["moving statistics left out"]),
    ("torch_net", "bn1", "params", "4*16", ["counted as trainable", "buffers"]),
    # depthwise, separable or grouped convolution counted as a full one
    ("seed_variants", "conv2d_1", "params", "3*3*64*64 + 64", ["grouped convolution counted as a full one"]),
    ("mobile", "dw", "params", "3*3*C*(2*C) + 2*C", ["depthwise convolution counted as a full one"]),
    ("mobile", "dw", "params", "3*3*32*64 + 64", ["depthwise convolution counted as a full one"]),
    ("mobile", "grouped", "params", "3*3*F*F + F", ["grouped convolution counted as a full one"]),
    ("mobile", "sep", "params", "3*3*F*128 + 128", ["separable convolution counted as a full one"]),
    ("torch_net", "gconv", "params", "32*16*3*3 + 32", ["grouped convolution counted as a full one"]),
    # Dense fed the wrong flattened size: named at the layer where the error started
    ("seed", "dense", "params", "(15 x 15 x 64 x 128) + 128", ["starting at max_pooling2d_1", "floor forgotten"]),
    ("seed", "dense", "params", "(14 x 14 x 128) + 128", ["starting at flatten", "channels left out"]),
    ("seed", "flatten", "shape", "15 x 15 x 64", ["starting at max_pooling2d_1", "floor forgotten"]),
    (
        "seed_symbolic",
        "dense",
        "params",
        "128*F*((floor(H/2) - 3 - 2)/2 + 1)*((floor(W/2) - 3 - 2)/2 + 1) + 128",
        ["starting at max_pooling2d_1", "floor forgotten"],
    ),
    (
        "seed_variants",
        "dense",
        "params",
        "(14 x 14 x 64 x 128) + 128",
        ["starting at conv2d (Conv2D)", "padding left out"],
    ),
    ("strided_bn", "head", "params", "4*4*24*10 + 10", ["starting at pool (MaxPooling2D)", "floor forgotten"]),
    ("torch_net", "fc", "params", "32*9*9*10 + 10", ["starting at pool (MaxPool2d)", "floor forgotten"]),
    # MACs: the bias left out (fvcore's way) and the output positions forgotten
    ("seed", "conv2d", "macs", "62*62*3*3*1*64", ["fvcore"]),
    ("seed", "conv2d", "macs", "640", ["MACs of one output position only"]),
    ("strided_bn", "stem", "macs", "5*5*3*16", ["MACs of one output position only"]),
]


@pytest.mark.parametrize(("name", "layer", "quantity", "entry", "words"), MISTAKES)
def test_each_common_mistake_is_named(name: str, layer: str, quantity: str, entry: str, words: list[str]) -> None:
    text = diagnosis_of(name, layer, quantity, entry)
    for word in words:
        assert word in text, f"{word!r} not in diagnosis {text!r}"


def test_every_diagnosis_is_tried_on_the_seed_and_two_other_models() -> None:
    kinds = {
        "bias left out": "bias left out",
        "bias per weight": "bias counted per weight",
        "channels swapped": "channels swapped",
        "padding once": "padding counted once",
        "floor": "floor forgotten",
        "stride": "stride forgotten",
        "kernel area": "kernel area taken as K",
        "statistics": ("moving statistics", "counted as trainable"),
        "full convolution": "counted as a full one",
        "upstream": "starting at",
    }
    for kind, needles in kinds.items():
        needles = (needles,) if isinstance(needles, str) else needles
        used = {
            n for n, *_, words in MISTAKES if any(w.startswith(needles) or any(x in w for x in needles) for w in words)
        }
        seeds = used & {"seed", "seed_symbolic", "seed_variants"}
        others = used - seeds
        assert seeds and len(others) >= 2, f"{kind}: seed models {seeds}, others {others}"


# ---- when no known mistake fits -------------------------------------------------------------

NONE_FITS = [
    ("seed", "conv2d", "params", "1000", ["360 more than 640"]),
    ("seed", "dense_1", "params", "2*(128*4 + 4)", ["exactly 2 times"]),
    ("strided_bn", "head", "params", "216*10 + 10 + 1", ["1 more than 2170"]),
    ("mobile", "pw", "params", "2*C*F + 2*F", ["yours minus the right formula is F"]),
    ("seed", "max_pooling2d_1", "shape", "(27, 27, 64)", ["axis 1: 27 instead of 14"]),
]


@pytest.mark.parametrize(("name", "layer", "quantity", "entry", "words"), NONE_FITS)
def test_when_no_mistake_fits_the_difference_and_factor_are_given(
    name: str, layer: str, quantity: str, entry: str, words: list[str]
) -> None:
    text = diagnosis_of(name, layer, quantity, entry)
    assert "no common mistake gives this value" in text
    for word in words:
        assert word in text


def test_a_wrong_result_after_a_right_formula_is_an_arithmetic_slip() -> None:
    text = diagnosis_of("seed", "dense", "params", "(12544 x 128) + 128 = 1605761")
    assert "arithmetic slip" in text and "1605760" in text


def test_a_formula_right_only_at_the_default_sizes_is_wrong_as_a_formula() -> None:
    result = check(model("mobile"), "pw", params="(2*32 + 1)*F")
    (value,) = result.values
    assert not value.correct and value.symbolic
    assert "right at the model's default sizes (C=32" in value.diagnosis
    assert value.counterexample and "C=" in value.counterexample


# ---- right answers ------------------------------------------------------------------------------

# The tutorial's own hand calculations (tutorial images 3, 5, 7 and 8), in its own notation.
TUTORIAL = [
    ("conv2d", "params", "[(3² x 64 x 1) + 64] = 640"),
    ("conv2d", "shape", "(62, 62, 64)"),
    ("max_pooling2d", "shape", "(31, 31, 64)"),
    ("max_pooling2d", "params", "0"),
    ("conv2d_1", "params", "[(3² x 64 x 64) + 64] = 36928"),
    ("conv2d_1", "params", "36,928"),
    ("conv2d_1", "params", "3x3x64x64 + 64"),
    ("conv2d_1", "shape", "(29, 29, 64)"),
    ("max_pooling2d_1", "shape", "(14, 14, 64)"),
    ("flatten", "shape", "14 x 14 x 64 = 12544"),
    ("dense", "params", "(12544 x 128) + 128 = 1605760"),
    ("dense", "shape", "(None, 128)"),
    ("dense_1", "params", "(128 x 4) +4= 516"),
    ("dense_1", "shape", "(None, 4)"),
]


@pytest.mark.parametrize(("layer", "quantity", "entry"), TUTORIAL)
def test_the_tutorials_hand_calculations_are_right(layer: str, quantity: str, entry: str) -> None:
    result = check(model("seed"), layer, **{quantity: entry})
    assert result.correct, result.report()
    assert result.values[0].method == "exact"


SYMBOLIC_RIGHT = [
    ("conv2d", "params", "(3^2*C + 1)*F"),
    ("conv2d", "params", "9·C·F + F"),
    ("conv2d_1", "params", "(3² × F × F) + F"),
    ("conv2d_1", "shape", "(floor(H/2) - 3, floor(W/2) - 3, F)"),
    ("max_pooling2d_1", "shape", "(⌊(⌊H/2⌋ - 3 - 2)/2⌋ + 1, ⌊(⌊W/2⌋ - 5)/2⌋ + 1, F)"),
    ("dense", "params", "128*F*(⌊(⌊H/2⌋ - 5)/2⌋ + 1)*(⌊(⌊W/2⌋ - 5)/2⌋ + 1) + 128"),
]


@pytest.mark.parametrize(("layer", "quantity", "entry"), SYMBOLIC_RIGHT)
def test_a_formula_is_checked_for_all_values_and_says_so(layer: str, quantity: str, entry: str) -> None:
    result = check(model("seed_symbolic"), layer, **{quantity: entry})
    assert result.correct, result.report()
    assert result.symbolic
    assert "for all values" in result.report() or "random points" in result.report()


def test_a_wrong_formula_is_shown_wrong_at_concrete_sizes() -> None:
    result = check(model("seed_symbolic"), "conv2d", params="(3*C + 1)*F")
    (value,) = result.values
    assert value.symbolic and value.counterexample
    found = re.fullmatch(r"C=(\d+), F=(\d+), where yours is (\d+) and the right one (\d+)", value.counterexample)
    assert found, value.counterexample
    c, f, yours, right = map(int, found.groups())
    assert (yours, right) == ((3 * c + 1) * f, (9 * c + 1) * f) and yours != right


def test_a_number_for_a_symbolic_model_is_checked_at_its_default_sizes() -> None:
    result = check(model("seed_symbolic"), "conv2d_1", params="36928")
    assert result.correct
    assert "default sizes" in result.values[0].note and "F=64" in result.values[0].note


def test_a_number_for_a_size_without_a_value_is_refused() -> None:
    text = "input: [H, W, 1]\nlayers:\n  - Conv2D: {filters: F, kernel_size: 3}\n"
    free = model_from_yaml(text)
    with pytest.raises(ArgumentError, match="depend on F"):
        check(free, "conv2d", params="640")
    assert check(free, "conv2d", params="(9 + 1)*F").correct


def test_several_values_of_one_layer_are_checked_together() -> None:
    result = check(model("strided_bn"), "bn", params="4*16", trainable="2*16", non_trainable="2*16")
    assert result.correct and [v.quantity for v in result.values] == ["params", "trainable", "non_trainable"]


# ---- naming layers --------------------------------------------------------------------------

LABELS = [
    ("conv2d_1", "conv2d_1"),
    ("conv2d_1 (Conv2D)", "conv2d_1"),
    ("3. Conv2D", "conv2d_1"),
    ("2. maxpooling2D", "max_pooling2d"),
    ("5. flatten", "flatten"),
    ("6. Dense layer 1", "dense"),
    ("7. Dense layer 2", "dense_1"),
    ("Dense layer 2", "dense_1"),
    ("Flatten", "flatten"),
    ("**Conv2D**", None),  # two Conv2D layers: ambiguous without a number
    (3, "conv2d_1"),
    (0, "input_layer"),
    ("Input", "input_layer"),
]


@pytest.mark.parametrize(("label", "name"), LABELS)
def test_layers_are_found_by_name_number_or_type(label: object, name: str | None) -> None:
    if name is None:
        with pytest.raises(ArgumentError, match="could be any of"):
            find_layer(model("seed"), label)
    else:
        assert find_layer(model("seed"), label).name == name


@pytest.mark.parametrize("label", ["9. Dense", "3. Dense", "nothing_like_this", "", -1, 8])
def test_a_label_that_names_no_layer_is_refused(label: object) -> None:
    with pytest.raises(ArgumentError):
        find_layer(model("seed"), label)


# ---- tables ------------------------------------------------------------------------------------


def test_the_tutorials_table_as_csv_is_all_right() -> None:
    results = check_table(model("seed"), FIXTURES / "seed_tutorial.csv")
    assert [r.layer for r in results] == [r.name for r in model("seed").records[1:]]
    assert all(r.correct for r in results)
    text, status = check_command(
        model("seed"), layer=None, params=None, shape=None, macs=None, table=str(FIXTURES / "seed_tutorial.csv")
    )
    assert status == 0 and "all 13 checked values right" in text


def test_a_markdown_table_with_mistakes_names_each_one() -> None:
    results = {r.layer: r for r in check_table(model("seed"), FIXTURES / "seed_mistakes.md")}
    wrong = {name for name, r in results.items() if not r.correct}
    assert wrong == {"conv2d_1", "max_pooling2d_1", "flatten", "dense"}
    assert "kernel area taken as K" in results["conv2d_1"].values[1].diagnosis
    assert "floor forgotten" in results["max_pooling2d_1"].values[0].diagnosis
    # the Dense row follows from the student's own MaxPooling row: named there, carried forward here
    assert "carried forward from your row for flatten" in results["dense"].values[1].diagnosis
    assert "the mistake was made at max_pooling2d_1: floor forgotten" in results["dense"].values[1].diagnosis
    assert results["dense"].values[1].verdict == "carried forward"
    text, status = check_command(
        model("seed"), layer=None, params=None, shape=None, macs=None, table=str(FIXTURES / "seed_mistakes.md")
    )
    assert status == 1 and "4 of 13 checked values wrong" in text and "2 mistakes, 2 values carried forward" in text


def test_a_new_mistake_on_top_of_the_students_own_wrong_row_is_named(tmp_path: Path) -> None:
    # sep keeps 12×12 ('same' at stride 2 taken to keep the size), so up gives (12 − 1)·2 + 3 = 25;
    # then the student flattens 25·25·16 = 10,000 for the global pooling: a second mistake, on their own row.
    table = tmp_path / "student.csv"
    table.write_text(
        "layer,output shape,params\n"
        'sep,"(None, 12, 12, 128)",8896\n'
        'up,"(None, 25, 25, 16)",18448\n'
        'gap,"(None, 10000)",0\n',
        encoding="utf-8",
    )
    results = {r.layer: r for r in check_table(symcnn.load(FIXTURES / "mixed_cnn.yaml"), table)}
    assert results["up"].values[0].verdict == "carried forward"
    gap = results["gap"].values[0]
    assert gap.verdict == "wrong" and gap.mistake == "global pooling taken as Flatten"
    assert "on top of your row for up" in gap.diagnosis and "25×25×16 = 10000" in gap.diagnosis


@pytest.mark.parametrize(
    ("content", "suffix", "error"),
    [
        ("a,b\n1,2\n", ".csv", "no column to check"),
        ("layer,params\n", ".csv", "header row and at least one row"),
        ("layer,params\nconv2d,__import__('os')\n", ".csv", "unexpected character"),
        ("| layer | params |\n|---|---|\n| conv2d | 9^9^9^9 |\n", ".md", "exponent"),
        ("layer,params\nnot_a_layer,640\n", ".csv", "no layer matches"),
        ("layer,params\nconv2d,\n", ".csv", "no filled-in values"),
    ],
)
def test_a_bad_table_is_refused(tmp_path: Path, content: str, suffix: str, error: str) -> None:
    path = tmp_path / f"table{suffix}"
    path.write_text(content)
    with pytest.raises(SymcnnError, match=error):
        check_table(model("seed"), path)


# ---- results in a terminal and in Jupyter -----------------------------------------------------


def test_a_result_reads_well_in_a_terminal_and_in_jupyter() -> None:
    result = check(model("seed"), "conv2d_1", params="3x64x64 + 64")
    text = repr(result)
    assert text.startswith("conv2d_1 (Conv2D): WRONG")
    assert "expected: 36928" in text and "yours:    3x64x64 + 64  (= 12352)" in text
    md = result._repr_markdown_()
    assert "| params |" in md and "kernel area" in md
    assert "3×64×64 + 64 = 12352<br>right working: 3×3×64×64 (kernel) + 64 (bias) = 36928 |" in md  # whole
    html_text = result._repr_html_()
    assert "<table>" in html_text and "kernel area" in html_text


def test_html_output_escapes_names() -> None:
    m = symcnn.Sequential([symcnn.layers.Input((4,)), symcnn.layers.Dense(2, name="<b>x</b>")])
    html_text = check(m, "<b>x</b>", params="10")._repr_html_()
    assert "<b>x</b>" not in html_text and "&lt;b&gt;x&lt;/b&gt;" in html_text


# ---- bad and hostile input ------------------------------------------------------------------------

HOSTILE = [
    "__import__('os').system('touch {marker}')",
    "exec(\"open('{marker}', 'w')\")",
    "eval('1')",
    "lambda: open('{marker}', 'w')",
    "().__class__.__bases__[0].__subclasses__()",
    "(" * 10000 + "1" + ")" * 10000,
    "-" * 1000 + "1",
    "(" * 1000 + "1" + ")" * 1000,
    "9^9^9^9",
    "2^100000",
    "9**9**9**9",
    "1/0",
    "x" * 3000,
    "",
    "640 =",
]


@pytest.mark.parametrize("entry", HOSTILE, ids=lambda e: e[:30])
def test_hostile_input_is_refused_quickly_and_runs_nothing(entry: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = entry.replace("{marker}", str(marker))
    start = time.process_time()
    for quantity in ("params", "shape", "macs"):
        with pytest.raises(SymcnnError):
            check_command(
                model("seed"),
                layer="conv2d",
                table=None,
                **{"params": None, "shape": None, "macs": None, quantity: text},
            )
    assert time.process_time() - start < 1.0
    assert not marker.exists()


def test_the_limits_are_limit_errors() -> None:
    with pytest.raises(LimitError):
        check(model("seed"), "conv2d", params="9^9^9^9")
    with pytest.raises(LimitError):
        check(model("seed"), "conv2d", params="(" * 10000 + "1" + ")" * 10000)
    with pytest.raises(ParseError):
        check(model("seed"), "conv2d", params="K^2")  # not a symbol of this model


def test_a_huge_but_valid_formula_is_answered_quickly() -> None:
    start = time.process_time()
    result = check(model("seed_symbolic"), "conv2d", params="(H + W + C + F)^64")
    assert not result.correct
    assert time.process_time() - start < 2.0


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"layer": None, "params": "1", "shape": None, "macs": None, "table": None}, "--layer"),
        ({"layer": "conv2d", "params": None, "shape": None, "macs": None, "table": None}, "give a value"),
        ({"layer": "conv2d", "params": "1", "shape": None, "macs": None, "table": "t.csv"}, "not both"),
    ],
)
def test_check_command_refuses_incomplete_requests(kwargs: dict[str, str | None], error: str) -> None:
    with pytest.raises(ArgumentError, match=error):
        check_command(model("seed"), **kwargs)  # type: ignore[arg-type]


# ---- the command line ---------------------------------------------------------------------------------


def run_cli(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run ``symcnn check``; also return the CPU seconds it used (steadier than wall time on a busy machine)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        [sys.executable, "-m", "symcnn", "check", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return proc, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def test_cli_exit_status_is_0_when_right_and_1_when_wrong() -> None:
    seed = str(MODELS["seed"])
    right, _ = run_cli(seed, "--layer", "conv2d_1", "--params", "(3² × 64 × 64) + 64")
    assert right.returncode == 0, right.stderr
    wrong, _ = run_cli(seed, "--layer", "conv2d_1", "--params", "3x64x64 + 64")
    assert wrong.returncode == 1 and "kernel area taken as K" in wrong.stdout
    table, _ = run_cli(seed, "--table", str(FIXTURES / "seed_mistakes.md"))
    assert table.returncode == 1 and "carried forward from your row for max_pooling2d_1" in table.stdout


CLI_HOSTILE = [
    ["--layer", "conv2d", "--params", "__import__('os').system('touch {marker}')"],
    ["--layer", "conv2d", "--params", "(" * 10000 + "1" + ")" * 10000],
    ["--layer", "conv2d", "--params", "9^9^9^9"],
    ["--layer", "conv2d", "--shape", 'exec(\'open("{marker}", "w")\')'],
    ["--layer", "__import__('os').system('touch {marker}')", "--params", "640"],
]


@pytest.mark.parametrize("args", CLI_HOSTILE, ids=lambda a: a[-1][:30])
def test_cli_refuses_hostile_input_with_status_2_within_a_second(args: list[str], tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    seed = str(MODELS["seed"])
    baseline, base_time = run_cli(seed, "--layer", "conv2d", "--params", "1 +")  # refused at once: startup cost
    assert baseline.returncode == 2
    proc, elapsed = run_cli(seed, *(a.replace("{marker}", str(marker)) for a in args))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("symcnn: error:") and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert elapsed < 2.0  # the whole run, Python's start and imports included, in CPU seconds (a busy CI box)
    assert elapsed - base_time < 0.5  # and the refusal itself costs no more than refusing "1 +"
    assert not marker.exists()
    # the refusal itself, in this process (imports already done): well within a second
    from symcnn.cli import main

    start = time.process_time()
    assert main(["check", seed, *(a.replace("{marker}", str(marker)) for a in args)]) == 2
    assert time.process_time() - start < 1.0
    assert not marker.exists()


# ---- truth: what Keras and PyTorch themselves count is marked right ------------------------------


@pytest.mark.slow
def test_keras_own_counts_and_shapes_are_marked_right() -> None:
    keras = pytest.importorskip("keras")
    from keras import layers as K

    built = keras.Sequential(
        [
            keras.Input((33, 33, 3)),
            K.Conv2D(16, 5, strides=2, padding="same", use_bias=False, name="stem"),
            K.BatchNormalization(name="bn"),
            K.ReLU(name="relu"),
            K.Conv2D(32, 4, strides=2, name="conv_b"),
            K.MaxPooling2D(2, 2, name="pool"),
            K.Conv2D(24, 3, dilation_rate=2, padding="same", name="dil"),
            K.Flatten(name="flat"),
            K.Dense(10, name="head"),
        ]
    )
    m = model("strided_bn")
    for layer in built.layers:
        trainable = sum(int(w.numpy().size) for w in layer.trainable_weights)
        non_trainable = sum(int(w.numpy().size) for w in layer.non_trainable_weights)
        shape = ", ".join("None" if d is None else str(d) for d in layer.output.shape)
        result = check(
            m,
            layer.name,
            params=str(layer.count_params()),
            trainable=str(trainable),
            non_trainable=str(non_trainable),
            shape=f"({shape})",
        )
        assert result.correct, result.report()


@pytest.mark.slow
def test_torch_own_counts_and_shapes_are_marked_right() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    modules = {
        "conv1": nn.Conv2d(3, 16, 5, stride=2, padding=2),
        "bn1": nn.BatchNorm2d(16),
        "pool": nn.MaxPool2d(2),
        "gconv": nn.Conv2d(16, 32, 3, padding=1, groups=4),
        "flatten": nn.Flatten(),
        "fc": nn.Linear(2048, 10),
    }
    x = torch.zeros(1, 3, 33, 33)
    m = model("torch_net")
    for name, module in modules.items():
        x = module(x)
        params = sum(p.numel() for p in module.parameters())
        result = check(m, name, params=str(params), shape=str(tuple(x.shape)))
        assert result.correct, result.report()


def test_symbolic_results_hold_sympy_values() -> None:
    result = check(model("seed_symbolic"), "conv2d", params="(3^2*C + 1)*F")
    (value,) = result.values
    C, F = sympy.symbols("C F", integer=True, positive=True)
    assert sympy.expand(value.student - (9 * C * F + F)) == 0


def test_model_check_is_the_same_check() -> None:
    m = model("seed")
    assert m.check("conv2d", params="(3² × 64 × 1) + 64").correct
    wrong = m.check("conv2d_1", params="3x64x64 + 64", shape="(29, 29, 64)")
    assert not wrong.correct and wrong["shape"].correct and "kernel area" in wrong["params"].diagnosis
    assert wrong.diagnosis.startswith("params: kernel area") and wrong["params"].expected == 36928


def test_a_keras_summary_style_table_checks_trainable_columns_too() -> None:
    results = {r.layer: r for r in check_table(model("strided_bn"), FIXTURES / "strided_bn_summary.md")}
    assert {name for name, r in results.items() if not r.correct} == {"bn", "conv_b"}
    bn = {v.quantity: v for v in results["bn"].values}
    assert bn["params"].correct and not bn["trainable"].correct and not bn["non_trainable"].correct
    assert "counted as trainable" in bn["trainable"].diagnosis
    conv_b = {v.quantity: v for v in results["conv_b"].values}
    assert "floor forgotten" in conv_b["shape"].diagnosis and conv_b["params"].correct


def test_table_rows_labelled_only_by_type_are_matched_by_position(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("Layer,Param #\nConv2D,640\nMaxPooling2D,0\nConv2D,36928\n")
    results = check_table(model("seed"), table)
    assert [r.layer for r in results] == ["conv2d", "max_pooling2d", "conv2d_1"] and all(r.correct for r in results)


def test_the_tutorials_table_copied_with_its_prose_is_all_right() -> None:
    results = check_table(model("seed"), FIXTURES / "seed_tutorial_verbatim.md")
    assert len(results) == 7 and all(r.correct for r in results), "\n".join(r.report() for r in results)


# ---- properties: any sizes, the mistaken rule written out here ------------------------------------

SIZES = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def named_uniquely(mistakes: dict[str, int | str], right: int | str) -> dict[str, int | str]:
    """The mistakes whose value is neither right nor shared with another mistake (so one name fits)."""
    values = list(mistakes.values())
    return {k: v for k, v in mistakes.items() if v != right and values.count(v) == 1}


@SIZES
@given(
    n=st.integers(6, 40),
    c=st.integers(1, 6),
    f=st.integers(1, 12),
    k=st.integers(1, 5),
    s=st.integers(1, 3),
)
def test_any_conv2d_params_mistake_is_named(n: int, c: int, f: int, k: int, s: int) -> None:
    m = symcnn.Sequential([symcnn.layers.Input((n, n, c)), symcnn.layers.Conv2D(f, k, strides=s)])
    right = (k * k * c + 1) * f  # Keras: kernel k·k·C·F plus one bias per filter
    assert check(m, "conv2d", params=str(right)).correct
    mistakes = {
        "bias left out": k * k * c * f,
        "bias counted per weight": 2 * k * k * c * f,
        "kernel area taken as K": k * c * f + f,
        "input and output channels swapped": k * k * c * f + c,
    }
    for words, wrong in named_uniquely(mistakes, right).items():
        assert words in diagnosis_of_model(m, "conv2d", "params", str(wrong))


@SIZES
@given(n=st.integers(6, 60), k=st.integers(1, 5), s=st.integers(2, 4), c=st.integers(1, 4))
def test_any_valid_window_shape_mistake_is_named(n: int, k: int, s: int, c: int) -> None:
    m = symcnn.Sequential([symcnn.layers.Input((n, n, c)), symcnn.layers.MaxPooling2D(k, s)])
    right = (n - k) // s + 1  # Keras 'valid': the last window must fit
    assert check(m, "max_pooling2d", shape=f"({right}, {right}, {c})").correct
    mistakes: dict[str, int | str] = {"stride forgotten": str(n - k + 1)}
    if (n - k) % s:
        mistakes["floor forgotten"] = f"({n} - {k})/{s} + 1"
    for words, wrong in named_uniquely(mistakes, str(right)).items():
        assert words in diagnosis_of_model(m, "max_pooling2d", "shape", f"({wrong}, {wrong}, {c})")


@SIZES
@given(i=st.integers(1, 300), u=st.integers(1, 64))
def test_any_dense_params_mistake_is_named(i: int, u: int) -> None:
    m = symcnn.Sequential([symcnn.layers.Input((i,)), symcnn.layers.Dense(u)])
    right = i * u + u
    assert check(m, "dense", params=f"{i} x {u} + {u}").correct
    mistakes = {"bias left out": i * u, "bias counted per weight": 2 * i * u, "channels swapped": i * u + i}
    for words, wrong in named_uniquely(mistakes, right).items():
        assert words in diagnosis_of_model(m, "dense", "params", str(wrong))


@SIZES
@given(c=st.integers(1, 512))
def test_any_batch_norm_statistics_mistake_is_named(c: int) -> None:
    m = symcnn.Sequential([symcnn.layers.Input((4, 4, c)), symcnn.layers.registry["BatchNormalization"]()])
    name = m.records[-1].name
    # Keras: gamma and beta are trainable; moving mean and variance are non-trainable weights
    assert check(m, name, params=str(4 * c), trainable=str(2 * c), non_trainable=str(2 * c)).correct
    assert "moving statistics left out" in diagnosis_of_model(m, name, "params", str(2 * c))
    assert "counted as trainable" in diagnosis_of_model(m, name, "trainable", str(4 * c))


def diagnosis_of_model(m: symcnn.Model, layer: str, quantity: str, entry: str) -> str:
    result = check(m, layer, **{quantity: entry})
    assert not result.correct, f"{entry!r} should be wrong for {layer}"
    return result.values[0].diagnosis


@SIZES
@given(n=st.integers(6, 60), k=st.integers(2, 7), s=st.integers(1, 3), f=st.integers(1, 8))
def test_any_same_padding_mistake_is_named(n: int, k: int, s: int, f: int) -> None:
    m = symcnn.Sequential([symcnn.layers.Input((n, n, 3)), symcnn.layers.Conv2D(f, k, strides=s, padding="same")])
    right = -(-n // s)  # Keras 'same': ceil(n / s)
    total = max((right - 1) * s + k - n, 0)  # TensorFlow's padding, the odd pixel after
    before = total // 2
    assert check(m, "conv2d", shape=f"({right}, {right}, {f})").correct
    mistakes = {
        "padding counted once": (n + before - k) // s + 1 if before else "-",
        "padding left out": (n - k) // s + 1,
        "stride forgotten": n + total - k + 1 if s > 1 else "-",
    }
    mistakes = {k2: v for k2, v in mistakes.items() if v != "-" and isinstance(v, int) and v > 0}
    if total - before != before:
        # the other half alone: (n + after − k) // s + 1
        mistakes.setdefault("padding counted once ", (n + total - before - k) // s + 1)
    for words, wrong in named_uniquely(mistakes, right).items():
        assert words.strip() in diagnosis_of_model(m, "conv2d", "shape", f"({wrong}, {wrong}, {f})")


def test_cli_checks_a_formula_for_all_values_and_a_number_at_the_defaults() -> None:
    symbolic = str(MODELS["seed_symbolic"])
    formula, _ = run_cli(symbolic, "--layer", "conv2d", "--params", "(3^2*C + 1)*F")
    assert formula.returncode == 0 and "equal for all values" in formula.stdout
    number, _ = run_cli(symbolic, "--layer", "conv2d", "--params", "640")
    assert number.returncode == 0 and "default sizes C=1, F=64" in number.stdout
    wrong, _ = run_cli(symbolic, "--set", "C=3", "--layer", "conv2d", "--params", "(3^2*1 + 1)*F")
    assert wrong.returncode == 1 and "expected: 1792" not in wrong.stdout and "28*F" in wrong.stdout


# ---- recurrent layers: gates, recurrent weights and biases -----------------------------------------

RNN_YAML = """input: [T, 20]
symbols: {T: 10}
layers:
  - LSTM: {units: 32, return_sequences: true}
  - GRU: {units: 16}
"""


@pytest.mark.parametrize(
    ("layer", "entry", "words"),
    [
        # Keras LSTM: 4 gates × (I·U + U·U + U); GRU (reset_after): 3 × (I·U + U·U + 2U)
        ("lstm", "4*(20*32 + 32*32 + 32)", None),
        ("gru", "3*(32*16 + 16*16 + 2*16)", None),
        ("lstm", "4*(20*32 + 32)", "recurrent weights left out"),
        ("lstm", "20*32 + 32*32 + 32", "gates forgotten"),
        ("lstm", "4*(20*32 + 32*32 + 2*32)", "two biases per gate counted"),
        ("gru", "3*(32*16 + 16*16 + 16)", "reset_after=True"),
    ],
)
def test_recurrent_mistakes_are_named(layer: str, entry: str, words: str | None) -> None:
    m = model_from_yaml(RNN_YAML)
    if words is None:
        assert check(m, layer, params=entry).correct
    else:
        assert words in diagnosis_of_model(m, layer, "params", entry)


def test_torch_lstm_keeps_two_biases() -> None:
    from symcnn.layers import torch as T

    m = symcnn.Sequential([symcnn.layers.Input((7, 20), batch_size=1), T.LSTM(20, 32, batch_first=True)])
    name = m.records[-1].name
    assert check(m, name, params="4*(20*32 + 32*32 + 2*32)").correct  # weight_ih, weight_hh, bias_ih, bias_hh
    assert "bias_ih and bias_hh" in diagnosis_of_model(m, name, "params", "4*(20*32 + 32*32 + 32)")


def test_a_shared_layer_counted_again_and_a_frozen_layer_taken_as_trainable_are_named() -> None:
    from symcnn.layers import Input
    from symcnn.model import Model

    x = Input((16,))
    shared = symcnn.layers.Dense(16, name="shared")
    m = Model(inputs=x, outputs=shared(shared(x)))
    second = m.records[2]  # Keras counts a layer's weights once, however often it is called
    assert check(m, second, params="0").correct
    assert "shared weights counted twice" in check(m, second, params="16*16 + 16").values[0].diagnosis
    frozen = symcnn.Sequential([Input((8,)), symcnn.layers.Dense(4, trainable=False)])
    assert check(frozen, "dense", trainable="0", non_trainable="8*4 + 4").correct
    assert "frozen" in diagnosis_of_model(frozen, "dense", "trainable", "8*4 + 4")


@pytest.mark.parametrize(
    ("entry", "right"),
    [
        ("(62, 62, 64)", True),
        ("(None, 62, 62, 64)", True),
        ("(1, 62, 62, 64)", True),
        ("62 x 62 x 64", True),
        ("(64, 62, 62)", False),
        ("(62, 62)", False),
        ("3844", False),
    ],
)
def test_a_shape_may_be_written_with_or_without_the_batch_axis(entry: str, right: bool) -> None:
    assert check(model("seed"), "conv2d", shape=entry).correct is right


def test_cli_refuses_a_hostile_table_with_status_2(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    table = tmp_path / "table.csv"
    table.write_text(f"layer,params\nconv2d,\"__import__('os').system('touch {marker}')\"\n")
    proc, _ = run_cli(str(MODELS["seed"]), "--table", str(table))
    assert proc.returncode == 2 and proc.stderr.startswith("symcnn: error:") and "Traceback" not in proc.stderr
    assert not marker.exists()
    missing, _ = run_cli(str(MODELS["seed"]), "--table", str(tmp_path / "no_such_table.csv"))
    assert missing.returncode == 2
