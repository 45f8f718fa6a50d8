"""ONNX files exported by torch read back with the counts torch and torchinfo give.

Each model is a plain ``torch.nn`` module, exported with ``torch.onnx.export`` to a
temporary file and read with :func:`symcnn.io.onnx.from_onnx`. The truth is
torch itself: ``sum(p.numel())`` for parameters, the buffers' sizes, the shape of a
real forward pass, and ``torchinfo.summary(...).total_mult_adds`` for MACs. With
dynamic height and width, the closed forms symcnn finds are evaluated at several
sizes (odd and prime ones too) and compared with torch run at those sizes.

Parameters and buffers are randomised before export: exporters merge initializers
with equal values (a fresh BatchNorm's ``weight`` and ``running_var`` are both ones),
which a trained model never has.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symcnn.errors import LimitError, ParseError, SymcnnError, UnknownLayerError

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
torchinfo = pytest.importorskip("torchinfo")
nn = torch.nn
F = torch.nn.functional

from symcnn.io import load
from symcnn.io.onnx import from_onnx

pytestmark = pytest.mark.slow


# ---- models ---------------------------------------------------------------------------------


class Seed(nn.Module):
    """The tutorial's CNN, channels first: 1×64×64 micrographs, four classes."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 64, 3), nn.Conv2d(64, 64, 3)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1, self.fc2 = nn.Linear(64 * 14 * 14, 128), nn.Linear(128, 4)

    def forward(self, x: Any) -> Any:
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        return torch.softmax(self.fc2(F.relu(self.fc1(x))), dim=1)


class LeNet5(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
            nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10)
        )

    def forward(self, x: Any) -> Any:
        return self.classifier(self.features(x))


class BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.downsample = None
        if stride != 1 or c_in != c_out:
            self.downsample = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x: Any) -> Any:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


class SmallResNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 7, 2, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                                  nn.MaxPool2d(3, 2, 1))
        self.layer1 = nn.Sequential(BasicBlock(8, 8, 1), BasicBlock(8, 8, 1))
        self.layer2 = nn.Sequential(BasicBlock(8, 16, 2), BasicBlock(16, 16, 1))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x: Any) -> Any:
        x = self.layer2(self.layer1(self.stem(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


class InvertedResidual(nn.Module):
    """MobileNetV2's block: 1×1 expand, 3×3 depthwise (groups = channels), 1×1 project."""

    def __init__(self, c_in: int, c_out: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = c_in * expand
        self.use_res = stride == 1 and c_in == c_out
        self.conv = nn.Sequential(
            nn.Conv2d(c_in, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(),
            nn.Conv2d(hidden, c_out, 1, bias=False), nn.BatchNorm2d(c_out),
        )

    def forward(self, x: Any) -> Any:
        return x + self.conv(x) if self.use_res else self.conv(x)


class MobileNetish(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.Hardswish())
        self.blocks = nn.Sequential(InvertedResidual(16, 24, 2, 6), InvertedResidual(24, 24, 1, 6))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(24, 5))

    def forward(self, x: Any) -> Any:
        return self.head(self.blocks(self.stem(x)))


class TinyUNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.enc1 = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU())
        self.enc2 = nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU())
        self.up = nn.ConvTranspose2d(16, 8, 2, stride=2)
        self.dec = nn.Sequential(nn.Conv2d(16, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 2, 1))

    def forward(self, x: Any) -> Any:
        e1 = self.enc1(x)
        return self.dec(torch.cat([self.up(self.enc2(e1)), e1], dim=1))


class Chain(nn.Module):
    """A sequence of modules, or of functions of the input (for F.pad and friends)."""

    def __init__(self, *steps: Any) -> None:
        super().__init__()
        self.steps = nn.ModuleList([s for s in steps if isinstance(s, nn.Module)])
        self.order = [s if not isinstance(s, nn.Module) else None for s in steps]

    def forward(self, x: Any) -> Any:
        modules = iter(self.steps)
        for step in self.order:
            x = next(modules)(x) if step is None else step(x)
        return x


class Tied(nn.Module):
    """One convolution applied twice: its weights count once."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.head = nn.Conv2d(4, 2, 1)

    def forward(self, x: Any) -> Any:
        return self.head(self.conv(F.relu(self.conv(x))))


class Tokens(nn.Module):
    """A Linear on (N, T, C) exports as MatMul + Add of the bias."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, stride=2)
        self.proj = nn.Linear(8, 12)
        self.norm = nn.LayerNorm(12)

    def forward(self, x: Any) -> Any:
        y = self.conv(x).flatten(2).transpose(1, 2)
        return self.norm(self.proj(y))


class BigTokens(nn.Module):
    """A weight over a million values that the exporter transposes (read by shape, never by value)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 512, 3, stride=4)
        self.proj = nn.Linear(512, 2500)

    def forward(self, x: Any) -> Any:
        return self.proj(self.conv(x).flatten(2).transpose(1, 2))


class LayerScale(nn.Module):
    """Learned tensors applied by arithmetic in forward: ``x * gamma + beta``."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, padding=1)
        self.gamma = nn.Parameter(torch.ones(6, 1, 1))
        self.beta = nn.Parameter(torch.zeros(1, 6, 1, 1))

    def forward(self, x: Any) -> Any:
        return torch.relu(self.conv(x) * self.gamma + self.beta) * 0.5


class SqueezeExcite(nn.Module):
    """A gate computed from the tensor itself multiplies it (Mul of two computed tensors)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1)
        self.fc1, self.fc2 = nn.Conv2d(16, 4, 1), nn.Conv2d(4, 16, 1)

    def forward(self, x: Any) -> Any:
        y = self.conv(x)
        return y * torch.sigmoid(self.fc2(F.relu(self.fc1(F.adaptive_avg_pool2d(y, 1)))))


class ChunkSlice(nn.Module):
    """chunk, a cropping slice, cat and a strided slice: Split/Slice with symbolic bounds."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)

    def forward(self, x: Any) -> Any:
        a, b = self.conv(x).chunk(2, dim=1)
        return torch.cat([a * torch.sigmoid(b), x[:, :, 1:-1, 1:-1]], 1)[:, :, ::2, 1:]


class Encoder(nn.Module):
    """Patches into a transformer encoder layer (attention: MatMul of computed tensors, Softmax, LayerNorm)."""

    def __init__(self) -> None:
        super().__init__()
        self.patch = nn.Conv2d(3, 16, 4, stride=4)
        self.enc = nn.TransformerEncoderLayer(16, 2, 32, batch_first=True)
        self.head = nn.Linear(16, 3)

    def forward(self, x: Any) -> Any:
        return self.head(self.enc(self.patch(x).flatten(2).transpose(1, 2)).mean(1))


def _per_op(*steps: Any) -> Callable[[], nn.Module]:
    return lambda: Chain(*steps)


# (id, factory, input shape (C, H, W...), dynamic-size test sizes or None)
ODD_SIZES = [(17, 23), (31, 29), (40, 33), (13, 13)]
CASES: list[tuple[str, Callable[[], nn.Module], tuple[int, ...], list[tuple[int, ...]] | None]] = [
    ("seed", Seed, (1, 64, 64), None),
    ("lenet5", LeNet5, (1, 28, 28), None),
    ("resnet", SmallResNet, (3, 45, 37), ODD_SIZES),
    ("mobilenetv2", MobileNetish, (3, 41, 35), ODD_SIZES),
    ("unet", TinyUNet, (3, 24, 20), [(16, 16), (30, 22), (46, 58)]),
    ("tied", Tied, (4, 11, 13), ODD_SIZES),
    ("tokens", Tokens, (3, 19, 17), ODD_SIZES),
    ("big_weight", BigTokens, (3, 21, 18), [(17, 23), (13, 13)]),
    ("layer_scale", LayerScale, (3, 12, 11), ODD_SIZES),
    ("squeeze_excite", SqueezeExcite, (3, 15, 17), ODD_SIZES),
    ("chunk_slice", ChunkSlice, (3, 15, 17), ODD_SIZES),
    ("same_padding", _per_op(nn.Conv2d(3, 2, 4, padding="same"), nn.Conv2d(2, 2, (3, 2), padding="same", dilation=2)),
     (3, 15, 16), ODD_SIZES),
    ("ceil_mode", _per_op(nn.Conv2d(3, 4, 3), nn.MaxPool2d(3, 2, ceil_mode=True), nn.AvgPool2d(2, ceil_mode=True)),
     (3, 20, 27), ODD_SIZES),
    ("avgpool_pad_ceil", _per_op(nn.AvgPool2d(3, 2, padding=1, ceil_mode=True)), (3, 16, 19), ODD_SIZES),
    ("dilation", _per_op(nn.Conv2d(3, 5, 3, dilation=2, padding=1), nn.Conv2d(5, 6, (3, 5), stride=(2, 3),
                                                                            dilation=(3, 1))),
     (3, 31, 29), ODD_SIZES),
    ("zeropad_asym", _per_op(nn.ZeroPad2d((1, 2, 0, 3)), nn.Conv2d(3, 4, 3, stride=2)), (3, 15, 16), ODD_SIZES),
    ("fpad_asym", _per_op(lambda x: F.pad(x, (2, 0, 1, 1)), nn.Conv2d(3, 4, 4), nn.ReLU()), (3, 13, 11), ODD_SIZES),
    ("upsample_scale", _per_op(nn.Conv2d(3, 4, 3), nn.Upsample(scale_factor=2), nn.Conv2d(4, 2, 3)), (3, 9, 12),
     ODD_SIZES),
    ("upsample_bilinear", _per_op(nn.Upsample(scale_factor=(1.5, 2.5), mode="bilinear"), nn.Conv2d(3, 2, 1)),
     (3, 10, 7), ODD_SIZES),
    ("upsample_size", _per_op(nn.Upsample(size=(20, 12)), nn.Conv2d(3, 2, 3)), (3, 9, 7), None),
    ("convtranspose", _per_op(nn.ConvTranspose2d(3, 6, 3, stride=2, padding=1, output_padding=1),
                              nn.ConvTranspose2d(6, 4, (2, 3), stride=(1, 2), dilation=2, groups=2, bias=False)),
     (3, 7, 9), ODD_SIZES),
    ("conv1d", _per_op(nn.Conv1d(3, 8, 5, stride=2, padding=1), nn.BatchNorm1d(8), nn.MaxPool1d(3, ceil_mode=True),
                       nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(8, 3)), (3, 50), None),
    ("conv3d", _per_op(nn.Conv3d(2, 4, 3, padding=(1, 0, 1)), nn.BatchNorm3d(4), nn.MaxPool3d(2)), (2, 9, 10, 11),
     None),
    ("groups_prelu", _per_op(nn.Conv2d(4, 8, 3, groups=4), nn.PReLU(8), nn.Conv2d(8, 8, 1, groups=2), nn.GELU()),
     (4, 12, 12), ODD_SIZES),
]


# ---- helpers ----------------------------------------------------------------------------------


def randomise(model: nn.Module) -> nn.Module:
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.uniform_(0.5, 1.5)
        for name, b in model.named_buffers():
            if b.is_floating_point():
                b.uniform_(0.5, 1.5)
    return model.eval()


def export(model: nn.Module, shape: tuple[int, ...], path: Path, *, dynamic: bool = False, dynamo: bool = False,
           **kwargs: Any) -> Path:
    x = torch.zeros(1, *shape)
    options: dict[str, Any] = {"input_names": ["x"], "output_names": ["y"], "dynamo": dynamo, **kwargs}
    if dynamic:
        axes = {0: "batch_size", **{2 + i: n for i, n in enumerate(("height", "width", "depth")[: len(shape) - 1])}}
        options["dynamic_axes"] = {"x": axes}
    if not dynamo:
        options.setdefault("do_constant_folding", False)  # keeps BatchNorm apart from the Conv before it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), str(path), **options)
    return path


def truth(model: nn.Module, shape: tuple[int, ...]) -> dict[str, Any]:
    x = torch.zeros(1, *shape)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = model(x)
        stats = torchinfo.summary(model, input_size=(1, *shape), verbose=0)
    return {
        "params": sum(p.numel() for p in model.parameters()),
        "buffers": sum(b.numel() for b in model.buffers()),
        "shape": tuple(out.shape),
        "macs": stats.total_mult_adds,
    }


def at(expr: Any, values: dict[str, int]) -> int:
    expr = sympy.sympify(expr)
    table = {s: values[s.name] for s in expr.free_symbols}
    return int(expr.subs(table))


# ---- exports read back --------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "factory", "shape", "sizes"), CASES, ids=[c[0] for c in CASES])
def test_static_export_matches_torch_and_torchinfo(tmp_path: Path, name: str, factory: Any, shape: Any,
                                                   sizes: Any) -> None:
    model = randomise(factory())
    want = truth(model, shape)
    got = from_onnx(export(model, shape, tmp_path / f"{name}.onnx"))
    assert got.convention == "torch"
    assert got.total_params == want["params"]
    assert got.total_buffers == want["buffers"]
    assert got.output_shapes[0] == want["shape"]
    assert got.macs("torchinfo") == want["macs"]


DYNAMIC = [c for c in CASES if c[3] is not None]


@pytest.mark.parametrize(("name", "factory", "shape", "sizes"), DYNAMIC, ids=[c[0] for c in DYNAMIC])
def test_dynamic_axes_give_closed_forms_that_match_torch_at_each_size(tmp_path: Path, name: str, factory: Any,
                                                                       shape: Any, sizes: Any) -> None:
    model = randomise(factory())
    got = from_onnx(export(model, shape, tmp_path / f"{name}.onnx", dynamic=True))
    symbols = {s.name for s in got.free_symbols}
    assert {"H", "W"} <= symbols, symbols
    out_shape = got.output_shapes[0]
    macs = got.macs("torchinfo")
    for size in sizes:
        want = truth(model, (shape[0], *size))
        values = {"N": 1, "H": size[0], "W": size[1]}
        assert got.total_params == want["params"]
        assert tuple(at(d, values) for d in out_shape) == want["shape"], size
        assert at(macs, values) == want["macs"], size


def test_dynamic_batch_is_the_symbol_n_and_scales_the_macs(tmp_path: Path) -> None:
    model = randomise(SmallResNet())
    got = from_onnx(export(model, (3, 32, 32), tmp_path / "r.onnx", dynamic=True))
    n = sympy.Symbol("N", integer=True, positive=True)
    assert got.output_shapes[0][0] == n
    assert sympy.expand(got.macs("torchinfo") - n * got.macs("torchinfo").subs(n, 1)) == 0


def test_user_symbols_replace_the_files_dim_names(tmp_path: Path) -> None:
    model = randomise(Tied())
    path = export(model, (4, 11, 13), tmp_path / "t.onnx", dynamic=True)
    rows = sympy.Symbol("rows", integer=True, positive=True)
    got = from_onnx(path, symbols={"height": rows, "width": 13, "batch_size": 1})
    assert got.output_shapes[0] == (1, 2, rows, 13)
    by_symcnn_name = from_onnx(path, symbols={"H": 9, "W": "2*K"})
    k = sympy.Symbol("K", integer=True, positive=True)
    assert by_symcnn_name.output_shapes[0] == (sympy.Symbol("N", integer=True, positive=True), 2, 9, 2 * k)


@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript", "dynamo"])
def test_exporters_made_up_axis_names_become_n_h_w(tmp_path: Path, dynamo: bool) -> None:
    if dynamo and not _dynamo_available():
        pytest.skip("the dynamo exporter needs onnxscript")
    model = randomise(_per_op(nn.Conv2d(3, 4, 3, stride=2), nn.ReLU())())
    path = tmp_path / "auto.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(2, 3, 9, 11),), str(path), input_names=["x"], dynamo=dynamo,
                          dynamic_axes={"x": [0, 2, 3]})
    got = from_onnx(path)
    assert {s.name for s in got.free_symbols} == {"N", "H", "W"}
    for h, w in [(9, 11), (16, 7)]:
        want = tuple(model(torch.zeros(3, 3, h, w)).shape)
        assert tuple(at(d, {"N": 3, "H": h, "W": w}) for d in got.output_shapes[0]) == want


def test_module_paths_become_layer_names(tmp_path: Path) -> None:
    model = randomise(SmallResNet())
    got = from_onnx(export(model, (3, 32, 32), tmp_path / "r.onnx"))
    names = {r.name for r in got.records}
    torch_names = {n for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.BatchNorm2d, nn.Linear))}
    assert torch_names <= names, torch_names - names


