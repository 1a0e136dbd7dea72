"""Mends of the lock-line parsing and reading (review of the session's diff)."""

import os
import socket
import time

import pytest

from benchmark import progress, results
from benchmark.results import LOCK_TIME, RunLock, held_elsewhere, lock_holder, stale_lock_hint

HERE = socket.gethostname()
OTHER = HERE + "-other"
WHEN = "2026-12-06T15:00:00Z"


@pytest.mark.parametrize("text, want", [
    (f"pid 12 on {OTHER} since {WHEN}", (12, OTHER, WHEN)),
    (f"pid 12 on {OTHER} since {WHEN}, merge reading it", (12, OTHER, WHEN)),
    (f"pid 12 on {OTHER} since", (12, OTHER, "")),  # in_flight's "since" word, no time (stale_lock_hint: none)
    (f"pid 12 on {OTHER} since ", (12, OTHER, "")),
    (f"pid 12 on {OTHER} at noon", (12, OTHER, None)),
    (f"pid 12 on {OTHER}", None),
    ("another process", None),
    ("", None),
    ("pid x on h since t", None),
])
def test_lock_holder_parses_what_acquire_writes_and_refuses_the_rest(text, want):
    assert lock_holder(text) == want


def test_acquire_writes_a_line_lock_holder_reads(tmp_path):
    lock = RunLock.acquire(tmp_path / ".lock")
    try:
        pid, host, since = lock_holder((tmp_path / ".lock").read_text())
        assert (pid, host) == (os.getpid(), HERE)
        time.strptime(since, LOCK_TIME)
    finally:
        lock.release()


@pytest.mark.parametrize("text, hint, elsewhere, taken", [
    (f"pid 12 on {OTHER} since {WHEN}", True, f"pid 12 on {OTHER}", True),
    (f"pid 12 on {OTHER} since {WHEN}, merge writing it", True, "", True),
    (f"pid 12 on {OTHER} at noon", False, f"pid 12 on {OTHER}", False),  # no since: held, but no hint
    (f"pid 12 on {HERE} since {WHEN}", False, "", True),
    ("another process", False, "", False),
    (f"junk since {WHEN}", False, "", False),  # _taken_s: only after held_elsewhere, which refuses it too
])
def test_each_caller_keeps_its_reading_of_well_formed_and_malformed_lines(tmp_path, text, hint, elsewhere, taken):
    path = tmp_path / ".lock"
    path.write_text(text)
    assert bool(stale_lock_hint(path, text)) is hint
    assert held_elsewhere(path) == elsewhere
    assert (progress._taken_s(path) > 0) is taken
    assert RunLock.held_for(path) is None  # pid 12 is no process of ours holding it open


def test_in_flight_needs_since_and_skips_merges(tmp_path, monkeypatch):
    store = results.ResultsStore(tmp_path / "res")
    store.root.mkdir()
    for rid, text in {"a": f"pid 1 on {OTHER} since {WHEN}", "b": f"pid 1 on {OTHER} at noon",
                      "c": f"pid 1 on {OTHER} since {WHEN}, merge reading it", "d": "another process"}.items():
        store.run_dir(rid).mkdir(parents=True)
        (store.run_dir(rid) / ".lock").write_text(text)
    monkeypatch.setattr(store, "run_ids", lambda: ["a", "b", "c", "d"])
    monkeypatch.setattr(store, "meta", lambda rid: None)
    assert store.in_flight() == {"a": f"pid 1 on {OTHER} since {WHEN}"}
