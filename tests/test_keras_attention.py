"""Attention, EinsumDense and Dot, checked against Keras itself (torch backend) and torch's own FLOP counter.

For each row: build the Keras layer, call it on ``keras.Input`` tensors and on real arrays, rebuild
the symcnn layer from ``get_config()`` and the call's keywords, then compare

* every output's shape with the shape the real call returns (Keras's static shape is also checked
  where it states the size: for cross-attention scores and EinsumDense's open or left-``...`` axes
  Keras's static shape says ``None`` or is wrong, and symcnn gives what the call returns);
* trainable and non-trainable counts with Keras's weights;
* torchinfo MACs with torchinfo's rule applied to Keras's count (parameters once per sample);
* fvcore MACs with ``torch.utils.flop_counter.FlopCounterMode`` on the real call (FLOPs / 2; it counts
  matrix products, no bias), through the einsum path Keras takes when attention scores are returned.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symcnn.errors import ArgumentError, ShapeError, SymcnnError
from symcnn.layers import InputLayer, Layer
from symcnn.model import Model
from symcnn.tensor import Node

pytestmark = pytest.mark.slow
keras = pytest.importorskip("keras")
np = pytest.importorskip("numpy")
torch = pytest.importorskip("torch")

Shape = tuple[Any, ...]
Q, KV, K2 = (None, 10, 16), (None, 7, 12), (None, 7, 5)

# (class name, Keras kwargs, input shapes (batch None), call keywords)
CASES: list[tuple[str, dict[str, Any], list[Shape], dict[str, Any]]] = [
    ("MultiHeadAttention", {"num_heads": 4, "key_dim": 8}, [Q, Q], {}),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 5, "value_dim": 3}, [Q, KV], {}),
    ("MultiHeadAttention", {"num_heads": 3, "key_dim": 4, "use_bias": False}, [Q, KV, K2], {}),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 4, "output_shape": 7}, [Q, KV], {}),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 4, "output_shape": (3, 5)}, [Q, Q], {}),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 3, "use_gate": True}, [Q, KV], {}),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 3, "attention_axes": (2,)}, [(None, 4, 5, 6), (None, 4, 7, 6)], {}),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 3, "attention_axes": (1, 2)}, [(None, 4, 5, 6), (None, 3, 2, 6)],
     {}),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 3, "attention_axes": -2}, [(None, 4, 5, 6), (None, 4, 2, 6)], {}),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 3}, [(None, 4, 5, 6), (None, 3, 2, 6)], {}),
    ("MultiHeadAttention", {"num_heads": 4, "key_dim": 8}, [Q, Q], {"return_attention_scores": True}),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 6, "value_dim": 2}, [Q, KV], {"return_attention_scores": True}),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 3, "attention_axes": (1, 2)}, [(None, 4, 5, 6), (None, 3, 2, 6)],
     {"return_attention_scores": True}),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 4, "dropout": 0.1}, [Q, Q], {"use_causal_mask": True}),
    ("GroupedQueryAttention", {"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2}, [Q, (None, 7, 16)], {}),
    ("GroupedQueryAttention", {"head_dim": 3, "num_query_heads": 6, "num_key_value_heads": 1}, [Q, (None, 7, 16), K2],
     {}),
    ("GroupedQueryAttention", {"head_dim": 5, "num_query_heads": 2, "num_key_value_heads": 2, "use_bias": False},
     [Q, Q], {}),
    ("GroupedQueryAttention", {"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": 2, "use_gate": True},
     [Q, (None, 7, 16)], {"return_attention_scores": True}),
    ("Attention", {}, [Q, (None, 7, 16)], {}),
    ("Attention", {"use_scale": True, "score_mode": "concat"}, [Q, (None, 7, 16)], {}),
    ("Attention", {"use_scale": True}, [(None, 5, 8), (None, 6, 3), (None, 6, 8)], {"return_attention_scores": True}),
    ("Attention", {"score_mode": "concat"}, [Q, Q], {"return_attention_scores": True, "use_causal_mask": True}),
    ("AdditiveAttention", {}, [Q, (None, 7, 16)], {}),
    ("AdditiveAttention", {"use_scale": False}, [(None, 5, 8), (None, 6, 3), (None, 6, 8)],
     {"return_attention_scores": True}),
    ("EinsumDense", {"equation": "ab,bc->ac", "output_shape": 7, "bias_axes": "c"}, [(None, 12)], {}),
    ("EinsumDense", {"equation": "abc,cd->abd", "output_shape": (None, 7), "bias_axes": "d"}, [(None, 5, 12)], {}),
    ("EinsumDense", {"equation": "abc,cde->abde", "output_shape": (None, 4, 8), "bias_axes": "de"}, [(None, 5, 12)], {}),
    ("EinsumDense", {"equation": "abc,cde->abde", "output_shape": (5, 4, 8), "bias_axes": "e"}, [(None, 5, 12)], {}),
    ("EinsumDense", {"equation": "...b,bc->...c", "output_shape": 5, "bias_axes": "c"}, [(None, 3, 4, 6)], {}),
    ("EinsumDense", {"equation": "...b,bc->...c", "output_shape": 5}, [(None, 6)], {}),
    ("EinsumDense", {"equation": "ab...,bc->ac...", "output_shape": 5, "bias_axes": "c"}, [(None, 6, 3, 4)], {}),
    ("EinsumDense", {"equation": "abcd,cde->abe", "output_shape": (None, 9)}, [(None, 4, 5, 6)], {}),
    ("EinsumDense", {"equation": "abc,bcd->abd", "output_shape": (5, 7), "bias_axes": "bd"}, [(None, 5, 6)], {}),
    ("EinsumDense", {"equation": "abc,cd->abd", "output_shape": (None, 7), "bias_axes": "d", "lora_rank": 2},
     [(None, 5, 12)], {}),
    ("EinsumDense", {"equation": "ab,bc->ac", "output_shape": (4, 5)}, [(None, 7)], {}),  # Keras ignores the extra 5
    ("Dense", {"units": 7, "lora_rank": 3}, [(None, 5, 12)], {}),  # LoRA's a @ b, as for EinsumDense
    ("Dot", {"axes": 1}, [(None, 5), (None, 5)], {}),
    ("Dot", {"axes": (1, 2)}, [(None, 5, 2), (None, 10, 5)], {}),
    ("Dot", {"axes": -1}, [(None, 3, 4), (None, 6, 4)], {}),
    ("Dot", {"axes": (2, 2), "normalize": True}, [(None, 3, 4), (None, 6, 4)], {}),
    ("Dot", {"axes": (1, 1)}, [(None, 4), (None, 4, 6)], {}),
    ("Dot", {"axes": (2, 1)}, [(None, 3, 4), (None, 4)], {}),
    ("Dot", {"axes": (3, 1)}, [(None, 2, 3, 4), (None, 4, 5)], {}),
]

LIST_CALLED = {"Attention", "AdditiveAttention", "Dot"}
KERAS_NAMES = {"GroupedQueryAttention": "GroupQueryAttention"}  # Keras exports the class under this name


def keras_layer(name: str, kwargs: dict[str, Any]) -> Any:
    return getattr(keras.layers, KERAS_NAMES.get(name, name))(**kwargs)


def _call(layer: Any, tensors: list[Any], name: str, keywords: dict[str, Any]) -> list[Any]:
    """Call a Keras layer as Keras's users do; the outputs flattened."""
    if name in LIST_CALLED:
        out = layer(tensors, **keywords)
    elif len(tensors) == 1:
        out = layer(tensors[0], **keywords)
    else:
        out = layer(*tensors, **keywords)
    return list(keras.tree.flatten(out))


