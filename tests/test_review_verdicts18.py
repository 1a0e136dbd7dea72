"""Review of verdicts (round 18): every printed p on its side of α, the lines compare writes on what it changed."""

from __future__ import annotations


def test_a_p_a_hair_below_alpha_is_not_printed_as_alpha():
    """Was: p_text added digits up to 6 only, so a significant p_holm of 0.04999999 (or 0.05 − 1e-12) still read
    '= 0.05' beside 'significantly better' at α = 0.05. Now it adds them until the printed p is on its side of α
    (at 17 significant digits every float prints as itself)."""
    from benchmark.stats import p_text

    for p in (0.04999999, 0.05 - 1e-12, 0.05 - 1e-17 * 2):
        text = p_text(p)
        assert p < 0.05 and float(text.removeprefix("= ")) < 0.05, (p, text)
    assert p_text(0.05) == "= 0.05" and p_text(0.0504) == "= 0.05" and p_text(0.0496) == "= 0.0496"
    assert p_text(0.009999999, alpha=0.01) == "= 0.009999999"
