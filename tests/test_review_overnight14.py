"""Review of the overnight14 fixes: what a reviewer found left in them."""

from __future__ import annotations

import dataclasses
import json
import time

import pytest

from benchmark.config import run_id
from benchmark.results import ResultsStore


@pytest.mark.slow  # a worker process starts (torch imported: 2-3 s)
def test_a_worker_that_exits_after_it_started_is_not_named_by_what_it_said_while_starting(tmp_path, monkeypatch,
                                                                                                 capfd):
    """The tail of a local worker's stderr while Python started it names the error of a worker that failed there
    (3c9ff2e). A worker that started — its stderr the driver's again — and exited later without reporting (a loss
    file's os._exit, a C library's exit(1)) was named by that tail all the same: a harmless line it printed while
    starting (a deprecation warning of an import) read as the cause of its exit, hours later."""
    import importlib
    import sys

    from benchmark import executors

    (tmp_path / "chatty_review14").mkdir()
    (tmp_path / "chatty_review14" / "__init__.py").write_text(
        "import sys\nprint('DeprecationWarning: chatty_review14 is old', file=sys.stderr)\nclass Policy:\n    pass\n")
    (tmp_path / "exits_review14.py").write_text("import os\nos._exit(1)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("chatty_review14")
    try:
        unit = executors.WorkUnit((), str(tmp_path / "r"), ("psnr",), "cpu", checkpoint=module.Policy(), tag="[w0]",
                                  loss_files=(str(tmp_path / "exits_review14.py"),))
        results = executors._run_processes([unit], [{}])
    finally:
        sys.modules.pop("chatty_review14", None)
    assert results[0]["error"] == "worker w0 exited with code 1 without reporting", results
    err = capfd.readouterr().err
    assert "chatty_review14 is old" in err and "plbench-worker-started" not in err, err  # passed on, the mark not


def test_several_workers_errors_are_counted_and_each_distinct_one_said(caplog):
    """When several workers failed, the grid's line was the first one's error and '(and 1 more workers)': wrong in
    number, and what the others failed with was in no line at all (a disk full in one, a bug in another). The same
    error elsewhere is counted now ('also in 1 other worker'), and each other error is one line of its own."""
    import logging

    import pytest

    from benchmark import executors
    from benchmark.errors import UserError

    disk = {"error": "disk full while writing x (No space left on device)", "user": True, "exit_code": 3}
    with pytest.raises(UserError) as exc:
        executors._raise_failures([{"summary": {}}, disk, dict(disk)], "workers")
    assert str(exc.value) == f"{disk['error']} (also in 1 other worker)" and exc.value.exit_code == 3
    bug = {"error": "ZeroDivisionError: division by zero", "user": False}
    with caplog.at_level(logging.ERROR, logger="benchmark"), pytest.raises(UserError) as exc:
        executors._raise_failures([disk, {**bug, "worker": "r1 (job 7_1)"}, disk, bug, disk], "slurm jobs")
    assert str(exc.value) == (f"{disk['error']} (also in 2 other slurm jobs; 2 other slurm jobs failed otherwise, "
                              "said above)"), str(exc.value)
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert said == ["2 other slurm jobs (r1 (job 7_1)) failed too: ZeroDivisionError: division by zero"], said


@pytest.mark.slow  # two runs trained (3 s)
def test_a_re_score_hung_in_c_code_holds_up_neither_the_next_command_nor_the_worker_in_its_place(tmp_path,
                                                                                                  monkeypatch):
    """A re-score is watched for stalls now (ba3078f); one hung where no interrupt reaches it (a deadlock in a
    metric's native code) ends its process (exit 75), as a hung run does, but left no record: the next command (or the
    worker started in its place) re-scored that run first again, hung again, and ended again — the grid's other runs
    never reached in one process, a worker replaced once per run of its share for one hang. Such a re-score is now
    recorded in the run's meta.json: tried after the grid's other runs, and not again by the same grid."""
    import os
    import signal
    import threading

    import torch
    from test_probe_overnight14 import _photo_run

    from benchmark import runner
    from benchmark.results import atomic_write_json

    class Ended(Exception):
        pass

    cfg = _photo_run(tmp_path)
    other = runner.resolve_all([dataclasses.replace(cfg, seed=1)])[0]
    store = ResultsStore(tmp_path / "r")
    assert runner.run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False, stall_s=0).trained == 1
    before = store.meta(run_id(cfg))
    ended = threading.Event()
    monkeypatch.setattr(signal, "pthread_kill", lambda *a: None)  # the interrupt reaches no Python: hung in C code
    monkeypatch.setattr(os, "_exit", lambda code: ended.set())  # the watch ends the process here (exit 75)

    def hangs(*args, **kwargs):
        ended.wait(10)
        ended.clear()
        raise Ended

    monkeypatch.setattr(runner, "_rescore", hangs)
    with pytest.raises(Ended):  # the first command: ended in the re-score, the other run not reached
        runner.run_grid([cfg, other], store, ("psnr", "ssim"), torch.device("cpu"), progress=False, stall_s=0.3)
    assert store.meta(run_id(other)) is None
    with pytest.raises(Ended):  # the same command again: the other run trained before the re-score is tried again
        runner.run_grid([cfg, other], store, ("psnr", "ssim"), torch.device("cpu"), progress=False, stall_s=0.3)
    assert store.meta(run_id(other))["status"] == "ok"
    assert store.meta(run_id(cfg)) == before  # still finished, its record untouched: the mark is a file beside it
    since, grid_id = time.time(), "g-review14"  # a worker in the place of one ended there (this grid's mark)
    mark = runner.stall_mark(store, run_id(cfg))
    atomic_write_json(store.run_dir(run_id(cfg)) / runner.STALLED, {**mark, "grid_id": grid_id})
    summary = runner.run_grid([cfg, other], store, ("psnr", "ssim"), torch.device("cpu"), progress=False,
                              stall_s=0.3, since=since, grid_id=grid_id)
    assert (summary.unscored, summary.skipped) == (1, 1)  # not tried again
    monkeypatch.undo()  # the metric's hang gone: the next command re-scores it, and its mark goes
    summary = runner.run_grid([cfg, other], store, ("psnr", "ssim"), torch.device("cpu"), progress=False, stall_s=0)
    assert summary.rescored == 1 and store.metrics_scored(run_id(cfg)) == {"psnr", "ssim"}
    assert store.meta(run_id(cfg)) == before and runner.stall_mark(store, run_id(cfg)) is None


