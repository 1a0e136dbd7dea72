"""Review of the store6 changes (merge's source locks, damaged/ moves): each test failed before its fix."""

from __future__ import annotations

import logging
import shutil
import threading

import pytest
import torch
from test_probe_store6 import _a_run, _small, _tiny_grid

from benchmark.results import ResultsStore

pytestmark = pytest.mark.usefixtures("one_thread")


def test_a_worker_waits_for_a_merge_reading_its_run_instead_of_leaving_it_undone(tmp_path, random_images, caplog):
    """``merge`` reads each finished or failed run of its source under that run's lock. A worker there that
    wanted the run meanwhile (re-scoring it on a new metric, retrying a failure) found it held, tried once
    more at the end of its grid and left it "to that process": merge, which never trains or scores. The run
    stayed undone, exit 0. A lock taken to read for a merge now says so, and a worker waits for it (it is
    held for one run's copy) and then does the run."""
    from benchmark.config import run_id
    from benchmark.runner import run_grid

    (cfg,) = _tiny_grid(random_images)
    node = ResultsStore(tmp_path / "node2")
    cpu = torch.device("cpu")
    run_grid([cfg], node, ("psnr",), cpu, progress=False)
    rid = run_id(cfg)
    reading = node.lock_to_read(rid)  # a merge on another node is copying the run
    assert reading is not None and not isinstance(reading, str)
    timer = threading.Timer(1.5, reading.release)
    timer.start()
    try:
        with caplog.at_level(logging.INFO):
            s = run_grid([cfg], ResultsStore(node.root), ("psnr", "ssim"), cpu, progress=False)
    finally:
        timer.cancel()
        reading.release()
    assert s.locked == 0 and s.rescored == 1, s
    assert "ssim" in ResultsStore(node.root).metrics_scored(rid)
    assert "merge" in caplog.text and "waiting" in caplog.text, caplog.text


def test_a_crash_between_a_pass_and_its_record_sets_nothing_aside(tmp_path, random_images, caplog):
    """A run killed after its pass's rows were written but before their record (``eval-0.parquet`` without
    ``eval-0.json``: never in any table, nothing lost) had the rows moved to ``damaged/0/`` by the retry, with
    a warning of "0 evaluation pass(es) ... whose record was lost": clutter beside real damage, for a crash
    :meth:`write_eval` itself cleans up. Rows without a record are a killed write's, deleted as its
    temporary files are; committed passes are still moved aside."""
    from benchmark.config import run_id
    from benchmark.runner import run_grid

    (cfg,) = _tiny_grid(random_images)
    store = ResultsStore(tmp_path / "r")
    cpu = torch.device("cpu")
    run_grid([cfg], store, ("psnr",), cpu, progress=False)
    d = store.run_dir(run_id(cfg))
    (d / "meta.json").unlink()
    (d / "eval-0.json").unlink()  # killed between the rows and their record
    with caplog.at_level(logging.INFO, logger="benchmark.results"):
        s = run_grid([cfg], store, ("psnr",), cpu, progress=False)
    assert s.trained == 1 and store.is_done(run_id(cfg))
    assert not (d / "damaged").exists(), sorted(p.name for p in (d / "damaged").rglob("*"))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert store.check() == {} and sorted(p.name for p in d.glob("eval-*")) == ["eval-0.json", "eval-0.parquet"]


def test_the_next_merge_finishes_a_killed_merge_without_setting_its_copies_aside(tmp_path, capsys):
    """A ``merge`` killed mid-run leaves that run's first files copied here, byte for byte the source's. The
    next merge took them for this store's own attempt: "1 unfinished or damaged here replaced (their files set
    aside under runs/<id>/damaged/ ...)" and a ``damaged/0/`` holding copies of what it then copied again —
    clutter beside real damage, for a retry where nothing was lost. Files identical to the source's are now
    the same copy: the run is "copied", nothing set aside."""
    from benchmark.cli import main

    node1, node2 = _small(tmp_path / "node1"), _small(tmp_path / "node2")
    rid = _a_run(node2)
    shutil.rmtree(node1.run_dir(rid))
    node1.run_dir(rid).mkdir()
    shutil.copy(node2.run_dir(rid) / "eval-0.parquet", node1.run_dir(rid) / "eval-0.parquet")  # then killed
    assert main(["merge", str(node2.root), "--out", str(node1.root)]) == 0
    out = capsys.readouterr().out
    assert "1 copied" in out and "replaced" not in out, out
    assert not (node1.run_dir(rid) / "damaged").exists()
    merged = ResultsStore(node1.root)
    assert merged.is_done(rid) and merged.check() == {}


