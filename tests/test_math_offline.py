"""LaTeX becomes MathML at build time, and the built site shows it with no network."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from symcnn.render.mathml import (
    MathConversionError,
    convert_arithmatex_html,
    copy_site_assets,
    latex_to_mathml,
    write_hook_file,
)

REPO_ROOT = Path(__file__).resolve().parent.parent

# (LaTeX, MathML fragments that must appear)
SAMPLES = [
    (r"\left\lfloor \frac{H + 2p - d\,(k - 1) - 1}{s} \right\rfloor + 1",
     ["<mfrac>", "<mo>⌊</mo>", "<mo>⌋</mo>"]),
    ((r"\begin{aligned} W_{out} &= \left\lfloor \frac{64 + 0 - 1 \times (3 - 1) - 1}{1}"
      r" \right\rfloor + 1 \\ &= 62 \end{aligned}"),
     ["<mtable", "<mtr>", "<mfrac>", "<mo>⌊</mo>", "×", "<mn>62</mn>"]),
    (r"\left(3 \times 3 \times 1 + 1\right) \times 64 = \mathbf{640}",
     ["<mo>(</mo>", "×", "𝟔𝟒𝟎"]),
    (r"\left\lceil \frac{n}{s} \right\rceil", ["<mfrac>", "<mo>⌈</mo>", "<mo>⌉</mo>"]),
    (r"k_{h} k_{w} C_{in} F + F", ["<msub><mi>k</mi><mi>h</mi></msub>", "<mo>+</mo>"]),
    (r"\operatorname{floor}", ["<mi>floor</mi>"]),
    (r"H_{\text{in}}", ["<msub><mi>H</mi><mtext>in</mtext></msub>"]),
    (r"1{,}643{,}844", ["<mn>643</mn>", "<mn>844</mn>"]),
    (r"\cdot", ["⋅"]),
]
RAW_LATEX = re.compile(r"\\(frac|lfloor|rfloor|lceil|left|right|begin|times|mathbf)")


@pytest.mark.parametrize("display", [False, True])
@pytest.mark.parametrize(("latex", "fragments"), SAMPLES)
def test_sample_formula_becomes_mathml(latex: str, fragments: list[str], display: bool) -> None:
    mathml = latex_to_mathml(latex, display=display)
    assert mathml.startswith("<math")
    assert ('display="block"' in mathml) is display
    for fragment in fragments:
        assert fragment in mathml
    assert not RAW_LATEX.search(mathml)


@pytest.mark.parametrize("bad", [r"\frac{1}", r"\nosuchcommand x", r"\begin{aligned} a", r"{x"])
def test_bad_formula_raises_naming_the_formula(bad: str) -> None:
    with pytest.raises(MathConversionError) as caught:
        latex_to_mathml(bad, display=True)
    assert repr(bad) in str(caught.value)


def test_arithmatex_generic_output_becomes_mathml() -> None:
    page = (
        '<p>Size <span class="arithmatex">\\(a &lt; b\\)</span> and</p>\n'
        '<div class="arithmatex">\\[\n'
        '\\begin{aligned} x &amp;= 1 \\\\ &amp;= 2 \\end{aligned}\n\\]</div>'
    )
    out = convert_arithmatex_html(page)
    assert '<span class="arithmatex"><math><mi>a</mi><mo>&lt;</mo><mi>b</mi></math></span>' in out
    assert '<div class="arithmatex"><math display="block"><mtable' in out
    assert "\\(" not in out and "\\[" not in out and "&amp;" not in out


def test_arithmatex_in_a_page_with_no_math_is_unchanged() -> None:
    page = "<p>No math, only a price of $5 and a \\(literal\\) in text.</p>"
    assert convert_arithmatex_html(page) == page


def test_arithmatex_not_in_generic_mode_raises() -> None:
    mathjax_mode = '<span class="arithmatex"><script type="math/tex">x</script></span>'
    with pytest.raises(MathConversionError, match="generic mode"):
        convert_arithmatex_html(mathjax_mode)


def test_bad_formula_in_a_page_raises() -> None:
    with pytest.raises(MathConversionError, match="nosuch"):
        convert_arithmatex_html('<span class="arithmatex">\\(\\nosuch\\)</span>')


def test_hook_file_exposes_only_the_page_content_hook(tmp_path: Path) -> None:
    hook = write_hook_file(tmp_path / "hooks" / "symcnn_math.py")
    spec = importlib.util.spec_from_file_location("symcnn_math_hook", hook)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # as mkdocs loads a hooks: entry
    assert [name for name in dir(module) if name.startswith("on_")] == ["on_page_content"]


def test_site_assets_ship_css_font_and_licences(tmp_path: Path) -> None:
    dest = copy_site_assets(tmp_path / "assets" / "symcnn")
    css = (dest / "symcnn-math.css").read_text()
    font_url = re.search(r'url\("([^"]+\.otf)"\)', css)
    assert font_url is not None
    assert (dest / font_url[1]).stat().st_size > 500_000
    for licence in ("GUST-FONT-LICENSE.txt", "MANIFEST-Latin-Modern-Math.txt",
                    "README-Latin-Modern-Math.txt"):
        assert (dest / "fonts" / licence).is_file()
    assert (dest / "iframe-worker-shim.js").is_file()
    assert (dest / "iframe-worker-LICENSE.txt").is_file()
    assert "http" not in css


# ---------------------------------------------------------------- the built site

MKDOCS_YML = """\
site_name: symcnn math check
use_directory_urls: false
theme:
  name: material
  font: false
