"""``plbench calibrate``: how often the findings checker gives a wrong verdict, and how many runs it needs.

Two kinds of null, both run through the checker itself (:func:`benchmark.findings.check` on a
one-part claim "A is better than B"), so the figure is the false-verdict rate of the code that
prints verdicts, not of a formula:

* **Simulated nulls**: for every (task, metric) of a results directory, the variance components of
  its runs — run-to-run, image, image×run (:func:`benchmark.runstats.variance_components`, pooled
  over the losses with ≥ 2 seeds) and loss×image (how far two losses' difference varies from image to
  image, :func:`loss_x_image_variance`, pooled over the pairs of those losses) — and ``n_nulls`` tables of
  two *equally good* losses (equal over the population of images, not on each one) drawn with exactly those
  components, at :data:`benchmark.runstats.MIN_RUNS` runs each (``--runs``).
  A null gets a false verdict when the part is reproduced or contradicted either way round ("A is better than B"
  or "B is better than A", :func:`false_verdict`): a calibrated checker at α decides ≈ α of them.
* **A/A on real runs**: every loss with ≥ 2 × ``runs`` seeds is split into two arms of ``runs``
  disjoint seeds ("the same loss under two names"): every distinct split, or ``splits`` distinct
  ones at random when there are more (:func:`aa_splits`). The splits of one set of runs share
  those runs, so their rate varies more from one set of runs to the next than a binomial count of
  ``splits`` would suggest: read it together with the simulated nulls.

The simulation draws A's and B's run effects independently; two losses trained on the same seeds
share part of it (init, crops, noise), which pairing by seed removes, so the simulated power is a
lower bound for real comparisons.

It also prints the **power**: for an effect of ``effect`` × the metric's practical margin
(:data:`benchmark.findings.PRACTICAL_MARGINS`; 6 × 0.05 dB = 0.3 dB PSNR by default), the fraction
of simulated tables where the part is reproduced, and the fewest runs per arm reaching 80 % — simulated with
the variance components at their upper confidence bounds (:func:`planned`), not as measured.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from benchmark.docmarkup import plural
from benchmark.errors import UserError
from benchmark.runstats import MIN_RUNS, more_images, variance_components
from benchmark.stats import INPUT, blocks, p_text  # p as every p is written: '< 1e-16', never below the float floor

log = logging.getLogger(__name__)

#: the default α, and so the default target: a checker run at α passes when at most α of nulls get a verdict
TARGET = 0.05
#: power target for "needs ≥ k runs"
POWER = 0.8


@dataclass
class Calibration:
    components: pd.DataFrame      # task, metric, higher, run_sd, image_sd, image_x_run_sd, loss_x_image_sd, n_images, …
    nulls: pd.DataFrame           # task, metric, n_nulls, false, rate
    aa: pd.DataFrame              # task, metric, loss, splits, false, rate (empty: no loss has enough seeds)
    power: pd.DataFrame           # task, metric, effect, runs, power
    runs: int
    aa_reason: str = ""
    #: the pooled A/A rate of a calibrated checker on simulated sets of runs like these: mean, 95th percentile
    aa_ref_p95: float = math.nan
    aa_ref_mean: float = math.nan
    #: the setting calibrated on (one line, :func:`benchmark.settings.select`); "" when not given
    setting: str = ""
    #: the significance level the checker ran at: the false-verdict rate it must stay at or below
    alpha: float = TARGET
    #: :attr:`power` of the cells runs alone do not bring to :data:`POWER`, drawn without their loss × image level
    #: (the runs they need if the test images agree: that level, on (losses − 1)(images − 1) degrees of freedom, may
    #: be chance)
    power_agree: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["task", "metric", "effect", "runs", "power"]))
    #: {metric: (runs calibrated on whose scores of it were made with another file or code than today's, runs
    #: calibrated on that scored it)} — kept in the table, no run re-scored yet (``rescore`` of :func:`calibrate`)
    rescore: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: the (task, metric) cells of trained runs left out, as ``task/metric``: no loss there has ≥ 2 runs scored on ≥ 2
    #: common test images, so no variance components, simulated nulls, A/A or runs needed (:func:`left_out_text`)
    left_out: list[str] = field(default_factory=list)

    @property
    def null_rate(self) -> float:
        n = self.nulls["n_nulls"].sum()
        return float(self.nulls["false"].sum() / n) if n else math.nan

    @property
    def aa_rate(self) -> float:
        n = self.aa["splits"].sum() if not self.aa.empty else 0
        return float(self.aa["false"].sum() / n) if n else math.nan


def loss_x_image_variance(a: np.ndarray, b: np.ndarray, floor: bool = True) -> float | None:
    """The variance from image to image of two losses' difference A − B beyond what the runs put in it (a loss ×
    image interaction: A better on some images, worse on others), from their runs paired by row, (S, I) each:
    ``(MS_image − MS_res)/S`` of the paired differences, at least 0 (``floor=False``: as estimated, unbiased — what
    an average over pairs takes; floored one pair at a time, their mean was > 0 where the level is 0); None with < 2
    paired runs or shared images."""
    from benchmark.runstats import mean_squares

    d = np.asarray(a, float) - np.asarray(b, float)
    d = d[~np.isnan(d).all(axis=1)]
    if d.shape[0] < 2:
        return None
    d = d[:, ~np.isnan(d).any(axis=0)]
    if d.shape[1] < 2:
        return None
    _, ms_col, ms_res = mean_squares(d)
    v = (ms_col - ms_res) / d.shape[0]
    return max(0.0, v) if floor else v


#: the one-sided confidence of the upper bounds the runs needed are planned at (:func:`components`' ``plan_*``
#: columns), as :data:`benchmark.findings.SETTLE_BOUND` plans seeds
PLAN_BOUND = 0.7


def _high(ms: float, df: float) -> float:
    """A mean square of ``df`` degrees of freedom at its :data:`PLAN_BOUND` upper confidence bound."""
    from scipy.special import chdtri  # chdtri(k, q): χ²_k's upper-tail inverse, so its 1 − q quantile

    return ms * df / float(chdtri(df, PLAN_BOUND)) if df >= 1 and math.isfinite(ms) else ms


def _complete(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, float)
    v = v[~np.isnan(v).all(axis=1)]
    return v[:, ~np.isnan(v).any(axis=0)]


def components(table: pd.DataFrame) -> pd.DataFrame:
    """Variance components per (task, metric), averaged over the losses with ≥ 2 seeds (the loss×image one over
    their pairs, runs paired by seed), as measured; and the ``plan_*`` ones the runs needed are planned with: the
    same from their mean squares at their :data:`PLAN_BOUND` upper bounds (pooled over the losses: the run's on
    losses × (seeds − 1) degrees of freedom, the image×run's on losses × (seeds − 1)(images − 1), the loss×image's
    on (losses − 1)(images − 1)). Planned as measured, on 3 test images × 5 seeds of 3 losses with a loss × image
    level the runs named reached 73 % power on average, not 80 % — a component measured on 2 degrees of freedom is
    below the true one more than half the time (tests/test_probe_calib12.py)."""
    from itertools import combinations

    from benchmark.runstats import mean_squares

    rows = []
    for b in blocks(table[table["loss"].astype(str) != INPUT]):
        # each arm's estimates as they are, their mean floored (as the loss × image level's below): floored arm by arm,
        # 4 losses whose runs do not differ at all measured a run-to-run level in every store
        # (tests/test_review_verdicts14.py)
        comps = [c for c in (variance_components(b.values[i], floor=False) for i in range(len(b.labels))) if c]
        if not comps:
            continue
        # each pair's estimate as it is, the mean floored: floored pair by pair, 20 of 20 stores of losses that
        # differ by a constant (3 test images) measured a loss × image level (tests/test_probe_verdicts14.py)
        inter = [v for i, j in combinations(range(len(b.labels)), 2)
                 if (v := loss_x_image_variance(b.values[i], b.values[j], floor=False)) is not None]
        # the mean squares behind them, pooled with their degrees of freedom, for the planning bounds
        ms = [(mean_squares(v), v.shape) for v in map(_complete, b.values) if v.shape[0] >= 2 and v.shape[1] >= 2]
        df_row = sum(S - 1 for _, (S, _I) in ms)
        df_res = sum((S - 1) * (I - 1) for _, (S, I) in ms)
        ms_row = sum(m[0] * (S - 1) for m, (S, _I) in ms) / df_row
        ms_res = sum(m[2] * (S - 1) * (I - 1) for m, (S, I) in ms) / df_res
        n_img = np.mean([I for _, (_S, I) in ms])
        plan_run = max(0.0, (_high(ms_row, df_row) - ms_res) / n_img)
        plan_inter = 0.0
        pairs = []
        for i, j in combinations(range(len(b.labels)), 2):
            d = _complete(np.asarray(b.values[i], float) - np.asarray(b.values[j], float))
            if d.shape[0] >= 2 and d.shape[1] >= 2:
                pairs.append((mean_squares(d), d.shape))
        if pairs:
            ms_col_d = np.mean([m[1] for m, _ in pairs])
            ms_res_d = np.mean([m[2] for m, _ in pairs])
            I_d = min(I for _, (_S, I) in pairs)
            df_col = (min(len(pairs), len(ms) - 1) or 1) * (I_d - 1)  # the pairs of L losses: L − 1 contrasts
            plan_inter = max(0.0, (_high(ms_col_d, df_col) - ms_res_d) / np.mean([S for _, (S, _I) in pairs])) / 2
        # a variance at the rounding of the block's values is none: a metric scored 0.3 on every image of every run
        # measured an image sd of 1e-16 and was told '> 192 runs' where the checker tests no such pair at any count
        # (runstats.compare_runs: no spread below 1e-12 of the values' scale; tests/test_probe_verdicts15.py)
        noise = (1e-12 * float(np.nanmax(np.abs(b.values)))) ** 2 if np.isfinite(b.values).any() else 0.0

        def sd(var: float, noise: float = noise) -> float:
            return math.sqrt(var) if var > noise else 0.0

        rows.append({"task": b.task, "metric": b.metric, "higher": b.higher,
                     "run_sd": sd(float(np.mean([c["run"] for c in comps]))),
                     "image_sd": sd(float(np.mean([c["image"] for c in comps]))),
                     "image_x_run_sd": sd(float(np.mean([c["image_x_run"] for c in comps]))),
                     # per arm: the difference of two arms has twice each arm's share
                     "loss_x_image_sd": sd(float(np.mean(inter)) / 2) if inter else 0.0,
                     "n_images": int(max(c["images"] for c in comps)), "losses": len(comps),
                     "runs": int(min(c["runs"] for c in comps)),
                     "plan_run_sd": sd(plan_run), "plan_image_x_run_sd": sd(_high(ms_res, df_res)),
                     "plan_loss_x_image_sd": sd(plan_inter)})
    return pd.DataFrame(rows, columns=["task", "metric", "higher", "run_sd", "image_sd", "image_x_run_sd",
                                       "loss_x_image_sd", "n_images", "losses", "runs", "plan_run_sd",
                                       "plan_image_x_run_sd", "plan_loss_x_image_sd"])


def planned(comp: dict) -> dict:
    """``comp`` (a row of :func:`components`) with its ``plan_*`` components in place of the measured ones: what the
    power and the runs needed are simulated with (the measured ones where a table has no ``plan_*``)."""
    return {**comp, **{k: comp[f"plan_{k}"] for k in ("run_sd", "image_x_run_sd", "loss_x_image_sd")
                       if f"plan_{k}" in comp and pd.notna(comp[f"plan_{k}"])}}


def _rng(seed: int, *key) -> np.random.Generator:
    """A generator of its own for one (task, metric[, loss]) cell: a cell's figures never depend on
    which other cells the results hold."""
    import zlib

    return np.random.default_rng([seed, zlib.crc32("\x1f".join(map(str, key)).encode())])


#: variance components from fewer runs or test images than these are rough: the runs-needed advice says so
THIN_RUNS, THIN_IMAGES = MIN_RUNS, 10


def _table(a: np.ndarray, b: np.ndarray, task: str, metric: str, higher: bool, seeds_b=None) -> pd.DataFrame:
    """A tidy table of two arms ``A`` (runs × images) and ``B``: what the checker reads."""
    S, I = a.shape
    sb = list(range(b.shape[0])) if seeds_b is None else list(seeds_b)
    rows = {"task": [], "loss": [], "seed": [], "image": [], "value": []}
    for name, v, seeds in (("A", a, range(S)), ("B", b, sb)):
        for s, row in zip(seeds, v):
            rows["task"] += [task] * I
            rows["loss"] += [name] * I
            rows["seed"] += [int(s)] * I
            rows["image"] += [f"img{i:04d}" for i in range(I)]
            rows["value"] += list(map(float, row))
    n = len(rows["value"])
    return pd.DataFrame({**rows, "metric": [metric] * n, "higher_is_better": [higher] * n,
                         "dataset": ["calibration"] * n, "weights": ["none"] * n})


class _AOverB:
    """The one-part claim calibrated: A is better than B on (task, metric)."""

    claim = "A is better than B"

    def __init__(self, task: str, metric: str):
        from benchmark.findings import Needs

        self.task, self.metric = task, metric
        self.needs = Needs()
        self.count_circular = True

    def applicable(self, res):
        return None

    def comparisons(self, res):
        from benchmark.findings import Arm, Comparison

        yield Comparison(self.task, self.metric, Arm("A"), Arm("B"), "better")


def verdict(a: np.ndarray, b: np.ndarray, task: str, metric: str, higher: bool, alpha: float = 0.05,
            seeds_b=None) -> str:
    """The checker's verdict on "A better than B" for runs × images arrays ``a`` and ``b``, through
    the whole checker (:func:`benchmark.findings.check` on a tidy table)."""
    from benchmark.findings import Results, check

    res = Results(_table(a, b, task, metric, higher, seeds_b), "calibration")
    return check(_AOverB(task, metric), res, alpha).verdict


def fast_verdict(a: np.ndarray, b: np.ndarray, task: str, metric: str, higher: bool, alpha: float = 0.05,
                 seeds_b=None, seeds_a=None) -> str:
    """:func:`verdict` without the table: the same two functions the checker applies to a one-part
    claim (:func:`benchmark.runstats.compare_runs`, then :func:`benchmark.findings.part_verdict`;
    with one part Holm leaves p as it is and the pooled rule adds nothing), ~100× faster. Runs
    are paired by seed as in the checker (A's seeds ``seeds_a``, default 0..S−1, B's ``seeds_b``); a contradiction needs
    its own test (worse by the practical margin) at α, as in the checker — the 95 % CI below −margin
    alone is that test only at α = 0.05. Tests hold it equal to :func:`verdict` at any α."""
    from scipy.special import ndtri

    from benchmark.findings import part_verdict, practical_margin
    from benchmark.runstats import compare_runs

    r = compare_runs(a, b, seeds_a, seeds_b, higher=higher)
    if not r.tested:
        return "inconclusive"
    margin = practical_margin(metric)
    # the contradiction's test matters only where it can pass — its effect below −margin by the normal quantile at α
    # times the SE at least, as a t quantile is never less: run it only there (one part's finding is contradicted
    # exactly when the part is: findings.verdict_of reads the pooled (1 − α) CI, the part's)
    p_worse = compare_runs(a, b, seeds_a, seeds_b, higher=higher, margin=margin).p \
        if math.isfinite(margin) and r.effect + float(ndtri(1 - alpha / 2)) * r.se < -margin else float("nan")
    return part_verdict(r.p, r.ci_low, r.ci_high, 0.0, margin, alpha, p_worse)


#: the checker's verdicts that are false on a null (two equally good arms)
DECIDED = ("reproduced", "contradicted")


def false_verdict(a: np.ndarray, b: np.ndarray, task: str, metric: str, higher: bool, alpha: float = 0.05,
                  seeds_b=None) -> bool:
    """Whether the checker (:func:`fast_verdict`) decides anything on a null ``a``, ``b``: "A is better than B"
    reproduced or contradicted, **or** "B is better than A" reproduced or contradicted — a false verdict either way
    round. A null has no direction, and every significance the benchmark prints is two-sided at α (the ▲ and the ▼,
    bold, compare's wins and losses, a finding's claim whichever way the paper put it), so a checker calibrated at α
    decides a null in ≈ α of draws, one claim's direction in ≈ α/2. Counted one way round, a checker that called
    twice α of equal pairs significant read ≈ α and "ok" (tests/test_probe_verdicts21.py)."""
    if fast_verdict(a, b, task, metric, higher, alpha, seeds_b) in DECIDED:
        return True
    return fast_verdict(b, a, task, metric, higher, alpha, None, seeds_b) in DECIDED


def simulate(comp: dict, runs: int, rng: np.random.Generator, effect: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Two arms of ``runs`` × ``n_images`` values with ``comp``'s variance components; A better by
    ``effect`` (in the metric's units, signed by its direction); the images are shared, and each arm has its own
    image effect of ``loss_x_image_sd`` (a loss × image interaction: equal over the population of images, not on
    each test image)."""
    I = int(comp["n_images"])
    img = rng.normal(0, comp["image_sd"], I)
    sign = 1.0 if comp["higher"] else -1.0
    inter = float(comp.get("loss_x_image_sd", 0.0) or 0.0)

    def arm(shift):
        own = rng.normal(0, inter, I)[None, :] if inter > 0 else 0.0  # none drawn without one: the same streams
        return (img[None, :] + own + rng.normal(0, comp["run_sd"], (runs, 1))
                + rng.normal(0, comp["image_x_run_sd"], (runs, I)) + sign * shift)

    return arm(effect), arm(0.0)


