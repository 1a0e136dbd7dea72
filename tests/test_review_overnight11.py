"""Review of the overnight/cluster probe (session 11): the non-finite-weights check after training on a resumed run,
the CPU workers' memory share on a resumed grid."""

from __future__ import annotations

from test_probe_overnight11 import NAN_GRAD_LAST, _tiny_grid


def test_a_run_resumed_at_its_last_iteration_with_non_finite_weights_is_diverged(tmp_path, monkeypatch):
    """858542c checks the weights after the last update only when the loop ran (``loss is not None``). A checkpoint
    taken at the last iteration (a stop during it, or an earlier code's final save, before evaluation crashed) is
    resumed with no iteration left: its NaN net was recorded 'ok', every metric unscorable, never trained again."""
    import torch

    from benchmark import runner
    from benchmark.checkpoint import Checkpointer, CheckpointPolicy
    from benchmark.config import RunConfig
    from benchmark.registry import LOSSES, load_user_file
    from benchmark.task import build_task

    cfgs, data, _need = _tiny_grid(tmp_path, seeds=(0,))
    (tmp_path / "loss.py").write_text(NAN_GRAD_LAST)
    load_user_file(tmp_path / "loss.py", LOSSES)
    try:
        base = cfgs[0]
        cfg = RunConfig(**{**base.to_dict(), "loss": "nan_grad_last_probe11", "iterations": 6, "crop": 16,
                           "batch_size": 1})
        images = data.pooled(cfg.train_data)
        ckpt = Checkpointer(tmp_path / "ckpt.pt", CheckpointPolicy(every=100, seconds=0), {"config": cfg.to_dict()})
        with monkeypatch.context() as m:  # the code before 858542c: its final checkpoint holds the NaN net
            m.setattr(runner, "_finite_state", lambda net: True)
            m.setattr(runner, "_finite_grads", lambda net: None)  # nor its gradient (test_probe_overnight12)
            first = runner.train(cfg, build_task("denoise"), images, torch.device("cpu"), checkpoint=ckpt)
        assert first.status == "ok" and ckpt.path.exists()
        resumed = runner.train(cfg, build_task("denoise"), images, torch.device("cpu"),
                               checkpoint=Checkpointer(ckpt.path, ckpt.policy, ckpt.fingerprint))
        assert resumed.resumed_at == cfg.iterations
        assert (resumed.status, resumed.diverged_at) == ("diverged", cfg.iterations)
    finally:
        LOSSES.remove("nan_grad_last_probe11")


def test_cpu_workers_share_the_memory_only_among_the_runs_left(tmp_path, monkeypatch):
    """351c846 gives each CPU worker 1/N of the free RAM, N the workers asked for — also when a resumed grid has
    fewer runs left than workers (the rest done): 1 run left on 2 workers was refused 'shared by 2 runs', though
    one process trains it, and it fits alone (the Ray path already counts min(slots, runs left))."""
    import pytest
    import torch

    import benchmark.executors as ex
    import benchmark.resources as R
    from benchmark.config import run_id
    from benchmark.errors import UserError
    from benchmark.results import ResultsStore

    cfgs, data, need = _tiny_grid(tmp_path)
    monkeypatch.setattr(R, "available_bytes", lambda device: (1.5 * need, "available RAM (test)"))

    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    with pytest.raises(UserError, match="shared by 2"):  # two runs left: two at once do not fit
        ex.check_local_memory(cfgs, torch.device("cpu"), data, 2, [], 1, store)
    done = cfgs[0]
    store.write_meta(run_id(done), {"run_id": run_id(done), "status": "ok", "config": done.to_dict()})
    ex.check_local_memory(cfgs, torch.device("cpu"), data, 2, [], 1, store)  # one left: it fits alone


def test_a_dry_run_of_a_local_ray_instance_on_the_cpu_makes_the_runs_memory_check(tmp_path, monkeypatch):
    """269c9c6 makes ``--executor ray`` without --ray-address check its CPU tasks' memory together before submitting
    any, but the dry run checked only the local executor: it estimated, exit 0, a grid the run then refused (the
    README: a grid refused at 6:01 pm is refused by the 6 pm dry run). It now makes the same check."""
    import benchmark.perf as perf
    import benchmark.resources as R
    from benchmark.cli import main

    _cfgs, _data, need = _tiny_grid(tmp_path)
    monkeypatch.setattr(R, "available_bytes", lambda device: (1.5 * need, "available RAM (test)"))
    monkeypatch.setattr(perf, "estimate_grid", lambda configs, *a, **kw: {
        "seconds": 1.0, "runs": len(configs), "train_s": 1.0, "eval_s": 0.0, "by_task": {}, "by_family": {},
        "ms_per_step": {}, "probes": [], "measured": 0, "reused": 0, "cache": "x", "device": "cpu"})
    args = ["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "1", "--iterations", "2",
            "--no-budget-check", "--device", "cpu", "--crop", "32", "--batch-size", "2", "--metrics", "psnr",
            "--train-data", str(tmp_path / "train"), "--test-data", str(tmp_path / "test"),
            "--out", str(tmp_path / "r"), "--dry-run"]
    assert main([*args, "--workers", "2"]) == 2  # the local executor's check, as before
    assert main([*args, "--executor", "ray", "--workers", "2"]) == 2  # the run would refuse it: so does the dry run
    assert main([*args, "--executor", "ray", "--workers", "1"]) == 0  # one task at a time fits


