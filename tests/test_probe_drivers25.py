"""Probe of the overnight drivers (session 25): the SLURM driver's count of the jobs it stops, …"""
from __future__ import annotations

import pytest


def test_a_stopped_slurm_driver_reads_the_jobs_states_afresh_not_as_sacct_last_read_them(tmp_path, monkeypatch):
    """A stopped SLURM driver counted (and, where the array's scancel failed, scancelled one by one) the jobs still
    queued or running from submitit's cached sacct read, which its shared watcher refreshes only every 10 minutes
    once the jobs are old: a job that finished with its result since that read, and one the controller has since
    killed (OUT_OF_MEMORY), were both 'still queued or running'. A job whose result is written has ended, and one
    sacct read of every job at the stop (no more) gives the others' states; a job it cannot read counts as queued."""
    submitit = pytest.importorskip("submitit")
    import fake_slurm
    from submitit.slurm.slurm import SlurmInfoWatcher

    import benchmark.executors as ex

    state = tmp_path / "state"
    for k, v in fake_slurm.install(tmp_path / "bin", state).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(submitit.SlurmJob, "watcher", SlurmInfoWatcher(delay_s=600))
    jobs = [submitit.SlurmJob(folder=tmp_path / "jobs" / "%j", job_id=f"1000_{i}") for i in range(4)]
    for i, now in enumerate(["COMPLETED", "OUT_OF_MEMORY", "RUNNING", "PENDING"]):
        (state / f"1000_{i}.state").write_text(now)
        submitit.SlurmJob.watcher._info_dict[f"1000_{i}"] = {"State": "RUNNING"}  # as sacct read them 10 min ago
    jobs[0].paths.result_pickle.parent.mkdir(parents=True, exist_ok=True)
    jobs[0].paths.result_pickle.write_bytes(b"")  # its result written since
    calls = state / "calls"
    sacct = tmp_path / "bin" / "sacct"
    sacct.write_text(f"#!/bin/sh\necho x >> {calls}\n" + sacct.read_text().split("\n", 1)[1])
    left = [j.job_id for j in ex._still_queued(jobs, {})]
    assert left == ["1000_2", "1000_3"], left
    assert len(calls.read_text().split()) == 1, "one sacct read for every job"
    monkeypatch.setenv("FAKE_SLURM_SACCT_DOWN", "1")  # accounting down: the states as last read (that read kept)
    assert [j.job_id for j in ex._still_queued(jobs, {})] == ["1000_2", "1000_3"]
    assert len(calls.read_text().split()) == 2
    submitit.SlurmJob.watcher._info_dict["1000_1"] = {"State": "RUNNING"}  # never read ended: counted as running
    assert [j.job_id for j in ex._still_queued(jobs, {})] == ["1000_1", "1000_2", "1000_3"]
