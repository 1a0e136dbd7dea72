"""Exports of :class:`benchmark.stats.Stats`: Markdown, LaTeX, CSV and one self-contained HTML page.

Notation shared by every export (explained in each file's header):

* a cell is ``mean ± h`` where ``mean`` is over test images within a run, then over seeds, and
  ``h`` is half the width of the 95% CI (a bootstrap resampling images and seeds, never narrower
  than Student's t with the run-to-run and image levels: :func:`benchmark.stats.t_interval`); in a column where
  some CI is asymmetric — ``mean ± h`` would misplace an end by more than one rounding step — every
  cell is ``mean [low, high]`` instead (:func:`ci_spread`). Every cell of one (task, metric) column
  has the same decimals: two significant digits of the column's narrowest half-width
  (:func:`column_decimals`);
* **bold**: the best restoration of the metric *and* every loss not significantly worse than another
  (every pair of the column tested, the run as the unit: per-run scores paired by seed, Holm over
  the column's pairs, α; :mod:`benchmark.runstats`) — a
  tie is shown, not ranked away; with fewer than ``MIN_RUNS`` runs per loss nothing is bold, and
  the overall ranking (descriptive mean ranks) never bolds anything;
* ▲ / ▼: significantly better / worse than the baseline loss (Holm over every comparison with the
  baseline in the table — every task, metric and loss: :func:`base_family_text`);
* † circular: the loss is trained on (a near copy of) that metric; see ``stats.CIRCULAR``;
* ⚠: some runs of the loss restore worse than the degraded input (psnr), counted in ``< input``;
* a loss none of whose runs left a restoration (every run diverged or failed) keeps a row without
  a rank, its cells saying so (``diverged 2/2``), and is named under the overall ranking;
* a number that is not finite (no CI, an untested p) is printed "–".
"""

from __future__ import annotations

import base64
import html
import logging
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.docmarkup import agree, capped_text, isolate_rtl, plural
from benchmark.runstats import SAME_DIFFERENCE_WHY, more_images
from benchmark.stats import (
    INPUT,
    Stats,
    is_baseline,
    metric_order,
    name_key,
    rank_order,
    scored_cells,
    short_of,
    short_runs_who,
)
from benchmark.stats import p_text as p_text  # every printed p (compare imports it from here)
from benchmark.stats import seed_list as _seed_list

log = logging.getLogger(__name__)

UP, DOWN = "▲", "▼"
#: a loss whose runs restore worse than the degraded input itself (on psnr)
WORSE = "⚠"
#: the ⚠ mark in LaTeX (amssymb has no warning sign)
WORSE_TEX = "(!)"
#: what the overall ranking's cost columns hold (benchmark.stats: median ``ms_per_it``, max ``peak_mem_mb`` and
#: ``peak_rss_mb``)
COST_COLUMNS = ("`ms/it`: the median over the loss's runs of its steady-state training time per iteration "
                "(warm-up iterations and checkpoint saves left out; timed on a machine that may have been running "
                "other work, so read it within one grid: {busy}; never "
                "pooled over a CPU and a GPU, two GPU models or two CPU "
                "models or thread counts: – for a "
                "loss timed on more than one, the notes give each device's median); `peak MiB`: the largest peak of "
                "GPU memory allocated by tensors over its runs (– on a CPU; what the caching allocator reserved, "
                "which sizes `--workers-per-gpu`, is at least as much: `costs.csv`'s `peak_mem_reserved_mb`); "
                "`RSS MiB`: the largest peak of CPU memory (the resident memory "
                "of a run's process while it trained and was scored, imports and data included) over its runs "
                "(a run's whose peak was not reset at its start, which may be an earlier run's, left out).")


def cost_columns() -> str:
    """:data:`COST_COLUMNS` naming the share of a core under which a CPU run counts as timed busy
    (:func:`benchmark.devices.min_cpu_share`, ``PLBENCH_MIN_CPU_SHARE``), as the notes judge it
    (:func:`reads_high_cost_lines`) and the median leaves it out (:func:`benchmark.stats.cost_table`)."""
    from benchmark.devices import min_cpu_share

    share = min_cpu_share()
    return COST_COLUMNS.format(busy=f"runs timed with under {share:g} of a core per thread are left out of it where "
                               "the loss has runs timed with the cores free on the same task and kind of device, and "
                               "the notes name them" if share
                               else "no run's ms/it is judged timed busy (PLBENCH_MIN_CPU_SHARE is 0)")


#: what the task tables' own columns hold (:func:`task_rows`)
TASK_COLUMNS = ("`rank`: the loss's mean rank over the task's metric columns (1 = best; equal mean ranks are "
                "listed by name, in every table and figure); `ms/it`: the median "
                "steady-state training time per iteration of its runs of the task; `diverged`: its runs stopped by a "
                "non-finite loss; `unconv.`: its seeds whose finished runs are not shown converged by their budget "
                "checks / its seeds with a finished run (a seed trained under two run ids counts once, as in `seeds`).")
#: the mark of a loss ranked over fewer (task, metric) blocks than the others (LaTeX: ``$^{*}$``);
#: not :data:`WORSE`, which every legend gives as "runs worse than the degraded input"
PARTIAL = "*"
NAN = float("nan")


def _finite(v) -> bool:
    """True for a finite number; False for None, NaN, ±inf, ``pd.NA`` and text."""
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def _fmt(v, spec=".3g") -> str:
    """``v`` formatted with ``spec`` (``"d"``: rounded to an integer); "–" when it is not a finite number."""
    if not _finite(v):
        return "–"
    return format(int(round(float(v))), spec) if spec.endswith("d") else format(float(v), spec)


def metric_unit(metric) -> str:
    """The unit a table's column of ``metric`` names after it, as the figures' axes and columns do
    (:func:`benchmark.figures.metric_name`): `` (dB)`` for PSNR (``psnr``, ``psnr_y``, ``psnr@…``), else ``""``."""
    return " (dB)" if str(metric).partition("@")[0].startswith("psnr") else ""


def friedman_p_text(f: dict) -> str:
    """The Friedman summary's p for ``p …`` (:func:`p_text`), except at the permutation test's floor:
    with ``n_perm`` relabellings p ≥ 1 / (1 + n_perm), and p at that floor only says no relabelling
    reached the observed χ², so it reads ``≤ 0.0005`` (a bound), not ``= 0.0005`` (a value). On its side of the
    test's α (``f["alpha"]``, the critical difference's), as every p: at ``--alpha 0.1`` a p of 0.0996 read ``= 0.1``
    (tests/test_review_verdicts18.py)."""
    p, n = f.get("p"), f.get("n_perm")
    if f.get("method") == "permutation" and n and _finite(p) and math.isclose(float(p), 1 / (1 + n), rel_tol=1e-9):
        return f"≤ {_fmt(p, '.2g')}"
    return p_text(p, f.get("alpha") or 0.05)


def _decimals(x: float, digits: int = 2, most: int = 6) -> int:
    """Decimals that show ``x`` (≠ 0) to ``digits`` significant digits, 0 to ``most``."""
    return int(min(most, max(0, digits - 1 - math.floor(math.log10(abs(x))))))


def _most_decimals(values) -> int:
    """The most decimals a column of these values gets: 6, or more where its largest value needs them for 4
    significant digits or its smallest for 2 (a metric of values ~1e-7 printed as ``0.000000 ± 0.000000`` under a
    fixed 6, the losses' ~1e-7 beside the degraded input's ~5e-4 too); never more for values of ordinary size,
    whose intervals' float noise would ask for 15."""
    v = np.abs(np.asarray(values, float))
    v = v[np.isfinite(v) & (v > 0)]
    if not v.size:
        return 6
    return max(6, _decimals(float(v.max()), 4, most=15), _decimals(float(v.min()), 2, most=15))


def fmt_ci(mean: float, lo: float, hi: float, dec: int | None = None) -> tuple[str, str]:
    """('28.31', '0.12'): the mean and the CI half-width with ``dec`` decimals (default: two
    significant digits of the half-width); ('–', '') without a finite mean, (mean, '') without a CI."""
    if not _finite(mean):
        return "–", ""
    h = (float(hi) - float(lo)) / 2 if _finite(lo) and _finite(hi) else NAN
    ok = math.isfinite(h) and h > 0
    if dec is None:
        if not ok:
            return f"{float(mean):.4g}", ""
        dec = _decimals(h, most=_most_decimals([mean]))
    return f"{float(mean):.{dec}f}", (f"{h:.{dec}f}" if ok else "")


def ci_spread(mean: float, lo: float, hi: float, dec: int) -> tuple:
    """How a cell shows its 95% CI at ``dec`` decimals: ``("pm", h)`` when ``mean ± h`` puts both
    ends within one rounding step of the CI's; ``("iv", low, high)`` for an asymmetric CI (the cell
    reads ``mean [low, high]``); ``()`` without a CI of positive width."""
    if not (_finite(mean) and _finite(lo) and _finite(hi)) or float(hi) <= float(lo):
        return ()
    m, lo, hi = float(mean), float(lo), float(hi)
    h = (hi - lo) / 2
    step = 10.0 ** -dec * (1 + 1e-9)
    if abs(round(m - h, dec) - round(lo, dec)) <= step and abs(round(m + h, dec) - round(hi, dec)) <= step:
        return ("pm", f"{h:.{dec}f}")
    return ("iv", f"{lo:.{dec}f}", f"{hi:.{dec}f}")


def column_decimals(means, lows, highs) -> int:
    """The fixed decimals of one (task, metric) column: two significant digits of its narrowest
    CI half-width (so no ± rounds to 0), or four significant digits of its largest value where no
    cell has a CI (2 for an empty column)."""
    h = (np.asarray(highs, float) - np.asarray(lows, float)) / 2 if len(lows) else np.array([])
    h = h[np.isfinite(h) & (h > 0)]
    most = _most_decimals(means if len(means) else [])
    if h.size:
        return _decimals(float(h.min()), most=most)
    m = np.abs(np.asarray(means, float)) if len(means) else np.array([])
    m = m[np.isfinite(m) & (m > 0)]
    return _decimals(float(m.max()), 4, most=most) if m.size else 2


def metric_decimals(stats: Stats, task: str, metric: str) -> int:
    """:func:`column_decimals` of the (task, metric) column of the task tables; every table that
    shows that metric of that task (the per-test-set means of :func:`by_dataset_markdown`) uses them."""
    c = stats.cells
    if c.empty:
        return column_decimals([], [], [])
    c = c[(c["task"] == task) & (c["metric"] == metric)]
    return column_decimals(c["mean"], c["ci_low"], c["ci_high"])


