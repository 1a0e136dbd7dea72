"""Review of the verdicts probe (round 15): what its fixes left, on synthetic stores."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import scipy.stats  # noqa: F401 (imported once at collection, not in a test's time)
from conftest import one_finding
from test_probe_verdicts17 import as_mix, mix_at_least  # a non-inferiority part (zhao2017_l1_vs_l2's until v4)

import benchmark.metrics  # noqa: F401 (torch, scipy.stats: imported once at collection, not in a test's time)
from benchmark.findings import seeds_to_settle
from benchmark.registry import FINDINGS, TASKS
from benchmark.synthetic import synthetic_table

FINDINGS.names(), TASKS.names()  # the registries scanned at collection, not in a test's time


def _check(t, alpha=0.05, name="zhao2017_l1_vs_l2"):
    return one_finding(t, name, n_boot=0, alpha=alpha)


def test_a_plan_for_a_part_on_one_test_image_says_it_is_on_that_image_only():
    """Was: an inconclusive part on one test image was planned 'no part significant (…: ≈ 27 paired seeds per arm
    (5 now) would reproduce it with 80% power if its effect (+0.276) is as measured)' — a plan read as one for the
    claim, where those seeds settle it over training runs on that one image only. Now said, as its verdict would be."""
    t = synthetic_table(tasks=("sr4",), offsets={"l1": 0.1, "l2": 0.0}, metrics=("psnr",), seeds=range(5),
                        n_images=1, seed=2, seed_sd=0.1)
    r = _check(t)
    assert r.verdict == "inconclusive" and "paired seeds per arm" in r.verdict_text, r.verdict_text
    assert "on its one test image only (over training runs on it, not over images)" in r.verdict_text, r.verdict_text
    (p,) = r.parts  # the same part on two images: no such words
    assert "one test image" not in seeds_to_settle(dataclasses.replace(p, n_images=2))


def test_at_alpha_a_tenth_the_printed_ci_says_it_is_95_percent_not_the_tests():
    """Was: at `plbench findings --alpha 0.1` a part reproduced at p_holm = 0.081 printed '+0.24 [-0.12, +0.59]'
    beside REPRODUCED, and nothing said the CI is 95 % while the verdict is at α = 0.1: a CI across the margin read
    as a contradiction of its own verdict. Now the terminal, findings.md and the report's tab say the CIs' level; at
    α = 0.05 nothing is added; at 0.01 it says the other way."""
    from benchmark.findings import to_html, to_markdown, to_text

    t = synthetic_table(tasks=("sr4",), offsets={"l1": 0.15, "l2": 0.0}, metrics=("psnr",), seeds=range(5),
                        n_images=4, seed=1, seed_sd=0.1)
    with mix_at_least():
        r = _check(as_mix(t), alpha=0.1, name="zhao2017_mix_best")  # a non-inferiority part (zhao's ℓ1 ≥ ℓ2 until v4)
    (p,) = r.parts
    assert p.verdict == "reproduced" and p.ci_low < -p.margin, (p.verdict, p.ci_low)
    said = "Each CI is 95 % whatever α: at α = 0.1 a part can be significant with its 95 % CI across 0 or the margin"
    assert said in to_text([r]) and said in to_markdown([r], 0.1) and said in to_html([r]), to_text([r])
    r5 = dataclasses.replace(r, alpha=0.05)
    assert "whatever α" not in to_text([r5]) + to_markdown([r5]) + to_html([r5])
    # at α = 0.01 the other way: an open part's 95 % CI may lie clear of 0
    r1 = dataclasses.replace(r, alpha=0.01)
    assert "at α = 0.01 a part can be open with its 95 % CI clear of 0 or the margin" in to_text([r1]), to_text([r1])


def _old_part_verdict(p_adj, ci_low, ci_high, margin, practical, alpha=0.05, p_worse_adj=None):
    """part_verdict before 6b4d8a7: a significant part's direction read from its 95 % CI."""
    sig = p_adj < alpha
    if sig and ci_low > -margin:
        return "reproduced"
    worse = sig if p_worse_adj is None else p_worse_adj < alpha
    if worse and math.isfinite(practical) and ci_high < -practical:
        return "contradicted"
    return "inconclusive"


