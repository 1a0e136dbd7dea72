"""Verdicts, second pass: the family each mark is corrected over, unequal seed sets, matched images,
and whether every printed verdict follows from the statistics at the α it states. Null tables
(every loss identical in distribution) count how often *any* verdict of a kind appears in a whole
table: at most the α the output states, up to binomial slack."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmark import stats as S
from benchmark.synthetic import synthetic_table

FIVE = tuple(range(5))


def _null_table(rng, tasks: int = 3, metrics: int = 3, k: int = 4, runs: int = 5, images: int = 10) -> list[S.Block]:
    """The blocks of one leaderboard of ``k`` equally good losses on ``tasks`` tasks × ``metrics`` metrics:
    shared image difficulty, a run-to-run shift shared by the run's metrics (the level that dominates
    short CPU runs) and image×run noise."""
    labels = ["l1"] + [f"x{i}" for i in range(k - 1)]
    out = []
    for t in range(tasks):
        run = rng.normal(0, 0.3, (k, runs, 1))
        for m in range(metrics):
            v = rng.normal(0, 1, images)[None, None, :] + run + rng.normal(0, 0.15, (k, runs, images))
            out.append(S.Block(f"t{t}", f"m{m}", True, labels, labels, np.arange(runs),
                               [f"i{i}" for i in range(images)], v))
    return out


@pytest.mark.slow
def test_no_mark_anywhere_in_a_null_table_beyond_alpha():
    """One leaderboard shows every task, but ▲/▼ were Holm-corrected per task: on null tables of 4 tasks
    × 2 metrics × 4 losses, some ▲/▼ appeared in 39 of these 300 tables (13 %) at α = 5 %, the per-task
    family recomputed from the same p-values. Now the family is every comparison with the baseline in the
    table: at most α (P(≥ 25/300 | 5 %) < 0.01)."""
    rng = np.random.default_rng(1)
    marked = per_task = unbold = 0
    for _ in range(300):
        c = S.cell_table(_null_table(rng, tasks=4, metrics=2), n_boot=10)
        marked += bool(c["vs_base"].isin([1.0, -1.0]).any())
        per_task += any((S.holm(g["p_base"].to_numpy()) < 0.05).any() for _, g in c.groupby("task"))
        unbold += bool(~c.loc[c["label"] != S.INPUT, "top_group"].all())
    assert marked <= 24, marked
    assert per_task >= 25, per_task  # the old family on the same tables: above α
    # bold is one family per column (each holds α: tests/test_probe_stats.py), so across 8 columns some loss
    # is left out of bold in more than α of null tables — what the significance note says
    assert unbold >= 25, unbold


def test_the_legend_names_the_family_of_the_marks():
    """The ▲/▼ family is the whole table, and every export's legend says so with its size."""
    from benchmark.export import html_report, latex, markdown, notes, task_rows

    t = synthetic_table(tasks=("denoise", "sr4"), offsets={"l1": 0.0, "good": 1.0, "twin": 0.0}, seeds=FIVE,
                        metrics=("psnr", "ssim"))
    st = S.compute(t, n_boot=50)
    c = st.cells
    tested = c["p_base"].notna()
    assert tested.sum() == 8  # 2 tasks × 2 metrics × 2 losses against l1
    np.testing.assert_allclose(c.loc[tested, "p_base_adj"], S.holm(c.loc[tested, "p_base"].to_numpy()))
    family = "Holm over the 8 comparisons with the baseline in this leaderboard, every task, metric and loss; α = 0.05"
    assert family in markdown(st)
    assert family in html_report(st, {})
    assert family.split(";")[0] in latex(st)  # LaTeX writes α its own way
    _, rows = task_rows(st, "denoise")  # the HTML cell's tooltip names the family too
    assert "p vs l1 (Holm over the table)" in rows[1].cells[0].title
    assert "p worse than another (Holm over the column's pairs)" in rows[1].cells[0].title
    (sig,) = [n for n in notes(st) if n.startswith("Significance:")]
    assert "▲/▼ are one family, the whole table (8 comparisons with `l1`)" in sig
    assert ("bold is one family per (task, metric) column (3 pairs each, 4 columns): each column holds α on its own, "
            "so across the columns a table of equal losses leaves some loss out of bold somewhere more often than α"
            in sig)


