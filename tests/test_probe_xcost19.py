"""Probe of the cost and methods leftovers, round 19: the pretrain estimate's device, perf's CPU allocation failure,
the harness's own metrics read without torch, memory units."""

import pytest

PRETRAIN = "plbench pretrain --recipe simclr --data skimage:train"


@pytest.mark.parametrize("steps, timed", [(500, "3 of its 500 steps timed"), (1, "its 1 step timed"),
                                          (2, "its 2 steps timed")])
def test_the_pretrain_estimate_names_its_device_as_the_dry_run_does(monkeypatch, steps, timed):
    """_pretrain_estimate said "about N … here" with no device, beside a dry run that names its device one way in
    every line (stats.device_kind: `cpu (<model>, 2 threads)`); with one step timed it said "1 of its 1 steps". It now
    names the device the steps ran on as the dry run does, and says all its steps timed where they all were."""
    import torch

    from benchmark import devices
    from benchmark import pretrain as P
    from benchmark.cli import _pretrain_estimate
    from benchmark.stats import device_kind

    monkeypatch.setattr(P, "estimate_seconds", lambda cfg, **_: (45.0, 0.66))
    monkeypatch.setattr(devices, "cpu_model", lambda: "Xeon W-2245")
    said = _pretrain_estimate(f"{PRETRAIN} --steps {steps}")
    kind = device_kind("cpu", "Xeon W-2245", torch.get_num_threads())
    assert said == f"about 45 s here: {timed} on {kind}, 0.66 steps/s as this machine is loaded now", said
