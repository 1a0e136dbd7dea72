"""Probe of the published figures, tables and report (round 20): compare's before → after verdict lines, the metric
axis at many long names, and awkward stores (many losses, long or right-to-left names, ties, NaN scores)."""

from __future__ import annotations

import warnings

import benchmark.metrics  # noqa: F401 (torch, scipy.stats: imported once at collection, not in a test's time)
from benchmark.registry import FINDINGS
from benchmark.synthetic import synthetic_table

FINDINGS.names()  # the registry scanned at collection, not in a test's time


def test_a_changed_verdict_names_its_fragility_on_both_sides():
    """Was: compare's "Findings this comparison changed" wrote ", fragile" only where the verdict word stayed the same:
    a published "reproduced" resting on one seed's runs that the new loss made inconclusive read "reproduced →
    inconclusive", and the other way "inconclusive → reproduced (…)", where findings.md says the verdict is fragile.
    Now each side is the finding's verdict_label, changed or not."""
    from benchmark.findings import check_all, verdicts_changed

    t = synthetic_table(tasks=("sr4",), offsets={"pdl": 0.15, "vgg": 0.0, "mine": -0.2}, metrics=("lpips",),
                        seeds=range(5), n_images=6, seed=39, seed_sd=0.1, noise=0.05,
                        weights={loss: "vgg16:imagenet" for loss in ("pdl", "vgg", "mine")})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        before, after = (check_all(x, ["delbracio2021_pdl"], n_boot=20) for x in (t[t["loss"] != "mine"], t))
    (old,), (new,) = before, after
    assert (old.verdict, old.fragile, new.verdict, new.fragile) == ("reproduced", True, "inconclusive", False)
    assert old.verdict_label == "reproduced, fragile" and new.verdict_label == "inconclusive"
    assert verdicts_changed(before, after) == [f"delbracio2021_pdl: reproduced, fragile → inconclusive "
                                               f"({new.verdict_text})"]
    assert verdicts_changed(after, before) == [f"delbracio2021_pdl: inconclusive → reproduced, fragile "
                                               f"({old.verdict_text})"]