def test_merge_copies_a_passs_rows_before_its_record(tmp_path, monkeypatch):
    """A killed merge must leave no pass record without its rows (``check`` and the store's readers take a
    record as the proof its rows are complete). ``merge`` copied a run's files in directory order, its
    ``meta.json`` last: ``eval-0.json`` could come before ``eval-0.parquet``. Rows now come before their record."""
    import os
    from pathlib import Path

    import benchmark.results as results

    node1, node2 = _small(tmp_path / "node1"), _small(tmp_path / "node2")
    rid = _a_run(node2)
    shutil.rmtree(node1.run_dir(rid))
    listed = Path.iterdir
    # the order a file system may list them in: records first
    monkeypatch.setattr(Path, "iterdir", lambda self: iter(sorted(listed(self), key=lambda p: p.suffix != ".json")))
    order = []
    real = results.atomic_write_bytes
    monkeypatch.setattr(results, "atomic_write_bytes", lambda path, data: order.append(os.path.basename(path))
                        or real(path, data))
    ResultsStore(node1.root).merge_from(ResultsStore(node2.root))
    passes = [n for n in order if n.startswith("eval-")]
    assert passes and all(order.index(n.replace(".json", ".parquet")) < order.index(n)
                          for n in passes if n.endswith(".json")), order
    assert order[-1] == "meta.json"


def test_a_failure_merged_in_then_finished_there_is_replaced_without_a_damaged_folder(tmp_path, capsys):
    """``merge`` now copies a run that failed there (``meta.json``, ``attempts/``, ``curve.csv``). When that node
    retried the run and finished it, the next merge replaced it here: the failed ``meta.json`` joined
    ``attempts/``, but the failed attempt's ``curve.csv`` went to ``damaged/0/`` — a damaged folder for a failure
    and a retry, where nothing was damaged. The curve now goes beside its attempt's record
    (``attempts/<n>.curve.csv``); nothing is set aside as damaged."""
    import json

    from benchmark.cli import main
    from benchmark.results import atomic_write_json

    node1, node2 = _small(tmp_path / "node1"), _small(tmp_path / "node2")
    rid = _a_run(node2)
    done = {p.name: p.read_bytes() for p in node2.run_dir(rid).iterdir() if p.is_file()}
    for p in node2.run_dir(rid).glob("eval-*"):
        p.unlink()
    atomic_write_json(node2.run_dir(rid) / "meta.json", {**node2.meta(rid), "status": "failed", "error": "OOM there"})
    (node2.run_dir(rid) / "curve.csv").write_text("iteration,seconds,loss,lr\n1,0.1,0.5,0.001\n")
    shutil.rmtree(node1.run_dir(rid))
    assert main(["merge", str(node2.root), "--out", str(node1.root)]) == 0
    assert "1 failed there" in capsys.readouterr().out
    # node 2 retries it and finishes: its failed record joins its attempts/, its files are the finished run's
    (node2.run_dir(rid) / "attempts").mkdir()
    (node2.run_dir(rid) / "meta.json").rename(node2.run_dir(rid) / "attempts" / "0.json")
    for name, data in done.items():
        (node2.run_dir(rid) / name).write_bytes(data)
    (node2.run_dir(rid) / "curve.csv").write_text("iteration,seconds,loss,lr\n1,0.1,0.4,0.001\n2,0.2,0.3,0.001\n")
    assert main(["merge", str(node2.root), "--out", str(node1.root)]) == 0
    assert "1 unfinished or damaged here replaced" in capsys.readouterr().out
    d = ResultsStore(node1.root).run_dir(rid)
    assert not (d / "damaged").exists(), sorted(str(p.relative_to(d)) for p in d.rglob("*"))
    assert json.loads((d / "attempts" / "0.json").read_text())["error"] == "OOM there"
    assert (d / "attempts" / "0.curve.csv").read_text().endswith("1,0.1,0.5,0.001\n")
    assert ResultsStore(node1.root).is_done(rid) and ResultsStore(node1.root).check() == {}


