"""Graph patterns of everyday Keras code, read from Keras's own files and compared with Keras itself.

Masks (Embedding(mask_zero=True), Masking), functional models called in the middle of a graph
(transfer learning) and nested anywhere, layers with several outputs (return_state, merge_mode=None,
attention scores, a nested model's outputs used by index, a seq2seq encoder's states), and Lambdas at
sizes the file does not record. Each model is built by Keras (torch backend), written by Keras
(``to_json`` and ``.keras``), read by symcnn, and compared layer by layer: every call's output shapes,
every layer's counts, the totals, and torchinfo's MACs rule applied to Keras's numbers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sympy
from test_keras_reader import as_list, compare_with_keras, record_shape, torchinfo_macs_from_keras

from symcnn.cli import main
from symcnn.errors import GraphError, UnknownLayerError
from symcnn.io import load
from symcnn.io.keras import model_from_keras_json

pytestmark = pytest.mark.slow
keras = pytest.importorskip("keras")
layers = keras.layers


# ---- masks: a mask changes no count; symcnn follows the data input -------------------------------------


def embedding_mask_to_rnns() -> Any:
    tokens = keras.Input((12,), dtype="int32", name="tokens")
    x = layers.Embedding(100, 8, mask_zero=True, name="emb")(tokens)
    x = layers.LSTM(6, return_sequences=True, name="lstm")(x)
    x = layers.Bidirectional(layers.GRU(4, return_sequences=True), name="bi")(x)
    x = layers.GlobalAveragePooling1D(name="gap")(x)
    return keras.Model(tokens, layers.Dense(3, name="head")(x), name="masked_text")


def masking_to_pooling() -> Any:
    frames = keras.Input((10, 5), name="frames")
    x = layers.Masking(0.0, name="mask")(frames)
    pooled = layers.GlobalAveragePooling1D(name="gap")(x)
    seq = layers.SimpleRNN(4, name="rnn")(x)
    return keras.Model(frames, layers.Concatenate(name="both")([pooled, seq]), name="masked_frames")


def mask_into_attention() -> Any:
    tokens = keras.Input((9,), dtype="int32", name="tokens")
    pad = keras.Input((9, 9), dtype="bool", name="pad")
    x = layers.Embedding(50, 16, mask_zero=True, name="emb")(tokens)
    x = layers.MultiHeadAttention(2, 8, name="mha")(x, x, attention_mask=pad)
    y = layers.Attention(name="att")([x, x])
    return keras.Model([tokens, pad], layers.GlobalAveragePooling1D(name="gap")(y), name="masked_attention")


# ---- nested models -------------------------------------------------------------------------------------


def _base(name: str = "base") -> Any:
    inp = keras.Input((16, 16, 3), name=f"{name}_in")
    x = layers.Conv2D(8, 3, name=f"{name}_conv")(inp)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return keras.Model(inp, layers.MaxPooling2D(2, name=f"{name}_pool")(x), name=name)


def transfer_learning() -> Any:
    """x = base(x) in the middle: preprocessing before, a head after; the base frozen."""
    base = _base()
    base.trainable = False
    image = keras.Input((16, 16, 3), name="image")
    x = layers.Rescaling(1 / 255.0, name="scale")(image)
    x = base(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    return keras.Model(image, layers.Dense(4, name="head")(x), name="transfer")


def shared_base_twice() -> Any:
    """One nested model called on two inputs (a siamese net): its weights count once."""
    base = _base()
    a, b = keras.Input((16, 16, 3), name="a"), keras.Input((16, 16, 3), name="b")
    fa = layers.Flatten(name="fa")(base(layers.Rescaling(0.5, name="sa")(a)))
    fb = layers.Flatten(name="fb")(base(b))
    return keras.Model([a, b], layers.Dot(axes=1, normalize=True, name="cosine")([fa, fb]), name="siamese")


def two_output_base() -> Any:
    """A nested model with two outputs, used by index."""
    inp = keras.Input((6,), name="inner_in")
    hidden = layers.Dense(5, name="hidden")(inp)
    inner = keras.Model(inp, [hidden, layers.Dense(3, name="side")(hidden)], name="two")
    x = keras.Input((6,), name="x")
    h, s = inner(layers.Dense(6, name="pre")(x))
    return keras.Model(x, [layers.Dense(2, name="on_hidden")(h), s, layers.Add(name="again")([s, s])], name="by_index")


def nested_twice() -> Any:
    """A functional model inside a Sequential inside a functional model."""
    block = keras.Sequential([keras.Input((8, 8, 4)), layers.Conv2D(4, 3, padding="same", name="b_conv")], name="block")
    mid_in = keras.Input((8, 8, 4), name="mid_in")
    mid = keras.Model(mid_in, layers.Add(name="mid_add")([mid_in, block(mid_in)]), name="mid")
    x = keras.Input((8, 8, 4), name="x")
    return keras.Model(x, layers.Flatten(name="flat")(mid(mid(x))), name="outer")


def applications_base() -> Any:
    """keras.applications as a base, the transfer-learning pattern itself."""
    base = keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=(64, 64, 3), alpha=0.35)
    base.trainable = False
    image = keras.Input((64, 64, 3), name="image")
    x = base(layers.Rescaling(1 / 127.5, offset=-1, name="scale")(image))
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    return keras.Model(image, layers.Dense(5, name="head")(layers.Dropout(0.2, name="drop")(x)), name="mobile_transfer")


# ---- several outputs -----------------------------------------------------------------------------------


def lstm_states() -> Any:
    seq = keras.Input((10, 4), name="seq")
    out, h, c = layers.LSTM(8, return_state=True, name="lstm")(seq)
    g_out, g_h = layers.GRU(3, return_state=True, return_sequences=True, name="gru")(sequences=seq)  # by keyword
    return keras.Model(seq, [out, layers.Dense(2, name="on_state")(h), c, g_out, layers.Dense(2, name="on_gru")(g_h)],
                       name="states")


def bidirectional_outputs() -> Any:
    seq = keras.Input((10, 4), name="seq")
    fw, bw = layers.Bidirectional(layers.GRU(3, return_sequences=True), merge_mode=None, name="split")(seq)
    merged = layers.Add(name="add")([fw, bw])
    out, *states = layers.Bidirectional(layers.LSTM(5, return_state=True), name="with_states")(merged)
    return keras.Model(seq, [out, layers.Concatenate(name="states")(states)], name="bidi")


def seq2seq(source: int | None = 6, target: int | None = 7) -> Any:
    """An encoder's states start the decoder (initial_state): they change no count."""
    enc_in, dec_in = keras.Input((source,), name="enc_in"), keras.Input((target,), name="dec_in")
    e = layers.Embedding(50, 8, mask_zero=True, name="enc_emb")(enc_in)
    _, h, c = layers.LSTM(16, return_state=True, name="encoder")(e)
    d = layers.Embedding(60, 8, name="dec_emb")(dec_in)
    o = layers.LSTM(16, return_sequences=True, name="decoder")(d, initial_state=[h, c])
    return keras.Model([enc_in, dec_in], layers.Dense(60, name="out")(o), name="seq2seq")


