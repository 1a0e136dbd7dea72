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
