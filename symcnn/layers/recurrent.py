"""Keras recurrent layers (SimpleRNN, LSTM, GRU) and the wrappers Bidirectional and TimeDistributed.

Weights as in keras/src/layers/rnn/*.py: a cell with g gates over input size I
and U units has kernel (I, g·U), recurrent_kernel (U, g·U) and bias (g·U,);
GRU with ``reset_after=True`` (the default) keeps two biases, shape (2, 3U).

MACs: torchinfo counts every parameter once per batch item and time step
(batch × T × params); fvcore counts the two matrix products per step
(batch × T × (kernel + recurrent kernel)), no bias.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..errors import ArgumentError, ShapeError, UnknownLayerError
from ..formulas import Dim, prod, simplify_int
from .base import Layer, Shape, Weight, as_dim, batch_of, flag, require_rank
from .merge import broadcast


def _steps(shape: Shape) -> Dim:
    """The sequence length, 1 when unknown (counts are then per time step)."""
    return 1 if shape[1] is None else shape[1]


class _RNN(Layer, register=False):
    """A Keras RNN layer over (N, T, I): output (N, U), or (N, T, U) with ``return_sequences``."""

    gates: ClassVar[int] = 1

    def __init__(
        self,
        units: Any = None,
        use_bias: bool = True,
        return_sequences: bool = False,
        return_state: bool = False,
        **base: Any,
    ) -> None:
        super().__init__(**base)
        self.units = as_dim(units, "units")
        self.use_bias = flag(use_bias, "use_bias")
        self.return_sequences = flag(return_sequences, "return_sequences")
        if flag(return_state, "return_state"):
            raise ArgumentError(
                f"{self.class_name}: return_state=True gives several outputs (the output and the states); "
                "symcnn follows one output per layer, so use return_state=False"
            )
        self.return_state = False

    def hyperparameters(self) -> dict[str, Any]:
        hp: dict[str, Any] = {"units": self.units}
        if self.return_sequences:
            hp["return_sequences"] = True
        if not self.use_bias:
            hp["use_bias"] = False
        return hp

    def _features(self, inputs: list[Shape]) -> Dim:
        shape = self._one_input(inputs)
        require_rank(self, shape, 3)
        if shape[2] is None:
            raise ShapeError(f"{self.class_name} needs a known feature size, got input shape {shape}")
        return shape[2]

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self._features(inputs)
        shape = inputs[0]
        return (shape[0], shape[1], self.units) if self.return_sequences else (shape[0], self.units)

    def _bias_shape(self) -> tuple[Dim, ...]:
        return (prod([self.gates, self.units]),)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        width = prod([self.gates, self.units])
        ws = [
            Weight("kernel", (self._features(inputs), width)),
            Weight("recurrent_kernel", (self.units, width)),
        ]
        if self.use_bias:
            ws.append(Weight("bias", self._bias_shape()))
        return ws

    def torchinfo_positions(self, inputs: list[Shape], output: Shape) -> Dim:
        return prod([batch_of(inputs[0]), _steps(inputs[0])])

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        kernel, recurrent = self.weights(inputs)[:2]
        return prod([batch_of(inputs[0]), _steps(inputs[0]), simplify_int(kernel.size + recurrent.size)])


class SimpleRNN(_RNN):
    gates = 1


class LSTM(_RNN):
    gates = 4

    def __init__(self, units: Any = None, unit_forget_bias: bool = True, **kwargs: Any) -> None:
        super().__init__(units, **kwargs)
        flag(unit_forget_bias, "unit_forget_bias")


class GRU(_RNN):
    gates = 3

    def __init__(self, units: Any = None, reset_after: bool = True, **kwargs: Any) -> None:
        super().__init__(units, **kwargs)
        self.reset_after = flag(reset_after, "reset_after")

    def hyperparameters(self) -> dict[str, Any]:
        return {**super().hyperparameters(), "reset_after": self.reset_after}

    def _bias_shape(self) -> tuple[Dim, ...]:
        width = prod([3, self.units])
        return (2, width) if self.reset_after else (width,)


def nested_layer(value: Any, arg: str) -> Layer:
    """A wrapped layer: a symcnn Layer, or a Keras serialisation {"class_name", "config"}."""
    if isinstance(value, Layer):
        return value
    if not isinstance(value, Mapping) or not isinstance(value.get("class_name"), str):
        raise ArgumentError(f"{arg} must be a layer or a {{class_name, config}} mapping, got {value!r}")
    name = value["class_name"]
    cls = Layer.registry.get(name)
    if cls is None:
        raise UnknownLayerError(f"{arg}: symcnn has no rule for layer class {name!r}")
    config = value.get("config") or {}
    if not isinstance(config, Mapping):
        raise ArgumentError(f"{arg}: config must be a mapping, got {config!r}")
    return cls.from_config(config)


class Bidirectional(Layer):
    """Runs ``layer`` forwards and a copy (or ``backward_layer``) backwards, then merges.

    ``merge_mode`` concat joins the last axes; sum/ave/mul need equal outputs;
    None gives two outputs, which symcnn does not model (an ArgumentError).
    """

    def __init__(self, layer: Any = None, merge_mode: Any = "concat", backward_layer: Any = None, **base: Any) -> None:
        super().__init__(**base)
        self.forward = nested_layer(layer, "layer")
        self.backward = self.forward if backward_layer is None else nested_layer(backward_layer, "backward_layer")
        if not isinstance(self.forward, _RNN) or not isinstance(self.backward, _RNN):
            raise ArgumentError(f"Bidirectional wraps a recurrent layer, got {self.forward.class_name}")
        if merge_mode is None:
            raise ArgumentError("Bidirectional: merge_mode=None gives two outputs; symcnn needs one (use concat, sum, ave or mul)")
        if merge_mode not in ("concat", "sum", "ave", "mul"):
            raise ArgumentError(f"merge_mode must be one of 'concat', 'sum', 'ave', 'mul', got {merge_mode!r}")
        if self.forward.return_sequences != self.backward.return_sequences:
            raise ArgumentError("Bidirectional: forward and backward layers must agree on return_sequences")
        self.merge_mode = merge_mode

    def hyperparameters(self) -> dict[str, Any]:
        return {"layer": self.forward, "merge_mode": self.merge_mode}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        fw = self.forward.output_shape(inputs)
        bw = self.backward.output_shape(inputs)
        if self.merge_mode == "concat":
            return (*fw[:-1], simplify_int(fw[-1] + bw[-1]))
        return broadcast([fw, bw], "Bidirectional")

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        def named(prefix: str, layer: Layer) -> list[Weight]:
            return [
                Weight(f"{prefix}/{w.name}", w.shape, w.kind, w.trainable and layer.trainable)
                for w in layer.weights(inputs)
            ]

        return named("forward", self.forward) + named("backward", self.backward)

    def torchinfo_positions(self, inputs: list[Shape], output: Shape) -> Dim:
        return self.forward.torchinfo_positions(inputs, output)

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        return simplify_int(
            self.forward.fvcore_macs(inputs, self.forward.output_shape(inputs))
            + self.backward.fvcore_macs(inputs, self.backward.output_shape(inputs))
        )

    def subs(self, mapping: Mapping[Any, Any]) -> Layer:
        new = super().subs(mapping)
        new.forward = self.forward.subs(mapping)  # type: ignore[attr-defined]
        new.backward = new.forward if self.backward is self.forward else self.backward.subs(mapping)  # type: ignore[attr-defined]
        return new


class TimeDistributed(Layer):
    """Applies ``layer`` to every time step: (N, T, ...) → (N, T, ...layer's output).

    Weights are the inner layer's (shared by all steps). MACs are the inner
    layer's on a batch of N·T samples, as a PyTorch port (folding time into
    the batch) runs it.
    """

    def __init__(self, layer: Any = None, **base: Any) -> None:
        super().__init__(**base)
        self.layer = nested_layer(layer, "layer")

    def hyperparameters(self) -> dict[str, Any]:
        return {"layer": self.layer}

    def _child(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        if len(shape) < 3:
            raise ShapeError(f"TimeDistributed needs an input of rank 3 or more (batch included), got {shape}")
        return (shape[0], *shape[2:])

    def output_shape(self, inputs: list[Shape]) -> Shape:
        out = self.layer.output_shape([self._child(inputs)])
        return (out[0], inputs[0][1], *out[1:])

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        return [
            Weight(w.name, w.shape, w.kind, w.trainable and self.layer.trainable)
            for w in self.layer.weights([self._child(inputs)])
        ]

    def macs(self, inputs: list[Shape], output: Shape, convention: str = "torchinfo") -> Dim:
        child = self._child(inputs)
        inner = self.layer.macs([child], self.layer.output_shape([child]), convention)
        return prod([_steps(inputs[0]), inner])

    def subs(self, mapping: Mapping[Any, Any]) -> Layer:
        new = super().subs(mapping)
        new.layer = self.layer.subs(mapping)  # type: ignore[attr-defined]
        return new
