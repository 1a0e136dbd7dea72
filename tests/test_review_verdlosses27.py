"""Review of session 27's verdicts and losses commits: each problem found, with its test (failing before its mend)."""

from __future__ import annotations

import benchmark.findings  # noqa: F401 (imported once at collection, not in a test's time)


def test_the_no_reference_metrics_without_a_margin_are_one_rule_for_every_claim(monkeypatch):
    """cf30f4a7 named brisque, nima and pi in a second list (findings.UNMARGINED_NO_REFERENCE) beside Blau–Michaeli's
    NO_REFERENCE, whose metrics without a practical margin it derives from PRACTICAL_MARGINS: a margin given to nima
    would leave the claims' *not applicable* saying nima has none, while Blau–Michaeli's regime line no longer did.
    Now one list of no-reference metrics (benchmark.stats.NO_REFERENCE_METRICS), the margins read where it is said."""
    from benchmark import runstats, stats
    from benchmark.findings import _unmargined_note
    from findings import blau2018_pd_tradeoff as blau

    assert blau.NO_REFERENCE == stats.NO_REFERENCE_METRICS  # one list, not a second copy of its names
    note = _unmargined_note(["psnr", "nima", "pi"])
    assert "nima, pi" in note and "no practical margin" in note, note
    monkeypatch.setitem(runstats.PRACTICAL_MARGINS, "nima", 0.1)
    note = _unmargined_note(["psnr", "nima", "pi"])
    assert note.startswith(" (pi:") and "nima" not in note, note
