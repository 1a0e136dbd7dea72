"""Probe of the overnight drivers (session 26): the SLURM driver's reads of its jobs' states, …"""
from __future__ import annotations

import pytest
from test_probe_drivers25 import _configs, _slurm_jobs

# the driven execute_slurm's imports (3 s on a loaded 2-core machine) at collection: a test times the driver, not them
import benchmark.config  # noqa: F401
import benchmark.progress  # noqa: F401
import benchmark.results  # noqa: F401


def test_the_slurm_driver_s_sacct_read_stands_where_submitit_s_private_cache_is_gone(tmp_path, monkeypatch):
    """_sacct_states wrote its read into submitit's private ``watcher._info_dict`` inside the same ``try`` as the read:
    a submitit that renames or drops that attribute made every read return ``{}`` (said at debug level only), so the
    stopped driver's count fell back on the stale cache and the poll never saw a job killed without a result. The
    read's states are returned whatever becomes of the cache."""
    import benchmark.executors as ex

    submitit, jobs, _ = _slurm_jobs(tmp_path, monkeypatch, ["OUT_OF_MEMORY", "RUNNING"])
    del submitit.SlurmJob.watcher._info_dict  # a submitit whose watcher keeps its cache otherwise
    states = ex._sacct_states(jobs)
    assert {k: v.split(" ")[0] for k, v in states.items()} == {"1000_0": "OUT_OF_MEMORY", "1000_1": "RUNNING"}


def test_the_slurm_driver_s_poll_looks_at_no_file_of_a_job_sacct_says_is_pending(tmp_path, monkeypatch):
    """The SLURM driver's poll called submitit's ``job.done()`` on every job not collected, every
    :data:`SLURM_POLL_S` (5 s): a chmod, a stat and a lookup of its result file on the shared file system each, 2,100
    file operations every 5 s for a grid of 700 one-run jobs most of which SLURM has not started. The poll reads the
    jobs' states from its own sacct read (one per :data:`SLURM_STATE_S`): a pending job has no result to look for, an
    ended one is collected, a started one's result file is looked at; submitit's look only where sacct has not said."""
    import threading

    import benchmark.executors as ex

    submitit, jobs, state = _slurm_jobs(tmp_path, monkeypatch, ["PENDING"] * 4)
    looked, polled = [], threading.Event()
    real_done, real_written = submitit.SlurmJob.done, ex._result_written

    def done(job, *a, **kw):
        looked.append((job.job_id, (state / f"{job.job_id}.state").read_text()))
        polled.set()
        return real_done(job, *a, **kw)

    def written(job):
        looked.append((job.job_id, (state / f"{job.job_id}.state").read_text()))
        polled.set()
        return real_written(job)

    monkeypatch.setattr(submitit.SlurmJob, "done", done)
    monkeypatch.setattr(ex, "_result_written", written)
    driver, ended = _driven(tmp_path, monkeypatch, submitit, jobs, state)
    ex._time.sleep(0.3)  # several polls while every job is pending, as sacct read them
    for i in range(4):
        (state / f"1000_{i}.state").write_text("OUT_OF_MEMORY")
    driver.join(20)
    assert ended and "OUT_OF_MEMORY" in str(ended[0]), ended or "still waiting"
    assert not [j for j, st in looked if st == "PENDING"], looked


def test_a_job_in_a_state_the_driver_does_not_know_is_one_rule_for_the_stop_and_the_ledger(tmp_path, monkeypatch):
    """A job whose sacct state is in neither SLURM_ACTIVE nor SLURM_ENDED (a newer SLURM's) counted at a stop as
    'still queued or running' — scancelled, or left to SLURM with 'the same command does not submit their runs again'
    — while the ledger read it as ended, so that same command submitted its runs again, two jobs on one run. One rule:
    a state not known to have ended may still run, for both."""
    import benchmark.executors as ex

    _, jobs, state = _slurm_jobs(tmp_path, monkeypatch, ["LAUNCH_PENDING_X", "RUNNING", "COMPLETED"])
    stopped = {j.job_id for j in ex._still_queued(jobs, {})}
    ledger = ex.SlurmLedger(tmp_path / "r")
    assert ledger.active({j.job_id for j in jobs}) == stopped == {"1000_0", "1000_1"}
    monkeypatch.setenv("FAKE_SLURM_SACCT_DOWN", "1")  # the controller's read (squeue) where accounting is down
    assert ex.SlurmLedger(tmp_path / "r").active({j.job_id for j in jobs}) == stopped


