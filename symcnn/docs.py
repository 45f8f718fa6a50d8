"""Worked-solution docs from Python: ``symcnn.docs.write_site(models, "site/")``.

For a course: ``write_site(models, "site/", options=PageOptions(title="Week 3", macs=False, exercise=True))``.

>>> import symcnn, symcnn.docs
>>> md = symcnn.docs.worked_solution(symcnn.load("examples/seed.yaml"))
>>> "1,643,844" in md
True
"""

from __future__ import annotations

from .model import Model
from .record import LayerRecord
from .render.pages import render_layer_markdown, render_model_markdown, render_site
from .render.site import build_site, docs_command, serve_site, write_site
from .render.teaching import PageOptions
from .render.worked import layer_work, model_work


def worked_solution(obj: Model | LayerRecord) -> str:
    """The worked solution of a model, or of one layer record, as Markdown (Jupyter's ``_repr_markdown_``)."""
    if isinstance(obj, Model):
        return render_model_markdown(obj)
    return render_layer_markdown(obj)


__all__ = ["PageOptions", "build_site", "docs_command", "layer_work", "model_work", "render_site", "serve_site",
           "worked_solution", "write_site"]
