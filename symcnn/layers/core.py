"""Layers that move data without learning: input, flatten, reshape, dropout, activations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ArgumentError, ShapeError
from ..formulas import Dim, is_number, prod, simplify_int
from ..tensor import Tensor
from .base import Layer, Shape, Weight, as_dim, rate


class InputLayer(Layer):
    """The model's input; ``shape`` excludes the batch axis, ``batch_shape`` includes it."""

    arity = 0

    def __init__(self, shape: Any = None, batch_size: Any = None, **base: Any) -> None:
        for key in ("input_shape", "batch_input_shape", "batch_shape"):
            if base.get(key) is not None and not isinstance(base[key], (list, tuple)):
                raise ArgumentError(f"{key} must be a list of sizes, got {base[key]!r}")
        if shape is not None:
            if not isinstance(shape, (list, tuple)):
                raise ArgumentError(f"shape must be a list of sizes, got {shape!r}")
            base.setdefault("batch_shape", (batch_size, *shape))
        base.pop("sparse", None)
        base.pop("ragged", None)
        super().__init__(**base)
        if self.declared_input is None:
            raise ArgumentError("InputLayer needs a shape")
        self.shape: Shape = tuple(
            None if d is None else as_dim(d, "shape") for d in self.declared_input
        )

    def hyperparameters(self) -> dict[str, Any]:
        return {"shape": self.shape[1:]}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return self.shape


def Input(shape: Any = None, batch_size: Any = None, name: str | None = None, **kwargs: Any) -> Any:
    """A Keras-style symbolic input tensor: ``Input((H, W, 3))``."""
    return Tensor.input(InputLayer(shape=shape, batch_size=batch_size, name=name, **kwargs))


class Flatten(Layer):
    """(N, d1, ..., dk) → (N, d1·…·dk)."""

    def __init__(self, data_format: str | None = None, **base: Any) -> None:
        super().__init__(**base)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        if any(d is None for d in shape[1:]):
            raise ShapeError(f"Flatten needs every non-batch axis known, got {shape}")
        return (shape[0], prod(shape[1:]))


class Reshape(Layer):
    """Reshape to ``target_shape`` (batch excluded); one entry may be -1."""

    def __init__(self, target_shape: Any = None, **base: Any) -> None:
        super().__init__(**base)
        if not isinstance(target_shape, (list, tuple)) or not target_shape:
            raise ArgumentError(f"target_shape must be a list of sizes, got {target_shape!r}")
        self.target_shape = tuple(-1 if d == -1 else as_dim(d, "target_shape") for d in target_shape)
        if sum(1 for d in self.target_shape if d == -1) > 1:
            raise ArgumentError("target_shape may hold at most one -1")

    def hyperparameters(self) -> dict[str, Any]:
        return {"target_shape": self.target_shape}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        size = prod(shape[1:])
        known = prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            rest = simplify_int(size / known) if not (is_number(size) and is_number(known)) else None
            if rest is None:
                if size % known:
                    raise ShapeError(f"cannot reshape {size} values into {self.target_shape}")
                rest = size // known
            return (shape[0], *(rest if d == -1 else d for d in self.target_shape))
        if is_number(size) and is_number(known) and size != known:
            raise ShapeError(f"cannot reshape {size} values into {self.target_shape} ({known} values)")
        return (shape[0], *self.target_shape)


class _Identity(Layer, register=False):
    """Same shape out as in, nothing to learn."""

    position_wise = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        base = {k: kwargs.pop(k) for k in ("name", "trainable", "input_shape", "batch_input_shape", "batch_shape") if k in kwargs}
        super().__init__(**base)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Layer:
        # Any setting (rate, axis, activation ...) leaves the shape unchanged and learns nothing.
        return cls(**{k: config[k] for k in ("name", "trainable") if k in config})

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return self._one_input(inputs)


class _Dropout(_Identity, register=False):
    """Same shape out as in; the rate is checked as Keras checks it, but below 1 (1 would drop every value)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        given = args[0] if args else kwargs.get("rate")
        if given is not None:
            rate(given)
        super().__init__(*args, **kwargs)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Layer:
        if config.get("rate") is not None:
            rate(config["rate"])
        return super().from_config(config)


for _name in ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout", "AlphaDropout"):
    globals()[_name] = type(_name, (_Dropout,), {"__doc__": f"Keras {_name}: shape unchanged, no parameters."})

for _name in (
    "GaussianNoise", "ActivityRegularization", "Masking", "Activation", "ReLU",
    "LeakyReLU", "ELU", "Softmax", "ThresholdedReLU", "Identity", "RandomFlip", "RandomRotation",
    "RandomZoom", "RandomContrast", "RandomTranslation", "RandomBrightness",
):
    globals()[_name] = type(_name, (_Identity,), {"__doc__": f"Keras {_name}: shape unchanged, no parameters."})


class PReLU(Layer):
    """A learned slope per input element, shared along ``shared_axes``."""

    position_wise = True

    def __init__(
        self,
        shared_axes: Any = None,
        alpha_initializer: Any = None,
        alpha_regularizer: Any = None,
        alpha_constraint: Any = None,
        **base: Any,
    ) -> None:
        super().__init__(**base)
        axes = [] if shared_axes is None else shared_axes if isinstance(shared_axes, (list, tuple)) else [shared_axes]
        if not all(isinstance(a, int) and not isinstance(a, bool) and a >= 1 for a in axes):
            raise ArgumentError(f"shared_axes must be positive axis numbers, got {shared_axes!r}")
        self.shared_axes = tuple(axes)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return self._one_input(inputs)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        shape = self._one_input(inputs)
        outside = [a for a in self.shared_axes if a >= len(shape)]
        if outside:
            raise ShapeError(f"shared_axes {list(self.shared_axes)} name axis {outside[0]} of a rank-{len(shape)} input")
        alpha: list[Dim] = [1 if i in self.shared_axes else d for i, d in enumerate(shape) if i > 0]
        return [Weight("alpha", tuple(alpha))]
