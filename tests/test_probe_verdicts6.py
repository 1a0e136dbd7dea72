"""Verdicts a re-run would not overturn: one tie-break rule in every ranked table and figure, training
draws that depend on nothing but the run's own config, and the calibration of the leaderboard's and the
findings' verdicts on synthetic stores (probe-verdicts6)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmark import stats as S
from benchmark.results import to_frame
from benchmark.synthetic import synthetic_runs


def _tied_grid(n: int = 24, groups: int = 5, seed: int = 1) -> pd.DataFrame:
    """``l1`` and ``n`` exact copies of it (``m00`` …), each shifted by one of ``groups`` steps on every
    metric: many losses share one mean rank, in an order their names do not follow."""
    rows = []
    for _, _, rs in synthetic_runs(tasks=("denoise",), offsets={"l1": 0.0}, seeds=range(5), metrics=("psnr", "ssim"),
                                   n_images=4, budget_check=False, noise=0.0):
        rows += rs
    t = to_frame(rows)
    base = t[t["loss"] == "l1"]
    rng = np.random.default_rng(seed)
    extra = []
    for i in range(n):
        x = base.copy()
        x["loss"], x["run_id"] = f"m{i:02d}", x["run_id"] + f"m{i:02d}"
        x["value"] = x["value"] + np.where(x["higher_is_better"], 1, -1) * 0.01 * rng.integers(0, groups)
        extra.append(x)
    return pd.concat([t, *extra], ignore_index=True)


# 1. ties ------------------------------------------------------------------------------------------
def test_tied_losses_are_listed_by_name_in_every_ranked_table_and_figure():
    """Was: the leaderboard's task table sorted mean ranks with pandas' default (unstable) sort, so with
    more than 16 losses tied ones came in a scrambled order (m06 before m03) while the overall ranking,
    the rank heatmap and the CD diagram listed them by name. Now one rule everywhere: mean rank, ties
    by name (:func:`benchmark.stats.rank_order`), and the tables say so."""
    from benchmark.export import markdown, task_frame
    from benchmark.figures import _board_values, leaderboard_order
    from benchmark.report import heatmap_panels

    t = _tied_grid()
    st = S.compute(t, None, n_boot=20)
    mean_rank = st.ranks.set_index("label")["mean_rank"]
    expected = sorted(mean_rank.index, key=lambda lab: (round(mean_rank[lab], 9), lab))
    assert mean_rank.round(9).duplicated().sum() >= 10  # the grid does tie
    assert st.ranks["label"].tolist() == expected  # the overall ranking
    assert [lab for lab in task_frame(st, "denoise")[2] if lab != S.INPUT] == expected  # the task table
    assert st.task_ranks.index.tolist() == expected  # the rank heatmap's rows
    assert list(st.friedman["ranks"]) == expected  # the CD diagram's order
    boards = heatmap_panels(t, st.blocks, st)
    assert [lab for lab in leaderboard_order({k: _board_values(v) for k, v in boards.items()})
            if lab != S.INPUT] == expected  # leaderboard.png
    md = markdown(st)
    table = md.split("## denoise")[1]
    rows = [line.split("|")[1].strip() for line in table.splitlines() if line.startswith("| m") or
            line.startswith("| l1")]
    assert rows == expected
    assert "equal mean ranks listed by name" in md


def test_rank_order_ties_float_noise_and_puts_unranked_last():
    """Equal mean ranks that differ in the last bits tie (by name); a NaN rank goes last."""
    a = 0.1 + 0.2
    assert S.rank_order({"b": a, "a": 0.3, "c": float("nan"), "d": 0.1}) == ["d", "a", "b", "c"]
