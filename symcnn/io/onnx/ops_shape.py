"""The op table, part 2: element-wise ops, activations and the ops that only move data (Reshape, Slice, Resize ...)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

import sympy

from ...errors import ShapeError, UnknownLayerError
from ...formulas import is_number, prod, simplify_int
from ...layers.base import Layer, format_shape
from .builder import GraphBuilder
from .fold import slice_bounds
from .layers import (
    Constant,
    Elementwise,
    ExpandTo,
    GatherOp,
    Reduce,
    ReshapeTo,
    ScatterOp,
    SliceOp,
    Squeeze,
    Unsqueeze,
)
from .naming import AUTO_NAME
from .values import Const, Flow, FlowSeq, Opaque

Handler = Callable[[Any, int, Any, list[Any], dict[str, Any]], list[Any]]


def _merge(torch_name: str | None) -> Handler:
    """The handler of an element-wise op: the torch op ``torch_name``, or an Elementwise layer (None)."""

    def handler(self: ShapeOps, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        return self._elementwise(node, ins, torch_name)

    return handler


class ShapeOps(GraphBuilder):
    """Handlers ``op_<OpType>(index, node, inputs, attributes) -> outputs`` for layers that learn little or nothing."""

    # ---- element-wise and merges -------------------------------------------------------------
    def _elementwise(self, node: Any, ins: list[Any], torch_name: str | None) -> list[Any]:
        flows = [v for v in ins if isinstance(v, Flow)]
        learned, operands = [], []
        for v in ins:
            if v is None or isinstance(v, Flow) or not self._learned(v) or v.sources & self.claimed:
                continue
            if isinstance(v, Opaque):  # a parameter symcnn could not follow: an error, not a count that loses it
                raise UnknownLayerError(f"{node.op_type} applies {', '.join(sorted(v.sources))} through {v.why}")
            (src,) = v.sources if len(v.sources) == 1 else (None,)
            if src is None or AUTO_NAME.match(src) or not v.is_float:  # exporters name constants, not params
                continue
            init = self.values.get(src)  # the initializer itself: v may be computed from it (gathered, reshaped)
            learned.append((src, tuple(init.shape) if isinstance(init, Const) else tuple(v.shape)))
            operands.append(tuple(v.shape))
            self.claimed.add(src)
        if learned or torch_name is None:
            layer: Layer = Elementwise(op=node.op_type, learned=learned, operands=operands)
        else:
            layer = self._torch(torch_name)
        return [self._add(node, layer, flows)]

    op_Add, op_Sub, op_Mul, op_Div = _merge("add"), _merge("sub"), _merge("mul"), _merge("div")
    op_Max, op_Min = _merge("maximum"), _merge("minimum")
    op_Pow = op_Sum = op_Mean = op_Where = op_Equal = op_Less = op_Greater = op_And = op_Or = _merge(None)
    op_Mod = op_BitShift = op_LessOrEqual = op_GreaterOrEqual = op_Xor = op_Pow

    def op_ScatterND(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        """data, indices, updates: the output is the data, some entries replaced; its shape is the data's."""
        if len(ins) < 3 or ins[0] is None:
            raise ShapeError(f"{node.op_type} takes data, indices and updates")
        data = ins[0] if isinstance(ins[0], Flow) else self._lift(node, ins[0], node.op_type)
        others = [v for v in ins[1:] if isinstance(v, Flow)]
        return [self._add(node, ScatterOp(), [data, *others])]

    op_ScatterElements = op_Scatter = op_ScatterND

    def op_Einsum(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        equation = attrs.get("equation")
        if isinstance(equation, bytes):
            equation = equation.decode("utf-8", "replace")
        if not isinstance(equation, str):
            raise ShapeError("Einsum without an equation")
        parts = [v if isinstance(v, Flow) else self._lift(node, v, "Einsum") for v in ins if v is not None]
        return [self._add(node, self._torch("einsum", equation=equation), parts)]

    def op_Concat(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        parts = [v if isinstance(v, Flow) else self._lift(node, v, "Concat") for v in ins if v is not None]
        return [self._add(node, self._torch("cat", dim=int(attrs.get("axis", 0))), parts)]

    # Ops whose data input may be a parameter while its size is computed (``cls_token.expand(N, -1, -1)``
    # with a symbolic batch): when folding cannot make the values, the parameter joins the graph as a tensor.
    LIFTED: ClassVar[frozenset[str]] = frozenset({"Expand"})

    def lifted(self, node: Any, ins: list[Any]) -> list[Any] | None:
        """``ins`` with a parameter data input made a tensor of the graph, or None when the first input is none."""
        if not ins or not self._learned(ins[0]) or isinstance(ins[0], Opaque):
            return None
        return [self._lift(node, ins[0], node.op_type), *ins[1:]]

    def _lift(self, node: Any, value: Any, op: str) -> Flow:
        """A constant of the file as a tensor of the graph; a named float initializer in it counts as a parameter."""
        if not isinstance(value, Const) or isinstance(value, Opaque):
            raise UnknownLayerError(f"{op} of a computed tensor with a value symcnn cannot size is not supported")
        learned = []
        for src in sorted(value.sources - self.claimed):
            init = self.values.get(src)
            if value.is_float and isinstance(init, Const) and not AUTO_NAME.match(src):
                learned.append((src, _one_copy(init)))
                self.claimed.add(src)
        return self._add(node, Constant(shape=value.shape, learned=learned), [], "const")


    # ---- shape-only ops ------------------------------------------------------------------------
    _UNARY: ClassVar[dict[str, str]] = {
        "Relu": "ReLU", "Sigmoid": "Sigmoid", "Tanh": "Tanh", "LeakyRelu": "LeakyReLU", "Clip": "Hardtanh",
        "HardSwish": "Hardswish", "HardSigmoid": "Hardsigmoid", "Softmax": "Softmax", "LogSoftmax": "LogSoftmax",
        "Gelu": "GELU", "Elu": "ELU", "Selu": "SELU", "Celu": "CELU", "Softplus": "Softplus",
        "Softsign": "Softsign", "Mish": "Mish", "Dropout": "Dropout", "Identity": "Identity",
        "ThresholdedRelu": "Threshold", "Shrink": "Hardshrink",
    }
    _IDENTITY_OPS: ClassVar[frozenset[str]] = frozenset({
        "Erf", "Sqrt", "Reciprocal", "Exp", "Log", "Neg", "Abs", "Cast", "CastLike", "Floor", "Ceil", "Round",
        "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Sign", "Not",
        "IsNaN", "IsInf", "BitwiseNot", "Hardmax", "LpNormalization", "MeanVarianceNormalization",
        "LRN", "Trilu", "CumSum",
    })

    def _unary_handler(self, op: str) -> Any:
        if op in self._UNARY or op in self._IDENTITY_OPS:
            name = self._UNARY.get(op, "Identity")

            def handler(index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
                x = self._flow(ins[0], op)
                y = self._add(node, self._torch(name), [x])
                return [y, y] if op == "Dropout" else [y]

            return handler
        raise UnknownLayerError(f"ONNX op {op} is not supported")

    def op_Flatten(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], "Flatten")
        axis = int(attrs.get("axis", 1))
        axis = axis + len(x.shape) if axis < 0 else axis
        if not 0 <= axis <= len(x.shape):
            raise ShapeError(f"Flatten axis {attrs.get('axis')} is out of range for {format_shape(x.shape)}")
        if axis == 1 and len(x.shape) >= 2:
            return [self._add(node, self._torch("Flatten", start_dim=1, end_dim=-1), [x])]
        target = (prod(x.shape[:axis]), prod(x.shape[axis:]))
        return [self._add(node, ReshapeTo(shape=target, allowzero=1), [x])]

    def op_Reshape(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], "Reshape")
        shape = self._const(ins[1], "Reshape", "target shape") if len(ins) > 1 else None
        target = shape.ints("Reshape shape") if shape is not None else list(attrs.get("shape", []))
        allowzero = int(attrs.get("allowzero", 0))
        target = [x.shape[i] if (d == 0 and not allowzero and i < len(x.shape)) else d for i, d in enumerate(target)]
        return [self._add(node, ReshapeTo(shape=tuple(target), allowzero=1), [x])]

    def op_Transpose(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], "Transpose")
        perm = attrs.get("perm") or list(reversed(range(len(x.shape))))
        return [self._add(node, self._torch("permute", dims=tuple(int(p) for p in perm)), [x])]

    def op_Squeeze(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], "Squeeze")
        axes = self._const(ins[1], "Squeeze", "axes").ints("axes") if len(ins) > 1 and ins[1] is not None else (
            attrs.get("axes"))
        return [self._add(node, Squeeze(axes=axes), [x])]

    def op_Unsqueeze(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], "Unsqueeze")
        axes = self._const(ins[1], "Unsqueeze", "axes").ints("axes") if len(ins) > 1 and ins[1] is not None else (
            attrs.get("axes") or [])
        return [self._add(node, Unsqueeze(axes=axes), [x])]

    def op_Slice(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], "Slice")
        consts: list[Any] = [None if i == 0 or v is None else self._const(v, "Slice", "bound")
                             for i, v in enumerate(ins)]
        bounds = slice_bounds(len(x.shape), consts, attrs)
        return [self._add(node, SliceOp(bounds=bounds), [x])]

    def op_Split(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], "Split")
        rank = len(x.shape)
        axis = int(attrs.get("axis", 0))
        axis = axis + rank if axis < 0 else axis
        n_out = len(node.output)
        if len(ins) > 1 and ins[1] is not None:
            sizes = self._const(ins[1], "Split", "split").ints("split")
        elif attrs.get("split"):
            sizes = list(attrs["split"])
        else:
            n = x.shape[axis]
            size = -(-n // n_out) if is_number(n) else simplify_int(sympy.ceiling(n / n_out))
            sizes = [size] * (n_out - 1) + [simplify_int(n - size * (n_out - 1))]
        outs, start = [], 0
        for i, size in enumerate(sizes):
            end = simplify_int(start + size)
            outs.append(self._add(node, SliceOp(bounds=[(axis, start, end, 1)]), [x], f"{i}" if i else ""))
            start = end
        return outs

    def op_SplitToSequence(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], "SplitToSequence")
        axis = int(attrs.get("axis", 0))
        axis = axis + len(x.shape) if axis < 0 else axis
        n = x.shape[axis]
        given = len(ins) > 1 and ins[1] is not None
        split = self._const(ins[1], "SplitToSequence", "split").ints("split") if given else [1]
        squeeze = not given and bool(attrs.get("keepdims", 1)) is False
        if len(split) == 1 and not (given and len(self._const(ins[1], "SplitToSequence", "split").shape) == 1):
            if not is_number(n) or not is_number(split[0]) or split[0] < 1:
                raise UnknownLayerError(f"SplitToSequence of an axis of size {n} into pieces of {split[0]}")
            size = int(split[0])
            split = [size] * (int(n) // size) + ([int(n) % size] if int(n) % size else [])
        items, start = [], 0
        for i, size in enumerate(split):
            end = simplify_int(start + size)
            y = self._add(node, SliceOp(bounds=[(axis, start, end, 1)]), [x], str(i) if i else "")
            if squeeze:
                y = self._add(node, Squeeze(axes=[axis]), [y], f"squeeze{i}")
            items.append(y)
            start = end
        return [FlowSeq(items)]

    def op_SequenceAt(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        if not isinstance(ins[0], FlowSeq):
            raise UnknownLayerError("SequenceAt of something other than SplitToSequence")
        (i,) = self._const(ins[1], "SequenceAt", "position").ints("position")
        if not is_number(i) or not -len(ins[0].items) <= int(i) < len(ins[0].items):
            raise ShapeError(f"SequenceAt position {i} is out of range for {len(ins[0].items)} items")
        return [ins[0].items[int(i)]]

    def op_Gather(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        if not isinstance(ins[0], Flow) and isinstance(ins[1], Flow):
            table = self._const(ins[0], "Gather", "table")
            if len(table.shape) != 2 or int(attrs.get("axis", 0)) != 0:
                raise UnknownLayerError(f"Gather from a constant of shape {list(table.shape)}")
            key = tuple(sorted(table.sources))
            layer = self._shared(key, lambda: self._torch(
                "Embedding", num_embeddings=table.shape[0], embedding_dim=table.shape[1]))
            return [self._add(node, layer, [ins[1]])]
        x = self._flow(ins[0], "Gather")
        idx = self._const(ins[1], "Gather", "indices")
        return [self._add(node, GatherOp(axis=int(attrs.get("axis", 0)), index_shape=idx.shape), [x])]

    def _reduce(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], node.op_type)
        if node.op_type in ("ArgMax", "ArgMin"):
            axes: Any = [int(attrs.get("axis", 0))]
        elif len(ins) > 1 and ins[1] is not None:
            axes = self._const(ins[1], node.op_type, "axes").ints("axes")
        else:
            axes = attrs.get("axes")
        if not axes:
            axes = [] if attrs.get("noop_with_empty_axes", 0) else None
        return [self._add(node, Reduce(op=node.op_type, axes=axes, keepdims=bool(attrs.get("keepdims", 1))), [x])]

    op_ReduceMean = op_ReduceMax = op_ReduceMin = op_ReduceSum = op_ReduceProd = op_ReduceL2 = op_ReduceL1 = (
        _reduce
    )
    op_ReduceLogSumExp = op_ReduceSumSquare = op_ArgMax = op_ArgMin = _reduce

    def op_Pad(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], "Pad")
        rank = len(x.shape)
        if len(ins) > 1 and ins[1] is not None:
            pads = self._const(ins[1], "Pad", "pads").ints("pads")
        else:
            pads = list(attrs.get("pads", []))
        axes = list(range(rank))
        if len(ins) > 3 and ins[3] is not None:
            axes = [a + rank if a < 0 else a for a in self._const(ins[3], "Pad", "axes").ints("axes")]
        if len(pads) != 2 * len(axes):
            raise ShapeError(f"Pad amounts {pads} do not fit {len(axes)} axes")
        before, after = [0] * rank, [0] * rank
        for i, a in enumerate(axes):
            before[a], after[a] = pads[i], pads[i + len(axes)]
        return [self._pad_layer(node, x, before, after, "")]

    def op_Resize(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], node.op_type)
        rank = len(x.shape)
        if node.op_type == "Upsample" and "scales" in attrs:
            scales: list[Any] | None = list(attrs["scales"])
            sizes = None
        else:
            scale_in = ins[1] if node.op_type == "Upsample" else (ins[2] if len(ins) > 2 else None)
            size_in = ins[3] if node.op_type == "Resize" and len(ins) > 3 else None
            scales = None
            sizes = None
            if size_in is not None and prod(self._const(size_in, "Resize", "sizes").shape) > 0:
                sizes = size_in.ints("Resize sizes")
            elif scale_in is not None:
                scales = [float(v) for v in self._const(scale_in, "Resize", "scales").values().reshape(-1).tolist()]
                if not all(math.isfinite(v) and v > 0 for v in scales):
                    raise ShapeError(f"Resize scales must be positive numbers, got {scales}")
            else:
                raise ShapeError(f"{node.op_type} has neither scales nor sizes")
        if attrs.get("axes"):
            raise UnknownLayerError("Resize with axes is not supported")
        if sizes is not None:
            if len(sizes) != rank:
                raise ShapeError(f"Resize sizes {sizes} do not fit {format_shape(x.shape)}")
            if any(is_number(a) and is_number(b) and a != b for a, b in zip(sizes[:2], x.shape[:2])):
                raise UnknownLayerError("Resize of the batch or channel axis is not supported")
            layer = self._torch("Upsample", size=tuple(sizes[2:]))
        else:
            assert scales is not None
            if len(scales) != rank:
                raise ShapeError(f"Resize scales {scales} do not fit {format_shape(x.shape)}")
            if scales[0] != 1 or scales[1] != 1:
                raise UnknownLayerError("Resize of the batch or channel axis is not supported")
            layer = self._torch("Upsample", scale_factor=tuple(scales[2:]))
        return [self._add(node, layer, [x])]

    op_Upsample = op_Resize

    def op_Expand(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], "Expand")
        target = tuple(self._const(ins[1], "Expand", "shape").ints("Expand shape"))
        return [self._add(node, ExpandTo(shape=target), [x])]


def _one_copy(init: Const) -> tuple[Any, ...]:
    """An initializer's shape, or one slice of it where it holds the same values once per image.

    The dynamo exporter folds ``cls_token.expand(N, -1, -1)`` at the traced batch into an
    initializer of N equal (1, 1, D) slices: one parameter, N copies.
    """
    shape = tuple(init.shape)
    if len(shape) < 2 or not is_number(shape[0]) or shape[0] < 2:
        return shape
    try:
        values = init.values()
    except UnknownLayerError:  # values not in the file: its shape is all there is
        return shape
    first = values[0]
    if all((values[i] == first).all() for i in range(1, int(shape[0]))):
        return (1, *shape[1:])
    return shape
