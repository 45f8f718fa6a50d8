"""Every layer type symcnn knows, one module per family. Importing registers them."""

from __future__ import annotations

# torch_layers last: torch classes (Flatten, ReLU ...) never displace Keras classes of the same name.
from . import conv, core, dense, embedding, keras_extra, merge, norm, pool, recurrent, reshape, torch_layers  # noqa: F401
from .base import Layer, Weight
from .conv import *  # noqa: F401,F403
from .core import Input, InputLayer  # noqa: F401
from .core import *  # noqa: F401,F403
from .dense import Dense  # noqa: F401
from .merge import *  # noqa: F401,F403
from .pool import *  # noqa: F401,F403

registry = Layer.registry


def __getattr__(name: str) -> type[Layer]:
    try:
        return Layer.registry[name]
    except KeyError:
        raise AttributeError(name) from None


__all__ = ["Layer", "Weight", "Input", "registry", *sorted(k for k in Layer.registry if k.isidentifier())]
