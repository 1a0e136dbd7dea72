"""Review of session 25's driver commits (probe-drivers): what their own tests left unasserted."""
from __future__ import annotations


def test_a_stopped_slurm_driver_counts_no_job_whose_result_is_written_while_sacct_still_reads_it_running(
        tmp_path, monkeypatch):
    """90e4e514 looked at a result file only for a job the fresh sacct read did not list, so a job that had written
    its result while sacct still read it RUNNING or COMPLETING (the job exiting, slurmdbd behind the controller)
    counted as still queued or running — and was scancelled — where 57e16b91 counted it ended. A started job's file
    is looked at; a pending one's (most of a big array's) still never."""
    from test_probe_drivers25 import _slurm_jobs

    import benchmark.executors as ex

    _, jobs, _ = _slurm_jobs(tmp_path, monkeypatch, ["RUNNING", "COMPLETING", "RUNNING", "PENDING"])
    for job in jobs[:2]:  # their results written, sacct not yet saying they ended
        job.paths.result_pickle.parent.mkdir(parents=True, exist_ok=True)
        job.paths.result_pickle.write_bytes(b"")
    looked = []
    real = ex._result_written
    monkeypatch.setattr(ex, "_result_written", lambda job: looked.append(job.job_id) or real(job))
    assert [j.job_id for j in ex._still_queued(jobs, {})] == ["1000_2", "1000_3"]
    assert "1000_3" not in looked, looked
