"""Probe of a new user's first hour (session 12): flags, config keys and messages a new user meets."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("flags", [["--no-budget-check", "--budget-check"], ["--budget-check", "--no-budget-check"],
                                   ["--compile", "--no-compile"], ["--no-compile", "--iterations", "5", "--compile"]])
def test_contradictory_paired_flags_are_refused(flags, capsys):
    """``--no-budget-check --budget-check`` (a line edited by appending) silently took the last one: the grid ran
    with its budget checks, a third more time, where the user had asked for none. Each such pair is refused in one
    line naming both flags, exit 2; the same flag twice is not a contradiction."""
    from benchmark.cli import build_parser

    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["run", *flags])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    first, second = [f for f in flags if f.startswith("--") and f != "--iterations"]
    assert err.startswith("error: ") and first in err and second in err, err


def test_a_paired_flag_twice_is_not_refused():
    from benchmark.cli import build_parser

    args = build_parser().parse_args(["run", "--no-budget-check", "--no-budget-check", "--compile", "--compile"])
    assert args.budget_check is False and args.compile is True


@pytest.mark.parametrize("text, meant", [("executor: slurmm\n", "slurm"), ("executor: {name: rey}\n", "ray"),
                                         ("executor: Local\n", "local"), ("logger: tensorbord\n", "tensorboard")])
def test_a_misspelt_executor_or_logger_in_a_config_file_is_named_with_the_one_meant(text, meant, tmp_path, capsys):
    """``executor: slurmm`` in a config file: 'unknown executor 'slurmm' (choose from local, ray, slurm)', no word of
    the file, nor the "did you mean" every other misspelt name of a config file gets (profile, net, task, loss,
    metric); ``logger: tensorbord`` the same. Both now name the file and the close spelling, before any data is read
    (the run's own order of checks: ``plbench run --config``)."""
    from benchmark.config import GridSpec
    from benchmark.errors import UserError

    path = tmp_path / "grid.yaml"
    path.write_text(text)
    with pytest.raises(UserError, match=rf"^grid\.yaml: unknown \w+ '\w+'; did you mean {meant}\? \(choose from "):
        GridSpec.from_file(path)


def test_a_misspelt_executor_given_to_the_api_is_named_with_the_one_meant():
    from benchmark.config import GridSpec
    from benchmark.errors import UserError
    from benchmark.executors import executor_options

    with pytest.raises(UserError, match=r"^api\.run\(\): unknown executor 'slurmm'; did you mean slurm\?"):
        GridSpec.from_mapping({"executor": "slurmm"}, "api.run()")
    spec = GridSpec(executor="slurmm").resolved()  # built directly: the executors' own check says the same
    with pytest.raises(UserError, match=r"^unknown executor 'slurmm'; did you mean slurm\?"):
        executor_options(spec)


def test_a_rerun_at_crop_42_says_the_sr4_runs_recorded_at_42_are_not_reused(tmp_path, caplog):
    """A store holding sr4 runs of ``--crop 42`` made before sr4 recorded the crop it trains (6738650: id crop 42,
    40-px crops): the same command again plans crop-40 ids and trains every one of them again. The only word was
    planning's "--crop 42 trains 40-px crops for task sr4 …", nothing of the runs it would not reuse (as a store's
    runs made by other code or with the data at other paths are named). The rerun and its dry run now say how many,
    at which recorded crop, and how to report them."""
    import dataclasses
    import logging

    from benchmark.cli import _warn_runs_kept_apart
    from benchmark.config import RunConfig, resolve, run_id
    from benchmark.results import ResultsStore
    from benchmark.runner import made_at_untrained_crop

    old = [dataclasses.replace(resolve(RunConfig(task="sr4", loss="l1", crop=40, seed=s)), crop=42) for s in (0, 1)]
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    for c in old:
        store.write_meta(run_id(c), {"run_id": run_id(c), "status": "ok", "config": c.to_dict()})
    grid = [resolve(RunConfig(task=t, loss="l1", crop=42, seed=s)) for t in ("sr4", "denoise") for s in (0, 1, 2)]
    assert {c.crop for c in grid if c.task == "sr4"} == {40}
    assert made_at_untrained_crop(store, grid) == {("sr4", 42): 2}  # seed 2 was never run; denoise trains at 42
    with caplog.at_level(logging.WARNING):
        _warn_runs_kept_apart(store, grid)
    said = [r.getMessage() for r in caplog.records if "recorded at crop 42" in r.getMessage()]
    assert len(said) == 1 and "2 of the 6 runs" in said[0] and "sr4" in said[0] and "crop=42" in said[0], said
    assert made_at_untrained_crop(store, old) == {}  # a plan of the old ids (compare's field): nothing to say


@pytest.mark.parametrize("setting, said", [({"slurm_cpus": 0}, r"--slurm-cpus must be at least 1, got 0"),
                                           ({"slurm_time": "bogus"}, r"--slurm-time 'bogus' is not a positive time"),
                                           ({"slurm_time": "0"}, r"--slurm-time '0' is not a positive time"),
                                           ({"slurm_mem": "32X"}, r"--slurm-mem '32X' is not a memory size")])
def test_a_bad_slurm_option_is_refused_before_planning_and_by_the_dry_run(setting, said):
    """``run --executor slurm --slurm-time bogus --dry-run`` (``--slurm-cpus 0``, ``--slurm-mem 32X``) estimated the
    grid, exit 0; without ``--dry-run`` the grid was planned — every image read, every loss probed — before
    execute_slurm refused the option. executor_options, which ``run`` and its dry run call before any data is read,
    now checks them as the submission does."""
    from benchmark.config import GridSpec
    from benchmark.errors import UserError
    from benchmark.executors import executor_options

    spec = GridSpec(executor="slurm", device="cpu", **setting).resolved()
    with pytest.raises(UserError, match="^" + said):
        executor_options(spec)
    assert executor_options(GridSpec(executor="slurm", device="cpu", slurm_time="1:30:00", slurm_mem="500M",
                                     slurm_cpus=2).resolved())["cpus_per_task"] == 2


def _done_store(tmp_path, configs):
    from benchmark.config import run_id
    from benchmark.results import ResultsStore

    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    for c in configs:
        store.write_meta(run_id(c), {"run_id": run_id(c), "status": "ok", "config": c.to_dict()})
        store.write_eval(run_id(c), [], ["psnr"], {})  # scored: a run lacking a metric is evaluated again
    return store


def test_the_dry_run_estimates_only_the_runs_the_results_do_not_hold(tmp_path, monkeypatch, capsys):
    """The README's overnight grid stopped after 300 of its 345 runs: ``run --dry-run`` again estimated all 345 (a
    night) for what the run itself would train (45: "300 of 345 runs already have results; skipping them"), and with
    every run done it still opened every metric (seconds to minutes: the full profile's weights) and timed the grid.
    It now says how many runs the results hold and estimates the rest; with none left, it times nothing."""
    import torch

    import benchmark.metrics
    import benchmark.perf
    from benchmark import cli
    from benchmark.config import RunConfig, resolve

    grid = [resolve(RunConfig(task="denoise", loss=loss, iterations=4, batch_size=2, crop=32)) for loss in ("l1", "l2")]
    estimated, built = [], []

    def estimate(configs, *args, **kwargs):
        estimated.append(list(configs))
        return {"runs": len(configs), "seconds": 1.0, "train_s": 1.0, "eval_s": 0.0, "by_task": {"denoise": 1.0},
                "by_family": {"pixel": 1.0}, "ms_per_step": {}, "probes": [], "measured": 0, "reused": 0,
                "cache": "x", "device": "cpu"}

    class Metrics:
        metrics, skipped = ["psnr"], {}

        def __init__(self, *args):
            built.append(args)

    monkeypatch.setattr(benchmark.perf, "estimate_grid", estimate)
    monkeypatch.setattr(benchmark.metrics, "MetricSet", Metrics)
    monkeypatch.setattr(cli, "_check_fits_as_the_run", lambda *a, **k: None)
    args = type("Args", (), {"dry_run": True})()
    store = _done_store(tmp_path, grid[:1])
    assert cli._dry_run(args, grid, ("psnr",), torch.device("cpu"), "quick", {}, store=store) == 0
    assert estimated == [grid[1:]] and len(built) == 1
    out = capsys.readouterr().out
    assert "1 of the 2 runs already has results" in out and "dry run: 1 run " in out, out
    store = _done_store(tmp_path, grid)
    assert cli._dry_run(args, grid, ("psnr",), torch.device("cpu"), "quick", {}, store=store) == 0
    assert estimated == [grid[1:]] and len(built) == 1  # nothing timed, no metric opened
    assert "every one of the 2 runs already has results" in capsys.readouterr().out


@pytest.mark.parametrize("text, time, mem", [
    ("executor: {name: slurm, time: 4:00:00, mem: 32G}\n", "4:00:00", "32G"),  # the README's --slurm-time, in YAML
    ("executor: {name: slurm, time: 1:30}\n", "1:30", None),
    ("slurm_time: 2-12:00:00\nslurm_mem: 32\n", "2-12:00:00", "32"),
    ("executor: {name: slurm, time: 90, mem: 0.5}\n", "90", "0.5"),  # minutes and GB, as the flags read them
])
def test_a_slurm_time_limit_in_a_config_file_is_read_as_written(text, time, mem, tmp_path):
    """``executor: {name: slurm, time: 4:00:00}`` — the README's ``--slurm-time 4:00:00`` in a config file — was
    refused: 'setting slurm_time expects text, got 14400 (a whole number)' (YAML 1.1 reads 4:00:00 as a base-60
    integer, a number the user never wrote), and so were ``time: 90`` (minutes) and ``mem: 32`` (GB), which the flags
    take. A base-60 number is text, as in YAML 1.2 (the config reader's 1e-3 already is), and a number given for
    the time or memory is read as the flag reads it."""
    from benchmark.config import GridSpec
    from benchmark.executors import executor_options

    path = tmp_path / "grid.yaml"
    path.write_text(text)
    s = GridSpec.from_file(path).resolved()
    assert (s.slurm_time, s.slurm_mem) == (time, mem)
    executor_options(s)  # a limit and a size the submission takes


def test_base_60_numbers_are_text_but_other_numbers_are_not(tmp_path):
    from benchmark.config import GridSpec

    path = tmp_path / "grid.yaml"
    path.write_text("iterations: 1e4\nlr: 2e-3\nseeds: [0, 1_0]\nout: '12:30'\n")
    s = GridSpec.from_file(path)
    assert (s.iterations, s.lr, s.seeds) == (10000, 0.002, (0, 10))


def test_the_report_title_names_the_profile_of_an_sr4_grid_at_crop_42(tmp_path):
    """``plbench run --tasks sr4 --crop 42``: the saved grid says crop 42, its runs record 40 (Task.train_crop), so
    grid_profile found no grid of that setting and report.html's title lost the profile the grid ran from (a
    denoise grid at --crop 42 kept it: "custom: denoise — …"). The grid's crop now matches the crop its task
    records for it."""
    import dataclasses

    from benchmark.config import GridSpec, RunConfig, resolve, setting
    from benchmark.export import page_title
    from benchmark.report import grid_profile

    (tmp_path / "grids").mkdir()
    grid = GridSpec(tasks=("sr4",), losses=("l1",), crop=42).resolved()
    (tmp_path / "grids" / "20261206-070000.yaml").write_text(grid.to_yaml())
    s = setting(resolve(RunConfig(task="sr4", loss="l1", net=grid.net, iterations=grid.iterations,
                                  batch_size=grid.batch_size, crop=42)))
    assert s["crop"] == 40
    assert grid_profile(tmp_path, s) == "quick"
    assert page_title(s, grid_profile(tmp_path, s), ["sr4"]).split(" — ")[1] == "custom: sr4"
    other = dataclasses.replace(resolve(RunConfig(task="sr4", loss="l1", net=grid.net, iterations=grid.iterations,
                                                  batch_size=grid.batch_size, crop=36)))
    assert grid_profile(tmp_path, setting(other)) is None  # a crop no --crop 42 gives sr4: not this grid's


@pytest.mark.parametrize("text", ["task_params: [denoise]\n", "task_params: denoise.sigma=0.1\n",
                                  "task_params: [{denoise: {sigma: 0.1}}, sr4]\n"])
def test_task_params_that_are_not_a_mapping_are_named_in_words(text, tmp_path):
    """``task_params: [denoise]`` (or ``denoise.sigma=0.1``, as the flag writes it) was refused as 'setting
    task_params expects tuple[tuple[str, tuple[tuple[str, object], ...]], ...], got …' — a Python type a YAML user
    cannot read. It now says what the key holds, with an example, as ``tasks:`` and ``loss_tasks:`` do."""
    from benchmark.config import GridSpec
    from benchmark.errors import UserError

    path = tmp_path / "grid.yaml"
    path.write_text(text)
    with pytest.raises(UserError, match=r"^grid\.yaml: task_params maps each task to its parameters, e\.g\. "
                                        r"\{denoise: \{sigma: 0\.1\}\}; got ") as err:
        GridSpec.from_file(path)
    assert "tuple[" not in str(err.value)


def test_task_params_as_a_list_of_one_task_mappings_is_read_as_tasks_reads_it(tmp_path):
    from benchmark.config import GridSpec

    path = tmp_path / "grid.yaml"
    path.write_text("tasks: [denoise, sr4]\ntask_params: [{denoise: {sigma: 0.1}}, {sr4: {scale: 2}}]\n")
    assert GridSpec.from_file(path).task_params == (("denoise", (("sigma", 0.1),)), ("sr4", (("scale", 2),)))


def test_a_misspelt_submitit_cluster_in_a_config_file_is_refused_before_planning(tmp_path):
    """``executor: {name: slurm, submitit_cluster: locl}`` in a config file (the flag has choices) was planned — every
    image read, every loss probed — before execute_slurm refused it ('must be slurm, local or debug, got 'locl''),
    and its dry run estimated the grid, exit 0. It is refused with the executor's other options, before any data is
    read, naming the close choice."""
    from benchmark.config import GridSpec
    from benchmark.errors import UserError
    from benchmark.executors import executor_options

    path = tmp_path / "grid.yaml"
    path.write_text("executor: {name: slurm, submitit_cluster: locl}\ndevice: cpu\n")
    # named by the file that gave it (4a82960's GridSpec.named), as a flag's is named by the flag
    with pytest.raises(UserError, match=r"^grid\.yaml: executor\.submitit_cluster must be slurm, local or debug, "
                                        r"got 'locl'; did you mean local\?"):
        executor_options(GridSpec.from_file(path).resolved())


def test_the_submitit_cluster_help_states_the_default_the_executor_has():
    """``run --help`` said ``--submitit-cluster … (default: slurm when sbatch exists, else local)``, but without SLURM
    the executor refuses (tests/test_probe_faults.py::test_slurm_executor_without_slurm_is_refused_not_run_locally:
    submitit's local fallback had started every job at once): a new user on a laptop read that the jobs would run
    locally. The help now says what happens."""
    from benchmark.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command").choices["run"]
    text = " ".join(next(a for a in sub._actions if "--submitit-cluster" in a.option_strings).help.split())
    assert "else local" not in text and "default: slurm" in text and "without SLURM" in text, text



def test_a_loss_given_twice_to_loss_tasks_with_other_tasks_is_refused():
    """``--loss-tasks vgg=sr4 --loss-tasks vgg=jpeg`` (the flag is repeatable) ran vgg on jpeg alone: the second
    entry replaced the first without a word, and so did one loss under two spellings (``charbonnier`` and its
    default ``charbonnier(eps=0.001)``). Both are refused in one line naming the two task lists and the entry that
    gives both, as --task-param refuses a parameter given twice; the same entry twice is no contradiction."""
    from benchmark.config import _restricted_tasks, parse_loss_tasks
    from benchmark.errors import UserError

    with pytest.raises(UserError, match=r"^--loss-tasks: vgg is given twice with other tasks \(sr4 and jpeg\): give "
                                        r"one entry, vgg=sr4,jpeg"):
        parse_loss_tasks(["vgg=sr4", "vgg=jpeg"])
    assert parse_loss_tasks(["vgg=sr4", "vgg=sr4"]) == (("vgg", ("sr4",)),)
    pairs = parse_loss_tasks(["charbonnier=sr4", "charbonnier(eps=0.001)=jpeg"])
    with pytest.raises(UserError, match=r"^loss_tasks: charbonnier\(eps=0\.001\) and charbonnier are one loss, given "
                                        r"other tasks \(jpeg and sr4\): give one entry"):
        _restricted_tasks(pairs, ["l1", "charbonnier"], ["sr4", "jpeg"])


def test_a_suggested_command_with_an_environment_prefix_is_written_as_started(monkeypatch):
    """After the README's first command (``.venv/bin/python run_all.py``, no ``plbench`` on the PATH), ``weights
    prefetch --losses vgg`` offline ended 'run `HF_HUB_OFFLINE=0 plbench weights prefetch --losses vgg` on a machine
    with a network': the one suggested command that was not rewritten as the process was started (its environment
    prefix hid it), "plbench: command not found" when copied. Every suggested command is rewritten, prefix or none."""
    from benchmark import cli

    monkeypatch.setattr(cli, "_shown_program", lambda: "python run_all.py")
    monkeypatch.setattr(cli, "_runnable_program", lambda: [".venv/bin/python", "run_all.py"])
    said = ("run `HF_HUB_OFFLINE=0 plbench weights prefetch --losses vgg` there, then `plbench run`; "
            "`PLBENCH_OFFLINE=1 HF_HOME=/x plbench list` too")
    assert cli._as_started(said) == (
        "run `HF_HUB_OFFLINE=0 .venv/bin/python run_all.py weights prefetch --losses vgg` there, then "
        "`.venv/bin/python run_all.py run`; `PLBENCH_OFFLINE=1 HF_HOME=/x .venv/bin/python run_all.py list` too")


@pytest.mark.parametrize("flag", ["--iterations", "--batch-size", "--crop", "--max-train-images", "--checkpoint-every"])
def test_a_whole_number_written_with_an_exponent_is_taken_by_the_flag_as_by_a_config_file(flag, capsys):
    """``iterations: 1e4`` in a config file is 10000 (README: floats without a dot are numbers), but
    ``--iterations 1e4`` was refused: 'invalid int value: '1e4''. A flag takes the whole numbers a config file takes;
    a number that is not whole is still refused in one line."""
    from benchmark.cli import build_parser

    dest = flag.lstrip("-").replace("-", "_")
    assert getattr(build_parser().parse_args(["run", flag, "1e4"]), dest) == 10000
    assert getattr(build_parser().parse_args(["run", flag, "48"]), dest) == 48
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", flag, "2.5"])
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"argument {flag}: invalid int value: '2.5'" in err, err