@pytest.mark.parametrize(
    ("name", "factory", "shape"),
    [("seed", Seed, (1, 64, 64)), ("tokens", Tokens, (3, 19, 17)), ("unet", TinyUNet, (3, 24, 20)),
     ("convtranspose", CASES[15][1], (3, 7, 9))],
    ids=["seed", "tokens", "unet", "convtranspose"],
)
def test_default_export_with_constant_folding_reads_the_same(tmp_path: Path, name: str, factory: Any,
                                                             shape: Any) -> None:
    model = randomise(factory())
    want = truth(model, shape)
    got = from_onnx(export(model, shape, tmp_path / f"{name}.onnx", do_constant_folding=True))
    assert (got.total_params, got.output_shapes[0], got.macs("torchinfo")) == (want["params"], want["shape"],
                                                                                want["macs"])


def test_initializers_listed_as_graph_inputs_are_weights_not_inputs(tmp_path: Path) -> None:
    model = randomise(SmallResNet())
    want = truth(model, (3, 30, 30))
    got = from_onnx(export(model, (3, 30, 30), tmp_path / "r.onnx", keep_initializers_as_inputs=True))
    assert len(got.input_shapes) == 1
    assert (got.total_params, got.macs("torchinfo")) == (want["params"], want["macs"])


class Embedder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(50, 8)
        self.head = nn.Linear(8, 3)

    def forward(self, tokens: Any) -> Any:
        return self.head(self.embed(tokens))


