"""from_torch on every torchvision classification model and on timm's families, against torch and torchinfo.

Each model is read once with symbolic batch and sides, (N, 3, H, W). Then:

* its parameter and buffer totals equal ``sum(p.numel())`` over the module's own tensors;
* at input sizes torch itself runs (asked by running the model, on meta tensors), the
  closed-form MACs at that size equal torchinfo's ``total_mult_adds``, at three sizes;
* at sizes torch refuses (a ViT's ``torch._assert`` on 224, a bias table sized for one
  resolution, a window partition that does not divide), the closed form refuses too:
  substituting the size is a ShapeError, not a number.

Which sizes torch accepts is not written down here: the model is run at each candidate
size and torch decides. Models are built on the meta device (see tests/model_zoo.py), so
the zoo costs symcnn's own time and torchinfo's bookkeeping, not arithmetic.
"""

from __future__ import annotations

from typing import Any

import pytest
import sympy

from symcnn.errors import SymcnnError

torch = pytest.importorskip("torch")
pytest.importorskip("torchinfo")

import model_zoo as zoo

from symcnn import from_torch

pytestmark = pytest.mark.slow

N, H, W = sympy.symbols("N H W", integer=True, positive=True)

# (batch, height, width): small sizes first, then sizes just off 224 and a too-small one; then the model's own
# size (224, or what timm's pretrained_cfg says: 256 for maxvit_nano_rw_256), which fixed-resolution models need,
# with batches 2 and 3 to make three sizes; those are asked only while fewer than three sizes are accepted.
CANDIDATES = [(1, 64, 64), (1, 97, 97), (1, 128, 96), (1, 32, 32), (1, 225, 225), (1, 232, 232)]


def _candidates(net: Any) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
    cfg = getattr(net, "pretrained_cfg", None) or {}  # timm's models say their size; torchvision's are 224
    _, h, w = cfg.get("input_size", (3, 224, 224))
    native = [(n, int(h), int(w)) for n in (1, 2, 3)]
    return [*CANDIDATES, *native], native

TORCHVISION_EXCLUDED: dict[str, str] = {}  # name -> why (none today: every classification model traces)

TIMM = [
    "levit_128s", "levit_conv_128s", "coatnet_0_rw_224", "coatnet_nano_rw_224", "maxvit_nano_rw_256",
    "swin_tiny_patch4_window7_224", "deit_tiny_patch16_224", "vit_tiny_patch16_224", "beit_base_patch16_224",
    "davit_tiny", "convnext_atto", "efficientnet_b0", "mobilenetv3_small_100", "regnetx_002", "resnet18",
    "mixer_s16_224", "poolformer_s12", "cait_xxs24_224", "pit_ti_224", "efficientformer_l1", "ghostnet_100",
    "repvgg_a0", "pvt_v2_b0", "fastvit_t8",
    # repeat, repeat_interleave, ~, addcmul, Tensor.unfold, nn.Unfold/Fold, max over an axis, sin/cos, norm, tile
    "xcit_nano_12_p16_224", "gcvit_xxtiny", "edgenext_xx_small", "resmlp_12_224", "volo_d1_224", "tnt_s_patch16_224",
    "halonet26t", "convnextv2_atto", "hieradet_small", "csatv2",  # x.norm, tile
    "tf_efficientnet_b0", "tf_mobilenetv3_small_100", "tf_mixnet_s",  # timm's pad_same (TensorFlow 'same')
]  # fmt: skip


def _torchvision_names() -> list[str]:
    try:
        tv = zoo.torchvision()
    except pytest.skip.Exception:
        return []
    return [n for n in tv.models.list_models(module=tv.models) if n not in TORCHVISION_EXCLUDED]


def _refused_by_symcnn(model: Any, size: tuple[int, int, int]) -> SymcnnError | None:
    n, h, w = size
    try:
        at = model.subs({N: n, H: h, W: w})
        at.records  # noqa: B018 - every layer's shape at this size
        at.total_macs  # noqa: B018
    except SymcnnError as exc:
        return exc
    return None


def check_zoo_model(name: str) -> None:
    """Parameters exact; torchinfo MACs at three sizes torch accepts; the sizes torch refuses refused.

    torchinfo's run at a size is also torch's answer to whether it accepts the size, so each
    candidate costs one forward: torchinfo's until three sizes are in, then a plain one.
    """
    net = zoo.build(name)
    model = from_torch(net, (N, 3, H, W))
    assert model.total_params == sum(p.numel() for p in net.parameters())
    assert model.total_buffers == sum(b.numel() for b in net.buffers())
    macs = model.total_macs
    counted: list[tuple[int, int, int]] = []
    candidates, fallback = _candidates(net)
    for size in candidates:
        n, h, w = size
        if len(counted) >= 3 and size in fallback:
            break
        if len(counted) < 3:
            truth = zoo.torchinfo_macs(net, (n, 3, h, w))
            if truth is not None:
                counted.append(size)
                assert macs.subs({N: n, H: h, W: w}) == truth, (name, size)
            accepted = truth is not None
        else:
            accepted = zoo.accepts(net, (n, 3, h, w))
        refusal = _refused_by_symcnn(model, size)
        if accepted:
            assert refusal is None, f"{name}: torch accepts {size}, symcnn refuses: {refusal}"
        else:
            assert refusal is not None, f"{name}: torch refuses {size}, symcnn gives a number"
    assert len(counted) == 3, f"{name}: torch accepts only {counted} of {candidates}"


