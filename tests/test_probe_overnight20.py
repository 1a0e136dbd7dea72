"""Overnight and cluster runs under faults (round 20): finished.log failing mid-grid, liveness on odd mounts, …"""
from __future__ import annotations

import dataclasses
import logging


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
