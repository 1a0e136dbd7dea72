"""Probe of the published figures, tables and report (round 25): the one-task P–D plane's height, the leaderboard's
rotated metric names, right-to-left loss names in report.html."""

from __future__ import annotations

import warnings

import pytest

from benchmark import figures as F
from benchmark.stats import compute
from benchmark.synthetic import synthetic_table

with F.style():  # matplotlib's fonts looked up at collection, not in a test's time
    pass


def _stats(**kw):
    kw.setdefault("offsets", {"l1": 0.0, "l2": 0.3, "good": 1.0, "bad": -0.7})
    kw.setdefault("n_images", 6)
    t = synthetic_table(**kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compute(t, n_boot=10)


@pytest.mark.parametrize("tasks", [("denoise",), ("denoise", "sr4")])
def test_the_pd_plane_leaves_no_band_of_white_above_or_below_its_panel(tasks):
    """Was: one task's P–D plane (one panel, its box 0.85 as tall as wide) was made 2.9 in + its key tall, a guess;
    the constrained layout centred the square panel in the taller slot, so 0.32 in of white stood between the title
    and the panel's task name (0.08 in with two tasks) and more above the key. Now the figure is as tall as the
    panel drawn needs: the gaps are those of a figure of several panels."""
    st = _stats(tasks=tasks, metrics=("psnr", "lpips"))
    with F.style() as plt:
        fig = F.draw_pd_plane(st)
        fig.draw_without_rendering()
        r = fig.canvas.get_renderer()
        panel = fig.axes[0].get_tightbbox(r)
        above = (fig._suptitle.get_window_extent(r).y0 - panel.y1) / fig.dpi
        below = (panel.y0 - fig.legends[-1].get_window_extent(r).y1) / fig.dpi
        plt.close(fig)
    assert 0 <= above < 0.15 and 0 <= below < 0.15, (above, below)
