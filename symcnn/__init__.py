"""symcnn: output shapes, parameter counts and MACs of neural networks as SymPy formulas.

>>> import sympy, symcnn
>>> H, W = sympy.symbols("H W", positive=True, integer=True)
>>> m = symcnn.Sequential([symcnn.layers.Input((H, W, 1)), symcnn.layers.Conv2D(64, 3)])
>>> m.layers[-1].output_shape
(None, H - 2, W - 2, 64)

This module is the top floor: it may import every other one, and it wires the model's
display methods (``summary()``, ``worked_solution()``, ``check()``) to the printers and
the checker above the model (see :mod:`symcnn.views`). Each loads on first use, keeping
``import symcnn`` light.
"""

from __future__ import annotations

from typing import Any

from . import layers, views
from .errors import SymcnnError
from .io import load
from .model import Model, Sequential

__version__ = "0.1.0"


def _summary(model: Model, convention: str = "torchinfo") -> str:
    from .render.summary import table

    return table(model, convention=convention)


def _worked_solution(obj: Any) -> str:
    from .docs import worked_solution

    return worked_solution(obj)


def _check(model: Model, layer: Any, **answers: Any) -> Any:
    from .check import check

    return check(model, layer, **answers)


def _notebook(obj: Any, include: Any = None, exclude: Any = None) -> dict[str, str]:
    from .render.notebook import mimebundle

    return mimebundle(obj, include, exclude)


def _text(obj: Any) -> str:
    from .render.notebook import plain_text

    return plain_text(obj)


def _html(obj: Any) -> str | None:
    from .render.notebook import html_view

    return html_view(obj)


views.register("summary", _summary)
views.register("worked_solution", _worked_solution)
views.register("check", _check)
views.register("notebook", _notebook)
views.register("text", _text)
views.register("html", _html)


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
