"""A ``Lambda`` layer: opaque code, so it takes the output shape the file records for it."""

from __future__ import annotations

from typing import Any

from ...errors import UnknownLayerError
from ...formulas import same_size
from ...layers.base import Layer, Shape, format_shape
from .calls import _NodeSpec
from .symbols import _size


class _Recorded(Layer, register=False):
    """A Lambda: its function is opaque code, but the file records the shapes it saw and gave.

    It has no weights, and its recorded output holds only where the recording decides it:

    * a size the file records for the input must be the size the Lambda gets now. At any other
      size (``--input``, ``subs``) the function may give another output (``t[:, :8]`` and ``t * 2``
      look the same at size 8), so the call is refused, naming the Lambda;
    * a size recorded as unknown (``None``) in the input may be anything: a known output size did
      not depend on it (Keras traced the function with the size open);
    * an output size recorded as unknown, on an axis whose input size was unknown too, follows the
      input (Keras's trace kept it open: the function passes that axis through). Any other
      unknown output size is refused.
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
        if len(inputs) != len(self.recorded_in):
            raise UnknownLayerError(
                f"{self.kind} is opaque code recorded on {len(self.recorded_in)} input(s), got {len(inputs)}"
            )
        for got, want in zip(inputs, self.recorded_in):
            if want is None or len(got) != len(want) or any(
                w is not None and not same_size(g, w) for g, w in zip(got[1:], want[1:])
            ):
                raise UnknownLayerError(
                    f"{self.kind} is opaque code: the file records its output {format_shape(self.recorded_out)} "
                    f"only for input {format_shape(want) if want else '(unrecorded)'}, and symcnn cannot know it "
                    f"for input {format_shape(got)}; read the model at the size it was saved at, or replace the "
                    "Lambda by layers symcnn knows"
                )
        out: list[Any] = [inputs[0][0] if inputs else None]
        follows = len(inputs) == 1 and len(self.recorded_in[0] or ()) == len(self.recorded_out)
        for axis, d in enumerate(self.recorded_out[1:], start=1):
            if d is None and follows and self.recorded_in[0][axis] is None:  # type: ignore[index]
                out.append(inputs[0][axis])
            elif d is None:
                raise UnknownLayerError(
                    f"{self.kind} is opaque code and the file leaves its output size open: "
                    f"{format_shape(self.recorded_out)}"
                )
            else:
                out.append(d)
        return tuple(out)


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
