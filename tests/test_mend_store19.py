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


def test_check_lists_each_run_folder_once_for_temp_files_and_checkpoints(tmp_path, monkeypatch, capsys):
    """check listed every run folder twice: once for temporary files (leftover_temp_files), again for left
    checkpoints (left_checkpoints, a glob of ckpt*.pt). One listing now finds both; the checkpoint is still named.
    (The eval-* globs are the reading of each run's passes: not counted here.)"""
    from collections import Counter
    from pathlib import Path

    from benchmark import results
    from benchmark.cli import main

    store, (x, y) = _store(tmp_path / "r", ("l1", "l2"))
    (store.run_dir(x) / "ckpt.pt").write_bytes(b"\0")
    monkeypatch.setattr(results, "held_as_far_as_known", lambda path: False)
    folders = {store.run_dir(x), store.run_dir(y)}
    seen = Counter()
    iterdir, glob = Path.iterdir, Path.glob

    def counted_iterdir(self):
        seen[self] += self in folders
        return iterdir(self)

    def counted_glob(self, pattern, *a, **k):
        seen[self] += self in folders and not pattern.startswith("eval-")
        return glob(self, pattern, *a, **k)

    monkeypatch.setattr(Path, "iterdir", counted_iterdir)
    monkeypatch.setattr(Path, "glob", counted_glob)
    main(["check", "--out", str(store.root)])
    assert f"1 checkpoint of finished runs (runs/{x}/ckpt.pt" in capsys.readouterr().out
    assert {p: n for p, n in seen.items() if n} == dict.fromkeys(folders, 1), seen
