"""Mends made while integrating the 2026-12-07 session's branches (each failed first on the merged code)."""

import math

import pandas as pd
import pytest


def _gains(seeds):
    rows = []
    for run, seed in enumerate(seeds):
        for item in range(3):
            rows.append({"setting": "s", "task": "denoise", "loss": "l1", "weights_kind": "none", "loss_version": "",
                         "metric": "psnr", "run_id": f"r{run}", "seed": seed, "item": f"i{item}",
                         "gain": 0.001 * (run - 1) + 0.0005 * (item - 1)})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seeds, units", [((math.nan, math.nan, math.nan), 3), ((0, 0, 1), 2), ((0, 1, math.nan), 3)])
def test_the_budget_checks_runs_of_unknown_seed_are_each_a_unit_not_one_seed(seeds, units):
    """The budget check averages one seed's runs stored under several ids into one unit (6ec1f661); runs whose seed is
    not known read as one placeholder seed (-1) and were averaged into one unit too: 3 such runs counted 1, the bounds
    over 1 run. Each is its own unit; one seed under two ids still one."""
    from benchmark.convergence import arm_budget

    (runs,) = arm_budget(_gains(seeds))["runs"]
    assert runs == units


def test_the_budget_check_without_a_seed_column_counts_each_run():
    """A gains table with no ``seed`` column (an older caller's) is read run by run, not refused with a KeyError."""
    from benchmark.convergence import arm_budget

    (runs,) = arm_budget(_gains((0, 1, 2)).drop(columns="seed"))["runs"]
    assert runs == 3
