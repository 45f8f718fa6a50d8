"""``keras.ops`` calls recorded in functional graphs, one module per family. Importing registers them.

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

Modules: base (helpers, the ``_Op`` base), elementwise, reductions, reshaping,
joining, linalg (Matmul, Einsum), indexing (GetItem, Where, OneHot).
"""

from __future__ import annotations

from . import elementwise, indexing, joining, linalg, reductions, reshaping  # noqa: F401
from .base import broadcast_shapes, constant_shape

__all__ = ["broadcast_shapes", "constant_shape"]
