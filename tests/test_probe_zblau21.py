"""Probe zblau (round 21): the Blau & Michaeli finding's wording for lower-is-better metrics, and the
perception–distortion plane's one-run key decided over the cells it draws."""

from __future__ import annotations

import re
import warnings

import pytest

from benchmark.findings import check_all, to_markdown
from benchmark.synthetic import synthetic_table

R16 = "vgg16:random(seed=0)"
FIVE = tuple(range(5))


def _blau(offsets, metrics=("psnr", "niqe")):
    t = synthetic_table(tasks=("sr4",), metrics=metrics, offsets={"l2": 0.0, "vgg": offsets}, weights={"vgg": R16},
                        seeds=FIVE, n_images=16, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (r,) = check_all(t, ["blau2018_pd_tradeoff"], n_boot=100)
    return r


@pytest.mark.parametrize("metric", ["niqe", "lpips"])
def test_blau_reads_right_for_a_lower_is_better_perception_metric(metric):
    """Was: the finding's refuted_by read "a deep-feature loss scoring below ℓ2 on the perception axis, or above it
    on PSNR" and its parts' notes named no direction, so with niqe (or lpips, dists, gmsd, nlpd: lower is better) a
    reader took a lower — better — score for the refutation. Now every sentence it prints says better/worse and each
    part's note names its metric's direction; the verdicts treat a lower-is-better metric right (offsets here are in
    'better' units: +1 is a better score, a lower niqe)."""
    trade = _blau({metric: 1.0, "psnr": -1.0}, metrics=("psnr", metric))
    assert trade.verdict in ("reproduced", "out of regime"), trade.verdict
    perception = [p for p in trade.parts if p.metric == metric]
    assert perception and all(p.effect > 0 for p in perception)  # a lower niqe/lpips is A better
    assert all(p.verdict in ("reproduced", "out of regime") for p in perception)
    worse = _blau({metric: -1.0, "psnr": -1.0}, metrics=("psnr", metric))
    assert all(p.effect < 0 for p in worse.parts if p.metric == metric)
    if metric == "niqe":  # no-reference: in the paper's regime, a worse niqe goes against the claim
        assert worse.verdict == "mixed" and any(p.verdict == "contradicted" for p in worse.parts)
    text = to_markdown([trade, worse])
    said = " ".join([trade.claim, trade.refuted_by, *(p.note for r in (trade, worse) for p in r.parts)])
    assert not re.search(r"\b(below|above|higher|lower) (than )?ℓ2|scoring (below|above)", said), said
    assert "worse than ℓ2 on the perception axis" in trade.refuted_by, trade.refuted_by
    for p in trade.parts:
        assert ("lower is better" if p.metric == metric else "higher is better") in p.note, p.note
    assert f"{metric}: lower is better" in text
