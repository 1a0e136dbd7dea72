"""A new user's first hour, probed (20): an unknown option's hint on every subcommand, …"""

import argparse
import re

import pytest

from benchmark.cli import build_parser, main

_COMMANDS = sorted(next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices)


def _last_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[-1]


@pytest.mark.parametrize("command", _COMMANDS)
@pytest.mark.parametrize("word", ["--epochs", "--max-steps", "--iterations", "--steps"])
def test_a_training_length_flag_gets_the_commands_own_or_a_hint_on_every_subcommand(command, word, capsys):
    """``plbench pretrain --epochs 3`` (its option is --steps) said only 'unrecognized arguments', ``perf --epochs``
    'did you mean --reps?' by spelling alone, ``list --epochs 3`` 'invalid choice: '3'' (the option not named)."""
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices[command]
    own = {o for a in sub._actions for o in a.option_strings}
    if word in own:
        pytest.skip(f"{word} is {command}'s own option")
    with pytest.raises(SystemExit) as exc:
        main([command, word, "3"])
    assert exc.value.code == 2
    said = _last_error(capsys)
    assert said.startswith(f"error: unrecognized arguments: {word}"), said
    offered = re.search(r"; did you mean (--[\w-]+)\? \(" + command + r" counts ", said)
    if offered:
        assert offered.group(1) in own, said
        assert ("not epochs" in said) == (word == "--epochs"), said
    else:
        assert ("; compare trains for as many iterations as the field's runs in --out" in said
                or "is an option of run: compare trains at the settings" in said if command == "compare"
                else f"; {command} trains nothing (a grid's training length is `plbench run --iterations`)" in said), \
            said
    if command in ("run", "pretrain", "perf"):  # the commands that train or time steps are offered their count
        assert offered, said
