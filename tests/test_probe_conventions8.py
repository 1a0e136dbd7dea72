"""The field's conventions: what the SR/denoising papers' tables compute, and whether the harness can compute it.

Outside references: scikit-image's ``rgb2ycbcr`` (BT.601, Y in 16–235), ``peak_signal_noise_ratio`` and
``structural_similarity`` (Gaussian σ = 1.5, population covariance: Wang et al. 2004's SSIM).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmark.errors import UserError
from benchmark.metrics import MetricSet, min_side

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
if not SHARED.is_dir():
    SHARED = Path("/work/shared/datasets")


def _pair(h=72, w=88, seed=0):
    g = torch.Generator().manual_seed(seed)
    clean = torch.rand(1, 3, h, w, generator=g)
    clean = torch.nn.functional.avg_pool2d(clean, 3, 1, 1)  # some structure, away from the clamp
    noisy = (clean + 0.04 * torch.randn(clean.shape, generator=g)).clamp(0, 1)
    return noisy, clean


def _skimage_y(img: torch.Tensor) -> np.ndarray:
    """Y (16–235, float) of the image's 8-bit rounding, by scikit-image."""
    from skimage.color import rgb2ycbcr

    u8 = np.floor(img[0].permute(1, 2, 0).double().numpy() * 255 + 0.5).astype(np.uint8)
    return rgb2ycbcr(u8)[..., 0]


def test_psnr_y_and_ssim_y_are_the_papers_ycbcr_scores_by_skimage():
    """psnr_y / ssim_y (and @shaveN): PSNR and SSIM on BT.601 YCbCr's Y of the 8-bit images, border shaved —
    what EDSR/RCAN/SwinIR tables report. Before, the harness had no such metric: ``psnry`` is pyiqa's Y of YIQ."""
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    pred, clean = _pair()
    ms = MetricSet(["psnr_y", "psnr_y@shave4", "ssim_y", "ssim_y@shave4"])
    s = ms.score(pred, clean)
    yp, yc = _skimage_y(pred), _skimage_y(clean)
    for shave in (0, 4):
        a, b = (yp, yc) if not shave else (yp[shave:-shave, shave:-shave], yc[shave:-shave, shave:-shave])
        suffix = f"@shave{shave}" if shave else ""
        assert s["psnr_y" + suffix] == pytest.approx(peak_signal_noise_ratio(b, a, data_range=255), abs=1e-4)
        ref = structural_similarity(b, a, data_range=255, gaussian_weights=True, sigma=1.5,
                                    use_sample_covariance=False)
        assert s["ssim_y" + suffix] == pytest.approx(ref, abs=1e-4)


def test_psnry_is_yiq_luma_so_it_reads_lower_than_the_papers_psnr_y():
    """pyiqa's psnry is Y of YIQ (full range): on the same pair it reads 20·log10(255/219) ≈ 1.32 dB below the
    papers' YCbCr Y (16–235), up to 8-bit rounding. Named apart, so a table never mixes the two."""
    pred, clean = _pair(seed=1)
    s = MetricSet(["psnr_y", "psnry"]).score(pred, clean)
    assert s["psnr_y"] - s["psnry"] == pytest.approx(20 * math.log10(255 / 219), abs=0.1)


def test_a_shave_leaves_the_border_out_and_needs_room():
    pred, clean = _pair(seed=2)
    border = clean.clone()
    border[..., :4, :] = 1 - border[..., :4, :]
    border[..., :, -4:] = 1 - border[..., :, -4:]
    s = MetricSet(["psnr_y", "psnr_y@shave4", "ssim_y@shave4"]).score(border, clean)
    assert s["psnr_y"] < 25 and s["psnr_y@shave4"] > 70 and s["ssim_y@shave4"] == pytest.approx(1.0, abs=1e-9)
    assert min_side("ssim_y@shave4") == 19 and min_side("psnr_y@shave4") == 9
    assert MetricSet(["ssim_y@shave4"]).score(clean[..., :18, :18], clean[..., :18, :18]) == {}


