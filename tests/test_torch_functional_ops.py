"""from_torch's rules for functional ops beyond the basics, each checked against torch running the same code.

Indexing by integer tensors (``table[index]``), ``torch.einsum``, torchvision's Swin functions
that torch.fx keeps whole, tensors made in ``forward`` from sizes, ``reshape_as``/``expand_as``,
and the fvcore convention's products, counted from the real run by a TorchFunctionMode that
sees every ``F.linear``, ``matmul`` and ``einsum``.
"""

from __future__ import annotations

from typing import Any

import pytest
import sympy

from symcnn.errors import ArgumentError, ShapeError, UnknownLayerError

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

from torch.overrides import TorchFunctionMode

from symcnn import from_torch

pytestmark = pytest.mark.slow

H, W = sympy.symbols("H W", integer=True, positive=True)


class _Products(TorchFunctionMode):
    """fvcore's count, from the real run: F.linear out.numel × in; matmul out.numel × k; einsum per its letters."""

    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        name = getattr(func, "__name__", "")
        if name == "linear":
            self.total += out.numel() * args[1].shape[1]
        elif name in ("matmul", "__matmul__", "bmm"):
            self.total += out.numel() * args[0].shape[-1]
        return out


def _fvcore_truth(fn: Any, *args: Any) -> tuple[Any, int]:
    counter = _Products()
    with torch.no_grad(), counter:
        out = fn(*args)
    return out, counter.total


# ---- table[index] ------------------------------------------------------------------------------


class _Indexed(nn.Module):
    def __init__(self, expr: str) -> None:
        super().__init__()
        self.expr = expr
        self.register_buffer("i", torch.zeros(2, 3, dtype=torch.long))
        self.register_buffer("j", torch.zeros(3, dtype=torch.long))
        self.table = nn.Parameter(torch.zeros(4, 5, 6, 7))

    def forward(self, x: Any) -> Any:
        t = self.table  # noqa: F841 - used by the expression
        i, j = self.i, self.j  # noqa: F841
        return x * 0 + eval(self.expr).sum()  # the expression is the test's own text


INDEX_EXPRESSIONS = ["t[i]", "t[:, i]", "t[i, :, j]", "t[0, :, i]", "t[:, 0, i]", "t[:, i, j]", "t[..., i]",
                     "t[None, i]", "t[:, None, i]", "t[i, None, j]", "t[1:3, i, ::2, j]", "t[i, j]", "t[:, i, 0]",
                     "t[0, i]", "t[0, :, :, i]", "t[[0, 2, 3]]", "t[:, [1, 1, 2], j]"]  # fmt: skip


@pytest.mark.parametrize("expr", INDEX_EXPRESSIONS)
def test_indexing_by_integer_tensors_gives_torchs_shape(expr: str) -> None:
    net = _Indexed(expr).eval()
    want = tuple(eval(expr.replace("t", "net.table").replace("i", "net.i").replace("j", "net.j")).shape)
    model = from_torch(net, (1, 3))
    (indexed,) = [r for r in model.records if r.type == "index_tensor"]
    assert indexed.output_shape == want
    assert model.total_params == net.table.numel() and model.total_buffers == 9


class _Masked(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("keep", torch.tensor([True, False, True]))

    def forward(self, x: Any) -> Any:
        return x[:, self.keep]


def test_indexing_by_a_boolean_mask_is_refused_with_the_reason() -> None:
    with pytest.raises(UnknownLayerError, match="boolean mask"):
        from_torch(_Masked(), (2, 3))


class _RelativeBias(nn.Module):
    """A relative-position bias (Swin, CoAtNet): a parameter table gathered by an index buffer, added to scores."""

    def __init__(self, window: int = 4, heads: int = 2) -> None:
        super().__init__()
        self.window, self.heads = window, heads
        self.table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, heads))
        coords = torch.stack(torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")).flatten(1)
        rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + window - 1
        self.register_buffer("index", rel[..., 0] * (2 * window - 1) + rel[..., 1])
        self.qkv = nn.Linear(8, 24)

    def forward(self, x: Any) -> Any:
        n, t, c = x.shape
        q, k, v = self.qkv(x).reshape(n, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        bias = self.table[self.index.view(-1)].view(t, t, -1).permute(2, 0, 1)
        attn = (q @ k.transpose(-2, -1) + bias).softmax(-1)
        return (attn @ v).transpose(1, 2).reshape(n, t, c)


def test_relative_position_bias_table_indexed_by_a_buffer_matches_torch() -> None:
    net = _RelativeBias().eval()
    out, products = _fvcore_truth(net, torch.zeros(2, 16, 8))
    model = from_torch(net, (2, 16, 8))
    assert model.output_shapes == [tuple(out.shape)]
    assert model.total_params == sum(p.numel() for p in net.parameters())
    assert model.total_buffers == net.index.numel()
    assert model.macs("fvcore") == products
    with pytest.raises(ShapeError, match="reshape"):  # 15 tokens do not fit a 16-token bias: torch refuses too
        from_torch(net, (2, 15, 8))


# ---- einsum --------------------------------------------------------------------------------------

EINSUMS = [
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)], 2 * 3 * 4 * 5),
    ("B G H I D, B G H J D -> B G H I J", [(1, 4, 2, 9, 8), (1, 4, 2, 9, 8)], 4 * 2 * 9 * 9 * 8),
    ("ij,jk", [(3, 4), (4, 5)], 3 * 4 * 5),  # implicit output: ik
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 6)], 2 * 5 * 3 * 4 * 6),
    ("bhid,bhjd->bhij", [(2, 3, 7, 8), (2, 3, 5, 8)], 2 * 3 * 7 * 5 * 8),
    ("i,j->ij", [(3,), (4,)], 0),  # an outer product sums over nothing: not a matrix product
    ("ii->i", [(5, 5)], 0),
    ("bij->bji", [(2, 3, 4)], 0),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)], 2 * 3 * 4 + 2 * 4 * 5),  # left to right: (ij,jk) then (ik,kl)
]


