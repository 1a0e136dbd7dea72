"""Probe of the overnight drivers (round 27): executors, runner, progress/ETA, dry run."""
from __future__ import annotations

import pytest


def _half_batch_checkpoint(store, cfg, iteration: int):
    """Run ``cfg`` of ``store`` stopped in its half-batch retry: its ``ckpt-b<n>.pt`` alone (the first try ran out of
    memory before its first ``ckpt.pt``), saved at ``iteration`` under the halved config, as the runner's
    ``_train_with_oom_retry`` writes it."""
    import dataclasses
    from types import SimpleNamespace

    import torch

    from benchmark.checkpoint import Checkpointer, CheckpointPolicy
    from benchmark.config import code_version, run_id

    half = dataclasses.replace(cfg, batch_size=cfg.batch_size // 2)
    d = store.run_dir(run_id(cfg))
    d.mkdir(parents=True, exist_ok=True)
    opt = SimpleNamespace(state_dict=dict)  # an optimiser's and a schedule's state (a real one imports dynamo: 6 s)
    Checkpointer(d / f"ckpt-b{half.batch_size}.pt", CheckpointPolicy(),
                 {"config": half.to_dict(), "code_version": code_version()}).save(
        iteration, net=torch.nn.Linear(1, 1), opt=opt, sched=opt, loss_fn=torch.nn.Module(),
        gen=torch.Generator(), device=torch.device("cpu"), progress={})
    return run_id(cfg)


def test_a_run_stopped_in_its_half_batch_retry_resumes_there_in_the_eta_and_the_dry_run(tmp_path):
    """Was: :func:`benchmark.checkpoint.resumes_at` (the dry run's estimate and the progress line's ETA) read a run's
    ``ckpt.pt`` alone, so a run stopped in its half-batch retry (``ckpt-b<n>.pt`` only, which the run restores when its
    retry comes: ``_train_with_oom_retry``) was counted as training its whole budget again."""
    from benchmark.checkpoint import CheckpointPolicy, resumes_at
    from benchmark.config import RunConfig
    from benchmark.progress import GridProgress
    from benchmark.results import ResultsStore

    store = ResultsStore(tmp_path / "res")
    cfg = RunConfig(task="denoise", loss="l1", iterations=40, batch_size=4, crop=32)
    rid = _half_batch_checkpoint(store, cfg, 30)
    assert resumes_at(store, rid, cfg, CheckpointPolicy()) == 30
    assert resumes_at(store, rid, cfg, CheckpointPolicy(0, 0)) == 0  # --no-checkpoint: trained again
    assert GridProgress(store, [cfg])._resumes_at(rid) == 30
    other = RunConfig(task="denoise", loss="l1", iterations=40, batch_size=4, crop=32, seed=1)
    (store.run_dir(_half_batch_checkpoint(store, other, 5)) / "ckpt-b2.pt").replace(store.run_dir(rid) / "ckpt-b2.pt")
    assert resumes_at(store, rid, cfg, CheckpointPolicy()) == 0  # another run's: trained again


def _estimated_with_busy_steps(tmp_path, monkeypatch, losses, kept: dict[str, float]) -> dict:
    """:func:`benchmark.perf.estimate_grid` of a denoise grid of ``losses``, whose step times are stand-ins (no
    training): those of ``kept`` ({loss: seconds}) kept in steptimes.json from a free machine, every other measured
    now under contention (as ``_best_time`` counts it) at 20 ms; its evaluation kept before."""
    import torch

    from benchmark import perf
    from benchmark.config import RunConfig

    grid = [RunConfig(task="denoise", loss=loss, iterations=10, batch_size=2, crop=32) for loss in losses]
    dev = torch.device("cpu")
    cache = perf.StepTimes(tmp_path / "steptimes.json")
    key = perf.StepTimes.eval_key(dev, "tiny", ",".join(map(str, grid[0].test_data)), ["psnr"])
    cache.data.update({key: 0.1, key + "|cold": 0.1, key + "|spill": 0.0,
                       **{perf.StepTimes.key(dev, "tiny", loss, "denoise", 2, 32, False): (s, 0.001, 0.0)
                          for loss, s in kept.items()}})

    def step(loss, *a, **k):
        perf._CONTENDED[0] += 1
        return 0.020, 0.001, 0.0

    monkeypatch.setattr(perf, "_time_step", step)
    monkeypatch.setattr(perf, "_time_data", lambda *a, **k: 0.001)
    monkeypatch.setattr(perf, "training_images", lambda crop: [])  # timed by the stand-ins: none loaded
    monkeypatch.setattr(perf, "MEASURED", dict(perf.MEASURED))
    return perf.estimate_grid(grid, ["psnr"], "cpu", cache)


def test_the_dry_run_s_step_table_marks_the_steps_timed_now_on_a_busy_machine(tmp_path, monkeypatch):
    """Was: the dry run's ms-per-step table set a step time kept in steptimes.json (timed with the cores free) beside
    one measured now while other work held the cores (not kept: :meth:`StepTimes.get`), unmarked — l1 and l2, the
    same cost, read 2× apart with nothing to say why → :func:`estimate_grid` returns the cells timed busy
    (``ms_busy``) and the table marks them *, said in a line under it. Steps stand in for the timings (no training)."""
    from benchmark import perf

    est = _estimated_with_busy_steps(tmp_path, monkeypatch, ("l1", "l2"), {"l1": 0.010})
    assert est["ms_per_step"] == {"l1": {"denoise": pytest.approx(10.0)}, "l2": {"denoise": pytest.approx(20.0)}}
    lines = perf.estimate_table_lines(est["ms_per_step"], est.get("ms_busy"))
    row = {line.split()[0]: line for line in lines[1:3]}
    assert row["l2"].rstrip().endswith("20.0*") and row["l1"].rstrip().endswith("10.0"), lines
    assert len(lines) == 4 and lines[3].lstrip().startswith("*: timed now while this machine was busy"), lines
    plain = perf.estimate_table_lines(est["ms_per_step"])  # nothing timed busy: no mark, no line
    assert len(plain) == 3 and "*" not in "".join(plain) and plain[1] == lines[1], plain


def test_a_job_ended_long_ago_in_a_state_the_driver_does_not_know_holds_its_runs_in_no_ledger(tmp_path, monkeypatch):
    """Was: the SLURM ledger read sacct's State alone, so a job in a state the driver does not know (a newer SLURM's)
    may still run for ever: a second driver on the same --out never submitted its runs again ("queued or running …
    not submitted again"), and a driver's give-up clock (SLURM_UNKNOWN_S) started at its own first sight → sacct's
    ``End`` is read: such a job that ended over SLURM_UNKNOWN_S ago runs no more; one that ended just now, or gives
    no End, still counts as it may run (the clock as before)."""
    import datetime
    import json
    import time

    import benchmark.executors as ex

    bin_ = tmp_path / "bin"
    bin_.mkdir()
    ago = {"1000": 2 * ex.SLURM_UNKNOWN_S, "1001": 60.0}
    rows = [f"{j}|FANCY_NEW_STATE|node1|"
            f"{datetime.datetime.fromtimestamp(time.time() - s).isoformat(timespec='seconds')}" for j, s in ago.items()]
    rows.append("1002|FANCY_NEW_STATE|node1|Unknown")
    (bin_ / "sacct").write_text("#!/bin/sh\nprintf '%s\\n' 'JobID|State|NodeList|End' " + " ".join(
        f"'{r}'" for r in rows) + "\n")
    (bin_ / "sacct").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_}:{__import__('os').environ['PATH']}")
    root = tmp_path / "r"
    root.mkdir()
    jobs = ["1000", "1001", "1002"]
    (root / ex.SLURM_LEDGER).write_text(json.dumps({"runs": {f"run{j}": j for j in jobs},
                                                    "at": {j: time.time() - 3 * ex.SLURM_UNKNOWN_S for j in jobs}}))
    assert ex.SlurmLedger(root).active(set(jobs)) == {"1001", "1002"}
    assert ex._sacct_time("Unknown") is None and ex._sacct_time("") is None
    assert abs(ex._sacct_time(rows[0].split("|")[3]) - (time.time() - ago["1000"])) < 5


