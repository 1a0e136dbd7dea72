"""Every figure of a report, drawn on a synthetic table with many losses and long loss names:
no text falls outside the canvas and no two texts overlap (matplotlib's own renderer measures
them); one colour per loss label across figures, from the module's palette; vector output."""

from __future__ import annotations

import itertools
import re

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
    return [(t, b) for t, b, _ in _drawn(fig)["texts"]]


#: the PNG's resolution in :func:`benchmark.figures.save`: the checks measure the layout the file has
SAVE_DPI = 200


def _drawn(fig, dpi: float | None = None) -> dict:
    """What the renderer draws while ``fig`` is saved as :func:`benchmark.figures.save` saves its PNG (at
    ``dpi``; default :data:`SAVE_DPI`; constrained layout re-runs there, so the extents are the file's):
    ``texts``: (text, window extent, the box it is clipped to or None) of every visible, non-empty text —
    titles, suptitles, axis labels, tick labels, annotations, legend entries and titles, colourbar labels;
    ``legends``: (legend, extent, extents of its own texts); ``panels``: extents of the visible axes that draw
    their frame (colourbars included); ``points``: (n, 2) positions of the data points drawn (:func:`_points`);
    ``canvas``: (width, height) in pixels."""
    import io

    from matplotlib.legend import Legend
    from matplotlib.text import Text
    from matplotlib.transforms import Affine2D, Bbox

    # savefig draws twice (once to lay the figure out, with drawing disabled, then for real): the last draw counts
    texts, legends = {}, {}
    text_draw, legend_draw = Text.draw, Legend.draw

    def record(self, renderer):
        text_draw(self, renderer)
        if self.get_visible() and self.get_text().strip() and (self.axes is None or self.axes.get_visible()):
            clip = self.get_clip_box() if self.get_clip_on() else None
            texts[id(self)] = (self.get_text(), self.get_window_extent(renderer), clip and clip.frozen())

    def record_legend(self, renderer):
        legend_draw(self, renderer)
        if self.get_visible():
            own = [t.get_window_extent(renderer) for t in [*self.get_texts(), self.get_title()] if t.get_text()]
            legends[id(self)] = (self, self.get_window_extent(renderer), own)

    Text.draw, Legend.draw = record, record_legend
    try:
        fig.savefig(io.BytesIO(), format="png", dpi=dpi or SAVE_DPI)
        canvas = fig.canvas.get_width_height()
    finally:
        Text.draw, Legend.draw = text_draw, legend_draw
    # each axis's tick labels as a band: the column of y tick labels beside the panel, the row of x tick labels
    # under it; a text of another kind in a band is over the tick labels even where it falls between two of them.
    # Each side is a band of its own (label1 left/bottom, label2 right/top): one band over both would span the panel
    scale = (dpi or SAVE_DPI) / fig.dpi  # the extents above are at the saved resolution
    bands = []
    for ax in fig.axes:
        if not (ax.get_visible() and ax.axison):
            continue
        panel = ax.get_window_extent().transformed(Affine2D().scale(scale))
        for (axis, vertical), side in itertools.product(((ax.yaxis, True), (ax.xaxis, False)), ("label1", "label2")):
            own = [texts[id(t)] for tk in axis.get_major_ticks() + axis.get_minor_ticks()
                   for t in [getattr(tk, side)] if id(t) in texts]
            if not own:
                continue
            x0, y0 = min(b.x0 for _, b, _ in own), min(b.y0 for _, b, _ in own)
            x1, y1 = max(b.x1 for _, b, _ in own), max(b.y1 for _, b, _ in own)
            band = (Bbox([[x0, min(y0, panel.y0)], [x1, max(y1, panel.y1)]]) if vertical
                    else Bbox([[min(x0, panel.x0), y0], [max(x1, panel.x1), y1]]))
            bands.append((band, {(b.x0, b.y0, b.x1, b.y1) for _, b, _ in own}))
    out = {"texts": list(texts.values()), "legends": list(legends.values()), "bands": bands}
    # the extents above are at the saved resolution: the canvas is measured at it too
    out["canvas"] = (canvas[0] * scale, canvas[1] * scale)
    out["panels"] = [a.get_window_extent().transformed(Affine2D().scale(scale))
                     for a in fig.axes if a.get_visible() and a.axison]
    out["points"] = np.concatenate([_points(a) * scale for a in fig.axes if a.get_visible()] or [np.empty((0, 2))])
    return out


