"""Review of the conventions work (psnr_y/ssim_y/psnrb_y/psnr_rgb, sr4 resize=matlab): defects found after it."""

from __future__ import annotations

import math


def test_ssim_y_ci_is_cut_at_1_as_pyiqas_ssim_is():
    """ssim_y is Wang's SSIM (a mean of terms ≤ 1), but RANGE named only pyiqa's ssim family, so an ssim_y cell's
    Student-t interval over a few seeds could reach past 1 where ssim's is cut (benchmark.stats.cell_table)."""
    from benchmark.metrics import metric_range

    for name in ("ssim_y", "ssim_y@shave4"):
        assert metric_range(name) == (-math.inf, 1.0)
    for name in ("psnr_y@shave4", "psnr_rgb", "psnrb_y"):
        assert metric_range(name) == (-math.inf, math.inf)
