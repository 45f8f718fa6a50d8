"""Keras's attention layers: MultiHeadAttention, GroupedQueryAttention, Attention, AdditiveAttention.

Weights as keras/src/layers/attention/*.py build them. MultiHeadAttention projects a query
(B, *T, C_q), a key (B, *S, C_k) and a value (B, *S, C_v) with EinsumDense kernels (C, N, d)
(N heads of size d = key_dim, value_dim for the value), biases (N, d), and maps the heads back with
a kernel (N, d_v, *out) and a bias (*out); out is ``output_shape``, else C_q. GroupedQueryAttention
has N_q query heads but only N_kv key and value heads. Attention (Luong) and AdditiveAttention
(Bahdanau) learn at most a scale.

A call with ``return_attention_scores=True`` has two outputs: the output and the scores
(B, N, T, S) for multi-head attention, (B, T, S) for the others. (For cross-attention Keras's
static shape of MultiHeadAttention's scores says (B, N, T, T); the call returns (B, N, T, S).)

MACs. torchinfo: the parameters once per sample, as torchinfo counts the nn.Linear projections
of a PyTorch port. fvcore: every matrix product without bias: each projection
(positions × kernel size), then QKᵀ and AV, B·N·T·S·(d_k + d_v) for multi-head attention. These
two products grow with both sequence lengths: with T = S = L the closed form has L². fvcore's
default handlers skip ``scaled_dot_product_attention``, which Keras calls on 4-D heads: there
symcnn counts more than fvcore would (docs/macs.md gives the numbers).

>>> mha = MultiHeadAttention(num_heads=4, key_dim=8)
>>> mha.output_shape([(None, 10, 16), (None, 10, 16)]), sum(w.size for w in mha.weights([(None, 10, 16)] * 2))
((None, 10, 16), 2160)
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from ..errors import ArgumentError, ShapeError
from ..formulas import Dim, is_number, prod, same_size, simplify_int
from .base import Layer, Shape, Weight, as_dim, batch_of, choice, flag, format_shape, require_known


def _positions(shape: Shape) -> Dim:
    """Batch (1 when unknown) times every axis between the batch and the features."""
    return prod([batch_of(shape), *shape[1:-1]])


def _same_shape(a: Shape, b: Shape) -> bool:
    return len(a) == len(b) and all(x is None or y is None or same_size(x, y) for x, y in zip(a, b))


def _features(layer: Layer, shape: Shape, what: str) -> Dim:
    if shape[-1] is None:
        raise ShapeError(f"{layer.class_name} needs a known {what} feature size, got {format_shape(shape)}")
    return shape[-1]


class _Attending(Layer, register=False):
    """What every attention layer shares: two or three inputs, and the scores as an optional second output."""

    arity = None
    scores_axes: ClassVar[str] = ""

    def __init__(self, **base: Any) -> None:
        super().__init__(**base)
        self.return_attention_scores = False

    def for_call(self, options: Mapping[str, Any]) -> Layer:
        scores = options.get("return_attention_scores", False)
        if not flag(scores, "return_attention_scores"):
            return self
        new = copy.copy(self)
        new.return_attention_scores = True
        return new

    def output_count(self) -> int:
        return 2 if self.return_attention_scores else 1

    def _qvk(self, inputs: list[Shape]) -> tuple[Shape, Shape, Shape]:
        if len(inputs) not in (2, 3):
            raise ShapeError(f"{self.class_name} takes query and value (and optionally key), got {len(inputs)} input(s)")
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) == 3 else value
        return tuple(query), tuple(value), tuple(key)

    def scores_shape(self, inputs: list[Shape]) -> Shape:
        raise NotImplementedError

    def output_shapes_of(self, inputs: list[Shape]) -> list[Shape]:
        out = self.output_shape(inputs)
        return [out, self.scores_shape(inputs)] if self.return_attention_scores else [out]


class _Projecting(_Attending, register=False):
    """Attention with learned projections, called as Keras calls it: ``layer(query, value[, key])``."""

    call_inputs = ("query", "value", "key")

    def __call__(self, query: Any, value: Any = None, key: Any = None, **keywords: Any) -> Any:  # type: ignore[override]
        """``layer(query, value)`` or ``layer(query, value, key)``, as in Keras."""
        if value is None:
            raise ArgumentError(f"{self.class_name} needs a value tensor: layer(query, value); self-attention is layer(x, x)")
        return super().__call__([query, value] if key is None else [query, value, key], **keywords)

    def _projection_weights(self, projections: Sequence[tuple[str, tuple[Dim, ...], tuple[Dim, ...]]]) -> list[Weight]:
        """Each projection's kernel, and its bias with ``use_bias``, named as Keras names them (query/kernel ...)."""
        ws = []
        for name, kernel, bias in projections:
            ws.append(Weight(f"{name}/kernel", kernel))
            if self.use_bias:  # type: ignore[attr-defined]
                ws.append(Weight(f"{name}/bias", bias))
        return ws


