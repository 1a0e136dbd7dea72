"""Mends of the session-19 store review: repeated work and duplicated helpers (one test per mend)."""
from __future__ import annotations

import benchmark.cli  # noqa: F401 - imported once, at collection
import benchmark.synthetic  # noqa: F401

KW = dict(seeds=(0,), n_images=2, metrics=("psnr",), budget_check=False)


def _store(root, losses=("l1",)):
    from benchmark.synthetic import write_store

    store = write_store(root, offsets={loss: 0.0 for loss in losses}, **KW)
    return store, sorted(r for r in store.run_ids() if not r.startswith("input-"))


def test_remove_left_checkpoints_visits_only_the_folders_it_was_given(tmp_path, monkeypatch):
    """remove_left_checkpoints listed every run and rescanned the whole list for each (runs × found): it now groups
    what it was given by folder — no listing of runs/, each folder's checkpoints removed under its lock as before."""
    from benchmark import results
    from benchmark.results import ResultsStore

    store, (x, y) = _store(tmp_path / "r", ("l1", "l2"))
    for rid in (x, y):
        (store.run_dir(rid) / "ckpt.pt").write_bytes(b"\0")
        (store.run_dir(rid) / "ckpt-b2.pt").write_bytes(b"\0")
    monkeypatch.setattr(results, "held_as_far_as_known", lambda path: False)
    found = store.left_checkpoints()
    assert len(found) == 4
    fresh = ResultsStore(store.root)
    locked = []
    real_lock = ResultsStore.lock
    monkeypatch.setattr(ResultsStore, "run_ids", lambda self: (_ for _ in ()).throw(AssertionError("listed runs/")))
    monkeypatch.setattr(ResultsStore, "lock", lambda self, rid, *a, **k: locked.append(rid) or real_lock(self, rid))
    assert fresh.remove_left_checkpoints(found) == found
    assert sorted(locked) == [x, y] and not any(p.exists() for p in found)
