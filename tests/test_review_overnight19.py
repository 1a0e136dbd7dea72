"""Review 19 of overnight: the inode a run lock records tells a copy of the store only for what is shown, never before
a file is removed; api.run's wording and signal handlers end with the call."""
from __future__ import annotations

import contextlib
import os
import socket
import time

from benchmark import results
from tests.test_probe_store17 import _one_done


def test_a_lock_whose_inode_is_another_is_never_taken_as_free_before_removing_files(tmp_path):
    """A lock records the inode of the file its holder locked, and a lock whose file has another is a copy's, shown
    held by nothing. But on SMB `noserverino` or some FUSE mounts each client numbers the files itself: a LIVE run of
    another machine looks copied. `check --repair` removed the old temporary files of such a run (its lock judged
    free by held_as_far_as_known) and named its passes for retraining: before anything is removed, such a lock is
    held, as it was before inodes were recorded (a copy and such a mount cannot be told apart from here)."""
    store, cfgs, ids = _one_done(tmp_path)
    d = store.run_dir(ids[1])
    d.mkdir(parents=True, exist_ok=True)
    lock = d / ".lock"
    since = time.strftime(results.LOCK_TIME, time.gmtime())
    lock.touch()  # its own inode + 1, never its own (the folder's + 7 was the lock's where inodes are handed out in
    lock.write_text(f"pid 4242 on {socket.gethostname()}-node-a since {since}, inode {lock.stat().st_ino + 1}")  # turn
    tmp = d / ".net.pt.abc.tmp.pt"  # a write of node A's live worker, as this client sees it
    tmp.write_bytes(b"x")
    old = time.time() - 2 * 3600
    os.utime(tmp, (old, old))
    assert results.copied_lock(lock, lock.read_text()), "the stand-in: the lock's recorded inode is not its file's"
    assert store.in_flight() == {}, "shown as held by nothing (the display rule kept)"
    assert results.held_as_far_as_known(lock) is True
    assert tmp not in store.leftover_temp_files(), "a file of a run that may be live is never offered for removal"


def test_a_log_handler_on_stdout_whose_reader_went_away_logs_nowhere(monkeypatch):
    """A night script logging to stdout (`logging.basicConfig(stream=sys.stdout)`), `python night.py | tee night.log`
    with tee killed: its handler holds the stream itself, not the guard api.run put in sys.stdout, so every record of
    the night wrote a '--- Logging error ---' traceback to stderr (a terminal, a log file). The handlers on a guarded
    stream write through the guard while it stands, and have their stream back after it."""
    import io
    import logging

    from benchmark.errors import output_to_a_reader_gone_goes_nowhere

    r, w = os.pipe()
    os.close(r)  # the reader is gone
    stdout = open(w, "w", buffering=1)  # noqa: SIM115 - closed below
    err = io.StringIO()
    monkeypatch.setattr("sys.stdout", stdout)
    monkeypatch.setattr("sys.stderr", err)
    handler = logging.StreamHandler(stdout)
    log = logging.getLogger("review_overnight19")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        with output_to_a_reader_gone_goes_nowhere():
            for i in range(3):
                log.info("a night's line %d", i)
        assert handler.stream is stdout, "the handler's own stream back after the call"
        assert "Logging error" not in err.getvalue(), err.getvalue()[:500]
    finally:
        log.removeHandler(handler)
        with contextlib.suppress(OSError):  # a pipe with no reader where the guard left it so
            stdout.close()
