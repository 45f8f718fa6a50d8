"""Reading Keras's own files (to_json text and .keras zips) gives Keras's own counts and shapes.

Models are built by Keras at test time (slow-marked); the malformed-file table is
hand-made JSON and needs no Keras.
"""

from __future__ import annotations

import copy
import json
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import sympy

from symcnn.errors import ArgumentError, GraphError, LimitError, ParseError, ShapeError, SymcnnError, UnknownLayerError
from symcnn.io import load
from symcnn.io.keras import load_keras, model_from_keras_json
from symcnn.model import Model

# ---- comparing with Keras's truth (shared with the applications and property tests) ----------


def as_list(shape: Any) -> list[Any]:
    return [None if d is None else int(d) for d in shape]


def record_shape(record: Any) -> list[Any]:
    """A record's output shape as Keras's truth rows give it: one shape, or a list of them for several outputs."""
    shapes = record.output_shapes
    return as_list(shapes[0]) if len(shapes) == 1 else [as_list(s) for s in shapes]


def json_layer_names(text: str) -> list[str]:
    """Names of the layers of a Keras model JSON, in the JSON's order."""
    entries = json.loads(text)["config"]["layers"]
    return [entry.get("name", entry["config"]["name"]) for entry in entries]


def compare_with_keras(model: Model, truth: dict[str, Any], names: dict[str, str] | None = None) -> None:
    """Every Keras row (layer or op) equals symcnn's records of that name: shapes of every call, counts once.

    ``names`` maps symcnn's layer names to Keras's when the two models were built apart (Keras numbers
    its default names process-wide: input_layer_3, zero_padding2d_7 ...).
    """
    records: dict[str, list[Any]] = defaultdict(list)
    for record in model.records:
        records[(names or {}).get(record.name, record.name)].append(record)
    assert set(records) == {row["name"] for row in truth["layers"]}
    for row in truth["layers"]:
        mine = records[row["name"]]
        shapes = row.get("call_output_shapes", [row["output_shape"]])
        assert [record_shape(r) for r in mine] == shapes, row["name"]
        counts = [sum(int(getattr(r, kind)) for r in mine) for kind in ("params", "trainable", "non_trainable")]
        assert counts == [row["params"], row["trainable"], row["non_trainable"]], row["name"]
    assert int(model.total_params) == truth["total_params"]
    assert int(model.trainable_params) == truth["trainable_params"]
    assert int(model.non_trainable_params) == truth["non_trainable_params"]


def torchinfo_macs_from_keras(row: dict[str, Any]) -> int:
    """torchinfo's MAC rule applied to Keras's numbers: conv = params x output positions, others = params."""
    if "Conv" in row["class_name"]:
        return row["params"] * int(sympy.prod(row["output_shape"][1:-1]))
    return row["params"]


# ---- Keras models -----------------------------------------------------------------------------


def keras_functional() -> Any:
    """Two inputs, two outputs: a residual Add, a Concatenate branch, a shared Dense, a nested Sequential, keras.ops."""
    keras = pytest.importorskip("keras")
    from keras import layers, ops

    image = keras.Input((16, 16, 3), name="image")
    vector = keras.Input((10,), name="vector")
    x = layers.Conv2D(8, 3, padding="same", name="stem")(image)
    y = layers.Conv2D(8, 3, padding="same", name="body")(x)
    x = layers.Add(name="residual")([x, y])
    branch = layers.Conv2D(4, 1, name="branch")(x)
    x = layers.Concatenate(name="joined")([x, branch])
    x = ops.maximum(x, layers.Conv2D(12, 1, name="gate")(x))
    x = layers.MaxPooling2D(2, name="pool")(x)
    x = ops.concatenate([x, x], axis=-1)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    shared = layers.Dense(10, name="shared")
    a = shared(vector)
    b = shared(layers.Dense(10, name="pre", trainable=False)(vector))
    v = ops.add(a, b)
    inner = keras.Sequential(
        [keras.Input((34,)), layers.Dense(6, name="inner_a"), layers.Dense(3, name="inner_b")], name="inner"
    )
    out1 = inner(layers.Concatenate(name="both")([x, v]))
    out2 = layers.Dense(2, name="head")(v)
    return keras.Model([image, vector], [out1, out2], name="two_by_two")


def keras_symbolic(h: int | None, w: int | None) -> Any:
    """A headless CNN; built at (None, None, 3) it gives JSON whose spatial sizes are unknown."""
    keras = pytest.importorskip("keras")
    from keras import layers

    return keras.Sequential(
        [
            keras.Input((h, w, 3), name="pixels"),
            layers.Conv2D(16, 3, strides=2, padding="same", name="c1"),
            layers.MaxPooling2D(3, 2, name="p1"),
            layers.Conv2D(24, (3, 5), dilation_rate=2, name="c2"),
            layers.AveragePooling2D(2, name="p2"),
            layers.Conv2D(8, 1, name="c3"),
        ],
        name="open",
    )


