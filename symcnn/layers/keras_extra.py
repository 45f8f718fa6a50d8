"""``keras.ops`` calls recorded in functional graphs, and keras.applications' own layers.

A functional model that calls ``keras.ops.add(x, y)`` records a parameter-free
operation with class name ``Add`` from module ``keras.src.ops.numpy``. Several
such names are also Keras layer names (Add, Multiply, Concatenate, Reshape ...)
with other rules (``ops.Reshape`` takes ``newshape`` *including* the batch axis),
so the op classes here register as ``"ops." + class_name`` and the Keras reader
looks that key up first for entries whose module is ``keras.src.ops...``.
Shapes follow keras/src/ops/operation_utils.py (broadcasting, reductions,
reshape, expand_dims ...). An op symcnn has no rule for is simply not
registered, so the reader reports it as an unknown layer.

Ops called with constants (``x * 2.0``, ``ops.matmul(x, w)``) are built with
``from_call(config, args, kwargs)``: the reader passes the call's arguments
with each tensor replaced by an object carrying its input ``index``.

Symcnn shapes keep the batch axis first, so an op that removes or moves the
batch axis (a reduction over axis 0, a transpose that moves it) is a ShapeError.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import sympy

from ..errors import ArgumentError, ShapeError
from ..formulas import Dim, is_number, prod, simplify_int
from .base import Layer, Shape, Weight, as_dim, batch_of, format_shape
from .merge import Concatenate

_BASE_KEYS = ("name", "trainable")


# ---- helpers --------------------------------------------------------------------------------


def _same(a: Dim, b: Dim) -> bool:
    if is_number(a) and is_number(b):
        return int(a) == int(b)  # type: ignore[arg-type]
    return sympy.simplify(_expr(a) - b) == 0


def _expr(x: Dim) -> sympy.Expr:
    return sympy.Integer(x) if isinstance(x, int) else x


def broadcast_shapes(shapes: Sequence[Shape], who: str) -> Shape:
    """Keras ops broadcasting (operation_utils.broadcast_shapes): None meets d gives d.

    >>> broadcast_shapes([(None, 4, 1), (5,), (None, 1, 1)], "Add")
    (None, 4, 5)
    """
    out: list[Any] = []
    rank = max(len(s) for s in shapes)
    for axis in zip(*[(1,) * (rank - len(s)) + tuple(s) for s in shapes]):
        size: Any = 1
        for d in axis:
            if d == 1:
                continue
            if size == 1 or size is None:
                size = d if d is not None or size == 1 else size
            elif d is not None and not _same(size, d):
                raise ShapeError(f"{who}: shapes {', '.join(format_shape(s) for s in shapes)} do not broadcast")
        out.append(size)
    return tuple(out)


def _is_tensor(value: Any) -> bool:
    return type(value).__name__ == "TensorArg" and isinstance(getattr(value, "index", None), int)


def constant_shape(value: Any, who: str) -> Shape:
    """The shape of a constant argument: a number, a nested list, or Keras's __numpy__/__tensor__ record.

    >>> constant_shape(2.0, "Add"), constant_shape({"class_name": "__numpy__", "config": {"value": [[1, 2, 3]]}}, "Add")
    ((), (1, 3))
    """
    if isinstance(value, (bool, int, float)):
        return ()
    if isinstance(value, Mapping) and value.get("class_name") in ("__numpy__", "__tensor__"):
        config = value.get("config")
        return constant_shape(config.get("value") if isinstance(config, Mapping) else None, who)
    if isinstance(value, list):
        if not value:
            return (0,)
        inner = {constant_shape(v, who) for v in value}
        if len(inner) != 1:
            raise ArgumentError(f"{who}: a constant argument is a ragged list")
        return (len(value), *inner.pop())
    raise ArgumentError(f"{who}: cannot tell the shape of the argument {value!r}")


def _canonical(axis: Any, rank: int, who: str) -> int:
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ArgumentError(f"{who}: axis must be an integer, got {axis!r}")
    if not -rank <= axis < rank:
        raise ShapeError(f"{who}: axis {axis} is out of range for rank {rank}")
    return axis + rank if axis < 0 else axis


def _axes(value: Any, rank: int, who: str) -> list[int]:
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    return [_canonical(a, rank, who) for a in items]


def _keep_batch(layer: Layer, axes: Sequence[int], what: str) -> None:
    if 0 in axes:
        raise ShapeError(f"{layer.class_name} {what} the batch axis; symcnn keeps the batch axis first")


def _register(cls: type[Layer], *names: str) -> type[Layer]:
    for name in names:
        Layer.registry[f"ops.{name}"] = cls
    return cls


class _Op(Layer, register=False):
    """A ``keras.ops`` operation: no weights; shown under Keras's own class name."""

    op_name: ClassVar[str] = ""
    arity = None

    @property
    def class_name(self) -> str:
        return self.op_name or type(self).__name__

    def _inputs(self, inputs: list[Shape], count: int | None = 1) -> list[Shape]:
        if count is not None and len(inputs) != count:
            raise ShapeError(f"{self.class_name} takes {count} tensor input(s), got {len(inputs)}")
        if not inputs:
            raise ShapeError(f"{self.class_name} needs a tensor input")
        return inputs


