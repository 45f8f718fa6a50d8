"""The torch-convention ResNet-50 YAML (shown in the docs) against torch and torchinfo themselves."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy

import symcnn

pytestmark = pytest.mark.slow
YAML = Path(__file__).resolve().parent.parent / "examples" / "resnet50_torch.yaml"


@pytest.fixture(scope="module")
def net():  # type: ignore[no-untyped-def]
    pytest.importorskip("torch")
    from tests.torch_zoo import resnet50

    return resnet50().eval()


@pytest.fixture(scope="module")
def closed_form():  # type: ignore[no-untyped-def]
    model = symcnn.load(YAML)
    return model, sympy.Symbol("H", integer=True, positive=True), sympy.Symbol("W", integer=True, positive=True)


def test_parameters_and_buffers_equal_torchs(net, closed_form) -> None:  # type: ignore[no-untyped-def]
    model, _, _ = closed_form
    assert model.total_params == sum(p.numel() for p in net.parameters())
    assert model.total_buffers == sum(b.numel() for b in net.buffers())


@pytest.mark.parametrize("size", [64, 96, 128, 224, 352, 97])
def test_closed_form_macs_equal_torchinfo_at_each_size(net, closed_form, size: int) -> None:  # type: ignore[no-untyped-def]
    import torch
    import torchinfo

    model, H, W = closed_form
    stats = torchinfo.summary(net, input_size=(1, 3, size, size), verbose=0)
    assert model.total_macs.subs({H: size, W: size}) == stats.total_mult_adds
    with torch.no_grad():
        out = net(torch.zeros(1, 3, size, size))
    assert list(model.subs({H: size, W: size}).output_shapes[0]) == list(out.shape)


def test_yaml_and_from_torch_give_the_same_closed_form(net, closed_form) -> None:  # type: ignore[no-untyped-def]
    model, H, W = closed_form
    traced = symcnn.from_torch(net, (1, 3, H, W))
    assert sympy.simplify(traced.total_macs - model.total_macs) == 0
    assert traced.total_params == model.total_params
