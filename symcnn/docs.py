"""Worked-solution docs from Python: ``symcnn.docs.write_site(models, "site/")``.

>>> import symcnn, symcnn.docs
>>> md = symcnn.docs.worked_solution(symcnn.load("examples/seed.yaml"))
>>> "1,643,844" in md
True
"""

from __future__ import annotations

from typing import Any

from .render.site import build_site, docs_command, render_site, serve_site, write_site
from .render.worked import layer_work, model_work, repr_markdown


def worked_solution(obj: Any) -> str:
    """The worked solution of a model (or of one layer record) as Markdown."""
    return repr_markdown(obj)


__all__ = ["build_site", "docs_command", "layer_work", "model_work", "render_site", "serve_site",
           "worked_solution", "write_site"]
