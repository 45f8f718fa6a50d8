"""symcnn against its real peers (Keras, torchinfo), measured in one run, reported as ratios.

Run by hand (not by CI): ``make bench`` or ``KERAS_BACKEND=torch .venv/bin/python benchmarks/run.py``.
Prints a table of medians, ratios and the target each ratio must meet; exits 1 when a target is missed.
Whole-process times are medians of ``--runs`` runs (default 5); peak memory is the child's max RSS.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SYMCNN = [PY, "-m", "symcnn"]
ENV = {**os.environ, "KERAS_BACKEND": "torch"}


def run_process(cmd: list[str]) -> tuple[float, float]:
    """Wall time (s) and peak RSS (MiB) of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise RuntimeError(f"{' '.join(cmd)} failed: {err[-500:]}")
    return wall, usage.ru_maxrss / 1024


def median_process(cmd: list[str], runs: int) -> tuple[float, float]:
    results = [run_process(cmd) for _ in range(runs)]
    return statistics.median(r[0] for r in results), statistics.median(r[1] for r in results)


def median_call(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, bool]] = []

    def add(self, what: str, measured: str, ratio: float | None, target: str, ok: bool) -> None:
        self.rows.append((what, measured, "" if ratio is None else f"{ratio:.3g}", target, ok))

    def print(self) -> bool:
        head = ("measure", "measured (median)", "ratio", "target", "met")
        rows = [(*r[:4], "yes" if r[4] else "NO") for r in self.rows]
        widths = [max(len(x) for x in col) for col in zip(head, *rows)]
        line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
        print(line(head))
        print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        for r in rows:
            print(line(r))
        return all(r[4] for r in self.rows)


def keras_resnet50_json(path: Path) -> None:
    code = ("import keras; m = keras.applications.ResNet50(weights=None); "
            f"open({str(path)!r}, 'w').write(m.to_json())")
    subprocess.run([PY, "-c", code], check=True, env=ENV, capture_output=True)


def bench_startup(table: Table, resnet_json: Path, runs: int) -> None:
    sympy_t, _ = median_process([PY, "-c", "import sympy"], runs)
    ours_t, ours_m = median_process([*SYMCNN, "summary", str(resnet_json)], runs)
    keras_code = ("import keras; m = keras.applications.ResNet50(weights=None); "
                  "m.count_params(); m.summary(print_fn=lambda *a, **k: None)")
    keras_t, keras_m = median_process([PY, "-c", keras_code], runs)
    table.add("`import sympy` (baseline)", f"{sympy_t:.3f} s", None, "", True)
    r = ours_t / sympy_t
    table.add("symcnn summary ResNet50.json / import sympy", f"{ours_t:.3f} s", r, "<= 2", r <= 2)
    r = ours_t / keras_t
    table.add("symcnn summary / Keras build+count ResNet50", f"{ours_t:.3f} s vs {keras_t:.3f} s", r, "<= 0.25", r <= 0.25)
    r = ours_m / keras_m
    table.add("peak memory symcnn / Keras", f"{ours_m:.0f} MiB vs {keras_m:.0f} MiB", r, "<= 0.25", r <= 0.25)


def bench_symbolic(table: Table, resnet_json: Path, runs: int) -> float:
    """Closed forms for ResNet50 in (H, W) and a vectorised sweep; returns seconds per input size."""
    import numpy as np
    import sympy

    import symcnn
    from symcnn.sweep import vectorize

    H, W = sympy.symbols("H W", integer=True, positive=True)
    holder: dict[str, Any] = {}

    def closed_forms() -> None:
        model = symcnn.load(resnet_json).with_input((None, H, W, 3))
        holder["params"], holder["macs"] = model.total_params, model.total_macs

    t = median_call(closed_forms, runs)
    table.add("ResNet50 (H,W,3): closed-form params and MACs", f"{t:.3f} s", None, "< 1 s", t < 1)
    f = vectorize(holder["macs"], [H, W])
    rng = np.random.default_rng(0)
    hs, ws = rng.integers(32, 1024, 1_000_000), rng.integers(32, 1024, 1_000_000)
    t = median_call(lambda: f(hs, ws), runs)
    sample = rng.integers(0, 1_000_000, 50)
    values = f(hs, ws)
    exact = all(int(values[i]) == holder["macs"].subs({H: int(hs[i]), W: int(ws[i])}) for i in sample)
    table.add("MACs at 1,000,000 (H, W) pairs (vectorised)", f"{t:.3f} s (exact on sample: {exact})", None, "< 1 s",
              t < 1 and exact)
    return t / 1_000_000


