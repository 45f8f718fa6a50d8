"""torchvision's and timm's models for the zoo tests: importing them on CPU torch, building them cheaply, asking torch.

torchvision's PyPI wheel is a CUDA build: its C++ extension does not load on the CPU
torch, and ``torchvision/_meta_registrations.py`` registers fake kernels for
``torchvision::nms`` and ``torchvision::qnms`` at import time, which fails while the ops
do not exist. The classification models are pure Python, so declaring the two ops
(schemas only, no kernels) is enough to import them. That is done here, for the tests,
and only when the plain import fails.

Models are built on the meta device where their constructors allow it (no memory, no
initialisation; regnet's constructor computes widths with ``.tolist()`` and is built on
the CPU, then moved to meta). torch and torchinfo on meta tensors check and count shapes exactly as
on the CPU (``tests/test_torch_zoo.py`` checks that on one model), without arithmetic.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

import pytest

torch = pytest.importorskip("torch")

_KEEP: list[Any] = []  # the torch.library fragment must outlive the import


def torchvision() -> Any:
    """``import torchvision``, declaring the C++ ops its import registers kernels for when they are missing."""
    try:
        import torchvision as tv
    except ImportError:
        pytest.skip("torchvision is not installed (make test-setup installs it)")
    except RuntimeError as exc:
        if "torchvision::" not in str(exc):
            raise
        for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[name]
        lib = torch.library.Library("torchvision", "DEF")
        for op in ("nms", "qnms"):
            lib.define(f"{op}(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        _KEEP.append(lib)
        import torchvision as tv
    return tv


def timm() -> Any:
    torchvision()  # timm imports torchvision's feature-extraction helpers when torchvision is there
    return pytest.importorskip("timm")


def build(name: str) -> Any:
    """A fresh model in eval mode, ``weights=None``: ``"resnet18"`` from torchvision, ``"timm:levit_128s"`` from timm."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # googlenet and inception_v3 warn about their default initialisation
        try:
            with torch.device("meta"):
                return _make(name).eval()
        except NotImplementedError:  # a constructor that reads tensor values (regnet's widths)
            return _make(name).to("meta").eval()


def _make(name: str) -> Any:
    if name.startswith("timm:"):
        return timm().create_model(name[5:], pretrained=False)
    return torchvision().models.get_model(name, weights=None)


def device_of(net: Any) -> Any:
    return next(iter(net.parameters())).device


def accepts(net: Any, shape: tuple[int, ...]) -> bool:
    """Whether torch runs ``net`` on an input of ``shape`` (on the model's device: meta runs no arithmetic)."""
    x = torch.zeros(shape, device=device_of(net))
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            net(x)
    except _REFUSALS:
        return False
    return True


_REFUSALS = (RuntimeError, AssertionError, ValueError, IndexError)  # how torch says an input does not fit


def torchinfo_macs(net: Any, shape: tuple[int, ...]) -> int | None:
    """torchinfo's total mult-adds for one forward on ``shape``, or None where torch refuses the input."""
    import torchinfo

    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stats = torchinfo.summary(net, input_size=shape, verbose=0, device=device_of(net))
    except RuntimeError as exc:  # torchinfo wraps the model's own error
        if isinstance(exc.__cause__, _REFUSALS) or "Failed to run torchinfo" not in str(exc):
            return None
        raise
    return int(stats.total_mult_adds)


def check_layers(net: Any, model: Any, shape: tuple[int, ...]) -> None:
    """Per module call with parameters, in order: class, output shape and MACs equal torchinfo's leaf rows.

    Parameterless leaves that symcnn traces through (torchvision's Permute, StochasticDepth)
    have no record of their own; their zero MACs are in the totals, which are compared too.
    """
    import torchinfo

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = torchinfo.summary(net, input_size=shape, verbose=0, device=device_of(net))
    leaves = [i for i in stats.summary_list if i.is_leaf_layer and i.num_params > 0]
    modules = dict(net.named_modules())
    records = [
        r for r in model.records
        if r.name.split("#")[0] in modules and not any(modules[r.name.split("#")[0]].children())
        and any(True for _ in modules[r.name.split("#")[0]].parameters()) and "(not called)" not in r.type
    ]  # fmt: skip
    assert [r.type for r in records] == [i.class_name for i in leaves]
    assert [list(r.output_shape) for r in records] == [i.output_size for i in leaves]
    assert [r.macs for r in records] == [i.macs for i in leaves]
    assert model.total_macs == stats.total_mult_adds
    assert model.total_params == sum(p.numel() for p in net.parameters()) == stats.total_params