def _arrays(shapes: list[Shape], batch: int) -> list[Any]:
    rng = np.random.default_rng(0)
    return [rng.standard_normal((batch, *s[1:])).astype("float32") for s in shapes]


def _count(weights: list[Any]) -> int:
    return sum(math.prod(int(d) for d in w.shape) for w in weights)


def keras_truth(name: str, kwargs: dict[str, Any], shapes: list[Shape], keywords: dict[str, Any]) -> dict[str, Any]:
    """Keras's layer, its static and run output shapes, its counts, and FlopCounterMode's MACs per sample."""
    from torch.utils.flop_counter import FlopCounterMode

    layer = keras_layer(name, kwargs)
    static = [tuple(t.shape) for t in _call(layer, [keras.Input(batch_shape=s) for s in shapes], name, keywords)]
    run = [(None, *tuple(t.shape)[1:]) for t in _call(layer, _arrays(shapes, 2), name, keywords)]
    counting = dict(keywords)
    if name in ("MultiHeadAttention", "GroupedQueryAttention"):
        counting["return_attention_scores"] = True  # Keras's einsum path, whose products torch counts
    with FlopCounterMode(display=False) as counter:
        _call(layer, _arrays(shapes, 1), name, counting)
    return {
        "layer": layer,
        "static": static,
        "run": run,
        "trainable": _count(layer.trainable_weights),
        "non_trainable": _count(layer.non_trainable_weights),
        "macs": counter.get_total_flops() // 2,
    }


