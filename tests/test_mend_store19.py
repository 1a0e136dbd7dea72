"""Mends of the session-19 store review: repeated work and duplicated helpers (one test per mend)."""
from __future__ import annotations

import json
import os

import scipy.stats  # noqa: F401 - the report's tests
import seaborn  # noqa: F401 - a report's figure style
from conftest import figures_off

import benchmark.cli  # noqa: F401 - imported once, at collection
import benchmark.figures  # noqa: F401
import benchmark.report  # noqa: F401
import benchmark.stats  # noqa: F401
import benchmark.synthetic  # noqa: F401
import benchmark.task  # noqa: F401 - torch, which a report's settings text imports

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


def _gone_and_renamed(root):
    """A store of three finished runs: one folder deleted, one renamed (mv runs/<id> runs/best)."""
    import shutil

    store, (x, y, z) = _store(root, ("l1", "l2", "l3"))
    for rid in store.run_ids():
        store.note_finished(rid, store.meta(rid))
    shutil.rmtree(store.run_dir(x))
    store.run_dir(y).rename(store.runs / "best")
    return store, x, y


def _count_renamed(monkeypatch):
    from benchmark.results import ResultsStore

    calls = []
    real = ResultsStore.renamed
    monkeypatch.setattr(ResultsStore, "renamed", lambda self, *a, **k: calls.append(1) or real(self, *a, **k))
    return calls


def test_check_asks_which_runs_are_renamed_once(tmp_path, monkeypatch, capsys):
    """check had ResultsStore.renamed (two listings of runs/, a meta.json read per folder not named as a run) in
    hand, yet asked it three times more for its gone runs (renamed_gone for the links it leaves to gone_lines,
    gone_lines itself, the count of the renamed): now once, the lines as before."""
    from benchmark.cli import main

    store, x, y = _gone_and_renamed(tmp_path / "r")
    calls = _count_renamed(monkeypatch)
    assert main(["check", "--out", str(store.root)]) == 1
    said = capsys.readouterr().out
    assert len(calls) == 1, len(calls)
    assert f"run {x} " in said and f"mv {store.runs / 'best'} {store.run_dir(y)}" in said, said
    assert "1 gone (said above" in said and "1 renamed (said above" in said, said


def test_report_asks_which_runs_are_renamed_once(tmp_path, monkeypatch):
    """The report asked ResultsStore.renamed for its gone lines, then again to forget the gone runs: now once; the
    renamed run is still not forgotten, the deleted one is."""
    from benchmark import report
    from benchmark.results import FINISHED_LOG

    store, x, y = _gone_and_renamed(tmp_path / "r")
    figures_off(monkeypatch)  # figures are not what is counted: < 1 s
    calls = _count_renamed(monkeypatch)
    report.write_report(store, formats=(), visual=False, html=False, n_boot=20)
    assert len(calls) == 1, len(calls)
    log = (store.root / FINISHED_LOG).read_text()
    assert f"-{x}" in log and f"-{y}" not in log, log


def test_paths_not_here_splits_a_source_as_the_grid_wrote_it(tmp_path, monkeypatch):
    """paths_not_here cut SOURCE[@REV][:SPLIT][#COLUMN] by hand beside data._split_source, which wrote the grid's
    paths (GridSpec.with_absolute_paths): it now asks _split_source — the same paths named, each once."""
    import benchmark.data
    from benchmark.results import paths_not_here

    folder = tmp_path / "imgs"
    folder.mkdir()
    (tmp_path / "w.pth").write_bytes(b"\0")
    missing = tmp_path / "gone"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    here = ["skimage:train", "hf:org/ds@main:train", "imgs", f"{folder}:test", f"{folder}@v1:test",
            f"{folder}#image", str(folder)]
    away = ["~/missing", f"{missing}:test", f"{missing}@v1:train#image"]
    grid = tmp_path / "g.yaml"
    grid.write_text(json.dumps({"train_data": here[:4] + away[:1], "test_data": here[4:] + away[1:] + away[1:2],
                                "loss_files": [str(tmp_path / "my_loss.py")],
                                "backbone_weights": ["vgg16=file(/nowhere/w.pth)", str(tmp_path / "w.pth")]}))
    calls = []
    real = benchmark.data._split_source
    monkeypatch.setattr(benchmark.data, "_split_source", lambda t: calls.append(t) or real(t))
    assert paths_not_here(grid) == [*away[:1], *away[1:], str(tmp_path / "my_loss.py")]
    assert calls and all(os.path.isabs(os.path.expanduser(t)) for t in calls)


def test_a_pretrain_estimate_is_in_the_dry_runs_units(monkeypatch):
    """_pretrain_estimate said minutes its own way ("about 360 min") beside the dry run's "2.00 h": now _span's."""
    from benchmark import pretrain as P
    from benchmark.cli import _pretrain_estimate, _span

    cmd = "plbench pretrain --recipe simclr --data skimage:train"
    for seconds, said in ((6 * 3600.0, "6.00 h"), (754.0, "0.21 h"), (150.0, "2.5 min"), (45.0, "45 s")):
        monkeypatch.setattr(P, "estimate_seconds", lambda cfg, s=seconds, **_: (s, 0.66))
        assert _span(seconds) == said
        assert _pretrain_estimate(cmd).startswith(f"about {said} here: 3 of its 500 steps timed on "), said


def test_local_workers_take_the_drivers_overlap_checks_computed_once(tmp_path, monkeypatch):
    """execute_local computed the driver's overlap checks (_overlaps) once per worker, inside the loop that builds
    their units: now once, beside the hold-outs, every worker's unit holding the same."""
    import pytest

    from benchmark import executors
    from benchmark.config import RunConfig

    cfgs = [RunConfig(task="denoise", loss="l1", seed=seed, train_fingerprint="x", test_fingerprint="y")
            for seed in range(3)]
    checks = []

    class Data:
        def share(self, specs):
            return None

        def overlaps(self, configs):
            checks.append(1)
            return (("overlap", 1),)

    units = []

    class Started(Exception):
        pass

    def run_processes(us, envs, monitor):
        units.extend(us)
        raise Started

    monkeypatch.setattr(executors, "local_workers", lambda *a: (3, []))
    monkeypatch.setattr(executors, "_to_submit", lambda configs, *a: list(configs))
    monkeypatch.setattr(executors, "check_local_memory", lambda *a, **k: None)
    monkeypatch.setattr(executors, "_run_processes", run_processes)
    with pytest.raises(Started):
        executors.execute_local(cfgs, tmp_path / "r", ("psnr",), "cpu", workers=3, data=Data())
    assert len(checks) == 1 and len(units) == 3 and all(u.overlaps == (("overlap", 1),) for u in units), checks
