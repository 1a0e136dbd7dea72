"""Review of the paired run-level test's degrees of freedom and of ``plbench calibrate``'s simulated nulls.

Rates are checked at the α Holm tests a table's smallest p against (α / comparisons), where a liberal tail shows
first; bounds are binomial, never figures measured once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom


def _most(n: int, rate: float, level: float = 0.999) -> int:
    """The largest count of n independent draws at ``rate`` a calibrated test gives, at ``level`` (one-sided)."""
    return int(binom.ppf(level, n, rate))


def _null_rate(runs: int, images: int, run_sd: float, image_sd: float, res_sd: float, n: int, alpha: float,
               seed: int) -> int:
    """How many of n equal pairs (A − B with a run, a loss × image and a run × image level, mean 0) are significant."""
    from benchmark.runstats import compare_runs

    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(n):
        d = (rng.normal(0, run_sd, (runs, 1)) + rng.normal(0, image_sd, (1, images))
             + rng.normal(0, res_sd, (runs, images)))
        hits += compare_runs(d, np.zeros_like(d)).p < alpha
    return hits


# 1. more test images than runs: the images' degrees of freedom where the runs' level fell below the residual --
def test_few_runs_many_images_holds_alpha_when_the_run_level_is_small_by_chance():
    """Was: where the images' mean square alone set the SE (the runs' fell below the residual's), the test took the
    images' I − 1 degrees of freedom even with fewer runs than images — with 5 seeds on Kodak24 and a small run
    effect (σ_run 0.3 of the run × image σ), the runs' 4-degree-of-freedom mean square is below the residual by
    chance often enough that equal pairs were significant 3.7 × as often as α = 0.001 (1.9 × at 0.05 / 12, 1.3 × at
    0.01; before the min(runs, images) − 1 change: ≤ 0.66 ×). A mean square's own degrees of freedom now only where
    its level has the fewer; otherwise Satterthwaite's."""
    n, alpha = 5000, 0.001
    hits = _null_rate(5, 24, 0.3, 0.0, 1.0, n, alpha, seed=11)
    assert hits <= _most(n, alpha), f"{hits}/{n} equal pairs significant at α = {alpha} (5 runs × 24 images)"


def test_few_runs_many_images_keeps_the_images_degrees_of_freedom_where_they_decide():
    """The other side: a loss × image interaction on Kodak24 with 5 seeds (no run level) keeps near-nominal
    rejections (Satterthwaite gives ≈ I − 1 there), not the runs' S − 1."""
    from benchmark.runstats import two_level_se

    rng = np.random.default_rng(3)
    d = rng.normal(0, 1, (1, 24)) + rng.normal(0, 0.14, (5, 24))
    assert two_level_se(d)[1] > 15


# 2. calibrate's simulated nulls: two losses equal over the images, not on each image -------------------------
def test_calibrate_measures_and_simulates_a_loss_x_image_interaction():
    """Was: ``plbench calibrate`` drew both arms of a null on the same image effects, so A − B never varied from
    image to image beyond the runs' noise — the case (a loss better on some images, worse on others) where the
    paired test's degrees of freedom matter most was never calibrated, and the components table did not show how
    large it is. The loss×image component is now measured from the pairs of losses (runs paired by seed) and
    each simulated arm gets its own image effect of that size."""
    from benchmark import calibrate as C

    comp = {"task": "denoise", "metric": "psnr", "higher": True, "n_images": 120, "run_sd": 0.1, "image_sd": 1.0,
            "image_x_run_sd": 0.2, "loss_x_image_sd": 0.5}
    a, b = C.simulate(comp, 20, np.random.default_rng(9))
    per_image = (a - b).mean(axis=0)
    assert per_image.std(ddof=1) == pytest.approx(0.5 * np.sqrt(2), rel=0.2)  # each arm its own image effect
    comps = C.components(C._table(a, b, "denoise", "psnr", True)).iloc[0]
    assert comps["loss_x_image_sd"] == pytest.approx(0.5, rel=0.2)
    assert "loss×image sd" in C.to_text(C.Calibration(
        comps.to_frame().T, pd.DataFrame([{"task": "denoise", "metric": "psnr", "n_nulls": 1, "false": 0,
                                           "rate": 0.0}]),
        pd.DataFrame(columns=["task", "metric", "loss", "splits", "false", "rate", "ref_p95"]),
        pd.DataFrame(columns=["task", "metric", "effect", "runs", "power"]), 5))
    # without it (one loss, or losses equal on every image) the streams are the ones they were
    plain = {**comp, "loss_x_image_sd": 0.0}
    a0, _ = C.simulate(plain, 5, np.random.default_rng(1))
    a1, _ = C.simulate({k: v for k, v in plain.items() if k != "loss_x_image_sd"}, 5, np.random.default_rng(1))
    assert np.array_equal(a0, a1)


def test_calibrated_nulls_with_a_loss_x_image_interaction_hold_alpha():
    """The nulls ``plbench calibrate`` now draws, on a small test set (5 images) where the interaction dominates:
    false verdicts (either way round) at most α (binomial bound) through the checker's own verdict function."""
    from benchmark import calibrate as C

    comp = {"task": "denoise", "metric": "psnr", "higher": True, "n_images": 5, "run_sd": 0.05, "image_sd": 1.0,
            "image_x_run_sd": 0.1, "loss_x_image_sd": 0.3}
    rng = np.random.default_rng(21)
    n, alpha = 600, 0.05
    false = sum(C.false_verdict(*C.simulate(comp, 5, rng), "denoise", "psnr", True, alpha) for _ in range(n))
    assert false <= _most(n, alpha), f"{false}/{n}"


# 3. more runs than test images: the runs' degrees of freedom where the images' level fell below the residual --
@pytest.mark.parametrize("runs, images, n", [(10, 3, 3000), (8, 2, 3000)])
def test_few_images_many_runs_holds_alpha_at_holms_first_step_with_an_interaction(runs, images, n):
    """Was (the case left open by the min(runs, images) − 1 floor): where the runs' mean square alone set the SE
    (the images' fell below the residual's), the test took the runs' S − 1 degrees of freedom even with fewer
    images than runs — with a loss × image interaction the images' 2-degree-of-freedom mean square is below the
    residual by chance in ≈ 9 % of tables, where the SE misses the interaction: 4.2 × α of equal pairs
    significant at α = 0.05/12 (10 × 3; 9.6 × with 8 × 2), the level Holm tests a 12-comparison table's smallest p
    at — some ▲/▼ in ≈ 10 % of null tables. Satterthwaite's degrees of freedom there (≈ 1.1 ×)."""
    hits = _null_rate(runs, images, 0.0, 1.0, 1.0, n, 0.05 / 12, seed=runs * 100 + images)
    assert hits <= _most(n, 0.05 / 12), f"{hits}/{n} equal pairs significant at α = 0.05/12 ({runs} × {images})"
