"""Probe 18 of overnight and cluster runs under faults: what the morning reads after a night of several workers."""
from __future__ import annotations

import contextlib
import time

import pytest

from tests.test_probe_store17 import _held_on_node2, _one_done


def test_a_live_run_resumed_on_a_node_whose_clock_is_behind_is_in_flight_at_the_first_look(tmp_path, monkeypatch):
    """node2's clock is two hours behind; it resumed a run from its checkpoint 60 s ago (the lock file's time, the file
    server's clock): its curve starts with the 1500 s trained before, as a copy's does. A new GridProgress — the
    morning's `plbench run` on another node, the first line of the next grid — read the lock's text (node2's clock:
    2 h ago) on its first look and said 'held by another machine for longer than any run takes', its worker not
    counted. Staleness is seen here, over time: the lock file's age and how long its files stay unchanged."""
    import benchmark.progress as progress

    store, cfgs, ids = _one_done(tmp_path)
    now = time.time()
    _held_on_node2(store, ids[1], text_at=now - 2 * 3600 - 60, lock_at=now - 60, curve=(1500.0, now - 5))
    clock = [1000.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    p = progress.GridProgress(store, cfgs, workers=1)
    line = p.line()
    assert "1 running (1 on another machine)" in line and "longer than any run" not in line, line
    clock[0] += 3 * 200 + 1  # node2 then wrote nothing for thrice the longest run, seen from here: no run there
    assert "1 held by another machine for longer than any run" in p.line()


def _images():
    import numpy as np
    import torch

    from benchmark.data import ImageRecord

    rng = np.random.default_rng(0)
    return [ImageRecord(f"i{k}", torch.from_numpy(rng.integers(0, 256, (3, 40, 48), dtype=np.uint8)))
            for k in range(2)]


def test_a_step_left_by_an_error_ends_its_prefetch_thread(one_thread):
    """train()'s way out by an error or a stop (_ended_on_error) ends the step's bar and its prefetch thread, the
    batch made ahead dropped."""
    import threading

    import torch

    from benchmark.config import RunConfig
    from benchmark.runner import HostPrefetch, _ended_on_error, _progress
    from benchmark.task import build_task

    cfg = RunConfig(task="denoise", loss="l1", iterations=6, batch_size=2, crop=16)  # a cheap degradation, as JPEG's
    prefetch = HostPrefetch(_images(), build_task("denoise"), cfg, torch.Generator().manual_seed(0),
                            torch.device("cpu"))
    prefetch.get()  # the next batch is being made in its thread
    with pytest.raises(KeyboardInterrupt), _ended_on_error(_progress(6, "run", False), prefetch):
        raise KeyboardInterrupt  # SIGTERM, as a stopped run raises it
    assert prefetch.pending is None
    assert not [t.name for t in threading.enumerate() if t.name.startswith("plbench-prefetch")]


@pytest.mark.slow
def test_a_run_raising_in_its_third_step_leaves_no_prefetch_thread_behind(one_thread):
    """A JPEG run on the GPU step (its batches made one step ahead in a thread) that raised in its 3rd step — a loss's
    bug, CUDA out of memory, retried at half the batch by a second train() — or was stopped (Ctrl-C, SIGTERM:
    KeyboardInterrupt) left its prefetch thread alive, a batch made ahead pinned in it, for the rest of the worker's
    grid: one thread more per such run, and threads alive at the interpreter's exit. train() closes its step's prefetch
    on every way out."""
    import threading

    import torch

    from benchmark.config import RunConfig
    from benchmark.registry import LOSSES
    from benchmark.runner import train
    from benchmark.task import build_task

    class RaisesAt3(torch.nn.Module):
        calls = 0

        def forward(self, pred, target):
            RaisesAt3.calls += 1
            if RaisesAt3.calls == 3:
                raise RuntimeError("CUDA out of memory (a stand-in)")
            return (pred - target).abs().mean()

    images = _images()
    LOSSES.add("probe18_raises_at_3", RaisesAt3)
    try:
        cfg = RunConfig(task="jpeg", loss="probe18_raises_at_3", iterations=6, batch_size=2, crop=16)
        with pytest.raises(RuntimeError, match="stand-in"):
            train(cfg, build_task("jpeg"), images, torch.device("cpu"), device_path=True)
    finally:
        LOSSES.remove("probe18_raises_at_3")
    left = [t.name for t in threading.enumerate() if t.name.startswith("plbench-prefetch")]
    assert not left, left


_ABORTS_IN_A_WORKERS_TEARDOWN = '''
import multiprocessing
import os

import torch

from benchmark.registry import register_loss


class _AbortsInTeardown:  # destroyed only by the interpreter's teardown, as pyarrow's thread pool
    def __del__(self, abort=os.abort, write=os.write):
        write(2, b"terminate called without an active exception\\n")
        abort()


# in a local worker or a SLURM job (submitit's) only: the driver's end is the entry's
if multiprocessing.parent_process() is not None or "SUBMITIT_FOLDER" in os.environ:
    _keep = _AbortsInTeardown()


@register_loss("probe18_l1")
class ProbeL1(torch.nn.Module):
    def forward(self, pred, target):
        return (pred - target).abs().mean()
'''


def test_a_local_worker_ends_as_the_command_does_once_its_result_is_sent(monkeypatch):
    """The spawned worker's target hands its result over (:func:`_process_entry`), then ends by exit_now(0), not by
    the interpreter's teardown."""
    from benchmark import errors, executors

    said = []
    monkeypatch.setattr(executors, "_process_entry", lambda *args: said.append(("entry", args)))
    monkeypatch.setattr(errors, "exit_now", lambda code: said.append(("exit", code)))
    executors._spawned_worker("unit", "conn", 42, None)
    assert said == [("entry", ("unit", "conn", 42, None)), ("exit", 0)]


@pytest.mark.slow
@pytest.mark.parametrize("executor", [(), ("--executor", "slurm", "--submitit-cluster", "local", "--device", "cpu")],
                         ids=["local", "slurm"])
def test_a_two_worker_grid_logs_no_abort_from_a_workers_teardown(tmp_path, executor):
    """Each local worker, its result sent, went through the interpreter's teardown (multiprocessing's spawn_main ends
    with sys.exit), where a C++ library's thread (pyarrow's) aborted now and then: 'terminate called without an active
    exception' in the night's log, under the grid's last line (and a core file where cores are kept); so did each
    SLURM job once submitit saved its result (its log, FAILED in sacct). A loss file that plants such an abort in each
    worker's teardown stands in for pyarrow's."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    loss = tmp_path / "aborts.py"
    loss.write_text(_ABORTS_IN_A_WORKERS_TEARDOWN)
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-m", "benchmark", "run", "--tasks", "denoise", "--losses", "l1",
                           "probe18_l1", "--loss-file", str(loss), "--seeds", "0", "--iterations", "4",
                           "--batch-size", "2", "--crop", "32", "--metrics", "psnr", "--no-budget-check",
                           "--no-report", "--workers", "2", "--out", str(tmp_path / "r"), *executor],
                          capture_output=True, text=True, env=env, cwd=Path(__file__).resolve().parents[1], timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "trained 2" in proc.stderr, proc.stderr[-2000:]
    assert "terminate called" not in proc.stderr, proc.stderr[-2000:]
    logs = list((tmp_path / "r" / ".submitit").glob("*/*_log.err"))
    assert len(logs) == (2 if executor else 0)
    for log in logs:
        assert "terminate called" not in log.read_text(), log.read_text()[-2000:]


_RAISES_IN_ITS_THIRD_STEP = '''
import torch

from benchmark.registry import register_loss


@register_loss("probe18_raises")
class Raises(torch.nn.Module):
    calls = 0

    def forward(self, pred, target):
        Raises.calls += 1
        if Raises.calls >= 3:  # its first value checked, then a step or two
            raise ValueError("a bug in its third step")
        return (pred - target).abs().mean()
'''


def test_the_boards_line_refused_by_a_full_disk_is_a_full_disk_not_an_internal_error(monkeypatch):
    """The run's last line on stdout, ``plbench run > night.log`` on a disk that filled: the one line of a full disk
    (exit 3) naming where the board is, stdout then put aside so nothing more is written there at exit."""
    import contextlib
    import sys

    from benchmark import cli
    from benchmark.results import DiskFull

    full = open("/dev/full", "w")
    monkeypatch.setattr(sys, "stdout", full)
    try:
        err = cli._board_line_said("leaderboard: results/leaderboard.md")
    finally:
        with contextlib.suppress(OSError):  # its buffer still holds the line
            full.close()
    assert isinstance(err, DiskFull) and err.exit_code == 3, err
    assert "while writing this command's output to /dev/full" in str(err)
    assert str(err).endswith("leaderboard: results/leaderboard.md"), err
    assert sys.stdout is not full


@pytest.mark.slow
@pytest.mark.parametrize("fails", [False, True], ids=["all-ok", "a-run-failed"])
def test_a_night_whose_stdout_is_on_a_full_disk_ends_with_its_own_outcome(tmp_path, fails):
    """`plbench run … > night.log` with night.log on a disk that filled: every run trained and the report written, the
    board's line on stdout failed and the command said 'error: internal error: OSError: [Errno 28] No space left on
    device', exit 1 — and where a run had failed, its exit code 1 stood only by chance. Now the full disk's line and
    exit 3; where a run failed, its lines and exit 1, the full disk said beside."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    losses = ["l1"]
    extra = []
    if fails:
        (tmp_path / "raises.py").write_text(_RAISES_IN_ITS_THIRD_STEP)
        losses, extra = ["l1", "probe18_raises"], ["--loss-file", str(tmp_path / "raises.py")]
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "benchmark", "run", "--tasks", "denoise", "--losses", *losses,
                               *extra, "--seeds", "0", "--iterations", "4", "--batch-size", "2", "--crop", "32",
                               "--metrics", "psnr", "--no-budget-check", "--out", str(tmp_path / "r")],
                              stdout=full, stderr=subprocess.PIPE, text=True, env=env,
                              cwd=Path(__file__).resolve().parents[1], timeout=300)
    assert "internal error" not in proc.stderr, proc.stderr[-2000:]
    said = [line for line in proc.stderr.splitlines() if "disk full while writing this command's output" in line]
    assert len(said) == 1 and "output to /dev/full;" in said[0] and "leaderboard: " in said[0], proc.stderr[-2000:]
    assert proc.returncode == (1 if fails else 3), (proc.returncode, proc.stderr[-2000:])
    if fails:
        assert "a bug in its third step" in proc.stderr and "1 run failed" in proc.stderr, proc.stderr[-2000:]


