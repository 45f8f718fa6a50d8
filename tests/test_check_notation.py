"""What students type is read, what they wrote is what the messages describe, and formulas are judged honestly.

Values below are the tutorial's (seed: 640, 36928, 1605760 parameters; shapes 62, 31, 29, 14)
or worked out in the test from the rule; none is copied from symcnn.
"""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

import pytest

import symcnn
from symcnn.check import check, check_value
from symcnn.check.notation import translate
from symcnn.errors import LimitError, ParseError, SymcnnError

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "check"


@functools.cache
def model(name: str) -> symcnn.Model:
    path = ROOT / "examples" / f"{name}.yaml"
    return symcnn.load(path if path.exists() else FIXTURES / f"{name}.yaml")


# (layer, quantity, what the student typed, the value it means)
NOTATION = [
    ("conv2d_1", "params", r"3 \times 3 \times 64 \times 64 + 64", 36928),
    ("conv2d_1", "params", r"3 \cdot 3 \cdot 64 \cdot 64 + 64", 36928),
    ("conv2d_1", "params", r"\left(3^{2} \times 64 \times 64\right) + 64", 36928),
    ("conv2d_1", "params", r"$(3^2 \times 64 \times 64) + 64$", 36928),
    ("conv2d_1", "params", r"\( 3^{2} \cdot 64^{2} + 64 \)", 36928),
    ("conv2d_1", "params", "3 ∙ 3 ∙ 64 ∙ 64 + 64", 36928),
    ("conv2d_1", "params", r"36\,928", 36928),
    ("conv2d_1", "params", "36 928", 36928),
    ("conv2d_1", "params", "36_928", 36928),
    ("dense", "params", "1 605 760", 1605760),
    ("dense", "params", "1\u2009605\u2009760", 1605760),
    ("dense", "params", "1\u202f605\u202f760", 1605760),
    ("dense", "params", "1_605_760", 1605760),
    ("dense", "params", "1 605 760 params", 1605760),
    ("dense", "params", "1,605,760 parameters", 1605760),
    ("dense", "params", "1.60576e6", 1605760),
    ("conv2d", "params", "6.4e2", 640),
    ("conv2d", "params", "6.4E+2 weights", 640),
    ("conv2d", "params", r"\frac{1280}{2}", 640),
    ("conv2d", "params", r"\dfrac{3^2 \times 64 \times 2}{2} + 64", 640),
    ("conv2d", "params", r"(3^{2} \times 1 + 1) \times 64 = 640", 640),
    ("conv2d", "macs", r"62 \times 62 \times 640 \text{ MACs}", 62 * 62 * 640),
    ("dense", "shape", "128 channels", (None, 128)),
    ("dense", "shape", "(None, 128) units", (None, 128)),
    ("max_pooling2d", "shape", r"(\frac{62 - 2}{2} + 1, \frac{62 - 2}{2} + 1, 64)", (None, 31, 31, 64)),
    ("max_pooling2d_1", "shape", r"(\lfloor \frac{29 - 2}{2} \rfloor + 1, 14, 64)", (None, 14, 14, 64)),
    ("max_pooling2d_1", "shape", r"(\left\lfloor \frac{29-2}{2} \right\rfloor + 1, 14, 64)", (None, 14, 14, 64)),
    ("conv2d", "shape", "62 62 64", (None, 62, 62, 64)),
    ("conv2d", "shape", "(62 x 62 x 64)", (None, 62, 62, 64)),
    ("conv2d", "shape", r"62 \times 62 \times 64", (None, 62, 62, 64)),
    ("flatten", "shape", r"14 \times 14 \times 64 = 12\,544", (None, 12544)),
]


@pytest.mark.parametrize(("layer", "quantity", "entry", "value"), NOTATION, ids=[n[2][:30] for n in NOTATION])
def test_what_people_type_is_read(layer: str, quantity: str, entry: str, value: object) -> None:
    result = check_value(model("seed"), layer, quantity, entry)
    assert result.student == value, (entry, result.student)
    assert result.correct and result.verdict == "right", result.lines()


