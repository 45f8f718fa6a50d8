"""ONNX files of windowed and dense-attention transformers, exported from torchvision with dynamic sides.

* Swin and MaxViT add a relative-position bias gathered from a table (``table[index]``,
  reshaped to (1, heads, 49, 49)): the Add broadcasts the gathered shape, but the parameter
  is the table the file stores, as torch counts it.
* MaxViT's attention is an ``Einsum`` of two computed tensors.
* A ViT's position embedding (197 rows at 224) meets 1 + ⌊H/16⌋·⌊W/16⌋ tokens: the closed form
  requires the two to agree, and a size torch refuses is refused.

Weights are randomised before export: the TorchScript exporter stores equal initializers once (an untrained model's
LayerNorm weights are all ones), and the file then holds fewer tensors than the module.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
import sympy

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

import model_zoo as zoo

from symcnn.errors import ShapeError
from symcnn.io.onnx import from_onnx

pytestmark = pytest.mark.slow


def _export(name: str, path: Path, *, randomise: bool = True, dynamo: bool = False) -> tuple[Any, Path]:
    net = getattr(zoo.torchvision().models, name)(weights=None).eval()
    if randomise:
        with torch.no_grad():
            for p in net.parameters():
                p.copy_(torch.randn_like(p))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dynamo:  # unoptimised, one file: GatherND, a one-input Max, ScatterND, lifted constants
            torch.onnx.export(net, (torch.zeros(1, 3, 224, 224),), str(path), dynamo=True, optimize=False,
                              external_data=False, verbose=False)  # fmt: skip
        else:
            torch.onnx.export(
                net, (torch.zeros(1, 3, 224, 224),), str(path), dynamo=False, do_constant_folding=False,
                input_names=["x"], dynamic_axes={"x": {0: "batch", 2: "height", 3: "width"}},
            )  # fmt: skip
    return net, path


def _symbol(model: Any, name: str) -> sympy.Symbol:
    return next(s for s in model.free_symbols if s.name == name)


@pytest.mark.parametrize("name", ["swin_t", "maxvit_t"])
def test_a_gathered_bias_counts_as_the_table_it_was_read_from(tmp_path: Path, name: str) -> None:
    net, path = _export(name, tmp_path / f"{name}.onnx")
    model = from_onnx(path)
    assert model.total_params == sum(p.numel() for p in net.parameters())
    tables = [w for r in model.records for w in r.weights if w.name.endswith("relative_position_bias_table")]
    assert tables and all(len(w.shape) == 2 for w in tables)  # (169, heads), not the gathered (1, heads, 49, 49)
    at = model.subs({_symbol(model, "N"): 1, _symbol(model, "H"): 224, _symbol(model, "W"): 224})
    with torch.no_grad():
        assert at.output_shapes[0] == tuple(net(torch.zeros(1, 3, 224, 224)).shape)


def test_swin_from_the_dynamo_exporter_counts_its_tables_and_not_its_lifted_constants(tmp_path: Path) -> None:
    net, path = _export("swin_t", tmp_path / "swin.onnx", dynamo=True)
    model = from_onnx(path)
    assert model.total_params == sum(p.numel() for p in net.parameters())
    with torch.no_grad():
        assert model.output_shapes[0] == tuple(net(torch.zeros(1, 3, 224, 224)).shape)


def test_a_vits_position_embedding_becomes_a_requirement_of_the_closed_form(tmp_path: Path) -> None:
    net, path = _export("vit_b_16", tmp_path / "vit.onnx")
    model = from_onnx(path)
    assert model.total_params == sum(p.numel() for p in net.parameters())
    n, h, w = (_symbol(model, s) for s in "NHW")
    texts = [str(c) for c in model.constraints]
    assert any("197" in t for t in texts), texts
    # The exporter drops torch._assert(H == 224): the file's graph runs wherever the tokens fit, 14·14 + 1 = 197 at 232.
    assert model.subs({n: 1, h: 232, w: 232}).output_shapes[0] == (1, 1000)
    with pytest.raises((RuntimeError, AssertionError)), torch.no_grad():
        net(torch.zeros(1, 3, 240, 240))
    with pytest.raises(ShapeError):
        model.subs({n: 1, h: 240, w: 240}).output_shapes  # noqa: B018 - 15·15 + 1 = 226 rows meet 197


def test_an_untrained_export_is_counted_as_the_file_stores_it(tmp_path: Path) -> None:
    import numpy as np
    import onnx

    _, path = _export("resnet18", tmp_path / "resnet18.onnx", randomise=False)
    floats = sum(int(np.prod(i.dims)) for i in onnx.load(str(path)).graph.initializer if i.data_type == 1)
    assert from_onnx(path).total_params == floats
