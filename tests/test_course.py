"""``symcnn docs`` for a course: --title, --no-macs, --no-charts, and --exercise worksheets with their solutions.

A worksheet gives each layer's inputs and leaves its answers blank (and its formulas out
with --hide-formulas); the solutions page works every layer out. Both print with no
navigation and one layer per page, checked in Chromium (print media, and the PDF it prints).
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from symcnn import load
from symcnn.render.pages import render_site
from symcnn.render.teaching import PageOptions

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "examples" / "seed.yaml"


def _site(*models: str, **options: object) -> dict[str, str]:
    files = render_site([load(REPO / "examples" / f"{m}.yaml") for m in models], options=PageOptions(**options))  # type: ignore[arg-type]
    return {path: data.decode("utf-8") for path, data in files.items() if not path.endswith((".otf", ".js"))}


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "symcnn", "docs", *args], capture_output=True, text=True, cwd=cwd,
                          check=False, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "KERAS_BACKEND": "torch"})


def test_title_names_the_site() -> None:
    files = _site("seed", title="CS 101 — week 3: counting parameters")
    assert 'site_name: "CS 101 — week 3: counting parameters"' in files["mkdocs.yml"]
    assert 'title: "CS 101 — week 3: counting parameters"' in files["docs/index.md"]


def test_no_macs_leaves_every_mac_out_of_the_model_pages() -> None:
    files = _site("seed", "seed_symbolic", macs=False)
    for page in ("docs/models/seed.md", "docs/models/seed-symbolic.md"):
        assert "MAC" not in files[page], re.findall(r".{40}MAC.{40}", files[page])[:3]
    assert "MACs (torchinfo)" in _site("seed")["docs/models/seed.md"]


def test_no_charts_draws_none() -> None:
    files = render_site([load(SEED)], options=PageOptions(charts=False))
    assert not [p for p in files if p.endswith(".svg")]
    assert "![" not in files["docs/models/seed.md"].decode()
    assert any(p.endswith(".svg") for p in render_site([load(SEED)]))


def _sections(page: str) -> list[str]:
    """The worksheet's layer sections, in order."""
    return page.split('<div class="symcnn-layer" markdown>')[1:]


def test_the_worksheet_gives_each_layers_inputs_and_leaves_its_answers_blank() -> None:
    files = _site("seed", "lenet5", exercise=True)
    for slug, model in (("seed", load(SEED)), ("lenet5", load(REPO / "examples" / "lenet5.yaml"))):
        sheet = files[f"docs/worksheets/{slug}.md"]
        sections = _sections(sheet)
        layers = [r for r in model.records if r.position]
        assert len(sections) == len(layers) + 1  # every layer, then the summary
        for rec, section in zip(layers, sections):
            text = html.unescape(section)
            assert f"### {rec.position}. {rec.name} ({rec.type})" in text
            (given,) = rec.input_shapes
            assert "(" + ", ".join("None" if d is None else str(d) for d in given) + ")" in text  # the input, given
            if rec.params:
                assert str(int(rec.params)) not in text and f"{int(rec.params):,}" not in text, rec.name
            answer = "(" + ", ".join("None" if d is None else str(d) for d in rec.output_shape) + ")"
            if rec.output_shape != given:
                assert answer not in text, rec.name
            assert "<td></td>" in text  # the boxes to fill in
            assert "**Formulas**" in text or rec.type in ("Flatten",)
        summary = html.unescape(sections[-1])
        assert summary.count("<td></td><td></td>") == len(layers) + 1  # every layer and the total, blank
        assert f"{int(model.total_params):,}" not in sheet


def test_hide_formulas_leaves_the_formulas_out_of_the_worksheet_only() -> None:
    files = _site("seed", exercise=True, formulas=False)
    sheet = files["docs/worksheets/seed.md"]
    assert "Formulas" not in sheet and r"\lfloor" not in sheet and "$$" not in sheet
    assert r"\lfloor" in files["docs/solutions/seed.md"]


def test_the_solutions_page_works_every_layer_out() -> None:
    model = load(SEED)
    solutions = html.unescape(_site("seed", exercise=True)["docs/solutions/seed.md"]).replace("{,}", ",")
    for rec in model.records[1:]:
        assert f"### {rec.position}. {rec.name} ({rec.type})" in solutions
    for number in ("640", "36,928", "12,544", "1,605,760", "516", "1,643,844"):
        assert number in solutions


def test_the_index_and_the_navigation_link_the_worksheets_and_solutions() -> None:
    files = _site("seed", "seed_symbolic", exercise=True)
    for slug in ("seed", "seed-symbolic"):
        assert f"(worksheets/{slug}.md)" in files["docs/index.md"] and f"(solutions/{slug}.md)" in files["docs/index.md"]
        assert f"worksheets/{slug}.md" in files["mkdocs.yml"] and f"solutions/{slug}.md" in files["mkdocs.yml"]
    assert "worksheets/" not in _site("seed")["mkdocs.yml"]


