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


def _utc(t: float) -> str:
    """``t`` as a run lock's text says when it was taken."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def test_the_eta_counts_the_runs_another_machine_trains_in_the_same_store(tmp_path):
    """Two nodes of a shared store train one grid, one worker each. A run the other node trains (its lock names that
    node) was charged in full to this node's one worker, and the other node's worker was not counted: the ETA read
    about twice the time left, and the line said one run ran. It is in flight, its age by its lock file, and the
    other node's process is one more worker; a merge's copy on another node trains nothing."""
    from benchmark.progress import GridProgress
    from benchmark.results import RunLock

    store = ResultsStore(tmp_path)
    store.ensure_writable()
    done, left = [_cfg("pdl", 0)], [_cfg("pdl", 1), _cfg("pdl", 2), _cfg("l1", 0)]
    store.write_meta(run_id(done[0]), {"run_id": run_id(done[0]), "status": "ok", "config": done[0].to_dict(),
                                       "wall_s": 200.0})
    p = GridProgress(store, done + left, workers=1)
    assert p.eta()[0] == pytest.approx(3 * 200)
    mine = RunLock.acquire(store.run_dir(run_id(left[1])) / ".lock")  # this node's worker, its run just begun
    lock = store.run_dir(run_id(left[0])) / ".lock"
    lock.parent.mkdir(parents=True)
    then = time.time() - 120  # a live lock's text and file age agree (the ETA leaves out one older than any run)
    lock.write_text(f"pid 4242 on some-other-node-xyz since {_utc(then)}")
    os.utime(lock, (then, then))
    try:
        # (3 × 200 − 120 s already run) over this node's worker and the other node's
        assert p.eta()[0] == pytest.approx((3 * 200 - 120) / 2, abs=2)
        assert "1 done, 2 running (1 on another machine), 0 failed" in p.line()
        lock.write_text(f"pid 4242 on some-other-node-xyz since {_utc(then)}, merge writing it")
        assert p.eta()[0] == pytest.approx(3 * 200, abs=2) and "1 running, " in p.line()
    finally:
        mine.release()


def test_a_grid_whose_own_workers_are_on_other_nodes_counts_them_once(tmp_path):
    """A SLURM or Ray grid of 2 workers: its jobs on two compute nodes hold its runs, their locks naming those
    nodes. They are the grid's 2 workers, not 2 more."""
    from benchmark.progress import GridProgress

    store = ResultsStore(tmp_path)
    store.ensure_writable()
    done, left = [_cfg("pdl", 0)], [_cfg("pdl", 1), _cfg("pdl", 2), _cfg("pdl", 3), _cfg("pdl", 4)]
    store.write_meta(run_id(done[0]), {"run_id": run_id(done[0]), "status": "ok", "config": done[0].to_dict(),
                                       "wall_s": 200.0})
    then = time.time() - 100
    for c, node in zip(left, ("node-a", "node-b")):
        lock = store.run_dir(run_id(c)) / ".lock"
        lock.parent.mkdir(parents=True)
        lock.write_text(f"pid 7 on {node} since {_utc(then)}")
        os.utime(lock, (then, then))
    p = GridProgress(store, done + left, workers=2)
    assert p.eta()[0] == pytest.approx((4 * 200 - 2 * 100) / 2, abs=2)
    assert "2 running (2 on another machine)" in p.line()


def _copied_mid_grid(tmp_path):
    """A store copied (rsync, ``cp -a``) from node2 while node2 trained one of its runs: that run has no record,
    and its lock file names node2's process, which releases nothing here. (store, the run's id)"""
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, seeds=(0,), n_images=2, metrics=("psnr",),
                        budget_check=False)
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    d = store.run_dir(rid)
    for f in [d / "meta.json", *d.glob("eval-*")]:
        f.unlink()
    (d / ".lock").write_text("pid 4242 on some-other-node-xyz since 2026-12-06T15:00:00Z")
    return store, rid


