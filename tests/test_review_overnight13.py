"""Review of the overnight probe's fixes (session 13): each test failed on the code before its fix."""

from __future__ import annotations

import os
import signal
import threading
import time
import types

import pytest


def test_a_process_paused_longer_than_the_stall_timeout_is_not_stopped_as_hung(monkeypatch):
    """The stall watch measured a run's time without progress on the monotonic clock, which runs on while the process
    is stopped (Ctrl-Z then fg, a SLURM job suspended by a higher-priority one, SIGSTOP/SIGCONT): a healthy run
    stopped for longer than --stall-timeout was failed as hung the moment it went on. Time the process did not run is
    no stall: here the clock leaps an hour (a pause) and the run goes on making progress."""
    from benchmark import progress

    real, leap = time.monotonic, [0.0]
    monkeypatch.setattr(progress, "time", types.SimpleNamespace(
        monotonic=lambda: real() + leap[0], time=time.time, perf_counter=time.perf_counter))
    with progress.stall_watch(1.0, "run r1"):
        time.sleep(0.1)
        progress.beat()
        leap[0] = 3600.0  # stopped for an hour, then continued
        for _ in range(6):  # after it, a step every 0.1 s
            time.sleep(0.1)
            progress.beat()


def test_a_run_off_the_main_thread_is_interrupted_not_its_process_ended(monkeypatch):
    """Off the main thread (api.run from a thread of a notebook, a GUI or a service; no signal reaches it) the watch
    did not even try to stop a hung run: it recorded it failed as 'hung in C code' and ended the whole process at
    once — the user's interpreter with it — though the run waited in Python. It raises RunStalled in the run's own
    thread, as on the main thread, and ends the process only if that thread does not answer."""
    from benchmark import progress

    exits = []
    monkeypatch.setattr(progress.os, "_exit", exits.append)
    caught = []

    def run():
        try:
            with progress.stall_watch(0.3, "run r1", grace=2):
                for _ in range(100):  # a wait in Python, 2 s in all: never one progress step
                    time.sleep(0.02)
        except progress.RunStalled as exc:
            caught.append(str(exc))

    t = threading.Thread(target=run)
    t.start()
    t.join(5)
    assert exits == []
    assert len(caught) == 1 and "run r1 made no progress" in caught[0] and "stall-timeout" in caught[0]


def test_another_handlers_alarm_in_the_watch_still_reaches_it():
    """6ee20bb made the watch ignore a SIGALRM it did not send, but swallowed it: a library's or a loss file's own
    alarm (its time-out for a call that may hang) never reached its handler while a run was watched. It is passed
    on to the handler the watch replaced."""
    from benchmark.progress import stall_watch

    got = []
    old = signal.signal(signal.SIGALRM, lambda signum, frame: got.append(signum))
    try:
        with stall_watch(30, "run r1"):
            os.kill(os.getpid(), signal.SIGALRM)
            time.sleep(0.05)
    finally:
        signal.signal(signal.SIGALRM, old)
    assert got == [signal.SIGALRM]


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_the_memory_check_counts_a_cgroups_reclaimable_page_cache_as_room(tmp_path, monkeypatch, version):
    """A cgroup's usage (v2 memory.current, v1 memory.usage_in_bytes) counts the page cache of the files it read —
    the dataset, the decoded images' spill file — which the kernel drops before it kills anything: a SLURM job
    (8 GiB) that had read 4 GiB of images was told it had 2 GiB left and refused runs that fit, where MemAvailable
    counts that cache as free. The inactive file pages (memory.stat, as docker and the kubelet count them) are room."""
    import torch

    from benchmark import resources

    gib = 2**30
    (tmp_path / "meminfo").write_text(f"MemAvailable: {500 * gib // 1024} kB\n")
    own = "system.slice/slurmstepd.scope/job_7" if version == "v2" else "slurm/uid_0/job_7"
    (tmp_path / "self").write_text(f"0::/{own}\n" if version == "v2" else f"4:memory:/{own}\n")
    job = tmp_path / "cgroup" / own if version == "v2" else tmp_path / "cgroup" / "memory" / own
    job.mkdir(parents=True)
    limit, usage, stat = (("memory.max", "memory.current", "inactive_file") if version == "v2" else
                          ("memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file"))
    (job / limit).write_text(f"{8 * gib}\n")
    (job / usage).write_text(f"{6 * gib}\n")
    (job / "memory.stat").write_text(f"anon {2 * gib}\nactive_file 0\n{stat} {4 * gib}\nother 1\n")
    monkeypatch.setattr(resources, "MEMINFO", tmp_path / "meminfo")
    monkeypatch.setattr(resources, "PROC_CGROUP", tmp_path / "self")
    monkeypatch.setattr(resources, "CGROUP_ROOT", tmp_path / "cgroup")
    free, where = resources.available_bytes(torch.device("cpu"))
    assert free == 6 * gib and limit in where
    (job / "memory.stat").write_text("garbage\n")  # unreadable or odd: the usage as it is, as before
    assert resources.available_bytes(torch.device("cpu"))[0] == 2 * gib