def symcnn_record(name: str, config: dict[str, Any], shapes: list[Shape], keywords: dict[str, Any]) -> Any:
    layer = Layer.registry[name].from_config(config)
    inputs = [Node(InputLayer(batch_shape=s), []) for s in shapes]
    node = Node(layer, inputs, call={k: v for k, v in keywords.items() if k != "use_causal_mask"})
    return Model(nodes=[*inputs, node], output_nodes=[node]).records[-1]


def _case_id(case: tuple[str, dict[str, Any], list[Shape], dict[str, Any]]) -> str:
    name, kwargs, shapes, keywords = case
    args = ",".join(f"{k}={v}" for k, v in {**kwargs, **keywords}.items())
    return f"{name}({args})@{'+'.join(str(s[1:]) for s in shapes)}".replace(" ", "")


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_layer_matches_keras_shapes_counts_and_macs(case: tuple[str, dict[str, Any], list[Shape], dict[str, Any]]) -> None:
    name, kwargs, shapes, keywords = case
    truth = keras_truth(name, kwargs, shapes, keywords)
    record = symcnn_record(name, truth["layer"].get_config(), shapes, keywords)
    assert record.output_shapes == truth["run"]
    for i, (ours, static) in enumerate(zip(record.output_shapes, truth["static"])):
        if name == "EinsumDense" or (name == "MultiHeadAttention" and i == 1):
            continue  # Keras's static shape differs from the call's here (see the next test)
        assert len(ours) == len(static) and all(s is None or o == s for o, s in zip(ours, static))
    assert (int(record.trainable), int(record.non_trainable)) == (truth["trainable"], truth["non_trainable"])
    assert int(record.params) == truth["layer"].count_params()
    assert int(record.macs_by("torchinfo")) == truth["layer"].count_params()  # torchinfo: parameters once per sample
    assert int(record.macs_by("fvcore")) == truth["macs"]


def test_keras_static_shapes_differ_from_the_call_where_the_docs_say() -> None:
    """The documented differences are real: symcnn follows the call, not Keras's static shape."""
    cross = keras_truth("MultiHeadAttention", {"num_heads": 2, "key_dim": 3}, [Q, KV], {"return_attention_scores": True})
    assert cross["static"][1] == (None, 2, 10, 10) and cross["run"][1] == (None, 2, 10, 7)
    left = keras_truth("EinsumDense", {"equation": "...b,bc->...c", "output_shape": 5}, [(None, 3, 4, 6)], {})
    assert left["static"] == [(None, 4, 3, 5)] and left["run"] == [(None, 3, 4, 5)]
    open_axis = keras_truth("EinsumDense", {"equation": "abc,cd->abd", "output_shape": (None, 7)}, [(None, 5, 12)], {})
    assert open_axis["static"] == [(None, None, 7)] and open_axis["run"] == [(None, 5, 7)]


