"""Review of a new user's first hour (af9928e..probe-newuser): config paths, executor flags, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import use_shared_datasets


def test_a_configs_own_shared_folder_beside_it_is_not_swapped_for_the_shared_images(tmp_path, monkeypatch):
    """A user's ``proj/configs/my.yaml`` naming ``../shared/datasets/BSD200`` — their own copy at
    ``proj/shared/datasets/BSD200``, beside the config — run from ``proj``: it was refused with the path to write
    ('it is at …'); the shared-images fallback then read the *shared* BSD200 instead, silently (an INFO line), a
    different folder of the same name. Where the path exists beside the config and is not the shared folder, the
    refusal naming it stands; where only the shared folder has it, it is read there."""
    from benchmark.config import GridSpec
    from benchmark.errors import UserError

    shared = tmp_path / "elsewhere" / "datasets"
    (shared / "BSD200").mkdir(parents=True)
    (shared / "T91").mkdir(parents=True)
    use_shared_datasets(monkeypatch, shared)
    proj = tmp_path / "home" / "proj"
    (proj / "configs").mkdir(parents=True)
    (proj / "shared" / "datasets" / "BSD200").mkdir(parents=True)  # the user's own, beside the config
    cfg = proj / "configs" / "my.yaml"
    cfg.write_text("train_data: [../shared/datasets/BSD200]\n")
    monkeypatch.chdir(proj)  # ../shared/datasets/BSD200 is not there from here
    with pytest.raises(UserError, match=r"is not in .*it is at .*configs/\.\./shared/datasets/BSD200: write that path"):
        GridSpec.from_file(cfg)
    cfg.write_text("train_data: [../shared/datasets/T91]\n")  # only the shared folder has it: read there
    assert GridSpec.from_file(cfg).train_data == (str(shared / "T91"),)


@pytest.mark.parametrize("exists", [True, False])
def test_a_run_refused_for_a_read_only_folder_says_why(tmp_path, monkeypatch, exists):
    """``plbench run --out <a read-only mount>`` said 'results directory … is not writable: `plbench run` writes …'
    (or, for a folder to create there, 'cannot create results directory …: … is not writable') without the reason —
    a read-only file system, a permission — which ``report`` on the same folder gives ('(Read-only file system)').
    Both lines now give it, as report's does."""
    import os

    from benchmark.errors import UserError
    from benchmark.results import ResultsStore

    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, *a, **k: False if Path(p) == tmp_path else real(p, mode))
    out = tmp_path if exists else tmp_path / "results"
    with pytest.raises(UserError, match=r"not writable \(permission denied\)"):
        ResultsStore(out).preflight()


@pytest.mark.parametrize("extra", [["--device", "cpu"], ["--device", "cpu", "--workers", "auto"],
                                   ["--executor", "slurm", "--device", "cuda"]])