def _make(base: type[_Op], names: Sequence[str], doc: str) -> None:
    for name in names:
        cls = type(f"_Op{name}", (base,), {"op_name": name, "__doc__": f"keras.ops {name}: {doc}"}, register=False)
        _register(cls, name)


# ---- element-wise -----------------------------------------------------------------------------


class _Unary(_Op, register=False):
    """Element-wise on one tensor: the shape is unchanged, whatever the op's other settings."""

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return self._inputs(inputs)[0]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Layer:
        return cls(**{k: config[k] for k in _BASE_KEYS if k in config})


_make(_Unary, (
    # keras.ops.nn activations
    "Relu", "Relu6", "Sigmoid", "SparseSigmoid", "Softplus", "Softsign", "SoftShrink", "SparsePlus", "Silu",
    "Squareplus", "LogSigmoid", "LeakyRelu", "HardSigmoid", "HardSilu", "Elu", "Selu", "Gelu", "Celu",
    "TanhShrink", "HardTanh", "HardShrink", "Threshold", "Softmax", "LogSoftmax", "Sparsemax", "Normalize",
    # keras.ops.numpy / math / core element-wise functions
    "Absolute", "Fabs", "Arccos", "Arccosh", "Arcsin", "Arcsinh", "Arctan", "Arctanh", "BitwiseInvert", "BitwiseNot",
    "Cbrt", "Ceil", "Clip", "Conjugate", "Copy", "Cos", "Cosh", "Deg2rad", "Rad2deg", "Exp", "Exp2", "Expm1", "Floor",
    "Isfinite", "Isinf", "Isnan", "Isneginf", "Isposinf", "Log", "Log10", "Log1p", "Log2", "LogicalNot", "NanToNum",
    "Negative", "OnesLike", "ZerosLike", "EmptyLike", "Reciprocal", "Round", "Sign", "Signbit", "Sin", "Sinc", "Sinh",
    "Square", "Sqrt", "Tan", "Tanh", "Trunc", "Flip", "Fliplr", "Flipud", "Roll", "Tril", "Triu",
    "Rsqrt", "Erf", "Erfc", "Erfinv", "Cast", "SaturateCast", "StopGradient",
), "element-wise, shape unchanged")


class _Elementwise(_Op, register=False):
    """Element-wise on several operands; tensors and constants broadcast (Keras ops rules)."""

    def __init__(self, **base: Any) -> None:
        super().__init__(**base)
        self.constants: tuple[Shape, ...] = ()

    @classmethod
    def from_call(cls, config: Mapping[str, Any], args: Any, kwargs: Any) -> Layer:
        layer = cls.from_config(config)
        values = [*(args or ()), *(v for k, v in (kwargs or {}).items() if k != "name")]
        layer.constants = tuple(  # type: ignore[attr-defined]
            constant_shape(v, layer.class_name) for v in values if v is not None and not _is_tensor(v)
        )
        return layer

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self._inputs(inputs, None)
        return broadcast_shapes([*inputs, *self.constants], self.class_name)


_make(_Elementwise, (
    "Add", "Subtract", "Multiply", "Divide", "DivideNoNan", "TrueDivide", "Power", "Maximum", "Minimum", "Fmax",
    "Fmin", "Mod", "Fmod", "FloorDivide", "Arctan2", "Hypot", "Heaviside", "Logaddexp", "Logaddexp2", "Equal",
    "NotEqual", "Greater", "GreaterEqual", "Less", "LessEqual", "LogicalAnd", "LogicalOr", "LogicalXor",
    "BitwiseAnd", "BitwiseOr", "BitwiseXor", "Nextafter", "Ldexp", "Gcd", "Lcm",
), "element-wise, operands broadcast")