def stacked_cell_states() -> Any:
    """RNN over stacked cells: Keras nests the states in output_layers; each is an output."""
    seq = keras.Input((7, 3), name="seq")
    outputs = layers.RNN([layers.LSTMCell(4), layers.GRUCell(2)], return_state=True, name="stack")(seq)
    return keras.Model(seq, outputs, name="stacked")


def attention_scores() -> Any:
    x = keras.Input((10, 16), name="x")
    mha = layers.MultiHeadAttention(4, 4, name="mha")
    y, scores = mha(x, x, return_attention_scores=True)
    z = mha(value=y, query=x)  # the same layer again, its arguments by keyword in another order
    a, weights = layers.Attention(use_scale=True, name="att")([z, y], return_attention_scores=True)
    g = layers.GroupQueryAttention(4, 4, 2, name="gqa")(a, x)
    e = layers.EinsumDense("abc,cd->abd", output_shape=(10, 6), bias_axes="d", name="proj")(g)
    return keras.Model(x, [e, scores, weights, layers.AdditiveAttention(name="add_att")([e, e])], name="scores")


MODELS: list[Callable[[], Any]] = [
    embedding_mask_to_rnns, masking_to_pooling, mask_into_attention, transfer_learning, shared_base_twice,
    two_output_base, nested_twice, applications_base, lstm_states, bidirectional_outputs, seq2seq,
    stacked_cell_states, attention_scores,
]


