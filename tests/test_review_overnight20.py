"""Review of overnight round 20: a hang's pid told apart by machine and grid, finished.log's failure said early, …"""
from __future__ import annotations

import pytest


def test_a_hangs_pid_is_matched_on_this_machine_and_grid_only(tmp_path):
    """Was: the driver matched a hang's record to the local worker a hang ended by its pid alone, with no clock asked:
    a record of the same pid written on another machine of a shared store (a SLURM node's, a container's beside this
    one: containers number their processes from 1 alike), or by an earlier grid's process whose pid this worker got
    again, was said to be this worker's hang. A record now names its machine too, and matches by pid on this machine
    and in this grid only."""
    import os
    import time

    from benchmark import executors, runner
    from benchmark.config import RunConfig, resolve, run_id
    from benchmark.results import ResultsStore

    cfg = resolve(RunConfig(task="denoise", loss="l1", iterations=4, batch_size=2, crop=32, seed=0))
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    unit = executors.WorkUnit((cfg,), str(store.root), ("psnr",), "cpu", tag="[w0]", grid_id="g1")
    grid = runner._Grid(store, ("psnr",), None, {}, None, None, None, False, grid_id="g1", worker="w0")
    started = time.time()
    runner._record_failure(grid, cfg, run_id(cfg), "hung", "stack", started - 3600, stalled=True)
    meta = store.meta(run_id(cfg))
    assert meta["pid"] == os.getpid() and isinstance(meta["host"], str)
    later = started + 3600  # the worker's start: after the record by the clock, which cannot tell it then
    assert executors._hang_said(unit, later, os.getpid()).startswith(f"its hung run {run_id(cfg)}")
    store.write_meta(run_id(cfg), {**meta, "host": meta["host"] + "-node-b"})
    assert executors._hang_said(unit, later, os.getpid()).startswith("no record"), "another machine's process"
    store.write_meta(run_id(cfg), {**meta, "grid_id": "g0"})
    assert executors._hang_said(unit, later, os.getpid()).startswith("no record"), "an earlier grid's process"


def test_finished_log_failing_mid_grid_is_said_when_first_met_and_kept_from_a_killed_worker(tmp_path, monkeypatch,
                                                                                              caplog):
    """Was (after be906f9): a worker's store kept finished.log's failure for the driver, which said it with the
    workers' summaries at the grid's end: a log watched at night said nothing for hours, and a worker killed -9 (no
    summary) that alone met it lost it. The first worker of the grid on a machine to meet it says it at once; the
    others keep it for the driver, which says it once unless a worker on its machine has."""
    import logging
    import tempfile

    from benchmark import executors
    from benchmark.results import FINISHED_LOG, ResultsStore

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    root = tmp_path / "r"
    ResultsStore(root).ensure_writable()
    (root / FINISHED_LOG).mkdir()  # went bad after the driver's probe
    first, second = ResultsStore(root), ResultsStore(root)
    for store in (first, second):
        store.said_by_the_driver(("",), "g1")
    with caplog.at_level(logging.WARNING):
        first.note_finished("a", {"status": "ok"})
        assert [r.getMessage() for r in caplog.records if "could not note in" in r.getMessage()], "said when met"
        second.note_finished("b", {"status": "ok"})
    said = [r.getMessage() for r in caplog.records if "could not note in" in r.getMessage()]
    assert len(said) == 1 and first.for_the_driver() == [] and second.for_the_driver() == said
    caplog.clear()
    with caplog.at_level(logging.WARNING):  # the first worker killed -9: its line was said; the driver's not again
        executors._collect([], root, ("psnr",), [{"summary": {}, "said": second.for_the_driver()}], "workers",
                           grid_id="g1")
    assert not [r for r in caplog.records if "could not note in" in r.getMessage()]
    assert not list((tmp_path / "tmp").iterdir()), "the driver removes the grid's claims"
    with caplog.at_level(logging.WARNING):  # workers on other machines (SLURM nodes): said once by the driver
        executors._collect([], root, ("psnr",), [{"summary": {}, "said": said}, {"summary": {}, "said": said}],
                           "slurm jobs", grid_id="g2")
    assert len([r for r in caplog.records if "could not note in" in r.getMessage()]) == 1


