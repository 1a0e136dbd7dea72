"""Probe of the store's and drivers' loose ends (session 25): SLURM job states, stopped half-batch checkpoints, …"""
from __future__ import annotations

#: every job state sacct or squeue can report (Slurm's sacct(1)/squeue(1) "JOB STATE CODES")
SLURM_STATES = ("BOOT_FAIL", "CANCELLED", "COMPLETED", "CONFIGURING", "COMPLETING", "DEADLINE", "FAILED", "NODE_FAIL",
                "OUT_OF_MEMORY", "PENDING", "PREEMPTED", "RUNNING", "RESV_DEL_HOLD", "REQUEUE_FED", "REQUEUE_HOLD",
                "REQUEUED", "RESIZING", "REVOKED", "SIGNALING", "SPECIAL_EXIT", "STAGE_OUT", "STOPPED", "SUSPENDED",
                "TIMEOUT")


def test_every_slurm_job_state_is_either_one_that_still_runs_or_one_that_ended():
    """SLURM_ACTIVE / SLURM_ENDED named neither PREEMPTED (a job killed by preemption, not requeued: ended) nor
    SPECIAL_EXIT or RESV_DEL_HOLD (held, a user may release them: like REQUEUE_HOLD), so a preempted job counted as
    still queued in a stopped driver's count and a held one was submitted again by the ledger. Each state sacct can
    report is in exactly one of the two."""
    import benchmark.executors as ex

    active, ended = set(ex.SLURM_ACTIVE), set(ex.SLURM_ENDED)
    assert not active & ended, active & ended
    assert set(SLURM_STATES) - active - ended == set()
    assert ex._ended("PREEMPTED") and ex._ended("PREEMPTED+")


def test_a_stopped_slurm_driver_does_not_count_a_preempted_job_as_queued(tmp_path, monkeypatch):
    """A job preempted (PreemptMode=CANCEL) has ended: the stopped driver's count of jobs left queued leaves it out."""
    from test_probe_drivers25 import _slurm_jobs

    import benchmark.executors as ex

    _, jobs, _ = _slurm_jobs(tmp_path, monkeypatch, ["PREEMPTED", "RUNNING"])
    assert [j.job_id for j in ex._still_queued(jobs, {})] == ["1000_1"]
