"""Publication figures derived from :class:`benchmark.stats.Stats` (and run metadata / saved nets).

Every public function writes one figure in each requested format (PNG at 200 dpi; PDF/SVG are
vector, with text kept as text in embedded TrueType fonts) and returns the written paths (PNG
first), or ``[]`` with a logged reason when it has nothing to draw. Each has a ``draw_*`` twin
that returns the :class:`matplotlib.figure.Figure` unsaved (what the layout test inspects).

Conventions shared by every figure:

* **seaborn** draws the statistical plots (heatmaps, the perception–distortion scatter, training
  curves with their min–max band over seeds) in its ``paper``/``ticks`` style at 7–8 pt;
* **one colour per loss label across every figure** of a report (:func:`loss_styles`): seaborn's
  colour-blind-safe ``colorblind`` palette without its grey (9 colours), extended deterministically
  beyond nine labels by marker shape and line style; pixel losses first in a fixed order, so ℓ1 is
  always the same blue; the degraded input is grey;
* **nothing clipped or overlapping**: long loss names are wrapped (:func:`wrap_label`), titles are
  wrapped to the figure width, crowded rank axes thin their tick numbers, and :func:`fit_canvas`
  grows a figure until every text is on the canvas; ``tests/test_figure_layout.py`` checks every
  text of every figure of a report against the canvas and against every other text.

Figures:

* :func:`rank_heatmap` — loss × task, colour and text = mean rank over the task's metrics
  (1 = best), plus an ``all`` column; rows ordered by overall mean rank.
* :func:`pd_plane` — per task, a distortion metric (PSNR) against the perceptual metric chosen by
  :func:`benchmark.stats.pd_metrics` (LPIPS/DISTS when present, else the best offline one), named
  on the axes and in the title; one point per loss with 95% CI bars in both directions; the
  Pareto front (no other loss better on both) is the dashed line.
* :func:`metric_points` — per task, one panel per metric: cell means with 95% CIs; filled =
  top group (not significantly different from the best), hollow = not; diamond = circular cell.
* :func:`cd_diagram` — critical-difference summary: mean ranks on an axis, with bars joining
  losses whose mean ranks differ by less than the Nemenyi CD.
* :func:`training_curves` — per task, each loss's training-loss curve from ``meta.json``
  normalised to its first logged value (mean over seeds, band = min–max over seeds).
* :func:`visual_grid` — the same test crop restored by every loss (seed of the first run found),
  with the clean and degraded crops and a zoomed inset; needs ``net.pt`` and the test data.
* :func:`leaderboard_heatmap` — the quick-look ``leaderboard.png``: per task, loss × metric,
  colour = rank within the metric, text = the mean.
"""

from __future__ import annotations

import logging
import math
import re
import textwrap
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.stats import INPUT, Stats, loss_label, metric_order, pareto_front, pd_metrics

log = logging.getLogger(__name__)
COL1, COL2 = 3.5, 7.2  # inches: one column, full page width
RC = {"font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "xtick.labelsize": 7, "ytick.labelsize": 7,
      "legend.fontsize": 7, "legend.title_fontsize": 7, "figure.titlesize": 8, "pdf.fonttype": 42,
      "ps.fonttype": 42, "svg.fonttype": "none", "axes.spines.top": False, "axes.spines.right": False,
      "savefig.pad_inches": 0.03, "lines.linewidth": 1.0, "lines.markersize": 4.0, "axes.linewidth": 0.6,
      "xtick.major.width": 0.6, "ytick.major.width": 0.6, "xtick.major.size": 3.0, "ytick.major.size": 3.0,
      "legend.frameon": False}
#: loss names that always get the first colours, in this order (so ℓ1 is the same blue in every report)
CANONICAL = ("l1", "l2", "charbonnier", "ssim", "ms_ssim", "ms_ssim_l1")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
LINESTYLES = ("-", "--", ":", "-.")
_DASHES = {"-": "", "--": (4, 1.5), ":": (1, 1.2), "-.": (3, 1.2, 1, 1.2)}
INPUT_COLOUR = (0.58, 0.58, 0.58)


@contextmanager
def style():
    """Seaborn's paper/ticks style and this module's sizes, for drawing and saving; yields a small
    stand-in for pyplot (:class:`_Figures`). Figures are plain ``matplotlib.figure.Figure`` objects
    drawn by the Agg/PDF/SVG canvases on ``savefig``: no backend is selected, no pyplot state or
    global rcParams are touched, so the library changes nothing in the caller's matplotlib."""
    import matplotlib
    import seaborn as sns

    rc = {**sns.axes_style("ticks"), **RC}
    with matplotlib.rc_context(rc):
        yield _Figures()


