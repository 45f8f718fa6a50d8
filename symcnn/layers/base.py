"""The layer contract every layer type fulfils, and the registry readers use.

A layer checks its arguments when it is made, and answers four questions for
given input shapes: its output shape, its weights (each a named shape, so a
count is a product of sizes), and its MACs under a named convention.

Shapes include the batch axis first (``None`` when unknown, as in Keras).
"""

from __future__ import annotations

import copy
import inspect
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..errors import ArgumentError, ShapeError, shown
from ..expr import parse
from ..formulas import Dim, is_number, prod, simplify_int
from ..tensor import Tensor

Shape = tuple[Any, ...]  # (batch, *dims); batch may be None
CONVENTIONS = ("torchinfo", "fvcore")
# Weights by what they are, so that each paper's count is a sum of some of them.
WEIGHT_KINDS = ("kernels", "biases", "normalization", "moving_statistics", "embeddings", "other")

# Keras config keys that never change a shape or a count.
_IGNORED_CONFIG = {
    "dtype", "activation", "kernel_initializer", "bias_initializer", "kernel_regularizer",
    "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint",
    "recurrent_initializer", "recurrent_regularizer", "recurrent_constraint", "recurrent_activation",
    "depthwise_initializer", "pointwise_initializer", "depthwise_regularizer", "pointwise_regularizer",
    "depthwise_constraint", "pointwise_constraint", "beta_initializer", "gamma_initializer",
    "moving_mean_initializer", "moving_variance_initializer", "beta_regularizer", "gamma_regularizer",
    "beta_constraint", "gamma_constraint", "embeddings_initializer", "embeddings_regularizer",
    "embeddings_constraint", "lora_rank", "lora_alpha", "seed", "noise_shape", "momentum", "epsilon",
    "synchronized", "renorm", "renorm_clipping", "renorm_momentum", "virtual_batch_size", "adjustment",
    "fused", "unroll", "stateful", "go_backwards", "time_major", "zero_output_for_mask", "dropout",
    "recurrent_dropout", "implementation", "use_cudnn", "mask_zero", "sparse", "ragged",
    "negative_slope", "max_value", "threshold", "quantization_config", "build_config",
}


@dataclass(frozen=True)
class Weight:
    """One weight tensor: ``kind`` is 'param' (learned) or 'stat' (a moving statistic)."""

    name: str
    shape: tuple[Dim, ...]
    kind: str = "param"
    trainable: bool = True

    @property
    def size(self) -> Dim:
        return prod(self.shape)


@dataclass(frozen=True)
class Window:
    """How a layer's output positions read its input, per spatial axis (what receptive fields need).

    Output position ``o`` reads input positions ``o·stride − pad + m·dilation`` for m = 0 … kernel − 1;
    ``pad`` is the padding before the first input position (negative when cropped). A ``transposed``
    window runs the other way: input position ``i`` writes output positions ``i·stride − pad + m·dilation``
    (a transposed convolution; nearest up-sampling is one with kernel = stride = the factor).

    >>> Window.identity(2)
    Window(kernel=(1, 1), stride=(1, 1), dilation=(1, 1), pad=(0, 0), transposed=False)
    """

    kernel: tuple[Dim, ...]
    stride: tuple[Dim, ...]
    dilation: tuple[Dim, ...]
    pad: tuple[Dim, ...]
    transposed: bool = False

    @staticmethod
    def identity(rank: int) -> Window:
        """The window of a layer that reads each position alone (activations, normalisation, merges)."""
        return Window((1,) * rank, (1,) * rank, (1,) * rank, (0,) * rank)


def as_dim(value: Any, arg: str, *, allow_zero: bool = False) -> Dim:
    """Normalise a size argument: an int, a SymPy expression, or text like ``"2*F"``."""
    if isinstance(value, bool) or value is None:
        raise ArgumentError(f"{arg} must be a size, got {value!r}")
    if isinstance(value, str):
        value = parse(value)
    if isinstance(value, float) and value.is_integer():
        if abs(value) >= _EXACT_FLOATS:  # 1e30 as a float is 1000000000000000019884624837632
            raise ArgumentError(f"{arg} is the float {value!r}, which cannot hold a whole number that large exactly: "
                                "write the number out in digits")
        value = int(value)
    if isinstance(value, int):
        pass
    elif isinstance(value, sympy.Basic) and isinstance(value, sympy.Expr):
        value = simplify_int(value)
    else:
        raise ArgumentError(f"{arg} must be a whole number or an expression, got {shown(value)}")
    if is_number(value):
        if value < 0 or (value == 0 and not allow_zero):
            raise ArgumentError(f"{arg} must be {'non-negative' if allow_zero else 'positive'}, got {value}")
        return int(value)
    if value.is_number:
        raise ArgumentError(f"{arg} must be a whole number, got {shown(value)}")
    return value


