"""Probe of the published figures (figures11): defects found by drawing reports of 1–60 losses, 1–8 tasks and
1–12 metrics and looking at every PNG."""

from __future__ import annotations

import numpy as np

from benchmark import figures as F


def test_robust_limits_pad_every_point_they_leave_on_the_panel():
    """30 losses with a tight spread and the degraded input just past 4 IQRs: the input was left out of the range,
    but fell inside its 6 % padding, so the P–D plane drew it as an ordinary marker on the panel's edge, half of it
    cut off (30-loss report, lpips 0.405 against an axis ending at 0.407). A point the range shows is padded like
    every other; one beyond it stays out (drawn as an off-scale triangle)."""
    rng = np.random.default_rng(0)
    losses = 0.24 + 0.01 * rng.standard_normal(30)
    bars = 0.1  # CI bars far wider than the losses' spread: they set the range
    pad = 0.06
    for near in (losses.max() + bars + 0.01, losses.min() - bars - 0.01):  # past 4 IQRs, within the padding
        means = np.append(losses, near)
        lows, highs = np.append(losses - bars, np.nan), np.append(losses + bars, np.nan)  # the input: no bar
        ref = np.arange(len(means)) == len(losses)
        for reference in (ref, None):  # the input (a reference point) or a loss
            lo, hi = F.robust_limits(means, lows, highs, reference=reference, pad=pad)
            inside = means[(means >= lo) & (means <= hi)]
            margin = pad / (1 + 2 * pad) * (hi - lo)  # the padding of the points the range was made for
            assert (np.minimum(inside - lo, hi - inside) >= margin * (1 - 1e-9)).all(), (near, lo, hi)
    far = np.append(losses, 0.24 + 5.0)  # a real outlier still does not squash the others
    lo, hi = F.robust_limits(far, reference=np.arange(31) == 30)
    assert hi < 1.0


def test_metric_points_put_better_on_the_right_in_every_panel():
    """The per-metric panels of a task put the best loss on the right for psnr ↑ and on the left for lpips ↓, so
    a 30-loss figure read as a rising diagonal in one panel and a falling one beside it (the P–D plane puts better
    up on both axes). Every panel now runs worse → better from left to right, as its suptitle says."""
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(offsets={"l1": 0.0, "good": 3.0, "bad": -1.0}, metrics=("psnr", "lpips", "ssim"),
                        seeds=(0, 1), n_images=4)
    stats = compute(t, n_boot=10)
    with F.style():
        fig = F.draw_metric_points(stats, "denoise")
        fig.canvas.draw()
        panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_title()]
        assert len(panels) == 3
        for ax in panels:
            m = next(m for m in ("psnr", "lpips", "ssim") if ax.get_title().startswith(F.metric_name(m)))
            c = stats.cells[(stats.cells["metric"] == m)].set_index("label")["mean"]
            px = {lab: ax.transData.transform((c[lab], 0))[0] for lab in ("good", "l1", "bad", "input")}
            assert px["good"] > px["l1"] > px["bad"] > px["input"], (m, px)
        assert "better" in fig.get_suptitle()


def test_tables_name_psnr_in_db_as_the_figures_do():
    """leaderboard.png, the P–D plane and the metric panels head the PSNR column 'psnr (dB) ↑'; the task tables of
    leaderboard.md, leaderboard.tex and report.html — the ones a paper copies — said 'psnr ↑', with no unit for
    the one metric that has one. Every table's psnr column now names its unit; a unitless metric gets none."""
    import re

    from benchmark import export
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(offsets={"l1": 0.0, "good": 1.0}, metrics=("psnr", "ssim"), seeds=(0, 1), n_images=3)
    stats = compute(t, n_boot=10)
    md = export.markdown(stats)
    head = next(line for line in md.splitlines() if line.startswith("| loss | seeds |"))
    assert "| psnr (dB) ↑ |" in head and "| ssim ↑ |" in head
    tex = export.latex(stats)
    assert re.search(r"Loss & Seeds & psnr \(dB\) \$\\uparrow\$", tex) and "ssim (dB)" not in tex
    page = export._task_table(stats, "denoise")
    assert "psnr (dB) ↑" in page and "ssim (dB)" not in page


def test_leaderboard_figure_says_what_a_dash_cell_is():
    """A cell with no score (a metric a loss was not scored on, every score non-finite, a loss absent from a task)
    reads '–' in leaderboard.png, and nothing on the figure said what '–' means (the tables' notes do, the figure
    travels alone). Its title now says so — only where a '–' is drawn."""
    import pandas as pd

    vals = pd.DataFrame({"psnr ↑": [20.0, 26.0, 27.0], "lpips ↓": [0.40, 0.30, 0.25]}, index=["input", "l1", "good"])
    with F.style():
        whole = F.draw_leaderboard_heatmap({"denoise": vals})
        assert "–" not in whole.get_suptitle()
        holed = vals.copy()
        holed.loc["good", "lpips ↓"] = np.nan
        fig = F.draw_leaderboard_heatmap({"denoise": holed, "sr4": vals.drop(index="good")})
        drawn = [t.get_text() for ax in fig.axes for t in ax.texts]
        assert "–" in drawn and "–: no score" in fig.get_supxlabel().replace("\n", " ")  # its key: under it
