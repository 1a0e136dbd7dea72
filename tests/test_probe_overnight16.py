"""Overnight and cluster runs under faults (probe 16): what a user who starts the full grid with several workers at
night finds in the morning."""
from __future__ import annotations

import pytest
import torch
from conftest import dry_run_estimate, metric_set_of

from benchmark.docmarkup import plural


def _done_store(tmp_path, configs, threads):
    from benchmark.config import run_id
    from benchmark.results import ResultsStore

    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    for c in configs:
        store.write_meta(run_id(c), {"run_id": run_id(c), "status": "ok", "config": c.to_dict(), "device": "cpu",
                                     "device_name": "x", "threads": threads, "ms_per_it": 20.0,
                                     "timing_excluded": {}})
        store.write_eval(run_id(c), [], ["psnr"], {})
    return store


@pytest.mark.parametrize("opts, executor, threads", [({"workers": 2}, "local", 1), ({}, "local", 2),
                                                     ({"workers": None, "cpus_per_task": 3, "split": "run"},
                                                      "slurm", 3)])
def test_a_dry_run_under_workers_times_and_compares_at_the_threads_its_runs_train_on(
        tmp_path, monkeypatch, capsys, opts, executor, threads):
    """Was: `plbench run --workers 2 --dry-run` on 2 cores timed its steps on the driver's 2 threads and looked for the
    store's measured runs on 'cpu (2 threads)', while each worker trains on cores // N = 1 thread: the measured table
    never showed (every run of an earlier `--workers 2` night is 'cpu (1 threads)'), and the estimate was of a step no
    run takes. Now the dry run times and compares at the threads the grid's runs train on (local workers: cores // N;
    a SLURM job: --slurm-cpus), this process's own count given back after."""
    import benchmark.devices
    import benchmark.executors
    import benchmark.metrics
    import benchmark.perf
    import benchmark.stats
    from benchmark import cli
    from benchmark.config import RunConfig, resolve

    grid = [resolve(RunConfig(task="denoise", loss="l1", iterations=4, batch_size=2, crop=32, seed=s))
            for s in range(4)]
    seen = []

    def estimate(configs, *args, **kwargs):
        seen.append(torch.get_num_threads())
        return dry_run_estimate(configs, {"l1": {"denoise": 10.0}})

    Metrics = metric_set_of("psnr")
    monkeypatch.setattr(benchmark.perf, "estimate_grid", estimate)
    monkeypatch.setattr(benchmark.metrics, "MetricSet", Metrics)
    monkeypatch.setattr(benchmark.executors, "_cores", lambda: 2)
    monkeypatch.setattr(benchmark.devices, "cpu_model", lambda: "x")  # the stand-in machine its runs name
    monkeypatch.setattr(cli, "_check_fits_as_the_run", lambda *a, **k: None)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        store = _done_store(tmp_path, grid[:2], threads)
        args = type("Args", (), {"dry_run": True})()
        assert cli._dry_run(args, grid, ("psnr",), torch.device("cpu"), "quick", opts, executor=executor,
                            store=store) == 0
        assert seen == [threads] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    out = capsys.readouterr().out
    assert f"measured in the results directory on cpu (x, {threads} thread" in out, out
    assert "×2.0 (2)" in out, out
    per_run = threads != 2  # the header names whose thread count it is: each run's, where it is not this process's
    assert (f"on cpu (x, {plural(threads, 'thread')}), the threads each run trains on;" in out) == per_run, out


def _hung_store(tmp_path):
    """A two-run grid: one finished, one recorded failed as hung in C code (what stall_watch writes before the process
    ends with exit 75)."""
    import time

    from benchmark.config import RunConfig, resolve, run_id
    from benchmark.results import ResultsStore

    grid = [resolve(RunConfig(task="denoise", loss="l1", iterations=4, batch_size=2, crop=32, seed=s)) for s in (0, 1)]
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    since = time.time() - 60
    store.write_meta(run_id(grid[0]), {"run_id": run_id(grid[0]), "status": "ok", "config": grid[0].to_dict(),
                                       "started": since + 1})
    store.write_eval(run_id(grid[0]), [], ["psnr"], {})
    store.write_meta(run_id(grid[1]), {"run_id": run_id(grid[1]), "status": "failed", "stalled": True,
                                       "config": grid[1].to_dict(), "started": since + 2,
                                       "error": "run made no progress … hung in C code"})
    return grid, store, since


