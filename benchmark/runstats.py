"""The training run as the statistical unit: paired run-level comparisons of two losses.

A restoration net trained with one seed is one draw from the loss's distribution of outcomes; two
losses are compared by how their *runs* differ, not by how two particular nets differ on a few
images. Every "significantly better" the project prints — the leaderboard's bold and ▲/▼,
``plbench compare`` and each part of ``plbench findings`` — goes through :func:`compare_runs`:

* **Observation**: the per-run score, the mean over the test images of one run. Runs of two losses
  are **paired by seed** (a shared seed shares the net's initialisation, the training crops, their
  order and the degradation noise drawn during training; the test degradations are fixed per
  image and identical for every run). Seeds present in only one arm are left out of the pairing
  and reported (``missing``).
* **Effect**: the mean over paired seeds and test images of ``sign · (A − B)`` (positive = A better),
  in the metric's units.
* **Uncertainty**: the standard error has both levels in it, run-to-run and test image (every run
  is scored on the same images, a crossed design), from the two-way mean squares of the paired
  differences (:func:`two_level_se`); the 95 % CI and the two-sided p come from Student's t with
  Satterthwaite's degrees of freedom (at least min(runs, images) − 1; where the SE is the runs' or the images'
  mean square alone and that level has the fewer degrees of freedom, that mean square's: runs − 1 or images − 1).
* **No spread**: when every paired (run, image) difference is the same non-zero number (duplicated
  runs, a saturated or quantised metric), the standard error is 0 and Student's t is degenerate:
  the comparison is not tested (p is NaN, status ``no spread``), never p = 0. An exact copy (every
  difference 0) tested without a margin gets p = 1; with a non-inferiority ``margin`` it is ``no
  spread`` too (its shifted difference, the margin, is the same number everywhere).
* **Too few runs**: below :data:`MIN_RUNS` paired runs a comparison is not tested (p is NaN,
  status ``too few runs``): never bold, never ▲/▼, never reproduced or contradicted. The minimum
  comes from ``plbench calibrate``: with 5 paired seeds the checker's false-verdict rate on
  simulated nulls and on A/A splits of real runs is ≤ 5 % (README, *Calibration*).
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: the fewest paired runs (seeds) a comparison needs before it can be significant (``plbench calibrate``)
MIN_RUNS = 5
TOO_FEW = "too few runs"
#: every paired difference identical and non-zero: SE 0, a degenerate test (not tested)
NO_SPREAD = "no spread"

#: what a larger test set costs, said wherever more test images are advised: a run's id covers its test source's
#: pixel fingerprint (:attr:`benchmark.config.RunConfig.test_fingerprint`), so the runs there are cannot be scored on
#: more images — a new ``--test-data`` trains every run again (adding seeds trains only the new ones)
TRAIN_AGAIN = "a new --test-data: its runs train again"


def more_images(at_least: int | None = None) -> str:
    """How every verdict, plan and note advises more test images (findings' sentences and plans, compare's lines, the
    leaderboard's image notes, calibrate's cells and errors): ``more test images (a new --test-data: its runs train
    again)``, or ``≥ 4 test images (...)`` with ``at_least``."""
    return f"{'more' if at_least is None else f'≥ {at_least}'} test images ({TRAIN_AGAIN})"


@dataclass(frozen=True)
class RunComparison:
    """A − B, paired by seed. ``effect``/``ci_low``/``ci_high`` in the metric's units, signed so
    that positive means A is better; ``p`` two-sided (NaN when not tested); ``n_runs`` paired
    seeds, ``n_images`` test images; ``missing`` seeds of either arm without a partner."""

    effect: float
    se: float
    ci_low: float
    ci_high: float
    p: float
    n_runs: int
    n_images: int
    missing: int = 0
    status: str = "ok"          # "ok" | TOO_FEW | NO_SPREAD | "no shared images"
    #: the part of ``se`` more runs would not reduce: the test images' level, ``√(σ²_image / I)`` (σ²_image from the
    #: mean squares, :func:`mean_squares`; 0 where it estimates ≤ 0 or with one image; NaN when not tested)
    se_images: float = math.nan
    #: the image × run residual mean square of the paired differences (:func:`mean_squares`; NaN with one image or
    #: when not tested): with ``se`` and ``se_images`` it gives the mean squares a re-run would have, whose degrees of
    #: freedom (:func:`two_level_df`) the seeds :func:`benchmark.findings.seeds_to_settle` names are planned with
    residual: float = math.nan
    #: the standard deviation of the paired runs' mean differences (over the test images compared): the runs' own
    #: spread, whose ratio to ``effect`` is Cohen's d_z (NaN with fewer than 2 runs)
    sd_runs: float = math.nan

    @property
    def tested(self) -> bool:
        return self.status == "ok" and not math.isnan(self.p)

    @property
    def no_spread(self) -> bool:
        """Every paired (run, image) difference the same number, up to rounding (:func:`_paired_test`'s rule, SE 0):
        status :data:`NO_SPREAD`, or an exact copy tested without a margin (p 1) — under a margin a copy is
        :data:`NO_SPREAD` too, the findings' "no spread … saturated?". The leaderboard's saturated columns
        (:func:`benchmark.export.saturated_columns`) are those whose every pair is :attr:`same_scores`."""
        return self.se == 0.0

    @property
    def same_scores(self) -> bool:
        """No spread and no difference: every paired (run, image) difference 0 (each one within rounding of its
        values, :func:`within_rounding`, is 0 in the test) — the two arms score the same. A pair with no spread and a
        difference (the same non-zero number on every run and image: a quantised metric) is told apart by it, though
        not tested (:func:`no_spread_why`)."""
        return self.se == 0.0 and self.effect == 0.0


#: why a pair with no spread is not tested, where it has no difference (:attr:`RunComparison.same_scores`) and where
#: it has one (:func:`no_spread_why`)
SAME_SCORES_WHY = "the same scores on every run and image, SE 0: copied runs or a saturated metric?"
SAME_DIFFERENCE_WHY = ("the same non-zero difference on every run and image, SE 0: a quantised metric? It orders the "
                       "two, but is no test")


def no_spread_why(effect: float) -> str:
    """Why a pair with no spread (SE 0) is not tested, in the words the leaderboard's notes, the findings' notes and
    ``plbench compare`` share: the same scores (``effect`` 0: copied runs or a saturated metric?) or the same non-zero
    difference on every run and image (a quantised metric?), which orders the two but is no test."""
    return SAME_SCORES_WHY if effect == 0.0 else SAME_DIFFERENCE_WHY


def mean_squares(v: np.ndarray) -> tuple[float, float, float]:
    """(MS_row, MS_col, MS_residual) of a complete (S, I) two-way table without replication
    (rows: runs, columns: images); MS_col and MS_residual are NaN with one column."""
    S, I = v.shape
    grand = v.mean()
    row, col = v.mean(axis=1), v.mean(axis=0)
    ms_row = I * float(((row - grand) ** 2).sum()) / (S - 1)
    if I < 2:
        return ms_row, math.nan, math.nan
    ms_col = S * float(((col - grand) ** 2).sum()) / (I - 1)
    resid = v - row[:, None] - col[None, :] + grand
    return ms_row, ms_col, float((resid ** 2).sum()) / ((S - 1) * (I - 1))


def two_level_se(d: np.ndarray) -> tuple[float, float]:
    """(SE, degrees of freedom) of ``mean(d)`` for d: (S runs, I images) of a crossed design (every
    run scored on the same images), with both levels in it: ``Var = σ²_run/S + σ²_image/I +
    σ²_image×run/(S·I)``, estimated without bias from the two-way ANOVA mean squares as
    ``(MS_run + MS_image − MS_res)/(S·I)`` (floored at ``max(MS_run, MS_image)/(S·I)``, each of which
    is ≤ the variance in expectation); degrees of freedom by Satterthwaite (the smaller of the mean squares' as
    drawn and with the mean square of the level with the fewer degrees of freedom — runs or images — at its upper
    bound, :func:`_ms_high`), at least ``min(S, I) − 1`` — or, where
    the floor sets the SE and its level has the fewer degrees of freedom, those of its mean square (``S − 1`` for
    the runs', ``I − 1`` for the images')).

    Why not a two-way bootstrap: resampling runs and images both puts the image×run term in twice
    (its variance is ≈ ``(MS_run + MS_image)/(S·I)``); on simulated nulls where that term dominates
    it rejected 0 of 1000 at a nominal 5 % (no power), where this estimate rejects ≈ 5 %."""
    return _two_level(d)[:2]


def _two_level(d: np.ndarray) -> tuple[float, float, float, float, float]:
    """:func:`two_level_se`'s (SE, degrees of freedom) with the mean squares they come from, (MS_run, MS_image,
    MS_residual) (:func:`mean_squares`; NaN with fewer than 2 runs, the last two with one image): computed once for
    :func:`compare_runs`, which reports the images' share of the SE and the residual from the same ones."""
    S, I = d.shape
    if S < 2:
        return (math.nan,) * 5
    ms_row, ms_col, ms_res = mean_squares(d)
    if I < 2:
        return math.sqrt(ms_row / S), float(S - 1), ms_row, ms_col, ms_res
    se = math.sqrt(max(ms_row + ms_col - ms_res, ms_row, ms_col) / (S * I))
    return se, two_level_df(ms_row, ms_col, ms_res, S, I), ms_row, ms_col, ms_res


