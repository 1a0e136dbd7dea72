"""A new user's command line, leftovers (20): ``all`` for tasks and metrics said in the source's words, …"""

import pytest

from benchmark import api
from benchmark.cli import main
from benchmark.errors import UserError


def _refused(argv) -> int:
    """``main(argv)``'s exit status: a returned one or a SystemExit's."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def _last_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert err, "nothing said"
    return err[-1]


@pytest.mark.parametrize("key", ["tasks", "metrics"])
@pytest.mark.parametrize("word", ["all", "*"])
def test_all_for_tasks_or_metrics_is_said_in_the_flags_words(key, word, tmp_path, capsys):
    """``--metrics all`` was told 'metrics: 'all' names every loss among losses' (the file's keys), ``--tasks all``
    only 'unknown task 'all''."""
    assert _refused(["run", f"--{key}", word, "--out", str(tmp_path / "r")]) not in (0, None)
    said = _last_error(capsys)
    assert said.startswith(f"error: --{key} {word}: '{word}' is for losses only (--losses all "), said
    assert f"e.g. --{key} " in said and " among losses" not in said, said
    if key == "tasks":
        assert "registered: deblur, demosaic, denoise, jpeg, sr4" in said, said
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("key", ["tasks", "metrics"])
def test_all_for_tasks_or_metrics_is_said_in_a_config_files_and_api_runs_words(key, tmp_path, capsys):
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"{key}: all\n")
    assert _refused(["run", "--config", str(grid), "--out", str(tmp_path / "r")]) not in (0, None)
    said = _last_error(capsys)
    assert said.startswith(f"error: grid.yaml: {key}: all: 'all' is for losses only (losses: all "), said
    assert f"e.g. {key}: [" in said and "--" not in said.split("(")[0], said
    with pytest.raises(UserError) as exc:
        api.run(**{key: ["all"]}, out=str(tmp_path / "r"))
    assert str(exc.value).startswith(f"api.run(): {key}=['all']: 'all' is for losses only (losses=['all'] "), exc.value
    assert f"e.g. {key}=[" in str(exc.value)
