"""How from_torch reads each traced call: tensors in flight, and the table of functional ops.

A traced value is a :class:`_Tensor` (a symcnn node and its shape), a tuple-like result
(an LSTM's ``(out, (h, c))``), or a plain value (``x.size(0)``, a shape tuple, a symbol).
``_OPS`` maps each op name (``add``, ``cat``, ``view``, ``max_pool2d`` ...) to a maker that
returns a layer from :mod:`symcnn.layers.torch.ops` (or another torch-convention layer), the input itself
(``_PASS``), a value, or ``_UNKNOWN``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import sympy

from ..errors import GraphError, ShapeError, UnknownLayerError
from ..formulas import ceil_div, prod, simplify_int
from ..layers.base import Layer, Shape, accepted_arguments
from ..layers.torch import TORCH_LAYERS, einsum, indexing, ops
from ..layers.torch.recurrent import RNNBase
from ..tensor import Node


class _Reader(Protocol):
    """What a call needs of the reader that owns the tracing state (:mod:`symcnn.io.torch_reader`)."""

    def add(self, layer: Layer, inputs: list[_Tensor], name: str) -> _Tensor: ...


@dataclass
class _Tensor:
    """A tensor in the traced graph: the symcnn node that makes it, its shape, and its dtype where known.

    The dtype is known for a module's own tensors (parameters and buffers) and follows them
    through ops whose tensor inputs all share it (a buffer viewed or indexed); elsewhere it is None.
    """

    node: Node
    shape: Shape
    dtype: Any = None


@dataclass
class _RNNResult:
    """A recurrent module's (output, h_n) or (output, (h_n, c_n)); states are made on first use."""

    reader: _Reader
    tensor: _Tensor
    layer: RNNBase
    is_lstm: bool
    made: dict[bool, _Tensor] = field(default_factory=dict)

    def state(self, cell: bool) -> _Tensor:
        if cell not in self.made:
            name = f"{self.tensor.node.name}.{'c_n' if cell else 'h_n'}"
            self.made[cell] = self.reader.add(ops.rnn_state.of(self.layer, cell), [self.tensor], name)
        return self.made[cell]

    def __getitem__(self, index: Any) -> Any:
        items = [self.tensor, _StatePair(self) if self.is_lstm else self.state(False)]
        return items[index]


@dataclass
class _StatePair:
    result: _RNNResult

    def __getitem__(self, index: Any) -> Any:
        return [self.result.state(False), self.result.state(True)][index]


@dataclass
class _Passthrough:
    """What an ignored unknown op returns: its input, also when indexed like a tuple."""

    tensor: _Tensor

    def __getitem__(self, index: Any) -> _Tensor:
        return self.tensor


@dataclass
class _FirstOnly:
    """A module's tuple output of which symcnn follows the first item only."""

    tensor: _Tensor
    rest: str

    def __getitem__(self, index: Any) -> Any:
        return self.tensor if index == 0 else _Unavailable(f"{self.rest} (item {index!r} of the output)")


@dataclass
class _Unavailable:
    """An output symcnn does not follow; an error only if something uses it."""

    what: str