def test_the_remote_eta_counts_the_runs_in_flight_lately_not_the_most_ever(monkeypatch):
    """A SLURM or Ray grid's ETA divided the time left by the most runs ever seen in flight at once (4a66861e): once
    the cluster gave fewer (other users' jobs, a partition drained, preemption), 2 runs in flight for hours were still
    charged as 10, an ETA five times too soon. The divisor is the most seen in flight within the longest family's mean
    run — a slot left empty for longer than a run is not the scheduler's between two jobs — so a dip between two jobs
    keeps it."""
    from test_probe_drivers25 import MEAN, _eta, _status

    import benchmark.progress as progress
    from benchmark.results import ResultsStore

    now = [0.0]
    monkeypatch.setattr(progress, "_monotonic", lambda: now[0], raising=False)  # none before: the peak ever
    bars = progress.GridProgress(ResultsStore("unused"), [], workers=None)
    assert bars.eta(_status(10))[0] == pytest.approx(_eta(10, 10))
    now[0] += MEAN / 2
    assert bars.eta(_status(2))[0] == pytest.approx(_eta(2, 10))  # between two jobs: within a run, the peak stays
    now[0] += 2 * MEAN
    assert bars.eta(_status(2))[0] == pytest.approx(_eta(2, 2))  # two at once for two runs' time: two


def test_the_slurm_driver_collects_jobs_whose_results_are_written_while_sacct_is_down(tmp_path, monkeypatch):
    """The poll's sacct states are a fresh read or none: a job read PENDING before accounting went down (slurmdbd
    restarted for hours) is looked at through submitit's ``job.done()`` (its result file) once a read fails, not
    taken as still pending for as long as sacct cannot say — the driver waited on jobs whose results were written."""
    from submitit.core.utils import cloudpickle_dump

    submitit, jobs, state = _slurm_jobs(tmp_path, monkeypatch, ["PENDING"] * 2)
    driver, ended = _driven(tmp_path, monkeypatch, submitit, jobs, state)
    monkeypatch.setenv("FAKE_SLURM_SACCT_DOWN", "1")
    for job in jobs:
        cloudpickle_dump(("success", {"summary": {}}), job.paths.result_pickle)
    driver.join(10)
    assert ended, "still waiting on jobs sacct last read pending"


def _driven(tmp_path, monkeypatch, submitit, jobs: list, state) -> tuple:
    """``execute_slurm`` of one run per job of ``jobs`` (:func:`_slurm_jobs`'s) in a thread, polling every 0.01 s and
    reading sacct every 0.05 s, once its first sacct read is made: (the thread, a list that gets what it returned or
    raised)."""
    import threading

    import fake_slurm

    import benchmark.executors as ex

    for job in jobs:
        job._results_timeout_s = 0
        job.paths.folder.mkdir(parents=True)
    monkeypatch.setattr(submitit, "AutoExecutor", fake_slurm.executor(lambda n: jobs[:n], "slurm"))
    monkeypatch.setattr(ex, "SLURM_POLL_S", 0.01)
    monkeypatch.setattr(ex, "SLURM_STATE_S", 0.05)
    sacct = state.parent / "bin" / "sacct"
    sacct.write_text(sacct.read_text().replace("exec ", f"touch {state / 'read'}; exec ", 1))
    ended = []

    def drive():
        try:
            ended.append(ex.execute_slurm(_configs()[:len(jobs)], tmp_path / "r", ("psnr",), "cpu", cluster="slurm",
                                          split="run", logger="none"))
        except BaseException as exc:  # noqa: BLE001 - what it ended with
            ended.append(exc)

    driver = threading.Thread(target=drive, daemon=True)
    driver.start()
    deadline = ex._time.monotonic() + 10
    while not (state / "read").exists() and ex._time.monotonic() < deadline:
        ex._time.sleep(0.01)
    return driver, ended
