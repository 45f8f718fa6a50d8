"""What every ``keras.ops`` op class shares: broadcasting, constant shapes, axis checks, the ``_Op`` base."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, cast

import sympy

from ...errors import ArgumentError, ShapeError
from ...formulas import Dim, is_number
from ..base import Layer, Shape, format_shape

_BASE_KEYS = ("name", "trainable")


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


def _call_values(args: Sequence[Any], kwargs: Mapping[str, Any]) -> list[Any]:
    """A call's operands: its positional arguments, then its keyword arguments other than ``name``."""
    return [*args, *(v for k, v in kwargs.items() if k != "name")]


def _int_axis(axis: Any) -> int:
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ArgumentError(f"axis must be an integer, got {axis!r}")
    return axis


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


class _CallOp(_Op, register=False):
    """An op the reader builds from its recorded call: ``from_call`` hands the call's arguments to ``_read_call``."""

    @classmethod
    def from_call(cls, config: Mapping[str, Any], args: Any, kwargs: Any) -> Layer:
        layer = cast(_CallOp, cls.from_config(config))
        layer._read_call(args or (), kwargs or {})
        return layer

    def _read_call(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
        raise NotImplementedError


class _OperandOp(_CallOp, register=False):
    """An op whose call may mix tensors and constants: ``operands`` holds, per operand, an input index or a shape."""

    operands: tuple[Any, ...] = ()

    def _read_call(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
        self.operands = tuple(
            v.index if _is_tensor(v) else constant_shape(v, self.class_name) for v in _call_values(args, kwargs)
        )

    def _operand_shapes(self, inputs: list[Shape], detail: str = "") -> list[Shape]:
        """The operands' shapes: the recorded call's if there is one, else the tensor inputs in order."""
        if not self.operands:
            return self._inputs(inputs, None)
        if any(isinstance(o, int) and o >= len(inputs) for o in self.operands):
            raise ShapeError(f"{self.class_name}: the call names tensor inputs the graph does not give{detail}")
        return [inputs[o] if isinstance(o, int) else o for o in self.operands]


def _make(base: type[_Op], names: Sequence[str], doc: str) -> None:
    """Registers one ``_Op<Name>`` subclass of ``base`` per op name, kept in ``base``'s module."""
    for name in names:
        attrs = {"op_name": name, "__doc__": f"keras.ops {name}: {doc}", "__module__": base.__module__}
        cls = type(f"_Op{name}", (base,), attrs, register=False)
        _register(cls, name)
