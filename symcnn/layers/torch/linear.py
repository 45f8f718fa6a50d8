"""torch.nn Linear, Bilinear and Embedding."""

from __future__ import annotations

from typing import Any

from ...errors import ArgumentError, ShapeError
from ...formulas import Dim, prod
from ..base import Shape, Weight, as_dim, batch_of, flag, format_shape
from .base import TorchLayer, _same


class Linear(TorchLayer):
    """y = x Wᵀ + b on the last axis of any rank: weight (out, in), bias (out,)."""

    def __init__(self, in_features: Any = None, out_features: Any = None, bias: bool = True, **base: Any) -> None:
        super().__init__(**base)
        if out_features is None:
            raise ArgumentError("Linear needs out_features")
        self.in_features = None if in_features is None else as_dim(in_features, "in_features")
        self.out_features = as_dim(out_features, "out_features")
        self.bias = flag(bias, "bias")

    def hyperparameters(self) -> dict[str, Any]:
        hp = {"in_features": self.in_features, "out_features": self.out_features}
        return hp if self.bias else {**hp, "bias": False}

    def _in(self, inputs: list[Shape]) -> Dim:
        shape = self._one_input(inputs)
        if len(shape) < 2 or (shape[-1] is None and self.in_features is None):
            raise ShapeError(f"Linear needs a known last axis, got input shape {format_shape(shape)}")
        if self.in_features is None:
            return shape[-1]
        if not _same(shape[-1], self.in_features):
            raise ShapeError(f"Linear expects in_features={self.in_features}, got input shape {format_shape(shape)}")
        return self.in_features

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self._in(inputs)
        return (*inputs[0][:-1], self.out_features)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        ws = [Weight("weight", (self.out_features, self._in(inputs)))]
        if self.bias:
            ws.append(Weight("bias", (self.out_features,)))
        return ws

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        return prod([batch_of(output), *output[1:-1], self.weights(inputs)[0].size])


class Bilinear(TorchLayer):
    """y = x₁ᵀ A x₂ + b: weight (out, in1, in2), bias (out,)."""

    arity = 2

    def __init__(
        self,
        in1_features: Any = None,
        in2_features: Any = None,
        out_features: Any = None,
        bias: bool = True,
        **base: Any,
    ) -> None:
        super().__init__(**base)
        self.in1_features = as_dim(in1_features, "in1_features")
        self.in2_features = as_dim(in2_features, "in2_features")
        self.out_features = as_dim(out_features, "out_features")
        self.bias = flag(bias, "bias")

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return (*inputs[0][:-1], self.out_features)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        ws = [Weight("weight", (self.out_features, self.in1_features, self.in2_features))]
        return ws + [Weight("bias", (self.out_features,))] if self.bias else ws


class Embedding(TorchLayer):
    """A table of ``num_embeddings`` vectors of ``embedding_dim``: (*) → (*, D)."""

    param_kind = "embeddings"

    def __init__(
        self,
        num_embeddings: Any = None,
        embedding_dim: Any = None,
        padding_idx: Any = None,
        max_norm: Any = None,
        norm_type: Any = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        **base: Any,
    ) -> None:
        super().__init__(**base)
        self.num_embeddings = as_dim(num_embeddings, "num_embeddings")
        self.embedding_dim = as_dim(embedding_dim, "embedding_dim")

    def hyperparameters(self) -> dict[str, Any]:
        return {"num_embeddings": self.num_embeddings, "embedding_dim": self.embedding_dim}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return (*self._one_input(inputs), self.embedding_dim)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        return [Weight("weight", (self.num_embeddings, self.embedding_dim))]


# ---- normalisation -------------------------------------------------------------------------