@pytest.mark.parametrize("name", ["psnr_y@4", "psnr_y@shave", "ssim_y@crop4", "psnr_y@shave-1"])
def test_a_malformed_shave_is_one_line(name):
    with pytest.raises(UserError, match="shaveN"):
        MetricSet([name])


# ---------------------------------------------------------------------------------------------------------------
# ×4 super-resolution: the papers' bicubic input (MATLAB imresize) and their Bicubic rows
# ---------------------------------------------------------------------------------------------------------------
#: Bicubic ×4 rows of EDSR (Lim et al., CVPRW 2017, Table 6) and RCAN (Zhang et al., ECCV 2018, Table 3):
#: PSNR (dB) / SSIM on Y of YCbCr, 4 px shaved
PAPER_BICUBIC_X4 = {"CSet5": (28.42, 0.8104), "CSet14": (26.00, 0.7027)}


def _bicubic_input_scores(folder: str, **params) -> list[tuple[str, dict]]:
    from benchmark.data import DataSpec, load_images
    from benchmark.runner import evaluate, held_out_items
    from benchmark.task import build_task

    if not (SHARED / folder).is_dir():
        pytest.skip(f"{SHARED / folder} is not on this machine")
    spec = DataSpec.parse(str(SHARED / folder))
    items = held_out_items(build_task("sr4", **params), {spec: load_images(spec)})
    return [(it.image, s) for it, s in evaluate(None, items, MetricSet(["psnr_y@shave4", "ssim_y@shave4"]),
                                                torch.device("cpu"))]


@pytest.mark.slow  # ~2 s alone, 20 s on a loaded machine: reads, degrades and scores Set5 twice
def test_sr4_resize_matlab_gives_the_papers_bicubic_row_on_set5():
    """sr4's input is torch's bicubic (a = −0.75 up, renormalised border): on Set5 its psnr_y@shave4 is 28.63 dB,
    0.2 dB above the papers' Bicubic row → ``resize="matlab"`` (MATLAB's imresize, 8-bit LR) gives 28.42."""
    psnr_paper, ssim_paper = PAPER_BICUBIC_X4["CSet5"]
    scores = _bicubic_input_scores("CSet5", resize="matlab")
    assert len(scores) == 5
    assert np.mean([s["psnr_y@shave4"] for _, s in scores]) == pytest.approx(psnr_paper, abs=0.02)
    assert np.mean([s["ssim_y@shave4"] for _, s in scores]) == pytest.approx(ssim_paper, abs=0.001)
    torch_default = np.mean([s["psnr_y@shave4"] for _, s in _bicubic_input_scores("CSet5")])
    assert torch_default - psnr_paper > 0.1  # the default is another convention, and says so


@pytest.mark.slow
def test_sr4_resize_matlab_gives_the_papers_bicubic_row_on_set14():
    """Set14: 26.09 dB as BasicSR scores it (a grey PNG read as three channels); the MATLAB scripts behind the
    papers' 26.00 score the one-channel file (bridge) on its own levels: 20·log10(255/219) dB lower on it, as
    65.481 + 128.553 + 24.966 = 219 makes a grey pixel's YCbCr Y 16 + 219/255 of its level."""
    from PIL import Image

    scores = dict((k, s["psnr_y@shave4"]) for k, s in _bicubic_input_scores("CSet14", resize="matlab"))
    assert len(scores) == 14
    one_channel = [k for k in scores if Image.open(SHARED / "CSet14" / f"{k}.png").mode == "L"]
    assert one_channel == ["bridge"]
    matlab = {k: v - (20 * math.log10(255 / 219) if k in one_channel else 0) for k, v in scores.items()}
    assert np.mean(list(matlab.values())) == pytest.approx(PAPER_BICUBIC_X4["CSet14"][0], abs=0.02)


