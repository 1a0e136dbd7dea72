"""A new user's first hour, probed (21): ``--debug`` on bad input, ``report --baseline`` on no results, …"""

import pytest

from benchmark.cli import main


def _lines(capsys) -> list[str]:
    return capsys.readouterr().err.strip().splitlines()


@pytest.mark.parametrize(("error", "code"), [("UserError", 2), ("DiskFull", 3)])
def test_debug_shows_the_traceback_and_keeps_the_one_line_error_and_its_exit_code(error, code, monkeypatch, capsys):
    """``--debug`` re-raised a UserError: Python's traceback and exit 1 — a night script told that 2 is bad input and
    3 a full disk read an internal error, and the one-line error was gone. Now: the traceback, then the same line and
    the same exit code as without ``--debug``."""
    import benchmark.cli
    import benchmark.errors
    import benchmark.results

    kind = {"UserError": benchmark.errors.UserError, "DiskFull": benchmark.results.DiskFull}[error]

    def fails(args):
        raise kind("the message of the mistake")

    monkeypatch.setattr(benchmark.cli, "cmd_list", fails)
    assert main(["list", "tasks"]) == code
    plain = _lines(capsys)
    assert plain == ["error: the message of the mistake"], plain
    assert main(["--debug", "list", "tasks"]) == code
    said = _lines(capsys)
    assert said[0] == "Traceback (most recent call last):", said
    assert any(line.startswith("benchmark.") and "the message of the mistake" in line for line in said), said
    assert said[-1] == "error: the message of the mistake", said


def test_debug_on_a_missing_results_folder_exits_2_with_its_line(tmp_path, capsys):
    """The README's 'error: …, exit code 2; --debug shows the traceback', as a user meets it."""
    assert main(["--debug", "report", "--out", str(tmp_path / "nowhere")]) == 2
    said = _lines(capsys)
    assert "Traceback (most recent call last):" in said, said
    assert said[-1].startswith(f"error: no results in {tmp_path / 'nowhere'}: no such directory"), said



def test_a_misspelt_baseline_on_a_missing_results_folder_is_said_first(tmp_path, capsys):
    """``plbench report --baseline l9 --out nowhere`` said 'no results', and once runs were there, that l9 is no
    loss: a typo in a value is said before the store's refusal, as ``--alpha 2`` is. A baseline that is a loss (l2)
    still gets the store's line (it may name a run's label only once there are runs)."""
    assert main(["report", "--baseline", "l9", "--out", str(tmp_path / "nowhere")]) == 2
    said = _lines(capsys)
    assert len(said) == 1 and said[0].startswith("error: --baseline 'l9' is no registered loss"), said
    assert "did you mean" in said[0] and "l1" in said[0], said
    assert main(["report", "--baseline", "l2", "--out", str(tmp_path / "nowhere")]) == 2
    said = _lines(capsys)
    assert len(said) == 1 and said[0].startswith(f"error: no results in {tmp_path / 'nowhere'}"), said


def test_a_where_field_that_is_a_task_parameter_is_offered_with_its_task(tmp_path, capsys):
    """``plbench report --where sigma=0.1`` said 'no such setting field (fields: …; task parameters as TASK.PARAM)':
    the user must find which task has sigma. A field that is a parameter of the store's tasks is offered as
    TASK.PARAM, and that spelling then selects."""
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.1}, seeds=(0,), n_images=2, metrics=("psnr",),
                        budget_check=False)
    assert main(["report", "--out", str(store.root), "--where", "sigma=0.1", "--no-visual"]) == 2
    said = _lines(capsys)
    assert len(said) == 1 and said[0].startswith("error: --where sigma: no such setting field"), said
    assert "did you mean denoise.sigma?" in said[0], said
    from benchmark.settings import parse_where, select

    table = store.table()
    assert set(select(table, where=parse_where(["denoise.sigma=0.1"])).run_ids) == set(store.run_ids())


@pytest.mark.parametrize("argv", [["cpux"], ["cpu", "--list"]])
def test_python_m_benchmark_configs_says_bad_input_as_every_command_does(argv, capsys):
    """``python -m benchmark.configs cpux`` printed 'no shipped config file …' without the 'error:' every other bad
    input starts with, and exited 1 — the code of a failed grid or an internal error — as did an unknown option: a
    script's ``cp "$(python -m benchmark.configs NAME)" mine.yaml`` could not tell a typo from a crash. Now one line
    'error: …' on stderr, exit 2, nothing on stdout."""
    from benchmark.configs.__main__ import main as configs_main

    with pytest.raises(SystemExit) as got:
        configs_main(argv)
    assert got.value.code == 2
    out, err = capsys.readouterr()
    said = err.strip().splitlines()
    assert len(said) == 1 and said[0].startswith("error: "), said
    assert out == "", out
    assert ("did you mean configs/cpu.yaml" in said[0]) if argv == ["cpux"] else "unknown option '--list'" in said[0]


