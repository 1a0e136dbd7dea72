"""Probe (overnight 6): SLURM time-outs, resubmissions and resumes of overnight runs."""
import json
import os
import signal

import pytest


def _unit(tmp_path, iterations=6, seeds=(0,), checkpoint=None):
    import benchmark.executors as ex
    from benchmark.checkpoint import CheckpointPolicy
    from benchmark.config import GridSpec, build_configs

    spec = GridSpec(profile="quick", tasks=("denoise",), losses=("l1",), seeds=seeds, iterations=iterations,
                    crop=32, batch_size=2, device="cpu", metrics=("psnr",), budget_check=False)
    configs = tuple(build_configs(spec)[0])
    return ex.WorkUnit(configs, str(tmp_path / "r"), ("psnr",), "cpu",
                       checkpoint=checkpoint or CheckpointPolicy(every=1, seconds=0), logger="none")


@pytest.mark.skipif(not hasattr(signal, "SIGUSR2"), reason="POSIX signals")
def test_usr2_during_the_diverging_step_records_the_divergence_before_the_requeue(tmp_path, monkeypatch):
    """USR2 (SLURM time-out ahead) that arrives during the step whose loss goes non-finite: the loop stopped
    at the divergence, and leaving the deferred-interrupt block raised KeyboardInterrupt before the run's
    meta.json was written. The job was requeued with the diverged run unrecorded, so the requeued job
    trained it a second time from its last checkpoint (diverging again). The divergence is now recorded
    first, then the job stops and is requeued, and the requeued job skips the run."""
    import benchmark.executors as ex
    import benchmark.runner as runner
    from benchmark.config import run_id

    unit = _unit(tmp_path)
    real_call = runner.TrainStep.__call__
    steps = []

    def diverging(self, it):  # the CPU check finds iteration 4's loss non-finite, while USR2 comes in
        steps.append(it)
        if it == 4:
            os.kill(os.getpid(), signal.SIGUSR2)
            self.diverged_at = it
            return None
        return real_call(self, it)

    def submitit_handler(signum, frame):  # submitit: checkpoint() → scontrol requeue → exit
        raise SystemExit(-1)

    monkeypatch.setattr(runner.TrainStep, "__call__", diverging)
    previous = signal.signal(signal.SIGUSR2, submitit_handler)
    try:
        with pytest.raises(SystemExit):  # the stop is still honoured: the job is requeued
            ex.RequeueableUnit()(unit)
        run_dir = tmp_path / "r" / "runs" / run_id(unit.configs[0])
        meta = json.loads((run_dir / "meta.json").read_text()) if (run_dir / "meta.json").exists() else {}
        assert meta.get("status") == "diverged" and meta.get("diverged_at") == 4, meta
        steps.clear()
        result = ex.RequeueableUnit()(unit)  # the requeued job
    finally:
        signal.signal(signal.SIGUSR2, previous)
    assert steps == [], f"the requeued job trained the diverged run again (iterations {steps})"
    assert result["summary"]["skipped"] == 1, result


def _finish_first_run(unit):
    """Train and score ``unit``'s first run for real (2 iterations), as an earlier job or command did."""
    import torch

    from benchmark.results import ResultsStore
    from benchmark.runner import run_grid

    summary = run_grid([unit.configs[0]], ResultsStore(unit.store_root), unit.metrics, torch.device("cpu"),
                       progress=False, logger="none")
    assert summary.trained == 1


