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


def test_the_fragile_and_friedman_p_are_printed_as_every_p():
    """Was: fragile_text wrote its p with .2g — a p_holm of 0.0496 without a seed (its effect turned) read '= 0.05',
    one below the float floor '= 1e-20' where every table writes '< 1e-16' — and the Friedman p passed no α, so at
    `--alpha 0.1` a p of 0.0996 read '= 0.1' beside its critical difference at α = 0.1. Now both print through
    p_text with their α, and the leaderboard's note passes the table's."""
    from types import SimpleNamespace

    import pandas as pd

    from benchmark.export import fragile_cells_text, friedman_p_text
    from benchmark.stats import fragile_text

    assert fragile_text((3,), 1e-20) == "seed 3: p_holm < 1e-16"
    assert fragile_text((0, 1), 0.0496) == "any of seeds 0, 1: max p_holm = 0.0496"
    assert fragile_text((0, 1), 0.0996, alpha=0.1) == "any of seeds 0, 1: max p_holm = 0.0996"
    assert fragile_text((2,), 0.3) == "seed 2: p_holm = 0.3"  # as before
    cells = pd.DataFrame([{"task": "denoise", "metric": "psnr", "label": "l2", "vs_base": -0.2, "decided_by": "0; 1",
                           "p_without": 0.0996}])
    note = fragile_cells_text(SimpleNamespace(cells=cells, alpha=0.1))
    assert "denoise/psnr: l2 ▼ (any of seeds 0, 1: max p_holm = 0.0996)" in note, note
    assert friedman_p_text({"p": 0.0996, "method": "asymptotic", "alpha": 0.1}) == "= 0.0996"
    assert friedman_p_text({"p": 0.0996, "method": "asymptotic"}) == "= 0.1"
