"""Probe 18 of overnight and cluster runs under faults: what the morning reads after a night of several workers."""
from __future__ import annotations

import time

from tests.test_probe_store17 import _held_on_node2, _one_done


def test_a_live_run_resumed_on_a_node_whose_clock_is_behind_is_in_flight_at_the_first_look(tmp_path, monkeypatch):
    """node2's clock is two hours behind; it resumed a run from its checkpoint 60 s ago (the lock file's time, the file
    server's clock): its curve starts with the 1500 s trained before, as a copy's does. A new GridProgress — the
    morning's `plbench run` on another node, the first line of the next grid — read the lock's text (node2's clock:
    2 h ago) on its first look and said 'held by another machine for longer than any run takes', its worker not
    counted. Staleness is seen here, over time: the lock file's age and how long its files stay unchanged."""
    import benchmark.progress as progress

    store, cfgs, ids = _one_done(tmp_path)
    now = time.time()
    _held_on_node2(store, ids[1], text_at=now - 2 * 3600 - 60, lock_at=now - 60, curve=(1500.0, now - 5))
    clock = [1000.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    p = progress.GridProgress(store, cfgs, workers=1)
    line = p.line()
    assert "1 running (1 on another machine)" in line and "longer than any run" not in line, line
    clock[0] += 3 * 200 + 1  # node2 then wrote nothing for thrice the longest run, seen from here: no run there
    assert "1 held by another machine for longer than any run" in p.line()


def test_a_run_raising_in_its_third_step_leaves_no_prefetch_thread_behind(one_thread):
    """A JPEG run on the GPU step (its batches made one step ahead in a thread) that raised in its 3rd step — a loss's
    bug, CUDA out of memory, retried at half the batch by a second train() — or was stopped (Ctrl-C, SIGTERM:
    KeyboardInterrupt) left its prefetch thread alive, a batch made ahead pinned in it, for the rest of the worker's
    grid: one thread more per such run, and threads alive at the interpreter's exit. train() closes its step's prefetch
    on every way out."""
    import threading

    import numpy as np
    import pytest
    import torch

    from benchmark.config import RunConfig
    from benchmark.data import ImageRecord
    from benchmark.registry import LOSSES
    from benchmark.runner import train
    from benchmark.task import build_task

    class RaisesAt3(torch.nn.Module):
        calls = 0

        def forward(self, pred, target):
            RaisesAt3.calls += 1
            if RaisesAt3.calls == 3:
                raise RuntimeError("CUDA out of memory (a stand-in)")
            return (pred - target).abs().mean()

    rng = np.random.default_rng(0)
    images = [ImageRecord(f"i{k}", torch.from_numpy(rng.integers(0, 256, (3, 40, 48), dtype=np.uint8)))
              for k in range(2)]
    LOSSES.add("probe18_raises_at_3", RaisesAt3)
    try:
        cfg = RunConfig(task="jpeg", loss="probe18_raises_at_3", iterations=6, batch_size=2, crop=16)
        with pytest.raises(RuntimeError, match="stand-in"):
            train(cfg, build_task("jpeg"), images, torch.device("cpu"), device_path=True)
    finally:
        LOSSES.remove("probe18_raises_at_3")
    left = [t.name for t in threading.enumerate() if t.name.startswith("plbench-prefetch")]
    assert not left, left
