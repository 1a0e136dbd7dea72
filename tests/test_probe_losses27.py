"""Probe of the loss zoo (session 27): float32 cancellation near the identity beyond SSIM/MS-SSIM, against float64
evaluations of the same formula; each test fails on the commit before its fix."""

from __future__ import annotations

import pytest
import torch

import losses.ffl  # noqa: F401 (imported once at collection, not in a test's time)


def _near(sigma: float, size: int = 32, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(pred, target): target in [0.1, 0.9], pred = target + residual of σ ``sigma``; (2, 3, size, size) each."""
    g = torch.Generator().manual_seed(seed)
    y = torch.rand(2, 3, size, size, generator=g) * 0.8 + 0.1
    return y + sigma * torch.randn(y.shape, generator=g), y


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.double() - b).norm() / b.norm())


def _ffl64(x: torch.Tensor, y: torch.Tensor, ave_spectrum: bool = False) -> torch.Tensor:
    """Focal frequency loss (α = 1, patch_factor 1, per-image weight) by its formula, in float64."""
    fx, fy = torch.fft.fft2(x.double(), norm="ortho"), torch.fft.fft2(y.double(), norm="ortho")
    if ave_spectrum:
        fx, fy = fx.mean(0, keepdim=True), fy.mean(0, keepdim=True)
    diff = fx - fy
    dist = diff.real**2 + diff.imag**2
    w = dist.detach().sqrt()
    return (w / w.amax(dim=(-2, -1), keepdim=True) * dist).mean()


@pytest.mark.parametrize("ave_spectrum", [False, True])
@pytest.mark.parametrize("sigma", [1e-4, 1e-5])
def test_ffl_near_the_target_is_not_float32_cancellation(sigma, ave_spectrum):
    """ffl took F(pred) − F(target), two float32 FFTs of near-equal images subtracted: their rounding (~1e-7 of a
    DC term of ~0.5·side) is the whole difference where a net ends, so the gradient a net trains on was 0.08 % off
    float64 at residual σ 1e-4 and 1 % at 1e-5 on 32-px images (the DC grows with the side), the value 1.6e-3.
    The FFT is linear: F(pred − target) is the same number in exact arithmetic, without the cancellation."""
    from losses.ffl import FocalFrequencyLoss

    x, y = _near(sigma)
    x32, x64 = x.clone().requires_grad_(), x.double().requires_grad_()
    v32 = FocalFrequencyLoss(ave_spectrum=ave_spectrum)(x32, y)
    v32.backward()
    v64 = _ffl64(x64, y, ave_spectrum)
    v64.backward()
    assert abs(float(v32) - float(v64)) / float(v64) < 1e-5
    assert _rel(x32.grad, x64.grad) < 1e-5