def test_a_slurm_resubmission_submits_no_job_for_a_run_finished_meanwhile(tmp_path, monkeypatch, caplog):
    """Running the same ``--executor slurm`` command again (after a time-out, a lost job, a cancelled driver)
    submitted one job per run of the grid, finished or not: each finished run took a SLURM allocation
    (queue wait, start-up, data loading) only to find its results there and exit. Finished runs are now
    left out at submission, said in one line, and counted as skipped; nothing is submitted when every run
    is finished."""
    import logging
    import sys
    from pathlib import Path

    import benchmark.executors as ex

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import fake_slurm

    unit = _unit(tmp_path, iterations=2, seeds=(0, 1))
    _finish_first_run(unit)
    submitted = fake_slurm.count_submissions(monkeypatch, {"trained": 1})
    with caplog.at_level(logging.INFO, logger="benchmark.executors"):
        ex.execute_slurm(list(unit.configs), unit.store_root, unit.metrics, "cpu", split="run")
    assert submitted == [1], f"jobs submitted for a grid of 2 runs, 1 of them finished: {submitted}"
    assert "1 of 2 runs is finished already: no job for it" in caplog.text


def test_a_slurm_resubmission_of_a_finished_grid_submits_nothing(tmp_path, monkeypatch):
    import sys
    from pathlib import Path

    import submitit

    import benchmark.executors as ex

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import fake_slurm

    from benchmark.config import run_id
    from benchmark.results import ResultsStore

    unit = _unit(tmp_path, iterations=2)
    cfg = unit.configs[0]  # finished as diverged by an earlier job (which scored its task's inputs first)
    _finish_first_run(unit)
    ResultsStore(unit.store_root).write_meta(run_id(cfg), {"run_id": run_id(cfg), "status": "diverged",
                                                           "diverged_at": 2, "config": cfg.to_dict()})

    def no_jobs(n):
        raise AssertionError(f"{n} job(s) submitted for a finished grid")

    monkeypatch.setattr(submitit, "AutoExecutor", fake_slurm.executor(no_jobs))
    summary = ex.execute_slurm(list(unit.configs), unit.store_root, unit.metrics, "cpu", split="run")
    assert (summary.skipped, summary.trained, summary.failed, summary.locked) == (1, 0, 0, 0)


def test_a_slurm_job_whose_runs_finished_while_it_queued_exits_in_one_line(tmp_path, caplog):
    """At job start (the run finished by another job or command while this one waited in the queue) the job
    trains nothing and says so in one line."""
    import logging

    import benchmark.executors as ex

    unit = _unit(tmp_path, iterations=2)
    _finish_first_run(unit)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="benchmark"):
        result = ex.RequeueableUnit()(unit)
    assert result["summary"]["skipped"] == 1 and result["summary"]["trained"] == 0, result
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert lines == ["1 of 1 run already has results; skipping it"], lines


_LOSS_FILE = """import torch
from benchmark.registry import register_loss


@register_loss("overnight6_edited")
class Edited(torch.nn.Module):
    def forward(self, pred, target):
        return {body}
"""


def test_a_job_whose_loss_file_was_edited_after_submission_refuses_in_one_line(tmp_path):
    """A SLURM job starts hours after its submission and imports the user's ``--loss-file`` as it is then. When
    the file was edited meanwhile, the job trained the *new* loss under a new run id (its hash is part of the
    id) while the driver looked for the id it had planned: the driver found no result ("left 1 to another
    process", "no leaderboard: none of this grid's run(s) has results") and the run trained was not the run
    submitted. The job now refuses, in one line naming the loss, what changed and what to do, and trains
    nothing."""
    import benchmark.executors as ex
    from benchmark.checkpoint import CheckpointPolicy
    from benchmark.config import GridSpec, build_configs

    loss_file = tmp_path / "my_loss.py"
    loss_file.write_text(_LOSS_FILE.format(body="(pred - target).abs().mean()"))
    spec = GridSpec(profile="quick", tasks=("denoise",), losses=("overnight6_edited",), seeds=(0,), iterations=2,
                    crop=32, batch_size=2, device="cpu", metrics=("psnr",), budget_check=False,
                    loss_files=(str(loss_file),))
    configs = tuple(build_configs(spec)[0])
    unit = ex._units(list(configs), 1, "run", tmp_path / "r", ("psnr",), "cpu", CheckpointPolicy(0, 0),
                     (str(loss_file),), "none", 1)[0]
    loss_file.write_text(_LOSS_FILE.format(body="((pred - target) ** 2).mean()"))  # edited while the job queued
    result = ex._worker_main(unit)
    assert result.get("user") and "overnight6_edited" in result.get("error", ""), result
    assert "changed since" in result["error"] and "\n" not in result["error"]
    assert "loss overnight6_edited 1+" in result["error"], result["error"]  # which version, old → new
    assert not list((tmp_path / "r").glob("runs/*/meta.json")), "the job trained a run that was never submitted"


