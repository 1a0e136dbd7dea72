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
