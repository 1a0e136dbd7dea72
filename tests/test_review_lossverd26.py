"""Review of session 26's losses and verdicts probes (988a5fe2, 9632c00e, 37baee0b, 7d8b5d0f): each problem found in
a reviewed commit, with its test (failing on that commit)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import benchmark.findings  # noqa: F401 (imported once at collection, not in a test's time)
import losses.ssim  # noqa: F401 (imported once at collection, not in a test's time)


def _ms_ssim_gap64(x: torch.Tensor, y: torch.Tensor, levels: int = 5) -> torch.Tensor:
    """1 − MS-SSIM per image in float64 by the textbook formula (:func:`losses.ssim._ssim_components` undecorated)."""
    from losses.ssim import _ms_weights, _ssim_components

    vals = []
    for i in range(levels):
        s, cs = _ssim_components(x, y, 1.0, 11, 1.5)
        vals.append((s if i == levels - 1 else cs).clamp_min(0).mean(1))
        if i < levels - 1:
            pad = (x.shape[-2] % 2, x.shape[-1] % 2)
            x, y = F.avg_pool2d(x, 2, padding=pad), F.avg_pool2d(y, 2, padding=pad)
    return 1 - torch.prod(torch.stack(vals, 1) ** _ms_weights(levels).double(), 1)


@pytest.mark.parametrize("sigma", [1e-4, 1e-5])
def test_the_ms_ssim_loss_gradient_is_float32_accurate_near_identity(sigma):
    """988a5fe2 took each scale's 1 − cs from the residual, but at the coarse scales that residual was
    avg_pool(x) − avg_pool(y), a difference of near-equal pooled numbers: the gradient a net trains on was 0.2 % off
    float64 at residual σ 1e-4 and 1–2 % at 1e-5 (the value ~1e-4). Now the residual itself is pooled with them."""
    from losses.ssim import MSSSIMLoss

    g = torch.Generator().manual_seed(1)
    y = torch.rand(2, 3, 48, 48, generator=g) * 0.8 + 0.1
    x = y + sigma * torch.randn(y.shape, generator=g)
    x32, x64 = x.clone().requires_grad_(), x.double().requires_grad_()
    MSSSIMLoss()(x32, y).backward()
    _ms_ssim_gap64(x64, y.double()).mean().backward()
    err = ((x32.grad.double() - x64.grad).norm() / x64.grad.norm()).item()
    assert err < 1e-4, (sigma, err)


def test_a_missing_runs_part_reads_each_arm_s_lost_runs_once(monkeypatch):
    """7d8b5d0f read each arm's lost runs (Results.lost_seeds: a filter of the lost runs and, where any, of the whole
    table by task, loss, weights and version) a second time to name the lacking seeds' kinds, after compare() had read
    them for the seeds it lacks: one question asked twice per part with missing runs. Now read once per arm."""
    import pandas as pd

    from benchmark import findings
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("sr4",), metrics=("psnr",), n_images=4, seed_sd=0.2, seeds=range(7),
                        offsets={"l1": 1.0, "l2": 0.0})
    t = t[~((t["loss"] == "l2") & (t["seed"] >= 4))]
    lost = pd.DataFrame([{"task": "sr4", "loss": "l2", "arm_weights": "none", "seed": 4, "status": "diverged",
                          "setting": t["setting"].dropna().iloc[0], "loss_version": ""}])
    calls = []
    real = findings.Results.lost_seeds
    monkeypatch.setattr(findings.Results, "lost_seeds", lambda self, task, arm: calls.append(arm.label)
                        or real(self, task, arm))
    (r,) = findings.check_all(t, names=("zhao2017_l1_vs_l2",), lost=lost)
    (p,) = [p for p in r.parts if p.metric == "psnr"]
    assert "l2 4 (diverged), 5, 6 (no run in these results)" in p.note, p.note
    assert len(calls) == len(set(calls)) == 2, calls
