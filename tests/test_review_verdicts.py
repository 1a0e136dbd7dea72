"""Review of the paired run-level test's degrees of freedom and of ``plbench calibrate``'s simulated nulls.

Rates are checked at the α Holm tests a table's smallest p against (α / comparisons), where a liberal tail shows
first; bounds are binomial, never figures measured once."""

from __future__ import annotations

import numpy as np
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