# ---- tests against Keras ------------------------------------------------------------------------------


@pytest.mark.slow
def test_seed_model_json_matches_keras_layer_by_layer() -> None:
    from truth.keras_truth import keras_truth, seed_model

    truth = keras_truth(seed_model())
    model = model_from_keras_json(truth["json"], "seed.json")
    compare_with_keras(model, truth)
    assert truth["total_params"] == 1_643_844
    assert model.convention == "keras" and model.source == "seed.json"


@pytest.mark.slow
def test_functional_model_with_branches_shared_nested_and_ops_matches_keras() -> None:
    from truth.keras_truth import keras_truth

    keras_model = keras_functional()
    truth = keras_truth(keras_model)
    model = model_from_keras_json(truth["json"], "two_by_two.json")
    compare_with_keras(model, truth)
    assert [as_list(s) for s in model.output_shapes] == [as_list(t.shape) for t in keras_model.outputs]
    assert [as_list(s) for s in model.input_shapes] == [as_list(t.shape) for t in keras_model.inputs]
    shared = [r for r in model.records if r.name == "shared"]
    assert len(shared) == 2 and shared[0].layer is shared[1].layer and shared[1].shared_with == "shared"
    assert int(model.get_layer("pre").non_trainable) == 110  # frozen: Keras moves both weights


@pytest.mark.slow
@pytest.mark.parametrize("build", [keras_functional, lambda: keras_symbolic(40, 45)], ids=["functional", "sequential"])
def test_keras_zip_reads_like_the_json(tmp_path: Path, build: Any) -> None:
    from truth.keras_truth import keras_truth

    keras_model = build()
    path = tmp_path / "m.keras"
    keras_model.save(path)
    model = load(path)
    compare_with_keras(model, keras_truth(keras_model))
    assert model.source == str(path)


@pytest.mark.slow
def test_json_file_loads_through_load(tmp_path: Path) -> None:
    from truth.keras_truth import keras_truth, seed_model

    truth = keras_truth(seed_model())
    path = tmp_path / "seed.json"
    path.write_text(truth["json"], encoding="utf-8")
    compare_with_keras(load(path), truth)


@pytest.mark.slow
@pytest.mark.parametrize(("h", "w"), [(40, 45), (64, 64), (30, 90), (129, 50)])
def test_unknown_sizes_become_h_and_w_and_match_keras_at_each_size(h: int, w: int) -> None:
    from truth.keras_truth import keras_truth

    symbolic = model_from_keras_json(keras_symbolic(None, None).to_json(), "open.json")
    H, W = sympy.symbols("H W", integer=True, positive=True)
    assert symbolic.input_shapes == [(None, H, W, 3)]
    assert symbolic.free_symbols >= {H, W}
    truth = keras_truth(keras_symbolic(h, w))
    at_size = symbolic.subs({H: h, W: w})
    compare_with_keras(at_size, truth)
    for record, row in zip(at_size.records, truth["layers"]):
        assert int(record.macs) == torchinfo_macs_from_keras(row), row["name"]
    # the closed form itself, evaluated, gives the same numbers
    for record, row in zip(symbolic.records, truth["layers"]):
        assert (
            as_list(d if d is None else sympy.sympify(d).subs({H: h, W: w}) for d in record.output_shape)
            == row["output_shape"]
        ), row["name"]
        assert int(record.macs.subs({H: h, W: w})) == torchinfo_macs_from_keras(row), row["name"]


def keras_channels_first(h: int | None, w: int | None) -> Any:
    keras = pytest.importorskip("keras")
    from keras import layers

    return keras.Sequential(
        [
            keras.Input((3, h, w), name="planes"),
            layers.Conv2D(8, 3, strides=2, data_format="channels_first", name="c1"),
            layers.MaxPooling2D(2, data_format="channels_first", name="p1"),
            layers.Conv2D(4, (1, 3), padding="same", data_format="channels_first", name="c2"),
        ],
        name="cf",
    )


@pytest.mark.slow
@pytest.mark.parametrize(("h", "w"), [(20, 31), (64, 9)])
def test_channels_first_input_names_h_and_w_and_matches_keras(h: int, w: int) -> None:
    from truth.keras_truth import keras_truth

    symbolic = model_from_keras_json(keras_channels_first(None, None).to_json(), "cf.json")
    H, W = sympy.symbols("H W", integer=True, positive=True)
    assert symbolic.input_shapes == [(None, 3, H, W)]
    compare_with_keras(symbolic.subs({H: h, W: w}), keras_truth(keras_channels_first(h, w)))


