"""Delbracio, Talebi, Milanfar (ICCP 2021): the Projected Distribution Loss at least matches other
reference-based perceptual losses on perceptual metrics, in five restoration tasks."""

from __future__ import annotations

from benchmark.findings import Comparison, Finding, Needs
from benchmark.registry import register_finding

PDL = ("pdl", "pdl_proj")


@register_finding("delbracio2021_pdl", version="3",
                  citation="Delbracio, Talebi, Milanfar, Projected Distribution Loss for Image Enhancement, ICCP 2021",
                  source="experiments on denoising, super-resolution, demosaicking, deblurring and JPEG artefact "
                         "removal: PDL against reference-based perceptual losses on perceptual metrics")
class PDLAtLeastMatches(Finding):
    """PDL ≥ every other deep-feature loss *with the same kind of backbone weights* (random vs
    random, pretrained vs pretrained) on every task and perceptual metric. Circular parts (e.g. a
    rival ``lpips`` loss scored by the lpips metric) are not counted.

    A claim about every rival (as Zhao's Mix): reproduced only when every counted part is (v3; v2 was reproduced on
    any one, none against — with PDL worse than one rival by 1.5 margins it said "reproduced on 1 of 2 parts",
    tests/test_probe_verdicts8.py)."""

    claim = "PDL is at least as good as other reference-based perceptual losses on perceptual metrics"
    needs = Needs(losses=("pdl",), metrics=("perceptual",))
    every_part = True
    regime = "PDL on ImageNet-pretrained VGG features (the paper's), against perceptual losses on pretrained backbones"

    def out_of_regime(self, res, c):
        if c.a.kind != "pretrained":
            return f"PDL on {c.a.kind} backbone weights; the paper's PDL projects ImageNet-pretrained VGG features"
        return ""

    def applicable(self, res):
        blocked = super().applicable(res)
        if blocked:
            return blocked
        for t in res.tasks():
            pdls = [a for a in res.arms(t) if res.is_loss(a.loss, *PDL)]
            if any(not res.is_loss(o.loss, *PDL) and o.kind == p.kind for p in pdls for o in res.arms(t)):
                return None
        return "not applicable", "no other deep-feature loss with the same kind of weights as pdl in these results"

    def comparisons(self, res):
        for task in res.tasks():
            arms = res.arms(task)
            for p in (a for a in arms if res.is_loss(a.loss, "pdl")):
                for o in arms:
                    if res.is_loss(o.loss, *PDL) or o.kind == "none" or o.kind != p.kind:
                        continue
                    for m in res.perceptual_metrics(task):
                        yield Comparison(task, m, p, o, "at_least")
