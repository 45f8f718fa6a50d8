"""Every layer family registers when symcnn.layers is imported, whatever else has (not) been imported."""

from __future__ import annotations

import subprocess
import sys

import symcnn
from symcnn.io.torch_reader import from_torch  # noqa: F401  (this process: every reader loaded)


def test_a_fresh_process_knows_the_same_layers_and_counts() -> None:
    code = (
        "import symcnn\n"
        "from symcnn.layers.base import Layer\n"
        "m = symcnn.load('examples/resnet50_torch.yaml')\n"
        "print(int(m.total_params), len(Layer.registry))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr  # torch's functional ops ('add') must register without the torch reader
    from symcnn.layers.base import Layer

    warm = symcnn.load("examples/resnet50_torch.yaml")
    assert out.stdout.split() == [str(int(warm.total_params)), str(len(Layer.registry))]
