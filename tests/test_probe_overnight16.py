"""Overnight and cluster runs under faults (probe 16): what a user who starts the full grid with several workers at
night finds in the morning."""
from __future__ import annotations

import pytest
import torch


def _done_store(tmp_path, configs, threads):
    from benchmark.config import run_id
    from benchmark.results import ResultsStore

    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    for c in configs:
        store.write_meta(run_id(c), {"run_id": run_id(c), "status": "ok", "config": c.to_dict(), "device": "cpu",
                                     "device_name": "x", "threads": threads, "ms_per_it": 20.0,
                                     "timing_excluded": {}})
        store.write_eval(run_id(c), [], ["psnr"], {})
    return store


@pytest.mark.parametrize("opts, executor, threads", [({"workers": 2}, "local", 1), ({}, "local", 2),
                                                     ({"workers": None, "cpus_per_task": 3, "split": "run"},
                                                      "slurm", 3)])
def test_a_dry_run_under_workers_times_and_compares_at_the_threads_its_runs_train_on(
        tmp_path, monkeypatch, capsys, opts, executor, threads):
    """Was: `plbench run --workers 2 --dry-run` on 2 cores timed its steps on the driver's 2 threads and looked for the
    store's measured runs on 'cpu (2 threads)', while each worker trains on cores // N = 1 thread: the measured table
    never showed (every run of an earlier `--workers 2` night is 'cpu (1 threads)'), and the estimate was of a step no
    run takes. Now the dry run times and compares at the threads the grid's runs train on (local workers: cores // N;
    a SLURM job: --slurm-cpus), this process's own count given back after."""
    import benchmark.executors
    import benchmark.metrics
    import benchmark.perf
    import benchmark.stats
    from benchmark import cli
    from benchmark.config import RunConfig, resolve

    grid = [resolve(RunConfig(task="denoise", loss="l1", iterations=4, batch_size=2, crop=32, seed=s))
            for s in range(4)]
    seen = []

    def estimate(configs, *args, **kwargs):
        seen.append(torch.get_num_threads())
        return {"runs": len(configs), "seconds": 1.0, "train_s": 1.0, "eval_s": 0.0, "by_task": {"denoise": 1.0},
                "by_family": {"pixel": 1.0}, "ms_per_step": {"l1": {"denoise": 10.0}}, "probes": [], "measured": 0,
                "reused": 0, "cache": "x", "device": "cpu"}

    class Metrics:
        metrics, skipped = ["psnr"], {}

        def __init__(self, *args):
            pass

    monkeypatch.setattr(benchmark.perf, "estimate_grid", estimate)
    monkeypatch.setattr(benchmark.metrics, "MetricSet", Metrics)
    monkeypatch.setattr(benchmark.executors, "_cores", lambda: 2)
    monkeypatch.setattr(benchmark.stats, "cpu_model", lambda: "x", raising=False)
    monkeypatch.setattr(cli, "_check_fits_as_the_run", lambda *a, **k: None)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        store = _done_store(tmp_path, grid[:2], threads)
        args = type("Args", (), {"dry_run": True})()
        assert cli._dry_run(args, grid, ("psnr",), torch.device("cpu"), "quick", opts, executor=executor,
                            store=store) == 0
        assert seen == [threads] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    out = capsys.readouterr().out
    assert f"measured in the results directory on cpu ({threads} thread" in out, out
    assert "×2.0 (2)" in out, out
