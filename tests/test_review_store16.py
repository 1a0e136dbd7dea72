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
def test_a_lock_copied_from_another_machine_long_ago_is_not_a_run_in_flight(tmp_path, kept_mtime, monkeypatch):
    """A store copied (``cp -a``, rsync, a tar) from node2 while it trained two runs: their locks name node2 for
    ever, and `plbench run` here trains them (a copy holds no flock). They were counted in flight, near done, and each
    one more worker: one worker's 4 runs of 200 s read 200 s left, and the line said '2 running' for ever. A lock held
    from another machine for longer than thrice the grid's longest run (by its file's age, which a plain ``cp`` resets
    to the copy's: then by how long it stays unchanged, seen here — never by node2's clock, the time its text says,
    which may be hours off: tests/test_probe_overnight18.py) is charged as a run still to do, and the line says so."""
    import benchmark.progress as progress
    from benchmark.progress import GridProgress

    clock = [1000.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])

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
        # what it had trained when copied (a lock with no curve row yet is a run just begun: tests/test_review_store17)
        (lock.parent / "curve.csv").write_text("iteration,seconds,loss,lr\n10,50.0,0.5,0.001\n")
        if kept_mtime:
            os.utime(lock, (then, then))
            os.utime(lock.parent / "curve.csv", (then + 50, then + 50))
    p = GridProgress(store, done + left, workers=1)
    if not kept_mtime:  # copied just now: in flight at the first look, then unchanged for thrice the longest run
        assert "2 running (2 on another machine)" in p.line()
        clock[0] += 3 * 200 + 1
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


def _two_task_field(tmp_path, kinds: dict[str, str]):
    """A field of one l1 run per task, made by this code, each task's trained on the device ``kinds`` names."""
    from benchmark.config import code_version
    from benchmark.results import atomic_write_json
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", tasks=tuple(kinds), offsets={"l1": 0.0}, seeds=(0,), n_images=1,
                        metrics=("psnr",), budget_check=False)
    for rid in store.run_ids():
        m = store.meta(rid)
        cfg = m.get("config") or {}
        kind = kinds.get(cfg.get("task"), "cpu")
        atomic_write_json(store.run_dir(rid) / "meta.json",
                          {**m, "code_version": code_version(),
                           **({"config": {**cfg, "device_type": kind}} if cfg else {})})
    return store


def test_compare_of_a_field_trained_on_a_cpu_and_on_a_gpu_says_to_compare_each_kind_with_its_tasks(tmp_path,
                                                                                                   monkeypatch):
    """A field whose denoise runs were trained on the CPU and whose deblur runs on a GPU: auto took the GPU and was
    refused 'compare on the same kind of device (--device cpu)'; with --device cpu, 'trained on cuda … (--device
    cuda)': no value passes. One line says the field's tasks were trained on both and what to run for each."""
    import torch

    from benchmark.compare import compare
    from benchmark.errors import UserError

    store = _two_task_field(tmp_path, {"denoise": "cpu", "deblur": "cuda"})
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    for device in ("auto", "cpu"):  # auto takes the GPU here
        with pytest.raises(UserError) as err:
            compare(store.root, losses=["l2"], device=device, visual=False, formats=("png",))
        line = str(err.value)
        assert "\n" not in line
        assert "trained on the CPU (denoise) and on a GPU (deblur)" in line, line
        assert "--tasks denoise --device cpu" in line and "--tasks deblur --device cuda" in line, line


def test_a_long_run_of_another_family_held_from_another_machine_is_judged_by_its_own_family(tmp_path):
    """Only ℓ1 runs (5 s) have finished; node2 trains a PDL run, many times longer, for 60 s. Judged by the grid's
    longest run, it was taken for a lock copied long ago after 15 s, its worker not counted. A family not measured
    yet is not judged: the run is in flight, node2's process one more worker."""
    from benchmark.progress import GridProgress
    from benchmark.results import RunLock

    store = ResultsStore(tmp_path)
    store.ensure_writable()
    done, left = [_cfg("l1", 0)], [_cfg("pdl", 0), _cfg("pdl", 1)]
    store.write_meta(run_id(done[0]), {"run_id": run_id(done[0]), "status": "ok", "config": done[0].to_dict(),
                                       "wall_s": 5.0})
    then = time.time() - 60
    lock = store.run_dir(run_id(left[0])) / ".lock"
    lock.parent.mkdir(parents=True)
    lock.write_text(f"pid 4242 on node2-xyz since {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(then))}")
    os.utime(lock, (then, then))
    mine = RunLock.acquire(store.run_dir(run_id(left[1])) / ".lock")
    try:
        assert "2 running (1 on another machine), 0 failed;" in GridProgress(store, done + left, workers=1).line()
    finally:
        mine.release()


@pytest.mark.parametrize("n", [1, 2])
def test_the_copied_mid_grid_hint_says_the_run_finishes_there_not_that_it_is_finished(tmp_path, n):
    """The hint of check and the board said 'it is finished there, not here: … copies it in once it is' — read as
    done already, while that machine may still train it. It says it finishes there, and is copied in once done."""
    from benchmark.results import copied_mid_grid_hint

    hint = copied_mid_grid_hint(tmp_path, n)
    assert "is finished there" not in hint and "are finished there" not in hint
    assert ("it finishes there, not here" if n == 1 else "they finish there, not here") in hint, hint
    assert ("copies it in once it has" if n == 1 else "copies them in once they have") in hint, hint
