"""The functional ops of traced torch graphs as layers, named like the torch functions.

``x + y``, ``torch.cat``, ``x.view(n, -1)``, ``x.mean((2, 3))`` ... learn nothing and
cost no torchinfo MACs (torchinfo sees modules only); they move shapes. A recurrent
module's hidden state (``out, (h, c) = lstm(x)``) is :class:`rnn_state`.

>>> cat(dim=1).output_shape([(1, 64, 28, 28), (1, 32, 28, 28)])
(1, 96, 28, 28)
"""

from __future__ import annotations

from typing import Any

import sympy

from ...errors import ArgumentError, ShapeError
from ...formulas import (
    Dim,
    ceil_div,
    conv_output_length,
    floor_div,
    is_number,
    prod,
    reduced_shape,
    simplify_int,
    slice_length,
)
from ..base import Shape, Window, as_dim, batch_of, dim_tuple, flag, format_shape, require_rank
from .base import TorchLayer, _axis, _int, _same
from .recurrent import RNNBase
from .shape import Flatten, _fill_minus_one, _pad_tuple, _padded


class rnn_state(TorchLayer):
    """A recurrent module's h_n or c_n, (layers, N, size), read off the module's output (batch_first or not)."""

    def __init__(self, layers: Any = 1, size: Any = None, batch_first: bool = False, **base: Any) -> None:
        super().__init__(**base)
        self.layers = _int(layers, "layers", low=1)
        self.size = as_dim(size, "size")
        self.batch_first = flag(batch_first, "batch_first")

    @classmethod
    def of(cls, rnn: RNNBase, cell: bool = False, name: str | None = None) -> rnn_state:
        """The state layer for ``rnn``'s h_n (or c_n with ``cell``)."""
        size = rnn.hidden_size if cell else rnn.out_size
        return cls(layers=rnn.directions * rnn.num_layers, size=size, batch_first=rnn.batch_first, name=name)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        out = self._one_input(inputs)
        require_rank(self, out, 3)
        return (self.layers, out[0] if self.batch_first else out[1], self.size)


# ---- functional ops (named like the torch functions) ---------------------------------------------


class _Elementwise(TorchLayer, register=False):
    """An element-wise op on tensors (and scalars, which take no input): shapes broadcast."""

    arity = None
    position_wise = True

    def __init__(self, alpha: Any = None, **base: Any) -> None:
        super().__init__(**base)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        if not inputs:
            raise ShapeError(f"{self.class_name} needs at least one tensor input")
        if len(inputs) == 1:
            return inputs[0]
        return torch_broadcast(inputs, self.class_name)


def torch_broadcast(shapes: list[Shape], who: str) -> Shape:
    """Broadcasting as torch does it; symbolic sizes that may be equal are taken to be (the first one wins).

    Sizes known to differ (both numbers, or a difference that is a nonzero number) are an error.
    """
    rank = max(len(s) for s in shapes)
    padded = [(1,) * (rank - len(s)) + tuple(s) for s in shapes]
    out: list[Any] = []
    for axis in zip(*padded):
        sizes = [d for d in axis if d != 1]
        if not sizes:
            out.append(1)
            continue
        if any(not _same(sizes[0], d) for d in sizes[1:]):
            raise ShapeError(f"{who} inputs do not broadcast: {', '.join(format_shape(s) for s in shapes)}")
        out.append(sizes[0])
    return tuple(out)


for _name, _aliases in (
    ("add", ("iadd",)),
    ("sub", ("isub", "rsub")),
    ("mul", ("imul",)),
    ("div", ("truediv", "itruediv")),
    ("maximum", ()),
    ("minimum", ()),
    ("addcmul", ()),  # input + value·t1·t2: three tensors broadcast
    ("addcdiv", ()),
    ("lerp", ()),
    ("bitwise_and", ("logical_and",)),
    ("bitwise_or", ("logical_or",)),
    ("bitwise_xor", ("logical_xor",)),
    ("eq", ()),
    ("ne", ()),
    ("lt", ()),
    ("le", ()),
    ("gt", ()),
    ("ge", ()),
):
    globals()[_name] = type(_name, (_Elementwise,), {"aliases": _aliases, "__doc__": f"torch.{_name}: element-wise."})