def task_frame(stats: Stats, task: str) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Cells of one task, rows ordered input first then by mean rank (the losses ranked over fewer of its metrics after
    the others, and those with no rank in it after them); and the metric order."""
    c = stats.cells[stats.cells["task"] == task] if not stats.cells.empty else stats.cells
    if c.empty:
        return pd.DataFrame(), [], []
    metrics = metric_order(c["metric"].unique())
    order = rank_order(c[c["label"] != INPUT].groupby("label")["rank"].mean())  # ties by name
    # a loss ranked over fewer of the task's metrics (one unscored for its runs) after the others, as the overall
    # ranking lists it: its mean rank leaves out the columns it lacks (partial_rank_text names them)
    short = _partial_ranks(c)
    # and a loss with no rank in the task at all (every score NaN or ±inf) after both: never above a ranked one
    blank = set(c.loc[c["label"] != INPUT].groupby("label")["rank"].apply(lambda r: r.isna().all()).loc[lambda b: b]
                .index)
    order = ([lab for lab in order if lab not in short and lab not in blank] + [lab for lab in order if lab in short]
             + [lab for lab in order if lab in blank and lab not in short])
    if INPUT in set(c["label"]):
        order = [INPUT] + order
    return c.set_index(["label", "metric"]), metrics, order


def _partial_ranks(c: pd.DataFrame) -> dict[str, list[str]]:
    """{label: the metrics of the task it has no rank in} for the losses of one task's cells ``c`` that lack a metric
    column most of its losses are ranked in. A column only a few losses have (scored for a loss run after its weights
    were cached) makes no other loss short: it would list every loss but those few after them, the few first
    whatever their ranks on the columns all share."""
    ranked = c[(c["label"] != INPUT) & c["rank"].notna()]
    if ranked.empty:
        return {}
    have = ranked.groupby("label")["metric"].agg(lambda m: set(m.astype(str)))
    return {lab: metric_order(ms) for lab, ms in short_of(have).items()}


def partial_rank_text(stats: Stats) -> str:
    """A note naming each loss whose task rank is over fewer metrics than the others' (a metric not scored for its
    runs), listed after them in the task table; "" when none."""
    c = stats.cells
    if c.empty:
        return ""
    said = []
    for task in sorted(c["task"].unique()):
        t = c[c["task"] == task]
        n = t.loc[(t["label"] != INPUT) & t["rank"].notna(), "metric"].nunique()
        said += [f"{task}: {lab} ({n - len(ms)} of {plural(n, 'metric')}, no {', '.join(ms)})"
                 for lab, ms in sorted(_partial_ranks(t).items(), key=lambda kv: name_key(kv[0]))]
    if not said:
        return ""
    return ("Task rank over fewer metrics — a loss not ranked on some of its task's metrics (not scored for its runs) "
            "has a mean rank over the others only, not comparable with the rest: listed after them in its task's "
            "table: " + "; ".join(said) + ".")


def _cost(stats: Stats, key: str, task: str | None = None) -> dict:
    """The cost row of a loss label (two versions of one loss are two labels), else of a loss spec."""
    df = stats.costs if task is None else stats.task_costs[stats.task_costs["task"] == task] \
        if not stats.task_costs.empty else stats.task_costs
    if df.empty:
        return {}
    hit = df[df["label"] == key] if "label" in df.columns else df.iloc[:0]
    if hit.empty:
        hit = df[df["loss"] == key]
    return hit.iloc[0].to_dict() if len(hit) else {}


def _count(v) -> str:
    return str(int(v)) if _finite(v) else "–"


_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")


def md_code(s) -> str:
    """``s`` as one Markdown code span that shows it whole, backticks included (CommonMark): fenced by one
    backtick more than its longest run of them, padded with a space where it starts or ends with one
    (```tick`loss` `` → ````` tick`loss` `````); ``l1`` is ```l1``` as before."""
    s = str(s)
    fence = "`" * (max((len(r) for r in re.findall(r"`+", s)), default=0) + 1)
    pad = " " if s[:1] == "`" or s[-1:] == "`" or (s[:1] == s[-1:] == " " and s.strip()) else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def md_name(s, cell: bool = True) -> str:
    """A loss name (or any name) as Markdown text, as :func:`md_text`, but every backtick literal: a name is
    never markup, while ``md_text`` keeps a note's ```code``` spans (``tick`loss``` showed ``tick`` and
    ``loss`` in code, its backticks gone)."""
    return md_text(s, cell, code=False)


def md_text(s, cell: bool = True, code: bool = True) -> str:
    """Plain text — names from folders, files and specs, or a note with ```code``` — made safe
    inside Markdown (and the HTML it renders to) and left readable: outside code spans, a ``<``
    that could open a tag or comment (before a letter, ``/``, ``!`` or ``?``), every ``>`` and an
    ``&`` that could start an entity become entities, while a ``<`` before a space or a digit
    (``< 5``) stays as it is; code spans are literal in Markdown and stay as written. A ``\\``, a
    ``*``, a ``$``, a ``~``, a ``_`` that is not between two letters or digits and a ``]`` that could close a
    link (before ``(``, ``[`` or ``:``) are backslash-escaped, so a loss spec ``0.5*l1 + 0.1*vgg`` is not read as
    emphasis, ``tag='$x$'`` as GitHub maths, ``tag='~a~'`` as strikethrough nor ``[a](b)`` as a link (``ms_ssim``
    and ``mean [low, high]`` stay as they are). In a table
    cell (``cell``) ``|`` is escaped, in code spans too (GFM); newlines become spaces. Without ``code`` (a
    name: :func:`md_name`) nothing is a code span and each backtick is escaped."""
    text = str(s).replace("\r", " ").replace("\n", " ")

    def esc(t: str) -> str:
        t = re.sub(r"(?<![^\W_])_|_(?![^\W_])", r"\\_", re.sub(r"([\\*$~])", r"\\\1", t))
        t = re.sub(r"\](?=[(\[:])", r"\\]", t)  # [a](b), [a][r], [a]: url: text, not a link
        t = re.sub(r"&(?=[A-Za-z0-9#])", "&amp;", t)
        return re.sub(r"<(?=[A-Za-z/!?])", "&lt;", t).replace(">", "&gt;")

    out, pos = [], 0
    for m in _CODE_SPAN.finditer(text) if code else ():
        out += [esc(text[pos:m.start()]), m.group(0)]
        pos = m.end()
    out.append(esc(text[pos:]) if code else esc(text).replace("`", "\\`"))
    res = "".join(out)
    return res.replace("|", "\\|") if cell else res


# --------------------------------------------------------------------------------------------
def base_family_text(stats: Stats) -> str:
    """The Holm family of ▲/▼, for a legend: ``Holm over the 27 comparisons with the baseline in this
    leaderboard, every task, metric and loss; α = 0.05`` (or that none was tested, and why) — every ▲/▼
    of the leaderboard (all its task tables, a LaTeX table's caption included) is one family, so a
    leaderboard of equal losses shows any ▲/▼ in at most α of cases (:func:`benchmark.stats.cell_table`)."""
    from benchmark.runstats import MIN_RUNS

    c = stats.cells
    n = int(c["p_base"].notna().sum()) if not c.empty and "p_base" in c.columns else 0
    if not n and not c.empty and set(lone_losses(stats)) == set(c["task"]):  # runs would not help: no other loss
        return "none tested in this leaderboard: each task has one loss, no other loss to test it against"
    if not n:  # no family to name: say why there is no mark
        return f"none tested in this leaderboard: each needs the baseline and ≥ {MIN_RUNS} paired runs"
    return (f"Holm over the {plural(n, 'comparison')} with the baseline in this leaderboard, "
            f"every task, metric and loss; α = {stats.alpha}")


def lone_losses(stats: Stats) -> dict[str, str]:
    """{task: its one loss label} for every task whose table has a single restored loss: nothing to test it
    against, so its cells are never bold or ▲/▼ whatever its runs (:func:`lone_text`)."""
    c = stats.cells
    if c.empty:
        return {}
    restored = c[c["label"] != INPUT]
    labels = restored.groupby("task")["label"].unique()
    return {str(t): str(v[0]) for t, v in labels.items() if len(v) == 1}


def lone_text(stats: Stats) -> str:
    """The note on tasks with one loss (:func:`lone_losses`); "" when there is none. Without it the only loss
    (the best restoration) was not bold with no word, and the legend blamed too few runs."""
    by_label: dict[str, list[str]] = {}
    for task, label in sorted(lone_losses(stats).items()):
        by_label.setdefault(label, []).append(task)
    return "; ".join(f"One loss ({label}) in {', '.join(tasks)}: no other loss to test it against, so its cells there "
                     f"are never bold or {UP}/{DOWN} and its rank 1 is by default" for label, tasks in by_label.items()
                     ) + ("." if by_label else "")


def families_text(stats: Stats) -> str:
    """The Holm family of each kind of mark, with its size, for the significance note: ▲/▼ one family over
    the whole table; bold one family per (task, metric) column — so with several columns, a table of
    equal losses leaves some loss out of bold somewhere more often than α (each column holds α on its own;
    ``tests/test_probe_stats2.py``). "" when nothing was tested."""
    c, p = stats.cells, stats.pairs
    n_base = int(c["p_base"].notna().sum()) if not c.empty and "p_base" in c.columns else 0
    tested = p[p["p"].notna()] if p is not None and not p.empty else None
    cols = tested.groupby(["task", "metric"]).size() if tested is not None and len(tested) else pd.Series(dtype=int)
    out = []
    if n_base:
        out.append(f"{UP}/{DOWN} are one family, the whole table ({plural(n_base, 'comparison')} "
                   f"with `{stats.baseline}`): "
                   f"a table of equal losses shows any {UP}/{DOWN} in at most α = {stats.alpha} of cases")
    if len(cols):
        k = f"{cols.min()}" if cols.min() == cols.max() else f"{cols.min()}–{cols.max()}"
        out.append(f"bold is one family per (task, metric) column ({k} pair{agree(k, '', 's')} each, "
                   f"{len(cols)} column"
                   f"{agree(len(cols), '', 's')}): each column holds α on its own"
                   + agree(len(cols), "", ", so across the columns a table of equal losses leaves some loss out of "
                           "bold somewhere more often than α"))
    return (" Families: " + "; ".join(out) + ".") if out else ""


def fewest_runs(stats: Stats, task: str | None = None) -> int | None:
    """The fewest runs a restored cell rests on (of ``task``, or anywhere); None without one. A cell no run
    could score (every score non-finite: ``n_seeds`` 0) is a missing score, which the non-finite note names,
    not a count of runs: it is left out."""
    c = stats.cells
    if c.empty:
        return None
    r = scored_cells(c)
    r = r[r["task"] == task] if task is not None else r
    return int(r["n_seeds"].min()) if not r.empty and r["n_seeds"].notna().any() else None


def _too_few(stats: Stats, task: str | None = None) -> int | None:
    """The fewest runs per loss when that is below ``MIN_RUNS`` (no verdict there), else None."""
    from benchmark.runstats import MIN_RUNS

    n = fewest_runs(stats, task)
    return n if n is not None and n < MIN_RUNS else None


def _thin_metrics(cells: pd.DataFrame, task: str, label: str, sep: str) -> str:
    """``sep`` + the metrics where ``label`` has fewer than ``MIN_RUNS`` runs of ``task`` (``"/psnr"``),
    or "" when that is every metric of it: a run left out of one metric (non-finite scores) leaves
    the loss's other cells their verdicts, so a note naming only the loss would contradict them."""
    from benchmark.runstats import MIN_RUNS

    own = cells[(cells["task"] == task) & (cells["label"] == label) & (cells["n_seeds"] > 0)]  # as fewest_runs
    thin = own.loc[own["n_seeds"] < MIN_RUNS, "metric"]
    return "" if len(thin) == len(own) else sep + ", ".join(map(str, thin))


def _untested(stats: Stats, task: str) -> int | None:
    """:func:`_too_few` when no comparison of ``task`` was tested either — nothing there is bold or
    ▲/▼ — else None (a loss short of runs beside losses that have them gets no verdict; they keep theirs)."""
    few = _too_few(stats, task)
    c = stats.cells
    if few is None or c[(c["task"] == task) & (c["label"] != INPUT)][["p_base", "p_best_adj"]].notna().any().any():
        return None
    return few


def _unpaired(stats: Stats) -> list[str]:
    """``["good (denoise)"]``: losses with ≥ ``MIN_RUNS`` runs of a task that share fewer than that
    many seeds with every other loss there (seeds 0–4 against 5–9), so nothing is tested against them."""
    from benchmark.runstats import MIN_RUNS

    out = []
    for b in stats.blocks:
        has = ~np.isnan(b.values).all(axis=2)                                   # (L, S): run present
        shared = has.astype(int) @ has.T.astype(int)                            # (L, L): seeds in common
        np.fill_diagonal(shared, 0)
        rest = [i for i, lab in enumerate(b.labels) if lab != INPUT]
        for i in rest:
            if has[i].sum() >= MIN_RUNS and len(rest) > 1 and max(shared[i, j] for j in rest if j != i) < MIN_RUNS:
                out.append(f"{b.labels[i]} ({b.task})")
    return list(dict.fromkeys(out))


#: how many losses of a task :func:`one_run_text` names where every one rests on one run; more are 'every loss'
ONE_RUN_NAMED = 4


def one_run_text(stats: Stats) -> str:
    """A note naming the cells that rest on one run, per task (``denoise (good, l1)``), or "": their
    interval is the image bootstrap alone — no seed to resample, and the Student's t floor
    (:func:`benchmark.stats.t_interval`) needs 2 runs — so it leaves the run-to-run spread out."""
    c = stats.cells
    if c.empty:
        return ""
    one = c[(c["label"] != INPUT) & (c["n_seeds"] == 1)]
    if one.empty:
        return ""
    losses = c[c["label"] != INPUT].groupby("task", sort=True)["label"].agg(lambda v: set(map(str, v)))
    parts = {t: set(map(str, g["label"])) for t, g in one.groupby("task", sort=True)}
    # a task whose every loss rests on one run (a one-seed grid of 30 losses) says so, not each name over again, and
    # one where all but a few do (the baseline trained on more seeds) names those few instead (tests/test_review_
    # stats21.py: 'every loss but l1', where the 31 others were listed); a few (up to ONE_RUN_NAMED) are named
    but = {t: losses.get(t) - labs for t, labs in parts.items()
           if len(labs) > ONE_RUN_NAMED and len(losses.get(t) - labs) <= ONE_RUN_NAMED}

    def said(rest: set[str]) -> str:
        return "every loss" + (f" but {', '.join(sorted(rest, key=name_key))}" if rest else "")

    named = "; ".join(f"{t} ({said(but[t])})" if t in but else f"{t} ({', '.join(sorted(labs, key=name_key))})"
                      for t, labs in parts.items())
    rests = {frozenset(r) for r in but.values()}
    # several tasks, each with every loss (but the same few) on one run
    all_tasks = set(but) == set(losses.index) and len(but) >= 2 and len(rests) == 1
    where = f"every task ({said(set(next(iter(rests))))})" if all_tasks else named
    return (f"One run per cell in {where}: the interval of such a cell is the image-to-image spread alone "
            "(no second run to resample or to estimate the run-to-run spread from), so it is narrower than the "
            "uncertainty over training seeds; train more seeds before reading it as the loss's.")


def _tested_images(stats: Stats, task: str | None, lo: int, hi: int) -> dict[str, int]:
    """{task: test images} for the tasks (``task`` only, when given) whose tested comparisons had between
    ``lo`` and ``hi`` − 1 test images (the fewest of any tested cell)."""
    c = stats.cells
    if c.empty:
        return {}
    r = c[(c["label"] != INPUT) & ((c["task"] == task) if task is not None else True)]
    tested = r[r[["p_base", "p_best_adj"]].notna().any(axis=1)]
    n = tested.groupby("task")["n_images"].min()
    return {t: int(k) for t, k in n.items() if _finite(k) and lo <= k < hi}


def one_image(stats: Stats, task: str | None = None) -> dict[str, int]:
    """{task: test images} for the tasks (``task`` only, when given) whose comparisons were tested on
    fewer than 2 test images: their verdicts hold over training runs on that image, not over images
    (the image level of :func:`benchmark.runstats.two_level_se` needs ≥ 2)."""
    return _tested_images(stats, task, 0, 2)


def one_image_text(stats: Stats, task: str | None = None) -> str:
    """The note for :func:`one_image`, or ""."""
    few = one_image(stats, task)
    if not few:
        return ""
    where = "" if task is not None else " in " + ", ".join(few)
    return (f"One test image{where}: its bold and {UP}/{DOWN} hold over training runs on that image only, not over "
            f"images (the image level of the uncertainty needs ≥ 2 test images); use {more_images()} "
            "before generalising.")


#: fewer test images than this (and at least 2) leave the image level of the SE so few degrees of freedom that the
#: paired t-test is approximate: with a loss × image effect, simulated null tables (10 seeds × 3 images, 8 × 2) were
#: marked more often than α (review of 2026-12-05, ``benchmark.runstats.two_level_se``)
FEW_IMAGES = 4


def few_images(stats: Stats, task: str | None = None) -> dict[str, int]:
    """{task: test images} for the tasks (``task`` only, when given) whose comparisons were tested on 2 to
    :data:`FEW_IMAGES` − 1 test images (fewer: :func:`one_image`)."""
    return _tested_images(stats, task, 2, FEW_IMAGES)


def few_images_text(stats: Stats, task: str | None = None) -> str:
    """The note for :func:`few_images`, or ""."""
    few = few_images(stats, task)
    if not few:
        return ""
    where = "" if task is not None else " in " + ", ".join(f"{t} ({k})" for t, k in few.items())
    return (f"Few test images{where}: the image level of the uncertainty has (images − 1) degrees of freedom, "
            f"so its bold and {UP}/{DOWN} are approximate: where losses differ image by image they err more often "
            f"than the stated α; read them as leads and use {more_images(FEW_IMAGES)}.")


def lost_status(diverged, failed, runs) -> str:
    """``"diverged 2/2"``, ``"failed 1/1"`` or ``"diverged 1/2, failed 1/2"``."""
    n = int(runs)
    return ", ".join(f"{what} {int(k)}/{n}" for what, k in (("diverged", diverged), ("failed", failed))
                     if _finite(k) and int(k))


def unscored(stats: Stats) -> pd.DataFrame:
    """Per (task, loss label) with runs but no restoration to score — every run diverged or failed —
    so no cell in the task's table: task, label, loss, runs, diverged, failed, ms_per_it, status
    (:func:`lost_status`). Keyed by label: ``lpips [random]`` lost beside a scored ``lpips
    [IMAGENET1K_V1]`` is lost, and two lost weight kinds of one loss are two rows."""
    cols = ["task", "label", "loss", "runs", "diverged", "failed", "ms_per_it", "status"]
    tc = stats.task_costs
    if tc is None or tc.empty or not {"ok", "diverged", "failed", "runs"} <= set(tc.columns):
        return pd.DataFrame(columns=cols)
    scored = set(zip(stats.cells["task"], stats.cells["label"])) if not stats.cells.empty else set()
    rows = []
    for r in tc.itertuples(index=False):
        dead = int(r.diverged) + int(r.failed)
        label = getattr(r, "label", r.loss)
        if int(r.ok) or not dead or (r.task, label) in scored:
            continue
        rows.append({"task": r.task, "label": label, "loss": r.loss, "runs": int(r.runs), "diverged": int(r.diverged),
                     "failed": int(r.failed), "ms_per_it": getattr(r, "ms_per_it", NAN),
                     "status": lost_status(r.diverged, r.failed, r.runs)})
    rows.sort(key=lambda r: (str(r["task"]), name_key(r["label"])))  # as ties are listed: w2 before w10
    return pd.DataFrame(rows, columns=cols)


def small_marks_text(stats: Stats) -> str:
    """A note listing every ▲/▼ whose effect (the paired mean difference from the baseline) is below
    its metric's practical margin (:data:`benchmark.runstats.PRACTICAL_MARGINS`, the smallest effect
    the verdicts care about), with the effect's 95 % CI: where the whole CI lies within the margin the
    difference is shown too small to matter; where it reaches past the margin, only its estimate is below
    it and whether it matters is open (the estimate alone shows nothing of the kind); "" when none."""
    from benchmark.runstats import practical_margin

    c = stats.cells
    if c.empty or "vs_base" not in c.columns:
        return ""
    marked = c[c["vs_base"].isin([1.0, -1.0])]
    small = [(r, practical_margin(r.metric)) for r in marked.itertuples(index=False)]
    small = [(r, m) for r, m in small if math.isfinite(m) and abs(r.diff_vs_base) < m]
    if not small:
        return ""

    def within(r, m) -> bool:
        lo, hi = getattr(r, "diff_ci_low", NAN), getattr(r, "diff_ci_high", NAN)
        return _finite(lo) and _finite(hi) and -m < lo and hi < m

    def one(r, m) -> str:
        ci = (f" [{_fmt(r.diff_ci_low, '+.2g')}, {_fmt(r.diff_ci_high, '+.2g')}]"
              if _finite(getattr(r, "diff_ci_low", NAN)) else "")
        return (f"{r.task}/{r.metric}: {r.label} {UP if r.vs_base > 0 else DOWN} {_fmt(r.diff_vs_base, '+.2g')}{ci} "
                f"vs `{stats.baseline}` (margin {m:g})")

    shown = [one(r, m) for r, m in small if within(r, m)]
    open_ = [one(r, m) for r, m in small if not within(r, m)]
    out = []
    if shown:
        out.append("Significant but smaller than the smallest effect of interest (the metric's practical margin; "
                   "the whole 95 % CI of the effect within it): " + "; ".join(shown)
                   + " — a real difference, too small to matter by the margins the findings use.")
    if open_:
        out.append("Significant, with an estimate below the smallest effect of interest (the metric's practical "
                   "margin) but a 95 % CI reaching past it: " + "; ".join(open_)
                   + " — a real difference; whether it is large enough to matter is not shown.")
    return " ".join(out)


def fragile_note(head: str, rule: str, items, lead: str = "") -> str:
    """The note naming fragile results, as the leaderboard's and compare's notes all word it: ``{head} ({FRAGILE} —
    {rule}): {lead}item; item — more seeds settle it.`` (each item with its :func:`benchmark.stats.fragile_text`)."""
    from benchmark.stats import FRAGILE

    return f"{head} ({FRAGILE} — {rule}): {lead}" + "; ".join(items) + " — more seeds settle it."


def fragile_cells_text(stats: Stats, by: str = "decided_by", p_without: str = "p_without") -> str:
    """A note naming each fragile result of the table, "" when none: with ``by="decided_by"`` each fragile ▲/▼
    (:func:`benchmark.stats.one_run_decides`): every seed whose runs, left out, leave the mark's Holm p at or above α
    (or its effect turned), with the largest such p (:func:`benchmark.stats.fragile_text`); with
    ``by="bold_decided_by", p_without="bold_p_without"`` each loss out of bold on a fragile result
    (:func:`benchmark.stats.out_of_bold_on_one_run`)."""
    from benchmark.stats import fragile_text

    c = stats.cells
    if c.empty or by not in c.columns:
        return ""
    one = c[c[by].notna()]
    if one.empty:
        return ""
    if by == "decided_by":
        head, rule = "Fragile ▲/▼", f"its p Holm-adjusted over the table ≥ α = {stats.alpha:g}, or its effect turned"
    else:
        head, rule = ("Fragile out of bold",
                      "it is significantly worse than no other loss after Holm over the column's pairs")
    return fragile_note(head, rule, (
        f"{r.task}/{r.metric}: {r.label} " + (f"{UP if r.vs_base > 0 else DOWN} " if by == "decided_by" else "")
        + f"({fragile_text(getattr(r, by), getattr(r, p_without), alpha=stats.alpha)})"
        for r in one.itertuples(index=False)))


def best_not_bold_text(stats: Stats) -> str:
    """A note naming each cell whose best mean is not bold: the loss is significantly worse than another
    where their runs are paired by seed (its mean also rests on runs the other lacks — every cell of a column
    is over the same images — named by the note on different seeds or on non-finite scores), so it is out of
    the top group although every legend calls the best restoration bold; "" when there is none."""
    c = stats.cells
    if c.empty or not {"best", "top_group", "p_best_adj"} <= set(c.columns):
        return ""
    out = c[c["best"].astype(bool) & ~c["top_group"].astype(bool) & (c["p_best_adj"] < stats.alpha)]
    if out.empty:
        return ""
    # the note that says which runs: losses run on other seeds, or a run a metric could not score (left out of
    # that column only, so the loss's seeds are the same as its neighbours' and the seeds note is not there)
    refs = [what for what, there in (("the note on losses run on different seeds", unequal_seeds_text(stats)),
                                     ("the note on non-finite scores", stats.nonfinite),
                                     ("the note on runs scored on few images", stats.sparse)) if there]
    return ("Best mean but not bold — significantly worse than another loss on the seeds they share (its mean "
            f"also rests on runs the other lacks{': see ' + ' and '.join(refs) if refs else ''}): "
            + "; ".join(f"{r.task}/{r.metric}: {r.label} ({_count(r.n_seeds)} runs, p "
                        f"{p_text(r.p_best_adj, stats.alpha)}, Holm over the pairs)"
                        for r in out.itertuples(index=False)) + ".")


def unequal_seeds_text(stats: Stats) -> str:
    """A note for the tasks whose losses were run on different seeds: a cell's mean is over every run of
    its loss, but every test (bold, ▲/▼) pairs runs by seed and uses only the seeds the two losses share,
    so a mean can rest on runs its tests never saw. Names each loss's seeds per task, and every ▲/▼ that
    points against the order of the two means (the paired effect on the shared seeds has the other sign), and that
    the findings leave such a pair untested ("missing runs"), so a mark here never disagrees with them unsaid;
    "" when every loss of every task has the same seeds."""
    parts, against = [], []
    for task in sorted({b.task for b in stats.blocks}):
        seeds_of: dict[str, set] = {}
        for b in stats.blocks:
            if b.task != task:
                continue
            has = ~np.isnan(b.values).all(axis=2)                                  # (L, S): a run there
            for i, lab in enumerate(b.labels):
                if lab != INPUT and has[i].any():
                    seeds_of.setdefault(lab, set()).update(int(x) for x in b.seeds[has[i]])
        if len({frozenset(v) for v in seeds_of.values()}) < 2:
            continue
        by_set: dict[frozenset, list[str]] = {}
        for lab, ss in sorted(seeds_of.items(), key=lambda kv: name_key(kv[0])):
            by_set.setdefault(frozenset(ss), []).append(lab)
        parts.append(f"{task}: " + "; ".join(f"{', '.join(labs)} seeds {_seed_list(ss)} ({len(ss)})"
                                            for ss, labs in sorted(by_set.items(), key=lambda kv: sorted(kv[0]))))
    if not parts:
        return ""
    c = stats.cells
    if not c.empty and "vs_base" in c.columns:
        base = c[is_baseline(c, stats.baseline)].set_index(["task", "metric"])["mean"]
        base = base[~base.index.duplicated()]
        for r in c[c["vs_base"].isin([1.0, -1.0])].itertuples(index=False):
            b = base.get((r.task, r.metric), NAN)
            ahead = (r.mean - b) * (1.0 if r.higher_is_better else -1.0)
            if _finite(ahead) and ahead * r.vs_base < 0:
                against.append(f"{r.task}/{r.metric}: {r.label} {UP if r.vs_base > 0 else DOWN} although its mean "
                               f"is {'below' if ahead < 0 else 'above'} `{stats.baseline}`'s")
    return ("Losses run on different seeds — each mean is over all of its loss's runs, each test (bold, "
            f"{UP}/{DOWN}) over the seeds the two losses share (runs are paired by seed), so a mean can rest on runs "
            "its tests did not use: " + " — ".join(parts) + "."
            + (" Marks against the order of the means (the paired effect on the shared seeds has the other sign): "
               + "; ".join(against) + "." if against else "")
            + " The published findings test no such pair: a part whose arms were run on different seeds reads "
            "\"missing runs\" there, untested until both have the same seeds, so a mark here can stand beside an "
            "untested part in findings.md.")


def bold_below_plain_text(stats: Stats) -> str:
    """A note naming each cell where a bold loss has a worse mean than a loss that is not bold. Bold is every
    loss not significantly worse than another (all pairs, Holm), so a loss with noisy or few runs can stay
    bold — it cannot be excluded — while a better-measured, better mean is excluded; the table reads as if
    bold followed the means. A better mean with too few runs to be tested (never bold, never excluded) is said
    apart, as untested. "" when no cell does this."""
    c = stats.cells
    if c.empty or not {"top_group", "mean", "higher_is_better"} <= set(c.columns):
        return ""
    from benchmark.runstats import MIN_RUNS

    said, untested = [], []
    for (task, metric), g in c[c["label"] != INPUT].groupby(["task", "metric"], sort=False):
        g = g[np.isfinite(g["mean"].to_numpy(float))]
        if g.empty:
            continue
        sign = 1.0 if bool(g["higher_is_better"].iloc[0]) else -1.0
        bold = g[g["top_group"].astype(bool)]
        # a plain loss never tested (too few runs) was not excluded: said apart, never as "better-measured"
        never = ~g["top_group"].astype(bool) & g["p_best_adj"].isna() & (g["n_seeds"] < MIN_RUNS) \
            if {"p_best_adj", "n_seeds"} <= set(g.columns) else pd.Series(False, index=g.index)
        # the column's best mean left plain is best_not_bold_text's note: not said twice
        plain = g[~g["top_group"].astype(bool) & ~(g["best"].astype(bool) if "best" in g else False) & ~never]
        if bold.empty:
            continue
        if not plain.empty:
            best_plain = plain.loc[(sign * plain["mean"]).idxmax()]
            below = bold[sign * bold["mean"] < sign * best_plain["mean"]]
            if not below.empty:
                said.append(f"{task}/{metric}: {', '.join(below['label'])} bold below {best_plain['label']} (not bold)")
        thin = g[never]
        if not thin.empty:
            best_thin = thin.loc[(sign * thin["mean"]).idxmax()]
            below = bold[sign * bold["mean"] < sign * best_thin["mean"]]
            if not below.empty:
                over = thin[sign * thin["mean"] > float((sign * below["mean"]).min())]
                untested.append(f"{task}/{metric}: {', '.join(below['label'])} bold below " + ", ".join(
                    f"{r.label} ({plural(_count(int(r.n_seeds)), 'run')})"
                    for r in over.sort_values("label").itertuples()))
    out = []
    if said:
        out.append("Bold below a plain mean — bold is every loss not significantly worse than another, so a loss whose "
                   "runs spread widely stays bold (it cannot be excluded) while a closer, better-measured one is "
                   "excluded: " + "; ".join(said) + ".")
    if untested:
        out.append("Bold below an untested mean — bold is among the losses tested, and these have too few runs to "
                   f"be tested (a test needs ≥ {MIN_RUNS} paired runs; neither in nor out of the top group): "
                   + "; ".join(untested) + ".")
    return " ".join(out)


def survivors_text(stats: Stats) -> str:
    """A note naming each (task, loss) that lost some of its runs (diverged or failed) and still has
    cells: its mean, bold and ▲/▼ rest on the runs that finished (a loss that sometimes diverges is
    judged on its good runs), where findings count its parts as missing runs; "" when none."""
    tc = stats.task_costs
    if tc is None or tc.empty or not {"ok", "diverged", "failed", "runs"} <= set(tc.columns) or stats.cells.empty:
        return ""
    scored = set(zip(stats.cells["task"], stats.cells["label"]))
    who = [f"{getattr(r, 'label', r.loss)} ({r.task}: {lost_status(r.diverged, r.failed, r.runs)})"
           for r in tc.itertuples(index=False)
           if int(r.ok) and int(r.diverged) + int(r.failed) and (r.task, getattr(r, "label", r.loss)) in scored]
    if not who:
        return ""
    return (f"Compared on the runs that finished: {', '.join(who)} — their means, bold and {UP}/{DOWN} rest on the "
            "runs that did not diverge or fail, so a loss that sometimes diverges is judged on its good runs; "
            "findings give its parts no verdict (missing runs).")


#: the status :func:`not_ranked` gives a task where a loss's runs finished but none has a finite score
NO_FINITE = "no finite score"


def no_finite_score(stats: Stats) -> dict[str, list[str]]:
    """{loss label: [task]}: losses with cells (runs that finished) but not one finite mean in any of them — every
    score NaN or ±inf, the metrics could score none of their outputs — so no rank anywhere, tasks in order."""
    c = stats.cells
    if c.empty:
        return {}
    c = c[c["label"] != INPUT]
    finite = c.groupby("label", observed=True)["mean"].apply(lambda v: bool(np.isfinite(v.astype(float)).any()))
    out: dict[str, list[str]] = {}
    for label in sorted((lab for lab, ok in finite.items() if not ok), key=name_key):
        out[label] = sorted(set(c.loc[c["label"] == label, "task"].astype(str)))
    return out


def not_ranked(stats: Stats) -> dict[str, list[tuple[str, str]]]:
    """{loss label: [(task, status)]}: losses with no rank in the overall ranking: no restoration anywhere (every
    run diverged or failed: :func:`lost_status`), or restorations with no finite score anywhere (:data:`NO_FINITE`,
    :func:`no_finite_score`: they had no row at all there, as if never run)."""
    lost = unscored(stats)
    blank = no_finite_score(stats)
    # a loss with no finite score where it has cells is unranked too: its tasks whose every run diverged or failed are
    # listed beside them, never dropped (tests/test_review_stats21.py)
    ranked = set(stats.cells.loc[stats.cells["label"] != INPUT, "label"]) - set(blank) if not stats.cells.empty \
        else set()
    out: dict[str, list[tuple[str, str]]] = {}
    for r in lost.itertuples(index=False):
        if r.label not in ranked:
            out.setdefault(r.label, []).append((r.task, r.status))
    for label, tasks in blank.items():
        out.setdefault(label, []).extend((t, NO_FINITE) for t in tasks)
    return out


def not_ranked_text(stats: Stats, named: bool = True) -> str:
    """``Not ranked — every run diverged: l2 (denoise 2/2).``, ``Not ranked — no finite score (every score NaN or
    ±inf: the metrics could score none of its restorations): my_loss (denoise).``, both where both, or "" when every
    loss is ranked. ``named=False``: each kind's losses counted (:data:`TOO_MANY`), for a figure's caption."""
    nr = not_ranked(stats)
    # a loss of both kinds (no finite score in one task, every run lost in another) named in each, its tasks apart
    lost = {k: w for k, v in nr.items() if (w := [(t, s) for t, s in v if s != NO_FINITE])}
    blank = {k: w for k, v in nr.items() if (w := [t for t, s in v if s == NO_FINITE])}
    parts = [lost_runs_text("Not ranked", lost, named=named)] if lost else []
    if blank:
        parts.append(f"Not ranked — {NO_FINITE} (every score NaN or ±inf: "
                     f"the metrics could score none of {agree(len(blank), 'its', 'their')} restorations): "
                     + ("; ".join(f"{label} ({', '.join(tasks)})" for label, tasks in blank.items()) if named
                        else f"{plural(len(blank), 'loss', 'losses')} ({TOO_MANY})"))
    return ". ".join(parts) + "." if parts else ""  # two sentences: a '; ' reads as one more loss of the first


def capped_not_ranked_text(stats: Stats) -> str:
    """:func:`not_ranked_text` under a table whose rows give each loss not ranked (leaderboard.md, report.html,
    leaderboard.tex): the losses named, or past :data:`~benchmark.docmarkup.NOTE_LINES` lines of :data:`TEX_LINE`
    characters counted (:func:`~benchmark.docmarkup.capped_text`): 40 losses of 40 characters made 2300 characters of
    names under the overall ranking, and in leaderboard.tex a caption that cut its table into 11 floats."""
    return capped_text(not_ranked_text(stats), not_ranked_text(stats, named=False), TEX_LINE)


#: what a figure's caption says in place of the losses it counts (too many to name: their names took a page)
TOO_MANY = "too many to name here; the tables give each loss's runs"
#: the same of losses counted for the blocks they lack (the overall ranking's Blocks column gives each loss's)
TOO_MANY_BLOCKS = "too many to name here; the tables give each loss's blocks"


def losses_named(names: list[str], why: str = TOO_MANY) -> str:
    """``names`` (one entry per loss, ``l2`` or ``l2 (3 runs)``) joined by ", " for a sentence of the Friedman line
    (friedman_text, the tables' line in md, tex and html, and the CD diagram's caption), or past NOTE_LINES lines of
    TEX_LINE characters (:func:`~benchmark.docmarkup.capped_text`) counted, ``12 losses (too many to name here; …)``
    (``why``): 12 losses of 40 characters short of runs named made 700 characters of that line."""
    return capped_text(", ".join(names), f"{plural(len(names), 'loss', 'losses')} ({why})", TEX_LINE)


def lost_runs_text(what: str, lost: dict[str, list[tuple[str, str]]], when: str = "", named: bool = True) -> str:
    """``{what} — every run diverged{when}: l2 (denoise 2/2)`` of ``lost`` ({loss label: [(task, status)]}, each
    status :func:`lost_status`'s), its losses and tasks in the order given; one kind named where every status is of it,
    else each task's statuses (``l2 (denoise: diverged 1/3, failed 2/3)``); "" when ``lost`` is empty.
    ``named=False``: the losses counted, ``… diverged{when}: 30 losses (too many to name here; …)`` (:data:`TOO_MANY`),
    for a figure's caption (:func:`benchmark.figures.capped_note`)."""
    if not lost:
        return ""
    statuses = [s for parts in lost.values() for _, s in parts]
    kind = next((k for k in ("diverged", "failed") if all(s.startswith(k) and "," not in s for s in statuses)), None)
    head = f"{what} — every run {kind or 'diverged or failed'}{when}: "
    if not named:
        return head + f"{plural(len(lost), 'loss', 'losses')} ({TOO_MANY})"
    if kind:
        return head + "; ".join(f"{loss} (" + ", ".join(f"{t} {s.split(' ', 1)[1]}" for t, s in parts) + ")"
                                for loss, parts in lost.items())
    return head + "; ".join(f"{loss} (" + ", ".join(f"{t}: {s}" for t, s in parts) + ")"
                            for loss, parts in lost.items())


def _below_gap(stats: Stats, task: str, label: str) -> float:
    """The mean gap to the degraded input (metric units, negative) of only the runs of ``label``
    that score below it — ``stats.worse``'s ``worse_gap`` (:func:`benchmark.stats.worse_than_input`),
    never ``mean_gap``, which averages the better runs in; NaN when it is not there."""
    w = stats.worse
    if w is None or w.empty or "worse_gap" not in w.columns:
        return NAN
    hit = w[(w["task"] == task) & (w["label"] == label)]
    return float(hit["worse_gap"].iloc[0]) if len(hit) else NAN


def _gap_text(g: float) -> str:
    if not _finite(g):
        return ""
    return f"{g:+.2f}" if round(g, 2) != 0 else f"{g:+.1g}"


def _margin_side_text(g: float, margin: float, fmt: str) -> str:
    """``g`` (a budget gain, signed) written with ``fmt`` (``.2f``, ``.3g``), or with as many more digits as it takes
    for the figure to lie on the same side of ``±margin`` as ``g`` and not on it: a PSNR arm still improving by
    +0.054 dB was written "(+0.05 dB)" beside the 0.05 dB margin it is past (tests/test_probe_conv23.py)."""
    kind, digits = fmt[-1], int(fmt[1:-1])
    text = ""
    for more in range(4):
        text = f"{g:+.{digits + more}{kind}}"
        shown = abs(float(text))
        if not math.isfinite(margin) or (shown != margin and (shown > margin) == (abs(g) > margin)):
            break
    return text


def worse_text(stats: Stats, task: str | None = None) -> str:
    """``denoise/l2 1 of 2 runs (-0.05 dB in those runs)``, for every (task, label) with runs below
    the degraded input (of ``task`` only, when given); "" when there are none."""
    w = stats.worse
    if w is None or w.empty or not (w["worse"] > 0).any():
        return ""
    bad = w[(w["worse"] > 0) & ((w["task"] == task) if task is not None else True)]
    parts = []
    for r in bad.itertuples(index=False):
        gap = _gap_text(_below_gap(stats, r.task, r.label))
        where = f"{r.task}/{r.label}" if task is None else str(r.label)
        parts.append(f"{where} {int(r.worse)} of {plural(int(r.runs), 'run')}"
                     + (f" ({gap} dB{'' if int(r.worse) == int(r.runs) else ' in those runs'})" if gap else ""))
    return ", ".join(parts)


def friedman_text(stats: Stats) -> str:
    """The Friedman/Nemenyi line under the overall ranking, the same in every export. With too few
    runs for any verdict it is said to be descriptive, without a χ² or p: its blocks are the
    (task, metric) scores of the same few runs, not replicates, so a p-value would not test the losses."""
    from benchmark.runstats import MIN_RUNS

    f = stats.friedman or {}
    if "cd" not in f:
        return f"No critical-difference summary: {f.get('reason', 'not computed')}."
    left = (f" Not in every block (left out): {losses_named(list(map(str, f['excluded'])), TOO_MANY_BLOCKS)}."
            if f.get("excluded") else "")
    left += runs_dropped_text(stats)
    dropped = friedman_left_blocks(stats)
    if dropped:  # the blocks some ranked loss lacks are not in it either: its ranks are not the whole grid's
        left += f" Blocks left out (not every loss it ranks has them, or not every one of their runs): {dropped}."
        left += runs_left_text(stats)
    few = _too_few_for_friedman(stats)
    if few is not None:
        who = short_runs_who(stats, few)
        return (f"Friedman/Nemenyi: descriptive only, not a test of the losses — {who} where a "
                f"verdict needs ≥ {MIN_RUNS}, and its {f['n_blocks']} blocks are (task, metric) scores of those "
                f"same runs, not independent replicates; no χ², p or critical difference is given. The mean ranks "
                f"are descriptive." + left)
    if f.get("descriptive"):  # no test with the run as the unit (benchmark.stats.friedman_nemenyi)
        return (f"Friedman/Nemenyi: descriptive only, not a test of the losses — {f['descriptive']}; its "
                f"{f['n_blocks']} blocks are (task, metric) scores of the same runs, not independent replicates, so "
                f"no χ², p or critical difference is given. The mean ranks are descriptive." + left)
    return (f"Friedman test over {f['n_blocks']} complete (task, metric) blocks × {f['k']} losses: χ² = "
            f"{_fmt(f.get('statistic'), '.1f')}, p {friedman_p_text(f)}; critical difference "
            f"(α = {f.get('alpha', stats.alpha)}) = {_fmt(f.get('cd'), '.2f')} ranks. The run is the unit: the runs "
            f"of each loss are ranked among the runs of the same seed in every block (mean ranks of the "
            f"{f.get('n_runs')} seeds every loss has), and p and the critical difference come from "
            f"{f.get('n_perm')} relabellings of the runs of each seed among the losses, the same in every block — the "
            f"blocks score the same runs, so they are not independent replicates. {_fixed_images_text(stats)}"
            + _run_ranks_text(f) + left)


def images_of(stats: Stats) -> str:
    """The test images per (task, metric) cell of the restored runs, as a number to put before "test images":
    `` 4``, `` 3–24`` where they differ; "" when none. A cell of no score (a loss whose every psnr is NaN) counts no
    images, not 0: it read "on these 0–6 test images" (tests/test_probe_report20.py)."""
    c = stats.cells
    n = sorted({k for k in c.loc[c["label"] != INPUT, "n_images"].astype(int) if k > 0}) if not c.empty else []
    return "" if not n else f" {n[0]}" if len(n) == 1 else f" {n[0]}–{n[-1]}"


def _fixed_images_text(stats: Stats) -> str:
    """What the run-level Friedman test does not resample: the test images. Its relabellings move runs, each scored
    on the same images, so a difference that holds on these images only (a loss × image interaction) counts — on 4
    test images, losses equal over images with such a level (1 scale unit) were called different in 15 of 20 null
    grids, 7 of 20 on 12 (tests/test_probe_verdicts13.py) —, where the pair tests' SE has the image level."""
    return (f"Its relabellings keep the{images_of(stats)} test images fixed (the SE of the pair tests has the image "
            f"level, this test does not): it says the losses differ on these images, not over images — where losses "
            f"differ image by image, another test set may not agree.")


def _too_few_for_friedman(stats: Stats) -> int | None:
    """:func:`_too_few` over the whole grid, unless the Friedman test ran with the run as the unit: it then rests
    on ≥ MIN_RUNS seeds of every loss in every block it keeps (a thin cell's block left out,
    ``runs_left_blocks``), and one thin cell elsewhere does not make it descriptive."""
    return None if (stats.friedman or {}).get("method") == "permutation" else _too_few(stats)


def runs_dropped_text(stats: Stats) -> str:
    """" bad (3 runs) is left out of the test: fewer than 5 runs in every block; the other losses are tested
    without it." when the run-level Friedman test dropped losses short of runs everywhere, else ""."""
    from benchmark.runstats import MIN_RUNS

    gone = (stats.friedman or {}).get("runs_dropped") or {}
    if not gone:
        return ""
    verb = agree(len(gone), "is", "are")
    named = losses_named([f"{lab} ({plural(_count(n), 'run')})" for lab, n in gone.items()])
    return (f" {named} {verb} left out of the test: "
            f"fewer than {MIN_RUNS} runs in every block; the other losses are tested without "
            f"{agree(len(gone), 'it', 'them')}.")


def runs_left_text(stats: Stats) -> str:
    """" Those of denoise (psnr) are left out for every loss because X lacks runs there …" when the run-level
    test left blocks out for a loss's missing runs (a diverged run, a metric unscored on some runs), else "":
    those blocks are where that loss failed, so its rank in the test does not see the failure."""
    f = stats.friedman or {}
    who = [str(x) for x in f.get("runs_left_by", ())]
    if not f.get("runs_left_blocks") or not who:
        return ""
    blocks = "; ".join(f"{t} ({', '.join(sorted(str(m) for tt, m in f['runs_left_blocks'] if str(tt) == t))})"
                       for t in sorted({str(t) for t, _ in f["runs_left_blocks"]}))
    verb = agree(len(who), "lacks", "lack")
    return (f" Those of {blocks} are left out for every loss because {losses_named(who)} {verb} runs there "
            "(diverged or unscored), "
            f"so the test does not see how {agree(len(who), 'it', 'they')} did there, which may flatter "
            f"{agree(len(who), 'it', 'them')}.")


def friedman_left_blocks(stats: Stats) -> str:
    """The (task, metric) blocks the Friedman/Nemenyi summary leaves out because a loss it ranks has
    no score there, or (the run-level test) too few of its runs, as ``"jpeg (psnr, ssim); sr4 (lpips)"``;
    "" when none (or no summary)."""
    shown = set((stats.friedman or {}).get("ranks", {}))
    if not shown:
        return ""
    r = stats.cells[stats.cells["label"] != INPUT].dropna(subset=["mean"])
    runs_left = {tuple(map(str, b)) for b in (stats.friedman or {}).get("runs_left_blocks", ())}
    left: dict[str, list[str]] = {}
    for (task, metric), g in r.groupby(["task", "metric"], sort=True):
        if not shown <= set(g["label"]) or (str(task), str(metric)) in runs_left:
            left.setdefault(str(task), []).append(str(metric))
    return "; ".join(f"{t} ({', '.join(ms)})" for t, ms in left.items())


def _run_ranks_text(f: dict) -> str:
    """The mean run ranks a permutation critical difference applies to (`` Mean run ranks …``), or ""
    for the asymptotic summary, whose ranks are the overall ranking's. Those differ: the overall
    ranking ranks each cell's mean, the run-level test ranks runs within their seed (closer to the
    middle), so the table's gaps are not to be held against this CD."""
    if f.get("method") != "permutation" or not f.get("ranks"):
        return ""
    ranks = ", ".join(f"{label} {_fmt(r, '.2f')}" for label, r in f["ranks"].items())
    return (f" Mean run ranks (1 = best), the ranks the critical difference applies to: {ranks}; the mean ranks "
            f"of the overall ranking (ranks of each cell mean) are not comparable with it.")


def device_cost_lines(stats: Stats) -> list[str]:
    """Notes on ms/it timed on several kinds of device (:func:`benchmark.stats.device_kind`): a loss whose
    runs mix a CPU and a GPU, two GPU models or two CPU models or thread counts, has no pooled ms/it ("–" in the ms/it
    columns; its median per device here), and losses each timed on another device are named per device, as their
    ms/it columns compare machines."""
    from benchmark.stats import device_kind

    c = stats.costs
    if c.empty or "device" not in c.columns:
        return []
    out = []
    mixed = c[c["ms_per_it_by_device"].astype(str) != ""] if "ms_per_it_by_device" in c.columns else c.iloc[0:0]
    if not mixed.empty:
        out.append("ms/it is not pooled over devices (a CPU and a GPU step differ by orders of magnitude, two GPU "
                   "models or two CPU models or thread counts by several times), so it is – for a loss timed on more "
                   "than one; "
                   "its median per device: "
                   + "; ".join(f"{r.label}: {r.ms_per_it_by_device.replace('; ', ', ')}"
                               for r in mixed.itertuples(index=False)) + ".")
    kinds: dict[str, list[str]] = {}
    for r in c.itertuples(index=False):
        # the kinds its ms/it was timed on (a GPU's model in its kind; a run with no ms/it times nothing)
        timed = str(r.timed_on).split("; ") if "timed_on" in c.columns and isinstance(r.timed_on, str) else \
            [device_kind(d) for d in str(r.device).split(", ") if d]
        for k in sorted(set(timed) - {"unknown", ""}):
            kinds.setdefault(k, []).append(str(r.label))
    if len(kinds) > 1:
        out.append("ms/it was timed on several kinds of device, so its columns compare machines as well as losses — "
                   + "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(kinds.items())) + ".")
    assumed = c[c["timed_model_assumed"] > 0] if "timed_model_assumed" in c.columns else c.iloc[0:0]
    if not assumed.empty:  # stats.device_kinds: right after an upgrade on one machine, wrong for another's runs
        out.append(f"ms/it of {plural(int(assumed['timed_model_assumed'].sum()), 'run')} "
                   f"({', '.join(map(str, assumed['label']))}) was recorded before plbench named the CPU model "
                   "(its meta.json's device_name x86_64, or a Mac's arm or i386) and is counted as the one model "
                   "these results name at its thread count: right for this store's machine before an upgrade, "
                   "wrong for runs merged from another machine — name that machine's model in their meta.json's "
                   "device_name to keep them apart.")
    return out


def task_cost_lines(stats: Stats, most: int = 8) -> list[str]:
    """One note naming the losses whose overall ms/it (the median over their runs on every task they trained on,
    :func:`benchmark.stats.cost_table`) is of other tasks than most losses': a step costs more on one task than another
    (l1 at the quick profile's 8×48² on 1 thread: denoise 21 ms, jpeg 37 ms; a net's or loss's own task-dependent
    costs more), so a loss trained on a dear task alone (``--loss-tasks``, a loss file compared on some tasks) read
    dearer than another that costs as much there; at most ``most`` named, then how many more. None where every loss
    was timed on the same tasks."""
    tc = stats.task_costs
    if tc.empty or "ms_per_it" not in tc.columns:
        return []
    # a task a loss was timed on: its ms/it there, or its median per device where its runs there span two (ms/it –)
    by_device = tc["ms_per_it_by_device"].fillna("").astype(str) != "" if "ms_per_it_by_device" in tc.columns else False
    timed = tc[np.isfinite(pd.to_numeric(tc["ms_per_it"], errors="coerce").astype(float)) | by_device]
    c = stats.costs  # a loss with no overall ms/it (–: timed on two kinds of device) has none to explain
    shown = None if c.empty or "ms_per_it" not in c.columns else set(
        c.loc[np.isfinite(pd.to_numeric(c["ms_per_it"], errors="coerce").astype(float)), "label"].astype(str))
    tasks_of = {str(label): tuple(sorted(map(str, set(g["task"])))) for label, g in timed.groupby("label", sort=True)
                if shown is None or str(label) in shown}
    if len(set(tasks_of.values())) < 2:
        return []
    usual = Counter(tasks_of.values()).most_common(1)[0][0]
    groups: dict[tuple, list[str]] = {}  # the losses of each other set of tasks: the tasks said once, not per loss
    for label, ts in tasks_of.items():
        if ts != usual:
            groups.setdefault(ts, []).append(label)
    n = sum(map(len, groups.values()))
    said, left = [], most
    for ts, labels in sorted(groups.items(), key=lambda g: (-len(g[1]), g[0])):
        if left <= 0:
            break
        said.append(f"on {', '.join(ts)}: {', '.join(labels[:left])}")
        left -= len(labels[:left])
    more = f"; and {n - most} more" if n > most else ""
    return [f"ms/it in the overall ranking is a loss's median over the tasks it was timed on, and a step costs more on "
            f"some tasks than on others: {agree(n, 'this loss was', 'these losses were')} timed on other "
            f"tasks than most ({', '.join(usual)}) — {'; '.join(said)}{more}; compare "
            f"{agree(n, 'its', 'their')} cost in the task tables."]


def cost_spread_lines(stats: Stats) -> list[str]:
    """One note naming the losses whose ms/it over their runs (min–max, ``ms_per_it_low``/``_high`` of
    :func:`benchmark.stats.cost_table`) holds the median of another's timed on the same kind of device, with each
    one's range, in groups of such losses: the order of their costs, which the medians give, may flip on a re-run.
    Ranges that only touch (neither median inside the other's range: with two runs a loss's range is both its
    runs, so most do on a noisy machine) are no such doubt; none where no median falls in another's range."""
    c = stats.costs
    if c.empty or "ms_per_it_low" not in c.columns:
        return []
    c = c[np.isfinite(pd.to_numeric(c["ms_per_it_low"], errors="coerce").astype(float))]
    rows = list(c.itertuples(index=False))
    group = list(range(len(rows)))  # union-find over the losses whose costs may swap places

    def root(k: int) -> int:
        while group[k] != k:
            k = group[k]
        return k

    for i, a in enumerate(rows):
        for j in range(i + 1, len(rows)):
            b = rows[j]
            if str(a.timed_on) == str(b.timed_on) and a.ms_per_it != b.ms_per_it and (
                    b.ms_per_it_low <= a.ms_per_it <= b.ms_per_it_high
                    or a.ms_per_it_low <= b.ms_per_it <= a.ms_per_it_high):
                group[root(j)] = root(i)
    groups: dict[int, list] = {}
    for k, r in enumerate(rows):
        groups.setdefault(root(k), []).append(r)
    groups = {g: sorted(v, key=lambda r: r.ms_per_it) for g, v in groups.items() if len(v) > 1}
    if not groups:
        return []
    shown = [r for v in groups.values() for r in v]
    runs = {_count(r.runs) for r in shown}
    each = f" ({runs.pop()} runs each)" if len(runs) == 1 else ""
    text = "; ".join(", ".join(f"{r.label} {_fmt(r.ms_per_it_low, '.1f')}–{_fmt(r.ms_per_it_high, '.1f')}"
                               + ("" if each else f" ({_count(r.runs)} runs)") for r in v)
                     for v in sorted(groups.values(), key=lambda v: v[0].ms_per_it))
    return [f"The cost order may flip on a re-run among these losses, each one's ms/it range over its runs (min–max"
            f"{each.replace(' (', ', ').rstrip(')')}) holding the median of another in its group: {text} (costs.csv: "
            "ms_per_it_low, ms_per_it_high)."]


def _every_timed_label(stats: Stats, labels) -> bool:
    """Whether ``labels`` hold every loss label of ``stats.costs`` with a ms/it: then a note on their figures
    reading high has no other loss's to read high next to."""
    costs = stats.costs
    timed = costs.loc[costs["ms_per_it"].notna(), "label"] if "ms_per_it" in costs.columns else costs["label"]
    return set(map(str, timed)) <= set(map(str, labels))


def reads_high_cost_lines(stats: Stats) -> list[str]:
    """Notes on ms/it that reads high next to the others': runs timed before plbench timed the steady state
    (``timed_with_warmup``) and CPU runs timed while other work held the cores (``timed_busy``), each naming its
    losses; the leaderboard's and compare's alike."""
    out: list[str] = []
    old = stats.costs[stats.costs["timed_with_warmup"] > 0] if "timed_with_warmup" in stats.costs.columns \
        else stats.costs.iloc[0:0]
    if not old.empty:  # their ms/it is wall time / iterations: left out where their task has steady-state runs
        out_n = old["warmup_left_out"].fillna(0).astype(int) if "warmup_left_out" in old.columns \
            else pd.Series(0, index=old.index)
        kept_n = old["timed_with_warmup"].astype(int) - out_n
        said = (f"ms/it of {plural(int(old['timed_with_warmup'].sum()), 'run')} "
                f"({', '.join(map(str, old['label']))}) "
                "was recorded before plbench timed the steady state: it includes the first iterations (with "
                "--compile, the compilation) and checkpoint saves")
        if (out_n > 0).any():
            said += (f"; left out of the median of {', '.join(map(str, old.loc[out_n > 0, 'label']))}, which "
                     f"{agree(int((out_n > 0).sum()), 'has', 'have')} runs of the same task timed in the steady state")
        if (kept_n > 0).any() and not (out_n > 0).any() and _every_timed_label(stats, old.loc[kept_n > 0, "label"]):
            # a store made before steady timing, every loss's figure so: no other to read high next to
            said += ("; in the median of every loss here, none of which has a run timed in the steady state: each "
                     "ms/it reads high by its own first iterations, so their order holds only roughly")
        elif (kept_n > 0).any():
            said += (f"; in the median of {', '.join(map(str, old.loc[kept_n > 0, 'label']))}, with no such run of "
                     "the same task, so it reads high next to the others'")
        out.append(said + ".")
    busy = stats.costs[stats.costs["timed_busy"] > 0] if "timed_busy" in stats.costs.columns \
        else stats.costs.iloc[0:0]
    if not busy.empty:  # their ms/it counts the time other jobs held the cores
        from benchmark.devices import min_cpu_share as _min_cpu_share

        # left out of its loss's median where the loss has runs of the same task timed free
        # (benchmark.stats.cost_table); read high where it has none
        left = busy["busy_left_out"].fillna(0).astype(int) if "busy_left_out" in busy.columns \
            else pd.Series(0, index=busy.index)
        kept = busy["timed_busy"].astype(int) - left
        both = (left > 0).any() and (kept > 0).any()  # some left out, some kept: each label's count, never a total

        def named(which, counts) -> str:
            return ", ".join(f"{lab} ({plural(int(n), 'run')})" if both else str(lab)
                             for lab, n in zip(busy.loc[which, "label"], counts[which]))

        said = [f"{plural(int(busy['timed_busy'].sum()), 'run')} ({', '.join(map(str, busy['label']))}) was timed "
                f"while its process had under {_min_cpu_share():g} of a core per thread, or its threads a core under "
                "that share of the time they were runnable (the machine busy with other work; cpu_share, "
                "cpu_runnable_share in meta.json)"]
        if (left > 0).any():
            said.append(f"left out of the median of {named(left > 0, left)}, which "
                        f"{agree(int((left > 0).sum()), 'has', 'have')} runs timed with the cores free"
                        + (" on the same task" if both else ""))
        if (kept > 0).any() and not both and _every_timed_label(stats, busy.loc[kept > 0, "label"]):
            # every loss with a ms/it is read from busy runs alone: there is no other to read high next to (a
            # loaded 2-core machine's every grid said "which have none, so it reads high next to the others'")
            said.append("in the median of every loss here, none of which has a run timed with the cores free: each "
                        "ms/it reads high by its own runs' share of the load, so their order holds only as far as "
                        "that load was alike")
        elif (kept > 0).any():
            said.append(f"in the median of {named(kept > 0, kept)}, "
                        + ("with no run of the same task timed free" if both else
                           f"which {agree(int((kept > 0).sum()), 'has', 'have')} none")
                        + ", so it reads high next to the others'")
        out.append("ms/it of " + ": ".join(said[:2]) + "".join(f"; {s}" for s in said[2:]) + ".")
    return out


def clipped_ci_lines(stats: Stats) -> list[str]:
    """One line when some cell's CI was cut at its metric's range by definition (``ci_clipped``,
    :func:`benchmark.stats.cell_table`): which bounds, and how many cells; none otherwise."""
    from benchmark.metric_ranges import metric_range

    cells = stats.cells
    if cells.empty or "ci_clipped" not in cells.columns or not cells["ci_clipped"].any():
        return []
    cut = cells[cells["ci_clipped"].astype(bool)]
    bounds = []
    for m in dict.fromkeys(cut["metric"].astype(str)):
        low, high = metric_range(m)
        bounds += [f"{m} ≥ {low:g}"] * math.isfinite(low) + [f"{m} ≤ {high:g}"] * math.isfinite(high)
    return [f"CIs cut at the range their metric has by definition ({', '.join(bounds)}): {plural(len(cut), 'cell')}, "
            f"whose interval over few seeds reached past it; the true mean lies within, so no coverage is lost."]


def pooled_sets_text(stats: Stats, below: bool = False) -> str:
    """Where the board scores several test sets: its marks pool their images, said where the marks are read (the
    notes above the tables, compare's summary), not only after the tables (leaderboard.md's By test set); "" for one
    set. ``below``: said in leaderboard.md itself, whose By test set follows (not "in leaderboard.md")."""
    if len(stats.test_sets) <= 1:
        return ""
    sets = ", ".join(f"{d} ({plural(n, 'image')})" for d, n in stats.test_sets.items())
    return (f"Test sets pooled: every cell's mean, interval, bold and {UP}/{DOWN} pool the images of the "
            f"{len(stats.test_sets)} test sets, {sets}, each image one item of the paired test — a loss marked better "
            f"on the pooled images may be worse on one set; the means per set (By test set, "
            f"{'below' if below else 'in leaderboard.md'}) carry no test.")


def saturated_columns(stats: Stats) -> list[str]:
    """The (task, metric) columns, "task/metric" in the columns' order, where every pair of losses the top group
    tested scores the same (:attr:`benchmark.runstats.RunComparison.same_scores`: every paired difference 0, SE 0 —
    the findings' "no spread … saturated?"): ssim 0.9 for every loss bolds every one of them, telling none apart. A
    column whose pairs differ by the same non-zero number on every run and image (a quantised metric) orders its
    losses, and is not one: its pairs are the notes' "Not tested" line."""
    p = stats.pairs
    if p.empty or "same_scores" not in p.columns:
        return []
    flat = p.groupby(["task", "metric"], observed=True, sort=False)["same_scores"].all()
    cols = {(str(t), str(m)) for (t, m), v in flat.items() if v}
    order = {m: i for i, m in enumerate(metric_order({m for _, m in cols}))}
    return [f"{t}/{m}" for t, m in sorted(cols, key=lambda c: (c[0], order[c[1]]))]


def notes(stats: Stats, coverage: bool = True, board: bool = False) -> list[str]:
    """Plain-text notes: method, baseline, and what the test-set size allows (``coverage``: with
    one ``Metric coverage:`` line per :attr:`Stats.coverage` entry; the HTML folds them into one).
    Markdown, LaTeX and HTML print the same lines; ``board``: leaderboard.md's, whose By test set is below them."""
    from benchmark.stats import smoke_test

    smoke = smoke_test(stats)
    out = ([smoke + "."] if smoke else []) + list(stats.in_flight)  # a partial board says so first
    if stats.setting:
        out.append(f"Setting (every run in these tables shares it): {stats.setting}.")
    from benchmark.metrics import metric_convention

    how = [f"{m}: {metric_convention(m)}" for m in metric_order({b.metric for b in stats.blocks})  # as the columns
           if metric_convention(m)]
    if how:  # a paper's table states its convention; ours must too (psnr here is not a table's PSNR-Y)
        out.append("Metrics: " + "; ".join(how) + ".")
    if stats.tasks_convention:  # the defaults too: the Setting line names only parameters off them
        out.append("Tasks: " + "; ".join(stats.tasks_convention) + ".")
    if coverage:
        out += [f"Metric coverage: {line}" for line in stats.coverage]
    out += stats.nonfinite + stats.sparse + stats.unpaired_checks + stats.stored_twice
    out += clipped_ci_lines(stats)
    out += reads_high_cost_lines(stats)
    out += device_cost_lines(stats)
    out += task_cost_lines(stats)
    out += cost_spread_lines(stats)
    from benchmark.stats import seed_agreement

    ranks = seed_agreement(stats.blocks)
    if "rho" in ranks and _finite(ranks["rho"]):
        per_task = ", ".join(f"{t} {_fmt(r, '.2f')}" for t, r in ranks["by_task"].items())
        out.append(f"Ranking stability: the losses' order under one seed against another agrees with Spearman "
                   f"ρ = {_fmt(ranks['rho'], '.2f')} on average (min {_fmt(ranks['min'], '.2f')}; {ranks['pairs']} "
                   f"(task, metric) blocks × seed pairs; per task: {per_task}).")
    if not stats.cells.empty:
        from benchmark.runstats import MIN_RUNS

        restored = scored_cells(stats.cells)  # as fewest_runs
        runs = restored.groupby("task")["n_seeds"].min() if not restored.empty else pd.Series(dtype=int)
        few = sorted(t for t, n in runs.items() if n < MIN_RUNS and _untested(stats, t) is not None)
        out.append(f"Significance: the training run is the unit — per-run scores (mean over the test images), "
                   f"paired by seed, with the run-to-run and image levels in the standard error (Student's t, "
                   f"Holm); a comparison needs ≥ {MIN_RUNS} paired runs (`plbench calibrate`)." + families_text(stats))
        out += [x for x in (pooled_sets_text(stats, below=board),) if x]
        if few:
            # a count every task listed shares, once (one seed on six tasks named each task twice, "1 run" six
            # times); else each task's, "per loss" said before them, not after the last alone
            counts = (f"{plural(int(runs[few[0]]), 'run')} per loss, " if runs[few].nunique() == 1 else
                      "per loss: " + ", ".join(f"{t} {plural(int(runs[t]), 'run')}" for t in few) + "; ")
            out.append(f"Too few runs for any verdict in {', '.join(few)} "
                       f"({counts}< {MIN_RUNS}): no cell "
                       f"there is bold or {UP}/{DOWN}; the ranks are descriptive (re-run with "
                       f"`--seeds {' '.join(map(str, range(MIN_RUNS)))}`).")
        per_loss = restored.groupby(["task", "label"])["n_seeds"].min() if not restored.empty else runs
        # each loss named once, its tasks (and metrics) of one count together: "ssim (denoise/lpips, sr/lpips: 3
        # runs)", not "ssim (denoise/lpips: 3 runs), ssim (sr/lpips: 3 runs)" — 30 losses short of lpips runs on six
        # tasks named each loss six times
        short_of_runs: dict[str, dict[int, list[str]]] = {}
        for (task, label), n in per_loss.items():
            if n < MIN_RUNS and task not in few:
                where = f"{task}{_thin_metrics(restored, task, label, '/')}"
                short_of_runs.setdefault(label, {}).setdefault(int(n), []).append(where)
        # counts apart by "; ": "deblur/lpips: 4 runs, denoise/lpips, sr/lpips: 3 runs" read denoise's as 4
        thin = [f"{label} (" + "; ".join(f"{', '.join(where)}: {plural(n, 'run')}" for n, where in by_n.items()) + ")"
                for label, by_n in short_of_runs.items()]
        if thin:  # the other losses of those tasks have the runs: their marks stand, these get none
            from benchmark.stats import smoke_test, thin_cells

            n_thin, n_cells = thin_cells(stats)
            rule = "" if smoke_test(stats) else (
                f" {n_thin} of {n_cells} scored cells, not most: the other cells keep their verdicts and these "
                "results are a ranking, not a smoke test (said only when most cells are short of runs, none is "
                "tested, or runs are not shown converged).")
            out.append(f"Too few runs for a verdict on {', '.join(thin)}, where one needs ≥ {MIN_RUNS}: those "
                       f"cells are never bold or {UP}/{DOWN}, and no other loss is tested against them." + rule)
        lone = lone_text(stats)
        if lone:
            out.append(lone)
        out += [x for x in (one_image_text(stats), few_images_text(stats)) if x]
        one_run = one_run_text(stats)
        if one_run:
            out.append(one_run)
        unpaired = _unpaired(stats)
        if unpaired:
            out.append(f"Not tested — no other loss shares ≥ {MIN_RUNS} of their seeds (runs are paired by seed): "
                       f"{', '.join(unpaired)}; never bold or {UP}/{DOWN}, whatever their means.")
        # the cells' no_spread: pairs of status NO_SPREAD, a non-zero difference (an exact copy is tested, p 1)
        flat = restored[restored["no_spread"].astype(bool)] if "no_spread" in restored.columns else restored.iloc[0:0]
        saturated = saturated_columns(stats)
        if saturated:
            out.append(f"Saturated — every loss scores the same on every run and image (every paired difference 0, "
                       f"no spread, SE 0: a saturated metric or copied runs?): {', '.join(saturated)}; no loss is told "
                       "apart there, whatever its bold says.")
        flat = flat[[f"{t}/{m}" not in saturated for t, m in zip(flat["task"], flat["metric"])]]  # said just above
        if not flat.empty:
            seen = dict.fromkeys((r.task, r.metric, *sorted((r.label, other), key=name_key))  # each pair once
                                 for r in flat.itertuples(index=False) for other in r.no_spread.split("; "))
            pairs = "; ".join(f"{t}/{m}: {a} vs {b}" for t, m, a, b in seen)
            out.append(f"Not tested — no spread, {SAME_DIFFERENCE_WHY}: {pairs}; never bold or {UP}/{DOWN} for "
                       "that.")
        if not is_baseline(stats.cells, stats.baseline).any():
            dead = stats.baseline in set(unscored(stats)["loss"])  # it ran, but every run diverged or failed
            out.append(f"Baseline `{stats.baseline}` " + ("has no scored run (every run diverged or failed)" if dead
                                                           else "is not in the results") + ": no ▲/▼ marks.")
        else:
            gone = sorted(set(restored["task"]) - set(restored.loc[is_baseline(restored, stats.baseline), "task"]))
            if gone:
                out.append(f"Baseline `{stats.baseline}` has no results in {', '.join(gone)}: no ▲/▼ marks there.")
            rows = restored[is_baseline(restored, stats.baseline)]
            several = rows.groupby("task")["label"].unique()
            several = several[several.map(len) > 1]
            if len(several) and "base_label" in restored.columns:
                out.append(f"Baseline `{stats.baseline}` has several rows (" + "; ".join(
                    f"{t}: {', '.join(f'`{x}`' for x in sorted(labs, key=name_key))}" for t, labs in several.items())
                    + "): ▲/▼ are against " + "; ".join(
                    f"{t}: " + ", ".join(f"`{x}`" for x in sorted(
                        restored.loc[restored["task"] == t, "base_label"].dropna().unique(), key=name_key))
                    for t in several.index) + f" (its row labelled `{stats.baseline}` where it has one, else "
                    "its first by name).")
    for note in (small_marks_text, fragile_cells_text,
                 lambda st: fragile_cells_text(st, "bold_decided_by", "bold_p_without"), survivors_text,
                 unequal_seeds_text, best_not_bold_text, bold_below_plain_text, partial_rank_text):  # "" when none
        text = note(stats)
        if text:
            out.append(text)
    lost = unscored(stats)
    if not lost.empty:
        out_of = [k for k in not_ranked(stats) if k in set(lost["label"])]
        head = "No restoration to score — every run diverged or failed: "
        # each has its row in its task's table (and its runs): past NOTE_LINES lines (capped_text) counted, as 40
        # losses of 40 characters named made a 2800-character note
        named = (head + "; ".join(f"{r.task}/{r.label} ({r.status})" for r in lost.itertuples(index=False))
                 + ". Listed in the task tables without a rank"
                 + (f"; not in the overall ranking: {', '.join(out_of)}." if out_of else "."))
        counted = (head + f"{plural(lost['label'].nunique(), 'loss', 'losses')} in "
                   + ", ".join(sorted(map(str, lost["task"].unique()))) + f" ({TOO_MANY}). Listed in the task tables "
                   "without a rank" + (f"; not in the overall ranking: {plural(len(out_of), 'loss', 'losses')} of "
                                       "them." if out_of else "."))
        out.append(capped_text(named, counted, TEX_LINE))
    if stats.versions:
        out.append("Several versions of one loss, each its own row and never pooled (the registry version, and for "
                   "a loss file the hash of its text: an edited file's runs are a version of their own), oldest "
                   "first: " + "; ".join(stats.versions) + ".")
    out += convergence_notes(stats)
    worse = worse_text(stats)
    if worse:
        out.append("Worse than the degraded input (psnr below the input's on the same images): " + worse
                   + f"; marked {WORSE} in the task tables, counted in their `< input` column.")
    return out


def unchecked_metrics_text(stats: Stats, task: str | None = None) -> str:
    """What the leaderboard's converged note and compare's convergence line say of the scored metrics (``task``'s,
    when given) without a practical margin — left out of every arm's budget check (vif, mad:
    :func:`benchmark.convergence.no_margin_text`) — or "" when every one has a margin."""
    from benchmark.convergence import no_margin_text

    unchecked = _no_margin_metrics(stats, task)
    # a metric with a margin but not one finite score (every image NaN) is left out of the checks too (arm_budget):
    # "converged … within ± every metric's practical margin" read true of it
    # (of some losses only: every run of theirs NaN on it, the others' checked — "every metric" read true of theirs)
    unscored = _unscored_metrics(stats, task)
    everywhere = [m for m, who in unscored.items() if not who]
    parts = [no_margin_text(unchecked)] * bool(unchecked) + [
        f"{', '.join(everywhere)} not checked for convergence (no finite score)"] * bool(everywhere) + [
        f"{m} not checked for convergence of {', '.join(who)} (no finite score in their runs)"
        for m, who in unscored.items() if who]
    return "; ".join(parts)


def _unscored_metrics(stats: Stats, task: str | None = None) -> dict[str, list[str]]:
    """{metric: losses} of the scored metrics (``task``'s, when given) with a practical margin that the budget checks
    leave out of an arm's for want of one finite change (:func:`benchmark.convergence.arm_budget`: no evidence either
    way): ``[]`` where they leave it out of every arm's, else the losses (``task/loss`` without ``task``) whose arms
    they check on other metrics but not on it. Read off :attr:`Stats.budget`, as the checks were made; where a task has
    no check at all, a metric with not one finite mean."""
    from benchmark.runstats import practical_margin

    c = stats.cells if task is None or stats.cells.empty else stats.cells[stats.cells["task"] == task]
    c = c[c["label"] != INPUT] if not c.empty else c
    b = stats.budget if stats.budget is not None else pd.DataFrame()
    left: dict[str, dict[str, set | None]] = {}  # metric → {task: the losses left out there (None: every one)}
    for t, ct in (c.groupby(c["task"].astype(str)) if not c.empty else []):
        bt = b[b["task"].astype(str) == t] if not b.empty else b
        have = bt.groupby(bt["metric"].astype(str))["loss"].agg(lambda x: set(map(str, x))) if not bt.empty else {}
        losses = set(bt["loss"].astype(str)) if not bt.empty else set()
        for m, g in ct.groupby(ct["metric"].astype(str)):
            if not math.isfinite(practical_margin(m)):
                continue
            if bt.empty:
                gone = set() if np.isfinite(pd.to_numeric(g["mean"], errors="coerce").to_numpy(float)).any() else None
            else:
                gone = None if m not in have else losses - have[m]
            left.setdefault(m, {})[t] = gone
    out = {}
    for m, by in sorted(left.items()):
        if all(gone is None for gone in by.values()):
            out[m] = []  # every arm's, in every task it is scored in
        elif who := [t if gone is None else f"{t}/{x}" if task is None else x
                     for t, gone in sorted(by.items()) for x in ([None] if gone is None else sorted(gone))]:
            out[m] = who
    return out


def _no_margin_metrics(stats: Stats, task: str | None = None) -> list[str]:
    """The scored metrics (``task``'s, when given) without a practical margin, by name."""
    from benchmark.runstats import practical_margin

    c = stats.cells if task is None or stats.cells.empty else stats.cells[stats.cells["task"] == task]
    scored = metric_order(set(c["metric"].astype(str))) if not c.empty else []  # as the columns stand
    return [m for m in scored if not math.isfinite(practical_margin(m))]


def _seeds_of(arm: pd.DataFrame, column: str) -> list[int]:
    """The seeds an arm's rows (:func:`benchmark.convergence.with_divergences`) name in ``column``."""
    if column not in arm.columns:
        return []
    return sorted({int(p) for v in arm[column] if isinstance(v, str) for p in v.split(";") if p.strip()})


def convergence_notes(stats: Stats) -> list[str]:
    """Runs not shown converged by their budget checks, per task and loss, and the agreement of the
    ranking at ½ budget with the final one (:mod:`benchmark.convergence`)."""
    from benchmark.convergence import CONVERGED, UNCLEAR, arm_status

    out = []
    tc = stats.task_costs
    n_ok = int(tc["ok"].sum()) if not tc.empty and "ok" in tc.columns else 0
    arms = stats.budget
    its = stats.budget_iterations
    if n_ok and (arms is None or arms.empty) and its and (unscored := _unscored_metrics(stats)):
        # checks there, but every metric with a margin scored nothing (every image NaN): arm_budget left each out —
        # not "none of the runs has a budget check", and training the checks again would not help
        no_margin = "".join(f"; {m}: no practical margin" for m in _no_margin_metrics(stats))
        out.append(f"Convergence cannot be checked: the runs have their budget checks ({its[1]} iterations), but no "
                   f"metric with a practical margin scored them ({', '.join(unscored)}: no finite score in any run"
                   f"{no_margin}), so none is shown converged.")
    elif n_ok and (arms is None or arms.empty) and its and (unchecked := _no_margin_metrics(stats)):
        # checks there, every scored metric left out of them (no margin: convergence.arm_budget) — a19170d's case
        from benchmark.convergence import SCORE_AGAIN

        out.append(f"Convergence cannot be checked: the runs have their budget checks ({its[1]} iterations), but "
                   f"no metric scored has a practical margin ({', '.join(unchecked)}: none registered in "
                   f"benchmark.runstats.PRACTICAL_MARGINS), so none is shown converged: score one too (e.g. psnr: "
                   f"{SCORE_AGAIN}).")
    elif n_ok and (arms is None or arms.empty):
        out.append(f"Convergence not checked: none of the {n_ok} runs has a budget check (the same run with half "
                   "the iterations, trained unless `--no-budget-check`), so none is shown converged.")
    elif n_ok:
        from benchmark.convergence import ARM

        span = f"from {its[1]} to {its[0]} iterations" if its else "from ½ budget to the end"
        keys = [k for k in ARM if k in arms.columns]
        checked = min(n_ok, int(arms.groupby(keys, dropna=False)["runs"].max().sum()))
        # seeds added with --no-budget-check take the status of their task and loss, judged on the others
        n_rest = n_ok - checked
        # "without a budget check" was said of a seed whose check was trained and diverged (tests/test_probe_conv23.py)
        who = agree(n_rest, "run (a seed whose budget check has", f"{n_rest} runs (seeds whose budget checks have")
        rest = (f" The other {who} no score: not trained, diverged or failed) "
                f"{agree(n_rest, 'takes the status of its', 'take the status of their')} task and loss."
                if checked < n_ok else "")
        bad = tc[tc["unconverged"] > 0]
        n_un = int(tc["unconverged"].sum())
        rule = ("converged: the one-sided 95 % bounds of the mean change over seeds and test images lie within "
                "± every metric's practical margin, 0.05 dB PSNR")
        # a metric without a margin is left out of every arm's check (convergence.arm_budget): "every metric" read
        # true of vif (a full-profile default) still gaining a unit of its scale (tests/test_probe_verdicts14.py)
        if unchecked := unchecked_metrics_text(stats):
            rule += f"; {unchecked}"
        if n_un:
            per = []
            from benchmark.convergence import arm_rows, diverged_text, gain_aside

            for r in bad.itertuples():
                # the row's own arm: its kind of weights and version (stats.cost_table), not every run of its spec
                kind, ver = getattr(r, "weights_kind", None), getattr(r, "loss_version", None)
                a = arm_rows(arms, r.task, r.loss, kind, ver)
                status = arm_status(arms, r.task, r.loss, weights_kind=kind, loss_version=ver)
                # the metric that decides the status (PSNR first where it does), with its gain
                # unclear overall: every metric not converged keeps it so — a metric's own direction that did not
                # pass the family's as much as one unclear alone (PSNR still improving by +2.3 dB on its own bounds was
                # hidden behind "unclear on ssim (+0.001)": tests/test_probe_conv23.py)
                deciding = a[a["status"] == status] if status != UNCLEAR and (a["status"] == status).any() else \
                    a[a["status"] != CONVERGED]
                deciding = deciding.sort_values("metric", key=lambda m: m.ne("psnr"))
                gain = ""
                if len(deciding) and _finite(deciding["gain"].iloc[0]):
                    m = str(deciding["metric"].iloc[0])
                    g = float(deciding["gain"].iloc[0])
                    shown = _margin_side_text(g, float(deciding["margin"].iloc[0]), ".2f" if m == "psnr" else ".3g")
                    one = gain_aside(m, stats.higher().get(m, True), g, deciding["runs"].iloc[0], status)
                    gain = f" on {m} ({shown} dB{one})" if m == "psnr" else f" on {m} ({shown}{one})"
                # a seed diverged at one budget where it finished at the other: not a gain of the others; the run it
                # diverged in, not "at 150 iterations" (read as the iteration it diverged at), and in the seeds' number
                # (tests/test_review_round223.py, tests/test_probe_conv24.py)
                if said := diverged_text(_seeds_of(a, "diverged_runs"), _seeds_of(a, "diverged_checks"), its):
                    gain = f" ({said})"
                per.append(f"{r.task}/{getattr(r, 'label', r.loss)} {status}{gain}")
            out.append(f"Not shown converged: {n_un} of {plural(n_ok, 'run')} — doubling the budget ({span}) still "
                       f"changed them by more than the margins, or cannot be shown not to ({'; '.join(per)}; {rule}). "
                       "Their ranks measure where the losses stand after this budget, not what they converge to. "
                       "Column `unconv.` per task." + rest)
        else:
            out.append(f"Converged: doubling the budget ({span}) changed the losses of none of the {checked} "
                       f"runs{' with a budget check' if rest else ''} by a practical margin ({rule})." + rest)
    cv = stats.convergence
    # a task of two losses has no τ (it needs three) but may still have a pair that changed order: said too
    if cv is not None and not cv.empty and (cv["tau"].notna().any() or ("moved" in cv.columns
                                                                        and cv["moved"].sum() > 0)):
        by_task = cv.groupby("task")
        per = by_task["tau"].mean()
        per = per[per.notna() | (by_task["moved"].sum() > 0 if "moved" in cv.columns else False)]
        # a ranking moves when a pair of losses changes order by a change shown over the seeds (Holm over the
        # task's pairs and metrics): τ < 0.8 alone called four tied, converged losses' noise a moving ranking
        moved = cv.groupby("task")["moved"].sum() if "moved" in cv.columns else pd.Series(dtype=int)
        # "change order" only for the pairs whose end effect is shown on the other side; a gap that moved across 0
        # to about level (+0.3 → −0.01) was lost, not reversed (convergence.end_reversed)
        flipped = cv.groupby("task")["reversed"].sum() if "reversed" in cv.columns else moved
        named = {}  # each pair of losses once, whatever the metrics it moved on (tests/test_probe_verdicts20.py)

        def in_name_order(ps) -> tuple:
            # each pair, and the pairs, in name order as every other list of losses (tests/test_probe_zvoice20.py):
            # in block order the first few named were the first metric's, "w10–w9" before another metric's "w2–w3"
            ps = {tuple(sorted(p, key=name_key)) for p in ps}
            return tuple(sorted(ps, key=lambda p: tuple(map(name_key, p))))

        if "moved_pairs" in cv.columns:
            for t, g in cv.groupby("task"):
                named[t] = in_name_order(p for ps in g["moved_pairs"] for p in ps)
                moved[t] = len(named[t])
                flipped[t] = len(in_name_order(p for ps in g["reversed_pairs"] for p in ps))

        def pairs(t) -> str:
            n, k = int(moved[t]), int(flipped.get(t, 0))
            s = agree(n, "", "s")
            # the first few named, the rest counted: a 40-loss ranking reshuffled is 780 pairs, never one sentence
            # of them (tests/test_review_verdicts20.py)
            few = named.get(t, ())[:5]
            which = (": " + ", ".join(f"{a}–{b}" for a, b in few)
                     + (f" and {len(named[t]) - len(few)} more" if len(named[t]) > len(few) else "")) if few else ""
            if k == n:
                return f"{n} pair{s} of losses change order{which}"
            return (f"{n} pair{s} of losses whose gap crossed 0 by a shown change{which}, "
                    + (f"{k} of them shown reversed" if k else "not shown reversed: the gap was lost"))

        unstable = [f"{t} ({pairs(t)})" for t in per.index if moved.get(t, 0) > 0]
        out.append("Budget stability: Kendall τ between the losses' ranking at ½ of the iterations (the budget "
                   "checks) and at the full budget (same images and seeds, mean over metrics): "
                   + ", ".join(f"{t} {_fmt(v, '.2f') if _finite(v) else '– (τ needs ≥ 3 losses)'}"
                               for t, v in per.items())
                   + (f"; the ranking still moves in {', '.join(unstable)}: shown over the seeds and test images, "
                      "Holm over the task's pairs and metrics." if unstable else
                      "; no pair of losses changes order by more than noise (a low τ among tied losses is their "
                      "noise)."))
    return out


# --------------------------------------------------------------------------------------------
@dataclass
class Cell:
    """One metric cell of a task table, as every export shows it."""

    mean: str = "–"
    spread: tuple = ()            # ("pm", h) | ("iv", low, high) | (): see :func:`ci_spread`
    bold: bool = False            # in the top group (only where something was tested)
    vs: float = NAN               # +1 / -1: significantly better / worse than the baseline
    circular: bool = False
    status: str = ""              # a loss with no restoration: "diverged 2/2"
    key: float = NAN              # sort key, larger = better
    title: str = ""               # CI and p-values (HTML tooltip)
    lo: float = NAN               # the CI's ends
    hi: float = NAN


@dataclass
class Row:
    """One row of a task table: the degraded ``input``, a scored ``loss``, or a ``lost`` one
    (every run diverged or failed: no restoration, no rank)."""

    label: str
    kind: str
    seeds: str = "–"
    cells: list[Cell] = field(default_factory=list)
    rank: float = NAN
    ms_per_it: float = NAN
    diverged: str = "–"
    unconv: str = "–"
    below: str = "–"              # runs below the degraded input, "1/2"
    below_frac: float = NAN
    flagged: bool = False         # ⚠: some run below the input


def task_rows(stats: Stats, task: str) -> tuple[list[str], list[Row]]:
    """(metric order, rows) of one task's table — the one model the Markdown, LaTeX and HTML tables
    are printed from: ``input`` first, the scored losses by mean rank, then the losses with no
    restoration (:func:`unscored`)."""
    c, metrics, order = task_frame(stats, task)
    higher = stats.higher()
    decs = {m: metric_decimals(stats, task, m) for m in metrics}
    w = stats.worse
    rows = []
    for label in order:
        inp = label == INPUT
        row = Row(label, "input" if inp else "loss")
        seeds = set()
        for m in metrics:
            if (label, m) not in c.index:
                row.cells.append(Cell())
                continue
            r = c.loc[(label, m)]
            mean, _ = fmt_ci(r["mean"], r["ci_low"], r["ci_high"], decs[m])
            lo, hi = _fmt(r["ci_low"], ".4g"), _fmt(r["ci_high"], ".4g")
            title = (f"95% CI [{lo}, {hi}]; {plural(_count(r['n_seeds']), 'run')}; p vs {stats.baseline} "
                     "(Holm over the table) "
                     f"{p_text(r['p_base_adj'], stats.alpha)}; p worse than another (Holm over the column's pairs) "
                     f"{p_text(r['p_best_adj'], stats.alpha)}")
            key = float(r["mean"]) if higher.get(m, True) else -float(r["mean"])
            row.cells.append(Cell(mean, ci_spread(r["mean"], r["ci_low"], r["ci_high"], decs[m]),
                                  bool(r["top_group"]), float(r["vs_base"]) if _finite(r["vs_base"]) else NAN,
                                  bool(r["circular"]), key=key, title=title, lo=float(r["ci_low"]),
                                  hi=float(r["ci_high"])))
            if _finite(r["n_seeds"]) and r["n_seeds"] > 0:  # a cell no run could score ("–"): not 0 runs
                seeds.add(int(r["n_seeds"]))
        if not inp:
            row.seeds = (f"{min(seeds)}–{max(seeds)}" if len(seeds) > 1 else str(seeds.pop())) if seeds else "–"
            cost = _cost(stats, label, task)
            row.rank = float(c.xs(label, level="label")["rank"].mean())
            row.ms_per_it = cost.get("ms_per_it", NAN)
            row.diverged = _count(cost.get("diverged"))
            # of seeds, as its seeds column: a seed under two run ids (an older plbench's, today's) counts once
            un, ok = ("unconverged_seeds", "ok_seeds") if _finite(cost.get("ok_seeds")) else ("unconverged", "ok")
            if _finite(cost.get(un)) and _finite(cost.get(ok)):
                row.unconv = f"{int(cost[un])}/{int(cost[ok])}"
            hit = w[(w["task"] == task) & (w["label"] == label)] if w is not None and not w.empty else None
            if hit is not None and len(hit):
                k, n = int(hit["worse"].iloc[0]), int(hit["runs"].iloc[0])
                row.below, row.below_frac, row.flagged = f"{k}/{n}", (k / n if n else NAN), k > 0
        rows.append(row)
    for j in range(len(metrics)):  # one form per column: where any cell's CI is asymmetric, all show [low, high]
        col = [row.cells[j] for row in rows]
        if any(cl.spread[:1] == ("iv",) for cl in col):
            for cl in col:
                if cl.spread[:1] == ("pm",):
                    cl.spread = ("iv", f"{cl.lo:.{decs[metrics[j]]}f}", f"{cl.hi:.{decs[metrics[j]]}f}")
    lost = unscored(stats)
    for r in lost[lost["task"] == task].itertuples(index=False):
        rows.append(Row(r.label, "lost", seeds="0", cells=[Cell(status=r.status) for _ in metrics],
                        ms_per_it=r.ms_per_it, diverged=str(r.diverged)))
    return metrics, rows


def report_tasks(stats: Stats) -> list[str]:
    """Every task with a table: those with cells and those whose losses all diverged or failed."""
    tasks = set(stats.cells["task"].unique()) if not stats.cells.empty else set()
    return sorted(tasks | set(unscored(stats)["task"]))


def _md_cell(cell: Cell) -> str:
    if cell.status:
        return cell.status
    txt = cell.mean + (f" ± {cell.spread[1]}" if cell.spread[:1] == ("pm",) else
                       f" [{cell.spread[1]}, {cell.spread[2]}]" if cell.spread[:1] == ("iv",) else "")
    if cell.bold:
        txt = f"**{txt}**"
    txt += f" {UP}" if cell.vs == 1 else f" {DOWN}" if cell.vs == -1 else ""
    return txt + (" †" if cell.circular else "")


# --------------------------------------------------------------------------------------------
def markdown(stats: Stats, figures: dict[str, list[Path]] | None = None, root: Path | None = None) -> str:
    """``leaderboard.md``: notation, overall ranking (+ cost, Friedman/CD), one section per task
    (``## <task>``: ``input`` row first, then losses by mean rank, then the losses every run of
    which diverged or failed; cost columns), figure links."""
    higher = stats.higher()
    lines = ["# Leaderboard", "",
             f"Cells: mean over test images, then over seeds, ± half-width of the 95% CI (a bootstrap resampling "
             f"images and seeds, {stats.n_boot} resamples, never narrower than Student's t with the run-to-run and "
             f"image levels), or mean [low, high] in a column where "
             f"some CI is asymmetric; the decimals are fixed per metric column. ↑ higher is better, ↓ lower is better. "
             f"**Bold**: the best restoration and every loss not significantly worse than another (every pair of "
             f"the column tested, runs paired by seed, Holm over the column's pairs, α = {stats.alpha} per column; "
             f"only with "
             f"enough runs). {UP}/{DOWN}: significantly "
             f"better/worse than `{stats.baseline}` ({base_family_text(stats)}). `seeds`: the runs each cell rests on. "
             f"† circular: trained on (a near copy "
             f"of) that metric. {WORSE}: some runs restore worse than the degraded input (`< input`). `input` is "
             f"the degraded image itself. Losses with learned weights show their "
             f"provenance in brackets (`random` = randomly initialised backbone). " + TASK_COLUMNS, ""]
    lines += [f"> {md_text(n, cell=False)}" for n in notes(stats, board=True)]
    unranked = not_ranked(stats)
    if not stats.ranks.empty or unranked:
        caveat = rank_caveat(stats)
        common = _common_column(stats)
        lines += ["", "## Overall ranking", "",
                  "Mean rank over the (task, metric) blocks most losses have (1 = best; equal mean ranks listed "
                  "by name); "
                  "`excl. circular` drops the blocks "
                  "where the loss is scored by its own metric. Mean ranks are descriptive: nothing is bold here "
                  "(significance is tested cell by cell, in the task tables). " + cost_columns(), ""]
        lines += [f"> {md_text(caveat, cell=False)}", ""] if caveat else []
        extra = extra_blocks_text(stats)
        lines += [f"> {md_text(extra, cell=False)}", ""] if extra else []
        lines += ["| loss | mean rank | sd | min–max | excl. circular | blocks |"
                  + (" common blocks |" if common else "") + " ms/it | peak MiB | RSS MiB | runs | diverged | failed |",
                  "|---|" + "---:|" * (11 + common)]  # numbers right-aligned
        for _, r in stats.ranks.iterrows():
            cost = _cost(stats, r["label"])
            span = f"{_fmt(r['min_rank'], 'g')}–{_fmt(r['max_rank'], 'g')}"
            lines.append(f"| {md_name(r['label'])} | {_fmt(r['mean_rank'], '.2f')} | {_fmt(r['sd_rank'], '.2f')} | "
                         f"{span} | {_fmt(r['mean_rank_noncircular'], '.2f')} | "
                         f"{_count(r['n_blocks'])}{'' if r.get('complete', True) else ' ' + md_text(PARTIAL)} | "
                         + (f"{_fmt(r.get('mean_rank_common'), '.2f')} | " if common else "")
                         + f"{_fmt(cost.get('ms_per_it'), '.1f')} | "
                         f"{_fmt(cost.get('peak_mem_mb'), '.0f')} | {_fmt(cost.get('peak_rss_mb'), '.0f')} | "
                         f"{_count(cost.get('runs'))} | {_count(cost.get('diverged'))} | "
                         f"{_count(cost.get('failed'))} |")
        for loss in unranked:
            cost = _cost(stats, loss)
            lines.append(f"| {md_name(loss)} | not ranked | – | – | – | 0 | " + ("– | " if common else "")
                         + f"{_fmt(cost.get('ms_per_it'), '.1f')} | {_fmt(cost.get('peak_mem_mb'), '.0f')} | "
                         f"{_fmt(cost.get('peak_rss_mb'), '.0f')} | {_count(cost.get('runs'))} | "
                         f"{_count(cost.get('diverged'))} | {_count(cost.get('failed'))} |")
        lines += ["", md_text(friedman_text(stats), cell=False)]
        if unranked:
            lines += ["", md_text(capped_not_ranked_text(stats), cell=False)]
    for task in report_tasks(stats):
        metrics, rows = task_rows(stats, task)
        lines += ["", f"## {md_text(task, cell=False)}", ""]
        header = ["loss", "seeds"] + [f"{md_text(m)}{metric_unit(m)} {'↑' if higher.get(m, True) else '↓'}"
                                      for m in metrics] + \
                 ["rank", "ms/it", "diverged", "unconv.", "< input"]
        lines += ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]  # numbers right-aligned
        for row in rows:
            extra = ["–"] * 5 if row.kind == "input" else \
                [_fmt(row.rank, ".1f"), _fmt(row.ms_per_it, ".1f"), row.diverged, row.unconv, row.below]
            label = md_name(row.label) + (f" {WORSE}" if row.flagged else "")
            lines.append("| " + " | ".join([label, row.seeds, *map(_md_cell, row.cells), *extra]) + " |")
    if figures:
        lines += ["", "## Figures", ""]
        for name, paths in figures.items():
            rels = [p.relative_to(root) if root else p for p in _pngs(paths) or paths[:1]]
            if rels:
                what = figure_plots(name)
                lines.append(f"- {name}: " + ", ".join(f"[{rel}]({rel})" for rel in rels) + (f" — {what}" * bool(what)))
    lines.append("")
    return "\n".join(lines)


def by_dataset_markdown(table: pd.DataFrame, stats: Stats | None = None) -> str:
    """When a grid has several test sets (e.g. natural and medical photos), one table per task with
    the means per test set side by side: does the ranking of losses transfer across domains? The means
    come from the blocks the task tables were computed from (:attr:`Stats.blocks`; without ``stats``,
    :func:`benchmark.stats.blocks` of ``table``), so they are over the same runs and images as the
    leaderboard's cells: mean over a set's images within a run, then over seeds. Each (task, metric) has
    the fixed decimals of its column in the task tables (:func:`metric_decimals` of ``stats``; without
    ``stats``, :func:`column_decimals` of the means shown). Rows are in the task table's order (:func:`task_frame`:
    input, then by mean rank), without ``stats`` by name."""
    import warnings

    from benchmark.stats import blocks

    if table.empty or table["dataset"].nunique() < 2:
        return ""
    blks = stats.blocks if stats is not None and stats.blocks is not None else blocks(table)
    pairs = table[["dataset", "image"]].drop_duplicates()
    set_of = dict(zip(pairs["dataset"].astype(str) + "/" + pairs["image"].astype(str), pairs["dataset"].astype(str)))
    # each set's images, as each task's blocks score them (an image left out of every column is not counted; a
    # task may leave images out: too small for its size multiple, too large for its max side)
    def counts(task: str) -> str:
        per_set = Counter(set_of[i] for i in {i for b in blks if b.task == task for i in b.items} if i in set_of)
        return ", ".join(f"{md_text(d, cell=False)} {plural(n, 'image')}"
                         for d, n in sorted(per_set.items()))

    tasks = sorted({b.task for b in blks})
    per_task = {task: counts(task) for task in tasks}
    one = len(set(per_task.values())) <= 1
    lines = ["", "## By test set", "",
             "Mean over the images of each test set, then over seeds (the same decimals). Images per set: "
             + (next(iter(per_task.values()), "none") if one else "each task's, under its name")
             + ". No intervals and no tests: the task tables' intervals and verdicts pool every set, so a difference "
             "here — between losses within a set, or a ranking that changes from one set to another — carries no "
             "verdict.", ""]
    for task in tasks:
        means: dict[tuple[str, str], dict[str, float]] = {}
        higher: dict[str, bool] = {}
        for b in (b for b in blks if b.task == task):
            higher[b.metric] = b.higher
            sets = np.array([set_of.get(i, "") for i in b.items])
            for d in sorted(set(sets)):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # a run or loss with no image of the set
                    m = np.nanmean(np.nanmean(b.values[:, :, sets == d], axis=2), axis=1)     # (L,)
                means[(d, b.metric)] = dict(zip(b.labels, m))
        wide = pd.DataFrame(means)
        metrics = metric_order(higher)
        datasets = sorted({d for d, _ in means})
        cols = [(d, m) for m in metrics for d in datasets if (d, m) in means]
        scored = set(stats.cells.loc[stats.cells["task"] == task, "metric"]) if stats is not None and \
            not stats.cells.empty else set()
        decs = {m: (metric_decimals(stats, task, m) if m in scored else
                    column_decimals(wide[[c for c in cols if c[1] == m]].to_numpy().ravel(), [], []))
                for m in metrics}
        lines += [f"### {md_text(task, cell=False)}", ""] + ([] if one else [f"Images per set: {per_task[task]}.", ""])
        lines += ["| loss | " + " | ".join(f"{md_text(m)}{metric_unit(m)} {'↑' if higher.get(m, True) else '↓'} "
                                          f"({md_text(d)})" for d, m in cols) + " |",
                  "|---|" + "---:|" * len(cols)]
        # the task table's rows (input, then by mean rank: every ranked list's order), so the sets' columns read
        # beside it line by line; a loss it does not list, and every loss without ``stats``, by name after them
        ranked = task_frame(stats, task)[2] if stats is not None else []
        order = [INPUT] + [lb for lb in ranked if lb != INPUT] + sorted(
            (lb for lb in wide.index if lb != INPUT and lb not in ranked), key=name_key)
        shown = [lb for lb in order if lb in wide.index]
        for label in shown:
            cells = [_fmt(wide.loc[label, c], f".{decs[c[1]]}f") for c in cols]
            lines.append(f"| {md_name(label)} | " + " | ".join(cells) + " |")
        # a column of '–' only (every image of a set unscored on a metric by some run) said nothing of why
        # (tests/test_review_report20.py)
        if empty := [f"{md_text(m, cell=False)} ({md_text(d, cell=False)})" for d, m in cols
                     if wide.loc[shown, (d, m)].isna().all()]:
            lines += ["", f"– throughout in {', '.join(empty)}: none of the set's images has a score from every "
                          "loss's runs on that metric, and an image some run has no score for is left out of the "
                          "whole column, as in the task table."]
        lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
#: characters of the notes and names that LaTeX's text mode does not take as they are
_TEX_SYMBOLS = {"≥": r"$\geq$", "≤": r"$\leq$", "±": r"$\pm$", "×": r"$\times$", "²": r"$^2$", "½": "1/2",
                "ρ": r"$\rho$", "τ": r"$\tau$", "χ": r"$\chi$", "α": r"$\alpha$", "μ": r"$\mu$", "σ": r"$\sigma$",
                "▲": r"$^\blacktriangle$", "▼": r"$^\blacktriangledown$", "†": r"$^\dagger$", "⚠": WORSE_TEX,
                "–": "--", "—": "---", "→": r"$\rightarrow$", "…": r"\dots{}", "·": r"$\cdot$", "≈": r"$\approx$",
                "−": "$-$", "↑": r"$\uparrow$", "↓": r"$\downarrow$", "<": r"$<$", ">": r"$>$", "|": r"$|$",
                "\u00a0": "~", "ℓ": r"$\ell$", "∞": r"$\infty$", "≠": r"$\neq$", "°": r"$^\circ$",
                "∇": r"$\nabla$", "∂": r"$\partial$", "′": "'"}
#: the last code point pdfLaTeX's UTF-8 input typesets as text (Latin-1 and Latin Extended-A/B); a
#: character above it with no entry in :data:`_TEX_SYMBOLS` needs XeLaTeX or LuaLaTeX (:func:`tex_unsupported`)
TEX_TEXT_MAX = 0x024F


def _tex_greek(ch: str) -> str:
    """A Greek letter as LaTeX math (``λ`` → ``$\\lambda$``; a capital without a macro of its own
    as its Latin twin); any other character as it is. pdfLaTeX stops at a Greek letter in text
    (a loss spec ``perceptual(λ=0.5)``), which UTF-8 input does not map."""
    import unicodedata

    m = re.fullmatch(r"GREEK (SMALL|CAPITAL) LETTER ([A-Z ]+)", unicodedata.name(ch, ""))
    if not m:
        return ch
    word = m.group(2).lower().replace("lamda", "lambda").replace("final sigma", "varsigma")
    if m.group(1) == "SMALL":
        return "o" if word == "omicron" else rf"$\{word}$" if word.isalpha() else ch
    if word in ("gamma", "delta", "theta", "lambda", "xi", "pi", "sigma", "upsilon", "phi", "psi", "omega"):
        return rf"$\{word.capitalize()}$"
    latin = {"alpha": "A", "beta": "B", "epsilon": "E", "zeta": "Z", "eta": "H", "iota": "I", "kappa": "K",
             "mu": "M", "nu": "N", "omicron": "O", "rho": "P", "tau": "T", "chi": "X"}
    return latin.get(word, ch)


#: pairs of characters TeX merges into another glyph (``--`` an en dash, ``''`` a closing double quote, ``,,`` a
#: low quote in T1): written with ``{}`` between them, each typesets as itself
_TEX_LIGATURES = ("--", "''", ",,")


#: the macro leaderboard.tex sets each right-to-left run in (:func:`_tex`), defined in its first lines: bidi's
#: ``\\textRL`` where that package is loaded (XeLaTeX), else the run as it is (LuaLaTeX with babel's ``bidi=basic``
#: orders it by the Unicode rules); ``\\textRL`` alone was not portable (undefined without bidi)
TEX_RTL = r"\plbRL"
TEX_RTL_DEF = r"\providecommand{\plbRL}[1]{\ifdefined\textRL\textRL{#1}\else#1\fi}"
TEX_RTL_NOTE = (r"% right-to-left names are set in \plbRL{...} (defined below): XeLaTeX needs \usepackage{bidi} "
                r"loaded last (its \textRL), LuaLaTeX \usepackage[bidi=basic]{babel}; without either their letters "
                "run left to right")


def _tex(s: str, name: bool = False) -> str:
    """``s`` as LaTeX text, each right-to-left run (Arabic or Hebrew: :func:`benchmark.docmarkup.isolate_rtl`'s runs)
    in ``\\protect\\plbRL{…}`` (:data:`TEX_RTL_DEF`): TeX sets every letter left to right, so a name in
    Arabic or Hebrew compiled with its letters reversed (and, in a note, the numbers after it on the wrong side).
    The rest: ``_tex_plain``."""
    s = str(s)
    if not any(unicodedata.bidirectional(c) in ("R", "AL") for c in s):
        return _tex_plain(s, name)
    pieces = re.split("(\u2068[^\u2069]*\u2069)", s if "\u2068" in s else isolate_rtl(s))
    return "".join(rf"\protect{TEX_RTL}{{{_tex_plain(p[1:-1], name)}}}" if p.startswith("\u2068") else
                   _tex_plain(p, name) for p in pieces if p)


def _tex_plain(s: str, name: bool = False) -> str:
    """``s`` as LaTeX text that typesets as written: specials escaped, symbols as math, a backtick and a
    double quote as themselves (plain, TeX prints an opening quote ‘ and, in OT1, a closing ”), and no
    two characters merged into a ligature (``a--b`` is not ``a–b``). With ``name`` (a loss spec in a table
    cell) a ``'`` is the straight quote the spec has (``\\textquotesingle``); in prose it stays an
    apostrophe. A ``[`` is braced, ``{[}``: after a row's ``\\\\`` or a ``\\midrule`` (a name starting a table row)
    LaTeX read it as their optional argument (``\\\\[a]``: 'Illegal unit of measure'). In prose a ``-`` before a
    digit, not after a letter or digit (``-0.01``), and every ``−`` are a minus sign, ``$-$``: text mode's ``-`` is a
    hyphen; a name keeps its hyphens as typed."""
    rep = {"\\": r"\textbackslash{}", "&": r"\&", "[": "{[}", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
           "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}", "`": r"\textasciigrave{}",
           '"': r'\texttt{"}', **({"'": r"\textquotesingle{}"} if name else {}), **_TEX_SYMBOLS}
    out = ""
    s = str(s)
    for i, ch in enumerate(s):
        piece = rep.get(ch) or _tex_greek(ch)
        if ch == "-" and not name and s[i + 1:i + 2].isdigit() and not (i and (s[i - 1].isalnum() or s[i - 1] in ".-")):
            piece = "$-$"
        if out and piece and out[-1] + piece[0] in _TEX_LIGATURES:
            out += "{}"
        out += piece
    return out


