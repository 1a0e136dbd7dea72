"""The quick profile (a newcomer's first command) shows the perceptual side: ≥ 9 losses of which
≥ 3 deep-feature losses on random-init backbones, labelled as such, and ≥ 3 perceptual metrics
that run offline; its perception–distortion plane has a perceptual axis."""

from __future__ import annotations

from benchmark.cli import build_configs, build_parser
from benchmark.findings import weights_class
from benchmark.lossfn import build_loss
from benchmark.metrics import MetricSet
from benchmark.stats import is_perceptual, loss_label, pd_metrics


def test_quick_profile_composition():
    configs, metrics, _ = build_configs(build_parser().parse_args(["run"]))
    losses = sorted({c.loss for c in configs})
    assert len({c.task for c in configs}) == 5 and len(configs) == 2 * 5 * len(losses)  # runs and budget checks
    assert sorted({c.iterations for c in configs}) == [60, 120]
    assert len(losses) >= 9
    weights = {c.loss: c.backbone_weights for c in configs}  # "none" for losses without a backbone
    provenance = {l: build_loss(l, seed=0, weights=weights[l]).provenance for l in losses}
    random_feature = [l for l in losses if weights_class(provenance[l]) == "random"]
    assert len(random_feature) >= 3, provenance
    for l in random_feature:  # the leaderboard label carries the provenance: never mistaken for pretrained
        assert "random" in loss_label(l, provenance[l])
    opened = MetricSet(metrics)  # offline: learned metrics are skipped, the rest must open
    usable = [m.name for m in opened.metrics]
    assert sum(is_perceptual(m) for m in usable) >= 3, usable
    assert set(opened.skipped) <= {"lpips", "dists", "niqe", "musiq"}
    dist, perc = pd_metrics(usable)
    assert dist == "psnr" and is_perceptual(perc)