# ---- reductions -------------------------------------------------------------------------------


class _Reduce(_Op, register=False):
    """Reduces ``axis`` (all axes when None); ``keepdims`` keeps them as size 1."""

    def __init__(self, axis: Any = None, keepdims: bool = False, initial: Any = None, **base: Any) -> None:
        super().__init__(**base)
        if axis is not None and not isinstance(axis, (int, list, tuple)) or isinstance(axis, bool):
            raise ArgumentError(f"axis must be an integer, a list of integers or None, got {axis!r}")
        if not isinstance(keepdims, bool):
            raise ArgumentError(f"keepdims must be true or false, got {keepdims!r}")
        self.axis = axis
        self.keepdims = keepdims

    def hyperparameters(self) -> dict[str, Any]:
        return {"axis": self.axis, "keepdims": self.keepdims}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = list(self._inputs(inputs)[0])
        axes = list(range(len(shape))) if self.axis is None else _axes(self.axis, len(shape), self.class_name)
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(shape))
        _keep_batch(self, axes, "removes")
        return tuple(d for i, d in enumerate(shape) if i not in axes)


_make(_Reduce, (
    "Mean", "Sum", "Max", "Min", "Amax", "Amin", "Prod", "Std", "Var", "All", "Any", "Argmax", "Argmin",
    "Logsumexp", "Median", "Nanmean", "Nansum", "Nanmax", "Nanmin", "Nanprod", "Nanstd", "Nanvar",
), "a reduction")


# ---- shape changes ----------------------------------------------------------------------------


class _OpReshape(_Op, register=False):
    """``keras.ops.reshape(x, newshape)``: ``newshape`` includes the batch axis; one entry may be -1."""

    op_name = "Reshape"

    def __init__(self, newshape: Any = None, **base: Any) -> None:
        super().__init__(**base)
        if not isinstance(newshape, (list, tuple)):
            newshape = [newshape]
        self.newshape = tuple(-1 if d == -1 and not isinstance(d, bool) else as_dim(d, "newshape") for d in newshape)
        if self.newshape.count(-1) > 1:
            raise ArgumentError(f"newshape may hold at most one -1, got {list(newshape)!r}")

    def hyperparameters(self) -> dict[str, Any]:
        return {"newshape": self.newshape}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._inputs(inputs)[0]
        if None in shape:
            return tuple(None if d == -1 else d for d in self.newshape)
        size = prod(shape)
        known = prod(d for d in self.newshape if d != -1)
        if -1 not in self.newshape:
            if is_number(size) and is_number(known) and size != known:
                raise ShapeError(f"cannot reshape {format_shape(shape)} ({size} values) into {self.newshape}")
            return self.newshape
        if is_number(size) and is_number(known):
            if size % known:
                raise ShapeError(f"cannot reshape {format_shape(shape)} ({size} values) into {self.newshape}")
            rest: Dim = size // known
        else:
            rest = simplify_int(sympy.factor(_expr(size) / known))
        return tuple(rest if d == -1 else d for d in self.newshape)


class _OpTranspose(_Op, register=False):
    op_name = "Transpose"

    def __init__(self, axes: Any = None, **base: Any) -> None:
        super().__init__(**base)
        if axes is not None and not isinstance(axes, (list, tuple)):
            raise ArgumentError(f"axes must be a list of axis numbers, got {axes!r}")
        self.axes = None if axes is None else tuple(axes)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._inputs(inputs)[0]
        rank = len(shape)
        axes = list(range(rank))[::-1] if self.axes is None else _axes(self.axes, rank, self.class_name)
        if sorted(axes) != list(range(rank)):
            raise ShapeError(f"Transpose: axes {self.axes} are not a permutation of the {rank} axes")
        if axes[0] != 0:
            raise ShapeError("Transpose moves the batch axis; symcnn keeps the batch axis first")
        return tuple(shape[a] for a in axes)


