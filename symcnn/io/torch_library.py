"""Functions that libraries mark as leaves of a torch.fx trace, and the layers that stand for them.

``torch.fx.wrap("name")`` makes a module-level function a single ``call_function``
node in every symbolic trace: its body (often with control flow on sizes, which fx
cannot trace) never shows. torchvision wraps these in its classification models:

* ``torchvision.models.swin_transformer``: ``_patch_merging_pad``,
  ``_get_relative_position_bias``, ``shifted_window_attention`` (layers in
  :mod:`symcnn.layers.torch.windows`);
* ``torchvision.ops``: ``stochastic_depth``, ``drop_block2d``, ``drop_block3d``
  (the identity at inference).

The table is keyed by the function's module and name, so a user's own function called
``shifted_window_attention`` is never taken for torchvision's. (timm's
``register_notrace_function`` list applies only to timm's own feature-extraction
tracer; under ``torch.fx.symbolic_trace`` those functions are traced through.)
timm's ``pad_same`` (TensorFlow 'same' padding, in every ``tf_*`` model) is made a
leaf by symcnn's own tracer, when timm is loaded: see AUTOWRAPPED.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from ..errors import ShapeError
from ..layers.torch import shape, windows
from .torch_calls import _PASS, _Call, _Tensor

_SWIN = "torchvision.models.swin_transformer"


def _tensor(call: _Call, index: int, name: str) -> _Tensor:
    value = call.get(index, name)
    if not isinstance(value, _Tensor):
        raise ShapeError(f"{call.key}: {name} must be a tensor, got {value!r}")
    return value


def _pad_same(call: _Call) -> Any:
    sizes = {n: call.get(i, n) for i, n in ((1, "kernel_size"), (2, "stride"), (3, "dilation"))}
    layer = shape.pad_same(**{n: v for n, v in sizes.items() if v is not None})
    return call.reader.add(layer, [_tensor(call, 0, "x")], call.name)


def _patch_merging_pad(call: _Call) -> Any:
    return call.reader.add(windows.patch_merging_pad(), [_tensor(call, 0, "x")], call.name)


def _relative_position_bias(call: _Call) -> Any:
    table = _tensor(call, 0, "relative_position_bias_table")
    index = _tensor(call, 1, "relative_position_index")
    layer = windows.relative_position_bias(window_size=call.get(2, "window_size"))
    return call.reader.add(layer, [table, index], call.name)


def _shifted_window_attention(call: _Call) -> Any:
    names = ("input", "qkv_weight", "proj_weight", "relative_position_bias")
    inputs = [_tensor(call, i, n) for i, n in enumerate(names)]
    optional = {n: call.get(i, n) for i, n in ((9, "qkv_bias"), (10, "proj_bias"), (11, "logit_scale"))}
    given = {n: isinstance(v, _Tensor) for n, v in optional.items()}
    layer = windows.shifted_window_attention(
        window_size=call.get(4, "window_size"), num_heads=call.get(5, "num_heads"), **given
    )
    return call.reader.add(layer, inputs + [v for v in optional.values() if isinstance(v, _Tensor)], call.name)


LIBRARY_OPS: dict[str, Callable[[_Call], Any]] = {
    f"{_SWIN}._patch_merging_pad": _patch_merging_pad,
    f"{_SWIN}._get_relative_position_bias": _relative_position_bias,
    f"{_SWIN}.shifted_window_attention": _shifted_window_attention,
    **{f"torchvision.ops.{m}.{f}": (lambda c: _PASS) for m, f in (
        ("stochastic_depth", "stochastic_depth"), ("drop_block", "drop_block2d"), ("drop_block", "drop_block3d"))},
    "timm.layers.padding.pad_same": _pad_same,
}

# Functions made leaves of the trace when their library is loaded (fx's autowrap_functions): timm's TensorFlow-style
# 'same' padding computes with math.ceil and max on sizes, which fx cannot trace through.
AUTOWRAPPED = (("timm.layers.padding", "pad_same"),)


def autowrapped_functions() -> tuple[Callable[..., Any], ...]:
    """The functions of AUTOWRAPPED whose library the user has already imported (symcnn imports none)."""
    found = []
    for module, name in AUTOWRAPPED:
        loaded = sys.modules.get(module)
        fn = getattr(loaded, name, None) if loaded is not None else None
        if callable(fn):
            found.append(fn)
    return tuple(found)