@pytest.mark.parametrize("name", _torchvision_names())
def test_torchvision_classification_model_matches_torch_and_torchinfo(name: str) -> None:
    check_zoo_model(name)


@pytest.mark.parametrize("name", TIMM)
def test_timm_model_matches_torch_and_torchinfo(name: str) -> None:
    check_zoo_model(f"timm:{name}")


def test_meta_tensors_give_torchinfo_the_counts_of_real_ones() -> None:
    tv = zoo.torchvision()
    real = tv.models.resnet18(weights=None).eval()
    assert zoo.torchinfo_macs(real, (1, 3, 97, 97)) == zoo.torchinfo_macs(zoo.build("resnet18"), (1, 3, 97, 97))


# ---- the four families issue #13 names, layer by layer ---------------------------------------------

NAMED = [
    # name, sizes torch accepts (N, H, W), sizes it refuses with what symcnn's refusal names: read at that size,
    # and the closed form substituted at that size
    ("swin_t", [(1, 224, 224), (1, 97, 97), (2, 128, 96)], [((1, 3, 3), "features.0.0", "features.0.0")]),
    ("timm:levit_128s", [(1, 224, 224), (2, 224, 224), (1, 223, 223)],
     [((1, 232, 232), "stages.0.blocks.0.attn", "do not broadcast"), ((1, 256, 256), "do not broadcast", "add")]),
    ("timm:coatnet_0_224", [(1, 224, 224), (1, 223, 223), (2, 232, 232)],
     [((1, 256, 256), "attn_mask", "scaled_dot_product_attention"), ((1, 225, 225), "do not broadcast", "'add'")]),
    ("vit_b_16", [(1, 224, 224), (2, 224, 224), (3, 224, 224)],
     [((1, 232, 232), "Expected 224 but got 232", "H = 232 breaks the model's own requirement H = 224"),
      ((1, 224, 225), "Expected 224 but got 225", "W = 225 breaks the model's own requirement W = 224")]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "accepted", "refused"), NAMED, ids=[n[0] for n in NAMED])
def test_named_family_matches_torchinfo_layer_by_layer_and_refuses_what_torch_refuses(
    name: str, accepted: list[tuple[int, int, int]], refused: list[Any]
) -> None:
    net = zoo.build(name)
    model = from_torch(net, (N, 3, H, W))
    for n, h, w in accepted:
        assert zoo.accepts(net, (n, 3, h, w)), (name, (n, h, w))
        zoo.check_layers(net, from_torch(net, (n, 3, h, w)), (n, 3, h, w))
        assert model.total_macs.subs({N: n, H: h, W: w}) == zoo.torchinfo_macs(net, (n, 3, h, w))
    for (n, h, w), read, closed in refused:
        assert not zoo.accepts(net, (n, 3, h, w)), (name, (n, h, w))
        with pytest.raises(SymcnnError, match=read):  # read at that size: refused, naming the layer or the check
            from_torch(net, (n, 3, h, w))
        error = _refused_by_symcnn(model, (n, h, w))  # the closed form at that size: refused too
        assert error is not None and closed in str(error), (name, (n, h, w), error)


def test_vit_states_its_fixed_size_as_constraints_in_formula_output_and_subs() -> None:
    from symcnn.cli.formula import formula_text
    from symcnn.constraints import Constraint

    model = from_torch(zoo.build("vit_b_16"), (1, 3, H, W))
    requirements = [c for c in model.constraints if c.reason]
    assert [(c.condition, c.layer) for c in requirements] == [(sympy.Eq(H, 224), "_assert"), (sympy.Eq(W, 224), "_assert_1")]
    assert "Expected 224 but got H" in requirements[0].reason  # the model's own message, with the symbol
    assert all(isinstance(c, Constraint) for c in model.constraints)
    text = formula_text(model, "text")
    assert "requires: H = 224" in text and "requires: W = 224" in text
    assert r"H = 224" in formula_text(model, "latex")
    at = model.subs({H: 224})  # one requirement met, the other still open
    assert [c.condition for c in at.constraints if c.reason] == [sympy.Eq(W, 224)]
    with pytest.raises(SymcnnError, match=r"W = 232 breaks the model's own requirement W = 224"):
        at.subs({W: 232})
    assert at.subs({W: 224}).total_params == 86567656  # ViT-B/16's parameter count (torchvision's docs)