def test_a_worker_ended_with_a_hung_run_once_too_often_is_named_so():
    """A local worker ended with a run hung in C code (exit 75) is started again, once per run of its share; past
    that, the grid's line said 'worker w0 exited with code 75 without reporting': the hang, recorded in the runs' own
    records, in no words of its own."""
    from benchmark import executors

    error = executors._died("w0", 75)["error"]
    assert error == ("worker w0 was ended with a run hung in C code (exit code 75; the hung runs are recorded failed), "
                     "as often as it has runs: not started again"), error


@pytest.mark.slow  # a run trained (3 s)
def test_an_input_scoring_hung_in_c_code_holds_up_neither_the_next_command_nor_the_worker_in_its_place(tmp_path,
                                                                                                        monkeypatch):
    """The degraded inputs' scoring, watched for stalls now (ba3078f), hung where no interrupt reaches it, ended its
    process (exit 75) with no record: the next command scored them first again, before the task's runs, hung and ended
    again — no run of the task ever trained in one process. Such a hang is marked now (``runs/<input id>/.stalled``):
    the inputs are scored after the grid's runs, not again by the same grid, and the mark goes once they are."""
    import os
    import signal
    import threading

    import torch
    from test_probe_overnight14 import _photo_run

    from benchmark import runner

    class Ended(Exception):
        pass

    cfg = _photo_run(tmp_path)
    store = ResultsStore(tmp_path / "r")
    ended = threading.Event()
    real_score, real_exit, real_kill = runner._score_input_in, os._exit, signal.pthread_kill
    monkeypatch.setattr(signal, "pthread_kill", lambda *a: None)  # the interrupt reaches no Python: hung in C code
    monkeypatch.setattr(os, "_exit", lambda code: ended.set())  # the watch ends the process here (exit 75)

    def hangs(*args, **kwargs):
        ended.wait(10)
        ended.clear()
        raise Ended

    monkeypatch.setattr(runner, "_score_input_in", hangs)
    with pytest.raises(Ended):  # the first command: ended in the inputs' scoring, before the task's run
        runner.run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False, stall_s=0.3)
    assert store.meta(run_id(cfg)) is None
    with pytest.raises(Ended):  # the same command again: the run trained before the inputs are tried again
        runner.run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False, stall_s=0.3)
    assert store.meta(run_id(cfg))["status"] == "ok"
    (mark,) = store.runs.glob("*/.stalled")
    since, grid_id = time.time(), "g-review14"  # a worker in the place of one ended there (this grid's mark)
    mark.write_text(json.dumps({**json.loads(mark.read_text()), "grid_id": grid_id}))
    summary = runner.run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False, stall_s=0.3,
                              since=since, grid_id=grid_id)
    assert summary.skipped == 1 and mark.exists()  # not tried again
    monkeypatch.setattr(runner, "_score_input_in", real_score)  # the hang gone: the next command scores them
    monkeypatch.setattr(os, "_exit", real_exit)
    monkeypatch.setattr(signal, "pthread_kill", real_kill)
    runner.run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False, stall_s=0)
    assert not mark.exists() and store.is_done(mark.parent.name)
