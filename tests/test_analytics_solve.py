"""symcnn solve: inverse design on MobileNet v1 and ResNet-50, with the figures checked by rebuilding the model.

MobileNet v1 (Howard et al. 2017, Table 7): 1.0 MobileNet-160 has 290M mult-adds (fvcore's convention:
convolutions and the classifier, no bias, no batch norm) and MobileNet-224 569M; so under a 300M budget the
largest resolution is 160 (290.7M; 161 already gives 345.8M, since 'same' padding rounds every stride-2
size up: 81, 41, 21, 11, 6 against 80, 40, 20, 10, 5).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sympy

import symcnn
from symcnn.analysis.monotone import direction
from symcnn.analysis.solve import NoSolution, parse_condition, solve
from symcnn.errors import ArgumentError, ParseError
from symcnn.io.yaml_reader import model_from_yaml

ROOT = Path(__file__).resolve().parent.parent
MOBILENET = ROOT / "tests" / "fixtures" / "analytics" / "mobilenet_v1.yaml"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "symcnn", *args], capture_output=True, text=True, timeout=300, check=False)


def mobilenet(**values: object) -> symcnn.Model:
    model = symcnn.load(MOBILENET)
    return model.subs(values) if values else model


def test_largest_r_under_300m_fvcore_macs_is_160_as_the_issue_says() -> None:
    out = run_cli("solve", str(MOBILENET), "--largest", "R", "--where", "macs_fvcore <= 300000000", "--set", "alpha=1",
                  "--format", "json")
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    assert {k: found[k] for k in ("symbol", "value", "quantity", "at_value", "at_next")} == {
        "symbol": "R", "value": 160, "quantity": "macs_fvcore", "at_value": 290_675_200, "at_next": 345_756_608}
    assert "proven monotone" in found["exactness"]
    # Each figure is the model rebuilt at that size, and each is what the paper's Table 7 prints (in millions).
    for r, paper in ((224, 569), (192, 418), (160, 290), (128, 186)):
        assert round(mobilenet(alpha=1, R=r).macs("fvcore") / 1e6) in (paper, paper + 1), r  # the paper truncates
    assert mobilenet(alpha=1, R=160).macs("fvcore") == 290_675_200 and mobilenet(alpha=1, R=161).macs("fvcore") == 345_756_608


def test_the_text_answer_shows_both_sides_and_why_it_is_exact() -> None:
    out = run_cli("solve", str(MOBILENET), "--largest", "R", "--where", "macs_fvcore <= 300,000,000")
    assert out.returncode == 0, out.stderr
    assert "R = 160" in out.stdout and "290,675,200" in out.stdout and "345,756,608 (fails" in out.stdout
    assert "exact:" in out.stdout


def test_a_width_multiplier_on_a_grid_of_1_32() -> None:
    found = solve(mobilenet(R=224), "alpha", [parse_condition("macs_fvcore <= 300000000")], step=sympy.Rational(1, 32))
    assert found.value == sympy.Rational(23, 32)
    assert found.at_value == mobilenet(R=224, alpha=sympy.Rational(23, 32)).macs("fvcore") <= 300_000_000
    assert found.at_next == mobilenet(R=224, alpha=sympy.Rational(24, 32)).macs("fvcore") > 300_000_000
    # Table 6: 0.75 MobileNet-224 has 325M mult-adds, just over the budget, as 3/4 = 24/32 is here.
    assert round(found.at_next / 1e6) == 325


def test_smallest_and_several_conditions_joined() -> None:
    model = mobilenet(alpha=1)
    conditions = [parse_condition("macs_fvcore >= 200000000"), parse_condition("total_activations < 10^7")]
    found = solve(model, "R", conditions, largest=False)
    brute = [r for r in range(1, 400) if model.subs({"R": r}).macs("fvcore") >= 2e8
             and symcnn.analysis.totals.total_activations(model.subs({"R": r})) < 1e7]
    assert found.value == min(brute)
    largest = solve(model, "R", conditions)
    assert largest.value == max(brute) and largest.condition.text == "total_activations < 10^7"


def test_any_quantity_of_the_contract_and_arithmetic_on_the_left() -> None:
    model = mobilenet(alpha=1)
    found = solve(model, "R", [parse_condition("flops + 2*total_params <= 10^9")], convention="fvcore")
    value = int(found.value)
    at = model.subs({"R": value})
    assert 2 * at.macs("fvcore") + 2 * at.total_params <= 10**9 < 2 * model.subs({"R": value + 1}).macs("fvcore") + 2 * at.total_params
    assert solve(model, "R", [parse_condition("kernels >= 1")], largest=False).value == 1  # constant: every R


def test_resnet50_largest_square_input_under_a_budget() -> None:
    model = symcnn.load(ROOT / "examples" / "resnet50.yaml")
    R = sympy.Symbol("R", integer=True, positive=True)
    model = model.with_input((None, R, R, 3))
    found = solve(model, "R", [parse_condition("macs_fvcore <= 2*10^9")])
    r = int(found.value)
    assert model.subs({R: r}).macs("fvcore") <= 2e9 < model.subs({R: r + 1}).macs("fvcore")
    assert found.at_value == model.subs({R: r}).macs("fvcore")


def test_a_search_bounded_by_max_says_where_it_stopped() -> None:
    found = solve(mobilenet(alpha=1), "R", [parse_condition("macs_fvcore >= 10")], maximum=sympy.Integer(96))
    assert found.value == 96 and found.next_problem is not None and "stopped at --max" in found.next_problem
    smallest = solve(mobilenet(alpha=1), "R", [parse_condition("macs_fvcore >= 10")], largest=False)
    assert smallest.value == 1 and smallest.at_next is None and "below the smallest valid value" in str(smallest.next_problem)


def test_no_solution_and_no_largest_are_results_with_status_1() -> None:
    model = mobilenet(alpha=1)
    with pytest.raises(NoSolution, match="no R satisfies"):
        solve(model, "R", [parse_condition("macs_fvcore <= 10")])
    with pytest.raises(NoSolution, match="no largest R"):
        solve(model, "R", [parse_condition("macs_fvcore >= 10")])
    out = run_cli("solve", str(MOBILENET), "--largest", "R", "--where", "macs_fvcore <= 10")
    assert out.returncode == 1 and out.stdout.startswith("no solution:")


@pytest.mark.parametrize(("condition", "problem"), [
    ("macs_fvcore", "exactly one comparison"),
    ("macs_fvcore <= 3 <= 4", "exactly one comparison"),
    ("macs_fvcore = 3", "exactly one comparison"),
    ("macz <= 3", "unknown name 'macz'"),
    ("3 <= 4", "names no quantity"),
    ("__import__('os') <= 1", "unexpected"),
])
def test_bad_conditions_are_refused_with_what_is_expected(condition: str, problem: str) -> None:
    with pytest.raises(ParseError, match=problem):
        parse_condition(condition)


def test_bad_requests_are_refused_by_name() -> None:
    with pytest.raises(ArgumentError, match="no symbol 'Q'"):
        solve(mobilenet(alpha=1), "Q", [parse_condition("total_params <= 1")])
    with pytest.raises(ArgumentError, match="give values to alpha"):
        solve(mobilenet(), "R", [parse_condition("total_params <= 10^9")])
    out = run_cli("solve", str(MOBILENET), "--largest", "alpha", "--step=-1/32", "--where", "total_params < 5")
    assert out.returncode == 2 and "--step must be a positive number" in out.stderr


def test_an_unproven_condition_is_searched_value_by_value_and_says_so() -> None:
    # 36·(⌊(R − 3)/2⌋ + 1)² against 9·R² − 20·R: the difference wobbles with R's parity, so it is not monotone
    model = model_from_yaml("input: [R, R, 1]\nlayers:\n  - Conv2D: {filters: 4, kernel_size: 3, strides: 2}\n")
    condition = parse_condition("macs_fvcore >= 9*R^2 - 20*R", ["R"])
    found = solve(model, "R", [condition], maximum=sympy.Integer(200))
    assert "not proven" in found.proof and "checked" in found.proof
    brute = [r for r in range(3, 201) if model.subs({"R": r}).macs("fvcore") >= 9 * r * r - 20 * r]
    assert found.value == max(brute) and len(brute) < 198


def test_monotonicity_is_proven_from_structure_or_left_unproven() -> None:
    x = sympy.Symbol("x", integer=True, positive=True)
    assert direction((sympy.floor((x - 3) / 2) + 1) * (sympy.floor((x + 1) / 4) - 1) + 7, x, 7) == 1
    assert direction(-5 * sympy.ceiling(x / 3), x, 1) == -1
    assert direction(sympy.expand((x - 10) ** 2), x, 20) == 1  # the forward difference has no root past 20
    assert direction(sympy.expand((x - 10) ** 2), x, 1) is None
    assert direction(sympy.floor(x / 2) - x, x, 1) is None
