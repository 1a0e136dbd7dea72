"""Probe of a new user's first hour (session 13): flags, config keys and API keywords as a new user gets them wrong."""

from __future__ import annotations

import pytest

from benchmark.errors import UserError


def _grid(tmp_path, text: str, **flags):
    """The grid ``run --config grid.yaml`` plans from a file holding ``text`` and these flags."""
    from benchmark.config import GridSpec

    path = tmp_path / "grid.yaml"
    path.write_text(text)
    return GridSpec.from_file(path).merged(GridSpec(**flags))


@pytest.mark.parametrize("text, flags, said", [
    ("crop: 4\ntasks: [denoise]\n", {}, "grid.yaml: crop 4 is too small for task denoise: it needs ≥ 8 px"),
    ("crop: 4\n", {"tasks": ("denoise",)}, "grid.yaml: crop 4 is too small for task denoise"),
    ("crop: 48\ntasks: [denoise]\n", {"crop": 4}, "--crop 4 is too small for task denoise"),
    ("tasks: [sr4]\ntask_params: {denoise: {sigma: 0.1}}\n", {},
     "grid.yaml: task_params names task 'denoise', which is not in this grid (sr4)"),
])
def test_a_config_files_crop_too_small_is_named_by_the_file_and_key(text, flags, said, tmp_path):
    """``crop: 4`` in a config file was refused as '--crop 4 is too small for task denoise', a flag the user never
    gave (and ``task_params`` for a task the file's grid leaves out as '--task-param names task …'): the value's own
    source is named, the file and its key, or the flag where a flag overrides the file."""
    from benchmark.config import build_configs

    with pytest.raises(UserError) as e:
        build_configs(_grid(tmp_path, text, **flags))
    assert str(e.value).startswith(said), e.value


def test_api_run_names_its_crop_keyword_not_a_flag(tmp_path):
    from benchmark import api

    with pytest.raises(UserError, match=r"^api\.run\(\): crop 4 is too small for task denoise"):
        api.run(tasks=["denoise"], crop=4, out=str(tmp_path / "o"))
    assert not (tmp_path / "o").exists()


def test_a_config_files_crop_an_sr4_grid_trains_smaller_is_named_by_the_file(tmp_path, caplog):
    """Planning's warning that ``crop: 42`` trains sr4 on 40-px crops named '--crop 42' too."""
    import logging

    from benchmark.config import build_configs

    with caplog.at_level(logging.WARNING, logger="benchmark.config"), pytest.raises(UserError, match="not found"):
        build_configs(_grid(tmp_path, "crop: 42\ntasks: [sr4]\n", train_data=(str(tmp_path / "none"),)))
    said = [r.getMessage() for r in caplog.records if "trains 40-px crops" in r.getMessage()]
    assert said and said[0].startswith("grid.yaml: crop 42 trains 40-px crops for task sr4"), caplog.text


