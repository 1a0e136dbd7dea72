"""Review of the report and newuser areas' changes of 2026-12-07 (tests/test_probe_report22.py,
tests/test_probe_newuser22.py): what they left undone in the category each fixed."""
from __future__ import annotations

import pytest


def test_compare_s_task_pattern_is_said_to_be_a_pattern_not_a_name_of_no_task(tmp_path, capsys):
    """``compare --tasks 'de*'`` still said "'de*' names no task" (the run command's fix skipped a command that
    takes every task by leaving --tasks out): now the same line as run's, ending with compare's own way to every
    task."""
    from benchmark.cli import main

    assert main(["compare", "--loss", "l1", "--tasks", "de*", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "names no task" not in err, err
    assert ("--tasks 'de*': a pattern, which only --losses takes ('vgg*'); name the tasks: --tasks deblur demosaic "
            "denoise, or leave --tasks out to compare on every task of the field") in err, err


@pytest.mark.parametrize(("source", "given", "takes"), [
    ("grid.yaml", "grid.yaml: tasks: de*", "only losses takes (losses: ['vgg*'])"),
    ("api.run()", "api.run(): tasks=['de*']", "only losses takes (losses=['vgg*'])"),
])
def test_a_task_pattern_in_a_config_file_or_api_call_names_the_losses_key_as_written_there(source, given, takes):
    """A pattern in a config file's ``tasks:`` was told "only --losses takes", a flag the file has not: the losses'
    key is named as that source writes it, as the ``all`` message of the same check does."""
    from benchmark.errors import UserError
    from benchmark.registry import check_not_all

    with pytest.raises(UserError) as e:
        check_not_all("tasks", ["de*"], source)
    assert str(e.value).startswith(f"{given}: a pattern, which {takes}; name the tasks: deblur, demosaic, denoise")
    assert "--losses" not in str(e.value)