class repeat(TorchLayer):
    """Tensor.repeat(*repeats): each axis times its count; extra counts add leading axes.

    >>> repeat(repeats=(2, 1, 3)).output_shape([(4, 5)])
    (2, 4, 15)
    """

    def __init__(self, repeats: Any = (), **base: Any) -> None:
        super().__init__(**base)
        if not isinstance(repeats, (list, tuple)) or not repeats:
            raise ArgumentError(f"repeats must be a list of counts, got {repeats!r}")
        self.repeats = tuple(as_dim(r, "repeats", allow_zero=True) for r in repeats)

    def hyperparameters(self) -> dict[str, Any]:
        return {"repeats": self.repeats}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        lead = len(self.repeats) - len(shape)
        if lead < 0:
            raise ShapeError(f"repeat: {len(self.repeats)} counts for a tensor of rank {len(shape)}")
        padded = (1,) * lead + tuple(shape)
        return tuple(simplify_int(d * r) for d, r in zip(padded, self.repeats))


class repeat_interleave(TorchLayer):
    """torch.repeat_interleave(x, repeats, dim): each entry repeated in place; without ``dim``, of the flattened tensor.

    >>> repeat_interleave(repeats=3, dim=0).output_shape([(2, 5)])
    (6, 5)
    """

    def __init__(self, repeats: Any = None, dim: Any = None, **base: Any) -> None:
        super().__init__(**base)
        self.repeats = as_dim(repeats, "repeats", allow_zero=True)
        self.dim = None if dim is None else _int(dim, "dim")

    def hyperparameters(self) -> dict[str, Any]:
        return {"repeats": self.repeats, "dim": self.dim}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        if self.dim is None:
            return (simplify_int(prod(shape) * self.repeats),)
        axis = _axis(self.dim, len(shape), "repeat_interleave")
        return (*shape[:axis], simplify_int(shape[axis] * self.repeats), *shape[axis + 1 :])


class unfold(TorchLayer):
    """Tensor.unfold(dimension, size, step): windows of ``size`` along one axis, every ``step``, as a new last axis.

    >>> unfold(dimension=1, size=4, step=2).output_shape([(1, 10, 3)])
    (1, 4, 3, 4)
    """

    def __init__(self, dimension: Any = None, size: Any = None, step: Any = None, **base: Any) -> None:
        super().__init__(**base)
        self.dimension = _int(dimension, "dimension")
        self.size = as_dim(size, "size")
        self.step = as_dim(step, "step")

    def hyperparameters(self) -> dict[str, Any]:
        return {"dimension": self.dimension, "size": self.size, "step": self.step}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        axis = _axis(self.dimension, len(shape), "unfold")
        windows = conv_output_length(shape[axis], self.size, self.step)
        if is_number(windows) and windows < 1:
            raise ShapeError(f"unfold: a window of {self.size} does not fit an axis of {shape[axis]}")
        return (*shape[:axis], windows, *shape[axis + 1 :], self.size)


class cat(TorchLayer):
    """torch.cat(tensors, dim): sizes add along ``dim`` (default 0), every other axis must agree."""

    arity = None
    aliases = ("concat", "concatenate")

    def __init__(self, dim: Any = 0, **base: Any) -> None:
        super().__init__(**base)
        self.dim = _int(dim, "dim")

    def hyperparameters(self) -> dict[str, Any]:
        return {"dim": self.dim}

    def window(self, inputs: list[Shape]) -> Window | None:
        rank = len(inputs[0]) if inputs else 0
        if rank < 2 or _axis(self.dim, rank, "cat") != 1:  # joined along a spatial axis: positions move
            return None
        return Window.identity(rank - 2)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        if not inputs:
            raise ShapeError("cat needs at least one tensor")
        rank = len(inputs[0])
        if any(len(s) != rank for s in inputs):
            raise ShapeError(f"cat inputs differ in rank: {', '.join(format_shape(s) for s in inputs)}")
        axis = _axis(self.dim, rank, "cat")
        for shape in inputs[1:]:
            if not all(_same(a, b) for i, (a, b) in enumerate(zip(inputs[0], shape)) if i != axis):
                raise ShapeError(
                    f"cat inputs must match except in dim {self.dim}: {', '.join(format_shape(s) for s in inputs)}"
                )
        sizes = [s[axis] for s in inputs]
        total = None if any(d is None for d in sizes) else simplify_int(sum(sizes, start=0))
        return (*inputs[0][:axis], total, *inputs[0][axis + 1 :])