def test_sr4_resize_is_recorded_only_off_its_default_and_checked():
    from benchmark.task import build_task

    assert build_task("sr4").params == {"scale": 4}  # runs stored before the option keep their setting
    assert build_task("sr4", resize="matlab").params == {"scale": 4, "resize": "matlab"}
    with pytest.raises(UserError, match="resize must be one of torch, matlab"):
        build_task("sr4", resize="pil")


def test_sr4_resize_matlab_is_8_bit_mirrored_and_batch_and_thread_independent():
    """MATLAB's kernel keeps a constant image constant up to the border (symmetric padding, normalised weights),
    the input is on the 8-bit grid (the papers' uint8 LR and bicubic PNGs), and an image degrades to the same
    bits alone or in a batch of 6, on 1 or 2 threads."""
    from benchmark.task import build_task
    from tasks.super_resolution import imresize

    task = build_task("sr4", resize="matlab")
    flat = torch.full((1, 3, 32, 48), 0.3)
    torch.testing.assert_close(imresize(flat, (8, 12)), torch.full((1, 3, 8, 12), 0.3), atol=1e-6, rtol=0)
    # an 8-bit image's levels, as benchmark.data hands an 8-bit source's out (a 16-bit or float image is kept at its
    # precision: tests/test_probe_data24.py)
    imgs = (torch.rand(6, 3, 40, 56, generator=torch.Generator().manual_seed(3)) * 255).round() / 255
    out = task.degrade(imgs, torch.Generator())
    assert torch.equal(out * 255, (out * 255).round())
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = torch.cat([task.degrade(imgs[i:i + 1], torch.Generator()) for i in range(6)])
        torch.set_num_threads(2)
        two = task.degrade(imgs, torch.Generator())
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(one, out) and torch.equal(two, out)


def test_the_leaderboard_says_how_each_distortion_metric_was_computed():
    """leaderboard.md (and the LaTeX/HTML notes) named ``psnr`` and ``ssim`` with no word of their convention —
    RGB or luma, which luma, what shaved — so a reader set them beside a paper's PSNR-Y → a "Metrics:" note."""
    from benchmark import export as E
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_runs, synthetic_table

    metrics = ("psnr", "ssim", "psnr_y@shave4")
    kw = dict(tasks=("sr4",), seeds=(0, 1), metrics=metrics, n_images=6)
    table = synthetic_table(**kw)
    metas = [m for _, m, _ in synthetic_runs(budget_check=False, **kw)]
    md = E.markdown(compute(table, metas, n_boot=20))
    note = next(line for line in md.splitlines() if "Metrics:" in line)
    assert "psnr: PSNR on RGB" in note and "nothing shaved" in note
    assert "ssim: SSIM on Y of YIQ" in note
    assert "psnr_y@shave4: PSNR on Y of BT.601 YCbCr (16–235)" in note and "4 px shaved" in note


# ---------------------------------------------------------------------------------------------------------------
# JPEG: PSNR-B (Yim & Bovik, IEEE TIP 2011), the JPEG artifact-removal tables' second column
# ---------------------------------------------------------------------------------------------------------------
def _bef_by_pairs(y: np.ndarray, block: int = 8) -> float:
    """BEF straight from the paper's sets: every horizontal and vertical neighbouring pair, on or off a boundary."""
    h, w = y.shape
    on, off = [], []
    for r in range(h):
        for c in range(w - 1):
            (on if (c + 1) % block == 0 else off).append((y[r, c] - y[r, c + 1]) ** 2)
    for r in range(h - 1):
        for c in range(w):
            (on if (r + 1) % block == 0 else off).append((y[r, c] - y[r + 1, c]) ** 2)
    d_b, d_c = np.mean(on), np.mean(off)
    return math.log2(block) / math.log2(min(h, w)) * (d_b - d_c) if d_b > d_c else 0.0


