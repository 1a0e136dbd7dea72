"""The stall watch against its run's end (tests/test_probe_watch20.py)."""
import signal
import threading
import time

from benchmark import progress


def test_a_watch_that_fires_as_its_run_ends_sends_no_alarm_after_it(monkeypatch):
    """The watch chose to stop a run, said so (a log line in a thread of its own, waited for up to a second), then
    sent SIGALRM without looking again: a run that ended meanwhile had its block left and the previous SIGALRM handler
    back, so the alarm went to that handler — the default one ends the process ("Alarm clock"), pytest-timeout's
    failed the next test as timed out (seen in a full suite). The watch now sends nothing once the block is left."""
    got = []
    ended = threading.Event()

    class Said:  # the watch's "stopping it as hung" line: held until the run's block has been left
        def join(self, timeout=None):
            ended.wait(5)

    monkeypatch.setattr(progress, "_started", lambda say: Said())
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: got.append(signum))
    try:
        with progress.stall_watch(0.05, "run", grace=0.05):
            time.sleep(0.3)  # no progress: the watch fires and waits on its line
        ended.set()
        time.sleep(0.3)  # the watch goes on: its alarm, if it sends one, arrives here
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert got == []
