"""Probe (overnight 5): SLURM time-out / preemption (USR2) with periodic checkpoints off."""
import json
import logging
import os
import signal

import pytest
from conftest import signal_at_iteration


def _unit(tmp_path, iterations=6):
    import benchmark.executors as ex
    from benchmark.checkpoint import CheckpointPolicy
    from benchmark.config import GridSpec, build_configs

    spec = GridSpec(profile="quick", tasks=("denoise",), losses=("l1",), seeds=(0,), iterations=iterations,
                    crop=32, batch_size=2, device="cpu", metrics=("psnr",), budget_check=False)
    configs = tuple(build_configs(spec)[0])
    return ex.WorkUnit(configs, str(tmp_path / "r"), ("psnr",), "cpu", checkpoint=CheckpointPolicy(0, 0),
                       logger="none")


def _preempted(tmp_path, monkeypatch):
    """A SLURM job's unit (periodic checkpoints off) that gets USR2 during iteration 3 of its run, under a
    stand-in for submitit's handler (which requeues and exits); the run's folder."""
    import benchmark.executors as ex
    import benchmark.runner as runner
    from benchmark.config import run_id

    unit = _unit(tmp_path)
    signal_at_iteration(monkeypatch, 3, signal.SIGUSR2)

    def submitit_handler(signum, frame):  # submitit: checkpoint() → scontrol requeue → exit
        raise SystemExit(-1)

    previous = signal.signal(signal.SIGUSR2, submitit_handler)
    try:
        with pytest.raises(SystemExit):
            ex.RequeueableUnit()(unit)
    finally:
        signal.signal(signal.SIGUSR2, previous)
    monkeypatch.setattr(runner, "crash_point", lambda kind: None)
    return unit, tmp_path / "r" / "runs" / run_id(unit.configs[0])


@pytest.mark.skipif(not hasattr(signal, "SIGUSR2"), reason="POSIX signals")
def test_usr2_checkpoints_the_run_in_progress_even_with_periodic_checkpoints_off(tmp_path, monkeypatch):
    """With periodic checkpoints off (``--checkpoint-every 0 --checkpoint-seconds 0``) a run had no
    checkpointer at all: USR2 (SLURM time-out or preemption ahead) stopped it after its step with nothing
    saved, submitit requeued the job, and the requeued run trained again from iteration 0. In a SLURM job
    the run in progress now saves a checkpoint of the step it finished before the requeue."""
    import torch

    _, run_dir = _preempted(tmp_path, monkeypatch)
    assert (run_dir / "ckpt.pt").exists(), "USR2 saved no checkpoint of the run in progress"
    assert torch.load(run_dir / "ckpt.pt", map_location="cpu", weights_only=True)["iteration"] == 3


@pytest.mark.slow  # two grid runs in-process: ~10 s on 2 cores
@pytest.mark.skipif(not hasattr(signal, "SIGUSR2"), reason="POSIX signals")
def test_requeued_job_resumes_from_the_usr2_checkpoint_with_periodic_checkpoints_off(tmp_path, monkeypatch):
    """The requeued job (same unit, periodic checkpoints still off) resumes the run from the checkpoint USR2
    saved, not from iteration 0, finishes it and drops the checkpoint."""
    import benchmark.executors as ex

    unit, run_dir = _preempted(tmp_path, monkeypatch)
    def submitit_handler(signum, frame):  # the requeued job's own submitit handler: never called here
        raise AssertionError("requeued again")

    previous = signal.signal(signal.SIGUSR2, submitit_handler)
    try:
        result = ex.RequeueableUnit()(unit)  # the requeued job
    finally:
        signal.signal(signal.SIGUSR2, previous)
    assert result["summary"]["trained"] == 1, result
    meta = json.loads((run_dir / "meta.json").read_text())
    assert meta["iterations_done"] == 6 and meta["resumed_at"] == 3
    assert not list(run_dir.glob("ckpt*.pt"))  # a finished run's checkpoint is dropped


def test_periodic_checkpoints_off_outside_slurm_still_saves_none(tmp_path, monkeypatch):
    """Outside a SLURM job ``--checkpoint-every 0 --checkpoint-seconds 0`` keeps meaning no checkpoint:
    a stop (SIGINT) saves nothing and leaves no ckpt.pt behind."""
    import benchmark.executors as ex
    from benchmark.config import run_id

    unit = _unit(tmp_path)
    signal_at_iteration(monkeypatch, 3, signal.SIGINT)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        result = ex._worker_main(unit)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert result.get("interrupted"), result
    assert not list((tmp_path / "r" / "runs" / run_id(unit.configs[0])).glob("ckpt*.pt"))


@pytest.mark.slow  # one SLURM-like job, requeued once: ~1-2 min on 2 cores
def test_fake_slurm_preemption_resumes_with_periodic_checkpoints_off(tmp_path):
    """The real CLI and submitit with SLURM faked on PATH (``tests/fake_slurm.py``), periodic checkpoints off:
    USR2 during training requeues the job, and the requeued job resumes the run from the checkpoint saved
    on USR2 (it trained again from iteration 0: nothing was saved)."""
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "tests"))
    import fake_slurm

    curve, returncode, err = fake_slurm.preempt_a_training_run(tmp_path, root, "0")
    assert curve is not None, "the job should be training"
    assert returncode == 0, err
    assert (tmp_path / "state" / "1000.starts").read_text().split() == ["0", "1"]  # requeued once
    meta = json.loads((curve.parent / "meta.json").read_text())
    assert meta["status"] == "ok" and meta["iterations_done"] == 1500
    assert meta["resumed_at"], "the requeued job started again from iteration 0"


@pytest.mark.skipif(not hasattr(signal, "SIGUSR2"), reason="POSIX signals")
def test_usr2_log_line_does_not_say_send_it_again(monkeypatch, caplog):
    """On USR2 (SLURM time-out or preemption ahead) the warning said '(send it again to stop now)', but a
    second USR2 is ignored: the run still finishes its step and checkpoints before the requeue. The line now
    says what happens (the job is requeued after the step); SIGINT/SIGTERM keep 'send it again to stop now',
    which a second one of them does."""
    import benchmark.executors as ex
    from benchmark.results import DeferredInterrupt

    events = []

    def submitit_handler(signum, frame):
        events.append("requeue")
        raise SystemExit(-1)

    def training(unit):
        try:
            with DeferredInterrupt() as stop:
                for _ in range(2):  # USR2 twice: the second must not stop the step at once
                    os.kill(os.getpid(), signal.SIGUSR2)
                    for _ in range(100):  # the signal is delivered between bytecodes
                        if stop.requested:
                            break
                events.append("checkpoint saved")
        except KeyboardInterrupt:
            return {"interrupted": True, "worker": "r0", "pid": os.getpid()}
        return {"summary": {}}

    monkeypatch.setattr(ex, "_worker_main", training)
    previous = signal.signal(signal.SIGUSR2, submitit_handler)
    try:
        with caplog.at_level(logging.INFO), pytest.raises(SystemExit):
            ex.RequeueableUnit()(object())
    finally:
        signal.signal(signal.SIGUSR2, previous)
    assert events == ["checkpoint saved", "requeue"]
    assert "SIGUSR2 received" in caplog.text and "requeued" in caplog.text
    assert "send it again" not in caplog.text

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="benchmark.results"):
        stop = DeferredInterrupt()
        stop._handler(signal.SIGTERM, None)
        with pytest.raises(KeyboardInterrupt):
            stop._handler(signal.SIGTERM, None)  # the same signal again: stop now, as the line says
    assert "SIGTERM received" in caplog.text and "send it again to stop now" in caplog.text