def test_psnrb_y_is_yim_and_boviks_psnr_b_on_ycbcr_luma():
    """JPEG tables report PSNR-B beside PSNR; the harness had no PSNR-B → psnrb_y, checked against the paper's
    definition computed pair by pair, and 0 BEF (PSNR-B = PSNR) where boundaries are no rougher than the rest."""
    from benchmark.metrics import blocking_effect_factor

    g = torch.Generator().manual_seed(4)
    clean = torch.nn.functional.avg_pool2d(torch.rand(1, 3, 40, 48, generator=g), 5, 1, 2)
    blocks = torch.rand(1, 3, 5, 6, generator=g).repeat_interleave(8, 2).repeat_interleave(8, 3)
    blocky = (clean + 0.15 * (blocks - 0.5)).clamp(0, 1)
    s = MetricSet(["psnr_y", "psnrb_y"]).score(blocky, clean)
    yb, yc = _skimage_y(blocky), _skimage_y(clean)
    mse = np.mean((yb - yc) ** 2)
    bef = _bef_by_pairs(yb)
    assert bef > 0
    assert float(blocking_effect_factor(torch.from_numpy(yb)[None, None])) == pytest.approx(bef, rel=1e-9)
    assert s["psnrb_y"] == pytest.approx(10 * math.log10(255**2 / (mse + bef)), abs=1e-4)
    assert s["psnrb_y"] < s["psnr_y"] - 0.5
    ramp = 2.0 * (torch.arange(40.0)[:, None] + torch.arange(48.0)[None])  # every neighbour 2 levels apart
    assert float(blocking_effect_factor(ramp[None, None])) == 0.0
    with pytest.raises(UserError, match="no option"):
        MetricSet(["psnrb_y@shave4"])


def test_where_picks_sr4_runs_of_either_resize_even_where_the_default_is_not_recorded():
    """sr4 records ``resize`` only off its default (runs stored before it keep their setting); ``--where
    sr4.resize=torch`` then said "sr4 has no parameter 'resize'" → an unrecorded parameter reads as its default."""
    import json

    import pandas as pd

    from benchmark.settings import select

    rows = []
    for params in ({"scale": 4}, {"scale": 4, "resize": "matlab"}):
        s = {"net": "tiny", "iterations": 5, "task": "sr4", "task_params": params}
        tag = params.get("resize", "torch")
        for seed in (0, 1):
            rows.append({"run_id": f"{tag}{seed}", "task": "sr4", "loss": "l1", "seed": seed, "weights": "none",
                         "setting": json.dumps(s, sort_keys=True), "dataset": "d", "image": "a",
                         "metric": "psnr", "value": 30.0, "higher_is_better": True})
    table = pd.DataFrame(rows)
    assert set(select(table, where={"sr4.resize": "torch"}).table["run_id"]) == {"torch0", "torch1"}
    assert set(select(table, where={"sr4.resize": "matlab"}).table["run_id"]) == {"matlab0", "matlab1"}
    with pytest.raises(UserError, match=re.escape("no sr4 runs have resize pil (they have matlab | torch)")):
        select(table, where={"sr4.resize": "pil"})
    with pytest.raises(UserError, match="has no parameter 'resise'"):
        select(table, where={"sr4.resise": "torch"})


def test_psnr_rgb_is_the_demosaicking_tables_cpsnr_with_a_shaved_border():
    """Demosaicking tables (Kodak, McMaster) report CPSNR with part of the border left out, where a Bayer method is
    worst; pyiqa's psnr cannot shave → psnr_rgb@shaveN: skimage's PSNR of the 8-bit RGB images, N px shaved, and
    pyiqa's psnr itself where nothing is shaved and the images are on the 8-bit grid."""
    from skimage.metrics import peak_signal_noise_ratio

    pred, clean = _pair(seed=5)
    pred, clean = (torch.round(t * 255) / 255 for t in (pred, clean))
    s = MetricSet(["psnr", "psnr_rgb", "psnr_rgb@shave6"]).score(pred, clean)
    u8 = [np.round(t[0].permute(1, 2, 0).numpy() * 255).astype(np.uint8) for t in (pred, clean)]
    assert s["psnr_rgb@shave6"] == pytest.approx(
        peak_signal_noise_ratio(u8[1][6:-6, 6:-6], u8[0][6:-6, 6:-6], data_range=255), abs=1e-4)
    assert s["psnr_rgb"] == pytest.approx(s["psnr"], abs=1e-4)
    with pytest.raises(UserError, match="psnr_rgb@shaveN"):
        MetricSet(["psnr_rgb@8"])


