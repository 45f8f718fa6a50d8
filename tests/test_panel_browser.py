"""The "try other sizes" panel, typed into in a real headless Chromium and checked against symcnn.

Every size typed in is also given to symcnn's own engine (the numeric model at those
sizes, not the closed forms the panel runs); each layer's output shape, parameters and
MACs on the page must be exactly the engine's, at 1280 and 390 px, from file:// and
served. Sizes that break the model must name the failing constraint and the layer, as
the command line does. The exact arithmetic runtime is checked against SymPy on floors
and ceilings of negative numbers and fractions.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sympy

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser import BrowserError, Page, chromium_path, serve

from symcnn import load
from symcnn.errors import SymcnnError
from symcnn.io.yaml_reader import model_from_yaml
from symcnn.model import Model
from symcnn.render.jscode import js
from symcnn.render.site import docs_command

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent

GRAPH = """
name: branches
input: [12, 10, 3]
layers:
  - Conv2D: {filters: 4, kernel_size: 3, padding: same, name: a}
  - Conv2D: {filters: 4, kernel_size: 1, name: b, inputs: [input_layer]}
  - Add: {inputs: [a, b], name: plus}
  - BatchNormalization: {}
  - MaxPooling2D: {pool_size: 3, strides: 2}
  - SeparableConv2D: {filters: 6, kernel_size: 3, strides: 2}
  - GlobalAveragePooling2D: {}
  - Dense: {units: 5}
"""

# model file -> sizes to type, one dict per visit (the last of each list breaks a constraint where one exists)
CASES: dict[str, list[dict[str, int]]] = {
    "seed": [{"H": 64, "W": 64, "C": 1}, {"H": 128, "W": 97, "C": 3}, {"H": 10, "W": 11, "C": 2},
             {"H": 9, "W": 64, "C": 1}],
    "seed_symbolic": [{"H": 33, "W": 64, "C": 3, "F": 7}, {"H": 64, "W": 10, "C": 1, "F": 1}, {"H": 64, "W": 9, "C": 1, "F": 64}],
    "branches": [{"H": 12, "W": 10, "C": 3}, {"H": 31, "W": 7, "C": 1}, {"H": 3, "W": 10, "C": 3}],
    "resnet50_torch": [{"H": 224, "W": 224}, {"H": 97, "W": 33}, {"H": 1, "W": 1}],
}


def _models() -> dict[str, Model]:
    out = {name: load(REPO / "examples" / f"{name}.yaml") for name in ("seed", "seed_symbolic", "resnet50_torch")}
    out["branches"] = model_from_yaml(GRAPH)
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        chromium_path()
    except BrowserError as exc:
        pytest.skip(str(exc))
    out = tmp_path_factory.mktemp("panel")
    docs_command(list(_models().values()), str(out), build=True, serve=False, force=False, templates=None)
    return out / "site"


@pytest.fixture(scope="module")
def tab() -> Iterator[Page]:
    """One Chromium tab for the module, its viewport set per test."""
    try:
        chromium_path()
    except BrowserError as exc:
        pytest.skip(str(exc))
    with Page("about:blank", 1280) as page:
        yield page


def _open(tab: Page, url: str, width: int) -> Page:
    return tab.resize(width, 900).goto(url)


def _page_name(name: str) -> str:
    return name.replace("_", "-")


def _at(model: Model, sizes: dict[str, int]) -> Model:
    """symcnn's own model at these sizes: the numeric engine, not the closed forms."""
    if model.free_symbols:
        return model.subs(sizes)
    (first,) = [r for r in model.records if r.type == "InputLayer"]
    names = ("H", "W", "C") if model.convention == "keras" else ("C", "H", "W")
    dims = [sizes.get(n, d) for n, d in zip(names, first.output_shape[1:])]
    return model.with_input((first.output_shape[0], *dims))


def _shape(shape: Any) -> str:
    return "(" + ", ".join("None" if d is None else str(int(d)) for d in shape) + ")"


