"""Probe of the loss zoo and the metrics (fidelity and edge cases): each test failed before its fix."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="module")
def photo():
    """A natural photo (astronaut, 300×300) and a noisy copy, (1, 3, H, W) in [0, 1]."""
    from skimage import data

    clean = torch.from_numpy(data.astronaut()[:300, :300].copy()).permute(2, 0, 1)[None].double() / 255
    g = torch.Generator().manual_seed(0)
    noisy = (clean + 0.08 * torch.randn(clean.shape, generator=g, dtype=torch.float64)).clamp(0, 1)
    return noisy, clean


@pytest.mark.parametrize("h,w,win", [(161, 161, 11), (177, 181, 11), (251, 237, 11), (97, 131, 5)])
def test_ms_ssim_loss_pools_odd_sides_as_pyiqa(photo, h, w, win):
    """The loss's MS-SSIM downsamples an odd side as pyiqa (and pytorch_msssim) do: 2×2 average pooling
    with one zero-padded row/column (ceil(H/2) rows), not by dropping the last row (floor). Before, it
    differed from pyiqa's ms_ssim by up to 3e-3 at odd sides (0 at even ones)."""
    from pyiqa.archs.ssim_arch import ms_ssim as pyiqa_ms_ssim
    from pyiqa.matlab_utils import fspecial

    from losses.ssim import ms_ssim, rgb_to_y

    x, y = (rgb_to_y(t[..., :h, :w]) for t in photo)
    ref = float(pyiqa_ms_ssim(x, y, win=fspecial(win, 1.5, 1).to(x), data_range=1.0))
    ours = float(ms_ssim(x, y, win=win))
    assert abs(ours - ref) < 5e-5, (h, w, ours, ref)