def two_level_df(ms_row: float, ms_col: float, ms_res: float, S: int, I: float) -> float:
    """The degrees of freedom :func:`two_level_se` gives its SE from the two-way mean squares of S runs × I (≥ 2)
    images — the test's own, also for the seeds :func:`benchmark.findings.seeds_to_settle` plans (there from the mean
    squares expected at the runs it tries)."""
    combined = ms_row + ms_col - ms_res
    num = max(combined, ms_row, ms_col)
    # where one level's mean square alone sets the SE (the other level's fell below the residual's), that mean
    # square's degrees of freedom — but only when it is the level with the fewer: the other level, with fewer
    # degrees of freedom, may be below the residual by chance (5 runs × 24 images with a small run effect: the
    # images' 23 degrees of freedom called 3.7 × α of equal pairs significant at α = 0.001, the level Holm tests
    # a table's smallest p at; 10 runs × 3 images with a loss × image interaction: the runs' 9 called 4 × α at
    # α = 0.05/12; tests/test_review_verdicts.py)
    if num > combined and num == ms_row and S <= I:     # the runs' mean square sets the SE
        return float(S - 1)
    if num > combined and num != ms_row and I <= S:     # the images' (a loss × image interaction)
        return float(I - 1)
    floor = float(min(S, I) - 1)
    df = _satterthwaite(ms_row, ms_col, ms_res, S, I)
    if S <= I:  # fewer runs than images (5 seeds, Kodak24): the runs' mean square at its upper bound, _ms_high
        df = min(df, _satterthwaite(_ms_high(ms_row, S - 1), ms_col, ms_res, S, I))
    else:       # fewer images than runs (24 seeds × 5 images): the images' (tests/test_review_verdicts9.py)
        df = min(df, _satterthwaite(ms_row, _ms_high(ms_col, I - 1), ms_res, S, I))
    # never below the fewer of the two levels' degrees of freedom: a floor of S − 1 alone gave a variance the
    # images decide (fewer images than runs) the runs' degrees of freedom — 10–25 % of equal pairs significant
    # at α = 5 % (tests/test_probe_verdicts8.py)
    return max(floor, df)


