"""Ding, Ma, Wang, Simoncelli (IJCV 2021): among full-reference IQA models used as training
objectives, the deep-feature ones (DISTS, LPIPS) give the perceptually best super-resolution and
deblurring."""

from __future__ import annotations

from benchmark.findings import Comparison, Finding, Needs
from benchmark.registry import register_finding

TASKS = ("sr4", "deblur")
WINNERS = ("dists", "lpips", "lpips_vgg", "lpips_squeeze")


@register_finding("ding2021_dists_lpips", version="1",
                  citation="Ding, Ma, Wang, Simoncelli, Comparison of Full-Reference Image Quality Models for "
                           "Optimization of Image Processing Systems, IJCV 129, 2021",
                  source="the human-rating comparison of eleven IQA models as objectives for super-resolution "
                         "and deblurring")
class DeepFeatureObjectivesBest(Finding):
    """Needs *pretrained* DISTS/LPIPS (the paper's claim is about the trained models; random
    trunks test something else). Per (task, perceptual metric): the better of the pretrained
    DISTS/LPIPS arms not circular on that metric ≥ every other loss. Human ratings are replaced
    by the perceptual metrics present."""

    claim = "nets trained with DISTS or LPIPS are the perceptually best for super-resolution and deblurring"
    needs = Needs(tasks=TASKS, losses=WINNERS, metrics=("perceptual",), weights="pretrained")

    def comparisons(self, res):
        from benchmark.stats import is_circular

        for task in res.tasks(TASKS):
            arms = res.arms(task)
            winners = [a for a in arms if a.loss in WINNERS and a.kind == "pretrained"]
            others = [a for a in arms if a.loss not in WINNERS]
            for m in res.perceptual_metrics(task):
                cands = [w for w in winners if not is_circular(w.loss, m)]
                if not cands:
                    continue
                sign = 1 if res.higher.get(m, True) else -1
                best = max(cands, key=lambda a: sign * float(res.values(task, m, a).mean(axis=0).mean()))
                for o in others:
                    yield Comparison(task, m, best, o, "at_least")
