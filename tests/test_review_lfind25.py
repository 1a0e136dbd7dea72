"""Review of the lfind commits, session 25: what their wording promises against what the findings do."""

from __future__ import annotations

from conftest import one_finding

_PRE = "vgg16:imagenet"


def _nima_store(offsets):
    from benchmark.synthetic import synthetic_table

    return synthetic_table(tasks=("sr4",), metrics=("psnr", "nima"), offsets={"l2": 0.0, "vgg": offsets},
                           weights={"vgg": _PRE}, seeds=range(5), seed_sd=0.05, n_images=8)


def test_blau_s_regime_line_does_not_promise_a_no_margin_perception_part_never_goes_against_the_claim():
    """Was (0b6f9415): the regime line said brisque, nima and pi "have no practical margin: a part on one can support
    the trade-off, never go against it" — but a perception part on nima reproduced (vgg better than ℓ2 there) beside a
    distortion part contradicted is exactly what contradicts Blau's bound, and it did; the missing margin only keeps
    the perception part itself from being contradicted (a loss worse than ℓ2 there, a point the bound allows anyway).
    Now the line says that, not a one-sidedness the verdict does not have."""
    r = one_finding(_nima_store({"nima": 1.0, "psnr": 1.0}), "blau2018_pd_tradeoff")
    assert {p.metric for p in r.counted if p.note.startswith("perception")} == {"nima"}
    assert r.verdict == "contradicted", r.verdict_text
    assert "never go against" not in r.regime, r.regime
    assert "brisque, nima and pi have no practical margin" in r.regime, r.regime
    assert "still contradicts" in r.regime, r.regime
    worse = one_finding(_nima_store({"nima": -1.0, "psnr": 1.0}), "blau2018_pd_tradeoff")
    assert worse.verdict == "inconclusive", worse.verdict_text
    assert "a point the bound allows" in worse.verdict_text, worse.verdict_text