class _OpExpandDims(_Op, register=False):
    op_name = "ExpandDims"

    def __init__(self, axis: Any = None, **base: Any) -> None:
        super().__init__(**base)
        self.axis = axis

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = list(self._inputs(inputs)[0])
        axis = [len(shape)] if self.axis is None else self.axis
        items = list(axis) if isinstance(axis, (list, tuple)) else [axis]
        axes = _axes(items, len(shape) + len(items), self.class_name)
        if len(set(axes)) != len(axes):
            raise ShapeError(f"ExpandDims: axis {self.axis} repeats an axis")
        _keep_batch(self, axes, "moves")
        it = iter(shape)
        return tuple(1 if i in axes else next(it) for i in range(len(shape) + len(items)))


class _OpSqueeze(_Op, register=False):
    op_name = "Squeeze"

    def __init__(self, axis: Any = None, **base: Any) -> None:
        super().__init__(**base)
        self.axis = axis

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = list(self._inputs(inputs)[0])
        if self.axis is None:
            axes = [i for i, d in enumerate(shape) if d == 1]
        else:
            axes = _axes(self.axis, len(shape), self.class_name)
            for a in axes:
                if shape[a] != 1:
                    raise ShapeError(f"Squeeze: axis {a} of {format_shape(tuple(shape))} is not of size 1")
        _keep_batch(self, axes, "removes")
        return tuple(d for i, d in enumerate(shape) if i not in axes)


class _OpConcatenate(Concatenate, register=False):
    """``keras.ops.concatenate(xs, axis)``: as the Concatenate layer."""

    @property
    def class_name(self) -> str:
        return "Concatenate"


class _OpStack(_Op, register=False):
    op_name = "Stack"

    def __init__(self, axis: Any = 0, **base: Any) -> None:
        super().__init__(**base)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ArgumentError(f"axis must be an integer, got {axis!r}")
        self.axis = axis

    def output_shape(self, inputs: list[Shape]) -> Shape:
        first = self._inputs(inputs, None)[0]
        for s in inputs[1:]:
            if len(s) != len(first) or any(a is not None and b is not None and not _same(a, b) for a, b in zip(s, first)):
                raise ShapeError(f"Stack needs inputs of one shape, got {', '.join(format_shape(x) for x in inputs)}")
        (axis,) = _axes(self.axis, len(first) + 1, self.class_name)
        _keep_batch(self, [axis], "moves")
        out = list(first)
        out.insert(axis, len(inputs))
        return tuple(out)


class _OpPad(_Op, register=False):
    """``keras.ops.pad(x, pad_width)``: (before, after) per axis, batch axis included."""

    op_name = "Pad"

    def __init__(self, pad_width: Any = None, mode: Any = "constant", **base: Any) -> None:
        super().__init__(**base)
        self.pad_width = pad_width

    def _pairs(self, rank: int) -> list[tuple[Dim, Dim]]:
        pw = self.pad_width
        if not isinstance(pw, (list, tuple)):
            p = as_dim(pw, "pad_width", allow_zero=True)
            return [(p, p)] * rank
        if pw and not isinstance(pw[0], (list, tuple)):
            pw = [pw]
        pairs = []
        for pair in pw:
            if not isinstance(pair, (list, tuple)) or len(pair) not in (1, 2):
                raise ArgumentError(f"pad_width must hold (before, after) pairs, got {self.pad_width!r}")
            a = as_dim(pair[0], "pad_width", allow_zero=True)
            pairs.append((a, as_dim(pair[-1], "pad_width", allow_zero=True)))
        if len(pairs) == 1:
            return pairs * rank
        if len(pairs) != rank:
            raise ShapeError(f"Pad: pad_width has {len(pairs)} pairs for an input of rank {rank}")
        return pairs

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._inputs(inputs)[0]
        return tuple(None if d is None else simplify_int(d + a + b) for d, (a, b) in zip(shape, self._pairs(len(shape))))


