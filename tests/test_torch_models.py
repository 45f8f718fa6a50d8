"""from_torch on whole networks, checked layer by layer against torch and torchinfo themselves.

For every network and input size: each module call's output shape and MACs equal
torchinfo's row for that call, each module's parameters equal ``p.numel()`` summed,
and the totals equal ``sum(p.numel() for p in net.parameters())`` and torchinfo's
``total_mult_adds``. Closed forms with symbolic H, W are evaluated at several sizes.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symcnn.errors import ArgumentError, GraphError, ShapeError, UnknownLayerError
from symcnn.layers.core import InputLayer

torch = pytest.importorskip("torch")
torchinfo = pytest.importorskip("torchinfo")
nn = torch.nn
F = torch.nn.functional

import torch_zoo as zoo

from symcnn import from_torch

pytestmark = pytest.mark.slow

H, W, N = sympy.symbols("H W N", integer=True, positive=True)


def _torchinfo(net: Any, shape: tuple[int, ...], dtype: Any = None) -> Any:
    dtype = dtype or torch.float32
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        return torchinfo.summary(net, input_size=shape, dtypes=[dtype], verbose=0)


def _module_records(model: Any, net: Any) -> list[Any]:
    """The records of module calls that torchinfo lists as leaf rows (called modules without children)."""
    names = dict(net.named_modules())
    return [
        r for r in model.records
        if not isinstance(r.layer, InputLayer) and r.name.split("#")[0] in names
        and not any(names[r.name.split("#")[0]].children()) and "(not called)" not in r.type
    ]  # fmt: skip


def _check_against_torch(net: Any, shape: tuple[int, ...], dtype: Any = None) -> None:
    """Per module call: class, output shape, MACs (torchinfo's rows); per module: params; totals."""
    model = from_torch(net, shape)
    stats = _torchinfo(net, shape, dtype)
    leaves = [info for info in stats.summary_list if info.is_leaf_layer]
    records = _module_records(model, net)
    assert [r.type for r in records] == [info.class_name for info in leaves]
    assert [list(r.output_shape) for r in records] == [info.output_size for info in leaves]
    assert [r.macs for r in records] == [info.macs for info in leaves]
    modules = dict(net.named_modules())
    for r in records:
        own = sum(p.numel() for p in modules[r.name.split("#")[0]].parameters())
        assert r.params + sum(w.size for w in r.weights if w.name in r.tied_weights) == (0 if r.shared_with else own)
    if not any(r.tied_weights for r in model.records):  # torchinfo's total double-counts tied tensors
        assert stats.total_params == model.total_params
    assert model.total_params == sum(p.numel() for p in net.parameters())
    assert model.trainable_params == sum(p.numel() for p in net.parameters() if p.requires_grad)
    assert model.total_buffers == sum(b.numel() for b in net.buffers())
    assert model.total_macs == stats.total_mult_adds
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = net(torch.zeros(shape, dtype=dtype or torch.float32))
    outs = out if isinstance(out, tuple) else (out,)
    assert model.output_shapes == [tuple(o.shape) for o in outs]


NETS = [
    ("seed", zoo.seed, [(1, 1, 64, 64), (3, 1, 65, 64)]),
    ("lenet5", zoo.LeNet5, [(2, 1, 32, 32), (1, 1, 33, 32)]),
    ("alexnet", zoo.alexnet, [(1, 3, 64, 64), (1, 3, 97, 97), (2, 3, 128, 101)]),
    ("vgg16", zoo.VGG16, [(1, 3, 64, 64), (1, 3, 97, 97), (1, 3, 128, 128)]),
    ("vgg16_bn", lambda: zoo.VGG16(num_classes=10, batch_norm=True), [(2, 3, 37, 53)]),
    ("resnet18", zoo.resnet18, [(1, 3, 64, 64), (2, 3, 97, 97), (1, 3, 128, 67)]),
    ("resnet50", zoo.resnet50, [(1, 3, 97, 97)]),
    ("mobilenet_v2ish", zoo.MobileNetV2ish, [(1, 3, 64, 64), (2, 3, 97, 97), (1, 3, 128, 71)]),
    ("unet", zoo.UNet, [(1, 3, 64, 64), (2, 3, 96, 52), (1, 3, 128, 128)]),
    ("shared_block", zoo.SharedBlock, [(1, 3, 11, 13), (2, 3, 32, 7)]),
    ("tied_linear", zoo.TiedLinear, [(3, 16), (2, 5, 16)]),
    ("convnextish", zoo.ConvNeXtish, [(1, 3, 32, 32), (2, 3, 61, 47)]),
    ("tiny_vit", zoo.TinyViT, [(2, 3, 32, 32), (1, 3, 35, 35)]),
    ("shuffle_block", zoo.ShuffleBlock, [(1, 3, 16, 16), (1, 3, 21, 13)]),
    ("aux_head_eval", zoo.WithAuxHead, [(2, 3, 11, 11)]),
]


@pytest.mark.parametrize(
    "make, shape", [(make, shape) for _, make, shapes in NETS for shape in shapes],
    ids=[f"{name}-{'x'.join(map(str, s))}" for name, _, shapes in NETS for s in shapes],
)  # fmt: skip
def test_network_matches_torch_and_torchinfo_layer_by_layer(make: Any, shape: tuple[int, ...]) -> None:
    _check_against_torch(make().eval(), shape)


def test_recurrent_network_with_embedding_and_states_matches_torchinfo() -> None:
    _check_against_torch(zoo.TextLSTM().eval(), (2, 9), torch.long)
    _check_against_torch(zoo.TextLSTM().eval(), (3, 17), torch.long)


@pytest.mark.parametrize(
    "make, sizes",
    [
        (zoo.resnet50, (64, 96, 128, 224, 352)),
        (zoo.resnet18, (64, 97, 128)),
        (zoo.VGG16, (64, 97, 128)),
        (zoo.alexnet, (64, 97, 128)),
        (zoo.MobileNetV2ish, (64, 97, 128)),
        (zoo.UNet, (64, 96, 128)),
    ],
    ids=["resnet50", "resnet18", "vgg16", "alexnet", "mobilenet_v2ish", "unet"],
)
def test_closed_form_macs_with_symbolic_sides_equal_torchinfo_at_each_size(make: Any, sizes: tuple[int, ...]) -> None:
    net = make().eval()
    model = from_torch(net, (1, 3, H, W))
    macs, params = model.total_macs, model.total_params
    assert macs.free_symbols == {H, W}
    assert params == sum(p.numel() for p in net.parameters())
    for size in sizes:
        assert macs.subs({H: size, W: size}) == _torchinfo(net, (1, 3, size, size)).total_mult_adds, size


def test_symbolic_batch_and_sides_keep_the_callers_symbols() -> None:
    height = sympy.Symbol("height", integer=True, positive=True)  # the caller's own symbol
    net = zoo.resnet18().eval()
    model = from_torch(net, (N, 3, height, 77))
    assert {N, height} <= model.total_macs.free_symbols
    assert any(s is height for s in model.total_macs.free_symbols)
    assert model.output_shapes == [(N, 1000)]
    assert model.total_macs.subs({N: 2, height: 61}) == _torchinfo(net, (2, 3, 61, 77)).total_mult_adds


def test_unet_at_a_side_torch_cannot_concatenate_fails_in_both() -> None:
    net = zoo.UNet().eval()
    with pytest.raises(RuntimeError), torch.no_grad():
        net(torch.zeros(1, 3, 97, 97))
    with pytest.raises(ShapeError, match="cat"):
        from_torch(net, (1, 3, 97, 97))


def test_shared_module_is_one_layer_at_two_nodes() -> None:
    net = zoo.SharedBlock()
    model = from_torch(net, (1, 3, 16, 16))
    calls = [r for r in model.records if r.name.split("#")[0] == "block"]
    assert len(calls) == 2 and calls[0].layer is calls[1].layer
    assert calls[1].shared_with == calls[0].name and calls[1].params == 0
    assert model.total_params == sum(p.numel() for p in net.parameters())
    assert calls[0].macs == calls[1].macs != 0  # torchinfo counts each call's MACs


def test_tied_weight_counts_once_and_a_direct_parameter_counts() -> None:
    net = zoo.TiedLinear()
    model = from_torch(net, (4, 16))
    b = model.get_layer("b")
    assert b.tied_weights == {"weight": "a.weight"}
    assert b.params == net.b.bias.numel()
    assert model.get_layer("scale").params == net.scale.numel()
    assert model.total_params == sum(p.numel() for p in net.parameters())


class _Functional(nn.Module):
    """Sizes read off tensors and functional ops between modules."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3)
        self.fc = nn.Linear(12, 5)

    def forward(self, x: Any) -> Any:
        y = F.max_pool2d(self.conv(x), 3, stride=2, ceil_mode=True)
        y = F.pad(y, (1, 2, 0, 1))
        z = F.interpolate(y, scale_factor=2)
        z = F.avg_pool2d(z, 2)
        y = torch.cat([y, z, y], dim=-3)
        y = y.transpose(1, 3).permute(0, 3, 2, 1).contiguous()
        w = y.mean((2, 3), keepdim=True).squeeze(-1).unsqueeze(1)
        n, c = y.size(0), y.shape[1]
        flat = y.view(n, c // 6, -1)
        pooled = F.adaptive_avg_pool1d(flat, 12)
        return self.fc(pooled).flatten(1), w + 1.0


@pytest.mark.parametrize("side", [17, 20, 31])
def test_functional_ops_and_size_arithmetic_follow_torch(side: int) -> None:
    net = _Functional().eval()
    with torch.no_grad():
        outs = net(torch.zeros(2, 3, side, side + 4))
    symbolic = from_torch(net, (2, 3, H, W))
    got = [tuple(sympy.sympify(d).subs({H: side, W: side + 4}) for d in s) for s in symbolic.output_shapes]
    assert got == [tuple(o.shape) for o in outs]
    assert from_torch(net, (2, 3, side, side + 4)).total_macs == _torchinfo(net, (2, 3, side, side + 4)).total_mult_adds


class _WithEncoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(8, 8)
        self.encoder = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)

    def forward(self, x: Any) -> Any:
        return self.encoder(self.proj(x))


class _Diff(nn.Module):
    def forward(self, x: Any) -> Any:
        return torch.diff(x, dim=1)


class _Branchy(nn.Module):
    def forward(self, x: Any) -> Any:
        return x * 2 if x.sum() > 0 else x


def test_unknown_module_is_named_with_its_qualified_name() -> None:
    with pytest.raises(UnknownLayerError, match="TransformerEncoderLayer") as info:
        from_torch(_WithEncoder(), (1, 5, 8))
    assert "'encoder'" in str(info.value)


def test_unknown_op_is_named_or_passed_through_with_a_warning() -> None:
    with pytest.raises(UnknownLayerError, match="diff"):
        from_torch(_Diff(), (1, 5, 8))
    with pytest.warns(UserWarning, match="diff"):
        model = from_torch(_Diff(), (1, 5, 8), unknown_ops="ignore")
    assert model.output_shapes == [(1, 5, 8)]


def test_ignored_unknown_module_passes_its_input_through() -> None:
    net = _WithEncoder()
    with pytest.warns(UserWarning, match="TransformerEncoderLayer"):
        model = from_torch(net, (1, 5, 8), unknown_ops="ignore")
    assert model.output_shapes == [(1, 5, 8)]
    assert model.get_layer("encoder").params == 0
    assert model.total_params == sum(p.numel() for p in net.parameters())
    assert any("(ignored)" in r.type for r in model.records)


@pytest.mark.parametrize(
    "module, shape, error",
    [
        (_Branchy(), (1, 3), GraphError),
        ("not a module", (1, 3), ArgumentError),
        (nn.Linear(3, 2), "1,3", ArgumentError),
        (nn.Linear(3, 2), (1, 0), ArgumentError),
        (nn.Linear(3, 2), (1, 4), ShapeError),
    ],
)
def test_bad_input_raises_a_symcnn_error(module: Any, shape: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        from_torch(module, shape)


def test_unknown_ops_option_is_checked() -> None:
    with pytest.raises(ArgumentError, match="unknown_ops"):
        from_torch(nn.Linear(3, 2), (1, 3), unknown_ops="skip")


def test_traced_through_module_gets_one_record_with_torchinfo_macs() -> None:
    """A subclass with its own forward (LayerNorm2d, a weight-standardised conv) is one record, like torchinfo's row."""
    net = zoo.ConvNeXtish().eval()
    model = from_torch(net, (1, 3, 32, 32))
    stem_conv, stem_norm = model.get_layer("stem.0"), model.get_layer("stem.1")
    assert (stem_conv.type, stem_norm.type) == ("WSConv2d", "LayerNorm2d")
    assert stem_conv.params == sum(p.numel() for p in net.stem[0].parameters())
    assert stem_norm.output_shape == (1, 16, 8, 8)
    assert model.get_layer("layer_scale").params == 16


def test_parameters_of_a_branch_forward_skips_still_count() -> None:
    net = zoo.WithAuxHead().eval()
    model = from_torch(net, (1, 3, 9, 9))
    assert model.get_layer("aux.2").type == "Linear (not called)"
    assert model.get_layer("aux.2").macs == 0
    assert model.total_params == sum(p.numel() for p in net.parameters())


class _Checked(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)

    def forward(self, x: Any) -> Any:
        torch._assert(x.shape[2] == 32, "the height must be 32")
        return self.conv(x)


def test_a_models_own_assertion_fails_for_a_wrong_size_and_waits_for_symbols() -> None:
    with pytest.raises(ShapeError, match="height must be 32"):
        from_torch(_Checked(), (1, 1, 31, 32))
    assert from_torch(_Checked(), (1, 1, 32, 32)).output_shapes == [(1, 2, 30, 30)]
    assert from_torch(_Checked(), (1, 1, H, 32)).output_shapes == [(1, 2, H - 2, 30)]


class _CrossAttention(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2, kdim=6, vdim=5, add_bias_kv=True)
        self.out = nn.Linear(8, 3)

    def forward(self, q: Any, k: Any, v: Any) -> Any:
        return self.out(self.attn(q, k, v)[0])


def test_multihead_attention_with_separate_key_and_value_sizes() -> None:
    net = _CrossAttention().eval()
    shapes = [(5, 2, 8), (7, 2, 6), (7, 2, 5)]
    model = from_torch(net, shapes)
    with torch.no_grad():
        out = net(*(torch.zeros(s) for s in shapes))
    stats = torchinfo.summary(net, input_size=shapes, verbose=0)
    assert model.output_shapes == [tuple(out.shape)]
    assert model.total_params == sum(p.numel() for p in net.parameters()) == stats.total_params
    assert model.total_macs == stats.total_mult_adds


class _TiedHead(nn.Module):
    """A language-model head that reuses the embedding matrix through F.linear."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(50, 8)
        self.mix = nn.Linear(8, 8)

    def forward(self, tokens: Any) -> Any:
        return F.linear(torch.tanh(self.mix(self.embed(tokens))), self.embed.weight)


def test_weight_read_through_functional_linear_counts_once() -> None:
    net = _TiedHead().eval()
    model = from_torch(net, (2, 7))
    stats = _torchinfo(net, (2, 7), torch.long)
    assert model.output_shapes == [(2, 7, 50)]
    assert model.total_params == sum(p.numel() for p in net.parameters())
    assert model.get_layer("embed.weight").tied_weights == {"embed.weight": "embed.weight"}
    assert model.total_macs == stats.total_mult_adds
    assert model.get_layer("linear").macs_by("fvcore") == 2 * 7 * 50 * 8


def _conv_and_matmul_macs(net: Any, shape: tuple[int, ...]) -> int:
    """fvcore's count, derived from the real forward: conv and linear products, no bias.

    A convolution costs out.numel() × (C_in/groups · k…); a transposed one is counted over
    its input, in.numel() × (C_out/groups · k…); a Linear costs out.numel() × in_features.
    (fvcore 0.1.5 itself gives these numbers for these nets.)
    """
    total = 0

    def hook(module: Any, inputs: Any, output: Any) -> None:
        nonlocal total
        w = module.weight
        if isinstance(module, nn.Linear):
            total += output.numel() * module.in_features
        elif isinstance(module, nn.modules.conv._ConvTransposeNd):
            total += inputs[0].numel() * (w.numel() // w.shape[0])
        else:
            total += output.numel() * (w.numel() // w.shape[0])

    kinds = (nn.Linear, nn.modules.conv._ConvNd)
    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, kinds)]
    with torch.no_grad():
        net(torch.zeros(shape))
    for h in handles:
        h.remove()
    return total


@pytest.mark.parametrize(
    "make, shape",
    [(zoo.resnet18, (2, 3, 64, 64)), (zoo.UNet, (1, 3, 32, 36)), (zoo.LeNet5, (2, 1, 32, 32)),
     (zoo.MobileNetV2ish, (1, 3, 97, 97)), (zoo.SharedBlock, (1, 3, 11, 13))],
    ids=["resnet18", "unet", "lenet5", "mobilenet_v2ish", "shared_block"],
)  # fmt: skip
def test_fvcore_convention_counts_conv_and_linear_products(make: Any, shape: tuple[int, ...]) -> None:
    net = make().eval()
    assert from_torch(net, shape).macs("fvcore") == _conv_and_matmul_macs(net, shape)


# ---- property test: random chains, torch decides -------------------------------------------------

_BLOCKS = st.sampled_from(["conv", "dwconv", "pool", "avgpool", "bn", "relu", "convT", "upsample", "pad"])


def _chain(kinds: list[str], seeds: list[int], channels: int) -> Any:
    layers, c = [], channels
    for kind, seed in zip(kinds, seeds):
        k, s, p = 1 + seed % 4, 1 + (seed // 4) % 3, (seed // 12) % 2
        if kind == "conv":
            layers.append(nn.Conv2d(c, c + 2, k, stride=s, padding=p, bias=seed % 2 == 0))
            c += 2
        elif kind == "dwconv":
            layers.append(nn.Conv2d(c, c, k, stride=s, padding=min(p, k // 2), groups=c))
        elif kind == "pool":
            layers.append(nn.MaxPool2d(k, stride=s, padding=min(p, k // 2), ceil_mode=seed % 2 == 1))
        elif kind == "avgpool":
            layers.append(nn.AvgPool2d(k, stride=s, padding=min(p, k // 2), ceil_mode=seed % 3 == 1))
        elif kind == "bn":
            layers.append(nn.BatchNorm2d(c))
        elif kind == "relu":
            layers.append(nn.ReLU())
        elif kind == "convT":
            layers.append(nn.ConvTranspose2d(c, c + 1, k, stride=s, padding=p if k > p else 0))
            c += 1
        elif kind == "upsample":
            layers.append(nn.Upsample(scale_factor=1 + seed % 2))
        else:
            layers.append(nn.ZeroPad2d((p, seed % 3, 1, 0)))
    return nn.Sequential(*layers, nn.Flatten(), nn.LazyLinear(3))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kinds=st.lists(_BLOCKS, min_size=1, max_size=6),
    seeds=st.lists(st.integers(0, 47), min_size=6, max_size=6),
    side=st.integers(3, 40),
    batch=st.integers(1, 3),
)
def test_random_chains_agree_with_torch_and_torchinfo(
    kinds: list[str], seeds: list[int], side: int, batch: int
) -> None:
    net = _chain(kinds, seeds, 3).eval()
    shape = (batch, 3, side, side + 1)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = net(torch.zeros(shape))
    except RuntimeError:
        with pytest.raises((ShapeError, ArgumentError)):
            from_torch(net, shape)
        return
    model = from_torch(net, shape)
    assert model.output_shapes == [tuple(out.shape)]
    assert model.total_params == sum(p.numel() for p in net.parameters())
    assert model.total_buffers == sum(b.numel() for b in net.buffers())
    assert model.total_macs == _torchinfo(net, shape).total_mult_adds
    symbolic = from_torch(net, (batch, 3, H, W))  # the same chain with free sides, before the Linear fixes them
    assert symbolic.total_macs.subs({H: side, W: side + 1}) == model.total_macs


def test_frozen_parameters_are_non_trainable_whole_modules_or_single_tensors() -> None:
    net = zoo.resnet18()
    for p in net.layer1.parameters():
        p.requires_grad = False
    net.fc.bias.requires_grad = False
    net.bn1.weight.requires_grad = False
    model = from_torch(net.eval(), (1, 3, 64, 64))
    assert model.trainable_params == sum(p.numel() for p in net.parameters() if p.requires_grad)
    assert model.non_trainable_params == sum(p.numel() for p in net.parameters() if not p.requires_grad)
    assert model.total_params == sum(p.numel() for p in net.parameters())
    assert model.get_layer("fc").non_trainable == net.fc.bias.numel()


class _Plain(nn.Conv2d):
    """A Conv2d by another name: torchinfo's MAC rule goes by the class name, so this is not "conv-like"."""


class _ConvHead(nn.Linear):
    """A Linear whose class name contains "Conv": torchinfo counts it over output positions."""


def test_torchinfo_rule_follows_the_modules_own_class_name() -> None:
    net = nn.Sequential(_Plain(3, 4, 3), nn.Flatten(2), _ConvHead(49, 5)).eval()
    shape = (2, 3, 9, 9)
    model = from_torch(net, shape)
    assert model.total_macs == _torchinfo(net, shape).total_mult_adds


class _SelfAttention(nn.Module):
    """Attention written out: q, k, v from one Linear, split into heads, F.scaled_dot_product_attention."""

    def __init__(self, dim: int = 12, heads: int = 3) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: Any) -> Any:
        n, t, c = x.shape
        q, k, v = self.qkv(x).reshape(n, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        y = F.scaled_dot_product_attention(q, k, v)
        return self.proj(y.transpose(1, 2).reshape(n, t, c))


@pytest.mark.parametrize("shape", [(2, 7, 12), (1, 13, 12)])
def test_attention_written_with_functional_ops_matches_torch(shape: tuple[int, ...]) -> None:
    _check_against_torch(_SelfAttention().eval(), shape)
