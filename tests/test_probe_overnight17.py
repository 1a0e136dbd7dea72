"""Overnight and cluster runs under faults (probe 17): what a user who starts the full grid with several workers at
night finds in the morning."""
from __future__ import annotations

import types

import pytest


def _two_shard_store(tmp_path):
    """A grid of two runs sharded over two workers (w0: run 0 then run 1; w1: run 1 then run 0), nothing recorded."""
    import time

    from benchmark.config import RunConfig, resolve
    from benchmark.executors import WorkUnit
    from benchmark.results import ResultsStore

    grid = [resolve(RunConfig(task="denoise", loss="l1", iterations=4, batch_size=2, crop=32, seed=s)) for s in (0, 1)]
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    since = time.time() - 60
    common = dict(store_root=str(store.root), metrics=("psnr",), device="cpu", since=since, grid_id="g1")
    w0 = WorkUnit(configs=(grid[0],), steal=(grid[1],), tag="[w0]", **common)
    w1 = WorkUnit(configs=(grid[1],), steal=(grid[0],), tag="[w1]", **common)
    return grid, store, w0, w1


def test_a_remote_job_hung_in_a_run_it_took_over_is_the_one_named_for_the_hang(tmp_path):
    """Was: a SLURM job or Ray task (a shard) that took over another job's run — one not started there, or left with a
    stale lock by a job whose node was lost — and hung in it in C code (exit 75) was named by no line of the morning's
    summary: the driver looked for its hang among its own share only, and found it in the share of the job whose run
    it was, which was said to have hung instead. Now a hang's record names the worker it ended, and each lost job's
    line names the hangs of its own worker, in its share or in a run it took over."""
    from benchmark.config import run_id
    from benchmark.executors import _lost
    from benchmark.runner import _mark_stalled, _record_failure, input_groups

    grid, store, w0, w1 = _two_shard_store(tmp_path)
    hung_in = types.SimpleNamespace(store=store, grid_id="g1", worker="w1")  # w1, in w0's run 0 it took over
    _record_failure(hung_in, grid[0], run_id(grid[0]), "made no progress for 60 s: hung in C code", "", w0.since + 5,
                    stalled=True)
    w1_line = _lost(w1, "job 7_1 ended without a result (state: FAILED)")["error"]
    w0_line = _lost(w0, "job 7_0 ended without a result (state: NODE_FAIL)")["error"]
    assert "hung" in w1_line and run_id(grid[0]) in w1_line, w1_line
    assert "hung" not in w0_line and run_id(grid[0]) not in w0_line, w0_line
    # a hung scoring of the task's degraded inputs (one task, both shards): the worker that hung in it alone
    (key, rid), = input_groups(grid).items()
    _mark_stalled(types.SimpleNamespace(store=store, grid_id="g1", worker="w0"), rid, "scoring made no progress")
    assert f"its scoring of {key[0]}'s degraded test inputs" in _lost(w0, "job 7_0 ended")["error"]
    assert "degraded test inputs" not in _lost(w1, "job 7_1 ended")["error"]


def test_a_shard_worker_tells_its_runs_which_worker_it_is(tmp_path, monkeypatch):
    """What a hang's record names (above) is the worker's own name, given to each of its run_grid calls: its share and
    the runs it takes over."""
    import benchmark.executors
    import benchmark.runner
    from benchmark.executors import run_unit
    from benchmark.runner import GridSummary

    grid, store, w0, w1 = _two_shard_store(tmp_path)
    seen = []

    def run_grid(configs, *args, **kwargs):
        seen.append((len(configs), kwargs.get("worker")))
        return GridSummary()

    monkeypatch.setattr(benchmark.runner, "run_grid", run_grid)
    monkeypatch.setattr(benchmark.executors, "check_planned", lambda unit: None)
    run_unit(w1)
    assert seen == [(1, "w1"), (1, "w1")], seen


_KILLED_REMOTE_WORKER = r'''
import multiprocessing, os, signal, sys

multiprocessing.set_start_method(sys.argv[2])  # Python 3.14's default on Linux is forkserver, macOS's spawn
import benchmark.executors as E


def killed(unit):  # a run shows its bar (disabled off a terminal, as overnight), then the OOM killer, or Ray's kill
    from benchmark.runner import _progress

    _progress(10, "run", False).update(1)
    os.kill(os.getpid(), signal.SIGKILL)


E.run_unit = killed
E._worker_main(E.WorkUnit((), sys.argv[1], ("psnr",), "cpu", tag="[w0]"))  # a Ray task's, a SLURM job's entry
'''


