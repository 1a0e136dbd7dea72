"""Session-16 review of the results store: the ETA of a grid whose store was copied from another machine mid-grid."""
from __future__ import annotations

import os
import time

import pytest

from benchmark.config import RunConfig, run_id
from benchmark.results import ResultsStore


def _cfg(loss, seed):
    return RunConfig(task="denoise", loss=loss, seed=seed, train_fingerprint="x", test_fingerprint="y")


@pytest.mark.parametrize("kept_mtime", [True, False], ids=["cp-a", "plain-cp"])
def test_a_lock_copied_from_another_machine_long_ago_is_not_a_run_in_flight(tmp_path, kept_mtime):
    """A store copied (``cp -a``, rsync, a tar) from node2 while it trained two runs: their locks name node2 for
    ever, and `plbench run` here trains them (a copy holds no flock). They were counted in flight, near done, and each
    one more worker: one worker's 4 runs of 200 s read 200 s left, and the line said '2 running' for ever. A lock held
    from another machine for longer than thrice the grid's longest run (by its file's age, or the time its text says
    it was taken: a plain ``cp`` resets the first) is charged as a run still to do, and the line says so."""
    from benchmark.progress import GridProgress

    store = ResultsStore(tmp_path)
    store.ensure_writable()
    done, left = [_cfg("pdl", 0)], [_cfg("pdl", s) for s in (1, 2, 3, 4)]
    store.write_meta(run_id(done[0]), {"run_id": run_id(done[0]), "status": "ok", "config": done[0].to_dict(),
                                       "wall_s": 200.0})
    then = time.time() - 3 * 3600
    for pid, c in enumerate(left[:2], 4242):
        lock = store.run_dir(run_id(c)) / ".lock"
        lock.parent.mkdir(parents=True)
        lock.write_text(f"pid {pid} on node2-xyz since {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(then))}")
        if kept_mtime:
            os.utime(lock, (then, then))
    p = GridProgress(store, done + left, workers=1)
    assert p.eta()[0] == pytest.approx(4 * 200, abs=2)
    line = p.line()
    assert "running" not in line and "1 done, 0 failed, 2 held by another machine for longer than any run" in line
    # a live run there (taken 100 s ago) is still in flight, one more worker beside this node's, its run just begun
    from benchmark.results import RunLock

    mine = RunLock.acquire(store.run_dir(run_id(left[3])) / ".lock")
    taken = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 100))
    lock.write_text(f"pid 4243 on node2-xyz since {taken}")
    os.utime(lock, (time.time() - 100,) * 2)
    try:
        assert p.eta()[0] == pytest.approx((4 * 200 - 100) / 2, abs=2)
        assert "2 running (1 on another machine), 0 failed, 1 held by another machine" in p.line()
    finally:
        mine.release()
