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
    for i in (0, 1):  # as sacct last read them; 1000_0's result written since, 1000_1 never read ended: running
        submitit.SlurmJob.watcher._info_dict[f"1000_{i}"] = {"State": "RUNNING"}
    assert [j.job_id for j in ex._still_queued(jobs, {})] == ["1000_1", "1000_2", "1000_3"]


def test_the_eta_of_a_slurm_grid_of_one_job_per_run_counts_the_runs_slurm_runs_at_once(tmp_path, monkeypatch):
    """The SLURM driver of one job per run (no --workers) divided the time left by the number of jobs submitted, as if
    SLURM ran them all at once: 30 runs of 100 s, 5 done, 10 running for 50 s on the 10 GPUs the cluster gives, said
    'ETA 0:01:40' (one run) where 25 runs of 100 s less the 500 s the running ones have trained are left on those 10,
    200 s. The time left is divided by the most runs seen in flight at once."""
    import fake_slurm

    import benchmark.executors as ex
    import benchmark.progress as progress
    from benchmark.config import RunConfig
    from benchmark.progress import GridProgress

    made = []

    class Seen(GridProgress):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            made.append(self)

    monkeypatch.setattr(progress, "GridProgress", Seen)
    fake_slurm.count_submissions(monkeypatch, {"trained": 1})
    configs = [RunConfig("denoise", "l1", seed=i, iterations=2) for i in range(30)]
    status = {"done": 5, "failed": 0, "started": 10, "todo": {"pixel": 25}, "seconds": {"pixel": [100.0] * 5},
              "running": {"pixel": [50.0] * 10}, "resumes": {}, "elsewhere": [], "stale": 0}
    quiet = {**status, "running": {"pixel": [50.0] * 2}, "started": 2, "done": 13}  # between two jobs: the peak stays
    ex.execute_slurm(configs, tmp_path / "r", ("psnr",), "cpu", cluster="slurm", split="run", logger="none")
    assert made[0].eta(status)[0] == pytest.approx((25 * 100.0 - 10 * 50.0) / 10)
    assert made[0].eta(quiet)[0] == pytest.approx((25 * 100.0 - 2 * 50.0) / 10)


def test_the_eta_of_slurm_shard_jobs_counts_those_slurm_runs_not_those_submitted(tmp_path, monkeypatch):
    """The sibling of one job per run: --workers 12 submits 12 shard jobs, but on a busy cluster SLURM ran 3 of them;
    the ETA divided the time left by 12 (a quarter of it). It is divided by the most runs seen in flight at once, which
    12 shard jobs, each one run at a time, never pass."""
    import fake_slurm

    import benchmark.executors as ex
    import benchmark.progress as progress
    from benchmark.config import RunConfig
    from benchmark.progress import GridProgress

    made = []

    class Seen(GridProgress):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            made.append(self)

    monkeypatch.setattr(progress, "GridProgress", Seen)
    fake_slurm.count_submissions(monkeypatch, {"trained": 1})
    configs = [RunConfig("denoise", "l1", seed=i, iterations=2) for i in range(30)]
    ex.execute_slurm(configs, tmp_path / "r", ("psnr",), "cpu", cluster="slurm", split="shard", workers=12,
                     logger="none")
    status = {"done": 5, "failed": 0, "started": 3, "todo": {"pixel": 25}, "seconds": {"pixel": [100.0] * 5},
              "running": {"pixel": [50.0] * 3}, "resumes": {}, "elsewhere": [], "stale": 0}
    assert made[0].eta(status)[0] == pytest.approx((25 * 100.0 - 3 * 50.0) / 3)


