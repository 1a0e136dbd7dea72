"""Probe of the published figures, tables and report (round 23): what the rank heatmap's smoke-test line counts,
the LaTeX leaderboard as a TeX reader reads it, odd grids (many long or Unicode names, one seed, one task)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import scipy.special  # noqa: F401
import scipy.stats  # noqa: F401

import benchmark.convergence  # noqa: F401 (compute's lazy imports, at collection)
import benchmark.metrics  # noqa: F401
from benchmark import figures as F
from benchmark import stats as S
from benchmark.synthetic import synthetic_table

with F.style():  # matplotlib's fonts looked up at collection, not in a test's time
    pass


def _with_costs(st, runs: dict[str, int], unconverged=()):
    """A synthetic table has no meta.json: each loss of denoise given ``runs`` runs, those of ``unconverged`` not
    shown converged."""
    tc = pd.DataFrame([{"task": "denoise", "label": lab, "loss": lab, "runs": n, "ok": n,
                        "unconverged": n * (lab in unconverged)} for lab, n in runs.items()])
    return dataclasses.replace(st, task_costs=tc)


def _text(fig) -> str:
    """Every text of ``fig`` (title, caption), its lines joined by spaces."""
    return " ".join(t.get_text() for t in [*fig.texts, *(ax.title for ax in fig.axes)]).replace("\n", " ")


def test_the_rank_heatmap_s_smoke_line_counts_only_the_losses_it_draws():
    """Was: the rank heatmap opened with the grid's smoke test (``smoke_test(stats)``): a loss no run could score
    (every score non-finite: no rank, no row) whose 2 runs were not shown converged made a heatmap of two losses with
    5 converged runs each say "Smoke test, not a ranking: 2 of 12 runs not shown converged". Now it counts the
    (task, loss) cells it draws, as the P–D plane and the CD diagram do; a drawn loss's runs still count."""
    good = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "l2": 1.0}, seeds=range(5),
                           metrics=("psnr", "lpips"), n_images=4)
    bad = synthetic_table(tasks=("denoise",), offsets={"nan_loss": 0.5}, seeds=range(2), metrics=("psnr", "lpips"),
                          n_images=4)
    bad = bad[bad["loss"] != "input"].assign(value=np.nan)
    st = S.compute(pd.concat([good, bad], ignore_index=True), n_boot=10)
    assert "nan_loss" not in st.task_ranks.index
    st1 = _with_costs(st, {"l1": 5, "l2": 5, "nan_loss": 2}, unconverged=("nan_loss",))
    assert S.smoke_test(st1, short=True)  # the grid's runs as a whole
    with F.style():
        fig = F.draw_rank_heatmap(st1)
    assert "Smoke test" not in _text(fig), _text(fig)
    st2 = _with_costs(st, {"l1": 5, "l2": 5, "nan_loss": 2}, unconverged=("l2",))
    with F.style():
        fig2 = F.draw_rank_heatmap(st2)
    assert "Smoke test" in _text(fig2) and "5 of 10 runs not shown converged" in _text(fig2), _text(fig2)


def _counting_superseded(monkeypatch) -> list[str]:
    """Each ``ResultsStore.failed_superseded`` call, counted (its store's root per call)."""
    from benchmark.results import ResultsStore

    calls: list[str] = []
    real = ResultsStore.failed_superseded

    def counted(self, *a, **kw):
        calls.append(str(self.root))
        return real(self, *a, **kw)

    monkeypatch.setattr(ResultsStore, "failed_superseded", counted)
    return calls


