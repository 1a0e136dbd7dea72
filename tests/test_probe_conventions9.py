"""Probe of the field's evaluation conventions (session probe-conventions): which pixels each task scores and how.

Published figures cited: EDSR (Lim et al., CVPRW 2017, Table 6) and RCAN (Zhang et al., ECCV 2018, Table 3) Bicubic
×4 rows, Set5 28.42 dB and Set14 26.00 dB PSNR-Y, computed on images modcropped to the scale (SRCNN/VDSR's
``modcrop(im, scale)``) with ``scale`` px shaved.
"""

from __future__ import annotations

import logging
import re
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

    sets = {DataSpec("mem"): [ImageRecord("a", _image(52, 44)), ImageRecord("odd", _image(30, 70))]}  # 52 = 13·4
    shapes = {t: [tuple(it.clean.shape[-2:]) for it in held_out_items(build_task("sr4", **p), sets)]
              for t, p in {"default": {}, "modcrop": {"modcrop": True}, "x3": {"scale": 3, "modcrop": True}}.items()}
    assert shapes["default"] == [(48, 40), (24, 64)]
    assert shapes["modcrop"] == [(52, 44), (28, 68)]
    assert shapes["x3"] == [(51, 42), (30, 69)]
    assert build_task("sr4").params == {"scale": 4}
    assert build_task("sr4", modcrop=True).params == {"scale": 4, "modcrop": True}
    assert build_task("sr4").test_multiple == 8 and build_task("sr4", modcrop=True).test_multiple == 4
    assert build_task("sr4", scale=3).test_multiple == 24
    assert build_task("sr4", scale=3, modcrop=True).test_multiple == 3


@pytest.mark.parametrize("task,params,shape", [("denoise", {}, (500, 321)),
                                              ("deblur", {"kernel_size": 13, "motion_length": (2, 9)}, (500, 321)),
                                              ("demosaic", {}, (500, 320))])
def test_modcrop_scores_the_whole_image_for_the_other_tasks(task, params, shape):
    """Denoising, JPEG and deblurring papers score the whole test image (Kodak24's 500², BSD68's 481×321), here cut to
    multiples of 8 px (496², 480×320) though the nets are fully convolutional → ``modcrop=true`` cuts to the task's
    own multiple (none; demosaic's even sides); the default keeps 8 and is not recorded (stored runs keep ids)."""
    from benchmark.runner import held_out_items
    from benchmark.settings import task_conventions
    from benchmark.task import build_task

    sets = {DataSpec("mem"): [ImageRecord("bsd", _image(500, 321))]}
    (cut,) = held_out_items(build_task(task, **params), sets)
    (whole,) = held_out_items(build_task(task, modcrop=True, **params), sets)
    assert tuple(cut.clean.shape[-2:]) == (496, 320)
    assert tuple(whole.clean.shape[-2:]) == shape == tuple(whole.degraded.shape[-2:])
    assert "modcrop" not in build_task(task, **params).params
    assert build_task(task, modcrop=True, **params).params["modcrop"] is True
    (line,) = task_conventions([{"task": task, "task_params": {**params, "modcrop": True}}])
    assert line.endswith("whole test images scored" if task != "demosaic" else
                         "multiples of 2 px only (the task's own need)"), line


def test_jpeg_modcrop_compresses_the_whole_image():
    """As above for jpeg, without its codec (torchvision's import: seconds): what it cuts to and records."""
    from benchmark.task import build_task

    assert build_task("jpeg").test_multiple == 8 and build_task("jpeg", modcrop=True).test_multiple == 1
    assert build_task("jpeg").params == {"quality": 10}
    assert build_task("jpeg", modcrop=True).params == {"quality": 10, "modcrop": True}


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


