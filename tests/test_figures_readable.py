"""Figures a paper could print (issue 25): what each figure encodes is readable off it.

The leaderboard's colour is a value scale with a colourbar (equal values, equal colours; a tiny
difference, a tiny contrast), one row order and no empty panel; the P–D plane shows its Pareto
front, the degraded input and far-off points at the edge, with the compared loss a star in plot and
legend and a title of at most two lines; training curves name a min–max band only when there are
seeds to span; the metric plots never draw a loss hollow (significantly worse) when nothing could be
tested; and a loss restoring worse than the degraded input is flagged ⚠ in every figure, as in the
tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from test_figure_layout import layout_problems
from test_figures_defects import _is_worse_marker

from benchmark import figures as F
from benchmark.export import metric_decimals
from benchmark.runstats import MIN_RUNS
from benchmark.stats import compute
from benchmark.synthetic import synthetic_runs, synthetic_table

#: lpips_squeeze restores worse than the degraded input on psnr (the input sits at offset −3)
OFFSETS = {"l1": 0.0, "l2": 0.2, "ssim": -0.5, "vgg": {"vsi": 0.5}, "pdl": {"vsi": 1.2, "psnr": -0.4},
           "lpips_squeeze": {"vsi": 0.8, "psnr": -8.0}}
KW = dict(tasks=("denoise", "sr4", "deblur", "jpeg", "demosaic"), offsets=OFFSETS, n_images=6, seeds=(0, 1),
          metrics=("psnr", "ssim", "vsi", "gmsd"))


@pytest.fixture(scope="module")
def data():
    table = synthetic_table(**KW)
    metas = [m for _, m, _ in synthetic_runs(**KW)]
    return table, metas, compute(table, metas, n_boot=50)


def heatmap_cells(ax) -> np.ndarray:
    """(rows, cols, 4) RGBA of a seaborn heatmap's cells."""
    mesh = ax.collections[0]
    rows, cols = len(ax.get_yticks()), len(ax.get_xticks())
    return np.asarray(mesh.get_facecolors()).reshape(rows, cols, 4)


def panels(fig):
    return [a for a in fig.axes if a.collections and a.get_title()]


def test_leaderboard_colour_is_a_value_scale_with_a_colourbar():
    vals = pd.DataFrame({"ssim ↑": [0.90, 0.997, 0.998, 0.998, 0.95], "gmsd ↓": [0.2, 0.1, 0.1, 0.05, 0.3]},
                        index=["input", "a", "b", "c", "d"])
    with F.style():
        fig = F.draw_leaderboard_heatmap({"denoise": vals})
        bars = [c for a in fig.axes for c in [a, *a.child_axes] if hasattr(c, "_colorbar")]
        assert len(bars) == 1 and bars[0].get_visible()  # the colour scale is printed
        (ax,) = panels(fig)
        rows = [t.get_text() for t in ax.get_yticklabels()]
        cells = heatmap_cells(ax)
        ssim = {r: cells[i, 0] for i, r in enumerate(rows)}
        gmsd = {r: cells[i, 1] for i, r in enumerate(rows)}
        assert np.allclose(ssim["b"], ssim["c"]) and np.allclose(gmsd["a"], gmsd["b"])  # equal values, equal colours
        assert not np.allclose(gmsd["c"], gmsd["b"])
        # 0.997 vs 0.998, next to an input at 0.90: nearly the same colour, not the extremes of the scale
        assert np.abs(ssim["a"] - ssim["b"]).max() < 0.05 < np.abs(ssim["input"] - ssim["b"]).max()
        assert layout_problems(fig) == []


def test_leaderboard_panels_rows_and_decimals(data):
    from benchmark.report import heatmap_panels

    table, _, stats = data
    with F.style():
        fig = F.draw_leaderboard_heatmap(heatmap_panels(table), stats.worse)
        ps = panels(fig)
        assert len(ps) == len(KW["tasks"])  # five tasks, five panels: no empty sixth
        assert all(a.get_visible() for a in fig.axes if not a.get_title() and a.collections)
        orders = [[t.get_text() for t in a.get_yticklabels()] for a in ps]
        assert all(o == orders[0] for o in orders) and orders[0][0] == "input"
        for ax in ps:  # one number of decimals down each column
            n_cols = len(ax.get_xticks())
            texts = [t.get_text() for t in ax.texts]
            for j in range(n_cols):
                col = texts[j::n_cols]
                assert len({len(t.split(".")[1]) if "." in t else 0 for t in col}) == 1, col
        assert layout_problems(fig) == []


