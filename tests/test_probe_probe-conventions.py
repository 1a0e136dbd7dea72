"""Probe of the field's evaluation conventions (session probe-conventions): which pixels each task scores and how.

Published figures cited: EDSR (Lim et al., CVPRW 2017, Table 6) and RCAN (Zhang et al., ECCV 2018, Table 3) Bicubic
×4 rows, Set5 28.42 dB and Set14 26.00 dB PSNR-Y, computed on images modcropped to the scale (SRCNN/VDSR's
``modcrop(im, scale)``) with ``scale`` px shaved.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmark.data import DataSpec, ImageRecord

SHARED = Path("/work/shared/datasets")


def _image(h: int, w: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(3, h, w, generator=g) * 255).round().to(torch.uint8)


def test_sr4_modcrop_cuts_test_images_to_the_scale_as_the_papers_do():
    """Test images were always cut to multiples of 8 px: Set5's woman (228×344) scored at 224 rows, where every SR
    paper modcrops to the scale (228 = 57·4) → ``sr4.modcrop=true`` cuts to the scale alone; the default keeps 8
    (runs stored before it keep their pixels and their ids: ``modcrop`` is recorded only when true)."""
    from benchmark.runner import held_out_items
    from benchmark.task import build_task

    sets = {DataSpec("mem"): [ImageRecord("woman", _image(228, 344)), ImageRecord("odd", _image(230, 70))]}
    shapes = {t: [tuple(it.clean.shape[-2:]) for it in held_out_items(build_task("sr4", **p), sets)]
              for t, p in {"default": {}, "modcrop": {"modcrop": True}, "x3": {"scale": 3, "modcrop": True}}.items()}
    assert shapes["default"] == [(224, 344), (224, 64)]
    assert shapes["modcrop"] == [(228, 344), (228, 68)]
    assert shapes["x3"] == [(228, 342), (228, 69)]
    assert build_task("sr4").params == {"scale": 4}
    assert build_task("sr4", modcrop=True).params == {"scale": 4, "modcrop": True}
    assert build_task("sr4").test_multiple == 8 and build_task("sr4", modcrop=True).test_multiple == 4
    assert build_task("sr4", scale=3).test_multiple == 24
    assert build_task("sr4", scale=3, modcrop=True).test_multiple == 3


def test_the_tasks_note_names_the_modcrop_and_planning_cuts_as_the_task_does(caplog):
    """The report's Tasks note and the planning size check must cut as the task scores: with modcrop, the scale."""
    from benchmark.config import check_metric_sizes
    from benchmark.settings import task_conventions

    (line,) = task_conventions([{"task": "sr4", "task_params": {"scale": 4, "modcrop": True}}])
    assert "test images modcropped to multiples of 4 px, as the papers" in line, line
    assert "multiples of 8" not in line

    class Data:
        def images(self, spec):
            return [ImageRecord("a", _image(12, 12))]

    with caplog.at_level(logging.INFO):  # psnr_y@shave4 needs 9 px: 12 px cut to 8 is too small, to 12 is not
        check_metric_sizes(["psnr_y@shave4"], (DataSpec("mem"),), Data(), {"sr4": 4})
    assert not [r for r in caplog.records if "psnr_y@shave4" in r.getMessage()], caplog.text


@pytest.mark.slow  # reads and degrades Set5 twice (~2 s alone)
def test_sr4_modcrop_scores_set5_woman_whole_as_the_papers():
    from benchmark.data import load_images
    from benchmark.metrics import MetricSet
    from benchmark.runner import evaluate, held_out_items
    from benchmark.task import build_task

    spec = DataSpec(str(SHARED / "CSet5"))
    recs = load_images(spec)
    out = {}
    for modcrop in (False, True):
        items = held_out_items(build_task("sr4", resize="matlab", modcrop=modcrop), {spec: recs})
        out[modcrop] = {it.image: (tuple(it.clean.shape[-2:]), s["psnr_y@shave4"])
                        for it, s in evaluate(None, items, MetricSet(["psnr_y@shave4"]), torch.device("cpu"))}
    assert out[True]["woman"][0] == (344, 228) and out[False]["woman"][0] == (344, 224)
    assert {k: v for k, v in out[True].items() if k != "woman"} == {k: v for k, v in out[False].items() if k != "woman"}
    assert np.mean([v[1] for v in out[True].values()]) == pytest.approx(28.42, abs=0.01)  # EDSR/RCAN Bicubic ×4
