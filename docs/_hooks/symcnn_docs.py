"""mkdocs hook for symcnn's own documentation.

- ``on_files``: generates the gallery (worked-solution pages of examples/*.yaml),
  the terminology page and the math assets at build time; none is committed.
- ``on_page_markdown``: replaces ``{{ symcnn:KEY }}`` with numbers and formulas
  computed by symcnn (see ``_values``), so no number in the docs is typed by hand.
- ``on_page_content``: LaTeX -> MathML (symcnn.render.mathml), no JavaScript.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

from symcnn import layers as L
from symcnn import load
from symcnn.model import Sequential
from symcnn.render.mathml import on_page_content  # noqa: F401  (the math hook)
from symcnn.render.pages import render_equation, render_layer_steps, render_model_pages, render_support_files

ROOT = Path(__file__).resolve().parents[2]
GALLERY = ["seed", "lenet5", "alexnet", "vgg16", "resnet50", "mobilenetv2", "seed_symbolic"]
_PLACEHOLDER = re.compile(r"\{\{\s*symcnn:([a-z0-9_]+)\s*\}\}")


def on_files(files: Files, config: Any) -> Files:
    models = [load(ROOT / "examples" / f"{name}.yaml") for name in GALLERY]
    generated = {**render_support_files(), **render_model_pages(models, "gallery")}
    for path, data in sorted(generated.items()):
        files.append(File.generated(config, path, content=data))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    values = _values()

    def fill(match: re.Match[str]) -> str:
        key = match[1]
        if key not in values:
            from mkdocs.exceptions import PluginError

            raise PluginError(f"{page.file.src_uri}: unknown placeholder symcnn:{key}")
        return values[key]

    return _PLACEHOLDER.sub(fill, markdown)


@lru_cache(maxsize=1)
def _values() -> dict[str, str]:
    seed = load(ROOT / "examples" / "seed.yaml")
    values = {
        "seed_params": f"{int(seed.total_params):,}",
        "seed_macs_torchinfo": f"{int(seed.macs('torchinfo')):,}",
        "seed_macs_fvcore": f"{int(seed.macs('fvcore')):,}",
        "seed_macs_table": _mac_table(seed),
        "layer_formulas": _layer_formulas(),
        **_resnet50_torch(),
    }
    return values


def _resnet50_torch() -> dict[str, str]:
    """ResNet-50 with torch's conventions: closed-form MACs in H and W, and their values at a few sizes."""
    model = load(ROOT / "examples" / "resnet50_torch.yaml")
    macs = model.macs("torchinfo")
    H, W = sorted(macs.free_symbols, key=lambda s: s.name)
    rows = ["| input | MACs (torchinfo convention) |", "|---|--:|"]
    for size in (64, 96, 128, 224, 352):
        rows.append(f"| {size}×{size} | {int(macs.subs({H: size, W: size})):,} |")
    return {
        "resnet50_torch_macs": render_equation(r"\mathrm{MACs}(H, W)", macs),
        "resnet50_torch_params": f"{int(model.total_params):,}",
        "resnet50_torch_table": "\n".join(rows),
    }


def _mac_table(model: Any) -> str:
    rows = ["| Layer | Parameters | MACs (torchinfo) | MACs (fvcore) |", "|---|--:|--:|--:|"]
    for r in model.records[1:]:
        rows.append(f"| {r.name} ({r.type}) | {int(r.params):,} | {int(r.macs_by('torchinfo')):,} | "
                    f"{int(r.macs_by('fvcore')):,} |")
    rows.append(f"| **total** | **{int(model.total_params):,}** | **{int(model.macs('torchinfo')):,}** | "
                f"**{int(model.macs('fvcore')):,}** |")
    return "\n".join(rows)


# One example per layer family: its general formulas are printed from the layer's own code.
_EXAMPLES = [
    ("Conv2D, padding 'valid'", (32, 32, 3), lambda: L.Conv2D(16, 3)),
    ("Conv2D, padding 'same', stride 2", (32, 32, 3), lambda: L.Conv2D(16, 3, strides=2, padding="same")),
    ("DepthwiseConv2D", (32, 32, 8), lambda: L.DepthwiseConv2D(3, depth_multiplier=2)),
    ("SeparableConv2D", (32, 32, 8), lambda: L.SeparableConv2D(16, 3)),
    ("Conv2DTranspose", (16, 16, 8), lambda: L.Conv2DTranspose(4, 3, strides=2)),
    ("MaxPooling2D", (32, 32, 8), lambda: L.MaxPooling2D(2)),
    ("GlobalAveragePooling2D", (7, 7, 64), lambda: L.GlobalAveragePooling2D()),
    ("ZeroPadding2D", (32, 32, 3), lambda: L.registry["ZeroPadding2D"](((1, 2), (3, 0)))),
    ("BatchNormalization", (16, 16, 32), lambda: L.registry["BatchNormalization"]()),
    ("Flatten", (7, 7, 64), lambda: L.Flatten()),
    ("Dense", (256,), lambda: L.Dense(10)),
]


def _layer_formulas() -> str:
    out = []
    for title, shape, make in _EXAMPLES:
        model = Sequential([L.Input(shape), make()])
        out.append(f"### {title}\n")
        out.append(f"Example input $(\\text{{None}}, {', '.join(map(str, shape))})$.\n")
        out.append(render_layer_steps(model.records[-1]))
    return "\n".join(out)
