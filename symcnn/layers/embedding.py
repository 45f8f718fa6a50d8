"""Keras Embedding: a lookup table of ``input_dim`` rows of ``output_dim`` numbers."""

from __future__ import annotations

from typing import Any

from .base import Layer, Shape, Weight, as_dim


class Embedding(Layer):
    """(N, T) integer ids → (N, T, output_dim); weights (input_dim, output_dim).

    With ``lora_rank`` r (Keras's LoRA), the table is frozen and two trainable
    factors (input_dim, r) and (r, output_dim) are added, as Keras does.
    A lookup multiplies nothing, so fvcore counts 0 MACs; torchinfo counts
    batch × parameters, as for any layer that is not a convolution.
    """

    def __init__(
        self, input_dim: Any = None, output_dim: Any = None, input_length: Any = None, lora_rank: Any = None, **base: Any
    ) -> None:
        base.pop("lora_alpha", None)
        super().__init__(**base)
        self.input_dim = as_dim(input_dim, "input_dim")
        self.output_dim = as_dim(output_dim, "output_dim")
        # input_length (Keras 2) only fixed the sequence length; Keras 3 ignores it.
        self.input_length = None if input_length is None else as_dim(input_length, "input_length")
        self.lora_rank = None if lora_rank is None else as_dim(lora_rank, "lora_rank")

    def hyperparameters(self) -> dict[str, Any]:
        hp: dict[str, Any] = {"input_dim": self.input_dim, "output_dim": self.output_dim}
        if self.lora_rank is not None:
            hp["lora_rank"] = self.lora_rank
        return hp

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return (*self._one_input(inputs), self.output_dim)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        self._one_input(inputs)
        if self.lora_rank is None:
            return [Weight("embeddings", (self.input_dim, self.output_dim))]
        return [
            Weight("embeddings", (self.input_dim, self.output_dim), trainable=False),
            Weight("lora_embeddings_a", (self.input_dim, self.lora_rank)),
            Weight("lora_embeddings_b", (self.lora_rank, self.output_dim)),
        ]
