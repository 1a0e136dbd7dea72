"""Probe of verdicts (round 16): the pooled rule at any α, and synthetic stores a demanding user would bring."""

from __future__ import annotations

import html
import warnings

import pandas as pd
import pytest
import scipy.stats  # noqa: F401 (imported once at collection, not in a test's time)

import benchmark.metrics  # noqa: F401 (torch, scipy.stats: imported once at collection, not in a test's time)
import findings.zhao2017_l1_vs_l2 as zhao
from benchmark import calibrate as C
from benchmark.findings import check_all, pooled, to_text
from benchmark.registry import FINDINGS, TASKS
from benchmark.synthetic import synthetic_table

FINDINGS.names(), TASKS.names()  # the registries scanned at collection, not in a test's time


def _zhao(t: pd.DataFrame, alpha: float, metrics=("psnr",)):
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        mp.setattr(zhao, "METRICS", metrics)
        warnings.simplefilter("ignore")
        (r,) = check_all(t, ["zhao2017_l1_vs_l2"], n_boot=20, alpha=alpha)
    return r


def test_at_alpha_a_tenth_a_one_part_finding_is_contradicted_when_its_part_is():
    """Was: the parts were judged at α (a contradiction: worse by the margin, p_holm < α), but the finding's pooled
    rule read the 95 % CI whatever α: at `plbench findings --alpha 0.1` ℓ1 behind ℓ2 by 0.57 dB, its part contradicted
    at p_holm = 0.053, was 'INCONCLUSIVE: contradicted on 1 of 1 part, but the pooled effect's CI [-22.14, -0.77]
    margins is not below −1 margin' — one part, one test, two answers; calibrate's shortcut hid the same by not
    testing such a part. Now the pooled CI is the (1 − α) one: contradicted, and the shortcut agrees."""
    t = synthetic_table(tasks=("sr4",), offsets={"l1": -0.2, "l2": 0.0}, metrics=("psnr",), seeds=range(5),
                        n_images=4, seed=11, seed_sd=0.1)
    r = _zhao(t, 0.1)
    (p,) = r.parts
    assert p.verdict == "contradicted" and 0.05 < p.p_worse_adj < 0.1 and p.ci_high > -0.05, (p.verdict, p.ci_high)
    assert pooled(r.parts)[2] > -1 > pooled(r.parts, 0.1)[2]
    assert r.verdict == "contradicted", (r.verdict, to_text([r]))
    assert r.verdict_text.startswith("contradicted on 1 of 1 part"), r.verdict_text
    assert _zhao(t, 0.05).verdict == "inconclusive"  # at α = 0.05 as before
    sr4 = t[t["task"] == "sr4"]
    a, b = (sr4[sr4["loss"] == x].pivot(index="seed", columns="image", values="value").to_numpy() for x in ("l1", "l2"))
    assert C.fast_verdict(a, b, "sr4", "psnr", True, 0.1) == C.verdict(a, b, "sr4", "psnr", True, 0.1) == "contradicted"


def test_at_alpha_a_hundredth_a_finding_is_not_contradicted_on_a_pooled_ci_its_level_does_not_clear():
    """Was: at `--alpha 0.01` one task's part contradicted (worse by 0.97 dB) and another's level, the finding was
    'contradicted' because the pooled 95 % CI [-16.6, -3.8] margins lay below −1 — while its 99 % CI, the level the
    parts were judged at, reaches +0.09: a claim called false on a test weaker than the stated one. Now inconclusive,
    its reason printing the interval it read, with its level."""
    a = synthetic_table(tasks=("sr4",), offsets={"l1": -0.5, "l2": 0.0}, metrics=("psnr",), seeds=range(5),
                        n_images=4, seed=6, seed_sd=0.05, noise=0.05)
    b = synthetic_table(tasks=("jpeg",), offsets={"l1": 0.0, "l2": 0.0}, metrics=("psnr",), seeds=range(5),
                        n_images=4, seed=1006, seed_sd=0.15, noise=0.05)
    r = _zhao(pd.concat([a, b], ignore_index=True), 0.01)
    assert {p.task: p.verdict for p in r.parts} == {"sr4": "contradicted", "jpeg": "inconclusive"}
    low, high = pooled(r.parts, 0.01)[1:]
    assert pooled(r.parts)[2] < -1 < high
    assert r.verdict == "inconclusive", r.verdict
    assert f"pooled effect's 99 % CI (the level α = 0.01 tests) [{low:+.2f}, {high:+.2f}] margins is not below " \
           "−1 margin" in r.verdict_text, r.verdict_text


