"""Fuzzing: every input ends in a result or a symcnn error, within 2 s of CPU and 500 MiB (each measured).

Eight categories, about 2,000 examples in all (under two minutes; ``SYMCNN_FUZZ_SCALE=10`` for more):

* ``yaml``: random YAML models built from ``Layer.registry`` names and arguments, plus junk;
* ``keras-json``: random mutations of real Keras 3 JSON (missing keys, wrong types, negative,
  zero and huge sizes, cycles, dangling inputs, duplicate and unicode names);
* ``expr``: random text for the arithmetic parser ``symcnn.expr.parse``;
* ``hand-check``: the same text checked as a student's answer by ``symcnn.check``;
* ``keras-zip``: real ``.keras`` archives with flipped bytes, other compression methods,
  lying sizes and truncation;
* ``onnx``: a real ONNX file (from ``torch.onnx.export``) with bytes replaced, inserted or cut;
* ``cli``: random ``--set``, ``--input``, ``--format`` and ``--convention`` values through
  ``symcnn.cli.main``: exit status 0 or 2 (one line on stderr), never a traceback;
* ``site``: models with hostile model, layer and description text written by ``symcnn docs``:
  files stay inside the folder, ``mkdocs.yml`` stays plain data, no name appears unescaped.

The counts of the run (inputs tried, symcnn errors by class, results, uncaught, the slowest
and largest input) are written to ``test-output/fuzz-counts.json`` and printed at the end of
the module. The eight classes of issue #10 are fuzzed in ``test_fuzz_classes.py``.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sympy
from fuzz_harness import Fuzz, not_whole
from fuzz_strategies import (
    command_lines,
    damaged_keras_zips,
    damaged_onnx,
    expression_texts,
    keras_json_texts,
    named_models,
    yaml_texts,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symcnn
from symcnn.expr import parse

# SYMCNN_FUZZ_SCALE=10 runs ten times as many examples (a longer hunt; CI runs the default 1).
SCALE = float(os.environ.get("SYMCNN_FUZZ_SCALE", "1"))
EXAMPLES = {c: max(1, round(n * SCALE)) for c, n in {
    "yaml": 500, "keras-json": 500, "expr": 350, "hand-check": 150, "keras-zip": 150, "onnx": 150, "cli": 100,
    "site": 100,
}.items()}
MEMORY_BUDGET_MB = 512  # growth of the process's peak memory over the whole module
# No Hypothesis deadline: each input's CPU time (which a busy machine does not inflate) is bounded by the harness.
FUZZ = settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))

RUN = Fuzz(EXAMPLES)
COUNTS = RUN.counts
START: dict[str, float] = {}
REPO = Path(__file__).resolve().parent.parent


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


@pytest.fixture(scope="module", autouse=True)
def fuzz_report(request: pytest.FixtureRequest, test_output_dir: Path) -> Iterator[None]:
    """After the module: write test-output/fuzz-counts.json and print one summary line per category."""
    _warm_up()
    start_peak, start = _peak_mb(), time.monotonic()
    START["peak"] = start_peak
    yield
    growth = _peak_mb() - start_peak
    seconds = round(time.monotonic() - start, 1)
    RUN.write(test_output_dir / "fuzz-counts.json", seconds=seconds, peak_memory_growth_mb=round(growth, 1))
    lines = []
    for category, n in COUNTS.items():
        errors = ", ".join(f"{k[6:]} {v}" for k, v in sorted(n.items()) if k.startswith("error:"))
        lines.append(f"fuzz {category}: {n['inputs']} inputs, {n['results']} results, {n['symcnn_errors']} symcnn "
                     f"errors ({errors or 'none'}), {n['uncaught']} uncaught, slowest {RUN.cpu[category] * 1000:.0f} "
                     f"ms CPU, largest {RUN.mib[category]:.1f} MiB"
                     + "".join(f", {k} {v}" for k, v in sorted(n.items()) if k.startswith("exit-")))
    lines.append(f"fuzz: {seconds} s, peak memory growth {growth:.0f} MB -> test-output/fuzz-counts.json")
    _print_past_capture(request, lines)


def _print_past_capture(request: pytest.FixtureRequest, lines: list[str]) -> None:
    """Show lines in the terminal even though pytest captures output during fixture teardown."""
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        for line in lines:
            reporter.write_line(line)


def _warm_up() -> None:
    """Import the readers and printers and run each once, so the first example is not charged for imports."""
    import importlib

    for module in ("symcnn.io.yaml_reader", "symcnn.io.keras_reader", "symcnn.io.onnx.reader", "symcnn.render.summary",
                   "symcnn.check"):
        try:
            importlib.import_module(module)
        except ImportError:
            pass
    seed = symcnn.load(REPO / "examples" / "seed.yaml")
    _exercise(seed)
    try:
        _exercise(symcnn.load(REPO / "tests" / "fixtures" / "hostile" / "seed.onnx"))  # imports onnx once
    except ImportError:
        pass
    _exercise(symcnn.load(REPO / "tests" / "fixtures" / "hostile" / "seed_functional.json"))
    parse("(3² × 64 × 1) + 64")
    with tempfile.TemporaryDirectory(prefix="symcnn-fuzz-") as folder:
        from symcnn.docs import write_site

        write_site([seed], Path(folder) / "site")  # compiles the templates once
    try:
        from symcnn.check import check

        check(seed, "conv2d", params="640")
    except ImportError:
        pass


def outcome(category: str, run: Callable[[], Any]) -> Any:
    """Run one input (measured): its result, or None after a symcnn error; anything else is re-raised."""
    return RUN.run(category, run)


def _exercise(model: symcnn.Model) -> None:
    """What the command line does with a model: totals, formulas, the printed table."""
    from symcnn.render import summary

    records = model.records
    total = model.total_params
    assert sympy.expand(sum((r.params for r in records), sympy.Integer(0)) - total) == 0  # per-layer sum = total
    if total.is_number:
        assert total >= 0
    model.macs("torchinfo")
    model.macs("fvcore")
    _ = model.free_symbols
    summary.table(model)
    bad = not_whole(model)
    assert not bad, f"not whole numbers: {bad[:3]}"


# ---- the properties ---------------------------------------------------------------------------


@settings(FUZZ, max_examples=EXAMPLES["yaml"])
@given(yaml_texts())
def test_random_yaml_models_end_in_a_result_or_a_symcnn_error(text: str) -> None:
    from symcnn.io.yaml_reader import model_from_yaml

    outcome("yaml", lambda: _exercise(model_from_yaml(text, source="fuzz.yaml")))


@settings(FUZZ, max_examples=EXAMPLES["keras-json"])
@given(keras_json_texts())
def test_mutated_keras_json_ends_in_a_result_or_a_symcnn_error(case: tuple[str, list[str]]) -> None:
    from symcnn.io.keras import model_from_keras_json

    text, mutations = case
    for name in mutations:
        COUNTS["keras-json"][f"mutation:{name}"] += 1
    outcome("keras-json", lambda: _exercise(model_from_keras_json(text, source="fuzz.json")))


@settings(FUZZ, max_examples=EXAMPLES["expr"])
@given(expression_texts)
def test_random_text_for_the_parser_ends_in_a_value_or_a_symcnn_error(text: str) -> None:
    value = outcome("expr", lambda: parse(text))
    if value is not None:
        assert isinstance(value, sympy.Expr)
        assert all(s.is_integer and s.is_positive for s in value.free_symbols)  # names become size symbols


_CHECK_MODELS: dict[str, symcnn.Model] = {}


def _check_model(kind: str) -> symcnn.Model:
    if kind not in _CHECK_MODELS:
        model = symcnn.load(REPO / "examples" / "seed.yaml")
        _CHECK_MODELS[kind] = model if kind == "numbers" else model.with_input((None, "H", "W", 1))
    return _CHECK_MODELS[kind]


@settings(FUZZ, max_examples=EXAMPLES["hand-check"])
@given(st.sampled_from(["numbers", "symbols"]), st.sampled_from(["conv2d", "max_pooling2d", "dense", "flatten"]),
       st.sampled_from(["params", "shape", "macs"]), expression_texts)
def test_a_random_hand_calculation_ends_in_a_verdict_or_a_symcnn_error(kind: str, layer: str, quantity: str,
                                                                       text: str) -> None:
    check = pytest.importorskip("symcnn.check").check
    model = _check_model(kind)
    if quantity == "shape":
        text = f"(None, {text}, 3, 64)"
    outcome("hand-check", lambda: check(model, layer, **{quantity: text}))


@settings(FUZZ, max_examples=EXAMPLES["keras-zip"])
@given(damaged_keras_zips())
def test_a_damaged_keras_zip_ends_in_a_result_or_a_symcnn_error(case: tuple[bytes, list[str]]) -> None:
    data, damage = case
    for name in damage:
        COUNTS["keras-zip"][f"damage:{name}"] += 1
    with tempfile.TemporaryDirectory(prefix="symcnn-fuzz-") as folder:
        path = Path(folder) / "model.keras"
        path.write_bytes(data)
        outcome("keras-zip", lambda: _exercise(symcnn.load(path)))
        assert [p.name for p in Path(folder).iterdir()] == ["model.keras"]  # nothing extracted


@settings(FUZZ, max_examples=EXAMPLES["onnx"])
@given(damaged_onnx())
def test_a_damaged_onnx_file_ends_in_a_result_or_a_symcnn_error(data: bytes) -> None:
    pytest.importorskip("onnx")
    with tempfile.TemporaryDirectory(prefix="symcnn-fuzz-") as folder:
        path = Path(folder) / "model.onnx"
        path.write_bytes(data)
        outcome("onnx", lambda: _exercise(symcnn.load(path)))


_OPEN_MODEL = """name: open
input: [H, W, C]
symbols: {F: 8}
layers:
  - Conv2D: {filters: F, kernel_size: 3, name: c}
  - MaxPooling2D: {pool_size: 2}
  - Flatten
  - Dense: {units: 4, name: d}