def _expected_rows(model: Model, show_macs: bool = True) -> list[list[str]]:
    rows = []
    for rec in model.records:
        number = f"{rec.position}. " if rec.position else ""
        row = [f"{number}{rec.name} ({rec.type})", _shape(rec.output_shape), f"{int(rec.params):,}"]
        if show_macs:
            row.append(f"{int(rec.macs_by('torchinfo')):,}")
        if getattr(rec, "activations", None) is not None:  # where the engine counts activations, the panel shows them
            row.append(f"{int(rec.activations):,}")
        rows.append(row)
    return rows


_ROWS = """[...document.querySelectorAll('.symcnn-panel-table tbody tr')].map(
  tr => [...tr.querySelectorAll('td')].map(td => td.textContent))"""
_STATUS = "document.querySelector('.symcnn-panel-status').textContent"
_TOTALS = "document.querySelector('.symcnn-panel-totals').textContent"
_BAD = "[...document.querySelectorAll('.symcnn-panel-table tbody tr')].findIndex(tr => tr.classList.contains('symcnn-bad'))"


def _type_sizes(page: Page, sizes: dict[str, int]) -> None:
    for name, value in sizes.items():
        page.type_into(f"input[data-symbol={name}]", str(value))


def _open_all_rows(page: Page) -> None:
    page.evaluate("document.querySelectorAll('.symcnn-panel details').forEach(d => d.open = true)")


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("name", list(CASES))
def test_the_panel_shows_symcnns_own_numbers_at_every_size_typed(
    site: Path, tab: Page, name: str, width: int, test_output_dir: Path
) -> None:
    model = _models()[name]
    url = (site / "models" / f"{_page_name(name)}.html").as_uri()
    page = _open(tab, url, width)
    _open_all_rows(page)
    for sizes in CASES[name]:
        _type_sizes(page, sizes)
        rows = page.evaluate(_ROWS)
        status = page.evaluate(_STATUS)
        try:
            numeric = _at(model, sizes)
            _ = numeric.records
        except SymcnnError as exc:  # the engine refuses these sizes: so must the panel, naming the layer
            failing = [c for c in model.constraints if c.condition.subs(sizes) is sympy.false]
            assert status.startswith("These sizes do not make a valid model"), status
            assert exc.layer is not None and f"at layer {exc.layer}," in status, (status, str(exc))
            for c in failing:
                assert f"(from layer {c.layer})" in status
            bad = page.evaluate(_BAD)
            assert rows[bad][0].endswith(f"{exc.layer} ({model.get_layer(exc.layer).type})")
            assert all(cell == "—" for row in rows[bad + 1:] for cell in row[1:])
            page.element_screenshot(test_output_dir / f"panel-{name}-{width}-invalid.png", ".symcnn-panel")
            continue
        assert rows == _expected_rows(numeric), (sizes, rows[:3])
        assert f"Total params: {int(numeric.total_params):,}" in page.evaluate(_TOTALS)
        assert f"MACs (torchinfo): {int(numeric.macs('torchinfo')):,}" in page.evaluate(_TOTALS)
        assert status.startswith("Sizes: ")
    assert page.layout_problems() == []  # the whole page, panel included, fits at this width
    page.element_screenshot(test_output_dir / f"panel-{name}-{width}.png", ".symcnn-panel-section")


@pytest.mark.parametrize("text", ["abc", "0", "-3", "4.5", "", "1234567890123"])
def test_sizes_that_are_not_positive_whole_numbers_are_refused_by_name(site: Path, tab: Page, text: str) -> None:
    page = _open(tab, (site / "models" / "seed.html").as_uri(), 390)
    page.type_into("input[data-symbol=W]", text)
    status = page.evaluate(_STATUS)
    assert status.startswith("W "), status
    assert page.evaluate("document.querySelector('input[data-symbol=W]').getAttribute('aria-invalid')") == "true"
    assert page.evaluate(_TOTALS) == ""
    page.evaluate("document.querySelector('.symcnn-panel-reset').click()")
    assert page.evaluate(_STATUS) == "Sizes: H = 64, W = 64, C = 1."


