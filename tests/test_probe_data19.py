"""Data inputs, probed as a researcher with their own photos and Hugging Face datasets would hit them (session 19)."""

from __future__ import annotations

import pytest

from benchmark.data import DataSpec


def _pngs(folder, *names, size=(24, 16)):
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name in names:
        Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(folder / f"{name}.png")


def test_the_overlap_check_travels_to_workers_and_into_a_note(tmp_path):
    """A test folder that is a copy of the training folder was only a WARNING in the planning log: the runs, the
    store and the leaderboard kept no trace of it → the planned check's answer is kept per (training, test) pair for
    the runs' meta.json (:meth:`DataCache.known_overlap`), handed to workers that compare no image
    (:meth:`DataCache.overlaps` → :meth:`DataCache.take_overlaps`), and read back as the leaderboard's note."""
    import shutil

    from benchmark.config import RunConfig
    from benchmark.data import overlap_lines
    from benchmark.runner import DataCache

    _pngs(tmp_path / "mine", "a", "b", "c")
    shutil.copytree(tmp_path / "mine", tmp_path / "copy")
    train, test = (DataSpec.parse(str(tmp_path / "mine")),), (DataSpec.parse(str(tmp_path / "copy")),)
    data = DataCache()
    assert data.known_overlap(train, test) is None  # not checked: nothing to record
    data.overlap(train, test)
    found = data.known_overlap(train, test)
    assert found == {"images": ["copy/a", "copy/b", "copy/c"], "test_images": 3}
    worker = DataCache()  # a worker process: the driver's answer taken, no image compared
    worker.take_overlaps(data.overlaps([RunConfig(task="denoise", loss="l1", train_data=train, test_data=test)]))
    assert worker._overlaps == data._overlaps and not worker._images
    meta = {"config": {"task": "denoise", "train_data": [train[0].token()], "test_data": [test[0].token()]},
            "test_overlap": found}
    (line,) = overlap_lines([meta, dict(meta, config=dict(meta["config"], task="sr4"))])
    assert line.startswith("Test images trained on: 3 of 3 test images are also training images (train: ")
    assert "in 2 runs (denoise, sr4)" in line and line.endswith("copy/a, copy/b, copy/c."), line
    clean = dict(meta, test_overlap={"images": [], "test_images": 3})
    assert overlap_lines([clean, {"run_id": "older than the record"}]) == []


@pytest.mark.slow
def test_a_grid_tested_on_a_copy_of_its_training_folder_says_so_on_its_leaderboard(tmp_path):
    """The same end to end: planned, trained, its meta.json's ``test_overlap``, the leaderboard's note."""
    import shutil

    import torch

    from benchmark.config import GridSpec, build_configs, run_id
    from benchmark.report import write_report
    from benchmark.results import ResultsStore
    from benchmark.runner import DataCache, run_grid

    _pngs(tmp_path / "mine", "a", "b", "c", size=(32, 32))
    shutil.copytree(tmp_path / "mine", tmp_path / "copy")
    data = DataCache()
    spec = GridSpec(tasks=("denoise",), losses=("l1",), seeds=(0,), iterations=1, crop=16, batch_size=1,
                    net="tiny", train_data=(str(tmp_path / "mine"),), test_data=(str(tmp_path / "copy"),),
                    metrics=("psnr",), budget_check=False, device="cpu")
    configs, metrics, _ = build_configs(spec, data)
    store = ResultsStore(tmp_path / "results")
    run_grid(configs, store, metrics, torch.device("cpu"), progress=False, data=data)
    assert store.meta(run_id(configs[0]))["test_overlap"]["images"] == ["copy/a", "copy/b", "copy/c"]
    paths = write_report(store, formats=("png",), visual=False)
    assert "Test images trained on: 3 of 3 test images are also training images" in paths["markdown"].read_text()