def bench_torchinfo(table: Table, per_size: float, runs: int) -> None:
    try:
        import torch  # noqa: F401
        import torchinfo

        sys.path.insert(0, str(ROOT))
        from tests.torch_zoo import resnet50  # type: ignore[import-not-found]
    except ImportError as exc:
        table.add("torchinfo ResNet-50 per input size", f"not measured ({exc})", None, "", False)
        return
    net = resnet50().eval()
    sizes = [64, 96, 128, 160, 224]

    def sweep() -> None:
        for s in sizes:
            torchinfo.summary(net, input_size=(1, 3, s, s), verbose=0)

    t = median_call(sweep, max(1, runs // 2)) / len(sizes)
    r = per_size / t
    table.add("symcnn / torchinfo, time per input size", f"{per_size * 1e9:.0f} ns vs {t:.3f} s", r, "< 1", r < 1)


def bench_growth(table: Table, runs: int) -> None:
    import sympy

    from symcnn import Sequential
    from symcnn import layers as L

    H, W = sympy.symbols("H W", integer=True, positive=True)

    def chain(n: int) -> tuple[float, int]:
        def build() -> Any:
            layers: list[Any] = [L.Input((H, W, 3))]
            for _ in range(n):
                layers += [L.Conv2D(8, 3, padding="same"), L.MaxPooling2D(2, strides=2, padding="same")]
            model = Sequential(layers)
            return model.total_params, model.total_macs, model.constraints, model.records[-1].output_shape

        t = median_call(build, runs)
        *_, shape = build()
        return t, sympy.count_ops(shape[1])

    times = {n: chain(n) for n in (100, 200, 400, 800)}
    text = ", ".join(f"N={n}: {t:.2f} s" for n, (t, _) in times.items())
    r = times[800][0] / times[100][0]
    table.add("growth t(800)/t(100), conv+pool chain, symbolic", text, r, "<= 10", r <= 10)
    size = times[800][1]
    table.add("size of the last layer's height at N=800", f"{size} ops", None, "bounded (one floor)", size < 20)


def bench_docs(table: Table) -> None:
    examples = sorted((ROOT / "examples").glob("*.yaml"))
    try:
        import mkdocs  # noqa: F401

        from symcnn.render import site  # noqa: F401
    except ImportError as exc:
        table.add("docs: generate + build the gallery", f"not measured ({exc})", None, "< 60 s", False)
        return
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([*SYMCNN, "docs", *map(str, examples), "-o", str(Path(tmp) / "site"), "--build"],
                       check=True, env=ENV, capture_output=True)
        t = time.perf_counter() - start
    table.add(f"docs: generate + build {len(examples)} example pages", f"{t:.1f} s", None, "< 60 s", t < 60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    table = Table()
    with tempfile.TemporaryDirectory() as tmp:
        resnet_json = Path(tmp) / "resnet50.json"
        keras_resnet50_json(resnet_json)
        bench_startup(table, resnet_json, args.runs)
        per_size = bench_symbolic(table, resnet_json, args.runs)
    bench_torchinfo(table, per_size, args.runs)
    bench_growth(table, args.runs)
    bench_docs(table)
    ok = table.print()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
