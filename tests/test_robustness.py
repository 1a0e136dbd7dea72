"""Failure handling inside one process: NaN and out-of-memory runs, checkpoints that resume to
identical numbers, per-run locks, deferred interrupts and crash leftovers.

The kill-and-resume tests across processes are in ``test_fault_injection.py``; bad command lines
and files in ``test_bad_inputs.py``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from benchmark.checkpoint import Checkpointer, CheckpointPolicy
from benchmark.config import RunConfig, run_id
from benchmark.data import DataSpec, load_images
from benchmark.registry import LOSSES
from benchmark.results import DeferredInterrupt, ResultsStore, atomic_write_bytes, to_frame
from benchmark.runner import run_grid, train
from benchmark.task import build_task

CPU = torch.device("cpu")


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> DataSpec:
    from PIL import Image

    d = tmp_path_factory.mktemp("tiny")
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)).save(d / f"im{i}.png")
    return DataSpec(str(d))


def _cfg(data: DataSpec, loss: str = "l1", **kw) -> RunConfig:
    """A resolved config (data fingerprinted), as the CLI makes them: its run_id is the one run_grid uses."""
    from benchmark.runner import resolve_all

    base = dict(task="denoise", loss=loss, iterations=6, batch_size=2, crop=32, train_data=data, test_data=(data,))
    return resolve_all([RunConfig(**{**base, **kw})])[0]


# --------------------------------------------------------------------------------------------
# NaN and out-of-memory
# --------------------------------------------------------------------------------------------
@pytest.fixture
def faulty_losses():
    class NaNAfter(torch.nn.Module):
        """L1 until its third call, then NaN."""

        def __init__(self):
            super().__init__()
            self.calls = 0

        def forward(self, pred, target):
            self.calls += 1
            loss = (pred - target).abs().mean()
            return loss * float("nan") if self.calls >= 3 else loss

    class OOMAbove(torch.nn.Module):
        """L1, but 'CUDA out of memory' (on any device) for batches larger than ``limit``."""

        limit = 0

        def forward(self, pred, target):
            if pred.shape[0] > self.limit:
                raise torch.cuda.OutOfMemoryError(f"CUDA out of memory. Tried to allocate {pred.shape[0]} GiB")
            return (pred - target).abs().mean()

    class OOMAboveTwo(OOMAbove):
        limit = 2

    names = {"test_nan_at_3": NaNAfter, "test_oom_always": OOMAbove, "test_oom_above_2": OOMAboveTwo}
    for name, cls in names.items():
        LOSSES.add(name, cls)
    yield names
    for name in names:
        LOSSES.remove(name)


def test_nan_and_oom_are_recorded_and_the_grid_goes_on(tmp_path, tiny_data, faulty_losses):
    store = ResultsStore(tmp_path / "r")
    configs = [_cfg(tiny_data, loss, batch_size=4)
               for loss in ("test_oom_always", "test_nan_at_3", "test_oom_above_2", "l1")]
    summary = run_grid(configs, store, ("psnr",), CPU, progress=False)
    assert (summary.failed, summary.diverged, summary.trained) == (1, 1, 2)
    meta = {c.loss: store.meta(run_id(c)) for c in configs}

    oom = meta["test_oom_always"]
    assert oom["status"] == "failed"
    assert "OutOfMemoryError" in oom["error"] and "batch size 4 and again at 2" in oom["error"]
    nan = meta["test_nan_at_3"]
    assert nan["status"] == "diverged" and nan["diverged_at"] == 3 and nan["iterations_done"] == 2
    retried = meta["test_oom_above_2"]
    assert retried["status"] == "ok" and retried["batch_size_used"] == 2 and "out of memory" in retried["note"]
    assert meta["l1"]["status"] == "ok" and "batch_size_used" not in meta["l1"]

    table = store.table()
    assert set(table["loss"]) == {"input", "test_oom_above_2", "l1"}  # no rows for failed/diverged runs
    # the run retried at half batch is another setting: never pooled with the configured batch size
    assert retried["setting"]["batch_size"] == 2 and meta["l1"]["setting"]["batch_size"] == 4
    keys = table.groupby("loss")["setting"].first()
    assert '"batch_size": 2' in keys["test_oom_above_2"] and '"batch_size": 4' in keys["l1"]
    assert not list(store.runs.rglob("ckpt*.pt"))
    # a failed run is retried by the next invocation; finished and diverged ones are not
    again = run_grid(configs, store, ("psnr",), CPU, progress=False)
    assert (again.skipped, again.failed) == (3, 1)


# --------------------------------------------------------------------------------------------
# checkpoints
# --------------------------------------------------------------------------------------------
class _Crash(Exception):
    pass


def _interrupted_then_resumed(cfg, images, tmp_path, monkeypatch, crash_after: int, every: int,
                              device_path: bool = False):
    """Train with a simulated crash after ``crash_after`` iterations, then again from the checkpoint."""
    import benchmark.runner as runner

    ckpt = Checkpointer(tmp_path / "ckpt.pt", CheckpointPolicy(every=every, seconds=0), {"config": cfg.to_dict()})
    passed = []

    def crash(kind):
        passed.append(kind)
        if kind == "iteration" and len(passed) == crash_after:
            raise _Crash

    monkeypatch.setattr(runner, "crash_point", crash)
    with pytest.raises(_Crash):
        train(cfg, build_task(cfg.task), images, CPU, checkpoint=ckpt, device_path=device_path)
    torch.manual_seed(12345)  # the resumed run must not depend on the RNG state it starts with
    np.random.seed(99)
    resumed = train(cfg, build_task(cfg.task), images, CPU,
                    checkpoint=Checkpointer(ckpt.path, ckpt.policy, ckpt.fingerprint), device_path=device_path)
    monkeypatch.setattr(runner, "crash_point", lambda kind: None)
    return resumed


@pytest.mark.parametrize("device_path", [False, True], ids=["cpu-path", "device-path"])
@pytest.mark.parametrize("loss,iterations,crash_after,every", [
    ("l1", 9, 7, 3),                     # resumes from iteration 6
    ("contrastive_select", 4, 3, 2),     # a loss with its own trainable gate and lazily built Adam
    ("jpeg:l1", 7, 5, 2),                # a host-side degradation: batches made one step ahead (HostPrefetch)
])
def test_resume_from_checkpoint_is_identical(loss, iterations, crash_after, every, device_path, tiny_data, tmp_path,
                                             monkeypatch):
    """Also on the GPU step's path (device sampler, device generator saved and restored, device-side
    checks), run on the CPU: a resumed run equals an uninterrupted one bit for bit."""
    task, _, loss = loss.rpartition(":")
    cfg = _cfg(tiny_data, loss, iterations=iterations)
    if task:
        cfg = dataclasses.replace(cfg, task=task)
    images = load_images(tiny_data)
    straight = train(cfg, build_task(cfg.task), images, CPU, device_path=device_path)
    resumed = _interrupted_then_resumed(cfg, images, tmp_path, monkeypatch, crash_after, every, device_path)
    assert resumed.resumed_at == (crash_after // every) * every
    for (k, a), b in zip(straight.net.state_dict().items(), resumed.net.state_dict().values()):
        assert torch.equal(a, b), k
    for (k, a), b in zip(straight.loss_fn.state_dict().items(), resumed.loss_fn.state_dict().values()):
        assert torch.equal(a, b), k
    assert resumed.curve == straight.curve and resumed.final_loss == straight.final_loss
    assert resumed.iterations_done == straight.iterations_done == iterations


def test_checkpoint_for_another_config_is_ignored(tiny_data, tmp_path):
    cfg = _cfg(tiny_data, iterations=4)
    images = load_images(tiny_data)
    path = tmp_path / "ckpt.pt"
    train(cfg, build_task("denoise"), images, CPU,
          checkpoint=Checkpointer(path, CheckpointPolicy(every=2, seconds=0), {"config": "other"}))
    assert path.exists()  # the final checkpoint, kept until the run's results are saved
    r = train(cfg, build_task("denoise"), images, CPU,
              checkpoint=Checkpointer(path, CheckpointPolicy(every=2, seconds=0), {"config": cfg.to_dict()}))
    assert r.resumed_at is None and r.iterations_done == 4
    path.write_bytes(b"not a checkpoint")  # a torn file (cannot happen with atomic writes) costs only time
    r = train(cfg, build_task("denoise"), images, CPU,
              checkpoint=Checkpointer(path, CheckpointPolicy(every=2, seconds=0), {"config": cfg.to_dict()}))
    assert r.resumed_at is None


# --------------------------------------------------------------------------------------------
# locks
# --------------------------------------------------------------------------------------------
def test_grid_skips_a_run_locked_by_a_live_process(tmp_path, tiny_data):
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    configs = [_cfg(tiny_data, "l1", iterations=2), _cfg(tiny_data, "l2", iterations=2)]
    held = store.lock(run_id(configs[0]))  # another holder (a separate open file description)
    try:
        summary = run_grid(configs, store, ("psnr",), CPU, progress=False)
        assert (summary.trained, summary.locked) == (1, 1)
        assert not store.is_done(run_id(configs[0])) and store.is_done(run_id(configs[1]))
        assert isinstance(store.lock(run_id(configs[0])), str)
    finally:
        held.release()
    summary = run_grid(configs, store, ("psnr",), CPU, progress=False)
    assert (summary.trained, summary.skipped, summary.locked) == (1, 1, 0)
    assert len(store.table().query("loss != 'input'")) == 2 * 3
    # a kill right after a run's meta.json, before its checkpoint is deleted: the next grid tidies up
    (store.run_dir(run_id(configs[0])) / "ckpt.pt").write_bytes(b"stale")
    assert run_grid(configs, store, ("psnr",), CPU, progress=False).skipped == 2
    assert not list(store.runs.rglob("ckpt*.pt"))


def test_lock_of_a_killed_process_is_free(tmp_path):
    store = ResultsStore(tmp_path / "r")
    code = textwrap.dedent(f"""
        import sys, time
        from benchmark.results import ResultsStore
        lock = ResultsStore({str(store.root)!r}).lock("run1")
        print("locked", flush=True)
        time.sleep(60)
    """)
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "locked"
        holder = store.lock("run1")
        assert isinstance(holder, str) and f"pid {child.pid}" in holder
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert (store.run_dir("run1") / ".lock").exists()  # left behind by SIGKILL: stale, not held
    lock = store.lock("run1")
    assert not isinstance(lock, str)
    lock.release()
    assert not (store.run_dir("run1") / ".lock").exists()


# --------------------------------------------------------------------------------------------
# writes, interrupts, leftovers
# --------------------------------------------------------------------------------------------
@pytest.fixture
def sigint_as_in_a_terminal():
    """Python's own SIGINT handler, whatever the launcher did (a background job inherits SIGINT
    ignored, and DeferredInterrupt rightly leaves an ignored signal ignored)."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def test_interrupt_during_a_write_completes_the_write(tmp_path, monkeypatch, sigint_as_in_a_terminal):
    import benchmark.results as results

    def interrupt_me(kind):
        if kind == "write":  # the data is in the temporary file, not yet renamed
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(results, "crash_point", interrupt_me)
    target = tmp_path / "meta.json"
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(target, b'{"status": "ok"}')
    assert json.loads(target.read_text()) == {"status": "ok"}
    assert [p.name for p in tmp_path.iterdir()] == ["meta.json"]  # no temporary file left
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_deferred_interrupt_second_signal_stops_at_once(sigint_as_in_a_terminal):
    with pytest.raises(KeyboardInterrupt), DeferredInterrupt() as d:
        os.kill(os.getpid(), signal.SIGINT)
        assert d.requested
        os.kill(os.getpid(), signal.SIGINT)
        raise AssertionError("not reached")