def test_workers_per_gpu_where_no_gpu_is_shared_is_refused(tmp_path, capsys, extra):
    """``plbench run --workers-per-gpu 2 --device cpu`` trained the grid in one process, the flag dropped without a
    word (``--workers auto`` too: one worker, no GPU to multiply); ``--executor slurm`` takes no such option (a job
    gets ``--slurm-gpus``). The flag is one line naming what to use instead, before anything is read; a config
    file's ``workers_per_gpu`` (configs/full.yaml) under ``--device cpu`` is left unused, as before."""
    from benchmark.cli import main

    out = tmp_path / "r"
    assert main(["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--workers-per-gpu", "2", *extra,
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--workers-per-gpu" in err and not out.exists(), err
    assert ("--workers 2" in err) if "slurm" not in extra else ("--slurm-gpus" in err), err


def test_a_configs_workers_per_gpu_is_not_refused_under_device_cpu(tmp_path, capsys):
    from benchmark.cli import main

    cfg = tmp_path / "g.yaml"
    cfg.write_text("executor: {name: local, workers: auto, workers_per_gpu: 2}\n")
    argv = ["run", "--config", str(cfg), "--device", "cpu", "--iterations", "0", "--out", str(tmp_path / "r")]
    assert main(argv) == 2  # refused for its iterations only
    assert "--iterations must be positive" in capsys.readouterr().err


@pytest.mark.slow
def test_the_dry_run_builds_its_metric_set_once(tmp_path, monkeypatch, capsys):
    """``run --dry-run`` built the grid's MetricSet (every metric's nets and weights) once to refuse an unscorable
    grid (runner.require_scorable) and again in perf.estimate_grid to time one evaluation, where the evaluation
    times are not cached: the one it checked is the one it times (slow: times a step)."""
    import benchmark.metrics as metrics
    from benchmark.cli import main

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # no step or evaluation times kept
    built = []
    real = metrics.MetricSet.__init__

    def init(self, *a, **k):
        built.append(a[0] if a else k)
        real(self, *a, **k)

    monkeypatch.setattr(metrics.MetricSet, "__init__", init)
    assert main(["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--no-budget-check", "--metrics",
                 "psnr", "--iterations", "2", "--dry-run", "--out", str(tmp_path / "r")]) == 0
    assert "dry run: 1 run" in capsys.readouterr().out
    assert len(built) == 1, built


def test_a_flags_shared_path_not_found_names_where_the_shared_images_are(tmp_path, monkeypatch):
    """``plbench run --test-data ../shared/datasets/CSet5`` (README: the Kodak24 row, ``pretrain --data …``) from a
    clone not beside ``shared/``, PLBENCH_SHARED_DATASETS set: 'dataset folder not found … (the shared images: set
    PLBENCH_SHARED_DATASETS to the folder holding them …)' — set already, and a flag's path is not read through it
    (a config file's is). Where the shared folder has it, the line names that path to write."""
    from benchmark.config import DataSpec
    from benchmark.data import load_images
    from benchmark.errors import UserError

    shared = tmp_path / "elsewhere" / "datasets"
    (shared / "CSet5").mkdir(parents=True)
    use_shared_datasets(monkeypatch, shared)
    (tmp_path / "clone").mkdir()
    monkeypatch.chdir(tmp_path / "clone")
    with pytest.raises(UserError) as e:
        load_images(DataSpec.parse("../shared/datasets/CSet5", role="test"))
    assert f"it is at {shared / 'CSet5'}: write that path" in str(e.value), e.value
    assert "set PLBENCH_SHARED_DATASETS" not in str(e.value)


@pytest.mark.parametrize("flags, said", [
    (["--executor", "slurm", "--device", "cpu", "--slurm-gpus", "1"], "--device cpu with --slurm-gpus 1"),
    (["--executor", "ray", "--device", "auto"], "--executor ray with --device auto"),
])
def test_a_dry_run_refuses_the_device_the_remote_run_refuses(tmp_path, monkeypatch, capsys, flags, said):
    """``run --executor slurm --device cpu --slurm-gpus 1 --dry-run`` estimated the grid (exit 0) that the same
    command without --dry-run refuses at once ('--device cpu with --slurm-gpus 1: …'), as ``--executor ray --device
    auto``: the dry run planned for this machine and skipped the remote executor's device checks. Estimate stubbed."""
    import benchmark.perf as perf
    from benchmark.cli import main

    monkeypatch.setattr(perf, "estimate_grid", lambda *a, **k: pytest.fail("estimated a grid the run refuses"))
    argv = ["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--metrics", "psnr", *flags,
            "--out", str(tmp_path / "r")]
    for extra in ([], ["--dry-run"]):
        assert main([*argv, *extra]) == 2
        err = capsys.readouterr().err.strip()
        assert said in err and len(err.splitlines()) == 1, (extra, err)


@pytest.mark.slow
def test_the_readmes_one_run_is_a_run_of_the_first_commands_grid():
    """README: the one-run command (``--tasks denoise --losses l1 --seeds 0 --no-budget-check``) 'writes into the
    same results, where the first command then finds that run done' — its run id is one of the quick grid's 90
    (slow: plans both grids)."""
    from benchmark.cli import build_configs, build_parser
    from benchmark.config import run_id
    from benchmark.runner import DataCache

    data, parser = DataCache(), build_parser()
    full = {run_id(c) for c in build_configs(parser.parse_args(["run"]), data)[0]}
    one = build_configs(parser.parse_args(["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0",
                                           "--no-budget-check"]), data)[0]
    assert len(full) == 90 and len(one) == 1 and run_id(one[0]) in full
