"""Probe of the published figures, tables and report (round 20): compare's before → after verdict lines, the metric
axis at many long names, and awkward stores (many losses, long or right-to-left names, ties, NaN scores)."""

from __future__ import annotations

import warnings

import scipy.special  # noqa: F401
import scipy.stats  # noqa: F401

import benchmark.convergence  # noqa: F401 (compute's lazy imports, scipy's and the config's: at collection)
import benchmark.metrics  # noqa: F401 (torch, scipy.stats: imported once at collection, not in a test's time)
import benchmark.stats  # noqa: F401
from benchmark.registry import FINDINGS
from benchmark.synthetic import synthetic_table

FINDINGS.names()  # the registry scanned at collection, not in a test's time


def test_a_changed_verdict_names_its_fragility_on_both_sides():
    """Was: compare's "Findings this comparison changed" wrote ", fragile" only where the verdict word stayed the same:
    a published "reproduced" resting on one seed's runs that the new loss made inconclusive read "reproduced →
    inconclusive", and the other way "inconclusive → reproduced (…)", where findings.md says the verdict is fragile.
    Now each side is the finding's verdict_label, changed or not."""
    from benchmark.findings import check_all, verdicts_changed

    t = synthetic_table(tasks=("sr4",), offsets={"pdl": 0.15, "vgg": 0.0, "mine": -0.2}, metrics=("lpips",),
                        seeds=range(5), n_images=6, seed=39, seed_sd=0.1, noise=0.05,
                        weights={loss: "vgg16:imagenet" for loss in ("pdl", "vgg", "mine")})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        before, after = (check_all(x, ["delbracio2021_pdl"], n_boot=20) for x in (t[t["loss"] != "mine"], t))
    (old,), (new,) = before, after
    assert (old.verdict, old.fragile, new.verdict, new.fragile) == ("reproduced", True, "inconclusive", False)
    assert old.verdict_label == "reproduced, fragile" and new.verdict_label == "inconclusive"
    assert verdicts_changed(before, after) == [f"delbracio2021_pdl: reproduced, fragile → inconclusive "
                                               f"({new.verdict_text})"]
    assert verdicts_changed(after, before) == [f"delbracio2021_pdl: inconclusive → reproduced, fragile "
                                               f"({old.verdict_text})"]


def test_a_column_where_every_loss_ties_shows_no_interval_of_float_noise():
    """Was: a metric on which every restored image of every loss scores the same (a saturated metric, 0.9 throughout)
    got CIs of float noise, [0.8999999999999997, 0.9000000000000004]: the column took six decimals for that ±4e-16 and
    the leaderboard printed "0.900000 [0.900000, 0.900000]" in every row (the input's "0.654692" beside them), as
    summary.csv kept the noise. Now a CI narrower than the values' rounding is no CI (its ends the mean), as the pair
    tests' no-spread rule has it: the column has the decimals of its real intervals."""
    from benchmark.export import markdown, metric_decimals
    from benchmark.stats import compute

    t = synthetic_table(offsets={"l1": 0.0, "l2": 0.2, "ssim": -0.2}, metrics=("psnr", "ssim"), seeds=range(5),
                        n_images=6, seed=3, seed_sd=0.1)
    t.loc[(t["metric"] == "ssim") & (t["loss"] != "input"), "value"] = 0.9
    stats = compute(t, n_boot=20)
    c = stats.cells[(stats.cells["metric"] == "ssim") & (stats.cells["label"] != "input")]
    assert (c["ci_low"] == c["mean"]).all() and (c["ci_high"] == c["mean"]).all(), c[["mean", "ci_low", "ci_high"]]
    assert metric_decimals(stats, "denoise", "ssim") == 3
    md = markdown(stats)
    assert "0.900000" not in md and "| 0.900 " in md.replace("**", ""), md


def test_a_loss_with_no_finite_score_adds_no_zero_to_the_test_images_counted():
    """Was: one loss whose every psnr was NaN (a metric that failed on its runs) made the Friedman note and the CD
    diagram's caption read "on these 0–6 test images": its cell of no score counted as one of 0 images, though that
    loss is left out of both. Now a cell with no scored image counts no images: "on these 6 test images"."""
    from benchmark.export import friedman_text, images_of
    from benchmark.stats import compute

    t = synthetic_table(offsets={"l1": 0.0, "l2": 0.2, "ssim": -0.2, "bad": 0.1}, metrics=("psnr", "ssim"),
                        seeds=range(5), n_images=6, seed=3, seed_sd=0.1)
    t.loc[(t["metric"] == "psnr") & (t["loss"] == "bad"), "value"] = float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = compute(t, n_boot=20)
    assert images_of(stats) == " 6"
    assert "0–6" not in friedman_text(stats) and "the 6 test images" in friedman_text(stats)
