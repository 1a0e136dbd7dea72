"""Probe of overnight and cluster runs under faults (session 12): each test failed on the code before its fix."""

from __future__ import annotations

import pytest
from test_probe_overnight11 import _one_photo_run

from benchmark.results import ResultsStore


def _photos(tmp_path, n: int = 2, size: int = 40) -> dict:
    """``train_data`` and ``test_data`` of a RunConfig: ``n`` random ``size``² photos each."""
    import numpy as np
    from PIL import Image

    from benchmark.data import DataSpec

    rng, out = np.random.default_rng(0), {}
    for role in ("train", "test"):
        (tmp_path / role).mkdir()
        for i in range(n):
            Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(tmp_path / role / f"{i}.png")
        out[f"{role}_data"] = (DataSpec.parse(str(tmp_path / role), role=role),)
    return out


NAN_GRAD_AT_3 = '''
import torch
from benchmark.registry import register_loss


@register_loss("nan_grad_at_3_probe12")
class NanGradAt3(torch.nn.Module):
    """(N, 3, H, W) in [0, 1] → mean absolute error; at its 3rd training call the value stays finite but its
    gradient is NaN (a masked sqrt's branch, torch.where's classic)."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, pred, target):
        self.calls += pred.requires_grad
        l1 = (pred - target).abs().mean()
        if self.calls == 3:
            return l1 + torch.where(pred > 5, torch.sqrt(pred - 5), 0 * pred).mean()
        return l1
'''


@pytest.mark.parametrize("device_path", [False, True], ids=["cpu-step", "device-step"])
def test_a_nan_gradient_is_reported_at_its_own_iteration(tmp_path, device_path):
    """A finite loss with a NaN gradient at iteration 3 left the net's weights NaN, which showed only in iteration
    4's loss: the run was recorded 'diverged at iteration 4', one step after what broke it (a user bisecting the
    loss's bug looks at the wrong batch). The gradient is checked with the loss: diverged at 3, 2 iterations
    done."""
    import torch

    from benchmark import runner
    from benchmark.registry import LOSSES
    from benchmark.task import build_task

    cfg = _one_photo_run(tmp_path, NAN_GRAD_AT_3, "nan_grad_at_3_probe12", iterations=8)
    try:
        cfg = runner.resolve_all([cfg])[0]
        images = runner.load_images(cfg.train_data[0])
        result = runner.train(cfg, build_task("denoise"), images, torch.device("cpu"), device_path=device_path,
                              check_every=4)
    finally:
        LOSSES.remove("nan_grad_at_3_probe12")
    assert (result.status, result.diverged_at, result.iterations_done) == ("diverged", 3, 2)


def test_a_rerun_starts_no_more_local_workers_than_runs_left(tmp_path, monkeypatch):
    """`plbench run --workers 4` again after a night where all but a few runs finished started 4 processes anyway:
    each imports torch, decodes the whole training set (its own copy, 1/4 of the decoded-pixel budget) and plans
    the grid, only for most of them to find nothing left (and the runs left got a quarter of the cores each). The
    driver now starts one worker per run left at most, sharded over those runs, and trains a last run in its own
    process."""
    from test_probe_faults import _finish

    from benchmark import executors, runner
    from benchmark.config import RunConfig, run_id
    from benchmark.results import ResultsStore

    configs = [RunConfig(task="denoise", loss=loss, seed=seed, train_fingerprint="x", test_fingerprint="y")
               for loss in ("l1", "l2") for seed in (0, 1)]
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    for c in configs[:2]:
        _finish(store, c)
    started, in_process, memory = [], [], []
    monkeypatch.setattr(executors, "_run_processes", lambda units, envs, monitor=None: started.append(units) or [
        {"summary": {}} for _ in units])
    monkeypatch.setattr(runner, "run_grid", lambda cfgs, *a, **k: in_process.append(cfgs) or runner.GridSummary())
    monkeypatch.setattr(executors, "check_local_memory", lambda cfgs, dev, data, workers, *a: memory.append(
        (set(cfgs), workers)))
    executors.execute_local(configs, store.root, ("psnr",), "cpu", workers=4)
    assert not in_process and len(started) == 1
    units = started[0]
    assert len(units) == 2 and {c for u in units for c in u.configs} == set(configs[2:])
    assert all(u.grid == tuple(configs) and u.grid_workers == 2 for u in units)  # progress counts the whole grid
    assert memory == [(set(configs[2:]), 2)]
    _finish(store, configs[2])
    started.clear()
    executors.execute_local(configs, store.root, ("psnr",), "cpu", workers=4)
    assert not started and len(in_process) == 1 and run_id(configs[3]) in map(run_id, in_process[0])


