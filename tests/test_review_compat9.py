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
