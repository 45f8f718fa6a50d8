"""Templates are data: a loader that stays inside its folders, a sandbox for plain values, the check at the boundary.

A ``--templates`` folder is someone's text, like a model file. Three rules keep it from
reaching anything else:

* :class:`FolderLoader` reads a template only if its real path (symbolic links resolved)
  lies inside the folder it was found in, and only a regular file of at most
  :data:`MAX_TEMPLATE_BYTES`: ``{% include "secrets.md" %}`` through a link to
  ``~/.ssh/id_rsa`` is an error, not a copy of the key.
* :class:`PlainSandbox` is Jinja2's immutable sandbox that reads attributes and calls
  methods only of plain values (text, numbers, lists, dicts, Markup) and of Jinja2's own
  helpers (``loop``, macros, ``namespace``), and refuses ``"x" * 10**9``.
* :func:`check_plain` is run on every context handed to a template: anything else (a
  SymPy expression, whose ``.subs()`` reaches ``sympify``; a model) fails loudly.

>>> check_plain({"name": "conv", "sizes": [3, 3], "ok": True}, "page.md.j2")
>>> check_plain({"model": object()}, "page.md.j2")
Traceback (most recent call last):
...
TypeError: page.md.j2: the template context holds a object at model; templates are given plain data only
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from typing import Any

import jinja2
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

__all__ = ["MAX_TEMPLATE_BYTES", "FolderLoader", "PlainSandbox", "check_plain"]

MAX_TEMPLATE_BYTES = 1024 * 1024
MAX_REPEAT = 1_000_000  # "x" * n and [..] * n in a template: at most this many items
_PLAIN = (str, int, float, bool, type(None), list, tuple, dict, range)
_JINJA_MODULES = ("jinja2.runtime", "jinja2.utils")


class FolderLoader(jinja2.BaseLoader):
    """Templates from ``folders`` (first match wins), never through a link that leaves the folder."""

    def __init__(self, folders: Sequence[str]) -> None:
        self.folders = [os.path.realpath(f) for f in folders]

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        pieces = split_template_path(template)  # refuses ".." and absolute names
        for folder in self.folders:
            path = os.path.join(folder, *pieces)
            if not os.path.lexists(path):
                continue
            real = os.path.realpath(path)
            if os.path.commonpath([folder, real]) != folder:
                raise jinja2.TemplateError(f"{template} is a link to {real}, outside the templates folder {folder}")
            info = os.stat(real)
            if not stat.S_ISREG(info.st_mode):
                raise jinja2.TemplateError(f"{template} is not a regular file")
            if info.st_size > MAX_TEMPLATE_BYTES:
                raise jinja2.TemplateError(f"{template} is {info.st_size:,} bytes; the limit is {MAX_TEMPLATE_BYTES:,}")
            with open(real, "rb") as fh:
                data = fh.read(info.st_size + 1)
            try:
                source = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise jinja2.TemplateError(f"{template} is not UTF-8 text (byte {exc.start})") from None
            return source, real, _unchanged(real, info.st_mtime_ns)
        raise jinja2.TemplateNotFound(template)


def _unchanged(path: str, mtime: int) -> Callable[[], bool]:
    return lambda: os.path.isfile(path) and os.stat(path).st_mtime_ns == mtime


def _allowed(obj: Any) -> bool:
    return isinstance(obj, _PLAIN) or type(obj).__module__ in _JINJA_MODULES


class PlainSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's sandbox, narrowed to plain values: attributes and methods of anything else are refused."""

    intercepted_binops = frozenset({"*", "**"})

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return _allowed(obj) and super().is_safe_attribute(obj, attr, value)

    def is_safe_callable(self, obj: Any) -> bool:
        owner = getattr(obj, "__self__", None)
        ours = obj in self.globals.values() or isinstance(obj, jinja2.runtime.Macro)
        plain_method = owner is not None and _allowed(owner) and not isinstance(owner, type)
        jinja_helper = type(obj).__module__ in _JINJA_MODULES
        return (ours or plain_method or jinja_helper) and super().is_safe_callable(obj)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > 64:
            raise SecurityError(f"a template may raise to powers up to 64, not {right}")
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_REPEAT:
                    raise SecurityError(f"a template may repeat text or lists up to {MAX_REPEAT:,} items")
        return super().call_binop(context, operator, left, right)


def check_plain(context: dict[str, Any], template: str) -> None:
    """Fail loudly (a TypeError: a bug in symcnn, not bad input) unless every value in ``context`` is plain data."""
    stack: list[tuple[Any, str]] = [(context, "")]
    while stack:
        value, where = stack.pop()
        if isinstance(value, dict):
            stack.extend((v, f"{where}.{k}" if where else str(k)) for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(value))
        elif not isinstance(value, (str, int, float, bool, type(None))):  # Markup is a str
            raise TypeError(f"{template}: the template context holds a {type(value).__name__} at {where}; "
                            "templates are given plain data only")
