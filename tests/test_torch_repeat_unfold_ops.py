"""from_torch's rules for repeat, repeat_interleave, unfold (the method and im2col), fold, addcmul, logical and
comparison ops, max/min over an axis, and the trigonometric ops, each checked against torch running the same code.

These are the ops timm's XCiT, GCViT, EdgeNeXt, ResMLP, VOLO, TNT and HaloNet use; each case runs at a concrete
size and, read with symbolic sides, at several sizes substituted into the closed form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sympy

from symcnn.errors import ShapeError, SymcnnError

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

from symcnn import from_torch

pytestmark = pytest.mark.slow

H, W = sympy.symbols("H W", integer=True, positive=True)


class _Fn(nn.Module):
    def __init__(self, fn: Callable[[Any], Any]) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, x: Any) -> Any:
        return self.fn(x)


CASES: dict[str, Callable[[Any], Any]] = {
    "repeat": lambda x: x.repeat(2, 1, 3, 1),
    "repeat with a new leading axis": lambda x: x.repeat(1, 2, 1, 1, 2),
    "tile with fewer counts than axes": lambda x: x.tile((2, 3)),
    "torch.tile with more counts": lambda x: torch.tile(x, (2, 1, 1, 1, 2)),
    "norm over axes, keepdim": lambda x: x * x.norm(p=2, dim=(2, 3), keepdim=True),
    "torch.norm over one axis": lambda x: torch.norm(x, 2, 1),
    "rms_norm": lambda x: F.rms_norm(x, (x.shape[-1],)),
    "repeat_interleave on an axis": lambda x: x.repeat_interleave(3, dim=1),
    "repeat_interleave flattened": lambda x: torch.repeat_interleave(x, 2),
    "Tensor.unfold": lambda x: x.unfold(2, 3, 2),
    "Tensor.unfold on the last axis": lambda x: x.unfold(-1, 4, 1),
    "F.unfold": lambda x: F.unfold(x, kernel_size=3, padding=1, stride=2),
    "F.unfold dilated": lambda x: F.unfold(x, (2, 3), dilation=2),
    "fold after unfold": lambda x: F.fold(F.unfold(x, 2, stride=1), output_size=x.shape[-2:], kernel_size=2),
    "addcmul": lambda x: torch.addcmul(x, x, x[:, :1]),
    "addcdiv": lambda x: torch.addcdiv(x, x[:, :, :1], x),
    "invert a comparison": lambda x: (~(x > 0)).float() + x,
    "and of comparisons": lambda x: ((x > 0) & (x[:, :1] < 1)).float(),
    "or, xor": lambda x: ((x >= 0) | (x <= 1) ^ (x != 0)).float(),
    "max over an axis": lambda x: x.max(1)[0],
    "min over an axis, keepdim, by name": lambda x: x.min(dim=2, keepdim=True).values,
    "max of two tensors": lambda x: torch.max(x, x[:, :1] * 2),
    "max of everything": lambda x: x + x.max(),
    "sin and cos": lambda x: torch.sin(x) + torch.cos(x) * torch.atan(x),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_shape_is_torchs_at_a_size_and_in_closed_form(name: str) -> None:
    net = _Fn(CASES[name]).eval()
    model = from_torch(net, (2, 4, H, W))
    for h, w in ((9, 10), (12, 7), (16, 16)):
        with torch.no_grad():
            want = tuple(net(torch.rand(2, 4, h, w)).shape)
        assert from_torch(net, (2, 4, h, w)).output_shapes[0] == want, (name, h, w)
        got = tuple(sympy.sympify(d).subs({H: h, W: w}) for d in model.output_shapes[0])
        assert got == want, (name, h, w)
        assert model.subs({H: h, W: w}).total_params == 0


def test_unfold_and_fold_modules_match_torch() -> None:
    net = nn.Sequential(nn.Unfold(kernel_size=3, padding=1, stride=2), nn.Fold((9, 9), kernel_size=3, padding=1, stride=2))
    x = torch.rand(1, 8, 9, 9)
    with torch.no_grad():
        want = tuple(net[0](x).shape), tuple(net(x).shape)
    model = from_torch(net, (1, 8, 9, 9))
    assert tuple(r.output_shape for r in model.records[1:]) == want


@pytest.mark.parametrize(
    ("fn", "shape", "error"),
    [
        (lambda x: x.unfold(2, 20, 1), (1, 4, 9, 10), "does not fit"),  # a window longer than the axis
        (lambda x: F.unfold(x, 11), (1, 4, 9, 10), "does not fit"),
        (lambda x: x.repeat(2, 2), (1, 4, 9, 10), "counts for a tensor of rank"),  # fewer counts than axes
        (lambda x: F.fold(x.flatten(2), output_size=(4, 4), kernel_size=2), (1, 8, 4, 4), "positions"),
    ],
)
def test_what_torch_refuses_symcnn_refuses(fn: Callable[[Any], Any], shape: tuple[int, ...], error: str) -> None:
    with pytest.raises(RuntimeError), torch.no_grad():  # torch refuses the same call
        fn(torch.rand(*shape))
    with pytest.raises(SymcnnError, match=error):
        from_torch(_Fn(fn), shape)


def test_symbolic_sizes_too_small_for_an_unfold_are_refused_at_substitution() -> None:
    model = from_torch(_Fn(lambda x: x.unfold(2, 5, 1)), (1, 4, H, W))
    assert model.subs({H: 5, W: 3}).output_shapes[0] == (1, 4, 1, 3, 5)
    with pytest.raises(ShapeError):
        model.subs({H: 4, W: 3}).output_shapes  # noqa: B018


def test_repeat_interleave_with_a_tensor_of_counts_is_refused_clearly() -> None:
    from symcnn.errors import UnknownLayerError

    net = _Fn(lambda x: x.repeat_interleave(torch.tensor([1, 2, 1, 3]), dim=1))
    with pytest.raises(UnknownLayerError, match="tensor of counts"):
        from_torch(net, (1, 4, 9, 10))


@pytest.mark.parametrize(
    ("kind", "kernel", "stride", "dilation"),
    [("conv", 3, 2, 1), ("conv", 5, 2, 1), ("conv", 1, 2, 1), ("conv", 3, 1, 2), ("conv", (3, 1), (2, 3), 1),
     ("max", 3, 2, 1), ("max", 2, 3, 1), ("avg", 3, 2, 1)],
)  # fmt: skip
def test_timms_tensorflow_same_padding_matches_torch_at_every_size(kind: str, kernel: Any, stride: Any, dilation: Any) -> None:
    import model_zoo as zoo

    layers = zoo.timm().layers
    if kind == "conv":
        net = layers.Conv2dSame(4, 6, kernel, stride=stride, dilation=dilation)
    elif kind == "max":
        net = layers.pool2d_same.MaxPool2dSame(kernel, stride=stride)
    else:
        net = layers.pool2d_same.AvgPool2dSame(kernel, stride=stride)
    model = from_torch(net.eval(), (1, 4, H, W))
    assert model.total_params == sum(p.numel() for p in net.parameters())
    for h, w in ((7, 7), (8, 9), (15, 16), (33, 20)):
        with torch.no_grad():
            want = tuple(net(torch.rand(1, 4, h, w)).shape)
        got = tuple(sympy.sympify(d).subs({H: h, W: w}) for d in model.output_shapes[0])
        assert got == want, (kind, kernel, stride, h, w)