class _OpMatmul(_Op, register=False):
    """``keras.ops.matmul(a, b)``: NumPy's matmul shapes. fvcore counts batch·n·k·m multiply-adds."""

    op_name = "Matmul"

    def __init__(self, **base: Any) -> None:
        super().__init__(**base)
        self.operands: tuple[Any, ...] = ()  # per operand: an input index (int) or a constant shape (tuple)

    @classmethod
    def from_call(cls, config: Mapping[str, Any], args: Any, kwargs: Any) -> Layer:
        layer = cls.from_config(config)
        values = [*(args or ()), *(v for k, v in (kwargs or {}).items() if k != "name")]
        layer.operands = tuple(  # type: ignore[attr-defined]
            v.index if _is_tensor(v) else constant_shape(v, "Matmul") for v in values
        )
        return layer

    def _operands(self, inputs: list[Shape]) -> list[Shape]:
        if not self.operands:
            return self._inputs(inputs, 2)
        if any(isinstance(o, int) and o >= len(inputs) for o in self.operands):
            raise ShapeError(f"Matmul: the call names tensor inputs the graph does not give ({len(inputs)} given)")
        ops = [inputs[o] if isinstance(o, int) else o for o in self.operands]
        if len(ops) != 2:
            raise ShapeError(f"Matmul takes two operands, got {len(ops)}")
        return ops

    def _parts(self, inputs: list[Shape]) -> tuple[Shape, Dim]:
        a, b = self._operands(inputs)
        if not a or not b:
            raise ShapeError("Matmul does not take scalars")
        a2 = (1, *a) if len(a) == 1 else tuple(a)
        b2 = (*b, 1) if len(b) == 1 else tuple(b)
        k1, k2 = a2[-1], b2[-2]
        if k1 is not None and k2 is not None and not _same(k1, k2):
            raise ShapeError(f"Matmul: inner sizes differ, {format_shape(tuple(a))} @ {format_shape(tuple(b))}")
        batch = broadcast_shapes([a2[:-2], b2[:-2]], "Matmul") if len(a2) > 2 or len(b2) > 2 else ()
        out = [*batch, *([a2[-2]] if len(a) > 1 else []), *([b2[-1]] if len(b) > 1 else [])]
        return tuple(out), (k1 if k1 is not None else k2)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return self._parts(inputs)[0]

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        out, k = self._parts(inputs)
        if k is None or any(d is None for d in out[1:]):
            return 0
        return prod([batch_of(out) if out else 1, *out[1:], k])


class _OpGetItem(_Op, register=False):
    """``x[...]`` on a tensor: NumPy basic indexing (ints, slices, None, Ellipsis)."""

    op_name = "GetItem"

    def __init__(self, **base: Any) -> None:
        super().__init__(**base)
        self.key: tuple[Any, ...] = ()

    @classmethod
    def from_call(cls, config: Mapping[str, Any], args: Any, kwargs: Any) -> Layer:
        layer = cls.from_config(config)
        if len(args or ()) != 2 or not _is_tensor(args[0]):
            raise ArgumentError("GetItem needs a tensor and an index")
        key = args[1] if isinstance(args[1], (list, tuple)) else [args[1]]
        items: list[Any] = []
        for k in key:
            if isinstance(k, Mapping) and k.get("class_name") == "__ellipsis__":
                items.append(Ellipsis)
            elif k is None or isinstance(k, slice) or (isinstance(k, int) and not isinstance(k, bool)):
                items.append(k)
            else:
                raise ArgumentError(f"GetItem: index {k!r} is not an int, slice, None or ...")
        if items.count(Ellipsis) > 1:
            raise ArgumentError("GetItem: an index can hold only one ...")
        layer.key = tuple(items)  # type: ignore[attr-defined]
        return layer

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._inputs(inputs)[0]
        key = list(self.key)
        used = sum(1 for k in key if k is not None and k is not Ellipsis)
        if used > len(shape):
            raise ShapeError(f"GetItem: too many indices for a tensor of shape {format_shape(shape)}")
        fill = [slice(None)] * (len(shape) - used)
        if Ellipsis in key:
            at = key.index(Ellipsis)
            key[at : at + 1] = fill
        else:
            key += fill
        if key and (key[0] is None or isinstance(key[0], int)):
            raise ShapeError("GetItem changes the batch axis; symcnn keeps the batch axis first")
        out: list[Any] = []
        axis = 0
        for k in key:
            if k is None:
                out.append(1)
                continue
            n = shape[axis]
            if isinstance(k, int):
                if is_number(n) and not -n <= k < n:
                    raise ShapeError(f"GetItem: index {k} is out of range for axis {axis} of size {n}")
            else:
                out.append(_slice_length(n, k))
            axis += 1
        return tuple(out)