def test_check_on_a_store_copied_mid_grid_says_what_to_do_with_a_run_the_other_machine_trained(tmp_path, capsys):
    """``check`` on the copy said the lock 'is released when that process finishes' (never, here) or to remove it if
    that machine runs nothing: neither says that the run finishes there and how it gets here. It says so too."""
    from benchmark.cli import main

    store, rid = _copied_mid_grid(tmp_path)
    main(["check", "--out", str(store.root)])
    out = capsys.readouterr().out  # the advice follows the runs' lines, once (tests/test_mend_lock16.py)
    assert any(ln.startswith(f"run {rid} is not finished") for ln in out.splitlines())
    assert "is a copy made while that machine trained it" in out
    assert f"merge <that machine's results> --out {store.root}" in out


def test_the_board_of_a_store_copied_mid_grid_does_not_promise_that_a_report_adds_the_run(tmp_path):
    """The board's note said '`plbench report` once it finishes adds it': in a copy it never finishes; the note
    says what adds it there. A run in flight on this machine keeps the note as it was."""
    from benchmark.report import in_flight_lines

    store, rid = _copied_mid_grid(tmp_path)
    (line,) = in_flight_lines(store, store.in_flight())
    assert "held from another machine: if this results directory is a copy" in line and "plbench merge" in line
    here = {rid: f"pid {os.getpid()} on {__import__('socket').gethostname()} since 2026-12-06T15:00:00Z"}
    assert "copy" not in in_flight_lines(store, here)[0]


def _field(tmp_path):
    """A field of one l1 run made by this code, as the runner records it."""
    from benchmark.config import code_version
    from benchmark.results import atomic_write_json
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, seeds=(0,), n_images=1, metrics=("psnr",),
                        budget_check=False)
    for rid in store.run_ids():
        atomic_write_json(store.run_dir(rid) / "meta.json", {**store.meta(rid), "code_version": code_version()})
    return store


def test_compare_with_a_field_of_a_newer_plbench_says_to_update_not_to_re_run_the_field(tmp_path, monkeypatch):
    """A colleague's store made by a later release than this checkout: compare said 're-run the field first' — with
    this older code, which would make the field again with older numbers, leaving the colleague's runs unused. It
    says to update plbench; a field of an earlier release is still to be re-run."""
    import benchmark.config as config
    from benchmark.compare import compare
    from benchmark.errors import UserError

    store = _field(tmp_path)
    monkeypatch.setattr(config, "CODE_VERSION", str(int(config.CODE_VERSION) - 1))  # this checkout is the older
    with pytest.raises(UserError) as err:
        compare(store.root, losses=["l2"], device="cpu", visual=False, formats=("png",))
    assert "a newer plbench than this one: update plbench" in str(err.value)
    assert "re-run the field" not in str(err.value)
    monkeypatch.setattr(config, "CODE_VERSION", str(int(config.CODE_VERSION) + 2))  # now the newer
    with pytest.raises(UserError, match="re-run the field first") as err:
        compare(store.root, losses=["l2"], device="cpu", visual=False, formats=("png",))
    assert "update plbench" not in str(err.value)


def test_compare_on_a_gpu_machine_trains_the_new_loss_as_a_cpu_field_was_trained(tmp_path, monkeypatch):
    """The field run on a CPU (the quick profile on a laptop), compared on a workstation with a GPU: ``--device auto``
    took the GPU and refused, 'compare on the same kind of device (--device)', though compare trains with the field's
    exact settings and the CPU is there. Auto takes the field's device; a device asked for by name that is not the
    field's is refused naming the one to pass."""
    import torch

    import benchmark.compare as compare_module
    from benchmark.compare import compare
    from benchmark.errors import UserError

    store = _field(tmp_path)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    probed_on = []

    class Planned(Exception):
        pass

    def probe(groups, new, here, tasks, data, device_type):  # the first step that plans the new loss's runs
        probed_on.append(device_type)
        raise Planned

    with monkeypatch.context() as m:
        m.setattr(compare_module, "_probe_new_losses", probe)
        with pytest.raises(Planned):
            compare(store.root, losses=["l2"], device="auto", visual=False, formats=("png",))
    assert probed_on == ["cpu"]
    with pytest.raises(UserError, match=r"compare on the same kind of device \(--device cpu\)"):
        compare(store.root, losses=["l2"], device="cuda", visual=False, formats=("png",))


