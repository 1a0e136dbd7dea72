"""Figure defects a reviewer found, one test per kind (they fail on the figures as they were):

1. one clearly distinct colour per loss label, markers that differ too (none a triangle or a cross);
2. the leaderboard's colourbar names do not overlap on a one-task (narrow) figure;
3. the P–D plane's limits hold every CI bar whole;
4. training curves start at 1, have whole-number iterations, plain decimal y ticks, a y-axis per
   task, and say nothing about a moving average over 1 value;
5. PSNR is labelled in dB;
6. the rank heatmap's colour scale is the possible rank range [1, k];
7. a loss worse than the input is ringed in red on its own point in the P–D plane;
8. the visual grid's stated zoom is the inset's true magnification;
9. no stale figure file is left beside fresh ones;
10. a Friedman p that underflowed to 0 is printed as p < 1e-16, never p = 0;
11. the training curves' legend names the runs that diverged (their curves stop early);
12. the CD diagram is drawn when a metric is missing for some runs of every loss (its blocks go).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgb
from matplotlib.markers import MarkerStyle
from test_figure_layout import layout_problems

from benchmark import figures as F
from benchmark.stats import compute
from benchmark.synthetic import synthetic_runs, synthetic_table

PIXEL = ["l1", "l2", "charbonnier", "ssim", "ms_ssim", "ms_ssim_l1"]
#: the reviewer's reports: labels that shared a colour
REPORTS = {
    "s1": ["l1", "l2", "l1 + 0.01*ms_ssim"],
    "long": ["l1", "0.123457*l1 + 0.2*l2 + 0.3*charbonnier(eps=0.001) + 0.4*ms_ssim_l1 + 0.5*ssim",
             "l2 + 0.05*charbonnier + 0.05*ssim"],
    "many": [*PIXEL, "0.5*l1 + 0.5*l2", "0.84*ms_ssim + 0.16*l1", "charbonnier(eps=0.01)", "l1 + 0.1*ssim",
             "l2 + 0.1*ms_ssim"],
    "cpu": ["l1", "l2", "ms_ssim_l1"],
}


def _lab(colours) -> np.ndarray:
    from skimage.color import rgb2lab

    return rgb2lab(np.asarray(colours, float).reshape(1, -1, 3))[0]


def _delta_e(a, b) -> float:
    from skimage.color import deltaE_ciede2000

    return float(deltaE_ciede2000(_lab([a])[0], _lab([b])[0]))


def _marker_of(collection) -> str | None:
    """The marker a scatter ``PathCollection`` draws, by comparing its path with each marker's."""
    verts = collection.get_paths()[0].vertices
    for m in (*F.MARKERS, "X", "o", "*", "^", "v", "<", ">"):
        ms = MarkerStyle(m)
        ref = ms.get_path().transformed(ms.get_transform()).vertices
        if ref.shape == verts.shape and np.allclose(ref, verts):
            return m
    return None


def _is_worse_marker(line) -> bool:
    """Whether ``line`` is drawn with the ⚠ marker (:func:`F.worse_marker`, or the ``"$⚠$"`` it replaced)."""
    if line.get_marker() == f"${F.WORSE}$":
        return True
    ref, mark = F.worse_marker(), line._marker
    a, b = (m.get_transform().transform(m.get_path().vertices) for m in (ref, mark))
    return a.shape == b.shape and np.allclose(a, b)


@pytest.fixture(scope="module")
def data():
    """Four losses, 2 seeds (wide CIs); ``bad`` restores worse than the input on psnr but stays on scale."""
    kw = dict(tasks=("denoise", "sr4"), offsets={"l1": 0.0, "l2": 0.2, "ssim": -0.5, "bad": {"psnr": -3.6}},
              metrics=("psnr", "ssim", "vsi"), n_images=5, seeds=(0, 1), noise=0.6)
    table = synthetic_table(**kw)
    metas = [m for _, m, _ in synthetic_runs(**kw)]
    return table, metas, compute(table, metas, n_boot=50)


