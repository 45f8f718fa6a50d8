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

from ..errors import ArgumentError, SymcnnError
from ..formulas import is_number
from ..layers.core import InputLayer
from ..model import Model
from ..record import LayerRecord
from .charts import params_chart, shape_flow_chart
from .latex import latex
from .teaching import PageOptions, exercise_files, teaching_context, teaching_files
from .templating import FolderLoader, PlainSandbox, check_plain, plain_data
from .text import md_escape
from .worked import LayerWork, layer_work, model_work, symbol_table

__all__ = [
    "package_templates",
    "render_layer_markdown",
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
    # The boundary: templates get plain data only. plain_data converts the SymPy values and work objects
    # the contexts still hold (to go once every context is built as plain data); check_plain enforces it.
    context = plain_data(context)
    check_plain(context, template)
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
    return _count(value, grouped=True)


def _count(value: Any, *, grouped: bool) -> str:
    if isinstance(value, int) or (isinstance(value, sympy.Basic) and value.is_Integer):
        return f"{int(value):,}" if grouped else str(int(value))
    return _inline(f"${latex(value)}$")


def _plain_title(text: str) -> str:
    """A title for places mkdocs prints without escaping (nav, <title>): no markup or control characters.

    Control characters (DEL, C1, bidi overrides) would also make mkdocs.yml invalid YAML.
    """
    printable = "".join(ch for ch in " ".join(text.split()) if ch.isprintable())
    return re.sub(r"[<>&\"'`\\]", "", printable).strip() or "model"


# ---- what a page shows ----------------------------------------------------------------------


def _shape_text(shape: Sequence[Any]) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _plain(value: Any) -> str:
    """A count for a table cell: digits as Keras prints them, or inline math if symbolic."""
    return _count(value, grouped=False)


def _shape_cell(shape: Sequence[Any]) -> str:
    if all(d is None or is_number(d) for d in shape):
        return md_escape(_shape_text(shape))
    return _inline("$" + ", ".join(r"\text{None}" if d is None else latex(d) for d in shape).join(("(", ")")) + "$")


def _source_block(model: Model) -> tuple[str, str]:
    """(language, text) of the model as written: its YAML file, or Keras-style code."""
    source = getattr(model, "source", None)
    if source and Path(source).suffix.lower() in (".yaml", ".yml") and Path(source).is_file():
        return "yaml", Path(source).read_text(encoding="utf-8", errors="replace").rstrip("\n")
    lines = ["import keras", "from keras import layers", ""]
    for rec in model.records:
        if isinstance(rec.layer, InputLayer):
            lines.append(f"{_ident(rec.name)} = keras.Input(shape={tuple(rec.output_shape[1:])!r}, name={rec.name!r})")
            continue
        args = ", ".join(f"{k}={_py(v)}" for k, v in rec.layer.hyperparameters().items())
        args = f"{args}, name={rec.name!r}" if args else f"name={rec.name!r}"
        ins = ", ".join(_ident(i) for i in rec.inputs)
        ins = f"[{ins}]" if len(rec.inputs) > 1 else ins
        lines.append(f"{_ident(rec.name)} = layers.{rec.type}({args})({ins})")
    return "python", "\n".join(lines)


def _ident(name: str) -> str:
    return re.sub(r"\W", "_", name) or "x"


def _py(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_py(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, sympy.Basic):
        return repr(str(value))
    return repr(value)


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _layer_context(work: LayerWork, index: int, previous: str | None = None) -> dict[str, Any]:
    rec = work.record
    steps = []
    for group in ("shape_steps", "param_steps", "mac_steps"):
        steps.append([_step_context(s, work.symbolic) for s in getattr(work, group)])
    listed = [q for q in work.quantities if not q.label.startswith("input ")]
    inputs = [q for q in work.quantities if q.label.startswith("input ")]
    return {
        "index": index,
        "name": rec.name,
        "type": rec.type,
        "work": work,
        "quantities": _grouped(work.quantities),
        "settings": work.settings,
        "input_shapes": [Markup(_shape_cell(s)) for s in rec.input_shapes],
        "inputs": rec.inputs,
        "from_others": len(rec.inputs) > 1 or (previous is not None and rec.inputs != [previous]),
        "shape_line": work.shape_line,
        "output_shape": Markup(_shape_cell(rec.output_shape)),
        "shape_steps": steps[0],
        "param_steps": steps[1],
        "mac_steps": steps[2],
        "param_note": Markup(work.param_note),
        "mac_note": Markup(work.mac_note),
        "trainable": Markup(_plain(rec.trainable)),
        "non_trainable": Markup(_plain(rec.non_trainable)),
        "params": Markup(_plain(rec.params)),
        "macs": Markup(_safe_number(lambda: rec.macs_by("torchinfo"))),
        "shared_with": rec.shared_with,
        "symbolic": work.symbolic,
        "summary_inputs": Markup("<br>".join(
            f"{md_escape(g['label'])}: ${g['value']}$" for g in _grouped(listed) if not _default_one(g)
        )),
        "summary_in": Markup("<br>".join(f"{md_escape(g['label'])}: ${g['value']}$" for g in _grouped(inputs))),
        "summary_calc": Markup(_summary_calc(work)),
        "summary_params": Markup(_summary_params(work)),
    }


_AXIS_WORDS = ("height", "width", "depth", "length", "channels", "size", "top", "bottom", "left", "right",
               "front", "back")
_TIMES_GROUPS = ("input", "kernel", "pool window")


def _grouped(quantities: Sequence[Any]) -> list[dict[str, Any]]:
    """Per-axis quantities in one row: input $H_{in} \\times W_{in} \\times C_{in}$ = $64 \\times 64 \\times 1$."""
    groups: list[tuple[str, list[Any]]] = []
    for q in quantities:
        words = q.label.split()
        key = " ".join(words[:-1]) if len(words) > 1 and words[-1] in _AXIS_WORDS else q.label
        if groups and groups[-1][0] == key:
            groups[-1][1].append(q)
        else:
            groups.append((key, [q]))
    rows = []
    for key, items in groups:
        if len(items) == 1:
            key, symbol, value = items[0].label, items[0].symbol, items[0].value
        elif key in _TIMES_GROUPS:
            symbol = r" \times ".join(q.symbol for q in items)
            value = r" \times ".join(q.value for q in items)
        else:
            symbol = "(" + ", ".join(q.symbol for q in items) + ")"
            value = "(" + ", ".join(q.value for q in items) + ")"
        rows.append({"label": key, "symbol": Markup(symbol), "value": Markup(value)})
    return rows


def _default_one(group: dict[str, Any]) -> bool:
    """A stride, dilation or multiplier of 1 on every axis: left out of the summary, as the tutorial does."""
    return group["label"] in ("stride", "dilation", "depth multiplier", "groups") and set(
        str(group["value"]).strip("()").replace(" ", "").split(",")
    ) == {"1"}


def _step_context(step: Any, symbolic: bool) -> dict[str, Any]:
    lines = [step.words] if step.words else []
    lines.append(step.formula)
    if step.substituted is not None and step.substituted != step.formula:
        lines.append(step.substituted)
    if step.result != lines[-1]:
        lines.append(step.result)
    lhs = step.lhs
    body = "\n".join(
        (f"{lhs} &= {line}" if i == 0 else f"&= {line}") + (r" \\" if i < len(lines) - 1 else "")
        for i, line in enumerate(lines)
    )
    return {
        "title": step.title,
        "math": Markup("\\begin{aligned}\n" + body + "\n\\end{aligned}"),
        "note": Markup(step.note),
        "result": Markup(step.result),
    }


def _inline(tex: str) -> str:
    """Inline math keeps plain brackets: stretchy ones leave gaps at text size in Latin Modern Math."""
    return tex.replace(r"\left(", "(").replace(r"\right)", ")")


def _summary_calc(work: LayerWork) -> str:
    parts = []
    for step in work.shape_steps:
        middle = step.substituted if step.substituted is not None else step.formula
        parts.append(_inline(f"${step.lhs} = {middle} = {step.result}$"))
    return "<br>".join(parts)


def _summary_params(work: LayerWork) -> str:
    if not work.param_steps:
        return "0"
    parts = []
    for step in work.param_steps:
        if step.substituted is not None:
            parts.append(_inline(f"${step.substituted} = {step.result}$"))
        else:
            parts.append(_inline(f"${step.result}$"))
    return "<br>".join(parts)


def _numeric(model: Model) -> Model | None:
    """The model with every size a number (its defaults applied), or None."""
    try:
        m = model.with_defaults()
        shapes_known = all(
            d is None or is_number(d) for r in m.records for d in r.output_shape
        ) and is_number(m.total_params)
    except SymcnnError:
        return None
    return m if shapes_known else None


def _charts(model: Model) -> tuple[str, str] | None:
    m = _numeric(model)
    if m is None:
        return None
    recs = [r for r in m.records if not isinstance(r.layer, InputLayer)]
    params = params_chart([(r.name, int(r.params)) for r in recs])
    flow_rows = []
    for r in m.records:
        values = 1
        for d in r.output_shape[1:]:
            values *= int(d) if d is not None else 1
        flow_rows.append((r.name, _shape_text(r.output_shape), values))
    return params, shape_flow_chart(flow_rows)


def _open_input_totals(model: Model) -> list[tuple[str, str]]:
    """Closed forms with the input's spatial sizes left open (small numeric models only)."""
    inputs = [r for r in model.records if isinstance(r.layer, InputLayer)]
    if model.free_symbols or len(inputs) != 1 or len(model.records) > 40:
        return []
    shape = inputs[0].output_shape
    if len(shape) != 4 or not all(is_number(d) for d in shape[1:]):
        return []
    H, W = sympy.Symbol("H", integer=True, positive=True), sympy.Symbol("W", integer=True, positive=True)
    try:
        open_model = model.with_input((shape[0], H, W, shape[3]))
        rows = [(r"\text{parameters}", latex(open_model.total_params))]
    except SymcnnError:
        return []
    return rows


def _safe_number(value: Any) -> str:
    """A total that may be uncountable (a MAC count through an unknown size): 'unknown' then."""
    try:
        return _number(value())
    except SymcnnError:
        return "unknown"


def _mac_forms(model: Model) -> list[tuple[Markup, Markup]]:
    try:
        return [(Markup(rf"\text{{MACs ({c})}}"), Markup(latex(model.macs(c)))) for c in ("torchinfo", "fvcore")]
    except SymcnnError:
        return []


def _previous(model: Model) -> list[str | None]:
    """For each non-input layer, the name of the record before it (None if that is an input)."""
    out: list[str | None] = []
    for before, rec in zip([None, *model.records], model.records):
        if not isinstance(rec.layer, InputLayer):
            out.append(None if before is None or isinstance(before.layer, InputLayer) else before.name)
    return out


def _model_context(model: Model, slug: str, charts: str = "files", options: PageOptions | None = None) -> dict[str, Any]:
    works = model_work(model)
    language, source = _source_block(model)
    free = sorted(model.free_symbols, key=lambda s: s.name)
    drawn = _charts(model)
    if drawn is None:
        chart_refs: list[tuple[str, str]] = []
    elif charts == "inline":
        chart_refs = [(alt, "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode())
                      for alt, svg in zip(("Parameters per layer", "Tensor shape per layer"), drawn)]
    else:
        chart_refs = [("Parameters per layer", f"{slug}-params.svg"), ("Tensor shape per layer", f"{slug}-shapes.svg")]
    defaults = {s: v for s, v in model.defaults.items() if s in model.free_symbols}
    numeric = _numeric(model) if free else None
    valid_window = any(
        getattr(w.record.layer, "padding", None) == "valid" and w.shape_steps and not w.fallback for w in works
    )
    context = {
        "model": model,
        "name": model.name or slug,
        "title": _plain_title(model.name or slug),
        "slug": slug,
        "description": getattr(model, "description", None) or "",
        "source_language": language,
        "source": Markup(source),
        "fence": Markup(_fence(source)),
        "layers": [_layer_context(w, i, prev) for i, (w, prev) in enumerate(zip(works, _previous(model)), start=1)],
        "inputs": [Markup(_shape_cell(r.output_shape)) for r in model.records if isinstance(r.layer, InputLayer)],
        "total_params": Markup(_number(model.total_params)),
        "trainable_params": Markup(_number(model.trainable_params)),
        "non_trainable_params": Markup(_number(model.non_trainable_params)),
        "macs_torchinfo": Markup(_safe_number(lambda: model.macs("torchinfo"))),
        "macs_fvcore": Markup(_safe_number(lambda: model.macs("fvcore"))),
        "free_symbols": Markup(", ".join(f"${latex(s)}$" for s in free)),
        "symbolic": bool(free),
        "closed_forms": [
            (Markup(r"\text{parameters}"), Markup(latex(model.total_params))),
            (Markup(r"\text{trainable}"), Markup(latex(model.trainable_params))),
            *_mac_forms(model),
        ] if free else [],
        "defaults": [(Markup(s), Markup(v)) for s, v in symbol_table(defaults)],
        "at_defaults": (Markup(_number(numeric.total_params)), Markup(_safe_number(lambda: numeric.macs("torchinfo"))))
        if numeric is not None and defaults else None,
        "open_input": [(Markup(a), Markup(b)) for a, b in _open_input_totals(model)],
        "charts": chart_refs,
        "valid_window": valid_window,
        "fallback_layers": [w.name for w in works if w.fallback],
    }
    context.update(teaching_context(model, slug, options or PageOptions(), standalone=charts == "inline"))
    return context


def render_model_markdown(model: Model, *, templates: str | Path | None = None, slug: str | None = None,
                          charts: str = "inline") -> str:
    """The worked-solution page of ``model`` as Markdown (charts inline, for Jupyter and ``worked_solution()``)."""
    slug = slug or _slug(model.name or "model")
    return _render("page.md.j2", templates, **_model_context(model, slug, charts=charts), standalone=True)


def render_layer_markdown(record: LayerRecord, *, templates: str | Path | None = None) -> str:
    """The worked solution of one layer record as Markdown."""
    return _render("layer.md.j2", templates, layer=_layer_context(layer_work(record), record.position or 1), heading="##")


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
    for model, slug in zip(models, _slugs(models)):
        ctx = _model_context(model, slug, options=options)
        files[f"{folder}/{slug}.md"] = _render("page.md.j2", templates, **ctx, standalone=False).encode("utf-8")
        files.update(teaching_files(ctx, folder))
        drawn = _charts(model) if ctx["charts"] else None
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
    common = {"models": entries, "site_name": name, "exercises": entries if options.exercise else []}
    if options.exercise:
        files.update(exercise_files(entries, lambda template, **ctx: _render(template, templates, **ctx), options))
    files["docs/index.md"] = _render("index.md.j2", templates, **common).encode("utf-8")
    files["docs/terminology.md"] = _render("terminology.md.j2", templates, **common).encode("utf-8")
    files["docs/assets/symcnn/symcnn-site.css"] = _render("site.css", templates).encode("utf-8")
    files["mkdocs.yml"] = _render("mkdocs.yml.j2", templates, **common).encode("utf-8")
    files["hooks/symcnn_math.py"] = _HOOK_SOURCE.encode("utf-8")
    files.update(_assets())
    return dict(sorted(files.items()))
