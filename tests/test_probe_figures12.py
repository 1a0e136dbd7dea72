"""Probe of the published figures, tables and report (figures12): defects found by drawing reports of 1–60 losses
with 40-character and unicode names, 1–5 tasks, all-NaN, negative and huge-range metrics, and looking at every PNG."""

from __future__ import annotations

import pytest

from benchmark import figures as F

#: an A4 page's text height (inches): a figure taller than this cannot be printed on one page
PAGE_TEXT_IN = 9.7
#: 60 losses of 40 characters, with no space or '+' to break at
LONG60 = {f"perceptual_feature_matching_loss_var{i:02d}": 0.1 * (i % 7) for i in range(60)}


def _legend_and_panels(fig):
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    leg = fig.legends[0].get_window_extent(r)
    panels = [a.get_window_extent(r) for a in fig.axes if a.get_visible() and a.axison]
    return leg.height / fig.dpi, [(p.width / fig.dpi, p.height / fig.dpi) for p in panels]


def test_a_legend_of_60_long_names_widens_its_figure_and_keeps_names_whole():
    """The legend's layout (what both figures below draw): 60 names of 40 characters at one column's width made one
    entry per row, each name cut at its 34th character onto a second line. The figure is widened to the page's width
    for columns, and the names are drawn whole where that is no taller."""
    labels = list(LONG60)
    assert F._legend_height(F.COL1, labels) > 10  # at one column: a legend taller than a page
    width = F.legend_width(F.COL1, labels)
    assert F.COL1 < width <= F.COL2
    assert F._legend_height(width, labels) < PAGE_TEXT_IN - 3  # room for the panel and title on the page
    assert F._legend_text(width, labels) == labels  # whole names, none cut mid-word
    few = ["l1", "l2", "ssim"]
    assert F.legend_width(F.COL1, few) == F.COL1  # a short legend leaves the figure as it was
    assert F._legend_text(F.COL1, ["x" * 40]) == ["x" * 40]  # one column holds one whole 40-character name


@pytest.mark.slow
def test_training_curves_legend_of_60_long_names_fits_a_page():
    """One task, 60 losses of 40 characters: the legend at one column's width (3.5 in) held one entry per row, each
    on two lines, so training_curves.png came out 34 in tall (a 6,766-px PNG) with its one panel stretched to 5 in
    high to match. The figure is widened (up to the page's width) until its legend has columns enough: it fits a page
    and the panel keeps a plot's shape."""
    from benchmark.synthetic import synthetic_runs

    metas = [m for _, m, _ in synthetic_runs(offsets=LONG60, metrics=("psnr",), seeds=(0,), n_images=1,
                                             budget_check=False) if m.get("kind") != "input"]
    with F.style():
        fig = F.draw_training_curves(metas)
        w, h = fig.get_size_inches()
        leg, panels = _legend_and_panels(fig)
    assert h <= PAGE_TEXT_IN and w <= F.COL2 + 0.3, (w, h)
    assert fig.legends[0]._ncols >= 2
    for pw, ph in panels:
        assert ph <= 1.5 * pw, (pw, ph)


@pytest.mark.slow
def test_pd_plane_legend_of_60_long_names_fits_a_page():
    """The P–D plane of one task (a one-task report, every `plbench compare`) with 60 losses of 40 characters was
    3.5 in wide and 21 in tall: a one-column legend under a 2.9-in panel. Widened as the training curves are."""
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(offsets=LONG60, metrics=("psnr", "lpips"), seeds=(0,), n_images=3)
    with F.style():
        fig = F.draw_pd_plane(compute(t, n_boot=10))
        w, h = fig.get_size_inches()
        leg, panels = _legend_and_panels(fig)
    assert h <= PAGE_TEXT_IN and w <= F.COL2 + 0.3, (w, h)
    assert fig.legends[0]._ncols >= 2


def test_pd_plane_draws_no_empty_panel_for_a_metric_no_run_could_score():
    """Every lpips score of one task non-finite (a metric that failed on every image of it): the P–D plane kept a
    panel for that task, hidden, an empty slot beside the other task's; with one task the whole figure was a blank
    page with a caption. That task now gets no slot, the caption says why, and a figure with no point at all is not
    drawn (as one with no loss scored on both metrics)."""
    import numpy as np

    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("denoise", "sr4"), offsets={"l1": 0.0, "l2": 0.5}, metrics=("psnr", "lpips"),
                        seeds=(0,), n_images=3)
    t.loc[(t["metric"] == "lpips") & (t["task"] == "sr4"), "value"] = np.nan
    with F.style():
        fig = F.draw_pd_plane(compute(t, n_boot=10))
        panels = [a for a in fig.axes if a.axison and a.get_visible()]
        assert [a.get_title() for a in panels] == ["denoise"]
        assert not [a for a in fig.axes if not a.get_visible()]
        caption = fig.legends[0].get_title().get_text().replace("\n", " ")
        assert "sr4: l1, l2 (no finite lpips score)" in caption
        alone = t[t["task"] == "sr4"]
        assert F.draw_pd_plane(compute(alone, n_boot=10)) is None


