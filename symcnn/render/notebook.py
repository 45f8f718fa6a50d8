"""What Jupyter shows for a model or a layer record: readable text, and the worked solution as HTML with MathML.

``text/html`` is the worked page's Markdown turned into HTML, its math into MathML Core (as the
site does, :mod:`symcnn.render.mathml`): the browser renders it with no script and no network.
A model with more than :data:`NOTEBOOK_LAYERS` layers gets a short display instead: its summary,
its first and last layers, and how to see the rest. ``text/plain`` is the Keras-style summary for
a model and a few labelled lines for a layer, never a dataclass dump.

>>> from symcnn import load
>>> print(plain_text(load("examples/seed.yaml").get_layer("conv2d_1")))
3. conv2d_1 (Conv2D)
  input:  (None, 31, 31, 64) from max_pooling2d
  output: (None, 29, 29, 64)
  params: 36,928
  MACs:   31,056,448 (torchinfo), 31,002,624 (fvcore)
"""

from __future__ import annotations

import html
from typing import Any

from ..errors import SymcnnError
from ..layers.core import InputLayer
from ..model import Model
from ..record import LayerRecord
from .latex import latex
from .pages import render_layer_markdown, render_model_markdown
from .summary import table
from .text import number_text, shape_text

__all__ = ["NOTEBOOK_LAYERS", "html_view", "mimebundle", "plain_text"]

NOTEBOOK_LAYERS = 40  # more layers than this: a short display (the summary), not every worked layer
_HEAD, _TAIL = 10, 5  # layers of a big model's summary shown before and after the gap

_STYLE = """<style>
.symcnn-nb { max-width: 60em; overflow-wrap: anywhere; }
.symcnn-nb table { border-collapse: collapse; margin: 0.6em 0; }
.symcnn-nb th, .symcnn-nb td { border: 1px solid #ccc; padding: 0.2em 0.5em; vertical-align: top; }
.symcnn-nb td:nth-child(n+3) { text-align: right; }
.symcnn-nb div.arithmatex, .symcnn-nb .symcnn-nb-wide { overflow-x: auto; overflow-y: hidden; }
.symcnn-nb img { max-width: 100%; height: auto; }
.symcnn-nb pre { white-space: pre; overflow-x: auto; }
</style>"""


def _macs(rec: LayerRecord, convention: str) -> str:
    try:
        return number_text(rec.macs_by(convention))
    except SymcnnError:
        return "unknown"


def _printable(text: str) -> str:
    """A name from a model file, with control characters (newlines, terminal escapes) shown escaped."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def _record_text(rec: LayerRecord) -> str:
    number = f"{rec.position}. " if rec.position else ""
    lines = [f"{number}{_printable(rec.name)} ({rec.type})"]
    for shape, source in zip(rec.input_shapes, rec.inputs):
        lines.append(f"  input:  {shape_text(shape)} from {_printable(source)}")
    lines.append(f"  output: {shape_text(rec.output_shape)}")
    params = f"  params: {number_text(rec.params)}"
    if rec.non_trainable != 0:
        params += f" (trainable {number_text(rec.trainable)}, non-trainable {number_text(rec.non_trainable)})"
    if rec.shared_with:
        params += f" (weights shared with {_printable(rec.shared_with)})"
    lines.append(params)
    lines.append(f"  MACs:   {_macs(rec, 'torchinfo')} (torchinfo), {_macs(rec, 'fvcore')} (fvcore)")
    return "\n".join(lines)


def _short_table(model: Model) -> str:
    """The summary table; a big model's keeps its first and last layers and says how many it leaves out."""
    text = table(model)
    if len(model.records) <= NOTEBOOK_LAYERS:
        return text
    lines = text.split("\n")
    head, rows_end = 4, lines.index(next(line for line in lines if line.startswith("Total params")))
    rows = lines[head:rows_end]  # a row, then its rule
    left_out = len(rows) // 2 - _HEAD - _TAIL
    gap = f" ... {left_out:,} more layers ..."
    return "\n".join([*lines[:head], *rows[: 2 * _HEAD], gap, rows[2 * _HEAD - 1], *rows[-2 * _TAIL:], *lines[rows_end:]])


def plain_text(obj: Model | LayerRecord) -> str:
    """``text/plain`` for Jupyter: a model's summary table, or a layer's labelled lines.

    >>> from symcnn import load
    >>> plain_text(load("examples/seed.yaml")).splitlines()[0]
    'Model: "seed"'
    """
    if isinstance(obj, LayerRecord):
        return _record_text(obj)
    return _short_table(obj)


def _markdown_to_html(markdown_text: str) -> str:
    import markdown  # type: ignore[import-untyped]  # the docs extra (mkdocs's Markdown), for this view only

    from .mathml import convert_arithmatex_html

    body = markdown.markdown(markdown_text, extensions=[
        "tables", "admonition", "def_list", "attr_list", "md_in_html", "pymdownx.superfences",
        "pymdownx.arithmatex",
    ], extension_configs={"pymdownx.arithmatex": {"generic": True}})
    return convert_arithmatex_html(body)


def _math(tex: str) -> str:
    from .mathml import latex_to_mathml

    return latex_to_mathml(tex, display=False)


def _count_html(value: Any) -> str:
    return f"{int(value):,}" if getattr(value, "is_Integer", False) or isinstance(value, int) else _math(latex(value))


def _big_model_html(model: Model) -> str:
    layers = sum(1 for r in model.records if not isinstance(r.layer, InputLayer))
    name = html.escape(model.name or "model")
    try:
        macs = f'<p class="symcnn-nb-wide">MACs (torchinfo): {_count_html(model.macs("torchinfo"))}</p>'
    except SymcnnError:
        macs = ""
    return (
        f"<h2>{name}</h2>"
        f"<p><strong>{layers:,} layers, {_count_html(model.total_params)} parameters.</strong></p>{macs}"
        f"<p>Too many layers to work out here one by one: <code>model.worked_solution()</code> gives every "
        f"layer's worked solution, <code>symcnn docs</code> writes it as a site, and "
        f"<code>model.get_layer(name)</code> shows one layer's.</p>"
        f"<pre>{html.escape(_short_table(model))}</pre>"
    )


def html_view(obj: Model | LayerRecord) -> str | None:
    """``text/html`` for Jupyter: the worked solution with MathML math; None without the docs extra.

    >>> from symcnn import load
    >>> "<math" in html_view(load("examples/seed.yaml").get_layer("dense"))
    True
    """
    try:
        if isinstance(obj, LayerRecord):
            body = _markdown_to_html(render_layer_markdown(obj))
        elif len(obj.records) > NOTEBOOK_LAYERS:
            body = _big_model_html(obj)
        else:
            body = _markdown_to_html(render_model_markdown(obj))
    except ImportError:
        return None
    return f'{_STYLE}<div class="symcnn-nb">{body}</div>'


def mimebundle(obj: Model | LayerRecord, include: Any = None, exclude: Any = None) -> dict[str, str]:
    """Jupyter's display data: ``text/plain`` and (with the docs extra) ``text/html``, each made once.

    >>> from symcnn import load
    >>> sorted(mimebundle(load("examples/seed.yaml"), exclude=["text/html"]))
    ['text/plain']
    """
    wanted = {"text/plain", "text/html"}
    if include:
        wanted &= set(include)
    if exclude:
        wanted -= set(exclude)
    bundle: dict[str, str] = {}
    if "text/plain" in wanted:
        bundle["text/plain"] = plain_text(obj)
    if "text/html" in wanted:
        page = html_view(obj)
        if page is not None:
            bundle["text/html"] = page
    return bundle