def _check_macs(model: Any, truth: dict[str, Any]) -> None:
    by_name = {r.name: r for r in model.records}
    for row in truth["layers"]:
        if row["class_name"] in ("Functional", "Sequential"):
            continue  # a nested model's MACs are its layers' (checked through its own rows below)
        if "Conv" in row["class_name"] or row["class_name"] in ("LSTM", "GRU", "SimpleRNN", "RNN", "Bidirectional"):
            continue  # positions/time steps: checked in the layer contract
        assert int(by_name[row["name"]].macs) == torchinfo_macs_from_keras(row), row["name"]


@pytest.mark.parametrize("build", MODELS, ids=[m.__name__ for m in MODELS])
def test_keras_file_reads_to_keras_numbers(build: Callable[[], Any], tmp_path: Path) -> None:
    from truth.keras_truth import keras_truth

    kmodel = build()
    truth = keras_truth(kmodel)
    ours = model_from_keras_json(truth["json"], f"{kmodel.name}.json")
    compare_with_keras(ours, truth)
    _check_macs(ours, truth)
    assert [as_list(s) for s in ours.output_shapes] == [as_list(t.shape) for t in keras.tree.flatten(kmodel.outputs)]
    types = {r.name: r.type for r in ours.records}
    assert all(types[row["name"]] == row["class_name"] for row in truth["layers"] if not row["op"])
    path = tmp_path / "m.keras"
    kmodel.save(path)
    compare_with_keras(load(path), truth)


def test_nested_model_is_one_functional_row_whose_layers_are_reachable() -> None:
    from truth.keras_truth import keras_truth

    kmodel = transfer_learning()
    ours = model_from_keras_json(kmodel.to_json(), "transfer.json")
    base = ours.get_layer("base")
    assert base.type == "Functional" and base.inputs == ["scale"]
    inner = keras_truth(kmodel.get_layer("base"))
    assert [(r.name, record_shape(r)) for r in base.layers] == [(row["name"], row["output_shape"]) for row in inner["layers"]]
    assert int(base.get_layer("base_conv").params) == kmodel.get_layer("base").get_layer("base_conv").count_params()
    assert int(base.non_trainable) == kmodel.get_layer("base").count_params()  # frozen: all of it
    assert int(base.macs) == sum(int(r.macs) for r in base.layers)
    with pytest.raises(Exception, match="not a model"):
        _ = ours.get_layer("gap").layers


def test_seq2seq_reads_with_symbolic_lengths_and_matches_keras_at_lengths() -> None:
    from truth.keras_truth import keras_truth

    symbolic = model_from_keras_json(seq2seq(None, None).to_json(), "seq2seq.json")
    T1, T2 = sympy.symbols("T_1 T_2", integer=True, positive=True)
    assert symbolic.output_shapes == [(None, T2, 60)]
    assert symbolic.get_layer("encoder").output_shapes == [(None, 16)] * 3
    for t1, t2 in ((5, 7), (11, 3)):
        at = symbolic.subs({T1: t1, T2: t2})
        assert at.output_shapes == [(None, t2, 60)]
        truth = keras_truth(seq2seq(t1, t2))
        ops = [row["name"] for row in truth["layers"] if row["op"]]  # Keras numbers op names process-wide
        compare_with_keras(at, truth, dict(zip([r.name for r in at.records if r.type == "NotEqual"], ops)))
        assert at.get_layer("decoder").macs == truth_rnn_macs(truth, "decoder", t2)


def truth_rnn_macs(truth: dict[str, Any], name: str, steps: int) -> int:
    """torchinfo's rule for a recurrent layer: every parameter once per time step."""
    row = next(r for r in truth["layers"] if r["name"] == name)
    return row["params"] * steps


def test_output_index_past_a_layers_outputs_is_a_graph_error_naming_both() -> None:
    spec = json.loads(lstm_states().to_json())
    entry = next(e for e in spec["config"]["layers"] if e["name"] == "on_state")
    entry["inbound_nodes"][0]["args"][0]["config"]["keras_history"] = ["lstm", 0, 3]
    with pytest.raises(GraphError, match=r"output #3 of layer 'lstm', which has 3 output\(s\)") as info:
        model_from_keras_json(json.dumps(spec), "states.json")
    assert info.value.layer == "on_state"


