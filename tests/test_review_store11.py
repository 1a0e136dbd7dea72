"""Review of the store's integrity work (probe-store, eleventh pass): finished.log and compare's kept edits.
Each test failed before its fix."""

from __future__ import annotations

import shutil

import pytest

from benchmark.results import ResultsStore
from benchmark.synthetic import write_store

pytestmark = pytest.mark.usefixtures("one_thread")


def _noted(root) -> ResultsStore:
    """A small store whose runs are noted in finished.log as the runner notes them (write_meta)."""
    store = write_store(root, offsets={"l1": 0.0, "good": 1.0}, seeds=(0,), n_images=3, metrics=("psnr",),
                        budget_check=False)
    for rid in store.run_ids():
        store.write_meta(rid, store.meta(rid))
    return store


def test_a_run_rerun_while_a_report_ran_is_not_forgotten_by_it(tmp_path):
    """A report computes the gone runs when it starts and appends '-<id>' for them when it ends. A run deleted and
    retrained by `plbench run` meanwhile (what check's line tells the user to do) was noted '+<id>' by its rerun,
    then '-<id>' by the report: finished.log forgot a run that is there, and deleting it again went unnamed."""
    store = _noted(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    shutil.copytree(store.run_dir(rid), tmp_path / "saved")
    shutil.rmtree(store.run_dir(rid))
    gone = store.gone()  # the report starts
    assert set(gone) == {rid}
    shutil.copytree(tmp_path / "saved", store.run_dir(rid))  # a rerun finishes it meanwhile
    store.write_meta(rid, store.meta(rid))
    store.forget_gone(set(gone))  # the report ends
    shutil.rmtree(store.run_dir(rid))
    assert set(store.gone()) == {rid}


def test_check_says_how_to_acknowledge_a_run_deleted_on_purpose(tmp_path, capsys):
    """A run folder deleted on purpose (a loss dropped from the study) made check exit 1 with 'put the folder back,
    or the same `plbench run` retrains it': nothing said that the next report notes the deletion (finished.log's
    '-<id>') and that check is clean after it, so a user who meant it had no documented way to say so."""
    from benchmark.cli import main

    store = _noted(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    shutil.rmtree(store.run_dir(rid))
    assert main(["check", "--out", str(store.root)]) == 1
    line = next(x for x in capsys.readouterr().out.splitlines() if rid in x)
    assert "deleted on purpose" in line and "`plbench report`" in line, line