def _grey_pair(h: int = 64, w: int = 80):
    """A grey image (three equal channels, as a one-channel file is read) and a grey copy with 8×8 blocking."""
    g = torch.Generator().manual_seed(3)
    grey = torch.nn.functional.avg_pool2d(torch.rand(1, 1, h, w, generator=g), 5, 1, 2)
    grey = (grey - grey.min()) / (grey.max() - grey.min())
    blocks = torch.rand(1, 1, h // 8, w // 8, generator=g).repeat_interleave(8, 2).repeat_interleave(8, 3)
    pred = (grey + 0.06 * (blocks - 0.5) + 0.01 * torch.randn(grey.shape, generator=g)).clamp(0, 1)
    return ((pred * 255).round() / 255).expand(1, 3, h, w), ((grey * 255).round() / 255).expand(1, 3, h, w)


def _grey_level_scores(pred: torch.Tensor, target: torch.Tensor) -> tuple[float, float]:
    """PSNR and PSNR-B on the grey levels themselves (a one-channel file as ARCNN's and DnCNN's MATLAB scripts
    score it: MSE of the uint8 levels, peak 255; BEF of Yim & Bovik on the 8×8 grid), in numpy."""
    x = np.floor(pred[0, 0].double().numpy() * 255 + 0.5)
    y = np.floor(target[0, 0].double().numpy() * 255 + 0.5)
    mse = np.mean((x - y) ** 2)
    dh, dv = (x[:, 1:] - x[:, :-1]) ** 2, (x[1:] - x[:-1]) ** 2
    on_h, on_v = np.arange(x.shape[1] - 1) % 8 == 7, np.arange(x.shape[0] - 1) % 8 == 7
    d_b = (dh[:, on_h].sum() + dv[on_v].sum()) / (dh[:, on_h].size + dv[on_v].size)
    d_c = (dh[:, ~on_h].sum() + dv[~on_v].sum()) / (dh[:, ~on_h].size + dv[~on_v].size)
    bef = max(d_b - d_c, 0) * np.log2(8) / np.log2(min(x.shape))
    return 10 * np.log10(255**2 / mse), 10 * np.log10(255**2 / (mse + bef))


def test_psnr_y_of_a_grey_test_set_reads_1_32_db_above_the_jpeg_tables_and_grey_scores_their_levels():
    """jpeg's docstring said ARCNN's/DnCNN's tables (grey images: Classic5, LIVE1's Y) 'compare with psnr_y /
    psnrb_y of a grey test set', but psnr_y scores a grey image's BT.601 Y, 16 + 219/255 of its level: on a grey
    JPEG pair it reads 20·log10(255/219) = 1.32 dB above the tables' grey-level PSNR, and psnrb_y as much above their
    PSNR-B (bridge of Set14 at q10: 26.45 / 24.14 vs 25.13 / 22.82) → ``@grey`` scores a pair whose target is grey on
    its grey levels, as the MATLAB scripts score a one-channel file (colour pairs unchanged)."""
    pred, clean = _grey_pair()
    grey_psnr, grey_psnrb = _grey_level_scores(pred, clean)
    from benchmark.metrics import MetricSet, metric_convention

    names = ["psnr_y", "psnrb_y", "psnr_y@grey", "psnrb_y@grey", "psnr_y@shave4+grey", "ssim_y@grey", "ssim_y"]
    s = MetricSet(names).score(pred, clean)
    offset = 20 * np.log10(255 / 219)
    assert s["psnr_y"] - grey_psnr == pytest.approx(offset, abs=0.02)
    assert s["psnrb_y"] - grey_psnrb == pytest.approx(offset, abs=0.02)
    assert s["psnr_y@grey"] == pytest.approx(grey_psnr, abs=1e-3)  # float32 scores
    assert s["psnrb_y@grey"] == pytest.approx(grey_psnrb, abs=1e-3)
    assert s["psnr_y@shave4+grey"] != s["psnr_y@grey"] and s["ssim_y@grey"] != s["ssim_y"]
    colour = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    noisy = (colour + 0.05).clamp(0, 1)
    c = MetricSet(["psnr_y", "psnr_y@grey"]).score(noisy, colour)
    assert c["psnr_y"] == c["psnr_y@grey"]  # a colour target: YCbCr Y, as before
    assert "grey levels" in metric_convention("psnr_y@shave4+grey")
    assert "4 px shaved" in metric_convention("psnr_y@shave4+grey")


@pytest.mark.parametrize("name,message", [("psnr_y@grey+shave4", "write psnr_y@shave4+grey"),
                                          ("psnr_y@shave0+grey", "write psnr_y@grey"),
                                          ("psnr_rgb@grey", "not a border to shave"),
                                          ("psnrb_y@shave4", "takes no option but grey")])
def test_the_grey_option_has_one_spelling(name, message):
    from benchmark.errors import UserError
    from benchmark.metrics import check_metric_names

    with pytest.raises(UserError, match=re.escape(message)):
        check_metric_names([name])


def test_the_jpeg_docstring_no_longer_sends_grey_tables_to_psnr_y():
    import tasks.jpeg as jpeg

    doc = jpeg.JPEGArtifacts.__doc__
    assert "psnr_y@grey" in doc and "1.32 dB" in doc


@pytest.mark.slow  # torchvision's import (seconds on a loaded machine)
def test_a_grey_image_read_as_rgb_goes_through_jpeg_as_the_grey_jpeg():
    """The jpeg task on a grey image read as three equal channels gives the one-component grey JPEG's levels bit for
    bit (chroma planes flat at 128), so ``@grey`` of its input row is the grey tables' JPEG row."""
    from torchvision.io import decode_jpeg, encode_jpeg

    from benchmark.task import build_task, image_generator

    _, clean = _grey_pair()
    for q in (10, 20, 40):
        task = build_task("jpeg", quality=q)
        out = task.degrade(clean.contiguous(), image_generator(task, "k"))
        grey = decode_jpeg(encode_jpeg((clean[0, :1] * 255).round().to(torch.uint8), quality=q))
        assert torch.equal((out[0] * 255).round().to(torch.uint8), grey.expand(3, -1, -1))
    from benchmark.runner import held_out_items  # and with modcrop, a 500×321 image compressed whole

    (item,) = held_out_items(build_task("jpeg", modcrop=True), {DataSpec("mem"): [ImageRecord("a", _image(500, 321))]})
    assert tuple(item.degraded.shape[-2:]) == (500, 321)


@pytest.mark.slow  # reads, degrades and scores Set14 (~3 s alone)
def test_psnr_y_grey_scores_set14s_grey_images_on_their_levels():
    """``@grey`` goes by the pixels, not the file: Set14's bridge (a one-channel file) and man (a three-channel file of
    grey pixels) are both scored on their levels, each 20·log10(255/219) dB below its YCbCr Y; EDSR/RCAN's MATLAB
    scripts score bridge alone so (26.00 dB), man on its Y — the file's channel count is not carried to scoring."""
    from benchmark.data import load_images
    from benchmark.metrics import MetricSet
    from benchmark.runner import evaluate, held_out_items
    from benchmark.task import build_task

    spec = DataSpec(str(SHARED / "CSet14"))
    items = held_out_items(build_task("sr4", resize="matlab", modcrop=True), {spec: load_images(spec)})
    scores = {it.image: s for it, s in evaluate(None, items, MetricSet(["psnr_y@shave4", "psnr_y@shave4+grey"]),
                                                torch.device("cpu"))}
    assert len(scores) == 14
    gap = {k: s["psnr_y@shave4"] - s["psnr_y@shave4+grey"] for k, s in scores.items()}
    assert {k for k, v in gap.items() if v} == {"bridge", "man"}
    assert gap["bridge"] == pytest.approx(20 * np.log10(255 / 219), abs=0.02)
    assert gap["man"] == pytest.approx(20 * np.log10(255 / 219), abs=0.02)
    papers = np.mean([s["psnr_y@shave4+grey"] if k == "bridge" else s["psnr_y@shave4"] for k, s in scores.items()])
    assert papers == pytest.approx(26.00, abs=0.01)  # EDSR/RCAN's Bicubic ×4 row


@pytest.mark.slow  # demosaics and scores Kodak24 twice (~3 s alone)
def test_readmes_bilinear_kodak24_figures_say_which_pixels_and_which_kodak():
    """README gave bilinear demosaicking's Kodak24 CPSNR as '29.88 dB whole', but the image was cut to 496² and the
    shared Kodak24 is the denoising papers' 500² crops, not the 768×512 frames of the demosaicking tables."""
    import re as _re

    from benchmark.data import load_images
    from benchmark.metrics import MetricSet
    from benchmark.runner import evaluate, held_out_items
    from benchmark.task import build_task

    spec = DataSpec(str(SHARED / "Kodak24"))
    recs = load_images(spec)
    assert {r.size for r in recs} == {(500, 500)}
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for modcrop, phrase in ((False, "bilinear demosaic on the shared Kodak24: {} dB cut to 496², {} with 10 px"),
                            (True, "{} / {} on the whole 500² with `demosaic.modcrop=true`")):
        items = held_out_items(build_task("demosaic", modcrop=modcrop), {spec: recs})
        scores = [s for _, s in evaluate(None, items, MetricSet(["psnr_rgb", "psnr_rgb@shave10"]), torch.device("cpu"))]
        whole, shaved = (f"{np.mean([s[k] for s in scores]):.2f}" for k in ("psnr_rgb", "psnr_rgb@shave10"))
        assert phrase.format(whole, shaved) in _re.sub(r"\s+", " ", readme)
    assert "768×512" in readme