class MultiHeadAttention(_Projecting):
    """Multi-head attention over ``attention_axes`` (default: every axis between the batch and the features)."""

    def __init__(
        self,
        num_heads: Any = None,
        key_dim: Any = None,
        value_dim: Any = None,
        use_bias: bool = True,
        output_shape: Any = None,
        attention_axes: Any = None,
        sliding_window: Any = None,
        flash_attention: Any = None,
        use_gate: bool = False,
        query_shape: Any = None,
        key_shape: Any = None,
        value_shape: Any = None,
        **base: Any,
    ) -> None:
        # tf.keras 2 saves the shapes it was built on (query_shape ...); the call's shapes decide here.
        super().__init__(**base)
        self.num_heads = as_dim(num_heads, "num_heads")
        self.key_dim = as_dim(key_dim, "key_dim")
        self.value_dim = self.key_dim if value_dim is None else as_dim(value_dim, "value_dim")
        self.use_bias = flag(use_bias, "use_bias")
        self.use_gate = flag(use_gate, "use_gate")
        if output_shape is None or output_shape == [] or output_shape == () or output_shape == 0:
            self.projected: tuple[Dim, ...] | None = None  # Keras: falsy output_shape means the query's features
        else:
            sizes = output_shape if isinstance(output_shape, (list, tuple)) else [output_shape]
            self.projected = tuple(as_dim(d, "output_shape") for d in sizes)
        if isinstance(attention_axes, int) and not isinstance(attention_axes, bool):
            attention_axes = (attention_axes,)
        if attention_axes is not None and (
            not isinstance(attention_axes, (list, tuple))
            or not all(isinstance(a, int) and not isinstance(a, bool) for a in attention_axes)
            or not attention_axes
        ):
            raise ArgumentError(f"attention_axes must be an axis or a list of axes, got {attention_axes!r}")
        self.attention_axes = None if attention_axes is None else tuple(attention_axes)
        if sliding_window is not None:
            as_dim(sliding_window, "sliding_window")
        if flash_attention is not None:
            flag(flash_attention, "flash_attention")

    def hyperparameters(self) -> dict[str, Any]:
        hp: dict[str, Any] = {"num_heads": self.num_heads, "key_dim": self.key_dim}
        if self.value_dim != self.key_dim:
            hp["value_dim"] = self.value_dim
        if self.projected is not None:
            hp["output_shape"] = self.projected
        if self.attention_axes is not None:
            hp["attention_axes"] = self.attention_axes
        if not self.use_bias:
            hp["use_bias"] = False
        if self.use_gate:
            hp["use_gate"] = True
        return hp

    def _axes(self, query: Shape, value: Shape, key: Shape) -> tuple[int, ...]:
        """The attention axes of the query, as Keras's ``_build_attention`` numbers them."""
        if not len(query) == len(value) == len(key) or len(query) < 3:
            raise ShapeError(
                "MultiHeadAttention needs query, value and key of one rank, 3 or more (batch included), got "
                + ", ".join(format_shape(s) for s in (query, value, key))
            )
        if not _same_shape(value[1:-1], key[1:-1]):
            raise ShapeError(
                f"MultiHeadAttention: value and key must agree on every axis but the last, "
                f"got {format_shape(value)} and {format_shape(key)}"
            )
        rank = len(query) + 1  # the projected (B, *T, N, d)
        if self.attention_axes is None:
            return tuple(range(1, rank - 2))
        axes = tuple(a if a >= 0 else rank - 1 + a for a in self.attention_axes)
        if any(not 1 <= a <= rank - 3 for a in axes) or len(set(axes)) != len(axes):
            raise ShapeError(
                f"MultiHeadAttention: attention_axes {list(self.attention_axes)} must name distinct axes between "
                f"the batch and the features of a query {format_shape(query)}"
            )
        for i in range(1, rank - 2):
            if i not in axes and not (query[i] is None or key[i] is None or same_size(query[i], key[i])):
                raise ShapeError(
                    f"MultiHeadAttention: axis {i} is not an attention axis, so query and key must agree on it, "
                    f"got {format_shape(query)} and {format_shape(key)}"
                )
        return tuple(sorted(axes))

    def _out(self, query: Shape) -> tuple[Dim, ...]:
        return self.projected if self.projected is not None else (_features(self, query, "query"),)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        query, value, key = self._qvk(inputs)
        self._axes(query, value, key)
        return (*query[:-1], *self._out(query))

    def scores_shape(self, inputs: list[Shape]) -> Shape:
        """(B, non-attention axes, N, query attention axes, key attention axes), as the call's einsum gives."""
        query, value, key = self._qvk(inputs)
        axes = self._axes(query, value, key)
        others = [query[i] for i in range(1, len(query) - 1) if i not in axes]
        return (query[0], *others, self.num_heads, *(query[a] for a in axes), *(key[a] for a in axes))

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        query, value, key = self._qvk(inputs)
        n, dk, dv = self.num_heads, self.key_dim, self.value_dim
        out = self._out(query)
        projections: list[tuple[str, tuple[Dim, ...], tuple[Dim, ...]]] = [
            ("query", (_features(self, query, "query"), n, dk), (n, dk)),
            ("key", (_features(self, key, "key"), n, dk), (n, dk)),
        ]
        if self.use_gate:
            projections.append(("gate", (_features(self, query, "query"), n, dv), (n, dv)))
        projections += [
            ("value", (_features(self, value, "value"), n, dv), (n, dv)),
            ("attention_output", (n, dv, *out), out),
        ]
        return self._projection_weights(projections)

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        require_known(self, inputs)
        query, value, key = self._qvk(inputs)
        n, dk, dv = self.num_heads, self.key_dim, self.value_dim
        projections = [
            _positions(query) * query[-1] * n * dk,
            _positions(key) * key[-1] * n * dk,
            _positions(value) * value[-1] * n * dv,
            _positions(query) * n * dv * prod(self._out(query)),
        ]
        if self.use_gate:
            projections.append(_positions(query) * query[-1] * n * dv)
        scores = prod([batch_of(query), *self.scores_shape(inputs)[1:]])
        return simplify_int(sum(projections, start=0) + scores * (dk + dv))  # QKᵀ and AV