def test_merge_takes_no_lock_there_for_a_run_it_already_has(tmp_path, capsys):
    """A repeated ``merge`` (a node synced every hour) took the source's lock of every finished run there, also
    of those already finished here, which it only compares: it created and removed a lock file in the source
    for each, and one a worker there held (re-scoring it) was counted "held by a running process there (not
    copied: merge again later)" although the run was here already. A run finished and intact here is now
    kept without reading the source under its lock."""
    from benchmark.cli import main
    from benchmark.results import RunLock

    node1, node2 = _small(tmp_path / "node1"), _small(tmp_path / "node2")
    rid = _a_run(node2)
    busy = RunLock.acquire(node2.run_dir(rid) / ".lock")  # a worker there is re-scoring it
    assert not isinstance(busy, str)
    try:
        assert main(["merge", str(node2.root), "--out", str(node1.root)]) == 0
    finally:
        busy.release()
    out = capsys.readouterr().out
    assert "held by a running process there" not in out and f"{len(node2.run_ids())} already here" in out, out


def test_a_shared_stores_report_lock_is_writable_by_its_group(tmp_path):
    """A store shared by a group (umask 002, a lab's results folder): ``.report.lock`` was made 0644 whatever
    the umask, so while one user's report held it another's could not open it to wait — "cannot write
    …/.report.lock (Permission denied) … make the folder writable", in a folder that is — and after a report
    killed with -9 left the file, no other user could report at all. Lock files now get the umask's mode, as
    every other file of the store (``atomic_output``)."""
    import os
    import stat

    store = _small(tmp_path / "s")
    before = os.umask(0o002)
    try:
        with store.report_lock():
            mode = stat.S_IMODE((store.root / ".report.lock").stat().st_mode)
    finally:
        os.umask(before)
    assert mode & 0o060 == 0o060, oct(mode)


def test_plbench_run_retries_a_failure_merged_in(tmp_path, random_images):
    """README: a run failed on another node has its record merged here, "the report counts the failure,
    `plbench run` retries it". Coverage of the second half: the retry trains it here, the merged record and
    its earlier attempts kept under ``attempts/``."""
    from benchmark.config import run_id
    from benchmark.results import atomic_write_json
    from benchmark.runner import run_grid

    (cfg,) = _tiny_grid(random_images)
    rid = run_id(cfg)
    node2, node1 = ResultsStore(tmp_path / "node2"), ResultsStore(tmp_path / "node1")
    cpu = torch.device("cpu")
    run_grid([cfg], node2, ("psnr",), cpu, progress=False)
    for p in node2.run_dir(rid).glob("eval-*"):
        p.unlink()
    atomic_write_json(node2.run_dir(rid) / "meta.json", {**node2.meta(rid), "status": "failed", "error": "OOM there"})
    (node2.run_dir(rid) / "attempts").mkdir()
    atomic_write_json(node2.run_dir(rid) / "attempts" / "0.json", {"status": "failed", "error": "first"})
    node1.ensure_writable()
    assert node1.merge_from(node2)["failed"] == [rid]
    s = run_grid([cfg], ResultsStore(node1.root), ("psnr",), cpu, progress=False)
    merged = ResultsStore(node1.root)
    assert s.trained == 1 and merged.is_done(rid) and merged.check() == {}
    assert [a["error"] for a in merged.attempts(rid)] == ["first", "OOM there"]


def test_a_report_on_a_file_system_without_locks_says_so_instead_of_waiting_forever(tmp_path, monkeypatch):
    """On a file system that has no flock (NFS without its lock daemon: ENOLCK; some FUSE mounts), every
    failed flock was read as "held by another process": a report waited for ever, saying "another report is
    being written into …; waiting", with no other report running (and a grid left each run "to another
    process"). Only a lock that is held is waited for; no locks at all is one line (exit code 2)."""
    import errno
    import fcntl

    from benchmark.errors import UserError

    store = _small(tmp_path / "s")

    def no_locks(fd, op):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    got: list = []

    def report_lock():
        try:
            with store.report_lock(poll_s=0.01):
                got.append("locked")
        except Exception as exc:  # noqa: BLE001 - what it raised is the test's subject
            got.append(exc)

    t = threading.Thread(target=report_lock, daemon=True)
    t.start()
    t.join(5)
    waited = t.is_alive()
    monkeypatch.undo()  # lets a waiting thread take the lock and end
    t.join(5)
    assert not waited and len(got) == 1 and isinstance(got[0], UserError), got
    assert "lock" in str(got[0]) and "\n" not in str(got[0]) and got[0].exit_code == 2
    with pytest.raises(UserError, match="No locks available"):
        monkeypatch.setattr(fcntl, "flock", no_locks)
        store.lock(_a_run(store))