@pytest.mark.slow
def test_too_small_size_fails_at_the_layer_keras_refuses() -> None:
    pytest.importorskip("keras")
    symbolic = model_from_keras_json(keras_symbolic(None, None).to_json(), "open.json")
    # 9x9 -> c1 5x5 -> p1 2x2; c2's 3x5 kernel dilated by 2 spans 5x9: Keras refuses c2's input (None, 2, 2, 16)
    with pytest.raises(ValueError, match=r"inputs shape=\(None, 2, 2, 16\)"):
        keras_symbolic(9, 9)
    with pytest.raises(ShapeError) as info:
        _ = symbolic.subs({"H": 9, "W": 9}).records
    assert info.value.layer == "c2"


def keras_ops_model() -> Any:
    """keras.ops in a functional graph: element-wise with constants, reductions, reshapes, slicing, matmul, pad."""
    keras = pytest.importorskip("keras")
    from keras import layers, ops

    a = keras.Input((12, 10, 3), name="a")
    x = layers.Conv2D(6, 3, name="c")(a)
    x = ops.relu(x) * 2.0 + 1.0
    pooled = ops.mean(x, axis=[1, 2])
    flat = ops.reshape(x, (-1, 80, 6))
    gram = ops.matmul(ops.transpose(flat, (0, 2, 1)), flat)
    sliced = x[:, 1:, ::2, :]
    padded = ops.pad(x, [[0, 0], [1, 1], [2, 2], [0, 0]])
    return keras.Model(a, [ops.sigmoid(pooled), gram, sliced, padded, ops.expand_dims(pooled, 1)], name="ops")


def keras_nested_functional() -> Any:
    """A two-input functional model used as a layer twice (Keras numbers its calls from 1)."""
    keras = pytest.importorskip("keras")
    from keras import layers

    i1, i2 = keras.Input((5,), name="i1"), keras.Input((7,), name="i2")
    inner = keras.Model([i1, i2], layers.Dense(3, name="id")(layers.Concatenate(name="ic")([i1, i2])), name="inner")
    a, b = keras.Input((5,), name="a"), keras.Input((7,), name="b")
    return keras.Model([a, b], [inner([a, b]), inner([layers.Dense(5, name="pa")(a), b])], name="outer")


def keras_dict_io() -> Any:
    keras = pytest.importorskip("keras")
    from keras import layers

    p, q = keras.Input((5,), name="p"), keras.Input((7,), name="q")
    return keras.Model({"p": p, "q": q}, {"out": layers.Dense(2, name="d")(layers.Concatenate(name="c")([p, q]))})


def keras_built_sequential() -> Any:
    keras = pytest.importorskip("keras")
    from keras import layers

    model = keras.Sequential([layers.Dense(4, name="s1"), layers.Dense(2, name="s2")], name="built")
    model.build((None, 9))
    return model


def keras_sequential_in_sequential() -> Any:
    keras = pytest.importorskip("keras")
    from keras import layers

    block = keras.Sequential([layers.Conv2D(4, 3, name="b1"), layers.Conv2D(2, 3, name="b2")], name="block")
    return keras.Sequential([keras.Input((8, 8, 3)), block, layers.Flatten(name="f"), layers.Dense(3, name="d")])


@pytest.mark.slow
@pytest.mark.parametrize(
    "build",
    [keras_ops_model, keras_nested_functional, keras_dict_io, keras_built_sequential, keras_sequential_in_sequential],
)
def test_more_keras_graphs_match_keras(build: Any) -> None:
    from truth.keras_truth import keras_truth

    truth = keras_truth(build())
    compare_with_keras(model_from_keras_json(truth["json"], "graph.json"), truth)


def keras_lambdas(size: int | None) -> Any:
    keras = pytest.importorskip("keras")
    from keras import layers

    x = keras.Input((size, size, 3), name="x")
    y = layers.Lambda(lambda t: t * 2, name="scale")(x)  # shape-preserving
    z = layers.Conv2D(4, 3, name="c")(y)
    if size is None:
        return keras.Model(x, layers.Dense(2, name="d")(z))
    w = layers.Lambda(lambda t: t[:, ::2, ::2, :], name="sub")(z)  # only the recorded shape is known
    last = layers.Lambda(lambda t: t[:, :1], output_shape=(1, size, 3), name="first")(x)  # a model output
    return keras.Model(x, [layers.Dense(2, name="d")(w), last])


