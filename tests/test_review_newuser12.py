"""Review of the new-user probe (session 12): what its fixes left out, each with a test that failed first."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import dry_run_estimate, metric_set_of


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
        return dry_run_estimate(configs)

    Metrics = metric_set_of("psnr")

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
    from benchmark.config import RunConfig

    full = [RunConfig(task="denoise", loss=loss, iterations=4, batch_size=2, crop=32) for loss in ("l1", "l2")]
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
    from benchmark.config import RunConfig, run_id

    grid = [RunConfig(task="denoise", loss=loss, iterations=4, batch_size=2, crop=32) for loss in ("l1", "l2")]
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
    assert "1 of the 2 runs already has results" in out and "1 of them lacks a metric asked for (ssim)" in out, out


@pytest.mark.parametrize("argv, key, value", [(["--seeds", "1e3", "2"], "seeds", (1000, 2)),
                                              (["--workers-per-gpu", "2e0"], "workers_per_gpu", 2),
                                              (["--slurm-gpus", "1e0", "--executor", "slurm"], "slurm_gpus", 1),
                                              (["--slurm-cpus", "4e0", "--executor", "slurm"], "slurm_cpus", 4),
                                              (["--workers", "2e0"], "workers", 2)])
def test_every_whole_number_flag_of_a_config_key_takes_an_exponent_as_the_file_does(argv, key, value, tmp_path):
    """972ede1 let --iterations, --batch-size, --crop, --max-train-images and --checkpoint-every take ``1e4`` as the
    config file does; the other whole-number keys a file takes as ``1e3`` (seeds, workers_per_gpu, slurm_gpus,
    slurm_cpus, workers) were still refused as flags: 'invalid int value: '1e3'', '--workers must be a number or
    auto, got '2e0''. Each flag reads what its key reads in a file."""
    from benchmark.cli import build_parser, grid_spec
    from benchmark.config import GridSpec
    from benchmark.executors import executor_options

    s = grid_spec(build_parser().parse_args(["run", *argv])).resolved()
    flag = s.seeds if key == "seeds" else executor_options(s)[key] if key == "workers" else getattr(s, key)
    (tmp_path / "grid.yaml").write_text(f"{key}: [1e3, 2]\n" if key == "seeds" else f"{key}: {value}e0\n")
    filed = GridSpec.from_file(tmp_path / "grid.yaml").resolved()
    assert flag == value == (filed.seeds if key == "seeds" else executor_options(filed)[key] if key == "workers"
                             else getattr(filed, key))



@pytest.mark.parametrize("argv, said", [(["--iterations", "-1e2"], "--iterations must be positive, got -100"),
                                        (["--lr", "-1e-3"], "--lr must be positive, got -0.001"),
                                        (["--iterations", "-100"], "--iterations must be positive, got -100")])
def test_a_negative_number_with_an_exponent_is_a_value_not_an_option(argv, said):
    """``--iterations -1e2`` was 'expected one argument' (argparse took ``-1e2`` for an option; ``-100`` it took for
    a number), where ``iterations: -1e2`` in a file and ``--iterations -100`` say it must be positive."""
    from benchmark.cli import build_parser, grid_spec
    from benchmark.config import check_numbers
    from benchmark.errors import UserError

    with pytest.raises(UserError, match=said):
        check_numbers(grid_spec(build_parser().parse_args(["run", *argv])).resolved())


def test_a_config_files_logger_whose_package_is_missing_is_overridden_by_the_flag(tmp_path, monkeypatch):
    """06e6066 checked a config file's ``logger:`` when the file was read, package included: ``logger: mlflow`` (a
    grid saved where mlflow is installed) was refused with ``--logger none`` on the command line, the flag that
    overrides it never reached. Reading the file checks the name (a misspelling, with the file's name); the package
    is checked for the logger the grid resolves to."""
    import importlib.util

    from benchmark.cli import build_parser, grid_spec
    from benchmark.errors import UserError
    from benchmark.loggers import check_logger

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mlflow" else real(name, *a))
    (tmp_path / "grid.yaml").write_text("logger: mlflow\n")
    s = grid_spec(build_parser().parse_args(["run", "--config", str(tmp_path / "grid.yaml"), "--logger", "none"]))
    assert s.resolved().logger == "none"
    s = grid_spec(build_parser().parse_args(["run", "--config", str(tmp_path / "grid.yaml")])).resolved()
    with pytest.raises(UserError, match="needs the mlflow package"):
        check_logger(s.logger)
    (tmp_path / "grid.yaml").write_text("logger: mlflw\n")
    with pytest.raises(UserError, match=r"grid.yaml: unknown logger 'mlflw'; did you mean mlflow"):
        grid_spec(build_parser().parse_args(["run", "--config", str(tmp_path / "grid.yaml"), "--logger", "none"]))