#: how many times its first draws a runs count whose power reached :data:`POWER` is confirmed with (:func:`power_curve`)
CONFIRM = 4


def power_curve(comp: dict, delta: float, rng: np.random.Generator, runs: int, max_runs: int, n_pow: int,
                alpha: float = 0.05, far_comp: dict | None = None) -> list[tuple[int, float]]:
    """(runs per arm, power) for 2, 3, … runs until the power reaches :data:`POWER` at ≥ ``runs`` runs (or
    ``max_runs``): the fraction of ``n_pow`` simulated tables of ``comp`` with A better by ``delta`` that the checker
    reproduces. A count that reaches it is confirmed with :data:`CONFIRM` × ``n_pow`` more draws and kept only if it
    still does on all of them: where the curve is flat (3 test images: 3–4 points a run) the first count whose
    ``n_pow`` draws reached 80 % by Monte-Carlo noise alone was named. Alone it moved the power the runs named reach
    on average over pilots only from 0.73 to 0.74 there: the larger part is the components as measured
    (:func:`planned`). Where no count up to ``max_runs`` reaches it, the curve goes on at :data:`FAR` × ``max_runs``
    with ``far_comp`` (the components as measured; default ``comp``), ``n_pow`` draws each and :data:`CONFIRM` ×
    ``n_pow`` more where those come within :data:`FAR_MARGIN` of it, until one does: whether runs alone can reach it
    at all."""
    def hits(k: int, n: int, comp: dict = comp) -> int:
        return sum(fast_verdict(*simulate(comp, k, rng, delta), comp["task"], comp["metric"], comp["higher"],
                                alpha) == "reproduced" for _ in range(n))

    out = []
    for k in range(2, max_runs + 1):
        h, n = hits(k, n_pow), n_pow
        if h / n >= POWER and k >= runs:
            h, n = h + hits(k, CONFIRM * n_pow), n + CONFIRM * n_pow
        out.append((k, h / n))
        if h / n >= POWER and k >= runs:
            return out
    # not reached by max_runs: does any count of runs reach it? On few test images with a loss × image level the
    # images bound the power (their level does not shrink with runs, their few degrees of freedom stay), and "> 12
    # runs" sent users to train runs no count of which reaches it (tests/test_probe_verdicts13.py). Asked of the
    # components as measured (``far_comp``), as findings.seeds_to_settle says "more seeds alone cannot": at their
    # bounds it would be said of pilots whose loss × image level merely came out high. The extra draws only where the
    # first n_pow leave it open (within FAR_MARGIN of the power): 5 × n_pow tables of up to 192 runs at every far
    # count nearly doubled a calibrate of 3-image cells (tests/test_probe_verdicts13.py)
    for k in FAR:
        h, n = hits(k * max_runs, n_pow, far_comp or comp), n_pow
        if h / n >= POWER - FAR_MARGIN:
            h, n = h + hits(k * max_runs, CONFIRM * n_pow, far_comp or comp), n + CONFIRM * n_pow
        out.append((k * max_runs, h / n))
        if out[-1][1] >= POWER:
            break
    return out


