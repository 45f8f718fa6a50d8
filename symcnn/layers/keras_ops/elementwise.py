"""Element-wise ``keras.ops``: on one tensor (shape unchanged) or on several operands that broadcast."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..base import Layer, Shape
from .base import _BASE_KEYS, _call_values, _CallOp, _is_tensor, _make, _Op, broadcast_shapes, constant_shape


class _Unary(_Op, register=False):
    """Element-wise on one tensor: the shape is unchanged, whatever the op's other settings."""

    position_wise = True

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return self._inputs(inputs)[0]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Layer:
        return cls(**{k: config[k] for k in _BASE_KEYS if k in config})


_make(_Unary, (
    # keras.ops.nn activations
    "Relu", "Relu6", "Sigmoid", "SparseSigmoid", "Softplus", "Softsign", "SoftShrink", "SparsePlus", "Silu",
    "Squareplus", "LogSigmoid", "LeakyRelu", "HardSigmoid", "HardSilu", "Elu", "Selu", "Gelu", "Celu",
    "TanhShrink", "HardTanh", "HardShrink", "Threshold",
    # keras.ops.numpy / math / core element-wise functions
    "Absolute", "Fabs", "Arccos", "Arccosh", "Arcsin", "Arcsinh", "Arctan", "Arctanh", "BitwiseInvert", "BitwiseNot",
    "Cbrt", "Ceil", "Clip", "Conjugate", "Copy", "Cos", "Cosh", "Deg2rad", "Rad2deg", "Exp", "Exp2", "Expm1", "Floor",
    "Isfinite", "Isinf", "Isnan", "Isneginf", "Isposinf", "Log", "Log10", "Log1p", "Log2", "LogicalNot", "NanToNum",
    "Negative", "OnesLike", "ZerosLike", "EmptyLike", "Reciprocal", "Round", "Sign", "Signbit", "Sin", "Sinc", "Sinh",
    "Square", "Sqrt", "Tan", "Tanh", "Trunc", "Tril", "Triu",
    "Rsqrt", "Erf", "Erfc", "Erfinv", "Cast", "SaturateCast", "StopGradient", "ConvertToTensor",
), "element-wise, shape unchanged")


class _AlongAxis(_Unary, register=False):
    """Shape unchanged, but an output position reads others along an axis (a flip, a roll, a softmax)."""

    position_wise = False


_make(_AlongAxis, (
    "Softmax", "LogSoftmax", "Sparsemax", "Normalize", "Flip", "Fliplr", "Flipud", "Roll",
), "shape unchanged, positions read along an axis")


class _Elementwise(_CallOp, register=False):
    """Element-wise on several operands; tensors and constants broadcast (Keras ops rules)."""

    position_wise = True

    constants: tuple[Shape, ...] = ()

    def _read_call(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
        self.constants = tuple(
            constant_shape(v, self.class_name) for v in _call_values(args, kwargs) if v is not None and not _is_tensor(v)
        )

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self._inputs(inputs, None)
        return broadcast_shapes([*inputs, *self.constants], self.class_name)


_make(_Elementwise, (
    "Add", "Subtract", "Multiply", "Divide", "DivideNoNan", "TrueDivide", "Power", "Maximum", "Minimum", "Fmax",
    "Fmin", "Mod", "Fmod", "FloorDivide", "Arctan2", "Hypot", "Heaviside", "Logaddexp", "Logaddexp2", "Equal",
    "NotEqual", "Greater", "GreaterEqual", "Less", "LessEqual", "LogicalAnd", "LogicalOr", "LogicalXor",
    "BitwiseAnd", "BitwiseOr", "BitwiseXor", "Nextafter", "Ldexp", "Gcd", "Lcm",
), "element-wise, operands broadcast")
