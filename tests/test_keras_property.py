"""Property: for random conv/pool/dense stacks and sizes, symcnn's formulas equal what Keras builds.

Each example draws a small Sequential (Conv2D with random filters, kernel, strides,
padding and dilation; MaxPooling2D / AveragePooling2D; optionally Flatten and
Dense) and an input size. Keras builds it; symcnn reads Keras's JSON:

* the conv/pool stack saved by Keras with unknown sizes gives closed forms in H, W
  whose value at the size equals Keras's shapes and counts;
* the whole stack saved at the size reads back with Keras's numbers, and opened
  up again with ``with_input((None, H, W, C))`` it predicts Keras at a second size;
* where Keras refuses a size, symcnn raises ShapeError naming the same layer.
"""

from __future__ import annotations

from typing import Any

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_keras_reader import as_list, compare_with_keras, torchinfo_macs_from_keras
from truth.keras_truth import keras_truth

from symcnn.errors import ShapeError
from symcnn.io.keras import model_from_keras_json

pytestmark = pytest.mark.slow

H, W = sympy.symbols("H W", integer=True, positive=True)


@st.composite
def conv(draw: Any) -> dict[str, Any]:
    strides = draw(st.integers(1, 3))
    dilation = 1 if strides > 1 else draw(st.integers(1, 3))  # Keras refuses both above 1
    return {
        "kind": "Conv2D",
        "filters": draw(st.integers(1, 8)),
        "kernel_size": draw(st.one_of(st.integers(1, 5), st.tuples(st.integers(1, 5), st.integers(1, 5)))),
        "strides": strides,
        "padding": draw(st.sampled_from(["valid", "same"])),
        "dilation_rate": dilation,
        "use_bias": draw(st.booleans()),
    }


@st.composite
def pool(draw: Any) -> dict[str, Any]:
    return {
        "kind": draw(st.sampled_from(["MaxPooling2D", "AveragePooling2D"])),
        "pool_size": draw(st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)))),
        "strides": draw(st.one_of(st.none(), st.integers(1, 3))),
        "padding": draw(st.sampled_from(["valid", "same"])),
    }


stacks = st.fixed_dictionaries(
    {
        "channels": st.integers(1, 4),
        "body": st.lists(st.one_of(conv(), pool()), min_size=1, max_size=5),
        "head": st.lists(st.integers(1, 10), max_size=2),  # Flatten then Dense(units) for each entry
    }
)
sizes = st.tuples(st.integers(1, 80), st.integers(1, 80))


def keras_layers(spec: dict[str, Any], head: bool) -> list[Any]:
    """Fresh Keras layers named l0, l1, ... (names must match between builds)."""
    from keras import layers

    made = []
    for i, item in enumerate(spec["body"]):
        args = {k: v for k, v in item.items() if k != "kind"}
        made.append(getattr(layers, item["kind"])(name=f"l{i}", **args))
    if head and spec["head"]:
        made.append(layers.Flatten(name="flat"))
        made += [layers.Dense(units, name=f"d{i}") for i, units in enumerate(spec["head"])]
    return made


def keras_build(spec: dict[str, Any], size: tuple[int | None, int | None], head: bool) -> tuple[Any, str | None]:
    """(Keras Sequential, None) or (None, name of the layer Keras refuses at this size)."""
    keras = pytest.importorskip("keras")
    x = inp = keras.Input((*size, spec["channels"]), name="x")
    for layer in keras_layers(spec, head):
        try:
            x = layer(x)
        except ValueError:
            return None, layer.name
    del inp, x
    return keras.Sequential([keras.Input((*size, spec["channels"]), name="x"), *keras_layers(spec, head)]), None


def rows_subset(truth: dict[str, Any], names: set[str]) -> dict[str, Any]:
    return {"layers": [r for r in truth["layers"] if r["name"] in names]}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(spec=stacks, size=sizes, other=sizes)
def test_random_stack_formulas_equal_keras_or_fail_at_the_same_layer(
    spec: dict[str, Any], size: tuple[int, int], other: tuple[int, int]
) -> None:
    h, w = size
    open_model, refused = keras_build(spec, (None, None), head=False)
    assert refused is None, "Keras builds any conv/pool stack at unknown sizes"
    symbolic = model_from_keras_json(open_model.to_json(), "open.json")
    assert symbolic.input_shapes == [(None, H, W, spec["channels"])]

    keras_model, refused = keras_build(spec, size, head=True)
    if refused is not None:
        with pytest.raises(ShapeError) as info:
            _ = symbolic.subs({H: h, W: w}).records
        assert info.value.layer == refused
        return

    truth = keras_truth(keras_model)
    # 1. the stack read at its size: every layer's shape and counts, and the totals
    fixed = model_from_keras_json(truth["json"], "fixed.json")
    compare_with_keras(fixed, truth)
    for record, row in zip(fixed.records, truth["layers"]):  # torchinfo's MAC rule on Keras's own numbers
        assert record.name == row["name"]
        assert int(record.macs) == torchinfo_macs_from_keras(row), record.name
    # 2. the closed forms in H, W evaluated at the size, layer by layer
    rows = {r["name"]: r for r in truth["layers"]}
    for record in symbolic.records:
        shape = [d if d is None else int(sympy.sympify(d).subs({H: h, W: w})) for d in record.output_shape]
        assert shape == rows[record.name]["output_shape"], record.name
        assert int(record.params) == rows[record.name]["params"], record.name
    # 3. the whole stack opened up to H, W (Flatten -> Dense then depends on the size) predicts a second size
    opened = fixed.with_input((None, H, W, spec["channels"]))
    other_model, other_refused = keras_build(spec, other, head=True)
    if other_refused is not None:
        with pytest.raises(ShapeError) as info:
            _ = opened.subs({H: other[0], W: other[1]}).records
        assert info.value.layer == other_refused
        return
    other_truth = keras_truth(other_model)
    at_other = opened.subs({H: other[0], W: other[1]})
    compare_with_keras(at_other, other_truth)
    assert int(opened.total_params.subs({H: other[0], W: other[1]})) == other_truth["total_params"]
    assert [as_list(s) for s in at_other.output_shapes] == [other_truth["layers"][-1]["output_shape"]]
