"""torchvision's Swin Transformer functions that torch.fx keeps whole (``torch.fx.wrap``), as layers.

torchvision marks three functions of ``torchvision/models/swin_transformer.py`` as
leaves of any fx trace, so a traced Swin shows them as single calls:

* ``_patch_merging_pad(x)``: (…, H, W, C) padded to even H and W, then the four
  interleaved 2×2 neighbours side by side: (…, ⌈H/2⌉, ⌈W/2⌉, 4C);
* ``_get_relative_position_bias(table, index, window_size)``: the bias table gathered
  by the index buffer and laid out as (1, heads, M, M), M = window area;
* ``shifted_window_attention(x, qkv_weight, proj_weight, bias, window_size, num_heads, ...)``:
  windowed multi-head self-attention; the output has the input's shape (B, H, W, C).

Their weights are the modules' tensors, read in ``forward`` (each counted once, where it is
read). torchinfo counts no MACs for any of them: they are functions, not leaf modules (a
``ShiftedWindowAttention`` module has children, its ``qkv`` and ``proj`` Linears, which are
never called). The fvcore convention counts the attention's matrix products over the padded
input (Hp = ⌈H/w⌉·w, the same for W), which the shift (a roll and a mask) does not change:
the qkv projection Hp·Wp·C·3C and the output projection Hp·Wp·C·C per image, and QKᵀ and
AV, windows · heads · M² · C/heads each.

>>> shifted_window_attention(window_size=[7, 7], num_heads=3).output_shape(
...     [(1, 56, 56, 96), (288, 96), (96, 96), (1, 3, 49, 49), (288,), (96,)])
(1, 56, 56, 96)
"""

from __future__ import annotations

from typing import Any

from ...errors import ArgumentError, ShapeError
from ...formulas import Dim, ceil_div, is_number, prod, simplify_int
from ..base import Shape, flag, format_shape, require_rank
from .base import TorchLayer, _div, _int, _same


def _window(value: Any) -> tuple[int, int]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ArgumentError(f"window_size must be two whole numbers, got {value!r}")
    return _int(value[0], "window_size", low=1), _int(value[1], "window_size", low=1)


class patch_merging_pad(TorchLayer):
    """torchvision's ``_patch_merging_pad``: (…, H, W, C) → (…, ⌈H/2⌉, ⌈W/2⌉, 4C)."""

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        if len(shape) < 3:
            raise ShapeError(f"patch merging needs (..., H, W, C), got {format_shape(shape)}")
        *lead, h, w, c = shape
        return (*lead, ceil_div(h, 2), ceil_div(w, 2), simplify_int(4 * c))


class relative_position_bias(TorchLayer):
    """torchvision's ``_get_relative_position_bias``: table[index] as (1, heads, M, M), M = window area."""

    arity = 2

    def __init__(self, window_size: Any = (7, 7), **base: Any) -> None:
        super().__init__(**base)
        self.window_size = _window(window_size)

    def hyperparameters(self) -> dict[str, Any]:
        return {"window_size": self.window_size}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        table, index = inputs
        m = self.window_size[0] * self.window_size[1]
        picked = prod([*index, *table[1:]])
        if is_number(prod(index)) and prod(index) != m * m:
            raise ShapeError(f"the position index {format_shape(index)} does not have {m}² entries for a {m}-token window")
        return (1, _div(picked, m * m), m, m)


class shifted_window_attention(TorchLayer):
    """torchvision's ``shifted_window_attention`` on (B, H, W, C); inputs x, qkv weight, proj weight, bias, then
    the qkv bias, proj bias and logit scale where given."""

    arity = None

    def __init__(
        self,
        window_size: Any = (7, 7),
        num_heads: Any = 1,
        qkv_bias: Any = True,
        proj_bias: Any = True,
        logit_scale: Any = False,
        **base: Any,
    ) -> None:
        super().__init__(**base)
        self.window_size = _window(window_size)
        self.num_heads = _int(num_heads, "num_heads", low=1)
        self.qkv_bias, self.proj_bias = flag(qkv_bias, "qkv_bias"), flag(proj_bias, "proj_bias")
        self.logit_scale = flag(logit_scale, "logit_scale")

    def hyperparameters(self) -> dict[str, Any]:
        return {"window_size": self.window_size, "num_heads": self.num_heads}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        want = 4 + self.qkv_bias + self.proj_bias + self.logit_scale
        if len(inputs) != want:
            raise ShapeError(f"shifted_window_attention takes {want} tensors here, got {len(inputs)}")
        x, qkv, proj = inputs[0], inputs[1], inputs[2]
        require_rank(self, x, 4)
        c = x[3]
        if not (_same(qkv[0], 3 * c) and _same(qkv[-1], c) and _same(proj[0], c) and _same(proj[-1], c)):
            raise ShapeError(
                f"shifted_window_attention: weights {format_shape(qkv)} and {format_shape(proj)} do not fit "
                f"{c} channels"
            )
        if is_number(c) and int(c) % self.num_heads:
            raise ShapeError(f"shifted_window_attention: {c} channels do not split into {self.num_heads} heads")
        return tuple(x)

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        b, h, w, c = inputs[0]
        wh, ww = self.window_size
        rows, cols = ceil_div(h, wh), ceil_div(w, ww)
        tokens = prod([b, rows, wh, cols, ww])
        windows = prod([b, rows, cols])
        return simplify_int(4 * prod([tokens, c, c]) + 2 * prod([windows, wh * ww, wh * ww, c]))
