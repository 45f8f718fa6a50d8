"""A torch-convention model as PyTorch code: an ``nn.Module`` with one attribute per module and a ``forward``.

Modules are rows of :data:`MODULES` (``nn.<name>`` and its arguments); functional ops
(``x + y``, ``torch.cat``, ``torch.flatten``) are rows of :data:`CALLS`. ``tests/test_code.py``
runs the code with torch and torchinfo and compares the shapes and counts with symcnn's.

>>> from symcnn import load
>>> code = listing(load("examples/resnet50_torch.yaml")).code
>>> "self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)" in code
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..layers.base import Layer, channels
from ..layers.core import InputLayer
from ..model import Model
from ..record import LayerRecord
from .codegen import NOT_READ, Arg, Listing, Unwritable, Writer, known, output_names, symbol_lines, unwritable_layers

__all__ = ["CALLS", "MODULES", "listing"]


@dataclass(frozen=True)
class Module:
    """``nn.<name>(first positional args..., keyword args...)``."""

    name: str
    args: tuple[Arg, ...] = ()
    positional: int = 0


def _in_channels(attr: str) -> Callable[[Any, Any], Any]:
    """An argument symcnn may infer from the input (in_channels=None): the input's channel count then."""
    return lambda layer, rec: getattr(layer, attr) if getattr(layer, attr) is not None else channels(rec.input_shapes[0], False)


def _last_axis(attr: str) -> Callable[[Any, Any], Any]:
    return lambda layer, rec: getattr(layer, attr) if getattr(layer, attr) is not None else rec.input_shapes[0][-1]


def _pad(layer: Any, rec: Any) -> Any:
    return layer.padding if isinstance(layer.padding, str) else tuple(layer.padding)


def _pool_stride(layer: Any, rec: Any) -> Any:
    return None if tuple(layer.stride) == tuple(layer.kernel_size) else layer.stride


def _not_kept(keyword: str, value: Any) -> Arg:
    return Arg(keyword, lambda layer, rec: value, note=f"symcnn does not read {keyword}: any value gives these counts")


_CONV = (Arg("kernel_size", "kernel_size"), Arg("stride", "stride", 1), Arg("padding", _pad, 0))


def _norm(default: bool) -> tuple[Arg, ...]:
    return (Arg("affine", "affine", default), Arg("track_running_stats", "track_running_stats", default))


