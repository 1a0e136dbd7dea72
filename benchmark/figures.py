"""Publication figures derived from :class:`benchmark.stats.Stats` (and run metadata / saved nets).

Every public function writes one figure in each requested format (PNG at 200 dpi; PDF/SVG are
vector, with text kept as text in embedded TrueType fonts) and returns the written paths (PNG
first), or ``[]`` with a logged reason when it has nothing to draw; either way it removes that
figure's files in formats it did not write now (:func:`remove_figure`), so no stale file is left
beside a fresh one; :func:`prune_figures` does the same for figures a report no longer draws. Each has a ``draw_*`` twin
that returns the :class:`matplotlib.figure.Figure` unsaved (what the layout test inspects).

Conventions shared by every figure:

* **seaborn** draws the statistical plots (heatmaps, the perception–distortion scatter, training
  curves with their min–max band over seeds) in its ``paper``/``ticks`` style at 7–8 pt;
* **one colour per loss label across every figure** of a report (:func:`loss_styles`): a
  10-colour qualitative palette (:data:`PALETTE`, no pale yellow, any two clearly apart), every label
  present a colour of its own up to 10 labels, beyond that a colour reused with another marker and
  line style; markers differ between labels too (never a triangle or a cross, which mean
  off-scale and the degraded input); pixel losses first in a fixed order, so ℓ1 is always the same
  blue circle; the degraded input is a grey cross;
* **a loss that restores worse than the degraded input** on psnr (:attr:`Stats.worse`, the runs the
  tables mark ⚠) carries ⚠ in every figure that shows it per task: a red row label (leaderboard,
  metric plots), a cell mark (rank heatmap), a red ring around its point (P–D plane);
* **units**: PSNR is labelled in dB wherever it is an axis or a column (:func:`metric_name`);
* **nothing clipped or overlapping**: long loss names are wrapped (:func:`wrap_label`), titles are
  wrapped to the figure width, crowded rank axes thin their tick numbers, and :func:`fit_canvas`
  grows a figure until every text is on the canvas; ``tests/test_figure_layout.py`` checks every
  text of every figure of a report against the canvas and against every other text, and
  ``tests/test_figures_readable.py`` what each figure encodes.

Figures:

* :func:`rank_heatmap` — loss × task, colour and text = mean rank over the task's metrics
  (1 = best), plus an ``all`` column; rows ordered by overall mean rank; the colour scale spans the
  possible ranks, 1 to the number of losses; a task column that ranks fewer losses (a loss not run
  on every task) has its text stretched onto that scale for its colour (:func:`column_counts`), so its
  worst is at the scale's end too; the title says so, each column names how many losses it ranks, and the
  colourbar then reads best … worst in a column (no rank number, which such a column's colour is not).
  The ``all`` column's text and colour are the overall ranking's mean rank.
* :func:`pd_plane` — per task, a distortion metric (PSNR) against the perceptual metric chosen by
  :func:`benchmark.stats.pd_metrics` (LPIPS/DISTS when present, else the best offline one), named
  on the axes and in a title of at most two lines; one point per loss with light 95% CI bars in
  both directions, the degraded input as a grey cross; the Pareto front (no other loss better on
  both) is a dashed staircase with black-rimmed points; axis ranges hold every CI bar whole but
  ignore far-off points (:func:`robust_limits`), which are drawn at the edge as a triangle with
  their value (both values when off-scale on both axes); a dark ring = a loss trained on an axis's metric
  (circular, the tables' †; † after an off-scale value).
* :func:`metric_points` — per task, one panel per metric: cell means with 95% CIs, better on the right in
  every panel (a lower-is-better metric's axis reversed); filled =
  top group (not significantly worse than another loss), hollow = tested and significantly worse
  (nothing is hollow when too few runs allow no test); each loss its colour and marker; a dark ring
  = circular cell; grey cross = the degraded input (a reference, never tested); "not scored" in the
  row of a loss the metric has no score for (the tables' "–"); each row as tall as its own name.
* :func:`cd_diagram` — critical-difference summary: mean ranks on an axis, with bars joining
  losses whose mean ranks differ by less than the critical difference (the run as the unit: a
  permutation of each seed's runs, :func:`benchmark.stats.friedman_nemenyi`); the title (:func:`fit_title`) says
  what the ranks are and the Friedman p, the caption under it what the bars join, the losses left out of the test
  (lacking a block most have) and the blocks left out (not every loss shown has them).
  Each loss's connector in its colour, line style and marker (at its corner), as in the other figures.
* :func:`training_curves` — per task, each loss's training-loss curve from ``meta.json`` smoothed by
  a centred moving average (:func:`smooth_curve`, the window in the title) and divided by its first
  smoothed value (every curve starts at 1); mean over seeds, band = min–max over seeds where there
  are two or more; each task its own y-axis, whole-number iterations, plain decimal ticks.
* :func:`visual_grid` — the same test crop restored by every loss (seed of the first run found),
  with the clean and degraded crops and a zoomed inset; needs ``net.pt`` and the test data.
* :func:`leaderboard_heatmap` — the quick-look ``leaderboard.png``: per task, loss × metric, text =
  the mean (same decimals down a column), colour = the change from the degraded input scaled per
  column (:func:`gain_over_input`, with its colourbar), rows in one order in every panel.
"""

from __future__ import annotations

import logging
import math
import re
import textwrap
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.docmarkup import NOTE_LINES as NOTE_LINES  # the rule of every note naming losses (tests read it here)
from benchmark.docmarkup import capped_text, isolate_rtl, plural
from benchmark.runstats import MIN_RUNS
from benchmark.stats import (
    INPUT,
    VERSION_SUFFIX,
    Stats,
    drawn_part,
    metric_order,
    name_key,
    pareto_front,
    pd_metrics,
    rank_order,
    run_label,
    scored_cells,
    smoke_test,
    term_versions,
)

log = logging.getLogger(__name__)
COL1, COL2 = 3.5, 7.2  # inches: one column, full page width
#: the tallest legend (inches) a figure keeps at its width: a taller one widens the figure, up to COL2, for more
#: columns (:func:`legend_width`)
LEGEND_MAX_IN = 5.0
#: the longest line of a legend entry where the figure's width holds it (:func:`_legend_text`); else 34 characters
LEGEND_CHARS = 48
RC = {"font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "xtick.labelsize": 7, "ytick.labelsize": 7,
      "legend.fontsize": 7, "legend.title_fontsize": 7, "figure.titlesize": 8, "pdf.fonttype": 42,
      "ps.fonttype": 42, "svg.fonttype": "none", "axes.spines.top": False, "axes.spines.right": False,
      "savefig.pad_inches": 0.03, "lines.linewidth": 1.0, "lines.markersize": 4.0, "axes.linewidth": 0.6,
      "xtick.major.width": 0.6, "ytick.major.width": 0.6, "xtick.major.size": 3.0, "ytick.major.size": 3.0,
      "legend.frameon": False,
      # every text is drawn as written: a loss spec's string argument ('$a_b$') is not mathtext (nor is
      # the ⚠ marker: :func:`worse_marker`), nor LaTeX (a matplotlibrc's usetex: '_' and '$' stopped LaTeX)
      "text.parse_math": False, "text.usetex": False,
      # so tick labels are plain numbers (a matplotlibrc's use_mathtext made them '$\\mathdefault{0.3}$', shown as is)
      "axes.formatter.use_mathtext": False}
