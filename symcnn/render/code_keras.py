"""A Keras-convention model as Keras 3 code: ``keras.Sequential`` for a chain, the functional API otherwise.

Each layer type has one row in :data:`TABLE`: the Keras class and its arguments, read from
the symcnn layer. ``tests/test_code.py`` builds every row's code with Keras itself and
compares the shapes and counts with symcnn's.

>>> from symcnn import load
>>> print(listing(load("examples/seed.yaml")).code.splitlines()[8])
    layers.Conv2D(filters=64, kernel_size=3, name='conv2d'),
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..layers.base import Layer
from ..layers.core import InputLayer
from ..model import Model
from ..record import LayerRecord
from .codegen import (
    NOT_READ,
    Arg,
    Listing,
    Unwritable,
    Writer,
    is_chain,
    known,
    output_names,
    symbol_lines,
    unwritable_layers,
)

__all__ = ["TABLE", "listing"]


@dataclass(frozen=True)
class Spec:
    """A Keras class (``layers.<name>``) and its keyword arguments."""

    name: str
    args: tuple[Arg, ...] = ()


def _data_format(layer: Any, record: Any) -> str | None:
    return None if layer.channels_last else "channels_first"


def _one_axis(attr: str) -> Any:
    return lambda layer, record: getattr(layer, attr)[0] if len(getattr(layer, attr)) == 1 else list(getattr(layer, attr))


def _pool_strides(layer: Any, record: Any) -> Any:
    return None if tuple(layer.strides) == tuple(layer.pool_size) else layer.strides


def _pairs(attr: str) -> Any:
    """Keras's (before, after) pairs, as short as Keras reads them: 1, (1, 2) or ((0, 1), (2, 3))."""

    def get(layer: Any, record: Any) -> Any:
        pairs = getattr(layer, attr)
        if len(pairs) == 1:
            return pairs[0][0] if pairs[0][0] == pairs[0][1] else pairs[0]
        if all(a == b for a, b in pairs):
            return pairs[0][0] if len({a for a, _ in pairs}) == 1 else tuple(a for a, _ in pairs)
        return pairs

    return get


def _number(attr: str) -> Any:
    def get(layer: Any, record: Any) -> Any:
        value = getattr(layer, attr)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Unwritable(f"{attr} {value!r} is not one number, which this code does not write")
        return value

    return get


def _not_kept(keyword: str, value: Any) -> Arg:
    return Arg(keyword, lambda layer, record: value, note=f"symcnn does not read the {keyword}: any value gives these counts")


_FORMAT = Arg("data_format", _data_format, None)
_CONV = (Arg("strides", "strides", 1), Arg("padding", "padding", "valid"), _FORMAT,
         Arg("dilation_rate", "dilation_rate", 1))
_BIAS = Arg("use_bias", "use_bias", True)
_LORA = Arg("lora_rank", "lora_rank", None)
_POOL = (Arg("pool_size", "pool_size"), Arg("strides", _pool_strides, None), Arg("padding", "padding", "valid"), _FORMAT)
_NORM_FLAGS = (Arg("center", "center", True), Arg("scale", "scale", True))
_RNN = (Arg("units", "units"), _BIAS, Arg("return_sequences", "return_sequences", False))


