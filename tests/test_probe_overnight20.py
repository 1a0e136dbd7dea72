"""Overnight and cluster runs under faults (round 20): finished.log failing mid-grid, liveness on odd mounts, …"""
from __future__ import annotations

import dataclasses
import logging

import pytest


def test_finished_log_failing_mid_grid_is_said_once_per_grid_not_per_worker(tmp_path, monkeypatch, caplog):
    """Was: finished.log writable when the driver probed it, then not (a disk filled, the store remounted read-only):
    each of the grid's N workers said 'could not note in …/finished.log' once, N identical lines in the night's log.
    A worker now hands the line to the driver, which says each such line once for the grid."""
    from benchmark import executors, runner
    from benchmark.config import RunConfig, run_id
    from benchmark.results import FINISHED_LOG, ResultsStore

    cfgs = [RunConfig(task="denoise", loss="l1", seed=seed, train_fingerprint="x", test_fingerprint="y")
            for seed in range(3)]
    root = tmp_path / "r"
    ResultsStore(root).ensure_writable()
    (root / FINISHED_LOG).write_text("")  # writable as the driver probes it

    def run_grid(configs, store, *a, **k):  # the log goes bad after the grid started, then each run is noted
        log_path = root / FINISHED_LOG
        if log_path.is_file():
            log_path.unlink()
            log_path.mkdir()
        for c in configs:
            store.note_finished(run_id(c), {"config": dataclasses.asdict(c), "status": "ok"})
        return runner.GridSummary()

    def run_processes(units, envs, monitor=None):  # each unit as its own worker process would run it
        return [executors._worker_main(u) for u in units]

    monkeypatch.setattr(runner, "run_grid", run_grid)
    monkeypatch.setattr(executors, "local_workers", lambda *a: (3, []))
    monkeypatch.setattr(executors, "_to_submit", lambda configs, *a: list(configs))
    monkeypatch.setattr(executors, "check_local_memory", lambda *a, **k: None)
    monkeypatch.setattr(executors, "_run_processes", run_processes)
    with caplog.at_level(logging.WARNING):
        executors.execute_local(cfgs, root, ("psnr",), "cpu", workers=3)
    said = [r.getMessage() for r in caplog.records
            if r.levelno >= logging.WARNING and "could not note in" in r.getMessage()]
    assert len(said) == 1 and FINISHED_LOG in said[0], said


def _live_lock_of_node_a_seen_through_client_inodes(store, rid):
    """node A's live run's lock as a client that numbers files itself sees it: its recorded inode is not this file's."""
    import socket
    import time

    from benchmark import results

    d = store.run_dir(rid)
    d.mkdir(parents=True, exist_ok=True)
    lock = d / ".lock"
    lock.touch()
    since = time.strftime(results.LOCK_TIME, time.gmtime())
    lock.write_text(f"pid 4242 on {socket.gethostname()}-node-a since {since}, inode {lock.stat().st_ino + 1}")
    return lock


def _mounted_as(monkeypatch, root, fstype: str, options: str) -> None:
    """``root`` read as a mount of ``fstype`` with ``options`` (the kernel's table of mounts, /proc/self/mounts)."""
    from benchmark import results

    real = getattr(results, "_mount_table", str)
    monkeypatch.setattr(results, "_mount_table", lambda: real() + f"//srv/share {root} {fstype} {options} 0 0\n",
                        raising=False)


def test_a_live_run_on_a_mount_whose_clients_number_files_is_in_flight_not_taken_for_a_copy(tmp_path, monkeypatch):
    """Was: on an SMB mount with `noserverino` (or a FUSE mount: sshfs, s3fs), where each client numbers the files
    itself, another machine's LIVE run's lock records its client's inode, never this client's: taken for a copy of the
    store, the run was shown held by nothing (the board's note, `check`, the progress line's running runs). Where the
    store's mount numbers files per client the inode tells nothing, and such a lock counts held (with the copy hint),
    as before inodes were recorded; on a local disk a copy is still told."""
    from benchmark import results
    from tests.test_probe_store17 import _one_done

    store, cfgs, ids = _one_done(tmp_path)
    lock = _live_lock_of_node_a_seen_through_client_inodes(store, ids[1])
    assert results.copied_lock(lock, lock.read_text()), "a local disk: the inode tells a copy"
    assert store.in_flight() == {}
    _mounted_as(monkeypatch, tmp_path, "cifs", "rw,relatime,vers=3.1.1,cache=strict,noserverino,actimeo=1")
    assert not results.copied_lock(lock, lock.read_text())
    assert list(store.in_flight()) == [ids[1]] and "node-a" in store.in_flight()[ids[1]]
    assert results.held_elsewhere(lock), "the progress line's running runs count it"
    _mounted_as(monkeypatch, tmp_path, "fuse.sshfs", "rw,nosuid,nodev,relatime,user_id=0,group_id=0")
    assert list(store.in_flight()) == [ids[1]]


