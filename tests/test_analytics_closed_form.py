"""symcnn formula --assume and --leading: closed forms a paper can print, every vanished floor proven.

ResNet-50 at H = W = 32·k: every size is a multiple of k, so the fvcore MACs are a·k² + b (b the classifier,
which the global pooling makes size-free). Checked against Keras's own ResNet50 at 32×32 and 64×64, counted
from its layers' shapes in the test, and beside the paper's "3.8 × 10⁹ FLOPs" (He et al. 2016, Table 1).
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sympy

import symcnn
from symcnn.analysis.closed_form import assume, leading_term

ROOT = Path(__file__).resolve().parent.parent
RESNET50 = ROOT / "examples" / "resnet50.yaml"
SEED_SYMBOLIC = ROOT / "examples" / "seed_symbolic.yaml"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "symcnn", *args], capture_output=True, text=True, timeout=300, check=False)


def _line(out: str, name: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(f"{name} = "))[len(name) + 3:]


def _resnet_form() -> tuple[int, int]:
    out = run_cli("formula", str(RESNET50), "--input", "H,W,3", "--assume", "H = 32*k", "--assume", "W = 32*k")
    assert out.returncode == 0, out.stderr
    match = re.fullmatch(r"(\d+)\*k\*\*2 \+ (\d+)", _line(out.stdout, "macs_fvcore"))
    assert match, out.stdout
    assert "floors that stay" not in out.stdout and "floors that vanish (10)" in out.stdout
    return int(match.group(1)), int(match.group(2))


def test_resnet50_fvcore_macs_at_32k_are_a_k2_plus_b() -> None:
    a, b = _resnet_form()
    assert b == 2048 * 1000  # the classifier: global pooling leaves 2,048 features whatever the size
    at224 = a * 7**2 + b
    assert at224 == symcnn.load(RESNET50).macs("fvcore")  # the file's own 224×224
    assert 3.8e9 <= at224 < 3.9e9  # He et al., Table 1: "3.8 × 10⁹" (the paper truncates 3.86)


@pytest.mark.slow
def test_resnet50_form_equals_keras_counted_from_its_own_layers() -> None:
    keras = pytest.importorskip("keras")
    a, b = _resnet_form()
    for k in (1, 2):
        net = keras.applications.ResNet50(weights=None, input_shape=(32 * k, 32 * k, 3))
        macs = 0
        for layer in net.layers:
            if isinstance(layer, keras.layers.Conv2D):
                kh, kw, c_in, c_out = layer.kernel.shape
                macs += math.prod(layer.output.shape[1:3]) * kh * kw * c_in * c_out
            elif isinstance(layer, keras.layers.Dense):
                macs += math.prod(layer.kernel.shape)
        assert macs == a * k * k + b, k


def test_each_vanished_floor_is_proven_and_a_floor_that_does_not_vanish_stays() -> None:
    out = run_cli("formula", str(SEED_SYMBOLIC), "--assume", "H = 2*k")
    assert out.returncode == 0, out.stderr
    steps = [line for line in out.stdout.splitlines() if line.startswith("  floor(")]
    assert any(s.startswith("  floor(H/2) = k: its argument is k") for s in steps)  # pooled: ⌊(H − 2)/2⌋ = ⌊H/2⌋ − 1
    assert "floors that stay (1)" in out.stdout  # ⌊(H + 2)/4⌋ = ⌊(2k + 2)/4⌋ = ⌊k/2 + 1/2⌋: whole only for odd k
    assert any("stays" in s and "k/2 + 1/2" in s for s in steps)
    assert steps and not [line for line in steps if "W" in line]  # W's floors are not the assumption's business
    assert "requires: k >= 5" in out.stdout  # H ≥ 10
    model = symcnn.load(SEED_SYMBOLIC)
    H, F = (next(s for s in model.free_symbols if s.name == n) for n in ("H", "F"))
    k = sympy.Symbol("k", integer=True, positive=True)
    result = assume(model.total_params, {H: 2 * k})
    assert result.floors_left and result.expr.has(sympy.floor)
    for value in (5, 6, 11):  # what stays is still exact: the model built at H = 2k
        assert result.expr.subs({k: value, F: 8}).subs({s: 17 for s in result.expr.free_symbols}) == \
            model.subs({"H": 2 * value, "F": 8}).total_params.subs({s: 17 for s in model.free_symbols})


def test_a_polynomial_with_no_floors_says_so() -> None:
    out = run_cli("formula", str(SEED_SYMBOLIC), "--assume", "C = 3*m")
    assert out.returncode == 0, out.stderr
    assert "27*F*m" in _line(out.stdout, "total_params").replace(" ", "")


def test_leading_terms_in_the_input_sizes() -> None:
    out = run_cli("formula", str(SEED_SYMBOLIC), "--leading")
    assert out.returncode == 0, out.stderr
    # 128·F·(⌊(H + 2)/4⌋ − 2)·(⌊(W + 2)/4⌋ − 2) grows as 128·F·(H/4)·(W/4) = 8·F·H·W
    assert "leading term of total_params in H, W: 8*F*H*W" in out.stdout
    # the MACs: 9·C·F·(H − 2)·(W − 2) + 9·F²·(H/2)(W/2) + ... → (9·C·F + 9/4·F² + 8·F + F/4 ...)·H·W
    H, W, C, F = sympy.symbols("H W C F", integer=True, positive=True)
    expected = 9 * C * F * H * W + sympy.Rational(9, 4) * F**2 * H * W + 8 * F * H * W
    fvcore = re.search(r"leading term of macs_fvcore in H, W: (.+)", out.stdout).group(1)  # type: ignore[union-attr]
    assert sympy.expand(sympy.sympify(fvcore, locals={"H": H, "W": W, "C": C, "F": F}) - expected) == 0
    assert leading_term(sympy.floor(H / 3) * W + H, [H, W]) == H * W / 3


@pytest.mark.parametrize(("assumption", "problem"), [
    ("Q = 32*k", "not a symbol of the model"),
    ("H 32*k", "expects NAME = EXPR"),
    ("H = 0", "positive whole number"),
    ("H = 32*k = 3", "expects NAME = EXPR"),
    ("H = import os", "not a usable name"),
])
def test_bad_assumptions_are_refused(assumption: str, problem: str) -> None:
    out = run_cli("formula", str(SEED_SYMBOLIC), "--assume", assumption)
    assert out.returncode == 2 and problem in out.stderr, out.stderr
