"""Review of the store7 commits (SLURM job record, merge of attempts, lock hints): each test failed before its fix."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest

from benchmark.results import ResultsStore

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_probe_store7 import _held_from_another_host, _rename_fails, _slurm_unit, _small  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")


def _fake_jobs(tmp_path, monkeypatch):
    """Fake SLURM on PATH (its ``sacct`` reads ``state/<job>.state``) and a submitit whose jobs are queued; the
    list of job-id lists submitted, and a switch that makes ``sacct`` fail (its accounting down) and ``squeue`` (the
    controller timing out): neither can say which jobs still run."""
    import fake_slurm
    import submitit

    import benchmark.executors as ex

    env = fake_slurm.install(tmp_path / "bin", tmp_path / "state")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "sacct").write_text("#!/bin/sh\necho 'sacct: error: Slurm accounting storage is disabled' >&2\n"
                                  "exit 1\n")
    (broken / "sacct").chmod(0o755)
    # the controller unreachable too: where only sacct fails, squeue says which jobs still run (probe-overnight)
    (broken / "squeue").write_text("#!/bin/sh\necho 'slurm_load_jobs error: Socket timed out on send/recv "
                                   "operation' >&2\nexit 1\n")
    (broken / "squeue").chmod(0o755)
    submitted: list[list[str]] = []

    def jobs(n):
        base = 1000 + len(submitted)
        ids = [f"{base}_{i}" for i in range(n)]
        submitted.append(ids)
        for j in ids:
            (tmp_path / "state" / f"{j}.state").write_text("PENDING")
        return [fake_slurm.Job(j) for j in ids]

    def sacct_down(down: bool):
        monkeypatch.setenv("PATH", f"{broken}:{env['PATH']}" if down else env["PATH"])

    monkeypatch.setattr(submitit, "AutoExecutor", fake_slurm.executor(jobs))
    monkeypatch.setattr(ex, "SLURM_POLL_S", 0.01)
    monkeypatch.setattr(ex, "SLURM_ACCOUNTING_LAG_S", 0.0)  # a job sacct does not list is not taken as queued
    return submitted, sacct_down


def test_a_driver_whose_sacct_fails_keeps_the_earlier_drivers_jobs_in_the_record(tmp_path, monkeypatch, caplog):
    """``sacct`` failing (accounting down, not installed on this login node, timed out) while a driver records its
    jobs: every earlier entry was dropped from ``.slurm-jobs.json`` — the jobs of another grid on the same
    ``--out``, still queued — so the next driver (sacct back) submitted those runs a second time; and the one
    failure was warned twice (reading the record, then writing it), the second line saying runs were "submitted
    again" that this driver never submitted. The record now keeps what it cannot check (less the runs the store
    has finished), ``sacct`` is asked once per driver, and one line says so."""
    import benchmark.executors as ex

    submitted, sacct_down = _fake_jobs(tmp_path, monkeypatch)
    grid_a = _slurm_unit(tmp_path, seeds=(0, 1))
    grid_b = _slurm_unit(tmp_path, seeds=(2,))

    def run(unit):
        return ex.execute_slurm(list(unit.configs), unit.store_root, unit.metrics, "cpu", split="run")

    run(grid_a)  # jobs 1000_0, 1000_1: queued
    sacct_down(True)
    with caplog.at_level(logging.INFO, logger="benchmark.executors"):
        run(grid_b)  # another grid on the same --out, sacct down: job 1001_0
    assert submitted == [["1000_0", "1000_1"], ["1001_0"]], submitted
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warned == [], warned  # none of its runs was in the record: nothing submitted again
    ledger = json.loads((Path(grid_a.store_root) / ".slurm-jobs.json").read_text())
    assert sorted(ledger["runs"].values()) == ["1000_0", "1000_1", "1001_0"], ledger
    sacct_down(False)
    run(grid_a)  # sacct back: grid a's jobs are still queued
    assert submitted == [["1000_0", "1000_1"], ["1001_0"]], f"runs submitted twice: {submitted}"
    caplog.clear()
    sacct_down(True)
    with caplog.at_level(logging.INFO, logger="benchmark.executors"):
        run(grid_a)  # sacct down: cannot tell, submitted again — said once
    assert submitted[-1] == ["1002_0", "1002_1"], submitted
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warned) == 1 and "sacct" in warned[0], warned


def test_a_record_of_finished_runs_is_pruned_while_sacct_fails(tmp_path, monkeypatch):
    """Kept while ``sacct`` cannot say (the fix above), the record still drops the runs the store has finished: it
    does not grow for ever where ``sacct`` never works. (A guard of that fix: before it, everything was dropped.)"""
    import benchmark.executors as ex
    from benchmark.config import run_id

    submitted, sacct_down = _fake_jobs(tmp_path, monkeypatch)
    sacct_down(True)
    grid_a = _slurm_unit(tmp_path, seeds=(0,))
    grid_b = _slurm_unit(tmp_path, seeds=(1,))
    ex.execute_slurm(list(grid_a.configs), grid_a.store_root, grid_a.metrics, "cpu", split="run")
    ex.run_unit(grid_a)  # its job ran: the run is finished
    assert ResultsStore(grid_a.store_root).is_done(run_id(grid_a.configs[0]))
    ex.execute_slurm(list(grid_b.configs), grid_b.store_root, grid_b.metrics, "cpu", split="run")
    ledger = json.loads((Path(grid_a.store_root) / ".slurm-jobs.json").read_text())
    assert ledger == {"runs": {run_id(grid_b.configs[0]): "1001_0"}, "at": {"1001_0": ledger["at"].get("1001_0")}}, \
        ledger
    assert submitted == [["1000_0"], ["1001_0"]]


def test_a_submission_lock_held_from_another_host_says_who_and_how_to_clear_it(tmp_path, monkeypatch, lock_hint):
    """Two login nodes sharing the store (NFS): a driver waiting for the submission lock (``.slurm-submit.lock``)
    that a driver on another machine holds — one that crashed there, its lock kept by the file server — waited
    for ever after one "waiting" line, where a report or a merge's read now names the holder after
    ``LOCK_HINT_S``. The submission lock's wait now warns the same way, once."""
    import benchmark.results as results
    from benchmark.executors import SlurmLedger

    monkeypatch.setattr(results, "LOCK_HINT_S", 0.3)
    store = _small(tmp_path / "r")
    ledger = SlurmLedger(store.root)
    held = _held_from_another_host(ledger.lock_path)

    def wait_for_it():
        with ledger.held(poll_s=0.05):
            pass

    hints = lock_hint(wait_for_it, held)
    assert len(hints) == 1, hints
    assert "pid 4242" in hints[0] and "node-gone-17" in hints[0] and f"remove {ledger.lock_path}" in hints[0], hints