REFUSED = [
    ("6.45e1", "not a whole number"),
    ("1e999", "exponent"),
    (r"\sqrt{4}", "unknown LaTeX command"),
    (r"\frac{1}", "missing its argument"),
    (r"3^{2", "unbalanced braces"),
    ("six hundred and forty", "unknown name"),
    ("640 ¥", "unexpected character"),
    ("64 64", ""),
]


@pytest.mark.parametrize(("entry", "words"), REFUSED)
def test_anything_else_is_refused_in_one_line(entry: str, words: str) -> None:
    with pytest.raises(SymcnnError) as info:
        check(model("seed"), "conv2d", params=entry)
    assert words in str(info.value) and "\n" not in str(info.value)
    proc = subprocess.run(
        [sys.executable, "-m", "symcnn", "check", str(ROOT / "examples" / "seed.yaml"), "--layer", "conv2d",
         "--params", entry],
        capture_output=True, text=True, timeout=60, cwd=ROOT, check=False,
    )  # fmt: skip
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert "seed.yaml: layer 'conv2d': " in proc.stderr  # the line names the model file and the layer


def test_the_translation_never_evaluates_and_keeps_the_parsers_syntax() -> None:
    assert translate(r"\frac{a}{\frac{b}{c}}") == "((a)/(((b)/(c))))"
    assert translate(r"\left[ 3 \right]") == "[ 3 ]"
    assert translate("__import__('os')") == "__import__('os')"  # left for the parser to refuse
    with pytest.raises(LimitError):
        translate("1e65")
    with pytest.raises(ParseError):
        translate("2.5e0")


# ---- marking bugs: a stated result the working does not give; messages say what was written ----------------


def test_a_right_result_after_wrong_working_is_wrong_working() -> None:
    value = check_value(model("seed"), "conv2d_1", "params", "(3 x 64 x 64) + 64 = 36928")
    assert not value.correct and value.verdict == "wrong working"
    text = value.diagnosis
    assert "(3 x 64 x 64) + 64 makes 12352, not 36928" in text  # 3·64·64 + 64, the student's own working
    assert value.mistake == "kernel area taken as K"
    proc = subprocess.run(
        [sys.executable, "-m", "symcnn", "check", str(ROOT / "examples" / "seed.yaml"), "--layer", "conv2d_1",
         "--params", "(3 x 64 x 64) + 64 = 36928"],
        capture_output=True, text=True, timeout=60, cwd=ROOT, check=False,
    )  # fmt: skip
    assert proc.returncode == 1 and "WRONG WORKING" in proc.stdout


def test_a_result_written_first_is_still_the_result() -> None:
    value = check_value(model("seed"), "conv2d", "params", "640 = 3*3*64")
    assert value.verdict == "wrong working"
    assert "3*3*64 makes 576, not 640" in value.diagnosis  # 3·3·64 = 576
    assert "your formula 640 is right" not in value.diagnosis and "it makes 640, not 576" not in value.diagnosis
    assert value.mistake == "bias left out"  # 3·3·1·64 is the kernel alone


def test_a_miscopied_result_after_right_working_is_an_arithmetic_slip() -> None:
    value = check_value(model("seed"), "dense", "params", "(12544 x 128) + 128 = 1605761")
    assert value.verdict == "wrong"
    assert value.diagnosis.startswith("arithmetic slip: your working (12544 x 128) + 128 is right")


def test_working_and_result_that_agree_are_right() -> None:
    assert check_value(model("seed"), "dense", "params", "(12544 x 128) + 128 = 1605760").correct
    assert check_value(model("seed_symbolic"), "conv2d", "params", "9*C*F + F = 640").correct  # at C=1, F=64


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("62x62", ["you wrote 2 axes (62, 62)", "the channel axis (64) left out"]),
        ("62 x 62", ["you wrote 2 axes (62, 62)"]),
        ("3844", ["you wrote 1 axis (3844)", "3844 = 62×62 is a product of its axes"]),  # 62·62
        ("246016", ["246016 = 62×62×64 is the number of values it outputs"]),  # 62·62·64
    ],
)
def test_a_shape_with_missing_axes_is_described_as_written(entry: str, words: list[str]) -> None:
    value = check_value(model("seed"), "conv2d", "shape", entry)
    assert not value.correct
    for w in words:
        assert w in value.diagnosis
    assert "not 0" not in value.diagnosis


