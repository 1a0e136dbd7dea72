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


def test_notes_in_finished_log_take_its_lock_as_every_writer_on_a_shared_file_system_must(tmp_path):
    """SLURM and Ray workers on several nodes note their runs in one finished.log on a shared file system, where
    O_APPEND is no atomic append (NFS: each client writes at the end it last saw, so two notes at once overwrite
    each other and a finished run is lost from the log, then unnamed once deleted). The store's other shared files
    are flock'ed (runs/<id>/.lock, .report.lock): a note now holds an flock on the log while it appends, which NFS
    turns into a lock across nodes that also refreshes the file's size."""
    import fcntl
    import os
    import threading

    store = _noted(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    fd = os.open(store.root / "finished.log", os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another node appending
        shutil.rmtree(store.run_dir(rid))
        t = threading.Thread(target=store.note_finished, args=(rid, {"config": {"task": "denoise", "loss": "x"}}))
        t.start()
        t.join(0.3)
        assert t.is_alive(), "appended while another writer held the log's lock"
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    t.join(10)
    assert store.gone() == {rid: "denoise/x"}


def test_an_unreadable_finished_log_is_said_not_taken_for_no_run_gone(tmp_path, capsys, caplog):
    """finished.log that cannot be read (another user's, umask 077; a directory put there by a copy tool) was read
    as no finished run: a deleted run folder went unnamed and check said the store was whole (exit 0)."""
    import logging

    from benchmark.cli import main

    store = _noted(tmp_path / "r")
    (store.root / "finished.log").unlink()
    (store.root / "finished.log").mkdir()  # unreadable as a file, whoever runs the test (root reads a chmod 000)
    with caplog.at_level(logging.WARNING):
        assert main(["check", "--out", str(store.root)]) == 1, capsys.readouterr().out
    assert any("finished.log" in r.getMessage() and "cannot be read" in r.getMessage() for r in caplog.records)


@pytest.mark.slow
def test_a_report_reads_finished_log_once(tmp_path, monkeypatch):
    """finished.log grows by a line per finished run (6 MB, ~0.3-1 s to read and parse at 100k runs): the report
    read it twice, once for gone() and again only to pick which gone runs to note as left out — a '-<id>' for a
    run the log never held (one only results.csv knew) is no run either way. Slow: a report (~10 s)."""
    from benchmark.report import write_report

    store = _noted(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    shutil.rmtree(store.run_dir(rid))
    reads = []
    real = ResultsStore.finished_log
    monkeypatch.setattr(ResultsStore, "finished_log", lambda self: reads.append(1) or real(self))
    write_report(store, formats=(), visual=False, html=False, n_boot=20)
    assert len(reads) == 1 and store.gone() == {}
