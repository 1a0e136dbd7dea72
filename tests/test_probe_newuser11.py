"""Probe of a new user's first hour, from a fresh clone: run_all.py, benchmark/cli.py, config.py, configs, README."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from conftest import use_shared_datasets


def test_the_help_examples_write_to_results_folders_that_do_not_nest():
    """``plbench run --help`` showed ``--train-data my_photos/train --test-data my_photos/test --out results/mine``
    — a new user's own photos, right after the README's first command, which writes to ``results``: copied, it was
    refused ("results/mine is inside the results directory …"). Every ``--out`` a command's examples name sits
    beside the default results directory, not inside it."""
    from benchmark.cli import EXAMPLES, build_parser
    from benchmark.config import RUN_DEFAULTS

    default = Path(RUN_DEFAULTS["out"])
    outs = {}
    for examples in EXAMPLES.values():
        for example in examples:
            words = shlex.split(example)
            words = words[next(i for i, w in enumerate(words) if w == "plbench"):]  # after HF_HUB_OFFLINE=0
            args = build_parser().parse_args(words[1:])
            out = getattr(args, "out", None)
            if out:
                outs[Path(out)] = example
    assert outs, "no example names an --out"
    nested = sorted(f"{out} inside {default}: {ex}" for out, ex in outs.items()
                    if out != default and out.is_relative_to(default))
    assert not nested, nested


@pytest.mark.parametrize("typed", ["my_photos/tset", "my_photo/test", "./my_photo/test", "my_photo/tset"])
def test_a_mistyped_photo_folder_names_the_folder_meant(typed, tmp_path, monkeypatch):
    """A new user's own photos, ``--test-data my_photos/tset`` (for ``my_photos/test``): the path reads as a hub id
    (owner/name), so the error was three lines' worth of hub cache and ``huggingface-cli download my_photos/tset``,
    with no word of the folder meant; ``./my_photo/test`` (a folder on the way misspelt) said only "dataset folder not
    found". Both now name the folder that is there, written as the path was given."""
    from benchmark.config import DataSpec
    from benchmark.data import load_images
    from benchmark.errors import UserError

    (tmp_path / "my_photos" / "test").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    meant = ("./" if typed.startswith("./") else "") + "my_photos/test"
    with pytest.raises(UserError, match=rf"^dataset folder not found: {re.escape(typed)} .*; did you mean "
                                        rf"{re.escape(meant)}\?"):
        load_images(DataSpec.parse(typed, role="test"))


@pytest.mark.parametrize("flags, named", [
    (["--slurm-partition", "gpu", "--slurm-time", "4:00:00"], "--slurm-partition, --slurm-time"),
    (["--ray-address", "auto"], "--ray-address"),
    (["--submitit-cluster", "local"], "--submitit-cluster"),
    (["--executor", "ray", "--slurm-mem", "32G"], "--slurm-mem"),
])
def test_another_executors_flags_are_refused_not_ignored(flags, named, tmp_path, capsys):
    """``plbench run --profile full --slurm-partition gpu --slurm-gpus 1 --slurm-time 4:00:00`` (the README's SLURM
    line without its ``--executor slurm``) trained the whole grid here, on the login node, in one process: every
    SLURM (and Ray) option was dropped without a word when the executor was local. A flag of an executor the grid
    does not use is one line naming it and ``--executor``, before anything is read or written."""
    from benchmark.cli import main

    out = tmp_path / "r"
    argv = ["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--metrics", "psnr", "--no-budget-check",
            "--out", str(out), *flags]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert named in err[0] and "--executor" in err[0], err[0]
    assert not out.exists()


def test_a_config_files_executor_settings_are_not_refused_when_a_flag_runs_the_grid_here(tmp_path, capsys):
    """The check above is of flags: a config file written for SLURM (``executor: {name: slurm, partition: gpu}``)
    still runs here with ``--executor local`` (flags override the file), its SLURM settings unused."""
    from benchmark.cli import main

    cfg = tmp_path / "grid.yaml"
    cfg.write_text("tasks: [denoise]\nlosses: [l1]\nseeds: [0]\nmetrics: [psnr]\nbudget_check: false\n"
                   "executor: {name: slurm, partition: gpu, time: '4:00:00'}\n")
    argv = ["run", "--config", str(cfg), "--executor", "local", "--iterations", "0", "--out", str(tmp_path / "r")]
    assert main(argv) == 2  # refused for its iterations only: the executor settings pass
    assert "--iterations must be positive" in capsys.readouterr().err


