"""Probe of verdicts a re-run would not overturn (round 8): whole-pipeline error rates of published claims
under the null and near it, on synthetic stores (:mod:`benchmark.synthetic`). Rate bounds come from binomial
intervals at the claim's own α, never from figures measured once."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import binom


def _most(n: int, rate: float, level: float = 0.999) -> int:
    """The largest count of n independent draws at ``rate`` a calibrated claim gives, at ``level`` (one-sided)."""
    return int(binom.ppf(level, n, rate))


# 1. Blau's trade-off reproduced on its PSNR half alone --------------------------------------------------
def test_blau_trade_off_is_not_reproduced_when_perception_is_no_better():
    """Was: a deep-feature loss *no better* than ℓ2 on the perception axis (a no-reference metric, in the paper's
    regime) but worse on PSNR — no trade-off, just a worse loss — made blau2018_pd_tradeoff "reproduced on 1 of
    2 parts" in every simulated store: the PSNR half (ℓ2 beats a loss not trained for PSNR, nearly always true)
    carried a claim whose other half was never shown. The finding's null (no perception gain) must be reproduced
    at most α of the time; the trade-off is a claim about both halves of every (task, loss)."""
    from benchmark.findings import check_all
    from benchmark.synthetic import synthetic_table

    n, alpha, hits = 12, 0.05, 0
    for k in range(n):
        t = synthetic_table(tasks=("sr4",), offsets={"l2": 0.0, "vgg": {"niqe": 0.0, "psnr": -1.0}},
                            metrics=("psnr", "niqe"), seeds=tuple(range(5)), n_images=8, seed=100 + k,
                            weights={"vgg": "vgg16:random(seed=0)"})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (r,) = check_all(t, ["blau2018_pd_tradeoff"], alpha=alpha, n_boot=20)
        psnr = next(p for p in r.parts if p.metric == "psnr")
        assert psnr.verdict == "reproduced"  # the PSNR half holds: the case is the one described
        hits += r.verdict == "reproduced"
        if r.verdict != "reproduced" and any(p.verdict == "reproduced" for p in r.counted) and \
                not any(p.verdict == "contradicted" for p in r.counted):
            assert "the claim is about every one" in r.verdict_text, r.verdict_text
    assert hits <= _most(n, alpha), f"{hits}/{n} null trade-offs reproduced"


# 2. claims about every rival or every (task, metric) reproduced on some parts ------------------------------
PRE = "vgg16:IMAGENET1K_V1"
#: (finding, offsets with the claim false on one part by 1.5 times its practical margin and clearly true elsewhere,
#: weights, metrics): the margin is 0.1 SCALE unit for vsi (0.001 of 0.01) and 0.05 for ms_ssim (0.002 of 0.04)
UNIVERSAL = [
    ("ding2021_dists_lpips", {"dists": {"vsi": 1.0}, "l1": 0.0, "l2": {"vsi": 1.15}}, {"dists": PRE}, ("psnr", "vsi")),
    ("delbracio2021_pdl", {"pdl": {"vsi": 1.0}, "vgg": 0.0, "lpips": {"vsi": 1.15}},
     {"pdl": PRE, "vgg": PRE, "lpips": PRE}, ("psnr", "vsi")),
    ("zhao2017_l1_vs_l2", {"l1": {"psnr": 1.0, "ssim": 1.0, "ms_ssim": -0.075}, "l2": 0.0}, {},
     ("psnr", "ssim", "ms_ssim")),
    # no better on gmsd (the claim's null there), better on vsi
    ("liu2021_random_vgg", {"l2 + 0.1*gpl": {"vsi": 1.0, "gmsd": 0.0}, "l2": 0.0},
     {"l2 + 0.1*gpl": "vgg19:random(seed=0)"}, ("psnr", "vsi", "gmsd")),
]


@pytest.mark.parametrize("name, offsets, weights, metrics", UNIVERSAL, ids=[u[0] for u in UNIVERSAL])
def test_a_claim_about_every_rival_is_not_reproduced_when_one_rival_beats_it(name, offsets, weights, metrics):
    """Was: "DISTS/LPIPS are the perceptually best", "PDL is at least as good as other perceptual losses" and
    "ℓ1 ≥ ℓ2 on PSNR, SSIM and MS-SSIM" were "reproduced on k of n parts" when a rival was better by 1.5 times
    the practical margin on one part (that part inconclusive, too close to call against), in 8 of 10 stores: a
    claim about every rival or metric, false, reproduced on the rest. So was "a random-init VGG loss scores better
    than ℓ2 on perceptual metrics" on a metric where it is no better (10 of 10). Zhao's "Mix is the best" already
    was a claim about every part (every_part); these are too: such a store is at most α reproduced."""
    from benchmark.findings import check_all
    from benchmark.synthetic import synthetic_table

    n, alpha, hits = 10, 0.05, 0
    for k in range(n):
        t = synthetic_table(tasks=("sr4",), offsets=offsets, metrics=metrics, seeds=tuple(range(5)), n_images=16,
                            seed=k, weights=weights)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (r,) = check_all(t, [name], alpha=alpha, n_boot=20)
        hits += r.verdict == "reproduced"
    assert hits <= _most(n, alpha), f"{name}: {hits}/{n} false universal claims reproduced"


def test_findings_md_states_the_rule_its_verdicts_were_judged_by():
    """Was: findings.md's legend read "reproduced (some counted part significant in the claimed direction, none
    against it …)" above claims judged on every part (every_part: Zhao's Mix, and now every registered finding), so
    a reader took "reproduced" to rest on one part and "inconclusive: reproduced on 2 of 3 parts only" for a fault.
    The legend states the rule of the findings it lists."""
    from benchmark.findings import check_all, to_markdown
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("sr4",), offsets={"l1": 0.5, "l2": 0.0}, metrics=("psnr", "ssim"), seeds=tuple(range(5)),
                        n_images=8, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = check_all(t, ["zhao2017_l1_vs_l2"], n_boot=20)
    assert res and all(r.every for r in res)
    md = " ".join(to_markdown(res).split())
    assert "**reproduced** (every counted part significant in the claimed direction" in md, md[:600]
    assert "some counted part significant in the claimed direction" not in md


# 3. more runs than test images: the image level's degrees of freedom ---------------------------------------
@pytest.mark.parametrize("runs, images", [(5, 3), (10, 3), (8, 2), (10, 5)])
def test_a_paired_test_on_fewer_images_than_runs_holds_alpha_when_the_images_decide(runs, images):
    """Was: the paired test's degrees of freedom were Satterthwaite's but never fewer than runs − 1, so where the
    paired differences vary mostly from image to image (a loss better on some images, worse on others: a loss ×
    image interaction, averaging to 0 over images) and there are fewer test images than runs, the t had the runs'
    degrees of freedom for a variance the images' few decide: 10 % of equal pairs significant at α = 5 % with 5 runs
    × 3 images, 15 % with 10 × 3, 25 % with 8 × 2 (every ▲/▼, bold, compare verdict and finding part goes through
    it). The floor is now the degrees of freedom of the mean square that sets the SE."""
    from benchmark.runstats import compare_runs

    rng = np.random.default_rng([runs, images])
    n, alpha = 600, 0.05
    hits = 0
    for _ in range(n):
        inter = rng.normal(0, 1.0, images)  # A − B per image, mean 0 over images
        a = inter[None, :] + rng.normal(0, 0.1, (runs, images))
        b = rng.normal(0, 0.1, (runs, images))
        hits += compare_runs(a, b).p < alpha
    assert hits <= _most(n, alpha), f"{hits}/{n} equal pairs significant ({runs} runs × {images} images)"


def test_a_paired_test_keeps_its_power_where_the_residual_decides():
    """The other side of the floor: with independent run × image noise (no image or run level), few images and
    many runs, the test keeps power (its rate under the null stays ≤ α)."""
    from benchmark.runstats import compare_runs

    rng = np.random.default_rng(7)
    n, alpha = 400, 0.05
    null = sum(compare_runs(rng.normal(0, 1, (10, 3)), rng.normal(0, 1, (10, 3))).p < alpha for _ in range(n))
    power = sum(compare_runs(0.6 + rng.normal(0, 1, (10, 3)), rng.normal(0, 1, (10, 3))).p < alpha for _ in range(n))
    assert null <= _most(n, alpha)
    # measured on this draw: 0.42 with the runs' floor (which let the images' variance through at 10–25 %), 0.30 with
    # the runs' S − 1 wherever their mean square alone set the SE, 0.16 with Satterthwaite's there (≈ 0.17 over 10⁵
    # draws; that S − 1 called 4 × α of equal pairs significant at α = 0.05/12 with a loss × image interaction,
    # tests/test_review_verdicts.py); a floor of images − 1 everywhere: 0.05. 0.075 with the images' mean square at
    # its upper bound in the degrees of freedom: the 0.16 came from the rule that called equal pairs significant
    # 1.2 × as often as α = 5 % and 1.8–2.3 × at 0.05/12–0.001 where the 3 images have a level of their own
    # (σ 0.3 run, 0.3 image, 0.2 run × image; tests/test_review_verdicts9.py) — α before power. Still above the
    # null's rate, which is ≈ 0 here.
    assert power / n > max(0.06, 3 * null / n), (power / n, null / n)