def test_metric_panel_with_no_finite_score_shows_no_made_up_scale():
    """A metric no run of the task could score (every lpips score non-finite) got a panel reading 'no finite score'
    on every row above an x axis numbered 0.04, 0.00, −0.04: matplotlib's default range for no data, read as lpips
    values. Such a panel has no numbers on its axis; the others keep theirs."""
    import numpy as np

    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(offsets={"l1": 0.0, "l2": 0.5}, metrics=("psnr", "lpips"), seeds=(0,), n_images=3)
    t.loc[t["metric"] == "lpips", "value"] = np.nan
    with F.style():
        fig = F.draw_metric_points(compute(t, n_boot=10), "denoise")
        fig.canvas.draw()
        panels = {a.get_title().split()[0]: a for a in fig.axes if a.get_visible() and a.get_title()}
        assert set(panels) == {"psnr", "lpips"}
        assert not [x.get_text() for x in panels["lpips"].get_xticklabels() if x.get_text()]
        assert [x.get_text() for x in panels["psnr"].get_xticklabels() if x.get_text()]


def test_a_long_name_is_broken_after_an_underscore_not_inside_a_word():
    """A loss name longer than a line with no space, '+', ',', '(' or ':' was cut at the line's last character:
    the CD diagram (30 characters a line) printed 'perceptual_feature_matching_lo' over 'ss_var06', the P–D plane's
    one-column legend 'perceptual_feature_matching_loss_v' over 'ar06'. Such a name now breaks after its last '_',
    '-', '.' or '/' in the line's second half; a part with none is cut where it was."""
    name = "perceptual_feature_matching_loss_var06"
    assert F.wrap_label(name, 30) == "perceptual_feature_matching_\nloss_var06"
    assert F.wrap_label(name, 34) == "perceptual_feature_matching_loss_\nvar06"
    assert F.wrap_label("checkpoints/simclr-encoder.pt", 18) == "checkpoints/\nsimclr-encoder.pt"
    assert F.wrap_label("loss_v1.5-beta_with_more_text", 12) == "loss_v1.5-\nbeta_with_\nmore_text"  # not "v1." "5"
    assert F.wrap_label("x" * 40, 34) == "x" * 34 + "\n" + "x" * 6  # nowhere to break: cut as before
    assert F.wrap_label("a_" + "x" * 38, 34) == ("a_" + "x" * 38)[:34] + "\n" + ("a_" + "x" * 38)[34:]  # '_' too early


def test_descriptive_cd_diagram_leaves_no_band_for_a_bar_it_does_not_draw():
    """With too few runs for a test (every quick or CPU-profile report) the CD diagram draws no critical-difference
    bar, but kept the 0.4 in above its axis the bar takes: a blank band of 0.68 in between the title and the rank
    numbers, a third of the 1.85-in figure. The room is kept only where the bar is drawn."""
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("denoise", "sr4"), offsets={"l1": 0.0, "l2": 0.5, "ssim": 0.2, "vgg": -0.3},
                        metrics=("psnr", "ssim"), seeds=(0,), n_images=3)
    with F.style():
        fig = F.draw_cd_diagram(compute(t, n_boot=10))
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        ax = fig.axes[0]
        assert not [x for x in ax.texts if x.get_text().startswith("CD =")]
        numbers = max(x.get_window_extent(r).y1 for x in ax.texts if x.get_text().isdigit())
        assert (fig._suptitle.get_window_extent(r).y0 - numbers) / fig.dpi < 0.3  # the title: fit_title's


def test_by_test_set_table_lists_losses_in_the_task_tables_order():
    """leaderboard.md's 'By test set' tables (a grid with several test sets: does the ranking transfer?) listed the
    losses by name, so beside the task table (by mean rank, best first, as every ranked list) the rows read in
    another order: 60 losses could not be compared line by line. They now follow the task table's rows."""
    from benchmark import export
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(offsets={"l1": 0.0, "zz_best": 2.0, "aa_worst": -2.0, "mm": 1.0}, metrics=("psnr",),
                        seeds=(0, 1), n_images=6)
    t["dataset"] = ["Set5" if int(i[3:]) % 2 else "Kodak24" for i in t["image"]]
    stats = compute(t, n_boot=10)

    def rows(md: str, head: str) -> list[str]:
        part = md[md.index(head):]
        lines = part.splitlines()[2:]
        return [line.split(" | ")[0].strip("| ") for line in lines[:next((i for i, x in enumerate(lines)
                                                                        if not x.startswith("| ")), len(lines))]]

    by_set = export.by_dataset_markdown(t, stats)
    table = rows(export.markdown(stats)[export.markdown(stats).index("## denoise"):], "| loss | seeds |")
    assert table == ["input", "zz_best", "mm", "l1", "aa_worst"]
    assert rows(by_set, "| loss | psnr") == table