class _Figures:
    """The few pyplot calls the figures use, on ``Figure`` objects owned by the caller."""

    @staticmethod
    def subplots(*args, figsize=None, layout=None, **kwargs):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize, layout=layout)
        FigureCanvasAgg(fig)  # measures text for the layout checks; savefig picks PDF/SVG canvases itself
        return fig, fig.subplots(*args, **kwargs)

    @staticmethod
    def close(fig) -> None:  # a Figure outside pyplot needs no closing; kept for symmetry
        fig.clear()

    @property
    def Rectangle(self):  # noqa: N802 - pyplot's name
        from matplotlib.patches import Rectangle

        return Rectangle


@dataclass(frozen=True)
class LossStyle:
    """How one loss label is drawn in every figure."""

    color: tuple
    marker: str
    linestyle: str

    @property
    def dashes(self):
        return _DASHES[self.linestyle]


def _home_slot(label: str, loss: str, first: int, n_slots: int) -> tuple[int, int]:
    """A label's own style slot and the first slot of its region, the same in every report: a
    built-in loss (by registry name) has a slot of its own right after ``first`` (its place among
    the non-canonical built-ins); any other label (a user's loss, a weighted sum) hashes into the
    slots after those."""
    import hashlib

    from benchmark.registry import LOSSES

    builtin = [n for n in LOSSES.names() if n not in CANONICAL and "file" not in LOSSES.get(n).meta]
    if loss in builtin:
        return first + builtin.index(loss), first
    start = first + len(builtin)
    h = int(hashlib.sha256(label.encode()).hexdigest()[:8], 16)
    return start + h % max(1, n_slots - start), start


def loss_styles(labels, losses: dict[str, str] | None = None) -> dict[str, LossStyle]:
    """{label: LossStyle}: a colour-blind-safe colour, a marker and a line style per label.

    seaborn's ``colorblind`` palette without its grey gives 9 colours; slot i is colour ``i mod 9``
    with marker and line style ``i div 9``, so up to 63 labels stay distinct. The pixel losses of
    :data:`CANONICAL` own slots 0–5 in every report (ℓ1 is always the blue circle), found by their
    loss name (from ``losses`` {label: loss}, or the label itself). Every other built-in loss has a
    slot of its own, and any other label hashes into the slots after those (:func:`_home_slot`), so
    a label's style does not depend on which other losses a report holds: comparing a new loss never
    recolours the field (two labels that meet — a loss under two weights kinds, two hashes — are
    separated by probing, the alphabetically first keeping the slot); ``input`` is grey."""
    import seaborn as sns

    pal = [c for c in sns.color_palette("colorblind", 10) if not np.allclose(c, c[0])]  # drop the grey
    losses = losses or {}

    def style_of(slot: int) -> LossStyle:
        k = slot // len(pal)
        return LossStyle(tuple(pal[slot % len(pal)]), MARKERS[k % len(MARKERS)], LINESTYLES[k % len(LINESTYLES)])

    out = {INPUT: LossStyle(INPUT_COLOUR, "o", "-")}
    rest = []
    taken = set()
    for label in sorted(set(labels) - {INPUT}):
        loss = losses.get(label, label)
        if loss in CANONICAL and CANONICAL.index(loss) not in taken:
            out[label] = style_of(CANONICAL.index(loss))
            taken.add(CANONICAL.index(loss))
        else:
            rest.append(label)
    n_slots = len(pal) * len(MARKERS)
    used = set(taken) | set(range(len(CANONICAL)))  # the canonical slots stay theirs, present or not
    homes = {label: _home_slot(label, losses.get(label, label).split(" [")[0].split("(")[0].strip(), len(CANONICAL),
                               n_slots)
             for label in rest}
    # built-ins first (their own slots), then the rest alphabetically; a taken slot probes onwards
    for label in sorted(rest, key=lambda lb: (homes[lb][1] != len(CANONICAL), lb)):
        slot, start = homes[label]
        for _ in range(n_slots):
            if slot not in used:
                break
            slot = start + (slot - start + 1) % max(1, n_slots - start) if slot + 1 < n_slots else start
        used.add(slot)
        out[label] = style_of(slot)
    canon = sorted((l for l in out if l != INPUT and losses.get(l, l) in CANONICAL and l not in rest),
                   key=lambda l: CANONICAL.index(losses.get(l, l)))
    return {INPUT: out[INPUT], **{l: out[l] for l in canon}, **{l: out[l] for l in rest}}


def stats_styles(stats: Stats, metas: list[dict] | None = None) -> dict[str, LossStyle]:
    """:func:`loss_styles` for every label of a report (cells and training runs)."""
    losses = dict(zip(stats.cells["label"], stats.cells["loss"])) if not stats.cells.empty else {}
    for m in metas or []:
        cfg = m.get("config") or {}
        if "loss" in cfg and m.get("kind") != "input":
            losses.setdefault(loss_label(cfg["loss"], m.get("weights", "none")), cfg["loss"])
    return loss_styles(losses, losses)