@pytest.mark.parametrize("key", ["iterations", "batch_size", "crop", "max_train_images", "checkpoint_every"])
@pytest.mark.parametrize("written", ["1e19", "10000000000000000000"])
def test_a_whole_number_past_64_bits_is_refused_alike_by_flag_file_and_api(key, written, tmp_path, capsys):
    """``--iterations 1e19`` was accepted (the dry run estimated 152491080555152 h) while ``iterations: 1e19`` in a
    config file was refused as 'expects a whole number, got 1e+19' — a whole number — and ``iterations:
    10000000000000000000`` in the same file was accepted. One rule now: a whole-number setting is below 2**63, each
    source named as for 'must be positive'."""
    from benchmark import cli
    from benchmark.config import GridSpec, check_numbers

    said = f"must be below 2**63, got {10**19}"
    flag = "--" + key.replace("_", "-")
    assert cli.main(["run", flag, written, "--dry-run", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {flag} {said}", err
    (tmp_path / "g.yaml").write_text(f"{key}: {written}\n")
    with pytest.raises(UserError) as e:  # checked with the grid (run, api.run), not as the file is read
        check_numbers(GridSpec.from_file(tmp_path / "g.yaml"))
    assert str(e.value) == f"g.yaml: {key} {said}"
    with pytest.raises(UserError) as e:
        check_numbers(GridSpec.from_mapping({key: float(written)}, "api.run()"))
    assert str(e.value) == f"api.run(): {key} {said}"
    assert not (tmp_path / "r").exists()


def test_the_largest_64_bit_seed_is_still_taken_by_flag_and_file(tmp_path):
    from benchmark.cli import build_parser, grid_spec
    from benchmark.config import GridSpec, check_numbers

    check_numbers(grid_spec(build_parser().parse_args(["run", "--seeds", str(2**63 - 1), "--iterations", "1e18"])))
    (tmp_path / "g.yaml").write_text(f"seeds: [{2**63 - 1}]\niterations: 1e18\n")
    assert GridSpec.from_file(tmp_path / "g.yaml").iterations == 10**18


@pytest.mark.parametrize("argv, first, second", [
    (["run", "--iterations", "100", "--iterations", "200"], "100", "200"),
    (["run", "--out", "a", "--dry-run", "--out", "b"], "a", "b"),
    (["run", "--losses", "l1", "--iterations", "5", "--losses", "l2"], "l1", "l2"),
    (["report", "--baseline", "l2", "--baseline", "l1"], "l2", "l1"),
    (["compare", "--out", "a", "--out", "b"], "a", "b"),
])
def test_a_setting_given_twice_with_other_values_is_said(argv, first, second):
    """``--iterations 100 --iterations 200`` (a line edited by appending) silently trained 200, ``--losses l1 …
    --losses l2`` l2 alone: argparse keeps the last. It still does (``$BASE --iterations 500`` overrides a shell
    variable's command line), in a warning naming the option and both values; the same value twice says nothing,
    and the flags that gather their repeats (``--train-data``, ``--loss-file``, ``--task-param``, …) still do."""
    from benchmark.cli import build_parser

    flag = next(a for a in argv if a.startswith("--") and argv.count(a) == 2)
    args = build_parser().parse_args(argv)
    assert getattr(args, flag.lstrip("-").replace("-", "_")) in (second, [second], int(second) if second.isdigit()
                                                                 else second)
    said = args._once_repeated
    assert len(said) == 1 and said[0].startswith(f"{flag} is given twice ({first} and {second}): the last, {second}, "
                                                 "is used"), said


def test_the_warning_of_an_option_given_twice_is_logged_before_the_command_runs(tmp_path, caplog):
    import logging

    from benchmark import cli

    with caplog.at_level(logging.WARNING, logger="benchmark"):
        assert cli.main(["report", "--baseline", "l2", "--baseline", "l1", "--out", str(tmp_path / "none")]) == 2
    said = [r.getMessage() for r in caplog.records if "given twice" in r.getMessage()]
    assert said == ["--baseline is given twice (l2 and l1): the last, l1, is used"], caplog.text


def test_the_same_value_twice_and_gathering_flags_still_pass():
    from benchmark.cli import build_parser

    args = build_parser().parse_args(["run", "--iterations", "100", "--iterations", "1e2", "--train-data", "a",
                                      "--train-data", "b", "--loss-file", "x.py", "--loss-file", "y.py",
                                      "--task-param", "denoise.sigma=0.1", "--task-param", "denoise.sigma=0.2",
                                      "--seeds", "0", "1", "--seeds", "0", "1"])
    assert args.iterations == 100 and args.train_data == ["a", "b"] and args.loss_file == ["x.py", "y.py"]
    assert args.task_param == ["denoise.sigma=0.1", "denoise.sigma=0.2"] and args.seeds == [0, 1]
    assert not getattr(args, "_once_repeated", None)


@pytest.mark.slow  # imports torchvision (its weight files): 2-5 s on 2 busy cores
@pytest.mark.parametrize("offline", [True, False])
def test_the_weights_listing_suggests_prefetch_as_the_process_was_started(offline, monkeypatch, tmp_path, capsys):
    """After the README's first command (``.venv/bin/python run_all.py``, no ``plbench`` on the PATH), ``run_all.py
    weights --losses vgg`` ended 'run `HF_HUB_OFFLINE=0 plbench weights prefetch --losses vgg` on a machine with a
    network' ('run `plbench weights prefetch …`' online): 'plbench: command not found' when copied, the listing's
    lines printed past the rewrite every other suggested command gets. Written as the process was started now."""
    from benchmark import cli, weights

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(weights, "offline", lambda: offline)
    monkeypatch.setattr(cli, "_shown_program", lambda: "python run_all.py")
    monkeypatch.setattr(cli, "_runnable_program", lambda: [".venv/bin/python", "run_all.py"])
    assert cli.main(["weights", "--losses", "vgg"]) == 0
    out = capsys.readouterr().out
    assert "MISSING" in out and ".venv/bin/python run_all.py weights prefetch --losses vgg`" in out, out
    assert "plbench weights" not in out, out


@pytest.mark.parametrize("text, said", [
    ("profile: quik\n", "unknown profile 'quik'; did you mean quick?"),
    ("net: huge\n", "unknown net 'huge'"),
    ("device: gpu\n", "unknown device 'gpu'"),
    ("tasks: [denoyse]\n", "unknown task 'denoyse'; did you mean denoise"),
    ("losses: [l11]\n", "unknown loss 'l11'; did you mean l1?"),
    ("metrics: [psnrr]\n", "unknown metric 'psnrr'; did you mean psnr"),
])
def test_a_misspelt_name_in_a_config_file_names_the_file(text, said, tmp_path, capsys):
    """``net: huge`` in a config file was refused as 'unknown net 'huge'', with no word of the file (the profile,
    device, tasks, losses and metrics the same), where a misspelt key says 'grid.yaml: unknown setting …': with two
    ``--config`` files, or a grid's file and flags, the user had to search for it. The file is named now, and
    ``api.run()`` where a keyword gave it; a flag's name is said as before."""
    from benchmark import api, cli
    from benchmark.config import GridSpec

    (tmp_path / "grid.yaml").write_text(text)
    assert cli.main(["run", "--config", str(tmp_path / "grid.yaml"), "--dry-run", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: grid.yaml: {said}"), err
    key, value = text.strip().split(": ")
    setting = dict(GridSpec.from_file(tmp_path / "grid.yaml").to_mapping())[key]
    with pytest.raises(UserError) as e:
        api.run(**{key: setting}, out=str(tmp_path / "r"))
    assert str(e.value).startswith(f"api.run(): {said}"), e.value
    flag = ["--" + key, *([value.strip("[]")] if key in ("tasks", "losses", "metrics") else [value])]
    assert cli.main(["run", *flag, "--dry-run", "--out", str(tmp_path / "r")]) == 2
    named = "--device: " if key == "device" else ""  # the device's words name no flag: its own (test_probe_fa14)
    assert capsys.readouterr().err.strip().startswith(f"error: {named}{said}")
    assert not (tmp_path / "r").exists()


def test_an_empty_profile_is_refused_not_read_as_quick(tmp_path, capsys):
    """``--profile "$PROFILE"`` with the variable unset (``--profile ''``), or ``profile: ''`` in a config file, ran
    the quick profile without a word (its dry run was headed '( profile; …'), where ``--net ''`` and ``--device ''``
    are refused: an empty profile is an unknown one."""
    from benchmark import cli
    from benchmark.config import GridSpec

    assert cli.main(["run", "--profile", "", "--dry-run", "--out", str(tmp_path / "r")]) == 2
    assert capsys.readouterr().err.strip().startswith("error: unknown profile '' (choose from quick, standard, full)")
    (tmp_path / "g.yaml").write_text("profile: ''\n")
    with pytest.raises(UserError, match=r"^g\.yaml: unknown profile ''"):
        GridSpec.from_file(tmp_path / "g.yaml").resolved()
    assert GridSpec().resolved().profile == "quick"


@pytest.mark.parametrize("written", ["1e19", "10000000000000000000"])
def test_workers_past_64_bits_is_refused_as_every_whole_number_is(written, tmp_path):
    """``--workers 1e19`` (and ``workers: 1e19`` in a config file) was taken — the 2**63 rule of ``--iterations``,
    ``--crop``, … left it out — and ``workers: 0`` in a file was refused as '--workers must be at least 1', a flag
    never given. One rule, each source named."""
    from benchmark.config import GridSpec, check_numbers
    from benchmark.executors import executor_options

    said = f"workers must be below 2**63, got {10**19}"
    with pytest.raises(UserError) as e:
        executor_options(GridSpec(workers=written).resolved())
    assert str(e.value) == f"--{said}"
    (tmp_path / "g.yaml").write_text(f"workers: {written}\n")
    with pytest.raises(UserError) as e:  # checked with the grid (run, api.run), not as the file is read
        check_numbers(GridSpec.from_file(tmp_path / "g.yaml"))
    assert str(e.value) == f"g.yaml: {said}"
    with pytest.raises(UserError) as e:
        check_numbers(GridSpec.from_mapping({"workers": float(written)}, "api.run()"))
    assert str(e.value) == f"api.run(): {said}"
    assert executor_options(GridSpec(workers=str(2**63 - 1)).resolved())["workers"] == 2**63 - 1
    for key, value, bad in (("workers", 0, "must be at least 1, got 0"), ("workers", "two", "must be a number or auto"),
                            ("workers_per_gpu", 0, "must be")):
        with pytest.raises(UserError) as e:
            executor_options(GridSpec.from_mapping({key: value}, "g.yaml").resolved())
        assert str(e.value).startswith(f"g.yaml: {key} {bad}"), e.value


@pytest.mark.parametrize("text, flags, said", [
    ("device: cpu\nexecutor: {name: slurm, gpus: 1}\n", {}, "grid.yaml: device cpu with executor.gpus 1: jobs given"),
    ("device: cpu\n", {"executor": "slurm", "slurm_gpus": 1}, "grid.yaml: device cpu with --slurm-gpus 1: jobs given"),
    ("executor: {name: slurm, gpus: 1}\n", {"device": "cpu"}, "--device cpu with grid.yaml: executor.gpus 1: jobs"),
    ("executor: {name: slurm, gpus: 2}\ndevice: cuda\n", {}, "grid.yaml: executor.gpus 2: each SLURM job trains"),
    ("executor: {name: slurm, gpus: -1}\n", {}, "grid.yaml: executor.gpus must be at least 0, got -1"),
    ("executor: ray\n", {}, "grid.yaml: executor ray with the quick profile's device auto: the runs would be"),
    ("device: auto\n", {"executor": "ray"}, "--executor ray with grid.yaml: device auto: the runs would be planned"),
])
def test_a_config_files_device_and_executor_conflict_is_named_by_the_file(text, flags, said, tmp_path):
    """``device: cpu`` with ``executor: {name: slurm, gpus: 1}`` in a config file was refused as '--device cpu with
    --slurm-gpus 1: …', two flags never given (``executor: ray`` as '--executor ray with --device auto'): each value is
    named where it was given, the file once where it gave both."""
    from benchmark.config import device_type_for

    with pytest.raises(UserError) as e:
        device_type_for(_grid(tmp_path, text, **flags).resolved(), local=False)
    assert str(e.value).startswith(said), e.value


@pytest.mark.parametrize("where, said", [
    ("iterations", "where 'iterations': expected FIELD=VALUE"),
    (["crop=48", "crop=64"], "where crop is given twice (48 and 64)"),
    ("iteration=150", "where iteration: no such setting field; did you mean iterations?"),
    ("sr4.scale=4", "where sr4.scale: no task 'sr4' in these results"),
])
def test_api_report_names_its_where_keyword_not_the_flag(where, said, tmp_path):
    """``api.report(where=…)`` was refused as '--where …', a flag of a command never run, where its other keywords are
    named as written (``alpha must be in (0, 1)``, ``baseline 'l3' is not a loss …``): ``where`` too, and
    ``plbench report --where`` as before."""
    from benchmark import api, cli
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.1}, seeds=(0, 1), metrics=("psnr",), n_images=2,
                        budget_check=False)
    with pytest.raises(UserError) as e:
        api.report(store.root, visual=False, where=where)
    assert str(e.value).startswith(said), e.value
    args = cli.build_parser().parse_args(["report", "--out", str(store.root), "--where",
                                          *([where] if isinstance(where, str) else where)])
    with pytest.raises(UserError) as e:
        kwargs = cli._report_kwargs(args)
        from benchmark.report import write_report

        write_report(store, **kwargs)
    assert str(e.value).startswith("--" + said), e.value


def test_a_broken_loss_file_flag_is_not_blamed_on_the_config_files_losses(tmp_path, capsys):
    """``--config a.yaml --loss-file broken.py``, where a.yaml names ``losses: [l1]``, was refused as 'a.yaml: broken.py
    failed to import: …': the loss file's own error was prefixed with the file that gave the losses. It names the loss
    file alone; a misspelt loss in a.yaml still names a.yaml."""
    from benchmark import cli

    (tmp_path / "a.yaml").write_text("losses: [l1]\n")
    (tmp_path / "broken.py").write_text("import nonexistent_module_of_a_user\n")
    argv = ["run", "--config", str(tmp_path / "a.yaml"), "--dry-run", "--out", str(tmp_path / "r")]
    assert cli.main([*argv, "--loss-file", str(tmp_path / "broken.py")]) == 2
    assert capsys.readouterr().err.strip().startswith("error: broken.py failed to import")
    (tmp_path / "a.yaml").write_text("losses: [l11]\n")
    assert cli.main(argv) == 2
    assert capsys.readouterr().err.strip().startswith("error: a.yaml: unknown loss 'l11'")


def test_a_config_files_logger_and_backbone_weights_are_named_by_the_file(tmp_path, caplog, capsys):
    """``logger: mlflow`` in a config file, mlflow not installed, was refused as '--logger mlflow needs the mlflow
    package', and ``backbone_weights: imagenett`` on a grid of pixel losses warned '--backbone-weights imagenett: no
    loss …': flags never given. Each names the file's key, and the flag where a flag gave it."""
    import importlib.util
    import logging

    from benchmark import cli
    from benchmark.config import build_configs

    if importlib.util.find_spec("mlflow") is None:
        (tmp_path / "g.yaml").write_text("logger: mlflow\n")
        for given, said in ((["--config", str(tmp_path / "g.yaml")], "g.yaml: logger"), (["--logger", "mlflow"],
                                                                                       "--logger")):
            assert cli.main(["run", *given, "--dry-run", "--out", str(tmp_path / "r")]) == 2
            err = capsys.readouterr().err.strip()
            assert err.startswith(f"error: {said} mlflow needs the mlflow package"), err
    with caplog.at_level(logging.WARNING, logger="benchmark.config"), pytest.raises(UserError, match="not found"):
        build_configs(_grid(tmp_path, "backbone_weights: imagenett\nlosses: [l1]\ntasks: [denoise]\n",
                            train_data=(str(tmp_path / "none"),)))
    said = [r.getMessage() for r in caplog.records if "no loss of this grid takes" in r.getMessage()]
    assert said and said[0].startswith("grid.yaml: backbone_weights imagenett: no loss"), caplog.text


@pytest.mark.parametrize("written", ["99999999999999999999", 1e19, "6405119470038039-00", "153722867280912931:00:00"])
def test_a_slurm_time_past_64_bits_is_refused_as_every_whole_number_is(written):
    """``--slurm-time 99999999999999999999`` (minutes; ``time: 1e19`` in a config file's executor block, days or hours
    as large) was taken and handed to sbatch, past the 2**63 rule ``--iterations``, ``--workers``, … now keep: one
    line before anything is planned. The largest it takes is still taken."""
    from benchmark.config import GridSpec
    from benchmark.executors import executor_options, parse_minutes

    with pytest.raises(UserError, match=r"^--slurm-time must be below 2\*\*63 minutes, got "):
        executor_options(GridSpec(executor="slurm", device="cpu", slurm_time=written).resolved())
    assert parse_minutes(str(2**63 - 1)) == 2**63 - 1


@pytest.mark.parametrize("block, said", [
    ("time: soon", "g.yaml: executor.time 'soon' is not a positive time limit"),
    ("mem: lots", "g.yaml: executor.mem 'lots' is not a memory size"),
    ("cpus: 0", "g.yaml: executor.cpus must be at least 1, got 0"),
    ("time: 99999999999999999999", "g.yaml: executor.time must be below 2**63 minutes"),
])
def test_a_config_files_slurm_options_are_named_by_the_file(block, said, tmp_path):
    """``executor: {name: slurm, time: soon}`` in a config file was refused as '--slurm-time 'soon' is not a positive
    time limit' (mem, cpus alike), flags never given: named by the file's setting, a flag's as before."""
    from benchmark.config import GridSpec
    from benchmark.executors import executor_options

    (tmp_path / "g.yaml").write_text(f"device: cpu\nexecutor: {{name: slurm, {block}}}\n")
    with pytest.raises(UserError) as e:
        executor_options(GridSpec.from_file(tmp_path / "g.yaml").resolved())
    assert str(e.value).startswith(said), e.value
    key, value = block.split(": ")
    flag = GridSpec(executor="slurm", device="cpu", **{f"slurm_{key}": int(value) if key == "cpus" else value})
    with pytest.raises(UserError) as e:
        executor_options(flag.resolved())
    assert str(e.value).startswith(said.replace("g.yaml: executor.", "--slurm-")), e.value
