"""Turn LaTeX math into MathML Core at build time, so pages need no JavaScript.

Pages keep their math as LaTeX; ``pymdownx.arithmatex`` (``generic: true``)
wraps it as ``<span class="arithmatex">\\(...\\)</span>`` and
``<div class="arithmatex">\\[...\\]</div>``. The mkdocs hook
:func:`on_page_content` replaces each wrapper's LaTeX with ``<math>`` markup
from ``math-core``. Browsers render MathML Core natively; the site ships the
Latin Modern Math font (``site_assets/``) so it looks the same everywhere.

A formula that does not convert stops the build: no raw LaTeX ever ships.

A generated site finds the hook through a one-line file that
:func:`write_hook_file` writes beside its ``mkdocs.yml``::

    hooks:
      - hooks/symcnn_math.py
"""

from __future__ import annotations

import html
import re
import shutil
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from math_core import LatexError, LatexToMathML

from symcnn.errors import SymcnnError

__all__ = [
    "MathConversionError",
    "convert_arithmatex_html",
    "copy_site_assets",
    "latex_to_mathml",
    "on_page_content",
    "write_hook_file",
]

HOOK_SOURCE = '''"""mkdocs hook: symcnn converts LaTeX math to MathML at build time."""

from symcnn.render.mathml import on_page_content  # noqa: F401
'''

# arithmatex generic mode: inline and block wrappers (tag, delimiters).
_WRAPPED = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">(?P<body>.*?)</(?P=tag)>',
    re.DOTALL,
)
_DELIMS = {"span": (r"\(", r"\)"), "div": (r"\[", r"\]")}


class MathConversionError(SymcnnError):
    """A LaTeX formula that math-core cannot turn into MathML."""


@lru_cache(maxsize=1)
def _converter() -> LatexToMathML:
    return LatexToMathML(pretty_print="never", fancy_error=False)


def latex_to_mathml(latex: str, display: bool) -> str:
    r"""Return MathML Core markup for one LaTeX formula.

    ``display`` selects block (``<math display="block">``) or inline math.
    Raises :class:`MathConversionError` naming the formula if it cannot be
    converted (unknown command, unbalanced braces, ...).

    >>> latex_to_mathml(r"\frac{n}{s}", display=False)
    '<math><mfrac><mi>n</mi><mi>s</mi></mfrac></math>'
    """
    try:
        return _converter().convert_with_local_state(latex, displaystyle=display)
    except LatexError as exc:
        raise MathConversionError(f"cannot convert LaTeX {latex!r} to MathML: {exc}") from exc


# math-core spells out the spacing of × and ⋅; where the operator is infix (not the first child of its
# row) that spacing is MathML Core's own default for it (0.2222em each side), so the attributes can go:
# a page of a big model has thousands of them.
_SPACED = re.compile(r'<mo lspace="0\.2222em" rspace="0\.2222em">([×⋅])</mo>')
_ROW_START = ("<math>", '<math display="block">', "<mrow>")


def _lean(mathml: str) -> str:
    def drop(m: re.Match[str]) -> str:
        before = mathml[max(0, m.start() - 24): m.start()]
        return m[0] if before.endswith(_ROW_START) else f"<mo>{m[1]}</mo>"

    return _SPACED.sub(drop, mathml)


def _convert_match(match: re.Match[str]) -> str:
    tag, body = match["tag"], html.unescape(match["body"]).strip()
    opening, closing = _DELIMS[tag]
    if tag == "span" and body.startswith("\\[") and body.endswith("\\]"):
        # symcnn's derivations: display-style math (full-size fractions) laid out inline, so a line may wrap
        opening, closing = "\\[", "\\]"
    if not (body.startswith(opening) and body.endswith(closing)):
        raise MathConversionError(
            f"arithmatex {tag} is not in generic mode ({opening}...{closing}): {body[:80]!r}"
        )
    latex = body[len(opening) : -len(closing)].strip()
    mathml = _lean(latex_to_mathml(latex, display=tag == "div" or opening == "\\["))
    return f'<{tag} class="arithmatex">{mathml}</{tag}>'


def convert_arithmatex_html(page_html: str) -> str:
    r"""Replace every arithmatex generic-mode formula in ``page_html`` by MathML.

    >>> convert_arithmatex_html('<p><span class="arithmatex">\\(k_{h}\\)</span></p>')
    '<p><span class="arithmatex"><math><msub><mi>k</mi><mi>h</mi></msub></math></span></p>'
    """
    return _WRAPPED.sub(_convert_match, page_html)


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    """mkdocs hook: convert the page's math, failing the build on any bad formula."""
    from mkdocs.exceptions import PluginError

    try:
        return convert_arithmatex_html(html)
    except MathConversionError as exc:
        raise PluginError(f"{page.file.src_uri}: {exc}") from exc


def write_hook_file(path: Path) -> Path:
    """Write the one-line mkdocs hook module that imports :func:`on_page_content`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HOOK_SOURCE, encoding="utf-8")
    return path


def copy_site_assets(dest: Path) -> Path:
    """Copy the CSS and font the MathML needs into ``dest`` (e.g. ``docs/assets/symcnn``)."""
    source = resources.files("symcnn.render") / "site_assets"
    with resources.as_file(source) as src:
        shutil.copytree(src, dest, dirs_exist_ok=True)
    return dest
