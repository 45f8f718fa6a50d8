"""Each torch-convention layer agrees with torch itself: output shape, params, buffers, torchinfo MACs.

Every case builds the real ``torch.nn`` module and the symcnn layer from the same
arguments (torch's own names), runs the module on zeros, and asks torchinfo for its
mult-adds; nothing is typed in by hand.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symcnn.errors import ArgumentError, SymcnnError
from symcnn.expr import dim_symbol
from symcnn.layers.core import InputLayer
from symcnn.layers.torch import TORCH_LAYERS, lookup
from symcnn.model import Model
from symcnn.tensor import Node

torch = pytest.importorskip("torch")
torchinfo = pytest.importorskip("torchinfo")
pytestmark = pytest.mark.slow

# (torch.nn class name, arguments, input shape incl. batch)
CASES: list[tuple[str, dict[str, Any], tuple[int, ...]]] = [
    ("Conv1d", {"in_channels": 3, "out_channels": 5, "kernel_size": 4, "stride": 3, "padding": 2}, (2, 3, 29)),
    ("Conv1d", {"in_channels": 4, "out_channels": 6, "kernel_size": 4, "padding": "same", "dilation": 3}, (1, 4, 17)),
    ("Conv2d", {"in_channels": 3, "out_channels": 7, "kernel_size": 3}, (2, 3, 31, 17)),
    (
        "Conv2d",
        {
            "in_channels": 6,
            "out_channels": 9,
            "kernel_size": (3, 5),
            "stride": (2, 3),
            "padding": (1, 2),
            "groups": 3,
            "bias": False,
        },
        (1, 6, 37, 41),
    ),
    (
        "Conv2d",
        {"in_channels": 4, "out_channels": 4, "kernel_size": 3, "dilation": 2, "padding": 2, "groups": 4},
        (1, 4, 23, 19),
    ),
    ("Conv2d", {"in_channels": 2, "out_channels": 3, "kernel_size": (2, 4), "padding": "same"}, (1, 2, 13, 11)),
    (
        "Conv2d",
        {"in_channels": 2, "out_channels": 3, "kernel_size": 5, "padding": "valid", "stride": 4},
        (3, 2, 53, 29),
    ),
    (
        "Conv2d",
        {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "padding": 1, "padding_mode": "reflect"},
        (1, 2, 7, 11),
    ),
    (
        "Conv3d",
        {"in_channels": 2, "out_channels": 3, "kernel_size": (2, 3, 3), "stride": 2, "padding": 1},
        (1, 2, 9, 13, 11),
    ),
    (
        "ConvTranspose1d",
        {"in_channels": 3, "out_channels": 5, "kernel_size": 4, "stride": 3, "padding": 1, "output_padding": 2},
        (2, 3, 13),
    ),
    ("ConvTranspose2d", {"in_channels": 8, "out_channels": 4, "kernel_size": 2, "stride": 2}, (1, 8, 17, 23)),
    (
        "ConvTranspose2d",
        {
            "in_channels": 6,
            "out_channels": 9,
            "kernel_size": (3, 4),
            "stride": (2, 3),
            "padding": 1,
            "output_padding": (1, 0),
            "groups": 3,
            "dilation": (2, 1),
        },
        (2, 6, 11, 7),
    ),
    (
        "ConvTranspose3d",
        {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "stride": 2, "bias": False},
        (1, 2, 5, 7, 3),
    ),
    ("Linear", {"in_features": 13, "out_features": 7}, (3, 13)),
    ("Linear", {"in_features": 13, "out_features": 5, "bias": False}, (3, 11, 13)),
    ("Linear", {"in_features": 6, "out_features": 5}, (2, 3, 4, 6)),
    ("Bilinear", {"in1_features": 3, "in2_features": 5, "out_features": 4}, None),
    ("BatchNorm1d", {"num_features": 7}, (3, 7)),
    ("BatchNorm1d", {"num_features": 5, "affine": False}, (2, 5, 11)),
    ("BatchNorm2d", {"num_features": 6}, (2, 6, 5, 7)),
    ("BatchNorm2d", {"num_features": 6, "track_running_stats": False}, (2, 6, 5, 7)),
    ("BatchNorm3d", {"num_features": 3}, (2, 3, 3, 5, 7)),
    ("InstanceNorm2d", {"num_features": 3, "affine": True}, (2, 3, 5, 7)),
    ("InstanceNorm1d", {"num_features": 3, "track_running_stats": True}, (2, 3, 5)),
    ("LayerNorm", {"normalized_shape": 11}, (3, 7, 11)),
    ("LayerNorm", {"normalized_shape": (5, 7)}, (2, 3, 5, 7)),
    ("LayerNorm", {"normalized_shape": 9, "bias": False}, (2, 9)),
    ("LayerNorm", {"normalized_shape": 9, "elementwise_affine": False}, (2, 9)),
    ("GroupNorm", {"num_groups": 3, "num_channels": 12}, (2, 12, 5, 3)),
    ("MaxPool1d", {"kernel_size": 3, "stride": 2, "ceil_mode": True}, (2, 3, 20)),
    ("MaxPool2d", {"kernel_size": 2}, (1, 3, 31, 17)),
    ("MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}, (1, 3, 31, 18)),
    ("MaxPool2d", {"kernel_size": 3, "stride": 2, "ceil_mode": True}, (1, 3, 30, 31)),
    ("MaxPool2d", {"kernel_size": 2, "stride": 3, "padding": 1, "ceil_mode": True}, (1, 3, 10, 11)),
    ("MaxPool2d", {"kernel_size": (3, 2), "stride": (2, 1), "dilation": 2, "padding": 1}, (1, 2, 29, 13)),
    ("MaxPool3d", {"kernel_size": 2, "stride": 2, "ceil_mode": True}, (1, 2, 5, 7, 9)),
    ("AvgPool1d", {"kernel_size": 4, "stride": 3, "padding": 2, "ceil_mode": True}, (1, 2, 22)),
    ("AvgPool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, (2, 3, 13, 16)),
    ("AvgPool2d", {"kernel_size": 5, "stride": 3}, (1, 3, 97, 64)),
    ("AvgPool3d", {"kernel_size": (1, 2, 3)}, (1, 2, 3, 7, 11)),
    ("AdaptiveAvgPool1d", {"output_size": 5}, (2, 3, 17)),
    ("AdaptiveAvgPool2d", {"output_size": (1, 1)}, (2, 7, 9, 13)),
    ("AdaptiveAvgPool2d", {"output_size": (None, 3)}, (1, 7, 9, 13)),
    ("AdaptiveMaxPool2d", {"output_size": 6}, (1, 3, 13, 7)),
    ("AdaptiveAvgPool3d", {"output_size": (2, None, 1)}, (1, 3, 5, 7, 9)),
    ("AdaptiveMaxPool1d", {"output_size": 4}, (1, 3, 9)),
    ("Flatten", {}, (2, 3, 5, 7)),
    ("Flatten", {"start_dim": 2}, (2, 3, 5, 7)),
    ("Flatten", {"start_dim": 1, "end_dim": 2}, (2, 3, 5, 7)),
    ("Unflatten", {"dim": 1, "unflattened_size": (3, -1)}, (2, 21, 5)),
    ("Unflatten", {"dim": -1, "unflattened_size": (2, 2, 3)}, (2, 5, 12)),
    ("Dropout", {"p": 0.3}, (2, 5, 7)),
    ("Dropout2d", {}, (2, 5, 7, 3)),
    ("ReLU", {"inplace": True}, (2, 5)),
    ("ReLU6", {}, (2, 5)),
    ("GELU", {"approximate": "tanh"}, (2, 5)),
    ("SiLU", {}, (2, 5, 3)),
    ("Sigmoid", {}, (2, 5)),
    ("Tanh", {}, (2, 5)),
    ("Hardswish", {}, (2, 5)),
    ("Hardsigmoid", {}, (2, 5)),
    ("LeakyReLU", {"negative_slope": 0.2}, (2, 5)),
    ("Softmax", {"dim": 1}, (2, 5)),
    ("Identity", {}, (2, 5, 3)),
    ("PReLU", {"num_parameters": 5}, (2, 5, 3)),
    ("PReLU", {}, (2, 5, 3)),
    ("Upsample", {"scale_factor": 2}, (1, 3, 7, 9)),
    ("Upsample", {"scale_factor": 1.5, "mode": "bilinear"}, (1, 3, 7, 9)),
    ("Upsample", {"scale_factor": (2, 3), "mode": "nearest"}, (1, 3, 7, 5)),
    ("Upsample", {"size": (11, 5)}, (1, 3, 7, 9)),
    ("Upsample", {"size": 10}, (1, 3, 7)),
    ("UpsamplingNearest2d", {"scale_factor": 3}, (1, 3, 7, 5)),
    ("ZeroPad2d", {"padding": 2}, (1, 3, 7, 5)),
    ("ZeroPad2d", {"padding": (1, 0, 3, 2)}, (1, 3, 7, 5)),
    ("ConstantPad2d", {"padding": (1, 2, 0, 3), "value": 1.0}, (1, 3, 7, 5)),
    ("ConstantPad1d", {"padding": 3, "value": 0.5}, (2, 3, 5)),
    ("ReflectionPad2d", {"padding": (2, 1, 1, 2)}, (1, 3, 7, 5)),
    ("ZeroPad3d", {"padding": 1}, (1, 2, 3, 4, 5)),
    ("Embedding", {"num_embeddings": 17, "embedding_dim": 5}, (3, 7)),
    ("RNN", {"input_size": 5, "hidden_size": 7}, (11, 2, 5)),
    (
        "RNN",
        {
            "input_size": 5,
            "hidden_size": 7,
            "num_layers": 2,
            "batch_first": True,
            "bias": False,
            "nonlinearity": "relu",
        },
        (3, 13, 5),
    ),
    ("LSTM", {"input_size": 5, "hidden_size": 7, "num_layers": 3, "bidirectional": True}, (11, 2, 5)),
    (
        "LSTM",
        {
            "input_size": 6,
            "hidden_size": 8,
            "num_layers": 2,
            "proj_size": 3,
            "batch_first": True,
            "bidirectional": True,
        },
        (2, 9, 6),
    ),
    ("GRU", {"input_size": 4, "hidden_size": 6, "num_layers": 2, "batch_first": True}, (3, 10, 4)),
    ("GRU", {"input_size": 4, "hidden_size": 6, "bidirectional": True, "dropout": 0.0}, (10, 3, 4)),
    ("RNNCell", {"input_size": 5, "hidden_size": 7}, (3, 5)),
    ("LSTMCell", {"input_size": 5, "hidden_size": 7, "bias": False}, (3, 5)),
    ("GRUCell", {"input_size": 4, "hidden_size": 6}, (2, 4)),
    ("SyncBatchNorm", {"num_features": 3}, (2, 3, 5, 7)),
    ("LPPool2d", {"norm_type": 2, "kernel_size": 3, "stride": 2, "ceil_mode": True}, (1, 3, 14, 11)),
    ("LPPool1d", {"norm_type": 1, "kernel_size": 4}, (1, 3, 19)),
    ("PixelShuffle", {"upscale_factor": 3}, (2, 18, 5, 7)),
    ("PixelUnshuffle", {"downscale_factor": 2}, (2, 3, 10, 14)),
    ("ChannelShuffle", {"groups": 2}, (1, 4, 3, 3)),
    ("LocalResponseNorm", {"size": 3}, (1, 4, 5, 5)),
    ("Softmax2d", {}, (1, 4, 5, 5)),
]


def _truth(name: str, kwargs: dict[str, Any], shape: tuple[int, ...]) -> dict[str, Any]:
    """What torch and torchinfo say about the module on an input of ``shape``."""
    module = getattr(torch.nn, name)(**kwargs)
    dtype = torch.long if name == "Embedding" else torch.float32
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        out = module(torch.zeros(shape, dtype=dtype))
        stats = torchinfo.summary(torch.nn.Sequential(module), input_size=shape, dtypes=[dtype], verbose=0)
    out = out[0] if isinstance(out, tuple) else out
    return {
        "shape": tuple(out.shape),
        "params": sum(p.numel() for p in module.parameters()),
        "trainable": sum(p.numel() for p in module.parameters() if p.requires_grad),
        "buffers": sum(b.numel() for b in module.buffers()),
        "macs": stats.total_mult_adds,
    }


def _record(name: str, kwargs: dict[str, Any], shape: tuple[Any, ...]):
    layer = TORCH_LAYERS[name](**kwargs)
    source = Node(InputLayer(batch_shape=shape, name="x"), [], "x")
    model = Model(nodes=[source, Node(layer, [source], "layer")], convention="torch")
    return model.records[-1]


@pytest.mark.parametrize("name, kwargs, shape", [c for c in CASES if c[2] is not None], ids=lambda v: str(v))
def test_layer_matches_torch_and_torchinfo(name: str, kwargs: dict[str, Any], shape: tuple[int, ...]) -> None:
    truth = _truth(name, kwargs, shape)
    record = _record(name, kwargs, shape)
    assert record.output_shape == truth["shape"]
    assert record.params == truth["params"]
    assert record.trainable == truth["trainable"]
    assert record.buffers == truth["buffers"]
    assert record.macs == truth["macs"]


@pytest.mark.parametrize("name, kwargs, shape", [c for c in CASES if c[2] is not None], ids=lambda v: str(v))
def test_symbolic_sizes_evaluate_to_the_numeric_result(
    name: str, kwargs: dict[str, Any], shape: tuple[int, ...]
) -> None:
    """The same layer on symbolic spatial sizes (and batch) gives the numeric answers once substituted."""
    if name in ("Linear", "LayerNorm", "Embedding", "Unflatten") or name.startswith(("RNN", "LSTM", "GRU")):
        keep = len(shape) - 1  # the feature axes are fixed by the arguments; only the batch is free
    else:
        keep = 2
    symbols = [dim_symbol(f"s{i}") for i in range(len(shape))]
    sym_shape = tuple(s if i == 0 or i >= keep else d for i, (s, d) in enumerate(zip(symbols, shape)))
    sym_record = _record(name, kwargs, sym_shape)
    num_record = _record(name, kwargs, shape)
    values = dict(zip(symbols, shape))
    assert tuple(sympy.sympify(d).subs(values) for d in sym_record.output_shape) == num_record.output_shape
    assert sym_record.params.subs(values) == num_record.params
    assert sym_record.macs.subs(values) == num_record.macs
    assert sym_record.macs_by("fvcore").subs(values) == num_record.macs_by("fvcore")


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("MaxPool1d", {"kernel_size": 3, "stride": 2, "ceil_mode": True}),
        ("MaxPool1d", {"kernel_size": 2, "stride": 3, "padding": 1, "ceil_mode": True}),
        ("MaxPool1d", {"kernel_size": 3, "stride": 4, "padding": 1, "dilation": 2, "ceil_mode": True}),
        ("AvgPool1d", {"kernel_size": 2, "stride": 5, "padding": 1, "ceil_mode": True}),
        ("AvgPool1d", {"kernel_size": 4, "stride": 3, "padding": 2, "ceil_mode": True}),
        ("Conv1d", {"in_channels": 1, "out_channels": 1, "kernel_size": 4, "stride": 3, "padding": 2, "dilation": 2}),
        (
            "ConvTranspose1d",
            {"in_channels": 1, "out_channels": 1, "kernel_size": 3, "stride": 4, "padding": 2, "output_padding": 3},
        ),
    ],
)
def test_closed_form_length_matches_torch_at_every_size(name: str, kwargs: dict[str, Any]) -> None:
    """One symbolic length (a floor, or a Piecewise for ceil_mode) against torch for n = 9..60."""
    n = dim_symbol("n")
    length = _record(name, kwargs, (1, 1, n)).output_shape[-1]
    module = getattr(torch.nn, name)(**kwargs)
    for size in range(9, 61):
        with torch.no_grad():
            want = module(torch.zeros(1, 1, size)).shape[-1]
        assert sympy.sympify(length).subs(n, size) == want, size


def test_bilinear_takes_two_inputs_like_torch() -> None:
    kwargs = {"in1_features": 3, "in2_features": 5, "out_features": 4}
    module = torch.nn.Bilinear(**kwargs)
    out = module(torch.zeros(2, 3), torch.zeros(2, 5))
    layer = TORCH_LAYERS["Bilinear"](**kwargs)
    a = Node(InputLayer(batch_shape=(2, 3), name="a"), [], "a")
    b = Node(InputLayer(batch_shape=(2, 5), name="b"), [], "b")
    model = Model(nodes=[a, b, Node(layer, [a, b], "bilinear")], convention="torch")
    assert model.records[-1].output_shape == tuple(out.shape)
    assert model.total_params == sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize(
    "name, kwargs, shape",
    [
        ("Conv2d", {"in_channels": 3, "out_channels": 4, "kernel_size": 3, "stride": 2, "padding": "same"}, None),
        ("Conv2d", {"in_channels": 3, "out_channels": 4, "kernel_size": 3, "groups": 2}, None),
        ("Conv2d", {"in_channels": 3, "out_channels": 4, "kernel_size": 3}, (1, 5, 9, 9)),
        ("Conv2d", {"in_channels": 3, "out_channels": 4, "kernel_size": 5}, (1, 3, 3, 9)),
        ("MaxPool2d", {"kernel_size": 2, "padding": 2}, (1, 1, 8, 8)),
        (
            "ConvTranspose2d",
            {"in_channels": 2, "out_channels": 2, "kernel_size": 3, "stride": 2, "output_padding": 2},
            (1, 2, 5, 5),
        ),
        ("Linear", {"in_features": 4, "out_features": 2}, (1, 5)),
        ("BatchNorm2d", {"num_features": 4}, (1, 4, 5)),
        ("GroupNorm", {"num_groups": 3, "num_channels": 8}, None),
        ("LayerNorm", {"normalized_shape": 4}, (1, 5)),
        ("Unflatten", {"dim": 1, "unflattened_size": (4, -1)}, (1, 6)),
        ("LSTM", {"input_size": 3, "hidden_size": 4, "proj_size": 4}, None),
    ],
)
def test_invalid_arguments_and_inputs_fail_in_torch_and_in_symcnn(
    name: str, kwargs: dict[str, Any], shape: Any
) -> None:
    """What torch refuses, symcnn refuses with a SymcnnError (never a bare Python error)."""
    with pytest.raises(Exception):  # noqa: B017 - torch raises ValueError or RuntimeError
        module = getattr(torch.nn, name)(**kwargs)
        if shape is not None:
            module(torch.zeros(shape))
    with pytest.raises(SymcnnError):
        _record(name, kwargs, shape or (1, 1, 1, 1)).output_shape  # noqa: B018


def test_torch_names_never_displace_keras_classes() -> None:
    from symcnn.layers import Layer

    assert Layer.registry["Flatten"].__module__ == "symcnn.layers.core"
    assert lookup("Flatten", "torch") is TORCH_LAYERS["Flatten"]
    assert lookup("Flatten", "keras") is Layer.registry["Flatten"]
    assert lookup("Conv2d", "keras") is TORCH_LAYERS["Conv2d"]


def test_from_config_accepts_torch_argument_names() -> None:
    layer = TORCH_LAYERS["Conv2d"].from_config({"in_channels": 3, "out_channels": 8, "kernel_size": 3, "device": None})
    assert layer.output_shape([(1, 3, 10, 10)]) == (1, 8, 8, 8)
    with pytest.raises(ArgumentError, match="filters"):
        TORCH_LAYERS["Conv2d"].from_config({"in_channels": 3, "filters": 8, "kernel_size": 3})


# ---- property tests: random arguments and sizes, torch decides -------------------------------------


def _agree_or_both_refuse(name: str, kwargs: dict[str, Any], shape: tuple[int, ...]) -> None:
    """Either torch runs and symcnn gives the same shape, params and MACs, or both refuse."""
    try:
        truth = _truth(name, kwargs, shape)
    except (RuntimeError, ValueError):
        with pytest.raises(SymcnnError):
            _record(name, kwargs, shape).output_shape  # noqa: B018
        return
    record = _record(name, kwargs, shape)
    assert (record.output_shape, record.params, record.macs) == (truth["shape"], truth["params"], truth["macs"])


_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(
    rank=st.sampled_from([1, 2]),
    k=st.integers(1, 5), s=st.integers(1, 3), p=st.integers(0, 3), d=st.integers(1, 3),
    groups=st.sampled_from([1, 2]), n=st.integers(1, 23), same=st.booleans(),
)  # fmt: skip
def test_random_convolutions_agree_with_torch(rank: int, k: int, s: int, p: int, d: int, groups: int, n: int,
                                              same: bool) -> None:  # fmt: skip
    padding: Any = "same" if same else p
    kwargs = {"in_channels": 2, "out_channels": 4, "kernel_size": k, "stride": s, "padding": padding,
              "dilation": d, "groups": groups}  # fmt: skip
    name = f"Conv{rank}d"
    try:
        getattr(torch.nn, name)(**kwargs)
    except ValueError:
        with pytest.raises(SymcnnError):
            TORCH_LAYERS[name](**kwargs)
        return
    _agree_or_both_refuse(name, kwargs, (1, 2, *([n] * rank)))


@_SETTINGS
@given(
    k=st.integers(1, 4), s=st.integers(1, 4), p=st.integers(0, 3), op=st.integers(0, 2), d=st.integers(1, 2),
    n=st.integers(1, 13),
)  # fmt: skip
def test_random_transposed_convolutions_agree_with_torch(k: int, s: int, p: int, op: int, d: int, n: int) -> None:
    kwargs = {"in_channels": 2, "out_channels": 3, "kernel_size": k, "stride": s, "padding": p,
              "output_padding": op, "dilation": d}  # fmt: skip
    try:
        torch.nn.ConvTranspose1d(**kwargs)(torch.zeros(1, 2, n))
    except (RuntimeError, ValueError):
        with pytest.raises(SymcnnError):
            _record("ConvTranspose1d", kwargs, (1, 2, n)).output_shape  # noqa: B018
        return
    _agree_or_both_refuse("ConvTranspose1d", kwargs, (1, 2, n))


@_SETTINGS
@given(
    kind=st.sampled_from(["MaxPool1d", "AvgPool1d", "MaxPool2d", "AvgPool2d"]),
    k=st.integers(1, 5), s=st.integers(1, 4), p=st.integers(0, 2), d=st.integers(1, 3),
    ceil=st.booleans(), n=st.integers(1, 30),
)  # fmt: skip
def test_random_poolings_agree_with_torch(kind: str, k: int, s: int, p: int, d: int, ceil: bool, n: int) -> None:
    kwargs: dict[str, Any] = {"kernel_size": k, "stride": s, "padding": p, "ceil_mode": ceil}
    if kind.startswith("Max"):
        kwargs["dilation"] = d
    rank = int(kind[-2])
    _agree_or_both_refuse(kind, kwargs, (1, 2, *([n] * rank)))


@_SETTINGS
@given(
    kind=st.sampled_from(["MaxPool1d", "AvgPool1d", "Conv1d", "ConvTranspose1d"]),
    k=st.integers(1, 5), s=st.integers(1, 4), p=st.integers(0, 2), d=st.integers(1, 3),
    ceil=st.booleans(), n=st.integers(1, 40),
)  # fmt: skip
def test_symbolic_length_at_a_random_size_equals_torch(kind: str, k: int, s: int, p: int, d: int, ceil: bool,
                                                       n: int) -> None:  # fmt: skip
    kwargs: dict[str, Any] = {"kernel_size": k, "stride": s, "padding": p}
    if kind.startswith("Conv"):
        kwargs.update(in_channels=1, out_channels=1, dilation=d)
        if kind == "ConvTranspose1d":
            kwargs["output_padding"] = (s - 1) if ceil else 0
    else:
        kwargs["ceil_mode"] = ceil
        if kind == "MaxPool1d":
            kwargs["dilation"] = d
    try:
        with torch.no_grad():
            want = getattr(torch.nn, kind)(**kwargs)(torch.zeros(1, 1, n)).shape[-1]
    except (RuntimeError, ValueError):
        return
    size = dim_symbol("n")
    length = _record(kind, kwargs, (1, 1, size)).output_shape[-1]
    assert sympy.sympify(length).subs(size, n) == want
