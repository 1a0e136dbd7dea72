"""A figure of one task says that task's smoke test, not the grid's."""
import dataclasses

import pandas as pd

from benchmark import stats as S
from benchmark.synthetic import synthetic_table


def test_a_tasks_figure_counts_its_own_runs_not_shown_converged():
    """metrics_<task>.png opened with the grid's count ("4 of 8 runs not shown converged" on a task whose runs were
    all shown converged): published alone, it misstated its own runs. ``smoke_test(task=)`` counts that task's."""
    t = synthetic_table(tasks=("denoise", "sr4"), offsets={"l1": 0.0, "l2": 1.0}, seeds=range(2),
                        metrics=("psnr",), n_images=3)
    st = S.compute(t, n_boot=10)
    # a synthetic table has no meta.json: each (task, loss) given its 2 finished runs, denoise's not shown converged
    tc = pd.DataFrame([{"task": task, "label": loss, "loss": loss, "runs": 2, "ok": 2,
                        "unconverged": 2 if task == "denoise" else 0}
                       for task in ("denoise", "sr4") for loss in ("l1", "l2")])
    st = dataclasses.replace(st, task_costs=tc)
    denoise_ok, all_ok = int(tc.loc[tc["task"] == "denoise", "ok"].sum()), int(tc["ok"].sum())
    assert 0 < denoise_ok < all_ok
    grid = S.smoke_test(st, short=True, runs=False)
    assert f"{denoise_ok} of {all_ok} runs not shown converged" in grid, grid
    assert S.smoke_test(st, short=True, runs=False, task="sr4") == ""
    mine = S.smoke_test(st, short=True, runs=False, task="denoise")
    assert f"{denoise_ok} of {denoise_ok} runs not shown converged" in mine, mine