def test_the_eta_of_ray_tasks_counts_those_the_cluster_runs_not_those_submitted(tmp_path, monkeypatch):
    """The Ray sibling: `--workers 8` on a user's Ray cluster of 2 CPUs submits 8 shard tasks of 1 CPU each, of which
    Ray runs 2 at once; the ETA divided the time left by 8. It is divided by the most runs seen in flight at once."""
    from test_probe_ray7 import FakeRay

    import benchmark.executors as ex
    import benchmark.progress as progress
    from benchmark.config import RunConfig
    from benchmark.progress import GridProgress

    made = []

    class Seen(GridProgress):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            made.append(self)

    monkeypatch.setattr(progress, "GridProgress", Seen)
    ray = FakeRay({"trained": 1})
    ray.up = True  # the user's own instance: its CPUs, 2
    monkeypatch.setattr(ex, "_require", lambda module, extra: ray)
    configs = [RunConfig("denoise", "l1", seed=i, iterations=2) for i in range(30)]
    ex.execute_ray(configs, tmp_path / "r", ("psnr",), "cpu", ray_address="auto", workers=8, logger="none")
    assert len(ray.units) == 8
    status = {"done": 5, "failed": 0, "started": 2, "todo": {"pixel": 25}, "seconds": {"pixel": [100.0] * 5},
              "running": {"pixel": [50.0] * 2}, "resumes": {}, "elsewhere": [], "stale": 0}
    assert made[0].eta(status)[0] == pytest.approx((25 * 100.0 - 2 * 50.0) / 2)


def test_a_stopped_slurm_driver_looks_at_no_result_file_where_sacct_gives_the_jobs_states(tmp_path, monkeypatch):
    """57e16b91 looked at every uncollected job's result file at the stop, before its one sacct read: a grid of
    20,000 one-run jobs on NFS, 20,000 lookups (seconds to minutes) between the Ctrl-C and the scancel, though sacct
    says each job's state. A result file is looked at only for a job sacct did not say (down, lagging)."""
    submitit = pytest.importorskip("submitit")
    import fake_slurm
    from submitit.slurm.slurm import SlurmInfoWatcher

    import benchmark.executors as ex

    state = tmp_path / "state"
    for k, v in fake_slurm.install(tmp_path / "bin", state).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(submitit.SlurmJob, "watcher", SlurmInfoWatcher(delay_s=600))
    jobs = [submitit.SlurmJob(folder=tmp_path / "jobs" / "%j", job_id=f"1000_{i}") for i in range(6)]
    for i in range(6):
        (state / f"1000_{i}.state").write_text("PENDING")
    looked = []
    real = ex._result_written
    monkeypatch.setattr(ex, "_result_written", lambda job: looked.append(job.job_id) or real(job))
    assert len(ex._still_queued(jobs, {})) == 6
    assert not looked, looked
    monkeypatch.setenv("FAKE_SLURM_SACCT_LAG", "1")  # accounting behind: sacct lists none, the files are looked at
    submitit.SlurmJob.watcher._info_dict.clear()
    assert len(ex._still_queued(jobs, {})) == 6 and len(looked) == 6, looked


def test_a_remote_workers_own_eta_counts_the_runs_in_flight_not_the_units_submitted(tmp_path, monkeypatch):
    """The workers' side of 4a66861e: a Ray task's or SLURM job's own progress line ('run 4/30 …; ETA …', forwarded
    to the driver's console by Ray, in each job's log by SLURM) still divided the time left by the units submitted
    (8 shard tasks of which the cluster ran 2: a quarter of the time left). A remote unit's ETA divides by the most
    runs seen in flight at once, as its driver's; a local worker's by the workers this machine runs (all at once)."""
    import benchmark.executors as ex
    import benchmark.runner as runner
    from benchmark.config import RunConfig

    seen = []

    def run_grid(configs, store, metrics, device, grid_progress=None, **kw):
        seen.append(grid_progress)
        return runner.GridSummary()

    monkeypatch.setattr(runner, "run_grid", run_grid)
    configs = [RunConfig("denoise", "l1", seed=i, iterations=2) for i in range(30)]
    units = ex._units(configs, 8, "shard", tmp_path / "r", ("psnr",), "cpu", None, (), "none", 1)
    ex.run_unit(units[0])
    status = {"done": 5, "failed": 0, "started": 2, "todo": {"pixel": 25}, "seconds": {"pixel": [100.0] * 5},
              "running": {"pixel": [50.0] * 2}, "resumes": {}, "elsewhere": [], "stale": 0}
    assert seen[0].eta(status)[0] == pytest.approx((25 * 100.0 - 2 * 50.0) / 2)
