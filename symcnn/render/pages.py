"""Worked-solution pages from Jinja2 templates: the environment, page contexts and the pure ``render_*`` functions.

Nothing here writes to disk: each ``render_*`` returns text or ``{relative path: bytes}``
(:mod:`symcnn.render.site_files` writes them safely).

>>> from symcnn import load
>>> pages = render_site([load("examples/seed.yaml")])
>>> sorted(p for p in pages if p.endswith(".md"))
['docs/index.md', 'docs/models/seed.md', 'docs/terminology.md']
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import sympy
from markupsafe import Markup

from ..errors import ArgumentError
from ..model import Model
from ..record import LayerRecord
from .charts import params_chart, shape_flow_chart
from .context import Notes, chart_rows, layer_context, model_context
from .context import plain_title as _plain_title
from .exercise import exercise_files
from .latex import Formula, arrange, latex
from .teaching import PageOptions, teaching_context, teaching_files
from .templating import FolderLoader, PlainSandbox, check_plain
from .text import md_escape
from .worked import layer_work

__all__ = [
    "package_templates",
    "render_equation",
    "render_layer_markdown",
    "render_layer_steps",
    "render_model_markdown",
    "render_model_pages",
    "render_site",
    "render_support_files",
]

_HOOK_SOURCE = '''"""mkdocs hook: symcnn converts LaTeX math to MathML at build time."""

from symcnn.render.mathml import on_page_content  # noqa: F401
'''


# ---- templates -------------------------------------------------------------------------


def package_templates() -> Path:
    """The folder of templates shipped with symcnn (``symcnn/templates``)."""
    return Path(str(resources.files("symcnn") / "templates"))


def _finalize(value: Any) -> Any:
    """Escape by default: anything a template prints that is not Markup is user text."""
    if isinstance(value, Markup):
        return value
    if value is None:
        return ""
    return Markup(md_escape(value))


@lru_cache(maxsize=8)
def _environment(templates: str | None) -> jinja2.Environment:
    folders = ([templates] if templates else []) + [str(package_templates())]
    # Sandboxed: a user's --templates folder can format plain values; it reaches no object, method or file
    # beyond them (no link out of its folder is followed).
    env = PlainSandbox(
        loader=FolderLoader(folders),
        finalize=_finalize,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["math"] = lambda tex: Markup(f"${tex}$")
    env.filters["number"] = lambda v: Markup(_number(v))
    env.filters["yaml"] = lambda v: Markup(json.dumps(_plain_title(str(v)), ensure_ascii=False))
    env.filters["trusted"] = Markup
    return env


def _template(name: str, templates: str | Path | None) -> jinja2.Template:
    if templates is not None and not Path(templates).is_dir():
        raise ArgumentError(f"--templates must be a folder, got {str(templates)!r}")
    try:
        return _environment(str(templates) if templates else None).get_template(name)
    except jinja2.TemplateError as exc:
        raise ArgumentError(f"template {name}: {exc}") from None


def _render(template: str, templates: str | Path | None, /, **context: Any) -> str:
    check_plain(context, template)  # the boundary: templates get plain data only, never live SymPy or model objects
    try:
        return _template(template, templates).render(**context)
    except jinja2.TemplateError as exc:  # SecurityError included: a template reached for something not given
        raise ArgumentError(f"template {template}: {exc}") from None
    except (ArithmeticError, TypeError, ValueError, LookupError, RecursionError, MemoryError) as exc:
        if templates is None:
            raise  # symcnn's own templates: a bug
        raise ArgumentError(f"template {template} failed: {type(exc).__name__}: {exc}") from None


def _number(value: Any) -> str:
    """A total for prose: digits grouped with commas, or inline math if symbolic."""
    if isinstance(value, int) or (isinstance(value, sympy.Basic) and value.is_Integer):
        return f"{int(value):,}"
    return f"${latex(value, stretchy=False)}$"


# ---- pages -------------------------------------------------------------------------------------

_CHART_ALT = ("Parameters per layer", "Tensor shape per layer")


def _charts(model: Model) -> tuple[str, str] | None:
    rows = chart_rows(model)
    if rows is None:
        return None
    return params_chart(rows[0]), shape_flow_chart(rows[1])


def _chart_refs(drawn: tuple[str, str] | None, slug: str, charts: str) -> list[dict[str, str]]:
    if drawn is None:
        return []
    if charts == "inline":
        return [{"alt": alt, "src": "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()}
                for alt, svg in zip(_CHART_ALT, drawn)]
    return [{"alt": alt, "src": f"{slug}-{kind}.svg"} for alt, kind in zip(_CHART_ALT, ("params", "shapes"))]


def render_model_markdown(model: Model, *, templates: str | Path | None = None, slug: str | None = None,
                          charts: str = "inline") -> str:
    """The worked-solution page of ``model`` as Markdown (charts inline, for Jupyter and ``worked_solution()``)."""
    slug = slug or _slug(model.name or "model")
    ctx = model_context(model, slug, links=False, charts=_chart_refs(_charts(model), slug, charts))
    ctx.update(teaching_context(model, slug, PageOptions(), page=ctx, standalone=True))
    return _render("page.md.j2", templates, **ctx, standalone=True)


def render_layer_markdown(record: LayerRecord, *, templates: str | Path | None = None) -> str:
    """The worked solution of one layer record as Markdown."""
    layer = layer_context(layer_work(record), record.position or 1, Notes(links=False))
    return _render("layer.md.j2", templates, layer=layer, heading="##", standalone=True)


def render_layer_steps(record: LayerRecord, *, templates: str | Path | None = None) -> str:
    """A layer's derivations alone (no heading, no tables), for documentation pages that explain a formula."""
    layer = layer_context(layer_work(record), 1, Notes(links=False))
    return _render("steps.md.j2", templates, layer=layer)