def test_reading_a_parts_direction_by_its_effect_changes_no_verdict_at_alpha_up_to_five_percent():
    """6b4d8a7 reads a significant part's direction by its effect's side of the value tested, not by its 95 % CI's:
    said to change no verdict at α ≤ 0.05. Checked on random parts — `better` and `at_least` (margins), higher- and
    lower-is-better metrics, one without a margin (vif), Holm over 1–3 parts, with and without the contradiction's own
    p — at α = 0.05 and 0.01: old and new agree on every part; at 0.1 they do differ (the rule's point)."""
    from benchmark.findings import part_verdict
    from benchmark.runstats import compare_runs, holm, practical_margin

    rng = np.random.default_rng(15)
    seen, differ = {}, {0.05: 0, 0.01: 0, 0.1: 0}
    for _ in range(150):
        parts = []
        for _ in range(int(rng.integers(1, 4))):
            metric = str(rng.choice(["psnr", "lpips", "ssim", "vif"]))
            higher, prac = metric != "lpips", practical_margin(metric)
            unit = prac if math.isfinite(prac) else 0.01
            ni = prac if rng.integers(0, 2) and math.isfinite(prac) else 0.0
            S, I = int(rng.integers(5, 9)), int(rng.integers(1, 9))
            sd, img = unit * rng.uniform(0.3, 3), rng.normal(0, unit * 5, I)
            a = img + rng.normal(0, sd, (S, 1)) + rng.normal(0, sd, (S, I)) + (1 if higher else -1) * unit * \
                rng.uniform(-4, 3)
            b = img + rng.normal(0, sd, (S, 1)) + rng.normal(0, sd, (S, I))
            r = compare_runs(a, b, higher=higher, margin=ni)
            w = r.p if ni or not math.isfinite(prac) else compare_runs(a, b, higher=higher, margin=prac).p
            parts.append((r, ni, prac, w if math.isfinite(prac) else math.nan, metric))
        adj, adj_w = holm(np.array([x[0].p for x in parts])), holm(np.array([x[3] for x in parts]))
        for (r, ni, prac, _, metric), pa, pw in zip(parts, adj, adj_w):
            for alpha in differ:
                for pwa in (float(pw), None):
                    new = part_verdict(pa, r.ci_low, r.ci_high, ni, prac, alpha, pwa)
                    differ[alpha] += new != _old_part_verdict(pa, r.ci_low, r.ci_high, ni, prac, alpha, pwa)
                    seen.setdefault((alpha, new), set()).add((metric, bool(ni)))
    assert differ[0.05] == differ[0.01] == 0 and differ[0.1] > 0, differ
    for alpha in (0.05, 0.01):  # every verdict drawn, with margins and on a lower-is-better metric
        for v in ("reproduced", "contradicted", "inconclusive"):
            assert ("lpips", False) in seen[(alpha, v)] or ("lpips", True) in seen[(alpha, v)], (alpha, v, seen)
        assert any(ni for _, ni in seen[(alpha, "reproduced")] | seen[(alpha, "contradicted")]), seen


