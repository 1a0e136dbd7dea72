"""Every figure of a report, drawn on a synthetic table with many losses and long loss names:
no text falls outside the canvas and no two texts overlap (matplotlib's own renderer measures
them); one colour per loss label across figures, from the module's palette; vector output."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from benchmark import figures as F
from benchmark.stats import compute
from benchmark.synthetic import synthetic_runs, synthetic_table, write_store

R16, R19 = "vgg16:random(seed=0)", "vgg19:random(seed=0)"
OFFSETS = {"l1": 0.0, "l2": 0.2, "charbonnier": 0.1, "ssim": -0.5, "ms_ssim": 0.3, "ms_ssim_l1": 0.4,
           "lpips": {"vsi": 1.0, "psnr": -1.0}, "lpips_squeeze": {"vsi": 0.8}, "vgg": {"vsi": 0.5}, "gpl": 0.05,
           "pdl": {"vsi": 1.2, "psnr": -0.4}, "contrastive_select(margin=0.2,distance='cosine')": 0.1,
           "style": -1.0, "dists": 0.6, "0.84*ms_ssim + 0.16*l1 + 0.01*pdl(layers=('relu1_2','relu2_2'))": 0.5}
WEIGHTS = {"vgg": R16, "pdl": R16, "style": R16, "gpl": R19, "contrastive_select(margin=0.2,distance='cosine')": R16,
           "lpips": "alexnet:random(seed=0)+lpips:alex:v0.1",
           "lpips_squeeze": "squeezenet1_1:random(seed=0)+lpips:squeeze:v0.1",
           "dists": "vgg16:random(seed=0)(l2pool)+dists_ab:random(seed=0)"}
KW = dict(tasks=("denoise", "sr4", "deblur"), offsets=OFFSETS, weights=WEIGHTS, n_images=8, seeds=(0, 1),
          metrics=("psnr", "ssim", "ms_ssim", "fsim", "vsi", "gmsd", "nlpd"))


def drawn_texts(fig) -> list[tuple[str, object]]:
    """(text, window extent) of every text the renderer actually draws (hidden ticks excluded)."""
    from matplotlib.text import Text

    out = []
    original = Text.draw

    def record(self, renderer):
        original(self, renderer)
        if self.get_visible() and self.get_text().strip() and (self.axes is None or self.axes.get_visible()):
            out.append((self.get_text(), self.get_window_extent(renderer)))

    Text.draw = record
    try:
        fig.canvas.draw()
    finally:
        Text.draw = original
    return out


def layout_problems(fig, tol: float = 0.5) -> list[str]:
    """Texts outside the canvas and pairs of overlapping texts, described."""
    texts = drawn_texts(fig)
    w, h = fig.canvas.get_width_height()
    bad = [f"outside the canvas: {t!r} at x {b.x0:.0f}–{b.x1:.0f}, y {b.y0:.0f}–{b.y1:.0f} (canvas {w}×{h})"
           for t, b in texts if b.x0 < -tol or b.y0 < -tol or b.x1 > w + tol or b.y1 > h + tol]
    for (t1, b1), (t2, b2) in itertools.combinations(texts, 2):
        if min(b1.x1, b2.x1) - max(b1.x0, b2.x0) > tol and min(b1.y1, b2.y1) - max(b1.y0, b2.y0) > tol:
            bad.append(f"overlap: {t1!r} and {t2!r}")
    return bad


@pytest.fixture(scope="module")
def report_figures():
    import matplotlib.pyplot as plt

    from benchmark.report import heatmap_panels

    table = synthetic_table(**KW)
    metas = [m for _, m, _ in synthetic_runs(**KW)]
    stats = compute(table, metas, n_boot=100)
    with F.style():
        figs = F.draw_all(stats, metas)
        figs["leaderboard"] = F.draw_leaderboard_heatmap(heatmap_panels(table))
        rng = np.random.default_rng(0)
        panels = [(name, rng.random((64, 64, 3))) for name in ["clean", "input", *sorted(OFFSETS)]]
        title = "denoise: synthetic/img0000, 64×64 crop"  # the grid adds the inset's zoom
        figs["visual_grid"] = F.draw_visual_grid(panels, title, 64, 16)
        yield stats, figs
        for f in figs.values():
            plt.close(f)


def test_every_report_figure_is_drawn(report_figures):
    _, figs = report_figures
    assert {"rank_heatmap", "cd_diagram", "pd_plane", "training_curves", "metrics_denoise", "metrics_sr4",
            "metrics_deblur", "leaderboard", "visual_grid"} <= set(figs)


@pytest.mark.parametrize("name", ["rank_heatmap", "cd_diagram", "pd_plane", "training_curves", "metrics_denoise",
                                  "metrics_sr4", "metrics_deblur", "leaderboard", "visual_grid"])
def test_no_text_clipped_or_overlapping(report_figures, name):
    _, figs = report_figures
    fig = figs[name]
    texts = drawn_texts(fig)
    assert len(texts) >= 5, f"{name}: only {len(texts)} texts drawn"
    assert layout_problems(fig) == []


def test_layout_check_catches_problems():
    """The checker itself: a label off the canvas and two labels on top of each other are found."""
    with F.style() as plt:
        fig, ax = plt.subplots(figsize=(2, 2))
        ax.text(0.5, 0.5, "here", transform=ax.transAxes)
        ax.text(0.5, 0.5, "again", transform=ax.transAxes)
        fig.text(0.95, 0.5, "a label far too long for this figure")
        problems = layout_problems(fig)
        plt.close(fig)
    assert any("outside the canvas" in p for p in problems)
    assert any("overlap: 'here' and 'again'" in p for p in problems)


def test_long_labels_are_wrapped_not_cut():
    label = "lpips_squeeze [squeezenet1_1:random(seed=0)+lpips:squeeze:v0.1]"
    wrapped = F.wrap_label(label, 26)
    assert all(len(line) <= 26 for line in wrapped.split("\n"))
    assert wrapped.replace("\n", "").replace(" ", "") == label.replace(" ", "")  # nothing cut, only broken
    assert F.wrap_label("l1") == "l1"


def test_one_colour_per_loss_across_figures(report_figures):
    stats, figs = report_figures
    styles = F.stats_styles(stats)
    labels = sorted(set(stats.cells["label"]) - {"input"})
    assert len(labels) == len(OFFSETS)
    keys = {(styles[l].color, styles[l].marker, styles[l].linestyle) for l in labels}
    assert len(keys) == len(labels)  # every label drawn distinctly
    # pixel losses keep their palette slots whatever else is (or is not) in the report
    small = F.loss_styles(["aaa", "l2", "ms_ssim_l1"])
    assert styles["l2"].color == small["l2"].color and styles["ms_ssim_l1"] == small["ms_ssim_l1"]
    assert small["aaa"] not in (styles["l1"], styles["l2"], styles["charbonnier"])
    assert all(tuple(styles[l].color) in F.PALETTE for l in labels)  # the module's palette only
    # 15 labels, 10 colours: every colour used before any is reused; (colour, marker) still unique
    assert len({styles[l].color for l in labels}) == len(F.PALETTE)
    assert len({(styles[l].color, styles[l].marker) for l in labels}) == len(labels)
    # the P-D plane's legend and the training curves' legend give each label the same colour
    from matplotlib.colors import to_rgb

    def legend_colours(fig):
        leg = fig.legends[0]
        return {t.get_text().replace("\n", ""): to_rgb(h.get_color())
                for t, h in zip(leg.get_texts(), leg.legend_handles)}

    pd_cols, tc_cols = legend_colours(figs["pd_plane"]), legend_colours(figs["training_curves"])
    shared = set(pd_cols) & set(tc_cols)
    assert len(shared) >= 10
    assert all(np.allclose(pd_cols[k], tc_cols[k]) for k in shared)


def test_pd_plane_names_a_perceptual_axis(report_figures):
    _, figs = report_figures
    ax = figs["pd_plane"].axes[0]
    assert ax.get_ylabel().startswith("vsi") and "perception" in ax.get_ylabel()
    assert ax.get_xlabel().startswith("psnr")
    assert "perception = vsi" in figs["pd_plane"]._suptitle.get_text().replace("\n", " ")


def test_vector_output(tmp_path):
    store = write_store(tmp_path, offsets={"l1": 0.0, "good": 1.0, "l2": 0.3}, metrics=("psnr", "vsi"), n_images=6)
    stats = compute(store.table(), store.metas(), n_boot=100)
    paths = F.pd_plane(stats, tmp_path / "pd", formats=("png", "pdf", "svg"))
    assert [p.suffix for p in paths] == [".png", ".pdf", ".svg"]
    assert paths[1].read_bytes()[:5] == b"%PDF-"
    svg = paths[2].read_text()
    assert "<svg" in svg and "vsi ↑ (perception)" in svg  # text kept as text, not outlines


def test_loss_colours_do_not_depend_on_which_losses_are_present():
    """Comparing one new loss must not recolour the field (issue 25: lpips went pink → yellow): a
    user's loss chooses after every built-in, and the pixel losses own their colours outright."""
    from benchmark.figures import loss_styles

    field = ["l1", "l2", "charbonnier", "ssim", "ms_ssim", "ms_ssim_l1", "lpips [alexnet:random+lpips:alex:v0.1]",
             "lpips_squeeze [squeezenet:random+lpips:squeeze:v0.1]", "vgg [vgg16:random]"]
    losses = {l: l.split(" [")[0] for l in field}
    base = loss_styles(field, losses)
    for extra in (["gdl_l1"], ["a_new_loss", "zzz", "my_loss(alpha=2)"], [f"loss{i}" for i in range(20)]):
        grown = loss_styles(field + extra, losses)
        assert all(grown[k] == base[k] for k in base), extra
        styles = [(s.color, s.marker) for s in grown.values()]
        assert len(set(styles)) == len(styles)  # still one style per label
    # another built-in may take a colour from the built-ins after it, never from a pixel loss
    grown = loss_styles(field + ["ffl", "pdl [vgg19:random]"], {**losses, "pdl [vgg19:random]": "pdl"})
    assert all(grown[k] == base[k] for k in field[:6])
    assert len({s.color for k, s in grown.items() if k != "input"}) == 10  # 11 losses: all 10 colours in use
    assert loss_styles(["l1", "a_new_loss"])["a_new_loss"] == loss_styles(["l1", "l2", "a_new_loss"])["a_new_loss"]
    assert base["l1"].marker == "o" and base["l1"] == loss_styles(["l1"])["l1"]  # l1: the blue circle, always


@pytest.mark.parametrize("width_in", [3.0, 3.5, 4.2, 5.0, 7.2])
def test_a_wrapped_title_never_leaves_a_bound_apart_from_its_number(width_in):
    """A rank heatmap's title ended a line with "… where a verdict needs" and drew "≥ 5" alone on the next:
    a comparison sign stays on the line of what it compares with."""
    from benchmark.figures import wrap_title

    text = ("Smoke test, not a ranking: 12 of 12 runs not shown converged; 2 run(s) per loss where a verdict "
            "needs ≥ 5 and a bound < 0.5 or = 3")
    lines = wrap_title(text, width_in, fontsize=10).split("\n")
    for sign in ("≥", "<", "="):
        line = next(l for l in lines if sign in l)
        assert not line.rstrip().endswith(sign) and not line.lstrip().startswith(sign), lines
    assert " ".join(lines) == text, "wrapping changes no character"