ROOT = Path(__file__).resolve().parents[1]


def test_a_shipped_configs_shared_images_are_found_where_the_profiles_find_them(tmp_path, monkeypatch):
    """``plbench run --config configs/cpu.yaml`` (the README's CPU profile) names ``../shared/datasets/BSD200``,
    read from the current directory: from a clone that is not beside ``shared/`` — PLBENCH_SHARED_DATASETS set, as
    the README says the standard and full profiles and the tests honour — or from any directory but the
    repository's root, it was 'dataset folder not found: ../shared/datasets/BSD200'. A config's
    ``../shared/datasets/…`` not there from here is now read where the profiles read the shared images; one that
    is there from here is read there, as before."""
    from benchmark.config import GridSpec

    shared = tmp_path / "elsewhere" / "datasets"
    for folder in ("BSD200", "T91", "CSet5", "CSet14"):
        (shared / folder).mkdir(parents=True)
    use_shared_datasets(monkeypatch, shared)
    (tmp_path / "clone").mkdir()
    monkeypatch.chdir(tmp_path / "clone")  # no ../shared here
    spec = GridSpec.from_file(ROOT / "benchmark" / "configs" / "cpu.yaml")
    sources = [*spec.train_data, *spec.test_data]
    assert len(sources) == 4 and all(Path(s).parent == shared for s in sources), sources
    (tmp_path / "shared" / "datasets" / "BSD200").mkdir(parents=True)  # beside this directory: read from here
    spec = GridSpec.from_file(ROOT / "benchmark" / "configs" / "cpu.yaml")
    assert spec.train_data[0] == "../shared/datasets/BSD200" and Path(spec.train_data[1]).parent == shared
    (tmp_path / "shared").rename(tmp_path / "moved")  # nowhere: the error names the variable that says where
    use_shared_datasets(monkeypatch, tmp_path / "nowhere")
    from benchmark.config import DataSpec
    from benchmark.data import load_images
    from benchmark.errors import UserError

    token = GridSpec.from_file(ROOT / "benchmark" / "configs" / "cpu.yaml").train_data[0]
    with pytest.raises(UserError, match=r"^dataset folder not found: \.\./shared/datasets/BSD200 .*PLBENCH_SHARED_DAT"):
        load_images(DataSpec.parse(token, role="train"))


@pytest.mark.parametrize("command", ["report", "findings", "check", "calibrate"])
def test_a_mistyped_results_folder_names_the_one_meant(command, tmp_path, monkeypatch, capsys):
    """``plbench report --out resluts`` said 'no results in resluts: no such directory (run `plbench run --out
    resluts` first …)' — sending the user to train the whole grid again into the misspelt folder — while
    ``results`` sat beside it; every misspelt name and path elsewhere has its 'did you mean'. It names the folder."""
    from benchmark.cli import main

    (tmp_path / "results" / "runs").mkdir(parents=True)
    (tmp_path / "results" / "store.json").write_text("{}")
    monkeypatch.chdir(tmp_path)
    assert main([command, "--out", "resluts"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: no results in") and "; did you mean results?" in err, err
    assert not (tmp_path / "resluts").exists()


@pytest.mark.slow  # plans a one-run grid (data, loss probe): a few seconds
def test_a_dry_run_refuses_a_grid_no_metric_of_which_can_be_scored(tmp_path, monkeypatch, capsys):
    """``plbench run --metrics lpips --dry-run`` offline (lpips's backbone not cached) warned 'metric lpips skipped'
    and estimated 0.40 h for a grid that the same command without --dry-run refuses at once ('no metric of this grid
    can be scored here … nothing trained'). The dry run refuses it as the run does."""
    import benchmark.metrics
    from benchmark.cli import main

    class NoMetric:  # every metric asked for skipped, as lpips is offline without its backbone's weights
        def __init__(self, names, device):
            self.metrics, self.skipped = [], {n: "its weights are not cached" for n in names}

    monkeypatch.setattr(benchmark.metrics, "MetricSet", NoMetric)
    argv = ["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--metrics", "psnr", "--no-budget-check",
            "--iterations", "2", "--device", "cpu", "--out", str(tmp_path / "r")]
    assert main([*argv, "--dry-run"]) == 2
    dry = capsys.readouterr().err.strip().splitlines()[-1]
    assert dry.startswith("error: no metric of this grid can be scored here (psnr: its weights are not cached)"), dry