def test_compare_worse_than_and_top_group_are_one_family():
    """``plbench compare`` printed "top group: yes" beside "significantly worse than a, b, c, l1" in the same
    row: its wins/losses were Holm-corrected over the new loss × metric family (4 tests here), the top group
    over the column's pairs (10). Now both read the same tests: worse than someone ⇔ out of the top group."""
    from benchmark.compare import _pairwise

    t = synthetic_table(offsets={"l1": 0.0, "a": 0.0, "b": 0.0, "c": 0.0, "new": -0.5}, seeds=FIVE,
                        metrics=("psnr",), n_images=10, seed=52, seed_sd=0.2)
    st = S.compute(t, n_boot=20)
    c = st.cells.set_index("label")
    for label in ("new", "l1", "a", "b", "c"):
        wins, losses = _pairwise(st, label, 0.05)
        assert bool(losses.get("psnr")) == (not c.loc[label, "top_group"]), (label, losses, c.loc[label, "top_group"])
        for other in wins.get("psnr", []):  # a win is the other's loss, from the same test
            assert label in _pairwise(st, other, 0.05)[1]["psnr"]


def _unequal_seeds() -> pd.DataFrame:
    """ℓ1 on seeds 0–4; ``new`` on seeds 0–9, better than ℓ1 on the five it shares with it and far worse on
    the five it does not: its mean is below ℓ1's, its paired test (seeds 0–4) says better."""
    t = synthetic_table(offsets={"l1": 0.0, "new": 1.0}, seeds=FIVE, metrics=("psnr",), n_images=10, seed_sd=0.1)
    late = synthetic_table(offsets={"l1": 0.0, "new": -3.0}, seeds=tuple(range(5, 10)), metrics=("psnr",),
                           n_images=10, seed_sd=0.1)
    late = late[late["loss"] == "new"].assign(run_id=lambda d: d["run_id"] + "-late")
    return pd.concat([t, late], ignore_index=True)


def test_means_over_other_seeds_than_the_tests_are_said():
    """A loss run on more seeds than the baseline: its cell mean used all 10 runs, its ▲ only the 5 seeds it
    shares with ℓ1 — a ▲ beside a lower mean, and nothing said. Now a note names each loss's seeds and the
    mark that points against the means."""
    from benchmark.export import markdown, notes

    st = S.compute(_unequal_seeds(), n_boot=20)
    c = st.cells.set_index("label")
    assert c.loc["new", "n_seeds"] == 10 and c.loc["l1", "n_seeds"] == 5
    assert c.loc["new", "mean"] < c.loc["l1", "mean"] and c.loc["new", "vs_base"] == 1.0  # the case itself
    said = [n for n in notes(st) if n.startswith("Losses run on different seeds")]
    assert len(said) == 1, notes(st)
    assert "l1 seeds 0–4 (5)" in said[0] and "new seeds 0–9 (10)" in said[0]
    assert "denoise/psnr: new ▲ although its mean is below `l1`'s" in said[0]
    assert said[0] in markdown(st)
    (best,) = [n for n in notes(st) if n.startswith("Best mean but not bold")]  # ℓ1: best mean, out of bold
    assert "see the note on losses run on different seeds" in best and "images" not in best
    same = S.compute(synthetic_table(offsets={"l1": 0.0, "new": 0.0}, seeds=FIVE, metrics=("psnr",)), n_boot=20)
    assert not any(n.startswith("Losses run on different seeds") for n in notes(same))