@pytest.mark.slow  # three tiny runs trained and scored: 1.5-2.5 s on 2 loaded cores
def test_a_run_resumed_on_another_thread_count_finishes_as_it_started(tmp_path, monkeypatch):
    """A grid killed under `--workers 2` on 2 cores (1 thread a run) and resumed by `plbench run` (2 threads) finished
    its interrupted run on 2 threads: CPU numbers depend on the count (float reductions are split per thread), so
    the run was neither what the night would have given nor what a 2-thread run gives, with a warning only (and
    a rerun with fewer runs left than workers now has fewer workers, more threads each). The run now goes on, and
    is evaluated, on the count its checkpoint was trained on: the same rows, net and record as the uninterrupted
    run."""
    import torch
    from test_probe_faults import _Killed

    from benchmark import runner
    from benchmark.checkpoint import CheckpointPolicy
    from benchmark.config import RunConfig, run_id

    cfg = runner.resolve_all([RunConfig(task="denoise", loss="l1", iterations=6, crop=24, batch_size=2,
                                        **_photos(tmp_path))])[0]
    rid, policy = run_id(cfg), CheckpointPolicy(every=1, seconds=0)
    passed = []

    def killed_at_4(kind):
        passed.append(kind)
        if passed.count("iteration") == 4:
            raise _Killed

    def grid(root, threads):
        torch.set_num_threads(threads)
        store = ResultsStore(root)
        runner.run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False, checkpoint=policy)
        return store

    before = torch.get_num_threads()
    try:
        whole = grid(tmp_path / "whole", 1)
        monkeypatch.setattr(runner, "crash_point", killed_at_4)
        with pytest.raises(_Killed):
            grid(tmp_path / "killed", 1)
        monkeypatch.setattr(runner, "crash_point", lambda kind: None)
        resumed = grid(tmp_path / "killed", 2)
        assert torch.get_num_threads() == 2  # the process's own count back after the run
    finally:
        torch.set_num_threads(before)
    meta = resumed.meta(rid)
    assert (meta["resumed_at"], meta["threads"], meta["threads_before_resume"]) == (3, 1, [1])
    rows = [t[t.run_id == rid].sort_values(["image", "metric"])["value"].tolist()
            for t in (resumed.table(), whole.table())]
    assert len(rows[0]) == 2 and rows[0] == rows[1]
    assert (resumed.run_dir(rid) / "net.pt").read_bytes() == (whole.run_dir(rid) / "net.pt").read_bytes()


BOOM_AT_3 = '''
import torch
from benchmark.registry import register_loss


@register_loss("boom_at_3_probe12")
class BoomAt3(torch.nn.Module):
    """(N, 3, H, W) in [0, 1] → mean absolute error; raises at its 3rd training call (a bug hit late)."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, pred, target):
        self.calls += pred.requires_grad
        if self.calls == 3:
            raise RuntimeError("index 7 is out of bounds")
        return (pred - target).abs().mean()
'''


def test_the_grids_last_lines_name_each_failed_run_why_and_how_to_rerun(tmp_path, caplog):
    """After a night of thousands of log lines (several workers' interleaved), the grid ended with 'trained 0, …,
    failed 2' and exit 1: which runs failed, why, and what to do took a search through the log or every meta.json.
    The summary now names each failed run (task/loss seed, run id, where and the error), and says that the same
    command retries only those."""
    import logging

    from benchmark.cli import main
    from benchmark.registry import LOSSES

    data = _photos(tmp_path)
    (tmp_path / "boom.py").write_text(BOOM_AT_3)
    args = ["run", "--tasks", "denoise", "--losses", "boom_at_3_probe12", "--loss-file", str(tmp_path / "boom.py"),
            "--seeds", "0", "1", "--iterations", "5", "--crop", "24", "--batch-size", "2", "--metrics", "psnr",
            "--train-data", str(data["train_data"][0]), "--test-data", str(data["test_data"][0]), "--device", "cpu",
            "--no-progress", "--no-budget-check", "--no-report", "--out", str(tmp_path / "r")]
    try:
        with caplog.at_level(logging.INFO, logger="benchmark"):
            assert main(args) == 1
    finally:
        LOSSES.remove("boom_at_3_probe12")
    text = caplog.text
    tail = text[text.index("trained 0, skipped 0"):]
    for seed in (0, 1):
        assert (f"denoise/boom_at_3_probe12 seed {seed} (run " in tail
                and "failed at training iteration 3 of 5: RuntimeError: index 7 is out of bounds" in tail), tail
    assert "2 runs failed" in tail and "run the same command: it retries them" in tail, tail


