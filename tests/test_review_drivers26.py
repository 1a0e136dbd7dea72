"""Review of the overnight drivers' session-26 commits (e084df10, 97e49475): a SLURM job the driver's own sacct read
says ended, or holds in a state it does not know, without a result."""
from __future__ import annotations

import json

from test_probe_drivers25 import _slurm_jobs
from test_probe_drivers26 import _driven


def test_a_job_sacct_reads_ended_without_a_result_that_submitit_counts_unfinished_is_collected_lost(tmp_path,
                                                                                                  monkeypatch):
    """e084df10 collects a job its sacct read says ended through submitit's ``job.result()``, which waits while
    submitit's own view says the job will still run: PREEMPTED (not requeued) is ended for the driver (SLURM_ENDED)
    and unfinished for submitit, so the driver waited for ever inside the collection. It is collected as lost, its
    line naming the state."""
    submitit, jobs, state = _slurm_jobs(tmp_path, monkeypatch, ["PREEMPTED"])
    driver, ended = _driven(tmp_path, monkeypatch, submitit, jobs, state)
    driver.join(10)
    assert ended, "still waiting on a job sacct read PREEMPTED"
    assert "PREEMPTED" in str(ended[0]), ended[0]


def test_a_job_in_a_state_the_driver_does_not_know_without_a_result_is_given_up_cancelled_and_forgotten(
        tmp_path, monkeypatch, caplog):
    """97e49475 counts a state the driver does not know as one that may still run (the stop's count, the ledger), and
    since e084df10 the poll waits on such a job until its result is written: one that ended in it without a result
    kept the driver waiting for ever (submitit's look, before, took it as done). After SLURM_UNKNOWN_S in such a state
    with no result it is given up: scancelled (it does not run on), its runs lost with a warning naming the state, and
    dropped from the ledger, so the same command submits them again — one rule for the poll, the stop and the
    ledger."""
    import benchmark.executors as ex

    submitit, jobs, state = _slurm_jobs(tmp_path, monkeypatch, ["FANCY_NEW_STATE", "RUNNING"])
    monkeypatch.setattr(ex, "SLURM_UNKNOWN_S", 0.2, raising=False)  # none before: waited for ever
    monkeypatch.setenv("FAKE_SLURM_KILL_WAIT", "0")
    scancel, calls = state.parent / "bin" / "scancel", state / "scancelled"
    scancel.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n' + scancel.read_text().split("\n", 1)[1])
    with caplog.at_level("WARNING", logger="benchmark.executors"):
        driver, ended = _driven(tmp_path, monkeypatch, submitit, jobs, state)
        ex._time.sleep(0.05)
        assert driver.is_alive(), "given up before SLURM_UNKNOWN_S"
        driver.join(1)
        (state / "1000_1.state").write_text("COMPLETED")
        driver.join(10)
    assert ended, "still waiting on a job in a state the driver does not know"
    assert calls.exists() and calls.read_text().split() == ["1000_0"], "the given-up job left to run on"
    said = [r.getMessage() for r in caplog.records if "FANCY_NEW_STATE" in r.getMessage()]
    assert said and "1000_0" in said[0], [r.getMessage() for r in caplog.records]
    recorded = json.loads((tmp_path / "r" / ex.SLURM_LEDGER).read_text())
    assert "1000_0" not in recorded.get("runs", {}).values(), recorded