def tex_unsupported(tex: str) -> list[str]:
    """The characters of ``tex`` that pdfLaTeX cannot typeset (above :data:`TEX_TEXT_MAX`), in order
    of first appearance: what a loss name from a loss file may bring (``感知损失``)."""
    return list(dict.fromkeys(ch for ch in tex if ord(ch) > TEX_TEXT_MAX))


def tex_text(s: str) -> str:
    """A plain-text note (```code``` spans) as LaTeX: specials escaped, symbols as math, code as
    ``\\texttt``."""
    text = str(s).replace("\n", " ")
    out, pos = [], 0
    for m in _CODE_SPAN.finditer(text):
        out += [_tex(text[pos:m.start()]), r"\texttt{" + _tex(m.group(2)) + "}"]
        pos = m.end()
    out.append(_tex(text[pos:]))
    return "".join(out)


def task_caveats(stats: Stats, task: str) -> list[str]:
    """What a reader of one task's table alone must know (LaTeX captions): too few runs, runs not
    shown converged, losses with no restoration, runs worse than the degraded input."""
    from benchmark.runstats import MIN_RUNS

    out = []
    few = _untested(stats, task)
    if few is not None:
        out.append(f"Too few runs for any verdict ({few} per loss, a verdict needs ≥ {MIN_RUNS}): nothing is bold "
                   f"or {UP}/{DOWN}; the values and ranks are descriptive.")
    elif _too_few(stats, task) is not None:
        c = stats.cells
        thin = c[(c["task"] == task) & (c["label"] != INPUT) & (c["n_seeds"] < MIN_RUNS) & (c["n_seeds"] > 0)]
        who = ", ".join(f"{lab}{_thin_metrics(c, task, lab, ' on ')}" for lab in dict.fromkeys(thin["label"]))
        out.append(f"Too few runs for a verdict on {who} "
                   f"({plural(int(thin['n_seeds'].min()), 'run')}, a verdict needs ≥ {MIN_RUNS}): "
                   f"never bold or {UP}/{DOWN}.")
    out += [x for x in (one_image_text(stats, task), few_images_text(stats, task)) if x]
    c = stats.cells
    base_tasks = set(c.loc[is_baseline(c, stats.baseline), "task"]) if not c.empty else set()
    if base_tasks and task not in base_tasks:
        out.append(f"Baseline {stats.baseline} has no results here: no {UP}/{DOWN}.")
    tc = stats.task_costs
    if not tc.empty and "unconverged" in tc.columns:
        t = tc[tc["task"] == task]
        n_un, n_ok = int(t["unconverged"].sum()), int(t["ok"].sum())
        if n_un:
            out.append(f"Not shown converged: {n_un} of {plural(n_ok, 'run')} (their ranks are where the losses "
                       "stand after this budget).")
    lost = unscored(stats)
    lost = lost[lost["task"] == task]
    if not lost.empty:  # each has its row, its runs in it: past NOTE_LINES lines (capped_text) counted, as 40 losses
        # of 40 characters named took 41 of a float's 54 lines and split the table into 22 floats of 2 rows
        head = "No restoration to score (every run diverged or failed): "
        out.append(capped_text(head + "; ".join(f"{r.label} ({r.status})" for r in lost.itertuples(index=False)),
                               head + f"{plural(len(lost), 'loss', 'losses')} ({TOO_MANY})", TEX_LINE) + ".")
    worse = worse_text(stats, task)
    if worse:
        out.append(f"{WORSE}: worse than the degraded input (psnr) in some runs: {worse}.")
    return out


