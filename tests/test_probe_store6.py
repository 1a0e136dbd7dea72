"""Probe of the results store (store6): results already computed are never lost or mixed.
Each test failed before its fix."""

from __future__ import annotations

import logging

import pytest
import torch

from benchmark.results import ROW_KEY, ResultsStore
from benchmark.synthetic import write_store

pytestmark = pytest.mark.usefixtures("one_thread")


def _small(root, **kw):
    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0, 1), "n_images": 3,
          "metrics": ("psnr",), "budget_check": False, **kw}
    return write_store(root, **kw)


def _tiny_grid(random_images, losses=("l1",)):
    from benchmark.config import RunConfig
    from benchmark.runner import resolve_all

    data = random_images(3, 40)
    return resolve_all([RunConfig(task="denoise", loss=loss, iterations=2, batch_size=2, crop=32, train_data=data,
                                  test_data=(data,)) for loss in losses])


def test_a_rerun_keeps_the_rows_of_a_run_whose_meta_json_is_missing(tmp_path, random_images, caplog):
    """A finished run whose meta.json was lost (deleted, or left out by a copy): ``check`` and the report
    name its rows, but the next ``plbench run`` of its grid deleted them ("removed 2 file(s) left by an
    interrupted attempt") before retraining. They are now moved to ``runs/<id>/damaged/<n>/`` byte for
    byte, one warning line says where, and the retrained run's rows replace them in the table."""
    from benchmark.config import run_id
    from benchmark.runner import run_grid

    (cfg,) = _tiny_grid(random_images)
    store = ResultsStore(tmp_path / "r")
    cpu = torch.device("cpu")
    run_grid([cfg], store, ("psnr",), cpu, progress=False)
    first = store.table().sort_values(ROW_KEY).reset_index(drop=True)
    rid = run_id(cfg)
    d = store.run_dir(rid)
    passes = {p.name: p.read_bytes() for p in d.glob("eval-*")}
    assert passes
    (d / "meta.json").unlink()
    assert rid in store.unrecorded()
    with caplog.at_level(logging.INFO, logger="benchmark.results"):
        s = run_grid([cfg], store, ("psnr",), cpu, progress=False)
    assert s.trained == 1 and store.is_done(rid)
    kept = d / "damaged" / "0"
    assert {p: (kept / p).read_bytes() for p in passes} == passes
    said = [r for r in caplog.records if r.name == "benchmark.results" and rid in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.WARNING and str(kept) in said[0].getMessage(), \
        [r.getMessage() for r in said]
    again = store.table().sort_values(ROW_KEY).reset_index(drop=True)
    assert again[ROW_KEY + ["value"]].equals(first[ROW_KEY + ["value"]])
    assert store.check() == {} and not store.unrecorded()


def _a_run(store, k=0):
    return [r for r in store.run_ids() if not r.startswith("input")][k]


def test_merge_leaves_a_run_that_a_process_there_is_writing(tmp_path, capsys):
    """``merge`` copied the source's runs without its per-run lock: a node re-scoring a finished run
    there (its new pass's rows written, its record not yet) had the half-written pass copied next to
    the finished rows, and a later merge kept the run here without that metric. A run whose lock is
    held there is now left alone ("held by a running process there"), and copied by the next merge."""
    from benchmark.cli import main
    from benchmark.results import RunLock

    node1, node2 = _small(tmp_path / "node1"), _small(tmp_path / "node2")
    rid = _a_run(node2)
    import shutil

    shutil.rmtree(node1.run_dir(rid))
    busy = RunLock.acquire(node2.run_dir(rid) / ".lock")  # node 2 is re-scoring it: eval-1.parquet is written
    assert not isinstance(busy, str)
    (node2.run_dir(rid) / "eval-1.parquet").write_bytes((node2.run_dir(rid) / "eval-0.parquet").read_bytes())
    try:
        assert main(["merge", str(node2.root), "--out", str(node1.root)]) == 0
        out = capsys.readouterr().out
        assert "1 held by a running process there (not copied: merge again later)" in out, out
        assert not node1.run_dir(rid).exists() or not any(node1.run_dir(rid).glob("eval-*"))
    finally:
        busy.release()
    (node2.run_dir(rid) / "eval-1.parquet").unlink()  # node 2's pass crashed before its record
    assert main(["merge", str(node2.root), "--out", str(node1.root)]) == 0
    assert "1 copied" in capsys.readouterr().out
    merged = ResultsStore(node1.root)
    assert merged.is_done(rid) and merged.check() == {} and set(merged.table()["run_id"]) == set(node2.run_ids())
    assert not (node2.run_dir(rid) / ".lock").exists()  # the source is left as it was


def test_merge_from_a_read_only_source_copies_its_runs(tmp_path, capsys, monkeypatch):
    """A source that cannot be written (a downloaded artefact, a read-only mount) has no lock file to take:
    its runs are copied all the same (no process writes there), and nothing is created in it."""
    import errno

    from benchmark.cli import main
    from benchmark.results import RunLock

    node1, node2 = _small(tmp_path / "node1"), _small(tmp_path / "node2")
    rid = _a_run(node2)
    import shutil

    shutil.rmtree(node1.run_dir(rid))
    real = RunLock.acquire.__func__

    def read_only_there(cls, path):
        if str(path).startswith(str(node2.root)):
            raise PermissionError(errno.EROFS, "Read-only file system", str(path))
        return real(cls, path)

    monkeypatch.setattr(RunLock, "acquire", classmethod(read_only_there))
    assert main(["merge", str(node2.root), "--out", str(node1.root)]) == 0
    assert "1 copied" in capsys.readouterr().out
    assert ResultsStore(node1.root).is_done(rid)


def test_merge_copies_the_record_of_a_run_that_failed_there(tmp_path, capsys):
    """A run that failed on the other node was "not finished there (not copied)": the merged store's
    report then showed that loss with fewer runs and no "failed" — as if the run had never been tried.
    Its record (meta.json, earlier attempts, curve) is now copied when this store has no record of the
    run, so the report counts it as failed, and the next ``plbench run`` here retries it. A run finished
    here, or with its own record here, is kept as it is."""
    import json
    import shutil

    from benchmark.cli import main
    from benchmark.findings import lost_runs
    from benchmark.results import atomic_write_json

    node1, node2 = _small(tmp_path / "node1"), _small(tmp_path / "node2")
    failed_there, failed_both, done_here = _a_run(node2, 0), _a_run(node2, 1), _a_run(node2, 2)
    for rid in (failed_there, failed_both, done_here):
        meta = node2.meta(rid)
        for p in node2.run_dir(rid).glob("eval-*"):
            p.unlink()
        atomic_write_json(node2.run_dir(rid) / "meta.json", {**meta, "status": "failed", "error": "OOM there"})
        (node2.run_dir(rid) / "curve.csv").write_text("iteration,seconds,loss,lr\n1,0.1,0.5,0.001\n")
        (node2.run_dir(rid) / "ckpt.pt").write_bytes(b"node 2's checkpoint")
    (node2.run_dir(failed_there) / "attempts").mkdir()
    atomic_write_json(node2.run_dir(failed_there) / "attempts" / "0.json", {"status": "failed", "error": "first"})
    shutil.rmtree(node1.run_dir(failed_there))
    mine = {**node1.meta(failed_both), "status": "failed", "error": "OOM here"}
    for p in node1.run_dir(failed_both).glob("eval-*"):
        p.unlink()
    atomic_write_json(node1.run_dir(failed_both) / "meta.json", mine)
    before = {p: p.read_bytes() for p in node1.run_dir(done_here).rglob("*") if p.is_file()}

    assert main(["merge", str(node2.root), "--out", str(node1.root)]) == 0
    out = capsys.readouterr().out
    assert "1 failed there (its record copied: the report counts it, `plbench run` here retries it)" in out, out
    merged = ResultsStore(node1.root)
    assert merged.meta(failed_there)["error"] == "OOM there"
    assert json.loads((merged.run_dir(failed_there) / "attempts" / "0.json").read_text())["error"] == "first"
    assert (merged.run_dir(failed_there) / "curve.csv").is_file()
    assert not (merged.run_dir(failed_there) / "ckpt.pt").exists()  # another machine's state: not resumed here
    assert merged.meta(failed_both)["error"] == "OOM here"
    assert {p: p.read_bytes() for p in node1.run_dir(done_here).rglob("*") if p.is_file()} == before
    lost = lost_runs(merged.metas())
    assert sorted(zip(lost["loss"], lost["seed"], lost["status"])) == sorted(
        (merged.meta(r)["config"]["loss"], merged.meta(r)["config"]["seed"], "failed")
        for r in (failed_there, failed_both))
    assert merged.check() == {} and not merged.unrecorded()
    assert main(["merge", str(node2.root), "--out", str(node1.root)]) == 0  # again: nothing more to copy
    assert "failed there" not in capsys.readouterr().out and merged.meta(failed_there)["error"] == "OOM there"


def test_the_categorical_table_parses_each_pass_once(tmp_path, monkeypatch):
    """``table(categories=True)`` (what ``report`` reads) opened every pass's parquet twice — once to learn
    its column names, once to read it — so each footer was parsed twice. Each pass is now parsed once, and
    the table is the string table's, as categoricals."""
    import pyarrow.parquet as pq

    from benchmark.results import as_categories

    store = _small(tmp_path / "s", metrics=("psnr", "ssim"))
    passes = len(list(store.runs.glob("*/eval-*.json")))
    opened = []
    for name in ("ParquetFile", "read_table", "read_metadata", "read_schema"):
        real = getattr(pq, name)
        monkeypatch.setattr(pq, name, lambda *a, _real=real, _name=name, **k: opened.append(_name) or _real(*a, **k))
    got = ResultsStore(store.root).table(categories=True)
    assert len(opened) == passes, sorted(opened)
    monkeypatch.undo()
    import pandas as pd

    pd.testing.assert_frame_equal(got, as_categories(ResultsStore(store.root).table()))


def _scripts():
    import importlib
    import sys
    from pathlib import Path

    scripts = str(Path(__file__).resolve().parents[1] / "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    return importlib.import_module("ab_trees")


CHILD = """
import json, sys
import pandas as pd
from pathlib import Path
tree = Path.cwd().name
pd.DataFrame({"x": [1, 2, 3] if tree != "odd" else [1, 2, 4]}).to_pickle(sys.argv[2])
print("noise")
print(json.dumps({"rows": 3, "s": 2.0 if tree == "a" else 1.0, "peak_mb": 100.0 if tree == "a" else 75.0}))
"""


def test_both_store_timers_share_one_loop_that_prints_medians_and_ratios_side_by_side(tmp_path, capsys):
    """``scripts/bench_store.py`` repeated ``scripts/bench_table.py``'s timing loop (processes per tree,
    alternation, medians, the frames compared): both now call :func:`ab_trees.side_by_side`, which prints,
    per quantity, A's and B's medians and B / A on one line, and refuses trees that read different frames."""
    import inspect

    ab = _scripts()
    import bench_store
    import bench_table

    for mod in (bench_store, bench_table):
        assert "side_by_side(" in inspect.getsource(mod.run) and not hasattr(mod, "measure"), mod.__name__
    trees = {name: tmp_path / name for name in ("a", "b", "odd")}
    for t in trees.values():
        t.mkdir()
    ratio = ab.side_by_side(CHILD, tmp_path, trees["a"], trees["b"], repeats=1)
    assert ratio == {"s": 0.5, "peak_mb": 0.75}
    out = capsys.readouterr().out.splitlines()
    assert [ln.split() for ln in out if ln.startswith(("time", "peak memory"))] == [
        ["time", "A", "2.00", "B", "1.00", "s", "B", "/", "A", "0.50"],
        ["peak", "memory", "A", "100.00", "B", "75.00", "MB", "above", "imports", "B", "/", "A", "0.75"]], out
    with pytest.raises(AssertionError):
        ab.side_by_side(CHILD, tmp_path, trees["a"], trees["odd"], repeats=1)


def test_a_full_disk_while_a_run_starts_its_curve_is_disk_full_not_a_failed_loss(tmp_path, random_images,
                                                                                 monkeypatch):
    """ENOSPC where a run opens its ``curve.csv`` (or any write outside the atomic writers: TensorBoard's
    event files) was recorded as that run's failure: every run of the grid became ``failed`` with
    "OSError: [Errno 28] …", the leaderboard said each loss failed, and the command exited 1. A full disk
    is now what the README says: one line (exit code 3, :class:`DiskFull`), no run recorded as failed, and
    the same command afterwards runs the grid."""
    import builtins
    import errno

    import benchmark.loggers as loggers
    from benchmark.config import run_id
    from benchmark.results import DiskFull
    from benchmark.runner import run_grid

    cfgs = _tiny_grid(random_images, ("l1", "l2"))
    store = ResultsStore(tmp_path / "r")
    cpu = torch.device("cpu")
    real = builtins.open

    def full(path, mode="r", *a, **k):
        if str(path).endswith("curve.csv") and mode[:1] in "wa":  # written atomically, then appended to (c2a1bb2)
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, mode, *a, **k)

    monkeypatch.setattr(loggers, "open", full, raising=False)
    with pytest.raises(DiskFull, match=r"^disk full while writing .*curve\.csv .*run the same command again"):
        run_grid(cfgs, store, ("psnr",), cpu, progress=False)
    assert DiskFull.exit_code == 3
    assert all(store.meta(run_id(c)) is None for c in cfgs)  # no run is recorded as failed
    monkeypatch.undo()
    s = run_grid(cfgs, store, ("psnr",), cpu, progress=False)
    assert (s.trained, s.failed) == (2, 0)


def test_compare_on_a_store_it_cannot_write_says_so_before_any_work(tmp_path, capsys, monkeypatch):
    """``plbench compare`` on a read-only copy (a downloaded artefact, a read-only mount) loaded the data,
    probed the new loss and only then stopped at ``run``'s bare "results directory … is not writable" (or,
    with nothing to train, at "cannot write …/results.csv … run the same command again to resume"). It now
    says, as ``report`` does, before any work and touching nothing, that it writes there and to copy it."""
    import re
    import shlex

    from benchmark import cli

    store = _small(tmp_path / "my results")
    before = {p: p.stat().st_mtime_ns for p in store.root.rglob("*")}
    monkeypatch.setattr(cli, "_not_writable", lambda folder: "Read-only file system")
    assert cli.main(["compare", "--loss", "l2", "--out", str(store.root), "-q"]) == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error: results directory {store.root} is not writable "
                                                   "(Read-only file system)"), err
    m = re.search(r"\(cp -r (.*) <a writable place>\)", err)
    assert m and shlex.split(m.group(1)) == [str(store.root)], err
    assert {p: p.stat().st_mtime_ns for p in store.root.rglob("*")} == before