_EXACT_FLOATS = 2**53  # every whole number below this is a float exactly; above it floats skip integers


def real_number(value: Any, arg: str, *, low: float, high: float | None = None, high_open: bool = False,
                low_open: bool = False) -> Any:
    """A finite real argument (a rate, a scale factor) within ``[low, high]``; open ends when asked.

    Accepts ints, floats and exact fractions (a YAML ``0.75`` is ``Rational(3, 4)``); refuses
    booleans, text, NaN and infinities, naming the argument and the range.

    >>> real_number(0.5, "rate", low=0, high=1, high_open=True)
    0.5
    >>> real_number(float("nan"), "rate", low=0, high=1, high_open=True)
    Traceback (most recent call last):
    ...
    symcnn.errors.ArgumentError: rate must be a number at least 0 and below 1, got nan
    """
    lo = f"above {low}" if low_open else f"at least {low}"
    hi = "" if high is None else f" and {'below' if high_open else 'at most'} {high}"
    wanted = f"{arg} must be a number {lo}{hi}, got {shown(value)}"
    if isinstance(value, bool) or not isinstance(value, (int, float, sympy.Rational)):
        raise ArgumentError(wanted)
    if isinstance(value, float) and not math.isfinite(value):
        raise ArgumentError(wanted)
    below = value <= low if low_open else value < low
    above = high is not None and (value >= high if high_open else value > high)
    if below or above:
        raise ArgumentError(wanted)
    return value


def rate(value: Any, arg: str = "rate") -> Any:
    """A dropout rate: a number in [0, 1) (1 would drop every value); NaN and infinities are refused.

    >>> rate(0.25)
    0.25
    """
    return real_number(value, arg, low=0, high=1, high_open=True)


def dim_tuple(value: Any, rank: int, arg: str, *, allow_zero: bool = False) -> tuple[Dim, ...]:
    """Normalise ``3`` or ``(3, 3)`` to a tuple of ``rank`` sizes (Keras's standardize_tuple)."""
    if isinstance(value, (list, tuple)):
        if len(value) != rank:
            raise ArgumentError(f"{arg} must have {rank} value(s), got {list(value)!r}")
        return tuple(as_dim(v, arg, allow_zero=allow_zero) for v in value)
    return (as_dim(value, arg, allow_zero=allow_zero),) * rank


def choice(value: Any, arg: str, options: Sequence[str]) -> str:
    """Normalise a string option, naming the choices in the error."""
    if not isinstance(value, str) or value.lower() not in options:
        raise ArgumentError(f"{arg} must be one of {', '.join(map(repr, options))}, got {value!r}")
    return value.lower()


