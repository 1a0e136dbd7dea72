"""Probe of the overnight drivers (session 25): the SLURM driver's count of the jobs it stops, …"""
from __future__ import annotations

import pytest

#: 30 runs of one family, 5 finished in 100 s each, 25 still to do of which ``n`` in flight for 50 s: the ETA is what
#: the runs to do cost less what those in flight have trained, over the runs the cluster runs at once
RUNS, MEAN, AGE = 30, 100.0, 50.0


def _status(n: int) -> dict:
    """A :meth:`GridProgress.status` of the grid above with ``n`` runs in flight."""
    return {"done": 5, "failed": 0, "started": n, "todo": {"pixel": RUNS - 5}, "seconds": {"pixel": [MEAN] * 5},
            "running": {"pixel": [AGE] * n}, "resumes": {}, "elsewhere": [], "stale": 0}


def _eta(n: int, at_once: int) -> float:
    return ((RUNS - 5) * MEAN - n * AGE) / at_once


def _configs() -> list:
    from benchmark.config import RunConfig

    return [RunConfig("denoise", "l1", seed=i, iterations=2) for i in range(RUNS)]


def _progress_made(monkeypatch) -> list:
    """The :class:`GridProgress` objects a driver makes from now on, in the list returned."""
    import benchmark.progress as progress

    made = []

    class Seen(progress.GridProgress):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            made.append(self)

    monkeypatch.setattr(progress, "GridProgress", Seen)
    return made


def _slurm_jobs(tmp_path, monkeypatch, states: list[str]) -> tuple:
    """Real submitit SLURM jobs ``1000_<i>`` of a fresh shared watcher, fake_slurm's commands on PATH, each job's
    state there ``states[i]``: (submitit, the jobs, fake_slurm's state folder)."""
    submitit = pytest.importorskip("submitit")
    import fake_slurm
    from submitit.slurm.slurm import SlurmInfoWatcher

    state = tmp_path / "state"
    for k, v in fake_slurm.install(tmp_path / "bin", state).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(submitit.SlurmJob, "watcher", SlurmInfoWatcher(delay_s=600))
    jobs = [submitit.SlurmJob(folder=tmp_path / "jobs" / "%j", job_id=f"1000_{i}") for i in range(len(states))]
    for i, now in enumerate(states):
        (state / f"1000_{i}.state").write_text(now)
    return submitit, jobs, state


def test_a_stopped_slurm_driver_reads_the_jobs_states_afresh_not_as_sacct_last_read_them(tmp_path, monkeypatch):
    """A stopped SLURM driver counted (and, where the array's scancel failed, scancelled one by one) the jobs still
    queued or running from submitit's cached sacct read, which its shared watcher refreshes only every 10 minutes
    once the jobs are old: a job that finished with its result since that read, and one the controller has since
    killed (OUT_OF_MEMORY), were both 'still queued or running'. A job whose result is written has ended, and one
    sacct read of every job at the stop (no more) gives the others' states; a job it cannot read counts as queued."""
    import benchmark.executors as ex

    submitit, jobs, state = _slurm_jobs(tmp_path, monkeypatch, ["COMPLETED", "OUT_OF_MEMORY", "RUNNING", "PENDING"])
    for i in range(4):
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

    made = _progress_made(monkeypatch)
    fake_slurm.count_submissions(monkeypatch, {"trained": 1})
    configs = _configs()
    ex.execute_slurm(configs, tmp_path / "r", ("psnr",), "cpu", cluster="slurm", split="run", logger="none")
    assert made[0].eta(_status(10))[0] == pytest.approx(_eta(10, 10))
    assert made[0].eta(_status(2))[0] == pytest.approx(_eta(2, 10))  # between two jobs: the peak seen stays


def test_the_eta_of_slurm_shard_jobs_counts_those_slurm_runs_not_those_submitted(tmp_path, monkeypatch):
    """The sibling of one job per run: --workers 12 submits 12 shard jobs, but on a busy cluster SLURM ran 3 of them;
    the ETA divided the time left by 12 (a quarter of it). It is divided by the most runs seen in flight at once, which
    12 shard jobs, each one run at a time, never pass."""
    import fake_slurm

    import benchmark.executors as ex

    made = _progress_made(monkeypatch)
    fake_slurm.count_submissions(monkeypatch, {"trained": 1})
    configs = _configs()
    ex.execute_slurm(configs, tmp_path / "r", ("psnr",), "cpu", cluster="slurm", split="shard", workers=12,
                     logger="none")
    assert made[0].eta(_status(3))[0] == pytest.approx(_eta(3, 3))


