"""torch.nn layers that keep the shape (activations, dropout, Identity ...) and PReLU."""

from __future__ import annotations

from typing import Any

from ..base import Shape, Weight, as_dim, rate
from .base import TorchLayer


class _Same(TorchLayer, register=False):
    """Same shape out as in, nothing to learn (activations, dropout, Identity)."""

    position_wise = True

    def __init__(
        self,
        *args: Any,
        inplace: Any = False,
        p: Any = None,
        dim: Any = None,
        negative_slope: Any = None,
        approximate: Any = None,
        alpha: Any = None,
        beta: Any = None,
        min_val: Any = None,
        max_val: Any = None,
        threshold: Any = None,
        lambd: Any = None,
        value: Any = None,
        **base: Any,
    ) -> None:
        base = {
            k: v
            for k, v in base.items()
            if k in ("name", "trainable", "input_shape", "batch_input_shape", "batch_shape", "device", "dtype")
        }
        super().__init__(**base)
        if p is not None and "Dropout" in type(self).__name__:
            rate(p, "p")

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return self._one_input(inputs)


_SAME_MODULES = (
    "Identity",
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "AlphaDropout",
    "FeatureAlphaDropout",
    "ReLU",
    "ReLU6",
    "GELU",
    "SiLU",
    "Sigmoid",
    "Tanh",
    "Hardswish",
    "Hardsigmoid",
    "Hardtanh",
    "LeakyReLU",
    "ELU",
    "SELU",
    "CELU",
    "Mish",
    "Softplus",
    "Softsign",
    "Tanhshrink",
    "Hardshrink",
    "Softshrink",
    "LogSigmoid",
    "Softmax",
    "LogSoftmax",
    "Softmin",
    "Threshold",
    "Softmax2d",
    "ChannelShuffle",
    "LocalResponseNorm",
    "CrossMapLRN2d",
)
for _name in _SAME_MODULES:
    globals()[_name] = type(_name, (_Same,), {"__doc__": f"torch.nn.{_name}: shape unchanged, no parameters."})


class PReLU(TorchLayer):
    """A learned slope: weight (num_parameters,), 1 (shared) or one per channel."""

    position_wise = True
    param_kind = "other"

    def __init__(self, num_parameters: Any = 1, init: Any = 0.25, **base: Any) -> None:
        super().__init__(**base)
        self.num_parameters = as_dim(num_parameters, "num_parameters")

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return self._one_input(inputs)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        return [Weight("weight", (self.num_parameters,))]
