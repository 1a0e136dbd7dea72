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


@pytest.mark.parametrize(("names", "package"), [(("IMG_0001.HEIC", "IMG_0002.heic"), "pillow-heif"),
                                                (("scan.jxl",), "pillow-jxl-plugin")])
def test_a_skipped_photo_s_install_hint_names_the_pip_of_the_python_that_runs_plbench(names, package, tmp_path,
                                                                                       monkeypatch, caplog):
    """The install hints were made to name this interpreter's pip (test_probe_newuser22), but a folder of a phone's
    HEIC photos (or JPEG XL scans) still said "(pip install pillow-heif, …)": the venv not activated, the PATH's pip
    installs into another Python. Now that hint, in the refusal and in the folder's warning, is ``<python> -m pip``
    as for the others."""
    import logging
    import os
    import shlex
    import sys

    import numpy as np
    from PIL import Image

    from benchmark.data import DataSpec, load_images
    from benchmark.errors import UserError

    photos = tmp_path / "photos"
    photos.mkdir()
    for name in names:
        (photos / name).write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" if "heic" in name.lower()
                                    else b"\xff\x0a" + bytes(30))
    other = tmp_path / "system-bin"
    other.mkdir()
    (other / "pip").write_text("#!/bin/sh\n")
    (other / "pip").chmod(0o755)
    monkeypatch.setenv("PATH", str(other))  # another Python's pip first on the PATH
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError) as caught:
        load_images(DataSpec.parse(str(photos)))
    said = str(caught.value)
    assert "(pip install" not in said, said
    words = shlex.split(said.split("reads (", 1)[1].split(",", 1)[0])
    assert os.path.samefile(words[0], sys.executable) and words[1:] == ["-m", "pip", "install", package], said
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(photos / "a.png")
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        load_images(DataSpec.parse(str(photos)))
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert f"-m pip install {package}" in warned and "(pip install" not in warned, warned


def test_an_install_hint_or_the_gpu_check_line_names_the_interpreter_where_no_relative_path_reaches_it(
        tmp_path, monkeypatch):
    """errors.pip() and the dry run's gpu_check line (test_probe_newuser22) each made their own copy of the resume
    line's rule, ``os.path.relpath`` included, which raises where no relative path exists (this Python on C:, the
    photos on D: on Windows; a current folder deleted): a missing wandb's one-line hint became an internal error.
    Now one rule, errors.reached_from_here, gives the absolute path there, for all three lines."""
    import os
    import shlex
    import sys

    from benchmark import cli
    from benchmark.errors import UserError
    from benchmark.loggers import check_logger

    def no_relative(path, start=None):
        raise ValueError(f"path is on mount 'C:', start on mount 'D:' ({path})")

    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a, **k: None)
    monkeypatch.setenv("PATH", str(tmp_path))  # no pip, no python on it
    monkeypatch.setattr(os.path, "relpath", no_relative)
    with pytest.raises(UserError, match="needs the wandb package") as caught:
        check_logger("wandb")
    words = shlex.split(str(caught.value).split("package: ", 1)[1])
    assert words[0] == os.path.abspath(sys.executable) and words[1:4] == ["-m", "pip", "install"], words
    from benchmark.errors import reached_from_here

    assert reached_from_here(sys.executable) == os.path.abspath(sys.executable)
    if cli._GPU_CHECK.is_file():
        line = cli._gpu_check_hint()
        assert shlex.join([os.path.abspath(sys.executable), str(cli._GPU_CHECK)]) in line, line


@pytest.mark.parametrize("away_too", [False, True])
def test_merges_replay_command_names_a_grid_that_replays_here(away_too, tmp_path, capsys, monkeypatch):
    """merge's replay command named the first grid copied (test_probe_newuser22) even where that grid names a node's
    data not on this machine, so the line said "`plbench run --config here/grids/A.yaml` runs the first here" and
    then "grids/A.yaml names /scratch/…, not on this machine: it replays only where that is". Now it names the first
    grid that replays here, and none where no grid does."""
    import re
    import shlex

    from benchmark.cli import main
    from benchmark.synthetic import write_store

    monkeypatch.chdir(tmp_path)
    kw = dict(seeds=(0,), n_images=2, metrics=("psnr",), budget_check=False)
    write_store(tmp_path / "here", offsets={"l1": 0.0}, **kw)
    there = write_store(tmp_path / "there", offsets={"l2": 0.1}, **kw)
    (there.root / "grids").mkdir()
    scratch = tmp_path / "node-scratch" / "photos"  # not on this machine
    (there.root / "grids" / "20261207-092410Z.yaml").write_text(f"profile: quick\ntrain_data: {scratch}\n")
    (there.root / "grids" / "20261207-092411Z.yaml").write_text(
        f"profile: quick\ntrain_data: {scratch}\n" if away_too else "profile: quick\n")
    assert main(["merge", "there", "--out", "here"]) == 0
    line = next(s for s in capsys.readouterr().out.splitlines() if "copied (grids/" in s)
    assert "not on this machine" in line, line
    found = re.search(r"`([^`]*run --config [^`]*)`", line)
    if away_too:
        assert found is None and "runs the first here" not in line and "runs it here" not in line, line
    else:
        command = shlex.split(found.group(1))
        assert command[command.index("--config") + 1].endswith("20261207-092411Z.yaml"), line
        assert "runs it here" in line, line


@pytest.mark.parametrize("name", ["--loss-tasks", "grid.yaml: loss_tasks"])
def test_the_composite_s_loss_tasks_entry_is_written_as_its_source_writes_it(name, caplog):
    """The warning for ``--loss-tasks lpips=sr4`` beside ``--losses "l1 + 0.01*lpips(net='vgg')"``
    (test_probe_newuser22) offered the entry ``'l1 + 0.01*lpips(net='"'"'vgg'"'"')=sr4'`` (shlex's quoting of a
    spec's own quotes), and offered that flag form to a config file too, whose loss_tasks is a mapping. Now the flag
    entry reads as typed (``--loss-tasks "l1 + 0.01*lpips(net='vgg')=sr4"``), the file's as a mapping it loads."""
    import logging
    import shlex

    import yaml

    from benchmark.config import _restricted_tasks

    spec = "l1 + 0.01*lpips(net='vgg')"
    with caplog.at_level(logging.INFO, logger="benchmark.config"):
        assert _restricted_tasks((("lpips", ("sr4",)),), [spec, "l1"], ["denoise", "sr4"], name) == {}
    said = [r.getMessage() for r in caplog.records if "term of" in r.getMessage()]
    assert len(said) == 1, [r.getMessage() for r in caplog.records]
    entry = said[0].split("by its whole spec: ", 1)[1].removesuffix(")")
    assert "'\"'\"'" not in entry, entry
    if name.startswith("--"):
        assert entry == "--loss-tasks \"l1 + 0.01*lpips(net='vgg')=sr4\"", entry
        assert shlex.split(entry) == ["--loss-tasks", f"{spec}=sr4"]
    else:
        assert "=sr4" not in entry and yaml.safe_load(entry) == {"loss_tasks": {spec: ["sr4"]}}, entry