def test_two_reports_at_once_on_one_store_never_mix_their_outputs(tmp_path, caplog):
    """Two ``plbench report`` at once on one store (two terminals, a grid's report and a user's): each wrote
    its files as it went and removed the figure files it had not written itself, so the other's outputs were
    mixed in or deleted (one with ``--formats png svg`` removed the PDFs the default one then listed as
    written). A report now holds the store's report lock (``.report.lock``) from reading to its last file: the
    second waits, saying so in one line, then writes all of its own outputs."""
    import threading
    import time

    from benchmark.report import write_report
    from benchmark.results import RunLock

    store = _small(tmp_path / "s")
    first = RunLock.acquire(store.root / ".report.lock")  # another process is writing its report
    assert not isinstance(first, str)
    done: list = []
    worker = threading.Thread(target=lambda: done.append(write_report(
        ResultsStore(store.root), formats=("png",), visual=False, html=False, n_boot=50)))
    with caplog.at_level(logging.INFO):
        worker.start()
        try:
            deadline = time.time() + 30
            while "waiting" not in caplog.text and time.time() < deadline and worker.is_alive():
                time.sleep(0.05)
            assert "another report is being written into" in caplog.text and worker.is_alive(), caplog.text
            assert not (store.root / "leaderboard.md").exists() and not (store.root / "results.csv").exists()
        finally:
            released = time.time()
            first.release()
            worker.join(120)
    assert done and all(p.stat().st_mtime >= released - 1 for p in done[0].values())
    assert (store.root / "leaderboard.md").is_file() and not (store.root / ".report.lock").exists()


