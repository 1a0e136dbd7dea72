"""Mends of repeated work (round 16): each store read, parse and copy made once where one serves."""

from __future__ import annotations

import warnings
from collections import Counter

import pandas as pd
import scipy.stats  # noqa: F401 (imported once at collection, not in a test's time)
import seaborn  # noqa: F401 (figures.style's, the same)
from conftest import figures_off

import benchmark.metrics  # noqa: F401 (torch, scipy.stats: imported once at collection, not in a test's time)
from benchmark import findings as F
from benchmark import stats as S
from benchmark.registry import FINDINGS, TASKS
from benchmark.results import ResultsStore, gone_task

FINDINGS.names(), TASKS.names()  # the registries scanned at collection, not in a test's time


def _stale_store(tmp_path):
    from benchmark.synthetic import write_store

    return write_store(tmp_path, tasks=("sr4",), offsets={"l2": 0.0, "l2 + 0.1*gpl": 0.3}, metrics=("vsi", "psnr"),
                       seeds=range(2), n_images=3, seed=3, seed_sd=0.1, budget_check=False,
                       weights={"l2 + 0.1*gpl": "vgg16:random(seed=0)"})


def test_check_store_asks_for_the_stale_scores_of_the_runs_the_table_holds(tmp_path, monkeypatch):
    """Was: check_store made a str copy of every row of the categorical run_id (0.72 s on 1M rows) to find the runs.
    Now it reads the column's unique values: the same runs, not a category no row holds."""
    store = _stale_store(tmp_path)
    table = store.table(categories=True)
    table["run_id"] = table["run_id"].astype(str).astype(pd.CategoricalDtype([*table["run_id"].unique(), "no-row"]))
    asked = []
    real = ResultsStore.stale_scores
    monkeypatch.setattr(ResultsStore, "stale_scores", lambda self, ids: asked.append(set(ids)) or real(self, ids))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        F.check_store(store, ["liu2021_random_vgg"], table=table, n_boot=20)
    assert asked == [set(map(str, table["run_id"].astype(str)))] and "no-row" not in asked[0]


def test_a_report_reads_each_runs_evaluation_records_at_most_twice(tmp_path, monkeypatch):
    """Was: a report read each run's eval-*.json up to 5 times (coverage_table: coverage, then stale_scores'
    coverage and stale_metrics; check_store: stale_scores again) where fd39fc8 read them twice. Now write_report reads
    stale_scores once (one read per run) and gives it to coverage_table and check_store: twice at most, and the stale
    scores are still said on the board and in the findings."""
    from benchmark import report

    store = _stale_store(tmp_path)
    figures_off(monkeypatch)  # figures read no records: not drawn (< 1 s)
    monkeypatch.setattr(F.FINDINGS, "names", lambda *a, **k: ["liu2021_random_vgg"])  # the one on vsi
    reads = Counter()
    real = ResultsStore.eval_records
    monkeypatch.setattr(ResultsStore, "eval_records", lambda self, rid: reads.update([rid]) or real(self, rid))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.write_report(store, formats=(), visual=False, html=False, n_boot=20)
    assert reads and max(reads.values()) <= 2, reads  # fd39fc8: coverage + stale_metrics per run of the board
    md = (tmp_path / "leaderboard.md").read_text()
    assert "`vsi` scored by its code before today's fix" in md, md
    assert "Parts on vsi" in (tmp_path / "findings.md").read_text()


def test_labels_reads_the_loss_versions_as_text_once(monkeypatch):
    """Was: labels made the loss_version column text twice (in _versioned, then again for the suffix). Now once."""
    t = pd.DataFrame({"loss": ["mine", "mine", "l1"], "weights": ["", "", ""], "loss_version": ["1", "2", None]})
    made = []
    real = pd.Series.astype
    monkeypatch.setattr(pd.Series, "astype", lambda self, dtype, *a, **k: (
        made.append(dtype) if self.name == "loss_version" else None) or real(self, dtype, *a, **k))
    assert S.labels(t).tolist() == ["mine (v1)", "mine (v2)", "l1"]
    assert made.count("string") == 1, made


def test_gone_task_reads_the_task_of_what_gone_names():
    """Was: compare and report each parsed a gone run's task from its text with the same split. Now gone_task."""
    assert gone_task("sr4/l2 + 0.1*gpl seed 3") == "sr4"
    assert gone_task("denoise/lpips seed 0") == "denoise" == gone_task("denoise input") == gone_task("denoise/l1")


def test_rescore_lines_find_the_parts_by_rescore_notes_own_words(tmp_path, monkeypatch):
    """Was: rescore_lines searched each part's note for a copy of rescore_note's prose (a rewording dropped the
    lines without a word), and to_markdown built them twice. Now one constant both use; to_markdown builds them once."""
    store = _stale_store(tmp_path)
    monkeypatch.setattr(F, "RESCORE_MAY_CHANGE", "a re-score may turn this part")  # reworded: still found
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = F.check_store(store, ["liu2021_random_vgg"], n_boot=20)
    assert any("a re-score may turn this part" in p.note for r in results for p in r.parts)
    calls = []
    real = F.rescore_lines
    monkeypatch.setattr(F, "rescore_lines", lambda res: calls.append(1) or real(res))
    assert "Parts on vsi (liu2021_random_vgg)" in F.to_markdown(results)
    assert len(calls) == 1
