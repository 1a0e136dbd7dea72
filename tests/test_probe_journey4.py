"""A new user from the README to a published comparison (journey 4): abbreviated flags, config
files, wrong values, commands run in the wrong order, interrupted runs."""

from __future__ import annotations

import pytest

from benchmark.cli import build_parser, main
from benchmark.errors import UserError


@pytest.mark.parametrize("argv,flag,close", [
    (["run", "--iteration", "5"], "--iteration", "--iterations"),
    (["run", "--see", "3"], "--see", "--seeds"),
    (["--iteration", "5"], "--iteration", "--iterations"),                 # run is the default command
    (["run", "--no-budget", "--dry-run"], "--no-budget", "--no-budget-check"),
    (["report", "--basel", "l2"], "--basel", "--baseline"),
    (["compare", "--loss-fil", "x.py"], "--loss-fil", "--loss-file"),
    (["perf", "--war", "1"], "--war", "--warmup"),
])
def test_an_abbreviated_flag_is_a_one_line_error_with_the_full_name(argv, flag, close, capsys, monkeypatch):
    """Was: argparse took a prefix for the option it abbreviates (`--iteration 5` ran as
    `--iterations 5`, `--see 3` as `--seeds 3`), so a typo'd flag silently set another setting (or
    the one meant, by luck) and a saved command line meant something else once a flag was added."""
    from benchmark import cli

    for name in dir(cli):  # nothing is run: a command reached means the flag was taken
        if name.startswith("cmd_"):
            monkeypatch.setattr(cli, name, lambda args: 0)
    with pytest.raises(SystemExit) as e:
        main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1, err
    assert f"unrecognized arguments: {flag}" in err and f"did you mean {close}" in err, err


def test_no_parser_accepts_abbreviations():
    parser = build_parser()
    subs = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    parsers = [parser, *(p for a in subs for p in a.choices.values())]
    assert len(parsers) > 5 and all(p.allow_abbrev is False for p in parsers)


def test_a_toml_config_is_read_as_toml(tmp_path):
    """Was: `--config grid.toml` was parsed as YAML: `iterations = 5` became one string and the
    error said "expected a mapping of settings, got str"; a file with a [table] said it was not
    valid YAML. A .toml file is read as TOML (the same settings as YAML's)."""
    import sys

    from benchmark.config import GridSpec

    if sys.version_info < (3, 11):
        pytest.skip("tomllib is Python ≥ 3.11")
    p = tmp_path / "grid.toml"
    p.write_text('iterations = 5\nlosses = ["l1", "l2"]\nseeds = [0, 1]\n\n[tasks.denoise]\nsigma = 0.1\n')
    spec = GridSpec.from_file(p)
    assert spec.iterations == 5 and spec.losses == ("l1", "l2") and spec.seeds == (0, 1)
    assert spec.tasks == ("denoise",) and dict(dict(spec.task_params)["denoise"]) == {"sigma": 0.1}
    p.write_text('iteration = 5\n')
    with pytest.raises(UserError, match=r"^grid.toml: unknown setting 'iteration'; did you mean iterations\?$"):
        GridSpec.from_file(p)
    p.write_text('iterations = \n')
    with pytest.raises(UserError, match=r"^grid.toml is not valid TOML: .*line 1"):
        GridSpec.from_file(p)


@pytest.mark.parametrize("text", ["iterations = 5\n", "iterations=5\nseeds=[0]\n"])
def test_toml_written_in_a_yaml_file_says_how_yaml_writes_it(tmp_path, text):
    """Was: "grid.yaml: expected a mapping of settings, got str" for `iterations = 5`."""
    from benchmark.config import GridSpec

    p = tmp_path / "grid.yaml"
    p.write_text(text)
    with pytest.raises(UserError) as e:
        GridSpec.from_file(p)
    msg = str(e.value)
    assert "\n" not in msg and "`key = value`" in msg and "`iterations: 5`" in msg and "got str" not in msg, msg


def test_an_empty_toml_config_is_refused_as_an_empty_yaml_one(tmp_path):
    from benchmark.config import GridSpec

    p = tmp_path / "grid.toml"
    p.write_text("# nothing yet\n")
    with pytest.raises(UserError, match="is empty: it names no settings"):
        GridSpec.from_file(p)


