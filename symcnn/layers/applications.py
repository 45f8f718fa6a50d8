"""keras.applications' own layers: ConvNeXt's LayerScale and StochasticDepth, InceptionResNetV2's CustomScaleLayer."""

from __future__ import annotations

from typing import Any

from ..errors import ArgumentError, ShapeError
from .base import Layer, Shape, Weight, as_dim
from .keras_ops.base import broadcast_shapes


class LayerScale(Layer):
    """ConvNeXt's LayerScale: x · gamma, gamma of shape (projection_dim,)."""

    position_wise = True

    def __init__(self, init_values: Any = None, projection_dim: Any = None, **base: Any) -> None:
        super().__init__(**base)
        self.projection_dim = as_dim(projection_dim, "projection_dim")
        if init_values is not None and (isinstance(init_values, bool) or not isinstance(init_values, (int, float))):
            raise ArgumentError(f"init_values must be a number, got {init_values!r}")

    def hyperparameters(self) -> dict[str, Any]:
        return {"projection_dim": self.projection_dim}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return broadcast_shapes([self._one_input(inputs), (self.projection_dim,)], "LayerScale")

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        self.output_shape(inputs)
        return [Weight("gamma", (self.projection_dim,))]


class StochasticDepth(Layer):
    """ConvNeXt's StochasticDepth (drop path): shape unchanged, nothing to learn."""

    position_wise = True

    def __init__(self, drop_path_rate: Any = 0.0, **base: Any) -> None:
        super().__init__(**base)
        if isinstance(drop_path_rate, bool) or not isinstance(drop_path_rate, (int, float)):
            raise ArgumentError(f"drop_path_rate must be a number, got {drop_path_rate!r}")

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return self._one_input(inputs)


class CustomScaleLayer(Layer):
    """InceptionResNetV2's residual scale: inputs[0] + inputs[1] · scale."""

    arity = 2
    position_wise = True

    def __init__(self, scale: Any = None, **base: Any) -> None:
        super().__init__(**base)
        if isinstance(scale, bool) or not isinstance(scale, (int, float)):
            raise ArgumentError(f"scale must be a number, got {scale!r}")
        self.scale = scale

    def hyperparameters(self) -> dict[str, Any]:
        return {"scale": self.scale}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        if len(inputs) != 2:
            raise ShapeError(f"CustomScaleLayer takes two inputs, got {len(inputs)}")
        return broadcast_shapes(inputs, "CustomScaleLayer")