#: the one-sided level of the upper bound the mean square of the level with the fewer degrees of freedom (runs or
#: images) is taken at for the degrees of freedom of :func:`two_level_se`. 0.2 (on the runs only) left equal pairs
#: significant 1.4 × as often as α = 0.001 with 5 runs × 24 images and a run and an image level alike, and — with no
#: bound on the images — 24 runs × 5 images at 1.9 × α at 0.05/12 and 3.5 × at 0.001, 12 × 4 at 1.6 ×; 0.1 on
#: whichever level has the fewer held those within α down to 0.001 (tests/test_review_verdicts9.py), but not 24 runs × 3
#: images with a run level a little smaller than the images' (run sd 0.2, image 0.3, run × image 0.2): 2.0 × α at
#: 0.001 (1.3–1.4 × with run sd 0.1 or 0.45; 24 × 5 with run sd 0.1: 1.3 ×). 0.05 holds each of those within 1.1 × α
#: at 0.05, 0.05/12 and 0.001, and every design of scripts/sim_df_rule.py with ≥ MIN_RUNS runs (runs × images in
#: {5, 10, 24} × {3, 5, 12, 24}, with and without a run and an image level; 40 000 draws each) within 1.22 × (10 × 12
#: with a run level alone, as under every rule tried: ±0.16 of Monte-Carlo error) — at a power cost (α = 5 %, an effect
#: of 2.5 true SEs) where the run level dominates 3 images (24 × 3: 0.51 → 0.41; 10 × 3: 0.48 → 0.40) and ≤ 0.03
#: elsewhere (tests/test_probe_verdicts11.py)
FEW_LEVEL_Q = 0.05


