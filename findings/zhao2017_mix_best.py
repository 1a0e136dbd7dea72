"""Zhao et al. (IEEE TCI 2017): the MS-SSIM + ℓ1 mix ("Mix", α = 0.84) is the best loss overall."""

from __future__ import annotations

from benchmark.findings import Comparison, Finding, Needs
from benchmark.registry import register_finding
from findings.zhao2017_l1_vs_l2 import zhao_regime

TASKS = ("sr4", "jpeg", "demosaic")
METRICS = ("psnr", "ssim", "ms_ssim")
#: the losses the paper compared Mix with (its SSIM₅/SSIM₉ are one ``ssim`` here); charbonnier is not in it
RIVALS = ("l1", "l2", "ssim", "ms_ssim")


@register_finding("zhao2017_mix_best", version="4",
                  citation="Zhao, Gallo, Frosio, Kautz, Loss Functions for Image Restoration with Neural Networks, "
                           "IEEE TCI 3(1), 2017",
                  source="Tables I–II: Mix (MS-SSIM + ℓ1) has the best mean PSNR/SSIM/MS-SSIM of the losses compared")
class MixBest(Finding):
    """``ms_ssim_l1`` > each of ℓ1, ℓ2, SSIM, MS-SSIM on every (task, metric) of the paper: a superiority part per
    (task, metric, rival), as the paper has it (Tables I–II: Mix's mean above every other loss's; METHODS.md: "the
    MS-SSIM+L1 mix is best overall"). v4: v3 tested non-inferiority (Mix ≥ rival − the metric's margin) and printed
    "reproduced on 36 of 36 parts" for a Mix equal to every rival — a claim that Mix is *among* the best, weaker than
    the paper's under its name (a null simulation: tests/test_probe_verdicts23.py, README *Findings*); a tie is now
    inconclusive, and contradicted as before only by a rival above Mix by more than the margin.

    Circular parts count (the claim is about these metrics, which some rivals are trained on). "The best" is a claim
    about every part: reproduced only when every counted part is (v3; v2 was reproduced on any one, none against)."""

    claim = "MS-SSIM+ℓ1 (Mix) is better than each of ℓ1, ℓ2, SSIM and MS-SSIM on PSNR, SSIM and MS-SSIM"
    needs = Needs(tasks=TASKS, losses=("ms_ssim_l1",), metrics=METRICS)
    count_circular = True
    every_part = True
    rivals = RIVALS
    regime = "joint demosaicking + denoising (a noisy mosaic), ×4 super-resolution, JPEG deblocking"
    refuted_by = ("ℓ1, ℓ2, SSIM or MS-SSIM scoring above Mix, significantly, by more than the metric's practical "
                  "margin (0.05 dB PSNR, 0.002 SSIM or MS-SSIM) on a (task, metric) of the paper; a tie (Mix not "
                  "significantly above a rival, nor the rival above Mix by the margin) neither reproduces nor refutes "
                  "it: inconclusive")

    def out_of_regime(self, res, c):
        return zhao_regime(res, c.task)

    def comparisons(self, res):
        for task in res.tasks(TASKS):
            mix = res.arm(task, "ms_ssim_l1")
            if mix is None:
                continue
            for rival in RIVALS:
                other = res.arm(task, rival)
                if other:
                    for m in res.metrics(task, METRICS):
                        yield Comparison(task, m, mix, other, "better")
