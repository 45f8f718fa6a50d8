"""Scaled families: rational multipliers, rounding functions, whole sizes after every substitution, refusals.

The numbers here are Keras's own (``_make_divisible``, ``keras.applications``) or arithmetic written
out in the test (``math.floor``, ``math.ceil``); none is symcnn's output copied.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import pytest
import sympy

import symcnn
from symcnn import errors as E
from symcnn.cli import main
from symcnn.expr import FUNCTIONS, RESERVED_NAMES, multiplier_symbol, parse
from symcnn.formulas import make_divisible

REPO = Path(__file__).resolve().parent.parent
MOBILENET_V1 = REPO / "examples" / "mobilenet_v1.yaml"
MOBILENET_V2 = REPO / "examples" / "mobilenet_v2.yaml"
alpha = multiplier_symbol("alpha")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(list(argv))
    out = capsys.readouterr()
    return status, out.out, out.err


def one_line_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """The command fails as bad input: status 2, one line, no traceback; the line is returned."""
    status, out, err = run(capsys, *argv)
    assert status == 2, err
    assert out == "" and "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


def write(tmp_path: Path, text: str, name: str = "model.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---- rounding functions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("floor(7/2)", math.floor(7 / 2)),
        ("ceil(7/2)", math.ceil(7 / 2)),
        ("ceil(224/32)", math.ceil(224 / 32)),
        ("round(5/2)", math.floor(5 / 2 + 0.5)),  # half up, as int(x + 0.5) in the papers' code
        ("round(7/2)", math.floor(7 / 2 + 0.5)),
        ("round(2.4)", math.floor(2.4 + 0.5)),
        ("min(64, 3x4)", min(64, 12)),
        ("max(1, floor(16/4))", max(1, 16 // 4)),
        ("max(2, 3, 7, 5)", 7),
        ("ceil(1.1*2)", math.ceil(Fraction(11, 10) * 2)),  # EfficientNet-B1's round_repeats(2), in exact arithmetic
    ],
)
def test_rounding_functions_give_the_arithmetic_written_out(text: str, expected: int) -> None:
    assert parse(text) == expected


def test_round_is_half_up_not_pythons_half_even() -> None:
    assert parse("round(5/2)") == 3 and round(2.5) == 2  # the difference the docs state


@pytest.mark.parametrize("factor", ["0.25", "0.35", "0.5", "0.75", "1.0", "1.3", "1.4", "0.1", "1.1", "2.0", "3.1"])
@pytest.mark.parametrize("channels", [16, 24, 32, 40, 64, 80, 96, 112, 160, 192, 320, 1280])
@pytest.mark.parametrize("divisor", [8, 4])
def test_make_divisible_equals_keras_own(factor: str, channels: int, divisor: int) -> None:
    keras_v2 = pytest.importorskip("keras.src.applications.mobilenet_v2")
    expected = keras_v2._make_divisible(channels * float(factor), divisor)
    assert make_divisible(channels * sympy.Rational(factor), divisor) == expected
    assert parse(f"make_divisible({channels} * {factor}, {divisor})") == expected
    assert parse(f"make_divisible({channels} * {factor}, {divisor}, 16)") == keras_v2._make_divisible(
        channels * float(factor), divisor, 16
    )


def test_make_divisible_stays_symbolic_and_exact_when_substituted() -> None:
    keras_v2 = pytest.importorskip("keras.src.applications.mobilenet_v2")
    width = parse("make_divisible(32*alpha, 8)", {"alpha": alpha})
    assert width.free_symbols == {alpha} and width.is_integer
    for a in ("0.35", "0.5", "0.75", "1.3"):
        assert width.subs(alpha, sympy.Rational(a)) == keras_v2._make_divisible(32 * float(a), 8)


def test_floor_of_a_multiplier_is_kept_where_a_size_symbol_would_drop_it() -> None:
    assert parse("floor(32*alpha)", {"alpha": alpha}).subs(alpha, sympy.Rational(3, 10)) == math.floor(32 * 0.3)
    assert parse("floor(32*F)") == 32 * sympy.Symbol("F", integer=True, positive=True)  # F is a whole number


# ---- refusals -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["int(32*0.75)", "abs(3)", "sqrt(16)", "F(3+1)", "Round(2.5)"])
def test_a_name_called_like_a_function_is_refused_naming_the_known_functions(text: str) -> None:
    with pytest.raises(E.ParseError) as info:
        parse(text)
    message = str(info.value)
    assert "unknown function" in message and text.split("(")[0] in message
    assert all(f"{name}()" in message for name in FUNCTIONS)


def test_a_known_symbol_before_a_bracket_still_multiplies() -> None:
    F = sympy.Symbol("F", integer=True, positive=True)
    assert parse("F(9C+1)", {"F": F, "C": sympy.Symbol("C", integer=True, positive=True)}).subs(
        {F: 2, sympy.Symbol("C", integer=True, positive=True): 3}) == 2 * (9 * 3 + 1)


def test_a_function_in_a_yaml_size_is_refused_naming_the_layer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "input: [8, 8, 3]\nlayers:\n  - Conv2D: {filters: int(32*0.75), kernel_size: 3, name: c}\n")
    line = one_line_error(capsys, "summary", str(path))
    assert "'c'" in line and "unknown function 'int'" in line and "make_divisible()" in line


@pytest.mark.parametrize("name", ["floor", "ceiling", "Min", "Max", "Piecewise", "make_divisible", "round"])
def test_symbol_names_of_functions_the_formulas_print_are_refused(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert name in RESERVED_NAMES
    with pytest.raises(E.ParseError):
        symcnn.expr.dim_symbol(name)
    as_default = write(tmp_path, f"input: [8]\nsymbols: {{{name}: 3}}\nlayers:\n  - Dense: {{units: 2}}\n", "a.yaml")
    assert name in one_line_error(capsys, "summary", str(as_default))
    seed = str(REPO / "examples" / "seed_symbolic.yaml")
    assert name in one_line_error(capsys, "summary", seed, "--set", f"{name}=3")


@pytest.mark.parametrize(
    "argv",
    [
        ["--set", "F=" + "9" * 1500],  # a long integer on the command line
        ["--set", "F=" + "*".join(["10^64"] * 68)],  # a product of capped powers, 4,352 digits
        ["--set", "F=(10^64*H)^64"],
        ["--input", "H,W," + "7" * 1300],
    ],
)
def test_long_integers_are_refused_before_pythons_digit_limit(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    line = one_line_error(capsys, "summary", str(REPO / "examples" / "seed_symbolic.yaml"), *argv)
    assert "limit" in line or "too large" in line


def test_a_product_of_capped_powers_in_a_hand_calculation_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    line = one_line_error(capsys, "check", str(REPO / "examples" / "seed.yaml"), "--layer", "conv2d",
                          "--params", "*".join(["10^64"] * 68))
    assert "limit" in line


def test_a_long_integer_in_a_yaml_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, f"input: [8]\nlayers:\n  - Dense: {{units: {'9' * 5000}}}\n")
    one_line_error(capsys, "summary", str(path))


# ---- rational multipliers --------------------------------------------------------------------------------


def test_a_decimal_default_is_read_exactly_as_a_rational(tmp_path: Path) -> None:
    path = write(tmp_path, "input: [8, 8, 3]\nsymbols: {alpha: 0.75, k: 0.1, one: 1.0}\nlayers:\n"
                           "  - Conv2D: {filters: 32*alpha, kernel_size: 3}\n  - Conv2D: {filters: 40*k, kernel_size: 1}\n")
    model = symcnn.load(path)
    assert {s.name: v for s, v in model.defaults.items()} == {
        "alpha": sympy.Rational(3, 4), "k": sympy.Rational(1, 10), "one": 1}
    assert all(s.is_rational and not s.is_integer for s in model.defaults)  # multipliers, not sizes
    at = model.with_defaults()
    assert [r.output_shape[-1] for r in at.records[1:]] == [24, 4]  # 32 x 3/4 and 40 x 1/10, exactly


@pytest.mark.slow
@pytest.mark.parametrize("value", ["3/4", "0.75"])
def test_set_alpha_three_quarters_equals_keras_mobilenet(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    keras = pytest.importorskip("keras")
    import json

    status, out, err = run(capsys, "summary", str(MOBILENET_V1), "--set", f"alpha={value}", "--format", "json")
    assert status == 0, err
    keras_model = keras.applications.MobileNet(weights=None, alpha=0.75)
    assert json.loads(out)["total_params"] == keras_model.count_params()


@pytest.mark.parametrize("declared", ["", "symbols: {alpha: 1}\n"])
def test_a_fraction_set_for_a_size_symbol_makes_it_a_multiplier_and_keeps_its_floors(
    declared: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    path = write(tmp_path, "input: [8, 8, 3]\n" + declared + "layers:\n  - Conv2D: {filters: floor(32*alpha), kernel_size: 1, name: c}\n")
    status, out, err = run(capsys, "summary", str(path), "--set", "alpha=0.3", "--format", "json")
    assert status == 0, err
    (conv,) = [layer for layer in json.loads(out)["layers"] if layer["name"] == "c"]
    assert conv["output_shape"][-1] == math.floor(32 * 0.3)  # Keras's int(filters * alpha)


# ---- a size must be whole after every substitution ----------------------------------------------------------

HALF = "input: [8]\nsymbols: {F: 6}\nlayers:\n  - Dense: {units: F/2, name: half}\n"


@pytest.mark.parametrize(
    ("text", "argv", "layer", "shown"),
    [
        (HALF, ["--set", "F=5"], "half", "5/2"),  # --set
        (HALF.replace("F: 6", "F: 5"), [], "half", "5/2"),  # the file's own default
        ("input: [H/2, 8, 3]\nlayers:\n  - Flatten: {name: f}\n", ["--set", "H=129"], "input_layer", "129/2"),
        ("input: [8, 8, 3]\nlayers:\n  - Flatten: {name: f}\n", ["--input", "H/2,8,3", "--set", "H=129"], "input_layer",
         "129/2"),  # --input
        ("input: [R, R, 3]\nsymbols: {alpha: 1.0, R: 8}\nlayers:\n  - Conv2D: {filters: 32*alpha, kernel_size: 1, name: c}\n",
         ["--set", "alpha=0.3"], "c", "48/5"),  # 32 x 0.3 = 9.6 filters
        ("input: [8, 8, 3]\nlayers:\n  - Conv2D: {filters: 4, kernel_size: K/2, name: c}\n", ["--set", "K=3"], "c", "3/2"),
    ],
)
def test_a_size_that_is_not_whole_after_substitution_is_refused_naming_the_layer(
    text: str, argv: list[str], layer: str, shown: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, text)
    line = one_line_error(capsys, "summary", str(path), *argv)
    assert f"layer {layer!r}" in line and shown in line and "whole number" in line


def test_model_subs_refuses_a_size_that_is_not_whole(tmp_path: Path) -> None:
    model = symcnn.load(write(tmp_path, HALF))
    assert model.subs(F=6).total_params == 8 * 3 + 3  # a Dense of 8 -> 6/2 units
    with pytest.raises(E.ShapeError, match="units"):
        model.subs(F=5)
    with pytest.raises(E.ShapeError, match="whole number"):
        _ = model.subs(F=sympy.Rational(9, 2)).records


def test_model_subs_reads_a_float_exactly(tmp_path: Path) -> None:
    model = symcnn.load(MOBILENET_V1)
    assert model.subs(alpha=0.75, R=224).records[1].output_shape[-1] == 24  # 32 x 3/4, not 23.999...


@pytest.mark.parametrize("alpha_value", ["1", "3/4", "1/2", "1/4"])
def test_mobilenet_v1_widths_are_whole_at_the_papers_multipliers(alpha_value: str) -> None:
    model = symcnn.load(MOBILENET_V1).subs(alpha=alpha_value, R=224)
    pointwise = [r for r in model.records if r.name.startswith("conv_pw_") and r.type == "Conv2D"]
    base = [64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024]  # Table 1's widths
    assert [r.output_shape[-1] for r in pointwise] == [b * Fraction(alpha_value) for b in base]


# ---- the other convention --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("input: [8, 8, 3]\nlayers:\n  - Conv2d: {in_channels: 3, out_channels: 4, kernel_size: 3, name: c}\n",
         ("Conv2d", "PyTorch", "Keras convention", "Conv2D", "convention: torch")),
        ("convention: torch\ninput: [3, 8, 8]\nlayers:\n  - Conv2D: {filters: 4, kernel_size: 3, name: c}\n",
         ("Conv2D", "Keras layer", "torch convention")),
        ("input: [8]\nlayers:\n  - Linear: {in_features: 8, out_features: 2, name: c}\n", ("Linear", "Dense")),
    ],
)
def test_a_layer_of_the_other_convention_is_refused_naming_it(
    text: str, words: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = one_line_error(capsys, "summary", str(write(tmp_path, text)))
    assert "'c'" in line
    assert all(w in line for w in words), line


# ---- one way of printing a floor ----------------------------------------------------------------------


@pytest.mark.parametrize("example", ["seed_symbolic.yaml", "mobilenet_v1.yaml", "mobilenet_v2.yaml"])
def test_the_api_and_the_cli_print_floors_the_same_way(example: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "formula", str(REPO / "examples" / example))
    assert status == 0, err
    model = symcnn.load(REPO / "examples" / example)
    printed = dict(line.split(" = ", 1) for line in out.splitlines() if " = " in line and not line.startswith("at "))
    assert printed["total_params"] == str(model.total_params)
    assert printed["macs_fvcore"] == str(model.macs("fvcore"))


def test_a_fraction_for_a_whole_number_symbol_is_refused_not_miscounted() -> None:
    import symcnn.layers as L

    K = sympy.Symbol("K", integer=True, positive=True)
    model = symcnn.Sequential([L.Input((8, 8, 3)), L.Conv2D(4, 1), L.Dense(2 * sympy.floor(K / 2))])
    assert model.subs({K: 5}).records[-1].output_shape[-1] == 2 * (5 // 2)
    with pytest.raises(E.ShapeError, match="whole number"):
        model.subs({K: sympy.Rational(5, 2)})  # K is an integer: floor(K/2) was never rewritten for fractions


def test_json_formulas_with_make_divisible_read_back_with_sympify() -> None:
    import json

    from symcnn.render.summary import to_json

    model = symcnn.load(MOBILENET_V2).subs(R=224)  # alpha left open
    data = json.loads(to_json(model))
    assert data["symbols"] == ["alpha"]
    total = sympy.sympify(data["total_params"], locals={"alpha": alpha, "make_divisible": make_divisible})
    assert sympy.expand(total - model.total_params) == 0
    keras_v2 = pytest.importorskip("keras.src.applications.mobilenet_v2")
    widths = total.atoms(make_divisible)
    assert {w.subs(alpha, sympy.Rational(1, 2)) for w in widths} == {
        keras_v2._make_divisible(w.args[0].subs(alpha, sympy.Rational(1, 2)), 8) for w in widths}