def test_the_eta_of_ray_tasks_counts_those_the_cluster_runs_not_those_submitted(tmp_path, monkeypatch):
    """The Ray sibling: `--workers 8` on a user's Ray cluster of 2 CPUs submits 8 shard tasks of 1 CPU each, of which
    Ray runs 2 at once; the ETA divided the time left by 8. It is divided by the most runs seen in flight at once."""
    from test_probe_ray7 import FakeRay

    import benchmark.executors as ex

    made = _progress_made(monkeypatch)
    ray = FakeRay({"trained": 1})
    ray.up = True  # the user's own instance: its CPUs, 2
    monkeypatch.setattr(ex, "_require", lambda module, extra: ray)
    monkeypatch.setattr(ex, "_ray_output_settled", lambda: None)  # no real Ray to forward output (1 s of waiting)
    configs = _configs()
    ex.execute_ray(configs, tmp_path / "r", ("psnr",), "cpu", ray_address="auto", workers=8, logger="none")
    assert len(ray.units) == 8
    assert made[0].eta(_status(2))[0] == pytest.approx(_eta(2, 2))


def test_a_stopped_slurm_driver_looks_at_no_result_file_where_sacct_gives_the_jobs_states(tmp_path, monkeypatch):
    """57e16b91 looked at every uncollected job's result file at the stop, before its one sacct read: a grid of
    20,000 one-run jobs on NFS, 20,000 lookups (seconds to minutes) between the Ctrl-C and the scancel, though sacct
    says each job's state. A result file is looked at only for a job sacct did not say (down, lagging)."""
    import benchmark.executors as ex

    submitit, jobs, _ = _slurm_jobs(tmp_path, monkeypatch, ["PENDING"] * 6)
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

    seen = []

    def run_grid(configs, store, metrics, device, grid_progress=None, **kw):
        seen.append(grid_progress)
        return runner.GridSummary()

    monkeypatch.setattr(runner, "run_grid", run_grid)
    configs = _configs()
    units = ex._units(configs, 8, "shard", tmp_path / "r", ("psnr",), "cpu", None, (), "none", 1)
    ex.run_unit(units[0])
    assert seen[0].eta(_status(2))[0] == pytest.approx(_eta(2, 2))


def test_the_slurm_driver_sees_a_job_killed_without_a_result_within_a_minute_not_ten(tmp_path, monkeypatch):
    """The SLURM driver learnt of a job that ended without a result (OOM-killed, NODE_FAIL) only from submitit's shared
    sacct read, which it refreshes every 600 s once the jobs are old: the night's driver waited up to ten minutes after
    its last job was killed before it said so and ended. It reads the jobs' states itself every
    :data:`SLURM_STATE_S` (one sacct for all of them)."""
    import threading

    import fake_slurm

    import benchmark.executors as ex

    submitit, jobs, state = _slurm_jobs(tmp_path, monkeypatch, ["OUT_OF_MEMORY"])
    watcher = submitit.SlurmJob.watcher
    watcher._info_dict["1000_0"] = {"State": "RUNNING"}  # as sacct read it a minute ago, an hour into the grid
    watcher._start_time, watcher._last_status_check = ex._time.time() - 3600, ex._time.time()
    jobs[0]._results_timeout_s = 0
    jobs[0].paths.folder.mkdir(parents=True)
    monkeypatch.setattr(submitit, "AutoExecutor", fake_slurm.executor(lambda n: jobs[:n], "slurm"))
    monkeypatch.setattr(ex, "SLURM_POLL_S", 0.01)
    monkeypatch.setattr(ex, "SLURM_STATE_S", 0.2, raising=False)  # none before 1d91896c: it waits
    ended = []

    def drive():
        try:
            ex.execute_slurm(_configs()[:1], tmp_path / "r", ("psnr",), "cpu", cluster="slurm", split="run",
                             logger="none")
        except BaseException as exc:  # noqa: BLE001 - what it ended with
            ended.append(exc)

    driver = threading.Thread(target=drive, daemon=True)
    driver.start()
    driver.join(20)
    assert ended and "OUT_OF_MEMORY" in str(ended[0]), ended or "still waiting on sacct's cached read"
