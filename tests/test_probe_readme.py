"""The README's journey as a new user walks it: the CLI started with `python -m`, typos in
flags and choices answered with the closest option, and `compare`'s table stating what it tested."""

from __future__ import annotations

import sys

import pytest

from benchmark.cli import main


def test_resume_hint_names_python_m(monkeypatch):
    """The resume hint (and the saved grid's header) of a run started with `python -m benchmark.cli`
    is that command, not `python /…/benchmark/cli.py` (which cannot import the package)."""
    import types

    from benchmark import cli

    monkeypatch.setitem(sys.modules, "__main__", types.SimpleNamespace(__spec__=types.SimpleNamespace(
        name="benchmark.cli")))
    assert cli._program()[1:] == ["-m", "benchmark.cli"]
    monkeypatch.setitem(sys.modules, "__main__", types.SimpleNamespace(__spec__=types.SimpleNamespace(
        name="benchmark.__main__")))
    assert cli._program()[1:] == ["-m", "benchmark"]


@pytest.mark.parametrize("argv,expected", [
    (["run", "--iteraions", "10"], "unrecognized arguments: --iteraions 10; did you mean --iterations? "
                                   "(`plbench run -h` shows the options)"),
    (["--iteraions", "10"], "did you mean --iterations? (`plbench run -h`"),           # run is the default
    (["run", "--no-budget-chek"], "did you mean --no-budget-check?"),
    (["findings", "--lst"], "did you mean --list? (`plbench findings -h`"),
    (["report", "--basline=l2", "--bogus"], "did you mean --baseline (for --basline)? (`plbench report -h`"),
    (["run", "--bogus"], "unrecognized arguments: --bogus (`plbench run -h` shows the options)"),
    (["list", "metric"], "(choose from 'all', 'tasks', 'losses', 'metrics'); did you mean metrics?"),
    (["run", "--logger", "tensorbord"], "did you mean tensorboard?"),
])
def test_flag_and_choice_typos_name_the_closest_option(argv, expected, capsys):
    """A misspelt flag got no suggestion and pointed at `plbench -h`, which does not list a
    subcommand's options; a misspelt choice got the list but no suggestion."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1 and expected in err, err