@pytest.mark.slow
def test_lambda_layers_take_the_shapes_keras_recorded() -> None:
    from truth.keras_truth import keras_truth

    truth = keras_truth(keras_lambdas(8))
    model = model_from_keras_json(truth["json"], "lambda.json")
    compare_with_keras(model, truth)
    H = sympy.Symbol("H", integer=True, positive=True)
    # At another size even the shape-preserving Lambda is refused: t * 2 and t[:, :8] look alike at size 8.
    with pytest.raises(UnknownLayerError, match="opaque") as info:
        _ = model.with_input((None, 10, 10, 3)).records
    assert info.value.layer == "scale"
    symbolic = model_from_keras_json(keras_lambdas(None).to_json(), "lambda.json")
    assert symbolic.get_layer("scale").output_shape == (None, H, sympy.Symbol("W", integer=True, positive=True), 3)


def keras_sequential_lambdas(size: int | None) -> Any:
    keras = pytest.importorskip("keras")
    from keras import layers

    tail = [layers.GlobalAveragePooling2D(name="g")]
    if size is not None:
        tail = [
            layers.Lambda(lambda t: t[:, ::2, ::2], name="sub"),
            layers.Flatten(name="f"),
            layers.Dense(2, name="d"),
        ]
    return keras.Sequential(
        [keras.Input((size, size, 3)), layers.Lambda(lambda t: t / 255.0, name="scale"), layers.Conv2D(4, 3, name="c")]
        + tail
    )


@pytest.mark.slow
def test_lambda_in_a_sequential_takes_the_next_layers_recorded_input() -> None:
    from truth.keras_truth import keras_truth

    truth = keras_truth(keras_sequential_lambdas(16))
    compare_with_keras(model_from_keras_json(truth["json"], "seq_lambda.json"), truth)
    symbolic = model_from_keras_json(keras_sequential_lambdas(None).to_json(), "seq_lambda.json")
    H, W = sympy.symbols("H W", integer=True, positive=True)
    assert symbolic.get_layer("c").output_shape == (None, H - 2, W - 2, 4)


def test_lambda_without_a_recorded_shape_is_refused() -> None:
    spec = keras2_functional()
    _layers(spec)[4].update(class_name="Lambda", config={"name": "flat", "function": ["code", None, None]})
    with pytest.raises(UnknownLayerError, match="records no output shape") as info:
        model_from_keras_json(json.dumps(spec), "lambda2.json")
    assert info.value.layer == "flat"


@pytest.mark.slow
def test_frozen_nested_model_counts_as_non_trainable() -> None:
    keras = pytest.importorskip("keras")
    from keras import layers
    from truth.keras_truth import keras_truth

    inner = keras.Sequential([keras.Input((5,)), layers.Dense(4), layers.Dense(2)], name="frozen")
    inner.trainable = False
    x = keras.Input((5,), name="x")
    model = keras.Model(x, layers.Dense(3, name="top")(inner(x)))
    truth = keras_truth(model)
    compare_with_keras(model_from_keras_json(truth["json"], "frozen.json"), truth)


# ---- hand-made Keras 2 (tf.keras) and Keras 3 files -------------------------------------------------


def _layer(cls: str, name: str, inbound: list[Any] | None = None, **config: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"class_name": cls, "config": {"name": name, **config}, "name": name}
    if inbound is not None:
        entry["inbound_nodes"] = inbound
    return entry


def _tensor(name: str, node: int = 0, index: int = 0) -> dict[str, Any]:
    return {"class_name": "__keras_tensor__", "config": {"shape": None, "keras_history": [name, node, index]}}


def keras3_functional() -> dict[str, Any]:
    """x(8x8x3) -> conv -> [conv2(conv), conv] add -> flatten -> dense; JSON layers deliberately out of order."""
    return {
        "class_name": "Functional",
        "config": {
            "name": "hand",
            "trainable": True,
            "layers": [
                _layer("Add", "add", [{"args": [[_tensor("conv"), _tensor("conv2")]], "kwargs": {}}]),
                _layer("InputLayer", "x", [], batch_shape=[None, 8, 8, 3]),
                _layer(
                    "Conv2D",
                    "conv2",
                    [{"args": [_tensor("conv")], "kwargs": {}}],
                    filters=4,
                    kernel_size=[3, 3],
                    padding="same",
                ),
                _layer("Conv2D", "conv", [{"args": [_tensor("x")], "kwargs": {}}], filters=4, kernel_size=[3, 3]),
                _layer("Flatten", "flat", [{"args": [_tensor("add")], "kwargs": {}}]),
                _layer("Dense", "out", [{"args": [_tensor("flat")], "kwargs": {}}], units=2),
            ],
            "input_layers": ["x", 0, 0],
            "output_layers": ["out", 0, 0],
        },
    }


