"""A new user from the README to a published comparison (journey 4): abbreviated flags, config
files, wrong values, commands run in the wrong order, interrupted runs."""

from __future__ import annotations

import pytest

from benchmark.cli import build_parser, main


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
