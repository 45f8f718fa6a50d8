"""symcnn: output shapes, parameter counts and MACs of neural networks as SymPy formulas.

>>> import sympy, symcnn
>>> H, W = sympy.symbols("H W", positive=True, integer=True)
>>> m = symcnn.Sequential([symcnn.layers.Input((H, W, 1)), symcnn.layers.Conv2D(64, 3)])
>>> m.layers[-1].output_shape
(None, H - 2, W - 2, 64)
"""

from __future__ import annotations

from typing import Any

from . import layers
from .errors import SymcnnError
from .io import load
from .model import Model, Sequential

__version__ = "0.1.0"



def __getattr__(name: str) -> Any:
    """``from_torch`` and ``from_onnx`` load their readers on first use, keeping ``import symcnn`` light."""
    if name == "from_torch":
        from .io.torch_reader import from_torch

        return from_torch
    if name == "from_onnx":
        from .io.onnx import from_onnx

        return from_onnx
    raise AttributeError(f"module 'symcnn' has no attribute {name!r}")


__all__ = ["Model", "Sequential", "SymcnnError", "__version__", "from_onnx", "from_torch", "layers", "load"]
