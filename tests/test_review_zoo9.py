"""Review of probe zoo 9: the loss zoo against outside references (pyiqa's DISTS, documented minimum sizes) and
the contextual loss' first-call saturation warning. Tiny tensors, seeded random-init trunks."""

from __future__ import annotations

import re

import pytest
import torch

from benchmark.lossfn import build_loss


def _module(loss, cls_name):
    return next(m for m in loss.modules() if type(m).__name__ == cls_name)


@pytest.mark.slow  # importing pyiqa takes ~6 s on 2 cores
def test_dists_equals_pyiqas_dists_with_the_same_random_weights(monkeypatch):
    """Our DISTS (L2 pooling, raw-input stage 0, ImageNet-normalised trunk, α/β normalised to sum 1, c1 = c2 = 1e-6)
    equals pyiqa's port of the authors' DISTS_pt.py with the same trunk and α, β copied over."""
    dists_arch = pytest.importorskip("pyiqa.archs.dists_arch")
    from types import SimpleNamespace

    from torchvision.models import vgg

    # offline, and fast: VGG-16's feature layers only (no 100M-parameter classifier); weights copied below
    monkeypatch.setattr(dists_arch.models, "vgg16",
                        lambda weights=None: SimpleNamespace(features=vgg.make_layers(vgg.cfgs["D"])))
    ref = dists_arch.DISTS(pretrained=False).eval()
    ours = _module(build_loss("dists", seed=0, weights="random"), "DISTSLoss")
    ref_sd = ref.state_dict()
    for k, v in ours.backbone.net.state_dict().items():  # features.<i>.* is stage<s>.<i>.* in the reference
        i = int(k.split(".")[1])
        (name,) = [r for r in ref_sd if r.endswith(f".{i}.{k.split('.')[-1]}") and r.startswith("stage")]
        ref_sd[name] = v.clone()
    ref_sd["alpha"], ref_sd["beta"] = ours.alpha.reshape(1, -1, 1, 1).clone(), ours.beta.reshape(1, -1, 1, 1).clone()
    ref.load_state_dict(ref_sd)
    g = torch.Generator().manual_seed(0)
    t = torch.rand(2, 3, 40, 36, generator=g)
    p = (t + 0.1 * torch.randn(t.shape, generator=g)).clamp(0, 1)
    with torch.no_grad():
        want = ref(p, t).mean()
        got = ours(p, t)
    assert float(got) == pytest.approx(float(want), rel=1e-4, abs=1e-6)


def _runs(loss, side):
    """Whether the loss gives a finite value and gradient on a side×(side+3) pair."""
    p = torch.rand(1, 3, side, side + 3, requires_grad=True)
    try:
        v = loss(p, torch.rand(1, 3, side, side + 3))
    except (ValueError, RuntimeError):
        return False
    v.backward()
    return bool(torch.isfinite(v)) and bool(torch.isfinite(p.grad).all())


@pytest.mark.parametrize("net, side", [("alex", 31), ("vgg", 16), ("squeeze", 17)])
def test_lpips_docstring_states_each_trunks_smallest_side(net, side):
    """LPIPS' docstring said '≥ 32 px per side for alex' (alexnet runs from 31 px) and nothing of vgg (16) or
    squeeze (17). It names each trunk's smallest side, which is where the loss first runs."""
    from losses.lpips import LPIPSLoss

    loss = build_loss(f"lpips(net={net!r})", seed=0, weights="random")
    assert _runs(loss, side) and not _runs(loss, side - 1)
    assert re.search(rf"≥ {side} px per side for {net}\b", " ".join(LPIPSLoss.__doc__.split())), LPIPSLoss.__doc__


def test_dists_docstring_states_the_side_its_structure_term_needs():
    """DISTS' docstring said 'at least 32 px per side', though L2 pooling pads (a ceil(n/2) halving): it runs from
    1 px, and its deepest stage (relu5_3) keeps ≥ 2 positions — a structure term that depends on pred — from 17 px;
    at 16 px it is one position, where S2 = 1 whatever pred. The docstring says both."""
    from losses.dists import DISTSLoss

    loss = build_loss("dists", seed=0, weights="random")
    assert _runs(loss, 1)
    feats = _module(loss, "DISTSLoss").features
    deepest = {n: feats(torch.rand(1, 3, s, s))["relu5_3"].shape[-2:] for n, s in (("16", 16), ("17", 17))}
    assert tuple(deepest["16"]) == (1, 1) and tuple(deepest["17"]) == (2, 2)
    doc = " ".join(DISTSLoss.__doc__.split())
    assert "at least 32 px" not in doc and "any size" in doc and "≥ 17 px per side" in doc, doc


