"""keras.applications architectures read from Keras's own JSON equal Keras's counts and shapes.

Each model is built by Keras (weights=None, a few seconds each, cached per session
by ``truth.keras_truth``). With the head, every layer is compared at the default
size; without it, the JSON has unknown spatial sizes, which become the symbols
H and W, and the closed forms evaluated at a few sizes are compared with Keras
models built at those sizes.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
import sympy
from test_keras_reader import as_list, compare_with_keras, json_layer_names
from truth.keras_truth import APPLICATIONS, applications_truth

from symcnn.io.keras import model_from_keras_json

pytestmark = pytest.mark.slow

H, W = sympy.symbols("H W", integer=True, positive=True)

# Sizes each model accepts headless (Xception needs 71, InceptionV3 75); odd and non-square on purpose.
SIZES = [(75, 75), (96, 128), (161, 83)]

# keras.applications.imagenet_utils.correct_pad chooses the ZeroPadding2D before each stride-2 depthwise
# block from the input size known at construction: with (None, None) it pads ((0, 1), (0, 1)), with an odd
# size ((1, 1), (1, 1)). So the headless (None, None) architecture and the one Keras builds at an odd size
# are different networks (at 75x75 MobileNetV2's block_3_pad gives 20x20 against 21x21). symcnn reads the
# (None, None) file faithfully: test_headless_closed_form_equals_the_same_keras_graph_at_a_size checks it.
CORRECT_PAD = {"MobileNetV2", "EfficientNetB0"}
CORRECT_PAD_REASON = (
    "imagenet_utils.correct_pad makes the (None, None) architecture pad odd sizes differently from the model "
    "Keras builds at that size, so the two graphs differ"
)


def _size_cases() -> list[Any]:
    cases = []
    for name in APPLICATIONS:
        for h, w in SIZES:
            odd = h % 2 or w % 2
            marks = [pytest.mark.xfail(strict=True, reason=CORRECT_PAD_REASON)] if name in CORRECT_PAD and odd else []
            cases.append(pytest.param(name, (h, w), marks=marks, id=f"{name}-{h}x{w}"))
    return cases


@pytest.fixture(autouse=True)
def _keras() -> None:
    pytest.importorskip("keras")


@pytest.mark.parametrize("name", APPLICATIONS)
def test_application_with_head_matches_keras_layer_by_layer(name: str) -> None:
    truth = applications_truth(name)
    model = model_from_keras_json(truth["json"], f"{name}.json")
    compare_with_keras(model, truth)


@pytest.mark.parametrize("name", APPLICATIONS)
def test_headless_application_is_a_closed_form_in_h_and_w(name: str) -> None:
    truth = applications_truth(name, (None, None, 3))
    model = model_from_keras_json(truth["json"], f"{name}_headless.json")
    assert model.input_shapes == [(None, H, W, 3)]
    assert model.output_shapes[0][1:3] != (None, None)
    assert {H, W} <= model.free_symbols
    compare_counts_only(model, truth)


def compare_counts_only(model: Any, truth: dict[str, Any]) -> None:
    """Headless with unknown sizes: Keras's shapes are None where ours are formulas; counts must agree exactly."""
    assert int(model.total_params) == truth["total_params"]
    assert int(model.trainable_params) == truth["trainable_params"]
    assert int(model.non_trainable_params) == truth["non_trainable_params"]
    for record in model.records:
        for keras_dim, ours in zip(
            next(row["output_shape"] for row in truth["layers"] if row["name"] == record.name), record.output_shape
        ):
            if keras_dim is not None:
                assert ours == keras_dim, record.name


