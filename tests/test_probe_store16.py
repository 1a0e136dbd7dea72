"""Session-16 probe of the results store: a grid shared by several machines (its ETA), a store copied from another
machine mid-grid (what check and report say of its runs)."""
from __future__ import annotations

import os
import time

import pytest

from benchmark.config import RunConfig, run_id
from benchmark.results import ResultsStore


def _cfg(loss, seed):
    return RunConfig(task="denoise", loss=loss, seed=seed, train_fingerprint="x", test_fingerprint="y")


def test_the_eta_counts_the_runs_another_machine_trains_in_the_same_store(tmp_path):
    """Two nodes of a shared store train one grid, one worker each. A run the other node trains (its lock names that
    node) was charged in full to this node's one worker, and the other node's worker was not counted: the ETA read
    about twice the time left, and the line said nothing ran. It is in flight, its age by its lock file, and the
    other node's process is one more worker; a merge's copy on another node trains nothing."""
    from benchmark.progress import GridProgress

    store = ResultsStore(tmp_path)
    store.ensure_writable()
    done, left = [_cfg("pdl", 0)], [_cfg("pdl", 1), _cfg("pdl", 2), _cfg("l1", 0)]
    store.write_meta(run_id(done[0]), {"run_id": run_id(done[0]), "status": "ok", "config": done[0].to_dict(),
                                       "wall_s": 200.0})
    p = GridProgress(store, done + left, workers=1)
    assert p.eta()[0] == pytest.approx(3 * 200)
    lock = store.run_dir(run_id(left[0])) / ".lock"
    lock.parent.mkdir(parents=True)
    lock.write_text("pid 4242 on some-other-node-xyz since 2026-12-06T15:00:00Z")
    then = time.time() - 120
    os.utime(lock, (then, then))
    # (3 × 200 − 120 s already run) over this node's worker and the other node's, never below a whole pdl run
    assert p.eta()[0] == pytest.approx((3 * 200 - 120) / 2, abs=2)
    assert "1 done, 1 running (1 on another machine), 0 failed" in p.line()
    lock.write_text("pid 4242 on some-other-node-xyz since 2026-12-06T15:00:00Z, merge writing it")
    assert p.eta()[0] == pytest.approx(3 * 200) and "running" not in p.line()
