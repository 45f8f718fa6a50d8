"""Worked steps: the general formula, at the layer's values, gives the engine's own numbers.

The expected numbers come from the tutorial (../shared/seed) and from Keras's
documented rules worked out here independently, never from symcnn's output.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sympy

from symcnn import Sequential, load
from symcnn import layers as L
from symcnn.expr import parse
from symcnn.render.latex import FormulaPrinter, ValuePrinter, arrange
from symcnn.render.text import md_escape
from symcnn.render.worked import layer_work, model_work

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "examples" / "seed.yaml"


def _arith(tex: str) -> int:
    """Evaluate a substitution line as a reader would: floors, fractions, ×, + and −."""
    text = tex.replace(r"\left", "").replace(r"\right", "").replace(r"\times", "*")
    text = re.sub(r"\^\{(\d+)\}", r"^\1", text)
    text = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", r"((\1)/(\2))", text)
    text = text.replace(r"\lfloor", "floor(").replace(r"\rfloor", ")").replace(r"\lceil", "ceil(").replace(r"\rceil", ")")
    while r"\max(" in text:
        start = text.index(r"\max(")
        depth, i = 0, start + 4
        for i in range(start + 4, len(text)):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            if depth == 0:
                break
        inner = text[start + 5 : i]
        parts = _top_level_split(inner)
        text = text[:start] + str(max(int(parse(p)) for p in parts)) + text[i + 1 :]
    assert "\\" not in text, text
    return int(parse(text))


def _top_level_split(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [*parts, current]


# The tutorial's layer-by-layer numbers: (layer, output shape, substituted params, params).
TUTORIAL = [
    ("conv2d", (None, 62, 62, 64), "(3 \\times 3 \\times 1 \\times 64) + 64", 640),
    ("max_pooling2d", (None, 31, 31, 64), None, 0),
    ("conv2d_1", (None, 29, 29, 64), "(3 \\times 3 \\times 64 \\times 64) + 64", 36928),
    ("max_pooling2d_1", (None, 14, 14, 64), None, 0),
    ("flatten", (None, 12544), None, 0),
    ("dense", (None, 128), "(12544 \\times 128) + 128", 1605760),
    ("dense_1", (None, 4), "(128 \\times 4) + 4", 516),
]


@pytest.mark.parametrize(("name", "shape", "substituted", "params"), TUTORIAL)
def test_seed_layer_steps_match_the_tutorial(name: str, shape: tuple, substituted: str | None, params: int) -> None:
    work = layer_work(load(SEED).get_layer(name))
    assert not work.fallback and not work.symbolic
    assert work.record.output_shape == shape
    for step in work.shape_steps:
        assert step.substituted is not None
        assert _arith(step.substituted) == int(step.result)
    if substituted is None:
        assert work.param_steps == [] and "nothing to learn" in work.param_note
    else:
        (step,) = work.param_steps
        assert step.substituted == substituted
        assert step.result == str(params)
        assert _arith(step.substituted) == params
        assert step.words == r"\text{kernel} + \text{bias}"


@pytest.mark.parametrize(
    ("name", "formula_parts", "substituted"),
    [
        ("conv2d", [r"H_{\text{in}} + p_{\text{top}} + p_{\text{bottom}} - d_{h} \times (k_{h} - 1) - 1", "s_{h}", r"\lfloor"],
         r"\left\lfloor \frac{64 + 0 + 0 - 1 \times (3 - 1) - 1}{1} \right\rfloor + 1"),
        ("max_pooling2d", [r"H_{\text{in}} + p_{\text{top}} + p_{\text{bottom}} - k_{h}"],
         r"\left\lfloor \frac{62 + 0 + 0 - 2}{2} \right\rfloor + 1"),
        ("flatten", [r"H_{\text{in}} \times W_{\text{in}} \times C_{\text{in}}"], r"14 \times 14 \times 64"),
    ],
)
def test_output_size_formula_has_floor_and_padding_on_both_sides(name: str, formula_parts: list[str], substituted: str) -> None:
    step = layer_work(load(SEED).get_layer(name)).shape_steps[0]
    for part in formula_parts:
        assert part in step.formula
    assert step.substituted == substituted


def test_floor_note_explains_fourteen() -> None:
    step = layer_work(load(SEED).get_layer("max_pooling2d_1")).shape_steps[0]
    assert "14.5" in step.note and "floor" in step.note


@pytest.mark.parametrize(
    ("layer", "input_shape", "expected_out", "expected_params"),
    [
        # Keras rules, worked by hand: 'same' -> ceil(n/s); valid -> floor((n - d(k-1) - 1)/s) + 1.
        (L.Conv2D(8, 3, strides=2, padding="same"), (None, 15, 15, 3), (None, 8, 8, 8), 3 * 3 * 3 * 8 + 8),
        (L.Conv2D(4, (5, 3), strides=(2, 1), dilation_rate=1), (None, 20, 9, 2), (None, 8, 7, 4), 5 * 3 * 2 * 4 + 4),
        (L.Conv2D(4, 3, dilation_rate=2, use_bias=False), (None, 20, 20, 2), (None, 16, 16, 4), 3 * 3 * 2 * 4),
        (L.Conv1D(6, 4, strides=3), (None, 50, 2), (None, 16, 6), 4 * 2 * 6 + 6),
        (L.DepthwiseConv2D(3, depth_multiplier=2), (None, 10, 10, 5), (None, 8, 8, 10), 3 * 3 * 5 * 2 + 10),
        (L.SeparableConv2D(7, 3, padding="same"), (None, 9, 9, 4), (None, 9, 9, 7), 3 * 3 * 4 + 4 * 7 + 7),
        (L.Conv2DTranspose(3, 3, strides=2), (None, 7, 7, 2), (None, 15, 15, 3), 3 * 3 * 3 * 2 + 3),
        (L.MaxPooling2D(3, strides=2, padding="same"), (None, 11, 11, 3), (None, 6, 6, 3), 0),
        (L.AveragePooling1D(2), (None, 9, 4), (None, 4, 4), 0),
        (L.GlobalAveragePooling2D(), (None, 7, 7, 32), (None, 32), 0),
        (L.Dense(10), (None, 6, 20), (None, 6, 10), 20 * 10 + 10),
        (L.Flatten(), (None, 3, 4, 5), (None, 60), 0),
        (L.Dropout(0.5), (None, 12), (None, 12), 0),
    ],
)
def test_every_step_evaluates_to_the_engine_result(layer, input_shape, expected_out, expected_params) -> None:
    model = Sequential([L.Input(input_shape[1:]), layer])
    work = layer_work(model.records[-1])
    assert not work.fallback
    assert work.record.output_shape == expected_out
    assert int(work.record.params) == expected_params
    for step in work.shape_steps + work.param_steps + work.mac_steps:
        assert step.substituted is not None, step
        assert _arith(step.substituted) == int(step.result), step
    if expected_params:
        assert sum(int(s.result) for s in work.param_steps if "Trainable" in s.title) == expected_params
    else:
        assert work.param_note


def test_batchnorm_shows_trainable_and_non_trainable() -> None:
    bn = L.registry.get("BatchNormalization")
    if bn is None:
        pytest.skip("BatchNormalization not registered yet")
    model = Sequential([L.Input((6, 6, 16)), bn()])
    work = layer_work(model.records[-1])
    titles = [s.title for s in work.param_steps]
    assert any(t.startswith("Trainable") for t in titles) and any(t.startswith("Non-trainable") for t in titles)
    results = {s.title.split()[0]: int(s.result) for s in work.param_steps}
    assert results["Trainable"] == 2 * 16 and results["Non-trainable"] == 2 * 16 and results["Parameters"] == 64


def test_symbolic_page_omits_substitution_and_shows_closed_forms() -> None:
    model = load(REPO / "examples" / "seed_symbolic.yaml")
    works = model_work(model)
    conv = works[0]
    assert conv.param_steps[0].formula == r"(k_{h} \times k_{w} \times C_{\text{in}} \times F) + F"
    assert conv.symbolic and not conv.fallback
    assert all(s.substituted is None for s in conv.shape_steps + conv.param_steps)
    assert conv.shape_steps[0].result == "H - 2"
    assert "F" in conv.param_steps[0].result and "C" in conv.param_steps[0].result
    assert not any(w.fallback for w in works)


def test_same_model_gives_identical_steps() -> None:
    a = [(s.formula, s.substituted, s.result) for w in model_work(load(SEED)) for s in w.shape_steps + w.param_steps]
    b = [(s.formula, s.substituted, s.result) for w in model_work(load(SEED)) for s in w.shape_steps + w.param_steps]
    assert a == b


def test_value_printer_keeps_the_formula_structure() -> None:
    k_h, k_w, c, f = sympy.symbols("k_h k_w C F", positive=True, integer=True)
    expr = arrange(k_h * k_w * c * f + f, {k_h: 0, k_w: 1, c: 2, f: 3})
    names = {k_h: "k_{h}", k_w: "k_{w}", c: r"C_{\text{in}}", f: "F"}
    assert FormulaPrinter(names).doprint(expr) == r"k_{h} \times k_{w} \times C_{\text{in}} \times F + F"
    assert ValuePrinter({k_h: 3, k_w: 3, c: 1, f: 64}, names).doprint(expr) == r"3 \times 3 \times 1 \times 64 + 64"


@pytest.mark.parametrize(
    "text",
    ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))", "$\\frac{1}{2}$",
     "**bold** _it_ `code` | pipe", "a\nb"],
)
def test_md_escape_leaves_no_markup(text: str) -> None:
    out = md_escape(text)
    assert not re.search(r"[<>\[\]()`*_|$\\\n]", out)
    assert re.sub(r"&#(\d+);", lambda m: chr(int(m[1])), out) == " ".join(text.split())


def test_model_and_layer_display_their_worked_solution_in_jupyter() -> None:
    model = load(SEED)
    md = model._repr_markdown_() if hasattr(model, "_repr_markdown_") else None
    if md is None:
        pytest.skip("Model._repr_markdown_ not wired yet (model.py belongs to the lead)")
    assert "1,643,844" in md and r"\text{kernel} + \text{bias}" in md
    assert "36928" in model.get_layer("conv2d_1")._repr_markdown_()
    assert model.worked_solution() == md


def _keras_lenet5() -> object:
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input((32, 32, 1)), layers.Conv2D(6, 5, activation="tanh"), layers.AveragePooling2D(2, 2),
        layers.Conv2D(16, 5, activation="tanh"), layers.AveragePooling2D(2, 2), layers.Flatten(),
        layers.Dense(120, activation="tanh"), layers.Dense(84, activation="tanh"), layers.Dense(10),
    ])


def _keras_alexnet() -> object:
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input((227, 227, 3)), layers.Conv2D(96, 11, strides=4), layers.MaxPooling2D(3, 2),
        layers.Conv2D(256, 5, padding="same"), layers.MaxPooling2D(3, 2), layers.Conv2D(384, 3, padding="same"),
        layers.Conv2D(384, 3, padding="same"), layers.Conv2D(256, 3, padding="same"), layers.MaxPooling2D(3, 2),
        layers.Flatten(), layers.Dense(4096), layers.Dropout(0.5), layers.Dense(4096), layers.Dropout(0.5),
        layers.Dense(1000),
    ])


@pytest.mark.slow
@pytest.mark.parametrize("example", ["lenet5", "alexnet", "VGG16", "ResNet50", "MobileNetV2"])
def test_gallery_examples_are_exact_keras_ports_with_formula_backed_steps(example: str) -> None:
    """Every layer of each gallery model: Keras's own shape and counts, and a worked step for each."""
    pytest.importorskip("keras")
    from truth.keras_truth import applications_truth, keras_truth

    if example in ("lenet5", "alexnet"):
        truth = keras_truth(_keras_lenet5() if example == "lenet5" else _keras_alexnet())
        model = load(REPO / "examples" / f"{example}.yaml")
    else:
        truth = applications_truth(example)
        model = load(REPO / "examples" / f"{example.lower()}.yaml")
    assert int(model.total_params) == truth["total_params"]
    assert int(model.trainable_params) == truth["trainable_params"]
    assert int(model.non_trainable_params) == truth["non_trainable_params"]
    rows = [r for r in truth["layers"] if r["class_name"] != "InputLayer"]
    works = model_work(model)
    assert len(works) == len(rows)
    for work, row in zip(works, rows):
        assert tuple(work.record.output_shape) == tuple(row["output_shape"]), work.name
        assert int(work.record.params) == row["params"], work.name
        assert not work.fallback, work.name
        shown = sum(int(s.result) for s in work.param_steps if not s.title.startswith("Parameters"))
        assert shown == row["params"], work.name


