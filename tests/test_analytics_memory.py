"""Memory: activation bytes by dtype, and the training estimate against what torch itself measures on CPU.

torch's own tracker (torch.distributed._tools.mem_tracker.MemTracker, a dispatch mode that follows every
tensor's storage, CPU included) measures the peak of a real training step: forward, backward, optimizer step.

The allowed gap: 0.85 ≤ estimate / measured peak ≤ 1.30. The estimate counts every part as alive at once,
but torch frees activations during the backward pass while the gradients fill in (so the estimate is above
the peak, by up to ~25% on the activation-heavy nets here); and the backward pass allocates temporaries
(gradients with respect to activations, batch norm's saved statistics) that the estimate leaves out, while
views such as Flatten share their input's memory (so it can be below, by up to ~12% on the residual net).
The parts themselves are checked exactly: weights, gradients and optimizer state as torch holds them after a step.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sympy

import symcnn
from symcnn import Sequential
from symcnn import layers as L
from symcnn.analysis.memory import activation_bytes, dtype_bytes, training_memory, training_total
from symcnn.errors import ArgumentError

ROOT = Path(__file__).resolve().parent.parent
LOW, HIGH = 0.85, 1.30


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "symcnn", *args], capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize(("dtype", "width"), [("float32", 4), ("float16", 2), ("bfloat16", 2), ("int8", 1)])
def test_activation_bytes_are_values_times_the_dtype_width(dtype: str, width: int) -> None:
    model = Sequential([L.Input((10, 10, 3)), L.Conv2D(4, 3), L.Flatten(), L.Dense(5)])
    values = 10 * 10 * 3 + 8 * 8 * 4 + 8 * 8 * 4 + 5
    assert dtype_bytes(dtype) == width and activation_bytes(model, dtype) == values * width


def test_the_estimate_is_symbolic_in_the_batch_and_counts_each_part_by_its_rule() -> None:
    N = sympy.Symbol("N", integer=True, positive=True)
    model = Sequential([L.Input((10, 10, 3)), L.Conv2D(4, 3), L.BatchNormalization(), L.Flatten(), L.Dense(5)])
    trainable = (3 * 3 * 3 * 4 + 4) + 2 * 4 + (8 * 8 * 4 * 5 + 5)
    values = 10 * 10 * 3 + 3 * (8 * 8 * 4) + 5  # input; conv, batch norm, flatten; dense
    for optimizer, state, step in (("sgd", 0, 0), ("momentum", trainable, 0), ("adam", 2 * trainable, 2 * 8 * 8 * 4 * 5)):
        parts = {p.name: p for p in training_memory(model, optimizer=optimizer, dtype="float16")}
        assert parts["weights"].values == trainable + 2 * 4  # BN's moving statistics are weights too
        assert parts["gradients"].values == trainable
        assert parts["optimizer state"].values == state
        assert parts["optimizer step"].values == step
        assert sympy.expand(parts["activations"].values - N * values) == 0
        assert sympy.expand(parts["activations"].bytes - 2 * N * values) == 0
        assert all(p.rule for p in parts.values())
    total = training_total(training_memory(model, batch=8, optimizer="adam"))
    assert total == 4 * ((trainable + 8) + trainable + 2 * trainable + max(8 * values, 2 * 1280))


def test_unknown_optimizer_and_dtype_are_refused_by_name() -> None:
    model = Sequential([L.Input((4,)), L.Dense(2)])
    with pytest.raises(ArgumentError, match="optimizer must be one of sgd, momentum, adam"):
        training_memory(model, optimizer="rmsprop")
    with pytest.raises(ArgumentError, match="dtype must be one of"):
        dtype_bytes("float64")
    out = run_cli("memory", str(ROOT / "examples" / "seed.yaml"), "--batch", "-3")
    assert out.returncode == 2 and "--batch must be a positive whole number" in out.stderr


def test_memory_command_prints_layers_and_the_estimate_with_rules() -> None:
    out = run_cli("memory", str(ROOT / "examples" / "seed.yaml"), "--batch", "32", "--optimizer", "momentum")
    assert out.returncode == 0, out.stderr
    assert "390,660" in out.stdout  # activations per sample: 4,096 + 246,016 + ... + 4
    assert "one velocity per trainable parameter" in out.stdout and "kept for the backward pass" in out.stdout
    data = json.loads(run_cli("memory", str(ROOT / "examples" / "seed.yaml"), "--format", "json").stdout)
    assert data["batch"] == "N" and data["total_activations"] == 390_660
    parts = {p["part"]: p for p in data["training"]}
    assert parts["gradients"]["bytes"] == 4 * 1_643_844 and parts["activations"]["values"] == "390660*N"


# ---- torch's measured peak ------------------------------------------------------------------------------


def _models(nn: Any, torch: Any) -> dict[str, tuple[Any, tuple[int, ...]]]:
    class Residual(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.c0, self.b0 = nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16)
            self.c1, self.b1 = nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16)
            self.c2, self.b2 = nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16)
            self.pool, self.fc = nn.AdaptiveAvgPool2d(1), nn.Linear(16, 10)

        def forward(self, x: Any) -> Any:
            x = torch.relu(self.b0(self.c0(x)))
            y = self.b2(self.c2(torch.relu(self.b1(self.c1(x)))))
            return self.fc(torch.flatten(self.pool(torch.relu(x + y)), 1))

    return {
        "conv-bn-pool": (nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                                       nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(32 * 16 * 16, 10)),
                         (3, 32, 32)),
        "mlp": (nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                              nn.Linear(256, 10)), (1, 28, 28)),
        "residual": (Residual(), (3, 32, 32)),
        "vgg-like": (nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
                                   nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                   nn.Flatten(), nn.Linear(64 * 8 * 8, 100), nn.ReLU(), nn.Linear(100, 10)), (3, 32, 32)),
    }


OPTIMIZERS = {
    "sgd": lambda torch, p: torch.optim.SGD(p, lr=0.1),
    "momentum": lambda torch, p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
    "adam": lambda torch, p: torch.optim.Adam(p),
}


def _measure(torch: Any, module: Any, optimizer: Any, x: Any, y: Any) -> tuple[int, dict[str, int]]:
    """The peak over two training steps (the second has the optimizer's state), and what is held after a step."""
    from torch.distributed._tools.mem_tracker import MemTracker

    tracker = MemTracker()
    tracker.track_external(module, optimizer, x)
    with tracker:
        for _ in range(2):
            tracker.reset_mod_stats()
            torch.nn.functional.cross_entropy(module(x), y).backward()
            optimizer.step()
            after = {str(k.value) if hasattr(k, "value") else str(k): v
                     for k, v in tracker.get_tracker_snapshot("current")[torch.device("cpu")].items()}
            optimizer.zero_grad()
    return tracker.get_tracker_snapshot("peak")[torch.device("cpu")]["Total"], after


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("batch", [1, 8, 32])
@pytest.mark.parametrize("name", ["conv-bn-pool", "mlp", "residual", "vgg-like"])
def test_training_estimate_is_within_the_stated_gap_of_torchs_measured_peak(name: str, batch: int, optimizer: str) -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    module, shape = _models(torch.nn, torch)[name]
    x, y = torch.randn(batch, *shape), torch.randint(0, 10, (batch,))
    opt = OPTIMIZERS[optimizer](torch, module.parameters())
    peak, held = _measure(torch, module, opt, x, y)
    model = symcnn.from_torch(module, (batch, *shape))
    parts = {p.name: p for p in training_memory(model, batch, optimizer)}
    # The parts torch holds after a step are exactly the estimate's, but for two counters: batch norm's
    # num_batches_tracked is an int64 (8 bytes, not 4), and Adam keeps a 4-byte step count per tensor.
    tensors = sum(1 for _ in module.parameters())
    counters = sum(1 for m in module.modules() if hasattr(m, "num_batches_tracked"))
    assert held["Parameter"] + held["Buffer"] == parts["weights"].bytes + 4 * counters
    assert held["Gradient"] == parts["gradients"].bytes
    assert held["Optstate"] == parts["optimizer state"].bytes + (4 * tensors if optimizer == "adam" else 0)
    estimate = training_total(list(parts.values()))
    assert LOW <= estimate / peak <= HIGH, (name, batch, optimizer, int(estimate), peak)
