"""Defects found reviewing reproducible test degradations and 16-bit reading (each test failed before its fix)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmark.data import DataSpec

pytestmark = pytest.mark.usefixtures("one_thread")


# ------------------------------------------------------------------------------------------------
# the visual grid of runs made by another code version: their scored inputs are not re-drawn
# ------------------------------------------------------------------------------------------------
def _visual_store(tmp_path: Path, code_version: str | None):
    """A store of one finished denoise run (tiny net saved) on a one-image test folder, recorded as made by
    ``code_version`` (None: not recorded)."""
    from PIL import Image

    from benchmark.nets import build_net

    folder = tmp_path / "Set"
    folder.mkdir()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (24, 24, 3), dtype=np.uint8)).save(folder / "im.png")
    run = tmp_path / "runs" / "r1"
    run.mkdir(parents=True)
    torch.save(build_net("tiny").state_dict(), run / "net.pt")
    cfg = {"task": "denoise", "task_params": {}, "test_data": [DataSpec.parse(str(folder), role="test").token()],
           "loss": "l1", "seed": 0, "net": "tiny"}
    meta = {"run_id": "r1", "status": "ok", "config": cfg, "weights": "none"}
    if code_version is not None:
        meta["code_version"] = code_version

    class Store:
        def metas(self):
            return [meta]

        def run_dir(self, rid):
            return tmp_path / "runs" / rid

    return Store()


@pytest.mark.parametrize("old", ["0.1.0+c2", "0.0.9+c1"])
def test_the_visual_grid_of_runs_scored_on_another_versions_draws_is_skipped_not_redrawn(tmp_path, monkeypatch,
                                                                                        caplog, old):
    """Code version 3 re-draws every test image's degradation. ``plbench report`` on a folder of version-2
    runs (their own setting: the leaderboard is theirs, correctly) drew the visual grid's input with
    today's draw: an input the nets were never scored on, their restorations of it, under the title of
    the scored image — silently. Now the grid of such runs is skipped with a logged reason; the runs
    of this code version are drawn as before."""
    import benchmark.figures as F
    from benchmark.config import code_version

    drawn = []
    monkeypatch.setattr(F, "draw_visual_grid", lambda panels, *a: drawn.append(dict(panels)))
    monkeypatch.setattr(F, "save", lambda fig, base, formats: [base])
    (tmp_path / "old").mkdir()
    with caplog.at_level(logging.INFO, logger="benchmark.figures"):
        out = F.visual_grid(_visual_store(tmp_path / "old", old), "denoise", tmp_path / "fig", formats=("png",))
    assert out == [] and drawn == []
    assert "visual grid for denoise skipped" in caplog.text and old in caplog.text and code_version() in caplog.text
    for now in (code_version(), None):  # made by this code version, or not recorded: drawn as before
        drawn.clear()
        sub = tmp_path / str(now)
        sub.mkdir()
        assert F.visual_grid(_visual_store(sub, now), "denoise", sub / "fig", formats=("png",)) == [sub / "fig"]
        assert [sorted(p) for p in drawn] == [["clean", "input", "l1"]]