def test_a_copy_on_an_smb_mount_with_server_inode_numbers_is_still_told(tmp_path, monkeypatch):
    """An SMB mount with `serverino` (the default where the server has numbers) gives every client the server's: a
    lock whose recorded inode is another is a copy's there, shown held by nothing, as on a local disk."""
    from benchmark import results
    from tests.test_probe_store17 import _one_done

    store, cfgs, ids = _one_done(tmp_path)
    lock = _live_lock_of_node_a_seen_through_client_inodes(store, ids[1])
    _mounted_as(monkeypatch, tmp_path, "cifs", "rw,relatime,vers=3.1.1,serverino,actimeo=1")
    assert results.copied_lock(lock, lock.read_text())
    assert store.in_flight() == {}


def test_a_workers_hang_is_named_after_the_clock_stepped_back_and_not_its_predecessors(tmp_path):
    """Was: the driver found what a local worker ended by a hang in C code (exit 75) recorded by time alone, at or
    after the worker's start by the wall clock: with the clock stepped back during the night (NTP, a VM resumed) the
    hung run's record was older than the worker's start, and the morning's line said 'no record of the hang found'.
    A hang's record now names the process that wrote it, and the driver matches the ended worker's pid: a clock step
    hides nothing, and a worker started in the place of an earlier one is still not said to have hung in its run."""
    import os
    import time

    from benchmark import executors, runner
    from benchmark.config import RunConfig, resolve, run_id
    from benchmark.results import ResultsStore, atomic_write_json

    cfg = resolve(RunConfig(task="denoise", loss="l1", iterations=4, batch_size=2, crop=32, seed=0))
    other = resolve(RunConfig(task="denoise", loss="l2", iterations=4, batch_size=2, crop=32, seed=0))
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    unit = executors.WorkUnit((cfg, other), str(store.root), ("psnr",), "cpu", tag="[w0]", grid_id="g1")
    started = time.time()  # the worker's start by the driver's clock; then the clock is stepped back an hour
    grid = runner._Grid(store, ("psnr",), None, {}, None, None, None, False, grid_id="g1", worker="w0")
    runner._record_failure(grid, cfg, run_id(cfg), "hung", "stack", started - 3600, stalled=True)
    meta = store.run_dir(run_id(cfg)) / "meta.json"
    os.utime(meta, (started - 3590, started - 3590))
    said = executors._hang_said(unit, started, os.getpid())
    assert said.startswith(f"its hung run {run_id(cfg)}"), said
    assert executors._hang_said(unit, started - 7200, os.getpid() + 1).startswith("no record"), \
        "a worker started in its place (another pid) did not hang in its predecessor's run"
    runner._mark_stalled(grid, run_id(other), "hung")  # a re-score's mark names its process too
    mark = runner.stall_mark(store, run_id(other))
    atomic_write_json(store.run_dir(run_id(other)) / runner.STALLED, {**mark, "at": started - 3500})
    assert executors._hang_said(unit, started, os.getpid()).startswith(f"its re-score of run {run_id(other)}")


@pytest.mark.slow  # the embedded photos decoded for the run's set-up: ~4 s on a loaded 2-core machine
def test_a_run_hung_in_c_code_is_recorded_in_the_stage_it_hung_in(tmp_path, monkeypatch, caplog):
    """Was: a run hung in C code in its training (a deadlock in a loss's native code) was recorded failed with no
    stage, and the morning's summary said '… failed in an unknown stage: … hung in C code', where a hang the interrupt
    stopped said 'failed at training iteration 5 of 10'. The record written from the stall watch's thread now says the
    stage the run was in (meta.json's failed_in), and the summary 'failed in training'."""
    import contextlib
    import json

    import torch

    from benchmark import progress, runner
    from benchmark.checkpoint import CheckpointPolicy
    from benchmark.config import run_id
    from benchmark.data import DataCache
    from benchmark.progress import GridProgress
    from benchmark.results import ResultsStore
    from tests.test_probe_overnight15 import _cheap_config, _hung_in_c

    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    cfg = _cheap_config(0)
    data = DataCache()
    data.pooled(cfg.train_data)  # decoded before the watch starts: the set-up's reading is not what hangs here
    grid = runner._Grid(store, ("psnr",), None, {}, torch.device("cpu"), data, CheckpointPolicy(), False,
                        "none", GridProgress(store, [cfg]), stall_s=0.5)
    exits, at_exit = [], []

    def exit_now(code):  # the record as the process would end on it (the stand-in goes on past it)
        at_exit.append(json.loads((store.run_dir(run_id(cfg)) / "meta.json").read_text()))
        exits.append(code)

    monkeypatch.setattr(progress.os, "_exit", exit_now)
    monkeypatch.setattr(runner, "_train_with_oom_retry", lambda *a, **k: _hung_in_c(exits))
    with contextlib.suppress(Exception):
        runner._run_locked_or_blocked(grid, cfg, run_id(cfg), None, "v", [], True)
    assert exits == [progress.STALLED_EXIT], exits
    meta = at_exit[0]
    assert meta["status"] == "failed" and meta["stalled"] is True
    assert meta.get("failed_in") == "training", meta
    store.write_meta(run_id(cfg), meta)  # the record the process ended on, as the morning's summary reads it
    (line,) = runner.failed_runs(store, [cfg])
    assert "failed in training: " in line and "unknown stage" not in line, line