def test_a_nested_models_construction_node_is_refused_in_output_layers() -> None:
    spec = json.loads(transfer_learning().to_json())
    spec["config"]["output_layers"] = [["base", 0, 0]]  # Keras writes node 1: its first call
    with pytest.raises(GraphError, match="its own construction"):
        model_from_keras_json(json.dumps(spec), "transfer.json")


# ---- Lambda: trusted only at the sizes the file records --------------------------------------------------


def lambdas(size: int | None) -> Any:
    x = keras.Input((size, 3), name="x")
    head = layers.Lambda(lambda t: t[:, :4], name="first4")(x)  # known output, whatever the length
    scaled = layers.Lambda(lambda t: t * 2.0, name="scale")(x)
    return keras.Model(x, [layers.Dense(2, name="d")(layers.Flatten(name="f")(head)), layers.LSTM(3, name="r")(scaled)])


def test_lambda_recorded_at_a_size_is_refused_at_another_naming_it(tmp_path: Path, capsys: Any) -> None:
    from truth.keras_truth import keras_truth

    truth = keras_truth(lambdas(8))
    path = tmp_path / "lambda.json"
    path.write_text(truth["json"])
    compare_with_keras(load(path), truth)
    with pytest.raises(UnknownLayerError, match="opaque code") as info:
        _ = load(path).with_input((None, 12, 3)).records
    assert info.value.layer in ("first4", "scale")
    status = main(["summary", str(path), "--input", "12,3"])
    err = capsys.readouterr().err
    assert status == 2 and len(err.splitlines()) == 1 and "Lambda" in err and "(None, 8, 3)" in err


def test_lambda_over_an_open_length_keeps_what_keras_recorded_and_follows_the_rest() -> None:
    from truth.keras_truth import keras_truth

    symbolic = model_from_keras_json(lambdas(None).to_json(), "lambda.json")
    T = sympy.Symbol("T", integer=True, positive=True)
    assert symbolic.get_layer("first4").output_shape == (None, 4, 3)  # Keras recorded 4 with the length open
    assert symbolic.get_layer("scale").output_shape == (None, T, 3)  # open in, open out: follows the input
    for length in (6, 15):
        at = symbolic.subs({T: length})
        assert int(at.total_params) == keras_truth(lambdas(length))["total_params"]


# ---- through the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize("build", [lstm_states, transfer_learning, attention_scores, seq2seq],
                         ids=["states", "transfer", "scores", "seq2seq"])
