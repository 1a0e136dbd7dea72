"""A new user's first hour, probed (22): the environment variables the README names, …"""

import pytest

from benchmark.errors import UserError


@pytest.mark.parametrize("value", ["nan", "-5", "-0.5"])
def test_a_decoded_ram_budget_that_is_nan_or_negative_is_one_clear_error(value, monkeypatch):
    """``PLBENCH_DECODED_RAM_MB=nan`` stopped the grid with 'internal error: ValueError: cannot convert float NaN to
    integer'; a negative one was silently taken as 0 (every image spilled to disk). Now: one line naming the value
    and what is accepted."""
    from benchmark.data import decoded_in_ram_bytes

    monkeypatch.setenv("PLBENCH_DECODED_RAM_MB", value)
    with pytest.raises(UserError, match=rf"PLBENCH_DECODED_RAM_MB={value!r} is not a number of megabytes ≥ 0"):
        decoded_in_ram_bytes()


@pytest.mark.parametrize("value", ["inf", "1e400", "Infinity"])
def test_an_unbounded_decoded_ram_budget_keeps_every_image_in_memory(value, monkeypatch, image_folder):
    """``PLBENCH_DECODED_RAM_MB=inf`` (never spill to disk) stopped the grid with 'internal error: OverflowError:
    cannot convert float infinity to integer' while the first image was decoded. Now: no bound, every image held in
    memory as decoded (none memory-mapped)."""
    from benchmark.data import DataSpec, decoded_in_ram_bytes, load_images

    monkeypatch.setenv("PLBENCH_DECODED_RAM_MB", value)
    assert decoded_in_ram_bytes() >= 2**62
    monkeypatch.setenv("PLBENCH_SPILL_DIR", str(image_folder / "nowhere"))  # a spill would fail: said, not raised
    assert len(load_images(DataSpec(str(image_folder)))) == 7  # the folder's images but its broken one


def _words(hint: str) -> list[str]:
    import re
    import shlex

    return shlex.split(re.search(r"`([^`]*)`", hint).group(1))


def test_the_dry_runs_gpu_check_command_runs_from_the_users_folder(tmp_path, monkeypatch):
    """A CPU dry run's last line said "or `python scripts/gpu_check.py` for a one-command GPU measurement" from any
    folder: copied from the user's own (``--out results-mine`` beside their photos) it was "can't open file
    'scripts/gpu_check.py'", and after the README's first command (the venv not activated) ``python`` has no torch.
    Now the line names the script as it is reached from here and the interpreter that runs plbench."""
    import os

    from benchmark.cli import _gpu_check_hint

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))  # no `python` on the PATH: the README's venv, not activated
    words = _words(_gpu_check_hint())
    assert words[-1].endswith("gpu_check.py") and os.path.isfile(words[-1]), words
    assert os.path.samefile(words[0], __import__("sys").executable), words


def test_the_gpu_check_hint_is_left_out_where_the_script_is_not_shipped(monkeypatch):
    """An installed wheel ships the packages, not ``scripts/``: no command is named that is not there."""
    import benchmark.cli

    monkeypatch.setattr(benchmark.cli, "_GPU_CHECK", benchmark.cli._GPU_CHECK.with_name("nowhere.py"))
    hint = benchmark.cli._gpu_check_hint()
    assert "gpu_check.py" not in hint and "run the same dry run on the GPU machine" in hint


def test_an_install_hint_names_the_pip_of_the_python_that_runs_plbench(tmp_path, monkeypatch):
    """``--logger wandb`` without wandb said "pip install 'perceptual-loss-bench[wandb]'" (so did a missing Ray or
    submitit, and LPIPS's missing package): after the README's first command, the venv not activated, the PATH's
    ``pip`` installs into another Python (or is not there) and the same command failed the same way. Now the hint
    runs this interpreter's pip: ``pip`` where the PATH's is the one beside it, else ``<python> -m pip``."""
    import os
    import shlex
    import sys

    from benchmark.loggers import check_logger

    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a, **k: None)
    monkeypatch.chdir(tmp_path)
    other = tmp_path / "system-bin"
    other.mkdir()
    (other / "pip").write_text("#!/bin/sh\n")
    (other / "pip").chmod(0o755)
    monkeypatch.setenv("PATH", str(other))  # another Python's pip first on the PATH
    with pytest.raises(UserError, match="needs the wandb package") as caught:
        check_logger("wandb")
    words = shlex.split(str(caught.value).split("package: ", 1)[1])
    assert os.path.isfile(words[0]) and os.path.samefile(words[0], sys.executable), words
    assert words[1:4] == ["-m", "pip", "install"], words
    monkeypatch.setenv("PATH", os.pathsep.join([os.path.dirname(os.path.abspath(sys.executable)), str(other)]))
    if os.access(os.path.join(os.path.dirname(os.path.abspath(sys.executable)), "pip"), os.X_OK):
        with pytest.raises(UserError, match=r"needs the wandb package: pip install 'perceptual-loss-bench\[wandb\]'"):
            check_logger("wandb")


