"""Finding the layer a label names: a name, a number, a type, or a Keras summary label."""

from __future__ import annotations

import re
from typing import Any

from ..errors import ArgumentError
from ..model import Model
from ..record import LayerRecord


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower().replace("layer", ""))


# What people call a layer type, against the start of its class name (normalised): "BN", "FC", "GAP", "MaxPool"
_SYNONYMS = {
    "bn": ("batchnorm",), "batchnorm": ("batchnorm",), "fc": ("dense", "linear"), "fullyconnected": ("dense", "linear"),
    "linear": ("dense", "linear"), "dense": ("dense", "linear"), "gap": ("globalaverage", "globalavg", "adaptiveavg"),
    "globalavgpool": ("globalaverage", "globalavg"), "globalaveragepool": ("globalaverage", "globalavg"),
    "pool": ("maxpool", "averagepool", "avgpool"), "pooling": ("maxpool", "averagepool", "avgpool"),
    "maxpool": ("maxpool",), "maxpooling": ("maxpool",), "avgpool": ("averagepool", "avgpool"),
    "averagepool": ("averagepool", "avgpool"), "averagepooling": ("averagepool", "avgpool"),
    "conv": ("conv",), "convolution": ("conv",), "dwconv": ("depthwiseconv",), "depthwise": ("depthwiseconv",),
    "sepconv": ("separableconv",), "separable": ("separableconv",), "deconv": ("conv1dtranspose", "conv2dtranspose",
    "conv3dtranspose", "convtranspose"), "convtranspose": ("conv1dtranspose", "conv2dtranspose", "conv3dtranspose",
    "convtranspose"), "relu": ("relu", "activation"), "activation": ("activation", "relu"), "input": ("input",),
}


def _type_names(rec: LayerRecord) -> set[str]:
    cls = type(rec.layer)
    names = {cls.__name__, *getattr(cls, "aliases", ())}
    if rec.type == "InputLayer":
        names.add("Input")
    normed = {_norm(n) for n in names}
    return normed | {re.sub(r"[123]d$", "", n) for n in normed}  # "MaxPool" for MaxPool2D


def _type_matches(rec: LayerRecord, label: str) -> bool:
    want = _norm(label)
    names = _type_names(rec)
    if any(want == t or (want.startswith(t) and want[len(t) :].isdigit()) for t in names):
        return True
    word = re.sub(r"\d+$", "", want)
    starts = _SYNONYMS.get(word, ())
    return bool(starts) and any(n.startswith(s) for n in names for s in starts) and not any(
        want == t for t in names
    )


def find_layer(model: Model, layer: Any, position: int | None = None, after: int | None = None) -> LayerRecord:
    """The record a label names: "conv2d_1", "conv2d_1 (Conv2D)", "3. Conv2D", "Dense layer 2", 3 or a record.

    Numbers count the layers after the input, from 1, as the tutorial's table does.
    When the label is only a layer type (or a usual name for it: "MaxPool", "BN", "FC"), a table
    row picks the first such layer after ``after`` (the index of the record its previous row
    matched), else the one at ``position`` (the row's number, from 1).
    """
    records = model.records
    body = [r for r in records if r.type != "InputLayer"]
    if isinstance(layer, LayerRecord):
        found = next((r for r in records if r is layer), None)  # a shared layer's calls share one name
        return found if found is not None else model.get_layer(layer.name)
    if isinstance(layer, int) and not isinstance(layer, bool):
        inputs = [r for r in records if r.type == "InputLayer"]
        if layer == 0 and len(inputs) == 1:
            return inputs[0]
        if 1 <= layer <= len(body):
            return body[layer - 1]
        raise ArgumentError(f"layer number {layer} is out of range: the model has {len(body)} layers after its input")
    if not isinstance(layer, str) or not layer.strip():
        raise ArgumentError(f"layer must be a name or a number, got {layer!r}")
    label = " ".join(layer.replace("*", "").replace("`", "").split())
    by_name = {r.name: r for r in records}
    m = re.fullmatch(r"(\S+)\s*\((\w+)\)", label)  # Keras summary: "conv2d_1 (Conv2D)"
    for candidate in (label, m.group(1) if m else None):
        if candidate in by_name:
            return by_name[candidate]
    m = re.fullmatch(r"(\d+)\s*[.):]?\s*(.*)", label)
    if m:
        number, rest = int(m.group(1)), m.group(2)
        rec = find_layer(model, number)
        if rest and not _type_matches(rec, rest):
            raise ArgumentError(f"{layer!r}: layer {number} is {rec.name} ({rec.type}), not a {rest}")
        return rec
    typed = [r for r in records if _type_matches(r, label)]
    ordinal = re.search(r"(\d+)\s*$", label)
    if len(typed) == 1:
        return typed[0]
    if typed and ordinal and not _type_names(typed[0]) & {_norm(label)}:
        k = int(ordinal.group(1))
        if 1 <= k <= len(typed):
            return typed[k - 1]
    if typed and after is not None:
        position_of = {id(r): i for i, r in enumerate(records)}
        later = [r for r in typed if position_of[id(r)] > after]
        if later:
            return later[0]
    if typed and position is not None and 1 <= position <= len(body) and body[position - 1] in typed:
        return body[position - 1]
    lower = {r.name.lower(): r for r in records}
    if label.lower() in lower and not typed:
        return lower[label.lower()]
    names = ", ".join(f"{r.name} ({r.type})" for r in records)
    if typed:
        raise ArgumentError(f"{layer!r} could be any of {', '.join(r.name for r in typed)}: give the layer's name")
    raise ArgumentError(f"no layer matches {layer!r}; layers: {names}")