def test_batch_and_time_are_never_confused() -> None:
    # Keras GRU with return_sequences=False over 10 steps: (None, 12); "(10, 12)" keeps the time axis
    value = check_value(model("seq_net"), "gru_v1", "shape", "(10, 12)")
    assert not value.correct and value.mistake == "time axis kept"
    assert check_value(model("seq_net"), "gru_v1", "shape", "(32, 12)").correct  # a batch of 32
    assert check_value(model("seq_net"), "lstm", "shape", "(10, 32)").correct  # (T, U): batch left out


# ---- formulas: proved, or sampled where they could break; the smallest counterexample --------------------


def test_a_formula_that_differs_only_at_large_sizes_is_wrong() -> None:
    value = check_value(model("seed_symbolic"), "conv2d", "params", "9*C*F + F + floor(H/1000)")
    assert not value.correct
    # floor(H/1000) is 0 below H = 1000: the smallest sizes that show it
    assert value.counterexample == "C=1, F=1, H=1000, where yours is 11 and the right one 10"


@pytest.mark.parametrize(
    "entry",
    [
        "128*F*(floor(H/4 + 1/2) - 2)*(floor(W/4 + 1/2) - 2) + 128 + floor(W/3000)*floor(H/5000)",
        "128*F*(floor((H + 2)/4) - 2)*(floor(W/4 + 1/2) - 2) + 128 + floor(H/1001) - floor(H/1002)",
    ],
)
def test_floors_that_step_far_away_are_found(entry: str) -> None:
    assert not check_value(model("seed_symbolic"), "dense", "params", entry).correct


@pytest.mark.parametrize(
    ("layer", "quantity", "entry"),
    [
        ("dense", "params", "128*F*(floor((floor(H/2) - 5)/2) + 1)*(floor((floor(W/2) - 5)/2) + 1) + 128"),
        ("max_pooling2d", "shape", "(ceil((H - 3)/2), ceil((W - 3)/2), F)"),  # ⌈(H − 3)/2⌉ = ⌊H/2⌋ − 1
        ("flatten", "shape", "F*(floor(H/4 - 3/2))*(floor((W - 6)/4))"),  # ⌊(⌊H/2⌋ − 5)/2⌋ + 1 = ⌊(H − 6)/4⌋
    ],
)
def test_formulas_with_floors_are_proved_for_all_sizes(layer: str, quantity: str, entry: str) -> None:
    value = check_value(model("seed_symbolic"), layer, quantity, entry)
    assert value.correct and value.method == "symbolic", value.lines()


def test_a_formula_that_cannot_be_proved_or_broken_is_not_marked_right() -> None:
    # floor(F/(C·F + 1)) is 0 for all sizes, but its steps are not those of a linear argument
    value = check_value(model("seed_symbolic"), "conv2d", "params", "9*C*F + F + floor(F/(C*F + 1))")
    assert not value.correct and value.verdict == "not proved"
    assert "not marked right" in "\n".join(value.lines())


def test_the_counterexample_is_the_smallest() -> None:
    value = check_value(model("seed_symbolic"), "conv2d", "params", "(3*C + 1)*F")
    assert value.counterexample == "C=1, F=1, where yours is 4 and the right one 10"  # (3+1)·1 vs (9+1)·1
    shape = check_value(model("mobile"), "grouped", "shape", "(H - 2, W - 2, F)")
    # the model needs H, W ≥ 7 (the separable convolution after it must fit); F as small as it goes
    assert shape.counterexample is not None and shape.counterexample.startswith("F=1, H=7, W=7")