"""


@settings(FUZZ, max_examples=EXAMPLES["cli"])
@given(st.sampled_from(["summary", "formula"]), command_lines())
def test_random_command_lines_exit_0_or_2_with_one_line(command: str, options: list[str]) -> None:
    import contextlib
    import io

    from symcnn.cli import main

    with tempfile.TemporaryDirectory(prefix="symcnn-fuzz-") as folder:
        path = Path(folder) / "open.yaml"
        path.write_text(_OPEN_MODEL, encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()

        def run() -> int:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    return main([command, str(path), *options])
                except SystemExit as exc:  # argparse's --help
                    return int(exc.code or 0)

        status = outcome("cli", run)
    assert status in (0, 2), f"exit {status}:\n{err.getvalue()}"
    if status == 2:
        lines = err.getvalue().splitlines()
        assert len(lines) == 1 and lines[0].startswith("symcnn: error: "), err.getvalue()
        COUNTS["cli"]["exit-2"] += 1
    else:
        COUNTS["cli"]["exit-0"] += 1


@settings(FUZZ, max_examples=EXAMPLES["site"])
@given(named_models())
def test_hostile_names_stay_inert_text_in_a_written_site(text: str) -> None:
    import yaml

    from symcnn.docs import write_site
    from symcnn.io.yaml_reader import model_from_yaml

    with tempfile.TemporaryDirectory(prefix="symcnn-fuzz-") as folder:
        root = Path(folder)
        out = root / "site"

        def run() -> Path:
            return write_site([model_from_yaml(text, source="fuzz.yaml")], out)

        config = outcome("site", run)
        files = [p for p in root.rglob("*") if p.is_file()]
        assert all(out in p.parents for p in files), "a file was written outside the site folder"
        if config is None:
            return
        yaml.safe_load(config.read_text(encoding="utf-8"))  # plain data, no tags
        spec = yaml.safe_load(text)
        names = [spec["name"], spec["description"], spec["layers"][0]["Conv2D"]["name"],
                 spec["layers"][2]["Dense"]["name"]]
        raw = [n for n in names if any(c in n for c in "<>`")]  # ("&" is where an escape starts: not checkable)
        for page in out.rglob("*.md"):
            prose = _outside_code_fences(page.read_text(encoding="utf-8"))
            for name in raw:
                assert name not in prose, f"{name!r} appears unescaped in {page.name}"


def _outside_code_fences(markdown: str) -> str:
    """The Markdown without its fenced code blocks (a fence closes with at least as many backticks as opened it)."""
    kept, fence = [], 0
    for line in markdown.splitlines():
        ticks = len(line.lstrip()) - len(line.lstrip().lstrip("`"))
        if fence == 0 and ticks >= 3:
            fence = ticks
        elif fence and ticks >= fence and not line.strip().strip("`"):
            fence = 0
        elif fence == 0:
            kept.append(line)
    return "\n".join(kept)


def test_fuzzing_stayed_within_its_memory_budget() -> None:
    # runs last in the module (pytest keeps file order)
    assert all(n["uncaught"] == 0 for n in COUNTS.values())
    assert _peak_mb() - START["peak"] < MEMORY_BUDGET_MB
