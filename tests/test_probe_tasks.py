"""Defects found probing task adapters, degradations and data paths (each test failed before its fix)."""

from __future__ import annotations

import pytest
import torch

from benchmark.data import DataSpec, ImageRecord
from benchmark.task import build_task


def _items(task, size=(24, 32), n=1, name="x"):
    from benchmark.runner import held_out_items

    g = torch.Generator().manual_seed(0)
    recs = [ImageRecord(f"im{i}", torch.randint(0, 256, (3, *size), dtype=torch.uint8, generator=g)) for i in range(n)]
    return held_out_items(task, {DataSpec(name): recs})


def test_the_input_row_of_unclipped_noise_is_scored_like_a_nets_output():
    """``denoise clip=False`` gives inputs outside [0, 1]: the input baseline was passed to pyiqa as
    it was (an AssertionError, "internal error", that stopped the grid) while every net's output is
    clamped to [0, 1] before scoring. The input is scored as the nets' outputs are: clamped."""
    from benchmark.metrics import MetricSet, psnr
    from benchmark.runner import evaluate

    items = _items(build_task("denoise", sigma=0.3, clip=False))
    assert float(items[0].degraded.min()) < 0 and float(items[0].degraded.max()) > 1  # the case at hand
    (item, vals), = evaluate(None, items, MetricSet(("psnr",)), torch.device("cpu"))
    want = float(psnr(item.degraded.clamp(0, 1), item.clean))
    assert vals["psnr"] == pytest.approx(want, abs=1e-4)


def test_deblur_motion_longer_than_its_kernel_is_refused_not_clamped():
    """``deblur.kernel_size=9`` with the default motion lengths U(5, 15): every length over 8 px was cut
    to 8 in silence (half the motion kernels), while the results recorded ``motion_length (5, 15)``.
    Now a one-line error naming both; without motion blur (``p_motion=0``) any kernel size is fine."""
    from benchmark.errors import UserError
    from tasks.deblur import motion_kernel

    k = build_task("deblur", kernel_size=9, p_motion=1.0, motion_length=(5.0, 8.0))  # fits: up to size − 1
    assert k.sample_kernel(torch.Generator().manual_seed(0)).shape == (9, 9)
    assert motion_kernel(9, 8.0, 0.0)[4].gt(0).sum() == 9  # a length of size − 1 spans the kernel
    with pytest.raises(UserError, match=r"motion_length.*kernel_size") as err:
        build_task("deblur", kernel_size=9)
    assert "\n" not in str(err.value)
    assert build_task("deblur", kernel_size=9, p_motion=0.0).kernel_size == 9
