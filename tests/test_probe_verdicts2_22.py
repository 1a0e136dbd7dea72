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
