"""Loss zoo probe, session 25: each test failed on the commit before its fix and passes after it."""

from __future__ import annotations

import pytest
import torch


def _near_pairs(n: int = 4, dim: int = 2048, rel: float = 1e-4, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, dim) positive feature vectors and a copy moved by ``rel`` of their typical size: the pooled features of a
    restored crop next to its target's, as a net near convergence gives them."""
    g = torch.Generator().manual_seed(seed)
    b = torch.rand(n, dim, generator=g) + 0.1
    return b + rel * torch.randn(n, dim, generator=g) * b.mean(), b


def _one_minus_cos64(a: torch.Tensor, b: torch.Tensor, dim: int = 1) -> torch.Tensor:
    a, b = a.double(), b.double()
    return 1 - (a * b).sum(dim) / ((a * a).sum(dim) * (b * b).sum(dim)).sqrt()


def _contrique_on_features(monkeypatch, **kw):
    """A ContriqueLoss that takes its (N, D) inputs as the quality vectors themselves (no ResNet-50 built: 10 s)."""
    import losses.contrique as C

    monkeypatch.setattr(C, "contrique_features", lambda backbone, x, normalize=True: x)
    loss = C.ContriqueLoss.__new__(C.ContriqueLoss)
    torch.nn.Module.__init__(loss)
    loss.distance, loss.normalize = kw.get("distance", "cosine"), True
    object.__setattr__(loss, "backbone", None)
    return loss


@pytest.mark.parametrize("rel", [1e-3, 1e-4])
def test_contrique_cosine_distance_near_the_target_is_not_float32_cancellation(monkeypatch, rel):
    """contrique(distance='cosine') computed 1 − ⟨p, t⟩·rsqrt(‖p‖²‖t‖² + 1e-12) in float32: near the target cos is
    1 − 1e-7 and the difference is rounding — at a relative feature change of 1e-4 the loss read 1.5e-8 for a true
    4.1e-9, at 1e-3 1.4 % off (a converging run's curve is noise there; a random-init encoder at pixel noise σ 0.001:
    100 % off). Now 1 − cos is ½‖p̂ − t̂‖², the same number without the cancellation: within 1e-3 of float64."""
    loss = _contrique_on_features(monkeypatch)
    p, t = _near_pairs(rel=rel)
    got = loss(p, t)
    want = _one_minus_cos64(p, t).mean()
    assert float(want) > 0
    assert abs(float(got) - float(want)) <= 1e-3 * float(want)


def test_contrastive_select_cosine_distance_near_the_target_is_not_float32_cancellation():
    """contrastive_select(distance='cosine') had the same 1 − cos per position (its S-weighted, unit-normalised
    VGG features over C channels): 256 channels moved by 1e-4 gave the distance 0 or 25× float64's; now within 1e-3."""
    from losses.contrastive import ContrastiveSelectionLoss

    loss = ContrastiveSelectionLoss.__new__(ContrastiveSelectionLoss)
    torch.nn.Module.__init__(loss)
    loss.distance = "cosine"
    p, t = _near_pairs(n=2, dim=256, rel=1e-4)
    p, t = p.reshape(2, 256, 1, 1).expand(2, 256, 3, 3), t.reshape(2, 256, 1, 1).expand(2, 256, 3, 3)
    got = loss._position_distance(p, t)
    want = _one_minus_cos64(p, t)
    assert got.shape == (2, 3, 3)
    assert float(((got - want) / want).abs().max()) <= 1e-3


def test_cosine_distance_keeps_its_values_at_zero_vectors_and_is_exact_at_identity():
    """The reformulated distance keeps the old one's values where they were exact: 0 at p == t, 0 between two zero
    vectors, 1 between a zero vector and any other; its gradient is finite at all three."""
    from benchmark.backbones import cosine_distance

    x = torch.rand(3, 64, 5, 5)
    z = torch.zeros(3, 64, 5, 5)
    for a, b, want in ((x, x.clone(), 0.0), (z, z.clone(), 0.0), (z, x, 1.0), (x, z, 1.0)):
        a = a.clone().requires_grad_(True)
        d = cosine_distance(a, b)
        assert d.shape == (3, 5, 5)
        torch.testing.assert_close(d, torch.full_like(d, want), atol=1e-7, rtol=0)
        d.sum().backward()
        assert torch.isfinite(a.grad).all()


def _readme_loss_groups() -> dict[str, list[str]]:
    """README's '## Losses' paragraph: the loss names it lists under each heading ('Pixel', 'Deep features', …)."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    para = text.split("## Losses", 1)[1].split("Research methods:", 1)[0]
    groups = {}
    for head, body in re.findall(r"(Pixel|Deep features|Frequency)\b(.*?)(?=(?:Pixel|Deep features|Frequency)\b|$)",
                                 para, flags=re.S):
        groups[head] = re.findall(r"`([a-z_0-9]+)`", body.split("):", 1)[-1] if head == "Deep features" else body)
    return groups


def test_readme_lists_as_deep_feature_losses_only_losses_with_a_backbone():
    """README's loss list put ``ffl`` (an FFT of the pixels: no backbone, no ``weights``) among the "Deep features
    (one shared, frozen Backbone; weights pretrained, seeded random, or a checkpoint file)" — a reader planning a
    pretrained grid looked for its weights; every loss named there takes a backbone's weights, every pixel one none."""
    from benchmark.lossfn import takes_weights
    from benchmark.registry import LOSSES

    groups = _readme_loss_groups()
    deep = [n for n in groups["Deep features"] if n in LOSSES]
    assert "vgg" in deep and "gpl" in deep
    assert [n for n in deep if not takes_weights(n)] == []
    flat = [n for ns in groups.values() for n in ns if n in LOSSES]
    assert [n for n in flat if n not in deep and takes_weights(n)] == []
    assert "ffl" in flat


