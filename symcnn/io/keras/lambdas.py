"""A ``Lambda`` layer: opaque code, so it takes the output shape the file records for it."""

from __future__ import annotations

from typing import Any

from ...errors import ShapeError, UnknownLayerError
from ...layers.base import Layer, Shape, format_shape
from .calls import _NodeSpec
from .symbols import _size


class _Recorded(Layer, register=False):
    """A Lambda: its function is opaque code, but the file records the shape it gave.

    It has no weights. A call whose recorded output equals its recorded input passes any
    input through (so it stays symbolic); otherwise the recorded output holds only for the
    recorded input shape.
    """

    arity = None

    def __init__(self, kind: str, recorded_in: list[Any], recorded_out: list[Any], **base: Any) -> None:
        super().__init__(**base)
        self.kind = kind
        self.recorded_in = [tuple(shape) if isinstance(shape, list) else None for shape in recorded_in]
        self.recorded_out = tuple(recorded_out)

    @property
    def class_name(self) -> str:
        return self.kind

    def output_shape(self, inputs: list[Shape]) -> Shape:
        if len(inputs) == 1 and self.recorded_in and self.recorded_in[0] == self.recorded_out:
            if len(inputs[0]) != len(self.recorded_out):
                raise ShapeError(
                    f"{self.kind} was recorded on rank {len(self.recorded_out)}, got {format_shape(inputs[0])}"
                )
            return inputs[0]
        for got, want in zip(inputs, self.recorded_in):
            if (
                want is None
                or len(got) != len(want)
                or any(w is not None and g != w for g, w in zip(got[1:], want[1:]))
            ):
                raise UnknownLayerError(
                    f"{self.kind} is opaque code; the file records its output only for input "
                    f"{format_shape(want) if want else '(unrecorded)'}, not {format_shape(got)}"
                )
        if any(d is None for d in self.recorded_out[1:]):
            raise UnknownLayerError(
                f"{self.kind} is opaque code and the file leaves its output size open: "
                f"{format_shape(self.recorded_out)}"
            )
        return (inputs[0][0] if inputs else None, *self.recorded_out[1:])


def _lambda(spec: _NodeSpec, config: dict[str, Any], recorded: Any) -> Layer:
    """A Lambda call from the shapes the file records (Keras 3), or from its ``output_shape`` setting."""
    if recorded is None and isinstance(config.get("output_shape"), list):
        recorded = [None, *config["output_shape"]]
    if recorded is None:
        raise UnknownLayerError("a Lambda layer is opaque code, and the file records no output shape for it")
    out = [_size(d, "the recorded output shape") if i else None for i, d in enumerate(recorded)]
    ins = [
        [_size(d, "a recorded input shape") if i else None for i, d in enumerate(shape)]
        if isinstance(shape, list)
        else None
        for shape in (spec.shapes or [None] * len(spec.refs))
    ]
    return _Recorded("Lambda", ins, out, name=spec.layer)