def wrap_label(label: str, width: int = 26, max_lines: int = 4) -> str:
    """Break a long label into lines of at most ``width`` characters, at spaces or after
    ``+ , ( :`` (``lpips [alexnet:random(seed=0)+lpips:alex:v0.1]`` → 2 lines); a part longer
    than a line is cut there; beyond ``max_lines`` the last line ends with ``…``."""
    if len(label) <= width:
        return label
    tokens = re.findall(r"[^ +,(:]*[ +,(:]?", label)
    lines, cur = [], ""
    for tok in (t for t in tokens if t):
        while len(tok) > width:
            if cur:
                lines.append(cur.rstrip())
                cur = ""
            lines.append(tok[:width])
            tok = tok[width:]
        if len(cur) + len(tok.rstrip()) > width and cur:
            lines.append(cur.rstrip())
            cur = ""
        cur += tok
    if cur.strip():
        lines.append(cur.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width - 1] + "…"
    return "\n".join(lines)


def wrap_title(text: str, width_in: float, fontsize: float = 8) -> str:
    """Wrap a title to a figure ``width_in`` inches wide (about 0.55 em per character)."""
    chars = max(20, int(width_in * 72 / (0.55 * fontsize)))
    return "\n".join(textwrap.wrap(text, chars))


def fit_canvas(fig, pad: float = 0.04, max_iter: int = 6, min_axes: tuple[float, float] | None = None) -> None:
    """Grow ``fig`` until every artist is on the canvas (constrained layout re-runs each time),
    and, with ``min_axes=(w, h)`` inches, until every visible plot panel is at least that large
    (a tall legend or title otherwise squeezes the panels until their labels collide).

    A label longer than the figure would otherwise be cut at the edge; here the figure becomes
    as large as its content needs, so the saved file (no ``bbox_inches``) shows all of it."""
    import warnings

    for _ in range(max_iter):
        with warnings.catch_warnings():  # a too-small first guess collapses the layout: growing it is the fix
            warnings.filterwarnings("ignore", message="constrained_layout not applied")
            fig.draw_without_rendering()  # layout and text extents, no rasterising
        renderer = fig.canvas.get_renderer()
        bb = fig.get_tightbbox(renderer)
        w, h = fig.get_size_inches()
        over = [max(0.0, -bb.x0), max(0.0, bb.x1 - w), max(0.0, -bb.y0), max(0.0, bb.y1 - h)]
        grow_w = grow_h = 0.0
        if min_axes:
            panels = [a for a in fig.axes if a.get_visible() and not hasattr(a, "_colorbar")]
            ncols = max((a.get_subplotspec().get_gridspec().ncols for a in panels if a.get_subplotspec()), default=1)
            nrows = max((a.get_subplotspec().get_gridspec().nrows for a in panels if a.get_subplotspec()), default=1)
            for a in panels:
                ext = a.get_position()
                grow_w = max(grow_w, (min_axes[0] - ext.width * w) * ncols)
                grow_h = max(grow_h, (min_axes[1] - ext.height * h) * nrows)
        if max(over) <= 0.005 and grow_w <= 0.005 and grow_h <= 0.005:
            return
        fig.set_size_inches(w + over[0] + over[1] + max(0.0, grow_w) + pad,
                            h + over[2] + over[3] + max(0.0, grow_h) + pad)


def save(fig, base: Path, formats=("png", "pdf")) -> list[Path]:
    """Write ``base.<fmt>`` for each format (PNG first), close the figure, return the paths.

    The canvas is saved as laid out (no ``bbox_inches="tight"``): :func:`fit_canvas` has already
    made room for every text, and the PDF/SVG page is the figure itself."""
    from benchmark.results import atomic_output

    base.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for fmt in sorted(dict.fromkeys(formats), key=lambda f: f != "png"):
        p = base.with_suffix(f".{fmt}")
        with atomic_output(p) as tmp:
            fig.savefig(tmp, format=fmt, dpi=200 if fmt == "png" else None)
        out.append(p)
    fig.clear()  # drawn and saved: free its artists
    return out


def _arrow(higher: bool) -> str:
    return "↑" if higher else "↓"


def _grid(n: int, ncols: int = 3):
    ncols = max(1, min(ncols, n))
    return math.ceil(n / ncols), ncols


def _lines(label: str) -> int:
    return label.count("\n") + 1


