"""Built worked-solution pages, opened in headless Chromium with no network.

Needs Debian's chromium (installed by `make test`); tests skip with the install
command when it is missing. The screenshot is kept in test-output/seed-page.png.
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser import (
    INJECTION_PROBE,
    BrowserError,
    chromium_path,
    external_references,
    foreign_page_requests,
    injection_is_inert,
    render_dom,
    screenshot,
    serve,
)

from symcnn import load
from symcnn.render.site import docs_command

REPO = Path(__file__).resolve().parent.parent
TUTORIAL_NUMBERS = ["640", "36928", "12544", "1605760", "516", "1,643,844"]
RAW_LATEX = re.compile(r"\\(frac|lfloor|rfloor|lceil|rceil|left|right|begin|end|times|underbrace|text)\b|\$\$")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chromium() -> str:
    try:
        return chromium_path()
    except BrowserError as exc:
        pytest.skip(str(exc))


def _build(models: list, out: Path) -> Path:
    docs_command(models, str(out), build=True, serve=False, force=False, templates=None)
    return out / "site"


def _text(dom: str) -> str:
    """The text a reader sees: tags removed, entities decoded."""
    body = re.sub(r"<(script|style)\b.*?</\1>", "", dom, flags=re.DOTALL | re.IGNORECASE)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


@pytest.fixture(scope="module")
def seed_site(tmp_path_factory: pytest.TempPathFactory, chromium: str) -> Path:
    return _build([load(REPO / "examples" / "seed.yaml")], tmp_path_factory.mktemp("seed"))


def test_seed_page_renders_every_formula_as_math_offline(
    seed_site: Path, tmp_path: Path, test_output_dir: Path
) -> None:
    netlog = tmp_path / "net.json"
    with serve(seed_site) as base:
        dom = render_dom(base + "models/seed.html", netlog=netlog)
    text = _text(dom)
    maths = dom.count("<math")
    assert maths >= 40, maths
    assert 'class="arithmatex"' in dom
    leftover = RAW_LATEX.findall(text)
    assert not leftover, f"raw LaTeX left in the page text: {leftover[:5]}"
    for number in TUTORIAL_NUMBERS:
        assert number in text, number
    assert foreign_page_requests(netlog) == []
    assert [r for r in external_references(seed_site) if r.loads] == []
    png = screenshot(seed_site / "models" / "seed.html", test_output_dir / "seed-page.png", width=1200, height=5200)
    assert png.stat().st_size > 20_000


def test_seed_page_also_renders_from_file_urls(seed_site: Path) -> None:
    dom = render_dom(seed_site / "models" / "seed.html")
    assert dom.count("<math") >= 40 and "1,643,844" in _text(dom)


def test_a_layer_named_like_a_script_runs_nothing(tmp_path: Path, chromium: str, test_output_dir: Path) -> None:
    src = tmp_path / "evil.yaml"
    src.write_text(json.dumps({
        "name": "<script>document.title='pwned'</script>",
        "description": INJECTION_PROBE,
        "input": [8, 8, 1],
        "layers": [
            {"Conv2D": {"filters": 2, "kernel_size": 3, "name": INJECTION_PROBE}},
            {"Flatten": {"name": "<script>document.title='pwned'</script>"}},
            {"Dense": {"units": 2, "name": "[x](javascript:document.title='pwned')"}},
        ],
    }), encoding="utf-8")
    site = _build([load(src)], tmp_path / "out")
    pages = sorted((site / "models").glob("*.html"))
    assert len(pages) == 1
    netlog = tmp_path / "net.json"
    assert injection_is_inert(render_dom(pages[0], netlog=netlog))
    for target in (pages[0], site / "index.html"):
        dom = render_dom(target)
        assert not re.search(r"<img[^>]*onerror", dom), target
        title = re.search(r"<title>(.*?)</title>", dom, re.DOTALL)
        assert title is not None and "pwned" != title[1].strip()
        assert not re.search(r"<script>document\.title", dom)
        assert 'href="javascript:' not in dom
    dom = render_dom(pages[0])
    assert "<script>document.title='pwned'</script>" in _text(dom)  # shown as text
    screenshot(pages[0], test_output_dir / "injection-page.png", width=1200, height=1600)
