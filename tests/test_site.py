"""The worked-solution site: golden seed page, the tutorial's numbers, safe writing, strict mkdocs builds.

Refresh the golden files after an intended change with::

    KERAS_BACKEND=torch .venv/bin/python -m pytest tests/test_site.py --update-golden

and review the diff of tests/golden/ before committing it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from symcnn import load
from symcnn.errors import SymcnnError
from symcnn.render.context import model_context
from symcnn.render.pages import render_site
from symcnn.render.site import docs_command, write_site
from symcnn.render.site_files import MARKER

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
SEED = REPO / "examples" / "seed.yaml"

# Every number of the tutorial (../shared/seed/2-keras-summary.png, 3..8-*.png), with thousands separators
# where a count has four digits or more (sizes inside a shape keep none: (None, 12544)).
TUTORIAL_NUMBERS = ["640", "36,928", "None, 12544", "1,605,760", "516", "1,643,844", "62", "31", "29", "14"]


def _has_piece(page: str, tex: str) -> bool:
    """The page shows the formula ``tex`` (whole, or cut into pieces that wrap)."""
    joined = re.sub(r"\\[)\]]</span><wbr><span class=\"arithmatex\">\\[(\[]|\$<wbr>\$", " ", page)
    joined = joined.replace("{} ", "").replace(r",\,", ",")
    return re.search(r"(\\[(\[]|\$)" + re.escape(tex) + r"(\\[)\]]|\$)", joined) is not None


def _seed_page() -> str:
    return render_site([load(SEED)])["docs/models/seed.md"].decode("utf-8")


def test_seed_page_matches_golden(update_golden: bool) -> None:
    golden = GOLDEN / "seed.md"
    page = _seed_page()
    if update_golden:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(page, encoding="utf-8")
    assert golden.is_file(), "no golden file: run pytest tests/test_site.py --update-golden"
    assert page == golden.read_text(encoding="utf-8"), (
        "seed page changed; if intended, refresh with: pytest tests/test_site.py --update-golden"
    )


@pytest.mark.parametrize("number", TUTORIAL_NUMBERS)
def test_seed_page_carries_the_tutorial_numbers(number: str) -> None:
    assert number in _seed_page()


def _layer_sections(page: str) -> dict[str, str]:
    parts = re.split(r"^### \d+\. ", page.split("## The calculations", 1)[1].split("## Totals", 1)[0], flags=re.MULTILINE)
    return {p.split(" ", 1)[0].replace("&#95;", "_"): p for p in parts[1:]}


def test_seed_page_reads_like_the_tutorial() -> None:
    page = _seed_page()
    order = ["## The model", "## Summary", "## The calculations", "### 1. conv2d", "### 2. max&#95;pooling2d",
             "### 5. flatten", "### 7. dense&#95;1", "## Totals", "## Summary of the calculations"]
    positions = [page.index(h) for h in order]
    assert positions == sorted(positions)
    assert page.count("**No trainable parameters.**") == 3  # two poolings and flatten
    assert _has_piece(page, r"(3 \times 3 \times 1 \times 64) + 64")
    assert _has_piece(page, r"(12{,}544 \times 128) + 128")
    assert "14.5" in page  # why the floor turns 14.5 into 14
    assert "terminology.md" in page
    assert "seed-params.svg" in page and "seed-shapes.svg" in page


def test_seed_page_carries_every_element_of_the_tutorials_pages() -> None:
    """3..8-*.png: each layer's inputs; the o/p-shape formula with its substitution; weight + bias with the numbers
    put in and a bold result; 'No trainable parameters' and why; the summary table; the terminology."""
    page = _seed_page()
    layers = _layer_sections(page)
    assert list(layers) == ["conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1", "flatten", "dense", "dense_1"]
    for name, text in layers.items():
        assert "**Input parameters**" in text, name
        assert "**Output shape**" in text and "So the output shape is" in text or "The output shape is" in text, name
    for name, size in [("conv2d", "(64 - 3) + 1"), ("max_pooling2d", r"\left\lfloor \frac{62 - 2}{2} \right\rfloor + 1"),
                       ("conv2d_1", "(31 - 3) + 1"), ("max_pooling2d_1", r"\left\lfloor \frac{29 - 2}{2} \right\rfloor + 1"),
                       ("flatten", r"14 \times 14 \times 64")]:
        assert _has_piece(layers[name], size), name  # the o/p-shape substitution
        assert r"H_{\text{in}}" in layers[name], name  # after its general formula
    for name, bold in [("conv2d", "640"), ("conv2d_1", "36{,}928"), ("dense", "1{,}605{,}760"), ("dense_1", "516")]:
        text = layers[name]
        assert _has_piece(text, r"\text{kernel} + \text{bias}"), name  # weight + bias
        assert rf"\mathbf{{{bold}}}" in text, name
    for name in ("max_pooling2d", "max_pooling2d_1", "flatten"):
        assert "**No trainable parameters.**" in layers[name]
    assert "nothing to learn" in layers["max_pooling2d"] and "nothing to learn" in layers["flatten"]
    table = page.split("## Summary of the calculations", 1)[1]
    assert table.count("<tr><td>") == 7 and r"\mathbf{1{,}605{,}760}" in table
    assert "input size:" in table and r"\(\text{trainable}\)" in table  # the dense rows' Calculation column
    words = render_site([load(SEED)])["docs/terminology.md"].decode()
    for term in ("Trainable parameters", "Non-trainable parameters", "Hyperparameters", "Padding", "Stride"):
        assert term in words


def test_no_sentence_is_repeated_on_a_page() -> None:
    """Each explanation is said once; later layers point back to it (or say nothing)."""
    for model in (load(SEED), load(REPO / "examples" / "vgg16.yaml"), load(REPO / "examples" / "resnet50.yaml")):
        (page,) = [v.decode() for k, v in render_site([model]).items() if k.startswith("docs/models/") and k.endswith(".md")]
        prose = re.sub(r"<(div|table)\b.*?</\1>", " ", page, flags=re.DOTALL)
        prose = re.sub(r"\$[^$]*\$", "x", prose)
        prose = re.sub(r"^#.*$|^```.*?^```", " ", prose, flags=re.DOTALL | re.MULTILINE)
        sentences = [s.strip() for s in re.split(r"(?<=[.:])\s+", prose) if len(s.strip()) > 40]
        repeated = {s for s in sentences if sentences.count(s) > 1 and not s.startswith("The same as for")}
        assert not repeated, (model.name, sorted(repeated)[:3])


def test_rendering_is_deterministic() -> None:
    a = render_site([load(SEED), load(REPO / "examples" / "seed_symbolic.yaml")])
    b = render_site([load(SEED), load(REPO / "examples" / "seed_symbolic.yaml")])
    assert a == b


def test_symbolic_page_has_closed_forms_and_no_substitution() -> None:
    page = render_site([load(REPO / "examples" / "seed_symbolic.yaml")])["docs/models/seed-symbolic.md"].decode()
    assert "A symbolic page" in page and "In closed form" in page
    assert "64 + 0 + 0" not in page
    assert _has_piece(page, "(H - 3) + 1") and _has_piece(page, "H - 2")  # known sizes put in, H kept
    assert _has_piece(page, r"(H - 2) \times (W - 2) \times F")  # brackets kept


INJECTIONS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]


@pytest.mark.parametrize("evil", INJECTIONS)
def test_user_text_is_escaped_in_markdown(evil: str, tmp_path: Path) -> None:
    src = tmp_path / "evil.yaml"
    src.write_text(json.dumps({
        "name": evil, "description": evil, "input": [8, 8, 1],
        "layers": [{"Conv2D": {"filters": 2, "kernel_size": 3, "name": evil}}, "Flatten"],
    }), encoding="utf-8")
    files = render_site([load(src)])
    for path, data in files.items():
        if path.endswith((".md", ".yml", ".svg")):
            # A fenced code block shows its text verbatim (Markdown escapes it): the model file may appear there.
            text = re.sub(r"^( *)(`{3,})[a-z]*\n.*?^\1\2$", "", data.decode("utf-8"), flags=re.DOTALL | re.MULTILINE)
            assert "<script" not in text and "<img" not in text, path


def test_write_site_writes_a_marked_mkdocs_project(tmp_path: Path) -> None:
    out = tmp_path / "site"
    config = write_site([load(SEED)], out)
    assert config == out / "mkdocs.yml" and config.is_file()
    listed = json.loads((out / MARKER).read_text())["files"]
    assert "docs/models/seed.md" in listed and "mkdocs.yml" in listed
    assert all((out / p).is_file() for p in listed)
    yml = config.read_text()
    for needed in ("font: false", "generic: true", "hooks/symcnn_math.py", "offline", "generator: false"):
        assert needed in yml


def test_rewriting_is_byte_identical_and_removes_only_stale_own_files(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site([load(SEED), load(REPO / "examples" / "seed_symbolic.yaml")], out)
    (out / "notes.txt").write_text("mine")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    write_site([load(SEED), load(REPO / "examples" / "seed_symbolic.yaml")], out)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    write_site([load(SEED)], out)
    assert not (out / "docs/models/seed-symbolic.md").exists()  # ours, stale: removed
    assert (out / "notes.txt").read_text() == "mine"  # not ours: kept
    assert (out / "docs/models/seed.md").read_bytes() == before[out / "docs/models/seed.md"]


def test_refuses_a_folder_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "thesis.tex").write_text("precious")
    with pytest.raises(SymcnnError, match="not empty"):
        write_site([load(SEED)], tmp_path)
    write_site([load(SEED)], tmp_path, force=True)
    assert (tmp_path / "thesis.tex").read_text() == "precious"


def test_force_never_overwrites_a_file_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text("site_name: mine\n")
    with pytest.raises(SymcnnError, match="did not write"):
        write_site([load(SEED)], tmp_path, force=True)
    assert (tmp_path / "mkdocs.yml").read_text() == "site_name: mine\n"


def test_a_tampered_marker_cannot_delete_outside_files(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    out = tmp_path / "site"
    out.mkdir()
    (out / MARKER).write_text(json.dumps({"files": ["../outside.txt", "/etc/hostname", "docs/x.md"]}))
    write_site([load(SEED)], out)
    assert outside.read_text() == "keep"


def test_user_templates_override_the_shipped_ones(tmp_path: Path) -> None:
    (tmp_path / "terminology.md.j2").write_text("# My words\n\n{{ site_name }}\n")
    files = render_site([load(SEED)], templates=tmp_path)
    assert files["docs/terminology.md"].decode().startswith("# My words")
    assert "## The calculations" in files["docs/models/seed.md"].decode()


def test_user_templates_cannot_reach_python_internals(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    probe = "{{ ''.__class__.__mro__[1].__subclasses__() }}{{ cycler.__init__.__globals__.os.system('touch %s') }}"
    (tmp_path / "terminology.md.j2").write_text(probe % marker)
    with pytest.raises(SymcnnError, match="unsafe"):
        render_site([load(SEED)], templates=tmp_path)
    assert not marker.exists()


def test_missing_template_folder_is_an_argument_error(tmp_path: Path) -> None:
    with pytest.raises(SymcnnError, match="templates"):
        render_site([load(SEED)], templates=tmp_path / "nope")


def _build(config: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config)],
                          capture_output=True, text=True, env=env, check=False)


@pytest.mark.slow
def test_generated_site_builds_strictly(tmp_path: Path) -> None:
    message = docs_command([load(SEED), load(REPO / "examples" / "seed_symbolic.yaml")], str(tmp_path / "out"),
                           build=True, serve=False, force=False, templates=None)
    index = tmp_path / "out" / "site" / "index.html"
    assert str(index) in message and index.is_file()
    page = (tmp_path / "out" / "site" / "models" / "seed.html").read_text()
    assert "<math" in page and "\\frac" not in page and "\\lfloor" not in page


@pytest.mark.slow
def test_project_documentation_builds_strictly(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(REPO / "mkdocs.yml"), "-d", str(tmp_path)],
        capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, check=False, cwd=REPO,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from browser import external_references

    assert [r.url for r in external_references(tmp_path) if r.loads] == []
    for name in ("seed", "lenet5", "alexnet", "vgg16", "resnet50", "mobilenetv2", "seed-symbolic"):
        assert (tmp_path / "gallery" / f"{name}.html").is_file(), name
    gallery = tmp_path / "gallery" / "seed.html"
    assert gallery.is_file()
    text = gallery.read_text()
    for number in ("640", "36,928", "1,605,760", "1,643,844"):
        assert number in text


def test_pages_do_not_depend_on_the_hash_seed() -> None:
    script = (
        "import hashlib, sys\n"
        "from symcnn import load\n"
        "from symcnn.render.pages import render_site\n"
        f"files = render_site([load({str(SEED)!r}), load({str(REPO / 'examples' / 'seed_symbolic.yaml')!r})])\n"
        "h = hashlib.sha256()\n"
        "for k, v in files.items(): h.update(k.encode()); h.update(v)\n"
        "print(h.hexdigest())\n"
    )
    digests = {
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1


def test_a_model_with_an_unknown_size_still_gets_a_page(tmp_path: Path) -> None:
    src = tmp_path / "varlen.yaml"
    src.write_text(json.dumps({"name": "varlen", "input": [None, 8], "layers": [
        {"LSTM": {"units": 4, "return_sequences": True}}, {"Dense": {"units": 2}}]}), encoding="utf-8")
    page = render_site([load(src)])["docs/models/varlen.md"].decode()
    assert "cannot be counted" in page and "unknown (fvcore)" in page
    assert _has_piece(page, r"(4 \times 2) + 2")  # the Dense parameters are still worked out


PLAIN = (str, int, float, bool, type(None))


def _plain(value: object, where: str = "context") -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            assert isinstance(k, str), (where, k)
            _plain(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _plain(v, f"{where}[{i}]")
    else:
        assert isinstance(value, PLAIN), (where, type(value).__name__)


@pytest.mark.parametrize("example", ["seed", "seed_symbolic", "resnet50"])
def test_page_contexts_are_plain_data(example: str) -> None:
    """Templates get strings, numbers, lists and dicts made for the page: no model, record or SymPy object."""
    model = load(REPO / "examples" / f"{example}.yaml")
    _plain(model_context(model, example))


# The biggest model of each keras.applications family: a family's pages grow with its depth, so these bound
# the others (NASNetMobile is not available on Keras's torch backend; NASNetLarge is).
BIGGEST_APPLICATIONS = ["NASNetLarge", "EfficientNetV2L", "EfficientNetB7", "MobileNetV3Large", "InceptionResNetV2",
                        "DenseNet201", "ResNet152V2", "ResNet152", "ConvNeXtXLarge", "InceptionV3", "Xception",
                        "MobileNetV2", "MobileNet", "VGG19"]


@pytest.mark.slow
def test_every_keras_application_page_is_under_a_megabyte(tmp_path: Path) -> None:
    """One built site with the biggest model of each family; every page's HTML stays under 1 MB."""
    keras = pytest.importorskip("keras")
    models = []
    for name in BIGGEST_APPLICATIONS:
        path = tmp_path / f"{name}.json"
        path.write_text(getattr(keras.applications, name)(weights=None).to_json(), encoding="utf-8")
        models.append(load(path))
    docs_command(models, str(tmp_path / "out"), build=True, serve=False, force=False, templates=None)
    pages = sorted((tmp_path / "out" / "site" / "models").glob("*.html"))
    assert len(pages) == len(BIGGEST_APPLICATIONS)
    sizes = {p.stem: p.stat().st_size for p in pages}
    assert max(sizes.values()) < 1_000_000, sizes