# 1 ----------------------------------------------------------------------------------------------
def test_palette_colours_are_clearly_apart_and_not_pale():
    pal = F.PALETTE
    assert len(pal) >= 10
    assert min(_delta_e(a, b) for a, b in itertools.combinations(pal, 2)) >= 20  # colorblind's orange/tan: 12
    assert max(_lab(pal)[:, 0]) <= 75  # no pale yellow on white (colorblind's is L* 88)
    assert min(_delta_e(c, F.INPUT_COLOUR) for c in pal) >= 15  # none mistaken for the input's grey


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_every_label_of_a_report_has_its_own_colour(name):
    labels = REPORTS[name]
    styles = F.loss_styles(labels)
    colours = [styles[l].color for l in labels]
    if len(labels) <= len(F.PALETTE):
        assert len(set(colours)) == len(labels)
        assert min(_delta_e(a, b) for a, b in itertools.combinations(colours, 2)) >= 20
    else:  # beyond the palette: every colour in use, and colour with marker tells each label apart
        assert len(set(colours)) == len(F.PALETTE)
        assert len({(styles[l].color, styles[l].marker) for l in labels}) == len(labels)


def test_colours_distinct_for_any_labels_and_markers_help():
    rng = np.random.default_rng(0)
    for n in range(1, 41):
        labels = list(rng.choice(PIXEL, size=rng.integers(0, 7), replace=False)) + [f"my_loss_{i}*l1" for i in range(n)]
        styles = F.loss_styles(labels)
        colours = [styles[l].color for l in labels]
        assert len(set(colours)) == min(len(labels), len(F.PALETTE)), labels
        assert len({(styles[l].color, styles[l].marker) for l in labels}) == len(labels)
        markers = {styles[l].marker for l in labels}
        assert markers <= set(F.MARKERS)  # never a triangle (off-scale) nor a cross (the input)
        if len(labels) >= 3:
            assert len(markers) >= 3  # shape varies between labels, not only colour
    assert not {"^", "v", "<", ">", "X", "*"} & set(F.MARKERS)
    assert F.loss_styles(["l1"])["l1"].marker == "o"


def test_metric_points_draw_each_loss_with_its_marker(data):
    _, metas, stats = data
    styles = F.stats_styles(stats, metas)
    with F.style():
        fig = F.draw_metric_points(stats, "denoise", styles)
        ax = fig.axes[0]
        drawn = {}
        for c in ax.collections:
            if c.get_gid() or not isinstance(c, PathCollection):  # the points, not the CI lines or rings
                continue
            for colour in c.get_edgecolors():
                drawn.setdefault(tuple(np.round(colour[:3], 3)), set()).add(_marker_of(c))
        for label in ("l1", "l2", "ssim", "bad"):
            assert drawn[tuple(np.round(styles[label].color, 3))] == {styles[label].marker}
        assert layout_problems(fig) == []


# 2 ----------------------------------------------------------------------------------------------
def test_narrow_leaderboard_colourbar_names_do_not_overlap():
    import pandas as pd

    vals = pd.DataFrame({"psnr ↑": [20.6, 20.8, 20.9, 20.6], "ssim ↑": [0.448, 0.468, 0.461, 0.464],
                         "gmsd ↓": [0.111, 0.108, 0.107, 0.110]},
                        index=["input", REPORTS["long"][1], "l1", REPORTS["long"][2]])
    with F.style():
        fig = F.draw_leaderboard_heatmap({"denoise": vals})
        assert fig.get_size_inches()[0] < 6  # one task, three metrics: a narrow figure
        axes = [*fig.axes, *(c for a in fig.axes for c in a.child_axes)]
        texts = [t.get_text() for a in axes for t in [*a.texts, *a.get_xticklabels()]]
        assert {"worse", "input", "better"} <= set(texts)
        assert layout_problems(fig) == []


