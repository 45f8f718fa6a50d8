"""Keras recurrent layers (SimpleRNN, LSTM, GRU) and the wrappers Bidirectional and TimeDistributed.

Weights as in keras/src/layers/rnn/*.py: a cell with g gates over input size I
and U units has kernel (I, g·U), recurrent_kernel (U, g·U) and bias (g·U,);
GRU with ``reset_after=True`` (the default) keeps two biases, shape (2, 3U).

MACs: torchinfo counts every parameter once per batch item and time step
(batch × T × params); fvcore counts the two matrix products per step
(batch × T × (kernel + recurrent kernel)), no bias.

With ``return_state=True`` a call has several outputs, in Keras's order: the output,
then each state (LSTM: h and c; GRU and SimpleRNN: h), each (batch, units); a
Bidirectional adds the forward layer's states, then the backward layer's, and with
``merge_mode=None`` gives the two directions' outputs apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..errors import ArgumentError, ShapeError, UnknownLayerError
from ..formulas import Dim, keras_conv_output_length, prod, simplify_int
from .base import (
    Layer,
    Shape,
    Weight,
    as_dim,
    batch_of,
    channels,
    choice,
    data_format_is_last,
    dim_tuple,
    flag,
    require_rank,
    spatial,
)
from .merge import broadcast


def _steps(shape: Shape) -> Dim:
    """The sequence length, 1 when unknown (counts are then per time step)."""
    return 1 if shape[1] is None else shape[1]


class _RNN(Layer, register=False):
    """A Keras RNN layer over (N, T, I): output (N, U), or (N, T, U) with ``return_sequences``."""

    gates: ClassVar[int] = 1
    states: ClassVar[int] = 1  # state tensors a call returns with return_state (LSTM: h and c)
    call_inputs = ("sequences",)  # Keras's call(sequences, initial_state=None, mask=None, ...)

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
        self.return_state = flag(return_state, "return_state")

    def hyperparameters(self) -> dict[str, Any]:
        hp: dict[str, Any] = {"units": self.units}
        if self.return_sequences:
            hp["return_sequences"] = True
        if self.return_state:
            hp["return_state"] = True
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

    def state_shapes(self, inputs: list[Shape]) -> list[Shape]:
        """The shapes of the states a call returns with ``return_state`` (each (batch, units))."""
        return [(inputs[0][0], self.units)] * self.states

    def output_count(self) -> int:
        return 1 + self.states if self.return_state else 1

    def output_shapes_of(self, inputs: list[Shape]) -> list[Shape]:
        out = self.output_shape(inputs)
        return [out, *self.state_shapes(inputs)] if self.return_state else [out]

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
    states = 2

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


class CuDNNLSTM(LSTM):
    """tf.keras 1.x's CuDNNLSTM: an LSTM with two biases, bias (8U,) (cuDNN's input and recurrent biases)."""

    def _bias_shape(self) -> tuple[Dim, ...]:
        return (prod([8, self.units]),)


class CuDNNGRU(GRU):
    """tf.keras 1.x's CuDNNGRU: a reset-after GRU whose two biases are one (6U,) vector."""

    def _bias_shape(self) -> tuple[Dim, ...]:
        return (prod([6, self.units]),)