def keras2_functional() -> dict[str, Any]:
    """The same model as tf.keras 2 writes it: batch_input_shape and nested-list inbound_nodes."""
    return {
        "class_name": "Functional",
        "keras_version": "2.13.1",
        "backend": "tensorflow",
        "config": {
            "name": "hand2",
            "layers": [
                _layer("InputLayer", "x", [], batch_input_shape=[None, 8, 8, 3], dtype="float32", sparse=False),
                _layer("Conv2D", "conv", [[["x", 0, 0, {}]]], filters=4, kernel_size=[3, 3]),
                _layer("Conv2D", "conv2", [[["conv", 0, 0, {}]]], filters=4, kernel_size=[3, 3], padding="same"),
                _layer("Add", "add", [[["conv", 0, 0, {}], ["conv2", 0, 0, {}]]]),
                _layer("Flatten", "flat", [[["add", 0, 0, {}]]]),
                _layer("Dense", "out", [[["flat", 0, 0, {}]]], units=2),
            ],
            "input_layers": [["x", 0, 0]],
            "output_layers": [["out", 0, 0]],
        },
    }


def keras2_sequential() -> dict[str, Any]:
    return {
        "class_name": "Sequential",
        "config": {
            "name": "seq2",
            "layers": [
                {
                    "class_name": "Conv2D",
                    "config": {
                        "name": "conv",
                        "batch_input_shape": [None, 8, 8, 3],
                        "filters": 4,
                        "kernel_size": [3, 3],
                    },
                },
                {
                    "class_name": "Conv2D",
                    "config": {"name": "conv2", "filters": 4, "kernel_size": [3, 3], "padding": "same"},
                },
                {"class_name": "Flatten", "config": {"name": "flat"}},
                {"class_name": "Dense", "config": {"name": "out", "units": 2}},
            ],
        },
    }


def keras2_tf_ops() -> dict[str, Any]:
    """tf.keras 2 TFOpLambda layers: ``x + y``, ``tf.nn.relu(x)``, ``x * 2.0``, and a nested Sequential.

    tf.keras numbers a nested model's calls from 1 (its own construction is node 0), as Keras 3 does
    for a nested Functional.
    """
    block = {
        "class_name": "Sequential",
        "config": {
            "name": "block",
            "layers": [
                {"class_name": "InputLayer", "config": {"name": "block_in", "batch_input_shape": [None, 6, 6, 4]}},
                {"class_name": "Conv2D", "config": {"name": "inner", "filters": 2, "kernel_size": [1, 1]}},
            ],
        },
        "name": "block",
        "inbound_nodes": [[["tf.math.multiply", 0, 0, {}]]],
    }
    return {
        "class_name": "Functional",
        "keras_version": "2.13.1",
        "config": {
            "name": "tf2",
            "layers": [
                _layer("InputLayer", "x", [], batch_input_shape=[None, 8, 8, 3]),
                _layer("Conv2D", "conv", [[["x", 0, 0, {}]]], filters=4, kernel_size=[3, 3]),
                _layer("Conv2D", "conv2", [[["conv", 0, 0, {}]]], filters=4, kernel_size=[3, 3], padding="same"),
                _layer(
                    "TFOpLambda",
                    "tf.__operators__.add",
                    [["conv", 0, 0, {"y": ["conv2", 0, 0], "name": None}]],
                    function="__operators__.add",
                ),
                _layer(
                    "TFOpLambda", "tf.nn.relu", [["tf.__operators__.add", 0, 0, {"name": None}]], function="nn.relu"
                ),
                _layer(
                    "TFOpLambda",
                    "tf.math.multiply",
                    [["tf.nn.relu", 0, 0, {"y": 2.0, "name": None}]],
                    function="math.multiply",
                ),
                block,
                _layer("Flatten", "flat", [[["block", 1, 0, {}]]]),
            ],
            "input_layers": [["x", 0, 0]],
            "output_layers": [["flat", 0, 0]],
        },
    }


def test_keras2_tf_op_layers_and_nested_models_read() -> None:
    model = model_from_keras_json(json.dumps(keras2_tf_ops()), "tf2.json")
    assert model.output_shapes == [(None, 72)]
    assert [r.name for r in model.records if r.params] == ["conv", "conv2", "block"]
    assert model.total_params == 112 + 148 + (4 * 2 + 2)
    assert model.get_layer("tf.math.multiply").output_shape == (None, 6, 6, 4)


def test_keras2_tf_op_without_a_rule_is_named() -> None:
    spec = keras2_tf_ops()
    _layers(spec)[4]["config"]["function"] = "image.resize"
    with pytest.raises(UnknownLayerError, match="image.resize") as info:
        model_from_keras_json(json.dumps(spec), "tf2.json")
    assert info.value.layer == "tf.nn.relu"