def test_stale_passes_of_an_unfinished_run_are_set_aside(tmp_path):
    """A crash between an evaluation pass and meta.json must not duplicate rows on the retry: the
    pass is moved to damaged/ (never deleted), the torn temporary file removed."""
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    row = {c: None for c in to_frame([]).columns} | {"run_id": "r1", "metric": "psnr", "value": 1.0,
                                                      "higher_is_better": True}
    store.write_eval("r1", [row], ["psnr"], {})
    (store.run_dir("r1") / ".meta.json.abc.tmp").write_text("{")  # a torn temporary file
    store.reset_run("r1")
    assert sorted(p.name for p in store.run_dir("r1").iterdir()) == ["damaged"]
    assert sorted(p.name for p in (store.run_dir("r1") / "damaged" / "0").iterdir()) == ["eval-0.json",
                                                                                       "eval-0.parquet"]
    store.write_eval("r1", [row], ["psnr"], {})
    store.write_meta("r1", {"run_id": "r1", "status": "ok", "config": {"task": "denoise", "loss": "l1", "seed": 0}})
    store.reset_run("r1")  # a finished run is never touched
    assert len(store.table()) == 1


def test_incompatible_or_unwritable_store_is_refused(tmp_path, monkeypatch):
    from benchmark.errors import UserError

    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "store.json").write_text('{"store_version": 0}')
    with pytest.raises(UserError, match="incompatible version"):
        ResultsStore(tmp_path / "old").ensure_writable()
    assert not (tmp_path / "old" / "runs").exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="not a directory"):
        ResultsStore(tmp_path / "file").ensure_writable()


