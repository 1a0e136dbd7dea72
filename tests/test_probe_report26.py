"""Probe of the report and its figures (round 26, report): the rank heatmap's colourbar ticks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from benchmark import figures as F
from benchmark.stats import compute
from benchmark.synthetic import synthetic_table

with F.style():  # matplotlib's fonts looked up at collection, not in a test's time
    pass


def _stats(n_boot: int = 5, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compute(synthetic_table(**kw), n_boot=n_boot)


def test_rank_colourbar_ticks_are_evenly_spaced_and_end_at_the_worst_rank():
    """Was: the rank heatmap's colourbar ticks ran every 2nd/5th/… rank from 1 with the worst rank k put in place of
    the last (13 losses: 1, 6, 13), an uneven last gap. Now they are evenly spaced and end at k, from 1 wherever a
    step divides k - 1 into 2 to 6 gaps (13: 1, 3, …, 13), else counted back from k as the CD diagram's axis is
    (14: 4, 9, 14); at most seven."""
    assert len(set(np.diff(F._rank_ticks(13)))) == 1, F._rank_ticks(13)
    for k in range(1, 400):
        ticks = F._rank_ticks(k)
        assert ticks[-1] == k and len(ticks) <= 7 and ticks == sorted(set(ticks)), (k, ticks)
        assert len(set(np.diff(ticks))) <= 1, (k, ticks)
        step = ticks[1] - ticks[0] if k > 1 else 1
        assert 1 <= ticks[0] < 1 + step, (k, ticks)
        divides = any((k - 1) % s == 0 and 2 <= (k - 1) // s <= 6 for s in range(1, k))
        assert ticks[0] == 1 or not divides, (k, ticks)


@pytest.mark.slow
def test_the_13_loss_rank_heatmap_s_colourbar_ticks_are_evenly_spaced():
    """The brief's repro as drawn: 13 losses on one task, the colourbar's tick positions evenly spaced, the last k."""
    st = _stats(tasks=("denoise",), metrics=("psnr", "ssim"), n_images=3, seeds=(0,),
                offsets={f"loss{i:02d}": 0.1 * i for i in range(13)})
    with F.style() as plt:
        fig = F.draw_rank_heatmap(st)
        ticks = list(fig.axes[0].collections[0].colorbar.get_ticks())
        plt.close(fig)
    assert ticks[-1] == 13 and len(set(np.diff(ticks))) == 1, ticks