def test_a_loss_unscored_on_its_hardest_image_is_ranked_on_the_same_images():
    """Two equal losses; the metric cannot score ``other``'s output on the hardest test image (NaN, every
    seed). Its cell averaged the 29 easier images while ℓ1's had all 30: it ranked first by ≈ 0.1 dB that is
    only the missing image. Now every cell of the column is over the images every run has a score for, and
    the note says so."""
    from benchmark.export import notes

    t = synthetic_table(offsets={"l1": 0.0, "other": 0.0}, seeds=FIVE, metrics=("psnr", "ssim"), noise=0.02)
    psnr = t["metric"] == "psnr"
    hardest = t[psnr].groupby("image")["value"].mean().idxmin()
    t.loc[psnr & (t["loss"] == "other") & (t["image"] == hardest), "value"] = np.nan
    st = S.compute(t, n_boot=20)
    c = st.cells.set_index(["label", "metric"])
    common = t[psnr & (t["image"] != hardest)]
    for label in ("l1", "other", "input"):
        runs = common[common["loss"] == label].groupby("run_id")["value"].mean()
        assert np.isclose(c.loc[(label, "psnr"), "mean"], runs.mean()), label
        assert c.loc[(label, "psnr"), "n_images"] == 29, label
    assert abs(c.loc[("other", "psnr"), "mean"] - c.loc[("l1", "psnr"), "mean"]) < 0.02  # equal losses, same images
    assert c.loc[("l1", "ssim"), "n_images"] == 30  # the other metric keeps every image
    (said,) = [n for n in notes(st) if n.startswith("Non-finite")]
    assert "denoise/psnr (every loss on the 29 of 30 images) — other: 5 (NaN)" in said
    from benchmark.report import leaderboard

    board = leaderboard(t)["denoise"]  # leaderboard.png's numbers: the same cells
    for label in ("l1", "other", "input"):
        assert np.isclose(board.loc[label, "psnr"], c.loc[(label, "psnr"), "mean"]), label


def _worse_by_the_margin(rng, tasks: int = 8, runs: int = 5, n_images: int = 10, margins: float = 1.0) -> pd.DataFrame:
    """Arms ``a`` and ``b`` on ``tasks`` tasks where a is worse than b by exactly PSNR's practical margin
    (0.05 dB; ``margins`` times it): "a is worse than b by more than the smallest effect of interest" is
    false on every task (at ``margins`` = 1)."""
    from benchmark.runstats import practical_margin

    rows = []
    for t in range(tasks):
        base = rng.normal(30, 1, n_images)
        for loss, off in (("a", -margins * practical_margin("psnr")), ("b", 0.0)):
            for s in range(runs):
                v = base + off + rng.normal(0, 0.05) + rng.normal(0, 0.05, n_images)
                rows += [dict(task=f"t{t}", loss=loss, seed=s, weights="none", dataset="d", image=f"im{i}",
                              metric="psnr", higher_is_better=True, value=float(x)) for i, x in enumerate(v)]
    return pd.DataFrame(rows)


def _better_claim():
    from benchmark.findings import Comparison, Finding

    class Claim(Finding):
        claim = "a > b"

        def comparisons(self, res):
            for task in res.tasks():
                yield Comparison(task, "psnr", res.arm(task, "a"), res.arm(task, "b"), "better")

    return Claim()


def _old_contradiction(p) -> bool:
    """The rule before: Holm on the test against 0, then the *unadjusted* 95 % CI below −margin."""
    return p.p_adj < 0.05 and p.ci_high < -p.practical


def test_a_part_is_contradicted_only_at_the_stated_family():
    """A part of a "better" claim was contradicted ("worse by more than the smallest effect of interest") when
    its Holm-adjusted p against 0 was < α and its *unadjusted* 95 % CI lay below −margin: the contradiction
    itself was never corrected for the finding's other parts. Here a is worse by exactly the margin on 8
    tasks, and task t4 was called contradicted; its test of "worse by the margin", Holm over the 8 parts, has
    p ≈ 0.09. Now a contradiction needs that adjusted p < α."""
    from benchmark.findings import Results, check

    r = check(_better_claim(), Results(_worse_by_the_margin(np.random.default_rng(6))))
    (t4,) = [p for p in r.parts if p.task == "t4"]
    assert _old_contradiction(t4)  # the case: what the old rule called contradicted
    np.testing.assert_allclose([p.p_worse_adj for p in r.parts], S.holm(np.array([p.p_worse for p in r.parts])))
    assert t4.p_worse_adj >= 0.05 and t4.verdict == "inconclusive"
    assert not any(p.verdict == "contradicted" for p in r.parts) and r.verdict == "inconclusive"