def _tex_cell(cell: Cell) -> str:
    if cell.status:
        return _tex(cell.status)
    if cell.mean == "–":
        return "--"
    txt = cell.mean + (f" $\\pm$ {cell.spread[1]}" if cell.spread[:1] == ("pm",) else
                       f" [{cell.spread[1]}, {cell.spread[2]}]" if cell.spread[:1] == ("iv",) else "")
    txt = re.sub(r"[-−](?=\d)", "$-$", txt)  # a minus sign, not text mode's hyphen (-0.44 [-2.70, 1.81])
    if cell.bold:
        txt = rf"\textbf{{{txt}}}"
    sup = ("\\blacktriangle" if cell.vs == 1 else "\\blacktriangledown" if cell.vs == -1 else "") + \
        ("\\dagger" if cell.circular else "")
    return txt + (f"$^{{{sup}}}$" if sup else "")


#: characters of ``\\small`` text one LaTeX table row may take, column gaps included: LaTeX's default ``article``
#: text width (345 pt, the narrowest of the common one-column layouts; 100 for a 6.5 in width ran 22–78 pt past it)
TEX_LINE = 80
#: characters of a loss name one LaTeX table line holds; a longer name wraps (:func:`tex_label`)
TEX_LABEL = 30


#: characters a LaTeX table cell's long name may break after (:func:`tex_label`), besides its spaces
TEX_BREAKS = ",([+_=*.:/"
#: the longest piece of a name without a break point (a run of letters is broken before a capital or every
#: this many characters): wider ones ran past the 15 em cell into the Seeds column
TEX_PIECE = 20