def test_a_full_disk_while_merge_copies_a_runs_folder_is_one_line(tmp_path, capsys, monkeypatch):
    """``merge`` copied a run's sub-folders (TensorBoard's ``tb/``) with ``shutil.copytree``, which on a full
    disk went on copying, then raised ``shutil.Error`` with every failed file: a traceback, not the one
    disk-full line (exit code 3) every other write gives. Each file of a sub-folder is now copied atomically
    too; a full disk is one line, the interrupted run is not done here, and the next merge completes it."""
    import errno
    import shutil
    from pathlib import Path

    from benchmark.cli import main

    node1, node2 = _small(tmp_path / "node1"), _small(tmp_path / "node2")
    rid = _a_run(node2)
    shutil.rmtree(node1.run_dir(rid))
    (node2.run_dir(rid) / "tb").mkdir()
    (node2.run_dir(rid) / "tb" / "events.out.tfevents.1").write_bytes(b"event log")
    real = shutil.copyfile

    def full(path):  # the disk fills up when the copy reaches tb/ (the run's other files fit)
        if "tb" in Path(path).parts:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(shutil, "copyfile", lambda src, dst, *a, **k: full(dst) or real(src, dst, *a, **k))
    monkeypatch.setattr("benchmark.results.disk_full_point", full)
    code = main(["merge", str(node2.root), "--out", str(node1.root)])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 3 and len(lines) == 1 and lines[0].startswith("error: disk full while writing "), err
    assert not ResultsStore(node1.root).is_done(rid)
    monkeypatch.undo()
    assert main(["merge", str(node2.root), "--out", str(node1.root)]) == 0
    merged = ResultsStore(node1.root)
    assert merged.is_done(rid) and merged.check() == {}
    assert (merged.run_dir(rid) / "tb" / "events.out.tfevents.1").read_bytes() == b"event log"


