"""Built worked-solution pages, opened in headless Chromium with no network, at a desktop's and a phone's width.

Needs Debian's chromium (installed by `make test`); tests skip with the install
command when it is missing. Screenshots are kept in test-output/pages/.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser import (
    INJECTION_PROBE,
    BrowserError,
    Page,
    chromium_path,
    external_references,
    foreign_page_requests,
    injection_is_inert,
    render_dom,
    screenshot,
    serve,
)
from page_models import FAMILIES, family_yaml

from symcnn import load
from symcnn.render.charts import FONT_SIZE
from symcnn.render.site import docs_command

REPO = Path(__file__).resolve().parent.parent
TUTORIAL_NUMBERS = ["640", "36,928", "12544", "1,605,760", "516", "1,643,844"]
RAW_LATEX = re.compile(r"\\(frac|lfloor|rfloor|lceil|rceil|left|right|begin|end|times|underbrace|text)\b|\$\$")
WIDTHS = (1280, 390)  # a desktop, and a phone (emulated: headless Chromium's windows are at least 500 px wide)
READABLE_PX = 10  # the smallest chart text a reader is asked to read

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
    return _build([load(REPO / "examples" / "seed.yaml"), load(REPO / "examples" / "seed_symbolic.yaml")],
                  tmp_path_factory.mktemp("seed"))


@pytest.fixture(scope="module")
def families_site(tmp_path_factory: pytest.TempPathFactory, chromium: str) -> Path:
    folder = tmp_path_factory.mktemp("families")
    models = []
    for name in sorted(FAMILIES):
        path = folder / f"{name}.yaml"
        path.write_text(family_yaml(name), encoding="utf-8")
        models.append(load(path))
    return _build(models, folder / "out")


@pytest.fixture(scope="module")
def densenet_site(tmp_path_factory: pytest.TempPathFactory, chromium: str) -> Path:
    keras = pytest.importorskip("keras")
    folder = tmp_path_factory.mktemp("densenet")
    path = folder / "densenet201.json"
    path.write_text(keras.applications.DenseNet201(weights=None).to_json(), encoding="utf-8")
    return _build([load(path)], folder / "out")


@pytest.fixture(scope="module")
def gallery_site(tmp_path_factory: pytest.TempPathFactory, chromium: str) -> Path:
    out = tmp_path_factory.mktemp("gallery")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(REPO / "mkdocs.yml"), "-d", str(out)],
        capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, check=False, cwd=REPO,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def _chart_sizes(page: Path) -> dict[str, float]:
    """For each chart SVG beside ``page``: its drawn width (the viewBox), to compare with the width shown."""
    out = {}
    for svg in page.parent.glob("*.svg"):
        m = re.search(r'viewBox="0 0 ([\d.]+) ', svg.read_text(encoding="utf-8"))
        if m:
            out[svg.name] = float(m[1])
    return out


def _check_pages(pages: list[Path], label: str, test_output_dir: Path) -> None:
    """Every element of every page fits its box at each width, and chart text stays readable."""
    shots = test_output_dir / "pages"
    problems: list[str] = []
    for width in WIDTHS:
        with Page(pages[0].as_uri(), width) as tab:
            for page in pages:
                tab.goto(page.as_uri())
                problems += [f"{page.name} at {width} px: {p}" for p in tab.layout_problems()]
                drawn = _chart_sizes(page)
                for src, shown in tab.image_widths():
                    if src in drawn:
                        px = FONT_SIZE * shown / drawn[src]
                        if px < READABLE_PX:
                            problems.append(f"{page.name} at {width} px: chart {src} text is {px:.1f} px")
                tab.screenshot(shots / f"{label}-{page.stem}-{width}.png", top=0, height=4000)
    assert not problems, "\n".join(problems[:30])


def test_seed_and_symbolic_pages_fit_a_desktop_and_a_phone(seed_site: Path, test_output_dir: Path) -> None:
    pages = [seed_site / "models" / "seed.html", seed_site / "models" / "seed-symbolic.html",
             seed_site / "index.html", seed_site / "terminology.html"]
    _check_pages(pages, "seed", test_output_dir)


def test_a_page_of_every_layer_family_fits_a_desktop_and_a_phone(families_site: Path, test_output_dir: Path) -> None:
    pages = sorted((families_site / "models").glob("*.html"))
    assert len(pages) == len(FAMILIES)
    _check_pages(pages, "family", test_output_dir)


def test_the_gallery_fits_a_desktop_and_a_phone(gallery_site: Path, test_output_dir: Path) -> None:
    pages = sorted((gallery_site / "gallery").glob("*.html"))
    assert {p.stem for p in pages} >= {"seed", "lenet5", "alexnet", "vgg16", "resnet50", "mobilenetv2", "seed-symbolic"}
    _check_pages(pages, "gallery", test_output_dir)


def test_densenet201_fits_and_stays_under_a_megabyte(densenet_site: Path, test_output_dir: Path) -> None:
    page = densenet_site / "models" / "densenet201.html"
    assert page.stat().st_size < 1_000_000, page.stat().st_size
    text = html.unescape(page.read_text(encoding="utf-8"))  # names are written as entities (conv5&#95;block32)
    assert "conv5_block32" in text and "worked out" in text  # the last repeat is listed
    _check_pages([page], "densenet", test_output_dir)


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


def test_the_teachers_class_report_fits_a_desktop_and_a_phone(tmp_path: Path, chromium: str, test_output_dir: Path) -> None:
    # two students: one carries a 'same'-padding slip forward and flattens the global pooling on top of it
    fixtures = REPO / "tests" / "fixtures" / "check"
    rows = [
        ("c1", "(None, 32, 32, 32)", "896"), ("bn1", "(None, 32, 32, 32)", "64"), ("c2", "(None, 14, 14, 64)", "4864"),
        ("dw", "(None, 12, 12, 64)", "640"), ("sep", "(None, 12, 12, 128)", "8896"), ("up", "(None, 25, 25, 16)", "18448"),
        ("gap", "(None, 10000)", "0"), ("fc", "(None, 10)", "100010"),
    ]  # fmt: skip
    tables = []
    for student, last in (("ada", "100010"), ("ben", "170")):
        table = tmp_path / f"{student}.csv"
        body = [f'{layer},"{shape}",{params}' for layer, shape, params in rows[:-1]] + [f'fc,"(None, 10)",{last}']
        table.write_text("layer,output shape,params\n" + "\n".join(body) + "\n", encoding="utf-8")
        tables.append(str(table))
    done = subprocess.run(
        [sys.executable, "-m", "symcnn", "check", str(fixtures / "mixed_cnn.yaml"), "--table", *tables, "--format", "html"],
        check=False, capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    report = tmp_path / "report.html"
    report.write_text(done.stdout, encoding="utf-8")
    assert "on top of your row for up" in done.stdout
    _check_pages([report], "check-report", test_output_dir)