@pytest.mark.parametrize("text,msg", [
    ("iterations: -3\n", "k.yaml: iterations must be positive, got -3"),
    ("lr: -0.5\n", "k.yaml: lr must be positive, got -0.5"),
    ("batch_size: 0\n", "k.yaml: batch_size must be positive, got 0"),
    ("checkpoint_every: -1\n", "k.yaml: checkpoint_every must be 0 (off) or positive, got -1"),
    ("seeds: [0, -1]\n", "k.yaml: seeds: -1 is out of range (a seed is in [0, 2**63))"),
])
def test_a_bad_value_in_a_config_file_names_the_file_not_a_flag(tmp_path, text, msg):
    """Was: `iterations: -3` in a config file said "--iterations must be positive, got -3", naming a
    flag the user never gave (and api.run(iterations=-3) said the same)."""
    from benchmark.config import GridSpec, check_numbers

    p = tmp_path / "k.yaml"
    p.write_text(text)
    with pytest.raises(UserError) as e:  # checked with the grid (run, api.run), not as the file is read
        check_numbers(GridSpec.from_file(p))
    assert str(e.value) == msg


def test_api_run_names_its_keyword_not_a_flag(tmp_path):
    from benchmark import api

    with pytest.raises(UserError, match=r"^api.run\(\): iterations must be positive, got 0$"):
        api.run(iterations=0, out=str(tmp_path / "o"))


