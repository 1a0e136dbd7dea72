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


def test_a_rosetta_process_on_apple_silicon_is_another_kind_than_a_native_one(monkeypatch, tmp_path):
    """An Intel build of Python on an M1 (Rosetta 2: x86 code translated, no native kernels) read the same
    ``machdep.cpu.brand_string`` as a native arm64 one, so its runs were of the native kind: a store holding both
    pooled a translated step's ms/it (several times a native one's) into one median, and the dry run reused one's step
    times for the other → an x86_64 process's Apple model is ``"… under Rosetta"``, another kind; an Intel Mac's is
    its own; a run recorded before the model was named (platform.processor()'s ``i386`` in any x86_64 process, ``arm``
    in a native one) joins a Rosetta model only where it says ``i386``."""
    import platform
    import subprocess

    from benchmark.stats import device_kinds

    brand = ["Apple M1\n"]
    monkeypatch.setattr(devices, "CPUINFO", str(tmp_path / "no-cpuinfo"))
    monkeypatch.setattr(platform, "system", lambda: "Darwin")
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(cmd, 0, brand[0], ""))
    named = {}
    try:
        for label, text, machine in (("native", "Apple M1\n", "arm64"), ("rosetta", "Apple M1\n", "x86_64"),
                                     ("intel", "Intel(R) Core(TM) i7-9750H CPU @ 2.60GHz\n", "x86_64")):
            brand[0] = text
            monkeypatch.setattr(platform, "machine", lambda m=machine: m)
            devices.cpu_model.cache_clear()
            named[label] = devices.cpu_model()
    finally:
        devices.cpu_model.cache_clear()
    assert named == {"native": "Apple M1", "rosetta": "Apple M1 under Rosetta",
                     "intel": "Intel(R) Core(TM) i7-9750H CPU @ 2.60GHz"}
    assert device_kind("cpu", named["rosetta"], 8) != device_kind("cpu", named["native"], 8)
    # the store's one model at 8 threads is Rosetta's: an old i386 run may be of it, an old arm run is not
    kinds = device_kinds(["cpu"] * 3, [named["rosetta"], "i386", "arm"], [8, 8, 8])
    assert kinds == ["cpu (Apple M1 under Rosetta, 8 threads)"] * 2 + ["cpu (arm, 8 threads)"]
    kinds = device_kinds(["cpu"] * 3, [named["native"], "i386", "arm"], [8, 8, 8])
    assert kinds == ["cpu (Apple M1, 8 threads)", "cpu (i386, 8 threads)", "cpu (Apple M1, 8 threads)"]