#: the multiples of ``max_runs`` :func:`power_curve` tries when no count up to it reaches :data:`POWER`
FAR = (4, 16)
#: how far below :data:`POWER` a far count's first ``n_pow`` draws may lie and still get :data:`CONFIRM` × ``n_pow``
#: more (≥ 2.6 binomial SEs at 80 % for n_pow ≥ 50: a count that reaches it is almost never cut short)
FAR_MARGIN = 0.15


def aa_splits(n: int, runs: int, limit: int, rng: np.random.Generator) -> list[tuple[list[int], list[int]]]:
    """Distinct unordered splits of ``n`` runs into two disjoint arms of ``runs`` (indices 0..n−1), the arm holding
    the smaller index first: every one of them when there are at most ``limit`` (10 seeds into 5 + 5: 126), else
    ``limit`` distinct ones drawn at random — never the same split twice, nor a split and its mirror (arms Y, X of
    X, Y), so the A/A rate is not inflated by repeats: a false verdict is counted either way round
    (:func:`false_verdict`), so a mirror is the same test (ordered, 10 seeds gave each of 126 tests twice;
    tests/test_probe_verdicts21.py)."""
    from itertools import combinations

    total = math.comb(n, runs) * math.comb(n - runs, runs) // 2
    if total <= limit:
        out = []
        for a in combinations(range(n), runs):
            rest = [i for i in range(n) if i not in a]
            out += [(list(a), list(b)) for b in combinations(rest, runs) if a[0] < b[0]]
        return out
    seen, out = set(), []
    while len(out) < limit:
        pick = rng.permutation(n)
        key = tuple(sorted((tuple(sorted(pick[:runs])), tuple(sorted(pick[runs:2 * runs])))))
        if key not in seen:
            seen.add(key)
            out.append((list(key[0]), list(key[1])))
    return out


