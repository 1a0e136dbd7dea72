"""Review of the overnight probe's fixes (session 13): each test failed on the code before its fix."""

from __future__ import annotations

import os
import signal
import threading
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
