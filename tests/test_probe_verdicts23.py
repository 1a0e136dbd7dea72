"""Probe of the verdicts, session 23: a "reproduced" that says more than was tested, claim lines that say what the
rule tests."""

from __future__ import annotations

import warnings

from benchmark.synthetic import synthetic_table


def _check(t, name):
    from benchmark.findings import check_all

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (r,) = check_all(t, [name], n_boot=20)
    return r


def _mix(offset: float):
    return synthetic_table(tasks=("sr4",), metrics=("psnr", "ssim"), seeds=range(8), seed_sd=0.005, noise=0.005,
                           offsets={"ms_ssim_l1": offset, "l1": 0.0}, n_images=6)


def test_zhao_s_mix_is_not_the_best_on_a_tie():
    """Zhao et al. claim Mix is *the best* loss (Tables I–II: Mix's means above every other loss's; METHODS.md: "the
    MS-SSIM+L1 mix is best overall"). The finding tested non-inferiority (Mix ≥ rival − margin) and printed
    "reproduced" for a Mix equal to every rival on 8 tight seeds (a null simulation: 20 of 20 draws reproduced,
    README *Findings*) — among the best, not the best. Now each part is Mix > rival: a tie is inconclusive (not
    contradicted), Mix clearly ahead is still reproduced, and the claim and refutation lines say "better" and "tie"."""
    from benchmark.registry import FINDINGS

    tie = _check(_mix(0.0), "zhao2017_mix_best")
    assert tie.verdict not in ("reproduced", "contradicted"), tie.verdict_text
    assert all(p.relation == "better" for p in tie.parts), [p.relation for p in tie.parts]
    assert not any(p.verdict == "reproduced" for p in tie.parts), [p.verdict for p in tie.parts]
    ahead = _check(_mix(0.2), "zhao2017_mix_best")
    assert ahead.verdict == "reproduced", ahead.verdict_text
    assert "at least as good" not in tie.claim and "better than" in tie.claim, tie.claim
    assert "tie" in tie.refuted_by and "inconclusive" in tie.refuted_by, tie.refuted_by
    assert FINDINGS.get("zhao2017_mix_best").version == "4"
