"""Review of the new-user probe (session 12): what its fixes left out, each with a test that failed first."""

from __future__ import annotations

import dataclasses


def _done_store(root, configs, metrics=("psnr",)):
    from benchmark.config import run_id
    from benchmark.results import ResultsStore

    store = ResultsStore(root)
    store.ensure_writable()
    for c in configs:
        store.write_meta(run_id(c), {"run_id": run_id(c), "status": "ok", "config": c.to_dict()})
        store.write_eval(run_id(c), [], list(metrics), {})
    return store


def _dry_run_without_timing(monkeypatch):
    """``cli._dry_run`` with the step timing and the metrics stubbed: what it estimates is recorded."""
    import benchmark.metrics
    import benchmark.perf
    from benchmark import cli

    estimated = []

    def estimate(configs, *args, **kwargs):
        estimated.append(list(configs))
        return {"runs": len(configs), "seconds": 1.0, "train_s": 1.0, "eval_s": 0.0, "by_task": {"denoise": 1.0},
                "by_family": {"pixel": 1.0}, "ms_per_step": {}, "probes": [], "measured": 0, "reused": 0,
                "cache": "x", "device": "cpu"}

    class Metrics:
        metrics, skipped = ["psnr"], {}

        def __init__(self, *args):
            pass

    monkeypatch.setattr(benchmark.perf, "estimate_grid", estimate)
    monkeypatch.setattr(benchmark.metrics, "MetricSet", Metrics)
    monkeypatch.setattr(cli, "_check_fits_as_the_run", lambda *a, **k: None)
    return estimated


def test_a_resumed_dry_run_names_the_budget_checks_left_and_the_grids_iterations(tmp_path, monkeypatch, capsys):
    """A grid whose full-budget runs are done and whose budget checks (half the iterations) are not: the dry run
    estimated the checks alone, and its header then named them as the grid ('2 runs (…, 2 iterations …)', no
    budget check said), from the runs left rather than the grid's. The header names the grid's iterations and
    how many of the runs left are budget checks, as the run's grid line does."""
    import torch

    from benchmark import cli
    from benchmark.config import RunConfig, resolve

    full = [resolve(RunConfig(task="denoise", loss=loss, iterations=4, batch_size=2, crop=32)) for loss in ("l1", "l2")]
    checks = [dataclasses.replace(c, iterations=2) for c in full]
    estimated = _dry_run_without_timing(monkeypatch)
    store = _done_store(tmp_path / "r", full)
    args = type("Args", (), {"dry_run": True})()
    assert cli._dry_run(args, full + checks, ("psnr",), torch.device("cpu"), "quick", {}, store=store) == 0
    assert estimated == [checks]
    out = capsys.readouterr().out
    assert "2 of the 4 runs already have results" in out, out
    assert "dry run: 2 runs (quick profile; net tiny, 4 iterations of 2×32²; 2 of them budget checks" in out, out


def test_a_resumed_dry_run_says_how_many_finished_runs_the_run_scores_again(tmp_path, monkeypatch, capsys):
    """A finished grid run again with a metric added (``--metrics psnr ssim``): the run scores every finished run on
    it (each net evaluated again on the test set), but the dry run said 'the run trains nothing … nothing was timed'
    and, with runs left, 'the run skips them'. It says how many finished runs lack a metric asked for and are
    scored again, not estimated."""
    import torch

    from benchmark import cli
    from benchmark.config import RunConfig, resolve, run_id

    grid = [resolve(RunConfig(task="denoise", loss=loss, iterations=4, batch_size=2, crop=32)) for loss in ("l1", "l2")]
    estimated = _dry_run_without_timing(monkeypatch)
    store = _done_store(tmp_path / "r", grid)
    args = type("Args", (), {"dry_run": True})()
    assert cli._dry_run(args, grid, ("psnr",), torch.device("cpu"), "quick", {}, store=store) == 0
    out = capsys.readouterr().out
    assert "every one of the 2 runs already has results" in out and "lack a metric" not in out, out
    assert cli._dry_run(args, grid, ("psnr", "ssim"), torch.device("cpu"), "quick", {}, store=store) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 1 and "2 of them lack a metric asked for (ssim)" in out, out
    store.write_meta(run_id(grid[1]), {"run_id": run_id(grid[1]), "status": "failed", "config": grid[1].to_dict()})
    assert cli._dry_run(args, grid, ("psnr", "ssim"), torch.device("cpu"), "quick", {}, store=store) == 0
    assert estimated == [grid[1:]]
    out = capsys.readouterr().out
    assert "1 of the 2 runs already have results" in out and "1 of them lacks a metric asked for (ssim)" in out, out