@pytest.mark.slow
def test_contradictions_hold_alpha_at_the_margin():
    """On 100 tables where a is worse than b by exactly the margin on 8 tasks, the old rule showed some
    contradicted part in ≈ 18 % (measured 36/200) and the finding's verdict was "contradicted" in 17/200;
    now at most α (P(≥ 11/100 | 5 %) ≈ 0.01)."""
    from benchmark.findings import Results, check

    rng = np.random.default_rng(0)
    now = finding = old = 0
    for _ in range(100):
        r = check(_better_claim(), Results(_worse_by_the_margin(rng)))
        now += any(p.verdict == "contradicted" for p in r.parts)
        finding += r.verdict in ("contradicted", "mixed")
        old += any(_old_contradiction(p) for p in r.parts)
    assert now <= 10 and finding <= 10, (now, finding)
    assert old >= 11, old


def _parts(rng, tasks: int, metrics: int, runs: int = 5, images: int = 10):
    """Parts of a claim with a true effect of −1 margin everywhere: per task, the arms' run shifts are shared
    by the task's metrics (they score the same runs), the image×run noise is not."""
    import math

    from benchmark.findings import Part
    from benchmark.runstats import compare_runs

    out = []
    for t in range(tasks):
        ra, rb = rng.normal(0, 1, (runs, 1)), rng.normal(0, 1, (runs, 1))
        for m in range(metrics):
            base = rng.normal(0, 3, images)
            r = compare_runs(base - 1.0 + ra + rng.normal(0, 1, (runs, images)),
                             base + rb + rng.normal(0, 1, (runs, images)))
            out.append(Part(task=f"t{t}", metric=f"m{m}", a="a", b="b", relation="better", effect=r.effect,
                            ci_low=r.ci_low, ci_high=r.ci_high, dz=math.nan, p=r.p, p_adj=r.p, margin=0.0,
                            n_images=images, seeds_a=runs, seeds_b=runs, circular=False, counted=True,
                            n_runs=r.n_runs, se=r.se, practical=1.0))
    return out


def test_the_pooled_interval_covers_at_its_stated_level():
    """The pooled effect's "95 %" CI weighted each part by its own 5-run SE (inverse variance) and took the
    normal quantile, as if the parts were independent: it missed the true pooled effect in 64 of these 300
    8-task tables and 98 of 300 1-task × 3-metric ones (the metrics score the same runs). Now every part
    weighs the same, a task's parts count as correlated, and the quantile is Student's t: at most 5 %."""
    import math

    from scipy.stats import norm

    from benchmark.findings import pooled

    def old(parts):  # the interval before, for the comparison
        e = np.array([p.effect for p in parts])
        w = 1 / np.array([p.se for p in parts]) ** 2
        est, se = (w * e).sum() / w.sum(), 1 / math.sqrt(w.sum())
        return est - norm.ppf(0.975) * se, est + norm.ppf(0.975) * se

    rng = np.random.default_rng(0)
    for tasks, metrics in ((8, 1), (1, 3)):
        miss = miss_old = 0
        for _ in range(300):
            parts = _parts(rng, tasks, metrics)
            _, lo, hi = pooled(parts)
            miss += not lo <= -1.0 <= hi
            lo, hi = old(parts)
            miss_old += not lo <= -1.0 <= hi
        assert miss <= 23, (tasks, metrics, miss)       # P(≥ 24/300 | 5 %) < 0.02
        assert miss_old >= 30, (tasks, metrics, miss_old)