def _grid_and_run(tmp_path, stall_s: float):
    """A one-run grid of this process (nothing trained: ``runner._run_one`` is replaced by the test)."""
    import torch

    from benchmark import runner
    from benchmark.checkpoint import CheckpointPolicy
    from benchmark.config import RunConfig, run_id
    from benchmark.data import DataSpec
    from benchmark.results import ResultsStore

    data = {f"{r}_data": (DataSpec.parse("skimage:train" if r == "train" else "skimage:test", role=r),)
            for r in ("train", "test")}
    cfg = RunConfig(task="denoise", loss="l1", seed=0, iterations=4, **data)
    grid = runner._Grid(ResultsStore(tmp_path / "r"), ("psnr",), None, {}, torch.device("cpu"), None,
                        CheckpointPolicy(), False, "none", stall_s=stall_s)
    return grid, cfg, run_id(cfg)


def test_a_run_that_hangs_after_its_record_stays_done_and_the_grid_goes_on(tmp_path, monkeypatch):
    """A run that hung after it was recorded — its logger's close (a W&B or TensorBoard flush on a stalled network
    file system) runs in _run_one's `finally`, past its `except` — had the stall watch's RunStalled escape the run:
    the whole grid ended in a traceback, the runs after it never started. And one hung there in C code had its
    finished record overwritten as failed (the next command trained it again). A run recorded by this attempt keeps
    its record; one stalled before any record is recorded failed; the grid goes on either way."""
    from benchmark import runner

    grid, cfg, rid = _grid_and_run(tmp_path, 0.2)

    def recorded_then_hangs(grid, cfg, rid, *args):
        grid.store.write_meta(rid, {"run_id": rid, "config": cfg.to_dict(), "status": "ok", "started": time.time()})
        time.sleep(30)  # closing its logger, for ever

    monkeypatch.setattr(runner, "_run_one", recorded_then_hangs)
    assert runner._run_locked_or_blocked(grid, cfg, rid, None, "v", [], True) == "trained"
    assert grid.store.meta(rid)["status"] == "ok"

    def hangs_before_its_record(grid, cfg, rid, *args):
        time.sleep(30)  # setting the run's folder up on a stalled network file system

    grid.store.write_meta(rid, {"run_id": rid, "status": "ok", "started": time.time() - 3600})  # an earlier record
    monkeypatch.setattr(runner, "_run_one", hangs_before_its_record)
    assert runner._run_locked_or_blocked(grid, cfg, rid, None, "v", [], True) == "failed"
    meta = grid.store.meta(rid)
    assert meta["status"] == "failed" and "made no progress" in meta["error"] and "time.sleep" in meta["traceback"]
    assert meta["stalled"] is True  # retried after the grid's other runs