def test_training_curve_that_goes_below_zero_is_drawn_whole():
    """A loss that can be negative (a weighted sum with a negative weight, 'l1 + -0.5*vgg') fell through zero at
    iteration 99 of 150: the training-curves figure dropped every value ≤ 0 for its log scale, so the curve plunged
    to 0.01 and stopped at 99, read as a run that ended there. The curve is drawn to its last iteration, the panel
    on a linear scale."""
    from benchmark.synthetic import synthetic_runs

    metas = [m for _, m, _ in synthetic_runs(offsets={"l1": 0.0, "l1 + -0.5*vgg": 0.2}, metrics=("psnr",),
                                             seeds=(0,), n_images=1, budget_check=False) if m.get("kind") != "input"]
    for m in metas:
        if m["config"]["loss"] != "l1":
            m["loss_curve"] = [[it, 1.0 - it / 100] for it in range(3, 151, 3)]  # through 0 at iteration 100
    with F.style():
        fig = F.draw_training_curves(metas)
        ax = fig.axes[0]
        assert ax.get_yscale() == "linear"
        ends = [line.get_xdata()[-1] for line in ax.lines if len(line.get_xdata()) > 1]
        assert min(ends) >= 147, ends  # every curve to the last logged iteration
        assert min(min(line.get_ydata()) for line in ax.lines if len(line.get_ydata()) > 1) < 0


def test_leaderboard_sets_two_panels_a_row_only_where_they_fit_a_page_width():
    """The quick profile's leaderboard panel (7 metrics at 0.5 in, row names at least 2.6 in) is 6.1 in wide: two a
    row made the 12.2-in leaderboard.png (test below); they now take a row each. Two narrow ones still share one."""
    assert F.leaderboard_columns(5, 0.5 * 7 + 2.6) == 1
    assert F.leaderboard_columns(5, 0.5 * 2 + 2.6) == 2
    assert F.leaderboard_columns(1, 0.5 * 2 + 2.6) == 1


@pytest.mark.slow
def test_quick_profile_leaderboard_fits_a_page_width_with_text_at_6pt_or_more():
    """leaderboard.png of the quick profile (5 tasks × 9 losses × 7 metrics) drew two task panels a row: a 12.2-in
    figure whose 6-pt numbers printed at 3.5 pt scaled to a page's 7.2-in width. Two panels share a row only where
    they fit that width; else one task a row."""
    import numpy as np
    import pandas as pd

    from benchmark.config import DEFAULT_TASKS, PIXEL_LOSSES, QUICK_FEATURE_LOSSES, QUICK_METRICS
    from benchmark.synthetic import HIGHER

    losses = ["input", *PIXEL_LOSSES, *QUICK_FEATURE_LOSSES]
    rng = np.random.default_rng(0)
    boards = {t: pd.DataFrame({f"{m} {'↑' if HIGHER[m] else '↓'}": rng.uniform(0.1, 0.9, len(losses))
                               for m in QUICK_METRICS}, index=losses) for t in DEFAULT_TASKS}
    with F.style() as plt:
        fig = F.draw_leaderboard_heatmap(boards)
        w, _ = fig.get_size_inches()
        sizes = {t.get_fontsize() for t in fig.findobj(lambda a: hasattr(a, "get_fontsize") and a.get_text())}
        plt.close(fig)
    assert w <= F.COL2, w
    assert min(sizes) >= 6, sorted(sizes)
    small = {t: boards[t][boards[t].columns[:2]] for t in ("denoise", "sr4")}  # two metrics: two panels still fit
    with F.style() as plt:
        fig = F.draw_leaderboard_heatmap(small)
        assert fig.plb_columns == 2 and fig.get_size_inches()[0] <= F.COL2
        plt.close(fig)


def test_a_long_metric_name_in_a_title_is_broken_after_an_underscore_not_inside_a_word():
    """The same cut as the loss names' (above), in titles and axis labels: a metric panel's title (22 characters a
    line) printed 'topiq_fr_pipal_percept' over 'ual ↑', a checkpoint metric 'contrique_fr@encoder_s' over
    'imclr_v2.pt ↑'. A word longer than a line now breaks where a loss name does; the characters are unchanged."""
    assert F._wrap("topiq_fr_pipal_perceptual ↑", 22) == "topiq_fr_pipal_\nperceptual ↑"
    assert F._wrap("contrique_fr@encoder_simclr_v2.pt ↑", 22) == "contrique_fr@encoder_\nsimclr_v2.pt ↑"
    title = "Not drawn: perceptual_feature_matching_loss_var06 (no lpips score)"
    wrapped = F._break_lines(title, 30)
    assert wrapped == "Not drawn:\nperceptual_feature_matching_\nloss_var06 (no lpips score)", wrapped
    assert F._break_lines("a verdict needs ≥ 5 runs of every loss", 18) == "a verdict\nneeds ≥ 5 runs of\nevery loss"
