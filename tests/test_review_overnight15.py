"""Review of overnight and cluster runs under faults (session 15): each test failed on the code before its fix."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time


def _hung_in_c(exits: list, most: float = 30.0) -> None:
    """Wait, with SIGALRM blocked (code no signal reaches), until the watch ends the process (``exits``), at most
    ``most`` seconds."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    try:
        end = time.monotonic() + most
        while not exits and time.monotonic() < end:
            time.sleep(0.02)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})


def test_a_hung_log_handler_does_not_keep_a_run_hung_in_c_code_from_its_record(monkeypatch):
    """A run hung in C code while it logged holds its log handler (a full pipe to a parent that reads no more, an
    output file on a stalled file system) — the store itself writable. The watch wrote the run's record after its own
    log line, in one thread: that line waited on the held handler, and the record was never written before the
    process ended — the run not recorded hung, so the same command tried it first again, not after the grid's other
    runs. The record does not wait on the log."""
    from benchmark import progress

    exits, records, held = [], [], threading.Event()

    class Held(logging.Handler):
        def emit(self, record):
            held.wait()

    handler = Held(logging.ERROR)
    monkeypatch.setattr(progress.os, "_exit", exits.append)
    monkeypatch.setattr(progress, "RECORD_WAIT_S", 0.3)
    logging.getLogger("benchmark.progress").addHandler(handler)
    try:
        with contextlib.suppress(progress.RunStalled), \
                progress.stall_watch(0.1, "run r1", record=lambda error, stack: records.append(error), grace=0.1):
            _hung_in_c(exits)
    finally:
        held.set()
        logging.getLogger("benchmark.progress").removeHandler(handler)
    assert exits == [progress.STALLED_EXIT]
    assert len(records) == 1 and "did not stop at the interrupt" in records[0], records


def test_a_hangup_stops_a_run_as_sigterm_does_after_the_write_in_progress():
    """SIGHUP — the terminal of a foreground `plbench run` closed, its ssh session dropped — killed the process
    outright: up to --checkpoint-seconds of training lost, and a write cut where it was. It is held back as SIGINT and
    SIGTERM are (the write in progress finishes, the run checkpoints and stops); where it is ignored (`nohup`) it stays
    ignored."""
    from benchmark.results import DeferredInterrupt

    seen = []
    previous = signal.signal(signal.SIGHUP, lambda signum, frame: seen.append(signum))  # not the test's end on old code
    try:
        stopped = False
        try:
            with DeferredInterrupt() as held:
                signal.raise_signal(signal.SIGHUP)
                assert held.requested, "the hangup was not held back as a stop"
        except KeyboardInterrupt:
            stopped = True
        assert stopped and not seen
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # nohup
        with DeferredInterrupt() as held:
            signal.raise_signal(signal.SIGHUP)
        assert not held.requested and signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_the_command_takes_a_hangup_as_an_interrupt_and_says_so_to_no_terminal(monkeypatch):
    """The CLI stops on SIGHUP as on SIGTERM (KeyboardInterrupt: saved, exit 130); its last lines go to a terminal
    that hung up (a write there is EIO), which must not turn the stop into an error of its own."""
    import errno
    import sys

    from benchmark import cli

    class HungUp:
        def write(self, text):
            raise OSError(errno.EIO, "Input/output error")

        def flush(self):
            raise OSError(errno.EIO, "Input/output error")

    def hung_up(args):
        signal.raise_signal(signal.SIGHUP)  # its handler runs as this call returns
        return 0

    seen = []
    previous = signal.signal(signal.SIGHUP, lambda signum, frame: seen.append(signum))
    try:
        monkeypatch.setattr(cli, "cmd_list", hung_up)
        monkeypatch.setattr(sys, "stderr", HungUp())
        code = cli.main(["list"])
    finally:
        signal.signal(signal.SIGHUP, previous)
    assert code == 130 and not seen


def test_the_grid_summary_time_is_true_across_a_clock_step(tmp_path, monkeypatch, caplog):
    """The grid's summary line ('trained 1, … in N s') took its seconds off the wall clock, as runs' wall times did
    (7e218e4): the clock stepped back an hour during the night (NTP after a drift, a VM resumed) ended the log on
    'in -3599.9 s'. It is measured on the monotonic clock."""
    import time as real_time
    import types

    import numpy as np
    from PIL import Image

    from benchmark import cli, executors
    from benchmark.runner import GridSummary

    for role in ("train", "test"):
        (tmp_path / role).mkdir()
        Image.fromarray(np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(
            tmp_path / role / "0.png")
    stepped = {"back": False}

    def grid(*args, **kwargs):  # the night: the clock stepped back an hour meanwhile
        stepped["back"] = True
        return GridSummary(trained=1)

    clock = types.SimpleNamespace(**{k: getattr(real_time, k) for k in dir(real_time) if not k.startswith("_")})
    clock.time = lambda: real_time.time() - (3600.0 if stepped["back"] else 0.0)
    monkeypatch.setattr(cli, "time", clock)
    monkeypatch.setattr(executors, "execute", grid)
    with caplog.at_level(logging.INFO, logger="benchmark"):
        cli.main(["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--iterations", "2", "--crop", "8",
                  "--train-data", str(tmp_path / "train"), "--test-data", str(tmp_path / "test"), "--device", "cpu",
                  "--no-progress", "--no-budget-check", "--no-report", "--logger", "none", "--out",
                  str(tmp_path / "out")])
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("trained 1,"))
    seconds = float(line.rsplit(" in ", 1)[1].removesuffix(" s"))
    assert 0 <= seconds < 600, line


def test_a_worker_takes_its_signals_in_before_it_says_it_started(monkeypatch):
    """A stopped driver sends SIGINT to a worker that said it started (617630b), SIGTERM to one still starting. The
    worker said so before it took its signals in: a SIGINT sent in between met the SIGINT it inherited ignored (a
    driver started in a script's background), and the worker ran its whole share while the stopped driver waited.
    Its signals are in before the word."""
    import os

    from benchmark import executors

    said = []
    real_write = os.write

    def write(fd, data):
        if fd == 2 and data == executors._StartupStderr.STARTED:
            said.append("started")
            return len(data)
        return real_write(fd, data)

    class Conn:
        def send(self, result):
            said.append("sent")

        def close(self):
            pass

    monkeypatch.setattr(executors.os, "write", write)
    monkeypatch.setattr(executors.os, "setpgid", lambda *args: None)  # not the test process's group
    monkeypatch.setattr(executors, "_worker_signals", lambda: said.append("signals"))
    monkeypatch.setattr(executors, "_worker_main", lambda unit: {})
    executors._process_entry(None, Conn(), None, os.dup(2))
    assert said == ["signals", "started", "sent"], said
