"""Probes of the loose ends left by the day's engineers and reviewers (base 327391cd)."""

import logging

import pytest


def _driver_stopped_with_its_workers_gone(tmp_path, monkeypatch, alive: bool) -> str:
    """The warning a local driver logs when its own error (a full disk while it polls) stops it, its workers
    ``alive`` or all exited."""
    import multiprocessing as mp

    import benchmark.executors as ex

    real = mp.get_context("spawn")
    kept = []

    class Process:
        def __init__(self, target=None, args=(), name=""):
            self.name, self.pid = name, 10**7 + len(kept)

        def start(self):
            pass

        def is_alive(self):
            return alive

        def join(self, timeout=None):
            pass

    class Open:
        def __init__(self, conn):
            self.conn = conn

        def close(self):
            pass

    class Ctx:
        @staticmethod
        def Pipe(duplex=False):  # noqa: N802 - multiprocessing's name
            recv, send = real.Pipe(duplex=duplex)
            kept.append(send)
            return recv, Open(send)

    Ctx.Process = Process

    class Monitor:
        def tick(self):
            raise OSError(28, "No space left on device")

    records = []
    handler = logging.Handler()
    handler.emit = records.append
    monkeypatch.setattr(mp, "get_context", lambda kind: Ctx)
    monkeypatch.setattr(ex.os, "kill", lambda pid, sig: None)
    units = ex._units([], 2, "shard", tmp_path / "r", ("psnr",), "cpu", None, (), "none", 1)
    logging.getLogger("benchmark.executors").addHandler(handler)
    try:
        with pytest.raises(OSError):
            ex._run_processes(units, [{}] * len(units), Monitor())
    finally:
        logging.getLogger("benchmark.executors").removeHandler(handler)
    return " ".join(r.getMessage() for r in records if "driver stopped" in r.getMessage())


def test_a_local_driver_stopped_on_an_error_after_its_workers_exited_says_none_is_stopped(tmp_path, monkeypatch):
    """A local driver hit by an error after its workers had all exited said 'stopping 0 workers; each saves a
    checkpoint first': no worker is stopped and none saves anything. It says its workers had all exited; with
    workers still running the line is as it was."""
    said = _driver_stopped_with_its_workers_gone(tmp_path, monkeypatch, alive=False)
    assert said.startswith("the driver stopped on an error (") and "No space left" in said, said
    assert "0 workers" not in said and "checkpoint" not in said and "exited" in said, said
    said = _driver_stopped_with_its_workers_gone(tmp_path, monkeypatch, alive=True)
    assert ": stopping 1 worker; it saves a checkpoint first" in said, said  # _units: one unit for an empty grid