def _points(ax) -> np.ndarray:
    """(n, 2) pixel positions, at the figure's dpi, of the data points ``ax`` draws inside its panel: every
    vertex of its lines (markers included), every offset of its scatters."""
    from matplotlib.collections import PathCollection

    xy = [line.get_transform().transform(line.get_xydata()) for line in ax.lines
          if line.get_visible() and len(line.get_xydata())]
    xy += [c.get_offset_transform().transform(np.asarray(c.get_offsets(), float)) for c in ax.collections
           if c.get_visible() and isinstance(c, PathCollection) and len(c.get_offsets())]
    if not xy:
        return np.empty((0, 2))
    xy = np.concatenate(xy)
    panel = ax.get_window_extent()
    inside = (np.isfinite(xy).all(axis=1) & (xy[:, 0] >= panel.x0) & (xy[:, 0] <= panel.x1)
              & (xy[:, 1] >= panel.y0) & (xy[:, 1] <= panel.y1))
    return xy[inside]


def _overlaps(a, b, tol: float) -> bool:
    return min(a.x1, b.x1) - max(a.x0, b.x0) > tol and min(a.y1, b.y1) - max(a.y0, b.y0) > tol


def layout_problems(fig, tol: float = 1.0) -> list[str]:
    """Every layout fault of ``fig`` as saved (:func:`_drawn`), described: a text outside the canvas; a text
    cut by the box it is clipped to (a heatmap cell's number by its panel); two texts overlapping, whatever
    their kind (a label over a tick label, a legend entry over a colourbar label, a suptitle over a panel
    title); a legend over a text not its own, over another legend, or over a data point of a panel."""
    d = _drawn(fig)
    texts = d["texts"]
    w, h = d["canvas"]
    bad = [f"outside the canvas: {t!r} at x {b.x0:.0f}–{b.x1:.0f}, y {b.y0:.0f}–{b.y1:.0f} (canvas {w:.0f}×{h:.0f})"
           for t, b, _ in texts if b.x0 < -tol or b.y0 < -tol or b.x1 > w + tol or b.y1 > h + tol]
    bad += [f"cut by its clip box: {t!r} at x {b.x0:.0f}–{b.x1:.0f}, y {b.y0:.0f}–{b.y1:.0f} "
            f"(box x {c.x0:.0f}–{c.x1:.0f}, y {c.y0:.0f}–{c.y1:.0f})"
            for t, b, c in texts if c is not None and (b.x0 < c.x0 - tol or b.y0 < c.y0 - tol or b.x1 > c.x1 + tol
                                                       or b.y1 > c.y1 + tol)]
    if texts:
        box = np.array([[b.x0, b.y0, b.x1, b.y1] for _, b, _ in texts])
        dx = np.minimum(box[:, None, 2], box[None, :, 2]) - np.maximum(box[:, None, 0], box[None, :, 0])
        dy = np.minimum(box[:, None, 3], box[None, :, 3]) - np.maximum(box[:, None, 1], box[None, :, 1])
        for i, j in zip(*np.nonzero(np.triu((dx > tol) & (dy > tol), 1))):
            bad.append(f"overlap: {texts[i][0]!r} and {texts[j][0]!r}")
    tick_boxes = set().union(*(own for _, own in d["bands"]))
    for band, _ in d["bands"]:
        for t, b, _ in texts:
            key = (b.x0, b.y0, b.x1, b.y1)
            if key not in tick_boxes and _overlaps(band, b, tol):
                bad.append(f"over the tick labels: {t!r} at x {b.x0:.0f}–{b.x1:.0f}, y {b.y0:.0f}–{b.y1:.0f} "
                           f"(tick labels x {band.x0:.0f}–{band.x1:.0f}, y {band.y0:.0f}–{band.y1:.0f})")
    legends = d["legends"]
    for k, (leg, lb, own) in enumerate(legends):
        mine = {(o.x0, o.y0, o.x1, o.y1) for o in own}
        for t, b, _ in texts:
            if (b.x0, b.y0, b.x1, b.y1) not in mine and _overlaps(lb, b, tol):
                bad.append(f"legend over a text: {t!r}")
        bad += [f"legend over another legend at x {ob.x0:.0f}" for _, ob, _ in legends[k + 1:]
                if _overlaps(lb, ob, tol)]
        pts = d["points"]
        under = pts[(pts[:, 0] > lb.x0 + tol) & (pts[:, 0] < lb.x1 - tol) & (pts[:, 1] > lb.y0 + tol)
                    & (pts[:, 1] < lb.y1 - tol)]
        if len(under):
            bad.append(f"legend over a data point: {len(under)} under the legend at x {lb.x0:.0f}–{lb.x1:.0f}, "
                       f"y {lb.y0:.0f}–{lb.y1:.0f}")
        if leg.axes is None:  # a figure legend: beside the panels, never over one
            bad += [f"legend over a panel at x {p.x0:.0f}–{p.x1:.0f}" for p in d["panels"] if _overlaps(lb, p, tol)]
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