def _flatten_values(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return [v for item in value for v in _flatten_values(item)]
    if isinstance(value, dict):
        return [v for item in value.values() for v in _flatten_values(item)]
    if isinstance(value, (_RNNResult, _Passthrough, _FirstOnly)):
        return [value.tensor]
    return [value]


# ---- functional ops ------------------------------------------------------------------------------

_PASS = object()  # the op returns its tensor input unchanged (an activation, dropout ...)
_UNKNOWN = object()  # the op has a name symcnn knows but a use it has no rule for


class _Call:
    """The arguments of one traced call, by position or by name."""

    def __init__(self, key: str, args: list[Any], kwargs: dict[str, Any], reader: _Reader, name: str) -> None:
        self.key, self.args, self.kwargs, self.reader, self.name = key, args, kwargs, reader, name

    def get(self, index: int, name: str, default: Any = None) -> Any:
        if name in self.kwargs:
            return self.kwargs[name]
        return self.args[index] if index < len(self.args) else default

    def tensors(self) -> list[_Tensor]:
        return [t for t in _flatten_values([*self.args, *self.kwargs.values()]) if isinstance(t, _Tensor)]

    def rest(self, name: str) -> Any:
        """Sizes given as varargs (``x.view(n, -1)``) or as one sequence (``x.view((n, -1))``)."""
        if name in self.kwargs:
            return list(self.kwargs[name])
        rest = self.args[1:]
        if len(rest) == 1 and isinstance(rest[0], (list, tuple)):
            return list(rest[0])
        return list(rest)


def _from_signature(cls: type[Layer], names: Sequence[str]) -> Callable[[_Call], Layer]:
    """An op whose positional arguments after the input are ``names``, passed to ``cls``."""

    def make(call: _Call) -> Layer:
        kwargs = {}
        for i, name in enumerate(names, start=1):
            value = call.get(i, name, _MISSING)
            if value is not _MISSING and value is not None:
                kwargs[name] = value
        if kwargs.get("return_indices"):
            raise UnknownLayerError(f"{call.key} with return_indices=True is not supported")
        accepted = accepted_arguments(cls)
        return cls(**{k: v for k, v in kwargs.items() if k in accepted})

    return make


_MISSING = object()


def _elementwise(name: str) -> Callable[[_Call], Layer]:
    return lambda call: ops.__dict__[name]()


def _cat(call: _Call) -> Layer:
    return ops.cat(dim=call.get(1, "dim", 0))


def _reduce(call: _Call) -> Layer:
    return ops.mean(dim=call.get(1, "dim"), keepdim=call.get(2, "keepdim", False))


# Ops that keep their input's shape (activations, dropout, element-wise maths, dtype casts).
_SAME_OPS = frozenset(
    (
        "relu",
        "relu6",
        "gelu",
        "silu",
        "sigmoid",
        "tanh",
        "hardswish",
        "hardsigmoid",
        "hardtanh",
        "leaky_relu",
        "elu",
        "selu",
        "celu",
        "mish",
        "softplus",
        "softsign",
        "softmax",
        "log_softmax",
        "logsigmoid",
        "dropout",
        "dropout1d",
        "dropout2d",
        "dropout3d",
        "alpha_dropout",
        "contiguous",
        "clone",
        "detach",
        "abs",
        "exp",
        "log",
        "neg",
        "sqrt",
        "rsqrt",
        "clamp",
        "clip",
        "float",
        "double",
        "half",
        "to",
        "type_as",
        "pow",
        "square",
        "sign",
        "erf",
        "layer_norm",
        "rms_norm",
        "batch_norm",
        "group_norm",
        "instance_norm",
        "normalize",
        "stochastic_depth",
        "drop_path",
        "zeros_like",
        "ones_like",
        "empty_like",
        "full_like",
        "rand_like",
        "randn_like",
        "masked_fill",
        "where",
        "roll",
        "flip",
        "tril",
        "triu",
        "cumsum",
        "invert",
        "bitwise_not",
        "sin",
        "cos",
        "tan",
        "atan",
        "sinh",
        "cosh",
        "reciprocal",
        "floor",
        "ceil",
        "round",
        "trunc",
        "frac",
        "nan_to_num",
        "logical_not",
    )
)
_POOL_ARGS = ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices")
_AVG_ARGS = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override")
_OPS: dict[str, Callable[[_Call], Any]] = {
    **{k: _elementwise("add") for k in ("add", "iadd", "radd")},
    **{k: _elementwise("sub") for k in ("sub", "isub", "rsub")},
    **{k: _elementwise("mul") for k in ("mul", "imul", "rmul")},
    **{k: _elementwise("div") for k in ("div", "truediv", "itruediv", "rtruediv")},
    "maximum": _elementwise("maximum"),
    "minimum": _elementwise("minimum"),
    **{k: _elementwise(k) for k in ("addcmul", "addcdiv", "lerp", "eq", "ne", "lt", "le", "gt", "ge")},
    **{k: _elementwise("bitwise_and") for k in ("and", "iand", "bitwise_and", "logical_and")},
    **{k: _elementwise("bitwise_or") for k in ("or", "ior", "bitwise_or", "logical_or")},
    **{k: _elementwise("bitwise_xor") for k in ("xor", "ixor", "bitwise_xor", "logical_xor")},
    "cat": _cat,
    "concat": _cat,
    "concatenate": _cat,
    "flatten": lambda c: ops.flatten(start_dim=c.get(1, "start_dim", 0), end_dim=c.get(2, "end_dim", -1)),
    "view": lambda c: ops.reshape(shape=c.rest("size")),
    "reshape": lambda c: ops.reshape(shape=c.rest("shape")),
    "permute": lambda c: ops.permute(dims=c.rest("dims")),
    **{k: (lambda c: ops.transpose(dim0=c.get(1, "dim0"), dim1=c.get(2, "dim1"))) for k in ("transpose", "swapaxes", "swapdims")},
    "unsqueeze": lambda c: ops.unsqueeze(dim=c.get(1, "dim")),
    "squeeze": lambda c: ops.squeeze(dim=c.get(1, "dim")),
    "pad": lambda c: ops.pad(pad=c.get(1, "pad")),
    **{k: _reduce for k in ("mean", "sum", "amax", "amin", "argmax", "argmin", "prod", "logsumexp")},
    **{f"max_pool{r}d": _from_signature(TORCH_LAYERS[f"MaxPool{r}d"], _POOL_ARGS) for r in (1, 2, 3)},
    **{f"avg_pool{r}d": _from_signature(TORCH_LAYERS[f"AvgPool{r}d"], _AVG_ARGS) for r in (1, 2, 3)},
    **{
        f"adaptive_avg_pool{r}d": _from_signature(TORCH_LAYERS[f"AdaptiveAvgPool{r}d"], ("output_size",))
        for r in (1, 2, 3)
    },
    **{
        f"adaptive_max_pool{r}d": _from_signature(
            TORCH_LAYERS[f"AdaptiveMaxPool{r}d"], ("output_size", "return_indices")
        )
        for r in (1, 2, 3)
    },
    "interpolate": _from_signature(TORCH_LAYERS["Upsample"], ("size", "scale_factor", "mode")),
    **{k: (lambda c: _PASS) for k in _SAME_OPS},
}


def _function_key(target: Any) -> str | None:
    """The op name of a traced function: operator.add -> 'add', torch.cat -> 'cat', F.relu -> 'relu'."""
    name = getattr(target, "__name__", None)
    if not isinstance(name, str):
        return None
    module = getattr(target, "__module__", None) or ""
    if target in (getattr, len) or module in ("_operator", "operator", "math"):
        return name.strip("_")
    if module.startswith("torch") or module == "" or name in _OPS:
        return name.rstrip("_")
    return None


def _value_op(key: str, target: Any, args: list[Any], kwargs: dict[str, Any], method: bool) -> Any:
    """Arithmetic on sizes (x.size(0), x.shape[2] * 2 ...): evaluated now, symbols and all."""
    if key == "size" and method:
        raise UnknownLayerError("size() of a non-tensor")
    if key == "getattr":
        return getattr(args[0], args[1]) if not isinstance(args[0], _Tensor) else None
    if key == "getitem":
        return args[0][args[1]]
    if key in _COMPARISONS and any(isinstance(a, sympy.Basic) for a in args):
        return _COMPARISONS[key](*args)
    if key in ("ceil", "floor") and args and isinstance(args[0], sympy.Basic):  # math.ceil(h / 2) on a symbol
        return simplify_int((sympy.ceiling if key == "ceil" else sympy.floor)(args[0]))
    module = getattr(target, "__module__", None) or ""
    if callable(target) and not method and (module in ("_operator", "operator", "math", "builtins")):
        try:
            result = target(*args, **kwargs)
        except (TypeError, ValueError, ArithmeticError, IndexError, AttributeError) as exc:
            raise GraphError(f"cannot evaluate {key} on {args!r}: {exc}") from None
        return simplify_int(result) if isinstance(result, sympy.Basic) else result
    raise UnknownLayerError(f"symcnn has no rule for {key!r} without a tensor input (arguments {args!r})")


_COMPARISONS: dict[str, Callable[..., Any]] = {
    "eq": sympy.Eq, "ne": sympy.Ne, "lt": sympy.Lt, "le": sympy.Le, "gt": sympy.Gt, "ge": sympy.Ge,
}  # fmt: skip


def _tensor_value(key: str, tensor: _Tensor, call: _Call) -> Any:
    shape = tensor.shape
    if key == "size":
        dim = call.get(1, "dim")
        return tuple(shape) if dim is None else shape[dim]
    if key == "dim":
        return len(shape)
    if key == "numel":
        return prod(shape)
    return None


# Reading sizes off tensors: x.size(0), x.shape, x.dim(), x.numel().
def _pieces(call: _Call) -> list[_Tensor]:
    """torch.chunk / split / unbind: one narrow (or index) layer per piece."""
    tensor = call.tensors()[0]
    dim = call.get(1, "dim", 0) if call.key == "unbind" else call.get(2, "dim", 0)
    rank = len(tensor.shape)
    if not isinstance(dim, int) or not -rank <= dim < rank:
        raise ShapeError(f"{call.key}: dim {dim!r} does not fit a tensor of rank {rank}")
    axis = dim % rank
    n = tensor.shape[axis]
    if call.key == "unbind":
        if not isinstance(n, int):
            raise ShapeError(f"unbind needs a known axis size, got {n}")
        lead = (slice(None),) * axis
        return [call.reader.add(ops.index(index=(*lead, i)), [tensor], f"{call.name}.{i}") for i in range(n)]
    if call.key == "chunk":
        sizes = ops.chunk_sizes(n, int(call.get(1, "chunks")))
    else:
        sizes = ops.split_sizes(n, call.get(1, "split_size_or_sections", call.kwargs.get("split_size")))
    out, start = [], 0
    for i, size in enumerate(sizes):
        out.append(call.reader.add(ops.narrow(dim=axis, start=start, length=size), [tensor], f"{call.name}.{i}"))
        start = simplify_int(start + size)
    return out


def _expand(call: _Call) -> Any:
    if call.key == "expand_as":
        return _like(ops.expand(sizes=call.tensors()[1].shape), call)
    return ops.expand(sizes=call.rest("size"))


def _like(layer: Layer, call: _Call) -> _Tensor:
    """``x.expand_as(y)``, ``x.reshape_as(y)``: only ``y``'s shape is read, so ``x`` is the one input."""
    return call.reader.add(layer, call.tensors()[:1], call.name)


def _conv_fn(rank: int) -> Callable[[_Call], Layer]:
    def make(call: _Call) -> Layer:
        names = ("stride", "padding", "dilation", "groups")
        kwargs = {n: call.get(i, n) for i, n in enumerate(names, start=3) if call.get(i, n) is not None}
        return ops.__dict__[f"conv{rank}d"](**kwargs)

    return make


def _reads(key: str) -> Callable[[_Call], Any]:
    return lambda call: _tensor_value(key, call.tensors()[0], call)


for _key in ("size", "dim", "numel"):
    _OPS[_key] = _reads(_key)


def _getattr(call: _Call) -> Any:
    if isinstance(call.args[0], _ValuesIndices) and call.args[1] in ("values", "indices"):
        return getattr(call.args[0], call.args[1])
    tensor, attr = call.tensors()[0], call.args[1]
    if attr == "shape":
        return tuple(tensor.shape)
    if attr == "ndim":
        return len(tensor.shape)
    if attr in _TENSOR_FACTS:  # read to make other tensors alike (``torch.zeros(..., device=x.device)``)
        return _TENSOR_FACTS[attr](tensor)
    if attr in ("T", "mT"):
        return call.reader.add(ops.transpose(dim0=-2, dim1=-1) if attr == "mT" else _reversed(tensor), [tensor], call.name)
    return _UNKNOWN


def _reversed(tensor: _Tensor) -> Layer:
    return ops.permute(dims=list(range(len(tensor.shape) - 1, -1, -1)))


def _fact(name: str) -> Callable[[_Tensor], Any]:
    def read(tensor: _Tensor) -> Any:
        import torch

        if name == "dtype":
            return tensor.dtype if tensor.dtype is not None else torch.get_default_dtype()
        if name == "device":
            return torch.device("cpu")
        return {"is_cuda": False, "requires_grad": False, "is_floating_point": True}.get(name)

    return read


_TENSOR_FACTS = {name: _fact(name) for name in ("dtype", "device", "is_cuda", "requires_grad")}


def _getitem(call: _Call) -> Any:
    source, index = call.args[0], call.args[1]
    if isinstance(source, (_RNNResult, _StatePair, _Passthrough, _FirstOnly, list, tuple)):
        return source[index]
    if not isinstance(source, _Tensor):
        return _UNKNOWN
    items = index if isinstance(index, tuple) else (index,)
    bounds = [v for i in items if isinstance(i, slice) for v in (i.start, i.stop, i.step)]
    if not all(isinstance(v, (int, sympy.Expr)) or v is None for v in bounds):  # x[:, :H]: bounds inside the axis
        return _UNKNOWN
    if all(i is None or i is Ellipsis or isinstance(i, (int, slice)) for i in items):
        return ops.index(index=items)
    return _index_by_tensors(call, source, items)


def _index_by_tensors(call: _Call, source: _Tensor, items: tuple[Any, ...]) -> Any:
    """``table[index]`` with integer tensors (or lists of whole numbers) among the indices: torch's advanced indexing."""
    spec: list[Any] = []
    inputs = [source]
    for item in items:
        if isinstance(item, _Tensor):
            if item.dtype is not None and str(item.dtype) == "torch.bool":
                raise UnknownLayerError(
                    "indexing by a boolean mask keeps as many entries as the mask has True values, which only the "
                    "data tells; symcnn cannot size it"
                )
            spec.append(indexing.TENSOR)
            inputs.append(item)
        elif isinstance(item, list) and item and all(isinstance(v, int) and not isinstance(v, bool) for v in item):
            spec.append(("list", len(item)))  # a list of whole numbers indexes as a 1-D tensor
        elif item is None or item is Ellipsis or isinstance(item, (int, slice)):
            spec.append(item)
        else:
            return _UNKNOWN
    return call.reader.add(indexing.index_tensor(index=tuple(spec)), inputs, call.name)


class _ValuesIndices(tuple):  # type: ignore[type-arg]
    """torch.max(x, dim)'s (values, indices), by index or by name."""

    @property
    def values(self) -> Any:
        return self[0]

    @property
    def indices(self) -> Any:
        return self[1]


def _max_min(call: _Call) -> Any:
    """torch.max / min: of two tensors element-wise; over one axis (values, indices); or of every entry."""
    tensors = call.tensors()
    if len(tensors) > 1:
        return _elementwise("maximum" if call.key == "max" else "minimum")(call)
    dim, keepdim = call.get(1, "dim"), call.get(2, "keepdim", False)
    if dim is None:
        return ops.mean(dim=None)
    values, indices = (
        call.reader.add(ops.mean(dim=dim, keepdim=keepdim), tensors, f"{call.name}{suffix}")
        for suffix in ("", ".indices")
    )
    return _ValuesIndices((values, indices))


def _tile(call: _Call) -> Layer:
    """torch.tile(x, dims): repeat, with counts of 1 prepended when there are fewer counts than axes."""
    counts = call.rest("dims")
    missing = len(call.tensors()[0].shape) - len(counts)
    return ops.repeat(repeats=[1] * max(missing, 0) + counts)


def _repeat_interleave(call: _Call) -> Any:
    repeats = call.get(1, "repeats")
    if isinstance(repeats, _Tensor):
        raise UnknownLayerError("repeat_interleave with a tensor of counts: the output size depends on its values")
    return ops.repeat_interleave(repeats=repeats, dim=call.get(2, "dim"))


def _sizes(call: _Call, first: int) -> list[Any]:
    """The sizes of a factory call: ``zeros(2, 3)``, ``zeros((2, 3))``, ``zeros(size=(2, 3))``."""
    if "size" in call.kwargs:
        return list(call.kwargs["size"])
    rest = call.args[first:]
    if len(rest) == 1 and isinstance(rest[0], (list, tuple)):
        return list(rest[0])
    return list(rest)


def _factory(call: _Call) -> Any:
    """A tensor made from sizes: torch.zeros/ones/empty/full/rand/randn/arange, x.new_zeros/new_ones/new_empty/new_full."""
    key = call.key
    if key == "arange":
        bounds = [v for v in call.args[:3]]
        start, end, step = (0, bounds[0], 1) if len(bounds) == 1 else (*bounds[:2], bounds[2] if len(bounds) > 2 else 1)
        if not (isinstance(step, int) and step > 0):
            raise UnknownLayerError(f"arange with step {step!r}: symcnn reads whole positive steps only")
        sizes = [ceil_div(simplify_int(end - start), step)]
    elif key in ("full", "new_full"):
        sizes = list(call.get(0 if key == "full" else 1, "size"))
    else:
        sizes = _sizes(call, 1 if key.startswith("new_") else 0)
    return call.reader.add(ops.new_tensor(size=sizes), [], call.name)


FACTORIES = frozenset(("zeros", "ones", "empty", "full", "rand", "randn", "arange", "new_zeros", "new_ones",
                       "new_empty", "new_full"))
_OPS.update({k: _factory for k in FACTORIES})
_OPS["getattr"] = _getattr
_OPS["getitem"] = _getitem
_OPS.update(
    {
        "chunk": _pieces,
        "split": _pieces,
        "unbind": _pieces,
        "narrow": lambda c: ops.narrow(dim=c.get(1, "dim"), start=c.get(2, "start"), length=c.get(3, "length")),
        "stack": lambda c: ops.stack(dim=c.get(1, "dim", 0)),
        "scaled_dot_product_attention": lambda c: ops.scaled_dot_product_attention(),
        "expand": _expand,
        "expand_as": _expand,
        "reshape_as": lambda c: _like(ops.reshape(shape=c.tensors()[1].shape), c),
        "view_as": lambda c: _like(ops.reshape(shape=c.tensors()[1].shape), c),
        "einsum": lambda c: einsum.einsum(equation=c.args[0]),
        "repeat": lambda c: ops.repeat(repeats=c.rest("repeats")),
        "tile": _tile,
        "norm": lambda c: ops.mean(dim=c.get(2, "dim"), keepdim=c.get(3, "keepdim", False)),
        "max": _max_min,
        "min": _max_min,
        "repeat_interleave": _repeat_interleave,
        "unfold": _from_signature(TORCH_LAYERS["Unfold"], ("kernel_size", "dilation", "padding", "stride")),
        "fold": _from_signature(TORCH_LAYERS["Fold"], ("output_size", "kernel_size", "dilation", "padding", "stride")),
        "tensor_unfold": lambda c: ops.unfold(
            dimension=c.get(1, "dimension"), size=c.get(2, "size"), step=c.get(3, "step")
        ),
        "linear": lambda c: ops.linear(),
        "matmul": lambda c: ops.matmul(),
        "bmm": lambda c: ops.matmul(),
        "mm": lambda c: ops.matmul(),
        **{f"conv{r}d": _conv_fn(r) for r in (1, 2, 3)},
    }
)
