"""The op table, part 1: ops that become torch layers with weights (Conv, Gemm/MatMul, norms, PReLU) and pooling."""

from __future__ import annotations

from typing import Any

from ...errors import ArgumentError, ShapeError, UnknownLayerError
from ...formulas import floor_div, is_number, prod, simplify_int
from ...layers.base import format_shape
from .builder import GraphBuilder
from .layers import MatMulOp
from .values import Const, Flow


class LearnedOps(GraphBuilder):
    """Handlers ``op_<OpType>(index, node, inputs, attributes) -> outputs`` for layers that learn."""

    # ---- convolutions ------------------------------------------------------------------
    def _conv_args(self, op: str, ins: list[Any], attrs: dict[str, Any]) -> tuple[Flow, Const, int, list[int],
                                                                                    list[int], list[int]]:
        """The input, the weight, the rank, kernel, strides and dilations of a Conv or ConvTranspose."""
        x = self._flow(ins[0], op)
        w = self._const(ins[1] if len(ins) > 1 else None, op, "weight")
        rank = len(w.shape) - 2
        if rank not in (1, 2, 3) or len(x.shape) != rank + 2:
            raise ShapeError(f"{op} weight {list(w.shape)} does not fit input {format_shape(x.shape)}")
        kernel = self._ints(attrs, "kernel_shape", w.shape[2:])
        strides = self._ints(attrs, "strides", [1] * rank)
        dilations = self._ints(attrs, "dilations", [1] * rank)
        return x, w, rank, kernel, strides, dilations

    def op_Conv(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x, w, rank, kernel, strides, dilations = self._conv_args("Conv", ins, attrs)
        group = int(attrs.get("group", 1))
        pads = self._pads(attrs, x.shape[2:], kernel, strides, dilations)
        bias = len(ins) > 2 and self._learned(ins[2])
        symmetric = all(b == e for b, e in pads)
        if not symmetric:
            x = self._pad_layer(node, x, [0, 0, *(b for b, _ in pads)], [0, 0, *(e for _, e in pads)])
        padding = tuple(b for b, _ in pads) if symmetric else 0
        key = tuple(sorted(w.sources | (ins[2].sources if bias else frozenset())))
        layer = self._shared(key, lambda: self._torch(
            f"Conv{rank}d", in_channels=w.shape[1] * group, out_channels=w.shape[0], kernel_size=tuple(kernel),
            stride=tuple(strides), padding=padding, dilation=tuple(dilations), groups=group, bias=bias))
        return [self._add(node, layer, [x])]

    def op_ConvTranspose(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x, w, rank, kernel, strides, dilations = self._conv_args("ConvTranspose", ins, attrs)
        out_pad = self._ints(attrs, "output_padding", [0] * rank)
        group = int(attrs.get("group", 1))
        sizes = x.shape[2:]
        full = [simplify_int((n - 1) * s + d * (k - 1) + op + 1)
                for n, k, s, d, op in zip(sizes, kernel, strides, dilations, out_pad)]
        auto = attrs.get("auto_pad", "NOTSET") or "NOTSET"
        target = attrs.get("output_shape")
        if target:
            target = list(target)[-rank:]
        elif auto in ("SAME_UPPER", "SAME_LOWER"):
            target = [simplify_int(n * s) for n, s in zip(sizes, strides)]
        if target:
            totals = [simplify_int(f - t) for f, t in zip(full, target)]
            halves = [floor_div(t, 2) for t in totals]
            pads = [(simplify_int(t - h), h) for t, h in zip(totals, halves)]
            if auto == "SAME_LOWER":
                pads = [(e, b) for b, e in pads]
        elif auto == "VALID":
            pads = [(0, 0)] * rank
        else:
            raw = self._ints(attrs, "pads", [0] * (2 * rank))
            if len(raw) != 2 * rank:
                raise ArgumentError(f"pads must have {2 * rank} values, got {raw}")
            pads = [(raw[i], raw[i + rank]) for i in range(rank)]
        bias = len(ins) > 2 and self._learned(ins[2])
        symmetric = all(b == e and is_number(b) and b >= 0 for b, e in pads)
        key = tuple(sorted(w.sources | (ins[2].sources if bias else frozenset())))
        layer = self._shared(key, lambda: self._torch(
            f"ConvTranspose{rank}d", in_channels=w.shape[0], out_channels=w.shape[1] * group,
            kernel_size=tuple(kernel), stride=tuple(strides), padding=tuple(b for b, _ in pads) if symmetric else 0,
            output_padding=tuple(out_pad), dilation=tuple(dilations), groups=group, bias=bias))
        y = self._add(node, layer, [x])
        if not symmetric:
            y = self._pad_layer(node, y, [0, 0, *(-b for b, _ in pads)], [0, 0, *(-e for _, e in pads)])
        return [y]

    # ---- dense -----------------------------------------------------------------------------
    def op_Gemm(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        a = self._flow(ins[0], "Gemm", "A")
        if attrs.get("transA", 0):
            raise UnknownLayerError("Gemm with transA=1 is not supported")
        if isinstance(ins[1], Flow):
            return [self._add(node, MatMulOp(), [a, ins[1]])]
        b = self._const(ins[1], "Gemm", "B")
        if len(b.shape) != 2 or len(a.shape) != 2:
            raise ShapeError(f"Gemm of {format_shape(a.shape)} and {list(b.shape)}: both need rank 2")
        out, k = (b.shape[0], b.shape[1]) if attrs.get("transB", 0) else (b.shape[1], b.shape[0])
        bias = len(ins) > 2 and self._learned(ins[2])
        key = tuple(sorted(b.sources | (ins[2].sources if bias else frozenset())))
        layer = self._shared(key, lambda: self._torch("Linear", in_features=k, out_features=out, bias=bias))
        return [self._add(node, layer, [a])]

    def op_MatMul(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        if isinstance(ins[0], Flow) and isinstance(ins[1], Flow):
            return [self._add(node, MatMulOp(), [ins[0], ins[1]])]
        a = self._flow(ins[0], "MatMul", "left operand")
        b = self._const(ins[1], "MatMul", "weight")
        if len(b.shape) != 2:
            raise UnknownLayerError(f"MatMul with a constant of shape {list(b.shape)} (not a weight matrix)")
        k, out = b.shape
        bias_const, add_index = self._bias_after(node, out)
        bias = bias_const is not None
        key = tuple(sorted(b.sources | (bias_const.sources if bias else frozenset())))
        layer = self._shared(key, lambda: self._torch("Linear", in_features=k, out_features=out, bias=bias))
        y = self._add(node, layer, [a])
        if add_index is not None:
            self.skip.add(add_index)
            self.values[self.graph.node[add_index].output[0]] = y
        return [y]

    def _bias_after(self, node: Any, out: int) -> tuple[Any, int | None]:
        """The Add of a bias initializer that directly follows a MatMul belongs to its Linear."""
        result = node.output[0]
        users = self.consumers.get(result, [])
        if len(users) != 1 or result in self.outputs:
            return None, None
        add = self.graph.node[users[0]]
        if add.op_type != "Add" or len(add.input) != 2:
            return None, None
        other = add.input[1] if add.input[0] == result else add.input[0]
        value = self.values.get(other)
        if isinstance(value, Const) and value.sources and value.shape in ((out,), (1, out)) and not (
            value.sources & self.claimed
        ):
            return value, users[0]
        return None, None

    # ---- normalisation --------------------------------------------------------------------
    def op_BatchNormalization(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], "BatchNormalization")
        rank = len(x.shape)
        cls = {2: "BatchNorm1d", 3: "BatchNorm1d", 4: "BatchNorm2d", 5: "BatchNorm3d"}.get(rank)
        if cls is None:
            raise ShapeError(f"BatchNormalization of an input of rank {rank}")
        consts = [self._const(v, "BatchNormalization", "parameter") for v in ins[1:5]]
        affine = self._learned(consts[0])
        key = tuple(sorted(frozenset().union(*(c.sources for c in consts))))
        layer = self._shared(key, lambda: self._torch(cls, num_features=x.shape[1], affine=affine))
        return [self._add(node, layer, [x])]

    def op_InstanceNormalization(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], "InstanceNormalization")
        rank = len(x.shape) - 2
        affine = self._learned(ins[1])
        key = tuple(sorted(frozenset().union(*(c.sources for c in ins[1:3] if c is not None)))) if affine else ()
        layer = self._shared(key, lambda: self._torch(f"InstanceNorm{rank}d", num_features=x.shape[1], affine=affine))
        return [self._add(node, layer, [x])]

    def op_LayerNormalization(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], "LayerNormalization")
        axis = int(attrs.get("axis", -1))
        axis = axis + len(x.shape) if axis < 0 else axis
        affine = self._learned(ins[1])
        bias = len(ins) > 2 and self._learned(ins[2])
        key = tuple(sorted(frozenset().union(*(c.sources for c in ins[1:3] if c is not None)))) if affine else ()
        layer = self._shared(key, lambda: self._torch(
            "LayerNorm", normalized_shape=tuple(x.shape[axis:]), elementwise_affine=affine, bias=bias))
        return [self._add(node, layer, [x])]

    def op_GroupNormalization(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], "GroupNormalization")
        key = tuple(sorted(frozenset().union(*(c.sources for c in ins[1:3] if c is not None))))
        layer = self._shared(key, lambda: self._torch(
            "GroupNorm", num_groups=int(attrs.get("num_groups", 1)), num_channels=x.shape[1], affine=bool(key)))
        return [self._add(node, layer, [x])]

    # ---- pooling --------------------------------------------------------------------------
    def _pool(self, node: Any, ins: list[Any], attrs: dict[str, Any], kind: str) -> list[Any]:
        x = self._flow(ins[0], node.op_type)
        rank = len(x.shape) - 2
        kernel = self._ints(attrs, "kernel_shape", [])
        if len(kernel) != rank or rank not in (1, 2, 3):
            raise ShapeError(f"{node.op_type} kernel_shape {kernel} does not fit input {format_shape(x.shape)}")
        strides = self._ints(attrs, "strides", [1] * rank)
        dilations = self._ints(attrs, "dilations", [1] * rank)
        pads = self._pads(attrs, x.shape[2:], kernel, strides, dilations)
        ceil_mode = bool(attrs.get("ceil_mode", 0))
        direct = all(b == e and is_number(b) and b <= k // 2 for (b, e), k in zip(pads, kernel))
        if not direct:
            x = self._pad_layer(node, x, [0, 0, *(b for b, _ in pads)], [0, 0, *(e for _, e in pads)])
        kwargs: dict[str, Any] = {"kernel_size": tuple(kernel), "stride": tuple(strides),
                                  "padding": tuple(b for b, _ in pads) if direct else 0, "ceil_mode": ceil_mode}
        if kind == "MaxPool":
            kwargs["dilation"] = tuple(dilations)
        elif any(d != 1 for d in dilations):
            raise UnknownLayerError(f"{node.op_type} with dilations {dilations} is not supported")
        return [self._add(node, self._torch(f"{kind}{rank}d", **kwargs), [x])]

    def op_MaxPool(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        y = self._pool(node, ins, attrs, "MaxPool")
        return y + y  # the optional Indices output has the output's shape

    def op_AveragePool(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        return self._pool(node, ins, attrs, "AvgPool")

    op_LpPool = op_AveragePool

    def _global(self, node: Any, ins: list[Any], kind: str) -> list[Any]:
        x = self._flow(ins[0], node.op_type)
        rank = len(x.shape) - 2
        if rank not in (1, 2, 3):
            raise ShapeError(f"{node.op_type} needs (N, C, ...) with 1-3 spatial axes, got {format_shape(x.shape)}")
        return [self._add(node, self._torch(f"Adaptive{kind}Pool{rank}d", output_size=1), [x])]

    def op_GlobalAveragePool(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        return self._global(node, ins, "Avg")

    def op_GlobalMaxPool(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        return self._global(node, ins, "Max")

    op_GlobalLpPool = op_GlobalAveragePool

    def op_PRelu(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], "PRelu")
        slope = self._const(ins[1], "PRelu", "slope")
        key = tuple(sorted(slope.sources))
        layer = self._shared(key, lambda: self._torch("PReLU", num_parameters=prod(slope.shape)))
        return [self._add(node, layer, [x])]