def test_a_small_mark_is_called_too_small_only_when_its_interval_says_so():
    """A ▲ of +0.0497 dB (95 % CI [+0.035, +0.064]) was listed as "a real difference, too small to matter":
    the estimate is below PSNR's 0.05 dB margin, but the interval reaches past it, so nothing shows it too
    small. Now such a mark is said to be open, with its CI; one whose whole CI is within the margin keeps the
    old sentence."""
    from benchmark.export import small_marks_text

    t = synthetic_table(offsets={"l1": 0.0, "tiny": 0.022}, seeds=FIVE, metrics=("psnr",), noise=0.02,
                        seed_sd=0.006, seed=3)
    st = S.compute(t, n_boot=20)
    c = st.cells.set_index("label").loc["tiny"]
    assert c["vs_base"] == 1 and c["diff_vs_base"] < 0.05 < c["diff_ci_high"]  # the case
    said = small_marks_text(st)
    assert "too small to matter" not in said
    # the CI as the cells give it ([+0.035, +0.064] when written; its upper end moved with the paired test's
    # degrees of freedom, tests/test_probe_verdicts10.py): the sentence prints the interval, not a fixed one
    assert f"denoise/psnr: tiny ▲ +0.05 [{c['diff_ci_low']:+.2g}, {c['diff_ci_high']:+.2g}] vs `l1` (margin 0.05)" \
        in said, said
    assert "whether it is large enough to matter is not shown" in said
    quiet = S.compute(synthetic_table(offsets={"l1": 0.0, "tiny": 0.005}, seeds=FIVE, metrics=("psnr",),
                                      noise=0.001), n_boot=20)
    assert "too small to matter" in small_marks_text(quiet) and "not shown" not in small_marks_text(quiet)


@pytest.mark.usefixtures("no_report_figures")  # the text is checked, not compare's P–D plane
def test_compare_says_dominated_only_as_far_as_the_tests_go(tmp_path):
    """``plbench compare`` printed "dominated" for a new loss whose means trailed an equal loss's by noise on
    both axes, while its own table said it was significantly worse than no one: the front is drawn through
    the means. Now it says whether any loss is significantly better on both axes."""
    from benchmark.compare import _summary
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "twin": 0.0, "new": 0.0, "bad": -2.0}, seeds=FIVE,
                        metrics=("psnr", "lpips"), n_images=8, budget_check=False, seed_sd=0.2, seed=4)
    group = [m for m in store.metas() if m.get("config")]
    text, _ = _summary(store, {"denoise": group}, ["new", "bad"], {"denoise": []}, 0.05, 20, "l1", ("png",))
    planes = [line for line in text.splitlines() if line.startswith("Perception–distortion plane")]
    assert len(planes) == 2, text
    bad, new = planes  # the new losses in label order
    assert "significantly dominated by l1, new, twin (better on psnr and on lpips)" in bad, bad
    assert "dominated by the means of twin, not significantly (no loss is significantly better on both psnr and " \
           "lpips)" in new, new


def _calibration_text(false: int, n: int, alpha: float = 0.05) -> str:
    """The header and simulated-null lines ``plbench calibrate`` prints for ``false`` of ``n`` nulls."""
    from benchmark.calibrate import Calibration, to_text

    comps = pd.DataFrame([{"task": "denoise", "metric": "psnr", "higher": True, "run_sd": 0.1, "image_sd": 1.0,
                           "image_x_run_sd": 0.1, "n_images": 20, "losses": 2, "runs": 10}])
    nulls = pd.DataFrame([{"task": "denoise", "metric": "psnr", "n_nulls": n, "false": false, "rate": false / n}])
    cal = Calibration(comps, nulls, pd.DataFrame(), pd.DataFrame(columns=["task", "metric", "effect", "runs", "power"]),
                      5, "no A/A", alpha=alpha)
    return "\n".join(x for x in to_text(cal).splitlines() if x.startswith(("**Simulated nulls**", "Claim")))


def test_calibrate_calls_a_rate_too_high_only_beyond_the_simulations_noise():
    """``plbench calibrate`` printed "TOO HIGH" for any null rate above 5 % — 12 false verdicts in 200 nulls
    (6 %) included, a count a checker at exactly 5 % gives one time in three. Now TOO HIGH needs the count to
    be significantly above 5 % (binomial), and a count within the noise says so."""
    assert "TOO HIGH" not in _calibration_text(12, 200)
    assert "no more than the simulation's noise" in _calibration_text(12, 200)
    assert "TOO HIGH" in _calibration_text(30, 200)
    assert "(ok)" in _calibration_text(10, 200)