class _Einsum1(nn.Module):
    def __init__(self, equation: str) -> None:
        super().__init__()
        self.equation = equation

    def forward(self, a: Any) -> Any:
        return torch.einsum(self.equation, a)


class _Einsum2(_Einsum1):
    def forward(self, a: Any, b: Any) -> Any:  # type: ignore[override]
        return torch.einsum(self.equation, a, b)


class _Einsum3(_Einsum1):
    def forward(self, a: Any, b: Any, c: Any) -> Any:  # type: ignore[override]
        return torch.einsum(self.equation, [a, b, c])


def _Einsum(equation: str, operands: int = 2) -> Any:
    return (_Einsum1, _Einsum2, _Einsum3)[operands - 1](equation)


@pytest.mark.parametrize(("equation", "shapes", "products"), EINSUMS, ids=[e[0] for e in EINSUMS])
def test_einsum_output_shape_is_torchs_and_its_fvcore_products_are_the_contractions(
    equation: str, shapes: list[tuple[int, ...]], products: int
) -> None:
    net = _Einsum(equation, len(shapes))
    out = net(*(torch.zeros(s) for s in shapes))
    model = from_torch(net, shapes)
    assert model.output_shapes == [tuple(out.shape)]
    assert model.macs("fvcore") == products
    assert model.macs("torchinfo") == 0


@pytest.mark.parametrize("equation", ["bij,bjk->bik->x", "b1j,bjk->bik", "b....j->b", "bij;bjk"])
def test_a_malformed_einsum_equation_is_an_argument_error(equation: str) -> None:
    with pytest.raises(ArgumentError, match="einsum"):
        from_torch(_Einsum(equation), [(2, 3, 4), (2, 4, 5)])


def test_einsum_operands_that_do_not_fit_are_a_shape_error() -> None:
    with pytest.raises(ShapeError, match="einsum"):
        from_torch(_Einsum("bij,bjk->bik"), [(2, 3, 4), (2, 5, 5)])


# ---- torchvision's Swin functions (torch.fx.wrap) ------------------------------------------------


def _swin() -> Any:
    import model_zoo

    return model_zoo.torchvision().models.swin_transformer


class _SwinPieces(nn.Module):
    """One Swin block's attention and a patch merging, as torchvision builds them."""

    def __init__(self, v2: bool = False, shift: int = 2) -> None:
        super().__init__()
        swin = _swin()
        attn = swin.ShiftedWindowAttentionV2 if v2 else swin.ShiftedWindowAttention
        self.attn = attn(16, [4, 4], [shift, shift], num_heads=2)
        self.merge = (swin.PatchMergingV2 if v2 else swin.PatchMerging)(16)

    def forward(self, x: Any) -> Any:
        return self.merge(self.attn(x))


@pytest.mark.parametrize("v2", [False, True], ids=["v1", "v2"])
@pytest.mark.parametrize("side", [(8, 8), (9, 13), (3, 5), (16, 11)])
def test_swin_attention_and_patch_merging_match_torchvision(v2: bool, side: tuple[int, int]) -> None:
    net = _SwinPieces(v2).eval()
    x = torch.zeros(2, *side, 16)
    out, products = _fvcore_truth(net, x)
    model = from_torch(net, tuple(x.shape))
    assert model.output_shapes == [tuple(out.shape)]
    assert model.total_params == sum(p.numel() for p in net.parameters())
    assert model.macs("fvcore") == products
    symbolic = from_torch(net, (2, H, W, 16))
    assert symbolic.macs("fvcore").subs({H: side[0], W: side[1]}) == products
    assert [sympy.sympify(d).subs({H: side[0], W: side[1]}) for d in symbolic.output_shapes[0]] == list(out.shape)


# ---- tensors made in forward, shapes read off others ---------------------------------------------


class _Made(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(6, 6)

    def forward(self, x: Any) -> Any:
        n, t, c = x.shape
        pos = torch.zeros((n, t, c), device=x.device, dtype=x.dtype) + torch.arange(t).unsqueeze(-1)
        y = self.proj(x + pos).reshape_as(x.transpose(1, 2).contiguous())
        z = x.new_zeros((n, 1, c)).expand_as(x)
        return y.view_as(x) + z + torch.ones(1, t, 1)


@pytest.mark.parametrize("shape", [(2, 5, 6), (1, 9, 6)])
def test_tensors_made_from_sizes_and_shapes_read_off_other_tensors_follow_torch(shape: tuple[int, ...]) -> None:
    net = _Made().eval()
    with torch.no_grad():
        out = net(torch.zeros(shape))
    model = from_torch(net, shape)
    assert model.output_shapes == [tuple(out.shape)]
    assert model.total_params == sum(p.numel() for p in net.parameters())
    symbolic = from_torch(net, (shape[0], H, 6))
    assert [sympy.sympify(d).subs(H, shape[1]) for d in symbolic.output_shapes[0]] == list(out.shape)
