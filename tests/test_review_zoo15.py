"""Review of probe zoo 15 (gmsd/fsim/vsi against the authors' MATLAB, plugin metrics' code digests)."""

from __future__ import annotations

import importlib.metadata
import sys

import pyiqa
import pytest

from benchmark import metric_code
from benchmark.metrics import open_metric, weights_digest
from benchmark.registry import METRICS
from benchmark.report import coverage_lines, coverage_table
from benchmark.results import ResultsStore, atomic_write_json
from benchmark.synthetic import synthetic_runs


def test_fsim_and_vsi_under_another_pyiqa_are_marked_as_that_pyiqas_scores_not_the_tags(monkeypatch):
    """fsim and vsi hand their work to pyiqa's own module under a pyiqa other than 0.1.16 (pyiqa's downsampling, not
    FeatureSIM.m's / VSI.m's), yet their scores carried the new @code_version tag's marker: old and new numbers in
    one column → such a pass records a marker naming that pyiqa, which the torch-free reader computes alike."""
    mirrored = {m: metric_code.code_digest(m) for m in ("fsim", "vsi", "gmsd", "mad")}
    monkeypatch.setattr(pyiqa, "__version__", "0.1.17")
    other = {}
    for m in ("fsim", "vsi"):
        other[m] = metric_code.code_digest(m)
        assert other[m] not in ("", mirrored[m]), m  # the tag's scores are stale here, and these there
        assert weights_digest(m) == other[m]  # what a pass records (open_metric) is what a reader checks
    opened, why = open_metric("vsi")
    assert opened is not None, why
    assert not opened.module.mirrors and opened.sha256 == other["vsi"]  # pyiqa's own module scores it
    assert metric_code.code_digest("gmsd") == mirrored["gmsd"]  # its own code alone: no pyiqa in it
    monkeypatch.setattr(pyiqa, "__version__", "0.1.18")
    assert metric_code.code_digest("fsim") not in (other["fsim"], mirrored["fsim"])  # pyiqa's own numbers move too
    # a results reader, pyiqa not imported: the installed distribution's version, the same marker
    monkeypatch.delitem(sys.modules, "pyiqa")
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.1.17" if name == "pyiqa" else pytest.fail(name))
    assert {m: metric_code.code_digest(m) for m in ("fsim", "vsi")} == other


def test_mad_under_another_pyiqa_is_marked_with_it_for_its_helpers_are_that_pyiqas(monkeypatch):
    """DefinedMAD calls pyiqa's ical_std, ical_stat and math_util under any pyiqa (it has no fallback), and its
    @code_version tag named its own code alone: under another pyiqa those helpers' numbers carried the tag's marker →
    its marker names that pyiqa too, as fsim's and vsi's do."""
    mirrored = metric_code.code_digest("mad")
    monkeypatch.setattr(pyiqa, "__version__", "0.1.17")
    assert metric_code.code_digest("mad") not in ("", mirrored)
    assert weights_digest("mad") == metric_code.code_digest("mad")  # what a pass records


def test_the_pyiqa_code_flag_is_read_from_the_decorator(tmp_path):
    (tmp_path / "m.py").write_text("@code_version('a', 't1', pyiqa_code=True)\nclass A: pass\n"
                                   "@code_version('b', 't2')\nclass B: pass\n")
    assert metric_code.declared_pyiqa_code(tmp_path) == {"a"}
    assert metric_code.declared_code_versions(tmp_path) == {"a": "t1", "b": "t2"}
    assert metric_code.PYIQA_CODE == {"fsim", "vsi", "mad"}


class _PluginMAE:
    """A plugin's metric reading no file (its entry's file_sha256: the hash of its package's code)."""

    lower_better, metric_mode, provenance = True, "FR", "none"


def test_a_plugin_metrics_stale_scores_are_said_to_be_of_other_code_not_another_file(tmp_path, caplog):
    """88b9210 re-scores a plugin metric's scores of other code, but every line on them said they were scored "with
    another file" and "its file is another now" — a metric that reads no file → the lines say its code changed."""
    name, old, new = "review15_plugin_mae", "a" * 64, "b" * 64
    METRICS.add(name, _PluginMAE, citation="a plugin's", file_sha256=new)
    try:
        assert weights_digest(name) == new
        store = ResultsStore(tmp_path / "r")
        store.ensure_writable()
        runs = list(synthetic_runs(offsets={"l1": 0.0, "l2": 0.0}, seeds=(0,), n_images=1, metrics=("psnr", name),
                                   budget_check=False))
        for k, (rid, meta, rows) in enumerate(runs):
            store.write_eval(rid, rows, ["psnr", name], {}, metric_sha256={name: old if k == 0 else new})
            atomic_write_json(store.run_dir(rid) / "meta.json", meta)
        first = runs[0][0]
        (line,) = coverage_lines(coverage_table(store, [first]), 1)
        assert line.startswith(f"`{name}` scored by other code than today's in 1 of 1 run"), line
        assert "its code is another now (sha256 bbbbbbbb…)" in line and "file" not in line, line
        with caplog.at_level("WARNING", logger="benchmark.results"):
            store.table()
        (said,) = [r.getMessage() for r in caplog.records if f"`{name}`" in r.getMessage()]
        assert said.startswith(f"`{name}` scored by other code than today's (sha256 bbbbbbbb…) in 1 of "), said
        assert "\n" not in said
    finally:
        METRICS.remove(name)
    assert metric_code.scored_with("lpips") == "with another file than today's"  # a learned metric's: its file
