"""Read an ONNX file into a symcnn Model (PyTorch convention, channels first).

Each ONNX op becomes the torch layer it came from: ``Conv`` → ``Conv2d``,
``Gemm`` (and ``MatMul`` with a constant weight, plus the ``Add`` of its bias)
→ ``Linear``, ``BatchNormalization`` → ``BatchNorm2d`` (mean and variance are
buffers) and so on. Initializers a layer consumes are its weights; one used by
two nodes is a tied weight, counted once. Sizes the file names instead of
numbering (``dim_param`` such as ``batch_size``, ``height``) become symbols,
and the shape arithmetic of dynamic exports (``Shape → Gather → Concat →
Reshape``, ``Resize`` sizes ...) is folded on SymPy values by
:mod:`symcnn.io.onnx.fold`, so the model stays symbolic.

Which exporter: both of torch 2.13's exporters are read. The TorchScript
exporter (``torch.onnx.export(..., dynamo=False)``) is supported fully and
its node names (``/layer1/layer1.0/conv1/Conv``) give torch's module paths
(``layer1.0.conv1``). The dynamo exporter (the default, needs onnxscript)
works too; its module paths come from the ``pkg.torch.onnx.name_scopes``
metadata. Note that both exporters fold a BatchNorm that follows a Conv into
the Conv when exporting in eval mode (TorchScript with constant folding, dynamo
when optimizing): the file then holds the fused model and symcnn counts that.
Export with ``training=torch.onnx.TrainingMode.TRAINING`` or
``do_constant_folding=False`` (TorchScript), or ``optimize=False`` (dynamo),
to keep the BatchNorm layers.

Symbols: ``dim_param`` names become symbols (``batch_size`` → N, ``height`` → H,
``width`` → W, see :data:`DEFAULT_NAMES`; others are kept, made into identifiers).
Names exporters make up (``x_dynamic_axes_2``, dynamo's ``s0``) take the axis's
usual letter: N, C, then H, W (L for 1-D, D, H, W for 3-D). ``symbols=`` overrides
any name with your own Symbol or a number.

Weights: an initializer counts as a parameter where a layer consumes it (Conv,
Gemm/MatMul, normalisation, PReLU, Embedding), or where arithmetic applies it to a
tensor and it carries a name (``x * self.gamma``); exporters' own constants
(``onnx::Mul_12``, ``val_3``) are not parameters. A buffer used in arithmetic looks
like a parameter in ONNX and is counted as one. Exporters merge initializers with
equal values, so two layers with identical weights look tied and count once.

Assumptions on symbolic sizes: Slice bounds a file stores as numbers are taken to
fall inside the axis (as they did for the size the exporter traced).

Weight values are never read, only their sizes: the dynamo exporter's separate
``.onnx.data`` file is not needed (and never opened), and a weight whose values
an exporter transposes or reshapes is followed by shape alone.

Limits: files up to :data:`MAX_ONNX_BYTES`, graphs up to :data:`MAX_ONNX_NODES`
nodes and :data:`MAX_ONNX_INITIALIZERS` initializers (inputs, outputs, value_info);
constant folding computes at most :data:`FOLD_BUDGET` values per file, tensors of at
most :data:`MAX_FOLD_ELEMENTS`, numbers of 4,096 bits and expressions of
:data:`MAX_FOLD_TERMS` terms; element-wise results above :data:`LAZY_ELEMENTS` values
keep only their shape. A file that contradicts itself (an attribute against a weight,
two writers of one tensor, an impossible broadcast) is refused, naming the node.
Control flow (If, Loop, Scan) and custom domains are not read.

>>> model = from_onnx("resnet.onnx", symbols={"height": H, "width": W})  # doctest: +SKIP
>>> model.total_params  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...errors import ArgumentError, SymcnnError
from ...model import Model
from ..files import read_bytes
from .load import MAX_ONNX_BYTES, MAX_ONNX_INITIALIZERS, MAX_ONNX_NODES
from .naming import DEFAULT_NAMES, module_path
from .values import FOLD_BUDGET, LAZY_ELEMENTS, MAX_FOLD_ELEMENTS, MAX_FOLD_TERMS

__all__ = ["DEFAULT_NAMES", "FOLD_BUDGET", "LAZY_ELEMENTS", "MAX_FOLD_ELEMENTS", "MAX_FOLD_TERMS", "MAX_ONNX_BYTES",
           "MAX_ONNX_INITIALIZERS", "MAX_ONNX_NODES", "from_onnx", "module_path"]


def from_onnx(
    path: str | Path,
    *,
    symbols: Mapping[str, Any] | None = None,
    name: str | None = None,
    max_nodes: int = MAX_ONNX_NODES,
    **options: Any,
) -> Model:
    """Read an ONNX model file; sizes named in the file become symbols.

    ``symbols`` maps a name used in the file (``"height"``) to your own Symbol,
    a number, or text such as ``"H"``. Unnamed dynamic sizes get names from the
    input and axis. The batch axis is the symbol ``N`` when it is dynamic.
    """
    if options:
        raise ArgumentError(f"from_onnx has no option {min(options)!r} (options: symbols, name, max_nodes)")
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise SymcnnError("reading .onnx files needs the onnx package: pip install symcnn[onnx]", file=str(path)) from None
    from .reader import Reader

    data = read_bytes(path, MAX_ONNX_BYTES)
    try:
        return Reader(data, str(path), symbols or {}, name, max_nodes).model()
    except SymcnnError as exc:
        raise exc.within(file=str(path)) from None