def flag(value: Any, arg: str) -> bool:
    if not isinstance(value, bool):
        raise ArgumentError(f"{arg} must be true or false, got {value!r}")
    return value


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def snake_case(name: str) -> str:
    """Keras's default layer names: Conv2D -> conv2d, MaxPooling2D -> max_pooling2d."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


class Layer:
    """Base of all layer types. Subclasses register themselves by class name and aliases."""

    registry: ClassVar[dict[str, type[Layer]]] = {}
    aliases: ClassVar[tuple[str, ...]] = ()
    conv_like: ClassVar[bool] = False  # torchinfo's rule: class name contains "Conv"
    counts_stats: ClassVar[bool] = True  # Keras counts moving statistics as (non-trainable) params
    arity: ClassVar[int | None] = 1  # number of inputs, None for any
    call_inputs: ClassVar[tuple[str, ...]] = ("inputs",)  # the call's data arguments, in order (Keras readers)
    # Each output position reads only the same position of its input(s): activations, dropout,
    # normalisation (its statistics are not counted, as in Araujo et al.'s receptive fields), merges.
    position_wise: ClassVar[bool] = False
    # What every learned weight of this layer is, when its name does not say (see ``weight_kind``).
    param_kind: ClassVar[str | None] = None

    def __init_subclass__(cls, register: bool = True, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if register and not cls.__name__.startswith("_"):
            for key in (cls.__name__, *cls.aliases):
                Layer.registry[key] = cls

    def __init__(
        self,
        *,
        name: str | None = None,
        trainable: bool = True,
        input_shape: Sequence[Any] | None = None,
        batch_input_shape: Sequence[Any] | None = None,
        batch_shape: Sequence[Any] | None = None,
        **ignored: Any,
    ) -> None:
        unknown = sorted(set(ignored) - _IGNORED_CONFIG)
        if unknown:
            raise ArgumentError(f"{type(self).__name__} has no argument {unknown[0]!r}")
        if name is not None and not isinstance(name, str):
            raise ArgumentError(f"name must be text, got {name!r}")
        if name and not name.isascii() and not _is_unicode(name):
            raise ArgumentError(f"name {name!r} holds a lone surrogate (half of a character): it is not valid Unicode")
        self.name = name
        self.trainable = flag(trainable, "trainable")
        shape = batch_shape or batch_input_shape
        self.declared_input: Shape | None = None
        if shape is not None:
            self.declared_input = tuple(shape)
        elif input_shape is not None:
            self.declared_input = (None, *input_shape)

    # ---- the contract -------------------------------------------------------------
    def output_shape(self, inputs: list[Shape]) -> Shape:
        raise NotImplementedError

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        return []

    def output_shapes_of(self, inputs: list[Shape]) -> list[Shape]:
        """Every output's shape, in Keras's order; a layer with one output defines ``output_shape`` only."""
        return [self.output_shape(inputs)]

    def output_count(self) -> int:
        """How many outputs one call gives, known before any shape (``return_state`` adds the states)."""
        return 1

    def for_call(self, options: Mapping[str, Any]) -> Layer:
        """The layer as a call with these keywords runs it (``return_attention_scores=True``).

        Keywords that change no shape or count (``training``, ``use_causal_mask``) leave it as it is.
        """
        return self

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        """Multiply-accumulates of convolutions and matrix products, no bias (fvcore)."""
        return 0

    def torchinfo_positions(self, inputs: list[Shape], output: Shape) -> Dim:
        """How many times torchinfo counts each parameter: batch × output positions for convs."""
        batch = batch_of(output)
        if self.conv_like:
            return prod([batch, *spatial(output, self.channels_last)])
        return batch

    def macs(self, inputs: list[Shape], output: Shape, convention: str = "torchinfo") -> Dim:
        """MACs of one call under ``convention`` ('torchinfo' or 'fvcore')."""
        if convention == "fvcore":
            return self.fvcore_macs(inputs, output)
        if convention == "torchinfo":
            learned = sum((w.size for w in self.weights(inputs) if w.kind == "param"), start=0)
            return prod([self.torchinfo_positions(inputs, output), learned]) if learned != 0 else 0
        raise ArgumentError(f"convention must be one of {', '.join(CONVENTIONS)}, got {convention!r}")

    def hyperparameters(self) -> dict[str, Any]:
        """The arguments that shape this layer, for summaries and worked pages."""
        return {}

    def window(self, inputs: list[Shape]) -> Window | None:
        """How output positions read the input along each spatial axis, for receptive fields.

        The identity for a position-wise layer; None where the question does not apply (a Dense
        layer on features, Flatten, a global pooling: every output reads every position).
        Convolutions and poolings override it.
        """
        if self.position_wise and inputs:
            return Window.identity(len(spatial(inputs[0], self.channels_last)))
        return None

    def weight_kind(self, weight: Weight) -> str:
        """What a weight is, for counts by kind: one of ``WEIGHT_KINDS``.

        Moving statistics by their kind; then the layer's ``param_kind`` (normalisation scale and
        shift, embedding tables); then the weight's name (…embeddings, …bias, …kernel/…weight).
        """
        if weight.kind == "stat":
            return "moving_statistics"
        if self.param_kind is not None:
            return self.param_kind
        leaf = weight.name.rsplit("/", 1)[-1].rsplit(".", 1)[-1].lower()
        if "embedding" in leaf:
            return "embeddings"
        if "bias" in leaf:
            return "biases"
        if "kernel" in leaf or "weight" in leaf:
            return "kernels"
        return "other"

    channels_last: bool = True

    # ---- construction helpers ----------------------------------------------------
    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Layer:
        """Make the layer from a Keras-style config dict, ignoring arguments that change no count."""
        accepted = accepted_arguments(cls)
        kwargs: dict[str, Any] = {}
        for key, value in config.items():
            if key in accepted:
                kwargs[key] = value
            elif key not in _IGNORED_CONFIG:
                raise ArgumentError(f"{cls.__name__} has no argument {key!r}")
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise ArgumentError(f"{cls.__name__}: {exc}") from None

    def subs(self, mapping: Mapping[sympy.Symbol, Any]) -> Layer:
        """A copy with symbols in the arguments replaced by values."""
        new = copy.copy(self)
        for key, value in vars(self).items():
            setattr(new, key, _subs(value, mapping))
        return new

    @property
    def class_name(self) -> str:
        return type(self).__name__

    def __call__(self, inputs: Any, **keywords: Any) -> Any:
        """Call the layer on tensors; tensors given as keywords (``mask=``, ``initial_state=``) count for nothing."""
        return Tensor.apply(self, inputs, keywords)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        name = f", name={self.name!r}" if self.name else ""
        return f"{self.class_name}({args}{name})"

    def _one_input(self, inputs: list[Shape]) -> Shape:
        if len(inputs) != 1:
            raise ShapeError(f"{self.class_name} takes one input, got {len(inputs)}")
        return inputs[0]


_ACCEPTED: dict[type, frozenset[str]] = {}  # inspect.signature is slow: once per class, not once per layer


def accepted_arguments(cls: type) -> frozenset[str]:
    """Every named argument of the ``__init__`` methods along the class's MRO."""
    if cls in _ACCEPTED:
        return _ACCEPTED[cls]
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for p in inspect.signature(init).parameters.values():
            if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY) and p.name != "self":
                names.add(p.name)
    _ACCEPTED[cls] = frozenset(names)
    return _ACCEPTED[cls]