def aa_reference(comp: dict, n: int, runs: int, sims: int, splits: int, rng: np.random.Generator,
                 alpha: float = 0.05) -> np.ndarray:
    """The A/A false-verdict rate of ``sims`` simulated sets of ``n`` runs with ``comp``'s variance
    components (``splits`` splits each): how far one set of runs moves the A/A rate of a checker
    whose nulls are calibrated. (sims,) rates."""
    out = np.empty(sims)
    for j in range(sims):
        a, _ = simulate(comp, n, rng)
        chosen = aa_splits(n, runs, splits, rng)
        false = sum(false_verdict(a[x], a[y], comp["task"], comp["metric"], comp["higher"], alpha, seeds_b=range(runs))
                    for x, y in chosen)
        out[j] = false / len(chosen)
    return out


def too_few_runs_text(runs: int, what: str = "runs") -> str:
    """Why a calibration of ``runs`` per arm (< :data:`~benchmark.runstats.MIN_RUNS`) is refused, in one line: the
    checker tests no pair of fewer, so every null and A/A split is 'too few runs' and the false-verdict rate 0 — a
    perfect calibration of verdicts that cannot be given (it printed "0/50 false verdicts = 0.0% (ok)";
    tests/test_probe_verdicts21.py)."""
    return (f"{what} must be at least {MIN_RUNS}, the fewest paired runs the checker tests "
            f"(benchmark.runstats.MIN_RUNS), got {runs}: with fewer every null and A/A split is 'too few runs', "
            f"a false-verdict rate of 0 that says nothing")


