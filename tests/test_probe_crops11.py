"""Task crops and run-id honesty: the crop a run records is the crop it trains on (benchmark.task.Task.train_crop)."""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pytest
from PIL import Image

from benchmark.config import GridSpec, RunConfig, build_configs, resolve, run_id
from benchmark.data import DataCache, usable_for_crop
from benchmark.errors import UserError
from tasks.super_resolution import SuperResolution


def _photos(folder, sides) -> str:
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i, side in enumerate(sides):
        Image.fromarray(rng.integers(0, 256, (side, side + 3, 3), dtype=np.uint8)).save(folder / f"p{i}.png")
    return str(folder)


@pytest.mark.slow  # three grids planned: 1.5 s
def test_sr4_at_crop_42_is_planned_filtered_and_identified_as_the_40_px_crops_it_trains(tmp_path, caplog):
    """sr4 samples 42 − 42 % 4 = 40-px crops, but the run recorded crop 42 and dropped every image under 42 px: a
    training set of 40–41 px photos failed outright ('every image … is smaller than the 42 px crop')."""
    train = _photos(tmp_path / "train", (40, 41))
    test = _photos(tmp_path / "test", (48,))
    data = DataCache()

    def grid(crop, tasks=("sr4",)):
        spec = GridSpec(tasks=tasks, losses=("l1",), seeds=(0,), metrics=("psnr",), device="cpu", iterations=2,
                        crop=crop, batch_size=2, budget_check=False, train_data=(train,), test_data=(test,))
        return build_configs(spec, data)[0]

    with caplog.at_level(logging.INFO, logger="benchmark"):
        (c42,) = grid(42)
    assert c42.crop == 40
    said = [r.getMessage() for r in caplog.records if "--crop 42" in r.getMessage()]
    assert len(said) == 1 and "40-px crops for task sr4" in said[0], caplog.text
    assert len(usable_for_crop(data.pooled(c42.train_data), c42.crop, "train")) == 2  # none dropped
    (c40,) = grid(40)
    assert run_id(c42) == run_id(c40)  # one run, one id: a crop-42 sr4 id is never made
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="benchmark"):
        (d,) = grid(40, ("denoise",))
    assert d.crop == 40 and "--crop" not in caplog.text  # a crop the task takes as it is: nothing said


def test_resolve_records_the_trained_crop_of_built_in_tasks_and_leaves_plugins_and_multiples_as_given():
    assert resolve(RunConfig(task="sr4", loss="l1", crop=42)).crop == 40
    assert resolve(RunConfig(task="sr4", loss="l1", crop=42, task_params={"scale": 3})).crop == 42
    assert resolve(RunConfig(task="demosaic", loss="l1", crop=43)).crop == 42
    for task in ("denoise", "jpeg", "deblur"):  # size multiple 1: every crop is what they train on
        assert resolve(RunConfig(task=task, loss="l1", crop=43)).crop == 43
    # a plugin task written before Task.records_train_crop keeps --crop as given: its run ids and training images
    old_style = dataclasses.make_dataclass("OldStyleSR", [], bases=(SuperResolution,), frozen=True,
                                           namespace={"records_train_crop": False})
    assert old_style().size_multiple == 4 and old_style().train_crop(42) == 42
    assert SuperResolution().train_crop(42) == 40


# Pinned reference values of a compatibility promise: the run ids the code before Task.train_crop (e48362e)
# gave these configs (no data fingerprints). The default profiles' crops (48, 96, 128) and any crop
# of a task of size multiple 1 must keep them, or every stored run of those profiles would be trained again.
PINNED = {("sr4", 48): "d9a45861b8588a55", ("sr4", 96): "8c7df2f0cb6f18ca", ("demosaic", 128): "1780abe01eb60aa7",
          ("denoise", 42): "ce3ec6a511bf8c36", ("jpeg", 48): "0e6c0d2144834f0d", ("deblur", 96): "05f2fe64e6dfd5cc",
          ("sr4", 40): "ffe844b378d472cb"}


@pytest.mark.parametrize("task,crop", sorted(PINNED))
def test_run_ids_at_crops_the_task_trains_as_given_are_unchanged(task, crop):
    cfg = resolve(RunConfig(task=task, loss="l1", crop=crop))
    assert cfg.crop == crop
    assert run_id(cfg) == PINNED[task, crop]


@pytest.mark.slow  # reads two folders and plans a compare config: 1.3 s
def test_compare_trains_a_new_loss_at_the_crop_of_a_field_stored_before_train_crop(tmp_path):
    """An sr4 field run at crop 42 before the crop was resolved (its id and setting say 42, its images were filtered
    at 42): a new loss compared with it is planned at 42 as its runs were, not refused as another setting (40)."""
    from benchmark.compare import _config_from
    from benchmark.config import setting

    data = DataCache()
    train, test = _photos(tmp_path / "train", (44,)), _photos(tmp_path / "test", (48,))
    old = dataclasses.replace(resolve(RunConfig(task="sr4", loss="l1", crop=40, train_data=train, test_data=test),
                                      data), crop=42)  # as the code before Task.train_crop resolved it
    meta = {"config": old.to_dict(), "setting": setting(old)}
    new = _config_from(meta, "l2", 1, data, "cpu")
    assert (new.crop, new.loss, new.seed) == (42, "l2", 1) and setting(new) == setting(old)


def test_a_deblur_crop_within_its_kernels_reach_is_refused_when_planned(tmp_path):
    """deblur at --crop 10 with its 21-px kernel: every border pixel's blur reaches past the crop's far side (10c9b4d
    mirrors it where the code before replicated it, under the same version and run ids): refused at planning."""
    train = _photos(tmp_path / "train", (16,))

    def plan(crop, **params):
        return build_configs(GridSpec(tasks=("deblur",), losses=("l1",), seeds=(0,), metrics=("psnr",), device="cpu",
                                      iterations=2, crop=crop, batch_size=2, budget_check=False, train_data=(train,),
                                      test_data=(train,), task_params={"deblur": params}), DataCache())

    with pytest.raises(UserError, match=r"--crop 10 is too small for task deblur: it needs ≥ 11 px .*kernel_size 21"):
        plan(10)
    with pytest.raises(UserError, match=r"--crop 8 is too small for task deblur: it needs ≥ 9 px"):
        plan(8, kernel_size=17, gaussian_sigma=(1.0, 2.0), motion_length=(3.0, 9.0))


def test_the_crop_floor_of_each_task_is_its_own_and_the_harness_s():
    from benchmark.config import MIN_CROP, check_crop
    from benchmark.task import build_task

    for name, params, floor in (("deblur", {}, 11), ("sr4", {}, MIN_CROP), ("sr4", {"scale": 8}, 16),
                                ("denoise", {}, MIN_CROP), ("demosaic", {}, MIN_CROP)):
        task = build_task(name, **params)
        check_crop(task, floor, name)  # the floor itself is taken
        with pytest.raises(UserError, match=rf"--crop {floor - 1} is too small for task {name}: it needs ≥ {floor}"):
            check_crop(task, floor - 1, name)