def _rows() -> dict[str, Spec]:
    rows: dict[str, Spec] = {}
    for rank in (1, 2, 3):
        rows[f"Conv{rank}D"] = Spec(f"Conv{rank}D", (Arg("filters", "filters"), Arg("kernel_size", "kernel_size"), *_CONV,
                                                   Arg("groups", "groups", 1), _BIAS, _LORA))
        rows[f"Conv{rank}DTranspose"] = Spec(f"Conv{rank}DTranspose", (
            Arg("filters", "filters"), Arg("kernel_size", "kernel_size"), *_CONV[:2],
            Arg("output_padding", "output_padding", None, scalar=False), *_CONV[2:], _BIAS))
        for kind in ("MaxPooling", "AveragePooling"):
            rows[f"{kind}{rank}D"] = Spec(f"{kind}{rank}D", _POOL)
        for kind in ("GlobalMaxPooling", "GlobalAveragePooling"):
            rows[f"{kind}{rank}D"] = Spec(f"{kind}{rank}D", (_FORMAT, Arg("keepdims", "keepdims", False)))
        rows[f"ZeroPadding{rank}D"] = Spec(f"ZeroPadding{rank}D", (Arg("padding", _pairs("padding"), scalar=False),
                                                                   *(() if rank == 1 else (_FORMAT,))))
        rows[f"Cropping{rank}D"] = Spec(f"Cropping{rank}D", (Arg("cropping", _pairs("cropping"), scalar=False),
                                                             *(() if rank == 1 else (_FORMAT,))))
        rows[f"UpSampling{rank}D"] = Spec(f"UpSampling{rank}D", (Arg("size", "size"), *(() if rank == 1 else (_FORMAT,))))
        rows[f"ConvLSTM{rank}D"] = Spec(f"ConvLSTM{rank}D", (
            Arg("filters", "filters"), Arg("kernel_size", "kernel_size"), *_CONV, _BIAS,
            Arg("return_sequences", "return_sequences", False)))
    for rank in (1, 2):
        rows[f"DepthwiseConv{rank}D"] = Spec(f"DepthwiseConv{rank}D", (
            Arg("kernel_size", "kernel_size"), *_CONV[:2], Arg("depth_multiplier", "depth_multiplier", 1), *_CONV[2:], _BIAS))
        rows[f"SeparableConv{rank}D"] = Spec(f"SeparableConv{rank}D", (
            Arg("filters", "filters"), Arg("kernel_size", "kernel_size"), *_CONV,
            Arg("depth_multiplier", "depth_multiplier", 1), _BIAS))
    rows.update({
        "Dense": Spec("Dense", (Arg("units", "units"), _BIAS, _LORA)),
        "Embedding": Spec("Embedding", (Arg("input_dim", "input_dim"), Arg("output_dim", "output_dim"), _LORA)),
        "Flatten": Spec("Flatten"),
        "Reshape": Spec("Reshape", (Arg("target_shape", "target_shape", scalar=False),)),
        "Permute": Spec("Permute", (Arg("dims", "dims", scalar=False),)),
        "RepeatVector": Spec("RepeatVector", (Arg("n", "n"),)),
        "BatchNormalization": Spec("BatchNormalization", (Arg("axis", _one_axis("axis"), -1), *_NORM_FLAGS,
                                                          Arg("renorm", "renorm", False))),
        "LayerNormalization": Spec("LayerNormalization", (Arg("axis", _one_axis("axis"), -1), *_NORM_FLAGS,
                                                          Arg("rms_scaling", "rms_scaling", False))),
        "RMSNormalization": Spec("RMSNormalization", (Arg("axis", _one_axis("axis"), -1),)),
        "GroupNormalization": Spec("GroupNormalization", (Arg("groups", "groups", 32), Arg("axis", "axis", -1),
                                                          *_NORM_FLAGS)),
        "UnitNormalization": Spec("UnitNormalization", (Arg("axis", _one_axis("axis"), -1),)),
        "PReLU": Spec("PReLU", (Arg("shared_axes", lambda layer, record: list(layer.shared_axes) or None, None),)),
        "Concatenate": Spec("Concatenate", (Arg("axis", "axis", -1),)),
        "SimpleRNN": Spec("SimpleRNN", _RNN),
        "LSTM": Spec("LSTM", _RNN),
        "GRU": Spec("GRU", (*_RNN, Arg("reset_after", "reset_after", True))),
        "Bidirectional": Spec("Bidirectional", (
            Arg("layer", "forward"), Arg("merge_mode", "merge_mode", "concat"),
            Arg("backward_layer", lambda layer, record: None if layer.backward is layer.forward else layer.backward, None))),
        "TimeDistributed": Spec("TimeDistributed", (Arg("layer", "layer"),)),
        "SpectralNormalization": Spec("SpectralNormalization", (
            Arg("layer", "layer"), Arg("power_iterations", "power_iterations", 1))),
        "Rescaling": Spec("Rescaling", (Arg("scale", _number("scale")), Arg("offset", _number("offset"), 0.0))),
        "Normalization": Spec("Normalization", (
            Arg("axis", lambda layer, record: (layer.axis[0] if len(layer.axis) == 1 else layer.axis) if layer.axis
                else None, -1),
            Arg("mean", lambda layer, record: 0.0 if layer.given else None, None,
                note="symcnn does not read the mean and variance given: any values give these counts"),
            Arg("variance", lambda layer, record: 1.0 if layer.given else None, None))),
        "Resizing": Spec("Resizing", (Arg("height", "height"), Arg("width", "width"), _FORMAT)),
        "CenterCrop": Spec("CenterCrop", (Arg("height", "height"), Arg("width", "width"), _FORMAT)),
        "Dropout": Spec("Dropout", (_not_kept("rate", 0.5),)),
        "SpatialDropout1D": Spec("SpatialDropout1D", (_not_kept("rate", 0.5),)),
        "SpatialDropout2D": Spec("SpatialDropout2D", (_not_kept("rate", 0.5),)),
        "SpatialDropout3D": Spec("SpatialDropout3D", (_not_kept("rate", 0.5),)),
        "GaussianDropout": Spec("GaussianDropout", (_not_kept("rate", 0.5),)),
        "AlphaDropout": Spec("AlphaDropout", (_not_kept("rate", 0.5),)),
        "GaussianNoise": Spec("GaussianNoise", (_not_kept("stddev", 0.1),)),
        "Activation": Spec("Activation", (_not_kept("activation", "linear"),)),
    })
    for name in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "ReLU", "LeakyReLU", "ELU",
                 "Softmax", "Identity", "Masking", "ActivityRegularization", "RandomFlip"):
        rows[name] = Spec(name)
    return rows