def test_merge_never_locks_a_run_that_is_unfinished_there(tmp_path, monkeypatch):
    """Reading the source under its locks must not get in the way of the node still working there: a run
    not finished there (no meta.json yet) is not copied, and its lock is never taken — a worker there that
    found it held would leave the run undone ("held by …; leaving it to that process")."""
    from benchmark.results import RunLock

    node1, node2 = _small(tmp_path / "node1"), _small(tmp_path / "node2")
    rid = _a_run(node2)
    (node2.run_dir(rid) / "meta.json").unlink()  # node 2 is training or evaluating it
    import shutil

    shutil.rmtree(node1.run_dir(rid))
    other = _a_run(node2, 1)
    shutil.rmtree(node1.run_dir(other))  # finished there, not here: copied
    taken = []
    real = RunLock.acquire.__func__
    monkeypatch.setattr(RunLock, "acquire", classmethod(lambda cls, path: taken.append(path) or real(cls, path)))
    got = ResultsStore(node1.root).merge_from(ResultsStore(node2.root))
    assert got["unfinished"] == [rid] and node2.run_dir(rid) / ".lock" not in taken
    assert got["copied"] == [other] and node2.run_dir(other) / ".lock" in taken  # read under its lock


def test_findings_waits_for_a_report_being_written(tmp_path, caplog):
    """``plbench findings`` writes ``findings.md`` and ``findings.csv``, which every report writes too: run
    while a report was being written, the pair could come from two different checks (one file each). It
    holds the store's report lock while it writes them, as a report does."""
    import threading
    import time

    from benchmark.cli import main
    from benchmark.results import RunLock

    store = _small(tmp_path / "s")
    first = RunLock.acquire(store.root / ".report.lock")
    assert not isinstance(first, str)
    codes: list = []
    worker = threading.Thread(target=lambda: codes.append(main(["findings", "--out", str(store.root),
                                                                  "--bootstrap", "100"])))
    with caplog.at_level(logging.INFO):
        worker.start()
        try:
            deadline = time.time() + 60
            while "waiting" not in caplog.text and time.time() < deadline and worker.is_alive():
                time.sleep(0.05)
            assert "another report is being written into" in caplog.text and worker.is_alive(), caplog.text
            assert not (store.root / "findings.md").exists()
        finally:
            first.release()
            worker.join(120)
    assert codes == [0] and (store.root / "findings.md").is_file() and (store.root / "findings.csv").is_file()


