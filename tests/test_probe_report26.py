"""Probe of the report and its figures (round 26, report): the rank heatmap's colourbar ticks, the P–D plane's
y label and its CI bars, the report's figure captions."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark import figures as F
from tests.test_probe_r3report25 import _stats  # synthetic stats, warnings quiet; matplotlib's fonts looked up


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


def _turned_arrows(fig) -> list[str]:
    """The texts of ``fig`` (axis labels, tick labels, annotations, titles, legends) that hold an arrow ('↑'/'↓')
    and are drawn turned: turned 90°, '↑' reads '←' and '↓' '→'."""
    from matplotlib.text import Text

    fig.draw_without_rendering()
    return [t.get_text() for t in fig.findobj(Text)
            if t.get_visible() and any(a in t.get_text() for a in "↑↓") and t.get_rotation() % 180]


@pytest.mark.slow
def test_the_pd_plane_s_y_label_draws_its_arrow_upright_at_the_label_s_end():
    """Was: the P–D plane's y label 'lpips ↓ (perception)' was set on end with its arrow inside, so the arrow read
    '→' (and '↑' read '←'), as the heatmaps' column names did before _upright_arrows. Now the label names the
    metric and the axis, and its arrow is drawn upright just above the label's end (its top), centred on it."""
    st = _stats(tasks=("denoise",), metrics=("psnr", "lpips"), n_images=4, seeds=(0,),
                offsets={"l1": 0.0, "good": 1.0})
    with F.style() as plt:
        fig = F.draw_pd_plane(st)
        turned = _turned_arrows(fig)
        ax = fig.axes[0]
        r = fig.canvas.get_renderer()
        label = ax.yaxis.label.get_window_extent(r)
        arrows = [t.get_window_extent(r) for t in ax.texts if t.get_text() == "↓"]
        text = ax.get_ylabel()
        plt.close(fig)
    assert not turned, turned
    assert text == "lpips (perception)", text
    assert len(arrows) == 1, arrows
    a = arrows[0]
    assert label.y1 <= a.y0 < label.y1 + 0.1 * label.height, (a, label)  # just above the label's end
    assert abs((a.x0 + a.x1) / 2 - (label.x0 + label.x1) / 2) < 0.5 * label.width, (a, label)


def test_an_upright_y_label_arrow_stays_at_the_label_s_end_through_a_layout():
    """The fast half of the P–D plane's test: the arrow is placed on the label as drawn (not where it stood when
    set), so a figure laid out again (constrained layout, a wider canvas) keeps it upright above the label's end."""
    with F.style() as plt:
        fig, ax = plt.subplots(figsize=(2.0, 2.0), layout="constrained")
        ax.set_ylabel("lpips (perception)")
        F._upright_ylabel_arrow(ax, "↓")
        fig.set_size_inches(3.0, 2.5)
        turned = _turned_arrows(fig)
        r = fig.canvas.get_renderer()
        label, arrow = ax.yaxis.label.get_window_extent(r), ax.texts[0].get_window_extent(r)
        upright = [t.get_rotation() for t in ax.texts] == [0]
        plt.close(fig)
    assert not turned and upright, turned
    assert label.y1 <= arrow.y0 < label.y1 + 0.1 * label.height, (arrow, label)
    assert label.x0 - 1 <= (arrow.x0 + arrow.x1) / 2 <= label.x1 + 1, (arrow, label)


@pytest.mark.slow
def test_every_figure_s_caption_says_what_it_plots(tmp_path):
    """Was: report.html captioned each figure by its file's key ('cd diagram', 'pd plane', 'metrics denoise',
    'visual denoise': the alt text too) and leaderboard.md's Figures list gave the key and the links alone, so a
    reader learnt what a figure plots only by opening it. Now each caption (and alt text, and the Figures list's
    line) says what is plotted, after the figure's name (and its part)."""
    import re

    from PIL import Image

    from benchmark import export

    st = _stats(tasks=("denoise",), metrics=("psnr", "lpips"), n_images=3, seeds=(0,), n_boot=2,
                offsets={"l1": 0.0, "good": 1.0})
    names = ["leaderboard", "rank_heatmap", "cd_diagram", "pd_plane", "training_curves", "metrics_denoise",
             "visual_denoise"]
    figures = {}
    for n in names:
        figures[n] = [tmp_path / f"{n}.png"]
        Image.new("RGB", (4, 4), "white").save(figures[n][0])
    page = export.html_report(st, figures)
    captions = re.findall(r"<figcaption>([^<]*)</figcaption>", page)
    alts = re.findall(r'<img alt="([^"]*)"', page)
    md = export.markdown(st, figures, root=tmp_path)
    listed = [line for line in md.splitlines() if line.startswith("- ") and ".png](" in line]
    assert len(captions) == len(alts) == len(listed) == len(names), (captions, listed)
    said = {"leaderboard": "mean", "rank_heatmap": "mean rank", "cd_diagram": "mean rank", "pd_plane": "perception",
            "training_curves": "training loss", "metrics_denoise": "95% ci", "visual_denoise": "crop"}
    for n, caption, alt, line in zip(names, captions, alts, listed):
        assert caption == alt and caption.startswith(n.replace("_", " ")), (n, caption, alt)
        assert said[n] in caption.lower() and said[n] in line.lower(), (n, caption, line)


def test_a_figure_caption_names_the_figure_its_part_and_what_it_plots():
    """The fast half of the caption test: a figure's caption is its name, its part where it has several, then what
    it plots — a per-task figure's under its kind; a figure of no known kind keeps its name alone."""
    from benchmark import export

    assert export.figure_caption("cd_diagram").startswith("cd diagram: ")
    assert "mean rank" in export.figure_caption("cd_diagram")
    part = export.figure_caption("metrics_sr4", (2, 3))
    assert part.startswith("metrics sr4 (part 2 of 3): ") and "95% CI" in part, part
    assert export.figure_caption("leaderboard", (1, 1)).startswith("leaderboard: ")
    assert export.figure_caption("mystery") == "mystery"


@pytest.mark.slow
def test_the_pd_plane_draws_a_ci_that_does_not_hold_its_mean_without_failing():
    """Was: the P–D plane drew each CI as an errorbar's offsets from the mean, so a cell whose CI does not hold its
    mean (a one-seed percentile bootstrap of 3 images: 12 tasks at n_boot=5 gave one; a mean above the metric's
    range, the CI cut at it) raised ValueError ('yerr' must not contain negative values) and the figure was lost.
    Now each bar runs from the CI's low end to its high end, as the tables print it."""
    st = _stats(tasks=("denoise",), metrics=("psnr", "lpips"), n_images=3, seeds=(0,), offsets={"l1": 0.0, "good": 1.0})
    c = st.cells
    at = (c["label"] == "good") & (c["metric"] == "lpips")
    mean = float(c.loc[at, "mean"].iloc[0])
    c.loc[at, "ci_low"], c.loc[at, "ci_high"] = mean + 0.01, mean + 0.03  # the CI above its mean
    with F.style() as plt:
        fig = F.draw_pd_plane(st)
        spans = [seg[:, 1] for coll in fig.axes[0].collections if hasattr(coll, "get_segments")
                 for seg in coll.get_segments() if len(seg) == 2 and seg[0, 0] == seg[1, 0]]  # the vertical bars
        plt.close(fig)
    assert any(np.allclose(sorted(s), [mean + 0.01, mean + 0.03]) for s in spans), spans