TABLE: dict[str, Spec] = _rows()
_NESTED_RNN_CELLS = {"SimpleRNN": "SimpleRNNCell", "LSTM": "LSTMCell", "GRU": "GRUCell"}


class _KerasWriter(Writer):
    def construct(self, layer: Layer, record: LayerRecord | None, name: str | None) -> tuple[str, list[str]]:
        """``layers.Conv2D(filters=64, kernel_size=3, name='conv2d')`` and its comments."""
        if type(layer).__module__.startswith("symcnn.layers.torch"):
            raise Unwritable("a torch-convention layer has no Keras class")
        if layer_is_rnn_of_cells(layer):
            return self._rnn_of_cells(layer, name)
        spec: Spec = known(layer, TABLE)
        parts, notes = [], []
        for arg in spec.args:
            value = arg.value(layer, record)  # type: ignore[arg-type]
            if arg.left_out(value):
                continue
            if isinstance(value, Layer):
                inner, more = self.construct(value, None, None)
                if arg.keyword == "backward_layer":  # Keras wants it to run backwards; symcnn need not say so
                    inner = inner[:-1] + (", " if inner[-2] != "(" else "") + "go_backwards=True)"
                parts.append(f"{arg.keyword}={inner}")
                notes += more
                continue
            parts.append(f"{arg.keyword}={self.literal(value, scalar=arg.scalar)}")
            if arg.note:
                notes.append(arg.note)
        if not layer.trainable:
            parts.append("trainable=False")
        if name is not None:
            if "/" in name or "." in name:
                raise Unwritable(f"Keras (on its torch backend) takes no '/' or '.' in a layer name ({name!r})")
            parts.append(f"name={name!r}")
        return f"layers.{spec.name}({', '.join(parts)})", notes

    def _rnn_of_cells(self, layer: Any, name: str | None) -> tuple[str, list[str]]:
        cells = []
        for cell in layer.cells:
            kind = _NESTED_RNN_CELLS.get(type(cell).__name__)
            if kind is None:
                raise Unwritable(f"symcnn has no checked translation for the cell {type(cell).__name__}")
            args = [f"units={self.literal(cell.units)}"]
            if not cell.use_bias:
                args.append("use_bias=False")
            if kind == "GRUCell" and not cell.reset_after:
                args.append("reset_after=False")
            cells.append(f"layers.{kind}({', '.join(args)})")
        cell_text = cells[0] if len(cells) == 1 else "[" + ", ".join(cells) + "]"
        parts = [f"cell={cell_text}"]
        if layer.return_sequences:
            parts.append("return_sequences=True")
        if not layer.trainable:
            parts.append("trainable=False")
        if name is not None:
            parts.append(f"name={name!r}")
        return f"layers.RNN({', '.join(parts)})", []