@pytest.mark.parametrize("command", ["check", "compare", "run"])
def test_a_commands_help_names_the_commands_it_suggests_as_it_was_started(command, started_as_run_all, capsys):
    """After the README's first command (``.venv/bin/python run_all.py``, no ``plbench`` on the PATH) every error and
    every example names ``.venv/bin/python run_all.py …``, but the options' help still said `` `plbench run` ``
    (``check --repair``), `` `plbench run --losses` `` (``compare``), `` `plbench pretrain` `` (``run``): 'command
    not found' when copied. The options' help names them as the examples do."""
    import re

    started_as_run_all(command, "--help")
    with pytest.raises(SystemExit) as got:
        main([command, "--help"])
    assert got.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert not re.search(r"`plbench ", out), re.findall(r".{60}`plbench .{30}", out)
    assert re.search(r"`\.venv/bin/python run_all\.py (run|pretrain)", out), out


def test_api_report_says_a_misspelt_baseline_before_a_missing_results_folder(tmp_path):
    """``api.report(out=…, baseline='l9')`` runs ``plbench report``'s checks: on a folder with no results it said
    'no results' where the command now says the typo first."""
    from benchmark import api
    from benchmark.errors import UserError

    with pytest.raises(UserError) as got:
        api.report(out=tmp_path / "nowhere", baseline="l9")
    assert str(got.value).startswith("baseline 'l9' is no registered loss; did you mean"), got.value
    with pytest.raises(UserError) as got:
        api.report(out=tmp_path / "nowhere", baseline="l2")
    assert str(got.value).startswith(f"no results in {tmp_path / 'nowhere'}"), got.value


def test_the_top_level_help_names_the_flags_every_command_takes_and_the_default_command(capsys):
    """``plbench -h`` listed only -h and -V: ``--debug`` (the README's way to a traceback) and ``-q``, which every
    command takes before or after its name, were found only in a command's own help, and that ``plbench`` alone is
    ``plbench run`` only as '(default)' beside run."""
    with pytest.raises(SystemExit) as got:
        main(["-h"])
    assert got.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "--debug" in out and "-q/--quiet" in out, out
    assert "with no command" in out.lower() and "quick profile" in out, out
    assert main(["--debug", "-q", "list", "tasks"]) == 0  # as the help says: before the command's name


def test_compare_says_a_misspelt_baseline_before_a_missing_results_folder(tmp_path, capsys):
    """``plbench compare --loss l2 --baseline l9 --out nowhere`` said 'no results', as ``report`` did: the typo
    first, as ``--loss l9`` is said first."""
    assert main(["compare", "--loss", "l2", "--baseline", "l9", "--out", str(tmp_path / "nowhere")]) == 2
    said = _lines(capsys)
    assert len(said) == 1 and said[0].startswith("error: --baseline 'l9' is no registered loss; did you mean"), said


def test_compare_of_the_only_loss_a_store_holds_says_so(tmp_path, capsys):
    """``plbench compare --loss l1 --out r`` where every finished run is of l1 said 'no finished field runs in r to
    compare against' — the user sees finished runs there. The line says they are of the loss compared and that a
    field is runs of other losses."""
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, seeds=(0,), n_images=2, metrics=("psnr",),
                        budget_check=False)
    assert main(["compare", "--loss", "l1", "--out", str(store.root)]) == 2
    said = _lines(capsys)
    assert len(said) == 1 and said[0].startswith(f"error: no finished field runs in {store.root}"), said
    assert "are of l1, the loss compared" in said[0] and "other losses" in said[0], said


@pytest.mark.parametrize("command", ["report", "findings"])
def test_an_interrupted_report_says_its_outputs_may_be_mixed_and_how_to_redo_them(command, monkeypatch, capsys):
    """Ctrl-C during ``plbench report`` ended on 'interrupted' alone, exit 130, leaving some outputs rewritten
    (convergence.csv, leaderboard.png) beside the previous report's others (leaderboard.md, report.html): a reader
    took the old table for the new one. The line says the outputs may be partly rewritten and the command that
    writes them all again; runs are never touched."""
    import benchmark.cli

    def stopped(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(benchmark.cli, f"cmd_{command}", stopped)
    assert main([command, "--out", "somewhere"]) == 130
    said = " ".join(capsys.readouterr().err.split())
    assert "partly rewritten" in said and f"{command} --out somewhere" in said, said