class GroupedQueryAttention(_Projecting):
    """Grouped-query attention: ``num_query_heads`` query heads share ``num_key_value_heads`` key/value heads."""

    aliases = ("GroupQueryAttention",)  # the name Keras exports it under and writes in its files

    def __init__(
        self,
        head_dim: Any = None,
        num_query_heads: Any = None,
        num_key_value_heads: Any = None,
        use_bias: bool = True,
        sliding_window: Any = None,
        flash_attention: Any = None,
        use_gate: bool = False,
        **base: Any,
    ) -> None:
        super().__init__(**base)
        self.head_dim = as_dim(head_dim, "head_dim")
        self.num_query_heads = as_dim(num_query_heads, "num_query_heads")
        self.num_key_value_heads = as_dim(num_key_value_heads, "num_key_value_heads")
        heads = (self.num_query_heads, self.num_key_value_heads)
        if all(is_number(h) for h in heads) and int(heads[0]) % int(heads[1]):
            raise ArgumentError(
                f"num_query_heads ({self.num_query_heads}) must be divisible by "
                f"num_key_value_heads ({self.num_key_value_heads})"
            )
        self.use_bias = flag(use_bias, "use_bias")
        self.use_gate = flag(use_gate, "use_gate")
        if sliding_window is not None:
            as_dim(sliding_window, "sliding_window")
        if flash_attention is not None:
            flag(flash_attention, "flash_attention")

    def hyperparameters(self) -> dict[str, Any]:
        hp: dict[str, Any] = {"head_dim": self.head_dim, "num_query_heads": self.num_query_heads,
                              "num_key_value_heads": self.num_key_value_heads}
        if not self.use_bias:
            hp["use_bias"] = False
        return hp

    def _checked(self, inputs: list[Shape]) -> tuple[Shape, Shape, Shape]:
        query, value, key = self._qvk(inputs)
        for shape in (query, value, key):
            if len(shape) != 3:
                raise ShapeError(
                    f"GroupedQueryAttention takes (batch, length, features) inputs, got {format_shape(shape)}"
                )
        if not _same_shape(query[-1:], value[-1:]):
            raise ShapeError(
                f"GroupedQueryAttention: query and value must have the same last size, "
                f"got {format_shape(query)} and {format_shape(value)}"
            )
        if not _same_shape(value[1:-1], key[1:-1]):
            raise ShapeError(
                f"GroupedQueryAttention: value and key must have the same length, "
                f"got {format_shape(value)} and {format_shape(key)}"
            )
        return query, value, key

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return self._checked(inputs)[0]

    def scores_shape(self, inputs: list[Shape]) -> Shape:
        query, _, key = self._checked(inputs)
        return (query[0], self.num_query_heads, query[1], key[1])

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        query, value, key = self._checked(inputs)
        h, nq, nkv = self.head_dim, self.num_query_heads, self.num_key_value_heads
        model = _features(self, query, "query")
        projections: list[tuple[str, tuple[Dim, ...], tuple[Dim, ...]]] = [
            ("query", (model, nq, h), (nq, h)), ("key", (_features(self, key, "key"), nkv, h), (nkv, h))]
        if self.use_gate:
            projections.append(("gate", (model, nq, h), (nq, h)))
        projections += [("value", (_features(self, value, "value"), nkv, h), (nkv, h)),
                        ("attention_output", (nq, h, model), (model,))]  # fmt: skip
        return self._projection_weights(projections)

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        require_known(self, inputs)
        query, value, key = self._checked(inputs)
        h, nq, nkv = self.head_dim, self.num_query_heads, self.num_key_value_heads
        b = batch_of(query)
        parts = [
            b * query[1] * query[2] * nq * h,  # query projection
            b * key[1] * key[2] * nkv * h,
            b * value[1] * value[2] * nkv * h,
            b * query[1] * nq * h * query[2],  # attention_output
            2 * b * nq * query[1] * key[1] * h,  # QKᵀ and AV (keys and values repeated to the query heads)
        ]
        if self.use_gate:
            parts.append(b * query[1] * query[2] * nq * h)
        return simplify_int(sum(parts, start=0))


