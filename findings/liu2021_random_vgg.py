"""Liu et al. (CVPR 2021): a perceptual loss on a *randomly initialised* VGG improves perceptual
quality over a pixel loss — the network's structure, not its learned weights, carries the prior."""

from __future__ import annotations

from benchmark.findings import Comparison, Finding, Needs
from benchmark.registry import register_finding

#: random-init VGG feature losses, most faithful to the paper first (gpl is the paper's loss)
CANDIDATES = ("gpl", "vgg", "vgg_esrgan")


@register_finding("liu2021_random_vgg", version="2",
                  citation="Liu, Chen, Chen, Yin, Shen, Generic Perceptual Loss for Modeling Structured Output "
                           "Dependencies, CVPR 2021",
                  source="Fig. 1: ×4 super-resolution pilot, random-weight VGG loss on par with the pretrained one "
                         "and visually better than the per-pixel loss")
class RandomVGGBeatsL2(Finding):
    """On every task and perceptual metric: the random-init VGG loss > ℓ2. Circular parts are not
    counted. The arm, in order of preference: ℓ2 plus a random-init VGG term (e.g.
    ``'l2 + 0.1*gpl'``: the paper adds its loss to the pixel loss), then ``gpl``, then
    ``vgg``/``vgg_esrgan`` run with random weights; an arm without the ℓ2 term is listed as out of
    the paper's regime (:meth:`out_of_regime`), never reproduced or contradicted.

    A claim about every task and perceptual metric: reproduced only when every counted part is (v2; v1 was
    reproduced on any one, none against — the loss better on vsi and no better on gmsd was "reproduced on 1 of 2
    parts" in 10 of 10 stores, tests/test_probe_verdicts8.py)."""

    claim = "a random-init VGG perceptual loss scores better than ℓ2 on perceptual metrics"
    needs = Needs(losses=("l2",), metrics=("perceptual",))
    every_part = True
    regime = "a randomly initialised VGG as the loss network (the paper's point), added to ℓ2, against ℓ2 alone"
    refuted_by = ("ℓ2 alone scoring above the random-VGG arm, significantly, by more than the metric's practical "
                  "margin on a perceptual metric neither is trained on")

    def _random_vgg(self, res, task):
        from benchmark.stats import loss_terms

        mixes = [arm for arm in res.arms(task)  # the paper's setting: pixel loss + random-VGG loss
                 if arm.kind == "random" and len(terms := loss_terms(arm.loss)) > 1 and "l2" in terms
                 and set(terms) & set(CANDIDATES)]
        if mixes:  # of several, the first by name, and its parts say which others were left
            return res.first(task, mixes, "ℓ2 + random-VGG arms")
        for loss in CANDIDATES:
            arm = res.arm(task, loss, prefer=("random",))
            if arm is not None:
                return arm
        return None

    def out_of_regime(self, res, c):
        """A random-VGG loss trained alone (``vgg``, ``gpl`` without a pixel term) is not the paper's
        setting: Liu et al. add their loss to the pixel loss, and without it a small net's outputs can
        fall below the degraded input (the CPU profile's ``vgg`` on sr4 did)."""
        from benchmark.stats import loss_terms

        if "l2" not in loss_terms(c.a.loss):
            return (f"{c.a.label} trained alone; the paper adds the random-VGG loss to ℓ2 (train e.g. "
                    "'l2 + 0.1*gpl' for its setting)")
        return ""

    def subject_tasks(self, res):
        """Every task a random-init VGG arm ran on: one without an ℓ2 run there is untested, said."""
        return [t for t in res.tasks() if self._random_vgg(res, t)]

    def applicable(self, res):
        blocked = super().applicable(res)
        if blocked:
            return blocked
        if not any(self._random_vgg(res, t) for t in res.tasks()):
            return "not applicable", f"no random-init VGG loss ({', '.join(CANDIDATES)} with random weights) " \
                                     "in these results"
        return None

    def comparisons(self, res):
        for task in res.tasks():
            a, b = self._random_vgg(res, task), res.arm(task, "l2")
            if a and b:
                for m in res.perceptual_metrics(task):
                    yield Comparison(task, m, a, b, "better")
