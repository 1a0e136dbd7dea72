"""Probe of the cost area, session 20: what a run costs (its device's kind, its memory, its time) as the cost table,
the dry run and ``plbench perf`` tell it."""

from __future__ import annotations

import torch

from benchmark import devices
from benchmark.stats import device_kind, timed_kind


def test_the_kind_a_step_is_timed_on_here_has_one_public_home(monkeypatch):
    """The kind of device a step timed in this process is of was written three times (meta.json's ``device_name``,
    runner's private ``_steady_kind``, which ``plbench pretrain``'s estimate imported, and the dry run's header) →
    devices.device_name gives the model meta.json records and stats.timed_kind its cost-table kind, used by all."""
    monkeypatch.setattr(devices, "cpu_model", lambda: "AMD EPYC 7763 64-Core Processor")
    assert devices.device_name(torch.device("cpu")) == "AMD EPYC 7763 64-Core Processor"
    assert timed_kind(torch.device("cpu"), 2) == "cpu (AMD EPYC 7763 64-Core Processor, 2 threads)"
    monkeypatch.setattr(devices, "cpu_model", lambda: "")
    assert devices.device_name(torch.device("cpu")) == "cpu"  # as meta.json recorded it
    assert timed_kind(torch.device("cpu"), 4) == device_kind("cpu", "cpu", 4)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda d=None: "NVIDIA H100 80GB HBM3")
    assert devices.device_name(torch.device("cuda:0")) == "NVIDIA H100 80GB HBM3"
    assert timed_kind(torch.device("cuda:0"), 16) == "cuda (NVIDIA H100 80GB HBM3)"