def test_calibrate_zeroes_rounding_but_keeps_a_real_tiny_variance():
    """bbb7fd7 takes a variance at the rounding of a block's values as none. Its threshold is relative to the values'
    magnitude, so a real but tiny spread stays: PSNR ≈ 40 whose runs differ by sd 1e-6 (a run level alone), a metric on
    a 1e-6 scale; a metric at 40 give or take a few ulps is no spread."""
    from benchmark.calibrate import components

    t = synthetic_table(tasks=("sr4",), metrics=("psnr", "lpips", "ssim"), offsets={"l1": 0, "l2": 0}, seeds=range(6),
                        n_images=6, seed=4)
    rng = np.random.default_rng(0)
    shift = {(loss, s): rng.normal(0, 1e-6) for loss in ("l1", "l2") for s in range(6)}
    ps, lp, ss = (t["metric"] == m for m in ("psnr", "lpips", "ssim"))
    t.loc[ps, "value"] = 40.0 + np.array([shift.get(k, 0.0) for k in zip(t.loc[ps, "loss"], t.loc[ps, "seed"])])
    t.loc[lp, "value"] = 1e-6 * (1 + 0.1 * rng.normal(size=int(lp.sum())))
    t.loc[ss, "value"] = 40.0 + rng.normal(0, 1e-14, int(ss.sum()))
    c = components(t).set_index("metric")
    assert 3e-7 < c.loc["psnr", "run_sd"] < 3e-6 and c.loc["psnr", "plan_run_sd"] > 0, c.loc["psnr"]
    assert 5e-8 < c.loc["lpips", "image_x_run_sd"] < 2e-7 and c.loc["lpips", "plan_image_x_run_sd"] > 5e-8, \
        c.loc["lpips"]
    assert (c.loc["ssim", ["run_sd", "image_sd", "image_x_run_sd", "loss_x_image_sd", "plan_run_sd",
                           "plan_image_x_run_sd", "plan_loss_x_image_sd"]] == 0).all(), c.loc["ssim"]


def test_a_loss_at_one_version_per_task_is_labelled_in_the_findings_as_on_the_leaderboard():
    """Was (after d18fa5c too): ℓ1 run at version 1 on sr4 and version 2 on jpeg is 'l1 (v1)' and 'l1 (v2)' on the
    leaderboard (one label at two versions over the table, stats.labels), but 'l1' in every part of the findings —
    which asked for several versions within a task only. Now the findings label the runs as the board does."""
    from benchmark.findings import to_text
    from benchmark.stats import labels

    t = synthetic_table(tasks=("sr4", "jpeg"), offsets={"l1": 0.0, "l2": 0.0}, metrics=("psnr",), seeds=range(5),
                        n_images=4, seed=3, seed_sd=0.1)
    t["loss_version"] = t["loss_version"].astype(object)
    t.loc[t["loss"] == "l2", "loss_version"] = "l2=1"
    for task, v in (("sr4", "l1=1"), ("jpeg", "l1=2")):
        t.loc[(t["loss"] == "l1") & (t["task"] == task), "loss_version"] = v
    board = dict(zip(zip(t["task"], t["loss"]), labels(t)))
    assert board[("sr4", "l1")] == "l1 (v1)" and board[("jpeg", "l1")] == "l1 (v2)", board
    r = _check(t)
    want = {(k, board[(k, "l1")], board[(k, "l2")]) for k in ("sr4", "jpeg")}
    assert {(p.task, p.a, p.b) for p in r.parts} == want, [(p.task, p.a, p.b) for p in r.parts]
    assert "l1 (v1) > l2" in to_text([r]) or "l1 (v2) > l2" in to_text([r]), to_text([r])


def test_a_finding_of_one_part_says_one_part_in_the_singular():
    """Was: a one-part finding said 'contradicted on 1 of 1 parts, but the pooled effect's CI … is not below −1
    margin' (at α = 0.1, where 6b4d8a7 lets a part be contradicted with its 95 % CI not below −margin) and '1 of 1
    parts with too few runs' — where its other reasons say '1 of 1 part', as a9ceb5f made '1 comparison'."""
    t = synthetic_table(tasks=("sr4",), offsets={"l1": -0.15, "l2": 0.0}, metrics=("psnr",), seeds=range(5),
                        n_images=4, seed=1, seed_sd=0.1)
    r = _check(t, alpha=0.1)
    # (its finding is contradicted with it since the pooled CI is read at α's level: tests/test_probe_verdicts16.py)
    assert r.parts[0].verdict == "contradicted" and r.verdict_text.startswith("contradicted on 1 of 1 part") \
        and "1 of 1 parts" not in r.verdict_text, r.verdict_text
    few = _check(t[t["seed"].isna() | (t["seed"] < 3)])
    assert "1 of 1 part with too few runs" in few.verdict_text, few.verdict_text
