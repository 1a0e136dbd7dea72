"""Probe of the overnight/cluster run (session 11): the grid's ETA near its end, the memory check of local
CPU workers."""

from __future__ import annotations

import pytest

from benchmark.config import RunConfig, run_id
from benchmark.progress import GridProgress
from benchmark.results import ResultsStore


def _cfg(loss, seed):
    return RunConfig(task="denoise", loss=loss, seed=seed, train_fingerprint="x", test_fingerprint="y")


def test_eta_never_less_than_the_longest_run_left(tmp_path):
    """The ETA divided the time left by the workers, also when fewer runs than workers were left: one pdl run of
    200 s left on 4 workers read 50 s (a run is not split over workers). It is at least the longest run left —
    its family's mean, or what a run in flight still has of it — and the sum over the workers otherwise."""
    import os
    import time

    from benchmark.results import RunLock

    store = ResultsStore(tmp_path)
    store.ensure_writable()
    done = [_cfg("l1", 0), _cfg("pdl", 0)]
    for c, wall in zip(done, (10.0, 200.0)):
        store.write_meta(run_id(c), {"run_id": run_id(c), "status": "ok", "config": c.to_dict(), "wall_s": wall})
    left = [_cfg("pdl", 1)]
    mean = {"l1": 10.0, "pdl": 200.0}
    p = GridProgress(store, done + left, workers=4)
    assert p.eta()[0] == pytest.approx(mean["pdl"])
    lock = RunLock.acquire(store.run_dir(run_id(left[0])) / ".lock")  # in flight for 50 s
    try:
        then = time.time() - 50
        os.utime(lock.path, (then, then))
        assert p.eta()[0] == pytest.approx(mean["pdl"] - 50, abs=2)
    finally:
        lock.release()
    many = [_cfg("l1", s) for s in range(1, 13)]  # 12 l1 runs left on 4 workers: the sum over the workers
    p2 = GridProgress(store, done + many, workers=4)
    assert p2.eta()[0] == pytest.approx(12 * mean["l1"] / 4)