def test_the_panel_works_served_too(site: Path, tab: Page) -> None:
    with serve(site) as base:
        page = _open(tab, base + "models/seed-symbolic.html", 1280)
        _type_sizes(page, {"F": 3})
        numeric = load(REPO / "examples" / "seed_symbolic.yaml").subs({"H": 64, "W": 64, "C": 1, "F": 3})
        assert page.evaluate(_ROWS) == _expected_rows(numeric)


def test_the_panel_leaves_macs_out_when_the_course_does(tmp_path: Path, tab: Page) -> None:
    from symcnn.render.teaching import PageOptions

    try:
        chromium_path()
    except BrowserError as exc:
        pytest.skip(str(exc))
    model = load(REPO / "examples" / "seed.yaml")
    docs_command([model], str(tmp_path), build=True, serve=False, force=False, templates=None,
                 options=PageOptions(macs=False))
    page = _open(tab, (tmp_path / "site" / "models" / "seed.html").as_uri(), 1280)
    _type_sizes(page, {"H": 100})
    assert page.evaluate(_ROWS) == _expected_rows(_at(model, {"H": 100}), show_macs=False)
    assert "MACs" not in page.evaluate("document.querySelector('.symcnn-panel').textContent")


def _random_expression(rng: random.Random, symbols: list[sympy.Symbol], depth: int = 0) -> sympy.Expr:
    if depth > 3 or rng.random() < 0.25:
        return rng.choice([*symbols, sympy.Integer(rng.randint(-9, 9)), sympy.Rational(rng.randint(-9, 9), rng.randint(1, 7))])
    kind = rng.choice(["add", "mul", "floor", "ceil", "max", "min", "mod", "pow", "div"])
    a = _random_expression(rng, symbols, depth + 1)
    b = _random_expression(rng, symbols, depth + 1)
    if kind == "add":
        return a + b
    if kind == "mul":
        return a * b
    if kind == "floor":
        return sympy.floor(a / rng.randint(1, 5))
    if kind == "ceil":
        return sympy.ceiling(a / rng.randint(1, 5))
    if kind == "max":
        return sympy.Max(a, b)
    if kind == "min":
        return sympy.Min(a, b)
    if kind == "mod":
        return sympy.Mod(a, rng.choice([2, 3, sympy.Rational(5, 2), -4]))
    if kind == "pow":
        return a ** rng.randint(0, 3)
    return a / rng.choice([2, 3, 7, -5])


def test_the_runtime_computes_exactly_what_sympy_computes(site: Path, tab: Page) -> None:
    """Floors and ceilings of negative numbers and fractions, Mod, Max, Min, powers: 300 formulas at 3 points."""
    H, W = sympy.symbols("H W", integer=True, positive=True)
    rng = random.Random(11)
    formulas = [_random_expression(rng, [H, W]) for _ in range(300)]
    formulas += [sympy.floor(-H / 3), sympy.ceiling(-H / 3), sympy.floor((H - 7) / 2), sympy.floor(sympy.Rational(-7, 2)),
                 sympy.Piecewise((H - 1, sympy.Ge(H, 5)), (W, True)), sympy.Mod(-H, 3)]
    points = [{"H": 1, "W": 1}, {"H": 7, "W": 2}, {"H": 10**15 + 3, "W": 12}]
    page = _open(tab, (site / "models" / "seed.html").as_uri(), 1280)
    script = "[" + ",".join(f"(s) => {js(f)}" for f in formulas) + "]"
    for point in points:
        got = page.evaluate(
            f"(() => {{ const Q = SymcnnPanel.Q; const s = {{H: {point['H']}n, W: {point['W']}n}};"
            f" return {script}.map(f => {{ try {{ return Q.text(f(s)); }} catch (e) {{ return 'error: ' + e.message; }} }}); }})()"
        )
        for formula, value in zip(formulas, got):
            exact = formula.subs({H: point["H"], W: point["W"]})
            want = str(exact.p) if exact.q == 1 else f"{exact.p}/{exact.q}"
            assert value == want, (formula, point, value, want)