@pytest.mark.parametrize(("args", "message"), [
    (["--hide-formulas"], "--hide-formulas is for worksheets: add --exercise"),
    (["--title", "   "], "--title must not be empty"),
    (["--title", "x" * 201], "--title is 201 characters long; the limit is 200"),
])
def test_bad_course_options_are_one_line_errors(args: list[str], message: str, tmp_path: Path) -> None:
    done = _cli(str(SEED), "-o", str(tmp_path / "out"), *args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == f"symcnn: error: {message}"
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_exercise_site_builds_strictly_and_prints_one_layer_per_page(tmp_path: Path, test_output_dir: Path) -> None:
    from browser import BrowserError, Page, chromium_path

    try:
        chromium_path()
    except BrowserError as exc:
        pytest.skip(str(exc))
    done = _cli(str(SEED), "-o", str(tmp_path / "out"), "--exercise", "--title", "Week 3", "--build", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    site = tmp_path / "out" / "site"
    layers = len(load(SEED).records) - 1
    hidden = ".md-header, .md-sidebar--primary, .md-sidebar--secondary, .md-footer, .symcnn-panel-section"
    with Page("about:blank", 1280) as page:
        for kind in ("worksheets", "solutions"):
            page.resize(1280).goto((site / kind / "seed.html").as_uri())
            page.emulate_media("print")
            shown = page.evaluate(f"[...document.querySelectorAll({hidden!r})].filter("
                                  "e => getComputedStyle(e).display !== 'none').map(e => e.className)")
            assert shown == []
            breaks = page.evaluate("[...document.querySelectorAll('.symcnn-sheet > .symcnn-layer')]"
                                   ".map(e => getComputedStyle(e).breakBefore)")
            assert breaks == ["auto"] + ["page"] * layers  # each layer, then the summary, on a page of its own
            pdf = page.print_pdf(test_output_dir / f"{kind}-seed.pdf").read_bytes()
            pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
            if kind == "worksheets":  # one page per layer and one for the summary: each question fits its page
                assert pages == layers + 1, pages
            else:  # a worked layer may run over a page; it still starts on its own
                assert layers + 1 <= pages <= 2 * (layers + 1), pages
            page.screenshot(test_output_dir / f"{kind}-seed-print.png")
            page.emulate_media("screen")
            for width in (1280, 390):
                page.resize(width, 900)
                assert page.layout_problems() == [], (kind, width)  # nothing wider than its box
                page.screenshot(test_output_dir / f"{kind}-seed-{width}.png")


def test_activation_memory_is_on_the_page_as_values_and_bytes() -> None:
    """The seed's activations, each counted by hand: 64·64·1 values in, 62·62·64 out of the first convolution, ..."""
    page = html.unescape(_site("seed")["docs/models/seed.md"])
    assert "## Activation memory" in page
    cells = re.findall(r'data-label="Values">([^<]+)</td><td class="symcnn-num" data-label="Bytes">([^<]+)</td>', page)
    values = [64 * 64 * 1, 62 * 62 * 64, 31 * 31 * 64, 29 * 29 * 64, 14 * 14 * 64, 12544, 128, 4]
    total = sum(values)
    assert [(int(v.replace(",", "")), int(b.split()[0].replace(",", ""))) for v, b in cells] == [
        (v, 4 * v) for v in [*values, total]]
    assert cells[-1] == (f"{total:,}", f"{4 * total:,} (1.5 MiB)")


def test_vgg16s_activation_memory_is_cs231ns() -> None:
    """CS231n's VGGNet walk-through, layer by layer: 224*224*3=150K, 224*224*64=3.2M (twice), 112*112*64=800K, ...

    (Its "TOTAL memory: 24M" is not the sum of its own rows, 15.2M; the rows are what is compared.)
    """
    cs231n = [224 * 224 * 3, *[224 * 224 * 64] * 2, 112 * 112 * 64, *[112 * 112 * 128] * 2, 56 * 56 * 128,
              *[56 * 56 * 256] * 3, 28 * 28 * 256, *[28 * 28 * 512] * 3, 14 * 14 * 512, *[14 * 14 * 512] * 3,
              7 * 7 * 512, 4096, 4096, 1000]
    page = html.unescape(_site("vgg16")["docs/models/vgg16.md"])
    cells = re.findall(r'data-label="Values">([^<]+)</td><td class="symcnn-num" data-label="Bytes">([^<]+)</td>', page)
    rows = [int(v.replace(",", "")) for v, _ in cells]
    flatten = 7 * 7 * 512  # symcnn's VGG16 has a Flatten layer, which CS231n's table leaves out
    total = sum(cs231n) + flatten
    assert rows == [*cs231n[:-3], flatten, *cs231n[-3:], total]
    assert cells[-1][1] == f"{4 * total:,} ({4 * total / 2**20:.1f} MiB)"