#: loss names that always get the first colours, in this order (so ℓ1 is the same blue in every report)
CANONICAL = ("l1", "l2", "charbonnier", "ssim", "ms_ssim", "ms_ssim_l1")
#: the loss markers: no triangle (an off-scale point in the P–D plane), no cross (the degraded input), no star
#: (the compared loss)
MARKERS = ("o", "s", "D", "P", "p", "h")
#: each palette colour's first marker: the six pixel losses' colours take the six shapes; the four
#: colours after them repeat a shape only next to a very different colour (sky blue plus / vermillion
#: plus, not sky blue circle / blue circle)
COLOUR_MARKERS = ("o", "s", "D", "P", "p", "h", "P", "s", "D", "p")
LINESTYLES = ("-", "--", ":", "-.")
#: how a marker is filled, one per run of :data:`MARKERS`' layers (:func:`_style_of`): every (colour, marker) is
#: used once filled, then half-filled (the other half white), so a scatter of up to 10 × 6 × 4 = 240 losses
#: draws no two alike (the P–D plane, where line styles do not show)
FILLS = ("full", "left", "right", "bottom")
_DASHES = {"-": "", "--": (4, 1.5), ":": (1, 1.2), "-.": (3, 1.2, 1, 1.2)}
INPUT_COLOUR = (0.58, 0.58, 0.58)
#: the P–D plane's degraded-input cross: drawn above the losses' points, see-through, so a loss that
#: sits on the input (no gain yet) and the input both stay visible
INPUT_GID, INPUT_ALPHA = "degraded-input", 0.7
#: one colour per loss label (:func:`loss_styles`): Okabe–Ito's blue, orange, green, vermillion and
#: purple, a dark brown, Okabe–Ito's sky blue, and Tol's indigo, wine and olive. Any two differ by
#: CIEDE2000 ≥ 20 (seaborn's ``colorblind`` has orange and tan at 12, and a pale yellow);
#: ``tests/test_figures_defects.py`` checks it
PALETTE = tuple(tuple(int(h[i:i + 2], 16) / 255 for i in (1, 3, 5)) for h in (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#8C564B", "#56B4E9", "#332288", "#882255", "#999933"))
#: the mark of a loss that restores worse than the degraded input (the tables' ``benchmark.export.WORSE``),
#: judged on this metric (:func:`benchmark.stats.worse_than_input`)
WORSE, WORSE_METRIC, WORSE_COLOUR = "⚠", "psnr", (0.75, 0.1, 0.1)
#: the P–D plane's mark of such a loss: a red ring of this area (points²) around its point
WORSE_RING, WORSE_GID = 75.0, "worse-than-input"
#: the metric plots' mark of a circular cell (the loss trained on that metric): a dark ring
CIRCULAR_RING, CIRCULAR_GID = 60.0, "circular"
#: the P–D plane's key of that ring (a value off-scale: † after it)
CIRCULAR_KEY = "ringed (†): circular (trained on an axis's metric)"


@contextmanager
def style():
    """Seaborn's paper/ticks style and this module's sizes, for drawing and saving; yields a small
    stand-in for pyplot (:class:`_Figures`). Figures are plain ``matplotlib.figure.Figure`` objects
    drawn by the Agg/PDF/SVG canvases on ``savefig``: no backend is selected, no pyplot state or
    global rcParams are touched, so the library changes nothing in the caller's matplotlib."""
    import warnings

    import matplotlib
    import seaborn as sns

    rc = {**sns.axes_style("ticks"), **RC}
    # matplotlib resolves the generic "sans-serif" to one font (the first installed of font.sans-serif) and
    # falls back only along font.family: the installed fallbacks go there, after it (only installed ones:
    # an absent family named in font.family logs a findfont warning per text)
    rc["font.family"] = ["sans-serif", *_fallback_fonts()]
    # nested in another style() (a report draws every figure in one), the characters go to the
    # outermost, which names them once: not the same line once per figure
    outer = _MISSING_GLYPHS.get()
    missing: dict[str, None] = {} if outer is None else outer
    token = _MISSING_GLYPHS.set(missing)
    with matplotlib.rc_context(rc), warnings.catch_warnings():
        # every glyph warning reaches ``show`` whatever the caller's filters: under "error" (python -W
        # error, a pytest ``filterwarnings = error``) it stopped the report, under "ignore" nothing was said
        warnings.filterwarnings("always", message=_GLYPH_MISSING.pattern, category=UserWarning)
        shown = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):
            m = _GLYPH_MISSING.match(str(message))
            if m:  # a loss name's character no font has: said once below, not twice per glyph and draw
                missing.setdefault(chr(int(m.group(1))), None)
                return
            shown(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        try:
            yield _Figures()
        finally:
            _MISSING_GLYPHS.reset(token)
            if missing and outer is None:
                log.warning("figure text has characters no installed font has (%s): they show as empty boxes; "
                            "install a font with them (e.g. Noto Sans CJK) and re-run the report",
                            " ".join(missing))


#: the characters no installed font has, collected by the outermost :func:`style` being drawn in
_MISSING_GLYPHS: ContextVar[dict[str, None] | None] = ContextVar("missing_glyphs", default=None)
#: matplotlib's warning for a character its fonts lack
_GLYPH_MISSING = re.compile(r"Glyph (\d+) .*missing from font")
#: installed fonts tried, in this order, for characters the first installed sans-serif font lacks (CJK loss
#: names): :func:`style` puts them in ``font.family``, after ``sans-serif``. DejaVu Sans first (matplotlib's
#: own font): it has every symbol the figures write (↑ ↓ ⚠ ≥ ℓ) where sans-serif is Arial (macOS, Windows),
#: which lacks ⚠
FALLBACK_FONTS = ("DejaVu Sans", "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK KR", "Noto Sans CJK TC",
                  "Source Han Sans", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
                  "Droid Sans Fallback", "Arial Unicode MS", "Noto Sans", "Noto Sans Symbols", "Noto Sans Symbols2")


def worse_marker():
    """The ⚠ marker (a loss worse than the input) as ``MarkerStyle``: DejaVu Sans's glyph (matplotlib's
    default font, always installed) as a path, centred and scaled as a ``"$⚠$"`` marker is (its longer
    side 1). Built without mathtext: any mathtext font set also looks up Computer Modern (``cmex10``),
    and the default one STIX and DejaVu Sans Display too, which log 21 ``findfont: Font family
    ['STIXGeneral'] not found`` lines a report where matplotlib's bundled fonts are not installed
    (Linux distributions' matplotlib)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.markers import MarkerStyle
    from matplotlib.textpath import TextPath
    from matplotlib.transforms import Affine2D

    glyph = TextPath((0, 0), WORSE, size=1, prop=FontProperties(family="DejaVu Sans"), usetex=False)
    box = glyph.get_extents()
    # MarkerStyle scales a path by 0.5 / its largest |vertex|: undone, so the glyph's box alone sets the size
    path = glyph.transformed(Affine2D().translate(-box.xmin - 0.5 * box.width, -box.ymin - 0.5 * box.height))
    reach = float(np.max(np.abs(path.vertices)))
    return MarkerStyle(path, transform=Affine2D().scale(2 * reach / max(box.width, box.height)))


def _fallback_fonts() -> list[str]:
    """The :data:`FALLBACK_FONTS` installed here (naming an absent family makes matplotlib warn)."""
    from matplotlib.font_manager import fontManager

    have = {f.name for f in fontManager.ttflist}
    return [f for f in FALLBACK_FONTS if f in have]


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
    def figure(figsize=None, layout=None):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize, layout=layout)
        FigureCanvasAgg(fig)
        return fig

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
    #: the marker's fill (:data:`FILLS`): ``"full"``, or the half filled with ``color`` (the other half white)
    fill: str = "full"

    @property
    def dashes(self):
        return _DASHES[self.linestyle]


def _builtin_losses() -> list[str]:
    """The registry's losses after :data:`CANONICAL`'s, in registry order, less those of a user's loss file:
    read from the loss files without importing them (no torch) while the registry is not loaded."""
    from benchmark.registry import LOSSES

    declared = LOSSES.declared_names()
    if declared is None:
        return [n for n in LOSSES.names() if n not in CANONICAL and "file" not in LOSSES.get(n).meta]
    return [n for n in declared if n not in CANONICAL]


def _priority(label: str, loss: str, builtin: list[str] | None = None) -> tuple[int, int, tuple]:
    """Who chooses a style first: the pixel losses of :data:`CANONICAL` (their own colours), then
    every other built-in loss in registry order, then any other label (a user's loss, a weighted
    sum) by name, a number in it read as a number (:func:`benchmark.stats.name_key`: a sweep's ``2*vgg`` before
    ``10*vgg``). A new user loss therefore never takes a colour from the built-in field. ``builtin``:
    :func:`_builtin_losses`, when the caller has it."""
    base = loss.split(" [")[0].split("(")[0].strip()
    if loss in CANONICAL:
        return 0, CANONICAL.index(loss), name_key(label)
    builtin = _builtin_losses() if builtin is None else builtin
    if base in builtin:
        return 1, builtin.index(base), name_key(label)
    return 2, 0, name_key(label)


def _home_colour(label: str, loss: str, n_colours: int, builtin: list[str] | None = None) -> int:
    """A non-canonical label's preferred colour among the ones after :data:`CANONICAL`'s: a built-in
    loss's by its place in the registry, any other label's by a digest of its name (CRC-32), so the same in every
    report, store and figure: a user's loss no longer took the first of them and moved along for each new name that
    sorts before it (``mine`` sky blue alone, another colour beside ``aaa``). The digest is of the loss without a
    version suffix (:func:`benchmark.runstats.version_suffix`), so ``mine`` keeps its colour as ``mine (v1)`` once a
    second version joins the store (``mine (v2)`` then moves on)."""
    import zlib

    n_extra = max(1, n_colours - len(CANONICAL))
    group, index, _ = _priority(label, loss, builtin)
    name = VERSION_SUFFIX.sub("", str(loss))
    return len(CANONICAL) + (index if group == 1 else zlib.crc32(name.encode())) % n_extra


def loss_styles(labels, losses: dict[str, str] | None = None) -> dict[str, LossStyle]:
    """{label: LossStyle}: a clearly distinct colour, a marker and a line style per label.

    :data:`PALETTE` holds 10 colours, far apart for normal vision (CIEDE2000 ≥ 20 between any two,
    none paler than L* 72 on white, none close to the input's grey). Every label present gets a
    colour of its own while there are colours left; beyond 10 labels a colour is reused in a next
    layer with another marker and line style (:func:`_style_of`), so (colour, marker) stays unique
    for 60 labels, (colour, marker, fill) for 240 (a half-filled marker after the filled ones) and
    (colour, marker, line style) for 120. Markers vary between
    labels of one colour layer too, so shape helps wherever colour is hard to tell. No loss marker is
    a triangle (the P–D plane's off-scale points) or a cross (the degraded input).

    Assignment (:func:`_priority`): the pixel losses of :data:`CANONICAL` own colours 0–5 in every
    report (ℓ1 is always the blue circle), found by their loss name (``losses`` {label: loss}, or the
    label itself); then the other built-in losses in registry order, then any other label by name,
    each taking its home colour (:func:`_home_colour`) when free, else the next free one (the extra
    colours first, then those of pixel losses this report lacks). A label's style depends only on
    itself and on the labels that choose before it, so comparing a new loss of one's own never
    recolours the field, and a user's loss keeps its colour beside any other whose home colour differs;
    ``input`` is grey with the cross the figures draw it as."""
    losses = losses or {}
    n = len(PALETTE)
    out = {INPUT: LossStyle(INPUT_COLOUR, "X", "-")}
    builtin = _builtin_losses()
    todo = sorted(set(labels) - {INPUT}, key=lambda l: _priority(l, losses.get(l, l), builtin))
    present = {CANONICAL.index(losses.get(l, l)) for l in todo if losses.get(l, l) in CANONICAL}
    taken: set[tuple[int, int]] = set()
    for label in todo:
        loss = losses.get(label, label)
        if loss in CANONICAL:
            order = [CANONICAL.index(loss)]
        else:
            h = _home_colour(label, loss, n, builtin)
            extra = list(range(len(CANONICAL), n))
            extra = extra[extra.index(h):] + extra[:extra.index(h)]
            order = extra + [c for c in range(len(CANONICAL)) if c not in present]
        layer = 0
        while True:  # the first free (colour, layer) slot: a new colour before a reused one
            colour = next((c for c in order if (c, layer) not in taken), None)
            if colour is not None:
                break
            layer += 1
            if loss not in CANONICAL:  # a reused colour: the palette's strongest first
                order = list(range(n))
        taken.add((colour, layer))
        out[label] = _style_of(colour, layer)
    return out


def _style_of(colour: int, layer: int) -> LossStyle:
    """Slot (colour, layer): layer 0 gives colour i the marker ``COLOUR_MARKERS[i]``; each
    further layer shifts it (by 3, 1, 4, 2, 5 places in :data:`MARKERS`: a blue circle's reuse is a
    blue plus) and takes the next line style. Layers 0–5 use each marker once filled; each later run of
    6 layers repeats them half-filled (:data:`FILLS`), so no two slots of one colour draw alike."""
    base = MARKERS.index(COLOUR_MARKERS[colour % len(COLOUR_MARKERS)])
    shift = layer % len(MARKERS)
    return LossStyle(PALETTE[colour], MARKERS[(base + 3 * shift + shift // 2) % len(MARKERS)],
                     LINESTYLES[layer % len(LINESTYLES)], FILLS[layer // len(MARKERS) % len(FILLS)])


def stats_styles(stats: Stats, metas: list[dict] | None = None) -> dict[str, LossStyle]:
    """:func:`loss_styles` for every label of a report (cells and training runs)."""
    losses = dict(zip(stats.cells["label"], stats.cells["loss"])) if not stats.cells.empty else {}
    moved = _moved(metas or [])
    for m in metas or []:
        cfg = m.get("config") or {}
        if "loss" in cfg and m.get("kind") != "input":
            losses.setdefault(run_label(cfg["loss"], m.get("weights", "none"), m.get("loss_versions"), moved),
                              cfg["loss"])
    return loss_styles(losses, losses)


def _moved(metas: list[dict]) -> dict[str, set[str]]:
    """The versions of each loss term among these runs' scored ones (status ok: the runs with rows), which
    :func:`benchmark.stats.run_label` labels by as :func:`benchmark.stats.labels` labels the tables' rows."""
    return term_versions(m.get("loss_versions") for m in metas
                         if m.get("kind") != "input" and m.get("status") == "ok"
                         and isinstance(m.get("loss_versions"), dict))


def _soft_break(word: str, width: int) -> int:
    """Where a word longer than a line of ``width`` characters ends its line: after its last ``_`` or ``/`` (or
    ``-``, ``.`` not before a digit: never inside ``-0.5``) in the line's second half, else at ``width``."""
    return max((i + 1 for i, ch in enumerate(word[:width]) if i + 1 >= width // 2 and (
        ch in "_/" or ch in "-." and not word[i + 1:i + 2].isdigit())), default=width)


def _soft_pieces(word: str, width: int) -> list[str]:
    """``word`` in pieces of at most ``width`` characters, each ended by :func:`_soft_break`."""
    pieces = []
    while len(word) > width:
        pieces.append(word[:_soft_break(word, width)])
        word = word[len(pieces[-1]):]
    return [*pieces, word]


def wrap_label(label: str, width: int = 26, max_lines: int = 4) -> str:
    """Break a long label into lines of at most ``width`` characters, at spaces or after
    ``+ , ( :`` (``lpips [alexnet:random(seed=0)+lpips:alex:v0.1]`` → 2 lines); a part longer
    than a line breaks after its last ``_`` or ``/`` (or ``-``, ``.`` not before a digit) in the line's second half,
    else is cut there
    (``perceptual_feature_matching_loss_var06`` at 30: ``perceptual_feature_matching_`` over ``loss_var06``,
    not ``…_lo`` over ``ss_var06``); beyond ``max_lines`` the last line ends with ``…``."""
    if len(label) <= width:
        return label
    tokens = re.findall(r"[^ +,(:]*[ +,(:]?", label)
    lines, cur = [], ""
    for tok in (t for t in tokens if t):
        while len(tok) > width:
            if cur:
                lines.append(cur.rstrip())
                cur = ""
            soft = _soft_break(tok, width)
            lines.append(tok[:soft])
            tok = tok[soft:]
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


def wrap_labels(labels, width: int = 26, max_lines: int = 4, also=()) -> list[str]:
    """:func:`wrap_label` of each label, except that distinct labels stay distinct: a label that
    :func:`wrap_label` would cut (``…``) to the same text as another's is wrapped whole instead (two
    weight sweeps of one long spec differ only in their last number, which a cut drops). ``also``: the
    other loss names the figure gives (a caption's "Not drawn", a title's "no restoration"), which a
    cut label must not read as either."""
    labels = [str(l) for l in labels]
    cut = [wrap_label(l, width, max_lines) for l in labels]
    owners: dict[str, set[str]] = {}
    for l, c in zip([*labels, *map(str, also)], [*cut, *(wrap_label(str(l), width, max_lines) for l in also)]):
        owners.setdefault(c, set()).add(l)
    return [wrap_label(l, width, max(max_lines, len(l))) if len(owners[c]) > 1 else c for l, c in zip(labels, cut)]


def row_labels(labels, width: int = 34, widest: int = 44) -> list[str]:
    """Labels for the rows of a heatmap, where every row is as tall as the tallest label: wrapped
    at ``width`` characters (:func:`wrap_label`), or at up to ``widest`` when that keeps every label
    on one line (``lpips [alexnet:random+lpips:alex:v0.1]`` would otherwise make every row twice as
    tall)."""
    labels = [str(l) for l in labels]
    longest = max((len(l) for l in labels), default=0)
    return wrap_labels(labels, longest if width < longest <= widest else width)


def wrap_title(text: str, width_in: float, fontsize: float = 8) -> str:
    """Wrap a title to a figure ``width_in`` inches wide (about 0.55 em per character), no word alone on its last
    line (:func:`_no_widow`)."""
    chars = max(20, int(width_in * 72 / (0.55 * fontsize)))
    return "\n".join(_no_widow(text, _break_lines(text, chars).split("\n"), chars))


def _text_width(fig, text: str, fontsize: float) -> float:
    """The width in inches of one line of ``text`` drawn on ``fig`` at ``fontsize`` (its renderer's measure)."""
    t = fig.text(0, 0, text, fontsize=fontsize)
    try:
        return t.get_window_extent(fig.canvas.get_renderer()).width / fig.dpi
    finally:
        t.remove()


def _measured_lines(fig, text: str, width_in: float, fontsize: float) -> list[str]:
    """``text`` broken as :func:`_break_lines` breaks it, on lines each at most ``width_in`` wide as drawn."""
    if not text:
        return []
    total = _text_width(fig, text, fontsize)
    chars = max(8, int(len(text) * width_in / max(total, 1e-6)))
    while True:
        lines = _break_lines(text, chars).split("\n")
        if chars <= 8 or all(_text_width(fig, line, fontsize) <= width_in for line in lines):
            return _no_widow(text, lines, chars, lambda alt: all(_text_width(fig, line, fontsize) <= width_in
                                                                   for line in alt))
        chars -= 2


def _no_widow(text: str, lines: list[str], chars: int, fits=None) -> list[str]:
    """``lines`` (``text`` broken by :func:`_break_lines` at ``chars``) rebroken shorter where their last line is one
    word after a line of several (a metrics figure's title ended '…; better:' over a lone 'right'): the first
    breaking at fewer characters that keeps the lines as many and ends on two words or more, each within the width
    as ``fits`` (lines → whether they fit as drawn: fewer characters are no narrower line where wide letters move
    down; None: by characters alone) says; else ``lines``."""
    if len(lines) < 2 or len(lines[-1].split()) > 1 or len(lines[-2].split()) < 2:
        return lines
    for c in range(chars - 1, 8, -1):
        alt = _break_lines(text, c).split("\n")
        if len(alt) > len(lines):
            break
        if len(alt[-1].split()) > 1 and (fits is None or fits(alt)):
            return alt
    return lines


#: the most lines a figure's title takes (:func:`fit_title`); what does not fit goes to its caption
TITLE_LINES = 2


#: the smallest size (pt) a title is set in to fit its lines (:func:`fit_title`)
TITLE_MIN_PT = 6.5


def fit_title(fig, head: str, smoke: str = "", key: str = "", fontsize: float | None = None,
              width: float | None = None) -> tuple[str, str, float]:
    """``(title, caption, size)`` for ``fig`` at its width, the title on at most :data:`TITLE_LINES` lines as drawn at
    ``size`` pt (a one-metric smoke test's leaderboard.png opened with five): ``smoke``
    (:func:`benchmark.stats.smoke_test`'s line) on a line of its own where it fits one, else its first words ("Smoke
    test, not a ranking") with the whole line in the caption; ``head`` on the lines left, set smaller, down to
    :data:`TITLE_MIN_PT`, where it needs that to fit them (past that, cut between its clauses where its first ones fit,
    the rest opening the caption; else its words past them, at that size, ending the caption's first line); ``key``
    (what the figure's marks mean) in the caption. The caption is wrapped to the figure's width at 7 pt; "" when empty.
    ``width``: the inches the title is centred on, where not the figure's (an axes title)."""
    w = fig.get_size_inches()[0]
    base = fontsize or RC["figure.titlesize"]
    avail = 0.94 * (width or w)
    tag = smoke.split(":")[0]
    sizes = [base - 0.5 * i for i in range(int((base - TITLE_MIN_PT) / 0.5) + 1)] or [base]
    for fs in sizes:
        lines, caption = [], []
        if smoke:
            whole = _text_width(fig, smoke, fs) <= avail
            lines.append(smoke if whole else tag)
            caption += [] if whole else [smoke]
        heads = _measured_lines(fig, head, avail, fs)
        room = max(1, TITLE_LINES - len(lines))
        if len(heads) > room and smoke and lines[0] != tag:  # the reasons give way to the head
            lines[0], caption = tag, [smoke]
        if len(heads) > room and smoke:  # the tag and the head as one text: a line's room may be shared
            merged = _measured_lines(fig, f"{tag}. {head}", avail, fs)
            if len(merged) <= TITLE_LINES:
                lines, heads = [], merged
                room = TITLE_LINES
        if len(heads) <= room or fs == sizes[-1]:
            break
    if len(heads) > room:  # cut between clauses where one fits, the clause after it opening the caption ("rows
        # 25–48 …" above the figure and "… of 70): mean over images and seeds" below it cut the part's rows in two)
        for cut in _clause_cuts(head):
            first, rest = head[:cut], head[cut + 2:]
            alone = _measured_lines(fig, first, avail, fs)
            merged = _measured_lines(fig, f"{tag}. {first}", avail, fs) if smoke else []
            if len(alone) <= room or (smoke and len(merged) <= TITLE_LINES):
                lines, heads, room = ((lines, alone, room) if len(alone) <= room else ([], merged, TITLE_LINES))
                caption.insert(0, rest[:1].upper() + rest[1:])
                break
    if len(heads) > room:
        caption.insert(0, "… " + " ".join(heads[room:]))
        heads = heads[:room - 1] + [heads[room - 1] + " …"]
    lines += heads
    caption += [key.lstrip("; ")] if key else []
    # each part a sentence, as written: one may open with a name ("bad (3 runs) is left out …"), kept as the tables
    # print it; a figure whose key opens with its own word capitalises it (draw_rank_heatmap)
    text = ". ".join(c.rstrip(".") for c in caption if c)
    return "\n".join(lines), "\n".join(_measured_lines(fig, text + "." if text else "", 0.94 * w, 7)), fs


def _clause_cuts(text: str) -> list[int]:
    """Where ``text`` may be cut between clauses (at a ": " or "; " outside brackets), the longest first part first."""
    depth, cuts = 0, []
    for i, ch in enumerate(text):
        depth += (ch in "([") - (ch in ")]")
        if depth == 0 and text[i:i + 2] in (": ", "; "):
            cuts.append(i)
    return cuts[::-1]


def caption_below(fig, caption: str) -> None:
    """``caption`` (:func:`fit_title`'s) under the figure at 7 pt, the figure made taller by its lines (in a
    constrained layout the rows above it were squeezed into each other instead)."""
    if not caption:
        return
    fig.supxlabel(caption, fontsize=7)
    w, h = fig.get_size_inches()
    fig.set_size_inches(w, h + (caption.count("\n") + 1) * 7 * 1.2 / 72 + 0.06)


#: a comparison sign, the word before it and what follows it ("needs ≥ 5", "p < 0.5") are one word to the
#: line breaker
_BOUND = re.compile(r"(?<=[≥≤<>=]) (?=\S)| (?=[≥≤<>=] \S)")


def _bracketed_glued(text: str, chars: int) -> str:
    """``text`` with the spaces of each bracketed phrase that fits a line of ``chars`` characters made
    unbreakable ("\u00a0"); of a longer phrase, those of the phrases inside it that fit."""
    spans, opened = [], []
    for i, ch in enumerate(text):
        if ch in "([":
            opened.append(i)
        elif ch in ")]" and opened:
            spans.append((opened.pop(), i + 1))
    out, breaks = list(text), " \t\n\r\f\v"  # where a line may break: not "\u00a0", whitespace to str.isspace
    for a, b in spans:  # inner phrases close first: an outer one that fits re-glues them, one that does not keeps them
        # the run it makes, with what touches it as glued so far ("(no score)." is 11 characters; "needs ≥ (five runs)",
        # glued to its sign, 19: counted from "(five" only, it was longer than a line and cut inside a word)
        start, end = a, b
        while start > 0 and out[start - 1] not in breaks:
            start -= 1
        while end < len(out) and out[end] not in breaks:
            end += 1
        if end - start <= chars:
            out[a:b] = ["\u00a0" if c == " " else c for c in out[a:b]]
    return "".join(out)


def _break_lines(text: str, chars: int) -> str:
    """``text`` on lines of at most ``chars`` characters, broken at spaces but never next to a comparison sign
    (a lone "≥ 5" on its own line), nor inside a bracketed phrase that fits a line ("there (no" over "score)"), a word
    longer than a line where :func:`wrap_label` breaks one (a metric panel's title read 'topiq_fr_pipal_percept' over
    'ual ↑'); the characters are unchanged."""
    glued = re.sub(r"[\t\n\r\f]", " ", _bracketed_glued(_BOUND.sub("\u00a0", text), chars))
    # a long word's pieces are joined by "\v": whitespace where textwrap may break, printed as nothing
    glued = " ".join("\v".join(_soft_pieces(w, chars)) for w in glued.split(" "))
    return "\n".join(line.replace("\v", "").replace("\u00a0", " ")
                     for line in textwrap.wrap(glued, chars, replace_whitespace=False))


@contextmanager
def _first_guess_layout():
    """Silence matplotlib's "constrained_layout not applied" while a figure still has its first
    guessed size: a long label collapses the layout until :func:`fit_canvas` grows the figure,
    which is the fix (seaborn's heatmap draws the figure once before that, and the warning
    reached the user's terminal)."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="constrained_layout not applied")
        yield


@contextmanager
def _heatmap_without_redraw():
    """``sns.heatmap`` without the whole-figure draw it makes to see whether its tick labels overlap (to rotate
    them): the heatmaps here set every tick label and its rotation afterwards, so that draw — of every panel drawn
    so far, once per panel: quadratic in the tasks — changed nothing but took 9 of a 5-task leaderboard's 32 s."""
    from seaborn import matrix

    drawn = matrix._draw_figure
    matrix._draw_figure = lambda fig: None
    try:
        yield
    finally:
        matrix._draw_figure = drawn


#: the PNG's resolution (:func:`save`): :func:`fit_canvas` lays a figure out at it, as the file is
PNG_DPI = 200
#: a PDF's/SVG's resolution for its raster parts (the visual grid's crops): matplotlib's default figure dpi, as
#: before :func:`fit_canvas` left figures at :data:`PNG_DPI`
VECTOR_DPI = 100
#: the least room (inches) between any artist and the canvas's edge
EDGE_IN = 0.015


def fit_canvas(fig, pad: float = 0.04, max_iter: int = 6, min_axes: tuple[float, float] | None = None) -> None:
    """Grow ``fig`` until every artist is on the canvas, at least :data:`EDGE_IN` from its edge
    (constrained layout re-runs each time), and, with ``min_axes=(w, h)`` inches, until every visible
    plot panel is at least that large (a tall legend or title otherwise squeezes the panels until their
    labels collide).

    A label longer than the figure would otherwise be cut at the edge; here the figure becomes
    as large as its content needs, so the saved file (no ``bbox_inches``) shows all of it. Measured at
    :data:`PNG_DPI`: text widths (hinting) and so the layout differ with the resolution, and a figure
    fitted at the screen's 100 dpi had its y label 1 px from the PNG's edge (60-loss P–D plane); the
    figure stays at that resolution (laid out again at another from this state, it came out otherwise)."""
    fig.set_dpi(PNG_DPI)
    for _ in range(max_iter):
        with _first_guess_layout():
            fig.draw_without_rendering()  # layout and text extents, no rasterising
        renderer = fig.canvas.get_renderer()
        bb = fig.get_tightbbox(renderer)
        w, h = fig.get_size_inches()
        e = EDGE_IN
        over = [max(0.0, e - bb.x0), max(0.0, bb.x1 - w + e), max(0.0, e - bb.y0), max(0.0, bb.y1 - h + e)]
        grow_w = grow_h = 0.0
        if min_axes:
            panels = [a for a in fig.axes if a.get_visible() and not hasattr(a, "_colorbar")]
            ncols = max((a.get_subplotspec().get_gridspec().ncols for a in panels if a.get_subplotspec()), default=1)
            nrows = max((a.get_subplotspec().get_gridspec().nrows for a in panels if a.get_subplotspec()), default=1)
            for a in panels:
                ext = a.get_position()
                grow_w = max(grow_w, (min_axes[0] - ext.width * w) * ncols)
                grow_h = max(grow_h, (min_axes[1] - ext.height * h) * nrows)
        # a figure legend below the panels must stay below them: one taller than the room made for it
        # collapses the constrained layout, which then leaves the panels where they were, under it
        panels = [a for a in fig.axes if a.get_visible() and a.axison and not hasattr(a, "_colorbar")]
        for leg in fig.legends:
            lb = leg.get_window_extent(renderer)
            for a in panels:
                ab = a.get_window_extent(renderer)
                if min(lb.x1, ab.x1) > max(lb.x0, ab.x0) and min(lb.y1, ab.y1) > max(lb.y0, ab.y0):
                    grow_h = max(grow_h, (lb.y1 - ab.y0) / fig.dpi)
        if max(over) <= 0.005 and grow_w <= 0.005 and grow_h <= 0.005:
            return
        fig.set_size_inches(w + over[0] + over[1] + max(0.0, grow_w) + pad,
                            h + over[2] + over[3] + max(0.0, grow_h) + pad)


#: every format a figure may be written in (``plbench report --formats``)
FIGURE_FORMATS = ("png", "pdf", "svg")
#: the tallest figure (inches), a journal page's text height (9–9.7 in): a taller leaderboard, metrics figure or rank
#: heatmap is split into parts (at 24 in, the quick profile's 5-task leaderboard was one 16.75-in figure)
PAGE_IN = 9.0
#: the file names (without suffix) of the figures :mod:`benchmark.report` writes with this module
FIGURE_PATTERNS = ("rank_heatmap", "cd_diagram", "pd_plane", "pd_plane-2", "training_curves", "training_curves-2",
                   "metrics_*", "visual_*")
#: the figures drawn in numbered parts where taller than a page (``rank_heatmap-2``, ``metrics_sr4-3``): such a part
#: is the report's where it recorded writing it (:data:`PARTS_RECORD`), not by its name alone
PART_BASES = ("rank_heatmap", "metrics_*")
#: the record, in a folder, of the numbered parts the last report wrote there (a figures folder's metrics figures and
#: rank heatmap, the report folder's leaderboard figure): their file names, every format (:func:`_record_parts`)
PARTS_RECORD = ".figure-parts.json"


#: the metadata :func:`save` gives each vector format: no creation date, which made every report rewrite them
_UNDATED = {"pdf": {"CreationDate": None}, "svg": {"Date": None}}
#: how :func:`save` writes every figure, whatever a matplotlibrc says: on its own white (``savefig.transparent`` or a
#: dark ``savefig.facecolor``, set for slides, left its near-black text on nothing: unreadable on a dark page)
OPAQUE = {"savefig.transparent": False, "savefig.facecolor": "white", "savefig.edgecolor": "white"}
#: the salt of the SVG's element ids, set by :func:`save` for its own write (not in :data:`RC`, so a figure saved
#: outside :func:`style` gets it too): fixed, not random, so the same figure is the same file
SVG_SALT = "plbench"


def _as_format(base: Path, fmt: str) -> Path:
    """``base.<fmt>``: the base's whole name and the format (``with_suffix`` cut a base at its last dot: a
    compared spec's ``w_2.0-<hash>_denoise_pd_plane`` became ``w_2.png``, one file for w=2.0, w=2.5 and every
    task)."""
    return base.with_name(f"{base.name}.{fmt}")


def _isolate_rtl_texts(fig) -> None:
    """:func:`benchmark.docmarkup.isolate_rtl` on every text ``fig`` draws: its texts, and its axes' fixed tick
    labels, which each draw sets again from their formatter. A text whose first strong letter is right-to-left is laid
    out right to left as a whole: a plugin loss 'خسارة_عربية' had its CD-diagram rank, a row's ⚠, drawn on its left."""
    from matplotlib.text import Text
    from matplotlib.ticker import FixedFormatter, FuncFormatter

    for t in fig.findobj(Text):
        if (text := t.get_text()) and (done := isolate_rtl(str(text))) != text:
            t.set_text(done)
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            f = axis.get_major_formatter()
            if isinstance(f, FixedFormatter):
                f.seq = [isolate_rtl(str(x)) for x in f.seq]
            elif isinstance(f, FuncFormatter) and not getattr(f.func, "plb_isolated", False):
                # set_ticks(…, labels) sets a FuncFormatter over the labels given
                def isolated(x, pos=None, inner=f.func):
                    return isolate_rtl(str(inner(x, pos)))

                isolated.plb_isolated = True
                f.func = isolated


def save(fig, base: Path, formats=("png", "pdf")) -> list[Path]:
    """Write ``base.<fmt>`` for each format (PNG first), close the figure, return the paths; the
    figure's files in formats not asked for this time (a PDF left by an earlier ``--formats png
    pdf``) are removed, as they no longer show what the PNG does.

    The canvas is saved as laid out (no ``bbox_inches="tight"``): :func:`fit_canvas` has already
    made room for every text, and the PDF/SVG page is the figure itself. PDF and SVG carry no date
    (and the SVG fixed ids, :data:`SVG_SALT`): a figure redrawn from the same results is the same file."""
    import matplotlib

    from benchmark.results import atomic_output

    base.parent.mkdir(parents=True, exist_ok=True)
    _isolate_rtl_texts(fig)
    out = []
    for fmt in sorted(dict.fromkeys(formats), key=lambda f: f != "png"):
        p = _as_format(base, fmt)
        with atomic_output(p) as tmp, matplotlib.rc_context({"svg.hashsalt": SVG_SALT, **OPAQUE}):
            fig.savefig(tmp, format=fmt, dpi=PNG_DPI if fmt == "png" else VECTOR_DPI,
                        metadata=_UNDATED.get(fmt))
        out.append(p)
    fig.clear()  # drawn and saved: free its artists
    remove_figure(base, keep=out)
    return out


def remove_figure(base: Path, keep=()) -> list[Path]:
    """Delete ``base.<fmt>`` in every :data:`FIGURE_FORMATS` but the paths in ``keep``: a figure
    this report drew in fewer formats, or could not draw at all, leaves no stale file behind."""
    keep = {Path(k) for k in keep}
    removed = []
    for fmt in FIGURE_FORMATS:
        p = _as_format(base, fmt)
        if p not in keep and p.is_file():
            p.unlink()
            removed.append(p)
    if removed:
        log.info("removed %s: %s", plural(len(removed), "stale figure file"), ", ".join(p.name for p in removed))
    return removed


def _read_names(path: Path) -> list[str] | None:
    """The file names a parts record (:data:`PARTS_RECORD`, :func:`_record_parts`) lists; ``None`` where there is
    none (or it cannot be read)."""
    import json

    try:
        names = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return [n for n in names if isinstance(n, str) and "/" not in n] if isinstance(names, list) else None


def _legacy_record(path: Path) -> Path:
    """The leaderboard's own record of its parts before :data:`PARTS_RECORD` held them (``.leaderboard-parts.json``
    beside ``leaderboard.png``): read once where a store still has it, then removed (:func:`_record_parts`)."""
    return path.with_name(f".{path.stem}-parts.json")


def _record_parts(directory: Path, ours, names: list[str], keep_empty: bool = False) -> None:
    """Record in ``directory``'s :data:`PARTS_RECORD` that the parts its writer owns (``ours(name)``) are now
    ``names``, the entries of another writer kept. Where none is left the record is removed, or, ``keep_empty``,
    kept empty: a figures folder's empty record says its ``rank_heatmap-2.png`` is a user's, not a part (without a
    record :func:`prune_figures` takes parts numbered on from 2). The one writer of every parts record,
    :func:`prune_figures`' and :func:`remove_leaderboard`'s alike."""
    from benchmark.results import atomic_write_json

    record = Path(directory) / PARTS_RECORD
    before = _read_names(record)
    after = sorted({n for n in before or [] if not ours(n)} | set(names))
    if after != before and (after or keep_empty):
        atomic_write_json(record, after)
    elif not after and before and not keep_empty:  # its writer's last parts gone (an empty record is kept)
        record.unlink()


def prune_figures(directory: Path, keep) -> list[Path]:
    """Delete the figure files in ``directory`` that this report did not write (``keep``: every
    path it wrote): only files named like a figure of this module (:data:`FIGURE_PATTERNS`, e.g.
    ``visual_sr4.pdf`` from an earlier setting or ``metrics_jpeg.png`` of a task no longer
    reported) in one of :data:`FIGURE_FORMATS`; a numbered part (``rank_heatmap-3.png``, ``metrics_sr4-2.pdf``:
    :data:`PART_BASES`) only where the last report recorded writing it (:data:`PARTS_RECORD`, written here) or, in a
    folder without the record, where numbered on from 2 without a gap (in any format); anything else in the folder
    stays (a user's ``rank_heatmap-2026.png``, ``visual_sr4-2.pdf``). For :func:`benchmark.report.make_figures` to
    call once all figures are written."""
    import fnmatch

    directory = Path(directory)
    if not directory.is_dir():
        return []
    keep = {Path(k).resolve() for k in keep}
    record = directory / PARTS_RECORD
    recorded = _read_names(record)
    stems = {p.stem for p in directory.iterdir() if p.is_file() and p.suffix[1:] in FIGURE_FORMATS}

    def numbered_part(p: Path) -> re.Match | None:
        m = re.fullmatch(r"(.+)-([0-9]+)", Path(p).stem)
        return m if m and any(fnmatch.fnmatchcase(m.group(1), b) for b in PART_BASES) else None

    def ours(p: Path) -> bool:
        if (m := numbered_part(p)) is None:  # a numbered copy of a figure drawn whole (visual_sr4-2) is no part
            return (p.stem in FIGURE_PATTERNS or not re.fullmatch(r".+-[0-9]+", p.stem)) and any(
                fnmatch.fnmatchcase(p.stem, pat) for pat in FIGURE_PATTERNS)
        if recorded is not None:
            return p.name in recorded
        return all(f"{m.group(1)}-{i}" in stems for i in range(2, int(m.group(2))))  # in any format

    stale = [p for p in sorted(directory.iterdir()) if p.is_file() and p.suffix[1:] in FIGURE_FORMATS
             and p.resolve() not in keep and ours(p)]
    for p in stale:
        p.unlink()
    if stale:
        log.info("removed %s: %s", plural(len(stale), "stale figure file"), ", ".join(p.name for p in stale))
    parts = sorted(p.name for p in directory.iterdir() if p.resolve() in keep and numbered_part(p))
    if parts or recorded is not None:
        _record_parts(directory, lambda n: numbered_part(Path(n)) is not None, parts, keep_empty=True)
    return stale


def _drawn(fig, base: Path, formats, key: bool = False) -> list[Path]:
    """:func:`save` a drawn figure; with nothing drawn (``None``), remove the figure's old files. ``key``: a figure
    whose legend may take it past a page (the P–D plane, the training curves) has it drawn on a page of its own
    (:func:`legend_apart`: ``<base>-2``), removed where this report draws none; no other figure's ``<base>-2`` (a
    user's ``cd_diagram-2.png``) is touched."""
    parts = [] if fig is None else legend_apart(fig) if key else [fig]
    if not parts:
        remove_figure(base)
    if key and len(parts) < 2:
        remove_figure(base.with_name(f"{base.name}-2"))  # a key an earlier report drew apart
    return [p for i, part in enumerate(parts) for p in save(part, base if i == 0 else base.with_name(
        f"{base.name}-{i + 1}"), formats)]


def _arrow(higher: bool) -> str:
    return "↑" if higher else "↓"


def _grid(n: int, ncols: int = 3):
    ncols = max(1, min(ncols, n))
    return math.ceil(n / ncols), ncols


def _lines(label: str) -> int:
    return label.count("\n") + 1


def _legend(fig, labels: list[str], styles: dict[str, LossStyle], line: bool = False, marker: bool = True,
            title: str | None = None, markers: dict[str, str] | None = None, extra=(), names=None,
            also=(), fill: bool = False) -> None:
    """One shared legend below the panels, as many columns as the figure's width holds.

    ``markers`` overrides a label's marker (the compared loss is a star in the plot, so in the
    legend too); ``extra``: (handle, text) pairs first (what the glyphs of the plot mean);
    ``names``: {label: legend text} (default: the label, wrapped); ``also``: loss names the figure gives
    elsewhere (:func:`wrap_labels`); ``fill``: the markers filled as the figure draws them (:attr:`LossStyle.fill`,
    the P–D plane), else every marker filled."""
    from matplotlib.lines import Line2D

    markers, names = markers or {}, names or {}
    handles = [h for h, _ in extra]
    handles += [Line2D([], [], color=styles[l].color, marker=markers.get(l, styles[l].marker) if marker else None,
                       linestyle=styles[l].linestyle if line else "none",
                       markersize=7 if markers.get(l) == "*" else 4, markeredgewidth=0.5, lw=1.0,
                       **{"markeredgecolor": "k" if l in markers else None,
                          **(_half(styles[l]) if fill and l not in markers else {})}) for l in labels]
    w, h = fig.get_size_inches()
    texts = [t for _, t in extra]
    if (wide := legend_width(w, labels, texts, names, also)) > w:  # many long names: columns, not a page-high strip
        fig.set_size_inches(wide, h)
    text = _legend_text(fig.get_size_inches()[0], labels, texts, names, also)
    ncol = _legend_columns(fig.get_size_inches()[0], text)
    # under one panel the key starts where its caption's (left-aligned) lines do: centred under them it stood apart,
    # a ragged block (one task's P–D plane: its markers 0.5 in right of the caption); panels side by side keep it
    # centred under them
    one_panel = len([a for a in fig.axes if a.get_visible()]) == 1
    fig.legend(handles, text, loc="outside lower center", ncol=ncol, frameon=False, title=title,
               handletextpad=0.4, columnspacing=1.0, borderaxespad=0.2, alignment="left" if one_panel else "center")
    fig.plb_legend = handles, text, ncol, title  # what :func:`legend_apart` draws again on a page of its own


def legend_apart(fig) -> list:
    """``[fig]``, or, where ``fig`` is taller than a page (:data:`PAGE_IN`) and its legend below the panels
    (:func:`_legend`) is what makes it so, ``[fig, key]``: the figure with its legend's title (the caption) alone
    under the panels, and the legend's entries (the key to its losses) in a figure of its own, each naming the other.
    60 losses of 40 characters under a 5-task P–D plane made one 11.2-in figure, the training curves' 9.6 in."""
    spec = getattr(fig, "plb_legend", None)
    if spec is None or not fig.legends or fig.get_size_inches()[1] <= PAGE_IN:
        return [fig]
    handles, text, ncol, title = spec
    w, h = fig.get_size_inches()
    legend = fig.legends[-1]
    legend_h = legend.get_window_extent(fig.canvas.get_renderer()).height / fig.dpi
    if h - legend_h > PAGE_IN - 0.5:  # the panels alone are too tall: no part of a page would hold them
        return [fig]
    # the figure's name, not part 1's first title line with its reading hints ("(better: right and up)")
    head = getattr(fig, "plb_name", None) or fig.get_suptitle().split("\n")[0].rstrip(":;,. ") or "Figure"
    legend.remove()
    fig.legend([], [], loc="outside lower center", frameon=False, borderaxespad=0.2,
               title=(f"{title}\n" if title else "") + "Key to the losses' markers and lines: part 2 of this figure")
    with _first_guess_layout():
        fig.draw_without_rendering()
    caption_h = fig.legends[-1].get_window_extent(fig.canvas.get_renderer()).height / fig.dpi
    fig.set_size_inches(w, h - legend_h + caption_h)
    fit_canvas(fig, min_axes=(1.5, 1.5))
    # placed by hand, in inches (no layout engine places a figure legend under a title in a figure without axes)
    key = _Figures().figure(figsize=(w, legend_h + 1.0))
    heading = key.suptitle(wrap_title(f"{head}, part 2 of 2: key to the losses", w), va="top")
    entries = key.legend(handles, text, loc="upper center", ncol=ncol, frameon=False, handletextpad=0.4,
                         columnspacing=1.0, borderaxespad=0.0, borderpad=0.0)
    with _first_guess_layout():
        key.draw_without_rendering()
    renderer = key.canvas.get_renderer()
    title_h, entries_h = (a.get_window_extent(renderer).height / key.dpi for a in (heading, entries))
    margin, gap = EDGE_IN + 0.05, 0.15
    height = 2 * margin + title_h + gap + entries_h
    key.set_size_inches(w, height)
    heading.set_y(1 - margin / height)
    entries.set_bbox_to_anchor((0.5, 1 - (margin + title_h + gap) / height), transform=key.transFigure)
    fit_canvas(key)
    return [fig, key]


def _half(style: LossStyle) -> dict:
    """Line2D keywords drawing ``style``'s marker with its fill: {} for a filled one, else the half in its
    colour and the other white, outlined in its colour (a white half needs an edge to show its shape)."""
    if style.fill == "full":
        return {}
    return {"fillstyle": style.fill, "markerfacecolor": style.color, "markerfacecoloralt": "white",
            "markeredgecolor": style.color}


def _legend_columns(width: float, text: list[str]) -> int:
    """How many legend columns a figure ``width`` inches wide holds for these (wrapped) entries."""
    longest = max((max(len(s) for s in t.split("\n")) for t in text), default=10)
    return max(1, min(len(text), int((width - 0.2) / (0.25 + 0.055 * longest))))


def _legend_text_height(width: float, text: list[str]) -> float:
    """About how tall (inches) a legend of these (wrapped) entries is in a figure ``width`` inches wide: at 7 pt, a
    line of text is 8.4 pt and a row of entries adds 3.5 pt (``legend.labelspacing``), so 60 one-line entries are
    taller than 30 two-line ones."""
    ncol = _legend_columns(width, text)
    rows, lines = math.ceil(len(text) / ncol), math.ceil(sum(_lines(t) for t in text) / ncol)
    return 0.15 + (8.4 * lines + 3.5 * rows) / 72


def _legend_text(width: float, labels: list[str], extra=(), names=None, also=()) -> list[str]:
    """The entries :func:`_legend` draws in a figure ``width`` inches wide: the ``extra`` texts, then each label's
    (``names``: {label: text}), wrapped at 34 characters, or at up to :data:`LEGEND_CHARS` where that makes the
    legend no taller (a 40-character name cut at 34 took two lines and a column as wide as one)."""
    names = names or {}
    full = [str(names.get(l, l)) for l in labels]
    longest = max((len(t) for t in [*full, *map(str, extra)]), default=0)
    best = None
    for chars in (34, min(longest, LEGEND_CHARS)) if longest > 34 else (34,):
        text = [wrap_label(t, chars) for t in extra] + wrap_labels(full, chars, also=also)
        if best is None or _legend_text_height(width, text) < _legend_text_height(width, best):
            best = text
    return best


def legend_width(width: float, labels: list[str], extra=(), names=None, also=()) -> float:
    """The width (inches) a figure ``width`` wide takes for its legend below the panels (:func:`_legend_text`):
    ``width`` when the legend is at most :data:`LEGEND_MAX_IN` tall there, else the least width up to :data:`COL2`
    at which it is (:data:`COL2` if none). At one column's width 60 losses of 40 characters made one entry per row:
    a 34-in training-curves figure, a 21-in P–D plane."""
    def height(w):
        return _legend_text_height(w, _legend_text(w, labels, extra, names, also))

    if width >= COL2 or height(width) <= LEGEND_MAX_IN:
        return width
    for step in range(1, int(math.ceil((COL2 - width) / 0.1)) + 1):
        wide = min(COL2, width + 0.1 * step)
        if height(wide) <= LEGEND_MAX_IN:
            return wide
    return COL2


def _legend_height(width: float, labels: list[str], n_extra: int | list[str] = 0, names=None) -> float:
    """About how tall (inches) :func:`_legend` draws these labels plus ``n_extra`` one-line entries (their
    texts, or how many, counted as long as the longest of them, "worse than the input on psnr") in a figure
    ``width`` inches wide."""
    extra = n_extra if isinstance(n_extra, list) else ["x" * 28] * n_extra
    return _legend_text_height(width, _legend_text(width, labels, extra, names))


def worse_labels(stats: Stats, task: str | None = None) -> set[str]:
    """Labels with a run that restores worse than the degraded input (:attr:`Stats.worse`, the runs
    the tables mark ⚠), in ``task`` or in any task."""
    w = stats.worse
    if w is None or w.empty:
        return set()
    w = w[w["worse"] > 0]
    return set(w["label"] if task is None else w.loc[w["task"] == task, "label"])


def lost_labels(stats: Stats, task: str) -> dict[str, str]:
    """{label: ``"diverged 2/2"``}: the losses of ``task`` with runs but no restoration to score (every run
    diverged or failed, :func:`benchmark.export.unscored`), which its table lists as a row of that status;
    the figures name them where they would stand rather than leave them out unsaid."""
    from benchmark.export import unscored

    lost = unscored(stats)
    return dict(zip(lost.loc[lost["task"] == task, "label"], lost.loc[lost["task"] == task, "status"]))


def robust_limits(means, lows=None, highs=None, k: float = 4.0, pad: float = 0.06,
                  reference=None) -> tuple[float, float]:
    """An axis range that one outlier cannot squash: the points within ``k`` interquartile ranges of
    the quartiles (all of them when fewer than 5), widened to hold the whole CI bar ``lows``–``highs``
    of each of those points (a bar is never cut at the axis; NaN: no bar), and padded by ``pad`` of
    the span. ``reference`` (a bool mask, e.g. the degraded input) marks points left out of the
    quartiles but kept when within range. A point left out but within the padded range is kept (padded,
    its bar whole) as the others are. Points outside are drawn at the panel's edge (:func:`draw_pd_plane`),
    their bars with them."""
    m = np.asarray(means, float)
    ok = np.isfinite(m)
    if not ok.any():
        return 0.0, 1.0
    keep = ok.copy()
    core = ok & ~np.asarray(reference if reference is not None else np.zeros(len(m), bool), bool)
    if core.sum() >= 5:
        q1, q3 = np.percentile(m[core], [25, 75])
        iqr = float(q3 - q1) or 1e-3 * max(abs(float(q1)), 1e-12)
        keep &= (m >= q1 - k * iqr) & (m <= q3 + k * iqr)
    while True:
        lo, hi = float(m[keep].min()), float(m[keep].max())
        for ends in (lows, highs):
            if ends is None:
                continue
            e = np.asarray(ends, float)[keep]
            e = e[np.isfinite(e)]
            if e.size:
                lo, hi = min(lo, float(e.min())), max(hi, float(e.max()))
        span = hi - lo or max(abs(hi), 1e-12) * 0.02
        lo, hi = lo - pad * span, hi + pad * span
        # a point left out but inside the padding is drawn on the panel as any other (not as an off-scale
        # triangle): the range is made for it too, or its marker sat on the edge, half of it cut off
        shown = ok & ~keep & (m >= lo) & (m <= hi)
        if not shown.any():
            return lo, hi
        keep |= shown


def short_metric(metric: str) -> str:
    """A metric scored with a checkpoint file, ``NAME@<path>``, by the file's name only
    (``contrique_fr@/…/enc.pt`` → ``contrique_fr@enc.pt``): the whole path ran off the canvas
    and over the titles. Tables keep the full name."""
    name, at, ckpt = str(metric).partition("@")
    return f"{name}@{Path(ckpt).name}" if at and ("/" in ckpt or "\\" in ckpt) and Path(ckpt).name else str(metric)


def _wrap(text: str, chars: int) -> str:
    """An axis label or panel title of more than ``chars`` characters on several lines (a long
    metric name otherwise runs past its panel, off the canvas or into the figure's title)."""
    return _break_lines(text, chars) if len(text) > chars else text


def task_title(task: str, share_in: float) -> str:
    """A panel's task name on lines that fit the panel: ``share_in``, the figure's width over its panel columns, less
    the room of the axis' numbers and label. A plugin task's long name (``super_resolution_x4_bicubic_then_jpeg_q10``)
    ran past the canvas at a row's last panel and into the next panel's title at the others."""
    return wrap_title(task, 0.8 * share_in, RC["axes.titlesize"])


def metric_name(metric: str) -> str:
    """A metric as an axis or column names it, with its unit: ``psnr`` → ``psnr (dB)``."""
    metric = short_metric(metric)
    return f"{metric} (dB)" if metric.partition("@")[0].startswith("psnr") else metric


# --------------------------------------------------------------------------------------------
def draw_rank_heatmap(stats: Stats, styles=None, labels: list[str] | None = None, part: tuple[int, int] | None = None):
    """``rank_heatmap``: loss × task mean ranks and ``all``, the overall ranking's. ``labels``: only these rows (a
    part of a figure too tall for a page), on the whole figure's rank scale; ``part``: (i, n) for "part i of n" in
    the title. The figure records its rows (``plb_labels``) and one row's height in inches (``plb_row_height``)."""
    import seaborn as sns

    if stats.task_ranks is None or stats.task_ranks.empty:
        log.info("rank heatmap skipped: no ranked restorations")
        return None
    plt = _Figures()

    tr = stats.task_ranks.copy()
    tr["all"] = stats.ranks.set_index("label").loc[tr.index, "mean_rank"]
    k = len(tr)  # the scale: every ranked loss, in a part too
    everyone = list(tr.index)
    # the names wrapped, and the rows as tall as the tallest, over the whole figure: every part's cells alike (a
    # part's own rows made one part's cells a line tall and the next part's, holding a 3-line name, three)
    wrapped = dict(zip(everyone, row_labels(everyone, 34)))
    row_h = 0.06 + 0.125 * max(_lines(r) for r in wrapped.values())
    if labels is not None:
        tr = tr.loc[[lab for lab in tr.index if lab in set(labels)]]
    rows = [wrapped[lab] for lab in tr.index]
    # a task column that ranks fewer losses has its mean ranks stretched onto 1..k for the colour
    # (:func:`column_counts`), so its worst is at the scale's end like every other column's; the text
    # keeps the mean rank and the column its count. Then a colour is a place between the column's best
    # and worst, not a rank: the colourbar says so and names no rank number (jpeg's last of 3 would read
    # as "5")
    counts = column_counts(stats)
    scaled = len(set(counts.values())) > 1 or any(n != k for n in counts.values())
    label = "rank in column\n(best to worst)" if scaled else f"mean rank\n(1 = best, {k} = worst)"
    # the colourbar's name runs along it: the rows are at least as tall as that name is long, or it
    # sticks out above them into the title
    label_in = (max(map(len, label.split("\n"))) * 0.55 * 8 / 72) if k > 1 else 0.0
    flagged = {t: worse_labels(stats, t) for t in tr.columns[:-1]}
    from benchmark.export import PARTIAL, _partial_ranks, not_ranked_text

    # a loss without every block has an ``all`` rank over fewer blocks and rivals: the tables' mark
    complete = stats.ranks.set_index("label")["complete"] if "complete" in stats.ranks else pd.Series(dtype=bool)
    partial = {lab for lab in tr.index if not bool(complete.get(lab, True))}
    # and in a task column a loss ranked on fewer of the task's metrics than the others (one not scored for its runs):
    # its mean rank there leaves out the metrics it lacks — the task table lists it after the others and the notes
    # name it, here the rows are shared by every column: the cell carries the mark (ffl's '4.0' over psnr and ssim
    # read as ahead of l1's '4.7' over psnr, ssim and lpips)
    short = {str(t): set(_partial_ranks(stats.cells[stats.cells["task"].astype(str) == str(t)]))
             for t in tr.columns[:-1]}
    # a key's sign and its first words on one line (wrap_title: "\u00a0" is no place to break)
    note = f"; {WORSE}:\u00a0runs worse than the degraded input on {WORSE_METRIC}" if any(flagged.values()) else ""
    if scaled:
        note += ("; colour: rank scaled per column, its best to its worst (in brackets: the losses it ranks); "
                 f"all: the overall ranking's mean rank over the blocks most losses have, text and colour "
                 f"(1 = best, {k} = worst)")
    if partial or any(short.values()):
        which = ("not every (task, metric) block" if not any(short.values()) else
                 "not every metric of the task" if not partial else
                 "not every (task, metric) block (all) or metric of the task (a task's column)")
        note += f"; {PARTIAL}:\u00a0{which}, a mean over fewer blocks and rivals, not comparable"
    empty = tr.isna().to_numpy()  # a loss not ranked in a task (absent, or no score): "–", as leaderboard.png
    if empty.any():
        note += "; –:\u00a0not ranked there (no score)"
    width = min(COL2, 2.2 + 0.5 * tr.shape[1])
    # runs not shown converged (or too few), as the leaderboard opens — of the (task, loss) cells it draws, the whole
    # figure's in a part: a loss no run could score (no rank anywhere) is in no row, and no smoke test of it
    smoke = smoke_test(drawn_part(stats, {str(t): list(col.index[col.notna()]) for t, col in
                                          stats.task_ranks.items()}), short=True)
    some = f" (part {part[0]} of {part[1]}, rows {everyone.index(tr.index[0]) + 1}–{everyone.index(tr.index[-1]) + 1}" \
        f" of {k})" if part else ""
    # room for a title of TITLE_LINES (≈ 0.14 in a line past the first at 8 pt), not taken from the rows
    fig, ax = plt.subplots(figsize=(width, 1.0 + 0.14 * (TITLE_LINES - 1) + max(row_h * len(tr), label_in)),
                           layout="constrained")
    # a little narrower than the canvas: the title is centred on the axes; the marks' key goes under the figure
    # a loss with no restoration anywhere (every run diverged or failed) is in no row: said, as under the tables'
    # overall ranking, not left out unsaid
    lost = capped_note(not_ranked_text(stats), not_ranked_text(stats, named=False), width).rstrip(".")
    key = ". ".join(k for k in (note.lstrip("; "), lost) if k)
    key = key[:1].upper() + key[1:]  # a sentence of the caption: "Colour: rank scaled …", its own word, not a name
    title, caption, size = fit_title(fig, f"Mean rank over each task's metrics{some}", smoke, key, width=0.85 * width)
    caption_below(fig, caption)
    annot = np.array([["" if not np.isfinite(v) else f"{v:.1f}" + (f" {WORSE}" if l in flagged.get(t, ()) else "")
                       + (PARTIAL if (t == "all" and l in partial) or l in short.get(str(t), ()) else "")
                       for t, v in row.items()] for l, row in tr.iterrows()], dtype=object)
    # the scale is the possible range of a rank, 1 (best) to k losses, not the data's min–max; with
    # one loss there is nothing to compare and no colourbar
    # each cell is coloured by the number it prints: a task column's mean rank stretched from its own 1..n onto
    # 1..k (the mean of per-metric ranks each scaled to its metric's count differed from the text where a
    # task's metrics rank different losses: '2.0' coloured as 3 of 4), `all` the overall ranking's mean rank
    colour = pd.DataFrame({c: 1 + (tr[c] - 1) / max(counts.get(c, k) - 1, 1) * (k - 1) for c in tr.columns[:-1]},
                          index=tr.index)
    colour["all"] = tr["all"]
    colour = colour.where(tr.notna())
    with _first_guess_layout(), _heatmap_without_redraw():
        sns.heatmap(colour, ax=ax, cmap="viridis", annot=annot, fmt="", annot_kws={"fontsize": 7}, linewidths=0.5,
                    linecolor="white", vmin=1, vmax=max(k, 1), cbar=k > 1,
                    cbar_kws={"label": label, "shrink": 0.8, "aspect": 30, "ticks": _rank_ticks(k)})
    for i, j in zip(*np.nonzero(empty)):  # seaborn leaves a masked cell without its text
        ax.text(j + 0.5, i + 0.5, "–", ha="center", va="center", fontsize=7, color="0.35")
    if scaled and k > 1:
        ax.collections[0].colorbar.set_ticks([1, k], labels=["best", "worst"])
    ax.set_yticks(np.arange(len(tr)) + 0.5, rows, rotation=0, va="center")
    ax.set_xticks(np.arange(tr.shape[1]) + 0.5,
                  [f"{c} ({counts.get(c, k)})" if scaled else str(c) for c in tr.columns], rotation=90)
    ax.axvline(tr.shape[1] - 1, color="white", lw=2.5)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(length=0)
    ax.set_title(title, fontsize=size)
    fit_canvas(fig)
    _names_across(fig, [ax])
    fig.plb_labels, fig.plb_row_height = everyone, row_h
    return fig


def _names_across(fig, axes, room: float = 0.8) -> None:
    """Set the upright column names of heatmap ``axes`` (laid out by :func:`fit_canvas`) across their columns where
    every one takes at most ``room`` of its column's width as drawn, the figure made shorter by the height that frees
    in each row of panels that names its columns (one task's rank heatmap stood 'denoise' and 'all' upright under
    0.75-in columns, a one-metric leaderboard its metric under a 2-in one: bands of white beside them)."""
    r = fig.canvas.get_renderer()
    named = {ax: [t for t in ax.get_xticklabels() if t.get_visible() and t.get_text()] for ax in axes}
    named = {ax: names for ax, names in named.items() if names}
    if not named or any(_text_width(fig, t.get_text(), t.get_fontsize())
                        > room * ax.get_window_extent(r).width / fig.dpi / len(ax.get_xticks())
                        for ax, names in named.items() for t in names):
        return

    def bands() -> dict[float, float]:  # each row of panels (by its cells' bottom): its names' height
        out: dict[float, float] = {}
        for ax, names in named.items():
            y0 = round(ax.get_position().y0, 3)
            out[y0] = max(out.get(y0, 0.0), *(t.get_window_extent(r).height for t in names))
        return out

    upright = bands()
    for ax in named:
        ax.tick_params(axis="x", labelrotation=0)
    fig.draw_without_rendering()
    freed = sum(upright.values()) - sum(bands().values())
    w, h = fig.get_size_inches()
    fig.set_size_inches(w, h - max(0.0, freed) / fig.dpi)
    fit_canvas(fig)


def column_counts(stats: Stats) -> dict[str, int]:
    """{rank heatmap column: the losses it ranks}: per task the most losses any of its (task, metric) blocks
    ranks, and ``all``: every ranked loss."""
    r = stats.cells[stats.cells["label"] != INPUT].dropna(subset=["rank"])
    n = r.groupby(["task", "metric"])["rank"].transform("count")
    counts = {str(t): int(c) for t, c in n.groupby(r["task"]).max().items()}
    counts["all"] = int(r["label"].nunique())
    return counts


def _rank_ticks(k: int) -> list[int]:
    """Whole ranks for a colourbar from 1 (best) to ``k`` (worst), evenly spaced, at most seven: every one up to 7
    losses; else every ``s``-th from 1, ``s`` the smallest that divides ``k - 1`` into 2 to 6 gaps, so both ends the
    label names are on the bar (13: 1, 3, …, 13; 16: 1, 4, …, 16); where none does (``k - 1`` prime: 14), every
    2nd/5th/10th/… counted back from ``k`` as the CD diagram numbers its axis (14: 4, 9, 14; :func:`_numbered_ranks`).
    Was: every 2nd/5th/… from 1 with ``k`` in place of the last (13: 1, 6, 13), an uneven last gap."""
    if k <= 7:
        return list(range(1, k + 1))
    s = next((s for s in range(2, k) if (k - 1) % s == 0 and (k - 1) // s <= 6), k - 1)
    if (k - 1) // s >= 2:
        return list(range(1, k + 1, s))
    return _numbered_ranks(1, k, next(s for s in (2, 5, 10, 20, 50, 100, 1000) if (k - 1) / s <= 5))


def fitting_parts(split, tries, draw) -> list:
    """The figures of the first split that fits a page: ``split(k)`` the parts for a try ``k`` of ``tries`` (fewest
    parts first, from the count the measured whole figure suggests), ``draw(part, (i, n))`` one part's figure; a part
    drawn taller than :data:`PAGE_IN` (its "part i of n" title a line longer than the whole figure's) and the try's
    figures are dropped for the next try. The last try's figures where none fits."""
    figs, last = [], None
    for k in tries:
        parts = split(k)
        if parts == last:  # the same parts as the try before (more tries than ways to split): drawn already
            continue
        for f in figs:
            f.clear()
        figs, last = [draw(p, (i + 1, len(parts))) for i, p in enumerate(parts)], parts
        if all(f.get_size_inches()[1] <= PAGE_IN for f in figs):
            break
    return figs


def first_try(estimate: int) -> int:
    """The fewest parts :func:`fitting_parts` tries first where a figure taller than the page is split into ``k``
    balanced parts (``k`` ≥ 2): one fewer than ``estimate``, the count a page holds by the whole figure's mean row
    height rounded down, since a part drawn is measured and a part too tall is drawn again in more parts, while the
    guess only ever added parts (20 losses whose two parts of 10 rows were 3.44 in made 3 parts on a 3.44-in page)."""
    return max(2, estimate - 1)


def rank_heatmap(stats: Stats, base: Path, formats=("png", "pdf"), styles=None) -> list[Path]:
    """Write :func:`draw_rank_heatmap` and return its paths, PNG first. A figure taller than :data:`PAGE_IN` (60
    losses) is split by rows into as few balanced parts as fit (counted on the figure as drawn, :func:`fitting_parts`),
    ``base`` then ``<base>-2``, …, each on the whole figure's rank scale; parts an earlier, longer report left behind
    go with :func:`prune_figures`."""
    from benchmark.export import balanced  # the one balancing rule of every split into parts

    with style():
        fig = draw_rank_heatmap(stats, styles)
        if fig is None or fig.get_size_inches()[1] <= PAGE_IN:
            return _drawn(fig, base, formats)
        order, row_h = fig.plb_labels, fig.plb_row_height
        fixed = fig.get_size_inches()[1] - row_h * len(order)  # title, column names, colourbar: as measured
        fig.clear()
        first = math.ceil(len(order) / max(1, int((PAGE_IN - fixed) // row_h)))
        figs = fitting_parts(lambda k: balanced(order, k), range(first_try(first), len(order) + 1),
                             lambda labels, part: draw_rank_heatmap(stats, styles, labels, part))
        out = []
        for i, fig in enumerate(figs):
            out += save(fig, base if i == 0 else base.with_name(f"{base.name}-{i + 1}"), formats)
        log.info("%s in %d parts (each at most %.0f in tall)", base.name, len(figs), PAGE_IN)
        return out


def _cells(stats: Stats, task: str) -> pd.DataFrame:
    return stats.cells[stats.cells["task"] == task]


def _spread(pos: list[float], gap: float, lo: float, hi: float) -> list[float]:
    """Positions (sorted or not) moved apart to at least ``gap``, kept within [lo, hi] where they fit."""
    order = np.argsort(pos)
    out = np.asarray(pos, float)[order].copy()
    for i in range(1, len(out)):
        out[i] = max(out[i], out[i - 1] + gap)
    if len(out) and out[-1] > hi:
        out -= out[-1] - hi
        for i in range(len(out) - 2, -1, -1):
            out[i] = min(out[i], out[i + 1] - gap)
    res = np.empty_like(out)
    res[order] = np.clip(out, lo, hi) if len(out) else out
    return res.tolist()


def pareto_steps(x, y, x_higher: bool, y_higher: bool, far_x: float, far_y: float) -> tuple[np.ndarray, np.ndarray]:
    """The Pareto front of points (x, y) as a staircase: the boundary of the region they dominate,
    from ``far_x`` beyond the worst x to ``far_y`` beyond the worst y (data units), so that it shows
    even with a single point on the front."""
    sx, sy = (1.0 if x_higher else -1.0), (1.0 if y_higher else -1.0)
    bx, by = sx * np.asarray(x, float), sy * np.asarray(y, float)
    order = np.lexsort((-by, bx))
    bx, by = bx[order], by[order]
    px, py = [bx.min() - far_x], [by[0]]
    for i in range(len(bx)):
        px += [bx[i], bx[i]]
        py += [by[i], by[i + 1] if i + 1 < len(bx) else by.min() - far_y]
    return sx * np.asarray(px), sy * np.asarray(py)


#: the perception–distortion plane's key of its bars where a point rests on one run (:func:`_one_run_cells`)
BARS_ONE_RUN = "bars: 95% CI (one run: over images alone)"


def _one_run_cells(stats: Stats, drawn: dict[str, list[str] | None], metrics=None) -> bool:
    """Whether a cell the figure draws rests on one run: its 95% CI is the image-to-image spread alone, narrower than
    the uncertainty over training seeds (the notes' 'One run per cell', :func:`benchmark.export.one_run_text`), which
    a figure shown alone must say too. ``drawn``: {task: the losses drawn there (None: every one)}, ``metrics``: the
    metrics drawn (None: every one) — a cell the figure leaves out (a task with no panel, a loss with no point, a
    metric off its axes or panels) does not decide its key."""
    c = stats.cells
    if c.empty:
        return False
    c = c[(c["label"] != INPUT) & (c["n_seeds"] == 1)]
    if metrics is not None:
        c = c[c["metric"].isin(list(metrics))]
    return any(((c["task"] == t) & (c["label"].isin(list(ls)) if ls is not None else True)).any()
               for t, ls in drawn.items())


def _spots_text(groups_by_task: dict[str, list[list[str]]], named: bool) -> str:
    """The P–D plane caption's spots: ``{task: [[loss, …] per spot]}`` → "deblur: a, b / c, d; sr4: e, f" — a
    task's spots apart by " / ", tasks by "; " (the task named where the plane has several), so two spots of one
    task do not read as two tasks."""
    return "; ".join((f"{t}: " if named else "") + " / ".join(", ".join(ls) for ls in groups)
                     for t, groups in groups_by_task.items())


def capped_note(full: str, compact: str, width: float) -> str:
    """A figure's caption note naming losses (:func:`~benchmark.docmarkup.capped_text`, :data:`NOTE_LINES` lines) for a
    figure ``width`` inches wide, at 7 pt, its lines broken as its caption's. Was: every name, whatever the count: 60
    losses of 40 characters in 5 tasks made 4.3 in of names in the P–D plane's caption, which stays with the panels
    when the key goes apart (:func:`legend_apart`): a 9.7-in part 1 past the page; 40 losses not ranked made a 20-line
    caption under a 2-line CD diagram and a 41-line one under a 3-row rank heatmap."""
    return capped_text(full, compact, max(20, int(width * 72 / (0.55 * 7))),  # wrap_title's characters at 7 pt
                       lambda text, chars: _no_widow(text, _break_lines(text, chars).split("\n"), chars))


def _short_note(full: str, compact: str, width: float) -> str:
    """A P–D plane caption note (:func:`capped_note`) wrapped to a figure ``width`` inches wide at 7 pt."""
    return wrap_title(capped_note(full, compact, width), width, 7)


def _spots_note(head: str, groups_by_task: dict[str, list[list[str]]], named: bool, width: float) -> str:
    """The P–D plane caption's note ``"{head}: {spots}"`` (:func:`_short_note`): each spot's losses by name
    (:func:`_spots_text`), or each task's count of spots and losses ("deblur: 7 spots, 18 losses; …"), each loss's
    means left to the tables."""
    counts = "; ".join((f"{t}: " if named else "")
                       + f"{plural(len(gs), 'spot')}, {plural(sum(map(len, gs)), 'loss', 'losses')}"
                       for t, gs in groups_by_task.items())
    return _short_note(f"{head}: {_spots_text(groups_by_task, named)}",
                       f"{head}: {counts} (too many to name here; the tables give each loss's means)", width)


def _not_drawn_note(left_out: dict[str, list[str]], unplaced: dict[str, dict[str, list[str]]], width: float) -> str:
    """The P–D plane caption's 'Not drawn: …' note (:func:`_short_note`) of ``left_out`` ({task: metrics not
    scored}: no panel) and ``unplaced`` ({task: {why: losses}}): tasks whose losses are left out alike share one
    entry (15 names twice made a 20-line caption), each loss named, or counted where the names take more than
    :data:`NOTE_LINES` lines. Was: named whatever their number: half of 60 losses of 40 characters unscored on lpips
    in each of 5 tasks made a 20.8-in figure, its panels and caption alone past the page (no part apart held them)."""
    alike: dict[tuple, list[str]] = {}
    for t, by in unplaced.items():
        alike.setdefault(tuple(sorted((why, tuple(ls)) for why, ls in by.items())), []).append(t)
    tasks_out = [f"{t} ({' and '.join(ms)} not scored)" if ms else f"{t} (no loss scored on both)"
                 for t, ms in left_out.items()]

    def gone(name):  # each task group's losses left out, by name or counted
        return "; ".join(tasks_out + [f"{', '.join(ts)}: " + "; ".join(f"{name(ls)} ({why})" for why, ls in by)
                                      for by, ts in alike.items()])

    counted = gone(lambda ls: plural(len(ls), "loss", "losses"))
    return _short_note(f"Not drawn: {gone(', '.join)}",
                       f"Not drawn: {counted} (too many to name here; the tables show each loss's scores)", width)


def draw_pd_plane(stats: Stats, highlight: set[str] | None = None, styles=None):
    """Perception–distortion plane (see module docstring); labels in ``highlight`` are drawn as a
    star, in the plot and in the legend (the loss being compared).

    Each panel's range comes from :func:`robust_limits`, so one far-off loss does not squash the
    others: a point beyond it is drawn at the edge as a triangle pointing out, with its value. The
    degraded input is a grey cross, the Pareto front a dashed staircase (front points with a black
    rim), a loss with runs worse than the input on psnr a red ring around its point (red-edged at
    the panel's edge, ⚠ in its value, when off-scale; :func:`worse_labels`). The limits hold every
    drawn CI bar whole. Losses whose means print alike (one spot), and those whose markers it draws over each other
    as laid out (:func:`_over_each_other`), are named in the caption above the key."""
    plt = _Figures()
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    tasks = sorted(stats.cells["task"].unique()) if not stats.cells.empty else []
    dist, perc = pd_metrics(stats.cells["metric"].unique()) if tasks else (None, None)
    if not dist or not perc:
        log.info("perception-distortion plane skipped: needs a distortion and a perceptual metric "
                 "(have %s)", ", ".join(sorted(stats.cells["metric"].unique())) if tasks else "none")
        return None
    # a task with no loss scored on both metrics gets no panel (an empty slot pushed the others aside);
    # the figure names it instead
    both = {t for t, g in stats.cells[stats.cells["label"] != INPUT].groupby("task")
            if set(g.loc[g["metric"] == dist, "label"]) & set(g.loc[g["metric"] == perc, "label"])}
    left_out = {t: [m for m in (dist, perc) if m not in set(_cells(stats, t)["metric"])]
                for t in tasks if t not in both}
    tasks = [t for t in tasks if t in both]
    if not tasks:
        log.info("perception-distortion plane skipped: no task has a loss scored on both %s and %s", dist, perc)
        return None
    # a loss not scored on a plane metric, or whose cell there no run could score (every score non-finite), has no
    # point: named with every reason (both metrics where both fail); a task with no point gets no panel (a hidden
    # one left an empty slot, or, alone, a blank figure) and is named so
    drawable: dict[str, list[str]] = {}
    unplaced: dict[str, dict[str, list[str]]] = {}  # {task: {why ("lpips not scored"): losses}}: named in the caption
    for task in tasks:
        c = _cells(stats, task)
        x = c[c["metric"] == dist].set_index("label")
        y = c[c["metric"] == perc].set_index("label")
        finite = {l for l in set(x.index) & set(y.index)
                  if np.isfinite(x.loc[l, "mean"]) and np.isfinite(y.loc[l, "mean"])}
        drawable[task] = [l for l in x.index if l in finite and l != INPUT]
        for l in sorted(set(c["label"]) - finite - {INPUT}):
            lacks = [m for m, frame in ((dist, x), (perc, y)) if l not in frame.index]
            nan = [m for m, frame in ((dist, x), (perc, y))
                   if l in frame.index and not np.isfinite(frame.loc[l, "mean"])]
            why = ", ".join([f"{' and '.join(lacks)} not scored"] * bool(lacks)
                            + [f"no finite {' or '.join(nan)} score"] * bool(nan))
            unplaced.setdefault(task, {}).setdefault(why, []).append(l)
        for l, status in sorted(lost_labels(stats, task).items()):
            unplaced.setdefault(task, {}).setdefault(status, []).append(l)
    tasks = [t for t in tasks if drawable[t]]
    if not tasks:
        log.info("perception-distortion plane skipped: no loss has a finite %s and %s score", dist, perc)
        return None
    styles = styles or stats_styles(stats)
    higher = stats.higher()
    highlight = set(highlight or ())
    rows, cols = _grid(len(tasks))
    all_labels = sorted(set(stats.cells["label"]) - {INPUT})
    one = len(tasks) == 1  # one panel (as `plbench compare` draws it): one column of a paper wide, its text 7–8 pt
    # the legend's own entries (drawn below): their length decides its columns, so its height, and, for many long
    # names, the figure's width
    # a one-run point's bars are the image-to-image spread alone (no run-to-run spread): said, as the notes say it —
    # of the points drawn (their two metrics), not of a task, loss or metric the plane leaves out
    bars = BARS_ONE_RUN if _one_run_cells(stats, {t: drawable[t] for t in tasks}, (dist, perc)) else "bars: 95% CI"
    c = stats.cells
    any_circular = "circular" in c.columns and bool(
        c.loc[c["metric"].isin([dist, perc]) & c["circular"].astype(bool), ["task", "label"]]
        .apply(lambda r: r["task"] in drawable and r["label"] in drawable[r["task"]], axis=1).any())
    keys = [bars, "Pareto front (black rim)", "degraded input", "off-scale (value shown)"] + \
        [f"worse than the input on {WORSE_METRIC}"] * any(worse_labels(stats, t) for t in tasks) + \
        [CIRCULAR_KEY] * any_circular
    width = legend_width(COL1 if one else min(COL2, 2.4 * cols), all_labels, keys)
    fig, axes = plt.subplots(rows, cols, figsize=(width, (2.9 if one else 2.3) * rows + 0.8 +
                                                  _legend_height(width, all_labels, keys)),
                             squeeze=False, layout="constrained")
    shown: list[str] = []
    flags = {"input": False, "worse": False, "off": False, "circular": False}
    together: dict[str, list[list[str]]] = {}  # {task: [losses drawn on one spot]}: named in the caption
    marked: dict = {}  # {task: (panel, [(loss, x, y, marker area in pt²)])}: points drawn in range (_over_each_other)
    for ax, task in zip(axes.flat, tasks):
        c = _cells(stats, task)
        x = c[c["metric"] == dist].set_index("label")
        y = c[c["metric"] == perc].set_index("label")
        labels = drawable[task]
        # losses whose means print alike (the tables' decimals) share a spot, the last marker over the others
        from benchmark.export import metric_decimals  # as the task tables print them: the column's decimals

        dx, dy = metric_decimals(stats, task, dist), metric_decimals(stats, task, perc)
        spots: dict[tuple[str, str], list[str]] = {}
        for l in labels:
            spots.setdefault((f"{x.loc[l, 'mean']:.{dx}f}", f"{y.loc[l, 'mean']:.{dy}f}"), []).append(l)
        if any(len(ls) > 1 for ls in spots.values()):
            together[task] = [ls for ls in spots.values() if len(ls) > 1]
        pts = labels + [INPUT] * (INPUT in x.index and INPUT in y.index)
        flags["input"] |= INPUT in pts
        X, Y = x.loc[pts], y.loc[pts]
        ref = np.array([l == INPUT for l in pts])
        # the limits hold every drawn bar whole (the input has none)
        xlim = robust_limits(X["mean"], X["ci_low"].where(~ref), X["ci_high"].where(~ref), reference=ref)
        ylim = robust_limits(Y["mean"], Y["ci_low"].where(~ref), Y["ci_high"].where(~ref), reference=ref)
        ax.set_xlim(xlim)
        ax.set_ylim(ylim if higher[perc] else ylim[::-1])  # better is up
        # each CI bar from its low end to its high end, as the tables print it: an errorbar's offsets from the mean
        # raised ValueError ('yerr' must not contain negative values) on a CI that does not hold its mean (a one-seed
        # percentile bootstrap of a few images; a mean above the metric's range, where the CI is cut at it)
        for l in labels:
            bar = {"colors": styles[l].color, "linewidths": 0.5, "alpha": 0.35, "zorder": 2}
            ax.hlines(Y.loc[l, "mean"], X.loc[l, "ci_low"], X.loc[l, "ci_high"], **bar)
            ax.vlines(X.loc[l, "mean"], Y.loc[l, "ci_low"], Y.loc[l, "ci_high"], **bar)
        front = pareto_front(X.loc[labels, "mean"].to_numpy(), Y.loc[labels, "mean"].to_numpy(), higher[dist],
                             higher[perc])
        fl = [l for l, on in zip(labels, front) if on]
        px, py = pareto_steps(X.loc[fl, "mean"], Y.loc[fl, "mean"], higher[dist], higher[perc],
                              10 * (xlim[1] - xlim[0]), 10 * (ylim[1] - ylim[0]))
        ax.plot(px, py, color="0.15", lw=0.9, ls=(0, (4, 2)), zorder=3)  # clipped to the panel
        worse = worse_labels(stats, task)
        # a loss trained on an axis's metric (the tables' †): ringed, as metrics_<task>.png rings it
        circular = {l for l in labels if any(bool(f.loc[l, "circular"]) for f in (X, Y) if "circular" in f.columns)}
        off: dict[str, list] = {}
        for l in pts:
            xm, ym = float(X.loc[l, "mean"]), float(Y.loc[l, "mean"])
            xc, yc = min(max(xm, xlim[0]), xlim[1]), min(max(ym, ylim[0]), ylim[1])
            colour = styles.get(l, styles[INPUT]).color
            if (xc, yc) != (xm, ym):
                flags["off"] = True
                if xc != xm:
                    edge, marker = ("left", "<") if xm < xlim[0] else ("right", ">")
                else:
                    edge = "bottom" if (ym < ylim[0]) == higher[perc] else "top"
                    marker = "v" if edge == "bottom" else "^"
                ax.scatter([xc], [yc], s=22, marker=marker, color=colour,
                           edgecolor=WORSE_COLOUR if l in worse else "k", linewidth=1.0 if l in worse else 0.4,
                           clip_on=False, zorder=5)
                # the value(s) beyond the range: both, as "x, y", when the point is off-scale on both axes
                xs, ys = f"{xm:.{dx}f}", f"{ym:.{dy}f}"
                value = f"{xs}, {ys}" if xc != xm and yc != ym else xs if xc != xm else ys
                off.setdefault(edge, []).append((l, xc, yc, value))
            elif l == INPUT:
                ax.scatter([xm], [ym], s=30, marker="X", color=INPUT_COLOUR, edgecolor="k", linewidth=0.4, zorder=8,
                           alpha=INPUT_ALPHA, gid=INPUT_GID)
            else:
                on = l in fl
                star = l in highlight
                area = 80 if star else (24 if on else 14)  # pt², as drawn and as _over_each_other measures it
                marked.setdefault(task, (ax, []))[1].append((l, xm, ym, area))
                if star or styles[l].fill == "full":
                    ax.scatter([xm], [ym], s=area,
                               marker="*" if star else styles[l].marker, color=colour, edgecolor="k",
                               linewidth=0.9 if on else 0.3, zorder=6 if star else 4 + on)
                else:  # a half-filled marker (scatter draws the filled half alone): its outline in its colour,
                    # a front point's black
                    ax.plot([xm], [ym], ls="none", marker=styles[l].marker, ms=math.sqrt(area),
                            **{**_half(styles[l]), **({"markeredgecolor": "k"} if on else {})},
                            markeredgewidth=0.9 if on else 0.6, zorder=4 + on)
            if l in worse:
                flags["worse"] = True
            if l in circular:
                flags["circular"] = True
            if l in circular and (xc, yc) == (xm, ym):  # off-scale: † in its value
                ax.scatter([xm], [ym], s=CIRCULAR_RING * (2 if l in highlight else 1), marker="o",
                           facecolors="none", edgecolors="0.15", linewidths=0.7, zorder=7, gid=CIRCULAR_GID)
            if l in worse and (xc, yc) == (xm, ym):  # a red ring on the point itself (off-scale: ⚠ in its value)
                ax.scatter([xm], [ym], s=WORSE_RING * (2 if l in highlight else 1), marker="o", facecolors="none",
                           edgecolors=WORSE_COLOUR, linewidths=1.1, zorder=7, gid=WORSE_GID)
        # each value names its loss: a triangle has its colour only (two losses of one colour beyond 10 labels)
        # and the values of several stand apart from their triangles, which may share a spot
        gone = [l for items in off.values() for l, *_ in items if l != INPUT]
        named = dict(zip(gone, wrap_labels(gone, 22, 1, also=all_labels)))
        texts = {l: ("input " if l == INPUT else f"{named[l]}: ") + value + " †" * (l in circular)
                 + (f" {WORSE}" if l in worse else "")
                 for items in off.values() for l, _, _, value in items}
        # a text's width as a fraction of the panel's (5.5 pt characters about 0.55 em wide)
        span = {l: len(t) * 0.55 * 5.5 / 72 / (ax.get_position().width * width) for l, t in texts.items()}
        corner: dict[str, list[tuple[float, float]]] = {"bottom": [], "top": []}  # a side's text by a corner
        for edge in sorted(off, key=lambda e: e in ("bottom", "top")):  # the sides first
            items = off[edge]
            if edge in ("left", "right"):  # stacked along the edge
                placed = _spread([yc for _, _, yc, _ in items], 0.09 * (ylim[1] - ylim[0]),
                                 ylim[0] + 0.04 * (ylim[1] - ylim[0]), ylim[1] - 0.04 * (ylim[1] - ylim[0]))
                spots = [((xc, p), 0) for (_, xc, _, _), p in zip(items, placed)]
                for (l, *_), p in zip(items, placed):
                    up = (p - ylim[0]) / (ylim[1] - ylim[0])
                    up = up if higher[perc] else 1 - up  # from the panel's bottom, whichever way the axis runs
                    lo = 0.0 if edge == "left" else 1 - span[l]
                    if up < 0.12 or up > 0.88:
                        corner["bottom" if up < 0.12 else "top"].append((lo, lo + span[l]))
            else:  # side by side, a text that would touch its neighbour (or a side's by the corner) one line further in
                levels: list[list[tuple[float, float]]] = [list(corner[edge])]
                spots = []
                for l, xc, yc, _ in items:
                    mid = (xc - xlim[0]) / (xlim[1] - xlim[0])
                    # centred on its triangle, but kept within the panel: by the left or right edge it ran over
                    # the axis's tick labels or out of the panel
                    half = min(span[l], 0.96) / 2
                    centre = min(max(mid, 0.02 + half), 0.98 - half)
                    own = (centre - max(span[l], 0.35) / 2, centre + max(span[l], 0.35) / 2)
                    k = next((i for i, xs in enumerate(levels) if all(own[1] + 0.02 < a or b + 0.02 < own[0]
                                                                     for a, b in xs)), len(levels))
                    levels += [[]] * (k == len(levels))
                    levels[k] = levels[k] + [own]
                    spots.append(((centre, yc), k))  # x as a fraction of the panel: it holds through the layout
            for (l, _, _, _), (pos, level) in zip(items, spots):
                ox, oy = {"left": (5, 0), "right": (-5, 0), "bottom": (0, 4 + 7 * level),
                          "top": (0, -4 - 7 * level)}[edge]  # offsets on the page, whichever way the axis runs
                ax.annotate(texts[l], pos, xytext=(ox, oy), textcoords="offset points", fontsize=5.5,
                            xycoords=("axes fraction", "data") if edge in ("bottom", "top") else "data",
                            color=WORSE_COLOUR if l in worse else "0.25", annotation_clip=False,
                            ha={"left": "left", "right": "right"}.get(edge, "center"),
                            va={"bottom": "bottom", "top": "top"}.get(edge, "center"))
        shown += [l for l in labels if l not in shown]
        ax.set_xlabel(f"{metric_name(dist)} {_arrow(higher[dist])} (distortion)")
        ax.set_ylabel(_wrap(f"{metric_name(perc)} (perception)", 40))
        _upright_ylabel_arrow(ax, _arrow(higher[perc]))
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.yaxis.set_major_locator(MaxNLocator(5))
        ax.set_title(task_title(task, width / cols))
    for ax in list(axes.flat)[len(tasks):]:
        ax.remove()
    w = fig.get_size_inches()[0]
    chars = max(20, int(w * 72 / (0.55 * 8)))
    axes_text = (f"perception = {short_metric(perc)} {_arrow(higher[perc])}, distortion = "
                 f"{short_metric(dist)} {_arrow(higher[dist])}")
    head = f"Perception–distortion plane: {axes_text}"
    if len(head) + 25 <= chars:
        head += " (better: right and up)"
    elif len(head) > chars:  # one column wide: the short name keeps it on one line (the axes say the rest)
        head = f"P–D plane: {axes_text}"
    # the title on at most 2 lines as drawn, as every figure's: a smoke line's reasons open the caption above the key;
    # it counts the points drawn (a loss not placed, a task with no panel, a third metric is no smoke test of it)
    smoke = smoke_test(drawn_part(stats, {t: drawable[t] for t in tasks}, (dist, perc)), short=True)
    title, caption, size = fit_title(fig, head, smoke)
    fig.suptitle(title, fontsize=size)
    fig.plb_name = f"Perception–distortion plane ({axes_text})"  # its key's title, drawn apart (legend_apart)
    if left_out or unplaced:
        note = _not_drawn_note(left_out, unplaced, w)
        caption = f"{caption}\n{note}" if caption else note
    if together:  # one marker shows where several losses are: each is named
        note = _spots_note("Drawn on one spot (equal means as the tables print them)", together, len(tasks) > 1, w)
        caption = f"{caption}\n{note}" if caption else note
    grey = "0.35"
    extra = [(Line2D([], [], color=grey, lw=0.6, alpha=0.6), bars),
             (Line2D([], [], color="0.15", lw=0.9, ls=(0, (4, 2)), marker="o", mfc="white", mec="k", mew=0.9, ms=4),
              "Pareto front (black rim)")]
    if flags["input"]:
        extra.append((Line2D([], [], ls="none", marker="X", color=INPUT_COLOUR, mec="k", mew=0.4, ms=5,
                             alpha=INPUT_ALPHA),
                      "degraded input"))
    if flags["worse"]:
        extra.append((Line2D([], [], ls="none", marker="o", mfc="none", mec=WORSE_COLOUR, mew=1.1,
                             ms=math.sqrt(WORSE_RING)), f"worse than the input on {WORSE_METRIC}"))
    if flags["off"]:
        extra.append((Line2D([], [], ls="none", marker=">", color=grey, ms=4), "off-scale (value shown)"))
    if flags["circular"]:
        extra.append((Line2D([], [], ls="none", marker="o", mfc="none", mec="0.15", mew=0.7,
                             ms=math.sqrt(CIRCULAR_RING)), CIRCULAR_KEY))
    _legend(fig, sorted(shown, key=list(styles).index), styles, markers={l: "*" for l in highlight if l in shown},
            extra=extra, title=caption, fill=True,
            also=[l for by in unplaced.values() for ls in by.values() for l in ls]
            + [l for gs in together.values() for ls in gs for l in ls])
    fit_canvas(fig, min_axes=(1.5, 1.5))
    if one:
        _panel_aspect(fig, axes.flat[0], PD_ASPECT)
    # means apart as printed may still be drawn on top of each other (a loss's marker hid another's, while the caption
    # named the spot by the losses under it): measured as laid out, each such group is named too
    over = _over_each_other(fig, marked, together)
    if over:
        note = _spots_note("Drawn over each other (means closer than a marker as drawn)", over, len(tasks) > 1,
                           fig.get_size_inches()[0])
        caption = f"{caption}\n{note}" if caption else note
        fig.legends[-1].set_title(caption)
        fig.plb_legend = (*fig.plb_legend[:3], caption)
        fit_canvas(fig, min_axes=(1.5, 1.5))
        if one:
            _panel_aspect(fig, axes.flat[0], PD_ASPECT)
    return fig


#: a one-panel P–D plane's height ÷ its width: not a wide strip across the key's width
PD_ASPECT = 0.85


def _panel_aspect(fig, ax, aspect: float, tries: int = 4) -> None:
    """``fig`` (laid out by :func:`fit_canvas`) made as tall as gives panel ``ax`` ``aspect`` (its height ÷ its width)
    in its constrained layout, as far as the figure stays within :data:`PAGE_IN` (one past it already keeps its
    panel, and its key goes apart where that is what takes it past: :func:`legend_apart`). Was: the panel's box
    aspect fixed in a figure of a guessed height, so the layout centred it in a taller slot: bands of white above
    and below it (one task's P–D plane: 0.3 in under the title); then, uncapped, a one-task plane widened to the
    page for the key of 60 long names got a 6.6 × 5.7-in panel over its 4.7-in key, an 11.4-in figure."""
    for _ in range(tries):
        w, h = fig.get_size_inches()
        pos = ax.get_position()
        short = min(aspect * pos.width * w - pos.height * h, max(0.0, PAGE_IN - h))
        if abs(short) <= 0.01:
            return
        fig.set_size_inches(w, h + short)
        fit_canvas(fig, min_axes=(1.5, 1.5))


def _over_each_other(fig, marked: dict, named: dict) -> dict:
    """{task: [[losses]]} of :func:`draw_pd_plane`'s points drawn over each other as ``fig`` is laid out: a point
    whose centre is within half the larger marker's width of another's (``marked`` = {task: (panel, [(loss, x, y,
    marker area in pt²)])}), grouped transitively, in drawing order; a group within one of ``named``'s groups of its
    task (one spot as printed, already named) left out."""
    out = {}
    for task, (ax, pts) in marked.items():
        xy = ax.transData.transform([(x, y) for _, x, y, _ in pts])
        width = [math.sqrt(a) * fig.dpi / 72 for *_, a in pts]
        group = list(range(len(pts)))

        def root(i, group=group):
            while group[i] != i:
                i = group[i]
            return i

        for i in range(len(pts)):
            for j in range(i):
                if math.dist(xy[i], xy[j]) < max(width[i], width[j]) / 2:
                    group[root(i)] = root(j)
        groups: dict[int, list[str]] = {}
        for i, (l, *_) in enumerate(pts):
            groups.setdefault(root(i), []).append(l)
        spots = [set(g) for g in named.get(task, [])]
        found = [ls for ls in groups.values() if len(ls) > 1 and not any(set(ls) <= g for g in spots)]
        if found:
            out[task] = found
    return out


def pd_plane(stats: Stats, base: Path, formats=("png", "pdf"), highlight: set[str] | None = None,
             styles=None) -> list[Path]:
    with style():
        fig = draw_pd_plane(stats, highlight, styles)
        return _drawn(fig, base, formats, key=True)


def points_order(stats: Stats, task: str) -> list[str]:
    """The rows of :func:`draw_metric_points` for ``task``, top down: the task table's (by mean rank, ties by name, a
    loss ranked over fewer metrics, one not scored for its runs, after the others: :func:`benchmark.export.task_frame`;
    by its rank alone it sat among them, the table beside it listing it last), then the losses whose every run
    diverged or failed (:func:`lost_labels`), the input last."""
    from benchmark.export import task_frame

    order = [lab for lab in task_frame(stats, task)[2] if lab != INPUT]
    lost = lost_labels(stats, task)  # rows of their status after the ranked losses, as in the task table
    present = set(stats.cells.loc[stats.cells["task"] == task, "label"]) if not stats.cells.empty else set()
    return order + sorted(set(lost) - set(order), key=name_key) + [INPUT] * (INPUT in present)


def draw_metric_points(stats: Stats, task: str, styles=None, metrics: list[str] | None = None,
                       part: tuple[int, int] | None = None, labels: list[str] | None = None,
                       xlims: dict[str, tuple[float, float]] | None = None):
    """Per-metric point plots with 95% CIs for one task (see module docstring); ``metrics``: only
    these panels (a part of a longer figure: the loss order stays the whole task's), ``part``: (i, n)
    for "part i of n" in the title; ``labels``: only these loss rows, and ``input`` (a part of a task too
    long for a page), each panel's x range from ``xlims`` ({metric: range}, the whole figure's). The figure
    records its panels (``plb_metrics``), grid (``plb_rows`` × ``plb_columns``), one panel row's height in
    inches (``plb_panel_height``), its loss rows (``plb_labels``, the input's last) and x ranges (``plb_xlims``)."""
    plt = _Figures()
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    c = _cells(stats, task)
    if c.empty:
        return None
    styles = styles or stats_styles(stats)
    metrics = [m for m in metric_order(c["metric"].unique()) if metrics is None or m in metrics]
    order, lost = points_order(stats, task), lost_labels(stats, task)
    losses = [lab for lab in order if lab != INPUT]
    if labels is not None:  # a part's rows; the title says which
        order = [lab for lab in order if lab in set(labels) or lab == INPUT]
        c = c[c["label"].isin(order)]
        mine = [lab for lab in order if lab != INPUT]
        part_rows = f", rows {losses.index(mine[0]) + 1}–{losses.index(mine[-1]) + 1} of {len(losses)}" if mine else ""
    else:
        part_rows = ""
    worse = worse_labels(stats, task)
    ticks = wrap_labels([l + (f" {WORSE}" if l in worse else "") for l in order], 34)
    # each loss row as tall as its own wrapped label plus a gap (inches), so one long label does not
    # double the height of every row; positions in units of a one-line row
    heights = [0.05 + 0.125 * _lines(t) for t in ticks]
    span = sum(heights)  # inches of loss rows per panel
    rows, cols = _grid(len(metrics), 4)
    height = 0.8 + (span + 0.55) * rows
    fig, axes = plt.subplots(rows, cols, figsize=(min(COL2, 1.7 * cols + 1.6), height), squeeze=False, sharey=True,
                             layout="constrained")
    unit = 0.05 + 0.125  # a one-line row (inches): one y unit; row centres at 0, 1, … when all are one line
    ypos = {l: float((np.sum(heights[:i]) + heights[i] / 2) / unit - 0.5) for i, l in enumerate(order)}
    tested_any = circular_any = untested_any = False
    for ax, m in zip(axes.flat, metrics):
        g = c[c["metric"] == m]
        y = g["label"].map(ypos).to_numpy(float)
        colours = [styles.get(l, styles[INPUT]).color for l in g["label"]]
        ax.hlines(y, g["ci_low"], g["ci_high"], colors=colours, lw=0.8)  # one call per panel: fast
        # hollow only where a test found the loss worse than the best; with too few runs nothing is tested
        is_input = (g["label"] == INPUT).to_numpy()
        tested = np.isfinite(g["p_best_adj"].to_numpy(float)) & ~is_input
        tested_any |= bool(tested.any())
        # filled as the top group, never tested (too few runs): the legend must not call it "not significantly worse"
        # (a cell no run could score, n_seeds 0, is a missing score: "no finite score", not too few runs)
        n_runs = g["n_seeds"].to_numpy(float)
        untested_any |= bool((~is_input & ~tested & ~g["top_group"].to_numpy(bool) & (n_runs > 0)
                              & (n_runs < MIN_RUNS)).any())
        circular_any |= bool((g["circular"].to_numpy(bool) & ~is_input).any())
        hollow = tested & ~g["top_group"].to_numpy(bool)
        circ = g["circular"].to_numpy(bool) & ~is_input
        markers = np.array([styles.get(l, styles[INPUT]).marker for l in g["label"]])
        for marker in dict.fromkeys(markers):  # each loss its own marker, as in every figure
            for filled in (True, False):
                k = (markers == marker) & (hollow != filled)
                if k.any():
                    cs = [colours[i] for i in np.flatnonzero(k)]
                    ax.scatter(g["mean"].to_numpy()[k], y[k], s=22 if marker == "X" else 14, marker=marker,
                               c=cs if filled else "white", edgecolors=cs, linewidths=0.9, zorder=3)
        if circ.any():  # a circular cell: a dark ring around its point
            ax.scatter(g["mean"].to_numpy()[circ], y[circ], s=CIRCULAR_RING, marker="o", facecolors="none",
                       edgecolors="0.15", linewidths=0.7, zorder=4, gid=CIRCULAR_GID)
        ax.set_title(_wrap(f"{metric_name(m)} {_arrow(bool(g['higher_is_better'].iloc[0]))}", 22))
        ax.set_yticks([ypos[l] for l in order], ticks)
        nan = set(g.loc[g["mean"].isna(), "label"])  # a cell no run could score: every score non-finite
        drawn = set(g["label"])
        for l in [l for l in order if l not in drawn or l in nan]:  # an empty row says why, as the "–"
            why = "no finite score" if l in nan else lost.get(l, "not scored")  # of the tables and their notes
            ax.text(0.5, ypos[l], why, transform=ax.get_yaxis_transform(), ha="center",
                    va="center",
                    fontsize=6, color="0.45", fontstyle="italic")
        for tick, label in zip(ax.get_yticklabels(), order):
            if label in worse:
                tick.set_color(WORSE_COLOUR)
        if np.isfinite(g["mean"].to_numpy(float)).any():
            ax.xaxis.set_major_locator(MaxNLocator(3))
            ax.grid(axis="x", lw=0.3, alpha=0.5)
        else:  # no score at all: no scale (matplotlib's range for no data read as 0.04, 0.00, −0.04 of the metric)
            ax.set_xticks([])
        ax.set_ylim(span / unit - 0.5, -0.5)
        if xlims and m in xlims:  # a part of a longer figure: the whole figure's range
            ax.set_xlim(*xlims[m])
        if not bool(g["higher_is_better"].iloc[0]):  # better on the right in every panel, as the title says
            ax.invert_xaxis()
    for ax in list(axes.flat)[len(metrics):]:
        ax.remove()
    w = fig.get_size_inches()[0]
    # runs not shown converged (or too few): said on the figure, as the other ranking figures say it, for it is often
    # shown alone; too few runs for any test are said by its key ("not tested: …") instead, not twice
    smoke = smoke_test(stats, short=True, runs=tested_any, task=task)
    title, caption, size = fit_title(fig, f"{task}: mean and 95% CI per metric" + (
        f" (part {part[0]} of {part[1]}{part_rows})" if part else "") + "; better: right", smoke)
    fig.suptitle(title, fontsize=size)
    fig.plb_metrics, fig.plb_rows, fig.plb_columns, fig.plb_panel_height = metrics, rows, cols, span + 0.55
    fig.plb_labels = order
    fig.plb_xlims = {m: tuple(sorted(ax.get_xlim())) for ax, m in zip(axes.flat, metrics)}
    dot = dict(color="0.2", ls="none", ms=4)
    if tested_any:
        proxies = [(Line2D([], [], marker="o", **dot), "filled: not significantly worse than another" + (
                       f", or too few runs to be tested (a test needs ≥ {MIN_RUNS})" if untested_any else "")),
                   (Line2D([], [], marker="o", mfc="white", **dot), "hollow: significantly worse")]
    else:
        from benchmark.export import lone_losses

        runs = scored_cells(c)["n_seeds"]  # a cell none could score: not 0 runs
        n = int(runs.min()) if not runs.empty else 0
        # the one loss of its task has none to be tested against, whatever its runs (the notes' lone_text): "5 runs
        # per loss, a test needs ≥ 5" blamed runs it had; with the runs and other losses, the notes say why
        why = ("one loss, no other to test it against" if task in lone_losses(stats) else
               f"{plural(n, 'run')} per loss, a test needs ≥ {MIN_RUNS}" if n < MIN_RUNS else
               "no pair of losses testable (the leaderboard's notes say why)")
        proxies = [(Line2D([], [], marker="o", **dot), f"not tested: {why}")]
    if _one_run_cells(stats, {task: labels}, metrics):  # its bars leave the run-to-run spread out: said (its panels)
        proxies.append((Line2D([], [], color="0.35", lw=0.8), "bars of a one-run cell: over images alone"))
    if circular_any:
        proxies.append((Line2D([], [], marker="o", ls="none", mfc="none", mec="0.15", mew=0.7,
                               ms=math.sqrt(CIRCULAR_RING)), "ringed: circular (trained on this metric)"))
    if INPUT in ypos:
        proxies.append((Line2D([], [], marker="X", color=INPUT_COLOUR, ls="none", ms=5),
                        "grey cross: the degraded input (not tested)"))
    if worse:
        proxies.append((Line2D([], [], marker=worse_marker(), color=WORSE_COLOUR, ls="none", ms=6, gid=WORSE_GID),
                        f"worse than the input on {WORSE_METRIC}"))
    fig.legend([h for h, _ in proxies], [t for _, t in proxies], loc="outside lower center",
               ncol=1 if w < 5 else 2, frameon=False, title=caption or None)
    fit_canvas(fig, min_axes=(1.0, span))
    return fig


def metric_points(stats: Stats, task: str, base: Path, formats=("png", "pdf"), styles=None) -> list[Path]:
    """Write :func:`draw_metric_points` and return its paths, PNG first. A figure taller than :data:`PAGE_IN`
    (many losses × many metrics) is split by rows of metric panels into as few parts as fit it (counted on the figure
    as drawn, :func:`fitting_parts`), ``base`` then ``<base>-2``, …, balanced, every part with the whole figure's
    loss order, its own legend and "part i of n" in its title; where one panel row is taller than a page (60
    losses), each panel row's losses are split too, into balanced parts, each with the input row and the whole
    figure's x ranges.
    The paths are part by part. Parts an earlier, longer report left behind go with :func:`prune_figures`."""
    from benchmark.export import balanced  # the one balancing rule of every split into parts

    with style():
        fig = draw_metric_points(stats, task, styles)
        if fig is None or fig.get_size_inches()[1] <= PAGE_IN:
            return _drawn(fig, base, formats)
        metrics, cols, rows, panel = fig.plb_metrics, fig.plb_columns, fig.plb_rows, fig.plb_panel_height
        fixed = fig.get_size_inches()[1] - rows * panel  # title, legend: as measured
        order, xlims = fig.plb_labels, fig.plb_xlims
        fig.clear()
        if panel + fixed <= PAGE_IN:  # whole panel rows fit a page (so there are several): as many as fit, balanced
            first = math.ceil(rows / max(1, int((PAGE_IN - fixed) // panel)))
            splits = (lambda n: [(g, None) for g in balanced(metrics, n, cols)]), range(first_try(first), rows + 1)
        else:  # a panel row taller than a page: its loss rows in balanced parts, one panel row a part
            losses = [lab for lab in order if lab != INPUT]
            row_in = (panel - 0.55) / max(1, len(order))  # the mean height of a loss row
            fit = max(1, int((PAGE_IN - fixed - 0.55) // row_in) - (INPUT in order))
            splits = (lambda k: [(metrics[i:i + cols], labels) for i in range(0, len(metrics), cols)
                                 for labels in balanced(losses, k)]), range(first_try(math.ceil(len(losses) / fit)),
                                                                             len(losses) + 1)
        parts = fitting_parts(*splits, lambda p, part: draw_metric_points(stats, task, styles, p[0], part, p[1],
                                                                          xlims))
        out = []
        for i, fig in enumerate(parts):
            out += save(fig, base if i == 0 else base.with_name(f"{base.name}-{i + 1}"), formats)
        log.info("%s in %d parts (each at most %.0f in tall)", base.name, len(parts), PAGE_IN)
        return out


def _cd_groups(vals: np.ndarray, cd: float) -> list[tuple[int, int]]:
    """Maximal runs of consecutive losses whose mean ranks lie within the CD of each other: a pair is
    significantly different only when its mean ranks differ by more than the CD
    (:func:`benchmark.stats._run_permutation`), so a gap equal to it (exact copies: every gap and the
    CD 0) is joined."""
    groups = []
    k = len(vals)
    tol = 1e-9 * max(1.0, float(np.max(np.abs(vals)))) if k else 0.0  # mean ranks of runs: sums of floats
    for i in range(k):
        j = i
        while j + 1 < k and vals[j + 1] - vals[i] <= cd + tol:
            j += 1
        if j > i and not any(a <= i and j <= b for a, b in groups):
            groups.append((i, j))
    return groups


#: the widths (characters) the CD diagram wraps its labels at, the first whose figure fits a page (:data:`PAGE_IN`)
CD_WRAPS = (30, 38, 46)
#: the gap (points) between a CD diagram's connector and its loss label: more than a marker's radius (2 pt)
CD_LABEL_GAP = 4.0
#: inches between the vertical lines of losses tied on a mean rank (or nearer than this on the axis) in the CD diagram
CD_TIE_IN = 0.04


def draw_cd_diagram(stats: Stats, styles=None):
    """Critical-difference summary over (task, metric) blocks (see module docstring).

    Vertical positions are in inches (labels one row each, rows as tall as their wrapped lines),
    so labels never overlap however many losses there are; tick numbers are thinned to every
    2nd/5th/… rank when the axis is too short for all of them. Labels are wrapped at 30 characters, or wider
    (:data:`CD_WRAPS`) where that is what keeps the figure within a page: 60 losses of 40 characters took two lines
    each, a 10.4-in figure, and take one (the rank axis narrower)."""
    fig = None
    for wrap in CD_WRAPS:
        if fig is not None:
            fig.clear()
        fig = _draw_cd_diagram(stats, styles, wrap)
        if fig is None or fig.get_size_inches()[1] <= PAGE_IN:
            break
    return fig


def _draw_cd_diagram(stats: Stats, styles, wrap: int):
    """:func:`draw_cd_diagram` with its labels wrapped at ``wrap`` characters."""
    plt = _Figures()

    f = stats.friedman
    if "ranks" not in f:
        log.info("critical-difference diagram skipped: %s", f.get("reason", "no Friedman test"))
        return None
    from benchmark.export import (
        TOO_MANY_BLOCKS,
        _too_few_for_friedman,
        friedman_left_blocks,
        friedman_p_text,
        images_of,
        not_ranked_text,
        runs_dropped_text,
        runs_left_text,
        short_runs_who,
    )

    styles = styles or stats_styles(stats)
    ranks = pd.Series(f["ranks"])
    ranks = ranks[rank_order(ranks)]  # ties by name, as the tables
    k, cd = len(ranks), f["cd"]
    vals = ranks.to_numpy()
    few = _too_few_for_friedman(stats)  # fewer runs per loss than a verdict needs: the mean ranks are descriptive
    why = (f"{short_runs_who(stats, few)}, nothing tested (a verdict needs ≥ {MIN_RUNS})" if few is not None else
           f"{f['descriptive']}, nothing tested" if f.get("descriptive") else None)
    groups = [] if why is not None else _cd_groups(vals, cd)
    half = math.ceil(k / 2)
    texts = []
    # the rank stays whole, on the label's last line when it fits
    for r, t in zip(ranks.to_numpy(), wrap_labels(ranks.index, wrap)):
        last = t.split("\n")[-1]
        texts.append(t + (f" ({r:.2f})" if len(last) + 7 <= wrap + 2 else f"\n({r:.2f})"))
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
    # a left and a right loss tied on one rank, at one height, drew their markers on one point (the second hid the
    # first): the right column then starts half a row lower, its corners between the left's
    corners = {(round(ypos[i], 3), round(vals[i], 2)) for i in range(half)}
    if any((round(ypos[i], 3), round(vals[i], 2)) in corners for i in range(half, k)):
        shift = min(heights) / 2
        ypos[half:] = [y - shift for y in ypos[half:]]
        right_y -= shift
    bottom = min(left_y, right_y) - 0.05
    top = 0.75 if why is None else 0.35  # above the rank numbers, room for the CD bar only where it is drawn
    fig, ax = plt.subplots(figsize=(COL2, top - bottom + 0.5), layout="constrained")
    lo, hi = 1, max(k, math.ceil(vals.max()))
    ax.set_xlim(lo - 0.3, hi + 0.3)
    ax.set_ylim(bottom, top)
    ax.hlines(0, lo, hi, color="k", lw=0.8)
    connectors = []  # each loss's line, set apart from a tied loss's once the axis's width is known (_spread_ties)
    for i, (label, r) in enumerate(ranks.items()):
        left = i < half
        xe = lo - 0.25 if left else hi + 0.25
        st = styles.get(label, styles[INPUT])  # its whole style, marker at the corner: 10 colours repeat beyond 10
        connectors += ax.plot([r, r, xe], [0, ypos[i], ypos[i]], color=st.color, lw=0.8, ls=st.linestyle,
                              marker=st.marker, markevery=[1], ms=4, mew=0.8, **_half(st))
        # the label CD_LABEL_GAP points past the connector's end, whatever a rank's width: 0.05 rank apart, a 60-loss
        # axis drew the first and last losses' markers (at 1 and 60) on their labels' first letters
        ax.annotate(texts[i], (xe, ypos[i]), xytext=(-CD_LABEL_GAP if left else CD_LABEL_GAP, 0),
                    textcoords="offset points", ha="right" if left else "left", va="center", fontsize=7,
                    annotation_clip=False, linespacing=1.0)
    for n, (a, b) in enumerate(groups):
        yb = -0.1 - 0.07 * n
        ax.plot([vals[a] - 0.03, vals[b] + 0.03], [yb, yb], color="k", lw=2.2, solid_capstyle="round", zorder=3)
    if why is None:
        ax.plot([lo, lo + cd], [0.55, 0.55], color="k", lw=1)
        ax.vlines([lo, lo + cd], 0.5, 0.6, color="k", lw=1)
        ax.text(lo + cd / 2, 0.6, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize=7)
    ax.axis("off")
    # the title on at most 2 lines as drawn, as every figure's (fit_title); the test's explanation goes under it
    if why is None:
        head = (f"Mean rank of each loss's runs among the same seed's runs, over {f['n_blocks']} (task, metric) "
                f"blocks; Friedman p {friedman_p_text(f)}")
        key = (f"Black bars join losses not significantly different (runs relabelled within seeds, "
               f"α = {f['alpha']}) on these{images_of(stats)} test images, not over images")
    else:
        head, key = f"Mean rank over {f['n_blocks']} (task, metric) blocks — descriptive only: {why}", ""
    notes = [key] if key else []
    if f.get("excluded"):  # losses without every block are not in the test: said here, not only in the tables
        out = "Not shown (not in every block most losses have)"
        notes.append(capped_note(f"{out}: {', '.join(map(str, f['excluded']))}",
                                 f"{out}: {plural(len(f['excluded']), 'loss', 'losses')} ({TOO_MANY_BLOCKS})", COL2))
    if not_ranked_text(stats):  # no restoration anywhere (every run diverged or failed): named, as the tables do
        notes.append(capped_note(not_ranked_text(stats), not_ranked_text(stats, named=False), COL2).rstrip("."))
    if runs_dropped_text(stats):  # a loss short of runs everywhere: the others are tested, it is not shown
        notes.append(runs_dropped_text(stats).strip().rstrip("."))
    dropped = friedman_left_blocks(stats)
    if dropped:  # blocks some shown loss lacks are not ranked either: the ranks are not the whole grid's
        notes.append(f"Blocks left out (not every loss shown has them, or not every one of their runs): {dropped}"
                     + ("." + runs_left_text(stats).rstrip(".") if runs_left_text(stats) else ""))
    # runs not shown converged (or too few): said on the figure, which is often shown alone; too few runs: the
    # head says it already (why)
    # of the losses drawn: one not shown (named so) is no smoke test of the diagram
    shown = {str(t): list(ranks.index) for t in stats.cells["task"].unique()} if not stats.cells.empty else {}
    smoke = smoke_test(drawn_part(stats, shown), short=True, runs=few is None)
    title, caption, size = fit_title(fig, head, smoke, ". ".join(n.rstrip(".") for n in notes))
    fig.suptitle(title, fontsize=size)
    caption_below(fig, caption)
    fit_canvas(fig)
    # tick numbers last, thinned to what the final axis width holds (≥ 0.28 in apart)
    renderer = fig.canvas.get_renderer()
    per_rank = ax.get_window_extent(renderer).width / fig.dpi / (hi - lo + 0.6)
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100) if s * per_rank >= 0.28)
    _spread_ties(connectors, vals, CD_TIE_IN / per_rank)
    numbered = _numbered_ranks(lo, hi, step)
    for t in range(lo, hi + 1):
        ax.vlines(t, 0, 0.12 if t in numbered else 0.08, color="k", lw=0.6)
        if t in numbered:
            ax.text(t, 0.15, str(t), ha="center", va="bottom", fontsize=7)
    fit_canvas(fig)
    return fig


def _spread_ties(lines, vals, apart: float) -> None:
    """Set the vertical parts of the CD diagram's connectors (``lines``, one per loss, at its mean rank ``vals``,
    best first) ``apart`` ranks from each other where they stood nearer (losses tied on a rank drew one line, the
    lower over the upper): each run of them centred on its ranks' middle, in their order (ascending down the left
    column and up the right one, so no vertical crosses another's horizontal); the others stay on their ranks."""
    i = 0
    while i < len(vals):
        j = i
        while j + 1 < len(vals) and vals[j + 1] - vals[j] < apart:
            j += 1
        mid = (vals[i] + vals[j]) / 2
        for n in range(i, j + 1) if j > i else ():
            x = mid + (n - i - (j - i) / 2) * apart
            xs = list(lines[n].get_xdata())
            lines[n].set_xdata([x, x] + xs[2:])
        i = j + 1


def _numbered_ranks(lo: int, hi: int, step: int) -> list[int]:
    """The ranks the CD diagram's axis numbers: every ``step``-th counted back from ``hi`` (the worst rank, where the
    axis ends) to ``lo``, so evenly spaced and the end numbered (30 by 2: 2, 4, …, 30; 31 by 2: 1, 3, …, 31). Was:
    every ``step``-th from ``lo`` with ``hi`` in place of the last, an uneven last gap (30 by 2: …, 25, 27, 30)."""
    return list(range(hi, lo - 1, -step))[::-1]


def cd_diagram(stats: Stats, base: Path, formats=("png", "pdf"), styles=None) -> list[Path]:
    with style():
        fig = draw_cd_diagram(stats, styles)
        return _drawn(fig, base, formats)


#: the training curves' moving average: this fraction of a run's logged values (odd, at least 1)
SMOOTH = 0.1


def smooth_curve(values, frac: float = SMOOTH) -> tuple[np.ndarray, int]:
    """(centred moving average of ``values``, its window): the window is ``frac`` of the points,
    rounded to an odd number; the ends average over the points they have."""
    v = pd.Series(np.asarray(values, float))
    k = max(1, int(round(frac * len(v))) // 2 * 2 + 1)
    return v.rolling(k, center=True, min_periods=1).mean().to_numpy(), k


def draw_training_curves(metas: list[dict], styles=None):
    """Training-loss curves from ``meta.json`` (see module docstring): each run's curve smoothed by
    :func:`smooth_curve` and divided by its (smoothed) first value, so every curve starts at 1 as the
    title says (−1 for a loss that starts below 0: divided by the value's size); then the mean over seeds; the band
    is the min–max over seeds, drawn (and named in the title) only where a loss has 2 or more. Each task has its own
    y-axis (one loss falling ten times would flatten a task whose losses move by 5 %), logarithmic only where a panel
    spans a factor of 5 or more and every value is above 0, with plain decimal tick labels; iterations are whole
    numbers."""
    plt = _Figures()
    import seaborn as sns
    from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

    rows, windows = [], []
    runs: dict[str, int] = {}
    negative_start = False  # a curve whose first value is below 0: divided by its size
    stopped: dict[str, dict[str, int]] = {}  # label → {"diverged"/"failed": runs}: their curves end early
    moved = _moved(metas)  # two versions of a loss file: two curves, labelled as the tables label them
    tried: dict[tuple[str, str], list[str]] = {}  # (task, label) → its runs' statuses, to name the ones not drawn
    for m in metas:
        cfg, curve = m.get("config") or {}, m.get("loss_curve") or []
        if m.get("kind") == "input" or "task" not in cfg or "loss" not in cfg:
            continue
        label = run_label(cfg["loss"], m.get("weights", "none"), m.get("loss_versions"), moved)
        pts = [(int(it), float(v)) for it, v in curve if v is not None and np.isfinite(v)]
        tried.setdefault((cfg["task"], label), []).append("" if pts else m.get("status", "ok"))
        if not pts:
            continue
        runs[label] = runs.get(label, 0) + 1
        if m.get("status") in ("diverged", "failed"):
            stopped.setdefault(label, {}).setdefault(m["status"], 0)
            stopped[label][m["status"]] += 1
        smoothed, k = smooth_curve([v for _, v in pts])
        first = float(smoothed[0]) if smoothed[0] not in (0.0,) and np.isfinite(smoothed[0]) else 1.0
        negative_start |= first < 0
        first = abs(first)  # a loss that starts below 0 keeps its direction: falling is still falling
        windows.append(k)
        for (it, _), v in zip(pts, smoothed):
            rows.append((cfg["task"], label, cfg["loss"], cfg.get("seed", 0), it, float(v) / first))
    if not rows:
        log.info("training curves skipped: no loss_curve in any meta.json")
        return None
    # every value, those ≤ 0 too (a loss with a negative weight falls through 0): dropped for the log scale, such a
    # curve stopped where it crossed 0, read as a run that ended there; a panel with one is linear instead
    df = pd.DataFrame(rows, columns=["task", "label", "loss", "seed", "it", "rel"])
    if styles is None or not set(df["label"]) <= set(styles):
        styles = loss_styles(df["label"].unique(), dict(zip(df["label"], df["loss"])))
    seeds = df.groupby(["task", "label"])["seed"].nunique()
    tasks = sorted(df["task"].unique())
    r, c = _grid(len(tasks))
    labels = sorted(df["label"].unique(), key=list(styles).index)
    names = {l: f"{l} ({', '.join(f'{k}/{runs[l]} {what}' for what, k in sorted(st.items()))})"
             for l, st in stopped.items()}  # a curve that stops early says why
    width = legend_width(min(COL2, max(COL1, 2.4 * c)), labels, names=names)
    fig, axes = plt.subplots(r, c, figsize=(width, 1.9 * r + 0.5 + _legend_height(width, labels, names=names)),
                             squeeze=False, layout="constrained")
    plain = FuncFormatter(lambda v, _: f"{v:.4g}")
    for i, (ax, task) in enumerate(zip(axes.flat, tasks)):
        g = df[df["task"] == task]
        here = set(g["label"])  # once per panel: per loss, it read every point of every curve (losses × points)
        present = [l for l in labels if l in here]
        band = bool((seeds.loc[task] >= 2).any())
        n_points = int(g.groupby(["label", "seed"]).size().max())
        mean, lows, highs = _seed_mean_band(g)
        n_lines = len(ax.lines)
        sns.lineplot(data=mean, x="it", y="rel", hue="label", style="label", hue_order=present, style_order=present,
                     palette={l: styles[l].color for l in present}, dashes={l: styles[l].dashes for l in present},
                     markers={l: styles[l].marker for l in present}, markevery=max(1, n_points // 6), ms=3.5,
                     markeredgewidth=0, errorbar=None, lw=0.8, alpha=0.9, ax=ax, legend=False)
        if band:  # after every line, in the lines' order: drawn below them (zorder) as seaborn's own bands were
            for l, line in zip(present, ax.lines[n_lines:]):
                ax.fill_between(*lows[l], highs[l][1], color=line.get_color(), alpha=0.12, lw=0)
        # the drawn range decides linear or log: the band spans every seed's values (pi 100), the
        # line their mean, so the range is that of the values
        ys = g["rel"].to_numpy(float)
        if ys.size and ys.min() > 0 and ys.max() / ys.min() >= 5:
            ax.set_yscale("log")  # 1, 2, 5 per decade over a few decades, else whole decades (a diverged run)
            decades = math.log10(ys.max() / ys.min())
            ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0) if decades <= 3 else (1.0,),
                                                  numticks=6))
            ax.yaxis.set_minor_locator(LogLocator(base=10, subs=np.arange(2, 10) * 1.0))
            ax.yaxis.set_minor_formatter(NullFormatter())
        else:
            ax.yaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
        ax.yaxis.set_major_formatter(plain)
        ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
        ax.set_title(task_title(task, width / c))
        ax.set_xlabel("iteration")
        ax.set_ylabel(("loss / |first value|" if negative_start else "loss / first value") if i % c == 0 else "")
    for ax in list(axes.flat)[len(tasks):]:
        ax.remove()
    k_lo, k_hi = min(windows), max(windows)
    if int(seeds.max()) < 2:
        seeds_text = "one seed per loss"
    elif int(seeds.min()) >= 2:
        seeds_text = f"mean over {_count(seeds)} seeds; band: min–max"
    else:
        seeds_text = f"mean over {_count(seeds)} seeds; band: min–max where a loss has ≥ 2"
    # the title on at most 2 lines as drawn, as every figure's (fit_title: one task's 3.5-in figure took 3); how the
    # curves are smoothed heads their key
    smoothing = "" if k_hi <= 1 else (  # nothing smoothed: nothing to say
        f"Each curve a moving average over {k_lo if k_lo == k_hi else f'{k_lo}–{k_hi}'} logged values")
    # a loss with no curve in a task (every run failed or diverged before logging its loss) is in no panel there:
    # named, as the other figures name a loss with nothing to show, not left out unsaid
    from benchmark.export import lost_runs_text, lost_status

    blank = {(t, lab): st for (t, lab), st in tried.items() if all(x in ("failed", "diverged") for x in st)}
    lost = {lab: [(t, lost_status(st.count("diverged"), st.count("failed"), len(st)))
                  for (t, l2), st in sorted(blank.items()) if l2 == lab]
            for lab in sorted({lab for _, lab in blank}, key=name_key)}
    # the caption stays with the panels where the key goes apart (legend_apart): 30 losses of 40 characters named
    # took part 1 past the page
    missing = capped_note(lost_runs_text("No curve", lost, " before logging its loss"),
                          lost_runs_text("No curve", lost, " before logging its loss", named=False),
                          fig.get_size_inches()[0])
    key = ". ".join(k for k in (smoothing, missing) if k)
    title, caption, size = fit_title(fig, f"Training loss relative to its first value ({seeds_text})", key=key)
    fig.suptitle(title, fontsize=size)
    fig.plb_name = "Training loss curves"  # its key's title, drawn apart (legend_apart)
    _legend(fig, labels, styles, line=True, marker=True, names=names, title=caption or None)
    fit_canvas(fig, min_axes=(1.5, 1.2))
    return fig


def _seed_mean_band(g: pd.DataFrame) -> tuple[pd.DataFrame, dict, dict]:
    """Per label and iteration of ``g`` (columns label, it, rel): the mean over seeds as rows (label, it, rel),
    and {label: (iterations, minimum)}, {label: (iterations, maximum)} — what ``sns.lineplot(estimator="mean",
    errorbar=("pi", 100))`` computes, value for value (each group's values summed in the order it sums them,
    ascending; no band, NaN, where a label has one value at an iteration), without its pandas ``apply`` per
    iteration (20 s of a 5-task × 20-loss report's 30 s of curves)."""
    out, lows, highs = [], {}, {}
    for label, d in g.groupby("label", sort=False):
        d = d.sort_values(["it", "rel"])
        x = d["it"].to_numpy(float)
        y = d["rel"].to_numpy(float)
        starts = np.flatnonzero(np.r_[True, x[1:] != x[:-1]])
        groups = np.split(y, starts[1:])
        many = any(v.size > 1 for v in groups)
        mean = np.array([v.sum() / v.size for v in groups]) if many else y
        xs = x[starts] if many else x
        lo = np.array([v[0] if v.size > 1 else np.nan for v in groups]) if many else np.full(y.size, np.nan)
        hi = np.array([v[-1] if v.size > 1 else np.nan for v in groups]) if many else np.full(y.size, np.nan)
        out.append(pd.DataFrame({"label": label, "it": xs, "rel": mean}))
        lows[label], highs[label] = (xs, lo), (xs, hi)
    return pd.concat(out, ignore_index=True), lows, highs


def _count(n: pd.Series) -> str:
    """``3`` or ``1–3``: the range of a count over groups."""
    lo, hi = int(n.min()), int(n.max())
    return str(lo) if lo == hi else f"{lo}–{hi}"


def training_curves(metas: list[dict], base: Path, formats=("png", "pdf"), styles=None) -> list[Path]:
    with style():
        fig = draw_training_curves(metas, styles)
        return _drawn(fig, base, formats, key=True)


def _board_values(board) -> pd.DataFrame:
    """A leaderboard panel as numbers: loss label × ``"metric ↑/↓"`` means. Accepts the numeric frame
    itself or :func:`benchmark.report.heatmap_panels`' (rank frame, text frame) pair, whose text is
    the mean as the task tables print it (:func:`board_text`)."""
    if isinstance(board, pd.DataFrame):
        return board.astype(float)
    ranks, text = board
    vals = text.apply(lambda col: pd.to_numeric(col.astype(str).str.replace("−", "-").str.replace("†", "").str.strip(),
                                                errors="coerce"))  # a circular cell's † (heatmap_panels) aside
    vals.columns = list(ranks.columns)
    return vals.astype(float)


def board_text(board) -> pd.DataFrame | None:
    """The cell texts of a leaderboard panel given as :func:`benchmark.report.heatmap_panels`' (rank frame, text
    frame) pair, its columns named as the rank frame's (``"metric ↑/↓"``); None for a numeric frame (the figure
    then formats it: :func:`column_decimals`)."""
    if isinstance(board, pd.DataFrame):
        return None
    ranks, text = board
    text = text.copy()
    text.columns = list(ranks.columns)
    return text


def _column_name(column: str) -> str:
    """A leaderboard column as its header shows it: ``"psnr ↑"`` → ``"psnr (dB) ↑"``."""
    name = str(column).strip()
    if name.endswith(("↑", "↓")):
        return f"{metric_name(name[:-1].strip())} {name[-1]}"
    return metric_name(name)


def _metric_of(column: str) -> tuple[str, bool]:
    """``"psnr ↑"`` → ("psnr", True); a column without an arrow counts as higher-is-better."""
    name = str(column).strip()
    if name.endswith(("↑", "↓")):
        return name[:-1].strip(), name.endswith("↑")
    return name, True


def column_decimals(values) -> int:
    """Decimals that give a column's largest magnitude 3 significant digits, 0–6: every cell of the
    column is printed with these (26.3 / 20.7, 0.958 / 0.608, 0.083 / 0.135)."""
    v = np.abs(np.asarray(values, float))
    v = v[np.isfinite(v) & (v > 0)]
    if not v.size:
        return 0
    return int(min(6, max(0, 2 - math.floor(math.log10(float(v.max()))))))


def gain_over_input(col: pd.Series, higher: bool) -> pd.Series:
    """A leaderboard column's colour value in [−1, 1]: the change from the degraded input's score
    (the row ``input``; without one, the column median), signed so that positive is better, divided
    by the column's largest change on either side. 0 is the input, ±1 the loss furthest from it, NaN
    where there is no score; equal values get equal colours, and a change is as dark as it is large
    next to the column's largest one, on both sides alike: a loss 0.001 below the input beside losses
    0.17 above it is pale red, not as red as the scale goes (each side had its own scale)."""
    restored = col.drop(INPUT, errors="ignore")
    ref = col.get(INPUT, np.nan)
    if not np.isfinite(ref):
        ref = float(restored.median())
    d = (col - ref) * (1.0 if higher else -1.0)
    scale = float(d.abs().max()) if d.notna().any() else 0.0
    out = d / scale if scale > 0 else d * 0.0
    return out.where(d.notna())  # a missing score stays missing (an uncoloured "–"), never the input's 0


def leaderboard_order(values: dict) -> list[str]:
    """One row order for every panel: ``input`` first, then losses by their mean over tasks of the
    mean rank over the task's metrics (best first; ties by name, :func:`benchmark.stats.rank_order`).
    ``values``: task → the means (loss label × ``"metric ↑/↓"``), or the (rank frame, text frame) pair of
    :func:`benchmark.report.heatmap_panels`, whose ranks are on the means themselves — not on the means as
    printed, which tie losses the task tables tell apart."""
    score: dict[str, list[float]] = {}
    for v in values.values():
        if isinstance(v, tuple):  # ranks within each metric over the unrounded means, 1 = best
            restored = v[0].drop(INPUT, errors="ignore")
            ranks = restored.rank(method="average")
        else:
            restored = v.drop(INPUT, errors="ignore")
            ranks = pd.DataFrame({c: restored[c].rank(ascending=not _metric_of(c)[1]) for c in restored.columns})
        for label, r in ranks.mean(axis=1).items():
            score.setdefault(label, []).append(float(r))
    finite = {l: [r for r in rs if np.isfinite(r)] for l, rs in score.items()}  # a loss with no score: NaN, last,
    order = rank_order({l: float(np.mean(rs)) if rs else np.nan for l, rs in finite.items()})  # no warning
    return [INPUT] * any(INPUT in (v[0] if isinstance(v, tuple) else v).index for v in values.values()) + order


def _mean_below_input(v: pd.DataFrame, metric: str = WORSE_METRIC) -> set[str]:
    """Labels whose mean on ``metric`` is worse than the input's (when no run-level table is given)."""
    col = next((c for c in v.columns if _metric_of(c)[0] == metric), None)
    if col is None or INPUT not in v.index or not np.isfinite(v.loc[INPUT, col]):
        return set()
    sign = 1.0 if _metric_of(col)[1] else -1.0
    d = (v[col].drop(INPUT) - v.loc[INPUT, col]) * sign
    return set(d[d < 0].index)


def _minus(text: str) -> str:
    """A number's ``-`` as the minus sign ``−`` matplotlib prints on every axis (``-0.44`` → ``−0.44``)."""
    return re.sub(r"-(?=\d)", "−", text)


def leaderboard_columns(n_tasks: int, panel_width: float) -> int:
    """How many task panels of ``panel_width`` inches :func:`draw_leaderboard_heatmap` sets side by side: two where
    they fit a page's width (:data:`COL2`), else one a row. Two panels of the quick profile's 7 metrics made a
    12.2-in figure, its 6-pt numbers printed at 3.5 pt once scaled to a page."""
    return 2 if n_tasks >= 2 and 2 * panel_width <= COL2 else 1


def draw_leaderboard_heatmap(boards: dict, worse: pd.DataFrame | None = None, order: list[str] | None = None,
                             part: tuple[int, int] | None = None, lost: dict | None = None,
                             rows: list[str] | None = None, partial=(), smoke: str = ""):
    """``leaderboard.png``: one panel per task (2 per row where they fit a page's width, :func:`leaderboard_columns`,
    a last odd panel centred; else 1), loss × metric.

    ``boards`` maps task → the means (loss label × ``"metric ↑/↓"``), or the (rank frame, text
    frame) pair of :func:`benchmark.report.heatmap_panels`. Colour = :func:`gain_over_input` on a
    diverging scale with its colourbar (white = the degraded input, blue = better, red = worse);
    text = the mean as the task tables print it where ``boards`` brings the text (the decimals of its (task, metric)
    column in ``leaderboard.md``), else with the same decimals down a column (:func:`column_decimals`); rows in one
    order in every panel (:func:`leaderboard_order`; a loss a task lacks is a blank row), and every
    metric column in every panel (a metric a task lacks is a column of "–"), so cells are alike. A label
    marked ⚠ restores worse than the degraded input on psnr: from ``worse`` (:attr:`Stats.worse`,
    any run below the input, as the tables mark it) when given, else from the means. ``order``: the
    row order to use (a part of a longer leaderboard keeps the whole one's); ``part``: (i, n) for
    "part i of n" in the title; ``lost``: {(task, label): status} of the losses with no restoration to score
    (:func:`lost_labels`), whose row names say so (``boom (diverged 2/2)``), as their task tables' rows do;
    ``rows``: draw these rows of ``order`` only, and ``input`` (a part of a task too long for a page), coloured
    on the scale of every row; ``partial``: the losses the overall ranking ranks over fewer (task, metric) blocks,
    listed last there (``order``), whose row names carry its mark (:data:`benchmark.export.PARTIAL`) as the tables'
    and the rank heatmap's do: in a task they were scored whole their rows sit under losses they beat; ``smoke``:
    :func:`benchmark.stats.smoke_test`'s line, on the title's first lines as the other figures print it (the
    quick-look figure, often shared alone, showed a 1-seed smoke test as a ranking). The metric
    names are written once, under the last row of panels (every panel
    has every column), and under the row above where the last row's lone panel is centred. The figure's
    ``plb_panel_height`` is one panel row's height in inches, ``plb_row_height`` one loss row's, ``plb_rows`` its
    panel rows."""
    plt = _Figures()
    import seaborn as sns
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    if not boards:
        return None
    values = {t: _board_values(b) for t, b in sorted(boards.items())}
    order = list(order) if order is not None else leaderboard_order(boards)
    # a lost loss: its row, after the others, in name order (w2 before w10) as the task tables list it
    lost_only = {lab for _, lab in (lost or {})} - set(order)
    order += sorted(lost_only, key=name_key)
    shown = order if rows is None else [lab for lab in order if lab in set(rows) or lab == INPUT]
    columns = list(dict.fromkeys(c for v in values.values() for c in v.columns))
    rank_of = {m: i for i, m in enumerate(metric_order({_metric_of(c)[0] for c in columns}))}
    columns.sort(key=lambda c: rank_of[_metric_of(c)[0]])
    by_metric: dict[str, list[float]] = {}
    for v in values.values():
        for c in v.columns:
            by_metric.setdefault(c, []).extend(v[c].dropna().tolist())
    decimals = {c: column_decimals(by_metric.get(c, [])) for c in columns}
    flagged = {}
    for t, v in values.items():
        if worse is not None and not worse.empty:
            w = worse[(worse["task"] == t) & (worse["worse"] > 0)]
            flagged[t] = set(w["label"])
        else:
            flagged[t] = _mean_below_input(v)
    n = len(values)
    n_metrics = len(columns)
    # every panel's row names, ⚠ included, wrapped alike; the rows are as tall as the tallest of them
    lost = lost or {}
    from benchmark.export import PARTIAL

    marked = set(partial) & set(order)  # the whole leaderboard's, for its names' wrapping
    partial = marked & set(shown)
    # every row of the whole leaderboard named and wrapped, the rows as tall as the tallest name: a part's cells as
    # tall as every other part's (a part's own rows made its cells three lines tall beside parts of one)
    names = [str(l) + (f" ({lost[t, l]})" if (t, l) in lost else "") + (f" {PARTIAL}" if l in marked else "")
             + (f" {WORSE}" if l in flagged[t] else "") for t in values for l in order]
    ylab = dict(zip(((t, l) for t in values for l in order), row_labels(names, 34)))
    row_h = 0.06 + 0.125 * max(_lines(l) for l in ylab.values())
    panel_h = row_h * len(shown) + 0.4
    # each panel holds its row names (7 pt, ≈ 0.055 in a character) beside its cells: long one-line
    # names (up to 44 characters) otherwise ran across the neighbouring panel's cells
    names_w = max((len(s) for l in ylab.values() for s in l.split("\n")), default=0) * 0.055
    cells = {}  # task → (means, colours, texts) of the rows drawn
    for task, v in values.items():
        v = v.reindex(index=order, columns=columns)  # every metric in every panel: cells alike, columns aligned
        colour = pd.DataFrame({c: gain_over_input(v[c], _metric_of(c)[1]) for c in v.columns}, index=v.index)
        v, colour = v.loc[shown], colour.loc[shown]  # a part's rows, on the whole task's colour scale
        given = board_text(boards[task])  # the task tables' own text of each mean, where the panel brings it
        if given is not None:
            given = given.reindex(index=shown, columns=columns)
        said = {} if given is None else {(l, c): t for l, row in given.iterrows() for c, t in row.items()
                                         if isinstance(t, str) and t}
        cells[task] = v, colour, np.array([["–" if not np.isfinite(x) else
                                            _minus(said.get((l, c)) or f"{x:.{decimals[c]}f}")
                                            for c, x in row.items()] for l, row in v.iterrows()], dtype=object)
    panel_w = 0.5 * n_metrics + max(2.6, 0.9 + names_w)
    if panel_w > COL2:  # 12 metrics made 8.6 in: cells narrowed to the page, never below their numbers' width
        chars = max((len(str(t)) for _, _, text in cells.values() for t in text.flat), default=1)
        panel_w = max(COL2, n_metrics * (0.05 * chars + 0.1) + 0.9 + names_w)  # a 6-pt digit ≈ 0.05 in
    cols = leaderboard_columns(n, panel_w)
    # the metric names, once under the last row of panels (`named`), upright with room for long ones (a metric scored
    # with a checkpoint): without it they took the rows' height and the rows' names and values ran into each other;
    # set across their columns at the end where they fit (_names_across)
    labels_h = max((len(_column_name(c)) for c in columns), default=0) * 0.55 * 8 / 72
    n_rows = -(-n // cols)
    # the rows that name their columns: the last, and the one above it where the last row's lone panel is centred
    # (two a row, an odd count): its columns are half a panel off theirs, none in line below them
    named = {n_rows - 1} | ({n_rows - 2} if n_rows > 1 and n % cols else set())
    fig = plt.figure(figsize=(cols * panel_w, n_rows * panel_h + len(named) * labels_h + 1.0), layout="constrained")
    gs = fig.add_gridspec(n_rows + 1, 2 * cols, height_ratios=[panel_h] * n_rows + [0.5])
    cmap, norm = sns.color_palette("vlag_r", as_cmap=True), Normalize(-1.0, 1.0)
    axes = []
    dashed = False  # a cell with no score ("–") drawn: the title says what it is
    for i, task in enumerate(values):
        r, k = divmod(i, cols)
        in_row = min(cols, n - r * cols)
        start = 2 * k + (cols - in_row)  # the last row's panels centred
        ax = fig.add_subplot(gs[r, start:start + 2])
        axes.append(ax)
        v, colour, text = cells[task]
        with _first_guess_layout(), _heatmap_without_redraw():
            sns.heatmap(colour, ax=ax, cmap=cmap, norm=norm, annot=text, fmt="", annot_kws={"fontsize": 6},
                        cbar=False, linewidths=0.5, linecolor="white")
        dashed |= bool(colour.isna().to_numpy().any())
        for i, j in zip(*np.nonzero(colour.isna().to_numpy())):  # seaborn leaves a masked cell without its text
            ax.text(j + 0.5, i + 0.5, "–", ha="center", va="center", fontsize=6, color="0.35")
        ticks = [ylab[task, l] for l in shown]
        ax.set_yticks(np.arange(len(shown)) + 0.5, ticks, rotation=0, va="center")
        for tick, label in zip(ax.get_yticklabels(), shown):
            if label in flagged[task]:
                tick.set_color(WORSE_COLOUR)
        ax.set_xticks(np.arange(v.shape[1]) + 0.5, [_column_name(c) for c in v.columns], rotation=90)
        ax.set_xlabel("")
        ax.set_ylabel("")
        # the columns' names shown once, under the last row of panels: above it they took 0.9 in a panel
        ax.tick_params(length=0, labelbottom=r in named)
        ax.set_title(task_title(task, panel_w))
    holder = fig.add_subplot(gs[n_rows, :])  # the colourbar's own row: a thin bar centred under the panels
    holder.axis("off")
    fw = fig.get_size_inches()[0]
    bar = min(3.0, max(1.4, 0.4 * fw)) / fw  # inches → a fraction of the row; its names go beside it
    cax = holder.inset_axes([0.5 - bar / 2, 0.45, bar, 0.14])
    cb = fig.colorbar(ScalarMappable(norm, cmap), cax=cax, orientation="horizontal", ticks=[-1, 0, 1])
    # the ends are named beside the bar, the input under its middle: however narrow the figure,
    # the three names cannot run into each other
    cb.ax.set_xticklabels(["", "input", ""])
    cb.ax.text(-0.03, 0.5, "worse", transform=cb.ax.transAxes, ha="right", va="center", fontsize=6)
    cb.ax.text(1.03, 0.5, "better", transform=cb.ax.transAxes, ha="left", va="center", fontsize=6)
    cb.set_label("change from the degraded input ÷ the column's largest change", fontsize=7)
    cb.ax.xaxis.set_label_position("top")
    cb.ax.tick_params(labelsize=6)
    circular = any(str(t).endswith("†") for _, _, text in cells.values() for t in text.flat)
    note = (f"; {WORSE}:\u00a0restores worse than the degraded input on {WORSE_METRIC}"
            if any(flagged.values()) else "") + ("; –:\u00a0no\u00a0score" if dashed else "") + (
        "; †:\u00a0circular (trained on that metric)" if circular else "") + (
        f"; {PARTIAL}:\u00a0" + (
            # every loss starred (tasks of disjoint loss sets): none is listed after another for it
            "no (task, metric) block is every loss's: each ranked over its own, none comparable"
            if marked >= set(order) - {INPUT} - lost_only else "ranked over fewer (task, metric) blocks, listed last")
        if partial else "")
    # (a key's sign and its words on one line: wrap_title broke "–: no" from "score")
    losses, mine = [lab for lab in order if lab != INPUT], [lab for lab in shown if lab != INPUT]
    some = f", rows {losses.index(mine[0]) + 1}–{losses.index(mine[-1]) + 1} of {len(losses)}" \
        if mine and len(mine) < len(losses) else ""
    head = "Leaderboard" + (f" (part {part[0]} of {part[1]}: {', '.join(values)}{some})" if part else "")
    # the colours are the colour bar's to name (its label and its "input" tick); the marks' key goes under the figure
    title, caption, size = fit_title(fig, f"{head}: mean over images and seeds", smoke, note)
    fig.suptitle(title, fontsize=size)
    caption_below(fig, caption)
    fig.plb_panel_height, fig.plb_columns, fig.plb_row_height, fig.plb_rows = panel_h, cols, row_h, n_rows
    fit_canvas(fig)
    _names_across(fig, axes)
    _upright_arrows(fig, axes)
    return fig


def _upright_ylabel_arrow(ax, arrow: str, gap: float = 2.0) -> None:
    """``arrow`` ('↑' higher is better, '↓' lower) drawn upright ``gap`` pt above the end of ``ax``'s y label (set on
    end, read bottom to top), centred on it, wherever the layout puts the label: in the label, turned with it, '↑'
    read '←' and '↓' '→' (the P–D plane's 'lpips ↓ (perception)'), as the heatmaps' column names did
    (:func:`_upright_arrows`)."""
    label = ax.yaxis.label
    ax.annotate(arrow, (0.5, 1), xycoords=label, xytext=(0, gap), textcoords="offset points", ha="center",
                va="bottom", fontsize=label.get_fontsize(), annotation_clip=False)


def _upright_arrows(fig, axes, gap: float = 2.0) -> None:
    """Each column name of heatmap ``axes`` still set on end after :func:`_names_across` ('psnr (dB) ↑' turned 90°)
    without its arrow, which is drawn upright of its own, ``gap`` pt under the cells, the name set below it; the figure
    laid out again (:func:`fit_canvas`). Turned with the name, '↑' (higher is better) read '←' and '↓' '→'."""
    moved = False
    for ax in axes:
        ticks = ax.get_xticklabels()
        if not any(t.get_visible() and t.get_text() and t.get_rotation() % 180 for t in ticks):
            continue
        names = []
        size = max(t.get_fontsize() for t in ticks)
        for x, t in zip(ax.get_xticks(), ticks):
            text = t.get_text()
            arrow = text[-1] if text.endswith(("↑", "↓")) else ""
            names.append(text[:-1].rstrip() if arrow else text)
            if arrow and t.get_visible():
                ax.annotate(arrow, (x, 0), xycoords=("data", "axes fraction"), xytext=(0, -gap),
                            textcoords="offset points", ha="center", va="top", fontsize=size, annotation_clip=False)
        pad = ax.xaxis.get_major_ticks()[0].get_pad()
        ax.set_xticks(ax.get_xticks(), names, rotation=90)
        ax.tick_params(axis="x", pad=pad + gap + 1.3 * size)
        moved = True
    if moved:
        fit_canvas(fig)




def _recorded_parts(path: Path) -> list[str]:
    """The parts of the leaderboard figure at ``path`` (``leaderboard-2.png``, …, every format) that the last report
    recorded writing: in its folder's :data:`PARTS_RECORD`, or in an older store's ``.leaderboard-parts.json``."""
    path = Path(path)
    names = (_read_names(path.parent / PARTS_RECORD) or []) + (_read_names(_legacy_record(path)) or [])
    return sorted({n for n in names if _part_number(path.with_suffix(Path(n).suffix), path.with_name(n))})


def _part_number(path: Path, p: Path) -> int | None:
    m = re.fullmatch(rf"{re.escape(path.stem)}-([0-9]+){re.escape(path.suffix)}", p.name)
    return int(m.group(1)) if m else None


def leaderboard_parts(path: Path) -> list[Path]:
    """The continuation files of the leaderboard figure at ``path``: ``leaderboard-2.png``, ``leaderboard-3.png``, …
    (in ``path``'s format; :func:`leaderboard_heatmap` writes each part in every format asked for), numbered on from 2
    without a gap, as written, and those the last report recorded writing (:func:`_recorded_parts`; a part deleted by
    hand leaves a gap, the later ones still its), in order: a user's own ``leaderboard-2026.png`` beside them is no
    part, never named nor removed."""
    path = Path(path)
    parts = []
    while (p := path.with_name(f"{path.stem}-{len(parts) + 2}{path.suffix}")).is_file():
        parts.append(p)
    recorded = [path.with_name(n) for n in _recorded_parts(path)]
    parts += [p for p in recorded if p not in parts and _part_number(path, p) and p.is_file()]
    return sorted(parts, key=lambda p: _part_number(path, p))


def remove_leaderboard(path: Path, keep=()) -> None:
    """Delete the leaderboard figure at ``path`` and its parts (:func:`leaderboard_parts`) in every
    :data:`FIGURE_FORMATS` but the paths in ``keep``, and record the parts kept (:data:`PARTS_RECORD`, the one record
    of the figures folder's parts too: :func:`_record_parts`) for the next report to remove."""
    path, keep = Path(path), {Path(k) for k in keep}
    remove_figure(path.with_suffix(""), keep)
    for fmt in FIGURE_FORMATS:
        for stale in set(leaderboard_parts(path.with_suffix(f".{fmt}"))) - keep:
            stale.unlink()
    kept = [k.name for k in keep if k.parent == path.parent and _part_number(path.with_suffix(k.suffix), k)]
    _record_parts(path.parent, lambda n: _part_number(path.with_suffix(Path(n).suffix), path.with_name(n)) is not None,
                  kept)
    _legacy_record(path).unlink(missing_ok=True)  # read above (leaderboard_parts): its parts now in the one record


def report_formats(formats) -> tuple[str, ...]:
    """The formats a report writes each figure in: PNG first, whatever ``formats`` says (``--formats pdf``), as it is
    what ``report.html`` embeds and ``leaderboard.md`` and compare's summary link (``--formats``' help: "PNG is
    always written"), then the others asked for; none where none are (``formats=()``: the tables alone)."""
    return tuple(dict.fromkeys(["png", *formats])) if formats else ()


def leaderboard_heatmap(boards, path: Path, worse: pd.DataFrame | None = None, order: list[str] | None = None,
                        lost: dict | None = None, formats=("png",), partial=(), smoke: str = "") -> Path | None:
    """Write :func:`draw_leaderboard_heatmap` at ``path`` (``leaderboard.png``) in each of ``formats`` as every
    figure is (:func:`save`: PNG at 200 dpi, undated PDF/SVG, so a redraw writes the same bytes; a format
    not asked for this time removed), its rows in ``order`` (default :func:`leaderboard_order`; a report
    gives its overall ranking's). A leaderboard taller than :data:`PAGE_IN` (the quick profile's 5 tasks) is
    split by task into as few balanced parts as fit it (sized on the figure as drawn; a part whose longer title
    takes it past the page is drawn again with a panel row fewer), and a task whose panel alone is taller (60
    losses) by its rows into balanced parts, each with the ``input`` row, ``path`` then ``<stem>-2.png``, … (and
    ``.pdf``, …), every part with its colourbar, the same row order and "part i of n" in its title; parts left by
    an earlier, longer report are removed in every format. ``lost``, ``partial``: as for
    :func:`draw_leaderboard_heatmap`, and ``smoke``, on every part."""
    from benchmark.export import balanced  # the one balancing rule of every split into parts

    path = Path(path)
    formats = tuple(dict.fromkeys([path.suffix[1:] or "png", *formats]))
    written = []
    with style():
        fig = draw_leaderboard_heatmap(boards, worse, order, lost=lost, partial=partial, smoke=smoke)
        if fig is None:  # nothing to draw: the last report's figure and parts no longer show this table
            remove_leaderboard(path)
            return None
        figs = [fig]
        height = fig.get_size_inches()[1]
        if height > PAGE_IN:
            order = list(order) if order is not None else leaderboard_order(boards)
            # as drawn: a lost loss's row last
            order += sorted({lab for _, lab in (lost or {})} - set(order), key=name_key)
            # what a part has besides its panel rows (title, column names, colourbar), as measured on the whole figure
            fixed = height - fig.plb_rows * fig.plb_panel_height
            most = int((PAGE_IN - fixed) // fig.plb_panel_height)
            tasks = sorted(boards)
            rows, cols, row_h = fig.plb_rows, fig.plb_columns, fig.plb_row_height
            fig.clear()

            def draw(group, part):
                return draw_leaderboard_heatmap({t: boards[t] for t in group[0]}, worse, order, part, lost, group[1],
                                                partial, smoke)

            if most >= 1:  # whole panels: tasks in balanced parts of at most `per` panel rows, as many as a page
                # holds, a panel row fewer where a part's title (a line more than the whole figure's) tips it over
                def split(per):
                    return [(group, None) for group in balanced(tasks, math.ceil(rows / per), cols)]

                figs = fitting_parts(split, range(most, 0, -1), draw)
            else:  # one panel row is taller than a page (a task of many losses): its rows in balanced parts, as
                # many as the page holds (a panel's 0.4 in besides its rows), fewer rows where a part is drawn taller
                losses = [lab for lab in order if lab != INPUT]
                fit = max(1, int((PAGE_IN - fixed - 0.4) // row_h) - (INPUT in order))

                def split(k):
                    return [(tasks[i:i + cols], some) for i in range(0, len(tasks), cols)
                            for some in balanced(losses, k)]

                figs = fitting_parts(split, range(first_try(-(-len(losses) // fit)), len(losses) + 1), draw)
        for i, fig in enumerate(figs):
            base = path.with_suffix("") if i == 0 else path.with_name(f"{path.stem}-{i + 1}")
            written += save(fig, base, formats)
    remove_leaderboard(path, keep=written)
    n_parts = len(figs)
    if n_parts > 1:
        log.info("leaderboard figure in %d parts (each at most %.0f in tall): %s", n_parts,
                 PAGE_IN, ", ".join(p.name for p in written if p.suffix == path.suffix))
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
#: the visual grid's inset covers at most this fraction of a panel's side (its bottom-right corner)
INSET_MAX = 0.5


def inset_zoom(crop: int, box: int) -> int:
    """The whole magnification of :func:`draw_visual_grid`'s inset: a ``box``-pixel square of a
    ``crop``-pixel panel shown ``zoom`` times larger, as large as fits in :data:`INSET_MAX` of it."""
    return max(1, int(INSET_MAX * crop // box))


def draw_visual_grid(panels: list[tuple[str, object]], title: str, crop: int, zoom: int, note: str = "",
                     named=()):
    """Panels of (name, (1, 3, H, W) tensor or (H, W, 3) array) side by side, six per row, each
    a centred ``crop`` with an inset (bottom right) magnifying a ``zoom``-pixel box drawn just above
    and left of the centre; names wrapped to the panel width. The inset's size is chosen so that
    its magnification is a whole number (:func:`inset_zoom`), which the title states (``title``
    plus ``, inset ×N zoom``, then ``note``); ``named``: the losses ``note`` names, which no cut panel name
    may read as (:func:`wrap_labels`)."""
    plt = _Figures()

    n = len(panels)
    r, c = _grid(n, 6)
    names = wrap_labels([name for name, _ in panels], 18, also=named)
    title_h = 0.11 * max(_lines(t) for t in names)
    fig, axes = plt.subplots(r, c, figsize=(min(COL2, 1.2 * c), (1.15 + title_h) * r + 0.3), squeeze=False,
                             layout="constrained")
    factors = set()
    for ax, (_, img), label in zip(axes.flat, panels, names):
        arr = img[0].permute(1, 2, 0).numpy() if hasattr(img, "permute") else np.asarray(img)
        cs = min(crop, arr.shape[0], arr.shape[1])
        top, left = (arr.shape[0] - cs) // 2, (arr.shape[1] - cs) // 2
        arr = arr[top:top + cs, left:left + cs]
        z = max(1, min(zoom, cs // 2 - 1))
        f = inset_zoom(cs, z)
        factors.add(f)
        zt = zl = max(0, cs // 2 - z - 1)  # the box ends just before the centre, where the inset begins
        ax.imshow(arr, interpolation="nearest")
        side = f * z / cs  # the inset's side as a fraction of the panel's: exactly f times the box
        ins = ax.inset_axes([1 - side, 0.0, side, side])
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
    zoom_text = "×" + "/".join(str(f) for f in sorted(factors))
    fig.suptitle(wrap_title(f"{title}, inset {zoom_text} zoom{note}", fig.get_size_inches()[0], 7), fontsize=7)
    fit_canvas(fig)
    return fig


def visual_grid(store, task: str, base: Path, formats=("png", "pdf"), crop: int = 96,
                zoom: int = 16, run_ids: set[str] | None = None, lost: dict[str, str] | None = None) -> list[Path]:
    """Clean, degraded and every loss's restoration of one test crop, with a zoomed inset (a
    ``zoom``-pixel box shown :func:`inset_zoom` times larger: ×3 for the defaults).

    Uses the first seed of each loss's first finished run of ``task`` (its ``net.pt`` and the
    ``test_data`` of its config), among ``run_ids`` when given (the report's setting); a loss recorded
    under several spellings is one loss, labelled as its leaderboard row
    (:meth:`benchmark.results.ResultsStore.metas_as_read`); skipped with a logged reason when nets or
    test data are missing. ``lost``: {label: status} of the losses with no restoration (:func:`lost_labels`),
    named in the title (``no restoration: boom (diverged 2/2)``) since they have no panel."""
    runs, chosen = [], []
    for m in store.metas_as_read():
        if run_ids is not None and m.get("run_id") not in run_ids:
            continue
        chosen.append(m)  # every task's: a loss file's versions are told apart over the whole table
        cfg = m.get("config") or {}
        if m.get("status") == "ok" and cfg.get("task") == task and (store.run_dir(m["run_id"]) / "net.pt").exists():
            runs.append((cfg.get("seed", 0), cfg["loss"], m))
    if not runs:
        log.info("visual grid for %s skipped: no saved nets (runs/<id>/net.pt)", task)
        return _drawn(None, base, formats)
    first: dict[str, dict] = {}
    moved = _moved(chosen)  # two versions of a loss file: two restorations, as two table rows
    for _, loss, m in sorted(runs, key=lambda r: (r[0], r[1])):
        first.setdefault(run_label(loss, m.get("weights", "none"), m.get("loss_versions"), moved), m)
    from benchmark.config import as_current_code, code_order, code_version

    made = {as_current_code(m["code_version"]) for m in first.values() if m.get("code_version")} - {code_version()}
    if made:  # their test inputs were drawn by that version's code: today's draw is not what they were scored on
        log.info("visual grid for %s skipped: its runs were made by code version %s, whose test inputs this "
                 "version (%s) draws otherwise; re-run them to see the inputs they were scored on", task,
                 ", ".join(code_order(made)), code_version())
        return _drawn(None, base, formats)
    try:
        import torch

        from benchmark.data import DataSpec, load_images
        from benchmark.nets import build_net
        from benchmark.runner import held_out_items
        from benchmark.task import build_task

        cfg0 = next(iter(first.values()))["config"]
        task_obj = build_task(task, **dict(cfg0.get("task_params") or {}))
        # every test source of the grid, so each is named (and its inputs seeded) as when it was scored:
        # a/Set5 beside b/Set5 is "a/Set5"; only the first image of the first source is loaded
        specs = list(dict.fromkeys(DataSpec.parse(t) for t in cfg0["test_data"]))
        items = held_out_items(task_obj, {s: load_images(s)[:1] if i == 0 else [] for i, s in enumerate(specs)})
    except Exception as exc:  # noqa: BLE001 - missing data/offline hub/torch: skip the figure
        log.info("visual grid for %s skipped: test data unavailable (%s: %s)", task, type(exc).__name__, exc)
        return _drawn(None, base, formats)
    item = items[0]
    _, _, h, w = item.clean.shape
    cs = min(crop, h, w)
    panels = [("clean", item.clean), ("input", item.degraded.clamp(0, 1))]  # as it is scored (runner.evaluate)
    with torch.no_grad():
        for label, m in sorted(first.items()):
            cfg = m["config"]
            if any(cfg.get(k) != cfg0.get(k) for k in ("task_params", "test_data")):
                continue
            try:
                if why := store.state_damage(m["run_id"]):  # a changed net may load: a panel of garbage
                    raise ValueError(why)
                net = build_net(cfg["net"])
                net.load_state_dict(torch.load(store.run_dir(m["run_id"]) / "net.pt", map_location="cpu",
                                               weights_only=True))
                net.eval()
                panels.append((label, net(item.degraded).float().clamp(0, 1)))
            except Exception as exc:  # noqa: BLE001 - one unreadable net drops one panel
                log.info("visual grid: %s skipped (%s)", label, exc)
    with style():
        gone = "; no restoration: " + ", ".join(f"{l} ({why})" for l, why in sorted(lost.items())) if lost else ""
        named = {"named": sorted(lost)} if lost else {}  # the lost losses no cut panel name may read as
        fig = draw_visual_grid(panels, f"{task}: {item.dataset}/{item.image}, {cs}×{cs} crop", cs, zoom, gone, **named)
        return save(fig, base, formats)
