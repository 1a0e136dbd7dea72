"""Review 18 of overnight and cluster runs: the age of a run in flight on a store whose file server's clock is off
(how a SLURM job's process ends once submitit saved its result: tests/test_probe_overnight19.py)."""
from __future__ import annotations

import pytest


def test_a_live_run_on_a_store_whose_file_server_is_behind_this_machine_is_in_flight(tmp_path, monkeypatch):
    """The lock's age was this machine's clock less the lock file's time, which the file server stamps by its own:
    with this machine two hours ahead of the server, node2's run taken 60 s ago read as held for 2 h, and the first
    line said 'held by another machine for longer than any run takes', its worker not counted — the fault 9177688
    fixed for node2's clock, from this side. The age is read against the store's clock (a file written there now)."""
    import time

    import benchmark.progress as progress
    from tests.test_probe_store17 import _held_on_node2, _one_done

    store, cfgs, ids = _one_done(tmp_path)
    real = time.time()
    _held_on_node2(store, ids[1], text_at=real - 60, lock_at=real - 60, curve=(50.0, real - 5))
    clock = [1000.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    t0 = time.perf_counter()
    monkeypatch.setattr(progress.time, "time", lambda: real + 2 * 3600 + (time.perf_counter() - t0))
    p = progress.GridProgress(store, cfgs, workers=1, since=real)
    line = p.line()
    assert "1 running (1 on another machine)" in line and "longer than any run" not in line, line
    assert not list(tmp_path.glob(".clock.*")), "the probe file is removed"
    clock[0] += 3 * 200 + 1  # then unchanged for thrice the longest run, seen here: no run there
    assert "1 held by another machine for longer than any run" in p.line()


def test_a_run_in_flight_here_on_a_store_whose_file_server_is_behind_is_charged_its_own_age(tmp_path, monkeypatch):
    """This machine's own run in flight (its lock taken a moment ago, stamped by the file server's clock) was aged by
    this machine's clock less that stamp: two hours ahead of the server, the run read as two hours old — charged as
    about done, the ETA short by a whole run; a run resumed here had its curve's seconds (trained before its
    checkpoint) read as another attempt's. Its age is read against the store's clock, as another machine's lock's."""
    import time

    import benchmark.progress as progress
    from benchmark.results import RunLock
    from tests.test_probe_store17 import _one_done

    store, cfgs, ids = _one_done(tmp_path)
    lock = RunLock.acquire(store.run_dir(ids[1]) / ".lock")  # held by this live process, as a worker's
    try:
        real = time.time()
        assert progress.GridProgress(store, cfgs, workers=1).eta()[0] == pytest.approx(400, abs=5)  # 2 × 200 s
        t0 = time.perf_counter()
        monkeypatch.setattr(progress.time, "time", lambda: real + 2 * 3600 + (time.perf_counter() - t0))
        assert progress.GridProgress(store, cfgs, workers=1).eta()[0] == pytest.approx(400, abs=5)
        (store.run_dir(ids[1]) / "curve.csv").write_text("iteration,seconds,loss,lr\n10,150.0,0.4,0.001\n")
        assert progress.GridProgress(store, cfgs, workers=1).eta()[0] == pytest.approx(250, abs=5)  # resumed
    finally:
        lock.release()
