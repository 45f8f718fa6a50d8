"""mkdocs hook for the reference pages symcnn generates at build time (none is committed).

- ``on_files``: the layer catalogue (``layers.md``), printed from each layer class's own code, as
  ``symcnn layers --format markdown`` prints it.
- ``on_page_markdown``: ``<!-- symcnn:papers-tables -->`` becomes the papers' tables beside symcnn's
  counts (examples/tables/papers.yaml), ``<!-- symcnn:formula FILE QUANTITY -->`` a closed form of an example.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import sympy
from mkdocs.structure.files import File, Files

from symcnn import load
from symcnn.render import catalogue, papers
from symcnn.render.text import expr_text

ROOT = Path(__file__).resolve().parents[2]
_MARKER = re.compile(r"<!-- symcnn:(papers-tables|formula) ?([^>]*?) -->")
_LAYERS_INTRO = """# Layer catalogue

Every layer type symcnn reads, with its arguments and its formulas. Each formula is what the layer's own code
gives when symcnn makes the layer with symbols for its sizes (`filters=F`, `kernel_size=(k_h, k_w)`,
`strides=(s_h, s_w)`, `units=U` ...) and calls it on an input of symbols (`(None, H, W, C)`, or `(1, C, H, W)`
for PyTorch's modules): nothing here is typed by hand. The same list in a terminal: `symcnn layers`, or
`symcnn layers Conv2D Dense`, or `symcnn layers --format json`.

A YAML file reads the layers of its own convention only: a PyTorch module (`Conv2d`) in a Keras-convention file
is refused with a message that says so, and so is a Keras layer in a file that says `convention: torch`.

"""


def on_files(files: Files, config: Any) -> Files:
    page = _LAYERS_INTRO + catalogue.markdown(catalogue.catalogue())
    files.append(File.generated(config, "layers.md", content=page))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    def fill(match: re.Match[str]) -> str:
        if match[1] == "papers-tables":
            return papers.markdown(papers.read_tables(ROOT / "examples" / "tables" / "papers.yaml", ROOT / "examples"))
        file, quantity = match[2].split()
        model = load(ROOT / "examples" / file)
        value = {"params": model.total_params, "macs": model.macs("fvcore")}[quantity]
        terms = sorted(sympy.Add.make_args(sympy.expand(value)), key=lambda t: (-len(t.free_symbols), str(t)))
        lines = "\n".join(("" if i == 0 else "    + ") + expr_text(t) for i, t in enumerate(terms))
        return f"```text\n{quantity} = {lines}\n```"

    return _MARKER.sub(fill, markdown)
