"""Review of the probe-newuser commits of session 27 (tests/test_probe_newuser27.py) and of two findings of the new
user's left unfixed there."""
from __future__ import annotations

import re
import shlex

import pytest


@pytest.mark.parametrize("argv", [["--verison"], ["report", "--verison"], ["run", "--tasks", "denoise", "--verison"]])
def test_a_misspelt_version_flag_points_at_the_help_that_lists_it(argv, capsys):
    """``run_all.py --verison`` said 'did you mean --version? (`run_all.py run -h` shows the options)', though
    ``run -h`` lists no --version (the program's own option, which ``-h`` of the program lists): the help named is
    the one that shows the option offered."""
    from benchmark.cli import main

    with pytest.raises(SystemExit) as stop:
        main(argv)
    said = capsys.readouterr().err.strip().splitlines()[-1]
    assert stop.value.code == 2 and "did you mean --version?" in said, said
    shown = shlex.split(re.search(r"\(`([^`]*) -h` shows the options\)$", said).group(1))
    words = [w for w in shown[1:] if not w.endswith((".py", "python", "plbench"))]  # the command after the program
    with pytest.raises(SystemExit):
        main([*words, "-h"])
    assert "--version" in capsys.readouterr().out, (said, words)


@pytest.mark.parametrize("task, flags", [("denoise(sigma=0.1", "denoise.sigma=0.1"),
                                         ("denoise(sigma=(0.1, 0.2)", "denoise.sigma=(0.1, 0.2)"),
                                         ("denoise(sigma=0.1, ", "denoise.sigma=0.1")])
def test_a_task_with_an_unclosed_parenthesis_is_said_so(task, flags):
    """``run --tasks "denoise(sigma=0.1"`` (its ')' lost) said 'unknown task 'denoise(sigma=0.1'; did you mean
    denoise?', as if a typo of the name, the parameters to be dropped; with the ')' it says where task parameters
    go. Without it the same, and that its '(' is not closed (run's check of --tasks, a config file's alike)."""
    from benchmark.cli import _check_task_names
    from benchmark.errors import UserError

    with pytest.raises(UserError) as err:
        _check_task_names([task])
    said = str(err.value)
    assert "'(' is not closed" in said and f"--task-param {flags}" in said and "did you mean" not in said, said


def test_a_task_with_parameters_closed_is_said_as_before():
    from benchmark.config import _task_with_parameters
    from benchmark.errors import UserError

    with pytest.raises(UserError) as err:
        _task_with_parameters("denoise(sigma=0.1)")
    assert str(err.value) == ("task 'denoise(sigma=0.1)': a task is a name; its parameters go in --task-param "
                              "denoise.sigma=0.1 (or a config file's tasks: {denoise: {sigma: 0.1}})"), err.value


@pytest.mark.parametrize("slip, dunder", [("scale = name", "__name__"), ("scale = loader", "__loader__"),
                                          ("scale = torch.nn.Identity().call", "__call__")])
def test_a_slip_in_a_loss_file_is_not_offered_a_dunder_name(tmp_path, slip, dunder):
    """3ab46d4e's hint took difflib's close names among every name of the frame or object, dunders too: ``name``
    undefined was asked 'did you mean __name__?', ``.call`` '__call__?' — names Python's own traceback does not
    offer for them, and not what a loss file means. A dunder is offered only for a name written with '__'."""
    from benchmark.errors import UserError
    from benchmark.registry import LOSSES, load_user_file

    path = tmp_path / "slip_loss.py"
    path.write_text(f"import torch\n{slip}\n")
    with pytest.raises(UserError) as err:
        load_user_file(path, LOSSES)
    assert dunder not in str(err.value) and str(err.value).endswith("(slip_loss.py, line 2)"), err.value


def test_a_dunder_slip_in_a_loss_file_is_still_offered_its_dunder(tmp_path):
    from benchmark.errors import UserError
    from benchmark.registry import LOSSES, load_user_file

    path = tmp_path / "slip_loss.py"
    path.write_text("import torch\nhere = __fiel__\n")
    with pytest.raises(UserError) as err:
        load_user_file(path, LOSSES)
    assert str(err.value).endswith("; did you mean __file__? (slip_loss.py, line 2)"), err.value
