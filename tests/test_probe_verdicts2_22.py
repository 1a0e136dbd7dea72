"""Probe of the verdicts, second round of session 22: one seed is one unit, however many run ids store it."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from benchmark.synthetic import synthetic_table


def _stored_twice(t: pd.DataFrame, loss: str) -> pd.DataFrame:
    """``t`` with every run of ``loss`` (its budget checks too) stored again under another run id: what
    `--backbone-weights random` and `pretrained` store for a loss with no backbone (the flag is per run, in the id,
    not in the setting), the same seed's computation twice."""
    d = t[t["loss"].astype(str) == loss].copy()
    d["run_id"] = d["run_id"].astype(str) + "-again"
    return pd.concat([t, d], ignore_index=True)


def test_a_budget_check_counts_a_seed_stored_under_two_run_ids_once():
    """The budget check's bounds (converged / still improving / unclear) pivoted the gains by run id, so the same
    seed's run stored under two ids (a loss with no backbone run under `--backbone-weights random` and `pretrained`:
    one computation, two ids, one setting) was two runs: n and the degrees of freedom doubled, the bounds narrowed,
    "converged" on evidence the store does not have — where the leaderboard and the findings average the seed's
    runs into one (stats.blocks, findings' values). Now the budget check's unit is the seed too: the store with
    every run stored twice gives the same runs, bounds and status as the store without."""
    from benchmark import convergence as C
    from benchmark.settings import drop_budget_checks

    t = synthetic_table(tasks=("denoise",), metrics=("psnr", "ssim"), offsets={"l1": 0.0, "l2": 0.0}, seeds=range(3),
                        seed_sd=0.3, n_images=6, budget_check=True)
    checks = t["run_id"].astype(str).str.contains("check")  # the ½-budget runs: noise of their own
    t.loc[checks, "value"] += np.random.default_rng(1).normal(0, 0.02, int(checks.sum()))

    def arms(table):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return C.arm_budget(C.budget_gains(*drop_budget_checks(table), per_item=True)).set_index(
                ["loss", "metric"]).sort_index()

    once, twice = arms(t), arms(_stored_twice(t, "l1"))
    cols = ["runs", "df", "gain", "low", "high", "status"]
    pd.testing.assert_frame_equal(twice[cols], once[cols], check_exact=False, rtol=1e-9)
    assert (once["runs"] == 3).all(), once["runs"]


def test_the_budget_checks_of_a_seed_stored_twice_are_not_said_to_have_no_run():
    """The note on budget checks with no run at the full budget took a check as paired only when it was the first
    check id of its run's gains (budget_gains keeps one per run), so with one seed's run and its check each stored
    under two ids (the same computation: a loss with no backbone under `--backbone-weights random` and `pretrained`)
    the report said "5 runs at 75 iterations … have no run of their loss and seed at the full budget and are in no
    table or test here: denoise/l1 (seeds 0–4)" — of checks whose runs are on the leaderboard and in its budget
    check. Now a check is paired when it is paired with some run; a check with no run at the full budget is still
    named."""
    from benchmark import stats
    from benchmark.settings import drop_budget_checks

    t = synthetic_table(tasks=("denoise",), metrics=("psnr",), offsets={"l1": 0.0, "l2": 0.0}, seeds=range(5),
                        seed_sd=0.3, n_images=6, budget_check=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        main, checks = drop_budget_checks(_stored_twice(t, "l1"))
        assert stats.compute(main, checks=checks, n_boot=20).unpaired_checks == []
        # a check whose run is not there (l2's seed 4 at the full budget left out) is still named
        alone = main[~((main["loss"] == "l2") & (main["seed"] == 4))]
        (line,) = stats.compute(alone, checks=checks, n_boot=20).unpaired_checks
    assert "1 run at 75 iterations" in line and "denoise/l2 (seed 4)" in line and "l1" not in line, line


def test_a_seed_stored_under_two_run_ids_is_said_to_count_once():
    """One seed's run of a loss stored under two run ids (a loss with no backbone under `--backbone-weights random`
    and `pretrained`: one computation, two ids, one setting) is one unit of every mean, interval and test (its scores
    averaged), but nothing said so: the overall table read 'runs 10' beside the task table's 'seeds 5', and a reader
    could not tell whether the ▲/▼ rested on 5 runs or 10. Now the notes name the loss, task and seeds stored more
    than once and say they count once; a store without such runs has no such note."""
    from benchmark import stats
    from benchmark.export import notes

    t = synthetic_table(tasks=("denoise",), metrics=("psnr",), offsets={"l1": 0.0, "l2": 0.0}, seeds=range(5),
                        seed_sd=0.3, n_images=6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        twice = stats.compute(_stored_twice(t, "l1"), n_boot=20)
        once = stats.compute(t, n_boot=20)
    (line,) = [x for x in notes(twice) if "run ids" in x]
    assert "denoise/l1 (seeds 0–4, 2 run ids each)" in line and "l2" not in line.split(":")[-1], line
    assert "count once" in line, line
    assert not [x for x in notes(once) if "run ids" in x]
    assert twice.cells.loc[twice.cells["label"] == "l1", "n_seeds"].tolist() == [5]


def test_a_perfect_psnr_of_inf_is_not_said_to_be_a_score_the_metric_could_not_make():
    """PSNR is +inf where an output equals its target (a flat patch, an identical pair among one's own photos): the
    best score there is. The note on non-finite scores said of it, as of a NaN, "the metric could not score those
    outputs" — a perfect restoration read as a failed metric, and the run left out of its column with no word of
    why. Now a +inf on a higher-is-better metric (−inf on a lower-is-better one) is said to be a perfect score, left
    out as the others; a NaN still reads as a score the metric could not make."""
    import numpy as np

    from benchmark import stats

    t = synthetic_table(tasks=("denoise",), metrics=("psnr", "ssim"), offsets={"l1": 0.0, "l2": 0.0}, seeds=range(5),
                        seed_sd=0.1, n_images=6)
    perfect = t.copy()
    perfect.loc[(perfect["loss"] == "l2") & (perfect["metric"] == "psnr") & (perfect["image"] == "img0000"),
                "value"] = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (line,) = stats.compute(perfect, n_boot=20).nonfinite
    assert "denoise/psnr" in line and "perfect" in line and "identical to its target" in line, line
    failed = t.copy()
    failed.loc[(failed["loss"] == "l2") & (failed["metric"] == "ssim") & (failed["image"] == "img0000"),
               "value"] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (line,) = stats.compute(failed, n_boot=20).nonfinite
    assert "could not score" in line and "perfect" not in line, line