def _modules() -> dict[str, Module]:
    rows: dict[str, Module] = {}
    for rank in (1, 2, 3):
        rows[f"Conv{rank}d"] = Module(f"Conv{rank}d", (
            Arg("in_channels", _in_channels("in_channels")), Arg("out_channels", "out_channels"), *_CONV,
            Arg("dilation", "dilation", 1), Arg("groups", "groups", 1), Arg("bias", "bias", True),
            Arg("padding_mode", "padding_mode", "zeros")), positional=2)
        rows[f"ConvTranspose{rank}d"] = Module(f"ConvTranspose{rank}d", (
            Arg("in_channels", _in_channels("in_channels")), Arg("out_channels", "out_channels"), *_CONV,
            Arg("output_padding", "output_padding", 0), Arg("groups", "groups", 1), Arg("bias", "bias", True),
            Arg("dilation", "dilation", 1)), positional=2)
        pool = (Arg("kernel_size", "kernel_size"), Arg("stride", _pool_stride, None), Arg("padding", "padding", 0))
        rows[f"MaxPool{rank}d"] = Module(f"MaxPool{rank}d", (*pool, Arg("dilation", "dilation", 1),
                                                             Arg("ceil_mode", "ceil_mode", False)))
        rows[f"AvgPool{rank}d"] = Module(f"AvgPool{rank}d", (*pool, Arg("ceil_mode", "ceil_mode", False)))
        for kind in ("AdaptiveAvgPool", "AdaptiveMaxPool"):
            rows[f"{kind}{rank}d"] = Module(f"{kind}{rank}d", (Arg("output_size", "output_size"),), positional=1)
        rows[f"BatchNorm{rank}d"] = Module(f"BatchNorm{rank}d", (
            Arg("num_features", _in_channels("num_features")), *_norm(True)), positional=1)
        rows[f"InstanceNorm{rank}d"] = Module(f"InstanceNorm{rank}d", (
            Arg("num_features", _in_channels("num_features")), *_norm(False)), positional=1)
        for kind in ("ZeroPad", "ReflectionPad", "ReplicationPad", "CircularPad"):
            rows[f"{kind}{rank}d"] = Module(f"{kind}{rank}d", (Arg("padding", "padding"),), positional=1)
        rows[f"ConstantPad{rank}d"] = Module(f"ConstantPad{rank}d", (Arg("padding", "padding"), _not_kept("value", 0.0)),
                                             positional=1)
    rows.update({
        "Linear": Module("Linear", (Arg("in_features", _last_axis("in_features")), Arg("out_features", "out_features"),
                                    Arg("bias", "bias", True)), positional=2),
        "Embedding": Module("Embedding", (Arg("num_embeddings", "num_embeddings"),
                                          Arg("embedding_dim", "embedding_dim")), positional=2),
        "LayerNorm": Module("LayerNorm", (Arg("normalized_shape", lambda layer, rec: list(layer.normalized_shape)),
                                          Arg("elementwise_affine", "elementwise_affine", True),
                                          Arg("bias", "bias", True)), positional=1),
        "GroupNorm": Module("GroupNorm", (Arg("num_groups", "num_groups"), Arg("num_channels", "num_channels"),
                                          Arg("affine", "affine", True)), positional=2),
        "Flatten": Module("Flatten", (Arg("start_dim", "start_dim", 1), Arg("end_dim", "end_dim", -1))),
        "PReLU": Module("PReLU", (Arg("num_parameters", "num_parameters", 1),)),
        "Softmax": Module("Softmax", (_not_kept("dim", 1),)),
        "LogSoftmax": Module("LogSoftmax", (_not_kept("dim", 1),)),
    })
    for kind in ("RNN", "LSTM", "GRU"):
        rows[kind] = Module(kind, (
            Arg("input_size", _last_axis("input_size")), Arg("hidden_size", "hidden_size"),
            Arg("num_layers", "num_layers", 1), Arg("bias", "bias", True), Arg("batch_first", "batch_first", False),
            Arg("bidirectional", "bidirectional", False), Arg("proj_size", "proj_size", 0)), positional=2)
    for name in ("Identity", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "ReLU", "ReLU6",
                 "GELU", "SiLU", "Sigmoid", "Tanh", "Hardswish", "Hardsigmoid", "Hardtanh", "LeakyReLU", "ELU", "SELU",
                 "CELU", "Mish", "Softplus", "Softsign", "Tanhshrink", "LogSigmoid"):
        rows[name] = Module(name)
    return rows


MODULES: dict[str, Module] = _modules()

# Functional ops: how the forward pass writes them, from the input variables.
_OPERATORS = {"add": "+", "sub": "-", "mul": "*"}


def _elementwise(op: str) -> Callable[[Any, list[str]], str]:
    def call(layer: Any, args: list[str]) -> str:
        if len(args) < 2:
            raise Unwritable("an operation with a number symcnn does not keep (x * 0.5) cannot be written")
        return f" {op} ".join(args)

    return call


CALLS: dict[str, Callable[[Any, list[str]], str]] = {
    **{name: _elementwise(op) for name, op in _OPERATORS.items()},
    "cat": lambda layer, args: f"torch.cat([{', '.join(args)}], dim={layer.dim})",
    "flatten": lambda layer, args: f"torch.flatten({args[0]}, {layer.start_dim}, {layer.end_dim})",
}
_RECURRENT = ("RNN", "LSTM", "GRU")


class _TorchWriter(Writer):
    def module(self, layer: Layer, rec: LayerRecord) -> tuple[str, list[str]]:
        """``nn.Conv2d(3, 64, kernel_size=7)``."""
        if not type(layer).__module__.startswith("symcnn.layers.torch"):
            raise Unwritable("a Keras-convention layer has no PyTorch module here")
        if rec.tied_weights:
            raise Unwritable("it uses another layer's weights (tied), which this code does not write")
        spec: Module = known(layer, MODULES)
        parts, notes = [], []
        for i, arg in enumerate(spec.args):
            value = arg.value(layer, rec)
            if i >= spec.positional and arg.left_out(value):
                continue
            text = self.literal(value, scalar=arg.scalar)
            parts.append(text if i < spec.positional else f"{arg.keyword}={text}")
            if arg.note:
                notes.append(arg.note)
        return f"nn.{spec.name}({', '.join(parts)})", notes

    def check(self, rec: LayerRecord) -> None:
        layer = rec.layer
        if type(layer).__name__ in CALLS and type(layer).__module__.endswith(".ops"):
            CALLS[type(layer).__name__](layer, ["a"] * max(len(rec.inputs), 1))
            return
        self.module(layer, rec)