def test_eta_counts_the_training_a_resumed_run_did_before_its_checkpoint(tmp_path):
    """A run resumed from a checkpoint at 90 % of its training (a requeued SLURM job, the same command after
    a kill) was charged its family's whole mean less the few seconds since the resume (its lock's age), as if
    it started from scratch: the ETA of an overnight grid resumed in the morning said a run's full time for
    the minutes it had left. The seconds it trained before the resume (its live curve.csv carries them on)
    now count as spent too."""
    import pytest

    from benchmark.config import RunConfig, run_id
    from benchmark.loggers import CurveLog
    from benchmark.progress import GridProgress
    from benchmark.results import ResultsStore, RunLock

    store = ResultsStore(tmp_path)
    store.ensure_writable()
    done, resumed = (RunConfig(task="denoise", loss="l1", seed=s, train_fingerprint="x", test_fingerprint="y")
                     for s in (0, 1))
    store.write_meta(run_id(done), {"run_id": run_id(done), "status": "ok", "config": done.to_dict(),
                                    "wall_s": 200.0})
    run_dir = store.run_dir(run_id(resumed))
    run_dir.mkdir(parents=True)
    (run_dir / "curve.csv").write_text("iteration,seconds,loss,lr\n"  # the attempt killed at iteration 900
                                       + "".join(f"{i},{i * 0.2:.3f},0.1,0.001\n" for i in range(20, 901, 20)))
    lock = RunLock.acquire(run_dir / ".lock")  # the resumed attempt, just started
    try:
        curves = CurveLog(run_dir, "none")
        curves.begin(900)  # what train() does after restoring the checkpoint
        curves.log(920, {"loss": 0.1, "lr": 0.001})
        curves.close()
        eta, _ = GridProgress(store, [done, resumed], workers=1).eta()
    finally:
        lock.release()
    assert eta == pytest.approx(200 - 180, abs=5), f"ETA {eta:.0f} s for a run with ~20 s left"