def calibrate(table: pd.DataFrame, n_nulls: int = 200, runs: int = MIN_RUNS, splits: int = 200,
              effect: float = 6.0, max_runs: int = 12, alpha: float = 0.05, seed: int = 0,
              metrics=None, aa_sims: int = 20, rescore: dict[str, set[str]] | None = None,
              run: str = "plbench run") -> Calibration:
    """Simulated nulls, A/A splits of real runs and power (see the module docstring). ``rescore``: {metric: run ids
    whose scores of it the table keeps though made with another file or code than today's} (the findings' reading of
    :meth:`~benchmark.results.ResultsStore.stale_scores`); how many of the runs calibrated on they are is
    :attr:`Calibration.rescore`, which :func:`to_text` says. ``run``: the start of the command that trains runs into
    the store calibrated (``plbench run --out DIR``), which its advice to train more seeds names: without its --out
    that command trains into ./results, not the store calibrated."""
    from benchmark.findings import practical_margin

    if runs < MIN_RUNS:
        raise UserError(too_few_runs_text(runs))
    if table.empty:
        raise UserError(f"no results to calibrate on: run `{run} --seeds 0 1 2 ...` first")
    from benchmark.settings import drop_budget_checks

    table, _ = drop_budget_checks(table)  # a run and its budget check are not two runs of one arm
    if metrics:
        table = table[table["metric"].astype(str).isin(metrics)]
    comps = components(table)
    stale = {}
    for m, ids in (rescore or {}).items():  # of the trained runs (the degraded input is no arm)
        scored = set(map(str, table.loc[(table["metric"].astype(str) == m) & (table["loss"].astype(str) != INPUT),
                                        "run_id"].unique()))
        if k := len(scored & set(map(str, ids))):
            stale[m] = (k, len(scored))
    if comps.empty:
        def shape(v: np.ndarray) -> tuple[int, int]:  # (runs, images every one of them has): what the components use
            v = v[~np.isnan(v).all(axis=1)]
            return len(v), int((~np.isnan(v)).all(axis=0).sum()) if len(v) else 0

        shapes = [shape(b.values[i]) for b in blocks(table[table["loss"].astype(str) != INPUT])
                  for i in range(len(b.labels))]
        images = [n for s, n in shapes if s >= 2]
        if images:  # a loss has the seeds: its test set is what is too small
            raise UserError(f"calibration needs ≥ 2 test images scored in every run of a loss (the image and "
                            f"image×run variance); the losses with ≥ 2 seeds have {max(images)} — use "
                            f"{more_images(2)}")
        raise UserError("calibration needs ≥ 2 seeds of some loss (run-to-run variance): train more with the grid's "
                        f"settings, `{run} --seeds 0 1 ...` and the flags (or --config) that trained them")
    null_rows, power_rows, agree_rows = [], [], []
    for c in comps.to_dict("records"):
        rng = _rng(seed, c["task"], c["metric"])
        false = sum(false_verdict(*simulate(c, runs, rng), c["task"], c["metric"], c["higher"], alpha)
                    for _ in range(n_nulls))
        null_rows.append({"task": c["task"], "metric": c["metric"], "n_nulls": n_nulls, "false": false,
                          "rate": false / n_nulls})
        m = practical_margin(c["metric"])
        if math.isfinite(m):
            curve = power_curve(planned(c), effect * m, rng, runs, max_runs, max(50, n_nulls // 2), alpha, c)
            power_rows += [{"task": c["task"], "metric": c["metric"], "effect": effect * m, "runs": k, "power": pw}
                           for k, pw in curve]
            if curve[-1][1] < POWER and float(c.get("loss_x_image_sd", 0.0) or 0.0) > 0:
                # the loss × image level that keeps runs alone from it rests on few degrees of freedom (2 on 3 test
                # images): it cannot be told from none, and "not with runs alone" was said of 7 in 12 stores of two
                # losses without any (tests/test_review_verdicts14.py) — the runs it takes if the images agree too,
                # from a generator of its own (the cell's other figures unchanged)
                agree = {**c, "loss_x_image_sd": 0.0, "plan_loss_x_image_sd": 0.0}
                curve = power_curve(planned(agree), effect * m, _rng(seed, c["task"], c["metric"], "agree"), runs,
                                    max_runs, max(50, n_nulls // 2), alpha, agree)
                agree_rows += [{"task": c["task"], "metric": c["metric"], "effect": effect * m, "runs": k,
                                "power": pw} for k, pw in curve]
    aa_rows, reason = [], ""
    restored = table[table["loss"].astype(str) != INPUT]
    enough = 0
    by_cell = {(c["task"], c["metric"]): c for c in comps.to_dict("records")}
    reference: dict[tuple, np.ndarray] = {}
    # a cell without components (niqe scoring one test image of several) has no nulls and no reference: its A/A
    # splits looked its components up and the whole calibration died, KeyError (tests/test_probe_verdicts26.py)
    left_out = [f"{b.task}/{b.metric}" for b in blocks(restored) if (b.task, b.metric) not in by_cell]
    for b in blocks(restored):
        if (b.task, b.metric) not in by_cell:
            continue
        for i, label in enumerate(b.labels):
            have = np.flatnonzero(~np.isnan(b.values[i]).all(axis=1))
            if have.size < 2 * runs:
                continue
            enough += 1
            false = 0
            rng = _rng(seed, b.task, b.metric, label, "aa")
            chosen = aa_splits(have.size, runs, splits, rng)
            for sa, sb in chosen:
                false += false_verdict(b.values[i][have[sa]], b.values[i][have[sb]], b.task, b.metric, b.higher,
                                       alpha, seeds_b=range(runs))  # the split's arms, re-paired by order
            key = (b.task, b.metric, int(have.size))
            if key not in reference and aa_sims:
                rng = _rng(seed, *key, "aa-reference")
                reference[key] = aa_reference(by_cell[(b.task, b.metric)], have.size, runs, aa_sims,
                                              min(splits, 100), rng, alpha)
            ref = reference.get(key, np.array([]))
            aa_rows.append({"task": b.task, "metric": b.metric, "loss": label, "splits": len(chosen),
                            "false": false, "rate": false / len(chosen),
                            "ref_p95": upper95(ref),
                            "_ref": ref})
    if not enough:
        most = max((int((~np.isnan(b.values[i]).all(axis=1)).sum()) for b in blocks(restored)
                    for i in range(len(b.labels))), default=0)
        reason = (f"A/A needs a loss with ≥ {2 * runs} seeds (two disjoint arms of {runs}); the most here is {most} "
                  f"(`{run} --losses l1 --seeds {' '.join(map(str, range(2 * runs)))}`)")
    refs = [r.pop("_ref") for r in aa_rows]
    pooled_ref = pooled_reference(aa_rows, refs, _rng(seed, "aa-pooled"))
    aa = pd.DataFrame(aa_rows, columns=["task", "metric", "loss", "splits", "false", "rate", "ref_p95"])
    return Calibration(comps, pd.DataFrame(null_rows), aa,
                       pd.DataFrame(power_rows, columns=["task", "metric", "effect", "runs", "power"]), runs, reason,
                       aa_ref_p95=upper95(pooled_ref),
                       aa_ref_mean=float(pooled_ref.mean()) if pooled_ref.size else math.nan, alpha=alpha,
                       power_agree=pd.DataFrame(agree_rows, columns=["task", "metric", "effect", "runs", "power"]),
                       rescore=stale, left_out=left_out)


def pooled_reference(cells: list[dict], refs: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """The pooled A/A rate a calibrated checker gives on simulated sets of runs like these, one per simulated set:
    the split-weighted mean over the (task, metric, loss) ``cells`` (dicts with task, splits) of their
    :func:`aa_reference` rates ``refs`` (one array each, the shortest's length kept). The cells of one task are taken
    as fully correlated — its metrics score the same runs (psnr and ssim of one output move together), its losses'
    cells share one simulated reference — each cell's rates in rank order, a set high on one cell high on all: an
    upper bound of the spread, as :func:`benchmark.findings.pooled` takes the parts of one task; the tasks, other
    runs, as independent (each task's ranks in an order of its own from ``rng``). Drawn index by index, the metrics of
    one loss were independent: the spread understated, an honest checker's A/A above it read TOO HIGH
    (tests/test_probe_verdicts26.py). (sims,) rates."""
    k = min((r.size for r in refs), default=0)
    if not k:
        return np.array([])
    orders: dict[str, np.ndarray] = {}
    total = np.zeros(k)
    for c, r in zip(cells, refs):
        order = orders.setdefault(str(c["task"]), rng.permutation(k))
        total += float(c["splits"]) * np.sort(r[:k])[order]
    return total / sum(float(c["splits"]) for c in cells)


def upper95(rates: np.ndarray) -> float:
    """The smallest of ``rates`` that 95 % of them are at or below — a rate some set reached, printed as "≤ x in 95 %
    of sets" (NaN: none). An interpolated percentile printed 4.0 % where 20 splits give rates in steps of 5 %, a
    rate no set can have (tests/test_review_verdicts16.py)."""
    rates = np.asarray(rates, float)
    return float(np.percentile(rates, 95, method="inverted_cdf")) if rates.size else math.nan


def needs_runs(power: pd.DataFrame) -> pd.DataFrame:
    """Per (task, metric): the effect and the fewest runs per arm with power ≥ :data:`POWER` among the counts tried one
    by one up to ``max_tried`` (NaN: none of them); beyond, from :func:`power_curve`'s far counts (:data:`FAR`):
    ``reached_by``, the first that reaches it (NaN: none did), and ``far``, the largest tried (NaN: none tried)."""
    out = []
    for (task, metric), g in power.groupby(["task", "metric"], sort=True):
        ks = g["runs"].to_numpy()
        near = g.iloc[:int(np.argmax(np.diff(ks) > 1)) + 1] if (np.diff(ks) > 1).any() else g
        beyond = g.iloc[len(near):]
        ok, far_ok = near[near["power"] >= POWER], beyond[beyond["power"] >= POWER]
        out.append({"task": task, "metric": metric, "effect": float(g["effect"].iloc[0]),
                    "runs": int(ok["runs"].min()) if not ok.empty else math.nan,
                    "max_tried": int(near["runs"].max()),
                    "reached_by": int(far_ok["runs"].min()) if not far_ok.empty else math.nan,
                    "far": int(beyond["runs"].max()) if not beyond.empty else math.nan})
    return pd.DataFrame(out, columns=["task", "metric", "effect", "runs", "max_tried", "reached_by", "far"])


def _needs_text(r, comp=None, agree=None) -> str:
    """A row of :func:`needs_runs` as the runs-needed cell says it; ``comp``: the cell's :func:`components` row (what
    keeps runs alone from the power: the loss × image level, or no spread at all); ``agree``: its row of
    :attr:`Calibration.power_agree` (the runs without that level), said beside "not with runs alone"."""
    if not math.isnan(r["runs"]):
        return f"{r['effect']:.3g}: ≥ {int(r['runs'])} runs"
    if not math.isnan(r["reached_by"]):
        return f"{r['effect']:.3g}: > {int(r['max_tried'])} runs ({POWER:.0%} by {int(r['reached_by'])})"
    sds = [float(comp.get(k, 0.0) or 0.0) for k in ("run_sd", "image_x_run_sd", "loss_x_image_sd")] \
        if comp is not None else [math.inf]  # unknown: the loss × image level taken to be there
    if not any(sd > 0 for sd in sds):  # every run the same score on every image: nothing to test, at any count
        return f"{r['effect']:.3g}: no spread (every run scores the same on every image: no test at any count)"
    if not math.isnan(r["far"]) and sds[-1] > 0:
        text = (f"{r['effect']:.3g}: not with runs alone (under {POWER:.0%} at {int(r['far'])} runs: the test images "
                f"limit it) — {more_images()}")
        if agree is None:
            return text
        losses, images = (int(comp.get(k, 0) or 0) for k in ("losses", "n_images")) if comp is not None else (0, 0)
        df = (max(losses, 2) - 1) * (images - 1)
        on = f", on {plural(df, 'degree')} of freedom," if images >= 2 else ""
        runs = _needs_text(agree, {**comp, "loss_x_image_sd": 0.0} if comp is not None else None).split(": ", 1)[1]
        return f"{text}; if they agree (their loss×image level{on} may be chance): {runs}"
    # without a loss × image level the SE falls to 0 with the runs: a count past the largest tried reaches it ("not
    # with runs alone" was said there too, tests/test_probe_verdicts13.py)
    return f"{r['effect']:.3g}: > {int(r['max_tried'] if math.isnan(r['far']) else r['far'])} runs"


def holm_note(alpha: float) -> str:
    """What the runs-needed column is planned for, in one line: one comparison at ``alpha``. A finding (or a
    leaderboard table) tests its m comparisons as one Holm family, the closest to a verdict at ``alpha / m``: the runs
    named at 0.05 reached 0.51–0.81 power at 0.05/2 and 0.31–0.69 at 0.05/4 (simulated pilots of 3 losses × 5 or 10
    seeds, 2 × 10; run-, image×run- and mixed-variance cells of 12–24 test images, and 3 images — the lower ends;
    tests/test_review_verdicts12.py), not 80 %; at 0.05 itself 0.80–0.90 (planned from the components as
    measured: 0.73–0.75 on 3 images, before :func:`planned`)."""
    return (f"Runs needed: {POWER:.0%} power for one comparison at α = {alpha:g}. A finding or table of m comparisons "
            f"tests them as one Holm family, the closest at α/m, and needs more runs: plan it with "
            f"`plbench calibrate --alpha` α/m (simulated, the runs named at α reached 31–69 % power at α/4).")


def _pct(x: float) -> str:
    """A rate as a percent without rounding it away: 0.05 → ``5%``, 0.025 → ``2.5%``, 0.005 → ``0.5%``."""
    return f"{100 * x:.3g}%"


def null_status(false: int, n: int, target: float = TARGET, alpha: float = 0.05) -> str:
    """The verdict on ``false`` false verdicts in ``n`` independent simulated nulls against ``target`` (the
    checker's α): ``ok`` at or below it; ``TOO HIGH`` only when the count is significantly above it
    (one-sided binomial p < ``alpha``); otherwise above the target by no more than the simulation's own
    noise, with that p — a count of 12/200 (6 %) is what a checker at exactly 5 % gives one time in three,
    no evidence of a fault."""
    from scipy.stats import binom

    if not n:
        return "no nulls"
    if false <= target * n:
        return "ok"
    p = float(binom.sf(false - 1, n, target))
    if p < alpha:
        return f"TOO HIGH: above {_pct(target)} beyond the simulation's noise, binomial p {p_text(p, alpha)}"
    return (f"above {_pct(target)} by no more than the simulation's noise (binomial p {p_text(p, alpha)}): run more "
            "nulls to tell")


def cells_too_high(nulls: pd.DataFrame, target: float = TARGET, alpha: float = 0.05) -> list[str]:
    """The (task, metric) cells of ``nulls`` (task, metric, n_nulls, false) whose false verdicts are significantly
    above ``target``: one-sided binomial p per cell, Holm over the cells at ``alpha`` (a checker at exactly ``target``
    in every cell has one flagged in at most ``alpha`` of calibrations), each as ``"task/metric: k/n = r% (binomial
    p_holm = …)"``. The pooled rate alone hid them: 15/100 on one cell beside 0/100 on two others read "5.0 % (ok)"
    (tests/test_probe_verdicts23.py)."""
    from scipy.stats import binom

    from benchmark.runstats import holm

    cells = nulls[nulls["n_nulls"] > 0]
    if len(cells) < 2:
        return []  # one cell: the pooled rate is the cell's
    k, n = cells["false"].to_numpy(int), cells["n_nulls"].to_numpy(int)
    p = np.where(k > target * n, binom.sf(k - 1, n, target), 1.0)
    adj = holm(p)
    return [f"{t}/{m}: {a}/{b} = {_pct(a / b)} (binomial p_holm {p_text(q, alpha)})"
            for t, m, a, b, q in zip(cells["task"], cells["metric"], k, n, adj) if q < alpha]


def left_out_text(cells: list[str]) -> str:
    """The line ``calibration.md`` names the cells :func:`calibrate` left out with (:attr:`Calibration.left_out`)."""
    return (f"> Not calibrated: {', '.join(cells)} — no loss there has ≥ 2 runs scored on ≥ 2 test images in common "
            f"(the variance components need both): no simulated nulls, A/A or runs needed there; score more test "
            f"images with the metric, or add seeds.")


def to_text(cal: Calibration) -> str:
    """The report ``plbench calibrate`` prints (Markdown)."""
    target = cal.alpha  # a checker run at α must give a false verdict in at most α of nulls
    ok = lambda r: "ok" if r <= target else "TOO HIGH"  # noqa: E731
    lines = ["# Calibration of the findings checker", "",
             f"Claim checked: \"A is better than B\", {cal.runs} runs per arm, paired by seed. A false verdict: "
             f"reproduced or contradicted on a null (two equally good arms) either way round (\"A is better than B\" "
             f"or \"B is better than A\": every significance the benchmark prints is two-sided), the checker at "
             f"α = {cal.alpha:g}. Target ≤ {_pct(target)}.", ""]
    if cal.setting:
        lines += [f"Setting (every run used shares it): {cal.setting}.", ""]
    if cal.rescore:
        from benchmark.metric_code import not_rescored_text

        # the findings and the report's coverage say so of the same scores, the findings in the same words
        # (tests/test_probe_verdicts17.py)
        lines += [f"> {not_rescored_text(m, k, f'the {n} runs calibrated on')}: a re-score may change its rows."
                  for m, (k, n) in sorted(cal.rescore.items())] + [""]
    if cal.left_out:
        lines += [left_out_text(cal.left_out), ""]
    comps = cal.components
    few_runs = comps["runs"] < THIN_RUNS if "runs" in comps.columns else pd.Series(False, index=comps.index)
    few_images = comps["n_images"] < THIN_IMAGES if "runs" in comps.columns else few_runs
    if (few_runs | few_images).any():
        # what is thin, and the advice for it: the seeds where the runs are few, the test images where they are —
        # 5 seeds on 6 images were told to run the seeds 0–4 they had (tests/test_probe_verdictsfu14.py)
        what = [f"fewer than {n} {unit} ({plural(int(k.sum()), 'cell')})" for n, unit, k in
                ((THIN_RUNS, "runs per loss", few_runs), (THIN_IMAGES, "test images", few_images)) if k.any()]
        fix = ([f"add seeds (`--seeds {' '.join(map(str, range(THIN_RUNS)))}`)"] if few_runs.any() else []) + (
            [f"use {more_images(THIN_IMAGES)}"] if few_images.any() else [])
        lines += [f"> Rough: the variance components of {int((few_runs | few_images).sum())} of {len(comps)} (task, "
                  f"metric) cells rest on {' or '.join(what)} (marked ⚠): their false-verdict rates and runs needed "
                  f"are estimates from thin data — {' and '.join(fix)} before relying on them.", ""]
    nulls_said = null_status(int(cal.nulls['false'].sum()), int(cal.nulls['n_nulls'].sum()), target)
    high = cells_too_high(cal.nulls, target)
    if high and not nulls_said.startswith("TOO HIGH"):
        # a pooled rate at or near α is no rate any cell measured where one cell is far above it
        nulls_said = (f"TOO HIGH in {plural(len(high), 'cell')} of {len(cal.nulls)}, beyond the simulation's noise, "
                      f"which the pooled rate hides: {'; '.join(high)}")
    lines += [f"**Simulated nulls**: {int(cal.nulls['false'].sum())}/{int(cal.nulls['n_nulls'].sum())} false "
              f"verdicts = {cal.null_rate:.1%} ({nulls_said}).",
              ""]
    if cal.aa.empty:
        lines += [f"**A/A on real runs**: not run: {cal.aa_reason}.", ""]
    else:
        rate = cal.aa_rate
        # the reference is this checker's A/A rate on simulated sets of runs (aa_reference): the spread of a calibrated
        # checker only where this one holds α on the simulated nulls — a checker twice too liberal had its A/A of 10 %
        # excused as "within the spread … of a calibrated checker" beside its own nulls' TOO HIGH
        # (tests/test_probe_verdicts21.py)
        status = ok(rate) if rate <= target or not math.isfinite(cal.aa_ref_p95) else (
            f"TOO HIGH, as the simulated nulls: the spread of this checker's own simulated sets excuses nothing "
            f"where it exceeds {_pct(target)} on nulls" if nulls_said.startswith("TOO HIGH") else
            f"above {_pct(target)}, within the spread one set of runs gives this checker, "
            + ("which holds α on the simulated nulls" if nulls_said == "ok" else
               # nulls above α within their noise: whether the checker holds α is open (tests/test_review_stats21.py)
               "whose simulated nulls are above α too, within their noise: run more nulls to tell whether the "
               "excuse holds") if rate <= cal.aa_ref_p95
            else "TOO HIGH, beyond the spread of this checker on simulated sets of runs")
        ref = (f" This checker on simulated sets of runs like these: {cal.aa_ref_mean:.1%} on average, "
               f"≤ {cal.aa_ref_p95:.1%} in 95 % of sets." if math.isfinite(cal.aa_ref_p95) else "")
        lines += [f"**A/A on real runs**: {int(cal.aa['false'].sum())}/{int(cal.aa['splits'].sum())} false verdicts "
                  f"= {rate:.1%} ({status}), judged pooled over {len(cal.aa)} (task, metric, loss) cells — no cell "
                  f"is judged on its own: the splits of one set of runs are not independent, so a cell's count is no "
                  f"binomial one (the table below gives each cell's rate beside this checker's simulated sets of it; "
                  f"the simulated nulls are tested cell by cell).{ref}", ""]
    lines += ["| task | metric | run sd | image sd | image×run sd | loss×image sd | images | nulls: false | "
              "needs runs for effect |",
              "|---|---|---|---|---|---|---|---|---|"]
    need = needs_runs(cal.power).set_index(["task", "metric"]) if not cal.power.empty else None
    agree = needs_runs(cal.power_agree).set_index(["task", "metric"]) if not cal.power_agree.empty else None
    nulls = cal.nulls.set_index(["task", "metric"])
    for c in cal.components.itertuples(index=False):
        n = nulls.loc[(c.task, c.metric)]
        if need is not None and (c.task, c.metric) in need.index:
            pw = _needs_text(need.loc[(c.task, c.metric)], c._asdict(),
                             agree.loc[(c.task, c.metric)] if agree is not None and (c.task, c.metric) in agree.index
                             else None)
        else:
            pw = "– (no practical margin)"
        warn = " ⚠" if getattr(c, "runs", THIN_RUNS) < THIN_RUNS or c.n_images < THIN_IMAGES else ""
        lines.append(f"| {c.task}{warn} | {c.metric} | {c.run_sd:.3g} | {c.image_sd:.3g} | {c.image_x_run_sd:.3g} | "
                     f"{getattr(c, 'loss_x_image_sd', 0.0):.3g} | {c.n_images} | "
                     f"{int(n['false'])}/{int(n['n_nulls'])} | {pw} |")
    if need is not None:
        lines += ["", holm_note(cal.alpha)]
    if not cal.aa.empty:
        lines += ["", "| task | metric | loss | A/A splits | false | rate | this checker, simulated: 95 % of sets ≤ |",
                  "|---|---|---|---|---|---|---|"]
        for r in cal.aa.itertuples(index=False):
            lines.append(f"| {r.task} | {r.metric} | {r.loss} | {r.splits} | {r.false} | {r.rate:.1%} | "
                         f"{r.ref_p95:.1%} |")
    lines.append("")
    return "\n".join(lines)
