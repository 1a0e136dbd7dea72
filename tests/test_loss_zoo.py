"""Reference checks for the perceptual loss zoo (offline; tiny inputs; random-init backbones).

The generic registry-parametrised checks (finite value/gradient, zero at pred == target, bf16,
batch independence) live in tests/test_losses.py; here each family is checked against an
outside reference or an analytic value.
"""

from __future__ import annotations

import math
import re

import pytest
import torch
import torch.nn.functional as F

from benchmark import weights as W
from benchmark.backbones import Backbone
from benchmark.errors import UserError
from benchmark.lossfn import build_loss


@pytest.fixture(autouse=True)
def _offline_empty_cache(tmp_path, monkeypatch):
    """Every test runs offline against an empty cache in tmp_path (nothing written elsewhere)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    yield


def _pair(n=2, size=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = F.avg_pool2d(torch.rand(n, 3, size + 4, size + 4, generator=g), 5, stride=1)
    y = (x + 0.1 * torch.randn(x.shape, generator=g)).clamp(0, 1)
    return x, y


# --------------------------------------------------------------------------------------------- LPIPS
@pytest.mark.parametrize("net", ["alex", "squeeze"])
def test_lpips_equals_package_for_same_backbone(net):
    import lpips

    from losses.lpips import LPIPSLoss

    ref = lpips.LPIPS(net=net, pnet_rand=True, verbose=False).eval()
    ours = LPIPSLoss(net=net, weights="random", seed=0)
    # lpips slices torchvision's `features` keeping the original indices: net.sliceK.<i>.* → features.<i>.*
    trunk = {re.sub(r"^net\.slice\d+\.", "features.", k): v for k, v in ref.state_dict().items()
             if k.startswith("net.")}
    W.load_strict(ours.backbone.net, trunk, source="lpips trunk")
    x, y = _pair()
    with torch.no_grad():
        expected = ref(y, x, normalize=True).mean()
        got = ours(y, x)
    assert got.item() > 0
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-7)


def test_lpips_gradient_finite_at_zero_features():
    """The epsilon sits inside the root: all-zero (dead) feature vectors give finite gradients."""
    from losses.lpips import LPIPSLoss

    loss = LPIPSLoss(net="alex", weights="random")
    x = torch.zeros(1, 3, 64, 64, requires_grad=True)
    loss(x, torch.zeros(1, 3, 64, 64)).backward()
    assert torch.isfinite(x.grad).all()


# --------------------------------------------------------------------------------------------- PDL
def test_pdl_equals_analytic_w1_for_shifted_distributions():
    from losses.pdl import ProjectedDistributionLoss

    g = torch.Generator().manual_seed(1)
    a = torch.randn(2, 3, 32, 32, generator=g)
    shift = 0.3
    # b: the same samples, spatially permuted (same distribution), shifted by `shift`
    perm = torch.randperm(32 * 32, generator=g)
    b = a.reshape(2, 3, -1)[..., perm].reshape(2, 3, 32, 32) + shift
    pdl = ProjectedDistributionLoss(layers=(), pixels=True)
    torch.testing.assert_close(pdl(b, a), torch.tensor(shift), rtol=1e-5, atol=1e-6)
    # a non-trivial pair: U(0,1) vs U(0,1)² has W1 = ∫|u − u²| du = 1/6 (quantile functions)
    u = (torch.arange(4096, dtype=torch.float64) + 0.5) / 4096
    a2 = u[torch.randperm(4096, generator=g)].float().reshape(1, 1, 64, 64).expand(1, 3, 64, 64)
    b2 = (u**2)[torch.randperm(4096, generator=g)].float().reshape(1, 1, 64, 64).expand(1, 3, 64, 64)
    torch.testing.assert_close(pdl(b2, a2), torch.tensor(1 / 6), rtol=1e-4, atol=1e-5)


def test_pdl_proj_shift_is_projected_shift():
    """Sliced variant: shifting every channel by s shifts projection v by s·Σv."""
    from losses.pdl import ProjectedDistributionLossProj

    g = torch.Generator().manual_seed(2)
    a = torch.rand(1, 3, 16, 16, generator=g)
    pdl = ProjectedDistributionLossProj(layers=(), pixels=True, num_proj=5, seed=3)
    expected = (0.2 * pdl.dirs0.sum(1)).abs().mean()
    torch.testing.assert_close(pdl(a + 0.2, a), expected, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------------------------- psycho
def test_psycho_probe_orientation_tuned_channel_outscores_isotropic():
    from losses.psycho import ProbeConfig, channel_scores, probe_responses

    r = torch.arange(-4, 5, dtype=torch.float32)
    yy, xx = torch.meshgrid(r, r, indexing="ij")
    gauss = torch.exp(-(xx**2 + yy**2) / (2 * 2.0**2))
    gabor = gauss * torch.sin(2 * math.pi * 0.2 * xx)  # tuned to stripes varying along x
    dog = torch.exp(-(xx**2 + yy**2) / (2 * 1.0**2)) / 1.0**2 - gauss / 2.0**2  # isotropic
    kernels = torch.stack([gabor, dog])[:, None].repeat(1, 3, 1, 1) / 3

    def extract(x):
        return {"toy": F.conv2d(x, kernels, padding=4).abs()}

    cfg = ProbeConfig()
    scores = channel_scores(probe_responses(extract, cfg)["toy"], cfg)
    orient = scores["orient"]
    assert orient[0] > 0.9 and orient[1] < 0.2, orient
    assert scores["score"][0] > scores["score"][1]


def test_psycho_scores_cached_by_provenance(tmp_path):
    from losses.psycho import PsychovisualFeatureLoss

    loss = PsychovisualFeatureLoss(layers=("relu1_2",), weights="random", seed=0)
    path = loss._cache_path()
    assert path.is_file() and str(path).startswith(str(tmp_path))
    assert "vgg16_random_seed_0_" in path.name or "vgg16_random" in path.name
    again = PsychovisualFeatureLoss(layers=("relu1_2",), weights="random", seed=0)
    torch.testing.assert_close(again.scores["relu1_2"], loss.scores["relu1_2"])
    assert int(loss.w0.gt(0).sum()) == 32  # keep=0.5 of 64 channels


# --------------------------------------------------------------------------------------------- contrastive
def test_contrastive_selection_trains_and_stays_finite():
    loss = build_loss("contrastive_select(layers=('relu1_2', 'relu2_2'))", seed=0, weights="random")
    part = loss.parts[0]
    before = [p.detach().clone() for p in part.select]
    x, _ = _pair(n=2, size=32)
    g = torch.Generator().manual_seed(5)
    degraded = (x + 0.2 * torch.randn(x.shape, generator=g)).clamp(0, 1)
    pred = (x + 0.05 * torch.randn(x.shape, generator=g)).clamp(0, 1)
    for _ in range(3):
        loss.train_step(pred, x, degraded=degraded)
    after = list(part.select)
    assert any(not torch.equal(a, b) for a, b in zip(after, before))
    assert all(torch.isfinite(p).all() for p in after)
    state = loss.state_dict()
    assert any(k.endswith("select.0") for k in state) and any(k.endswith("steps") for k in state)
    assert not any("features" in k for k in state)  # frozen backbone is not saved with a run
    v = loss(pred.requires_grad_(True), x, degraded=degraded)
    v.backward()
    assert torch.isfinite(v) and torch.isfinite(pred.grad).all()
    assert all(p.grad is None for p in part.select)  # the net's loss never trains S


# --------------------------------------------------------------------------------------------- weights
@pytest.mark.parametrize("name,filename", [
    ("vgg", "vgg16-397923af.pth"),
    ("lpips", "alexnet-owt-7be5be79.pth"),
    ("dists", "vgg16-397923af.pth"),
    ("csr(selftrain=False)", "moco_v2_800ep_pretrain.pth.tar"),
    ("csr(encoder='resnet50:dino')", "dino_resnet50_pretrain.pth"),
    ("contrique", "CONTRIQUE_checkpoint25.tar"),
])
def test_missing_pretrained_offline_is_one_line_user_error(tmp_path, name, filename, no_network):
    with pytest.raises(UserError) as info:
        build_loss(name, seed=0, weights="pretrained")
    msg = str(info.value)
    assert "\n" not in msg
    assert filename in msg and str(tmp_path / "torch" / "hub") in msg
    assert not no_network  # no network attempt (nothing to hang on)


def test_allow_download_still_refused_offline(tmp_path):
    with pytest.raises(UserError, match="vgg19-dcbb9e9d.pth"):
        W.resolve("vgg19:IMAGENET1K_V1", allow_download=True)
    assert not (tmp_path / "torch" / "hub" / "checkpoints" / "vgg19-dcbb9e9d.pth").exists()


def test_corrupt_file_fails_hash_check():
    wf = W.get_file("alexnet:IMAGENET1K_V1")
    wf.path.parent.mkdir(parents=True)
    torch.save({"features.0.weight": torch.zeros(1)}, wf.path)
    with pytest.raises(UserError, match="corrupt"):
        W.resolve(wf.key)


def test_checkpoint_path_loads_strictly_with_provenance(tmp_path):
    bb = Backbone("vgg16", ["relu2_2"], weights="random", seed=3)
    ckpt = tmp_path / "self_trained.pt"
    torch.save({"state_dict": {f"module.{k}": v for k, v in bb.net.state_dict().items()}}, ckpt)
    loaded = Backbone("vgg16", ["relu2_2"], weights=str(ckpt))
    assert loaded.provenance.startswith("vgg16:file(self_trained.pt,sha256=")
    x = torch.rand(1, 3, 32, 32)
    torch.testing.assert_close(loaded(x)["relu2_2"], bb(x)["relu2_2"])
    # the wrong architecture's keys are refused (strict matching), in one line
    with pytest.raises(UserError, match="keys do not match"):
        Backbone("alexnet", ["relu2"], weights=str(ckpt))


def test_random_weights_are_seeded_and_labelled():
    a = Backbone("resnet50", ["layer1"], weights="random", seed=0)
    b = Backbone("resnet50", ["layer1"], weights="random", seed=0)
    c = Backbone("resnet50", ["layer1"], weights="random", seed=1)
    x = torch.rand(1, 3, 32, 32)
    assert a.provenance == "resnet50:random(seed=0)" and c.provenance == "resnet50:random(seed=1)"
    assert torch.equal(a(x)["layer1"], b(x)["layer1"]) and not torch.equal(a(x)["layer1"], c(x)["layer1"])
    assert not list(a.parameters()) and a.net.training is False


def test_weights_report_lists_needs_and_paths(tmp_path):
    rows = W.weights_report(["vgg", "l1", "lpips"])
    by = {(r["loss"], r["needs"]): r for r in rows}
    assert by[("l1", "none")]["present"] is True
    vgg = by[("vgg", "vgg16:IMAGENET1K_V1")]
    assert vgg["present"] is False and vgg["path"] == str(tmp_path / "torch/hub/checkpoints/vgg16-397923af.pth")
    assert by[("lpips", "lpips:alex:v0.1")]["present"] is True  # shipped in the lpips wheel
    with pytest.raises(UserError):
        W.prefetch(["vgg"])  # offline: refuses, never hangs


def test_every_feature_loss_states_provenance():
    from benchmark.registry import LOSSES

    for name in ["vgg", "vgg_esrgan", "style", "gpl", "lpips", "pdl", "swd", "contextual"]:
        m = build_loss(name, seed=0, weights="random")
        assert re.search(r"random\(seed=0\)", m.provenance), (name, m.provenance)
        assert LOSSES.get(name).citation
