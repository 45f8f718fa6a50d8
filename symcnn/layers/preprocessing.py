"""Keras preprocessing layers: rescaling, resizing and cropping, augmentation, encodings. Nothing to learn.

Rules read from keras/src/layers/preprocessing/.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sympy

from ..errors import ArgumentError, ShapeError
from ..formulas import Dim
from .base import Layer, Shape, as_dim, choice, data_format_is_last, flag, format_shape, require_rank
from .norm import _SameShape


class Rescaling(_SameShape):
    """x·scale + offset: nothing to learn."""

    def __init__(self, scale: Any = None, offset: Any = 0.0, **base: Any) -> None:
        super().__init__(**base)
        for arg, value in (("scale", scale), ("offset", offset)):
            if isinstance(value, bool) or not isinstance(value, (int, float, sympy.Rational, list, tuple, dict)):
                raise ArgumentError(f"{arg} must be a number or a list of numbers, got {value!r}")
        self.scale = scale
        self.offset = offset

    def hyperparameters(self) -> dict[str, Any]:
        return {"scale": self.scale, "offset": self.offset}


_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")


class _ImageResize(Layer, register=False):
    """Sets the two image axes of an (N, H, W, C) or (N, C, H, W) input to ``height`` × ``width``."""

    def __init__(self, height: Any = None, width: Any = None, data_format: str | None = None, **base: Any) -> None:
        super().__init__(**base)
        self.height = as_dim(height, "height")
        self.width = as_dim(width, "width")
        self.channels_last = data_format_is_last(data_format or "channels_last")

    def hyperparameters(self) -> dict[str, Any]:
        return {"height": self.height, "width": self.width}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        require_rank(self, shape, 4)
        if self.channels_last:
            return (shape[0], self.height, self.width, shape[3])
        return (shape[0], shape[1], self.height, self.width)


class Resizing(_ImageResize):
    """Resize images to ``height`` × ``width`` (any interpolation, cropping or padding)."""

    def __init__(
        self,
        height: Any = None,
        width: Any = None,
        interpolation: str = "bilinear",
        crop_to_aspect_ratio: bool = False,
        pad_to_aspect_ratio: bool = False,
        fill_mode: Any = "constant",
        fill_value: Any = 0.0,
        antialias: Any = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(height, width, **kwargs)
        self.interpolation = choice(interpolation, "interpolation", _INTERPOLATIONS)
        self.crop_to_aspect_ratio = flag(crop_to_aspect_ratio, "crop_to_aspect_ratio")
        self.pad_to_aspect_ratio = flag(pad_to_aspect_ratio, "pad_to_aspect_ratio")


class CenterCrop(_ImageResize):
    """Crop the centre ``height`` × ``width`` (Keras resizes first if the image is smaller)."""


class RandomCrop(_ImageResize):
    """Crop a random ``height`` × ``width`` window (Keras's output shape at build time)."""


class _ImageAugment(Layer, register=False):
    """A Keras image augmentation layer: same shape out, nothing to learn, whatever its settings."""

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Layer:
        return cls(**{k: config[k] for k in ("name", "trainable") if k in config})

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return self._one_input(inputs)


for _name in (
    "AugMix", "AutoContrast", "CutMix", "Equalization", "MixUp", "RandAugment", "RandomColorDegeneration",
    "RandomColorJitter", "RandomElasticTransform", "RandomErasing", "RandomGaussianBlur", "RandomGrayscale",
    "RandomHue", "RandomInvert", "RandomPerspective", "RandomPosterization", "RandomSaturation", "RandomSharpness",
    "RandomShear", "Solarization", "ContrastLimitedAdaptiveHistogramEqualization", "MaxNumBoundingBoxes",
):
    globals()[_name] = type(_name, (_ImageAugment,), {"__doc__": f"Keras {_name}: shape unchanged, no parameters."})


class CategoryEncoding(Layer):
    """Integer ids → ``num_tokens``-wide encodings (keras/src/layers/preprocessing/category_encoding.py).

    one_hot appends an axis (or replaces a last axis of 1); multi_hot and count replace the last axis.
    """

    def __init__(self, num_tokens: Any = None, output_mode: str = "multi_hot", **base: Any) -> None:
        super().__init__(**base)
        self.num_tokens = as_dim(num_tokens, "num_tokens")
        self.output_mode = choice(output_mode, "output_mode", ("one_hot", "multi_hot", "count"))

    def hyperparameters(self) -> dict[str, Any]:
        return {"num_tokens": self.num_tokens, "output_mode": self.output_mode}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        if self.output_mode == "one_hot" and (shape[-1] != 1 or len(shape) == 1):
            return (*shape, self.num_tokens)
        if len(shape) < 2:
            raise ShapeError(f"CategoryEncoding ({self.output_mode}) would encode the batch axis of {format_shape(shape)}")
        return (*shape[:-1], self.num_tokens)


class Discretization(Layer):
    """Buckets values by ``bin_boundaries`` (or ``num_bins``); ``output_mode`` as Keras computes the shape."""

    def __init__(
        self, bin_boundaries: Any = None, num_bins: Any = None, output_mode: str = "int", sparse: Any = False,
        **base: Any,
    ) -> None:
        super().__init__(**base)
        if (bin_boundaries is None) == (num_bins is None):
            raise ArgumentError(
                f"give exactly one of bin_boundaries and num_bins, got bin_boundaries={bin_boundaries!r}, num_bins={num_bins!r}"
            )
        if bin_boundaries is not None and not isinstance(bin_boundaries, (list, tuple)):
            raise ArgumentError(f"bin_boundaries must be a list of numbers, got {bin_boundaries!r}")
        self.depth: Dim = len(bin_boundaries) + 1 if bin_boundaries is not None else as_dim(num_bins, "num_bins")
        self.output_mode = choice(output_mode, "output_mode", ("int", "one_hot", "multi_hot", "count"))

    def hyperparameters(self) -> dict[str, Any]:
        return {"bins": self.depth, "output_mode": self.output_mode}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        if self.output_mode == "int":
            return shape
        if self.output_mode == "one_hot":
            return (*shape[:-1], self.depth) if shape[-1] == 1 and len(shape) > 1 else (*shape, self.depth)
        if len(shape) < 2:
            raise ShapeError(f"Discretization ({self.output_mode}) would encode the batch axis of {format_shape(shape)}")
        return (shape[0], *shape[2:], self.depth)
