"""torch.nn RNN/LSTM/GRU stacks and their single-step cells."""

from __future__ import annotations

from typing import Any, ClassVar

from ...errors import ArgumentError, ShapeError
from ...formulas import Dim, is_number, prod, simplify_int
from ..base import Shape, Weight, as_dim, batch_of, flag, format_shape, require_rank
from .base import TorchLayer, _int, _same


class RNNBase(TorchLayer, register=False):
    """RNN/LSTM/GRU stacks: per layer and direction weight_ih, weight_hh (+ biases, + weight_hr)."""

    gates: ClassVar[int] = 1

    def __init__(
        self,
        input_size: Any = None,
        hidden_size: Any = None,
        num_layers: Any = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: Any = 0.0,
        bidirectional: bool = False,
        proj_size: Any = 0,
        nonlinearity: str = "tanh",
        **base: Any,
    ) -> None:
        super().__init__(**base)
        self.input_size = None if input_size is None else as_dim(input_size, "input_size")
        self.hidden_size = as_dim(hidden_size, "hidden_size")
        self.num_layers = _int(num_layers, "num_layers", low=1)
        self.bias = flag(bias, "bias")
        self.batch_first = flag(batch_first, "batch_first")
        self.bidirectional = flag(bidirectional, "bidirectional")
        self.proj_size = as_dim(proj_size, "proj_size", allow_zero=True)
        if self.proj_size != 0 and type(self).__name__ != "LSTM":
            raise ArgumentError(f"proj_size is only for LSTM, got proj_size={proj_size!r}")
        if is_number(self.proj_size) and is_number(self.hidden_size) and self.proj_size >= self.hidden_size:
            raise ArgumentError(f"proj_size ({self.proj_size}) must be smaller than hidden_size ({self.hidden_size})")

    def hyperparameters(self) -> dict[str, Any]:
        hp: dict[str, Any] = {"input_size": self.input_size, "hidden_size": self.hidden_size}
        if self.num_layers != 1:
            hp["num_layers"] = self.num_layers
        if self.bidirectional:
            hp["bidirectional"] = True
        if self.proj_size != 0:
            hp["proj_size"] = self.proj_size
        return hp

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def out_size(self) -> Dim:
        return self.proj_size if self.proj_size != 0 else self.hidden_size

    def _in(self, inputs: list[Shape]) -> Dim:
        shape = self._one_input(inputs)
        require_rank(self, shape, 3)
        if self.input_size is None:
            return shape[2]
        if not _same(shape[2], self.input_size):
            raise ShapeError(f"{self.class_name} expects input_size={self.input_size}, got {format_shape(shape)}")
        return self.input_size

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self._in(inputs)
        return (*inputs[0][:2], simplify_int(self.directions * self.out_size))

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        size_in, h, g = self._in(inputs), self.hidden_size, self.gates
        ws: list[Weight] = []
        for layer in range(self.num_layers):
            width = size_in if layer == 0 else simplify_int(self.directions * self.out_size)
            for suffix in ("", "_reverse")[: self.directions]:
                tag = f"l{layer}{suffix}"
                ws += [Weight(f"weight_ih_{tag}", (g * h, width)), Weight(f"weight_hh_{tag}", (g * h, self.out_size))]
                if self.bias:
                    ws += [Weight(f"bias_ih_{tag}", (g * h,)), Weight(f"bias_hh_{tag}", (g * h,))]
                if self.proj_size != 0:
                    ws.append(Weight(f"weight_hr_{tag}", (self.proj_size, h)))
        return ws

    def torchinfo_positions(self, inputs: list[Shape], output: Shape) -> Dim:
        return prod([1 if d is None else d for d in output[:2]])

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        matrices = sum((w.size for w in self.weights(inputs) if w.name.startswith("weight")), start=0)
        return prod([self.torchinfo_positions(inputs, output), matrices])


class RNN(RNNBase):
    gates = 1


class LSTM(RNNBase):
    gates = 4


class GRU(RNNBase):
    gates = 3


class _CellBase(TorchLayer, register=False):
    """One recurrent step on (N, I): weight_ih (g·H, I), weight_hh (g·H, H), and biases.

    torchinfo counts these parameters (named weight_ih ...) × the output's first two axes,
    which for a step's (N, H) output is N·H.
    """

    gates: ClassVar[int] = 1

    def __init__(self, input_size: Any = None, hidden_size: Any = None, bias: bool = True, nonlinearity: str = "tanh",
                 **base: Any) -> None:  # fmt: skip
        super().__init__(**base)
        self.input_size = None if input_size is None else as_dim(input_size, "input_size")
        self.hidden_size = as_dim(hidden_size, "hidden_size")
        self.bias = flag(bias, "bias")

    def hyperparameters(self) -> dict[str, Any]:
        return {"input_size": self.input_size, "hidden_size": self.hidden_size}

    def _in(self, inputs: list[Shape]) -> Dim:
        shape = inputs[0]
        require_rank(self, shape, 2)
        if self.input_size is None:
            return shape[1]
        if not _same(shape[1], self.input_size):
            raise ShapeError(f"{self.class_name} expects input_size={self.input_size}, got {format_shape(shape)}")
        return self.input_size

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self._in(inputs)
        return (inputs[0][0], self.hidden_size)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        g, h = self.gates, self.hidden_size
        ws = [Weight("weight_ih", (g * h, self._in(inputs))), Weight("weight_hh", (g * h, h))]
        return ws + [Weight("bias_ih", (g * h,)), Weight("bias_hh", (g * h,))] if self.bias else ws

    def torchinfo_positions(self, inputs: list[Shape], output: Shape) -> Dim:
        return prod([1 if d is None else d for d in output[:2]])

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        matrices = sum((w.size for w in self.weights(inputs) if w.name.startswith("weight")), start=0)
        return prod([batch_of(output), matrices])


class RNNCell(_CellBase):
    arity = None  # the input and an optional hidden state


class LSTMCell(_CellBase):
    arity = None
    gates = 4


class GRUCell(_CellBase):
    arity = None
    gates = 3