def render_equation(lhs: str, value: Any, *, templates: str | Path | None = None) -> str:
    """``lhs = value`` (``lhs`` LaTeX, ``value`` a SymPy expression) as a derivation that wraps on a narrow screen.

    >>> import sympy
    >>> "symcnn-eq" in render_equation(r"\\text{MACs}", sympy.Symbol("H") * 3)
    True
    """
    equation = {"lhs": [lhs], "rhs": Formula(arrange(value, {})).pieces()}
    return _render("equation.md.j2", templates, equation=equation)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "model"


def _slugs(models: Sequence[Model]) -> list[str]:
    out: list[str] = []
    for m in models:
        base = _slug(m.name or "model")
        slug, n = base, 2
        while slug in out or slug in ("index", "terminology"):
            slug, n = f"{base}-{n}", n + 1
        out.append(slug)
    return out


def _assets() -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    root = resources.files("symcnn.render") / "site_assets"

    def walk(node: Any, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            elif not child.name.startswith("."):
                files[f"docs/assets/symcnn/{prefix}{child.name}"] = child.read_bytes()

    walk(root, "")
    return files


def _model_pages(
    models: Sequence[Model], folder: str, templates: str | Path | None, options: PageOptions | None = None
) -> tuple[dict[str, bytes], list[dict[str, Any]]]:
    files: dict[str, bytes] = {}
    entries = []
    options = options or PageOptions()
    for model, slug in zip(models, _slugs(models)):
        drawn = _charts(model) if options.charts else None
        ctx = model_context(model, slug, charts=_chart_refs(drawn, slug, "files"))
        ctx.update(teaching_context(model, slug, options, page=ctx))
        files[f"{folder}/{slug}.md"] = _render("page.md.j2", templates, **ctx, standalone=False).encode("utf-8")
        files.update(teaching_files(ctx, folder))
        if drawn is not None:
            files[f"{folder}/{slug}-params.svg"] = drawn[0].encode("utf-8")
            files[f"{folder}/{slug}-shapes.svg"] = drawn[1].encode("utf-8")
        entries.append(ctx)
    return files, entries


def render_model_pages(
    models: Sequence[Model], folder: str = "models", *, templates: str | Path | None = None
) -> dict[str, bytes]:
    """The worked-solution pages (and charts) of ``models`` under ``folder``: for embedding in another mkdocs site."""
    return _model_pages(models, folder, templates)[0]


def render_support_files(*, templates: str | Path | None = None) -> dict[str, bytes]:
    """The terminology page, CSS, font and hook every site with worked pages needs (paths relative to docs/)."""
    files = {f[len("docs/"):]: data for f, data in _assets().items()}
    files["terminology.md"] = _render("terminology.md.j2", templates, models=[], site_name="").encode("utf-8")
    files["assets/symcnn/symcnn-site.css"] = _render("site.css", templates).encode("utf-8")
    return files


def render_site(
    models: Sequence[Model], *, templates: str | Path | None = None, site_name: str | None = None,
    options: PageOptions | None = None,
) -> dict[str, bytes]:
    """Every file of the mkdocs project for ``models``: ``{posix relative path: content}``. Pure."""
    if not models:
        raise ArgumentError("docs needs at least one model")
    options = options or PageOptions()
    pages, entries = _model_pages(models, "models", templates, options)
    files = {f"docs/{path}": data for path, data in pages.items()}
    name = site_name or options.title or ("symcnn: " + ", ".join(_plain_title(m.name or "model") for m in models[:3])
                         + (", ..." if len(models) > 3 else ""))
    common = {"models": entries, "site_name": name, "show_macs": options.macs,
              "exercises": entries if options.exercise else []}
    if options.exercise:
        files.update(exercise_files(models, entries, lambda template, **ctx: _render(template, templates, **ctx), options))
    files["docs/index.md"] = _render("index.md.j2", templates, **common).encode("utf-8")
    files["docs/terminology.md"] = _render("terminology.md.j2", templates, **common).encode("utf-8")
    files["docs/assets/symcnn/symcnn-site.css"] = _render("site.css", templates).encode("utf-8")
    files["mkdocs.yml"] = _render("mkdocs.yml.j2", templates, **common).encode("utf-8")
    files["hooks/symcnn_math.py"] = _HOOK_SOURCE.encode("utf-8")
    files.update(_assets())
    return dict(sorted(files.items()))