def test_a_resumed_dry_run_does_not_time_the_inputs_the_results_hold(tmp_path, monkeypatch):
    """Before a task's first run a grid scores its degraded test inputs (the leaderboard's `input` row) unless the
    results hold that scoring, as a resumed grid's do; the dry run of the rest still charged it, one evaluation per
    task. Here an evaluation costs 10 units per pixel of an image not seen before, 1 of one seen (a fake clock, as in
    tests/test_probe_overnight9.py): with the inputs scored, the two runs left cost 10 (the first, cold) + 1."""
    import types

    import torch

    import benchmark.metrics
    import benchmark.perf as perf
    import benchmark.runner as runner
    from benchmark import cli
    from benchmark.config import RunConfig
    from benchmark.fastiqa import RefCache

    clock = [0.0]
    seen: set = set()

    def evaluate(net, items, metrics, device):
        for it in items:
            clock[0] += it.clean[0, 0].numel() * (1.0 if RefCache.key(it.clean) in seen else 10.0)
            seen.add(RefCache.key(it.clean))
        return []

    class Metrics:  # the metrics' evaluation is the fake clock's: none is opened (pyiqa's import alone takes seconds)
        metrics, skipped = [types.SimpleNamespace(name="psnr")], {}

        def __init__(self, *args):
            pass

    class Data:  # no image is read: the test set is one 8×8 image
        def images(self, spec):
            return []

    item = runner.TestItem("set", "img", torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8))
    monkeypatch.setattr(runner, "evaluate", evaluate)
    monkeypatch.setattr(runner, "held_out_items", lambda task, images: [item])
    monkeypatch.setattr(runner, "DataCache", Data)
    monkeypatch.setattr(benchmark.metrics, "MetricSet", Metrics)
    monkeypatch.setattr(perf, "time", types.SimpleNamespace(perf_counter=lambda: clock[0], time=lambda: 1e9,
                                                        process_time=lambda: clock[0]))  # a whole core
    monkeypatch.setattr(perf, "_time_step", lambda *a, **kw: (0.0, 0.0))
    monkeypatch.setattr(perf, "_time_data", lambda *a, **kw: 0.0)
    monkeypatch.setattr(perf, "training_images", lambda crop: [])
    real, got = perf.estimate_grid, []
    monkeypatch.setattr(perf, "estimate_grid", lambda *a, **kw: got.append(
        real(*a, **{**kw, "cache": perf.StepTimes(tmp_path / "t.json")})) or got[-1])
    monkeypatch.setattr(cli, "_check_fits_as_the_run", lambda *a, **k: None)
    grid = [RunConfig(task="denoise", loss="l1", seed=s, iterations=10, batch_size=2, crop=32) for s in (0, 1, 2)]
    store = _done_store(tmp_path / "r", grid[:1])
    (rid,) = runner.input_groups(grid).values()
    store.write_meta(rid, {"run_id": rid, "status": "ok", "kind": "input", "task": "denoise"})
    store.write_eval(rid, [], ["psnr"], {})
    args = type("Args", (), {"dry_run": True})()
    assert cli._dry_run(args, grid, ("psnr",), torch.device("cpu"), "quick", {}, store=store) == 0
    assert got[-1]["runs"] == 2 and got[-1]["eval_s"] == pytest.approx(11.0 * 64), got[-1]


def test_a_resumed_dry_run_counts_a_damaged_finished_run_as_the_run_does(tmp_path, monkeypatch, capsys):
    """A finished run whose rows are lost (eval-0.parquet missing): the run sets it aside and trains it again, or
    re-scores it where its net.pt is kept (runner._repair_damaged). The dry run, reading its passes for the metrics
    it lacks (5479f11), stopped with the damage as its error; it now counts it as the run does."""
    import torch

    from benchmark import cli
    from benchmark.config import RunConfig, run_id

    grid = [RunConfig(task="denoise", loss=loss, iterations=4, batch_size=2, crop=32) for loss in ("l1", "l2")]
    estimated = _dry_run_without_timing(monkeypatch)
    store = _done_store(tmp_path / "r", grid)
    next(store.run_dir(run_id(grid[0])).glob("eval-*.parquet")).unlink()
    args = type("Args", (), {"dry_run": True})()
    assert cli._dry_run(args, grid, ("psnr",), torch.device("cpu"), "quick", {}, store=store) == 0
    assert estimated == [grid[:1]]
    assert "1 of the 2 runs already has results" in capsys.readouterr().out
    (store.run_dir(run_id(grid[1])) / "net.pt").write_bytes(b"")  # its net kept: the run re-scores it
    next(store.run_dir(run_id(grid[1])).glob("eval-*.parquet")).unlink()
    assert cli._dry_run(args, grid, ("psnr",), torch.device("cpu"), "quick", {}, store=store) == 0
    assert estimated[-1] == grid[:1] and "1 of them lacks a metric asked for (psnr)" in capsys.readouterr().out
