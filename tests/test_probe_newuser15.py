"""Probe (a new user's first hour, session 15): the CLI and the Python API refuse the same mistakes alike."""

from __future__ import annotations

import pytest

from benchmark import api
from benchmark.cli import main
from benchmark.errors import UserError

SMALL = dict(tasks=["denoise"], losses=["l1"], seeds=[0], iterations=1, metrics=["psnr"], budget_check=False)


@pytest.fixture
def no_training(monkeypatch):
    """A grid that got as far as training fails the test at once (and trains nothing)."""
    import benchmark.executors

    def trained(*a, **k):
        raise AssertionError("the grid was trained: the setting went unused")

    monkeypatch.setattr(benchmark.executors, "execute", trained)


def test_api_run_refuses_workers_per_gpu_on_the_cpu_as_the_flag_is(tmp_path, no_training, capsys):
    """`--workers-per-gpu 2 --device cpu` is refused in one line; api.run(workers_per_gpu=2, device='cpu') trained
    the whole grid in one process, the setting dropped without a word."""
    assert main(["run", "--workers-per-gpu", "2", "--device", "cpu", "--out", str(tmp_path / "cli")]) == 2
    assert "--workers-per-gpu 2 shares a GPU between runs, and this grid runs on the CPU: use --workers 2" \
        in capsys.readouterr().err
    with pytest.raises(UserError) as err:
        api.run(workers_per_gpu=2, device="cpu", out=str(tmp_path / "api"), report=False, **SMALL)
    assert str(err.value) == ("api.run(): workers_per_gpu 2 shares a GPU between runs, and this grid runs on the CPU: "
                              "use workers=2 for 2 processes, or drop it")
    with pytest.raises(UserError, match=r"^api.run\(\): workers_per_gpu 2: executor='slurm' does not share a GPU"):
        api.run(workers_per_gpu=2, executor="slurm", device="cpu", out=str(tmp_path / "api"), report=False, **SMALL)


def test_api_run_refuses_another_executors_setting_as_the_flag_is(tmp_path, no_training, capsys):
    """`--executor local --slurm-mem 32G` is refused; api.run(executor='local', slurm_mem='32G') and
    api.run(executor='ray', slurm_partition='gpu') trained with the setting unused."""
    assert main(["run", "--executor", "local", "--slurm-mem", "32G", "--out", str(tmp_path / "cli")]) == 2
    assert "--slurm-mem is an option of --executor slurm, and this grid runs with --executor local" \
        in capsys.readouterr().err
    with pytest.raises(UserError) as err:
        api.run(executor="local", slurm_mem="32G", out=str(tmp_path / "api"), report=False, **SMALL)
    assert str(err.value) == ("api.run(): slurm_mem is a setting of executor='slurm', and this grid runs with "
                              "executor='local': pass executor='slurm', or drop it")
    with pytest.raises(UserError, match=r"^api.run\(\): slurm_partition, slurm_time are settings of "
                                        r"executor='slurm', and this grid runs with executor='ray'"):
        api.run(executor="ray", slurm_partition="gpu", slurm_time="1:00:00", device="cpu", out=str(tmp_path / "api"),
                report=False, **SMALL)


def test_a_config_files_other_executor_settings_stay_unused_under_api_run(tmp_path, monkeypatch):
    """A config file's executor block may hold another executor's settings and workers_per_gpu (configs/full.yaml):
    api.run(config=…, executor='local', device='cpu') leaves them unused, as `--config … --executor local` does."""
    import benchmark.config

    seen = {}

    def planned(spec, *a, **k):  # the checks before planning passed: stop there
        seen["executor"] = spec.resolved().executor
        raise KeyboardInterrupt

    monkeypatch.setattr(benchmark.config, "build_configs", planned)
    grid = tmp_path / "grid.yaml"
    grid.write_text("executor: {name: slurm, partition: gpu, mem: 32G}\nworkers_per_gpu: 2\n")
    with pytest.raises(KeyboardInterrupt):
        api.run(config=grid, executor="local", device="cpu", out=str(tmp_path / "api"), report=False, **SMALL)
    assert seen == {"executor": "local"}
