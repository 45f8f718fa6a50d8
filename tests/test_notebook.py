"""What Jupyter shows for a model and a layer: readable text, and the worked solution as HTML with MathML.

Jupyter (IPython's DisplayFormatter) asks an object for ``_repr_mimebundle_`` first and uses the
``text/plain`` and ``text/html`` it returns; these tests call it as Jupyter does.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from symcnn import load
from symcnn.io.yaml_reader import model_from_yaml
from symcnn.render.notebook import NOTEBOOK_LAYERS

REPO = Path(__file__).resolve().parent.parent
RAW_LATEX = re.compile(r"\\(frac|lfloor|rfloor|times|text|begin|left)\b|\$")


def _seed():
    return load(REPO / "examples" / "seed.yaml")


def _visible_text(page: str) -> str:
    return re.sub(r"<style>.*?</style>|<math.*?</math>|<[^>]+>", " ", page, flags=re.DOTALL)


def test_a_layer_shows_readable_text_not_a_dataclass_dump() -> None:
    rec = _seed().get_layer("conv2d_1")
    text = rec._repr_mimebundle_()["text/plain"]
    assert text.splitlines() == [
        "3. conv2d_1 (Conv2D)",
        "  input:  (None, 31, 31, 64) from max_pooling2d",
        "  output: (None, 29, 29, 64)",
        "  params: 36,928",
        "  MACs:   31,056,448 (torchinfo), 31,002,624 (fvcore)",
    ]
    assert "LayerRecord(" not in repr(rec) and "input_shapes=" not in repr(rec)
    assert repr(rec) == "<LayerRecord 3. conv2d_1 (Conv2D): output (None, 29, 29, 64), 36928 params>"


def test_a_model_shows_its_summary_table_as_text() -> None:
    text = _seed()._repr_mimebundle_()["text/plain"]
    assert text.startswith('Model: "seed"')
    assert "dense (Dense)" in text and "1,605,760" in text and "Total params: 1,643,844" in text


@pytest.mark.parametrize("which", ["model", "layer"])
def test_the_worked_solution_is_html_with_mathml_and_nothing_to_fetch(which: str) -> None:
    model = _seed()
    obj = model if which == "model" else model.get_layer("dense")
    page = obj._repr_mimebundle_()["text/html"]
    assert page.count("<math") >= (40 if which == "model" else 5)
    assert not RAW_LATEX.search(_visible_text(page)), RAW_LATEX.search(_visible_text(page))
    assert "<script" not in page and not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "1,605,760" in page or "1605760" in page
    assert obj._repr_html_() == page


def test_every_layer_shown_alone_keeps_its_own_number() -> None:
    model = _seed()
    for rec in model.records[1:]:
        heading = re.search(r"<h2>(\d+)\. ", rec._repr_html_())
        assert heading is not None and int(heading[1]) == rec.position
        assert rec._repr_mimebundle_()["text/plain"].startswith(f"{rec.position}. {rec.name} (")
    assert [r.position for r in model.records] == [None, 1, 2, 3, 4, 5, 6, 7]


def test_a_graph_numbers_its_layers_as_its_page_does_inputs_left_out() -> None:
    model = model_from_yaml("name: g\ninputs: {a: [4], b: [4]}\nlayers:\n"
                            "  - Dense: {units: 2, inputs: [a], name: x}\n  - Dense: {units: 2, inputs: [b], name: y}\n"
                            "  - Add: {inputs: [x, y]}\n")
    numbers = {r.name: r.position for r in model.records}
    assert [numbers[n] for n in ("a", "b", "x", "y")] == [None, None, 1, 2]
    assert model.get_layer("y")._repr_mimebundle_()["text/plain"].startswith("2. y (Dense)")


def test_a_big_model_gets_a_short_display() -> None:
    model = load(REPO / "examples" / "resnet50.yaml")
    assert len(model.records) > NOTEBOOK_LAYERS
    bundle = model._repr_mimebundle_()
    page, text = bundle["text/html"], bundle["text/plain"]
    assert len(page) < 40_000 and len(text) < 10_000
    assert "162 more layers" in text and "162 more layers" in page
    assert "25,636,712" in page and "Total params: 25,636,712" in text
    assert "worked_solution()" in page
    assert "conv5_block3_out" in text  # the last layers are shown


def test_a_symbolic_big_model_shows_its_closed_form_as_mathml() -> None:
    model = load(REPO / "examples" / "resnet50_torch.yaml")
    page = model._repr_html_()
    assert page is not None and "<math" in page and "H" in page


def test_jupyter_can_ask_for_one_format() -> None:
    model = _seed()
    assert set(model._repr_mimebundle_(include=["text/plain"])) == {"text/plain"}
    assert set(model._repr_mimebundle_(exclude=["text/html"])) == {"text/plain"}


def test_control_characters_in_names_are_shown_escaped_in_text() -> None:
    model = model_from_yaml('name: m\ninput: [4]\nlayers:\n  - Dense: {units: 2, name: "a\\x1b[31mred"}\n')
    text = model.layers[1]._repr_mimebundle_()["text/plain"]
    assert "\x1b" not in text and "\\x1b" in text