def test_a_failed_runs_record_keeps_its_traceback(tmp_path):
    """A run that failed overnight left its one-line error ('RuntimeError: index 7 is out of bounds') and no
    traceback anywhere: the runner logged it at DEBUG, which no command shows (`--debug` neither), and meta.json
    kept the message alone — where in the loss the bug is took training the run again to find. meta.json now keeps
    the traceback (``traceback``), innermost frame last."""
    import torch

    from benchmark.config import RunConfig
    from benchmark.registry import LOSSES, load_user_file
    from benchmark.runner import run_grid

    (tmp_path / "boom.py").write_text(BOOM_AT_3)
    load_user_file(tmp_path / "boom.py", LOSSES)
    try:
        cfg = RunConfig(task="denoise", loss="boom_at_3_probe12", iterations=5, crop=24, batch_size=2,
                        **_photos(tmp_path))
        store = ResultsStore(tmp_path / "r")
        assert run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False).failed == 1
        meta = next(m for m in store.metas() if m.get("status") == "failed")
    finally:
        LOSSES.remove("boom_at_3_probe12")
    tb = meta["traceback"]
    assert tb.startswith("Traceback (most recent call last):") and tb.rstrip().endswith(
        "RuntimeError: index 7 is out of bounds"), tb
    assert 'boom.py", line 17, in forward' in tb and 'raise RuntimeError("index 7 is out of bounds")' in tb, tb


def test_a_clock_stepped_back_mid_grid_does_not_make_local_workers_retry_its_failures(tmp_path, monkeypatch):
    """Local workers told this grid's runs from an earlier command's by time alone (a run ``started`` at or after the
    driver's start). The clock stepped back during the night (NTP correcting a drifting clock, a VM resumed) and
    every run after that looked older than the grid: a run that failed in one worker was trained again, to the same
    failure, by the next worker that came to it (and a lost worker's runs were counted as done before). Local grids
    now carry an id, as remote ones do, written into each run's record and compared instead of times."""
    import time as real_time

    from benchmark import executors
    from benchmark.config import RunConfig, run_id
    from benchmark.registry import LOSSES, load_user_file

    class Ahead:  # the driver read its clock an hour before the clock was stepped back
        @staticmethod
        def time():
            return real_time.time() + 3600

    (tmp_path / "boom.py").write_text(BOOM_AT_3)
    load_user_file(tmp_path / "boom.py", LOSSES)
    data = _photos(tmp_path)
    monkeypatch.setattr(executors, "time", Ahead)
    monkeypatch.setattr(executors, "check_local_memory", lambda *a, **k: None)
    monkeypatch.setattr(executors, "_run_processes", lambda units, envs, monitor=None: [  # one after the other
        executors._worker_main(u) for u in units])
    try:
        from benchmark.runner import resolve_all

        configs = resolve_all([RunConfig(task="denoise", loss="boom_at_3_probe12", seed=s, iterations=5, crop=24,
                                         batch_size=2, **data) for s in (0, 1)])
        rids = [run_id(c) for c in configs]
        store = ResultsStore(tmp_path / "r")
        summary = executors.execute_local(configs, store.root, ("psnr",), "cpu", workers=2)
    finally:
        LOSSES.remove("boom_at_3_probe12")
    assert summary.failed == 2
    for rid in rids:  # each failed once: no earlier attempt set aside by a second try
        assert store.meta(rid)["status"] == "failed"
        assert not (store.run_dir(rid) / "attempts").exists(), rid


