"""Probe of the report's figure cosmetics (round 25, r3report): the CD diagram's rank-axis numbers, the one-task
P–D plane's key under its caption."""

from __future__ import annotations

import warnings

import numpy as np

from benchmark import figures as F
from benchmark.stats import compute
from benchmark.synthetic import synthetic_table

with F.style():  # matplotlib's fonts looked up at collection, not in a test's time
    pass


def _stats(n_boot: int = 5, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compute(synthetic_table(**kw), n_boot=n_boot)


def test_cd_axis_numbers_are_evenly_spaced_and_end_at_the_worst_rank():
    """Was: the CD diagram's rank axis numbered every step-th rank from 1 and put the worst rank k in place of the
    last number (30 losses by 2: 1, 3, …, 25, 27, 30), so its last gap was uneven (3 where the others are 2). Now
    the numbers are every step-th rank counted back from k: evenly spaced, k numbered, the first within a step of
    1 (30 by 2: 2, 4, …, 30; 31 by 2: 1, 3, …, 31)."""
    for step in (1, 2, 5, 10, 20):
        for hi in range(1, 400):
            ranks = F._numbered_ranks(1, hi, step)
            assert ranks[-1] == hi and 1 <= ranks[0] < 1 + step, (step, hi, ranks)
            assert (np.diff(ranks) == step).all(), (step, hi, ranks)


def test_the_30_loss_cd_diagram_s_numbers_are_evenly_spaced_and_apart():
    """The brief's repro as drawn: 30 losses, the numbers on the axis evenly spaced, the worst rank (30) numbered,
    and no number's box touching its neighbour's."""
    st = _stats(offsets={f"loss_{i:02d}": i * 0.1 for i in range(30)}, seeds=(0, 1))
    with F.style() as plt:
        fig = F.draw_cd_diagram(st)
        fig.draw_without_rendering()
        r = fig.canvas.get_renderer()
        numbers = sorted((int(t.get_text()), t.get_window_extent(r)) for t in fig.axes[0].texts
                         if t.get_text().isdigit())
        plt.close(fig)
    ranks = [n for n, _ in numbers]
    assert ranks[-1] == 30 and len(set(np.diff(ranks))) == 1 and len(ranks) < 30, ranks
    assert all(a.x1 < b.x0 for (_, a), (_, b) in zip(numbers, numbers[1:])), ranks


def _key_offset(fig) -> float:
    """How far (inches) the left of ``fig``'s key (its legend's entries, markers included) stands right of the left
    of its caption (the legend's title)."""
    fig.draw_without_rendering()
    r = fig.canvas.get_renderer()
    legend = fig.legends[-1]
    entries = min(min(h.get_window_extent(r).x0 for h in legend.legend_handles),
                  min(t.get_window_extent(r).x0 for t in legend.get_texts()))
    return (entries - legend.get_title().get_window_extent(r).x0) / fig.dpi


def test_the_one_task_pd_plane_s_key_is_left_aligned_with_its_caption():
    """Was: one task's P–D plane (one panel) drew its key in one column centred under the caption (the legend's
    title, its lines left-aligned and as wide as the figure): the markers started 0.5 in right of the caption's
    lines, a ragged block. Now the key starts where the caption does (a marker's half-width apart at most)."""
    st = _stats(tasks=("denoise",), metrics=("psnr", "lpips"), n_images=6, n_boot=10,
                offsets={"l1": 0.0, "l2": 0.3, "good": 1.0, "bad": -0.7})
    with F.style() as plt:
        fig = F.draw_pd_plane(st)
        assert fig.legends[-1].get_title().get_text(), "a caption to align with"
        offset = _key_offset(fig)
        plt.close(fig)
    assert abs(offset) < 0.06, offset