def _satterthwaite(ms_row: float, ms_col: float, ms_res: float, S: int, I: int) -> float:
    """Satterthwaite's degrees of freedom of the SE's mean square ``max(MS_run + MS_image − MS_res, MS_run,
    MS_image)`` (:func:`two_level_se`); ``min(S, I) − 1`` where every mean square is 0."""
    num = max(ms_row + ms_col - ms_res, ms_row, ms_col)
    den = ms_row ** 2 / (S - 1) + ms_col ** 2 / (I - 1) + ms_res ** 2 / ((S - 1) * (I - 1))
    return num ** 2 / den if den > 0 else float(min(S, I) - 1)


def _ms_high(ms: float, df: int) -> float:
    """A mean square of ``df`` degrees of freedom at its :data:`FEW_LEVEL_Q` upper bound, ``MS · df / χ²_df`` at
    that quantile, for the degrees of freedom of :func:`two_level_se` (the level — runs or images — with the fewer).

    Why: Satterthwaite's degrees of freedom from the mean squares as drawn are largest exactly where the few-df
    level's mean square fell low by chance — where the SE is too small too. With 5 runs × 24 images and a run and
    an image level alike (σ 0.3 each, run × image 0.2), equal pairs were significant 1.4 × as often as α = 0.01,
    1.7 × at 0.05/12 and 2.5 × at 0.001 (a 12-comparison table's ▲/▼ family: 8.7 % of null tables at 5 %); the
    same design transposed (24 runs × 5 images: the same seeds' runs scored on a 5-image set) 1.9 × at 0.05/12 and
    3.5 × at 0.001. Taking the degrees of freedom (only them; the SE is unchanged) with that mean square at its
    upper bound keeps them near the few level's where it may be what matters, and near the other level's where
    that one clearly dominates. The price: with 10 runs × 3 images of independent run × image noise alone the
    power at α = 5 % for a 0.6 σ effect is 0.07 instead of 0.17 — the 0.17 came from the rule that called equal
    pairs significant 1.2–2.3 × as often as α where the 3 images have a level of their own
    (tests/test_probe_verdicts8.py)."""
    from scipy.special import chdtri  # the χ² upper-tail inverse: chdtri(k, 1 − q) = χ²_k's q quantile

    return ms * df / float(chdtri(df, 1 - FEW_LEVEL_Q))


def mean_se(x: np.ndarray) -> tuple[float, float]:
    """(SE, degrees of freedom) of ``mean(x)``: :func:`two_level_se` for (S runs, I images), the runs' own
    ``std/√n`` and ``n − 1`` for a 1-D array of n run-level values (n ≥ 2)."""
    x = np.asarray(x, float)
    if x.ndim == 2:
        return two_level_se(x)
    return float(x.std(ddof=1)) / math.sqrt(len(x)), float(len(x) - 1)


