"""ONNX files of vision transformers: the class token joins the patch tokens, ``torch.cat([cls.expand(N, -1, -1), x], 1)``.

The class token is a parameter of the model (not of a leaf module) that the exporters
write as an initializer feeding Expand then Concat. Both of torch 2.13's exporters are
read, with a fixed and with a dynamic batch; the truth is torch (``sum(p.numel())``,
the output of a real forward) and torchinfo's ``total_mult_adds``.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
import sympy

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
torchinfo = pytest.importorskip("torchinfo")
nn = torch.nn

from symcnn.io.onnx import from_onnx

pytestmark = pytest.mark.slow


class ClassTokenViT(nn.Module):
    """Patches by a strided conv, a class token, a position embedding, one attention block of Linear modules."""

    def __init__(self, side: int = 32, patch: int = 8, dim: int = 16, heads: int = 2) -> None:
        super().__init__()
        self.heads = heads
        self.patch = nn.Conv2d(3, dim, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + (side // patch) ** 2, dim))
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.fc1, self.fc2 = nn.Linear(dim, 2 * dim), nn.Linear(2 * dim, dim)
        self.head = nn.Linear(dim, 5)

    def forward(self, x: Any) -> Any:
        x = self.patch(x).flatten(2).transpose(1, 2)
        n, t, c = x.shape
        x = torch.cat([self.cls_token.expand(n, -1, -1), x], dim=1) + self.pos_embed
        q, k, v = self.qkv(self.norm1(x)).reshape(n, t + 1, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        attn = (q @ k.transpose(-2, -1) * (c // self.heads) ** -0.5).softmax(-1)
        x = x + self.proj((attn @ v).transpose(1, 2).reshape(n, t + 1, c))
        x = x + self.fc2(torch.relu(self.fc1(self.norm2(x))))
        return self.head(x[:, 0])


class TorchvisionViT(nn.Module):
    """torchvision's own VisionTransformer, small (its attention is nn.MultiheadAttention)."""

    def __new__(cls) -> Any:  # type: ignore[misc]
        import model_zoo

        tv = model_zoo.torchvision()
        return tv.models.vision_transformer.VisionTransformer(
            image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=32, num_classes=5
        )


def _randomised(net: Any) -> Any:
    """Distinct values everywhere: exporters merge initializers with equal values (a fresh LayerNorm's ones)."""
    torch.manual_seed(0)
    with torch.no_grad():
        for p in net.parameters():
            p.uniform_(0.5, 1.5)
    return net.eval()


def _export(net: Any, path: Path, dynamo: bool, batch: int, dynamic: bool) -> Path:
    if dynamo:
        pytest.importorskip("onnxscript")
    x = torch.zeros(batch, 3, 32, 32)
    options: dict[str, Any] = {"input_names": ["x"], "dynamo": dynamo}
    if dynamic and dynamo:
        options["dynamic_shapes"] = {"x": {0: torch.export.Dim("batch_size")}}
    elif dynamic:
        options["dynamic_axes"] = {"x": {0: "batch_size"}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (x,), str(path), **options)
    return path


EXPORTS = [(dynamo, dynamic) for dynamo in (False, True) for dynamic in (False, True)]
IDS = [f"{'dynamo' if d else 'torchscript'}-{'dynamic' if y else 'static'}" for d, y in EXPORTS]


@pytest.mark.parametrize(("dynamo", "dynamic"), EXPORTS, ids=IDS)
def test_class_token_concatenated_with_patches_reads_with_torchs_counts(tmp_path: Path, dynamo: bool,
                                                                         dynamic: bool) -> None:
    net = _randomised(ClassTokenViT())
    model = from_onnx(_export(net, tmp_path / "vit.onnx", dynamo, 2, dynamic))
    assert model.total_params == sum(p.numel() for p in net.parameters())
    token = [r for r in model.records if r.type == "Parameter"]
    assert [r.params for r in token] == [net.cls_token.numel()]  # the token once, not once per image
    for batch in (1, 2, 3):
        at = model.subs({"N": batch}) if dynamic else model
        if not dynamic and batch != 2:
            continue
        with torch.no_grad():
            out = net(torch.zeros(batch, 3, 32, 32))
        stats = torchinfo.summary(net, input_size=(batch, 3, 32, 32), verbose=0)
        assert at.output_shapes == [tuple(out.shape)]
        assert sympy.sympify(at.total_macs) == stats.total_mult_adds


@pytest.mark.parametrize(("dynamo", "dynamic"), EXPORTS, ids=IDS)
def test_torchvisions_vit_reads_with_the_parameters_and_shapes_torch_has(tmp_path: Path, dynamo: bool,
                                                                         dynamic: bool) -> None:
    # MACs are not compared: torchinfo counts none for nn.MultiheadAttention (its out_proj is
    # never called as a module), while the file shows the projections as plain MatMuls.
    net = _randomised(TorchvisionViT())
    model = from_onnx(_export(net, tmp_path / "tv_vit.onnx", dynamo, 2, dynamic))
    assert model.total_params == sum(p.numel() for p in net.parameters())
    with torch.no_grad():
        out = net(torch.zeros(2, 3, 32, 32))
    shapes = model.subs({"N": 2}).output_shapes if dynamic else model.output_shapes
    assert shapes == [tuple(out.shape)]
