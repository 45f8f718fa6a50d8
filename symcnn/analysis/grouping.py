"""Layers grouped by type or by block, with their parameters, MACs and shares of the totals.

``type`` groups as MobileNet v1's Table 2 does: by layer class and kernel size ("Conv2D 1×1",
"DepthwiseConv2D 3×3", "Dense"). ``block`` groups by name (see :func:`block_of`) or by nested model.

>>> from symcnn import Sequential, layers as L
>>> m = Sequential([L.Input((8, 8, 3)), L.Conv2D(4, 3), L.Conv2D(4, 1), L.Flatten(), L.Dense(2)])
>>> [(g.key, g.params) for g in group_layers(m, "type")]
[('Conv2D 3×3', 112), ('Conv2D 1×1', 20), ('Flatten', 0), ('Dense', 290)]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy

from ..errors import ArgumentError
from ..layers.base import CONVENTIONS, WEIGHT_KINDS
from ..layers.core import InputLayer
from ..model import Model

GROUPINGS = ("type", "block")
_BLOCK_TOKEN = re.compile(r"(block|stage|layer)\d*[a-z]?", re.IGNORECASE)


@dataclass
class Group:
    """The layers of one group and what they add up to."""

    key: str
    layers: list[str] = field(default_factory=list)
    params: sympy.Expr = field(default_factory=lambda: sympy.Integer(0))
    macs: dict[str, sympy.Expr] = field(default_factory=lambda: {c: sympy.Integer(0) for c in CONVENTIONS})


def type_of(record: Any) -> str:
    """A layer's type as papers tabulate it: the class, with the kernel size for a convolution.

    >>> from symcnn import Sequential, layers as L
    >>> type_of(Sequential([L.Input((8, 8, 3)), L.DepthwiseConv2D(3)]).records[1])
    'DepthwiseConv2D 3×3'
    """
    kernel = getattr(record.layer, "kernel_size", None) if record.layer.conv_like else None
    if isinstance(kernel, tuple) and kernel:
        return f"{record.type} {'×'.join(str(k) for k in kernel)}"
    return str(record.type)


def block_of(name: str, nested: bool = False) -> str:
    """The block a layer belongs to, read from its name.

    A nested model is its own block. A torch name (``layer1.0.conv1``) belongs to its parent module.
    A Keras name belongs to the part up to a ``block``/``stage``/``layer`` token (``conv2_block1_1_conv``
    → ``conv2_block1``, ``block1_conv1`` → ``block1``); otherwise trailing words go when what stays
    ends in a number (``conv_dw_1_bn`` → ``conv_dw_1``, ``conv1_relu`` → ``conv1``, ``avg_pool`` stays).

    >>> [block_of(n) for n in ("conv2_block1_1_conv", "block1_pool", "conv1_pad", "avg_pool", "layer1.0.conv1")]
    ['conv2_block1', 'block1', 'conv1', 'avg_pool', 'layer1.0']
    """
    if nested:
        return name
    for sep in ("/", "."):
        if sep in name:
            return name.rsplit(sep, 1)[0]
    tokens = name.split("_")
    for i, token in enumerate(tokens[:-1]):
        if _BLOCK_TOKEN.fullmatch(token):
            end = i + 2 if token.isalpha() and tokens[i + 1].isdigit() else i + 1  # "block_0_..."
            return "_".join(tokens[:end])
    kept = list(tokens)
    while len(kept) > 1 and kept[-1].isalpha():
        kept.pop()
    return "_".join(kept) if kept[-1][-1:].isdigit() and len(kept) < len(tokens) else name


def counted_params(record: Any, kinds: Sequence[str] | None) -> sympy.Expr:
    """A layer's parameters, or only the weights of ``kinds`` (e.g. kernels and biases, as MobileNet counts)."""
    if kinds is None:
        return record.params
    by_kind = record.params_by_kind
    return sympy.Add(*(by_kind[k] for k in kinds))


def check_kinds(kinds: Sequence[str] | None) -> list[str] | None:
    """The kinds, checked against ``WEIGHT_KINDS``."""
    if kinds is None:
        return None
    unknown = [k for k in kinds if k not in WEIGHT_KINDS]
    if unknown or not kinds:
        raise ArgumentError(f"weight kinds must be among {', '.join(WEIGHT_KINDS)}, got {', '.join(kinds) or 'none'}")
    return list(kinds)


def group_layers(model: Model, by: str, kinds: Sequence[str] | None = None) -> list[Group]:
    """The model's layers (inputs left out) in groups ``by`` 'type' or 'block', in order of first appearance."""
    if by not in GROUPINGS:
        raise ArgumentError(f"--group-by must be one of {', '.join(GROUPINGS)}, got {by!r}")
    kinds = check_kinds(kinds)
    groups: dict[str, Group] = {}
    for rec in model.records:
        if isinstance(rec.layer, InputLayer):
            continue
        key = type_of(rec) if by == "type" else block_of(rec.name, isinstance(rec.layer, Model))
        group = groups.setdefault(key, Group(key))
        group.layers.append(rec.name)
        group.params += counted_params(rec, kinds)
        for convention in CONVENTIONS:
            group.macs[convention] += rec.macs_by(convention)
    return list(groups.values())


def share(part: sympy.Expr, whole: sympy.Expr) -> sympy.Expr | None:
    """part / whole as an exact fraction, or None when the whole is 0.

    >>> share(sympy.Integer(1), sympy.Integer(4))
    1/4
    """
    if whole == 0:
        return None
    return sympy.nsimplify(sympy.Integer(0) + part / whole) if (part / whole).is_number else sympy.simplify(part / whole)