def test_merge_of_a_failed_run_keeps_its_attempts_curves(tmp_path):
    """``merge`` of a run that failed there copied its ``attempts/<n>.json`` but not the ``<n>.curve.csv`` filed
    beside one (a merge there replacing a failed attempt): the failed attempt's curve was lost, where a finished
    run's attempts (:meth:`ResultsStore._merge_attempts`) keep theirs. Both now go through one copy."""
    from benchmark.results import atomic_write_json

    src = _small(tmp_path / "node2")
    rid = next(r for r in src.run_ids() if not r.startswith("input"))
    d = src.run_dir(rid)
    meta = src.meta(rid)
    for p in d.glob("eval-*"):
        p.unlink()
    atomic_write_json(d / "meta.json", {**meta, "status": "failed", "error": "NaN at 3"})
    atomic_write_json(d / "attempts" / "0.json", {**meta, "status": "failed", "error": "OOM"})
    (d / "attempts" / "0.curve.csv").write_text("iteration,seconds,loss,lr\n1,0.1,0.5,0.001\n")
    dst = ResultsStore(tmp_path / "node1")
    dst.ensure_writable()
    assert rid in dst.merge_from(src)["failed"]
    here = dst.run_dir(rid) / "attempts"
    assert sorted(p.name for p in here.iterdir()) == ["0.curve.csv", "0.json"]
    assert (here / "0.curve.csv").read_bytes() == (d / "attempts" / "0.curve.csv").read_bytes()
    assert dst.check() == {}