def test_gather_from_a_weight_table_is_an_embedding(tmp_path: Path) -> None:
    model = randomise(Embedder())
    tokens = torch.zeros(2, 7, dtype=torch.long)
    path = tmp_path / "e.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (tokens,), str(path), input_names=["x"], dynamo=False,
                          dynamic_axes={"x": {0: "batch_size", 1: "sequence_length"}})
        stats = torchinfo.summary(model, input_data=[tokens], verbose=0)
    got = from_onnx(path)
    assert [r.type for r in got.records][1:] == ["Embedding", "Linear"]
    assert got.total_params == sum(p.numel() for p in model.parameters())
    values = {"N": 2, "L": 7}
    assert tuple(at(d, values) for d in got.output_shapes[0]) == tuple(model(tokens).shape)
    assert at(got.macs("torchinfo"), values) == stats.total_mult_adds


@pytest.mark.parametrize(("name", "factory", "shape"), [("resnet", SmallResNet, (3, 33, 31)),
                                                     ("mobilenetv2", MobileNetish, (3, 29, 35))])
def test_training_mode_export_keeps_batchnorm_and_dropout(tmp_path: Path, name: str, factory: Any, shape: Any) -> None:
    model = randomise(factory())
    want = truth(model, shape)
    got = from_onnx(export(model, shape, tmp_path / f"{name}.onnx", do_constant_folding=True,
                           training=torch.onnx.TrainingMode.TRAINING))
    model.eval()
    assert (got.total_params, got.total_buffers, got.output_shapes[0], got.macs("torchinfo")) == (
        want["params"], want["buffers"], want["shape"], want["macs"])


def test_batchnorm_folded_into_conv_by_the_exporter_is_counted_as_the_file_holds_it(tmp_path: Path) -> None:
    model = randomise(_per_op(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU())())
    got = from_onnx(export(model, (3, 10, 10), tmp_path / "f.onnx", do_constant_folding=True))
    assert [r.type for r in got.records][1:] == ["Conv2d", "ReLU"]
    assert got.total_params == 8 * 3 * 9 + 8  # the fused conv has a bias; BatchNorm's scale is in its weight