def test_standing_metas_leave_out_a_superseded_failure_reading_it_out_once(tmp_path, monkeypatch):
    """Was: the report, its findings and compare each worked out ``failed_superseded()`` (every meta.json read) and
    then read the metas again to leave those runs out. ``ResultsStore.standing_metas`` is the one place: the records
    without them, and which they are, from one reading; ``check_store`` given them works out nothing again."""
    import benchmark.findings as findings
    from tests.test_probe_store22 import _failed_before_success

    store, failed, ok = _failed_before_success(tmp_path / "res")
    calls = _counting_superseded(monkeypatch)
    read = []
    real_meta = type(store).metas
    monkeypatch.setattr(type(store), "metas", lambda self: read.append(1) or real_meta(self))
    kept, superseded = store.standing_metas()
    ids = {m["run_id"] for m in kept}
    assert superseded == {failed: ok} and failed not in ids and ok in ids
    assert len(calls) == 1 and len(read) == 1, (calls, read)
    seen = []
    real_lost = findings.lost_runs
    monkeypatch.setattr(findings, "lost_runs", lambda metas: seen.extend(m.get("run_id") for m in metas)
                        or real_lost(metas))
    findings.check_store(store, names=[], n_boot=10, superseded=superseded)
    assert len(calls) == 1, calls  # given, not worked out again
    assert seen and failed not in seen and ok in seen, seen


@pytest.mark.slow
def test_a_report_works_out_the_superseded_failures_once(tmp_path, monkeypatch):
    """Was: ``plbench report`` worked out ``failed_superseded()`` twice (the report's tables, then its findings'
    ``check_store``), ``plbench compare`` four times (those, its summary's tables, its findings before and after).
    Now once per report, handed on to the findings and (``superseded_out``) to compare's summary."""
    from benchmark.report import write_report
    from tests.test_probe_store22 import _failed_before_success

    store, failed, ok = _failed_before_success(tmp_path / "res")
    calls = _counting_superseded(monkeypatch)
    out: dict = {}
    write_report(store, baseline="l1", alpha=0.05, n_boot=20, formats=(), visual=False, html=False, hint="",
                 superseded_out=out)
    assert len(calls) == 1, calls
    assert out == {failed: ok}
    board = (store.root / "leaderboard.md").read_text()
    assert f"superseded by run {ok}" in board and "failed 1/" not in board


def test_the_too_few_runs_note_counts_the_runs_once_when_every_task_has_as_many():
    """Was: with one seed on six tasks the notes read "Too few runs for any verdict in deblur, demosaic, denoise, …
    (deblur: 1 run, demosaic: 1 run, denoise: 1 run, …, sr: 1 run per loss, < 5)" — each task named twice, the count
    six times; one task, "in denoise (denoise: 3 runs per loss, < 5)". Now a count shared by every task listed is
    said once; tasks with different counts are each given theirs, "per loss" before them."""
    from benchmark import export as E

    tasks = ("deblur", "denoise", "sr")
    one = S.compute(synthetic_table(tasks=tasks, offsets={"l1": 0.0, "l2": 0.5}, seeds=(0,), metrics=("psnr",),
                                    n_images=4), n_boot=10)
    line = next(n for n in E.notes(one) if n.startswith("Too few runs for any verdict"))
    assert "in deblur, denoise, sr (1 run per loss, < 5)" in line, line
    t = synthetic_table(tasks=tasks, offsets={"l1": 0.0, "l2": 0.5}, seeds=range(3), metrics=("psnr",), n_images=4)
    mixed = S.compute(t[(t["task"] != "sr") | t["seed"].isin([0, 1]) | (t["loss"] == "input")], n_boot=10)
    line = next(n for n in E.notes(mixed) if n.startswith("Too few runs for any verdict"))
    assert "(per loss: deblur 3 runs, denoise 3 runs, sr 2 runs; < 5)" in line, line
    assert "(1 run per loss, $<$ 5)" in E.latex(one) and "deblur: 1 run" not in E.latex(one)