@pytest.mark.parametrize("where", ["damaged", "attempts"])
def test_a_full_disk_while_setting_files_aside_is_one_line(tmp_path, monkeypatch, where):
    """Before a retry, a run's earlier files are set aside in new folders (``damaged/<n>/``, ``attempts/``):
    on a full disk (or a store turned read-only) making that folder raised a bare OSError out of the run —
    "internal error" — instead of the one disk-full line; nothing was moved."""
    import errno
    from pathlib import Path

    from benchmark.results import DiskFull, atomic_write_json

    store = _small(tmp_path / "s")
    rid = _a_run(store)
    d = store.run_dir(rid)
    meta = store.meta(rid)
    if where == "damaged":
        (d / "meta.json").unlink()  # its passes are moved aside before the retry
    else:
        atomic_write_json(d / "meta.json", {**meta, "status": "failed", "error": "boom"})
    before = sorted(p.name for p in d.iterdir())
    real = Path.mkdir

    def full(self, *a, **k):
        if self.name == where or self.parent.name == where:
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real(self, *a, **k)

    monkeypatch.setattr(Path, "mkdir", full)
    with pytest.raises(DiskFull, match=r"^disk full while writing .*" + where):
        store.archive_attempt(rid)
        store.reset_run(rid)
    monkeypatch.undo()
    assert sorted(p.name for p in d.iterdir()) == before


