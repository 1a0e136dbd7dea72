"""Probe of verdicts (round 15): notes, multiplicity and tests a user reads on synthetic stores."""

from __future__ import annotations

import warnings

import pytest
import scipy.stats  # noqa: F401 (imported once at collection: calibrate.to_text uses it)
from test_probe_verdicts17 import _zhao  # a non-inferiority part (zhao2017_l1_vs_l2's until v4)

import benchmark.metrics  # noqa: F401 (torch, scipy.stats: imported once at collection, not in a test's time)
import findings.zhao2017_l1_vs_l2 as zhao
from benchmark.calibrate import calibrate, components
from benchmark.calibrate import to_text as calibration_text
from benchmark.export import families_text
from benchmark.findings import check_all, to_text
from benchmark.registry import FINDINGS, TASKS
from benchmark.stats import compute, labels
from benchmark.synthetic import synthetic_table

FINDINGS.names(), TASKS.names()  # the registries scanned at collection, not in a test's time


@pytest.fixture(scope="module")
def vif_against():
    """zhao2017_l1_vs_l2 on psnr and vif (no practical margin): ℓ1 better on psnr, clearly worse on vif; converged."""
    t = synthetic_table(tasks=("sr4",), offsets={"l1": {"psnr": 0.5, "vif": -1.0}, "l2": 0.0}, metrics=("psnr", "vif"),
                        seeds=tuple(range(5)), n_images=4, seed=1, seed_sd=0.05, budget_check=True)
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        mp.setattr(zhao, "METRICS", ("psnr", "vif"))
        warnings.simplefilter("ignore")
        (r,) = check_all(t, ["zhao2017_l1_vs_l2"], n_boot=20, convergence=True)
    return r


def test_a_part_without_a_margin_says_no_margin_once(vif_against):
    """Was: a vif part significantly against the claim, its arms' checks converged on psnr, noted 'vif not checked for
    convergence (no practical margin registered: benchmark.runstats.PRACTICAL_MARGINS); no practical margin registered
    for vif: it can support a claim, never contradict it' — the same missing margin said twice in one cell. Now once,
    with both consequences."""
    (p,) = [p for p in vif_against.parts if p.metric == "vif"]
    assert p.verdict == "inconclusive" and p.p_adj < 0.05 and p.ci_high < 0, (p.verdict, p.p_adj, p.ci_high)
    assert p.note.count("no practical margin") == 1, p.note
    assert "not checked for convergence" in p.note and "never contradict it" in p.note, p.note
    assert "PRACTICAL_MARGINS" in p.note, p.note


def test_a_loss_at_two_versions_is_labelled_in_the_findings_as_on_the_leaderboard():
    """Was: rows record a loss's version as `l1=2` (lossfn.loss_version_string); the leaderboard labels such runs
    `l1 (v2)`, but the findings' arm put the raw string in its label: 'l1 (vl1=2) ≥ l2 on sr4/psnr' — a name found
    on no board, for the same runs. Now both label them alike."""
    t = synthetic_table(tasks=("sr4",), offsets={"l1": 0.0, "l2": 0.0}, metrics=("psnr",), seeds=tuple(range(10)),
                        n_images=4, seed=3, seed_sd=0.1)
    is_l1 = t["loss"] == "l1"
    t["loss_version"] = t["loss_version"].astype(object)
    t.loc[t["loss"] == "l2", "loss_version"] = "l2=1"
    t.loc[is_l1, "loss_version"] = ["l1=1" if s < 5 else "l1=2" for s in t.loc[is_l1, "seed"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (r,) = check_all(t, ["zhao2017_l1_vs_l2"], n_boot=20)
    (p,) = r.parts
    board = set(labels(t)[is_l1 & (t["seed"] >= 5)])
    assert board == {"l1 (v2)"}, board
    assert p.a == "l1 (v2)" and p.seeds_a == 5, (p.a, p.seeds_a)
    assert "(vl1" not in to_text([r]), to_text([r])


def test_calibrate_says_a_constant_metric_has_no_spread_not_that_more_runs_would_do():
    """Was: a metric every run scores the same on every image (saturated: 0.3 throughout) measured rounding noise as its
    variance components — run sd 2.6e-17, image sd 1.2e-16 — and its runs-needed cell read '0.03: > 192 runs', as if
    more runs would get there; the checker never tests such a pair (no spread, at any count). Now its components are 0
    and the cell says so."""
    t = synthetic_table(tasks=("sr4",), metrics=("psnr", "lpips"), offsets={"l1": 0, "l2": 0}, seeds=range(10),
                        seed_sd=0.2, n_images=6, seed=4)
    t.loc[t["metric"] == "lpips", "value"] = 0.3
    c = components(t).set_index("metric")
    assert (c.loc["lpips", ["run_sd", "image_sd", "image_x_run_sd", "loss_x_image_sd"]] == 0).all(), c.loc["lpips"]
    assert (c.loc["psnr", ["run_sd", "image_sd", "image_x_run_sd"]] > 0).all(), c.loc["psnr"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text = calibration_text(calibrate(t, n_nulls=10, splits=4, max_runs=6, metrics=("lpips",), aa_sims=2))
    (row,) = [line for line in text.splitlines() if line.startswith("| sr4") and "| lpips |" in line
              and "/10 |" in line]  # the components' row (its nulls: false of 10), not the A/A splits'

    assert "no spread" in row and "> 192" not in row and "e-1" not in row, row


def test_a_one_comparison_family_is_said_in_the_singular():
    """Was: a leaderboard whose ▲/▼ family held one comparison (two losses, one tested column) said '▲/▼ are one
    family, the whole table (1 comparisons with `l1`)'. Now '1 comparison', as the legend says it."""
    t = synthetic_table(tasks=("sr4",), offsets={"l1": 0.0, "l2": 0.0}, metrics=("psnr",), seeds=range(5), n_images=4,
                        seed=5, seed_sd=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text = families_text(compute(t, baseline="l1", n_boot=100))
    assert "(1 comparison with `l1`)" in text, text


def test_at_alpha_a_tenth_a_significant_part_for_the_claim_is_reproduced_not_said_against_it():
    """Was: `plbench findings --alpha 0.1` judged a part's direction by its 95 % CI: ℓ1 ahead of ℓ2 by +0.24 dB,
    p_holm = 0.081 < α, 95 % CI [-0.12, +0.59], was 'inconclusive' and the headline said '1 of 1 part significantly
    against the claim but not shown worse by more than the practical margin' — of an effect for the claim. Now a
    significant part is read by its effect's side, as the stated test gives it: reproduced; at α = 0.05 as before."""
    t = synthetic_table(tasks=("sr4",), offsets={"l1": 0.15, "l2": 0.0}, metrics=("psnr",), seeds=range(5),
                        n_images=4, seed=1, seed_sd=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r, r5 = _zhao(t, alpha=0.1), _zhao(t, alpha=0.05)  # a non-inferiority part, as zhao's ℓ1 ≥ ℓ2 was until v4
    (p,) = r.parts
    assert 0.05 < p.p_adj < 0.1 and p.effect > 0 and p.ci_low < 0, (p.p_adj, p.effect, p.ci_low)
    assert p.verdict == "reproduced" and r.verdict == "reproduced", (p.verdict, r.verdict)
    assert "against the claim" not in to_text([r]), to_text([r])
    assert r5.parts[0].verdict == "inconclusive" and r5.verdict == "inconclusive"
