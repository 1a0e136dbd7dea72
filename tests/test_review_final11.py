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


def test_a_deblur_run_within_its_kernels_reach_is_refused_when_run_from_a_plan_made_before_the_floor(tmp_path):
    """ee42676 refuses deblur at --crop ≤ 10 (21-px kernel) when a grid is planned, but a plan made before it (an
    executor's saved configs, compare's field) reached run_grid and trained such a crop with the mirroring of
    10c9b4d under the id the code before gave replicate padding: refused there too, before any work."""
    import numpy as np
    import torch
    from PIL import Image

    from benchmark.data import DataCache
    from benchmark.results import ResultsStore
    from benchmark.runner import run_grid

    (tmp_path / "img").mkdir()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (16, 19, 3), dtype=np.uint8)).save(
        tmp_path / "img" / "a.png")
    data = DataCache()
    cfg = resolve(RunConfig(task="deblur", loss="l1", crop=10, iterations=2, batch_size=2, net="tiny",
                            train_data=str(tmp_path / "img"), test_data=str(tmp_path / "img")), data)
    store = ResultsStore(tmp_path / "out")
    with pytest.raises(UserError, match=r"--crop 10 is too small for task deblur: it needs ≥ 11 px"):
        run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False, data=data)
    assert not store.is_done(run_id(cfg))


def test_where_crop_42_picks_the_sr4_runs_that_crop_42_trains():
    """`plbench report --where crop=42` on a store of a --crop 42 grid (sr4 records 40, Task.train_crop) and a --crop
    96 one kept denoise's crop-42 runs and silently dropped sr4's leaderboard."""
    table = pd.concat([_table(("sr4", 42), ("denoise", 42)), _table(("sr4", 96), ("denoise", 96))], ignore_index=True)
    chosen = select(table, where={"crop": "42"})
    assert chosen.run_ids == set(table["run_id"][:2]) and {s["task"] for s in chosen.settings} == {"sr4", "denoise"}
    assert select(table, where={"crop": "40"}).run_ids == {table["run_id"][0]}  # as recorded: sr4's alone
    # an sr4 run of crop 42 stored before Task.train_crop (recorded 42, filtered at 42) is the one crop=42 picks
    import dataclasses

    old = dataclasses.replace(resolve(RunConfig(task="sr4", loss="l1", crop=40)), crop=42)
    table = pd.concat([table, pd.DataFrame([{"task": "sr4", "loss": "l1", "run_id": run_id(old), "metric": "psnr",
                                             "setting": json.dumps(setting(old), sort_keys=True), "value": 20.0}])],
                      ignore_index=True)
    assert select(table, where={"crop": "42"}).run_ids == {run_id(old), table["run_id"][1]}