def layer_is_rnn_of_cells(layer: Layer) -> bool:
    return type(layer).__name__ == "RNN" and hasattr(layer, "cells")


def _input_line(writer: _KerasWriter, rec: LayerRecord) -> str:
    shape = rec.output_shape
    args = [f"shape={writer.literal(tuple(shape[1:]))}"]
    if shape[0] is not None:
        args.append(f"batch_size={writer.literal(shape[0])}")
    return f"keras.Input({', '.join(args)}, name={rec.name!r})"


def _comments(notes: list[str], indent: str) -> list[str]:
    return [f"{indent}# {note}" for note in dict.fromkeys(notes)]


def listing(model: Model) -> Listing:
    """The Keras code of ``model``, or the layers that keep it from being written."""
    writer = _KerasWriter(taken={"keras", "layers", "model"})
    hint = "model.summary()"
    problems = unwritable_layers(
        (r for r in model.records if not isinstance(r.layer, InputLayer)),
        lambda r: writer.construct(r.layer, r, r.name),
    )
    if problems:
        return Listing("Keras", "", tuple(problems), hint)
    try:
        # keras.Sequential on the torch backend takes no '.' in its name; the functional API does
        sequential = is_chain(model) and "." not in str(model.name or "")
        body = _sequential(model, writer) if sequential else _functional(model, writer)
        header = symbol_lines(model, writer)
    except Unwritable as exc:
        return Listing("Keras", "", (str(exc),), hint)
    lines = ["import keras", "from keras import layers", "", NOT_READ, "", *header, *body, "", hint]
    return Listing("Keras", "\n".join(lines), (), hint, dict(writer.names))


def _sequential(model: Model, writer: _KerasWriter) -> list[str]:
    first, *rest = model.records
    lines = ["model = keras.Sequential([", f"    {_input_line(writer, first)},"]
    for rec in rest:
        text, notes = writer.construct(rec.layer, rec, rec.name)
        lines += _comments(notes, "    ")
        lines.append(f"    {text},")
    lines.append(f"], name={str(model.name or 'sequential')!r})")
    return lines


def _functional(model: Model, writer: _KerasWriter) -> list[str]:
    lines: list[str] = []
    variables: dict[str, str] = {}
    made: dict[int, str] = {}
    inputs: list[str] = []
    for rec in model.records:
        var = writer.ident(rec.name)
        variables[rec.name] = var
        if isinstance(rec.layer, InputLayer):
            lines.append(f"{var} = {_input_line(writer, rec)}")
            inputs.append(var)
            continue
        args = [variables[i] for i in rec.inputs]
        call = args[0] if len(args) == 1 else "[" + ", ".join(args) + "]"
        if id(rec.layer) in made:  # a shared layer: called again, its weights counted once
            lines.append(f"{var} = {made[id(rec.layer)]}({call})")
            continue
        text, notes = writer.construct(rec.layer, rec, rec.name)
        if rec.shared_with is None and any(r.shared_with == rec.name for r in model.records):
            holder = writer.ident(f"{rec.name}_layer")
            made[id(rec.layer)] = holder
            lines += _comments(notes, "")
            lines.append(f"{holder} = {text}")
            lines.append(f"{var} = {holder}({call})")
        else:
            lines += _comments(notes, "")
            lines.append(f"{var} = {text}({call})")
    outs = [variables[n] for n in output_names(model)]
    ins = inputs[0] if len(inputs) == 1 else "[" + ", ".join(inputs) + "]"
    out = outs[0] if len(outs) == 1 else "[" + ", ".join(outs) + "]"
    lines.append(f"model = keras.Model(inputs={ins}, outputs={out}, name={str(model.name or 'model')!r})")
    return lines
