"""Mends of the lock-line parsing and reading (review of the session's diff)."""

import os
import socket
import time

import pytest

from benchmark import results
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


@pytest.mark.parametrize("text, hint, elsewhere", [
    (f"pid 12 on {OTHER} since {WHEN}", True, f"pid 12 on {OTHER}"),
    (f"pid 12 on {OTHER} since {WHEN}, merge writing it", True, ""),
    (f"pid 12 on {OTHER} at noon", False, f"pid 12 on {OTHER}"),  # no since: held, but no hint
    (f"pid 12 on {HERE} since {WHEN}", False, ""),
    ("another process", False, ""),
    (f"junk since {WHEN}", False, ""),
])
def test_each_caller_keeps_its_reading_of_well_formed_and_malformed_lines(tmp_path, text, hint, elsewhere):
    path = tmp_path / ".lock"
    path.write_text(text)
    assert bool(stale_lock_hint(path, text)) is hint
    assert held_elsewhere(path) == elsewhere
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


def _counting(monkeypatch):
    """{"read": n, "stat": n} of the run locks' reads and stats from here on."""
    from pathlib import Path

    calls = {"read": 0, "stat": 0}
    read, stat = Path.read_text, Path.stat

    def counted_read(self, *a, **k):
        calls["read"] += self.name == ".lock"
        return read(self, *a, **k)

    def counted_stat(self, *a, **k):
        calls["stat"] += self.name == ".lock"
        return stat(self, *a, **k)

    monkeypatch.setattr(Path, "read_text", counted_read)
    monkeypatch.setattr(Path, "stat", counted_stat)
    return calls


def test_status_reads_each_lock_held_elsewhere_once(tmp_path, monkeypatch):
    from benchmark.config import RunConfig, run_id
    from benchmark.progress import GridProgress

    store = results.ResultsStore(tmp_path)
    store.ensure_writable()
    cfgs = [RunConfig(task="denoise", loss="l1", seed=s, train_fingerprint="x", test_fingerprint="y")
            for s in range(4)]
    store.write_meta(run_id(cfgs[0]), {"run_id": run_id(cfgs[0]), "status": "ok", "config": cfgs[0].to_dict(),
                                       "wall_s": 10.0})
    now = time.strftime(LOCK_TIME, time.gmtime())
    for c in cfgs[1:]:
        store.run_dir(run_id(c)).mkdir(parents=True, exist_ok=True)
        (store.run_dir(run_id(c)) / ".lock").write_text(f"pid 7 on {OTHER} since {now}")
    calls = _counting(monkeypatch)
    status = GridProgress(store, cfgs, workers=2).status()
    assert status["elsewhere"] == [f"pid 7 on {OTHER}"] * 3 and status["stale"] == 0
    assert calls == {"read": 3, "stat": 3}  # one read and one stat a lock (was three reads and two stats)


def test_held_as_far_as_known_reads_the_lock_once(tmp_path, monkeypatch):
    path = tmp_path / ".lock"
    path.write_text(f"pid 7 on {OTHER} since {WHEN}")
    calls = _counting(monkeypatch)
    assert results.held_as_far_as_known(path) is True
    assert calls["read"] == 1 and calls["stat"] == 0
    path.unlink()
    assert results.held_as_far_as_known(path) is False


def test_check_gives_the_copied_mid_grid_advice_once_for_many_runs_held_elsewhere(tmp_path, capsys):
    """``check`` appended the whole copied-mid-grid advice to every held run's line (8 workers: 8 long lines of one
    advice); it says it once, after them, for all of them."""
    from benchmark.cli import main
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, seeds=(0, 1, 2), n_images=2, metrics=("psnr",),
                        budget_check=False)
    rids = [r for r in store.run_ids() if not r.startswith("input-")]
    assert len(rids) >= 2
    for rid in rids:
        d = store.run_dir(rid)
        for f in [d / "meta.json", *d.glob("eval-*")]:
            f.unlink()
        (d / ".lock").write_text(f"pid 4242 on {OTHER} since {WHEN}")
    main(["check", "--out", str(store.root)])
    out = capsys.readouterr().out
    assert sum(ln.startswith("run ") and "is not finished" in ln for ln in out.splitlines()) == len(rids)
    assert out.count("is a copy made while that machine trained") == 1
    assert f"those {len(rids)} runs are held from another machine" in out and "trained them" in out


def test_the_boards_note_counts_the_runs_held_elsewhere_without_building_their_hints(tmp_path, monkeypatch):
    from benchmark.report import in_flight_lines

    monkeypatch.setattr(results, "stale_lock_hint", lambda *a: pytest.fail("a whole sentence built to count"))
    store = results.ResultsStore(tmp_path)
    held = {"a": f"pid 1 on {OTHER} since {WHEN}", "b": f"pid 2 on {OTHER} since {WHEN}",
            "c": f"pid 3 on {HERE} since {WHEN}"}
    (line,) = in_flight_lines(store, held)
    assert "2 of them held from another machine" in line and "trained them" in line
    assert in_flight_lines(store, {"c": held["c"]})[0].count("another machine") == 0