def test_pd_plane_front_input_and_outliers(data):
    _, metas, stats = data
    with F.style():
        fig = F.draw_pd_plane(stats, styles=F.stats_styles(stats, metas))
        axes = [a for a in fig.axes if a.get_visible()]
        assert len(axes) == len(KW["tasks"])  # the unused sixth panel is gone
        for ax in axes:
            dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() not in ("-", "None", "")]
            assert dashed and len(dashed[0].get_xdata()) >= 3  # the Pareto staircase, drawn even for one point
            # lpips_squeeze's psnr (8 SDs below the rest) is off-scale: marked at the edge with its value
            x = stats.cells[(stats.cells["task"] == ax.get_title()) & (stats.cells["metric"] == "psnr")]
            worst = float(x.loc[x["label"] == "lpips_squeeze", "mean"].iloc[0])
            assert ax.get_xlim()[0] > worst
            dec = metric_decimals(stats, ax.get_title(), "psnr")  # as leaderboard.md prints it
            assert any(t.get_text().startswith(f"lpips_squeeze: {worst:.{dec}f}") for t in ax.texts)  # named
            # the input is shown: its X in the range (gid INPUT_GID), or named off-scale at the edge
            assert any(c.get_gid() == F.INPUT_GID for c in ax.collections) or any(
                t.get_text().startswith("input") for t in ax.texts)
        legend = [t.get_text() for t in fig.legends[0].get_texts()]
        assert "degraded input" in legend and "Pareto front (black rim)" in legend
        assert len(fig._suptitle.get_text().split("\n")) <= 2
        assert layout_problems(fig) == []


def test_compare_plot_star_in_legend_and_short_title(data):
    table, metas, _ = data
    one = table[table["task"] == "denoise"]
    st = compute(one, [m for m in metas if (m.get("config") or {}).get("task", m.get("task")) == "denoise"],
                 n_boot=50)
    with F.style():
        fig = F.draw_pd_plane(st, highlight={"vgg"})
        assert len(fig._suptitle.get_text().split("\n")) <= 2
        assert "Smoke test" in fig._suptitle.get_text()
        (ax,) = [a for a in fig.axes if a.get_visible()]
        rings = (F.CIRCULAR_GID, F.WORSE_GID)  # marks around a point (circular, worse than the input), not points
        stars = [c for c in ax.collections if hasattr(c, "get_sizes") and len(c.get_sizes()) and c.get_sizes()[0] >= 60
                 and c.get_gid() not in rings]
        assert len(stars) == 1  # the compared loss, drawn once, as the large marker
        leg = fig.legends[0]
        by_text = {t.get_text(): h for t, h in zip(leg.get_texts(), leg.legend_handles)}
        assert by_text["vgg"].get_marker() == "*"
        assert by_text["l1"].get_marker() == F.stats_styles(st)["l1"].marker
        assert layout_problems(fig) == []


def test_training_curves_band_only_with_seeds(data):
    _, metas, _ = data
    with F.style():
        two = F.draw_training_curves(metas)._suptitle.get_text().replace("\n", " ")
        one = F.draw_training_curves([m for m in metas if (m.get("config") or {}).get("seed") == 0])
        title = one._suptitle.get_text().replace("\n", " ")
        assert "min–max" in two and "mean over 2 seeds" in two
        assert "min–max" not in title and "one seed" in title
        assert "moving average" in one.legends[0].get_title().get_text()  # how the curves are smoothed: their key's
        assert not [c for a in one.axes for c in a.collections]  # no band drawn from a single seed
        assert layout_problems(one) == []


def test_smooth_curve_is_a_centred_moving_average():
    v, k = F.smooth_curve(np.arange(50.0))
    assert k == 5 and np.allclose(v[2:-2], np.arange(50.0)[2:-2])
    noisy = np.tile([1.0, 3.0], 25)
    assert F.smooth_curve(noisy)[0][2:-2].std() < 0.5 * noisy.std()


def _face(c) -> list[tuple]:
    return [tuple(np.round(f, 3)) for f in c.get_facecolors()]


def test_metric_points_nothing_hollow_when_nothing_can_be_significant(data):
    _, _, stats = data
    assert int(stats.cells["n_seeds"].max()) < MIN_RUNS
    white = tuple(np.round(to_rgba("white"), 3))
    with F.style():
        fig = F.draw_metric_points(stats, "denoise")
        faces = [f for a in fig.axes for c in a.collections if hasattr(c, "get_offsets") for f in _face(c)]
        assert faces and white not in faces  # neither the input nor any loss is drawn "significantly worse"
        legend = " ".join(t.get_text() for t in fig.legends[0].get_texts())
        assert "hollow" not in legend and f"≥ {MIN_RUNS}" in legend
        assert layout_problems(fig) == []


