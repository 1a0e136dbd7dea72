"""Published figures, tables and the report on awkward inputs (session 18)."""

from __future__ import annotations

import pytest

from benchmark.synthetic import synthetic_runs, synthetic_table


@pytest.fixture(scope="module")
def smoke_stats():
    """One task, one metric, 3 losses × 5 seeds, one loss not shown converged: a smoke test's store."""
    return _smoke_stats()


def _smoke_stats(metrics=("psnr",), offsets=None):
    from benchmark.settings import drop_budget_checks
    from benchmark.stats import compute

    kw = dict(tasks=("denoise",), offsets=offsets or {"l1": 0.0, "l2": 0.1, "ssim": 0.3}, seeds=(0, 1, 2, 3, 4),
              n_images=6, metrics=metrics, unconverged=("l1",))
    t, checks = drop_budget_checks(synthetic_table(**kw, budget_check=True))
    metas = [m for _, m, _ in synthetic_runs(**kw) if m.get("config", {}).get("iterations") == 150]
    return t, compute(t, metas, n_boot=20, checks=checks)


def _title_lines(fig, text) -> int:
    """How many lines ``text`` (a title artist) takes as drawn: its height over one line's."""
    r = fig.canvas.get_renderer()
    probe = fig.text(0, 0, "Ag", fontsize=text.get_fontsize())
    one = probe.get_window_extent(r).height
    probe.remove()
    return 1 + round((text.get_window_extent(r).height / one - 1) / 1.2)  # matplotlib's line spacing


@pytest.mark.parametrize("name", ["metrics", "rank", "leaderboard"])
def test_a_one_metric_smoke_tests_titles_take_two_lines_and_its_reasons_stay_on_the_figure(smoke_stats, name):
    """Was: a one-metric smoke test's leaderboard.png opened with a 5-line title (the smoke line on 2, then
    "Leaderboard: mean over images and seeds; colour: change from the degraded input (white), scaled per column" on
    3), metrics_denoise.png and the rank heatmap with 3: the title is fitted, as drawn, to 2 lines at the figure's
    width ("Smoke test, not a ranking", what it shows), the smoke line's reasons and the marks' key under the figure,
    inside the canvas; the colours are named by the colour bar alone."""
    from benchmark import figures as F
    from benchmark.report import heatmap_panels
    from benchmark.stats import smoke_test

    table, stats = smoke_stats
    draw = {"metrics": lambda: F.draw_metric_points(stats, "denoise"), "rank": lambda: F.draw_rank_heatmap(stats),
            "leaderboard": lambda: F.draw_leaderboard_heatmap(heatmap_panels(table, stats.blocks, stats),
                                                              smoke=smoke_test(stats, short=True))}
    with F.style() as plt:
        for fig in [draw[name]()]:
            fig.draw_without_rendering()
            title = fig._suptitle if fig._suptitle is not None and fig._suptitle.get_text() else fig.axes[0].title
            assert title.get_text().startswith("Smoke test, not a ranking"), (name, title.get_text())
            assert _title_lines(fig, title) <= 2, (name, title.get_text())
            bb, (w, h) = title.get_window_extent(fig.canvas.get_renderer()), fig.get_size_inches() * fig.dpi
            assert bb.x0 >= 0 and bb.x1 <= w and bb.y1 <= h, (name, bb, w, h)
            shown = " ".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))).replace("\n", " ")
            assert "5 of 15 runs not shown converged" in shown, (name, shown[:500])
            plt.close(fig)


def _two_sets(table):
    """The table's images as two test sets (natural: the first 4, medical: the rest)."""
    t = table.copy()
    t["dataset"] = ["natural" if int(i[3:]) < 4 else "medical" for i in t["image"]]
    return t


def test_the_notes_say_the_marks_pool_the_test_sets_where_a_board_has_two():
    """Was: a grid scored on two test sets printed its bold and ▲/▼ over both sets' images with nothing said in the
    notes above the tables (only the README and leaderboard.md's *By test set*, after every table, said so): the
    notes — leaderboard.md's, .tex's and report.html's — now say the marks pool the sets, naming each with its
    images; a board of one test set says nothing of it."""
    from benchmark.export import latex, markdown, notes
    from benchmark.stats import compute

    kw = dict(tasks=("denoise",), offsets={"l1": 0.0, "good": 1.0}, seeds=(0, 1, 2, 3, 4), n_images=10,
              metrics=("psnr",))
    one = compute(synthetic_table(**kw), n_boot=10)
    two = compute(_two_sets(synthetic_table(**kw)), n_boot=10)
    assert not any("Test sets pooled" in n for n in notes(one))
    said = [n for n in notes(two) if n.startswith("Test sets pooled")]
    assert len(said) == 1 and "medical (6 images), natural (4 images)" in said[0], notes(two)
    assert "Test sets pooled" in markdown(two) and "Test sets pooled" in latex(two)