@pytest.mark.slow
@pytest.mark.parametrize("start_method", ["spawn", "forkserver"])
def test_a_ray_or_slurm_worker_killed_outright_leaves_no_leaked_semaphore_warning(tmp_path, start_method):
    """Was: a Ray task's or SLURM job's worker process (started by Ray or submitit, not by this driver) killed outright
    — the OOM killer, Ray's memory monitor, kill -9 — where multiprocessing's start method is not fork (Python 3.14's
    forkserver, macOS's spawn) left tqdm's multiprocessing lock, made by its first progress bar, registered with its
    own resource tracker, which outlived it and wrote 'UserWarning: resource_tracker: There appear to be 1 leaked
    semaphore objects to clean up at shutdown' into the job's log (Ray forwards it to the driver's, after the grid's
    last line). Only the local driver's spawned workers took a thread lock for their bars. Now every worker does, in
    its entry (_worker_main), whoever started it."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import benchmark

    script = tmp_path / "worker.py"
    script.write_text(_KILLED_REMOTE_WORKER)
    env = {**os.environ, "PYTHONPATH": str(Path(benchmark.__file__).parents[1])}  # this checkout's code
    out = subprocess.run([sys.executable, str(script), str(tmp_path / "r"), start_method], capture_output=True,
                         text=True, timeout=120, cwd=tmp_path, env=env)
    assert out.returncode == -9, out.stderr
    assert "leaked semaphore" not in out.stderr, out.stderr


def _closed_stderr_run(tmp_path, code: str, *args: str, timeout: float = 60):
    """``code`` run by this checkout's Python as a daemonising wrapper starts it: its stderr closed (``2>&-``)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import benchmark

    env = {**os.environ, "PYTHONPATH": str(Path(benchmark.__file__).parents[1])}  # this checkout's code
    return subprocess.run([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True, timeout=timeout,
                          cwd=tmp_path, env=env, preexec_fn=lambda: os.close(2))


@pytest.mark.parametrize("call", ["from benchmark.cli import main\nmain(['rn'])",  # a misspelt command, exit 2
                                  pytest.param("from benchmark import api\ntry:\n    api.run(tasks=['nope'])\n"
                                               "except api.UserError:\n    pass", marks=pytest.mark.slow)])
def test_a_command_started_with_its_stderr_closed_writes_no_file_through_it(tmp_path, call):
    """Was: started with its stderr closed (`plbench run … 2>&-`, a daemonising wrapper), Python left sys.stderr None
    and descriptor 2 free: the first file the command opened took it, so what a library writes to fd 2 went into that
    file, and the night's run died at its start (next test); a script's api.run alike. Now a closed standard stream
    is the null device."""
    code = (f"import os, sys\n{call}\n"
            "with open('f', 'w') as f:\n"
            "    print(f.fileno(), sys.stderr is not None, os.path.realpath('/proc/self/fd/2'))")
    out = _closed_stderr_run(tmp_path, code)
    fd, has_stderr, fd2 = out.stdout.split()[-3:]
    assert out.returncode == 0 and fd != "2" and has_stderr == "True" and fd2 == "/dev/null", out.stdout


@pytest.mark.slow
def test_a_grid_started_with_its_stderr_closed_trains(tmp_path):
    """Was: `plbench run --workers 2 … 2>&-` (a daemonising wrapper, a cron line closing stderr) ended at once on
    'error: internal error: AttributeError: 'NoneType' object has no attribute 'isatty'', nothing trained. Now the
    grid trains, its log going nowhere, as asked."""
    import json

    code = "import sys\nfrom benchmark.cli import main\nsys.exit(main(sys.argv[1:]))"
    out = _closed_stderr_run(tmp_path, code, "run", "--tasks", "denoise", "--losses", "l1", "l2", "--seeds", "0",
                             "--iterations", "2", "--metrics", "psnr", "--no-budget-check", "--workers", "2",
                             "--no-report", "--out", str(tmp_path / "r"), timeout=300)
    assert out.returncode == 0, out.stdout
    metas = [json.loads(p.read_text()) for p in (tmp_path / "r" / "runs").glob("*/meta.json")]
    assert sorted(m.get("status") for m in metas if "config" in m) == ["ok", "ok"], metas
