"""Probe of overnight and cluster runs under faults (session 14): each test failed on the code before its fix."""

from __future__ import annotations

import dataclasses
import time

import pytest
import torch

from benchmark.config import RunConfig, run_id
from benchmark.data import DataSpec
from benchmark.results import ResultsStore


def _photo_run(tmp_path, iterations: int = 2) -> RunConfig:
    """A resolved ℓ1 denoise run of ``iterations`` on one random 32² photo (train and test)."""
    import numpy as np
    from PIL import Image

    from benchmark.runner import resolve_all

    for role in ("train", "test"):
        (tmp_path / role).mkdir()
        Image.fromarray(np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(
            tmp_path / role / "0.png")
    spec = {role: (DataSpec.parse(str(tmp_path / role), role=role),) for role in ("train", "test")}
    cfg = RunConfig(task="denoise", loss="l1", seed=0, iterations=iterations, crop=16, batch_size=1,
                    train_data=spec["train"], test_data=spec["test"])
    return resolve_all([cfg])[0]


@pytest.mark.slow  # a run trained and scored first (4 s)
def test_a_hang_while_re_scoring_or_scoring_the_inputs_is_stopped_and_the_grid_goes_on(tmp_path, monkeypatch):
    """The stall watch (--stall-timeout) watched a run's training and evaluation only: a finished run scored again on
    a new metric, or the degraded inputs scored (the leaderboard's `input` row), went unwatched, so a stalled read
    there held the worker, and the night, for ever. Both are watched now: the hang is stopped, said, the run's rows
    and record are kept as they were, and the grid goes on."""
    from benchmark import runner

    cfg = _photo_run(tmp_path)
    store = ResultsStore(tmp_path / "r")
    first = runner.run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False, stall_s=0)
    assert first.trained == 1
    rid = run_id(cfg)
    before = store.meta(rid)

    def hangs(*args, **kwargs):  # a read of a stalled network file system, in both scorings
        time.sleep(4)
        raise AssertionError("the hang was not stopped")

    monkeypatch.setattr(runner, "evaluate", hangs)
    t0 = time.monotonic()
    summary = runner.run_grid([cfg], store, ("psnr", "ssim"), torch.device("cpu"), progress=False, stall_s=0.3)
    assert time.monotonic() - t0 < 3.5  # two stops of 0.3 s each, not two hangs of 4 s
    assert (summary.unscored, summary.rescored, summary.failed) == (1, 0, 0)
    assert store.meta(rid) == before  # the finished run's record is its record: not turned into a failure
    assert store.metrics_scored(rid) == {"psnr"}


def test_a_hung_grid_is_stopped_while_another_thread_of_the_process_makes_progress():
    """The heartbeat was one per process: two grids in threads of one process (two `api.run` calls of a notebook or a
    service) each counted the other's training steps as their own progress, so a run hung in one thread was never
    stopped while the other thread trained. Each thread's run is watched on its own progress now."""
    import threading

    from benchmark.progress import RunStalled, beat, stall_watch

    stop, outcome = threading.Event(), {}

    def busy() -> None:  # the other grid: a training step every 20 ms, watched too
        with stall_watch(5, "run busy"):
            while not stop.wait(0.02):
                beat()

    def hung() -> None:
        try:
            with stall_watch(0.3, "run hung"):
                for _ in range(150):  # a wait of 3 s that makes no progress (short Python steps: interruptible)
                    time.sleep(0.02)
            outcome["hung"] = "not stopped"
        except RunStalled as exc:
            outcome["hung"] = str(exc)

    other = threading.Thread(target=busy)
    other.start()
    try:
        t0 = time.monotonic()
        worker = threading.Thread(target=hung)
        worker.start()
        worker.join(10)
    finally:
        stop.set()
        other.join(10)
    assert outcome["hung"].startswith("run hung made no progress"), outcome
    assert time.monotonic() - t0 < 2


