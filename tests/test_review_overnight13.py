"""Review of the overnight probe's fixes (session 13): each test failed on the code before its fix."""

from __future__ import annotations

import time
import types


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
