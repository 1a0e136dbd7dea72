"""Probe of the verdicts area, session 27: each defect found, with its test (failing before its fix)."""

from __future__ import annotations

from conftest import one_finding
from test_probe_findings25 import _PRE, _table

import benchmark.findings  # noqa: F401 (imported once at collection, not in a test's time)


def test_a_claim_on_a_store_scored_by_a_no_reference_metric_without_a_margin_says_why_it_is_not_tested():
    """Was: a store scored by psnr and nima read "not applicable: needs metric perceptual; results have psnr, nima" —
    as if nima measured no perception, while Blau–Michaeli's finding beside it tests on nima. brisque, nima and pi have
    no practical margin with a stated source (a paper's run-to-run or just-noticeable difference), so these claims do
    not count them; the reason now says so, and names the metrics that would count."""
    from benchmark.runstats import practical_margin
    from benchmark.stats import PERCEPTUAL_METRICS

    t = _table(("sr4",), ("psnr", "nima"), {"pdl": 1.0, "vgg": 0.0}, {"pdl": _PRE, "vgg": _PRE}, seeds=range(2),
               n_images=2)
    r = one_finding(t, "delbracio2021_pdl")
    assert r.verdict == "not applicable", r.verdict_text
    assert practical_margin("nima") == float("inf")
    assert "nima" in r.reason and "no practical margin" in r.reason and "source" in r.reason, r.reason
    assert "lpips" in r.reason and "blau2018_pd_tradeoff" in r.reason, r.reason
    assert "nima" not in PERCEPTUAL_METRICS  # the fix says why; it does not count nima
    from benchmark.findings import _unmargined_note

    assert _unmargined_note(["psnr"]) == "" and "nima, pi" in _unmargined_note(["pi", "nima", "psnr"])
