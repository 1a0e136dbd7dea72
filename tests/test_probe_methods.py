"""Probe of the research methods and classic losses against their papers and official code: each
test derives its expected value independently (numpy re-computation of the published formula)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benchmark.errors import UserError
from benchmark.lossfn import build_loss


# ------------------------------------------------------------------- contrastive_select: the distance is open
def _unit(f: np.ndarray) -> np.ndarray:  # LPIPS-style channel normalisation, eps inside the root (ours: 1e-8)
    return f / np.sqrt((f ** 2).sum(0, keepdims=True) + 1e-8)


@pytest.mark.parametrize("distance", ["l2", "l1", "cosine"])
def test_contrastive_distance_is_a_named_reading(distance):
    """METHODS.md lists the contrastive distance (L1/L2/cosine) as open; it used to be fixed to squared L2.
    Each reading equals a numpy re-computation on hand-made features, with non-uniform softmax gates."""
    loss = build_loss(f"contrastive_select(layers=('relu1_1',), distance={distance!r})", seed=0,
                      weights="random").parts[0]
    g = torch.Generator().manual_seed(3)
    a = torch.randn(1, 64, 2, 3, generator=g, dtype=torch.float64)
    b = torch.randn(1, 64, 2, 3, generator=g, dtype=torch.float64)
    theta = torch.randn(64, generator=g)
    with torch.no_grad():
        loss.select[0].copy_(theta)
    got = loss._dist({"relu1_1": a.float()}, {"relu1_1": b.float()}, detach=True)

    t = theta.double().numpy()
    w = 64 * np.exp(t - t.max()) / np.exp(t - t.max()).sum()
    ua, ub = _unit(a[0].numpy()) * w[:, None, None], _unit(b[0].numpy()) * w[:, None, None]
    if distance == "l2":
        per_pos = ((ua - ub) ** 2).sum(0)
    elif distance == "l1":
        per_pos = np.abs(ua - ub).sum(0)
    else:
        per_pos = 1 - (ua * ub).sum(0) / (np.linalg.norm(ua, axis=0) * np.linalg.norm(ub, axis=0))
    np.testing.assert_allclose(got.numpy(), [per_pos.mean()], rtol=1e-5)


@pytest.mark.parametrize("distance", ["l1", "cosine"])
def test_contrastive_other_distances_are_zero_at_the_target_and_train(distance):
    loss = build_loss(f"contrastive_select(layers=('relu1_2',), distance={distance!r}, lr=0.05)", seed=0,
                      weights="random").parts[0]
    g = torch.Generator().manual_seed(0)
    y = torch.rand(2, 3, 16, 16, generator=g)
    x = (y + 0.1 * torch.randn(y.shape, generator=g)).clamp(0, 1)
    assert float(loss(y, y)) == 0.0
    zero = torch.zeros(1, 64, 2, 2)  # all-zero features on both sides (a black crop through a random net)
    assert float(loss._dist({"relu1_2": zero}, {"relu1_2": zero}, detach=True)) == 0.0
    before = [p.detach().clone() for p in loss.select]
    loss.train_step(x, y, degraded=(y + 0.3 * torch.randn(y.shape, generator=g)).clamp(0, 1))
    assert torch.isfinite(loss.last_triplet)
    assert any(not torch.equal(p, q) for p, q in zip(before, loss.select))
    pred = x.clone().requires_grad_(True)
    loss(pred, y).backward()
    assert torch.isfinite(pred.grad).all() and pred.grad.abs().sum() > 0


def test_contrastive_unknown_distance_is_a_user_error():
    with pytest.raises(UserError, match="distance must be l2, l1 or cosine"):
        build_loss("contrastive_select(distance='l3')", seed=0, weights="random")
