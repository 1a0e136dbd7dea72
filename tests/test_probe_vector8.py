"""Probe (publishable outputs, small leftovers): dry-run time caches, Markdown escaping, leaderboard formats."""

from __future__ import annotations

import pytest


def test_time_cache_keys_carry_code_version_and_order_free_metric_set(monkeypatch):
    """Both cache keys change with the harness code version; the eval key ignores the metric order."""
    import torch

    import benchmark
    import benchmark.perf as perf

    dev = torch.device("cpu")
    step = perf.StepTimes.key(dev, "tiny", "l1", "denoise", 2, 32, False)
    ev = perf.StepTimes.eval_key(dev, "tiny", "fp", ["psnr", "ssim"])
    assert ev == perf.StepTimes.eval_key(dev, "tiny", "fp", ["ssim", "psnr"])
    assert ev != perf.StepTimes.eval_key(dev, "tiny", "fp", ["psnr"])
    monkeypatch.setattr("benchmark.config.CODE_VERSION", benchmark.CODE_VERSION + "-next")
    assert perf.StepTimes.key(dev, "tiny", "l1", "denoise", 2, 32, False) != step
    assert perf.StepTimes.eval_key(dev, "tiny", "fp", ["psnr", "ssim"]) != ev



@pytest.mark.slow
def test_dry_run_time_cache_retimes_after_code_version_change(tmp_path, monkeypatch):
    """Step and evaluation times cached by another harness code version are measured again, not reused:
    a speed change in the code must reach the next dry run's estimate."""
    import benchmark
    import benchmark.perf as perf
    from benchmark.config import RunConfig

    path = tmp_path / "steptimes.json"
    grid = [RunConfig(task="denoise", loss="l1", iterations=10, batch_size=2, crop=32)]
    one = perf.estimate_grid(grid, ["psnr"], "cpu", perf.StepTimes(path))
    assert one["measured"] > 0
    monkeypatch.setattr(benchmark, "CODE_VERSION", benchmark.CODE_VERSION + "-next")
    monkeypatch.setattr("benchmark.config.CODE_VERSION", benchmark.CODE_VERSION)
    two = perf.estimate_grid(grid, ["psnr"], "cpu", perf.StepTimes(path))
    assert two["reused"] == 0 and two["measured"] == one["measured"]  # step and eval times both re-measured
    keys = list(perf.StepTimes(path).data)
    assert any("eval" in k and "-next" in k for k in keys) and any("eval" not in k and "-next" in k for k in keys)