def _slice_length(n: Dim | None, s: slice) -> Dim | None:
    if s == slice(None):
        return n
    if n is None:
        return None
    for v in (s.start, s.stop, s.step):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
            raise ArgumentError(f"GetItem: slice bounds must be integers, got {s}")
    if s.step == 0:
        raise ArgumentError("GetItem: slice step cannot be zero")
    if is_number(n):
        return len(range(*s.indices(int(n))))  # type: ignore[arg-type]
    step = s.step or 1
    if step < 0:
        raise ShapeError(f"GetItem: a negative slice step on a symbolic size ({n}) is not supported")

    def bound(v: int | None, default: Dim) -> Dim:
        if v is None:
            return default
        return sympy.Max(0, n + v) if v < 0 else sympy.Min(v, n)

    start, stop = bound(s.start, 0), bound(s.stop, n)
    return simplify_int(sympy.Max(0, sympy.ceiling((stop - start) / step)))


class _OpMoveaxis(_Op, register=False):
    op_name = "Moveaxis"

    def __init__(self, source: Any = None, destination: Any = None, **base: Any) -> None:
        super().__init__(**base)
        self.source = source if isinstance(source, (list, tuple)) else [source]
        self.destination = destination if isinstance(destination, (list, tuple)) else [destination]
        if len(self.source) != len(self.destination):
            raise ArgumentError(f"source and destination must have as many axes, got {source!r} and {destination!r}")

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = list(self._inputs(inputs)[0])
        src = _axes(self.source, len(shape), self.class_name)
        dst = _axes(self.destination, len(shape), self.class_name)
        if len(set(src)) != len(src) or len(set(dst)) != len(dst):
            raise ShapeError(f"Moveaxis: repeated axes in {self.source} or {self.destination}")
        order = [i for i in range(len(shape)) if i not in src]
        for d, a in sorted(zip(dst, src)):
            order.insert(d, a)
        if order[0] != 0:
            raise ShapeError("Moveaxis moves the batch axis; symcnn keeps the batch axis first")
        return tuple(shape[i] for i in order)


class _OpSwapaxes(_Op, register=False):
    op_name = "Swapaxes"

    def __init__(self, axis1: Any = None, axis2: Any = None, **base: Any) -> None:
        super().__init__(**base)
        self.axis1, self.axis2 = axis1, axis2

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = list(self._inputs(inputs)[0])
        a, b = _axes([self.axis1, self.axis2], len(shape), self.class_name)
        _keep_batch(self, [a, b] if a != b else [], "moves")
        shape[a], shape[b] = shape[b], shape[a]
        return tuple(shape)


class _OpRepeat(_Op, register=False):
    """``keras.ops.repeat(x, repeats, axis)``: one count for every element, or one per element of the axis."""

    op_name = "Repeat"

    def __init__(self, repeats: Any = None, axis: Any = None, **base: Any) -> None:
        super().__init__(**base)
        items = repeats if isinstance(repeats, (list, tuple)) else [repeats]
        self.repeats = [as_dim(r, "repeats", allow_zero=True) for r in items]
        if axis is None:
            raise ArgumentError("Repeat without an axis flattens the batch axis away; give axis")
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ArgumentError(f"axis must be an integer, got {axis!r}")
        self.axis = axis

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = list(self._inputs(inputs)[0])
        (axis,) = _axes(self.axis, len(shape), self.class_name)
        n = shape[axis]
        if len(self.repeats) == 1:
            shape[axis] = None if n is None else prod([n, self.repeats[0]])
        elif n is not None:
            if is_number(n) and n != len(self.repeats):
                raise ShapeError(f"Repeat: {len(self.repeats)} counts for an axis of size {n}")
            shape[axis] = simplify_int(sum(self.repeats, start=0))
        if axis == 0 and shape[0] is not None and not _same(shape[0], inputs[0][0]):
            raise ShapeError("Repeat changes the batch axis; symcnn keeps the batch axis first")
        return tuple(shape)


class _OpTile(_Op, register=False):
    op_name = "Tile"

    def __init__(self, repeats: Any = None, **base: Any) -> None:
        super().__init__(**base)
        items = repeats if isinstance(repeats, (list, tuple)) else [repeats]
        self.repeats = [as_dim(r, "repeats", allow_zero=True) for r in items]

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = list(self._inputs(inputs)[0])
        if len(self.repeats) > len(shape):
            raise ShapeError(f"Tile: {len(self.repeats)} counts for rank {len(shape)} add axes before the batch axis")
        reps = [1] * (len(shape) - len(self.repeats)) + list(self.repeats)
        return tuple(None if d is None else prod([d, r]) for d, r in zip(shape, reps))