def tex_label(label: str, flag: str = "") -> str:
    """A loss name (plus ``flag``, e.g. :data:`WORSE_TEX`) as a LaTeX table cell: escaped, and over
    :data:`TEX_LABEL` characters a ragged-right ``\\parbox`` that wide, with break points after
    :data:`TEX_BREAKS` (commas, brackets, plus signs, underscores, ``= * . : /``) and, in a longer run without
    one, before a capital or every :data:`TEX_PIECE` characters, so a long spec
    (``l1 + 0.1*ssim + 0.01*lpips_vgg(layers=[…])``, ``my_loss.py:MyVeryLongPerceptualLossName``) wraps within the
    width :func:`tex_column_groups` counts instead of pushing the table off the page."""
    label = str(label)
    if len(label) <= TEX_LABEL:
        return _tex(label, name=True) + (f" {flag}" if flag else "")
    # a right-to-left run's pieces in one \plbRL (:func:`_tex`): each apart, the run's pieces were set left to right
    runs = _name_runs(label)
    text = _join_runs([rf"\protect{TEX_RTL}{{{_tex_pieces(r)}}}" if rtl else _tex_pieces(r) for r, rtl in runs],
                      runs, r"\allowbreak{}") + (f" {flag}" if flag else "")
    return rf"\parbox[t]{{{TEX_LABEL // 2}em}}{{\raggedright {text}}}"


