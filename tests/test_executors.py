"""Executors: N local workers, submitit and Ray write the same results table as the sequential run,
and no run is done twice."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from benchmark.cli import build_configs, build_parser, main
from benchmark.config import run_id
from benchmark.executors import execute, parse_mem_gb, parse_minutes, shard_order
from benchmark.results import ResultsStore

TINY = ["--tasks", "denoise", "--losses", "l1", "l2", "--seeds", "0", "1", "--iterations", "3", "--crop", "32",
        "--batch-size", "2", "--metrics", "psnr", "--test-data", "skimage-natural:test", "--device", "cpu",
        "--no-progress", "-q", "--no-budget-check"]
KEY = ["run_id", "image", "metric"]


def _grid():
    configs, metrics, device = build_configs(build_parser().parse_args(["run", *TINY]))
    return configs, metrics, device


def _table(root) -> pd.DataFrame:
    return ResultsStore(root).table().sort_values(KEY).reset_index(drop=True)


def _run_dirs(root) -> list[str]:
    return sorted(p.name for p in (root / "runs").iterdir() if p.is_dir())


def _assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert len(a) == len(b) > 0
    pd.testing.assert_frame_equal(a.drop(columns="code_version"), b.drop(columns="code_version"), check_exact=True)


@pytest.fixture(scope="module")
def sequential(tmp_path_factory):
    """The reference: the local executor in this process, one thread (what each worker gets on 2 cores)."""
    configs, metrics, device = _grid()
    root = tmp_path_factory.mktemp("seq")
    summary = execute("local", configs, root, metrics, device, workers=1, threads=1)
    assert summary.trained == len(configs) == 4
    table = _table(root)
    assert set(table["loss"]) == {"l1", "l2", "input"} and len(table) == 5 * 3  # (4 runs + input) × 3 images
    return root, table


def test_shard_order_covers_every_config_once_per_worker():
    items = list(range(7))
    for n in (1, 2, 3):
        orders = [shard_order(items, i, n) for i in range(n)]
        assert all(sorted(o) == items for o in orders)
        assert [o[0] for o in orders] == list(range(n))  # each starts on its own share


def test_slurm_time_and_memory_parsing():
    assert parse_minutes("90") == 90 and parse_minutes("1:30:00") == 90 and parse_minutes("2-00:00:00") == 2880
    assert parse_minutes(15) == 15 and parse_minutes("10:30") == 11
    assert parse_mem_gb("32G") == 32 and parse_mem_gb("512M") == 0.5 and parse_mem_gb("1TB") == 1024


def test_local_workers_match_sequential(sequential, tmp_path, monkeypatch):
    # each worker is given its share of the cores (1 of 2), not left to inherit the suite's one thread (conftest)
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    monkeypatch.setenv("MKL_NUM_THREADS", "2")
    configs, metrics, device = _grid()
    root = tmp_path / "w2"
    summary = execute("local", configs, root, metrics, device, workers=2)
    assert (summary.trained, summary.skipped, summary.failed, summary.locked) == (4, 0, 0, 0)
    _assert_same(_table(root), sequential[1])
    assert _run_dirs(root) == _run_dirs(sequential[0])
    metas = ResultsStore(root).metas()
    assert sum(m.get("kind") != "input" for m in metas) == 4 and all(m["status"] == "ok" for m in metas)
    assert {m["threads"] for m in metas if "threads" in m} == {1}
    again = execute("local", configs, root, metrics, device, workers=1)  # resume: nothing is done twice
    assert (again.trained, again.skipped) == (0, 4)


def test_cli_executor_options_and_resume(tmp_path, caplog):
    """The CLI's --executor/--workers reach the executor (submitit's in-process debug cluster, so
    this is quick); a sequential run over its results trains nothing."""
    out = tmp_path / "cli"
    assert main([*TINY, "--executor", "slurm", "--submitit-cluster", "debug", "--workers", "2", "--slurm-time", "5",
                 "--slurm-mem", "1G", "--no-report", "--out", str(out)]) == 0
    assert len(_table(out)) == 15
    assert len(list((out / ".submitit").rglob("*"))) > 0
    with caplog.at_level("INFO"):
        assert main([*TINY, "--no-report", "--out", str(out)]) == 0
    assert "4 of 4 runs already have results" in caplog.text


@pytest.mark.slow  # submitit in the default suite: test_submitit_debug_one_job_per_run
def test_submitit_local_matches_sequential(sequential, tmp_path):
    configs, metrics, device = _grid()
    root = tmp_path / "submitit"
    t0 = time.perf_counter()
    summary = execute("slurm", configs, root, metrics, device, cluster="local", workers=2, split="shard",
                      time="5", threads=1)
    assert summary.trained == 4 and summary.failed == 0, summary
    _assert_same(_table(root), sequential[1])
    assert (root / ".submitit").is_dir()  # job logs, outside runs/
    assert time.perf_counter() - t0 < 300


def test_submitit_debug_one_job_per_run(sequential, tmp_path):
    configs, metrics, device = _grid()
    root = tmp_path / "debug"
    summary = execute("slurm", configs, root, metrics, device, cluster="debug", split="run", threads=1)
    assert summary.trained == 4
    _assert_same(_table(root), sequential[1])


def test_unknown_executor_options_are_one_line_errors(tmp_path, capsys):
    assert main([*TINY, "--workers", "zero", "--out", str(tmp_path)]) == 2
    assert "--workers must be a number or auto" in capsys.readouterr().err


def test_ray_local_two_cpu_workers_match_sequential(sequential, tmp_path):
    """~40 s (a local Ray instance starts); ray is not in the test extra, so CI skips this unless
    it installs `.[test,ray]`."""
    import importlib.util

    from conftest import needs

    needs(importlib.util.find_spec("ray") is not None, "ray")
    configs, metrics, device = _grid()
    root = tmp_path / "ray"
    summary = execute("ray", configs, root, metrics, device, workers=2, threads=1)
    assert summary.trained == 4 and summary.failed == 0, summary
    _assert_same(_table(root), sequential[1])
    assert sorted(run_id(c) for c in configs) == [r for r in _run_dirs(root) if not r.startswith("input")]


FAILING_LOSS = '''
import os

import torch

from benchmark.registry import register_loss


@register_loss("always_fails_executor_test")
class AlwaysFails(torch.nn.Module):
    """Raises on every call, after noting the attempt in $PLBENCH_ATTEMPTS."""

    def forward(self, pred, target):
        if pred.shape[0] == 2:  # a training step (the memory estimate before training probes one sample)
            with open(os.environ["PLBENCH_ATTEMPTS"], "a") as f:
                f.write("attempt\\n")
        raise RuntimeError("boom")
'''


def test_a_failed_run_is_not_retried_by_another_worker(tmp_path, monkeypatch):
    """Two shard jobs run one after the other (submitit's debug cluster): the first fails its run,
    then takes over the second's unattempted run and fails it too; the second job does not try
    either again. The next invocation retries them, as the sequential executor does."""
    from benchmark.registry import LOSSES, load_user_file

    loss_file = tmp_path / "failing_loss.py"
    loss_file.write_text(FAILING_LOSS)
    attempts = tmp_path / "attempts.txt"
    monkeypatch.setenv("PLBENCH_ATTEMPTS", str(attempts))
    load_user_file(loss_file, LOSSES)
    # planning runs each loss once and would refuse this one before any run exists: here its runs must fail
    monkeypatch.setattr("benchmark.lossfn.check_loss_on_crop", lambda *a, **k: None)
    try:
        args = ["run", *TINY, "--losses", "always_fails_executor_test", "--loss-file", str(loss_file)]
        configs, metrics, device = build_configs(build_parser().parse_args(args))
        assert len(configs) == 2
        summary = execute("slurm", configs, tmp_path / "r", metrics, device, cluster="debug", workers=2,
                          split="shard", loss_files=[str(loss_file)], threads=1)
        assert (summary.failed, summary.trained, summary.locked) == (2, 0, 0)
        assert attempts.read_text().count("attempt") == 2
        again = execute("local", configs, tmp_path / "r", metrics, device, workers=1)
        assert again.failed == 2 and attempts.read_text().count("attempt") == 4
    finally:
        LOSSES.remove("always_fails_executor_test")


def test_workers_sharing_a_gpu_each_budget_their_share(monkeypatch):
    """K workers on one GPU: each is told K (and caps its allocator at 1/K in run_unit); the memory
    check gives each 1/K of the free memory and, on a GPU, measures the step there instead of
    probing it on the CPU."""
    import torch

    import benchmark.resources as R
    from benchmark.config import RunConfig
    from benchmark.errors import UserError
    from benchmark.executors import gpu_shares

    assert gpu_shares(4, 2, 2) == [2, 2, 2, 2] and gpu_shares(3, 2, 1) == [3, 3, 3]
    assert gpu_shares(3, 2, 2) == [2, 2, 1] and gpu_shares(2, 1, 4) == [1, 1]
    gib = 2**30
    monkeypatch.setattr(R, "available_bytes", lambda dev: (10 * gib, "free on a test GPU"))
    real_estimate = R.estimate

    def no_cpu_training_probe(*a, train=True, **k):
        assert not train, "a GPU run's step must be measured on the GPU, not probed on the CPU"
        return real_estimate(*a, train=train, **k)

    monkeypatch.setattr(R, "estimate", no_cpu_training_probe)
    cfg = RunConfig(task="denoise", loss="l1", device_type="cuda", precision="bf16")
    measured = lambda c: 6 * gib  # noqa: E731 - the step as measured on the GPU
    R.check_fits([cfg], torch.device("cuda"), share=1, measure=measured)  # 6 of 10 GiB: fits alone
    with pytest.raises(UserError, match=r"6\.0 GiB.*5\.0 GiB.*shared by 2 runs"):
        R.check_fits([cfg], torch.device("cuda"), share=2, measure=measured)


def test_slurm_cpus_reach_the_job_and_its_threads(tmp_path, monkeypatch):
    """``--slurm-cpus N`` asks SLURM for N cores per job and trains on N torch threads (every job got
    one core and one thread, whatever the nodes had, and no flag changed it); below 1 is one line."""
    import submitit

    asked = {}
    update = submitit.AutoExecutor.update_parameters

    def spy(self, **kw):
        asked.update(kw)
        return update(self, **kw)

    monkeypatch.setattr(submitit.AutoExecutor, "update_parameters", spy)
    out = tmp_path / "cpus"
    one_run = ["--losses", "l1", "--seeds", "0"]  # TINY's grid of 4 at 2 threads: one run tells the same
    assert main([*TINY, *one_run, "--executor", "slurm", "--submitit-cluster", "debug", "--slurm-cpus", "2",
                 "--no-report", "--out", str(out)]) == 0
    assert asked["cpus_per_task"] == 2
    threads = [m["threads"] for m in ResultsStore(out).metas() if "threads" in m]
    assert len(threads) == 1 and set(threads) == {2}, threads
    assert main([*TINY, "--executor", "slurm", "--submitit-cluster", "debug", "--slurm-cpus", "0", "--no-report",
                 "--out", str(tmp_path / "zero")]) == 2


def test_slurm_cpus_in_a_config_files_executor_block(tmp_path):
    from benchmark.config import GridSpec

    f = tmp_path / "grid.yaml"
    f.write_text("executor: {name: slurm, cpus: 8}\n")
    assert GridSpec.from_file(f).slurm_cpus == 8