def test_a_lock_holder_that_names_no_host_gets_no_other_machine_hint(tmp_path):
    """A lock file read while empty (its holder between ``flock`` and writing its name: "another process") was
    described as held "by another machine" with the advice to remove the lock file — a live local process's
    lock, whose removal lets a second process in. An unknown holder now gets no such hint; a marked lock's time
    is named without the mark's comma."""
    from benchmark.results import MERGE_READ, stale_lock_hint

    path = tmp_path / ".lock"
    assert stale_lock_hint(path, "another process") is None
    hint = stale_lock_hint(path, f"pid 4242 on node-gone-17 since 03:12:09, {MERGE_READ}")
    assert hint is not None and "(since 03:12:09)" in hint, hint


def test_torch_in_benchmark_data_is_the_real_module_once_used():
    """``benchmark.data`` imports torch on first use through a stand-in module, and every later ``torch.…`` there
    still went through the stand-in: a failed attribute look-up and an exception per read, ≈3 µs each —
    :func:`benchmark.data.sample_batch` (once per training iteration) took ≈1.3 ms instead of ≈0.85 ms for a batch
    of 16 on a CPU — and ``monkeypatch.setattr(torch, …)`` was not seen there as with ``import torch``. After its
    first use the stand-in is replaced there by torch itself (import still deferred:
    ``test_probe_store7.test_check_does_not_import_torch``)."""
    import numpy as np
    import torch

    import benchmark.data as data

    data.to_float(torch.from_numpy(np.zeros((3, 2, 2), dtype=np.uint8)))
    assert data.torch is torch, data.torch


def test_a_put_back_failure_still_says_what_to_fix_first(tmp_path, monkeypatch, capsys):
    """``check --repair`` on a full disk whose put-back failed too (the store then read-only): the one line named
    the files left in ``damaged/0/`` but dropped the fix a full disk's line gives ("free space"), ending "nothing
    is lost …, then run the same command again" — which fails the same way. It now says to free space and make
    the store writable, move the files back, then run the same command again."""
    from benchmark.cli import main

    store = _small(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input"))
    d = store.run_dir(rid)
    (d / "eval-0.json").write_text("{not json")
    _rename_fails(monkeypatch, "0", after=1)
    code = main(["check", "--out", str(store.root), "--repair"])
    monkeypatch.undo()
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert code == 3 and len(err) == 1, (code, err)
    assert f"free space, make the store writable, move it back into {d}, then run the same command again" in err[0], \
        err[0]


def test_a_set_aside_copy_the_retry_removes_is_not_said_to_be_kept(tmp_path, random_images, monkeypatch, caplog):
    """A run killed between its pass and its meta.json (its checkpoint left): the retry moved the pass aside with a
    warning ending "nothing deleted", then removed that copy as written again byte for byte — two lines that
    contradict each other. The warning now says the copy is removed if the retry writes it again, else kept."""
    import torch

    import benchmark.runner as runner
    from benchmark.checkpoint import CheckpointPolicy
    from benchmark.config import RunConfig, run_id
    from benchmark.runner import resolve_all, run_grid

    data = random_images(3, 40)
    (cfg,) = resolve_all([RunConfig(task="denoise", loss="l1", iterations=2, batch_size=2, crop=32, train_data=data,
                                    test_data=(data,))])
    store = ResultsStore(tmp_path / "r")
    cpu, every = torch.device("cpu"), CheckpointPolicy(every=1, seconds=0)
    with monkeypatch.context() as m:  # killed after the pass and before meta.json: its checkpoint is still there
        m.setattr(runner, "_drop_checkpoints", lambda *a, **k: None)
        run_grid([cfg], store, ("psnr",), cpu, progress=False, logger="none", checkpoint=every)
    d = store.run_dir(run_id(cfg))
    (d / "meta.json").unlink()
    with caplog.at_level(logging.INFO):
        run_grid([cfg], store, ("psnr",), cpu, progress=False, logger="none", checkpoint=every)
    assert not (d / "damaged").exists()
    said = [r.getMessage() for r in caplog.records if run_id(cfg) in r.getMessage() and "damaged" in r.getMessage()]
    assert len(said) == 2 and "byte for byte" in said[1], said
    assert "nothing deleted" not in said[0] and "removed there if the retry computes the same rows" in said[0], said[0]
