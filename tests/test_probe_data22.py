"""Data inputs and task adapters, probed as a researcher with their own photos would hit them (session 22)."""

from __future__ import annotations

import pytest
import torch


@pytest.mark.parametrize("sigma", [1e-30, 1e-24, 1e-6])
def test_deblur_a_tiny_gaussian_sigma_is_the_identity_kernel_not_nan(sigma):
    """gaussian_sigma = 0 is refused for its NaN kernel, but any σ above it was taken, and one under ~1e-23 (2σ² zero
    in float32) still divided 0 by 0 at the kernel's centre: every test image's degrade was NaN (refused only as the
    task's 'values that are not finite', naming no parameter) and every training batch NaN → a σ that small blurs by
    nothing, as any σ under 0.05 already did (a one-pixel kernel): on both the CPU and the device kernels."""
    from benchmark.task import build_task, image_generator
    from tasks.deblur import gaussian_kernel, gaussian_kernels

    delta = torch.zeros(21, 21)
    delta[10, 10] = 1
    assert torch.equal(gaussian_kernel(21, sigma), delta)
    assert torch.equal(gaussian_kernels(21, torch.tensor([sigma, 0.5, 2.0]))[0], delta)
    torch.testing.assert_close(gaussian_kernels(21, torch.tensor([sigma, 0.5, 2.0]))[1:],
                               torch.stack([gaussian_kernel(21, 0.5), gaussian_kernel(21, 2.0)]))
    task = build_task("deblur", gaussian_sigma=(sigma, sigma), p_motion=0.0, noise_sigma=0.0)
    clean = torch.rand(1, 3, 24, 24, generator=torch.Generator().manual_seed(0))
    assert torch.equal(task.degrade(clean, image_generator(task, "k")), clean)
    assert torch.isfinite(task.sample_kernels(4, torch.Generator().manual_seed(0))).all()