def complete_grid(ok: np.ndarray, min_runs: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """(runs, images) masks of the complete (runs × images) grid kept from ``ok`` (S, I) — which cells are
    finite; the two-level SE needs every run on every image. Two ways to get one: leave out the images some
    run lacks (every run kept), or leave out the runs that lack an image (every image kept); whichever keeps
    more cells (a tie, or fewer than ``min_runs`` (≥ 2) complete runs left: the images go). One run scored on
    2 of 10 images narrowed every run to those 2 images, the other 8 images' evidence dropped silently —
    in the budget checks (tests/test_probe_verdicts9.py) and in :func:`compare_runs`
    (tests/test_probe_verdicts10.py); :func:`benchmark.convergence.arm_budget` logs what it leaves out."""
    ok = np.asarray(ok, bool)
    some = ok.any(axis=1)
    by_images = (some, ok[some].all(axis=0) if some.any() else np.zeros(ok.shape[1], bool))
    seen = ok.any(axis=0)
    full = ok[:, seen].all(axis=1) & some
    by_runs = (full, seen)
    cells = [int(r.sum()) * int(c.sum()) for r, c in (by_images, by_runs)]
    return by_runs if full.sum() >= max(2, min_runs) and cells[1] > cells[0] else by_images


#: a difference (or an interval's width) at most this fraction of the values it is between is their float rounding,
#: none: one ulp of 0.9 is 1.1e-16
ROUNDING = 1e-12


def within_rounding(x, scale) -> np.ndarray:
    """Bools: where ``x`` (differences, intervals' widths) is float rounding of values as large as ``scale`` (at most
    :data:`ROUNDING` of it), no difference. One rule for the pair tests' differences (:func:`compare_runs`) and the
    cells' intervals (:func:`benchmark.stats.cell_table`): a saturated metric's 0.9 beside 0.9000000000000001 on some
    images was a ▲ at p = 0.004 for an effect of 8e-17, where the cells showed '0.900' with no interval."""
    with np.errstate(invalid="ignore"):
        return np.abs(np.asarray(x, float)) <= ROUNDING * np.abs(np.asarray(scale, float))


def _rounding_zeroed(d: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The paired differences ``d`` of values ``a`` and ``b`` (same shape), each one of float rounding
    (:func:`within_rounding`) set to 0."""
    return np.where(within_rounding(d, np.fmax(np.abs(a), np.abs(b))), 0.0, d)


def _scores(x) -> np.ndarray:
    """``x`` as a float array, every non-finite score (±inf: a metric that cannot score a flat output) NaN — no score,
    missing as NaN is: the paired tests' difference ±inf was zeroed as float rounding (|inf| ≤ 1e-12 · inf), a tie
    kept in the test (tests/test_probe_verdicts25.py)."""
    x = np.asarray(x, float)
    return np.where(np.isfinite(x), x, np.nan)


def compare_runs(a: np.ndarray, b: np.ndarray, seeds_a=None, seeds_b=None, *, higher: bool = True,
                 margin: float = 0.0, min_runs: int = MIN_RUNS, pair_by_order: bool = False) -> RunComparison:
    """Paired run-level comparison of arm A with arm B on one (task, metric).

    ``a``: (Sa, I) and ``b``: (Sb, I) values of each arm's runs (rows: seeds ``seeds_a``/``seeds_b``,
    default 0..S−1) on the same I test images, NaN (or ±inf: no score) where missing; ``higher``: whether
    larger values are better. ``margin`` ≥ 0 shifts the test to ``effect + margin`` (a non-inferiority test: A is
    at least as good as B up to ``margin``). ``pair_by_order``: pair the i-th run of A with the i-th
    of B (arms on disjoint seeds, as in an A/A split). A pair of runs missing some images is left out, or those
    images are (:func:`complete_grid`: whichever keeps more (run, image) cells, keeping ``min_runs`` runs) — but
    never down to one image of several (its SE would have no image level): then the pairs scored on every image
    alone (``too few runs`` when fewer than ``min_runs``).
    """
    a, b = _scores(a), _scores(b)
    sa = list(range(a.shape[0])) if seeds_a is None else [int(s) for s in seeds_a]
    sb = list(range(b.shape[0])) if seeds_b is None else [int(s) for s in seeds_b]
    keep_a = ~np.isnan(a).all(axis=1)
    keep_b = ~np.isnan(b).all(axis=1)
    ra = {s: i for i, s in enumerate(sa) if keep_a[i]}
    rb = {s: i for i, s in enumerate(sb) if keep_b[i]}
    if pair_by_order:
        la, lb = sorted(ra), sorted(rb)
        n = min(len(la), len(lb))
        pairs = [(ra[la[k]], rb[lb[k]]) for k in range(n)]
        missing = len(la) + len(lb) - 2 * n
    else:
        common = sorted(set(ra) & set(rb))
        pairs = [(ra[s], rb[s]) for s in common]
        missing = len(ra) + len(rb) - 2 * len(common)
    sign = 1.0 if higher else -1.0
    if not pairs:
        return RunComparison(math.nan, math.nan, math.nan, math.nan, math.nan, 0, 0, missing, TOO_FEW)
    pa, pb = a[[i for i, _ in pairs]], b[[j for _, j in pairs]]
    d = _rounding_zeroed(sign * (pa - pb), pa, pb)  # (S, I); a difference of float rounding is none
    # the complete grid: a pair scored on some images only leaves the comparison, or the images it lacks do,
    # whichever keeps more cells (and the runs a test needs)
    ok = ~np.isnan(d)
    rows, cols = complete_grid(ok, max(2, min_runs))
    seen = ok.any(axis=0)
    if cols.sum() == 1 and seen.sum() >= 2:
        # one image left of the several the pairs were scored on (one run scored on 1 of 24): a test on it has no
        # image level in its SE — 70 % of equal pairs with a loss × image interaction significant at α = 5 %
        # (tests/test_review_verdicts9.py). The runs scored on every image instead, too few to test if so
        rows, cols = ok[:, seen].all(axis=1), seen
    d = d[rows][:, cols]
    S, I = d.shape
    if I == 0:
        return RunComparison(math.nan, math.nan, math.nan, math.nan, math.nan, S, 0, missing, "no shared images")
    return _paired_test(d, margin, missing, min_runs)


def _paired_test(d: np.ndarray, margin: float, missing: int, min_runs: int) -> RunComparison:
    """:func:`compare_runs`' test of the complete (S runs, I ≥ 1 images) grid ``d`` of paired differences (signed:
    positive = A better): also :func:`without_each_run`'s, each run left out of one such grid."""
    from scipy.special import stdtr, stdtrit  # Student's t CDF and its inverse: scipy.stats.t's values, ~100× faster

    S, I = d.shape
    effect = float(d.mean()) if S else math.nan
    if S < max(2, min_runs):
        return RunComparison(effect, math.nan, math.nan, math.nan, math.nan, S, I, missing, TOO_FEW)
    se, df, _, ms_col, ms_res = _two_level(d)
    sd_runs = float(d.mean(axis=1).std(ddof=1))
    q = float(stdtrit(df, 0.975))
    scale = float(np.abs(d).max()) + abs(margin)
    if not se > 1e-12 * scale:  # every paired difference identical (up to rounding): no spread to test against
        if abs(effect + margin) <= 1e-12 * max(scale, 1e-300):  # an exact copy: no difference to find
            return RunComparison(effect, 0.0, effect, effect, 1.0, S, I, missing, sd_runs=sd_runs)
        # a t statistic of ±inf is no evidence: duplicated runs or a saturated metric, not a p of 0
        return RunComparison(effect, 0.0, math.nan, math.nan, math.nan, S, I, missing, NO_SPREAD, sd_runs=sd_runs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        p = float(2 * stdtr(df, -abs((effect + margin) / se)))
    se_images = math.sqrt(max(0.0, (ms_col - ms_res) / S) / I) if I >= 2 else 0.0
    return RunComparison(effect, se, effect - q * se, effect + q * se, p, S, I, missing, se_images=min(se_images, se),
                         residual=ms_res, sd_runs=sd_runs)


def without_each_run(a: np.ndarray, b: np.ndarray, seeds_a=None, seeds_b=None, *, higher: bool = True,
                     margin: float = 0.0) -> list[tuple[int, float, float]]:
    """Leave one run out: ``(seed, p, effect)`` of :func:`compare_runs` (the same arguments) with each paired seed's two
    runs left out, every seed both arms have — tested whatever the runs left (``min_runs`` 2): how the verdict reads
    if that one run were re-trained and came out otherwise. [] with fewer than 3 paired seeds."""
    a, b = _scores(a), _scores(b)
    sa = list(range(a.shape[0])) if seeds_a is None else [int(s) for s in seeds_a]
    sb = list(range(b.shape[0])) if seeds_b is None else [int(s) for s in seeds_b]
    ra = {s: i for i, (s, row) in enumerate(zip(sa, a)) if not np.isnan(row).all()}  # as compare_runs pairs them
    rb = {s: i for i, (s, row) in enumerate(zip(sb, b)) if not np.isnan(row).all()}
    common = sorted(set(ra) & set(rb))
    if len(common) < 3:
        return []
    ia, ib = [ra[s] for s in common], [rb[s] for s in common]
    d = _rounding_zeroed((1.0 if higher else -1.0) * (a[ia] - b[ib]), a[ia], b[ib])  # as compare_runs has it
    if not np.isnan(d).any():  # every pair on every image: compare_runs' grid is d itself, less the run left out
        return [(s, p, e) for s, (p, e) in zip(common, _without_each_row(d, margin))]
    out = []
    for s in common:
        ka, kb = [x != s for x in sa], [x != s for x in sb]
        r = compare_runs(a[ka], b[kb], [x for x in sa if x != s], [x for x in sb if x != s], higher=higher,
                         margin=margin, min_runs=2)
        out.append((s, r.p, r.effect))
    return out


def _without_each_row(d: np.ndarray, margin: float) -> list[tuple[float, float]]:
    """``(p, effect)`` of :func:`_paired_test` (``min_runs`` 2) on the complete grid ``d`` (S ≥ 3 runs × I images)
    less each run in turn, in closed form: each grid's mean squares from the whole grid's row and column sums and
    sums of squares less that row's (centred first, so no cancellation), not S re-runs of the test. Where a grid's SE
    is at its no-spread floor the test itself decides it (its exact copy / NO_SPREAD rules). Equal to the re-run to
    ~1e-12 (tests/test_review_verdicts17.py)."""
    from scipy.special import stdtr

    S, I = d.shape
    n1, N = S - 1, (S - 1) * I
    mean = float(d.mean())
    c = d - mean
    R, q = c.sum(axis=1), (c * c).sum(axis=1)
    G = R.sum() - R                                                # the grid's centred total without each row
    effect = mean + G / N
    ss_row = ((R * R).sum() - R * R) / I - G * G / N
    ms_row = np.maximum(ss_row, 0.0) / (n1 - 1)
    if I >= 2:
        C = c.sum(axis=0)
        ss_col = ((C * C).sum() - 2 * (c @ C) + q) / n1 - G * G / N  # Σ_j (C_j − c_kj)² / (S − 1) − G²/N
        ss_res = (q.sum() - q) - G * G / N - ss_row - ss_col
        ms_col = np.maximum(ss_col, 0.0) / (I - 1)
        ms_res = np.maximum(ss_res, 0.0) / ((n1 - 1) * (I - 1))
        se = np.sqrt(np.maximum.reduce([ms_row + ms_col - ms_res, ms_row, ms_col]) / N)
        df = np.array([two_level_df(float(r), float(k), float(e), n1, I) for r, k, e in zip(ms_row, ms_col, ms_res)])
    else:
        se, df = np.sqrt(ms_row / n1), np.full(S, float(n1 - 1))
    # compare_runs' no-spread floor, from the largest |d| left (its scale)
    top = np.sort(np.abs(d).max(axis=1))
    scale = np.where(np.abs(d).max(axis=1) == top[-1], top[-2], top[-1]) + abs(margin)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        p = 2 * stdtr(df, -np.abs((effect + margin) / se))
    out = []
    for k in range(S):
        if not se[k] > 1e-6 * scale[k]:  # near the floor (the sums carry ~1e-8 of scale in an SE): the test, exactly
            r = _paired_test(np.delete(d, k, axis=0), margin, 0, 2)
            out.append((r.p, r.effect))
        else:
            out.append((float(p[k]), float(effect[k])))
    return out


def run_means(values: np.ndarray) -> np.ndarray:
    """(..., S, I) → (..., S): each run's mean over its test images (NaN where a run has none)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=-1)


def variance_components(values: np.ndarray, floor: bool = True) -> dict[str, float] | None:
    """Run, image and image×run variance of one arm's (S, I) values (two-way random-effects ANOVA
    without replication, method of moments, negative estimates set to 0 — ``floor=False``: as estimated, unbiased,
    what an average over arms takes before flooring); None with < 2 runs or images. Complete images only."""
    v = np.asarray(values, float)
    v = v[~np.isnan(v).all(axis=1)]
    if v.shape[0] < 2:
        return None
    v = v[:, ~np.isnan(v).any(axis=0)]
    S, I = v.shape
    if I < 2:
        return None
    ms_row, ms_col, ms_res = mean_squares(v)
    run, image = (ms_row - ms_res) / I, (ms_col - ms_res) / S
    if floor:
        run, image = max(0.0, run), max(0.0, image)
    return {"run": run, "image": image, "image_x_run": max(0.0, ms_res), "runs": S, "images": I}


#: The smallest effect of interest per metric, fixed in advance (never estimated from the data being
#: judged), in the metric's units. It is the non-inferiority margin of ``at_least`` parts and the
#: distance by which a part must be significantly worse before it contradicts a claim. PSNR: 0.05 dB,
#: half the 0.1 dB step restoration papers report as a gain (their tables give 0.01 dB); SSIM-family:
#: 0.002 (tables give 3-4 decimals; ≈ the spread of SSIM between JPEG re-encodes that observers do
#: not tell apart); LPIPS/DISTS: 0.005 (≈ 1-2 % of their range on restored images, below the
#: per-image spread in Zhang et al. 2018's 2AFC sets); GMSD/VSI/FSIM: 0.002/0.001/0.002; NLPD 0.005;
#: NIQE 0.1, MUSIQ 0.5 (no-reference scales). A metric not listed gets none: its parts can support a
#: claim, never contradict it.
PRACTICAL_MARGINS = {"psnr": 0.05, "psnry": 0.05, "psnr_y": 0.05, "psnrb_y": 0.05, "psnr_rgb": 0.05,
                     "ssim": 0.002, "ssimc": 0.002, "ssim_y": 0.002, "ms_ssim": 0.002, "cw_ssim": 0.002,
                     "lpips": 0.005, "lpips-vgg": 0.005, "dists": 0.005, "gmsd": 0.002, "vsi": 0.001, "fsim": 0.002,
                     "nlpd": 0.005, "niqe": 0.1, "musiq": 0.5}


def practical_margin(metric: str) -> float:
    """:data:`PRACTICAL_MARGINS` of a metric (``name@checkpoint`` by its name); inf when none."""
    return PRACTICAL_MARGINS.get(metric.split("@", 1)[0], float("inf"))


def finite_values(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every non-finite ``value`` (NaN, ±inf: a metric that cannot score a black or
    flat output) as NaN, i.e. missing: never a mean of ±inf, never a test on an infinite difference.
    :func:`benchmark.stats.nonfinite_lines` says how many were left out. The table itself when every value is finite."""
    if table.empty:
        return table
    v = pd.to_numeric(table["value"], errors="coerce").astype(float)
    ok = np.isfinite(v.to_numpy())
    return table if ok.all() else table.assign(value=v.where(ok))


