"""Probe of the published figures, tables and report (round 23): what the rank heatmap's smoke-test line counts,
the LaTeX leaderboard as a TeX reader reads it, odd grids (many long or Unicode names, one seed, one task)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import scipy.special  # noqa: F401
import scipy.stats  # noqa: F401

import benchmark.convergence  # noqa: F401 (compute's lazy imports, at collection)
import benchmark.metrics  # noqa: F401
from benchmark import figures as F
from benchmark import stats as S
from benchmark.synthetic import synthetic_table

with F.style():  # matplotlib's fonts looked up at collection, not in a test's time
    pass


def _with_costs(st, runs: dict[str, int], unconverged=()):
    """A synthetic table has no meta.json: each loss of denoise given ``runs`` runs, those of ``unconverged`` not
    shown converged."""
    tc = pd.DataFrame([{"task": "denoise", "label": lab, "loss": lab, "runs": n, "ok": n,
                        "unconverged": n * (lab in unconverged)} for lab, n in runs.items()])
    return dataclasses.replace(st, task_costs=tc)


def _text(fig) -> str:
    """Every text of ``fig`` (title, caption), its lines joined by spaces."""
    return " ".join(t.get_text() for t in [*fig.texts, *(ax.title for ax in fig.axes)]).replace("\n", " ")


def test_the_rank_heatmap_s_smoke_line_counts_only_the_losses_it_draws():
    """Was: the rank heatmap opened with the grid's smoke test (``smoke_test(stats)``): a loss no run could score
    (every score non-finite: no rank, no row) whose 2 runs were not shown converged made a heatmap of two losses with
    5 converged runs each say "Smoke test, not a ranking: 2 of 12 runs not shown converged". Now it counts the
    (task, loss) cells it draws, as the P–D plane and the CD diagram do; a drawn loss's runs still count."""
    good = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "l2": 1.0}, seeds=range(5),
                           metrics=("psnr", "lpips"), n_images=4)
    bad = synthetic_table(tasks=("denoise",), offsets={"nan_loss": 0.5}, seeds=range(2), metrics=("psnr", "lpips"),
                          n_images=4)
    bad = bad[bad["loss"] != "input"].assign(value=np.nan)
    st = S.compute(pd.concat([good, bad], ignore_index=True), n_boot=10)
    assert "nan_loss" not in st.task_ranks.index
    st1 = _with_costs(st, {"l1": 5, "l2": 5, "nan_loss": 2}, unconverged=("nan_loss",))
    assert S.smoke_test(st1, short=True)  # the grid's runs as a whole
    with F.style():
        fig = F.draw_rank_heatmap(st1)
    assert "Smoke test" not in _text(fig), _text(fig)
    st2 = _with_costs(st, {"l1": 5, "l2": 5, "nan_loss": 2}, unconverged=("l2",))
    with F.style():
        fig2 = F.draw_rank_heatmap(st2)
    assert "Smoke test" in _text(fig2) and "5 of 10 runs not shown converged" in _text(fig2), _text(fig2)
