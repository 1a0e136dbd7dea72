"""Review of the overnight probe: SLURM drivers stopped mid-submission, merges from rsync copies, step-time
pruning. Each test failed before its fix, but for the guard that a submission the queue lists is not submitted
again (held before, and must still)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from benchmark.results import ResultsStore

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import fake_slurm  # noqa: E402


def _small_store(root):
    from benchmark.synthetic import write_store

    return write_store(root, offsets={"l1": 0.0, "good": 1.0}, seeds=(0, 1), n_images=3, metrics=("psnr",),
                       budget_check=False)


def _fake_slurm(tmp_path, monkeypatch, jobs):
    """SLURM faked on PATH, submitit's executor calling ``jobs(n)`` for n units (as sbatch would)."""
    import fake_slurm
    import submitit

    import benchmark.executors as ex

    for k, v in fake_slurm.install(tmp_path / "bin", tmp_path / "state").items():
        monkeypatch.setenv(k, v)
    Executor = fake_slurm.executor(jobs)
    monkeypatch.setattr(submitit, "AutoExecutor", Executor)
    monkeypatch.setattr(ex, "SLURM_POLL_S", 0.01)
    return Executor


def _queue(tmp_path, name: str, base: int, n: int, state: str = "PENDING") -> list[str]:
    """What sbatch --job-name=name --array=0-(n-1) leaves in the fake SLURM."""
    (tmp_path / "state" / f"{base}.name").write_text(name)
    ids = [f"{base}_{i}" for i in range(n)]
    for j in ids:
        (tmp_path / "state" / f"{j}.state").write_text(state)
    return ids


