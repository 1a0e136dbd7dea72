"""Compatibility of this session's changes with what users already had: plugin tasks and stores."""

from __future__ import annotations

import dataclasses

import pytest


@pytest.fixture
def own_modcrop_task(monkeypatch):
    """A plugin task written before the harness's ``modcrop``: a field of its own by that name (here: crop the
    degraded image's border), which the harness must neither cut test images by nor drop from its run ids."""
    from dataclasses import dataclass

    from benchmark.registry import TASKS, register_task
    from benchmark.task import Task

    TASKS.names()  # scanned before the copy: the throw-away entry below goes with the test
    monkeypatch.setattr(TASKS, "_entries", dict(TASKS._entries))

    @register_task("probe_own_modcrop", version="1")
    @dataclass(frozen=True)
    class OwnModcrop(Task):
        sigma: float = 0.1
        modcrop: bool = False

        def degrade(self, clean, generator):
            return clean

    return OwnModcrop


@pytest.mark.parametrize("value", [False, True])
def test_a_plugin_tasks_own_modcrop_field_keeps_its_run_ids_and_its_test_cut(own_modcrop_task, value):
    """cc137e5 made every task's ``modcrop`` field the harness's: a plugin task with a field of its own by that
    name had ``modcrop=False`` dropped from its recorded parameters (its stored runs' ids changed: rerun, not
    resumed) and ``modcrop=True`` cut its test images to its ``size_multiple`` (whole images) instead of 8 px.
    Only a task that declares the harness's parameter (``cuts_by_modcrop``) gets either."""
    from benchmark.data import test_multiple
    from benchmark.settings import task_conventions
    from benchmark.task import build_task

    task = build_task("probe_own_modcrop", modcrop=value)
    assert task.params == dataclasses.asdict(task) == {"sigma": 0.1, "modcrop": value}
    assert task.test_multiple == test_multiple(1) == 8
    line, = task_conventions([{"task": "probe_own_modcrop", "task_params": {"modcrop": value}}])
    assert "multiples of 8 px" in line and "whole" not in line


def test_the_builtin_tasks_declare_the_harness_modcrop():
    """The built-in tasks keep the new parameter: recorded only when true, and true cuts to the task's own
    multiple (sr4: the scale; denoise: whole images; demosaic: even sides)."""
    from benchmark.task import build_task

    for name, multiple in {"sr4": 4, "denoise": 1, "jpeg": 1, "deblur": 1, "demosaic": 2}.items():
        assert "modcrop" not in build_task(name).params and build_task(name).test_multiple == 8
        assert build_task(name, modcrop=True).params["modcrop"] is True
        assert build_task(name, modcrop=True).test_multiple == multiple


def test_an_empty_input_folder_left_by_a_full_disk_is_named_by_check(tmp_path, monkeypatch, capsys):
    """7e41a32 names a trained run's empty folder (a merge stopped by a full disk before its first file); the same
    merge stopped at a degraded input's scoring (``runs/input-…``) left an empty folder check said nothing of: "2
    runs, every record readable", as if the store were whole. It is counted as the same "empty run folder", and the
    same merge fills it."""
    import shutil

    from benchmark import faults
    from benchmark.cli import main
    from benchmark.results import ResultsStore
    from benchmark.synthetic import write_store

    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0,), "n_images": 3, "metrics": ("psnr",),
          "budget_check": False}
    node, here = write_store(tmp_path / "node", **kw), write_store(tmp_path / "here", **kw)
    inp = next(r for r in here.run_ids() if r.startswith("input-"))
    shutil.rmtree(here.run_dir(inp))  # a store without the input's scoring: the merge copies only that
    monkeypatch.setattr(faults, "_passed", {})
    monkeypatch.setenv(faults.DISK_FULL_ENV, "1")
    assert main(["merge", str(node.root), "--out", str(here.root)]) == 3
    monkeypatch.delenv(faults.DISK_FULL_ENV)
    here = ResultsStore(here.root)
    assert [r for r in here.run_ids() if not any(here.run_dir(r).iterdir())] == [inp]
    trained = len([r for r in here.run_ids() if not r.startswith("input-")])
    capsys.readouterr()
    assert main(["check", "--out", str(here.root)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith(f"{here.root}: {trained} runs,") and "1 empty run folder" in last, last
    assert "scoring" not in last.removeprefix(str(here.root)), last  # nothing scored yet
    assert main(["merge", str(node.root), "--out", str(here.root)]) == 0
    assert main(["check", "--out", str(here.root)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == f"{here.root}: {trained} runs (and 1 scoring of the degraded input), every record readable and " \
                   "matching its checksum", last