@pytest.mark.slow  # a field of 2 tiny runs and a comparison: ~40 s on 2 busy cores
def test_the_comparison_names_a_field_run_whose_folder_is_gone(tmp_path, capsys):
    """A field run's folder deleted, or cut short by a copy: the leaderboard names it as left out, but the comparison
    (``compare/<loss>.md``, printed) ranked the new loss against the field without it and said nothing — its loss
    on fewer seeds, unexplained (the report compare writes first notes the run as named, so the store no longer
    lists it by the time the comparison is written). Its task's notes name it."""
    import shutil

    from benchmark.cli import main

    out = tmp_path / "r"
    tiny = ["--tasks", "denoise", "--iterations", "2", "--crop", "32", "--batch-size", "2", "--metrics", "psnr",
            "--test-data", "skimage-natural:test", "--device", "cpu", "--no-progress", "--no-budget-check"]
    assert main(["run", "--out", str(out), "--losses", "l1", "l2", "--seeds", "0", "--no-report", *tiny]) == 0
    store = ResultsStore(out)
    gone = next(m["run_id"] for m in store.metas() if (m.get("config") or {}).get("loss") == "l2")
    shutil.rmtree(store.run_dir(gone))
    capsys.readouterr()
    main(["compare", "--out", str(out), "--losses", "charbonnier", "--device", "cpu", "--no-progress",
          "--no-visual", "--formats", "png"])
    printed = capsys.readouterr().out
    text = (out / "compare" / "charbonnier.md").read_text()
    for said in (printed, text):
        assert f"run {gone} (denoise/l2 seed 0)" in said and "is gone" in said


@pytest.mark.slow  # ~3 s in one process: the statistics and export stack the comparison imports
def test_the_comparison_says_that_runs_another_machine_trains_are_not_in_it(tmp_path):
    """Another node of a shared store still trains field runs: the leaderboard says they are not in its tables and
    what adds them; the comparison ranked the new loss against the partial field and said nothing. It says so too;
    the new loss's own runs are not named there (their task's notes say them)."""
    from benchmark.compare import _summary
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.1}, seeds=(0,), n_images=2, metrics=("psnr",),
                        budget_check=False)
    field = [m for m in store.metas() if m.get("kind") != "input"]
    for rid in ("0123456789abcdef", "fedcba9876543210"):  # a field run, a run of the new loss
        (store.run_dir(rid)).mkdir()
        (store.run_dir(rid) / ".lock").write_text("pid 4242 on some-other-node-xyz since 2026-12-06T15:00:00Z")
    text, _ = _summary(store, {"denoise": field}, ["l1"], {"denoise": []}, 0.05, 20, "l1", (), {"fedcba9876543210"},
                       keep=None)
    assert "1 run in this results directory was being trained by another process" in text
    assert "held from another machine" in text
    # what adds it to this comparison: compare writes compare/<loss>.md, never `plbench report` nor `plbench run`
    assert "when this comparison was written" in text and "the same `plbench compare` once it finishes" in text
    assert "plbench report" not in text and "writes this board" not in text


def test_compare_of_a_gpu_field_on_a_machine_without_one_says_to_compare_where_there_is_one(tmp_path, monkeypatch):
    """A field trained on a GPU cluster compared on a laptop: the line said '(--device)', and `--device cuda`, what
    the field needs, is then refused here ('CUDA is not available'). It says this machine has none."""
    import torch

    from benchmark.compare import compare
    from benchmark.errors import UserError
    from benchmark.results import atomic_write_json

    store = _field(tmp_path)
    for rid in store.run_ids():
        m = store.meta(rid)
        if isinstance(m.get("config"), dict):
            atomic_write_json(store.run_dir(rid) / "meta.json",
                              {**m, "config": {**m["config"], "device_type": "cuda", "precision": "bf16"}})
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(UserError, match=r"trained on cuda \(bf16\); this machine has no CUDA GPU: compare on one"):
        compare(store.root, losses=["l2"], device="auto", visual=False, formats=("png",))