def test_the_rank_heatmap_marks_a_task_rank_over_fewer_of_its_metrics():
    """Was: a loss with no lpips score (ffl) had its denoise cell of the rank heatmap printed '4.0' — a mean over psnr
    and ssim — beside l1's '4.7' over psnr, ssim and lpips, unmarked: it read as ahead of l1, though the task table
    lists it after the others and the notes say that rank is not comparable; only its ``all`` cell had the mark. Now
    each such task cell has the mark (*) too, and the key says what it means there."""
    from benchmark.export import PARTIAL

    t = synthetic_table(tasks=("denoise", "sr"), offsets={"l1": 0.0, "l2": 0.5, "ffl": 0.2}, seeds=range(2),
                        metrics=("psnr", "ssim", "lpips"), n_images=4)
    t = t[~((t["loss"] == "ffl") & (t["metric"] == "lpips") & (t["task"] == "denoise"))]
    st = S.compute(t, n_boot=10)
    with F.style():
        fig = F.draw_rank_heatmap(st)
    ax = fig.axes[0]
    rows = [x.get_text() for x in ax.get_yticklabels()]
    cols = [x.get_text() for x in ax.get_xticklabels()]
    cell = {(rows[int(x.get_position()[1])], cols[int(x.get_position()[0])]): x.get_text() for x in ax.texts}
    assert cell[("ffl", "denoise")].endswith(PARTIAL), cell
    assert not cell[("ffl", "sr")].endswith(PARTIAL) and not cell[("l1", "denoise")].endswith(PARTIAL), cell
    assert "or metric of the task (a task's column)" in _text(fig), _text(fig)


def test_the_too_few_runs_for_a_verdict_note_names_each_loss_once():
    """Was: a loss short of lpips runs in two tasks was named once per task — "Too few runs for a verdict on ssim
    (denoise/lpips: 3 runs), ssim (sr/lpips: 3 runs)"; 30 such losses on six tasks, each six times. Now each loss once,
    its tasks of one count together: "ssim (denoise/lpips, sr/lpips: 3 runs)"; another count apart."""
    from benchmark import export as E

    t = synthetic_table(tasks=("denoise", "sr", "deblur"), offsets={"l1": 0.0, "l2": 0.5, "ssim": 0.2},
                        seeds=range(5), metrics=("psnr", "lpips"), n_images=4)
    gone = (t["loss"] == "ssim") & (t["metric"] == "lpips") & (
        ((t["task"] != "deblur") & t["seed"].isin([3, 4])) | ((t["task"] == "deblur") & (t["seed"] == 4)))
    st = S.compute(t[~gone], n_boot=10)
    line = next(n for n in E.notes(st) if n.startswith("Too few runs for a verdict on"))
    assert "on ssim (deblur/lpips: 4 runs; denoise/lpips, sr/lpips: 3 runs), where" in line, line


def test_a_latex_task_table_says_smoke_test_only_of_its_own_runs():
    """Was: every task table of leaderboard.tex had "Smoke test, not a ranking (see the notes)." in its caption when
    the grid as a whole was one — denoise's table, every loss with 5 runs shown converged, said it because sr's runs
    were not shown converged. Now a task's caption counts that task's runs and cells (as metrics_<task>.png does);
    the notes and the overall ranking's caption still say it of the grid."""
    from benchmark import export as E

    t = synthetic_table(tasks=("denoise", "sr"), offsets={"l1": 0.0, "l2": 0.5}, seeds=range(5), metrics=("psnr",),
                        n_images=4)
    st = S.compute(t, n_boot=10)
    tc = pd.DataFrame([{"task": task, "label": lab, "loss": lab, "runs": 5, "ok": 5,
                        "unconverged": 5 * (task == "sr")} for task in ("denoise", "sr") for lab in ("l1", "l2")])
    st = dataclasses.replace(st, task_costs=tc)
    assert S.smoke_test(st) and not S.smoke_test(st, task="denoise")
    tex = E.latex(st)
    caption = {c.split(":")[0]: c for c in (line[len(r"\caption{"):] for line in tex.splitlines()
                                            if line.startswith(r"\caption{"))}
    assert "Smoke test" not in caption["denoise"], caption["denoise"]
    ranks = next(c for k, c in caption.items() if k.startswith("Mean rank"))
    assert "Smoke test" in caption["sr"] and "Smoke test" in ranks
