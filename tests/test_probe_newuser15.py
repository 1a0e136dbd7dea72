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


@pytest.mark.slow  # ~4 s: two statistics passes (scipy's import among them)
def test_the_latex_warning_says_where_a_character_pdflatex_cannot_typeset_is(caplog):
    """A first run on a folder of one's own photos ('My Photos ✓') warned 'leaderboard.tex: loss names hold
    characters pdfLaTeX cannot typeset (✓)' for a grid of l1 alone: the ✓ was the test data's name in the Setting
    line. The warning now names the line of the .tex that holds one, and a loss's name only where it is one."""
    import dataclasses
    import logging

    from benchmark import stats as S
    from benchmark.export import latex
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("denoise",), seeds=(0, 1), metrics=("psnr",), n_images=6, offsets={"l1": 0.0, "l2": 0.1})
    stats = dataclasses.replace(S.compute(t, n_boot=20), setting="net tiny, test /photos/My Photos ✓")
    with caplog.at_level(logging.WARNING, logger="benchmark.export"):
        tex = latex(stats)
    lines = tex.splitlines()
    line = next(i for i, ln in enumerate(lines, 1) if "✓" in ln and not ln.startswith("%"))
    said = [r.getMessage() for r in caplog.records if "pdfLaTeX" in r.getMessage()]
    assert len(said) == 1 and "loss name" not in said[0], said
    assert f"(✓), first on its line {line}: " in said[0] and "My Photos ✓" in said[0], said
    caplog.clear()
    t2 = synthetic_table(tasks=("denoise",), seeds=(0, 1), metrics=("psnr",), n_images=6,
                         offsets={"l1": 0.0, "感知损失": 0.1})
    with caplog.at_level(logging.WARNING, logger="benchmark.export"):
        latex(S.compute(t2, n_boot=20))
    said = [r.getMessage() for r in caplog.records if "pdfLaTeX" in r.getMessage()]
    assert len(said) == 1 and "(感, 知, 损, 失)" in said[0] and "loss name 感知损失" in said[0], said


def test_a_misspelt_task_in_task_param_names_the_flag(tmp_path, capsys):
    """`--tasks sr4 denoise --task-param sr5.scale=2` said 'unknown task 'sr5'; did you mean sr4?', no flag named: read
    as a typo in --tasks, which names no sr5 (as --loss-tasks' was before 0a35465) → the flag and its item are
    named, the error still an UnknownName."""
    from benchmark.errors import UnknownName

    assert main(["run", "--tasks", "sr4", "denoise", "--task-param", "sr5.scale=2", "--dry-run",
                 "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --task-param 'sr5.scale=2': unknown task 'sr5'; "
                                               "did you mean sr4?"), err
    from benchmark.config import parse_task_params

    with pytest.raises(UnknownName) as e:
        parse_task_params(["denoise.sigma=0.1", "sr5.scale=2"])
    assert (e.value.kind, e.value.name) == ("task", "sr5")


def test_a_data_path_relative_to_the_config_file_is_suggested_whole(tmp_path, monkeypatch):
    """`train_data: "My Photos ✓[holdout=25%]"` in a config beside the folder, run from elsewhere, was refused with
    '(it is at /…/My Photos ✓: write that path)': written so, the hold-out was lost and the test set overlapped the
    training set (refused next) → the suggestion is the whole token, the folder's path with its options."""
    from benchmark.config import GridSpec

    photos = tmp_path / "cfg" / "My Photos ✓"
    photos.mkdir(parents=True)
    grid = tmp_path / "cfg" / "grid.yaml"
    grid.write_text('train_data: "My Photos ✓[holdout=25%]"\ntest_data: "My Photos ✓:test"\n')
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    with pytest.raises(UserError) as err:
        GridSpec.from_file(grid)
    assert str(err.value).endswith(f"(it is at {photos}: write '{photos}[holdout=25%]')"), err.value


def test_a_metric_named_twice_is_warned_and_scored_once(monkeypatch, caplog):
    """`--metrics psnr ssim psnr` passed without a word (a task or seed named twice is warned of) and the grid's
    metric list kept the repeat (handed to the runner and the saved grid as psnr, ssim, psnr) → one warning, as for
    tasks and seeds, and the resolved grid names each metric once."""
    import logging

    import benchmark.config as C

    spec = C.GridSpec(metrics=("psnr", "ssim", "psnr"), tasks=("denoise",))
    assert spec.resolved().metrics == ("psnr", "ssim")

    def stop(*a, **k):  # the checks after the repeats' warning: not needed here
        raise KeyboardInterrupt

    monkeypatch.setattr(C, "check_executor_name", stop)
    with caplog.at_level(logging.WARNING, logger="benchmark.config"), pytest.raises(KeyboardInterrupt):
        C.build_configs(spec)
    assert [r.getMessage() for r in caplog.records] == ["metrics: psnr given more than once: each is scored once"]


def test_a_missing_config_file_is_not_offered_files_that_share_only_its_suffix(tmp_path):
    """`--config grids/nonexist.yaml` in a folder of x.yaml and t.yaml said 'did you mean grids/x.yaml, grids/t.yaml?'
    (the shared '.yaml' made them close) → names are compared without a suffix they share: nothing close, nothing
    offered; a real near miss still is (grid_bgi.yaml → grid_big.yaml, my_los.py → my_loss.py, Cset5 → CSet5)."""
    from benchmark.config import GridSpec
    from benchmark.errors import did_you_mean_path

    for name in ("x.yaml", "t.yaml", "grid_big.yaml", "my_loss.py"):
        (tmp_path / name).write_text("profile: quick\n")
    (tmp_path / "CSet5").mkdir()
    with pytest.raises(UserError) as err:
        GridSpec.from_file(tmp_path / "nonexist.yaml")
    assert str(err.value) == f"config file not found: {tmp_path / 'nonexist.yaml'}", err.value
    assert did_you_mean_path(tmp_path / "grid_bgi.yaml") == f"; did you mean {tmp_path / 'grid_big.yaml'}?"
    assert did_you_mean_path(tmp_path / "my_los.py") == f"; did you mean {tmp_path / 'my_loss.py'}?"
    assert did_you_mean_path(tmp_path / "Cset5") == f"; did you mean {tmp_path / 'CSet5'}?"


def test_one_value_of_a_list_setting_is_named_as_given_when_wrong(tmp_path):
    """`seeds: 0.5` (or api.run(seeds=0.5)) said 'setting seeds expects a list of whole numbers, got [0.5] (a list)':
    a list the user never wrote (one value is read as a list of one) → the value as given: 'got 0.5 (a number)'."""
    from benchmark.config import GridSpec

    grid = tmp_path / "grid.yaml"
    grid.write_text("seeds: 0.5\n")
    with pytest.raises(UserError) as err:
        GridSpec.from_file(grid)
    assert str(err.value) == "grid.yaml: setting seeds expects a list of whole numbers, got 0.5 (a number)"
    with pytest.raises(UserError) as err:
        api.run(seeds=0.5)
    assert str(err.value) == "api.run(): setting seeds expects a list of whole numbers, got 0.5 (a number)"
