"""Review of session 22's round 2 (verdicts2, methods2, tidy and the integrator's mends): what they left wrong."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("sigma", [1e-200, 0.01, 0.012])
def test_ssim_s_even_window_of_a_tiny_sigma_is_its_two_centre_taps_not_nan(sigma):
    """56f1285b floored the SSIM window's σ at 0.01 so a tiny σ gives one pixel, not 0/0 — but only an odd window has a
    centre tap: the window shrinks to an image side under 11 (a 10-px crop, MS-SSIM's coarse scales), and an even one's
    nearest taps sit 0.5 px off, where exp(−0.25/(2σ²)) is 0 in float64 for σ under ~0.0129, the floor included: every
    SSIM, MS-SSIM and gradient NaN still. Such a window is its two centre taps, 0.5 each (what σ 0.013–0.025 gave)."""
    import torch

    from losses.ssim import _gaussian_1d, ms_ssim, ssim

    two = torch.zeros(10)
    two[4] = two[5] = 0.5
    assert torch.equal(_gaussian_1d(10, sigma), two), _gaussian_1d(10, sigma)
    assert torch.equal(_gaussian_1d(10, 0.02), two)
    g = torch.Generator().manual_seed(0)
    for side, score_of in ((10, lambda a, b: ssim(a, b, sigma=sigma)),
                           (16, lambda a, b: ms_ssim(a, b, levels=3, sigma=sigma))):  # 16 → 8 → 4: windows of 8, 4
        x = torch.rand(2, 3, side, side, generator=g).requires_grad_()
        y = torch.rand(2, 3, side, side, generator=g)
        score = score_of(x, y)
        score.sum().backward()
        assert torch.isfinite(score).all() and torch.isfinite(x.grad).all(), (sigma, side, score)
    x = torch.rand(1, 3, 10, 10, generator=g)
    assert torch.equal(ssim(x, x.flip(-1), sigma=sigma), ssim(x, x.flip(-1), sigma=0.02))


def test_backbone_weights_none_plans_gpl_as_its_random_run(random_images):
    """8cd02c3b: ``--backbone-weights none`` for gpl or ``pdl(layers=())`` is their random run — but only resolve()
    said so: the grid's build of each loss (before any run) was still given ``none``, so ``plbench run --losses gpl
    --backbone-weights none`` read the data and failed with 'backbone vgg19: weights must be …; not found: none; did
    you mean none?', the very line the commit named. Now planned as ``random``: the random grid's runs, same ids."""
    from benchmark.config import GridSpec, build_configs, run_id

    data = random_images(n=2, size=40).token()

    def planned(weights):
        return build_configs(GridSpec(tasks=("denoise",), losses=("gpl", "pdl(layers=())"), seeds=(0,),
                                      metrics=("psnr",), device="cpu", iterations=2, crop=32, train_data=(data,),
                                      test_data=(data,), backbone_weights=weights))[0]

    configs = planned("none")
    assert {c.loss: c.backbone_weights for c in configs} == {"gpl": "random", "pdl(layers=())": "random"}, configs
    assert sorted(map(run_id, configs)) == sorted(map(run_id, planned("random")))


@pytest.mark.parametrize("loss", ["l1", "ms_ssim", "l1 + 0.5*ssim"])
def test_a_pixel_loss_under_backbone_weights_none_keeps_its_one_run_id(loss):
    """665d385e/8cd02c3b record ``none`` as ``random`` where no term loads a pretrained file, and a pixel loss has no
    term that does: resolve() made its ``none`` — the value its runs record under any setting — ``random``, a run id
    of its own, so a pixel loss planned with ``--backbone-weights none`` was trained again beside the same run of a
    random or pretrained grid (its label and provenance saying random weights it has not). Only a loss that takes
    weights is made random; a pixel loss records ``none`` under every value, one id."""
    from benchmark.config import RunConfig, resolve, run_id

    got = {w: resolve(RunConfig(task="denoise", loss=loss, backbone_weights=w))
           for w in ("random", "pretrained", "none")}
    assert {c.backbone_weights for c in got.values()} == {"none"}, got
    assert len({run_id(c) for c in got.values()}) == 1
