"""Review of the conventions work (psnr_y/ssim_y/psnrb_y/psnr_rgb, sr4 resize=matlab): defects found after it."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch


def test_ssim_y_ci_is_cut_at_1_as_pyiqas_ssim_is():
    """ssim_y is Wang's SSIM (a mean of terms ≤ 1), but RANGE named only pyiqa's ssim family, so an ssim_y cell's
    Student-t interval over a few seeds could reach past 1 where ssim's is cut (benchmark.stats.cell_table)."""
    from benchmark.metrics import metric_range

    for name in ("ssim_y", "ssim_y@shave4"):
        assert metric_range(name) == (-math.inf, 1.0)
    for name in ("psnr_y@shave4", "psnr_rgb", "psnrb_y"):
        assert metric_range(name) == (-math.inf, math.inf)


def _matlab_contributions(n_in: int, n_out: int, scale: float):
    """MATLAB imresize.m's ``contributions`` for 'bicubic', line by line (weights, 0-based indices)."""
    def cubic(x):
        a = np.abs(x)
        return (1.5 * a**3 - 2.5 * a**2 + 1) * (a <= 1) + (-0.5 * a**3 + 2.5 * a**2 - 4 * a + 2) * ((a > 1) & (a <= 2))

    h, width = (lambda x: scale * cubic(scale * x), 4.0 / scale) if scale < 1 else (cubic, 4.0)
    u = np.arange(1, n_out + 1) / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - width / 2)
    ind = left[:, None] + np.arange(math.ceil(width) + 2)[None]
    wts = h(u[:, None] - ind)
    wts /= wts.sum(1, keepdims=True)
    aux = np.concatenate([np.arange(1, n_in + 1), np.arange(n_in, 0, -1)])
    return wts, aux[np.mod(ind - 1, len(aux)).astype(int)] - 1


def _matlab_imresize_uint8(img: np.ndarray, out: tuple[int, int]) -> np.ndarray:
    """MATLAB's imresize of a uint8 (H, W, C) image to ``out``: the axis of the smaller scale first, and each pass
    (imresizemex) returned as uint8 — saturated, rounded (fatheral/matlab_imresize emulates it the same way)."""
    x = img.astype(np.float64)
    scale = [out[0] / img.shape[0], out[1] / img.shape[1]]
    for axis in np.argsort(scale, kind="stable"):
        wts, ind = _matlab_contributions(x.shape[axis], out[axis], scale[axis])
        x = np.einsum("op,opwc->owc", wts, x[ind]) if axis == 0 else np.einsum("op,hopc->hoc", wts, x[:, ind])
        x = np.floor(np.clip(x, 0, 255) + 0.5)
    return x.astype(np.uint8)


@pytest.mark.parametrize("scale,hw", [(2, (34, 46)), (3, (33, 48)), (4, (40, 56)), (4, (52, 36))])
def test_sr_resize_matlab_is_matlabs_imresize_of_the_uint8_image_bit_for_bit(scale, hw):
    """MATLAB's imresize of a uint8 image rounds each of its two passes to uint8; resize="matlab" rounded only the
    result, so 26 % of Set5's ×4 bicubic input (and its LR image) was one level off the papers' → each pass
    rounded (imresize(uint8=True)). Checked on random 8-bit images at ×2/×3/×4, against MATLAB's formula."""
    from benchmark.task import build_task
    from tasks.super_resolution import imresize

    g = np.random.default_rng(scale)
    hr = g.integers(0, 256, (*hw, 3)).astype(np.uint8)
    hr = np.clip(hr.astype(int) // 2 + np.roll(hr, 1, 0) // 2, 0, 255).astype(np.uint8)  # a little smoother
    clean = torch.from_numpy(hr).permute(2, 0, 1)[None].float() / 255
    lr = _matlab_imresize_uint8(hr, (hw[0] // scale, hw[1] // scale))
    ref = _matlab_imresize_uint8(lr, hw)
    out = build_task("sr4", scale=scale, resize="matlab").degrade(clean, torch.Generator())
    assert np.array_equal(np.round(out[0].permute(1, 2, 0).numpy() * 255).astype(np.uint8), ref)
    # any size, as imresize(I, [h w]) (here unequal scales: the axis shrunk most goes first)
    odd = imresize(clean, (hw[0] // 3 + 1, hw[1] // 5 + 2), uint8=True)
    ref_odd = _matlab_imresize_uint8(hr, (hw[0] // 3 + 1, hw[1] // 5 + 2))
    assert np.array_equal(np.round(odd[0].permute(1, 2, 0).numpy() * 255).astype(np.uint8), ref_odd)


def test_the_tasks_note_says_which_pixels_were_scored():
    """Test images are cut at the bottom/right to multiples of 8 px (24 for ×3), where denoising papers score
    Kodak's whole 500² and SR papers modcrop to the scale only; the report said "whole image" and nothing of the cut
    (Set5 ×4 bicubic: 28.421 dB here, 28.429 modcropped to 4) → the Tasks note names the multiple, per task."""
    from benchmark.settings import task_conventions

    lines = task_conventions([{"task": "sr4", "task_params": {"scale": 4}},
                              {"task": "sr4", "task_params": {"scale": 3, "resize": "matlab"}},
                              {"task": "denoise", "task_params": {}}, {"task": "demosaic", "task_params": {}}])
    assert len(lines) == 4
    by = {line.split(": ", 1)[0] + str("×3" in line): line for line in lines}
    assert "cut at the bottom/right to multiples of 8 px (the papers' modcrop cuts to 4)" in by["sr4False"]
    assert "multiples of 24 px (the papers' modcrop cuts to 3)" in by["sr4True"]
    for name in ("denoise", "demosaic"):  # a Bayer pattern's multiple of 2 is no modcrop
        assert by[name + "False"].endswith("test images cut at the bottom/right to multiples of 8 px")


@pytest.mark.parametrize("name,canonical", [("psnr_y@shave04", "psnr_y@shave4"), ("ssim_y@shave0", "ssim_y"),
                                            ("psnr_rgb@shave008", "psnr_rgb@shave8")])
def test_one_scoring_has_one_name(name, canonical):
    """psnr_y@shave04 and psnr_y@shave4 (psnr_y@shave0 and psnr_y) scored the same pixels under two names: two
    leaderboard columns, two sets of rows, and a compare or --where under one name missed the other → refused in
    one line naming the spelling to use; the canonical names still open."""
    from benchmark.errors import UserError
    from benchmark.metrics import MetricSet

    with pytest.raises(UserError, match=f"write {canonical} ") as err:
        MetricSet([name])
    assert "\n" not in str(err.value)
    x = torch.rand(1, 3, 32, 32)
    assert list(MetricSet([canonical]).score(x, x)) == [canonical]
