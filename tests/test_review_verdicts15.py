"""Review of the verdicts probe (round 15): what its fixes left, on synthetic stores."""

from __future__ import annotations

import dataclasses
import warnings

import scipy.stats  # noqa: F401 (imported once at collection, not in a test's time)

import benchmark.metrics  # noqa: F401 (torch, scipy.stats: imported once at collection, not in a test's time)
from benchmark.findings import check_all, seeds_to_settle
from benchmark.registry import FINDINGS, TASKS
from benchmark.synthetic import synthetic_table

FINDINGS.names(), TASKS.names()  # the registries scanned at collection, not in a test's time


def _check(t, alpha=0.05):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (r,) = check_all(t, ["zhao2017_l1_vs_l2"], n_boot=0, alpha=alpha)
    return r


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
    α ≤ 0.05 (where the 95 % CI agrees with every verdict) nothing is added."""
    from benchmark.findings import to_html, to_markdown, to_text

    t = synthetic_table(tasks=("sr4",), offsets={"l1": 0.15, "l2": 0.0}, metrics=("psnr",), seeds=range(5),
                        n_images=4, seed=1, seed_sd=0.1)
    r = _check(t, alpha=0.1)
    (p,) = r.parts
    assert p.verdict == "reproduced" and p.ci_low < -p.margin, (p.verdict, p.ci_low)
    said = "Each CI is 95 % whatever α: at α = 0.1 a part can be significant with its 95 % CI across 0 or the margin"
    assert said in to_text([r]) and said in to_markdown([r], 0.1) and said in to_html([r]), to_text([r])
    r5 = dataclasses.replace(r, alpha=0.05)
    assert "whatever α" not in to_text([r5]) + to_markdown([r5]) + to_html([r5])
