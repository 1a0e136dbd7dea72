"""Probe of the overnight/cluster run (session 11): the grid's ETA near its end, the memory check of local
CPU workers."""

from __future__ import annotations

import pytest

from benchmark.config import RunConfig, run_id
from benchmark.progress import GridProgress
from benchmark.results import ResultsStore


def _cfg(loss, seed):
    return RunConfig(task="denoise", loss=loss, seed=seed, train_fingerprint="x", test_fingerprint="y")


def test_eta_never_less_than_the_longest_run_left(tmp_path):
    """The ETA divided the time left by the workers, also when fewer runs than workers were left: one pdl run of
    200 s left on 4 workers read 50 s (a run is not split over workers). It is at least the longest run left —
    its family's mean, or what a run in flight still has of it — and the sum over the workers otherwise."""
    import os
    import time

    from benchmark.results import RunLock

    store = ResultsStore(tmp_path)
    store.ensure_writable()
    done = [_cfg("l1", 0), _cfg("pdl", 0)]
    for c, wall in zip(done, (10.0, 200.0)):
        store.write_meta(run_id(c), {"run_id": run_id(c), "status": "ok", "config": c.to_dict(), "wall_s": wall})
    left = [_cfg("pdl", 1)]
    mean = {"l1": 10.0, "pdl": 200.0}
    p = GridProgress(store, done + left, workers=4)
    assert p.eta()[0] == pytest.approx(mean["pdl"])
    lock = RunLock.acquire(store.run_dir(run_id(left[0])) / ".lock")  # in flight for 50 s
    try:
        then = time.time() - 50
        os.utime(lock.path, (then, then))
        assert p.eta()[0] == pytest.approx(mean["pdl"] - 50, abs=2)
    finally:
        lock.release()
    many = [_cfg("l1", s) for s in range(1, 13)]  # 12 l1 runs left on 4 workers: the sum over the workers
    p2 = GridProgress(store, done + many, workers=4)
    assert p2.eta()[0] == pytest.approx(12 * mean["l1"] / 4)


def test_local_cpu_workers_share_the_machines_memory(tmp_path, monkeypatch):
    """``--workers N`` on the CPU: every worker checked its runs against all of the machine's free RAM, though the N
    run at once (each fits alone, N of them do not: the out-of-memory killer, a lost worker, hours into the night).
    The driver now checks the grid with 1/N of the free memory for each worker before starting any, as the dry run
    does, and refuses in one line naming --workers."""
    import torch

    import benchmark.executors as ex
    import benchmark.resources as R
    from benchmark.errors import UserError

    cfgs, data, need = _tiny_grid(tmp_path)
    c = cfgs[0]
    monkeypatch.setattr(R, "available_bytes", lambda device: (1.5 * need, "available RAM (test)"))
    big = max(r.size[0] * r.size[1] for r in data.pooled(c.test_data))
    every = sum(r.size[0] * r.size[1] for r in data.pooled(c.test_data))
    R.check_fits(cfgs, torch.device("cpu"), {c.test_data: big}, test_pixels={c.test_data: every})  # one fits
    monkeypatch.setattr(ex, "_run_processes", lambda *a, **k: pytest.fail("workers started for a grid that cannot fit"))
    with pytest.raises(UserError, match=r"shared by 2 .*--workers") as err:
        ex.execute_local(cfgs, tmp_path / "r", ("psnr",), "cpu", workers=2, data=data)
    assert "\n" not in str(err.value)
    assert not any((tmp_path / "r").glob("runs/*"))  # nothing started


def _tiny_grid(tmp_path, seeds=(0, 1)):
    """Resolved denoise/l1 configs on two 48² photos for training and two for testing (decoded in milliseconds), the
    DataCache that holds them, and the bytes one run needs at most (training or evaluating, with the test set's
    float copies): 1.5 × that is free for one run, not for two."""
    import numpy as np
    from PIL import Image

    import benchmark.resources as R
    from benchmark.data import DataSpec
    from benchmark.runner import DataCache, resolve_all

    for role in ("train", "test"):
        (tmp_path / role).mkdir()
        for k in range(2):
            Image.fromarray(np.random.default_rng(k).integers(0, 256, (48, 48, 3), dtype=np.uint8)).save(
                tmp_path / role / f"{k}.png")
    spec = {role: (DataSpec.parse(str(tmp_path / role), role=role),) for role in ("train", "test")}
    data = DataCache()
    cfgs = resolve_all([RunConfig(task="denoise", loss="l1", seed=s, crop=32, batch_size=2, train_data=spec["train"],
                                  test_data=spec["test"]) for s in seeds], data)
    c = cfgs[0]
    big = max(r.size[0] * r.size[1] for r in data.pooled(c.test_data))
    held = 2 * 3 * 4 * sum(r.size[0] * r.size[1] for r in data.pooled(c.test_data))
    est = R.estimate(c.net, c.loss, c.batch_size, c.crop, c.backbone_weights, big)
    return cfgs, data, max(est.train_bytes, est.eval_bytes) + held