class _Pipe:
    """A worker's end of its driver's pipe, for a worker started in the test (nothing is read from it)."""

    def send(self, obj) -> None:
        pass

    def close(self) -> None:
        pass


def test_local_workers_stop_when_their_driver_dies(tmp_path, monkeypatch):
    """The driver of `plbench run --workers 4` killed outright — kill -9, the out-of-memory killer, or the hangup of
    the ssh session it ran in (its default action ends the driver) — left its workers, each in its own process
    group, training on with no one to collect them: their summary and failures reported nowhere, a Ctrl-C of the
    next command unable to stop them, and that command's runs 'left to another process'. A worker now gets the
    stop a Ctrl-C sends when its driver is gone, checkpoints and stops; the same command resumes."""
    import contextlib
    import os
    import select
    import signal
    import time

    from benchmark import executors

    stopped, ready = tmp_path / "stopped", os.pipe()

    def waits(unit):  # a worker in a run: stopped, it checkpoints (KeyboardInterrupt, as from its driver's Ctrl-C)
        try:
            os.write(ready[1], b"1")
            time.sleep(20)
            return {"summary": {}}
        except KeyboardInterrupt:
            stopped.write_text("stopped")
            return {"interrupted": True}

    monkeypatch.setattr(executors, "_worker_main", waits)
    monkeypatch.setattr(executors, "DRIVER_POLL_S", 0.05)
    pids = os.pipe()
    driver = os.fork()
    if driver == 0:  # the driver: starts its worker, then dies without a word once the worker runs
        try:
            worker = os.fork()
            if worker == 0:
                try:
                    executors._process_entry(executors.WorkUnit((), str(tmp_path), (), "cpu"), _Pipe(), os.getppid())
                finally:
                    os._exit(0)
            os.write(pids[1], str(worker).encode())
            select.select([ready[0]], [], [], 10)  # the worker is in its run (or failed to start: 10 s)
        finally:
            os._exit(0)
    os.waitpid(driver, 0)
    worker = int(os.read(pids[0], 32))
    try:
        for _ in range(100):
            if stopped.exists():
                break
            time.sleep(0.05)
        assert stopped.exists(), "the worker trained on after its driver died"
    finally:
        with contextlib.suppress(ProcessLookupError):  # stopped, it is gone (if not: a test's process left behind)
            os.kill(worker, signal.SIGKILL)


OOM_ABOVE_2 = '''
import torch
from benchmark.registry import register_loss


@register_loss("oom_above_2_probe12")
class OomAbove2(torch.nn.Module):
    """(N, 3, H, W) in [0, 1] → mean absolute error; out of (simulated) GPU memory at a batch above 2 from its 2nd
    training call (the planning's check of one call passes)."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, pred, target):
        self.calls += pred.requires_grad
        if self.calls >= 2 and pred.shape[0] > 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return (pred - target).abs().mean()
'''


def test_the_grids_last_lines_name_runs_trained_at_half_the_batch(tmp_path, caplog):
    """A run that ran out of memory overnight and trained at half the batch is recorded as a setting of its own, so
    the leaderboard `run` writes for the grid's setting leaves it out — while the summary said 'trained 1, failed 0',
    and nothing else. The summary now names such runs, the batch they trained at, and how to see them."""
    import logging

    from benchmark.cli import main
    from benchmark.registry import LOSSES

    data = _photos(tmp_path)
    (tmp_path / "oom.py").write_text(OOM_ABOVE_2)
    args = ["run", "--tasks", "denoise", "--losses", "oom_above_2_probe12", "--loss-file", str(tmp_path / "oom.py"),
            "--seeds", "0", "--iterations", "3", "--crop", "24", "--batch-size", "4", "--metrics", "psnr",
            "--train-data", str(data["train_data"][0]), "--test-data", str(data["test_data"][0]), "--device", "cpu",
            "--no-progress", "--no-budget-check", "--no-report", "--out", str(tmp_path / "r")]
    try:
        with caplog.at_level(logging.INFO, logger="benchmark"):
            assert main(args) == 0
    finally:
        LOSSES.remove("oom_above_2_probe12")
    tail = caplog.text[caplog.text.index("trained 1, skipped 0"):]
    assert "denoise/oom_above_2_probe12 seed 0 (run " in tail and "trained at batch size 2" in tail, tail
    assert "--where batch_size=2" in tail, tail
