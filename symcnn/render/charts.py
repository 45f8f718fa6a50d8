"""Small SVG charts for worked-solution pages, drawn at build time (no JavaScript, no network).

>>> svg = params_chart([("conv2d", 640), ("dense", 1605760)])
>>> svg.startswith("<svg") and "1,605,760" in svg
True
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

__all__ = ["params_chart", "shape_flow_chart"]

_WIDTH = 760
_ROW = 22
_LABEL = 230
_FONT = 'font-family="Helvetica, Arial, sans-serif" font-size="12"'
_BAR = "#3f51b5"
_FLOW = "#009688"


def _text(value: str) -> str:
    return html.escape(value, quote=True)


def _clip(name: str, limit: int = 28) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _svg(height: int, title: str, body: list[str]) -> str:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{height}" '
        f'viewBox="0 0 {_WIDTH} {height}" role="img" aria-label="{_text(title)}">'
    )
    return "\n".join([head, f"<title>{_text(title)}</title>",
                      f'<rect width="{_WIDTH}" height="{height}" fill="#ffffff"/>', *body, "</svg>"]) + "\n"


def params_chart(rows: Sequence[tuple[str, int]], title: str = "Parameters per layer") -> str:
    """A horizontal bar chart: one bar per layer, its length the layer's parameter count (linear)."""
    top = 28
    height = top + _ROW * max(len(rows), 1) + 12
    largest = max((v for _, v in rows), default=0) or 1
    room = _WIDTH - _LABEL - 110
    body = [f'<text x="8" y="18" {_FONT} font-weight="bold">{_text(title)}</text>']
    for i, (name, value) in enumerate(rows):
        y = top + i * _ROW
        length = room * value / largest
        if value > 0:
            length = max(length, 1.5)
        body.append(f'<text x="{_LABEL - 8}" y="{y + 15}" {_FONT} text-anchor="end">{_text(_clip(name))}</text>')
        body.append(f'<rect x="{_LABEL}" y="{y + 4}" width="{length:.1f}" height="{_ROW - 8}" fill="{_BAR}"/>')
        body.append(f'<text x="{_LABEL + length + 6:.1f}" y="{y + 15}" {_FONT}>{value:,}</text>')
    return _svg(height, title, body)


def shape_flow_chart(
    rows: Sequence[tuple[str, str, int]], title: str = "The tensor's shape, layer by layer"
) -> str:
    """One row per layer: its name, a bar for the number of values it outputs (log scale), the shape."""
    top = 28
    height = top + _ROW * max(len(rows), 1) + 30
    largest = max((v for _, _, v in rows), default=1)
    top_log = math.log10(max(largest, 10))
    room = _WIDTH - _LABEL - 230
    body = [f'<text x="8" y="18" {_FONT} font-weight="bold">{_text(title)}</text>']
    for i, (name, shape, values) in enumerate(rows):
        y = top + i * _ROW
        length = room * math.log10(max(values, 1) + 1) / (top_log + 0.0001)
        body.append(f'<text x="{_LABEL - 8}" y="{y + 15}" {_FONT} text-anchor="end">{_text(_clip(name))}</text>')
        body.append(f'<rect x="{_LABEL}" y="{y + 4}" width="{max(length, 1.5):.1f}" height="{_ROW - 8}" '
                    f'rx="3" fill="{_FLOW}"/>')
        body.append(f'<text x="{_LABEL + room + 10}" y="{y + 15}" {_FONT}>{_text(shape)}</text>')
    foot = top + _ROW * max(len(rows), 1) + 18
    body.append(f'<text x="{_LABEL}" y="{foot}" {_FONT} fill="#555555">bar length: values per sample '
                f'(log scale); text: output shape</text>')
    return _svg(height, title, body)