def test_names_from_the_model_file_reach_the_page_as_text_only(site: Path, tab: Page, tmp_path: Path) -> None:
    hostile = json.dumps("<img src=x onerror=\"document.title='pwned'\">")
    model = model_from_yaml(f"name: m\ninput: [8, 8, 1]\nlayers:\n  - Conv2D: {{filters: 2, kernel_size: 3, name: {hostile}}}\n"
                            "  - Flatten\n  - Dense: {units: 2, name: \"</script><script>document.title='pwned'</script>\"}\n")
    docs_command([model], str(tmp_path), build=True, serve=False, force=False, templates=None)
    page = _open(tab, (tmp_path / "site" / "models" / "m.html").as_uri(), 1280)
    _type_sizes(page, {"H": 9})
    rows = page.evaluate(_ROWS)
    assert rows[1][0] == "1. <img src=x onerror=\"document.title='pwned'\"> (Conv2D)"
    assert page.evaluate("document.title") != "pwned"
    assert page.evaluate("document.querySelectorAll('.symcnn-panel img').length") == 0


def _family_models() -> dict[str, Model]:
    from test_code import KERAS_MODELS, TORCH_MODELS

    return {**{f"keras: {k}": v() for k, v in KERAS_MODELS.items()},
            **{f"torch: {k}": v() for k, v in TORCH_MODELS.items() if "resnet" not in k}}


def _bare_page(folder: Path, model: Model) -> Path:
    """The panel alone on a page: the runtime, its stylesheet and the model's script (no mkdocs)."""
    from importlib import resources

    from symcnn.render.panel import panel_script

    assets = resources.files("symcnn.render") / "site_assets"
    for name in ("symcnn-panel.js", "symcnn-teach.css"):
        (folder / name).write_bytes((assets / name).read_bytes())
    panel = panel_script(model, "m")
    assert panel.ok, panel.note
    (folder / "m-panel.js").write_text(panel.script, encoding="utf-8")
    page = folder / "index.html"
    page.write_text('<!doctype html><meta charset="utf-8"><link rel="stylesheet" href="symcnn-teach.css">'
                    '<div class="md-typeset"><div class="symcnn-panel" data-symcnn-panel="m" data-symcnn-script="m-panel.js">'
                    '</div></div><script src="symcnn-panel.js"></script>', encoding="utf-8")
    return page


def _opened_at(model: Model, sizes: dict[str, int]) -> Model:
    """symcnn's own numeric model with the input's open sizes set (channels first for torch)."""
    inputs = [r for r in model.records if r.type == "InputLayer"]
    from symcnn.render.sizes import open_sizes

    opened = open_sizes(model)
    assert opened is not None
    shapes = []
    for rec, sym_rec in zip(inputs, [r for r in opened.model.records if r.type == "InputLayer"]):
        shapes.append(tuple(sizes.get(getattr(d, "name", ""), d) if d is not None else None for d in sym_rec.output_shape))
    return model.with_input(*shapes)


@pytest.mark.parametrize("name", list(_family_models()))
def test_every_layer_familys_closed_forms_run_in_the_browser_exactly(name: str, tab: Page, tmp_path: Path) -> None:
    try:
        chromium_path()
    except BrowserError as exc:
        pytest.skip(str(exc))
    from symcnn.render.panel import panel_script
    from symcnn.render.sizes import open_sizes

    model = _family_models()[name]
    opened = open_sizes(model)
    if opened is None:  # a Reshape to a fixed shape pins every input size: the page says so, and offers no panel
        panel = panel_script(model, "m")
        assert not panel.ok and "fixed" in panel.note
        return
    page = _open(tab, _bare_page(tmp_path, model).as_uri(), 390)
    _open_all_rows(page)
    start = {s.name: v for s, v in opened.start.items()}
    for sizes in (start, {k: v + 3 for k, v in start.items()}, {k: 2 * v + 1 for k, v in start.items()}):
        _type_sizes(page, sizes)
        try:
            numeric = _opened_at(model, sizes)
            _ = numeric.records
        except SymcnnError as exc:
            assert f"at layer {exc.layer}," in page.evaluate(_STATUS)
            continue
        assert page.evaluate(_ROWS) == _expected_rows(numeric), (name, sizes)
