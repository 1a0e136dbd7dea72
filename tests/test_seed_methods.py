"""Known-answer tests for the five seed methods (issue 15): each one ranks a ladder of
increasingly distorted copies of a real photograph in order, is 0 at pred == target, gives
finite non-zero gradients at a random restoration, and matches its paper (or its stated
reading) where a closed form or a reference implementation exists."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import extra_inputs

from benchmark.lossfn import build_loss
from benchmark.registry import LOSSES

SEED_LOSSES = ("contrique", "csr", "psycho", "contrastive_select", "pdl")


@pytest.fixture(scope="module")
def photo():
    """A 64×64 crop of scikit-image's astronaut (face and suit: edges and flat areas; bundled, no
    download), (1, 3, 64, 64) in [0, 1]."""
    from skimage import data

    img = torch.from_numpy(np.ascontiguousarray(data.astronaut()[60:124, 190:254])).permute(2, 0, 1)
    return (img.float() / 255)[None]


def noise_ladder(x: torch.Tensor, sigmas=(0.02, 0.05, 0.1, 0.2)) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    n = torch.randn(x.shape, generator=g)
    return [(x + s * n).clamp(0, 1) for s in sigmas]


def blur_ladder(x: torch.Tensor, sigmas=(0.7, 1.5, 3.0)) -> list[torch.Tensor]:
    from torchvision.transforms.v2.functional import gaussian_blur

    return [gaussian_blur(x, [2 * math.ceil(3 * s) + 1] * 2, [s]) for s in sigmas]




@pytest.mark.parametrize("ladder", [noise_ladder, blur_ladder], ids=["noise", "blur"])
@pytest.mark.parametrize("name", SEED_LOSSES)
def test_ladder_is_ranked_in_order(name, ladder, built, photo):
    loss = built(name)
    values = [float(loss(x, photo, **extra_inputs(loss, x))) for x in ladder(photo)]
    assert all(a < b for a, b in zip(values, values[1:])), values


@pytest.mark.parametrize("name", SEED_LOSSES)
def test_zero_at_target_and_finite_nonzero_gradient(name, built, photo):
    loss = built(name)
    assert float(loss(photo.clone(), photo, **extra_inputs(loss, photo))) == pytest.approx(0.0, abs=1e-7)
    pred = torch.rand(photo.shape, generator=torch.Generator().manual_seed(1)).requires_grad_(True)
    value = loss(pred, photo, **extra_inputs(loss, pred))
    value.backward()
    assert torch.isfinite(value) and float(value) > 0
    assert torch.isfinite(pred.grad).all() and float(pred.grad.abs().sum()) > 0


@pytest.mark.parametrize("name", SEED_LOSSES)
def test_registry_version_bumped(name):
    """Issue 15 changed what each seed loss computes (contrastive_select: its citation only); psycho 3 scores the
    frequency tuning at the preferred orientation (tests/test_probe_methods15.py); contrique 3 and contrastive_select 3
    compute distance='cosine' as backbones.cosine_distance (tests/test_review_losses25.py)."""
    assert LOSSES.get(name).version == ("3" if name in ("psycho", "contrique", "contrastive_select") else "2")


# --------------------------------------------------------------------------------------------- CONTRIQUE
def test_contrique_half_scale_is_pils_bicubic_resize(photo):
    """The authors' ×0.5 view is PIL ``resize((w // 2, h // 2))`` (bicubic, antialiased)."""
    from PIL import Image

    from losses.contrique import half_scale

    x = photo[..., :63, :61]  # odd sides: PIL floors (w // 2, h // 2)
    u8 = (x[0].permute(1, 2, 0) * 255).round().byte().numpy()
    ref = Image.fromarray(u8).resize((u8.shape[1] // 2, u8.shape[0] // 2), Image.BICUBIC)
    ref = torch.from_numpy(np.asarray(ref)).permute(2, 0, 1).float()[None] / 255
    ours = half_scale(torch.from_numpy(u8).permute(2, 0, 1).float()[None] / 255)
    assert ours.shape == ref.shape == (1, 3, 31, 30)
    assert float((ours - ref).abs().max()) <= 1.5 / 255  # PIL rounds to uint8


def test_contrique_features_are_l2_normalised_per_scale(photo):
    from benchmark.backbones import Backbone
    from losses.contrique import contrique_features, half_scale

    bb = Backbone("resnet50", ("layer4",), weights="random", seed=0, normalize="none")
    q = contrique_features(bb, photo)
    assert q.shape == (1, 4096)
    torch.testing.assert_close(q[:, :2048].norm(dim=1), torch.ones(1))
    torch.testing.assert_close(q[:, 2048:].norm(dim=1), torch.ones(1))
    # the published definition, spelled out: normalize(GAP(f(x))) ⊕ normalize(GAP(f(x/2)))
    ref = torch.cat([F.normalize(bb(x)["layer4"].mean((2, 3)), dim=1) for x in (photo, half_scale(photo))], 1)
    torch.testing.assert_close(q, ref)
    raw = contrique_features(bb, photo, normalize=False)
    assert float(raw[:, :2048].norm()) != pytest.approx(1.0, abs=1e-3)


def test_contrique_fr_metric_ranks_the_ladder(tmp_path, photo):
    """The evaluator's CONTRIQUE distance on a (tiny, self-trained) encoder orders the ladder."""
    from benchmark.metrics import MetricSet
    from benchmark.pretrain import PretrainConfig, pretrain

    path = pretrain(PretrainConfig(data="skimage-natural:train", steps=2, batch_size=4, crop=32), out_dir=tmp_path)
    name = f"contrique_fr@{path}"
    ms = MetricSet([name])
    assert "contrique_features(v2)" in ms.metrics[0].weights
    values = [ms.score(x, photo)[name] for x in noise_ladder(photo)]
    assert ms.score(photo, photo)[name] == 0.0
    assert all(a < b for a, b in zip(values, values[1:])), values


# ------------------------------------------------------------------------------------- self-trained CONTRIQUE recipe
def test_lab_matches_the_authors_imagecms_conversion():
    """Against the authors' own pipeline: PIL ImageCms sRGB → LAB, then ToTensor (÷255)."""
    from PIL import Image, ImageCms

    from benchmark.pretrain import _rgb_to_lab

    rgb = np.array([[[255, 0, 0], [255, 255, 255], [0, 0, 0], [0, 128, 255], [40, 200, 90], [128, 128, 128],
                     [200, 30, 220], [250, 240, 20]]], dtype=np.uint8)
    to_lab = ImageCms.buildTransformFromOpenProfiles(ImageCms.createProfile("sRGB"), ImageCms.createProfile("LAB"),
                                                     "RGB", "LAB")
    ref = torch.from_numpy(np.asarray(ImageCms.applyTransform(Image.fromarray(rgb), to_lab)).copy()).float() / 255
    x = torch.from_numpy(rgb).float().permute(2, 0, 1)[None] / 255
    wrap = _rgb_to_lab(x, "wrap")[0].permute(1, 2, 0)
    lum = ref[..., 0]
    torch.testing.assert_close(wrap[..., 0], lum, atol=1.5 / 255, rtol=0)  # L* spans [0, 1]
    assert float(wrap[0, 1, 0]) > 0.99  # white: L* = 100 → 1
    chroma = (ref[..., 1:] * 255 - 128).abs() < 120  # away from the wrap point (neutral colours)
    torch.testing.assert_close(wrap[..., 1:][chroma], ref[..., 1:][chroma], atol=2.5 / 255, rtol=0)
    # the default encoding is the same a*, b*, offset instead of wrapped: continuous at grey
    off = _rgb_to_lab(x)[0].permute(1, 2, 0)
    signed = torch.where(ref[..., 1:] * 255 > 127.5, ref[..., 1:] * 255 - 256, ref[..., 1:] * 255)
    torch.testing.assert_close(off[..., 1:], (signed + 128) / 255, atol=2.5 / 255, rtol=0)
    torch.testing.assert_close(off[0, 5, 1:], torch.full((2,), 128 / 255), atol=1 / 255, rtol=0)


def test_local_mean_subtracted_spans_unit_range():
    from benchmark.pretrain import _local_mean_subtracted

    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    y = _local_mean_subtracted(x)
    assert float(y.amin()) == pytest.approx(0.0, abs=1e-6)
    torch.testing.assert_close(y.amax((2, 3)), torch.ones(2, 3), atol=1e-4, rtol=0)
    flat = _local_mean_subtracted(torch.full((1, 3, 16, 16), 0.3))  # no local contrast: 0 everywhere
    assert float(flat.abs().max()) < 1e-4


def test_projector_is_the_authors():
    """L2-normalised input → Linear(no bias) → BN1d → ReLU → Linear(no bias) → BN1d → unit output."""
    from benchmark.pretrain import Projector

    p = Projector(16, 8)
    kinds = [type(m).__name__ for m in p.net]
    assert kinds == ["Linear", "BatchNorm1d", "ReLU", "Linear", "BatchNorm1d"]
    assert p.net[0].bias is None and p.net[3].bias is None
    v = torch.randn(6, 16)
    torch.testing.assert_close(p(v), p(3.0 * v))  # scale-free input
    torch.testing.assert_close(p(v).norm(dim=1), torch.ones(6))


def test_dataset_fingerprint_sees_every_byte():
    from benchmark.data import ImageRecord
    from benchmark.pretrain import dataset_fingerprint

    a = torch.zeros(3, 256, 256, dtype=torch.uint8)  # 196 608 bytes: the old hash read 65 536
    b = a.clone()
    b[2, 255, 255] = 1
    assert dataset_fingerprint([ImageRecord("x", a)]) != dataset_fingerprint([ImageRecord("x", b)])


def test_probe_treats_trained_and_random_batchnorm_alike(tmp_path):
    """Same recalibration for both: a checkpoint whose weights equal a random init (seed 0) gets
    exactly the random init's probe result, whatever BatchNorm statistics the file carries."""
    from benchmark.pretrain import Trunk, probe

    torch.manual_seed(0)
    state = Trunk("tinycnn").container.state_dict()
    for k, v in state.items():
        if k.endswith("running_var"):
            v.fill_(123.0)  # stale statistics in the file: must not matter
    ckpt = tmp_path / "same_as_random.pt"
    torch.save({"state_dict": state}, ckpt)
    kw = dict(data="skimage-natural:test", crop=32, per_class=1, bn_data="skimage-natural:train", bn_batches=2)
    a, b = probe("tinycnn", ckpt, **kw), probe("tinycnn", None, seed=0, **kw)
    assert a["per_image"] == b["per_image"] and a["bn"] == b["bn"] == "recalibrated on skimage-natural:train"


# --------------------------------------------------------------------------------------------- CSR
def test_csr_default_is_a_contrastive_encoder(monkeypatch, tmp_path):
    """auto: MoCo v2 if present, else SimCLR, else the self-trained SimCLR encoder; DINO only by name."""
    import losses.csr as C
    from benchmark import weights as W
    from benchmark.pretrain import PretrainConfig

    tiny = PretrainConfig(recipe="simclr", data="skimage-natural:train", steps=2, batch_size=4, crop=32)
    monkeypatch.setattr(C, "selftrained_simclr_config", lambda data="skimage:train": tiny)
    loss = build_loss("csr", seed=0)  # nothing cached: self-trains the tiny SimCLR encoder
    assert "tinycnn:selftrained(simclr" in loss.provenance
    present = {"resnet50:simclr"}
    monkeypatch.setattr(W.WeightFile, "present", property(lambda self: self.key in present))
    assert C.resolve_encoder() == "resnet50:simclr"
    present.add("resnet50:moco_v2")
    assert C.resolve_encoder() == "resnet50:moco_v2"
    assert C.resolve_encoder("resnet50:dino") == "resnet50:dino"
    assert W.loss_weight_keys("csr") == ("resnet50:moco_v2",)  # what plbench weights lists and prefetches


def test_moco_checkpoint_loads_as_the_query_encoder(monkeypatch, tmp_path):
    """MoCo's file (DDP-wrapped query + key encoders, MLP head, queue) → the query trunk, strictly."""
    import torchvision

    from benchmark import weights as W
    from benchmark.backbones import Backbone

    torch.manual_seed(0)
    net = torchvision.models.resnet50(weights=None)
    state = {f"module.encoder_q.{k}": v for k, v in net.state_dict().items() if not k.startswith("fc.")}
    state |= {"module.encoder_q.fc.0.weight": torch.zeros(2048, 2048),
              "module.encoder_q.fc.2.weight": torch.zeros(128, 2048),
              "module.encoder_k.conv1.weight": torch.zeros(64, 3, 7, 7), "module.queue": torch.zeros(128, 8)}
    wf = W.get_file("resnet50:moco_v2")
    wf.path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": state, "epoch": 800}, wf.path)
    monkeypatch.setattr(W, "verify", lambda wf, path: None)  # a stand-in file cannot carry the real md5
    bb = Backbone("resnet50", ("layer1",), weights="pretrained", pretrained="resnet50:moco_v2")
    assert bb.provenance == "resnet50:moco_v2" and bb.normalize == "imagenet"
    x = torch.rand(1, 3, 32, 32)
    ref = torch.nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool, net.layer1).eval()
    torch.testing.assert_close(bb(x)["layer1"], ref(bb.normalise(x)), rtol=1e-4, atol=1e-5)
    assert W.get_file("resnet50:simclr").normalize == "none"  # SimCLR: raw [0, 1] input


# --------------------------------------------------------------------------------------------- psycho
def test_psycho_frequency_score_prefers_the_csf_peak():
    """Three band-pass channels (Gabor at 0.05, 0.12, 0.3 cycles/px): the frequency score is the
    Pearson correlation of each tuning curve with the Mannos–Sakrison CSF sampled at the probe
    frequencies × 40 px/degree (clipped at 0), and it moves with the viewing condition (the named
    reading ``pixels_per_degree``)."""
    from losses.psycho import ProbeConfig, channel_scores, mannos_sakrison, probe_responses

    r = torch.arange(-8, 9, dtype=torch.float32)
    yy, xx = torch.meshgrid(r, r, indexing="ij")
    env = torch.exp(-(xx**2 + yy**2) / (2 * 4.0**2))
    kernels = torch.stack([env * torch.cos(2 * math.pi * f * xx) for f in (0.05, 0.12, 0.3)])
    kernels = (kernels - kernels.mean((1, 2), keepdim=True))[:, None].repeat(1, 3, 1, 1) / 3

    def extract(x):
        return {"toy": F.conv2d(x, kernels, padding=8)}

    cfg = ProbeConfig(size=64)
    resp = probe_responses(extract, cfg)["toy"]
    csf = mannos_sakrison(cfg.freqs * 40.0)
    o_pref = resp.flatten(1).argmax(1) % cfg.n_orient  # the tuning at each channel's preferred orientation
    tuning = resp[torch.arange(3), :, o_pref]
    expected = [float(torch.corrcoef(torch.stack([t, csf]))[0, 1]) for t in tuning]
    s40 = channel_scores(resp, cfg, pixels_per_degree=40.0)["freq"]
    torch.testing.assert_close(s40, torch.tensor(expected, dtype=s40.dtype).clamp_min(0), rtol=1e-6, atol=1e-9)
    assert len(set(s40.tolist())) == 3  # the three tunings are told apart
    s10 = channel_scores(resp, cfg, pixels_per_degree=10.0)["freq"]
    assert not torch.allclose(s10, s40)


def test_psycho_score_mix_and_orientation_readings():
    from losses.psycho import ProbeConfig, channel_scores

    cfg = ProbeConfig(n_freq=3, n_orient=4)
    resp = torch.zeros(2, 3, 4, dtype=torch.float64)
    resp[0, 1, 0] = 1.0                    # one orientation only: perfectly tuned
    resp[1] = 1.0                          # flat: untuned
    for kind in ("minmax", "circular"):
        o = channel_scores(resp, cfg, orientation=kind)["orient"]
        torch.testing.assert_close(o, torch.tensor([1.0, 0.0], dtype=o.dtype), atol=1e-9, rtol=0)
    parts = channel_scores(resp, cfg, freq_weight=0.25)
    torch.testing.assert_close(parts["score"], 0.25 * parts["freq"] + 0.75 * parts["orient"])


def test_psycho_cache_is_keyed_by_the_probing_code(monkeypatch):
    import losses.psycho as P

    a = P.PsychovisualFeatureLoss(layers=("relu1_2",), weights="random", seed=0)
    old = a._cache_path()
    monkeypatch.setattr(P, "_probe_code_digest", lambda: "changed-code")
    b = P.PsychovisualFeatureLoss(layers=("relu1_2",), weights="random", seed=0)
    assert old.is_file() and b._cache_path().is_file() and old != b._cache_path()
    # scores are recomputed from the cached responses with the current formula every time
    c = P.PsychovisualFeatureLoss(layers=("relu1_2",), freq_weight=1.0, weights="random", seed=0)
    torch.testing.assert_close(c.scores["relu1_2"], c.score_parts["relu1_2"]["freq"])
    assert not torch.equal(c.scores["relu1_2"], b.scores["relu1_2"])


# ------------------------------------------------------------------------------------- online contrastive selection
def test_contrastive_citation_names_the_seed_authors():
    assert LOSSES.get("contrastive_select").citation.startswith("Mei, Lu, Yi, Wu, Li, Huang,")


def test_contrastive_gates_learn_the_degradation_dimensions(photo):
    """Online S (triplet: anchor degraded, positive restored, negative clean) moves weight onto
    the channels where a half-restored output still looks like the degradation."""
    loss = build_loss("contrastive_select(layers=('relu1_2',), lr=0.05, margin=1.0)", seed=0,
                      weights="random").parts[0]
    noisy = noise_ladder(photo)[-1]
    restored = 0.8 * photo + 0.2 * noisy  # mostly restored: a little of the noise is left
    before = float(loss(restored, photo))
    for _ in range(20):
        loss.train_step(restored, photo, degraded=noisy)
    assert loss.last_triplet > 0  # the triplet was active: S has moved
    after = float(loss(restored, photo))
    assert after > 1.05 * before  # S now emphasises the residual degradation


# --------------------------------------------------------------------------------------------- PDL
def test_pdl_default_layers_and_weights(photo):
    """pixel_weight·W1(RGB) + mean over the five VGG-16 blocks of per-channel W1, by hand."""
    from losses.pdl import PDL_LAYERS, sorted_w

    loss = build_loss("pdl", seed=0, weights="random").parts[0]
    assert loss.layers == PDL_LAYERS == ("relu1_2", "relu2_2", "relu3_3", "relu4_3", "relu5_3")
    x = noise_ladder(photo)[1]

    def w1(a, b):
        n, c = a.shape[:2]
        return sorted_w(a.reshape(n, c, -1), b.reshape(n, c, -1)).mean(1)

    fx, fy = loss.features(x), loss.features(photo)
    by_hand = w1(x, photo) + sum(w1(fx[n], fy[n]) for n in PDL_LAYERS) / 5
    torch.testing.assert_close(loss(x, photo), by_hand.mean(), rtol=1e-5, atol=1e-7)
    twice = build_loss("pdl(pixel_weight=2.0)", seed=0, weights="random")
    torch.testing.assert_close(twice(x, photo) - loss(x, photo), w1(x, photo).mean(), rtol=1e-4, atol=1e-7)


def test_contrastive_train_step_reads_nothing_back_from_the_device(photo, monkeypatch):
    """The online update used to sync with the host every step (``int(self.steps)``, ``float(loss)``):
    after its first call (one read of the checkpointed counter) it converts no tensor to a Python
    number; ``last_triplet`` stays a tensor. A restored state dict re-reads the counter."""
    loss = build_loss("contrastive_select(layers=('relu1_2',), lr=0.05, update_every=2)", seed=0,
                      weights="random").parts[0]
    noisy = noise_ladder(photo)[-1]
    loss.train_step(photo, photo, degraded=noisy)
    reads = []
    for name in ("__int__", "__float__", "__index__", "item"):
        real = getattr(torch.Tensor, name)
        monkeypatch.setattr(torch.Tensor, name, lambda self, *a, _r=real, _n=name, **k: reads.append(_n) or _r(self))
    for _ in range(4):
        loss.train_step(0.5 * (photo + noisy), photo, degraded=noisy)
    monkeypatch.undo()
    assert isinstance(loss.last_triplet, torch.Tensor)
    assert int(loss.steps) == loss._host_steps == 5
    state = loss.state_dict()
    state["steps"] = torch.tensor(40)
    loss.load_state_dict(state)
    loss.train_step(photo, photo, degraded=noisy)
    assert loss._host_steps == 41 and int(loss.steps) == 41
    assert reads == ["item", "item"]  # only Adam's step counter at its 2 updates (a host tensor, also on CUDA)
