"""Probe of overnight & new-user leftovers (session 14, fa): each test failed on the code before its fix."""

from __future__ import annotations

import pytest


def _cheap_config(seed: int = 0, loss: str = "l1"):
    """A denoise config on the embedded photos, not resolved (no image decoded: its run id all the same)."""
    from benchmark.config import RunConfig
    from benchmark.data import DataSpec

    return RunConfig(task="denoise", loss=loss, seed=seed, iterations=2, crop=16, batch_size=1,
                     train_data=(DataSpec.parse("skimage:train", role="train"),),
                     test_data=(DataSpec.parse("skimage:test", role="test"),))


def test_a_bug_in_a_one_process_grid_carries_the_grids_summary(tmp_path, monkeypatch):
    """`plbench run` without --workers: a bug (not bad input) escaping run_grid after hours of runs reached the CLI
    bare — no summary to say before its line, as a worker's bug (WorkerFailed) and a full disk have one. It is the
    same exception now (its type and traceback kept), with the grid's summary."""
    from benchmark import executors, runner
    from benchmark.runner import GridSummary

    def a_bug(*_a, **_k):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(runner, "run_grid", a_bug)
    configs = [_cheap_config(0), _cheap_config(1)]
    with pytest.raises(ZeroDivisionError) as exc:
        executors.execute_local(configs, tmp_path / "r", ("psnr",), "cpu", workers=1)
    summary = getattr(exc.value, "summary", None)
    assert isinstance(summary, GridSummary), summary
    assert summary.locked == 2 and summary.trained == 0, summary


@pytest.mark.slow  # one run trained (3 s)
def test_a_one_process_night_ending_on_a_bug_sums_up_writes_its_board_and_ends_on_the_bug(tmp_path, monkeypatch,
                                                                                          caplog, capsys):
    """Through the CLI, no --workers: the night's summary, its board (the run trained before the bug), then the bug's
    line, exit 1 — as a worker's bug has since 3027ce0."""
    import logging

    from test_probe_overnight12 import _photos

    from benchmark import runner
    from benchmark.cli import main

    real, calls = runner._run_locked, []

    def second_run_meets_a_bug(*a, **k):
        calls.append(1)
        if len(calls) > 1:
            raise ZeroDivisionError("division by zero")
        return real(*a, **k)

    monkeypatch.setattr(runner, "_run_locked", second_run_meets_a_bug)
    data = _photos(tmp_path)
    args = ["run", "--tasks", "denoise", "--losses", "l1", "l2", "--seeds", "0", "--iterations", "3", "--crop", "24",
            "--batch-size", "2", "--metrics", "psnr", "--train-data", str(data["train_data"][0]),
            "--test-data", str(data["test_data"][0]), "--device", "cpu", "--no-progress", "--no-budget-check",
            "--out", str(tmp_path / "r")]
    with caplog.at_level(logging.INFO, logger="benchmark"):
        assert main(args) == 1
    assert "trained 1, skipped 0 (already done), re-scored 0, diverged 0, failed 0, 1 unfinished" in caplog.text
    out, err = capsys.readouterr()
    assert "leaderboard: " in out and (tmp_path / "r" / "leaderboard.md").exists()
    assert list((tmp_path / "r" / "grids").glob("*.yaml")), "the grid is saved"
    assert err.strip().splitlines()[-1].startswith("error: internal error: ZeroDivisionError: division by zero"), err


@pytest.mark.parametrize("command", [["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--out"],
                                     ["perf", "--losses", "l1", "--net"], ["compare", "--loss", "l1", "--out"]])