def test_a_users_transparent_savefig_setting_leaves_the_figures_opaque_for_dark_pages(tmp_path):
    """Was: a matplotlibrc with ``savefig.transparent: True`` or a dark ``savefig.facecolor`` (set for slides or a dark
    website) reached the report's PNGs: their near-black text and lines on no background at all, unreadable on a
    dark page or in a viewer's dark mode. The figures are saved on their own white, as every other setting of theirs
    is their own (:data:`benchmark.figures.RC`)."""
    import matplotlib
    from PIL import Image

    from benchmark import figures as F

    metas = [m for _, m, _ in synthetic_runs(seeds=(0, 1), n_images=2, metrics=("psnr",), budget_check=False)]
    with matplotlib.rc_context({"savefig.transparent": True, "savefig.facecolor": "black"}):
        paths = F.training_curves(metas, tmp_path / "training_curves", ("png",))
    im = Image.open(paths[0]).convert("RGBA")
    w, h = im.size
    corners = [im.getpixel(p) for p in ((0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1))]
    assert corners == [(255, 255, 255, 255)] * 4, corners


def test_the_metrics_figure_of_a_tasks_only_loss_does_not_blame_its_runs():
    """Was: metrics_<task>.png of a task with one loss, 5 runs, keyed its point "not tested: 5 runs per loss, a test
    needs ≥ 5" — a contradiction; the notes say the truth (lone_text: no other loss to test it against), and so does
    the figure's key now."""
    from benchmark import figures as F
    from benchmark.stats import compute

    stats = compute(synthetic_table(offsets={"l1": 0.0}, seeds=(0, 1, 2, 3, 4), n_images=3, metrics=("psnr",)),
                    n_boot=10)
    with F.style() as plt:
        fig = F.draw_metric_points(stats, "denoise")
        keys = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
        plt.close(fig)
    assert "not tested: one loss, no other to test it against" in keys, keys
    assert not any("5 runs per loss" in k for k in keys), keys


LONG = "0.5*l1 + 0.25*(0.1*vgg(layers=('relu1_2', 'relu2_2', 'relu3_3')) + 0.01*ms_ssim(data_range=1.0))"


@pytest.mark.parametrize("name", ["rank", "leaderboard"])  # one figure a call: each part is drawn whole
def test_the_parts_of_a_split_figure_have_rows_of_one_height(name):
    """Was: a rank heatmap or leaderboard too tall for a page was split into parts, each wrapping and sizing its own
    rows: the part holding a 3-line loss spec drew every cell three lines tall, the other parts one (40 losses: a
    746-px and a 1446-px part of one figure), and a name could wrap otherwise from one part to the next. The names are
    wrapped, and the rows sized, over the whole figure: every part's cells alike."""
    from benchmark import figures as F
    from benchmark.report import heatmap_panels
    from benchmark.stats import compute

    offsets = {"w0": 0.0, "w1": 0.1, LONG: 0.05}  # few losses: each part draws fast
    table = synthetic_table(offsets=offsets, seeds=(0,), n_images=2, metrics=("psnr",))
    stats = compute(table, n_boot=10)
    order = [lab for lab in stats.ranks["label"]]
    short, long = [lab for lab in order if lab != LONG], [LONG]
    draw = {"rank": lambda part, rows: F.draw_rank_heatmap(stats, labels=rows, part=(part, 2)),
            "leaderboard": lambda part, rows: F.draw_leaderboard_heatmap(
                heatmap_panels(table, stats.blocks, stats), order=["input", *order], part=(part, 2), rows=rows)}
    with F.style() as plt:
        heights = []
        for part, rows in ((1, short), (2, long)):
            fig = draw[name](part, rows)
            heights.append(fig.plb_row_height)
            plt.close(fig)
    assert heights[0] == heights[1], heights
    assert heights[0] > 0.06 + 0.125 * 2, heights  # the long name's lines, in the part without it too