# conv 3*3*3*4+4 = 112 -> (6,6,4); conv2 3*3*4*4+4 = 148; flatten 144; dense 144*2+2 = 290
HAND_TOTAL = 112 + 148 + 290


@pytest.mark.parametrize("spec", [keras3_functional, keras2_functional, keras2_sequential])
def test_hand_made_keras_2_and_3_files_read(spec: Any) -> None:
    model = model_from_keras_json(json.dumps(spec()), "hand.json")
    assert model.total_params == HAND_TOTAL
    assert model.output_shapes == [(None, 2)]
    assert model.get_layer("conv2").output_shape == (None, 6, 6, 4)


@pytest.mark.parametrize(
    ("shapes", "names"),
    [
        ([[None, None, None, 3]], [("H", "W")]),
        ([[None, None, 7]], [("T",)]),
        ([[None, None]], [("T",)]),
        ([[None, None, None, None, 2]], [("D", "H", "W")]),
        ([[None, None, None, None]], [("H", "W", "C")]),
        ([[None, 3, None, None]], [("H", "W")]),
        ([[None, None, 16, 16]], [("H",)]),
        ([[None, 2, None, None, None]], [("D", "H", "W")]),
        ([[None, 4, None]], [("T",)]),
        ([[None, None, None, None, None, None, 1]], [("S1", "S2", "S3", "S4", "S5")]),
        ([[None, None, None, 3], [None, None, 5]], [("H_1", "W_1"), ("T_2",)]),
        ([[None, 32, 32, 3], [None, None, 5]], [(), ("T",)]),
    ],
)
def test_unknown_input_sizes_get_readable_symbol_names(shapes: list[Any], names: list[tuple[str, ...]]) -> None:
    layers = [_layer("InputLayer", f"in{i}", [], batch_shape=s) for i, s in enumerate(shapes)]
    spec = {
        "class_name": "Functional",
        "config": {
            "name": "m",
            "layers": layers,
            "input_layers": [[f"in{i}", 0, 0] for i in range(len(shapes))],
            "output_layers": [[f"in{i}", 0, 0] for i in range(len(shapes))],
        },
    }
    model = model_from_keras_json(json.dumps(spec), "m.json")
    got = [tuple(str(d) for d in shape[1:] if isinstance(d, sympy.Symbol)) for shape in model.input_shapes]
    assert got == names
    assert all(shape[0] is None for shape in model.input_shapes)


def test_unicode_layer_names_are_kept() -> None:
    spec = keras2_sequential()
    spec["config"]["layers"][1]["config"]["name"] = "свёртка✓"
    model = model_from_keras_json(json.dumps(spec, ensure_ascii=False), "u.json")
    assert model.get_layer("свёртка✓").params == 148


def test_trainable_false_moves_weights_to_non_trainable() -> None:
    spec = keras2_sequential()
    spec["config"]["layers"][3]["config"]["trainable"] = False
    model = model_from_keras_json(json.dumps(spec), "t.json")
    assert (model.non_trainable_params, model.trainable_params) == (290, 112 + 148)


# ---- malformed files: each fails with a SymcnnError naming the file and, when there is one, the layer ----


def _mutate(build: Any, change: Any) -> str:
    spec = copy.deepcopy(build())
    change(spec)
    return json.dumps(spec)


def _layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return spec["config"]["layers"]


def _set(build: Any, index: int, **values: Any) -> str:
    return _mutate(build, lambda s: _layers(s)[index]["config"].update(values))


def _nest(depth: int) -> str:
    spec: dict[str, Any] = keras2_sequential()
    for _ in range(depth):
        spec = {
            "class_name": "Sequential",
            "config": {
                "name": "n",
                "layers": [
                    {"class_name": "InputLayer", "config": {"name": "i", "batch_shape": [None, 8, 8, 3]}},
                    {**spec, "config": {**spec["config"], "name": f"n{_}"}},
                ],
            },
        }
    return json.dumps(spec)