class _OpBroadcastTo(_Op, register=False):
    op_name = "BroadcastTo"

    def __init__(self, shape: Any = None, **base: Any) -> None:
        super().__init__(**base)
        if not isinstance(shape, (list, tuple)):
            raise ArgumentError(f"shape must be a list of sizes, got {shape!r}")
        self.shape = tuple(None if d is None else as_dim(d, "shape") for d in shape)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        broadcast_shapes([self._inputs(inputs)[0], self.shape], self.class_name)
        return self.shape


class _OpCumulative(_Op, register=False):
    """Cumsum / Cumprod along ``axis`` (shape unchanged); without an axis Keras flattens, batch included."""

    def __init__(self, axis: Any = None, **base: Any) -> None:
        super().__init__(**base)
        if axis is None:
            raise ArgumentError(f"{self.class_name} without an axis flattens the batch axis away; give axis")
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ArgumentError(f"axis must be an integer, got {axis!r}")
        self.axis = axis

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._inputs(inputs)[0]
        _axes(self.axis, len(shape), self.class_name)
        return shape


class _OpOneHot(_Op, register=False):
    op_name = "OneHot"

    def __init__(self, num_classes: Any = None, axis: Any = -1, sparse: Any = False, **base: Any) -> None:
        super().__init__(**base)
        self.num_classes = as_dim(num_classes, "num_classes")
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ArgumentError(f"axis must be an integer, got {axis!r}")
        self.axis = axis

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = list(self._inputs(inputs)[0])
        if self.axis == -1:
            return (*shape, self.num_classes)
        if not 0 <= self.axis < len(shape):
            raise ShapeError(f"OneHot: axis must be -1 or in [0, {len(shape)}), got {self.axis}")
        _keep_batch(self, [self.axis], "moves")
        shape.insert(self.axis, self.num_classes)
        return tuple(shape)


class _OpEinsum(_Op, register=False):
    """``keras.ops.einsum(subscripts, *operands)``, shapes by Keras's rule; fvcore counts every index combination."""

    op_name = "Einsum"

    def __init__(self, subscripts: Any = None, **base: Any) -> None:
        super().__init__(**base)
        if not isinstance(subscripts, str) or len(subscripts) > 200:
            raise ArgumentError(f"subscripts must be an einsum text like 'bij,jk->bik', got {subscripts!r}")
        text = subscripts.replace(" ", "")
        lhs, arrow, rhs = text.partition("->")
        self.specs = lhs.split(",")
        for spec in [*self.specs, rhs]:
            letters = spec.replace("...", "")
            if not all(c.isalpha() for c in letters) or "." in letters:
                raise ArgumentError(f"subscripts: cannot read {subscripts!r}")
        if not arrow:
            once = sorted(c for c in set(lhs) if c.isalpha() and lhs.count(c) == 1)
            rhs = ("..." if "..." in lhs else "") + "".join(once)
        self.output = rhs
        self.subscripts = subscripts
        self.operands: tuple[Any, ...] = ()

    @classmethod
    def from_call(cls, config: Mapping[str, Any], args: Any, kwargs: Any) -> Layer:
        layer = cls.from_config(config)
        values = [*(args or ()), *(v for k, v in (kwargs or {}).items() if k != "name")]
        layer.operands = tuple(  # type: ignore[attr-defined]
            v.index if _is_tensor(v) else constant_shape(v, "Einsum") for v in values
        )
        return layer

    def _solve(self, inputs: list[Shape]) -> tuple[dict[str, Any], Shape, Shape]:
        if self.operands:
            if any(isinstance(o, int) and o >= len(inputs) for o in self.operands):
                raise ShapeError("Einsum: the call names tensor inputs the graph does not give")
            shapes = [inputs[o] if isinstance(o, int) else o for o in self.operands]
        else:
            shapes = self._inputs(inputs, None)
        if len(shapes) != len(self.specs):
            raise ShapeError(f"Einsum: {self.subscripts!r} takes {len(self.specs)} operands, got {len(shapes)}")
        sizes: dict[str, Any] = {}
        wildcards: list[Shape] = []
        for spec, shape in zip(self.specs, shapes):
            before, dots, after = spec.partition("...")
            if not dots and len(spec) != len(shape) or dots and len(before) + len(after) > len(shape):
                raise ShapeError(f"Einsum: {spec!r} does not fit an operand of shape {format_shape(tuple(shape))}")
            tail = len(shape) - len(after)
            wildcards.append(tuple(shape[len(before):tail]) if dots else ())
            for letter, d in [*zip(before, shape[: len(before)]), *zip(after, shape[tail:])]:
                known = sizes.get(letter)
                if known is None or known == 1:
                    sizes[letter] = d if known is None or d is not None else known
                elif d is not None and d != 1 and not _same(known, d):
                    raise ShapeError(f"Einsum: index {letter!r} is {known} in one operand and {d} in another")
        wild = broadcast_shapes(wildcards, "Einsum") if any(wildcards) else ()
        if "..." in self.output:
            first, rest = self.output.split("...", 1)
            out = [*(sizes.get(c, 1) for c in first), *wild, *(sizes.get(c, 1) for c in rest)]
        else:
            out = [sizes.get(c, 1) for c in self.output]
        return sizes, tuple(out), wild if "..." in self.output else ()

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return self._solve(inputs)[1]

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        sizes, _, wild = self._solve(inputs)
        return prod(1 if d is None else d for d in [*sizes.values(), *wild])


