"""``symcnn docs --exercise``: a printable worksheet and a separate solutions page per model.

The worksheet gives every layer's inputs (the tutorial's "input parameters" table and the
input shape) and leaves its output shape and counts as boxes to fill in; unless
``--hide-formulas``, it also gives each general formula, with no number put in. The solutions
page works every layer out, as the model's page does, one layer to a printed page. Every layer
is its own question: nothing is listed as "like an earlier one", as a long page does.

>>> from symcnn import load
>>> sheet = worksheet_layers(load("examples/seed.yaml"), PageOptions())
>>> [layer["name"] for layer in sheet][:3], sheet[0]["formulas"][0]["title"]
(['conv2d', 'max_pooling2d', 'conv2d_1'], 'Output height and width')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..layers.core import InputLayer
from ..model import Model
from .context import Notes, layer_context
from .teaching import PageOptions
from .worked import LayerWork, Step, layer_work

__all__ = ["exercise_files", "worksheet_layers"]


def _general(step: Step) -> dict[str, Any]:
    """A step as the worksheet gives it: ``lhs = words = formula``, no numbers put in."""
    lhs = [] if step.lhs_f is None else step.lhs_f.pieces()
    chain = [f for f in (step.words_f, step.formula_f) if f is not None]
    rows = [{"lhs": lhs if i == 0 else [], "rhs": f.pieces(), "result": i == len(chain) - 1}
            for i, f in enumerate(chain)]
    return {"title": step.title, "rows": rows, "note": ""}


def _formulas(work: LayerWork, options: PageOptions) -> list[dict[str, Any]]:
    if not options.formulas or work.fallback:
        return []
    steps = [*work.shape_steps, *work.param_steps]
    if options.macs:  # the worksheet asks for torchinfo's count, so it gives torchinfo's formula
        steps += [s for s in work.mac_steps if "torchinfo" in s.title]
    return [_general(s) for s in steps]


def _works(model: Model) -> list[LayerWork]:
    return [layer_work(r) for r in model.records if not isinstance(r.layer, InputLayer)]


def worksheet_layers(model: Model, options: PageOptions) -> list[dict[str, Any]]:
    """Every layer of ``model`` as plain data for worksheet.md.j2: its given inputs and the formulas to use."""
    notes = Notes(links=False)
    layers: list[dict[str, Any]] = []
    previous: str | None = None
    for work in _works(model):
        rec = work.record
        layer = layer_context(work, rec.position or len(layers) + 1, notes, previous=previous)
        previous = rec.name
        layers.append({**layer, "formulas": _formulas(work, options)})
    return layers


def _solution_layers(model: Model) -> list[dict[str, Any]]:
    notes = Notes(links=False)
    out: list[dict[str, Any]] = []
    previous: str | None = None
    for work in _works(model):
        out.append(layer_context(work, work.record.position or len(out) + 1, notes, previous=previous))
        previous = work.record.name
    return out


def exercise_files(
    models: Sequence[Model], pages: Sequence[Mapping[str, Any]], render: Callable[..., str], options: PageOptions
) -> dict[str, bytes]:
    """The worksheet and the solutions page of each model (paths relative to the site root).

    ``pages`` are the models' page contexts (for the name, the title, the slug and the summary);
    ``render(template, **context)`` renders a template.

    >>> sorted(exercise_files([], [], lambda template, **context: "", PageOptions(exercise=True)))
    []
    """
    files = {}
    for model, page in zip(models, pages):
        common = {**page, "standalone": False, "formulas": options.formulas, "show_macs": options.macs}
        files[f"docs/worksheets/{page['slug']}.md"] = render(
            "worksheet.md.j2", **common, layers=worksheet_layers(model, options)).encode("utf-8")
        files[f"docs/solutions/{page['slug']}.md"] = render(
            "solutions.md.j2", **common, layers=_solution_layers(model)).encode("utf-8")
    return files