# Keras refuses these when the layer is made or built: symcnn refuses them too.
REFUSED: list[tuple[str, dict[str, Any], list[Shape]]] = [
    ("MultiHeadAttention", {"num_heads": 0, "key_dim": 4}, [Q, Q]),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 4}, [Q, KV, (None, 6, 12)]),
    ("GroupedQueryAttention", {"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 3}, [Q, Q]),
    ("GroupedQueryAttention", {"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2}, [Q, KV]),
    ("Attention", {"score_mode": "sum"}, [Q, Q]),
    ("EinsumDense", {"equation": "ab->b", "output_shape": 4}, [(None, 4)]),
    ("EinsumDense", {"equation": "abc,cd->abd", "output_shape": (9, 64)}, [(None, 7, 128)]),
    ("EinsumDense", {"equation": "abc,cd->abd", "output_shape": (None, 64), "bias_axes": "x"}, [(None, 7, 128)]),
    ("EinsumDense", {"equation": "abc,cd->abd", "output_shape": (None, 64)}, [(None, 7)]),
    ("Dot", {"axes": (1, 2)}, [(None, 5, 2), (None, 10, 4)]),
    ("Dot", {"axes": 1}, [(None, 5), (None, 5), (None, 5)]),
    ("Dot", {"axes": (1, 2, 3)}, [(None, 5), (None, 5)]),
]


@pytest.mark.parametrize("case", REFUSED, ids=[_case_id((*c, {})) for c in REFUSED])
def test_symcnn_refuses_what_keras_refuses(case: tuple[str, dict[str, Any], list[Shape]]) -> None:
    name, kwargs, shapes = case
    with pytest.raises((ValueError, TypeError, IndexError)):
        layer = keras_layer(name, kwargs)
        _call(layer, [keras.Input(batch_shape=s) for s in shapes], name, {})
    with pytest.raises((ArgumentError, ShapeError)):
        symcnn_record(name, dict(kwargs), shapes, {})


# Keras builds these, but the call fails on real data: symcnn refuses the model it cannot run.
CANNOT_RUN: list[tuple[str, dict[str, Any], list[Shape]]] = [
    ("Attention", {}, [(None, 5, 8), (None, 6, 4)]),
    ("AdditiveAttention", {}, [(None, 5, 8), (None, 6, 3), (None, 6, 4)]),
    ("Attention", {}, [(None, 5, 8), (None, 6, 3), (None, 7, 8)]),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 3, "attention_axes": (2,)}, [(None, 4, 5, 6), (None, 3, 7, 6)]),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 3}, [(None, 4, 6), (None, 3, 2, 6)]),
]


@pytest.mark.parametrize("case", CANNOT_RUN, ids=[_case_id((*c, {})) for c in CANNOT_RUN])
def test_a_layer_keras_builds_but_cannot_run_is_refused(case: tuple[str, dict[str, Any], list[Shape]]) -> None:
    name, kwargs, shapes = case
    layer = keras_layer(name, kwargs)
    _call(layer, [keras.Input(batch_shape=s) for s in shapes], name, {})  # Keras builds it ...
    with pytest.raises(Exception):  # noqa: B017 (... and the backend's own error varies)
        _call(layer, _arrays(shapes, 2), name, {})
    with pytest.raises(ShapeError):
        symcnn_record(name, layer.get_config(), shapes, {})


# ---- the sequence length as a symbol: QKᵀ and AV give L² ---------------------------------------------