def nested_layer(value: Any, arg: str) -> Layer:
    """A wrapped layer: a symcnn Layer, a Keras serialisation {"class_name", "config"}, or YAML's {ClassName: {...}}.

    >>> nested_layer({"LSTM": {"units": 8}}, "layer")
    LSTM(units=8)
    """
    if isinstance(value, Layer):
        return value
    if isinstance(value, Mapping) and len(value) == 1 and "class_name" not in value:
        # the YAML form, as in a model's layer list: {LSTM: {units: 8}}
        ((name, config),) = value.items()
        if isinstance(name, str) and (config is None or isinstance(config, Mapping)):
            value = {"class_name": name, "config": config or {}}
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

    ``merge_mode`` concat joins the last axes; sum/ave/mul need equal outputs; None gives
    the two directions' outputs apart (two outputs). With the wrapped layer's
    ``return_state`` the forward states, then the backward states, follow.
    """

    call_inputs = ("sequences",)

    def __init__(self, layer: Any = None, merge_mode: Any = "concat", backward_layer: Any = None, **base: Any) -> None:
        super().__init__(**base)
        self.forward = nested_layer(layer, "layer")
        self.backward = self.forward if backward_layer is None else nested_layer(backward_layer, "backward_layer")
        recurrent = (_RNN, RNN, _ConvLSTM)
        for wrapped in (self.forward, self.backward):
            if not isinstance(wrapped, recurrent):
                raise ArgumentError(f"Bidirectional wraps a recurrent layer, got {wrapped.class_name}")
        if merge_mode not in ("concat", "sum", "ave", "mul", None):
            raise ArgumentError(f"merge_mode must be one of 'concat', 'sum', 'ave', 'mul', None, got {merge_mode!r}")
        for attribute in ("return_sequences", "return_state"):
            if getattr(self.forward, attribute) != getattr(self.backward, attribute):
                raise ArgumentError(f"Bidirectional: forward and backward layers must agree on {attribute}")
        self.merge_mode = merge_mode

    def hyperparameters(self) -> dict[str, Any]:
        return {"layer": self.forward, "merge_mode": self.merge_mode}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return self.output_shapes_of(inputs)[0]

    def output_count(self) -> int:
        outputs = 1 if self.merge_mode is not None else 2
        return outputs + self.forward.output_count() - 1 + self.backward.output_count() - 1

    def output_shapes_of(self, inputs: list[Shape]) -> list[Shape]:
        fw, *fw_states = self.forward.output_shapes_of(inputs)
        bw, *bw_states = self.backward.output_shapes_of(inputs)
        if self.merge_mode is None:
            outputs = [fw, bw]
        elif self.merge_mode == "concat":
            outputs = [(*fw[:-1], simplify_int(fw[-1] + bw[-1]))]
        else:
            outputs = [broadcast([fw, bw], "Bidirectional")]
        return [*outputs, *fw_states, *bw_states]

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


_CELLS: dict[str, type[_RNN]] = {"SimpleRNNCell": SimpleRNN, "LSTMCell": LSTM, "GRUCell": GRU}


def _cells(value: Any) -> list[_RNN]:
    """Keras's ``cell`` argument: one cell, a list of cells, or StackedRNNCells, as {class_name, config}."""
    if isinstance(value, _RNN):
        return [value]
    if isinstance(value, (list, tuple)):
        return [c for v in value for c in _cells(v)]
    if isinstance(value, Mapping) and len(value) == 1 and "class_name" not in value:
        ((name, config),) = value.items()  # YAML's {LSTMCell: {units: 8}}
        value = {"class_name": name, "config": config or {}}
    if not isinstance(value, Mapping) or not isinstance(value.get("class_name"), str):
        raise ArgumentError(f"cell must be a Keras cell {{class_name, config}}, got {value!r}")
    name, config = value["class_name"], value.get("config") or {}
    if not isinstance(config, Mapping):
        raise ArgumentError(f"cell: config must be a mapping, got {config!r}")
    if name == "StackedRNNCells":
        cells = config.get("cells")
        if not isinstance(cells, list) or not cells:
            raise ArgumentError(f"StackedRNNCells needs a list of cells, got {cells!r}")
        return _cells(cells)
    if name not in _CELLS:
        raise UnknownLayerError(f"cell: symcnn has no rule for RNN cell class {name!r}")
    cell = _CELLS[name].from_config(config)
    assert isinstance(cell, _RNN)
    return [cell]


class RNN(Layer):
    """Keras's generic ``RNN(cell)``: SimpleRNNCell / LSTMCell / GRUCell, or a stack of them.

    Each stacked cell reads the previous cell's units; the output has the last cell's units.
    """

    call_inputs = ("sequences",)

    def __init__(self, cell: Any = None, return_sequences: bool = False, return_state: bool = False, **base: Any) -> None:
        super().__init__(**base)
        self.cells = _cells(cell)
        if not self.cells:
            raise ArgumentError(f"RNN needs at least one cell, got cell={cell!r}")
        self.return_sequences = flag(return_sequences, "return_sequences")
        self.return_state = flag(return_state, "return_state")

    def hyperparameters(self) -> dict[str, Any]:
        return {"cells": [c.class_name + "Cell" for c in self.cells], "units": [c.units for c in self.cells],
                "return_sequences": self.return_sequences}

    def _inputs_per_cell(self, inputs: list[Shape]) -> list[Shape]:
        shape = self._one_input(inputs)
        require_rank(self, shape, 3)
        shapes = [shape]
        for cell in self.cells[:-1]:
            shapes.append((shape[0], shape[1], cell.units))
        return shapes

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._inputs_per_cell(inputs)[0]
        for cell, cell_input in zip(self.cells, self._inputs_per_cell(inputs)):
            cell._features([cell_input])
        units = self.cells[-1].units
        return (shape[0], shape[1], units) if self.return_sequences else (shape[0], units)

    def output_count(self) -> int:
        return 1 + sum(c.states for c in self.cells) if self.return_state else 1

    def output_shapes_of(self, inputs: list[Shape]) -> list[Shape]:
        """The output, then with ``return_state`` every cell's states in order (Keras flattens them so)."""
        out = self.output_shape(inputs)
        if not self.return_state:
            return [out]
        return [out, *(s for c, i in zip(self.cells, self._inputs_per_cell(inputs)) for s in c.state_shapes([i]))]

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        out: list[Weight] = []
        for i, (cell, cell_input) in enumerate(zip(self.cells, self._inputs_per_cell(inputs))):
            prefix = f"cell_{i}/" if len(self.cells) > 1 else ""
            out += [
                Weight(prefix + w.name, w.shape, w.kind, w.trainable and cell.trainable)
                for w in cell.weights([cell_input])
            ]
        return out

    def torchinfo_positions(self, inputs: list[Shape], output: Shape) -> Dim:
        return prod([batch_of(inputs[0]), _steps(inputs[0])])

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        return simplify_int(sum(
            (c.fvcore_macs([s], output) for c, s in zip(self.cells, self._inputs_per_cell(inputs))), start=0
        ))

    def subs(self, mapping: Mapping[Any, Any]) -> Layer:
        new = super().subs(mapping)
        new.cells = [c.subs(mapping) for c in self.cells]  # type: ignore[attr-defined]
        return new


