"""Every layer type symcnn knows, one module per family. Importing registers them."""

from __future__ import annotations

# torch last: torch classes (Flatten, ReLU ...) never displace Keras classes of the same name.
from . import (  # noqa: F401
    applications,
    attention,
    conv,
    core,
    dense,
    einsum,
    embedding,
    keras_ops,
    merge,
    norm,
    pool,
    preprocessing,
    recurrent,
    reshape,
    torch,
)
from .base import Layer, Weight
from .conv import *
from .core import *
from .core import Input, InputLayer  # noqa: F401
from .dense import Dense  # noqa: F401
from .merge import *
from .pool import *

registry = Layer.registry


def __getattr__(name: str) -> type[Layer]:
    try:
        return Layer.registry[name]
    except KeyError:
        raise AttributeError(name) from None


__all__ = ["Layer", "Weight", "Input", "registry", *sorted(k for k in Layer.registry if k.isidentifier())]  # noqa: PLE0604
