"""Small SVG charts for worked-solution pages, drawn at build time (no JavaScript, no network).

Each bar has its label and value on a line of their own above it, so a chart is narrow
(:data:`WIDTH` px) and its text stays readable when a phone shows it at its full width.

>>> svg = params_chart([("conv2d", 640), ("dense", 1605760)])
>>> svg.startswith("<svg") and "1,605,760" in svg
True
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

__all__ = ["FONT_SIZE", "WIDTH", "params_chart", "shape_flow_chart"]

WIDTH = 400
FONT_SIZE = 13
_ROW = 34  # a label line and a bar
_PAD = 8
_FONT = f'font-family="Helvetica, Arial, sans-serif" font-size="{FONT_SIZE}"'
_BAR = "#3f51b5"
_FLOW = "#009688"


def _text(value: str) -> str:
    return html.escape(value, quote=True)


def _clip(name: str, limit: int) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _svg(height: int, title: str, body: list[str]) -> str:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{_text(title)}">'
    )
    return "\n".join([head, f"<title>{_text(title)}</title>",
                      f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>', *body, "</svg>"]) + "\n"


def _chars(text: str) -> int:
    """Roughly how many characters of a label fit beside ``text`` on one line."""
    return max(8, int((WIDTH - 2 * _PAD) / (FONT_SIZE * 0.56)) - len(text) - 2)


def params_chart(rows: Sequence[tuple[str, int]], title: str = "Parameters per layer") -> str:
    """One bar per layer (or repeated block), its length the parameter count (linear scale)."""
    top = 30
    height = top + _ROW * max(len(rows), 1) + 6
    largest = max((v for _, v in rows), default=0) or 1
    room = WIDTH - 2 * _PAD
    body = [f'<text x="{_PAD}" y="18" {_FONT} font-weight="bold">{_text(title)}</text>']
    for i, (name, value) in enumerate(rows):
        y = top + i * _ROW
        number = f"{value:,}"
        length = room * value / largest
        if value > 0:
            length = max(length, 1.5)
        body.append(f'<text x="{_PAD}" y="{y + 12}" {_FONT}>{_text(_clip(name, _chars(number)))}</text>')
        body.append(f'<text x="{WIDTH - _PAD}" y="{y + 12}" {_FONT} text-anchor="end">{number}</text>')
        body.append(f'<rect x="{_PAD}" y="{y + 17}" width="{length:.1f}" height="10" fill="{_BAR}"/>')
    return _svg(height, title, body)


def shape_flow_chart(
    rows: Sequence[tuple[str, str, int]], title: str = "The tensor's shape, layer by layer"
) -> str:
    """One row per layer: its name and output shape, and a bar for the number of values (log scale)."""
    top = 30
    height = top + _ROW * max(len(rows), 1) + 26
    largest = max((v for _, _, v in rows), default=1)
    top_log = math.log10(max(largest, 10))
    room = WIDTH - 2 * _PAD
    body = [f'<text x="{_PAD}" y="18" {_FONT} font-weight="bold">{_text(title)}</text>']
    for i, (name, shape, values) in enumerate(rows):
        y = top + i * _ROW
        length = room * math.log10(max(values, 1) + 1) / (top_log + 0.0001)
        body.append(f'<text x="{_PAD}" y="{y + 12}" {_FONT}>{_text(_clip(name, _chars(shape)))}</text>')
        body.append(f'<text x="{WIDTH - _PAD}" y="{y + 12}" {_FONT} text-anchor="end">{_text(shape)}</text>')
        body.append(f'<rect x="{_PAD}" y="{y + 17}" width="{max(length, 1.5):.1f}" height="10" rx="3" '
                    f'fill="{_FLOW}"/>')
    foot = top + _ROW * max(len(rows), 1) + 14
    body.append(f'<text x="{_PAD}" y="{foot}" {_FONT} fill="#555555">bar: values per sample (log scale)</text>')
    return _svg(height, title, body)