_SEED = re.compile(r"\(seed=(\d+)\)")


def weights_kind(provenance) -> str:
    """The weights' identity without the per-run seed: ``"vgg16:random(seed=1)+lpips:vgg:v0.1"`` →
    ``"vgg16:random+lpips:vgg:v0.1"``. Runs of one loss on random backbones with different seeds
    share a kind and are pooled as seeds of one loss."""
    if provenance is None or (not isinstance(provenance, str) and pd.isna(provenance)):
        return "none"
    return _SEED.sub("", str(provenance)) or "none"


def loss_label(loss: str, weights) -> str:
    """A loss name with its weights kind, so a random-backbone loss is never mistaken for a
    pretrained one, and its seeds are pooled: ``lpips [alexnet:random+lpips:alex:v0.1]``."""
    kind = weights_kind(weights)
    return loss if kind in ("none", "") else f"{loss} [{kind}]"


def version_suffix(version: str) -> str:
    """What a label gets for a loss ``version`` as a row records it (``"l1=2"``, ``"l1=1,pdl=2"``, an edited file's
    ``"my_loss=1+ab12…"``): `` (v2)``, `` (v1/2)``, `` (v1+ab12…)`` — the versions without their terms' names, as
    every board, the findings and ``compare`` label the runs; "" for none."""
    return f" (v{re.sub(r'[^=,]+=', '', version).replace(',', '/')})" if version else ""


def weights_seed(provenance) -> int | None:
    """The random backbone's seed recorded in a provenance string (None if there is none)."""
    m = _SEED.search(str(provenance)) if isinstance(provenance, str) else None
    return int(m.group(1)) if m else None


def holm(p: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values; NaN entries stay NaN and are not counted."""
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    pv = p[ok]
    order = np.argsort(pv)
    adj = np.maximum.accumulate((m - np.arange(m)) * pv[order])
    res = np.empty(m)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out


def map_unique(values: pd.Series, fn) -> pd.Series:
    """``values.map(fn)`` with ``fn`` called once per distinct value (missing values included), not
    once per row: a results table has hundreds of thousands of rows and a handful of distinct
    provenances or settings. Same index; object dtype."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    mapped = np.empty(len(uniques), dtype=object)
    mapped[:] = [fn(u) for u in uniques]
    return pd.Series(mapped[codes], index=values.index, dtype=object)