# Layer families beyond the gallery, as YAML: (input, convention, layers).
FAMILIES = {
    "conv3d": ([16, 16, 16, 3], "keras", [{"Conv3D": {"filters": 4, "kernel_size": 3, "strides": 2}},
                                          {"MaxPooling3D": {"pool_size": 2}}]),
    "resize": ([8, 8, 3], "keras", [{"UpSampling2D": {"size": 2}}, {"Cropping2D": {"cropping": [[1, 2], [0, 1]]}},
                                    {"ZeroPadding2D": {"padding": [[1, 0], [2, 3]]}}, {"Permute": {"dims": [2, 1, 3]}}]),
    "recurrent": ([10, 8], "keras", [{"LSTM": {"units": 16, "return_sequences": True}}, {"GRU": {"units": 8}},
                                     {"RepeatVector": {"n": 3}}, {"SimpleRNN": {"units": 4}}]),
    "sequence": ([12], "keras", [{"Embedding": {"input_dim": 100, "output_dim": 8}},
                                 {"Conv1D": {"filters": 4, "kernel_size": 3, "padding": "causal"}},
                                 {"SeparableConv1D": {"filters": 5, "kernel_size": 2}}, {"GlobalMaxPooling1D": {}}]),
    "norms": ([6, 6, 8], "keras", [{"LayerNormalization": {}}, {"GroupNormalization": {"groups": 2}},
                                   {"Reshape": {"target_shape": [36, 8]}}, {"Dense": {"units": 3}}]),
    "torch": ([3, 32, 32], "torch", [
        {"Conv2d": {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "padding": 1, "stride": 2}},
        {"BatchNorm2d": {"num_features": 8}}, {"MaxPool2d": {"kernel_size": 3, "stride": 2, "ceil_mode": True}},
        {"Flatten": {}}, {"Linear": {"in_features": 512, "out_features": 10}}]),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_layer_family_gets_formulas_that_become_mathml(family: str) -> None:
    pytest.importorskip("math_core")
    import yaml

    from symcnn.io.yaml_reader import model_from_yaml
    from symcnn.render.mathml import latex_to_mathml

    shape, convention, layers = FAMILIES[family]
    model = model_from_yaml(yaml.safe_dump({"name": family, "input": shape, "convention": convention, "layers": layers}))
    for work in model_work(model):
        assert not work.fallback, work.name
        for step in work.shape_steps + work.param_steps + work.mac_steps:
            if step.substituted is not None and r"\begin{cases}" not in step.substituted:
                assert _arith(step.substituted) == int(step.result), (work.name, step)
            for tex in (step.formula, step.substituted, step.result, step.words, step.lhs):
                if tex:
                    assert latex_to_mathml(tex, display=True).startswith("<math")