@pytest.mark.parametrize("case", ["both levels", "runs floor", "images floor", "one image"])
def test_compare_runs_gives_the_se_ci_p_and_images_share_its_stated_test_gives(case):
    """compare_runs computed the two-way mean squares twice (once for the SE, again for the images' share and the
    residual): now once. Where the two could differ — the SE floored at one level's mean square, one image (no image
    level) — every printed number is recomputed here by hand from the ANOVA and scipy's Student's t."""
    import numpy as np
    from scipy import stats as st

    from benchmark.runstats import compare_runs, two_level_df

    rng = np.random.default_rng(7)
    S, I = 6, (1 if case == "one image" else 5)
    run_sd, img_sd = {"runs floor": (1.0, 0.0), "images floor": (0.0, 1.0)}.get(case, (0.4, 0.4))
    noise = rng.normal(0, 0.05, (S, I))
    if case == "runs floor":     # no image level at all: the images' mean square 0, below the residual's
        noise -= noise.mean(axis=0, keepdims=True)
    if case == "images floor":   # no run level at all: the runs' mean square 0
        noise -= noise.mean(axis=1, keepdims=True)
    a = rng.normal(0, run_sd, (S, 1)) + rng.normal(0, img_sd, (1, I)) + noise + 0.3
    b = np.zeros((S, I))
    r = compare_runs(a, b)
    d = a - b
    row, col, grand = d.mean(1), d.mean(0), d.mean()
    ms_row = I * ((row - grand) ** 2).sum() / (S - 1)
    if I == 1:
        se, df, ms_res, se_images = np.sqrt(ms_row / S), S - 1, np.nan, 0.0
    else:
        ms_col = S * ((col - grand) ** 2).sum() / (I - 1)
        ms_res = ((d - row[:, None] - col[None, :] + grand) ** 2).sum() / ((S - 1) * (I - 1))
        se = np.sqrt(max(ms_row + ms_col - ms_res, ms_row, ms_col) / (S * I))
        df = two_level_df(ms_row, ms_col, ms_res, S, I)
        se_images = min(np.sqrt(max(0.0, (ms_col - ms_res) / S) / I), se)
        if case != "both levels":  # the floor sets the SE: one level's mean square alone
            assert ms_row + ms_col - ms_res < max(ms_row, ms_col)
    q = st.t.ppf(0.975, df)
    assert r.se == pytest.approx(se, rel=1e-12) and r.effect == pytest.approx(grand, rel=1e-12)
    assert (r.ci_low, r.ci_high) == pytest.approx((grand - q * se, grand + q * se), rel=1e-9)
    assert r.p == pytest.approx(2 * st.t.sf(abs(grand / se), df), rel=1e-9)
    assert r.se_images == pytest.approx(se_images, abs=1e-15)
    assert (np.isnan(r.residual) and np.isnan(ms_res)) or r.residual == pytest.approx(ms_res, rel=1e-12)


def test_the_findings_arm_carries_its_version_exactly_where_the_board_label_does():
    """Results built the labels without their version twice (once inside stats.labels, once to compare with it):
    now stats.versioned says which rows carry one, from one computation, and labels uses the same rule. Where the two
    could differ — one loss at a version per task, an edited loss file whose term marks another spec using it — the
    findings' arms and the leaderboard's labels agree row by row."""
    from benchmark.findings import Results
    from benchmark.stats import _base_labels, labels, versioned

    t = synthetic_table(tasks=("sr4", "jpeg"), offsets={"l1": 0.0, "l2": 0.0, "l1 + 0.5*l2": 0.0},
                        metrics=("psnr",), seeds=range(5), n_images=3, seed=2)
    t["loss_version"] = t["loss_version"].astype(object)
    t.loc[t["loss"] == "l2", "loss_version"] = "l2=1"
    for task, v in (("sr4", "l1=1"), ("jpeg", "l1=2")):
        t.loc[(t["loss"] == "l1") & (t["task"] == task), "loss_version"] = v
    t.loc[t["loss"] == "l1 + 0.5*l2", "loss_version"] = "l1=1,l2=1"
    restored = t[t["loss"] != "input"]
    board = labels(restored)
    assert (versioned(restored) == (board != _base_labels(restored))).all()
    assert set(board[restored["loss"] == "l1 + 0.5*l2"]) == {"l1 + 0.5*l2 (v1/1)"}, set(board)  # the moved term's
    res = Results(restored)
    for task in ("sr4", "jpeg"):
        arms = {a.label for a in res.arms(task)}
        assert arms == set(board[restored["task"] == task]), (task, arms)


