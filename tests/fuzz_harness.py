"""What every fuzzing test shares: run one input, count its outcome, measure its time and memory.

Each input ends in a result or a SymcnnError (one printable line); anything else is counted as
uncaught and re-raised. Every input is measured: CPU seconds (``time.process_time``, which a
busy machine does not inflate), wall seconds, and the peak of memory Python allocated for it
(``tracemalloc``). An input over :data:`MAX_SECONDS` of CPU or :data:`MAX_MIB` fails the test.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import sympy

from symcnn.errors import SymcnnError

MAX_SECONDS = 2.0  # CPU seconds per input
MAX_MIB = 500.0  # peak memory Python allocates for one input


class Fuzz:
    """Counts and measurements per category (a class of hostile input)."""

    def __init__(self, categories: Iterable[str]) -> None:
        self.counts: dict[str, Counter[str]] = {c: Counter() for c in categories}
        self.cpu: dict[str, float] = dict.fromkeys(self.counts, 0.0)
        self.wall: dict[str, float] = dict.fromkeys(self.counts, 0.0)
        self.mib: dict[str, float] = dict.fromkeys(self.counts, 0.0)
        self.last_error: SymcnnError | None = None  # of the last input, for tests that check its message

    def run(self, category: str, thunk: Callable[[], Any]) -> Any:
        """Run one input: its result, or None after a SymcnnError; anything else is counted and re-raised."""
        counts = self.counts[category]
        counts["inputs"] += 1
        self.last_error = None
        tracemalloc.start()
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            result = thunk()
        except SymcnnError as exc:
            self.last_error = exc
            counts["symcnn_errors"] += 1
            counts[f"error:{type(exc).__name__}"] += 1
            message = str(exc)
            assert message and "\n" not in message and all(ch.isprintable() for ch in message), repr(message)
            result = None
        except BaseException:
            counts["uncaught"] += 1
            raise
        else:
            counts["results"] += 1
        finally:
            used, took = time.process_time() - cpu, time.perf_counter() - wall
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            self.cpu[category] = max(self.cpu[category], used)
            self.wall[category] = max(self.wall[category], took)
            self.mib[category] = max(self.mib[category], peak)
        assert used <= MAX_SECONDS, f"{category}: one input took {used:.2f} s of CPU"
        assert peak <= MAX_MIB, f"{category}: one input allocated {peak:.0f} MiB"
        return result

    def note(self, category: str, key: str, n: int = 1) -> None:
        self.counts[category][key] += n

    def report(self) -> dict[str, Any]:
        return {c: {**dict(sorted(n.items())), "slowest_cpu_ms": round(self.cpu[c] * 1000),
                    "slowest_wall_ms": round(self.wall[c] * 1000), "largest_mib": round(self.mib[c], 1)}
                for c, n in self.counts.items()}

    def table(self) -> list[str]:
        """The report as a Markdown table: inputs tried and their outcomes per class."""
        lines = ["| class | inputs | results | clean errors | uncaught | not whole | slowest (CPU) | largest |",
                 "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for c, n in self.counts.items():
            lines.append(f"| {c} | {n['inputs']} | {n['results']} | {n['symcnn_errors']} | {n['uncaught']} | "
                         f"{n['not_whole']} | {self.cpu[c] * 1000:.0f} ms | {self.mib[c]:.1f} MiB |")
        return lines

    def write(self, path: Path, **extra: Any) -> None:
        path.write_text(json.dumps({**extra, "categories": self.report()}, indent=1) + "\n", encoding="utf-8")


def whole(value: Any) -> bool:
    """True for a whole number, None, or a symbolic size SymPy knows to be an integer."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return True
    if isinstance(value, sympy.Basic):
        return bool(value.is_Integer) if value.is_number else value.is_integer is not False
    return False


def not_whole(model: Any) -> list[str]:
    """Every size and count of ``model`` (and of it at its default symbol values) that is not a whole number."""
    bad = []
    variants = [model]
    if getattr(model, "defaults", None):
        try:
            variants.append(model.with_defaults())
        except SymcnnError:
            pass
    for m in variants:
        for rec in m.records:
            values = [*rec.output_shape, rec.params, rec.trainable, rec.non_trainable]
            for convention in ("torchinfo", "fvcore"):
                try:
                    values.append(rec.macs_by(convention))
                except SymcnnError:
                    pass
            bad += [f"{rec.name}: {v}" for v in values if not whole(v)]
    return bad