def test_a_full_disk_when_a_run_is_locked_is_one_line(tmp_path, random_images, monkeypatch):
    """Taking a run's lock creates ``runs/<id>/.lock``: on a full disk (no inode or block left for it) that
    raised a bare OSError out of ``plbench run`` ("internal error") before any other write could say "disk
    full". It is now the one disk-full line (exit code 3), nothing recorded."""
    import errno
    import os

    from benchmark.config import run_id
    from benchmark.results import DiskFull
    from benchmark.runner import run_grid

    (cfg,) = _tiny_grid(random_images)
    store = ResultsStore(tmp_path / "r")
    real = os.open

    def full(path, flags, *a, **k):
        if str(path).endswith(".lock") and flags & os.O_CREAT:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, flags, *a, **k)

    monkeypatch.setattr(os, "open", full)
    with pytest.raises(DiskFull, match=r"^disk full while writing .*\.lock"):
        run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False)
    monkeypatch.undo()
    assert store.meta(run_id(cfg)) is None


def test_merge_into_a_store_it_cannot_write_names_merge(tmp_path, capsys, monkeypatch):
    """``plbench merge SRC --out DST`` into a read-only DST said "`plbench run` writes its runs and report
    there" — a command the user did not run. The line now names what merge does there; nothing is copied."""
    import os

    from benchmark.cli import main

    node1, node2 = _small(tmp_path / "node1"), _small(tmp_path / "node2")
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, *a, **k: False if (str(p) == str(node1.root) and mode & os.W_OK)
                        else real(p, mode, *a, **k))
    assert main(["merge", str(node2.root), "--out", str(node1.root)]) == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "`plbench merge` copies the other stores' runs into it" in lines[0] \
        and "plbench run" not in lines[0], err


def test_check_names_a_run_a_killed_merge_left_half_copied(tmp_path, capsys):
    """A ``merge`` killed mid-run leaves that run's rows and net copied but not its records (``eval-*.json``
    and ``meta.json`` come after them): ``check`` said "every record readable", the report had no note, and
    the run was silently missing from its cell. ``check`` now names it and how to finish it; nothing moves."""
    import shutil

    from benchmark.cli import main

    node1, node2 = _small(tmp_path / "node1"), _small(tmp_path / "node2")
    rid = _a_run(node2)
    shutil.rmtree(node1.run_dir(rid))
    node1.run_dir(rid).mkdir()
    for name in ("eval-0.parquet",):  # copied before the kill; its record and meta.json were not
        shutil.copy(node2.run_dir(rid) / name, node1.run_dir(rid) / name)
    # exit 1: a run in no leaderboard needs the same merge again (`check && report` drew a board without it)
    assert main(["check", "--out", str(node1.root)]) == 1
    out = capsys.readouterr().out
    assert f"run {rid}: files without any record (no meta.json, no eval-*.json)" in out, out
    assert sorted(p.name for p in node1.run_dir(rid).iterdir()) == ["eval-0.parquet"]
    assert main(["merge", str(node2.root), "--out", str(node1.root)]) == 0
    capsys.readouterr()
    assert main(["check", "--out", str(node1.root)]) == 0 and "without any record" not in capsys.readouterr().out
