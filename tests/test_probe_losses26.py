"""Probe of the loss zoo's correctness (session 26): float32 accuracy of the SSIM family, …"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F


def _ssim_gap64(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """1 − mean SSIM in float64, by the textbook formula (:func:`losses.ssim._ssim_components` undecorated)."""
    from losses.ssim import _ssim_components

    return 1 - _ssim_components(x.double(), y.double(), 1.0, 11, 1.5)[0].mean()


def _ms_ssim_gap64(x: torch.Tensor, y: torch.Tensor, levels: int = 5) -> torch.Tensor:
    """1 − mean MS-SSIM in float64: the product of the per-scale terms to the published weights (normalised)."""
    from losses.ssim import _ms_weights, _ssim_components

    x, y, vals = x.double(), y.double(), []
    for i in range(levels):
        s, cs = _ssim_components(x, y, 1.0, 11, 1.5)
        vals.append((s if i == levels - 1 else cs).clamp_min(0).mean(1))
        pad = (x.shape[-2] % 2, x.shape[-1] % 2)
        x, y = F.avg_pool2d(x, 2, padding=pad), F.avg_pool2d(y, 2, padding=pad)
    return 1 - torch.prod(torch.stack(vals, 1) ** _ms_weights(levels).double(), 1).mean()


def _pair(sigma: float, seed: int = 0, size: int = 48) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.rand(2, 3, size, size, generator=g) * 0.8 + 0.1
    return y + sigma * torch.randn(y.shape, generator=g), y


@pytest.mark.parametrize("sigma", [1e-3, 1e-4])
@pytest.mark.parametrize("name", ["ssim", "ms_ssim", "ms_ssim_l1"])
def test_ssim_family_loss_values_are_float32_accurate_near_identity(name, sigma):
    """1 − SSIM and 1 − Π s_j^{w_j} of float32 terms near 1 were rounding where a net trained on them ends: at
    residual σ 1e-4 the losses read 0 or negative (1 − ssim 100 % off, 1 − MS-SSIM 250 %) against float64."""
    from losses.ssim import MSSSIML1Loss, MSSSIMLoss, SSIMLoss

    x, y = _pair(sigma)
    loss = {"ssim": SSIMLoss(), "ms_ssim": MSSSIMLoss(), "ms_ssim_l1": MSSSIML1Loss()}[name]
    if name == "ssim":
        want = _ssim_gap64(x, y)
    else:
        want = _ms_ssim_gap64(x, y)
        if name == "ms_ssim_l1":
            want = 0.84 * want + 0.16 * (x.double() - y.double()).abs().mean()
    got = loss(x, y).double()
    assert want > 0
    assert abs(got - want) / want < 1e-3, (name, sigma, got.item(), want.item())


def test_ms_ssim_loss_gradient_is_finite_at_identity_and_where_structure_is_lost():
    """Where the images agree the gradient is 0 (no NaN); where a scale's cs is clamped to 0 (unrelated images,
    anti-correlated) the value is still ms_ssim's and the gradient finite."""
    from losses.ssim import MSSSIMLoss, ms_ssim

    y = _pair(0.0)[1][:1]
    x = y.clone().requires_grad_()
    v = MSSSIMLoss()(x, y)
    v.backward()
    assert v.item() == 0 and torch.isfinite(x.grad).all() and x.grad.abs().max() == 0
    for x0 in (torch.rand(y.shape, generator=torch.Generator().manual_seed(3)), 1 - y):
        x = x0.clone().requires_grad_()
        v = MSSSIMLoss()(x, y)
        v.backward()
        assert torch.isfinite(x.grad).all()
        assert abs(v.item() - (1 - ms_ssim(x0, y).mean().item())) < 1e-5
