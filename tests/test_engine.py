"""The engine on the tutorial's model and on symbolic chains, against Keras and independent arithmetic."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sympy

import symcnn
from symcnn import Sequential
from symcnn import layers as L
from symcnn.errors import LimitError, ParseError, ShapeError
from symcnn.expr import parse

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "seed.yaml"
SEED_SYMBOLIC = ROOT / "examples" / "seed_symbolic.yaml"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "symcnn", *args], capture_output=True, text=True, timeout=120, check=False)


def keras_seed(h: int, w: int, c: int, f: int):  # type: ignore[no-untyped-def]
    keras = pytest.importorskip("keras")
    from keras import layers

    return keras.Sequential([
        keras.Input((h, w, c)),
        layers.Conv2D(f, 3, activation="relu"), layers.MaxPool2D(2, 2),
        layers.Conv2D(f, 3, activation="relu"), layers.MaxPool2D(2, 2),
        layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dense(4, activation="softmax"),
    ])


@pytest.mark.slow
def test_seed_summary_json_matches_keras_layer_by_layer() -> None:
    from tests.truth.keras_truth import keras_truth, seed_model

    truth = keras_truth(seed_model())
    out = run_cli("summary", str(SEED), "--format", "json")
    assert out.returncode == 0, out.stderr
    ours = json.loads(out.stdout)
    assert ours["total_params"] == truth["total_params"]
    assert ours["trainable_params"] == truth["trainable_params"]
    assert ours["non_trainable_params"] == truth["non_trainable_params"]
    assert [r["type"] for r in ours["layers"]] == [r["class_name"] for r in truth["layers"]]
    for mine, theirs in zip(ours["layers"], truth["layers"]):
        assert mine["output_shape"] == theirs["output_shape"], mine["name"]
        assert (mine["params"], mine["trainable"], mine["non_trainable"]) == (
            theirs["params"], theirs["trainable"], theirs["non_trainable"]), mine["name"]


@pytest.mark.slow
@pytest.mark.parametrize(("h", "w", "c", "f"), [(64, 64, 1, 64), (10, 10, 1, 8), (11, 13, 3, 5), (97, 31, 2, 16), (224, 150, 3, 7)])
def test_seed_closed_form_equals_keras_at_each_size(h: int, w: int, c: int, f: int) -> None:
    model = symcnn.load(SEED_SYMBOLIC)
    H, W, C, F = sympy.symbols("H W C F", integer=True, positive=True)
    assert model.total_params.free_symbols == {H, W, C, F}
    value = model.total_params.subs({H: h, W: w, C: c, F: f})
    assert value == keras_seed(h, w, c, f).count_params()
    at = model.subs({"H": h, "W": w, "C": c, "F": f})
    truth = keras_seed(h, w, c, f)
    for rec, layer in zip(at.records[1:], truth.layers):
        assert list(rec.output_shape) == list(layer.output.shape), rec.name


@pytest.mark.slow
def test_seed_smallest_input_is_what_keras_accepts() -> None:
    model = symcnn.load(SEED_SYMBOLIC)
    assert [str(c.condition) for c in model.constraints] == ["H >= 10", "W >= 10"]
    keras_seed(10, 10, 1, 4)  # builds
    with pytest.raises(Exception) as keras_err:
        keras_seed(9, 10, 1, 4)
    with pytest.raises(ShapeError) as err:
        _ = model.subs({"H": 9, "W": 10, "C": 1, "F": 4}).records
    refused = model.subs({"H": 10, "W": 10, "C": 1, "F": 4}).get_layer(err.value.layer)
    # Keras names the class whose call refused: the same layer (the second pooling) as symcnn
    assert err.value.layer == "max_pooling2d_1"
    assert f"received by {refused.type}.call()" in str(keras_err.value)


def test_summary_json_symbolic_counts_round_trip_through_sympify() -> None:
    out = run_cli("summary", str(SEED), "--input", "H,W,C", "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["symbols"] == ["C", "H", "W"]
    local = {n: sympy.Symbol(n) for n in data["symbols"]}
    total = sympy.sympify(data["total_params"], locals=local)
    parts = sum(sympy.sympify(str(r["params"]), locals=local) for r in data["layers"])
    assert sympy.simplify(total - parts) == 0
    # at 64x64x1 the formula gives the tutorial's total, which `summary` prints for the numeric model
    numeric = json.loads(run_cli("summary", str(SEED), "--format", "json").stdout)
    assert total.subs({local["H"]: 64, local["W"]: 64, local["C"]: 1}) == numeric["total_params"]


def test_bad_input_is_one_line_and_status_2(tmp_path: Path) -> None:
    out = run_cli("summary", str(SEED), "--input", "5,5,1")
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert "seed.yaml" in out.stderr and "conv2d_1" in out.stderr


def test_callers_symbols_are_the_ones_in_results() -> None:
    H = sympy.Symbol("H", positive=True, integer=True)
    K = sympy.Symbol("K", positive=True, integer=True)
    m = Sequential([L.Input((H, 32, 3)), L.Conv2D(8, K), L.Flatten(), L.Dense(2)])
    assert H in m.total_params.free_symbols and K in m.total_params.free_symbols
    # K*K*3*8 + 8 weights; Dense: (H-K+1)*(32-K+1)*8*2 + 2
    expected = K**2 * 3 * 8 + 8 + (H - K + 1) * (33 - K) * 8 * 2 + 2
    assert sympy.expand(m.total_params - expected) == 0
    assert m.total_params.subs({H: 20, K: 3}) == 3 * 3 * 3 * 8 + 8 + 18 * 30 * 16 + 2


@pytest.mark.parametrize("n_blocks", [100, 800])
def test_long_chains_stay_one_floor_deep(n_blocks: int) -> None:
    H = sympy.Symbol("H", positive=True, integer=True)
    layers = [L.Input((H, 7, 4))]
    for _ in range(n_blocks):
        layers += [L.Conv2D(4, (3, 1), padding="same"), L.MaxPooling2D((2, 1), strides=(1, 1), padding="same")]
    m = Sequential(layers)
    height = m.layers[-1].output_shape[1]
    assert height == H  # 'same' with stride 1 keeps the size, however long the chain
    layers = [L.Input((H, 7, 4))] + [L.MaxPooling2D((1, 1), strides=(2, 1)) for _ in range(n_blocks)]
    deep = Sequential(layers).layers[-1].output_shape[1]
    assert sympy.count_ops(deep) < 10  # one floor, not n nested floors
    assert deep.subs(H, 2**20) == sympy.floor(sympy.Rational(2**20 - 1, 2**n_blocks)) + 1  # ⌈H / 2^n⌉
    str(deep)  # printing must not recurse n deep


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("36928", 36928), ("36,928", 36928), ("(3^2*64*64)+64", 3**2 * 64 * 64 + 64),
        ("(3² × 64 × 64) + 64", 3**2 * 64 * 64 + 64), ("3x3x64x64 + 64", 3 * 3 * 64 * 64 + 64),
        ("(12544 x 128) + 128", 12544 * 128 + 128), ("128*4 + 4", 516), ("[(3² x 64 x 1) + 64]", 640),
        ("2**10", 1024), ("14 · 14 · 64", 12544), ("(29 − 2)/2 + 1", sympy.Rational(29, 2)),
    ],
)
def test_parser_reads_arithmetic_as_people_write_it(text: str, value: object) -> None:
    assert parse(text) == value


@pytest.mark.parametrize(
    "text",
    ["__import__('os').system('true')", "exec('1')", "1 +", "3 $ 4", "(" * 10000 + "1" + ")" * 10000, "9^9^9^9",
     "2^100000", "lambda: 1", "a.b", "36 928", "1e4", ""],
)
def test_parser_refuses_quickly(text: str) -> None:
    start = time.perf_counter()
    with pytest.raises((ParseError, LimitError)):
        parse(text)
    assert time.perf_counter() - start < 1.0