_register(_OpMoveaxis, "Moveaxis")
_register(_OpSwapaxes, "Swapaxes")
_register(_OpRepeat, "Repeat")
_register(_OpTile, "Tile")
_register(_OpBroadcastTo, "BroadcastTo")
for _name in ("Cumsum", "Cumprod"):
    _register(type(f"_Op{_name}", (_OpCumulative,), {"op_name": _name}, register=False), _name)
_register(_OpOneHot, "OneHot")
_register(_OpEinsum, "Einsum")
_make(_Elementwise, ("Where",), "select, operands broadcast")


_register(_OpReshape, "Reshape")
_register(_OpTranspose, "Transpose")
_register(_OpExpandDims, "ExpandDims")
_register(_OpSqueeze, "Squeeze")
_register(_OpConcatenate, "Concatenate")
_register(_OpStack, "Stack")
_register(_OpPad, "Pad")
_register(_OpMatmul, "Matmul")
_register(_OpGetItem, "GetItem")


# ---- keras.applications' own layers -----------------------------------------------------------


class LayerScale(Layer):
    """ConvNeXt's LayerScale: x · gamma, gamma of shape (projection_dim,)."""

    def __init__(self, init_values: Any = None, projection_dim: Any = None, **base: Any) -> None:
        super().__init__(**base)
        self.projection_dim = as_dim(projection_dim, "projection_dim")
        if init_values is not None and (isinstance(init_values, bool) or not isinstance(init_values, (int, float))):
            raise ArgumentError(f"init_values must be a number, got {init_values!r}")

    def hyperparameters(self) -> dict[str, Any]:
        return {"projection_dim": self.projection_dim}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return broadcast_shapes([self._one_input(inputs), (self.projection_dim,)], "LayerScale")

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        self.output_shape(inputs)
        return [Weight("gamma", (self.projection_dim,))]


class StochasticDepth(Layer):
    """ConvNeXt's StochasticDepth (drop path): shape unchanged, nothing to learn."""

    def __init__(self, drop_path_rate: Any = 0.0, **base: Any) -> None:
        super().__init__(**base)
        if isinstance(drop_path_rate, bool) or not isinstance(drop_path_rate, (int, float)):
            raise ArgumentError(f"drop_path_rate must be a number, got {drop_path_rate!r}")

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return self._one_input(inputs)


class CustomScaleLayer(Layer):
    """InceptionResNetV2's residual scale: inputs[0] + inputs[1] · scale."""

    arity = 2

    def __init__(self, scale: Any = None, **base: Any) -> None:
        super().__init__(**base)
        if isinstance(scale, bool) or not isinstance(scale, (int, float)):
            raise ArgumentError(f"scale must be a number, got {scale!r}")
        self.scale = scale

    def hyperparameters(self) -> dict[str, Any]:
        return {"scale": self.scale}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        if len(inputs) != 2:
            raise ShapeError(f"CustomScaleLayer takes two inputs, got {len(inputs)}")
        return broadcast_shapes(inputs, "CustomScaleLayer")
