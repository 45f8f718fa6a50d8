"""torch.nn MultiheadAttention."""

from __future__ import annotations

from typing import Any

from ...errors import ArgumentError, ShapeError
from ...formulas import Dim, is_number, prod
from ..base import Shape, Weight, as_dim, flag, format_shape
from .base import TorchLayer, _same


class MultiheadAttention(TorchLayer):
    """torch.nn.MultiheadAttention(query, key, value): output like the query with ``embed_dim`` features.

    Weights: in_proj_weight (3E, E) (or q/k/v_proj_weight when kdim/vdim differ), in_proj_bias,
    bias_k/bias_v (add_bias_kv), out_proj.weight/bias. torchinfo counts no MACs for it: the
    module has a child (out_proj) that its forward never calls, so no leaf row carries them.
    """

    arity = 3

    def __init__(
        self,
        embed_dim: Any = None,
        num_heads: Any = None,
        dropout: Any = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: Any = None,
        vdim: Any = None,
        batch_first: bool = False,
        **base: Any,
    ) -> None:
        super().__init__(**base)
        self.embed_dim = as_dim(embed_dim, "embed_dim")
        self.num_heads = as_dim(num_heads, "num_heads")
        if is_number(self.embed_dim) and is_number(self.num_heads) and self.embed_dim % self.num_heads:
            raise ArgumentError(f"embed_dim ({self.embed_dim}) must be divisible by num_heads ({self.num_heads})")
        self.bias = flag(bias, "bias")
        self.add_bias_kv = flag(add_bias_kv, "add_bias_kv")
        self.add_zero_attn = flag(add_zero_attn, "add_zero_attn")
        # None: the same as embed_dim (torch then keeps one packed in_proj_weight)
        self.kdim = None if kdim is None or as_dim(kdim, "kdim") == self.embed_dim else as_dim(kdim, "kdim")
        self.vdim = None if vdim is None or as_dim(vdim, "vdim") == self.embed_dim else as_dim(vdim, "vdim")
        self.batch_first = flag(batch_first, "batch_first")

    @property
    def _k(self) -> Dim:
        return self.embed_dim if self.kdim is None else self.kdim

    @property
    def _v(self) -> Dim:
        return self.embed_dim if self.vdim is None else self.vdim

    def hyperparameters(self) -> dict[str, Any]:
        return {"embed_dim": self.embed_dim, "num_heads": self.num_heads}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        if len(inputs) != 3:
            raise ShapeError(f"MultiheadAttention takes query, key and value, got {len(inputs)} input(s)")
        q, k, v = inputs
        for shape, size, arg in ((q, self.embed_dim, "embed_dim"), (k, self._k, "kdim"), (v, self._v, "vdim")):
            if len(shape) != 3 or not _same(shape[-1], size):
                raise ShapeError(f"MultiheadAttention expects (L, N, {arg}={size}) inputs, got {format_shape(shape)}")
        return (*q[:2], self.embed_dim)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        e = self.embed_dim
        if self.kdim is None and self.vdim is None:
            ws = [Weight("in_proj_weight", (3 * e, e))]
        else:
            ws = [Weight("q_proj_weight", (e, e)), Weight("k_proj_weight", (e, self._k)),
                  Weight("v_proj_weight", (e, self._v))]  # fmt: skip
        if self.bias:
            ws.append(Weight("in_proj_bias", (3 * e,)))
        if self.add_bias_kv:
            ws += [Weight("bias_k", (1, 1, e)), Weight("bias_v", (1, 1, e))]
        ws.append(Weight("out_proj.weight", (e, e)))
        if self.bias:
            ws.append(Weight("out_proj.bias", (e,)))
        return ws

    def torchinfo_positions(self, inputs: list[Shape], output: Shape) -> Dim:
        return 0

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        q, k, _ = inputs
        n, length = (q[0], q[1]) if self.batch_first else (q[1], q[0])
        source = k[1] if self.batch_first else k[0]
        e = self.embed_dim
        keys = source + int(self.add_bias_kv) + int(self.add_zero_attn)  # fvcore's bmm sees the extended keys
        per_sample = length * e * e + source * (self._k + self._v) * e + 2 * length * keys * e + length * e * e
        return prod([1 if n is None else n, per_sample])
