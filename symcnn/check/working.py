"""The right working of a value, as a student would write it: "3×3×1×64 (kernel) + 64 (bias) = 640"."""

from __future__ import annotations

from ..formulas import prod, simplify_int
from ..layers.base import spatial
from ..record import LayerRecord
from .fmt import _fmt, _times
from .shape_mistakes import _transposed, _windows


def right_working(q: str, rec: LayerRecord, expected: object, convention: str) -> str:
    """The working that gives ``expected`` (the layer's value of ``q``), or '' when it is only the value."""
    try:
        if q == "shape":
            return _shape_working(rec)
        if q == "macs":
            return _macs_working(rec, expected, convention)
        return _params_working(q, rec, expected)
    except (ArithmeticError, TypeError, ValueError, AttributeError, IndexError):
        return ""


def _params_working(q: str, rec: LayerRecord, expected: object) -> str:
    if rec.shared_with is not None:
        return f"0: the weights belong to {rec.shared_with}'s call and are counted there"
    layer = rec.layer
    ws = rec.weights
    if q == "trainable":
        ws = [w for w in ws if w.kind == "param" and w.trainable and layer.trainable]
    elif q == "non_trainable":
        ws = [w for w in ws if (w.kind == "stat" and layer.counts_stats) or (w.kind == "param" and not (w.trainable and layer.trainable))]
    else:
        ws = [w for w in ws if w.kind == "param" or layer.counts_stats]
    if not ws:
        return "0: no weights" if q == "params" and not rec.weights else ""
    terms = [f"{_times(w.shape)} ({w.name.split('/')[-1]})" if len(ws) > 1 else _times(w.shape) for w in ws]
    return f"{' + '.join(terms)} = {_fmt(expected)}"


def _shape_working(rec: LayerRecord) -> str:
    layer, ins, out = rec.layer, rec.input_shapes, rec.output_shape
    wins = _windows(layer, ins, out)
    if wins:
        axes = [f"{w.text()} = {_fmt(w.length())}" for w in wins]
        unique = list(dict.fromkeys(axes))
        per = "each spatial axis" if len(unique) == 1 and len(wins) > 1 else None
        sizes = f"{unique[0]} on {per}" if per else "; ".join(unique)
        return f"{sizes}: {_fmt(out)}"
    if "Transpose" in layer.class_name:
        for _, msg, _name in _transposed(layer, ins, out):
            rule = msg.split("gives ")[-1] if "gives " in msg else ""
            return f"{rule}: {_fmt(out)}" if rule else ""
    if len(out) == 2 and ins and len(ins[0]) > 2 and "Flatten" in layer.class_name:
        return f"{_times(ins[0][1:])} = {_fmt(out[1])}: {_fmt(out)}"
    return ""


def _macs_working(rec: LayerRecord, expected: object, convention: str) -> str:
    layer, ins, out = rec.layer, rec.input_shapes, rec.output_shape
    learned = simplify_int(sum((w.size for w in rec.weights if w.kind == "param"), start=0))
    if learned == 0:
        return ""
    if convention == "torchinfo":
        positions = layer.torchinfo_positions(ins, out)
        if positions == 1:
            return f"each of the {_fmt(learned)} parameters is one multiply-accumulate: {_fmt(expected)}"
        where = _times(spatial(out, layer.channels_last)) if layer.conv_like else _fmt(positions)
        what = "time steps" if hasattr(layer, "gates") else "positions"
        return f"{where} {what} × {_fmt(learned)} parameters = {_fmt(expected)}"
    kernel = simplify_int(sum((w.size for w in rec.weights if w.kind == "param" and "bias" not in w.name), start=0))
    if layer.conv_like and kernel != 0:
        grid = spatial(out, layer.channels_last)
        if prod([*grid, kernel]) == expected:
            return f"{_times(grid)} positions × {_fmt(kernel)} kernel weights = {_fmt(expected)} (no bias)"
    return ""
