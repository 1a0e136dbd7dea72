"""Review of the loss zoo's eleventh pass: the planning refusal of a loss larger at the clean target than at the
degraded input must refuse a similarity returned as it is, not a distance with a prior on pred."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_probe_losses import _HEAD

from benchmark.lossfn import build_loss, check_loss_on_crop
from benchmark.registry import LOSSES, load_user_file
from benchmark.task import build_task

#: ℓ1 plus a total-variation prior on pred (the classic regulariser a user adds): its minimum is near the target,
#: not at it, and a blurred or downscaled input has less variation than the clean target
TV_REG = _HEAD + ("@register_loss('probe_tvreg')\nclass TVReg(torch.nn.Module):\n"
                  "    def __init__(self, lam: float = 0.1):\n        super().__init__()\n        self.lam = lam\n"
                  "    def forward(self, pred, target):\n"
                  "        tv = (pred[..., 1:, :] - pred[..., :-1, :]).abs().mean() "
                  "+ (pred[..., :, 1:] - pred[..., :, :-1]).abs().mean()\n"
                  "        return (pred - target).abs().mean() + self.lam * tv\n")


def _tv_reg(pred: np.ndarray, target: np.ndarray, lam: float) -> float:
    """The file's loss transcribed in numpy (the test's own figures)."""
    tv = np.abs(np.diff(pred, axis=-2)).mean() + np.abs(np.diff(pred, axis=-1)).mean()
    return float(np.abs(pred - target).mean() + lam * tv)


@pytest.fixture
def tv_reg(tmp_path):
    f = tmp_path / "tvreg.py"
    f.write_text(TV_REG)
    load_user_file(f)
    yield "probe_tvreg"
    LOSSES.remove("probe_tvreg")


@pytest.mark.parametrize("task", ["sr4", "deblur"])
def test_a_distance_with_a_smoothness_prior_on_pred_is_not_refused_as_a_reversed_loss(tv_reg, task):
    """ℓ1 + 0.5·TV(pred) is larger at the target than at a blurred input (TV(target) > TV(blurred)), yet it is a
    distance: moving off the target in any direction raises it (its minimum is near the target). It was refused
    ("a similarity or a score returned as it is?") for sr4 and deblur; a reversed loss is smallest *away* from the
    target, and still is refused (tests/test_probe_zoo11.py)."""
    spec = "probe_tvreg(lam=0.5)"
    g = torch.Generator().manual_seed(0)
    clean = torch.rand(2, 3, 32, 32, generator=g)
    degraded = build_task(task).degrade(clean, g)
    near = (clean + 0.05 * torch.randn(clean.shape, generator=g)).clamp(0, 1)
    c, d, m = (x.numpy().astype(np.float64) for x in (clean, degraded, near))
    assert _tv_reg(c, c, 0.5) > _tv_reg(d, c, 0.5)  # larger at the target than at the input, as refused
    assert _tv_reg(m, c, 0.5) > _tv_reg(c, c, 0.5)  # and smaller there than just off it: a distance
    check_loss_on_crop(spec, build_loss(spec), [build_task(task)], crop=48)


SSIM_SIM = _HEAD + ("from losses.ssim import ssim\n\n@register_loss('probe_ssim_sim11')\n"
                    "class SSIMSimilarity(torch.nn.Module):\n"
                    "    def forward(self, pred, target):\n        return ssim(pred, target).mean()\n")


@pytest.mark.parametrize("spec", ["l1 + probe_ssim_sim11", "l1 + 0.1*probe_ssim_sim11"])
def test_a_similarity_returned_as_it_is_is_refused_as_a_term_of_a_weighted_sum(tmp_path, spec):
    """The README's own combination, ℓ1 + SSIM, written with the similarity (SSIM(pred, target), 1 at the target)
    instead of 1 − SSIM: the sum's ℓ1 hides it (l1 + ssim_sim is 1.0 at the target, 1.05 at the noisy input), so it
    planned on every task and its SSIM term trained every run away from the target. Refused, naming the term."""
    f = tmp_path / "ssim_sim.py"
    f.write_text(SSIM_SIM)
    load_user_file(f)
    try:
        loss = build_loss(spec)
        with pytest.raises(Exception, match=r"term 'probe_ssim_sim11' is larger at the clean target .* than at the "
                                            r"degraded input") as info:
            check_loss_on_crop(spec, loss, [build_task("denoise")], crop=48)
        assert "\n" not in str(info.value) and f"loss {spec!r}" in str(info.value)
        check_loss_on_crop("l1 + 0.1*ms_ssim", build_loss("l1 + 0.1*ms_ssim"), [build_task("denoise")], crop=48)
    finally:
        LOSSES.remove("probe_ssim_sim11")


@pytest.mark.parametrize("spec", ["l1", "l1 + 0.1*ms_ssim"])
def test_the_reversed_loss_checks_run_no_forward_on_the_grids_crop(spec):
    """Judged on 32-px crops, as the flat check is: on a 96-px grid of every task, the only 96-px forward of each
    term is the one shape check (a check falling through to the grid's own crop costs a 96-px forward per task)."""
    loss = build_loss(spec)
    sides = []
    hooks = [m.register_forward_pre_hook(lambda mod, args: sides.append(args[0].shape[-1])) for m in loss.parts]
    tasks = [build_task(t) for t in ("denoise", "sr4", "deblur", "jpeg", "demosaic")]
    check_loss_on_crop(spec, loss, tasks, crop=96)
    for h in hooks:
        h.remove()
    assert sides.count(96) == len(loss.parts) and set(sides) == {32, 96}, sides
