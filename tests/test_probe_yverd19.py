"""Probe of verdicts end to end (round 19): the findings' fragile flags recomputed by hand, and what `plbench compare`
says of the findings its new loss changes."""

from __future__ import annotations

import warnings

import pytest

import benchmark.metrics  # noqa: F401 (torch, scipy.stats: imported once at collection, not in a test's time)
from benchmark.registry import FINDINGS
from benchmark.synthetic import synthetic_table

FINDINGS.names()  # the registry scanned at collection, not in a test's time

PRETRAINED = {loss: "vgg16:imagenet" for loss in ("pdl", "vgg", "mine")}


def _pdl(t):
    from benchmark.findings import check_all

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return check_all(t, ["delbracio2021_pdl"], n_boot=20)


def test_a_finding_a_compared_loss_makes_fragile_is_named():
    """Was: PDL > VGG on sr4/lpips (pretrained) reproduced at p_holm 0.009, no seed deciding it; `plbench compare` of a
    third pretrained loss ('mine', a new rival) added a part on PDL's runs, and the regenerated findings.md read
    "reproduced on 2 of 2 parts; fragile: … pdl vs vgg on sr4/lpips: any of seeds 1, 4" — the published part that was
    robust now rests on one seed's runs — while compare's "Findings this comparison changed" said nothing (it compared
    the verdict word alone). Now a verdict that turns fragile (or stops being so) is named, before → after."""
    from benchmark.findings import verdicts_changed

    t = synthetic_table(tasks=("sr4",), offsets={"pdl": 0.2, "vgg": 0.0, "mine": -0.2}, metrics=("lpips",),
                        seeds=range(5), n_images=6, seed=39, seed_sd=0.1, noise=0.05, weights=PRETRAINED)
    before, after = _pdl(t[t["loss"] != "mine"]), _pdl(t)
    assert [r.verdict for r in before] == [r.verdict for r in after] == ["reproduced"]
    (old,), (new,) = before, after
    vgg = [p for p in new.parts if p.b.startswith("vgg")]
    assert not any(p.decided_by for p in old.parts) and vgg and vgg[0].decided_by, (old.parts, new.parts)
    assert verdicts_changed(before, after) == [f"delbracio2021_pdl: reproduced → reproduced, fragile "
                                               f"({new.verdict_text})"]
    assert verdicts_changed(after, before) == [f"delbracio2021_pdl: reproduced, fragile → reproduced "
                                               f"({old.verdict_text})"]
    assert verdicts_changed(after, after) == []


if __name__ == "__main__":
    pytest.main([__file__, "-q", "-n0"])
