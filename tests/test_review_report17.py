"""Review of the report fixes of session 17: counts in every product line, the CD diagram of an all-tied grid."""

from __future__ import annotations


def test_a_grid_where_every_run_ties_draws_no_critical_difference_of_zero():
    """Was: losses whose every run scores the same as the others' runs of its seed got a CD diagram with every loss
    at one mean rank under "CD = 0.00" beside "Friedman p = 1", and the text "critical difference = 0.00 ranks":
    every relabelling gives the same ranks, so there is nothing to rank. No test, no diagram, the reason said."""
    from types import SimpleNamespace

    from benchmark import stats as S
    from benchmark.export import friedman_text
    from benchmark.figures import draw_cd_diagram
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "l2": 0.0, "ssim": 0.0}, seeds=(0, 1, 2, 3, 4),
                        n_images=3, metrics=("psnr", "ssim"), noise=0.0)
    import pandas as pd

    blks = S.blocks(t)
    cells = pd.DataFrame([{"task": b.task, "metric": b.metric, "label": lab, "mean": 0.5, "higher_is_better": b.higher}
                          for b in blks for lab in b.labels])  # what cell_table gives here, without its bootstrap
    f = S.friedman_nemenyi(cells, 0.05, blks, n_perm=200)
    assert f.get("reason") == S.ALL_TIED and "cd" not in f, f
    stats = SimpleNamespace(friedman=f)
    assert draw_cd_diagram(stats) is None
    assert friedman_text(stats) == f"No critical-difference summary: {S.ALL_TIED}."