class Attention(_Attending):
    """Dot-product (Luong) attention of [query, value] or [query, value, key]: (B, T, C) and (B, S, C) → (B, T, C_v)."""

    def __init__(self, use_scale: bool = False, score_mode: Any = "dot", causal: Any = False, **base: Any) -> None:
        super().__init__(**base)  # tf.keras 2's `causal` masks the future: no count changes
        flag(causal, "causal")
        self.use_scale = flag(use_scale, "use_scale")
        self.score_mode = choice(score_mode, "score_mode", ("dot", "concat"))

    def hyperparameters(self) -> dict[str, Any]:
        hp: dict[str, Any] = {}
        if self.use_scale:
            hp["use_scale"] = True
        if self.score_mode != "dot":
            hp["score_mode"] = self.score_mode
        return hp

    def _checked(self, inputs: list[Shape]) -> tuple[Shape, Shape, Shape]:
        query, value, key = self._qvk(inputs)
        if not len(query) == len(value) == len(key) or len(query) < 3:
            raise ShapeError(
                f"{self.class_name} needs query, value and key of one rank, 3 or more (batch included), got "
                + ", ".join(format_shape(s) for s in (query, value, key))
            )
        if not _same_shape(query[-1:], key[-1:]):
            raise ShapeError(
                f"{self.class_name}: query and key must have the same last size, "
                f"got {format_shape(query)} and {format_shape(key)}"
            )
        if not _same_shape(value[:-1], key[:-1]) or not _same_shape(query[:-2], key[:-2]):
            raise ShapeError(
                f"{self.class_name}: value and key must agree on every axis but the last, and with the query on the "
                f"batch axes, got {', '.join(format_shape(s) for s in (query, value, key))}"
            )
        return query, value, key

    def output_shape(self, inputs: list[Shape]) -> Shape:
        query, value, _ = self._checked(inputs)
        return (*query[:-1], value[-1])

    def scores_shape(self, inputs: list[Shape]) -> Shape:
        query, _, key = self._checked(inputs)
        return (*query[:-1], key[-2])

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        self._checked(inputs)
        ws = [Weight("scale", ())] if self.use_scale else []
        return ws + [Weight("concat_score_weight", ())] if self.score_mode == "concat" else ws

    def _score_products(self, query: Shape) -> Dim:
        """The matrix product of the scores per (query, key) pair: the features for dot, none for concat (tanh sums)."""
        return query[-1] if self.score_mode == "dot" else 0

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        require_known(self, inputs)
        query, value, _ = self._checked(inputs)
        pairs = prod([batch_of(query), *self.scores_shape(inputs)[1:]])  # every (query, key) pair
        return simplify_int(pairs * (self._score_products(query) + value[-1]))  # scores, then scores · V


class AdditiveAttention(Attention):
    """Additive (Bahdanau) attention: scores sum(scale · tanh(q + k)); with ``use_scale`` a scale (C,)."""

    def __init__(self, use_scale: bool = True, **base: Any) -> None:
        base.pop("score_mode", None)  # Keras passes it on to Attention, and AdditiveAttention's build ignores it
        super().__init__(use_scale=use_scale, **base)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        query, _, _ = self._checked(inputs)
        return [Weight("scale", (_features(self, query, "query"),))] if self.use_scale else []

    def _score_products(self, query: Shape) -> Dim:
        return 0