@pytest.mark.parametrize("device", ["tpu", "mps", "cuda:7"])
def test_a_bad_device_flag_is_named_as_the_flag(tmp_path, capsys, monkeypatch, command, device):
    """`--device tpu` said 'unknown device 'tpu': use auto, …' and `--device cuda:7` on a machine without it
    'device 'cuda:7' requested but CUDA is not available here' — no flag named, where a config file's device is
    named with its file ('grid.yaml: unknown device …') and other flags' errors name the flag (`--lr must be …`)."""
    import torch

    from benchmark.cli import main

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    value = "tiny" if command[0] == "perf" else str(tmp_path / "r")
    assert main([*command, value, "--device", device]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: --device: ") and repr(device) in err, err


@pytest.mark.parametrize("time, minutes, said", [(5, 5, "0:05:00"), ("90", 90, "1:30:00"),
                                                 ("8:00:00", 480, "8:00:00"), ("2-12", 3600, "2-12:00:00")])
def test_the_slurm_submission_says_each_jobs_time_limit_and_a_bare_number_is_minutes(tmp_path, monkeypatch, caplog,
                                                                                      time, minutes, said):
    """`executor: {name: slurm, time: 5}` (meant as 5 hours?) was handed to sbatch as --time=5 — five minutes, as
    SLURM reads a bare number — and nothing said so: the jobs were stopped (and requeued) every five minutes. The
    submission line says each job's limit, and that a bare number was read as minutes."""
    import logging
    import sys
    from pathlib import Path

    import submitit

    import benchmark.executors as ex

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import fake_slurm

    submitted = fake_slurm.count_submissions(monkeypatch, {"trained": 1})
    with caplog.at_level(logging.INFO, logger="benchmark.executors"):
        ex.execute_slurm([_cheap_config()], tmp_path / "r", ("psnr",), "cpu", time=time, split="run")
    assert submitted == [1] and submitit.AutoExecutor.params["timeout_min"] == minutes
    line = next(r.getMessage() for r in caplog.records if "1 job submitted" in r.getMessage())
    assert f"time limit {said} per job" in line, line
    assert ("a bare number is minutes, as sbatch reads it" in line) == str(time).isdigit(), line


def test_loss_tasks_naming_a_loss_close_to_one_the_grid_trains_is_warned_with_did_you_mean(caplog):
    """`--loss-tasks "lpips(net='alx')=sr4"` beside `--losses "lpips(net='alex')"` was logged at INFO ('names …,
    which this grid does not train: ignored') and the typo went unnoticed: lpips trained on every task all night.
    A name close to a trained loss is a one-line warning with did-you-mean; one far from all (a narrower --losses,
    documented) is ignored at INFO as before."""
    import logging

    from benchmark.config import _restricted_tasks

    grid = ["lpips(net='alex')", "l1"]
    with caplog.at_level(logging.INFO, logger="benchmark.config"):
        only = _restricted_tasks([("lpips(net='alx')", ("sr4",)), ("ssim", ("sr4",))], grid, ["sr4", "denoise"],
                                 "--loss-tasks")
    assert only == {}
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warned == ["--loss-tasks names lpips(net='alx'), which this grid does not train: ignored; did you mean "
                      "lpips(net='alex')?"], warned
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert info == ["--loss-tasks names ssim, which this grid does not train: ignored"], info


@pytest.mark.parametrize("entry, said", [("l1=sr5", "unknown task 'sr5'; did you mean sr4?"),
                                         ("l11=sr4", "unknown loss 'l11'; did you mean l1?")])
def test_a_misspelt_name_in_loss_tasks_names_the_flag(entry, said):
    """`--tasks sr4 denoise --loss-tasks l1=sr5` was refused as 'unknown task 'sr5'; did you mean sr4?' — read as a
    typo in --tasks, which names no sr5. The flag is named now, as a config file's loss_tasks names its file."""
    from benchmark.config import GridSpec, build_configs
    from benchmark.errors import UserError

    spec = GridSpec(tasks=("sr4", "denoise"), losses=("l1", "l2"), seeds=(0,), loss_tasks=(
        (entry.split("=")[0], (entry.split("=")[1],)),), device="cpu")
    with pytest.raises(UserError) as exc:
        build_configs(spec, data=None)
    assert str(exc.value).startswith(f"--loss-tasks: {said}"), exc.value


def test_a_bare_slurm_memory_in_sbatchs_megabytes_is_refused_with_the_unit_to_write(tmp_path):
    """`--slurm-mem 16000` (or `executor: {mem: 16000}`), sbatch's bare number (megabytes), read here as 16000 GB —
    a bare number is GB in plbench — and handed to sbatch as --mem=16000GB: a job no node can hold. A bare number of
    a terabyte or more is refused naming both units; 16000M, 16G, 32 and 2T pass as before."""
    from benchmark.config import GridSpec
    from benchmark.errors import UserError
    from benchmark.executors import check_slurm_options, parse_mem_gb

    for text in ("16000", 16000, "2048"):
        with pytest.raises(UserError) as exc:
            parse_mem_gb(text)
        said = str(exc.value)
        assert said.startswith(f"--slurm-mem {text!r} reads as {float(text):g} GB") and f"{text}M" in said, said
    assert parse_mem_gb("16000M") == pytest.approx(15.625) and parse_mem_gb(32) == 32.0
    assert parse_mem_gb("2T") == 2048.0 and parse_mem_gb("1000") == 1000.0
    (tmp_path / "grid.yaml").write_text("executor: {name: slurm, mem: 16000}\n")
    spec = GridSpec.from_file(tmp_path / "grid.yaml")
    with pytest.raises(UserError, match=r"^grid\.yaml: executor\.mem '?16000'? reads as 16000 GB"):
        check_slurm_options(spec.slurm_time or "8:00:00", spec.slurm_mem, None, named=spec.named)
