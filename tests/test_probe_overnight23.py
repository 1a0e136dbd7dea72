"""Probe of the overnight run (session 23): what the Ray driver leaves running when it stops on something other than a
Ctrl-C, and the faults of a night found fresh."""
from __future__ import annotations

import errno
import logging
import types

import pytest
from test_probe_overnight22 import _grid, _raised_and_said, _slurm_jobs, _workers_that_never_report


def _endless_ray(stubborn: bool = False):
    """A fake ``ray`` (test_probe_ray7's FakeRay) whose tasks run until cancelled: a plain cancel (SIGINT to the task)
    stops them unless ``stubborn`` (a task that does not stop in time), a forced one always. Records ``cancelled`` and
    ``forced``."""
    from test_probe_ray7 import FakeRay

    class Endless(FakeRay):
        def __init__(self):
            super().__init__({})
            self.cancelled, self.forced, self.stopped = [], [], set()

        def remote(self, **opts):
            def submit(unit):
                self.units.append(unit)
                return len(self.units) - 1

            return lambda fn: types.SimpleNamespace(remote=submit)

        def wait(self, refs, num_returns=1, timeout=None):
            ready = [r for r in refs if r in self.stopped][:num_returns]
            return ready, [r for r in refs if r not in ready]

        def cancel(self, ref, force=False, recursive=True):
            (self.forced if force else self.cancelled).append(ref)
            if force or not stubborn:
                self.stopped.add(ref)

    return Endless()


def _driver_fails(tmp_path, monkeypatch, ray, error: BaseException, seeds=(0, 1, 2)) -> tuple[BaseException, str]:
    """``execute_ray`` of a 3-run grid on ``ray`` whose loop meets ``error`` (raised by the progress monitor, as a
    store that went bad or a full disk raises there): the error it ends with and its executors log."""
    import tempfile

    import benchmark.executors as ex

    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.setattr(ex, "_require", lambda module, extra: ray)
    monkeypatch.setattr(ex, "check_local_memory", lambda *a, **k: None)
    _monitor_raises(monkeypatch, error)
    return _raised_and_said(lambda: ex.execute_ray(_grid(seeds), tmp_path / "r", ("psnr",), "cpu", split="run",
                                                   logger="none"), BaseException, level=logging.WARNING)


def _monitor_raises(monkeypatch, error: BaseException) -> None:
    """The driver's progress monitor raises ``error`` at its first tick, as a store gone bad or a full disk raises
    there."""
    import benchmark.progress as progress

    def tick(self):
        raise error

    monkeypatch.setattr(progress.Monitor, "tick", tick)


@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left on device", "r/runs"),
                                   RuntimeError("a bug in the driver's loop")], ids=["disk-full", "driver-bug"])
def test_a_ray_driver_stopped_by_an_error_cancels_its_tasks_and_says_so(tmp_path, monkeypatch, error):
    """Only a Ctrl-C cancelled the Ray driver's tasks: stopped by anything else (a full disk, a store gone bad, a bug
    in its loop) it cancelled none and said nothing of them — a user's own Ray instance (api.run after ray.init, a
    notebook) kept them training into the store after the error (measured: both tasks of a 2-run grid still running
    60 s after execute_ray raised ENOSPC); a local instance's shutdown killed them with no checkpoint saved. Every task
    not finished is cancelled (SIGINT: they checkpoint and stop), waited for, the line says why, and the driver's own
    error is what it ends with (a full disk: exit 3)."""
    ray = _endless_ray()
    raised, said = _driver_fails(tmp_path, monkeypatch, ray, error)
    assert raised is error, raised
    assert sorted(ray.cancelled) == [0, 1, 2] and not ray.forced, (ray.cancelled, ray.forced)
    assert "cancelling 3 ray tasks" in said and str(error).splitlines()[0] in said, said
    assert not list((tmp_path / "tmp").glob("plbench-said-*"))


def test_a_ray_task_that_does_not_stop_in_the_grace_time_is_ended_not_left_running(tmp_path, monkeypatch):
    """A cancelled task still running when the driver's grace wait ended was left to a local instance's shutdown — on
    a Ray instance the driver did not start (the user's own, api.run after ray.init), nothing ended it: it trained on
    into the store with no driver. It is now ended (a forced cancel), and the line says so and what it loses."""
    import benchmark.executors as ex

    monkeypatch.setattr(ex, "STOP_GRACE_S", 0)
    ray = _endless_ray(stubborn=True)
    ray.up = True  # the user's own instance: the driver does not shut it down
    raised, said = _driver_fails(tmp_path, monkeypatch, ray, KeyboardInterrupt(), seeds=(0, 1))
    assert isinstance(raised, KeyboardInterrupt), raised
    assert sorted(ray.cancelled) == [0, 1] and sorted(ray.forced) == [0, 1], (ray.cancelled, ray.forced)
    assert "2 ray tasks did not stop" in said and "ended" in said, said