def test_a_contradicted_part_gives_the_p_of_its_contradiction():
    """A contradicted part of a "better" claim showed only p (Holm) of A − B against 0 — not the test that
    makes it a contradiction. Its note and findings.csv now give that test's Holm-adjusted p."""
    from benchmark.findings import Results, check, parts_frame

    r = check(_better_claim(), Results(_worse_by_the_margin(np.random.default_rng(0), tasks=2, margins=10.0)))
    assert [p.verdict for p in r.parts] == ["contradicted", "contradicted"]
    for p in r.parts:
        assert f"worse than B by more than the margin 0.05: p_holm = {p.p_worse_adj:.2g}" in p.note
    np.testing.assert_allclose(parts_frame([r])["p_worse_holm"], [p.p_worse_adj for p in r.parts])
    h = r.headline
    assert f"p_holm (worse by more than 0.05) = {h.p_worse_adj:.2g}" in r.effect_text()


def test_paired_tests_compare_the_same_images_in_every_run():
    """An image missing (non-finite) in one run of one arm is left out of every paired run of that comparison:
    the test equals the one on the table without that image — matched images within each seed and across
    seeds, never a run mean over other images than its partner's."""
    from benchmark.runstats import compare_runs

    rng = np.random.default_rng(2)
    a, b = rng.normal(0, 1, (5, 12)), rng.normal(0, 1, (5, 12))
    holed = a.copy()
    holed[2, 7] = np.nan
    r, ref = compare_runs(holed, b), compare_runs(np.delete(a, 7, axis=1), np.delete(b, 7, axis=1))
    assert r.n_images == 11 and np.isclose(r.effect, ref.effect) and np.isclose(r.p, ref.p)


def test_calibrate_holds_the_checker_to_the_alpha_it_ran_at(tmp_path):
    """``plbench calibrate --alpha 0.01`` ran the checker at 1 % but judged its false-verdict rate against a
    fixed 5 %: 8 false verdicts in 200 nulls (4 %, four times the stated α) read "ok". Now the target is the α
    the checker ran at."""
    from benchmark.calibrate import calibrate

    said = _calibration_text(8, 200, alpha=0.01)
    assert "Target ≤ 1%" in said and "TOO HIGH" in said and "(ok)" not in said
    t = synthetic_table(offsets={"l1": 0.0, "l2": 0.0}, seeds=FIVE, metrics=("psnr",), n_images=6, seed_sd=0.1)
    assert calibrate(t, n_nulls=10, splits=5, aa_sims=0, max_runs=5, alpha=0.01).alpha == 0.01


def test_the_per_test_set_means_average_the_images_the_cells_do():
    """The "By test set" table averaged each loss over its own scored images: with ``other`` unscored on one
    image of set B, its B mean was over fewer (easier or harder) images than ℓ1's, unlike the task table's
    cells. Now it leaves that image out for every loss, as the cells do."""
    from benchmark.export import by_dataset_markdown

    t = synthetic_table(offsets={"l1": 0.0, "other": 0.0}, seeds=FIVE, metrics=("psnr",), n_images=8)
    t["dataset"] = np.where(t["image"].isin(["img0000", "img0001", "img0002", "img0003"]), "A", "B")
    hard = t[(t["dataset"] == "B")].groupby("image")["value"].mean().idxmin()
    t.loc[(t["loss"] == "other") & (t["image"] == hard), "value"] = np.nan
    text = by_dataset_markdown(t, S.compute(t, n_boot=20))
    kept = t[(t["dataset"] == "B") & (t["image"] != hard) & (t["loss"] == "l1")]
    l1_b = kept.groupby("seed")["value"].mean().mean()
    (row,) = [line for line in text.splitlines() if line.startswith("| l1 |")]
    assert f"{l1_b:.2f}" in row.split("|")[-2], (row, l1_b)  # ℓ1's B mean over the same 3 images as other's
