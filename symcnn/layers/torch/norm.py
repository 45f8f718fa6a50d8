"""torch.nn normalisation: BatchNorm, SyncBatchNorm, InstanceNorm, LayerNorm, GroupNorm (statistics are buffers)."""

from __future__ import annotations

from typing import Any, ClassVar

from ...errors import ArgumentError, ShapeError
from ...formulas import Dim, is_number
from ..base import Shape, Weight, as_dim, flag, format_shape, require_rank
from .base import TorchLayer, _check_channels, _same


class _NormNd(TorchLayer, register=False):
    """BatchNorm/InstanceNorm: weight and bias (C,) if affine; running statistics are buffers."""

    ranks: ClassVar[tuple[int, ...]] = (4,)
    position_wise = True
    param_kind = "normalization"
    default_affine: ClassVar[bool] = True
    default_track: ClassVar[bool] = True
    counts_batches: ClassVar[bool] = True

    def __init__(
        self,
        num_features: Any = None,
        eps: Any = 1e-5,
        momentum: Any = 0.1,
        affine: Any = None,
        track_running_stats: Any = None,
        **base: Any,
    ) -> None:
        super().__init__(**base)
        self.num_features = None if num_features is None else as_dim(num_features, "num_features")
        self.affine = flag(self.default_affine if affine is None else affine, "affine")
        self.track_running_stats = flag(
            self.default_track if track_running_stats is None else track_running_stats, "track_running_stats"
        )

    def hyperparameters(self) -> dict[str, Any]:
        return {"num_features": self.num_features}

    def _c(self, inputs: list[Shape]) -> Dim:
        shape = self._one_input(inputs)
        require_rank(self, shape, self.ranks)
        if self.num_features is None:
            return shape[1]
        _check_channels(self, shape[1], self.num_features, "num_features")
        return self.num_features

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self._c(inputs)
        return inputs[0]

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        c = self._c(inputs)
        ws = []
        if self.affine:
            ws += [Weight("weight", (c,)), Weight("bias", (c,))]
        if self.track_running_stats:
            ws += [Weight("running_mean", (c,), "stat", False), Weight("running_var", (c,), "stat", False)]
            if self.counts_batches:
                ws.append(Weight("num_batches_tracked", (), "stat", False))
        return ws


class BatchNorm1d(_NormNd):
    ranks = (2, 3)


class BatchNorm2d(_NormNd):
    ranks = (4,)


class BatchNorm3d(_NormNd):
    ranks = (5,)


class SyncBatchNorm(_NormNd):
    ranks = (2, 3, 4, 5, 6)


class InstanceNorm1d(_NormNd):
    ranks = (3,)
    default_affine = False
    default_track = False


class InstanceNorm2d(InstanceNorm1d):
    ranks = (4,)


class InstanceNorm3d(InstanceNorm1d):
    ranks = (5,)


class LayerNorm(TorchLayer):
    """Normalises over the trailing ``normalized_shape``: weight and bias of that shape."""

    position_wise = True
    param_kind = "normalization"

    def __init__(
        self,
        normalized_shape: Any = None,
        eps: Any = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        **base: Any,
    ) -> None:
        super().__init__(**base)
        dims = normalized_shape if isinstance(normalized_shape, (list, tuple)) else [normalized_shape]
        if not dims:
            raise ArgumentError("normalized_shape must not be empty")
        self.normalized_shape = tuple(as_dim(d, "normalized_shape") for d in dims)
        self.elementwise_affine = flag(elementwise_affine, "elementwise_affine")
        self.bias = flag(bias, "bias")

    def hyperparameters(self) -> dict[str, Any]:
        return {"normalized_shape": self.normalized_shape}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        tail = shape[len(shape) - len(self.normalized_shape) :]
        if len(shape) <= len(self.normalized_shape) or not all(map(_same, tail, self.normalized_shape)):
            raise ShapeError(
                f"LayerNorm over {self.normalized_shape} needs an input ending in those sizes, got {format_shape(shape)}"
            )
        return shape

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        if not self.elementwise_affine:
            return []
        ws = [Weight("weight", self.normalized_shape)]
        return ws + [Weight("bias", self.normalized_shape)] if self.bias else ws


class GroupNorm(TorchLayer):
    """``num_groups`` groups over ``num_channels``: weight and bias (C,) if affine."""

    position_wise = True
    param_kind = "normalization"

    def __init__(
        self, num_groups: Any = None, num_channels: Any = None, eps: Any = 1e-5, affine: bool = True, **base: Any
    ) -> None:
        super().__init__(**base)
        self.num_groups = as_dim(num_groups, "num_groups")
        self.num_channels = as_dim(num_channels, "num_channels")
        self.affine = flag(affine, "affine")
        if is_number(self.num_groups) and is_number(self.num_channels) and self.num_channels % self.num_groups:
            raise ArgumentError(
                f"num_channels ({self.num_channels}) must be divisible by num_groups ({self.num_groups})"
            )

    def hyperparameters(self) -> dict[str, Any]:
        return {"num_groups": self.num_groups, "num_channels": self.num_channels}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        if len(shape) < 2:
            raise ShapeError(f"GroupNorm needs an input (N, C, ...), got {format_shape(shape)}")
        _check_channels(self, shape[1], self.num_channels, "num_channels")
        return shape

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        c = self.num_channels
        return [Weight("weight", (c,)), Weight("bias", (c,))] if self.affine else []


# ---- pooling ---------------------------------------------------------------------------------
