"""Review of the overnight16 fixes: what a reviewer found left in them."""

from __future__ import annotations

import time

from conftest import dry_run_estimate, metric_set_of


def _grid_store(tmp_path):
    from benchmark.config import RunConfig, resolve, run_id
    from benchmark.results import ResultsStore

    grid = [resolve(RunConfig(task="denoise", loss="l1", iterations=4, batch_size=2, crop=32, seed=s)) for s in (0, 1)]
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    since = time.time() - 60
    for i, c in enumerate(grid):
        store.write_meta(run_id(c), {"run_id": run_id(c), "status": "ok", "config": c.to_dict(), "started": since + i,
                                     "grid_id": "g1"})
        store.write_eval(run_id(c), [], ["psnr"], {})
    return grid, store, since


def test_a_remote_job_ended_by_a_hung_rescore_is_not_said_as_0_failed_runs_retried(tmp_path, caplog):
    """6aa7810 said of a Ray task or SLURM job ended by a hang in C code '…; no run of the grid is left unfinished
    (0 failed, said below: the same command retries them)' where the hang was a finished run's re-score (or a task's
    input scoring), marked with its rows kept: no run failed, none is said below, nothing is retried as a run."""
    from benchmark.config import run_id
    from benchmark.executors import WorkUnit, _collect, _lost
    from benchmark.runner import RESCORE_STALLED

    grid, store, since = _grid_store(tmp_path)
    rid = run_id(grid[1])
    store.write_meta(rid, {**store.meta(rid), RESCORE_STALLED: {"at": since + 5, "error": "hung", "grid_id": "g1"}})
    unit = WorkUnit(configs=(grid[1],), store_root=str(store.root), metrics=("psnr",), device="cpu", since=since,
                    grid_id="g1")
    lost = _lost(unit, "job 7_1 ended without a result (state: FAILED)")
    assert lost.get("hung") and "re-score" in lost["error"], lost
    caplog.set_level("WARNING")
    summary = _collect(grid, store.root, ("psnr",), [{"trained": 1}, lost], "slurm jobs", since=since, grid_id="g1")
    assert summary.failed == 0
    text = caplog.text
    assert "0 failed" not in text and "retries them" not in text and "took over" not in text, text
    assert "every run of the grid is finished" in text, text


def test_a_dry_run_times_at_the_threads_of_the_workers_that_also_score_finished_runs_again(tmp_path, monkeypatch,
                                                                                           capsys):
    """d547c49 timed the dry run's steps at the threads of the workers the run starts, counted by the runs it trains
    alone: with --workers 2 on 2 cores, one run to train and one finished run lacking a metric asked for, the run
    starts 2 workers of 1 thread (a worker scores the finished run again), while the dry run counted 1 worker and
    timed the step at the process's 2 threads."""
    import torch

    import benchmark.executors
    import benchmark.metrics
    import benchmark.perf
    from benchmark import cli
    from benchmark.config import RunConfig, resolve, run_id
    from benchmark.results import ResultsStore

    grid = [resolve(RunConfig(task="denoise", loss="l1", iterations=4, batch_size=2, crop=32, seed=s)) for s in (0, 1)]
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    store.write_meta(run_id(grid[0]), {"run_id": run_id(grid[0]), "status": "ok", "config": grid[0].to_dict()})
    store.write_eval(run_id(grid[0]), [], ["psnr"], {})  # finished; ssim, asked for now, not scored
    seen = []

    def estimate(configs, *args, **kwargs):
        seen.append(torch.get_num_threads())
        return dry_run_estimate(configs, {"l1": {"denoise": 10.0}})

    Metrics = metric_set_of("psnr", "ssim")
    monkeypatch.setattr(benchmark.perf, "estimate_grid", estimate)
    monkeypatch.setattr(benchmark.metrics, "MetricSet", Metrics)
    monkeypatch.setattr(benchmark.executors, "_cores", lambda: 2)
    monkeypatch.setattr(cli, "_check_fits_as_the_run", lambda *a, **k: None)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        args = type("Args", (), {"dry_run": True})()
        assert cli._dry_run(args, grid, ("psnr", "ssim"), torch.device("cpu"), "quick", {"workers": 2},
                            store=store) == 0
    finally:
        torch.set_num_threads(before)
    out = capsys.readouterr().out
    assert "1 of them lacks a metric asked for (ssim)" in out, out
    assert seen == [1], (seen, out)
    assert "on 2 workers, if they scale linearly (1 run to train: at most 1 at once)" in out, out  # not halved
