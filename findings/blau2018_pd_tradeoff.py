"""Blau & Michaeli (CVPR 2018): perception and distortion are at odds — losses that buy better
perceptual quality pay for it in distortion."""

from __future__ import annotations

from benchmark.findings import Comparison, Finding, Needs
from benchmark.registry import register_finding

#: distortion-optimised reference, in order of preference (the MSE-trained net is the paper's anchor)
REFERENCES = ("l2", "l1")
#: no-reference quality measures: the stand-ins for the paper's perception (a distribution divergence)
NO_REFERENCE = ("niqe", "musiq", "brisque", "nima", "pi")


@register_finding("blau2018_pd_tradeoff", version="2",
                  citation="Blau, Michaeli, The Perception-Distortion Tradeoff, CVPR 2018",
                  source="Fig. 1 (the perception–distortion plane) and the super-resolution comparison in that "
                         "plane (Sec. 6)")
class PerceptionDistortionTradeoff(Finding):
    """For every deep-feature loss F (any loss with learned or random backbone weights) on every
    task, against the ℓ2-trained net (ℓ1 if there is no ℓ2): F is better on the perception axis of
    the perception–distortion plane (:func:`benchmark.stats.pd_metrics`) **and** worse on its
    distortion axis (PSNR). Two parts per (task, F); circular perception parts are not counted (the
    distortion part always counts: ℓ2 *is* the PSNR-optimal objective the claim is measured from)."""

    claim = "deep-feature losses trade distortion for perception: better perceptual score, worse PSNR than ℓ2"
    needs = Needs(metrics=("perceptual",))
    regime = ("perception is a divergence between the distributions of restored and natural images, measured "
              "without a reference (the paper's no-reference proxies; here niqe or musiq)")

    def out_of_regime(self, res, c):
        if c.note == "perception" and c.metric.split("@", 1)[0] not in NO_REFERENCE:
            return (f"perception measured by {c.metric}, a full-reference metric; the paper's perception is a "
                    "distribution divergence (no-reference niqe/musiq stand in for it: cache their weights)")
        return ""

    def applicable(self, res):
        blocked = super().applicable(res)
        if blocked:
            return blocked
        tasks = res.tasks()
        if not any(res.arm(t, r) for t in tasks for r in REFERENCES):
            return "not applicable", "needs an ℓ2- (or ℓ1-) trained reference; not in these results"
        if not any(a.kind != "none" for t in tasks for a in res.arms(t)):
            return "not applicable", "no deep-feature loss in these results"
        if not any(all(res.perception_axis(t)) for t in tasks):
            return "not applicable", "needs a distortion and a perceptual metric on one task"
        return None

    def comparisons(self, res):
        for task in res.tasks():
            dist, perc = res.perception_axis(task)
            nr = [m for m in res.metrics(task) if m.split("@", 1)[0] in NO_REFERENCE]
            perc = nr[0] if nr else perc  # the paper's kind of perception measure when there is one
            ref = next((res.arm(task, r) for r in REFERENCES if res.arm(task, r)), None)
            if not (dist and perc and ref):
                continue
            for f in res.arms(task):
                if f.kind == "none":
                    continue
                yield Comparison(task, perc, f, ref, "better", note="perception")
                yield Comparison(task, dist, ref, f, "better", note="distortion", count_circular=True)
