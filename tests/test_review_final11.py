"""Review of the crops change (Task.train_crop) against the rest of the harness."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from benchmark.config import RunConfig, resolve, run_id, setting
from benchmark.errors import UserError
from benchmark.settings import select


def _table(*task_crops) -> pd.DataFrame:
    rows = []
    for task, crop in task_crops:
        cfg = resolve(RunConfig(task=task, loss="l1", crop=crop))
        rows.append({"task": task, "loss": "l1", "run_id": run_id(cfg), "setting": json.dumps(setting(cfg),
                     sort_keys=True), "metric": "psnr", "value": 20.0})
    return pd.DataFrame(rows)


def test_one_grid_of_sr4_and_denoise_at_crop_42_reports_as_one_setting():
    """`plbench run --tasks sr4 denoise --crop 42`: sr4's runs record crop 40 (Task.train_crop), denoise's 42; one
    grid, planned with one --crop, must report as one setting, not 'the results hold 2 settings that differ in crop'."""
    table = _table(("sr4", 42), ("denoise", 42), ("demosaic", 42))
    for keep in (set(table["setting"]), None):  # the grid's own report, and `plbench report` later
        chosen = select(table, keep=keep)
        assert chosen.run_ids == set(table["run_id"])
        assert "× 42²" in chosen.description and "sr4 trains 40² crops" in chosen.description, chosen.description
    with pytest.raises(UserError, match="differ in crop"):  # crops no one --crop gives: still two settings
        select(_table(("sr4", 40), ("denoise", 48)))