def _slurm_driver_fails(tmp_path, monkeypatch, cluster: str) -> tuple[BaseException, str, list]:
    """A SLURM driver (submitit monkeypatched: fake_slurm.executor) of a 3-run grid, one job per run, the first done,
    whose poll meets a full disk (raised by the progress monitor, as a store gone bad raises there): the error it ends
    with, its executors log from warnings up, and the jobs it cancelled."""
    import benchmark.executors as ex

    cancelled = _slurm_jobs(monkeypatch, cluster)
    error = OSError(errno.ENOSPC, "No space left on device", "r/runs")
    _monitor_raises(monkeypatch, error)
    raised, said = _raised_and_said(lambda: ex.execute_slurm(_grid((0, 1, 2)), tmp_path / "r", ("psnr",), "cpu",
                                                             cluster=cluster, split="run", logger="none"),
                                    BaseException, level=logging.WARNING)
    assert raised is error, raised
    return raised, said, cancelled


def test_a_slurm_driver_stopped_by_an_error_says_which_jobs_it_leaves_to_slurm(tmp_path, monkeypatch):
    """A SLURM driver stopped by an error of its own (a full disk, a store gone bad while it polls) ended with that
    error alone: nothing said its jobs, queued or running, go on training into the store without it (as a driver
    logged out leaves them, and the ledger keeps the next command from submitting them twice) nor how to stop them.
    It says so now, naming the jobs and the scancel that stops them, and cancels none (what they do is not lost)."""
    _, said, cancelled = _slurm_driver_fails(tmp_path, monkeypatch, "slurm")
    assert not cancelled, cancelled
    assert "No space left on device" in said and "2 jobs" in said and "scancel 1000" in said, said


def test_a_local_submitit_driver_stopped_by_an_error_cancels_its_jobs(tmp_path, monkeypatch):
    """submitit's local cluster runs the jobs as this driver's own processes, with no ledger for a next driver to find
    them by: stopped by an error the driver left them running with no one to collect them. They are cancelled (they
    checkpoint as they stop), as at a Ctrl-C, and the line says why."""
    _, said, cancelled = _slurm_driver_fails(tmp_path, monkeypatch, "local")
    assert [j.job_id for j in cancelled] == ["1000_1", "1000_2"], cancelled  # the first one's result is in
    assert "No space left on device" in said and "cancelling 2 jobs" in said, said


def test_a_local_driver_stopped_by_an_error_stops_its_workers(tmp_path, monkeypatch):
    """Only a Ctrl-C stopped the local driver's workers: stopped by an error of its own (a full disk or a store gone
    bad while it polls their progress, a bug in its loop) the driver raised with its workers left running — in a
    notebook's api.run they trained on into the store after the error (measured: 2 workers of a 2-run grid alive 45 s
    later, then writing their runs), from the command line the interpreter's exit waited for them (multiprocessing
    joins its children), the error shown and the command not ending. Each is sent SIGINT (it checkpoints and stops)
    and waited for, as at a Ctrl-C; the line says why; the driver ends with its own error (a full disk: exit 3)."""
    import signal

    import benchmark.executors as ex

    signalled, joined, pids = _workers_that_never_report(monkeypatch)
    error = OSError(errno.ENOSPC, "No space left on device", "r/runs")

    class Monitor:  # the driver polls its workers, which never report, until its loop fails
        def tick(self):
            raise error

    units = ex._units(_grid((0, 1)), 2, "shard", tmp_path / "r", ("psnr",), "cpu", None, (), "none", 1)
    raised, said = _raised_and_said(lambda: ex._run_processes(units, [{}] * len(units), Monitor()), OSError,
                                    level=logging.WARNING)
    assert raised is error, raised
    assert len(pids) == len(units) == 2, (pids, units)
    # SIGINT to a worker that started, SIGTERM to one still starting (as at a Ctrl-C): each stops, and is waited for
    assert sorted(p for p, _ in signalled) == pids and set(joined) == set(pids), (signalled, joined)
    assert {sig for _, sig in signalled} <= {signal.SIGINT, signal.SIGTERM}, signalled
    assert "No space left on device" in said and "stopping 2 workers" in said, said


def test_a_second_ctrl_c_while_the_ray_driver_cancels_its_tasks_still_ends_every_task(tmp_path, monkeypatch):
    """The stopped Ray driver cancels its tasks one by one (a grid split by run: one task per run, hundreds): a second
    Ctrl-C meanwhile — as its user presses one again to hurry it — raised out of that loop, the tasks after it never
    cancelled; on a Ray instance the driver did not start they trained on with no driver. Every task is still ended
    (at once: 'interrupt again to stop now'), and the interrupt goes on."""
    ray = _endless_ray()
    ray.up = True  # the user's own instance: the driver does not shut it down
    plain = type(ray).cancel

    def cancel(self, ref, force=False, recursive=True):
        plain(self, ref, force=force)
        if not force and len(self.cancelled) == 1:  # the second Ctrl-C, as the first task is cancelled
            raise KeyboardInterrupt

    monkeypatch.setattr(type(ray), "cancel", cancel)
    raised, said = _driver_fails(tmp_path, monkeypatch, ray, KeyboardInterrupt())
    assert isinstance(raised, KeyboardInterrupt), raised
    assert ray.stopped == {0, 1, 2} and {1, 2} <= set(ray.forced), (ray.cancelled, ray.forced)
    assert "3 ray tasks ended at once" in said, said