def name_pieces(label: str) -> list[str]:
    """A loss name (or one right-to-left run of it) in the pieces a table cell may break it into, joined back the
    name: each ends after one of :data:`TEX_BREAKS` (not ``.`` or ``_`` before a digit: ``0.5``, ``conv1_2`` stay
    whole) or, in a run without one, before a capital or at :data:`TEX_PIECE` characters. The one rule of both
    leaderboard.tex's ``\\allowbreak{}`` (:func:`tex_label`) and report.html's ``<wbr>`` (:func:`html_name`)."""
    pieces = [""]
    for i, ch in enumerate(label):  # pieces of the name, each ending where a line may break
        run = re.search(r"\S*$", pieces[-1]).group(0)
        if len(run) >= TEX_PIECE or (ch.isupper() and run[-1:].islower() and len(run) >= 4):
            pieces.append("")
        pieces[-1] += ch
        if ch in TEX_BREAKS and not (ch in "._" and label[i + 1:i + 2].isdigit()):  # 0.5, conv1_2 stay whole
            pieces.append("")
    return [p for p in pieces if p]


def _tex_pieces(label: str) -> str:
    """A loss name's text (or one right-to-left run of it) escaped, with ``\\allowbreak{}`` where a line may break
    (:func:`tex_label`, :func:`name_pieces`)."""
    # each piece escaped on its own: ``\allowbreak{}`` between two keeps them from forming a ligature too
    return r"\allowbreak{}".join(_tex_plain(p, name=True) for p in name_pieces(label))


def html_name(label) -> str:
    """A loss name as report.html's table cell: HTML-escaped, with ``<wbr>`` where :func:`name_pieces` lets a line
    break, so a long spec in a 16 em cell wraps after its commas and brackets, as leaderboard.tex and the figures
    wrap it, not wherever the line runs out (``overflow-wrap`` breaks a piece only where it is wider than the cell).
    A right-to-left run ('خسارة_عربية') is kept whole, so the page puts it in one ``<bdi>`` (:func:`bdi_html`), not
    one per piece."""
    runs = _name_runs(str(label))
    return _join_runs([html.escape(r) if rtl else "<wbr>".join(map(html.escape, name_pieces(r))) for r, rtl in runs],
                      runs, "<wbr>")


def _name_runs(label: str) -> list[tuple[str, bool]]:
    """A loss name's runs, each ``(text, right to left)``: its right-to-left runs (:func:`isolate_rtl`) and the text
    between them."""
    runs = re.split("(\u2068[^\u2069]*\u2069)", isolate_rtl(label))
    return [(r[1:-1], True) if r.startswith("\u2068") else (r, False) for r in runs if r]


def _join_runs(parts: list[str], runs: list[tuple[str, bool]], wbr: str) -> str:
    """``parts`` (each of :func:`_name_runs`' ``runs`` as set) joined, ``wbr`` where a run ends in one of
    :data:`TEX_BREAKS` before the next: a line may break after 'my_loss+' before a right-to-left name, as
    :func:`name_pieces` breaks it before a left-to-right one (each run's pieces apart lost that break)."""
    return "".join(p + (wbr if i + 1 < len(parts) and runs[i][0][-1:] in TEX_BREAKS else "")
                   for i, p in enumerate(parts))


def tex_column_groups(metrics: list[str], rows: list[Row], line: int = TEX_LINE) -> list[list[int]]:
    """The metric columns of a task table split into consecutive groups whose tables fit the text
    width (:data:`TEX_LINE` characters: the loss name, counted up to 30, the seeds and each column's
    widest cell or header, plus its gap): twelve metrics with ``mean [low, high]`` cells are one
    table three text widths wide otherwise. Each group is at least one column."""
    fixed = min(30, max((len(r.label) for r in rows), default=4)) + 3 + 8
    groups: list[list[int]] = []
    used = fixed
    for j, m in enumerate(metrics):
        w = max([len(m + metric_unit(m)) + 2] + [len(_md_cell(r.cells[j]).replace("**", "")) for r in rows]) + 3
        if not groups or (groups[-1] and used + w > line):
            groups.append([])
            used = fixed
        groups[-1].append(j)
        used += w
    return groups or [[]]


#: where a table float may go: at a page's top, or on a float page of its own, which is where LaTeX puts one taller than
#: ``\\topfraction`` (0.7) of the text height; ``[t]`` alone held such a table (a part of :func:`tex_row_groups`,
#: nearly a page) back to the end of the document, every later table behind it ("Too many unprocessed floats")
TEX_PLACE = "[tp]"

#: lines of ``\\small`` text a LaTeX table float may take: a 9-in text height (650 pt) at 11.5 pt a line, less the
#: float's gaps; a taller ``table`` float cannot break and runs off the page
TEX_PAGE_LINES = 54


def _tex_name_lines(label, flag: str = "") -> int:
    """How many lines a loss name takes in a LaTeX table: one longer than :data:`TEX_LABEL` characters wraps
    (:func:`tex_label`), its breaks before the width, so a line holds a little less."""
    n = len(str(label)) + (len(flag) and 4)
    return 1 if n <= TEX_LABEL else math.ceil(n / (TEX_LABEL - 6))


def balanced(items: list, k: int, unit: int = 1) -> list[list]:
    """``items`` in ``k`` consecutive parts as balanced as groups of ``unit`` (a figure's panel row of panels) allow;
    fewer where balancing leaves the last part empty. The one rule every split into parts follows: a LaTeX table's
    rows (:func:`tex_row_groups`), a leaderboard figure's tasks or rows, a metrics figure's panel rows or losses and
    a rank heatmap's rows (:mod:`benchmark.figures`). No items: no parts."""
    units = math.ceil(len(items) / unit)
    size = max(1, math.ceil(units / max(1, k))) * unit  # 0 for no items: range()'s step may not be
    return [items[i:i + size] for i in range(0, len(items), size)]


def tex_row_groups(rows: list, caption: str, lines=None, page: int = TEX_PAGE_LINES) -> list[list]:
    """The rows of a LaTeX table in balanced consecutive groups, each with the ``input`` row (a task table's), whose
    tables (caption, header and rules included) fit a page of ``page`` lines: one ``table`` float of 60 losses with
    long names ran 20 in down a 9-in page, past its foot. One group where the whole table fits. ``lines``: a row's
    lines (default: a task table's :class:`Row`, its name's, the input's rule under it counted)."""
    lines = lines or (lambda r: _tex_name_lines(r.label, "x" * r.flagged) + (r.kind == "input"))
    head = [r for r in rows if getattr(r, "kind", None) == "input"]
    rest = [r for r in rows if getattr(r, "kind", None) != "input"]
    room = max(1, page - math.ceil(len(caption) / TEX_LINE) - 4 - sum(map(lines, head)))
    for k in range(1, len(rest) + 1):
        chunks = balanced(rest, k)
        if all(sum(map(lines, c)) <= room for c in chunks):
            return [head + c for c in chunks] if k > 1 else [rows]
    return [rows]


def latex(stats: Stats) -> str:
    """``leaderboard.tex``: the notes of the other exports, then one booktabs ``table`` per task
    (seeds, mean $\\pm$ CI half-width or mean [low, high]; bold = top group, only where something
    was tested; $^\\blacktriangle$/$^\\blacktriangledown$ vs baseline; $^\\dagger$ circular; (!) worse
    than the input; the task's caveats in the caption) — split into parts of as many metric columns
    as fit the text width (:func:`tex_column_groups`) and as many rows as fit a page (:func:`tex_row_groups`),
    the later parts captioned as continuations —
    and one for the overall ranking (nothing bold: the mean ranks are descriptive). Needs
    ``booktabs`` and ``amssymb``."""
    higher = stats.higher()
    out = ["% Generated by plbench report; needs \\usepackage{booktabs,amssymb}", ""]
    lines = notes(stats)
    if lines:
        out += [r"\begin{flushleft}\footnotesize", r"\textbf{Notes.}"] + [tex_text(n) + r"\par" for n in lines] + \
               [r"\end{flushleft}", ""]
    from benchmark.stats import smoke_test

    smoke = next((n for n in lines if n.startswith("Smoke test")), "")
    for task in report_tasks(stats):
        # a task's table, often set alone, says it of its own runs and cells (metrics_<task>.png's rule): a task of
        # 5 converged runs per loss is no smoke test because another task's runs are not shown converged
        short = "Smoke test, not a ranking (see the notes)." if smoke and smoke_test(stats, task=task) else ""
        metrics, rows = task_rows(stats, task)
        tested = _untested(stats, task) is None and not stats.cells.empty and \
            stats.cells.loc[stats.cells["task"] == task, ["p_best_adj", "p_base_adj"]].notna().any().any()
        what = (rf"Bold: best and every loss not significantly worse than another (all pairs, runs paired by seed, "
                rf"Holm over the column's pairs, $\alpha={stats.alpha}$ per column); "
                rf"$^\blacktriangle$/$^\blacktriangledown$: "
                rf"significantly better/worse than "
                rf"{_tex(stats.baseline)} ({tex_text(base_family_text(stats))}); " if tested else "")
        caption = (rf"{_tex(task)}: mean $\pm$ half-width of the 95\% CI (bootstrap over images and seeds, at "
                   rf"least Student's t), or mean [low, high] in a column "
                   rf"where some CI is asymmetric; Seeds: the runs each row rests on. {what}$^\dagger$: circular. "
                   + " ".join(tex_text(x) for x in ([short] if short else []) + task_caveats(stats, task)))
        key = f"tab:{_tex(task).replace(chr(92), '')}"
        groups = [(cols, some) for cols in tex_column_groups(metrics, rows) for some in tex_row_groups(rows, caption)]
        for part, (cols, some) in enumerate(groups, 1):
            if part > 1:
                caption = rf"{_tex(task)}, continued from Table~\ref{{{key}}} (part {part} of {len(groups)})."
            out += [r"\begin{table}" + TEX_PLACE, r"\centering", r"\small", rf"\caption{{{caption.strip()}}}",
                    rf"\label{{{key}{'' if part == 1 else f'-{part}'}}}",
                    r"\begin{tabular}{lr" + "r" * len(cols) + "}", r"\toprule",
                    "Loss & Seeds" + "".join(" & " + _tex(metrics[j]) + metric_unit(metrics[j])
                                             + (r" $\uparrow$" if higher.get(metrics[j], True) else r" $\downarrow$")
                                             for j in cols)
                    + r" \\", r"\midrule"]
            for row in some:
                label = tex_label(row.label, WORSE_TEX if row.flagged else "")
                out.append(" & ".join([label, _tex(row.seeds), *(_tex_cell(row.cells[j]) for j in cols)]) + r" \\")
                if row.kind == "input":
                    out.append(r"\midrule")
            out += [r"\bottomrule", r"\end{tabular}", r"\end{table}", ""]
    unranked = not_ranked(stats)
    if not stats.ranks.empty or unranked:
        caveat = rank_caveat(stats)
        common = _common_column(stats)
        extra = [x for x in (smoke, caveat, extra_blocks_text(stats), friedman_text(stats),
                             capped_not_ranked_text(stats)) if x]
        caption = (r"Mean rank over the (task, metric) blocks most losses have (1 = best), its standard "
                   r"deviation, and the "
                   r"mean rank without circular blocks; Blocks: how many it rests on ($^{*}$: not every "
                   r"block). Mean ranks are descriptive: nothing is bold (significance is tested per cell, in the task "
                   r"tables). " + " ".join(tex_text(x).replace(f"({PARTIAL})", "($^{*}$)") for x in extra))
        body = []  # (name, the row's LaTeX)
        for _, r in stats.ranks.iterrows():
            cost = _cost(stats, r["label"])
            flag = "" if r.get("complete", True) else r"$^{*}$"
            vals = [_fmt(r[k], ".2f") for k in ("mean_rank", "sd_rank", "mean_rank_noncircular")]
            body.append((r["label"], " & ".join([tex_label(r["label"]), *map(_tex, vals), _count(r["n_blocks"]) + flag,
                                                 *([_tex(_fmt(r.get("mean_rank_common"), ".2f"))] if common else []),
                                                 _tex(_count(cost.get("runs")))]) + r" \\"))
        for loss, parts in unranked.items():
            kinds = {st == NO_FINITE for _, st in parts}  # of both kinds: each said
            why = {frozenset([True]): NO_FINITE, frozenset([False]): "every run diverged or failed"}.get(
                frozenset(kinds), f"{NO_FINITE}, or every run diverged or failed")
            body.append((loss, rf"{tex_label(loss)} & \multicolumn{{{4 + common}}}{{l}}{{not ranked: {why}}} & "
                               f"{_tex(_count(_cost(stats, loss).get('runs')))} \\\\"))
        parts = tex_row_groups(body, caption, lines=lambda b: _tex_name_lines(b[0]))
        for part, some in enumerate(parts, 1):
            if part > 1:
                caption = rf"Mean rank, continued from Table~\ref{{tab:ranks}} (part {part} of {len(parts)})."
            out += [r"\begin{table}" + TEX_PLACE, r"\centering", r"\small", rf"\caption{{{caption}}}",
                    rf"\label{{tab:ranks{'' if part == 1 else f'-{part}'}}}",
                    # the headers on two lines and, with the `Common blocks` column, narrower gaps: on one line
                    # (``Excl.\ circular``, ``Common blocks``) the table ran 27 pt or more past article's 345 pt text
                    # width beside a 15 em name (:func:`tex_label`)
                    *([r"\setlength{\tabcolsep}{3.5pt}"] if common else []),
                    r"\begin{tabular}{lrrrrr" + "r" * common + "}", r"\toprule",
                    r"Loss & Mean & SD & Excl.\ & Blocks & " + (r"Common & " if common else "") + r"Runs \\",
                    r" & rank & & circular & & " + (r"blocks & " if common else "") + r"\\", r"\midrule"]
            out += [line for _, line in some]
            out += [r"\bottomrule", r"\end{tabular}", r"\end{table}", ""]
    if TEX_RTL + "{" in "\n".join(out):  # what a right-to-left name needs, where the reader of the .tex looks first
        out[1:1] = [TEX_RTL_NOTE, TEX_RTL_DEF]
    odd = tex_unsupported("\n".join(out))
    if odd:  # say so where the reader of the .tex looks first, rather than let pdfLaTeX stop at line 40
        shown = ", ".join(odd[:12]) + (f" and {len(odd) - 12} more" if len(odd) > 12 else "")
        out.insert(1, f"% contains characters pdfLaTeX cannot typeset ({shown}): compile with XeLaTeX or LuaLaTeX "
                      "and a font that has them")
        # where the first is: a loss's name, or other text (a folder of one's own photos named in the Setting line)
        at = next(i for i, line in enumerate(out) if i != 1 and odd[0] in line)  # 1: the comment just put there
        ranked = stats.ranks["label"] if "label" in getattr(stats.ranks, "columns", ()) else ()
        name = next((str(lab) for lab in ranked if odd[0] in str(lab)), None)
        line = out[at]
        cut = line.index(odd[0])
        where = f"loss name {name}" if name else (("…" if cut > 40 else "") + line[max(0, cut - 40):cut + 40]
                                                  + ("…" if cut + 40 < len(line) else ""))
        log.warning("leaderboard.tex holds characters pdfLaTeX cannot typeset (%s), first on its line %d: %s; compile "
                    "it with XeLaTeX or LuaLaTeX", shown, at + 1, where)
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
def write_csvs(stats: Stats, root: Path) -> dict[str, Path]:
    """``summary.csv`` (one row per cell, every statistic), ``ranks.csv``, ``costs.csv`` and
    ``convergence.csv`` (per task, loss and metric: runs with a budget check, mean gain from ½ budget
    to the end, its one-sided 95 % bounds, the practical margin, the status; :mod:`benchmark.convergence`).
    A table with nothing in it (no loss scored) is its header alone (:data:`CSV_COLUMNS`)."""
    from benchmark.convergence import ARM_COLUMNS

    out = {}
    budget = stats.budget if stats.budget is not None and not stats.budget.empty else pd.DataFrame(columns=ARM_COLUMNS)
    for name, df in (("summary", stats.cells), ("ranks", stats.ranks), ("costs", stats.costs),
                     ("convergence", budget.drop(columns="setting"))):
        p = root / f"{name}.csv"
        from benchmark.results import atomic_output

        if df.columns.empty:  # nothing scored (every run diverged): the header still, as csv_columns.md says
            df = pd.DataFrame(columns=list(CSV_COLUMNS[p.name]))
        with atomic_output(p) as tmp:
            df.to_csv(tmp, index=False)
        out[f"{name}_csv"] = p
    return out


