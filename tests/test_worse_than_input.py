"""Restorations worse than the degraded input are flagged, not ranked silently (issue 25)."""

from __future__ import annotations


def test_outputs_worse_than_the_input_are_flagged():
    """A loss whose restorations score below the degraded input (psnr) is flagged on the leaderboard
    and counted per task (issue 25: lpips_squeeze at 13.95 dB against the input's 20.6)."""
    from benchmark import stats as S
    from benchmark.export import WORSE, markdown
    from benchmark.synthetic import synthetic_table

    # synthetic input rows are 3 units worse than l1; "blown" is 4 units worse than l1: below the input
    t = synthetic_table(tasks=("denoise",), metrics=("psnr", "ssim"), seeds=(0, 1, 2),
                        offsets={"l1": 0.0, "blown": -4.0})
    st = S.compute(t, n_boot=50)
    w = st.worse.set_index("label")
    assert w.loc["blown", "worse"] == 3 and w.loc["blown", "runs"] == 3 and w.loc["blown", "mean_gap"] < 0
    assert w.loc["l1", "worse"] == 0
    md = markdown(st)
    assert f"| blown {WORSE} |" in md and "| l1 |" in md and "| 3/3 |" in md
    assert "Worse than the degraded input" in md and "denoise/blown 3 of 3 runs" in md
