"""Are the runs trained to their plateau, and does the ranking still move? The budget check.

A ranking of losses after a short schedule measures how fast each loss converges, not what it
converges to. The test is empirical: every run is also trained with **half its iterations** — its
*budget check*: the same setting, seed, initialisation and data order, with a cosine schedule of its
own (``plbench run`` does this unless ``--no-budget-check``; :func:`benchmark.settings.is_budget_check`
recognises such runs) — and both are scored on the whole test set. A run's **budget gain** on a
metric is its mean score minus its check's, signed so that positive means the second half of the
budget made it better (:func:`budget_gains`).

* An **arm** (task, loss) is **converged** on a metric when both one-sided 95 % bounds of its mean
  budget gain (Student's t, over the seeds and the test images: :func:`gain_stats`) lie within ± the
  metric's practical margin — the
  smallest effect of interest the verdicts use (:data:`benchmark.runstats.PRACTICAL_MARGINS`,
  0.05 dB PSNR): doubling the budget changed it by less than any effect a verdict cares about. It
  is **still improving** when the lower bound exceeds the margin, **worse with more budget** when the
  upper bound is below −margin, **unclear** otherwise — always with one run: one gain has no spread
  to test a direction against (with a seed-to-seed spread of 0.1 dB a converged arm's one gain said
  "still improving" or "worse" 63 % of the time, and re-runs contradicted each other) — and
  **not checked** without check runs. An arm is converged overall when it
  is converged on every scored metric that has a margin (:func:`arm_budget`, :func:`arm_status`); it is
  still improving (worse with more budget) overall when a metric is at the Bonferroni level over its
  metrics (:func:`family_statuses`).
  Runs take their arm's status, and so do the findings parts on them, whatever the part's metric
  (:meth:`benchmark.findings.Results.convergence_note`).
* **Budget stability**: per (task, metric), Kendall τ between the losses' mean scores at ½ budget
  (the checks) and at the full budget, same images and seeds, and the pairs of losses that change
  order between the two by a change shown over the seeds and test images (:func:`budget_stability`); a
  findings part whose effect crosses 0 between the two — a change shown over seeds and images, larger than the
  practical margin (:func:`effect_moved`), not two noisy estimates of 0 on either side of it — is
  unsettled (:mod:`benchmark.findings`); its note says the effect "changes sign" only when the end effect is
  itself shown on the other side, else that it "was lost" (:func:`effect_change_note`).

Why not the training curve. The issue that built this asked for a plateau statistic (the relative
drop of the smoothed training loss over the last 20 % of the iterations); :func:`plateau` still computes
it from any run's recorded ``loss_curve`` (``meta.json``) — as a diagnostic only: under the cosine
schedule the learning rate in the last fifth is below 10 % of its peak, so the loss is flat there
whether or not the net is trained. Measured (README, *Convergence*): on fixed probe crops 38 of 40
quick-profile runs (120 iterations) looked flat, and on the CPU profile ℓ1 passed the plateau test on
every task while doubling its budget from 800 to 1600 iterations still raised PSNR by 0.12–0.56 dB.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd

from benchmark.docmarkup import plural
from benchmark.runstats import complete_grid

log = logging.getLogger(__name__)

#: fraction of the iterations the (diagnostic) plateau statistic looks back over
TAIL = 0.2
#: smoothing window of the plateau statistic, as a fraction of the iterations
WINDOW = 0.2
#: one-sided level of the bounds on an arm's mean budget gain
LEVEL = 0.95
UNSETTLED = "unsettled (not converged)"
CONVERGED, IMPROVING, DECLINING, UNCLEAR, NOT_CHECKED = ("converged", "still improving", "worse with more budget",
                                                         "unclear", "not checked")

GAIN_COLUMNS = ["setting", "task", "loss", "weights_kind", "loss_version", "seed", "metric", "run_id", "check_id",
                "final", "check", "gain"]
#: :func:`budget_gains` per test image (``per_item=True``): ``item`` is "dataset/image"
ITEM_COLUMNS = [*GAIN_COLUMNS[:-3], "item", "final", "check", "gain"]
#: an arm: one loss (and version) with one kind of weights on one task, in one setting
ARM = ["setting", "task", "loss", "weights_kind", "loss_version"]
#: ``diverged_runs`` / ``diverged_checks``: the seeds (``"; "``-joined, empty: none) whose run at the full budget
#: diverged while its budget check finished, and whose budget check diverged while its run finished — the statuses
#: they set (:func:`with_divergences`) are read off these columns, not the gains beside them
ARM_COLUMNS = [*ARM, "metric", "runs", "gain", "low", "high", "margin", "status", "df", "diverged_runs",
               "diverged_checks"]
#: :func:`diverged_seeds`: one row per seed whose run (``side`` "run") or budget check (``side`` "check") diverged
#: while the other of the two finished; ``setting``: the setting of the run at the full budget
#: run ("" where the diverged run records none: any); ``metrics``: those with a practical margin the finished one
#: scored finitely (``"; "``-joined), the rows an arm with no budget gain at all gets (:func:`with_divergences`)
DIVERGED_COLUMNS = ["setting", "task", "loss", "weights_kind", "loss_version", "seed", "side", "metrics"]


# --------------------------------------------------------------------------------------------
# the diagnostic: plateau of the training curve
# --------------------------------------------------------------------------------------------
def plateau_stat(curve, iterations: int | None = None) -> tuple[float, float]:
    """(drop, se): the relative drop of the smoothed loss over the last :data:`TAIL` of
    ``iterations`` (default: the last recorded iteration) and its standard error from the spread
    of the recorded points in the two windows. ``curve``: [(iteration, loss)] as in ``meta.json``'s
    ``loss_curve``. NaN when the curve is too short to tell (fewer than 2 points in either window).
    Positive drop: still falling; about 0: flat; negative: rising. A diagnostic, not a verdict
    (module docstring)."""
    pts = [(float(i), float(v)) for i, v in (curve or []) if v is not None and math.isfinite(float(v))]
    if len(pts) < 4:
        return math.nan, math.nan
    its = np.array([p[0] for p in pts])
    vals = np.array([p[1] for p in pts])
    T = float(iterations or its.max())
    w = max(WINDOW * T, 1.0)

    def window(t: float) -> np.ndarray:
        return vals[(its > t - w) & (its <= t)]

    end, before = window(T), window((1 - TAIL) * T)
    if len(end) < 2 or len(before) < 2 or end.mean() == 0:
        return math.nan, math.nan
    level = abs(float(end.mean()))
    se = math.sqrt(end.var(ddof=1) / len(end) + before.var(ddof=1) / len(before)) / level
    return (float(before.mean()) - float(end.mean())) / level, se


def plateau(curve, iterations: int | None = None) -> float:
    """The drop of :func:`plateau_stat` alone."""
    return plateau_stat(curve, iterations)[0]


# --------------------------------------------------------------------------------------------
# the test: budget checks
# --------------------------------------------------------------------------------------------
#: what pairs a run with its check besides the test item: the run's setting and identity within it
PAIR = ["setting", "task", "loss", "weights_kind", "loss_version", "seed", "metric"]


def _keyed(rows: pd.DataFrame, setting: pd.Series) -> pd.DataFrame:
    """``rows`` with the pairing columns as plain strings (``setting``: the main setting's key)."""
    out = rows.assign(setting=setting, item=rows["dataset"].astype(str) + "/" + rows["image"].astype(str))
    if "weights" in out.columns:  # rows that lack their weights kind (older stores): from their provenance, as labels
        from benchmark.runstats import map_unique, weights_kind

        kind = out["weights_kind"].astype("string") if "weights_kind" in out.columns else \
            pd.Series(pd.NA, index=out.index, dtype="string")
        gap = kind.isna() | (kind == "")
        if gap.any():
            out["weights_kind"] = kind.where(~gap, map_unique(out["weights"], weights_kind).astype("string"))
    for col in PAIR:
        if col not in out.columns:
            out[col] = ""
        if col != "seed":
            out[col] = out[col].astype("string").fillna("").astype(str)
    return out


def budget_gains(table: pd.DataFrame, checks: pd.DataFrame | None, per_item: bool = False) -> pd.DataFrame:
    """Per run and metric: its mean score (``final``), its budget check's on the same test images
    (``check``) and the ``gain`` (final − check, signed: positive = better at the full budget).
    ``table``: restored rows (any settings); ``checks``: the rows of their budget checks
    (:attr:`benchmark.settings.Selection.checks`, :func:`benchmark.settings.drop_budget_checks`).
    A run is paired with the check of its own setting (:func:`benchmark.settings.budget_checks`)
    with the same task, loss and version, weights kind and seed. Columns: :data:`GAIN_COLUMNS`.
    ``per_item``: one row per run, metric and test image instead (:data:`ITEM_COLUMNS`, the image's
    score, its check's, its gain) — what :func:`arm_budget` needs to put the image level in the bounds;
    :func:`run_gains` averages it back to these per-run rows."""
    empty = pd.DataFrame(columns=ITEM_COLUMNS if per_item else GAIN_COLUMNS)
    both = _pairs(table, checks)
    if both.empty:
        return empty
    g = both.groupby([*PAIR, "run_id", "item"], observed=True, sort=True).agg(
        check_id=("check_id", "first"), final=("value", "mean"), check=("check", "mean"),
        higher=("higher_is_better", "first")).reset_index()
    sign = np.where(g["higher"].astype("boolean").fillna(True).astype(bool), 1.0, -1.0)
    g["gain"] = sign * (g["final"].astype(float) - g["check"].astype(float))
    g["run_id"] = g["run_id"].astype(str)
    g["check_id"] = g["check_id"].astype(str)
    return g[ITEM_COLUMNS] if per_item else run_gains(g[ITEM_COLUMNS])


def _pairs(table: pd.DataFrame, checks: pd.DataFrame | None) -> pd.DataFrame:
    """One row per (run, its check, test image, metric) both scored finitely: :func:`budget_gains`' pairing (a run
    with the check of its own setting, task, loss, version, weights kind and seed); columns :data:`PAIR`, ``item``,
    ``run_id``, ``value``, ``higher_is_better``, ``check_id``, ``check``. Empty where nothing pairs."""
    from benchmark.runstats import finite_values
    from benchmark.settings import budget_checks, settings_of

    main = finite_values(table[table["loss"].astype(str) != "input"]) if not table.empty else table
    if checks is None or checks.empty or main.empty or "setting" not in main.columns:
        return pd.DataFrame(columns=[*PAIR, "item", "run_id", "value", "higher_is_better", "check_id", "check"])
    mapping = budget_checks(settings_of(pd.concat([main, checks], ignore_index=True)))  # check key → main key
    m = _keyed(main, main["setting"].astype("string").fillna("").astype(str))
    checks = finite_values(checks)
    c = _keyed(checks, checks["setting"].astype("string").fillna("").astype(str).map(mapping))
    c = c[c["setting"] != ""]  # a check whose run is not in ``table``
    key = [*PAIR, "item"]
    return m[[*key, "run_id", "value", "higher_is_better"]].merge(
        c[[*key, "run_id", "value"]].rename(columns={"run_id": "check_id", "value": "check"}), on=key, how="inner")


def paired_checks(table: pd.DataFrame, checks: pd.DataFrame | None) -> set[str]:
    """The run ids of the budget checks paired with some run of ``table`` (:func:`budget_gains`' pairing) — every
    one of them: :func:`budget_gains` keeps one check id per run, so where one seed's run and its check are each
    stored under two ids (the same computation: a loss with no backbone under ``--backbone-weights random`` and
    ``pretrained``) the second check read as a check of no run (tests/test_probe_verdicts2_22.py)."""
    return set(_pairs(table, checks)["check_id"].astype(str))


def run_gains(items: pd.DataFrame) -> pd.DataFrame:
    """The per-run rows (:data:`GAIN_COLUMNS`) of per-image gains (:data:`ITEM_COLUMNS`,
    ``budget_gains(..., per_item=True)``): each run's mean over its test images (a run's gain is the mean
    of its images' gains, final and check the means of their scores); per-run rows pass through."""
    if "item" not in items.columns:
        return items
    if items.empty:
        return pd.DataFrame(columns=GAIN_COLUMNS)
    g = items.groupby([*PAIR, "run_id"], observed=True, sort=True).agg(
        check_id=("check_id", "first"), final=("final", "mean"), check=("check", "mean"),
        gain=("gain", "mean")).reset_index()
    return g[GAIN_COLUMNS]


def gain_bounds(gains: np.ndarray, level: float = LEVEL) -> tuple[int, float, float, float]:
    """(runs, mean, lower, upper): the finite budget gains' count, mean and one-sided ``level``
    bounds (Student's t over the runs; with one run both bounds are the gain itself). ``gains``: (S,) per
    run, or (S, I) per run and test image — then the SE has both levels in it (the seeds share the test
    images, so an image × budget effect is in every run's gain alike and their spread never shows it:
    :func:`benchmark.runstats.two_level_se`, the verdicts' SE, with its degrees of freedom); on the
    complete grid of runs × images (:func:`complete_grid`: the images some run lacks left out, or the runs
    that lack some, whichever keeps more). :func:`gain_stats` adds the degrees of
    freedom."""
    return gain_stats(gains, level)[:4]


def gain_stats(gains: np.ndarray, level: float = LEVEL) -> tuple[int, float, float, float, float]:
    """:func:`gain_bounds` and the degrees of freedom of its t quantile (NaN with fewer than 2 runs)."""
    from scipy.special import stdtrit

    from benchmark.runstats import mean_se

    x = np.asarray(gains, float)
    if x.ndim == 2:
        runs, items = complete_grid(np.isfinite(x))
        x = x[runs][:, items]
        if x.shape[1] == 0:
            return 0, math.nan, math.nan, math.nan, math.nan
        if x.shape[1] == 1:
            x = x[:, 0]
    else:
        x = x[np.isfinite(x)]
    if len(x) == 0:
        return 0, math.nan, math.nan, math.nan, math.nan
    mean = float(x.mean())
    if len(x) == 1:
        return 1, mean, mean, mean, math.nan
    se, df = mean_se(x)
    half = float(stdtrit(df, level)) * se
    return len(x), mean, mean - half, mean + half, df


def classify(runs: int, low: float, high: float, margin: float) -> str:
    """An arm's status on one metric from the one-sided bounds of its mean budget gain and the
    metric's practical margin: converged when both lie within ±margin (an equivalence test: the
    last doubling changed it by less than the margin either way), still improving when the lower
    bound is above +margin, worse with more budget when the upper one is below −margin, else unclear
    — and unclear with one run, whose bounds are its gain alone: no test of any of the three."""
    if runs == 0 or not math.isfinite(margin) or math.isnan(high):
        return NOT_CHECKED
    if runs < 2:
        return UNCLEAR
    if -margin <= low and high <= margin:
        return CONVERGED
    if low > margin:
        return IMPROVING
    if high < -margin:
        return DECLINING
    return UNCLEAR


def _arm_labeller(gains: pd.DataFrame):
    """``label(task, loss, weights_kind, loss_version)``: the label the leaderboard and the findings give an arm of
    ``gains`` (:func:`benchmark.runstats.loss_label`, its version as :func:`benchmark.runstats.version_suffix` writes
    it where the loss has several on the task) — not the keys as stored, ``l1/none/l1=1``."""
    from benchmark.runstats import loss_label, version_suffix

    cols = ["task", "loss", "weights_kind"]
    several = set() if gains.empty else {
        tuple(map(str, k)) for k, n in gains.groupby(cols)["loss_version"].nunique().items() if n > 1}

    def label(task, loss, kind, version) -> str:
        task, loss, kind, version = str(task), str(loss), str(kind), str(version)
        return loss_label(loss, kind) + (version_suffix(version) if (task, loss, kind) in several else "")

    return label


def _arm_namer(gains: pd.DataFrame):
    """How a line names an arm of ``gains`` (its :data:`ARM` keys, a metric's after them): ``task/label``
    (:func:`_arm_labeller`), not the keys as stored, ``denoise/l1/none/l1=1``."""
    label = _arm_labeller(gains)

    def name(keys) -> str:
        return f"{keys[1]}/{label(*keys[1:5])}"

    return name


def _seed_units(g: pd.DataFrame) -> pd.Series:
    """The statistical unit of each row of one arm's budget gains: its seed (one seed's runs stored under several ids
    are one unit), or its own run where the seed is not known (no ``seed`` column, or none in that row) — runs of
    unknown seed are not one seed (their seeds all read as one placeholder, they were averaged into one unit)."""
    run = g["run_id"].astype(str) if "run_id" in g.columns else pd.Series(g.index.astype(str), index=g.index)
    if "seed" not in g.columns:
        return "run " + run
    seed = pd.to_numeric(g["seed"], errors="coerce")
    return ("seed " + seed.astype("Int64").astype(str)).where(seed.notna(), "run " + run)


def arm_budget(gains: pd.DataFrame) -> pd.DataFrame:
    """Per (task, arm, metric): runs with a check (seeds: one seed's runs stored under several ids count once), mean
    budget gain, its one-sided bounds, the metric's practical margin, the status (:func:`classify`) and the bounds'
    degrees of freedom. Columns: :data:`ARM_COLUMNS`. Metrics without a practical margin are left out. ``gains``:
    :func:`budget_gains` per image (``per_item=True``: bounds over runs and test images, :func:`gain_stats` — with 3
    test images and a true gain of 2 × the margin, bounds over the runs alone said "converged" in ≈ 20 % of stores,
    tests/test_probe_regimes8.py) or per run (over the runs alone: the same images' share unseen)."""
    from benchmark.runstats import practical_margin

    rows = []
    unscored: dict[str, list[str]] = {}  # metric → the arms it has no finite change for (it scored none of their runs)
    name = _arm_namer(gains)
    for keys, g in gains.groupby([*ARM, "metric"], sort=True):
        metric = keys[-1]
        margin = practical_margin(str(metric))
        if not math.isfinite(margin):
            continue
        # the seed is the unit, as on the leaderboard and in the findings (stats.blocks, findings' values): one seed's
        # runs stored under several ids (a loss with no backbone under `--backbone-weights random` and `pretrained`,
        # the flag in the id, not in the setting) are averaged — pivoted by run id they were several runs, the bounds
        # narrowed on evidence the store does not have (tests/test_probe_verdicts2_22.py)
        unit = _seed_units(g)
        x = g.assign(unit=unit).pivot_table(index="unit", columns="item", values="gain", aggfunc="mean",
                                            dropna=False).to_numpy(float) if "item" in g.columns else \
            g["gain"].groupby(unit.to_numpy()).mean().to_numpy(float)
        if not np.isfinite(x).any():  # no evidence either way: not 'unclear' (which left every run unconverged)
            unscored.setdefault(str(metric), []).append(name(keys))
            continue
        if x.ndim == 2 and not np.isfinite(x).all():  # a run (or its check) not scored on every test image
            runs, items = complete_grid(np.isfinite(x))
            log.warning("budget check of %s on %s: not every run scored on every test image; bounds over %d of %s "
                        "× %d of %s (the complete grid)", name(keys), metric,
                        int(runs.sum()), plural(x.shape[0], "run"), int(items.sum()), plural(x.shape[1], "image"))
        n, mean, low, high, df = gain_stats(x)
        rows.append({**dict(zip([*ARM, "metric"], keys)), "runs": n, "gain": mean, "low": low, "high": high,
                     "margin": margin, "status": classify(n, low, high, margin), "df": df, "diverged_runs": "",
                     "diverged_checks": ""})
    for metric, arms in unscored.items():
        log.info("budget check on %s left out for %s: no finite change (the metric scored none of their runs or "
                 "checks); convergence there rests on the other metrics", metric, ", ".join(arms))
    return pd.DataFrame(rows, columns=ARM_COLUMNS)


def _diverged(row) -> bool:
    """Does an arm's row (:func:`arm_budget`, :func:`with_divergences`) name a seed that diverged at one budget and
    finished at the other?"""
    return any(isinstance(v, str) and v for v in (getattr(row, "diverged_runs", ""),
                                                  getattr(row, "diverged_checks", "")))


def _text(df: pd.DataFrame, column: str, default: str = "") -> pd.Series:
    """``df[column]`` as plain strings, missing ones (and a missing column) ``default``."""
    if column not in df.columns:
        return pd.Series(default, index=df.index)
    return df[column].astype("string").fillna(default).astype(str)


def _finished(rows: pd.DataFrame | None) -> dict[tuple, dict[str, set[str]]]:
    """{(setting, task, loss, weights kind, seed): {loss version: the metrics}} of the runs of ``rows`` with a finite
    score (of those metrics)."""
    from benchmark.runstats import finite_values, map_unique, weights_kind

    if rows is None or rows.empty or "seed" not in rows.columns:
        return {}
    ok = finite_values(rows[rows["loss"].astype(str) != "input"])
    ok = ok[ok["value"].notna() & ok["seed"].notna()]
    if ok.empty:
        return {}
    kind = map_unique(ok["weights"], weights_kind).astype(str) if "weights" in ok.columns else \
        _text(ok, "weights_kind", "none")
    out: dict[tuple, dict[str, set[str]]] = {}
    keys = pd.DataFrame({"setting": _text(ok, "setting"), "task": ok["task"].astype(str),
                         "loss": ok["loss"].astype(str), "kind": kind,
                         "seed": pd.to_numeric(ok["seed"], errors="coerce").astype(float),
                         "version": _text(ok, "loss_version"), "metric": ok["metric"].astype(str)})
    # distinct keys by pandas, then a Python step per key, not per row (tests/test_probe_scale.py)
    for *key, ver, metric in keys.drop_duplicates().itertuples(index=False, name=None):
        out.setdefault(tuple(key), {}).setdefault(ver, set()).add(metric)
    return out


def diverged_seeds(metas, table: pd.DataFrame | None, checks: pd.DataFrame | None) -> pd.DataFrame:
    """The one rule of a seed lost at one budget (:data:`DIVERGED_COLUMNS`): each run of ``metas`` (``meta.json``
    records, the budget checks' among them) that **diverged** (a failed run is no evidence about the budget) while
    the other of its pair finished with a finite score and it has no finished run of its own at that budget — side
    "run": the run at the full budget diverged, its budget check (``checks``' rows: the same task, loss, weights kind
    and seed in the setting's budget check) finished: more budget broke it; side "check": the budget check diverged,
    the run (``table``'s rows, in the setting it checks, :func:`benchmark.settings.is_budget_check`) finished: more
    budget mended it. Each seed has no budget gain, so the other seeds' gains alone said "converged" of an arm one of
    whose seeds the budget broke or mended (tests/test_probe_conv23.py, tests/test_probe_conv24.py). The version is
    the finished side's (a run recording no versions matches any): a seed broken under a loss file's version 1 is no
    claim on version 2's arm (tests/test_review_round223.py). A diverged run recording no setting is read as a run
    at the full budget of any setting (stores from before settings were recorded)."""
    from benchmark.config import setting_json
    from benchmark.runstats import weights_kind
    from benchmark.settings import _parse, is_budget_check

    out = []
    if not any(m.get("status") == "diverged" for m in metas or ()):
        return pd.DataFrame(out, columns=DIVERGED_COLUMNS)
    full, half = _finished(table), _finished(checks)
    if not metas or not (full or half):
        return pd.DataFrame(out, columns=DIVERGED_COLUMNS)
    mains = {k[0]: _parse(k[0]) for k in full}
    halves = {k[0]: _parse(k[0]) for k in half}

    def versions(done: dict, settings, key: tuple) -> dict[str, set[str]]:
        got: dict[str, set[str]] = {}
        for s in settings:
            for v, ms in done.get((s, *key), {}).items():
                got.setdefault(v, set()).update(ms)
        return got

    for m in metas:
        cfg = m.get("config") or {}
        if m.get("status") != "diverged" or cfg.get("seed") is None:
            continue
        s = m.get("setting")
        s = s if isinstance(s, dict) else None
        key = (str(cfg.get("task")), str(cfg.get("loss")), weights_kind(m.get("weights", "none")), float(cfg["seed"]))
        lv = m.get("loss_versions")
        own = ",".join(f"{k}={v}" for k, v in sorted(lv.items())) if isinstance(lv, dict) and lv else None
        of = [x for x, d in mains.items() if s is not None and is_budget_check(s, d)]
        if of:  # a budget check that diverged: its run at the full budget, in the setting it checks
            side, setting, mine, other = "check", of[0], versions(half, [setting_json(s)], key), versions(full, of, key)
        else:  # a run at the full budget: its budget checks, in the settings that check it
            side, setting = "run", setting_json(s) if s is not None else ""
            mine = versions(full, [setting], key) if s is not None else {}
            other = versions(half, [x for x, d in halves.items() if s is None or is_budget_check(d, s)], key)
        match = {v for v in other if own is None or not v or v == own}
        if any(own is None or not v or v == own for v in mine):  # the seed finished at this budget too: it has a gain
            continue
        from benchmark.runstats import practical_margin

        out += [{"setting": setting, "task": key[0], "loss": key[1], "weights_kind": key[2], "loss_version": v,
                 "seed": int(key[3]), "side": side,
                 "metrics": "; ".join(sorted(m for m in other[v] if math.isfinite(practical_margin(m))))}
                for v in sorted(match)]
    return pd.DataFrame(out, columns=DIVERGED_COLUMNS).drop_duplicates(ignore_index=True)


def with_divergences(arms: pd.DataFrame, diverged: pd.DataFrame | None) -> pd.DataFrame:
    """``arms`` (:func:`arm_budget`) with each arm's seeds of ``diverged`` (:func:`diverged_seeds`) in its
    ``diverged_runs`` / ``diverged_checks`` and, on every metric, the status they give — whatever the other seeds'
    gains say: **worse with more budget** where a seed's run diverged and its check finished, **still improving**
    where a check diverged and its run finished (more budget made a run the half could not), **unclear** where the
    arm has seeds of both. An arm is matched by its setting (a diverged run recording none: any), task, loss,
    weights kind and loss version (either side recording none: any). An arm with such seeds and no budget gain at all
    (its one seed's check diverged) gets a row per metric its finished runs scored (``runs`` 0, no gain): without one
    it read "not checked", its check trained. The one rule of the leaderboard, ``convergence.csv`` and the
    findings."""
    if diverged is None or diverged.empty:
        return arms
    if arms is None:
        arms = pd.DataFrame(columns=ARM_COLUMNS)
    arms = pd.concat([arms, _unpaired_arms(arms, diverged)], ignore_index=True) if len(arms) else \
        _unpaired_arms(arms, diverged)
    col = _text
    kind = col(arms, "weights_kind").replace("", "none")
    seeds: dict[str, dict[int, set[int]]] = {"run": {}, "check": {}}
    for (setting, task, loss, k, v, side), g in diverged.groupby(DIVERGED_COLUMNS[:5] + ["side"], sort=False):
        hit = (col(arms, "task") == task) & (col(arms, "loss") == loss) & (kind == (k or "none"))
        if setting and "setting" in arms.columns:
            hit &= col(arms, "setting") == setting
        if v:
            hit &= col(arms, "loss_version").isin({v, ""})
        for i in arms.index[hit]:
            seeds[side].setdefault(i, set()).update(int(x) for x in g["seed"])
    out = arms.copy()
    for side, column in (("run", "diverged_runs"), ("check", "diverged_checks")):
        have = col(out, column)
        out[column] = [("; ".join(map(str, sorted(seeds[side][i]))) if i in seeds[side] else h)
                       for i, h in zip(out.index, have)]
    runs, mended = out["diverged_runs"] != "", out["diverged_checks"] != ""
    status = out["status"].where(~runs, DECLINING).where(~mended, IMPROVING)
    out["status"] = status.where(~(runs & mended), UNCLEAR)
    return out


def _unpaired_arms(arms: pd.DataFrame, diverged: pd.DataFrame) -> pd.DataFrame:
    """:data:`ARM_COLUMNS` rows (status not checked, no gain) for each arm and metric of ``diverged`` that ``arms``
    has no row of: the arms of :func:`with_divergences` whose every seed lacks a budget gain."""
    from benchmark.runstats import practical_margin

    # an arm of another setting is another arm: a seed of setting B with no row there gets one though A has the arm
    have = set(zip(_text(arms, "setting"), _text(arms, "task"), _text(arms, "loss"),
                   _text(arms, "weights_kind").replace("", "none"), _text(arms, "loss_version")))
    rows = {}
    for r in diverged.itertuples(index=False):
        key = (str(r.task), str(r.loss), str(r.weights_kind or "none"), str(r.loss_version))
        if any((not r.setting or h[0] == r.setting) and h[1:4] == key[:3] and (h[4] == key[3] or not h[4]
                                                                               or not key[3]) for h in have):
            continue  # its arm has a row (a diverged run recording no setting: in any setting)
        for m in (p.strip() for p in str(r.metrics).split(";") if p.strip()):
            rows[(r.setting, *key, m)] = {"setting": r.setting, "task": key[0], "loss": key[1],
                                          "weights_kind": key[2], "loss_version": key[3], "metric": m, "runs": 0,
                                          "gain": math.nan, "low": math.nan, "high": math.nan,
                                          "margin": practical_margin(m), "status": NOT_CHECKED, "df": math.nan,
                                          "diverged_runs": "", "diverged_checks": ""}
    return pd.DataFrame(list(rows.values()), columns=ARM_COLUMNS)


def diverged_text(runs, checks, its: tuple[int, int] | None = None) -> str:
    """What a note says of an arm's seeds whose run diverged while its budget check finished (``runs``) and whose
    check diverged while its run finished (``checks``): seeds as ints, or as :data:`ARM_COLUMNS`' ``"; "``-joined
    text; ``its``: (the full budget's iterations, the check's), None: unknown. "" where there are none."""
    from benchmark.docmarkup import agree

    def seeds(x) -> list[str]:
        return [p.strip() for p in x.split(";") if p.strip()] if isinstance(x, str) else [str(v) for v in (x or ())]

    parts = []
    for which, own, other in (("run", "run", "budget check"), ("check", "budget check", "run")):
        got = seeds(runs if which == "run" else checks)
        if not got:
            continue
        n = len(got)
        s, whose = agree(n, "", "s"), agree(n, "its", "their")
        if its:
            at = {"run": f"{its[0]}-iteration run{s}", "budget check": f"budget check{s} at {its[1]}"}
        else:
            at = {"run": f"run{s} at the full budget", "budget check": f"budget check{s} at half of it"}
            if which == "check":
                at = {"budget check": f"budget check{s} at half the budget", "run": f"run{s} at the full one"}
        parts.append(f"seed{s} {', '.join(got)} diverged in {whose} {at[own]}, {whose} {at[other]} finished")
    return "; ".join(parts)


def arm_rows(arms: pd.DataFrame, task: str, loss: str, weights_kind: str | None = None,
             loss_version: str | None = None) -> pd.DataFrame:
    """The rows of ``arms`` (:func:`arm_budget`) of (task, loss) — of one kind of weights and one version
    when ``weights_kind`` / ``loss_version`` are given (a leaderboard row: two kinds of weights of one loss
    are two rows, each converged or not on its own budget checks), else of every kind and version together."""
    if arms is None or arms.empty:
        return arms.iloc[0:0] if arms is not None else pd.DataFrame(columns=ARM_COLUMNS)
    keep = (arms["task"] == task) & (arms["loss"] == loss)
    for col, want in (("weights_kind", weights_kind), ("loss_version", loss_version)):
        if want is not None and col in arms.columns:
            have = arms[col].astype("string").fillna("").astype(str)
            # "none"/"" both mean no weights (rows of older stores leave the column empty)
            keep &= have.isin({want, "", "none"} if want in ("", "none") else {want})
    return arms[keep]


#: what a note adds to an arm's gain where one seed has it: unclear for want of seeds, whatever the gain (a gain of
#: +0.00 dB, well within the margin, read "unclear" with no word why: tests/test_probe_verdicts25.py)
ONE_SEED = "one seed: no spread to test its gain against the margin"


def one_seed_text(runs) -> str:
    """``"; "`` + :data:`ONE_SEED` where an arm's gain rests on ``runs`` < 2 seeds (its status is unclear whatever the
    gain, :func:`classify`), "" otherwise (or where ``runs`` is unknown)."""
    try:
        return f"; {ONE_SEED}" if 0 < int(runs) < 2 else ""
    except (TypeError, ValueError):
        return ""


def moved_text(metric: str, higher: bool, gain) -> str:
    """``"; lower is better: lpips fell"`` (or ``rose``) after a budget gain of a lower-is-better ``metric``: the gain
    is signed positive = better, so "still improving on lpips (+0.0494)" read as an lpips risen by 0.05
    (tests/test_probe_verdicts25.py); "" where higher is better or the gain is 0 or not finite."""
    try:
        g = float(gain)
    except (TypeError, ValueError):
        return ""
    if higher or not math.isfinite(g) or g == 0:
        return ""
    return f"; lower is better: {metric} {'fell' if g > 0 else 'rose'}"


def gain_aside(metric: str, higher: bool, gain, runs, status: str) -> str:
    """What a note adds after an arm's budget ``gain`` on ``metric`` — :func:`moved_text` (which way a lower-is-better
    metric moved), then :func:`one_seed_text` where the ``status`` is unclear on ``runs`` < 2 seeds: one rule for the
    board's note (:func:`benchmark.export.convergence_notes`) and a findings part
    (:meth:`benchmark.findings.Results.convergence_why`), which composed it each on its own."""
    return moved_text(metric, higher, gain) + (one_seed_text(runs) if status == UNCLEAR else "")


def family_statuses(rows: pd.DataFrame, level: float = LEVEL) -> list[str]:
    """The statuses of an arm's ``rows`` (:func:`arm_budget`, one per metric) as claims about the arm: a
    direction (still improving, worse with more budget) on any one of its M metrics is one of M chances, so
    each row's bounds are widened to the Bonferroni level ``1 − (1 − level)/M`` (Student's t over its runs,
    the same SE) before it may claim one; other statuses stand. Three independent metrics of a converged arm
    took "still improving" from whichever said so, 15.5 % of the time at a nominal 5 %
    (tests/test_probe_regimes8.py)."""
    from scipy.special import stdtrit

    k = len(rows)
    out = []
    for r in rows.itertuples(index=False):
        status, n = r.status, int(r.runs)
        # a status set by a seed that diverged at one budget and finished at the other (with_divergences) is no
        # bounds' claim to widen, even where the bounds happen to say the same
        if status in (IMPROVING, DECLINING) and k > 1 and n >= 2 and classify(n, r.low, r.high, r.margin) == status \
                and not _diverged(r):
            df = float(getattr(r, "df", n - 1))
            df = df if math.isfinite(df) else float(n - 1)  # the bounds' own degrees of freedom (gain_stats)
            t_one, t_all = float(stdtrit(df, level)), float(stdtrit(df, 1 - (1 - level) / k))
            se = (float(r.gain) - float(r.low)) / t_one
            status = classify(n, float(r.gain) - t_all * se, float(r.gain) + t_all * se, float(r.margin))
        out.append(status)
    return out


def arm_status(arms: pd.DataFrame, task: str, loss: str, metric: str | None = None, weights_kind: str | None = None,
               loss_version: str | None = None) -> str:
    """The status of arm (task, loss — of one kind of weights and version when ``weights_kind`` /
    ``loss_version`` are given, :func:`arm_rows`, else every kind and version of that loss together) on
    ``metric``, or overall (converged on every metric with a margin; else still improving if it is on one,
    worse with more budget if on one, at the Bonferroni level over its metrics, :func:`family_statuses`; else
    unclear); :data:`NOT_CHECKED` without checks."""
    if arms is None or arms.empty:
        return NOT_CHECKED
    a = arm_rows(arms, task, loss, weights_kind, loss_version)
    if metric is not None:
        a = a[a["metric"] == metric]
    if a.empty:
        return NOT_CHECKED
    st = set(a["status"])
    if st == {CONVERGED}:
        return CONVERGED
    if metric is None and len(a) > 1:
        st = set(family_statuses(a))
    for s in (IMPROVING, DECLINING):
        if s in st:
            return s
    if st <= {NOT_CHECKED}:
        return NOT_CHECKED
    return UNCLEAR


def change_p(half, end, margin: float) -> float:
    """The p of "the effect changed sign between ½ budget and the end" (:func:`effect_moved`): ``half``, ``end``: (S,)
    per-seed effects A − B, or (S, I) per seed and test image (either sign convention, the same for both), paired by
    seed (and image; NaN: left out — the seeds or the images not finite in both, whichever keeps more,
    :func:`complete_grid`). 1 when their means do not have opposite signs, when the change ``end − half`` is not
    larger than ``margin`` (inf: none to pass) or with fewer than 2 seeds; else the two-sided t test's p of the
    change: paired over the seeds, and with (S, I) over seeds and images (:func:`benchmark.runstats.two_level_se`:
    the seeds share the test images, so a loss × image × budget effect is in every seed's change alike — with 4
    images the seeds' spread alone took their mean change for a shown one in ≈ 18 % of equal losses). 0 when every
    seed (and image) changed by the same non-zero amount: a definite move."""
    from scipy.special import stdtr

    from benchmark.runstats import mean_se

    h, e = _both_finite(half, end)
    if h.size == 0 or len(h) < 2 or not float(h.mean()) * float(e.mean()) < 0:
        return 1.0
    d = e - h
    change = float(d.mean())
    if math.isfinite(margin) and not abs(change) > margin:
        return 1.0
    if not float(np.abs(d - change).max()) > 1e-12 * float(np.abs(d).max()):  # the same change everywhere
        return 0.0 if change != 0 else 1.0
    se, df = mean_se(d)
    if not se > 0:
        return 0.0
    return float(2 * stdtr(df, -abs(change) / se))


def _both_finite(half, end) -> tuple[np.ndarray, np.ndarray]:
    """``half``, ``end`` (S,) or (S, I) on the seeds (and images) finite in both (:func:`complete_grid`; one
    image left: (S,))."""
    h, e = np.asarray(half, float), np.asarray(end, float)
    if h.ndim == 2:
        runs, items = complete_grid(np.isfinite(h) & np.isfinite(e))
        h, e = h[runs][:, items], e[runs][:, items]
        if h.shape[1] == 1:
            h, e = h[:, 0], e[:, 0]
        return h, e
    ok = np.isfinite(h) & np.isfinite(e)
    return h[ok], e[ok]


def end_reversed(half, end, level: float = LEVEL) -> bool:
    """Whether the end effect is itself shown on the side opposite the ½-budget one: ``half``, ``end`` as for
    :func:`change_p`; a one-sided t test at ``level`` of the end's mean against 0, in the direction opposite
    the ½-budget mean (SE over the seeds, and with (S, I) over seeds and images,
    :func:`benchmark.runstats.two_level_se`; no spread: any non-zero end effect). False with fewer than 2 seeds."""
    from scipy.special import stdtrit

    from benchmark.runstats import mean_se

    h, e = _both_finite(half, end)
    if h.size == 0 or len(h) < 2:
        return False
    side = -np.sign(float(h.mean()))
    m = side * float(e.mean())
    if not m > 0:
        return False
    se, df = mean_se(e)
    if not se > 0:
        return True
    return m / se > float(stdtrit(df, level))


#: how runs never scored with a metric get scored (there is no `plbench evaluate`): a run re-scores a finished run
#: lacking a metric asked for from its saved net (:func:`benchmark.runner.run_grid`); said by findings and the
#: leaderboard's convergence note
SCORE_AGAIN = "the same `plbench run` with the metric in --metrics scores its finished runs without training them"


def no_margin_text(metrics) -> str:
    """What the leaderboard's converged note and a findings part on such a metric say of ``metrics`` without a practical
    margin (vif, mad): :func:`arm_budget` leaves them out of every arm's check, so "converged" does not cover them."""
    return (f"{', '.join(metrics)} not checked for convergence (no practical margin registered: "
            "benchmark.runstats.PRACTICAL_MARGINS)")


def effect_change_note(half, end, margin: float, level: float = LEVEL) -> str:
    """The sentence a findings part gets for an effect that moved across 0 between ½ budget and the end
    (:func:`effect_moved` at the two-sided ``1 − level``), empty when it did not. It claims a sign change
    ("the effect changes sign ...") only when the end effect is itself shown on the other side
    (:func:`end_reversed`); a clear +0.3 at ½ budget that fell to −0.01 was **lost** by the end — the change is
    shown, the opposite end effect is not. ``half``, ``end``: as for :func:`change_p` (signed, positive = A
    better); the figures are their means over the seeds and images both have."""
    if not effect_moved(half, end, margin, level):
        return ""
    h, e = _both_finite(half, end)
    e_half, e_end = float(h.mean()), float(e.mean())
    shown = "a change shown over the seeds and test images"
    if end_reversed(half, end, level):
        return (f"the effect changes sign between ½ budget ({e_half:+.3g}) and the end ({e_end:+.3g}): {shown}, "
                "the end effect shown on the other side")
    return (f"the effect was lost between ½ budget ({e_half:+.3g}) and the end ({e_end:+.3g}): {shown}, "
            "the end effect not shown on the other side")


def effect_moved(half, end, margin: float, level: float = 0.95) -> bool:
    """Whether a comparison's effect crossed 0 between ½ budget and the end, as a claim (a sign change only when
    :func:`end_reversed` too; else the effect "was lost", :func:`effect_change_note`): ``half`` and
    ``end``: (S,) the per-seed effects A − B (signed, positive = A better) at ½ budget and at the full
    budget, paired by seed, or (S, I) per seed and test image: the change's SE over both (NaN: left out).
    True when their means have opposite signs **and** the change ``end − half`` is shown over the seeds
    (and images) — a two-sided t test at ``1 − level`` (with no spread: any change) — **and** is larger
    than ``margin`` (the metric's practical margin; inf: no margin to pass) (:func:`change_p`). Two equal
    losses give two noisy estimates of 0 whose signs differ half the time: on those point estimates alone
    ≈ 40 % of such parts were called unsettled and never tested (tests/test_probe_regimes8.py). False
    with fewer than 2 seeds (nothing to test)."""
    return change_p(half, end, margin) < 1 - level


def kendall_tau(x, y) -> float:
    """Kendall's τ-b of two score vectors (NaN with fewer than 3 pairs)."""
    from scipy.stats import kendalltau

    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3:
        return math.nan
    return float(kendalltau(x[ok], y[ok]).statistic)


def budget_stability(gains: pd.DataFrame, level: float = LEVEL) -> pd.DataFrame:
    """Per (task, metric): Kendall τ between the losses' mean scores at ½ budget and at the full
    budget (the seeds and images both have), the number of losses, and ``moved``: the pairs of losses
    whose means change order between the two — their effect crosses 0 by a change shown over the seeds (and
    the test images, with ``gains`` per image: :func:`budget_gains` ``per_item=True``) and larger than the
    metric's practical margin (:func:`change_p`), Holm over every pair and metric of the task at
    ``1 − level``; ``reversed``: those of them whose end effect is itself shown on the other side
    (:func:`end_reversed`) — a pair 0.3 dB apart at ½ budget and level at the end moved, but did not change
    order. τ is descriptive: tied losses' orders at the two budgets are two draws of noise (τ ≈ 0.3
    for four equal, converged losses), so "the ranking still moves" rests on ``moved``, not on τ.
    ``moved_pairs``/``reversed_pairs``: those pairs, as tuples of the two losses' labels (``("good", "l1")``): one
    pair of losses moves on several metrics, counted once per task where the task is said (its ``moved`` summed
    over the metrics read 6 pairs of 4 losses where one loss overtook two on 3 metrics, tests/test_probe_verdicts20.py).
    Columns: task, metric, tau, losses, moved, reversed, moved_pairs, reversed_pairs."""
    from benchmark.runstats import holm, practical_margin

    out = []
    arm = ["loss", "weights_kind", "loss_version"]
    per_item = "item" in gains.columns
    label = _arm_labeller(gains)  # as the leaderboard labels an arm (its version where several)
    for task, gt in gains.groupby("task", sort=True):
        rows, ps, owner, flips, named = [], [], [], [], []
        names: dict = {}  # each arm's label, once per task: not once per pair and metric
        for metric, g in gt.groupby("metric", sort=True):
            means = run_gains(g).groupby(arm)[["check", "final"]].mean()
            rows.append({"task": task, "metric": metric, "tau": kendall_tau(means["check"], means["final"]),
                         "losses": len(means), "moved": 0, "reversed": 0, "moved_pairs": (),
                         "reversed_pairs": ()})
            # per arm: (seeds × images) — or (seeds,) — of its scores at ½ budget and at the end
            wide = {k: {col: (a.pivot_table(index="seed", columns="item", values=col, aggfunc="mean")
                              if per_item else a.groupby("seed")[col].mean()) for col in ("check", "final")}
                    for k, a in g.groupby(arm, sort=True)}
            keys, margin = list(wide), practical_margin(str(metric))
            for k in keys:
                if k not in names:
                    names[k] = label(task, *k)
            for i, a in enumerate(keys):
                for b in keys[i + 1:]:
                    half, end = (_paired(wide[a][col], wide[b][col]) for col in ("check", "final"))
                    ps.append(change_p(half, end, margin))
                    flips.append(end_reversed(half, end, level))
                    owner.append(len(rows) - 1)
                    named.append((names[a], names[b]))
        if ps:
            for k, pa, flip, pair in zip(owner, holm(np.array(ps, float)), flips, named):
                rows[k]["moved"] += int(pa < 1 - level)
                rows[k]["reversed"] += int(pa < 1 - level and flip)
                if pa < 1 - level:
                    rows[k]["moved_pairs"] += (pair,)
                    if flip:
                        rows[k]["reversed_pairs"] += (pair,)
        out += rows
    return pd.DataFrame(out, columns=["task", "metric", "tau", "losses", "moved", "reversed", "moved_pairs",
                                      "reversed_pairs"])


def _paired(a, b) -> np.ndarray:
    """``a − b`` of two (seeds,) Series or (seeds × images) frames on the seeds (and images) both have."""
    seeds = a.index.intersection(b.index)
    if isinstance(a, pd.DataFrame):
        items = a.columns.intersection(b.columns)
        return a.loc[seeds, items].to_numpy(float) - b.loc[seeds, items].to_numpy(float)
    return a.loc[seeds].to_numpy(float) - b.loc[seeds].to_numpy(float)
