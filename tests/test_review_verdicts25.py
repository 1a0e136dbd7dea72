"""Review of the verdicts and statistics commits of session 25."""

from __future__ import annotations

from conftest import one_finding

from benchmark.synthetic import synthetic_table


def test_a_finding_unsettled_by_an_effect_that_moved_still_says_what_settles_it():
    """efd608a3 gave each cause of an unsettled part its own advice (findings.SETTLES), but an effect that moved
    across 0 between ½ budget and the end — both arms converged, so the only cause — read "runs not converged (the
    effect moved between ½ budget and the end: not yet what the losses converge to)": no word of what settles it,
    where it read "(a longer schedule, or check the budget curves)" before. The effect still moves with the budget:
    a longer schedule shows where it settles."""
    # l1's checks 0.02 SCALE (0.04 dB) above its runs, l2's as far below: each arm within the 0.05 dB margin, their
    # effect moved by 0.08 dB, shown over 5 seeds × 10 images
    t = synthetic_table(tasks=("sr4",), offsets={"l1": 0.0, "l2": 0.0}, metrics=("psnr",), seeds=tuple(range(5)),
                        n_images=10, seed=3, seed_sd=0.05, budget_check=True, half_offsets={"l1": 0.02, "l2": -0.02})
    r = one_finding(t, "zhao2017_l1_vs_l2", convergence=True)
    (p,) = r.parts
    assert p.verdict == "unsettled (not converged)" and p.unsettled_by == ("moved",), (p.verdict, p.unsettled_by)
    clause = r.verdict_text.split("runs not converged (", 1)[1].split(")", 1)[0]
    assert clause.startswith("the effect moved between ½ budget and the end"), r.verdict_text
    assert "a longer schedule" in clause and "does not settle" not in clause, r.verdict_text
