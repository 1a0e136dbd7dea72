"""Leaderboards derived from the tidy results table alone; ``write_report`` regenerates them all.

``leaderboard(table)`` → per task, a loss × metric frame of means (mean over images within a
run, then over seeds). :func:`write_report` computes :func:`benchmark.stats.compute` once and
writes, under the results directory:

* ``leaderboard.md`` — notation, overall ranking with cost (ms/it, peak memory, runs, diverged,
  failed), Friedman/critical difference, then ``## <task>`` tables: ``input`` first, cells
  ``mean ± CI``, bold = the best and every loss not significantly worse than another (Holm over the
  column's pairs), ▲/▼ vs the baseline (Holm over the whole table), † circular;
* ``leaderboard.tex`` — the same tables in booktabs LaTeX;
* ``findings.md`` / ``findings.csv`` — published claims checked on these results (:mod:`benchmark.findings`);
* ``results.csv`` (the raw tidy table), ``summary.csv`` (every cell statistic), ``ranks.csv``,
  ``costs.csv``; ``csv_columns.md`` — what every column of every CSV holds (:data:`benchmark.export.CSV_COLUMNS`);
* ``report.html`` — one self-contained page (embedded figures, sortable tables, a tab per task);
* ``leaderboard.png`` (and ``.pdf``/``.svg`` as ``formats`` asks) — per task, loss × metric heatmap coloured
  by the change from the input (the quick look);
* ``figures/`` — rank heatmap, critical-difference diagram, perception–distortion plane,
  per-task metric point plots, training curves, visual comparison grids (PNG + PDF/SVG).
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import time
from pathlib import Path

import pandas as pd

from benchmark.docmarkup import agree, capped_text, isolate_rtl_markdown, plural
from benchmark.results import (
    FINISHED_LOG,
    ResultsStore,
    _foreign,
    atomic_output,
    atomic_write_bytes,
    gone_task,
    respelt_meta,
    stale_lines,
)
from benchmark.stats import INPUT, Stats, _tie_key, compute, labels, loss_label, metric_order, name_key, smoke_test

log = logging.getLogger(__name__)
__all__ = ["leaderboard", "to_markdown", "write_report", "heatmap", "loss_label", "metric_order", "run_means"]


def run_means(table: pd.DataFrame) -> pd.DataFrame:
    """Mean over images per (task, loss label, seed, metric); NaN/±inf scores are missing."""
    from benchmark.stats import finite_values

    t = finite_values(table).copy()
    t["label"] = labels(table)
    t["seed"] = t["seed"].fillna(-1)
    return (t.groupby(["task", "label", "seed", "metric"], observed=True)
             .agg(value=("value", "mean"), higher_is_better=("higher_is_better", "first"))
             .reset_index())


def leaderboard(table: pd.DataFrame, blks=None) -> dict[str, pd.DataFrame]:
    """{task: DataFrame(index=loss label, columns=metric, values=mean over seeds)}: the leaderboard's own
    cell means (:attr:`benchmark.stats.Block.means`, every cell of a column over the same images), so
    ``leaderboard.png`` shows the numbers and order of ``leaderboard.md``. ``blks``: the table's
    :func:`benchmark.stats.blocks` where already built (:attr:`Stats.blocks`), not built again."""
    from benchmark.stats import blocks

    if table.empty:
        return {}
    cols: dict[str, dict[str, pd.Series]] = {}
    for b in blocks(table) if blks is None else blks:
        cols.setdefault(b.task, {})[b.metric] = pd.Series(b.means, index=pd.Index(b.labels, name="label"))
    out = {}
    for task, by_metric in cols.items():
        wide = pd.DataFrame(by_metric)
        wide.columns.name = "metric"
        out[task] = wide.sort_index()
    return out


def higher_map(table: pd.DataFrame) -> dict[str, bool]:
    return table.groupby("metric", observed=True)["higher_is_better"].first().astype(bool).to_dict()


def order_rows(wide: pd.DataFrame, higher: dict[str, bool]) -> pd.DataFrame:
    """Input first, then losses by mean rank over metrics (best first)."""
    ranks = pd.DataFrame({m: wide[m].rank(ascending=not higher.get(m, True)) for m in wide.columns})
    order = ranks.mean(axis=1).sort_values().index.tolist()
    order = [l for l in order if l == "input"] + [l for l in order if l != "input"]
    return wide.loc[order, metric_order(wide.columns)]


def to_markdown(table: pd.DataFrame, stats: Stats | None = None, **kw) -> str:
    """The ``leaderboard.md`` text (see :func:`benchmark.export.markdown`), its figure links aside: with several test
    sets its "By test set" section too (:func:`by_dataset_markdown`), which the pooled note's "(By test set, below)"
    points to; ``kw`` goes to :func:`benchmark.stats.compute` when ``stats`` is not given."""
    from benchmark.export import by_dataset_markdown as by_dataset
    from benchmark.export import markdown

    stats = stats if stats is not None else compute(table, **kw)
    return markdown(stats) + by_dataset(table, stats)


def by_dataset_markdown(table: pd.DataFrame, stats=None) -> str:
    """The per-test-set means (:func:`benchmark.export.by_dataset_markdown`)."""
    from benchmark.export import by_dataset_markdown as by_dataset

    return by_dataset(table, stats)


def heatmap(table: pd.DataFrame, path: Path, worse: pd.DataFrame | None = None, blks=None,
            stats: Stats | None = None, formats=("png",)) -> Path | None:
    """One panel per task: loss × metric, colour = the change from the degraded input (the first
    row), text = the mean value as the task tables print it (``stats``' decimals, :func:`heatmap_panels`);
    ``worse``: the runs worse than the input (:attr:`Stats.worse`), flagged ⚠ as in the tables
    (:func:`benchmark.figures.leaderboard_heatmap`, in each of ``formats`` as every figure); ``blks``: as for
    :func:`leaderboard`."""
    from benchmark.figures import leaderboard_heatmap, leaderboard_order, lost_labels

    panels = heatmap_panels(table, blks, stats)
    if not panels:  # none drawn: an earlier report's figure removed
        return leaderboard_heatmap({}, path, formats=formats)
    order, lost, partial = None, {}, set()
    if stats is not None:  # a loss with no restoration in a task (every run diverged): a row saying so, as its table's
        lost = {(t, lab): status for t in panels for lab, status in lost_labels(stats, t).items()}
    if stats is not None and not stats.ranks.empty:  # the overall ranking's order (leaderboard.md, rank heatmap),
        # then any loss it does not rank (every run diverged), as the figure would order them
        ranked = stats.ranks["label"].tolist()
        order = [lab for lab in leaderboard_order(panels) if lab == INPUT] + ranked + [
            lab for lab in leaderboard_order(panels) if lab != INPUT and lab not in ranked]
        if "complete" in stats.ranks:  # ranked over fewer blocks, listed last: marked as in the tables
            partial = set(stats.ranks.loc[~stats.ranks["complete"].astype(bool), "label"])
    smoke = smoke_test(stats, short=True) if stats is not None else ""  # as every other figure says it
    return leaderboard_heatmap(panels, path, worse, order, lost, formats, partial, smoke)


def heatmap_panels(table: pd.DataFrame, blks=None, stats: Stats | None = None
                   ) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """{task: (rank within each metric, formatted means)}, input first, for :func:`heatmap`. A mean is
    printed with its (task, metric) column's decimals in the task tables
    (:func:`benchmark.export.metric_decimals` of ``stats``), so the figure, ``leaderboard.md``, ``.tex``
    and ``report.html`` show one number alike; without ``stats``, :func:`benchmark.export.column_decimals`
    of the column's means (as :func:`benchmark.export.by_dataset_markdown` without ``stats``); a circular cell (the loss
    trained on that metric, ``stats``' ``circular``) "0.212 †", as the tables mark it."""
    from benchmark.export import column_decimals, metric_decimals

    boards = leaderboard(table, blks)
    higher = higher_map(table) if boards else {}
    panels = {}
    for task, wide in boards.items():
        wide = order_rows(wide, higher)
        # equal means up to float noise tie, as in the task tables (stats._tie_key)
        ranks = pd.DataFrame({m: pd.Series(_tie_key(wide[m].to_numpy()), index=wide.index)
                              .rank(ascending=not higher.get(m, True)) for m in wide.columns})
        ranks.columns = [f"{m} {'↑' if higher.get(m, True) else '↓'}" for m in wide.columns]
        text = pd.DataFrame(index=wide.index)
        # a cell of a loss trained on its metric: † as the tables mark it (the figure reads the number before it)
        c = stats.cells if stats is not None else pd.DataFrame()
        circ = set() if c.empty or "circular" not in c.columns else set(
            map(tuple, c.loc[(c["task"] == task) & c["circular"].astype(bool), ["label", "metric"]].to_numpy()))
        for m in wide.columns:
            dec = metric_decimals(stats, task, m) if stats is not None else column_decimals(wide[m], [], [])
            text[m] = ["" if pd.isna(v) else f"{v:.{dec}f}" + " †" * ((lab, m) in circ)
                       for lab, v in zip(wide.index, wide[m])]
        panels[task] = (ranks, text)
    return panels


def _in_setting(meta: dict, settings: list[dict]) -> bool:
    """Does a failed or diverged run (it has no rows) belong to the chosen setting? Runs recorded
    without a setting belong when the chosen rows record none either."""
    if not meta.get("setting"):
        return not any(settings)
    return any(meta["setting"] == s for s in settings)


def task_file_name(task: str) -> str:
    """A task's name in a file name (``figures/metrics_<this>``, ``compare/<spec>_<this>_pd_plane``):
    :func:`benchmark.results.file_name`'s rule, as ``compare/`` names a spec (:func:`benchmark.compare._safe`), at most
    69 characters (a 300-character task name made a file name past the disk's 255), its hash after ``_``: never
    ``-<digits>``, which names a figure's numbered part. A plugin's ``SR4`` beside ``sr4`` (or ``Dé`` beside ``de``)
    are two files on a case-insensitive disk (macOS, Windows) too."""
    from benchmark.results import file_name

    return file_name(task, "task", width=69, sep="_")


def task_figure(kind: str, task: str) -> str:
    """The file name (no suffix) of a task's figure ``kind`` (``metrics``, ``visual``): ``<kind>_<task>``
    (:func:`task_file_name`)."""
    return f"{kind}_{task_file_name(task)}"


def make_figures(stats: Stats, store: ResultsStore, metas: list[dict], out: Path, formats=("png", "pdf"),
                 visual: bool = True, run_ids: set[str] | None = None, store_tasks=None) -> dict[str, list[Path]]:
    """Every figure of :mod:`benchmark.figures` under ``out``; {name: paths (PNG first)}. Without
    ``visual``, an earlier visual grid stays while its task is in ``store_tasks`` (the tasks the store
    holds results of; default: this report's)."""
    from benchmark import figures as F

    formats = F.report_formats(formats)  # PNG too: what report.html embeds and leaderboard.md links
    styles = F.stats_styles(stats, metas)  # one colour per loss label in every figure
    figs = {"rank_heatmap": F.rank_heatmap(stats, out / "rank_heatmap", formats, styles),
            "cd_diagram": F.cd_diagram(stats, out / "cd_diagram", formats, styles),
            "pd_plane": F.pd_plane(stats, out / "pd_plane", formats, styles=styles),
            "training_curves": F.training_curves(metas, out / "training_curves", formats, styles)}
    tasks = sorted(stats.cells["task"].unique()) if not stats.cells.empty else []
    for t in tasks:
        figs[f"metrics_{t}"] = F.metric_points(stats, t, out / task_figure("metrics", t), formats, styles)
    if visual:
        for t in tasks:
            figs[f"visual_{t}"] = F.visual_grid(store, t, out / task_figure("visual", t), formats, run_ids=run_ids,
                                                lost=F.lost_labels(stats, t))
    else:
        log.debug("visual comparison grids not drawn (`plbench report` draws them; --no-visual skips them)")
    # figure files of an earlier report that this one did not write (another setting, a task no longer
    # reported, another format) go; not redrawn (they re-run nets), the visual grids of the tasks still in
    # the results stay: a grid's own report (`plbench run --tasks sr4`) holds its tasks alone
    written = [p for ps in figs.values() if ps for p in ps]
    held = set(tasks) | set(store_tasks or ())
    keep = written if visual else written + [
        p for p in out.glob("visual_*") if p.is_file()
        and any(re.fullmatch(re.escape(task_figure("visual", t)) + r"(-\d+)?", p.stem) for t in held)]
    F.prune_figures(out, keep)
    return {k: v for k, v in figs.items() if v}


def coverage_table(store: ResultsStore, run_ids, stale: dict[str, dict] | None = None) -> pd.DataFrame:
    """Every metric a run left unscored or scored on only some images, and why: one row per
    (metric, status, reason) with the number of runs (``status``: skipped | unscorable | partial | stale — scored
    with another file than the metric's file now, ``contrique_fr@<checkpoint>`` retrained in place and not re-scored
    yet: :meth:`ResultsStore.stale_metrics`). ``stale``: :meth:`ResultsStore.stale_scores` of ``run_ids`` (or of more
    runs: the others are left out), where already read; default: read here."""
    from benchmark.metric_code import changed

    rows = []
    for rid in sorted(run_ids):
        cov = store.coverage(rid)
        for status in ("skipped", "unscorable", "partial"):
            for metric, reason in cov[status].items():
                rows.append({"metric": metric, "status": status, "reason": reason, "run_id": rid})
    ids = set(run_ids)
    stale = store.stale_scores(ids) if stale is None else stale  # the findings' reading too (findings.check_store)
    for metric, st in stale.items():
        what = changed(metric)  # fix, code (a plugin's), file or code, file
        rows += [{"metric": metric, "status": "stale", "run_id": rid, "reason": (
            "the same `plbench run` re-scores them with today's (a run whose net.pt is gone keeps the earlier "
            "scores)" if what == "fix" else
            f"its {what} is another now (sha256 {st['sha256'][:8]}…): the same `plbench run` re-scores "
            f"them with it (a run whose net.pt is gone keeps the earlier {what}'s scores)")}
            for rid in st["runs"] if rid in ids]
    if not rows:
        return pd.DataFrame(columns=["metric", "status", "reason", "runs"])
    df = pd.DataFrame(rows)
    return (df.groupby(["metric", "status", "reason"]).agg(runs=("run_id", "nunique")).reset_index()
              .sort_values(["status", "metric"]).reset_index(drop=True))


def in_flight_lines(store: ResultsStore, held: dict[str, str], comparison: bool = False) -> list[str]:
    """The note of a board written while another process trains runs of its store (``held``:
    :meth:`ResultsStore.in_flight`): how many, by whom, that they are not in it and what adds them. ``comparison``:
    the note of ``compare/<loss>.md``, which only the same ``plbench compare`` writes again."""
    from benchmark.results import copied_mid_grid_hint, held_from_another_machine

    if not held:
        return []
    n, who = len(held), list(dict.fromkeys(held.values()))
    # held from another machine: a node of a shared store, or the machine this store was copied from mid-grid
    away = sum(1 for h in held.values() if held_from_another_machine(h))
    return [f"{plural(n, 'run')} in this results directory {agree(n, 'was', 'were')} being trained by "
            f"another process when this {'comparison' if comparison else 'board'} was written ({'; '.join(who[:2])}"
            f"{', …' if len(who) > 2 else ''}): not in these tables; "
            + (f"the same `plbench compare` once {agree(n, 'it finishes', 'they finish')} adds "
               f"{agree(n, 'it', 'them')}" if comparison else
               f"`plbench report --out {shlex.quote(str(store.root))}` once {agree(n, 'it finishes', 'they finish')}"
               f" adds {agree(n, 'it', 'them')} (a `plbench run` writes this board again when it ends)")
            + (f"; {'held' if away == n else f'{away} of them held'} from another machine: "
               f"{copied_mid_grid_hint(store.root, away)}" if away else "")]


def stopped_lines(store: ResultsStore, comparison: bool = False,
                  stopped: dict[str, tuple[Path, dict | None, str]] | None = None) -> list[str]:
    """The note of a board written while runs of its store stand stopped with a checkpoint (:meth:`ResultsStore.
    stopped_with_checkpoint`: a grid interrupted, a job killed): not in its tables, each named by what its checkpoint
    says (task/loss seed, the iteration it stopped at), and the command that resumes them; a run :meth:`ResultsStore.
    superseded` (its config and code version finished since under another id, in the tables) left out, as ``plbench
    check`` names it. Nothing read (nor torch imported) where no run is stopped so. ``comparison``: the note of
    ``compare/<loss>.md``, which the same ``plbench compare`` writes again. ``stopped``: :func:`standing_stopped` as the
    caller read it (read here when None: each of its checkpoints is a file read)."""
    stopped = standing_stopped(store) if stopped is None else stopped
    if not stopped:
        return []
    named, unread = [], 0
    for rid, (_, rec, foreign) in sorted(stopped.items()):
        if rec is None:  # cut short, empty, another format: no run resumes from it
            unread += 1
            named.append(f"run {rid}, its checkpoint unreadable: it trains again from iteration 0 (`plbench check "
                         f"--out {shlex.quote(str(store.root))}` says why)")
            continue
        cfg = (rec.get("fingerprint") or {}).get("config") or {}
        what = (f"{cfg.get('task')}/{cfg.get('loss')} seed {cfg.get('seed')}" if cfg.get("task") and cfg.get("loss")
                else f"run {rid}")
        if isinstance(rec.get("iteration"), int):
            what += f", stopped at iteration {rec['iteration']}" + (
                f" of {cfg['iterations']}" if isinstance(cfg.get("iterations"), int) else "")
        if foreign:  # written for another run, which this one ignores, as check says
            unread += 1
            what += (f" (run {rid}: its checkpoint {foreign}; it trains again from iteration 0, `plbench check --out "
                     f"{shlex.quote(str(store.root))}` says why)")
        named.append(what)
    n = len(named)
    return [f"{plural(n, 'run')} of this results directory {agree(n, 'stands', 'stand')} stopped with a checkpoint, "
            f"not finished ({'; '.join(named[:3])}{', …' if n > 3 else ''}): not in these tables; the same `plbench "
            f"run` (or `plbench compare`, for a compared loss) {'resumes' if not unread else 'resumes or retrains'} "
            f"{agree(n, 'it', 'them')} and writes the board "
            "again" + (", then the same `plbench compare` writes this comparison again" if comparison else "")]


def standing_stopped(store: ResultsStore) -> dict[str, tuple[Path, dict | None, str]]:
    """{run id: (its checkpoint, the checkpoint's record — None where unreadable —, why the run ignores it: written for
    another run, :func:`benchmark.results._foreign`, "" where it resumes from it)} of the runs of ``store`` stopped
    with a checkpoint (:meth:`ResultsStore.stopped_with_checkpoint`) but those :meth:`ResultsStore.superseded` (their
    config and code version finished since under another id: in the tables, ``plbench check`` names them). A record
    of None or a reason: the same ``plbench run`` retrains the run from iteration 0, it does not resume it. The one
    reading of :func:`stopped_lines` and compare's refusal of an empty field (tests/test_probe_r3find25.py); nothing
    read (nor torch imported) where no run is stopped so."""
    from benchmark.ckptrecord import record

    stopped = store.stopped_with_checkpoint()
    records = {ckpt: record(ckpt) for ckpt in stopped.values()}  # each read once: superseded and _foreign take it
    # finished since under another id
    superseded = store.superseded({rid: [ckpt] for rid, ckpt in stopped.items()}, records)
    out = {}
    for rid, ckpt in sorted(stopped.items()):
        if rid not in superseded:
            rec = records[ckpt]
            out[rid] = (ckpt, rec, "" if rec is None else _foreign(ckpt, rid, rec))
    return out


def unfinished_lines(store: ResultsStore, stopped: dict[str, tuple[Path, dict | None, str]] | None = None) -> list[str]:
    """The runs of ``store`` a board leaves out for not being finished, in its notes: those another process trains
    now (:func:`in_flight_lines`), then those stopped with a checkpoint (:func:`stopped_lines`). The board's and
    findings.md's, one rule (findings.md said nothing of either: tests/test_probe_lfind25.py). ``stopped``: as
    :func:`stopped_lines` takes it."""
    return in_flight_lines(store, store.in_flight()) + stopped_lines(store, stopped=stopped)


def left_out_lines(store: ResultsStore, settings, metas: list[dict], task: str | None = None,
                   every: list[dict] = ()) -> list[str]:
    """The notes on runs a board of ``settings`` leaves out or renames, after :meth:`ResultsStore.table` (which
    finds the damaged runs): each damaged run (of ``task``'s runs, when given: its meta names the task, or
    nothing says; ``every``: the store's metas, which say it), each run whose rows have no meta.json, each loss
    spelt another way in ``metas``. The leaderboard's and ``compare``'s, one text."""
    root = shlex.quote(str(store.root))
    tasks = {m.get("run_id"): (m.get("config") or {}).get("task") for m in every}
    return [
        f"damaged run {rid} left out ({why}): `plbench check --out {root} --repair`, "
        "then the same `plbench run`, re-scores or retrains it" for rid, why in sorted(store.damaged.items())
        if task is None or tasks.get(rid) in (None, task)] + [
        f"run {rid} ({what}) left out: its rows have no meta.json (interrupted before its record, or the record "
        f"was deleted or not copied); `plbench check --out {root}` names it"
        for rid, what in sorted(store.unrecorded(settings).items())] + [
        f"`{old}` is the loss `{new}` spelt another way (recorded so by runs made before a run took the spelling "
        f"its results directory records): its runs are counted as `{new}`'s, one row"
        for old, new in sorted(store.respelt.items())
        if old in {str(m.get("config", {}).get("loss_as_recorded")) for m in metas}]


def coverage_lines(cov: pd.DataFrame, n_runs: int) -> list[str]:
    """Plain-text lines for :func:`coverage_table` (Markdown, HTML and ``compare`` show them)."""
    what = {"skipped": "not scored", "unscorable": "not scored (no test image fits it)",
            "partial": "scored on some images only", "stale": "scored with another file than today's"}
    from benchmark.metric_code import scored_with

    return [f"`{r.metric}` {'scored ' + scored_with(r.metric) if r.status == 'stale' else what[r.status]} in {r.runs} "
            f"of {plural(n_runs, 'run')} (degraded-input scoring included): {r.reason}" for r in cov.itertuples()]


def resolve_baseline(store: ResultsStore, name: str, new=(), flag: str = "--baseline",
                     what: str = "these results", table: pd.DataFrame | None = None) -> str:
    """The baseline ``name`` names, as :func:`benchmark.stats.compute` takes it: a loss spec of the store (or of
    ``new``, the specs a ``compare`` trains) — a spelling the store recorded for it
    (:meth:`ResultsStore.loss_spellings`) or any other spelling of the same loss
    (:func:`benchmark.lossfn.loss_identity`: ``charbonnier(eps=1e-2)`` is the table's ``charbonnier(eps=0.01)``) —
    or a row's label as the leaderboard prints it (``vgg [vgg16:random]``,
    ``my_loss (v2)``), which picks that row where the loss has several. Anything else is one line with suggestions.
    ``table``: the store's :meth:`~ResultsStore.table`, when already read."""
    from benchmark.errors import UserError, did_you_mean

    name = name.strip()
    name = store.loss_spellings().get(name, name)
    table = store.table() if table is None else table
    rest = table[table["loss"].astype(str) != INPUT] if not table.empty else table
    specs = sorted(set(rest["loss"].astype(str)) | set(new) if not rest.empty else set(new), key=name_key)
    if name in specs:
        return name
    rows = sorted(set(labels(rest)), key=name_key) if not rest.empty else []
    if name in rows:
        return name
    from benchmark.lossfn import loss_identity

    def identity(spec: str):
        try:
            return loss_identity(spec)
        except Exception:  # noqa: BLE001 - a loss this code does not know (a loss file not loaded), a label
            return None

    mine = identity(name)
    same = [s for s in specs if mine is not None and identity(s) == mine]
    if len(same) == 1:
        return same[0]
    have = list(dict.fromkeys(specs + rows))
    raise UserError(f"{flag} {name!r} is not a loss of {what}"
                    + (did_you_mean(name, have, n=3, cutoff=0.5) or f" (they have {', '.join(have)})"))


def baseline_loss(table: pd.DataFrame, baseline: str) -> str:
    """The loss spec of ``baseline`` (:func:`resolve_baseline`): itself when it is a spec of ``table``'s rows, else
    the spec of the row it labels (``vgg [vgg16:random]`` → ``vgg``), as a command that trains or times it needs."""
    if table.empty or baseline in set(table["loss"].astype(str)):
        return baseline
    rest = table[table["loss"].astype(str) != INPUT]
    spec = rest.loc[(labels(rest) == baseline).to_numpy(), "loss"].astype(str).unique() if not rest.empty else []
    return str(spec[0]) if len(spec) else baseline


def baseline_here(full: pd.DataFrame, table: pd.DataFrame, baseline: str, scope=None) -> str:
    """``baseline`` (:func:`resolve_baseline`, over the whole store ``full``) as the selected ``table`` labels its
    runs: a row label of the store (``mine (v2)``: another version of it is in some setting) names the same runs in a
    setting that prints them ``mine`` (no other version there); itself when it is a spec or label of ``table``, or
    names no run of it. ``scope``: the :class:`~benchmark.stats.VersionScope` ``table`` is labelled with, if any."""
    if table.empty or baseline in set(table["loss"].astype(str)):
        return baseline
    rest = table[table["loss"].astype(str) != INPUT]
    here = labels(rest, scope)
    if rest.empty or baseline in set(here):
        return baseline
    whole = full[full["loss"].astype(str) != INPUT]
    runs = set(whole.loc[(labels(whole) == baseline).to_numpy(), "run_id"].astype(str))
    mine = set(here[rest["run_id"].astype(str).isin(runs).to_numpy()])
    return mine.pop() if len(mine) == 1 else baseline


def grid_profile(root: Path, setting: dict) -> str | None:
    """The profile of the newest resolved grid under ``root/grids/`` (what ``plbench run`` saves)
    whose net, iterations, batch size and crop are those of ``setting``; None when none matches. The grid's crop
    is the one ``--crop`` gave: it matches the crop the setting's task records for it (sr4 at 42: 40,
    :meth:`benchmark.task.Task.train_crop`)."""
    import yaml

    keys = [k for k in ("net", "iterations", "batch_size", "crop") if k in setting]
    if not keys:
        return None
    task = None
    if "crop" in keys and isinstance(setting.get("task"), str):
        from benchmark.task import build_task

        try:
            task = build_task(setting["task"], **(setting.get("task_params") or {}))
        except Exception:  # noqa: BLE001 - a task no longer registered: its crop is matched as recorded
            task = None

    def same(k, given) -> bool:
        if k == "crop" and task is not None and isinstance(given, int) and not isinstance(given, bool):
            return given == setting[k] or task.train_crop(given) == setting[k]  # or its runs stored before
        return given == setting[k]

    from benchmark.results import grid_order

    for path in sorted((Path(root) / "grids").glob("*.yaml"), key=grid_order, reverse=True):
        try:
            grid = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(grid, dict) and grid.get("profile") and all(same(k, grid.get(k)) for k in keys):
            return str(grid["profile"])
    return None


def _lost_here(meta: dict, settings: list[dict], lost_only: bool, where: dict | None, keep: set[str] | None
               ) -> bool:
    """Does a failed or diverged run of a setting with no scored run belong to this report? With nothing scored
    (``lost_only``), when ``where``/``keep`` choose it; else when its setting is a task the chosen settings lack,
    the rest of it theirs (the same grid: a task whose every run diverged beside tasks that ran)."""
    from benchmark.config import setting_json
    from benchmark.settings import _matches, _shared

    s = meta.get("setting")
    if not isinstance(s, dict):
        return lost_only and not where and keep is None
    if (keep is not None and setting_json(s) not in keep) or not _matches(str(s.get("task")), s, where or {}):
        return False
    if lost_only:
        return True
    if s.get("task") in {c.get("task") for c in settings}:
        return False
    return any(setting_json(_shared(s)) == setting_json(_shared(c)) for c in settings)


#: gone runs named one line each by :func:`gone_lines`; more (a mass deletion) are one summary line
GONE_NAMED = 10


def renamed_gone(store: ResultsStore, gone: dict[str, str], every: dict[str, str] | None = None) -> dict[str, str]:
    """{run id: the name in ``runs/`` to rename back} of the ``gone`` runs (:meth:`ResultsStore.gone`) renamed,
    not lost (:meth:`ResultsStore.renamed`: a copy, else a link, the first by name): what :func:`gone_lines` names
    with its ``mv``, and ``check`` not again. ``every``: :meth:`ResultsStore.renamed` as the caller already has it
    (None: asked here). Nothing gone: ``runs/`` is not listed again."""
    out: dict[str, str] = {}
    for c, rid in ((store.renamed() if every is None else every) if gone else {}).items():
        if rid in gone:
            out.setdefault(rid, c)
    return out


def garbled_log_line(store: ResultsStore, n: int | None = None, shown: str = "") -> str | None:
    """The line a report says once (and ``plbench check``, with ``n`` and the lines ``shown``) where the store's
    finished.log holds lines that are no note (a sync tool's copy, an editor's save, a line cut short): as its last
    :meth:`~benchmark.results.ResultsStore.gone` read counted them without ``n``
    (:attr:`~benchmark.results.ResultsStore.finished_garbled`: the file is not read again); None where none."""
    if not (n := store.finished_garbled if n is None else n):
        return None
    return (f"{store.root / FINISHED_LOG}: {plural(n, 'line')} unreadable" + (f" ({shown})" if shown else "")
            + ": a finished run noted only there goes unnamed by check and report if its folder is deleted; "
            f"`plbench check --out {shlex.quote(str(store.root))} --repair` keeps the file aside and writes it again "
            "of its readable lines and a note of each finished run here")


def gone_lines(store: ResultsStore, gone: dict[str, str] | None = None, *, check: bool = False,
               every: dict[str, str] | None = None) -> list[str]:
    """One line per finished run (the store's finished.log, the last report's ``results.csv``) whose folder is gone,
    or holds none of its results (:meth:`~benchmark.results.ResultsStore.gone`, or ``gone`` as it returned): this
    report leaves it out — said here (a warning and the leaderboard's notes), not forgotten in silence. More than
    :data:`GONE_NAMED` (a cleanup gone wrong) are one line: how many, per task, the first ids, and where every id is.
    ``check``: as ``plbench check`` says it. ``every``: :meth:`~benchmark.results.ResultsStore.renamed` as the caller
    already has it (None: asked here, where a run is gone)."""
    gone = store.gone() if gone is None else gone
    fix = "put {it} back, or the same `plbench run` retrains {them}"
    if check:
        fix += ("; deleted on purpose: the next `plbench report` notes {them}, and {they} {are} not named again")
    if len(gone) <= GONE_NAMED:
        def where(rid):  # a folder there that holds none of the run's files (ResultsStore._holds_none), or none
            d = store.run_dir(rid)
            if d.is_symlink() and not d.exists():  # its results on a disk not mounted now: not lost, nor retrained
                return f"its folder runs/{rid} is a link to {os.readlink(d)}, which is not there"
            if d.exists() and not d.is_dir():  # saved back as a file by a tool: `plbench run` fails the run on it
                return f"runs/{rid} is a file, not its folder (move it out of runs/ first)"
            return (f"its folder runs/{rid} holds none of its results (a copy cut short, or its files deleted)"
                    if d.is_dir() else f"its folder runs/{rid} is gone (deleted, or left out of a copy)")

        what = ("finished in this store, but {where}: its results are lost and the next report leaves it out; "
                if check else "left out: finished in this store, but {where}; ")
        sep = ": " if check else " "
        def it(rid):  # what to put back: a folder cut short by a copy is there, its files are not
            return "its files" if store.run_dir(rid).is_dir() else "the folder" if check else "it"

        # a finished run's folder renamed (`mv runs/<id> runs/best`: a copy holding its record, no run; or moved
        # elsewhere and linked in under another name) — named where it is, with the mv that puts it back
        renamed = renamed_gone(store, gone, every)

        def line(rid, w):
            d = store.run_dir(rid)
            if c := renamed.get(rid):
                left = ": the next report leaves it out" if check else ""
                way = store.runs / c
                how = (f"moved to {os.readlink(way)} and linked in as runs/{c}, under which no report reads it{left}; "
                       "rename the link" if way.is_symlink() else
                       f"renamed runs/{c}, where no report reads it{left}; rename it back")
                return (f"run {rid} ({w}){sep}{'' if check else 'left out: '}finished in this store, but its folder "
                        f"is gone, {how}: mv {shlex.quote(str(way))} {shlex.quote(str(d))}")
            if d.is_symlink() and not d.exists():
                return (f"run {rid} ({w}){sep}finished in this store, but {where(rid)} (a disk not mounted, a folder "
                        f"moved?): {'its results cannot be read and ' if check else ''}"
                        f"{'the next report leaves' if check else 'left'} it out; mount or restore it (`plbench run` "
                        "trains nothing through the link), or remove the link to train it again here")
            return f"run {rid} ({w}){sep}" + (what + fix).format(where=where(rid), it=it(rid), them="it", they="it",
                                                                 are="is")

        return [line(rid, w) for rid, w in sorted(gone.items())]
    from collections import Counter

    # those renamed (ResultsStore.renamed: a copy or a link under another name) are no deletion: a line of their own
    renamed = renamed_gone(store, gone, every)
    lost = {r: w for r, w in gone.items() if r not in renamed}
    out = []
    if lost:
        tasks = Counter(gone_task(w) for w in lost.values())
        first, per_task = sorted(lost)[:3], ", ".join(f"{t}: {n}" for t, n in sorted(tasks.items()))
        n, more = len(lost), ", …" if len(lost) > 3 else ""
        out.append(f"{plural(n, 'run')} finished in this store {agree(n, 'is', 'are')} gone ({per_task}): "
                   f"{agree(n, 'its folder was', 'their folders were')} deleted, left out of a copy or "
                   f"{agree(n, 'holds', 'hold')} none of {agree(n, 'its', 'their')} results "
                   f"(runs/{', runs/'.join(first)}{more}; {FINISHED_LOG} lists every id)"
                   + (f"; {agree(n, 'its results are', 'their results are')} lost and the next report leaves "
                      f"{agree(n, 'it', 'them')} out" if check else "; left out") + "; "
                   + fix.format(it=agree(n, "the folder", "the folders"), them=agree(n, "it", "them"),
                                they=agree(n, "it", "they"), are=agree(n, "is", "are")))
    if renamed and not check:  # check names each, with its mv
        n, first = len(renamed), sorted(renamed.items())[:3]
        out.append(f"{plural(n, 'run')} finished in this store {agree(n, 'is', 'are')} renamed in runs/ ("
                   + ", ".join(f"runs/{c} is run {rid}" for rid, c in first) + (", …" if n > 3 else "")
                   + f"), where no report reads {agree(n, 'it', 'them')}; left out; rename each back to runs/<its "
                   f"id> (`plbench check --out {shlex.quote(str(store.root))}` names each with its mv)")
    return out


def lost_runs_line(metas: list[dict], root: Path, every: bool = True) -> str:
    """One line for runs that diverged or failed in settings with no scored run (``metas``: those runs' records;
    ``every``: the whole report's runs): how many, of which tasks and losses, and where their records are —
    "no results" alone would hide an overnight grid, or a task of it, that was lost."""
    from collections import Counter

    by = Counter((str(m.get("config", {}).get("loss")), str(m.get("status"))) for m in metas)
    losses = "; ".join(f"{loss} ({', '.join(f'{n} {st}' for (lo, st), n in sorted(by.items()) if lo == loss)})"
                       for loss in sorted({lo for lo, _ in by}, key=name_key))
    tasks = ", ".join(sorted({str(m.get("config", {}).get("task")) for m in metas}))
    all_of = "the one run" if len(metas) == 1 else f"every one of the {len(metas)} runs"
    head = (f"no results: {all_of} recorded here diverged or failed" if every else
            f"no results for {tasks}: {all_of.replace('the', 'its', 1)} diverged or failed")
    # past NOTE_LINES lines of TEX_LINE characters counted (capped_text): 200 runs of 40 losses named made one log
    # line of 2300 characters
    from benchmark.export import TEX_LINE, TOO_MANY

    kinds = Counter(str(m.get("status")) for m in metas)
    counted = (f"{plural(len({lo for lo, _ in by}), 'loss', 'losses')} ("
               + ", ".join(f"{n} {st}" for st, n in sorted(kinds.items())) + f"; {TOO_MANY})")
    return (f"{head} — {capped_text(losses, counted, TEX_LINE)}; their records: {Path(root) / 'runs'}/<run id>/"
            "meta.json (costs.csv and the leaderboard's tables list them)")


def _header(path: Path) -> list[str]:
    """The column names of the CSV at ``path`` (none for an empty file: a table with no columns)."""
    import csv

    with open(path, newline="", encoding="utf-8") as f:
        return next(csv.reader(f), [])


def write_report(store: ResultsStore, *, baseline: str = "l1", alpha: float = 0.05, n_boot: int = 1000,
                 formats=("png", "pdf"), visual: bool = True, html: bool = True, where: dict | None = None,
                 keep: set[str] | None = None, hint: str = "plbench report",
                 baseline_flag: str | None = None, where_name: str = "--where",
                 findings_out: list | None = None, stale_out: dict | None = None,
                 superseded_out: dict | None = None, gone_out: dict | None = None,
                 stopped_out: dict | None = None) -> dict[str, Path]:
    """Derive every output listed in the module docstring; returns {kind: written path}. ``findings_out``: a list the
    judged findings are appended to (``plbench compare`` reads what its new loss changed, judging them once more);
    ``stale_out``: a dict given the store's stale scores they were judged with
    (:meth:`~benchmark.results.ResultsStore.stale_scores` of every run, read once), which that judging reuses;
    ``superseded_out``: a dict given the failed runs left out as superseded
    (:meth:`~benchmark.results.ResultsStore.standing_metas`, worked out once), which compare's summary reuses;
    ``gone_out``: a dict given :meth:`~benchmark.results.ResultsStore.gone` as read before this report noted them, and
    ``stopped_out`` one given :func:`standing_stopped` (finished.log and each stopped run's checkpoint read once:
    compare's summary names them too, tests/test_probe_compare26.py).

    ``where_name``: how a ``where`` field the results lack is named (``where`` from :func:`benchmark.api.report`).

    ``baseline_flag``: ``baseline`` is a user's spelling (a loss in any spelling, or a row's label), resolved
    against the table read here (:func:`resolve_baseline`; a typo is a one-line error naming this flag, before
    anything is written), so the store is read once, not once to check the name and again to report.

    The table is first narrowed to one setting (:func:`benchmark.settings.select`: ``where``
    filters, or ``keep``, the settings of a grid just run); a directory mixing settings without a
    choice is a one-line :class:`~benchmark.errors.UserError`. Written whole under the store's report lock
    (:meth:`~benchmark.results.ResultsStore.report_lock`): a second report at once waits, so the two never
    mix their outputs."""
    with store.report_lock():
        return _write_report(store, baseline=baseline, alpha=alpha, n_boot=n_boot, formats=formats, visual=visual,
                             html=html, where=where, keep=keep, hint=hint, baseline_flag=baseline_flag,
                             where_name=where_name, findings_out=findings_out, stale_out=stale_out,
                             superseded_out=superseded_out, gone_out=gone_out, stopped_out=stopped_out)


def _write_report(store: ResultsStore, *, baseline: str, alpha: float, n_boot: int, formats, visual: bool,
                  html: bool, where: dict | None, keep: set[str] | None, hint: str,
                  baseline_flag: str | None = None, where_name: str = "--where",
                  findings_out: list | None = None, stale_out: dict | None = None,
                  superseded_out: dict | None = None, gone_out: dict | None = None,
                  stopped_out: dict | None = None) -> dict[str, Path]:
    """:func:`write_report`'s work, with the store's report lock held."""
    from benchmark import export
    from benchmark.data import overlap_lines
    from benchmark.errors import UserError
    from benchmark.settings import Selection, _matches, select, settings_of, task_conventions

    t0 = time.perf_counter()
    full = store.table(categories=True)  # a fraction of the memory through reading, selection, statistics, figures
    if baseline_flag is not None:
        baseline = resolve_baseline(store, baseline, flag=baseline_flag, table=full)
    # a failed run whose config finished since under another id (its --loss-file fixed): no command retries it, check
    # names it superseded and merge does not copy it — not a failure of a loss this board ranks; one note says so
    metas_all, superseded = store.standing_metas()
    if superseded_out is not None:
        superseded_out.update(superseded)
    try:
        chosen = select(full, where=where, keep=keep, hint=hint, where_name=where_name)
    except UserError:  # --where chose a setting whose every run diverged or failed: its lost runs are its report
        scored = settings_of(full)  # refused for another reason (several settings, a typo): that refusal stands
        if not where or any(_matches(t, st, where) for t, st in zip(scored["task"], scored["setting"])) or not any(
                m.get("status") in ("failed", "diverged") and _lost_here(m, [], True, where, keep) for m in metas_all):
            raise
        chosen = Selection(full.iloc[0:0], set(), "no results", [])
    table = chosen.table
    # nothing scored (every run diverged or failed): no setting to narrow to, so every lost run is shown, not none
    lost_only = table.empty and not chosen.settings
    metas, unseen = [], []  # unseen: lost runs of a setting with no scored run, which no table row names
    for m in metas_all:
        if m.get("run_id") in chosen.run_ids or (
                m.get("status") in ("failed", "diverged") and _in_setting(m, chosen.settings)):
            metas.append(respelt_meta(m, store.respelt))
        elif m.get("status") in ("failed", "diverged") and _lost_here(m, chosen.settings, lost_only, where, keep):
            metas.append(respelt_meta(m, store.respelt))
            unseen.append(metas[-1])
    if unseen:
        log.warning("report: %s", lost_runs_line(unseen, store.root, every=lost_only and not where and keep is None
                                                               and full[full["loss"] != INPUT].empty))
    # the stale scores of every run of the store, read once: this board's coverage and the findings' (check_store)
    stale_all = store.stale_scores(set(map(str, full["run_id"].unique())) | set(chosen.run_ids))
    if stale_out is not None:
        stale_out.update(stale_all)
    coverage = coverage_table(store, chosen.run_ids, stale=stale_all)
    t_read = time.perf_counter()
    baseline = baseline_here(full, table, baseline)  # a store's row label, as this setting prints its runs
    from benchmark.settings import lost_checks

    # the lost budget checks read under the loss spellings the table reads (respelt_meta), as `metas` and the
    # findings' and compare's records are: a check recorded as ffl(alpha=1.0) is ffl(alpha=1)'s arm's
    lost_check_metas = [respelt_meta(m, store.respelt) for m in lost_checks(metas_all, chosen.settings)]
    stats = compute(table, metas, baseline=baseline, alpha=alpha, n_boot=n_boot, checks=chosen.checks,
                    check_metas=lost_check_metas)
    stats.setting = chosen.description
    stats.tasks_convention = task_conventions(chosen.settings)
    gone_ids = store.gone()
    if gone_out is not None:
        gone_out.update(gone_ids)
    if said := garbled_log_line(store):
        log.warning("report: %s", said)
    every = store.renamed() if gone_ids else {}  # the renamed of them: one listing for the lines and forget_gone
    for line in (gone := gone_lines(store, gone_ids, every=every)):
        log.warning("report: %s", line)
    # scores of another file than the rest of their column's, out of every table: counted over this board's runs
    stale = stale_lines(store, set(chosen.run_ids) | {m.get("run_id") for m in metas_all
                                                       if _in_setting(m, chosen.settings)})
    coverage = coverage[~((coverage["status"] == "stale") & coverage["metric"].isin(stale))]  # said below
    shown = set(map(str, table["metric"].unique())) if stale else set()  # once: a str copy of every row per line
    left = [line for m, line in stale.items() if m in shown]  # ResultsStore.table said it
    for line in coverage_lines(coverage[coverage["status"] == "stale"], len(chosen.run_ids)):
        log.warning("report: %s", line)
    stats.coverage = coverage_lines(coverage, len(chosen.run_ids)) + left + gone + left_out_lines(
        store, chosen.settings, metas) + [
        f"failed run {rid} left out: superseded by run {by}, finished after it under another id with its config and "
        "code version (its loss file fixed); no command retries it" for rid, by in sorted(superseded.items())
        if by in chosen.run_ids]
    standing = standing_stopped(store)
    if stopped_out is not None:
        stopped_out.update(standing)
    unfinished = unfinished_lines(store, standing)  # said by the board's notes and findings.md's
    stats.in_flight = unfinished + overlap_lines(metas)
    for line in stats.in_flight:
        log.warning("report: %s", line)
    t_stats = time.perf_counter()
    root = store.root
    out: dict[str, Path] = {}
    # results.csv last: it is the memory of the runs a report showed (ResultsStore.gone), so a report stopped part-way
    # (a full disk) leaves the last one's, and a run folder deleted since is still named by check and the next report
    csv = root / "results.csv"
    if len(full) != len(table):
        log.info("report: %d of %d rows (one setting: %s)", len(table), len(full), chosen.description)
    out["csv"] = csv
    out.update(export.write_csvs(stats, root))
    from benchmark.figures import leaderboard_parts, style

    with style():  # one style for every figure: characters no font has are named once, not per figure
        png = heatmap(table, root / "leaderboard.png", stats.worse, stats.blocks, stats,  # compute's blocks, decimals
                      formats)
        figs = make_figures(stats, store, metas, root / "figures", formats, visual, chosen.run_ids,
                            store_tasks=set(full.loc[full["loss"] != INPUT, "task"].astype(str))) \
            if not table.empty else {}
    if png:
        out["heatmap"] = png
    for name, paths in figs.items():
        out[f"fig_{name}"] = paths[0]
    t_figs = time.perf_counter()
    # the leaderboard figure, every part, first among the figures leaderboard.md links and report.html shows
    shown = ({"leaderboard": [png, *leaderboard_parts(png)]} if png else {}) | figs
    md = root / "leaderboard.md"
    # a right-to-left loss name's runs isolated: its number after it read as before it on GitHub (docmarkup)
    atomic_write_bytes(md, isolate_rtl_markdown(export.markdown(stats, shown, root)
                                                + export.by_dataset_markdown(table, stats)).encode())
    out["markdown"] = md
    tex = root / "leaderboard.tex"
    atomic_write_bytes(tex, export.latex(stats).encode())
    out["latex"] = tex
    from benchmark import findings as findings_mod

    # the same check as `plbench findings` — a finding's Holm family spans every setting of the store — shown for
    # this report's setting (findings.check_store)
    checked = findings_mod.check_store(store, alpha=alpha, table=full, show=set(chosen.run_ids), stale=stale_all,
                                         superseded=superseded) \
        if not table.empty else []
    out.update(findings_mod.write(checked, root, alpha, notes=unfinished))
    if findings_out is not None:
        findings_out.extend(checked)
    written = [out[k] for k in ("csv", "summary_csv", "ranks_csv", "costs_csv", "convergence_csv", "findings_csv")
               if k in out]
    out["csv_columns"] = root / "csv_columns.md"
    atomic_write_bytes(out["csv_columns"], export.csv_columns_markdown(
        {p.name: [str(c) for c in table.columns] if p == csv else _header(p) for p in written}).encode())
    if html:
        page = root / "report.html"
        setting = chosen.settings[0] if chosen.settings else {}
        title = export.page_title(setting, grid_profile(root, setting),
                                  sorted(stats.cells["task"].unique()) if not stats.cells.empty else ())
        atomic_write_bytes(page, export.html_report(stats, shown, title=title,
                                                    findings=findings_mod.to_html(checked) if checked else None
                                                    ).encode())
        out["html"] = page
    with atomic_output(csv) as tmp:
        table.to_csv(tmp, index=False)
    store.forget_gone(set(gone_ids), every)  # named above, left out: not named again (a '-' the log never held: no-op)
    log.info("report: %d rows → %d files in %.1f s (read %.1f s, statistics %.1f s, figures %.1f s)",
             len(table), len(out), time.perf_counter() - t0, t_read - t0, t_stats - t_read, t_figs - t_stats)
    return out