_A_NIGHT_SCRIPT = '''
import logging, sys
from benchmark import api

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname).1s %(name)s: %(message)s")
    api.run(tasks=["denoise"], losses=["l1", "probe18_raises"], loss_files=[sys.argv[2]], seeds=[0], iterations=4,
            batch_size=2, crop=32, metrics=["psnr"], budget_check=False, out=sys.argv[1], report=False)
'''


def _night_script(tmp_path, loss_file: str):
    """_A_NIGHT_SCRIPT run in a subprocess with ``loss_file``'s loss, on this checkout (not the install's): its
    CompletedProcess (stdout and stderr as text)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "raises.py").write_text(loss_file)
    (tmp_path / "night.py").write_text(_A_NIGHT_SCRIPT)
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    root = Path(__file__).resolve().parents[1]
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")])
    script = [str(tmp_path / "night.py"), str(tmp_path / "r"), str(tmp_path / "raises.py")]
    return subprocess.run([sys.executable, *script], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=300)


@pytest.mark.slow
def test_a_night_script_calling_api_run_ends_its_log_with_what_finished_and_what_failed(tmp_path):
    """A night's script calling api.run: its log had each run's error hours earlier, where it happened, and no end
    summary — what was trained, skipped, failed (which, why) and that the same call retries it — which `plbench run`
    says last. api.run says the same lines as the command (one shared cli.say_outcome)."""
    proc = _night_script(tmp_path, _RAISES_IN_ITS_THIRD_STEP)
    assert proc.returncode == 0, proc.stderr[-2000:]
    tail = proc.stderr.strip().splitlines()[-3:]
    assert "trained 1, skipped 0 (already done), re-scored 0, diverged 0, failed 1" in tail[0], tail
    assert "denoise/probe18_raises seed 0" in tail[1] and "a bug in its third step" in tail[1], tail
    assert "1 run failed" in tail[2] and "retries it" in tail[2], tail


def test_the_outcome_lines_name_each_failed_run_and_the_retry(tmp_path, caplog):
    """cli.say_outcome, the last lines of `plbench run` and api.run alike: the counts, each failed run with where and
    why, and that the same command retries it."""
    import logging

    from benchmark import cli
    from benchmark.config import RunConfig, run_id
    from benchmark.results import ResultsStore
    from benchmark.runner import GridSummary

    store = ResultsStore(tmp_path)
    store.ensure_writable()
    cfgs = [RunConfig(task="denoise", loss=loss, seed=0, train_fingerprint="x", test_fingerprint="y")
            for loss in ("l1", "l2")]
    store.write_meta(run_id(cfgs[1]), {"run_id": run_id(cfgs[1]), "status": "failed", "config": cfgs[1].to_dict(),
                                       "error": "ValueError: a bug in its third step", "failed_in": "training",
                                       "failed_at": 3})
    with caplog.at_level(logging.INFO, logger="benchmark"):
        cli.say_outcome(store, cfgs, GridSummary(trained=1, failed=1), None, 12.0)
    said = [r.getMessage() for r in caplog.records]
    assert said[0] == "trained 1, skipped 0 (already done), re-scored 0, diverged 0, failed 1 in 12.0 s", said
    assert said[1].startswith(f"denoise/l2 seed 0 (run {run_id(cfgs[1])}) failed at training iteration 3"), said
    assert said[1].endswith("ValueError: a bug in its third step") and "retries it" in said[2], said


def test_the_boards_line_to_a_reader_gone_leaves_the_grids_exit_code(monkeypatch):
    """`plbench run … | tee night.log`, tee ended overnight: the board's line met a broken pipe, which main() takes
    for `plbench findings | head` and ends with 0 — a night with failed runs exited 0. The line goes nowhere, the
    grid's own exit code stands."""
    import os
    import sys

    from benchmark import cli

    r, w = os.pipe()
    os.close(r)
    gone = os.fdopen(w, "w")
    monkeypatch.setattr(sys, "stdout", gone)
    try:
        assert cli._board_line_said("leaderboard: results/leaderboard.md") is None
    finally:
        with contextlib.suppress(OSError):
            gone.close()
    assert sys.stdout is not gone


