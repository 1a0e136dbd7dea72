"""Review 19 of overnight: the inode a run lock records tells a copy of the store only for what is shown, never before
a file is removed; api.run's wording and signal handlers end with the call."""
from __future__ import annotations

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
    lock.write_text(f"pid 4242 on {socket.gethostname()}-node-a since {since}, inode {os.stat(d).st_ino + 7}")
    tmp = d / ".net.pt.abc.tmp.pt"  # a write of node A's live worker, as this client sees it
    tmp.write_bytes(b"x")
    old = time.time() - 2 * 3600
    os.utime(tmp, (old, old))
    assert results.copied_lock(lock, lock.read_text()), "the stand-in: the lock's recorded inode is not its file's"
    assert store.in_flight() == {}, "shown as held by nothing (the display rule kept)"
    assert results.held_as_far_as_known(lock) is True
    assert tmp not in store.leftover_temp_files(), "a file of a run that may be live is never offered for removal"
