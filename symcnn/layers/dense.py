"""Dense (on the last axis of any rank, as Keras applies it)."""

from __future__ import annotations

from typing import Any

from ..errors import ShapeError
from ..formulas import Dim, prod, simplify_int
from .base import Layer, Shape, Weight, Window, as_dim, batch_of, flag


class Dense(Layer):
    """``units`` outputs: kernel (I, units) and bias (units,)."""

    def __init__(self, units: Any = None, use_bias: bool = True, lora_rank: Any = None, **base: Any) -> None:
        super().__init__(**base)
        self.units = as_dim(units, "units")
        self.use_bias = flag(use_bias, "use_bias")
        # Keras's LoRA: the kernel is frozen and two trainable factors (I, r) and (r, units) are added.
        self.lora_rank = None if lora_rank is None else as_dim(lora_rank, "lora_rank")

    def hyperparameters(self) -> dict[str, Any]:
        return {"units": self.units} if self.use_bias else {"units": self.units, "use_bias": False}

    def _features(self, inputs: list[Shape]) -> Dim:
        shape = self._one_input(inputs)
        if len(shape) < 2 or shape[-1] is None:
            raise ShapeError(f"Dense needs a known last axis, got input shape {shape}")
        return shape[-1]

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self._features(inputs)
        return (*inputs[0][:-1], self.units)

    def window(self, inputs: list[Shape]) -> Window | None:
        # On (N, ..., features) Keras applies the kernel at each position: a 1×1 window; on (N, features), none.
        rank = len(self._one_input(inputs)) - 2
        return Window.identity(rank) if rank > 0 else None

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        features = self._features(inputs)
        ws = [Weight("kernel", (features, self.units), trainable=self.lora_rank is None)]
        if self.use_bias:
            ws.append(Weight("bias", (self.units,)))
        if self.lora_rank is not None:
            ws += [Weight("lora_kernel_a", (features, self.lora_rank)), Weight("lora_kernel_b", (self.lora_rank, self.units))]
        return ws

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        kernel = self.weights(inputs)[0].size
        lora = prod([kernel, self.lora_rank]) if self.lora_rank is not None else 0  # each call forms a @ b
        return simplify_int(prod([batch_of(output), *output[1:-1], kernel]) + lora)