# ---- the dynamo exporter --------------------------------------------------------------------------


def _dynamo_available() -> bool:
    try:
        import onnxscript  # noqa: F401
    except ImportError:
        return False
    return True


DYNAMO_CASES = [c for c in CASES if c[0] in ("seed", "tokens", "unet", "fpad_asym", "upsample_scale", "ceil_mode",
                                              "chunk_slice", "squeeze_excite", "same_padding")]


@pytest.mark.skipif(not _dynamo_available(), reason="the dynamo exporter needs onnxscript")
@pytest.mark.parametrize(("name", "factory", "shape", "sizes"), DYNAMO_CASES, ids=[c[0] for c in DYNAMO_CASES])
def test_dynamo_export_matches_torch(tmp_path: Path, name: str, factory: Any, shape: Any, sizes: Any) -> None:
    model = randomise(factory())
    want = truth(model, shape)
    got = from_onnx(export(model, shape, tmp_path / f"{name}.onnx", dynamo=True))
    assert (got.total_params, got.output_shapes[0], got.macs("torchinfo")) == (want["params"], want["shape"],
                                                                                want["macs"])
    if sizes:
        dyn = from_onnx(export(model, shape, tmp_path / f"{name}_dyn.onnx", dynamo=True, dynamic=True))
        for size in sizes[:2]:
            want = truth(model, (shape[0], *size))
            values = {"N": 1, "H": size[0], "W": size[1]}
            assert tuple(at(d, values) for d in dyn.output_shapes[0]) == want["shape"]
            assert at(dyn.macs("torchinfo"), values) == want["macs"]


@pytest.mark.skipif(not _dynamo_available(), reason="the dynamo exporter needs onnxscript")
def test_dynamo_without_optimizing_keeps_batchnorm(tmp_path: Path) -> None:
    model = randomise(SmallResNet())
    want = truth(model, (3, 33, 29))
    got = from_onnx(export(model, (3, 33, 29), tmp_path / "r.onnx", dynamo=True, optimize=False))
    assert (got.total_params, got.output_shapes[0], got.macs("torchinfo")) == (want["params"], want["shape"],
                                                                                want["macs"])


@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript", "dynamo"])
def test_transformer_encoder_params_and_shapes_match_torch(tmp_path: Path, dynamo: bool) -> None:
    # MACs are not compared: torch runs attention sequence-first inside the module, so the
    # "batch" torchinfo multiplies a projection by is not an axis the ONNX file shows.
    if dynamo and not _dynamo_available():
        pytest.skip("the dynamo exporter needs onnxscript")
    model = randomise(Encoder())
    got = from_onnx(export(model, (3, 32, 24), tmp_path / "enc.onnx", dynamo=dynamo, dynamic=True))
    for h, w in [(32, 24), (20, 44)]:
        want = truth(model, (3, h, w))
        assert got.total_params == want["params"]
        assert tuple(at(d, {"N": 1, "H": h, "W": w}) for d in got.output_shapes[0]) == want["shape"]


def test_load_reads_onnx_by_suffix(tmp_path: Path) -> None:
    model = randomise(LeNet5())
    path = export(model, (1, 28, 28), tmp_path / "lenet.onnx")
    assert load(path).total_params == sum(p.numel() for p in model.parameters())


# ---- bad files -----------------------------------------------------------------------------------


def _valid_bytes(tmp_path: Path) -> bytes:
    return export(randomise(Tied()), (4, 8, 8), tmp_path / "ok.onnx").read_bytes()