def _help(command: str) -> dict[str, str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction").choices[command]
    return {o: a.help or "" for a in sub._actions for o in a.option_strings}


def test_run_help_states_what_the_options_take_now():
    """Was: `run -h` offered --backbone-weights "random, pretrained or a checkpoint path", leaving out
    `auto` (the standard profile's, which the README names), and --config's help ended in a change
    note, "(it was the only one read)", that reads as if the second file were ignored."""
    h = _help("run")
    assert "auto" in h["--backbone-weights"]
    assert "was the only one" not in h["--config"] and "second file overrides the first" in h["--config"]


def test_every_readme_command_parses():
    """Each `plbench …` line of the README's code blocks is a command line plbench accepts (no
    renamed or abbreviated flag)."""
    import re
    import shlex
    from pathlib import Path

    from benchmark import cli

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    lines = [ln.strip() for block in re.findall(r"```(?:bash)?\n(.*?)```", text, re.S)
             for ln in block.splitlines() if ln.strip().startswith("plbench ")]
    assert len(lines) >= 20
    for line in lines:
        cmd = re.sub(r"\[(\w+)(?:\|\w+)*\]", r"\1", line).replace("[--probe]", "--probe")
        argv = shlex.split(cmd, comments=True)[1:]  # a comment after one space too (`… # another machine's …`)
        if argv == ["--version"]:
            continue
        if not argv or argv[0] not in cli.COMMANDS:
            argv = ["run", *argv]
        cli._Parser.argv = argv
        build_parser().parse_args(argv)  # SystemExit (exit 2, one line) on a flag plbench does not take


def _meta(loss, iterations, seed=0):
    return {"run_id": f"{loss}-{iterations}-{seed}", "status": "ok", "code_version": "x",
            "config": {"task": "denoise", "loss": loss, "seed": seed, "iterations": iterations}}


def test_compare_refuses_to_pick_between_two_settings_of_the_same_size():
    """Was: a store holding the field at two settings with as many losses and runs each (the same
    grid at 5 and at 60 iterations) had compare pick one by the order the run ids were listed in, and
    train the new loss there; `report` on the same store refuses and asks for --where. compare now
    does the same, naming the difference and a --where that picks one."""
    from benchmark.compare import _pick_group

    tie = [[_meta("l1", 5), _meta("l2", 5)], [_meta("l1", 60), _meta("l2", 60)]]
    with pytest.raises(UserError) as e:
        _pick_group(tie, "x", task="denoise")
    msg = str(e.value)
    assert "\n" not in msg and "denoise" in msg and "iterations" in msg, msg
    assert "--where iterations=5" in msg and "--where iterations=60" in msg, msg
    # a larger field still wins, with its note (as before)
    group, notes = _pick_group([[_meta("l1", 5), _meta("l2", 5)], [_meta("l1", 60)]], "x", task="denoise")
    assert [m["run_id"] for m in group] == ["l1-5-0", "l2-5-0"] and len(notes) == 1


def test_compare_where_matching_nothing_says_what_the_field_has(tmp_path, capsys):
    """Was: `compare --where iterations=600` on a field trained at other iterations said "no finished
    field runs in <out> to compare against", as if the store were empty; report says what the settings are."""
    from benchmark.synthetic import write_store

    write_store(tmp_path, tasks=("denoise",), metrics=("psnr",), seeds=(0, 1), offsets={"l1": 0.0})
    runs = sorted((tmp_path / "runs").iterdir())
    assert main(["compare", "--loss", "l2", "--where", "iterations=600", "--out", str(tmp_path), "-q",
                 "--device", "cpu", "--no-visual"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no field runs match iterations=600" in err and "they have iterations: " in err
    assert sorted((tmp_path / "runs").iterdir()) == runs  # nothing trained


@pytest.mark.parametrize("argv,hint", [
    (["run", "--seeds", "0,1,2"], "(several values are written --seeds 0 1 2)"),
    (["run", "--seeds", "1,,2"], "(several values are written --seeds 1 2)"),
    (["run", "--tasks", "denoise", "--seeds", "0", "1,2"], "(several values are written --seeds 1 2)"),
])
def test_comma_separated_seeds_say_how_to_write_them(argv, hint, capsys):
    """Was: `--seeds 0,1,2` (as a config's `seeds: 0,1,2` is answered) said only "invalid int value:
    '0,1,2'"."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1 and hint in err, err


def test_a_comma_in_a_one_value_flag_gets_no_list_hint(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--iterations", "5,6"])
    err = capsys.readouterr().err
    assert "invalid int value: '5,6'" in err and "several values" not in err, err


def test_a_report_without_visuals_removes_the_visual_grid_of_a_task_it_no_longer_reports(tmp_path):
    """Was: `--no-visual` (and every `plbench run`'s own report) kept every earlier visual_*.png/pdf,
    so figures/ — the folder a user publishes — held the visual grid of a task no longer in the
    results next to the fresh figures. A reported task's grid is still kept (it re-runs nets)."""
    from benchmark.report import write_report
    from benchmark.synthetic import write_store

    store = write_store(tmp_path, tasks=("denoise",), metrics=("psnr",), seeds=(0, 1), offsets={"l1": 0.0})
    figs = tmp_path / "figures"
    figs.mkdir()
    for name in ("visual_sr4.png", "visual_sr4.pdf", "visual_denoise.png"):
        (figs / name).write_bytes(b"\x89PNG")
    write_report(store, formats=("png",), visual=False, html=False)
    assert not (figs / "visual_sr4.png").exists() and not (figs / "visual_sr4.pdf").exists()
    assert (figs / "visual_denoise.png").exists()


def test_an_interrupted_compare_says_how_to_resume(monkeypatch, capsys):
    """Was: Ctrl-C during `compare` (which trains runs, checkpointed as `run`'s) printed only
    "interrupted"; `run` prints the command that resumes. Re-running compare skips what is done and
    resumes the checkpoint, so it says so too."""
    from benchmark import cli

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "cmd_compare", interrupted)
    assert main(["compare", "--loss-file", "my loss.py", "--out", "r"]) == 130
    err = capsys.readouterr().err
    assert "finished runs and checkpoints are saved" in err and "compare --loss-file 'my loss.py' --out r" in err


@pytest.mark.parametrize("key", ["metrics", "tasks", "losses", "seeds", "train_data", "test_data"])
def test_an_empty_list_in_a_config_file_is_refused(tmp_path, key):
    """Was: `metrics: []` passed --dry-run (evaluation 0.00 h) and a real run was refused with "no
    metric of this grid can be scored here ()", pointing at missing weights; `tasks: []` under a
    --tasks flag went unnoticed. An empty list is never a grid's setting: one line naming the file
    and the key."""
    from benchmark.config import GridSpec

    p = tmp_path / "cfg.yaml"
    p.write_text(f"{key}: []\n")
    with pytest.raises(UserError, match=rf"^cfg.yaml: {key}: \[\] names none \(leave {key} out for the profile's\)$"):
        GridSpec.from_file(p)


@pytest.mark.parametrize("argv,command", [
    (["-q", "list", "tasks"], "list"),
    (["--debug", "report", "--out", "r"], "report"),
    (["--debug", "-q", "compare", "--loss", "l2"], "compare"),
])
def test_common_flags_before_the_command_are_the_commands(argv, command, monkeypatch):
    """Was: `plbench -q list tasks` and `plbench --debug report --out r` (global flags first, as git and
    docker take them) were read as `plbench run -q list tasks`: "unrecognized arguments: list tasks
    (`plbench run -h` shows the options)". The flags every command has now go with the command."""
    from benchmark import cli

    seen = {}
    monkeypatch.setattr(cli, f"cmd_{command}", lambda args: seen.update(vars(args)) or 0)
    assert main(argv) == 0
    assert seen["command"] == command
    assert seen["quiet"] == ("-q" in argv) and seen["debug"] == ("--debug" in argv)


def test_calibrate_names_the_closest_metric_for_a_typo(tmp_path, capsys):
    """Was: `calibrate --metrics psnrr` listed the metrics but named no close one (report, findings and
    run all do)."""
    from benchmark.synthetic import write_store

    write_store(tmp_path, tasks=("denoise",), metrics=("psnr", "ssim"), seeds=(0, 1), offsets={"l1": 0.0})
    assert main(["calibrate", "--out", str(tmp_path), "--metrics", "psnrr", "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--metrics psnrr: not in these results; did you mean psnr?" in err, err
