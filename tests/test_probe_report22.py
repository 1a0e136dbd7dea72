"""Probe of the published figures, tables and report (round 22): what a figure's smoke-test caption counts, the
LaTeX leaderboard of right-to-left names, many long-named losses."""

from __future__ import annotations

import dataclasses

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


def _costs(st, unconverged=()):
    """A synthetic table has no meta.json: each (task, loss) given its runs, those in ``unconverged`` not shown
    converged."""
    c = S.scored_cells(st.cells)
    runs = c.groupby(["task", "label"], observed=True)["n_seeds"].max().reset_index()
    tc = pd.DataFrame([{"task": r.task, "label": r.label, "loss": r.label, "runs": int(r.n_seeds),
                        "ok": int(r.n_seeds), "unconverged": int(r.n_seeds) * (r.label in unconverged)}
                       for r in runs.itertuples()])
    return dataclasses.replace(st, task_costs=tc)


def _title_text(fig) -> str:
    return " ".join([fig._suptitle.get_text() if fig._suptitle else ""] +
                    [t.get_text() for leg in fig.legends for t in [leg.get_title()]])


def test_the_pd_plane_s_smoke_caption_counts_only_the_runs_it_draws():
    """Was: the P–D plane opened with the grid's smoke test (``smoke_test(stats)``): a loss scored on psnr alone
    (no point on the plane) with one run, or not shown converged, made the plane — every point of which rests on
    5 converged runs — say "Smoke test, not a ranking: …". Now it counts the cells and runs it draws."""
    good = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "l2": 1.0}, seeds=range(5),
                           metrics=("psnr", "lpips"), n_images=4)
    thin = synthetic_table(tasks=("denoise",), offsets={"psnr_only": 0.5, "psnr_only2": 0.2}, seeds=(0,),
                           metrics=("psnr",), n_images=4)
    thin = thin[thin["loss"] != "input"]
    st = _costs(S.compute(pd.concat([good, thin], ignore_index=True), n_boot=10), unconverged=("psnr_only",))
    assert S.smoke_test(st, short=True)  # the grid as a whole is a smoke test (most cells short of runs)
    with F.style():
        fig = F.draw_pd_plane(st)
    text = _title_text(fig)
    assert "psnr_only" in text  # named as not drawn
    assert "Smoke test" not in text, text
    # a drawn loss's runs still count: l2 not shown converged is said
    st2 = _costs(S.compute(pd.concat([good, thin], ignore_index=True), n_boot=10), unconverged=("l2",))
    with F.style():
        fig2 = F.draw_pd_plane(st2)
    text2 = _title_text(fig2)
    assert "5 of 10 runs not shown converged" in text2, text2