def test_a_local_ray_instance_on_the_cpu_checks_its_tasks_memory_together(tmp_path, monkeypatch):
    """``--executor ray`` without --ray-address starts a Ray instance on this machine, whose CPU tasks, like local
    workers, hold their runs in its RAM at once; each task checked against all of it. The driver now checks the
    grid for the tasks that run at once before submitting any (a Ray stand-in: 2 CPUs, two tasks)."""
    from test_probe_ray7 import FakeRay

    import benchmark.executors as ex
    import benchmark.resources as R
    from benchmark.errors import UserError

    cfgs, data, need = _tiny_grid(tmp_path)
    ray = FakeRay()
    ray.remote = lambda **opts: pytest.fail("tasks submitted for a grid that cannot fit")
    monkeypatch.setattr(ex, "_require", lambda module, extra: ray)
    monkeypatch.setattr(R, "available_bytes", lambda device: (1.5 * need, "available RAM (test)"))
    with pytest.raises(UserError, match=r"shared by 2 .*--workers"):
        ex.execute_ray(cfgs, tmp_path / "r", ("psnr",), "cpu", workers=2, threads=1, data=data)


def test_a_dry_run_does_not_promise_more_cpu_workers_than_cores(tmp_path, monkeypatch, capsys):
    """``--workers 8 --dry-run --device cpu`` on 2 cores printed '≈ 0.25 h on 8 workers' for a 2 h grid: eight
    processes on two cores run two at a time at best (each worker gets one thread: ``cores // workers``, at least 1).
    The parallel figure now divides by the runs that can run at once, min(workers, cores), and says so."""
    import benchmark.executors as ex
    import benchmark.perf as perf
    import benchmark.resources as resources
    from benchmark.cli import main

    monkeypatch.setattr(ex, "_cores", lambda: 2)
    monkeypatch.setattr(resources, "available_bytes", lambda device: (float("inf"), "test"))

    def estimate(configs, metrics, device, *, processes=1, process_per_run=False, metric_set=None, **_):
        return {"seconds": 7200.0, "runs": len(configs), "train_s": 7000.0, "eval_s": 200.0, "by_task": {},
                "by_family": {}, "ms_per_step": {}, "probes": [], "measured": 0, "reused": 0, "cache": "x",
                "device": device}

    monkeypatch.setattr(perf, "estimate_grid", estimate)
    seeds = [str(s) for s in range(8)]
    assert main(["run", "--tasks", "denoise", "--losses", "l1", "--seeds", *seeds, "--iterations", "2",
                 "--no-budget-check", "--device", "cpu", "--workers", "8", "--metrics", "psnr", "--dry-run",
                 "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "≈ 1.00 h on 8 workers" in out and "2 cores" in out, out


def test_a_dry_run_of_a_short_grid_says_its_seconds(tmp_path, monkeypatch, capsys):
    """A tiny grid's dry run (one l1 run of 200 iterations: 12 s measured) printed 'estimated wall time: 0.00 h
    sequential (training 0.00 h, evaluation 0.00 h)' and 'denoise 0.00 h': nothing to hold against the real run's
    seconds, nor to tell one task's share from another's. A time under 0.1 h is now given in seconds or minutes;
    longer ones stay in hours."""
    import benchmark.perf as perf
    import benchmark.resources as resources
    from benchmark.cli import main

    monkeypatch.setattr(resources, "available_bytes", lambda device: (float("inf"), "test"))
    est = {"seconds": 12.4, "runs": 2, "train_s": 9.2, "eval_s": 3.2, "by_task": {"denoise": 4.1, "sr4": 8.3},
           "by_family": {"pixel": 12.4}, "ms_per_step": {}, "probes": [], "measured": 0, "reused": 0,
           "cache": "x", "device": "cpu"}
    monkeypatch.setattr(perf, "estimate_grid", lambda configs, *a, **kw: {**est, "runs": len(configs)})
    args = ["run", "--tasks", "denoise", "sr4", "--losses", "l1", "--seeds", "0", "--iterations", "2",
            "--no-budget-check", "--device", "cpu", "--metrics", "psnr", "--dry-run", "--out", str(tmp_path / "r")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "estimated wall time: 12 s sequential (training 9 s, evaluation 3 s)" in out, out
    assert "denoise 4 s, sr4 8 s" in out and "pixel 12 s" in out, out
    from benchmark.cli import _span

    assert (_span(7200.0), _span(6900.0), _span(300.0)) == ("2.00 h", "1.92 h", "5.0 min")  # hours from 0.1 h up



def _one_photo_run(tmp_path, loss_source: str, loss: str, iterations: int) -> RunConfig:
    """A denoise run of ``iterations`` on one random 32² photo (train and test), training the loss that
    ``loss_source`` registers as ``loss`` (a user loss file, loaded; the caller removes it from LOSSES)."""
    import numpy as np
    from PIL import Image

    from benchmark.data import DataSpec
    from benchmark.registry import LOSSES, load_user_file

    for role in ("train", "test"):
        (tmp_path / role).mkdir()
        Image.fromarray(np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(
            tmp_path / role / "0.png")
    spec = {role: (DataSpec.parse(str(tmp_path / role), role=role),) for role in ("train", "test")}
    (tmp_path / "loss.py").write_text(loss_source)
    load_user_file(tmp_path / "loss.py", LOSSES)
    return RunConfig(task="denoise", loss=loss, seed=0, iterations=iterations, crop=16, batch_size=1,
                     train_data=spec["train"], test_data=spec["test"])

THROWS_LATE = '''
import torch
from benchmark.registry import register_loss


@register_loss("throws_late_probe11")
class ThrowsLate(torch.nn.Module):
    """(N, 3, H, W) in [0, 1] → mean absolute error; raises at its 5th training call (a loss's bug hit late)."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, pred, target):
        self.calls += pred.requires_grad
        if self.calls == 5:
            raise RuntimeError("index out of range")
        return (pred - target).abs().mean()
'''


def test_a_failed_run_says_where_it_failed(tmp_path, caplog):
    """A loss that raises at training iteration 5 of 8 was recorded as 'failed: RuntimeError: index out of range',
    the same as one failing at its first step or in the evaluation after training: nothing told a bug hit at
    iteration 500 (after hours) from one at the start. The log line and meta.json now say where: ``failed_at``
    (the iteration) and ``failed_in`` (training or evaluation)."""
    import logging

    import torch

    from benchmark.registry import LOSSES
    from benchmark.runner import run_grid

    cfg = _one_photo_run(tmp_path, THROWS_LATE, "throws_late_probe11", iterations=8)
    try:
        store = ResultsStore(tmp_path / "r")
        with caplog.at_level(logging.ERROR, logger="benchmark.runner"):
            summary = run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False)
        assert summary.failed == 1
        meta = next(m for m in store.metas() if m.get("status") == "failed")
        assert (meta["failed_in"], meta["failed_at"]) == ("training", 5), meta
        assert "failed at training iteration 5 of 8: RuntimeError: index out of range" in caplog.text, caplog.text
    finally:
        LOSSES.remove("throws_late_probe11")


NAN_GRAD_LAST = '''
import torch
from benchmark.registry import register_loss


@register_loss("nan_grad_last_probe11")
class NanGradLast(torch.nn.Module):
    """(N, 3, H, W) in [0, 1] → mean absolute error; at its 6th training call the value stays finite but its
    gradient is NaN (a masked sqrt's branch, torch.where's classic), so that step's update leaves NaN weights."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, pred, target):
        self.calls += pred.requires_grad
        l1 = (pred - target).abs().mean()
        if self.calls == 6:
            return l1 + torch.where(pred > 5, torch.sqrt(pred - 5), 0 * pred).mean()
        return l1
'''


def test_a_net_left_non_finite_by_the_last_update_is_diverged(tmp_path):
    """The loss is checked before each update, so an update that left the net's weights NaN was caught one
    iteration later — except the last one: that run was recorded 'ok' (trained 1), its net.pt all NaN, every metric
    'no test image could be scored: its value is not finite', and never trained again (complete). The weights are
    now checked once after training: such a run is diverged at that iteration, as a NaN loss one step later makes
    it."""
    import torch

    from benchmark.registry import LOSSES
    from benchmark.runner import run_grid

    cfg = _one_photo_run(tmp_path, NAN_GRAD_LAST, "nan_grad_last_probe11", iterations=6)
    try:
        store = ResultsStore(tmp_path / "r")
        summary = run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False)
        meta = next(m for m in store.metas() if m.get("kind") != "input")
        assert (summary.diverged, summary.trained, meta["status"], meta["diverged_at"]) == (1, 0, "diverged", 6), meta
        assert not (store.run_dir(meta["run_id"]) / "net.pt").exists()
    finally:
        LOSSES.remove("nan_grad_last_probe11")
