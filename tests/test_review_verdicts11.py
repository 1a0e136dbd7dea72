"""Review of the verdicts' round 11 (af9928e..probe-verdicts): what an inconclusive verdict says would settle it."""

from __future__ import annotations

import re

import numpy as np
import pytest


def _planned(I, sd_run, level, effect=0.12, sd_res=0.2, S0=5, sd_image=0.0):
    """(seeds seeds_to_settle names or None, its sentence) for a part planned from the design's true SE."""
    from benchmark.findings import Part, seeds_to_settle

    true_se = float(np.sqrt(sd_run ** 2 / S0 + sd_image ** 2 / I + sd_res ** 2 / (S0 * I)))
    p = Part("t", "psnr", "A", "B", "better", effect, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, I, S0, S0, False, True,
             n_runs=S0, se=true_se, practical=0.05, se_images=sd_image / np.sqrt(I),
             settle_level=level)
    s = seeds_to_settle(p)
    m = re.search(r"≈ (\d+)", s)
    return (int(m.group(1)) if m else None), s


@pytest.mark.parametrize("I, sd_run, level", [(3, 0.0, 0.05), (3, 0.3, 0.05), (12, 0.1, 0.05 / 12)])
def test_seeds_to_settle_holds_its_power_with_few_test_images(I, sd_run, level):
    """Was (f5a2579): the seeds were planned with the normal quantiles, but the test they plan for is Student's t
    whose degrees of freedom the images cap (≈ images − 1 with fewer images than runs, runstats.FEW_LEVEL_Q): with 3
    test images and run × image noise alone '≈ 8 paired seeds per arm would reproduce it with 80 % power' gave a
    decisive test in 11 % of re-simulated draws (3 images, a run level: 57 seeds, 45 %; 12 images at 0.05/12: 13
    seeds, 60 %). Whatever it names must reach about the power it states (≥ 65 % of 120 draws), or say that seeds
    alone will not."""
    from benchmark.runstats import compare_runs

    n, s = _planned(I, sd_run, level)
    if n is None:  # seeds alone will not, or not within 20 × the seeds there are
        assert "more test images" in s or s.startswith("over "), s
        return
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(120):
        a = 0.12 + rng.normal(0, sd_run, (n, 1)) + rng.normal(0, 0.2, (n, I))
        c = compare_runs(a, np.zeros((n, I)))
        hits += bool(c.p < level and c.effect > 0)
    assert hits >= 78, f"{hits}/120 decisive with the {n} seeds named: {s}"


def test_seeds_to_settle_names_test_images_where_their_few_degrees_of_freedom_decide():
    """3 test images with a small level of their own (sd 0.09: an SE of 0.052 no seeds reduce) at a 48-comparison
    family's first level: Student's t at 2 degrees of freedom needs a t of ≈ 31 — no count of seeds gives an effect
    of 0.3 that power (the normal quantiles, ≈ 4.1, named a count), more test images may."""
    n, s = _planned(3, 0.0, 0.05 / 48, effect=0.3, sd_image=0.09)
    assert n is None and "more test images" in s, s


def test_a_metric_one_arm_could_not_score_is_a_part_said_untested_not_dropped():
    """Was: ℓ2's PSNR NaN on every image of every run (a metric that failed for that loss's outputs, or one its runs
    were never scored with) dropped the finding's sr4/psnr part without a word — 'no part significant (1 tested)',
    and a claim about PSNR and SSIM could read 'reproduced on 1 of 1 parts' on SSIM alone. The part is kept,
    untested ('not scored', naming the arm), counted in the verdict's parts and said in the open verdict."""
    import warnings

    from benchmark.findings import check_all
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("sr4",), offsets={"l1": 0.0, "l2": 0.0}, metrics=("psnr", "ssim"),
                        seeds=tuple(range(6)), n_images=6, seed=3, seed_sd=0.2)
    t.loc[(t["loss"] == "l2") & (t["metric"] == "psnr"), "value"] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (r,) = check_all(t, ["zhao2017_l1_vs_l2"], n_boot=20)
    psnr = [p for p in r.parts if p.metric == "psnr"]
    assert psnr and psnr[0].status == "not scored" and "l2" in psnr[0].note, r.parts
    assert "not scored" in r.verdict_text and "of 2 parts" in r.verdict_text, r.verdict_text
    assert "not scored" in r.tally(), r.tally()


