"""Review of the published figures (figures11): defects found by drawing reports of 1–60 losses, 1–8 tasks and
1–12 metrics and looking at every PNG."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_rgb

from benchmark import figures as F


def test_rank_colourbar_always_shows_the_worst_rank_it_names():
    """The rank heatmap's colourbar is labelled 'mean rank (1 = best, k = worst)', but with 12 losses its ticks were
    1, 6, 11: the extreme it names was not on the bar (k next to the last tick was dropped, not moved). For every k
    the ticks end at k, increasing, at most 7, evenly spaced (test_probe_report26: 13 read 1, 6, 13), the first
    within a step of 1."""
    for k in range(1, 301):
        ticks = F._rank_ticks(k)
        assert ticks[-1] == k, (k, ticks)
        assert ticks == sorted(set(ticks)) and len(ticks) <= 7, (k, ticks)
        if k > 1:
            gaps = [b - a for a, b in zip(ticks, ticks[1:])]
            assert min(gaps) == max(gaps) and ticks[0] < 1 + gaps[0], (k, ticks)


def test_cd_diagram_tells_every_loss_apart_beyond_the_palette():
    """The CD diagram drew each loss's connector in its colour alone: the palette has 10 colours, so with 12 losses
    two connectors shared a colour and nothing else (30-loss report: loss16 and loss01 both orange, l1 and
    dists+fft0.05 both blue). Each connector now draws the loss's whole style — colour, line style and its marker at
    the label end, as the other figures do — so no two look alike."""
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    offsets = {f"loss{i:02d}": 0.1 * i for i in range(12)}
    t = synthetic_table(tasks=("denoise",), metrics=("psnr", "ssim"), seeds=(0, 1), n_images=3, offsets=offsets)
    st = compute(t, n_boot=10)
    styles = F.stats_styles(st)
    with F.style():
        fig = F.draw_cd_diagram(st, styles)
        connectors = [ln for ln in fig.axes[0].lines if len(ln.get_xdata()) == 3]  # rank → down → its label
        looks = {(tuple(np.round(to_rgb(ln.get_color()), 3)), ln.get_linestyle(), ln.get_marker(), ln.get_fillstyle())
                 for ln in connectors}
    assert len(connectors) == 12 and len(looks) == 12, sorted(looks)


@pytest.mark.slow
def test_fit_canvas_keeps_a_margin_in_the_png_as_saved():
    """A 60-loss P–D plane was fitted at the screen's 100 dpi, but its PNG is saved at 200 dpi, where text widths
    (hinting) and so the constrained layout differ: the y label 'lpips ↓ (perception)' came out 1 px from the PNG's
    left edge (edges 1, 29, 10, 12 px). Fitted at the PNG's resolution, with a fixed margin, every text of the saved
    file is inside it."""
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table
    from tests.test_figure_layout import SAVE_DPI, _drawn

    names = ["l1", "contextual@vgg19_relu4_2+tv0.01", "gram@vgg19_relu1_1,relu2_1,relu3_1+l1", "é-loss_ünïcode"]
    names += [f"contextual@vgg19_relu{i % 5 + 1}_2+tv0.{i:02d}" if i % 3 == 0 else f"loss{i:02d}" for i in range(56)]
    rng = np.random.default_rng(1)
    offsets = {n: 0.0 if n == "l1" else float(rng.normal(0, 1)) for n in names}
    t = synthetic_table(tasks=("denoise",), offsets=offsets, metrics=("psnr", "ssim", "lpips"), seeds=(0, 1, 2),
                        n_images=6)
    with F.style():
        fig = F.draw_pd_plane(compute(t, n_boot=10))
        d = _drawn(fig)
    w, h = d["canvas"]
    edge = F.EDGE_IN * SAVE_DPI * 0.9
    near = [(s, round(b.x0), round(w - b.x1), round(b.y0), round(h - b.y1)) for s, b, _ in d["texts"]
            if min(b.x0, b.y0, w - b.x1, h - b.y1) < edge]
    assert not near, near


def test_compare_summary_names_psnr_in_db_as_every_other_table(tmp_path):
    """31c6499 gave every table's psnr column its unit ('psnr (dB) ↑': leaderboard.md, .tex, report.html, the
    per-test-set tables), but compare/<loss>.md — the per-metric table of a compared loss — still said 'psnr ↑'
    beside the same numbers. It now names the unit too; a unitless metric gets none."""
    from benchmark.compare import _summary
    from benchmark.synthetic import write_store

    store = write_store(tmp_path, tasks=("denoise",), metrics=("psnr", "ssim"), seeds=(0,), budget_check=False,
                        n_images=3, offsets={"l1": 0.0, "good": 1.0})
    group = [m for m in store.metas() if m.get("kind") != "input"]
    text, _ = _summary(store, {"denoise": group}, ["good"], {"denoise": []}, 0.05, 10, "l1", ())
    rows = [line for line in text.splitlines() if line.startswith(("| psnr", "| ssim"))]
    assert len(rows) == 2 and rows[0].startswith("| psnr (dB) ↑ |") and rows[1].startswith("| ssim ↑ |"), rows


def test_cd_axis_numbers_run_to_the_worst_rank():
    """The numbers of the CD diagram's rank axis (:func:`figures._numbered_ranks`) run to the worst rank k: every
    step-th counted back from k, the first within a step of 1 (r3report: evenly spaced, not k in place of the last)."""
    for step in (1, 2, 5, 10, 20):
        for hi in range(1, 400):
            ranks = F._numbered_ranks(1, hi, step)
            assert 1 <= ranks[0] < 1 + step and ranks[-1] == hi and (np.diff(ranks) == step).all(), (step, hi, ranks)


@pytest.mark.slow
def test_cd_diagram_numbers_the_worst_rank_its_axis_ends_at():
    """The CD diagram's rank axis runs from 1 to k, its numbers thinned to every 2nd/5th/… rank from 1: with 30
    losses it read 1, 3, …, 29 and the axis ended unnumbered at 30 (60 losses: …, 56 and the end at 60), as the rank
    colourbar did. The worst rank is numbered, the numbers counted back from it."""
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    offsets = {f"loss{i:02d}": 0.05 * i for i in range(30)}
    t = synthetic_table(tasks=("denoise",), metrics=("psnr", "ssim"), seeds=(0, 1), n_images=2, offsets=offsets)
    with F.style():
        fig = F.draw_cd_diagram(compute(t, n_boot=5))
        numbers = sorted(int(x.get_text()) for x in fig.axes[0].texts if x.get_text().isdigit())
    assert numbers[0] <= 2 and numbers[-1] == 30 and len(numbers) < 30, numbers
    assert len(set(np.diff(numbers))) == 1, numbers  # evenly spaced, counted back from 30 (r3report)


def test_leaderboard_order_of_a_loss_with_no_score_warns_nothing():
    """A loss with no finite score in any panel (every score NaN) made leaderboard.png's row order print numpy's
    'RuntimeWarning: Mean of empty slice' into the report's terminal output; it goes last, silently."""
    import warnings

    import pandas as pd

    v = pd.DataFrame({"psnr ↑": [20.0, 26.0, np.nan, 27.0], "lpips ↓": [0.4, 0.3, np.nan, 0.25]},
                     index=["input", "l1", "empty", "good"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        order = F.leaderboard_order({"denoise": v, "sr4": v})
    assert order == ["input", "good", "l1", "empty"]


def test_rank_heatmap_says_what_an_empty_cell_is():
    """A loss absent from a task (or with no score there) left its rank-heatmap cell blank — white, no text, nothing
    on the figure saying why (8-task report, l1 not run on sr4) — where leaderboard.png draws '–' and its title says
    '–: no score' (553638e). The rank heatmap now draws '–' there and its title says what it is, only then."""
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("denoise", "sr4"), metrics=("psnr", "ssim"), seeds=(0, 1), n_images=3,
                        offsets={"l1": 0.0, "good": 1.0, "bad": -1.0})
    with F.style():
        whole = F.draw_rank_heatmap(compute(t, n_boot=10))
        assert "–" not in whole.axes[0].get_title() and "–" not in [x.get_text() for x in whole.axes[0].texts]
        holed = t[~((t["loss"] == "l1") & (t["task"] == "sr4"))]
        fig = F.draw_rank_heatmap(compute(holed, n_boot=10))
        ax = fig.axes[0]
        dashes = [x for x in ax.texts if x.get_text() == "–"]
        assert len(dashes) == 1 and "–: not ranked" in fig._supxlabel.get_text().replace("\n", " ")
        rows = [x.get_text() for x in ax.get_yticklabels()]
        cols = [x.get_text().split(" (")[0] for x in ax.get_xticklabels()]
        x, y = dashes[0].get_position()
        assert rows[int(y)] == "l1" and cols[int(x)] == "sr4"