#: every CSV a report writes, with what each of its columns holds, in the file's column order: written beside
#: them as ``csv_columns.md`` (:func:`csv_columns_markdown`); a cell left empty is a missing value (NaN)
CSV_COLUMNS: dict[str, dict[str, str]] = {
    "results.csv": {
        "run_id": "the run's id (a hash of its config and code versions); input rows: their own id per task",
        "task": "the restoration task (registry name)",
        "task_version": "the task's registry version",
        "task_params": "the task's parameters, JSON",
        "loss": "the canonical loss spec, or `input` for the degraded image itself",
        "loss_version": "registry versions of the spec's terms (`l1=1,pdl=2`); empty for input rows",
        "seed": "the training seed; empty for input rows",
        "net": "the restoration net's preset (`none` for input rows)",
        "weights": "full provenance of the loss's learned weights (`none` for pixel losses)",
        "weights_kind": "that provenance without per-run seeds (`vgg16:random`): part of the loss's identity",
        "backbone_seed": "the random backbone's seed; empty when the weights are not random",
        "train_data": "the training source",
        "setting": "the run's setting, JSON (net, iterations, …): one leaderboard per setting",
        "dataset": "the test set's name",
        "image": "the test image's name",
        "metric": "the IQA metric",
        "value": "the metric's score of this image's restoration (NaN or ±inf: the metric could not score it)",
        "higher_is_better": "True when a higher score of this metric is better",
        "code_version": "the release of the code that wrote the row",
    },
    "summary.csv": {
        "task": "the restoration task",
        "label": "the loss's row in the leaderboard: its spec plus weights kind (and version)",
        "loss": "the canonical loss spec (`input`: the degraded image)", "metric": "the IQA metric",
        "higher_is_better": "True when a higher score of this metric is better",
        "mean": "mean over test images within a run, then over seeds: the leaderboard number",
        "ci_low": "lower end of the mean's 95% CI (bootstrap over images and seeds, at least Student's t)",
        "ci_high": "upper end of that CI",
        "ci_clipped": "True where the CI was cut at the range the metric has by definition",
        "n_seeds": "the runs (seeds) the cell rests on", "n_images": "the test images the cell's mean is over",
        "rank": "the loss's rank in its (task, metric) column, 1 = best (empty for input)",
        "best": "True for the best mean of its column (every loss tied at it, as `rank` ties them)",
        "top_group": "bold: tested against some other loss and not significantly worse than any (Holm over the "
                     "column's pairs)",
        "p_best_adj": "the smallest Holm-adjusted p of a pair of the column this loss trails; empty when it "
                      "trails none tested",
        "p_base": "unadjusted p of the paired test against the baseline (runs paired by seed)",
        "diff_vs_base": "mean paired difference from the baseline, in metric units, positive = better",
        "base_label": "the baseline's row this cell is compared with",
        "diff_ci_low": "lower end of the unadjusted 95% CI of `diff_vs_base`",
        "diff_ci_high": "upper end of that CI",
        "circular": "True where the loss was trained on (a near copy of) this metric",
        "no_spread": "the labels (\"; \"-joined) this loss could not be tested against: every paired difference "
                     "the same (SE 0)",
        "bold_decided_by": "for a loss out of bold on a fragile result: every seed (\"; \"-joined) whose runs, left "
                           "out of the pairs it is significantly worse in, leave none of them significant; empty "
                           "otherwise",
        "bold_p_without": "the largest over those seeds of the smallest Holm p left among those pairs",
        "p_base_adj": "`p_base` Holm-adjusted over every (task, metric, loss) of the table",
        "vs_base": "+1 significantly better than the baseline, -1 worse, 0 not significant; empty when not tested",
        "decided_by": "for a fragile ▲/▼: every seed (\"; \"-joined) whose runs, left out, leave its Holm p ≥ α (or "
                      "its effect turned); empty when no one seed's runs do",
        "p_without": "the largest of those Holm-adjusted p's, each without one `decided_by` seed's runs",
    },
    "ranks.csv": {
        "label": "the loss's row", "mean_rank": "mean of its ranks over the (task, metric) blocks most losses have "
                                                 "(1 = best)",
        "sd_rank": "standard deviation of those ranks", "min_rank": "its best rank in a block",
        "max_rank": "its worst rank in a block", "n_blocks": "the blocks its mean rank is over",
        "mean_rank_noncircular": "`mean_rank` over the blocks whose metric it was not trained on",
        "n_noncircular": "the blocks of `mean_rank_noncircular`",
        "n_circular": "the blocks whose metric it was trained on",
        "complete": "True when it has every (task, metric) block most losses have (one only a few have makes "
                    "no other loss incomplete)",
        "mean_rank_common": "its mean rank over the blocks every loss has (comparable when some are incomplete)",
        "n_common": "the blocks every loss has",
        "n_extra": "its blocks only a few losses have (half or fewer): ranked among fewer rivals, not in its mean rank",
    },
    "costs.csv": {
        "label": "the loss's row", "loss": "the canonical loss spec", "runs": "its runs (every status)",
        "ok": "its finished runs", "diverged": "its runs stopped by a non-finite loss",
        "failed": "its runs that raised an error",
        "unconverged": "its finished runs not shown converged by their budget checks",
        "ok_seeds": "the seeds of its finished runs (a seed trained under two run ids, an older plbench's and "
                    "today's, once): the leaderboard's unconv. is of seeds",
        "unconverged_seeds": "the seeds of its finished runs not shown converged by their budget checks",
        "ms_per_it": "median steady-state training time per iteration (ms) over its finished runs (of each task "
                     "and kind of device, those timed in the steady state where it has any: warmup_left_out; of "
                     "those, the ones timed with the cores free where it has any: busy_left_out); empty when timed on "
                     "more than one kind of device (a GPU model, a CPU's model and thread count)",
        "ms_per_it_low": "the smallest ms/it of the runs ms_per_it is the median of (empty where ms_per_it is)",
        "ms_per_it_high": "the largest ms/it of the runs ms_per_it is the median of (empty where ms_per_it is)",
        "peak_mem_mb": "the largest peak of GPU memory allocated by tensors over its runs (MiB); empty on a CPU",
        "peak_mem_reserved_mb": "the largest peak of GPU memory the caching allocator reserved over its runs (MiB; "
                                "at least peak_mem_mb): what --workers-per-gpu is sized by, as the memory check "
                                "sizes it; empty on a CPU and for runs recorded before it was",
        "peak_rss_mb": "the largest peak of CPU memory over its runs (MiB): the resident memory of a run's process "
                       "while it trained and was scored (imports and data included; meta.json's peak_rss_mb; a peak "
                       "not reset at the run's start, peak_rss_of: process, left out)",
        "device": "the devices its runs trained on",
        "ms_per_it_by_device": "the median ms/it per kind of device (\"; \"-joined) where there are several",
        "timed_on": "the kinds of device its ms/it was timed on (\"; \"-joined)",
        "timed_with_warmup": "its finished runs whose ms/it includes warm-up iterations and checkpoint saves "
                             "(recorded before they were left out)",
        "timed_busy": "its finished CPU runs timed while their process had under PLBENCH_MIN_CPU_SHARE (default 0.5) "
                      "of a core per torch thread, or (cpu_runnable_share recorded) their threads a core under that "
                      "share of the time they were runnable: ms/it reads high",
        "busy_left_out": "of those, the runs left out of ms_per_it (and its low/high, ms_per_it_by_device) because "
                         "it has runs timed with the cores free on their task and kind of device",
        "warmup_left_out": "of its timed_with_warmup runs, those left out of ms_per_it (and its low/high, "
                           "ms_per_it_by_device) because it has runs timed in the steady state on their task and "
                           "kind of device",
        "timed_model_assumed": "its CPU runs whose meta.json names no CPU model (device_name x86_64, a Mac's arm or "
                               "i386: recorded before plbench named it), counted as the one model (of a Mac's, its "
                               "family's) the store names at their thread count",
    },
    "convergence.csv": {
        "task": "the restoration task", "loss": "the canonical loss spec", "weights_kind": "the loss's weights kind",
        "loss_version": "its terms' registry versions", "metric": "the IQA metric",
        "runs": "runs with a budget check (the same run at half the iterations); 0 where every seed lost one of the "
                "two (its status from diverged_runs / diverged_checks)",
        "gain": "mean gain from half the budget to the full one, in metric units, positive = better",
        "low": "one-sided 95% lower bound of that gain (the gain itself with one run: no bound, the status unclear)",
        "high": "one-sided 95% upper bound of that gain (the gain itself with one run)",
        "margin": "the metric's practical margin (smallest effect of interest)",
        "status": "converged, still improving, worse with more budget, unclear or not checked: this metric's, from its "
                  "bounds and margin (unclear with one run) or from diverged_runs / diverged_checks; the arm's own "
                  "status (leaderboard, findings) is converged where every metric is, else a direction a metric "
                  "shows at the Bonferroni level over the arm's metrics (or one the diverged seeds set)",
        "df": "degrees of freedom of the bounds' t quantile (over runs and test images; empty with one run)",
        "diverged_runs": "seeds (\"; \"-joined) whose run at the full budget diverged while its budget check finished: "
                         "they make the status worse with more budget, whatever the gain and bounds",
        "diverged_checks": "seeds (\"; \"-joined) whose budget check diverged while its run at the full budget "
                           "finished: they make the status still improving (unclear with diverged_runs too), "
                           "whatever the gain and bounds",
    },
    "findings.csv": {
        "finding": "the published claim's id", "verdict": "its verdict on these results",
        "setting": "the setting it was checked in", "task": "the task of this part",
        "metric": "the metric of this part", "a": "the loss the claim favours", "relation": "`better` (a beats b) or "
        "`at_least` (a is no worse than b by more than the practical margin)", "b": "the loss a is compared with",
        "effect": "mean paired difference a − b over runs paired by seed (b − a where lower is better: lpips, "
        "dists, niqe), metric units, positive = a better",
        "ci_low": "lower end of the effect's 95% CI", "ci_high": "upper end of that CI",
        "dz": "the effect over the run-level standard deviation of the differences",
        "margin": "the margin the part's test allows, metric units: the practical "
        "margin for `at_least`, 0 for `better`", "practical_margin": "the metric's smallest effect of "
        "interest", "p": "two-sided p of the part's test", "p_holm": "p Holm-adjusted over the finding's counted "
        "parts", "p_worse_holm": "Holm-adjusted p of \"a is worse than b by the practical margin\"",
        "n_runs": "the paired runs the test rests on", "n_images": "the test images of the part",
        "seeds_a": "the runs (seeds) of a", "seeds_b": "the runs (seeds) of b",
        "circular": "True where a loss of the part was trained on its metric",
        "counted": "True when the part counts towards the finding's verdict",
        "part_verdict": "this part's own verdict",
        "decided_by": "for a fragile part (reproduced or contradicted): every seed (\"; \"-joined) whose runs, left "
                      "out, leave its Holm p ≥ α (or its effect past the verdict's bound); empty when no one seed's "
                      "runs do",
        "p_without": "the largest of those Holm-adjusted p's, each without one `decided_by` seed's runs",
        "note": "why a part (or the whole finding) has no verdict",
        "stale": "empty for a setting this code would run again; else why its runs are of another code or task "
        "version (such settings are a Holm family of their own)",
        "verdict_text": "the finding's verdict as findings.md states it: on how many parts; for an inconclusive one, "
        "why it is open and what would settle it; after every verdict resting on counted parts, the claim's tasks, "
        "metrics and rivals none of them tested ('; not tested on tasks jpeg/demosaic, …: not in these results')",
        "pooled_effect": "the finding's pooled effect, the mean of its tested counted parts' effects in units of each "
        "metric's practical margin (empty: none)", "pooled_ci_low": "lower end of the pooled effect's 95% CI",
        "pooled_ci_high": "upper end of that CI",
        "holm_family": "the Holm family the finding's parts were adjusted in (its settings and tested parts)",
    },
}


def csv_columns_markdown(headers: dict[str, list[str]]) -> str:
    """``csv_columns.md``: per CSV written (``headers``: {file name: its columns in order}), a table of every
    column with what it holds (:data:`CSV_COLUMNS`; a column it lacks is listed as undocumented, and
    logged)."""
    out = ["# Columns of the CSV files", "",
           "Written by `plbench report` beside the files it describes. Every file has a header row; an empty "
           "cell is a missing value (NaN). Values are written at full precision: they read back exactly.", ""]
    for name, cols in headers.items():
        known = CSV_COLUMNS.get(name, {})
        missing = [c for c in cols if c not in known]
        if missing:
            log.warning("csv_columns.md: %s has undocumented columns: %s", name, ", ".join(missing))
        out += [f"## {name}", "", "| column | holds |", "|---|---|"]
        out += [f"| `{c}` | {md_text(known.get(c, 'undocumented'))} |" for c in cols]
        out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222}
