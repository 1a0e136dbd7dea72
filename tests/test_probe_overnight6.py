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