def test_contextual_warning_of_one_saturated_layer_among_several_does_not_say_the_loss_is_zero(caplog):
    """contextual(layers=('relu2_2', 'relu4_4')) on 16 px: relu4_4 (2×2 positions) saturates, relu2_2 still moves —
    the loss is > 0 with a gradient, yet the first-call warning said 'the loss is exactly 0 with no gradient'. It
    now says the layer's term (1 of 2 averaged) is 0; one layer alone keeps 'the loss' (test_probe_zoo9)."""
    g = torch.Generator().manual_seed(0)
    t = torch.rand(2, 3, 16, 16, generator=g)
    p = (t + 0.1 * torch.randn(t.shape, generator=g)).clamp(0, 1).requires_grad_()
    with caplog.at_level("WARNING", logger="losses.contextual"):
        v = build_loss("contextual(layers=('relu2_2', 'relu4_4'))", seed=0, weights="random")(p, t)
        v.backward()
    assert float(v) > 0 and p.grad.any()
    said = [r.getMessage() for r in caplog.records if r.name == "losses.contextual"]
    assert len(said) == 1 and "layer 'relu4_4'" in said[0], said
    assert "the loss is exactly 0" not in said[0] and "its term (1 of 2 layers averaged) is exactly 0" in said[0]


def test_pdl_docstring_does_not_claim_the_public_snippets_axes():
    """pdl's docstring said its projections across channels, sorted over space, were 'as public re-implementations
    do'; the public ``projectedDistributionLoss`` snippet (arXiv 2012.09289 in its docstring) projects the H·W
    spatial dimensions and sorts over channels. The docstring names the snippet and its axes instead."""
    from losses.pdl import ProjectedDistributionLoss

    doc = " ".join(ProjectedDistributionLoss.__doc__.split())
    assert "as public re-implementations do" not in doc
    assert "projectedDistributionLoss" in doc and "sorts each projection over the *channels*" in doc, doc


@pytest.mark.parametrize("kw", [{}, {"patch_factor": 2, "alpha": 0.5}, {"log_matrix": True, "batch_matrix": True},
                                {"ave_spectrum": True, "patch_factor": 4}])
def test_ffl_equals_a_transcription_of_the_authors_formula(kw):
    """FFL against the authors' focal_frequency_loss.py (EndlessSora/focal-frequency-loss@352f69d) written out
    independently: row-major patch list stacked on dim 1, ortho FFT, |ΔF|^α weight (log1p, normalised per
    (image, patch, channel) or over the batch, NaN → 0, clamped to [0, 1], detached) times |ΔF|², mean."""
    from losses.ffl import FocalFrequencyLoss

    alpha, pf = kw.get("alpha", 1.0), kw.get("patch_factor", 1)

    def freq(x):
        ph, pw = x.shape[2] // pf, x.shape[3] // pf
        y = torch.stack([x[:, :, i * ph:(i + 1) * ph, j * pw:(j + 1) * pw] for i in range(pf) for j in range(pf)], 1)
        f = torch.fft.fft2(y, norm="ortho")
        return torch.stack([f.real, f.imag], -1)

    g = torch.Generator().manual_seed(0)
    t = torch.rand(3, 3, 16, 16, generator=g, dtype=torch.float64)
    p = (t + 0.1 * torch.randn(t.shape, generator=g, dtype=torch.float64)).clamp(0, 1)
    fp, ft = freq(p), freq(t)
    if kw.get("ave_spectrum"):
        fp, ft = fp.mean(0, keepdim=True), ft.mean(0, keepdim=True)
    m = torch.sqrt(((fp - ft) ** 2)[..., 0] + ((fp - ft) ** 2)[..., 1]) ** alpha
    if kw.get("log_matrix"):
        m = torch.log(m + 1.0)
    m = m / m.max() if kw.get("batch_matrix") else m / m.max(-1).values.max(-1).values[:, :, :, None, None]
    m[torch.isnan(m)] = 0.0
    want = (m.clamp(0, 1) * (((fp - ft) ** 2)[..., 0] + ((fp - ft) ** 2)[..., 1])).mean()
    assert float(FocalFrequencyLoss(**kw)(p.float(), t.float())) == pytest.approx(float(want), rel=1e-4)


def test_contextual_max_positions_pools_an_elongated_map_instead_of_crashing():
    """contextual(max_positions=16) on a 12×160 pair (relu3_4: 3×40) doubled one square pooling kernel past the short
    side (4 > 3) and failed with torch's 'Output size is too small'; max_positions=1 on 4×8 (1×2) the same instead of
    the ValueError naming max_positions. The kernel now stops at each side: 3×40 pools to ≤ 16 positions and
    trains; 1×2 pooled to one position is the named refusal. Maps the old square kernel fitted keep their values."""
    import torch.nn.functional as F

    g = torch.Generator().manual_seed(0)
    p = torch.rand(1, 3, 12, 160, generator=g, requires_grad=True)
    loss = build_loss("contextual(max_positions=16)", seed=0, weights="random")
    v = loss(p, torch.rand(1, 3, 12, 160, generator=g))
    v.backward()
    assert torch.isfinite(v) and p.grad.any()
    ctx = _module(loss, "ContextualLoss")
    assert 1 < ctx._flat(torch.rand(1, 8, 3, 40)).shape[-1] <= 16
    f = torch.rand(1, 8, 16, 16, generator=g)  # square: as before, a 4×4 average pooling down to 16 positions
    assert torch.equal(ctx._flat(f), F.avg_pool2d(f, 4).reshape(1, 8, -1))
    with pytest.raises(ValueError, match=r"max_positions=1 pools layer 'relu3_4' \(1×2 positions"):
        ctx.max_positions = 1
        ctx(torch.rand(1, 3, 4, 8), torch.rand(1, 3, 4, 8))