def test_the_report_says_how_each_task_degraded_defaults_included():
    """The Setting line names only parameters off their defaults, so a report of default runs never said sr4 used
    torch's bicubic (not the papers' imresize) or that denoise clips its noisy input (DnCNN does not) → a "Tasks:"
    note from each task's convention(), built from the recorded parameters."""
    from benchmark import export as E
    from benchmark.settings import task_conventions
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_runs, synthetic_table

    lines = task_conventions([{"task": "sr4", "task_params": {"scale": 4}},
                              {"task": "denoise", "task_params": {"sigma": 25 / 255, "clip": True}},
                              {"task": "plugin_not_here", "task_params": {}}])
    sr4 = next(x for x in lines if x.startswith("sr4: "))
    assert "torch's interpolate" in sr4 and "resize=matlab" in sr4
    den = next(x for x in lines if x.startswith("denoise: "))
    assert "σ = 25 on the 0–255 scale" in den and "clipped to [0, 1]" in den and "clip=false" in den
    assert len(lines) == 2
    unclipped = task_conventions([{"task": "denoise", "task_params": {"clip": False}}])[0]
    assert "not clipped" in unclipped and "`input` row scores it clipped" in unclipped
    assert "MATLAB's imresize" in task_conventions([{"task": "sr4", "task_params": {"resize": "matlab"}}])[0]
    for name in ("deblur", "jpeg", "demosaic"):
        assert task_conventions([{"task": name, "task_params": {}}])[0].startswith(f"{name}: ")

    kw = dict(tasks=("sr4",), seeds=(0, 1), metrics=("psnr",), n_images=6)
    stats = compute(synthetic_table(**kw), [m for _, m, _ in synthetic_runs(budget_check=False, **kw)], n_boot=20)
    stats.tasks_convention = [sr4]
    assert f"Tasks: {sr4}." in E.markdown(stats)


def test_scoring_with_the_papers_metrics_alone_does_not_import_pyiqa():
    """open_metric imported pyiqa (torchvision, torch._dynamo: seconds on this machine) before looking at the name,
    also for the harness's own psnr_y/ssim_y/psnrb_y/psnr_rgb, which use none of it → imported for pyiqa's only."""
    import subprocess
    import sys

    code = ("import sys, torch\n"
            "from benchmark.metrics import MetricSet\n"
            "ms = MetricSet(['psnr_y@shave4', 'ssim_y@shave4', 'psnrb_y', 'psnr_rgb@shave4'])\n"
            "x = torch.rand(1, 3, 32, 32)\n"
            "print(sorted(ms.score(x, x)), 'pyiqa' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-1] == "False", out.stdout


def test_denoise_input_row_of_unclipped_noise_is_scored_clipped_as_its_convention_says():
    """With clip=False (DnCNN's convention) the net sees noise beyond [0, 1], but evaluate() clamps the input row:
    its psnr is the clipped image's, above 20·log10(255/σ) — what the Tasks note now says, measured here."""
    from benchmark.data import DataSpec, ImageRecord
    from benchmark.runner import evaluate, held_out_items
    from benchmark.task import build_task

    pixels = torch.linspace(0, 255, 64).round().to(torch.uint8).expand(3, 64, 64).contiguous()  # black to white
    task = build_task("denoise", clip=False)
    items = held_out_items(task, {DataSpec("mem"): [ImageRecord("a", pixels)]})
    scored = evaluate(None, items, MetricSet(["psnr"]), torch.device("cpu"))[0][1]["psnr"]
    from benchmark.metrics import psnr

    raw = float(psnr(items[0].degraded, items[0].clean))
    assert raw == pytest.approx(20 * math.log10(255 / 25), abs=0.3)  # the input the net sees
    assert scored > raw + 0.1  # the row reports the clipped input