def _freezing(attr: str, layer: Any) -> list[str]:
    if not layer.trainable:
        return [f"        self.{attr}.requires_grad_(False)"]
    return [f"        self.{attr}.{name}.requires_grad_(False)" for name in sorted(getattr(layer, "frozen_weights", ()))]


def listing(model: Model) -> Listing:
    """The PyTorch code of ``model``, or the layers that keep it from being written."""
    writer = _TorchWriter(taken={"torch", "nn", "torchinfo", "model", "self", "Model"})
    inputs = [r for r in model.records if isinstance(r.layer, InputLayer)]
    hint = _summary_call(model, writer, inputs)
    problems = unwritable_layers((r for r in model.records if not isinstance(r.layer, InputLayer)), writer.check)
    if any(d is None for r in inputs for d in r.output_shape):
        problems.append("the input shape has an unknown size; torchinfo needs every size")
    if problems:
        return Listing("PyTorch", "", tuple(problems), hint)
    try:
        body = _module_class(model, writer, inputs)
        header = symbol_lines(model, writer)
        hint = _summary_call(model, writer, inputs)
    except Unwritable as exc:
        return Listing("PyTorch", "", (str(exc),), hint)
    lines = ["import torch", "import torchinfo", "from torch import nn", "", NOT_READ, "", *header, *body, "",
             "model = Model()", hint]
    return Listing("PyTorch", "\n".join(lines), (), hint, dict(writer.names))


def _summary_call(model: Model, writer: _TorchWriter, inputs: list[LayerRecord]) -> str:
    """torchinfo's call: the input sizes, and whole-number inputs where an Embedding reads them."""
    shapes = ", ".join(writer.literal(tuple(r.output_shape)) for r in inputs)
    ids = [any(type(r.layer).__name__ == "Embedding" and i.name in r.inputs for r in model.records) for i in inputs]
    dtypes = f", dtypes=[{', '.join('torch.long' if e else 'torch.float' for e in ids)}]" if any(ids) else ""
    return f"torchinfo.summary(model, input_size=[{shapes}]{dtypes})"


def _module_class(model: Model, writer: _TorchWriter, inputs: list[LayerRecord]) -> list[str]:
    init: list[str] = []
    forward: list[str] = []
    variables: dict[str, str] = {}
    attrs: dict[int, str] = {}
    for rec in inputs:
        variables[rec.name] = writer.ident(rec.name, "x")
    for rec in model.records:
        if isinstance(rec.layer, InputLayer):
            continue
        var = writer.ident(rec.name)
        args = [variables[i] for i in rec.inputs]
        variables[rec.name] = var
        kind = type(rec.layer).__name__
        if kind in CALLS and type(rec.layer).__module__.endswith(".ops"):
            forward.append(f"        {var} = {CALLS[kind](rec.layer, args)}")
            continue
        if id(rec.layer) not in attrs:
            attrs[id(rec.layer)] = var
            text, notes = writer.module(rec.layer, rec)
            init += [f"        # {note}" for note in dict.fromkeys(notes)]
            init.append(f"        self.{var} = {text}")
            init += _freezing(var, rec.layer)
        call = f"self.{attrs[id(rec.layer)]}({', '.join(args)})"
        if kind in _RECURRENT:
            forward.append(f"        {var}, _ = {call}  # the output sequence; the final state is not used here")
        else:
            forward.append(f"        {var} = {call}")
    outs = [variables[n] for n in output_names(model)]
    params = ", ".join(variables[r.name] for r in inputs)
    return [
        "class Model(nn.Module):",
        "    def __init__(self):",
        "        super().__init__()",
        *init,
        "",
        f"    def forward(self, {params}):",
        *forward,
        f"        return {', '.join(outs)}",
    ]