def _dists64(stages_p, stages_t, loss) -> torch.Tensor:
    """DISTS's own formula, 1 − Σ_k Σ_c (α S1 + β S2) (Ding et al.'s DISTS_pt.py), in float64 on given stages."""
    from losses.dists import _CHANNELS

    total = loss.alpha.double().sum() + loss.beta.double().sum()
    alphas = torch.split(loss.alpha.double() / total, _CHANNELS)
    betas = torch.split(loss.beta.double() / total, _CHANNELS)
    sim = 0.0
    for x, y, a, b in zip(stages_p, stages_t, alphas, betas):
        x, y = x.double(), y.double()
        mx, my = x.mean((2, 3), keepdim=True), y.mean((2, 3), keepdim=True)
        vx, vy = (x - mx).pow(2).mean((2, 3)), (y - my).pow(2).mean((2, 3))
        cxy = ((x - mx) * (y - my)).mean((2, 3))
        mx, my = mx[..., 0, 0], my[..., 0, 0]
        s1 = (2 * mx * my + loss.c1) / (mx.pow(2) + my.pow(2) + loss.c1)
        s2 = (2 * cxy + loss.c2) / (vx + vy + loss.c2)
        sim = sim + (s1 * a).sum(1) + (s2 * b).sum(1)
    return (1 - sim).mean()


class _StandInTrunk(torch.nn.Module):
    """VGG-16's five DISTS taps as fixed random 1×1 maps of the pooled input (64…512 channels at ½…1/16 the side),
    ReLU'd: DISTS's statistics on feature maps shaped as the real ones, without building VGG-16 (2.5 s)."""

    def __init__(self, *args, **kwargs):
        super().__init__()
        from losses.dists import _CHANNELS, _LAYERS

        g = torch.Generator().manual_seed(0)
        self.layers = _LAYERS
        self.maps = [torch.randn(c, 3, generator=g) for c in _CHANNELS[1:]]

    def forward(self, x):
        feats = {}
        for k, (name, w) in enumerate(zip(self.layers, self.maps)):
            f = torch.nn.functional.avg_pool2d(x, 2 ** k) if k else x
            feats[name] = torch.relu(torch.einsum("dc,nchw->ndhw", w, f) - 0.5)
        return feats


@pytest.mark.parametrize("sigma", [1e-3, 1e-4])
def test_dists_near_the_target_is_not_float32_cancellation(monkeypatch, sigma):
    """dists summed α·S1 + β·S2 ≈ 1 over 1475 channels and took 1 − it in float32: at pixel noise σ 0.001 (60 dB) the
    loss was 0.4 % off its float64 value on the same features, at 1e-4 10 % (a random-init VGG-16, 64-px crops; here
    a stand-in trunk of the same taps: 1 %, 46 %). Now Σ α(1 − S1) + β(1 − S2) with 1 − S1 = (μx − μy)²/(μx² + μy² +
    c1) and 1 − S2 = var(x − y)/(σx² + σy² + c2): the same number (α, β sum to 1), within 1e-5 of float64 — and
    exactly 0 at pred == target."""
    import losses.dists as D

    monkeypatch.setattr(D, "Backbone", _StandInTrunk)
    loss = D.DISTSLoss(weights="random")
    g = torch.Generator().manual_seed(0)
    t = torch.nn.functional.avg_pool2d(torch.rand(2, 3, 68, 68, generator=g), 5, stride=1)
    p = (t + sigma * torch.randn(t.shape, generator=g)).clamp(0, 1)
    with torch.no_grad():
        got, want = loss(p, t), _dists64(loss._stages(p), loss._stages(t), loss)
        assert float(loss(t, t.clone())) == 0.0
    assert abs(float(got) - float(want)) <= 1e-5 * float(want)


@pytest.mark.parametrize("spec", ["style(layers=())", "swd(layers=())", "contextual(layers=())", "psycho(layers=())",
                                  "contrastive_select(layers=())", "csr(layers=(), weights='random')"])
def test_a_backbone_loss_with_no_layers_says_which_argument_and_what_to_give(spec):
    """``vgg(layers=())`` is told "layers=() names no layer of vgg16 to compare features at: give at least one, e.g.
    layers=('relu2_2',)" (session 22), but its siblings with a ``layers`` keyword — style, swd, contextual, psycho,
    contrastive_select, csr — still said only "backbone vgg16: no layers to tap": no argument named, nothing to
    write. Now every one says vgg's line, with a layer of its own trunk."""
    from benchmark.backbones import ARCHS
    from benchmark.errors import UserError
    from benchmark.lossfn import build_loss

    with pytest.raises(UserError) as err:
        build_loss(spec, weights="random")
    msg = str(err.value)
    assert "layers=()" in msg and "give at least one" in msg and "\n" not in msg, msg
    example = msg.split("e.g. layers=(")[1].split(",)")[0].strip("'")
    arch = msg.split("no layer of ")[1].split()[0]
    assert example in ARCHS[arch].names


def test_every_built_in_loss_cites_a_dated_publication():
    """``plbench list losses`` shows each loss with its citation; l2's read "mean squared error; PSNR's own objective"
    — no source to look up, where l1 names Zhao et al. (TCI 2017), whose study trains both. Every built-in loss's
    citation now names a dated publication (a year)."""
    import re

    from benchmark.registry import LOSSES

    built_in = [e for e in LOSSES.entries() if e.obj.__module__.startswith("losses.")]
    assert any(e.name == "l2" for e in built_in)
    assert [e.name for e in built_in if not re.search(r"\b(19|20)\d\d\b", e.citation)] == []
