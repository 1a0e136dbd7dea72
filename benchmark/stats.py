"""Statistics derived from the tidy results table: CIs, paired tests, ranks, circularity, cost.

Everything here is a pure function of the results table (and, for cost, of the runs' ``meta.json``
records). :func:`compute` returns one :class:`Stats` bundle that every export and figure reads.

Methods, per (task, metric) block:

* **Cell estimate**: mean over test images within a run, then mean over seeds (the leaderboard
  number); every cell of a (task, metric) column is over the same images — an image some loss's run
  has no finite score for is left out of the whole column (:func:`common_images`), as the paired
  tests leave it out of each pair; a run scored on fewer than half the images its column scored is a
  missing run of the column instead (:func:`sparse_runs`).
  **95% CI**: a two-level percentile bootstrap that resamples test images (shared by all
  losses of the block: common random numbers) and, per loss, its seeds; seeded from a hash of
  (task, metric), so it is reproducible and independent of table order. Vectorised: counts of a
  multinomial resample times the value matrix, no Python loop over resamples. Widened where it is
  narrower than Student's t with both levels (:func:`t_interval`): a percentile bootstrap over 5
  seeds held the true mean in ≈ 84 % of simulations where the run-to-run spread dominates.
* **Paired tests**: the training run is the unit (:mod:`benchmark.runstats`). Two losses are
  compared by their per-run scores (mean over the test images), paired by seed, with a standard
  error that has the run-to-run and the image level in it and Student's t. *vs baseline* (default
  ``l1``): Holm correction over the family of every (task, metric, loss) of the table — one
  leaderboard shows every task, so a ▲/▼ anywhere in it is held to α (Holm per task let null
  tables of several tasks show some ▲/▼ more often than α: ``tests/test_probe_stats2.py``). **Top group**: every
  pair of the block's losses is tested, Holm over those pairs; a loss tested against some other is
  in it unless it is significantly worse than one (``p_best_adj``: the smallest adjusted p of the
  pairs it trails) — the best by mean included, and a loss ahead of it on the shared seeds too.
  Testing each loss against the observed best instead — chosen after looking — cast a loss
  out in ≈ 10 % of blocks of 10 equal losses at α = 5 % (``tests/test_probe_stats.py``). A pair
  with fewer than :data:`benchmark.runstats.MIN_RUNS` paired runs is not tested (p NaN): never
  bold, never ▲/▼; every cell says how many runs it rests on (``n_seeds``).
* **Ranks**: average ranks of the restorations (not the ``input`` row) within each block;
  aggregated per loss as mean ± sd (and min/max) over blocks, with and without circular cells;
  a Friedman test over the blocks complete for every loss, with a critical difference of mean
  ranks. Every block scores the same runs, so the blocks are no independent replicates (Friedman's
  asymptotic p and Nemenyi's CD called a difference in nearly every null grid whose metrics share
  their runs): runs are ranked within their seed, and p and the CD come from relabelling each
  seed's runs among the losses (:func:`friedman_nemenyi`).
* **Circularity**: a loss trained on (a near copy of) the metric that scores it; see
  :data:`CIRCULAR`. Weighted-sum specs inherit the flags of every term.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import logging
import math
import re
import warnings
import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from benchmark.docmarkup import agree, plural

# re-exported for reports; holm/map_unique/weights_*/loss_label/version_suffix live in runstats, below convergence (no
# import cycle: convergence's lines label an arm as the boards do)
from benchmark.runstats import (  # noqa: F401
    MIN_RUNS,
    NO_SPREAD,
    compare_runs,
    finite_values,
    holm,
    loss_label,
    map_unique,
    version_suffix,
    weights_kind,
    weights_seed,
    within_rounding,
    without_each_run,
)

log = logging.getLogger(__name__)

#: loss name pattern → metric name patterns it is (near-)identical to
CIRCULAR: dict[str, tuple[str, ...]] = {
    "l2": ("psnr*",),
    "ssim": ("ssim*", "ms_ssim*"),
    "ms_ssim": ("ms_ssim*", "ssim*"),
    "ms_ssim_l1": ("ms_ssim*", "ssim*"),  # as its MS-SSIM term (a weighted sum inherits the same)
    "lpips*": ("lpips*",),
    "dists": ("dists*",),
    "contrique": ("contrique_fr*",),
}
INPUT = "input"


def metric_order(metrics) -> list[str]:
    """Common full-reference metrics first, in a fixed order, then the rest in name order, a number in a name read as
    a number (:func:`name_key`, the losses' order): ``m2`` before ``m10``, where string order put ``m10`` first."""
    preferred = ["psnr", "ssim", "ms_ssim", "lpips", "dists", "vsi", "fsim", "gmsd", "nlpd", "vif", "mad", "niqe",
                 "musiq"]
    return [m for m in preferred if m in metrics] + sorted((m for m in metrics if m not in preferred), key=name_key)


def loss_terms(spec: str) -> list[str]:
    """Names of the terms of a (weighted-sum) loss spec: ``'0.84*ms_ssim + 0.16*l1'`` → both, ``'0.5*(l1 + pdl)'``
    → ``['l1', 'pdl']``: the registry's grammar read without the registry
    (:func:`benchmark.specgrammar.term_names`); ``[]`` for a spec outside it."""
    from benchmark.specgrammar import term_names

    return term_names(spec) or []


def is_circular(loss: str, metric: str, circular: dict[str, tuple[str, ...]] = CIRCULAR) -> bool:
    """True when ``loss`` (or any term of it) is trained on ``metric`` or a near-identical one."""
    for name in loss_terms(loss):
        for pat, metrics in circular.items():
            if fnmatch.fnmatch(name, pat) and any(fnmatch.fnmatch(metric, m) for m in metrics):
                return True
    return False


def wilcoxon_p(d: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p for paired differences ``d`` (NaNs dropped); 1 if all zero."""
    return float(wilcoxon_rows(np.asarray(d, float)[None])[0])


def wilcoxon_rows(d: np.ndarray) -> np.ndarray:
    """Two-sided Wilcoxon signed-rank p per row of paired differences ``d`` (R, n).

    Zero differences are dropped (Wilcoxon's method), as are NaNs; a row with no non-zero
    difference gets p = 1. Complete rows are tested in one vectorised scipy call."""
    from scipy.stats import wilcoxon

    d = np.array(d, dtype=float, copy=True)
    if d.size == 0:
        return np.ones(d.shape[0])
    scale = np.nanmax(np.abs(d), axis=1, keepdims=True, initial=0.0)
    d[np.abs(d) <= 1e-12 * np.maximum(scale, 1.0)] = 0.0
    out = np.ones(d.shape[0])
    nonzero = np.nansum(d != 0, axis=1) > 0
    complete = ~np.isnan(d).any(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = np.flatnonzero(nonzero & complete)
        if rows.size:
            out[rows] = wilcoxon(d[rows], axis=1).pvalue
        for r in np.flatnonzero(nonzero & ~complete):
            x = d[r][~np.isnan(d[r])]
            x = x[x != 0]
            out[r] = wilcoxon(x).pvalue if x.size else 1.0
    return out


def min_attainable_p(n: int) -> float:
    """Smallest two-sided exact Wilcoxon p with n paired samples."""
    return min(1.0, 2.0 / 2 ** n) if n > 0 else 1.0


# --------------------------------------------------------------------------------------------
@dataclass
class Block:
    """One (task, metric): values as an array (label, seed, image) with NaN where missing."""

    task: str
    metric: str
    higher: bool
    labels: list[str]
    losses: list[str]
    seeds: np.ndarray
    items: list[str]
    values: np.ndarray  # (L, S, I)

    @property
    def per_image(self) -> np.ndarray:
        """(L, I): per-image values averaged over each label's seeds."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(self.values, axis=1)

    @property
    def means(self) -> np.ndarray:
        """(L,): mean over images within each run, then over seeds."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(np.nanmean(self.values, axis=2), axis=1)


def term_versions(versions) -> dict[str, set[str]]:
    """``{loss term: its versions}`` among ``versions`` (``"l1=1,my_loss=1+ab"`` strings, as a row's
    ``loss_version``, or ``{term: version}`` dicts, as a meta's ``loss_versions``)."""
    seen: dict[str, set[str]] = {}
    for v in versions:
        items = v.items() if isinstance(v, dict) else (t.partition("=")[::2] for t in str(v or "").split(",") if t)
        for name, tv in items:
            seen.setdefault(str(name), set()).add(str(tv))
    return seen


def moved_terms(versions) -> set[str]:
    """The loss terms held at several versions among ``versions`` (:func:`term_versions`): an edited loss
    file's name."""
    return {n for n, vs in term_versions(versions).items() if len(vs) > 1}


def run_label(loss: str, weights, versions: dict | None, scored: dict[str, set[str]]) -> str:
    """A run's label from its ``meta.json`` (a run without rows, a training curve): :func:`loss_label`, with
    its loss version appended where a term of it is at several versions among the runs with rows (``scored``,
    :func:`term_versions` of theirs) and its own: a scored run as :func:`labels` labels its rows, a diverged
    or failed one as :func:`cost_table` counts it."""
    label = loss_label(loss, weights)
    versions = versions if isinstance(versions, dict) else {}
    if any(len(scored.get(str(k), set()) | {str(v)}) > 1 for k, v in versions.items()):
        ver = ",".join(f"{k}={v}" for k, v in sorted(versions.items()))
        label += version_suffix(ver)
    return label


@dataclass(frozen=True)
class VersionScope:
    """Which labels carry their loss version, decided over a whole table (:func:`version_scope`), so a
    part of it (one task's rows, as ``compare`` reads them) labels its rows as the whole table does."""

    #: {label without version: how many loss versions (``""`` one of them) its rows hold}
    per_label: dict
    #: {loss term: its versions} (:func:`term_versions` of the rows')
    terms: dict

    @property
    def moved(self) -> set[str]:
        """The terms held at several versions (:func:`moved_terms`)."""
        return {n for n, vs in self.terms.items() if len(vs) > 1}


def _base_labels(table: pd.DataFrame) -> pd.Series:
    """Each row's label without its version: the spec plus its weights kind."""
    if "weights_kind" in table.columns:
        kind = table["weights_kind"].astype("string")
        missing = kind.isna()
        if missing.any():
            kind = kind.where(~missing, map_unique(table["weights"], weights_kind).astype("string"))
    else:
        kind = map_unique(table["weights"], weights_kind).astype("string")
    kind = kind.fillna("none")
    loss = table["loss"].astype("string")
    return loss.where(kind.isin(["none", ""]), loss + " [" + kind + "]").astype(str)


def version_scope(table: pd.DataFrame) -> VersionScope:
    """What :func:`labels` of ``table`` decides versions by, to label a part of it alike (``scope``)."""
    if table.empty or "loss_version" not in table.columns:
        return VersionScope({}, {})
    ver = table["loss_version"].astype("string").fillna("")
    return VersionScope(ver.groupby(_base_labels(table)).nunique().to_dict(), term_versions(ver.unique()))


def labels(table: pd.DataFrame, scope: VersionScope | None = None) -> pd.Series:
    """Each row's loss identity: the spec plus its weights kind (never the per-run backbone seed);
    when one label holds runs of several registry versions of the loss, the version is appended
    (``pdl [vgg16:random] (v2)``) so different code is never pooled. ``scope``: decide which labels
    carry versions over a whole table (:func:`version_scope`) of which ``table`` is a part, not over
    ``table`` alone."""
    out = _base_labels(table)
    ver = _version_text(table)
    several = _versioned(ver, out, scope)
    if several.any():
        out = out.where(~several, out + map_unique(ver, version_suffix).astype(str))
    return out.astype(str)


def versioned(table: pd.DataFrame, scope: VersionScope | None = None) -> pd.Series:
    """The rows whose :func:`labels` carry their version (`` (v2)``), as a boolean Series: the same rule, from one
    computation of the labels without it (``findings.Results`` gives an arm its version exactly there)."""
    return _versioned(_version_text(table), _base_labels(table), scope)


def _version_text(table: pd.DataFrame) -> pd.Series | None:
    """Each row's ``loss_version`` as text ("" where none); None when the table has no such column."""
    return table["loss_version"].astype("string").fillna("") if "loss_version" in table.columns else None


def _versioned(ver: pd.Series | None, base: pd.Series, scope: VersionScope | None) -> pd.Series:
    """:func:`versioned` of a table whose rows' versions are ``ver`` (:func:`_version_text`) and labels without
    their version ``base``."""
    if ver is None:
        return pd.Series(False, index=base.index)
    n_versions = ver.groupby(base).transform("nunique")
    if scope is not None:  # the whole table's count where it knows the label
        n_versions = base.map(scope.per_label).fillna(n_versions).astype(int)
    several = (n_versions > 1) & (ver != "")
    # a term the table holds at several versions (an edited loss file: `my_loss` before and after)
    # marks every spec using it, `my_loss(w=0.5)` of the old text too, not only the term's own label
    moved = moved_terms(ver.unique()) if scope is None else scope.moved | moved_terms(ver.unique())
    if moved:
        several |= map_unique(ver, lambda v: any(t.partition("=")[0] in moved
                                                for t in str(v).split(",") if t)).astype(bool)
    return several.astype(bool)


_labels = labels


def nonfinite_lines(table: pd.DataFrame, blks: list | None = None, scope: VersionScope | None = None) -> list[str]:
    """One line for the report's notes when some scores are NaN or ±inf (left out by
    :func:`finite_values`): per (task, metric) the loss labels and how many image scores of theirs,
    of which kind; [] when every value is finite. ``blks``: the table's :func:`blocks` where already built."""
    if table.empty:
        return []
    v = pd.to_numeric(table["value"], errors="coerce").astype(float).to_numpy()
    bad = ~np.isfinite(v)
    if not bad.any():
        return []
    kind = np.where(np.isnan(v[bad]), "NaN", np.where(v[bad] > 0, "inf", "-inf"))
    # +inf where higher is better (PSNR of an output identical to its target), −inf where lower is: the best score
    # there is, not one the metric could not make (tests/test_probe_verdicts2_22.py)
    up = table["higher_is_better"].astype("boolean").fillna(True).to_numpy(bool)[bad] \
        if "higher_is_better" in table.columns else np.ones(int(bad.sum()), bool)
    best = np.isinf(v[bad]) & ((v[bad] > 0) == up)
    perfect = sorted({f"{a}/{b}" for a, b, ok in zip(table["task"].astype(str).to_numpy()[bad],
                                                      table["metric"].astype(str).to_numpy()[bad], best) if ok})
    t = pd.DataFrame({"task": table["task"].astype(str).to_numpy()[bad],
                      "metric": table["metric"].astype(str).to_numpy()[bad],
                      "label": labels(table, scope).to_numpy()[bad], "kind": kind,
                      "run": table["run_id"].astype(str).to_numpy()[bad], "seed": table["seed"].to_numpy()[bad]})
    # a run left out of a column as a missing run (its images stay: common_images), by sparse_runs' rule
    cov = run_coverage(table, scope).set_index(["task", "metric", "run"])
    kept = _common_counts(blocks(table, scope) if blks is None else blks)
    parts = []

    def whole_runs(h: pd.DataFrame, task: str, metric: str) -> str:
        gone = [r for r in h["run"].unique() if cov.at[(task, metric, r), "sparse"]]
        if not gone:
            return ""
        seed = pd.to_numeric(h.loc[h["run"].isin(gone), "seed"], errors="coerce").dropna()  # input: no seed
        seeds = [f"{x:g}" for x in sorted(set(seed))]
        which = f", seed{agree(len(seeds), '', 's')} {', '.join(seeds)}" if seeds else ""
        every = all(cov.at[(task, metric, r), "scored"] == 0 for r in gone)
        return (f"; {'every image' if every else 'more than half the images'} of {len(gone)} "
                f"run{agree(len(gone), '', 's')}{which}: "
                f"{agree(len(gone), 'that run is', 'those runs are')} left out of the column")

    # a column without one finite score (a metric that could score none of the outputs): named once, with the others
    # so, not every loss of it listed with every image (60 losses × 5 tasks made a wall of the notes)
    sizes = table.groupby([table["task"].astype(str), table["metric"].astype(str)], observed=True).size()
    empty, empty_kinds, with_input = [], set(), True
    for (task, metric), g in t.groupby(["task", "metric"], sort=True):
        if len(g) == sizes.get((task, metric), -1):
            empty.append(f"{task}/{metric}")
            empty_kinds |= set(g["kind"])
            with_input &= INPUT in set(g["label"])
            continue
        who = "; ".join(f"{label}: {len(h)} ({'/'.join(sorted(set(h['kind'])))}{whole_runs(h, task, metric)})"
                        for label, h in sorted(g.groupby("label", sort=False), key=lambda kv: name_key(kv[0])))
        n, k, unmatched = kept.get((task, metric), (None, None, False))
        on = (" (no image every run scored: each cell is over its own runs' images, each test over the images "
              "its pair shares)" if unmatched else
              f" (every loss on the {k} of {plural(n, 'image')})" if n is not None and k < n else "")
        parts.append(f"{task}/{metric}{on} — {who}")
    if empty:
        inp = ", the input's included" if with_input else ""
        parts.insert(0, f"{', '.join(empty)}: no finite score in any run ({'/'.join(sorted(empty_kinds))}){inp}: "
                        "an empty column")
    why = "the metric could not score those outputs" + (
        f"; but the best-side infinity of {', '.join(perfect)} (+inf where higher is better, −inf where lower is) is "
        "an output identical to its target, a perfect score, left out all the same" if perfect else "")
    return [f"Non-finite scores (NaN or ±inf: {why}) are left out "
            "of every mean, interval and test, as missing images, and so is each such image for every loss of "
            "its column, so every mean is over the same images"
            + (" (except where said)" if any(u for _, _, u in kept.values()) else "") + ": " + "; ".join(parts) + "."]


def run_coverage(table: pd.DataFrame, scope: VersionScope | None = None) -> pd.DataFrame:
    """One row per (task, metric, run) of ``table``: ``label``, ``seed``, ``rows`` (its images with a row),
    ``scored`` (with a finite score), ``images`` (the column's images some run of a restored loss scored)
    and ``sparse`` (:func:`left_out`, the rule of :func:`sparse_runs`: no finite score, or fewer than half
    of ``images``) — what the notes on runs left out of a column say, by the rule that leaves them out."""
    v = pd.to_numeric(table["value"], errors="coerce").astype(float).to_numpy()
    t = pd.DataFrame({"task": table["task"].astype(str).to_numpy(), "metric": table["metric"].astype(str).to_numpy(),
                      "item": (table["dataset"].astype(str) + "/" + table["image"].astype(str)).to_numpy(),
                      "run": table["run_id"].astype(str).to_numpy(), "label": labels(table, scope).to_numpy(),
                      "seed": pd.to_numeric(table["seed"], errors="coerce").to_numpy(), "ok": np.isfinite(v)})
    n_items = t[t["ok"] & (table["loss"].astype(str).to_numpy() != INPUT)].groupby(["task", "metric"])["item"].nunique()
    # one row per (run, image), as blocks() averages duplicates: scored when some row of it is finite
    t = t.groupby(["task", "metric", "run", "item"], sort=False).agg(label=("label", "first"),
                                                                     seed=("seed", "first"), ok=("ok", "any"))
    out = t.groupby(level=[0, 1, 2]).agg(label=("label", "first"), seed=("seed", "first"),
                                         rows=("ok", "size"), scored=("ok", "sum")).reset_index()
    out["images"] = [int(n_items.get((a, b), 0)) for a, b in zip(out["task"], out["metric"])]
    out["sparse"] = left_out(out["scored"].to_numpy(), out["images"].to_numpy())
    return out


def sparse_lines(table: pd.DataFrame, scope: VersionScope | None = None) -> list[str]:
    """One line for the report's notes naming each run :func:`sparse_runs` leaves out of a (task, metric)
    column because it has rows for fewer than half the images its column scored (its other rows absent,
    not non-finite: a run with a non-finite score is named by :func:`nonfinite_lines`); [] when there is
    none. Without it such a run vanished from its cell without a word."""
    if table.empty:
        return []
    v = pd.to_numeric(table["value"], errors="coerce").astype(float).to_numpy()
    if np.isfinite(v).all():  # then a run is sparse only by its rows: counted on the columns as they are
        sizes = table.groupby([table["task"], table["metric"], table["run_id"]], observed=True).size()
        images = table.groupby([table["task"], table["metric"], table["dataset"], table["image"]],
                               observed=True).size().groupby(level=[0, 1]).size()
        if (2 * sizes >= images.reindex(sizes.index.droplevel(2)).to_numpy()).all():
            return []
    cov = run_coverage(table, scope)
    few = cov[cov["sparse"] & (cov["scored"] > 0) & (cov["rows"] == cov["scored"])]
    if few.empty:
        return []
    parts = []
    for (task, metric), g in few.groupby(["task", "metric"], sort=True):
        parts.append(f"{task}/{metric} — " + "; ".join(
            f"{r.label}{'' if np.isnan(r.seed) else f' seed {r.seed:g}'}: "
            f"{int(r.scored)} of {plural(int(r.images), 'image')}"
            for r in g.sort_values(["label", "seed"]).itertuples(index=False)))
    return ["Runs scored on fewer than half their column's images (the rows of the others are missing) are left "
            "out of that column as missing runs, so one partly scored run does not cut every cell to its images: "
            + "; ".join(parts) + "."]


def _common_counts(blks: list["Block"]) -> dict[tuple[str, str], tuple[int, int, bool]]:
    """{(task, metric): (test images, images left in every cell by :func:`common_images`, unmatched)};
    ``unmatched``: no image every run scored, so :func:`common_images` left the column as it was and its
    cells are not over the same images."""
    out = {}
    for b in blks:
        gap = _image_gaps(b.values, [l == INPUT for l in b.labels])
        out[(b.task, b.metric)] = (len(b.items), int((~np.isnan(b.values).all(axis=(0, 1))).sum()),
                                   bool(gap.size and gap.all()))
    return out


def blocks(table: pd.DataFrame, scope: VersionScope | None = None) -> list[Block]:
    """Split the tidy table into (task, metric) arrays; duplicate rows are averaged; non-finite
    values are missing (:func:`finite_values`); a metric whose rows disagree on its direction is refused, as a
    store's table is (:func:`benchmark.results.one_direction`), never judged by its first row."""
    if table.empty:
        return []
    from benchmark.results import one_direction

    table = finite_values(one_direction(table))
    t = pd.DataFrame({
        "task": table["task"].astype(str), "metric": table["metric"].astype(str),
        "label": _labels(table, scope), "loss": table["loss"].astype(str),
        "seed": table["seed"].fillna(-1).astype("int64").to_numpy(),
        "item": (table["dataset"].astype(str) + "/" + table["image"].astype(str)),
        "value": table["value"].astype(float).to_numpy(),
        "higher": table["higher_is_better"].fillna(True).astype(bool).to_numpy(),
    })
    out = []
    for (task, metric), g in t.groupby(["task", "metric"], sort=True):
        lcode, labels = pd.factorize(g["label"], sort=True)
        scode, seeds = pd.factorize(g["seed"], sort=True)
        icode, items = pd.factorize(g["item"], sort=True)
        L, S, I = len(labels), len(seeds), len(items)
        flat = (lcode * S + scode) * I + icode
        sums = np.bincount(flat, weights=g["value"].to_numpy(), minlength=L * S * I)
        counts = np.bincount(flat, minlength=L * S * I)
        with np.errstate(invalid="ignore", divide="ignore"):
            vals = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan).reshape(L, S, I)
        loss_of = _per_run(g["label"], g["loss"])
        out.append(Block(task, metric, bool(g["higher"].iloc[0]), list(labels),
                         [loss_of[l] for l in labels], np.asarray(seeds), list(items),
                         common_images(vals, [l == INPUT for l in labels])))
    return out


def common_images(values: np.ndarray, is_input=None) -> np.ndarray:
    """(L, S, I) values with every image left out (NaN) that some run of a restored loss has no score for
    (a non-finite score, :func:`finite_values`), so every cell of a column — its mean, rank, interval —
    is over the same images, as the paired tests are (a loss whose metric fails on its hardest image
    would otherwise rank on easier ones). A run scored on fewer than half the images (:func:`sparse_runs`;
    none at all included) is a missing run of the column instead, so one nearly failed run cannot cut every
    cell to its few images; ``is_input``: (L,) bools, the degraded input's row, which takes the mask but
    does not set it. The values themselves when no image is left, or none would remain."""
    v = np.asarray(values, float)
    sparse = sparse_runs(v, is_input)
    if sparse.any():
        v = v.copy()
        v[sparse] = np.nan
    gap = _image_gaps(v, is_input)
    if not gap.any() or gap.all():
        return v
    out = v.copy()
    out[:, :, gap] = np.nan
    return out


def sparse_runs(values: np.ndarray, is_input=None) -> np.ndarray:
    """(L, S) bools: the runs with some score in the (L, S, I) column but finite on fewer than half the
    images some run of a restored loss scored — left out of the column as missing runs
    (:func:`common_images`); ``is_input``: (L,) bools, the degraded input's row, judged by that count but
    not setting it."""
    v = np.asarray(values, float)
    ok = ~np.isnan(v)
    scored = ok.sum(axis=2)                                                               # (L, S)
    # against the images the column's restored runs scored: a metric undefined on the same images for
    # every run leaves the column over the rest, not every run out of it
    rows = np.ones(v.shape[0], bool) if is_input is None else ~np.asarray(is_input, bool)
    return (scored > 0) & left_out(scored, ok[rows].any(axis=(0, 1)).sum())


def left_out(scored, images):
    """The sparse-run rule, its one definition: a run with ``scored`` images of a (task, metric) column
    scored, where ``images`` is the number some run of a restored loss scored, is a missing run of that
    column when it scored none or fewer than half. Arrays (or scalars) of counts → bools, broadcast.
    Used by :func:`sparse_runs` (what the leaderboard leaves out) and :func:`run_coverage` (what the
    notes say was left out), so the two cannot drift apart."""
    scored = np.asarray(scored)
    return (scored == 0) | (2 * scored < np.asarray(images))


def _image_gaps(values: np.ndarray, is_input=None) -> np.ndarray:
    """(I,) bools: the images some present run of a restored loss has no score for (:func:`common_images`)."""
    v = np.asarray(values, float)
    rows = np.ones(v.shape[0], bool) if is_input is None else ~np.asarray(is_input, bool)
    r = v[rows]
    present = ~np.isnan(r).all(axis=2)                                                  # (L', S)
    return (np.isnan(r) & present[:, :, None]).any(axis=(0, 1))                         # (I,)


def bootstrap_ci(block: Block, n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> np.ndarray:
    """(L, 2) percentile CI of each label's cell estimate, resampling images and seeds."""
    v = block.values
    L, S, I = v.shape
    rng = np.random.default_rng([seed, zlib.crc32(f"{block.task}\0{block.metric}".encode())])
    ci_img = rng.multinomial(I, np.full(I, 1.0 / I), size=n_boot).astype(float)        # (B, I)
    mask = ~np.isnan(v)
    num = np.where(mask, v, 0.0).reshape(L * S, I) @ ci_img.T                           # (L*S, B)
    den = mask.reshape(L * S, I).astype(float) @ ci_img.T
    with np.errstate(invalid="ignore", divide="ignore"):
        run_mean = (num / den).reshape(L, S, n_boot)                                    # NaN: no image drawn
    has_seed = mask.any(axis=2)                                                          # (L, S)
    cs = np.zeros((L, S, n_boot))
    for l in range(L):
        idx = np.flatnonzero(has_seed[l])
        if idx.size:
            cs[l, idx, :] = rng.multinomial(idx.size, np.full(idx.size, 1.0 / idx.size), size=n_boot).T
    ok = ~np.isnan(run_mean)
    w = cs * ok
    with np.errstate(invalid="ignore", divide="ignore"):
        est = (np.where(ok, run_mean, 0.0) * w).sum(axis=1) / w.sum(axis=1)              # (L, B)
    alpha = (1 - level) / 2
    if not np.isnan(est).any():
        return np.quantile(est, [alpha, 1 - alpha], axis=1).T
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanquantile(est, [alpha, 1 - alpha], axis=1).T


# --------------------------------------------------------------------------------------------
@dataclass
class Stats:
    """Everything the report shows.

    ``cells``: one row per (task, label, metric): ``mean``, ``ci_low``, ``ci_high`` (cut at the metric's range by
    definition; ``ci_clipped`` True where cut), ``n_seeds``,
    ``n_images``, ``rank`` (NaN for input), ``best``, ``top_group``, ``p_best_adj`` (the smallest
    Holm-adjusted p, over every pair of the block, of a pair this loss trails; NaN when it trails none tested),
    ``p_base``/``p_base_adj``, ``diff_vs_base`` (the paired effect vs the baseline, positive = better) with
    its unadjusted 95 % CI ``diff_ci_low``/``diff_ci_high``, and ``vs_base`` (+1 significantly better than the
    baseline, -1
    worse, 0 not significant, NaN not tested), ``circular``, ``no_spread`` (the labels, "; "-joined, this loss
    could not be tested against in the block because every paired difference is the same: SE 0).
    ``ranks``: one row per label: mean/sd/min/max rank over all (task, metric) blocks and the mean
    over non-circular blocks. ``task_ranks``: label × task mean rank over that task's metrics.
    ``friedman``: the Friedman test and critical difference over complete blocks, the run as the
    unit (:func:`friedman_nemenyi`; or a reason it is absent).
    ``costs`` / ``task_costs``: per loss (and per task, loss): runs, ok, diverged, failed,
    median ms/iteration, max peak memory. ``setting``: the one setting the table holds (a line);
    ``coverage``: every metric skipped or scored on some images only, and why (lines).
    """

    cells: pd.DataFrame
    ranks: pd.DataFrame
    task_ranks: pd.DataFrame
    friedman: dict
    costs: pd.DataFrame
    task_costs: pd.DataFrame
    baseline: str
    alpha: float
    n_boot: int
    blocks: list[Block] = field(default_factory=list, repr=False)
    setting: str = ""                                     # one line: the setting the table holds
    #: per task, how it degrades (:meth:`benchmark.task.Task.convention`): "sr4: bicubic ×4 by …"
    tasks_convention: list[str] = field(default_factory=list)
    coverage: list[str] = field(default_factory=list)     # metrics skipped or partial, and why
    #: the board's first notes: the store's runs another process was training as it was written, then those stopped
    #: with a checkpoint (neither in its tables: :func:`benchmark.report.unfinished_lines`), then test images that are
    #: also training images (:func:`benchmark.data.overlap_lines`)
    in_flight: list[str] = field(default_factory=list)
    #: per (task, metric): Kendall τ of the ranking at ½ budget vs the end, and the number of losses
    #: (:func:`benchmark.convergence.budget_stability`)
    convergence: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: per (task, arm, metric): mean budget gain, bounds, margin, status (:func:`benchmark.convergence.arm_budget`)
    budget: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: iterations of the runs and of their budget checks (None: unknown or no checks)
    budget_iterations: tuple[int, int] | None = None
    #: per (task, label): runs whose restoration scores below the degraded input (:func:`worse_than_input`)
    worse: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: one line per loss whose rows hold several versions (:func:`versions_of`)
    versions: list[str] = field(default_factory=list)
    #: a line when some scores are NaN or ±inf, left out as missing (:func:`nonfinite_lines`)
    nonfinite: list[str] = field(default_factory=list)
    #: a line when some run has rows for fewer than half its column's images, left out (:func:`sparse_lines`)
    sparse: list[str] = field(default_factory=list)
    #: a line when some runs at half the setting's iterations — read as budget checks, in no table — have no run of
    #: their loss and seed at the full budget (:func:`unpaired_checks_text`)
    unpaired_checks: list[str] = field(default_factory=list)
    #: a line when some loss's seed is stored under several run ids, counted once (:func:`stored_twice_lines`)
    stored_twice: list[str] = field(default_factory=list)
    #: {(task, loss, weights kind, loss version): seeds} whose run diverged at the full budget while its budget check
    #: finished (:func:`_broke`): more budget broke them, so their arm is worse with more budget
    broke_with_budget: dict = field(default_factory=dict)
    #: every pair of losses the top group tested, per (task, metric) (:data:`PAIR_COLUMNS`, :func:`cell_table`):
    #: ``plbench compare``'s wins and losses read it, so they are the top group's own verdicts
    pairs: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PAIR_COLUMNS))
    #: {test set: its images} the restored runs were scored on (:func:`scored_test_sets`): with two or more, every
    #: cell's mean, interval and verdicts pool them, which the notes say
    test_sets: dict[str, int] = field(default_factory=dict)

    def higher(self) -> dict[str, bool]:
        return {b.metric: b.higher for b in self.blocks}

    def block(self, task: str, metric: str) -> Block | None:
        return next((b for b in self.blocks if b.task == task and b.metric == metric), None)


def t_interval(values: np.ndarray, center: float, level: float = 0.95) -> tuple[float, float]:
    """Student's t interval around ``center`` for the mean of one arm's (S runs, I images) values,
    with both levels in its standard error (:func:`benchmark.runstats.two_level_se`, on the runs
    present and the images every one of them has); (NaN, NaN) with fewer than 2 runs or no such image."""
    from scipy.special import stdtrit

    from benchmark.runstats import two_level_se

    v = np.asarray(values, float)
    v = v[~np.isnan(v).all(axis=1)]
    v = v[:, ~np.isnan(v).any(axis=0)] if len(v) else v
    if v.shape[0] < 2 or v.shape[1] == 0 or not np.isfinite(center):
        return math.nan, math.nan
    se, df = two_level_se(v)
    half = float(stdtrit(df, 0.5 + level / 2)) * se
    return center - half, center + half


#: columns of :attr:`Stats.pairs`
PAIR_COLUMNS = ["task", "metric", "a", "b", "effect", "ci_low", "ci_high", "p", "p_adj", "n_runs", "status",
                "no_spread", "same_scores"]


def is_baseline(cells: pd.DataFrame, baseline: str) -> pd.Series:
    """Bools: the rows of ``cells`` (a frame with ``loss`` and ``label``) that are ``baseline``'s — a loss spec
    (every row of it) or one row's label as the table prints it (``vgg [vgg16:random]``, ``my_loss (v2)``)."""
    if cells.empty:
        return pd.Series(False, index=cells.index, dtype=bool)
    out = cells["loss"].astype(str) == baseline
    if "label" in cells.columns:
        out = out | (cells["label"].astype(str) == baseline)
    return out & (cells["loss"].astype(str) != INPUT)


def cell_table(blks: list[Block], baseline: str = "l1", alpha: float = 0.05, n_boot: int = 1000,
               pairs_out: list | None = None) -> pd.DataFrame:
    """The per-cell statistics (see :class:`Stats`). ``pairs_out``: a list to which every pair the top
    group tested is appended, one dict of :data:`PAIR_COLUMNS` per pair (``effect`` and its 95 % CI ``ci_low``,
    ``ci_high`` signed so that positive = ``a`` better; ``p_adj`` Holm over the column's pairs, the top group's
    family). The cells' ``ci_low``/``ci_high`` are cut at the range the metric has by definition
    (:func:`benchmark.metric_ranges.metric_range`), ``ci_clipped`` True where one was."""
    from benchmark.metric_ranges import metric_range

    rows = []
    for b in blks:
        means = b.means
        ci = bootstrap_ci(b, n_boot)
        # never narrower than the two-level t interval: a percentile bootstrap over 5 seeds held the
        # true mean in ≈ 84 % of simulations where the run-to-run spread dominates, not 95 %
        for i in range(len(b.labels)):
            lo, hi = t_interval(b.values[i], means[i])
            if np.isfinite(lo):
                ci[i] = [np.fmin(ci[i, 0], lo), np.fmax(ci[i, 1], hi)]
        # cut at the range the metric has by definition (vsi ≤ 1): the true mean lies in it, so no coverage lost
        low, high = metric_range(b.metric)
        clipped = (ci[:, 0] < low) | (ci[:, 1] > high)
        ci = np.clip(ci, low, high)
        # a CI of float noise (every value of the arm the same, 0.9 throughout: [0.8999999999999997,
        # 0.9000000000000004]) is none, by the pair tests' rounding rule (runstats.within_rounding): its ends the
        # mean. Kept, it gave its column six decimals and every cell "0.900000 [0.900000, 0.900000]"
        # (tests/test_probe_report20.py)
        noise = within_rounding(ci[:, 1] - ci[:, 0], np.nanmax(np.abs(b.values), axis=(1, 2), initial=0.0))
        ci[noise] = means[noise, None]
        per_img = b.per_image
        sign = 1.0 if b.higher else -1.0
        restored = [i for i, l in enumerate(b.labels) if l != INPUT and not np.isnan(means[i])]
        rank = np.full(len(b.labels), np.nan)
        if restored:
            rank[restored] = pd.Series(_tie_key(-sign * means[restored])).rank(method="average").to_numpy()
        # every loss tied at the best mean (as ranked: to 12 significant digits), not the first of them by label
        # (tests/test_probe_verdictsfu14.py)
        best = {i for i in restored if rank[i] == np.nanmin(rank[restored])} if restored else set()
        flat = {i: [] for i in range(len(b.labels))}  # labels each one was not tested against: no spread (SE 0)
        # The top group: every pair of the block's losses is tested, Holm over those pairs, and a loss is
        # out only when it is significantly worse than some other loss. (Each loss against the observed
        # best — picked after looking — called a difference in ≈ 10 % of blocks of 10 equal losses at α = 5 %.)
        pairs, p_pair, tested_with, runs = [], [], np.zeros(len(b.labels), bool), []
        for x, i in enumerate(restored):
            for j in restored[x + 1:]:
                r = compare_runs(b.values[i], b.values[j], b.seeds, b.seeds, higher=b.higher)
                runs.append((i, j, r))
                if r.status == NO_SPREAD:
                    flat[i].append(b.labels[j])
                    flat[j].append(b.labels[i])
                # the one trailing in the pair (positive effect: i better); both when neither trails (a copy)
                pairs.append([j] if r.effect > 0 else [i] if r.effect < 0 else [i, j])
                p_pair.append(r.p)
                if r.tested:
                    tested_with[i] = tested_with[j] = True
        p_best_adj = np.full(len(b.labels), np.nan)  # per loss: the smallest adjusted p that it trails another
        p_adj = holm(np.array(p_pair, float))
        if pairs_out is not None:
            pairs_out += [{"task": b.task, "metric": b.metric, "a": b.labels[i], "b": b.labels[j], "effect": r.effect,
                           "ci_low": r.ci_low, "ci_high": r.ci_high,
                           "p": r.p, "p_adj": pa, "n_runs": r.n_runs, "status": r.status,
                           "no_spread": r.no_spread, "same_scores": r.same_scores}
                          for (i, j, r), pa in zip(runs, p_adj)]
        for trailing, pa in zip(pairs, p_adj):
            for w in trailing if np.isfinite(pa) else ():
                p_best_adj[w] = pa if np.isnan(p_best_adj[w]) else min(p_best_adj[w], pa)
        bold_by = out_of_bold_on_one_run(b, pairs, runs, np.array(p_pair, float), p_adj, alpha)
        # the baseline's row: its plain label where that is a row, else the first of its rows (two versions of a
        # loss file, two weights kinds), named by the notes (``base_label``, export.notes)
        base = next((i for i, l in enumerate(b.labels) if l == baseline and l != INPUT), None)
        if base is None:
            base = next((i for i, l in enumerate(b.labels) if b.losses[i] == baseline and l != INPUT), None)
        p_base_all = np.full(len(b.labels), np.nan)
        diff_all = np.full(len(b.labels), np.nan)
        diff_ci = np.full((len(b.labels), 2), np.nan)
        tested = [i for i in restored if base is not None and i != base]
        drops_all: dict[int, list] = {}
        for i in tested:
            r = compare_runs(b.values[i], b.values[base], b.seeds, b.seeds, higher=b.higher)
            p_base_all[i], diff_all[i], diff_ci[i] = r.p, r.effect, (r.ci_low, r.ci_high)
            if r.tested and r.p < alpha:  # a mark may stand (its Holm p ≥ its p): how it reads without each run
                drops_all[i] = without_each_run(b.values[i], b.values[base], b.seeds, b.seeds, higher=b.higher)
            if r.status == NO_SPREAD and b.labels[base] not in flat[i]:
                flat[i].append(b.labels[base])
        n_seeds = (~np.isnan(b.values)).any(axis=2).sum(axis=1)
        n_imgs = (~np.isnan(per_img)).sum(axis=1)
        for i, label in enumerate(b.labels):
            p_base, diff = p_base_all[i], diff_all[i]
            rows.append({"task": b.task, "label": label, "loss": b.losses[i], "metric": b.metric,
                         "higher_is_better": b.higher, "mean": means[i], "ci_low": ci[i, 0], "ci_high": ci[i, 1],
                         "ci_clipped": bool(clipped[i]),
                         "n_seeds": int(n_seeds[i]), "n_images": int(n_imgs[i]), "rank": rank[i],
                         "best": i in best,
                         # tested against some loss and never shown worse than one (the best by mean included)
                         "top_group": bool(tested_with[i]) and not p_best_adj[i] < alpha,
                         "p_best_adj": p_best_adj[i], "p_base": p_base, "diff_vs_base": diff,
                         "base_label": b.labels[base] if base is not None else None,
                         "diff_ci_low": diff_ci[i, 0], "diff_ci_high": diff_ci[i, 1],
                         "circular": label != INPUT and is_circular(b.losses[i], b.metric),
                         "no_spread": "; ".join(flat[i]), "_drops": drops_all.get(i, []),
                         "_pair": (b, i, base) if i in tested else None,
                         "bold_decided_by": seeds_cell(bold_by[i][0]) if i in bold_by else None,
                         "bold_p_without": bold_by[i][1] if i in bold_by else np.nan})
    cells = pd.DataFrame(rows)
    if cells.empty:
        return cells
    # Holm family: every (task, metric, loss) comparison with the baseline in the table — the family the
    # reader sees, since one leaderboard shows every task (per task, null tables of several tasks showed
    # some ▲/▼ more often than α: tests/test_probe_stats2.py)
    cells["p_base_adj"] = holm(cells["p_base"].to_numpy())
    sig = cells["p_base_adj"] < alpha
    cells["vs_base"] = np.where(cells["p_base_adj"].isna(), np.nan,
                                np.where(sig, np.sign(cells["diff_vs_base"]), 0.0))
    cells.loc[cells["label"] == INPUT, "top_group"] = False
    one_run_decides(cells, alpha)
    return cells


def one_run_decides(cells: pd.DataFrame, alpha: float) -> None:
    """Leave one run out of each ▲/▼ (in place): ``decided_by``, every seed (``0; 3``) whose runs — left out of the
    cell's paired test against the baseline (its ``_drops``: :func:`benchmark.runstats.without_each_run`) and of every
    other test of the table's family they are in, its task's (its ``_pair``: (block, loss, baseline) row indices, each
    left out of lazily, :func:`decider`) — leave its Holm p at or above ``alpha`` or its effect on the other side
    (None where no one run
    decides the mark), and ``p_without`` the largest such Holm p; ``_drops`` and ``_pair`` are dropped.
    5 paired seeds at p_holm = 0.024 were a plain ▼ though leaving out any of four seeds' runs leaves p ≥ 0.07: a re-run
    of one seed could take the mark away (tests/test_probe_verdicts17.py)."""
    cells["decided_by"], cells["p_without"] = pd.Series([None] * len(cells), index=cells.index, dtype=object), np.nan
    ps = cells["p_base"].to_numpy(float)
    drops, pairs = list(cells["_drops"]), list(cells["_pair"]) if "_pair" in cells.columns else [None] * len(cells)

    def family_drops(m: int):
        if drops[m] or pairs[m] is None:
            return drops[m]
        b, i, base = pairs[m]
        drops[m] = without_each_run(b.values[i], b.values[base], b.seeds, b.seeds, higher=b.higher)
        return drops[m]

    tasks = cells["task"].astype(str).to_numpy()
    for k in np.flatnonzero(cells["vs_base"].isin([1.0, -1.0]).to_numpy()):
        # the runs left out (the loss's and the baseline's of one seed on k's task) are in every test of that task
        # (each against the baseline), in none of another task's (other runs, whatever their seed)
        def shared(m: int, task=tasks[k]):
            return family_drops(m) if tasks[m] == task else None

        if (worst := decider(drops[k], ps, k, float(cells["vs_base"].iat[k]), alpha, shared)) is not None:
            cells.iloc[k, cells.columns.get_loc("decided_by")] = seeds_cell(worst[0])
            cells.iloc[k, cells.columns.get_loc("p_without")] = worst[1]
    # in place, as the caller reads it (DataFrame.drop(inplace=True) warns in pandas 3)
    del cells["_drops"]
    if "_pair" in cells.columns:
        del cells["_pair"]


def out_of_bold_on_one_run(b: "Block", pairs: list[list[int]], runs: list, p_pair: np.ndarray, p_adj: np.ndarray,
                           alpha: float) -> dict[int, tuple[tuple[int, ...], float]]:
    """{loss index: (seeds, max p)} of a column's losses out of bold (significantly worse than another,
    :func:`cell_table`) that one run keeps out: leaving that seed's runs out of every pair of the column
    (:func:`benchmark.runstats.without_each_run`), Holm over the column's pairs leaves none of those the loss
    significantly trails significant (or the loss no longer trailing), nor any other pair of it significant with it
    trailing there — every such seed, and the largest over them of the smallest Holm p left (:func:`decider`'s
    reading). A loss left plain
    on 5 paired seeds at p_holm = 0.024, any of four seeds' runs left out p ≥ 0.07, read as firmly out of the top
    group (tests/test_probe_verdicts17.py)."""
    out: dict[int, tuple[tuple[int, ...], float]] = {}
    cache: dict[int, dict[int, tuple[float, bool, float]]] = {}

    def drops(k: int) -> dict[int, tuple[float, bool, float]]:  # {seed: (p, no longer trailing, effect)} without it
        if k not in cache:
            i, j, r = runs[k]  # r.effect > 0: i better (w, trailing, is j)
            cache[k] = {int(seed): (p, effect * r.effect <= 0, effect) for seed, p, effect in
                        without_each_run(b.values[i], b.values[j], b.seeds, b.seeds, higher=b.higher)}
        return cache[k]

    def trails(w: int, k: int, seed: int) -> bool:  # w the worse of pair k with that seed's runs left out
        i, j, r = runs[k]
        effect = drops(k).get(seed, (math.nan, False, r.effect))[2]
        return (w == j and effect > 0) or (w == i and effect < 0)

    tested = np.isfinite(p_pair)
    for w in sorted({w for t, pa in zip(pairs, p_adj) if pa < alpha for w in t}):
        ks = [k for k, (t, pa) in enumerate(zip(pairs, p_adj)) if w in t and pa < alpha]
        # the pair it trails most clearly first: a seed that does not free it — even with every other pair's p at 1,
        # Holm's most lenient (its adjusted p only grows with another's) — frees none (most excluded losses cost
        # that one pair's leave-one-out alone)
        first = min(ks, key=lambda k: p_pair[k])
        # the runs left out (w's and each rival's of one seed) are in every pair of w or of a rival it trails
        losers = {w} | {x for k in ks for x in runs[k][:2]}
        shares = np.array([bool({i, j} & losers) for i, j, _ in runs], bool)
        q = np.where(tested, 1.0, np.nan)
        candidates = []
        for seed, (p, turned, _) in drops(first).items():
            q[first] = p
            if math.isfinite(p) and (turned or holm(q)[first] >= alpha):
                candidates.append(seed)
        seeds, worst = [], -math.inf
        for seed in candidates:
            # every pair of the column those runs are in, without them — as a re-run without that seed tests them (a
            # pair's p kept where it lacks the seed): the other pairs held at their full-run p's misread it
            # (tests/test_probe_verdicts19.py)
            q = p_pair.copy()
            for k in np.flatnonzero(tested & shares):
                q[k] = drops(int(k)).get(seed, (q[k], False))[0]
            if not all(math.isfinite(q[k]) for k in ks):
                continue
            adj = holm(q)
            # and no other pair of w's significant with w behind: a loss that, without the seed, trails another it
            # did not is still out of bold — that seed frees nothing (tests/test_review_verdicts19.py)
            others = [k for k in np.flatnonzero(tested & shares) if w in runs[k][:2] and k not in ks]
            if (all(adj[k] >= alpha or drops(k).get(seed, (math.nan, False))[1] for k in ks)
                    and not any(adj[k] < alpha and trails(w, int(k), seed) for k in others)):
                seeds.append(int(seed))
                worst = max(worst, min(float(adj[k]) for k in ks))
        if seeds:
            out[w] = (tuple(sorted(seeds)), worst)
    return out


def decider(drops, family_p: np.ndarray, k: int, direction: float, alpha: float,
            family_drops=None) -> tuple[tuple[int, ...], float] | None:
    """``(seeds, max Holm p)`` of the runs that decide test ``k`` of a Holm family (``family_p``, the raw p's): of its
    ``drops`` (:func:`benchmark.runstats.without_each_run`), **every** seed whose runs left out leave its p,
    Holm-adjusted over the family without that seed, at or above ``alpha`` — or its effect no longer on the side of
    ``direction`` (+1: positive) — with the largest such Holm p; None when no one run does. Several seeds are the rule
    with few runs (a marginal result, not one odd run): naming one of them would mislead (:func:`fragile_text`).

    ``family_drops(m)``: member ``m``'s own ``drops`` (or ``{seed: p}``; None or [] where it has none), asked only where
    the family can decide: the whole family is re-tested without the seed — a seed's runs are in every comparison of
    its loss's and its baseline's, so a re-run of that seed moves the others' p's too — with a member's p kept where
    it lacks that seed (a result held by the other members' p's at their full-run values read 'not fragile' where
    the family without the seed, as a re-run without it tests it, leaves it ≥ α: tests/test_probe_verdicts19.py).
    None: the other members' p's held as they are (a family of one, or a caller with no runs for them)."""
    p0 = np.array(family_p, float)
    members: list[dict] | None = None
    seeds, worst = [], -math.inf
    for seed, p_drop, effect in drops:
        if not math.isfinite(p_drop):
            continue
        turned = effect * direction <= 0
        if family_drops is not None and not turned:
            # Holm's adjusted p only grows with any other raw p: with the others at 1 it is the largest any family
            # without the seed can give it — still below α, the seed decides nothing (the others not re-tested)
            q = np.where(np.isnan(p0), np.nan, 1.0)
            q[k] = p_drop
            if holm(q)[k] < alpha:
                continue
        q = p0.copy()
        if family_drops is not None:
            if members is None:
                members = [_as_drops(family_drops(m)) if m != k and math.isfinite(p0[m]) else {}
                           for m in range(len(p0))]
            for m, got in enumerate(members):
                q[m] = got.get(int(seed), q[m])
        q[k] = p_drop
        adj = float(holm(q)[k])
        if adj >= alpha or turned:
            seeds.append(int(seed))
            worst = max(worst, adj)
    return (tuple(sorted(seeds)), worst) if seeds else None


def _as_drops(got) -> dict[int, float]:
    """``{seed: p}`` of a member's ``drops`` (:func:`benchmark.runstats.without_each_run`'s list, or such a dict)."""
    if not got:
        return {}
    if isinstance(got, dict):
        return {int(s): float(p) for s, p in got.items()}
    return {int(s): float(p) for s, p, *_ in got}


#: what each "fragile" note says: the findings' parts, the leaderboard's ▲/▼ and bold, ``plbench compare``'s wins and
#: losses (:func:`fragile_text`)
FRAGILE = "fragile: leaving out one seed's runs makes it non-significant"


def fragile_seeds(seeds) -> str:
    """``seed 3`` or ``any of seeds 0, 1, 3, 4``: the seeds :func:`decider` found, as :func:`fragile_text` names
    them; also the CSV columns' value (``0; 1; 3; 4``) read back."""
    seeds = _seed_list(seeds)
    return f"{agree(len(seeds), 'seed', 'any of seeds')} {', '.join(map(str, seeds))}"


def _seed_list(seeds) -> list[int]:
    """The seeds of :func:`fragile_seeds`, sorted: a list, or the CSV cell (``0; 1; 3``) read back, blanks left out."""
    if isinstance(seeds, str):
        seeds = [int(float(x)) for x in seeds.split(";") if x.strip()]
    return sorted(int(s) for s in seeds)


def fragile_text(seeds, p: float | None = None, p_name: str = "p_holm", alpha: float = 0.05) -> str:
    """The parenthesis every fragile result is named with: ``seed 3: p_holm = 0.081`` or ``any of seeds 0, 1, 3, 4:
    max p_holm = 0.12`` (``p`` None: the seeds alone) — one seed's runs left out undo it, and where several seeds do,
    all are named and the largest p given (a marginal result on few runs, not one odd run; tests/
    test_review_verdicts17.py). ``p`` as every p is printed (:func:`p_text`, on its side of ``alpha``): its own
    ``.2g`` wrote a p_holm of 0.0496 (an effect turned) '= 0.05' and one below the float floor '= 1e-18'
    (tests/test_review_verdicts18.py)."""
    n = len(_seed_list(seeds))
    if p is None or not math.isfinite(p):
        return fragile_seeds(seeds)
    return f"{fragile_seeds(seeds)}: {agree(n, '', 'max ')}{p_name} {p_text(p, alpha)}"


def seeds_cell(seeds) -> str:
    """The CSV cell of :func:`decider`'s seeds: ``0; 1; 3; 4``."""
    return "; ".join(str(int(s)) for s in sorted(seeds))


def pair_decided_by(stats: "Stats", task: str, metric: str, a: str, b: str) -> tuple[tuple[int, ...], float] | None:
    """:func:`decider` of the significant pair (a, b) of the (task, metric) column (:attr:`Stats.pairs`, Holm over
    the column's pairs): ``plbench compare``'s wins and losses of a new loss, one run of which may decide
    (tests/test_probe_verdicts17.py); None when no one run does, or the pair is not significant."""
    pairs = stats.pairs
    col = pairs[(pairs["task"] == task) & (pairs["metric"] == metric)].reset_index(drop=True)
    at = np.flatnonzero(((col["a"] == a) & (col["b"] == b)).to_numpy())
    blk = stats.block(task, metric)
    if not at.size or blk is None or not col["p_adj"].iat[at[0]] < stats.alpha:
        return None
    def drops(m: int) -> list | None:  # pair m of the column with each seed's runs left out, where it has a or b's
        if not {col["a"].iat[m], col["b"].iat[m]} & {a, b}:
            return None
        i, j = blk.labels.index(col["a"].iat[m]), blk.labels.index(col["b"].iat[m])
        return without_each_run(blk.values[i], blk.values[j], blk.seeds, blk.seeds, higher=blk.higher)

    k = int(at[0])
    # the column's other pairs of a or b re-tested without the seed too, as the leaderboard's bold reads them
    return decider(drops(k), col["p"].to_numpy(float), k, float(np.sign(col["effect"].iat[k])), stats.alpha, drops)


#: the smallest p-value printed as a number; below it (down to a p that underflowed to 0) "< 1e-16"
P_FLOOR = 1e-16


def p_text(p, alpha: float = 0.05) -> str:
    """A p-value with its relation, for ``p …``: ``= 0.034``, ``= 2.1e-05``, ``< 1e-16`` (never
    ``= 0``: a p that underflowed is tiny, not zero); ``= –`` when there is none. Two significant digits, up to four
    where two would put it on the other side of ``alpha`` (the verdicts' α): a significant p_holm of 0.0496 read
    ``= 0.05`` beside 'significantly better' at α = 0.05, as a p of 0.0504 that is not (tests/test_probe_verdicts18.py);
    now ``= 0.0496``. Where four do not, the bound between the p and α in the fewest digits: ``< 0.05`` for a p a hair
    under α = 0.05 (the digits that kept ``=`` on its side ran to 17, ``= 0.049999999999999996``), ``≥ 0.0123`` for
    one a hair above α = 0.0123 (tests/test_probe_verdicts19.py)."""
    try:
        x = float(p) if p is not None else math.nan
    except (TypeError, ValueError):
        x = math.nan
    if not math.isfinite(x):
        return "= –"
    if x < P_FLOOR:
        return f"< {P_FLOOR:.0e}"
    for digits in (2, 3, 4):
        if (x < alpha) == (float(f"{x:.{digits}g}") < alpha):
            return f"= {x:.{digits}g}"
    return _alpha_bound(x, alpha)


def _alpha_bound(x: float, alpha: float) -> str:
    """``< u`` (x < α) or ``≥ u`` (x ≥ α) with u the number of the fewest significant digits between x and α
    (x < u ≤ α, or α ≤ u ≤ x, as floats): α cut down, or rounded up, to those digits; α itself where none is."""
    from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

    below, da = x < alpha, Decimal(alpha)
    for digits in range(1, 18):
        u = da.quantize(Decimal(1).scaleb(da.adjusted() - digits + 1), rounding=ROUND_FLOOR if below else ROUND_CEILING)
        if (x < float(u) <= alpha) if below else (alpha <= float(u) <= x):
            return f"{'<' if below else '≥'} {float(u):.{digits}g}"
    return f"{'<' if below else '≥'} {alpha!r}"


def p_bare(p, alpha: float = 0.05) -> str:
    """:func:`p_text`'s p without its relation ``= ``, for a cell or a ``before → after``: ``0.034``, ``< 1e-16``,
    ``–`` for none."""
    return p_text(p, alpha).removeprefix("= ")


def seed_list(seeds) -> str:
    """``[0, 1, 2, 3, 4, 7]`` → ``"0–4, 7"``: runs of consecutive seeds as spans."""
    xs, out = sorted(int(s) for s in seeds), []
    for s in xs:
        if out and s == out[-1][1] + 1:
            out[-1][1] = s
        else:
            out.append([s, s])
    return ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in out)


def family_losses(sts: list["Stats"], new: set[str], alpha: float, whole: bool = True) -> list[str]:
    """The field's verdicts that adding the losses labelled ``new`` took out of significance, one item each
    (``denoise/psnr: l2 significantly worse than l1 (p_holm 0.043 → 0.14)``, ``denoise/psnr: l2 ▼ (p_holm 0.023 →
    0.053)``): the field's runs and raw p's are the same with or without them, but their tests join the Holm families
    the field's are adjusted in — each (task, metric) column's pairs (bold, ``plbench compare``'s wins and losses) and
    the leaderboard's ▲/▼, one family over every cell of ``sts`` (``whole``: ``sts`` are every task of that table;
    False: the ▲/▼ are not said) — and a Holm p only grows with its family. A ▼ at p_holm = 0.023 on 5 losses went
    plain when `plbench compare` added two with no word (tests/test_probe_verdicts18.py)."""
    def said(old: float, now: float) -> str:
        return f"p_holm {p_bare(old, alpha)} → {p_bare(now, alpha)}"

    out = []
    for st in sts:
        pairs = st.pairs
        if pairs is None or pairs.empty:
            continue
        for (task, metric), col in pairs.groupby(["task", "metric"], sort=False):
            field = (~col["a"].isin(new) & ~col["b"].isin(new)).to_numpy()
            old = holm(col["p"].to_numpy(float)[field])
            for r, before in zip(col[field].itertuples(index=False), old):
                if before < alpha and not r.p_adj < alpha:
                    worse, better = (r.b, r.a) if r.effect > 0 else (r.a, r.b)
                    out.append(f"{task}/{metric}: {worse} significantly worse than {better} ({said(before, r.p_adj)})")
    cells = pd.concat([st.cells for st in sts if not st.cells.empty], ignore_index=True) if whole else pd.DataFrame()
    if not cells.empty and "p_base" in cells.columns:
        p = cells["p_base"].to_numpy(float)
        field = ~cells["label"].isin(new).to_numpy()
        now, old = holm(p), np.full(len(p), np.nan)
        old[field] = holm(p[field])
        for k in np.flatnonzero(field & (old < alpha) & ~(now < alpha)):
            r = cells.iloc[k]
            mark = "▲" if r["diff_vs_base"] > 0 else "▼"
            out.append(f"{r['task']}/{r['metric']}: {r['label']} {mark} vs {r['base_label']} ({said(old[k], now[k])})")
    return out


def short_of(have) -> dict:
    """{label: what it lacks} for the labels of ``have`` ({label: set of blocks, or of a task's metrics}) that lack
    an item **most** of them have (more than half). An item only a few labels have (a metric scored for a loss run
    after its weights were cached) makes no other label short: the one rule of the task tables, the overall
    ranking's ``complete`` and the losses the Friedman test (CD diagram) keeps. When no item has a majority,
    a label lacking any item another has is short."""
    have = {lab: set(v) for lab, v in dict(have).items()}
    every = set().union(*have.values()) if have else set()
    most = {x for x in every if 2 * sum(x in v for v in have.values()) > len(have)}
    # no item most labels have (losses on disjoint tasks): nothing is common ground, so lacking any item is short
    return {lab: every - v for lab, v in have.items() if not (most or every) <= v}


def rank_summary(cells: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-label rank aggregate over the blocks most labels have, label × task mean rank over every block).
    ``n_extra``: the label's blocks only a few labels have (not in its mean rank). ``complete``: the label
    has every (task, metric) block most labels have (:func:`short_of`); ``mean_rank_common``: its mean
    rank over the ``n_common`` blocks every label has (the comparable figure when some are
    incomplete); complete labels first."""
    r = cells[cells["label"] != INPUT].dropna(subset=["rank"])
    if r.empty:
        return pd.DataFrame(), pd.DataFrame()
    # a block only a few losses have ranks them among fewer rivals (rank 1 of 1 for a loss alone there): it would
    # lift their mean rank over losses that beat them on every shared block. The mean rank is over the blocks most
    # losses have (short_of's rule); the others are counted apart (`n_extra`). A loss with none of those: its own.
    labels_of = r.groupby(["task", "metric"])["label"].nunique()
    n_lab = r["label"].nunique()
    core = {b for b, n in labels_of.items() if 2 * n > n_lab}
    in_core = pd.Series([(t, m) in core for t, m in zip(r["task"], r["metric"])], index=r.index)
    has_core = in_core.groupby(r["label"]).any()
    extra = (~in_core & r["label"].map(has_core)).groupby(r["label"]).sum().rename("n_extra")
    full = r
    r = r[in_core | ~r["label"].map(has_core)]
    agg = r.groupby("label")["rank"].agg(mean_rank="mean", sd_rank="std", min_rank="min", max_rank="max",
                                         n_blocks="count")
    nc = r[~r["circular"]].groupby("label")["rank"].agg(mean_rank_noncircular="mean", n_noncircular="count")
    n_circ = r.groupby("label")["circular"].sum().rename("n_circular")
    agg = agg.join(nc).join(n_circ)
    # a loss run on fewer tasks (loss_tasks, a compare on some tasks) is ranked over other blocks and
    # against fewer rivals: its mean rank is not comparable with the others'. Every loss also gets its
    # mean rank over the blocks all losses share; the table lists the complete losses first.
    blocks = full.groupby("label").apply(lambda d: frozenset(zip(d["task"], d["metric"])), include_groups=False)
    common = frozenset.intersection(*blocks)
    short = short_of(blocks)  # lacks a block most losses have: not a lone extra block of another loss
    agg["complete"] = [l not in short for l in agg.index]
    shared = r[[(t, m) in common for t, m in zip(r["task"], r["metric"])]]
    agg = agg.join(shared.groupby("label")["rank"].mean().rename("mean_rank_common"))
    agg["n_common"] = len(common)
    agg["n_extra"] = extra.reindex(agg.index).fillna(0).astype(int)
    agg = agg.loc[[lab for c in (True, False) for lab in rank_order(agg.loc[agg["complete"] == c, "mean_rank"])]]
    agg["sd_rank"] = agg["sd_rank"].fillna(0.0)
    per_task = full.groupby(["label", "task"])["rank"].mean().unstack("task")
    return agg.reset_index(), per_task.loc[agg.index]


def rank_order(mean_ranks) -> list:
    """The one row order of every ranked table and figure (the leaderboard's overall ranking and task
    tables, the rank heatmap, the metric-points figure, the critical-difference diagram, the leaderboard
    figure): labels by mean rank, best (lowest) first, **ties by label name** — equal mean ranks (up to
    float noise, :func:`_tie_key`) are listed by :func:`name_key` (a number in a name read as a number: ``l2``
    before ``l10``), never in the order a sort happened to leave them (pandas' default sort is not stable: with
    more than 16 losses two tables listed tied losses differently). ``mean_ranks``: a mapping or Series
    {label: mean rank}; NaN ranks go last (by name)."""
    items = list(mean_ranks.items())
    keys = _tie_key(np.array([float(v) for _, v in items], dtype=float)) if items else np.array([])
    return [lab for _, _, _, lab in sorted((not np.isfinite(k), k if np.isfinite(k) else 0.0, name_key(lab), lab)
                                           for (lab, _), k in zip(items, keys))]


#: a number in a label: ``2``, ``0.25``, ``.5``, ``1e-3`` (a weight as written: ``l1 + 1e-3*vgg``); ASCII digits only,
#: as report.html's click-to-sort (:data:`benchmark.export.NAME_CMP`) reads them, so the page sorts as the tables list
_NUMBER = re.compile(r"((?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?)", re.ASCII)


#: a label's version suffix (:func:`benchmark.runstats.version_suffix`: `` (v2)``, `` (v1.10/2)``) at its end
VERSION_SUFFIX = re.compile(r" \(v[^()]*\)$")


def name_key(label) -> tuple:
    """A label's place in name order, a number in it read as a number (natural order): ``w2`` before ``w10``,
    ``l1 + 0.25*vgg`` before ``l1 + 0.5*vgg`` before ``l1 + 2*vgg`` before ``l1 + 10*vgg`` (a weight sweep), where
    string order put 10 before 2, and ``1e-4`` before ``1e-3`` (= ``0.001``); names equal as numbers (``w2``,
    ``w02``) then by the string, so no two names tie. In a version suffix (`` (v1.10)``) a dot separates whole
    numbers, as versions count: ``v1.2`` before ``v1.10`` (read as decimals, 1.10 < 1.2 put it first). Text and
    numbers alternate in the key (never compared to each other)."""
    text = str(label)
    suffix = VERSION_SUFFIX.search(text)
    head = text[:suffix.start()] if suffix else text
    parts = _NUMBER.split(head)
    if suffix:
        tail = re.split(r"(\d+)", suffix.group(), flags=re.ASCII)
        parts = [*parts[:-1], parts[-1] + tail[0], *tail[1:]]
    return tuple(float(p) if i % 2 else p for i, p in enumerate(parts)), text


#: why there is no Friedman test or critical-difference diagram where every run ties with the other losses' runs
ALL_TIED = ("every loss's runs score the same as the other losses' runs of their seed in every (task, metric) block: "
            "nothing to rank")


def _tie_key(x):
    """Scores rounded to 12 significant digits for ranking: equal scores averaged over different
    numbers of runs differ in the last bits (float noise) and must tie, not rank 6.3 against 6.8."""
    a = np.asarray(x, dtype=float)
    out = np.array([float(f"{v:.12g}") if np.isfinite(v) else v for v in a.ravel()]).reshape(a.shape)
    return pd.Series(out, index=x.index) if isinstance(x, pd.Series) else out


def friedman_nemenyi(cells: pd.DataFrame, alpha: float = 0.05, blks: list[Block] | None = None,
                     n_perm: int = 2000) -> dict:
    """Friedman test over (task, metric) blocks complete for every loss kept (those with every block most
    losses have, :func:`short_of`), and the critical difference.

    The blocks are not independent replicates: every (task, metric) block scores the *same* runs, so
    a run that trained well lifts its loss in all of them. With ``blks`` (the blocks' run-level
    values), ``p`` and ``cd`` come from a permutation test with the run as the unit
    (:func:`_run_permutation`): the χ² is Friedman's, but its null distribution, and the critical
    difference of mean ranks, from relabelling each seed's runs among the losses. Without ``blks``
    (or with fewer than :data:`MIN_RUNS` seeds shared by every loss in every block) they are the
    asymptotic Friedman p and Nemenyi CD, which treat the blocks as independent and are then marked
    ``descriptive`` (a reason): on null grids whose metrics share their runs they called a
    difference in nearly every grid.

    Returns ``{"ranks": {label: mean rank}, "k", "n_blocks", "statistic", "p", "cd", "excluded",
    "method"}`` (+ ``"n_perm"``, ``"n_runs"``, ``"runs_left_blocks"`` — blocks left out for too few runs — and
    ``"runs_left_by"`` — the losses whose runs they lack — for the permutation, ``"descriptive"`` when no test;
    ``"runs_dropped"`` {label: runs} — losses with fewer than :data:`MIN_RUNS` runs in every block, left out so
    that the others are tested, when that leaves ≥ 3),
    or ``{"reason": why not}``."""
    from scipy.stats import friedmanchisquare, studentized_range

    r = cells[cells["label"] != INPUT].dropna(subset=["mean"])
    if r.empty:
        return {"reason": "no restored results"}
    wide = r.assign(score=np.where(r["higher_is_better"], -r["mean"], r["mean"])).pivot_table(
        index=["task", "metric"], columns="label", values="score")
    # keep the losses with every block most losses have (short_of, as the ranking's `complete`), then the blocks
    # complete for those: a block only a few losses have is dropped, not the losses without it
    short = short_of({lab: set(wide.index[wide[lab].notna()]) for lab in wide.columns})
    keep = wide.columns[[lab not in short for lab in wide.columns]]
    if len(keep) < 3 <= len(wide.columns) and len(wide.dropna()) >= 2:
        keep = wide.columns  # a metric missing from a few runs of many losses: drop its blocks, not every loss
    excluded = sorted(set(wide.columns) - set(keep), key=name_key)
    wide = wide[keep].dropna()
    k, n = wide.shape[1], wide.shape[0]
    if k < 3 or n < 2:
        return {"reason": "needs ≥3 losses and ≥2 complete (task, metric) blocks; have "
                          f"{plural(k, 'loss', 'losses')} and {plural(n, 'block')}",
                "excluded": excluded}
    perm = _run_permutation(wide, blks, alpha, n_perm) if blks is not None else \
        "the blocks' runs were not given: the asymptotic test takes its blocks as independent"
    if perm == ALL_TIED:  # nothing to rank: no diagram of losses at one point with "CD = 0.00" over them
        return {"reason": ALL_TIED, "excluded": excluded}
    ranks = wide.apply(_tie_key).rank(axis=1, method="average")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stat, p = friedmanchisquare(*[wide[c].to_numpy() for c in wide.columns])
        q = float(studentized_range.ppf(1 - alpha, k, np.inf)) / math.sqrt(2)
    cd = q * math.sqrt(k * (k + 1) / (6.0 * n))
    out = {"ranks": {lab: float(ranks[lab].mean()) for lab in rank_order(ranks.mean())}, "k": k, "n_blocks": n,
           "statistic": float(stat),
           "p": float(p), "cd": cd, "alpha": alpha, "excluded": excluded, "method": "asymptotic"}
    if isinstance(perm, str):
        few = _short_of_runs(wide, blks) if blks is not None else {}
        if few and k - len(few) >= 3:
            # one loss short of runs in every block (a diverged seed): the others are tested without it, named
            again = friedman_nemenyi(cells[~cells["label"].isin(few)], alpha, blks, n_perm)
            if again.get("method") == "permutation":
                # its own `excluded`: without the short loss a block may no longer be one most losses have, so
                # losses excluded here can be tested there (the short loss itself is in runs_dropped)
                again["runs_dropped"] = {str(lab): int(n)
                                         for lab, n in sorted(few.items(), key=lambda kv: name_key(kv[0]))}
                return again
        out["descriptive"] = perm
    else:
        out.update(perm)
    return out


def _short_of_runs(wide: pd.DataFrame, blks: list[Block]) -> dict:
    """{label: most runs it has in any block} for the labels of ``wide`` (blocks × labels) with fewer than
    :data:`MIN_RUNS` scored runs in every block of ``wide``: no run-level test can include them."""
    from benchmark.runstats import run_means

    by = {(b.task, b.metric): b for b in blks}
    most: dict = {}
    for key in wide.index:
        b = by.get(tuple(key))
        if b is None:
            return {}
        rm = run_means(b.values)
        for lab in wide.columns:
            n = int(np.isfinite(rm[b.labels.index(lab)]).sum()) if lab in b.labels else 0
            most[lab] = max(most.get(lab, 0), n)
    return {lab: n for lab, n in most.items() if n < MIN_RUNS}


def _run_permutation(wide: pd.DataFrame, blks: list[Block], alpha: float, n_perm: int, seed: int = 0
                     ) -> dict | str:
    """A Friedman test with the run as the unit, on the seeds every loss of ``wide`` (blocks × labels)
    has in every block: in each (block, seed) the losses' runs are ranked (1 = best); a loss's mean
    rank is over every block and seed, and Friedman's χ² of those mean ranks is referred to ``n_perm``
    relabellings of each seed's runs among the losses — the same relabelling in every block, so a
    run's scores on every metric move together (the blocks are not independent). Returns ``{"p",
    "cd", "statistic", "ranks", "n_perm", "n_runs", "method"}`` — p = (1 + #{χ²* ≥ χ²}) / (1 +
    n_perm); cd = the (1 − α) quantile of the largest gap of mean ranks under the relabellings, so
    two losses whose mean ranks differ by more are different with family-wise error ≤ α — or why
    there is no test (a string)."""
    from benchmark.runstats import run_means

    by = {(b.task, b.metric): b for b in blks}
    labels_ = list(wide.columns)
    arrays = []
    for key in wide.index:
        b = by.get(tuple(key))
        if b is None or any(lab not in b.labels for lab in labels_):
            return f"block {key} has no run-level values"
        rm = run_means(b.values)[[b.labels.index(lab) for lab in labels_]]            # (k, S)
        arrays.append((list(b.seeds), (-1.0 if b.higher else 1.0) * rm))               # lower score = better
    ok = {tuple(key): {s for j, s in enumerate(seeds) if np.isfinite(a[:, j]).all()}
          for key, (seeds, a) in zip(wide.index, arrays)}
    # too few seeds shared by every block (one loss's diverged run, a metric scored on some of its runs): the
    # blocks without a set of ≥ MIN_RUNS seeds are left out of the test, not the test itself — the set that
    # keeps the most blocks (then the most seeds), so one odd cell costs its blocks only
    thin: list = []
    lacking: set = set()  # the losses whose runs are missing in the blocks left out: the test does not see them there
    if len(set.intersection(*ok.values())) < MIN_RUNS:
        sets = sorted({frozenset(v) for v in ok.values() if len(v) >= MIN_RUNS}, key=sorted)
        best = max(sets, key=lambda c: (sum(c <= v for v in ok.values()), len(c)), default=None)
        if best is not None and sum(best <= v for v in ok.values()) >= 2:
            thin = [b for b, v in ok.items() if not best <= v]
            for b, (seeds, a) in zip(ok, arrays):
                if b in thin:
                    cols = [seeds.index(s) for s in best if s in seeds]
                    gone = len(cols) < len(best)  # a seed no loss has in this block
                    lacking |= {lab for i, lab in enumerate(labels_) if gone or not np.isfinite(a[i, cols]).all()}
            arrays = [x for b, x in zip(ok, arrays) if b not in thin]
            ok = {b: v for b, v in ok.items() if b not in thin}
    common = sorted(set.intersection(*ok.values()))
    if len(common) < MIN_RUNS:
        return (f"{plural(len(common), 'seed')} shared by every loss in every block, where a test with the run as "
                f"the unit needs ≥ {MIN_RUNS}")
    from scipy.stats import rankdata

    R = np.stack([a[:, [seeds.index(s) for s in common]] for seeds, a in arrays])       # (n, k, S)
    n, k, S = R.shape
    scale = np.maximum(np.abs(R).max(axis=(1, 2), keepdims=True), 1e-300)
    # each run's rank among the runs of its seed, per block (equal scores tie): (S, k, n)
    ranks = rankdata(np.round(R / scale * 1e12), axis=1, method="average").transpose(2, 1, 0)
    if (ranks == ranks.flat[0]).all():  # every relabelling the same ranks: a critical difference of 0, p = 1
        return ALL_TIED

    def chi2(mr: np.ndarray) -> np.ndarray:  # Friedman's χ² over the n·S (block, seed) rankings
        return 12.0 * n * S / (k * (k + 1)) * ((mr - (k + 1) / 2) ** 2).sum(axis=-1)

    observed = ranks.mean(axis=(0, 2))                                                  # (k,)
    obs = float(chi2(observed))
    rng = np.random.default_rng([seed, zlib.crc32(b"friedman")])
    stats_, gaps = [], []
    for start in range(0, n_perm, 200):
        P = min(200, n_perm - start)
        perm = np.argsort(rng.random((P, S, k)), axis=2)                                 # (P, S, k)
        mr = ranks[np.arange(S)[None, :, None], perm].mean(axis=(1, 3))                  # (P, k)
        stats_.append(chi2(mr))
        gaps.append(mr.max(axis=1) - mr.min(axis=1))
    stats_, gaps = np.concatenate(stats_), np.concatenate(gaps)
    p = (1 + int((stats_ >= obs - 1e-9 * max(obs, 1.0)).sum())) / (1 + n_perm)
    mr = dict(zip(labels_, map(float, observed)))
    # the χ² printed is Friedman's with its correction for ties (scipy's friedmanchisquare, R's friedman.test, on the
    # n·S rankings): without it a block of tied runs (a saturated metric) printed half what a reader recomputes
    # (tests/test_probe_verdicts19.py). A relabelling keeps every ranking's ties, so the correction is one factor
    # over them all and the p above is the same either way
    ties = sum(float((c ** 3 - c).sum()) for c in (np.unique(row, return_counts=True)[1]
                                                 for row in ranks.transpose(0, 2, 1).reshape(-1, k)))
    corr = 1.0 - ties / (n * S * k * (k * k - 1))
    return {"p": float(p), "cd": float(np.quantile(gaps, 1 - alpha, method="higher")), "n_perm": n_perm,
            "n_runs": S, "method": "permutation", "statistic": obs / corr if corr > 0 else obs, "n_blocks": n,
            "runs_left_blocks": sorted(thin), "runs_left_by": sorted(map(str, lacking), key=name_key),
            "ranks": {lab: mr[lab] for lab in rank_order(mr)}}


def worse_than_input(blks: list[Block], metric: str = "psnr") -> pd.DataFrame:
    """Runs whose restoration is worse than the degraded input itself on the task's distortion
    metric (``psnr``): per (task, label) how many of its runs score below the input on the same
    test images. Columns: task, label, worse, runs, mean_gap (run mean − input mean, metric units,
    negative = worse, over every run), worse_gap (the same over the runs below the input only: what a
    note about those runs reports; NaN when none is)."""
    rows = []
    for b in blks:
        if b.metric != metric or INPUT not in b.labels:
            continue
        sign = 1.0 if b.higher else -1.0
        inp = b.values[b.labels.index(INPUT)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            inp_img = np.nanmean(inp, axis=0)                        # (I,)
            for i, label in enumerate(b.labels):
                if label == INPUT:
                    continue
                v = b.values[i]                                       # (S, I)
                ok = ~np.isnan(v).all(axis=1)
                if not ok.any():
                    continue
                both = ~np.isnan(v[ok]) & ~np.isnan(inp_img)[None, :]
                gap = np.array([np.mean(r[m] - inp_img[m]) if m.any() else np.nan for r, m in zip(v[ok], both)])
                below = sign * gap < 0
                rows.append({"task": b.task, "label": label, "worse": int(below.sum()),
                             "runs": int(ok.sum()), "mean_gap": float(np.nanmean(gap)),
                             "worse_gap": float(np.mean(gap[below])) if below.any() else float("nan")})
    return pd.DataFrame(rows, columns=["task", "label", "worse", "runs", "mean_gap", "worse_gap"])


def scored_cells(cells: pd.DataFrame) -> pd.DataFrame:
    """The restored cells of ``cells`` (not the input's) that rest on at least one run: a cell no run could score
    (every score non-finite, ``n_seeds`` 0) is a missing score, which the non-finite note names, never a count
    of 0 runs. Every count of a loss's runs (banner, notes, captions, Seeds column, figure keys) reads these."""
    if cells.empty:
        return cells
    return cells[(cells["label"] != INPUT) & (cells["n_seeds"] > 0)]


def thin_cells(stats: "Stats") -> tuple[int, int]:
    """(restored cells with fewer than :data:`MIN_RUNS` runs, restored cells scored at all), over
    :func:`scored_cells`: a cell no run could score is a missing score, not a count of runs."""
    restored = scored_cells(stats.cells)
    if restored.empty:
        return 0, 0
    return int((restored["n_seeds"] < MIN_RUNS).sum()), len(restored)


def short_runs_who(stats: "Stats", few: int) -> str:
    """Who is short of runs for a verdict, ``few`` the fewest: ``"3 runs per loss"`` when every loss has that
    many, else the losses short of runs by name, ``"bad (3 runs)"`` — "n runs per loss" would say every loss
    has that few."""
    runs = scored_cells(stats.cells).groupby("label", observed=True)["n_seeds"].min()  # as fewest_runs counts them
    thin = runs[runs < MIN_RUNS]
    return (f"{plural(few, 'run')} per loss" if len(thin) == len(runs) and thin.nunique() <= 1 else
            ", ".join(f"{lab} ({plural(int(n), 'run')})"
                      for lab, n in sorted(thin.items(), key=lambda kv: name_key(kv[0]))))


def drawn_part(stats: "Stats", drawn: dict[str, list[str]], metrics=None) -> "Stats":
    """``stats`` cut to what a figure draws, for :func:`smoke_test` to count that alone: ``drawn`` {task: the losses
    drawn there}, ``metrics`` the metrics drawn (None: every one). Its ``cells`` keep those tasks' input rows, its
    ``task_costs`` those (task, loss) runs; a loss, task or metric the figure leaves out (and names as not drawn)
    makes no smoke test of it."""
    c = stats.cells
    if not c.empty:
        keep = pd.Series(False, index=c.index)
        for t, ls in drawn.items():
            keep |= (c["task"].astype(str) == t) & c["label"].isin(list(ls) + [INPUT])
        if metrics is not None:
            keep &= c["metric"].isin(list(metrics))
        c = c[keep]
    tc = stats.task_costs
    if not tc.empty and {"task", "label"} <= set(tc.columns):
        keep = pd.Series(False, index=tc.index)
        for t, ls in drawn.items():
            keep |= (tc["task"].astype(str) == t) & tc["label"].isin(list(ls))
        tc = tc[keep]
    return dataclasses.replace(stats, cells=c, task_costs=tc)


def smoke_test(stats: "Stats", short: bool = False, runs: bool = True, task: str | None = None) -> str:
    """One line when these results are a smoke test rather than a ranking, else ""; leaderboards and the P–D
    plane print it. A smoke test is a verdict on the ranking as a whole: runs not shown converged, no cell
    tested, or **most** (more than half) scored cells with fewer than :data:`MIN_RUNS` runs
    (:func:`thin_cells`). A few thin cells (one metric scored on some runs, a loss with a diverged run) leave
    the other cells their verdicts: the notes name them (``benchmark.export.notes``), no banner.
    ``runs=False``: only the runs not shown converged (a title that says the too few runs itself). ``task``: one
    task's runs and cells (a figure of that task alone: metrics_<task>.png counted the whole grid's runs), the losses
    short of runs still named as the grid's."""
    why = []
    tc = stats.task_costs
    if task is not None and "task" in tc.columns:
        tc = tc[tc["task"].astype(str) == task]
    unconverged = not tc.empty and "unconverged" in tc.columns and int(tc["unconverged"].sum())
    if unconverged:
        why.append(f"{int(tc['unconverged'].sum())} of {plural(int(tc['ok'].sum()), 'run')} not shown converged")
    restored = scored_cells(stats.cells)  # a cell no run could score is a missing score, not 0 runs
    if task is not None and "task" in restored.columns:
        restored = restored[restored["task"].astype(str) == task]
    few = runs and not restored.empty and int(restored["n_seeds"].min()) < MIN_RUNS
    # "no verdicts" only when nothing was tested: other losses of the table may have the runs for one
    untested = few and not restored[["p_base", "p_best_adj"]].notna().any().any()
    if untested:
        why.append(f"{short_runs_who(stats, int(restored['n_seeds'].min()))} where a verdict needs ≥ {MIN_RUNS}")
    # most of the cells counted (a task's alone where ``task`` is given: another task's thin cells make no smoke test
    # of a task whose cells have the runs); else the notes name them
    elif few and 2 * (n_thin := int((restored["n_seeds"] < MIN_RUNS).sum())) > (n_cells := len(restored)):
        thin = sorted(restored.loc[restored["n_seeds"] < MIN_RUNS, "label"].unique(), key=name_key)
        who = ", ".join(thin) if len(thin) <= 3 else f"{len(thin)} losses"
        # a run left out of one metric (non-finite scores) leaves the loss's other cells their verdicts
        partly = (restored.loc[restored["label"].isin(thin), "n_seeds"] >= MIN_RUNS).any()
        what = "those cells" if partly else agree(len(thin), "it", "them")
        why.append(f"{who} with {plural(int(restored['n_seeds'].min()), 'run')} where a verdict needs ≥ {MIN_RUNS}"
                   f" (no verdict on {what}; {n_thin} of {n_cells} scored cells short of runs, most of them)")
    if not why:
        return ""
    if short:  # a figure's title
        return "Smoke test, not a ranking: " + "; ".join(why)
    tail = (" — no verdicts" if untested else
            " — findings give no verdict on them, and any bold or ▲/▼ compares where the runs stand after this "
            "budget, not what the losses converge to" if unconverged else "")
    return "Smoke test, not a ranking: " + "; ".join(why) + tail


#: a CPU run's ``device_name`` that names no model: what an x86 machine's meta.json recorded before it named the
#: model (/proc/cpuinfo's, :func:`benchmark.devices.cpu_model`): ``platform.processor()``'s "" ("cpu") or
#: ``x86_64``. Another architecture's name (``aarch64``: an ARM node's /proc/cpuinfo has no "model name") is all such
#: a machine ever records, and stays in its kind: joined to the one model of its thread count, an ARM node's runs merged
#: into an EPYC's store were pooled with them (a Mac's ``arm``/``i386``, before its sysctl was read, joins its own
#: family's model alone: :data:`MAC_BEFORE_MODEL`)
NO_CPU_MODEL = frozenset({"", "cpu", "x86_64", "amd64"})

#: what a Mac's meta.json recorded before its model was read from sysctl (platform.processor()'s ``arm``: Apple
#: silicon; ``i386``: an Intel Mac, or an x86_64 process translated by Rosetta 2: :func:`_of_mac_family`), and the
#: family of the models it may be: such a run joins the one model of that family its store names at its thread
#: count (:func:`device_kinds`; one Mac's store was two kinds across the upgrade, every pooled ms/it
#: lost), never another family's (an old Mac's runs merged into an EPYC's store)
MAC_BEFORE_MODEL = {"arm": "apple", "i386": "intel"}


def _of_mac_family(model: str, family: str) -> bool:
    """Is ``model`` (a CPU model a store's runs name) one a Mac run recorded as :data:`MAC_BEFORE_MODEL`'s ``family``
    may be? platform.processor() says ``i386`` in any x86_64 process, an Intel Mac's or one translated by Rosetta 2 on
    Apple silicon (``"Apple M1 under Rosetta"``), and ``arm`` in a native one only."""
    from benchmark.devices import ROSETTA

    translated = model.endswith(ROSETTA)
    return translated or family in model.lower() if family == "intel" else family in model.lower() and not translated


def cpu_model_of(name) -> str:
    """``name`` (a CPU run's ``device_name``) where it names a CPU model, else ""."""
    return name.strip() if isinstance(name, str) and name.strip().lower() not in NO_CPU_MODEL else ""


def _thread_count(threads) -> int:
    """A run's torch thread count as recorded (0 where none or not a number)."""
    try:
        return int(threads) if threads is not None and not pd.isna(threads) else 0
    except (TypeError, ValueError):
        return 0


def device_kind(device, name=None, threads=None) -> str:
    """The kind of device a run was timed on: ``"cuda:0"`` → ``"cuda"``, ``"cpu"`` → ``"cpu"``; ``"unknown"``
    when the run's ``meta.json`` records none. ``name``: its ``device_name``, which a GPU's kind carries
    (``"cuda (NVIDIA H100 80GB HBM3)"``) and a CPU's where it names a model (:func:`cpu_model_of`): two GPU models are
    two kinds, as a CPU and a GPU are, and so are two CPU models (runs merged from another machine: a node twice as
    fast, its l1 pooled with l2's of a slow one, read as costing what l2 does). ``threads``: its torch thread count,
    which a CPU's kind carries (``"cpu (AMD EPYC 7763 64-Core Processor, 2 threads)"``): a CPU step's time scales
    with it (a run under ``--workers 4`` on 1 thread against one on 4), as a GPU's with its model. ms/it of two kinds
    are never pooled (:func:`cost_table`)."""
    if device is None or (not isinstance(device, str) and pd.isna(device)) or not str(device).strip():
        return "unknown"
    kind = str(device).split(":", 1)[0].strip()
    if kind != "cpu" and isinstance(name, str) and name.strip():
        return f"{kind} ({name.strip()})"
    n = _thread_count(threads)
    parts = [p for p in (cpu_model_of(name), plural(n, "thread") if n > 0 else "") if p] if kind == "cpu" else []
    return f"cpu ({', '.join(parts)})" if parts else kind


def timed_kind(device, threads: int) -> str:
    """The kind (:func:`device_kind`) of a step this process times on ``device`` (a ``torch.device``) at ``threads``
    torch threads: the kind a run's ``meta.json`` will be of (:func:`benchmark.devices.device_name`), which a
    resumed run's steady seconds are kept under and the dry run's and ``plbench pretrain``'s estimates name."""
    from benchmark.devices import device_name

    return device_kind(str(device), device_name(device), threads)


def device_kinds(devices, names, threads) -> list[str]:
    """:func:`device_kind` of each run (``devices``, ``names``, ``threads``: their meta.json fields, in order); a CPU
    run whose ``device_name`` names no model (recorded before meta.json named it: ``x86_64``, ``cpu``; a Mac's ``arm``
    or ``i386``, of its family's models alone: :data:`MAC_BEFORE_MODEL`) is of the one model the runs of its thread
    count name, where they name one (its store's machine, before and after an upgrade), else of its thread count
    alone."""
    return device_kinds_assumed(devices, names, threads)[0]


def device_kinds_assumed(devices, names, threads) -> tuple[list[str], list[bool]]:
    """:func:`device_kinds`, and per run whether its kind names a model its ``device_name`` does not (the one model
    of its thread count, assumed: ``timed_model_assumed``). A name recorded before the model was (``x86_64``, a Mac's
    ``arm``) is no model of the store's: a merged Mac run never keeps the x86 runs from their model."""
    runs = list(zip(devices, names, threads))
    models: dict[int, set[str]] = {}
    for d, name, t in runs:
        model = cpu_model_of(name)
        if device_kind(d) == "cpu" and model and model.lower() not in MAC_BEFORE_MODEL:
            models.setdefault(_thread_count(t), set()).add(model)
    kinds, assumed = [], []
    for d, name, t in runs:
        one = models.get(_thread_count(t), set())
        family = MAC_BEFORE_MODEL.get(name.strip().lower()) if isinstance(name, str) else None
        if family is not None:  # a Mac's before sysctl was read: a model of its family alone
            one = {m for m in one if _of_mac_family(m, family)}
        swap = device_kind(d) == "cpu" and (family is not None or not cpu_model_of(name)) and len(one) == 1
        kinds.append(device_kind(d, next(iter(one)) if swap else name, t))
        assumed.append(swap)
    return kinds, assumed


#: the statuses of a run whose ms/it a cost figure counts: trained to its end, or stopped by a non-finite loss (its
#: steps ran); a failed run's time, where a store holds one (merged, hand-written), is of steps that ended in an error
TIMED_STATUSES = ("ok", "diverged")


def run_timing(meta: dict) -> tuple[float, bool, bool] | None:
    """(ms/it, busy, steady) of a run's ``meta.json`` where a published cost may count it — a finished run
    (:data:`TIMED_STATUSES`) recording a finite, positive ``ms_per_it`` —, else None. ``busy``: timed while other work
    held the cores (:func:`benchmark.devices.timed_busy`); ``steady``: timed in the steady state (``timing_excluded``
    recorded: warm-up iterations and checkpoint saves left out; a run recorded before, 2026-12-05, holds the training
    wall time ÷ iterations)."""
    from benchmark.devices import timed_busy

    ms = meta.get("ms_per_it")
    if meta.get("status") not in TIMED_STATUSES or isinstance(ms, bool) or not isinstance(ms, (int, float)) \
            or not math.isfinite(ms) or ms <= 0:
        return None
    return float(ms), timed_busy(meta), "timing_excluded" in meta


def counted_kinds(timings, cells, kinds) -> list[str | None]:
    """Which runs a cost cell's ms/it is of, and the kind of device each counts under: the one selection of the cost
    table (:func:`cost_table`: costs.csv, the leaderboard) and the dry run's check of its estimate
    (:func:`benchmark.perf.measured_in_store`), so the two never average different runs. ``timings``: per run,
    :func:`run_timing` of its meta (None: counts in no cell); ``cells``: per run, its cell (any hashable: the dry run's
    (loss, task), the cost table's task; None: counts in none, another setting); ``kinds``: per run, its kind of device
    (:func:`device_kinds`). Per cell and kind: a run recording no device (``unknown``) counts under the cell's one
    other kind where it has one; of the runs, those timed in the steady state where any are (an old run's wall figure,
    warm-up and saves in it, read 30 beside a steady 10), and of those the ones timed with the cores free where any
    are (:func:`benchmark.devices.free_where_any`: a busy run reads several times high). Per run, the kind it counts
    under, None where it is left out."""
    from benchmark.devices import free_where_any

    timings, cells, kinds = list(timings), list(cells), [str(k) for k in kinds]
    known: dict = {}
    for t, c, k in zip(timings, cells, kinds):
        if t is not None and c is not None and k != "unknown":
            known.setdefault(c, set()).add(k)
    resolved = [None if t is None or c is None else
                (next(iter(known[c])) if k == "unknown" and len(known.get(c, ())) == 1 else k)
                for t, c, k in zip(timings, cells, kinds)]
    where = [None if k is None else (c, k) for c, k in zip(cells, resolved)]
    steady_cells = {w for w, t in zip(where, timings) if w is not None and t[2]}
    where = [None if w is None or (w in steady_cells and not t[2]) else w for w, t in zip(where, timings)]
    counted = free_where_any([t is not None and t[1] for t in timings], where)
    return [k if n else None for k, n in zip(resolved, counted)]


def cost_table(metas: list[dict], arms: pd.DataFrame | None = None, label_of: dict[str, str] | None = None,
               version_of: dict[str, str] | None = None, scope: VersionScope | None = None
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per loss label and per (task, label): runs, ok, diverged, failed, unconverged (finished runs
    whose arm is not shown converged by its budget checks, ``arms`` of
    :func:`benchmark.convergence.arm_budget`), median ms/it (``ms_per_it_low``/``_high``: its runs' min and max;
    of the runs :func:`counted_kinds` picks per task and kind of device, the dry run's check of its estimate's too:
    finished, timed in the steady state where any are, of those with the cores free where any are —
    ``warmup_left_out`` and ``busy_left_out`` count the runs so left out, ``timed_with_warmup`` and ``timed_busy``
    every such run),
    max peak MiB (``peak_mem_mb``, GPU memory allocated; ``peak_mem_reserved_mb``, GPU memory the caching allocator
    reserved, what a GPU's workers are sized by, empty for a run recorded before it was; ``peak_rss_mb``, the
    process's resident memory on the host, meta.json's
    per run). A label timed on several kinds of
    device (:func:`device_kinds`: a CPU and a GPU, two GPU models, two CPU models or thread counts) gets no pooled
    ms/it (NaN):
    ``ms_per_it_by_device`` gives the median per device instead ("" when one kind); ``timed_on``: the kinds its
    ms/it was timed on ("; "-separated). Per task also the ``weights_kind`` and ``loss_version`` that pick its
    arm's rows of ``arms`` out (:func:`benchmark.convergence.arm_rows`): ``unconverged`` is of its own arm.
    ``label_of``: {run id: its rows' label (:func:`labels`)}, so two versions of one loss (two labels) never pool
    their costs; a run without rows (diverged, failed) is labelled from its spec and weights kind, with its loss version
    appended when the runs with rows of that label have other versions (``version_of``: {run id: its rows'
    ``loss_version``}): an edited loss file's failed run is never charged to the version that worked."""
    from benchmark.convergence import CONVERGED, arm_status
    from benchmark.devices import timed_busy

    label_of = label_of or {}
    version_of = version_of or {}
    versions_of_label: dict[str, set[str]] = {}
    for rid, lab in label_of.items():
        if version_of.get(rid):
            versions_of_label.setdefault(lab, set()).add(version_of[rid])
    scored = term_versions(set(version_of.values()))  # as labels(): a term the rows hold at several versions
    for term, vs in (scope.terms if scope is not None else {}).items():  # ... or the whole table's rows
        scored.setdefault(term, set()).update(vs)
    rows = []
    for m in metas:
        if m.get("kind") == "input" or "config" not in m:
            continue
        cfg = m["config"]
        # the status of the run's own arm — its kind of weights and its version, as its row on the leaderboard —
        # not of every run of its loss spec (a converged pretrained vgg was marked by its random-weights twin)
        # a meta without its weights (an older run) is looked up over every kind of its loss, as before
        kind = weights_kind(m["weights"]) if m.get("weights") is not None else None
        ver = version_of.get(m.get("run_id"))
        status = arm_status(arms, cfg.get("task"), cfg.get("loss"), weights_kind=kind, loss_version=ver)
        unconverged = m.get("status") == "ok" and status != CONVERGED
        label = label_of.get(m.get("run_id"))
        if label is None:
            label = loss_label(str(cfg.get("loss")), m.get("weights"))
            ver = ",".join(f"{k}={v}" for k, v in sorted((m.get("loss_versions") or {}).items()))
            moved = any(len(scored.get(k, set()) | {str(v)}) > 1
                        for k, v in (m.get("loss_versions") or {}).items())
            if ver and (moved or versions_of_label.get(label) and ver not in versions_of_label[label]):
                label += version_suffix(ver)
        rows.append({"task": cfg.get("task"), "loss": cfg.get("loss"), "label": label, "status": m.get("status"),
                     # the seed, or the run where none is recorded: unconverged_seeds/ok_seeds count each once
                     "seed_key": (cfg.get("task"), "seed", cfg["seed"]) if cfg.get("seed") is not None
                     else (cfg.get("task"), "run", len(rows)),
                     "ms_per_it": m.get("ms_per_it"), "peak_mem_mb": m.get("peak_mem_mb"),
                     "peak_mem_reserved_mb": m.get("peak_mem_reserved_mb"),
                     # a peak not reset at the run's start (peak_rss_of: process) may be an earlier run's: left out
                     "peak_rss_mb": m.get("peak_rss_mb") if m.get("peak_rss_of") != "process" else None,
                     "device": m.get("device"), "device_name": m.get("device_name"), "threads": m.get("threads"),
                     "unconverged": unconverged,
                     "weights_kind": kind, "loss_version": ver,
                     # timed before ms/it was steady state (benchmark.runner._cost): warm-up and saves in it
                     "timed_with_warmup": m.get("ms_per_it") is not None and "timing_excluded" not in m,
                     # timed while other work held the cores (benchmark.runner.TrainResult.cpu_share): reads high
                     "timed_busy": timed_busy(m),
                     "timing": run_timing(m)})  # (ms, busy, steady) where a cost may count it: counted_kinds
    cols = ["runs", "ok", "diverged", "failed", "unconverged", "ok_seeds", "unconverged_seeds", "ms_per_it",
            "ms_per_it_low", "ms_per_it_high",
            "peak_mem_mb", "peak_mem_reserved_mb", "peak_rss_mb", "device",
            "ms_per_it_by_device", "timed_on", "timed_with_warmup", "timed_busy", "busy_left_out", "warmup_left_out",
            "timed_model_assumed"]
    arm = ["weights_kind", "loss_version"]  # per task only: an arm is a task's (costs.csv keeps cols)
    if not rows:
        return (pd.DataFrame(columns=["label", "loss", *cols]),
                pd.DataFrame(columns=["task", "label", "loss", *cols, *arm]))
    df = pd.DataFrame(rows)
    df["ms_per_it"] = pd.to_numeric(df["ms_per_it"], errors="coerce")
    df["peak_mem_mb"] = pd.to_numeric(df["peak_mem_mb"], errors="coerce")
    df["peak_mem_reserved_mb"] = pd.to_numeric(df["peak_mem_reserved_mb"], errors="coerce")
    df["peak_rss_mb"] = pd.to_numeric(df["peak_rss_mb"], errors="coerce")

    # a run whose meta.json names no CPU model (x86_64: recorded before it was named) counted as the store's one model
    # at its thread count: its machine's after an upgrade, but another machine's where merged from one (said: export)
    df["device_kind"], assumed = device_kinds_assumed(df["device"], df["device_name"], df["threads"])
    df["model_assumed"] = [a and not math.isnan(ms) for a, ms in zip(assumed, df["ms_per_it"])]

    def agg(g: pd.DataFrame) -> pd.Series:
        # a CPU and a GPU step differ by orders of magnitude (two GPU models by several times): one median over
        # both is no cost of either
        timing = list(g["timing"])
        timed = np.array([t is not None for t in timing], dtype=bool)
        ms = np.array([t[0] if t is not None else math.nan for t in timing], dtype=float)
        # of each task's runs on each kind of device, those timed in the steady state where any are, of those the ones
        # timed with the cores free where any are: the dry run checks its estimate against the same runs
        # (benchmark.perf.measured_in_store, per loss and task; one selection, counted_kinds): a median over busy
        # runs too charged l1 5× its free run's time, above l2's; an old run's wall figure beside steady ones
        # published 20 where the check read 10; chosen over all its tasks at once, the overall row dropped a task
        # whose runs were all busy (a median of other tasks)
        busy_run = g["timed_busy"].to_numpy(bool)
        steady = np.array([t is not None and t[2] for t in timing], dtype=bool)
        task = g["task"].astype(str).to_numpy() if "task" in g.columns else np.full(len(g), "")
        kind = np.array(counted_kinds(timing, list(task), g["device_kind"]), dtype=object)
        counted = np.array([k is not None for k in kind], dtype=bool)
        kinds = sorted({str(k) for k in kind[counted]})
        mixed = len(set(kinds) - {"unknown"}) > 1  # a run recording no device joins its task's one kind
        by_dev = {k: ms[counted & (kind == k)] for k in kinds} if mixed else {}
        pooled = pd.Series(ms[counted], dtype=float)
        return pd.Series({"runs": len(g), "ok": int((g["status"] == "ok").sum()),
                          "diverged": int((g["status"] == "diverged").sum()),
                          "failed": int((g["status"] == "failed").sum()),
                          "unconverged": int(g["unconverged"].sum()),
                          # the same of its seeds, as the board's seeds column counts them: a seed trained under an
                          # older plbench's id and today's (both kept) read "seeds 1, unconv. 2/2"
                          # (tests/test_review_stats23.py)
                          "ok_seeds": g.loc[g["status"] == "ok", "seed_key"].nunique(),
                          "unconverged_seeds": g.loc[g["unconverged"].astype(bool), "seed_key"].nunique(),
                          "ms_per_it": math.nan if mixed else pooled.median(),
                          # its runs' spread: how far a re-run's median may move (NaN where not pooled)
                          "ms_per_it_low": math.nan if mixed else pooled.min(),
                          "ms_per_it_high": math.nan if mixed else pooled.max(),
                          "peak_mem_mb": g["peak_mem_mb"].max(),
                          "peak_mem_reserved_mb": g["peak_mem_reserved_mb"].max(),  # what sizes a GPU's workers
                          "peak_rss_mb": g["peak_rss_mb"].max(),  # the host's memory, a GPU run's too
                          "device": ", ".join(sorted({str(d) for d in g["device"].dropna()})),
                          "ms_per_it_by_device": "; ".join(
                              f"{d} {np.median(v):.1f} ms/it ({plural(v.size, 'run')})"
                              for d, v in by_dev.items()),
                          "timed_on": "; ".join(k for k in kinds if k != "unknown"),
                          # of the runs a cost may count (run_timing: finished, a finite ms/it), as warmup_left_out
                          # and busy_left_out: a failed run's figure counted here read as "in the median"
                          # (tests/test_review_stats23.py)
                          "timed_with_warmup": int((timed & ~steady).sum()),
                          "timed_busy": int((timed & busy_run).sum()),
                          # of those, the runs its ms/it leaves out (its kind of device has runs timed free)
                          "busy_left_out": int((timed & busy_run & steady & ~counted).sum()),
                          # its runs timed before the steady state was that its ms/it leaves out (its task and kind
                          # of device has runs timed in the steady state)
                          "warmup_left_out": int((timed & ~steady & ~counted).sum()),
                          "timed_model_assumed": int(g["model_assumed"].sum()),
                          # what picks its arm's rows of ``arms`` out (benchmark.convergence.arm_rows): the arm of
                          # the runs the row's note is about — its unconverged runs, else its scored ones — not the
                          # first meta's (a failed run of a newer version joining an unversioned label took it)
                          **_row_arm(g)})

    per_loss = df.groupby(["label", "loss"]).apply(agg, include_groups=False).reset_index().drop(columns=arm)
    per_task = df.groupby(["task", "label", "loss"]).apply(agg, include_groups=False).reset_index()
    return per_loss, per_task




def _row_arm(g: pd.DataFrame) -> dict:
    """The ``weights_kind`` and ``loss_version`` of a cost row's arm: the most common among its unconverged runs,
    else among its finished (ok) runs, else among all its runs (ties: the first met); None where none records
    one."""
    for pick in (g[g["unconverged"].astype(bool)], g[g["status"] == "ok"], g):
        if len(pick):
            break

    def mode(col: str):
        vals = [v for v in pick[col] if v is not None and not (isinstance(v, float) and math.isnan(v))]
        return max(vals, key=vals.count) if vals else None

    return {"weights_kind": mode("weights_kind"), "loss_version": mode("loss_version")}


def _per_run(keys: pd.Series, values: pd.Series) -> dict:
    """``dict(zip(keys, values))`` (the last value of each key wins) without a Python step per row."""
    last = ~pd.Series(keys.to_numpy(), dtype=object).duplicated(keep="last").to_numpy()
    return dict(zip(keys.to_numpy()[last], values.to_numpy()[last]))


def compute(table: pd.DataFrame, metas: list[dict] | None = None, baseline: str = "l1", alpha: float = 0.05,
            n_boot: int = 1000, checks: pd.DataFrame | None = None, scope: VersionScope | None = None,
            check_metas: list[dict] | None = None) -> Stats:
    """Every statistic of the report from the tidy table (and run metadata for cost; ``checks``: the
    rows of the runs' budget checks, :attr:`benchmark.settings.Selection.checks`; ``scope``: which labels
    carry their loss version, decided over the whole table ``table`` is a part of, :func:`labels`;
    ``check_metas``: the records of the budget checks that left no rows, :func:`benchmark.settings.lost_checks` —
    a check that diverged while its run finished sets its arm's status, :func:`benchmark.convergence.diverged_seeds`,
    and is no run of the board's costs)."""
    from benchmark.convergence import arm_budget, budget_gains, budget_stability, diverged_seeds, with_divergences

    blks = blocks(table, scope)  # built once: the notes below read them too
    nonfinite = nonfinite_lines(table, blks, scope)
    sparse = sparse_lines(table, scope)
    table = finite_values(table)
    pairs: list[dict] = []
    cells = cell_table(blks, baseline, alpha, n_boot, pairs)
    ranks, task_ranks = rank_summary(cells) if not cells.empty else (pd.DataFrame(), pd.DataFrame())
    fried = friedman_nemenyi(cells, alpha, blks) if not cells.empty else {"reason": "empty table"}
    items = budget_gains(table, checks, per_item=True)  # per test image: bounds and changes over runs and images
    diverged = diverged_seeds([*(metas or []), *(check_metas or [])], table, checks)
    arms = with_divergences(arm_budget(items), diverged)
    broke = _broke(diverged)
    # {run: its label / loss version}, from each run's last row (as a dict over every row kept), read
    # once per run, not iterated row by row in Python (2 × 10⁶ steps on a large table)
    label_of = _per_run(table["run_id"].astype(str), labels(table, scope)) \
        if not table.empty and "run_id" in table.columns else {}
    version_of = _per_run(table["run_id"].astype(str), table["loss_version"].astype("string").fillna("")) \
        if not table.empty and {"run_id", "loss_version"} <= set(table.columns) else {}
    costs, task_costs = cost_table(metas or [], arms, label_of, version_of, scope)
    if not cells.empty and not is_baseline(cells, baseline).any():
        log.info("baseline %r is not in the results; no baseline comparisons", baseline)
    return Stats(cells, ranks, task_ranks, fried, costs, task_costs, baseline, alpha, n_boot, blks,
                 convergence=budget_stability(items), budget=arms, budget_iterations=_budget_iterations(table, checks),
                 worse=worse_than_input(blks), versions=versions_of(table, metas or [], scope), nonfinite=nonfinite,
                 sparse=sparse, pairs=pd.DataFrame(pairs, columns=PAIR_COLUMNS), test_sets=scored_test_sets(table),
                 unpaired_checks=unpaired_checks_text(checks, items, table, scope),
                 stored_twice=stored_twice_lines(table, scope), broke_with_budget=broke)


def _broke(d: pd.DataFrame) -> dict[tuple[str, str, str, str], list[int]]:
    """{(task, loss, weights kind, loss version): seeds} of :func:`benchmark.convergence.diverged_seeds`' side "run"
    rows (the run at the full budget diverged, its budget check finished): :attr:`Stats.broke_with_budget`."""
    d = d[d["side"] == "run"]
    out: dict[tuple[str, str, str, str], list[int]] = {}
    for *key, seed in zip(d["task"], d["loss"], d["weights_kind"], d["loss_version"], d["seed"]):
        out.setdefault(tuple(key), []).append(int(seed))
    return {k: sorted(set(v)) for k, v in out.items()}


def stored_twice_lines(table: pd.DataFrame, scope: VersionScope | None = None) -> list[str]:
    """One line naming each (task, label) with a seed whose runs are stored under several run ids — the same seed's
    training again in one setting (``--backbone-weights`` is per run: ``random`` and ``pretrained`` of a loss with no
    backbone gave one computation two ids before :func:`benchmark.weights.same_on_random_and_pretrained`, in stores
    kept from then): :func:`blocks` averages them into one run, the unit of every mean, interval and test, which the
    overall table's run count (every id) did not say (tests/test_probe_verdicts2_22.py).
    [] where every seed has one run."""
    if table.empty or not {"run_id", "seed"} <= set(table.columns):
        return []
    runs = table.loc[table["loss"].astype(str) != INPUT].drop_duplicates("run_id")  # one row per run: cheap labels
    runs = runs[runs["seed"].notna()]
    if runs.empty:
        return []
    per = pd.DataFrame({"task": runs["task"].astype(str).to_numpy(), "label": labels(runs, scope).to_numpy(),
                        "seed": runs["seed"].astype("int64").to_numpy()}).groupby(["task", "label", "seed"]).size()
    many = per[per > 1]
    if many.empty:
        return []
    parts = []
    for (task, label), g in sorted(many.groupby(level=[0, 1]), key=lambda kv: (kv[0][0], name_key(kv[0][1]))):
        ids = sorted(set(g.to_numpy().tolist()))
        each = f"{ids[0]} run ids each" if len(ids) == 1 else f"{ids[0]}–{ids[-1]} run ids"
        parts.append(f"{task}/{label} (seed{agree(len(g), '', 's')} {seed_list(g.index.get_level_values(2))}, "
                     f"{each})")
    return ["Runs of one loss and seed stored under several run ids (the seed trained again in this setting: "
            "gpl or `pdl(layers=())` under `--backbone-weights random` and `pretrained` by a plbench before "
            "2026-12-07 are one computation under two ids, one id since; two random backbones are two) count once — "
            "their scores averaged, one seed one run in every mean, interval, test and budget check; the overall "
            "table's `runs` counts every id: " + "; ".join(parts) + "."]


def scored_test_sets(table: pd.DataFrame) -> dict[str, int]:
    """{test set (``dataset``): its distinct images} of the restored runs' rows (the degraded input's aside), by
    name."""
    if table.empty or not {"dataset", "image", "loss"} <= set(table.columns):
        return {}
    t = table.loc[table["loss"] != INPUT, ["dataset", "image"]].drop_duplicates()
    return {str(d): int(n) for d, n in sorted(t.groupby(t["dataset"].astype(str))["image"].nunique().items())}


def unpaired_checks_text(checks: pd.DataFrame | None, items: pd.DataFrame, table: pd.DataFrame,
                         scope: VersionScope | None = None, hint: str = "") -> list[str]:
    """One line when runs of a budget check's setting (half the iterations, :func:`benchmark.settings.is_budget_check`)
    are no run's budget check — no run of their task, loss and seed at the full budget (``items``:
    :func:`benchmark.convergence.budget_gains`' pairs): they are in no table and no test, and nothing said so. l1 and
    l2 × 10 seeds at 150 iterations and 5 more l1 seeds at 300 gave a leaderboard of l1's 5 runs at 300 alone ('one
    loss in denoise'), its 15 runs at 150 read as budget checks of no run (tests/test_probe_verdicts18.py). Names each
    (task, label) with its seeds, and the ``--where`` that shows them (``hint``: the command before it, where that is
    not the one reading it: ``plbench findings`` has none); [] when every check has its run."""
    if checks is None or checks.empty:
        return []
    paired = set(items["check_id"].astype(str)) if "check_id" in items.columns else set()
    rest = checks[~checks["run_id"].astype(str).isin(paired)]
    if not rest.empty:  # ``items`` keeps one check per run: every check paired with a run, where one seed has several
        from benchmark.convergence import paired_checks

        rest = rest[~rest["run_id"].astype(str).isin(paired_checks(table, checks))]
    if rest.empty:
        return []
    rest = rest.assign(_label=labels(rest, scope).to_numpy())
    runs = rest.drop_duplicates("run_id")
    its = _budget_iterations(table, checks)
    at = f" at {its[1]} iterations — half this setting's {its[0]}, so read as budget checks —" if its else \
        " at half this setting's iterations (read as budget checks)"
    where = f" (`{hint}--where iterations={its[1]}` shows them)" if its else ""
    groups = sorted(runs.groupby(["task", "_label"], observed=True)["seed"],
                    key=lambda kv: (str(kv[0][0]), name_key(str(kv[0][1]))))
    named = "; ".join(f"{task}/{label} (seed{agree(len(ss), '', 's')} {seed_list(ss.dropna())})"
                      for (task, label), ss in groups)
    n = len(runs)
    return [f"{plural(n, 'run')}{at} {agree(n, 'has', 'have')} no run of {agree(n, 'its', 'their')} loss and seed at "
            f"the full budget and {agree(n, 'is', 'are')} in no table or test here: {named}{where}."]


def versions_of(table: pd.DataFrame, metas: list[dict], scope: VersionScope | None = None) -> list[str]:
    """For each loss whose rows hold several versions (its registry version and, for a loss file, the
    file's hash: each its own row, :func:`labels`), one line naming each version's label suffix, its
    runs and when its newest run started (``meta.json``'s ``started``, in UTC: a report of the store reads the same on
    every machine), oldest first — so a reader can tell the rows of an edited loss file from those of its earlier
    text."""
    import time

    if table.empty or "loss_version" not in table.columns:
        return []
    t = table[table["loss"] != INPUT]
    if t.empty:
        return []
    full, base = labels(t, scope), labels(t.drop(columns="loss_version"))
    started = {m.get("run_id"): m.get("started") for m in metas}
    out = []
    by_base = pd.DataFrame({"base": base, "full": full, "run": t["run_id"].astype(str)}).groupby("base", sort=False)
    for name, g in sorted(by_base, key=lambda kv: name_key(kv[0])):  # the board's name order: w2 before w10
        if g["full"].nunique() < 2:
            continue
        parts = []
        for label, v in g.groupby("full"):
            runs = sorted(set(v["run"]))
            when = [x for x in (started.get(r) for r in runs) if isinstance(x, (int, float))]
            parts.append((max(when, default=-1.0), label[len(name):].strip(), len(runs)))
        parts.sort(key=lambda p: (p[0], name_key(p[1]), p[2]))  # oldest first; unknown times: v2 before v10
        out.append(f"`{name}`: " + ", ".join(
            f"{suffix} ({plural(n, 'run')}"
            + (f", newest started {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(w))}" if w >= 0 else "") + ")"
            for w, suffix, n in parts))
    return out


def _budget_iterations(table: pd.DataFrame, checks: pd.DataFrame | None) -> tuple[int, int] | None:
    """(iterations of the runs, of their budget checks) from the recorded settings, or None."""
    import json

    def its(t):
        if t is None or t.empty or "setting" not in t.columns:
            return None
        vals = {json.loads(s).get("iterations") for s in t["setting"].dropna().astype(str).unique() if s}
        return vals.pop() if len(vals) == 1 else None

    a, b = its(table[table["loss"] != INPUT] if not table.empty else table), its(checks)
    return (int(a), int(b)) if a and b else None


def seed_agreement(blks: list[Block]) -> dict:
    """Is the ranking stable across seeds? For every (task, metric) block and every pair of seeds,
    the Spearman correlation between the losses' means under one seed and under the other (losses
    run with both seeds, at least 3). Returns ``{"rho": mean ρ, "min": …, "pairs": n blocks × seed
    pairs, "by_task": {task: mean ρ}}`` or ``{"reason": why not}``."""
    from scipy.stats import spearmanr

    rhos, by_task = [], {}
    for b in blks:
        keep = [i for i, lab in enumerate(b.labels) if lab != INPUT]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            run_means = np.nanmean(b.values[keep], axis=2)  # (L, S)
        for s1 in range(run_means.shape[1]):
            for s2 in range(s1 + 1, run_means.shape[1]):
                ok = ~np.isnan(run_means[:, s1]) & ~np.isnan(run_means[:, s2])
                if ok.sum() < 3:
                    continue
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    rho = float(spearmanr(run_means[ok, s1], run_means[ok, s2]).statistic)
                if np.isfinite(rho):
                    rhos.append(rho)
                    by_task.setdefault(b.task, []).append(rho)
    if not rhos:
        return {"reason": "needs ≥ 2 seeds of ≥ 3 losses"}
    return {"rho": float(np.mean(rhos)), "min": float(np.min(rhos)), "pairs": len(rhos),
            "by_task": {t: float(np.mean(v)) for t, v in sorted(by_task.items())}}


def pareto_front(x: np.ndarray, y: np.ndarray, x_higher: bool = True, y_higher: bool = True) -> np.ndarray:
    """Boolean mask of points not dominated by any other (both coordinates at least as good,
    one strictly better)."""
    sx = np.asarray(x, float) * (1 if x_higher else -1)
    sy = np.asarray(y, float) * (1 if y_higher else -1)
    n = len(sx)
    keep = np.ones(n, bool)
    for i in range(n):
        dom = (sx >= sx[i]) & (sy >= sy[i]) & ((sx > sx[i]) | (sy > sy[i]))
        keep[i] = not dom.any() and not (np.isnan(sx[i]) or np.isnan(sy[i]))
    return keep


#: metrics of perceived quality: learned full-reference (LPIPS, DISTS, CONTRIQUE features), models of
#: the visual system (VSI, FSIM, GMSD, NLPD, MAD, VIF) and no-reference quality (MUSIQ, NIQE)
PERCEPTUAL_METRICS = ("lpips", "lpips-vgg", "dists", "vsi", "fsim", "gmsd", "nlpd", "mad", "vif", "musiq", "niqe",
                      "contrique_fr")
#: no-reference quality measures (scored without the clean image): Blau–Michaeli's stand-ins for the paper's
#: perception (findings/blau2018_pd_tradeoff.py). brisque, nima and pi are not among :data:`PERCEPTUAL_METRICS`: no
#: practical margin of a stated source to count them with (:func:`benchmark.findings._unmargined_note` says so)
NO_REFERENCE_METRICS = ("niqe", "musiq", "brisque", "nima", "pi")
#: pixel-fidelity (distortion) metrics, the P–D plane's x axis in this order of preference
DISTORTION_METRICS = ("psnr", "psnry", "ssim", "ssimc", "ms_ssim", "cw_ssim")
#: the P–D plane's perception axis: the first of these present. Learned metrics first (LPIPS and
#: DISTS agree best with human judgements of restored images: Zhang et al. CVPR 2018; Ding et al.
#: TPAMI 2020); then the offline models of the visual system by their agreement with human scores
#: on TID2013 (SRCC: VSI 0.897 > FSIM_c 0.851 > GMSD 0.804, Zhang, Shen, Li, TIP 2014, Table IV;
#: NLPD, Laparra et al. 2016, about GMSD's level; MAD and VIF lower), then no-reference ones.
PERCEPTION_AXIS = ("lpips", "lpips-vgg", "dists", "vsi", "fsim", "gmsd", "nlpd", "mad", "vif", "musiq", "niqe")


def is_perceptual(metric: str) -> bool:
    """True for a metric of :data:`PERCEPTUAL_METRICS` (``contrique_fr@<checkpoint>`` included)."""
    return metric.split("@", 1)[0] in PERCEPTUAL_METRICS


def pd_metrics(metrics) -> tuple[str | None, str | None]:
    """(distortion metric, perceptual metric) for the perception–distortion plane: the first of
    :data:`DISTORTION_METRICS` and of :data:`PERCEPTION_AXIS` present (None where there is none —
    a fidelity metric such as SSIM is never used as the perception axis)."""
    ms = set(metrics)
    dist = next((m for m in DISTORTION_METRICS if m in ms), None)
    perc = next((m for m in PERCEPTION_AXIS if m in ms), None)
    if perc is None:
        perc = next((m for m in sorted(ms) if is_perceptual(m)), None)
    return dist, perc