def test_a_driver_stopped_before_sbatch_and_run_again_at_once_submits_its_runs(tmp_path, monkeypatch, caplog):
    """Ctrl-C while the driver pickled its units (before ``sbatch``) and the same command again at once: the
    second driver submitted nothing for 10 minutes (the accounting lag allowed to ``sacct``), though the
    controller (``squeue``) says at once that no job of that submission exists. Now ``squeue`` settles it: no
    job of that name queued or just finished there — never submitted, the runs are submitted now."""
    import logging

    from test_probe_overnight import _slurm_unit

    import benchmark.executors as ex

    submitted: list[list[str]] = []
    stop = [True]

    def jobs(n):
        if stop[0]:
            raise KeyboardInterrupt  # before sbatch
        ids = _queue(tmp_path, Executor.params["name"], 1000 + len(submitted), n)
        submitted.append(ids)
        return [fake_slurm.Job(j) for j in ids]

    Executor = _fake_slurm(tmp_path, monkeypatch, jobs)
    unit = _slurm_unit(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        ex.execute_slurm(list(unit.configs), unit.store_root, unit.metrics, "cpu", split="run")
    stop[0] = False
    with caplog.at_level(logging.INFO, logger="benchmark.executors"):
        ex.execute_slurm(list(unit.configs), unit.store_root, unit.metrics, "cpu", split="run")
    assert submitted == [["1000_0", "1000_1"]], (submitted, caplog.text)
    ledger = json.loads((Path(unit.store_root) / ".slurm-jobs.json").read_text())
    assert sorted(ledger["runs"].values()) == ["1000_0", "1000_1"] and not ledger.get("pending"), ledger


def test_a_submission_queued_but_not_in_accounting_yet_is_found_in_the_queue(tmp_path, monkeypatch):
    """The other side: ``sacct`` lists no job yet (accounting lags), ``squeue`` does: its runs are recorded to
    those jobs and not submitted again."""
    from test_probe_overnight import _slurm_unit

    import benchmark.executors as ex

    submitted: list[list[str]] = []
    stop = [True]

    def jobs(n):
        ids = _queue(tmp_path, Executor.params["name"], 1000 + len(submitted), n)
        submitted.append(ids)
        if stop[0]:
            raise KeyboardInterrupt  # after sbatch
        return [fake_slurm.Job(j) for j in ids]

    Executor = _fake_slurm(tmp_path, monkeypatch, jobs)
    unit = _slurm_unit(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        ex.execute_slurm(list(unit.configs), unit.store_root, unit.metrics, "cpu", split="run")
    stop[0] = False
    monkeypatch.setenv("FAKE_SLURM_SACCT_LAG", "1")  # sacct lists nothing yet
    ex.execute_slurm(list(unit.configs), unit.store_root, unit.metrics, "cpu", split="run")
    assert submitted == [["1000_0", "1000_1"]], submitted


def test_an_earlier_submission_found_later_never_takes_runs_from_a_newer_one(tmp_path, monkeypatch, caplog):
    """A driver stopped after ``sbatch`` (its jobs unrecorded), the next one run while neither ``sacct`` nor
    ``squeue`` could say (its runs submitted again, said in a warning, and recorded to the new jobs), the user
    cancels the first jobs: the third driver, its ``sacct`` back, found the first submission's jobs and recorded
    every run to them — cancelled — over the second submission's, still queued, and submitted every run a third
    time (two jobs racing per run). A run recorded to a later submission now keeps it."""
    import logging

    from test_probe_overnight import _slurm_unit

    import benchmark.executors as ex

    submitted: list[list[str]] = []
    stop = [True]

    def jobs(n):
        ids = _queue(tmp_path, Executor.params["name"], 1000 + len(submitted), n)
        submitted.append(ids)
        if stop[0]:
            raise KeyboardInterrupt  # after sbatch, before the record
        return [fake_slurm.Job(j) for j in ids]

    Executor = _fake_slurm(tmp_path, monkeypatch, jobs)
    unit = _slurm_unit(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        ex.execute_slurm(list(unit.configs), unit.store_root, unit.metrics, "cpu", split="run")
    stop[0] = False
    monkeypatch.setenv("FAKE_SLURM_SACCT_DOWN", "1")
    monkeypatch.setenv("FAKE_SLURM_SQUEUE_DOWN", "1")
    ex.execute_slurm(list(unit.configs), unit.store_root, unit.metrics, "cpu", split="run")
    assert submitted == [["1000_0", "1000_1"], ["1001_0", "1001_1"]], submitted
    monkeypatch.delenv("FAKE_SLURM_SACCT_DOWN")
    monkeypatch.delenv("FAKE_SLURM_SQUEUE_DOWN")
    for j in submitted[0]:
        (tmp_path / "state" / f"{j}.state").write_text("CANCELLED by 1234")
    with caplog.at_level(logging.INFO, logger="benchmark.executors"):
        ex.execute_slurm(list(unit.configs), unit.store_root, unit.metrics, "cpu", split="run")
    assert len(submitted) == 2, submitted
    assert "queued SLURM job 1000 for" not in caplog.text, caplog.text  # no run recorded to them: not said
    ledger = json.loads((Path(unit.store_root) / ".slurm-jobs.json").read_text())
    assert sorted(ledger["runs"].values()) == ["1001_0", "1001_1"] and not ledger.get("pending"), ledger


def test_a_merge_never_copies_rsyncs_hidden_partial_files(tmp_path):
    """rsync writes each file as ``.<name>.XXXXXX`` and renames it when complete: a copy stopped (or merged) mid-run
    holds such a half file. ``merge`` copied it into this store as a file of the run: a partial net, often the
    largest file, kept for ever (the run is kept by every later merge). Hidden files (rsync's, our own atomic
    writes') are never a run's: not copied."""
    import shutil

    src = _small_store(tmp_path / "node2")
    rids = [r for r in src.run_ids() if not r.startswith("input")]
    for rid in rids:
        (src.run_dir(rid) / "net.pt").write_bytes(b"net of " + rid.encode())
    partial = tmp_path / "copy"
    shutil.copytree(src.root, partial)
    for rid in rids:
        (partial / "runs" / rid / "net.pt").rename(partial / "runs" / rid / ".net.pt.Xy12Ab")  # rsync stopped
        (partial / "runs" / rid / ".net.pt.Xy12Ab").write_bytes(b"net o")  # half-written
    dst = ResultsStore(tmp_path / "node1")
    dst.ensure_writable()
    assert set(rids) <= set(dst.merge_from(ResultsStore(partial))["copied"])
    hidden = [p for rid in rids for p in dst.run_dir(rid).rglob(".*") if p.name != ".lock"]
    assert hidden == [], hidden
    out = dst.merge_from(src)
    assert set(rids) <= set(out["kept"]), out
    assert all((dst.run_dir(rid) / "net.pt").read_bytes() == b"net of " + rid.encode() for rid in rids)


def test_steptimes_keeps_every_time_the_dry_run_just_used(tmp_path, monkeypatch):
    """A dry run of a grid with more (net, loss, task, shape) cells than :data:`~benchmark.perf.STEPTIMES_MAX`
    measured each, then saved only the most recent ones: the same dry run again measured the rest anew (minutes),
    every time. The times the dry run used are all kept; the cap trims only times it did not use."""
    import benchmark.perf as perf

    monkeypatch.setattr(perf, "STEPTIMES_MAX", 3)
    path = tmp_path / "steptimes.json"
    old = perf.StepTimes(path)
    old.get("cpu:other", lambda: 0.1)
    old.save()
    for _ in range(2):
        times = perf.StepTimes(path)
        got = [times.get(f"cpu:grid|{i}", lambda: 0.2) for i in range(5)]
        times.save()
    assert got == [0.2] * 5 and (times.measured, times.reused) == (0, 5), (times.measured, times.reused)
    assert set(perf.StepTimes(path).data) == {f"cpu:grid|{i}" for i in range(5)}


def test_without_accounting_a_stopped_submission_is_settled_by_the_queue_not_warned_about_for_ever(
        tmp_path, monkeypatch, caplog):
    """A cluster without accounting (``sacct`` fails: no slurmdbd): a driver stopped before ``sbatch`` left its
    submission pending, and every later driver warned that it 'cannot tell whether an earlier driver … queued SLURM
    jobs' for its runs — for ever, the entry never dropped, however long those runs had been finished. The
    controller (``squeue``) says it: no job of that name queued or running, the submission is dropped, silently."""
    import logging

    from test_probe_overnight import _slurm_unit

    import benchmark.executors as ex

    submitted: list[list[str]] = []
    stop = [True]

    def jobs(n):
        if stop[0]:
            raise KeyboardInterrupt  # before sbatch
        ids = _queue(tmp_path, Executor.params["name"], 1000 + len(submitted), n, state="COMPLETED")
        submitted.append(ids)
        return [fake_slurm.Job(j) for j in ids]

    Executor = _fake_slurm(tmp_path, monkeypatch, jobs)
    monkeypatch.setenv("FAKE_SLURM_SACCT_DOWN", "1")
    unit = _slurm_unit(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        ex.execute_slurm(list(unit.configs), unit.store_root, unit.metrics, "cpu", split="run")
    stop[0] = False
    with caplog.at_level(logging.INFO, logger="benchmark.executors"):
        ex.execute_slurm(list(unit.configs), unit.store_root, unit.metrics, "cpu", split="run")
    assert submitted == [["1000_0", "1000_1"]], submitted
    assert "earlier driver" not in caplog.text, caplog.text
    ledger = json.loads((Path(unit.store_root) / ".slurm-jobs.json").read_text())
    assert not ledger.get("pending"), ledger


def test_a_ray_driver_says_the_grids_progress_now_that_run_tasks_count_their_own_run(tmp_path, monkeypatch, caplog):
    """``--executor ray --split run``: each task's progress line counted the whole grid ("run 37/500 …, ETA"), the
    only progress a Ray user saw (forwarded to the driver). A run task now carries its own run only (the pickled
    grid was quadratic), so every line said "run 1/1" and nothing counted the grid: the SLURM driver got a grid
    progress line of its own, the Ray driver none. It now logs the grid's line while it waits, as SLURM's does."""
    import logging
    import types

    from test_probe_overnight import _slurm_unit

    import benchmark.executors as ex

    class FakeRay:
        exceptions = types.SimpleNamespace(RayError=RuntimeError)

        def is_initialized(self):
            return True

        def cluster_resources(self):
            return {"CPU": 2.0}

        def remote(self, **opts):
            return lambda fn: types.SimpleNamespace(remote=lambda unit: f"ref-{unit.tag}")

        def wait(self, refs, num_returns=1, timeout=None):
            return refs[:num_returns], refs[num_returns:]

        def get(self, ref):
            return {}

    monkeypatch.setattr(ex, "_require", lambda module, extra: FakeRay())
    unit = _slurm_unit(tmp_path, seeds=(0, 1, 2))
    with caplog.at_level(logging.INFO, logger="benchmark"):
        ex.execute_ray(list(unit.configs), unit.store_root, unit.metrics, "cpu", split="run", workers=2)
    assert "grid run 1/3" in caplog.text, caplog.text


def test_bench_big_store_refuses_a_command_it_does_not_have(capsys):
    """``scripts/bench_big_store.py --only merge`` (the commands are ``merge-copy`` and ``merge-again``) built both
    stores, timed nothing and printed an empty table with exit status 0: a comparison that silently did not
    happen. An unknown name is now an error naming the commands."""
    from conftest import load_script

    mod = load_script("bench_big_store")
    with pytest.raises(SystemExit) as exc:
        mod.main(["--only", "merge", "--runs", "2", "--factor", "1", "--losses", "1", "--images", "1"])
    assert exc.value.code == 2 and "merge-copy, merge-again" in capsys.readouterr().err


def test_a_worker_waits_for_a_merge_filling_in_a_runs_net_rather_than_leave_the_run(tmp_path, monkeypatch):
    """A merge copying the net of a run kept here (copied earlier without it) held the run's lock unmarked: a worker
    here wanting the run then (``plbench run --metrics …`` re-scoring it, which needs that very net) found it 'held
    by a running process' and left it unscored. The copy is marked as a merge's (:data:`MERGE_WRITE`), which a
    worker waits for, as for every other copy of a merge."""
    import shutil
    import threading
    import time

    import benchmark.results as results

    src = _small_store(tmp_path / "node2")
    rid = next(r for r in src.run_ids() if not r.startswith("input"))
    (src.run_dir(rid) / "net.pt").write_bytes(b"net")
    partial = tmp_path / "copy"
    shutil.copytree(src.root, partial)
    (partial / "runs" / rid / "net.pt").unlink()
    dst = ResultsStore(tmp_path / "node1")
    dst.ensure_writable()
    dst.merge_from(ResultsStore(partial))
    got: list = []
    workers: list[threading.Thread] = []
    write = results.atomic_write_bytes

    def copying(path, data):
        if path.name == "net.pt":  # a worker here wants the run while the merge copies its net
            workers.append(threading.Thread(target=lambda: got.append(dst.lock(rid, poll_s=0.01))))
            workers[0].start()
            time.sleep(0.3)
            assert not got, got  # still waiting for the copy (it once left the run as 'held')
        write(path, data)

    monkeypatch.setattr(results, "atomic_write_bytes", copying)
    dst.merge_from(src)
    workers[0].join(10)  # the worker's result, whether it took the lock before or after merge_from returned
    assert len(got) == 1 and isinstance(got[0], results.RunLock), got  # waited for the copy, then had the run
    got[0].release()
    assert (dst.run_dir(rid) / "net.pt").read_bytes() == b"net"