header{padding:12px 20px;background:#263238;color:#fff}header h1{margin:0;font-size:20px}
nav{display:flex;flex-wrap:wrap;gap:4px;padding:8px 20px;background:#eceff1;position:sticky;top:0}
nav button{border:1px solid #b0bec5;background:#fff;padding:5px 12px;border-radius:4px;cursor:pointer}
nav button.active{background:#263238;color:#fff}
section.tab{display:none;padding:12px 20px}section.tab.active{display:block}
table{border-collapse:collapse;margin:10px 0;font-size:13px}
th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
th{cursor:pointer;background:#fafafa;position:relative}th:after{content:" ⇅";color:#aaa;font-size:10px}
th.asc:after{content:" ▲";color:#333}th.desc:after{content:" ▼";color:#333}
td.top{font-weight:bold;background:#fff8e1}tr.input td{color:#777;font-style:italic}
.scroll{max-width:100%;overflow-x:auto}
table.ranks td:first-child{white-space:normal;overflow-wrap:break-word;max-width:16em}
table.leaderboard{font-size:12px}
table.leaderboard th{white-space:normal;vertical-align:bottom}table.leaderboard th:after{font-size:9px}
table.leaderboard td{white-space:normal}table.leaderboard td:first-child{overflow-wrap:break-word;max-width:16em}
table.leaderboard .pm,table.leaderboard .v,table.leaderboard .h{white-space:nowrap}
table.leaderboard .pm.iv{white-space:normal}
.method{max-width:1000px}.method code,.note code{background:#eceff1;padding:0 3px;border-radius:3px;font-size:90%}
pre{background:#f5f5f5;padding:6px 10px;overflow-x:auto}
.pm{color:#888;font-size:11px}.up{color:#2e7d32}.down{color:#c62828}.circ{color:#6a1b9a}
figure{margin:12px 0}figure img{max-width:min(100%,1000px);border:1px solid #eee}figcaption{font-size:12px;color:#555}
.note{background:#f5f5f5;border-left:3px solid #90a4ae;padding:6px 10px;margin:8px 0}
.worse{color:#e65100}tr.lost td{color:#b71c1c}
#js-errors{color:#b00;white-space:pre}
td.wrap{white-space:normal;max-width:340px;text-align:left}
table.findings th,table.findings td{text-align:left;vertical-align:top}table.findings td.wrap{min-width:9em}
.verdict{color:#fff;padding:2px 7px;border-radius:3px;font-weight:bold;white-space:nowrap}
details{margin:6px 0}summary{cursor:pointer}
@media (prefers-color-scheme:dark){
body{background:#121212;color:#e0e0e0}a{color:#90caf9}
nav{background:#1e272c}nav button{background:#263238;color:#e0e0e0;border-color:#546e7a}
nav button.active{background:#b0bec5;color:#121212}
th{background:#1e1e1e}th,td{border-bottom-color:#3a3a3a}th.asc:after,th.desc:after{color:#e0e0e0}
td.top{background:#3d3000}tr.input td{color:#a0a0a0}
.method code,.note code{background:#263238}pre,.note{background:#1e1e1e}
.pm{color:#a0a0a0}.up{color:#81c784}.down{color:#ef9a9a}.circ{color:#ce93d8}
figure img{background:#fff;border-color:#fff;padding:6px;border-radius:4px}figcaption{color:#bdbdbd}
.worse{color:#ffb74d}tr.lost td{color:#ef9a9a}#js-errors{color:#ff8a80}
}
"""

#: first script on the page: any later script error is written into the (then visible) #js-errors box
ERROR_TRAP = """
window.addEventListener('error',function(e){
  var d=document.getElementById('js-errors');d.textContent+=(e.message||'script error')+'\\n';d.hidden=false;});
"""

#: report.html's order of two texts (a loss column's names), as :func:`benchmark.stats.name_key` orders them in the
#: tables: a number in a text read as a number (``0.25`` before ``0.5``, ``2`` before ``10``, ``1e-4`` before ``1e-3``:
#: localeCompare's numeric option reads ``0.5`` before ``0.25``, ``1e-4`` after ``1e-3``), then the texts themselves
NAME_CMP = r"""
function nameParts(s){
  var re=/((?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?)/,m=/ \(v[^()]*\)$/.exec(s);
  var p=(m?s.slice(0,m.index):s).split(re);if(!m){return p;}
  var t=m[0].split(/(\d+)/);p[p.length-1]+=t[0];return p.concat(t.slice(1));
}
function nameCmp(x,y){
  var a=nameParts(String(x)),b=nameParts(String(y));
  for(var i=0;i<Math.min(a.length,b.length);i++){
    var u=i%2?parseFloat(a[i]):a[i],v=i%2?parseFloat(b[i]):b[i];if(u!==v){return u<v?-1:1;}}
  if(a.length!==b.length){return a.length<b.length?-1:1;}
  return x<y?-1:(x>y?1:0);
}
"""

JS = NAME_CMP + """
(function(){
  var errs=document.getElementById('js-errors');
  window.addEventListener('error',function(e){errs.textContent+=(e.message||'error')+'\\n';errs.hidden=false;});
  var buttons=document.querySelectorAll('nav button');
  function show(id){
    document.querySelectorAll('section.tab').forEach(function(s){s.classList.toggle('active',s.id===id);});
    buttons.forEach(function(b){b.classList.toggle('active',b.dataset.tab===id);});
  }
  buttons.forEach(function(b){b.addEventListener('click',function(){
    show(b.dataset.tab);if(history.replaceState){history.replaceState(null,'','#'+b.dataset.tab);}});});
  function key(td){
    var v=td.getAttribute('data-v');
    if(v!==null){return v===''?NaN:parseFloat(v);}
    return td.textContent.trim();
  }
  document.querySelectorAll('table.sortable').forEach(function(t){
    var ths=t.querySelectorAll('thead th');
    ths.forEach(function(th,i){th.addEventListener('click',function(){
      var asc=!th.classList.contains('asc');
      ths.forEach(function(h){h.classList.remove('asc','desc');});th.classList.add(asc?'asc':'desc');
      var body=t.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
      rows.sort(function(a,b){var x=key(a.cells[i]),y=key(b.cells[i]);
        if(typeof x==='number'&&typeof y==='number'){if(isNaN(x))return 1;if(isNaN(y))return -1;return asc?x-y:y-x;}
        return (asc?1:-1)*nameCmp(String(x),String(y));});
      rows.forEach(function(r){body.appendChild(r);});
    });});
    t.setAttribute('data-sortable-ready','1');
  });
  var wanted=location.hash.slice(1);  /* report.html#findings opens that tab */
  var known=Array.prototype.some.call(buttons,function(b){return b.dataset.tab===wanted;});
  show(known?wanted:(buttons.length?buttons[0].dataset.tab:''));
  if(known){  /* the tab from its top, not the browser's jump to the section's anchor */
    window.addEventListener('load',function(){setTimeout(function(){window.scrollTo(0,0);},0);});}
  document.body.setAttribute('data-ready','1');
})();
"""


def _pngs(paths) -> list[Path]:
    """The PNG files of a figure's paths, part by part (a figure split into parts has one per part)."""
    return [Path(p) for p in paths or () if Path(p).suffix == ".png"]


#: report.html's palette copy of a figure (:func:`html_png`): at most PALETTE_SHARE of its pixels may move by more
#: than PALETTE_STEP of 255 in a channel, and none by more than PALETTE_MAX_ERROR. A drawn figure moves a few
#: anti-aliased edge pixels (0.1-1 %, at most 15-46 levels); a photograph (the visual grid's crops) moves 3-20 % of
#: them, bands, and keeps every colour
PALETTE_STEP, PALETTE_SHARE, PALETTE_MAX_ERROR = 8, 0.02, 64


def html_png(raw: bytes) -> bytes:
    """A figure's PNG as ``report.html`` embeds it: the smallest of the file as written, its lossless RGB copy
    (the figures are opaque: no alpha channel to carry) and its 256-colour palette copy where that changes
    nothing visible (:data:`PALETTE_SHARE`: a drawn figure, not a photograph); a third of the bytes at the same
    pixel size. The files themselves keep their colours and dpi. A file Pillow cannot read, or one with
    transparent pixels, is embedded as it is."""
    import io

    from PIL import Image, ImageChops

    try:
        with Image.open(io.BytesIO(raw)) as im:
            im.load()
            if "A" in im.getbands() and im.getchannel("A").getextrema()[0] < 255 or "transparency" in im.info:
                return raw
            rgb = im.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return raw
    palette = rgb.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    r, g, b = ImageChops.difference(palette.convert("RGB"), rgb).split()
    moved = ImageChops.lighter(ImageChops.lighter(r, g), b).histogram()  # pixels by their largest channel change
    drawn = not any(moved[PALETTE_MAX_ERROR + 1:]) and sum(moved[PALETTE_STEP + 1:]) <= PALETTE_SHARE * sum(moved)
    if drawn:  # mapped again with error diffusion: a colour bar's ramp, which the palette cuts into bands of up to
        # PALETTE_STEP (a visible staircase), reads as the ramp; its flat cells and lines keep their palette colours
        palette = rgb.quantize(palette=palette, dither=Image.Dither.FLOYDSTEINBERG)
    best = raw
    for copy in (palette, rgb) if drawn else (rgb,):
        buf = io.BytesIO()
        copy.save(buf, "PNG")  # zlib's default level: optimize=True saves a tenth more in 8× the time
        if len(buf.getvalue()) < len(best):
            best = buf.getvalue()
        if best is not raw:  # the palette copy, else the RGB copy, smaller than the file: nothing smaller to try
            break
    return best


#: what each figure of a report plots, in a few words after its name: report.html's captions and alt texts and
#: leaderboard.md's Figures list (the key alone, 'cd diagram', 'metrics denoise', said nothing of it); a per-task
#: figure's (``metrics_<task>``, ``visual_<task>``) under its kind
FIGURE_CAPTIONS = {
    "leaderboard": "each task's mean per loss and metric, coloured by its gain over the degraded input "
                   "(blue better, red worse)",
    "rank_heatmap": "each loss's mean rank over each task's metrics, and over every (task, metric) block (all)",
    "cd_diagram": "critical-difference diagram: each loss's mean rank over the (task, metric) blocks",
    "pd_plane": "perception–distortion plane: each loss's mean on a distortion metric (x) and a perception metric "
                "(y) per task, with 95% CIs, the degraded input and the Pareto front",
    "training_curves": "training loss over iterations, each run's divided by its first value, the mean over seeds "
                       "per loss and task",
    "metrics": "each loss's mean and 95% CI on every metric of the task",
    "visual": "one test image's crop as the clean image, the degraded input and each loss's restoration show it, a "
              "magnified inset in each",
}


def figure_caption(name: str, part: tuple[int, int] | None = None) -> str:
    """A report figure's caption: its name as a reader says it (``metrics_denoise`` → ``metrics denoise``), ``part``
    (i, n) as "(part i of n)", then what it plots (:data:`FIGURE_CAPTIONS`); the name alone for a figure not there."""
    head = name.replace("_", " ") + (f" (part {part[0]} of {part[1]})" if part and part[1] > 1 else "")
    what = figure_plots(name)
    return f"{head}: {what}" if what else head


def figure_plots(name: str) -> str:
    """What the report figure ``name`` plots (:data:`FIGURE_CAPTIONS`, a per-task figure's under its kind); ""
    for a figure not there."""
    return FIGURE_CAPTIONS.get(name) or FIGURE_CAPTIONS.get(name.split("_", 1)[0] if "_" in name else "", "")


def _img(path: Path, caption: str) -> str:
    data = base64.b64encode(html_png(Path(path).read_bytes())).decode()
    return (f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _num(v) -> str:
    return f"{float(v):.10g}" if _finite(v) else ""


def _html_cell(cell: Cell) -> str:
    if cell.status:
        return f'<td class="lost" data-v="">{html.escape(cell.status)}</td>'
    if cell.mean == "–":
        return '<td data-v="">–</td>'
    marks = (f' <span class="up" title="significantly better than the baseline">{UP}</span>' if cell.vs == 1 else
             f' <span class="down" title="significantly worse than the baseline">{DOWN}</span>' if cell.vs == -1
             else "")
    marks += ' <span class="circ" title="circular: trained on this metric">†</span>' if cell.circular else ""
    spread = (f' <span class="pm">±&nbsp;{cell.spread[1]}</span>' if cell.spread[:1] == ("pm",) else
              f' <span class="pm iv">[{cell.spread[1]}, {cell.spread[2]}]</span>' if cell.spread[:1] == ("iv",)
              else "")
    cls = ' class="top"' if cell.bold else ""
    # the value and its ± (or interval) stay on one line each; the cell wraps between them when the
    # table is wider than the page (so 12+ metrics fit 1400 px without a scroll bar)
    return (f'<td{cls} data-v="{_num(cell.key)}" title="{html.escape(cell.title)}"><span class="v">{cell.mean}</span>'
            f"{spread}{marks}</td>")


def _task_table(stats: Stats, task: str) -> str:
    """One task's sortable table: the columns and marks of the Markdown table (:func:`task_rows`)."""
    higher = stats.higher()
    metrics, rows = task_rows(stats, task)
    head = "".join(f"<th><span class=\"h\">{html.escape(m)}{metric_unit(m)} {'↑' if higher.get(m, True) else '↓'}"
                   "</span></th>" for m in metrics)
    body = []
    for row in rows:  # a long label (a spec with its weights) breaks where leaderboard.tex's does
        label = html_name(row.label)
        if row.flagged:
            label += f' <span class="worse" title="some runs restore worse than the degraded input">{WORSE}</span>'
        tds = [f"<td>{label}</td>", f'<td data-v="{_num(row.seeds) if row.seeds.isdigit() else ""}">'
                                     f"{html.escape(row.seeds)}</td>"]
        tds += [_html_cell(cell) for cell in row.cells]
        if row.kind == "input":
            tds += ['<td data-v="">–</td>'] * 5
        else:
            div = row.diverged if row.diverged.isdigit() else ""
            tds += [f'<td data-v="{_num(row.rank)}">{_fmt(row.rank, ".1f")}</td>',
                    f'<td data-v="{_num(row.ms_per_it)}">{_fmt(row.ms_per_it, ".1f")}</td>',
                    f'<td data-v="{div}">{html.escape(row.diverged)}</td>',
                    f"<td>{html.escape(row.unconv)}</td>",
                    f'<td data-v="{_num(row.below_frac)}">{html.escape(row.below)}</td>']
        cls = {"input": ' class="input"', "lost": ' class="lost"'}.get(row.kind, "")
        body.append(f"<tr{cls}>" + "".join(tds) + "</tr>")
    return (f'<div class="scroll"><table class="sortable leaderboard" data-task="{html.escape(task)}"><thead><tr>'
            f"<th>loss</th><th>seeds</th>{head}<th>rank</th><th>ms/it</th><th>diverged</th><th>unconv.</th>"
            f"<th>&lt; input</th></tr></thead><tbody>{''.join(body)}</tbody></table></div>")


def rank_caveat(stats: Stats) -> str | None:
    """When some loss lacks (task, metric) blocks others have (a slow loss run on fewer tasks, a
    ``compare`` on some tasks): which, and that its mean rank is not comparable; None otherwise."""
    r = stats.ranks
    if r.empty or "complete" not in r or r["complete"].all():
        return None
    cells = stats.cells[stats.cells["label"] != INPUT].dropna(subset=["rank"])
    parts = []
    for _, row in r[~r["complete"]].iterrows():
        tasks = sorted(cells.loc[cells["label"] == row["label"], "task"].unique())
        parts.append(f"{row['label']} ({int(row['n_blocks'])} blocks: {', '.join(tasks)})")
    n = common_blocks(stats)
    head = ("Not every loss has every block: " + "; ".join(parts) + ". A mean rank over other blocks and "
            f"fewer rivals is not comparable with the others': those losses ({PARTIAL}) are listed last")
    if not n:
        return head + "; there is no (task, metric) block that every loss has, so no mean rank puts them all on " \
                      "common ground."
    return head + f", and `common blocks` gives every loss's mean rank over the {plural(n, 'block')} all of them have."


def extra_blocks_text(stats: Stats) -> str:
    """The losses with blocks only a few losses have (``n_extra``), which their mean rank leaves out, as one line;
    "" when none (or ranks from an earlier version without the column)."""
    r = stats.ranks
    if r.empty or "n_extra" not in r or not (r["n_extra"] > 0).any():
        return ""
    c = stats.cells[stats.cells["label"] != INPUT].dropna(subset=["rank"])
    n_lab = c["label"].nunique()
    few = {b for b, n in c.groupby(["task", "metric"])["label"].nunique().items() if 2 * n <= n_lab}
    parts = []
    for _, row in r[r["n_extra"] > 0].iterrows():
        mine = c[c["label"] == row["label"]]
        tasks = sorted({str(t) for t, m in zip(mine["task"], mine["metric"]) if (t, m) in few})
        parts.append(f"{row['label']} ({int(row['n_extra'])}: {', '.join(tasks)})")
    return ("Blocks only a few losses have (half or fewer) rank those losses among fewer rivals, so they are not in "
            "the mean rank (see the task tables): " + "; ".join(parts) + ".")


def common_blocks(stats: Stats) -> int:
    """How many (task, metric) blocks every ranked loss has (the ``mean_rank_common`` they rest on);
    0 without ranks."""
    r = stats.ranks
    return int(r["n_common"].iloc[0]) if not r.empty and "n_common" in r else 0


def _common_column(stats: Stats) -> bool:
    """Whether the overall ranking shows a ``common blocks`` column: some loss lacks blocks and every
    loss shares at least one (with none it would be a column of dashes)."""
    return rank_caveat(stats) is not None and common_blocks(stats) > 0


def _rank_table(stats: Stats) -> str:
    common = _common_column(stats)
    rows = []

    def tds(vals):
        return "".join(f'<td data-v="{_num(v)}">{_fmt(v, f)}</td>' for v, f in vals)

    for _, r in stats.ranks.iterrows():
        cost = _cost(stats, r["label"])
        vals = [(r["mean_rank"], ".2f"), (r["sd_rank"], ".2f"), (r["min_rank"], "g"), (r["max_rank"], "g"),
                (r["mean_rank_noncircular"], ".2f"), (r["n_blocks"], "d"),
                *([(r.get("mean_rank_common"), ".2f")] if common else []), (cost.get("ms_per_it"), ".1f"),
                (cost.get("peak_mem_mb"), ".0f"), (cost.get("peak_rss_mb"), ".0f"), (cost.get("runs"), "d"),
                (cost.get("diverged"), "d"), (cost.get("failed"), "d")]
        flag = "" if r.get("complete", True) else f" {PARTIAL}"
        rows.append(f"<tr><td>{html_name(r['label'])}{flag}</td>{tds(vals)}</tr>")
    for loss in not_ranked(stats):
        cost = _cost(stats, loss)
        vals = [(cost.get("ms_per_it"), ".1f"), (cost.get("peak_mem_mb"), ".0f"), (cost.get("peak_rss_mb"), ".0f"),
                (cost.get("runs"), "d"), (cost.get("diverged"), "d"), (cost.get("failed"), "d")]
        rows.append(f'<tr class="lost"><td>{html_name(loss)}</td><td data-v="">not ranked</td>'
                    + '<td data-v="">–</td>' * (4 + common) + '<td data-v="0">0</td>' + tds(vals) + "</tr>")
    head = "".join(f"<th>{h}</th>" for h in ("loss", "mean rank", "sd", "min", "max", "excl. circular", "blocks",
                                              *(["common blocks"] if common else []),
                                              "ms/it", "peak MiB", "RSS MiB", "runs", "diverged", "failed"))
    note = "".join(f"<p class=\"note\">{html.escape(x)}</p>" for x in (rank_caveat(stats), extra_blocks_text(stats))
                   if x)
    lost = capped_not_ranked_text(stats)
    # in a scroll box, its names wrapping, as the task tables: a 60-character spec took it past a 1280 px window
    return (note + f'<div class="scroll"><table class="sortable ranks"><thead><tr>{head}</tr></thead><tbody>'
            f'{"".join(rows)}</tbody></table></div>' + (f'<p class="note">{html.escape(lost)}</p>' if lost else ""))


BENCHMARK = "plbench perceptual-loss benchmark"
_RESERVED_TABS = ("overview", "findings", "method")
#: the fields of a profile a setting records and the title shows: one that differs overrides the profile
_PROFILE_FIELDS = ("net", "iterations", "batch_size", "crop", "lr")


def task_tab_ids(tasks) -> dict[str, str]:
    """{task: the id of its tab}: the task's name made a URL fragment (``report.html#denoise``);
    one that would clash with another tab or task gets ``task-`` in front."""
    out: dict[str, str] = {}
    for t in tasks:
        tid = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(t)).strip("-") or "task"
        while tid in _RESERVED_TABS or tid in out.values():
            tid = f"task-{tid}"
        out[t] = tid
    return out


def profile_overrides(profile: str | None, setting: dict) -> list[str]:
    """The fields of ``setting`` (net, iterations, batch size, crop, lr) that differ from the named
    profile's (:data:`benchmark.config.PROFILES`): a config file that names ``profile: standard``
    and sets its own net and iterations runs no standard profile. [] for an unknown profile."""
    if not profile:
        return []
    from benchmark.config import PROFILES

    prof = PROFILES.get(profile)
    if prof is None:
        return []
    out = []
    for key in _PROFILE_FIELDS:
        if key not in setting or setting[key] is None:
            continue
        mine, theirs = setting[key], getattr(prof, key)
        same = math.isclose(float(mine), float(theirs), rel_tol=1e-9) if _finite(mine) and _finite(theirs) \
            else str(mine) == str(theirs)
        if not same:
            out.append(key)
    return out


def page_title(setting: dict | None = None, profile: str | None = None, tasks=()) -> str:
    """The page title: the benchmark, the profile, the tasks and the training setting that matters
    for reading it (net, iterations, batch × crop), e.g. ``plbench perceptual-loss benchmark —
    quick profile: denoise, sr4 — net tiny, 120 iterations, batch 8 × 48²``. A profile whose net,
    iterations, batch size, crop or lr the setting overrides (:func:`profile_overrides`) is not
    named: the head reads ``custom`` and the setting that was run follows."""
    setting = setting or {}
    head = ("custom" if profile_overrides(profile, setting) else f"{profile} profile") if profile else ""
    if tasks:
        head += (": " if head else "") + ", ".join(map(str, tasks))
    from benchmark.settings import schedule_parts

    bits = schedule_parts(setting)
    return " — ".join(x for x in (BENCHMARK, head, ", ".join(bits)) if x)


def _coverage_html(lines: list[str]) -> str:
    """Every coverage line of :attr:`Stats.coverage` folded into one ``<details>``: a one-line
    summary (which metrics are not fully scored, how many damaged runs are left out), the lines inside."""
    from benchmark.docmarkup import inline_html

    if not lines:
        return ""
    metrics = list(dict.fromkeys(m.group(1) for m in (re.match(r"`([^`]+)`", line) for line in lines) if m))
    other = sum(1 for line in lines if not re.match(r"`[^`]+`", line))
    bits = []
    if metrics:
        bits.append(f"{plural(len(metrics), 'metric')} not scored in every run "
                    f"({', '.join(metrics)})")
    if other:
        bits.append(f"{other} other note{agree(other, '', 's')} (damaged runs left out)")
    items = "".join(f"<li>{inline_html(line)}</li>" for line in lines)
    return (f'<details class="note coverage"><summary>Metric coverage: {html.escape("; ".join(bits))} — open for '
            f"the reasons</summary><ul>{items}</ul></details>")


def html_report(stats: Stats, figures: dict[str, list[Path]], title: str | None = None,
                findings: str | None = None) -> str:
    """``report.html``: one page, no external resources. Tabs: *Overview* (notes, ranking + cost
    table, Friedman/CD, the leaderboard figure (``leaderboard.png``, every part), rank heatmap, CD diagram,
    perception–distortion plane, training curves), one tab per task (``report.html#<task>``: sortable
    leaderboard with the Markdown table's columns and marks — seeds, CI, significance and circularity
    marks, ⚠, ``unconv.``, ``< input`` — per-metric point plot; visual comparison grid when available),
    *Findings* (``findings``: the HTML of :func:`benchmark.findings.to_html`, when given) and *Method* (the
    method docstrings, rendered by :mod:`benchmark.docmarkup`). Figures are embedded PNGs. ``title``: the
    page title (default :func:`page_title` of the tasks)."""
    from benchmark.docmarkup import bdi_html, inline_html, to_html

    tasks = report_tasks(stats)
    ids = task_tab_ids(tasks)
    title = title or page_title(tasks=tasks)
    tabs = [("overview", "Overview")] + [(ids[t], t) for t in tasks] + \
        ([("findings", "Findings")] if findings else []) + [("method", "Method")]
    nav = "".join(f'<button data-tab="{html.escape(tid)}">{html.escape(name)}</button>' for tid, name in tabs)
    fr = friedman_text(stats)
    notes_html = "".join(f'<p class="note">{inline_html(n)}</p>' for n in notes(stats, coverage=False))
    notes_html += _coverage_html(list(stats.coverage))

    def figs(*names):  # every part of a figure split into parts (metrics_sr4.png, metrics_sr4-2.png)
        return "".join(_img(p, figure_caption(n, (i, len(pngs))))
                       for n in names for pngs in [_pngs(figures.get(n))] for i, p in enumerate(pngs, 1))

    ranked = not stats.ranks.empty or bool(not_ranked(stats))
    sections = [f'<section class="tab" id="overview"><h2>Overall ranking</h2>{notes_html}'
                "<p>Mean rank over the (task, metric) blocks most losses have (1 = best; equal mean ranks listed "
                "by name). Mean ranks "
                "are descriptive: nothing is bold here (significance is tested cell by cell, in the task tables). "
                + re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(cost_columns())) + "</p>"
                f"{_rank_table(stats) if ranked else '<p>No ranked results.</p>'}"
                f"<p>{html.escape(fr)}</p>"
                + figs("leaderboard", "rank_heatmap", "cd_diagram", "pd_plane", "training_curves") + "</section>"]
    for t in tasks:
        sections.append(f'<section class="tab" id="{html.escape(ids[t])}"><h2>{html.escape(t)}</h2>'
                        f"{_task_table(stats, t)}" + figs(f"metrics_{t}", f"visual_{t}") + "</section>")
    if findings:
        sections.append('<section class="tab" id="findings"><h2>Published findings, checked on these results</h2>'
                        '<p class="note">Each claim is tested with paired comparisons on the same test images '
                        "(per-run scores paired by seed, the run-to-run and image levels in the CI, Holm over "
                        "the claim's parts). "
                        "Open a finding below for every part. Details: findings.md.</p>" + findings + "</section>")
    from benchmark import findings as findings_mod
    from benchmark import stats as stats_mod

    docs = [__doc__, stats_mod.__doc__] + ([findings_mod.__doc__] if findings else [])
    method = "".join(f'<div class="method">{to_html(d or "")}</div>' for d in docs)
    sections.append(f'<section class="tab" id="method"><h2>Method</h2>{method}</section>')
    known = stats.setting and stats.setting not in ("setting not recorded", "no results")
    setting = f"Setting: {html.escape(stats.setting)}. " if known else ""
    # a right-to-left loss name's runs in <bdi>: its number after it read as before it (docmarkup.bdi_html)
    return bdi_html("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"color-scheme\" content=\"light dark\">"
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
            f"<header><h1>{html.escape(title)}</h1><div>{setting}Cells: mean ± 95% CI half-width, or mean [low, "
            f"high] in a column where some CI is asymmetric; bold: the best and every loss not significantly worse "
            f"than another (Holm over each column's pairs, α = {stats.alpha} per column; only with enough runs); "
            f"{UP}/{DOWN} vs "
            f"{html.escape(stats.baseline)} ({html.escape(base_family_text(stats))}); † circular; {WORSE} some runs "
            f"worse than the degraded input. "
            + re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(TASK_COLUMNS))
            + f" Click a column header to sort.</div></header><nav>{nav}</nav>"
            f'<div id="js-errors" hidden></div><script>{ERROR_TRAP}</script>{"".join(sections)}'
            f"<script>{JS}</script></body></html>")
