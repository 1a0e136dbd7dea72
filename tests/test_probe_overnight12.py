"""Probe of overnight and cluster runs under faults (session 12): each test failed on the code before its fix."""

from __future__ import annotations

import pytest
from test_probe_overnight11 import _one_photo_run

NAN_GRAD_AT_3 = '''
import torch
from benchmark.registry import register_loss


@register_loss("nan_grad_at_3_probe12")
class NanGradAt3(torch.nn.Module):
    """(N, 3, H, W) in [0, 1] → mean absolute error; at its 3rd training call the value stays finite but its
    gradient is NaN (a masked sqrt's branch, torch.where's classic)."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, pred, target):
        self.calls += pred.requires_grad
        l1 = (pred - target).abs().mean()
        if self.calls == 3:
            return l1 + torch.where(pred > 5, torch.sqrt(pred - 5), 0 * pred).mean()
        return l1
'''


@pytest.mark.parametrize("device_path", [False, True], ids=["cpu-step", "device-step"])
def test_a_nan_gradient_is_reported_at_its_own_iteration(tmp_path, device_path):
    """A finite loss with a NaN gradient at iteration 3 left the net's weights NaN, which showed only in iteration
    4's loss: the run was recorded 'diverged at iteration 4', one step after what broke it (a user bisecting the
    loss's bug looks at the wrong batch). The gradient is checked with the loss: diverged at 3, 2 iterations
    done."""
    import torch

    from benchmark import runner
    from benchmark.registry import LOSSES
    from benchmark.task import build_task

    cfg = _one_photo_run(tmp_path, NAN_GRAD_AT_3, "nan_grad_at_3_probe12", iterations=8)
    try:
        cfg = runner.resolve_all([cfg])[0]
        images = runner.load_images(cfg.train_data[0])
        result = runner.train(cfg, build_task("denoise"), images, torch.device("cpu"), device_path=device_path,
                              check_every=4)
    finally:
        LOSSES.remove("nan_grad_at_3_probe12")
    assert (result.status, result.diverged_at, result.iterations_done) == ("diverged", 3, 2)
