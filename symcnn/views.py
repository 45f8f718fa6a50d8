"""How a model reaches the printers and the checker that sit on the floor above it.

symcnn's imports run one way (layers → model → io, render, check → cli), so ``model.py``
may not import its printers. ``Model.summary()``, ``worked_solution()``, ``check()`` and
Jupyter's ``_repr_*_`` methods call the function registered here under their name instead
(``notebook`` gives Jupyter's display data, ``text`` and ``html`` its two forms).
``symcnn/__init__.py``, which sits above every floor, registers them; importing any
``symcnn.*`` module runs it first, so every view is there once a model exists.

>>> import symcnn
>>> sorted(registered())
['check', 'html', 'notebook', 'summary', 'text', 'worked_solution']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_VIEWS: dict[str, Callable[..., Any]] = {}


def register(name: str, function: Callable[..., Any]) -> None:
    """Make ``function`` the view called ``name``."""
    _VIEWS[name] = function


def view(name: str) -> Callable[..., Any]:
    """The function registered as ``name``."""
    try:
        return _VIEWS[name]
    except KeyError:
        raise LookupError(f"no view {name!r} is registered (symcnn/__init__.py registers them)") from None


def registered() -> list[str]:
    """The names of the registered views."""
    return list(_VIEWS)
