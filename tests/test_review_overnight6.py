"""Review of overnight 6: a stop during a diverging step with checkpoints off, SLURM summaries without a
requeue, a job whose loss file no longer registers the planned loss."""
import os
import signal

import numpy as np
import pytest
import torch


@pytest.fixture
def images():
    from benchmark.data import ImageRecord

    rng = np.random.default_rng(0)
    return [ImageRecord(f"i{k}", torch.from_numpy(rng.integers(0, 256, (3, 56, 64), dtype=np.uint8)))
            for k in range(3)]


@pytest.fixture
def nan_at_3():
    from benchmark.registry import LOSSES

    class NaNAt3(torch.nn.Module):
        calls = 0

        def forward(self, pred, target):
            NaNAt3.calls += 1
            loss = (pred - target).abs().mean()
            if NaNAt3.calls == 4:  # the stop comes during a later step, the divergence not yet read back
                os.kill(os.getpid(), signal.SIGINT)
            return loss * float("nan") if NaNAt3.calls == 3 else loss

    LOSSES.add("review6_nan_at_3", NaNAt3)
    yield
    LOSSES.remove("review6_nan_at_3")


def test_a_stop_after_an_unread_divergence_with_checkpoints_off_still_records_it(images, nan_at_3):
    """GPU step (device-side flag read every ``check_every`` iterations) with checkpoints off (no checkpointer):
    a stop that came after the loss went non-finite, before the flag was read, raised KeyboardInterrupt
    without reading it, so the divergence went unrecorded and the next command trained the run again from
    iteration 0 only to diverge again. The flag is read at the stop, as it is when a checkpoint is saved."""
    from benchmark.config import RunConfig
    from benchmark.runner import train
    from benchmark.task import build_task

    cfg = RunConfig(task="denoise", loss="review6_nan_at_3", iterations=12, batch_size=2, crop=32)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        r = train(cfg, build_task("denoise"), images, torch.device("cpu"), check_every=10, device_path=True,
                  checkpoint=None, defer_stop=True)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert (r.status, r.diverged_at, r.stop_requested) == ("diverged", 3, True)


def test_a_stop_without_divergence_and_checkpoints_off_still_stops(images):
    from benchmark.config import RunConfig
    from benchmark.runner import TrainStep, train
    from benchmark.task import build_task

    real = TrainStep.__call__

    def stop_at_4(self, it):
        if it == 4:
            os.kill(os.getpid(), signal.SIGINT)
        return real(self, it)

    cfg = RunConfig(task="denoise", loss="l1", iterations=12, batch_size=2, crop=32)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    mp = pytest.MonkeyPatch()
    mp.setattr(TrainStep, "__call__", stop_at_4)
    try:
        with pytest.raises(KeyboardInterrupt):
            train(cfg, build_task("denoise"), images, torch.device("cpu"), check_every=10, device_path=True,
                  checkpoint=None, defer_stop=True)
    finally:
        mp.undo()
        signal.signal(signal.SIGINT, previous)