@pytest.mark.parametrize(("name", "size"), _size_cases())
def test_headless_closed_form_at_a_size_equals_keras_built_at_that_size(name: str, size: tuple[int, int]) -> None:
    h, w = size
    text = applications_truth(name, (None, None, 3))["json"]
    symbolic = model_from_keras_json(text, f"{name}.json")
    truth = applications_truth(name, (h, w, 3), include_top=False)
    # Both JSONs come from the same constructor: same layers, same order, default names numbered apart.
    names = dict(zip(json_layer_names(text), json_layer_names(truth["json"])))
    rows = {row["name"]: row for row in truth["layers"]}
    # the formulas themselves, evaluated at the size
    for record in symbolic.records:
        shape = [d if d is None else int(sympy.sympify(d).subs({H: h, W: w})) for d in record.output_shape]
        assert shape == rows[names[record.name]]["output_shape"], record.name
    # and the model substituted at the size, layer by layer (shapes re-propagated, counts, totals)
    compare_with_keras(symbolic.subs({H: h, W: w}), truth, names)


@pytest.mark.parametrize("size", SIZES, ids=[f"{h}x{w}" for h, w in SIZES])
@pytest.mark.parametrize("name", APPLICATIONS)
def test_headless_closed_form_equals_the_same_keras_graph_at_a_size(name: str, size: tuple[int, int]) -> None:
    """The (None, None) graph itself, re-run by Keras on a fixed-size input (clone_model), layer by layer."""
    keras = pytest.importorskip("keras")
    from truth.keras_truth import keras_truth

    h, w = size
    headless, text = _headless(name)
    at_size = keras.models.clone_model(headless, input_tensors=keras.Input((h, w, 3)))
    truth = keras_truth(at_size)
    names = dict(zip(json_layer_names(text), json_layer_names(truth["json"])))
    symbolic = model_from_keras_json(text, f"{name}.json")
    compare_with_keras(symbolic.subs({H: h, W: w}), truth, names)


@functools.cache
def _headless(name: str) -> tuple[Any, str]:
    from truth.keras_truth import build_application

    model = build_application(name, (None, None, 3), include_top=False)
    return model, model.to_json()


def test_vgg16_head_parameters_are_a_function_of_the_input_size() -> None:
    """Flatten -> fc1 makes VGG16's count depend on H and W; the formula at 128x128 equals Keras's model there."""
    text = applications_truth("VGG16")["json"]
    symbolic = model_from_keras_json(text, "vgg16.json").with_input((None, H, W, 3))
    assert symbolic.total_params.free_symbols == {H, W}
    for h, w in [(128, 128), (64, 96)]:
        truth = applications_truth("VGG16", (h, w, 3), include_top=True)
        assert int(symbolic.total_params.subs({H: h, W: w})) == truth["total_params"]
        names = dict(zip(json_layer_names(text), json_layer_names(truth["json"])))
        compare_with_keras(symbolic.subs({H: h, W: w}), truth, names)


def test_every_application_json_layer_becomes_one_record() -> None:
    for name in APPLICATIONS:
        truth = applications_truth(name)
        model = model_from_keras_json(truth["json"], f"{name}.json")
        assert len(model.records) == len(truth["layers"]), name
        assert [as_list(s) for s in model.output_shapes] == [truth["layers"][-1]["output_shape"]], name


@functools.cache
def _built(name: str, input_shape: tuple[int | None, ...] | None) -> dict[str, Any]:
    """Truth for an application outside truth.keras_truth.APPLICATIONS (built with its head)."""
    import keras
    from truth.keras_truth import keras_truth

    return keras_truth(getattr(keras.applications, name)(weights=None, input_shape=input_shape))


@pytest.mark.parametrize("size", [(160, 96), (64, 64)], ids=["160x96", "64x64"])
@pytest.mark.parametrize("name", ["MobileNetV3Small", "MobileNetV3Large"])
def test_application_with_head_at_unknown_size_is_a_closed_form(name: str, size: tuple[int, int]) -> None:
    """MobileNetV3 keeps its head at (None, None, 3) (it ends in global pooling): counts exact, shapes in H, W."""
    h, w = size
    text = _built(name, None)["json"]
    symbolic = model_from_keras_json(text, f"{name}.json")
    assert symbolic.input_shapes == [(None, H, W, 3)]
    assert int(symbolic.total_params) == _built(name, None)["total_params"]
    truth = _built(name, (h, w, 3))
    names = dict(zip(json_layer_names(text), json_layer_names(truth["json"])))
    compare_with_keras(symbolic.subs({H: h, W: w}), truth, names)
