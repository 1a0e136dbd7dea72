"""Probe of the published leaderboards with verdicts (leaderboard.md/.tex, report.html, figures):
what a reader of a paper would stumble on."""

from __future__ import annotations

import numpy as np

from benchmark import stats as S
from benchmark.synthetic import synthetic_table

FIVE = tuple(range(5))


def _clear_field():
    """Four losses, five seeds, clearly apart: the permutation Friedman test finds no relabelling as
    extreme as the data, so its p sits at its floor 1 / (1 + n_perm)."""
    t = synthetic_table(tasks=("denoise",), seeds=FIVE, seed_sd=0.1, metrics=("psnr", "ssim", "lpips"),
                        n_images=10)
    return S.compute(t, n_boot=20)


def test_friedman_p_at_the_permutation_floor_is_a_bound_not_a_value():
    """With 2000 relabellings the smallest p the permutation test can give is 1/2001: the leaderboard
    printed it as ``p = 0.0005``, an exact-looking value a reader quotes (and compares with another
    report's ``p = 1e-12``), when it only says no relabelling reached χ². It now reads ``p ≤ 0.0005``
    in the Friedman line and the critical-difference figure's title alike."""
    from benchmark.export import friedman_p_text, friedman_text

    st = _clear_field()
    f = st.friedman
    assert f.get("method") == "permutation", f
    assert np.isclose(f["p"], 1 / (1 + f["n_perm"])), f  # at the floor
    text = friedman_text(st)
    assert "p = 0.0005" not in text and "p ≤ 0.0005;" in text, text
    assert friedman_p_text(f) == "≤ 0.0005"
    # a p above the floor keeps its value
    assert friedman_p_text({**f, "p": 0.034}) == "= 0.034"
    # the asymptotic test's p is a value, not a bound
    assert friedman_p_text({"p": 1 / 2001, "method": "asymptotic"}) == "= 0.0005"


def test_cd_diagram_title_gives_the_permutation_floor_as_a_bound():
    """The critical-difference figure's title says ``Friedman p ≤ 0.0005`` like the Friedman line."""
    from benchmark import figures as F

    st = _clear_field()
    with F.style():
        title = F.draw_cd_diagram(st).axes[0].get_title().replace("\n", " ")
    assert "Friedman p ≤ 0.0005;" in title and "p = 0.0005" not in title, title