def test_a_remote_worker_ended_by_a_hang_in_c_code_is_said_so_not_as_its_runs_taken_over(tmp_path, caplog):
    """Was: a SLURM job (or Ray task) whose run hung in C code ends with exit 75, its run recorded failed, and no job
    is started in its place (a local driver starts a worker); the morning's line was "job 7_1 ended without a result
    (state: FAILED; …); every run of the grid is finished (the other slurm jobs took over its runs)": not a word of the
    hang, and a claim that its run was finished by others when it is recorded failed. Now the job's line says its run
    hung and is recorded failed, retried by the same command, and no run is said taken over that was not."""
    from benchmark.config import run_id
    from benchmark.executors import WorkUnit, _collect, _lost

    grid, store, since = _hung_store(tmp_path)
    unit = WorkUnit(configs=(grid[1],), store_root=str(store.root), metrics=("psnr",), device="cpu", since=since)
    lost = _lost(unit, "job 7_1 ended without a result (state: FAILED; its logs: x)")
    assert "hung" in lost["error"] and run_id(grid[1]) in lost["error"] and "next command" in lost["error"], lost
    caplog.set_level("WARNING")
    summary = _collect(grid, store.root, ("psnr",), [{"trained": 1}, lost], "slurm jobs", since=since)
    assert summary.failed == 1 and not summary.locked
    text = caplog.text
    assert run_id(grid[1]) in text and "took over" not in text and "every run of the grid is finished" not in text, text
    caplog.clear()  # a local worker killed while the other took over its runs, a run of the grid failed elsewhere
    _collect(grid, store.root, ("psnr",), [{"trained": 1}, {"error": "worker w0 was killed by SIGKILL", "lost": True}],
             "workers", since=since)
    assert "the other workers took over its runs; 1 failed" in caplog.text, caplog.text
    assert "ended without a result" in _lost(
        WorkUnit(configs=(grid[0],), store_root=str(store.root), metrics=("psnr",), device="cpu", since=since),
        "job 7_0 ended without a result (state: OUT_OF_MEMORY)")["error"]


def test_a_remote_hang_is_found_by_the_grids_id_whatever_the_nodes_clock(tmp_path):
    """Was: what a hang in C code recorded was looked up by time alone (the record's mtime at or after the grid's
    start): a SLURM node whose clock, or whose file server's, runs a minute behind the driver's wrote a hung run's
    record 'before' the grid began, and the job's line said nothing of it. Now a record that names the grid's id is
    this grid's by that id, and one of another grid is not, whatever the clocks say."""
    import os

    from benchmark.config import run_id
    from benchmark.executors import WorkUnit, _lost

    grid, store, since = _hung_store(tmp_path)
    rid = run_id(grid[1])
    store.write_meta(rid, {**store.meta(rid), "grid_id": "g1"})
    os.utime(store.run_dir(rid) / "meta.json", (since - 120, since - 120))  # the node's clock two minutes behind

    def line(grid_id):
        unit = WorkUnit(configs=(grid[1],), store_root=str(store.root), metrics=("psnr",), device="cpu", since=since,
                        grid_id=grid_id)
        return _lost(unit, "job 7_1 ended without a result (state: FAILED)")["error"]

    assert rid in line("g1") and "hung" in line("g1"), line("g1")
    assert "hung" not in line("g0")


_KILLED_WORKER = r'''
import multiprocessing as mp, os, signal, sys

def child(unit, send):
    import benchmark.executors as E

    def killed(u):  # a worker's run shows its bar (disabled off a terminal, as overnight), then the OOM killer
        from benchmark.runner import _progress

        _progress(10, "run", False).update(1)
        os.kill(os.getpid(), signal.SIGKILL)

    E.run_unit = killed  # its entry, _worker_main, as it is
    E._process_entry(unit, send)

if __name__ == "__main__":
    from benchmark.executors import WorkUnit

    recv, send = mp.get_context("spawn").Pipe(duplex=False)
    p = mp.get_context("spawn").Process(target=child, args=(WorkUnit((), sys.argv[1], ("psnr",), "cpu"), send))
    p.start(); send.close(); p.join()
    print("exit", p.exitcode)
'''


@pytest.mark.slow
def test_a_local_worker_killed_outright_leaves_no_leaked_semaphore_warning_after_the_grids_last_line(tmp_path):
    """Was: a local worker killed by the OOM killer or kill -9 (or ended by a hang in C code, os._exit) left tqdm's
    multiprocessing lock, made by its first progress bar, registered with the driver's resource tracker, which printed
    'UserWarning: resource_tracker: There appear to be 1 leaked semaphore objects to clean up at shutdown' and the
    warnings.warn line as the night's last two lines, after the leaderboard or error line the README says ends it.
    Now a worker's bars take a thread lock (tqdm's lock is never shared with another process in a spawned one)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import benchmark

    script = tmp_path / "killed_worker.py"
    script.write_text(_KILLED_WORKER)
    env = {**os.environ, "PYTHONPATH": str(Path(benchmark.__file__).parents[1])}  # this checkout's code
    out = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path, env=env)
    assert "exit -9" in out.stdout, (out.stdout, out.stderr)
    assert "leaked semaphore" not in out.stderr, out.stderr