def test_metric_points_hollow_only_where_tested():
    kw = dict(tasks=("denoise",), offsets={"l1": 0.0, "good": 2.0, "bad": -2.0}, metrics=("psnr", "vsi"),
              n_images=6, seeds=tuple(range(MIN_RUNS)))
    table = synthetic_table(**kw)
    st = compute(table, [m for _, m, _ in synthetic_runs(**kw)], n_boot=50)
    white = tuple(np.round(to_rgba("white"), 3))
    with F.style():
        fig = F.draw_metric_points(st, "denoise")
        ax = fig.axes[0]
        rows = [t.get_text() for t in ax.get_yticklabels()]
        hollow_rows = {rows[int(round(y))] for c in ax.collections if hasattr(c, "get_offsets")
                       for (x, y), f in zip(c.get_offsets(), _face(c)) if f == white}
        assert "bad" in hollow_rows and "input" not in hollow_rows and "good" not in hollow_rows


def test_worse_than_input_flagged_in_every_figure(data):
    from benchmark.export import WORSE
    from benchmark.report import heatmap_panels

    table, metas, stats = data
    assert F.WORSE == WORSE  # the tables' mark
    flagged = F.worse_labels(stats, "denoise")
    assert flagged == {"lpips_squeeze"}
    with F.style():
        metrics = F.draw_metric_points(stats, "denoise")
        ticks = [t.get_text().replace("\n", "") for t in metrics.axes[0].get_yticklabels()]
        assert [t for t in ticks if WORSE in t] == [f"lpips_squeeze {WORSE}"]
        board = F.draw_leaderboard_heatmap(heatmap_panels(table), stats.worse)
        for ax in panels(board):
            marked = [t.get_text() for t in ax.get_yticklabels() if WORSE in t.get_text()]
            assert marked == [f"lpips_squeeze {WORSE}"]
        assert WORSE in board._supxlabel.get_text()  # the key, under the figure (fit_title)
        # without the run-level table the leaderboard judges by the means, and agrees here
        assert all(WORSE in "".join(t.get_text() for t in a.get_yticklabels())
                   for a in panels(F.draw_leaderboard_heatmap(heatmap_panels(table))))
        pd_fig = F.draw_pd_plane(stats)
        assert any(WORSE in t.get_text() for a in pd_fig.axes for t in a.texts) or \
            any(_is_worse_marker(ln) for a in pd_fig.axes for ln in a.get_lines())
        assert f"worse than the input on {F.WORSE_METRIC}" in [t.get_text() for t in pd_fig.legends[0].get_texts()]
        rank = F.draw_rank_heatmap(stats)
        cells = [t.get_text() for t in rank.axes[0].texts]
        assert sum(WORSE in t for t in cells) == len(KW["tasks"])  # lpips_squeeze in each task's column
    clean = compute(table[table["loss"] != "lpips_squeeze"], metas, n_boot=50)
    with F.style():
        assert not any(WORSE in t.get_text() for t in F.draw_metric_points(clean, "denoise").axes[0].get_yticklabels())


def test_pd_plane_outliers_on_an_inverted_axis_stay_readable():
    """LPIPS (lower is better, so the axis runs downwards): two losses far worse on it and one far
    worse on psnr are drawn at the edges with their values, apart from each other."""
    offsets = {"l1": 0.0, "l2": 0.2, "ssim": -0.5, "charbonnier": 0.1, "ms_ssim": 0.3, "ms_ssim_l1": 0.4,
               "vgg": {"lpips": 0.5}, "lpips": {"lpips": 1.0}, "dists": 0.6, "gdl_l1": -0.2,
               "pdl": {"lpips": -9.0}, "style": {"lpips": -9.5}, "gpl": {"psnr": -9.0}}
    kw = dict(tasks=("denoise",), offsets=offsets, metrics=("psnr", "lpips"), n_images=6, seeds=(0, 1))
    st = compute(synthetic_table(**kw), [m for _, m, _ in synthetic_runs(**kw)], n_boot=50)
    with F.style():
        fig = F.draw_pd_plane(st)
        (ax,) = [a for a in fig.axes if a.get_visible()]
        assert ax.yaxis_inverted()  # better (lower LPIPS) is up
        lp = st.cells[st.cells["metric"] == "lpips"].set_index("label")["mean"]
        values = {t.get_text() for t in ax.texts}
        dec = metric_decimals(st, "denoise", "lpips")  # as leaderboard.md prints it
        assert {f"pdl: {lp['pdl']:.{dec}f}", f"style: {lp['style']:.{dec}f}"} <= values  # each named
        assert max(ax.get_ylim()) < min(lp["pdl"], lp["style"])
        assert layout_problems(fig) == []