def test_a_run_hung_in_c_code_after_its_record_keeps_its_record(tmp_path, monkeypatch):
    """Hung in C code (no signal reaches it) after its record, the process is ended: the run's finished record was
    overwritten as failed first, and the next command trained it again. It is kept."""
    import signal

    from benchmark import progress, runner

    grid, cfg, rid = _grid_and_run(tmp_path, 0.2)
    exits = []
    monkeypatch.setattr(progress.os, "_exit", exits.append)

    def recorded_then_hangs_in_c(grid, cfg, rid, *args):
        grid.store.write_meta(rid, {"run_id": rid, "config": cfg.to_dict(), "status": "ok", "started": time.time()})
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})  # as code no signal reaches
        try:
            while not exits:
                time.sleep(0.02)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})
        return "trained"

    monkeypatch.setattr(runner, "_run_one", recorded_then_hangs_in_c)
    runner._run_locked_or_blocked(grid, cfg, rid, None, "v", [], True)
    assert exits == [progress.STALLED_EXIT] and grid.store.meta(rid)["status"] == "ok"


def test_a_run_that_goes_on_after_the_interrupt_is_not_ended(monkeypatch):
    """Code that catches every exception (a retry loop around a network read: `except Exception: try again`) took the
    stall watch's RunStalled for one more failed try and went on, making progress again; the watch, waiting only for
    the block's end, then ended the process as 'hung in C code' and recorded the run failed while it trained. A run
    that makes progress again after the interrupt is watched on as before."""
    from benchmark import progress

    exits = []
    monkeypatch.setattr(progress.os, "_exit", exits.append)
    with progress.stall_watch(0.2, "run r1", grace=0.4):
        try:
            time.sleep(5)  # a read that stalls, in a retry loop that swallows the interrupt
        except Exception:  # noqa: BLE001 - the retry loop's
            pass
        for _ in range(10):  # the retry succeeds: a step every 0.05 s, 0.5 s in all
            time.sleep(0.05)
            progress.beat()
    time.sleep(0.1)
    assert exits == []


def test_a_run_recorded_hung_is_retried_after_the_grids_other_runs(tmp_path, monkeypatch):
    """A run hung in C code ends its process (exit 75): in one process (--workers 1) the command ends there, and the
    same command retried that run first, in the grid's order — a hang that comes back (a deadlock in one loss's
    native code) ended every rerun there after the timeout, and the runs after it were never trained. A run
    recorded hung is retried after the grid's other runs; its record says so (``stalled``)."""
    import torch
    from test_probe_overnight12 import _photos

    from benchmark import metrics, resources, runner
    from benchmark.config import RunConfig, run_id
    from benchmark.results import ResultsStore

    photos = _photos(tmp_path)
    configs = runner.resolve_all([RunConfig(task="denoise", loss="l1", seed=s, iterations=2, crop=24, batch_size=2,
                                            **photos) for s in (0, 1, 2)])
    store = ResultsStore(tmp_path / "r")
    rid = run_id(configs[0])
    store.write_meta(rid, {"run_id": rid, "config": configs[0].to_dict(), "status": "failed", "stalled": True,
                           "error": "… made no progress …", "started": time.time() - 60})
    order = []
    monkeypatch.setattr(runner, "_run_locked", lambda grid, cfg, *a, **k: order.append(cfg.seed) or "trained")
    # nothing trained or scored: only the order of the runs is looked at
    monkeypatch.setattr(metrics, "MetricSet", lambda *a: types.SimpleNamespace(metrics=[types.SimpleNamespace(
        name="psnr", higher_is_better=True)], skipped={}, digests={}))
    monkeypatch.setattr(runner, "_score_input", lambda *a, **k: None)
    monkeypatch.setattr(resources, "check_fits", lambda *a, **k: None)
    runner.run_grid(configs, store, ("psnr",), torch.device("cpu"), progress=False)
    assert order == [1, 2, 0]
