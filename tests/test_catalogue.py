"""``symcnn layers``: the catalogue's formulas, printed from each layer's code, are Keras's and torch's counts."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sympy

from symcnn.cli import main
from symcnn.expr import split_top_level
from symcnn.layers import Layer
from symcnn.layers.torch import TORCH_LAYERS

VALUES = {"C": 3, "C_2": 5, "F": 8, "U": 7, "E": 6, "V": 50, "H": 17, "W": 19, "L": 11, "D": 9,
          "k_h": 3, "k_w": 5, "k_l": 4, "k_d": 2, "s_h": 2, "s_w": 1, "s_l": 3, "s_d": 1, "k": 3, "s": 2}


def catalogue(capsys: pytest.CaptureFixture[str], *names: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["layers", *names, "--format", "json"]) == 0
    return {e["type"]: e for e in json.loads(capsys.readouterr().out)}


def at_values(text: str) -> int:
    local = {n: sympy.Symbol(n) for n in VALUES}
    return int(sympy.sympify(text, locals=local).subs({local[n]: v for n, v in VALUES.items()}))


def shape_at_values(text: str) -> list[Any]:
    inner = text[1:-1]
    return [None if part.strip() == "None" else at_values(part) for part in split_top_level(inner) if part.strip()]


# (catalogue type, Keras layer made with the catalogue's example arguments at VALUES, input shape at VALUES)
KERAS_CASES = [
    ("Conv2D", lambda L: L.Conv2D(8, (3, 5), strides=(2, 1)), (17, 19, 3)),
    ("Conv1D", lambda L: L.Conv1D(8, 4, strides=3), (11, 3)),
    ("Conv3D", lambda L: L.Conv3D(8, (2, 3, 5), strides=(1, 2, 1)), (9, 17, 19, 3)),
    ("DepthwiseConv2D", lambda L: L.DepthwiseConv2D((3, 5), strides=(2, 1)), (17, 19, 3)),
    ("SeparableConv2D", lambda L: L.SeparableConv2D(8, (3, 5), strides=(2, 1)), (17, 19, 3)),
    ("Conv2DTranspose", lambda L: L.Conv2DTranspose(8, (3, 5), strides=(2, 1)), (17, 19, 3)),
    ("MaxPooling2D", lambda L: L.MaxPooling2D((3, 5), strides=(2, 1)), (17, 19, 3)),
    ("Dense", lambda L: L.Dense(7), (3,)),
    ("BatchNormalization", lambda L: L.BatchNormalization(), (3,)),
    ("LSTM", lambda L: L.LSTM(7), (11, 3)),
    ("GRU", lambda L: L.GRU(7), (11, 3)),
    ("Embedding", lambda L: L.Embedding(50, 6), (3,)),
    ("GlobalAveragePooling2D", lambda L: L.GlobalAveragePooling2D(), (17, 19, 3)),
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "make", "shape"), KERAS_CASES, ids=[c[0] for c in KERAS_CASES])
def test_the_catalogues_formulas_are_kerass_counts(name: str, make: Any, shape: tuple[int, ...], capsys: pytest.CaptureFixture[str]) -> None:
    keras = pytest.importorskip("keras")
    entry = catalogue(capsys, name)[name]
    assert [shape_at_values(s) for s in entry["input_shapes"]] == [[None, *shape]]
    x = keras.Input(shape)
    layer = make(keras.layers)
    y = layer(x)
    assert shape_at_values(entry["output_shape"]) == list(y.shape)
    assert at_values(entry["params"]) == layer.count_params()
    assert at_values(entry["trainable"]) == sum(int(sympy.prod(w.shape)) for w in layer.trainable_weights)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "make", "shape"),
    [("Conv2d", lambda nn: nn.Conv2d(3, 8, (3, 5), stride=(2, 1)), (1, 3, 17, 19)),
     ("Linear", lambda nn: nn.Linear(3, 7), (1, 3)),
     ("BatchNorm2d", lambda nn: nn.BatchNorm2d(3), (1, 3, 17, 19)),
     ("LSTM", lambda nn: nn.LSTM(3, 7, batch_first=False), (1, 11, 3))],
)
def test_the_catalogues_torch_formulas_are_torchs_counts(name: str, make: Any, shape: tuple[int, ...],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    torch = pytest.importorskip("torch")
    (entry,) = [e for e in json.loads(_json(capsys, "--convention", "torch")) if e["type"] == name]
    module = make(torch.nn)
    out = module(torch.zeros(shape))
    out = out[0] if isinstance(out, tuple) else out
    assert shape_at_values(entry["output_shape"]) == list(out.shape)
    assert at_values(entry["params"]) == sum(p.numel() for p in module.parameters())


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    assert main(["layers", *argv, "--format", "json"]) == 0
    return capsys.readouterr().out


def test_every_registered_layer_type_is_in_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    entries = json.loads(_json(capsys))
    listed = {e["type"] for e in entries} | {a for e in entries for a in e["aliases"]}
    assert set(Layer.registry) - {"InputLayer", "Sequential"} <= listed
    assert set(TORCH_LAYERS) <= listed
    for e in entries:
        assert (e["output_shape"] is None) == (e["note"] is not None)  # formulas, or the reason there are none


def test_the_text_catalogue_shows_arguments_and_formulas(capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["layers", "Conv2D"]) == 0
    out = capsys.readouterr().out
    assert "arguments: filters, kernel_size, strides=1, padding='valid'" in out
    assert "output shape: (None, floor((H - k_h)/s_h) + 1, floor((W - k_w)/s_w) + 1, F)" in out


def test_an_unknown_layer_type_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["layers", "Frobnicate"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Frobnicate" in err