def test_cli_summary_prints_keras_numbers(build: Callable[[], Any], tmp_path: Path, capsys: Any) -> None:
    kmodel = build()
    path = tmp_path / f"{kmodel.name}.keras"
    kmodel.save(path)
    capsys.readouterr()
    assert main(["summary", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"Total params: {kmodel.count_params():,}" in out
    for layer in kmodel.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        assert f"{layer.name} ({type(layer).__name__})" in out
    if build is lstm_states:
        assert "[(None, 8), (None, 8), (None, 8)]" in out  # Keras's list of shapes
    assert main(["summary", str(path), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["layers"]
    assert sum(int(r["params"]) for r in rows) == kmodel.count_params()


def _bad_mha(spec: dict[str, Any]) -> None:
    entry = next(e for e in spec["config"]["layers"] if e["name"] == "mha")
    entry["config"]["num_heads"] = 0


def _bad_equation(spec: dict[str, Any]) -> None:
    entry = next(e for e in spec["config"]["layers"] if e["name"] == "proj")
    entry["config"]["equation"] = "abc,cd->abd; import os"


def _bad_index(spec: dict[str, Any]) -> None:
    spec["config"]["output_layers"][1] = ["mha", 0, 2]


def _bad_scores_flag(spec: dict[str, Any]) -> None:
    entry = next(e for e in spec["config"]["layers"] if e["name"] == "mha")
    entry["inbound_nodes"][0]["kwargs"]["return_attention_scores"] = "yes"


@pytest.mark.parametrize(("change", "layer", "words"), [
    (_bad_mha, "mha", ("num_heads",)),
    (_bad_equation, "proj", ("equation",)),
    (_bad_index, None, ("output #2", "mha")),
    (_bad_scores_flag, "mha", ("return_attention_scores",)),
], ids=["zero heads", "equation", "output index", "scores flag"])
def test_cli_bad_variants_exit_2_with_one_line(change: Any, layer: str | None, words: tuple[str, ...], tmp_path: Path,
                                                capsys: Any) -> None:
    spec = json.loads(attention_scores().to_json())
    change(spec)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(spec))
    capsys.readouterr()
    assert main(["summary", str(path)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("symcnn: error: ") and str(path) in lines[0], captured.err
    assert captured.out == "" and "Traceback" not in captured.err
    if layer is not None:
        assert f"layer {layer!r}" in lines[0]
    assert all(w in lines[0] for w in words), lines[0]


def test_tf_keras_2_attention_config_reads_to_what_keras_3_builds() -> None:
    """tf.keras 2 writes MultiHeadAttention's build shapes into its config and the value as a call keyword."""
    init = {"class_name": "GlorotUniform", "config": {"seed": None}}
    mha = {"name": "mha", "trainable": True, "dtype": "float32", "num_heads": 4, "key_dim": 8, "value_dim": 8,
           "dropout": 0.0, "use_bias": True, "output_shape": None, "attention_axes": [1], "kernel_initializer": init,
           "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None,
           "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None,
           "query_shape": [None, 10, 16], "key_shape": [None, 7, 12], "value_shape": [None, 7, 12]}
    spec = {"class_name": "Functional", "keras_version": "2.12.0", "config": {"name": "tf2_attention", "layers": [
        {"class_name": "InputLayer", "name": "q", "inbound_nodes": [],
         "config": {"batch_input_shape": [None, 10, 16], "dtype": "float32", "name": "q"}},
        {"class_name": "InputLayer", "name": "v", "inbound_nodes": [],
         "config": {"batch_input_shape": [None, 7, 12], "dtype": "float32", "name": "v"}},
        {"class_name": "MultiHeadAttention", "name": "mha", "config": mha,
         "inbound_nodes": [[["q", 0, 0, {"value": ["v", 0, 0]}]]]},
        {"class_name": "Attention", "name": "att", "config": {"name": "att", "use_scale": False, "score_mode": "dot",
                                                              "causal": False, "dropout": 0.0},
         "inbound_nodes": [[["mha", 0, 0, {}], ["mha", 0, 0, {}]]]},
    ], "input_layers": [["q", 0, 0], ["v", 0, 0]], "output_layers": [["att", 0, 0]]}}
    ours = model_from_keras_json(json.dumps(spec), "tf2_attention.json")
    q, v = keras.Input((10, 16)), keras.Input((7, 12))
    y = layers.Attention()([layers.MultiHeadAttention(4, 8)(q, v)] * 2)
    theirs = keras.Model([q, v], y)
    assert ours.output_shapes == [tuple(y.shape)]
    assert int(ours.total_params) == theirs.count_params() == 1904


def test_symbolic_length_attention_file_gives_l_squared_through_the_cli(tmp_path: Path, capsys: Any) -> None:
    x = keras.Input((None, 16), name="x")
    y = layers.MultiHeadAttention(2, 8, name="mha")(x, x)
    y = layers.GroupQueryAttention(4, 4, 2, name="gqa")(y, y)
    path = tmp_path / "open.keras"
    keras.Model(x, layers.Attention(name="att")([y, y])).save(path)
    capsys.readouterr()
    assert main(["formula", str(path)]) == 0
    out = capsys.readouterr().out
    assert "T**2" in out
    T = sympy.Symbol("T", integer=True, positive=True)
    symbolic = load(path)
    assert sympy.Poly(sympy.expand(symbolic.macs("fvcore")), T).degree() == 2
    # each layer's L² part: QKᵀ and AV, by the heads and head sizes Keras was given
    parts = {r.name: sympy.expand(r.macs_by("fvcore")).coeff(T, 2) for r in symbolic.records}
    assert parts == {"x": 0, "mha": 2 * 2 * 8, "gqa": 2 * 4 * 4, "att": 16 + 16}


def dict_output_base() -> Any:
    """A nested model with dict outputs and dict inputs: Keras numbers them by sorted key, not as written."""
    za, zb = keras.Input((6,), name="zb_in"), keras.Input((4,), name="za_in")
    joined = layers.Concatenate(name="cat")([za, zb])
    inner = keras.Model({"zeta": za, "alpha": zb}, {"zeta": layers.Dense(5, name="zd")(joined),
                                                    "alpha": layers.Dense(3, name="ad")(joined)}, name="dicts")
    x, y = keras.Input((6,), name="x"), keras.Input((4,), name="y")
    out = inner({"alpha": y, "zeta": x})
    return keras.Model([x, y], [layers.Dense(2, name="on_z")(out["zeta"]), out["alpha"]], name="dict_base")


def test_dict_inputs_and_outputs_of_a_nested_model_follow_keras_numbering() -> None:
    from truth.keras_truth import keras_truth

    kmodel = dict_output_base()
    truth = keras_truth(kmodel)
    ours = model_from_keras_json(truth["json"], "dicts.json")
    compare_with_keras(ours, truth)
    assert [as_list(s) for s in ours.output_shapes] == [as_list(t.shape) for t in kmodel.outputs]


def time_distributed_model() -> Any:
    """A whole CNN applied to every frame: TimeDistributed wraps a functional model."""
    frame = keras.Input((12, 12, 3), name="frame")
    cnn = keras.Model(frame, layers.GlobalAveragePooling2D(name="cnn_gap")(layers.Conv2D(4, 3, name="cnn_conv")(frame)),
                      name="cnn")
    clip = keras.Input((5, 12, 12, 3), name="clip")
    x = layers.TimeDistributed(cnn, name="per_frame")(clip)
    return keras.Model(clip, layers.LSTM(3, name="over_time")(x), name="video")


def test_time_distributed_over_a_nested_model_matches_keras(tmp_path: Path) -> None:
    from truth.keras_truth import keras_truth

    kmodel = time_distributed_model()
    truth = keras_truth(kmodel)
    compare_with_keras(model_from_keras_json(truth["json"], "video.json"), truth)
    path = tmp_path / "video.keras"
    kmodel.save(path)
    compare_with_keras(load(path), truth)


def test_python_api_nested_model_with_two_outputs_and_states_matches_keras() -> None:
    """The same graph written with symcnn.layers and with keras.layers: shapes and counts agree."""
    from symcnn import Model
    from symcnn import layers as L

    def build(lib: Any, make: Any) -> Any:
        inner_in = lib.Input((10, 4))
        out, _, c = lib.LSTM(6, return_state=True)(inner_in)
        inner = make(inner_in, [out, c])
        x = lib.Input((10, 4))
        a, b = inner(x)
        seq = lib.GRU(3, return_sequences=True)(x)
        return make(x, [lib.Dense(2)(a), lib.Add()([a, b]), seq])

    ours = build(L, lambda i, o: Model(i, o))
    theirs = build(keras.layers, lambda i, o: keras.Model(i, o))
    assert ours.output_shapes == [tuple(t.shape) for t in theirs.outputs]
    assert int(ours.total_params) == theirs.count_params()
    nested = next(r for r in ours.records if r.type == "Functional")
    assert nested.output_shapes == [(None, 6), (None, 6)]


def test_python_api_seq2seq_reaches_the_encoder_through_its_states() -> None:
    from symcnn import Model
    from symcnn import layers as L

    def build(lib: Any, make: Any) -> Any:
        enc, dec = lib.Input((6, 8)), lib.Input((7, 5))
        _, h, c = lib.LSTM(16, return_state=True)(enc)
        out = lib.LSTM(16, return_sequences=True)(dec, initial_state=[h, c])
        return make([enc, dec], lib.Dense(4)(out))

    ours = build(L, lambda i, o: Model(i, o))
    theirs = build(keras.layers, lambda i, o: keras.Model(i, o))
    assert [r.type for r in ours.records].count("LSTM") == 2  # the encoder is in the graph, though only its states are read
    assert ours.output_shapes == [tuple(t.shape) for t in theirs.outputs]
    assert int(ours.total_params) == theirs.count_params()
