"""Probe 24 of a new user's path: typos a first run makes, each one line naming the word and a close one."""

import pytest

from benchmark.devices import parse_device
from benchmark.errors import UserError


@pytest.mark.parametrize(("given", "meant"), [("cdua", "cuda"), ("cpuu", "cpu"), ("auot", "auto"), ("cuda0", "cuda:0"),
                                              ("gpu 1", "cuda:1"), ("cdua:1", "cuda:1")])
def test_a_misspelt_device_is_offered_its_close_name(given, meant):
    """``--device cdua`` said only 'use auto, cpu, cuda or cuda:N' (a case slip, ``CPU``, alone was offered its name),
    where ``--net smal`` says 'did you mean small?'."""
    with pytest.raises(UserError, match=rf"unknown device '{given}': .*; did you mean {meant}\?$"):
        parse_device(given)


def test_run_with_a_misspelt_device_is_one_line_naming_it_and_the_close_one(tmp_path, capsys):
    from benchmark.cli import main

    assert main(["run", "--device", "cdua", "--out", str(tmp_path / "r"), "--dry-run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: --device: unknown device 'cdua': use auto, cpu, cuda or cuda:N; did you mean cuda?"], err