def test_an_every_claim_held_on_some_parts_says_why_the_others_are_open():
    """Was (f5a2579): a claim about every part, reproduced on one and with too few runs on the other, read
    'inconclusive: reproduced on 1 of 2 parts only, the claim is about every one' — not why the other part is
    open nor what would settle it (train 2 more seeds), the one thing the round's 'inconclusive: <why>' added."""
    from benchmark.findings import FindingResult, Part, judge, verdict_of
    from benchmark.runstats import TOO_FEW

    nan = float("nan")
    held = Part("sr4", "psnr", "A", "B", "better", 0.3, 0.2, 0.4, 1.0, 1e-5, nan, 0.0, 8, 8, 8, False, True,
                n_runs=8, se=0.05, practical=0.05, p_worse=1e-9)
    few = Part("sr4", "ssim", "A", "B", "better", 0.01, nan, nan, nan, nan, nan, 0.0, 8, 3, 3, False, True,
               n_runs=3, status=TOO_FEW, practical=0.002)
    judge([held, few], 0.05)
    r = FindingResult("f", "A > B on every metric", "", "", verdict_of([held, few]), "", parts=[held, few], every=True)
    if r.verdict == "reproduced":  # FindingResult.judged's rule for claims about every part
        r.verdict = "inconclusive"
    text = r.verdict_text
    assert text.startswith("inconclusive: reproduced on 1 of 2 parts only"), text
    assert "too few runs" in text and "train 2 more seeds" in text, text


def test_an_untested_part_of_a_status_the_sentence_does_not_list_is_still_said():
    """Was (f5a2579): open_reason named too few, missing, unsettled, no-spread and out-of-regime parts only; a part
    not tested for another reason (compare_runs' 'no shared images': no test image every paired run was scored on)
    left 'inconclusive: no part decided' — no why. Any other untested status is said with its count."""
    from benchmark.findings import FindingResult, Part, judge, verdict_of

    nan = float("nan")
    part = Part("sr4", "psnr", "A", "B", "better", nan, nan, nan, nan, nan, nan, 0.0, 0, 6, 6, False, True,
                n_runs=6, status="no shared images", practical=0.05)
    judge([part], 0.05)
    r = FindingResult("f", "A > B", "", "", verdict_of([part]), "", parts=[part])
    assert r.verdict == "inconclusive", r.verdict
    assert "no shared images" in r.verdict_text and "no part decided" not in r.verdict_text, r.verdict_text


def test_a_part_against_the_claim_on_a_metric_without_a_margin_is_not_said_to_have_margin_inf():
    """Was (44ee51c): a part significantly against the claim on a metric with no practical margin registered read
    '… not shown worse by more than the practical margin (e.g. sr4/newmetric: CI […], margin inf)' — no number
    could show it worse than an infinite margin; the reason is that no margin is registered (judge's note)."""
    from benchmark.findings import FindingResult, Part, judge, verdict_of

    part = Part("sr4", "newmetric", "A", "B", "better", -0.3, -0.4, -0.2, -1.0, 1e-5, float("nan"), 0.0, 8, 8, 8,
                False, True, n_runs=8, se=0.05)
    judge([part], 0.05)
    r = FindingResult("f", "A > B", "", "", verdict_of([part]), "", parts=[part])
    assert r.verdict == "inconclusive" and part.p_adj < 0.05, r.verdict
    assert "inf" not in r.verdict_text and "no practical margin" in r.verdict_text, r.verdict_text


def test_compare_says_why_a_dominating_pair_was_not_tested():
    """Was: plbench compare's perception–distortion line gave every untested pair the one reason 'a test needs ≥ 5
    paired runs of the two' — also a pair of 8 runs each whose paired differences have no spread (SE 0: copied runs,
    a saturated metric), where more runs would change nothing. The reason is the pair's own status."""
    from types import SimpleNamespace

    import pandas as pd

    from benchmark.compare import _front_text
    from benchmark.runstats import NO_SPREAD, TOO_FEW

    x = pd.DataFrame({"mean": [30.0, 31.0, 31.0]}, index=["new", "copy", "few"])
    y = pd.DataFrame({"mean": [0.30, 0.20, 0.20]}, index=["new", "copy", "few"])  # lpips: lower is better
    nan = float("nan")
    pairs = pd.DataFrame([
        {"task": "sr4", "metric": m, "a": "new", "b": o, "effect": -0.1, "p": nan, "p_adj": nan, "n_runs": n,
         "status": s} for m in ("psnr", "lpips") for o, n, s in (("copy", 8, NO_SPREAD), ("few", 3, TOO_FEW))])
    st = SimpleNamespace(pairs=pairs, higher=lambda: {"psnr": True, "lpips": False})
    text = _front_text("new", False, ["new", "copy", "few"], x, y, st, "psnr", "lpips", {}, {})
    assert re.search(r"copy.*no spread", text) and re.search(r"few.*paired runs", text), text
    assert not re.search(r"copy[^;]*needs ≥", text), text


