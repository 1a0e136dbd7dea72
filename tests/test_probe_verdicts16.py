"""Probe of verdicts (round 16): the pooled rule at any α, and synthetic stores a demanding user would bring."""

from __future__ import annotations

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