def test_a_dry_run_of_a_local_ray_instance_does_not_promise_more_cpu_tasks_than_cores(tmp_path, monkeypatch, capsys):
    """6cd1153 divides the parallel estimate by min(workers, cores) for local CPU workers only: ``--executor ray
    --workers 8 --device cpu --dry-run`` on 2 cores (a Ray instance on this machine, told it has 8 × 1 CPUs: all 8
    tasks at once on 2 cores) still printed '≈ 0.25 h on 8 workers' for a 2 h grid. It now says what local
    workers say."""
    import benchmark.executors as ex
    import benchmark.perf as perf
    import benchmark.resources as resources
    from benchmark.cli import main

    monkeypatch.setattr(ex, "_cores", lambda: 2)
    monkeypatch.setattr(resources, "available_bytes", lambda device: (float("inf"), "test"))
    monkeypatch.setattr(perf, "estimate_grid", lambda configs, *a, **kw: {
        "seconds": 7200.0, "runs": len(configs), "train_s": 7000.0, "eval_s": 200.0, "by_task": {}, "by_family": {},
        "ms_per_step": {}, "probes": [], "measured": 0, "reused": 0, "cache": "x", "device": "cpu"})
    _cfgs, _data, _need = _tiny_grid(tmp_path)
    args = ["run", "--tasks", "denoise", "--losses", "l1", "--seeds", *map(str, range(8)), "--iterations", "2",
            "--no-budget-check", "--device", "cpu", "--crop", "32", "--batch-size", "2", "--metrics", "psnr",
            "--train-data", str(tmp_path / "train"), "--test-data", str(tmp_path / "test"),
            "--out", str(tmp_path / "r"), "--dry-run", "--workers", "8"]
    assert main([*args, "--executor", "ray"]) == 0
    out = capsys.readouterr().out
    assert "≈ 1.00 h on 8 workers" in out and "2 cores" in out, out
    assert main([*args, "--executor", "ray", "--ray-address", "auto"]) == 0  # a cluster's cores are not these
    assert "≈ 0.25 h on 8 workers" in capsys.readouterr().out


def test_a_grid_refused_for_its_workers_share_says_to_use_fewer_workers(tmp_path, monkeypatch):
    """351c846 refuses CPU workers whose runs fit one at a time but not N together, with the single-run advice
    'lower --batch-size or --crop (or use a smaller --net)': a change of every run's id and numbers, where fewer
    workers would change nothing. A refusal that the share alone makes now says how many workers fit."""
    import pytest
    import torch

    import benchmark.executors as ex
    import benchmark.resources as R
    from benchmark.errors import UserError

    cfgs, data, need = _tiny_grid(tmp_path)
    monkeypatch.setattr(R, "available_bytes", lambda device: (1.5 * need, "available RAM (test)"))
    with pytest.raises(UserError) as err:
        ex.check_local_memory(cfgs, torch.device("cpu"), data, 2, [], 1)
    assert "use at most 1 worker (--workers 1)" in str(err.value) and "--batch-size" not in str(err.value)
    monkeypatch.setattr(R, "available_bytes", lambda device: (0.5 * need, "available RAM (test)"))
    with pytest.raises(UserError, match="--batch-size|fewer or smaller test images"):  # too big alone: as before
        ex.check_local_memory(cfgs, torch.device("cpu"), data, 2, [], 1)
    from benchmark.config import RunConfig

    gpu = RunConfig(task="denoise", loss="l1", device_type="cuda", precision="bf16")  # --workers-per-gpu 3
    monkeypatch.setattr(R, "available_bytes", lambda device: (10 * 2**30, "free on a test GPU"))
    with pytest.raises(UserError, match=r"use at most 2 workers per GPU \(--workers, --workers-per-gpu\)$"):
        R.check_fits([gpu], torch.device("cuda"), share=3, measure=lambda c: 4 * 2**30)


def test_a_run_another_worker_failed_during_the_grid_is_not_tried_again(tmp_path, monkeypatch):
    """Measured: ``--workers 2`` on a grid whose loss raises at iteration 5: w0 took over w1's run
    4efd9ed90e4e69ca (not started), it failed; w1, which had planned it in its own share before, then trained it
    again to the same failure ('failed at training iteration 5 of 8' twice) — a deterministic failure hours in,
    paid twice. A worker filtered its share for this grid's failures only when it started. Each run is now
    looked at when its turn comes: one that failed during this grid (another worker's) is left as it is."""
    import time

    import benchmark.executors as ex
    import benchmark.progress as progress
    from benchmark.config import run_id
    from benchmark.results import ResultsStore

    cfgs, _data, _need = _tiny_grid(tmp_path)
    cfgs = [c.__class__(**{**c.to_dict(), "iterations": 2}) for c in cfgs]
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    other = cfgs[1]
    line = progress.GridProgress.line

    def the_other_worker_fails_it(self, current=None):  # while this worker is on its first run
        if store.meta(run_id(other)) is None:
            store.write_meta(run_id(other), {"run_id": run_id(other), "config": other.to_dict(), "status": "failed",
                                             "error": "RuntimeError: index out of range", "started": time.time()})
        return line(self, current)

    monkeypatch.setattr(progress.GridProgress, "line", the_other_worker_fails_it)
    unit = ex.WorkUnit(tuple(cfgs), str(store.root), ("psnr",), "cpu", threads=1, since=time.time() - 1,
                       grid=tuple(cfgs), grid_workers=2)
    summary = ex.run_unit(unit)
    assert summary["trained"] == 1, summary
    meta = store.meta(run_id(other))
    assert meta["status"] == "failed" and meta["error"] == "RuntimeError: index out of range", meta
