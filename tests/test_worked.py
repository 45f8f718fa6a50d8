"""Worked steps: the general formula, at the layer's values, gives the engine's own numbers, written as a person writes them.

The expected numbers come from the tutorial (../shared/seed) and from Keras's documented
rules worked out here independently, never from symcnn's output. Every formula is read back
by tests/mathread.py, a reader written apart from symcnn's printers.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
import sympy

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mathread import ReadError, equal, read_latex, read_mathml, symbol_name
from page_models import FAMILIES, family_model

from symcnn import Sequential, load
from symcnn import layers as L
from symcnn.render.latex import Formula, FormulaPrinter, ValuePrinter, arrange, shape_latex
from symcnn.render.text import md_escape
from symcnn.render.worked import LayerWork, layer_work, model_work

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "examples" / "seed.yaml"
SYMBOLIC = REPO / "examples" / "seed_symbolic.yaml"


def _number(tex: str | None) -> int:
    """A substitution or result read as a reader would: floors, fractions, ×, + and −, grouped digits."""
    assert tex is not None
    value = read_latex(tex, {})
    assert value.is_Integer, (tex, value)
    return int(value)


def _one(expr: Any) -> Formula:
    return Formula(expr)


# ---- the tutorial's numbers ------------------------------------------------------------------

# The tutorial's layer-by-layer numbers: (layer, output shape, the size as written, substituted params, params).
TUTORIAL = [
    ("conv2d", (None, 62, 62, 64), "(64 - 3) + 1", "(3 \\times 3 \\times 1 \\times 64) + 64", 640),
    ("max_pooling2d", (None, 31, 31, 64), r"\left\lfloor \frac{62 - 2}{2} \right\rfloor + 1", None, 0),
    ("conv2d_1", (None, 29, 29, 64), "(31 - 3) + 1", "(3 \\times 3 \\times 64 \\times 64) + 64", 36928),
    ("max_pooling2d_1", (None, 14, 14, 64), r"\left\lfloor \frac{29 - 2}{2} \right\rfloor + 1", None, 0),
    ("flatten", (None, 12544), r"14 \times 14 \times 64", None, 0),
    ("dense", (None, 128), None, "(12{,}544 \\times 128) + 128", 1605760),
    ("dense_1", (None, 4), None, "(128 \\times 4) + 4", 516),
]


@pytest.mark.parametrize(("name", "shape", "size", "substituted", "params"), TUTORIAL)
def test_seed_layer_steps_are_written_as_the_tutorial_writes_them(
    name: str, shape: tuple, size: str | None, substituted: str | None, params: int
) -> None:
    work = layer_work(load(SEED).get_layer(name))
    assert not work.fallback and not work.symbolic
    assert work.record.output_shape == shape
    if size is None:
        assert work.shape_steps == []
    else:
        (step,) = work.shape_steps  # height and width: one derivation, W_out = H_out
        assert step.substituted == size
        assert _number(step.substituted) == _number(step.result) == shape[1]
    if substituted is None:
        assert work.param_steps == [] and "nothing to learn" in work.param_note
    else:
        (step,) = work.param_steps
        assert step.substituted == substituted
        assert step.result == rf"\mathbf{{{params:,}}}".replace(",", "{,}")  # the bold result, grouped
        assert _number(step.substituted) == params
        assert step.words == r"\text{kernel} + \text{bias}"


def test_the_width_is_the_height_when_the_numbers_are_the_same() -> None:
    (step,) = layer_work(load(SEED).get_layer("conv2d")).shape_steps
    assert step.title == "Output height and width"
    assert [f.tex() for f in step.also] == [r"W_{\text{out}}"]


def test_general_formula_keeps_padding_and_dilation_the_substitution_does_not() -> None:
    step = layer_work(load(SEED).get_layer("conv2d")).shape_steps[0]
    for part in (r"p_{\text{top}}", r"p_{\text{bottom}}", r"d_{h} \times (k_{h} - 1)", "s_{h}", r"\lfloor"):
        assert part in step.formula
    for model in (load(SEED), family_model("conv2d"), family_model("pooling")):
        for work in model_work(model):
            if not hasattr(work.record.layer, "strides"):
                continue
            for s in work.shape_steps:
                assert s.substituted is not None
                assert "+ 0" not in s.substituted and "- 0" not in s.substituted, (work.name, s.substituted)
                assert not re.search(r"(^|[^\d{,])1 \\times", s.substituted), (work.name, s.substituted)
                assert r"{1}" not in s.substituted, (work.name, s.substituted)  # no division by a stride of 1


def test_floor_note_explains_fourteen_and_only_where_the_floor_matters() -> None:
    notes = {w.name: " ".join(s.note for s in w.shape_steps) for w in model_work(load(SEED))}
    assert "14.5" in notes["max_pooling2d_1"] and "floor" in notes["max_pooling2d_1"]
    assert notes["max_pooling2d"] == ""  # (62 - 2)/2 is whole: nothing to say


# ---- the Keras rules, worked by hand ------------------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "input_shape", "expected_out", "expected_params"),
    [
        # 'same' -> ceil(n/s); valid -> floor((n - d(k-1) - 1)/s) + 1; transposed valid -> (n-1)s + max(k, s).
        (L.Conv2D(8, 3, strides=2, padding="same"), (None, 15, 15, 3), (None, 8, 8, 8), 3 * 3 * 3 * 8 + 8),
        (L.Conv2D(4, (5, 3), strides=(2, 1), dilation_rate=1), (None, 20, 9, 2), (None, 8, 7, 4), 5 * 3 * 2 * 4 + 4),
        (L.Conv2D(4, 3, dilation_rate=2, use_bias=False), (None, 20, 20, 2), (None, 16, 16, 4), 3 * 3 * 2 * 4),
        (L.Conv1D(6, 4, strides=3), (None, 50, 2), (None, 16, 6), 4 * 2 * 6 + 6),
        (L.DepthwiseConv2D(3, depth_multiplier=2), (None, 10, 10, 5), (None, 8, 8, 10), 3 * 3 * 5 * 2 + 10),
        (L.SeparableConv2D(7, 3, padding="same"), (None, 9, 9, 4), (None, 9, 9, 7), 3 * 3 * 4 + 4 * 7 + 7),
        (L.Conv2DTranspose(3, 3, strides=2), (None, 7, 7, 2), (None, 15, 15, 3), 3 * 3 * 3 * 2 + 3),
        (L.Conv2DTranspose(3, 3, strides=2, padding="same"), (None, 7, 7, 2), (None, 14, 14, 3), 3 * 3 * 3 * 2 + 3),
        (L.Conv2DTranspose(2, 1, strides=2), (None, 5, 5, 2), (None, 10, 10, 2), 1 * 1 * 2 * 2 + 2),
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
        assert _number(step.substituted) == _number(step.result), step
    if expected_params:
        assert sum(_number(s.result) for s in work.param_steps if "Trainable" in s.title) == expected_params
    else:
        assert work.param_note


def _single(layer: Any, shape: tuple) -> LayerWork:
    return layer_work(Sequential([L.Input(shape), layer]).records[-1])


def test_same_padding_shows_the_zeros_keras_adds() -> None:
    # TensorFlow's rule: total = max((ceil(n/s) - 1)·s + k - n, 0) = (8 - 1)·2 + 3 - 15 = 2, one before, one after.
    (step,) = _single(L.Conv2D(8, 3, strides=2, padding="same"), (15, 15, 3)).shape_steps
    assert r"p_{\text{top}} = 1" in step.note and r"p_{\text{bottom}} = 1" in step.note and "2 zeros" in step.note
    assert step.substituted == r"\left\lfloor \frac{15 + 1 + 1 - 3}{2} \right\rfloor + 1"
    assert _number(step.result) == 8
    # k = 4, s = 1, n = 10: total 3, one before and two after (Keras pads more at the end).
    (step,) = _single(L.Conv2D(2, 4, padding="same"), (10, 10, 1)).shape_steps
    assert r"p_{\text{top}} = 1" in step.note and r"p_{\text{bottom}} = 2" in step.note
    assert step.substituted == "(10 + 1 + 2 - 4) + 1"


def test_transposed_convolution_is_written_in_the_textbook_form() -> None:
    (step,) = _single(L.Conv2DTranspose(3, 3, strides=2), (7, 7, 2)).shape_steps
    for part in (r"(H_{\text{in}} - 1)", "s_{h}", r"d_{h} \times (k_{h} - 1)", r"p_{h}", "o_{h}"):
        assert part in step.formula
    assert step.substituted == r"2 \times (7 - 1) + 3"  # s·(n - 1) + k: no padding, no dilation of 1
    assert "ceil" not in step.note and r"\lceil" not in step.note  # not the forward convolution's 'same' note
    (step,) = _single(L.Conv2DTranspose(3, 3, strides=2, padding="same"), (7, 7, 2)).shape_steps
    # Keras 'same': output n·s = 14 = (7 - 1)·2 + 3 - 2·1 + 1: it crops p = 1 per side and adds o = 1.
    assert step.substituted == r"2 \times (7 - 1) + 3 + 1 - 2 \times 1"
    assert _number(step.result) == 14
    assert "p_{h} = 1" in step.note and "o_{h} = 1" in step.note and r"\lceil" not in step.note
    (step,) = _single(L.Conv2DTranspose(2, 1, strides=2), (5, 5, 2)).shape_steps
    assert step.substituted == r"2 \times (5 - 1) + 1 + 1" and "no gap" in step.note  # o = s - k = 1


def test_mac_titles_say_what_is_counted_for_each_layer_type() -> None:
    titles = {
        "conv": _single(L.Conv2D(4, 3), (8, 8, 2)).mac_steps[0].title,
        "dense": _single(L.Dense(4), (8,)).mac_steps[0].title,
        "bn": _single(L.registry["BatchNormalization"](), (8, 8, 4)).mac_steps[0].title,
        "lstm": _single(L.registry["LSTM"](4), (5, 3)).mac_steps[0].title,
        "transposed fvcore": _single(L.Conv2DTranspose(2, 3, strides=2), (4, 4, 2)).mac_steps[1].title,
    }
    assert "once per output position" in titles["conv"]
    assert "once per sample" in titles["dense"] and "output position" not in titles["dense"]
    assert "moving statistics are not counted" in titles["bn"] and "output position" not in titles["bn"]
    assert "once per time step" in titles["lstm"]
    assert "once per input position" in titles["transposed fvcore"]


def test_recurrent_layers_name_their_gates_and_reset_after_its_second_bias() -> None:
    lstm = _single(L.registry["LSTM"](4), (5, 3)).param_note
    assert all(g in lstm for g in ("input $i$", "forget $f$", "output $o$", "4 gates"))
    gru = _single(L.registry["GRU"](4), (5, 3)).param_note
    assert "update $z$" in gru and "reset $r$" in gru and "reset_after=True" in gru and "two" in gru
    assert "one bias per gate" in _single(L.registry["GRU"](4, reset_after=False), (5, 3)).param_note


def test_use_bias_false_says_why_there_is_no_bias() -> None:
    model = Sequential([L.Input((8, 8, 3)), L.Conv2D(4, 3, use_bias=False), L.registry["BatchNormalization"]()])
    note = model_work(model)[0].param_note
    assert "use_bias=False" in note and "BatchNormalization" in note and r"\beta" in note
    alone = _single(L.Dense(3, use_bias=False), (4,)).param_note
    assert "use_bias=False" in alone and "no bias" in alone


def test_batchnorm_shows_trainable_and_non_trainable() -> None:
    work = _single(L.registry["BatchNormalization"](), (6, 6, 16))
    results = {s.title.split()[0]: _number(s.result) for s in work.param_steps}
    assert results == {"Trainable": 2 * 16, "Non-trainable": 2 * 16, "Parameters": 64}


def test_symbolic_page_substitutes_the_known_sizes_and_keeps_the_symbols() -> None:
    conv = model_work(load(SYMBOLIC))[0]
    assert conv.symbolic and not conv.fallback
    (step,) = conv.param_steps
    assert step.formula == r"(k_{h} \times k_{w} \times C_{\text{in}} \times F) + F"
    assert step.substituted == r"(3 \times 3 \times C \times F) + F"
    assert step.result == r"9 \times C \times F + F"
    assert [s.substituted for s in conv.shape_steps] == ["(H - 3) + 1", "(W - 3) + 1"]
    assert [s.result for s in conv.shape_steps] == ["H - 2", "W - 2"]
    assert not any(w.fallback for w in model_work(load(SYMBOLIC)))


def test_symbolic_input_shapes_keep_their_brackets() -> None:
    pool = model_work(load(SYMBOLIC))[1]
    (quantity,) = [q for q in pool.quantities if q.label == "input"]
    assert quantity.value == r"(H - 2) \times (W - 2) \times F"
    H, W, F = sympy.symbols("H W F")
    assert equal(read_latex(quantity.value, {"H": H, "W": W, "F": F}), (H - 2) * (W - 2) * F)


def test_same_model_gives_identical_steps() -> None:
    a = [(s.formula, s.substituted, s.result) for w in model_work(load(SEED)) for s in w.steps()]
    b = [(s.formula, s.substituted, s.result) for w in model_work(load(SEED)) for s in w.steps()]
    assert a == b


def test_value_printer_keeps_the_formula_structure() -> None:
    k_h, k_w, c, f = sympy.symbols("k_h k_w C F", positive=True, integer=True)
    expr = arrange(k_h * k_w * c * f + f, {k_h: 0, k_w: 1, c: 2, f: 3})
    names = {k_h: "k_{h}", k_w: "k_{w}", c: r"C_{\text{in}}", f: "F"}
    assert FormulaPrinter(names).doprint(expr) == r"k_{h} \times k_{w} \times C_{\text{in}} \times F + F"
    assert ValuePrinter({k_h: 3, k_w: 3, c: 1, f: 64}, names).doprint(expr) == r"3 \times 3 \times 1 \times 64 + 64"


@pytest.mark.parametrize(("value", "tex"), [(640, "640"), (36928, "36{,}928"), (1605760, "1{,}605{,}760")])
def test_counts_have_thousands_separators(value: int, tex: str) -> None:
    assert FormulaPrinter().doprint(sympy.Integer(value)) == tex


def test_shapes_have_no_thousands_separators() -> None:
    assert " ".join(shape_latex((None, 12544, 12544, 12544))) == r"(\text{None},\, 12544,\, 12544,\, 12544)"
    assert FormulaPrinter().shape((None, 12544)) == r"(\text{None}, 12544)"


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
    md = model._repr_markdown_()
    assert "1,643,844" in md and r"\text{kernel}" in md and r"{} + \text{bias}" in md
    assert "36,928" in model.get_layer("conv2d_1")._repr_markdown_()
    assert model.worked_solution() == md


# ---- every formula reads back as the expression it was printed from -------------------------------


def _symbols_of(f: Formula) -> dict[str, Any]:
    """The symbols a reader of ``f`` can meet: the model's (in values) and the formula's own names."""
    table: dict[str, Any] = {}
    value = f.value
    for v in value if isinstance(value, tuple) else (value,):
        for s in getattr(v, "free_symbols", ()):
            table.setdefault(s.name, s)
    for sym, tex in f.names.items():
        if f.values is None or sym not in f.values:  # a substitution prints values, not names
            table.setdefault(symbol_name(tex), sym)
    return table


def _by_name(f: Formula) -> Any:
    """The expected value with each symbol replaced by the one its printed name reads as (equal names, one symbol)."""
    table = _symbols_of(f)
    rename = {sym: table[symbol_name(tex)] for sym, tex in f.names.items() if symbol_name(tex) in table}
    value = f.value
    if isinstance(value, tuple):
        return tuple(v if v is None else sympy.sympify(v).xreplace(rename) for v in value)
    return value if value is None else sympy.sympify(value).xreplace(rename)


def _formulas(work: LayerWork) -> list[Formula]:
    out: list[Formula] = []
    for step in work.steps():
        out += step.chain() + list(step.also) + ([step.lhs_f] if step.lhs_f is not None else [])
    for q in work.quantities:
        out += [q.symbol_f, q.value_f]
    return out


def _reads_back(f: Formula, mathml: bool) -> None:
    from symcnn.render.mathml import latex_to_mathml

    table, expected = _symbols_of(f), _by_name(f)
    for stretchy in (True, False):
        whole = f.tex(stretchy=stretchy)
        pieces = f.pieces(stretchy=stretchy)
        assert equal(read_latex(whole, table), expected), (whole, expected)
        assert equal(read_latex(" ".join(pieces), table), expected), (pieces, expected)
        if mathml:  # inline (tables, text) and display style (derivations), as the pages convert them
            for display in (False, True):
                markup = "".join(latex_to_mathml(p, display=display) for p in pieces)
                (value,) = read_mathml(markup, table)
                assert equal(value, expected), (pieces, value, expected)


READBACK_MODELS = ["seed", "seed_symbolic", *sorted(FAMILIES)]


def _readback_model(name: str) -> Any:
    return load(REPO / "examples" / f"{name}.yaml") if name.startswith("seed") else family_model(name)


@pytest.mark.parametrize("name", READBACK_MODELS)
def test_every_rendered_formula_reads_back_as_its_expression(name: str) -> None:
    """LaTeX (whole and cut into pieces) and MathML of every step and quantity of every layer."""
    pytest.importorskip("math_core")
    works = model_work(_readback_model(name))
    count = 0
    for work in works:
        # Two layers keep to their results: TimeDistributed (its inner layer keeps its numbers) and
        # GroupedQueryAttention (it refuses inputs of unknown, possibly different, sizes).
        assert not work.fallback or work.type in ("TimeDistributed", "GroupedQueryAttention"), work.name
        for f in _formulas(work):
            try:
                _reads_back(f, mathml=True)
            except ReadError as exc:
                raise AssertionError(f"{work.name}: {f.tex()!r}: {exc}") from None
            count += 1
    assert count > 5 * len(works)


def test_the_read_back_covers_every_layer_family() -> None:
    """The models above use a layer of every module of symcnn.layers (the families)."""
    from symcnn.layers.base import Layer

    used = {type(r.layer).__module__ for n in READBACK_MODELS for r in _readback_model(n).records}
    families = {c.__module__ for c in Layer.registry.values()} - {"symcnn.model", "symcnn.layers.torch.ops",
                                                                   "symcnn.layers.keras_ops.base"}
    families = {m for m in families if not m.startswith("symcnn.layers.keras_ops")}
    missing = families - used - {"symcnn.layers.applications", "symcnn.layers.preprocessing",
                                 "symcnn.layers.embedding", "symcnn.layers.torch.attention",
                                 "symcnn.layers.torch.einsum", "symcnn.layers.torch.indexing",
                                 "symcnn.layers.torch.windows"}
    assert not missing, missing
    # the families left out above, each with one layer, read back too
    extra = Sequential([L.Input((8, 8, 3)), L.registry["Rescaling"](scale=0.5), L.registry["LayerScale"](0.1, 3)])
    for work in model_work(extra):
        for f in _formulas(work):
            _reads_back(f, mathml=False)
    for work in model_work(Sequential([L.Input((6,)), L.registry["Embedding"](50, 4)])):
        for f in _formulas(work):
            _reads_back(f, mathml=False)
    # torch's traced-graph families: einsum, indexing by an integer tensor, Swin's patch merging
    from symcnn.model import Model

    a, b = L.Input((5, 7), batch_size=2), L.Input((7, 3), batch_size=2)
    table, index = L.Input((16, 4), batch_size=1), L.Input((9,), batch_size=1)
    grid = L.Input((6, 6, 8), batch_size=1)
    outputs = [
        L.registry["einsum"](equation="bij,bjk->bik")([a, b]),
        L.registry["index_tensor"](index=("tensor",))([table, index]),
        L.registry["patch_merging_pad"]()(grid),
    ]
    torch_ops = Model(inputs=[a, b, table, index, grid], outputs=outputs)
    assert {type(r.layer).__module__ for r in torch_ops.records} >= {
        "symcnn.layers.torch.einsum", "symcnn.layers.torch.indexing", "symcnn.layers.torch.windows"}
    for work in model_work(torch_ops):
        for f in _formulas(work):
            _reads_back(f, mathml=False)


@pytest.mark.parametrize(
    "shape",
    [(None, sympy.Symbol("H") - 2, sympy.Symbol("W") - 2, sympy.Symbol("F")),
     (None, sympy.floor((sympy.Symbol("H") + 2) / 4) - 2, 64),
     (None, sympy.Symbol("F") * (sympy.floor(sympy.Symbol("H") / 2) - 3) * (sympy.floor(sympy.Symbol("W") / 2) - 3))],
)
def test_symbolic_shapes_read_back_with_their_brackets(shape: tuple) -> None:
    from symcnn.render.mathml import latex_to_mathml

    table = {s.name: s for d in shape if d is not None for s in getattr(d, "free_symbols", ())}
    pieces = shape_latex(shape)
    assert equal(read_latex(" ".join(pieces), table), shape)
    (value,) = read_mathml("".join(latex_to_mathml(p, display=False) for p in pieces), table)
    assert equal(value, shape)


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
    """Every layer of each gallery model: Keras's own shape and counts, and a worked step for each that reads back."""
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
        shown = sum(_number(s.result) for s in work.param_steps if not s.title.startswith("Parameters"))
        assert shown == row["params"], work.name
        for f in _formulas(work):
            _reads_back(f, mathml=False)