_STOPPED_IN_ITS_THIRD_STEP = '''
import torch

from benchmark.registry import register_loss


@register_loss("probe18_raises")
class Stopped(torch.nn.Module):
    steps = 0

    def forward(self, pred, target):
        Stopped.steps += pred.requires_grad  # training steps, not the checks of its values while the grid is planned
        if Stopped.steps == 3:
            raise KeyboardInterrupt  # as SIGTERM (a scheduler's preemption) stops a run
        return (pred - target).abs().mean()
'''


@pytest.mark.slow
def test_a_night_script_calling_api_run_stopped_says_where_the_grid_stands(tmp_path):
    """A night's script calling api.run, stopped (SIGTERM: a preemption; Ctrl-C): `plbench run` says where the grid
    stands — finished, failed, left, and that the same command resumes it — before its interrupt line; the script's log
    said nothing of it. api.run says the same lines (one cli.say_interrupted; its own call resumes it), then the
    KeyboardInterrupt goes on."""
    proc = _night_script(tmp_path, _STOPPED_IN_ITS_THIRD_STEP)
    assert proc.returncode != 0 and "KeyboardInterrupt" in proc.stderr, proc.stderr[-2000:]
    said = [line for line in proc.stderr.splitlines() if "the grid stands at" in line]
    assert len(said) == 1 and "of 2 runs finished" in said[0] and "the same api.run() call resumes" in said[0], \
        proc.stderr[-2000:]
