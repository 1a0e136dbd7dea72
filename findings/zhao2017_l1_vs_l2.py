"""Zhao et al. (IEEE TCI 2017): a net trained with ℓ1 is better than one trained with ℓ2, even on
PSNR — ℓ2's own metric."""

from __future__ import annotations

from benchmark.findings import Comparison, Finding, Needs, sr_scale_outside
from benchmark.registry import register_finding

TASKS = ("sr4", "jpeg", "demosaic")  # the paper's super-resolution, JPEG deblocking, demosaicking + denoising
METRICS = ("psnr", "ssim", "ms_ssim")


def demosaic_without_noise(res, task: str) -> str:
    """Zhao et al. demosaic a *noisy* mosaic (joint demosaicking + denoising, Sec. IV); a noiseless
    demosaic task is another regime."""
    if task != "demosaic":
        return ""
    sigma = res.task_params(task).get("noise_sigma", 0.0)
    try:
        sigma = float(sigma)
    except (TypeError, ValueError):
        return ""
    return "" if sigma > 0 else ("demosaicking without noise; the paper's is joint demosaicking + denoising "
                                 "(`--task-param demosaic.noise_sigma=<σ>`)")


def zhao_regime(res, task: str) -> str:
    """Why ``task``'s runs lie outside Zhao et al.'s regime ("" inside it): demosaicking without noise
    (:func:`demosaic_without_noise`), or super-resolution at a scale other than the paper's ×4
    (:func:`benchmark.findings.sr_scale_outside`: ``sr4`` at ``scale=2`` was judged as ×4,
    tests/test_probe_verdicts21.py)."""
    return demosaic_without_noise(res, task) or sr_scale_outside(res, task)


@register_finding("zhao2017_l1_vs_l2", version="4",
                  citation="Zhao, Gallo, Frosio, Kautz, Loss Functions for Image Restoration with Neural Networks, "
                           "IEEE TCI 3(1), 2017",
                  source="Tables I–II: mean PSNR/SSIM/MS-SSIM per training loss (joint demosaicking + denoising; "
                         "super-resolution; JPEG deblocking)")
class L1AtLeastL2(Finding):
    """ℓ1 > ℓ2 on every (task, metric) of the paper: a superiority part per (task, metric), as the paper has
    it (Tables I–II: ℓ1 above ℓ2; METHODS.md: "reaches higher PSNR than one trained with L2"). v4: v3 tested
    non-inferiority (ℓ1 ≥ ℓ2 − margin) and printed "reproduced" for ℓ1 and ℓ2 equal to a thousandth of a dB — a
    weaker claim than the paper's under its name (tests/test_probe_verdicts22.py); a tie is now inconclusive.

    Circular parts count: that ℓ1 matches ℓ2 *on PSNR* is the point of the claim. A claim about every (task,
    metric) (as Zhao's Mix): reproduced only when every counted part is (v3; v2 was reproduced on any one, none
    against — with ℓ1 worse on MS-SSIM by 1.5 margins it said "reproduced on 2 of 3 parts",
    tests/test_probe_verdicts8.py)."""

    claim = "ℓ1 is better than ℓ2 on PSNR, SSIM and MS-SSIM for super-resolution, JPEG deblocking and demosaicking"
    needs = Needs(tasks=TASKS, losses=("l1", "l2"), metrics=METRICS)
    every_part = True
    count_circular = True
    regime = "joint demosaicking + denoising (a noisy mosaic), ×4 super-resolution, JPEG deblocking"
    refuted_by = ("ℓ2 scoring above ℓ1, significantly, by more than the metric's practical margin (0.05 dB PSNR, 0.002 "
                  "SSIM or MS-SSIM) on a (task, metric) of the paper; a tie (ℓ1 not significantly above ℓ2, nor ℓ2 "
                  "above ℓ1 by the margin) neither reproduces nor refutes it: inconclusive")

    def out_of_regime(self, res, c):
        return zhao_regime(res, c.task)

    def comparisons(self, res):
        for task in res.tasks(TASKS):
            a, b = res.arm(task, "l1"), res.arm(task, "l2")
            if a and b:
                for m in res.metrics(task, METRICS):
                    yield Comparison(task, m, a, b, "better")