class flatten(Flatten):
    """torch.flatten / Tensor.flatten: start_dim defaults to 0 (unlike nn.Flatten)."""

    start_default = 0


class reshape(TorchLayer):
    """Tensor.view / reshape to a full target shape (batch included); one entry may be -1."""

    aliases = ("view",)

    def __init__(self, shape: Any = None, **base: Any) -> None:
        super().__init__(**base)
        if not isinstance(shape, (list, tuple)):
            raise ArgumentError(f"shape must be a list of sizes, got {shape!r}")
        self.shape = tuple(-1 if d == -1 else as_dim(d, "shape") for d in shape)

    def hyperparameters(self) -> dict[str, Any]:
        return {"shape": self.shape}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        if any(d is None for d in shape):
            raise ShapeError(f"reshape needs every axis known, got {format_shape(shape)}")
        return _fill_minus_one(prod(shape), self.shape, self.class_name)


class _Reduce(TorchLayer, register=False):
    """A reduction over ``dim`` (all axes when None); ``keepdim`` keeps them as size 1."""

    def __init__(self, dim: Any = None, keepdim: bool = False, **base: Any) -> None:
        super().__init__(**base)
        dims = [] if dim is None else list(dim) if isinstance(dim, (list, tuple)) else [dim]
        self.dim = tuple(_int(d, "dim") for d in dims) if dim is not None else None
        self.keepdim = flag(keepdim, "keepdim")

    def hyperparameters(self) -> dict[str, Any]:
        return {"dim": self.dim, "keepdim": self.keepdim}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        axes = set(range(len(shape))) if self.dim is None else {_axis(d, len(shape), self.class_name) for d in self.dim}
        return reduced_shape(shape, axes, self.keepdim)


class mean(_Reduce):
    aliases = ("sum", "amax", "amin", "std", "var", "argmax", "argmin", "prod", "logsumexp")


class permute(TorchLayer):
    """Tensor.permute(dims)."""

    def __init__(self, dims: Any = None, **base: Any) -> None:
        super().__init__(**base)
        if not isinstance(dims, (list, tuple)):
            raise ArgumentError(f"dims must be a list of axes, got {dims!r}")
        self.dims = tuple(_int(d, "dims") for d in dims)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        axes = [_axis(d, len(shape), "permute") for d in self.dims]
        if sorted(axes) != list(range(len(shape))):
            raise ShapeError(f"permute dims {self.dims} do not fit an input of rank {len(shape)}")
        return tuple(shape[a] for a in axes)


class transpose(TorchLayer):
    """Tensor.transpose(dim0, dim1)."""

    def __init__(self, dim0: Any = 0, dim1: Any = 1, **base: Any) -> None:
        super().__init__(**base)
        self.dim0, self.dim1 = _int(dim0, "dim0"), _int(dim1, "dim1")

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = list(self._one_input(inputs))
        a, b = _axis(self.dim0, len(shape), "transpose"), _axis(self.dim1, len(shape), "transpose")
        shape[a], shape[b] = shape[b], shape[a]
        return tuple(shape)


class unsqueeze(TorchLayer):
    """Tensor.unsqueeze(dim): a new axis of size 1."""

    def __init__(self, dim: Any = 0, **base: Any) -> None:
        super().__init__(**base)
        self.dim = _int(dim, "dim")

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        axis = _axis(self.dim, len(shape) + 1, "unsqueeze")
        return (*shape[:axis], 1, *shape[axis:])


class squeeze(TorchLayer):
    """Tensor.squeeze(dim): drops size-1 axes (all, or those in ``dim``)."""

    def __init__(self, dim: Any = None, **base: Any) -> None:
        super().__init__(**base)
        dims = [] if dim is None else list(dim) if isinstance(dim, (list, tuple)) else [dim]
        self.dim = None if dim is None else tuple(_int(d, "dim") for d in dims)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        axes = range(len(shape)) if self.dim is None else [_axis(d, len(shape), "squeeze") for d in self.dim]
        drop = {a for a in axes if shape[a] == 1}
        return tuple(d for i, d in enumerate(shape) if i not in drop)