extra:
  generator: false
  polyfills:
    - assets/symcnn/iframe-worker-shim.js
extra_css:
  - assets/symcnn/symcnn-math.css
markdown_extensions:
  - pymdownx.arithmatex:
      generic: true
hooks:
  - hooks/symcnn_math.py
plugins:
  - search
  - offline
"""

PAGE_MD = r"""# Conv2D worked example

## &lt;img src=x onerror="document.title='pwned'"&gt;

Output height: $\left\lfloor \frac{H + 2p - d\,(k - 1) - 1}{s} \right\rfloor + 1$,
with $H_{\text{in}}$, $\left\lceil \frac{n}{s} \right\rceil$ and $\operatorname{floor}$.

$$
\begin{aligned} W_{out} &= \left\lfloor \frac{64 + 0 - 1 \times (3 - 1) - 1}{1} \right\rfloor + 1
\\ &= 62 \end{aligned}
$$

$$
\left(3 \times 3 \times 1 + 1\right) \times 64 = \mathbf{640}
$$

Parameters $k_{h} k_{w} C_{in} F + F$, total $1{,}643{,}844$, product $a \cdot b$.
"""


def _build_site(root: Path, page: str) -> subprocess.CompletedProcess[str]:
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "index.md").write_text(page, encoding="utf-8")
    (root / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    write_hook_file(root / "hooks" / "symcnn_math.py")
    copy_site_assets(root / "docs" / "assets" / "symcnn")
    path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": path}
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=root,
                          env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.slow
def test_built_site_shows_math_with_no_network(tmp_path: Path, test_output_dir: Path) -> None:
    import browser

    built = _build_site(tmp_path, PAGE_MD)
    assert built.returncode == 0, built.stderr
    site = tmp_path / "site"
    index = site / "index.html"

    html = index.read_text(encoding="utf-8")
    assert html.count("<math") == 9
    assert "arithmatex\">\\(" not in html and "arithmatex\">\\[" not in html
    assert browser.external_references(site) == []

    with browser.serve(site) as base:
        netlog = tmp_path / "netlog.json"
        dom = browser.render_dom(base + "index.html", netlog=netlog)
        shot = browser.screenshot(base + "index.html", test_output_dir / "math-offline.png",
                                  width=1200, height=900)
    assert browser.foreign_page_requests(netlog) == []
    assert any(r.url.endswith("symcnn-math.css") for r in browser.page_requests(netlog))

    text = re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", "", dom, flags=re.DOTALL))
    assert dom.count("<math") == 9
    assert "<mfrac>" in dom and "<mtable" in dom and "⌊" in dom
    assert not RAW_LATEX.search(text)
    assert browser.injection_is_inert(dom)
    assert shot.stat().st_size > 10_000

    # The same page straight from disk, as a reader opening index.html would.
    file_dom = browser.render_dom(index, netlog=tmp_path / "netlog-file.json")
    assert file_dom.count("<math") == 9
    assert browser.foreign_page_requests(tmp_path / "netlog-file.json") == []


@pytest.mark.slow
def test_site_build_fails_loudly_on_a_bad_formula(tmp_path: Path) -> None:
    built = _build_site(tmp_path, "# Bad\n\n$\\frac{1}$\n")
    assert built.returncode != 0
    assert "index.md" in built.stderr and "frac" in built.stderr
    assert not (tmp_path / "site" / "index.html").exists()
