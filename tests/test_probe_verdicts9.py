"""Probes of the verdicts' leftovers: what the budget check's sentence claims, cost arms, images some
run lacks, and the few-images note (this session's probe-verdicts2)."""

from __future__ import annotations

import math

import numpy as np

from benchmark import convergence as C


def _bound(n: int, alpha: float = 0.05) -> int:
    """A generous upper bound on a Binomial(n, α) count (mean + 4 SD + 1)."""
    return int(n * alpha + 4 * math.sqrt(n * alpha * (1 - alpha)) + 1)


# --------------------------------------------------------------------------------------------
# (1) "the effect changes sign": a reversal only when the end effect is itself on the other side
# --------------------------------------------------------------------------------------------
def test_an_effect_that_was_lost_is_not_published_as_reversed():
    """Known effect: +0.3 dB at ½ budget, 0 at the end (every seed and image: −0.01 ± 0.1): the change is shown
    and larger than the margin, so the part is unsettled — but the end effect is not shown negative, so the
    sentence may say the effect was lost, not that it changed sign."""
    rng = np.random.default_rng(0)
    S, I, n = 5, 6, 200
    lost = reversed_ = 0
    for _ in range(n):
        half = 0.3 + rng.normal(0, 0.03, (S, I))
        end = rng.normal(0, 0.1, (S, I))
        end -= end.mean() + 0.01                      # the end effect's point estimate: −0.01, on the other side
        assert C.effect_moved(half, end, 0.05)
        note = C.effect_change_note(half, end, 0.05)
        lost += "was lost" in note
        reversed_ += "changes sign" in note
    assert lost == n and reversed_ == 0


def test_a_reversal_is_published_when_the_end_effect_is_shown_on_the_other_side():
    rng = np.random.default_rng(1)
    S, I, n = 5, 6, 200
    notes = [C.effect_change_note(0.3 + rng.normal(0, 0.03, (S, I)), -0.3 + rng.normal(0, 0.03, (S, I)), 0.05)
             for _ in range(n)]
    assert sum("changes sign" in s for s in notes) >= n - _bound(n)
    assert C.effect_change_note(np.full(5, -0.3), np.full(5, 0.3), 0.05).startswith("the effect changes sign")
    assert C.effect_change_note(np.full(5, -0.01), np.full(5, 0.01), 0.05) == ""     # below the margin


def test_null_end_effects_are_called_reversed_at_most_alpha():
    """Null on the end: an effect that moved from +0.3 to a true 0 — the end's sign is noise, so "changes sign"
    (a claim that it is on the other side) may be said at most α of the time among the parts that moved."""
    rng = np.random.default_rng(2)
    S, I, n = 5, 6, 1000
    said = 0
    for _ in range(n):
        half = 0.3 + rng.normal(0, 0.05, (S, I))
        end = rng.normal(0, 0.05, (S, I)) + rng.normal(0, 0.05, I)
        said += "changes sign" in C.effect_change_note(half, end, 0.05)
    assert said <= _bound(n)