@pytest.mark.parametrize("n_grids", [1, 2])
def test_merges_replay_command_names_a_saved_grid_that_is_there(n_grids, tmp_path, capsys, monkeypatch):
    """``merge``'s line said "1 saved grid copied (grids/20261207-092416Z.yaml: `plbench run --config
    merged/grids/<name>` runs one here)": copied into a shell, ``<name>`` is a redirection from a file ``name`` (bash:
    "name: No such file or directory"), though the one grid's name was right before it. Now the command names a grid
    that is there: the one copied, or the first of several (the others alike)."""
    import os
    import re
    import shlex

    from benchmark.cli import main
    from benchmark.synthetic import write_store

    monkeypatch.chdir(tmp_path)
    kw = dict(seeds=(0,), n_images=2, metrics=("psnr",), budget_check=False)
    write_store(tmp_path / "here", offsets={"l1": 0.0}, **kw)
    there = write_store(tmp_path / "there", offsets={"l2": 0.1}, **kw)
    (there.root / "grids").mkdir()
    for i in range(n_grids):
        (there.root / "grids" / f"20261207-09241{i}Z.yaml").write_text("profile: quick\n")
    assert main(["merge", "there", "--out", "here"]) == 0
    line = next(s for s in capsys.readouterr().out.splitlines() if "copied (grids/" in s)
    command = shlex.split(re.search(r"`([^`]*run --config [^`]*)`", line).group(1))
    assert "<" not in " ".join(command) and os.path.isfile(command[command.index("--config") + 1]), line


@pytest.mark.parametrize("argv", [["run", "--version"], ["list", "-V"], ["report", "--out", "results", "--version"],
                                  ["--tasks", "denoise", "--version"]])
def test_version_after_a_command_prints_the_version(argv, capsys):
    """``plbench run --version`` (as ``pip install --version`` answers) said "error: unrecognized arguments:
    --version; did you mean --version?", exit 2: a suggestion of the very flag given. Now ``--version`` / ``-V``
    anywhere is the program's version, as ``plbench --version`` prints it, exit 0 (``-h`` wins anywhere alike)."""
    from benchmark.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    expected = capsys.readouterr().out
    assert expected.startswith("plbench ")
    with pytest.raises(SystemExit) as stop:
        main(argv)
    said = capsys.readouterr()
    assert stop.value.code == 0 and said.out == expected and said.err == "", said


def test_loss_tasks_naming_a_term_of_a_composite_the_grid_trains_is_warned(caplog):
    """``--losses 'l1 + 0.01*vgg' --loss-tasks vgg=sr4`` (keep the slow VGG term to ×4 SR) was ignored in an INFO
    line — 'loss_tasks names vgg, which this grid does not train' — hidden by ``-q`` and easily missed: the composite,
    slow term and all, trained on every task. Now a WARNING names the composite and the entry that keeps it there."""
    import logging

    from benchmark.config import _restricted_tasks

    with caplog.at_level(logging.INFO, logger="benchmark.config"):
        only = _restricted_tasks((("vgg", ("sr4",)),), ["l1 + 0.01*vgg", "l1"], ["denoise", "sr4"], "--loss-tasks")
    assert only == {}
    said = [r for r in caplog.records if "vgg" in r.getMessage()]
    assert said and said[0].levelno == logging.WARNING, [(r.levelname, r.getMessage()) for r in said]
    assert "l1 + 0.01*vgg" in said[0].getMessage() and "'l1 + 0.01*vgg=sr4'" in said[0].getMessage(), said


@pytest.mark.parametrize(("argv", "expected"), [
    (["--tasks", "de*"], "--tasks 'de*': a pattern, which only --losses takes ('vgg*'); name the tasks: "
                         "--tasks deblur demosaic denoise"),
    (["--tasks", "denoise", "--metrics", "ps?r"], "--metrics 'ps?r': a pattern, which only --losses takes"),
])
def test_a_wildcard_among_tasks_or_metrics_says_only_losses_take_one(argv, expected, tmp_path, capsys):
    """``--losses 'vgg*'`` picks every VGG loss, so a user tries ``--tasks 'de*'``: it said "unknown task 'de*'",
    as if no task began so. Now: a pattern is for losses only, and a task pattern lists the tasks it matches to
    write instead."""
    from benchmark.cli import main

    assert main(["run", *argv, "--losses", "l1", "--dry-run", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err, err
