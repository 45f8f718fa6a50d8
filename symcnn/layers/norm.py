"""Keras normalization layers: shapes unchanged, scale/offset weights and moving statistics.

Rules read from keras/src/layers/normalization/*.py and Normalization's preprocessing module:
BatchNormalization keeps gamma/beta (trainable) and moving_mean/moving_variance
(non-trainable statistics) of the normalised axis; LayerNormalization and
RMSNormalization learn over their (possibly several) axes; GroupNormalization
learns per channel; Normalization holds mean, variance and a scalar count as
non-trainable state only when mean/variance are not given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import ArgumentError, ShapeError
from ..formulas import Dim, is_number
from .base import Layer, Shape, Weight, Window, as_dim, flag, format_shape


def axis_list(value: Any, arg: str = "axis", *, allow_none: bool = False) -> tuple[int, ...]:
    """An int or a list of ints (Keras accepts both) as a tuple of ints.

    >>> axis_list(-1), axis_list([1, 2])
    ((-1,), (1, 2))
    """
    if value is None and allow_none:
        return ()
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    if not items and not allow_none:
        raise ArgumentError(f"{arg} must name at least one axis, got {value!r}")
    for a in items:
        if isinstance(a, bool) or not isinstance(a, int):
            raise ArgumentError(f"{arg} must be an integer or a list of integers, got {value!r}")
    return tuple(items)


def resolve_axes(layer: Layer, shape: Shape, axes: Sequence[int]) -> list[int]:
    """Axes made non-negative for ``shape``; the batch axis and out-of-range axes are shape errors."""
    rank = len(shape)
    out = []
    for a in axes:
        if not -rank <= a < rank:
            raise ShapeError(f"{layer.class_name}: axis {a} is out of range for input shape {format_shape(shape)}")
        a = a + rank if a < 0 else a
        if a == 0:
            raise ShapeError(f"{layer.class_name}: axis {a} is the batch axis of input shape {format_shape(shape)}")
        if shape[a] is None:
            raise ShapeError(f"{layer.class_name}: axis {a} of input shape {format_shape(shape)} must be known")
        out.append(a)
    return sorted(out)


class _SameShape(Layer, register=False):
    position_wise = True

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return self._one_input(inputs)


class BatchNormalization(_SameShape):
    """gamma, beta (trainable) and moving mean/variance (statistics) of size C on ``axis``."""

    param_kind = "normalization"

    aliases = ("SyncBatchNormalization", "BatchNormalizationV1", "BatchNormalizationV2")

    def __init__(
        self, axis: Any = -1, center: bool = True, scale: bool = True, renorm: bool = False, **base: Any
    ) -> None:
        super().__init__(**base)
        self.axis = axis_list(axis)
        self.center = flag(center, "center")
        self.scale = flag(scale, "scale")
        self.renorm = flag(renorm, "renorm")

    def hyperparameters(self) -> dict[str, Any]:
        hp: dict[str, Any] = {"axis": self.axis[0] if len(self.axis) == 1 else self.axis}
        hp.update({k: False for k in ("center", "scale") if not getattr(self, k)})
        return hp

    def _param_shape(self, inputs: list[Shape]) -> tuple[Dim, ...]:
        shape = self._one_input(inputs)
        return tuple(shape[a] for a in resolve_axes(self, shape, self.axis))

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        shape = self._param_shape(inputs)
        ws = []
        if self.scale:
            ws.append(Weight("gamma", shape))
        if self.center:
            ws.append(Weight("beta", shape))
        stats = ["moving_mean", "moving_variance"]
        if self.renorm:  # Batch Renormalization tracks three more statistics
            stats += ["moving_stddev", "renorm_mean", "renorm_stddev"]
        ws += [Weight(name, shape, kind="stat", trainable=False) for name in stats]
        return ws


class LayerNormalization(_SameShape):
    """gamma and beta over ``axis`` (one axis or several); ``rms_scaling`` keeps gamma only."""

    param_kind = "normalization"

    def __init__(
        self, axis: Any = -1, center: bool = True, scale: bool = True, rms_scaling: bool = False, **base: Any
    ) -> None:
        super().__init__(**base)
        self.axis = axis_list(axis)
        self.center = flag(center, "center")
        self.scale = flag(scale, "scale")
        self.rms_scaling = flag(rms_scaling, "rms_scaling")

    def hyperparameters(self) -> dict[str, Any]:
        hp: dict[str, Any] = {"axis": self.axis[0] if len(self.axis) == 1 else self.axis}
        hp.update({k: False for k in ("center", "scale") if not getattr(self, k)})
        if self.rms_scaling:
            hp["rms_scaling"] = True
        return hp

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        shape = self._one_input(inputs)
        param = tuple(shape[a] for a in resolve_axes(self, shape, self.axis))
        ws = []
        if self.scale or self.rms_scaling:
            ws.append(Weight("gamma", param))
        if self.center and not self.rms_scaling:
            ws.append(Weight("beta", param))
        return ws


class RMSNormalization(_SameShape):
    """One learned ``scale`` over ``axis`` (Keras 3.9+)."""

    param_kind = "normalization"

    def __init__(self, axis: Any = -1, **base: Any) -> None:
        super().__init__(**base)
        self.axis = axis_list(axis)

    def hyperparameters(self) -> dict[str, Any]:
        return {"axis": self.axis[0] if len(self.axis) == 1 else self.axis}

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        shape = self._one_input(inputs)
        return [Weight("scale", tuple(shape[a] for a in resolve_axes(self, shape, self.axis)))]


class GroupNormalization(_SameShape):
    """Statistics per group of channels; gamma and beta per channel. ``groups=-1`` is instance norm."""

    param_kind = "normalization"

    def __init__(self, groups: Any = 32, axis: Any = -1, center: bool = True, scale: bool = True, **base: Any) -> None:
        super().__init__(**base)
        self.groups: Dim = -1 if groups == -1 and not isinstance(groups, bool) else as_dim(groups, "groups")
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ArgumentError(f"axis must be an integer, got {axis!r}")
        self.axis = axis
        self.center = flag(center, "center")
        self.scale = flag(scale, "scale")

    def hyperparameters(self) -> dict[str, Any]:
        hp: dict[str, Any] = {"groups": self.groups, "axis": self.axis}
        hp.update({k: False for k in ("center", "scale") if not getattr(self, k)})
        return hp

    def _channels(self, inputs: list[Shape]) -> Dim:
        shape = self._one_input(inputs)
        (axis,) = resolve_axes(self, shape, (self.axis,))
        dim = shape[axis]
        groups = dim if self.groups == -1 else self.groups
        if is_number(dim) and is_number(groups):
            if dim < groups:
                raise ShapeError(f"groups ({groups}) cannot be more than the number of channels ({dim})")
            if dim % groups:
                raise ShapeError(f"the number of channels ({dim}) must be a multiple of groups ({groups})")
        return dim

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self._channels(inputs)
        return inputs[0]

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        c = self._channels(inputs)
        ws = []
        if self.scale:
            ws.append(Weight("gamma", (c,)))
        if self.center:
            ws.append(Weight("beta", (c,)))
        return ws


class UnitNormalization(_SameShape):
    """Scales to unit L2 norm along ``axis``: nothing to learn."""

    def __init__(self, axis: Any = -1, **base: Any) -> None:
        super().__init__(**base)
        self.axis = axis_list(axis)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        for a in self.axis:
            if not -len(shape) <= a < len(shape):
                raise ShapeError(f"UnitNormalization: axis {a} is out of range for input shape {format_shape(shape)}")
        return shape


class Normalization(_SameShape):
    """(x − mean)/√variance per kept ``axis``.

    Without ``mean``/``variance`` Keras keeps mean, variance (shape of the kept
    axes) and a scalar count as non-trainable state; with them given, nothing.
    """

    def __init__(self, axis: Any = -1, mean: Any = None, variance: Any = None, invert: bool = False, **base: Any) -> None:
        super().__init__(**base)
        self.axis = axis_list(axis, allow_none=True)
        if (mean is None) != (variance is None):
            raise ArgumentError(f"mean and variance must be given together, got mean={mean!r}, variance={variance!r}")
        self.given = mean is not None
        flag(invert, "invert")

    def hyperparameters(self) -> dict[str, Any]:
        return {"axis": self.axis, "mean/variance given": self.given}

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        shape = self._one_input(inputs)
        kept = tuple(shape[a] for a in resolve_axes(self, shape, self.axis))
        if self.given:
            return []
        return [
            Weight("mean", kept, kind="stat", trainable=False),
            Weight("variance", kept, kind="stat", trainable=False),
            Weight("count", (), kind="stat", trainable=False),
        ]


class SpectralNormalization(Layer):
    """Wraps a layer with a ``kernel`` (or ``embeddings``); adds a non-trainable vector u of (1, last kernel axis)."""

    def __init__(self, layer: Any = None, power_iterations: Any = 1, **base: Any) -> None:
        from .recurrent import nested_layer

        super().__init__(**base)
        self.layer = nested_layer(layer, "layer")
        # Keras reads layer.kernel / layer.embeddings: Dense, the convolutions and Embedding have them,
        # recurrent layers keep theirs on the cell.
        if type(self.layer).__module__.rsplit(".", 1)[-1] not in ("conv", "dense", "embedding"):
            raise ArgumentError(f"SpectralNormalization needs a layer with a kernel or embeddings, got {self.layer.class_name}")
        self.power_iterations = as_dim(power_iterations, "power_iterations")

    def hyperparameters(self) -> dict[str, Any]:
        return {"layer": self.layer, "power_iterations": self.power_iterations}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return self.layer.output_shape(inputs)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        inner = [
            Weight(w.name, w.shape, w.kind, w.trainable and self.layer.trainable) for w in self.layer.weights(inputs)
        ]
        names = {w.name for w in inner}
        # Keras names a depthwise conv's kernel "kernel"; a separable conv (two kernels) has none.
        wanted = ("kernel", "embeddings") if "pointwise_kernel" in names else ("kernel", "embeddings", "depthwise_kernel")
        kernel = next((w for w in inner if w.name in wanted), None)
        if kernel is None:
            raise ShapeError(f"SpectralNormalization needs a layer with a kernel or embeddings, got {self.layer.class_name}")
        return [*inner, Weight("vector_u", (1, kernel.shape[-1]), kind="stat", trainable=False)]

    def macs(self, inputs: list[Shape], output: Shape, convention: str = "torchinfo") -> Dim:
        return self.layer.macs(inputs, output, convention)

    def window(self, inputs: list[Shape]) -> Window | None:
        return self.layer.window(inputs)

    def subs(self, mapping: Mapping[Any, Any]) -> Layer:
        new = super().subs(mapping)
        new.layer = self.layer.subs(mapping)  # type: ignore[attr-defined]
        return new