def _legend(fig, labels: list[str], styles: dict[str, LossStyle], line: bool = False, marker: bool = True,
            title: str | None = None) -> None:
    """One shared legend below the panels, as many columns as the figure's width holds."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=styles[l].color, marker=styles[l].marker if marker else None,
                      linestyle=styles[l].linestyle if line else "none", markersize=4, lw=1.0) for l in labels]
    text = [wrap_label(l, 34) for l in labels]
    longest = max((max(len(s) for s in t.split("\n")) for t in text), default=10)
    width = fig.get_size_inches()[0]
    ncol = max(1, min(len(labels), int((width - 0.2) / (0.25 + 0.055 * longest))))
    fig.legend(handles, text, loc="outside lower center", ncol=ncol, frameon=False, title=title,
               handletextpad=0.4, columnspacing=1.0, borderaxespad=0.2)


# --------------------------------------------------------------------------------------------
def draw_rank_heatmap(stats: Stats, styles=None):
    import seaborn as sns

    if stats.task_ranks is None or stats.task_ranks.empty:
        log.info("rank heatmap skipped: no ranked restorations")
        return None
    plt = _Figures()

    tr = stats.task_ranks.copy()
    tr["all"] = stats.ranks.set_index("label").loc[tr.index, "mean_rank"]
    rows = [wrap_label(str(l), 34) for l in tr.index]
    row_h = 0.06 + 0.125 * max(_lines(r) for r in rows)
    fig, ax = plt.subplots(figsize=(min(COL2, 2.2 + 0.5 * tr.shape[1]), 1.0 + row_h * len(tr)), layout="constrained")
    sns.heatmap(tr, ax=ax, cmap="viridis", annot=True, fmt=".1f", annot_kws={"fontsize": 7}, linewidths=0.5,
                linecolor="white", cbar_kws={"label": "mean rank (1 = best)", "shrink": 0.8, "aspect": 30})
    ax.set_yticks(np.arange(len(tr)) + 0.5, rows, rotation=0, va="center")
    ax.set_xticks(np.arange(tr.shape[1]) + 0.5, [str(c) for c in tr.columns], rotation=90)
    ax.axvline(tr.shape[1] - 1, color="white", lw=2.5)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(length=0)
    ax.set_title(wrap_title("Mean rank over each task's metrics", fig.get_size_inches()[0]))
    fit_canvas(fig)
    return fig


def rank_heatmap(stats: Stats, base: Path, formats=("png", "pdf"), styles=None) -> list[Path]:
    with style():
        fig = draw_rank_heatmap(stats, styles)
        return save(fig, base, formats) if fig is not None else []


def _cells(stats: Stats, task: str) -> pd.DataFrame:
    return stats.cells[stats.cells["task"] == task]


def draw_pd_plane(stats: Stats, highlight: set[str] | None = None, styles=None):
    """Perception–distortion plane (see module docstring); labels in ``highlight`` are drawn as a
    large star (the loss being compared)."""
    plt = _Figures()
    import seaborn as sns
    from matplotlib.ticker import MaxNLocator

    tasks = sorted(stats.cells["task"].unique()) if not stats.cells.empty else []
    dist, perc = pd_metrics(stats.cells["metric"].unique()) if tasks else (None, None)
    if not dist or not perc:
        log.info("perception-distortion plane skipped: needs a distortion and a perceptual metric "
                 "(have %s)", ", ".join(sorted(stats.cells["metric"].unique())) if tasks else "none")
        return None
    styles = styles or stats_styles(stats)
    higher = stats.higher()
    rows, cols = _grid(len(tasks))
    fig, axes = plt.subplots(rows, cols, figsize=(min(COL2, 2.4 * cols), 2.3 * rows + 0.6), squeeze=False,
                             layout="constrained")
    shown: list[str] = []
    for ax, task in zip(axes.flat, tasks):
        c = _cells(stats, task)
        c = c[c["label"] != INPUT]
        x = c[c["metric"] == dist].set_index("label")
        y = c[c["metric"] == perc].set_index("label")
        labels = [l for l in x.index if l in y.index]
        if not labels:
            ax.set_visible(False)
            continue
        x, y = x.loc[labels], y.loc[labels]
        front = pareto_front(x["mean"].to_numpy(), y["mean"].to_numpy(), higher[dist], higher[perc])
        for l in labels:
            ax.errorbar(x.loc[l, "mean"], y.loc[l, "mean"],
                        xerr=[[x.loc[l, "mean"] - x.loc[l, "ci_low"]], [x.loc[l, "ci_high"] - x.loc[l, "mean"]]],
                        yerr=[[y.loc[l, "mean"] - y.loc[l, "ci_low"]], [y.loc[l, "ci_high"] - y.loc[l, "mean"]]],
                        fmt="none", ecolor=styles[l].color, elinewidth=0.6, capsize=1.2, alpha=0.45, zorder=2)
        df = pd.DataFrame({"x": x["mean"].to_numpy(), "y": y["mean"].to_numpy(), "label": labels})
        df["front"] = front
        for on_front, size, edge in ((False, 22, 0.3), (True, 34, 1.0)):  # front points: larger, black rim
            sub = df[df["front"] == on_front]
            if len(sub):
                sns.scatterplot(data=sub, x="x", y="y", hue="label", style="label", ax=ax, legend=False, s=size,
                                palette={l: styles[l].color for l in sub["label"]},
                                markers={l: styles[l].marker for l in sub["label"]}, edgecolor="black",
                                linewidth=edge, zorder=3 + on_front)
        fx, fy = x["mean"].to_numpy()[front], y["mean"].to_numpy()[front]
        order = np.argsort(fx)
        ax.plot(fx[order], fy[order], color="0.1", lw=1.0, ls="--", zorder=4)
        for l in labels:
            if highlight and l in highlight:
                ax.scatter([x.loc[l, "mean"]], [y.loc[l, "mean"]], s=90, marker="*", color=styles[l].color,
                           edgecolor="k", linewidth=0.6, zorder=5)
        shown += [l for l in labels if l not in shown]
        ax.set_xlabel(f"{dist} {_arrow(higher[dist])} (distortion)")
        ax.set_ylabel(f"{perc} {_arrow(higher[perc])} (perception)")
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.yaxis.set_major_locator(MaxNLocator(5))
        if not higher[perc]:
            ax.invert_yaxis()  # better is up
        ax.set_title(task)
    for ax in list(axes.flat)[len(tasks):]:
        ax.set_visible(False)
    w = fig.get_size_inches()[0]
    from benchmark.stats import smoke_test

    smoke = smoke_test(stats, short=True)
    fig.suptitle(wrap_title(f"Perception–distortion plane: perception = {perc}, distortion = {dist} (better: right "
                            "and up; bars: 95% CI; dashed line and black rims: Pareto front)"
                            + (f". {smoke}" if smoke else ""), w))
    _legend(fig, sorted(shown, key=list(styles).index), styles)
    fit_canvas(fig, min_axes=(1.5, 1.5))
    return fig


def pd_plane(stats: Stats, base: Path, formats=("png", "pdf"), highlight: set[str] | None = None,
             styles=None) -> list[Path]:
    with style():
        fig = draw_pd_plane(stats, highlight, styles)
        return save(fig, base, formats) if fig is not None else []


def draw_metric_points(stats: Stats, task: str, styles=None):
    """Per-metric point plots with 95% CIs for one task (see module docstring)."""
    plt = _Figures()
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    c = _cells(stats, task)
    if c.empty:
        return None
    styles = styles or stats_styles(stats)
    metrics = metric_order(c["metric"].unique())
    order = c[c["label"] != INPUT].groupby("label")["rank"].mean().sort_values().index.tolist()
    order = order + [INPUT] * (INPUT in set(c["label"]))
    ticks = [wrap_label(l, 34) for l in order]
    row_h = 0.05 + 0.125 * max(_lines(t) for t in ticks)  # inches per loss row: its wrapped lines plus a gap
    rows, cols = _grid(len(metrics), 4)
    height = 0.8 + (row_h * len(order) + 0.55) * rows
    fig, axes = plt.subplots(rows, cols, figsize=(min(COL2, 1.7 * cols + 1.6), height), squeeze=False, sharey=True,
                             layout="constrained")
    ypos = {l: i for i, l in enumerate(order)}
    for ax, m in zip(axes.flat, metrics):
        g = c[c["metric"] == m]
        y = g["label"].map(ypos).to_numpy(float)
        colours = [styles.get(l, styles[INPUT]).color for l in g["label"]]
        ax.hlines(y, g["ci_low"], g["ci_high"], colors=colours, lw=0.8)  # one call per panel: fast
        top, circ = g["top_group"].to_numpy(bool), g["circular"].to_numpy(bool)
        for sel, marker in ((~circ, "o"), (circ, "D")):
            for filled in (True, False):
                k = sel & (top == filled)
                if k.any():
                    cs = [colours[i] for i in np.flatnonzero(k)]
                    ax.scatter(g["mean"].to_numpy()[k], y[k], s=14, marker=marker, c=cs if filled else "white",
                               edgecolors=cs, linewidths=0.9, zorder=3)
        ax.set_title(f"{m} {_arrow(bool(g['higher_is_better'].iloc[0]))}")
        ax.set_yticks(range(len(order)), ticks)
        ax.xaxis.set_major_locator(MaxNLocator(3))
        ax.grid(axis="x", lw=0.3, alpha=0.5)
        ax.set_ylim(len(order) - 0.5, -0.5)
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    w = fig.get_size_inches()[0]
    fig.suptitle(wrap_title(f"{task}: mean and 95% CI per metric", w))
    proxies = [Line2D([], [], color="0.2", marker="o", ls="none", ms=4),
               Line2D([], [], color="0.2", marker="o", mfc="white", ls="none", ms=4),
               Line2D([], [], color="0.2", marker="D", mfc="white", ls="none", ms=4)]
    fig.legend(proxies, ["filled: not significantly different from the best", "hollow: significantly worse",
                         "diamond: circular (trained on this metric)"], loc="outside lower center",
               ncol=1 if w < 5 else 3, frameon=False)
    fit_canvas(fig, min_axes=(1.0, row_h * len(order)))
    return fig


def metric_points(stats: Stats, task: str, base: Path, formats=("png", "pdf"), styles=None) -> list[Path]:
    with style():
        fig = draw_metric_points(stats, task, styles)
        return save(fig, base, formats) if fig is not None else []


def _cd_groups(vals: np.ndarray, cd: float) -> list[tuple[int, int]]:
    """Maximal runs of consecutive losses whose mean ranks lie within the CD of each other."""
    groups = []
    k = len(vals)
    for i in range(k):
        j = i
        while j + 1 < k and vals[j + 1] - vals[i] < cd:
            j += 1
        if j > i and not any(a <= i and j <= b for a, b in groups):
            groups.append((i, j))
    return groups


def draw_cd_diagram(stats: Stats, styles=None):
    """Critical-difference summary over (task, metric) blocks (see module docstring).

    Vertical positions are in inches (labels one row each, rows as tall as their wrapped lines),
    so labels never overlap however many losses there are; tick numbers are thinned to every
    2nd/5th/… rank when the axis is too short for all of them."""
    plt = _Figures()

    f = stats.friedman
    if "ranks" not in f:
        log.info("critical-difference diagram skipped: %s", f.get("reason", "no Friedman test"))
        return None
    styles = styles or stats_styles(stats)
    ranks = pd.Series(f["ranks"]).sort_values()
    k, cd = len(ranks), f["cd"]
    vals = ranks.to_numpy()
    groups = _cd_groups(vals, cd)
    half = math.ceil(k / 2)
    texts = []
    for label, r in ranks.items():  # the rank stays whole, on the label's last line when it fits
        t = wrap_label(str(label), 30)
        last = t.split("\n")[-1]
        texts.append(t + (f" ({r:.2f})" if len(last) + 7 <= 32 else f"\n({r:.2f})"))
    heights = [0.06 + 0.125 * _lines(t) for t in texts]
    gap = 0.18 + 0.07 * len(groups)
    ypos = [0.0] * k
    left_y = right_y = -gap
    for i in range(half):  # left column: best rank at the top
        ypos[i] = left_y - heights[i] / 2
        left_y -= heights[i]
    for i in range(k - 1, half - 1, -1):  # right column: worst rank at the top (no crossing connectors)
        ypos[i] = right_y - heights[i] / 2
        right_y -= heights[i]
    bottom = min(left_y, right_y) - 0.05
    top = 0.75
    fig, ax = plt.subplots(figsize=(COL2, top - bottom + 0.5), layout="constrained")
    lo, hi = 1, max(k, math.ceil(vals.max()))
    ax.set_xlim(lo - 0.3, hi + 0.3)
    ax.set_ylim(bottom, top)
    ax.hlines(0, lo, hi, color="k", lw=0.8)
    for i, (label, r) in enumerate(ranks.items()):
        left = i < half
        xe = lo - 0.25 if left else hi + 0.25
        ax.plot([r, r, xe], [0, ypos[i], ypos[i]], color=styles.get(label, styles[INPUT]).color, lw=0.8)
        ax.text(xe + (-0.05 if left else 0.05), ypos[i], texts[i], ha="right" if left else "left", va="center",
                fontsize=7, clip_on=False, linespacing=1.0)
    for n, (a, b) in enumerate(groups):
        yb = -0.1 - 0.07 * n
        ax.plot([vals[a] - 0.03, vals[b] + 0.03], [yb, yb], color="k", lw=2.2, solid_capstyle="round", zorder=3)
    ax.plot([lo, lo + cd], [0.55, 0.55], color="k", lw=1)
    ax.vlines([lo, lo + cd], 0.5, 0.6, color="k", lw=1)
    ax.text(lo + cd / 2, 0.6, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize=7)
    ax.axis("off")
    w = fig.get_size_inches()[0]
    ax.set_title(wrap_title(f"Mean rank over {f['n_blocks']} (task, metric) blocks; Friedman p = {f['p']:.2g}; "
                            f"black bars join losses not significantly different (Nemenyi, α = {f['alpha']})",
                            w, 7), fontsize=7)
    fit_canvas(fig)
    # tick numbers last, thinned to what the final axis width holds (≥ 0.28 in apart)
    renderer = fig.canvas.get_renderer()
    per_rank = ax.get_window_extent(renderer).width / fig.dpi / (hi - lo + 0.6)
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100) if s * per_rank >= 0.28)
    for t in range(lo, hi + 1):
        ax.vlines(t, 0, 0.08 if (t - lo) % step else 0.12, color="k", lw=0.6)
        if (t - lo) % step == 0:
            ax.text(t, 0.15, str(t), ha="center", va="bottom", fontsize=7)
    fit_canvas(fig)
    return fig


def cd_diagram(stats: Stats, base: Path, formats=("png", "pdf"), styles=None) -> list[Path]:
    with style():
        fig = draw_cd_diagram(stats, styles)
        return save(fig, base, formats) if fig is not None else []


def draw_training_curves(metas: list[dict], styles=None):
    """Training-loss curves from ``meta.json`` (see module docstring)."""
    plt = _Figures()
    import seaborn as sns

    rows = []
    for m in metas:
        cfg, curve = m.get("config") or {}, m.get("loss_curve") or []
        if m.get("kind") == "input" or not curve or "task" not in cfg:
            continue
        first = float(curve[0][1]) if curve[0][1] not in (0, None) else 1.0
        label = loss_label(cfg["loss"], m.get("weights", "none"))
        for it, v in curve:
            if v is not None and np.isfinite(v):
                rows.append((cfg["task"], label, cfg["loss"], cfg.get("seed", 0), int(it), float(v) / first))
    if not rows:
        log.info("training curves skipped: no loss_curve in any meta.json")
        return None
    df = pd.DataFrame(rows, columns=["task", "label", "loss", "seed", "it", "rel"])
    df = df[df["rel"] > 0]
    if df.empty:
        log.info("training curves skipped: no positive loss values")
        return None
    if styles is None or not set(df["label"]) <= set(styles):
        styles = loss_styles(df["label"].unique(), dict(zip(df["label"], df["loss"])))
    tasks = sorted(df["task"].unique())
    r, c = _grid(len(tasks))
    fig, axes = plt.subplots(r, c, figsize=(min(COL2, 2.4 * c), 1.9 * r + 0.5), squeeze=False, sharey=True,
                             layout="constrained")
    labels = sorted(df["label"].unique(), key=list(styles).index)
    for ax, task in zip(axes.flat, tasks):
        g = df[df["task"] == task]
        present = [l for l in labels if l in set(g["label"])]
        sns.lineplot(data=g, x="it", y="rel", hue="label", style="label", hue_order=present, style_order=present,
                     palette={l: styles[l].color for l in present}, dashes={l: styles[l].dashes for l in present},
                     estimator="mean", errorbar=("pi", 100), err_kws={"alpha": 0.15, "lw": 0}, lw=0.9, ax=ax,
                     legend=False)
        ax.set_yscale("log")
        ax.set_title(task)
        ax.set_xlabel("iteration")
        ax.set_ylabel("loss / first value")
    for ax in list(axes.flat)[len(tasks):]:
        ax.set_visible(False)
    w = fig.get_size_inches()[0]
    fig.suptitle(wrap_title("Training loss relative to its first value (mean over seeds; band: min–max)", w))
    _legend(fig, labels, styles, line=True, marker=False)
    fit_canvas(fig, min_axes=(1.5, 1.2))
    return fig


def training_curves(metas: list[dict], base: Path, formats=("png", "pdf"), styles=None) -> list[Path]:
    with style():
        fig = draw_training_curves(metas, styles)
        return save(fig, base, formats) if fig is not None else []


def draw_leaderboard_heatmap(boards: dict[str, tuple[pd.DataFrame, pd.DataFrame]]):
    """``leaderboard.png``: one panel per task (2 per row), loss × metric; ``boards`` maps task →
    (colour frame = rank within each metric, text frame = the formatted means); rows top to bottom."""
    plt = _Figures()
    import seaborn as sns

    if not boards:
        return None
    n = len(boards)
    n_metrics = max(r.shape[1] for r, _ in boards.values())
    cols = 1 if n_metrics > 8 else min(2, n)
    rows = -(-n // cols)
    max_rows = max(r.shape[0] for r, _ in boards.values())
    ylab = {t: [wrap_label(str(l), 34) for l in r.index] for t, (r, _) in boards.items()}
    row_h = 0.06 + 0.125 * max(_lines(l) for ls in ylab.values() for l in ls)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * (0.5 * n_metrics + 2.4), rows * (row_h * max_rows + 1.3)),
                             squeeze=False, layout="constrained")
    for ax, (task, (ranks, text)) in zip(axes.flat, sorted(boards.items())):
        sns.heatmap(ranks, ax=ax, cmap="viridis", annot=text.to_numpy(), fmt="", annot_kws={"fontsize": 6},
                    cbar=False, linewidths=0.5, linecolor="white")
        ax.set_yticks(np.arange(len(ranks)) + 0.5, ylab[task], rotation=0, va="center")
        ax.set_xticks(np.arange(ranks.shape[1]) + 0.5, [str(c) for c in ranks.columns], rotation=90)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.tick_params(length=0)
        ax.set_title(task)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle("Colour: rank within each metric (dark = best); text: mean over images and seeds")
    fit_canvas(fig)
    return fig


def leaderboard_heatmap(boards, path: Path) -> Path | None:
    """Write :func:`draw_leaderboard_heatmap` as one PNG at ``path`` (150 dpi)."""
    from benchmark.results import atomic_output

    with style():
        fig = draw_leaderboard_heatmap(boards)
        if fig is None:
            return None
        with atomic_output(path) as tmp:
            fig.savefig(tmp, dpi=150, format="png")
        fig.clear()
    return path


def draw_all(stats: Stats, metas: list[dict]) -> dict[str, object]:
    """Every statistical figure of a report as unsaved Figures (the visual grid needs nets)."""
    styles = stats_styles(stats, metas)
    figs = {"rank_heatmap": draw_rank_heatmap(stats, styles), "cd_diagram": draw_cd_diagram(stats, styles),
            "pd_plane": draw_pd_plane(stats, styles=styles), "training_curves": draw_training_curves(metas, styles)}
    for t in sorted(stats.cells["task"].unique()) if not stats.cells.empty else []:
        figs[f"metrics_{t}"] = draw_metric_points(stats, t, styles)
    return {k: v for k, v in figs.items() if v is not None}


# --------------------------------------------------------------------------------------------
def draw_visual_grid(panels: list[tuple[str, object]], title: str, crop: int, zoom: int):
    """Panels of (name, (1, 3, H, W) tensor or (H, W, 3) array) side by side, six per row, each
    with a zoomed inset of its centre; names wrapped to the panel width."""
    plt = _Figures()

    n = len(panels)
    r, c = _grid(n, 6)
    names = [wrap_label(name, 18) for name, _ in panels]
    title_h = 0.11 * max(_lines(t) for t in names)
    fig, axes = plt.subplots(r, c, figsize=(min(COL2, 1.2 * c), (1.15 + title_h) * r + 0.3), squeeze=False,
                             layout="constrained")
    for ax, (_, img), label in zip(axes.flat, panels, names):
        arr = img[0].permute(1, 2, 0).numpy() if hasattr(img, "permute") else np.asarray(img)
        cs = min(crop, arr.shape[0], arr.shape[1])
        top, left = (arr.shape[0] - cs) // 2, (arr.shape[1] - cs) // 2
        arr = arr[top:top + cs, left:left + cs]
        z = min(zoom, cs // 2)
        zt = zl = cs // 2 - z // 2
        ax.imshow(arr, interpolation="nearest")
        ins = ax.inset_axes([0.55, 0.0, 0.45, 0.45])
        ins.imshow(arr[zt:zt + z, zl:zl + z], interpolation="nearest")
        ins.set_xticks([])
        ins.set_yticks([])
        for s in ins.spines.values():
            s.set_edgecolor("yellow")
            s.set_visible(True)
        ax.add_patch(plt.Rectangle((zl - 0.5, zt - 0.5), z, z, fill=False, ec="yellow", lw=0.8))
        ax.set_title(label, fontsize=6, linespacing=1.0)
        ax.axis("off")
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(wrap_title(title, fig.get_size_inches()[0], 7), fontsize=7)
    fit_canvas(fig)
    return fig


def visual_grid(store, task: str, base: Path, formats=("png", "pdf"), crop: int = 96,
                zoom: int = 24, run_ids: set[str] | None = None) -> list[Path]:
    """Clean, degraded and every loss's restoration of one test crop, with a zoomed inset.

    Uses the first seed of each loss's first finished run of ``task`` (its ``net.pt`` and the
    ``test_data`` of its config), among ``run_ids`` when given (the report's setting); skipped
    with a logged reason when nets or test data are missing."""
    runs = []
    for m in store.metas():
        if run_ids is not None and m.get("run_id") not in run_ids:
            continue
        cfg = m.get("config") or {}
        if m.get("status") == "ok" and cfg.get("task") == task and (store.run_dir(m["run_id"]) / "net.pt").exists():
            runs.append((cfg.get("seed", 0), cfg["loss"], m))
    if not runs:
        log.info("visual grid for %s skipped: no saved nets (runs/<id>/net.pt)", task)
        return []
    first: dict[str, dict] = {}
    for _, loss, m in sorted(runs, key=lambda r: (r[0], r[1])):
        first.setdefault(loss_label(loss, m.get("weights", "none")), m)
    try:
        import torch

        from benchmark.data import DataSpec, load_images
        from benchmark.nets import build_net
        from benchmark.runner import held_out_items
        from benchmark.task import build_task

        cfg0 = next(iter(first.values()))["config"]
        task_obj = build_task(task, **dict(cfg0.get("task_params") or {}))
        spec = DataSpec.parse(cfg0["test_data"][0])
        items = held_out_items(task_obj, {spec: load_images(spec)[:1]})
    except Exception as exc:  # noqa: BLE001 - missing data/offline hub/torch: skip the figure
        log.info("visual grid for %s skipped: test data unavailable (%s: %s)", task, type(exc).__name__, exc)
        return []
    item = items[0]
    _, _, h, w = item.clean.shape
    cs = min(crop, h, w)
    panels = [("clean", item.clean), ("input", item.degraded)]
    with torch.no_grad():
        for label, m in sorted(first.items()):
            cfg = m["config"]
            if any(cfg.get(k) != cfg0.get(k) for k in ("task_params", "test_data")):
                continue
            try:
                net = build_net(cfg["net"])
                net.load_state_dict(torch.load(store.run_dir(m["run_id"]) / "net.pt", map_location="cpu",
                                               weights_only=True))
                net.eval()
                panels.append((label, net(item.degraded).float().clamp(0, 1)))
            except Exception as exc:  # noqa: BLE001 - one unreadable net drops one panel
                log.info("visual grid: %s skipped (%s)", label, exc)
    z = min(zoom, cs // 2)
    with style():
        fig = draw_visual_grid(panels, f"{task}: {item.dataset}/{item.image}, {cs}×{cs} crop, inset ×{cs // z} zoom",
                               cs, z)
        return save(fig, base, formats)