def _graph(nodes: list[Any], inits: list[Any] | None = None, shape: list[Any] | None = None) -> bytes:
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, shape or [1, 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    graph = helper.make_graph(nodes, "g", [x], [y], initializer=inits or [])
    return helper.make_model(graph).SerializeToString()


def _weight(name: str, dims: list[int]) -> Any:
    import numpy as np
    from onnx import numpy_helper

    return numpy_helper.from_array(np.ones(dims, dtype=np.float32), name)


BAD: list[tuple[str, Callable[[Path], bytes], type[SymcnnError]]] = [
    ("empty", lambda p: b"", ParseError),
    ("text", lambda p: b"name: not a model\nlayers: []\n", ParseError),
    ("garbage", lambda p: bytes(range(256)) * 8, ParseError),
    ("truncated", lambda p: _valid_bytes(p)[:200], ParseError),
    ("no_graph", lambda p: onnx.ModelProto(ir_version=8).SerializeToString(), ParseError),
    ("custom_domain", lambda p: _graph([onnx.helper.make_node("Foo", ["x"], ["y"], domain="my.ops")]),
     UnknownLayerError),
    ("unknown_op", lambda p: _graph([onnx.helper.make_node("NonMaxSuppression", ["x"], ["y"])]), UnknownLayerError),
    ("undefined_input", lambda p: _graph([onnx.helper.make_node("Relu", ["nowhere"], ["y"])]), SymcnnError),
    ("no_output", lambda p: _graph([onnx.helper.make_node("Relu", ["x"], ["z"])]), SymcnnError),
    ("conv_weight_mismatch", lambda p: _graph([onnx.helper.make_node("Conv", ["x", "w"], ["y"])],
                                              [_weight("w", [4, 5, 3, 3])]), SymcnnError),
    ("conv_too_small", lambda p: _graph([onnx.helper.make_node("Conv", ["x", "w"], ["y"])],
                                        [_weight("w", [4, 3, 9, 9])]), SymcnnError),
    ("bad_reshape", lambda p: _graph([onnx.helper.make_node("Reshape", ["x", "s"], ["y"])],
                                     [onnx.numpy_helper.from_array(__import__("numpy").array([5, -1]), "s")]),
     SymcnnError),
    ("negative_dim", lambda p: _graph([onnx.helper.make_node("Relu", ["x"], ["y"])], shape=[1, 3, -4, 8]),
     SymcnnError),
    ("bad_auto_pad", lambda p: _graph([onnx.helper.make_node("Conv", ["x", "w"], ["y"], auto_pad="SIDEWAYS")],
                                      [_weight("w", [4, 3, 3, 3])]), SymcnnError),
]


@pytest.mark.parametrize(("name", "make", "error"), BAD, ids=[b[0] for b in BAD])
def test_malformed_files_raise_symcnn_errors(tmp_path: Path, name: str, make: Any, error: type) -> None:
    path = tmp_path / f"{name}.onnx"
    path.write_bytes(make(tmp_path))
    with pytest.raises(error) as info:
        from_onnx(path).total_params  # noqa: B018
    assert str(path) in str(info.value)


def test_files_over_the_size_limit_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from symcnn.io import onnx as onnx_package

    path = tmp_path / "big.onnx"
    path.write_bytes(_valid_bytes(tmp_path))
    monkeypatch.setattr(onnx_package, "MAX_ONNX_BYTES", 100)
    with pytest.raises(LimitError):
        from_onnx(path)


def test_graphs_over_the_node_limit_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "ok.onnx"
    path.write_bytes(_valid_bytes(tmp_path))
    with pytest.raises(LimitError):
        from_onnx(path, max_nodes=2)


# ---- hand-written graphs, checked with onnx's reference evaluator ---------------------------------------


def _ref_shape(model_bytes: bytes, shape: tuple[int, ...]) -> tuple[int, ...]:
    import numpy as np
    from onnx.reference import ReferenceEvaluator

    out = ReferenceEvaluator(onnx.load_from_string(model_bytes)).run(None, {"x": np.zeros(shape, np.float32)})
    return tuple(out[0].shape)


def _ints(name: str, values: list[Any]) -> Any:
    import numpy as np

    return onnx.numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def _node(op: str, ins: list[str], out: str = "y", **attrs: Any) -> Any:
    return onnx.helper.make_node(op, ins, [out], **attrs)


# (id, nodes, initializers, weight initializers (the learned ones), test sizes for (H, W))
GRAPHS: list[tuple[str, list[Any], list[Any], list[str]]] = [
    ("conv_same_upper", [_node("Conv", ["x", "w"], auto_pad="SAME_UPPER", strides=[2, 3])],
     [_weight("w", [4, 3, 3, 3])], ["w"]),
    ("conv_same_lower_dilated", [_node("Conv", ["x", "w", "b"], auto_pad="SAME_LOWER", dilations=[2, 1])],
     [_weight("w", [4, 3, 4, 2]), _weight("b", [4])], ["w", "b"]),
    ("conv_valid", [_node("Conv", ["x", "w"], auto_pad="VALID", strides=[2, 2])], [_weight("w", [5, 3, 3, 2])],
     ["w"]),
    ("conv_asym_pads", [_node("Conv", ["x", "w"], pads=[0, 1, 2, 0], dilations=[2, 2])],
     [_weight("w", [2, 3, 3, 3])], ["w"]),
    ("convT_output_shape", [_node("ConvTranspose", ["x", "w"], strides=[2, 2], output_shape=[35, 47])],
     [_weight("w", [3, 2, 3, 3])], ["w"]),
    ("convT_asym", [_node("ConvTranspose", ["x", "w", "b"], strides=[2, 3], pads=[0, 1, 1, 0])],
     [_weight("w", [3, 4, 3, 4]), _weight("b", [4])], ["w", "b"]),
    ("convT_same", [_node("ConvTranspose", ["x", "w"], strides=[2, 2], auto_pad="SAME_UPPER")],
     [_weight("w", [3, 2, 3, 3])], ["w"]),
    ("maxpool_asym", [_node("MaxPool", ["x"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 0, 0, 1])], [], []),
    ("avgpool_ceil", [_node("AveragePool", ["x"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                            ceil_mode=1)], [], []),
    ("flatten_axis2", [_node("Flatten", ["x"], axis=2)], [], []),
    ("gemm_transB0", [_node("GlobalAveragePool", ["x"], "p"), _node("Flatten", ["p"], "f"),
                      _node("Gemm", ["f", "w", "b"], transB=0)], [_weight("w", [3, 7]), _weight("b", [7])],
     ["w", "b"]),
    ("matmul_bias", [_node("Transpose", ["x"], "t", perm=[0, 2, 3, 1]), _node("MatMul", ["t", "w"], "m"),
                     _node("Add", ["m", "b"])], [_weight("w", [3, 6]), _weight("b", [6])], ["w", "b"]),
    ("resize_sizes", [_node("Resize", ["x", "", "", "s"], mode="nearest")], [_ints("s", [1, 3, 7, 5])], []),
    ("slice_split", [_node("Slice", ["x", "st", "en", "ax", "sp"], "s"),
                     onnx.helper.make_node("Split", ["s"], ["a", "y", "c"], axis=1, num_outputs=3)],
     [_ints("st", [-1, 1]), _ints("en", [-(2**40), 2**62]), _ints("ax", [2, 3]), _ints("sp", [-2, 2])], []),
    ("reshape_zero", [_node("Reshape", ["x", "s"])], [_ints("s", [0, 0, -1])], []),
    ("squeeze_unsqueeze", [_node("ReduceMean", ["x"], "r", axes=[2], keepdims=1), _node("Squeeze", ["r", "a"], "q"),
                           _node("Unsqueeze", ["q", "b"])], [_ints("a", [2]), _ints("b", [0, 4])], []),
    ("pad_channels", [_node("Pad", ["x", "p"])], [_ints("p", [0, 1, 2, 0, 0, 0, 1, 3])], []),
    ("pad_batch", [_node("Pad", ["x", "p"])], [_ints("p", [1, 0, 0, 0, 0, 0, 0, 0])], []),
    ("branches_concat", [_node("Conv", ["x", "w1"], "a", pads=[1, 1, 1, 1]), _node("Conv", ["x", "w2"], "b"),
                         _node("Pad", ["b", "p"], "c"), _node("Concat", ["a", "c"], axis=1),
                         ], [_weight("w1", [2, 3, 3, 3]), _weight("w2", [5, 3, 3, 3]),
                             _ints("p", [0, 0, 1, 1, 0, 0, 1, 1])], ["w1", "w2"]),
    ("shared_weight", [_node("Conv", ["x", "w"], "a", pads=[1, 1, 1, 1]), _node("Relu", ["a"], "r"),
                       _node("Conv", ["r", "w"], "c", pads=[1, 1, 1, 1]), _node("Add", ["a", "c"])],
     [_weight("w", [3, 3, 3, 3])], ["w"]),
    # a bias read from a table by index (Swin's relative-position bias): the table counts, not the row read
    ("gathered_bias_counts_its_table", [_node("Max", ["i"], "m"), _node("GatherND", ["t", "m"], "g"),
                                        _node("Unsqueeze", ["g", "a"], "u"), _node("Add", ["x", "u"])],
     [_weight("t", [7, 3]), _ints("i", [[2]]), _ints("a", [2, 3])], ["t"]),
    ("max_of_three_shapes", [_node("Max", ["s1", "s2", "s3"], "s"), _node("Reshape", ["x", "s"])],
     [_ints("s1", [1, 3, -1]), _ints("s2", [0, 0, -1]), _ints("s3", [1, 1, -1])], []),
    ("scatter_keeps_the_data_shape", [_node("ScatterND", ["x", "ix", "up"])],
     [_ints("ix", [[0, 1, 2, 3]]), _weight("up", [1])], []),
]
GRAPH_SIZES = [(16, 16), (17, 23), (29, 31)]


def _graph_model(nodes: list[Any], inits: list[Any], shape: list[Any]) -> bytes:
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    graph = helper.make_graph(nodes, "g", [x], [y], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]).SerializeToString()


@pytest.mark.parametrize(("name", "nodes", "inits", "learned"), GRAPHS, ids=[g[0] for g in GRAPHS])
def test_hand_written_graphs_match_the_reference_evaluator(tmp_path: Path, name: str, nodes: list[Any],
                                                           inits: list[Any], learned: list[str]) -> None:
    want_params = sum(prod_(i.dims) for i in inits if i.name in learned)
    static = tmp_path / "static.onnx"
    static.write_bytes(_graph_model(nodes, inits, [1, 3, 17, 23]))
    got = from_onnx(static)
    assert got.output_shapes[0] == _ref_shape(static.read_bytes(), (1, 3, 17, 23))
    assert got.total_params == want_params
    if name == "convT_output_shape":
        return  # a fixed output_shape does not follow the input size
    dynamic = tmp_path / "dynamic.onnx"
    dynamic.write_bytes(_graph_model(nodes, inits, ["batch", 3, "height", "width"]))
    sym = from_onnx(dynamic)
    for h, w in GRAPH_SIZES:
        values = {"N": 1, "H": h, "W": w}
        want = _ref_shape(dynamic.read_bytes(), (1, 3, h, w))
        assert tuple(at(d, values) for d in sym.output_shapes[0]) == want, (h, w)
        assert sym.total_params == want_params


def prod_(dims: Any) -> int:
    out = 1
    for d in dims:
        out *= int(d)
    return out


def test_without_the_onnx_package_the_error_says_what_to_install(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    path = tmp_path / "m.onnx"
    path.write_bytes(_valid_bytes(tmp_path))
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    with pytest.raises(SymcnnError, match=r"pip install symcnn\[onnx\]"):
        from_onnx(path)


@pytest.mark.parametrize(("content", "status"), [("valid", 0), ("garbage", 2)])
def test_cli_summary_reads_onnx_and_reports_bad_files_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                  content: str, status: int) -> None:
    from symcnn.cli import main

    path = tmp_path / "m.onnx"
    path.write_bytes(_valid_bytes(tmp_path) if content == "valid" else b"\x00garbage" * 10)
    assert main(["summary", str(path)]) == status
    out, err = capsys.readouterr()
    if status == 0:
        assert "Conv2d" in out
    else:
        assert err.count("\n") == 1 and "not an ONNX model" in err


# ---- random layer chains (hypothesis) -------------------------------------------------------------


@st.composite
def _layer(draw: Any, channels: int) -> tuple[nn.Module, int]:
    kind = draw(st.sampled_from(["conv", "conv", "convT", "maxpool", "avgpool", "upsample", "pad"]))
    k = draw(st.integers(1, 5))
    s = draw(st.integers(1, 3))
    if kind == "conv":
        groups = draw(st.sampled_from([g for g in (1, 2, channels) if channels % g == 0]))
        out = groups * draw(st.integers(1, 3))
        pad = draw(st.integers(0, 2))
        dil = draw(st.integers(1, 2)) if s == 1 else 1
        return nn.Conv2d(channels, out, k, s, pad, dil, groups, bias=draw(st.booleans())), out
    if kind == "convT":
        out = draw(st.integers(1, 4))
        op = draw(st.integers(0, s - 1))
        return nn.ConvTranspose2d(channels, out, k, s, draw(st.integers(0, (k - 1) // 2)), op), out
    if kind in ("maxpool", "avgpool"):
        k = max(k, 2)
        cls = nn.MaxPool2d if kind == "maxpool" else nn.AvgPool2d
        return cls(k, s, draw(st.integers(0, k // 2)), ceil_mode=draw(st.booleans())), channels
    if kind == "upsample":
        return nn.Upsample(scale_factor=draw(st.sampled_from([2, 3]))), channels
    return nn.ZeroPad2d(tuple(draw(st.integers(0, 3)) for _ in range(4))), channels


@st.composite
def _chain(draw: Any) -> tuple[nn.Module, tuple[int, int, int]]:
    channels = draw(st.integers(1, 4))
    shape = (channels, draw(st.integers(6, 40)), draw(st.integers(6, 40)))
    layers = []
    for _ in range(draw(st.integers(1, 4))):
        layer, channels = draw(_layer(channels))
        layers.append(layer)
    return nn.Sequential(*layers), shape


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(_chain(), st.tuples(st.integers(9, 47), st.integers(9, 47)))
def test_random_layer_chains_match_torch_at_the_export_size_and_another(tmp_path_factory: Any, case: Any,
                                                                         other: tuple[int, int]) -> None:
    model, shape = case
    model = randomise(model)
    try:
        want = truth(model, shape)
        again = truth(model, (shape[0], *other))
    except RuntimeError:  # the input is too small for this chain: torch refuses it too
        assume(False)
    path = export(model, shape, tmp_path_factory.mktemp("chain") / "c.onnx", dynamic=True)
    got = from_onnx(path)
    for (h, w), expected in [(shape[1:], want), (other, again)]:
        values = {"N": 1, "H": h, "W": w}
        assert got.total_params == expected["params"]
        assert tuple(at(d, values) for d in got.output_shapes[0]) == expected["shape"], (model, h, w)
        assert at(got.macs("torchinfo"), values) == expected["macs"], (model, h, w)


def test_shape_of_a_tensor_sequence_is_a_clear_error(tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 6, 6])
    y = helper.make_tensor_value_info("y", TensorProto.INT64, None)
    nodes = [helper.make_node("SplitToSequence", ["x"], ["s"], axis=1), helper.make_node("Shape", ["s"], ["y"])]
    path = tmp_path / "seq.onnx"
    onnx.save(helper.make_model(helper.make_graph(nodes, "g", [x], [y])), str(path))
    with pytest.raises(UnknownLayerError, match="sequence"):
        from_onnx(path)


def test_a_parameter_that_reaches_the_graph_through_an_op_symcnn_cannot_compute_is_an_error_not_lost(
    tmp_path: Path,
) -> None:
    # Softmax of a weight cannot be folded; the Add that applies it must not silently drop its 3 parameters.
    nodes = [_node("Softmax", ["t"], "s"), _node("Unsqueeze", ["s", "a"], "u"), _node("Add", ["x", "u"])]
    path = tmp_path / "opaque.onnx"
    path.write_bytes(_graph_model(nodes, [_weight("t", [3, 1]), _ints("a", [0, 3])], [1, 3, 7, 3]))
    assert _ref_shape(path.read_bytes(), (1, 3, 7, 3)) == (1, 3, 7, 3)  # the file is valid
    with pytest.raises(SymcnnError, match="Softmax"):
        from_onnx(path)
