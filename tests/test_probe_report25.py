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


HEB = "\u05d0\u05d5\u05d1\u05d3\u05df_\u05e9\u05dc\u05d9"  # a Hebrew loss name, right to left
ARB = "\u062e\u0633\u0627\u0631\u0629_\u0639\u0631\u0628\u064a\u0629"  # an Arabic one


@pytest.mark.parametrize("spec", [f"my_loss+{ARB}", f"l1 + 0.1*{HEB}", f"pdl(layers=(conv1_1,conv2_1),x={ARB})"])
def test_a_line_may_break_after_the_sign_before_a_right_to_left_name(spec):
    """Was: report.html's cell and leaderboard.tex's parbox break a loss name after , ( [ + _ = * . : /
    (:func:`benchmark.export.name_pieces`), each left-to-right run of it apart from the right-to-left runs it holds;
    a run's last piece ending in such a sign had no break after it, so 'my_loss+خسارة_عربية' could break after 'my_'
    but not after '+', and 'l1 + 0.1*אובדן_שלי' not after '*': the name and what came before stood as one word. Now
    the break is there as it is before a left-to-right name."""
    from benchmark import export

    before = spec[:next(i for i, ch in enumerate(spec) if not ch.isascii())]  # up to the sign before the name
    assert before[-1] in export.TEX_BREAKS
    html = export.html_name(spec)
    assert html.replace("<wbr>", "").replace("&#x27;", "'") == spec
    assert export.html_name(before) + "<wbr>" in html, html
    long = f"{spec}_{'x' * 40}"  # over TEX_LABEL: a parbox with its break points
    tex = export.tex_label(long)
    assert export._tex_pieces(before) + r"\allowbreak{}\protect" in tex, tex


M12 = ("psnr", "ssim", "ms_ssim", "lpips", "dists", "niqe", "musiq", "fsim", "vsi", "gmsd", "nlpd", "vif")


def test_the_leaderboard_s_upright_arrows_stay_upright_beside_names_set_on_end():
    """Was: a leaderboard of 12 metrics sets its column names on end ('psnr (dB) ↑' turned 90°, too wide to stand
    across 0.5-in columns), the better direction's arrow turned with them: '↑' (higher is better) read '←' and '↓'
    read '→' — a direction no column has. Now a name set on end carries no arrow; each column's arrow is its own
    upright text between the cells and the name, the one under every column, clear of the names."""
    from benchmark.report import heatmap_panels

    t = synthetic_table(offsets={"l1": 0.0, "good": 1.0, "bad": -0.7}, metrics=M12, n_images=4, seeds=(0, 1))
    with F.style() as plt:
        fig = F.draw_leaderboard_heatmap(heatmap_panels(t))
        fig.draw_without_rendering()
        r = fig.canvas.get_renderer()
        ax = fig.axes[0]
        names = [x for x in ax.get_xticklabels() if x.get_visible() and x.get_text()]
        arrows = [x for x in ax.texts if x.get_text() in ("↑", "↓")]
        boxes = [x.get_window_extent(r) for x in names]
        clear = all(not a.get_window_extent(r).overlaps(b) for a in arrows for b in boxes)
        plt.close(fig)
    assert len(names) == 12 and all(x.get_rotation() == 90 for x in names), [x.get_text() for x in names]
    assert not [x.get_text() for x in names if "↑" in x.get_text() or "↓" in x.get_text()]
    assert sorted(a.get_text() for a in arrows) == sorted("↑" if v else "↓" for v in
                                                          (t.groupby("metric")["higher_is_better"].first())), arrows
    assert all(a.get_rotation() == 0 for a in arrows) and clear


def test_a_figure_title_wrapped_onto_two_lines_leaves_no_word_alone_on_the_last():
    """Was: a title or caption wrapped to the figure's width (:func:`benchmark.figures.fit_title`, its lines measured
    as drawn) filled each line as far as it went, so a task of a long name made the metrics figure's title
    'super_resolution_x4_bicubic_long_name: mean and 95% CI per metric; better:' over a lone 'right'. Now a last line
    of one word takes the word before it along (the lines as many, each still within the width)."""
    task = "super_resolution_x4_bicubic_long_name"
    st = _stats(tasks=(task,), metrics=("psnr", "lpips"), offsets={"l1": 0.0, "good": 1.0, "bad": -0.7})
    with F.style() as plt:
        fig = F.draw_metric_points(st, task)
        title = fig._suptitle.get_text()
        width = fig.get_size_inches()[0] * 0.94
        wide = [line for line in title.split("\n") if F._text_width(fig, line, fig._suptitle.get_fontsize()) > width]
        plt.close(fig)
    lines = title.split("\n")
    assert " ".join(lines) == f"{task}: mean and 95% CI per metric; better: right", title
    assert len(lines) == 2 and len(lines[-1].split()) > 1 and not wide, title


def test_the_pd_plane_s_notes_leave_no_loss_name_alone_on_a_last_line():
    """Was: the P–D plane's notes under its title (:func:`benchmark.figures.wrap_title`: 'Drawn on one spot …',
    'Not drawn: …') were broken by characters alone, no widow rule, so one task's plane ended its caption
    'Drawn on one spot (equal means as the tables print them): good,' over a lone 'twin', the one spot's two
    losses on two lines. Now such a note is broken as the titles are (:func:`benchmark.figures._no_widow`)."""
    st = _stats(tasks=("denoise",), offsets={"l1": 0.0, "good": 1.0, "twin": 1.0, "bad": -0.7}, noise=0.0, n_images=4,
                seeds=(0, 1), metrics=("psnr", "lpips"))
    with F.style() as plt:
        fig = F.draw_pd_plane(st)
        caption = fig.legends[-1].get_title().get_text()
        plt.close(fig)
    assert "Drawn on one spot" in caption and "good, twin" in caption.replace("\n", " "), caption
    note = caption[caption.index("Drawn on one spot"):].split("\n")
    assert len(note[-1].split()) > 1, caption