class _ConvLSTM(Layer, register=False):
    """Keras ``ConvLSTM{rank}D`` over (N, T, *spatial, C): an LSTM whose products are convolutions.

    kernel (*k, C, 4F), recurrent_kernel (*k, F, 4F), bias (4F,); each step's output is
    the convolution's output grid with F channels. MACs count every parameter at every
    output position of every step (torchinfo: batch·T·positions·params; fvcore: kernels only).
    """

    rank: ClassVar[int] = 2
    call_inputs = ("sequences",)

    def __init__(
        self,
        filters: Any = None,
        kernel_size: Any = None,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        use_bias: bool = True,
        unit_forget_bias: bool = True,
        return_sequences: bool = False,
        return_state: bool = False,
        **base: Any,
    ) -> None:
        super().__init__(**base)
        if kernel_size is None:
            raise ArgumentError(f"{self.class_name} needs kernel_size")
        self.filters = as_dim(filters, "filters")
        self.kernel_size = dim_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = dim_tuple(strides, self.rank, "strides")
        self.padding = choice(padding, "padding", ("valid", "same"))
        self.channels_last = data_format_is_last(data_format or "channels_last")
        self.dilation_rate = dim_tuple(dilation_rate, self.rank, "dilation_rate")
        self.use_bias = flag(use_bias, "use_bias")
        if any(s != 1 for s in self.strides) and any(d != 1 for d in self.dilation_rate):
            raise ArgumentError(
                f"strides > 1 cannot be combined with dilation_rate > 1, got strides={self.strides} "
                f"and dilation_rate={self.dilation_rate}"
            )
        flag(unit_forget_bias, "unit_forget_bias")
        self.return_sequences = flag(return_sequences, "return_sequences")
        self.return_state = flag(return_state, "return_state")

    def hyperparameters(self) -> dict[str, Any]:
        return {"filters": self.filters, "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "dilation_rate": self.dilation_rate,
                "return_sequences": self.return_sequences}

    def _step(self, inputs: list[Shape]) -> tuple[Shape, Dim]:
        """One step's output shape (batch first) and the input channels."""
        shape = self._one_input(inputs)
        require_rank(self, shape, self.rank + 3)
        step = (shape[0], *shape[2:])
        c_in = channels(step, self.channels_last)
        if c_in is None:
            raise ShapeError(f"{self.class_name} needs known input channels, got input shape {shape}")
        lengths = [
            None if n is None else keras_conv_output_length(n, k, s, d, self.padding)
            for n, k, s, d in zip(spatial(step, self.channels_last), self.kernel_size, self.strides, self.dilation_rate)
        ]
        out = (step[0], *lengths, self.filters) if self.channels_last else (step[0], self.filters, *lengths)
        return out, c_in

    def output_shape(self, inputs: list[Shape]) -> Shape:
        step, _ = self._step(inputs)
        return (step[0], inputs[0][1], *step[1:]) if self.return_sequences else step

    def output_count(self) -> int:
        return 3 if self.return_state else 1

    def output_shapes_of(self, inputs: list[Shape]) -> list[Shape]:
        """The output, then with ``return_state`` the states h and c, each one step's output grid."""
        out = self.output_shape(inputs)
        return [out, *[self._step(inputs)[0]] * 2] if self.return_state else [out]

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        _, c_in = self._step(inputs)
        width = prod([4, self.filters])
        ws = [
            Weight("kernel", (*self.kernel_size, c_in, width)),
            Weight("recurrent_kernel", (*self.kernel_size, self.filters, width)),
        ]
        if self.use_bias:
            ws.append(Weight("bias", (width,)))
        return ws

    def torchinfo_positions(self, inputs: list[Shape], output: Shape) -> Dim:
        step, _ = self._step(inputs)
        return prod([batch_of(inputs[0]), _steps(inputs[0]), *(1 if n is None else n for n in spatial(step, self.channels_last))])

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        kernel, recurrent = self.weights(inputs)[:2]
        return prod([self.torchinfo_positions(inputs, output), simplify_int(kernel.size + recurrent.size)])


class ConvLSTM1D(_ConvLSTM):
    rank = 1


class ConvLSTM2D(_ConvLSTM):
    rank = 2


class ConvLSTM3D(_ConvLSTM):
    rank = 3