MALFORMED = [
    ("not json", "{", ParseError, None),
    ("empty", "", ParseError, None),
    ("a number", "42", ParseError, None),
    ("a layer, not a model", json.dumps({"class_name": "Dense", "config": {"units": 2}}), ParseError, None),
    ("no config", json.dumps({"class_name": "Sequential"}), ParseError, None),
    ("layers not a list", json.dumps({"class_name": "Sequential", "config": {"layers": {"a": 1}}}), ParseError, None),
    ("empty layers", json.dumps({"class_name": "Sequential", "config": {"layers": []}}), ParseError, None),
    ("layer not an object", _mutate(keras2_sequential, lambda s: _layers(s).insert(1, "Conv2D")), ParseError, None),
    ("no class_name", _mutate(keras2_sequential, lambda s: _layers(s)[1].pop("class_name")), ParseError, None),
    ("config is text", _mutate(keras2_sequential, lambda s: _layers(s)[1].update(config="x")), ParseError, None),
    (
        "unknown class",
        _mutate(keras2_sequential, lambda s: _layers(s)[1].update(class_name="Frobnicate")),
        UnknownLayerError,
        "conv2",
    ),
    (
        "custom registered class",
        _mutate(keras2_sequential, lambda s: _layers(s)[1].update(class_name="MyLayer", registered_name="pkg>MyLayer")),
        UnknownLayerError,
        "conv2",
    ),
    ("unknown argument", _set(keras2_sequential, 1, wobble=3), ArgumentError, "conv2"),
    ("zero filters", _set(keras2_sequential, 1, filters=0), ArgumentError, "conv2"),
    ("negative filters", _set(keras2_sequential, 1, filters=-4), ArgumentError, "conv2"),
    ("filters true", _set(keras2_sequential, 1, filters=True), ArgumentError, "conv2"),
    ("filters a list", _set(keras2_sequential, 1, filters=[4]), ArgumentError, "conv2"),
    ("fractional filters", _set(keras2_sequential, 1, filters=2.5), ArgumentError, "conv2"),
    ("filters NaN", _set(keras2_sequential, 1, filters=float("nan")), ArgumentError, "conv2"),
    ("kernel of wrong rank", _set(keras2_sequential, 1, kernel_size=[3, 3, 3]), ArgumentError, "conv2"),
    ("huge filters", _set(keras2_sequential, 1, filters=10**30), LimitError, "conv2"),
    ("endless digits", '{"class_name": "Sequential", "config": {"layers": [' + "9" * 5000 + "]}}", LimitError, None),
    ("deep json", "[" * 100_000 + "]" * 100_000, ParseError, None),
    ("trainable not a flag", _set(keras2_sequential, 3, trainable="no"), ArgumentError, "out"),
    ("name not text", _set(keras2_sequential, 2, name=7), ArgumentError, None),
    ("zero input size", _set(keras2_functional, 0, batch_input_shape=[None, 0, 8, 3]), ArgumentError, "x"),
    ("negative input size", _set(keras3_functional, 1, batch_shape=[None, -8, 8, 3]), ArgumentError, "x"),
    ("text input size", _set(keras3_functional, 1, batch_shape=[None, "8", 8, 3]), ArgumentError, "x"),
    ("input shape not a list", _set(keras3_functional, 1, batch_shape=8), ArgumentError, "x"),
    (
        "input without shape",
        _mutate(keras3_functional, lambda s: _layers(s)[1].update(config={"name": "x"})),
        ArgumentError,
        "x",
    ),
    ("input too small", _set(keras3_functional, 1, batch_shape=[None, 2, 8, 3]), ShapeError, "conv"),
    (
        "sequential without input shape",
        _mutate(keras2_sequential, lambda s: _layers(s)[0]["config"].pop("batch_input_shape")),
        ShapeError,
        "conv",
    ),
    (
        "two InputLayers in a Sequential",
        _mutate(
            keras2_sequential,
            lambda s: _layers(s).insert(
                2, {"class_name": "InputLayer", "config": {"name": "again", "batch_shape": [None, 3]}}
            ),
        ),
        GraphError,
        "again",
    ),
    (
        "dangling inbound layer",
        _mutate(
            keras3_functional, lambda s: _layers(s)[4]["inbound_nodes"][0]["args"].__setitem__(0, _tensor("nowhere"))
        ),
        GraphError,
        "flat",
    ),
    (
        "dangling node index",
        _mutate(
            keras3_functional, lambda s: _layers(s)[4]["inbound_nodes"][0]["args"].__setitem__(0, _tensor("add", 3))
        ),
        GraphError,
        "flat",
    ),
    (
        "second output of a layer with one",
        _mutate(
            keras3_functional, lambda s: _layers(s)[4]["inbound_nodes"][0]["args"].__setitem__(0, _tensor("add", 0, 1))
        ),
        GraphError,
        "flat",
    ),
    (
        "bad keras_history",
        _mutate(
            keras3_functional,
            lambda s: _layers(s)[4]["inbound_nodes"][0]["args"].__setitem__(
                0, {"class_name": "__keras_tensor__", "config": {"keras_history": "add"}}
            ),
        ),
        ParseError,
        "flat",
    ),
    (
        "cycle",
        _mutate(keras3_functional, lambda s: _layers(s)[3]["inbound_nodes"][0]["args"].__setitem__(0, _tensor("add"))),
        GraphError,
        None,
    ),
    (
        "self loop",
        _mutate(keras2_functional, lambda s: _layers(s)[4].update(inbound_nodes=[[["flat", 0, 0, {}]]])),
        GraphError,
        "flat",
    ),
    ("duplicate names", _mutate(keras3_functional, lambda s: _layers(s)[2].update(name="conv")), GraphError, "conv"),
    ("duplicate names in a Sequential", _set(keras2_sequential, 2, name="conv"), GraphError, "conv"),
    (
        "inbound_nodes not a list",
        _mutate(keras3_functional, lambda s: _layers(s)[4].update(inbound_nodes="add")),
        ParseError,
        "flat",
    ),
    (
        "node neither list nor object",
        _mutate(keras3_functional, lambda s: _layers(s)[4].update(inbound_nodes=[7])),
        ParseError,
        "flat",
    ),
    (
        "args not a list",
        _mutate(keras3_functional, lambda s: _layers(s)[4].update(inbound_nodes=[{"args": 1, "kwargs": {}}])),
        ParseError,
        "flat",
    ),
    ("no outputs", _mutate(keras3_functional, lambda s: s["config"].pop("output_layers")), ParseError, None),
    (
        "unknown output",
        _mutate(keras3_functional, lambda s: s["config"].update(output_layers=["ghost", 0, 0])),
        GraphError,
        None,
    ),
    (
        "output ref malformed",
        _mutate(keras3_functional, lambda s: s["config"].update(output_layers=[["out", -1, 0]])),
        ParseError,
        None,
    ),
    (
        "input_layers names a conv",
        _mutate(keras3_functional, lambda s: s["config"].update(input_layers=["conv", 0, 0])),
        GraphError,
        None,
    ),
    ("merge of mismatched shapes", _set(keras3_functional, 2, padding="valid"), ShapeError, "add"),
    ("nested too deep", _nest(40), LimitError, None),
    (
        "too many layers",
        _mutate(keras2_sequential, lambda s: _layers(s).__setitem__(slice(2, 2), [{"class_name": "Dropout"}] * 20_001)),
        LimitError,
        None,
    ),
]