SEQUENCE_LAYERS: list[tuple[str, dict[str, Any], int, dict[str, Any]]] = [
    ("MultiHeadAttention", {"num_heads": 4, "key_dim": 8}, 16, {}),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 6, "value_dim": 3, "output_shape": 5}, 16, {}),
    ("GroupedQueryAttention", {"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2}, 16, {}),
    ("Attention", {"use_scale": True}, 16, {}),
    ("AdditiveAttention", {}, 16, {}),
    ("Dot", {"axes": 2}, 16, {}),
]


@pytest.mark.parametrize("case", SEQUENCE_LAYERS, ids=[c[0] for c in SEQUENCE_LAYERS])
def test_self_attention_over_a_symbolic_length_has_l_squared_and_matches_keras_at_each_length(
    case: tuple[str, dict[str, Any], int, dict[str, Any]],
) -> None:
    name, kwargs, features, keywords = case
    L = sympy.Symbol("L", integer=True, positive=True)
    record = symcnn_record(name, kwargs, [(None, L, features)] * 2, keywords)
    fvcore = sympy.expand(record.macs_by("fvcore"))
    assert sympy.Poly(fvcore, L).degree() == 2  # QKᵀ and AV grow with L²
    assert not record.macs_by("torchinfo").has(L)  # torchinfo counts the parameters once per sample
    for length in (3, 8, 21):
        truth = keras_truth(name, kwargs, [(None, length, features)] * 2, keywords)
        assert [tuple(sympy.sympify(d).subs(L, length) if d is not None else None for d in s)
                for s in record.output_shapes] == truth["run"]
        assert fvcore.subs(L, length) == truth["macs"]
        assert int(record.params) == truth["layer"].count_params()


def test_python_api_builds_a_transformer_block_with_symbolic_length() -> None:
    """symcnn.layers in the functional API: self-attention, residual, LayerNorm, FFN; totals equal Keras's at a length."""
    from symcnn import layers as L

    T = sympy.Symbol("T", integer=True, positive=True)
    x = L.Input(("T", 32))
    attended, scores = L.MultiHeadAttention(num_heads=4, key_dim=8)(x, x, return_attention_scores=True)
    y = L.LayerNormalization()(L.Add()([x, attended]))
    y = L.EinsumDense("abc,cd->abd", output_shape=(None, 64), bias_axes="d")(y)
    y = L.Dense(32)(y)
    ours = Model(x, [y, scores])
    assert ours.output_shapes == [(None, T, 32), (None, 4, T, T)]
    assert sympy.Poly(sympy.expand(ours.macs("fvcore")), T).degree() == 2

    kx = keras.Input((12, 32))
    ka, ks = keras.layers.MultiHeadAttention(num_heads=4, key_dim=8)(kx, kx, return_attention_scores=True)
    ky = keras.layers.LayerNormalization()(keras.layers.Add()([kx, ka]))
    ky = keras.layers.EinsumDense("abc,cd->abd", output_shape=(None, 64), bias_axes="d")(ky)
    theirs = keras.Model(kx, [keras.layers.Dense(32)(ky), ks])
    at = ours.subs({T: 12})
    assert at.output_shapes == [(None, *tuple(t.shape)[1:]) for t in theirs(np.zeros((2, 12, 32), "float32"))]
    assert int(at.total_params) == theirs.count_params()


def test_yaml_reads_attention_layers(tmp_path: Any) -> None:
    from symcnn.io import load

    path = tmp_path / "attention.yaml"
    path.write_text(
        "name: attention\ninputs: {tokens: [T, 16], memory: [S, 12]}\nlayers:\n"
        "  - MultiHeadAttention: {name: cross, num_heads: 2, key_dim: 8, inputs: [tokens, memory]}\n"
        "  - EinsumDense: {name: proj, equation: 'abc,cd->abd', output_shape: [null, 6], bias_axes: d}\n"
        "  - Dot: {name: sim, axes: 2, inputs: [proj, proj]}\n"
    )
    ours = load(str(path)).subs({"T": 9, "S": 5})
    tokens, memory = keras.Input((9, 16)), keras.Input((5, 12))
    y = keras.layers.MultiHeadAttention(num_heads=2, key_dim=8)(tokens, memory)
    y = keras.layers.EinsumDense("abc,cd->abd", output_shape=(9, 6), bias_axes="d")(y)
    theirs = keras.Model([tokens, memory], keras.layers.Dot(axes=2)([y, y]))
    assert ours.output_shapes == [tuple(t.shape) for t in theirs.outputs]
    assert int(ours.total_params) == theirs.count_params()


def test_bad_equations_are_named_argument_errors() -> None:
    from symcnn.layers.einsum import parse_equation

    for text in ("ab,bc", "a b,bc->ac", "ab,b,c->ac", "ab,b...c->ac", "...ab,bc->ac...", "a...,bc->a...", "aab,bc->ac",
                 "ab,bc->a1", "", "ab,bc->ac" * 40):
        with pytest.raises(ArgumentError, match="equation"):
            parse_equation(text)
    with pytest.raises(SymcnnError):
        Layer.registry["EinsumDense"].from_config({"equation": 7, "output_shape": 3})


def test_docs_attention_numbers_are_what_symcnn_and_torch_count() -> None:
    """docs/macs.md's table: symcnn's closed forms, and torch's FlopCounterMode on the Keras model (SDPA uncounted)."""
    from pathlib import Path

    from torch.utils.flop_counter import FlopCounterMode

    from symcnn.io.keras import model_from_keras_json

    def block(length: int | None) -> Any:
        x = keras.Input((length, 64))
        a = keras.layers.MultiHeadAttention(num_heads=4, key_dim=16)(x, x)
        y = keras.layers.LayerNormalization()(keras.layers.Add()([x, a]))
        f = keras.layers.Dense(64)(keras.layers.Dense(128, activation="relu")(y))
        return keras.Model(x, keras.layers.LayerNormalization()(keras.layers.Add()([y, f])))

    T = sympy.Symbol("T", integer=True, positive=True)
    ours = model_from_keras_json(block(None).to_json(), "block.json")
    assert sympy.expand(ours.macs("fvcore")) == 128 * T**2 + 32768 * T
    assert ours.macs("torchinfo") == ours.total_params == 33472
    doc = (Path(__file__).resolve().parent.parent / "docs" / "macs.md").read_text(encoding="utf-8")
    for length, symcnn_fvcore, counted in ((64, 2_621_440, 2_097_152), (128, 6_291_456, 4_194_304)):
        with FlopCounterMode(display=False) as counter:
            block(length)(np.zeros((1, length, 64), "float32"))
        assert counter.get_total_flops() // 2 == counted == 32768 * length
        assert ours.macs("fvcore").subs(T, length) == symcnn_fvcore
        assert f"{symcnn_fvcore:,}" in doc
    assert all(text in doc for text in ("2,097,152", "524,288", "33,472", "128·T² + 32768·T"))


# ---- property: random multi-head and grouped-query attention, symcnn == Keras ------------------------------

@st.composite
def attention_cases(draw: st.DrawFn) -> tuple[str, dict[str, Any], list[Shape], dict[str, Any]]:
    size = st.integers(2, 6)  # a size-1 contraction is a plain multiply to torch's einsum, which its counter skips
    t, s = draw(size), draw(size)
    query, value, key = (None, t, draw(size)), (None, s, draw(size)), (None, s, draw(size))
    if draw(st.booleans()):
        heads = draw(st.integers(2, 3))
        kwargs: dict[str, Any] = {"num_query_heads": heads * draw(st.integers(1, 3)), "num_key_value_heads": heads,
                                  "head_dim": draw(size), "use_bias": draw(st.booleans())}
        value = (None, s, query[2])  # Keras: the query's and the value's features agree
        name = "GroupedQueryAttention"
    else:
        kwargs = {"num_heads": draw(st.integers(2, 4)), "key_dim": draw(size), "use_bias": draw(st.booleans()),
                  "value_dim": draw(st.one_of(st.none(), size)),
                  "output_shape": draw(st.one_of(st.none(), size, st.tuples(size, size)))}
        name = "MultiHeadAttention"
    shapes = [query, value, key] if draw(st.booleans()) else [query, value]
    keywords = {"return_attention_scores": True} if draw(st.booleans()) else {}
    return name, kwargs, shapes, keywords


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(attention_cases())
def test_random_attention_layers_agree_with_keras(case: tuple[str, dict[str, Any], list[Shape], dict[str, Any]]) -> None:
    name, kwargs, shapes, keywords = case
    truth = keras_truth(name, kwargs, shapes, keywords)
    record = symcnn_record(name, truth["layer"].get_config(), shapes, keywords)
    assert record.output_shapes == truth["run"]
    assert int(record.params) == truth["layer"].count_params()
    assert int(record.macs_by("fvcore")) == truth["macs"]