# 3 ----------------------------------------------------------------------------------------------
def test_pd_plane_limits_hold_every_ci_bar():
    kw = dict(tasks=("denoise", "sr4"), offsets={"l1": 0.0, "l2": 0.05, "ssim": 0.1, "vgg": 0.15},
              metrics=("psnr", "vsi"), n_images=5, seeds=(0, 1), noise=1.5)
    stats = compute(synthetic_table(**kw), [m for _, m, _ in synthetic_runs(**kw)], n_boot=50)
    with F.style():
        fig = F.draw_pd_plane(stats)
        axes = [a for a in fig.axes if a.get_visible()]
        assert len(axes) == 2
        for ax in axes:
            c = stats.cells[(stats.cells["task"] == ax.get_title()) & (stats.cells["label"] != "input")]
            (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
            x, y = c[c["metric"] == "psnr"], c[c["metric"] == "vsi"]
            assert x["ci_low"].min() >= x0 and x["ci_high"].max() <= x1
            assert y["ci_low"].min() >= y0 and y["ci_high"].max() <= y1
            # the bars are wide here: they, not the points, set the range
            assert x["ci_high"].max() - x["ci_low"].min() > 1.5 * (x["mean"].max() - x["mean"].min())
        assert layout_problems(fig) == []


def test_robust_limits_hold_bars_but_not_outliers():
    means = np.array([1.0, 1.1, 1.2, 1.3, 1.4, 50.0])
    lo, hi = F.robust_limits(means, means - 2.0, means + 2.0)
    assert lo <= -1.0 and 3.4 <= hi < 50  # every kept bar whole, the far-off point still left out


# 4 ----------------------------------------------------------------------------------------------
def _metas(curves: dict[tuple[str, str], list[list[float]]], seeds=(0, 1)) -> list[dict]:
    out = []
    for (task, loss), curve in curves.items():
        for s in seeds:
            noisy = [[it, v * (1 + 0.02 * s)] for it, v in curve]
            out.append({"run_id": f"{task}-{loss}-{s}", "status": "ok", "weights": "none", "loss_curve": noisy,
                        "config": {"task": task, "loss": loss, "seed": s}})
    return out


def test_training_curves_start_at_one_integer_ticks_own_axes_plain_labels():
    long = [[it, float(np.exp(-it / 20) + 0.01 + 0.05 * np.sin(it))] for it in range(1, 201)]
    metas = _metas({("denoise", "l1"): [[1, 0.9], [2, 0.7], [3, 0.8], [4, 0.6]],
                    ("denoise", "l2"): [[1, 0.5], [2, 0.45], [3, 0.5], [4, 0.4]],
                    ("jpeg", "l1"): [[1, 1.0], [2, 0.99], [3, 0.985], [4, 0.98]],
                    ("sr4", "l1"): long})
    with F.style():
        fig = F.draw_training_curves(metas)
        title = fig._suptitle.get_text().replace("\n", " ")
        assert "relative to its first value" in title
        axes = {a.get_title(): a for a in fig.axes if a.get_title()}
        for task, ax in axes.items():
            for line in ax.get_lines():
                assert line.get_ydata()[0] == pytest.approx(1.0)  # every curve starts at 1, as titled
            lo, hi = ax.get_xlim()
            ticks = [t for t in ax.get_xticks() if lo <= t <= hi]
            assert ticks and all(float(t).is_integer() for t in ticks), (task, ticks)  # no iteration 1.5
            fig.canvas.draw()
            labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
            assert labels and not any("times" in t or "×" in t or "$" in t for t in labels), labels
            assert ax.get_shared_y_axes().get_siblings(ax) == [ax]  # a y-axis of its own
        # jpeg's 2 % fall fills its own panel instead of a sliver of a shared one
        ylo, yhi = axes["jpeg"].get_ylim()
        assert yhi - ylo < 0.1
        assert axes["sr4"].get_yscale() == "log"  # 1 → 0.01: log, still with decimal labels
        assert layout_problems(fig) == []
        # the long curve is smoothed (the window is named); the 4-point ones alone are not
        assert "moving average over" in fig.legends[0].get_title().get_text()  # the key says how they are smoothed
        short = F.draw_training_curves(_metas({("denoise", "l1"): [[1, 0.9], [2, 0.7], [3, 0.8], [4, 0.6]]}))
        assert "moving average" not in short._suptitle.get_text() + short.legends[0].get_title().get_text()


# 5 ----------------------------------------------------------------------------------------------
def test_psnr_is_labelled_in_db(data):
    from benchmark.report import heatmap_panels

    table, _, stats = data
    assert F.metric_name("psnr") == "psnr (dB)" and F.metric_name("ssim") == "ssim"
    with F.style():
        pd_fig = F.draw_pd_plane(stats)
        assert all(a.get_xlabel().startswith("psnr (dB)") for a in pd_fig.axes if a.get_visible())
        metrics = F.draw_metric_points(stats, "denoise")
        titles = [a.get_title() for a in metrics.axes if a.get_title()]
        assert "psnr (dB) ↑" in titles and "ssim ↑" in titles
        board = F.draw_leaderboard_heatmap(heatmap_panels(table))
        cols = {t.get_text() for a in board.axes for t in a.get_xticklabels()}
        assert "psnr (dB) ↑" in cols


# 6 ----------------------------------------------------------------------------------------------
def test_rank_heatmap_scale_is_the_possible_rank_range(data):
    table, metas, stats = data
    with F.style():
        fig = F.draw_rank_heatmap(stats)
        mesh = fig.axes[0].collections[0]
        k = len(stats.task_ranks)
        assert (mesh.norm.vmin, mesh.norm.vmax) == (1, k)
        (cbar,) = [a for a in fig.axes if hasattr(a, "_colorbar")]
        assert sorted(cbar.get_ylim()) == [1, k]
        one = compute(table[table["loss"].isin(["l1", "input"])], metas, n_boot=20)
        fig1 = F.draw_rank_heatmap(one)
        assert not [a for a in fig1.axes if hasattr(a, "_colorbar")]  # one loss: no 0.9–1.1 scale
        assert layout_problems(fig1) == []
    assert F._rank_ticks(1) == [1] and F._rank_ticks(11)[0] == 1 and F._rank_ticks(11)[-1] == 11


# 7 ----------------------------------------------------------------------------------------------
def test_worse_than_input_is_a_red_ring_on_the_point(data):
    _, _, stats = data
    assert F.worse_labels(stats, "denoise") == {"bad"}
    with F.style():
        fig = F.draw_pd_plane(stats)
        ax = next(a for a in fig.axes if a.get_title() == "denoise")
        rings = [c for c in ax.collections if c.get_gid() == F.WORSE_GID]
        c = stats.cells[(stats.cells["task"] == "denoise") & (stats.cells["label"] == "bad")].set_index("metric")
        assert len(rings) == 1
        assert np.allclose(rings[0].get_offsets(), [[c.loc["psnr", "mean"], c.loc["vsi", "mean"]]])  # on the point
        assert np.allclose(rings[0].get_edgecolors()[0][:3], F.WORSE_COLOUR)
        assert not any(_is_worse_marker(ln) for ln in ax.get_lines())  # no loose ⚠ beside it
        markers = {_marker_of(p) for p in ax.collections if p.get_gid() is None and isinstance(p, PathCollection)}
        assert not markers & {"^", "v", "<", ">"}  # nothing on scale looks like the ⚠ or an edge mark
        legend = {t.get_text(): h for t, h in zip(fig.legends[0].get_texts(), fig.legends[0].legend_handles)}
        ring = legend[f"worse than the input on {F.WORSE_METRIC}"]
        assert ring.get_marker() == "o" and np.allclose(to_rgb(ring.get_markeredgecolor()), F.WORSE_COLOUR)


# 8 ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("crop", "box"), [(96, 16), (96, 12), (40, 8)])
def test_visual_grid_zoom_label_matches_the_inset(crop, box):
    rng = np.random.default_rng(0)
    panels = [(name, rng.random((crop + 10, crop + 10, 3))) for name in ("clean", "input", "l1")]
    with F.style():
        fig = F.draw_visual_grid(panels, "denoise: synthetic/img0000", crop, box)
        fig.canvas.draw()
        ax = fig.axes[0]
        (ins,) = ax.child_axes
        (rect,) = ax.patches
        box_px = rect.get_window_extent().width  # the box's path, without its stroke
        shown = ins.get_window_extent().width / box_px
        zoom = F.inset_zoom(crop, rect.get_width())
        assert f"inset ×{zoom} zoom" in fig._suptitle.get_text().replace("\n", " ")
        assert shown == pytest.approx(zoom, rel=0.03)
        # the box lies outside the inset: what is magnified stays visible
        ib = ins.get_window_extent()
        rb = rect.get_window_extent()
        assert rb.x1 <= ib.x0 + 1 or rb.y0 >= ib.y1 - 1
        assert layout_problems(fig) == []


# 9 ----------------------------------------------------------------------------------------------
def test_no_stale_figure_files(tmp_path, data):
    _, metas, stats = data
    out = tmp_path / "figures"
    first = F.rank_heatmap(stats, out / "rank_heatmap", formats=("png", "pdf"))
    assert {p.name for p in first} == {"rank_heatmap.png", "rank_heatmap.pdf"}
    again = F.rank_heatmap(stats, out / "rank_heatmap", formats=("png", "svg"))  # --formats png svg
    assert sorted(p.name for p in out.iterdir()) == ["rank_heatmap.png", "rank_heatmap.svg"] == \
        sorted(p.name for p in again)
    # a figure the report can no longer draw leaves nothing behind
    (out / "cd_diagram.png").write_bytes(b"old")
    (out / "cd_diagram.pdf").write_bytes(b"old")
    one_loss = compute(synthetic_table(tasks=("denoise",), offsets={"l1": 0.0}, metrics=("psnr",), n_images=5,
                                       seeds=(0,)), [], n_boot=20)
    assert F.cd_diagram(one_loss, out / "cd_diagram") == []  # no Friedman test with one loss
    assert not (out / "cd_diagram.png").exists() and not (out / "cd_diagram.pdf").exists()
    # a report's figures folder: figures it did not write go, anything else stays
    for name in ("visual_sr4.png", "visual_sr4.pdf", "metrics_jpeg.png", "metrics_denoise.png", "training_curves.pdf",
                 "notes.txt", "my_plot.png", "visual_sr4.png.bak", "metrics_denoise.csv"):
        (out / name).write_bytes(b"x")
    keep = [*again, out / "metrics_denoise.png"]
    removed = F.prune_figures(out, keep)
    assert sorted(p.name for p in removed) == ["metrics_jpeg.png", "training_curves.pdf", "visual_sr4.pdf",
                                               "visual_sr4.png"]
    assert sorted(p.name for p in out.iterdir()) == ["metrics_denoise.csv", "metrics_denoise.png", "my_plot.png",
                                                     "notes.txt", "rank_heatmap.png", "rank_heatmap.svg",
                                                     "visual_sr4.png.bak"]
    assert F.prune_figures(tmp_path / "absent", []) == []


def test_a_report_removes_the_figures_of_an_earlier_report_it_does_not_redraw(tmp_path):
    """A task no longer reported (another setting) leaves no metrics figure behind; visual grids stay
    when the report skips them (--no-visual: they re-run nets), and non-figure files are never touched."""
    from benchmark.report import write_report
    from benchmark.results import ResultsStore
    from benchmark.synthetic import write_store

    write_store(tmp_path, tasks=("sr4",), metrics=("psnr",), seeds=(0, 1), offsets={"l1": 0.0, "l2": 0.1},
                budget_check=False)
    figs = tmp_path / "figures"
    figs.mkdir()
    for name in ("metrics_gone.png", "metrics_gone.pdf", "visual_sr4.png", "notes.txt"):
        (figs / name).write_bytes(b"old")
    write_report(ResultsStore(tmp_path), html=False, visual=False, n_boot=100, formats=("png",))
    left = {p.name for p in figs.iterdir()}
    assert "metrics_gone.png" not in left and "metrics_gone.pdf" not in left
    assert {"visual_sr4.png", "notes.txt", "metrics_sr4.png"} <= left


def test_cd_diagram_is_descriptive_below_the_minimum_runs():
    """With fewer runs per loss than a verdict needs, the CD diagram states no p-value and draws no
    'not significantly different' bars or CD scale."""
    from benchmark.figures import draw_cd_diagram
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    def drawn(seeds):
        t = synthetic_table(tasks=("denoise", "sr4"), metrics=("psnr", "ssim"), seeds=seeds,
                            offsets={"l1": 0.0, "l2": 0.05, "good": 1.0})
        fig = draw_cd_diagram(compute(t, n_boot=100))
        ax = fig.axes[0]  # the title and, under the figure, the test's explanation (fit_title)
        return f"{fig.get_suptitle()} {fig.get_supxlabel()}", [t.get_text() for t in ax.texts]

    title, texts = drawn((0, 1))
    assert "descriptive only" in title and "Friedman p" not in title and not any("CD =" in t for t in texts)
    title, texts = drawn(range(5))
    assert "Friedman p" in title and any("CD =" in t for t in texts)


def test_a_p_value_that_underflowed_is_never_printed_as_zero():
    """35 losses over 104 blocks give a Friedman p that underflows to 0.0: the CD diagram and the
    tables say p < 1e-16, not p = 0."""
    from benchmark.export import friedman_text

    t = synthetic_table(tasks=("denoise", "sr4"), metrics=("psnr", "ssim"), seeds=range(5),
                        offsets={"l1": 0.0, "l2": 0.05, "good": 1.0})
    st = compute(t, n_boot=100)
    st.friedman["p"] = 0.0
    with F.style():
        fig = F.draw_cd_diagram(st)
        title = fig.get_suptitle().replace("\n", " ")
    assert title.endswith("Friedman p < 1e-16") and "p = 0" not in title
    assert "p < 1e-16;" in friedman_text(st) and "p = 0;" not in friedman_text(st)


def test_training_curves_name_the_runs_that_diverged():
    """A diverged run's curve stops where it diverged; the legend says so (it looked like a loss that
    trained normally, or drew nothing at all)."""
    metas = _metas({("denoise", "l1"): [[i, 1.0 / i] for i in range(1, 30)],
                    ("denoise", "0.5*l1 + 0.1*vgg(layers=relu1_2,relu2_2)"): [[i, 1.0 / i] for i in range(1, 30)]})
    metas[-1].update(status="diverged", loss_curve=[[1, 1.0], [2, 0.9], [3, float("nan")]])
    with F.style():
        fig = F.draw_training_curves(metas)
        legend = [t.get_text().replace("\n", " ") for t in fig.legends[0].get_texts()]
        assert any(t.endswith("(1/2 diverged)") and t.startswith("0.5*l1") for t in legend)
        assert "l1" in legend  # the others as they are
        assert layout_problems(fig) == []


def test_cd_diagram_drawn_when_a_metric_is_missing_for_some_runs_of_every_loss():
    """musiq unscored in one task for each loss (its weights were not cached for those runs): every
    loss misses a block, and the CD diagram vanished ("needs ≥3 losses …; have 0"); the incomplete
    blocks are left out instead, and the others still rank every loss."""
    losses = ["l1", "l2", "charbonnier", "good"]
    kw = dict(tasks=("denoise", "sr4", "deblur", "jpeg"), metrics=("psnr", "ssim", "musiq"), seeds=range(5),
              offsets={"l1": 0.0, "l2": 0.05, "charbonnier": 0.1, "good": 1.0}, n_images=4)
    t = synthetic_table(**kw)
    for task, loss in zip(kw["tasks"], losses):
        t = t[~((t["task"] == task) & (t["loss"] == loss) & (t["metric"] == "musiq"))]
    st = compute(t, n_boot=100)
    assert st.friedman["k"] == 4 and st.friedman["n_blocks"] == 8 and not st.friedman["excluded"]
    with F.style():
        fig = F.draw_cd_diagram(st)
        assert fig is not None and "over 8 (task, metric) blocks" in fig.get_suptitle().replace("\n", " ")
        assert layout_problems(fig) == []


# leaderboard at scale ---------------------------------------------------------------------------
def test_a_leaderboard_taller_than_a_page_is_split_by_task_into_parts(tmp_path, monkeypatch):
    """8 tasks × 35 losses drew one 98-inch PNG: a leaderboard taller than a page goes into parts,
    each within the page, every task in exactly one, one row order throughout; a later, shorter
    report removes the parts it no longer writes."""
    import matplotlib.image as mpimg
    import pandas as pd

    rng = np.random.default_rng(0)
    losses = ["input", *(f"loss_{i:02d}" for i in range(12))]
    boards = {f"task{t}": pd.DataFrame({"psnr ↑": rng.normal(25, 2, len(losses)),
                                        "lpips ↓": rng.uniform(0.1, 0.5, len(losses))}, index=losses)
              for t in range(5)}
    monkeypatch.setattr(F, "PAGE_IN", 7.0)
    path = tmp_path / "leaderboard.png"
    assert F.leaderboard_heatmap(boards, path) == path
    parts = [path, *F.leaderboard_parts(path)]
    assert len(parts) > 1
    heights = [mpimg.imread(p).shape[0] / 200 for p in parts]  # written at 200 dpi, as every figure
    assert max(heights) <= 7.0 + 0.05
    with F.style():  # every part lays out cleanly, with the whole leaderboard's row order
        fig = F.draw_leaderboard_heatmap({"task0": boards["task0"]}, order=losses[::-1], part=(1, 2))
        assert [t.get_text().split(" ")[0] for t in fig.axes[0].get_yticklabels()] == losses[::-1]
        assert "part 1 of 2: task0" in fig._suptitle.get_text() and layout_problems(fig) == []
    F.leaderboard_heatmap({"task0": boards["task0"]}, path)
    assert F.leaderboard_parts(path) == [] and path.exists()


def test_a_metrics_figure_taller_than_a_page_is_split_into_balanced_parts(tmp_path, monkeypatch):
    """35 losses × 13 metrics drew one ~39-inch metrics_<task>.png: a figure taller than a page goes
    into parts of whole panel rows, balanced, each within the page and with the whole loss order;
    the HTML embeds and the Markdown links every part; a later, shorter report prunes the parts."""
    import matplotlib.image as mpimg

    from benchmark import export as E

    offsets = {f"loss_{i:02d}": 0.1 * i for i in range(10)}
    metrics = ("psnr", "ssim", "ms_ssim", "lpips", "dists", "gmsd", "vsi")
    st = compute(synthetic_table(offsets=offsets, metrics=metrics, seeds=(0, 1), n_images=4), n_boot=50)
    with F.style():
        whole = F.draw_metric_points(st, "denoise")
        order = [t.get_text() for t in whole.axes[0].get_yticklabels()]
        tall, panels = whole.get_size_inches()[1], whole.plb_metrics
    monkeypatch.setattr(F, "PAGE_IN", tall - 0.5)   # two panel rows do not fit one page any more
    drawn, draw = [], F.draw_metric_points

    def spy(*a, **kw):  # each part as drawn, before it is saved (and cleared)
        fig = draw(*a, **kw)
        drawn.append((fig.plb_metrics, [t.get_text() for t in fig.axes[0].get_yticklabels()],
                      fig._suptitle.get_text(), layout_problems(fig)))
        return fig

    monkeypatch.setattr(F, "draw_metric_points", spy)
    base = tmp_path / "figures" / "metrics_denoise"
    paths = F.metric_points(st, "denoise", base, ("png", "pdf"))
    pngs = [p for p in paths if p.suffix == ".png"]
    assert [p.name for p in pngs] == ["metrics_denoise.png", "metrics_denoise-2.png"]
    assert all(p.with_suffix(".pdf") in paths for p in pngs)
    assert max(mpimg.imread(p).shape[0] / 200 for p in pngs) <= tall - 0.5
    assert [m for m, *_ in drawn[1:]] == [panels[:4], panels[4:]]   # whole panel rows, in order
    for i, (_, ticks, title, problems) in enumerate(drawn[1:], 1):
        assert ticks == order and f"(part {i} of 2)" in title and problems == []
    html = E.html_report(st, {"metrics_denoise": paths})
    assert html.count("<img") == 2 and "metrics denoise (part 2 of 2)" in html
    md = E.markdown(st, {"metrics_denoise": paths}, tmp_path)
    assert "[figures/metrics_denoise.png](figures/metrics_denoise.png), [figures/metrics_denoise-2.png]" in md
    monkeypatch.setattr(F, "PAGE_IN", 100.0)
    written = F.metric_points(st, "denoise", base, ("png",))
    F.prune_figures(base.parent, written)
    assert sorted(p.name for p in base.parent.iterdir()) == ["metrics_denoise.png"]


# 13 ---------------------------------------------------------------------------------------------
def test_the_degraded_input_cross_stays_visible_on_a_loss_that_sits_on_it(data):
    """A loss with no gain yet sits on the input in the P–D plane; the input's cross was drawn under
    its marker and vanished, though the legend listed it. It is drawn above every loss point,
    see-through, so both show."""
    _, _, stats = data
    with F.style():
        fig = F.draw_pd_plane(stats)
        ax = next(a for a in fig.axes if a.get_title() == "denoise")
        (cross,) = [c for c in ax.collections if c.get_gid() == F.INPUT_GID]
        points = [c for c in ax.collections if isinstance(c, PathCollection) and c.get_gid() is None]
        assert points and cross.get_zorder() > max(c.get_zorder() for c in points)
        assert 0 < cross.get_alpha() < 1


def test_leaderboard_colour_is_as_dark_as_the_change_on_both_sides_of_the_input():
    """A loss 0.001 below the input beside losses 0.17 above it was painted as red as the scale goes:
    each side of the input had its own scale (the largest drop alone made −1). One scale now: the
    column's largest change, either side."""
    import pandas as pd

    col = pd.Series([0.677, 0.676, 0.85, 0.84], index=["input", "tiny drop", "a", "b"])
    g = F.gain_over_input(col, higher=True)
    assert g["input"] == 0 and g["a"] == pytest.approx(1.0)
    assert -0.01 < g["tiny drop"] < 0  # pale red: 0.001 of a 0.173 scale
    lower = F.gain_over_input(pd.Series([0.30, 0.31, 0.10], index=["input", "worse", "better"]), higher=False)
    assert lower["better"] == pytest.approx(1.0) and lower["worse"] == pytest.approx(-0.05)
    # every loss below the input (a metric the degradation does not hurt): the furthest is −1
    below = F.gain_over_input(pd.Series([25.0, 24.0, 20.0], index=["input", "x", "y"]), higher=True)
    assert below["y"] == pytest.approx(-1.0) and below["x"] == pytest.approx(-0.2)