@pytest.mark.parametrize(("text", "error", "layer"), [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED])
def test_malformed_keras_json_fails_with_a_symcnn_error(text: str, error: type[SymcnnError], layer: str | None) -> None:
    with pytest.raises(error) as info:
        model_from_keras_json(text, "bad.json")
    assert info.value.file == "bad.json"
    if layer is not None:
        assert info.value.layer == layer
    assert "bad.json" in str(info.value)


def test_nesting_within_the_limit_reads() -> None:
    model = model_from_keras_json(_nest(5), "nest.json")
    assert model.total_params == HAND_TOTAL


def _zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_keras_zip_reads_config_json_only(tmp_path: Path) -> None:
    text = json.dumps(keras2_sequential()).encode()
    path = _zip(tmp_path / "ok.keras", {"metadata.json": b"{}", "config.json": text, "model.weights.h5": b"junk"})
    assert load_keras(path).total_params == HAND_TOTAL
    assert list(tmp_path.iterdir()) == [path]  # nothing extracted


ZIPS = [
    ("not a zip", lambda p: p.write_bytes(b"PK\x03\x04 not really"), ParseError),
    ("plain text named .keras", lambda p: p.write_text("{}"), ParseError),
    ("no config.json", lambda p: _zip(p, {"metadata.json": b"{}"}), ParseError),
    ("config not utf-8", lambda p: _zip(p, {"config.json": b"\xff\xfe\x00{"}), ParseError),
    ("config not json", lambda p: _zip(p, {"config.json": b"{"}), ParseError),
    ("zip bomb", lambda p: _zip(p, {"config.json": b" " * (4 << 20)}, zipfile.ZIP_DEFLATED), LimitError),
    (
        "config over 64 MiB",
        lambda p: _zip(p, {"config.json": b" " * ((64 << 20) + 1)}, zipfile.ZIP_DEFLATED),
        LimitError,
    ),
    ("missing file", lambda p: None, ParseError),
]


@pytest.mark.parametrize(("make", "error"), [z[1:] for z in ZIPS], ids=[z[0] for z in ZIPS])
def test_broken_keras_zip_fails_with_a_symcnn_error(tmp_path: Path, make: Any, error: type[SymcnnError]) -> None:
    path = tmp_path / "bad.keras"
    make(path)
    with pytest.raises(error) as info:
        load_keras(path)
    assert info.value.file == str(path)


def test_json_file_not_utf8_fails(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(b"\xff\xfe{}")
    with pytest.raises(ParseError):
        load(path)