def _subs(value: Any, mapping: Mapping[sympy.Symbol, Any]) -> Any:
    if isinstance(value, sympy.Basic):
        return simplify_int(value.subs(mapping))
    if isinstance(value, tuple):
        return tuple(_subs(v, mapping) for v in value)
    if isinstance(value, list):
        return [_subs(v, mapping) for v in value]
    return value


def batch_of(shape: Shape) -> Dim:
    """The batch size, 1 when unknown (counts are then per sample)."""
    return 1 if shape[0] is None else shape[0]


def spatial(shape: Shape, channels_last: bool = True) -> tuple[Dim, ...]:
    """The spatial axes of an (N, ..., C) or (N, C, ...) shape."""
    return tuple(shape[1:-1]) if channels_last else tuple(shape[2:])


def channels(shape: Shape, channels_last: bool = True) -> Dim:
    return shape[-1] if channels_last else shape[1]


def require_rank(layer: Layer, shape: Shape, rank: int | Iterable[int]) -> None:
    ranks = (rank,) if isinstance(rank, int) else tuple(rank)
    if len(shape) not in ranks:
        want = " or ".join(str(r) for r in ranks)
        raise ShapeError(
            f"{layer.class_name} expects an input of rank {want} (batch included), got shape {format_shape(shape)}"
        )


def unknown_size_error(layer: Layer, shapes: Sequence[Shape]) -> ShapeError | None:
    """The error for a formula that met an unknown (None) size; None if no size is unknown (then it is a bug)."""
    unknown = [s for s in shapes if any(d is None for d in s[1:])]
    if not unknown:
        return None
    return ShapeError(
        f"{layer.class_name} needs sizes that are known, got {format_shape(unknown[0])}: "
        "give the unknown (None) size a symbol name such as H instead"
    )


def require_known(layer: Layer, shapes: Sequence[Shape]) -> None:
    """Refuse shapes with an unknown (None) size besides the batch, where a count needs every size."""
    error = unknown_size_error(layer, shapes)
    if error is not None:
        raise error


def format_shape(shape: Shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def data_format_is_last(value: Any) -> bool:
    return choice(value, "data_format", ("channels_last", "channels_first")) == "channels_last"
