"""Mends of repeated work in cli/api/config/runner/perf/checkpoint (session 18)."""
from __future__ import annotations

import torch


def test_check_memory_sizes_the_run_config_harness_step_builds(monkeypatch):
    """check_memory built its own RunConfig beside harness_step's (no compile=, another iterations): one
    _harness_config gives both."""
    import benchmark.perf as perf
    import benchmark.runner as runner
    from benchmark import resources

    sized, built = [], []
    monkeypatch.setattr(resources, "check_fits", lambda cfgs, dev: sized.extend(cfgs))

    class Step:
        def __init__(self, cfg, task, images, device):
            built.append(cfg)

    monkeypatch.setattr(runner, "TrainStep", Step)
    kw = dict(net="tiny", batch=2, crop=32, device=torch.device("cpu"), task="denoise", compile=True)
    perf.check_memory(["l2"], **kw)
    perf.harness_step("l2", images=[], **kw)
    assert [c.loss for c in sized] == ["l1", "l2"]
    assert sized[1] == built[0]