def test_an_automounted_share_is_judged_by_the_mount_over_its_autofs_entry(tmp_path, monkeypatch):
    """Was: with an SMB `noserverino` share mounted on demand (fstab's x-systemd.automount, autofs), the mount table
    has the autofs entry first and the share over it at the same mount point; the first of two equally long mount
    points was taken, autofs, so a live run's lock from another machine was still taken for a copy. The last mount at a
    point (the one over the others, what a path there reaches) decides."""
    from benchmark import results
    from tests.test_probe_overnight20 import _live_lock_of_node_a_seen_through_client_inodes
    from tests.test_probe_store17 import _one_done

    store, cfgs, ids = _one_done(tmp_path)
    lock = _live_lock_of_node_a_seen_through_client_inodes(store, ids[1])
    table = (f"systemd-1 {tmp_path} autofs rw,relatime,fd=52,pgrp=1,timeout=0,minproto=5,maxproto=5,direct 0 0\n"
             f"//srv/share {tmp_path} cifs rw,relatime,vers=3.1.1,noserverino,actimeo=1 0 0\n")
    monkeypatch.setattr(results, "_mount_table", lambda: table)
    assert results.inodes_per_client(lock)
    assert list(store.in_flight()) == [ids[1]]


def test_a_run_stalled_outside_its_own_handling_is_recorded_in_its_stage(tmp_path, monkeypatch):
    """Was (after 9b7e9b0): a hang the interrupt stopped outside _run_one's own handling (before its try: the set-up's
    checkpoint lookup) was recorded failed with no stage (the summary's 'failed in an unknown stage'), and so was a hang
    in C code in the same place: the stage was set only as the try began. Both now say 'setup'."""
    from benchmark import runner
    from benchmark.config import RunConfig, resolve, run_id
    from benchmark.progress import RunStalled
    from benchmark.results import ResultsStore

    cfg = resolve(RunConfig(task="denoise", loss="l1", iterations=4, batch_size=2, crop=32, seed=0))
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    grid = runner._Grid(store, ("psnr",), None, {}, None, None, None, False)

    def run_one(grid, *a, **k):  # hung before its try: opening the run's logger, looking up its checkpoint
        raise RunStalled("made no progress for 1 s: stopped as hung")

    monkeypatch.setattr(runner, "_run_one", run_one)
    assert runner._run_locked_or_blocked(grid, cfg, run_id(cfg), None, "v", [], True) == "failed"
    meta = store.meta(run_id(cfg))
    assert meta["stalled"] is True and meta.get("failed_in") == "setup", meta


def test_a_run_in_flight_keeps_its_age_in_the_eta_after_the_clock_stepped_back(tmp_path, monkeypatch):
    """Was: the clock stepped back during the night (NTP, a VM resumed) put a run in flight's lock time ahead of
    now: its age read negative, and the ETA charged it as not started at all, an hour more left. The age first seen
    goes on by the monotonic clock."""
    import os
    import time

    import benchmark.progress as progress
    from benchmark.results import RunLock
    from tests.test_probe_store17 import _one_done

    store, cfgs, ids = _one_done(tmp_path)  # one pdl run of 200 s done; one in flight here for 100 s
    path = store.run_dir(ids[1]) / ".lock"
    lock = RunLock.acquire(path)
    try:
        real = time.time()
        os.utime(path, (real - 100, real - 100))
        bars = progress.GridProgress(store, cfgs, workers=1)
        assert bars.eta()[0] == pytest.approx(300, abs=5)  # 100 s left of it, 200 s for the last
        monkeypatch.setattr(progress.time, "time", lambda: real - 3600)
        assert min(bars.status()["running"]["pdl"]) >= 99
        assert bars.eta()[0] == pytest.approx(300, abs=5)
    finally:
        lock.release()