@pytest.mark.slow  # a worker process starts (torch imported: 2-3 s)
def test_a_worker_that_fails_while_it_starts_names_the_error_in_the_grids_last_line(tmp_path, monkeypatch):
    """A local worker that failed while Python started it — an import that fails there (the code updated during the
    night, a module the user's script imports beside it, gone) — was reported as 'worker w0 exited with code 1 without
    reporting': the cause only in a traceback scrolled hours up the log, or in no log at all. The grid's line names
    the error's last line now; the worker's stderr still reaches the driver's."""
    import importlib
    import shutil
    import sys

    from benchmark import executors

    (tmp_path / "gone_probe14").mkdir()
    (tmp_path / "gone_probe14" / "__init__.py").write_text("class Policy:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("gone_probe14")
    try:
        unit = executors.WorkUnit((), str(tmp_path / "r"), ("psnr",), "cpu", checkpoint=module.Policy(), tag="[w0]")
        shutil.rmtree(tmp_path / "gone_probe14")  # the worker imports it to read its unit: gone since
        results = executors._run_processes([unit], [{}])
    finally:
        sys.modules.pop("gone_probe14", None)
    assert results[0]["lost"] and results[0]["error"].startswith("worker w0 exited with code 1 without reporting")
    assert results[0]["error"].endswith(": ModuleNotFoundError: No module named 'gone_probe14'"), results


@pytest.mark.slow  # three runs trained (10 s)
def test_a_night_a_worker_ends_with_a_full_disk_still_ends_with_its_summary_and_failed_runs(tmp_path, monkeypatch,
                                                                                          caplog, capsys):
    """A night where one worker met a full disk (exit code 3) while the others trained on, some runs failing, ended
    in the disk's one line alone: no 'trained …, failed …' summary, no line naming the failed runs and why (a lost
    worker's night got them, 52cd0a4; this error did not). The summary and those lines come first now, then the
    disk's line, and the exit code is still 3."""
    import logging

    from test_probe_overnight12 import BOOM_AT_3, _photos

    from benchmark import executors
    from benchmark.cli import main
    from benchmark.registry import LOSSES

    real = executors.EXECUTE["local"]

    def a_disk_full_worker(configs, store_root, metrics, device_spec, **opts):  # the last run was that worker's
        summary = real(configs[:-1], store_root, metrics, device_spec, **opts)
        full = {"error": f"disk full while writing {store_root}/runs/x/ckpt.pt (No space left on device); free space "
                         "and run the same command again to resume", "user": True, "exit_code": 3, "worker": "w1"}
        return executors._collect(configs, store_root, metrics, [{"summary": dataclasses.asdict(summary)}, full],
                                  "workers")

    monkeypatch.setitem(executors.EXECUTE, "local", a_disk_full_worker)
    data = _photos(tmp_path)
    (tmp_path / "boom.py").write_text(BOOM_AT_3)
    args = ["run", "--tasks", "denoise", "--losses", "boom_at_3_probe12", "l1",
            "--loss-file", str(tmp_path / "boom.py"), "--seeds", "0", "1", "--iterations", "5", "--crop", "24",
            "--batch-size", "2", "--metrics", "psnr",
            "--train-data", str(data["train_data"][0]), "--test-data", str(data["test_data"][0]), "--device", "cpu",
            "--no-progress", "--no-budget-check", "--no-report", "--out", str(tmp_path / "r")]
    try:
        with caplog.at_level(logging.INFO, logger="benchmark"):
            assert main(args) == 3
    finally:
        LOSSES.remove("boom_at_3_probe12")
    tail = caplog.text[caplog.text.index("trained 1, skipped 0"):]
    assert "failed 2" in tail and "2 runs failed" in tail
    assert tail.count("RuntimeError: index 7 is out of bounds") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: disk full while writing") and err[-1].endswith("to resume")


@pytest.mark.slow  # two runs trained (6 s)
def test_a_one_process_night_that_ends_on_a_full_disk_still_sums_up_what_it_did(tmp_path, monkeypatch, caplog,
                                                                                 capsys):
    """The same in one process (``plbench run`` without --workers): the disk's line was the night's only end."""
    import logging

    from test_probe_overnight12 import _photos

    from benchmark import faults
    from benchmark.cli import main

    data = _photos(tmp_path)
    monkeypatch.setattr(faults, "_passed", {})
    monkeypatch.setenv(faults.DISK_FULL_ENV, "12")  # the 12th file written: in the second run, the first one done
    args = ["run", "--tasks", "denoise", "--losses", "l1", "l2", "--seeds", "0", "--iterations", "5", "--crop", "24",
            "--batch-size", "2", "--metrics", "psnr", "--train-data", str(data["train_data"][0]),
            "--test-data", str(data["test_data"][0]), "--device", "cpu", "--no-progress", "--no-budget-check",
            "--no-report", "--out", str(tmp_path / "r")]
    with caplog.at_level(logging.INFO, logger="benchmark"):
        assert main(args) == 3
    assert "trained 1, skipped 0 (already done), re-scored 0, diverged 0, failed 0, 1 unfinished" in caplog.text
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: disk full while writing") and err[-1].endswith("to resume")


@pytest.mark.slow  # four one-iteration runs trained (5 s)
def test_runs_recorded_hung_are_retried_last_with_each_tasks_test_inputs_made_once(tmp_path, monkeypatch):
    """Runs recorded hung (``stalled``) are retried after the grid's other runs, in a second loop beside the main one
    that grouped them by task with ``itertools.groupby`` on the order given: a worker's order is its own share, then
    the others' (``shard_order``), so one task's hung runs came in two places and its test inputs (every test image
    degraded again, seconds to minutes on the full profile's sets) were made once per place. The retry is now the
    main loop's last pass, grouped as it groups: once per task."""
    import dataclasses

    from benchmark import runner

    base = _photo_run(tmp_path, iterations=1)
    other = dataclasses.replace(base, task_params=(("sigma", 0.05),))
    configs = [base, runner.resolve_all([other])[0]]
    configs = [dataclasses.replace(c, seed=s) for s in (0, 1) for c in configs]  # task A, B, A, B: a worker's order
    store = ResultsStore(tmp_path / "r")
    for c in configs:  # each recorded hung by an earlier command
        rid = run_id(c)
        store.write_meta(rid, {"run_id": rid, "config": c.to_dict(), "status": "failed", "error": "RunStalled: hung",
                               "stalled": True, "started": time.time() - 3600})
    made = []
    real = runner.held_out_items
    monkeypatch.setattr(runner, "held_out_items", lambda task, sets: made.append(task.params) or real(task, sets))
    summary = runner.run_grid(configs, store, ("psnr",), torch.device("cpu"), progress=False, stall_s=0)
    assert summary.trained == 4
    assert len(made) == 4  # each task's inputs: once to score them, once for its runs retried last
    assert sorted(map(str, made[2:])) == sorted(map(str, made[:2]))


@pytest.mark.slow  # two workers, one hung in C code and started again (30 s)
def test_runs_a_worker_finished_before_it_was_ended_with_a_hung_run_are_in_the_summary(tmp_path):
    """A local worker ended with a run hung in C code (exit 75) is replaced by a new one, and the runs it had finished
    before were in no summary: the night's 'trained …' line counted them as already done by an earlier command
    ('skipped'). They are counted from the store now, as a lost worker's are."""
    import dataclasses

    from test_probe_overnight13 import _hanging_grid

    from benchmark import executors
    from benchmark.registry import LOSSES

    try:
        hang, l1 = _hanging_grid(tmp_path, "hangs_in_c_probe14", in_c=True)
        # w0's share: ℓ1 seed 0, then the run that hangs; w1's: ℓ1 seed 1
        configs = [l1, dataclasses.replace(l1, seed=1), hang]
        store = ResultsStore(tmp_path / "r")
        summary = executors.execute_local(configs, store.root, ("psnr",), "cpu", workers=2, stall_s=2,
                                          loss_files=(str(tmp_path / "loss.py"),))
        rids = [run_id(c) for c in configs]
    finally:
        LOSSES.remove("hangs_in_c_probe14")
    assert [store.meta(rid)["status"] for rid in rids] == ["ok", "ok", "failed"]
    assert (summary.trained, summary.failed, summary.skipped) == (2, 1, 0)
