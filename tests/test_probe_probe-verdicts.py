"""Probes of the verdicts by simulation, where the truth is known (this session's probe-verdicts):
partially scored runs in the paired comparison, and the false/flip rates of the published claims."""

from __future__ import annotations

import math

import numpy as np

from benchmark import runstats as R


def _bound(n: int, alpha: float = 0.05) -> int:
    """A generous upper bound on a Binomial(n, α) count (mean + 4 SD + 1)."""
    return int(n * alpha + 4 * math.sqrt(n * alpha * (1 - alpha)) + 1)


# --------------------------------------------------------------------------------------------
# (1) compare_runs on runs scored on only some images
# --------------------------------------------------------------------------------------------
def _arms(rng, S=6, I=10, effect=0.2):
    run = rng.normal(0, 0.05, (S, 1))
    img = rng.normal(0, 1.0, (1, I))
    a = 30 + img + run + effect + rng.normal(0, 0.05, (S, I))
    b = 30 + img + rng.normal(0, 0.05, (S, 1)) + rng.normal(0, 0.05, (S, I))
    return a, b


def test_one_partially_scored_run_does_not_narrow_every_run_to_its_images():
    """One run of A scored on 2 of 10 images: the comparison leaves that run out (5 runs × 10 images, 50 cells)
    rather than every run's other 8 images (6 × 2, 12 cells) — as convergence.complete_grid does."""
    rng = np.random.default_rng(0)
    a, b = _arms(rng)
    a[0, 2:] = np.nan
    r = R.compare_runs(a, b)
    assert (r.n_runs, r.n_images) == (5, 10)
    ref = R.compare_runs(a[1:], b[1:], range(1, 6), range(1, 6))
    assert math.isclose(r.effect, ref.effect) and math.isclose(r.p, ref.p)


def test_a_partial_run_is_not_dropped_where_that_leaves_too_few_runs_to_test():
    """5 paired runs, one scored on 3 of 10 images: leaving it out leaves 4 runs (< MIN_RUNS, untested), so the
    images it lacks go instead and the comparison stays tested on 5 runs × 3 images."""
    rng = np.random.default_rng(1)
    a, b = _arms(rng, S=R.MIN_RUNS)
    b[2, 3:] = np.nan
    r = R.compare_runs(a, b)
    assert (r.n_runs, r.n_images) == (R.MIN_RUNS, 3) and r.tested


def test_an_image_one_run_lacks_still_goes_when_that_keeps_more():
    """One run lacks 1 image of 10: leaving the image out (6 × 9 = 54 cells) keeps more than the run (5 × 10)."""
    rng = np.random.default_rng(2)
    a, b = _arms(rng)
    a[3, 7] = np.nan
    r = R.compare_runs(a, b)
    assert (r.n_runs, r.n_images) == (6, 9)