def test_layout_check_covers_every_kind_of_text():
    """The checker sees the figure as saved and every kind of text: a panel's note between two y tick labels
    (the P–D plane's off-scale value ran over '0.952' and only an eye caught it), a number cut by its panel, a
    legend over a panel or over a text, a suptitle on a panel's title, a note on a colourbar's tick label."""
    from matplotlib.cm import ScalarMappable

    with F.style() as plt:
        fig, axes = plt.subplots(1, 2, figsize=(4, 2.5))
        ax = axes[0]
        ax.set_ylim(0, 1)
        ax.set_yticks([0.0, 0.5, 1.0], labels=["0.000", "0.500", "1.000"])
        ax.annotate("off-scale: 0.95", (0.0, 0.25), xytext=(-25, 0), textcoords="offset points", ha="left",
                    xycoords=("axes fraction", "data"), annotation_clip=False)
        ax.text(0.5, 0.75, "a number cut by the panel", transform=ax.transAxes, clip_on=True)
        fig.legend([ax.plot([0, 1], [0, 1])[0]], ["a legend entry"], loc="center")
        axes[1].set_title("panel title")
        cb = fig.colorbar(ScalarMappable(), ax=axes[1], orientation="horizontal", label="colourbar label")
        fig.canvas.draw()
        title = axes[1].title.get_window_extent()
        fig.suptitle("suptitle", x=(title.x0 + title.x1) / 2 / fig.bbox.width, y=title.y0 / fig.bbox.height,
                     va="bottom")
        cb.ax.text(0.5, -0.5, "a note", transform=cb.ax.transAxes, ha="center", va="top")  # on its tick label
        problems = layout_problems(fig)
        plt.close(fig)
    assert any(p.startswith("over the tick labels: 'off-scale: 0.95'") for p in problems), problems
    assert any(p.startswith("cut by its clip box: 'a number cut by the panel'") for p in problems), problems
    assert any(p.startswith("legend over a panel") for p in problems), problems
    assert any(p.startswith("legend over a text") for p in problems), problems
    pairs = [set(re.findall(r"'([^']*)'", p)) for p in problems if p.startswith("overlap")]
    assert {"suptitle", "panel title"} in pairs and {"0.50", "a note"} in pairs, problems


def test_layout_check_reads_each_side_of_an_axis_as_its_own_band():
    """Tick labels on both sides of a panel (``labelright``) were one band from the left labels to the right ones,
    over the whole panel: any note inside it read as "over the tick labels". Each side is a band of its own — and a
    note over the right-hand column is still found."""
    with F.style() as plt:
        fig, ax = plt.subplots(figsize=(3, 2.5), layout="constrained")
        ax.plot([0, 1], [0, 1])
        ax.tick_params(labelright=True)
        ax.text(0.5, 0.5, "a note mid-panel", transform=ax.transAxes, ha="center")
        fine = layout_problems(fig)
        ax.annotate("on the right", (1.0, 0.3), xycoords="axes fraction", xytext=(4, 0), textcoords="offset points",
                    annotation_clip=False)
        problems = layout_problems(fig)
        plt.close(fig)
    assert fine == []
    assert any(p.startswith("over the tick labels: 'on the right'") for p in problems), problems


def test_layout_check_flags_a_panels_legend_over_its_data():
    """The checker says it finds a legend over a data point, but it looked only at figure legends against whole
    panels: a legend inside a panel, on the points it should label, passed. A point under a legend is found; the
    same legend clear of the points is not."""
    with F.style() as plt:
        fig, ax = plt.subplots(figsize=(3, 2.5), layout="constrained")
        ax.scatter([0.05, 0.1, 0.08], [0.95, 0.9, 0.97], s=12)
        ax.plot([0, 1], [0, 0.5], marker="o", label="a line")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.legend(loc="upper left")
        over = layout_problems(fig)
        ax.get_legend().set_loc("lower right")
        clear = layout_problems(fig)
        plt.close(fig)
    assert any(p.startswith("legend over a data point") for p in over), over
    assert clear == []


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
    # text kept as text, not outlines; the y label's arrow drawn upright apart from it (test_probe_report26)
    assert "<svg" in svg and "vsi (perception)" in svg and "↑" in svg


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

    text = ("Smoke test, not a ranking: 12 of 12 runs not shown converged; 2 runs per loss where a verdict "
            "needs ≥ 5 and a bound < 0.5 or = 3")
    lines = wrap_title(text, width_in, fontsize=10).split("\n")
    for sign in ("≥", "<", "="):
        line = next(l for l in lines if sign in l)
        assert not line.rstrip().endswith(sign) and not line.lstrip().startswith(sign), lines
    assert " ".join(lines) == text, "wrapping changes no character"