class pad(TorchLayer):
    """torch.nn.functional.pad(x, pad): pairs from the last axis backwards."""

    def __init__(self, pad: Any = None, mode: str = "constant", value: Any = None, **base: Any) -> None:
        super().__init__(**base)
        self.pad = _pad_tuple(pad, None)

    def hyperparameters(self) -> dict[str, Any]:
        return {"pad": self.pad}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return _padded(self._one_input(inputs), self.pad)


class narrow(TorchLayer):
    """One piece of ``torch.chunk``/``split``/``narrow``: ``length`` entries of axis ``dim``."""

    def __init__(self, dim: Any = 0, start: Any = 0, length: Any = None, **base: Any) -> None:
        super().__init__(**base)
        self.dim = _int(dim, "dim")
        self.start = as_dim(start, "start", allow_zero=True)
        self.length = as_dim(length, "length")

    def hyperparameters(self) -> dict[str, Any]:
        return {"dim": self.dim, "start": self.start, "length": self.length}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = list(self._one_input(inputs))
        axis = _axis(self.dim, len(shape), "narrow")
        end = simplify_int(self.start + self.length)
        if shape[axis] is not None and is_number(shape[axis]) and is_number(end) and end > shape[axis]:
            raise ShapeError(f"narrow: entries {self.start}..{end} do not fit axis {self.dim} of size {shape[axis]}")
        shape[axis] = self.length
        return tuple(shape)


def chunk_sizes(n: Dim, chunks: int) -> list[Dim]:
    """torch.chunk's piece sizes: ⌈n/chunks⌉ each, the last one what is left (fewer pieces if n is small)."""
    each = ceil_div(n, chunks)
    if is_number(n):
        sizes, left = [], int(n)  # type: ignore[arg-type]
        while left > 0:
            sizes.append(min(int(each), left))  # type: ignore[arg-type]
            left -= sizes[-1]
        return sizes  # type: ignore[return-value]
    return [each] * (chunks - 1) + [simplify_int(n - (chunks - 1) * each)]