def test_pd_plane_point_off_scale_on_both_axes_shows_both_values():
    """Nearly tied losses zoom the panel in: the degraded input is then off-scale on psnr *and* on
    lpips, drawn in the corner; its label gives both values, not only the psnr one."""
    offsets = {f"loss{i}": 0.01 * i for i in range(8)}
    kw = dict(tasks=("denoise",), offsets=offsets, metrics=("psnr", "lpips"), n_images=6, seeds=(0, 1), noise=0.01)
    st = compute(synthetic_table(**kw), [m for _, m, _ in synthetic_runs(**kw)], n_boot=50)
    inp = st.cells[st.cells["label"] == "input"].set_index("metric")["mean"]
    with F.style():
        fig = F.draw_pd_plane(st)
        (ax,) = [a for a in fig.axes if a.get_visible()]
        assert inp["psnr"] < min(ax.get_xlim()) and inp["lpips"] > max(ax.get_ylim())  # off on both axes
        dx, dy = metric_decimals(st, "denoise", "psnr"), metric_decimals(st, "denoise", "lpips")
        assert f"input {inp['psnr']:.{dx}f}, {inp['lpips']:.{dy}f}" in {t.get_text() for t in ax.texts}
        assert layout_problems(fig) == []


def test_metric_points_say_not_scored_in_an_empty_row():
    """A loss with no score on a metric (its weights were not cached) has an empty row in that
    panel: it says "not scored", as the tables print "–", instead of looking like a missing point."""
    kw = dict(tasks=("denoise",), offsets={"l1": 0.0, "l2": 0.2, "lpips": 0.4}, metrics=("psnr", "musiq"),
              n_images=6, seeds=(0, 1))
    table = synthetic_table(**kw)
    table = table[~((table["loss"] == "lpips") & (table["metric"] == "musiq"))]
    st = compute(table, [m for _, m, _ in synthetic_runs(**kw)], n_boot=50)
    with F.style():
        fig = F.draw_metric_points(st, "denoise")
        psnr, musiq = (a for a in fig.axes if a.get_title())
        assert [t.get_text() for t in musiq.texts] == ["not scored"] and not psnr.texts
        row = [t.get_text() for t in psnr.get_yticklabels()].index("lpips")
        assert musiq.texts[0].get_position()[1] == psnr.get_yticks()[row]
        assert layout_problems(fig) == []


def test_metric_points_one_long_label_does_not_stretch_every_row():
    """20 one-line loss names and one that wraps to two lines (lpips with its weights, in nearly
    every report): only that row is taller, so the figure is about as tall as with 21 one-line names
    (it was 2.6 in taller, every row as tall as the longest label), and still nothing overlaps."""
    offsets = {"lpips": 0.5, **{f"loss{i:02d}": 0.05 * i for i in range(20)}}
    kw = dict(tasks=("denoise",), offsets=offsets, metrics=("psnr", "ssim"), n_images=4, seeds=(0,))
    heights = {}
    for weights in ("none", "alexnet:random(seed=0)+lpips:alex:v0.1"):
        kw["weights"] = {"lpips": weights}
        st = compute(synthetic_table(**kw), [m for _, m, _ in synthetic_runs(**kw)], n_boot=50)
        with F.style():
            fig = F.draw_metric_points(st, "denoise")
            heights[weights] = fig.get_size_inches()[1]
            ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
            assert layout_problems(fig) == []
    assert any("\n" in t for t in ticks)  # the long label is wrapped
    assert heights["alexnet:random(seed=0)+lpips:alex:v0.1"] - heights["none"] < 0.3


def test_heatmap_rows_one_line_when_the_names_fit_and_flags_counted():
    """The leaderboard and rank heatmaps' rows are as tall as their tallest name: names up to 44
    characters stay on one line (lpips with its weights no longer doubles every row), and the row
    height counts the ⚠ the name carries (two flagged 33-character names ran into each other)."""
    long = ["my_plugin_loss_with_a_long_name_a", "my_plugin_loss_with_a_long_name_b"]  # 33 characters
    vals = pd.DataFrame({"psnr ↑": [22.0, 21.0, 21.5, 25.0, 26.0], "ssim ↑": [0.6, 0.7, 0.7, 0.8, 0.8]},
                        index=["input", *long, "l1", "lpips [alexnet:random+lpips:alex:v0.1]"])
    with F.style():
        fig = F.draw_leaderboard_heatmap({"denoise": vals})
        (ax,) = panels(fig)
        ticks = [t.get_text() for t in ax.get_yticklabels()]
        assert all("\n" not in t for t in ticks) and sum(F.WORSE in t for t in ticks) == 2
        assert layout_problems(fig) == []
    assert F.row_labels(["a" * 50, "b"]) == [F.wrap_label("a" * 50, 34), "b"]  # too long for one line: wrapped