@pytest.mark.slow  # two CLI runs: ~20-40 s on 2 cores
def test_fake_slurm_resubmission_of_a_finished_grid_calls_no_sbatch(tmp_path):
    """The real CLI with SLURM faked on PATH: the same grid, finished by an earlier command, submitted again
    through ``--executor slurm`` calls no ``sbatch`` at all (the fake records every job it is given) and exits 0
    with its leaderboard."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "tests"))
    import fake_slurm

    env = {**os.environ, **fake_slurm.install(tmp_path / "bin", tmp_path / "state"), "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": str(root)}
    grid = ["--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--iterations", "4", "--crop", "32",
            "--batch-size", "2", "--metrics", "psnr", "--test-data", "skimage-natural:test", "--device", "cpu",
            "--no-progress", "--no-budget-check", "--out", str(tmp_path / "out")]
    first = subprocess.run([sys.executable, "-m", "benchmark", "run", *grid, "--no-report"], env=env, cwd=root,
                           capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    again = subprocess.run([sys.executable, "-m", "benchmark", "run", *grid, "--executor", "slurm", "--slurm-time",
                            "30"], env=env, cwd=root, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert not list((tmp_path / "state").iterdir()), "sbatch was called for a finished grid"
    assert "1 of 1 run is finished already: no job for it" in again.stderr
    assert "leaderboard:" in again.stdout


def test_a_slurm_resubmission_submits_no_job_for_a_metric_whose_weights_are_still_missing(tmp_path, monkeypatch):
    """A finished run that could not be scored on a metric whose weights are not cached (offline cluster: lpips)
    counted as unfinished at submission: every resubmission took one allocation per such run, each job only
    to find the weights still missing. The driver now opens the grid's metrics (as run_grid does) when a
    finished run lacks one, and submits no job where none can be scored anew."""
    import sys
    from pathlib import Path

    import submitit
    import torch

    import benchmark.executors as ex
    from benchmark.results import ResultsStore
    from benchmark.runner import run_grid

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import fake_slurm

    unit = _unit(tmp_path, iterations=2)
    metrics = ("psnr", "lpips")  # lpips: weights not cached offline (skipped with its reason)
    summary = run_grid(list(unit.configs), ResultsStore(unit.store_root), metrics, torch.device("cpu"),
                       progress=False, logger="none")
    assert summary.trained == 1

    def no_jobs(n):
        raise AssertionError(f"{n} job(s) submitted although no metric can be scored anew")

    monkeypatch.setattr(submitit, "AutoExecutor", fake_slurm.executor(no_jobs))
    summary = ex.execute_slurm(list(unit.configs), unit.store_root, metrics, "cpu", split="run")
    assert summary.skipped == 1


def test_eta_leaves_out_runs_that_failed_during_this_grid(tmp_path):
    """A run that failed during this grid is not tried again by it (the next command retries it), yet the ETA
    charged it its family's mean as work still to do: a grid whose last runs had all failed said 'ETA
    0:03:20' as it ended. Runs that failed during this grid are left out; a failure an earlier command
    recorded is still work this grid does (it retries it)."""
    import time

    import pytest

    from benchmark.config import RunConfig, run_id
    from benchmark.progress import GridProgress
    from benchmark.results import ResultsStore

    store = ResultsStore(tmp_path)
    store.ensure_writable()
    done, failed_now, failed_before, left = (
        RunConfig(task="denoise", loss="l1", seed=s, train_fingerprint="x", test_fingerprint="y") for s in range(4))
    p = GridProgress(store, [done, failed_now, failed_before, left], workers=1)
    store.write_meta(run_id(done), {"run_id": run_id(done), "status": "ok", "config": done.to_dict(),
                                    "wall_s": 100.0})
    for c, started in ((failed_now, time.time()), (failed_before, time.time() - 6 * 3600)):
        store.write_meta(run_id(c), {"run_id": run_id(c), "status": "failed", "config": c.to_dict(),
                                     "started": started})
    eta, _ = p.eta()
    assert eta == pytest.approx(2 * 100), f"ETA {eta:.0f} s for 2 runs of 100 s left"
    assert "1 done, 1 failed; ETA 0:03:20" in p.line()


def test_bad_input_met_by_a_job_on_another_node_names_the_node(tmp_path, monkeypatch):
    """A SLURM job whose node has no usable GPU (``--device cuda``, a GPU-less or broken node) reported "device
    'cuda' requested but CUDA is not available here", and the driver on the login node printed that line as
    its own, exit 2: "here" read as the login node, with no word of which job or node. An error a job on
    another machine met now says where (its job and node); one met on the driver's own machine reads as
    before."""
    import benchmark.executors as ex
    from benchmark.errors import UserError

    unit = _unit(tmp_path)
    unit = ex.WorkUnit(unit.configs, unit.store_root, unit.metrics, "cuda:7", tag="[r0]")  # no such GPU here
    result = ex._worker_main(unit)
    assert result.get("user"), result
    with pytest.raises(UserError) as here:
        ex._raise_failures([result], "workers")
    assert str(here.value) == result["error"]  # the driver's own machine: as it was
    monkeypatch.setattr(ex, "_host", lambda: "login-node")  # the driver runs elsewhere
    with pytest.raises(UserError) as there:
        ex._raise_failures([{**result, "worker": "r0 (job 1000_3)"}], "slurm jobs")
    msg = str(there.value)
    assert msg.startswith(result["error"]) and "r0 (job 1000_3)" in msg and result["host"] in msg, msg


def test_runs_a_requeued_job_finished_before_its_requeue_count_as_trained_not_already_done(tmp_path):
    """A SLURM job (``--workers N``: several runs per job) requeued on a time-out reports only what its last
    attempt did: a run it finished before the requeue is 'skipped' there, so the driver's summary said
    'trained 1, skipped 1 (already done)' for a grid whose two runs were both trained by this command (and a
    run that diverged before the requeue was 'already done', diverged 0). Runs the store says were started
    during this grid count as trained (or diverged), as they already did for a lost job."""
    import time

    import benchmark.executors as ex
    from benchmark.config import run_id
    from benchmark.results import ResultsStore

    unit = _unit(tmp_path, seeds=(0, 1, 2))
    store = ResultsStore(unit.store_root)
    store.ensure_writable()
    since = time.time()
    for c, status in zip(unit.configs, ("ok", "diverged", "ok")):
        store.write_meta(run_id(c), {"run_id": run_id(c), "status": status, "config": c.to_dict(),
                                     "started": since + 1, "diverged_at": 3 if status == "diverged" else None})
        if status == "ok":
            store.write_eval(run_id(c), [], ["psnr"], {})  # its evaluation record (rows left out here)
    # the requeued job: seed 2 trained after the requeue, seeds 0 and 1 finished before it
    result = {"summary": {"trained": 1, "skipped": 2, "rescored": 0, "failed": 0, "diverged": 0, "locked": 0,
                          "unscored": 0}}
    summary = ex._collect(list(unit.configs), unit.store_root, unit.metrics, [result], "slurm jobs", since=since,
                          requeued=True)  # as execute_slurm collects its jobs
    assert (summary.trained, summary.diverged, summary.skipped) == (2, 1, 0), summary


def test_an_interrupted_run_with_checkpoints_off_does_not_say_checkpoints_are_saved(tmp_path, monkeypatch, capsys):
    """Ctrl-C (or SIGTERM) of ``plbench run --checkpoint-every 0 --checkpoint-seconds 0`` ended on
    'interrupted; finished runs and checkpoints are saved. Resume with: …' although nothing of the run in
    progress was saved: the resume trains it again from iteration 0. The line now says so."""
    from conftest import signal_at_iteration

    from benchmark.cli import main

    signal_at_iteration(monkeypatch, 2, signal.SIGINT)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        code = main(["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--iterations", "6", "--crop", "32",
                     "--batch-size", "2", "--metrics", "psnr", "--test-data", "skimage-natural:test", "--device", "cpu",
                     "--no-progress", "--no-budget-check", "--no-report", "--logger", "none", "--checkpoint-every", "0",
                     "--checkpoint-seconds", "0", "--out", str(tmp_path / "out")])
    finally:
        signal.signal(signal.SIGINT, previous)
    err = capsys.readouterr().err
    assert code == 130 and "Resume with" in err, err
    assert "checkpoints are saved" not in err and "from iteration 0" in err, err


def test_a_job_on_a_node_whose_net_definition_differs_names_it(tmp_path, monkeypatch):
    """The same refusal names what differs when it is not a loss: the net's definition (its repr, which another
    torch on the compute nodes than on the login node can change) or the code version."""
    import benchmark.executors as ex
    import benchmark.nets as nets
    from benchmark.checkpoint import CheckpointPolicy

    unit = _unit(tmp_path)
    unit = ex._units(list(unit.configs), 1, "run", unit.store_root, unit.metrics, "cpu", CheckpointPolicy(0, 0), (),
                     "none", 1)[0]
    real = nets.signature
    monkeypatch.setattr(nets, "signature", lambda name: real(name) + "x")  # the node's torch prints it otherwise
    result = ex._worker_main(unit)
    assert result.get("user"), result
    what = result["error"].split("submitted: ", 1)[1].split(" (run ", 1)[0]  # what changed, old → new
    assert what.startswith("net definition v") and what.endswith("x") and "loss" not in what, result["error"]