def split_sizes(n: Dim, size: Any) -> list[Dim]:
    """torch.split's piece sizes: a list of sections, or pieces of ``size`` (the last one smaller)."""
    if isinstance(size, (list, tuple)):
        sections = [as_dim(v, "split_size_or_sections", allow_zero=True) for v in size]
        total = simplify_int(sum(sections, start=0))
        if is_number(total) and is_number(n) and total != n:
            raise ShapeError(f"split sections {list(size)} do not add up to the axis size {n}")
        return sections
    step = as_dim(size, "split_size")
    if not (is_number(n) and is_number(step)):
        if is_number(step) or sympy.simplify(n / step).is_integer:
            pieces = floor_div(n, step)
            if is_number(pieces):
                return [step] * int(pieces)  # type: ignore[arg-type]
        raise ShapeError(f"split into pieces of {step} needs a known axis size, got {n}")
    count = -(-int(n) // int(step))  # type: ignore[arg-type]
    return [min(int(step), int(n) - i * int(step)) for i in range(count)]  # type: ignore[arg-type]


class index(TorchLayer):
    """Basic indexing ``x[...]``: whole numbers drop an axis, slices shorten it, None adds one."""

    def __init__(self, index: Any = (), **base: Any) -> None:
        super().__init__(**base)
        items = index if isinstance(index, (list, tuple)) else (index,)
        self.index = tuple(_index_item(i) for i in items)

    def hyperparameters(self) -> dict[str, Any]:
        return {"index": self.index}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = list(self._one_input(inputs))
        used = sum(1 for i in self.index if i not in (None, "..."))
        if used > len(shape):
            raise ShapeError(f"too many indices ({used}) for a tensor of rank {len(shape)}")
        items = list(self.index)
        if "..." in items:
            at = items.index("...")
            items[at : at + 1] = [("slice", None, None, None)] * (len(shape) - used)
        else:
            items += [("slice", None, None, None)] * (len(shape) - used)
        out: list[Dim] = []
        axis = 0
        for item in items:
            if item is None:
                out.append(1)
                continue
            n = shape[axis]
            axis += 1
            if isinstance(item, tuple):
                out.append(_slice_length(n, *item[1:]))
            elif is_number(n) and not -int(n) <= item < int(n):  # type: ignore[arg-type]
                raise ShapeError(f"index {item} is out of range for an axis of size {n}")
        return tuple(out)


def _index_item(item: Any) -> Any:
    if item is None or item is Ellipsis or item == "...":
        return None if item is None else "..."
    if isinstance(item, slice):
        return ("slice", item.start, item.stop, item.step)
    if isinstance(item, tuple) and item and item[0] == "slice":
        return item
    return _int(item, "index")


def _slice_length(n: Dim, start: Any, stop: Any, step: Any) -> Dim:
    """len(range(n)[start:stop:step]); see formulas.slice_length for symbolic sizes."""
    step = 1 if step is None else _int(step, "step", low=1)
    if n is None:
        return None  # type: ignore[return-value]
    return slice_length(n, start, stop, step)


class expand(TorchLayer):
    """Tensor.expand(*sizes): -1 keeps an axis; new leading axes may be added."""

    def __init__(self, sizes: Any = (), **base: Any) -> None:
        super().__init__(**base)
        if not isinstance(sizes, (list, tuple)):
            raise ArgumentError(f"sizes must be a list of sizes, got {sizes!r}")
        self.sizes = tuple(-1 if d == -1 else as_dim(d, "sizes") for d in sizes)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = self._one_input(inputs)
        lead = len(self.sizes) - len(shape)
        if lead < 0:
            raise ShapeError(f"expand to {self.sizes} has fewer axes than the input {format_shape(shape)}")
        out = []
        for i, size in enumerate(self.sizes):
            old = shape[i - lead] if i >= lead else None
            if size == -1:
                if old is None and i < lead:
                    raise ShapeError("expand: -1 is not allowed for a new leading axis")
                out.append(old)
            elif old is not None and old != 1 and not _same(old, size):
                raise ShapeError(f"expand: axis of size {old} cannot become {size}")
            else:
                out.append(size)
        return tuple(out)


class linear(TorchLayer):
    """F.linear(x, weight, bias): the weight tensor is an input (a parameter read in forward)."""

    arity = None

    def output_shape(self, inputs: list[Shape]) -> Shape:
        if len(inputs) not in (2, 3) or len(inputs[1]) != 2:
            raise ShapeError("linear takes an input, a (out, in) weight and an optional bias")
        x, w = inputs[0], inputs[1]
        if not _same(x[-1], w[1]):
            raise ShapeError(f"linear: input {format_shape(x)} does not fit weight {format_shape(w)}")
        return (*x[:-1], w[0])

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        return prod([batch_of(output), *output[1:], inputs[1][1]])


class matmul(TorchLayer):
    """torch.matmul / ``@`` / bmm: batch axes broadcast; fvcore counts its multiply-accumulates."""

    arity = 2
    aliases = ("bmm", "mm")

    def output_shape(self, inputs: list[Shape]) -> Shape:
        a, b = inputs
        if len(a) < 1 or len(b) < 1:
            raise ShapeError("matmul needs tensors of rank 1 or more")
        a2 = (1, *a) if len(a) == 1 else a
        b2 = (*b, 1) if len(b) == 1 else b
        if not _same(a2[-1], b2[-2]):
            raise ShapeError(f"matmul: {format_shape(a)} @ {format_shape(b)} do not fit")
        batch = (
            torch_broadcast([tuple(a2[:-2]) or (1,), tuple(b2[:-2]) or (1,)], "matmul") if len(a2) + len(b2) > 4 else ()
        )
        out = (*batch, a2[-2], b2[-1])
        if len(a) == 1:
            out = out[:-2] + out[-1:]
        if len(b) == 1:
            out = out[:-1]
        return tuple(out)

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        k = inputs[0][-1]
        return prod([1 if d is None else d for d in output] + [k])


class _ConvFn(TorchLayer, register=False):
    """F.conv{rank}d(x, weight, bias, stride, padding, dilation, groups): the weight is an input."""

    arity = None
    rank = 2

    def __init__(self, stride: Any = 1, padding: Any = 0, dilation: Any = 1, groups: Any = 1, **base: Any) -> None:
        super().__init__(**base)
        self.stride = dim_tuple(stride, self.rank, "stride")
        self.dilation = dim_tuple(dilation, self.rank, "dilation")
        self.groups = as_dim(groups, "groups")
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ArgumentError(f"padding must be a size, 'valid' or 'same', got {padding!r}")
            self.padding: Any = padding
        else:
            self.padding = dim_tuple(padding, self.rank, "padding", allow_zero=True)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        if len(inputs) not in (2, 3):
            raise ShapeError(f"{self.class_name} takes an input, a weight and an optional bias")
        x, w = inputs[0], inputs[1]
        require_rank(self, x, self.rank + 2)
        if not _same(x[1], simplify_int(w[1] * self.groups)):
            raise ShapeError(f"{self.class_name}: input {format_shape(x)} does not fit weight {format_shape(w)}")
        lengths = []
        for n, k, s, d, i in zip(x[2:], w[2:], self.stride, self.dilation, range(self.rank)):
            if self.padding == "same":
                lengths.append(n)
                continue
            p = 0 if self.padding == "valid" else self.padding[i]
            lengths.append(conv_output_length(n, k, s, d, (p, p)))
        return (x[0], w[0], *lengths)

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        return prod([batch_of(output), *output[2:], *inputs[1]])


for _rank in (1, 2, 3):
    globals()[f"conv{_rank}d"] = type(f"conv{_rank}d", (_ConvFn,), {"rank": _rank, "__doc__": _ConvFn.__doc__})


class stack(TorchLayer):
    """torch.stack(tensors, dim): equal shapes joined along a new axis."""

    arity = None

    def __init__(self, dim: Any = 0, **base: Any) -> None:
        super().__init__(**base)
        self.dim = _int(dim, "dim")

    def hyperparameters(self) -> dict[str, Any]:
        return {"dim": self.dim}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        if not inputs:
            raise ShapeError("stack needs at least one tensor")
        first = inputs[0]
        if any(len(s) != len(first) or not all(map(_same, s, first)) for s in inputs[1:]):
            raise ShapeError(f"stack needs tensors of one shape, got {', '.join(format_shape(s) for s in inputs)}")
        axis = _axis(self.dim, len(first) + 1, "stack")
        return (*first[:axis], len(inputs), *first[axis:])


class scaled_dot_product_attention(TorchLayer):
    """F.scaled_dot_product_attention(q, k, v): (..., L, E) with (..., S, E) keys gives (..., L, Ev)."""

    arity = None

    def output_shape(self, inputs: list[Shape]) -> Shape:
        if len(inputs) < 3:
            raise ShapeError("scaled_dot_product_attention takes query, key and value")
        q, k, v = inputs[:3]
        if len(q) < 2 or not _same(q[-1], k[-1]) or not _same(k[-2], v[-2]):
            raise ShapeError(
                f"scaled_dot_product_attention: query {format_shape(q)}, key {format_shape(k)} and value "
                f"{format_shape(v)} do not fit"
            )
        batch = torch_broadcast([tuple(q[:-2]), tuple(v[:-2])], "scaled_dot_product_attention")
        if len(inputs) > 3:  # attn_mask (a bias or a mask) broadcasts to the scores, (..., L, S)
            torch_broadcast([inputs[3], (*batch, q[-2], k[-2])], "scaled_dot_product_attention's attn_mask")
        return (*batch, q[-2], v[-1])

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        q, k, _ = inputs[:3]
        return prod([1 if d is None else d for d in output[:-1]] + [k[-2], q[-1] + output[-1]])


class new_tensor(TorchLayer):
    """A tensor made in ``forward`` from sizes alone (``torch.zeros(n, h, w)``, ``x.new_zeros(...)``, ``torch.arange(n)``).

    It has no input, learns nothing and costs nothing; its shape is ``size``.

    >>> new_tensor(size=(1, 14, 14)).output_shape([])
    (1, 14, 14)
    """

    arity = 0
    aliases = ("zeros", "ones", "empty", "full", "arange")

    def __init__(self, size: Any = (), **base: Any) -> None:
        super().__init__(**base)
        if not isinstance(size, (list, tuple)):
            raise ArgumentError(f"size must be a list of sizes, got {size!r}")
        self.size = tuple(as_dim(d, "size", allow_zero=True) for d in size)

    def hyperparameters(self) -> dict[str, Any]:
        return {"size": self.size}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        if inputs:
            raise ShapeError(f"{self.class_name} takes no tensor input, got {len(inputs)}")
        return self.size
