"""Indexing a tensor by integer tensors (``table[index]``), torch's "advanced" indexing.

A relative-position bias table indexed by a buffer of positions
(``self.relative_position_bias_table[self.relative_position_index]``: Swin, CoAtNet,
MaxViT, BEiT ...) is the common case. torch's rule (``torch/csrc/autograd/python_variable_indexing.cpp``):
whole numbers, slices and ``None`` apply first, as in basic indexing (a number drops its
axis, ``None`` adds one); the index tensors then broadcast to one shape B, which takes the
place of the axes they index when those are next to each other, and comes first otherwise.
Indexing by a boolean mask keeps as many entries as the mask has ``True`` values, a number
only the data knows, so it is refused.

>>> index_tensor(index=("tensor",)).output_shape([(169, 3), (2401,)])
(2401, 3)
>>> index_tensor(index=(("slice", None, None, None), "tensor", 0)).output_shape([(4, 5, 6), (2, 3)])
(4, 2, 3)
"""

from __future__ import annotations

from typing import Any

from ...errors import ArgumentError, ShapeError
from ..base import Shape
from .base import TorchLayer, _int
from .ops import _slice_length, torch_broadcast

_SPOT = object()
TENSOR = "tensor"  # the place of an index tensor among the items (the tensors are the layer's inputs after the first)


class index_tensor(TorchLayer):
    """``x[...]`` with integer tensors among the indices; the tensors are inputs 2, 3 ... in order.

    ``index`` holds, in order: whole numbers, slices (``("slice", start, stop, step)``),
    None, ``"..."``, ``"tensor"`` for each index tensor and ``("list", n)`` for a list of n numbers.
    """

    arity = None

    def __init__(self, index: Any = (), **base: Any) -> None:
        super().__init__(**base)
        items = index if isinstance(index, (list, tuple)) else (index,)
        self.index = tuple(_item(i) for i in items)
        if not any(i == TENSOR or _is_list(i) for i in self.index):
            raise ArgumentError("index_tensor needs at least one index tensor (use index for basic indexing)")

    def hyperparameters(self) -> dict[str, Any]:
        return {"index": self.index}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        tensors = sum(1 for i in self.index if i == TENSOR)
        if len(inputs) != 1 + tensors:
            raise ShapeError(f"index_tensor takes the indexed tensor and {tensors} index tensor(s), got {len(inputs)}")
        source, given = inputs[0], iter(inputs[1:])
        index_shapes = [next(given) if i == TENSOR else (i[1],) for i in self.index if i == TENSOR or _is_list(i)]
        used = sum(1 for i in self.index if i not in (None, "..."))
        if used > len(source):
            raise ShapeError(f"too many indices ({used}) for a tensor of rank {len(source)}")
        items = list(self.index)
        fill = [("slice", None, None, None)] * (len(source) - used)
        if "..." in items:
            at = items.index("...")
            items[at : at + 1] = fill
        else:
            items += fill
        # basic indexing first: each entry of ``dims`` is a size, or _SPOT where an index tensor goes
        dims: list[Any] = []
        axis = 0
        for item in items:
            if item is None:
                dims.append(1)
                continue
            n = source[axis]
            axis += 1
            if item == TENSOR or _is_list(item):
                dims.append(_SPOT)
            elif isinstance(item, tuple):
                dims.append(_slice_length(n, *item[1:]))
            elif isinstance(n, int) and not -n <= item < n:
                raise ShapeError(f"index {item} is out of range for an axis of size {n}")
        spots = [i for i, d in enumerate(dims) if d is _SPOT]
        joined = torch_broadcast(index_shapes, "the index tensors") if len(index_shapes) > 1 else index_shapes[0]
        rest = [d for d in dims if d is not _SPOT]
        if spots == list(range(spots[0], spots[-1] + 1)):  # next to each other: B takes their place
            return (*dims[: spots[0]], *joined, *dims[spots[-1] + 1 :])
        return (*joined, *rest)


def _is_list(item: Any) -> bool:
    return isinstance(item, tuple) and len(item) == 2 and item[0] == "list"


def _item(item: Any) -> Any:
    if item is None or item == TENSOR or item == "...":
        return item
    if _is_list(item):
        return ("list", _int(item[1], "index list length", low=1))
    if item is Ellipsis:
        return "..."
    if isinstance(item, slice):
        return ("slice", item.start, item.stop, item.step)
    if isinstance(item, tuple) and item and item[0] == "slice":
        return item
    return _int(item, "index")

