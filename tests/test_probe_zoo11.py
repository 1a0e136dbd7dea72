"""Loss zoo, eleventh pass: a loss must point the right way before a grid trains on it.

A user's loss file (README "Adding a loss") that returns a similarity or a quality score as it is — SSIM instead
of 1 − SSIM, PSNR instead of −PSNR — is smallest far from the target: every run of the grid trains the net away
from the clean image, and nothing said so until the leaderboard showed it worse than its input.
"""

from __future__ import annotations

import re

import pytest
import torch
from test_probe_losses import _HEAD, _one_line_error, probe_dir

from benchmark.lossfn import build_loss, check_loss_on_crop
from benchmark.registry import LOSSES, load_user_file
from benchmark.task import build_task

#: a user's slips of sign: each is largest at pred == target (the similarity a loss should be one minus)
REVERSED = {
    "probe_ssim_sim": "from losses.ssim import ssim\n\n"
                      "@register_loss('probe_ssim_sim')\nclass SSIMSimilarity(torch.nn.Module):\n"
                      "    def forward(self, pred, target):\n        return ssim(pred, target).mean()\n",
    "probe_psnr_sim": "@register_loss('probe_psnr_sim')\nclass PSNRScore(torch.nn.Module):\n"
                      "    def forward(self, pred, target):\n"
                      "        return 10 * torch.log10(1 / ((pred - target).pow(2).mean() + 1e-8))\n",
}


@pytest.fixture
def reversed_loss(tmp_path, request):
    name = request.param
    f = tmp_path / f"{name}.py"
    f.write_text(_HEAD + REVERSED[name])
    load_user_file(f)
    yield name
    LOSSES.remove(name)


@pytest.mark.parametrize("reversed_loss", sorted(REVERSED), indirect=True)
@pytest.mark.parametrize("task", ["denoise", "sr4"])
def test_a_loss_larger_at_the_target_than_at_the_input_is_refused_when_planned(reversed_loss, task):
    """Both passed planning on 48-px crops (ssim_sim 1.0 at the target against ~0.6 at the noisy input) and trained
    every run of the grid away from the target. Refused now, naming both values, which the test recomputes."""
    loss = build_loss(reversed_loss)
    with pytest.raises(Exception, match=r"larger at the clean target .* than at the degraded input") as info:
        check_loss_on_crop(reversed_loss, loss, [build_task(task)], crop=48)
    msg = str(info.value)
    assert "\n" not in msg and f"loss {reversed_loss!r}" in msg and f"task {task}" in msg
    at_target, at_input = (float(v) for v in re.search(r"target \(([-\d.e+]+)\) than at the degraded input "
                                                       r"\(([-\d.e+]+)\)", msg).groups())
    assert at_target > at_input  # what the words say is so: the loss rewards moving away from the target
    g = torch.Generator().manual_seed(0)
    clean = torch.rand(2, 3, 32, 32, generator=g)
    with torch.no_grad():
        assert float(loss(clean, clean)) > float(loss(build_task(task).degrade(clean, g), clean))


def test_a_loss_the_same_at_the_target_and_a_correct_loss_are_not_refused(tmp_path):
    """The same file with the sign right (1 − SSIM) plans, and so does every pixel loss of the zoo: the check
    refuses only a loss larger at the target than at the input (equal is the flat check's business)."""
    f = tmp_path / "ssim_ok.py"
    f.write_text(_HEAD + REVERSED["probe_ssim_sim"].replace("probe_ssim_sim", "probe_ssim_ok")
                 .replace("return ssim(", "return 1 - ssim("))
    load_user_file(f)
    try:
        for spec in ("probe_ssim_ok", "l1", "0.84*ms_ssim + 0.16*l1"):
            check_loss_on_crop(spec, build_loss(spec), [build_task("denoise"), build_task("sr4")], crop=48)
    finally:
        LOSSES.remove("probe_ssim_ok")


def test_a_loss_that_trains_its_own_parts_is_not_judged_by_its_first_values(tmp_path):
    """A learned critic (a loss with a ``train_step``) may score the target below the input at its random init; what
    it trains the net towards is decided as it trains, so its first values are not refused."""
    f = tmp_path / "critic.py"
    f.write_text(_HEAD + "@register_loss('probe_critic')\nclass Critic(torch.nn.Module):\n"
                 "    def __init__(self):\n        super().__init__()\n"
                 "        self.w = torch.nn.Parameter(torch.ones(()))\n"
                 "    def forward(self, pred, target):\n"
                 "        return self.w * (1 - (pred - target).pow(2).mean())\n"
                 "    def train_step(self, pred, target):\n        pass\n")
    load_user_file(f)
    try:
        loss = build_loss("probe_critic")
        with torch.no_grad():  # larger at the target, as the reversed losses above
            clean = torch.rand(2, 3, 32, 32)
            noisy = build_task("denoise").degrade(clean, torch.Generator().manual_seed(0))
            assert float(loss(clean, clean)) > float(loss(noisy, clean))
        check_loss_on_crop("probe_critic", loss, [build_task("denoise")], crop=48)
    finally:
        LOSSES.remove("probe_critic")


@pytest.mark.slow  # a CLI run's planning: ~1.4 s
def test_plbench_run_refuses_a_reversed_loss_file_in_one_line(tmp_path, capsys):
    """Through the CLI, as the README's user runs it: exit 2, one 'error:' line, the results there untouched."""
    d = probe_dir(tmp_path, loss_files=False)
    (d / "ssim_sim.py").write_text(_HEAD + REVERSED["probe_ssim_sim"])
    code, line = _one_line_error(["--loss-file", "{d}/ssim_sim.py", "--losses", "probe_ssim_sim"], d, capsys)
    assert code == 2
    assert re.search(r"loss 'probe_ssim_sim' is larger at the clean target .* a similarity or a score", line), line
