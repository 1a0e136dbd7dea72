"""Review of the statistics/verdicts change (738f707..): what the leaderboard prints next to the
run-level Friedman test and the all-pairs top group."""

from __future__ import annotations

import re

from benchmark import stats as S
from benchmark.synthetic import synthetic_table

FIVE = tuple(range(5))


def test_critical_difference_line_gives_the_ranks_it_applies_to():
    """The critical difference is on the scale of each loss's mean *run* rank (runs ranked within their
    seed), yet the line printing it stood under the overall ranking's mean ranks of *cell means* — a
    different, wider scale: on null grids (six equal losses, metrics sharing their runs) the table's
    best–worst gap exceeded the printed CD in 60 of 60, so a reader comparing the two called differences
    that the test does not. The line now lists the run ranks the CD applies to and says the table's are
    not comparable with it."""
    from benchmark.export import friedman_text

    t = synthetic_table(tasks=("denoise", "sr4"), seeds=FIVE, seed_sd=0.3, metrics=("psnr", "ssim"),
                        offsets={"l1": 0.0, "a": 0.0, "b": 0.0, "c": 0.0})
    st = S.compute(t, n_boot=20)
    f = st.friedman
    assert f.get("method") == "permutation", f
    table_ranks = st.ranks.set_index("label")["mean_rank"]
    assert any(abs(table_ranks[k] - v) > 0.05 for k, v in f["ranks"].items())  # two different scales
    text = friedman_text(st)
    for label, r in f["ranks"].items():
        assert re.search(rf"\b{re.escape(label)} {r:.2f}\b", text), (label, r, text)
    assert "not comparable" in text and "overall ranking" in text, text