def test_a_part_on_thousands_of_test_images_finds_its_image_gaps_without_a_series_per_image(monkeypatch):
    """Was: the images some run of a part lacks were found one pandas Series per image (82 ms a part on 500 images,
    9.8 → 6.8 s of CPU for zhao's two findings on a 500-image store with budget checks); now over the whole frame at
    once. Same items left out, same note; the column look-ups counted, not timed (an absolute CPU bound, < 0.5 s for
    10 000 images, was at the mercy of a loaded CI machine): a handful, however many images, where the old loop took
    one per image and arm."""
    import numpy as np

    from benchmark.findings import _leaderboard_cells

    rng = np.random.default_rng(0)
    items = [f"d/img{i:05d}" for i in range(2_000)]
    va, vb = (pd.DataFrame(rng.normal(size=(5, len(items))), index=range(5), columns=items) for _ in range(2))
    vb.iloc[2, 7] = np.nan
    va.iloc[4, 1900] = np.nan
    calls = []
    getitem = pd.DataFrame.__getitem__

    def counted(self, key):
        calls.append(1)
        return getitem(self, key)

    monkeypatch.setattr(pd.DataFrame, "__getitem__", counted)
    _, _, kept, sparse, gaps, short = _leaderboard_cells(va, vb, ("a", "b"), set())
    monkeypatch.undo()
    assert gaps == "2 of 2000 test images left out (not scored for every run of the part)" and not sparse and not short
    assert kept == [i for k, i in enumerate(items) if k not in (7, 1900)]
    assert len(calls) < 50, len(calls)


def test_plbench_findings_says_which_parts_rest_on_scores_made_before_a_metric_fix(tmp_path):
    """Was: a store whose every run scored vsi before today's vsi fix (no run re-scored yet: the table keeps them) had
    the report's coverage line '`vsi` scored by its code before today's fix in … runs: the same `plbench run`
    re-scores them', while `plbench findings` judged liu2021's vsi parts on those scores without a word. Now each such
    part says so in its note, and the findings' text and findings.md name the metric and the findings resting on it;
    the report's coverage reads the same runs (ResultsStore.stale_scores)."""
    from benchmark.findings import check_store, to_html, to_markdown
    from benchmark.report import coverage_table
    from benchmark.synthetic import write_store

    store = write_store(tmp_path, tasks=("sr4",), offsets={"l2": 0.0, "l2 + 0.1*gpl": 0.3}, metrics=("vsi", "psnr"),
                        seeds=range(2), n_images=3, seed=3, seed_sd=0.1, budget_check=False,
                        weights={"l2 + 0.1*gpl": "vgg16:random(seed=0)"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_store(store, ["liu2021_random_vgg"])
    parts = [p for r in results for p in r.parts]
    on_vsi = [p for p in parts if p.metric == "vsi"]
    assert on_vsi and all("vsi scored by its code before today's fix in 4 of the part's 4 runs" in p.note
                          for p in on_vsi), [p.note for p in on_vsi]
    said = "Parts on vsi (liu2021_random_vgg) rest on scores made by its code before today's fix, not re-scored yet"
    assert said in to_text(results) and said in to_markdown(results), to_text(results)
    assert html.escape(said) in to_html(results)  # the report's Findings tab too (review)
    cov = coverage_table(store, store.run_ids())
    assert cov.loc[(cov["metric"] == "vsi") & (cov["status"] == "stale"), "runs"].tolist() == [5], cov
