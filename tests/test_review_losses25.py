"""Review of probe-losses (session 25): each test failed on the reviewed commit it names and passes after its mend."""

from __future__ import annotations

import pytest
import torch


def _old_cosine(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """contrique's and contrastive_select's 1 − cos before 92fc85ca (their loss versions 2)."""
    sa, sb = a.pow(2).sum(1), b.pow(2).sum(1)
    cos = (a * b).sum(1) * torch.rsqrt(sa * sb + 1e-12)
    return 1.0 - torch.where((sa == 0) & (sb == 0), torch.ones_like(cos), cos)


def _old_dists(loss, p, t):
    """dists before 76de81e3 (its loss version 1): 1 − Σ_k Σ_c (α S1 + β S2) on the loss's own stages."""
    from losses.dists import _CHANNELS

    sim = 0.0
    for x, y, a, b in zip(loss._stages(p), loss._stages(t), torch.split(loss.alpha, _CHANNELS),
                          torch.split(loss.beta, _CHANNELS)):
        mx, my = x.mean((2, 3)), y.mean((2, 3))
        vx, vy = (x - mx[..., None, None]).pow(2).mean((2, 3)), (y - my[..., None, None]).pow(2).mean((2, 3))
        cxy = ((x - mx[..., None, None]) * (y - my[..., None, None])).mean((2, 3))
        s1 = (2 * mx * my + loss.c1) / (mx.pow(2) + my.pow(2) + loss.c1)
        s2 = (2 * cxy + loss.c2) / (vx + vy + loss.c2)
        sim = sim + (s1 * a).sum(1) + (s2 * b).sum(1)
    return 1.0 - sim


def _grad(fn, p, t):
    p = p.clone().requires_grad_(True)
    fn(p, t).mean().backward()
    return p.grad


@pytest.mark.parametrize("name, old_version", [("contrique", "2"), ("contrastive_select", "2"), ("dists", "1")])
def test_losses_whose_formula_was_rewritten_train_other_bits_under_a_new_version(monkeypatch, name, old_version):
    """92fc85ca (1 − cos as ½‖â − b̂‖²) and 76de81e3 (DISTS as Σ α(1 − S1) + β(1 − S2)) kept the loss versions: the
    same number in exact arithmetic, but not in float32 — the gradient's bits differ, so a 20-iteration CPU run of
    dists or contrique(distance='cosine') ends on another net (PSNR 20.490181 → 20.490179, 19.292007 → 19.289469)
    under the same run id, and a store resumed across the change mixes the two codes' runs of one id (the policy
    of benchmark/golden.py and 63040d00: a change that alters results bumps the version, golden tolerance or not).
    Each loss's version is now above the one its old formula trained under."""
    from benchmark.backbones import cosine_distance
    from benchmark.registry import LOSSES

    g = torch.Generator().manual_seed(0)
    if name == "dists":  # a stand-in trunk of DISTS's taps (test_probe_losses25's): no VGG-16 built
        import losses.dists as D
        from tests.test_probe_losses25 import _StandInTrunk

        monkeypatch.setattr(D, "Backbone", _StandInTrunk)
        loss = D.DISTSLoss(weights="random")
        x = torch.rand(2, 3, 32, 32, generator=g)
        y = (x + 1e-3 * torch.randn(x.shape, generator=g)).clamp(0, 1)
        new, old = loss, lambda p, t: _old_dists(loss, p, t)
    else:
        x = torch.rand(4, 256, generator=g) + 0.1
        y = x + 1e-3 * torch.randn(x.shape, generator=g)
        new, old = cosine_distance, _old_cosine
    assert not torch.equal(_grad(new, x, y), _grad(old, x, y))  # the training step's bits moved
    assert int(LOSSES.get(name).version) > int(old_version)


@pytest.mark.parametrize("scale", [1e-23, 1e-30, 1e20])
def test_cosine_distance_of_vectors_whose_squares_underflow_or_overflow_is_still_1_minus_cos(scale):
    """92fc85ca's cosine_distance divided by torch's float32 norm, whose squares underflow for entries under ~1e-23
    (norm 0) and overflow over ~1e19 (norm inf): vectors of 1e-23 read 3.6e29, of 1e-30 3.6e15 — a loss spike
    where the old form read 0 — and of 1e20 0.5 whatever their angle. 1 − cos is scale-free: each vector is scaled
    by its largest entry before its norm, so the distance is float64's within 1e-6 at every scale, in [0, 2]."""
    from benchmark.backbones import cosine_distance

    g = torch.Generator().manual_seed(0)
    a, b = torch.rand(3, 16, generator=g) + 0.1, torch.rand(3, 16, generator=g) + 0.1
    want = 1 - torch.nn.functional.cosine_similarity(a.double(), b.double(), dim=1)
    got = cosine_distance(a * scale, b * scale)
    torch.testing.assert_close(got.double(), want, atol=1e-6, rtol=0)