def test_missing_runs_advice_does_not_say_a_diverged_seed_leaves_the_pairing():
    """Was (3a3a53f): '… a diverged one is its loss's result and stays out of the pairing' — read as: the other seeds
    are paired and tested without it. They are not: a part whose arm lacks a seed the other has (a diverged run
    included) is never reproduced or contradicted (README, *Findings*), so only re-running a failed run, or a loss
    that no longer diverges, can settle it; the sentence says so."""
    from benchmark.findings import FindingResult, Part, judge, verdict_of

    nan = float("nan")
    part = Part("sr4", "psnr", "A", "B", "better", 0.1, nan, nan, nan, nan, nan, 0.0, 8, 4, 5, False, True,
                note="missing or diverged seeds: A 3", n_runs=4, status="missing runs", practical=0.05)
    judge([part], 0.05)
    r = FindingResult("f", "A > B", "", "", verdict_of([part]), "", parts=[part])
    assert "stays out of the pairing" not in r.verdict_text, r.verdict_text
    assert "no verdict" in r.verdict_text and "a failed run can be run again" in r.verdict_text, r.verdict_text


def test_a_run_without_a_finite_score_of_the_parts_metric_is_a_missing_run_not_left_out_silently():
    """Was: ℓ2's seed-0 run NaN on every test image of PSNR (rows present, every score non-finite: a metric that
    failed on that run's output) left the pairing unseen — the part tested ℓ1 and ℓ2 on the other 5 seeds with
    status ok and no note: a run judged by its failure to score is dropped, the rest compared on a selection (the
    leaderboard calls such a run a missing run of its column). It is a missing run of the part, named."""
    import warnings

    from benchmark.findings import check_all
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("sr4",), offsets={"l1": 0.0, "l2": 0.0}, metrics=("psnr", "ssim"),
                        seeds=tuple(range(6)), n_images=6, seed=3, seed_sd=0.2)
    t.loc[(t["loss"] == "l2") & (t["metric"] == "psnr") & (t["seed"] == 0), "value"] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (r,) = check_all(t, ["zhao2017_l1_vs_l2"], n_boot=20)
    (psnr,) = [p for p in r.parts if p.metric == "psnr"]
    (ssim,) = [p for p in r.parts if p.metric == "ssim"]
    assert psnr.status == "missing runs" and re.search(r"l2[^;]*\b0\b", psnr.note), (psnr.status, psnr.note)
    assert ssim.status == "ok", ssim.status  # the run scored on SSIM: that part keeps it


def test_sim_df_rule_fine_grid_runs_and_a_subset_draws_what_the_full_grid_drew(caplog, monkeypatch):
    """scripts/sim_df_rule.py --fine (every ratio of a run and an image level) runs; --scenarios 3 alone prints the
    row the four scenarios print for it (each scenario's seed is its own index, not its place in the list)."""
    import logging

    from tests.test_probe_verdicts11 import _sim

    sim = _sim()
    monkeypatch.setattr(sim, "FINE_SDS", (0.0, 0.45))  # 4 of the 25 ratios: the path, not the figures
    args = ["--n", "400", "--runs", "5", "--images", "3", "--rules", "current"]
    with caplog.at_level(logging.INFO, logger=sim.log.name):
        assert sim.main([*args, "--fine"]) == 0
    assert sum("run 0.45, image 0.45" in r.getMessage() for r in caplog.records) == 1
    rows = {}
    for sel in (["0", "1", "2", "3"], ["3"]):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger=sim.log.name):
            sim.main([*args, "--scenarios", *sel])
        rows[len(sel)] = [r.getMessage() for r in caplog.records if "run + image + residual" in r.getMessage()]
    assert rows[4] == rows[1] and len(rows[1]) == 1, rows