@pytest.mark.parametrize("message,retried", [
    ("cuDNN error: CUDNN_STATUS_ALLOC_FAILED", True),
    ("CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling `cublasCreate(handle)`", True),
    ("CUDA error: out of memory\nCUDA kernel errors might be asynchronously reported", True),
    ("mat1 and mat2 shapes cannot be multiplied", False),
])
def test_library_out_of_memory_errors_are_retried_at_half_batch(tmp_path, tiny_data, message, retried):
    """cuDNN, cuBLAS and the CUDA runtime report running out of memory as a RuntimeError, not
    ``torch.cuda.OutOfMemoryError``: those are retried at half the batch like it; other errors are not."""
    class LibOOM(torch.nn.Module):
        def forward(self, pred, target):
            if pred.shape[0] > 2:
                raise RuntimeError(message)
            return (pred - target).abs().mean()

    LOSSES.add("test_lib_oom", LibOOM)
    try:
        store = ResultsStore(tmp_path / "r")
        cfg = _cfg(tiny_data, "test_lib_oom", batch_size=4)
        run_grid([cfg], store, ("psnr",), CPU, progress=False)
        meta = store.meta(run_id(cfg))
        if retried:
            assert meta["status"] == "ok" and meta["batch_size_used"] == 2
        else:
            assert meta["status"] == "failed" and "shapes cannot be multiplied" in meta["error"]
            assert "batch_size_used" not in meta
    finally:
        LOSSES.remove("test_lib_oom")