def test_the_slurm_driver_gives_up_a_job_sacct_says_ended_long_ago_in_a_state_it_does_not_know(tmp_path,
                                                                                                monkeypatch):
    """The driver's side of the test above: its give-up clock for a job in a state it does not know started at its
    own first sight, so a driver started (or restarted) after such a job ended waited SLURM_UNKNOWN_S (30 min) more
    on it → from sacct's End where it gives one: given up at the first read, the grid's other job collected."""
    import datetime

    from test_probe_drivers25 import _slurm_jobs
    from test_probe_drivers26 import _driven

    import benchmark.executors as ex

    submitit, jobs, state = _slurm_jobs(tmp_path, monkeypatch, ["FANCY_NEW_STATE", "COMPLETED"])
    (state / "1000_0.end").write_text(datetime.datetime.fromtimestamp(
        ex._time.time() - 2 * ex.SLURM_UNKNOWN_S).isoformat(timespec="seconds"))
    monkeypatch.setenv("FAKE_SLURM_KILL_WAIT", "0")
    driver, ended = _driven(tmp_path, monkeypatch, submitit, jobs, state)
    driver.join(5)
    assert ended, "still waiting on a job sacct says ended an hour ago in a state the driver does not know"


def test_a_job_given_up_from_sacct_s_end_is_said_to_have_ended_then_not_to_have_been_read_so_for_30_min(
        tmp_path, monkeypatch, caplog):
    """5b0fa19b gives up a job in a state the driver does not know from sacct's End; its warning still said "sacct has
    read it FANCY_NEW_STATE for over 30 min", untrue of a driver that read it once a second ago → where the clock ran
    from End, the line says when sacct says the job ended."""
    import datetime

    from test_probe_drivers25 import _slurm_jobs
    from test_probe_drivers26 import _driven

    import benchmark.executors as ex

    submitit, jobs, state = _slurm_jobs(tmp_path, monkeypatch, ["FANCY_NEW_STATE", "COMPLETED"])
    end = datetime.datetime.fromtimestamp(ex._time.time() - 2 * ex.SLURM_UNKNOWN_S).isoformat(timespec="seconds")
    (state / "1000_0.end").write_text(end)
    monkeypatch.setenv("FAKE_SLURM_KILL_WAIT", "0")
    with caplog.at_level("WARNING", logger="benchmark.executors"):
        driver, ended = _driven(tmp_path, monkeypatch, submitit, jobs, state)
        driver.join(5)
    said = [r.getMessage() for r in caplog.records if "FANCY_NEW_STATE" in r.getMessage()]
    assert ended and said, [r.getMessage() for r in caplog.records]
    assert f"ended at {end.replace('T', ' ')}" in said[0] and "has read it" not in said[0], said[0]
