"""The field's conventions: what the SR/denoising papers' tables compute, and whether the harness can compute it.

Outside references: scikit-image's ``rgb2ycbcr`` (BT.601, Y in 16–235), ``peak_signal_noise_ratio`` and
``structural_similarity`` (Gaussian σ = 1.5, population covariance: Wang et al. 2004's SSIM).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmark.errors import UserError
from benchmark.metrics import MetricSet, min_side

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
if not SHARED.is_dir():
    SHARED = Path("/work/shared/datasets")


def _pair(h=72, w=88, seed=0):
    g = torch.Generator().manual_seed(seed)
    clean = torch.rand(1, 3, h, w, generator=g)
    clean = torch.nn.functional.avg_pool2d(clean, 3, 1, 1)  # some structure, away from the clamp
    noisy = (clean + 0.04 * torch.randn(clean.shape, generator=g)).clamp(0, 1)
    return noisy, clean


def _skimage_y(img: torch.Tensor) -> np.ndarray:
    """Y (16–235, float) of the image's 8-bit rounding, by scikit-image."""
    from skimage.color import rgb2ycbcr

    u8 = np.floor(img[0].permute(1, 2, 0).double().numpy() * 255 + 0.5).astype(np.uint8)
    return rgb2ycbcr(u8)[..., 0]


def test_psnr_y_and_ssim_y_are_the_papers_ycbcr_scores_by_skimage():
    """psnr_y / ssim_y (and @shaveN): PSNR and SSIM on BT.601 YCbCr's Y of the 8-bit images, border shaved —
    what EDSR/RCAN/SwinIR tables report. Before, the harness had no such metric: ``psnry`` is pyiqa's Y of YIQ."""
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    pred, clean = _pair()
    ms = MetricSet(["psnr_y", "psnr_y@shave4", "ssim_y", "ssim_y@shave4"])
    s = ms.score(pred, clean)
    yp, yc = _skimage_y(pred), _skimage_y(clean)
    for shave in (0, 4):
        a, b = (yp, yc) if not shave else (yp[shave:-shave, shave:-shave], yc[shave:-shave, shave:-shave])
        suffix = f"@shave{shave}" if shave else ""
        assert s["psnr_y" + suffix] == pytest.approx(peak_signal_noise_ratio(b, a, data_range=255), abs=1e-4)
        ref = structural_similarity(b, a, data_range=255, gaussian_weights=True, sigma=1.5,
                                    use_sample_covariance=False)
        assert s["ssim_y" + suffix] == pytest.approx(ref, abs=1e-4)


def test_psnry_is_yiq_luma_so_it_reads_lower_than_the_papers_psnr_y():
    """pyiqa's psnry is Y of YIQ (full range): on the same pair it reads 20·log10(255/219) ≈ 1.32 dB below the
    papers' YCbCr Y (16–235), up to 8-bit rounding. Named apart, so a table never mixes the two."""
    pred, clean = _pair(seed=1)
    s = MetricSet(["psnr_y", "psnry"]).score(pred, clean)
    assert s["psnr_y"] - s["psnry"] == pytest.approx(20 * math.log10(255 / 219), abs=0.1)


def test_a_shave_leaves_the_border_out_and_needs_room():
    pred, clean = _pair(seed=2)
    border = clean.clone()
    border[..., :4, :] = 1 - border[..., :4, :]
    border[..., :, -4:] = 1 - border[..., :, -4:]
    s = MetricSet(["psnr_y", "psnr_y@shave4", "ssim_y@shave4"]).score(border, clean)
    assert s["psnr_y"] < 25 and s["psnr_y@shave4"] > 70 and s["ssim_y@shave4"] == pytest.approx(1.0, abs=1e-9)
    assert min_side("ssim_y@shave4") == 19 and min_side("psnr_y@shave4") == 9
    assert MetricSet(["ssim_y@shave4"]).score(clean[..., :18, :18], clean[..., :18, :18]) == {}


@pytest.mark.parametrize("name", ["psnr_y@4", "psnr_y@shave", "ssim_y@crop4", "psnr_y@shave-1"])
def test_a_malformed_shave_is_one_line(name):
    with pytest.raises(UserError, match="shaveN"):
        MetricSet([name])
